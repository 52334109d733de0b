/*
 * Limits, defaults and timeouts, in one place, with their unit in the name.
 */
#ifndef MARKETFS_LIMITS_H
#define MARKETFS_LIMITS_H

#define MFS_SYMBOL_MAX 32            /* characters in a symbol name */
#define MFS_FIRST_YEAR 1970          /* no year before this is served */
#define MFS_LAST_YEAR 2200

#define MFS_DEFAULT_HISTORY_START 2000
#define MFS_DEFAULT_FETCH_TIMEOUT_S 120
#define MFS_DEFAULT_NEGATIVE_TTL_S 3600
#define MFS_DEFAULT_MAX_PARALLEL_FETCHES 4
#define MFS_DEFAULT_FUSE_THREADS 64
#define MFS_DEFAULT_MIN_QUALITY 0.5
#define MFS_DEFAULT_FUNDAMENTALS_TTL_S (7 * 86400)
#define MFS_DEFAULT_MAINTENANCE_STOCK_MIN (17 * 60)  /* 17:00 America/New_York */
#define MFS_DEFAULT_MAINTENANCE_CRYPTO_MIN 5         /* 00:05 UTC */
#define MFS_EVICT_LOW_WATER 0.8  /* eviction cleans down to 80% of the limit */

#define MFS_HTTP_MAX_BODY_BYTES (64L * 1024 * 1024)
#define MFS_HTTP_CONNECT_TIMEOUT_S 10
#define MFS_HTTP_LOW_SPEED_BYTES 1024 /* abort below this rate ... */
#define MFS_HTTP_LOW_SPEED_TIME_S 30  /* ... for this long */
#define MFS_HTTP_MAX_TRIES 3          /* per provider request */
#define MFS_HTTP_BACKOFF_BASE_MS 500  /* first retry waits ~this, doubled */
#define MFS_HTTP_BACKOFF_MAX_MS 8000

/* Kernel cache timeouts (seconds). */
#define MFS_ENTRY_TIMEOUT_S 60.0      /* name -> inode */
#define MFS_DIR_ATTR_TIMEOUT_S 5.0    /* directory attributes */
#define MFS_FINAL_ATTR_TIMEOUT_S 3600.0 /* a final (past-year) file */
#define MFS_LIVE_ATTR_TIMEOUT_MAX_S 60.0 /* a current-year file, capped */
#define MFS_INVALID_NAME_TIMEOUT_S 3600.0 /* negative dentry, bad name */

/* Staleness (SPEC section 3). */
#define MFS_STALE_INTRADAY_FRACTION 0.8
#define MFS_STALE_MIN_S 60
#define MFS_SETTLE_STOCK_LOCAL_MIN (17 * 60) /* 17:00 America/New_York */
#define MFS_SETTLE_CRYPTO_UTC_MIN 5          /* 00:05 UTC */

/* The largest sidecar read: ours are a few KiB; a mirror's as well. */
#define MFS_SIDECAR_MAX_BYTES (1u << 20)

/* Temp files of an install older than this are removed at start. */
#define MFS_STALE_TEMP_AGE_S 600

#endif
