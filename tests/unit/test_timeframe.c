/*
 * Unit tests for providers/timeframe.c: timeframe names, civil-date
 * arithmetic (1900-2200 and before 1970) and ISO 8601 time stamps.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/timeframe.h>

START_TEST(test_tf_names)
{
	static const char *const names[] = { "1m", "5m", "15m", "30m", "1h",
					     "4h", "1d", "1w", "1M" };

	for (int i = 0; i < MFS_TF__COUNT; i++) {
		ck_assert_str_eq(mfs_tf_name((enum mfs_tf)i), names[i]);
		ck_assert_int_eq(mfs_tf_parse(names[i]), i);
	}
	/* Case matters: a minute is not a month. */
	ck_assert_int_eq(mfs_tf_parse("1m"), MFS_TF_1M);
	ck_assert_int_eq(mfs_tf_parse("1M"), MFS_TF_1MO);
	ck_assert_ptr_null(mfs_tf_name(MFS_TF_INVALID));
	ck_assert_ptr_null(mfs_tf_name(MFS_TF__COUNT));
}
END_TEST

START_TEST(test_tf_invalid)
{
	static const char *const bad[] = { "", "1", "m", "1D", "1H", "2m", "60m", "1mo",
					   "1m ", " 1m", "1w\n", "1d.csv", "4H", "1Mo" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mfs_tf_parse(bad[i]) == MFS_TF_INVALID, "\"%s\" parsed", bad[i]);
}
END_TEST

START_TEST(test_tf_seconds)
{
	static const int64_t secs[] = { 60, 300, 900, 1800, 3600, 14400, 86400, 604800, 0 };

	for (int i = 0; i < MFS_TF__COUNT; i++) {
		ck_assert_int_eq(mfs_tf_seconds((enum mfs_tf)i), secs[i]);
		ck_assert(mfs_tf_is_intraday((enum mfs_tf)i) == (i <= MFS_TF_4H));
	}
	ck_assert_int_eq(mfs_tf_seconds(MFS_TF_INVALID), 0);
	ck_assert(!mfs_tf_is_intraday(MFS_TF_INVALID));
	ck_assert(!mfs_tf_is_intraday(MFS_TF__COUNT));
}
END_TEST

START_TEST(test_known_dates)
{
	static const struct {
		int y;
		unsigned m, d;
		int64_t days;
		unsigned wd; /* 0 = Monday */
	} cases[] = {
		{ 1970, 1, 1, 0, 3 },	   { 1969, 12, 31, -1, 2 },  { 2024, 1, 2, 19724, 1 },
		{ 2000, 2, 29, 11016, 1 }, { 2000, 3, 1, 11017, 2 }, { 1900, 1, 1, -25567, 0 },
		{ 2100, 3, 1, 47541, 0 },  { 2200, 12, 31, 84370, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int y;
		unsigned m, d;

		ck_assert_int_eq(mfs_days_from_civil(cases[i].y, cases[i].m, cases[i].d),
				 cases[i].days);
		mfs_civil_from_days(cases[i].days, &y, &m, &d);
		ck_assert_int_eq(y, cases[i].y);
		ck_assert_uint_eq(m, cases[i].m);
		ck_assert_uint_eq(d, cases[i].d);
		ck_assert_uint_eq(mfs_weekday_from_days(cases[i].days), cases[i].wd);
	}
}
END_TEST

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Walk every day from 1900 to 2200 and check it against a plain calendar. */
START_TEST(test_civil_round_trip)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t day = mfs_days_from_civil(1900, 1, 1);
	unsigned wd = mfs_weekday_from_days(day);

	for (int y = 1900; y <= 2200; y++) {
		for (unsigned m = 1; m <= 12; m++) {
			unsigned n = mdays[m - 1] + (m == 2 && leap(y));

			for (unsigned d = 1; d <= n; d++, day++) {
				int yy;
				unsigned mm, dd;

				ck_assert_int_eq(mfs_days_from_civil(y, m, d), day);
				mfs_civil_from_days(day, &yy, &mm, &dd);
				ck_assert(yy == y && mm == m && dd == d);
				ck_assert_uint_eq(mfs_weekday_from_days(day), wd);
				wd = (wd + 1) % 7;
			}
		}
	}
	ck_assert_int_eq(day, mfs_days_from_civil(2201, 1, 1));
}
END_TEST

START_TEST(test_year_start_and_of)
{
	ck_assert_int_eq(mfs_year_start(1970), 0);
	ck_assert_int_eq(mfs_year_start(2024), 1704067200);
	ck_assert_int_eq(mfs_year_start(1969), -31536000);
	ck_assert_int_eq(mfs_year_of(0), 1970);
	ck_assert_int_eq(mfs_year_of(-1), 1969);
	ck_assert_int_eq(mfs_year_of(-31536000), 1969);
	ck_assert_int_eq(mfs_year_of(-31536001), 1968);
	ck_assert_int_eq(mfs_year_of(1704067199), 2023);
	ck_assert_int_eq(mfs_year_of(1704067200), 2024);
	for (int y = 1900; y <= 2200; y++) {
		int64_t t = mfs_year_start(y);

		ck_assert_int_eq(t, mfs_days_from_civil(y, 1, 1) * MFS_SECONDS_PER_DAY);
		ck_assert_int_eq(mfs_year_of(t), y);
		ck_assert_int_eq(mfs_year_of(t - 1), y - 1);
		ck_assert_int_eq(mfs_year_of(mfs_year_start(y + 1) - 1), y);
	}
}
END_TEST

START_TEST(test_iso8601_format)
{
	char buf[21];

	mfs_format_iso8601(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	mfs_format_iso8601(1704205800, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2024-01-02T14:30:00Z");
	mfs_format_iso8601(-1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	mfs_format_iso8601(mfs_year_start(2201) - 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2200-12-31T23:59:59Z");
	/* A short buffer is truncated, never overrun. */
	memset(buf, 'x', sizeof(buf));
	mfs_format_iso8601(0, buf, 5);
	ck_assert_str_eq(buf, "1970");
	ck_assert_int_eq(buf[5], 'x');
}
END_TEST

START_TEST(test_iso8601_parse)
{
	char buf[21];
	int64_t t = 42;

	ck_assert(mfs_parse_iso8601("2024-01-02T14:30:00Z", &t));
	ck_assert_int_eq(t, 1704205800);
	ck_assert(mfs_parse_iso8601("1969-12-31T23:59:59Z", &t));
	ck_assert_int_eq(t, -1);
	for (int64_t x = mfs_year_start(1950); x < mfs_year_start(2150); x += 7777777) {
		mfs_format_iso8601(x, buf, sizeof(buf));
		ck_assert(mfs_parse_iso8601(buf, &t));
		ck_assert_int_eq(t, x);
	}
}
END_TEST

START_TEST(test_iso8601_parse_invalid)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"2024-01-02",
		"2024-01-02T14:30:00",	/* no Z */
		"2024-01-02 14:30:00Z", /* space */
		"2024-01-02T14:30:00+01:00",
		"2024-13-01T00:00:00Z",
		"2024-00-01T00:00:00Z",
		"2024-01-00T00:00:00Z",
		"2024-01-32T00:00:00Z",
		"2024-01-02T24:00:00Z",
		"2024-01-02T14:60:00Z",
		"2024-01-02T14:30:61Z",
	};
	int64_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!mfs_parse_iso8601(bad[i], &t), "\"%s\" parsed", bad[i]);
	ck_assert_int_eq(t, 42);
}
END_TEST

/* Regression: only the exact shape mfs_format_iso8601 writes is accepted. */
START_TEST(test_iso8601_parse_strict)
{
	static const char *const bad[] = {
		"2024-01-02T-1:30:00Z", "2024-01-02T14:-5:00Z", "2024-02-31T00:00:00Z",
		"2023-02-29T00:00:00Z", "2024-01-02T00:00:00Zjunk", " 2024-01-02T00:00:00Z",
		"2024-1-2T1:2:3Z", "2024-01-02T00:00:60Z", "2024-01-02 00:00:00Z",
		"2024-13-01T00:00:00Z", "",
	};
	int64_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!mfs_parse_iso8601(bad[i], &t), "accepted '%s'", bad[i]);
	ck_assert(mfs_parse_iso8601("2024-02-29T23:59:59Z", &t));
	ck_assert_int_eq(t, mfs_days_from_civil(2024, 2, 29) * 86400 + 86399);
	ck_assert_int_eq(mfs_tf_parse(NULL), MFS_TF_INVALID);
}
END_TEST

static Suite *timeframe_suite(void)
{
	Suite *s = suite_create("timeframe");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tf_names);
	tcase_add_test(tc, test_tf_invalid);
	tcase_add_test(tc, test_tf_seconds);
	tcase_add_test(tc, test_known_dates);
	tcase_add_test(tc, test_civil_round_trip);
	tcase_add_test(tc, test_year_start_and_of);
	tcase_add_test(tc, test_iso8601_format);
	tcase_add_test(tc, test_iso8601_parse);
	tcase_add_test(tc, test_iso8601_parse_invalid);
	tcase_add_test(tc, test_iso8601_parse_strict);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timeframe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
