/*
 * marketfs-ctl verify [--repair]: check the whole cache tree against
 * itself, without the network.
 *
 * For each SYMBOL/TF/YEAR pair: both files exist; the sidecar parses and
 * names this symbol, timeframe and year; the data file's sha256 is the
 * sidecar's; the gzip stream inflates and the CSV parses; the row count is
 * the sidecar's. Each fundamentals snapshot must parse as JSON.
 *
 * A daemon may install a new version while we look (data renamed first,
 * the sidecar last): a pair that fails is looked at again a moment later,
 * and only a failure that repeats on the same files is reported.
 *
 * --repair moves each bad pair (sidecar first: without it the pair is
 * absent to every reader) into CACHE/_metadata/quarantine/<UTC time>/
 * SYMBOL/TF/, where a human can look at it; the next read fetches the file
 * again. Nothing is deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>

#include "cache/csvgz.h"
#include "cache/sidecar.h"
#include "cache/store.h"
#include "fs/ctl.h"

#define SIDECAR_MAX_BYTES (1 << 20)
#define RECHECK_DELAY_MS 200  /* an install in progress is done by then */
#define RECHECK_MAX 5         /* looks at a pair whose files keep changing */
#define N_YEARS (MFS_LAST_YEAR - MFS_FIRST_YEAR + 1)
#define QUARANTINE_DIR "_metadata/quarantine"

struct verify {
	struct ctl *x;
	const char *root;
	char qdir[PATH_MAX];  /* this run's quarantine directory, made on first use */
	unsigned pairs, snapshots, bad, moved, not_moved;
};

/* What a file was when we checked it: a new version is a different file. */
struct ident {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static void ident_of(const char *path, struct ident *id)
{
	struct stat sb;

	memset(id, 0, sizeof(*id));
	if (lstat(path, &sb) == 0) {
		id->exists = true;
		id->dev = sb.st_dev;
		id->ino = sb.st_ino;
		id->size = sb.st_size;
		id->mtime = sb.st_mtim;
	}
}

static bool ident_eq(const struct ident *a, const struct ident *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One look at a pair; true if good, else why. */
static bool check_pair_once(const char *dpath, const char *spath, const char *symbol,
			    enum mfs_tf tf, int year, char *why, size_t len)
{
	struct mfs_error err = { 0 };
	struct mfs_sidecar *sc = NULL;
	struct mfs_series s;
	char *side = NULL, *data = NULL, sha[65];
	size_t sidelen = 0, datalen = 0;
	struct stat sb;
	bool good = false, adj = false;

	mfs_series_init(&s, tf);
	if (lstat(dpath, &sb) < 0) {
		snprintf(why, len, "sidecar without its data file");
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, len, "the data file is not a regular file");
		goto out;
	}
	if (lstat(spath, &sb) < 0) {
		snprintf(why, len, "data file without its sidecar");
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, len, "the sidecar is not a regular file");
		goto out;
	}
	if (mfs_store_read(spath, SIDECAR_MAX_BYTES, &side, &sidelen, &err) != MFS_OK) {
		snprintf(why, len, "sidecar: %s", err.msg);
		goto out;
	}
	sc = calloc(1, sizeof(*sc)); /* large (the gap report) */
	if (!sc) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	if (mfs_sidecar_parse(side, sidelen, sc, &err) != MFS_OK) {
		snprintf(why, len, "sidecar does not parse: %s", err.msg);
		goto out;
	}
	if (strcmp(sc->symbol, symbol) != 0 || sc->tf != tf || sc->year != year) {
		snprintf(why, len, "the sidecar describes %s/%s/%d", sc->symbol,
			 mfs_tf_name(sc->tf) ? mfs_tf_name(sc->tf) : "?", sc->year);
		goto out;
	}
	if (mfs_store_read(dpath, MFS_CSV_MAX_BYTES, &data, &datalen, &err) != MFS_OK) {
		snprintf(why, len, "data file: %s", err.msg);
		goto out;
	}
	mfs_sha256_hex(data, datalen, sha);
	if (strcmp(sha, sc->sha256) != 0) {
		snprintf(why, len, "sha256 %.16s... differs from the sidecar's %.16s...", sha,
			 sc->sha256);
		goto out;
	}
	if (mfs_csvgz_decode(data, datalen, tf, &s, &adj, &err) != MFS_OK) {
		snprintf(why, len, "gzip/CSV: %s", err.msg);
		goto out;
	}
	if (s.n != sc->rows) {
		snprintf(why, len, "%zu rows, the sidecar says %zu", s.n, sc->rows);
		goto out;
	}
	good = true;
out:
	mfs_series_free(&s);
	free(sc);
	free(side);
	free(data);
	return good;
}

/*
 * Check a pair; a failure counts only if it repeats on the same files
 * (an install may be half done when we first look). *d, *s: the files
 * found bad.
 */
static bool check_pair(const char *dpath, const char *spath, const char *symbol, enum mfs_tf tf,
		       int year, char *why, size_t len, struct ident *d, struct ident *s)
{
	struct ident d0, s0;

	for (int look = 0; look < RECHECK_MAX; look++) {
		ident_of(dpath, &d0);
		ident_of(spath, &s0);
		if (check_pair_once(dpath, spath, symbol, tf, year, why, len))
			return true;
		ident_of(dpath, d);
		ident_of(spath, s);
		if (look > 0 && ident_eq(&d0, d) && ident_eq(&s0, s))
			return false; /* failed twice, nothing moved in between */
		sleep_ms(RECHECK_DELAY_MS);
	}
	return false;
}

/* ---- repair ------------------------------------------------------------ */

static int make_quarantine(struct verify *v)
{
	char base[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (v->qdir[0])
		return 0;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(base, sizeof(base), "%s/" QUARANTINE_DIR, v->root);
	if (mfs_mkdirs(base) < 0)
		return -1;
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(v->qdir, sizeof(v->qdir), "%s/%s", base, stamp);
		else
			snprintf(v->qdir, sizeof(v->qdir), "%s/%s.%d", base, stamp, i);
		if (mkdir(v->qdir, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	v->qdir[0] = '\0';
	return -1;
}

/* Move what exists of the pair (sidecar first) into the quarantine. */
static void quarantine(struct verify *v, const char *symbol, const char *sub, const char *paths[],
		       const struct ident ids[], unsigned n)
{
	char dir[PATH_MAX + 128];

	if (make_quarantine(v) < 0) {
		printf("  not moved: cannot create %s/" QUARANTINE_DIR "/...: %s\n", v->root,
		       strerror(errno));
		v->not_moved++;
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s/%s", v->qdir, symbol, sub);
	if (mfs_mkdirs(dir) < 0) {
		printf("  not moved: cannot create %s: %s\n", dir, strerror(errno));
		v->not_moved++;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct ident now;
		char dst[PATH_MAX * 2];
		const char *name = strrchr(paths[i], '/') + 1;

		if (!ids[i].exists)
			continue;
		ident_of(paths[i], &now);
		if (!ident_eq(&now, &ids[i])) {
			/* a new version arrived since we looked: not ours to move */
			printf("  not moved: %s changed meanwhile; run verify again\n", name);
			v->not_moved++;
			return;
		}
		snprintf(dst, sizeof(dst), "%s/%s", dir, name);
		if (rename(paths[i], dst) < 0) {
			printf("  not moved: %s: %s\n", name, strerror(errno));
			v->not_moved++;
			return;
		}
	}
	printf("  moved to %s/%s/%s/\n", v->qdir, symbol, sub);
	v->moved++;
}

/* ---- the walk ---------------------------------------------------------- */

static void verify_tf(struct verify *v, const char *symbol, enum mfs_tf tf)
{
	char dir[PATH_MAX];
	bool has_data[N_YEARS] = { false }, has_side[N_YEARS] = { false };
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/%s/%s", v->root, symbol, mfs_tf_name(tf));
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		int year, n = 0;
		if (de->d_name[0] == '.')
			continue; /* install temp files, and . and .. */
		if (sscanf(de->d_name, "%4d%n", &year, &n) != 1 || n != 4 ||
		    year < MFS_FIRST_YEAR || year > MFS_LAST_YEAR)
			continue;
		if (strcmp(de->d_name + 4, ".csv.gz") == 0)
			has_data[year - MFS_FIRST_YEAR] = true;
		else if (strcmp(de->d_name + 4, ".metadata.json") == 0)
			has_side[year - MFS_FIRST_YEAR] = true;
	}
	closedir(d);

	for (int i = 0; i < N_YEARS && !ctl_should_stop(v->x); i++) {
		int year = MFS_FIRST_YEAR + i;
		char dpath[PATH_MAX + 32], spath[PATH_MAX + 32], why[MFS_ERRMSG_MAX + 64];
		struct ident ids[2];

		if (!has_data[i] && !has_side[i])
			continue;
		snprintf(dpath, sizeof(dpath), "%s/%d.csv.gz", dir, year);
		snprintf(spath, sizeof(spath), "%s/%d.metadata.json", dir, year);
		v->pairs++;
		if (check_pair(dpath, spath, symbol, tf, year, why, sizeof(why), &ids[1], &ids[0])) {
			if (v->x->verbose)
				printf("ok %s/%s/%d.csv.gz\n", symbol, mfs_tf_name(tf), year);
			continue;
		}
		v->bad++;
		printf("BAD %s/%s/%d.%s: %s\n", symbol, mfs_tf_name(tf), year,
		       ids[1].exists ? "csv.gz" : "metadata.json", why);
		if (v->x->repair) {
			const char *paths[2] = { spath, dpath }; /* sidecar first */
			quarantine(v, symbol, mfs_tf_name(tf), paths, ids, 2);
		}
		fflush(stdout);
	}
}

static void verify_fundamentals(struct verify *v, const char *symbol)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/%s/fundamentals", v->root, symbol);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d)) && !ctl_should_stop(v->x)) {
		char path[PATH_MAX + 256];
		size_t nl = strlen(de->d_name);
		json_error_t jerr;
		json_t *o;
		struct ident id;

		if (de->d_name[0] == '.' || nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		v->snapshots++;
		ident_of(path, &id);
		if ((o = json_load_file(path, 0, &jerr))) {
			json_decref(o);
			continue;
		}
		if (!id.exists) /* replaced by a newer snapshot while we looked */
			continue;
		v->bad++;
		printf("BAD %s/fundamentals/%s: not JSON: line %d: %s\n", symbol, de->d_name,
		       jerr.line, jerr.text);
		if (v->x->repair) {
			const char *paths[1] = { path };
			quarantine(v, symbol, "fundamentals", paths, &id, 1);
		}
		fflush(stdout);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ctl_cmd_verify(struct ctl *x)
{
	struct verify v = { .x = x, .root = mfs_cache_root(x->cache) };
	DIR *d = opendir(v.root);
	struct dirent *de;
	char **syms = NULL;
	size_t n = 0, cap = 0;
	int ret = CTL_EXIT_FAILED;

	if (!d) {
		fprintf(stderr, "marketfs-ctl: verify: cannot open %s: %s\n", v.root, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX + 256];
		struct stat sb;
		if (de->d_name[0] == '.' || strcmp(de->d_name, "_metadata") == 0 ||
		    !mfs_symbol_valid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", v.root, de->d_name);
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **ns = realloc(syms, nc * sizeof(*ns));
			if (!ns)
				goto oom;
			syms = ns;
			cap = nc;
		}
		if (!(syms[n] = strdup(de->d_name)))
			goto oom;
		n++;
	}
	qsort(syms, n, sizeof(*syms), cmp_str);
	for (size_t i = 0; i < n && !ctl_should_stop(x); i++) {
		for (int tf = 0; tf < MFS_TF__COUNT; tf++)
			verify_tf(&v, syms[i], (enum mfs_tf)tf);
		verify_fundamentals(&v, syms[i]);
	}

	printf("verify: %s%u pairs and %u snapshots checked, %u bad",
	       atomic_load(x->interrupted) ? "interrupted; " : "", v.pairs, v.snapshots, v.bad);
	if (x->repair && v.moved)
		printf(", %u moved to %s", v.moved, v.qdir);
	if (v.not_moved)
		printf(", %u could not be moved", v.not_moved);
	printf("\n");
	ret = atomic_load(x->interrupted) ? CTL_EXIT_INTERRUPTED
	      : v.bad			  ? CTL_EXIT_FAILED
					  : CTL_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "marketfs-ctl: out of memory\n");
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(syms[i]);
	free(syms);
	return ret;
}
