/*
 * Unit tests for the fundamentals of FMP, Alpha Vantage, Polygon and
 * Tiingo (providers/fund_*.c): the pure parsers against the fixtures in
 * tests/fixtures/{fmp,alphavantage,polygon,tiingo} (real answer shapes,
 * every refusal PROVIDERS.md lists), the shared date and scrub helpers,
 * and each fetch through a fake GET that records the paths and headers it
 * was asked for. Nothing here touches the network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/fund_parse.h"
#include "testutil.h"

/* 2026-01-02T03:04:05Z */
#define NOW 1767323045LL
#define NOW_ISO "2026-01-02T03:04:05Z"

#define FMP_KEY "FMPTESTKEY0123456789abcdefABCDEF"
#define AV_KEY "AVTESTKEY0123456"
#define PG_KEY "PGTESTKEY0123456789abcdef"
#define TI_KEY "TITESTKEY0123456789abcdef0123456789abcdef"

static json_t *fields;
static json_t *raw;
static struct mfs_error err;

static void setup(void)
{
	fields = mfs_fund_new("SYM");
	raw = NULL;
	mfs_error_clear(&err);
}

static void teardown(void)
{
	json_decref(fields);
	json_decref(raw);
	fields = raw = NULL;
}

/* Run parser over a fixture; raw is replaced by what the parser kept. */
static enum mfs_err parse(mfs_fund_parse_fn parser, const char *name, long status)
{
	size_t len;
	char *body = tu_fixture(name, &len);
	enum mfs_err rc;

	json_decref(raw);
	raw = NULL;
	rc = parser(status, body, len, "SYM", fields, &raw, &err);
	free(body);
	if (rc != MFS_OK)
		ck_assert_ptr_null(raw);
	return rc;
}

static enum mfs_err parse_text(mfs_fund_parse_fn parser, const char *body, long status)
{
	json_decref(raw);
	raw = NULL;
	return parser(status, body, strlen(body), "SYM", fields, &raw, &err);
}

static const char *fstr(json_t *f, const char *k)
{
	json_t *v = json_object_get(f, k);

	ck_assert_msg(json_is_string(v), "%s is not a string", k);
	return json_string_value(v);
}

static double fnum(json_t *f, const char *k)
{
	json_t *v = json_object_get(f, k);

	ck_assert_msg(json_is_number(v), "%s is not a number", k);
	return json_number_value(v);
}

static void assert_null(json_t *f, const char *k)
{
	json_t *v = json_object_get(f, k);

	ck_assert_msg(v != NULL, "%s is missing", k);
	ck_assert_msg(json_is_null(v), "%s is not null", k);
}

/* Every common field present, nothing else. */
static void assert_shape(json_t *f)
{
	ck_assert_uint_eq(json_object_size(f), MFS_FUND_NFIELDS);
	for (int i = 0; i < MFS_FUND_NFIELDS; i++)
		ck_assert_msg(json_object_get(f, mfs_fund_fields[i]) != NULL, "no %s",
			      mfs_fund_fields[i]);
}

static void assert_no_key(json_t *v, const char *key)
{
	char *s = json_dumps(v, JSON_COMPACT);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, key) == NULL, "key leaked into %s", s);
	free(s);
}

/* ---- fake GET ----------------------------------------------------------- */

struct route {
	const char *prefix; /* first route whose prefix starts the path wins */
	long status;
	const char *fixture; /* under MFS_FIXTURES, or NULL: body */
	const char *body;
	enum mfs_err rc; /* what the GET itself returns (after retries) */
};

#define MAX_SEEN 8
static const struct route *routes;
static char seen_path[MAX_SEEN][1024];
static char seen_header[MAX_SEEN][512];
static int nseen;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	(void)ctx;
	ck_assert_int_lt(nseen, MAX_SEEN);
	snprintf(seen_path[nseen], sizeof(seen_path[0]), "%s", path);
	seen_header[nseen][0] = '\0';
	if (headers && headers[0])
		snprintf(seen_header[nseen], sizeof(seen_header[0]), "%s", headers[0]);
	nseen++;
	for (const struct route *r = routes; r->prefix; r++) {
		if (strncmp(path, r->prefix, strlen(r->prefix)) != 0)
			continue;
		memset(resp, 0, sizeof(*resp));
		resp->retry_after_s = -1;
		resp->status = r->status;
		if (r->fixture) {
			resp->body = tu_fixture(r->fixture, &resp->len);
		} else {
			resp->body = strdup(r->body);
			resp->len = strlen(r->body);
		}
		if (r->rc != MFS_OK)
			return mfs_error_set(e, r->rc, "fake: HTTP %ld", r->status);
		return MFS_OK;
	}
	ck_abort_msg("unexpected request %s", path);
	return MFS_ERR_INVALID;
}

static struct mfs_fetch_ctx ctx;
static struct mfs_fundamentals out;

static void fetch_setup(void)
{
	memset(&ctx, 0, sizeof(ctx));
	ctx.now = NOW;
	memset(&out, 0, sizeof(out));
	mfs_error_clear(&err);
	nseen = 0;
	routes = NULL;
}

static void fetch_teardown(void)
{
	mfs_fundamentals_free(&out);
}

/* ---- shared helpers ------------------------------------------------------ */

START_TEST(test_set_date)
{
	static const struct {
		const char *in, *want;
	} ok[] = {
		{ "2019-12-31T00:00:00.000Z", "2019-12-31T00:00:00Z" },
		{ "2018-04-12T00:00:00+00:00", "2018-04-12T00:00:00Z" },
		{ "2025-06-30", "2025-06-30T00:00:00Z" },
		{ "2025-02-04 17:01:35", "2025-02-04T17:01:35Z" },
		{ "2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00Z" },
		{ "2024-01-01T20:30:00-05:00", "2024-01-02T01:30:00Z" },
	};
	static const char *const bad[] = { "None",	  "",		"2025-6-30",
					   "2025-06-30X", "2025-13-01", "2025-06-30T25:00:00Z",
					   NULL };
	json_t *f = mfs_fund_new("X");

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(mfs_fund_set_date(f, "as_of", ok[i].in), "%s", ok[i].in);
		ck_assert_str_eq(fstr(f, "as_of"), ok[i].want);
	}
	json_object_set_new(f, "as_of", json_null());
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(!mfs_fund_set_date(f, "as_of", bad[i]), "%s", bad[i]);
	ck_assert(!mfs_fund_set_date(f, "as_of", NULL));
	assert_null(f, "as_of");
	mfs_fund_default_as_of(f, NOW);
	ck_assert_str_eq(fstr(f, "as_of"), NOW_ISO);
	/* a provider date is not overwritten by the clock */
	mfs_fund_set_date(f, "as_of", "2025-06-30");
	mfs_fund_default_as_of(f, NOW);
	ck_assert_str_eq(fstr(f, "as_of"), "2025-06-30T00:00:00Z");
	json_decref(f);
}
END_TEST

START_TEST(test_scrub)
{
	json_t *v = json_pack("{s:s, s:s, s:s, s:[s, {s:s}], s:s}", "next_url",
			      "https://x/?cursor=a&apiKey=SECRETKEY123", "apikey", "SECRETKEY123",
			      "Token", "x", "list", "SECRETKEY123", "u",
			      "a SECRETKEY123 b SECRETKEY123", "name", "Democratic Corp");

	mfs_fund_scrub(v, "SECRETKEY123");
	assert_no_key(v, "SECRETKEY123");
	ck_assert_ptr_null(json_object_get(v, "apikey"));
	ck_assert_ptr_null(json_object_get(v, "Token"));
	ck_assert_str_eq(fstr(v, "next_url"), "https://x/?cursor=a&apiKey=***");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v, "list"), 0)), "***");
	ck_assert_str_eq(fstr(json_array_get(json_object_get(v, "list"), 1), "u"), "a *** b ***");
	/* a short key ("demo") only goes where a whole string equals it */
	json_object_set_new(v, "k", json_string("demo"));
	mfs_fund_scrub(v, "demo");
	ck_assert_str_eq(fstr(v, "k"), "***");
	ck_assert_str_eq(fstr(v, "name"), "Democratic Corp");
	json_decref(v);
}
END_TEST

START_TEST(test_looks_like_json)
{
	ck_assert(mfs_http_body_is_json(" \n[]", 4));
	ck_assert(mfs_http_body_is_json("{}", 2));
	ck_assert(!mfs_http_body_is_json("Error: {x}", 10));
	ck_assert(!mfs_http_body_is_json("   ", 3));
	ck_assert(!mfs_http_body_is_json(NULL, 0));
}
END_TEST

/* ---- FMP ----------------------------------------------------------------- */

START_TEST(test_fmp_range)
{
	double lo, hi;

	ck_assert(mfs_fmp_parse_range("164.08-260.1", &lo, &hi));
	ck_assert_double_eq_tol(lo, 164.08, 1e-9);
	ck_assert_double_eq_tol(hi, 260.1, 1e-9);
	ck_assert(mfs_fmp_parse_range("62.5 - 79.88", &lo, &hi));
	ck_assert_double_eq_tol(lo, 62.5, 1e-9);
	ck_assert_double_eq_tol(hi, 79.88, 1e-9);
	ck_assert(mfs_fmp_parse_range("0.0012-0.5", &lo, &hi));
	ck_assert_double_eq_tol(lo, 0.0012, 1e-12);
	ck_assert(!mfs_fmp_parse_range("", &lo, &hi));
	ck_assert(!mfs_fmp_parse_range("164.08", &lo, &hi));
	ck_assert(!mfs_fmp_parse_range("164.08-", &lo, &hi));
	ck_assert(!mfs_fmp_parse_range("a-b", &lo, &hi));
	ck_assert(!mfs_fmp_parse_range("1-2-3", &lo, &hi));
	ck_assert(!mfs_fmp_parse_range(NULL, &lo, &hi));
}
END_TEST

START_TEST(test_fmp_profile)
{
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-AAPL.json", 200), MFS_OK);
	assert_shape(fields);
	ck_assert_str_eq(fstr(fields, "symbol"), "SYM");
	ck_assert_str_eq(fstr(fields, "name"), "Apple Inc.");
	ck_assert_str_eq(fstr(fields, "exchange"), "NASDAQ");
	ck_assert_str_eq(fstr(fields, "currency"), "USD");
	ck_assert_str_eq(fstr(fields, "sector"), "Technology");
	ck_assert_str_eq(fstr(fields, "industry"), "Consumer Electronics");
	ck_assert(json_is_integer(json_object_get(fields, "market_cap")));
	ck_assert_double_eq(fnum(fields, "market_cap"), 3500823120000.0);
	ck_assert_double_eq_tol(fnum(fields, "beta"), 1.24, 1e-12);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_low"), 164.08, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_high"), 260.1, 1e-9);
	ck_assert_str_eq(fstr(fields, "website"), "https://www.apple.com");
	ck_assert(strncmp(fstr(fields, "description"), "Apple Inc. designs", 18) == 0);
	/* lastDividend is an amount, not a yield; the profile has no P/E, float or date */
	assert_null(fields, "dividend_yield");
	assert_null(fields, "pe_ratio");
	assert_null(fields, "float_shares");
	assert_null(fields, "as_of");
	/* raw is the one object, fullTimeEmployees still the string FMP sent */
	ck_assert(json_is_object(raw));
	ck_assert_str_eq(fstr(raw, "fullTimeEmployees"), "164000");
}
END_TEST

START_TEST(test_fmp_profile_variants)
{
	/* exchangeFullName when exchange is absent; numeric strings; "" and null */
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-fullname-only.json", 200),
			 MFS_OK);
	ck_assert_str_eq(fstr(fields, "exchange"), "London Stock Exchange");
	ck_assert_str_eq(fstr(fields, "currency"), "GBp");
	ck_assert_double_eq(fnum(fields, "market_cap"), 18543000000.0);
	ck_assert_double_eq_tol(fnum(fields, "beta"), 0.62, 1e-12);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_low"), 62.5, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_high"), 79.88, 1e-9);
	assert_null(fields, "sector");
	assert_null(fields, "industry");
}
END_TEST

START_TEST(test_fmp_profile_errors)
{
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-empty.json", 200),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-limit-reach.json", 429),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-limit-reach.json", 200),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-legacy-endpoint.json", 403),
			 MFS_ERR_PERMANENT);
	ck_assert(strstr(err.msg, "legacy") != NULL);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-legacy-endpoint.json", 401),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-invalid-key.json", 401),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/premium-402.json", 402),
			 MFS_ERR_PERMANENT);
	ck_assert(strstr(err.msg, "Premium Query Parameter") != NULL);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/restricted-402.json", 402),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse(mfs_fmp_parse_profile, "fmp/profile-malformed.json", 200),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text(mfs_fmp_parse_profile, "<html>oops</html>", 200),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text(mfs_fmp_parse_profile, "[42]", 200), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text(mfs_fmp_parse_profile, "Bad Gateway", 502), MFS_ERR_SERVER);
	/* nothing was filled by the refusals */
	assert_null(fields, "name");
}
END_TEST

START_TEST(test_fmp_ratios)
{
	ck_assert_int_eq(parse(mfs_fmp_parse_ratios_ttm, "fmp/ratios-ttm-AAPL.json", 200), MFS_OK);
	ck_assert_double_eq_tol(fnum(fields, "pe_ratio"), 37.13, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "dividend_yield"), 0.0044, 1e-12);
	ck_assert_double_eq_tol(fnum(fields, "eps"), 6.27, 1e-9);
	ck_assert_double_eq_tol(fnum(raw, "priceToBookRatioTTM"), 58.41, 1e-9);
}
END_TEST

START_TEST(test_fmp_ratios_strings)
{
	ck_assert_int_eq(parse(mfs_fmp_parse_ratios_ttm, "fmp/ratios-ttm-AAPL-strings.json", 200),
			 MFS_OK);
	ck_assert_double_eq_tol(fnum(fields, "pe_ratio"), 37.13, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "dividend_yield"), 0.0044, 1e-12);
	ck_assert_double_eq_tol(fnum(fields, "eps"), 6.27, 1e-9);
	ck_assert_int_eq(parse(mfs_fmp_parse_ratios_ttm, "fmp/ratios-ttm-empty.json", 200),
			 MFS_ERR_NO_DATA);
	ck_assert_int_eq(parse(mfs_fmp_parse_ratios_ttm, "fmp/premium-402.json", 402),
			 MFS_ERR_PERMANENT);
}
END_TEST

START_TEST(test_fmp_shares_float)
{
	ck_assert_int_eq(parse(mfs_fmp_parse_shares_float, "fmp/shares-float-AAPL.json", 200),
			 MFS_OK);
	/* floatShares, never freeFloat (99.87, a percent) nor freeFloat/100 */
	ck_assert_double_eq(fnum(fields, "float_shares"), 15004772613.0);
	ck_assert_double_eq(fnum(fields, "shares_outstanding"), 15022073000.0);
	ck_assert_double_eq_tol(fnum(raw, "freeFloat"), 99.87, 1e-9);
}
END_TEST

START_TEST(test_fmp_shares_float_percent)
{
	/* floatShares null: derived from the PERCENT, 96.71% of 1,000,000 */
	ck_assert_int_eq(parse(mfs_fmp_parse_shares_float, "fmp/shares-float-no-floatshares.json",
			       200),
			 MFS_OK);
	ck_assert_double_eq(fnum(fields, "shares_outstanding"), 1000000.0);
	ck_assert_double_eq(fnum(fields, "float_shares"), 967100.0);
}
END_TEST

static const struct route fmp_ok[] = {
	{ "/stable/profile?", 200, "fmp/profile-AAPL.json", NULL, MFS_OK },
	{ "/stable/ratios-ttm?", 200, "fmp/ratios-ttm-AAPL-strings.json", NULL, MFS_OK },
	{ "/stable/shares-float?", 200, "fmp/shares-float-AAPL.json", NULL, MFS_OK },
	{ NULL, 0, NULL, NULL, MFS_OK },
};

START_TEST(test_fmp_fetch)
{
	routes = fmp_ok;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, FMP_KEY, "BRK.B", "BRK-B", &out,
						   &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 3);
	ck_assert_str_eq(seen_path[0], "/stable/profile?symbol=BRK-B&apikey=" FMP_KEY);
	ck_assert_str_eq(seen_path[1], "/stable/ratios-ttm?symbol=BRK-B&apikey=" FMP_KEY);
	ck_assert_str_eq(seen_path[2], "/stable/shares-float?symbol=BRK-B&apikey=" FMP_KEY);
	ck_assert_str_eq(seen_header[0], "");
	assert_shape(out.fields);
	ck_assert_str_eq(fstr(out.fields, "symbol"), "BRK.B");
	ck_assert_str_eq(fstr(out.fields, "name"), "Apple Inc.");
	ck_assert_double_eq_tol(fnum(out.fields, "pe_ratio"), 37.13, 1e-9);
	ck_assert_double_eq(fnum(out.fields, "float_shares"), 15004772613.0);
	ck_assert_str_eq(fstr(out.fields, "as_of"), NOW_ISO);
	ck_assert(json_is_object(json_object_get(out.raw, "profile")));
	ck_assert(json_is_object(json_object_get(out.raw, "ratios_ttm")));
	ck_assert(json_is_object(json_object_get(out.raw, "shares_float")));
	assert_no_key(out.raw, FMP_KEY);
	assert_no_key(out.fields, FMP_KEY);
}
END_TEST

START_TEST(test_fmp_fetch_secondary_refused)
{
	/* ratios-ttm behind a plan: the profile's and shares-float's fields stay */
	static const struct route r[] = {
		{ "/stable/profile?", 200, "fmp/profile-AAPL.json", NULL, MFS_OK },
		{ "/stable/ratios-ttm?", 402, "fmp/premium-402.json", NULL, MFS_OK },
		{ "/stable/shares-float?", 200, "fmp/shares-float-AAPL.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, FMP_KEY, "AAPL", NULL, &out,
						   &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 3);
	ck_assert_int_eq(err.code, MFS_OK);
	ck_assert_str_eq(fstr(out.fields, "name"), "Apple Inc.");
	assert_null(out.fields, "pe_ratio");
	ck_assert_double_eq(fnum(out.fields, "float_shares"), 15004772613.0);
	ck_assert_ptr_null(json_object_get(out.raw, "ratios_ttm"));
	ck_assert(json_is_object(json_object_get(out.raw, "shares_float")));
}
END_TEST

START_TEST(test_fmp_fetch_secondary_throttled)
{
	/* the daily limit on ratios-ttm: shares-float is not asked, the profile kept */
	static const struct route r[] = {
		{ "/stable/profile?", 200, "fmp/profile-AAPL.json", NULL, MFS_OK },
		{ "/stable/ratios-ttm?", 429, "fmp/profile-limit-reach.json", NULL,
		  MFS_ERR_RATE_LIMIT },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, FMP_KEY, "AAPL", NULL, &out,
						   &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 2);
	ck_assert_str_eq(fstr(out.fields, "name"), "Apple Inc.");
	/* the 200-with-"Limit Reach" form is the same throttle */
	mfs_fundamentals_free(&out);
	nseen = 0;
	static const struct route r200[] = {
		{ "/stable/profile?", 200, "fmp/profile-AAPL.json", NULL, MFS_OK },
		{ "/stable/ratios-ttm?", 200, "fmp/profile-limit-reach.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};
	routes = r200;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, FMP_KEY, "AAPL", NULL, &out,
						   &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 2);
}
END_TEST

START_TEST(test_fmp_fetch_errors)
{
	static const struct route empty[] = {
		{ "/stable/profile?", 200, "fmp/profile-empty.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};
	static const struct route legacy[] = {
		{ "/stable/profile?", 403, "fmp/profile-legacy-endpoint.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = empty;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, FMP_KEY, "ZZZZ", NULL, &out,
						   &err),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(nseen, 1);
	ck_assert_ptr_null(out.fields);
	ck_assert_ptr_null(out.raw);
	ck_assert(strstr(err.msg, FMP_KEY) == NULL);
	routes = legacy;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, FMP_KEY, "AAPL", NULL, &out,
						   &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_null(out.fields);
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, NULL, "AAPL", NULL, &out, &err),
			 MFS_ERR_CONFIG);
}
END_TEST

START_TEST(test_fmp_fetch_encodes)
{
	routes = fmp_ok;
	ck_assert_int_eq(mfs_fmp_fundamentals_with(fake_get, &ctx, "k y&z", "A&B", NULL, &out,
						   &err),
			 MFS_OK);
	ck_assert_str_eq(seen_path[0], "/stable/profile?symbol=A%26B&apikey=k%20y%26z");
}
END_TEST

/* ---- Alpha Vantage ------------------------------------------------------- */

START_TEST(test_av_overview)
{
	ck_assert_int_eq(parse(mfs_alphavantage_parse_overview, "alphavantage/overview-IBM.json",
			       200),
			 MFS_OK);
	assert_shape(fields);
	ck_assert_str_eq(fstr(fields, "name"), "International Business Machines");
	ck_assert_str_eq(fstr(fields, "exchange"), "NYSE");
	ck_assert_str_eq(fstr(fields, "currency"), "USD");
	/* ALL CAPS kept as sent */
	ck_assert_str_eq(fstr(fields, "sector"), "TECHNOLOGY");
	ck_assert_str_eq(fstr(fields, "industry"), "INFORMATION TECHNOLOGY SERVICES");
	/* numeric strings became numbers */
	ck_assert(json_is_integer(json_object_get(fields, "market_cap")));
	ck_assert_double_eq(fnum(fields, "market_cap"), 286748705000.0);
	ck_assert_double_eq(fnum(fields, "shares_outstanding"), 934735000.0);
	ck_assert_double_eq(fnum(fields, "float_shares"), 932604000.0);
	ck_assert_double_eq_tol(fnum(fields, "pe_ratio"), 36.56, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "eps"), 8.41, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "dividend_yield"), 0.0228, 1e-12);
	ck_assert_double_eq_tol(fnum(fields, "beta"), 0.673, 1e-12);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_high"), 294.78, 1e-9);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_low"), 200.77, 1e-9);
	ck_assert_str_eq(fstr(fields, "website"), "https://www.ibm.com");
	ck_assert(strncmp(fstr(fields, "description"), "International Business Machines Corp",
			  36) == 0);
	ck_assert_str_eq(fstr(fields, "as_of"), "2025-06-30T00:00:00Z");
	ck_assert_str_eq(fstr(raw, "EBITDA"), "14640000000");
}
END_TEST

START_TEST(test_av_missing_values)
{
	ck_assert_int_eq(parse(mfs_alphavantage_parse_overview,
			       "alphavantage/overview-missing-values.json", 200),
			 MFS_OK);
	ck_assert_str_eq(fstr(fields, "name"), "Newco Holdings Inc");
	ck_assert_str_eq(fstr(fields, "sector"), "Technology");
	assert_null(fields, "description"); /* "None" */
	assert_null(fields, "website");
	assert_null(fields, "pe_ratio");
	assert_null(fields, "dividend_yield");
	assert_null(fields, "beta"); /* "-" */
	assert_null(fields, "fifty_two_week_low"); /* "-" */
	assert_null(fields, "market_cap"); /* "0" */
	assert_null(fields, "float_shares"); /* "0" */
	assert_null(fields, "as_of"); /* LatestQuarter "None" */
	ck_assert_double_eq_tol(fnum(fields, "eps"), -1.25, 1e-12);
	ck_assert_double_eq(fnum(fields, "shares_outstanding"), 41200000.0);
	ck_assert_double_eq_tol(fnum(fields, "fifty_two_week_high"), 12.5, 1e-12);
}
END_TEST

START_TEST(test_av_errors)
{
	static const struct {
		const char *fixture;
		enum mfs_err want;
	} cases[] = {
		{ "alphavantage/overview-empty.json", MFS_ERR_NOT_FOUND },
		{ "alphavantage/error-invalid-call.json", MFS_ERR_NOT_FOUND },
		{ "alphavantage/error-apikey-invalid.json", MFS_ERR_PERMANENT },
		{ "alphavantage/info-apikey-invalid.json", MFS_ERR_PERMANENT },
		{ "alphavantage/info-rate-limit-daily.json", MFS_ERR_RATE_LIMIT },
		{ "alphavantage/info-rate-limit-detected-key.json", MFS_ERR_RATE_LIMIT },
		{ "alphavantage/info-spreading-out.json", MFS_ERR_RATE_LIMIT },
		{ "alphavantage/note-call-frequency.json", MFS_ERR_RATE_LIMIT },
		{ "alphavantage/info-premium-endpoint.json", MFS_ERR_PERMANENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mfs_err rc = parse(mfs_alphavantage_parse_overview, cases[i].fixture, 200);
		ck_assert_msg(rc == cases[i].want, "%s: got %s (%s)", cases[i].fixture,
			      mfs_err_name(rc), err.msg);
	}
	ck_assert_int_eq(parse_text(mfs_alphavantage_parse_overview, "Too Many Requests", 429),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse_text(mfs_alphavantage_parse_overview, "<html>", 200), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text(mfs_alphavantage_parse_overview, "{\"Symbol\":", 200),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text(mfs_alphavantage_parse_overview, "[]", 200), MFS_ERR_PARSE);
	assert_null(fields, "name");
}
END_TEST

START_TEST(test_av_detected_key_not_in_message)
{
	/* "We have detected your API key as AVTESTKEY0123456 ..." */
	ck_assert_int_eq(parse(mfs_alphavantage_parse_overview,
			       "alphavantage/info-rate-limit-detected-key.json", 200),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_msg(strstr(err.msg, AV_KEY) == NULL, "%s", err.msg);
	ck_assert(strstr(err.msg, "API key as ***") != NULL);
}
END_TEST

START_TEST(test_av_fetch)
{
	static const struct route r[] = {
		{ "/query?function=OVERVIEW&", 200, "alphavantage/overview-IBM.json", NULL,
		  MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};
	static const struct route limit[] = {
		{ "/query?function=OVERVIEW&", 200,
		  "alphavantage/info-rate-limit-detected-key.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_alphavantage_fundamentals_with(fake_get, &ctx, AV_KEY, "IBM", NULL,
							    &out, &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 1);
	ck_assert_str_eq(seen_path[0], "/query?function=OVERVIEW&symbol=IBM&apikey=" AV_KEY);
	ck_assert_str_eq(fstr(out.fields, "symbol"), "IBM");
	ck_assert_str_eq(fstr(out.fields, "as_of"), "2025-06-30T00:00:00Z");
	ck_assert_str_eq(fstr(out.raw, "Symbol"), "IBM");
	assert_no_key(out.raw, AV_KEY);
	mfs_fundamentals_free(&out);

	routes = limit;
	ck_assert_int_eq(mfs_alphavantage_fundamentals_with(fake_get, &ctx, AV_KEY, "IBM", NULL,
							    &out, &err),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_ptr_null(out.fields);
	ck_assert(strstr(err.msg, AV_KEY) == NULL);
}
END_TEST

START_TEST(test_av_fetch_no_date)
{
	static const struct route r[] = {
		{ "/query?", 200, "alphavantage/overview-missing-values.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_alphavantage_fundamentals_with(fake_get, &ctx, "demo", "NEWCO", NULL,
							    &out, &err),
			 MFS_OK);
	ck_assert_str_eq(fstr(out.fields, "as_of"), NOW_ISO);
	/* "demo" is too short to hunt as a substring: the description survives */
	ck_assert_str_eq(fstr(out.raw, "Name"), "Newco Holdings Inc");
}
END_TEST

/* ---- Polygon ------------------------------------------------------------- */

START_TEST(test_polygon_ticker)
{
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-AAPL.json", 200), MFS_OK);
	assert_shape(fields);
	ck_assert_str_eq(fstr(fields, "name"), "Apple Inc.");
	ck_assert_str_eq(fstr(fields, "exchange"), "XNAS");
	ck_assert_str_eq(fstr(fields, "currency"), "USD"); /* "usd" upper-cased */
	ck_assert_str_eq(fstr(fields, "industry"), "ELECTRONIC COMPUTERS");
	ck_assert_double_eq(fnum(fields, "market_cap"), 2488795282370.0);
	/* the share class's count wins over the weighted one */
	ck_assert_double_eq(fnum(fields, "shares_outstanding"), 16319440000.0);
	ck_assert_str_eq(fstr(fields, "website"), "https://www.apple.com");
	ck_assert(strncmp(fstr(fields, "description"), "Apple designs", 13) == 0);
	/* not in Polygon's answer */
	assert_null(fields, "sector");
	assert_null(fields, "pe_ratio");
	assert_null(fields, "float_shares");
	assert_null(fields, "eps");
	assert_null(fields, "as_of");
	/* raw is "results" */
	ck_assert_str_eq(fstr(raw, "sic_code"), "3571");
	ck_assert_ptr_null(json_object_get(raw, "request_id"));
}
END_TEST

START_TEST(test_polygon_weighted_shares)
{
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-weighted-only.json", 200),
			 MFS_OK);
	ck_assert_double_eq(fnum(fields, "shares_outstanding"), 917632116.0);
	ck_assert_str_eq(fstr(fields, "exchange"), "ARCX");
	assert_null(fields, "market_cap");
	assert_null(fields, "industry");
}
END_TEST

START_TEST(test_polygon_errors)
{
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-not-found-404.json", 404),
			 MFS_ERR_NOT_FOUND);
	/* the status word alone is enough */
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-not-found-404.json", 200),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-not-authorized-403.json",
			       403),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-unknown-key-401.json",
			       401),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-rate-limit-429.json", 429),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse(mfs_polygon_parse_ticker, "polygon/ticker-results-null.json", 200),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse_text(mfs_polygon_parse_ticker, "404 page not found", 404),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse_text(mfs_polygon_parse_ticker, "{\"results\":", 200), MFS_ERR_PARSE);
	assert_null(fields, "name");
}
END_TEST

START_TEST(test_polygon_fetch)
{
	static const struct route r[] = {
		{ "/v3/reference/tickers/", 200, "polygon/ticker-key-echo.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_polygon_fundamentals_with(fake_get, &ctx, PG_KEY, "MSFT", NULL, &out,
						       &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 1);
	ck_assert_str_eq(seen_path[0], "/v3/reference/tickers/MSFT?apiKey=" PG_KEY);
	ck_assert_str_eq(fstr(out.fields, "currency"), "USD");
	ck_assert_str_eq(fstr(out.fields, "as_of"), NOW_ISO);
	/* the answer echoed the key twice: both gone from raw */
	assert_no_key(out.raw, PG_KEY);
	ck_assert_ptr_null(json_object_get(out.raw, "apiKey"));
	ck_assert(strstr(fstr(json_object_get(out.raw, "branding"), "icon_url"), "apiKey=***") !=
		  NULL);
}
END_TEST

START_TEST(test_polygon_fetch_not_found)
{
	static const struct route r[] = {
		{ "/v3/reference/tickers/", 404, "polygon/ticker-not-found-404.json", NULL,
		  MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_polygon_fundamentals_with(fake_get, &ctx, PG_KEY, "ZZZZ", NULL, &out,
						       &err),
			 MFS_ERR_NOT_FOUND);
	ck_assert_ptr_null(out.fields);
	ck_assert_ptr_null(out.raw);
}
END_TEST

/* ---- Tiingo -------------------------------------------------------------- */

START_TEST(test_tiingo_meta)
{
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-GOOGL.json", 200), MFS_OK);
	assert_shape(fields);
	ck_assert_str_eq(fstr(fields, "name"), "Alphabet Inc - Class A");
	ck_assert_str_eq(fstr(fields, "exchange"), "NASDAQ");
	ck_assert(strncmp(fstr(fields, "description"), "Google Inc.", 11) == 0);
	assert_null(fields, "sector");
	assert_null(fields, "currency");
	assert_null(fields, "as_of");
	ck_assert_str_eq(fstr(raw, "startDate"), "2004-08-19");
}
END_TEST

START_TEST(test_tiingo_meta_errors)
{
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-not-found-404.json", 404),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-200-not-found.json", 200),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-200-daily-allocation.json", 200),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-200-monthly-symbols.json", 200),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-429-hourly.json", 429),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse(mfs_tiingo_parse_meta, "tiingo/meta-401-invalid-token.json", 401),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse_text(mfs_tiingo_parse_meta, "Please supply a token", 401),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse_text(mfs_tiingo_parse_meta, "{\"ticker\":", 200), MFS_ERR_PARSE);
	assert_null(fields, "name");
}
END_TEST

START_TEST(test_tiingo_daily_last_row)
{
	ck_assert_int_eq(parse(mfs_tiingo_parse_daily, "tiingo/fundamentals-daily-AAPL.json", 200),
			 MFS_OK);
	/* the LAST row (2019-12-31), not the first */
	ck_assert_double_eq_tol(fnum(fields, "market_cap"), 923760472316.11, 1e-2);
	ck_assert_double_eq_tol(fnum(fields, "pe_ratio"), 27.01, 1e-9);
	ck_assert_str_eq(fstr(fields, "as_of"), "2019-12-31T00:00:00Z");
	ck_assert_double_eq_tol(fnum(raw, "pbRatio"), 4.59, 1e-9);
	assert_null(fields, "name");
}
END_TEST

START_TEST(test_tiingo_daily_newest_first)
{
	/* should an answer come newest first, the newest date still wins */
	const char *body = "[{\"date\":\"2019-12-31T00:00:00.000Z\",\"marketCap\":2,\"peRatio\":3},"
			   "{\"date\":\"2019-12-30T00:00:00.000Z\",\"marketCap\":1,\"peRatio\":1}]";

	ck_assert_int_eq(parse_text(mfs_tiingo_parse_daily, body, 200), MFS_OK);
	ck_assert_double_eq(fnum(fields, "market_cap"), 2.0);
	ck_assert_str_eq(fstr(fields, "as_of"), "2019-12-31T00:00:00Z");
}
END_TEST

START_TEST(test_tiingo_daily_errors)
{
	ck_assert_int_eq(parse(mfs_tiingo_parse_daily, "tiingo/fundamentals-daily-empty.json", 200),
			 MFS_ERR_NO_DATA);
	ck_assert_int_eq(parse(mfs_tiingo_parse_daily, "tiingo/fundamentals-403-permission.json",
			       403),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(parse(mfs_tiingo_parse_daily, "tiingo/meta-GOOGL.json", 200),
			 MFS_ERR_PARSE);
	assert_null(fields, "market_cap");
}
END_TEST

START_TEST(test_tiingo_fetch)
{
	static const struct route r[] = {
		{ "/tiingo/daily/", 200, "tiingo/meta-GOOGL.json", NULL, MFS_OK },
		{ "/tiingo/fundamentals/", 200, "tiingo/fundamentals-daily-AAPL.json", NULL,
		  MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_tiingo_fundamentals_with(fake_get, &ctx, TI_KEY, "GOOGL", NULL, &out,
						      &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 2);
	ck_assert_str_eq(seen_path[0], "/tiingo/daily/GOOGL");
	ck_assert_str_eq(seen_path[1], "/tiingo/fundamentals/GOOGL/daily");
	/* the key travels in the header only */
	ck_assert_str_eq(seen_header[0], "Authorization: Token " TI_KEY);
	ck_assert_str_eq(seen_header[1], "Authorization: Token " TI_KEY);
	ck_assert(strstr(seen_path[0], TI_KEY) == NULL);
	ck_assert_str_eq(fstr(out.fields, "name"), "Alphabet Inc - Class A");
	ck_assert_double_eq_tol(fnum(out.fields, "pe_ratio"), 27.01, 1e-9);
	ck_assert_str_eq(fstr(out.fields, "as_of"), "2019-12-31T00:00:00Z");
	ck_assert(json_is_object(json_object_get(out.raw, "metadata")));
	ck_assert(json_is_object(json_object_get(out.raw, "fundamentals_daily")));
	assert_no_key(out.raw, TI_KEY);
}
END_TEST

START_TEST(test_tiingo_fetch_no_addon)
{
	/* no fundamentals add-on: the metadata's fields stay, as_of is the clock */
	static const struct route r[] = {
		{ "/tiingo/daily/", 200, "tiingo/meta-GOOGL.json", NULL, MFS_OK },
		{ "/tiingo/fundamentals/", 403, "tiingo/fundamentals-403-permission.json", NULL,
		  MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_tiingo_fundamentals_with(fake_get, &ctx, TI_KEY, "GOOGL", NULL, &out,
						      &err),
			 MFS_OK);
	ck_assert_int_eq(nseen, 2);
	ck_assert_int_eq(err.code, MFS_OK);
	ck_assert_str_eq(fstr(out.fields, "name"), "Alphabet Inc - Class A");
	ck_assert_str_eq(fstr(out.fields, "exchange"), "NASDAQ");
	assert_null(out.fields, "market_cap");
	ck_assert_str_eq(fstr(out.fields, "as_of"), NOW_ISO);
	ck_assert_ptr_null(json_object_get(out.raw, "fundamentals_daily"));
}
END_TEST

START_TEST(test_tiingo_fetch_throttled)
{
	static const struct route r[] = {
		{ "/tiingo/daily/", 200, "tiingo/meta-200-daily-allocation.json", NULL, MFS_OK },
		{ NULL, 0, NULL, NULL, MFS_OK },
	};

	routes = r;
	ck_assert_int_eq(mfs_tiingo_fundamentals_with(fake_get, &ctx, TI_KEY, "GOOGL", NULL, &out,
						      &err),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(nseen, 1);
	ck_assert_ptr_null(out.fields);
	ck_assert_int_eq(mfs_tiingo_fundamentals_with(fake_get, &ctx, "bad\nkey", "GOOGL", NULL,
						      &out, &err),
			 MFS_ERR_CONFIG);
}
END_TEST

/* ---- ops ----------------------------------------------------------------- */

START_TEST(test_ops)
{
	static const struct {
		const struct mfs_provider_ops *ops;
		const char *name;
		double tokens, period;
	} p[] = {
		{ &mfs_fmp_ops, "fmp", 250, 86400 },
		{ &mfs_alphavantage_ops, "alphavantage", 25, 86400 },
		{ &mfs_polygon_ops, "polygon", 5, 60 },
		{ &mfs_tiingo_ops, "tiingo", 50, 3600 },
	};
	char out_sym[32];

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		ck_assert_str_eq(p[i].ops->name, p[i].name);
		ck_assert(p[i].ops->needs_key);
		ck_assert(p[i].ops->fundamentals != NULL);
		/* every keyed provider now serves daily stock bars too */
		ck_assert(p[i].ops->fetch != NULL);
		ck_assert(p[i].ops->serves(MFS_CLASS_STOCK, MFS_TF_1D));
		ck_assert(p[i].ops->earliest(MFS_CLASS_STOCK, MFS_TF_1D, NOW) < NOW);
		ck_assert_double_eq(p[i].ops->default_rate_tokens, p[i].tokens);
		ck_assert_double_eq(p[i].ops->default_rate_period_s, p[i].period);
	}
	mfs_fmp_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out_sym, sizeof(out_sym));
	ck_assert_str_eq(out_sym, "BRK-B");
	mfs_tiingo_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out_sym, sizeof(out_sym));
	ck_assert_str_eq(out_sym, "BRK-B");
	mfs_polygon_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out_sym, sizeof(out_sym));
	ck_assert_str_eq(out_sym, "BRK.B"); /* Polygon keeps the dot */
	mfs_alphavantage_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out_sym, sizeof(out_sym));
	ck_assert_str_eq(out_sym, "BRK-B");
}
END_TEST

static Suite *fund_providers_suite(void)
{
	Suite *s = suite_create("fund_providers");
	TCase *helpers = tcase_create("helpers");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(helpers, test_set_date);
	tcase_add_test(helpers, test_scrub);
	tcase_add_test(helpers, test_looks_like_json);
	tcase_add_test(helpers, test_fmp_range);
	tcase_add_test(helpers, test_ops);
	suite_add_tcase(s, helpers);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_fmp_profile);
	tcase_add_test(par, test_fmp_profile_variants);
	tcase_add_test(par, test_fmp_profile_errors);
	tcase_add_test(par, test_fmp_ratios);
	tcase_add_test(par, test_fmp_ratios_strings);
	tcase_add_test(par, test_fmp_shares_float);
	tcase_add_test(par, test_fmp_shares_float_percent);
	tcase_add_test(par, test_av_overview);
	tcase_add_test(par, test_av_missing_values);
	tcase_add_test(par, test_av_errors);
	tcase_add_test(par, test_av_detected_key_not_in_message);
	tcase_add_test(par, test_polygon_ticker);
	tcase_add_test(par, test_polygon_weighted_shares);
	tcase_add_test(par, test_polygon_errors);
	tcase_add_test(par, test_tiingo_meta);
	tcase_add_test(par, test_tiingo_meta_errors);
	tcase_add_test(par, test_tiingo_daily_last_row);
	tcase_add_test(par, test_tiingo_daily_newest_first);
	tcase_add_test(par, test_tiingo_daily_errors);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, fetch_setup, fetch_teardown);
	tcase_add_test(fet, test_fmp_fetch);
	tcase_add_test(fet, test_fmp_fetch_secondary_refused);
	tcase_add_test(fet, test_fmp_fetch_secondary_throttled);
	tcase_add_test(fet, test_fmp_fetch_errors);
	tcase_add_test(fet, test_fmp_fetch_encodes);
	tcase_add_test(fet, test_av_fetch);
	tcase_add_test(fet, test_av_fetch_no_date);
	tcase_add_test(fet, test_polygon_fetch);
	tcase_add_test(fet, test_polygon_fetch_not_found);
	tcase_add_test(fet, test_tiingo_fetch);
	tcase_add_test(fet, test_tiingo_fetch_no_addon);
	tcase_add_test(fet, test_tiingo_fetch_throttled);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fund_providers_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
