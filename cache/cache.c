/*
 * The cache object: open/close, the state of each cached file, listings,
 * and installs (the fill path itself is in fill.c).
 *
 * A file pair is "present" only once verified: the data file's sha256
 * matches its sidecar. Verification hashes the file once; the result is
 * remembered in index.db (size, mtime, sha256) across restarts and in an
 * in-memory memo keyed by path and both files' (size, mtime), so a file
 * changed behind our back (rsync, marketfs-ctl) is verified again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <sys/file.h>
#include <time.h>

#include <jansson.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>

#include "cache/cache_impl.h"
#include "cache/csvgz.h"
#include "cache/market.h"

#define MEMO_BUCKETS 4096

struct memo {
	struct memo *next;
	char *path; /* data file path */
	int64_t dsize, dmtime, ssize, smtime;
	bool valid;
	int64_t stale_after, last_updated, last_t, created_at;
};

static int64_t mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % MEMO_BUCKETS;
}

struct mfs_cache *mfs_cache_open(const struct mfs_config *cfg, struct mfs_error *err)
{
	struct mfs_cache *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	bool rebuilt;

	if (!c) {
		mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->started = mfs_wall_now();
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->memo_mu, NULL);
	pthread_mutex_init(&c->errs_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->changed, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&c->work, NULL);
	c->memo = calloc(MEMO_BUCKETS, sizeof(*c->memo));
	if (!c->memo) {
		mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (mfs_store_open(&c->store, cfg->cache_dir, err) != MFS_OK)
		goto fail;
	c->idx = mfs_index_open(&c->store, &rebuilt, err);
	if (!c->idx)
		goto fail;
	unsigned n = mfs_store_clean_temps(&c->store, MFS_STALE_TEMP_AGE_S);
	if (n)
		mfs_notice("removed %u leftover temp files from an interrupted install", n);
	c->provs = mfs_providers_new(cfg, err);
	if (!c->provs)
		goto fail;
	return c;
fail:
	mfs_cache_close(c);
	return NULL;
}

enum mfs_err mfs_cache_start(struct mfs_cache *c, struct mfs_error *err)
{
	/* we may have forked since the cache was opened (fuse_daemonize) */
	mfs_index_claim(c->idx);
	enum mfs_err rc = mfs_cache_start_pool(c, err);

	/* the scheduler queues its work on the pool: start it second */
	return rc == MFS_OK ? mfs_cache_start_scheduler(c, err) : rc;
}

void mfs_cache_set_hooks(struct mfs_cache *c, const struct mfs_cache_hooks *hooks, void *arg)
{
	c->hooks = *hooks;
	c->hook_arg = arg;
}

void mfs_cache_close(struct mfs_cache *c)
{
	if (!c)
		return;
	/* the scheduler first: it waits on fetches the pool runs */
	mfs_cache_stop_scheduler(c);
	mfs_cache_stop_pool(c);
	mfs_providers_free(c->provs);
	mfs_index_close(c->idx);
	mfs_store_close(&c->store);
	if (c->memo) {
		for (unsigned i = 0; i < MEMO_BUCKETS; i++) {
			struct memo *m = c->memo[i], *next;
			for (; m; m = next) {
				next = m->next;
				free(m->path);
				free(m);
			}
		}
		free(c->memo);
	}
	pthread_cond_destroy(&c->changed);
	pthread_cond_destroy(&c->work);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->memo_mu);
	pthread_mutex_destroy(&c->errs_mu);
	free(c);
}

enum mfs_class mfs_cache_classify(struct mfs_cache *c, const char *symbol)
{
	return mfs_providers_classify(c->provs, symbol);
}

/* ---- file state -------------------------------------------------------- */

/* Verify a pair and fill m (outside memo_mu: it may hash a large file). */
static void verify(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
		   const char *dpath, const char *spath, const struct stat *ds, struct memo *m)
{
	char *text = NULL, sha[65];
	size_t len;
	struct mfs_sidecar sc;
	struct mfs_index_file f;
	struct mfs_error err = { 0 };

	m->valid = false;
	if (mfs_store_read(spath, MFS_SIDECAR_MAX_BYTES, &text, &len, &err) != MFS_OK ||
	    mfs_sidecar_parse(text, len, &sc, &err) != MFS_OK) {
		mfs_warn("%s: %s; the pair will be fetched again", spath, err.msg);
		goto out;
	}
	if (mfs_index_get_file(c->idx, symbol, tf, year, &f) == 1 && f.size == ds->st_size &&
	    f.mtime_ns == mtime_ns(ds) && strcmp(f.sha256, sc.sha256) == 0) {
		m->valid = true; /* verified before, unchanged since */
	} else if (mfs_sha256_file(dpath, sha, &err) == MFS_OK) {
		if (strcmp(sha, sc.sha256) == 0) {
			m->valid = true;
			f.size = ds->st_size;
			f.mtime_ns = mtime_ns(ds);
			memcpy(f.sha256, sha, sizeof(f.sha256));
			f.last_updated = sc.last_updated;
			f.stale_after = sc.stale_after;
			mfs_index_put_file(c->idx, symbol, tf, year, &f);
		} else {
			mfs_warn("%s: sha256 does not match its sidecar (torn install or "
				 "damaged copy); it will be fetched again",
				 dpath);
		}
	}
	if (m->valid) {
		m->stale_after = sc.stale_after;
		m->last_updated = sc.last_updated;
		m->created_at = sc.created_at;
		m->last_t = sc.rows ? sc.last_t : 0;
	}
out:
	free(text);
}

/* The memo entry for a key, verifying the pair when it changed. */
static bool lookup_state(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			 struct memo *out, struct stat *ds_out, struct stat *ss_out)
{
	char dpath[4096], spath[4096];
	struct stat ds, ss;

	if (mfs_store_path(&c->store, symbol, tf, year, MFS_FILE_DATA, dpath, sizeof(dpath)) < 0 ||
	    mfs_store_path(&c->store, symbol, tf, year, MFS_FILE_SIDECAR, spath, sizeof(spath)) < 0)
		return false;
	if (stat(dpath, &ds) < 0 || stat(spath, &ss) < 0)
		return false;
	if (ds_out)
		*ds_out = ds;
	if (ss_out)
		*ss_out = ss;

	unsigned h = hash(dpath);
	pthread_mutex_lock(&c->memo_mu);
	for (struct memo *m = c->memo[h]; m; m = m->next) {
		if (strcmp(m->path, dpath) == 0 && m->dsize == ds.st_size &&
		    m->dmtime == mtime_ns(&ds) && m->ssize == ss.st_size &&
		    m->smtime == mtime_ns(&ss)) {
			*out = *m;
			pthread_mutex_unlock(&c->memo_mu);
			return out->valid;
		}
	}
	pthread_mutex_unlock(&c->memo_mu);

	struct memo fresh = { .dsize = ds.st_size, .dmtime = mtime_ns(&ds),
			      .ssize = ss.st_size, .smtime = mtime_ns(&ss) };
	verify(c, symbol, tf, year, dpath, spath, &ds, &fresh);

	pthread_mutex_lock(&c->memo_mu);
	struct memo *m;
	for (m = c->memo[h]; m; m = m->next)
		if (strcmp(m->path, dpath) == 0)
			break;
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (m)
			m->path = strdup(dpath);
		if (m && m->path) {
			m->next = c->memo[h];
			c->memo[h] = m;
		} else {
			free(m);
			m = NULL;
		}
	}
	if (m) {
		char *path = m->path;
		struct memo *next = m->next;
		*m = fresh;
		m->path = path;
		m->next = next;
	}
	pthread_mutex_unlock(&c->memo_mu);
	*out = fresh;
	return fresh.valid;
}

enum mfs_err mfs_cache_stat(struct mfs_cache *c, const struct mfs_key *k,
			    struct mfs_file_state *out)
{
	struct memo m;
	struct stat ds, ss;

	memset(out, 0, sizeof(*out));
	if (!lookup_state(c, k->symbol, k->tf, k->year, &m, &ds, &ss))
		return MFS_OK;
	out->present = true;
	out->st = k->kind == MFS_KIND_DATA ? ds : ss;
	out->stale_after = m.stale_after;
	out->last_updated = m.last_updated;
	out->stale = m.stale_after != 0 && mfs_wall_now() >= m.stale_after;
	return MFS_OK;
}

int64_t mfs_cache_last_bar(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year)
{
	struct memo m;

	return lookup_state(c, symbol, tf, year, &m, NULL, NULL) ? m.last_t : 0;
}

int64_t mfs_cache_created_at(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			     int64_t now)
{
	struct memo m;

	if (lookup_state(c, symbol, tf, year, &m, NULL, NULL) && m.created_at)
		return m.created_at;
	return now;
}

enum mfs_err mfs_cache_load_series(struct mfs_cache *c, const char *symbol, enum mfs_tf tf,
				   int year, struct mfs_series *out, struct mfs_error *err)
{
	char path[4096], *buf = NULL;
	size_t len;
	enum mfs_err rc;

	mfs_store_path(&c->store, symbol, tf, year, MFS_FILE_DATA, path, sizeof(path));
	rc = mfs_store_read(path, MFS_CSV_MAX_BYTES, &buf, &len, err);
	if (rc == MFS_OK)
		rc = mfs_csvgz_decode(buf, len, tf, out, NULL, err);
	free(buf);
	return rc;
}

bool mfs_cache_series_has_year(const struct mfs_series *s, int year)
{
	for (size_t i = 0; i < s->n; i++)
		if (mfs_bar_year(s->tf, s->bars[i].t) == year)
			return true;
	return false;
}

enum mfs_err mfs_cache_install(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			       const void *gz, size_t gzlen, const char *side, size_t sidelen,
			       const struct mfs_sidecar *sc, struct mfs_error *err)
{
	char symdir[4096], dpath[4096];
	struct stat sb;
	bool new_symbol;
	enum mfs_err rc;

	snprintf(symdir, sizeof(symdir), "%s/%s", c->store.root, symbol);
	new_symbol = stat(symdir, &sb) < 0;
	rc = mfs_store_install(&c->store, symbol, tf, year, gz, gzlen, side, sidelen,
			       sc->last_updated, err);
	if (rc != MFS_OK)
		return rc;
	mfs_store_path(&c->store, symbol, tf, year, MFS_FILE_DATA, dpath, sizeof(dpath));
	if (stat(dpath, &sb) == 0) {
		struct mfs_index_file f = { .size = sb.st_size, .mtime_ns = mtime_ns(&sb),
					    .last_updated = sc->last_updated,
					    .stale_after = sc->stale_after };
		memcpy(f.sha256, sc->sha256, sizeof(f.sha256));
		mfs_index_put_file(c->idx, symbol, tf, year, &f);
	}
	mfs_index_put_quality(c->idx, symbol, tf, year, sc);
	atomic_fetch_add(&c->installs, 1);
	if (c->hooks.installed)
		c->hooks.installed(c->hook_arg, symbol, tf, year, new_symbol);
	return MFS_OK;
}

int mfs_cache_open_file(struct mfs_cache *c, const struct mfs_key *k)
{
	char path[4096];
	int fd;

	if (mfs_store_path(&c->store, k->symbol, k->tf, k->year,
			   k->kind == MFS_KIND_DATA ? MFS_FILE_DATA : MFS_FILE_SIDECAR, path,
			   sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ---- listings ---------------------------------------------------------- */

static bool cached_year(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year)
{
	char path[4096];

	return mfs_store_path(&c->store, symbol, tf, year, MFS_FILE_DATA, path, sizeof(path)) == 0 &&
	       access(path, F_OK) == 0;
}

/* First and last listable year, and whether year y can be served. */
static int year_status(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int y,
		       char *why, size_t whylen)
{
	enum mfs_class cls;
	struct mfs_attempt att[MFS_MAX_ATTEMPTS];
	unsigned n;
	int64_t now = mfs_wall_now();
	int cur = mfs_year_of(now);
	struct mfs_index_symbol s;
	int first = c->cfg->history_start;

	if (mfs_index_get_symbol(c->idx, symbol, &s) == 1 && s.first_trade)
		first = mfs_year_of(s.first_trade);
	if (y > cur) {
		snprintf(why, whylen, "%s/%s/%d: that year has not begun", symbol,
			 mfs_tf_name(tf), y);
		return 0;
	}
	if (cached_year(c, symbol, tf, y))
		return 1;
	if (y < first) {
		snprintf(why, whylen, "%s/%s/%d: before the first year served (%d)", symbol,
			 mfs_tf_name(tf), y, first);
		return 0;
	}
	/* only for years not cached: the chain costs more than a stat */
	cls = mfs_cache_classify(c, symbol);
	n = mfs_cache_attempts(c, cls, tf, att, MFS_MAX_ATTEMPTS);
	if (n == 0) {
		snprintf(why, whylen, "%s/%s/%d: no enabled provider serves %s at %s", symbol,
			 mfs_tf_name(tf), y, mfs_class_name(cls), mfs_tf_name(tf));
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		int64_t e = mfs_provider_ops(att[i].p)->earliest(cls, att[i].tf, now);
		if (e < mfs_year_start(y + 1))
			return 1;
	}
	snprintf(why, whylen, "%s/%s/%d: no enabled provider reaches back that far at %s "
		 "(Yahoo keeps 1m for ~30 days, other minutes for 60, hours for 730; "
		 "docs/providers.md lists each provider's reach)",
		 symbol, mfs_tf_name(tf), y, mfs_tf_name(tf));
	return 0;
}

bool mfs_cache_year_exists(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			   char *why, size_t whylen)
{
	char dummy[256];

	if (!why) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	return year_status(c, symbol, tf, year, why, whylen) == 1;
}

unsigned mfs_cache_years(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int *years,
			 unsigned max)
{
	char why[256];
	struct mfs_index_symbol s;
	int first = c->cfg->history_start, cur = mfs_year_of(mfs_wall_now());
	unsigned n = 0;

	if (mfs_index_get_symbol(c->idx, symbol, &s) == 1 && s.first_trade)
		first = mfs_year_of(s.first_trade);
	/* cached years before the first served one still show */
	for (int y = MFS_FIRST_YEAR; y < first && n < max; y++)
		if (cached_year(c, symbol, tf, y))
			years[n++] = y;
	for (int y = first; y <= cur && n < max; y++)
		if (year_status(c, symbol, tf, y, why, sizeof(why)))
			years[n++] = y;
	return n;
}

bool mfs_cache_symbol_unknown(struct mfs_cache *c, const char *symbol)
{
	return mfs_index_get_negative(c->idx, symbol, mfs_wall_now(), NULL) == 1;
}

void mfs_cache_symbols(struct mfs_cache *c, mfs_symbol_fn fn, void *arg)
{
	DIR *d = opendir(c->store.root);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			if (!mfs_symbol_valid(de->d_name) || strcmp(de->d_name, "_metadata") == 0 ||
			    mfs_cache_symbol_unknown(c, de->d_name))
				continue;
			fn(arg, de->d_name);
		}
		closedir(d);
	}
	for (unsigned i = 0; i < c->cfg->n_watch; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", c->store.root, c->cfg->watch[i].symbol);
		if (access(path, F_OK) != 0) /* else listed above */
			fn(arg, c->cfg->watch[i].symbol);
	}
}

/* ---- generated files --------------------------------------------------- */

struct quality_acc {
	struct mfs_cache *c;
	json_t *files;
};

static int add_quality(void *arg, const struct mfs_quality_row *r)
{
	struct quality_acc *a = arg;
	enum mfs_tf tf = mfs_tf_parse(r->tf);
	char path[4096], when[32];
	json_t *o;

	/* the tree is the truth: list only files still there */
	if (tf == MFS_TF_INVALID || !cached_year(a->c, r->symbol, tf, r->year))
		return 0;
	snprintf(path, sizeof(path), "%s/%s/%04d.csv.gz", r->symbol, r->tf, r->year);
	mfs_format_iso8601(r->last_updated, when, sizeof(when));
	o = json_object();
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "symbol", json_string(r->symbol));
	json_object_set_new(o, "timeframe", json_string(r->tf));
	json_object_set_new(o, "year", json_integer(r->year));
	json_object_set_new(o, "score", json_real(round(r->score * 10000.0) / 10000.0));
	json_object_set_new(o, "rows", json_integer(r->rows));
	json_object_set_new(o, "gaps", json_integer(r->gaps));
	json_object_set_new(o, "expected_bars", json_integer(r->expected));
	json_object_set_new(o, "present_bars", json_integer(r->present));
	json_object_set_new(o, "data_source", json_string(r->source));
	json_object_set_new(o, "last_updated", json_string(when));
	json_array_append_new(a->files, o);
	return 0;
}

enum mfs_err mfs_cache_quality_json(struct mfs_cache *c, char **out, size_t *len,
				    struct mfs_error *err)
{
	struct quality_acc a = { c, json_array() };
	json_t *o = json_object();
	char when[32];

	if (!a.files || !o) {
		json_decref(a.files);
		json_decref(o);
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	}
	mfs_index_each_quality(c->idx, add_quality, &a);
	mfs_format_iso8601(mfs_wall_now(), when, sizeof(when));
	json_object_set_new(o, "generated_at", json_string(when));
	json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(a.files)));
	json_object_set_new(o, "files", a.files);
	enum mfs_err rc = mfs_json_render(o, out, len, err);
	json_decref(o);
	return rc;
}

/* ---- shared with other processes ---------------------------------------- */

#define LOCK_POLL_MS 50

int mfs_cache_lock(struct mfs_cache *c, const char *symbol, const char *what, int64_t deadline_ms)
{
	char dir[4096], path[4300];
	int fd;

	snprintf(dir, sizeof(dir), "%s/_metadata/locks", c->store.root);
	if (mfs_mkdirs(dir) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.%s.lock", dir, symbol, what);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -1;
		}
		if (mfs_now_ms() >= deadline_ms || atomic_load(&c->stop)) {
			close(fd);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, LOCK_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	return fd;
}

void mfs_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

void mfs_cache_touch(struct mfs_cache *c, const struct mfs_key *k)
{
	mfs_index_touch(c->idx, k->symbol, k->tf, k->year, mfs_wall_now());
}

const char *mfs_cache_root(const struct mfs_cache *c)
{
	return c->store.root;
}

const struct mfs_config *mfs_cache_config(const struct mfs_cache *c)
{
	return c->cfg;
}

enum mfs_err mfs_cache_reindex(struct mfs_cache *c, unsigned *files, struct mfs_error *err)
{
	int n = mfs_index_rebuild(c->idx, &c->store);

	if (n < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cannot rebuild %s/_metadata/index.db",
				     c->store.root);
	/* forget verified states: the next look verifies against the tree */
	pthread_mutex_lock(&c->memo_mu);
	for (unsigned i = 0; i < MEMO_BUCKETS; i++)
		for (struct memo *m = c->memo[i]; m; m = m->next)
			m->dsize = -1;
	pthread_mutex_unlock(&c->memo_mu);
	if (files)
		*files = (unsigned)n;
	return MFS_OK;
}
