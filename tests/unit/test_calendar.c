/*
 * Unit tests for cache/calendar.c: NYSE holidays, early closes and session
 * counts of 2023-2026 as published by NYSE, the dated rules (MLK from 1998,
 * Juneteenth from 2022, the July 3 early close before and after 2013, the
 * 14:00 closes before 1993), New Year's Day on a Saturday, the one-off
 * closures, sessions across DST, the bar grids of each calendar (1h, 4h,
 * 1m, 1d, 1w, 1M) including year boundaries, CME and FX evening opens,
 * crypto bar counts, the next-session search and early stop. Zones come
 * from the system tz database.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "cache/calendar.h"

#define DAY MFS_SECONDS_PER_DAY
#define H 3600
#define MAX_BARS 64

static int64_t dn(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d);
}

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm)
{
	return dn(y, m, d) * DAY + hh * H + mm * 60;
}

/* Collects up to MAX_BARS bar times; stops after `limit` if non-zero. */
struct bars {
	int64_t t[MAX_BARS];
	size_t n, limit;
	int64_t lo, hi; /* only keep bars in [lo, hi) */
};

static int collect(void *arg, int64_t t)
{
	struct bars *b = arg;

	if (t >= b->lo && t < b->hi && b->n < MAX_BARS)
		b->t[b->n++] = t;
	return b->limit && b->n >= b->limit;
}

static struct bars bars_between(enum mfs_calendar cal, enum mfs_tf tf, int year, int64_t lo,
				int64_t hi)
{
	struct bars b;

	memset(&b, 0, sizeof(b));
	b.lo = lo;
	b.hi = hi;
	mfs_calendar_bars(cal, tf, year, collect, &b);
	return b;
}

static int count_sessions(enum mfs_calendar cal, int y)
{
	int n = 0;

	for (int64_t d = dn(y, 1, 1); d <= dn(y, 12, 31); d++) {
		enum mfs_day_kind k = mfs_calendar_day(cal, d, NULL, NULL);

		n += k == MFS_DAY_OPEN || k == MFS_DAY_EARLY;
	}
	return n;
}

START_TEST(test_names)
{
	ck_assert_msg(mfs_tz_get("America/New_York") && mfs_tz_get("America/Chicago"),
		      "tz database not found (is tzdata installed?)");
	ck_assert_int_eq(mfs_calendar_for_class(MFS_CLASS_STOCK), MFS_CAL_NYSE);
	ck_assert_int_eq(mfs_calendar_for_class(MFS_CLASS_INDEX), MFS_CAL_NYSE);
	ck_assert_int_eq(mfs_calendar_for_class(MFS_CLASS_FUTURES), MFS_CAL_CME);
	ck_assert_int_eq(mfs_calendar_for_class(MFS_CLASS_FOREX), MFS_CAL_FX);
	ck_assert_int_eq(mfs_calendar_for_class(MFS_CLASS_CRYPTO), MFS_CAL_CRYPTO);
	ck_assert_str_eq(mfs_calendar_name(MFS_CAL_NYSE), "NYSE");
	ck_assert_str_eq(mfs_calendar_name(MFS_CAL_CME), "CME");
	ck_assert_str_eq(mfs_calendar_name(MFS_CAL_FX), "FX");
	ck_assert_str_eq(mfs_calendar_name(MFS_CAL_CRYPTO), "crypto");
	ck_assert_str_eq(mfs_calendar_tz(MFS_CAL_NYSE), "America/New_York");
	ck_assert_str_eq(mfs_calendar_tz(MFS_CAL_CME), "America/Chicago");
	ck_assert_str_eq(mfs_calendar_tz(MFS_CAL_FX), "America/New_York");
	ck_assert_str_eq(mfs_calendar_tz(MFS_CAL_CRYPTO), "UTC");
	ck_assert_ptr_null(mfs_calendar_name(MFS_CAL__COUNT));
}
END_TEST

/* From the NYSE holiday calendar: every full closure of 2023-2026 ... */
static const char *const nyse_closed[] = {
	"2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
	"2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25",
	"2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
	"2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25",
	"2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26",
	"2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
	"2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
	"2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
};

/* ... and every early close (13:00) of those years. */
static const char *const nyse_early[] = {
	"2023-07-03", "2023-11-24",
	"2024-07-03", "2024-11-29", "2024-12-24",
	"2025-07-03", "2025-11-28", "2025-12-24",
	"2026-11-27", "2026-12-24",
};

static int64_t parse_day(const char *s)
{
	int y;
	unsigned m, d;

	ck_assert_int_eq(sscanf(s, "%d-%u-%u", &y, &m, &d), 3);
	return dn(y, m, d);
}

static bool listed(const char *const *list, size_t n, int64_t day)
{
	for (size_t i = 0; i < n; i++)
		if (parse_day(list[i]) == day)
			return true;
	return false;
}

/* Every day of 2023-2026 is exactly what the lists say. */
START_TEST(test_nyse_2023_2026)
{
	size_t nc = sizeof(nyse_closed) / sizeof(nyse_closed[0]);
	size_t ne = sizeof(nyse_early) / sizeof(nyse_early[0]);

	for (int64_t d = dn(2023, 1, 1); d <= dn(2026, 12, 31); d++) {
		struct mfs_session s;
		const char *why = NULL;
		enum mfs_day_kind k = mfs_calendar_day(MFS_CAL_NYSE, d, &s, &why);
		int y;
		unsigned m, md;

		mfs_civil_from_days(d, &y, &m, &md);
		if (mfs_weekday_from_days(d) >= 5) {
			ck_assert_int_eq(k, MFS_DAY_WEEKEND);
		} else if (listed(nyse_closed, nc, d)) {
			enum mfs_day_kind want =
				d == dn(2025, 1, 9) ? MFS_DAY_CLOSURE : MFS_DAY_HOLIDAY;

			ck_assert_msg(k == want,
				      "%d-%02u-%02u should be closed, kind %d", y, m, md, k);
			ck_assert_ptr_nonnull(why);
		} else if (listed(nyse_early, ne, d)) {
			ck_assert_msg(k == MFS_DAY_EARLY, "%d-%02u-%02u should close early", y, m,
				      md);
			ck_assert_int_eq(s.close - s.open, 3 * H + 30 * 60);
			ck_assert_ptr_nonnull(why);
		} else {
			ck_assert_msg(k == MFS_DAY_OPEN, "%d-%02u-%02u should be open, kind %d", y,
				      m, md, k);
			ck_assert_int_eq(s.close - s.open, 6 * H + 30 * 60);
			ck_assert_ptr_null(why);
		}
	}
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2026, 7, 2), NULL, NULL), MFS_DAY_OPEN);
}
END_TEST

START_TEST(test_nyse_counts)
{
	static const int years[] = { 2023, 2024, 2025, 2026 };
	static const int sessions[] = { 250, 252, 250, 251 };

	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(count_sessions(MFS_CAL_NYSE, years[i]), sessions[i]);
		ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_NYSE, MFS_TF_1D, years[i], NULL, NULL),
				  (size_t)sessions[i]);
	}
	/* Full days have 390 one-minute bars and early closes 210. */
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_NYSE, MFS_TF_1M, 2024, NULL, NULL),
			  249 * 390 + 3 * 210);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_NYSE, MFS_TF_5M, 2024, NULL, NULL),
			  249 * 78 + 3 * 42);
	/* Every supported year has a plausible number of sessions. */
	for (int y = 1990; y <= 2100; y++) {
		int n = count_sessions(MFS_CAL_NYSE, y);

		ck_assert_msg(n >= 245 && n <= 254, "%d: %d sessions", y, n);
	}
}
END_TEST

START_TEST(test_nyse_rules)
{
	struct mfs_session s;
	const char *why;

	/* New Year's Day on a Saturday is not observed. */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2021, 12, 31), NULL, NULL),
			 MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2022, 1, 3), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2017, 1, 2), NULL, &why),
			 MFS_DAY_HOLIDAY);
	ck_assert_str_eq(why, "New Year's Day");
	/* Christmas on Saturday -> Friday, on Sunday -> Monday. */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2021, 12, 24), NULL, &why),
			 MFS_DAY_HOLIDAY);
	ck_assert_str_eq(why, "Christmas");
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2022, 12, 26), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	/* MLK from 1998, Juneteenth from 2022 (Sunday 2022-06-19 -> Monday). */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1997, 1, 20), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1998, 1, 19), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2021, 6, 18), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2022, 6, 20), NULL, &why),
			 MFS_DAY_HOLIDAY);
	ck_assert_str_eq(why, "Juneteenth");
	/* Good Friday from Easter: 2000-04-21, 2019-04-19, 2038-04-23. */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2000, 4, 21), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2019, 4, 19), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2038, 4, 23), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	/* July 4 on a Thursday: Friday July 5 before 2013, Wednesday July 3 since. */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2002, 7, 3), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2002, 7, 5), NULL, NULL), MFS_DAY_EARLY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2019, 7, 3), NULL, NULL), MFS_DAY_EARLY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2019, 7, 5), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1994, 7, 1), NULL, NULL), MFS_DAY_OPEN);
	/* Before 1993 Christmas Eve closed at 14:00; Black Friday from 1992. */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1992, 12, 24), &s, NULL), MFS_DAY_EARLY);
	ck_assert_int_eq(s.close, utc(1992, 12, 24, 19, 0));
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1992, 11, 27), &s, NULL), MFS_DAY_EARLY);
	ck_assert_int_eq(s.close, utc(1992, 11, 27, 19, 0));
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1991, 11, 29), NULL, NULL),
			 MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(1993, 12, 24), &s, NULL),
			 MFS_DAY_HOLIDAY); /* Christmas on a Saturday */
}
END_TEST

START_TEST(test_nyse_closures)
{
	static const char *const days[] = {
		"1985-09-27", "1994-04-27", "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14",
		"2004-06-11", "2007-01-02", "2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09",
	};
	const char *why;

	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		why = NULL;
		ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, parse_day(days[i]), NULL, &why),
				 MFS_DAY_CLOSURE);
		ck_assert_ptr_nonnull(why);
	}
	mfs_calendar_day(MFS_CAL_NYSE, dn(2012, 10, 29), NULL, &why);
	ck_assert_str_eq(why, "Hurricane Sandy");
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2001, 9, 10), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2001, 9, 17), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_NYSE, dn(2012, 10, 31), NULL, NULL),
			 MFS_DAY_OPEN);
}
END_TEST

START_TEST(test_nyse_dst_and_bars)
{
	struct mfs_session s;
	struct bars b;

	mfs_calendar_day(MFS_CAL_NYSE, dn(2024, 3, 8), &s, NULL);
	ck_assert_int_eq(s.open, utc(2024, 3, 8, 14, 30));
	ck_assert_int_eq(s.close, utc(2024, 3, 8, 21, 0));
	mfs_calendar_day(MFS_CAL_NYSE, dn(2024, 3, 11), &s, NULL);
	ck_assert_int_eq(s.open, utc(2024, 3, 11, 13, 30));
	ck_assert_int_eq(s.day, dn(2024, 3, 11));

	/* 1h bars are 09:30-anchored; the last one is short. */
	b = bars_between(MFS_CAL_NYSE, MFS_TF_1H, 2024, utc(2024, 7, 1, 0, 0),
			 utc(2024, 7, 2, 0, 0));
	ck_assert_uint_eq(b.n, 7);
	for (size_t i = 0; i < b.n; i++)
		ck_assert_int_eq(b.t[i], utc(2024, 7, 1, 13, 30) + (int64_t)i * H);
	b = bars_between(MFS_CAL_NYSE, MFS_TF_1H, 2024, utc(2024, 7, 3, 0, 0),
			 utc(2024, 7, 4, 0, 0));
	ck_assert_uint_eq(b.n, 4);
	ck_assert_int_eq(b.t[0], utc(2024, 7, 3, 13, 30));
	ck_assert_int_eq(b.t[3], utc(2024, 7, 3, 16, 30));
	b = bars_between(MFS_CAL_NYSE, MFS_TF_4H, 2024, utc(2024, 7, 1, 0, 0),
			 utc(2024, 7, 4, 0, 0));
	ck_assert_uint_eq(b.n, 5); /* 09:30 and 13:30, twice, then 09:30 on the 3rd */
	ck_assert_int_eq(b.t[1], utc(2024, 7, 1, 17, 30));
	ck_assert_int_eq(b.t[4], utc(2024, 7, 3, 13, 30));
}
END_TEST

START_TEST(test_nyse_dated_bars)
{
	struct bars b;

	b = bars_between(MFS_CAL_NYSE, MFS_TF_1W, 2024, 0, INT64_MAX);
	ck_assert_uint_eq(b.n, 53); /* Mondays Jan 1 ... Dec 30 */
	ck_assert_int_eq(b.t[0], dn(2024, 1, 2) * DAY);
	ck_assert_int_eq(b.t[52], dn(2024, 12, 30) * DAY);
	b = bars_between(MFS_CAL_NYSE, MFS_TF_1W, 2024, dn(2024, 3, 20) * DAY,
			 dn(2024, 4, 5) * DAY);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_int_eq(b.t[0], dn(2024, 3, 25) * DAY); /* Good Friday week */
	ck_assert_int_eq(b.t[1], dn(2024, 4, 1) * DAY);
	/*
	 * A week belongs to the year of its first session: the week of Mon
	 * 2024-12-30 holds 2025-01-02 but is 2024's, and the week of Mon
	 * 2025-12-29 holds 2026-01-02 but is 2025's.
	 */
	b = bars_between(MFS_CAL_NYSE, MFS_TF_1W, 2025, 0, INT64_MAX);
	ck_assert_uint_eq(b.n, 52);
	ck_assert_int_eq(b.t[0], dn(2025, 1, 6) * DAY);
	ck_assert_int_eq(b.t[51], dn(2025, 12, 29) * DAY);
	b = bars_between(MFS_CAL_NYSE, MFS_TF_1W, 2026, 0, INT64_MAX);
	ck_assert_int_eq(b.t[0], dn(2026, 1, 5) * DAY);

	b = bars_between(MFS_CAL_NYSE, MFS_TF_1MO, 2024, 0, INT64_MAX);
	ck_assert_uint_eq(b.n, 12);
	ck_assert_int_eq(b.t[0], dn(2024, 1, 2) * DAY);
	ck_assert_int_eq(b.t[8], dn(2024, 9, 3) * DAY); /* Sep 2 is Labor Day */
	ck_assert_int_eq(b.t[11], dn(2024, 12, 2) * DAY);
	b = bars_between(MFS_CAL_NYSE, MFS_TF_1D, 2024, 0, INT64_MAX);
	ck_assert_int_eq(b.t[0], dn(2024, 1, 2) * DAY);
}
END_TEST

START_TEST(test_cme)
{
	struct mfs_session s;
	const char *why;
	struct bars b;

	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 3, 11), &s, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(s.open, utc(2024, 3, 10, 22, 0));
	ck_assert_int_eq(s.close, utc(2024, 3, 11, 21, 0));
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 1, 8), &s, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(s.open, utc(2024, 1, 7, 23, 0));
	ck_assert_int_eq(s.close, utc(2024, 1, 8, 22, 0));
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 3, 29), NULL, &why),
			 MFS_DAY_HOLIDAY);
	ck_assert_str_eq(why, "Good Friday");
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 12, 25), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 1, 1), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 1, 13), NULL, NULL),
			 MFS_DAY_WEEKEND);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 1, 15), &s, &why), MFS_DAY_EARLY);
	ck_assert_str_eq(why, "Martin Luther King Jr. Day");
	ck_assert_int_eq(s.close, utc(2024, 1, 15, 18, 0)); /* 12:00 CST */
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2024, 11, 29), &s, NULL), MFS_DAY_EARLY);
	ck_assert_int_eq(s.close, utc(2024, 11, 29, 18, 15));
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2025, 1, 9), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2021, 6, 18), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CME, dn(2023, 6, 19), NULL, NULL), MFS_DAY_EARLY);
	/* Tuesday after a Monday New Year's Day opens Monday 17:00 CST. */
	mfs_calendar_day(MFS_CAL_CME, dn(2024, 1, 2), &s, NULL);
	ck_assert_int_eq(s.open, utc(2024, 1, 1, 23, 0));

	b = bars_between(MFS_CAL_CME, MFS_TF_1H, 2024, 0, INT64_MAX);
	ck_assert_int_eq(b.t[0], utc(2024, 1, 1, 23, 0));
	ck_assert_int_eq(b.t[1], utc(2024, 1, 2, 0, 0));
	b = bars_between(MFS_CAL_CME, MFS_TF_4H, 2024, utc(2024, 3, 10, 0, 0),
			 utc(2024, 3, 12, 0, 0));
	ck_assert_uint_eq(b.n, 7); /* 17, 21, 01, 05, 09, 13 CDT, then 17:00 Monday */
	ck_assert_int_eq(b.t[0], utc(2024, 3, 10, 22, 0));
	ck_assert_int_eq(b.t[5], utc(2024, 3, 11, 18, 0));
	ck_assert_int_eq(b.t[6], utc(2024, 3, 11, 22, 0));
	/* 2024: 262 weekdays less New Year's, Good Friday and Christmas. */
	ck_assert_int_eq(count_sessions(MFS_CAL_CME, 2024), 259);
	ck_assert_int_eq(mfs_calendar_bars(MFS_CAL_CME, MFS_TF_1D, 2024, NULL, NULL), 259);
}
END_TEST

START_TEST(test_fx)
{
	struct mfs_session s;
	const char *why;
	struct bars b;
	int n = 0;

	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_FX, dn(2024, 6, 3), &s, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(s.open, utc(2024, 6, 2, 21, 0));
	ck_assert_int_eq(s.close, utc(2024, 6, 3, 21, 0));
	mfs_calendar_day(MFS_CAL_FX, dn(2024, 1, 8), &s, NULL);
	ck_assert_int_eq(s.open, utc(2024, 1, 7, 22, 0));
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_FX, dn(2024, 1, 1), NULL, &why), MFS_DAY_HOLIDAY);
	ck_assert_str_eq(why, "New Year's Day");
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_FX, dn(2024, 12, 25), NULL, NULL),
			 MFS_DAY_HOLIDAY);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_FX, dn(2024, 3, 29), NULL, NULL), MFS_DAY_OPEN);
	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_FX, dn(2022, 1, 1), NULL, NULL), MFS_DAY_WEEKEND);
	for (int64_t d = dn(2024, 6, 2); d <= dn(2024, 6, 8); d++) {
		enum mfs_day_kind k = mfs_calendar_day(MFS_CAL_FX, d, NULL, NULL);

		n += k == MFS_DAY_OPEN;
	}
	ck_assert_int_eq(n, 5);
	/* 24 hourly bars per session, 5 per week. */
	b = bars_between(MFS_CAL_FX, MFS_TF_1H, 2024, utc(2024, 6, 1, 0, 0), utc(2024, 6, 9, 0, 0));
	ck_assert_uint_eq(b.n, MAX_BARS);
	ck_assert_int_eq(b.t[0], utc(2024, 6, 2, 21, 0));
	ck_assert_int_eq(b.t[24], utc(2024, 6, 3, 21, 0));
}
END_TEST

START_TEST(test_crypto)
{
	struct mfs_session s;
	struct bars b;

	ck_assert_int_eq(mfs_calendar_day(MFS_CAL_CRYPTO, dn(2024, 12, 25), &s, NULL),
			 MFS_DAY_OPEN);
	ck_assert_int_eq(s.open, dn(2024, 12, 25) * DAY);
	ck_assert_int_eq(s.close, dn(2024, 12, 26) * DAY);
	ck_assert_int_eq(count_sessions(MFS_CAL_CRYPTO, 2024), 366);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_CRYPTO, MFS_TF_1D, 2024, NULL, NULL), 366);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_CRYPTO, MFS_TF_1M, 2023, NULL, NULL), 525600);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_CRYPTO, MFS_TF_1M, 2024, NULL, NULL), 527040);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_CRYPTO, MFS_TF_1MO, 2024, NULL, NULL), 12);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_CRYPTO, MFS_TF_1W, 2024, NULL, NULL), 53);
	b = bars_between(MFS_CAL_CRYPTO, MFS_TF_4H, 2024, 0, INT64_MAX);
	ck_assert_int_eq(b.t[0], utc(2024, 1, 1, 0, 0));
	ck_assert_int_eq(b.t[1], utc(2024, 1, 1, 4, 0));
	ck_assert_int_eq(b.t[6], utc(2024, 1, 2, 0, 0));
	b = bars_between(MFS_CAL_CRYPTO, MFS_TF_1W, 2024, 0, INT64_MAX);
	ck_assert_int_eq(b.t[0], dn(2024, 1, 1) * DAY);
	ck_assert_int_eq(b.t[52], dn(2024, 12, 30) * DAY);
	b = bars_between(MFS_CAL_CRYPTO, MFS_TF_1W, 2025, 0, INT64_MAX);
	ck_assert_int_eq(b.t[0], dn(2025, 1, 6) * DAY);
}
END_TEST

START_TEST(test_next_session)
{
	struct mfs_session s;

	/* Thursday's close is not after t; Good Friday and the weekend are skipped. */
	s = mfs_calendar_next_session(MFS_CAL_NYSE, utc(2024, 3, 28, 20, 0));
	ck_assert_int_eq(s.day, dn(2024, 4, 1));
	ck_assert_int_eq(s.open, utc(2024, 4, 1, 13, 30));
	s = mfs_calendar_next_session(MFS_CAL_NYSE, utc(2024, 3, 28, 19, 59));
	ck_assert_int_eq(s.day, dn(2024, 3, 28));
	s = mfs_calendar_next_session(MFS_CAL_NYSE, utc(2024, 3, 22, 21, 0));
	ck_assert_int_eq(s.day, dn(2024, 3, 25));
	s = mfs_calendar_next_session(MFS_CAL_NYSE, utc(2001, 9, 10, 21, 0));
	ck_assert_int_eq(s.day, dn(2001, 9, 17));
	/* Saturday: CME's next session is Monday's, opening Sunday evening. */
	s = mfs_calendar_next_session(MFS_CAL_CME, utc(2024, 6, 8, 12, 0));
	ck_assert_int_eq(s.day, dn(2024, 6, 10));
	ck_assert_int_eq(s.open, utc(2024, 6, 9, 22, 0));
	/* Inside an FX session that opened the evening before. */
	s = mfs_calendar_next_session(MFS_CAL_FX, utc(2024, 6, 3, 23, 0));
	ck_assert_int_eq(s.day, dn(2024, 6, 4));
	s = mfs_calendar_next_session(MFS_CAL_CRYPTO, utc(2024, 6, 8, 12, 0));
	ck_assert_int_eq(s.day, dn(2024, 6, 8));
}
END_TEST

static int stop_at_three(void *arg, int64_t t)
{
	int *calls = arg;

	(void)t;
	return ++*calls == 3;
}

START_TEST(test_bars_stop)
{
	int calls = 0;

	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_CRYPTO, MFS_TF_1M, 2024, stop_at_three, &calls),
			  3);
	ck_assert_int_eq(calls, 3);
	calls = 0;
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL_NYSE, MFS_TF_1W, 2024, stop_at_three, &calls),
			  3);
	ck_assert_uint_eq(mfs_calendar_bars(MFS_CAL__COUNT, MFS_TF_1D, 2024, NULL, NULL), 0);
}
END_TEST

static Suite *calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_nyse_2023_2026);
	tcase_add_test(tc, test_nyse_counts);
	tcase_add_test(tc, test_nyse_rules);
	tcase_add_test(tc, test_nyse_closures);
	tcase_add_test(tc, test_nyse_dst_and_bars);
	tcase_add_test(tc, test_nyse_dated_bars);
	tcase_add_test(tc, test_cme);
	tcase_add_test(tc, test_fx);
	tcase_add_test(tc, test_crypto);
	tcase_add_test(tc, test_next_session);
	tcase_add_test(tc, test_bars_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(calendar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
