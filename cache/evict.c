/*
 * Eviction (SPEC section 6): keep the cache under cache_max_size, and the
 * file system it lives on above free_space_floor, by removing the least
 * recently read year files.
 *
 * What counts. The size of the cache is the disk use of every regular file
 * below the cache directory except _metadata/ (index.db, locks) and
 * dot-files (install temps ".NAME.tmp.XXXXXX", rsync's ".NAME.XXXXXX"):
 * data files, sidecars, fundamentals snapshots and anything else a user
 * left there. Disk use is st_blocks * 512, not st_size: a sparse file
 * costs what it occupies, and a 200-byte sidecar costs a whole block,
 * which is what fills the disk (research notes, section 3.3). Symbolic
 * links are not followed.
 *
 * What goes. The tree is the truth, not index.db: the candidates are the
 * YEAR.csv.gz / YEAR.metadata.json pairs found under SYMBOL/TF/ (a pair
 * missing one half is a candidate too; it is garbage anyway). They go in
 * order of last_read in index.db, oldest first; a pair without a row, or
 * with last_read 0, was never read and goes before any read one. Ties,
 * which are mostly among never-read pairs, go by the data file's
 * modification time (the data's own last_updated), oldest first, then by
 * name so that the order is stable. A pair goes whole: data file first,
 * then sidecar (a data file without its sidecar is absent to the cache,
 * so a crash between the two leaves nothing served wrongly), then its rows
 * in index.db (files and quality). Empty directories are left: removing
 * them would race with an install of another timeframe that has just
 * created its parent.
 *
 * Fundamentals snapshots are counted but never removed: they are a few
 * KiB per symbol, and the newest one is all there is of a provider's
 * answer, which may cost an API call from a daily quota to get again.
 *
 * What stays.
 *   - A file open right now (the daemon's is_open hook, when set). Only
 *     the daemon knows: marketfs-ctl has no hook, and a pair it removes
 *     under an open reader stays readable through the reader's descriptor
 *     (its blocks are freed at close).
 *   - A pair whose (symbol, timeframe) is being fetched: the fetch lock of
 *     fill.c is tried once, without waiting; held means busy, and the pair
 *     is passed over like an open one. This keeps eviction from removing
 *     a pair in the middle of its install, in this process or another.
 *   - Every year of a watched (symbol, timeframe): watch = AAPL:1d keeps
 *     AAPL/1d/ whole, but not AAPL/1h/. The watch list says which series
 *     the user wants at hand; only its current year is refreshed, but the
 *     past years are what analyses of that series read.
 * Open and being fetched are asked for each pair just before it is
 * removed, not when the tree is walked, so a file opened meanwhile is
 * safe. A reader that opens it between that check and the unlink keeps
 * its descriptor on the removed file, which Unix allows; the fs layer
 * gives each version its own inode and checks by stat, so the next open
 * finds the file absent and fetches it again.
 *
 * When and how far. Eviction starts only when the cache is over the limit
 * (size > cache_max_size) or the free space is under the floor (statvfs
 * f_bavail * f_frsize of the cache directory < free_space_floor). It then
 * removes pairs until both targets hold: size <= MFS_EVICT_LOW_WATER of
 * the limit (hysteresis, so that it does not run again at the next fetch)
 * and, for the floor, as many bytes freed as were missing. If the floor
 * cannot be reached by emptying the cache (the disk is full of something
 * else), everything that may go goes, and a warning says so.
 *
 * This module owns no state: two evictions at once (daemon and
 * marketfs-ctl) only find some files already gone, which is not an error.
 * It never fetches and never touches a file outside the cache directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <marketfs/cache.h>
#include <marketfs/http.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/symbol.h>

#include "cache/cache_impl.h"

#define METADATA_DIR "_metadata"
#define DATA_SUFFIX ".csv.gz"
#define SIDECAR_SUFFIX ".metadata.json"
#define YEAR_DIGITS 4
#define BLOCK_BYTES 512   /* the unit of st_blocks (POSIX leaves it open; Linux uses 512) */
#define WALK_DEPTH_MAX 16 /* deeper directories (not ours) are not counted */
#define CANDS_INITIAL 256

/* A year pair that may be evicted. */
struct cand {
	char symbol[MFS_SYMBOL_MAX + 1];
	enum mfs_tf tf;
	int year;
	bool has_data, has_sidecar;
	uint64_t bytes;    /* disk use of both files when walked */
	int64_t mtime_ns;  /* of the data file, else of the sidecar */
	int64_t last_read; /* from index.db; 0: never read */
};

/* What a walk of the tree found. */
struct walk {
	uint64_t bytes;
	bool want_cands;
	struct cand *cands;
	size_t n, cap;
	enum mfs_err failed; /* MFS_ERR_NOMEM if a candidate could not be kept */
};

static uint64_t disk_bytes(const struct stat *sb)
{
	return (uint64_t)sb->st_blocks * BLOCK_BYTES;
}

static int64_t mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* "2019.csv.gz" -> 2019, data; "2019.metadata.json" -> 2019, sidecar. */
static bool year_file(const char *name, int *year, enum mfs_file_kind *kind)
{
	int y = 0;

	for (int i = 0; i < YEAR_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		y = y * 10 + (name[i] - '0');
	}
	if (strcmp(name + YEAR_DIGITS, DATA_SUFFIX) == 0)
		*kind = MFS_FILE_DATA;
	else if (strcmp(name + YEAR_DIGITS, SIDECAR_SUFFIX) == 0)
		*kind = MFS_FILE_SIDECAR;
	else
		return false;
	*year = y;
	return true;
}

/* Open a subdirectory of an open directory without following a link. */
static DIR *open_subdir(DIR *parent, const char *name)
{
	int fd = openat(dirfd(parent), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* The next entry that counts: not ".", "..", or any other dot-file. */
static struct dirent *next_entry(DIR *d, struct stat *sb)
{
	struct dirent *de;

	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, sb, AT_SYMLINK_NOFOLLOW) == 0)
			return de;
	}
	return NULL;
}

/* Disk use of the regular files below d (a directory not ours to evict). */
static void walk_other(struct walk *w, DIR *d, int depth)
{
	struct dirent *de;
	struct stat sb;

	while ((de = next_entry(d, &sb))) {
		if (S_ISREG(sb.st_mode)) {
			w->bytes += disk_bytes(&sb);
		} else if (S_ISDIR(sb.st_mode) && depth < WALK_DEPTH_MAX) {
			DIR *sub = open_subdir(d, de->d_name);

			if (sub) {
				walk_other(w, sub, depth + 1);
				closedir(sub);
			}
		}
	}
}

/* The candidate for (symbol, tf, year), added if new; NULL if out of memory. */
static struct cand *cand_get(struct walk *w, size_t first, const char *symbol, enum mfs_tf tf,
			     int year)
{
	struct cand *k;

	/* one TF directory holds a few dozen years: a linear look is enough */
	for (size_t i = first; i < w->n; i++)
		if (w->cands[i].year == year)
			return &w->cands[i];
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : CANDS_INITIAL;
		struct cand *grown = realloc(w->cands, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		w->cands = grown;
		w->cap = cap;
	}
	k = &w->cands[w->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->symbol, sizeof(k->symbol), "%s", symbol);
	k->tf = tf;
	k->year = year;
	return k;
}

/* SYMBOL/TF/: the year pairs, and anything else counted. */
static void walk_tf(struct walk *w, DIR *d, const char *symbol, enum mfs_tf tf)
{
	size_t first = w->n;
	struct dirent *de;
	struct stat sb;

	while ((de = next_entry(d, &sb))) {
		enum mfs_file_kind kind;
		int year;

		if (S_ISDIR(sb.st_mode)) {
			DIR *sub = open_subdir(d, de->d_name);

			if (sub) {
				walk_other(w, sub, 3);
				closedir(sub);
			}
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		w->bytes += disk_bytes(&sb);
		if (!w->want_cands || !year_file(de->d_name, &year, &kind))
			continue;
		struct cand *k = cand_get(w, first, symbol, tf, year);
		if (!k) {
			w->failed = MFS_ERR_NOMEM;
			continue;
		}
		k->bytes += disk_bytes(&sb);
		if (kind == MFS_FILE_DATA) {
			k->has_data = true;
			k->mtime_ns = mtime_ns(&sb);
		} else {
			k->has_sidecar = true;
			if (!k->has_data)
				k->mtime_ns = mtime_ns(&sb);
		}
	}
}

/* SYMBOL/: timeframe directories, fundamentals/ and anything else. */
static void walk_symbol(struct walk *w, DIR *d, const char *symbol)
{
	struct dirent *de;
	struct stat sb;

	while ((de = next_entry(d, &sb))) {
		if (S_ISREG(sb.st_mode)) {
			w->bytes += disk_bytes(&sb);
		} else if (S_ISDIR(sb.st_mode)) {
			enum mfs_tf tf = mfs_tf_parse(de->d_name);
			DIR *sub = open_subdir(d, de->d_name);

			if (!sub)
				continue;
			if (tf != MFS_TF_INVALID)
				walk_tf(w, sub, symbol, tf);
			else
				walk_other(w, sub, 2); /* fundamentals/ */
			closedir(sub);
		}
	}
}

static enum mfs_err walk_tree(const char *root, struct walk *w, struct mfs_error *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	struct stat sb;

	if (!d)
		return mfs_error_set(err, MFS_ERR_IO, "cannot read the cache directory %s: %s", root,
				     strerror(errno));
	while ((de = next_entry(d, &sb))) {
		if (S_ISREG(sb.st_mode)) {
			w->bytes += disk_bytes(&sb);
		} else if (S_ISDIR(sb.st_mode) && strcmp(de->d_name, METADATA_DIR) != 0) {
			DIR *sub = open_subdir(d, de->d_name);

			if (!sub)
				continue;
			if (mfs_symbol_valid(de->d_name))
				walk_symbol(w, sub, de->d_name);
			else
				walk_other(w, sub, 1);
			closedir(sub);
		}
	}
	closedir(d);
	if (w->failed)
		return mfs_error_set(err, w->failed, "out of memory listing the cache");
	return MFS_OK;
}

/* Free bytes for an unprivileged writer on the cache's file system. */
static bool free_bytes(const char *root, uint64_t *out)
{
	struct statvfs vfs;

	if (statvfs(root, &vfs) < 0)
		return false;
	*out = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	return true;
}

static uint64_t limit_of(const struct mfs_config *cfg)
{
	return cfg->cache_max_size > 0 ? (uint64_t)cfg->cache_max_size : 0;
}

static uint64_t floor_of(const struct mfs_config *cfg)
{
	return cfg->free_space_floor > 0 ? (uint64_t)cfg->free_space_floor : 0;
}

static bool is_over(const struct mfs_config *cfg, uint64_t bytes, bool have_free, uint64_t avail)
{
	return (limit_of(cfg) && bytes > limit_of(cfg)) ||
	       (floor_of(cfg) && have_free && avail < floor_of(cfg));
}

bool mfs_cache_over_limit(struct mfs_cache *c)
{
	struct walk w = { 0 };
	uint64_t avail = 0;
	bool have_free = false;

	if (!limit_of(c->cfg) && !floor_of(c->cfg))
		return false;
	if (floor_of(c->cfg))
		have_free = free_bytes(c->store.root, &avail);
	if (limit_of(c->cfg) && walk_tree(c->store.root, &w, NULL) != MFS_OK)
		return false;
	return is_over(c->cfg, w.bytes, have_free, avail);
}

/* ---- the order ----------------------------------------------------------- */

static int cmp_key(const char *sym_a, enum mfs_tf tf_a, int year_a, const struct cand *b)
{
	int r = strcmp(sym_a, b->symbol);

	if (r)
		return r;
	if (tf_a != b->tf)
		return tf_a < b->tf ? -1 : 1;
	return (year_a > b->year) - (year_a < b->year);
}

static int cmp_by_key(const void *pa, const void *pb)
{
	const struct cand *a = pa;

	return cmp_key(a->symbol, a->tf, a->year, pb);
}

/* Least recently read first; never read (0) before everything read. */
static int cmp_by_age(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (a->last_read != b->last_read)
		return a->last_read < b->last_read ? -1 : 1;
	if (a->mtime_ns != b->mtime_ns)
		return a->mtime_ns < b->mtime_ns ? -1 : 1;
	return cmp_by_key(a, b);
}

struct key_probe {
	const char *symbol;
	enum mfs_tf tf;
	int year;
};

static int cmp_probe(const void *pk, const void *pb)
{
	const struct key_probe *k = pk;

	return cmp_key(k->symbol, k->tf, k->year, pb);
}

/* Fill last_read of each candidate from index.db, in one pass over files. */
static void load_last_read(struct mfs_cache *c, struct cand *v, size_t n)
{
	sqlite3 *db = mfs_index_db(c->idx);
	pthread_mutex_t *mu = mfs_index_lock(c->idx);
	sqlite3_stmt *st = NULL;

	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_by_key);
	pthread_mutex_lock(mu);
	if (sqlite3_prepare_v2(db, "SELECT symbol, tf, year, last_read FROM files WHERE last_read > 0",
			       -1, &st, NULL) != SQLITE_OK) {
		mfs_warn("eviction: index.db: %s; every file counts as never read",
			 sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *sym = (const char *)sqlite3_column_text(st, 0);
		const char *tf = (const char *)sqlite3_column_text(st, 1);
		struct key_probe k = { sym, mfs_tf_parse(tf), sqlite3_column_int(st, 2) };
		struct cand *hit;

		if (!sym || k.tf == MFS_TF_INVALID)
			continue;
		hit = bsearch(&k, v, n, sizeof(*v), cmp_probe);
		if (hit)
			hit->last_read = sqlite3_column_int64(st, 3);
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(mu);
}

static bool is_watched(const struct mfs_config *cfg, const struct cand *k)
{
	for (unsigned i = 0; i < cfg->n_watch; i++)
		if (cfg->watch[i].tf[k->tf] && strcmp(cfg->watch[i].symbol, k->symbol) == 0)
			return true;
	return false;
}

/* ---- removing a pair ------------------------------------------------------ */

/* REMOVED: a file was unlinked (dry run: would be); GONE: none was there */
enum outcome { REMOVED, GONE, BUSY, FAILED };

/* Forget a removed pair in index.db: its verified state and its score. */
static void forget(struct mfs_cache *c, const struct cand *k)
{
	sqlite3 *db = mfs_index_db(c->idx);
	pthread_mutex_t *mu = mfs_index_lock(c->idx);
	sqlite3_stmt *st = NULL;

	mfs_index_del_file(c->idx, k->symbol, k->tf, k->year);
	pthread_mutex_lock(mu);
	if (sqlite3_prepare_v2(db, "DELETE FROM quality WHERE symbol=?1 AND tf=?2 AND year=?3", -1,
			       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, k->symbol, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, mfs_tf_name(k->tf), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, k->year);
		if (sqlite3_step(st) != SQLITE_DONE)
			mfs_warn("eviction: index.db: %s", sqlite3_errmsg(db));
	} else {
		mfs_warn("eviction: index.db: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(mu);
}

/*
 * Unlink one file, adding its disk use to *freed. 1: removed, 0: it was
 * not there (never, or another eviction was first), -1: an error (in err).
 */
static int unlink_counted(const char *path, uint64_t *freed, struct mfs_error *err)
{
	struct stat sb;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		memset(&sb, 0, sizeof(sb)); /* unlink may still work: count nothing */
	}
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		mfs_error_set(err, MFS_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
		mfs_warn("eviction: %s", err->msg);
		return -1;
	}
	*freed += disk_bytes(&sb);
	return 1;
}

/*
 * Remove the pair unless it is open or being fetched; with dry_run only
 * check that. *freed: the bytes it gave back (dry run: as walked). A pair
 * whose data file is gone is forgotten even if its sidecar resists (the
 * error is in err): it is absent to the cache either way.
 */
static enum outcome remove_pair(struct mfs_cache *c, const struct cand *k, bool dry_run,
				uint64_t *freed, struct mfs_error *err)
{
	char dpath[4096], spath[4096];
	enum outcome out;
	int data, side;
	/* deadline now: one try, never a wait behind a fetch */
	int lock = mfs_cache_lock(c, k->symbol, mfs_tf_name(k->tf), mfs_now_ms());

	*freed = 0;
	if (lock == -ETIMEDOUT)
		return BUSY; /* a fetch of this (symbol, tf) is running */
	/* -1: locking is impossible here (read-only _metadata): go on, as fill.c does */
	if (c->hooks.is_open && c->hooks.is_open(c->hook_arg, k->symbol, k->tf, k->year)) {
		out = BUSY;
		goto out;
	}
	if (dry_run) {
		*freed = k->bytes;
		out = REMOVED;
		goto out;
	}
	if (mfs_store_path(&c->store, k->symbol, k->tf, k->year, MFS_FILE_DATA, dpath,
			   sizeof(dpath)) < 0 ||
	    mfs_store_path(&c->store, k->symbol, k->tf, k->year, MFS_FILE_SIDECAR, spath,
			   sizeof(spath)) < 0) {
		mfs_error_set(err, MFS_ERR_IO, "%s/%s/%04d: path too long", k->symbol,
			      mfs_tf_name(k->tf), k->year);
		out = FAILED;
		goto out;
	}
	/* data first: without it the pair is absent, whatever happens next */
	data = unlink_counted(dpath, freed, err);
	if (data < 0) {
		out = FAILED;
		goto out;
	}
	side = unlink_counted(spath, freed, err);
	forget(c, k);
	out = data > 0 || side > 0 ? REMOVED : GONE;
out:
	mfs_cache_unlock(lock);
	return out;
}

/* ---- the whole run ---------------------------------------------------------- */

/* "1.5 GiB" */
static void fmt_bytes(char *buf, size_t len, uint64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void fmt_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "never");
}

/* For the log: what of the pair was there. */
static const char *what_of(const struct cand *k)
{
	if (k->has_data && k->has_sidecar)
		return " and its sidecar";
	return k->has_data ? " (no sidecar)" : " (its sidecar only)";
}

/* What eviction cleans down to: both targets of the header comment. */
static uint64_t target_of(const struct mfs_config *cfg, uint64_t before, bool have_free,
			  uint64_t avail)
{
	uint64_t target = before;

	if (limit_of(cfg)) {
		uint64_t low = (uint64_t)((double)limit_of(cfg) * MFS_EVICT_LOW_WATER);

		if (low < target)
			target = low;
	}
	if (floor_of(cfg) && have_free && avail < floor_of(cfg)) {
		uint64_t missing = floor_of(cfg) - avail;
		uint64_t to = before > missing ? before - missing : 0;

		if (to < target)
			target = to;
	}
	return target;
}

enum mfs_err mfs_cache_evict(struct mfs_cache *c, bool dry_run, struct mfs_evict_report *r,
			     void (*each)(void *arg, const char *rel, uint64_t bytes), void *arg,
			     struct mfs_error *err)
{
	const struct mfs_config *cfg = c->cfg;
	struct mfs_evict_report rep = { 0 };
	struct walk w = { .want_cands = true };
	struct mfs_error first_failure = { 0 };
	bool have_free;
	uint64_t cur;
	enum mfs_err rc;
	char b1[32], b2[32], b3[32], b4[32];

	rc = walk_tree(c->store.root, &w, err);
	if (rc != MFS_OK)
		goto out;
	have_free = free_bytes(c->store.root, &rep.free_before);
	if (!have_free && floor_of(cfg))
		mfs_warn("eviction: cannot read the free space of %s: %s; free_space_floor is not applied",
			 c->store.root, strerror(errno));
	rep.limit_bytes = limit_of(cfg);
	rep.before_bytes = w.bytes;
	rep.target_bytes = target_of(cfg, w.bytes, have_free, rep.free_before);
	cur = w.bytes;

	if (is_over(cfg, w.bytes, have_free, rep.free_before)) {
		load_last_read(c, w.cands, w.n);
		if (w.n)
			qsort(w.cands, w.n, sizeof(*w.cands), cmp_by_age);
		for (size_t i = 0; i < w.n && cur > rep.target_bytes; i++) {
			const struct cand *k = &w.cands[i];
			char rel[MFS_SYMBOL_MAX + 32], when[32];
			uint64_t freed;

			if (is_watched(cfg, k)) {
				rep.skipped_watched++;
				continue;
			}
			switch (remove_pair(c, k, dry_run, &freed, &first_failure)) {
			case BUSY:
				rep.skipped_open++;
				continue;
			case GONE:   /* another eviction was first */
			case FAILED: /* logged; the next pair may do */
				continue;
			case REMOVED:
				break;
			}
			snprintf(rel, sizeof(rel), "%s/%s/%04d%s", k->symbol, mfs_tf_name(k->tf),
				 k->year, DATA_SUFFIX);
			rep.removed_files++;
			rep.removed_bytes += freed;
			cur = cur > freed ? cur - freed : 0;
			fmt_bytes(b1, sizeof(b1), freed);
			fmt_time(when, sizeof(when), k->last_read);
			if (dry_run)
				mfs_debug("eviction (dry run): would remove %s%s (%s, last read %s)",
					  rel, what_of(k), b1, when);
			else
				mfs_info("evicted %s%s (%s, last read %s)", rel, what_of(k), b1, when);
			if (each)
				each(arg, rel, freed);
		}
		if (cur > rep.target_bytes)
			mfs_log(dry_run ? MFS_LOG_INFO : MFS_LOG_WARN,
				"eviction%s: the cache is still %" PRIu64 " bytes, above its target of %" PRIu64
				" (%u files open or being fetched, %u watched)%s",
				dry_run ? " (dry run)" : "", cur, rep.target_bytes, rep.skipped_open,
				rep.skipped_watched,
				floor_of(cfg) ? "; free_space_floor may be more than the cache can give back" :
						"");
	}

	/* after a real run, the tree says what is left (fetches go on meanwhile) */
	rep.after_bytes = cur;
	if (!dry_run && rep.removed_files) {
		struct walk again = { 0 };

		if (walk_tree(c->store.root, &again, NULL) == MFS_OK)
			rep.after_bytes = again.bytes;
	}
	if (dry_run || !rep.removed_files || !free_bytes(c->store.root, &rep.free_after))
		rep.free_after = have_free ? rep.free_before + rep.removed_bytes : 0;

	fmt_bytes(b1, sizeof(b1), rep.before_bytes);
	fmt_bytes(b2, sizeof(b2), rep.after_bytes);
	fmt_bytes(b3, sizeof(b3), rep.removed_bytes);
	fmt_bytes(b4, sizeof(b4), rep.limit_bytes);
	if (rep.removed_files || rep.skipped_open || rep.skipped_watched)
		mfs_log(dry_run ? MFS_LOG_INFO : MFS_LOG_NOTICE,
			"eviction%s: %s %u files (%s); cache %s -> %s (limit %s); passed over %u open or being fetched, %u watched",
			dry_run ? " (dry run)" : "", dry_run ? "would remove" : "removed",
			rep.removed_files, b3, b1, b2, rep.limit_bytes ? b4 : "none",
			rep.skipped_open, rep.skipped_watched);
	else
		mfs_debug("eviction: nothing to do (cache %s, limit %s)", b1,
			  rep.limit_bytes ? b4 : "none");
	if (first_failure.code)
		rc = mfs_error_set(err, first_failure.code, "%s", first_failure.msg);
out:
	free(w.cands);
	if (r)
		*r = rep;
	return rc;
}
