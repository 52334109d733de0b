/*
 * The cache as the FUSE layer sees it: what exists, how big it is, and
 * "make this file present and fresh, then let me open it".
 *
 * Nothing here blocks on the network except mfs_cache_ensure(), which
 * waits for a fetch done by the cache's own fetch pool: FUSE worker
 * threads never talk to a provider.
 */
#ifndef MARKETFS_CACHE_H
#define MARKETFS_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <marketfs/config.h>
#include <marketfs/err.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

struct mfs_cache;

enum mfs_cache_kind { MFS_KIND_DATA = 0, MFS_KIND_SIDECAR };

struct mfs_key {
	const char *symbol;
	enum mfs_tf tf;
	int year;
	enum mfs_cache_kind kind;
};

/*
 * Priorities of provider work (SPEC section 6): a reader waiting goes first,
 * then the watch list, maintenance, and prefetching.
 */
enum mfs_prio {
	MFS_PRIO_FOREGROUND = 0,
	MFS_PRIO_WATCH,
	MFS_PRIO_MAINTENANCE,
	MFS_PRIO_PREFETCH,
	MFS_PRIO__COUNT
};
const char *mfs_prio_name(enum mfs_prio p); /* "foreground", "watch", ... */

struct mfs_ensure_opts {
	enum mfs_prio prio;
	bool force;      /* fetch even if the file is fresh (marketfs-ctl refresh) */
	bool is_read;    /* a reader's open: counted in hits/misses and for LRU */
};

struct mfs_file_state {
	bool present;          /* a verified data+sidecar pair is cached */
	bool stale;            /* present, and stale_after has passed */
	struct stat st;        /* of the file asked for (data or sidecar) */
	int64_t stale_after;   /* 0: final */
	int64_t last_updated;
};

/*
 * A reader's cancellation: mfs_cancel_fire() (from libfuse's interrupt
 * callback) wakes the waiter, which returns MFS_ERR_CANCELLED while the
 * fetch goes on.
 */
struct mfs_cancel {
	struct mfs_cache *cache;
	atomic_bool fired;
};
void mfs_cancel_init(struct mfs_cancel *c, struct mfs_cache *cache);
void mfs_cancel_fire(struct mfs_cancel *c);

/*
 * What the cache tells the file system layer, from a fetch thread (never
 * from inside a FUSE request), so it can drop the kernel's cached view.
 */
struct mfs_cache_hooks {
	/* a file pair was installed; new_symbol: its symbol directory is new */
	void (*installed)(void *arg, const char *symbol, enum mfs_tf tf, int year,
			  bool new_symbol);
	/* every provider called the symbol unknown (negative cache) */
	void (*unknown_symbol)(void *arg, const char *symbol);
	/* a fundamentals snapshot was replaced by a newer one and removed */
	void (*snapshot_removed)(void *arg, const char *symbol, const char *name);
	/*
	 * Is the daemon shutting down? Waiting readers ask this a few times a
	 * second, so that SIGTERM is not held up by a slow provider.
	 */
	bool (*exiting)(void *arg);
	/* Is this file open right now (eviction never removes it)? May be NULL. */
	bool (*is_open)(void *arg, const char *symbol, enum mfs_tf tf, int year);
};

struct mfs_cache *mfs_cache_open(const struct mfs_config *cfg, struct mfs_error *err);
/*
 * Start the fetch pool and the scheduler (watch list, daily maintenance,
 * eviction): the daemon, after daemonizing (fork keeps only one thread).
 */
enum mfs_err mfs_cache_start(struct mfs_cache *c, struct mfs_error *err);
/* Start the fetch pool only (marketfs-ctl: no background work of its own). */
enum mfs_err mfs_cache_start_workers(struct mfs_cache *c, struct mfs_error *err);
void mfs_cache_set_hooks(struct mfs_cache *c, const struct mfs_cache_hooks *hooks, void *arg);
/* Stop: wake every waiting reader (EINTR) and abort requests in flight. */
void mfs_cache_shutdown(struct mfs_cache *c);
/* Shut down, stop the pool and close. */
void mfs_cache_close(struct mfs_cache *c);

/* State of a file, from the local tree only (never the network). */
enum mfs_err mfs_cache_stat(struct mfs_cache *c, const struct mfs_key *k,
			    struct mfs_file_state *out);
/*
 * Which years exist for (symbol, tf): fills years[] ascending, returns the
 * count. A year exists if it is cached, or lies between the symbol's first
 * year (learned, else history_start) and this year and some enabled
 * provider can serve it at tf. Never sends a request.
 */
unsigned mfs_cache_years(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int *years,
			 unsigned max);
bool mfs_cache_year_exists(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			   char *why, size_t whylen);
/* Is symbol remembered as unknown (negative cache)? */
bool mfs_cache_symbol_unknown(struct mfs_cache *c, const char *symbol);
/* Symbols to list at the root: cached ones and the watch list. */
typedef void (*mfs_symbol_fn)(void *arg, const char *symbol);
void mfs_cache_symbols(struct mfs_cache *c, mfs_symbol_fn fn, void *arg);

/*
 * Make the file present, and fresh unless a refresh fails (stale-if-error).
 * Blocks until done, the fetch deadline, or cancellation. MFS_OK means the
 * file can be opened now.
 */
enum mfs_err mfs_cache_ensure(struct mfs_cache *c, const struct mfs_key *k,
			      struct mfs_cancel *cancel, struct mfs_error *err);
/*
 * _metadata/quality_scores.json: every cached file's quality score, from
 * the local index only (never the network). *out is malloc'd.
 */
enum mfs_err mfs_cache_quality_json(struct mfs_cache *c, char **out, size_t *len,
				    struct mfs_error *err);

/* ---- fundamentals (fundamentals.c) ---- */
/* Is name a snapshot file name ("fmp_20250106_143022.json")? */
bool mfs_fund_parse_name(const char *name, int *prov, int64_t *t);
/* The newest snapshot of each provider, by name (local only). */
void mfs_cache_fundamentals_list(struct mfs_cache *c, const char *symbol, mfs_symbol_fn fn,
				 void *arg);
bool mfs_cache_fundamentals_exists(struct mfs_cache *c, const char *symbol, const char *name);
/* Open a snapshot; fd or -errno; *st (may be NULL) its attributes. */
int mfs_cache_fundamentals_open(struct mfs_cache *c, const char *symbol, const char *name,
				struct stat *st);
/*
 * Refresh the snapshots if the newest is older than fundamentals_ttl (or
 * there is none), waiting like mfs_cache_ensure; serves older snapshots if
 * every provider fails.
 */
enum mfs_err mfs_cache_fundamentals_ensure(struct mfs_cache *c, const char *symbol,
					   struct mfs_cancel *cancel, struct mfs_error *err);
/* combined.json from the snapshots on disk (never the network). */
enum mfs_err mfs_cache_combined_json(struct mfs_cache *c, const char *symbol, char **out,
				     size_t *len, struct mfs_error *err);

/* ---- generated files (status.c) ---- */
/* SYMBOL/actions.csv: the splits and dividends known (header only if none). */
enum mfs_err mfs_cache_actions_csv(struct mfs_cache *c, const char *symbol, char **out,
				   size_t *len, struct mfs_error *err);
/* The symbol's asset class ([symbols] overrides, else its form). */
enum mfs_class mfs_cache_classify(struct mfs_cache *c, const char *symbol);
enum mfs_err mfs_cache_info_json(struct mfs_cache *c, const char *symbol, char **out,
				 size_t *len, struct mfs_error *err);
enum mfs_err mfs_cache_symbols_json(struct mfs_cache *c, char **out, size_t *len,
				    struct mfs_error *err);
enum mfs_err mfs_cache_providers_json(struct mfs_cache *c, char **out, size_t *len,
				      struct mfs_error *err);
enum mfs_err mfs_cache_status_json(struct mfs_cache *c, char **out, size_t *len,
				   struct mfs_error *err);
enum mfs_err mfs_cache_metrics_text(struct mfs_cache *c, char **out, size_t *len,
				    struct mfs_error *err);

/*
 * mfs_cache_ensure with options: background work (watch, maintenance,
 * prefetch) waits behind readers; force refreshes a fresh file too.
 */
enum mfs_err mfs_cache_ensure_opts(struct mfs_cache *c, const struct mfs_key *k,
				   struct mfs_cancel *cancel, const struct mfs_ensure_opts *o,
				   struct mfs_error *err);

/* ---- eviction (evict.c) ---- */
struct mfs_evict_report {
	uint64_t limit_bytes;    /* cache_max_size (0: none) */
	uint64_t target_bytes;   /* what eviction cleans down to */
	uint64_t before_bytes, after_bytes; /* data + sidecars + snapshots */
	uint64_t free_before, free_after;   /* free bytes on the file system */
	unsigned removed_files;  /* pairs removed (or that would be, dry run) */
	uint64_t removed_bytes;
	unsigned skipped_open, skipped_watched;
};
/*
 * Apply cache_max_size and free_space_floor now: when over either,
 * remove the least recently read year files (data and sidecar) until the
 * cache is at MFS_EVICT_LOW_WATER of the limit and the floor is free;
 * never a file open right now, never a watched symbol's file. With
 * dry_run nothing is removed. each (may be NULL) is called per file
 * ("AAPL/1d/2019.csv.gz", bytes).
 */
enum mfs_err mfs_cache_evict(struct mfs_cache *c, bool dry_run, struct mfs_evict_report *r,
			     void (*each)(void *arg, const char *rel, uint64_t bytes), void *arg,
			     struct mfs_error *err);
/* Is the cache over its limit or under its free-space floor? */
bool mfs_cache_over_limit(struct mfs_cache *c);

/* A fundamentals refresh at a priority (maintenance); like ..._ensure. */
enum mfs_err mfs_cache_fundamentals_refresh(struct mfs_cache *c, const char *symbol,
					    enum mfs_prio prio, bool force, struct mfs_error *err);

/* The cache directory and the configuration the cache was opened with. */
const char *mfs_cache_root(const struct mfs_cache *c);
const struct mfs_config *mfs_cache_config(const struct mfs_cache *c);

/* Rebuild index.db from the tree now (marketfs-ctl reindex). */
enum mfs_err mfs_cache_reindex(struct mfs_cache *c, unsigned *files, struct mfs_error *err);

/* Open the cached file read-only; returns an fd or -errno. */
int mfs_cache_open_file(struct mfs_cache *c, const struct mfs_key *k);

#endif
