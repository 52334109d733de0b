/*
 * Unit tests for cache/stale.c (cache/market.h): when bars end (intraday,
 * crypto days/weeks/months on UTC, stock days at the New York close in
 * winter and summer, stock weeks and months), dropping incomplete bars,
 * the staleness schedule (intraday fraction with its floor, crypto 00:05
 * UTC, stock 17:00 New York on the next weekday, max_age, final years),
 * the grid and the year bounds. Zones come from the system tz database.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include <marketfs/series.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "cache/market.h"

#define DAY MFS_SECONDS_PER_DAY
#define H 3600

static int64_t date(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm, int ss)
{
	return date(y, m, d) + hh * H + mm * 60 + ss;
}

static struct mfs_market crypto(void)
{
	struct mfs_market m;

	mfs_market_init(&m, MFS_CLASS_CRYPTO, "UTC", 0);
	return m;
}

static struct mfs_market stock(void)
{
	struct mfs_market m;

	mfs_market_init(&m, MFS_CLASS_STOCK, "America/New_York", 16 * 60);
	ck_assert_msg(m.tz != NULL && mfs_tz_get("America/New_York") == m.tz,
		      "America/New_York not found (is tzdata installed?)");
	return m;
}

START_TEST(test_market_init)
{
	struct mfs_market m;

	mfs_market_init(&m, MFS_CLASS_STOCK, NULL, -1);
	ck_assert_ptr_nonnull(m.tz);
	ck_assert_str_eq(mfs_tz_name(m.tz), "UTC");
	ck_assert_int_eq(m.close_minute, MFS_DEFAULT_CLOSE_MINUTE);
	mfs_market_init(&m, MFS_CLASS_STOCK, "", 24 * 60);
	ck_assert_str_eq(mfs_tz_name(m.tz), "UTC");
	ck_assert_int_eq(m.close_minute, MFS_DEFAULT_CLOSE_MINUTE);
	mfs_market_init(&m, MFS_CLASS_INDEX, "No/Such_Zone", 9 * 60 + 30);
	ck_assert_str_eq(mfs_tz_name(m.tz), "UTC");
	ck_assert_int_eq(m.close_minute, 570);
	m = stock();
	ck_assert_str_eq(mfs_tz_name(m.tz), "America/New_York");
	ck_assert_int_eq(m.close_minute, 960);
}
END_TEST

START_TEST(test_bar_end_intraday)
{
	const struct mfs_market mk[2] = { crypto(), stock() };
	const int64_t t = utc(2024, 7, 1, 13, 30, 0);

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(mfs_bar_end(&mk[i], MFS_TF_1M, t), t + 60);
		ck_assert_int_eq(mfs_bar_end(&mk[i], MFS_TF_5M, t), t + 300);
		ck_assert_int_eq(mfs_bar_end(&mk[i], MFS_TF_15M, t), t + 900);
		ck_assert_int_eq(mfs_bar_end(&mk[i], MFS_TF_30M, t), t + 1800);
		ck_assert_int_eq(mfs_bar_end(&mk[i], MFS_TF_1H, t), t + H);
		ck_assert_int_eq(mfs_bar_end(&mk[i], MFS_TF_4H, t), t + 4 * H);
	}
}
END_TEST

START_TEST(test_bar_end_crypto)
{
	const struct mfs_market m = crypto();

	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1D, date(2024, 3, 5)), date(2024, 3, 6));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1D, date(2024, 12, 31)), date(2025, 1, 1));
	/* weeks start on Monday: 2024-01-01 is a Monday */
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1W, date(2024, 1, 1)), date(2024, 1, 8));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1W, date(2024, 1, 3)), date(2024, 1, 8));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1W, date(2024, 12, 30)), date(2025, 1, 6));
	/* months end on the next 1st, across a year too */
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(2024, 2, 1)), date(2024, 3, 1));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(2024, 1, 1)), date(2024, 2, 1));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(2024, 12, 1)), date(2025, 1, 1));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(1999, 12, 1)), date(2000, 1, 1));
}
END_TEST

START_TEST(test_bar_end_stock)
{
	const struct mfs_market m = stock();

	/* 16:00 New York: 21:00Z in winter (EST), 20:00Z in summer (EDT) */
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1D, date(2024, 1, 2)), utc(2024, 1, 2, 21, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1D, date(2024, 7, 1)), utc(2024, 7, 1, 20, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1D, date(2024, 3, 11)), utc(2024, 3, 11, 20, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1D, date(2024, 3, 8)), utc(2024, 3, 8, 21, 0, 0));
	/* a week ends at Saturday 00:00 New York */
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1W, date(2024, 1, 1)), utc(2024, 1, 6, 5, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1W, date(2024, 1, 16)), utc(2024, 1, 20, 5, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1W, date(2024, 7, 1)), utc(2024, 7, 6, 4, 0, 0));
	/* a month at the next 1st, 00:00 New York */
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(2024, 1, 2)), utc(2024, 2, 1, 5, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(2024, 6, 3)), utc(2024, 7, 1, 4, 0, 0));
	ck_assert_int_eq(mfs_bar_end(&m, MFS_TF_1MO, date(2024, 12, 2)), utc(2025, 1, 1, 5, 0, 0));
}
END_TEST

static void append_t(struct mfs_series *s, int64_t t)
{
	struct mfs_bar b = mfs_bar_empty();

	b.t = t;
	b.open = b.high = b.low = b.close = 1;
	ck_assert_int_eq(mfs_series_append(s, &b), 0);
}

START_TEST(test_drop_incomplete)
{
	const struct mfs_market st = stock(), cr = crypto();
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1D);
	append_t(&s, date(2024, 1, 2));
	append_t(&s, date(2024, 1, 3));
	append_t(&s, date(2024, 1, 4));
	/* at the Jan 3 close exactly, Jan 3 is complete and Jan 4 is not */
	ck_assert_uint_eq(mfs_drop_incomplete(&s, &st, utc(2024, 1, 3, 21, 0, 0)), 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.bars[1].t, date(2024, 1, 3));
	ck_assert_uint_eq(mfs_drop_incomplete(&s, &st, utc(2024, 1, 3, 20, 59, 59)), 1);
	ck_assert_uint_eq(s.n, 1);
	mfs_series_free(&s);

	mfs_series_init(&s, MFS_TF_1M);
	int64_t t0 = utc(2024, 5, 5, 10, 0, 0);
	append_t(&s, t0);
	append_t(&s, t0 + 60);
	append_t(&s, t0 + 120);
	ck_assert_uint_eq(mfs_drop_incomplete(&s, &cr, t0 + 150), 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.bars[1].t, t0 + 60);
	ck_assert_uint_eq(mfs_drop_incomplete(&s, &cr, t0 + 150), 0);
	mfs_series_free(&s);

	/* crypto: today's day bar is still forming */
	mfs_series_init(&s, MFS_TF_1D);
	append_t(&s, date(2024, 5, 4));
	append_t(&s, date(2024, 5, 5));
	ck_assert_uint_eq(mfs_drop_incomplete(&s, &cr, utc(2024, 5, 5, 23, 59, 59)), 1);
	ck_assert_uint_eq(s.n, 1);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_stale_intraday)
{
	const struct mfs_market mk[2] = { crypto(), stock() };
	const int64_t lu = utc(2024, 7, 3, 14, 7, 13);

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(mfs_stale_after(&mk[i], MFS_TF_1M, 2024, lu, 0), lu + 60);
		ck_assert_int_eq(mfs_stale_after(&mk[i], MFS_TF_5M, 2024, lu, 0), lu + 240);
		ck_assert_int_eq(mfs_stale_after(&mk[i], MFS_TF_15M, 2024, lu, 0), lu + 720);
		ck_assert_int_eq(mfs_stale_after(&mk[i], MFS_TF_1H, 2024, lu, 0), lu + 2880);
		ck_assert_int_eq(mfs_stale_after(&mk[i], MFS_TF_4H, 2024, lu, 0), lu + 11520);
	}
}
END_TEST

START_TEST(test_stale_crypto_daily)
{
	const struct mfs_market m = crypto();
	const enum mfs_tf tfs[] = { MFS_TF_1D, MFS_TF_1W, MFS_TF_1MO };

	for (size_t i = 0; i < 3; i++) {
		enum mfs_tf tf = tfs[i];

		ck_assert_int_eq(mfs_stale_after(&m, tf, 2024, utc(2024, 3, 5, 0, 3, 0), 0),
				 utc(2024, 3, 5, 0, 5, 0));
		ck_assert_int_eq(mfs_stale_after(&m, tf, 2024, utc(2024, 3, 5, 0, 5, 0), 0),
				 utc(2024, 3, 6, 0, 5, 0));
		ck_assert_int_eq(mfs_stale_after(&m, tf, 2024, utc(2024, 3, 5, 12, 0, 0), 0),
				 utc(2024, 3, 6, 0, 5, 0));
		ck_assert_int_eq(mfs_stale_after(&m, tf, 2024, utc(2024, 12, 31, 23, 0, 0), 0),
				 utc(2025, 1, 1, 0, 5, 0));
	}
}
END_TEST

START_TEST(test_stale_stock_daily)
{
	const struct mfs_market m = stock();

	/* Tuesday 10:00 New York -> the same day 17:00 (22:00Z in winter) */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 9, 15, 0, 0), 0),
			 utc(2024, 1, 9, 22, 0, 0));
	/* Tuesday 18:00 New York -> Wednesday 17:00 */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 9, 23, 0, 0), 0),
			 utc(2024, 1, 10, 22, 0, 0));
	/* Friday 18:00 -> the next session's 17:00: Tuesday, as Monday
	 * 2024-01-15 is Martin Luther King Jr. Day (the NYSE calendar) */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 12, 23, 0, 0), 0),
			 utc(2024, 1, 16, 22, 0, 0));
	/* Friday 23:30 New York is Saturday in UTC: still Tuesday 17:00 */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 13, 4, 30, 0), 0),
			 utc(2024, 1, 16, 22, 0, 0));
	/* Saturday and Sunday -> the next session */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1W, 2024, utc(2024, 1, 13, 15, 0, 0), 0),
			 utc(2024, 1, 16, 22, 0, 0));
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1MO, 2024, utc(2024, 1, 14, 20, 0, 0), 0),
			 utc(2024, 1, 16, 22, 0, 0));
	/* a plain weekend: Friday 2024-01-05 18:00 -> Monday 2024-01-08 17:00 */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 5, 23, 0, 0), 0),
			 utc(2024, 1, 8, 22, 0, 0));
	/* Thursday before Good Friday 2024-03-29 -> Monday April 1 (EDT) */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 3, 28, 22, 0, 0), 0),
			 utc(2024, 4, 1, 21, 0, 0));
	/* an early close (2024-11-29, 13:00) still settles at 17:00 */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 11, 29, 15, 0, 0), 0),
			 utc(2024, 11, 29, 22, 0, 0));
	/* summer: 17:00 EDT is 21:00Z */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 7, 12, 23, 0, 0), 0),
			 utc(2024, 7, 15, 21, 0, 0));
	/* exactly at 17:00: the next weekday's */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 7, 10, 21, 0, 0), 0),
			 utc(2024, 7, 11, 21, 0, 0));
}
END_TEST

START_TEST(test_stale_max_age)
{
	const struct mfs_market st = stock(), cr = crypto();
	const int64_t fri = utc(2024, 1, 12, 23, 0, 0);

	ck_assert_int_eq(mfs_stale_after(&st, MFS_TF_1D, 2024, fri, 3600), fri + 3600);
	ck_assert_int_eq(mfs_stale_after(&st, MFS_TF_1D, 2024, fri, 30 * DAY),
			 utc(2024, 1, 16, 22, 0, 0)); /* Monday is MLK day */
	ck_assert_int_eq(mfs_stale_after(&cr, MFS_TF_1H, 2024, fri, 600), fri + 600);
	ck_assert_int_eq(mfs_stale_after(&cr, MFS_TF_1H, 2024, fri, 100000), fri + 2880);
	ck_assert_int_eq(mfs_stale_after(&cr, MFS_TF_1D, 2024, fri, 60), fri + 60);
	ck_assert_int_eq(mfs_stale_after(&cr, MFS_TF_1D, 2024, fri, -5),
			 utc(2024, 1, 13, 0, 5, 0));
}
END_TEST

START_TEST(test_stale_final)
{
	const struct mfs_market mk[2] = { crypto(), stock() };
	const enum mfs_tf tfs[] = { MFS_TF_1M, MFS_TF_1H, MFS_TF_1D, MFS_TF_1W, MFS_TF_1MO };
	const int64_t end = mfs_year_start(2024);

	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < 5; j++) {
			enum mfs_tf tf = tfs[j];

			ck_assert_int_eq(mfs_stale_after(&mk[i], tf, 2023, end + DAY, 0), 0);
			ck_assert_int_eq(mfs_stale_after(&mk[i], tf, 2023, end + 40 * DAY, 60), 0);
			ck_assert_int_gt(mfs_stale_after(&mk[i], tf, 2023, end + DAY - 1, 0),
					 end + DAY - 1);
			ck_assert_int_gt(mfs_stale_after(&mk[i], tf, 2023, end - 3600, 0),
					 end - 3600);
			/* the current year is never final */
			ck_assert_int_gt(mfs_stale_after(&mk[i], tf, 2024, end + 40 * DAY, 0),
					 end + 40 * DAY);
		}
	}
}
END_TEST

/*
 * A file may only be final when every bar of its year is complete: the
 * last bar was dropped as incomplete at fetch time, so a final file
 * without it would lack that bar for ever. A week that starts in late
 * December ends in January, up to six days into the next year.
 */
START_TEST(test_final_only_after_last_bar_complete)
{
	const struct mfs_market mk[2] = { crypto(), stock() };
	const enum mfs_tf tfs[] = { MFS_TF_1H, MFS_TF_1D, MFS_TF_1W, MFS_TF_1MO };

	for (int y = 2019; y <= 2030; y++) {
		int64_t dec31 = mfs_days_from_civil(y, 12, 31);
		int64_t last[4] = {
			mfs_year_start(y + 1) - H,
			dec31 * DAY,
			(dec31 - mfs_weekday_from_days(dec31)) * DAY, /* its Monday */
			date(y, 12, 1),
		};

		for (int i = 0; i < 2; i++) {
			for (size_t j = 0; j < 4; j++) {
				int64_t bar_end = mfs_bar_end(&mk[i], tfs[j], last[j]);
				/* the earliest moment the code would call the file final */
				int64_t lu = mfs_year_start(y + 1) + DAY;

				if (mfs_stale_after(&mk[i], tfs[j], y, lu, 0) != 0)
					continue;
				ck_assert_msg(bar_end <= lu,
					      "%s %s %d fetched at %lld is final, but its last bar "
					      "(t=%lld) ends only at %lld",
					      mfs_class_name(mk[i].cls), mfs_tf_name(tfs[j]), y,
					      (long long)lu, (long long)last[j], (long long)bar_end);
			}
		}
	}
}
END_TEST

START_TEST(test_bar_on_grid)
{
	const int64_t t = utc(2024, 1, 2, 14, 0, 0);

	ck_assert(mfs_bar_on_grid(MFS_TF_1M, t + 60));
	ck_assert(!mfs_bar_on_grid(MFS_TF_1M, t + 59));
	ck_assert(mfs_bar_on_grid(MFS_TF_5M, t + 300));
	ck_assert(!mfs_bar_on_grid(MFS_TF_5M, t + 120));
	ck_assert(mfs_bar_on_grid(MFS_TF_15M, t + 2700));
	ck_assert(!mfs_bar_on_grid(MFS_TF_15M, t + 600));
	ck_assert(mfs_bar_on_grid(MFS_TF_30M, t + 1800));
	ck_assert(!mfs_bar_on_grid(MFS_TF_30M, t + 900));
	ck_assert(mfs_bar_on_grid(MFS_TF_1H, t));
	ck_assert(mfs_bar_on_grid(MFS_TF_1H, utc(2024, 1, 2, 14, 30, 0))); /* 09:30 New York */
	ck_assert(!mfs_bar_on_grid(MFS_TF_1H, utc(2024, 1, 2, 14, 15, 0)));
	ck_assert(mfs_bar_on_grid(MFS_TF_4H, utc(2024, 1, 2, 13, 30, 0)));
	ck_assert(!mfs_bar_on_grid(MFS_TF_4H, utc(2024, 1, 2, 13, 1, 0)));
	ck_assert(mfs_bar_on_grid(MFS_TF_1D, date(2024, 1, 2)));
	ck_assert(!mfs_bar_on_grid(MFS_TF_1D, date(2024, 1, 2) + 1));
	ck_assert(!mfs_bar_on_grid(MFS_TF_1D, date(2024, 1, 2) + 14 * H));
	ck_assert(mfs_bar_on_grid(MFS_TF_1W, date(2024, 1, 1)));
	ck_assert(!mfs_bar_on_grid(MFS_TF_1W, date(2024, 1, 1) + H));
	ck_assert(mfs_bar_on_grid(MFS_TF_1MO, date(2024, 2, 1)));
	ck_assert(!mfs_bar_on_grid(MFS_TF_1MO, date(2024, 2, 1) + 60));
	ck_assert(mfs_bar_on_grid(MFS_TF_1D, date(1969, 12, 31)));
	ck_assert(!mfs_bar_on_grid(MFS_TF_1D, date(1969, 12, 31) + H));
}
END_TEST

START_TEST(test_year_bounds)
{
	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		int64_t lo, hi;

		mfs_year_bounds((enum mfs_tf)tf, 2024, &lo, &hi);
		ck_assert_int_eq(lo, date(2024, 1, 1));
		ck_assert_int_eq(hi, date(2025, 1, 1));
		ck_assert_int_eq(mfs_bar_year((enum mfs_tf)tf, lo), 2024);
		ck_assert_int_eq(mfs_bar_year((enum mfs_tf)tf, hi - 1), 2024);
		ck_assert_int_eq(mfs_bar_year((enum mfs_tf)tf, hi), 2025);
		ck_assert_int_eq(mfs_bar_year((enum mfs_tf)tf, lo - 1), 2023);
	}
	ck_assert_int_eq(mfs_bar_year(MFS_TF_1D, date(2024, 12, 31)), 2024);
	ck_assert_int_eq(mfs_bar_year(MFS_TF_1W, date(2024, 12, 30)), 2024);
	ck_assert_int_eq(mfs_bar_year(MFS_TF_1MO, date(2025, 1, 1)), 2025);
	ck_assert_int_eq(mfs_bar_year(MFS_TF_1H, utc(2024, 12, 31, 23, 0, 0)), 2024);
	ck_assert_int_eq(mfs_bar_year(MFS_TF_1M, utc(2025, 1, 1, 0, 0, 0)), 2025);
}
END_TEST

/* ---- added: restamping weekly and monthly bars, holes, CME/FX settle ---- */

static void restamp_one(const struct mfs_market *m, enum mfs_tf tf, int64_t t, int64_t want)
{
	struct mfs_series s;
	struct mfs_bar b = mfs_bar_empty();

	mfs_series_init(&s, tf);
	b.t = t;
	b.open = b.high = b.low = b.close = 10;
	ck_assert_int_eq(mfs_series_append(&s, &b), 0);
	mfs_market_restamp(m, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_msg(s.bars[0].t == want, "%s %s bar at %lld restamped to %lld, want %lld",
		      mfs_class_name(m->cls), mfs_tf_name(tf), (long long)t,
		      (long long)s.bars[0].t, (long long)want);
	mfs_series_free(&s);
}

START_TEST(test_restamp_nyse)
{
	const struct mfs_market m = stock();

	ck_assert(m.has_calendar);
	/* weeks: a holiday Monday moves to Tuesday, an open Monday stays */
	restamp_one(&m, MFS_TF_1W, date(2024, 1, 1), date(2024, 1, 2));   /* New Year's Day */
	restamp_one(&m, MFS_TF_1W, date(2024, 1, 15), date(2024, 1, 16)); /* MLK */
	restamp_one(&m, MFS_TF_1W, date(2024, 2, 19), date(2024, 2, 20)); /* Presidents' Day */
	restamp_one(&m, MFS_TF_1W, date(2024, 1, 8), date(2024, 1, 8));
	restamp_one(&m, MFS_TF_1W, date(2024, 3, 25), date(2024, 3, 25)); /* Good Friday week */
	/* months: the first session of the month */
	restamp_one(&m, MFS_TF_1MO, date(2024, 9, 1), date(2024, 9, 3));  /* Sun, Labor Day */
	restamp_one(&m, MFS_TF_1MO, date(2024, 1, 1), date(2024, 1, 2));
	restamp_one(&m, MFS_TF_1MO, date(2024, 6, 1), date(2024, 6, 3));  /* a Saturday */
	restamp_one(&m, MFS_TF_1MO, date(2024, 3, 1), date(2024, 3, 1));  /* a Friday session */
	/* days are never restamped, even on a holiday */
	restamp_one(&m, MFS_TF_1D, date(2024, 1, 1), date(2024, 1, 1));
	restamp_one(&m, MFS_TF_1H, utc(2024, 1, 1, 15, 0, 0), utc(2024, 1, 1, 15, 0, 0));

	/* a series of weeks, in order, each on its own */
	struct mfs_series s;
	const int64_t in[] = { date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15),
			       date(2024, 1, 22) };
	const int64_t out[] = { date(2024, 1, 2), date(2024, 1, 8), date(2024, 1, 16),
				date(2024, 1, 22) };

	mfs_series_init(&s, MFS_TF_1W);
	for (size_t i = 0; i < 4; i++) {
		struct mfs_bar b = mfs_bar_empty();

		b.t = in[i];
		ck_assert_int_eq(mfs_series_append(&s, &b), 0);
	}
	mfs_market_restamp(&m, &s);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(s.bars[i].t, out[i]);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_restamp_no_calendar)
{
	const struct mfs_market cr = crypto();
	struct mfs_market lon;

	/* crypto trades every day: nothing moves */
	restamp_one(&cr, MFS_TF_1W, date(2024, 1, 1), date(2024, 1, 1));
	restamp_one(&cr, MFS_TF_1MO, date(2024, 9, 1), date(2024, 9, 1));
	/* a London stock has no calendar yet: nothing moves */
	mfs_market_init(&lon, MFS_CLASS_STOCK, "Europe/London", 16 * 60);
	ck_assert_str_eq(mfs_tz_name(lon.tz), "Europe/London");
	ck_assert(!lon.has_calendar);
	restamp_one(&lon, MFS_TF_1W, date(2024, 1, 1), date(2024, 1, 1));
	restamp_one(&lon, MFS_TF_1W, date(2024, 1, 15), date(2024, 1, 15));
	restamp_one(&lon, MFS_TF_1MO, date(2024, 9, 1), date(2024, 9, 1));
}
END_TEST

START_TEST(test_restamp_cme_fx)
{
	struct mfs_market fut, fx;

	mfs_market_init(&fut, MFS_CLASS_FUTURES, "America/Chicago", 16 * 60);
	mfs_market_init(&fx, MFS_CLASS_FOREX, "America/New_York", 17 * 60);
	ck_assert(fut.has_calendar);
	ck_assert(fx.has_calendar);
	/* CME is closed on New Year's Day; Labor Day is a short session */
	restamp_one(&fut, MFS_TF_1W, date(2024, 1, 1), date(2024, 1, 2));
	restamp_one(&fut, MFS_TF_1MO, date(2024, 9, 1), date(2024, 9, 2));
	restamp_one(&fut, MFS_TF_1W, date(2024, 1, 15), date(2024, 1, 15));
	/* FX is closed on Jan 1 only */
	restamp_one(&fx, MFS_TF_1MO, date(2024, 1, 1), date(2024, 1, 2));
	restamp_one(&fx, MFS_TF_1MO, date(2024, 9, 1), date(2024, 9, 2));
}
END_TEST

START_TEST(test_stale_holes_final)
{
	const struct mfs_market mk[2] = { crypto(), stock() };
	const enum mfs_tf tfs[] = { MFS_TF_1M, MFS_TF_1H, MFS_TF_1D, MFS_TF_1W, MFS_TF_1MO };
	const int64_t end = mfs_year_start(2024);
	const int64_t retry = (int64_t)MFS_HOLE_RETRY_DAYS * DAY;

	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < 5; j++) {
			enum mfs_tf tf = tfs[j];
			int64_t lu = end + DAY;

			/* without holes final a day after the year; with holes not yet */
			ck_assert_int_eq(mfs_stale_after_holes(&mk[i], tf, 2023, lu, 0, false), 0);
			ck_assert_int_gt(mfs_stale_after_holes(&mk[i], tf, 2023, lu, 0, true), lu);
			ck_assert_int_gt(mfs_stale_after_holes(&mk[i], tf, 2023, lu + retry - 1, 0,
							       true),
					 lu + retry - 1);
			/* final after MFS_HOLE_RETRY_DAYS more */
			ck_assert_int_eq(mfs_stale_after_holes(&mk[i], tf, 2023, lu + retry, 0, true),
					 0);
			ck_assert_int_eq(mfs_stale_after_holes(&mk[i], tf, 2023, lu + 365 * DAY, 0,
							       true),
					 0);
			/* while retrying, the usual schedule (and max_age) applies */
			int64_t next = mfs_stale_after_holes(&mk[i], tf, 2023, lu + 5 * DAY, 0, true);
			ck_assert_int_gt(next, lu + 5 * DAY);
			ck_assert_int_le(next, lu + 9 * DAY);
			ck_assert_int_eq(mfs_stale_after_holes(&mk[i], tf, 2023, lu + 5 * DAY, 60, true),
					 lu + 5 * DAY + 60);
		}
	}
}
END_TEST

START_TEST(test_stale_holes_same_without)
{
	struct mfs_market mk[5];
	const enum mfs_tf tfs[] = { MFS_TF_1M, MFS_TF_5M, MFS_TF_1H, MFS_TF_4H,
				    MFS_TF_1D, MFS_TF_1W, MFS_TF_1MO };
	const int64_t max_ages[] = { 0, 3600, 30 * DAY };

	mk[0] = crypto();
	mk[1] = stock();
	mfs_market_init(&mk[2], MFS_CLASS_FUTURES, "America/Chicago", 16 * 60);
	mfs_market_init(&mk[3], MFS_CLASS_FOREX, "America/New_York", 17 * 60);
	mfs_market_init(&mk[4], MFS_CLASS_STOCK, "Europe/London", 16 * 60 + 30);
	for (size_t i = 0; i < 5; i++)
		for (size_t j = 0; j < sizeof(tfs) / sizeof(tfs[0]); j++)
			for (size_t a = 0; a < 3; a++)
				for (int64_t lu = utc(2023, 12, 1, 0, 0, 0);
				     lu < utc(2024, 3, 1, 0, 0, 0); lu += 7 * H + 13 * 60) {
					int y = lu < mfs_year_start(2024) ? 2023 : 2024;
					int64_t x = mfs_stale_after(&mk[i], tfs[j], y, lu,
								    max_ages[a]);
					int64_t z = mfs_stale_after_holes(&mk[i], tfs[j], y, lu,
									  max_ages[a], false);

					ck_assert_int_eq(x, z);
					/* last year's file, fetched in January */
					x = mfs_stale_after(&mk[i], tfs[j], 2023, lu, max_ages[a]);
					z = mfs_stale_after_holes(&mk[i], tfs[j], 2023, lu,
								  max_ages[a], false);
					ck_assert_int_eq(x, z);
					/* the current year is never final, holes or not */
					if (y == 2024)
						ck_assert_int_eq(mfs_stale_after_holes(&mk[i], tfs[j],
										       2024, lu,
										       max_ages[a], true),
								 mfs_stale_after(&mk[i], tfs[j], 2024, lu,
										 max_ages[a]));
				}
}
END_TEST

START_TEST(test_stale_cme_daily)
{
	struct mfs_market m;

	mfs_market_init(&m, MFS_CLASS_FUTURES, "America/Chicago", 16 * 60);
	ck_assert(m.has_calendar);
	/* Tuesday 09:00 CST -> the close at 16:00 CST (22:00Z) + 1 h */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 9, 15, 0, 0), 0),
			 utc(2024, 1, 9, 23, 0, 0));
	/* between the close and the settle time */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 9, 22, 30, 0), 0),
			 utc(2024, 1, 9, 23, 0, 0));
	/* at the settle time: the next trade date's */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 9, 23, 0, 0), 0),
			 utc(2024, 1, 10, 23, 0, 0));
	/* Friday evening -> Monday MLK, a short session to 12:00 CST (18:00Z) */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 1, 12, 23, 30, 0), 0),
			 utc(2024, 1, 15, 19, 0, 0));
	/* summer: 16:00 CDT = 21:00Z, settle 22:00Z */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 7, 10, 12, 0, 0), 0),
			 utc(2024, 7, 10, 22, 0, 0));
	/* Thursday before Good Friday (closed) -> Monday April 1 */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 3, 28, 23, 30, 0), 0),
			 utc(2024, 4, 1, 22, 0, 0));
	/* weeks and months follow the same schedule */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1W, 2024, utc(2024, 1, 9, 15, 0, 0), 0),
			 utc(2024, 1, 9, 23, 0, 0));
	ck_assert_int_eq(mfs_stale_after_holes(&m, MFS_TF_1MO, 2024, utc(2024, 1, 9, 15, 0, 0), 0,
					       true),
			 utc(2024, 1, 9, 23, 0, 0));
}
END_TEST

START_TEST(test_stale_fx_daily)
{
	struct mfs_market m;

	mfs_market_init(&m, MFS_CLASS_FOREX, "America/New_York", 17 * 60);
	ck_assert(m.has_calendar);
	/* Wednesday: the roll at 17:00 EDT (21:00Z) + 1 h */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 7, 10, 12, 0, 0), 0),
			 utc(2024, 7, 10, 22, 0, 0));
	/* Friday after the settle -> Monday's */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 7, 12, 22, 30, 0), 0),
			 utc(2024, 7, 15, 22, 0, 0));
	/* Saturday -> Monday's */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 7, 13, 12, 0, 0), 0),
			 utc(2024, 7, 15, 22, 0, 0));
	/* Christmas Eve after the settle: Dec 25 is closed -> Dec 26, 17:00 EST + 1 h */
	ck_assert_int_eq(mfs_stale_after(&m, MFS_TF_1D, 2024, utc(2024, 12, 24, 23, 30, 0), 0),
			 utc(2024, 12, 26, 23, 0, 0));
}
END_TEST

START_TEST(test_stale_crypto_settle_holes)
{
	const struct mfs_market m = crypto();

	ck_assert_int_eq(mfs_stale_after_holes(&m, MFS_TF_1D, 2024, utc(2024, 5, 5, 13, 0, 0), 0,
					       false),
			 utc(2024, 5, 6, 0, 5, 0));
	ck_assert_int_eq(mfs_stale_after_holes(&m, MFS_TF_1D, 2024, utc(2024, 5, 5, 13, 0, 0), 0,
					       true),
			 utc(2024, 5, 6, 0, 5, 0));
	ck_assert_int_eq(mfs_stale_after_holes(&m, MFS_TF_1D, 2024, utc(2024, 5, 5, 0, 4, 59), 0,
					       true),
			 utc(2024, 5, 5, 0, 5, 0));
	/* last year's file with holes, fetched on Jan 10: retried at 00:05 UTC */
	ck_assert_int_eq(mfs_stale_after_holes(&m, MFS_TF_1D, 2023, utc(2024, 1, 10, 13, 0, 0), 0,
					       true),
			 utc(2024, 1, 11, 0, 5, 0));
}
END_TEST

/* An empty or short answer (the newest expected bar missing) is retried soon. */
START_TEST(test_tail_missing_retried_within_the_hour)
{
	const struct mfs_market st = stock();
	const int64_t fri = utc(2024, 1, 12, 23, 0, 0); /* next settle: Tuesday (MLK) */

	ck_assert_int_eq(mfs_stale_after_gaps(&st, MFS_TF_1D, 2024, fri, 0, false, true),
			 fri + MFS_TAIL_RETRY_S);
	ck_assert_int_eq(mfs_stale_after_gaps(&st, MFS_TF_1D, 2024, fri, 0, false, false),
			 utc(2024, 1, 16, 22, 0, 0));
	/* an intraday schedule shorter than the retry is kept */
	ck_assert_int_eq(mfs_stale_after_gaps(&st, MFS_TF_1M, 2024, fri, 0, false, true), fri + 60);
}
END_TEST

static Suite *stale_suite(void)
{
	Suite *s = suite_create("stale");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_market_init);
	tcase_add_test(tc, test_bar_end_intraday);
	tcase_add_test(tc, test_bar_end_crypto);
	tcase_add_test(tc, test_bar_end_stock);
	tcase_add_test(tc, test_drop_incomplete);
	tcase_add_test(tc, test_stale_intraday);
	tcase_add_test(tc, test_stale_crypto_daily);
	tcase_add_test(tc, test_stale_stock_daily);
	tcase_add_test(tc, test_stale_max_age);
	tcase_add_test(tc, test_stale_final);
	tcase_add_test(tc, test_final_only_after_last_bar_complete);
	tcase_add_test(tc, test_bar_on_grid);
	tcase_add_test(tc, test_year_bounds);
	tcase_add_test(tc, test_restamp_nyse);
	tcase_add_test(tc, test_restamp_no_calendar);
	tcase_add_test(tc, test_restamp_cme_fx);
	tcase_add_test(tc, test_stale_holes_final);
	tcase_add_test(tc, test_stale_holes_same_without);
	tcase_add_test(tc, test_stale_cme_daily);
	tcase_add_test(tc, test_stale_fx_daily);
	tcase_add_test(tc, test_stale_crypto_settle_holes);
	tcase_add_test(tc, test_tail_missing_retried_within_the_hour);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stale_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
