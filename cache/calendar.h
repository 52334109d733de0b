/*
 * Trading calendars: which sessions a market holds and when.
 *
 * Four calendars, chosen by asset class: NYSE/Nasdaq (US stocks, ETFs,
 * indices), CME Globex (futures), spot FX (24x5) and crypto (24x7). Every
 * rule carries the dates from which it holds (holidays introduced or
 * retired, early-close rules, one-off closures), and all times go through
 * the tz database, so any year from 1990 to 2100 is answered correctly.
 *
 * A session belongs to a trade date (`day`, days since 1970-01-01):
 *   NYSE    09:30-16:00 America/New_York (13:00 on early closes), Mon-Fri
 *   CME     17:00 the evening before - 16:00 America/Chicago, trade dates
 *           Mon-Fri (Sunday 17:00 opens Monday's); the 16:00-17:00 halt
 *           between trade dates is daily maintenance
 *   FX      17:00 America/New_York the day before - 17:00, trade dates
 *           Mon-Fri (Sunday 17:00 opens Monday's), closed Jan 1 and Dec 25
 *   crypto  00:00-24:00 UTC, every day
 */
#ifndef MARKETFS_CACHE_CALENDAR_H
#define MARKETFS_CACHE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

enum mfs_calendar {
	MFS_CAL_NYSE = 0,
	MFS_CAL_CME,
	MFS_CAL_FX,
	MFS_CAL_CRYPTO,
	MFS_CAL__COUNT
};

/* Stocks, ETFs, indices -> NYSE; futures -> CME; forex -> FX; crypto. */
enum mfs_calendar mfs_calendar_for_class(enum mfs_class cls);
const char *mfs_calendar_name(enum mfs_calendar cal); /* "NYSE", "CME", "FX", "crypto" */
/* The calendar's time zone name ("America/New_York", ..., "UTC"). */
const char *mfs_calendar_tz(enum mfs_calendar cal);

enum mfs_day_kind {
	MFS_DAY_OPEN = 0,  /* a regular session */
	MFS_DAY_EARLY,     /* a session that closes early */
	MFS_DAY_WEEKEND,   /* no session: Saturday/Sunday (trade dates) */
	MFS_DAY_HOLIDAY,   /* no session: a rule-based holiday */
	MFS_DAY_CLOSURE    /* no session: a one-off closure (9/11, Sandy, a funeral) */
};

struct mfs_session {
	int64_t day;   /* trade date */
	int64_t open;  /* UTC second the session opens */
	int64_t close; /* UTC second it closes (exclusive) */
};

/*
 * What trade date `day` is. For OPEN and EARLY, *s (may be NULL) gets the
 * session. *why (may be NULL) gets a short static name for holidays,
 * closures and early closes ("Good Friday", "Hurricane Sandy",
 * "Day after Thanksgiving"), or NULL.
 */
enum mfs_day_kind mfs_calendar_day(enum mfs_calendar cal, int64_t day, struct mfs_session *s,
				   const char **why);

/* The first session whose close is strictly after UTC second t. */
struct mfs_session mfs_calendar_next_session(enum mfs_calendar cal, int64_t t);

/*
 * The bars a complete file of (cal, tf, year) holds, in series time
 * (UTC open for intraday; trade date * 86400 for 1d/1w/1M), ascending:
 * calls fn for each, stopping early if fn returns non-zero. Returns the
 * number of bars visited.
 *   intraday: from each session's open, every bar length, while the bar
 *             opens before the close (the last one may be short: the
 *             15:30 1h bar of a 16:00 close); the year is the UTC year
 *             of the bar's open.
 *   1d:       one per session, stamped with its trade date.
 *   1w / 1M:  one per ISO week / calendar month that has a session,
 *             stamped with the trade date of its first session.
 */
typedef int (*mfs_bar_fn)(void *arg, int64_t t);
size_t mfs_calendar_bars(enum mfs_calendar cal, enum mfs_tf tf, int year, mfs_bar_fn fn,
			 void *arg);

#endif
