/*
 * Yahoo Finance chart v8 (PROVIDERS.md section 1): bars for stocks, ETFs,
 * indices, FX, futures and crypto pairs such as BTC-USD.
 *
 * The provider plans one request per window (1m bars come at most 7 days
 * per request), sends them through mfs_provider_get(), and parses the
 * parallel arrays of the chart answer into a bar series. Yahoo's answers
 * need care: prices are float32 values widened to double, daily bars are
 * stamped with the session OPEN in UTC (so the date must be taken in the
 * exchange's zone, with the DST rules in force at each bar, never with
 * meta.gmtoffset), rows may be null, errors come as JSON or plain text,
 * and the granularity may silently differ from the one asked for.
 *
 * This file never decides what is cached: it returns whatever Yahoo sent
 * for the window (duplicates and the live row included) and leaves
 * sorting, de-duplication and validation to the cache.
 */
#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/tz.h>

#include "yahoo.h"

#define YAHOO_USER_AGENT                                                                   \
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "          \
	"Chrome/124.0 Safari/537.36"

/* How far back Yahoo serves intraday bars, in days (PROVIDERS.md 1.1). */
#define YAHOO_1M_DAYS 30
#define YAHOO_INTRADAY_DAYS 60
#define YAHOO_1H_DAYS 730
/* Ask for a day less than the limit, so that a request is never refused
 * because our clock and Yahoo's disagree about "now". */
#define YAHOO_MARGIN_DAYS 1

/*
 * A float32 printed with 15-17 significant digits and read back differs
 * from the float by at most half a unit in the 15th digit (5e-15
 * relative); a genuine decimal such as 185.64 is ~3e-9 away from its
 * nearest float, far outside this.
 */
#define DENOISE_REL_TOL 2e-14

static const char *const intervals[MFS_TF__COUNT] = {
	[MFS_TF_1M] = "1m",   [MFS_TF_5M] = "5m",  [MFS_TF_15M] = "15m",
	[MFS_TF_30M] = "30m", [MFS_TF_1H] = "1h",  [MFS_TF_4H] = NULL,
	[MFS_TF_1D] = "1d",   [MFS_TF_1W] = "1wk", [MFS_TF_1MO] = "1mo",
};

const char *mfs_yahoo_interval(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return intervals[tf];
}

static bool yahoo_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return (unsigned)cls < MFS_CLASS__COUNT && mfs_yahoo_interval(tf) != NULL;
}

int64_t mfs_yahoo_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	int64_t days;

	switch (tf) {
	case MFS_TF_1M:
		days = YAHOO_1M_DAYS;
		break;
	case MFS_TF_5M:
	case MFS_TF_15M:
	case MFS_TF_30M:
		days = YAHOO_INTRADAY_DAYS;
		break;
	case MFS_TF_1H:
		days = YAHOO_1H_DAYS;
		break;
	default:
		return INT64_MIN;
	}
	return now - (days - YAHOO_MARGIN_DAYS) * MFS_SECONDS_PER_DAY;
}

size_t mfs_yahoo_plan(enum mfs_tf tf, int64_t start, int64_t end, int64_t now,
		      struct mfs_yahoo_window *out, size_t max)
{
	/* "Only 100 years worth of day granularity": and nothing before
	 * 1970 is served anyway. */
	int64_t lo = start, hi = end < now ? end : now;
	int64_t floor_s = mfs_year_start(MFS_FIRST_YEAR);
	int64_t earliest = mfs_yahoo_earliest(MFS_CLASS_STOCK, tf, now);
	size_t n = 0;

	if (!mfs_yahoo_interval(tf))
		return 0;
	if (lo < earliest)
		lo = earliest;
	if (lo < floor_s)
		lo = floor_s;
	while (lo < hi) {
		int64_t p2 = hi;

		if (tf == MFS_TF_1M && hi - lo > MFS_YAHOO_1M_WINDOW_S)
			p2 = lo + MFS_YAHOO_1M_WINDOW_S;
		if (n < max) {
			out[n].period1 = lo;
			out[n].period2 = p2;
		}
		n++;
		lo = p2;
	}
	return n;
}

int mfs_yahoo_chart_path(const char *symbol, enum mfs_tf tf, int64_t period1, int64_t period2,
			 char *out, size_t outlen)
{
	const char *interval = mfs_yahoo_interval(tf);
	char enc[3 * MFS_SYMBOL_MAX * 2 + 1];
	int n;

	if (!interval || !symbol || !*symbol)
		return -1;
	/* ^GSPC and EURUSD=X must reach Yahoo as %5EGSPC and EURUSD%3DX. */
	enc[0] = '\0';
	if (mfs_http_urlencode(symbol, enc, sizeof(enc)) < 0)
		return -1;
	n = snprintf(out, outlen,
		     "/v8/finance/chart/%s?period1=%" PRId64 "&period2=%" PRId64
		     "&interval=%s&includePrePost=false&events=div%%2Csplits",
		     enc, period1, period2, interval);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

double mfs_yahoo_denoise(double v)
{
	char buf[32];
	float f;

	if (!isfinite(v) || v == 0.0 || fabs(v) > FLT_MAX || fabs(v) < FLT_MIN)
		return v;
	f = (float)v;
	if (fabs(v - (double)f) > fabs(v) * DENOISE_REL_TOL)
		return v;
	/* Nine significant digits always identify a float32. */
	for (int prec = 1; prec <= 9; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
		if (strtof(buf, NULL) == f)
			return strtod(buf, NULL);
	}
	return (double)f;
}

/* Yahoo's own exchange suffixes (VOD.L, RY.TO): the dot stays. */
static const char *const exchange_suffixes[] = {
	"L",  "TO", "V",  "CN", "NE", "DE", "F",  "PA", "AS", "BR", "MI", "MC",
	"SW", "ST", "CO", "OL", "HE", "IR", "LS", "VI", "AX", "NZ", "HK", "T",
	"SS", "SZ", "KS", "KQ", "TW", "SI", "JK", "BK", "KL", "NS", "BO", "SA",
	"MX", "BA", "SN", "TA", "IS", "JO", "WA", "PR", "AT", "IL", "ME", "SR",
};

static bool is_exchange_suffix(const char *s)
{
	for (size_t i = 0; i < sizeof(exchange_suffixes) / sizeof(*exchange_suffixes); i++)
		if (strcmp(s, exchange_suffixes[i]) == 0)
			return true;
	return false;
}

/*
 * Crypto pairs are BASE-QUOTE at Yahoo, quoted in fiat: BTCUSDT -> BTC-USD
 * (stablecoins count as USD), ETHBTC -> ETH-BTC; BTC-USD stays.
 */
static void map_crypto(const char *symbol, char *out, size_t outlen)
{
	static const struct {
		const char *suffix, *quote;
	} quotes[] = {
		{ "FDUSD", "USD" }, { "USDT", "USD" }, { "USDC", "USD" }, { "BUSD", "USD" },
		{ "USD", "USD" },   { "EUR", "EUR" },  { "GBP", "GBP" },  { "JPY", "JPY" },
		{ "BTC", "BTC" },   { "ETH", "ETH" },
	};
	size_t len = strlen(symbol);

	if (strchr(symbol, '-'))
		return; /* already Yahoo's form */
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		size_t sl = strlen(quotes[i].suffix);

		if (len > sl && strcmp(symbol + len - sl, quotes[i].suffix) == 0) {
			snprintf(out, outlen, "%.*s-%s", (int)(len - sl), symbol, quotes[i].quote);
			return;
		}
	}
}

void mfs_yahoo_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen)
{
	const char *dot;
	size_t len;

	if (outlen == 0)
		return;
	snprintf(out, outlen, "%s", symbol);
	len = strlen(symbol);
	if (cls == MFS_CLASS_CRYPTO) {
		map_crypto(symbol, out, outlen);
		return;
	}
	if (cls == MFS_CLASS_FOREX) {
		/* EURUSD -> EURUSD=X */
		if (len == 6 && !strchr(symbol, '='))
			snprintf(out, outlen, "%s=X", symbol);
		return;
	}
	if (cls != MFS_CLASS_STOCK)
		return;
	/* Share classes use a dash at Yahoo (BRK.B -> BRK-B), exchange
	 * suffixes a dot; the config's [symbols] section covers the rest. */
	dot = strrchr(out, '.');
	if (!dot || is_exchange_suffix(dot + 1))
		return;
	for (char *p = out; *p; p++)
		if (*p == '.')
			*p = '-';
}

/* An answer that is not a chart: by status, with an excerpt of the body. */
static enum mfs_err status_error(long status, const char *sym, const char *body, size_t len,
				   struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];

	mfs_http_body_snippet(body, len, text, sizeof(text));
	if (status == 429)
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     "yahoo: %s: rate limited (HTTP 429: \"%s\")", sym, text);
	if (status == 200)
		return mfs_error_set(err, MFS_ERR_PARSE, "yahoo: %s: answer is not JSON: \"%s\"",
				     sym, text);
	return mfs_error_set(err, MFS_ERR_SERVER, "yahoo: %s: HTTP %ld: \"%s\"", sym, status,
			     text);
}

static enum mfs_err chart_error(long status, const char *sym, json_t *error,
				struct mfs_error *err)
{
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *desc = json_string_value(json_object_get(error, "description"));

	if (!code)
		code = "?";
	if (!desc)
		desc = "";
	/* "5m data not available for startTime=... The requested range must
	 * be within the last 60 days." */
	if (strcasestr(desc, "data not available") || strcasestr(desc, "range must be within"))
		return mfs_error_set(err, MFS_ERR_NO_DATA, "yahoo: %s: %s", sym, desc);
	if (strcmp(code, "Not Found") == 0 || status == 404)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "yahoo: %s: unknown symbol (%s)", sym,
				     *desc ? desc : code);
	if (status == 429)
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, "yahoo: %s: rate limited (%s)", sym,
				     desc);
	return mfs_error_set(err, MFS_ERR_SERVER, "yahoo: %s: HTTP %ld, error %s: %s", sym,
			     status, code, desc);
}

/*
 * Element i of a number array: 0 with *v set, 1 if null, -1 if it is
 * something else. A missing array (arr NULL) reads as null.
 */
static int num_at(json_t *arr, size_t i, double *v)
{
	json_t *x = arr ? json_array_get(arr, i) : NULL;

	if (!x || json_is_null(x))
		return 1;
	if (!json_is_number(x))
		return -1;
	*v = json_number_value(x);
	return 0;
}

/* indicators.quote[0].NAME, or NULL if absent; -1 if present but wrong. */
static int get_array(json_t *obj, const char *name, size_t n, json_t **out)
{
	json_t *a = json_object_get(obj, name);

	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	*out = a;
	return 0;
}


/* Seconds since local midnight of a local wall-clock second. */
static int64_t sec_of_day(int64_t local)
{
	return local - mfs_floor_div(local, MFS_SECONDS_PER_DAY) * MFS_SECONDS_PER_DAY;
}

/*
 * The session date of a daily/weekly/monthly bar, as a day number. Yahoo
 * stamps the session open; a few markets' bars land at 22:00 or 23:00 of
 * the previous local day around DST changes, and yfinance moves those
 * to the next midnight: so do we.
 */
static int64_t session_day(const struct mfs_tz *tz, int64_t ts)
{
	int64_t day = tz ? mfs_tz_local_day(tz, ts) : mfs_floor_div(ts, MFS_SECONDS_PER_DAY);
	int64_t sod = sec_of_day(tz ? mfs_tz_to_local(tz, ts) : ts);
	int64_t hour = sod / 3600, minute = sod / 60 % 60;

	if ((hour == 22 || hour == 23) && minute == 0)
		day++;
	return day;
}

/* An epoch second from a JSON number; false for null or anything else. */
static bool json_epoch(json_t *x, int64_t *t)
{
	if (json_is_integer(x)) {
		*t = (int64_t)json_integer_value(x);
		return true;
	}
	if (json_is_real(x) && fabs(json_real_value(x)) < 1e15) {
		*t = (int64_t)json_real_value(x);
		return true;
	}
	return false;
}

/* res->tz, first_trade, close_minute; *tz for dating daily bars. */
static enum mfs_err parse_meta(json_t *meta, const char *sym, struct mfs_fetch_result *res,
			       const struct mfs_tz **tz, struct mfs_error *err)
{
	const char *zone = json_string_value(json_object_get(meta, "exchangeTimezoneName"));
	json_t *regular;
	int64_t end;

	res->tz[0] = '\0';
	res->close_minute = -1;
	if (zone) {
		*tz = mfs_tz_get(zone);
		if (!*tz)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     "yahoo: %s: unknown exchange time zone \"%s\"", sym,
					     zone);
		snprintf(res->tz, sizeof(res->tz), "%s", zone);
	} else {
		/* meta.gmtoffset is the offset at request time, not per bar:
		 * no use for dating history. */
		mfs_debug("yahoo: %s: no exchangeTimezoneName, dating bars in UTC", sym);
		*tz = mfs_tz_get("UTC");
	}

	if (!json_epoch(json_object_get(meta, "firstTradeDate"), &res->first_trade))
		res->first_trade = 0; /* null for some funds */
	regular = json_object_get(json_object_get(meta, "currentTradingPeriod"), "regular");
	if (zone && json_epoch(json_object_get(regular, "end"), &end))
		res->close_minute = (int)(sec_of_day(mfs_tz_to_local(*tz, end)) / 60);
	return MFS_OK;
}

struct quote_arrays {
	json_t *ts, *open, *high, *low, *close, *volume, *adj;
};

static enum mfs_err find_arrays(json_t *r0, const char *sym, struct quote_arrays *q,
				struct mfs_error *err)
{
	json_t *ind = json_object_get(r0, "indicators");
	json_t *q0 = json_array_get(json_object_get(ind, "quote"), 0);
	json_t *a0 = json_array_get(json_object_get(ind, "adjclose"), 0);
	size_t n = json_array_size(q->ts);

	if (!json_is_object(q0))
		return mfs_error_set(err, MFS_ERR_PARSE, "yahoo: %s: no indicators.quote[0]", sym);
	if (get_array(q0, "open", n, &q->open) < 0 || get_array(q0, "high", n, &q->high) < 0 ||
	    get_array(q0, "low", n, &q->low) < 0 || get_array(q0, "close", n, &q->close) < 0 ||
	    get_array(q0, "volume", n, &q->volume) < 0 ||
	    (json_is_object(a0) && get_array(a0, "adjclose", n, &q->adj) < 0))
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: a quote array is not as long as timestamp (%zu)",
				     sym, n);
	if (!q->open || !q->high || !q->low || !q->close)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: timestamps without open/high/low/close arrays",
				     sym);
	return MFS_OK;
}

static enum mfs_err parse_rows(const struct quote_arrays *q, const char *sym, enum mfs_tf tf,
			       int64_t period2, const struct mfs_tz *tz,
			       struct mfs_fetch_result *res, struct mfs_error *err)
{
	size_t n = json_array_size(q->ts);
	json_t *px[4] = { q->open, q->high, q->low, q->close };
	static const char *const px_name[4] = { "open", "high", "low", "close" };

	for (size_t i = 0; i < n; i++) {
		struct mfs_bar b = mfs_bar_empty();
		double p[4];
		bool null_row = false;
		int64_t ts;
		int r;

		if (!json_epoch(json_array_get(q->ts, i), &ts))
			return mfs_error_set(err, MFS_ERR_PARSE,
					     "yahoo: %s: timestamp[%zu] is not a number", sym, i);
		/* Yahoo answers with a bar at or after period2 too. */
		if (ts >= period2)
			continue;
		for (int k = 0; k < 4; k++) {
			r = num_at(px[k], i, &p[k]);
			if (r < 0)
				return mfs_error_set(err, MFS_ERR_PARSE,
						     "yahoo: %s: %s[%zu] is not a number", sym,
						     px_name[k], i);
			if (r == 0)
				p[k] = mfs_yahoo_denoise(p[k]);
			if (r > 0 || !isfinite(p[k]))
				null_row = true;
		}
		if (null_row) {
			int64_t nt = mfs_tf_is_intraday(tf) ? ts
							    : session_day(tz, ts) * MFS_SECONDS_PER_DAY;
			if (mfs_series_add_null(&res->series, nt) < 0)
				return mfs_error_set(err, MFS_ERR_NOMEM, "yahoo: %s: out of memory",
						     sym);
			continue;
		}
		b.open = p[0];
		b.high = p[1];
		b.low = p[2];
		b.close = p[3];
		/* A null volume or adjclose alone leaves NaN, and the row stays. */
		if (num_at(q->volume, i, &b.volume) < 0 || num_at(q->adj, i, &b.adj_close) < 0)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     "yahoo: %s: volume/adjclose[%zu] is not a number", sym,
					     i);
		b.adj_close = mfs_yahoo_denoise(b.adj_close);
		if (mfs_tf_is_intraday(tf))
			b.t = ts;
		else
			b.t = session_day(tz, ts) * MFS_SECONDS_PER_DAY;
		if (mfs_series_append(&res->series, &b) < 0)
			return mfs_error_set(err, MFS_ERR_NOMEM, "yahoo: %s: out of memory", sym);
	}
	return MFS_OK;
}

/* A JSON number as a finite double; false for anything else. */
static bool json_finite(json_t *x, double *v)
{
	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return isfinite(*v);
}

/*
 * One entry of events.splits or events.dividends: its ex-date (the
 * exchange-local date of "date", as session_day dates the bars) and value.
 * False if the entry is not one we can read; it is then skipped.
 */
static bool parse_event(json_t *ev, enum mfs_action_type type, const struct mfs_tz *tz,
			int64_t period2, int64_t *t, double *value)
{
	int64_t when;

	if (!json_is_object(ev) || !json_epoch(json_object_get(ev, "date"), &when))
		return false;
	/* Like the bars: nothing at or after the end of the window. */
	if (when >= period2)
		return false;
	if (type == MFS_ACTION_SPLIT) {
		double num, den;

		if (!json_finite(json_object_get(ev, "numerator"), &num) ||
		    !json_finite(json_object_get(ev, "denominator"), &den) || num <= 0 || den <= 0)
			return false;
		*value = num / den;
	} else {
		if (!json_finite(json_object_get(ev, "amount"), value) || *value <= 0)
			return false;
	}
	if (!isfinite(*value))
		return false;
	*t = session_day(tz, when) * MFS_SECONDS_PER_DAY;
	return true;
}

/*
 * events.splits and events.dividends (objects keyed by the epoch as a
 * string) into res->actions. Yahoo's OHLC are split-adjusted already, so
 * res->raw_prices stays false. Entries we cannot read are skipped with a
 * debug message; capitalGains are not actions of SPEC section 2.
 */
static enum mfs_err parse_events(json_t *r0, const char *sym, const struct mfs_tz *tz,
				 int64_t period2, struct mfs_fetch_result *res,
				 struct mfs_error *err)
{
	static const struct {
		const char *name;
		enum mfs_action_type type;
	} kinds[] = { { "splits", MFS_ACTION_SPLIT }, { "dividends", MFS_ACTION_DIVIDEND } };
	json_t *events = json_object_get(r0, "events");

	if (!json_is_object(events))
		return MFS_OK;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		json_t *obj = json_object_get(events, kinds[k].name), *ev;
		const char *key;

		if (!json_is_object(obj))
			continue;
		json_object_foreach(obj, key, ev) {
			int64_t t;
			double value;

			if (!parse_event(ev, kinds[k].type, tz, period2, &t, &value)) {
				mfs_debug("yahoo: %s: skipping events.%s[%s]", sym, kinds[k].name,
					  key);
				continue;
			}
			if (mfs_fetch_result_add_action(res, t, kinds[k].type, value) < 0)
				return mfs_error_set(err, MFS_ERR_NOMEM, "yahoo: %s: out of memory",
						     sym);
		}
	}
	return MFS_OK;
}

static enum mfs_err parse_result(json_t *r0, const char *sym, enum mfs_tf tf, int64_t period2,
				 struct mfs_fetch_result *res, struct mfs_error *err)
{
	const char *want = mfs_yahoo_interval(tf);
	json_t *meta = json_object_get(r0, "meta");
	const struct mfs_tz *tz = NULL;
	struct quote_arrays q = { 0 };
	const char *gran;
	enum mfs_err rc;

	if (!json_is_object(meta))
		return mfs_error_set(err, MFS_ERR_PARSE, "yahoo: %s: chart result has no meta",
				     sym);
	rc = parse_meta(meta, sym, res, &tz, err);
	if (rc != MFS_OK)
		return rc;

	/* Yahoo may quietly answer 30m with 60m, or 1mo with 3mo. */
	gran = json_string_value(json_object_get(meta, "dataGranularity"));
	if (gran && strcmp(gran, want) != 0)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: asked for %s bars, got %s (dataGranularity)", sym,
				     want, gran);

	/* Splits and dividends, even in a window without bars. */
	rc = parse_events(r0, sym, tz, period2, res, err);
	if (rc != MFS_OK)
		return rc;

	/* No bars in the window: no "timestamp" and "quote":[{}]. */
	q.ts = json_object_get(r0, "timestamp");
	if (!q.ts || json_is_null(q.ts))
		return MFS_OK;
	if (!json_is_array(q.ts))
		return mfs_error_set(err, MFS_ERR_PARSE, "yahoo: %s: timestamp is not an array",
				     sym);
	if (json_array_size(q.ts) == 0)
		return MFS_OK;
	if (!gran)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: no meta.dataGranularity: cannot tell the bar size",
				     sym);
	rc = find_arrays(r0, sym, &q, err);
	if (rc != MFS_OK)
		return rc;
	return parse_rows(&q, sym, tf, period2, tz, res, err);
}

enum mfs_err mfs_yahoo_parse_chart(long http_status, const char *body, size_t len,
				   const char *symbol, enum mfs_tf tf, int64_t period2,
				   struct mfs_fetch_result *res, struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	json_t *root, *chart, *error, *result;
	json_error_t jerr;
	enum mfs_err rc;

	if (!mfs_yahoo_interval(tf))
		return mfs_error_set(err, MFS_ERR_INVALID, "yahoo: %s: Yahoo has no %s bars", sym,
				     mfs_tf_name(tf) ? mfs_tf_name(tf) : "?");
	if (!body)
		len = 0;
	/* 429 usually arrives as plain "Too Many Requests". */
	if (!mfs_http_body_is_json(body, len))
		return status_error(http_status, sym, body, len, err);

	root = json_loadb(body, len, 0, &jerr);
	if (!root)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "yahoo: %s: malformed JSON (HTTP %ld): %s at line %d", sym,
				     http_status, jerr.text, jerr.line);

	chart = json_object_get(root, "chart");
	error = json_object_get(chart, "error");
	result = json_array_get(json_object_get(chart, "result"), 0);
	if (error && !json_is_null(error))
		rc = chart_error(http_status, sym, error, err);
	else if (http_status != 200)
		rc = status_error(http_status, sym, body, len, err);
	else if (!json_is_object(result))
		rc = mfs_error_set(err, MFS_ERR_PARSE, "yahoo: %s: no chart.result in the answer",
				   sym);
	else
		rc = parse_result(result, sym, tf, period2, res, err);

	json_decref(root);
	return rc;
}

enum mfs_err mfs_yahoo_fetch_with(mfs_yahoo_get_fn get, struct mfs_fetch_ctx *ctx,
				  const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				  struct mfs_error *err)
{
	const char *sym = req->provider_symbol ? req->provider_symbol : req->symbol;
	struct mfs_yahoo_window win[MFS_YAHOO_MAX_WINDOWS];
	char path[512];
	size_t n, no_data = 0;

	if (!yahoo_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, "yahoo: %s: Yahoo has no %s bars", sym,
				     mfs_tf_name(req->tf) ? mfs_tf_name(req->tf) : "?");
	n = mfs_yahoo_plan(req->tf, req->start, req->end, ctx->now, win, MFS_YAHOO_MAX_WINDOWS);
	if (n > MFS_YAHOO_MAX_WINDOWS)
		return mfs_error_set(err, MFS_ERR_INVALID, "yahoo: %s: window needs %zu requests",
				     sym, n);
	if (n == 0) {
		/* Before Yahoo's horizon or in the future: nothing to ask. */
		mfs_debug("yahoo: %s: %s window is outside what Yahoo serves", sym,
			  mfs_tf_name(req->tf));
		return MFS_OK;
	}

	for (size_t i = 0; i < n; i++) {
		struct mfs_http_response resp = { 0 };
		enum mfs_err rc;

		if (ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms)
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     "yahoo: %s: deadline passed after %zu of %zu requests",
					     sym, i, n);
		if (mfs_yahoo_chart_path(sym, req->tf, win[i].period1, win[i].period2, path,
					 sizeof(path)) < 0)
			return mfs_error_set(err, MFS_ERR_INVALID,
					     "yahoo: %s: cannot build the request", sym);
		resp.retry_after_s = -1;
		rc = get(ctx, path, NULL, &resp, err);
		if (rc == MFS_OK)
			rc = mfs_yahoo_parse_chart(resp.status, resp.body, resp.len, sym, req->tf,
						   win[i].period2, res, err);
		mfs_http_response_free(&resp);
		/* One 1m window past Yahoo's horizon does not spoil the rest. */
		if (rc == MFS_ERR_NO_DATA && n > 1) {
			mfs_debug("yahoo: %s: window %zu of %zu: %s", sym, i + 1, n,
				  err ? err->msg : "");
			no_data++;
			continue;
		}
		if (rc != MFS_OK)
			return rc;
	}
	if (no_data == n)
		return mfs_error_set(err, MFS_ERR_NO_DATA, "yahoo: %s: no %s data in %zu windows",
				     sym, mfs_tf_name(req->tf), n);
	if (no_data)
		mfs_error_clear(err); /* the skipped windows' message is no error */
	return MFS_OK;
}

static enum mfs_err yahoo_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				struct mfs_fetch_result *res, struct mfs_error *err)
{
	return mfs_yahoo_fetch_with(mfs_provider_get, ctx, req, res, err);
}

/* Daily, weekly and monthly history comes whole in one request. */
static bool yahoo_whole_history(enum mfs_tf tf)
{
	return !mfs_tf_is_intraday(tf);
}

const struct mfs_provider_ops mfs_yahoo_ops = {
	.name = "yahoo",
	.serves = yahoo_serves,
	.earliest = mfs_yahoo_earliest,
	.fetch = yahoo_fetch,
	.whole_history = yahoo_whole_history,
	.fundamentals = mfs_yahoo_fundamentals,
	.map_symbol = mfs_yahoo_map_symbol,
	/* Yahoo answers non-browser agents with HTTP 429. */
	.user_agent = YAHOO_USER_AGENT,
	.default_rate_tokens = 60,
	.default_rate_period_s = 60,
};
