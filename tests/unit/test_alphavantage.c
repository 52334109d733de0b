/*
 * Unit tests for the Alpha Vantage bars provider (providers/alphavantage.c):
 * the month plan, the URLs, the series parser against the fixtures in
 * tests/fixtures/alphavantage (string numbers, "None", newest first, naive
 * US/Eastern times across a DST change, shifting meta keys, HTTP-200
 * refusals, a key quoted back) and the fetch through a fake GET (months in
 * order, empty months, the premium outputsize=full fallback, key hygiene).
 * Nothing here touches the network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/log.h>
#include <marketfs/provider.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "providers/alphavantage.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY
#define KEY "AVTESTKEY0123456"

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

/* UTC second of a New York wall-clock time. */
static int64_t ny(int y, unsigned mo, unsigned d, int h, int mi)
{
	const struct mfs_tz *tz = mfs_tz_get("America/New_York");

	ck_assert_ptr_nonnull(tz);
	return mfs_tz_from_local(tz, day_t(y, mo, d) + h * 3600 + mi * 60, NULL);
}

static struct mfs_series ser;
static struct mfs_error err;

static void setup(void)
{
	mfs_series_init(&ser, MFS_TF_5M);
	mfs_error_clear(&err);
}

static void teardown(void)
{
	mfs_series_free(&ser);
}

static enum mfs_err parse_fixture(const char *name, enum mfs_tf tf, bool *premium)
{
	size_t len;
	char *body = tu_fixture_in("alphavantage", name, &len);
	enum mfs_err rc;

	ser.tf = tf;
	rc = mfs_alphavantage_parse_series(200, body, len, "T", tf, &ser, premium, &err);
	free(body);
	return rc;
}

static enum mfs_err parse_str(long status, const char *body, enum mfs_tf tf)
{
	ser.tf = tf;
	return mfs_alphavantage_parse_series(status, body, strlen(body), "T", tf, &ser, NULL, &err);
}

static const struct mfs_bar *bar_at(int64_t t)
{
	for (size_t i = 0; i < ser.n; i++)
		if (ser.bars[i].t == t)
			return &ser.bars[i];
	return NULL;
}

/* ---- requests ------------------------------------------------------------ */

START_TEST(test_intervals_and_ops)
{
	ck_assert_str_eq(mfs_alphavantage_interval(MFS_TF_1M), "1min");
	ck_assert_str_eq(mfs_alphavantage_interval(MFS_TF_30M), "30min");
	ck_assert_str_eq(mfs_alphavantage_interval(MFS_TF_1H), "60min");
	ck_assert_ptr_null(mfs_alphavantage_interval(MFS_TF_4H));
	ck_assert_ptr_null(mfs_alphavantage_interval(MFS_TF_1D));
	ck_assert(mfs_alphavantage_serves(MFS_CLASS_STOCK, MFS_TF_1D));
	ck_assert(mfs_alphavantage_serves(MFS_CLASS_STOCK, MFS_TF_1M));
	ck_assert(!mfs_alphavantage_serves(MFS_CLASS_STOCK, MFS_TF_4H));
	ck_assert(!mfs_alphavantage_serves(MFS_CLASS_STOCK, MFS_TF_1W));
	ck_assert(!mfs_alphavantage_serves(MFS_CLASS_STOCK, MFS_TF_1MO));
	ck_assert(!mfs_alphavantage_serves(MFS_CLASS_CRYPTO, MFS_TF_1D));
	ck_assert(mfs_alphavantage_ops.needs_key);
	ck_assert(mfs_alphavantage_ops.fetch != NULL);
	ck_assert(mfs_alphavantage_ops.fundamentals != NULL);
	ck_assert(mfs_alphavantage_ops.serves == mfs_alphavantage_serves);
	ck_assert(mfs_alphavantage_ops.default_rate_tokens == 25);
	ck_assert(mfs_alphavantage_ops.default_rate_period_s == 86400);
	ck_assert(mfs_alphavantage_ops.earliest(MFS_CLASS_STOCK, MFS_TF_5M, 0) ==
		  ny(2000, 1, 1, 0, 0));
	ck_assert(mfs_alphavantage_ops.earliest(MFS_CLASS_STOCK, MFS_TF_1D, 0) == INT64_MIN);
}
END_TEST

START_TEST(test_plan_months)
{
	struct mfs_alphavantage_month m[16];
	int64_t now = ny(2026, 1, 15, 12, 0);
	size_t n;

	/* a New York year: its 12 months, oldest first */
	n = mfs_alphavantage_plan_months(ny(2024, 1, 1, 0, 0), ny(2025, 1, 1, 0, 0), now, m, 16);
	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(m[0].year, 2024);
	ck_assert_uint_eq(m[0].month, 1);
	ck_assert_uint_eq(m[11].month, 12);
	/* a UTC year starts on Dec 31 in New York: that month is asked too */
	n = mfs_alphavantage_plan_months(day_t(2024, 1, 1), day_t(2025, 1, 1), now, m, 16);
	ck_assert_uint_eq(n, 13);
	ck_assert_int_eq(m[0].year, 2023);
	ck_assert_uint_eq(m[0].month, 12);
	ck_assert_int_eq(m[12].year, 2024);
	ck_assert_uint_eq(m[12].month, 12);
	/* nothing after now */
	n = mfs_alphavantage_plan_months(ny(2025, 11, 1, 0, 0), ny(2027, 1, 1, 0, 0), now, m, 16);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(m[2].year, 2026);
	ck_assert_uint_eq(m[2].month, 1);
	/* nothing before 2000-01 */
	n = mfs_alphavantage_plan_months(day_t(1999, 6, 1), ny(2000, 3, 1, 0, 0), now, m, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(m[0].year, 2000);
	/* empty windows; counts beyond max are still counted */
	ck_assert_uint_eq(mfs_alphavantage_plan_months(now, now, now, m, 16), 0);
	ck_assert_uint_eq(mfs_alphavantage_plan_months(day_t(1990, 1, 1), day_t(1999, 1, 1), now,
						       m, 16),
			  0);
	ck_assert_uint_eq(mfs_alphavantage_plan_months(ny(2020, 1, 1, 0, 0), now, now, m, 16),
			  73);
}
END_TEST

START_TEST(test_paths)
{
	struct mfs_alphavantage_month m = { 2024, 3 };
	char p[512];

	ck_assert_int_eq(mfs_alphavantage_intraday_path("BRK-B", MFS_TF_1H, &m, "k&y", p,
							sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/query?function=TIME_SERIES_INTRADAY&symbol=BRK-B&interval=60min"
			    "&month=2024-03&outputsize=full&adjusted=false&extended_hours=false"
			    "&datatype=json&apikey=k%26y");
	ck_assert_int_eq(mfs_alphavantage_daily_path("A B", true, KEY, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/query?function=TIME_SERIES_DAILY&symbol=A%20B&outputsize=full"
			    "&datatype=json&apikey=" KEY);
	ck_assert_int_eq(mfs_alphavantage_daily_path("IBM", false, KEY, p, sizeof(p)), 0);
	ck_assert_ptr_nonnull(strstr(p, "outputsize=compact"));
	ck_assert_int_eq(mfs_alphavantage_intraday_path("IBM", MFS_TF_1D, &m, KEY, p, sizeof(p)),
			 -1);
	ck_assert_int_eq(mfs_alphavantage_daily_path("IBM", false, KEY, p, 20), -1);
	ck_assert_int_eq(mfs_alphavantage_daily_path("", false, KEY, p, sizeof(p)), -1);
	/* compact covers 100 days */
	ck_assert(!mfs_alphavantage_daily_needs_full(1000 * DAY - 99 * DAY, 1000 * DAY));
	ck_assert(mfs_alphavantage_daily_needs_full(1000 * DAY - 101 * DAY, 1000 * DAY));
}
END_TEST

/* ---- parser ---------------------------------------------------------------- */

START_TEST(test_parse_intraday_dst_none)
{
	const struct mfs_bar *b;

	ck_assert_int_eq(parse_fixture("intraday-5min-dst.json", MFS_TF_5M, NULL), MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	ck_assert_uint_eq(ser.null_rows, 1);
	ck_assert_int_eq(ser.null_t[0], ny(2024, 3, 11, 9, 30));
	/* EDT: 09:35 is 13:35Z */
	b = bar_at(day_t(2024, 3, 11) + 13 * 3600 + 35 * 60);
	ck_assert_ptr_nonnull(b);
	ck_assert_double_eq(b->open, 863.05);
	ck_assert_double_eq(b->close, 861.2);
	ck_assert_double_eq(b->volume, 412345);
	ck_assert(isnan(b->adj_close));
	/* EST: 15:55 is 20:55Z, 09:30 is 14:30Z */
	b = bar_at(day_t(2024, 3, 8) + 20 * 3600 + 55 * 60);
	ck_assert_ptr_nonnull(b);
	ck_assert_double_eq(b->volume, 1234567);
	b = bar_at(day_t(2024, 3, 8) + 14 * 3600 + 30 * 60);
	ck_assert_ptr_nonnull(b);
	ck_assert_double_eq(b->high, 974);
	ck_assert(isnan(b->volume)); /* "None" volume: NaN, the bar kept */
}
END_TEST

START_TEST(test_parse_daily)
{
	const struct mfs_bar *b;

	ck_assert_int_eq(parse_fixture("daily-compact.json", MFS_TF_1D, NULL), MFS_OK);
	ck_assert_uint_eq(ser.n, 3);
	b = bar_at(day_t(2025, 11, 6));
	ck_assert_ptr_nonnull(b);
	ck_assert_double_eq(b->open, 313.08);
	ck_assert_double_eq(b->low, 309.5);
	ck_assert_double_eq(b->volume, 4567890);
	ck_assert(isnan(b->adj_close));
	ck_assert_ptr_nonnull(bar_at(day_t(2025, 11, 4)));
}
END_TEST

START_TEST(test_parse_numbers_and_keys)
{
	/* JSON numbers too; keys found by name whatever their numbering */
	ck_assert_int_eq(parse_str(200,
				   "{\"Time Series (Daily)\":{\"2020-01-02\":{\"1. open\":1,"
				   "\"2. high\":\"2\",\"3. low\":0.5,\"4. close\":\"1.5\","
				   "\"5. adjusted close\":\"1.4\",\"6. volume\":\"100\"}}}",
				   MFS_TF_1D),
			 MFS_OK);
	ck_assert_uint_eq(ser.n, 1);
	ck_assert_double_eq(ser.bars[0].volume, 100);
	ck_assert_double_eq(ser.bars[0].close, 1.5);
	ck_assert_int_eq(parse_fixture("daily-bad-number.json", MFS_TF_1D, NULL), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "31x3.08"));
	/* bad time stamps */
	ck_assert_int_eq(parse_str(200,
				   "{\"Time Series (5min)\":{\"2024-13-01 09:30:00\":{\"1. open\":"
				   "\"1\",\"2. high\":\"1\",\"3. low\":\"1\",\"4. close\":\"1\","
				   "\"5. volume\":\"1\"}}}",
				   MFS_TF_5M),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str(200,
				   "{\"Time Series (5min)\":{\"2024-03-01\":{\"1. open\":"
				   "\"1\",\"2. high\":\"1\",\"3. low\":\"1\",\"4. close\":\"1\","
				   "\"5. volume\":\"1\"}}}",
				   MFS_TF_5M),
			 MFS_ERR_PARSE);
}
END_TEST

START_TEST(test_parse_shapes)
{
	ck_assert_int_eq(parse_fixture("intraday-empty.json", MFS_TF_1H, NULL), MFS_ERR_NO_DATA);
	/* another interval's series is not this one's */
	ck_assert_int_eq(parse_fixture("intraday-5min-dst.json", MFS_TF_1M, NULL), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_fixture("daily-compact.json", MFS_TF_5M, NULL), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str(200, "timestamp,open,high,low,close,volume\n", MFS_TF_1D),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str(200, "[]", MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str(200, "{\"Time Series (Daily)\":", MFS_TF_1D), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_str(503, "<html>Service Unavailable</html>", MFS_TF_1D),
			 MFS_ERR_SERVER);
	ck_assert_int_eq(parse_str(429, "Too Many Requests", MFS_TF_1D), MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse_str(403, "Forbidden", MFS_TF_1D), MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse_str(0, "", MFS_TF_1D), MFS_ERR_SERVER);
}
END_TEST

START_TEST(test_parse_refusals)
{
	static const struct {
		const char *file;
		enum mfs_err want;
		bool premium;
	} cases[] = {
		{ "error-invalid-call.json", MFS_ERR_NOT_FOUND, false },
		{ "error-apikey-invalid.json", MFS_ERR_PERMANENT, false },
		{ "info-apikey-invalid.json", MFS_ERR_PERMANENT, false },
		{ "info-premium-endpoint.json", MFS_ERR_PERMANENT, true },
		{ "info-premium-outputsize-full.json", MFS_ERR_PERMANENT, true },
		{ "info-rate-limit-daily.json", MFS_ERR_RATE_LIMIT, false },
		{ "info-rate-limit-detected-key.json", MFS_ERR_RATE_LIMIT, false },
		{ "info-spreading-out.json", MFS_ERR_RATE_LIMIT, false },
		{ "note-call-frequency.json", MFS_ERR_RATE_LIMIT, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bool premium = !cases[i].premium;

		mfs_error_clear(&err);
		ck_assert_msg(parse_fixture(cases[i].file, MFS_TF_1D, &premium) == cases[i].want,
			      "%s: %s", cases[i].file, err.msg);
		ck_assert_msg(premium == cases[i].premium, "%s", cases[i].file);
		ck_assert_ptr_nonnull(strstr(err.msg, "alphavantage: T:"));
		ck_assert_msg(strstr(err.msg, KEY) == NULL, "key in \"%s\"", err.msg);
		ck_assert_uint_eq(ser.n, 0);
	}
}
END_TEST

/* ---- fetch through a fake GET ---------------------------------------------- */

#define MAX_CALLS 32

struct fake_answer {
	const char *needle; /* the first answer whose needle is in the path is used */
	long status;
	const char *fixture; /* a fixture file name, or */
	const char *body;    /* an inline body */
	enum mfs_err rc;     /* != MFS_OK: a transport failure */
};

static struct {
	const struct fake_answer *answers;
	size_t n_answers;
	char paths[MAX_CALLS][512];
	size_t calls;
} fake;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	(void)headers;
	ctx->requests++;
	ck_assert_uint_lt(fake.calls, MAX_CALLS);
	snprintf(fake.paths[fake.calls++], sizeof(fake.paths[0]), "%s", path);
	for (size_t i = 0; i < fake.n_answers; i++) {
		const struct fake_answer *a = &fake.answers[i];

		if (!strstr(path, a->needle))
			continue;
		if (a->rc != MFS_OK)
			return mfs_error_set(e, a->rc, "GET %s failed", path);
		resp->status = a->status;
		if (a->fixture)
			resp->body = tu_fixture_in("alphavantage", a->fixture, &resp->len);
		else {
			resp->body = strdup(a->body);
			resp->len = strlen(a->body);
		}
		return MFS_OK;
	}
	resp->status = 200;
	resp->body = strdup("{}");
	resp->len = 2;
	return MFS_OK;
}

static struct mfs_fetch_ctx ctx;
static struct mfs_fetch_result res;

static void fetch_setup(void)
{
	memset(&fake, 0, sizeof(fake));
	memset(&ctx, 0, sizeof(ctx));
	ctx.now = ny(2025, 11, 7, 12, 0);
	mfs_error_clear(&err);
}

static void fetch_teardown(void)
{
	mfs_fetch_result_free(&res);
}

static enum mfs_err run(const struct fake_answer *answers, size_t n, const char *key,
			enum mfs_tf tf, int64_t start, int64_t end)
{
	struct mfs_fetch_req req = { .symbol = "NVDA", .provider_symbol = "NVDA",
				     .cls = MFS_CLASS_STOCK, .tf = tf, .start = start,
				     .end = end };

	fake.answers = answers;
	fake.n_answers = n;
	mfs_fetch_result_init(&res, tf);
	return mfs_alphavantage_fetch_with(fake_get, &ctx, key, &req, &res, &err);
}

START_TEST(test_fetch_intraday_months)
{
	static const struct fake_answer a[] = {
		{ "month=2024-02", 200, NULL, "{\"Time Series (5min)\":{}}", MFS_OK },
		{ "month=2024-03", 200, "intraday-5min-dst.json", NULL, MFS_OK },
		{ "month=2024-01", 200, NULL,
		  "{\"Meta Data\":{\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":{}}",
		  MFS_OK },
	};

	ck_assert_int_eq(run(a, 3, KEY, MFS_TF_5M, ny(2024, 1, 15, 0, 0), ny(2024, 3, 20, 0, 0)),
			 MFS_OK);
	ck_assert_uint_eq(fake.calls, 3);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "month=2024-01"));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "month=2024-02"));
	ck_assert_ptr_nonnull(strstr(fake.paths[2], "month=2024-03"));
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "interval=5min"));
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "adjusted=false"));
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "apikey=" KEY));
	ck_assert_uint_eq(res.series.n, 3);
	ck_assert_uint_eq(res.series.null_rows, 1);
	ck_assert(res.raw_prices);
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_int_eq(res.close_minute, 960);
}
END_TEST

START_TEST(test_fetch_intraday_errors)
{
	static const struct fake_answer empty[] = {
		{ "month=", 200, "intraday-empty.json", NULL, MFS_OK },
	};
	static const struct fake_answer unknown[] = {
		{ "month=", 200, "error-invalid-call.json", NULL, MFS_OK },
	};
	static const struct fake_answer throttle[] = {
		{ "month=2024-02", 200, "info-rate-limit-detected-key.json", NULL, MFS_OK },
		{ "month=", 200, "intraday-empty.json", NULL, MFS_OK },
	};
	static const struct fake_answer transport[] = {
		{ "month=", 0, NULL, NULL, MFS_ERR_TRANSPORT },
	};

	ck_assert_int_eq(run(empty, 1, KEY, MFS_TF_1H, ny(2024, 1, 1, 0, 0), ny(2024, 3, 1, 0, 0)),
			 MFS_ERR_NO_DATA);
	ck_assert_uint_eq(fake.calls, 2);
	fetch_teardown();
	fake.calls = 0;
	ck_assert_int_eq(run(unknown, 1, KEY, MFS_TF_1H, ny(2024, 1, 1, 0, 0),
			     ny(2024, 3, 1, 0, 0)),
			 MFS_ERR_NOT_FOUND);
	ck_assert_uint_eq(fake.calls, 1);
	fetch_teardown();
	fake.calls = 0;
	ck_assert_int_eq(run(throttle, 2, KEY, MFS_TF_1H, ny(2024, 1, 1, 0, 0),
			     ny(2024, 6, 1, 0, 0)),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_ptr_null(strstr(err.msg, KEY));
	fetch_teardown();
	fake.calls = 0;
	/* the key is scrubbed even from a message that quoted the path */
	ck_assert_int_eq(run(transport, 1, KEY, MFS_TF_1H, ny(2024, 1, 1, 0, 0),
			     ny(2024, 3, 1, 0, 0)),
			 MFS_ERR_TRANSPORT);
	ck_assert_ptr_null(strstr(err.msg, KEY));
	fetch_teardown();
	fake.calls = 0;
	/* no key, nothing asked */
	ck_assert_int_eq(run(empty, 1, NULL, MFS_TF_1H, ny(2024, 1, 1, 0, 0),
			     ny(2024, 3, 1, 0, 0)),
			 MFS_ERR_CONFIG);
	fetch_teardown();
	ck_assert_int_eq(run(empty, 1, "", MFS_TF_1D, ny(2024, 1, 1, 0, 0), ny(2024, 3, 1, 0, 0)),
			 MFS_ERR_CONFIG);
	ck_assert_uint_eq(fake.calls, 0);
	fetch_teardown();
	ck_assert_int_eq(run(empty, 1, KEY, MFS_TF_4H, ny(2024, 1, 1, 0, 0), ny(2024, 3, 1, 0, 0)),
			 MFS_ERR_INVALID);
}
END_TEST

START_TEST(test_fetch_daily_compact)
{
	static const struct fake_answer a[] = {
		{ "outputsize=compact", 200, "daily-compact.json", NULL, MFS_OK },
	};

	ck_assert_int_eq(run(a, 1, KEY, MFS_TF_1D, day_t(2025, 10, 1), day_t(2026, 1, 1)), MFS_OK);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "function=TIME_SERIES_DAILY"));
	ck_assert_uint_eq(res.series.n, 3);
	ck_assert(res.raw_prices);
}
END_TEST

START_TEST(test_fetch_daily_premium_fallback)
{
	static const struct fake_answer a[] = {
		{ "outputsize=full", 200, "info-premium-outputsize-full.json", NULL, MFS_OK },
		{ "outputsize=compact", 200, "daily-compact.json", NULL, MFS_OK },
	};
	static const struct fake_answer throttled[] = {
		{ "outputsize=full", 200, "info-rate-limit-daily.json", NULL, MFS_OK },
	};

	/* the year 2025: full refused, compact covers its end */
	ck_assert_int_eq(run(a, 2, KEY, MFS_TF_1D, day_t(2025, 1, 1), day_t(2026, 1, 1)), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "outputsize=full"));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "outputsize=compact"));
	ck_assert_uint_eq(res.series.n, 3);
	fetch_teardown();
	/* the year 2015: compact has none of it; not an empty year */
	fake.calls = 0;
	ck_assert_int_eq(run(a, 2, KEY, MFS_TF_1D, day_t(2015, 1, 1), day_t(2016, 1, 1)),
			 MFS_ERR_PERMANENT);
	ck_assert_uint_eq(fake.calls, 2);
	fetch_teardown();
	/* a throttle is no premium gate: no second request */
	fake.calls = 0;
	ck_assert_int_eq(run(throttled, 1, KEY, MFS_TF_1D, day_t(2015, 1, 1), day_t(2016, 1, 1)),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_uint_eq(fake.calls, 1);
}
END_TEST

static Suite *alphavantage_suite(void)
{
	Suite *s = suite_create("alphavantage");
	TCase *req = tcase_create("requests");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(req, test_intervals_and_ops);
	tcase_add_test(req, test_plan_months);
	tcase_add_test(req, test_paths);
	suite_add_tcase(s, req);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_intraday_dst_none);
	tcase_add_test(par, test_parse_daily);
	tcase_add_test(par, test_parse_numbers_and_keys);
	tcase_add_test(par, test_parse_shapes);
	tcase_add_test(par, test_parse_refusals);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, fetch_setup, fetch_teardown);
	tcase_add_test(fet, test_fetch_intraday_months);
	tcase_add_test(fet, test_fetch_intraday_errors);
	tcase_add_test(fet, test_fetch_daily_compact);
	tcase_add_test(fet, test_fetch_daily_premium_fallback);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alphavantage_suite());
	int failed;

	mfs_log_set_level(MFS_LOG_WARN); /* the premium fallback logs at info */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
