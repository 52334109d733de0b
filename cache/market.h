/*
 * When bars end and when files go stale (SPEC section 3).
 *
 * A market here is what the cache knows about a symbol's trading hours
 * without a full calendar: its asset class, its exchange time zone and the
 * local minute its regular session closes. Holidays and early closes are
 * not modelled yet: a schedule may wake up on a holiday, find nothing new
 * and go back to sleep, which costs one small request.
 */
#ifndef MARKETFS_CACHE_MARKET_H
#define MARKETFS_CACHE_MARKET_H

#include <stdint.h>

#include <marketfs/series.h>
#include <marketfs/symbol.h>
#include <marketfs/tz.h>

#include "cache/calendar.h"

struct mfs_market {
	enum mfs_class cls;
	const struct mfs_tz *tz; /* never NULL: UTC when unknown */
	int close_minute;        /* local minutes after midnight */
	/*
	 * The trading calendar, when one applies: US stocks (New York zone),
	 * futures, FX and crypto. Stocks of other exchanges have none yet and
	 * fall back to weekdays with the provider's close.
	 */
	bool has_calendar;
	enum mfs_calendar cal;
};

#define MFS_DEFAULT_CLOSE_MINUTE (16 * 60)

/* Fill a market for cls with zone name tz (may be "" or NULL) and close. */
void mfs_market_init(struct mfs_market *m, enum mfs_class cls, const char *tz, int close_minute);

/* UTC second at which the bar stamped t (series convention) is complete. */
int64_t mfs_bar_end(const struct mfs_market *m, enum mfs_tf tf, int64_t t);
/* Drop bars not complete at now; returns how many were dropped. */
size_t mfs_drop_incomplete(struct mfs_series *s, const struct mfs_market *m, int64_t now);

/* The year a bar belongs to: its date's year (1d/1w/1M) or UTC year. */
int mfs_bar_year(enum mfs_tf tf, int64_t t);
/* [lo, hi) in series time units for bars of year y. */
void mfs_year_bounds(enum mfs_tf tf, int y, int64_t *lo, int64_t *hi);

/*
 * When the file of year `year` fetched at last_updated becomes stale, or 0
 * when it is final (fetched a day or more after the year ended and after
 * its last bar ended). Day and longer files go stale at the settle time
 * after the next session close (17:00 New York for US stocks, 00:05 UTC for
 * crypto, an hour after the close for futures and FX). max_age_s > 0 caps
 * the schedule (config key max_age).
 */
int64_t mfs_stale_after(const struct mfs_market *m, enum mfs_tf tf, int year,
			int64_t last_updated, int64_t max_age_s);
/*
 * The same for a file with holes (expected bars the provider did not
 * send): a past year with holes is not final until MFS_HOLE_RETRY_DAYS
 * after it ended, so the providers are asked again (they fill holes late);
 * a file whose newest expected bar is missing (an empty or short answer)
 * is stale again within MFS_TAIL_RETRY_S.
 */
int64_t mfs_stale_after_gaps(const struct mfs_market *m, enum mfs_tf tf, int year,
			     int64_t last_updated, int64_t max_age_s, bool holes,
			     bool tail_missing);
/* mfs_stale_after_gaps without a missing tail. */
int64_t mfs_stale_after_holes(const struct mfs_market *m, enum mfs_tf tf, int year,
			      int64_t last_updated, int64_t max_age_s, bool holes);
#define MFS_HOLE_RETRY_DAYS 30
#define MFS_TAIL_RETRY_S 3600

/*
 * Stamp weekly and monthly bars with the trade date of the period's first
 * session (SPEC section 2), where the market has a calendar: Yahoo dates
 * them by the Monday or the 1st even when that day is a holiday.
 */
void mfs_market_restamp(const struct mfs_market *m, struct mfs_series *s);

/* Is a bar at t on the timeframe's grid? (SPEC section 5) */
int mfs_bar_on_grid(enum mfs_tf tf, int64_t t);

#endif
