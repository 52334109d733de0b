/*
 * Unit tests for cache/quality.c: gap accounting against the trading
 * calendars and the full quality score. Series are built from the calendar
 * itself (mfs_calendar_bars, smooth prices), then holes are planted: a
 * complete NYSE year (holidays listed, weekends only counted), one and
 * three missing sessions, first and last sessions, an empty file, an early
 * close on an hourly file, a thin symbol's short hole (no_trades between
 * low-volume bars, missing between busy ones or across sessions), CME's
 * daily halt, a crypto hour, the from/to limits (including a fetch during
 * the day, week or month of the last bar), bars on no expected slot, the
 * cap on the list, and the score: its formula and its monotonicity (one
 * more problem of any kind never raises it).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <marketfs/series.h>
#include <marketfs/timeframe.h>

#include "cache/calendar.h"
#include "cache/market.h"
#include "cache/quality.h"
#include "cache/repair.h"
#include "cache/validate.h"

#define DAY MFS_SECONDS_PER_DAY
#define H 3600

/* The market of a calendar, as the fill path builds it. */
static const struct mfs_market *mkt(enum mfs_calendar cal)
{
	static struct mfs_market m[MFS_CAL__COUNT];
	static const enum mfs_class cls[MFS_CAL__COUNT] = {
		[MFS_CAL_NYSE] = MFS_CLASS_STOCK, [MFS_CAL_CME] = MFS_CLASS_FUTURES,
		[MFS_CAL_FX] = MFS_CLASS_FOREX, [MFS_CAL_CRYPTO] = MFS_CLASS_CRYPTO,
	};

	mfs_market_init(&m[cal], cls[cal], mfs_calendar_tz(cal), -1);
	return &m[cal];
}

static int64_t date(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm)
{
	return date(y, m, d) + hh * H + mm * 60;
}

/* ---- synthetic series from the calendar ---- */

struct builder {
	struct mfs_series *s;
	int64_t lo, hi; /* keep bars with lo <= t < hi */
	size_t i;
};

static int add_bar(void *arg, int64_t t)
{
	struct builder *b = arg;
	struct mfs_bar bar = mfs_bar_empty();
	double p;

	if (t < b->lo || t >= b->hi)
		return 0;
	p = 100.0 + 5.0 * sin((double)b->i * 0.05);
	bar.t = t;
	bar.open = p;
	bar.close = p * 1.001;
	bar.high = p * 1.003;
	bar.low = p * 0.997;
	bar.adj_close = bar.close;
	bar.volume = 1000.0 + (double)(b->i % 50) * 100.0; /* 1000 .. 5900 */
	b->i++;
	ck_assert_int_eq(mfs_series_append(b->s, &bar), 0);
	return 0;
}

/* The bars of a complete file of (cal, tf, year) with lo <= t < hi. */
static void build(struct mfs_series *s, enum mfs_calendar cal, enum mfs_tf tf, int year,
		  int64_t lo, int64_t hi)
{
	struct builder b = { s, lo, hi, 0 };

	mfs_series_init(s, tf);
	mfs_calendar_bars(cal, tf, year, add_bar, &b);
	ck_assert_uint_gt(s->n, 0);
}

static void build_year(struct mfs_series *s, enum mfs_calendar cal, enum mfs_tf tf, int year)
{
	build(s, cal, tf, year, INT64_MIN, INT64_MAX);
}

static ssize_t find_bar(const struct mfs_series *s, int64_t t)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->bars[i].t == t)
			return (ssize_t)i;
	return -1;
}

/* Remove the bar at t, which must exist. */
static void remove_bar(struct mfs_series *s, int64_t t)
{
	ssize_t i = find_bar(s, t);

	ck_assert_msg(i >= 0, "no bar at %lld to remove", (long long)t);
	memmove(&s->bars[i], &s->bars[i + 1], (s->n - (size_t)i - 1) * sizeof(s->bars[0]));
	s->n--;
}

/* Insert a plausible bar at t, keeping the series sorted. */
static void insert_bar(struct mfs_series *s, int64_t t)
{
	struct mfs_bar b = s->bars[0];

	b.t = t;
	ck_assert_int_eq(mfs_series_append(s, &b), 0);
	ck_assert_uint_eq(mfs_series_sort_dedup(s), 0);
}

struct counter {
	int64_t lo, hi;
	size_t n;
};

static int count_bar(void *arg, int64_t t)
{
	struct counter *c = arg;

	if (t >= c->lo && t < c->hi)
		c->n++;
	return 0;
}

static size_t calendar_count(enum mfs_calendar cal, enum mfs_tf tf, int year, int64_t lo,
			     int64_t hi)
{
	struct counter c = { lo, hi, 0 };

	mfs_calendar_bars(cal, tf, year, count_bar, &c);
	return c.n;
}

static size_t listed(const struct mfs_gap_report *r, enum mfs_gap_reason why)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_listed; i++)
		n += r->list[i].reason == why;
	return n;
}

static const struct mfs_gap *listed_at(const struct mfs_gap_report *r, enum mfs_gap_reason why,
				       int64_t start)
{
	for (size_t i = 0; i < r->n_listed; i++)
		if (r->list[i].reason == why && r->list[i].start == start)
			return &r->list[i];
	return NULL;
}

static void assert_sorted(const struct mfs_gap_report *r)
{
	ck_assert_uint_le(r->n_listed, MFS_GAP_LIST_MAX);
	ck_assert_uint_le(r->n_listed, r->n_listable);
	for (size_t i = 0; i + 1 < r->n_listed; i++)
		ck_assert_int_le(r->list[i].start, r->list[i + 1].start);
	for (size_t i = 0; i < r->n_listed; i++) {
		ck_assert_int_lt(r->list[i].start, r->list[i].end);
		ck_assert(r->list[i].reason != MFS_GAP_WEEKEND);
		ck_assert(r->list[i].reason != MFS_GAP_MAINTENANCE);
	}
}

/* Gap report for a past year fetched ten days after it ended. */
static void account_year(const struct mfs_series *s, enum mfs_calendar cal, int year,
			 struct mfs_gap_report *r)
{
	mfs_gaps_account(s, mkt(cal), year, mfs_year_start(year), mfs_year_start(year + 1) + 10 * DAY, r);
	assert_sorted(r);
}

/* ---- reason names ---- */

START_TEST(test_reason_names)
{
	ck_assert_str_eq(mfs_gap_reason_name(MFS_GAP_MISSING), "missing");
	ck_assert_str_eq(mfs_gap_reason_name(MFS_GAP_NO_TRADES), "no_trades");
	ck_assert_str_eq(mfs_gap_reason_name(MFS_GAP_HOLIDAY), "holiday");
	ck_assert_str_eq(mfs_gap_reason_name(MFS_GAP_EARLY_CLOSE), "early_close");
	ck_assert_str_eq(mfs_gap_reason_name(MFS_GAP_WEEKEND), "weekend");
	ck_assert_str_eq(mfs_gap_reason_name(MFS_GAP_MAINTENANCE), "maintenance");
	ck_assert_ptr_nonnull(mfs_gap_reason_name(MFS_GAP__COUNT));
	ck_assert_ptr_nonnull(mfs_gap_reason_name((enum mfs_gap_reason)-1));
}
END_TEST

/* ---- NYSE daily ---- */

/* NYSE's 2024 holidays, as published. */
static const unsigned nyse_2024_holidays[][2] = {
	{ 1, 1 }, { 1, 15 }, { 2, 19 }, { 3, 29 }, { 5, 27 },
	{ 6, 19 }, { 7, 4 }, { 9, 2 }, { 11, 28 }, { 12, 25 },
};

START_TEST(test_nyse_daily_complete)
{
	struct mfs_series s;
	struct mfs_gap_report r;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	ck_assert_uint_eq(s.n, 252);
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 252);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_EARLY_CLOSE], 0); /* daily files lose nothing */
	ck_assert_uint_eq(r.totals[MFS_GAP_MAINTENANCE], 0);
	/* 2024 has 52 Saturdays: 52 weekends, counted but never listed */
	ck_assert_uint_eq(r.totals[MFS_GAP_WEEKEND], 52);
	ck_assert_uint_eq(listed(&r, MFS_GAP_WEEKEND), 0);
	/* every holiday listed, each its own stretch of one day */
	ck_assert_uint_eq(r.totals[MFS_GAP_HOLIDAY], 10);
	ck_assert_uint_eq(r.n_listable, 10);
	ck_assert_uint_eq(r.n_listed, 10);
	for (size_t i = 0; i < 10; i++) {
		int64_t d = date(2024, nyse_2024_holidays[i][0], nyse_2024_holidays[i][1]);
		const struct mfs_gap *g = listed_at(&r, MFS_GAP_HOLIDAY, d);

		ck_assert_msg(g != NULL, "holiday 2024-%02u-%02u not listed",
			      nyse_2024_holidays[i][0], nyse_2024_holidays[i][1]);
		ck_assert_int_eq(g->end, d + DAY);
		ck_assert_uint_eq(g->bars, 0);
	}
	/* Good Friday by name of its reason */
	ck_assert_str_eq(mfs_gap_reason_name(listed_at(&r, MFS_GAP_HOLIDAY,
							date(2024, 3, 29))->reason),
			 "holiday");
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_nyse_daily_one_hole)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	const struct mfs_gap *g;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	remove_bar(&s, date(2024, 3, 14));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 251);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	ck_assert_uint_eq(listed(&r, MFS_GAP_MISSING), 1);
	g = listed_at(&r, MFS_GAP_MISSING, date(2024, 3, 14));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 1);
	ck_assert_int_gt(g->end, g->start);
	ck_assert_int_le(g->end, date(2024, 3, 15));
	ck_assert_uint_eq(r.n_listable, 11);
	ck_assert_uint_eq(r.totals[MFS_GAP_HOLIDAY], 10);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_nyse_daily_three_holes)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	const struct mfs_gap *g;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	remove_bar(&s, date(2024, 3, 12));
	remove_bar(&s, date(2024, 3, 13));
	remove_bar(&s, date(2024, 3, 14));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 249);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	g = listed_at(&r, MFS_GAP_MISSING, date(2024, 3, 12));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 3);
	ck_assert_int_gt(g->end, date(2024, 3, 14));
	ck_assert_int_le(g->end, date(2024, 3, 15));
	mfs_series_free(&s);
}
END_TEST

/* Holes at the edges of the year, and two separate holes. */
START_TEST(test_nyse_daily_edge_holes)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	const struct mfs_gap *g;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	remove_bar(&s, date(2024, 1, 2));   /* the first session */
	remove_bar(&s, date(2024, 6, 3));
	remove_bar(&s, date(2024, 12, 31)); /* the last session */
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 249);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 3);
	g = listed_at(&r, MFS_GAP_MISSING, date(2024, 1, 2));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 1);
	g = listed_at(&r, MFS_GAP_MISSING, date(2024, 6, 3));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 1);
	g = listed_at(&r, MFS_GAP_MISSING, date(2024, 12, 31));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 1);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_nyse_daily_empty)
{
	struct mfs_series s;
	struct mfs_gap_report r;

	mfs_series_init(&s, MFS_TF_1D);
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 0);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_MISSING, date(2024, 1, 2)));
	ck_assert_uint_eq(listed_at(&r, MFS_GAP_MISSING, date(2024, 1, 2))->bars, 252);
	mfs_series_free(&s);
}
END_TEST

/* Weekly and monthly files: complete ones have no gaps. */
START_TEST(test_nyse_weekly_monthly_complete)
{
	const enum mfs_tf tfs[] = { MFS_TF_1W, MFS_TF_1MO };

	for (size_t k = 0; k < 2; k++) {
		struct mfs_series s;
		struct mfs_gap_report r;

		build_year(&s, MFS_CAL_NYSE, tfs[k], 2024);
		account_year(&s, MFS_CAL_NYSE, 2024, &r);
		ck_assert_uint_eq(r.expected, tfs[k] == MFS_TF_1MO ? 12 : s.n);
		ck_assert_uint_eq(r.present, r.expected);
		ck_assert_uint_eq(r.unexpected, 0);
		ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
		/* a month without its bar */
		if (tfs[k] == MFS_TF_1MO) {
			remove_bar(&s, date(2024, 9, 3)); /* Sep 2 is Labor Day */
			account_year(&s, MFS_CAL_NYSE, 2024, &r);
			ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
			ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_MISSING, date(2024, 9, 3)));
		}
		mfs_series_free(&s);
	}
}
END_TEST

/* ---- NYSE hourly: early closes ---- */

START_TEST(test_nyse_hourly_early_close)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	const struct mfs_gap *g;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1H, 2024);
	/* 249 full sessions of 7 bars, 3 early closes of 4 (Jul 3, Nov 29, Dec 24) */
	ck_assert_uint_eq(s.n, 249 * 7 + 3 * 4);
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 1755);
	ck_assert_uint_eq(r.present, 1755);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_EARLY_CLOSE], 3);
	ck_assert_uint_eq(listed(&r, MFS_GAP_EARLY_CLOSE), 3);
	/* 2024-07-03 closes at 13:00 EDT = 17:00Z; the lost hours run to 16:00 EDT */
	g = listed_at(&r, MFS_GAP_EARLY_CLOSE, utc(2024, 7, 3, 17, 0));
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(g->end, utc(2024, 7, 3, 20, 0));
	/* Black Friday in winter: 13:00 EST = 18:00Z */
	g = listed_at(&r, MFS_GAP_EARLY_CLOSE, utc(2024, 11, 29, 18, 0));
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(g->end, utc(2024, 11, 29, 21, 0));
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_EARLY_CLOSE, utc(2024, 12, 24, 18, 0)));
	ck_assert_uint_eq(r.totals[MFS_GAP_HOLIDAY], 10);
	ck_assert_uint_eq(r.n_listable, 13);
	ck_assert_uint_eq(r.totals[MFS_GAP_WEEKEND], 52);

	/* an hour missing on the early-close day is still a missing stretch */
	remove_bar(&s, utc(2024, 7, 3, 15, 30));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	g = listed_at(&r, MFS_GAP_MISSING, utc(2024, 7, 3, 15, 30));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 1);
	ck_assert_int_eq(g->end, utc(2024, 7, 3, 16, 30));
	mfs_series_free(&s);
}
END_TEST

/* ---- thin symbols: no_trades ---- */

static void set_volume(struct mfs_series *s, int64_t t, double v)
{
	ssize_t i = find_bar(s, t);

	ck_assert(i >= 0);
	s->bars[i].volume = v;
}

START_TEST(test_thin_symbol_no_trades)
{
	const int64_t from = date(2024, 3, 4), to = date(2024, 3, 9); /* Mon-Fri, EST */
	struct mfs_series s;
	struct mfs_gap_report r;
	const struct mfs_gap *g;

	/* a 2-bar hole (15:00Z and 15:05Z) between two low-volume bars */
	build(&s, MFS_CAL_NYSE, MFS_TF_5M, 2024, from, to);
	ck_assert_uint_eq(s.n, 5 * 78);
	remove_bar(&s, utc(2024, 3, 5, 15, 0));
	remove_bar(&s, utc(2024, 3, 5, 15, 5));
	set_volume(&s, utc(2024, 3, 5, 14, 55), 3);
	set_volume(&s, utc(2024, 3, 5, 15, 10), 5);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, from, to, &r);
	assert_sorted(&r);
	ck_assert_uint_eq(r.expected, 5 * 78);
	ck_assert_uint_eq(r.present, 5 * 78 - 2);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 1);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	g = listed_at(&r, MFS_GAP_NO_TRADES, utc(2024, 3, 5, 15, 0));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 2);
	ck_assert_int_eq(g->end, utc(2024, 3, 5, 15, 10));
	ck_assert_str_eq(mfs_gap_reason_name(g->reason), "no_trades");

	/* the same hole between busy bars: the provider lost them */
	set_volume(&s, utc(2024, 3, 5, 14, 55), 1e6);
	set_volume(&s, utc(2024, 3, 5, 15, 10), 1e6);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, from, to, &r);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	g = listed_at(&r, MFS_GAP_MISSING, utc(2024, 3, 5, 15, 0));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->bars, 2);

	/* one busy side is enough to call it missing */
	set_volume(&s, utc(2024, 3, 5, 14, 55), 3);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, from, to, &r);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	mfs_series_free(&s);
}
END_TEST

/* A short hole across the overnight break is not "inside a session". */
START_TEST(test_thin_symbol_hole_across_sessions)
{
	const int64_t from = date(2024, 3, 4), to = date(2024, 3, 9);
	struct mfs_series s;
	struct mfs_gap_report r;

	build(&s, MFS_CAL_NYSE, MFS_TF_5M, 2024, from, to);
	remove_bar(&s, utc(2024, 3, 5, 20, 55)); /* the last bar of Tuesday */
	remove_bar(&s, utc(2024, 3, 6, 14, 30)); /* the first of Wednesday */
	set_volume(&s, utc(2024, 3, 5, 20, 50), 3);
	set_volume(&s, utc(2024, 3, 6, 14, 35), 3);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, from, to, &r);
	ck_assert_uint_eq(r.present, 5 * 78 - 2);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_MISSING, utc(2024, 3, 5, 20, 55)));
	ck_assert_uint_eq(listed_at(&r, MFS_GAP_MISSING, utc(2024, 3, 5, 20, 55))->bars, 2);
	mfs_series_free(&s);
}
END_TEST

/* ---- CME hourly: the daily halt ---- */

START_TEST(test_cme_hourly_maintenance)
{
	struct mfs_series s;
	struct mfs_gap_report r;

	build_year(&s, MFS_CAL_CME, MFS_TF_1H, 2024);
	account_year(&s, MFS_CAL_CME, 2024, &r);
	ck_assert_uint_eq(r.expected, s.n);
	ck_assert_uint_eq(r.present, s.n);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_NO_TRADES], 0);
	/*
	 * A halt between two trade dates: 259 regular-or-early sessions less
	 * Fridays, early closes and the evenings before a closure.
	 */
	ck_assert_uint_ge(r.totals[MFS_GAP_MAINTENANCE], 180);
	ck_assert_uint_le(r.totals[MFS_GAP_MAINTENANCE], 210);
	ck_assert_uint_eq(listed(&r, MFS_GAP_MAINTENANCE), 0);
	ck_assert_uint_eq(listed(&r, MFS_GAP_WEEKEND), 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_HOLIDAY], 3);
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 3, 29)));
	/* MLK day: the trade date ends at 12:00 CST = 18:00Z */
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_EARLY_CLOSE, utc(2024, 1, 15, 18, 0)));
	ck_assert_uint_eq(r.n_listable, r.totals[MFS_GAP_HOLIDAY] +
					  r.totals[MFS_GAP_EARLY_CLOSE]);

	/* one hour lost inside Tuesday's session */
	remove_bar(&s, utc(2024, 1, 9, 15, 0));
	account_year(&s, MFS_CAL_CME, 2024, &r);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_MISSING, utc(2024, 1, 9, 15, 0)));
	mfs_series_free(&s);
}
END_TEST

/* ---- FX and CME daily files, FX hourly ---- */

START_TEST(test_fx_and_cme_complete)
{
	const struct {
		enum mfs_calendar cal;
		enum mfs_tf tf;
		size_t holidays;
	} cases[] = {
		{ MFS_CAL_FX, MFS_TF_1H, 2 },  /* Jan 1, Dec 25 */
		{ MFS_CAL_FX, MFS_TF_1D, 2 },
		{ MFS_CAL_CME, MFS_TF_1D, 3 }, /* Jan 1, Good Friday, Dec 25 */
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct mfs_series s;
		struct mfs_gap_report r;

		build_year(&s, cases[k].cal, cases[k].tf, 2024);
		account_year(&s, cases[k].cal, 2024, &r);
		ck_assert_uint_eq(r.expected, s.n);
		ck_assert_uint_eq(r.present, s.n);
		ck_assert_uint_eq(r.unexpected, 0);
		ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
		ck_assert_uint_eq(r.totals[MFS_GAP_HOLIDAY], cases[k].holidays);
		ck_assert_uint_eq(r.totals[MFS_GAP_WEEKEND], 52);
		ck_assert_uint_eq(r.totals[MFS_GAP_MAINTENANCE], 0); /* CME daily, FX */
		ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 12, 25)));
		if (cases[k].tf == MFS_TF_1D)
			ck_assert_uint_eq(s.n, cases[k].cal == MFS_CAL_FX ? 260 : 259);
		/* a planted hole */
		remove_bar(&s, s.bars[100].t);
		account_year(&s, cases[k].cal, 2024, &r);
		ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
		ck_assert_uint_eq(r.present, r.expected - 1);
		mfs_series_free(&s);
	}
}
END_TEST

/* ---- crypto hourly ---- */

START_TEST(test_crypto_hourly_hole)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	const struct mfs_gap *g;

	build_year(&s, MFS_CAL_CRYPTO, MFS_TF_1H, 2020);
	ck_assert_uint_eq(s.n, 366 * 24);
	account_year(&s, MFS_CAL_CRYPTO, 2020, &r);
	ck_assert_uint_eq(r.expected, 366 * 24);
	ck_assert_uint_eq(r.present, 366 * 24);
	ck_assert_uint_eq(r.n_listable, 0);
	for (int k = 0; k < MFS_GAP__COUNT; k++)
		ck_assert_uint_eq(r.totals[k], 0);

	remove_bar(&s, utc(2020, 11, 30, 6, 0));
	account_year(&s, MFS_CAL_CRYPTO, 2020, &r);
	ck_assert_uint_eq(r.expected, 366 * 24);
	ck_assert_uint_eq(r.present, 366 * 24 - 1);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	ck_assert_uint_eq(r.n_listable, 1);
	ck_assert_uint_eq(r.n_listed, 1);
	g = &r.list[0];
	ck_assert_int_eq(g->reason, MFS_GAP_MISSING);
	ck_assert_int_eq(g->start, utc(2020, 11, 30, 6, 0));
	ck_assert_int_eq(g->end, utc(2020, 11, 30, 7, 0));
	ck_assert_uint_eq(g->bars, 1);
	ck_assert_uint_eq(r.totals[MFS_GAP_WEEKEND], 0);
	mfs_series_free(&s);
}
END_TEST

/* ---- from / to ---- */

START_TEST(test_from_limit)
{
	const int64_t from = date(2024, 7, 1);
	const size_t n_after = calendar_count(MFS_CAL_NYSE, MFS_TF_1D, 2024, from, INT64_MAX);
	struct mfs_series s;
	struct mfs_gap_report r;

	ck_assert_uint_gt(n_after, 100);
	ck_assert_uint_lt(n_after, 252);
	/* a symbol first traded on July 1: nothing expected before */
	build(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024, from, INT64_MAX);
	ck_assert_uint_eq(s.n, n_after);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, from, mfs_year_start(2025) + DAY, &r);
	assert_sorted(&r);
	ck_assert_uint_eq(r.expected, n_after);
	ck_assert_uint_eq(r.present, n_after);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	/* holidays before `from` are not listed; those after are */
	ck_assert_ptr_null(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 3, 29)));
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 7, 4)));
	mfs_series_free(&s);

	/* a full file against a late `from`: earlier bars are neither expected nor unexpected */
	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, from, mfs_year_start(2025) + DAY, &r);
	ck_assert_uint_eq(r.expected, n_after);
	ck_assert_uint_eq(r.present, n_after);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	mfs_series_free(&s);

	/* a `from` before the year is the year's start */
	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, date(1990, 1, 2), mfs_year_start(2025) + DAY, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 252);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_to_limit)
{
	/* fetched on Saturday 2024-06-15: bars through Friday June 14 */
	const int64_t to = date(2024, 6, 15);
	const size_t n_before = calendar_count(MFS_CAL_NYSE, MFS_TF_1D, 2024, INT64_MIN, to);
	struct mfs_series s;
	struct mfs_gap_report r;

	build(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024, INT64_MIN, to);
	ck_assert_uint_eq(s.n, n_before);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, mfs_year_start(2024), to, &r);
	assert_sorted(&r);
	ck_assert_uint_eq(r.expected, n_before);
	ck_assert_uint_eq(r.present, n_before);
	ck_assert_uint_eq(r.unexpected, 0);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	/* future holidays are not listed */
	ck_assert_ptr_nonnull(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 5, 27)));
	ck_assert_ptr_null(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 6, 19)));
	ck_assert_ptr_null(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 7, 4)));
	mfs_series_free(&s);

	/* hourly, fetched Wednesday 2024-03-06 at 16:00Z: bars complete by then */
	const int64_t to_h = utc(2024, 3, 6, 16, 0);
	build(&s, MFS_CAL_NYSE, MFS_TF_1H, 2024, INT64_MIN, to_h - H + 1);
	mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, mfs_year_start(2024), to_h, &r);
	ck_assert_int_eq(s.bars[s.n - 1].t, utc(2024, 3, 6, 14, 30));
	ck_assert_uint_eq(r.expected, s.n);
	ck_assert_uint_eq(r.present, s.n);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	mfs_series_free(&s);
}
END_TEST

/*
 * `to` is the fetch time and expected bars must be "complete by `to`"
 * (quality.h). A daily file fetched during the session holds bars up to
 * yesterday: today's bar is not complete yet (mfs_drop_incomplete removed
 * it), so it is not a hole. The same for the week and the month under way.
 */
START_TEST(test_to_during_last_bar)
{
	struct {
		enum mfs_tf tf;
		int64_t to;       /* the fetch time */
		int64_t first_incomplete; /* the bar the file cannot hold yet */
	} cases[] = {
		/* Friday 2024-06-14 11:00 EDT: the day's bar ends at 16:00 EDT */
		{ MFS_TF_1D, utc(2024, 6, 14, 15, 0), date(2024, 6, 14) },
		/* before the open: 08:00 EDT */
		{ MFS_TF_1D, utc(2024, 6, 14, 12, 0), date(2024, 6, 14) },
		/* Wednesday of the week of Monday June 10 */
		{ MFS_TF_1W, utc(2024, 6, 12, 15, 0), date(2024, 6, 10) },
		/* mid-June: June's bar ends on July 1 */
		{ MFS_TF_1MO, utc(2024, 6, 14, 15, 0), date(2024, 6, 3) },
	};

	char msg[1024] = "";
	size_t len = 0;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct mfs_series s;
		struct mfs_gap_report r;
		char when[32];

		build(&s, MFS_CAL_NYSE, cases[k].tf, 2024, INT64_MIN, cases[k].first_incomplete);
		mfs_gaps_account(&s, mkt(MFS_CAL_NYSE), 2024, mfs_year_start(2024), cases[k].to, &r);
		if (r.totals[MFS_GAP_MISSING] != 0 || r.expected != s.n) {
			mfs_format_iso8601(cases[k].to, when, sizeof(when));
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
						"[%s fetched %s: expected %zu, file %zu, %zu missing "
						"stretch(es)] ",
						mfs_tf_name(cases[k].tf), when, r.expected, s.n,
						r.totals[MFS_GAP_MISSING]);
		}
		mfs_series_free(&s);
	}
	ck_assert_msg(len == 0, "the bar under way counted as a hole: %s", msg);
}
END_TEST

/* ---- unexpected bars ---- */

START_TEST(test_unexpected_bars)
{
	struct mfs_series s;
	struct mfs_gap_report r;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	insert_bar(&s, date(2024, 7, 4));  /* Independence Day */
	insert_bar(&s, date(2024, 3, 29)); /* Good Friday */
	insert_bar(&s, date(2024, 3, 30)); /* a Saturday */
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.expected, 252);
	ck_assert_uint_eq(r.present, 252);
	ck_assert_uint_eq(r.unexpected, 3);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	mfs_series_free(&s);

	/* an hourly bar on the hour where the NYSE grid is on the half hour */
	build_year(&s, MFS_CAL_NYSE, MFS_TF_1H, 2024);
	insert_bar(&s, utc(2024, 1, 9, 15, 0));
	/* and one past the last expected slot of the year */
	insert_bar(&s, utc(2024, 12, 31, 23, 0));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.present, r.expected);
	ck_assert_uint_eq(r.unexpected, 2);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 0);
	mfs_series_free(&s);

	/* an unexpected bar inside a hole neither fills it nor splits it */
	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	remove_bar(&s, date(2024, 3, 28));
	remove_bar(&s, date(2024, 4, 1));
	insert_bar(&s, date(2024, 3, 29));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.present, 250);
	ck_assert_uint_eq(r.unexpected, 1);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 1);
	ck_assert_uint_eq(listed_at(&r, MFS_GAP_MISSING, date(2024, 3, 28))->bars, 2);
	mfs_series_free(&s);
}
END_TEST

/* ---- the cap on the list ---- */

START_TEST(test_list_cap)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	size_t removed = 0;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	/* 25 single-session holes from February on, none adjacent */
	for (size_t i = 30; removed < 25; i += 8, removed++)
		remove_bar(&s, s.bars[i - removed].t);
	ck_assert_uint_eq(s.n, 227);
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert_uint_eq(r.present, 227);
	ck_assert_uint_eq(r.totals[MFS_GAP_MISSING], 25);
	ck_assert_uint_eq(r.totals[MFS_GAP_HOLIDAY], 10);
	ck_assert_uint_eq(r.n_listable, 35);
	ck_assert_uint_eq(r.n_listed, MFS_GAP_LIST_MAX);
	mfs_series_free(&s);
}
END_TEST

/*
 * "The list shows the first MFS_GAP_LIST_MAX stretches that are not
 * routine" (quality.h): the first ones in time, whatever their reason.
 */
START_TEST(test_list_cap_keeps_first)
{
	struct mfs_series s;
	struct mfs_gap_report r;
	size_t removed = 0;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	for (size_t i = 30; removed < 25; i += 8, removed++)
		remove_bar(&s, s.bars[i - removed].t);
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	mfs_series_free(&s);
	ck_assert_uint_eq(r.n_listed, MFS_GAP_LIST_MAX);
	ck_assert_msg(listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 1, 1)) != NULL &&
			      listed_at(&r, MFS_GAP_HOLIDAY, date(2024, 1, 15)) != NULL,
		      "the list holds %zu of %zu stretches but not the earliest ones "
		      "(holidays 2024-01-01, 2024-01-15); first listed starts at %lld (%s)",
		      r.n_listed, r.n_listable, (long long)r.list[0].start,
		      mfs_gap_reason_name(r.list[0].reason));
}
END_TEST

/* ---- the score ---- */

static double score(size_t kept, size_t nulls, size_t invalid, size_t dups, size_t repaired,
		    size_t present, size_t expected)
{
	struct mfs_quality q;
	struct mfs_gap_report g;
	struct mfs_repair_report rr;

	memset(&q, 0, sizeof(q));
	memset(&g, 0, sizeof(g));
	memset(&rr, 0, sizeof(rr));
	q.rows = kept;
	q.null_rows = nulls;
	q.invalid = invalid;
	q.duplicates = dups;
	rr.repaired = repaired;
	g.present = present;
	g.expected = expected;
	return mfs_quality_full_score(&q, &g, &rr);
}

START_TEST(test_score_formula)
{
	struct mfs_quality q;
	struct mfs_gap_report g;
	struct mfs_repair_report rr;

	/* a clean complete file */
	ck_assert_double_eq(score(252, 0, 0, 0, 0, 252, 252), 1.0);
	/* nothing expected, nothing present */
	ck_assert_double_eq(score(0, 0, 0, 0, 0, 0, 0), 1.0);
	/* coverage alone */
	ck_assert_double_eq_tol(score(251, 0, 0, 0, 0, 251, 252), 251.0 / 252.0, 1e-12);
	ck_assert_double_eq_tol(score(126, 0, 0, 0, 0, 126, 252), 0.5, 1e-12);
	ck_assert_double_eq(score(0, 0, 0, 0, 0, 0, 252), 0.0);
	/* every factor: kept 90, dropped 10, 5 duplicates, 9 repaired, 80/100 */
	ck_assert_double_eq_tol(score(90, 4, 6, 5, 9, 80, 100),
				0.8 * (90.0 / 100.0) * (1 - 5.0 / 105.0 / 2) * (1 - 9.0 / 90.0 / 2),
				1e-12);

	/* NULL gap and repair reports: the validation score */
	memset(&q, 0, sizeof(q));
	q.rows = 90;
	q.null_rows = 10;
	ck_assert_double_eq_tol(mfs_quality_full_score(&q, NULL, NULL), 0.9, 1e-12);
	ck_assert_double_eq_tol(mfs_quality_full_score(&q, NULL, NULL), mfs_quality_score(&q),
				1e-12);

	/* the real reports of a file with one hole */
	struct mfs_series s;
	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	remove_bar(&s, date(2024, 3, 14));
	account_year(&s, MFS_CAL_NYSE, 2024, &g);
	mfs_repair(&s, &rr);
	ck_assert_uint_eq(rr.repaired, 0);
	memset(&q, 0, sizeof(q));
	q.rows = s.n;
	ck_assert_double_eq_tol(mfs_quality_full_score(&q, &g, &rr), 251.0 / 252.0, 1e-12);
	mfs_series_free(&s);
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static size_t rnd(size_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (size_t)((rng_state >> 33) % n) : 0;
}

struct combo {
	size_t kept, nulls, invalid, dups, repaired, present, expected;
};

static double combo_score(const struct combo *c)
{
	return score(c->kept, c->nulls, c->invalid, c->dups, c->repaired, c->present, c->expected);
}

static void assert_not_raised(const struct combo *a, const struct combo *b, const char *what)
{
	double sa = combo_score(a), sb = combo_score(b);

	ck_assert_msg(sb >= 0.0 && sb <= 1.0, "score %g out of [0, 1]", sb);
	ck_assert_msg(sb <= sa + 1e-12,
		      "%s raised the score %.12f -> %.12f (kept %zu null %zu invalid %zu dups %zu "
		      "repaired %zu present %zu expected %zu)",
		      what, sa, sb, a->kept, a->nulls, a->invalid, a->dups, a->repaired, a->present,
		      a->expected);
}

START_TEST(test_score_monotonic)
{
	/* the smallest case found: every kept bar repaired, duplicates, one more null row */
	const struct combo small = { 5, 0, 0, 5, 5, 5, 5 }, small_null = { 5, 1, 0, 5, 5, 5, 5 };

	assert_not_raised(&small, &small_null, "one more null row");
	for (int it = 0; it < 200000; it++) {
		struct combo a, b;
		size_t scale = it % 3 == 0 ? 5 : it % 3 == 1 ? 50 : 2000;

		a.kept = rnd(scale + 1);
		a.nulls = rnd(4) ? rnd(scale / 4 + 2) : 0;
		a.invalid = rnd(4) ? rnd(scale / 4 + 2) : 0;
		a.dups = rnd(4) ? rnd(scale / 2 + 2) : 0;
		a.repaired = rnd(3) ? rnd(a.kept + 1) : 0;
		a.expected = rnd(5) ? rnd(scale + 1) : 0;
		a.present = rnd(a.kept < a.expected ? a.kept + 1 : a.expected + 1);

		/* one more missing bar: the provider sent one bar fewer */
		if (a.present > 0) {
			b = a;
			b.present--;
			assert_not_raised(&a, &b, "one more missing bar (present - 1)");
			if (a.kept > a.repaired) {
				b.kept--;
				assert_not_raised(&a, &b, "one more missing bar (present and kept - 1)");
			}
		}
		/* one more expected bar the file lacks */
		b = a;
		b.expected++;
		assert_not_raised(&a, &b, "one more expected bar missing");
		/* one more null row, extra or instead of a kept bar */
		b = a;
		b.nulls++;
		assert_not_raised(&a, &b, "one more null row");
		if (a.kept > a.repaired && a.kept > a.present) {
			b.kept--;
			assert_not_raised(&a, &b, "a kept bar turned null");
		}
		/* one more invalid row */
		b = a;
		b.invalid++;
		assert_not_raised(&a, &b, "one more invalid row");
		if (a.kept > a.repaired && a.kept > a.present) {
			b.kept--;
			assert_not_raised(&a, &b, "a kept bar turned invalid");
		}
		/* one more duplicate */
		b = a;
		b.dups++;
		assert_not_raised(&a, &b, "one more duplicate");
		/* one more repaired bar */
		if (a.repaired < a.kept) {
			b = a;
			b.repaired++;
			assert_not_raised(&a, &b, "one more repaired bar");
		}
	}
}
END_TEST

/* The newest expected bar missing (an empty or short answer) is told apart. */
START_TEST(test_tail_missing)
{
	struct mfs_series s;
	struct mfs_gap_report r;

	build_year(&s, MFS_CAL_NYSE, MFS_TF_1D, 2024);
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert(!r.tail_missing);
	remove_bar(&s, date(2024, 6, 14));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert(!r.tail_missing); /* a hole inside the year is not the tail */
	remove_bar(&s, date(2024, 12, 31));
	account_year(&s, MFS_CAL_NYSE, 2024, &r);
	ck_assert(r.tail_missing);
	mfs_series_free(&s);
}
END_TEST

static Suite *quality_suite(void)
{
	Suite *s = suite_create("quality");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reason_names);
	tcase_add_test(tc, test_nyse_daily_complete);
	tcase_add_test(tc, test_nyse_daily_one_hole);
	tcase_add_test(tc, test_nyse_daily_three_holes);
	tcase_add_test(tc, test_nyse_daily_edge_holes);
	tcase_add_test(tc, test_nyse_daily_empty);
	tcase_add_test(tc, test_nyse_weekly_monthly_complete);
	tcase_add_test(tc, test_nyse_hourly_early_close);
	tcase_add_test(tc, test_thin_symbol_no_trades);
	tcase_add_test(tc, test_thin_symbol_hole_across_sessions);
	tcase_add_test(tc, test_cme_hourly_maintenance);
	tcase_add_test(tc, test_fx_and_cme_complete);
	tcase_add_test(tc, test_crypto_hourly_hole);
	tcase_add_test(tc, test_from_limit);
	tcase_add_test(tc, test_to_limit);
	tcase_add_test(tc, test_to_during_last_bar);
	tcase_add_test(tc, test_unexpected_bars);
	tcase_add_test(tc, test_list_cap);
	tcase_add_test(tc, test_list_cap_keeps_first);
	tcase_add_test(tc, test_score_formula);
	tcase_add_test(tc, test_score_monotonic);
	tcase_add_test(tc, test_tail_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(quality_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
