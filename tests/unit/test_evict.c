/*
 * Unit tests for cache/evict.c: mfs_cache_evict() and mfs_cache_over_limit().
 *
 * Each test opens a cache on a fresh directory (never started: nothing
 * touches the network), writes fake year pairs straight into the tree
 * (eviction never verifies them), sets last_read through index.db, and
 * checks:
 *   - nothing goes while the cache is under its limit;
 *   - over the limit, the least recently read pairs go first, down to 80%
 *     of the limit, in the exact order reported through `each`;
 *   - never-read pairs (no row, or last_read 0) go before any read one,
 *     ties broken by the data file's mtime;
 *   - a watched (symbol, timeframe) is kept, another timeframe of the same
 *     symbol is not;
 *   - a pair the is_open hook calls open is kept;
 *   - a dry run removes nothing and reports what a real run then removes;
 *   - the report's fields, index rows (files, quality) forgotten;
 *   - sizes are disk blocks: a sparse file counts what it occupies;
 *     _metadata/ and dot-files do not count; fundamentals snapshots count
 *     but are never removed;
 *   - free_space_floor: unreachable (everything evictable goes) or reached
 *     with the fewest pairs;
 *   - a pair missing one half is evicted like a whole one.
 * Sizes are never assumed: every expectation is computed from lstat() of
 * the files written, so the tests hold on any file system.
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/limits.h>

#include "cache/cache_impl.h"
#include "cache/index.h"
#include "testutil.h"

#define DATA_BYTES 20000   /* a fake data file: several blocks on any file system */
#define SIDECAR_BYTES 300
#define MAX_REMOVED 64
#define BASE_TIME 1700000000 /* last_read values: seconds after this */

static char basedir[128], tmpdir[256];
static struct mfs_config cfg;
static struct mfs_cache *cache;

/* What `each` was told, in order. */
static char removed[MAX_REMOVED][64];
static uint64_t removed_bytes[MAX_REMOVED];
static unsigned n_removed;

/* ---- fixtures ------------------------------------------------------------ */

static void make_base(void)
{
	tu_tmpdir(basedir, sizeof(basedir), "/tmp/mfs_test_evict.");
}

static void remove_base(void)
{
	tu_rmtree(basedir);
}

static void set_key(const char *key, const char *value)
{
	struct mfs_error err = { 0 };

	ck_assert_msg(mfs_config_set(&cfg, "marketfs", key, value, &err) == MFS_OK,
		      "mfs_config_set %s = %s: %s", key, value, err.msg);
}

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "%s/t.", basedir);
	memset(&cfg, 0, sizeof(cfg));
	mfs_config_defaults(&cfg);
	set_key("cache_dir", tmpdir);
	cache = NULL;
	n_removed = 0;
}

static void teardown(void)
{
	mfs_cache_close(cache);
	cache = NULL;
	mfs_config_free(&cfg);
}

/* Open the cache (after any watch key is set: the cache keeps cfg). */
static void open_cache(void)
{
	struct mfs_error err = { 0 };

	cache = mfs_cache_open(&cfg, &err);
	ck_assert_msg(cache != NULL, "mfs_cache_open: %s", err.msg);
}

static void on_each(void *arg, const char *rel, uint64_t bytes)
{
	ck_assert_ptr_eq(arg, &n_removed);
	ck_assert_uint_lt(n_removed, MAX_REMOVED);
	snprintf(removed[n_removed], sizeof(removed[0]), "%s", rel);
	removed_bytes[n_removed++] = bytes;
}

/* ---- the fake tree --------------------------------------------------------- */

static void path_of(char *out, size_t len, const char *sym, const char *tf, int year,
		    bool data)
{
	snprintf(out, len, "%s/%s/%s/%04d.%s", tmpdir, sym, tf, year,
		 data ? "csv.gz" : "metadata.json");
}

static void mkdirs(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static void write_bytes(const char *path, size_t n, int64_t mtime)
{
	char *buf = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', n);
	tu_write(path, buf, n);
	free(buf);
	if (mtime) {
		struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

		ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
}

/* SYM/TF/YEAR.csv.gz and its sidecar; mtime 0: now. */
static void write_pair_at(const char *sym, const char *tf, int year, int64_t mtime)
{
	char dir[512], path[512];

	snprintf(dir, sizeof(dir), "%s/%s/%s", tmpdir, sym, tf);
	mkdirs(dir);
	path_of(path, sizeof(path), sym, tf, year, true);
	write_bytes(path, DATA_BYTES, mtime);
	path_of(path, sizeof(path), sym, tf, year, false);
	write_bytes(path, SIDECAR_BYTES, mtime);
}

static void write_pair(const char *sym, const char *tf, int year)
{
	write_pair_at(sym, tf, year, 0);
}

static uint64_t blocks_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return 0;
	return (uint64_t)sb.st_blocks * 512;
}

static uint64_t pair_bytes(const char *sym, const char *tf, int year)
{
	char path[512];
	uint64_t n;

	path_of(path, sizeof(path), sym, tf, year, true);
	n = blocks_of(path);
	path_of(path, sizeof(path), sym, tf, year, false);
	return n + blocks_of(path);
}

static bool data_exists(const char *sym, const char *tf, int year)
{
	char path[512];

	path_of(path, sizeof(path), sym, tf, year, true);
	return access(path, F_OK) == 0;
}

static bool sidecar_exists(const char *sym, const char *tf, int year)
{
	char path[512];

	path_of(path, sizeof(path), sym, tf, year, false);
	return access(path, F_OK) == 0;
}

/* A files row (as verification leaves it), read at BASE_TIME + t (t 0: never). */
static void set_read(const char *sym, const char *tf, int year, int64_t t)
{
	struct mfs_index_file f = { .size = DATA_BYTES, .mtime_ns = 1, .last_updated = 1 };
	enum mfs_tf e = mfs_tf_parse(tf);

	snprintf(f.sha256, sizeof(f.sha256), "%064d", 0);
	ck_assert_int_eq(mfs_index_put_file(cache->idx, sym, e, year, &f), 0);
	if (t)
		ck_assert_int_eq(mfs_index_touch(cache->idx, sym, e, year, BASE_TIME + t), 0);
}

static void sql(const char *text)
{
	char *msg = NULL;

	pthread_mutex_lock(mfs_index_lock(cache->idx));
	int rc = sqlite3_exec(mfs_index_db(cache->idx), text, NULL, NULL, &msg);
	pthread_mutex_unlock(mfs_index_lock(cache->idx));
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", text, msg ? msg : "");
	sqlite3_free(msg);
}

static int count_rows(const char *table, const char *sym, const char *tf, int year)
{
	char text[256];
	sqlite3_stmt *st;
	int n = -1;

	snprintf(text, sizeof(text),
		 "SELECT count(*) FROM %s WHERE symbol='%s' AND tf='%s' AND year=%d", table, sym,
		 tf, year);
	pthread_mutex_lock(mfs_index_lock(cache->idx));
	if (sqlite3_prepare_v2(mfs_index_db(cache->idx), text, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(mfs_index_lock(cache->idx));
	return n;
}

static void add_quality(const char *sym, const char *tf, int year)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "INSERT OR REPLACE INTO quality(symbol, tf, year, score) VALUES('%s','%s',%d,0.9)",
		 sym, tf, year);
	sql(text);
}

static struct mfs_evict_report run(bool dry_run)
{
	struct mfs_evict_report r;
	struct mfs_error err = { 0 };

	memset(&r, 0xAB, sizeof(r)); /* every field must be written */
	n_removed = 0;
	ck_assert_msg(mfs_cache_evict(cache, dry_run, &r, on_each, &n_removed, &err) == MFS_OK,
		      "mfs_cache_evict: %s", err.msg);
	return r;
}

static void check_removed(const char *const *want, unsigned n)
{
	ck_assert_uint_eq(n_removed, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(strcmp(removed[i], want[i]) == 0, "removed[%u] = %s, expected %s", i,
			      removed[i], want[i]);
}

/* ---- AAPL/1d/2010..2019, read in a shuffled order --------------------------- */

#define N_YEARS 10
/* last_read of AAPL/1d/(2010 + i), seconds after BASE_TIME: none equal */
static const int64_t read_at[N_YEARS] = { 50, 10, 90, 30, 70, 20, 100, 40, 80, 60 };
/* so the least recently read first: 2011 (10), 2015 (20), 2013 (30), 2017 (40), ... */

static uint64_t ten_pairs(void)
{
	uint64_t total = 0;

	for (int i = 0; i < N_YEARS; i++) {
		write_pair("AAPL", "1d", 2010 + i);
		set_read("AAPL", "1d", 2010 + i, read_at[i]);
		add_quality("AAPL", "1d", 2010 + i);
		total += pair_bytes("AAPL", "1d", 2010 + i);
	}
	return total;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(test_no_limit_no_eviction)
{
	struct mfs_evict_report r;
	uint64_t total;

	open_cache();
	total = ten_pairs();
	/* defaults: no limit, no floor */
	ck_assert_int_eq(cfg.cache_max_size, 0);
	ck_assert_int_eq(cfg.free_space_floor, 0);
	ck_assert(!mfs_cache_over_limit(cache));
	r = run(false);
	ck_assert_uint_eq(r.removed_files, 0);
	ck_assert_uint_eq(r.removed_bytes, 0);
	ck_assert_uint_eq(r.limit_bytes, 0);
	ck_assert_uint_eq(r.before_bytes, total);
	ck_assert_uint_eq(r.after_bytes, total);
	ck_assert_uint_eq(n_removed, 0);
	for (int i = 0; i < N_YEARS; i++)
		ck_assert(data_exists("AAPL", "1d", 2010 + i));
}
END_TEST

START_TEST(test_under_limit_nothing_evicted)
{
	struct mfs_evict_report r;
	uint64_t total;

	open_cache();
	total = ten_pairs();
	/* exactly at the limit is not over it */
	cfg.cache_max_size = (int64_t)total;
	ck_assert(!mfs_cache_over_limit(cache));
	r = run(false);
	ck_assert_uint_eq(r.removed_files, 0);
	ck_assert_uint_eq(r.before_bytes, total);
	ck_assert_uint_eq(r.after_bytes, total);
	ck_assert_uint_eq(r.limit_bytes, total);
	ck_assert_uint_eq(r.skipped_open, 0);
	ck_assert_uint_eq(r.skipped_watched, 0);
	for (int i = 0; i < N_YEARS; i++)
		ck_assert(data_exists("AAPL", "1d", 2010 + i));

	cfg.cache_max_size = (int64_t)total - 1;
	ck_assert(mfs_cache_over_limit(cache));
}
END_TEST

START_TEST(test_lru_order_down_to_low_water)
{
	static const char *const want[] = { "AAPL/1d/2011.csv.gz", "AAPL/1d/2015.csv.gz",
					    "AAPL/1d/2013.csv.gz" };
	struct mfs_evict_report r;
	uint64_t total, p, limit, target, gone = 0;
	struct statvfs vfs;

	open_cache();
	total = ten_pairs();
	p = pair_bytes("AAPL", "1d", 2010);
	ck_assert_uint_eq(total, N_YEARS * p); /* same sizes: the count below is exact */
	/* 9.5 pairs: over by half a pair; 80% of it is 7.6 pairs: three must go */
	limit = 9 * p + p / 2;
	target = (uint64_t)((double)limit * MFS_EVICT_LOW_WATER);
	cfg.cache_max_size = (int64_t)limit;
	ck_assert(mfs_cache_over_limit(cache));

	r = run(false);
	check_removed(want, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(removed_bytes[i], p);
		gone += removed_bytes[i];
	}
	ck_assert_uint_eq(r.limit_bytes, limit);
	ck_assert_uint_eq(r.target_bytes, target);
	ck_assert_uint_eq(r.before_bytes, total);
	ck_assert_uint_eq(r.removed_files, 3);
	ck_assert_uint_eq(r.removed_bytes, gone);
	ck_assert_uint_eq(r.after_bytes, total - gone);
	ck_assert_uint_le(r.after_bytes, target);
	ck_assert_uint_gt(r.after_bytes + p, target); /* not one pair more than needed */
	ck_assert_uint_eq(r.skipped_open, 0);
	ck_assert_uint_eq(r.skipped_watched, 0);
	ck_assert_int_eq(statvfs(tmpdir, &vfs), 0);
	ck_assert_uint_gt(r.free_before, 0);
	ck_assert_uint_gt(r.free_after, 0);

	/* both halves gone, and their index rows; the rest untouched */
	for (int y = 2010; y < 2010 + N_YEARS; y++) {
		bool gone_year = y == 2011 || y == 2015 || y == 2013;

		ck_assert_int_eq(data_exists("AAPL", "1d", y), !gone_year);
		ck_assert_int_eq(sidecar_exists("AAPL", "1d", y), !gone_year);
		ck_assert_int_eq(count_rows("files", "AAPL", "1d", y), !gone_year);
		ck_assert_int_eq(count_rows("quality", "AAPL", "1d", y), !gone_year);
	}
	ck_assert(!mfs_cache_over_limit(cache));

	/* a second run has nothing to do: under the limit (hysteresis) */
	r = run(false);
	ck_assert_uint_eq(r.removed_files, 0);
	ck_assert_uint_eq(r.before_bytes, total - gone);
}
END_TEST

START_TEST(test_never_read_first)
{
	static const char *const want[] = {
		"MSFT/1d/2001.csv.gz", /* no row, oldest mtime */
		"MSFT/1d/2003.csv.gz", /* a row with last_read 0 */
		"MSFT/1d/2002.csv.gz", /* no row, newest mtime */
		"MSFT/1d/2004.csv.gz", /* read, the earliest */
	};
	struct mfs_evict_report r;
	uint64_t total = 0, p;

	open_cache();
	write_pair_at("MSFT", "1d", 2001, BASE_TIME - 3000);
	write_pair_at("MSFT", "1d", 2002, BASE_TIME - 1000);
	write_pair_at("MSFT", "1d", 2003, BASE_TIME - 2000);
	set_read("MSFT", "1d", 2003, 0);
	for (int y = 2004; y <= 2010; y++) {
		/* read ones with the oldest mtimes: last_read wins over mtime */
		write_pair_at("MSFT", "1d", y, BASE_TIME - 100000 + y);
		set_read("MSFT", "1d", y, y - 2000);
	}
	for (int y = 2001; y <= 2010; y++)
		total += pair_bytes("MSFT", "1d", y);
	p = pair_bytes("MSFT", "1d", 2001);
	ck_assert_uint_eq(total, 10 * p);
	/* 8 pairs: 80% is 6.4 pairs, four must go */
	cfg.cache_max_size = (int64_t)(8 * p);
	r = run(false);
	check_removed(want, 4);
	ck_assert_uint_eq(r.removed_files, 4);
	ck_assert_uint_eq(r.after_bytes, 6 * p);
	ck_assert(!data_exists("MSFT", "1d", 2002));
	ck_assert(data_exists("MSFT", "1d", 2005));
}
END_TEST

START_TEST(test_watched_kept)
{
	static const char *const want[] = { "AAPL/1h/2020.csv.gz", "AAPL/1h/2021.csv.gz",
					    "MSFT/1d/2020.csv.gz", "MSFT/1d/2021.csv.gz" };
	struct mfs_evict_report r;
	uint64_t p;

	set_key("watch", "AAPL:1d BTCUSDT:1m");
	open_cache();
	/* the watched AAPL/1d is the least recently read of all */
	for (int y = 2020; y < 2024; y++) {
		write_pair("AAPL", "1d", y);
		set_read("AAPL", "1d", y, y - 2019);
	}
	for (int y = 2020; y < 2022; y++) {
		write_pair("AAPL", "1h", y);
		set_read("AAPL", "1h", y, 100 + y - 2019);
	}
	for (int y = 2020; y < 2024; y++) {
		write_pair("MSFT", "1d", y);
		set_read("MSFT", "1d", y, 200 + y - 2019);
	}
	p = pair_bytes("AAPL", "1d", 2020);
	/*
	 * 10 pairs, limit 8: 80% is 6.4 pairs, four must go. The four watched
	 * ones come first and are passed over; another timeframe of the same
	 * symbol (AAPL/1h) is not watched and goes.
	 */
	cfg.cache_max_size = (int64_t)(8 * p);
	r = run(false);
	check_removed(want, 4);
	ck_assert_uint_eq(r.skipped_watched, 4);
	ck_assert_uint_eq(r.skipped_open, 0);
	ck_assert_uint_eq(r.removed_files, 4);
	ck_assert_uint_eq(r.after_bytes, 6 * p);
	for (int y = 2020; y < 2024; y++)
		ck_assert(data_exists("AAPL", "1d", y) && sidecar_exists("AAPL", "1d", y));
	ck_assert(!data_exists("AAPL", "1h", 2020));
}
END_TEST

static bool fake_is_open(void *arg, const char *symbol, enum mfs_tf tf, int year)
{
	(void)arg;
	return strcmp(symbol, "AAPL") == 0 && tf == MFS_TF_1D && year == 2020;
}

START_TEST(test_open_file_kept)
{
	static const char *const want[] = { "AAPL/1d/2021.csv.gz", "AAPL/1d/2022.csv.gz",
					    "AAPL/1d/2023.csv.gz" };
	struct mfs_cache_hooks hooks = { .is_open = fake_is_open };
	struct mfs_evict_report r;
	uint64_t p;

	open_cache();
	mfs_cache_set_hooks(cache, &hooks, NULL);
	for (int y = 2020; y < 2030; y++) {
		write_pair("AAPL", "1d", y);
		set_read("AAPL", "1d", y, y - 2019); /* 2020 is the least recently read */
	}
	p = pair_bytes("AAPL", "1d", 2020);
	/* 10 pairs, limit 9.5: three must go (7.6), 2020 is open */
	cfg.cache_max_size = (int64_t)(9 * p + p / 2);
	r = run(false);
	ck_assert_uint_eq(r.skipped_open, 1);
	ck_assert_uint_eq(r.removed_files, 3);
	check_removed(want, 3);
	ck_assert(data_exists("AAPL", "1d", 2020));
	ck_assert(sidecar_exists("AAPL", "1d", 2020));
	ck_assert_int_eq(count_rows("files", "AAPL", "1d", 2020), 1);
}
END_TEST

START_TEST(test_dry_run)
{
	static const char *const want[] = { "AAPL/1d/2011.csv.gz", "AAPL/1d/2015.csv.gz",
					    "AAPL/1d/2013.csv.gz" };
	struct mfs_evict_report dry, real;
	uint64_t total, p;

	open_cache();
	total = ten_pairs();
	p = pair_bytes("AAPL", "1d", 2010);
	cfg.cache_max_size = (int64_t)(9 * p + p / 2);

	dry = run(true);
	check_removed(want, 3);
	ck_assert_uint_eq(dry.removed_files, 3);
	ck_assert_uint_eq(dry.removed_bytes, 3 * p);
	ck_assert_uint_eq(dry.before_bytes, total);
	ck_assert_uint_eq(dry.after_bytes, total - 3 * p);
	ck_assert_uint_eq(dry.free_after, dry.free_before + 3 * p);
	/* nothing removed, nothing forgotten */
	for (int i = 0; i < N_YEARS; i++) {
		ck_assert(data_exists("AAPL", "1d", 2010 + i));
		ck_assert(sidecar_exists("AAPL", "1d", 2010 + i));
		ck_assert_int_eq(count_rows("files", "AAPL", "1d", 2010 + i), 1);
		ck_assert_int_eq(count_rows("quality", "AAPL", "1d", 2010 + i), 1);
	}
	ck_assert(mfs_cache_over_limit(cache));

	/* the real run removes exactly what the dry run said */
	real = run(false);
	check_removed(want, 3);
	ck_assert_uint_eq(real.removed_files, dry.removed_files);
	ck_assert_uint_eq(real.removed_bytes, dry.removed_bytes);
	ck_assert_uint_eq(real.before_bytes, dry.before_bytes);
	ck_assert_uint_eq(real.after_bytes, dry.after_bytes);
	ck_assert_uint_eq(real.target_bytes, dry.target_bytes);
	ck_assert_uint_eq(real.limit_bytes, dry.limit_bytes);
}
END_TEST

START_TEST(test_sizes_by_blocks)
{
	char path[512], dir[512];
	struct mfs_evict_report r;
	uint64_t pairs, snap, sparse;
	int fd;

	open_cache();
	write_pair_at("AAPL", "1d", 2020, BASE_TIME);
	write_pair("AAPL", "1d", 2021);
	set_read("AAPL", "1d", 2021, 5);
	pairs = pair_bytes("AAPL", "1d", 2020) + pair_bytes("AAPL", "1d", 2021);

	/* a sparse data file: 1 GiB long, next to nothing on disk */
	path_of(path, sizeof(path), "AAPL", "1d", 2019, true);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1L << 30), 0);
	ck_assert_int_eq(close(fd), 0);
	{
		struct timespec ts[2] = { { BASE_TIME - 10, 0 }, { BASE_TIME - 10, 0 } };

		ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0); /* older than 2020 */
	}
	sparse = blocks_of(path);
	ck_assert_uint_lt(sparse, 1 << 20);

	/* a fundamentals snapshot: counted, never removed */
	snprintf(dir, sizeof(dir), "%s/AAPL/fundamentals", tmpdir);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/fmp_20250106_143022.json", dir);
	write_bytes(path, DATA_BYTES, 0);
	snap = blocks_of(path);
	ck_assert_uint_gt(snap, 0);

	/* not counted: _metadata/, dot-files (install temps, rsync's), anything under them */
	snprintf(path, sizeof(path), "%s/_metadata/big", tmpdir);
	write_bytes(path, 4 * DATA_BYTES, 0);
	snprintf(path, sizeof(path), "%s/AAPL/1d/.2022.csv.gz.tmp.Ab12Cd", tmpdir);
	write_bytes(path, 4 * DATA_BYTES, 0);
	snprintf(dir, sizeof(dir), "%s/.rsync-partial", tmpdir);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/.rsync-partial/x", tmpdir);
	write_bytes(path, 4 * DATA_BYTES, 0);

	/* a limit of one byte: every pair goes, the snapshot and the dot-files stay */
	cfg.cache_max_size = 1;
	r = run(false);
	ck_assert_uint_eq(r.before_bytes, pairs + sparse + snap);
	ck_assert_uint_eq(r.removed_files, 3);
	ck_assert_uint_eq(r.removed_bytes, pairs + sparse);
	ck_assert_uint_eq(r.after_bytes, snap);
	ck_assert_uint_eq(r.target_bytes, 0);
	ck_assert_str_eq(removed[0], "AAPL/1d/2019.csv.gz"); /* no sidecar, no row, oldest */
	ck_assert_str_eq(removed[1], "AAPL/1d/2020.csv.gz");
	ck_assert_str_eq(removed[2], "AAPL/1d/2021.csv.gz");
	ck_assert_uint_eq(removed_bytes[0], sparse);
	ck_assert(access(path, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/AAPL/fundamentals/fmp_20250106_143022.json", tmpdir);
	ck_assert(access(path, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/AAPL/1d/.2022.csv.gz.tmp.Ab12Cd", tmpdir);
	ck_assert(access(path, F_OK) == 0);
	/* still over (the snapshot): over_limit says so, and a run finds nothing to remove */
	ck_assert(mfs_cache_over_limit(cache));
	r = run(false);
	ck_assert_uint_eq(r.removed_files, 0);
	ck_assert_uint_eq(r.before_bytes, snap);
}
END_TEST

START_TEST(test_orphan_halves)
{
	char path[512];
	struct mfs_evict_report r;
	uint64_t p;

	open_cache();
	write_pair("ETHBTC", "1h", 2022);
	set_read("ETHBTC", "1h", 2022, 50);
	write_pair("ETHBTC", "1h", 2023);
	set_read("ETHBTC", "1h", 2023, 60);
	p = pair_bytes("ETHBTC", "1h", 2022);
	/* a sidecar without its data file (a crash between the two unlinks) */
	path_of(path, sizeof(path), "ETHBTC", "1h", 2020, false);
	write_bytes(path, SIDECAR_BYTES, 0);
	/* a data file without its sidecar (a crash between the two renames) */
	path_of(path, sizeof(path), "ETHBTC", "1h", 2021, true);
	write_bytes(path, DATA_BYTES, 0);
	/* not year files: counted, never candidates */
	snprintf(path, sizeof(path), "%s/ETHBTC/1h/notes.txt", tmpdir);
	write_bytes(path, SIDECAR_BYTES, 0);
	snprintf(path, sizeof(path), "%s/ETHBTC/1h/20221.csv.gz", tmpdir);
	write_bytes(path, SIDECAR_BYTES, 0);

	cfg.cache_max_size = 1;
	r = run(true);
	ck_assert_uint_eq(r.removed_files, 4);
	ck_assert_str_eq(removed[2], "ETHBTC/1h/2022.csv.gz");
	ck_assert_str_eq(removed[3], "ETHBTC/1h/2023.csv.gz");
	ck_assert_uint_eq(removed_bytes[2], p);
	r = run(false);
	ck_assert_uint_eq(r.removed_files, 4);
	ck_assert(!sidecar_exists("ETHBTC", "1h", 2020));
	ck_assert(!data_exists("ETHBTC", "1h", 2021));
	ck_assert(access(path, F_OK) == 0);
	ck_assert_uint_eq(r.after_bytes, 2 * blocks_of(path));
}
END_TEST

START_TEST(test_free_space_floor_unreachable)
{
	struct mfs_cache_hooks hooks = { .is_open = fake_is_open };
	struct mfs_evict_report r;

	set_key("watch", "AAPL:1h");
	open_cache();
	mfs_cache_set_hooks(cache, &hooks, NULL);
	write_pair("AAPL", "1d", 2020); /* open */
	write_pair("AAPL", "1d", 2021);
	write_pair("AAPL", "1h", 2021); /* watched */
	write_pair("MSFT", "1d", 2021);
	/* more free space than any disk has: everything that may go goes */
	set_key("free_space_floor", "8000000T");
	ck_assert(mfs_cache_over_limit(cache));
	r = run(false);
	ck_assert_uint_eq(r.limit_bytes, 0);
	ck_assert_uint_eq(r.target_bytes, 0);
	ck_assert_uint_eq(r.removed_files, 2);
	ck_assert_uint_eq(r.skipped_open, 1);
	ck_assert_uint_eq(r.skipped_watched, 1);
	ck_assert(data_exists("AAPL", "1d", 2020));
	ck_assert(data_exists("AAPL", "1h", 2021));
	ck_assert(!data_exists("AAPL", "1d", 2021));
	ck_assert(!data_exists("MSFT", "1d", 2021));

	/* a floor of one byte is always met */
	set_key("free_space_floor", "1");
	ck_assert(!mfs_cache_over_limit(cache));
}
END_TEST

START_TEST(test_free_space_floor_fewest)
{
	struct mfs_evict_report r;
	struct statvfs vfs;
	uint64_t p, free_now, missing;

	open_cache();
	ten_pairs();
	p = pair_bytes("AAPL", "1d", 2010);
	ck_assert_int_eq(statvfs(tmpdir, &vfs), 0);
	free_now = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	/* two and a half pairs short (other processes may move it a little) */
	cfg.free_space_floor = (int64_t)(free_now + 2 * p + p / 2);
	r = run(true);
	ck_assert_uint_eq(r.limit_bytes, 0);
	ck_assert_uint_lt(r.free_before, (uint64_t)cfg.free_space_floor);
	missing = (uint64_t)cfg.free_space_floor - r.free_before;
	/* enough bytes, and not one pair more than enough */
	ck_assert_uint_ge(r.removed_bytes, missing);
	ck_assert_uint_lt(r.removed_bytes - p, missing);
	ck_assert_uint_eq(r.target_bytes, r.before_bytes - missing);
	ck_assert_str_eq(removed[0], "AAPL/1d/2011.csv.gz");
}
END_TEST

START_TEST(test_null_report_and_callback)
{
	struct mfs_error err = { 0 };

	open_cache();
	write_pair("AAPL", "1d", 2020);
	cfg.cache_max_size = 1;
	ck_assert_int_eq(mfs_cache_evict(cache, false, NULL, NULL, NULL, &err), MFS_OK);
	ck_assert(!data_exists("AAPL", "1d", 2020));
	/* an empty cache */
	ck_assert_int_eq(mfs_cache_evict(cache, false, NULL, NULL, NULL, NULL), MFS_OK);
	ck_assert(!mfs_cache_over_limit(cache));
}
END_TEST

/* Regression: re-installing a file (a refresh) keeps when it was last read. */
START_TEST(test_reinstall_keeps_last_read)
{
	struct mfs_index_file f = { .size = 1, .mtime_ns = 1, .sha256 = "", .last_updated = 1 };
	sqlite3_stmt *st;
	int64_t got = -1;

	open_cache();
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "AAPL", MFS_TF_1D, 2020, &f), 0);
	ck_assert_int_eq(mfs_index_touch(cache->idx, "AAPL", MFS_TF_1D, 2020, BASE_TIME + 5), 0);
	f.size = 2; /* a refresh installs a new version */
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "AAPL", MFS_TF_1D, 2020, &f), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(mfs_index_db(cache->idx),
					    "SELECT last_read FROM files WHERE symbol='AAPL'", -1, &st,
					    NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		got = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	ck_assert_int_eq(got, BASE_TIME + 5);
}
END_TEST


static Suite *evict_suite(void)
{
	Suite *s = suite_create("evict");
	TCase *tc = tcase_create("evict");

	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_limit_no_eviction);
	tcase_add_test(tc, test_under_limit_nothing_evicted);
	tcase_add_test(tc, test_lru_order_down_to_low_water);
	tcase_add_test(tc, test_never_read_first);
	tcase_add_test(tc, test_watched_kept);
	tcase_add_test(tc, test_open_file_kept);
	tcase_add_test(tc, test_dry_run);
	tcase_add_test(tc, test_sizes_by_blocks);
	tcase_add_test(tc, test_orphan_halves);
	tcase_add_test(tc, test_free_space_floor_unreachable);
	tcase_add_test(tc, test_free_space_floor_fewest);
	tcase_add_test(tc, test_null_report_and_callback);
	tcase_add_test(tc, test_reinstall_keeps_last_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(evict_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
