/*
 * The scheduler: the daemon's background thread (SPEC section 6).
 *
 * One thread, started by mfs_cache_start() after the fetch pool (never by
 * marketfs-ctl), does three things:
 *   - the watch list: a backfill of every watched current-year file at
 *     start, then a refresh of each as soon as it goes stale, at watch
 *     priority, so that readers of watched files find them fresh;
 *   - daily maintenance per asset class after its market closes: it asks
 *     maintenance.c which run is due and runs it (mfs_maint_run), which
 *     records each step in index.db so that a run cut short resumes;
 *   - eviction when the cache is over cache_max_size or under
 *     free_space_floor, every few minutes (and as the last step of a run).
 *
 * It owns its own state only (struct mfs_sched, the watch list, when to
 * look again); the maintenance steps call back into it to learn whether
 * it is stopping, to show the step in progress, and to keep watched files
 * fresh during a long step. Every fetch goes through the fetch pool's
 * queue (mfs_cache_ensure_opts, mfs_cache_fundamentals_refresh), which
 * returns within a fraction of a second once the cache stops. It sleeps on
 * its own condition variable, at most a minute at a time, and
 * mfs_cache_stop_scheduler() wakes it. It must never hold the index lock
 * or its own lock across a fetch.
 *
 * Which files the watch list names is a plain function of the config
 * (and `year`), so it is tested without the thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>

#include "cache/cache_impl.h"

/* The watch list sleeps until the next file goes stale, within these. */
#define SCHED_SLEEP_MIN_S 1
#define SCHED_SLEEP_MAX_S 60
/* A watched file whose refresh failed waits this long, doubled per failure. */
#define WATCH_RETRY_MIN_S 30
#define WATCH_RETRY_MAX_S 600
/* A final watched file (rare for a current year) is looked at again daily. */
#define WATCH_FINAL_RECHECK_S MFS_SECONDS_PER_DAY
/* After a run could not be recorded, try again this much later. */
#define MAINT_RETRY_S 600
/* How often the cache size is checked against its limits. */
#define EVICT_CHECK_S 300

/* ---- the scheduler's own state ------------------------------------------ */

struct watch_item {
	struct mfs_sched_file f;
	int64_t due;       /* UTC second of the next look; 0: now */
	unsigned failures; /* consecutive failed refreshes */
};

struct mfs_sched {
	pthread_t thread;
	pthread_mutex_t mu;   /* guards quit and the status fields below */
	pthread_cond_t wake;  /* CLOCK_MONOTONIC: quit, or a time to look again */
	bool quit;

	/* status, under mu */
	unsigned watched_files, watch_failing;
	int64_t next_watch;
	char current_run[MFS_MAINT_RUN_MAX];
	int current_step;

	/* the thread's own (no lock) */
	struct watch_item *items;
	unsigned n_items;
	int items_year;
	bool offline_noted;
	int64_t next_plan[MFS_MAINT__COUNT]; /* when to look at the table again */
	int64_t next_evict;
};

bool mfs_sched_stopping(struct mfs_cache *c)
{
	struct mfs_sched *s = c->sched;
	bool q = atomic_load(&c->stop);

	if (!q && s) {
		pthread_mutex_lock(&s->mu);
		q = s->quit;
		pthread_mutex_unlock(&s->mu);
	}
	return q;
}

void mfs_sched_set_current(struct mfs_cache *c, const char *run, int step)
{
	struct mfs_sched *s = c->sched;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	snprintf(s->current_run, sizeof(s->current_run), "%s", run ? run : "");
	s->current_step = step;
	pthread_mutex_unlock(&s->mu);
}

/* ---- the watch list --------------------------------------------------- */

unsigned mfs_sched_watch_expand(const struct mfs_config *cfg, int year,
				struct mfs_sched_file *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->n_watch; i++) {
		const struct mfs_watch *w = &cfg->watch[i];
		for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
			bool dup = false;
			if (!w->tf[tf])
				continue;
			for (unsigned k = 0; k < i && !dup; k++)
				dup = cfg->watch[k].tf[tf] &&
				      strcmp(cfg->watch[k].symbol, w->symbol) == 0;
			if (dup)
				continue;
			if (n < max) {
				snprintf(out[n].symbol, sizeof(out[n].symbol), "%s", w->symbol);
				out[n].tf = (enum mfs_tf)tf;
				out[n].year = year;
			}
			n++;
		}
	}
	return n;
}

unsigned mfs_sched_watch_servable(struct mfs_cache *c, struct mfs_sched_file *f, unsigned n)
{
	unsigned kept = 0;
	char why[256];

	for (unsigned i = 0; i < n; i++) {
		if (!mfs_cache_year_exists(c, f[i].symbol, f[i].tf, f[i].year, why, sizeof(why))) {
			mfs_notice("watch: %s/%s/%d is not kept fresh: %s", f[i].symbol,
				   mfs_tf_name(f[i].tf), f[i].year, why);
			continue;
		}
		f[kept++] = f[i];
	}
	return kept;
}

/* (Re)build the watched files for `year`; false only when out of memory. */
static bool watch_build(struct mfs_cache *c, struct mfs_sched *s, int year)
{
	unsigned max = c->cfg->n_watch * MFS_TF__COUNT, n;
	struct mfs_sched_file *files = calloc(max ? max : 1, sizeof(*files));
	struct watch_item *items = calloc(max ? max : 1, sizeof(*items));

	if (!files || !items) {
		free(files);
		free(items);
		return false;
	}
	n = mfs_sched_watch_expand(c->cfg, year, files, max);
	n = mfs_sched_watch_servable(c, files, n < max ? n : max);
	for (unsigned i = 0; i < n; i++)
		items[i].f = files[i]; /* due 0: the backfill */
	free(files);
	free(s->items);
	s->items = items;
	s->n_items = n;
	s->items_year = year;
	pthread_mutex_lock(&s->mu);
	s->watched_files = n;
	s->watch_failing = 0;
	pthread_mutex_unlock(&s->mu);
	return true;
}

static int64_t retry_delay(unsigned failures)
{
	int64_t d = WATCH_RETRY_MIN_S;

	for (unsigned i = 1; i < failures && d < WATCH_RETRY_MAX_S; i++)
		d *= 2;
	return d < WATCH_RETRY_MAX_S ? d : WATCH_RETRY_MAX_S;
}

/* Refresh one watched file if it is absent or stale; set its next look. */
static void watch_refresh(struct mfs_cache *c, struct watch_item *it, unsigned *fetched,
			  unsigned *failed)
{
	struct mfs_key k = { it->f.symbol, it->f.tf, it->f.year, MFS_KIND_DATA };
	const struct mfs_ensure_opts o = { .prio = MFS_PRIO_WATCH };
	struct mfs_file_state st;
	struct mfs_error err = { 0 };
	enum mfs_err rc = MFS_OK;
	bool asked = false;

	if (mfs_cache_stat(c, &k, &st) == MFS_OK && !(st.present && !st.stale)) {
		rc = mfs_cache_ensure_opts(c, &k, NULL, &o, &err);
		asked = true;
		if (mfs_sched_stopping(c))
			return; /* looked at again at the next start */
		if (rc == MFS_OK && mfs_cache_stat(c, &k, &st) != MFS_OK)
			st.present = false;
	}
	int64_t now = mfs_wall_now();
	if (rc == MFS_OK && st.present && !st.stale) {
		if (asked) {
			(*fetched)++;
			mfs_info("watch: %s/%s/%d refreshed", k.symbol, mfs_tf_name(k.tf), k.year);
		}
		if (it->failures)
			mfs_notice("watch: %s/%s/%d is fresh again", k.symbol, mfs_tf_name(k.tf),
				   k.year);
		it->failures = 0;
		it->due = st.stale_after ? st.stale_after : now + WATCH_FINAL_RECHECK_S;
		return;
	}
	/* failed, or served stale (stale-if-error): try again later, not at once */
	it->failures++;
	(*failed)++;
	it->due = now + retry_delay(it->failures);
	mfs_warn("watch: %s/%s/%d: %s; next try in %lld s", k.symbol, mfs_tf_name(k.tf), k.year,
		 rc != MFS_OK ? err.msg : "the refresh failed; the stale copy stays",
		 (long long)(it->due - now));
}

/* Refresh the watched files that are due; with backfill, log a summary. */
void mfs_sched_watch_pass(struct mfs_cache *c, bool backfill)
{
	struct mfs_sched *s = c->sched;
	unsigned fetched = 0, failed = 0, failing = 0;
	int64_t next = 0;

	if (!s || s->n_items == 0)
		return;
	if (c->cfg->offline) {
		if (!s->offline_noted)
			mfs_notice("watch: offline: the watch list is not refreshed");
		s->offline_noted = true;
		return;
	}
	for (unsigned i = 0; i < s->n_items && !mfs_sched_stopping(c); i++)
		if (s->items[i].due <= mfs_wall_now())
			watch_refresh(c, &s->items[i], &fetched, &failed);
	for (unsigned i = 0; i < s->n_items; i++) {
		failing += s->items[i].failures > 0;
		if (next == 0 || s->items[i].due < next)
			next = s->items[i].due;
	}
	pthread_mutex_lock(&s->mu);
	s->watch_failing = failing;
	s->next_watch = next;
	pthread_mutex_unlock(&s->mu);
	if (backfill && !mfs_sched_stopping(c))
		mfs_notice("watch: backfill of %u files done: %u fetched, %u failed", s->n_items,
			   fetched, failed);
}

/* ---- the thread ------------------------------------------------------- */

static int class_minute(const struct mfs_config *cfg, enum mfs_maint_class mc)
{
	return mc == MFS_MAINT_CRYPTO ? cfg->maintenance_crypto_min : cfg->maintenance_stock_min;
}

static void maintenance_pass(struct mfs_cache *c)
{
	struct mfs_sched *s = c->sched;

	if (!c->cfg->maintenance)
		return;
	for (int mc = 0; mc < MFS_MAINT__COUNT && !mfs_sched_stopping(c); mc++) {
		struct mfs_maint_plan p;
		int minute = class_minute(c->cfg, (enum mfs_maint_class)mc);
		int64_t now = mfs_wall_now();

		if (now < s->next_plan[mc])
			continue;
		if (mfs_maint_plan(c->idx, (enum mfs_maint_class)mc, minute, now, &p) < 0) {
			s->next_plan[mc] = now + MAINT_RETRY_S;
			continue;
		}
		if (p.action == MFS_MAINT_NONE) {
			int64_t next = mfs_maint_next_time((enum mfs_maint_class)mc, minute, now, NULL);
			s->next_plan[mc] = next > now ? next : now + MAINT_RETRY_S;
			continue;
		}
		switch (mfs_maint_run(c, &p, now)) {
		case MFS_OK:
			s->next_plan[mc] = 0; /* the table says what comes next */
			break;
		case MFS_ERR_CANCELLED:
			return;
		default:
			s->next_plan[mc] = now + MAINT_RETRY_S;
			break;
		}
	}
}

static void evict_pass(struct mfs_cache *c)
{
	struct mfs_sched *s = c->sched;
	int64_t now = mfs_wall_now();
	char note[256];

	if ((c->cfg->cache_max_size <= 0 && c->cfg->free_space_floor <= 0) || now < s->next_evict)
		return;
	s->next_evict = now + EVICT_CHECK_S;
	if (!mfs_cache_over_limit(c))
		return;
	mfs_maint_evict_now(c, note, sizeof(note));
	mfs_info("eviction: %s", note); /* evict.c logs the summary */
}

/* How long to sleep: until the next watched file or run is due, 1-60 s. */
static int64_t sleep_s(struct mfs_cache *c)
{
	struct mfs_sched *s = c->sched;
	int64_t now = mfs_wall_now(), until = now + SCHED_SLEEP_MAX_S;

	for (unsigned i = 0; i < s->n_items && !c->cfg->offline; i++)
		if (s->items[i].due < until)
			until = s->items[i].due;
	for (int mc = 0; mc < MFS_MAINT__COUNT && c->cfg->maintenance; mc++)
		if (s->next_plan[mc] < until)
			until = s->next_plan[mc];
	int64_t d = until - now;
	return d < SCHED_SLEEP_MIN_S ? SCHED_SLEEP_MIN_S : d;
}

static void *sched_thread(void *arg)
{
	struct mfs_cache *c = arg;
	struct mfs_sched *s = c->sched;
	bool first = true;

	mfs_notice("scheduler: %u watched symbols; daily maintenance %s", c->cfg->n_watch,
		   c->cfg->maintenance ? "on" : "off");
	while (!mfs_sched_stopping(c)) {
		int year = mfs_year_of(mfs_wall_now());
		if (year != s->items_year && !watch_build(c, s, year))
			mfs_warn("watch: out of memory; the watch list is not kept fresh");
		mfs_sched_watch_pass(c, first);
		first = false;
		maintenance_pass(c);
		evict_pass(c);

		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += sleep_s(c);
		pthread_mutex_lock(&s->mu);
		if (!s->quit)
			pthread_cond_timedwait(&s->wake, &s->mu, &ts);
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

enum mfs_err mfs_cache_start_scheduler(struct mfs_cache *c, struct mfs_error *err)
{
	struct mfs_sched *s;
	pthread_condattr_t ca;
	int e;

	if (c->sched)
		return MFS_OK;
	s = calloc(1, sizeof(*s));
	if (!s)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	c->sched = s;
	e = pthread_create(&s->thread, NULL, sched_thread, c);
	if (e) {
		c->sched = NULL;
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return mfs_error_set(err, MFS_ERR_NOMEM, "cannot start the scheduler thread: %s",
				     strerror(e));
	}
	return MFS_OK;
}

void mfs_cache_stop_scheduler(struct mfs_cache *c)
{
	struct mfs_sched *s = c ? c->sched : NULL;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->mu);
	/* a fetch the thread waits for gives up within a fraction of a second */
	mfs_cache_shutdown(c);
	pthread_join(s->thread, NULL);
	c->sched = NULL;
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s->items);
	free(s);
}

void mfs_cache_scheduler_state(struct mfs_cache *c, struct mfs_sched_state *out)
{
	struct mfs_sched *s = c->sched;
	int64_t now = mfs_wall_now();

	memset(out, 0, sizeof(*out));
	out->maintenance = c->cfg->maintenance;
	if (s) {
		pthread_mutex_lock(&s->mu);
		out->running = true;
		out->watched_files = s->watched_files;
		out->watch_failing = s->watch_failing;
		out->next_watch = s->next_watch;
		snprintf(out->current_run, sizeof(out->current_run), "%s", s->current_run);
		out->current_step = s->current_step;
		pthread_mutex_unlock(&s->mu);
	}
	for (int mc = 0; mc < MFS_MAINT__COUNT; mc++) {
		struct mfs_sched_class_state *cs = &out->cls[mc];
		struct mfs_maint_row row;

		cs->name = mfs_maint_class_name((enum mfs_maint_class)mc);
		if (c->cfg->maintenance)
			cs->next_run = mfs_maint_next_time((enum mfs_maint_class)mc,
							   class_minute(c->cfg, (enum mfs_maint_class)mc),
							   now, NULL);
		if (mfs_maint_latest(c->idx, (enum mfs_maint_class)mc, &row) == 1) {
			snprintf(cs->last_run, sizeof(cs->last_run), "%s", row.run);
			cs->last_step = row.step;
			cs->last_finished = row.finished;
		}
	}
}
