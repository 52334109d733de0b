/*
 * Unit tests for cache/validate.c: sort and de-duplication (last wins),
 * every rule that drops a bar, the wording of validation_errors, the cap
 * on the listing, null rows carried from the series, and the quality
 * score: its formula for known inputs and its monotonicity (one more
 * problem of any kind never raises it), checked both on the formula and
 * end to end through mfs_validate.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/series.h>
#include <marketfs/timeframe.h>

#include "cache/validate.h"

#define DAY MFS_SECONDS_PER_DAY

static int64_t date(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm, int ss)
{
	return date(y, m, d) + hh * 3600 + mm * 60 + ss;
}

static struct mfs_bar mkbar(int64_t t, double o, double h, double l, double c, double v)
{
	struct mfs_bar b = mfs_bar_empty();

	b.t = t;
	b.open = o;
	b.high = h;
	b.low = l;
	b.close = c;
	b.volume = v;
	return b;
}

static struct mfs_bar good(int64_t t)
{
	return mkbar(t, 10, 11, 9, 10.5, 1000);
}

static void add(struct mfs_series *s, struct mfs_bar b)
{
	ck_assert_int_eq(mfs_series_append(s, &b), 0);
}

static void validate_2024(struct mfs_series *s, struct mfs_quality *q)
{
	mfs_validate(s, mfs_year_start(2024), mfs_year_start(2025), q);
}

START_TEST(test_sort_dedup_last_wins)
{
	struct mfs_series s;
	struct mfs_quality q;

	mfs_series_init(&s, MFS_TF_1D);
	add(&s, good(date(2024, 1, 4)));
	add(&s, mkbar(date(2024, 1, 2), 10, 11, 9, 10.1, 1));
	add(&s, good(date(2024, 1, 3)));
	add(&s, mkbar(date(2024, 1, 2), 10, 11, 9, 10.2, 2)); /* wins */
	add(&s, mkbar(date(2024, 1, 4), 10, 12, 9, 11.0, 3)); /* wins */
	validate_2024(&s, &q);

	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(q.rows, 3);
	ck_assert_uint_eq(q.duplicates, 2);
	ck_assert_uint_eq(q.invalid, 0);
	ck_assert_uint_eq(q.n_errors, 0);
	ck_assert_uint_eq(q.n_listed, 0);
	ck_assert_int_eq(s.bars[0].t, date(2024, 1, 2));
	ck_assert_int_eq(s.bars[1].t, date(2024, 1, 3));
	ck_assert_int_eq(s.bars[2].t, date(2024, 1, 4));
	ck_assert_double_eq(s.bars[0].close, 10.2);
	ck_assert_double_eq(s.bars[0].volume, 2);
	ck_assert_double_eq(s.bars[2].close, 11.0);
	/* 3/3 * (1 - 2/5/2) */
	ck_assert_double_eq_tol(q.score, 0.8, 1e-12);
	mfs_series_free(&s);
}
END_TEST

/* One bad bar among good ones: dropped, counted, listed with its reason. */
struct rule_case {
	const char *what;
	struct mfs_bar bad;
	const char *reason; /* substring of the message after "DATE: " */
};

static struct mfs_bar with_adj(struct mfs_bar b, double adj)
{
	b.adj_close = adj;
	return b;
}

START_TEST(test_each_rule_drops)
{
	const int64_t t = date(2024, 3, 5);
	const struct rule_case cases[] = {
		{ "zero open", mkbar(t, 0, 11, 9, 10, 1), "price not positive" },
		{ "negative close", mkbar(t, 10, 11, 9, -1, 1), "price not positive" },
		{ "NaN high", mkbar(t, 10, NAN, 9, 10, 1), "price not positive" },
		{ "inf low", mkbar(t, 10, 11, INFINITY, 10, 1), "price not positive" },
		{ "-inf open", mkbar(t, -INFINITY, 11, 9, 10, 1), "price not positive" },
		{ "high < close", mkbar(t, 10, 10.5, 9, 11, 1), "high 10.5 below max" },
		{ "high < open", mkbar(t, 12, 11, 9, 10, 1), "high 11 below max" },
		{ "low > open", mkbar(t, 9, 11, 9.5, 10, 1), "low 9.5 above min" },
		{ "low > close", mkbar(t, 10, 11, 9.5, 9, 1), "low 9.5 above min" },
		{ "high < low", mkbar(t, 10, 9, 11, 10, 1), "below" },
		{ "negative volume", mkbar(t, 10, 11, 9, 10, -5), "volume -5" },
		{ "infinite volume", mkbar(t, 10, 11, 9, 10, INFINITY), "volume" },
		{ "zero adj_close", with_adj(mkbar(t, 10, 11, 9, 10, 1), 0), "adj_close" },
		{ "negative adj_close", with_adj(mkbar(t, 10, 11, 9, 10, 1), -3), "adj_close" },
		{ "inf adj_close", with_adj(mkbar(t, 10, 11, 9, 10, 1), INFINITY), "adj_close" },
		{ "daily not on a day", mkbar(t + 3600, 10, 11, 9, 10, 1), "off the 1d grid" },
		{ "daily at noon", mkbar(t + DAY / 2, 10, 11, 9, 10, 1), "off the 1d grid" },
		{ "before the year", mkbar(date(2023, 12, 29), 10, 11, 9, 10, 1), "outside" },
		{ "at hi", mkbar(date(2025, 1, 1), 10, 11, 9, 10, 1), "outside" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mfs_series s;
		struct mfs_quality q;
		char date_s[16];

		mfs_series_init(&s, MFS_TF_1D);
		add(&s, good(date(2024, 3, 4)));
		add(&s, cases[i].bad);
		add(&s, good(date(2024, 3, 6)));
		validate_2024(&s, &q);
		ck_assert_msg(q.rows == 2 && s.n == 2 && q.invalid == 1, "%s: kept %zu, invalid %zu",
			      cases[i].what, q.rows, q.invalid);
		ck_assert_msg(q.n_errors == 1 && q.n_listed == 1, "%s: %zu errors, %zu listed",
			      cases[i].what, q.n_errors, q.n_listed);
		ck_assert_msg(strstr(q.errors[0], cases[i].reason) != NULL,
			      "%s: message \"%s\" lacks \"%s\"", cases[i].what, q.errors[0],
			      cases[i].reason);
		mfs_format_iso8601(cases[i].bad.t, date_s, sizeof(date_s));
		date_s[10] = '\0';
		ck_assert_msg(strncmp(q.errors[0], date_s, 10) == 0 &&
				      strncmp(q.errors[0] + 10, ": ", 2) == 0,
			      "%s: message \"%s\" does not start with the date", cases[i].what,
			      q.errors[0]);
		ck_assert_int_eq(s.bars[0].t, date(2024, 3, 4));
		ck_assert_int_eq(s.bars[1].t, date(2024, 3, 6));
		ck_assert_double_eq_tol(q.score, 2.0 / 3.0, 1e-12);
		mfs_series_free(&s);
	}
}
END_TEST

START_TEST(test_allowed_values_kept)
{
	struct mfs_series s;
	struct mfs_quality q;

	mfs_series_init(&s, MFS_TF_1D);
	add(&s, mkbar(date(2024, 1, 1), 10, 11, 9, 10, NAN));      /* index: no volume */
	add(&s, mkbar(date(2024, 1, 2), 10, 11, 9, 10, 0));        /* zero volume */
	add(&s, with_adj(good(date(2024, 1, 3)), 9.8));            /* adj_close present */
	add(&s, mkbar(date(2024, 1, 4), 10, 10, 10, 10, 1));       /* flat bar */
	add(&s, mkbar(date(2024, 12, 31), 1e-4, 2e-4, 1e-4, 2e-4, 1)); /* last day */
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.rows, 5);
	ck_assert_uint_eq(q.invalid, 0);
	ck_assert_uint_eq(q.n_errors, 0);
	ck_assert_double_eq(q.score, 1.0);
	ck_assert(isnan(s.bars[0].volume));
	ck_assert(isnan(s.bars[1].adj_close));
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_intraday_grid)
{
	const int64_t base = utc(2024, 1, 2, 14, 0, 0);
	const struct {
		enum mfs_tf tf;
		int64_t off;
		int kept;
	} cases[] = {
		{ MFS_TF_1M, 0, 1 },	   { MFS_TF_1M, 60, 1 },     { MFS_TF_1M, 30, 0 },
		{ MFS_TF_1M, 1, 0 },	   { MFS_TF_5M, 300, 1 },    { MFS_TF_5M, 60, 0 },
		{ MFS_TF_5M, 1500, 1 },	   { MFS_TF_5M, 1560, 0 },   { MFS_TF_1H, 0, 1 },
		{ MFS_TF_1H, 1800, 1 },	   { MFS_TF_1H, 3600, 1 },   { MFS_TF_1H, 900, 0 },
		{ MFS_TF_1H, 60, 0 },	   { MFS_TF_15M, 900, 1 },   { MFS_TF_15M, 300, 0 },
		{ MFS_TF_30M, 1800, 1 },   { MFS_TF_30M, 900, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mfs_series s;
		struct mfs_quality q;

		mfs_series_init(&s, cases[i].tf);
		add(&s, good(base + cases[i].off));
		validate_2024(&s, &q);
		ck_assert_msg(q.rows == (size_t)cases[i].kept, "%s at +%lld: kept %zu",
			      mfs_tf_name(cases[i].tf), (long long)cases[i].off, q.rows);
		ck_assert_uint_eq(q.invalid, (size_t)!cases[i].kept);
		if (!cases[i].kept)
			ck_assert_msg(strstr(q.errors[0], "grid") != NULL, "%s", q.errors[0]);
		mfs_series_free(&s);
	}
}
END_TEST

START_TEST(test_message_format)
{
	struct mfs_series s;
	struct mfs_quality q;

	mfs_series_init(&s, MFS_TF_1D);
	add(&s, mkbar(date(2024, 1, 2), 10, 10.5, 9, 11, 1));
	add(&s, mkbar(date(2024, 1, 3), 10, 11, 9.5, 9, 1));
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.n_listed, 2);
	ck_assert_str_eq(q.errors[0], "2024-01-02: high 10.5 below max(open 10, close 11)");
	ck_assert_str_eq(q.errors[1], "2024-01-03: low 9.5 above min(open 10, close 9)");
	mfs_series_free(&s);

	/* intraday: the label carries the time of day */
	mfs_series_init(&s, MFS_TF_1M);
	add(&s, good(utc(2024, 1, 2, 14, 31, 30)));
	add(&s, mkbar(utc(2024, 1, 2, 14, 32, 0), 10, 11, 9, 10, -1));
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.n_listed, 2);
	ck_assert_str_eq(q.errors[0], "2024-01-02T14:31:30Z: time stamp off the 1m grid");
	ck_assert_ptr_nonnull(strstr(q.errors[1], "2024-01-02T14:32:00Z: volume -1"));
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_listing_capped)
{
	struct mfs_series s;
	struct mfs_quality q;
	const size_t n_bad = MFS_VALIDATION_LIST_MAX + 13, n_good = 5;

	mfs_series_init(&s, MFS_TF_1D);
	for (size_t i = 0; i < n_bad; i++)
		add(&s, mkbar(date(2024, 2, 1) + (int64_t)i * DAY, 10, 9, 8, 10, 1));
	for (size_t i = 0; i < n_good; i++)
		add(&s, good(date(2024, 6, 1) + (int64_t)i * DAY));
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.rows, n_good);
	ck_assert_uint_eq(q.invalid, n_bad);
	ck_assert_uint_eq(q.n_errors, n_bad);
	ck_assert_uint_eq(q.n_listed, MFS_VALIDATION_LIST_MAX);
	/* the first ones, in time order */
	ck_assert_ptr_nonnull(strstr(q.errors[0], "2024-02-01: "));
	ck_assert_ptr_nonnull(strstr(q.errors[MFS_VALIDATION_LIST_MAX - 1], "2024-02-20: "));
	for (size_t i = 0; i < MFS_VALIDATION_LIST_MAX; i++)
		ck_assert(strlen(q.errors[i]) < MFS_VALIDATION_MSG_MAX);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_null_rows_carried)
{
	struct mfs_series s;
	struct mfs_quality q;

	mfs_series_init(&s, MFS_TF_1D);
	for (int i = 0; i < 9; i++)
		add(&s, good(date(2024, 4, 1) + i * DAY));
	s.null_rows = 3;
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.null_rows, 3);
	ck_assert_uint_eq(q.rows, 9);
	ck_assert_uint_eq(q.n_errors, 0); /* null rows are counted, not listed */
	ck_assert_double_eq_tol(q.score, 0.75, 1e-12);
	mfs_series_free(&s);
}
END_TEST

static double score_of(size_t kept, size_t nulls, size_t invalid, size_t dups)
{
	struct mfs_quality q;

	memset(&q, 0, sizeof(q));
	q.rows = kept;
	q.null_rows = nulls;
	q.invalid = invalid;
	q.duplicates = dups;
	return mfs_quality_score(&q);
}

START_TEST(test_score_known_values)
{
	struct mfs_series s;
	struct mfs_quality q;

	ck_assert_double_eq(score_of(0, 0, 0, 0), 1.0); /* empty */
	ck_assert_double_eq(score_of(250, 0, 0, 0), 1.0);
	ck_assert_double_eq_tol(score_of(3, 1, 0, 0), 0.75, 1e-12);
	ck_assert_double_eq_tol(score_of(8, 0, 2, 0), 0.8, 1e-12);
	ck_assert_double_eq_tol(score_of(3, 0, 0, 1), 0.875, 1e-12);
	/* 6/8 * (1 - 2/10/2) */
	ck_assert_double_eq_tol(score_of(6, 1, 1, 2), 0.675, 1e-12);
	ck_assert_double_eq(score_of(0, 4, 0, 0), 0.0);
	ck_assert_double_eq(score_of(0, 0, 4, 3), 0.0);

	/* an empty series validates to a clean, empty result */
	mfs_series_init(&s, MFS_TF_1H);
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.rows, 0);
	ck_assert_uint_eq(q.n_errors, 0);
	ck_assert_double_eq(q.score, 1.0);
	mfs_series_free(&s);
}
END_TEST

/* Deterministic xorshift so that a failure can be reproduced. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static size_t rnd(size_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % n);
}

START_TEST(test_score_monotone_formula)
{
	for (int it = 0; it < 20000; it++) {
		size_t lim = it % 4 == 0 ? 4 : it % 4 == 1 ? 40 : 5000;
		size_t k = rnd(lim), n = rnd(lim), i = rnd(lim), u = rnd(lim);
		double s = score_of(k, n, i, u);

		ck_assert_msg(s >= 0 && s <= 1, "score(%zu,%zu,%zu,%zu) = %g", k, n, i, u, s);
		/* one more bad row of each kind, or one more duplicate */
		ck_assert_msg(score_of(k, n + 1, i, u) <= s, "null raises (%zu,%zu,%zu,%zu)", k,
			      n, i, u);
		ck_assert_msg(score_of(k, n, i + 1, u) <= s, "invalid raises (%zu,%zu,%zu,%zu)",
			      k, n, i, u);
		ck_assert_msg(score_of(k, n, i, u + 1) <= s, "dup raises (%zu,%zu,%zu,%zu)", k,
			      n, i, u);
		/* or a kept row turned bad (a bad duplicate winning over a good bar) */
		if (k > 0) {
			ck_assert(score_of(k - 1, n + 1, i, u) <= s);
			ck_assert(score_of(k - 1, n, i + 1, u) <= s);
			ck_assert(score_of(k - 1, n, i + 1, u + 1) <= s);
		}
	}
}
END_TEST

/*
 * Build a series with k good bars, i invalid bars, u duplicate copies of
 * good bars and n null rows; validate it; return the score after checking
 * the counts.
 */
static double validated_score(size_t k, size_t n, size_t i, size_t u)
{
	struct mfs_series s;
	struct mfs_quality q;
	double score;

	mfs_series_init(&s, MFS_TF_1D);
	for (size_t j = 0; j < k; j++)
		add(&s, good(date(2024, 1, 1) + (int64_t)j * DAY));
	for (size_t j = 0; j < i; j++)
		add(&s, mkbar(date(2024, 7, 1) + (int64_t)j * DAY, 10, 9, 8, 10, 1));
	for (size_t j = 0; j < u; j++) {
		/* copies of good bars if there are any, else of bad ones */
		int64_t t = k ? date(2024, 1, 1) + (int64_t)(j % k) * DAY
			      : date(2024, 7, 1) + (int64_t)(j % (i ? i : 1)) * DAY;
		add(&s, k ? good(t) : mkbar(t, 10, 9, 8, 10, 1));
	}
	s.null_rows = n;
	validate_2024(&s, &q);
	ck_assert_uint_eq(q.rows, k);
	ck_assert_uint_eq(q.null_rows, n);
	ck_assert_uint_eq(q.invalid, i + (k == 0 && i == 0 && u > 0 ? 1 : 0));
	ck_assert_uint_eq(q.duplicates, u - (k == 0 && i == 0 && u > 0 ? 1 : 0));
	ck_assert_double_eq_tol(q.score, score_of(q.rows, q.null_rows, q.invalid, q.duplicates),
				1e-15);
	score = q.score;
	mfs_series_free(&s);
	return score;
}

START_TEST(test_score_monotone_validate)
{
	for (int it = 0; it < 400; it++) {
		size_t k = rnd(30), n = rnd(6), i = rnd(8), u = rnd(8);
		double s = validated_score(k, n, i, u);

		ck_assert_msg(validated_score(k, n + 1, i, u) <= s, "null (%zu,%zu,%zu,%zu)", k, n,
			      i, u);
		ck_assert_msg(validated_score(k, n, i + 1, u) <= s, "invalid (%zu,%zu,%zu,%zu)", k,
			      n, i, u);
		ck_assert_msg(validated_score(k, n, i, u + 1) <= s, "dup (%zu,%zu,%zu,%zu)", k, n,
			      i, u);
	}
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sort_dedup_last_wins);
	tcase_add_test(tc, test_each_rule_drops);
	tcase_add_test(tc, test_allowed_values_kept);
	tcase_add_test(tc, test_intraday_grid);
	tcase_add_test(tc, test_message_format);
	tcase_add_test(tc, test_listing_capped);
	tcase_add_test(tc, test_null_rows_carried);
	tcase_add_test(tc, test_score_known_values);
	tcase_add_test(tc, test_score_monotone_formula);
	tcase_add_test(tc, test_score_monotone_validate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(validate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
