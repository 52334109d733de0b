/*
 * Unit tests for cache/csvgz.c: the number format (shortest round trip, no
 * exponent), CSV render and parse, and the deterministic gzip stream.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/csvgz.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible, good enough to scatter bit patterns */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return u;
}

static int64_t day(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * MFS_SECONDS_PER_DAY;
}

static struct mfs_bar bar(int64_t t, double o, double h, double l, double c, double v,
			  double adj)
{
	struct mfs_bar b = { t, o, h, l, c, v, adj };
	return b;
}

/* ---- numbers ---- */

START_TEST(test_fmt_table)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 185.64, "185.64" },
		{ 0.1, "0.1" },
		{ 0.3, "0.3" },
		{ 1e-7, "0.0000001" },
		{ 123456789012.0, "123456789012" },
		{ 75.0875, "75.0875" },
		{ 1.0, "1" },
		{ 2.5, "2.5" },
		{ 43251.12, "43251.12" },
		{ 0.00012345, "0.00012345" },
		{ 1.23e-7, "0.000000123" },
		{ 1e-12, "0.000000000001" },
		{ 100.0, "100" },
		{ 28111481032.0, "28111481032" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 2.0 / 3, "0.6666666666666666" },
		{ 3.141592653589793, "3.141592653589793" },
		{ 987654321.1234568, "987654321.1234568" },
		{ 1e15, "1000000000000000" },
		{ 1e20, "100000000000000000000" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 9007199254740994.0, "9007199254740994" },
		{ 1152921504606846976.0, "1152921504606847000" }, /* 2^60 */
		{ 9.99999e20, "999999000000000000000" },
		{ -2.5, "-2.5" },
		{ -0.00001, "-0.00001" },
		{ -0.0, "0" },
		{ 0.0, "0" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = mfs_fmt_double(cases[i].v, buf, sizeof(buf));

		ck_assert_msg(n == (int)strlen(cases[i].want) && strcmp(buf, cases[i].want) == 0,
			      "%.17g: got \"%s\" (%d), want \"%s\"", cases[i].v, buf, n,
			      cases[i].want);
	}
	/* A float32-widened value keeps all the digits the double has. */
	double widened = (double)185.64f;
	mfs_fmt_double(widened, buf, sizeof(buf));
	ck_assert_str_eq(buf, "185.63999938964844");
}
END_TEST

START_TEST(test_fmt_limits)
{
	char buf[64], big[400];

	ck_assert_int_eq(mfs_fmt_double(NAN, buf, sizeof(buf)), -1);
	ck_assert_int_eq(mfs_fmt_double(INFINITY, buf, sizeof(buf)), -1);
	ck_assert_int_eq(mfs_fmt_double(-INFINITY, buf, sizeof(buf)), -1);
	/* The buffer must hold the text and its NUL. */
	ck_assert_int_eq(mfs_fmt_double(185.64, buf, 6), -1);
	ck_assert_int_eq(mfs_fmt_double(185.64, buf, 7), 6);
	ck_assert_str_eq(buf, "185.64");
	ck_assert_int_eq(mfs_fmt_double(1e300, buf, sizeof(buf)), -1);
	/* Extremes still come out positionally when there is room. */
	ck_assert_int_eq(mfs_fmt_double(1e300, big, sizeof(big)), 301);
	ck_assert_int_eq(big[0], '1');
	ck_assert_ptr_null(strchr(big, 'e'));
	ck_assert_int_gt(mfs_fmt_double(5e-324, big, sizeof(big)), 300);
	ck_assert(strtod(big, NULL) == 5e-324);
	ck_assert_int_gt(mfs_fmt_double(-1.7976931348623157e308, big, sizeof(big)), 300);
	ck_assert(strtod(big, NULL) == -1.7976931348623157e308);
}
END_TEST

/* The significant digits of a decimal, without sign, point or exponent. */
static void sig_digits(const char *s, char *out)
{
	char *o = out;

	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9' || (o == out && *s == '0'))
			continue;
		*o++ = *s;
	}
	while (o > out && o[-1] == '0')
		o--;
	*o = '\0';
}

/*
 * The reference: the first "%.{p}e" that reads back exactly, i.e. the
 * shortest decimal and, of that length, the closest to v.
 */
static void shortest_ref(double v, char *out)
{
	char buf[64];

	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	sig_digits(buf, out);
}

static void check_round_trip(double v)
{
	char buf[64], ours[32], ref[32];
	int n = mfs_fmt_double(v, buf, sizeof(buf));

	ck_assert_msg(n > 0, "%.17g not formatted", v);
	ck_assert_msg(strpbrk(buf, "eE") == NULL, "%.17g -> %s", v, buf);
	ck_assert_msg(bits(strtod(buf, NULL)) == bits(v), "%.17g -> %s", v, buf);
	sig_digits(buf, ours);
	shortest_ref(v, ref);
	ck_assert_msg(strcmp(ours, ref) == 0, "%.17g -> %s, want digits %s", v, buf, ref);
}

START_TEST(test_fmt_round_trip_random_bits)
{
	int tried = 0;

	while (tried < 50000) {
		uint64_t u = rng();
		double v;

		memcpy(&v, &u, sizeof(v));
		if (!isfinite(v) || v == 0 || fabs(v) >= 1e21 || fabs(v) <= 1e-12)
			continue;
		check_round_trip(v);
		tried++;
	}
}
END_TEST

START_TEST(test_fmt_round_trip_prices)
{
	for (int i = 0; i < 40000; i++) {
		double scale = pow(10, (int)(rng() % 9));
		double v = (double)(rng() % 100000000) / scale; /* up to 8 decimals */

		if (v == 0)
			continue;
		check_round_trip(v);
		check_round_trip((double)(float)v); /* float32 noise */
		check_round_trip(v * (1 + 1e-15));
	}
	for (double v = 1e-12; v < 1e21; v *= 1.001)
		check_round_trip(v);
}
END_TEST

START_TEST(test_fmt_volume)
{
	char buf[64];

	ck_assert_int_eq(mfs_fmt_volume(82488700.0, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "82488700");
	mfs_fmt_volume(0.0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0");
	mfs_fmt_volume(-0.0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0");
	mfs_fmt_volume(1234.5, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1234.5");
	mfs_fmt_volume(0.00123, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.00123");
	mfs_fmt_volume(9007199254740991.0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "9007199254740991");
	mfs_fmt_volume(1e17, buf, sizeof(buf));
	ck_assert_str_eq(buf, "100000000000000000");
	ck_assert_int_eq(mfs_fmt_volume(NAN, buf, sizeof(buf)), -1);
	ck_assert_int_eq(mfs_fmt_volume(INFINITY, buf, sizeof(buf)), -1);
	ck_assert_int_eq(mfs_fmt_volume(82488700.0, buf, 8), -1);
}
END_TEST

/* ---- CSV ---- */

static char *render(const struct mfs_series *s, bool adj)
{
	struct mfs_error err = { 0 };
	char *out = NULL;
	size_t len = 0;

	ck_assert_int_eq(mfs_csv_render(s, adj, &out, &len, &err), MFS_OK);
	ck_assert_uint_eq(strlen(out), len);
	return out;
}

START_TEST(test_render_daily)
{
	struct mfs_series s;
	struct mfs_bar b;
	char *out;

	mfs_series_init(&s, MFS_TF_1D);
	b = bar(day(2024, 1, 2), 187.15, 188.44, 183.885, 185.64, 82488700, 184.9);
	mfs_series_append(&s, &b);
	b = bar(day(2024, 1, 3), 184.22, 185.88, 183.43, 184.25, NAN, NAN);
	mfs_series_append(&s, &b);

	out = render(&s, false);
	ck_assert_str_eq(out, "timestamp,open,high,low,close,volume\n"
			      "2024-01-02,187.15,188.44,183.885,185.64,82488700\n"
			      "2024-01-03,184.22,185.88,183.43,184.25,\n");
	free(out);
	out = render(&s, true);
	ck_assert_str_eq(out, "timestamp,open,high,low,close,volume,adj_close\n"
			      "2024-01-02,187.15,188.44,183.885,185.64,82488700,184.9\n"
			      "2024-01-03,184.22,185.88,183.43,184.25,,\n");
	free(out);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_render_intraday)
{
	struct mfs_series s;
	struct mfs_bar b;
	char *out;

	mfs_series_init(&s, MFS_TF_1M);
	b = bar(day(2024, 1, 2) + 14 * 3600 + 30 * 60, 42000.5, 42010, 41990.25, 42001,
		1.23456, NAN);
	mfs_series_append(&s, &b);
	b = bar(day(2024, 12, 31) + 23 * 3600 + 59 * 60, 1, 2, 0.5, 1.5, NAN, NAN);
	mfs_series_append(&s, &b);
	out = render(&s, false);
	ck_assert_str_eq(out, "timestamp,open,high,low,close,volume\n"
			      "2024-01-02 14:30:00,42000.5,42010,41990.25,42001,1.23456\n"
			      "2024-12-31 23:59:00,1,2,0.5,1.5,\n");
	free(out);
	mfs_series_free(&s);
}
END_TEST

START_TEST(test_render_empty_and_errors)
{
	struct mfs_error err = { 0 };
	struct mfs_series s;
	struct mfs_bar b;
	char *out;
	size_t len;

	mfs_series_init(&s, MFS_TF_1H);
	out = render(&s, false);
	ck_assert_str_eq(out, "timestamp,open,high,low,close,volume\n");
	free(out);
	out = render(&s, true);
	ck_assert_str_eq(out, "timestamp,open,high,low,close,volume,adj_close\n");
	free(out);

	b = bar(day(2024, 1, 2), 1, 2, NAN, 1, 1, NAN);
	mfs_series_append(&s, &b);
	ck_assert_int_eq(mfs_csv_render(&s, false, &out, &len, &err), MFS_ERR_INVALID);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err.msg, "low"));
	mfs_series_free(&s);

	/* A daily bar must sit on midnight: its t encodes a date. */
	mfs_series_init(&s, MFS_TF_1D);
	b = bar(day(2024, 1, 2) + 3600, 1, 2, 1, 1, 1, NAN);
	mfs_series_append(&s, &b);
	ck_assert_int_eq(mfs_csv_render(&s, false, &out, &len, &err), MFS_ERR_INVALID);
	mfs_series_free(&s);
}
END_TEST

static bool same_value(double a, double b)
{
	return (isnan(a) && isnan(b)) || bits(a) == bits(b);
}

static void assert_same_series(const struct mfs_series *a, const struct mfs_series *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct mfs_bar *x = &a->bars[i], *y = &b->bars[i];

		ck_assert_int_eq(x->t, y->t);
		ck_assert_msg(same_value(x->open, y->open) && same_value(x->high, y->high) &&
				      same_value(x->low, y->low) &&
				      same_value(x->close, y->close) &&
				      same_value(x->volume, y->volume) &&
				      same_value(x->adj_close, y->adj_close),
			      "bar %zu differs", i);
	}
}

static void random_series(struct mfs_series *s, enum mfs_tf tf, size_t n)
{
	int64_t step = tf == MFS_TF_1D ? 86400 : mfs_tf_seconds(tf);
	int64_t t = day(2024, 1, 1);

	mfs_series_init(s, tf);
	for (size_t i = 0; i < n; i++, t += step) {
		double c = (double)(rng() % 10000000) / 100 + 0.01;
		struct mfs_bar b = bar(t, c, c * 1.01, c * 0.99, (double)(float)c,
				       (double)(rng() % 1000000), c * 0.97);

		if (i % 7 == 0)
			b.volume = NAN;
		if (i % 5 == 0)
			b.adj_close = NAN;
		if (i % 11 == 0)
			b.volume = (double)(rng() % 100000) / 1000;
		ck_assert_int_eq(mfs_series_append(s, &b), 0);
	}
}

START_TEST(test_parse_round_trip)
{
	static const enum mfs_tf tfs[] = { MFS_TF_1M, MFS_TF_1H, MFS_TF_1D };

	for (size_t k = 0; k < 3; k++) {
		for (int adj = 0; adj <= 1; adj++) {
			struct mfs_error err = { 0 };
			struct mfs_series s, back;
			bool had_adj = !adj;
			char *csv;

			random_series(&s, tfs[k], 3000);
			if (!adj)
				for (size_t i = 0; i < s.n; i++)
					s.bars[i].adj_close = NAN;
			csv = render(&s, adj);
			ck_assert_int_eq(mfs_csv_parse(csv, strlen(csv), tfs[k], &back, &had_adj,
						       &err),
					 MFS_OK);
			ck_assert_int_eq(had_adj, adj);
			ck_assert_int_eq(back.tf, tfs[k]);
			assert_same_series(&s, &back);
			free(csv);
			mfs_series_free(&s);
			mfs_series_free(&back);
		}
	}
}
END_TEST

static void parse_fails(const char *text, enum mfs_tf tf, const char *needle)
{
	struct mfs_error err = { 0 };
	struct mfs_series s;

	ck_assert_msg(mfs_csv_parse(text, strlen(text), tf, &s, NULL, &err) == MFS_ERR_PARSE,
		      "accepted: %s", text);
	ck_assert_msg(strstr(err.msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err.msg,
		      needle);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_ptr_null(s.bars);
}

#define H6 "timestamp,open,high,low,close,volume\n"

START_TEST(test_parse_errors)
{
	parse_fails("", MFS_TF_1D, "line 1");
	parse_fails("timestamp,open,high,low,close\n", MFS_TF_1D, "line 1");
	parse_fails("Timestamp,open,high,low,close,volume\n", MFS_TF_1D, "header");
	parse_fails(H6 "2024-01-02,1,2,1,1,5\n2024-01-03,1,2,1,1\n", MFS_TF_1D, "line 3");
	parse_fails(H6 "2024-01-02,1,2,1,1,5,6\n", MFS_TF_1D, "line 2: 7 fields");
	parse_fails(H6 "2024-01-02,abc,2,1,1,5\n", MFS_TF_1D, "line 2: bad open");
	parse_fails(H6 "2024-01-02,1,2,,1,5\n", MFS_TF_1D, "bad low");
	parse_fails(H6 "2024-01-02,1,2,1,1e5,5\n", MFS_TF_1D, "bad close");
	parse_fails(H6 "2024-01-02,1,2,1,1., 5\n", MFS_TF_1D, "bad close");
	parse_fails(H6 "2024-01-02,1,2,1,.5,5\n", MFS_TF_1D, "bad close");
	parse_fails(H6 "2024-01-02,1,2,1,nan,5\n", MFS_TF_1D, "bad close");
	parse_fails(H6 "2024-01-02,1,2,1,1,+5\n", MFS_TF_1D, "bad volume");
	parse_fails(H6 "2024-02-30,1,2,1,1,5\n", MFS_TF_1D, "bad timestamp");
	parse_fails(H6 "2023-02-29,1,2,1,1,5\n", MFS_TF_1D, "bad timestamp");
	parse_fails(H6 "2024-1-02,1,2,1,1,5\n", MFS_TF_1D, "bad timestamp");
	parse_fails(H6 "2024-01-02 00:00:00,1,2,1,1,5\n", MFS_TF_1D, "bad timestamp");
	parse_fails(H6 "2024-01-02,1,2,1,1,5\n", MFS_TF_1H, "bad timestamp");
	parse_fails(H6 "2024-01-02 24:00:00,1,2,1,1,5\n", MFS_TF_1H, "bad timestamp");
	parse_fails(H6 "2024-01-02T10:00:00,1,2,1,1,5\n", MFS_TF_1H, "bad timestamp");
	parse_fails(H6 "2024-01-02,1,2,1,1,5\n\n", MFS_TF_1D, "line 3");
	parse_fails(H6 "2024-01-02,1,2,1,1,5", MFS_TF_1D, "line 2: no line end");
}
END_TEST

START_TEST(test_parse_accepts)
{
	const char *text = "timestamp,open,high,low,close,volume,adj_close\r\n"
			   "2024-02-29,187.15,188.44,183.885,185.64,82488700,\r\n"
			   "2024-03-01,-1.5,0.000000123,0.30000000000000004,1,,184.9\n";
	struct mfs_error err = { 0 };
	struct mfs_series s;
	bool had_adj = false;

	ck_assert_int_eq(mfs_csv_parse(text, strlen(text), MFS_TF_1D, &s, &had_adj, &err),
			 MFS_OK);
	ck_assert(had_adj);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.bars[0].t, day(2024, 2, 29));
	ck_assert(s.bars[0].open == 187.15 && s.bars[0].low == 183.885);
	ck_assert(s.bars[0].volume == 82488700 && isnan(s.bars[0].adj_close));
	ck_assert(s.bars[1].open == -1.5 && s.bars[1].high == 0.000000123);
	ck_assert(s.bars[1].low == 0.1 + 0.2 && isnan(s.bars[1].volume));
	ck_assert(s.bars[1].adj_close == 184.9);
	mfs_series_free(&s);

	/* Header only: no bars. Intraday time stamps. */
	ck_assert_int_eq(mfs_csv_parse(H6, strlen(H6), MFS_TF_1D, &s, &had_adj, &err), MFS_OK);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(!had_adj);
	mfs_series_free(&s);
	text = H6 "2024-01-02 14:30:00,1,1,1,1,0\n";
	ck_assert_int_eq(mfs_csv_parse(text, strlen(text), MFS_TF_5M, &s, NULL, &err), MFS_OK);
	ck_assert_int_eq(s.bars[0].t, day(2024, 1, 2) + 14 * 3600 + 1800);
	mfs_series_free(&s);
}
END_TEST

/* ---- gzip ---- */

START_TEST(test_gzip_deterministic)
{
	static const unsigned char head[] = { 0x1f, 0x8b, 0x08, 0x00, 0x00,
					      0x00, 0x00, 0x00, 0x00, 0x03 };
	const char *text = "timestamp,open,high,low,close,volume\n2024-01-02,1,2,1,1,5\n";
	unsigned char *a, *b;
	size_t alen, blen, rlen;
	char *round;

	ck_assert_int_eq(mfs_gzip(text, strlen(text), &a, &alen, NULL), MFS_OK);
	ck_assert_int_eq(mfs_gzip(text, strlen(text), &b, &blen, NULL), MFS_OK);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_eq(memcmp(a, b, alen), 0);
	ck_assert_uint_gt(alen, sizeof(head));
	ck_assert_int_eq(memcmp(a, head, sizeof(head)), 0);
	ck_assert_int_eq(mfs_gunzip(a, alen, 1000, &round, &rlen, NULL), MFS_OK);
	ck_assert_uint_eq(rlen, strlen(text));
	ck_assert_str_eq(round, text);
	free(round);
	free(a);
	free(b);

	/* Empty input is a valid, empty stream. */
	ck_assert_int_eq(mfs_gzip("", 0, &a, &alen, NULL), MFS_OK);
	ck_assert_int_eq(memcmp(a, head, sizeof(head)), 0);
	ck_assert_int_eq(mfs_gunzip(a, alen, 0, &round, &rlen, NULL), MFS_OK);
	ck_assert_uint_eq(rlen, 0);
	ck_assert_str_eq(round, "");
	free(round);
	free(a);
}
END_TEST

START_TEST(test_gunzip_corrupt)
{
	struct mfs_error err = { 0 };
	struct mfs_series s;
	unsigned char *gz;
	size_t gzlen, outlen;
	char *out, *csv;

	random_series(&s, MFS_TF_1H, 500);
	csv = render(&s, false);
	mfs_series_free(&s);
	ck_assert_int_eq(mfs_gzip(csv, strlen(csv), &gz, &gzlen, NULL), MFS_OK);
	/* Every truncation, including to nothing, is refused. */
	for (size_t cut = 0; cut < gzlen; cut += cut < 40 ? 1 : 97) {
		out = (char *)1;
		ck_assert_int_eq(mfs_gunzip(gz, cut, MFS_CSV_MAX_BYTES, &out, &outlen, &err),
				 MFS_ERR_CORRUPT);
		ck_assert_ptr_null(out);
	}
	ck_assert_int_eq(mfs_gunzip(gz, gzlen - 1, MFS_CSV_MAX_BYTES, &out, &outlen, &err),
			 MFS_ERR_CORRUPT);
	ck_assert_int_eq(mfs_csvgz_decode(gz, gzlen - 4, MFS_TF_1H, &s, NULL, &err),
			 MFS_ERR_CORRUPT);
	/* A flipped bit in the data or the CRC. */
	gz[gzlen / 2] ^= 0x10;
	ck_assert_int_eq(mfs_gunzip(gz, gzlen, MFS_CSV_MAX_BYTES, &out, &outlen, &err),
			 MFS_ERR_CORRUPT);
	gz[gzlen / 2] ^= 0x10;
	gz[gzlen - 6] ^= 0x01;
	ck_assert_int_eq(mfs_gunzip(gz, gzlen, MFS_CSV_MAX_BYTES, &out, &outlen, &err),
			 MFS_ERR_CORRUPT);
	gz[gzlen - 6] ^= 0x01;
	/* Not gzip at all. */
	ck_assert_int_eq(mfs_gunzip(csv, strlen(csv), MFS_CSV_MAX_BYTES, &out, &outlen, &err),
			 MFS_ERR_CORRUPT);
	/* Intact again. */
	ck_assert_int_eq(mfs_gunzip(gz, gzlen, MFS_CSV_MAX_BYTES, &out, &outlen, &err), MFS_OK);
	ck_assert_str_eq(out, csv);
	free(out);
	free(gz);
	free(csv);
}
END_TEST

START_TEST(test_gunzip_max_out)
{
	struct mfs_error err = { 0 };
	size_t n = 1000000, gzlen, outlen;
	char *text = malloc(n), *out;
	unsigned char *gz, *two;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('a' + i % 7);
	ck_assert_int_eq(mfs_gzip(text, n, &gz, &gzlen, NULL), MFS_OK);
	ck_assert_int_eq(mfs_gunzip(gz, gzlen, n, &out, &outlen, &err), MFS_OK);
	ck_assert_uint_eq(outlen, n);
	ck_assert_int_eq(memcmp(out, text, n), 0);
	free(out);
	ck_assert_int_eq(mfs_gunzip(gz, gzlen, n - 1, &out, &outlen, &err), MFS_ERR_CORRUPT);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(mfs_gunzip(gz, gzlen, 10, &out, &outlen, &err), MFS_ERR_CORRUPT);

	/* Two members back to back read as one stream, as gzip(1) does. */
	two = malloc(2 * gzlen);
	memcpy(two, gz, gzlen);
	memcpy(two + gzlen, gz, gzlen);
	ck_assert_int_eq(mfs_gunzip(two, 2 * gzlen, 2 * n, &out, &outlen, &err), MFS_OK);
	ck_assert_uint_eq(outlen, 2 * n);
	free(out);
	ck_assert_int_eq(mfs_gunzip(two, 2 * gzlen, 2 * n - 1, &out, &outlen, &err),
			 MFS_ERR_CORRUPT);
	/* Trailing garbage after a member is not. */
	memset(two + gzlen, 0, 8);
	ck_assert_int_eq(mfs_gunzip(two, gzlen + 8, 2 * n, &out, &outlen, &err),
			 MFS_ERR_CORRUPT);
	free(two);
	free(gz);
	free(text);
}
END_TEST

/* ---- the whole codec, at the size of a year of minutes ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_csvgz_year_of_minutes)
{
	struct mfs_error err = { 0 };
	struct mfs_series s, back;
	unsigned char *a, *b;
	size_t alen, blen;
	int64_t cents = 4200000;
	double t0, t1, t2;
	bool had_adj = true;

	mfs_series_init(&s, MFS_TF_1M);
	for (int64_t i = 0; i < 525600; i++) {
		/* A random walk in cents, like real BTCUSDT minutes. */
		int64_t o = cents, c = cents + (int64_t)(rng() % 2001) - 1000;
		int64_t h = (o > c ? o : c) + (int64_t)(rng() % 500);
		int64_t l = (o < c ? o : c) - (int64_t)(rng() % 500);
		struct mfs_bar br = bar(day(2024, 1, 1) + 60 * i, (double)o / 100,
					(double)h / 100, (double)l / 100, (double)c / 100,
					(double)(rng() % 100000000) / 100000, NAN);

		ck_assert_int_eq(mfs_series_append(&s, &br), 0);
		cents = c;
	}
	t0 = now_s();
	ck_assert_int_eq(mfs_csvgz_encode(&s, false, &a, &alen, &err), MFS_OK);
	t1 = now_s();
	ck_assert_int_eq(mfs_csvgz_decode(a, alen, MFS_TF_1M, &back, &had_adj, &err), MFS_OK);
	t2 = now_s();
	fprintf(stderr, "525600 1m bars: encode %.3f s (%zu bytes), decode %.3f s\n", t1 - t0,
		alen, t2 - t1);
	ck_assert(!had_adj);
	assert_same_series(&s, &back);
	ck_assert_int_eq(mfs_csvgz_encode(&back, false, &b, &blen, &err), MFS_OK);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_eq(memcmp(a, b, alen), 0);
	free(a);
	free(b);
	mfs_series_free(&s);
	mfs_series_free(&back);
}
END_TEST

static Suite *csvgz_suite(void)
{
	Suite *s = suite_create("csvgz");
	TCase *tc = tcase_create("numbers");

	tcase_add_test(tc, test_fmt_table);
	tcase_add_test(tc, test_fmt_limits);
	tcase_add_test(tc, test_fmt_round_trip_random_bits);
	tcase_add_test(tc, test_fmt_round_trip_prices);
	tcase_add_test(tc, test_fmt_volume);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("csv");
	tcase_add_test(tc, test_render_daily);
	tcase_add_test(tc, test_render_intraday);
	tcase_add_test(tc, test_render_empty_and_errors);
	tcase_add_test(tc, test_parse_round_trip);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_parse_accepts);
	suite_add_tcase(s, tc);

	tc = tcase_create("gzip");
	tcase_add_test(tc, test_gzip_deterministic);
	tcase_add_test(tc, test_gunzip_corrupt);
	tcase_add_test(tc, test_gunzip_max_out);
	tcase_add_test(tc, test_csvgz_year_of_minutes);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(csvgz_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
