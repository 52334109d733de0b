/*
 * Alpha Vantage bars (PROVIDERS.md section 3): the pieces of the provider
 * that tests drive directly. The month plan, the URL builders and the
 * series parser are pure (no network, no clock); mfs_alphavantage_fetch_with()
 * is the fetch with the HTTP GET and the key injected, and
 * mfs_alphavantage_ops.fetch calls it with mfs_provider_get() and the
 * configured key.
 */
#ifndef MARKETFS_PROVIDERS_ALPHAVANTAGE_H
#define MARKETFS_PROVIDERS_ALPHAVANTAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/timeframe.h>

/* Intraday months asked for in one fetch, at most (a year needs 12). */
#define MFS_ALPHAVANTAGE_MAX_MONTHS 240
/* Daily: outputsize=compact holds the latest 100 sessions, so a start
 * more than this many days back needs outputsize=full. */
#define MFS_ALPHAVANTAGE_COMPACT_DAYS 100
/* month= reaches back to 2000-01 (New York). */
#define MFS_ALPHAVANTAGE_FIRST_YEAR 2000

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_alphavantage_get_fn)(struct mfs_fetch_ctx *ctx,
						const char *path_and_query,
						const char *const *headers,
						struct mfs_http_response *resp,
						struct mfs_error *err);

/* A calendar month in New York. */
struct mfs_alphavantage_month {
	int year;
	unsigned month; /* 1..12 */
};

/* "1min" ... "60min" for the intraday timeframes served, else NULL. */
const char *mfs_alphavantage_interval(enum mfs_tf tf);

/* Class STOCK at 1m 5m 15m 30m 1h and 1d (1w/1M are resampled by the cache). */
bool mfs_alphavantage_serves(enum mfs_class cls, enum mfs_tf tf);

/*
 * The New York calendar months that overlap [start, min(end, now)), oldest
 * first, from 2000-01 on. Writes at most max of them to out and returns
 * how many there are (may exceed max: the caller refuses such a window).
 */
size_t mfs_alphavantage_plan_months(int64_t start, int64_t end, int64_t now,
				    struct mfs_alphavantage_month *out, size_t max);

/* Does a daily window starting at start need outputsize=full? */
bool mfs_alphavantage_daily_needs_full(int64_t start, int64_t now);

/*
 * "/query?function=TIME_SERIES_INTRADAY&symbol=S&interval=I&month=YYYY-MM
 * &outputsize=full&adjusted=false&extended_hours=false&datatype=json
 * &apikey=K", symbol and key percent-encoded. 0, or -1 if it does not fit
 * or tf is not intraday. The result holds the key: bzero it after use.
 */
int mfs_alphavantage_intraday_path(const char *symbol, enum mfs_tf tf,
				   const struct mfs_alphavantage_month *m, const char *key,
				   char *out, size_t outlen);

/* "/query?function=TIME_SERIES_DAILY&symbol=S&outputsize=full|compact
 * &datatype=json&apikey=K"; as above. */
int mfs_alphavantage_daily_path(const char *symbol, bool full, const char *key, char *out,
				size_t outlen);

/*
 * Parse one TIME_SERIES_INTRADAY or TIME_SERIES_DAILY answer for tf
 * (symbol is for messages only). Bars are appended to out (any order, as
 * sent): intraday at the UTC second of the bar's open (naive New York
 * strings through the tz database), daily at days * 86400; rows with a
 * "None" price are counted with mfs_series_add_null. An empty series is
 * MFS_ERR_NO_DATA. Refusals (HTTP 200 JSON objects) are classified:
 * NOT_FOUND, PERMANENT, RATE_LIMIT; see alphavantage.c. *premium (may be
 * NULL) tells whether the refusal was a premium gate.
 */
enum mfs_err mfs_alphavantage_parse_series(long status, const char *body, size_t len,
					   const char *symbol, enum mfs_tf tf,
					   struct mfs_series *out, bool *premium,
					   struct mfs_error *err);

/*
 * The fetch op with the GET and the key injected (key NULL or "":
 * MFS_ERR_CONFIG). The key never appears in err.
 */
enum mfs_err mfs_alphavantage_fetch_with(mfs_alphavantage_get_fn get, struct mfs_fetch_ctx *ctx,
					 const char *key, const struct mfs_fetch_req *req,
					 struct mfs_fetch_result *res, struct mfs_error *err);

/*
 * Alpha Vantage refusals, shared with the fundamentals fetcher: does a
 * message name the key (a bad key: permanent), is it a throttle (per
 * minute, per day ...), and the key quoted back in a throttle ("detected
 * your API key as ABC") replaced by "***" in place.
 */
bool mfs_av_names_the_key(const char *text);
bool mfs_av_is_throttle(const char *text);
void mfs_av_redact_detected_key(char *s, size_t size);
/*
 * A one-key error object, {"Error Message": ...}, {"Information": ...} or
 * {"Note": ...} (HTTP 200, for bars and fundamentals alike): name is the
 * key, text its value. *premium (may be NULL) is set for a premium gate.
 */
enum mfs_err mfs_av_refusal(const char *name, const char *text, const char *sym, bool *premium,
			    struct mfs_error *err);

#endif
