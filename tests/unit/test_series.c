/*
 * Unit tests for providers/series.c: append, extend, the stable sort with
 * "last appended wins" de-duplication, and clip.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <marketfs/series.h>

/* A bar whose close records the order of appending, to tell copies apart. */
static struct mfs_bar tagged(int64_t t, double tag)
{
	struct mfs_bar b = mfs_bar_empty();

	b.t = t;
	b.open = b.high = b.low = 1;
	b.close = tag;
	return b;
}

static void append(struct mfs_series *s, int64_t t, double tag)
{
	struct mfs_bar b = tagged(t, tag);

	ck_assert_int_eq(mfs_series_append(s, &b), 0);
}

static void assert_strictly_increasing(const struct mfs_series *s)
{
	for (size_t i = 1; i < s->n; i++)
		ck_assert_int_lt(s->bars[i - 1].t, s->bars[i].t);
}

START_TEST(test_init_empty_free)
{
	struct mfs_series s;
	struct mfs_bar e = mfs_bar_empty();

	mfs_series_init(&s, MFS_TF_1H);
	ck_assert_ptr_null(s.bars);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.cap, 0);
	ck_assert_uint_eq(s.null_rows, 0);
	ck_assert_int_eq(s.tf, MFS_TF_1H);
	ck_assert_int_eq(e.t, 0);
	ck_assert(isnan(e.open) && isnan(e.high) && isnan(e.low) && isnan(e.close) &&
		  isnan(e.volume) && isnan(e.adj_close));

	append(&s, 1, 1);
	s.null_rows = 3;
	mfs_series_free(&s);
	ck_assert_ptr_null(s.bars);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.null_rows, 0);
	ck_assert_int_eq(s.tf, MFS_TF_1H); /* kept across free */
	mfs_series_free(&s);		   /* twice is harmless */
}
END_TEST

START_TEST(test_append_grows)
{
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1M);
	for (int i = 0; i < 100000; i++)
		append(&s, 60 * i, i);
	ck_assert_uint_eq(s.n, 100000);
	ck_assert_uint_ge(s.cap, s.n);
	for (int i = 0; i < 100000; i++) {
		ck_assert_int_eq(s.bars[i].t, 60 * i);
		ck_assert(s.bars[i].close == i);
		ck_assert(isnan(s.bars[i].volume));
	}
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_extend)
{
	struct mfs_series a, b, empty;

	mfs_series_init(&a, MFS_TF_1D);
	mfs_series_init(&b, MFS_TF_1D);
	mfs_series_init(&empty, MFS_TF_1D);
	for (int i = 0; i < 300; i++)
		append(&a, i, i);
	for (int i = 0; i < 500; i++)
		append(&b, 1000 + i, 1000 + i);

	ck_assert_int_eq(mfs_series_extend(&a, &empty), 0);
	ck_assert_uint_eq(a.n, 300);
	ck_assert_int_eq(mfs_series_extend(&a, &b), 0);
	ck_assert_uint_eq(a.n, 800);
	ck_assert_uint_eq(b.n, 500);
	for (int i = 0; i < 800; i++)
		ck_assert(a.bars[i].close == (i < 300 ? i : 1000 + i - 300));

	ck_assert_int_eq(mfs_series_extend(&empty, &b), 0);
	ck_assert_uint_eq(empty.n, 500);
	ck_assert_int_eq(empty.bars[499].t, 1499);
	mfs_series_free(&a);
	mfs_series_free(&b);
	mfs_series_free(&empty);
}
END_TEST

START_TEST(test_sort_dedup_last_wins)
{
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1H);
	/* t: 30 10 20 10 30 10 -> 10 (tag 5), 20 (tag 2), 30 (tag 4) */
	append(&s, 30, 0);
	append(&s, 10, 1);
	append(&s, 20, 2);
	append(&s, 10, 3);
	append(&s, 30, 4);
	append(&s, 10, 5);
	ck_assert_uint_eq(mfs_series_sort_dedup(&s), 3);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(s.bars[0].t, 10);
	ck_assert(s.bars[0].close == 5);
	ck_assert_int_eq(s.bars[1].t, 20);
	ck_assert(s.bars[1].close == 2);
	ck_assert_int_eq(s.bars[2].t, 30);
	ck_assert(s.bars[2].close == 4);
	/* Sorting again changes nothing. */
	ck_assert_uint_eq(mfs_series_sort_dedup(&s), 0);
	ck_assert_uint_eq(s.n, 3);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_sort_dedup_small)
{
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1D);
	ck_assert_uint_eq(mfs_series_sort_dedup(&s), 0);
	append(&s, 5, 0);
	ck_assert_uint_eq(mfs_series_sort_dedup(&s), 0);
	ck_assert_uint_eq(s.n, 1);
	append(&s, 5, 1);
	ck_assert_uint_eq(mfs_series_sort_dedup(&s), 1);
	ck_assert_uint_eq(s.n, 1);
	ck_assert(s.bars[0].close == 1);
	mfs_series_free(&s);
}
END_TEST

/*
 * A refresh merges new bars after old ones: with many overlapping time
 * stamps in random order, the survivor of each t is its last copy.
 */
START_TEST(test_sort_dedup_random)
{
	enum { N = 50000, SPAN = 10000 };
	struct mfs_series s;
	int *last = malloc(SPAN * sizeof(*last));
	size_t distinct = 0, dups;
	unsigned seed = 12345;

	ck_assert_ptr_nonnull(last);
	for (int i = 0; i < SPAN; i++)
		last[i] = -1;
	mfs_series_init(&s, MFS_TF_1M);
	for (int i = 0; i < N; i++) {
		int k;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 8) % SPAN);
		distinct += last[k] < 0;
		last[k] = i;
		append(&s, 60LL * k - 300000, i); /* some negative times too */
	}
	dups = mfs_series_sort_dedup(&s);
	ck_assert_uint_eq(s.n, distinct);
	ck_assert_uint_eq(dups, N - distinct);
	assert_strictly_increasing(&s);
	for (size_t i = 0; i < s.n; i++) {
		int k = (int)((s.bars[i].t + 300000) / 60);

		ck_assert(s.bars[i].close == last[k]);
	}
	mfs_series_free(&s);
	free(last);
}
END_TEST

START_TEST(test_sort_reverse)
{
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1M);
	for (int i = 100000; i > 0; i--)
		append(&s, i, i);
	ck_assert_uint_eq(mfs_series_sort_dedup(&s), 0);
	ck_assert_uint_eq(s.n, 100000);
	assert_strictly_increasing(&s);
	ck_assert_int_eq(s.bars[0].t, 1);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_clip)
{
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1D);
	for (int i = 0; i < 10; i++)
		append(&s, i * 10, i);
	mfs_series_clip(&s, 20, 70); /* lo inclusive, hi exclusive */
	ck_assert_uint_eq(s.n, 5);
	ck_assert_int_eq(s.bars[0].t, 20);
	ck_assert_int_eq(s.bars[4].t, 60);
	mfs_series_clip(&s, 35, 45);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.bars[0].t, 40);
	mfs_series_clip(&s, 100, 200);
	ck_assert_uint_eq(s.n, 0);
	mfs_series_clip(&s, 0, 1); /* on an empty series */
	ck_assert_uint_eq(s.n, 0);
	append(&s, -5, 0);
	mfs_series_clip(&s, INT64_MIN, INT64_MAX);
	ck_assert_uint_eq(s.n, 1);
	mfs_series_free(&s);
}
END_TEST

/* Regression: appending a bar of the series itself when it must grow. */
START_TEST(test_append_self_alias)
{
	struct mfs_series s;
	struct mfs_bar b = mfs_bar_empty();

	mfs_series_init(&s, MFS_TF_1D);
	b.t = 86400;
	b.open = 1.5;
	ck_assert_int_eq(mfs_series_append(&s, &b), 0);
	while (s.n < s.cap) /* fill to capacity so the next append reallocates */
		ck_assert_int_eq(mfs_series_append(&s, &s.bars[0]), 0);
	ck_assert_int_eq(mfs_series_append(&s, &s.bars[0]), 0);
	ck_assert_int_eq(s.bars[s.n - 1].t, 86400);
	ck_assert(s.bars[s.n - 1].open == 1.5);
	mfs_series_free(&s);
}
END_TEST

static Suite *series_suite(void)
{
	Suite *s = suite_create("series");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_init_empty_free);
	tcase_add_test(tc, test_append_grows);
	tcase_add_test(tc, test_extend);
	tcase_add_test(tc, test_sort_dedup_last_wins);
	tcase_add_test(tc, test_sort_dedup_small);
	tcase_add_test(tc, test_sort_dedup_random);
	tcase_add_test(tc, test_sort_reverse);
	tcase_add_test(tc, test_clip);
	tcase_add_test(tc, test_append_self_alias);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(series_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
