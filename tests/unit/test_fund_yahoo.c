/*
 * Unit tests for Yahoo quoteSummary fundamentals (providers/fund_yahoo.c):
 * the crumb check, the request path, the parser against the fixtures in
 * tests/fixtures/yahoo/quoteSummary-*.json (every field mapping, nulls
 * for omitted modules, as_of, errors), and the cookie/crumb/retry flow
 * through fake GETs. Nothing here touches the network.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>

#include "providers/yahoo.h"
#include "testutil.h"

#define NOW 1739232000 /* 2025-02-11T00:00:00Z */

static struct mfs_fundamentals fund;
static struct mfs_error err;

static void setup(void)
{
	memset(&fund, 0, sizeof(fund));
	mfs_error_clear(&err);
	mfs_yahoo_crumb_reset();
}

static void teardown(void)
{
	mfs_fundamentals_free(&fund);
}

static enum mfs_err parse(const char *name, long status, const char *sym)
{
	size_t len;
	char *body = tu_fixture_in("yahoo", name, &len);
	enum mfs_err rc = mfs_yahoo_parse_quote_summary(status, body, len, sym, NOW, &fund, &err);

	free(body);
	return rc;
}

static enum mfs_err parse_text(const char *body, long status)
{
	return mfs_yahoo_parse_quote_summary(status, body, strlen(body), "AAPL", NOW, &fund, &err);
}

static const char *str(const char *key)
{
	json_t *v = json_object_get(fund.fields, key);

	ck_assert_msg(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}

static double num(const char *key)
{
	json_t *v = json_object_get(fund.fields, key);

	ck_assert_msg(json_is_number(v), "%s is not a number", key);
	return json_number_value(v);
}

static void assert_null(const char *key)
{
	json_t *v = json_object_get(fund.fields, key);

	ck_assert_msg(v != NULL, "%s is missing", key);
	ck_assert_msg(json_is_null(v), "%s is not null", key);
}

static void assert_all_fields_present(void)
{
	ck_assert_uint_eq(json_object_size(fund.fields), MFS_FUND_NFIELDS);
	for (int i = 0; i < MFS_FUND_NFIELDS; i++)
		ck_assert_msg(json_object_get(fund.fields, mfs_fund_fields[i]) != NULL,
			      "field %s missing", mfs_fund_fields[i]);
}

/* The AAPL values of PROVIDERS.md 1.3, in either formatted mode. */
static void assert_aapl(void)
{
	assert_all_fields_present();
	ck_assert_str_eq(str("symbol"), "AAPL");
	ck_assert_str_eq(str("name"), "Apple Inc.");
	ck_assert_str_eq(str("exchange"), "NasdaqGS");
	ck_assert_str_eq(str("currency"), "USD");
	ck_assert_str_eq(str("sector"), "Technology");
	ck_assert_str_eq(str("industry"), "Consumer Electronics");
	ck_assert(json_is_integer(json_object_get(fund.fields, "market_cap")));
	ck_assert_int_eq(json_integer_value(json_object_get(fund.fields, "market_cap")),
			 3688676720640LL);
	ck_assert_int_eq(json_integer_value(json_object_get(fund.fields, "shares_outstanding")),
			 15022100480LL);
	ck_assert_int_eq(json_integer_value(json_object_get(fund.fields, "float_shares")),
			 14998187904LL);
	ck_assert_double_eq(num("pe_ratio"), 38.91442);
	ck_assert_double_eq(num("eps"), 6.31);
	ck_assert_double_eq(num("dividend_yield"), 0.0041);
	ck_assert_double_eq(num("beta"), 1.2);
	ck_assert_double_eq(num("fifty_two_week_high"), 260.1);
	ck_assert_double_eq(num("fifty_two_week_low"), 164.08);
	ck_assert_ptr_nonnull(strstr(str("description"), "Apple Inc. designs, manufactures"));
	ck_assert_str_eq(str("website"), "https://www.apple.com");
	/* price.regularMarketTime 1739221201 */
	ck_assert_str_eq(str("as_of"), "2025-02-10T21:00:01Z");
}

/* --- crumb, path --------------------------------------------------------- */

START_TEST(test_crumb_good)
{
	char crumb[MFS_YAHOO_CRUMB_MAX];
	const char *body = "haT3oykhHqZ";

	ck_assert_int_eq(mfs_yahoo_check_crumb(200, body, strlen(body), crumb, sizeof(crumb),
					       &err),
			 MFS_OK);
	ck_assert_str_eq(crumb, "haT3oykhHqZ");
	/* Crumbs may hold '/' and '.'; a trailing newline is trimmed. */
	body = "Ab/c.D9xYz1\n";
	ck_assert_int_eq(mfs_yahoo_check_crumb(200, body, strlen(body), crumb, sizeof(crumb),
					       &err),
			 MFS_OK);
	ck_assert_str_eq(crumb, "Ab/c.D9xYz1");
}
END_TEST

START_TEST(test_crumb_bad)
{
	char crumb[MFS_YAHOO_CRUMB_MAX];
	char big[MFS_YAHOO_CRUMB_MAX + 10];
	const char *html = "<!DOCTYPE html><HTML><body>Will be right back</body></HTML>";
	const char *tmr = "Edge: Too Many Requests";
	const char *json = "{\"finance\":{\"result\":null,\"error\":{\"code\":\"Unauthorized\","
			   "\"description\":\"Invalid Cookie\"}}}";

	ck_assert_int_eq(mfs_yahoo_check_crumb(200, "", 0, crumb, sizeof(crumb), &err),
			 MFS_ERR_PARSE);
	ck_assert_str_eq(crumb, "");
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	ck_assert_int_eq(mfs_yahoo_check_crumb(200, " \r\n", 3, crumb, sizeof(crumb), &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_yahoo_check_crumb(200, NULL, 0, crumb, sizeof(crumb), &err),
			 MFS_ERR_PARSE);

	ck_assert_int_eq(mfs_yahoo_check_crumb(200, html, strlen(html), crumb, sizeof(crumb),
					       &err),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "HTML"));
	ck_assert_str_eq(crumb, "");

	ck_assert_int_eq(mfs_yahoo_check_crumb(200, tmr, strlen(tmr), crumb, sizeof(crumb), &err),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(mfs_yahoo_check_crumb(429, tmr, strlen(tmr), crumb, sizeof(crumb), &err),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "rate limited"));

	ck_assert_int_eq(mfs_yahoo_check_crumb(401, json, strlen(json), crumb, sizeof(crumb),
					       &err),
			 MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 401"));
	/* A 200 JSON body is not a crumb, and is not quoted. */
	ck_assert_int_eq(mfs_yahoo_check_crumb(200, json, strlen(json), crumb, sizeof(crumb),
					       &err),
			 MFS_ERR_PARSE);
	ck_assert_ptr_null(strstr(err.msg, "Unauthorized"));
	/* Inner spaces: not a crumb, and the would-be crumb is not shown. */
	ck_assert_int_eq(mfs_yahoo_check_crumb(200, "abc defghij", 11, crumb, sizeof(crumb),
					       &err),
			 MFS_ERR_PARSE);
	ck_assert_ptr_null(strstr(err.msg, "abc"));

	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(mfs_yahoo_check_crumb(200, big, sizeof(big), crumb, sizeof(crumb), &err),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "too long"));
}
END_TEST

START_TEST(test_crumb_refused)
{
	size_t len;
	char *body = tu_fixture("yahoo/quoteSummary-401-invalid-crumb.json", &len);

	ck_assert(mfs_yahoo_crumb_refused(401, body, len));
	ck_assert(!mfs_yahoo_crumb_refused(200, body, len));
	ck_assert(!mfs_yahoo_crumb_refused(401, "Unauthorized", 12));
	ck_assert(mfs_yahoo_crumb_refused(401, "{\"description\":\"Invalid Cookie\"}", 32));
	ck_assert(!mfs_yahoo_crumb_refused(401, NULL, 0));
	free(body);
}
END_TEST

START_TEST(test_path)
{
	char path[512];

	ck_assert_int_eq(mfs_yahoo_quote_summary_path("AAPL", "haT3oykhHqZ", path, sizeof(path)),
			 0);
	ck_assert_str_eq(path, "/v10/finance/quoteSummary/AAPL?modules=assetProfile,summaryDetail,"
			       "defaultKeyStatistics,price,financialData&formatted=false"
			       "&crumb=haT3oykhHqZ");
	ck_assert_int_eq(mfs_yahoo_quote_summary_path("^GSPC", "a/b.c", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, "/quoteSummary/%5EGSPC?modules="));
	ck_assert_ptr_nonnull(strstr(path, "&crumb=a%2Fb.c"));
	ck_assert_int_eq(mfs_yahoo_quote_summary_path("EURUSD=X", "x", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, "/quoteSummary/EURUSD%3DX?"));
	ck_assert_int_eq(mfs_yahoo_quote_summary_path("BRK-B", "x", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, "/quoteSummary/BRK-B?"));
	ck_assert_int_eq(mfs_yahoo_quote_summary_path("AAPL", "x", path, 20), -1);
	ck_assert_int_eq(mfs_yahoo_quote_summary_path("", "x", path, sizeof(path)), -1);
}
END_TEST

/* --- parser -------------------------------------------------------------- */

START_TEST(test_parse_aapl)
{
	ck_assert_int_eq(parse("quoteSummary-AAPL.json", 200, "AAPL"), MFS_OK);
	assert_aapl();
	/* raw is result[0], every module of it, and nothing else. */
	ck_assert(json_is_object(fund.raw));
	ck_assert_ptr_nonnull(json_object_get(fund.raw, "assetProfile"));
	ck_assert_ptr_nonnull(json_object_get(fund.raw, "financialData"));
	ck_assert_ptr_null(json_object_get(fund.raw, "quoteSummary"));
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(fund.raw, "assetProfile"), "fullTimeEmployees")),
			 150000);
}
END_TEST

START_TEST(test_parse_formatted)
{
	ck_assert_int_eq(parse("quoteSummary-AAPL-formatted.json", 200, "AAPL"), MFS_OK);
	assert_aapl();
}
END_TEST

START_TEST(test_parse_partial)
{
	/* EURUSD=X: only summaryDetail, quoteType, price. */
	ck_assert_int_eq(parse("quoteSummary-EURUSD=X-partial.json", 200, "EURUSD=X"), MFS_OK);
	assert_all_fields_present();
	ck_assert_str_eq(str("symbol"), "EURUSD=X");
	ck_assert_str_eq(str("name"), "EUR/USD"); /* longName null: shortName */
	ck_assert_str_eq(str("exchange"), "CCY");
	ck_assert_str_eq(str("currency"), "USD");
	ck_assert_double_eq(num("fifty_two_week_high"), 1.1214);
	ck_assert_double_eq(num("fifty_two_week_low"), 1.0179);
	ck_assert_str_eq(str("as_of"), "2025-02-10T22:00:00Z");
	/* assetProfile and defaultKeyStatistics absent; beta null; no caps. */
	assert_null("sector");
	assert_null("industry");
	assert_null("description");
	assert_null("website");
	assert_null("shares_outstanding");
	assert_null("float_shares");
	assert_null("eps");
	assert_null("market_cap");
	assert_null("pe_ratio");
	assert_null("dividend_yield");
	assert_null("beta");
	ck_assert_ptr_nonnull(json_object_get(fund.raw, "quoteType"));
}
END_TEST

START_TEST(test_parse_fallbacks)
{
	/* Each fallback of the mapping, and as_of from now without a time. */
	const char *body =
		"{\"quoteSummary\":{\"result\":[{"
		"\"price\":{\"longName\":null,\"shortName\":\"Short Co\",\"exchange\":\"NYQ\","
		"\"currency\":null,\"marketCap\":null},"
		"\"summaryDetail\":{\"currency\":\"EUR\",\"marketCap\":{\"raw\":123456,"
		"\"fmt\":\"123K\"},\"trailingPE\":\"Infinity\",\"beta\":{}}}],\"error\":null}}";

	ck_assert_int_eq(parse_text(body, 200), MFS_OK);
	ck_assert_str_eq(str("name"), "Short Co");
	ck_assert_str_eq(str("exchange"), "NYQ");
	ck_assert_str_eq(str("currency"), "EUR");
	ck_assert_int_eq(json_integer_value(json_object_get(fund.fields, "market_cap")), 123456);
	assert_null("pe_ratio"); /* not finite */
	assert_null("beta");     /* formatted=true's {} */
	ck_assert_str_eq(str("as_of"), "2025-02-11T00:00:00Z");
	mfs_fundamentals_free(&fund);

	/* price wins over summaryDetail when both are there. */
	body = "{\"quoteSummary\":{\"result\":[{\"price\":{\"currency\":\"GBp\",\"marketCap\":7,"
	       "\"exchangeName\":\"LSE\",\"exchange\":\"LSE\",\"regularMarketTime\":0},"
	       "\"summaryDetail\":{\"currency\":\"GBP\",\"marketCap\":8}}],\"error\":null}}";
	ck_assert_int_eq(parse_text(body, 200), MFS_OK);
	ck_assert_str_eq(str("currency"), "GBp");
	ck_assert_int_eq(json_integer_value(json_object_get(fund.fields, "market_cap")), 7);
	ck_assert_str_eq(str("as_of"), "2025-02-11T00:00:00Z");
	assert_null("name");
	mfs_fundamentals_free(&fund);

	/* An empty result[0]: every field null but symbol and as_of. */
	ck_assert_int_eq(parse_text("{\"quoteSummary\":{\"result\":[{}],\"error\":null}}", 200),
			 MFS_OK);
	assert_all_fields_present();
	assert_null("name");
	assert_null("market_cap");
	ck_assert_str_eq(str("symbol"), "AAPL");
}
END_TEST

START_TEST(test_parse_not_found)
{
	ck_assert_int_eq(parse("quoteSummary-404-none-found.json", 404, "NOPE"), MFS_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "NOPE"));
	ck_assert_ptr_nonnull(strstr(err.msg, "No fundamentals data found"));
	ck_assert_ptr_null(fund.fields);
	ck_assert_ptr_null(fund.raw);
	/* An empty result with 200 means the same. */
	ck_assert_int_eq(parse_text("{\"quoteSummary\":{\"result\":[],\"error\":null}}", 200),
			 MFS_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_parse_errors)
{
	ck_assert_int_eq(parse("quoteSummary-401-invalid-crumb.json", 401, "AAPL"), MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "Invalid Crumb"));

	ck_assert_int_eq(parse("quoteSummary-AAPL-malformed.json", 200, "AAPL"), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed"));

	ck_assert_int_eq(parse("quoteSummary-200-html.json", 200, "AAPL"), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not JSON"));
	ck_assert_int_eq(parse("quoteSummary-200-html.json", 503, "AAPL"), MFS_ERR_SERVER);

	ck_assert_int_eq(parse_text("Too Many Requests", 429), MFS_ERR_RATE_LIMIT);
	ck_assert_int_eq(parse_text("", 200), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text("{\"chart\":{}}", 200), MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text("{\"quoteSummary\":{\"result\":[42],\"error\":null}}", 200),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(parse_text("{\"quoteSummary\":{\"result\":null,\"error\":null}}", 500),
			 MFS_ERR_SERVER);
	ck_assert_ptr_null(fund.fields);
	ck_assert_ptr_null(fund.raw);
}
END_TEST

/* --- the flow, with fake GETs --------------------------------------------- */

#define FAKE_MAX 8

static struct {
	unsigned cookie_calls, calls;
	char urls[FAKE_MAX][256];
	char paths[FAKE_MAX][512];
	char cookie_hdr[FAKE_MAX][256];
	const char *crumbs[FAKE_MAX]; /* getcrumb answers, in order */
	unsigned n_crumb;
	const char *summary[FAKE_MAX]; /* quoteSummary fixtures, in order */
	long summary_status[FAKE_MAX];
	unsigned n_summary;
	enum mfs_err cookie_rc;
} fake;

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
}

static enum mfs_err fake_url_get(struct mfs_fetch_ctx *ctx, const char *url,
				 struct mfs_http_response *resp, struct mfs_error *e)
{
	ck_assert_uint_lt(fake.cookie_calls, FAKE_MAX);
	snprintf(fake.urls[fake.cookie_calls++], sizeof(fake.urls[0]), "%s", url);
	ctx->requests++;
	memset(resp, 0, sizeof(*resp));
	if (fake.cookie_rc != MFS_OK)
		return mfs_error_set(e, fake.cookie_rc, "%s: Could not resolve host", url);
	resp->status = 404;
	resp->body = strdup("<html>nothing here</html>");
	resp->len = strlen(resp->body);
	snprintf(resp->cookies, sizeof(resp->cookies), "A3=d=SECRETCOOKIE%u; A1=d=x",
		 fake.cookie_calls);
	return MFS_OK;
}

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	unsigned i = fake.calls++;

	ck_assert_uint_lt(i, FAKE_MAX);
	snprintf(fake.paths[i], sizeof(fake.paths[0]), "%s", path_and_query);
	if (headers && headers[0])
		snprintf(fake.cookie_hdr[i], sizeof(fake.cookie_hdr[0]), "%s", headers[0]);
	ctx->requests++;
	memset(resp, 0, sizeof(*resp));
	if (strcmp(path_and_query, "/v1/test/getcrumb") == 0) {
		ck_assert_uint_gt(fake.n_crumb, 0);
		resp->status = 200;
		resp->body = strdup(fake.crumbs[0]);
		resp->len = strlen(resp->body);
		if (fake.n_crumb > 1) {
			memmove(fake.crumbs, fake.crumbs + 1,
				sizeof(fake.crumbs[0]) * (FAKE_MAX - 1));
			fake.n_crumb--;
		}
		return MFS_OK;
	}
	ck_assert_uint_gt(fake.n_summary, 0);
	resp->status = fake.summary_status[0];
	resp->body = tu_fixture_in("yahoo", fake.summary[0], &resp->len);
	if (fake.n_summary > 1) {
		memmove(fake.summary, fake.summary + 1, sizeof(fake.summary[0]) * (FAKE_MAX - 1));
		memmove(fake.summary_status, fake.summary_status + 1,
			sizeof(fake.summary_status[0]) * (FAKE_MAX - 1));
		fake.n_summary--;
	}
	return MFS_OK;
}

START_TEST(test_flow_cached_crumb)
{
	struct mfs_fetch_ctx ctx = { .now = NOW };

	fake_reset();
	fake.crumbs[0] = "haT3o/khHqZ\n";
	fake.n_crumb = 1;
	fake.summary[0] = "quoteSummary-AAPL.json";
	fake.summary_status[0] = 200;
	fake.n_summary = 1;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "AAPL", "AAPL",
						     &fund, &err),
			 MFS_OK);
	assert_aapl();
	ck_assert_uint_eq(fake.cookie_calls, 1);
	ck_assert_str_eq(fake.urls[0], "https://fc.yahoo.com");
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_uint_eq(ctx.requests, 3);
	ck_assert_str_eq(fake.paths[0], "/v1/test/getcrumb");
	ck_assert_str_eq(fake.cookie_hdr[0], "Cookie: A3=d=SECRETCOOKIE1; A1=d=x");
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "/v10/finance/quoteSummary/AAPL?modules="));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "&crumb=haT3o%2FkhHqZ"));
	ck_assert_str_eq(fake.cookie_hdr[1], "Cookie: A3=d=SECRETCOOKIE1; A1=d=x");
	mfs_fundamentals_free(&fund);

	/* The second fetch reuses the pair: one request, and the symbol encoded. */
	ctx.requests = 0;
	fake.summary[0] = "quoteSummary-EURUSD=X-partial.json";
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "EURUSD=X",
						     "EURUSD=X", &fund, &err),
			 MFS_OK);
	ck_assert_uint_eq(fake.cookie_calls, 1);
	ck_assert_uint_eq(fake.calls, 3);
	ck_assert_uint_eq(ctx.requests, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[2], "/quoteSummary/EURUSD%3DX?"));
	ck_assert_ptr_nonnull(strstr(fake.paths[2], "&crumb=haT3o%2FkhHqZ"));
	ck_assert_str_eq(str("symbol"), "EURUSD=X");
}
END_TEST

START_TEST(test_flow_invalid_crumb_retry)
{
	struct mfs_fetch_ctx ctx = { .now = NOW };

	fake_reset();
	fake.crumbs[0] = "oldcrumb";
	fake.crumbs[1] = "newcrumb";
	fake.n_crumb = 2;
	fake.summary[0] = "quoteSummary-401-invalid-crumb.json";
	fake.summary_status[0] = 401;
	fake.summary[1] = "quoteSummary-AAPL.json";
	fake.summary_status[1] = 200;
	fake.n_summary = 2;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "BRK.B", "BRK-B",
						     &fund, &err),
			 MFS_OK);
	/* cookie, crumb, 401, cookie, crumb, 200 */
	ck_assert_uint_eq(fake.cookie_calls, 2);
	ck_assert_uint_eq(fake.calls, 4);
	ck_assert_uint_eq(ctx.requests, 6);
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "/quoteSummary/BRK-B?"));
	ck_assert_ptr_nonnull(strstr(fake.paths[1], "&crumb=oldcrumb"));
	ck_assert_ptr_nonnull(strstr(fake.paths[3], "&crumb=newcrumb"));
	ck_assert_str_eq(fake.cookie_hdr[3], "Cookie: A3=d=SECRETCOOKIE2; A1=d=x");
	ck_assert_str_eq(str("symbol"), "BRK.B"); /* the path's name, not Yahoo's */
}
END_TEST

START_TEST(test_flow_invalid_crumb_twice)
{
	struct mfs_fetch_ctx ctx = { .now = NOW };

	fake_reset();
	fake.crumbs[0] = "SeCrEtCrUmB";
	fake.n_crumb = 1;
	fake.summary[0] = "quoteSummary-401-invalid-crumb.json";
	fake.summary_status[0] = 401;
	fake.n_summary = 1;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "AAPL", "AAPL",
						     &fund, &err),
			 MFS_ERR_SERVER);
	/* Retried once only. */
	ck_assert_uint_eq(fake.cookie_calls, 2);
	ck_assert_uint_eq(fake.calls, 4);
	ck_assert_ptr_nonnull(strstr(err.msg, "Invalid Crumb"));
	ck_assert_ptr_null(strstr(err.msg, "SeCrEtCrUmB"));
	ck_assert_ptr_null(strstr(err.msg, "SECRETCOOKIE"));
	ck_assert_ptr_null(fund.fields);

	/* The refused pair is not kept: the next fetch gets a new one. */
	fake.summary[0] = "quoteSummary-AAPL.json";
	fake.summary_status[0] = 200;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "AAPL", "AAPL",
						     &fund, &err),
			 MFS_OK);
	ck_assert_uint_eq(fake.cookie_calls, 3);
}
END_TEST

START_TEST(test_flow_errors)
{
	struct mfs_fetch_ctx ctx = { .now = NOW };

	/* Not found: one 404, no retry, the pair kept. */
	fake_reset();
	fake.crumbs[0] = "abc";
	fake.n_crumb = 1;
	fake.summary[0] = "quoteSummary-404-none-found.json";
	fake.summary_status[0] = 404;
	fake.n_summary = 1;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "NOPE", "NOPE",
						     &fund, &err),
			 MFS_ERR_NOT_FOUND);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "NOPE", "NOPE",
						     &fund, &err),
			 MFS_ERR_NOT_FOUND);
	ck_assert_uint_eq(fake.cookie_calls, 1);
	ck_assert_uint_eq(fake.calls, 3);

	/* An HTML crumb stops before quoteSummary, and nothing is cached. */
	mfs_yahoo_crumb_reset();
	fake_reset();
	fake.crumbs[0] = "<html><body>Will be right back</body></html>";
	fake.n_crumb = 1;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "AAPL", "AAPL",
						     &fund, &err),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "AAPL", "AAPL",
						     &fund, &err),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(fake.cookie_calls, 2);

	/* The cookie host unreachable. */
	fake_reset();
	fake.cookie_rc = MFS_ERR_TRANSPORT;
	ck_assert_int_eq(mfs_yahoo_fundamentals_with(fake_get, fake_url_get, &ctx, "AAPL", "AAPL",
						     &fund, &err),
			 MFS_ERR_TRANSPORT);
	ck_assert_ptr_nonnull(strstr(err.msg, "cookie"));
	ck_assert_uint_eq(fake.calls, 0);
	ck_assert_ptr_null(fund.fields);
}
END_TEST

START_TEST(test_ops_wired)
{
	ck_assert(mfs_yahoo_ops.fundamentals == mfs_yahoo_fundamentals);
}
END_TEST

static Suite *fund_yahoo_suite(void)
{
	Suite *s = suite_create("fund_yahoo");
	TCase *crumb = tcase_create("crumb");
	TCase *par = tcase_create("parse");
	TCase *flow = tcase_create("flow");

	tcase_add_checked_fixture(crumb, setup, teardown);
	tcase_add_test(crumb, test_crumb_good);
	tcase_add_test(crumb, test_crumb_bad);
	tcase_add_test(crumb, test_crumb_refused);
	tcase_add_test(crumb, test_path);
	suite_add_tcase(s, crumb);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_aapl);
	tcase_add_test(par, test_parse_formatted);
	tcase_add_test(par, test_parse_partial);
	tcase_add_test(par, test_parse_fallbacks);
	tcase_add_test(par, test_parse_not_found);
	tcase_add_test(par, test_parse_errors);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(flow, setup, teardown);
	tcase_add_test(flow, test_flow_cached_crumb);
	tcase_add_test(flow, test_flow_invalid_crumb_retry);
	tcase_add_test(flow, test_flow_invalid_crumb_twice);
	tcase_add_test(flow, test_flow_errors);
	tcase_add_test(flow, test_ops_wired);
	suite_add_tcase(s, flow);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fund_yahoo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
