/*
 * Inside of struct mfs_cache, shared by cache.c (state, listings,
 * installs), queue.c (jobs and the fetch pool) and fill.c (the fill path).
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
struct mfs_sched;

/*
 * A fetch job: every reader of a (symbol, timeframe) whose year it will
 * install joins it (queue.c). Fundamentals refreshes are jobs too, with
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

/*
 * Run a job (fill.c), on a fetch thread (queue.c), without c->mu: a bars
 * job down the fill path, a fundamentals job by mfs_cache_run_fundamentals.
 * Sets j->result, j->msg and j->want_installed.
 */
void mfs_cache_run_job(struct mfs_cache *c, struct job *j, struct mfs_http *http);
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

	/*
	 * The scheduler (scheduler.c): its thread, the lock and condition
	 * variable it sleeps on, and what status.json shows. NULL unless
	 * mfs_cache_start() started it (never in marketfs-ctl).
	 */
	struct mfs_sched *sched;
};


/*
 * One way to get a timeframe's bars: a provider and the timeframe it is
 * asked for (tf itself, or a finer one the cache resamples from).
 */
struct mfs_attempt {
	struct mfs_provider *p;
	enum mfs_tf tf;
};
/*
 * Install bars that came outside a job (a bulk archive): merged into the
 * current year's file of (symbol, tf), validated and installed like a
 * fetch by prov (fill.c). res is the provider's answer at tf.
 */
enum mfs_err mfs_cache_install_answer(struct mfs_cache *c, const char *symbol, enum mfs_tf tf,
				      struct mfs_provider *prov, struct mfs_fetch_result *res,
				      struct mfs_error *err);
/* At most this many attempts: every provider natively and from a finer timeframe. */
#define MFS_MAX_ATTEMPTS (2 * MFS_PROV__COUNT)
/* The ordered attempts for (cls, tf): the mirror, then the chain (fill.c). */
unsigned mfs_cache_attempts(struct mfs_cache *c, enum mfs_class cls, enum mfs_tf tf,
			    struct mfs_attempt *out, unsigned max);
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

/* ---- daily maintenance (maintenance.c) -------------------------------- */

/*
 * Daily maintenance runs per asset class: US equities (stocks, ETFs and
 * indices; FX and futures ride along) after the NYSE close on trading
 * days, crypto after the UTC day ends.
 */
enum mfs_maint_class { MFS_MAINT_STOCK = 0, MFS_MAINT_CRYPTO, MFS_MAINT__COUNT };

/* The steps of a run, in order; a run's row remembers the last one done. */
enum mfs_maint_step {
	MFS_MAINT_STEP_NONE = 0,
	MFS_MAINT_STEP_REFRESH,      /* watched and recently read current-year files */
	MFS_MAINT_STEP_FUNDAMENTALS, /* stale fundamentals snapshots (stocks) */
	MFS_MAINT_STEP_BULK,         /* bulk archives (no bulk provider yet) */
	MFS_MAINT_STEP_EVICT,        /* cache_max_size and free_space_floor */
	MFS_MAINT_STEP_LAST = MFS_MAINT_STEP_EVICT
};

#define MFS_MAINT_RUN_MAX 32   /* "crypto/2026-11-20" */
#define MFS_MAINT_NOTE_MAX 1024

const char *mfs_maint_class_name(enum mfs_maint_class mc); /* "stock", "crypto" */
enum mfs_maint_class mfs_maint_class_of(enum mfs_class cls);
/* Maintenance step 3: pull the bulk archives (bulk.c); a one-line account in note. */
bool mfs_maint_bulk(struct mfs_cache *c, enum mfs_maint_class mc, char *note, size_t len);

const char *mfs_maint_step_name(int step); /* "refresh", ...; "none" for 0 */

/*
 * The most recent scheduled time of mc's run at or before UTC second t
 * (stock: `minute` after midnight New York on an NYSE trading day; crypto:
 * `minute` after midnight UTC, every day), and in *day (may be NULL) the
 * trade date the run is for: the NYSE trade date, or for crypto the UTC
 * day that ended before the run. 0 if none (never in practice).
 */
int64_t mfs_maint_last_time(enum mfs_maint_class mc, int minute, int64_t t, int64_t *day);
/* The first scheduled time strictly after t, likewise. */
int64_t mfs_maint_next_time(enum mfs_maint_class mc, int minute, int64_t t, int64_t *day);
/* "stock/2026-11-20" */
void mfs_maint_run_name(enum mfs_maint_class mc, int64_t day, char *out, size_t len);

/* A row of index.db's maintenance table. */
struct mfs_maint_row {
	char run[MFS_MAINT_RUN_MAX];
	enum mfs_maint_class mc;
	int step;            /* last step completed, 0..MFS_MAINT_STEP_LAST */
	int64_t scheduled;   /* UTC seconds */
	int64_t started;
	int64_t finished;    /* 0 until the last step is done */
	char note[MFS_MAINT_NOTE_MAX]; /* one line per step done */
};

enum mfs_maint_action { MFS_MAINT_NONE = 0, MFS_MAINT_NEW, MFS_MAINT_RESUME };
/*
 * What to do about the most recent scheduled run given its stored row
 * (NULL: none): a new run from step 1, resume at the first step not done,
 * or nothing (finished). *first_step gets the step to start at (0: none).
 */
enum mfs_maint_action mfs_maint_decide(const struct mfs_maint_row *row, int *first_step);

struct mfs_maint_plan {
	enum mfs_maint_class mc;
	char run[MFS_MAINT_RUN_MAX];
	int64_t scheduled, day;
	enum mfs_maint_action action;
	int first_step;
};
/*
 * The run due at `now` for mc: the most recent scheduled one, decided
 * against its row. Older unfinished runs are never picked: only the most
 * recent missed run is caught up. 0, or -1 if index.db cannot be read.
 */
int mfs_maint_plan(struct mfs_index *idx, enum mfs_maint_class mc, int minute, int64_t now,
		   struct mfs_maint_plan *out);

/*
 * The maintenance table in index.db (created on first use), under the
 * index lock; every write is committed when it returns. get/latest: 1
 * found, 0 not, -1 error; the others 0 or -1.
 */
int mfs_maint_get(struct mfs_index *idx, const char *run, struct mfs_maint_row *out);
int mfs_maint_latest(struct mfs_index *idx, enum mfs_maint_class mc, struct mfs_maint_row *out);
int mfs_maint_begin(struct mfs_index *idx, const struct mfs_maint_plan *p, int64_t now);
int mfs_maint_step_done(struct mfs_index *idx, const char *run, int step, const char *note,
			int64_t now);

/*
 * Run p's steps from p->first_step on, in the calling thread, recording
 * each as it completes. MFS_OK: the run finished (or nothing was due);
 * MFS_ERR_CANCELLED: the cache is stopping (the step in progress is
 * redone next time); MFS_ERR_IO: a step could not be recorded.
 */
enum mfs_err mfs_maint_run(struct mfs_cache *c, const struct mfs_maint_plan *p, int64_t now);
/*
 * Evict if the cache is over cache_max_size or under free_space_floor,
 * with a one-line account in note (step 4, and the scheduler's periodic
 * check).
 */
void mfs_maint_evict_now(struct mfs_cache *c, char *note, size_t len);

/* ---- the scheduler (scheduler.c) -------------------------------------- */

/*
 * What the maintenance steps ask of the scheduler; each works (and does
 * nothing, or answers from c->stop alone) when the thread is not running.
 * stopping: the cache or the scheduler is stopping. set_current: show the
 * run and step in progress in status.json (NULL, 0: idle). watch_pass:
 * refresh the watched files that are due (with backfill, log a summary).
 */
bool mfs_sched_stopping(struct mfs_cache *c);
void mfs_sched_set_current(struct mfs_cache *c, const char *run, int step);
void mfs_sched_watch_pass(struct mfs_cache *c, bool backfill);

/* A watched file: a current-year file kept fresh in the background. */
struct mfs_sched_file {
	char symbol[MFS_SYMBOL_MAX + 1];
	enum mfs_tf tf;
	int year;
};
/*
 * The watch list as files: each watched symbol x each of its timeframes,
 * in `year`, duplicates dropped. Fills up to max; returns how many there
 * are (n_watch * MFS_TF__COUNT at most).
 */
unsigned mfs_sched_watch_expand(const struct mfs_config *cfg, int year,
				struct mfs_sched_file *out, unsigned max);
/* Keep the files some enabled provider can serve (logged); returns the count. */
unsigned mfs_sched_watch_servable(struct mfs_cache *c, struct mfs_sched_file *f, unsigned n);

/* What status.json shows of the scheduler. */
struct mfs_sched_class_state {
	const char *name;       /* "stock", "crypto" */
	int64_t next_run;       /* UTC second of the next scheduled run; 0: maintenance off */
	char last_run[MFS_MAINT_RUN_MAX]; /* the newest run recorded, "" if none */
	int last_step;          /* its last step done (MFS_MAINT_STEP_LAST: finished) */
	int64_t last_finished;  /* UTC second it finished, 0 if not (yet) */
};
struct mfs_sched_state {
	bool running;           /* the scheduler thread runs (the daemon) */
	bool maintenance;       /* daily maintenance is on (config) */
	unsigned watched_files; /* current-year files kept fresh */
	unsigned watch_failing; /* of those, how many failed their last refresh */
	int64_t next_watch;     /* UTC second of the next watch refresh, 0: none */
	char current_run[MFS_MAINT_RUN_MAX]; /* the run in progress, "" when idle */
	int current_step;       /* its step in progress (1-4), 0 when idle */
	struct mfs_sched_class_state cls[MFS_MAINT__COUNT];
};
/* Thread-safe; reads index.db for the last runs. Works without the thread. */
void mfs_cache_scheduler_state(struct mfs_cache *c, struct mfs_sched_state *out);

/* Start the scheduler thread (after the fetch pool); stop and join it. */
enum mfs_err mfs_cache_start_scheduler(struct mfs_cache *c, struct mfs_error *err);
void mfs_cache_stop_scheduler(struct mfs_cache *c);

#endif
