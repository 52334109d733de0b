/*
 * Polygon (now Massive) bars (PROVIDERS.md section 4) and fundamentals
 * (fund_polygon.c).
 *
 * Endpoint: GET /v2/aggs/ticker/{T}/range/{mult}/{timespan}/{from}/{to}
 * ?adjusted=true&sort=asc&limit=50000&apiKey=K, from and to in epoch ms,
 * both inclusive (to = end - 1 s). Served: stocks, indices (I:SPX), crypto
 * (X:BTCUSD) and forex (C:EURUSD) at 1m 5m 15m 30m 1h 1d, and 4h for crypto
 * and forex only. Not served: 4h for stocks and indices (Polygon's hour
 * buckets are clock-aligned, marketfs resamples 4h from the 09:30 grid
 * itself) and 1w/1M (Polygon's labels are unverified; the cache resamples
 * them from 1d).
 *
 * Paging: while the answer has next_url, its path and query (the host is
 * dropped: the request goes through mfs_provider_get(), which prefixes
 * base_url) are asked next with "&apiKey=K" re-appended, since Polygon
 * never echoes the key. At most MFS_POLYGON_MAX_PAGES pages; a next_url
 * that repeats ends the loop; the fetch deadline is checked before each.
 *
 * Time: "t" is epoch ms of the bar's start. Intraday bars keep it (in s).
 * Daily bars of stocks and indices start at 00:00 New York (04:00Z/05:00Z),
 * so their date is the New York date; crypto and forex days start at
 * 00:00Z, so theirs is the UTC date. Both become days * 86400.
 *
 * Adjustment: adjusted=true is split-adjusted OHLC and volume (raw_prices
 * false); Polygon has no dividend-adjusted close, so adj_close is NaN.
 * Index aggregates have no "v": volume NaN.
 *
 * Earliest: the free plan ("Stocks Basic") reaches 2 years back, so
 * earliest() says now - 730 days whatever the plan; paid plans reach
 * further but the cache will use other providers for older years.
 *
 * Errors: 401/403, status NOT_AUTHORIZED, "not entitled", "plan doesn't
 * include" -> PERMANENT; 429 or "exceeded the maximum requests" (any
 * status) -> RATE_LIMIT; 404 or status NOT_FOUND -> NOT_FOUND; status
 * ERROR with HTTP 200, 5xx -> SERVER; a body that is not JSON with HTTP
 * 200 -> PARSE. An unknown ticker gets HTTP 200 with resultsCount 0 and no
 * results, exactly like a known one with nothing in range, so both are
 * NO_DATA: the provider cannot tell them apart. Since Polygon has also
 * answered "results": null transiently under load, an empty first page is
 * asked once more before NO_DATA. A free plan asking for today before the
 * close is refused ("before end of day"): the window is then cut at New
 * York midnight and asked again once. Messages never carry the key: the
 * key only travels in request paths, which mfs_provider_get() redacts,
 * and every message is scrubbed of it before it is returned.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <marketfs/log.h>
#include <marketfs/tz.h>

#include "fund_parse.h"
#include "polygon.h"
#include "parse.h"

#define PROV "polygon"
#define NY_ZONE "America/New_York"
#define NY_CLOSE_MINUTE (16 * 60)
#define KEY_MAX_BYTES 512
#define NEXT_URL_MAX 2048
#define TICKER_MAX 96

/* ---- symbols ------------------------------------------------------------ */

struct index_alias {
	const char *yahoo, *polygon;
};

/* Yahoo's index names that Polygon spells differently. */
static const struct index_alias index_aliases[] = {
	{ "GSPC", "SPX" },
};

static bool has_prefix(const char *s)
{
	return (s[0] == 'X' || s[0] == 'C' || s[0] == 'I' || s[0] == 'O') && s[1] == ':';
}

/* s without '-' and '/', upper-cased, into out. */
static void compact_upper(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *s && o + 1 < outlen; s++)
		if (*s != '-' && *s != '/')
			out[o++] = (char)toupper((unsigned char)*s);
	out[o] = '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void map_crypto(const char *symbol, char *out, size_t outlen)
{
	char pair[TICKER_MAX];
	size_t n;

	compact_upper(symbol, pair, sizeof(pair));
	/* Polygon quotes crypto in USD; Binance's stablecoin quotes track it. */
	n = strlen(pair);
	if (n > 4 && (ends_with(pair, "USDT") || ends_with(pair, "USDC")))
		pair[n - 1] = '\0';
	snprintf(out, outlen, "X:%s", pair);
}

static void map_forex(const char *symbol, char *out, size_t outlen)
{
	char pair[TICKER_MAX];
	size_t n;

	compact_upper(symbol, pair, sizeof(pair));
	n = strlen(pair);
	if (n > 2 && ends_with(pair, "=X"))
		pair[n - 2] = '\0';
	snprintf(out, outlen, "C:%s", pair);
}

static void map_index(const char *symbol, char *out, size_t outlen)
{
	const char *name = symbol[0] == '^' ? symbol + 1 : symbol;

	for (size_t i = 0; i < sizeof(index_aliases) / sizeof(index_aliases[0]); i++)
		if (strcasecmp(name, index_aliases[i].yahoo) == 0)
			name = index_aliases[i].polygon;
	snprintf(out, outlen, "I:%s", name);
}

void mfs_polygon_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen)
{
	if (!outlen)
		return;
	if (!symbol || has_prefix(symbol)) {
		snprintf(out, outlen, "%s", symbol ? symbol : "");
		return;
	}
	switch (cls) {
	case MFS_CLASS_CRYPTO:
		map_crypto(symbol, out, outlen);
		break;
	case MFS_CLASS_FOREX:
		map_forex(symbol, out, outlen);
		break;
	case MFS_CLASS_INDEX:
		map_index(symbol, out, outlen);
		break;
	default: /* stocks keep their dot: BRK.B */
		snprintf(out, outlen, "%s", symbol);
		break;
	}
}

/* ---- requests ----------------------------------------------------------- */

static const char *const timespans[MFS_TF__COUNT] = {
	"1/minute", "5/minute", "15/minute", "30/minute", "1/hour", "4/hour", "1/day", NULL, NULL,
};

const char *mfs_polygon_timespan(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return timespans[tf];
}

static bool polygon_serves(enum mfs_class cls, enum mfs_tf tf)
{
	if (!mfs_polygon_timespan(tf))
		return false;
	switch (cls) {
	case MFS_CLASS_STOCK:
	case MFS_CLASS_INDEX:
		return tf != MFS_TF_4H; /* clock-aligned hours: resampled instead */
	case MFS_CLASS_CRYPTO:
	case MFS_CLASS_FOREX:
		return true;
	default:
		return false;
	}
}

static int64_t polygon_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls;
	(void)tf;
	return now - MFS_POLYGON_FREE_REACH_S;
}

int mfs_polygon_aggs_path(const char *ticker, enum mfs_tf tf, int64_t from_ms, int64_t to_ms,
			  char *out, size_t outlen)
{
	const char *span = mfs_polygon_timespan(tf);
	char enc[3 * TICKER_MAX + 1];
	int n;

	if (!span || !ticker || !*ticker || strlen(ticker) >= TICKER_MAX)
		return -1;
	if (mfs_http_urlencode(ticker, enc, sizeof(enc)) < 0)
		return -1;
	n = snprintf(out, outlen,
		     "/v2/aggs/ticker/%s/range/%s/%" PRId64 "/%" PRId64
		     "?adjusted=true&sort=asc&limit=%d",
		     enc, span, from_ms, to_ms, MFS_POLYGON_LIMIT);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int mfs_polygon_next_path(const char *next_url, char *out, size_t outlen)
{
	const char *p = next_url;
	int n;

	if (!p || !*p)
		return -1;
	if (strncasecmp(p, "https://", 8) == 0 || strncasecmp(p, "http://", 7) == 0) {
		p = strchr(strstr(p, "://") + 3, '/');
		if (!p)
			return -1;
	}
	/* only ever follow the aggregates endpoint, whatever the answer says */
	if (strncmp(p, "/v2/aggs/", 9) != 0 || strchr(p, ' ') || strchr(p, '#'))
		return -1;
	n = snprintf(out, outlen, "%s", p);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int mfs_polygon_add_key(char *path, size_t outlen, const char *ekey)
{
	size_t len = strlen(path);
	int n;

	n = snprintf(path + len, outlen - len, "%capiKey=%s", strchr(path, '?') ? '&' : '?', ekey);
	if (n < 0 || (size_t)n >= outlen - len) {
		explicit_bzero(path + len, outlen - len);
		path[len] = '\0';
		return -1;
	}
	return 0;
}

/* ---- parsing ------------------------------------------------------------ */

/* A refusal by HTTP status, Polygon's "status" word and its message. */
enum mfs_err mfs_polygon_refusal(long status, const char *pstatus, const char *text,
				 const char *sym, struct mfs_error *err)
{
	char s[MFS_FUND_SNIPPET_MAX + 1];

	/* quoted in the message: the fundamentals excerpt turns '"' into '?' */
	mfs_fund_snippet(text, text ? strlen(text) : 0, s, sizeof(s));
	if (!pstatus)
		pstatus = "";
	if (status == 429 || mfs_fund_has(text, "exceeded the maximum requests"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: rate limited (HTTP %ld: \"%s\")", sym, status, s);
	if (status == 401 || status == 403 || strcmp(pstatus, "NOT_AUTHORIZED") == 0 ||
	    mfs_fund_has(text, "not entitled") || mfs_fund_has(text, "plan doesn't include") ||
	    mfs_fund_has(text, "API Key"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: not authorized (HTTP %ld: \"%s\")", sym, status,
				     s);
	if (status == 404 || strcmp(pstatus, "NOT_FOUND") == 0)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: unknown ticker (HTTP %ld)",
				     sym, status);
	if (status >= 400 && status < 500)
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: HTTP %ld: \"%s\"", sym,
				     status, s);
	if (status == 200)
		/* {"status":"ERROR"} without a known cause: Polygon's trouble */
		return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: status %s: \"%s\"", sym,
				     *pstatus ? pstatus : "?", s);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: unexpected HTTP %ld: \"%s\"", sym,
			     status, s);
}


/* The bar's t from Polygon's start-of-window ms (see the top of the file). */
static int64_t bar_time(int64_t t_ms, enum mfs_class cls, enum mfs_tf tf,
			const struct mfs_tz *ny)
{
	int64_t s = mfs_floor_div(t_ms, 1000);

	if (mfs_tf_is_intraday(tf))
		return s;
	if (cls == MFS_CLASS_STOCK || cls == MFS_CLASS_INDEX)
		return mfs_tz_local_day(ny, s) * MFS_SECONDS_PER_DAY;
	return mfs_floor_div(s, MFS_SECONDS_PER_DAY) * MFS_SECONDS_PER_DAY;
}


static bool get_ms(json_t *x, int64_t *ms)
{
	double d;

	if (json_is_integer(x)) {
		*ms = (int64_t)json_integer_value(x);
		return true;
	}
	if (!json_is_real(x))
		return false;
	d = json_real_value(x);
	if (!isfinite(d) || fabs(d) > 9e18)
		return false;
	*ms = (int64_t)d;
	return true;
}

static enum mfs_err parse_bar(json_t *row, size_t i, const char *sym, enum mfs_class cls,
			      enum mfs_tf tf, const struct mfs_tz *ny, struct mfs_series *out,
			      struct mfs_error *err)
{
	static const char *const keys[5] = { "o", "h", "l", "c", "v" };
	double v[5];
	bool null_price = false;
	int64_t t_ms;
	struct mfs_bar b;

	if (!json_is_object(row))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: result %zu is not an object",
				     sym, i);
	if (!get_ms(json_object_get(row, "t"), &t_ms))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: result %zu has no time \"t\"",
				     sym, i);
	for (int k = 0; k < 5; k++) {
		int r = mfs_parse_number(json_object_get(row, keys[k]), 0, &v[k]);

		if (r < 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: result %zu: \"%s\" is not a number", sym,
					     i, keys[k]);
		if (r > 0) {
			v[k] = NAN; /* an index has no volume */
			null_price |= k < 4;
		}
	}
	b = mfs_bar_empty();
	b.t = bar_time(t_ms, cls, tf, ny);
	b.open = v[0];
	b.high = v[1];
	b.low = v[2];
	b.close = v[3];
	b.volume = v[4];
	return mfs_parse_add_bar(out, &b, null_price, PROV, sym, err);
}

static enum mfs_err parse_results(json_t *results, const char *sym, enum mfs_class cls,
				  enum mfs_tf tf, struct mfs_series *out, struct mfs_error *err)
{
	const struct mfs_tz *ny = NULL;

	if (!mfs_tf_is_intraday(tf) && (cls == MFS_CLASS_STOCK || cls == MFS_CLASS_INDEX)) {
		ny = mfs_tz_get(NY_ZONE);
		if (!ny)
			return mfs_error_set(err, MFS_ERR_CONFIG,
					     PROV ": %s: time zone " NY_ZONE
						  " missing from the tz database",
					     sym);
	}
	for (size_t i = 0; i < json_array_size(results); i++) {
		enum mfs_err rc = parse_bar(json_array_get(results, i), i, sym, cls, tf, ny, out,
					    err);

		if (rc != MFS_OK)
			return rc;
	}
	return MFS_OK;
}

enum mfs_err mfs_polygon_parse_aggs(long http_status, const char *body, size_t len,
				    const char *ticker, enum mfs_class cls, enum mfs_tf tf,
				    struct mfs_series *out, char *next_url, size_t next_len,
				    bool *no_results, struct mfs_error *err)
{
	const char *sym = ticker ? ticker : "?";
	const char *pstatus, *text, *next;
	char snip[MFS_HTTP_SNIPPET_MAX + 1];
	json_t *root = NULL, *results;
	enum mfs_err rc;

	*no_results = true;
	if (next_len)
		next_url[0] = '\0';
	if (!body)
		len = 0;
	if (!mfs_http_body_is_json(body, len)) {
		mfs_http_body_snippet(body, len, snip, sizeof(snip));
		if (http_status == 200)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: answer is not JSON: \"%s\"", sym, snip);
		return mfs_polygon_refusal(http_status, NULL, snip, sym, err);
	}
	rc = mfs_fund_load(PROV, sym, http_status, body, len, &root, err);
	if (rc != MFS_OK)
		return rc;
	pstatus = json_string_value(json_object_get(root, "status"));
	text = json_string_value(json_object_get(root, "error"));
	if (!text)
		text = json_string_value(json_object_get(root, "message"));
	if (http_status != 200 || !json_is_object(root) ||
	    (pstatus && strcmp(pstatus, "OK") != 0 && strcmp(pstatus, "DELAYED") != 0)) {
		rc = mfs_polygon_refusal(http_status, pstatus, text, sym, err);
		goto out;
	}
	results = json_object_get(root, "results");
	if (results && !json_is_null(results) && !json_is_array(results)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: results is not an array", sym);
		goto out;
	}
	*no_results = json_array_size(results) == 0;
	next = json_string_value(json_object_get(root, "next_url"));
	if (next && next_len && (size_t)snprintf(next_url, next_len, "%s", next) >= next_len) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: next_url too long", sym);
		goto out;
	}
	rc = parse_results(results, sym, cls, tf, out, err);
out:
	json_decref(root);
	return rc;
}

/* ---- fetching ----------------------------------------------------------- */

/* What one fetch carries from page to page. */
struct walk {
	mfs_polygon_get_fn get;
	struct mfs_fetch_ctx *ctx;
	const struct mfs_fetch_req *req;
	const char *ticker;
	char ekey[KEY_MAX_BYTES];
	char path[MFS_POLYGON_PATH_MAX];
	char next[NEXT_URL_MAX];
	unsigned pages;
};

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

/* One GET of w->path, parsed into out; w->next gets the next_url. */
static enum mfs_err get_page(struct walk *w, struct mfs_series *out, bool *no_results,
			     struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	enum mfs_err rc;

	*no_results = true;
	if (deadline_passed(w->ctx))
		return mfs_error_set(err, MFS_ERR_TIMEOUT,
				     PROV ": %s: deadline passed after %u pages of %s bars",
				     w->ticker, w->pages, mfs_tf_name(w->req->tf));
	resp.retry_after_s = -1;
	rc = w->get(w->ctx, w->path, NULL, &resp, err);
	if (rc == MFS_OK)
		rc = mfs_polygon_parse_aggs(resp.status, resp.body, resp.len, w->ticker,
					    w->req->cls, w->req->tf, out, w->next,
					    sizeof(w->next), no_results, err);
	mfs_http_response_free(&resp);
	return rc;
}

/* The first page's request for [from_ms, to_ms], key included. */
static enum mfs_err first_path(struct walk *w, int64_t from_ms, int64_t to_ms,
			       struct mfs_error *err)
{
	if (mfs_polygon_aggs_path(w->ticker, w->req->tf, from_ms, to_ms, w->path,
				  sizeof(w->path)) < 0 ||
	    mfs_polygon_add_key(w->path, sizeof(w->path), w->ekey) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: cannot build the request",
				     w->ticker);
	return MFS_OK;
}

/*
 * The first page: an empty one is asked once more (Polygon's transient
 * "results": null), a free plan's "before end of day" refusal once more
 * with the window cut at today's New York midnight.
 */
static enum mfs_err first_page(struct walk *w, int64_t from_ms, int64_t to_ms,
			       struct mfs_fetch_result *res, bool *empty, struct mfs_error *err)
{
	bool retried_empty = false, cut = false;
	enum mfs_err rc;

	rc = first_path(w, from_ms, to_ms, err);
	while (rc == MFS_OK) {
		rc = get_page(w, &res->series, empty, err);
		if (rc == MFS_OK && *empty && !w->next[0] && !retried_empty) {
			retried_empty = true;
			mfs_debug(PROV ": %s: no results, asking once more", w->ticker);
			continue;
		}
		if (rc == MFS_ERR_PERMANENT && !cut && err && mfs_fund_has(err->msg, "end of day")) {
			const struct mfs_tz *ny = mfs_tz_get(NY_ZONE);
			int64_t midnight_ms;

			cut = true;
			if (!ny)
				break;
			midnight_ms = mfs_tz_from_local(ny, mfs_tz_local_day(ny, w->ctx->now) *
							    MFS_SECONDS_PER_DAY, NULL) * 1000;
			if (midnight_ms - 1 < from_ms)
				return mfs_error_set(err, MFS_ERR_NO_DATA,
						     PROV ": %s: nothing before today", w->ticker);
			to_ms = midnight_ms - 1;
			rc = first_path(w, from_ms, to_ms, err);
			continue;
		}
		break;
	}
	return rc;
}

/* Follow next_url until it is absent, repeats, or the page cap is reached. */
static enum mfs_err follow_pages(struct walk *w, struct mfs_fetch_result *res,
				 struct mfs_error *err)
{
	char prev[NEXT_URL_MAX] = "";
	bool empty;
	enum mfs_err rc;

	while (w->next[0]) {
		if (strcmp(prev, w->next) == 0) {
			mfs_debug(PROV ": %s: next_url repeats, stopping", w->ticker);
			return MFS_OK;
		}
		if (w->pages >= MFS_POLYGON_MAX_PAGES)
			return mfs_error_set(err, MFS_ERR_SERVER,
					     PROV ": %s: still more pages after %u, giving up",
					     w->ticker, w->pages);
		memcpy(prev, w->next, sizeof(prev));
		explicit_bzero(w->path, sizeof(w->path));
		if (mfs_polygon_next_path(w->next, w->path, sizeof(w->path)) < 0 ||
		    mfs_polygon_add_key(w->path, sizeof(w->path), w->ekey) < 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: next_url is not an aggregates URL",
					     w->ticker);
		rc = get_page(w, &res->series, &empty, err);
		if (rc != MFS_OK)
			return rc;
		w->pages++;
	}
	return MFS_OK;
}

static void set_session(const struct mfs_fetch_req *req, struct mfs_fetch_result *res)
{
	bool exchange = req->cls == MFS_CLASS_STOCK || req->cls == MFS_CLASS_INDEX;

	snprintf(res->tz, sizeof(res->tz), "%s", exchange ? NY_ZONE : "UTC");
	res->close_minute = exchange ? NY_CLOSE_MINUTE : req->cls == MFS_CLASS_CRYPTO ? 0 : -1;
	res->raw_prices = false;
}

static enum mfs_err walk_window(struct walk *w, struct mfs_fetch_result *res,
				struct mfs_error *err)
{
	const struct mfs_fetch_req *req = w->req;
	int64_t end = req->end < w->ctx->now ? req->end : w->ctx->now;
	int64_t start = req->start > 0 ? req->start : 0; /* no aggregates before 1970 */
	bool empty = true;
	enum mfs_err rc;

	if (start >= end)
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: empty window", w->ticker);
	rc = first_page(w, start * 1000, end * 1000 - 1000, res, &empty, err);
	if (rc != MFS_OK)
		return rc;
	w->pages = 1;
	rc = follow_pages(w, res, err);
	if (rc != MFS_OK)
		return rc;
	if (res->series.n == 0 && res->series.null_rows == 0)
		/* unknown ticker and known one with nothing in range look alike */
		return mfs_error_set(err, MFS_ERR_NO_DATA,
				     PROV ": %s: no %s bars in range (or unknown ticker)",
				     w->ticker, mfs_tf_name(req->tf));
	return MFS_OK;
}

enum mfs_err mfs_polygon_fetch_with(mfs_polygon_get_fn get, struct mfs_fetch_ctx *ctx,
				    const char *key, const struct mfs_fetch_req *req,
				    struct mfs_fetch_result *res, struct mfs_error *err)
{
	char mapped[TICKER_MAX];
	struct walk w = { .get = get, .ctx = ctx, .req = req };
	enum mfs_err rc;

	w.ticker = req->provider_symbol && *req->provider_symbol ? req->provider_symbol : NULL;
	if (!w.ticker) {
		mfs_polygon_map_symbol(req->symbol ? req->symbol : "", req->cls, mapped,
				       sizeof(mapped));
		w.ticker = mapped;
	}
	if (!key || !*key)
		return mfs_error_set(err, MFS_ERR_CONFIG,
				     PROV ": %s: no API key (set api_key in [provider.polygon])",
				     w.ticker);
	if (!polygon_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: %s %s bars not served",
				     w.ticker, mfs_class_name(req->cls), mfs_tf_name(req->tf));
	if (mfs_http_urlencode(key, w.ekey, sizeof(w.ekey)) < 0)
		return mfs_error_set(err, MFS_ERR_CONFIG, PROV ": %s: API key too long", w.ticker);
	set_session(req, res);
	rc = walk_window(&w, res, err);
	explicit_bzero(w.ekey, sizeof(w.ekey));
	explicit_bzero(w.path, sizeof(w.path));
	if (rc != MFS_OK)
		mfs_fund_scrub_msg(err, key);
	return rc;
}

static enum mfs_err polygon_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				  struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_polygon_fetch_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov), req,
				      res, err);
}

const struct mfs_provider_ops mfs_polygon_ops = {
	.name = "polygon",
	.serves = polygon_serves,
	.earliest = polygon_earliest,
	.fetch = polygon_fetch,
	.fundamentals = mfs_polygon_fundamentals,
	.needs_key = true,
	.map_symbol = mfs_polygon_map_symbol,
	/* free plan: 5 requests a minute (PROVIDERS.md section 4) */
	.default_rate_tokens = 5,
	.default_rate_period_s = 60,
};
