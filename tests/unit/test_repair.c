/*
 * Unit tests for cache/repair.c: the 100x unit mix-up (all four prices
 * x100 or /100 repaired, at the edges and in a short run; a bar with only
 * its close off is left alone), unadjusted splits and reverse splits
 * (flagged with their date and ratio, nothing changed), volume spikes
 * (flagged, volume kept), a normal series (untouched), short series and
 * the caps on both lists. The off-grid bar, the remaining planted fault
 * of the issue, is dropped by validation (validate.c) and checked here
 * through mfs_validate.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/series.h>
#include <marketfs/timeframe.h>

#include "cache/repair.h"
#include "cache/validate.h"

#define DAY MFS_SECONDS_PER_DAY
#define H 3600

static int64_t date(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

/* "2024-03-14" of a daily bar's time. */
static void day_label(int64_t t, char *buf, size_t len)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(t / DAY, &y, &m, &d);
	snprintf(buf, len, "%04d-%02u-%02u", y, m, d);
}

/*
 * n daily bars on weekdays from 2024-01-02, smooth prices around 50
 * (at most 0.2% from one bar to the next) and volumes around a million.
 */
static void smooth(struct mfs_series *s, size_t n)
{
	int64_t day = mfs_days_from_civil(2024, 1, 2);

	mfs_series_init(s, MFS_TF_1D);
	for (size_t i = 0; i < n; i++, day++) {
		struct mfs_bar b = mfs_bar_empty();
		double p = 50.0 * (1.0 + 0.02 * sin((double)i * 0.1));

		while (mfs_weekday_from_days(day) >= 5)
			day++;
		b.t = day * DAY;
		b.open = p;
		b.close = p * (1.0 + 0.001 * cos((double)i));
		b.high = fmax(b.open, b.close) * 1.002;
		b.low = fmin(b.open, b.close) * 0.998;
		b.adj_close = b.close * 0.99;
		b.volume = 1e6 * (1.0 + 0.2 * sin((double)i * 0.7));
		ck_assert_int_eq(mfs_series_append(s, &b), 0);
	}
}

static struct mfs_bar *copy_bars(const struct mfs_series *s)
{
	struct mfs_bar *c = malloc((s->n + 1) * sizeof(*c));

	ck_assert_ptr_nonnull(c);
	memcpy(c, s->bars, s->n * sizeof(*c));
	return c;
}

static void scale_prices(struct mfs_bar *b, double f)
{
	b->open *= f;
	b->high *= f;
	b->low *= f;
	b->close *= f;
	b->adj_close *= f;
}

static void assert_rel(double got, double want, const char *what, size_t i)
{
	ck_assert_msg(fabs(got - want) <= 1e-9 * fabs(want), "bar %zu %s: got %.12g, want %.12g", i,
		      what, got, want);
}

static void assert_same_prices(const struct mfs_bar *got, const struct mfs_bar *want, size_t i)
{
	ck_assert_int_eq(got->t, want->t);
	assert_rel(got->open, want->open, "open", i);
	assert_rel(got->high, want->high, "high", i);
	assert_rel(got->low, want->low, "low", i);
	assert_rel(got->close, want->close, "close", i);
	assert_rel(got->adj_close, want->adj_close, "adj_close", i);
	ck_assert(got->volume == want->volume);
}

static void assert_unchanged(const struct mfs_series *s, const struct mfs_bar *orig)
{
	ck_assert_msg(memcmp(s->bars, orig, s->n * sizeof(*orig)) == 0,
		      "bars changed where nothing should be");
}

/* ---- the 100x unit mix-up ---- */

static void check_unit_fault(size_t n, size_t at, double f)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;
	char when[16];

	smooth(&s, n);
	orig = copy_bars(&s);
	scale_prices(&s.bars[at], f);
	mfs_repair(&s, &r);
	ck_assert_msg(r.repaired == 1, "x%g at bar %zu of %zu: repaired %zu", f, at, n, r.repaired);
	ck_assert_uint_eq(r.n_repairs, 1);
	ck_assert_uint_eq(r.flagged, 0);
	ck_assert_uint_eq(r.n_flags, 0);
	for (size_t i = 0; i < n; i++)
		assert_same_prices(&s.bars[i], &orig[i], i);
	day_label(orig[at].t, when, sizeof(when));
	ck_assert_msg(strncmp(r.repairs[0], when, strlen(when)) == 0,
		      "repair note \"%s\" does not start with %s", r.repairs[0], when);
	ck_assert_ptr_nonnull(strstr(r.repairs[0], "100"));
	ck_assert_uint_lt(strlen(r.repairs[0]), MFS_REPAIR_MSG_MAX);
	free(orig);
	mfs_series_free(&s);
}

START_TEST(test_unit_times_100)
{
	check_unit_fault(60, 30, 100.0);
}
END_TEST

START_TEST(test_unit_div_100)
{
	check_unit_fault(60, 30, 0.01);
}
END_TEST

START_TEST(test_unit_at_edges)
{
	check_unit_fault(60, 0, 100.0);
	check_unit_fault(60, 59, 100.0);
	check_unit_fault(60, 0, 0.01);
	check_unit_fault(60, 59, 0.01);
	check_unit_fault(60, 1, 100.0);
}
END_TEST

/* A short run of bad bars: the neighbours' median still sees the truth. */
START_TEST(test_unit_run_of_three)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;

	smooth(&s, 60);
	orig = copy_bars(&s);
	for (size_t i = 20; i < 23; i++)
		scale_prices(&s.bars[i], 100.0);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 3);
	ck_assert_uint_eq(r.n_repairs, 3);
	ck_assert_uint_eq(r.flagged, 0);
	for (size_t i = 0; i < 60; i++)
		assert_same_prices(&s.bars[i], &orig[i], i);
	free(orig);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_unit_adj_close_nan)
{
	struct mfs_series s;
	struct mfs_repair_report r;

	smooth(&s, 40);
	for (size_t i = 0; i < s.n; i++)
		s.bars[i].adj_close = NAN;
	double close = s.bars[17].close;
	s.bars[17].open *= 100;
	s.bars[17].high *= 100;
	s.bars[17].low *= 100;
	s.bars[17].close *= 100;
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 1);
	assert_rel(s.bars[17].close, close, "close", 17);
	ck_assert(isnan(s.bars[17].adj_close));
	mfs_series_free(&s);
}
END_TEST

/* Only the close x100 (or close and high): not the unit mix-up. */
START_TEST(test_unit_close_only)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;

	smooth(&s, 60);
	s.bars[30].close *= 100;
	orig = copy_bars(&s);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 0);
	ck_assert_uint_eq(r.n_repairs, 0);
	assert_unchanged(&s, orig);
	free(orig);
	mfs_series_free(&s);

	smooth(&s, 60);
	s.bars[30].close *= 100;
	s.bars[30].high = s.bars[30].close; /* a valid bar: a wild close */
	orig = copy_bars(&s);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 0);
	assert_unchanged(&s, orig);
	free(orig);
	mfs_series_free(&s);
}
END_TEST

/* A ratio outside 50-200 is not taken for a unit mix-up. */
START_TEST(test_unit_other_ratios)
{
	const double fs[] = { 10.0, 30.0, 400.0, 1000.0, 0.1, 0.001 };

	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
		struct mfs_series s;
		struct mfs_repair_report r;

		smooth(&s, 60);
		scale_prices(&s.bars[30], fs[k]);
		mfs_repair(&s, &r);
		ck_assert_msg(r.repaired == 0, "x%g repaired", fs[k]);
		mfs_series_free(&s);
	}
}
END_TEST

/* ---- unadjusted splits ---- */

static void check_split(double f, double ratio, const char *word)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;
	char when[16], num[16];

	smooth(&s, 60);
	for (size_t i = 30; i < s.n; i++)
		scale_prices(&s.bars[i], f);
	orig = copy_bars(&s);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 0);
	ck_assert_uint_eq(r.n_repairs, 0);
	ck_assert_msg(r.flagged == 1 && r.n_flags == 1, "x%g from bar 30: flagged %zu, listed %zu",
		      f, r.flagged, r.n_flags);
	assert_unchanged(&s, orig);
	day_label(orig[30].t, when, sizeof(when));
	snprintf(num, sizeof(num), "%g", ratio);
	ck_assert_msg(strncmp(r.flags[0], when, strlen(when)) == 0,
		      "flag \"%s\" does not start with %s", r.flags[0], when);
	ck_assert_msg(strstr(r.flags[0], num) != NULL, "flag \"%s\" does not name %s", r.flags[0],
		      num);
	ck_assert_msg(strstr(r.flags[0], "split") != NULL, "flag \"%s\"", r.flags[0]);
	if (word)
		ck_assert_msg(strstr(r.flags[0], word) != NULL, "flag \"%s\" lacks \"%s\"",
			      r.flags[0], word);
	free(orig);
	mfs_series_free(&s);
}

START_TEST(test_split_4_to_1)
{
	check_split(0.25, 4, NULL);
}
END_TEST

START_TEST(test_split_other_ratios)
{
	check_split(0.5, 2, NULL);
	check_split(1.0 / 3.0, 3, NULL);
	check_split(0.1, 10, NULL);
	check_split(0.2, 5, NULL);
}
END_TEST

START_TEST(test_reverse_split)
{
	check_split(10.0, 10, "reverse");
	check_split(4.0, 4, "reverse");
	check_split(8.0, 8, "reverse");
}
END_TEST

/* A jump that comes back is no split; neither is a ratio off the list. */
START_TEST(test_split_not_persistent)
{
	struct mfs_series s;
	struct mfs_repair_report r;

	smooth(&s, 60);
	for (size_t i = 30; i < 32; i++)
		scale_prices(&s.bars[i], 0.25);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.flagged, 0);
	mfs_series_free(&s);

	smooth(&s, 60);
	for (size_t i = 30; i < s.n; i++)
		scale_prices(&s.bars[i], 1.0 / 3.5);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.flagged, 0);
	mfs_series_free(&s);
}
END_TEST

/*
 * A step of 100x that persists is a 100:1 split (or a 1:100 reverse
 * split), not a unit mix-up of one bar: no single bar may be "repaired"
 * into an outlier next to the step.
 */
START_TEST(test_persistent_100x_step_not_repaired)
{
	const double fs[] = { 100.0, 0.01, 150.0 };
	char msg[1024] = "";
	size_t len = 0;

	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
		struct mfs_series s;
		struct mfs_repair_report r;
		struct mfs_bar *orig;

		smooth(&s, 60);
		for (size_t i = 30; i < s.n; i++)
			scale_prices(&s.bars[i], fs[k]);
		orig = copy_bars(&s);
		mfs_repair(&s, &r);
		size_t changed = 0, first = 0;
		for (size_t i = 0; i < s.n; i++)
			if (memcmp(&s.bars[i], &orig[i], sizeof(orig[i])) != 0 && !changed++)
				first = i;
		if (changed)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
						"[x%g from bar 30 of 60: %zu bars changed from bar %zu "
						"(close %g -> %g), repaired %zu] ",
						fs[k], changed, first, orig[first].close,
						s.bars[first].close, r.repaired);
		free(orig);
		mfs_series_free(&s);
	}
	ck_assert_msg(len == 0, "a persistent step was 'repaired': %s", msg);
}
END_TEST

/* ---- volume spikes ---- */

START_TEST(test_volume_spike)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;
	char when[16];

	smooth(&s, 60);
	s.bars[40].volume *= 30;
	orig = copy_bars(&s);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 0);
	ck_assert_uint_eq(r.flagged, 1);
	ck_assert_uint_eq(r.n_flags, 1);
	assert_unchanged(&s, orig);
	day_label(orig[40].t, when, sizeof(when));
	ck_assert_msg(strncmp(r.flags[0], when, strlen(when)) == 0,
		      "flag \"%s\" does not start with %s", r.flags[0], when);
	ck_assert_ptr_nonnull(strstr(r.flags[0], "volume"));
	free(orig);
	mfs_series_free(&s);

	/* 10x is a busy day, not a spike */
	smooth(&s, 60);
	s.bars[40].volume *= 10;
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.flagged, 0);
	mfs_series_free(&s);

	/* NaN volumes (indices, FX): nothing to flag */
	smooth(&s, 60);
	for (size_t i = 0; i < s.n; i++)
		s.bars[i].volume = NAN;
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.flagged, 0);
	ck_assert_uint_eq(r.repaired, 0);
	mfs_series_free(&s);
}
END_TEST

/* ---- a normal series, short series ---- */

START_TEST(test_normal_series)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;

	smooth(&s, 500);
	orig = copy_bars(&s);
	memset(&r, 0x5a, sizeof(r)); /* mfs_repair must reset it */
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 0);
	ck_assert_uint_eq(r.flagged, 0);
	ck_assert_uint_eq(r.n_repairs, 0);
	ck_assert_uint_eq(r.n_flags, 0);
	assert_unchanged(&s, orig);
	free(orig);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_short_series)
{
	for (size_t n = 0; n < 10; n++) {
		struct mfs_series s;
		struct mfs_repair_report r;

		smooth(&s, n);
		if (n > 2)
			scale_prices(&s.bars[n / 2], 100.0);
		if (n > 1)
			s.bars[n - 1].volume *= 50;
		if (n > 3)
			for (size_t i = n - 2; i < n; i++)
				scale_prices(&s.bars[i], 0.25);
		mfs_repair(&s, &r);
		ck_assert_uint_le(r.n_repairs, r.repaired);
		ck_assert_uint_le(r.n_flags, r.flagged);
		ck_assert_uint_le(r.repaired, n);
		for (size_t i = 0; i < s.n; i++)
			ck_assert(isfinite(s.bars[i].close) && s.bars[i].close > 0);
		mfs_series_free(&s);
	}
}
END_TEST

/* ---- intraday labels ---- */

START_TEST(test_intraday_label)
{
	struct mfs_series s;
	struct mfs_repair_report r;

	smooth(&s, 40);
	s.tf = MFS_TF_1H;
	for (size_t i = 0; i < s.n; i++)
		s.bars[i].t = date(2024, 3, 5) + 14 * H + 30 * 60 + (int64_t)i * H;
	scale_prices(&s.bars[10], 100.0);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 1);
	ck_assert_msg(strncmp(r.repairs[0], "2024-03-06T00:30:00Z", 20) == 0, "note \"%s\"",
		      r.repairs[0]);
	mfs_series_free(&s);
}
END_TEST

/* ---- caps ---- */

START_TEST(test_list_caps)
{
	struct mfs_series s;
	struct mfs_repair_report r;
	struct mfs_bar *orig;

	/* 30 separate 100x bars, 10 bars apart */
	smooth(&s, 320);
	orig = copy_bars(&s);
	for (size_t k = 0; k < 30; k++)
		scale_prices(&s.bars[5 + 10 * k], 100.0);
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.repaired, 30);
	ck_assert_uint_eq(r.n_repairs, MFS_REPAIR_LIST_MAX);
	for (size_t i = 0; i < s.n; i++)
		assert_same_prices(&s.bars[i], &orig[i], i);
	for (size_t k = 0; k < MFS_REPAIR_LIST_MAX; k++)
		ck_assert_uint_gt(strlen(r.repairs[k]), 0);
	free(orig);
	mfs_series_free(&s);

	/* 30 volume spikes, 25 bars apart */
	smooth(&s, 800);
	for (size_t k = 0; k < 30; k++)
		s.bars[30 + 25 * k].volume *= 40;
	mfs_repair(&s, &r);
	ck_assert_uint_eq(r.flagged, 30);
	ck_assert_uint_eq(r.n_flags, MFS_REPAIR_LIST_MAX);
	ck_assert_uint_eq(r.repaired, 0);
	mfs_series_free(&s);
}
END_TEST

/* ---- the off-grid bar: dropped by validation ---- */

START_TEST(test_off_grid_dropped)
{
	struct mfs_series s;
	struct mfs_quality q;
	size_t n;

	smooth(&s, 40);
	s.tf = MFS_TF_1H;
	for (size_t i = 0; i < s.n; i++)
		s.bars[i].t = date(2024, 3, 5) + 14 * H + 30 * 60 + (int64_t)i * H;
	s.bars[20].t += 15 * 60; /* xx:45: off any hourly grid */
	n = s.n;
	mfs_validate(&s, mfs_year_start(2024), mfs_year_start(2025), &q);
	ck_assert_uint_eq(s.n, n - 1);
	ck_assert_uint_eq(q.invalid, 1);
	ck_assert_uint_eq(q.rows, n - 1);
	for (size_t i = 0; i < s.n; i++)
		ck_assert_int_eq(s.bars[i].t % 1800, 0);
	mfs_series_free(&s);

	/* a daily bar stamped with a time of day */
	smooth(&s, 40);
	s.bars[7].t += 14 * H;
	n = s.n;
	mfs_validate(&s, mfs_year_start(2024), mfs_year_start(2025), &q);
	ck_assert_uint_eq(s.n, n - 1);
	ck_assert_uint_eq(q.invalid, 1);
	mfs_series_free(&s);
}
END_TEST

static Suite *repair_suite(void)
{
	Suite *s = suite_create("repair");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_unit_times_100);
	tcase_add_test(tc, test_unit_div_100);
	tcase_add_test(tc, test_unit_at_edges);
	tcase_add_test(tc, test_unit_run_of_three);
	tcase_add_test(tc, test_unit_adj_close_nan);
	tcase_add_test(tc, test_unit_close_only);
	tcase_add_test(tc, test_unit_other_ratios);
	tcase_add_test(tc, test_split_4_to_1);
	tcase_add_test(tc, test_split_other_ratios);
	tcase_add_test(tc, test_reverse_split);
	tcase_add_test(tc, test_split_not_persistent);
	tcase_add_test(tc, test_persistent_100x_step_not_repaired);
	tcase_add_test(tc, test_volume_spike);
	tcase_add_test(tc, test_normal_series);
	tcase_add_test(tc, test_short_series);
	tcase_add_test(tc, test_intraday_label);
	tcase_add_test(tc, test_list_caps);
	tcase_add_test(tc, test_off_grid_dropped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(repair_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
