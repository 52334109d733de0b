/*
 * Timeframes (bar lengths) and the calendar arithmetic every layer needs:
 * civil dates <-> day numbers, and ISO 8601 formatting.
 */
#ifndef MARKETFS_TIMEFRAME_H
#define MARKETFS_TIMEFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mfs_tf {
	MFS_TF_1M = 0, /* one minute */
	MFS_TF_5M,
	MFS_TF_15M,
	MFS_TF_30M,
	MFS_TF_1H,
	MFS_TF_4H,
	MFS_TF_1D,
	MFS_TF_1W,
	MFS_TF_1MO, /* one month, spelled "1M" in paths */
	MFS_TF__COUNT,
	MFS_TF_INVALID = -1
};

/* "1m" ... "1M"; NULL for an invalid value. */
const char *mfs_tf_name(enum mfs_tf tf);
/* Exact, case-sensitive parse ("1m" is a minute, "1M" a month). */
enum mfs_tf mfs_tf_parse(const char *s);
/* Bar length in seconds for intraday timeframes and 1d/1w; 0 for 1M. */
int64_t mfs_tf_seconds(enum mfs_tf tf);
/* 1m..4h: bars are stamped with a UTC time; 1d/1w/1M with a session date. */
bool mfs_tf_is_intraday(enum mfs_tf tf);

#define MFS_SECONDS_PER_DAY 86400LL

/* a / b rounded toward minus infinity (times before 1970 are negative). */
int64_t mfs_floor_div(int64_t a, int64_t b);

/* Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant). */
int64_t mfs_days_from_civil(int y, unsigned m, unsigned d);
void mfs_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d);
/* 0 = Monday ... 6 = Sunday */
unsigned mfs_weekday_from_days(int64_t days);
/* First second (UTC) of year y. */
int64_t mfs_year_start(int y);
/* UTC year of an epoch second. */
int mfs_year_of(int64_t t);

/* "2024-01-02T14:30:00Z"; buf must hold 21 bytes. */
void mfs_format_iso8601(int64_t t, char *buf, size_t len);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (as written by mfs_format_iso8601). */
bool mfs_parse_iso8601(const char *s, int64_t *t);

#endif
