/*
 * Inside of struct mfs_cache, shared by cache.c (state, listings,
 * installs) and fill.c (jobs and the fetch pool).
 */
#ifndef MARKETFS_CACHE_IMPL_H
#define MARKETFS_CACHE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include <marketfs/limits.h>
#include <marketfs/err.h>
#include <marketfs/timeframe.h>

#include <marketfs/cache.h>
#include <marketfs/provider.h>

#include "cache/index.h"
#include "cache/sidecar.h"
#include "cache/store.h"

struct memo;

/*
 * A fetch job: every reader of a (symbol, timeframe) whose year it will
 * install joins it (fill.c). Fundamentals refreshes are jobs too, with
 * fundamentals set, tf MFS_TF_INVALID and years 0.
 */
struct job {
	struct job *next;  /* c->jobs: jobs not yet done */
	struct job *qnext; /* c->qhead[prio]: jobs not yet started */
	char symbol[MFS_SYMBOL_MAX + 1];
	enum mfs_tf tf;
	int want_year;
	int year_lo, year_hi; /* the years it may install */
	int64_t start, end;   /* request window, UTC seconds */
	bool incremental;     /* merge into the cached file of want_year */
	int64_t deadline_ms;
	/* results, written by the fetch thread, read after done */
	bool done;
	bool want_installed;
	enum mfs_err result;
	char msg[MFS_ERRMSG_MAX];
	unsigned refs;
	/* what status.json shows (provider under c->mu) */
	bool fundamentals;      /* a fundamentals refresh, not bars */
	bool force;             /* refresh even if fresh */
	enum mfs_prio prio;     /* queue level, under c->mu; raised by joiners */
	atomic_bool background; /* its requests yield to readers' (provider.c) */
	unsigned retries;       /* demoted retries so far */
	int64_t created_ms;
	atomic_uint requests;
	char provider[32];      /* the provider asked now */
};

/*
 * The cross-process fetch lock of (symbol, tf): _metadata/locks/SYM.TF.lock,
 * flock'd; waits until deadline_ms. Returns an fd for mfs_cache_unlock, -1
 * if locking is impossible (then it goes on unlocked), or -ETIMEDOUT.
 */
int mfs_cache_lock(struct mfs_cache *c, const char *symbol, const char *what, int64_t deadline_ms);
void mfs_cache_unlock(int fd);
/* A reader opened (symbol, tf, year): remembered for eviction (LRU). */
void mfs_cache_touch(struct mfs_cache *c, const struct mfs_key *k);

/* Run a fundamentals job (fundamentals.c), on a fetch thread. */
void mfs_cache_run_fundamentals(struct mfs_cache *c, struct job *j, struct mfs_http *http);
/* Set the provider a job is asking now (for status.json). */
void mfs_cache_job_provider(struct mfs_cache *c, struct job *j, const char *name);
/*
 * Find or queue a job like `fresh` (consumed) and wait for it as
 * mfs_cache_ensure does; result, msg, installed and job_year tell how it ended.
 * Returns MFS_OK when the job finished (whatever its result),
 * MFS_ERR_CANCELLED / MFS_ERR_TIMEOUT when the wait ended first.
 */
enum mfs_err mfs_cache_wait_job(struct mfs_cache *c, struct job *fresh, struct mfs_cancel *cancel,
				int64_t deadline_ms, enum mfs_err *result, char *msg, size_t msglen,
				bool *installed, int *job_year);


#define MFS_RECENT_ERRORS 50

struct mfs_recent_error {
	int64_t at;
	char symbol[MFS_SYMBOL_MAX + 1];
	char tf[8];      /* "" for fundamentals */
	int year;        /* 0 for fundamentals */
	char provider[32];
	char kind[24];   /* mfs_err_name */
	char reason[256];
};

/* Remember a failure for status.json (thread-safe). */
void mfs_cache_note_error(struct mfs_cache *c, const char *symbol, const char *tf, int year,
			  const char *provider, enum mfs_err kind, const char *reason);

/* A snapshot of the jobs for status.json, taken under c->mu. */
struct mfs_job_view {
	char symbol[MFS_SYMBOL_MAX + 1];
	char what[24];   /* "1d 2010-2026", "fundamentals" */
	char provider[32];
	unsigned requests;
	double age_s;
	bool running;
	enum mfs_prio prio;
};
/* Fills up to max views; returns how many jobs there are. */
unsigned mfs_cache_jobs(struct mfs_cache *c, struct mfs_job_view *out, unsigned max);

struct mfs_cache {
	const struct mfs_config *cfg;
	struct mfs_providers *provs;
	struct mfs_store store;
	struct mfs_index *idx;
	struct mfs_cache_hooks hooks;
	void *hook_arg;

	pthread_mutex_t mu;      /* guards jobs, qhead/qtail, running*, stopping */
	pthread_cond_t changed;  /* a job finished or a reader was cancelled */
	pthread_cond_t work;     /* the queue has a job, or stopping */
	struct job *jobs;
	struct job *qhead[MFS_PRIO__COUNT], *qtail[MFS_PRIO__COUNT];
	unsigned running, running_bg; /* running_bg: background jobs running */
	bool stopping;
	atomic_bool stop; /* set once: readers give up, transfers abort */
	pthread_t *threads;
	unsigned n_threads;

	pthread_mutex_t memo_mu; /* guards memo */
	struct memo **memo;      /* verified file states, by path */

	/* what status.json and metrics show */
	int64_t started;         /* wall clock */
	atomic_ullong hits, misses, installs, fetch_errors;
	pthread_mutex_t errs_mu; /* guards errs, n_errs, next_err */
	struct mfs_recent_error errs[MFS_RECENT_ERRORS];
	unsigned n_errs, next_err;
};

enum mfs_class mfs_cache_classify(struct mfs_cache *c, const char *symbol);
enum mfs_err mfs_cache_start_pool(struct mfs_cache *c, struct mfs_error *err);
void mfs_cache_stop_pool(struct mfs_cache *c);

/* Read the cached series of a year (verified pair). */
enum mfs_err mfs_cache_load_series(struct mfs_cache *c, const char *symbol, enum mfs_tf tf,
				   int year, struct mfs_series *out, struct mfs_error *err);
/* Series time of the last cached bar of a year, 0 if none. */
int64_t mfs_cache_last_bar(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year);
/* created_at of the cached pair, or now for a new one. */
int64_t mfs_cache_created_at(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			     int64_t now);
bool mfs_cache_series_has_year(const struct mfs_series *s, int year);
/* Install a pair, update index and memo, call the hook. */
enum mfs_err mfs_cache_install(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			       const void *gz, size_t gzlen, const char *side, size_t sidelen,
			       const struct mfs_sidecar *sc, struct mfs_error *err);

#endif
