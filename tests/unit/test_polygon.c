/*
 * Unit tests for the Polygon aggregates provider (providers/polygon.c):
 * symbol mapping, request paths and next_url handling, the parser against
 * the fixtures in tests/fixtures/polygon (New York daily stamps, a real
 * "v", index bars without volume, crypto's UTC days, duplicates, status
 * DELAYED, refusals), and the fetch loop through a fake GET (the key
 * re-appended to next_url, the retry of an empty answer, a repeating or
 * endless next_url, the "before end of day" cut, no key in messages).
 * Nothing here touches the network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/polygon.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define KEY "s3cr3tPolygonKey0123"
/* 2024-01-02 09:30 New York (14:30Z), a Tuesday session */
#define OPEN_0102 1704205800LL

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static struct mfs_series ser;
static struct mfs_error err;
static char next[2048];
static bool empty;

static void setup(void)
{
	mfs_series_init(&ser, MFS_TF_1D);
	mfs_error_clear(&err);
	next[0] = '\0';
	empty = false;
}

static void teardown(void)
{
	mfs_series_free(&ser);
}

static enum mfs_err parse(const char *name, long status, const char *sym, enum mfs_class cls,
			  enum mfs_tf tf)
{
	size_t len;
	char *body = tu_fixture_in("polygon", name, &len);
	enum mfs_err rc;

	ser.tf = tf;
	rc = mfs_polygon_parse_aggs(status, body, len, sym, cls, tf, &ser, next, sizeof(next),
				    &empty, &err);
	free(body);
	return rc;
}

/* --- symbols and requests ----------------------------------------------- */

static void check_map(const char *sym, enum mfs_class cls, const char *want)
{
	char out[64];

	mfs_polygon_map_symbol(sym, cls, out, sizeof(out));
	ck_assert_str_eq(out, want);
	mfs_polygon_ops.map_symbol(sym, cls, out, sizeof(out));
	ck_assert_str_eq(out, want);
}

START_TEST(test_map_symbol)
{
	check_map("AAPL", MFS_CLASS_STOCK, "AAPL");
	check_map("BRK.B", MFS_CLASS_STOCK, "BRK.B");
	check_map("BTCUSDT", MFS_CLASS_CRYPTO, "X:BTCUSD");
	check_map("BTC-USD", MFS_CLASS_CRYPTO, "X:BTCUSD");
	check_map("BTCUSD", MFS_CLASS_CRYPTO, "X:BTCUSD");
	check_map("ETHUSDC", MFS_CLASS_CRYPTO, "X:ETHUSD");
	check_map("ETHBTC", MFS_CLASS_CRYPTO, "X:ETHBTC");
	check_map("X:SOLUSD", MFS_CLASS_CRYPTO, "X:SOLUSD");
	check_map("EURUSD", MFS_CLASS_FOREX, "C:EURUSD");
	check_map("EURUSD=X", MFS_CLASS_FOREX, "C:EURUSD");
	check_map("^GSPC", MFS_CLASS_INDEX, "I:SPX");
	check_map("^NDX", MFS_CLASS_INDEX, "I:NDX");
	check_map("^DJI", MFS_CLASS_INDEX, "I:DJI");
	check_map("^VIX", MFS_CLASS_INDEX, "I:VIX");
	check_map("^RUT", MFS_CLASS_INDEX, "I:RUT");
	check_map("^FTSE", MFS_CLASS_INDEX, "I:FTSE");
}
END_TEST

START_TEST(test_ops)
{
	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		bool intra_or_day = tf <= MFS_TF_1D;

		ck_assert(mfs_polygon_ops.serves(MFS_CLASS_CRYPTO, (enum mfs_tf)tf) ==
			  intra_or_day);
		ck_assert(mfs_polygon_ops.serves(MFS_CLASS_FOREX, (enum mfs_tf)tf) ==
			  intra_or_day);
		ck_assert(mfs_polygon_ops.serves(MFS_CLASS_STOCK, (enum mfs_tf)tf) ==
			  (intra_or_day && tf != MFS_TF_4H));
		ck_assert(mfs_polygon_ops.serves(MFS_CLASS_INDEX, (enum mfs_tf)tf) ==
			  (intra_or_day && tf != MFS_TF_4H));
		ck_assert(!mfs_polygon_ops.serves(MFS_CLASS_FUTURES, (enum mfs_tf)tf));
	}
	ck_assert_int_eq(mfs_polygon_ops.earliest(MFS_CLASS_STOCK, MFS_TF_1D, 1000 * DAY),
			 270 * DAY);
	ck_assert_str_eq(mfs_polygon_ops.name, "polygon");
	ck_assert(mfs_polygon_ops.needs_key);
	ck_assert(mfs_polygon_ops.fetch != NULL);
	ck_assert(mfs_polygon_ops.fundamentals != NULL);
	ck_assert(mfs_polygon_ops.whole_history == NULL);
	ck_assert(mfs_polygon_ops.default_rate_tokens == 5);
	ck_assert(mfs_polygon_ops.default_rate_period_s == 60);
}
END_TEST

START_TEST(test_paths)
{
	char p[512];

	ck_assert_int_eq(mfs_polygon_aggs_path("AAPL", MFS_TF_1D, 1704067200000LL,
					       1735689599000LL, p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/v2/aggs/ticker/AAPL/range/1/day/1704067200000/1735689599000"
			    "?adjusted=true&sort=asc&limit=50000");
	ck_assert_int_eq(mfs_polygon_aggs_path("X:BTCUSD", MFS_TF_4H, 0, 1, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/v2/aggs/ticker/X%3ABTCUSD/range/4/hour/0/1"
			    "?adjusted=true&sort=asc&limit=50000");
	ck_assert_int_eq(mfs_polygon_aggs_path("BRK.B", MFS_TF_15M, 0, 1, p, sizeof(p)), 0);
	ck_assert_ptr_nonnull(strstr(p, "/ticker/BRK.B/range/15/minute/"));
	ck_assert_int_eq(mfs_polygon_aggs_path("AAPL", MFS_TF_1W, 0, 1, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_polygon_aggs_path("AAPL", MFS_TF_1MO, 0, 1, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_polygon_aggs_path("", MFS_TF_1D, 0, 1, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_polygon_aggs_path("AAPL", MFS_TF_1D, 0, 1, p, 20), -1);

	ck_assert_int_eq(mfs_polygon_aggs_path("AAPL", MFS_TF_1D, 0, 1, p, sizeof(p)), 0);
	/* a key that does not fit leaves no piece of itself behind */
	ck_assert_int_eq(mfs_polygon_add_key(p, strlen(p) + 10, "KEYKEYKEY"), -1);
	ck_assert_ptr_null(strstr(p, "KEY"));
	ck_assert_int_eq(mfs_polygon_add_key(p, sizeof(p), "K"), 0);
	ck_assert_str_eq(p, "/v2/aggs/ticker/AAPL/range/1/day/0/1"
			    "?adjusted=true&sort=asc&limit=50000&apiKey=K");

	/* next_url: the host goes, the path and cursor stay, the key is added */
	ck_assert_int_eq(mfs_polygon_next_path("https://api.massive.com/v2/aggs/ticker/AAPL/range/"
					       "1/day/1578114000000/2020-01-10?cursor=bGltaXQ9Mg",
					       p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10"
			    "?cursor=bGltaXQ9Mg");
	ck_assert_int_eq(mfs_polygon_add_key(p, sizeof(p), "K%2B"), 0);
	ck_assert(strlen(p) > 9 && strcmp(p + strlen(p) - 12, "&apiKey=K%2B") == 0);
	ck_assert_int_eq(mfs_polygon_next_path("http://127.0.0.1:8123/v2/aggs/ticker/X:BTCUSD/"
					       "range/1/minute/1/2?cursor=x",
					       p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/v2/aggs/ticker/X:BTCUSD/range/1/minute/1/2?cursor=x");
	ck_assert_int_eq(mfs_polygon_next_path("/v2/aggs/ticker/A/range/1/day/1/2", p, sizeof(p)),
			 0);
	ck_assert_int_eq(mfs_polygon_add_key(p, sizeof(p), "K"), 0);
	ck_assert_str_eq(p, "/v2/aggs/ticker/A/range/1/day/1/2?apiKey=K");
	ck_assert_int_eq(mfs_polygon_next_path("https://evil.example/v3/other", p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_polygon_next_path("https://api.massive.com", p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_polygon_next_path("", p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_polygon_next_path(NULL, p, sizeof(p)), -1);
}
END_TEST

/* --- parsing ------------------------------------------------------------ */

START_TEST(test_parse_stock_daily_ny_dates)
{
	ck_assert_int_eq(parse("aggs-AAPL-1d.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1D),
			 MFS_OK);
	ck_assert(!empty);
	ck_assert_str_eq(next, "");
	ck_assert_uint_eq(ser.n, 2);
	/* 05:00Z (EST) and 04:00Z (EDT, after the switch): New York dates */
	ck_assert_int_eq(ser.bars[0].t, day_t(2005, 4, 1));
	ck_assert_int_eq(ser.bars[1].t, day_t(2005, 4, 4));
	ck_assert_double_eq(ser.bars[0].open, 1.5032);
	ck_assert_double_eq(ser.bars[0].high, 1.5064);
	ck_assert_double_eq(ser.bars[0].low, 1.4489);
	ck_assert_double_eq(ser.bars[0].close, 1.4604);
	ck_assert_double_eq(ser.bars[0].volume, 642646396.0); /* a JSON real */
	ck_assert(isnan(ser.bars[0].adj_close));
}
END_TEST

START_TEST(test_parse_intraday_dup_delayed)
{
	ck_assert_int_eq(parse("aggs-AAPL-1m-dup.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1M),
			 MFS_OK);
	/* the duplicate is kept: the cache de-duplicates */
	ck_assert_uint_eq(ser.n, 4);
	ck_assert_int_eq(ser.bars[0].t, OPEN_0102);
	ck_assert_int_eq(ser.bars[1].t, OPEN_0102 + 60);
	ck_assert_int_eq(ser.bars[2].t, OPEN_0102 + 60);
	ck_assert_int_eq(ser.bars[3].t, OPEN_0102 + 120);
	ck_assert_double_eq(ser.bars[3].volume, 5000); /* an integer "v" too */
}
END_TEST

START_TEST(test_parse_index_no_volume)
{
	ck_assert_int_eq(parse("aggs-I-SPX-1d.json", 200, "I:SPX", MFS_CLASS_INDEX, MFS_TF_1D),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 2);
	ck_assert_int_eq(ser.bars[0].t, day_t(2024, 1, 2));
	ck_assert_int_eq(ser.bars[1].t, day_t(2024, 1, 3));
	ck_assert(isnan(ser.bars[0].volume));
	ck_assert(isnan(ser.bars[1].adj_close));
	ck_assert_double_eq(ser.bars[1].close, 4704.81);
}
END_TEST

START_TEST(test_parse_crypto_utc_days)
{
	ck_assert_int_eq(parse("aggs-X-BTCUSD-1d.json", 200, "X:BTCUSD", MFS_CLASS_CRYPTO,
			       MFS_TF_1D),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 2);
	/* 00:00Z is the UTC date itself (New York would say the day before) */
	ck_assert_int_eq(ser.bars[0].t, day_t(2024, 1, 1));
	ck_assert_int_eq(ser.bars[1].t, day_t(2024, 1, 2));
	ck_assert_double_eq(ser.bars[0].volume, 13467.50294);
}
END_TEST

START_TEST(test_parse_empty_answers)
{
	ck_assert_int_eq(parse("aggs-empty.json", 200, "ZZZZ", MFS_CLASS_STOCK, MFS_TF_1D),
			 MFS_OK);
	ck_assert(empty);
	ck_assert_uint_eq(ser.n, 0);
	empty = false;
	ck_assert_int_eq(parse("aggs-results-null.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1D),
			 MFS_OK);
	ck_assert(empty);
	ck_assert_uint_eq(ser.n, 0);
}
END_TEST

START_TEST(test_parse_next_url)
{
	ck_assert_int_eq(parse("aggs-page1.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1M),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 2);
	ck_assert_str_eq(next, "https://api.massive.com/v2/aggs/ticker/AAPL/range/1/minute/"
			       "1704205860001/1704229199000?cursor=bGltaXQ9MiZzb3J0PWFzYw");
}
END_TEST

START_TEST(test_parse_errors)
{
	ck_assert_int_eq(parse("ticker-unknown-key-401.json", 401, "AAPL", MFS_CLASS_STOCK,
			       MFS_TF_1D),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "polygon: AAPL"));
	ck_assert_int_eq(parse("ticker-not-authorized-403.json", 403, "AAPL", MFS_CLASS_STOCK,
			       MFS_TF_1D),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("aggs-plan-403.json", 403, "AAPL", MFS_CLASS_STOCK, MFS_TF_1M),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "plan doesn't include"));
	/* a plan gate sent with HTTP 200 is still a plan gate */
	ck_assert_int_eq(parse("aggs-plan-403.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1M),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse("ticker-rate-limit-429.json", 429, "AAPL", MFS_CLASS_STOCK,
			       MFS_TF_1D),
			 MFS_ERR_RATE_LIMIT);
	/* a throttle with HTTP 200 */
	ck_assert_int_eq(parse("ticker-rate-limit-429.json", 200, "AAPL", MFS_CLASS_STOCK,
			       MFS_TF_1D),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse("ticker-not-found-404.json", 404, "ZZZZ", MFS_CLASS_STOCK,
			       MFS_TF_1D),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse("aggs-error-200.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1D),
			 MFS_ERR_SERVER);
	ck_assert_int_eq(parse("aggs-not-json.html", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1D),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not JSON"));
	ck_assert_int_eq(parse("aggs-not-json.html", 502, "AAPL", MFS_CLASS_STOCK, MFS_TF_1D),
			 MFS_ERR_SERVER);
	ck_assert_int_eq(parse("aggs-bad-number.json", 200, "AAPL", MFS_CLASS_STOCK, MFS_TF_1M),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_polygon_parse_aggs(200, "{\"status\":\"OK\",\"results\":", 26,
						"AAPL", MFS_CLASS_STOCK, MFS_TF_1D, &ser, next,
						sizeof(next), &empty, &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_polygon_parse_aggs(200, "{\"status\":\"OK\",\"results\":{}}", 28,
						"AAPL", MFS_CLASS_STOCK, MFS_TF_1D, &ser, next,
						sizeof(next), &empty, &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_polygon_parse_aggs(200, NULL, 0, "AAPL", MFS_CLASS_STOCK,
						MFS_TF_1D, &ser, next, sizeof(next), &empty,
						&err),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(ser.n, 0);
}
END_TEST

START_TEST(test_parse_null_price)
{
	const char *body = "{\"status\":\"OK\",\"results\":[{\"o\":null,\"h\":1,\"l\":1,\"c\":1,"
			   "\"v\":1.0,\"t\":1704171600000}]}";

	ck_assert_int_eq(mfs_polygon_parse_aggs(200, body, strlen(body), "AAPL", MFS_CLASS_STOCK,
						MFS_TF_1D, &ser, next, sizeof(next), &empty,
						&err),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 0);
	ck_assert_uint_eq(ser.null_rows, 1);
	ck_assert_int_eq(ser.null_t[0], day_t(2024, 1, 2));
}
END_TEST

/* --- the fetch loop, with a fake GET ------------------------------------ */

#define FAKE_MAX 8

static struct {
	char *bodies[FAKE_MAX]; /* served in turn; the last one repeats */
	long status[FAKE_MAX];
	unsigned n, calls;
	bool endless; /* answer every call with a new next_url */
	char paths[FAKE_MAX][512];
} fake;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	unsigned i = fake.calls < fake.n ? fake.calls : fake.n - 1;
	char buf[512];

	(void)headers;
	(void)e;
	if (fake.calls < FAKE_MAX)
		snprintf(fake.paths[fake.calls], sizeof(fake.paths[0]), "%s", path_and_query);
	fake.calls++;
	ctx->requests++;
	resp->status = fake.status[i];
	if (fake.endless) {
		snprintf(buf, sizeof(buf),
			 "{\"status\":\"OK\",\"results\":[],\"next_url\":\"https://api.massive.com"
			 "/v2/aggs/ticker/AAPL/range/1/minute/%u/2?cursor=c\"}",
			 fake.calls);
		resp->body = strdup(buf);
	} else {
		resp->body = strdup(fake.bodies[i]);
	}
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

	fake_add(tu_fixture_in("polygon", name, &len), status);
}

static struct mfs_fetch_result res;
static struct mfs_fetch_ctx ctx;
static struct mfs_fetch_req req;

static void fetch_setup(void)
{
	memset(&fake, 0, sizeof(fake));
	mfs_fetch_result_init(&res, MFS_TF_1M);
	mfs_error_clear(&err);
	memset(&ctx, 0, sizeof(ctx));
	ctx.now = OPEN_0102 + 10 * DAY;
	req = (struct mfs_fetch_req){ .symbol = "AAPL", .provider_symbol = "AAPL",
				      .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1M,
				      .start = OPEN_0102, .end = OPEN_0102 + 6 * 3600 + 1800 };
}

static void fetch_teardown(void)
{
	for (unsigned i = 0; i < fake.n; i++)
		free(fake.bodies[i]);
	mfs_fetch_result_free(&res);
}

START_TEST(test_fetch_pages)
{
	fake_add_fixture("aggs-page1.json", 200);
	fake_add_fixture("aggs-page2.json", 200);
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_str_eq(fake.paths[0], "/v2/aggs/ticker/AAPL/range/1/minute/1704205800000/"
					"1704229199000?adjusted=true&sort=asc&limit=50000"
					"&apiKey=" KEY);
	/* next_url's path with the key re-appended (Polygon leaves it out) */
	ck_assert_str_eq(fake.paths[1], "/v2/aggs/ticker/AAPL/range/1/minute/1704205860001/"
					"1704229199000?cursor=bGltaXQ9MiZzb3J0PWFzYw&apiKey=" KEY);
	ck_assert_uint_eq(res.series.n, 3);
	ck_assert_int_eq(res.series.bars[2].t, OPEN_0102 + 120);
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_int_eq(res.close_minute, 960);
	ck_assert(!res.raw_prices);
}
END_TEST

START_TEST(test_fetch_empty_retried_once)
{
	fake_add_fixture("aggs-results-null.json", 200);
	fake_add_fixture("aggs-AAPL-1m-dup.json", 200);
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_str_eq(fake.paths[0], fake.paths[1]);
	ck_assert_uint_eq(res.series.n, 4);
}
END_TEST

START_TEST(test_fetch_unknown_is_no_data)
{
	fake_add_fixture("aggs-empty.json", 200);
	req.symbol = req.provider_symbol = "ZZZZ";
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_NO_DATA);
	ck_assert_uint_eq(fake.calls, 2); /* one retry, no more */
	ck_assert_ptr_nonnull(strstr(err.msg, "polygon: ZZZZ"));
}
END_TEST

START_TEST(test_fetch_next_url_repeats)
{
	fake_add_fixture("aggs-page1.json", 200);
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	/* page 1, then the same next_url once more: stop */
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_uint_eq(res.series.n, 4);
}
END_TEST

START_TEST(test_fetch_endless_is_bounded)
{
	fake_add(strdup(""), 200);
	fake.endless = true;
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_SERVER);
	ck_assert_uint_eq(fake.calls, MFS_POLYGON_MAX_PAGES);
}
END_TEST

START_TEST(test_fetch_end_of_day_cut)
{
	/* now: 2024-01-12 11:00 New York; asking the whole day */
	ctx.now = OPEN_0102 + 10 * DAY + 5400;
	req.start = OPEN_0102 + 10 * DAY - 9 * 3600 - 1800; /* 2024-01-12 00:00 NY */
	req.end = req.start + DAY;
	req.start -= DAY;
	fake_add_fixture("aggs-eod-403.json", 403);
	fake_add_fixture("aggs-AAPL-1m-dup.json", 200);
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	/* the second request ends 1 ms before today's New York midnight */
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "/1705035599999?"));
}
END_TEST

START_TEST(test_fetch_errors_and_key)
{
	char *echo = strdup("{\"status\":\"ERROR\",\"error\":\"bad key " KEY "\"}");

	fake_add(echo, 200);
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_SERVER);
	ck_assert_ptr_null(strstr(err.msg, KEY));
	ck_assert_ptr_nonnull(strstr(err.msg, "polygon: AAPL"));

	fake.calls = 0;
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, NULL, &req, &res, &err),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, "", &req, &res, &err),
			 MFS_ERR_CONFIG);
	ck_assert_uint_eq(fake.calls, 0);

	req.tf = MFS_TF_1W;
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_INVALID);
	req.tf = MFS_TF_1M;

	ctx.deadline_ms = 1;
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_TIMEOUT);
	ck_assert_uint_eq(fake.calls, 0);
	ctx.deadline_ms = 0;

	/* a window in the future: nothing to ask */
	req.start = ctx.now + DAY;
	req.end = req.start + DAY;
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err),
			 MFS_ERR_NO_DATA);
	ck_assert_uint_eq(fake.calls, 0);
}
END_TEST

START_TEST(test_fetch_maps_crypto)
{
	fake_add_fixture("aggs-X-BTCUSD-1d.json", 200);
	req = (struct mfs_fetch_req){ .symbol = "BTCUSDT", .provider_symbol = NULL,
				      .cls = MFS_CLASS_CRYPTO, .tf = MFS_TF_1D,
				      .start = day_t(2024, 1, 1), .end = day_t(2024, 1, 3) };
	ck_assert_int_eq(mfs_polygon_fetch_with(fake_get, &ctx, KEY, &req, &res, &err), MFS_OK);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "/ticker/X%3ABTCUSD/range/1/day/"
						    "1704067200000/1704239999000?"));
	ck_assert_str_eq(res.tz, "UTC");
	ck_assert_uint_eq(res.series.n, 2);
}
END_TEST

static Suite *polygon_suite(void)
{
	Suite *s = suite_create("polygon");
	TCase *rq = tcase_create("requests");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(rq, test_map_symbol);
	tcase_add_test(rq, test_ops);
	tcase_add_test(rq, test_paths);
	suite_add_tcase(s, rq);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_stock_daily_ny_dates);
	tcase_add_test(par, test_parse_intraday_dup_delayed);
	tcase_add_test(par, test_parse_index_no_volume);
	tcase_add_test(par, test_parse_crypto_utc_days);
	tcase_add_test(par, test_parse_empty_answers);
	tcase_add_test(par, test_parse_next_url);
	tcase_add_test(par, test_parse_errors);
	tcase_add_test(par, test_parse_null_price);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, fetch_setup, fetch_teardown);
	tcase_add_test(fet, test_fetch_pages);
	tcase_add_test(fet, test_fetch_empty_retried_once);
	tcase_add_test(fet, test_fetch_unknown_is_no_data);
	tcase_add_test(fet, test_fetch_next_url_repeats);
	tcase_add_test(fet, test_fetch_endless_is_bounded);
	tcase_add_test(fet, test_fetch_end_of_day_cut);
	tcase_add_test(fet, test_fetch_errors_and_key);
	tcase_add_test(fet, test_fetch_maps_crypto);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(polygon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
