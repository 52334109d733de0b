/*
 * Unit tests for the FMP bars provider (providers/fmp.c): request paths,
 * the chunk plan and coverage test, the parser against the fixtures in
 * tests/fixtures/fmp (newest first, key order o,l,h,c, string numbers,
 * nulls, the legacy shape, index volumes, every refusal FMP sends), and
 * the fetch loop through a fake GET that truncates its answers silently,
 * keeping the newest rows, as FMP does. Nothing here touches the network.
 */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "providers/fmp.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define KEY "s3cr3tKEY0123456789"

static int64_t day_of(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d);
}

static int64_t utc(int y, unsigned m, unsigned d, int h, int mi)
{
	return day_of(y, m, d) * DAY + h * 3600 + mi * 60;
}

static struct mfs_series ser;
static struct mfs_error err;
static size_t rows;
static int64_t oldest;

static void setup(void)
{
	mfs_series_init(&ser, MFS_TF_1D);
	mfs_error_clear(&err);
	rows = 99;
	oldest = 0;
}

static void teardown(void)
{
	mfs_series_free(&ser);
}

static enum mfs_err parse_body(const char *body, size_t len, long status, enum mfs_tf tf)
{
	ser.tf = tf;
	return mfs_fmp_parse_bars(status, body, len, "AAPL", tf, mfs_tz_get("America/New_York"),
				  &ser, &rows, &oldest, &err);
}

static enum mfs_err parse(const char *name, long status, enum mfs_tf tf)
{
	size_t len;
	char *body = tu_fixture_in("fmp", name, &len);
	enum mfs_err rc = parse_body(body, len, status, tf);

	free(body);
	return rc;
}

/* --- requests ----------------------------------------------------------- */

START_TEST(test_ops)
{
	char out[64];

	ck_assert_str_eq(mfs_fmp_ops.name, "fmp");
	ck_assert(mfs_fmp_ops.needs_key);
	ck_assert(mfs_fmp_ops.fetch != NULL);
	ck_assert(mfs_fmp_ops.fundamentals != NULL);
	ck_assert(mfs_fmp_ops.default_rate_tokens == 250);
	ck_assert(mfs_fmp_ops.default_rate_period_s == 86400);
	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		bool want = tf <= MFS_TF_1H || tf == MFS_TF_1D;

		ck_assert(mfs_fmp_ops.serves(MFS_CLASS_STOCK, (enum mfs_tf)tf) == want);
		ck_assert(mfs_fmp_ops.serves(MFS_CLASS_INDEX, (enum mfs_tf)tf) == want);
		ck_assert(!mfs_fmp_ops.serves(MFS_CLASS_CRYPTO, (enum mfs_tf)tf));
		ck_assert(!mfs_fmp_ops.serves(MFS_CLASS_FOREX, (enum mfs_tf)tf));
		ck_assert(mfs_fmp_ops.earliest(MFS_CLASS_STOCK, (enum mfs_tf)tf, 1) == INT64_MIN);
	}
	ck_assert_str_eq(mfs_fmp_interval(MFS_TF_1M), "1min");
	ck_assert_str_eq(mfs_fmp_interval(MFS_TF_5M), "5min");
	ck_assert_str_eq(mfs_fmp_interval(MFS_TF_15M), "15min");
	ck_assert_str_eq(mfs_fmp_interval(MFS_TF_30M), "30min");
	ck_assert_str_eq(mfs_fmp_interval(MFS_TF_1H), "1hour");
	ck_assert_ptr_null(mfs_fmp_interval(MFS_TF_4H));
	ck_assert_ptr_null(mfs_fmp_interval(MFS_TF_1D));
	mfs_fmp_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "BRK-B");
}
END_TEST

START_TEST(test_paths)
{
	char p[512];

	ck_assert_int_eq(mfs_fmp_bars_path("AAPL", MFS_TF_1D, day_of(2024, 2, 22),
					   day_of(2024, 2, 28), KEY, p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/stable/historical-price-eod/full?symbol=AAPL&from=2024-02-22"
			    "&to=2024-02-28&apikey=" KEY);
	ck_assert_int_eq(mfs_fmp_bars_path("^GSPC", MFS_TF_1H, day_of(2024, 1, 1),
					   day_of(2024, 1, 31), "a b", p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/stable/historical-chart/1hour?symbol=%5EGSPC&from=2024-01-01"
			    "&to=2024-01-31&apikey=a%20b");
	ck_assert_int_eq(mfs_fmp_bars_path("AAPL", MFS_TF_1M, day_of(2024, 1, 1),
					   day_of(2024, 1, 2), NULL, p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/stable/historical-chart/1min?symbol=AAPL&from=2024-01-01"
			    "&to=2024-01-02");
	ck_assert_int_eq(mfs_fmp_bars_path("AAPL", MFS_TF_4H, 0, 1, KEY, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_fmp_bars_path("AAPL", MFS_TF_1W, 0, 1, KEY, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_fmp_bars_path("", MFS_TF_1D, 0, 1, KEY, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_fmp_bars_path("AAPL", MFS_TF_1D, 0, 1, KEY, p, 20), -1);
}
END_TEST

START_TEST(test_chunks_and_coverage)
{
	/* intraday: one calendar month per request, newest first */
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_1M, day_of(2024, 12, 31), day_of(2024, 1, 1)),
			 day_of(2024, 12, 1));
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_1H, day_of(2024, 2, 29), day_of(2024, 1, 1)),
			 day_of(2024, 2, 1));
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_5M, day_of(2024, 3, 1), day_of(2024, 1, 1)),
			 day_of(2024, 3, 1));
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_5M, day_of(2024, 3, 20), day_of(2024, 3, 10)),
			 day_of(2024, 3, 10));
	/* daily: five years */
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_1D, day_of(2024, 12, 31), day_of(1970, 1, 1)),
			 day_of(2020, 1, 1));
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_1D, day_of(2025, 3, 14), day_of(1970, 1, 1)),
			 day_of(2020, 3, 15));
	ck_assert_int_eq(mfs_fmp_chunk_start(MFS_TF_1D, day_of(2024, 12, 31), day_of(2024, 1, 1)),
			 day_of(2024, 1, 1));
	/* Jan 1 (a holiday) then a weekend: the first session is 3 days later */
	ck_assert(mfs_fmp_covered(MFS_TF_1D, day_of(2021, 1, 1), day_of(2021, 1, 4) * DAY));
	/* Sunday Jan 1, observed on Monday 2 */
	ck_assert(mfs_fmp_covered(MFS_TF_1D, day_of(2023, 1, 1), day_of(2023, 1, 3) * DAY));
	ck_assert(mfs_fmp_covered(MFS_TF_1D, day_of(2024, 1, 1), day_of(2024, 1, 1) * DAY));
	ck_assert(mfs_fmp_covered(MFS_TF_1D, day_of(2024, 6, 1), day_of(2024, 6, 3) * DAY));
	/* a weekday was cut off */
	ck_assert(!mfs_fmp_covered(MFS_TF_1D, day_of(2024, 1, 1), day_of(2024, 1, 3) * DAY));
	ck_assert(!mfs_fmp_covered(MFS_TF_1D, day_of(2024, 1, 1), day_of(2024, 1, 15) * DAY));
	/* intraday: the oldest row must be a session's first bar */
	ck_assert(mfs_fmp_covered(MFS_TF_1M, day_of(2024, 6, 1),
				  day_of(2024, 6, 3) * DAY + 9 * 3600 + 1800));
	ck_assert(mfs_fmp_covered(MFS_TF_1M, day_of(2024, 6, 1),
				  day_of(2024, 6, 3) * DAY + 4 * 3600));
	ck_assert(!mfs_fmp_covered(MFS_TF_1M, day_of(2024, 6, 1),
				   day_of(2024, 6, 3) * DAY + 11 * 3600));
	ck_assert(!mfs_fmp_covered(MFS_TF_1H, day_of(2024, 6, 3),
				   day_of(2024, 6, 3) * DAY + 10 * 3600 + 1800));
}
END_TEST

/* --- the parser --------------------------------------------------------- */

START_TEST(test_parse_daily_newest_first)
{
	ck_assert_int_eq(parse("eod-AAPL-2024-02.json", 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 3);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_int_eq(oldest, day_of(2024, 2, 26) * DAY);
	/* kept in FMP's order: the cache sorts */
	ck_assert_int_eq(ser.bars[0].t, day_of(2024, 2, 28) * DAY);
	ck_assert_int_eq(ser.bars[2].t, day_of(2024, 2, 26) * DAY);
	ck_assert(ser.bars[0].open == 182.51);
	ck_assert(ser.bars[0].high == 183.12);
	ck_assert(ser.bars[0].low == 180.13);
	ck_assert(ser.bars[0].close == 181.42);
	ck_assert(ser.bars[0].volume == 48953939);
	ck_assert(isnan(ser.bars[0].adj_close));
}
END_TEST

START_TEST(test_parse_intraday_local_times)
{
	ck_assert_int_eq(parse("chart-1hour-AAPL.json", 200, MFS_TF_1H), MFS_OK);
	ck_assert_uint_eq(ser.n, 4);
	/* EDT: 15:30 New York = 19:30Z */
	ck_assert_int_eq(ser.bars[0].t, utc(2024, 7, 1, 19, 30));
	/* EST: 15:30 = 20:30Z; the bar's open */
	ck_assert_int_eq(ser.bars[1].t, utc(2024, 1, 2, 20, 30));
	ck_assert_int_eq(ser.bars[3].t, utc(2024, 1, 2, 14, 30));
	ck_assert_int_eq(oldest, day_of(2024, 1, 2) * DAY + 9 * 3600 + 1800);
	/* key order o, l, h, c: read by name */
	ck_assert(ser.bars[1].open == 184.42);
	ck_assert(ser.bars[1].low == 184.415);
	ck_assert(ser.bars[1].high == 185.93);
	ck_assert(ser.bars[1].close == 185.47);
	ck_assert(ser.bars[1].volume == 12927017);
}
END_TEST

START_TEST(test_parse_legacy_shape)
{
	ck_assert_int_eq(parse("eod-legacy-historical.json", 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(ser.n, 2);
	ck_assert_int_eq(ser.bars[0].t, day_of(2023, 10, 6) * DAY);
	ck_assert(ser.bars[0].close == 177.49);
	/* adjClose of the legacy shape is dividend-adjusted: not taken */
	ck_assert(isnan(ser.bars[0].adj_close));
	ck_assert_int_eq(parse_body("{}", 2, 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 0);
	ck_assert_int_eq(parse_body("{\"foo\":1}", 9, 200, MFS_TF_1D), MFS_ERR_PARSE);
}
END_TEST

START_TEST(test_parse_strings_nulls_big_volume)
{
	ck_assert_int_eq(parse("eod-strings-nulls.json", 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 3);
	ck_assert_uint_eq(ser.n, 2);
	ck_assert_uint_eq(ser.null_rows, 1);
	ck_assert_int_eq(ser.null_t[0], day_of(2024, 2, 27) * DAY);
	ck_assert(ser.bars[0].open == 182.51);
	ck_assert(ser.bars[0].volume == 48953939);
	ck_assert(ser.bars[1].volume == 4086742100.0);
	ck_assert_int_eq(oldest, day_of(2024, 2, 26) * DAY);
}
END_TEST

START_TEST(test_parse_empty_and_bad_rows)
{
	ck_assert_int_eq(parse("empty.json", 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 0);
	ck_assert_int_eq(oldest, INT64_MAX);
	ck_assert_int_eq(parse("eod-bad-number.json", 200, MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "open"));
	ck_assert_int_eq(parse("eod-bad-date.json", 200, MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_body("[1]", 3, 200, MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_body("[{\"date\":\"2024-01-02 25:00:00\",\"open\":1}]", 41, 200,
				    MFS_TF_1H),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_body("[{\"date\":", 9, 200, MFS_TF_1D), MFS_ERR_PARSE);
}
END_TEST

START_TEST(test_parse_refusals)
{
	ck_assert_int_eq(parse("profile-invalid-key.json", 401, MFS_TF_1D), MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "fmp: AAPL"));
	ck_assert_int_eq(parse("profile-legacy-endpoint.json", 403, MFS_TF_1D),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("premium-402.json", 402, MFS_TF_1M), MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "Premium Query Parameter"));
	ck_assert_int_eq(parse("restricted-402.json", 402, MFS_TF_1H), MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("profile-limit-reach.json", 429, MFS_TF_1D), MFS_ERR_RATE_LIMIT);
	/* the throttle is also sent with HTTP 200 */
	ck_assert_int_eq(parse("profile-limit-reach.json", 200, MFS_TF_1D), MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse("text-200.txt", 200, MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not JSON"));
	ck_assert_int_eq(parse("html-502.html", 502, MFS_TF_1D), MFS_ERR_SERVER);
	ck_assert_int_eq(parse_body("[]", 2, 500, MFS_TF_1D), MFS_ERR_SERVER);
	ck_assert_int_eq(parse_body("{\"Error Message\":\"Something new\"}", 33, 200, MFS_TF_1D),
			 MFS_ERR_PERMANENT);
}
END_TEST

/* --- the fetch loop, with a fake FMP ------------------------------------- */

#define FAKE_MAX 256

/*
 * A fake FMP: sessions are the weekdays from first_day on; 1d answers one
 * row per session, 1h seven rows per session (09:30 .. 15:30 New York);
 * every answer is newest first and keeps only the newest max_rows rows.
 * canned_status != 0 replaces the answer of request number canned_at.
 */
static struct {
	unsigned calls;
	char paths[FAKE_MAX][256];
	int64_t first_day;
	size_t max_rows;
	bool ignore_range;
	unsigned canned_at;
	long canned_status;
	const char *canned_body;
} fake;

static const char *query_value(const char *path, const char *name, char *out, size_t outlen)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "%s=", name);
	p = strstr(path, pat);
	ck_assert_ptr_nonnull(p);
	p += strlen(pat);
	n = strcspn(p, "&");
	ck_assert_uint_lt(n, outlen);
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static int64_t query_day(const char *path, const char *name)
{
	char v[32];
	int y, m, d;

	query_value(path, name, v, sizeof(v));
	ck_assert_int_eq(sscanf(v, "%d-%d-%d", &y, &m, &d), 3);
	return day_of(y, (unsigned)m, (unsigned)d);
}

static char *fake_answer(const char *path)
{
	bool hourly = strstr(path, "/historical-chart/1hour?") != NULL;
	int64_t from = query_day(path, "from"), to = query_day(path, "to");
	size_t cap = 1 << 20, o = 0, n = 0;
	char *buf = malloc(cap);

	if (fake.ignore_range) {
		from = fake.first_day;
		to = day_of(2025, 12, 31);
	}
	ck_assert_ptr_nonnull(buf);
	buf[o++] = '[';
	for (int64_t d = to; d >= from && d >= fake.first_day && n < fake.max_rows; d--) {
		int y;
		unsigned m, dd;

		if (mfs_weekday_from_days(d) >= 5)
			continue;
		mfs_civil_from_days(d, &y, &m, &dd);
		for (int h = hourly ? 15 : 0; h >= (hourly ? 9 : 0) && n < fake.max_rows; h--) {
			char when[32];

			if (hourly)
				snprintf(when, sizeof(when), "%04d-%02u-%02u %02d:30:00", y, m, dd,
					 h);
			else
				snprintf(when, sizeof(when), "%04d-%02u-%02u", y, m, dd);
			ck_assert_uint_lt(o + 200, cap);
			o += (size_t)snprintf(buf + o, cap - o,
					      "%s{\"date\":\"%s\",\"open\":10.5,\"low\":10,"
					      "\"high\":11,\"close\":10.75,\"volume\":%d}",
					      n ? "," : "", when, hourly ? 1000 : 0);
			n++;
		}
	}
	buf[o++] = ']';
	buf[o] = '\0';
	return buf;
}

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	unsigned i = fake.calls++;

	(void)headers;
	(void)e;
	ck_assert_uint_lt(i, FAKE_MAX);
	snprintf(fake.paths[i], sizeof(fake.paths[0]), "%s", path_and_query);
	ctx->requests++;
	if (fake.canned_status && i == fake.canned_at) {
		resp->status = fake.canned_status;
		resp->body = strdup(fake.canned_body);
	} else {
		resp->status = 200;
		resp->body = fake_answer(path_and_query);
	}
	resp->len = strlen(resp->body);
	return MFS_OK;
}

static struct mfs_fetch_result res;

static void fetch_setup(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.first_day = day_of(2000, 1, 3);
	fake.max_rows = 1500;
	mfs_error_clear(&err);
}

static void fetch_teardown(void)
{
	mfs_fetch_result_free(&res);
}

static enum mfs_err fetch(enum mfs_class cls, const char *sym, enum mfs_tf tf, int64_t start,
			  int64_t end, const char *key)
{
	struct mfs_fetch_ctx ctx = { .now = utc(2025, 6, 1, 0, 0) };
	struct mfs_fetch_req req = { .symbol = sym, .provider_symbol = sym, .cls = cls,
				     .tf = tf, .start = start, .end = end };

	mfs_fetch_result_free(&res);
	mfs_fetch_result_init(&res, tf);
	return mfs_fmp_fetch_with(fake_get, &ctx, key, &req, &res, &err);
}

/* Every weekday of [from, to] has a bar at t(day), in any order. */
static void assert_daily_complete(int64_t from, int64_t to)
{
	size_t want = 0, found = 0;

	for (int64_t d = from; d <= to; d++) {
		if (mfs_weekday_from_days(d) >= 5)
			continue;
		want++;
		for (size_t i = 0; i < res.series.n; i++)
			if (res.series.bars[i].t == d * DAY) {
				found++;
				break;
			}
	}
	ck_assert_uint_eq(found, want);
}

START_TEST(test_fetch_daily_chunks)
{
	/* 2010 .. 2024: 15 years, three 5-year chunks, each under 1500 rows */
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2010, 1, 1) * DAY,
			       day_of(2025, 1, 1) * DAY, KEY),
			 MFS_OK);
	ck_assert_uint_eq(fake.calls, 3);
	ck_assert_str_eq(fake.paths[0], "/stable/historical-price-eod/full?symbol=AAPL"
					"&from=2020-01-01&to=2024-12-31&apikey=" KEY);
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "&from=2015-01-01&to=2019-12-31&"));
	ck_assert_ptr_nonnull(strstr(fake.paths[2], "&from=2010-01-01&to=2014-12-31&"));
	assert_daily_complete(day_of(2010, 1, 1), day_of(2024, 12, 31));
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_int_eq(res.close_minute, 960);
	ck_assert(!res.raw_prices);
	/* a stock's volume 0 stays 0 */
	ck_assert(res.series.bars[0].volume == 0);
}
END_TEST

START_TEST(test_fetch_daily_silent_truncation)
{
	/* FMP keeps only the newest 100 rows: the older part is asked again */
	fake.max_rows = 100;
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2023, 1, 1) * DAY,
			       day_of(2024, 1, 1) * DAY, KEY),
			 MFS_OK);
	assert_daily_complete(day_of(2023, 1, 1), day_of(2023, 12, 31));
	ck_assert_uint_eq(res.series.n, 260);
	ck_assert_uint_eq(fake.calls, 3);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "&from=2023-01-01&to=2023-12-31&"));
	/* the next asks up to the day before the oldest row */
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "&from=2023-01-01&to="));
	ck_assert_ptr_null(strstr(fake.paths[1], "&to=2023-12-31"));
}
END_TEST

START_TEST(test_fetch_intraday_months_and_truncation)
{
	size_t hours = 0;

	/* a month of 1h rows is ~160: keep 50, so every month needs paging */
	fake.max_rows = 50;
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1H, utc(2024, 1, 1, 5, 0),
			       utc(2024, 4, 1, 4, 0), KEY),
			 MFS_OK);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "/stable/historical-chart/1hour?symbol=AAPL"
						    "&from=2024-03-01&to=2024-03-31&apikey="));
	for (int64_t d = day_of(2024, 1, 1); d < day_of(2024, 4, 1); d++) {
		for (int h = 9; h <= 15 && mfs_weekday_from_days(d) < 5; h++) {
			const struct mfs_tz *ny = mfs_tz_get("America/New_York");
			int64_t t = mfs_tz_from_local(ny, d * DAY + h * 3600 + 1800, NULL);
			bool seen = false;

			for (size_t i = 0; i < res.series.n && !seen; i++)
				seen = res.series.bars[i].t == t;
			ck_assert_msg(seen, "missing %lld", (long long)t);
			hours++;
		}
	}
	ck_assert_uint_eq(hours, 65 * 7);
	ck_assert_uint_le(fake.calls, 3 * 5);
	ck_assert_uint_ge(fake.calls, 3 * 3);
}
END_TEST

START_TEST(test_fetch_before_first_trade)
{
	/* the symbol starts mid-chunk: one more request answers [] */
	fake.first_day = day_of(2023, 6, 14);
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "NEW", MFS_TF_1D, day_of(2023, 1, 1) * DAY,
			       day_of(2024, 1, 1) * DAY, KEY),
			 MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "&from=2023-01-01&to=2023-06-13&"));
	assert_daily_complete(day_of(2023, 6, 14), day_of(2023, 12, 31));
}
END_TEST

START_TEST(test_fetch_history_start)
{
	/* from 1970: the chunks before the listing are not all asked */
	fake.first_day = day_of(2012, 3, 5);
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "MSFT", MFS_TF_1D, 0, day_of(2025, 1, 1) * DAY,
			       KEY),
			 MFS_OK);
	ck_assert_uint_eq(fake.calls, 5);
	ck_assert_ptr_nonnull(strstr(fake.paths[2], "&from=2010-01-01&to=2014-12-31&"));
	ck_assert_ptr_nonnull(strstr(fake.paths[3], "&from=2010-01-01&to=2012-03-04&"));
	ck_assert_ptr_nonnull(strstr(fake.paths[4], "&from=2005-01-01&to=2009-12-31&"));
	assert_daily_complete(day_of(2012, 3, 5), day_of(2024, 12, 31));
	ck_assert_int_eq(res.first_trade, 0);
}
END_TEST

START_TEST(test_fetch_first_trade_known)
{
	struct mfs_fetch_ctx ctx = { .now = utc(2025, 6, 1, 0, 0) };
	struct mfs_fetch_req req = { .symbol = "NEW", .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1D,
				     .start = day_of(2023, 1, 1) * DAY,
				     .end = day_of(2024, 1, 1) * DAY,
				     .first_trade_known = day_of(2023, 6, 14) * DAY };

	fake.first_day = day_of(2023, 6, 14);
	mfs_fetch_result_init(&res, MFS_TF_1D);
	ck_assert_int_eq(mfs_fmp_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "symbol=NEW&from=2023-06-14&to=2023-12-31"));
}
END_TEST

START_TEST(test_fetch_no_data)
{
	fake.first_day = day_of(2030, 1, 1);
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "NOPE", MFS_TF_1D, day_of(2023, 1, 1) * DAY,
			       day_of(2024, 1, 1) * DAY, KEY),
			 MFS_ERR_NO_DATA);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "fmp: NOPE"));
}
END_TEST

START_TEST(test_fetch_future_clipped)
{
	/* now is 2025-06-01: nothing is asked after it */
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2025, 1, 1) * DAY,
			       day_of(2026, 1, 1) * DAY, KEY),
			 MFS_OK);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "&from=2025-01-01&to=2025-06-01&"));
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2026, 1, 1) * DAY,
			       day_of(2027, 1, 1) * DAY, KEY),
			 MFS_ERR_NO_DATA);
}
END_TEST

START_TEST(test_fetch_index_volume)
{
	ck_assert_int_eq(fetch(MFS_CLASS_INDEX, "^GSPC", MFS_TF_1D, day_of(2024, 1, 1) * DAY,
			       day_of(2024, 2, 1) * DAY, KEY),
			 MFS_OK);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "symbol=%5EGSPC&"));
	ck_assert_uint_gt(res.series.n, 0);
	for (size_t i = 0; i < res.series.n; i++)
		ck_assert(isnan(res.series.bars[i].volume));
}
END_TEST

START_TEST(test_fetch_errors)
{
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, 0, DAY, NULL),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, 0, DAY, ""), MFS_ERR_CONFIG);
	ck_assert_uint_eq(fake.calls, 0);
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_4H, 0, DAY, KEY),
			 MFS_ERR_INVALID);
	ck_assert_int_eq(fetch(MFS_CLASS_CRYPTO, "BTCUSD", MFS_TF_1D, 0, DAY, KEY),
			 MFS_ERR_INVALID);
	ck_assert_uint_eq(fake.calls, 0);

	/* the daily limit on the second chunk: the throttle wins */
	fake.canned_at = 1;
	fake.canned_status = 200;
	fake.canned_body = "{\"Error Message\":\"Limit Reach . Please upgrade your plan\"}";
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2010, 1, 1) * DAY,
			       day_of(2025, 1, 1) * DAY, KEY),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_uint_eq(fake.calls, 2);
	mfs_fetch_result_free(&res);

	/* an answer that echoes the key: scrubbed from the message */
	memset(&fake, 0, sizeof(fake));
	fake.canned_status = 401;
	fake.canned_body = "{\"Error Message\":\"Invalid API KEY " KEY "\"}";
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1M, utc(2024, 1, 2, 14, 30),
			       utc(2024, 1, 3, 0, 0), KEY),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_null(strstr(err.msg, KEY));
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "/stable/historical-chart/1min?symbol=AAPL"
						    "&from=2024-01-02&to=2024-01-02&apikey="));
}
END_TEST

START_TEST(test_fetch_range_ignored)
{
	/* a provider that ignores from/to must not be asked forever */
	fake.ignore_range = true;
	fake.max_rows = 100;
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2010, 1, 1) * DAY,
			       day_of(2011, 1, 1) * DAY, KEY),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(fake.calls, 1);
}
END_TEST

START_TEST(test_fetch_request_bound)
{
	/* one row per answer: a year cannot be covered within the bound */
	fake.max_rows = 1;
	ck_assert_int_eq(fetch(MFS_CLASS_STOCK, "AAPL", MFS_TF_1D, day_of(2010, 1, 1) * DAY,
			       day_of(2011, 1, 1) * DAY, KEY),
			 MFS_ERR_SERVER);
	ck_assert_uint_eq(fake.calls, MFS_FMP_MAX_REQUESTS);
}
END_TEST

START_TEST(test_fetch_deadline)
{
	struct mfs_fetch_ctx ctx = { .now = utc(2025, 6, 1, 0, 0), .deadline_ms = 1 };
	struct mfs_fetch_req req = { .symbol = "AAPL", .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1D,
				     .start = 0, .end = DAY * 400 };

	mfs_fetch_result_init(&res, MFS_TF_1D);
	ck_assert_int_eq(mfs_fmp_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_TIMEOUT);
	ck_assert_uint_eq(fake.calls, 0);
}
END_TEST

static Suite *fmp_suite(void)
{
	Suite *s = suite_create("fmp");
	TCase *req = tcase_create("requests");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(req, test_ops);
	tcase_add_test(req, test_paths);
	tcase_add_test(req, test_chunks_and_coverage);
	suite_add_tcase(s, req);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_daily_newest_first);
	tcase_add_test(par, test_parse_intraday_local_times);
	tcase_add_test(par, test_parse_legacy_shape);
	tcase_add_test(par, test_parse_strings_nulls_big_volume);
	tcase_add_test(par, test_parse_empty_and_bad_rows);
	tcase_add_test(par, test_parse_refusals);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, fetch_setup, fetch_teardown);
	tcase_add_test(fet, test_fetch_daily_chunks);
	tcase_add_test(fet, test_fetch_daily_silent_truncation);
	tcase_add_test(fet, test_fetch_intraday_months_and_truncation);
	tcase_add_test(fet, test_fetch_before_first_trade);
	tcase_add_test(fet, test_fetch_history_start);
	tcase_add_test(fet, test_fetch_first_trade_known);
	tcase_add_test(fet, test_fetch_no_data);
	tcase_add_test(fet, test_fetch_future_clipped);
	tcase_add_test(fet, test_fetch_index_volume);
	tcase_add_test(fet, test_fetch_errors);
	tcase_add_test(fet, test_fetch_range_ignored);
	tcase_add_test(fet, test_fetch_request_bound);
	tcase_add_test(fet, test_fetch_deadline);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fmp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
