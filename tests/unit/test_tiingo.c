/*
 * Unit tests for the Tiingo bars provider (providers/tiingo.c): request
 * paths, the time parser (both EOD date styles, offsets), the prices
 * parser against the fixtures in tests/fixtures/tiingo (raw prices,
 * splits and dividends as actions, string numbers, nulls, duplicates,
 * newest-first rows, IEX without volume, plain-text refusals sent with
 * HTTP 200), and the fetch through a fake GET (auth header, no key in
 * URLs or messages, IEX chunking, empty chunks, deadline). No network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/tiingo.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define KEY "SeCrEtKeY0123456789abcdef"

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static struct mfs_fetch_result res;
static struct mfs_error err;
static size_t rows;

static void setup(void)
{
	mfs_fetch_result_init(&res, MFS_TF_1D);
	mfs_error_clear(&err);
	rows = 0;
}

static void teardown(void)
{
	mfs_fetch_result_free(&res);
}

static enum mfs_err parse(const char *name, long status, enum mfs_tf tf)
{
	size_t len;
	char *body = tu_fixture_in("tiingo", name, &len);
	enum mfs_err rc;

	res.series.tf = tf;
	rc = mfs_tiingo_parse_prices(status, body, len, "NVDA", tf, &res, &rows, &err);
	free(body);
	return rc;
}

/* ---- paths, what is served ------------------------------------------------ */

START_TEST(test_paths)
{
	char p[512];

	ck_assert_int_eq(mfs_tiingo_prices_path("BRK-B", MFS_TF_1D, day_t(2010, 1, 1) / DAY,
						day_t(2024, 12, 31) / DAY, p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/tiingo/daily/BRK-B/prices?startDate=2010-01-01&endDate=2024-12-31"
			    "&resampleFreq=daily&format=json");
	ck_assert_int_eq(mfs_tiingo_prices_path("AAPL", MFS_TF_5M, day_t(2024, 7, 1) / DAY,
						day_t(2024, 7, 5) / DAY, p, sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/iex/AAPL/prices?startDate=2024-07-01&endDate=2024-07-05"
			    "&resampleFreq=5min&columns=open,high,low,close,volume");
	ck_assert_int_eq(mfs_tiingo_prices_path("A B", MFS_TF_1H, 0, 0, p, sizeof(p)), 0);
	ck_assert_ptr_nonnull(strstr(p, "/iex/A%20B/prices?"));
	ck_assert_ptr_nonnull(strstr(p, "resampleFreq=1hour"));
	ck_assert_int_eq(mfs_tiingo_prices_path("AAPL", MFS_TF_4H, 0, 0, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_tiingo_prices_path("AAPL", MFS_TF_1D, 0, 0, p, 20), -1);
	ck_assert_int_eq(mfs_tiingo_prices_path("", MFS_TF_1D, 0, 0, p, sizeof(p)), -1);
}
END_TEST

START_TEST(test_serves)
{
	const enum mfs_tf yes[] = { MFS_TF_1M, MFS_TF_5M, MFS_TF_15M, MFS_TF_30M, MFS_TF_1H,
				    MFS_TF_1D };
	const int64_t now = 1720000000;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert(mfs_tiingo_ops.serves(MFS_CLASS_STOCK, yes[i]));
	ck_assert(!mfs_tiingo_ops.serves(MFS_CLASS_STOCK, MFS_TF_4H));
	ck_assert(!mfs_tiingo_ops.serves(MFS_CLASS_STOCK, MFS_TF_1W));
	ck_assert(!mfs_tiingo_ops.serves(MFS_CLASS_STOCK, MFS_TF_1MO));
	ck_assert(!mfs_tiingo_ops.serves(MFS_CLASS_CRYPTO, MFS_TF_1D));
	ck_assert(!mfs_tiingo_ops.serves(MFS_CLASS_INDEX, MFS_TF_1D));
	ck_assert(mfs_tiingo_ops.earliest(MFS_CLASS_STOCK, MFS_TF_1D, now) == INT64_MIN);
	ck_assert(mfs_tiingo_ops.earliest(MFS_CLASS_STOCK, MFS_TF_1M, now) == now - 7 * DAY);
	ck_assert(mfs_tiingo_ops.whole_history(MFS_TF_1D));
	ck_assert(!mfs_tiingo_ops.whole_history(MFS_TF_1H));
	ck_assert(mfs_tiingo_ops.needs_key);
	ck_assert(mfs_tiingo_ops.fundamentals != NULL);
	ck_assert(mfs_tiingo_ops.default_rate_tokens == 50);
	ck_assert(mfs_tiingo_ops.default_rate_period_s == 3600);
	/* 1m: 390 bars a session, so 5 sessions stay under 2000 bars */
	ck_assert_int_eq(mfs_tiingo_chunk_days(MFS_TF_1M), 5);
	ck_assert_int_eq(mfs_tiingo_chunk_days(MFS_TF_5M), 25);
	ck_assert_int_eq(mfs_tiingo_chunk_days(MFS_TF_1D), 0);
}
END_TEST

START_TEST(test_map_symbol)
{
	char out[32];

	mfs_tiingo_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "BRK-B");
}
END_TEST

/* ---- time ------------------------------------------------------------------- */

START_TEST(test_parse_time)
{
	int64_t day, t;

	/* both EOD styles: a trading-date label */
	ck_assert(mfs_tiingo_parse_time("2018-04-12T00:00:00+00:00", &day, &t));
	ck_assert(day * DAY == day_t(2018, 4, 12) && t == day_t(2018, 4, 12));
	ck_assert(mfs_tiingo_parse_time("2018-01-05T00:00:00.000Z", &day, &t));
	ck_assert(day * DAY == day_t(2018, 1, 5) && t == day_t(2018, 1, 5));
	ck_assert(mfs_tiingo_parse_time("2015-01-02", &day, &t));
	ck_assert(t == day_t(2015, 1, 2));
	/* IEX: the UTC open */
	ck_assert(mfs_tiingo_parse_time("2018-01-02T14:30:00.000Z", &day, &t));
	ck_assert(t == day_t(2018, 1, 2) + 14 * 3600 + 30 * 60);
	ck_assert(mfs_tiingo_parse_time("2024-07-01T09:35:00-04:00", &day, &t));
	ck_assert(t == day_t(2024, 7, 1) + 13 * 3600 + 35 * 60);
	ck_assert(!mfs_tiingo_parse_time("2018-13-01", &day, &t));
	ck_assert(!mfs_tiingo_parse_time("2018-04-12T00:00", &day, &t));
	ck_assert(!mfs_tiingo_parse_time("2018-04-12T00:00:00+0000", &day, &t));
	ck_assert(!mfs_tiingo_parse_time("20180412", &day, &t));
	ck_assert(!mfs_tiingo_parse_time(NULL, &day, &t));
}
END_TEST

/* ---- parsing ---------------------------------------------------------------- */

START_TEST(test_parse_daily_raw_and_actions)
{
	const struct mfs_bar *b;

	ck_assert_int_eq(parse("prices-daily-NVDA.json", 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 3);
	ck_assert_uint_eq(res.series.n, 3);
	b = res.series.bars;
	/* raw prices before the split, as sent; adjClose as adj_close */
	ck_assert(b[0].t == day_t(2021, 7, 19));
	ck_assert_double_eq(b[0].open, 4735.6);
	ck_assert_double_eq(b[0].close, 4852.0);
	ck_assert_double_eq(b[0].volume, 47057800.0);
	ck_assert_double_eq(b[0].adj_close, 119.261);
	ck_assert(b[1].t == day_t(2021, 7, 20)); /* ".000Z" style */
	ck_assert_double_eq(b[1].close, 1201.1);
	/* a volume above 2^32 sent as a real */
	ck_assert_double_eq(b[2].volume, 4200881900.0);
	ck_assert_uint_eq(res.n_actions, 2);
	ck_assert(res.actions[0].t == day_t(2021, 7, 20));
	ck_assert_int_eq(res.actions[0].type, MFS_ACTION_SPLIT);
	ck_assert_double_eq(res.actions[0].value, 4.0);
	ck_assert(res.actions[1].t == day_t(2021, 7, 21));
	ck_assert_int_eq(res.actions[1].type, MFS_ACTION_DIVIDEND);
	ck_assert_double_eq(res.actions[1].value, 0.04);
}
END_TEST

START_TEST(test_parse_daily_hazards)
{
	const struct mfs_bar *b;

	/* newest first, a duplicate, string numbers, a null close */
	ck_assert_int_eq(parse("prices-daily-hazards.json", 200, MFS_TF_1D), MFS_OK);
	ck_assert_uint_eq(rows, 4);
	ck_assert_uint_eq(res.series.n, 3); /* order and duplicates are the cache's */
	ck_assert_uint_eq(res.series.null_rows, 1);
	ck_assert(res.series.null_t[0] == day_t(2018, 4, 16));
	b = res.series.bars;
	ck_assert(b[0].t == day_t(2018, 4, 13) && b[2].t == day_t(2018, 4, 13));
	ck_assert(b[1].t == day_t(2018, 4, 12));
	ck_assert_double_eq(b[1].open, 1031.47);
	ck_assert_double_eq(b[1].volume, 1644794.0);
	ck_assert(isnan(b[1].adj_close));
	ck_assert_uint_eq(res.n_actions, 0); /* "1.0" and "0.0" are no actions */
}
END_TEST

START_TEST(test_parse_iex)
{
	const struct mfs_bar *b;

	ck_assert_int_eq(parse("prices-iex-30min.json", 200, MFS_TF_30M), MFS_OK);
	ck_assert_uint_eq(res.series.n, 2);
	b = res.series.bars;
	ck_assert(b[0].t == day_t(2018, 1, 2) + 14 * 3600 + 1800);
	ck_assert(b[1].t == day_t(2018, 1, 2) + 15 * 3600);
	ck_assert_double_eq(b[1].high, 1067.345);
	ck_assert(isnan(b[0].volume)); /* no volume unless asked for */
	ck_assert(isnan(b[0].adj_close));
	ck_assert_uint_eq(res.n_actions, 0);
	mfs_fetch_result_free(&res);
	mfs_fetch_result_init(&res, MFS_TF_5M);
	ck_assert_int_eq(parse("prices-iex-volume.json", 200, MFS_TF_5M), MFS_OK);
	ck_assert(res.series.bars[0].t == day_t(2024, 7, 1) + 13 * 3600 + 1800);
	ck_assert(res.series.bars[1].t == day_t(2024, 7, 1) + 13 * 3600 + 35 * 60);
	ck_assert_double_eq(res.series.bars[0].volume, 12345.0);
}
END_TEST

struct err_case {
	const char *fixture;
	long status;
	enum mfs_err want;
};

static const struct err_case err_cases[] = {
	{ "prices-empty.json", 200, MFS_ERR_NO_DATA },
	{ "meta-not-found-404.json", 404, MFS_ERR_NOT_FOUND },
	{ "meta-200-not-found.json", 200, MFS_ERR_NOT_FOUND },
	{ "meta-429-hourly.json", 429, MFS_ERR_RATE_LIMIT },
	{ "meta-200-daily-allocation.json", 200, MFS_ERR_RATE_LIMIT },
	{ "meta-200-monthly-symbols.json", 200, MFS_ERR_RATE_LIMIT },
	{ "meta-401-invalid-token.json", 401, MFS_ERR_PERMANENT },
	{ "prices-403-permission.json", 403, MFS_ERR_PERMANENT },
	{ "prices-200-html.txt", 200, MFS_ERR_PARSE },
	{ "prices-200-html.txt", 502, MFS_ERR_SERVER },
	{ "prices-truncated.json", 200, MFS_ERR_PARSE },
	{ "prices-bad-number.json", 200, MFS_ERR_PARSE },
	{ "meta-GOOGL.json", 200, MFS_ERR_PARSE }, /* an object, not rows */
};

START_TEST(test_parse_errors)
{
	const struct err_case *c = &err_cases[_i];

	ck_assert_msg(parse(c->fixture, c->status, MFS_TF_1D) == c->want, "%s (%ld): got %s: %s",
		      c->fixture, c->status, mfs_err_name(err.code), err.msg);
	ck_assert_msg(strncmp(err.msg, "tiingo: NVDA", 12) == 0, "message: %s", err.msg);
}
END_TEST

/* ---- fetch through a fake GET ---------------------------------------------- */

#define FAKE_MAX 32

static struct {
	const char *bodies[FAKE_MAX];
	long status[FAKE_MAX];
	unsigned n, calls;
	char paths[FAKE_MAX][512];
	char auth[256];
} fake;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	unsigned i = fake.calls < fake.n ? fake.calls : fake.n - 1;

	(void)e;
	if (fake.calls < FAKE_MAX)
		snprintf(fake.paths[fake.calls], sizeof(fake.paths[0]), "%s", path_and_query);
	snprintf(fake.auth, sizeof(fake.auth), "%s", headers && headers[0] ? headers[0] : "");
	fake.calls++;
	ctx->requests++;
	resp->status = fake.status[i];
	resp->body = strdup(fake.bodies[i]);
	resp->len = strlen(resp->body);
	return MFS_OK;
}

static void fake_add(const char *body, long status)
{
	fake.bodies[fake.n] = body;
	fake.status[fake.n] = status;
	fake.n++;
}

static void fake_setup(void)
{
	memset(&fake, 0, sizeof(fake));
	setup();
}

static enum mfs_err fetch(const char *key, enum mfs_tf tf, int64_t start, int64_t end,
			  int64_t now, int64_t deadline_ms)
{
	struct mfs_fetch_ctx ctx = { .now = now, .deadline_ms = deadline_ms };
	struct mfs_fetch_req req = { .symbol = "BRK.B", .provider_symbol = "BRK-B",
				     .cls = MFS_CLASS_STOCK, .tf = tf, .start = start,
				     .end = end };

	mfs_fetch_result_free(&res);
	mfs_fetch_result_init(&res, tf);
	return mfs_tiingo_fetch_with(fake_get, &ctx, key, &req, &res, &err);
}

START_TEST(test_fetch_daily_whole_history)
{
	size_t len;
	char *body = tu_fixture_in("tiingo", "prices-daily-NVDA.json", &len);

	fake_add(body, 200);
	ck_assert_int_eq(fetch(KEY, MFS_TF_1D, day_t(2010, 1, 1), day_t(2030, 1, 1),
			       day_t(2024, 8, 1) + 3600, 0),
			 MFS_OK);
	ck_assert_uint_eq(fake.calls, 1); /* one request for all the years */
	ck_assert_str_eq(fake.paths[0], "/tiingo/daily/BRK-B/prices?startDate=2010-01-01"
					"&endDate=2024-08-01&resampleFreq=daily&format=json");
	ck_assert_str_eq(fake.auth, "Authorization: Token " KEY);
	ck_assert_ptr_null(strstr(fake.paths[0], KEY));
	ck_assert(res.raw_prices);
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_int_eq(res.close_minute, 960);
	ck_assert_uint_eq(res.series.n, 3);
	ck_assert_uint_eq(res.n_actions, 2);
	free(body);
}
END_TEST

START_TEST(test_fetch_intraday_chunks)
{
	size_t len;
	char *body = tu_fixture_in("tiingo", "prices-iex-volume.json", &len);
	int64_t now = day_t(2024, 7, 9) + 20 * 3600; /* Tuesday 16:00 New York */

	fake_add("[]", 200); /* a chunk with no sessions is no error */
	fake_add(body, 200);
	ck_assert_int_eq(fetch(KEY, MFS_TF_1M, now - 7 * DAY, now + DAY, now, 0), MFS_OK);
	/* 2024-07-02 .. 2024-07-09 (New York days) in 5-day chunks */
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "startDate=2024-07-02&endDate=2024-07-06&"));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "startDate=2024-07-07&endDate=2024-07-09&"));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "resampleFreq=1min"));
	ck_assert_uint_eq(res.series.n, 2);
	ck_assert(res.raw_prices);
	free(body);
}
END_TEST

START_TEST(test_fetch_intraday_all_empty)
{
	int64_t now = day_t(2024, 7, 9) + 20 * 3600;

	fake_add("[]", 200);
	ck_assert_int_eq(fetch(KEY, MFS_TF_1M, now - 7 * DAY, now, now, 0), MFS_ERR_NO_DATA);
	ck_assert_uint_eq(fake.calls, 2);
}
END_TEST

START_TEST(test_fetch_stops_on_refusal)
{
	int64_t now = day_t(2024, 7, 9) + 20 * 3600;

	fake_add("Error: You have run over your hourly request allocation.", 200);
	ck_assert_int_eq(fetch(KEY, MFS_TF_1M, now - 7 * DAY, now, now, 0), MFS_ERR_RATE_LIMIT);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "BRK-B"));
}
END_TEST

START_TEST(test_fetch_key_never_in_message)
{
	fake_add("{\"detail\":\"Invalid token " KEY "\"}", 401);
	ck_assert_int_eq(fetch(KEY, MFS_TF_1D, day_t(2020, 1, 1), day_t(2021, 1, 1),
			       day_t(2024, 1, 1), 0),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_null(strstr(err.msg, KEY));
}
END_TEST

START_TEST(test_fetch_no_key)
{
	fake_add("[]", 200);
	ck_assert_int_eq(fetch(NULL, MFS_TF_1D, day_t(2020, 1, 1), day_t(2021, 1, 1),
			       day_t(2024, 1, 1), 0),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(fetch("", MFS_TF_1D, day_t(2020, 1, 1), day_t(2021, 1, 1),
			       day_t(2024, 1, 1), 0),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(fetch("a\r\nX-Evil: 1", MFS_TF_1D, day_t(2020, 1, 1), day_t(2021, 1, 1),
			       day_t(2024, 1, 1), 0),
			 MFS_ERR_CONFIG);
	ck_assert_uint_eq(fake.calls, 0);
}
END_TEST

START_TEST(test_fetch_empty_window_and_deadline)
{
	fake_add("[]", 200);
	/* a window that lies in the future asks nothing */
	ck_assert_int_eq(fetch(KEY, MFS_TF_1D, day_t(2025, 1, 1), day_t(2026, 1, 1),
			       day_t(2024, 1, 1), 0),
			 MFS_OK);
	ck_assert_uint_eq(fake.calls, 0);
	ck_assert_int_eq(fetch(KEY, MFS_TF_1D, day_t(2020, 1, 1), day_t(2021, 1, 1),
			       day_t(2024, 1, 1), 1),
			 MFS_ERR_TIMEOUT);
	ck_assert_uint_eq(fake.calls, 0);
	ck_assert_int_eq(fetch(KEY, MFS_TF_4H, day_t(2020, 1, 1), day_t(2021, 1, 1),
			       day_t(2024, 1, 1), 0),
			 MFS_ERR_INVALID);
}
END_TEST

static Suite *tiingo_suite(void)
{
	Suite *s = suite_create("tiingo");
	TCase *tc = tcase_create("pure");
	TCase *tf = tcase_create("fetch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_serves);
	tcase_add_test(tc, test_map_symbol);
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_parse_daily_raw_and_actions);
	tcase_add_test(tc, test_parse_daily_hazards);
	tcase_add_test(tc, test_parse_iex);
	tcase_add_loop_test(tc, test_parse_errors, 0,
			    (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, fake_setup, teardown);
	tcase_add_test(tf, test_fetch_daily_whole_history);
	tcase_add_test(tf, test_fetch_intraday_chunks);
	tcase_add_test(tf, test_fetch_intraday_all_empty);
	tcase_add_test(tf, test_fetch_stops_on_refusal);
	tcase_add_test(tf, test_fetch_key_never_in_message);
	tcase_add_test(tf, test_fetch_no_key);
	tcase_add_test(tf, test_fetch_empty_window_and_deadline);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tiingo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
