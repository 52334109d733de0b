/*
 * Financial Modeling Prep bars (PROVIDERS.md section 6): the pieces of the
 * provider that tests drive directly. The path builder, the chunk plan and
 * the parser are pure (no network, no clock); mfs_fmp_fetch_with() is the
 * fetch loop with the HTTP GET and the key injected, and mfs_fmp_ops.fetch
 * calls it with mfs_provider_get() and the configured key.
 */
#ifndef MARKETFS_PROVIDERS_FMP_H
#define MARKETFS_PROVIDERS_FMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

/* Years per daily request: FMP silently keeps only the newest ~1500 rows. */
#define MFS_FMP_DAILY_CHUNK_YEARS 5
/* Local second of the day a US session opens (09:30). */
#define MFS_FMP_SESSION_OPEN_S (9 * 3600 + 30 * 60)
/* Requests one fetch may send: the free plan has 250 a day. */
#define MFS_FMP_MAX_REQUESTS 64

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_fmp_get_fn)(struct mfs_fetch_ctx *ctx, const char *path_and_query,
				       const char *const *headers, struct mfs_http_response *resp,
				       struct mfs_error *err);

/* FMP's name for the intraday interval tf ("1min" ... "1hour"), NULL for others. */
const char *mfs_fmp_interval(enum mfs_tf tf);

/*
 * Write the request for symbol (not yet encoded) at tf over the local
 * dates [from_day, to_day] (days since 1970-01-01, inclusive) into out:
 * /stable/historical-price-eod/full?... for 1d, /stable/historical-chart/
 * INTERVAL?... for intraday, with &apikey=KEY (encoded) when key is set.
 * Returns 0, or -1 if tf is not served or out is too small. out holds the
 * key: explicit_bzero it after use.
 */
int mfs_fmp_bars_path(const char *symbol, enum mfs_tf tf, int64_t from_day, int64_t to_day,
		      const char *key, char *out, size_t outlen);

/*
 * The first day of the request that ends at to_day, given the range
 * starts at from_day: the calendar month of to_day for intraday,
 * MFS_FMP_DAILY_CHUNK_YEARS years back for daily, never before from_day.
 * Windows are read newest first, from to_day back.
 */
int64_t mfs_fmp_chunk_start(enum mfs_tf tf, int64_t to_day, int64_t from_day);

/*
 * Did an answer at tf whose oldest row is at local wall-clock second
 * oldest_local (day * 86400 + seconds into the day) cover the range that
 * starts at from_day? FMP truncates a range silently, keeping its newest
 * rows, so: only if no session is expected between from_day and the
 * oldest row's day (weekends and New Year's Day; another holiday costs
 * one more request, answered []), and, intraday, the oldest row is at
 * or before the session's open (a truncation cuts inside a session).
 */
bool mfs_fmp_covered(enum mfs_tf tf, int64_t from_day, int64_t oldest_local);

/*
 * Parse one bars answer (the flat array, newest first, or the legacy
 * {"historical":[...]}) for symbol (messages only) at tf, appending to out.
 * Intraday dates are naive local times of zone tz at the bar's open; daily
 * dates become days * 86400. *rows is the number of rows FMP sent and
 * *oldest_local the local wall-clock second of the oldest (days * 86400
 * for daily rows; INT64_MAX when none). [] is
 * MFS_OK with no rows; the caller decides whether that means NO_DATA.
 */
enum mfs_err mfs_fmp_parse_bars(long http_status, const char *body, size_t len,
				const char *symbol, enum mfs_tf tf, const struct mfs_tz *tz,
				struct mfs_series *out, size_t *rows, int64_t *oldest_local,
				struct mfs_error *err);

/* The fetch op with the GET and the key injected (key NULL or "": MFS_ERR_CONFIG). */
enum mfs_err mfs_fmp_fetch_with(mfs_fmp_get_fn get, struct mfs_fetch_ctx *ctx, const char *key,
				const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				struct mfs_error *err);

#endif
