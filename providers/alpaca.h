/*
 * Alpaca Market Data v2 stock bars (PROVIDERS.md section 7): the pieces of
 * the provider that tests drive directly. The key splitter, URL builder,
 * time parser and bar parser are pure (no network, no clock);
 * mfs_alpaca_fetch_with() is the paging loop with the HTTP call and the
 * key injected, and mfs_alpaca_ops.fetch calls it with mfs_provider_get()
 * and the configured key.
 */
#ifndef MARKETFS_PROVIDERS_ALPACA_H
#define MARKETFS_PROVIDERS_ALPACA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

/* Bars per request: Alpaca's maximum (the default is 1000). */
#define MFS_ALPACA_PAGE_LIMIT 10000
/* Pages per fetch at most: 10000 x 1000 bars is far beyond any year of 1m. */
#define MFS_ALPACA_MAX_PAGES 1000
/* Free plans may not ask for SIP data of the last 15 minutes; one spare. */
#define MFS_ALPACA_SIP_DELAY_S (16 * 60)
/* Longest next_page_token kept (they are short base64 strings). */
#define MFS_ALPACA_TOKEN_MAX 512
/* Longest key id and secret accepted. */
#define MFS_ALPACA_KEY_PART_MAX 256

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_alpaca_get_fn)(struct mfs_fetch_ctx *ctx, const char *path_and_query,
					  const char *const *headers,
					  struct mfs_http_response *resp, struct mfs_error *err);

/* Alpaca's timeframe for tf ("1Min" ... "1Day"), NULL if not served (4h, 1w, 1M). */
const char *mfs_alpaca_timeframe(enum mfs_tf tf);

/* UTC second from which Alpaca has history (2016-01-01). */
int64_t mfs_alpaca_history_start(void);

/* The Alpaca spelling of symbol: share classes with a dot (BRK-B -> BRK.B). */
void mfs_alpaca_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen);

/*
 * Split "KEY_ID:SECRET" at the first ':' into id and secret (each at most
 * MFS_ALPACA_KEY_PART_MAX bytes). MFS_ERR_CONFIG, with a message giving
 * the expected form but never the key, if key is NULL, has no ':', or
 * either part is empty or too long.
 */
enum mfs_err mfs_alpaca_split_key(const char *key, char *id, size_t idlen, char *secret,
				  size_t secretlen, struct mfs_error *err);

/*
 * Parse an RFC-3339 UTC time: "YYYY-MM-DDTHH:MM:SS", an optional fraction
 * of any length (nanoseconds), then "Z" or "+HH:MM"/"-HH:MM". A bare
 * "YYYY-MM-DD" is midnight UTC. False if s is not such a time.
 */
bool mfs_alpaca_parse_time(const char *s, int64_t *t);

/*
 * Write "/v2/stocks/SYM/bars?timeframe=TF&start=RFC3339&end=RFC3339
 * &limit=10000&adjustment=split&feed=sip&sort=asc[&page_token=T]" into out
 * (symbol and token percent-encoded). page_token NULL or "": first page.
 * Returns 0, or -1 if tf is not served or out is too small.
 */
int mfs_alpaca_bars_path(const char *symbol, enum mfs_tf tf, int64_t start, int64_t end,
			 const char *page_token, char *out, size_t outlen);

/*
 * Parse one bars answer for symbol (the provider symbol: it picks the
 * list out of the multi-symbol shape, and names the symbol in messages).
 * Bars are appended to out (intraday t = the bar's open in UTC; 1d t =
 * the New York date as days * 86400). *rows is the number of bars Alpaca
 * sent; next_token receives next_page_token, "" when it is null or absent.
 * "bars" null, [] or without the symbol: MFS_ERR_NO_DATA.
 */
enum mfs_err mfs_alpaca_parse_bars(long http_status, const char *body, size_t len,
				   const char *symbol, enum mfs_tf tf, struct mfs_series *out,
				   size_t *rows, char *next_token, size_t toklen,
				   struct mfs_error *err);

/* The fetch op with the HTTP GET and the key ("KEY_ID:SECRET") injected. */
enum mfs_err mfs_alpaca_fetch_with(mfs_alpaca_get_fn get, struct mfs_fetch_ctx *ctx,
				   const char *key, const struct mfs_fetch_req *req,
				   struct mfs_fetch_result *res, struct mfs_error *err);

#endif
