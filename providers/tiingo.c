/*
 * Tiingo bars (PROVIDERS.md section 5) and fundamentals (fund_tiingo.c).
 *
 * Endpoints, the key always in the header "Authorization: Token KEY",
 * never in the URL:
 *   1d   /tiingo/daily/SYM/prices?startDate=D&endDate=D&resampleFreq=daily
 *        &format=json   EOD rows, the whole history in one request (so
 *        whole_history is true at 1d: one request fills every year).
 *   1m 5m 15m 30m 1h
 *        /iex/SYM/prices?startDate=D&endDate=D&resampleFreq=1min..1hour
 *        &columns=open,high,low,close,volume   IEX bars; the window is a
 *        short rolling one (~2000 bars, about 7 days), so earliest() is
 *        now - 7 days, and a window is asked in chunks of days small
 *        enough to stay under 2000 bars (1m: 5 days a request), at most
 *        MFS_TIINGO_MAX_PAGES requests, within the fetch deadline.
 *   Not served: 4h (Tiingo's anchor of 4-hour bars is not the cache's),
 *   1w/1M (Tiingo labels them by the period's END; the cache resamples 1d).
 *
 * Dates in requests are New York calendar dates, both ends inclusive.
 *
 * Time conventions: EOD "date" is "2018-04-12T00:00:00+00:00" or
 * "2018-01-05T00:00:00.000Z" (both styles occur); it is a trading-date
 * label, so the date as written is the bar's day (days * 86400). IEX
 * "date" is the bar's open as a UTC ISO time.
 *
 * Adjustment: prices are RAW (res->raw_prices = true). EOD rows carry raw
 * open/high/low/close/volume, adjClose (split+dividend) goes to adj_close,
 * every splitFactor != 1 is reported as a split and every divCash != 0 as
 * a dividend on the row's date; the cache split-adjusts with them.
 *
 * Errors: HTTP 404 / "Ticker 'X' not found" -> NOT_FOUND; 429 and the
 * plain-text "Error: You have run over your ... allocation" (also sent
 * with HTTP 200) and the monthly "symbol look up" cap -> RATE_LIMIT;
 * 401/403 and other 4xx -> PERMANENT; 5xx -> SERVER; any other plain text
 * or JSON that is not an array of rows -> PARSE; [] -> NO_DATA. The key
 * never enters a URL, and is scrubbed from messages anyway.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/provider.h>
#include <marketfs/tz.h>

#include "fund_parse.h"
#include "tiingo.h"
#include "yahoo.h"
#include "parse.h"

/* numbers may come as strings, and "None", "-" or "" mean missing */
#define NUM_FLAGS (MFS_NUM_STRINGS | MFS_NUM_MISSING)

#define PROV "tiingo"
#define NY_TZ "America/New_York"
#define NY_CLOSE_MINUTE (16 * 60)
#define PATH_MAX_BYTES 512
#define AUTH_MAX_BYTES 512
#define ESYM_MAX_BYTES 128

/* ---- what is served ------------------------------------------------------ */

const char *mfs_tiingo_resample_freq(enum mfs_tf tf)
{
	switch (tf) {
	case MFS_TF_1M:
		return "1min";
	case MFS_TF_5M:
		return "5min";
	case MFS_TF_15M:
		return "15min";
	case MFS_TF_30M:
		return "30min";
	case MFS_TF_1H:
		return "1hour";
	case MFS_TF_1D:
		return "daily";
	default:
		return NULL;
	}
}

bool mfs_tiingo_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return cls == MFS_CLASS_STOCK && mfs_tiingo_resample_freq(tf) != NULL;
}

int64_t mfs_tiingo_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls;
	if (!mfs_tf_is_intraday(tf))
		return INT64_MIN;
	return now - MFS_TIINGO_IEX_DAYS * MFS_SECONDS_PER_DAY;
}

static bool tiingo_whole_history(enum mfs_tf tf)
{
	return tf == MFS_TF_1D;
}

int64_t mfs_tiingo_chunk_days(enum mfs_tf tf)
{
	int64_t s = mfs_tf_seconds(tf), per_day, days;

	if (!mfs_tf_is_intraday(tf) || s <= 0)
		return 0;
	per_day = (MFS_TIINGO_SESSION_S + s - 1) / s;
	days = MFS_TIINGO_IEX_MAX_BARS / per_day;
	return days < 1 ? 1 : days;
}

/* ---- requests ------------------------------------------------------------ */

static void format_day(int64_t day, char *out, size_t outlen)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(day, &y, &m, &d);
	snprintf(out, outlen, "%04d-%02u-%02u", y, m, d);
}

int mfs_tiingo_prices_path(const char *symbol, enum mfs_tf tf, int64_t first_day,
			   int64_t last_day, char *out, size_t outlen)
{
	const char *freq = mfs_tiingo_resample_freq(tf);
	char esym[ESYM_MAX_BYTES], d0[32], d1[32];
	int n;

	if (!freq || !symbol || !*symbol || mfs_http_urlencode(symbol, esym, sizeof(esym)) < 0)
		return -1;
	format_day(first_day, d0, sizeof(d0));
	format_day(last_day, d1, sizeof(d1));
	if (tf == MFS_TF_1D)
		n = snprintf(out, outlen,
			     "/tiingo/daily/%s/prices?startDate=%s&endDate=%s&resampleFreq=%s"
			     "&format=json",
			     esym, d0, d1, freq);
	else
		n = snprintf(out, outlen,
			     "/iex/%s/prices?startDate=%s&endDate=%s&resampleFreq=%s"
			     "&columns=open,high,low,close,volume",
			     esym, d0, d1, freq);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- parsing ------------------------------------------------------------- */

/* n decimal digits at s into *v. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* The "THH:MM:SS[.fff]" part at *p; advances *p. */
static bool parse_clock(const char **p, int64_t *secs)
{
	const char *s = *p;
	int hh, mm, ss;

	if ((*s != 'T' && *s != ' ') || !digits(s + 1, 2, &hh) || s[3] != ':' ||
	    !digits(s + 4, 2, &mm) || s[6] != ':' || !digits(s + 7, 2, &ss) || hh > 23 ||
	    mm > 59 || ss > 60)
		return false;
	s += 9;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	*secs = hh * 3600 + mm * 60 + ss;
	*p = s;
	return true;
}

/* "", "Z" or "+HH:MM"/"-HH:MM" at s: the offset east of UTC in seconds. */
static bool parse_offset(const char *s, int64_t *off)
{
	int hh, mm;

	*off = 0;
	if (*s == '\0' || (s[0] == 'Z' && s[1] == '\0'))
		return true;
	if ((*s != '+' && *s != '-') || !digits(s + 1, 2, &hh) || s[3] != ':' ||
	    !digits(s + 4, 2, &mm) || s[6] != '\0')
		return false;
	*off = (hh * 3600 + mm * 60) * (*s == '-' ? -1 : 1);
	return true;
}

bool mfs_tiingo_parse_time(const char *s, int64_t *day, int64_t *t)
{
	int y, m, d;
	int64_t secs = 0, off;

	if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	s += 10;
	if (*s && !parse_clock(&s, &secs))
		return false;
	if (!parse_offset(s, &off))
		return false;
	*day = mfs_days_from_civil(y, (unsigned)m, (unsigned)d);
	*t = *day * MFS_SECONDS_PER_DAY + secs - off;
	return true;
}


/* Splits and dividends of an EOD row. */
static enum mfs_err row_actions(const json_t *row, int64_t day, const char *sym,
				struct mfs_fetch_result *res, struct mfs_error *err)
{
	double split, div;
	int64_t t = day * MFS_SECONDS_PER_DAY;

	if (mfs_parse_number(json_object_get(row, "splitFactor"), NUM_FLAGS, &split) == 0 && split > 0 &&
	    split != 1.0 && mfs_fetch_result_add_action(res, t, MFS_ACTION_SPLIT, split) < 0)
		return mfs_error_set(err, MFS_ERR_NOMEM, PROV ": %s: out of memory", sym);
	if (mfs_parse_number(json_object_get(row, "divCash"), NUM_FLAGS, &div) == 0 && div != 0.0 &&
	    mfs_fetch_result_add_action(res, t, MFS_ACTION_DIVIDEND, div) < 0)
		return mfs_error_set(err, MFS_ERR_NOMEM, PROV ": %s: out of memory", sym);
	return MFS_OK;
}

static enum mfs_err parse_row(const json_t *row, size_t i, const char *sym, enum mfs_tf tf,
			      struct mfs_fetch_result *res, struct mfs_error *err)
{
	static const char *const names[5] = { "open", "high", "low", "close", "volume" };
	const char *date = json_string_value(json_object_get(row, "date"));
	double v[5], adj = NAN;
	int64_t day, t;
	bool null_price = false;
	struct mfs_bar b;

	if (!json_is_object(row) || !mfs_tiingo_parse_time(date, &day, &t))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: row %zu has no valid date",
				     sym, i);
	for (int k = 0; k < 5; k++) {
		int r = mfs_parse_number(json_object_get(row, names[k]), NUM_FLAGS, &v[k]);

		if (r < 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: row %zu (%s): %s is not a number", sym, i,
					     date, names[k]);
		if (r > 0) {
			v[k] = NAN;
			null_price |= k < 4;
		}
	}
	if (mfs_parse_number(json_object_get(row, "adjClose"), NUM_FLAGS, &adj) != 0)
		adj = NAN;
	/* EOD: the date as written is the trading date, whatever the suffix. */
	b = mfs_bar_empty();
	b.t = mfs_tf_is_intraday(tf) ? t : day * MFS_SECONDS_PER_DAY;
	if (!mfs_tf_is_intraday(tf)) {
		enum mfs_err rc = row_actions(row, day, sym, res, err);

		if (rc != MFS_OK)
			return rc;
	}
	b.open = v[0];
	b.high = v[1];
	b.low = v[2];
	b.close = v[3];
	b.volume = v[4];
	b.adj_close = adj;
	return mfs_parse_add_bar(&res->series, &b, null_price, PROV, sym, err);
}

/*
 * A refusal, told by its wording first (Tiingo sends some with HTTP 200,
 * as plain text), then by its status.
 */
static enum mfs_err refusal(long status, const char *text, const char *sym,
			    struct mfs_error *err)
{
	if (status == 429 || mfs_fund_has(text, "run over") || mfs_fund_has(text, "allocation") ||
	    mfs_fund_has(text, "symbol look up"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: rate limited (HTTP %ld: \"%s\")", sym, status, text);
	if (status == 404 || mfs_fund_has(text, "not found"))
		return mfs_error_set(err, MFS_ERR_NOT_FOUND,
				     PROV ": %s: unknown ticker (HTTP %ld: \"%s\")", sym, status,
				     text);
	if (status == 401 || status == 403 || mfs_fund_has(text, "token") ||
	    mfs_fund_has(text, "permission"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: refused (HTTP %ld: \"%s\")", sym, status, text);
	if (status >= 400 && status < 500)
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: HTTP %ld: \"%s\"", sym,
				     status, text);
	if (status == 200)
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: unexpected answer: \"%s\"",
				     sym, text);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: unexpected HTTP %ld: \"%s\"", sym,
			     status, text);
}

/* The body as JSON, or the error it stands for. */
static enum mfs_err load_body(long status, const char *body, size_t len, const char *sym,
			      json_t **root, struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	const char *detail;
	json_error_t jerr;

	*root = NULL;
	if (!mfs_http_body_is_json(body, len)) {
		mfs_http_body_snippet(body, len, text, sizeof(text));
		return refusal(status, text, sym, err);
	}
	*root = json_loadb(body, len, 0, &jerr);
	if (!*root)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     PROV ": %s: malformed JSON (HTTP %ld): %s at line %d", sym,
				     status, jerr.text, jerr.line);
	detail = json_string_value(json_object_get(*root, "detail"));
	if (detail || status != 200 || !json_is_array(*root)) {
		mfs_http_body_snippet(detail ? detail : body, detail ? strlen(detail) : len, text,
				      sizeof(text));
		json_decref(*root);
		*root = NULL;
		return refusal(status, text, sym, err);
	}
	return MFS_OK;
}

enum mfs_err mfs_tiingo_parse_prices(long status, const char *body, size_t len,
				     const char *symbol, enum mfs_tf tf,
				     struct mfs_fetch_result *res, size_t *rows,
				     struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	json_t *root, *row;
	enum mfs_err rc;
	size_t i;

	*rows = 0;
	if (!body)
		len = 0;
	rc = load_body(status, body ? body : "", len, sym, &root, err);
	if (rc != MFS_OK)
		return rc;
	*rows = json_array_size(root);
	json_array_foreach(root, i, row)
	{
		rc = parse_row(row, i, sym, tf, res, err);
		if (rc != MFS_OK)
			break;
	}
	json_decref(root);
	if (rc == MFS_OK && *rows == 0)
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: no %s bars in range", sym,
				   mfs_tf_name(tf));
	return rc;
}

/* ---- fetching ------------------------------------------------------------ */

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

/* One GET of days [d0, d1], parsed into res. */
static enum mfs_err get_days(mfs_tiingo_get_fn get, struct mfs_fetch_ctx *ctx,
			     const char *const *headers, const char *sym, enum mfs_tf tf,
			     int64_t d0, int64_t d1, struct mfs_fetch_result *res,
			     struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	char path[PATH_MAX_BYTES];
	size_t rows;
	enum mfs_err rc;

	if (mfs_tiingo_prices_path(sym, tf, d0, d1, path, sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: cannot build the request",
				     sym);
	resp.retry_after_s = -1;
	rc = get(ctx, path, headers, &resp, err);
	if (rc == MFS_OK)
		rc = mfs_tiingo_parse_prices(resp.status, resp.body, resp.len, sym, tf, res, &rows,
					     err);
	mfs_http_response_free(&resp);
	return rc;
}

/*
 * Walk [d0, d1] in chunks of days. An empty chunk (a holiday week) is
 * fine as long as some chunk had bars; any other error ends the walk.
 */
static enum mfs_err get_chunks(mfs_tiingo_get_fn get, struct mfs_fetch_ctx *ctx,
			       const char *const *headers, const char *sym, enum mfs_tf tf,
			       int64_t d0, int64_t d1, struct mfs_fetch_result *res,
			       struct mfs_error *err)
{
	int64_t step = tf == MFS_TF_1D ? d1 - d0 + 1 : mfs_tiingo_chunk_days(tf);
	struct mfs_error e = { 0 };
	bool any = false;
	unsigned pages = 0;

	for (int64_t a = d0; a <= d1; a += step) {
		int64_t b = a + step - 1 < d1 ? a + step - 1 : d1;
		enum mfs_err rc;

		if (pages >= MFS_TIINGO_MAX_PAGES || deadline_passed(ctx))
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     PROV ": %s: stopped after %u requests of %s bars", sym,
					     pages, mfs_tf_name(tf));
		rc = get_days(get, ctx, headers, sym, tf, a, b, res, &e);
		pages++;
		if (rc == MFS_OK)
			any = true;
		else if (rc != MFS_ERR_NO_DATA)
			return mfs_error_set(err, rc, "%s", e.msg);
	}
	if (!any)
		return mfs_error_set(err, MFS_ERR_NO_DATA, "%s",
				     e.msg[0] ? e.msg : PROV ": nothing asked");
	return MFS_OK;
}

/* "Authorization: Token KEY"; false (MFS_ERR_CONFIG) if the key is unusable. */
static bool auth_header(const char *key, char *out, size_t outlen, struct mfs_error *err)
{
	if (!key || !*key) {
		mfs_error_set(err, MFS_ERR_CONFIG, PROV ": no API key configured");
		return false;
	}
	/* a header value cannot hold a line break */
	if (strpbrk(key, "\r\n") ||
	    snprintf(out, outlen, "Authorization: Token %s", key) >= (int)outlen) {
		explicit_bzero(out, outlen);
		mfs_error_set(err, MFS_ERR_CONFIG, PROV ": the API key is not usable");
		return false;
	}
	return true;
}

enum mfs_err mfs_tiingo_fetch_with(mfs_tiingo_get_fn get, struct mfs_fetch_ctx *ctx,
				   const char *key, const struct mfs_fetch_req *req,
				   struct mfs_fetch_result *res, struct mfs_error *err)
{
	const char *sym = req->provider_symbol && *req->provider_symbol ? req->provider_symbol
									: req->symbol;
	const struct mfs_tz *ny = mfs_tz_get(NY_TZ);
	char auth[AUTH_MAX_BYTES];
	const char *headers[] = { auth, NULL };
	int64_t end = req->end < ctx->now ? req->end : ctx->now;
	enum mfs_err rc;

	if (!sym || !mfs_tiingo_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: %s not served",
				     sym ? sym : "?", mfs_tf_name(req->tf));
	if (!ny)
		return mfs_error_set(err, MFS_ERR_CONFIG, PROV ": no tz data for " NY_TZ);
	snprintf(res->tz, sizeof(res->tz), NY_TZ);
	res->close_minute = NY_CLOSE_MINUTE;
	res->raw_prices = true;
	if (req->start >= end)
		return MFS_OK; /* nothing to ask */
	if (!auth_header(key, auth, sizeof(auth), err))
		return err ? err->code : MFS_ERR_CONFIG;
	/* EOD t is already a date; intraday instants are New York days. */
	rc = get_chunks(get, ctx, headers, sym, req->tf,
			req->tf == MFS_TF_1D ? req->start / MFS_SECONDS_PER_DAY
					     : mfs_tz_local_day(ny, req->start),
			req->tf == MFS_TF_1D ? (end - 1) / MFS_SECONDS_PER_DAY
					     : mfs_tz_local_day(ny, end - 1),
			res, err);
	explicit_bzero(auth, sizeof(auth));
	if (rc != MFS_OK)
		mfs_fund_scrub_msg(err, key);
	return rc;
}

static enum mfs_err tiingo_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				 struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_tiingo_fetch_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov), req,
				     res, err);
}

const struct mfs_provider_ops mfs_tiingo_ops = {
	.name = "tiingo",
	.serves = mfs_tiingo_serves,
	.earliest = mfs_tiingo_earliest,
	.fetch = tiingo_fetch,
	.whole_history = tiingo_whole_history,
	.fundamentals = mfs_tiingo_fundamentals,
	.needs_key = true,
	/* BRK.B -> BRK-B (PROVIDERS.md section 5), as Yahoo spells share classes */
	.map_symbol = mfs_yahoo_map_symbol,
	/* free plan: 50 requests an hour (PROVIDERS.md section 5) */
	.default_rate_tokens = 50,
	.default_rate_period_s = 3600,
};
