/*
 * Financial Modeling Prep (PROVIDERS.md section 6): bars for US stocks,
 * ETFs and indices, and fundamentals (fund_fmp.c).
 *
 * Endpoints (the /stable API; the key goes in apikey= of the query):
 *   1d        /stable/historical-price-eod/full?symbol=S&from=D&to=D
 *   intraday  /stable/historical-chart/{1min|5min|15min|30min|1hour}
 *             ?symbol=S&from=D&to=D
 * No 4h, 1w or 1M: the cache resamples them from 1h and 1d.
 *
 * Answers are flat arrays, newest first, with keys in the order o, l, h,
 * c (the legacy {"historical":[...]} shape is accepted too). Daily rows
 * carry a date ("2024-02-28", the session date: days * 86400); intraday
 * rows a naive New York wall-clock time at the bar's OPEN ("2024-01-02
 * 15:30:00"), converted to UTC with the tz database. OHLC and volume are
 * split-adjusted (raw_prices false); there is no adj_close (NaN). Index
 * volumes are 0: written as NaN, as "no volume".
 *
 * Paging: FMP truncates long ranges SILENTLY, keeping the newest rows.
 * A window is cut into chunks (one calendar month intraday, five years
 * daily), read newest first; within a chunk, while an answer does not reach back to the
 * chunk's start (a session is expected between the two, or the oldest
 * intraday row is not at a session's open), the older part is asked
 * again, up to the oldest day seen (bounded by MFS_FMP_MAX_REQUESTS and
 * the deadline). An empty answer ends a chunk: the symbol had no bars
 * before, or the days left were holidays.
 *
 * Errors: 429 or {"Error Message":"Limit Reach ..."} (even with HTTP 200)
 * is RATE_LIMIT; 401 "Invalid API KEY", 403 "Legacy Endpoint" and 402
 * plain-text "Premium Query Parameter"/"Restricted Endpoint" are
 * PERMANENT (this key will never get it); [] for the whole window is
 * NO_DATA (FMP answers [] for unknown symbols too, so NOT_FOUND is never
 * claimed); a 200 that is not JSON is PARSE; 5xx is SERVER. The key is
 * only ever in the request path, which is wiped after use, and scrubbed
 * from every message.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/log.h>
#include <marketfs/provider.h>
#include <marketfs/tz.h>

#include "fmp.h"
#include "fund_parse.h"
#include "yahoo.h"
#include "parse.h"

/* numbers may come as strings, and "None", "-" or "" mean missing */
#define NUM_FLAGS (MFS_NUM_STRINGS | MFS_NUM_MISSING)

#define PROV "fmp"
#define FMP_TZ "America/New_York"
#define FMP_CLOSE_MINUTE (16 * 60)
#define PATH_MAX_BYTES 1024
#define ENC_SYMBOL_MAX_BYTES 128
#define ENC_KEY_MAX_BYTES 512

static const char *const intervals[MFS_TF__COUNT] = {
	[MFS_TF_1M] = "1min",	[MFS_TF_5M] = "5min", [MFS_TF_15M] = "15min",
	[MFS_TF_30M] = "30min", [MFS_TF_1H] = "1hour",
};

const char *mfs_fmp_interval(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return intervals[tf];
}

static bool fmp_serves(enum mfs_class cls, enum mfs_tf tf)
{
	if (cls != MFS_CLASS_STOCK && cls != MFS_CLASS_INDEX)
		return false;
	return tf == MFS_TF_1D || mfs_fmp_interval(tf) != NULL;
}

static int64_t fmp_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls;
	(void)tf;
	(void)now;
	return INT64_MIN;
}


static void format_day(int64_t day, char *out, size_t outlen)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(day, &y, &m, &d);
	snprintf(out, outlen, "%04d-%02u-%02u", y, m, d);
}

int mfs_fmp_bars_path(const char *symbol, enum mfs_tf tf, int64_t from_day, int64_t to_day,
		      const char *key, char *out, size_t outlen)
{
	char esym[ENC_SYMBOL_MAX_BYTES], ekey[ENC_KEY_MAX_BYTES] = "", from[16], to[16];
	char endpoint[64];
	int n;

	if (!symbol || !*symbol || (tf != MFS_TF_1D && !mfs_fmp_interval(tf)))
		return -1;
	if (mfs_http_urlencode(symbol, esym, sizeof(esym)) < 0)
		return -1;
	if (key && *key && mfs_http_urlencode(key, ekey, sizeof(ekey)) < 0)
		return -1;
	if (tf == MFS_TF_1D)
		snprintf(endpoint, sizeof(endpoint), "historical-price-eod/full");
	else
		snprintf(endpoint, sizeof(endpoint), "historical-chart/%s", mfs_fmp_interval(tf));
	format_day(from_day, from, sizeof(from));
	format_day(to_day, to, sizeof(to));
	n = snprintf(out, outlen, "/stable/%s?symbol=%s&from=%s&to=%s%s%s", endpoint, esym, from,
		     to, *ekey ? "&apikey=" : "", ekey);
	explicit_bzero(ekey, sizeof(ekey));
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen)
			explicit_bzero(out, outlen);
		return -1;
	}
	return 0;
}

int64_t mfs_fmp_chunk_start(enum mfs_tf tf, int64_t to_day, int64_t from_day)
{
	int64_t first;
	int y;
	unsigned m, d;

	if (tf == MFS_TF_1D) {
		/* the day after to_day, years back: 2024-12-31 -> 2020-01-01 */
		mfs_civil_from_days(to_day + 1, &y, &m, &d);
		first = mfs_days_from_civil(y - MFS_FMP_DAILY_CHUNK_YEARS, m, d);
	} else {
		mfs_civil_from_days(to_day, &y, &m, &d);
		first = mfs_days_from_civil(y, m, 1);
	}
	return first > from_day ? first : from_day;
}

/*
 * A day on which no US session can be: a weekend or New Year's Day (the
 * start of every yearly window; on a Sunday it is observed on Monday 2).
 * Other holidays are not known here (providers do not use the cache's
 * calendar): they only cost a request that answers [].
 */
static bool surely_closed(int64_t day)
{
	unsigned wd = mfs_weekday_from_days(day), m, d;
	int y;

	if (wd >= 5)
		return true;
	mfs_civil_from_days(day, &y, &m, &d);
	return m == 1 && (d == 1 || (d == 2 && wd == 0));
}

bool mfs_fmp_covered(enum mfs_tf tf, int64_t from_day, int64_t oldest_local)
{
	int64_t oldest_day = mfs_floor_div(oldest_local, MFS_SECONDS_PER_DAY);

	for (int64_t day = from_day; day < oldest_day; day++)
		if (!surely_closed(day))
			return false;
	return tf == MFS_TF_1D ||
	       oldest_local - oldest_day * MFS_SECONDS_PER_DAY <= MFS_FMP_SESSION_OPEN_S;
}

/* ---- parsing ------------------------------------------------------------ */

/* A refusal, from its text (an "Error Message" or a plain body) and status. */
static enum mfs_err refusal(long status, const char *text, const char *sym, struct mfs_error *err)
{
	char s[MFS_HTTP_SNIPPET_MAX + 1];

	mfs_http_body_snippet(text, text ? strlen(text) : 0, s, sizeof(s));
	if (status == 429 || mfs_fund_has(text, "Limit Reach"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: rate limited (HTTP %ld: \"%s\")", sym, status, s);
	if (mfs_fund_has(text, "Legacy Endpoint"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: legacy endpoint refused (HTTP %ld)", sym, status);
	if (status == 401 || status == 403 || mfs_fund_has(text, "Invalid API KEY"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: key refused (HTTP %ld: \"%s\")", sym, status, s);
	if (status == 402 || mfs_fund_has(text, "Premium") ||
	    mfs_fund_has(text, "Restricted Endpoint"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: not in this plan (HTTP %ld: \"%s\")", sym, status,
				     s);
	if (status >= 500 || status == 0)
		return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: HTTP %ld: \"%s\"", sym,
				     status, s);
	if (status >= 400)
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: HTTP %ld: \"%s\"", sym,
				     status, s);
	if (status == 200 && text)
		/* an "Error Message" we do not know: FMP refuses, retrying won't help */
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: refused: \"%s\"", sym, s);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: unexpected HTTP %ld", sym, status);
}

/*
 * "YYYY-MM-DD", optionally followed by " HH:MM:SS" or "THH:MM:SS": the
 * day number and the seconds into that (local) day.
 */
static bool parse_when(const char *s, int64_t *day, int64_t *sod)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return false;
	if (s[10] == ' ' || s[10] == 'T') {
		int k = 0;

		if (sscanf(s + 11, "%2d:%2d:%2d%n", &h, &mi, &se, &k) != 3 || k != 8 ||
		    s[19] != '\0')
			return false;
	} else if (s[10] != '\0') {
		return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || h < 0 ||
	    mi < 0 || se < 0)
		return false;
	*day = mfs_days_from_civil(y, (unsigned)mo, (unsigned)d);
	*sod = (int64_t)h * 3600 + mi * 60 + se;
	return true;
}


static enum mfs_err parse_row(json_t *row, size_t i, const char *sym, enum mfs_tf tf,
			      const struct mfs_tz *tz, struct mfs_series *out,
			      int64_t *oldest_local, struct mfs_error *err)
{
	static const char *const names[5] = { "open", "high", "low", "close", "volume" };
	const char *when = json_string_value(json_object_get(row, "date"));
	struct mfs_bar b = mfs_bar_empty();
	double v[5];
	bool null_price = false;
	int64_t day, sod;

	if (!json_is_object(row))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: row %zu is not an object",
				     sym, i);
	if (!parse_when(when, &day, &sod))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: row %zu: bad date \"%.32s\"",
				     sym, i, when ? when : "(none)");
	for (int k = 0; k < 5; k++) {
		int r = mfs_parse_number(json_object_get(row, names[k]), NUM_FLAGS, &v[k]);

		if (r < 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: row %zu (%s): %s is not a number", sym, i,
					     when, names[k]);
		if (r > 0) {
			v[k] = NAN;
			null_price |= k < 4;
		}
	}
	if (tf == MFS_TF_1D)
		sod = 0; /* a date label, whatever time came with it */
	if (day * MFS_SECONDS_PER_DAY + sod < *oldest_local)
		*oldest_local = day * MFS_SECONDS_PER_DAY + sod;
	if (tf == MFS_TF_1D)
		b.t = day * MFS_SECONDS_PER_DAY;
	else
		b.t = mfs_tz_from_local(tz, day * MFS_SECONDS_PER_DAY + sod, NULL);
	b.open = v[0];
	b.high = v[1];
	b.low = v[2];
	b.close = v[3];
	b.volume = v[4];
	return mfs_parse_add_bar(out, &b, null_price, PROV, sym, err);
}

/* The rows of an answer: the array itself or the legacy "historical" (NULL: {}). */
static enum mfs_err rows_of(long status, json_t *root, const char *sym, json_t **rows,
			    struct mfs_error *err)
{
	json_t *msg = json_object_get(root, "Error Message");

	*rows = NULL;
	if (json_is_string(msg))
		return refusal(status, json_string_value(msg), sym, err);
	if (status != 200)
		return refusal(status, NULL, sym, err);
	if (json_is_array(root)) {
		*rows = root;
		return MFS_OK;
	}
	if (!json_is_object(root))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: answer is not an array", sym);
	*rows = json_object_get(root, "historical");
	if (*rows && json_is_array(*rows))
		return MFS_OK;
	/* legacy: {} for a symbol without bars */
	if (json_object_size(root) == 0 ||
	    (json_object_size(root) == 1 && json_object_get(root, "symbol"))) {
		*rows = NULL;
		return MFS_OK;
	}
	return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: object without \"historical\"",
			     sym);
}

enum mfs_err mfs_fmp_parse_bars(long http_status, const char *body, size_t len,
				const char *symbol, enum mfs_tf tf, const struct mfs_tz *tz,
				struct mfs_series *out, size_t *rows, int64_t *oldest_local,
				struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	json_t *root, *arr;
	json_error_t jerr;
	enum mfs_err rc;

	*rows = 0;
	*oldest_local = INT64_MAX;
	if (!body)
		len = 0;
	if (tf != MFS_TF_1D && !tz)
		return mfs_error_set(err, MFS_ERR_CONFIG,
				     PROV ": %s: time zone " FMP_TZ " not in the tz database", sym);
	if (!mfs_http_body_is_json(body, len)) {
		mfs_http_body_snippet(body, len, text, sizeof(text));
		if (http_status == 200 && !mfs_fund_has(text, "Limit Reach"))
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: answer is not JSON: \"%s\"", sym, text);
		return refusal(http_status, text, sym, err);
	}
	root = json_loadb(body, len, 0, &jerr);
	if (!root) {
		if (http_status != 200)
			return refusal(http_status, NULL, sym, err);
		return mfs_error_set(err, MFS_ERR_PARSE,
				     PROV ": %s: malformed JSON: %s at line %d", sym, jerr.text,
				     jerr.line);
	}
	rc = rows_of(http_status, root, sym, &arr, err);
	if (rc == MFS_OK && arr) {
		*rows = json_array_size(arr);
		for (size_t i = 0; i < *rows && rc == MFS_OK; i++)
			rc = parse_row(json_array_get(arr, i), i, sym, tf, tz, out, oldest_local,
				       err);
	}
	json_decref(root);
	return rc;
}

/* ---- the fetch loop ------------------------------------------------------ */

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

struct fetch_state {
	mfs_fmp_get_fn get;
	struct mfs_fetch_ctx *ctx;
	const char *key, *sym;
	enum mfs_tf tf;
	const struct mfs_tz *tz;
	struct mfs_series *out;
	unsigned requests;
	size_t rows; /* over every answer */
};

/* One GET of [from_day, to_day], parsed into st->out. */
static enum mfs_err get_range(struct fetch_state *st, int64_t from_day, int64_t to_day,
			      size_t *rows, int64_t *oldest_local, struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	char path[PATH_MAX_BYTES];
	enum mfs_err rc;

	if (st->requests >= MFS_FMP_MAX_REQUESTS)
		return mfs_error_set(err, MFS_ERR_SERVER,
				     PROV ": %s: still truncated after %u requests", st->sym,
				     st->requests);
	if (deadline_passed(st->ctx))
		return mfs_error_set(err, MFS_ERR_TIMEOUT,
				     PROV ": %s: deadline passed after %u requests", st->sym,
				     st->requests);
	if (mfs_fmp_bars_path(st->sym, st->tf, from_day, to_day, st->key, path, sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: cannot build the request",
				     st->sym);
	resp.retry_after_s = -1;
	st->requests++;
	rc = st->get(st->ctx, path, NULL, &resp, err);
	explicit_bzero(path, sizeof(path));
	if (rc == MFS_OK)
		rc = mfs_fmp_parse_bars(resp.status, resp.body, resp.len, st->sym, st->tf, st->tz,
					st->out, rows, oldest_local, err);
	mfs_http_response_free(&resp);
	st->rows += rc == MFS_OK ? *rows : 0;
	return rc;
}

/*
 * Fetch the chunk [from_day, to_day] whole: while FMP's answer stops short
 * of from_day, ask again for what lies before its oldest row. Intraday,
 * the oldest day itself is asked again, as it may have been cut in the
 * middle (the cache drops the duplicates).
 */
static enum mfs_err fetch_chunk(struct fetch_state *st, int64_t from_day, int64_t to_day,
				struct mfs_error *err)
{
	int64_t hi = to_day;

	for (;;) {
		size_t rows;
		int64_t oldest_local, oldest;
		enum mfs_err rc = get_range(st, from_day, hi, &rows, &oldest_local, err);

		if (rc != MFS_OK)
			return rc;
		if (rows == 0 || mfs_fmp_covered(st->tf, from_day, oldest_local))
			return MFS_OK;
		oldest = mfs_floor_div(oldest_local, MFS_SECONDS_PER_DAY);
		if (oldest > hi) {
			char d[16];

			format_day(hi, d, sizeof(d));
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: answer does not stop at to=%s (from/to "
					     "ignored?)",
					     st->sym, d);
		}
		hi = (st->tf != MFS_TF_1D && oldest < hi) ? oldest : oldest - 1;
		if (hi < from_day)
			return MFS_OK;
	}
}

/* Index rows carry volume 0: there is none. */
static void drop_index_volume(struct mfs_series *s, size_t from)
{
	for (size_t i = from; i < s->n; i++)
		if (s->bars[i].volume == 0)
			s->bars[i].volume = NAN;
}

/* The window's local dates, first and last; false if it is empty. */
static bool window_days(const struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
			const struct mfs_tz *tz, int64_t *from_day, int64_t *to_day)
{
	int64_t start = req->start, end = req->end;

	if (ctx->now > 0 && end > ctx->now + 1)
		end = ctx->now + 1; /* nothing from the future */
	if (req->first_trade_known > start)
		start = req->first_trade_known;
	if (start >= end)
		return false;
	if (req->tf == MFS_TF_1D || !tz) {
		*from_day = mfs_floor_div(start, MFS_SECONDS_PER_DAY);
		*to_day = mfs_floor_div(end - 1, MFS_SECONDS_PER_DAY);
	} else {
		*from_day = mfs_tz_local_day(tz, start);
		*to_day = mfs_tz_local_day(tz, end - 1);
	}
	return true;
}

/*
 * Newest chunk first: once a daily chunk answers [] after a newer one had
 * bars, the symbol's history (or the plan's) begins there, and the older
 * chunks are not asked. Intraday goes on: a month-long halt is possible.
 */
static enum mfs_err fetch_window(struct fetch_state *st, const struct mfs_fetch_req *req,
				 struct mfs_error *err)
{
	int64_t from_day, to_day;

	if (!window_days(st->ctx, req, st->tz, &from_day, &to_day))
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: empty window", st->sym);
	while (to_day >= from_day) {
		int64_t first = mfs_fmp_chunk_start(st->tf, to_day, from_day);
		size_t before = st->rows;
		enum mfs_err rc = fetch_chunk(st, first, to_day, err);

		if (rc != MFS_OK)
			return rc;
		if (st->tf == MFS_TF_1D && before > 0 && st->rows == before)
			break;
		to_day = first - 1;
	}
	if (st->rows == 0)
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: no %s bars in the window ([])",
				     st->sym, mfs_tf_name(st->tf));
	return MFS_OK;
}

enum mfs_err mfs_fmp_fetch_with(mfs_fmp_get_fn get, struct mfs_fetch_ctx *ctx, const char *key,
				const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				struct mfs_error *err)
{
	struct fetch_state st = {
		.get = get,
		.ctx = ctx,
		.key = key,
		.sym = req->provider_symbol && *req->provider_symbol ? req->provider_symbol
								     : req->symbol,
		.tf = req->tf,
		.tz = mfs_tz_get(FMP_TZ),
		.out = &res->series,
	};
	size_t first = res->series.n;
	enum mfs_err rc;

	if (!st.sym || !*st.sym)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": no symbol");
	if (!fmp_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: %s bars not served", st.sym,
				     mfs_tf_name(req->tf));
	if (!key || !*key)
		return mfs_error_set(err, MFS_ERR_CONFIG,
				     PROV ": %s: no API key (set api_key in [provider.fmp] or "
				     "MARKETFS_FMP_KEY)",
				     st.sym);
	snprintf(res->tz, sizeof(res->tz), "%s", FMP_TZ);
	res->close_minute = FMP_CLOSE_MINUTE;
	res->raw_prices = false;
	rc = fetch_window(&st, req, err);
	if (req->cls == MFS_CLASS_INDEX)
		drop_index_volume(&res->series, first);
	if (rc != MFS_OK)
		mfs_fund_scrub_msg(err, key);
	return rc;
}

static enum mfs_err fmp_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
			      struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_fmp_fetch_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov), req, res,
				  err);
}

const struct mfs_provider_ops mfs_fmp_ops = {
	.name = "fmp",
	.serves = fmp_serves,
	.earliest = fmp_earliest,
	.fetch = fmp_fetch,
	.fundamentals = mfs_fmp_fundamentals,
	.needs_key = true,
	/* BRK.B -> BRK-B, exchange suffixes (VOD.L) kept: FMP spells them as Yahoo */
	.map_symbol = mfs_yahoo_map_symbol,
	.default_rate_tokens = 250,
	.default_rate_period_s = 86400,
};
