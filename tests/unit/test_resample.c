/*
 * Resampling to coarser timeframes and split adjustment (cache/resample.c),
 * and the actions.csv codec (cache/actions.c).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/series.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "cache/actions.h"
#include "cache/resample.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY

static int64_t date(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

/* UTC second of local New York time h:mm on y-m-d. */
static int64_t ny(int y, unsigned m, unsigned d, int h, int mm)
{
	return mfs_tz_from_local(mfs_tz_get("America/New_York"), date(y, m, d) + h * 3600 + mm * 60,
				 NULL);
}

static void add(struct mfs_series *s, int64_t t, double o, double h, double l, double c, double v)
{
	struct mfs_bar b = { t, o, h, l, c, v, NAN };

	ck_assert_int_eq(mfs_series_append(s, &b), 0);
}

/* 1h bars of a NYSE session (09:30 .. 15:30) become 09:30 and 13:30 4h bars, in winter and summer. */
START_TEST(test_4h_from_1h_session_anchored)
{
	struct mfs_market mk;
	struct mfs_series src, dst;
	const int days[2][3] = { { 2024, 1, 3 }, { 2024, 7, 3 } }; /* EST and EDT */

	mfs_market_init(&mk, MFS_CLASS_STOCK, "America/New_York", 16 * 60);
	for (int k = 0; k < 2; k++) {
		mfs_series_init(&src, MFS_TF_1H);
		mfs_series_init(&dst, MFS_TF_4H);
		for (int i = 0; i < 7; i++) /* 09:30, 10:30, ... 15:30 */
			add(&src, ny(days[k][0], days[k][1], days[k][2], 9 + i, 30), 10 + i, 20 + i,
			    5 + i, 11 + i, 100);
		ck_assert_int_eq(mfs_resample(&src, MFS_TF_4H, &mk, &dst), 0);
		ck_assert_uint_eq(dst.n, 2);
		ck_assert_int_eq(dst.bars[0].t, ny(days[k][0], days[k][1], days[k][2], 9, 30));
		ck_assert_int_eq(dst.bars[1].t, ny(days[k][0], days[k][1], days[k][2], 13, 30));
		/* 09:30-13:30 = four bars: open first, high max, low min, close last, volume sum */
		ck_assert_double_eq(dst.bars[0].open, 10);
		ck_assert_double_eq(dst.bars[0].high, 23);
		ck_assert_double_eq(dst.bars[0].low, 5);
		ck_assert_double_eq(dst.bars[0].close, 14);
		ck_assert_double_eq(dst.bars[0].volume, 400);
		/* 13:30-16:00 = three bars (a short last bar) */
		ck_assert_double_eq(dst.bars[1].open, 14);
		ck_assert_double_eq(dst.bars[1].close, 17);
		ck_assert_double_eq(dst.bars[1].volume, 300);
		mfs_series_free(&src);
		mfs_series_free(&dst);
	}
}
END_TEST

/* Crypto: the UTC grid (00:00, 04:00, ...); volume NaN only when no bar had one. */
START_TEST(test_4h_utc_grid_and_nan_volume)
{
	struct mfs_market mk;
	struct mfs_series src, dst;
	int64_t t0 = date(2024, 3, 10);

	mfs_market_init(&mk, MFS_CLASS_CRYPTO, "UTC", 0);
	mfs_series_init(&src, MFS_TF_1H);
	mfs_series_init(&dst, MFS_TF_4H);
	add(&src, t0 + 3 * 3600, 1, 2, 1, 2, NAN);   /* 00:00 bucket */
	add(&src, t0 + 5 * 3600, 2, 3, 1, 3, NAN);   /* 04:00 bucket */
	add(&src, t0 + 6 * 3600, 3, 4, 2, 4, 7);     /* 04:00 bucket */
	ck_assert_int_eq(mfs_resample(&src, MFS_TF_4H, &mk, &dst), 0);
	ck_assert_uint_eq(dst.n, 2);
	ck_assert_int_eq(dst.bars[0].t, t0);
	ck_assert(isnan(dst.bars[0].volume));
	ck_assert_int_eq(dst.bars[1].t, t0 + 4 * 3600);
	ck_assert_double_eq(dst.bars[1].volume, 7);
	mfs_series_free(&src);
	mfs_series_free(&dst);
}
END_TEST

/* Weeks run Monday..Sunday and months by the calendar, labelled by their first bar. */
START_TEST(test_week_and_month_from_days)
{
	struct mfs_market mk;
	struct mfs_series src, wk, mo;

	mfs_market_init(&mk, MFS_CLASS_STOCK, "America/New_York", 16 * 60);
	mfs_series_init(&src, MFS_TF_1D);
	mfs_series_init(&wk, MFS_TF_1W);
	mfs_series_init(&mo, MFS_TF_1MO);
	/* Tue 2024-01-02 .. Fri 01-05 (New Year's Monday closed), Mon 01-08, Wed 01-31, Thu 02-01 */
	const unsigned days[][2] = { { 1, 2 }, { 1, 3 }, { 1, 5 }, { 1, 8 }, { 1, 31 }, { 2, 1 } };
	for (int i = 0; i < 6; i++) {
		struct mfs_bar b = { date(2024, days[i][0], days[i][1]), 10 + i, 30, 1, 20 + i, 5,
				     19 + i };
		ck_assert_int_eq(mfs_series_append(&src, &b), 0);
	}
	ck_assert_int_eq(mfs_resample(&src, MFS_TF_1W, &mk, &wk), 0);
	ck_assert_uint_eq(wk.n, 3);
	ck_assert_int_eq(wk.bars[0].t, date(2024, 1, 2)); /* the first session, not Monday */
	ck_assert_double_eq(wk.bars[0].close, 22);
	ck_assert_double_eq(wk.bars[0].adj_close, 21);
	ck_assert_double_eq(wk.bars[0].volume, 15);
	ck_assert_int_eq(wk.bars[1].t, date(2024, 1, 8));
	ck_assert_int_eq(wk.bars[2].t, date(2024, 1, 31)); /* Wed 01-31 and Thu 02-01 share a week */
	ck_assert_double_eq(wk.bars[2].close, 25);
	ck_assert_int_eq(mfs_resample(&src, MFS_TF_1MO, &mk, &mo), 0);
	ck_assert_uint_eq(mo.n, 2);
	ck_assert_int_eq(mo.bars[0].t, date(2024, 1, 2));
	ck_assert_double_eq(mo.bars[0].open, 10);
	ck_assert_double_eq(mo.bars[0].close, 24);
	ck_assert_int_eq(mo.bars[1].t, date(2024, 2, 1));
	mfs_series_free(&src);
	mfs_series_free(&wk);
	mfs_series_free(&mo);
}
END_TEST

/* Null rows keep their own dates (a bug stored a month number for 1M: 1970). */
START_TEST(test_null_rows_keep_their_dates)
{
	struct mfs_market mk;
	struct mfs_series src, mo;

	mfs_market_init(&mk, MFS_CLASS_STOCK, "America/New_York", 16 * 60);
	mfs_series_init(&src, MFS_TF_1D);
	mfs_series_init(&mo, MFS_TF_1MO);
	add(&src, date(2024, 3, 5), 1, 2, 1, 2, 10);
	ck_assert_int_eq(mfs_series_add_null(&src, date(2024, 3, 6)), 0);
	ck_assert_int_eq(mfs_resample(&src, MFS_TF_1MO, &mk, &mo), 0);
	ck_assert_uint_eq(mo.null_rows, 1);
	ck_assert_int_eq(mo.null_t[0], date(2024, 3, 6));
	mfs_series_free(&src);
	mfs_series_free(&mo);
}
END_TEST

/* Finer bars are asked for whole weeks and months, never part of one. */
START_TEST(test_window_whole_periods)
{
	int64_t s, e, now = date(2030, 1, 1);

	/* a year: from the Monday of Jan 1's week to the end of Dec 31's week */
	s = date(2024, 1, 1), e = date(2025, 1, 1);
	mfs_resample_window(MFS_TF_1W, &s, &e, now);
	ck_assert_int_eq(s, date(2024, 1, 1)); /* a Monday */
	ck_assert_int_eq(e, date(2025, 1, 6)); /* the week of Mon 2024-12-30 ends Sun 01-05 */
	/* an incremental refresh from a Wednesday: the whole week again */
	s = date(2024, 5, 15), e = date(2024, 5, 20);
	mfs_resample_window(MFS_TF_1W, &s, &e, date(2024, 5, 20));
	ck_assert_int_eq(s, date(2024, 5, 13));
	ck_assert_int_eq(e, date(2024, 5, 20)); /* capped at now */
	s = date(2024, 2, 10), e = date(2024, 3, 2);
	mfs_resample_window(MFS_TF_1MO, &s, &e, now);
	ck_assert_int_eq(s, date(2024, 2, 1));
	ck_assert_int_eq(e, date(2024, 4, 1));
	s = date(2024, 12, 31), e = date(2025, 1, 1);
	mfs_resample_window(MFS_TF_1MO, &s, &e, now);
	ck_assert_int_eq(s, date(2024, 12, 1));
	ck_assert_int_eq(e, date(2025, 1, 1));
	/* intraday: unchanged */
	s = 1000, e = 2000;
	mfs_resample_window(MFS_TF_4H, &s, &e, now);
	ck_assert_int_eq(s, 1000);
	ck_assert_int_eq(e, 2000);
}
END_TEST

/* Raw prices before a split are divided, volumes multiplied, by every later split. */
START_TEST(test_adjust_splits)
{
	struct mfs_market mk;
	struct mfs_series s;
	const struct mfs_action acts[] = {
		{ date(2021, 7, 20), MFS_ACTION_SPLIT, 4 },
		{ date(2022, 1, 3), MFS_ACTION_DIVIDEND, 0.25 }, /* ignored */
		{ date(2024, 6, 10), MFS_ACTION_SPLIT, 10 },
	};

	mfs_market_init(&mk, MFS_CLASS_STOCK, "America/New_York", 16 * 60);
	mfs_series_init(&s, MFS_TF_1D);
	add(&s, date(2021, 7, 19), 4735.6, 4868, 4716, 4852, 47057800); /* before both */
	add(&s, date(2021, 7, 20), 1190.5, 1200, 1180, 1195.1, 100);    /* between */
	add(&s, date(2024, 6, 10), 120.1, 121, 119, 120.5, 5);           /* after both */
	mfs_adjust_splits(&s, acts, 3, &mk);
	/* 4735.6 / 40 is 118.39 exactly as written, not 118.38999999999999 */
	ck_assert_double_eq(s.bars[0].open, 118.39);
	ck_assert_double_eq(s.bars[0].close, 121.3);
	ck_assert_double_eq(s.bars[0].volume, 1882312000);
	ck_assert_double_eq(s.bars[1].open, 119.05);
	ck_assert_double_eq(s.bars[1].volume, 1000);
	ck_assert_double_eq(s.bars[2].open, 120.1);
	ck_assert_double_eq(s.bars[2].volume, 5);
	mfs_series_free(&s);

	/* intraday bars are dated in the exchange's zone: 19:30 New York on the eve
	 * of the ex-date is 23:30 UTC, still before the split */
	mfs_series_init(&s, MFS_TF_1H);
	add(&s, ny(2024, 6, 7, 15, 30), 1200, 1210, 1190, 1205, 10);
	add(&s, ny(2024, 6, 10, 9, 30), 120, 121, 119, 120.5, 10);
	mfs_adjust_splits(&s, acts + 2, 1, &mk);
	ck_assert_double_eq(s.bars[0].open, 120);
	ck_assert_double_eq(s.bars[0].volume, 100);
	ck_assert_double_eq(s.bars[1].open, 120);
	mfs_series_free(&s);
}
END_TEST

/* actions.csv: parse, normalise (sort, repeats collapse to the last), render. */
START_TEST(test_actions_codec)
{
	static const char text[] = "date,type,value\n"
				   "2024-06-10,split,10\n"
				   "2021-07-20,split,4\n"
				   "garbage line\n"
				   "2021-07-20,dividend,0.04\n"
				   "2024-06-10,split,10\n"
				   "2019-06-03,dividend,0.25";
	struct mfs_action *a = NULL;
	size_t n = 0, len = 0;
	char *out;

	ck_assert_int_eq(mfs_actions_parse(text, strlen(text), &a, &n), 0);
	ck_assert_uint_eq(n, 5);
	mfs_actions_normalise(a, &n);
	ck_assert_uint_eq(n, 4);
	out = mfs_actions_render(a, n, &len);
	ck_assert_str_eq(out, "date,type,value\n"
			      "2019-06-03,dividend,0.25\n"
			      "2021-07-20,split,4\n"
			      "2021-07-20,dividend,0.04\n"
			      "2024-06-10,split,10\n");
	ck_assert_uint_eq(len, strlen(out));
	free(out);
	free(a);
}
END_TEST

static Suite *resample_suite(void)
{
	Suite *s = suite_create("resample");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_4h_from_1h_session_anchored);
	tcase_add_test(tc, test_4h_utc_grid_and_nan_volume);
	tcase_add_test(tc, test_week_and_month_from_days);
	tcase_add_test(tc, test_null_rows_keep_their_dates);
	tcase_add_test(tc, test_window_whole_periods);
	tcase_add_test(tc, test_adjust_splits);
	tcase_add_test(tc, test_actions_codec);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(resample_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
