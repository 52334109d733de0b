/*
 * Time zones from the system tz database (/usr/share/zoneinfo, Debian
 * package tzdata), read directly from the TZif files so that any number of
 * zones can be used from any thread without touching the process-wide TZ.
 * Zones are loaded once and kept for the life of the process.
 */
#ifndef MARKETFS_TZ_H
#define MARKETFS_TZ_H

#include <stdbool.h>
#include <stdint.h>

struct mfs_tz;

/*
 * The zone called name ("America/New_York", "UTC"), or NULL if the name is
 * malformed or the tz database has no such zone. Thread-safe; the result
 * must not be freed.
 */
const struct mfs_tz *mfs_tz_get(const char *name);
const char *mfs_tz_name(const struct mfs_tz *tz);

/* Offset from UTC, in seconds, in force at UTC epoch second t. */
int32_t mfs_tz_offset(const struct mfs_tz *tz, int64_t t);
/* Local wall-clock seconds (as if local time were UTC) at t. */
int64_t mfs_tz_to_local(const struct mfs_tz *tz, int64_t t);
/*
 * UTC epoch second of a local wall-clock time. In a DST gap the time is
 * taken with the offset before the gap; in an overlap, the earlier of the
 * two instants. *ambiguous (may be NULL) says whether either happened.
 */
int64_t mfs_tz_from_local(const struct mfs_tz *tz, int64_t local, bool *ambiguous);

/* Day number (days since 1970-01-01) of the local date at t. */
int64_t mfs_tz_local_day(const struct mfs_tz *tz, int64_t t);

/* Where the tz database lives; tests may override with MARKETFS_TZDIR. */
const char *mfs_tz_dir(void);

#endif
