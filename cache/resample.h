/*
 * Building a timeframe from a finer one (SPEC section 4: "resampled from
 * the nearest finer one, with session-correct anchors"), and the split
 * adjustment of raw prices (SPEC section 2).
 */
#ifndef MARKETFS_CACHE_RESAMPLE_H
#define MARKETFS_CACHE_RESAMPLE_H

#include <stddef.h>

#include <marketfs/provider.h>
#include <marketfs/series.h>

#include "cache/market.h"

/*
 * Aggregate src (sorted, de-duplicated, at a finer timeframe) into dst
 * (initialised at tf). Intraday buckets start at the session open for
 * markets with a local session (NYSE stocks and indices: 09:30, 13:30 for
 * 4h) and on the UTC grid otherwise; weeks run Monday to Sunday and months
 * by calendar month, each labelled by its first bar's date. open = first,
 * high = max, low = min, close = last, volume = sum (NaN if none had one),
 * adj_close = last. Returns 0, or -1 when memory ran out.
 */
int mfs_resample(const struct mfs_series *src, enum mfs_tf tf, const struct mfs_market *mk,
		 struct mfs_series *dst);

/*
 * Widen a request window [*start, *end) of finer bars so that it holds the
 * whole weeks (1w) or months (1M) it touches: a bucket built from part of
 * its days would replace the whole one. *end is capped at now. Intraday
 * timeframes are left as they are.
 */
void mfs_resample_window(enum mfs_tf tf, int64_t *start, int64_t *end, int64_t now);

/*
 * Split-adjust raw OHLC and volume in place: a bar before a split's
 * ex-date is divided (prices) or multiplied (volume) by the ratios of every
 * later split. actions may hold dividends too (ignored). Intraday bars are
 * dated in the market's zone. Prices are rounded to 1e-6 so that a raw
 * price times the ratio and back gives the price a split-adjusting
 * provider sends.
 */
void mfs_adjust_splits(struct mfs_series *s, const struct mfs_action *actions, size_t n,
		       const struct mfs_market *mk);

#endif
