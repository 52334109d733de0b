/*
 * The bar series: what every provider produces and the cache stores.
 *
 * Time stamps: for intraday timeframes a bar's t is the UTC epoch second
 * of its OPEN. For 1d/1w/1M, t is the session date encoded as
 * days * 86400 (midnight UTC of that calendar date), so that dates and
 * times share one sortable integer. adj_close is NaN where a provider has
 * none; volume is NaN where the provider sends none (indices, FX).
 */
#ifndef MARKETFS_SERIES_H
#define MARKETFS_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/timeframe.h>

struct mfs_bar {
	int64_t t;
	double open, high, low, close, volume, adj_close;
};

struct mfs_series {
	struct mfs_bar *bars; /* owned */
	size_t n, cap;
	enum mfs_tf tf;
	/*
	 * Rows the parser dropped because a price was null, and their time
	 * stamps (same convention as bars), so that each year counts its own.
	 */
	size_t null_rows;
	int64_t *null_t; /* owned; null_rows entries */
	size_t null_cap;
};

void mfs_series_init(struct mfs_series *s, enum mfs_tf tf);
void mfs_series_free(struct mfs_series *s); /* frees bars, re-inits */
/* Append a copy of *b; returns 0, or -1 on allocation failure. */
int mfs_series_append(struct mfs_series *s, const struct mfs_bar *b);
/* Record a row dropped for null values at time t (null_rows++). */
int mfs_series_add_null(struct mfs_series *s, int64_t t);
/* Append every bar of src. */
int mfs_series_extend(struct mfs_series *s, const struct mfs_series *src);
/*
 * Sort by t (stable) and collapse equal time stamps, the LAST appended
 * bar winning. Returns how many duplicates were removed.
 */
size_t mfs_series_sort_dedup(struct mfs_series *s);
/* Keep only bars with lo <= t < hi. */
void mfs_series_clip(struct mfs_series *s, int64_t lo, int64_t hi);

/* A bar with every field NaN and t = 0. */
struct mfs_bar mfs_bar_empty(void);

#endif
