/*
 * Binance spot klines (PROVIDERS.md section 2): the pieces of the provider
 * that tests drive directly. The URL builder, the kline parser and the
 * pagination step are pure (no network, no clock); mfs_binance_fetch_with()
 * is the fetch loop with the HTTP call injected, and mfs_binance_ops.fetch
 * calls it with mfs_provider_get().
 */
#ifndef MARKETFS_PROVIDERS_BINANCE_H
#define MARKETFS_PROVIDERS_BINANCE_H

#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

/* Rows per klines request: Binance's maximum. */
#define MFS_BINANCE_PAGE_LIMIT 1000

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_binance_get_fn)(struct mfs_fetch_ctx *ctx,
					   const char *path_and_query,
					   const char *const *headers,
					   struct mfs_http_response *resp,
					   struct mfs_error *err);

/* Binance's interval string for tf: the path names, "1m" ... "1M". */
const char *mfs_binance_interval(enum mfs_tf tf);

/*
 * Write "/api/v3/klines?symbol=SYM&interval=I&startTime=MS[&endTime=MS]
 * &limit=N" into out; end_ms < 0 leaves endTime out (the listing probe).
 * Returns 0, or -1 if out is too small or tf is invalid.
 */
int mfs_binance_klines_path(const char *symbol, enum mfs_tf tf, int64_t start_ms, int64_t end_ms,
			    unsigned limit, char *out, size_t outlen);

/*
 * Parse one klines answer for symbol (used in messages only). Closed
 * klines are appended to out; the still-open one (close time >= now_ms)
 * is not. *rows_in_page is the number of rows Binance sent and
 * *last_open_ms the latest open time among them in ms (-1 if none),
 * both counting the open kline, for pagination.
 */
enum mfs_err mfs_binance_parse_klines(long http_status, const char *body, size_t len,
				      const char *symbol, enum mfs_tf tf, int64_t now_ms,
				      struct mfs_series *out, int64_t *last_open_ms,
				      size_t *rows_in_page, struct mfs_error *err);

/*
 * The pagination step after a page asked from start_ms: *next_start_ms is
 * the next startTime, or -1 when done (a short page, or end_ms reached).
 * MFS_ERR_PARSE if a full page did not advance past start_ms.
 */
enum mfs_err mfs_binance_next_page(const char *symbol, int64_t start_ms, int64_t end_ms,
				   size_t rows_in_page, int64_t last_open_ms,
				   int64_t *next_start_ms, struct mfs_error *err);

/* The open time (UTC s) of the kline at tf that contains t. */
int64_t mfs_binance_bar_floor(enum mfs_tf tf, int64_t t);

/* The fetch op with the HTTP GET injected. */
enum mfs_err mfs_binance_fetch_with(mfs_binance_get_fn get, struct mfs_fetch_ctx *ctx,
				    const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				    struct mfs_error *err);

#endif
