/*
 * Binance spot klines (PROVIDERS.md section 2): bars for crypto pairs at
 * every timeframe, from the pair's listing on.
 *
 * A window is read forward in pages of 1000 klines (next startTime = last
 * open + 1) until a short page, the window's end or the fetch deadline.
 * Klines carry prices as JSON strings and times in ms (µs on request, so
 * both are accepted); the last kline is usually still open and is left
 * out. When the cache does not know the pair's listing yet, one extra
 * request (startTime=0&limit=1) learns it.
 *
 * Binance's refusals are told apart because the cache reacts differently:
 * an unknown symbol is remembered (NOT_FOUND), a geo block (451) or WAF
 * block (403) is a configuration problem (PERMANENT) that retrying or
 * waiting will not fix.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>

#include "binance.h"
#include "parse.h"

/* Open times above this are µs, not ms (1e14 ms is the year 5138). */
#define MS_US_THRESHOLD 100000000000000LL

/* Binance error codes (errors.md). */
#define BINANCE_BAD_INTERVAL -1120
#define BINANCE_BAD_SYMBOL -1121

static const char *const intervals[MFS_TF__COUNT] = {
	"1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M",
};

const char *mfs_binance_interval(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return intervals[tf];
}

static bool binance_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return cls == MFS_CLASS_CRYPTO && mfs_binance_interval(tf) != NULL;
}

static int64_t binance_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	return INT64_MIN;
}

static void binance_map_symbol(const char *symbol, enum mfs_class cls, char *out,
			       size_t outlen)
{
	if (outlen)
		snprintf(out, outlen, "%s", symbol);
}


int64_t mfs_binance_bar_floor(enum mfs_tf tf, int64_t t)
{
	int64_t day = mfs_floor_div(t, MFS_SECONDS_PER_DAY);
	int y;
	unsigned m, d;

	switch (tf) {
	case MFS_TF_1W: /* weeks open on Monday 00:00 UTC */
		return (day - mfs_weekday_from_days(day)) * MFS_SECONDS_PER_DAY;
	case MFS_TF_1MO: /* months on the 1st */
		mfs_civil_from_days(day, &y, &m, &d);
		return mfs_days_from_civil(y, m, 1) * MFS_SECONDS_PER_DAY;
	default:
		if (mfs_tf_seconds(tf) <= 0)
			return t;
		return mfs_floor_div(t, mfs_tf_seconds(tf)) * mfs_tf_seconds(tf);
	}
}

int mfs_binance_klines_path(const char *symbol, enum mfs_tf tf, int64_t start_ms, int64_t end_ms,
			    unsigned limit, char *out, size_t outlen)
{
	const char *interval = mfs_binance_interval(tf);
	char enc[3 * MFS_SYMBOL_MAX * 2 + 1], end[48] = "";
	int n;

	if (!interval || !symbol || !*symbol)
		return -1;
	enc[0] = '\0';
	if (mfs_http_urlencode(symbol, enc, sizeof(enc)) < 0)
		return -1;
	if (end_ms >= 0)
		snprintf(end, sizeof(end), "&endTime=%" PRId64, end_ms);
	n = snprintf(out, outlen,
		     "/api/v3/klines?symbol=%s&interval=%s&startTime=%" PRId64 "%s&limit=%u", enc,
		     interval, start_ms, end, limit);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

/* Statuses whose meaning does not depend on the body. */
static enum mfs_err status_error(long status, const char *sym, const char *body, size_t len,
				 struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];

	mfs_http_body_snippet(body, len, text, sizeof(text));
	if (status == 451)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     "binance: %s: Binance refuses requests from this location "
				     "(HTTP 451); US users need api.binance.us: set base_url in "
				     "[provider.binance]",
				     sym);
	if (status == 403)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     "binance: %s: blocked by Binance's firewall (HTTP 403)", sym);
	if (status == 429 || status == 418)
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     "binance: %s: rate limited (HTTP %ld: \"%s\")", sym, status,
				     text);
	if (status >= 500)
		return mfs_error_set(err, MFS_ERR_SERVER, "binance: %s: HTTP %ld: \"%s\"", sym,
				     status, text);
	return MFS_OK;
}

/* {"code":-1121,"msg":"Invalid symbol."} */
static enum mfs_err api_error(long status, const char *sym, enum mfs_tf tf, json_t *obj,
			      struct mfs_error *err)
{
	json_t *code = json_object_get(obj, "code");
	const char *msg = json_string_value(json_object_get(obj, "msg"));
	long long c;

	if (!json_is_integer(code))
		return mfs_error_set(err, status == 200 ? MFS_ERR_PARSE : MFS_ERR_SERVER,
				     "binance: %s: HTTP %ld: unexpected JSON object", sym, status);
	c = (long long)json_integer_value(code);
	if (!msg)
		msg = "";
	if (c == BINANCE_BAD_SYMBOL)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "binance: unknown symbol %s", sym);
	if (c == BINANCE_BAD_INTERVAL)
		return mfs_error_set(err, MFS_ERR_INVALID,
				     "binance: %s: interval %s refused: %s", sym,
				     mfs_binance_interval(tf), msg);
	return mfs_error_set(err, MFS_ERR_SERVER, "binance: %s: HTTP %ld, code %lld: %s", sym,
			     status, c, msg);
}

/* A time in ms; µs (as sent with timeUnit=MICROSECOND) are scaled down. */
static bool get_ms(json_t *x, int64_t *ms)
{
	double d;

	if (json_is_integer(x)) {
		*ms = (int64_t)json_integer_value(x);
	} else if (json_is_real(x)) {
		d = json_real_value(x);
		if (!isfinite(d) || fabs(d) > 9e18)
			return false;
		*ms = (int64_t)d;
	} else {
		return false;
	}
	if (*ms > MS_US_THRESHOLD)
		*ms /= 1000;
	return true;
}


static enum mfs_err parse_row(json_t *row, size_t i, const char *sym, enum mfs_tf tf,
			      int64_t now_ms, struct mfs_series *out, int64_t *last_open_ms,
			      struct mfs_error *err)
{
	static const char *const names[5] = { "open", "high", "low", "close", "volume" };
	double v[5];
	int64_t open_ms, close_ms;
	bool null_price = false;
	char when[32];
	struct mfs_bar b;

	if (!json_is_array(row) || json_array_size(row) < 7)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "binance: %s: row %zu is not a kline (an array of 7+ values)",
				     sym, i);
	if (!get_ms(json_array_get(row, 0), &open_ms) ||
	    !get_ms(json_array_get(row, 6), &close_ms))
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "binance: %s: row %zu: open/close time is not an integer", sym,
				     i);
	if (open_ms > *last_open_ms)
		*last_open_ms = open_ms;
	mfs_format_iso8601(mfs_floor_div(open_ms, 1000), when, sizeof(when));
	for (int k = 0; k < 5; k++) {
		json_t *x = json_array_get(row, (size_t)k + 1);
		int r = mfs_parse_number(x, MFS_NUM_STRINGS, &v[k]);

		if (r < 0) {
			char text[MFS_HTTP_SNIPPET_MAX + 1] = "";
			const char *s = json_string_value(x);

			if (s)
				mfs_http_body_snippet(s, strlen(s), text, sizeof(text));
			return mfs_error_set(err, MFS_ERR_PARSE,
					     "binance: %s: row %zu (%s): %s \"%s\" is not a number",
					     sym, i, when, names[k], s ? text : "(not a string)");
		}
		if (r > 0) {
			v[k] = NAN;
			if (k < 4)
				null_price = true;
		}
	}
	/* The last kline is usually still forming: not a bar yet. */
	if (close_ms >= now_ms)
		return MFS_OK;
	b = mfs_bar_empty();
	b.t = mfs_floor_div(open_ms, 1000);
	if (!mfs_tf_is_intraday(tf))
		b.t = mfs_floor_div(b.t, MFS_SECONDS_PER_DAY) * MFS_SECONDS_PER_DAY;
	b.open = v[0];
	b.high = v[1];
	b.low = v[2];
	b.close = v[3];
	b.volume = v[4];
	return mfs_parse_add_bar(out, &b, null_price, "binance", sym, err);
}

enum mfs_err mfs_binance_parse_klines(long http_status, const char *body, size_t len,
				      const char *symbol, enum mfs_tf tf, int64_t now_ms,
				      struct mfs_series *out, int64_t *last_open_ms,
				      size_t *rows_in_page, struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	json_t *root;
	json_error_t jerr;
	enum mfs_err rc;

	*last_open_ms = -1;
	*rows_in_page = 0;
	if (!body)
		len = 0;
	rc = status_error(http_status, sym, body, len, err);
	if (rc != MFS_OK)
		return rc;
	if (!mfs_http_body_is_json(body, len)) {
		mfs_http_body_snippet(body, len, text, sizeof(text));
		if (http_status == 200)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     "binance: %s: answer is not JSON: \"%s\"", sym, text);
		return mfs_error_set(err, MFS_ERR_SERVER, "binance: %s: HTTP %ld: \"%s\"", sym,
				     http_status, text);
	}
	root = json_loadb(body, len, 0, &jerr);
	if (!root)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "binance: %s: malformed JSON (HTTP %ld): %s at line %d", sym,
				     http_status, jerr.text, jerr.line);
	if (json_is_object(root)) {
		rc = api_error(http_status, sym, tf, root, err);
		goto out;
	}
	if (http_status != 200) {
		rc = mfs_error_set(err, MFS_ERR_SERVER, "binance: %s: unexpected HTTP %ld", sym,
				   http_status);
		goto out;
	}
	*rows_in_page = json_array_size(root);
	for (size_t i = 0; i < *rows_in_page; i++) {
		rc = parse_row(json_array_get(root, i), i, sym, tf, now_ms, out, last_open_ms,
			       err);
		if (rc != MFS_OK)
			goto out;
	}
	rc = MFS_OK;
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_binance_next_page(const char *symbol, int64_t start_ms, int64_t end_ms,
				   size_t rows_in_page, int64_t last_open_ms,
				   int64_t *next_start_ms, struct mfs_error *err)
{
	char when[32];

	*next_start_ms = -1;
	if (rows_in_page < MFS_BINANCE_PAGE_LIMIT)
		return MFS_OK;
	/* A full page that ends before where it was asked to start would be
	 * asked for again and again. */
	if (last_open_ms < start_ms) {
		mfs_format_iso8601(mfs_floor_div(start_ms, 1000), when, sizeof(when));
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "binance: %s: klines do not advance past %s (startTime "
				     "ignored?)",
				     symbol ? symbol : "?", when);
	}
	if (last_open_ms >= end_ms)
		return MFS_OK;
	*next_start_ms = last_open_ms + 1;
	return MFS_OK;
}

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

/* One GET of path, parsed into out. */
static enum mfs_err get_page(mfs_binance_get_fn get, struct mfs_fetch_ctx *ctx,
			     const char *path, const char *sym, enum mfs_tf tf,
			     struct mfs_series *out, int64_t *last_open_ms, size_t *rows,
			     struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	enum mfs_err rc;

	resp.retry_after_s = -1;
	rc = get(ctx, path, NULL, &resp, err);
	if (rc == MFS_OK)
		rc = mfs_binance_parse_klines(resp.status, resp.body, resp.len, sym, tf,
					      ctx->now * 1000, out, last_open_ms, rows, err);
	mfs_http_response_free(&resp);
	return rc;
}

/*
 * Learn the pair's first kline at tf (at tf, so that it can serve as the
 * start of later requests at tf). The answer is the probe's error, for
 * the caller to weigh: the bars already fetched stand regardless.
 */
static enum mfs_err probe_first_trade(mfs_binance_get_fn get, struct mfs_fetch_ctx *ctx,
				      const char *sym, enum mfs_tf tf,
				      struct mfs_fetch_result *res, struct mfs_error *err)
{
	struct mfs_series tmp;
	char path[256];
	int64_t first_ms;
	size_t rows;
	enum mfs_err rc;

	if (deadline_passed(ctx) || mfs_binance_klines_path(sym, tf, 0, -1, 1, path,
							    sizeof(path)) < 0)
		return MFS_OK;
	mfs_series_init(&tmp, tf);
	rc = get_page(get, ctx, path, sym, tf, &tmp, &first_ms, &rows, err);
	if (rc == MFS_OK && rows > 0 && first_ms >= 0)
		res->first_trade = mfs_floor_div(first_ms, 1000);
	mfs_series_free(&tmp);
	return rc;
}

enum mfs_err mfs_binance_fetch_with(mfs_binance_get_fn get, struct mfs_fetch_ctx *ctx,
				    const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				    struct mfs_error *err)
{
	const char *sym = req->provider_symbol ? req->provider_symbol : req->symbol;
	int64_t start = req->start, end = req->end < ctx->now ? req->end : ctx->now;
	int64_t cursor, end_ms;
	char path[256];
	unsigned pages = 0;

	if (!binance_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, "binance: %s: not a crypto pair", sym);
	snprintf(res->tz, sizeof(res->tz), "UTC");
	res->close_minute = 0;

	if (req->first_trade_known != 0 && req->first_trade_known > start)
		start = req->first_trade_known;
	/* Klines are selected by open time: start at the open of the kline
	 * that holds start, or it would be missed. Nothing before 1970. */
	if (start < 0)
		start = 0;
	start = mfs_binance_bar_floor(req->tf, start);
	if (start < 0) /* the week of 1970-01-01 began in 1969 */
		start = 0;
	/* Nothing to ask (and no ms arithmetic on absurd values) if empty. */
	cursor = start < end ? start * 1000 : -1;
	end_ms = start < end ? end * 1000 - 1 : -1;

	while (cursor >= 0 && cursor <= end_ms) {
		int64_t last_open;
		size_t rows;
		enum mfs_err rc;

		if (deadline_passed(ctx))
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     "binance: %s: deadline passed after %u pages of %s "
					     "klines",
					     sym, pages, mfs_tf_name(req->tf));
		if (mfs_binance_klines_path(sym, req->tf, cursor, end_ms, MFS_BINANCE_PAGE_LIMIT,
					    path, sizeof(path)) < 0)
			return mfs_error_set(err, MFS_ERR_INVALID,
					     "binance: %s: cannot build the request", sym);
		rc = get_page(get, ctx, path, sym, req->tf, &res->series, &last_open, &rows, err);
		if (rc != MFS_OK)
			return rc;
		pages++;
		rc = mfs_binance_next_page(sym, cursor, end_ms, rows, last_open, &cursor, err);
		if (rc != MFS_OK)
			return rc;
	}

	if (req->first_trade_known == 0) {
		struct mfs_error perr = { 0 };
		enum mfs_err rc = probe_first_trade(get, ctx, sym, req->tf, res, &perr);

		/* With no page asked, the probe is all we heard from Binance:
		 * an unknown symbol or a refusal must not pass as "no bars". */
		if (pages == 0 && (rc == MFS_ERR_NOT_FOUND || rc == MFS_ERR_PERMANENT ||
				   rc == MFS_ERR_INVALID))
			return mfs_error_set(err, rc, "%s", perr.msg);
		if (rc != MFS_OK)
			mfs_debug("binance: %s: listing probe failed: %s", sym, perr.msg);
	}
	return MFS_OK;
}

static enum mfs_err binance_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				  struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_binance_fetch_with(mfs_provider_get, ctx, req, res, err);
}

const struct mfs_provider_ops mfs_binance_ops = {
	.name = "binance",
	.serves = binance_serves,
	.earliest = binance_earliest,
	.fetch = binance_fetch,
	.map_symbol = binance_map_symbol,
	.user_agent = NULL,
	.default_rate_tokens = 1200,
	.default_rate_period_s = 60,
};
