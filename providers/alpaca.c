/*
 * Alpaca Market Data v2 (PROVIDERS.md section 7): bars for US stocks and
 * ETFs at 1m 5m 15m 30m 1h 1d, since 2016. 4h, 1w and 1M are not asked
 * (the cache resamples them from 1h/1d): Alpaca's weekly and monthly
 * labels are not the cache's convention.
 *
 * Endpoint: GET /v2/stocks/{SYM}/bars?timeframe=1Min|5Min|15Min|30Min|
 * 1Hour|1Day&start=RFC3339&end=RFC3339&limit=10000&adjustment=split
 * &feed=sip&sort=asc, with the headers APCA-API-KEY-ID and
 * APCA-API-SECRET-KEY. The configured key is "KEY_ID:SECRET" (split at
 * the first ':'); the key copies made here are wiped after use.
 *
 * Paging: the identical query plus &page_token=<next_page_token>, until
 * the token is null or absent; bounded by MFS_ALPACA_MAX_PAGES, the fetch
 * deadline, and a token that repeats (a server that does not advance).
 *
 * Window: free plans may not query SIP data of the last 15 minutes, so
 * end is clamped to now - 16 minutes; start to 2016-01-01.
 *
 * Time: t is an RFC-3339 UTC string of the bar's start, possibly with
 * nanoseconds. Intraday bars keep it as the open; daily bars are stamped
 * 00:00 New York (04:00Z/05:00Z) and become that New York date.
 *
 * Prices: adjustment=split, so OHLC and volume are split-adjusted
 * (raw_prices false) and adj_close is NaN (no dividend adjustment).
 * Integer prices (174) are read as numbers like reals.
 *
 * Errors: 401/403 (bad key, "subscription does not permit querying recent
 * SIP data") and 422 (invalid timeframe) and other 4xx: PERMANENT; 429 or
 * a throttle message (whatever the status): RATE_LIMIT; 404, "not found"
 * or "invalid symbol": NOT_FOUND; "bars" null or empty: NO_DATA; a body
 * that is not JSON or not Alpaca's shape: PARSE; 5xx: SERVER. A key
 * without ':' is a CONFIG error.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/tz.h>

#include "alpaca.h"
#include "fund_parse.h"
#include "parse.h"

#define PROV "alpaca"
#define NY_TZ "America/New_York"
#define NY_CLOSE_MINUTE (16 * 60)
#define PATH_MAX_BYTES 2048
#define HEADER_MAX_BYTES (MFS_ALPACA_KEY_PART_MAX + 32)

static const char *const timeframes[MFS_TF__COUNT] = {
	[MFS_TF_1M] = "1Min",   [MFS_TF_5M] = "5Min",  [MFS_TF_15M] = "15Min",
	[MFS_TF_30M] = "30Min", [MFS_TF_1H] = "1Hour", [MFS_TF_1D] = "1Day",
};

const char *mfs_alpaca_timeframe(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return timeframes[tf];
}

int64_t mfs_alpaca_history_start(void)
{
	return mfs_days_from_civil(2016, 1, 1) * MFS_SECONDS_PER_DAY;
}

static bool alpaca_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return cls == MFS_CLASS_STOCK && mfs_alpaca_timeframe(tf) != NULL;
}

static int64_t alpaca_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls;
	(void)tf;
	(void)now;
	return mfs_alpaca_history_start();
}

void mfs_alpaca_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen)
{
	size_t i;

	(void)cls;
	if (!outlen)
		return;
	for (i = 0; symbol[i] && i + 1 < outlen; i++)
		out[i] = symbol[i] == '-' ? '.' : symbol[i];
	out[i] = '\0';
}

enum mfs_err mfs_alpaca_split_key(const char *key, char *id, size_t idlen, char *secret,
				  size_t secretlen, struct mfs_error *err)
{
	const char *colon = key ? strchr(key, ':') : NULL;
	size_t nid;

	if (!key || !*key)
		return mfs_error_set(err, MFS_ERR_CONFIG,
				     PROV ": no API key: set api_key = KEY_ID:SECRET in "
				     "[provider.alpaca] or MARKETFS_ALPACA_KEY");
	nid = colon ? (size_t)(colon - key) : 0;
	if (!colon || nid == 0 || colon[1] == '\0')
		return mfs_error_set(err, MFS_ERR_CONFIG,
				     PROV ": the API key must have the form KEY_ID:SECRET (the key "
				     "id and the secret key joined by ':')");
	if (nid >= idlen || nid > MFS_ALPACA_KEY_PART_MAX ||
	    strlen(colon + 1) >= secretlen || strlen(colon + 1) > MFS_ALPACA_KEY_PART_MAX)
		return mfs_error_set(err, MFS_ERR_CONFIG, PROV ": the API key is too long");
	memcpy(id, key, nid);
	id[nid] = '\0';
	snprintf(secret, secretlen, "%s", colon + 1);
	return MFS_OK;
}

/* n decimal digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* "Z", "+HH:MM" or "-HH:MM" at s: its offset east of UTC in seconds. */
static bool parse_offset(const char *s, int64_t *off)
{
	int hh, mm;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return true;
	}
	if ((s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &hh) || s[3] != ':' ||
	    !digits(s + 4, 2, &mm) || s[6] != '\0' || hh > 23 || mm > 59)
		return false;
	*off = (hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
	return true;
}

bool mfs_alpaca_parse_time(const char *s, int64_t *t)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	int64_t off = 0;

	if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	s += 10;
	if (*s == 'T' || *s == 't') {
		if (!digits(s + 1, 2, &h) || s[3] != ':' || !digits(s + 4, 2, &mi) ||
		    s[6] != ':' || !digits(s + 7, 2, &se) || h > 23 || mi > 59 || se > 60)
			return false;
		s += 9;
		if (*s == '.') { /* nanoseconds and the like: bars start on whole seconds */
			if (!isdigit((unsigned char)s[1]))
				return false;
			for (s++; isdigit((unsigned char)*s); s++)
				;
		}
		if (!parse_offset(s, &off))
			return false;
	} else if (*s != '\0') {
		return false;
	}
	*t = mfs_days_from_civil(y, (unsigned)mo, (unsigned)d) * MFS_SECONDS_PER_DAY +
	     h * 3600 + mi * 60 + se - off;
	return true;
}

/* An RFC-3339 time, percent-encoded for a query ("2024-01-02T14%3A30%3A00Z"). */
static int encode_time(int64_t t, char *out, size_t outlen)
{
	char iso[40];

	mfs_format_iso8601(t, iso, sizeof(iso));
	return mfs_http_urlencode(iso, out, outlen);
}

int mfs_alpaca_bars_path(const char *symbol, enum mfs_tf tf, int64_t start, int64_t end,
			 const char *page_token, char *out, size_t outlen)
{
	const char *tfs = mfs_alpaca_timeframe(tf);
	char esym[3 * MFS_SYMBOL_MAX + 1], es[128], ee[128];
	char etok[3 * MFS_ALPACA_TOKEN_MAX + 16] = "";
	int n;

	if (!tfs || !symbol || !*symbol || mfs_http_urlencode(symbol, esym, sizeof(esym)) < 0 ||
	    encode_time(start, es, sizeof(es)) < 0 || encode_time(end, ee, sizeof(ee)) < 0)
		return -1;
	if (page_token && *page_token) {
		memcpy(etok, "&page_token=", 13);
		if (mfs_http_urlencode(page_token, etok + 12, sizeof(etok) - 12) < 0)
			return -1;
	}
	n = snprintf(out, outlen,
		     "/v2/stocks/%s/bars?timeframe=%s&start=%s&end=%s&limit=%d"
		     "&adjustment=split&feed=sip&sort=asc%s",
		     esym, tfs, es, ee, MFS_ALPACA_PAGE_LIMIT, etok);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

/* Does a refusal's text say the symbol is unknown? */
static bool says_unknown_symbol(const char *text)
{
	return mfs_fund_has(text, "not found") || mfs_fund_has(text, "invalid symbol") ||
	       mfs_fund_has(text, "unknown symbol");
}

static bool says_throttled(const char *text)
{
	return mfs_fund_has(text, "too many requests") || mfs_fund_has(text, "rate limit");
}

/* A refusal from its HTTP status and Alpaca's message (NULL if none). */
static enum mfs_err refusal(long status, const char *msg, const char *sym,
			    struct mfs_error *err)
{
	char s[MFS_HTTP_SNIPPET_MAX + 1];

	mfs_http_body_snippet(msg ? msg : "", msg ? strlen(msg) : 0, s, sizeof(s));
	if (status == 429 || says_throttled(msg))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: rate limited (HTTP %ld: \"%s\")", sym, status, s);
	if (status == 404 || says_unknown_symbol(msg))
		return mfs_error_set(err, MFS_ERR_NOT_FOUND,
				     PROV ": %s: unknown symbol (HTTP %ld: \"%s\")", sym, status,
				     s);
	if (status == 401 || status == 403)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: not authorized (HTTP %ld: \"%s\")", sym, status,
				     s);
	if (status >= 400 && status < 500)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: refused (HTTP %ld: \"%s\")", sym, status, s);
	if (status >= 500)
		return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: HTTP %ld: \"%s\"", sym,
				     status, s);
	/* HTTP 200 with a message and no bars: not an answer we know */
	return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: unexpected answer (HTTP %ld: \"%s\")",
			     sym, status, s);
}

/* A body that is not JSON: classified by status alone. */
static enum mfs_err not_json(long status, const char *body, size_t len, const char *sym,
			     struct mfs_error *err)
{
	char s[MFS_HTTP_SNIPPET_MAX + 1];

	mfs_http_body_snippet(body, len, s, sizeof(s));
	if (status == 429 || status == 401 || status == 403 || status >= 500)
		return refusal(status, s, sym, err);
	return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: answer is not JSON (HTTP %ld): \"%s\"",
			     sym, status, s);
}


/* The bar time in the series' convention: the open, or the New York date. */
static int64_t bar_time(int64_t t, enum mfs_tf tf)
{
	const struct mfs_tz *ny;

	if (mfs_tf_is_intraday(tf))
		return t;
	/* 00:00 New York is 04:00Z/05:00Z: the New York date, not a UTC floor */
	ny = mfs_tz_get(NY_TZ);
	if (ny)
		return mfs_tz_local_day(ny, t) * MFS_SECONDS_PER_DAY;
	/* no tz database: 04:00Z/05:00Z still falls on the same UTC date */
	if (t < 0)
		t -= MFS_SECONDS_PER_DAY - 1;
	return t / MFS_SECONDS_PER_DAY * MFS_SECONDS_PER_DAY;
}

static enum mfs_err parse_bar(json_t *row, size_t i, const char *sym, enum mfs_tf tf,
			      struct mfs_series *out, struct mfs_error *err)
{
	static const char *const keys[5] = { "o", "h", "l", "c", "v" };
	const char *ts = json_string_value(json_object_get(row, "t"));
	double v[5];
	bool null_price = false;
	int64_t t;
	struct mfs_bar b;

	if (!json_is_object(row))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: bar %zu is not an object", sym,
				     i);
	if (!ts || !mfs_alpaca_parse_time(ts, &t))
		return mfs_error_set(err, MFS_ERR_PARSE,
				     PROV ": %s: bar %zu: \"t\" is not an RFC-3339 time", sym, i);
	for (int k = 0; k < 5; k++) {
		int r = mfs_parse_number(json_object_get(row, keys[k]), 0, &v[k]);

		if (r < 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: bar %zu (%s): \"%s\" is not a number", sym,
					     i, ts, keys[k]);
		if (r > 0) {
			v[k] = NAN;
			null_price |= k < 4;
		}
	}
	b = mfs_bar_empty();
	b.t = bar_time(t, tf);
	b.open = v[0];
	b.high = v[1];
	b.low = v[2];
	b.close = v[3];
	b.volume = v[4];
	return mfs_parse_add_bar(out, &b, null_price, PROV, sym, err);
}

/*
 * The list of bars in "bars": the single-symbol array, or the symbol's
 * array in the multi-symbol object (the only one if there is one). NULL
 * for null, or an object without the symbol.
 */
static json_t *bars_of(json_t *bars, const char *sym)
{
	json_t *list;

	if (json_is_array(bars))
		return bars;
	if (!json_is_object(bars))
		return NULL;
	list = json_object_get(bars, sym);
	if (!list && json_object_size(bars) == 1)
		list = json_object_iter_value(json_object_iter(bars));
	return list;
}

static enum mfs_err parse_root(json_t *root, long status, const char *sym, enum mfs_tf tf,
			       struct mfs_series *out, size_t *rows, char *next_token,
			       size_t toklen, struct mfs_error *err)
{
	json_t *bars = json_is_object(root) ? json_object_get(root, "bars") : NULL;
	const char *msg = json_string_value(json_object_get(root, "message"));
	const char *tok = json_string_value(json_object_get(root, "next_page_token"));
	json_t *list;

	/* a refusal, or a throttle sent with HTTP 200: {"message":...} */
	if (status != 200 || (!bars && msg))
		return refusal(status, msg, sym, err);
	if (!bars)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     PROV ": %s: answer has no \"bars\" (HTTP %ld)", sym, status);
	list = bars_of(bars, sym);
	if ((!list && !json_is_null(bars) && !json_is_object(bars)) ||
	    (list && !json_is_array(list)))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: \"bars\" is not a list", sym);
	if (tok && *tok) {
		if (strlen(tok) >= toklen)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: next_page_token too long", sym);
		snprintf(next_token, toklen, "%s", tok);
	}
	if (!list || json_array_size(list) == 0)
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: no %s bars in range", sym,
				     mfs_tf_name(tf));
	*rows = json_array_size(list);
	for (size_t i = 0; i < *rows; i++) {
		enum mfs_err rc = parse_bar(json_array_get(list, i), i, sym, tf, out, err);

		if (rc != MFS_OK)
			return rc;
	}
	return MFS_OK;
}

enum mfs_err mfs_alpaca_parse_bars(long http_status, const char *body, size_t len,
				   const char *symbol, enum mfs_tf tf, struct mfs_series *out,
				   size_t *rows, char *next_token, size_t toklen,
				   struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	json_t *root;
	json_error_t jerr;
	enum mfs_err rc;

	*rows = 0;
	if (toklen)
		next_token[0] = '\0';
	if (!body)
		len = 0;
	if (!mfs_http_body_is_json(body, len))
		return not_json(http_status, body, len, sym, err);
	root = json_loadb(body, len, 0, &jerr);
	if (!root)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     PROV ": %s: malformed JSON (HTTP %ld): %s at line %d", sym,
				     http_status, jerr.text, jerr.line);
	rc = parse_root(root, http_status, sym, tf, out, rows, next_token, toklen, err);
	json_decref(root);
	return rc;
}

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

/* The two authentication headers; wiped by wipe_auth(). */
struct auth {
	char id[MFS_ALPACA_KEY_PART_MAX + 1], secret[MFS_ALPACA_KEY_PART_MAX + 1];
	char hid[HEADER_MAX_BYTES], hsecret[HEADER_MAX_BYTES];
	const char *headers[3];
};

static enum mfs_err make_auth(const char *key, struct auth *a, struct mfs_error *err)
{
	enum mfs_err rc = mfs_alpaca_split_key(key, a->id, sizeof(a->id), a->secret,
					       sizeof(a->secret), err);

	if (rc != MFS_OK)
		return rc;
	snprintf(a->hid, sizeof(a->hid), "APCA-API-KEY-ID: %s", a->id);
	snprintf(a->hsecret, sizeof(a->hsecret), "APCA-API-SECRET-KEY: %s", a->secret);
	a->headers[0] = a->hid;
	a->headers[1] = a->hsecret;
	a->headers[2] = NULL;
	return MFS_OK;
}

/* Keep no copy of the key, and no echo of it in the message. */
static enum mfs_err wipe_auth(enum mfs_err rc, struct auth *a, struct mfs_error *err)
{
	if (rc != MFS_OK) {
		mfs_fund_scrub_msg(err, a->secret);
		mfs_fund_scrub_msg(err, a->id);
	}
	explicit_bzero(a, sizeof(*a));
	return rc;
}

/* One GET of one page, parsed into out. */
static enum mfs_err get_page(mfs_alpaca_get_fn get, struct mfs_fetch_ctx *ctx,
			     const struct auth *a, const char *path, const char *sym,
			     enum mfs_tf tf, struct mfs_series *out, size_t *rows, char *token,
			     struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	enum mfs_err rc;

	resp.retry_after_s = -1;
	*rows = 0;
	token[0] = '\0';
	rc = get(ctx, path, a->headers, &resp, err);
	if (rc == MFS_OK)
		rc = mfs_alpaca_parse_bars(resp.status, resp.body, resp.len, sym, tf, out, rows,
					   token, MFS_ALPACA_TOKEN_MAX, err);
	mfs_http_response_free(&resp);
	return rc;
}

/* Every page of [start, end); NO_DATA only if no page had a bar. */
static enum mfs_err fetch_pages(mfs_alpaca_get_fn get, struct mfs_fetch_ctx *ctx,
				const struct auth *a, const char *sym, enum mfs_tf tf,
				int64_t start, int64_t end, struct mfs_series *out,
				struct mfs_error *err)
{
	char path[PATH_MAX_BYTES], token[MFS_ALPACA_TOKEN_MAX] = "";
	char prev[MFS_ALPACA_TOKEN_MAX] = "";
	size_t total = 0, rows;
	unsigned pages;

	for (pages = 0; pages < MFS_ALPACA_MAX_PAGES; pages++) {
		enum mfs_err rc;

		if (deadline_passed(ctx))
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     PROV ": %s: deadline passed after %u pages of %s bars",
					     sym, pages, mfs_tf_name(tf));
		if (mfs_alpaca_bars_path(sym, tf, start, end, prev, path, sizeof(path)) < 0)
			return mfs_error_set(err, MFS_ERR_INVALID,
					     PROV ": %s: cannot build the request", sym);
		rc = get_page(get, ctx, a, path, sym, tf, out, &rows, token, err);
		total += rows;
		if (rc == MFS_ERR_NO_DATA && total > 0)
			return MFS_OK; /* an empty last page after full ones */
		if (rc != MFS_OK)
			return rc;
		if (!token[0])
			return MFS_OK;
		if (strcmp(token, prev) == 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: next_page_token repeats: paging does not "
					     "advance",
					     sym);
		memcpy(prev, token, sizeof(prev));
	}
	return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: more than %d pages of %s bars", sym,
			     MFS_ALPACA_MAX_PAGES, mfs_tf_name(tf));
}

enum mfs_err mfs_alpaca_fetch_with(mfs_alpaca_get_fn get, struct mfs_fetch_ctx *ctx,
				   const char *key, const struct mfs_fetch_req *req,
				   struct mfs_fetch_result *res, struct mfs_error *err)
{
	const char *sym = req->provider_symbol && *req->provider_symbol ? req->provider_symbol
									: req->symbol;
	int64_t start = req->start, end = req->end;
	struct auth a;
	enum mfs_err rc;

	if (!alpaca_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: no %s %s bars", sym,
				     mfs_class_name(req->cls), mfs_tf_name(req->tf));
	snprintf(res->tz, sizeof(res->tz), "%s", NY_TZ);
	res->close_minute = NY_CLOSE_MINUTE;
	res->raw_prices = false;

	if (start < mfs_alpaca_history_start())
		start = mfs_alpaca_history_start();
	/* SIP data of the last 15 minutes is refused to free plans (HTTP 403) */
	if (end > ctx->now - MFS_ALPACA_SIP_DELAY_S)
		end = ctx->now - MFS_ALPACA_SIP_DELAY_S;
	if (start >= end) {
		if (req->end <= mfs_alpaca_history_start())
			return mfs_error_set(err, MFS_ERR_NO_DATA,
					     PROV ": %s: no history before 2016", sym);
		return MFS_OK; /* only the last minutes: nothing to ask yet */
	}

	memset(&a, 0, sizeof(a));
	rc = make_auth(key, &a, err);
	if (rc == MFS_OK)
		rc = fetch_pages(get, ctx, &a, sym, req->tf, start, end, &res->series, err);
	return wipe_auth(rc, &a, err);
}

static enum mfs_err alpaca_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				 struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_alpaca_fetch_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov), req, res,
				     err);
}

const struct mfs_provider_ops mfs_alpaca_ops = {
	.name = "alpaca",
	.serves = alpaca_serves,
	.earliest = alpaca_earliest,
	.fetch = alpaca_fetch,
	.needs_key = true,
	.map_symbol = mfs_alpaca_map_symbol,
	.default_rate_tokens = 200,
	.default_rate_period_s = 60,
};
