/*
 * Judging one provider's answer (cache/answer.c): "no data where the
 * calendar expects some" (a failover reason, SPEC section 4) and the
 * score used against min_quality.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "cache/answer.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY

static int64_t date(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static void job_for(struct job *j, int year)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->symbol, sizeof(j->symbol), "AAPL");
	j->tf = MFS_TF_1D;
	j->want_year = j->year_lo = j->year_hi = year;
	j->start = mfs_year_start(year);
	j->end = mfs_year_start(year + 1);
}

START_TEST(test_missing_expected)
{
	struct mfs_market mk;
	struct mfs_fetch_result res;
	struct job j;
	struct mfs_bar b = { date(2024, 3, 4), 1, 2, 1, 2, 10, NAN };
	int64_t now = date(2026, 6, 1);

	mfs_market_init(&mk, MFS_CLASS_STOCK, "America/New_York", 16 * 60);
	job_for(&j, 2024);
	mfs_fetch_result_init(&res, MFS_TF_1D);
	/* a whole year of NYSE sessions and no bar: missing */
	ck_assert(mfs_answer_missing_expected(&j, &res, &mk, now));
	/* a listing after the window: nothing was expected */
	res.first_trade = date(2025, 2, 3);
	ck_assert(!mfs_answer_missing_expected(&j, &res, &mk, now));
	res.first_trade = 0;
	/* a window of one weekend: no session in it */
	j.start = date(2024, 3, 2);
	j.end = date(2024, 3, 4);
	ck_assert(!mfs_answer_missing_expected(&j, &res, &mk, now));
	/* bars of the year: not missing */
	job_for(&j, 2024);
	ck_assert_int_eq(mfs_series_append(&res.series, &b), 0);
	ck_assert(!mfs_answer_missing_expected(&j, &res, &mk, now));
	mfs_fetch_result_free(&res);
	/* crypto has a 24x7 calendar: an empty year is missing too */
	mfs_market_init(&mk, MFS_CLASS_CRYPTO, "UTC", 0);
	mfs_fetch_result_init(&res, MFS_TF_1D);
	ck_assert(mfs_answer_missing_expected(&j, &res, &mk, now));
	mfs_fetch_result_free(&res);
}
END_TEST

START_TEST(test_year_score)
{
	struct mfs_market mk;
	struct mfs_series s;
	struct job j;
	int64_t now = date(2026, 6, 1);
	double full, holed;

	mfs_market_init(&mk, MFS_CLASS_CRYPTO, "UTC", 0);
	job_for(&j, 2024);
	mfs_series_init(&s, MFS_TF_1D);
	for (int64_t t = date(2024, 1, 1); t < date(2025, 1, 1); t += DAY) {
		struct mfs_bar b = { t, 1, 2, 1, 2, 10, NAN };
		ck_assert_int_eq(mfs_series_append(&s, &b), 0);
	}
	full = mfs_answer_year_score(&j, &s, &mk, INT64_MIN, now);
	ck_assert_double_eq_tol(full, 1.0, 1e-9);
	/* the first 100 days missing */
	memmove(s.bars, s.bars + 100, (s.n - 100) * sizeof(s.bars[0]));
	s.n -= 100;
	holed = mfs_answer_year_score(&j, &s, &mk, INT64_MIN, now);
	ck_assert(holed < 0.8);
	/* counted from the provider's reach: the days before it are not holes */
	ck_assert_double_eq_tol(mfs_answer_year_score(&j, &s, &mk, s.bars[0].t, now), 1.0, 1e-9);
	mfs_series_free(&s);
}
END_TEST

static Suite *answer_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_missing_expected);
	tcase_add_test(tc, test_year_score);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(answer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
