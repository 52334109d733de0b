/*
 * The job queue and the fetch pool: which fetch runs, and when.
 *
 * Every fetch is a job (struct job, cache_impl.h): a (symbol, timeframe)
 * and the years it may install, or a symbol's fundamentals. A job waits in
 * the queue of its priority level, the most urgent first: foreground (a
 * reader is waiting), watch, maintenance, prefetch; first in, first out
 * within a level. A fixed pool of fetch threads (max_parallel_fetches),
 * each with its own HTTP client, takes them in that order, but background
 * jobs may never take the last free thread: it is kept for readers, so a
 * reader's fetch always starts at once.
 *
 * Jobs are de-duplicated: whoever wants a year that a pending job will
 * install joins that job instead of queueing another, so 16 readers of a
 * file cost one set of provider requests. A more urgent joiner raises the
 * job to its own level, and its requests with it. A waiter that is
 * interrupted, or whose deadline passes, stops waiting; the job carries on.
 * Background work that failed for a passing reason is queued again one
 * level lower, MFS_JOB_MAX_RETRIES times at most (in the daemon only).
 *
 * Shutdown: mfs_cache_shutdown() makes waiting readers give up and aborts
 * transfers in flight; mfs_cache_stop_pool() then starts no queued job
 * (each ends MFS_ERR_CANCELLED) and joins the threads.
 *
 * It owns the job list, the run queues, the fetch threads and the status
 * views of them (jobs, recent errors). What a job does belongs to the fill
 * path (fill.c, mfs_cache_run_job) and fundamentals.c: this file must
 * never fetch, validate or install anything itself.
 *
 * Locking: c->mu guards the job list, the run queues, the running counts
 * and `stopping`; it is never held across disk or network I/O, nor while
 * a job runs. c->errs_mu guards the recent errors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "cache/cache_impl.h"

/* how often a waiting reader looks for shutdown (ms) */
#define WAIT_SLICE_MS 200
/* demoted retries of a failed job (SPEC section 6) */
#define MFS_JOB_MAX_RETRIES 3

/* ---- the queue --------------------------------------------------------- */

void mfs_cancel_init(struct mfs_cancel *cn, struct mfs_cache *c)
{
	cn->cache = c;
	atomic_store(&cn->fired, false);
}

void mfs_cancel_fire(struct mfs_cancel *cn)
{
	atomic_store(&cn->fired, true);
	pthread_mutex_lock(&cn->cache->mu);
	pthread_cond_broadcast(&cn->cache->changed);
	pthread_mutex_unlock(&cn->cache->mu);
}

static void job_unref_locked(struct mfs_cache *c, struct job *j)
{
	(void)c;
	if (--j->refs == 0)
		free(j);
}

static struct job *find_job_locked(struct mfs_cache *c, const char *symbol, enum mfs_tf tf,
				   int year)
{
	for (struct job *j = c->jobs; j; j = j->next)
		if (j->tf == tf && year >= j->year_lo && year <= j->year_hi &&
		    strcmp(j->symbol, symbol) == 0)
			return j;
	return NULL;
}

static const char *const prio_names[MFS_PRIO__COUNT] = {
	"foreground", "watch", "maintenance", "prefetch",
};

const char *mfs_prio_name(enum mfs_prio p)
{
	return (unsigned)p < MFS_PRIO__COUNT ? prio_names[p] : "unknown";
}

static void enqueue_locked(struct mfs_cache *c, struct job *j)
{
	j->qnext = NULL;
	if (c->qtail[j->prio])
		c->qtail[j->prio]->qnext = j;
	else
		c->qhead[j->prio] = j;
	c->qtail[j->prio] = j;
	pthread_cond_broadcast(&c->work);
}

/* Take j out of its queue; false if it is not queued (running or done). */
static bool dequeue_locked(struct mfs_cache *c, struct job *j)
{
	struct job *prev = NULL;

	for (struct job *q = c->qhead[j->prio]; q; prev = q, q = q->qnext) {
		if (q != j)
			continue;
		if (prev)
			prev->qnext = q->qnext;
		else
			c->qhead[j->prio] = q->qnext;
		if (c->qtail[j->prio] == q)
			c->qtail[j->prio] = prev;
		q->qnext = NULL;
		return true;
	}
	return false;
}

/*
 * The next job a fetch thread may run: the most urgent first, FIFO within
 * a level; background jobs may not take the last free thread, so a reader's
 * fetch always starts at once.
 */
static struct job *next_job_locked(struct mfs_cache *c)
{
	unsigned bg_max = c->n_threads > 1 ? c->n_threads - 1 : 1;

	for (int p = 0; p < MFS_PRIO__COUNT; p++) {
		struct job *j = c->qhead[p];
		if (!j || (p != MFS_PRIO_FOREGROUND && c->running_bg >= bg_max))
			continue;
		dequeue_locked(c, j);
		return j;
	}
	return NULL;
}

/* A more urgent waiter joined j: move it up (and its requests with it). */
static void raise_locked(struct mfs_cache *c, struct job *j, enum mfs_prio prio)
{
	if (prio >= j->prio)
		return;
	bool queued = dequeue_locked(c, j);
	j->prio = prio;
	atomic_store(&j->background, prio != MFS_PRIO_FOREGROUND);
	if (queued)
		enqueue_locked(c, j);
}

static void remove_job_locked(struct mfs_cache *c, struct job *j)
{
	for (struct job **pp = &c->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

/* ---- the fetch pool ---------------------------------------------------- */

/*
 * Background work that failed for a passing reason (a 5xx, a rate limit,
 * a timeout) is tried again one level lower, at most MFS_JOB_MAX_RETRIES
 * times. A reader's fetch is not: the reader has its answer, and reading
 * again asks again.
 */
static void retry_demoted_locked(struct mfs_cache *c, const struct job *j)
{
	/* only the daemon retries: marketfs-ctl's queue ends when it exits */
	if (!c->sched || j->prio == MFS_PRIO_FOREGROUND || j->result == MFS_OK ||
	    !mfs_err_is_transient(j->result) ||
	    j->retries >= MFS_JOB_MAX_RETRIES || c->stopping)
		return;
	struct job *r = calloc(1, sizeof(*r));
	if (!r)
		return;
	snprintf(r->symbol, sizeof(r->symbol), "%s", j->symbol);
	r->tf = j->tf;
	r->want_year = j->want_year;
	r->year_lo = j->year_lo;
	r->year_hi = j->year_hi;
	r->start = j->start;
	r->end = j->end;
	r->incremental = j->incremental;
	r->fundamentals = j->fundamentals;
	r->force = j->force;
	r->retries = j->retries + 1;
	r->prio = j->prio + 1 < MFS_PRIO__COUNT ? j->prio + 1 : MFS_PRIO__COUNT - 1;
	atomic_init(&r->background, true);
	r->created_ms = mfs_now_ms();
	r->deadline_ms = r->created_ms + (int64_t)c->cfg->fetch_timeout_s * 1000;
	r->refs = 1;
	r->next = c->jobs;
	c->jobs = r;
	enqueue_locked(c, r);
	mfs_info("%s: retry %u of %d queued at %s priority", j->symbol, r->retries,
		 MFS_JOB_MAX_RETRIES, mfs_prio_name(r->prio));
}

static void *fetch_thread(void *arg)
{
	struct mfs_cache *c = arg;
	struct mfs_http *http = mfs_http_new();

	if (http)
		mfs_http_set_abort(http, &c->stop);
	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct job *j;

		while (!(j = next_job_locked(c)) && !c->stopping)
			pthread_cond_wait(&c->work, &c->mu);
		if (!j && c->stopping) {
			/* drain: no job is started once stopping */
			for (int p = 0; p < MFS_PRIO__COUNT && !j; p++)
				if ((j = c->qhead[p]))
					dequeue_locked(c, j);
			if (!j)
				break;
		}
		bool bg = j->prio != MFS_PRIO_FOREGROUND;
		if (c->stopping || !http) {
			j->result = c->stopping ? MFS_ERR_CANCELLED : MFS_ERR_NOMEM;
			snprintf(j->msg, sizeof(j->msg), "%s",
				 c->stopping ? "marketfs is shutting down" : "out of memory");
		} else {
			c->running++;
			c->running_bg += bg;
			pthread_mutex_unlock(&c->mu);
			mfs_cache_run_job(c, j, http);
			pthread_mutex_lock(&c->mu);
			c->running--;
			c->running_bg -= bg;
		}
		j->done = true;
		remove_job_locked(c, j);
		retry_demoted_locked(c, j);
		pthread_cond_broadcast(&c->changed);
		pthread_cond_broadcast(&c->work); /* a background slot may be free */
		job_unref_locked(c, j);
	}
	pthread_mutex_unlock(&c->mu);
	mfs_http_free(http);
	return NULL;
}

enum mfs_err mfs_cache_start_workers(struct mfs_cache *c, struct mfs_error *err)
{
	return mfs_cache_start_pool(c, err);
}

enum mfs_err mfs_cache_start_pool(struct mfs_cache *c, struct mfs_error *err)
{
	unsigned n = (unsigned)c->cfg->max_parallel_fetches;

	c->threads = calloc(n, sizeof(*c->threads));
	if (!c->threads)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		/* counted first: running threads read n_threads under c->mu */
		pthread_mutex_lock(&c->mu);
		c->n_threads++;
		pthread_mutex_unlock(&c->mu);
		int e = pthread_create(&c->threads[i], NULL, fetch_thread, c);
		if (e) {
			pthread_mutex_lock(&c->mu);
			c->n_threads--;
			pthread_mutex_unlock(&c->mu);
			return mfs_error_set(err, MFS_ERR_NOMEM, "cannot start fetch thread: %s",
					     strerror(e));
		}
	}
	return MFS_OK;
}

void mfs_cache_shutdown(struct mfs_cache *c)
{
	atomic_store(&c->stop, true);
	pthread_mutex_lock(&c->mu);
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->mu);
}

void mfs_cache_stop_pool(struct mfs_cache *c)
{
	mfs_cache_shutdown(c);
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->mu);
	for (unsigned i = 0; i < c->n_threads; i++)
		pthread_join(c->threads[i], NULL);
	free(c->threads);
	c->threads = NULL;
	c->n_threads = 0;
}

/* ---- waiting ----------------------------------------------------------- */

static void deadline_ts(int64_t deadline_ms, struct timespec *ts)
{
	/* c->changed uses CLOCK_MONOTONIC (see cache.c) */
	ts->tv_sec = deadline_ms / 1000;
	ts->tv_nsec = (deadline_ms % 1000) * 1000000;
}

enum mfs_err mfs_cache_wait_job(struct mfs_cache *c, struct job *fresh, struct mfs_cancel *cancel,
				int64_t deadline_ms, enum mfs_err *result, char *msg, size_t msglen,
				bool *installed, int *job_year)
{
	int year = fresh->fundamentals ? 0 : fresh->want_year;

	pthread_mutex_lock(&c->mu);
	struct job *j = find_job_locked(c, fresh->symbol, fresh->tf, year);
	if (j) {
		raise_locked(c, j, fresh->prio);
		free(fresh);
	} else {
		j = fresh;
		j->refs = 1; /* the queue's */
		j->created_ms = mfs_now_ms();
		atomic_store(&j->background, j->prio != MFS_PRIO_FOREGROUND);
		j->next = c->jobs;
		c->jobs = j;
		enqueue_locked(c, j);
	}
	j->refs++; /* this waiter's */
	bool stopping = false;
	while (!j->done && !(cancel && atomic_load(&cancel->fired))) {
		int64_t now = mfs_now_ms(), until = now + WAIT_SLICE_MS;
		struct timespec ts;

		if (now >= deadline_ms)
			break;
		if (atomic_load(&c->stop) || (c->hooks.exiting && c->hooks.exiting(c->hook_arg))) {
			stopping = true;
			break;
		}
		deadline_ts(until < deadline_ms ? until : deadline_ms, &ts);
		pthread_cond_timedwait(&c->changed, &c->mu, &ts);
	}
	bool done = j->done;
	*result = j->result;
	*installed = j->want_installed;
	*job_year = j->want_year;
	snprintf(msg, msglen, "%s", j->msg);
	job_unref_locked(c, j);
	pthread_mutex_unlock(&c->mu);

	if (done)
		return MFS_OK;
	if (stopping) {
		atomic_store(&c->stop, true); /* abort what is in flight */
		return MFS_ERR_CANCELLED;
	}
	return cancel && atomic_load(&cancel->fired) ? MFS_ERR_CANCELLED : MFS_ERR_TIMEOUT;
}

/* ---- status ------------------------------------------------------------ */

void mfs_cache_job_provider(struct mfs_cache *c, struct job *j, const char *name)
{
	pthread_mutex_lock(&c->mu);
	snprintf(j->provider, sizeof(j->provider), "%s", name);
	pthread_mutex_unlock(&c->mu);
}

unsigned mfs_cache_jobs(struct mfs_cache *c, struct mfs_job_view *out, unsigned max)
{
	unsigned n = 0;
	int64_t now = mfs_now_ms();

	pthread_mutex_lock(&c->mu);
	for (struct job *j = c->jobs; j; j = j->next, n++) {
		if (n >= max)
			continue;
		struct mfs_job_view *v = &out[n];
		bool queued = false;
		for (int p = 0; p < MFS_PRIO__COUNT; p++)
			for (struct job *q = c->qhead[p]; q; q = q->qnext)
				if (q == j)
					queued = true;
		snprintf(v->symbol, sizeof(v->symbol), "%s", j->symbol);
		if (j->fundamentals)
			snprintf(v->what, sizeof(v->what), "fundamentals");
		else if (j->year_lo == j->year_hi)
			snprintf(v->what, sizeof(v->what), "%s %d", mfs_tf_name(j->tf), j->year_lo);
		else
			snprintf(v->what, sizeof(v->what), "%s %d-%d", mfs_tf_name(j->tf),
				 j->year_lo, j->year_hi);
		snprintf(v->provider, sizeof(v->provider), "%s", j->provider);
		v->requests = atomic_load(&j->requests);
		v->prio = j->prio;
		v->age_s = (double)(now - j->created_ms) / 1000.0;
		v->running = !queued;
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

void mfs_cache_note_error(struct mfs_cache *c, const char *symbol, const char *tf, int year,
			  const char *provider, enum mfs_err kind, const char *reason)
{
	atomic_fetch_add(&c->fetch_errors, 1);
	pthread_mutex_lock(&c->errs_mu);
	struct mfs_recent_error *e = &c->errs[c->next_err];
	e->at = mfs_wall_now();
	snprintf(e->symbol, sizeof(e->symbol), "%s", symbol);
	snprintf(e->tf, sizeof(e->tf), "%s", tf ? tf : "");
	e->year = year;
	snprintf(e->provider, sizeof(e->provider), "%s", provider ? provider : "");
	snprintf(e->kind, sizeof(e->kind), "%s", mfs_err_name(kind));
	snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
	c->next_err = (c->next_err + 1) % MFS_RECENT_ERRORS;
	if (c->n_errs < MFS_RECENT_ERRORS)
		c->n_errs++;
	pthread_mutex_unlock(&c->errs_mu);
}
