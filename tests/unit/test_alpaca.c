/*
 * Unit tests for the Alpaca stock bars provider (providers/alpaca.c): the
 * key splitter, timeframes, URLs, the RFC-3339 parser (nanoseconds,
 * offsets), the bar parser against the fixtures in tests/fixtures/alpaca
 * (integer prices, New York midnight daily stamps in winter and summer,
 * the multi-symbol shape, null and empty bars, error bodies), and the
 * paging loop through a fake GET. Nothing here touches the network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/alpaca.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define KEY "AKTESTID:s3cr3tSECRETvalue"

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static int64_t utc(int y, unsigned m, unsigned d, int h, int mi)
{
	return day_t(y, m, d) + h * 3600 + mi * 60;
}

static struct mfs_series ser;
static struct mfs_error err;
static size_t rows;
static char token[MFS_ALPACA_TOKEN_MAX];

static void setup(void)
{
	mfs_series_init(&ser, MFS_TF_1D);
	mfs_error_clear(&err);
	rows = 0;
	token[0] = '\0';
}

static void teardown(void)
{
	mfs_series_free(&ser);
}

static enum mfs_err parse(const char *name, long status, const char *sym, enum mfs_tf tf)
{
	size_t len;
	char *body = tu_fixture_in("alpaca", name, &len);
	enum mfs_err rc;

	ser.tf = tf;
	rc = mfs_alpaca_parse_bars(status, body, len, sym, tf, &ser, &rows, token, sizeof(token),
				   &err);
	free(body);
	return rc;
}

/* --- requests ----------------------------------------------------------- */

START_TEST(test_timeframes_and_ops)
{
	ck_assert_str_eq(mfs_alpaca_timeframe(MFS_TF_1M), "1Min");
	ck_assert_str_eq(mfs_alpaca_timeframe(MFS_TF_5M), "5Min");
	ck_assert_str_eq(mfs_alpaca_timeframe(MFS_TF_15M), "15Min");
	ck_assert_str_eq(mfs_alpaca_timeframe(MFS_TF_30M), "30Min");
	ck_assert_str_eq(mfs_alpaca_timeframe(MFS_TF_1H), "1Hour");
	ck_assert_str_eq(mfs_alpaca_timeframe(MFS_TF_1D), "1Day");
	ck_assert_ptr_null(mfs_alpaca_timeframe(MFS_TF_4H));
	ck_assert_ptr_null(mfs_alpaca_timeframe(MFS_TF_1W));
	ck_assert_ptr_null(mfs_alpaca_timeframe(MFS_TF_1MO));
	ck_assert_ptr_null(mfs_alpaca_timeframe(MFS_TF_INVALID));

	ck_assert(mfs_alpaca_ops.serves(MFS_CLASS_STOCK, MFS_TF_1M));
	ck_assert(mfs_alpaca_ops.serves(MFS_CLASS_STOCK, MFS_TF_1D));
	ck_assert(!mfs_alpaca_ops.serves(MFS_CLASS_STOCK, MFS_TF_1W));
	ck_assert(!mfs_alpaca_ops.serves(MFS_CLASS_STOCK, MFS_TF_1MO));
	ck_assert(!mfs_alpaca_ops.serves(MFS_CLASS_STOCK, MFS_TF_4H));
	ck_assert(!mfs_alpaca_ops.serves(MFS_CLASS_CRYPTO, MFS_TF_1D));
	ck_assert(!mfs_alpaca_ops.serves(MFS_CLASS_INDEX, MFS_TF_1D));
	ck_assert_int_eq(mfs_alpaca_ops.earliest(MFS_CLASS_STOCK, MFS_TF_1M, 0),
			 day_t(2016, 1, 1));
	ck_assert(mfs_alpaca_ops.needs_key);
	ck_assert(mfs_alpaca_ops.fetch != NULL);
	ck_assert(mfs_alpaca_ops.default_rate_tokens == 200);
	ck_assert(mfs_alpaca_ops.default_rate_period_s == 60);
}
END_TEST

START_TEST(test_map_symbol)
{
	char out[32];

	mfs_alpaca_ops.map_symbol("BRK-B", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "BRK.B");
	mfs_alpaca_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "BRK.B");
	mfs_alpaca_ops.map_symbol("AAPL", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "AAPL");
	mfs_alpaca_ops.map_symbol("ABCDEFG", MFS_CLASS_STOCK, out, 4);
	ck_assert_str_eq(out, "ABC");
}
END_TEST

START_TEST(test_split_key)
{
	char id[64], secret[64];
	struct mfs_error e = { 0 };

	ck_assert_int_eq(mfs_alpaca_split_key("AKID:sec:ret", id, sizeof(id), secret,
					      sizeof(secret), &e),
			 MFS_OK);
	ck_assert_str_eq(id, "AKID");
	ck_assert_str_eq(secret, "sec:ret"); /* split at the first ':' */

	ck_assert_int_eq(mfs_alpaca_split_key("AKIDsecret", id, sizeof(id), secret,
					      sizeof(secret), &e),
			 MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "KEY_ID:SECRET"));
	ck_assert_ptr_null(strstr(e.msg, "AKIDsecret"));
	ck_assert_int_eq(mfs_alpaca_split_key(":secret", id, sizeof(id), secret, sizeof(secret),
					      &e),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_alpaca_split_key("AKID:", id, sizeof(id), secret, sizeof(secret),
					      &e),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_alpaca_split_key(NULL, id, sizeof(id), secret, sizeof(secret), &e),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_alpaca_split_key("", id, sizeof(id), secret, sizeof(secret), &e),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_alpaca_split_key("AKIDAKIDAKID:x", id, 4, secret, sizeof(secret),
					      &e),
			 MFS_ERR_CONFIG);
}
END_TEST

START_TEST(test_bars_path)
{
	char path[1024];

	ck_assert_int_eq(mfs_alpaca_bars_path("AAPL", MFS_TF_1M, utc(2024, 1, 2, 14, 30),
					      utc(2024, 1, 3, 0, 0), NULL, path, sizeof(path)),
			 0);
	ck_assert_str_eq(path, "/v2/stocks/AAPL/bars?timeframe=1Min"
			       "&start=2024-01-02T14%3A30%3A00Z&end=2024-01-03T00%3A00%3A00Z"
			       "&limit=10000&adjustment=split&feed=sip&sort=asc");
	/* The token (base64: + / =) is encoded; the query is otherwise the same. */
	ck_assert_int_eq(mfs_alpaca_bars_path("BRK.B", MFS_TF_1D, day_t(2024, 1, 1),
					      day_t(2025, 1, 1), "QU+/Zw==", path, sizeof(path)),
			 0);
	ck_assert_str_eq(path, "/v2/stocks/BRK.B/bars?timeframe=1Day"
			       "&start=2024-01-01T00%3A00%3A00Z&end=2025-01-01T00%3A00%3A00Z"
			       "&limit=10000&adjustment=split&feed=sip&sort=asc"
			       "&page_token=QU%2B%2FZw%3D%3D");
	ck_assert_int_eq(mfs_alpaca_bars_path("AAPL", MFS_TF_1W, 0, DAY, NULL, path,
					      sizeof(path)),
			 -1);
	ck_assert_int_eq(mfs_alpaca_bars_path("AAPL", MFS_TF_1D, 0, DAY, NULL, path, 40), -1);
	ck_assert_int_eq(mfs_alpaca_bars_path("", MFS_TF_1D, 0, DAY, NULL, path, sizeof(path)),
			 -1);
}
END_TEST

START_TEST(test_parse_time)
{
	int64_t t = 0;

	ck_assert(mfs_alpaca_parse_time("2022-02-01T05:00:00Z", &t));
	ck_assert_int_eq(t, utc(2022, 2, 1, 5, 0));
	ck_assert(mfs_alpaca_parse_time("2026-09-01T13:30:00.000000000Z", &t));
	ck_assert_int_eq(t, utc(2026, 9, 1, 13, 30));
	ck_assert(mfs_alpaca_parse_time("2026-09-01T13:30:00.999Z", &t));
	ck_assert_int_eq(t, utc(2026, 9, 1, 13, 30));
	ck_assert(mfs_alpaca_parse_time("2023-09-27T00:00:00-04:00", &t));
	ck_assert_int_eq(t, utc(2023, 9, 27, 4, 0));
	ck_assert(mfs_alpaca_parse_time("2023-09-27T05:30:00+05:30", &t));
	ck_assert_int_eq(t, utc(2023, 9, 27, 0, 0));
	ck_assert(mfs_alpaca_parse_time("2023-09-27", &t));
	ck_assert_int_eq(t, day_t(2023, 9, 27));
	ck_assert(!mfs_alpaca_parse_time("2023-09-27T04:00:00", &t));
	ck_assert(!mfs_alpaca_parse_time("2023-09-27T04:00Z", &t));
	ck_assert(!mfs_alpaca_parse_time("2023-09-27T04:00:00.Z", &t));
	ck_assert(!mfs_alpaca_parse_time("2023-13-27T04:00:00Z", &t));
	ck_assert(!mfs_alpaca_parse_time("27/09/2023", &t));
	ck_assert(!mfs_alpaca_parse_time("", &t));
	ck_assert(!mfs_alpaca_parse_time(NULL, &t));
}
END_TEST

/* --- the parser --------------------------------------------------------- */

START_TEST(test_parse_multi_shape_integer_prices)
{
	ck_assert_int_eq(parse("bars-AAPL-1Day-multi.json", 200, "AAPL", MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 2);
	ck_assert_uint_eq(ser.n, 2);
	/* 05:00Z is 00:00 New York: the date itself */
	ck_assert_int_eq(ser.bars[0].t, day_t(2022, 2, 1));
	ck_assert(ser.bars[0].open == 174.0); /* an integer in JSON */
	ck_assert(ser.bars[0].high == 174.84);
	ck_assert(ser.bars[0].low == 172.31);
	ck_assert(ser.bars[0].close == 174.61);
	ck_assert(ser.bars[0].volume == 85998033.0);
	ck_assert(isnan(ser.bars[0].adj_close));
	ck_assert_int_eq(ser.bars[1].t, day_t(2022, 2, 2));
	ck_assert_str_eq(token, "QUFQTHxEfDIwMjItMDItMDJUMDU6MDA6MDAuMDAwMDAwMDAwWg==");

	/* The multi shape keyed by another symbol only: its single list */
	mfs_series_free(&ser);
	ck_assert_int_eq(parse("bars-AAPL-1Day-multi.json", 200, "BRK.B", MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(ser.n, 2);
}
END_TEST

START_TEST(test_parse_daily_new_york_dates)
{
	/* 04:00Z in summer, 05:00Z in winter, with and without nanoseconds */
	ck_assert_int_eq(parse("bars-AAPL-1Day-summer.json", 200, "AAPL", MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_int_eq(ser.bars[0].t, day_t(2023, 9, 27));
	ck_assert_int_eq(ser.bars[1].t, day_t(2023, 9, 28));
	ck_assert_int_eq(ser.bars[2].t, day_t(2023, 11, 6));
	ck_assert(ser.bars[2].high == 179.0 && ser.bars[2].close == 179.0);
	ck_assert_str_eq(token, ""); /* null token: the last page */
}
END_TEST

START_TEST(test_parse_intraday_nanoseconds)
{
	ck_assert_int_eq(parse("bars-MSFT-1Min-ns.json", 200, "MSFT", MFS_TF_1M), MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_int_eq(ser.bars[0].t, utc(2026, 9, 1, 13, 30));
	ck_assert_int_eq(ser.bars[1].t, utc(2026, 9, 1, 13, 31));
	ck_assert_int_eq(ser.bars[2].t, utc(2026, 9, 1, 13, 32));
	ck_assert(ser.bars[0].high == 411.0);
	ck_assert(ser.bars[2].volume == 3000000000.0); /* above 2^31 */
	ck_assert_str_eq(token, ""); /* absent token: the last page */
}
END_TEST

START_TEST(test_parse_no_data)
{
	ck_assert_int_eq(parse("bars-null.json", 200, "AAPL", MFS_TF_1D), MFS_ERR_NO_DATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "alpaca: AAPL"));
	ck_assert_int_eq(parse("bars-empty.json", 200, "AAPL", MFS_TF_1D), MFS_ERR_NO_DATA);
	ck_assert_int_eq(parse("bars-multi-empty.json", 200, "AAPL", MFS_TF_1D),
			 MFS_ERR_NO_DATA);
	ck_assert_uint_eq(ser.n, 0);
	ck_assert_uint_eq(rows, 0);
}
END_TEST

START_TEST(test_parse_bad_values)
{
	ck_assert_int_eq(parse("bars-string-price.json", 200, "AAPL", MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"o\" is not a number"));
	ck_assert_int_eq(parse("bars-bad-time.json", 200, "AAPL", MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "RFC-3339"));
	/* A null price drops the row (counted); a missing volume is NaN. */
	ck_assert_int_eq(parse("bars-nulls.json", 200, "AAPL", MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(ser.n, 1);
	ck_assert_uint_eq(ser.null_rows, 1);
	ck_assert_int_eq(ser.null_t[0], day_t(2023, 9, 27));
	ck_assert_int_eq(ser.bars[0].t, day_t(2023, 9, 28));
	ck_assert(isnan(ser.bars[0].volume));
}
END_TEST

START_TEST(test_parse_errors)
{
	ck_assert_int_eq(parse("error-422-invalid-timeframe.json", 422, "AAPL", MFS_TF_1M),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid timeframe"));
	ck_assert_int_eq(parse("error-403-recent-sip.json", 403, "AAPL", MFS_TF_1M),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "recent SIP data"));
	ck_assert_int_eq(parse("error-401-not-authorized.json", 401, "AAPL", MFS_TF_1M),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("error-403-forbidden.json", 403, "AAPL", MFS_TF_1M),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("error-429-too-many.json", 429, "AAPL", MFS_TF_1M),
			 MFS_ERR_RATE_LIMIT);
	/* a throttle sent with HTTP 200 is still a throttle */
	ck_assert_int_eq(parse("error-429-too-many.json", 200, "AAPL", MFS_TF_1M),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse("error-429.txt", 429, "AAPL", MFS_TF_1M), MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse("error-400-invalid-symbol.json", 400, "ZZZZ!", MFS_TF_1M),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse("error-404-not-found.json", 404, "ZZZZ", MFS_TF_1M),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse("error-502.html", 502, "AAPL", MFS_TF_1M), MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "502"));
	ck_assert_int_eq(parse("error-502.html", 200, "AAPL", MFS_TF_1M), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not JSON"));
	ck_assert_int_eq(mfs_alpaca_parse_bars(200, "{\"bars\":[", 9, "AAPL", MFS_TF_1M, &ser,
					       &rows, token, sizeof(token), &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_alpaca_parse_bars(200, "{}", 2, "AAPL", MFS_TF_1M, &ser, &rows,
					       token, sizeof(token), &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_alpaca_parse_bars(200, "[]", 2, "AAPL", MFS_TF_1M, &ser, &rows,
					       token, sizeof(token), &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_alpaca_parse_bars(200, "{\"bars\":7}", 10, "AAPL", MFS_TF_1M, &ser,
					       &rows, token, sizeof(token), &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_alpaca_parse_bars(200, NULL, 0, "AAPL", MFS_TF_1M, &ser, &rows,
					       token, sizeof(token), &err),
			 MFS_ERR_PARSE);
}
END_TEST

/* --- the fetch loop, with a fake GET ------------------------------------ */

#define FAKE_MAX 8

static struct {
	char *bodies[FAKE_MAX]; /* served in turn; the last one repeats */
	long status[FAKE_MAX];
	unsigned n, calls;
	char paths[FAKE_MAX][512];
	char hdr0[FAKE_MAX][128], hdr1[FAKE_MAX][128];
	int nheaders[FAKE_MAX];
} fake;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	unsigned i = fake.calls < fake.n ? fake.calls : fake.n - 1;

	if (fake.calls < FAKE_MAX) {
		unsigned c = fake.calls;

		snprintf(fake.paths[c], sizeof(fake.paths[0]), "%s", path_and_query);
		for (fake.nheaders[c] = 0; headers && headers[fake.nheaders[c]];
		     fake.nheaders[c]++)
			;
		if (fake.nheaders[c] >= 2) {
			snprintf(fake.hdr0[c], sizeof(fake.hdr0[0]), "%s", headers[0]);
			snprintf(fake.hdr1[c], sizeof(fake.hdr1[0]), "%s", headers[1]);
		}
	}
	fake.calls++;
	ctx->requests++;
	resp->status = fake.status[i];
	resp->body = strdup(fake.bodies[i]);
	resp->len = strlen(resp->body);
	return MFS_OK;
}

static void fake_add(char *body, long status)
{
	fake.bodies[fake.n] = body;
	fake.status[fake.n] = status;
	fake.n++;
}

static void fake_add_fixture(const char *name, long status)
{
	size_t len;

	fake_add(tu_fixture_in("alpaca", name, &len), status);
}

/* count 1m bars from t, as Alpaca writes them, with next_page_token tok. */
static char *make_page(int64_t t, size_t count, const char *tok)
{
	size_t cap = 128 + count * 160, o = 0;
	char *buf = malloc(cap);
	char when[32];

	ck_assert_ptr_nonnull(buf);
	o += (size_t)snprintf(buf, cap, "{\"bars\":[");
	for (size_t i = 0; i < count; i++) {
		mfs_format_iso8601(t + (int64_t)i * 60, when, sizeof(when));
		o += (size_t)snprintf(buf + o, cap - o,
				      "%s{\"t\":\"%s\",\"o\":100.5,\"h\":101,\"l\":100,"
				      "\"c\":100.75,\"v\":1200,\"n\":12,\"vw\":100.6}",
				      i ? "," : "", when);
	}
	if (tok)
		snprintf(buf + o, cap - o, "],\"symbol\":\"AAPL\",\"next_page_token\":\"%s\"}",
			 tok);
	else
		snprintf(buf + o, cap - o, "],\"symbol\":\"AAPL\",\"next_page_token\":null}");
	return buf;
}

static struct mfs_fetch_result res;

static void fetch_setup(void)
{
	memset(&fake, 0, sizeof(fake));
	mfs_fetch_result_init(&res, MFS_TF_1M);
	mfs_error_clear(&err);
}

static void fetch_teardown(void)
{
	for (unsigned i = 0; i < fake.n; i++)
		free(fake.bodies[i]);
	mfs_fetch_result_free(&res);
}

START_TEST(test_fetch_pages)
{
	int64_t t0 = utc(2024, 1, 2, 14, 30);
	struct mfs_fetch_ctx ctx = { .now = t0 + 10 * DAY };
	struct mfs_fetch_req req = { .symbol = "AAPL", .provider_symbol = "AAPL",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1M,
				     .start = t0, .end = t0 + DAY };

	fake_add(make_page(t0, 1000, "QUFQTHwx"), 200);
	fake_add(make_page(t0 + 1000 * 60, 500, NULL), 200);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_uint_eq(res.series.n, 1500);
	ck_assert_int_eq(res.series.bars[1499].t, t0 + 1499 * 60);
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_int_eq(res.close_minute, 960);
	ck_assert(!res.raw_prices);
	/* The second page is the identical query plus the token. */
	ck_assert_str_eq(fake.paths[0], "/v2/stocks/AAPL/bars?timeframe=1Min"
					"&start=2024-01-02T14%3A30%3A00Z"
					"&end=2024-01-03T14%3A30%3A00Z"
					"&limit=10000&adjustment=split&feed=sip&sort=asc");
	ck_assert_int_eq(strncmp(fake.paths[1], fake.paths[0], strlen(fake.paths[0])), 0);
	ck_assert_str_eq(fake.paths[1] + strlen(fake.paths[0]), "&page_token=QUFQTHwx");
	/* The key goes in two headers, never in the URL. */
	ck_assert_int_eq(fake.nheaders[0], 2);
	ck_assert_str_eq(fake.hdr0[0], "APCA-API-KEY-ID: AKTESTID");
	ck_assert_str_eq(fake.hdr1[0], "APCA-API-SECRET-KEY: s3cr3tSECRETvalue");
	ck_assert_ptr_null(strstr(fake.paths[0], "s3cr3t"));
}
END_TEST

START_TEST(test_fetch_window_clamps)
{
	int64_t now = utc(2024, 3, 5, 18, 0);
	struct mfs_fetch_ctx ctx = { .now = now };
	struct mfs_fetch_req req = { .symbol = "BRK.B", .provider_symbol = "BRK.B",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1D,
				     .start = day_t(2010, 1, 1), .end = day_t(2025, 1, 1) };

	/* end = now - 16 min (recent SIP data is refused); start = 2016 */
	res.series.tf = MFS_TF_1D;
	fake_add_fixture("bars-AAPL-1Day-summer.json", 200);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "/v2/stocks/BRK.B/bars?timeframe=1Day"
						    "&start=2016-01-01T00%3A00%3A00Z"
						    "&end=2024-03-05T17%3A44%3A00Z&"));

	/* Only the last minutes: nothing to ask, nothing wrong. */
	fake.calls = 0;
	req.tf = MFS_TF_1M;
	req.start = now - 600;
	req.end = now + 60;
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 0);

	/* Before 2016: Alpaca has nothing. */
	req.start = day_t(2010, 1, 1);
	req.end = day_t(2011, 1, 1);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_NO_DATA);
	ck_assert_uint_eq(fake.calls, 0);
}
END_TEST

START_TEST(test_fetch_repeating_token)
{
	int64_t t0 = utc(2024, 1, 2, 14, 30);
	struct mfs_fetch_ctx ctx = { .now = t0 + 10 * DAY };
	struct mfs_fetch_req req = { .symbol = "AAPL", .provider_symbol = "AAPL",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1M,
				     .start = t0, .end = t0 + DAY };

	/* A server that hands out the same token forever is not followed. */
	fake_add(make_page(t0, 10, "U0FNRQ=="), 200);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "repeats"));
}
END_TEST

START_TEST(test_fetch_empty_pages)
{
	int64_t t0 = utc(2024, 1, 2, 14, 30);
	struct mfs_fetch_ctx ctx = { .now = t0 + 10 * DAY };
	struct mfs_fetch_req req = { .symbol = "AAPL", .provider_symbol = "AAPL",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1M,
				     .start = t0, .end = t0 + DAY };

	/* An empty page after a full one ends the fetch, with the bars. */
	fake_add(make_page(t0, 10, "TkVYVA=="), 200);
	fake_add_fixture("bars-empty.json", 200);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(res.series.n, 10);

	/* Nothing at all: NO_DATA. */
	fetch_teardown();
	fetch_setup();
	fake_add_fixture("bars-null.json", 200);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_NO_DATA);
}
END_TEST

START_TEST(test_fetch_errors)
{
	int64_t t0 = utc(2024, 1, 2, 14, 30);
	struct mfs_fetch_ctx ctx = { .now = t0 + 10 * DAY };
	struct mfs_fetch_req req = { .symbol = "AAPL", .provider_symbol = "AAPL",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1H,
				     .start = t0, .end = t0 + DAY };

	/* No key, or one without ':': CONFIG, and nothing is sent. */
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, NULL, &req, &res, &err),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, "justonepart", &req, &res, &err),
			 MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "KEY_ID:SECRET"));
	ck_assert_ptr_null(strstr(err.msg, "justonepart"));
	ck_assert_uint_eq(fake.calls, 0);

	/* A refusal that echoes the key does not leak it into the message. */
	fake_add(strdup("{\"code\":40110000,\"message\":\"bad key AKTESTID / s3cr3tSECRETvalue\"}"),
		 401);
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "alpaca: AAPL"));
	ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
	ck_assert_ptr_null(strstr(err.msg, "AKTESTID"));

	/* A deadline in the past: nothing is sent. */
	fake.calls = 0;
	ctx.deadline_ms = 1;
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_TIMEOUT);
	ck_assert_uint_eq(fake.calls, 0);

	/* Not served: weekly bars, crypto. */
	ctx.deadline_ms = 0;
	req.tf = MFS_TF_1W;
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_INVALID);
	req.tf = MFS_TF_1H;
	req.cls = MFS_CLASS_CRYPTO;
	ck_assert_int_eq(mfs_alpaca_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_INVALID);
	ck_assert_uint_eq(fake.calls, 0);
}
END_TEST

static Suite *alpaca_suite(void)
{
	Suite *s = suite_create("alpaca");
	TCase *req = tcase_create("requests");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(req, test_timeframes_and_ops);
	tcase_add_test(req, test_map_symbol);
	tcase_add_test(req, test_split_key);
	tcase_add_test(req, test_bars_path);
	tcase_add_test(req, test_parse_time);
	suite_add_tcase(s, req);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_multi_shape_integer_prices);
	tcase_add_test(par, test_parse_daily_new_york_dates);
	tcase_add_test(par, test_parse_intraday_nanoseconds);
	tcase_add_test(par, test_parse_no_data);
	tcase_add_test(par, test_parse_bad_values);
	tcase_add_test(par, test_parse_errors);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, fetch_setup, fetch_teardown);
	tcase_add_test(fet, test_fetch_pages);
	tcase_add_test(fet, test_fetch_window_clamps);
	tcase_add_test(fet, test_fetch_repeating_token);
	tcase_add_test(fet, test_fetch_empty_pages);
	tcase_add_test(fet, test_fetch_errors);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alpaca_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
