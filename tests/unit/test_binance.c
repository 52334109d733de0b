/*
 * Unit tests for the Binance klines provider (providers/binance.c): URLs,
 * the kline parser against the fixtures in tests/fixtures/binance (string
 * numbers, the open kline, µs times, error codes, geo block), the
 * pagination step, and the fetch loop through a fake GET that serves
 * fixtures and generated pages. Nothing here touches the network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/binance.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define T0_MS 1704067200000LL /* 2024-01-01 00:00Z, a Monday */
#define HOUR_MS 3600000LL
#define MIN_MS 60000LL

/* count 1m klines from open_ms, as Binance writes them. */
static char *make_page(int64_t open_ms, size_t count)
{
	size_t cap = 64 + count * 200, o = 0;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	buf[o++] = '[';
	for (size_t i = 0; i < count; i++) {
		int64_t t = open_ms + (int64_t)i * MIN_MS;

		o += (size_t)snprintf(buf + o, cap - o,
				      "%s[%lld,\"42283.58000000\",\"42290.00000000\","
				      "\"42270.10000000\",\"42281.01000000\",\"12.34500000\","
				      "%lld,\"521987.12000000\",412,\"6.10000000\","
				      "\"257912.00000000\",\"0\"]",
				      i ? "," : "", (long long)t, (long long)(t + MIN_MS - 1));
	}
	buf[o++] = ']';
	buf[o] = '\0';
	return buf;
}

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static struct mfs_series ser;
static struct mfs_error err;
static int64_t last_open;
static size_t rows;

static void setup(void)
{
	mfs_series_init(&ser, MFS_TF_1H);
	mfs_error_clear(&err);
	last_open = 0;
	rows = 0;
}

static void teardown(void)
{
	mfs_series_free(&ser);
}

static enum mfs_err parse(const char *name, long status, const char *sym, enum mfs_tf tf,
			  int64_t now_ms)
{
	size_t len;
	char *body = tu_fixture_in("binance", name, &len);
	enum mfs_err rc;

	ser.tf = tf;
	rc = mfs_binance_parse_klines(status, body, len, sym, tf, now_ms, &ser, &last_open, &rows,
				      &err);
	free(body);
	return rc;
}

static enum mfs_err parse_str(const char *body, enum mfs_tf tf, int64_t now_ms)
{
	ser.tf = tf;
	return mfs_binance_parse_klines(200, body, body ? strlen(body) : 0, "X", tf, now_ms, &ser,
					&last_open, &rows, &err);
}

/* --- requests ----------------------------------------------------------- */

START_TEST(test_intervals_and_ops)
{
	static const char *const want[MFS_TF__COUNT] = { "1m", "5m", "15m", "30m", "1h",
							 "4h", "1d", "1w", "1M" };
	char out[64];

	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		ck_assert_str_eq(mfs_binance_interval((enum mfs_tf)tf), want[tf]);
		ck_assert(mfs_binance_ops.serves(MFS_CLASS_CRYPTO, (enum mfs_tf)tf));
		ck_assert(!mfs_binance_ops.serves(MFS_CLASS_STOCK, (enum mfs_tf)tf));
		ck_assert(mfs_binance_ops.earliest(MFS_CLASS_CRYPTO, (enum mfs_tf)tf, 1) ==
			  INT64_MIN);
	}
	ck_assert(!mfs_binance_ops.serves(MFS_CLASS_FOREX, MFS_TF_1D));
	ck_assert_str_eq(mfs_binance_ops.name, "binance");
	ck_assert_ptr_null(mfs_binance_ops.user_agent);
	ck_assert(mfs_binance_ops.default_rate_tokens == 1200);
	ck_assert(mfs_binance_ops.default_rate_period_s == 60);
	mfs_binance_ops.map_symbol("BTCUSDT", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "BTCUSDT");
}
END_TEST

START_TEST(test_klines_path)
{
	char p[256];

	ck_assert_int_eq(mfs_binance_klines_path("BTCUSDT", MFS_TF_1H, T0_MS,
						 T0_MS + DAY * 1000 - 1, 1000, p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1704067200000"
			    "&endTime=1704153599999&limit=1000");
	/* 1m is a minute, 1M a month: case matters. */
	ck_assert_int_eq(mfs_binance_klines_path("ETHBTC", MFS_TF_1MO, 0, 5, 1000, p, sizeof(p)),
			 0);
	ck_assert_ptr_nonnull(strstr(p, "&interval=1M&"));
	ck_assert_int_eq(mfs_binance_klines_path("ETHBTC", MFS_TF_1M, 0, 5, 1000, p, sizeof(p)),
			 0);
	ck_assert_ptr_nonnull(strstr(p, "&interval=1m&"));
	/* The listing probe: no endTime. */
	ck_assert_int_eq(mfs_binance_klines_path("BNBBTC", MFS_TF_1D, 0, -1, 1, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/api/v3/klines?symbol=BNBBTC&interval=1d&startTime=0&limit=1");
	ck_assert_int_eq(mfs_binance_klines_path("BTCUSDT", MFS_TF_1H, 0, 1, 1000, p, 30), -1);
	ck_assert_int_eq(mfs_binance_klines_path("", MFS_TF_1H, 0, 1, 1000, p, sizeof(p)), -1);
}
END_TEST

START_TEST(test_bar_floor)
{
	int64_t wed = day_t(2024, 1, 3) + 5 * 3600 + 17;

	ck_assert_int_eq(mfs_binance_bar_floor(MFS_TF_1W, wed), day_t(2024, 1, 1));
	ck_assert_int_eq(mfs_binance_bar_floor(MFS_TF_1MO, day_t(2024, 2, 15) + 99),
			 day_t(2024, 2, 1));
	ck_assert_int_eq(mfs_binance_bar_floor(MFS_TF_1D, wed), day_t(2024, 1, 3));
	ck_assert_int_eq(mfs_binance_bar_floor(MFS_TF_4H, wed), day_t(2024, 1, 3) + 4 * 3600);
	ck_assert_int_eq(mfs_binance_bar_floor(MFS_TF_1M, wed), wed - 17);
	ck_assert_int_eq(mfs_binance_bar_floor(MFS_TF_1D, 0), 0);
}
END_TEST

/* --- parsing ------------------------------------------------------------ */

START_TEST(test_parse_hourly_open_kline)
{
	/* 04:23Z: the 04:00 kline is still open and must not become a bar. */
	ck_assert_int_eq(parse("klines-BTCUSDT-1h.json", 200, "BTCUSDT", MFS_TF_1H,
			       T0_MS + 4 * HOUR_MS + 23 * MIN_MS),
			 MFS_OK);
	ck_assert_uint_eq(rows, 5);
	ck_assert_int_eq(last_open, T0_MS + 4 * HOUR_MS);
	ck_assert_uint_eq(ser.n, 4);
	ck_assert_uint_eq(ser.null_rows, 0);
	ck_assert_int_eq(ser.bars[0].t, T0_MS / 1000);
	ck_assert_int_eq(ser.bars[3].t, T0_MS / 1000 + 3 * 3600);
	ck_assert(ser.bars[0].open == 42283.58);
	ck_assert(ser.bars[0].high == 42554.57);
	ck_assert(ser.bars[0].low == 42261.02);
	ck_assert(ser.bars[0].close == 42475.23);
	ck_assert(ser.bars[0].volume == 1271.68108);
	ck_assert(isnan(ser.bars[0].adj_close));

	/* Exactly at the close time it is still open; a ms later it is done. */
	mfs_series_free(&ser);
	ck_assert_int_eq(parse("klines-BTCUSDT-1h.json", 200, "BTCUSDT", MFS_TF_1H,
			       T0_MS + 5 * HOUR_MS - 1),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 4);
	mfs_series_free(&ser);
	ck_assert_int_eq(parse("klines-BTCUSDT-1h.json", 200, "BTCUSDT", MFS_TF_1H,
			       T0_MS + 5 * HOUR_MS),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 5);
}
END_TEST

START_TEST(test_parse_microseconds)
{
	ck_assert_int_eq(parse("klines-BTCUSDT-1h-microseconds.json", 200, "BTCUSDT", MFS_TF_1H,
			       T0_MS + 4 * HOUR_MS + 23 * MIN_MS),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 4);
	ck_assert_int_eq(last_open, T0_MS + 4 * HOUR_MS);
	ck_assert_int_eq(ser.bars[0].t, T0_MS / 1000);
	ck_assert_int_eq(ser.bars[3].t, T0_MS / 1000 + 3 * 3600);
}
END_TEST

START_TEST(test_parse_json_numbers)
{
	ck_assert_int_eq(parse("klines-ETHBTC-1h-numbers.json", 200, "ETHBTC", MFS_TF_1H,
			       T0_MS + DAY * 1000),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 2);
	ck_assert(ser.bars[1].close == 0.05225);
	ck_assert(ser.bars[1].volume == 1534.2197);
}
END_TEST

START_TEST(test_parse_bad_rows)
{
	ck_assert_int_eq(parse("klines-BTCUSDT-1h-bad-number.json", 200, "BTCUSDT", MFS_TF_1H,
			       T0_MS + DAY * 1000),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "row 1"));
	ck_assert_ptr_nonnull(strstr(err.msg, "high \"n/a\""));
	ck_assert_ptr_nonnull(strstr(err.msg, "2024-01-01T01:00:00Z"));

	ck_assert_int_eq(parse("klines-BTCUSDT-1h-short-row.json", 200, "BTCUSDT", MFS_TF_1H,
			       T0_MS + DAY * 1000),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "row 1"));

	ck_assert_int_eq(parse_str("[[1704067200000,\"1\",\"2\",\"0.5\",\"1e999\",\"3\","
				   "1704067259999]]",
				   MFS_TF_1M, T0_MS + DAY * 1000),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str("[[1704067200000,\"1\",\"2\",\"0.5\",\"1.5\",\"\","
				   "1704067259999]]",
				   MFS_TF_1M, T0_MS + DAY * 1000),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "volume"));
}
END_TEST

START_TEST(test_parse_daily_weekly_monthly)
{
	int64_t apr = day_t(2024, 4, 1) * 1000;

	ck_assert_int_eq(parse("klines-BTCUSDT-1d.json", 200, "BTCUSDT", MFS_TF_1D, apr), MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_int_eq(ser.bars[0].t, day_t(2024, 1, 1));
	ck_assert_int_eq(ser.bars[2].t, day_t(2024, 1, 3));
	mfs_series_free(&ser);

	ck_assert_int_eq(parse("klines-BTCUSDT-1w.json", 200, "BTCUSDT", MFS_TF_1W, apr), MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_int_eq(ser.bars[1].t, day_t(2024, 1, 8));
	ck_assert_int_eq(ser.bars[2].t, day_t(2024, 1, 15));
	mfs_series_free(&ser);

	ck_assert_int_eq(parse("klines-BTCUSDT-1M.json", 200, "BTCUSDT", MFS_TF_1MO, apr),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_int_eq(ser.bars[0].t, day_t(2024, 1, 1));
	ck_assert_int_eq(ser.bars[1].t, day_t(2024, 2, 1));
	ck_assert_int_eq(ser.bars[2].t, day_t(2024, 3, 1));
	mfs_series_free(&ser);

	/* A daily kline shifted by timeZone=8 (16:00Z) is dated by its UTC day. */
	ck_assert_int_eq(parse_str("[[1704124800000,\"1\",\"2\",\"0.5\",\"1.5\",\"3\","
				   "1704211199999]]",
				   MFS_TF_1D, apr),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 1);
	ck_assert_int_eq(ser.bars[0].t, day_t(2024, 1, 1));
}
END_TEST

START_TEST(test_parse_errors)
{
	ck_assert_int_eq(parse("error-1121-invalid-symbol.json", 400, "NOPEUSDT", MFS_TF_1H, 0),
			 MFS_ERR_NOT_FOUND);
	ck_assert_str_eq(err.msg, "binance: unknown symbol NOPEUSDT");

	ck_assert_int_eq(parse("error-1120-invalid-interval.json", 400, "BTCUSDT", MFS_TF_1H, 0),
			 MFS_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "Invalid interval"));

	ck_assert_int_eq(parse("error-451-restricted-location.json", 451, "BTCUSDT", MFS_TF_1H,
			       0),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "api.binance.us"));
	ck_assert_ptr_nonnull(strstr(err.msg, "base_url"));

	ck_assert_int_eq(parse("error-403-waf.json", 403, "BTCUSDT", MFS_TF_1H, 0),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("error-1003-too-much-weight.json", 429, "BTCUSDT", MFS_TF_1H, 0),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse("error-1003-too-much-weight.json", 418, "BTCUSDT", MFS_TF_1H, 0),
			 MFS_ERR_RATE_LIMIT);

	ck_assert_int_eq(parse("error-1100-illegal-characters.json", 400, "BTC/USDT", MFS_TF_1H,
			       0),
			 MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "-1100"));
	ck_assert_ptr_nonnull(strstr(err.msg, "Illegal characters"));

	ck_assert_int_eq(parse("error-200-not-json.json", 200, "BTCUSDT", MFS_TF_1H, 0),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not JSON"));
	ck_assert_int_eq(parse("error-200-not-json.json", 502, "BTCUSDT", MFS_TF_1H, 0),
			 MFS_ERR_SERVER);
	ck_assert_int_eq(parse_str("[[1704067200000,\"1\"", MFS_TF_1H, 0), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str(NULL, MFS_TF_1H, 0), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str("{\"foo\":1}", MFS_TF_1H, 0), MFS_ERR_PARSE);
	ck_assert_uint_eq(ser.n, 0);
}
END_TEST

START_TEST(test_parse_empty_page)
{
	ck_assert_int_eq(parse("klines-empty.json", 200, "BTCUSDT", MFS_TF_1H, T0_MS), MFS_OK);
	ck_assert_uint_eq(rows, 0);
	ck_assert_int_eq(last_open, -1);
	ck_assert_uint_eq(ser.n, 0);
}
END_TEST

START_TEST(test_next_page)
{
	int64_t next, end = T0_MS + DAY * 1000 - 1;

	/* A short page ends the walk. */
	ck_assert_int_eq(mfs_binance_next_page("X", T0_MS, end, 999, T0_MS + 5, &next, &err),
			 MFS_OK);
	ck_assert_int_eq(next, -1);
	/* A full page continues just after its last open. */
	ck_assert_int_eq(mfs_binance_next_page("X", T0_MS, end, 1000, T0_MS + 999 * MIN_MS, &next,
					       &err),
			 MFS_OK);
	ck_assert_int_eq(next, T0_MS + 999 * MIN_MS + 1);
	/* ... unless it reached endTime. */
	ck_assert_int_eq(mfs_binance_next_page("X", T0_MS, end, 1000, end, &next, &err), MFS_OK);
	ck_assert_int_eq(next, -1);
	/* The same last open twice: the server ignores startTime. */
	ck_assert_int_eq(mfs_binance_next_page("X", T0_MS + 999 * MIN_MS + 1, end, 1000,
					       T0_MS + 999 * MIN_MS, &next, &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(next, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "do not advance"));
}
END_TEST

/* --- the fetch loop, with a fake GET ------------------------------------ */

#define FAKE_MAX 8

static struct {
	char *bodies[FAKE_MAX]; /* served in turn; the last one repeats */
	long status[FAKE_MAX];
	unsigned n, calls;
	char paths[FAKE_MAX][256];
} fake;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	unsigned i = fake.calls < fake.n ? fake.calls : fake.n - 1;

	if (fake.calls < FAKE_MAX)
		snprintf(fake.paths[fake.calls], sizeof(fake.paths[0]), "%s", path_and_query);
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

	fake_add(tu_fixture_in("binance", name, &len), status);
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

START_TEST(test_fetch_pages_and_probe)
{
	struct mfs_fetch_ctx ctx = { .now = T0_MS / 1000 + DAY };
	struct mfs_fetch_req req = { .symbol = "BTCUSDT", .provider_symbol = "BTCUSDT",
				     .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1M,
				     .start = T0_MS / 1000, .end = T0_MS / 1000 + 2 * DAY };
	char want[160];

	fake_add(make_page(T0_MS, 1000), 200);
	fake_add(make_page(T0_MS + 1000 * MIN_MS, 10), 200);
	fake_add_fixture("klines-BNBBTC-1m-first.json", 200);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 3);
	ck_assert_uint_eq(ctx.requests, 3);
	/* endTime = min(end, now) in ms, minus one. */
	ck_assert_str_eq(fake.paths[0], "/api/v3/klines?symbol=BTCUSDT&interval=1m"
					"&startTime=1704067200000&endTime=1704153599999"
					"&limit=1000");
	snprintf(want, sizeof(want), "&startTime=%lld&endTime=1704153599999&limit=1000",
		 (long long)(T0_MS + 999 * MIN_MS + 1));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], want));
	ck_assert_ptr_nonnull(strstr(fake.paths[2], "&startTime=0&limit=1"));
	ck_assert_uint_eq(res.series.n, 1010);
	ck_assert_int_eq(res.series.bars[1009].t, T0_MS / 1000 + 1009 * 60);
	ck_assert_int_eq(res.first_trade, 1500004800);
	ck_assert_str_eq(res.tz, "UTC");
	ck_assert_int_eq(res.close_minute, 0);
}
END_TEST

START_TEST(test_fetch_non_advancing)
{
	struct mfs_fetch_ctx ctx = { .now = T0_MS / 1000 + DAY };
	struct mfs_fetch_req req = { .symbol = "BTCUSDT", .provider_symbol = "BTCUSDT",
				     .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1M,
				     .start = T0_MS / 1000, .end = T0_MS / 1000 + DAY,
				     .first_trade_known = 1500004800 };

	/* A server that ignores startTime sends the same full page forever. */
	fake_add(make_page(T0_MS, 1000), 200);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "do not advance"));
}
END_TEST

START_TEST(test_fetch_known_listing)
{
	struct mfs_fetch_ctx ctx = { .now = T0_MS / 1000 + 100 * DAY };
	struct mfs_fetch_req req = { .symbol = "BTCUSDT", .provider_symbol = "BTCUSDT",
				     .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1W,
				     .start = day_t(2020, 1, 1), .end = day_t(2025, 1, 1),
				     .first_trade_known = day_t(2024, 1, 3) + 3600 };

	/* Start at the listing's week (Monday), never probe. */
	res.series.tf = MFS_TF_1W;
	fake_add_fixture("klines-BTCUSDT-1w.json", 200);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "interval=1w&startTime=1704067200000&"));
	ck_assert_uint_eq(res.series.n, 3);
	ck_assert_int_eq(res.first_trade, 0);

	/* From the beginning of time: startTime=0, not a week in 1969. */
	req.start = INT64_MIN;
	req.first_trade_known = 0;
	fake.calls = 0;
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "interval=1w&startTime=0&endTime="));
}
END_TEST

START_TEST(test_fetch_errors)
{
	struct mfs_fetch_ctx ctx = { .now = T0_MS / 1000 + DAY };
	struct mfs_fetch_req req = { .symbol = "BTCUSDT", .provider_symbol = "BTCUSDT",
				     .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1H,
				     .start = T0_MS / 1000, .end = T0_MS / 1000 + DAY };

	fake_add_fixture("error-451-restricted-location.json", 451);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_uint_eq(fake.calls, 1);

	/* A deadline in the past: nothing is sent. */
	fake.calls = 0;
	ctx.deadline_ms = 1;
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err),
			 MFS_ERR_TIMEOUT);
	ck_assert_uint_eq(fake.calls, 0);

	/* Not crypto: not Binance's. */
	ctx.deadline_ms = 0;
	req.cls = MFS_CLASS_STOCK;
	ck_assert_int_eq(mfs_binance_ops.fetch(&ctx, &req, &res, &err), MFS_ERR_INVALID);
}
END_TEST

START_TEST(test_fetch_empty_window_probes)
{
	struct mfs_fetch_ctx ctx = { .now = T0_MS / 1000 };
	struct mfs_fetch_req req = { .symbol = "BNBBTC", .provider_symbol = "BNBBTC",
				     .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1M,
				     .start = T0_MS / 1000 + DAY, .end = T0_MS / 1000 + 2 * DAY };

	/* A window in the future asks nothing but still learns the listing. */
	fake_add_fixture("klines-BNBBTC-1m-first.json", 200);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "startTime=0&limit=1"));
	ck_assert_uint_eq(res.series.n, 0);
	ck_assert_int_eq(res.first_trade, 1500004800);
}
END_TEST

START_TEST(test_fetch_probe_errors)
{
	struct mfs_fetch_ctx ctx = { .now = T0_MS / 1000 + DAY };
	struct mfs_fetch_req req = { .symbol = "NOPEUSDT", .provider_symbol = "NOPEUSDT",
				     .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1H,
				     .start = T0_MS / 1000 + 2 * DAY,
				     .end = T0_MS / 1000 + 3 * DAY };

	/* Only the probe was sent: its "unknown symbol" is the answer. */
	fake_add_fixture("error-1121-invalid-symbol.json", 400);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err),
			 MFS_ERR_NOT_FOUND);
	ck_assert_str_eq(err.msg, "binance: unknown symbol NOPEUSDT");

	/* After real pages, a failed probe (here: throttled) costs nothing. */
	req.symbol = req.provider_symbol = "BTCUSDT";
	req.start = T0_MS / 1000;
	req.end = T0_MS / 1000 + DAY;
	fetch_teardown();
	fetch_setup();
	res.series.tf = MFS_TF_1H;
	fake_add_fixture("klines-BTCUSDT-1h.json", 200);
	fake_add_fixture("error-1003-too-much-weight.json", 429);
	ck_assert_int_eq(mfs_binance_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_uint_eq(res.series.n, 5);
	ck_assert_int_eq(res.first_trade, 0);
}
END_TEST

static Suite *binance_suite(void)
{
	Suite *s = suite_create("binance");
	TCase *req = tcase_create("requests");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(req, test_intervals_and_ops);
	tcase_add_test(req, test_klines_path);
	tcase_add_test(req, test_bar_floor);
	suite_add_tcase(s, req);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_hourly_open_kline);
	tcase_add_test(par, test_parse_microseconds);
	tcase_add_test(par, test_parse_json_numbers);
	tcase_add_test(par, test_parse_bad_rows);
	tcase_add_test(par, test_parse_daily_weekly_monthly);
	tcase_add_test(par, test_parse_errors);
	tcase_add_test(par, test_parse_empty_page);
	tcase_add_test(par, test_next_page);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, fetch_setup, fetch_teardown);
	tcase_add_test(fet, test_fetch_pages_and_probe);
	tcase_add_test(fet, test_fetch_non_advancing);
	tcase_add_test(fet, test_fetch_known_listing);
	tcase_add_test(fet, test_fetch_errors);
	tcase_add_test(fet, test_fetch_empty_window_probes);
	tcase_add_test(fet, test_fetch_probe_errors);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(binance_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
