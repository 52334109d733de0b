/*
 * Polygon (Massive) aggregates (PROVIDERS.md section 4): the pieces of the
 * provider that tests drive directly. The symbol mapper, the path builders
 * and the aggregates parser are pure (no network, no clock);
 * mfs_polygon_fetch_with() is the fetch loop with the HTTP GET and the key
 * injected, and mfs_polygon_ops.fetch calls it with mfs_provider_get().
 */
#ifndef MARKETFS_PROVIDERS_POLYGON_H
#define MARKETFS_PROVIDERS_POLYGON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

/* Base aggregates scanned per request: Polygon's maximum. */
#define MFS_POLYGON_LIMIT 50000
/* next_url pages followed per fetch, at most. */
#define MFS_POLYGON_MAX_PAGES 2000
/* The free plan reaches this far back (a rolling window). */
#define MFS_POLYGON_FREE_REACH_S (730 * 86400LL)
/* Longest request path (with query and key). */
#define MFS_POLYGON_PATH_MAX 2048

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_polygon_get_fn)(struct mfs_fetch_ctx *ctx,
					   const char *path_and_query,
					   const char *const *headers,
					   struct mfs_http_response *resp,
					   struct mfs_error *err);

/*
 * Polygon's ticker for a marketfs symbol: stocks as they are (BRK.B),
 * crypto X:BASEUSD (USDT/USDC quotes become USD; BTCUSDT, BTC-USD and
 * BTCUSD all give X:BTCUSD), forex C:EURUSD (from EURUSD or EURUSD=X),
 * indices I:SPX for ^GSPC (^NDX, ^DJI, ^VIX, ^RUT as I:NDX ...), any
 * other ^X as I:X. A symbol that already carries a prefix is kept.
 */
void mfs_polygon_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen);

/* "1/minute", "4/hour", "1/day" ...; NULL where polygon.c serves none (1w, 1M). */
const char *mfs_polygon_timespan(enum mfs_tf tf);

/*
 * "/v2/aggs/ticker/T/range/M/S/FROM/TO?adjusted=true&sort=asc&limit=50000"
 * (the ticker percent-encoded; from and to in ms, both inclusive), without
 * the key. Returns 0, or -1 if out is too small or tf is not served.
 */
int mfs_polygon_aggs_path(const char *ticker, enum mfs_tf tf, int64_t from_ms, int64_t to_ms,
			  char *out, size_t outlen);

/*
 * The path and query of a next_url ("https://api.massive.com/v2/...?cursor=X"
 * or a path already): what follows the authority. Returns 0, or -1 if it is
 * empty, not a /v2/aggs/ path, or does not fit.
 */
int mfs_polygon_next_path(const char *next_url, char *out, size_t outlen);

/* Append "apiKey=EKEY" (ekey already percent-encoded) with '?' or '&'; -1 if too small. */
int mfs_polygon_add_key(char *path, size_t outlen, const char *ekey);

/*
 * Parse one aggregates answer for ticker (messages only) of class cls at
 * tf into out. Bars: intraday t = the UTC open; daily t = the exchange date
 * * 86400 (New York for stocks and indices, UTC for crypto and forex).
 * volume NaN where "v" is absent (indices), adj_close NaN. *next_url gets
 * a copy of next_url ("" if absent); *no_results is true when "results"
 * is missing, null or empty. Errors as described at the top of polygon.c.
 */
enum mfs_err mfs_polygon_parse_aggs(long http_status, const char *body, size_t len,
				    const char *ticker, enum mfs_class cls, enum mfs_tf tf,
				    struct mfs_series *out, char *next_url, size_t next_len,
				    bool *no_results, struct mfs_error *err);

/* The fetch op with the HTTP GET and the API key injected (key may be NULL: CONFIG). */
enum mfs_err mfs_polygon_fetch_with(mfs_polygon_get_fn get, struct mfs_fetch_ctx *ctx,
				    const char *key, const struct mfs_fetch_req *req,
				    struct mfs_fetch_result *res, struct mfs_error *err);

/*
 * A refusal, for bars and fundamentals alike, by HTTP status, Polygon's
 * "status" word (may be NULL) and its message (may be NULL): 429 or "exceeded
 * the maximum requests" RATE_LIMIT; 401/403, NOT_AUTHORIZED, "not entitled",
 * "plan doesn't include" or an API key complaint PERMANENT; 404/NOT_FOUND
 * NOT_FOUND; other 4xx PERMANENT; the rest SERVER.
 */
enum mfs_err mfs_polygon_refusal(long status, const char *pstatus, const char *text,
				 const char *sym, struct mfs_error *err);

#endif
