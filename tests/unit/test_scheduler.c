/*
 * Unit tests for the scheduler (cache/scheduler.c):
 *   - when maintenance runs are due: the most recent and the next
 *     scheduled time per class, NYSE trading days only for stocks (a
 *     weekend or a holiday goes back to the trading day before), every day
 *     for crypto, 17:00 New York as 21:00Z in summer and 22:00Z in winter,
 *     across both DST changes, custom minutes, run names;
 *   - what a stored row means (new run, resume at step k, nothing);
 *   - the maintenance table: rows written step by step survive closing and
 *     reopening index.db, a resumed run starts at its first unfinished
 *     step and does not redo finished ones, only the newest missed run of
 *     a class is picked;
 *   - the steps against a real cache: the refresh step's file list
 *     (watched + recently read, per class), fundamentals freshness, the
 *     bulk note, eviction within limits;
 *   - the watch list as files (symbols x timeframes x year), and those no
 *     enabled provider serves left out;
 *   - the thread: a missed run caught up at start and not run again at
 *     the next start, maintenance = false, a failing watched file retried
 *     later (not in a loop), and a prompt stop.
 * Offline: every provider points at http://127.0.0.1:1, so fetches fail
 * at once; times are passed explicitly wherever the code allows it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/http.h>

#include "cache/cache_impl.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define H 3600
#define MIN_1700 (17 * 60)
#define MIN_0005 5

static char basedir[128], tmpdir[256];
static struct mfs_config cfg;
static struct mfs_cache *cache;

static int64_t dn(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d);
}

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm)
{
	return dn(y, m, d) * DAY + hh * H + mm * 60;
}

/* ---- fixtures ------------------------------------------------------------ */

static void set(const char *section, const char *key, const char *value)
{
	struct mfs_error err = { 0 };

	ck_assert_msg(mfs_config_set(&cfg, section, key, value, &err) == MFS_OK,
		      "mfs_config_set [%s] %s = %s: %s", section, key, value, err.msg);
}

/* A config with a new cache directory and every provider unreachable. */
static void setup(void)
{
	tu_tmpdir(basedir, sizeof(basedir), "/tmp/mfs_test_scheduler.");
	snprintf(tmpdir, sizeof(tmpdir), "%s/cache", basedir);
	ck_assert_int_eq(mkdir(tmpdir, 0755), 0);
	memset(&cfg, 0, sizeof(cfg));
	mfs_config_defaults(&cfg);
	set("marketfs", "cache_dir", tmpdir);
	set("marketfs", "fetch_timeout", "20");
	for (int p = 0; p < MFS_PROV__COUNT; p++) {
		char section[64];
		if (p == MFS_PROV_MIRROR)
			continue; /* a configured mirror would serve everything */
		snprintf(section, sizeof(section), "provider.%s",
			 mfs_provider_name((enum mfs_provider_id)p));
		set(section, "base_url", "http://127.0.0.1:1");
	}
	cache = NULL;
}

static void teardown(void)
{
	mfs_cache_close(cache);
	cache = NULL;
	mfs_config_free(&cfg);
	tu_rmtree(basedir);
}

static void open_cache(void)
{
	struct mfs_error err = { 0 };

	cache = mfs_cache_open(&cfg, &err);
	ck_assert_msg(cache != NULL, "mfs_cache_open: %s", err.msg);
}

static void reopen_cache(void)
{
	mfs_cache_close(cache);
	cache = NULL;
	open_cache();
}

static unsigned count_lines(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- when runs are due --------------------------------------------------- */

START_TEST(test_names)
{
	char run[MFS_MAINT_RUN_MAX];

	ck_assert_str_eq(mfs_maint_class_name(MFS_MAINT_STOCK), "stock");
	ck_assert_str_eq(mfs_maint_class_name(MFS_MAINT_CRYPTO), "crypto");
	ck_assert_str_eq(mfs_maint_step_name(MFS_MAINT_STEP_REFRESH), "refresh");
	ck_assert_str_eq(mfs_maint_step_name(MFS_MAINT_STEP_FUNDAMENTALS), "fundamentals");
	ck_assert_str_eq(mfs_maint_step_name(MFS_MAINT_STEP_BULK), "bulk");
	ck_assert_str_eq(mfs_maint_step_name(MFS_MAINT_STEP_EVICT), "evict");
	ck_assert_str_eq(mfs_maint_step_name(9), "unknown");
	ck_assert_int_eq(mfs_maint_class_of(MFS_CLASS_STOCK), MFS_MAINT_STOCK);
	ck_assert_int_eq(mfs_maint_class_of(MFS_CLASS_INDEX), MFS_MAINT_STOCK);
	ck_assert_int_eq(mfs_maint_class_of(MFS_CLASS_FOREX), MFS_MAINT_STOCK);
	ck_assert_int_eq(mfs_maint_class_of(MFS_CLASS_FUTURES), MFS_MAINT_STOCK);
	ck_assert_int_eq(mfs_maint_class_of(MFS_CLASS_CRYPTO), MFS_MAINT_CRYPTO);
	mfs_maint_run_name(MFS_MAINT_STOCK, dn(2026, 11, 20), run, sizeof(run));
	ck_assert_str_eq(run, "stock/2026-11-20");
	mfs_maint_run_name(MFS_MAINT_CRYPTO, dn(2027, 1, 3), run, sizeof(run));
	ck_assert_str_eq(run, "crypto/2027-01-03");
}
END_TEST

START_TEST(test_stock_dst)
{
	int64_t day = 0;

	/* summer (EDT): 17:00 New York is 21:00Z */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 7, 15, 22, 0), &day),
			 utc(2026, 7, 15, 21, 0));
	ck_assert_int_eq(day, dn(2026, 7, 15));
	/* a minute before: the day before */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 7, 15, 20, 59), &day),
			 utc(2026, 7, 14, 21, 0));
	ck_assert_int_eq(day, dn(2026, 7, 14));
	/* at the very second: that run */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 7, 15, 21, 0), &day),
			 utc(2026, 7, 15, 21, 0));
	/* winter (EST): 22:00Z */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 20, 23, 0), &day),
			 utc(2026, 11, 20, 22, 0));
	ck_assert_int_eq(day, dn(2026, 11, 20));
	/* early hours UTC are still the previous New York evening */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 19, 3, 0), &day),
			 utc(2026, 11, 18, 22, 0));
	ck_assert_int_eq(day, dn(2026, 11, 18));
	/* the weekend DST ends (Nov 1): Friday in EDT, Monday in EST */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 1, 12, 0), &day),
			 utc(2026, 10, 30, 21, 0));
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 1, 12, 0), &day),
			 utc(2026, 11, 2, 22, 0));
	ck_assert_int_eq(day, dn(2026, 11, 2));
	/* the weekend DST starts (Mar 8): Friday in EST, Monday in EDT */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 3, 9, 21, 30), &day),
			 utc(2026, 3, 9, 21, 0));
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 3, 9, 20, 30), &day),
			 utc(2026, 3, 6, 22, 0));
	ck_assert_int_eq(day, dn(2026, 3, 6));
	/* another minute of the day: 18:30 New York */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, 18 * 60 + 30, utc(2026, 7, 16, 0, 0), &day),
			 utc(2026, 7, 15, 22, 30));
}
END_TEST

START_TEST(test_stock_weekend_holiday)
{
	int64_t day = 0;

	/* Saturday and Sunday: Friday's run */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 21, 15, 0), &day),
			 utc(2026, 11, 20, 22, 0));
	ck_assert_int_eq(day, dn(2026, 11, 20));
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 22, 23, 0), &day),
			 utc(2026, 11, 20, 22, 0));
	/* Thanksgiving (Thu Nov 26): Wednesday's */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 26, 23, 0), &day),
			 utc(2026, 11, 25, 22, 0));
	ck_assert_int_eq(day, dn(2026, 11, 25));
	/* the early close the day after counts as a trading day */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 27, 23, 0), &day),
			 utc(2026, 11, 27, 22, 0));
	/* Good Friday (Apr 3) and its weekend: Thursday's, in EDT */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 4, 4, 12, 0), &day),
			 utc(2026, 4, 2, 21, 0));
	ck_assert_int_eq(day, dn(2026, 4, 2));
	/* next: Friday evening -> Monday; before Thanksgiving -> Friday */
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 20, 22, 0), &day),
			 utc(2026, 11, 23, 22, 0));
	ck_assert_int_eq(day, dn(2026, 11, 23));
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 25, 23, 0), &day),
			 utc(2026, 11, 27, 22, 0));
	/* Christmas 2026 is a Friday: Thursday Dec 24 (early close), then Monday */
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 12, 24, 23, 0), &day),
			 utc(2026, 12, 28, 22, 0));
	/* at 16:59 on a trading day the next run is that day's */
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_STOCK, MIN_1700, utc(2026, 11, 20, 21, 59), &day),
			 utc(2026, 11, 20, 22, 0));
}
END_TEST

START_TEST(test_crypto)
{
	int64_t day = 0;

	/* 00:05 UTC every day, for the UTC day that ended */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_CRYPTO, MIN_0005, utc(2026, 11, 21, 0, 5), &day),
			 utc(2026, 11, 21, 0, 5));
	ck_assert_int_eq(day, dn(2026, 11, 20));
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_CRYPTO, MIN_0005, utc(2026, 11, 21, 0, 4), &day),
			 utc(2026, 11, 20, 0, 5));
	ck_assert_int_eq(day, dn(2026, 11, 19));
	/* weekends and holidays alike; no DST */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_CRYPTO, MIN_0005, utc(2026, 11, 22, 18, 0), &day),
			 utc(2026, 11, 22, 0, 5));
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_CRYPTO, MIN_0005, utc(2026, 7, 4, 18, 0), &day),
			 utc(2026, 7, 4, 0, 5));
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_CRYPTO, MIN_0005, utc(2026, 11, 21, 0, 5), &day),
			 utc(2026, 11, 22, 0, 5));
	ck_assert_int_eq(day, dn(2026, 11, 21));
	ck_assert_int_eq(mfs_maint_next_time(MFS_MAINT_CRYPTO, MIN_0005, utc(2026, 12, 31, 23, 0), &day),
			 utc(2027, 1, 1, 0, 5));
	ck_assert_int_eq(day, dn(2026, 12, 31));
	/* another minute */
	ck_assert_int_eq(mfs_maint_last_time(MFS_MAINT_CRYPTO, 90, utc(2026, 11, 21, 1, 0), &day),
			 utc(2026, 11, 20, 1, 30));
}
END_TEST

START_TEST(test_decide)
{
	struct mfs_maint_row row = { 0 };
	int first = -1;

	ck_assert_int_eq(mfs_maint_decide(NULL, &first), MFS_MAINT_NEW);
	ck_assert_int_eq(first, MFS_MAINT_STEP_REFRESH);
	row.step = 0; /* begun, no step done: a crash in step 1 */
	ck_assert_int_eq(mfs_maint_decide(&row, &first), MFS_MAINT_RESUME);
	ck_assert_int_eq(first, 1);
	row.step = 2;
	ck_assert_int_eq(mfs_maint_decide(&row, &first), MFS_MAINT_RESUME);
	ck_assert_int_eq(first, 3);
	row.step = 3;
	ck_assert_int_eq(mfs_maint_decide(&row, &first), MFS_MAINT_RESUME);
	ck_assert_int_eq(first, 4);
	row.step = MFS_MAINT_STEP_LAST;
	ck_assert_int_eq(mfs_maint_decide(&row, &first), MFS_MAINT_NONE);
	ck_assert_int_eq(first, 0);
}
END_TEST

START_TEST(test_watch_expand)
{
	struct mfs_sched_file f[32];
	unsigned n;

	set("marketfs", "watch", "AAPL:1d,1h BTCUSDT:1m SPY AAPL:1d,1w");
	n = mfs_sched_watch_expand(&cfg, 2026, f, 32);
	/* AAPL 1h 1d 1w, BTCUSDT 1m, SPY 1d: AAPL:1d once */
	ck_assert_uint_eq(n, 5);
	unsigned aapl = 0;
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(f[i].year, 2026);
		aapl += strcmp(f[i].symbol, "AAPL") == 0;
	}
	ck_assert_uint_eq(aapl, 3);
	ck_assert_str_eq(f[3].symbol, "BTCUSDT");
	ck_assert_int_eq(f[3].tf, MFS_TF_1M);
	ck_assert_str_eq(f[4].symbol, "SPY");
	ck_assert_int_eq(f[4].tf, MFS_TF_1D);
	/* too small a buffer: the count, and no overrun */
	ck_assert_uint_eq(mfs_sched_watch_expand(&cfg, 2026, f, 2), 5);
	/* nothing watched */
	set("marketfs", "watch", "");
	ck_assert_uint_eq(mfs_sched_watch_expand(&cfg, 2026, f, 32), 0);
}
END_TEST

START_TEST(test_watch_servable)
{
	struct mfs_sched_file f[32];
	unsigned n;
	int year = mfs_year_of(mfs_wall_now());

	set("marketfs", "watch", "AAPL:1d,1h BTCUSDT:1m,1d");
	set("provider.yahoo", "enabled", "false");
	open_cache();
	n = mfs_sched_watch_expand(&cfg, year, f, 32);
	ck_assert_uint_eq(n, 4);
	/* no provider serves AAPL with Yahoo off: only BTCUSDT is kept */
	n = mfs_sched_watch_servable(cache, f, n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].symbol, "BTCUSDT");
	ck_assert_str_eq(f[1].symbol, "BTCUSDT");
}
END_TEST

/* ---- the maintenance table ----------------------------------------------- */

START_TEST(test_table_resume_after_reopen)
{
	struct mfs_maint_plan p;
	struct mfs_maint_row row;
	int64_t now = utc(2026, 11, 20, 23, 0);

	open_cache();
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now, &p), 0);
	ck_assert_str_eq(p.run, "stock/2026-11-20");
	ck_assert_int_eq(p.action, MFS_MAINT_NEW);
	ck_assert_int_eq(p.first_step, 1);
	ck_assert_int_eq(p.scheduled, utc(2026, 11, 20, 22, 0));
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 0);

	ck_assert_int_eq(mfs_maint_begin(cache->idx, &p, now), 0);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 1, "12 files", now + 60), 0);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 2, "3 symbols", now + 120), 0);

	/* index.db closed and opened again (a restart) */
	reopen_cache();
	ck_assert_int_eq(mfs_maint_get(cache->idx, "stock/2026-11-20", &row), 1);
	ck_assert_int_eq(row.step, 2);
	ck_assert_int_eq(row.mc, MFS_MAINT_STOCK);
	ck_assert_int_eq(row.started, now);
	ck_assert_int_eq(row.finished, 0);
	ck_assert_int_eq(row.scheduled, utc(2026, 11, 20, 22, 0));
	ck_assert_str_eq(row.note, "1 refresh: 12 files\n2 fundamentals: 3 symbols");
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now + 600, &p), 0);
	ck_assert_int_eq(p.action, MFS_MAINT_RESUME);
	ck_assert_int_eq(p.first_step, 3);
	/* the other class is untouched */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_CRYPTO, MIN_0005, now + 600, &p), 0);
	ck_assert_str_eq(p.run, "crypto/2026-11-19");
	ck_assert_int_eq(p.action, MFS_MAINT_NEW);

	/* a begin of the resumed run keeps its row */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now + 600, &p), 0);
	ck_assert_int_eq(mfs_maint_begin(cache->idx, &p, now + 600), 0);
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 1);
	ck_assert_int_eq(row.step, 2);
	ck_assert_int_eq(row.started, now);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 3, "bulk", now + 700), 0);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 4, "evict", now + 800), 0);
	reopen_cache();
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 1);
	ck_assert_int_eq(row.step, 4);
	ck_assert_int_eq(row.finished, now + 800);
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now + 900, &p), 0);
	ck_assert_int_eq(p.action, MFS_MAINT_NONE);
	/* the weekend: still Friday's run, done */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700,
					utc(2026, 11, 22, 12, 0), &p), 0);
	ck_assert_int_eq(p.action, MFS_MAINT_NONE);
	/* Monday evening: a new run */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700,
					utc(2026, 11, 23, 22, 0), &p), 0);
	ck_assert_str_eq(p.run, "stock/2026-11-23");
	ck_assert_int_eq(p.action, MFS_MAINT_NEW);
	/* a step of an unknown run is an error */
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, "stock/1999-01-04", 1, "x", now), -1);
}
END_TEST

START_TEST(test_table_only_newest_missed)
{
	struct mfs_maint_plan p;
	struct mfs_maint_row row;

	open_cache();
	/* Monday's run stopped after step 1; the daemon was down until Thursday night */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700,
					utc(2026, 11, 16, 23, 0), &p), 0);
	ck_assert_int_eq(mfs_maint_begin(cache->idx, &p, utc(2026, 11, 16, 23, 0)), 0);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 1, "x", utc(2026, 11, 16, 23, 1)),
			 0);
	reopen_cache();
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700,
					utc(2026, 11, 19, 23, 30), &p), 0);
	ck_assert_str_eq(p.run, "stock/2026-11-19");
	ck_assert_int_eq(p.action, MFS_MAINT_NEW);
	ck_assert_int_eq(p.first_step, 1);
	/* latest is by scheduled time */
	ck_assert_int_eq(mfs_maint_begin(cache->idx, &p, utc(2026, 11, 19, 23, 30)), 0);
	ck_assert_int_eq(mfs_maint_latest(cache->idx, MFS_MAINT_STOCK, &row), 1);
	ck_assert_str_eq(row.run, "stock/2026-11-19");
	ck_assert_int_eq(mfs_maint_latest(cache->idx, MFS_MAINT_CRYPTO, &row), 0);
	/* Thursday morning, before the close: Wednesday's run is the one due */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700,
					utc(2026, 11, 19, 14, 0), &p), 0);
	ck_assert_str_eq(p.run, "stock/2026-11-18");
}
END_TEST

/* ---- the steps against a cache ------------------------------------------ */

START_TEST(test_run_resumes_at_first_unfinished_step)
{
	struct mfs_maint_plan p;
	struct mfs_maint_row row;
	int64_t now = utc(2026, 11, 21, 3, 0);

	open_cache();
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_CRYPTO, MIN_0005, now, &p), 0);
	ck_assert_str_eq(p.run, "crypto/2026-11-20");
	ck_assert_int_eq(mfs_maint_begin(cache->idx, &p, now), 0);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 1, "7 files", now + 1), 0);
	ck_assert_int_eq(mfs_maint_step_done(cache->idx, p.run, 2, "none", now + 2), 0);
	reopen_cache(); /* killed after step 2 */

	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_CRYPTO, MIN_0005, now + 60, &p), 0);
	ck_assert_int_eq(p.action, MFS_MAINT_RESUME);
	ck_assert_int_eq(p.first_step, 3);
	ck_assert_int_eq(mfs_maint_run(cache, &p, now + 60), MFS_OK);
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 1);
	ck_assert_int_eq(row.step, MFS_MAINT_STEP_LAST);
	ck_assert_int_ne(row.finished, 0);
	ck_assert_int_eq(row.started, now);
	/* steps 1 and 2 were not redone; 3 and 4 were recorded once */
	ck_assert_uint_eq(count_lines(row.note, "refresh:"), 1);
	ck_assert_uint_eq(count_lines(row.note, "fundamentals:"), 1);
	ck_assert_ptr_nonnull(strstr(row.note, "1 refresh: 7 files"));
	ck_assert_ptr_nonnull(strstr(row.note, "3 bulk: no bulk provider configured"));
	ck_assert_ptr_nonnull(strstr(row.note, "4 evict: within the limits"));
	/* nothing more to do */
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_CRYPTO, MIN_0005, now + 120, &p), 0);
	ck_assert_int_eq(p.action, MFS_MAINT_NONE);
	ck_assert_int_eq(mfs_maint_run(cache, &p, now + 120), MFS_OK);
}
END_TEST

static void write_snapshot(const char *symbol, int64_t t)
{
	char dir[512], path[700];
	int y;
	unsigned mo, d;
	int64_t sod = t % DAY;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, symbol);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/%s/fundamentals", tmpdir, symbol);
	mkdir(dir, 0755);
	mfs_civil_from_days(t / DAY, &y, &mo, &d);
	snprintf(path, sizeof(path), "%s/yahoo_%04d%02u%02u_%02d%02d%02d.json", dir, y, mo, d,
		 (int)(sod / H), (int)(sod / 60 % 60), (int)(sod % 60));
	tu_write_text(path, "{\"symbol\":\"X\"}\n");
}

START_TEST(test_run_new_stock_run)
{
	struct mfs_maint_plan p;
	struct mfs_maint_row row;
	int64_t now = utc(2026, 11, 20, 22, 30);

	/* fundamentals fresh at `now` for AAPL; BTCUSDT's directory is not a stock's */
	write_snapshot("AAPL", now - H);
	write_snapshot("BTCUSDT", now - 30 * DAY);
	open_cache();
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now, &p), 0);
	ck_assert_int_eq(p.action, MFS_MAINT_NEW);
	ck_assert_int_eq(mfs_maint_run(cache, &p, now), MFS_OK);
	ck_assert_int_eq(mfs_maint_get(cache->idx, "stock/2026-11-20", &row), 1);
	ck_assert_int_eq(row.step, 4);
	ck_assert_int_eq(row.started, now);
	ck_assert_str_eq(row.note,
			 "1 refresh: 0 files: 0 refreshed, 0 already fresh, 0 failed\n"
			 "2 fundamentals: 1 symbols: 0 stale, 0 refreshed, 0 failed\n"
			 "3 bulk: no bulk provider configured\n"
			 "4 evict: within the limits");
}
END_TEST

/*
 * The refresh step's files: the class's watched current-year files and
 * its recently read, not final ones; a watched absent file is fetched, a
 * recently read one that is no longer cached is not. Fetches fail here.
 */
START_TEST(test_refresh_step_files)
{
	struct mfs_maint_plan p;
	struct mfs_maint_row row;
	struct mfs_error err = { 0 };
	int64_t now = mfs_wall_now();
	int year = mfs_year_of(now);
	struct mfs_index_file f = { .size = 1, .stale_after = now + DAY };

	set("marketfs", "watch", "AAPL:1d BTCUSDT:1d");
	open_cache();
	ck_assert_int_eq(mfs_cache_start_workers(cache, &err), MFS_OK);
	/* read yesterday: listed; read ten days ago, final, or crypto: not */
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "MSFT", MFS_TF_1D, year, &f), 0);
	ck_assert_int_eq(mfs_index_touch(cache->idx, "MSFT", MFS_TF_1D, year, now - DAY), 0);
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "IBM", MFS_TF_1D, year, &f), 0);
	ck_assert_int_eq(mfs_index_touch(cache->idx, "IBM", MFS_TF_1D, year, now - 10 * DAY), 0);
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "ETHUSDT", MFS_TF_1H, year, &f), 0);
	ck_assert_int_eq(mfs_index_touch(cache->idx, "ETHUSDT", MFS_TF_1H, year, now - H), 0);
	struct mfs_index_file fin = { .size = 1, .stale_after = 0 };
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "KO", MFS_TF_1D, year - 1, &fin), 0);
	ck_assert_int_eq(mfs_index_touch(cache->idx, "KO", MFS_TF_1D, year - 1, now - H), 0);
	/* and the watched AAPL read too: listed once */
	ck_assert_int_eq(mfs_index_put_file(cache->idx, "AAPL", MFS_TF_1D, year, &f), 0);
	ck_assert_int_eq(mfs_index_touch(cache->idx, "AAPL", MFS_TF_1D, year, now - H), 0);

	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now, &p), 0);
	ck_assert_int_eq(mfs_maint_run(cache, &p, now), MFS_OK);
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 1);
	ck_assert_int_eq(row.step, 4);
	ck_assert_msg(strncmp(row.note,
			      "1 refresh: 2 files: 0 refreshed, 0 already fresh, 1 failed, "
			      "1 no longer cached\n",
			      strlen("1 refresh: 2 files: 0 refreshed, 0 already fresh, 1 failed, "
				     "1 no longer cached\n")) == 0,
		      "note: %s", row.note);

	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_CRYPTO, MIN_0005, now, &p), 0);
	ck_assert_int_eq(mfs_maint_run(cache, &p, now), MFS_OK);
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 1);
	ck_assert_msg(strstr(row.note, "1 refresh: 2 files: 0 refreshed, 0 already fresh, "
				       "1 failed, 1 no longer cached\n2 fundamentals: none for "
				       "crypto") == row.note,
		      "note: %s", row.note);
}
END_TEST

/* A stopping cache interrupts a run before its next step; nothing is recorded. */
START_TEST(test_run_stops_on_shutdown)
{
	struct mfs_maint_plan p;
	struct mfs_maint_row row;
	int64_t now = utc(2026, 11, 20, 23, 0);

	open_cache();
	ck_assert_int_eq(mfs_maint_plan(cache->idx, MFS_MAINT_STOCK, MIN_1700, now, &p), 0);
	mfs_cache_shutdown(cache);
	ck_assert_int_eq(mfs_maint_run(cache, &p, now), MFS_ERR_CANCELLED);
	ck_assert_int_eq(mfs_maint_get(cache->idx, p.run, &row), 1);
	ck_assert_int_eq(row.step, 0);
	ck_assert_int_eq(mfs_maint_decide(&row, &p.first_step), MFS_MAINT_RESUME);
	ck_assert_int_eq(p.first_step, 1);
}
END_TEST

/* ---- the thread ------------------------------------------------------- */

static bool wait_for(bool (*cond)(void), int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (cond())
			return true;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return cond();
}

static bool both_runs_finished(void)
{
	struct mfs_sched_state s;

	mfs_cache_scheduler_state(cache, &s);
	return s.cls[MFS_MAINT_STOCK].last_step == MFS_MAINT_STEP_LAST &&
	       s.cls[MFS_MAINT_CRYPTO].last_step == MFS_MAINT_STEP_LAST;
}

START_TEST(test_thread_catches_up_once)
{
	struct mfs_error err = { 0 };
	struct mfs_sched_state s;
	struct mfs_maint_row row1, row2;
	char run[MFS_MAINT_RUN_MAX];
	int64_t day, now = mfs_wall_now();

	open_cache();
	mfs_cache_scheduler_state(cache, &s);
	ck_assert(!s.running);
	ck_assert(s.maintenance);
	ck_assert_str_eq(s.cls[MFS_MAINT_STOCK].name, "stock");
	ck_assert_str_eq(s.cls[MFS_MAINT_CRYPTO].name, "crypto");
	ck_assert_int_gt(s.cls[MFS_MAINT_CRYPTO].next_run, now);
	ck_assert_int_le(s.cls[MFS_MAINT_CRYPTO].next_run, now + DAY);
	ck_assert_str_eq(s.cls[MFS_MAINT_STOCK].last_run, "");

	ck_assert_int_eq(mfs_cache_start(cache, &err), MFS_OK);
	ck_assert_msg(wait_for(both_runs_finished, 10000), "the missed runs did not run at start");
	mfs_cache_scheduler_state(cache, &s);
	ck_assert(s.running);
	ck_assert_uint_eq(s.watched_files, 0);
	mfs_maint_last_time(MFS_MAINT_CRYPTO, cfg.maintenance_crypto_min, now, &day);
	mfs_maint_run_name(MFS_MAINT_CRYPTO, day, run, sizeof(run));
	ck_assert_str_eq(s.cls[MFS_MAINT_CRYPTO].last_run, run);
	ck_assert_int_ne(s.cls[MFS_MAINT_CRYPTO].last_finished, 0);
	ck_assert_int_eq(mfs_maint_get(cache->idx, run, &row1), 1);

	/* a restart does not run it again */
	reopen_cache();
	ck_assert_int_eq(mfs_cache_start(cache, &err), MFS_OK);
	struct timespec ts = { 1, 0 };
	nanosleep(&ts, NULL);
	ck_assert_int_eq(mfs_maint_get(cache->idx, run, &row2), 1);
	ck_assert_int_eq(row2.started, row1.started);
	ck_assert_int_eq(row2.finished, row1.finished);
	ck_assert_str_eq(row2.note, row1.note);
}
END_TEST

START_TEST(test_thread_maintenance_off)
{
	struct mfs_error err = { 0 };
	struct mfs_sched_state s;
	struct mfs_maint_row row;

	set("marketfs", "maintenance", "false");
	open_cache();
	ck_assert_int_eq(mfs_cache_start(cache, &err), MFS_OK);
	struct timespec ts = { 1, 0 };
	nanosleep(&ts, NULL);
	mfs_cache_scheduler_state(cache, &s);
	ck_assert(s.running);
	ck_assert(!s.maintenance);
	ck_assert_int_eq(s.cls[MFS_MAINT_STOCK].next_run, 0);
	ck_assert_int_eq(mfs_maint_latest(cache->idx, MFS_MAINT_STOCK, &row), 0);
	ck_assert_int_eq(mfs_maint_latest(cache->idx, MFS_MAINT_CRYPTO, &row), 0);
}
END_TEST

static bool watch_failed_once(void)
{
	struct mfs_sched_state s;

	mfs_cache_scheduler_state(cache, &s);
	return s.watch_failing == 1;
}

START_TEST(test_thread_watch_retry_and_stop)
{
	struct mfs_error err = { 0 };
	struct mfs_sched_state s;

	set("marketfs", "maintenance", "false");
	set("marketfs", "watch", "BTCUSDT:1d");
	open_cache();
	ck_assert_int_eq(mfs_cache_start(cache, &err), MFS_OK);
	ck_assert_msg(wait_for(watch_failed_once, 15000), "the backfill did not fail as expected");
	mfs_cache_scheduler_state(cache, &s);
	ck_assert_uint_eq(s.watched_files, 1);
	/* the failed file waits at least 30 s: no tight loop */
	ck_assert_int_ge(s.next_watch, mfs_wall_now() + 25);

	/* close wakes the sleeping thread at once */
	int64_t t0 = mfs_now_ms();
	mfs_cache_close(cache);
	cache = NULL;
	ck_assert_int_lt(mfs_now_ms() - t0, 3000);
}
END_TEST

static Suite *scheduler_suite(void)
{
	Suite *s = suite_create("scheduler");
	TCase *when = tcase_create("when");
	TCase *table = tcase_create("table");
	TCase *steps = tcase_create("steps");
	TCase *thread = tcase_create("thread");

	tcase_add_checked_fixture(when, setup, teardown);
	tcase_add_test(when, test_names);
	tcase_add_test(when, test_stock_dst);
	tcase_add_test(when, test_stock_weekend_holiday);
	tcase_add_test(when, test_crypto);
	tcase_add_test(when, test_decide);
	tcase_add_test(when, test_watch_expand);
	tcase_add_test(when, test_watch_servable);
	suite_add_tcase(s, when);

	tcase_add_checked_fixture(table, setup, teardown);
	tcase_add_test(table, test_table_resume_after_reopen);
	tcase_add_test(table, test_table_only_newest_missed);
	suite_add_tcase(s, table);

	tcase_add_checked_fixture(steps, setup, teardown);
	tcase_set_timeout(steps, 60);
	tcase_add_test(steps, test_run_resumes_at_first_unfinished_step);
	tcase_add_test(steps, test_run_new_stock_run);
	tcase_add_test(steps, test_refresh_step_files);
	tcase_add_test(steps, test_run_stops_on_shutdown);
	suite_add_tcase(s, steps);

	tcase_add_checked_fixture(thread, setup, teardown);
	tcase_set_timeout(thread, 60);
	tcase_add_test(thread, test_thread_catches_up_once);
	tcase_add_test(thread, test_thread_maintenance_off);
	tcase_add_test(thread, test_thread_watch_retry_and_stop);
	suite_add_tcase(s, thread);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scheduler_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
