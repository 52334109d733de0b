/*
 * Unit tests for providers/tz.c: offsets on both sides of DST switches,
 * the POSIX footer rule beyond the transitions a file lists, local-time
 * gaps and overlaps, name checks, and the built-in UTC. Real zones come
 * from the system tz database (tzdata); synthetic TZif files written to a
 * temp directory exercise the footer forms (M, J, n, quoted names) alone.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "testutil.h"

#define H 3600

static int64_t utc(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
	return mfs_days_from_civil(y, mo, d) * MFS_SECONDS_PER_DAY + h * 3600 + mi * 60 + s;
}

static const struct mfs_tz *zone(const char *name)
{
	const struct mfs_tz *tz = mfs_tz_get(name);

	ck_assert_msg(tz != NULL, "zone %s not found (is tzdata installed?)", name);
	return tz;
}

START_TEST(test_ny_dst_2024)
{
	const struct mfs_tz *ny = zone("America/New_York");
	int64_t t;

	ck_assert_str_eq(mfs_tz_name(ny), "America/New_York");
	/* 2024-03-10 07:00Z: clocks jump from 02:00 EST to 03:00 EDT. */
	t = utc(2024, 3, 10, 7, 0, 0);
	ck_assert_int_eq(mfs_tz_offset(ny, t - 1), -5 * H);
	ck_assert_int_eq(mfs_tz_offset(ny, t), -4 * H);
	ck_assert_int_eq(mfs_tz_to_local(ny, t), utc(2024, 3, 10, 3, 0, 0));
	ck_assert_int_eq(mfs_tz_to_local(ny, t - 1), utc(2024, 3, 10, 1, 59, 59));
	/* 2024-11-03 06:00Z: back from 02:00 EDT to 01:00 EST. */
	t = utc(2024, 11, 3, 6, 0, 0);
	ck_assert_int_eq(mfs_tz_offset(ny, t - 1), -4 * H);
	ck_assert_int_eq(mfs_tz_offset(ny, t), -5 * H);
	ck_assert_int_eq(mfs_tz_to_local(ny, t), utc(2024, 11, 3, 1, 0, 0));
	ck_assert_int_eq(mfs_tz_to_local(ny, t - 1), utc(2024, 11, 3, 1, 59, 59));
}
END_TEST

/* The NYSE open in winter and summer, from 2000 to well past 2038. */
START_TEST(test_ny_open)
{
	static const int years[] = { 2000, 2015, 2024, 2026, 2040, 2061, 2100 };
	const struct mfs_tz *ny = zone("America/New_York");

	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		int y = years[i];
		bool amb = true;

		ck_assert_int_eq(mfs_tz_from_local(ny, utc(y, 1, 15, 9, 30, 0), &amb),
				 utc(y, 1, 15, 14, 30, 0));
		ck_assert(!amb);
		amb = true;
		ck_assert_int_eq(mfs_tz_from_local(ny, utc(y, 7, 15, 9, 30, 0), &amb),
				 utc(y, 7, 15, 13, 30, 0));
		ck_assert(!amb);
		ck_assert_int_eq(mfs_tz_offset(ny, utc(y, 1, 15, 14, 30, 0)), -5 * H);
		ck_assert_int_eq(mfs_tz_offset(ny, utc(y, 7, 15, 13, 30, 0)), -4 * H);
	}
}
END_TEST

/* 2037 is the last year a fat file lists; 2038 on comes from the footer. */
START_TEST(test_ny_footer_switches)
{
	const struct mfs_tz *ny = zone("America/New_York");
	int64_t t;

	t = utc(2037, 11, 1, 6, 0, 0);
	ck_assert_int_eq(mfs_tz_offset(ny, t - 1), -4 * H);
	ck_assert_int_eq(mfs_tz_offset(ny, t), -5 * H);
	t = utc(2038, 3, 14, 7, 0, 0); /* second Sunday of March 2038 */
	ck_assert_int_eq(mfs_tz_offset(ny, t - 1), -5 * H);
	ck_assert_int_eq(mfs_tz_offset(ny, t), -4 * H);
	t = utc(2050, 11, 6, 6, 0, 0); /* first Sunday of November 2050 */
	ck_assert_int_eq(mfs_tz_offset(ny, t - 1), -4 * H);
	ck_assert_int_eq(mfs_tz_offset(ny, t), -5 * H);
}
END_TEST

START_TEST(test_ny_local_day)
{
	const struct mfs_tz *ny = zone("America/New_York");

	/* 23:30 EST on 2024-01-02 is already 2024-01-03 in UTC. */
	ck_assert_int_eq(mfs_tz_local_day(ny, utc(2024, 1, 3, 4, 30, 0)),
			 mfs_days_from_civil(2024, 1, 2));
	ck_assert_int_eq(mfs_tz_local_day(ny, utc(2024, 1, 3, 5, 0, 0)),
			 mfs_days_from_civil(2024, 1, 3));
	/* 23:30 EDT on 2024-07-02. */
	ck_assert_int_eq(mfs_tz_local_day(ny, utc(2024, 7, 3, 3, 30, 0)),
			 mfs_days_from_civil(2024, 7, 2));
	/* Before 1970 the day number is negative and must floor. */
	ck_assert_int_eq(mfs_tz_local_day(ny, utc(1969, 12, 31, 4, 30, 0)),
			 mfs_days_from_civil(1969, 12, 30));
}
END_TEST

START_TEST(test_ny_gap_overlap)
{
	const struct mfs_tz *ny = zone("America/New_York");
	bool amb = false;
	int64_t t;

	/* 02:30 on 2024-03-10 does not exist: taken with EST, the offset before. */
	t = mfs_tz_from_local(ny, utc(2024, 3, 10, 2, 30, 0), &amb);
	ck_assert_int_eq(t, utc(2024, 3, 10, 7, 30, 0));
	ck_assert(amb);
	ck_assert_int_eq(mfs_tz_to_local(ny, t), utc(2024, 3, 10, 3, 30, 0));
	/* 01:30 on 2024-11-03 happens twice: the earlier (EDT) instant. */
	amb = false;
	t = mfs_tz_from_local(ny, utc(2024, 11, 3, 1, 30, 0), &amb);
	ck_assert_int_eq(t, utc(2024, 11, 3, 5, 30, 0));
	ck_assert(amb);
	/* Just outside both, nothing odd; NULL for the flag is allowed. */
	amb = true;
	ck_assert_int_eq(mfs_tz_from_local(ny, utc(2024, 3, 10, 1, 59, 59), &amb),
			 utc(2024, 3, 10, 6, 59, 59));
	ck_assert(!amb);
	amb = true;
	ck_assert_int_eq(mfs_tz_from_local(ny, utc(2024, 11, 3, 2, 0, 0), &amb),
			 utc(2024, 11, 3, 7, 0, 0));
	ck_assert(!amb);
	ck_assert_int_eq(mfs_tz_from_local(ny, utc(2024, 3, 10, 3, 0, 0), NULL),
			 utc(2024, 3, 10, 7, 0, 0));
	/* The same in 2045, where only the footer rule speaks. */
	amb = false;
	ck_assert_int_eq(mfs_tz_from_local(ny, utc(2045, 11, 5, 1, 30, 0), &amb),
			 utc(2045, 11, 5, 5, 30, 0));
	ck_assert(amb);
	amb = false;
	ck_assert_int_eq(mfs_tz_from_local(ny, utc(2045, 3, 12, 2, 30, 0), &amb),
			 utc(2045, 3, 12, 7, 30, 0));
	ck_assert(amb);
}
END_TEST

/* to_local and from_local undo each other away from gaps and overlaps. */
START_TEST(test_ny_round_trip)
{
	const struct mfs_tz *ny = zone("America/New_York");

	for (int64_t t = utc(1990, 1, 1, 0, 0, 0); t < utc(2060, 1, 1, 0, 0, 0);
	     t += 86400 * 3 + 3599) {
		bool amb;
		int64_t back = mfs_tz_from_local(ny, mfs_tz_to_local(ny, t), &amb);

		if (!amb)
			ck_assert_int_eq(back, t);
		else
			ck_assert_int_le(back, t);
	}
}
END_TEST

START_TEST(test_london)
{
	const struct mfs_tz *ldn = zone("Europe/London");
	int64_t t;

	t = utc(2024, 3, 31, 1, 0, 0); /* last Sunday of March, 01:00Z */
	ck_assert_int_eq(mfs_tz_offset(ldn, t - 1), 0);
	ck_assert_int_eq(mfs_tz_offset(ldn, t), H);
	t = utc(2024, 10, 27, 1, 0, 0);
	ck_assert_int_eq(mfs_tz_offset(ldn, t - 1), H);
	ck_assert_int_eq(mfs_tz_offset(ldn, t), 0);
	ck_assert_int_eq(mfs_tz_from_local(ldn, utc(2045, 7, 3, 8, 0, 0), NULL),
			 utc(2045, 7, 3, 7, 0, 0));
	ck_assert_int_eq(mfs_tz_from_local(ldn, utc(2045, 1, 3, 8, 0, 0), NULL),
			 utc(2045, 1, 3, 8, 0, 0));
}
END_TEST

/* Southern hemisphere: DST spans the new year. */
START_TEST(test_sydney)
{
	const struct mfs_tz *syd = zone("Australia/Sydney");

	ck_assert_int_eq(mfs_tz_offset(syd, utc(2024, 1, 15, 0, 0, 0)), 11 * H);
	ck_assert_int_eq(mfs_tz_offset(syd, utc(2024, 7, 15, 0, 0, 0)), 10 * H);
	ck_assert_int_eq(mfs_tz_offset(syd, utc(2045, 1, 15, 0, 0, 0)), 11 * H);
	ck_assert_int_eq(mfs_tz_offset(syd, utc(2045, 7, 15, 0, 0, 0)), 10 * H);
	ck_assert_int_eq(mfs_tz_offset(syd, utc(2045, 12, 31, 23, 0, 0)), 11 * H);
}
END_TEST

START_TEST(test_kolkata)
{
	const struct mfs_tz *kol = zone("Asia/Kolkata");
	const int off = 5 * H + 30 * 60;

	ck_assert_int_eq(mfs_tz_offset(kol, utc(2024, 1, 15, 0, 0, 0)), off);
	ck_assert_int_eq(mfs_tz_offset(kol, utc(2024, 7, 15, 0, 0, 0)), off);
	ck_assert_int_eq(mfs_tz_offset(kol, utc(2050, 7, 15, 0, 0, 0)), off);
	ck_assert_int_eq(mfs_tz_local_day(kol, utc(2024, 1, 1, 18, 30, 0)),
			 mfs_days_from_civil(2024, 1, 2));
	ck_assert_int_eq(mfs_tz_local_day(kol, utc(2024, 1, 1, 18, 29, 59)),
			 mfs_days_from_civil(2024, 1, 1));
	ck_assert_int_eq(mfs_tz_from_local(kol, utc(2024, 1, 2, 9, 15, 0), NULL),
			 utc(2024, 1, 2, 3, 45, 0));
}
END_TEST

START_TEST(test_utc)
{
	const struct mfs_tz *u = zone("UTC");
	bool amb = true;

	ck_assert_str_eq(mfs_tz_name(u), "UTC");
	ck_assert_ptr_eq(mfs_tz_get("UTC"), u);
	ck_assert_int_eq(mfs_tz_offset(u, 0), 0);
	ck_assert_int_eq(mfs_tz_offset(u, utc(2100, 6, 1, 0, 0, 0)), 0);
	ck_assert_int_eq(mfs_tz_to_local(u, 12345), 12345);
	ck_assert_int_eq(mfs_tz_from_local(u, 12345, &amb), 12345);
	ck_assert(!amb);
	ck_assert_int_eq(mfs_tz_local_day(u, -1), -1);
}
END_TEST

START_TEST(test_bad_names)
{
	static const char *const bad[] = {
		"../etc/passwd", "Nope/Zone", "", "/etc/passwd", "America/../Europe/London",
		"America/New York", "America/New_York\n", "..", "America/.hidden", "a;b",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mfs_tz_get(bad[i]) == NULL, "\"%s\" was accepted", bad[i]);
	ck_assert_ptr_null(mfs_tz_get(NULL));
	/* A directory of the database is not a zone. */
	ck_assert_ptr_null(mfs_tz_get("America"));
}
END_TEST

/* The same pointer for the same zone, from any thread. */
static void *get_zone(void *arg)
{
	(void)arg;
	return (void *)mfs_tz_get("America/Chicago");
}

START_TEST(test_threads)
{
	pthread_t th[8];
	void *res[8];

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, get_zone, NULL), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_join(th[i], &res[i]), 0);
	ck_assert_ptr_nonnull(res[0]);
	for (int i = 1; i < 8; i++)
		ck_assert_ptr_eq(res[i], res[0]);
	ck_assert_ptr_eq(mfs_tz_get("America/Chicago"), res[0]);
}
END_TEST

/* ---- synthetic zones in a temp MARKETFS_TZDIR ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "/tmp/mfs_tz_");
	ck_assert_int_eq(setenv("MARKETFS_TZDIR", tmpdir, 1), 0);
	ck_assert_str_eq(mfs_tz_dir(), tmpdir);
}

/* Checked-fixture teardown: remove the synthetic zones and their dir. */
static void remove_tmpdir(void)
{
	unsetenv("MARKETFS_TZDIR");
	if (!tmpdir[0])
		return;
	tu_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

static void put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	fwrite(b, 1, 4, f);
}

static void put_header(FILE *f, uint32_t timecnt, uint32_t typecnt)
{
	static const char zero[15];

	fwrite("TZif2", 1, 5, f);
	fwrite(zero, 1, 15, f);
	put32(f, 0);	   /* isutcnt */
	put32(f, 0);	   /* isstdcnt */
	put32(f, 0);	   /* leapcnt */
	put32(f, timecnt); /* timecnt */
	put32(f, typecnt); /* typecnt */
	put32(f, 4);	   /* charcnt */
}

/*
 * A version 2 file: an empty-ish v1 block, then n 64-bit transitions to
 * offsets[1..], offsets[0] being type 0, and the footer.
 */
static void write_zone(const char *file, const int64_t *trans, size_t n,
		       const int32_t *offsets, size_t ntypes, const char *footer)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	put_header(f, 0, 1);
	put32(f, (uint32_t)offsets[0]);
	fwrite("\0\0XXX\0", 1, 6, f);
	put_header(f, (uint32_t)n, (uint32_t)ntypes);
	for (size_t i = 0; i < n; i++) {
		put32(f, (uint32_t)((uint64_t)trans[i] >> 32));
		put32(f, (uint32_t)trans[i]);
	}
	for (size_t i = 0; i < n; i++)
		fputc((int)(i + 1 < ntypes ? i + 1 : ntypes - 1), f);
	for (size_t i = 0; i < ntypes; i++) {
		put32(f, (uint32_t)offsets[i]);
		fputc(0, f);
		fputc(0, f);
	}
	fwrite("XXX\0", 1, 4, f);
	fprintf(f, "\n%s\n", footer);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_tzdir_empty_gives_utc)
{
	make_tmpdir();
	ck_assert_ptr_nonnull(mfs_tz_get("UTC"));
	ck_assert_int_eq(mfs_tz_offset(mfs_tz_get("UTC"), 1700000000), 0);
	ck_assert_ptr_null(mfs_tz_get("Europe/Paris"));
	remove_tmpdir();
	ck_assert_str_eq(mfs_tz_dir(), "/usr/share/zoneinfo");
}
END_TEST

START_TEST(test_footer_only)
{
	const int32_t est[] = { -5 * H };
	const int32_t ist[] = { 5 * H + 1800 };
	const int32_t syd[] = { 10 * H };
	const struct mfs_tz *tz;
	int64_t t;

	make_tmpdir();
	write_zone("SlimNY", NULL, 0, est, 1, "EST5EDT,M3.2.0,M11.1.0");
	write_zone("Quoted", NULL, 0, ist, 1, "<+0530>-5:30");
	write_zone("South", NULL, 0, syd, 1, "AEST-10AEDT,M10.1.0,M4.1.0/3");

	tz = mfs_tz_get("SlimNY");
	ck_assert_ptr_nonnull(tz);
	t = utc(2024, 3, 10, 7, 0, 0);
	ck_assert_int_eq(mfs_tz_offset(tz, t - 1), -5 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, t), -4 * H);
	t = utc(2024, 11, 3, 6, 0, 0);
	ck_assert_int_eq(mfs_tz_offset(tz, t - 1), -4 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, t), -5 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(1980, 1, 1, 0, 0, 0)), -5 * H);

	tz = mfs_tz_get("Quoted");
	ck_assert_ptr_nonnull(tz);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2024, 7, 1, 0, 0, 0)), 5 * H + 1800);

	/* Sydney: DST from the first Sunday of October 02:00 to April 03:00. */
	tz = mfs_tz_get("South");
	ck_assert_ptr_nonnull(tz);
	t = utc(2024, 10, 6, 2, 0, 0) - 10 * H;
	ck_assert_int_eq(mfs_tz_offset(tz, t - 1), 10 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, t), 11 * H);
	t = utc(2024, 4, 7, 3, 0, 0) - 11 * H;
	ck_assert_int_eq(mfs_tz_offset(tz, t - 1), 11 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, t), 10 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2024, 1, 1, 0, 0, 0)), 11 * H);
}
END_TEST

START_TEST(test_footer_julian)
{
	const int32_t zero[] = { 0 };
	const struct mfs_tz *tz;

	make_tmpdir();
	/* Jn never counts Feb 29: J60 is March 1, J300 is October 27. */
	write_zone("Julian", NULL, 0, zero, 1, "AAA0BBB,J60,J300");
	/* n counts it: day 59 is Feb 29 in a leap year, March 1 otherwise. */
	write_zone("Zero", NULL, 0, zero, 1, "AAA0BBB-1:30,59/1:30,299");

	tz = mfs_tz_get("Julian");
	ck_assert_ptr_nonnull(tz);
	for (int y = 2023; y <= 2024; y++) {
		int64_t t = utc(y, 3, 1, 2, 0, 0);

		ck_assert_int_eq(mfs_tz_offset(tz, t - 1), 0);
		ck_assert_int_eq(mfs_tz_offset(tz, t), H);
		t = utc(y, 10, 27, 1, 0, 0); /* 02:00 BBB */
		ck_assert_int_eq(mfs_tz_offset(tz, t - 1), H);
		ck_assert_int_eq(mfs_tz_offset(tz, t), 0);
	}

	tz = mfs_tz_get("Zero");
	ck_assert_ptr_nonnull(tz);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2024, 2, 29, 1, 30, 0) - 1), 0);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2024, 2, 29, 1, 30, 0)), 5400);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2023, 3, 1, 1, 30, 0) - 1), 0);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2023, 3, 1, 1, 30, 0)), 5400);
}
END_TEST

/* Listed transitions rule up to the last one, the footer after it. */
START_TEST(test_transitions_then_footer)
{
	const int64_t trans[] = { utc(2000, 1, 1, 0, 0, 0), utc(2010, 1, 1, 0, 0, 0) };
	const int32_t offs[] = { H, 2 * H, -5 * H };
	const struct mfs_tz *tz;

	make_tmpdir();
	write_zone("Mixed", trans, 2, offs, 3, "EST5EDT,M3.2.0,M11.1.0");
	tz = mfs_tz_get("Mixed");
	ck_assert_ptr_nonnull(tz);
	ck_assert_int_eq(mfs_tz_offset(tz, trans[0] - 1), H);
	ck_assert_int_eq(mfs_tz_offset(tz, trans[0]), 2 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, trans[1] - 1), 2 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, trans[1]), -5 * H);
	ck_assert_int_eq(mfs_tz_offset(tz, utc(2010, 7, 1, 0, 0, 0)), -4 * H);
}
END_TEST

START_TEST(test_malformed_files)
{
	char path[256];
	FILE *f;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/Junk", tmpdir);
	tu_write_text(path, "not a tzif file at all, but long enough to have a header ......");
	ck_assert_ptr_null(mfs_tz_get("Junk"));

	/* A valid header that promises more data than the file holds. */
	snprintf(path, sizeof(path), "%s/Short", tmpdir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	put_header(f, 100, 1);
	fclose(f);
	ck_assert_ptr_null(mfs_tz_get("Short"));
}
END_TEST

static Suite *tz_suite(void)
{
	Suite *s = suite_create("tz");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ny_dst_2024);
	tcase_add_test(tc, test_ny_open);
	tcase_add_test(tc, test_ny_footer_switches);
	tcase_add_test(tc, test_ny_local_day);
	tcase_add_test(tc, test_ny_gap_overlap);
	tcase_add_test(tc, test_ny_round_trip);
	tcase_add_test(tc, test_london);
	tcase_add_test(tc, test_sydney);
	tcase_add_test(tc, test_kolkata);
	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	/* These change MARKETFS_TZDIR, so each runs in its own forked child. */
	tc = tcase_create("tzdir");
	tcase_add_checked_fixture(tc, NULL, remove_tmpdir);
	tcase_add_test(tc, test_tzdir_empty_gives_utc);
	tcase_add_test(tc, test_footer_only);
	tcase_add_test(tc, test_footer_julian);
	tcase_add_test(tc, test_transitions_then_footer);
	tcase_add_test(tc, test_malformed_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tz_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
