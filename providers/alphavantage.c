/*
 * Alpha Vantage (PROVIDERS.md section 3): bars for stocks at 1m 5m 15m 30m
 * 1h and 1d, and fundamentals (fund_alphavantage.c).
 *
 * Endpoints (the key only ever in the apikey= query parameter):
 *   - intraday: /query?function=TIME_SERIES_INTRADAY&symbol=S&interval=5min
 *     &month=YYYY-MM&outputsize=full&adjusted=false&extended_hours=false
 *     &datatype=json&apikey=K. One request per New York calendar month that
 *     overlaps the window, oldest first, at most MFS_ALPHAVANTAGE_MAX_MONTHS,
 *     stopping at the fetch deadline. month= reaches back to 2000-01.
 *   - daily: /query?function=TIME_SERIES_DAILY&symbol=S&outputsize=compact
 *     (the latest 100 sessions), or full when the window starts more than
 *     100 days back. outputsize=full is premium now: a free key's premium
 *     Information is answered by one retry with compact, logged at info;
 *     if compact then holds nothing in the window, the fetch fails
 *     PERMANENT so that another provider is asked instead of the year being
 *     taken as empty. Weekly/monthly are not served: their labels are the
 *     period's last trading day, and the cache resamples from 1d.
 *
 * Time: intraday keys are naive US/Eastern "YYYY-MM-DD HH:MM:SS" at the
 * bar's start, converted through the tz database to the UTC second of the
 * open; daily keys "YYYY-MM-DD" become days * 86400. Keys come newest
 * first; nothing here relies on the order.
 *
 * Adjustment: adjusted=false (intraday) and TIME_SERIES_DAILY are raw
 * prices and volumes, so res->raw_prices is set and the cache split-adjusts.
 * adj_close is NaN (daily adjusted is premium).
 *
 * Values: every number is a JSON string; "None" (or "", "-", null) for a
 * price makes the row a null row (mfs_series_add_null), for the volume a
 * NaN volume.
 *
 * Errors: Alpha Vantage answers refusals with HTTP 200 and a one-key object.
 * "Error Message" naming the apikey, or the same text under Information,
 * is a refused key (PERMANENT); any other "Error Message" ("Invalid API
 * call") an unknown symbol (NOT_FOUND). "Information"/"Note" with throttle
 * words ("rate limit", "per day", "per minute", "frequency", "spreading
 * out") is RATE_LIMIT, looked for first because the throttle also says
 * "premium plans" and quotes the key ("detected your API key as K", cut
 * from messages); "premium" is PERMANENT. A non-JSON 200 is PARSE; an empty
 * series object NO_DATA; 429 RATE_LIMIT, 401/403 PERMANENT, 5xx SERVER.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <marketfs/log.h>
#include <marketfs/provider.h>
#include <marketfs/tz.h>

#include "alphavantage.h"
#include "fund_parse.h"
#include "yahoo.h"
#include "parse.h"

/* numbers may come as strings, and "None", "-" or "" mean missing */
#define NUM_FLAGS (MFS_NUM_STRINGS | MFS_NUM_MISSING)

#define PROV "alphavantage"
#define NY_ZONE "America/New_York"
#define NY_CLOSE_MINUTE (16 * 60)
#define PATH_MAX_BYTES 1024
#define KEY_MAX_BYTES 512
#define SYMBOL_MAX_BYTES 128
#define SNIPPET_BYTES (MFS_HTTP_SNIPPET_MAX + 8)

static const char *const intervals[MFS_TF__COUNT] = {
	[MFS_TF_1M] = "1min",   [MFS_TF_5M] = "5min", [MFS_TF_15M] = "15min",
	[MFS_TF_30M] = "30min", [MFS_TF_1H] = "60min",
};

const char *mfs_alphavantage_interval(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return intervals[tf];
}

bool mfs_alphavantage_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return cls == MFS_CLASS_STOCK && (tf == MFS_TF_1D || mfs_alphavantage_interval(tf));
}

static const struct mfs_tz *ny_tz(void)
{
	return mfs_tz_get(NY_ZONE);
}

/* 00:00 New York on the first day of month= history. */
static int64_t first_served(void)
{
	const struct mfs_tz *tz = ny_tz();
	int64_t local = mfs_days_from_civil(MFS_ALPHAVANTAGE_FIRST_YEAR, 1, 1) *
			MFS_SECONDS_PER_DAY;

	return tz ? mfs_tz_from_local(tz, local, NULL) : local;
}

static int64_t av_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls;
	(void)now;
	return mfs_alphavantage_interval(tf) ? first_served() : INT64_MIN;
}

/* The New York calendar month holding UTC second t. */
static struct mfs_alphavantage_month ny_month(const struct mfs_tz *tz, int64_t t)
{
	struct mfs_alphavantage_month m;
	int64_t day = t / MFS_SECONDS_PER_DAY - (t % MFS_SECONDS_PER_DAY < 0);
	unsigned d;

	if (tz) /* without tzdata the UTC date is near enough for a plan */
		day = mfs_tz_local_day(tz, t);

	mfs_civil_from_days(day, &m.year, &m.month, &d);
	return m;
}

size_t mfs_alphavantage_plan_months(int64_t start, int64_t end, int64_t now,
				    struct mfs_alphavantage_month *out, size_t max)
{
	const struct mfs_tz *tz = ny_tz();
	int64_t lo = start, hi = end < now ? end : now, floor_s = first_served();
	struct mfs_alphavantage_month m, last;
	size_t n = 0;

	if (lo < floor_s)
		lo = floor_s;
	if (lo >= hi)
		return 0;
	m = ny_month(tz, lo);
	last = ny_month(tz, hi - 1);
	while (m.year < last.year || (m.year == last.year && m.month <= last.month)) {
		if (n < max)
			out[n] = m;
		n++;
		if (++m.month > 12) {
			m.month = 1;
			m.year++;
		}
	}
	return n;
}

bool mfs_alphavantage_daily_needs_full(int64_t start, int64_t now)
{
	return start < now - MFS_ALPHAVANTAGE_COMPACT_DAYS * MFS_SECONDS_PER_DAY;
}

/* Percent-encode symbol and key; false if either does not fit. */
static bool encode_both(const char *symbol, const char *key, char *esym, size_t esymlen,
			char *ekey, size_t ekeylen)
{
	if (!symbol || !*symbol || !key)
		return false;
	return mfs_http_urlencode(symbol, esym, esymlen) >= 0 &&
	       mfs_http_urlencode(key, ekey, ekeylen) >= 0;
}

static int finish_path(int n, size_t outlen, char *ekey)
{
	explicit_bzero(ekey, KEY_MAX_BYTES);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int mfs_alphavantage_intraday_path(const char *symbol, enum mfs_tf tf,
				   const struct mfs_alphavantage_month *m, const char *key,
				   char *out, size_t outlen)
{
	const char *interval = mfs_alphavantage_interval(tf);
	char esym[SYMBOL_MAX_BYTES], ekey[KEY_MAX_BYTES];
	int n;

	if (!interval || !m || m->month < 1 || m->month > 12 ||
	    !encode_both(symbol, key, esym, sizeof(esym), ekey, sizeof(ekey)))
		return finish_path(-1, outlen, ekey);
	n = snprintf(out, outlen,
		     "/query?function=TIME_SERIES_INTRADAY&symbol=%s&interval=%s&month=%04d-%02u"
		     "&outputsize=full&adjusted=false&extended_hours=false&datatype=json"
		     "&apikey=%s",
		     esym, interval, m->year, m->month, ekey);
	return finish_path(n, outlen, ekey);
}

int mfs_alphavantage_daily_path(const char *symbol, bool full, const char *key, char *out,
				size_t outlen)
{
	char esym[SYMBOL_MAX_BYTES], ekey[KEY_MAX_BYTES];
	int n;

	if (!encode_both(symbol, key, esym, sizeof(esym), ekey, sizeof(ekey)))
		return finish_path(-1, outlen, ekey);
	n = snprintf(out, outlen,
		     "/query?function=TIME_SERIES_DAILY&symbol=%s&outputsize=%s&datatype=json"
		     "&apikey=%s",
		     esym, full ? "full" : "compact", ekey);
	return finish_path(n, outlen, ekey);
}

/* ---- refusals ------------------------------------------------------------ */

bool mfs_av_names_the_key(const char *text)
{
	return mfs_fund_has(text, "apikey") || mfs_fund_has(text, "api key is invalid");
}

bool mfs_av_is_throttle(const char *text)
{
	static const char *const words[] = { "rate limit", "per day",       "per minute",
					     "frequency",  "spreading out", NULL };

	for (int i = 0; words[i]; i++)
		if (mfs_fund_has(text, words[i]))
			return true;
	return false;
}

/*
 * The daily throttle quotes the key back ("We have detected your API key
 * as ABC123 and ..."): the word after "API key as " becomes "***".
 */
void mfs_av_redact_detected_key(char *s, size_t size)
{
	static const char marker[] = "API key as ";
	char *at = strcasestr(s, marker), *end;
	char tmp[SNIPPET_BYTES + 8];

	if (!at)
		return;
	at += sizeof(marker) - 1;
	for (end = at; *end && *end != ' '; end++)
		;
	snprintf(tmp, sizeof(tmp), "%.*s***%s", (int)(at - s), s, end);
	snprintf(s, size, "%s", tmp);
}

static void safe_snippet(const char *text, size_t len, char *out, size_t outlen)
{
	mfs_http_body_snippet(text, len, out, outlen);
	mfs_av_redact_detected_key(out, outlen);
}

enum mfs_err mfs_av_refusal(const char *name, const char *text, const char *sym, bool *premium,
			    struct mfs_error *err)
{
	char s[MFS_FUND_SNIPPET_MAX + 8];
	bool note = strcmp(name, "Note") == 0;

	/* quoted in the message: the fundamentals excerpt turns '"' into '?' */
	mfs_fund_snippet(text, strlen(text), s, sizeof(s));
	mfs_av_redact_detected_key(s, sizeof(s));
	if (strcmp(name, "Error Message") == 0) {
		if (mfs_av_names_the_key(text))
			return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: key refused: \"%s\"",
					     sym, s);
		/* "Invalid API call": what the time series say of an unknown symbol */
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: unknown symbol: \"%s\"",
				     sym, s);
	}
	/* first: the throttle quotes the key and mentions "premium plans" */
	if (mfs_av_is_throttle(text))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, PROV ": %s: rate limited: \"%s\"",
				     sym, s);
	if (mfs_av_names_the_key(text))
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: key refused: \"%s\"", sym,
				     s);
	if (mfs_fund_has(text, "premium")) {
		if (premium)
			*premium = true;
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: premium only: \"%s\"", sym,
				     s);
	}
	/* a Note has only ever been the throttle; an unknown Information is a refusal */
	return mfs_error_set(err, note ? MFS_ERR_RATE_LIMIT : MFS_ERR_PERMANENT,
			     PROV ": %s: refused (%s): \"%s\"", sym, name, s);
}

/* An answer that is not JSON, or a JSON one with an unexpected status. */
static enum mfs_err av_status(long status, const char *body, size_t len, const char *sym,
			      struct mfs_error *err)
{
	char s[SNIPPET_BYTES];

	safe_snippet(body, len, s, sizeof(s));
	if (status == 429 || (status == 200 && mfs_av_is_throttle(s)))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: rate limited (HTTP %ld: \"%s\")", sym, status, s);
	if (status == 401 || status == 403)
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: refused (HTTP %ld: \"%s\")",
				     sym, status, s);
	if (status == 404)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: HTTP 404 (\"%s\")", sym, s);
	if (status == 200)
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: answer is not JSON: \"%s\"",
				     sym, s);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: unexpected HTTP %ld (\"%s\")", sym,
			     status, s);
}

/* ---- values and times ---------------------------------------------------- */


/* n digits at s as a number; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at s: the day number; false if malformed. */
static bool parse_date(const char *s, int64_t *day)
{
	int y = digits(s, 4), m, d;

	if (y < 0 || s[4] != '-' || s[7] != '-')
		return false;
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*day = mfs_days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}

/* " HH:MM[:SS]" at s: seconds after midnight; false if malformed. */
static bool parse_clock(const char *s, int64_t *sod)
{
	int h, mi, se = 0;

	if (*s != ' ' && *s != 'T')
		return false;
	h = digits(s + 1, 2);
	mi = s[3] == ':' ? digits(s + 4, 2) : -1;
	if (s[6] == ':')
		se = digits(s + 7, 2);
	else if (s[6] != '\0')
		return false;
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 ||
	    (s[6] == ':' && s[9] != '\0'))
		return false;
	*sod = h * 3600 + mi * 60 + se;
	return true;
}

/*
 * A series key as a bar time: daily "YYYY-MM-DD" (a time after it is
 * ignored) -> days * 86400; intraday "YYYY-MM-DD HH:MM:SS" in zone tz ->
 * UTC epoch second.
 */
static bool key_time(const char *key, enum mfs_tf tf, const struct mfs_tz *tz, int64_t *t)
{
	int64_t day, sod;

	if (strlen(key) < 10 || !parse_date(key, &day))
		return false;
	if (!mfs_tf_is_intraday(tf)) {
		if (key[10] != '\0' && !parse_clock(key + 10, &sod))
			return false;
		*t = day * MFS_SECONDS_PER_DAY;
		return true;
	}
	if (!parse_clock(key + 10, &sod))
		return false;
	*t = mfs_tz_from_local(tz, day * MFS_SECONDS_PER_DAY + sod, NULL);
	return true;
}

/* ---- the series ------------------------------------------------------------ */

/* The member of row whose name ends in ". name" ("1. open"), or is name. */
static json_t *field(json_t *row, const char *name)
{
	const char *k;
	json_t *v;
	size_t nl = strlen(name);

	json_object_foreach(row, k, v) {
		size_t kl = strlen(k);

		if (strcmp(k, name) == 0 ||
		    (kl > nl + 2 && strcmp(k + kl - nl, name) == 0 && k[kl - nl - 1] == ' ' &&
		     k[kl - nl - 2] == '.'))
			return v;
	}
	return NULL;
}

static enum mfs_err parse_row(const char *key, json_t *row, const char *sym, enum mfs_tf tf,
			      const struct mfs_tz *tz, struct mfs_series *out,
			      struct mfs_error *err)
{
	static const char *const names[5] = { "open", "high", "low", "close", "volume" };
	double v[5];
	bool null_price = false;
	struct mfs_bar b = mfs_bar_empty();

	if (!key_time(key, tf, tz, &b.t))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: bad time stamp \"%.40s\"",
				     sym, key);
	if (!json_is_object(row))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: %s: row is not an object",
				     sym, key);
	for (int k = 0; k < 5; k++) {
		json_t *x = field(row, names[k]);
		int r = mfs_parse_number(x, NUM_FLAGS, &v[k]);

		if (r < 0) {
			char s[SNIPPET_BYTES] = "(not a string)";
			const char *xs = json_string_value(x);

			if (xs)
				safe_snippet(xs, strlen(xs), s, sizeof(s));
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: %s: %s \"%s\" is not a number", sym, key,
					     names[k], s);
		}
		if (r > 0) {
			v[k] = NAN;
			null_price |= k < 4;
		}
	}
	b.open = v[0];
	b.high = v[1];
	b.low = v[2];
	b.close = v[3];
	b.volume = v[4];
	return mfs_parse_add_bar(out, &b, null_price, PROV, sym, err);
}

/* "Time Series (5min)" / "Time Series (Daily)": the key tf's answer uses. */
static void series_key(enum mfs_tf tf, char *out, size_t outlen)
{
	const char *iv = mfs_alphavantage_interval(tf);

	snprintf(out, outlen, "Time Series (%s)", iv ? iv : "Daily");
}

/*
 * The zone of the naive time stamps: the meta "N. Time Zone" (its
 * numbering shifts by function). "US/Eastern" is New York; tzdata may not
 * ship that legacy link, so it is not looked up.
 */
static const struct mfs_tz *meta_zone(json_t *root, const char *sym)
{
	json_t *meta = json_object_get(root, "Meta Data");
	const char *name = json_string_value(field(meta, "Time Zone"));
	const struct mfs_tz *tz;

	if (!name || strcmp(name, "US/Eastern") == 0 || strcmp(name, NY_ZONE) == 0)
		return ny_tz();
	tz = mfs_tz_get(name);
	if (!tz)
		mfs_debug(PROV ": %s: unknown time zone \"%.40s\", New York assumed", sym, name);
	return tz ? tz : ny_tz();
}

static enum mfs_err parse_root(json_t *root, long status, const char *sym, enum mfs_tf tf,
			       struct mfs_series *out, bool *premium, struct mfs_error *err)
{
	static const char *const refusals[] = { "Error Message", "Information", "Note", NULL };
	char want[64];
	json_t *series, *row;
	const char *key;
	const struct mfs_tz *tz;
	enum mfs_err rc;

	if (!json_is_object(root))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: answer is not an object", sym);
	series_key(tf, want, sizeof(want));
	series = json_object_get(root, want);
	for (int i = 0; !series && refusals[i]; i++) {
		const char *text = json_string_value(json_object_get(root, refusals[i]));

		if (text)
			return mfs_av_refusal(refusals[i], text, sym, premium, err);
	}
	if (status != 200)
		return mfs_error_set(err, status >= 500 || status < 400 ? MFS_ERR_SERVER
									: MFS_ERR_PERMANENT,
				     PROV ": %s: unexpected HTTP %ld", sym, status);
	if (!json_is_object(series))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: no \"%s\" in the answer", sym,
				     want);
	if (json_object_size(series) == 0)
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: empty \"%s\"", sym, want);
	tz = meta_zone(root, sym);
	if (!tz && mfs_tf_is_intraday(tf))
		return mfs_error_set(err, MFS_ERR_CONFIG, PROV ": %s: no tz database entry for %s",
				     sym, NY_ZONE);
	json_object_foreach(series, key, row) {
		rc = parse_row(key, row, sym, tf, tz, out, err);
		if (rc != MFS_OK)
			return rc;
	}
	return MFS_OK;
}

enum mfs_err mfs_alphavantage_parse_series(long status, const char *body, size_t len,
					   const char *symbol, enum mfs_tf tf,
					   struct mfs_series *out, bool *premium,
					   struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	bool prem = false;
	json_t *root;
	json_error_t jerr;
	enum mfs_err rc;

	if (!body)
		len = 0;
	if (!mfs_http_body_is_json(body, len)) {
		rc = av_status(status, body, len, sym, err);
		goto out;
	}
	root = json_loadb(body, len, 0, &jerr);
	if (!root) {
		rc = mfs_error_set(err, status == 200 ? MFS_ERR_PARSE : MFS_ERR_SERVER,
				   PROV ": %s: malformed JSON (HTTP %ld): %s at line %d", sym,
				   status, jerr.text, jerr.line);
		goto out;
	}
	rc = parse_root(root, status, sym, tf, out, &prem, err);
	json_decref(root);
out:
	if (premium)
		*premium = prem;
	return rc;
}

/* ---- fetch ---------------------------------------------------------------- */

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

/* One GET of path (bzeroed here: it holds the key) and its parse into out. */
static enum mfs_err get_series(mfs_alphavantage_get_fn get, struct mfs_fetch_ctx *ctx,
			       char *path, size_t pathlen, const char *sym, enum mfs_tf tf,
			       struct mfs_series *out, bool *premium, struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	enum mfs_err rc;

	resp.retry_after_s = -1;
	*premium = false;
	rc = get(ctx, path, NULL, &resp, err);
	explicit_bzero(path, pathlen);
	if (rc == MFS_OK)
		rc = mfs_alphavantage_parse_series(resp.status, resp.body, resp.len, sym, tf, out,
						   premium, err);
	mfs_http_response_free(&resp);
	return rc;
}

static enum mfs_err fetch_intraday(mfs_alphavantage_get_fn get, struct mfs_fetch_ctx *ctx,
				   const char *key, const char *sym,
				   const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				   struct mfs_error *err)
{
	struct mfs_alphavantage_month months[MFS_ALPHAVANTAGE_MAX_MONTHS];
	size_t n = mfs_alphavantage_plan_months(req->start, req->end, ctx->now, months,
						MFS_ALPHAVANTAGE_MAX_MONTHS);
	size_t empty = 0;
	char path[PATH_MAX_BYTES];
	bool premium;

	if (n == 0)
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: nothing to ask before %d-01",
				     sym, MFS_ALPHAVANTAGE_FIRST_YEAR);
	if (n > MFS_ALPHAVANTAGE_MAX_MONTHS)
		return mfs_error_set(err, MFS_ERR_INVALID,
				     PROV ": %s: window of %zu months is too long", sym, n);
	for (size_t i = 0; i < n; i++) {
		enum mfs_err rc;

		if (deadline_passed(ctx))
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     PROV ": %s: deadline passed after %zu of %zu months",
					     sym, i, n);
		if (mfs_alphavantage_intraday_path(sym, req->tf, &months[i], key, path,
						   sizeof(path)) < 0)
			return mfs_error_set(err, MFS_ERR_INVALID,
					     PROV ": %s: cannot build the request", sym);
		rc = get_series(get, ctx, path, sizeof(path), sym, req->tf, &res->series,
				&premium, err);
		if (rc == MFS_ERR_NO_DATA) {
			empty++;
			continue;
		}
		if (rc != MFS_OK)
			return rc;
	}
	if (empty == n)
		return mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: no %s bars in %zu month(s)",
				     sym, mfs_tf_name(req->tf), n);
	mfs_error_clear(err);
	return MFS_OK;
}

static bool any_bar_in(const struct mfs_series *s, int64_t lo, int64_t hi)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->bars[i].t >= lo && s->bars[i].t < hi)
			return true;
	for (size_t i = 0; i < s->null_rows; i++)
		if (s->null_t[i] >= lo && s->null_t[i] < hi)
			return true;
	return false;
}

static enum mfs_err fetch_daily(mfs_alphavantage_get_fn get, struct mfs_fetch_ctx *ctx,
				const char *key, const char *sym, const struct mfs_fetch_req *req,
				struct mfs_fetch_result *res, struct mfs_error *err)
{
	bool full = mfs_alphavantage_daily_needs_full(req->start, ctx->now), premium = false;
	char path[PATH_MAX_BYTES];
	enum mfs_err rc;
	/* the window as daily labels: dates of [start, end) */
	int64_t lo = req->start - 2 * MFS_SECONDS_PER_DAY, hi = req->end + MFS_SECONDS_PER_DAY;

	if (mfs_alphavantage_daily_path(sym, full, key, path, sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: cannot build the request",
				     sym);
	rc = get_series(get, ctx, path, sizeof(path), sym, req->tf, &res->series, &premium, err);
	if (rc != MFS_ERR_PERMANENT || !full || !premium)
		return rc;

	/* A free key: outputsize=full is premium; the latest 100 sessions it is. */
	mfs_info(PROV ": %s: outputsize=full is premium for this key; asking compact (latest "
		      "%d sessions only)",
		 sym, MFS_ALPHAVANTAGE_COMPACT_DAYS);
	if (deadline_passed(ctx))
		return mfs_error_set(err, MFS_ERR_TIMEOUT, PROV ": %s: deadline passed", sym);
	if (mfs_alphavantage_daily_path(sym, false, key, path, sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: cannot build the request",
				     sym);
	rc = get_series(get, ctx, path, sizeof(path), sym, req->tf, &res->series, &premium, err);
	if (rc != MFS_OK)
		return rc;
	/* Nothing of the window in compact must not pass as an empty window. */
	if (!any_bar_in(&res->series, lo, hi))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: daily history before the latest %d sessions is "
				     "premium (outputsize=full)",
				     sym, MFS_ALPHAVANTAGE_COMPACT_DAYS);
	return MFS_OK;
}

enum mfs_err mfs_alphavantage_fetch_with(mfs_alphavantage_get_fn get, struct mfs_fetch_ctx *ctx,
					 const char *key, const struct mfs_fetch_req *req,
					 struct mfs_fetch_result *res, struct mfs_error *err)
{
	const char *sym = req->provider_symbol && *req->provider_symbol ? req->provider_symbol
									   : req->symbol;
	enum mfs_err rc;

	if (!sym || !*sym)
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": no symbol");
	if (!mfs_alphavantage_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, PROV ": %s: %s not served", sym,
				     mfs_tf_name(req->tf));
	if (!key || !*key)
		return mfs_error_set(err, MFS_ERR_CONFIG,
				     PROV ": %s: no API key (set api_key in [provider.alphavantage])",
				     sym);
	snprintf(res->tz, sizeof(res->tz), "%s", NY_ZONE);
	res->close_minute = NY_CLOSE_MINUTE;
	res->raw_prices = true; /* adjusted=false and TIME_SERIES_DAILY: raw */
	if (req->tf == MFS_TF_1D)
		rc = fetch_daily(get, ctx, key, sym, req, res, err);
	else
		rc = fetch_intraday(get, ctx, key, sym, req, res, err);
	if (rc != MFS_OK)
		mfs_fund_scrub_msg(err, key);
	return rc;
}

static enum mfs_err av_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
			     struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_alphavantage_fetch_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov), req,
					   res, err);
}

const struct mfs_provider_ops mfs_alphavantage_ops = {
	.name = "alphavantage",
	.serves = mfs_alphavantage_serves,
	.earliest = av_earliest,
	.fetch = av_fetch,
	.fundamentals = mfs_alphavantage_fundamentals,
	.needs_key = true,
	.map_symbol = mfs_yahoo_map_symbol,
	/* free plan: 25 requests a day (PROVIDERS.md section 3) */
	.default_rate_tokens = 25,
	.default_rate_period_s = 86400,
};
