/*
 * Tiingo bars (PROVIDERS.md section 5): the pieces of the provider that
 * tests drive directly. The path builder, the time parser and the prices
 * parser are pure (no network, no clock); mfs_tiingo_fetch_with() is the
 * fetch with the HTTP GET and the key injected, and mfs_tiingo_ops.fetch
 * calls it with mfs_provider_get() and the configured key.
 */
#ifndef MARKETFS_PROVIDERS_TIINGO_H
#define MARKETFS_PROVIDERS_TIINGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/timeframe.h>

/* IEX intraday keeps a short rolling window (about 2000 bars, ~7 days). */
#define MFS_TIINGO_IEX_DAYS 7
/* Most bars one IEX request is trusted to return. */
#define MFS_TIINGO_IEX_MAX_BARS 2000
/* Regular-hours bars of a full session at the given bar length in seconds. */
#define MFS_TIINGO_SESSION_S (390 * 60)
/* Bound on the intraday request loop, whatever the window. */
#define MFS_TIINGO_MAX_PAGES 64

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_tiingo_get_fn)(struct mfs_fetch_ctx *ctx, const char *path_and_query,
					  const char *const *headers,
					  struct mfs_http_response *resp, struct mfs_error *err);

/* Tiingo's resampleFreq for tf ("daily", "1min" ... "1hour"); NULL if not served. */
const char *mfs_tiingo_resample_freq(enum mfs_tf tf);

/* Stocks at 1d and 1m..1h; not 4h (anchor unknown), not 1w/1M (the cache resamples). */
bool mfs_tiingo_serves(enum mfs_class cls, enum mfs_tf tf);

/* INT64_MIN for 1d; now - MFS_TIINGO_IEX_DAYS days for intraday. */
int64_t mfs_tiingo_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now);

/*
 * The path of a prices request for the days [first_day, last_day]
 * (days since 1970, both inclusive): /tiingo/daily/SYM/prices?... for
 * 1d, /iex/SYM/prices?... for intraday. 0, or -1 if it does not fit or
 * tf is not served.
 */
int mfs_tiingo_prices_path(const char *symbol, enum mfs_tf tf, int64_t first_day,
			   int64_t last_day, char *out, size_t outlen);

/*
 * A Tiingo time: "YYYY-MM-DD", optionally "THH:MM:SS", an optional
 * fraction, an optional "Z" or "+HH:MM"/"-HH:MM". *day is the date as
 * written (the trading-date label of EOD rows), *t the UTC instant.
 */
bool mfs_tiingo_parse_time(const char *s, int64_t *day, int64_t *t);

/*
 * Parse one prices answer into res (series, and for 1d the actions:
 * splitFactor != 1 as a split, divCash != 0 as a dividend). Prices are
 * kept raw. *rows is the number of rows sent. Errors: NOT_FOUND (404 /
 * "not found"), RATE_LIMIT (429, "run over your ... allocation", also
 * with HTTP 200), PERMANENT (401/403, other 4xx), SERVER (5xx), PARSE
 * (anything else that is not an array of rows), NO_DATA ([]).
 */
enum mfs_err mfs_tiingo_parse_prices(long status, const char *body, size_t len,
				     const char *symbol, enum mfs_tf tf,
				     struct mfs_fetch_result *res, size_t *rows,
				     struct mfs_error *err);

/* Days per IEX request at tf, so that a request stays under the bar cap. */
int64_t mfs_tiingo_chunk_days(enum mfs_tf tf);

/* The fetch op with the GET and the key (NULL: MFS_ERR_CONFIG) injected. */
enum mfs_err mfs_tiingo_fetch_with(mfs_tiingo_get_fn get, struct mfs_fetch_ctx *ctx,
				   const char *key, const struct mfs_fetch_req *req,
				   struct mfs_fetch_result *res, struct mfs_error *err);

#endif
