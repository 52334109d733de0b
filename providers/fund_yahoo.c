/*
 * Yahoo quoteSummary fundamentals (PROVIDERS.md sections 1.2 and 1.3).
 *
 * quoteSummary wants a cookie and a crumb: the cookie comes from any GET
 * of the cookie host (fc.yahoo.com, whatever its status), the crumb from
 * /v1/test/getcrumb with that cookie. Getting them costs two requests, so
 * one pair is kept for the whole process (at most an hour) and shared by
 * every fetch thread; a 401 "Invalid Crumb" drops it and the request is
 * tried once more with a new pair. The pair is fetched outside the lock:
 * two threads may both fetch one at start, which is harmless, and no
 * thread ever waits on another's network I/O.
 *
 * The parser is pure: it takes an answer and fills the common fields
 * (SPEC section 2) plus raw = result[0]. Modules Yahoo has no data for
 * are omitted from result[0], and that is never an error; only a 404
 * "No fundamentals data found" means Yahoo knows nothing of the symbol.
 *
 * The cookie and the crumb are secrets of a kind (they identify this
 * client): neither ever goes into a message, and raw never holds them.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "providers/yahoo.h"

#define YAHOO_COOKIE_URL_DEFAULT "https://fc.yahoo.com"
#define YAHOO_CRUMB_PATH "/v1/test/getcrumb"
#define YAHOO_MODULES "assetProfile,summaryDetail,defaultKeyStatistics,price,financialData"
/* fc.yahoo.com answers with a small error page; nothing in it is needed. */
#define YAHOO_COOKIE_MAX_BODY_BYTES ((size_t)1024 * 1024)
#define YAHOO_SESSION_TTL_MS ((int64_t)3600 * 1000)
#define YAHOO_SESSION_KEY_MAX 1024

_Static_assert(sizeof(((struct mfs_http_response *)0)->cookies) <= MFS_YAHOO_COOKIE_MAX,
	       "a session must hold every cookie a response can carry");

struct yahoo_session {
	char cookies[MFS_YAHOO_COOKIE_MAX]; /* "A3=...; A1=..." for a Cookie: header */
	char crumb[MFS_YAHOO_CRUMB_MAX];
};

/*
 * The process-wide cookie and crumb. mu guards every member; it is never
 * held across a request.
 */
static struct {
	pthread_mutex_t mu;
	bool valid;
	char key[YAHOO_SESSION_KEY_MAX]; /* base_url and cookie_url they came from */
	int64_t got_ms;                  /* mfs_now_ms() when they were got */
	struct yahoo_session s;
} session_cache = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* ---- small text helpers ------------------------------------------------ */

/* Case-insensitive search for needle in the first len bytes of hay. */
static bool contains_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (!hay || n == 0 || n > len)
		return false;
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

/* ---- crumb ------------------------------------------------------------- */

enum mfs_err mfs_yahoo_check_crumb(long status, const char *body, size_t len, char *crumb,
				   size_t crumblen, struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	size_t a = 0, b;

	if (crumblen)
		crumb[0] = '\0';
	if (!body)
		len = 0;
	mfs_http_body_snippet(body, len, text, sizeof(text));
	if (status == 429 || status == 418 || contains_ci(body, len, "Too Many Requests"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     "yahoo: getcrumb: rate limited (HTTP %ld: \"%s\")", status,
				     text);
	if (contains_ci(body, len, "<html"))
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: getcrumb: HTTP %ld: an HTML page instead of a crumb "
				     "(\"%s\")",
				     status, text);
	if (status != 200)
		/* Not a crumb, so the body may be shown: usually a JSON error. */
		return mfs_error_set(err, MFS_ERR_SERVER, "yahoo: getcrumb: HTTP %ld: \"%s\"",
				     status, text);

	while (a < len && isspace((unsigned char)body[a]))
		a++;
	b = len;
	while (b > a && isspace((unsigned char)body[b - 1]))
		b--;
	if (a == b)
		return mfs_error_set(err, MFS_ERR_PARSE, "yahoo: getcrumb: empty crumb");
	/* From here on the body may be a crumb: say what is wrong, not what it is. */
	if (b - a >= crumblen)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: getcrumb: a %zu-byte answer is too long for a crumb",
				     b - a);
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c <= 0x20 || c >= 0x7f || c == '{' || c == '<' || c == '"')
			return mfs_error_set(err, MFS_ERR_PARSE,
					     "yahoo: getcrumb: a %zu-byte answer that is not a "
					     "crumb (byte %zu is 0x%02x)",
					     b - a, i - a, c);
	}
	memcpy(crumb, body + a, b - a);
	crumb[b - a] = '\0';
	return MFS_OK;
}

bool mfs_yahoo_crumb_refused(long status, const char *body, size_t len)
{
	if (status != 401 || !body)
		return false;
	return contains_ci(body, len, "Invalid Crumb") || contains_ci(body, len, "Invalid Cookie");
}

int mfs_yahoo_quote_summary_path(const char *symbol, const char *crumb, char *out, size_t outlen)
{
	char sym[3 * 2 * MFS_SYMBOL_MAX + 1], enc_crumb[3 * MFS_YAHOO_CRUMB_MAX + 1];
	int n;

	if (!symbol || !*symbol || !crumb)
		return -1;
	/* ^GSPC and EURUSD=X go out as %5EGSPC and EURUSD%3DX; crumbs may hold '/'. */
	if (mfs_http_urlencode(symbol, sym, sizeof(sym)) < 0 ||
	    mfs_http_urlencode(crumb, enc_crumb, sizeof(enc_crumb)) < 0)
		return -1;
	n = snprintf(out, outlen,
		     "/v10/finance/quoteSummary/%s?modules=" YAHOO_MODULES
		     "&formatted=false&crumb=%s",
		     sym, enc_crumb);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

/* ---- the parser ---------------------------------------------------------- */

/*
 * A module's value, or NULL if absent or null. formatted=true sends
 * numbers as {"raw":…,"fmt":…} and missing ones as {}: take raw.
 */
static json_t *value(json_t *module, const char *key)
{
	json_t *v = json_object_get(module, key);

	if (json_is_object(v))
		v = json_object_get(v, "raw");
	if (!v || json_is_null(v))
		return NULL;
	return v;
}

static const char *str_value(json_t *module, const char *key)
{
	return json_string_value(value(module, key));
}

/* A module of result[0], or NULL if Yahoo sent none for this symbol. */
static json_t *module(json_t *r0, const char *name)
{
	json_t *m = json_object_get(r0, name);

	return json_is_object(m) ? m : NULL;
}

/* Set key from first, or from second where first has nothing usable. */
static void set_str2(json_t *fields, const char *key, const char *first, const char *second)
{
	mfs_fund_set_str(fields, key, second);
	mfs_fund_set_str(fields, key, first); /* the setter ignores "", "N/A"... */
}

static void set_num2(json_t *fields, const char *key, const json_t *first, const json_t *second)
{
	mfs_fund_set_num(fields, key, second);
	mfs_fund_set_num(fields, key, first); /* a non-number leaves second's value */
}

static void set_as_of(json_t *fields, json_t *price, int64_t now)
{
	json_t *t = value(price, "regularMarketTime");
	int64_t when = now;
	time_t tt;
	struct tm tm;
	char buf[32];

	if (json_is_integer(t) && json_integer_value(t) > 0)
		when = (int64_t)json_integer_value(t);
	else if (json_is_real(t) && json_real_value(t) > 0 && json_real_value(t) < 1e15)
		when = (int64_t)json_real_value(t);
	tt = (time_t)when;
	if (!gmtime_r(&tt, &tm))
		return;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(fields, "as_of", json_string(buf));
}

static void fill_fields(json_t *f, json_t *r0, int64_t now)
{
	json_t *profile = module(r0, "assetProfile");
	json_t *summary = module(r0, "summaryDetail");
	json_t *stats = module(r0, "defaultKeyStatistics");
	json_t *price = module(r0, "price");

	set_str2(f, "name", str_value(price, "longName"), str_value(price, "shortName"));
	set_str2(f, "exchange", str_value(price, "exchangeName"), str_value(price, "exchange"));
	set_str2(f, "currency", str_value(price, "currency"), str_value(summary, "currency"));
	mfs_fund_set_str(f, "sector", str_value(profile, "sector"));
	mfs_fund_set_str(f, "industry", str_value(profile, "industry"));
	set_num2(f, "market_cap", value(price, "marketCap"), value(summary, "marketCap"));
	mfs_fund_set_num(f, "shares_outstanding", value(stats, "sharesOutstanding"));
	mfs_fund_set_num(f, "float_shares", value(stats, "floatShares"));
	mfs_fund_set_num(f, "pe_ratio", value(summary, "trailingPE"));
	mfs_fund_set_num(f, "eps", value(stats, "trailingEps"));
	/* A fraction (0.0041 is 0.41 %), in both formatted modes. */
	mfs_fund_set_num(f, "dividend_yield", value(summary, "dividendYield"));
	mfs_fund_set_num(f, "beta", value(summary, "beta"));
	mfs_fund_set_num(f, "fifty_two_week_high", value(summary, "fiftyTwoWeekHigh"));
	mfs_fund_set_num(f, "fifty_two_week_low", value(summary, "fiftyTwoWeekLow"));
	mfs_fund_set_str(f, "description", str_value(profile, "longBusinessSummary"));
	mfs_fund_set_str(f, "website", str_value(profile, "website"));
	set_as_of(f, price, now);
}

/* A body that is not JSON: by status, with an excerpt. */
static enum mfs_err text_error(long status, const char *sym, const char *body, size_t len,
			       struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];

	mfs_http_body_snippet(body, len, text, sizeof(text));
	if (status == 429 || status == 418 || contains_ci(body, len, "Too Many Requests"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     "yahoo: %s: rate limited (HTTP %ld: \"%s\")", sym, status,
				     text);
	if (status == 200)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: quoteSummary answer is not JSON: \"%s\"", sym,
				     text);
	return mfs_error_set(err, MFS_ERR_SERVER, "yahoo: %s: quoteSummary HTTP %ld: \"%s\"", sym,
			     status, text);
}

/* quoteSummary.error (or finance.error, the shape of a 401). */
static enum mfs_err answer_error(long status, const char *sym, json_t *error,
				 struct mfs_error *err)
{
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *desc = json_string_value(json_object_get(error, "description"));

	if (!code)
		code = "?";
	if (!desc)
		desc = "";
	if (status == 404 || strcmp(code, "Not Found") == 0)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "yahoo: %s: no fundamentals (%s)", sym,
				     *desc ? desc : code);
	if (status == 429 || status == 418)
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, "yahoo: %s: rate limited (%s)", sym,
				     *desc ? desc : code);
	if (status == 401 || strcmp(code, "Unauthorized") == 0)
		return mfs_error_set(err, MFS_ERR_SERVER,
				     "yahoo: %s: quoteSummary refused the cookie/crumb "
				     "(HTTP %ld: %s)",
				     sym, status, *desc ? desc : code);
	return mfs_error_set(err, MFS_ERR_SERVER, "yahoo: %s: quoteSummary HTTP %ld, error %s: %s",
			     sym, status, code, desc);
}

enum mfs_err mfs_yahoo_parse_quote_summary(long status, const char *body, size_t len,
					   const char *symbol, int64_t now,
					   struct mfs_fundamentals *out, struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	json_t *root, *qs, *error, *result, *r0, *fields;
	json_error_t jerr;
	enum mfs_err rc;

	if (!body)
		len = 0;
	if (!mfs_http_body_is_json(body, len))
		return text_error(status, sym, body, len, err);
	root = json_loadb(body, len, 0, &jerr);
	if (!root)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: malformed quoteSummary JSON (HTTP %ld): "
				     "%s at line %d",
				     sym, status, jerr.text, jerr.line);

	qs = json_object_get(root, "quoteSummary");
	if (!json_is_object(qs))
		qs = json_object_get(root, "finance");
	error = json_object_get(qs, "error");
	result = json_object_get(qs, "result");
	if (error && !json_is_null(error)) {
		rc = answer_error(status, sym, error, err);
		goto out;
	}
	if (status != 200) {
		rc = text_error(status, sym, body, len, err);
		goto out;
	}
	if (!json_is_array(result)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, "yahoo: %s: no quoteSummary.result", sym);
		goto out;
	}
	if (json_array_size(result) == 0) {
		rc = mfs_error_set(err, MFS_ERR_NOT_FOUND,
				   "yahoo: %s: no fundamentals (empty result)", sym);
		goto out;
	}
	r0 = json_array_get(result, 0);
	if (!json_is_object(r0)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE,
				   "yahoo: %s: quoteSummary.result[0] is not an object", sym);
		goto out;
	}

	fields = mfs_fund_new(symbol);
	if (!fields) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "yahoo: %s: out of memory", sym);
		goto out;
	}
	fill_fields(fields, r0, now);
	out->fields = fields;
	out->raw = json_incref(r0);
	rc = MFS_OK;
out:
	json_decref(root);
	return rc;
}

/* ---- the session cache --------------------------------------------------- */

void mfs_yahoo_crumb_reset(void)
{
	pthread_mutex_lock(&session_cache.mu);
	session_cache.valid = false;
	memset(&session_cache.s, 0, sizeof(session_cache.s));
	pthread_mutex_unlock(&session_cache.mu);
}

/* Copy the cached pair for key into *s if there is a fresh one. */
static bool session_take(const char *key, struct yahoo_session *s)
{
	bool ok;

	pthread_mutex_lock(&session_cache.mu);
	ok = session_cache.valid && strcmp(session_cache.key, key) == 0 &&
	     mfs_now_ms() - session_cache.got_ms < YAHOO_SESSION_TTL_MS;
	if (ok)
		*s = session_cache.s;
	pthread_mutex_unlock(&session_cache.mu);
	return ok;
}

static void session_put(const char *key, const struct yahoo_session *s)
{
	pthread_mutex_lock(&session_cache.mu);
	snprintf(session_cache.key, sizeof(session_cache.key), "%s", key);
	session_cache.s = *s;
	session_cache.got_ms = mfs_now_ms();
	session_cache.valid = true;
	pthread_mutex_unlock(&session_cache.mu);
}

/* Forget the pair Yahoo refused, unless another thread has replaced it. */
static void session_drop(const char *key, const struct yahoo_session *refused)
{
	pthread_mutex_lock(&session_cache.mu);
	if (session_cache.valid && strcmp(session_cache.key, key) == 0 &&
	    strcmp(session_cache.s.crumb, refused->crumb) == 0) {
		session_cache.valid = false;
		memset(&session_cache.s, 0, sizeof(session_cache.s));
	}
	pthread_mutex_unlock(&session_cache.mu);
}

/* ---- the fetch ------------------------------------------------------------ */

static const char *cookie_url_of(const struct mfs_fetch_ctx *ctx)
{
	const struct mfs_provider_conf *conf = ctx->prov ? mfs_provider_conf(ctx->prov) : NULL;

	return conf && conf->cookie_url && *conf->cookie_url ? conf->cookie_url
							       : YAHOO_COOKIE_URL_DEFAULT;
}

/* GET the cookie host directly: mfs_provider_get() would prepend base_url. */
static enum mfs_err cookie_get(struct mfs_fetch_ctx *ctx, const char *url,
			       struct mfs_http_response *resp, struct mfs_error *err)
{
	const struct mfs_provider_conf *conf = mfs_provider_conf(ctx->prov);
	struct mfs_http_request req = {
		.url = url,
		.user_agent = conf->user_agent ? conf->user_agent : mfs_yahoo_ops.user_agent,
		.max_body_bytes = YAHOO_COOKIE_MAX_BODY_BYTES,
		.deadline_ms = ctx->deadline_ms,
		.allow_insecure = conf->allow_insecure,
		.follow_redirects = true,
	};

	ctx->requests++;
	return mfs_http_get(ctx->http, &req, resp, err);
}

/* A new cookie (from the cookie host) and crumb (from getcrumb). */
static enum mfs_err new_session(mfs_yahoo_get_fn get, mfs_yahoo_url_get_fn get_url,
				struct mfs_fetch_ctx *ctx, struct yahoo_session *s,
				struct mfs_error *err)
{
	struct mfs_http_response resp = { .retry_after_s = -1 };
	char header[sizeof(s->cookies) + 16];
	const char *headers[2] = { NULL, NULL };
	const char *url = cookie_url_of(ctx);
	enum mfs_err rc;

	memset(s, 0, sizeof(*s));
	rc = get_url(ctx, url, &resp, err);
	if (rc != MFS_OK) {
		if (err) {
			char m[MFS_ERRMSG_MAX];

			snprintf(m, sizeof(m), "yahoo: getting a cookie: %s", err->msg);
			memcpy(err->msg, m, sizeof(m));
		}
		mfs_http_response_free(&resp);
		return rc;
	}
	/* The status does not matter: only the Set-Cookie headers do. */
	snprintf(s->cookies, sizeof(s->cookies), "%s", resp.cookies);
	mfs_debug("yahoo: cookie host answered HTTP %ld with %s cookie", resp.status,
		  s->cookies[0] ? "a" : "no");
	mfs_http_response_free(&resp);

	if (s->cookies[0]) {
		snprintf(header, sizeof(header), "Cookie: %s", s->cookies);
		headers[0] = header;
	}
	rc = get(ctx, YAHOO_CRUMB_PATH, headers, &resp, err);
	if (rc == MFS_OK)
		rc = mfs_yahoo_check_crumb(resp.status, resp.body, resp.len, s->crumb,
					   sizeof(s->crumb), err);
	mfs_http_response_free(&resp);
	return rc;
}

enum mfs_err mfs_yahoo_fundamentals_with(mfs_yahoo_get_fn get, mfs_yahoo_url_get_fn get_url,
					 struct mfs_fetch_ctx *ctx, const char *symbol,
					 const char *provider_symbol, struct mfs_fundamentals *out,
					 struct mfs_error *err)
{
	const char *sym = provider_symbol && *provider_symbol ? provider_symbol : symbol;
	const struct mfs_provider_conf *conf = ctx->prov ? mfs_provider_conf(ctx->prov) : NULL;
	char key[YAHOO_SESSION_KEY_MAX], path[1024], header[MFS_YAHOO_COOKIE_MAX + 16];
	struct yahoo_session s;
	enum mfs_err rc = MFS_OK;

	if (!sym || !*sym)
		return mfs_error_set(err, MFS_ERR_INVALID, "yahoo: fundamentals without a symbol");
	snprintf(key, sizeof(key), "%s %s", conf && conf->base_url ? conf->base_url : "",
		 cookie_url_of(ctx));

	/* A refused crumb is replaced and the request tried once more. */
	for (int attempt = 0; attempt < 2; attempt++) {
		struct mfs_http_response resp = { .retry_after_s = -1 };
		const char *headers[2] = { NULL, NULL };
		bool refused;

		if (!session_take(key, &s)) {
			rc = new_session(get, get_url, ctx, &s, err);
			if (rc != MFS_OK)
				return rc;
			session_put(key, &s);
		}
		if (mfs_yahoo_quote_summary_path(sym, s.crumb, path, sizeof(path)) < 0)
			return mfs_error_set(err, MFS_ERR_INVALID,
					     "yahoo: %s: cannot build the quoteSummary request",
					     sym);
		if (s.cookies[0]) {
			snprintf(header, sizeof(header), "Cookie: %s", s.cookies);
			headers[0] = header;
		}
		rc = get(ctx, path, headers, &resp, err);
		refused = rc == MFS_OK && mfs_yahoo_crumb_refused(resp.status, resp.body, resp.len);
		if (refused)
			session_drop(key, &s); /* the next fetch must not reuse it either */
		if (refused && attempt == 0) {
			mfs_info("yahoo: %s: crumb refused (HTTP 401), getting a new one", sym);
			mfs_http_response_free(&resp);
			continue;
		}
		if (rc == MFS_OK)
			rc = mfs_yahoo_parse_quote_summary(resp.status, resp.body, resp.len,
							   symbol ? symbol : sym, ctx->now, out,
							   err);
		mfs_http_response_free(&resp);
		break;
	}
	return rc;
}

enum mfs_err mfs_yahoo_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				    const char *provider_symbol, struct mfs_fundamentals *out,
				    struct mfs_error *err)
{
	return mfs_yahoo_fundamentals_with(mfs_provider_get, cookie_get, ctx, symbol,
					   provider_symbol, out, err);
}
