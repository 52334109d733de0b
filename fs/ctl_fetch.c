/*
 * marketfs-ctl prefetch and refresh: SPECs to a list of files, fetched by
 * a few worker threads of our own through mfs_cache_ensure_opts() (prefetch
 * priority; refresh adds force), with a progress line on a terminal and one
 * plain line per file otherwise.
 *
 * Each worker blocks in the cache while the cache's fetch pool does the
 * work. Workers never take two files of one (symbol, timeframe) at once:
 * the cache serialises fetches of a (symbol, timeframe) with a lock file
 * anyway (across processes too), and one job often installs many years of
 * it (Yahoo daily answers the whole history at once), so the second year
 * is usually there by the time its turn comes.
 *
 * The cache serves a stale copy when a refresh fails (stale-if-error):
 * right for a reader, wrong for this tool, which must say that the fetch
 * failed. A file that was present before and is the same file (inode,
 * size, mtime) after a fetch we asked for was not refreshed: it is
 * reported as failed, with the reason the cache recorded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>

#include "fs/ctl.h"

#define PROGRESS_TICK_MS 200   /* how often the progress line is redrawn */
#define BAR_WIDTH 20           /* cells between [ and ] */
#define DEFAULT_TERM_COLUMNS 80
#define REASON_MAX 320

/* ---- the work list ----------------------------------------------------- */

enum item_state { ITEM_PENDING = 0, ITEM_RUNNING, ITEM_OK, ITEM_SKIPPED, ITEM_FAILED };

struct item {
	char symbol[MFS_SYMBOL_MAX + 1];
	enum mfs_tf tf;
	int year;
	enum item_state state;
	bool fresh_before;  /* present and fresh before the run started */
	uint64_t bytes;     /* ok: the data file's size */
	char reason[REASON_MAX];
};

struct run {
	struct ctl *x;
	const char *verb;   /* "prefetch", "refresh" */
	bool force;
	struct item *items;
	size_t n, cap;

	pthread_mutex_t mu;     /* guards every field below and items[].state */
	pthread_cond_t changed; /* an item finished */
	size_t next_scan;       /* items before this are all started */
	size_t *finished;       /* indexes, in finishing order */
	size_t n_finished, n_reported;
	size_t n_ok, n_failed, n_skipped;
	uint64_t bytes;
	size_t last_started;    /* for the progress line */
	size_t *running;        /* indexes of the items running now */
	unsigned n_running;
};

static int add_item(struct run *r, const char *symbol, enum mfs_tf tf, int year)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].year == year && r->items[i].tf == tf &&
		    strcmp(r->items[i].symbol, symbol) == 0)
			return 0; /* named twice */
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct item *ni = realloc(r->items, cap * sizeof(*ni));
		if (!ni)
			return -1;
		r->items = ni;
		r->cap = cap;
	}
	struct item *it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->symbol, sizeof(it->symbol), "%s", symbol);
	it->tf = tf;
	it->year = year;
	return 0;
}

static bool is_cached(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
		      bool only_live)
{
	struct mfs_key k = { symbol, tf, year, MFS_KIND_DATA };
	struct mfs_file_state st;

	if (mfs_cache_stat(c, &k, &st) != MFS_OK || !st.present)
		return false;
	return !only_live || st.stale_after != 0;
}

/*
 * The years of (symbol, tf) a SPEC without years means: prefetch, every
 * year the cache lists; refresh, the cached ones (only_live: those that
 * are not final).
 */
static int add_default_years(struct run *r, const char *symbol, enum mfs_tf tf, bool cached_only,
			     bool only_live)
{
	int years[MFS_LAST_YEAR - MFS_FIRST_YEAR + 1];
	unsigned n = mfs_cache_years(r->x->cache, symbol, tf, years,
				     sizeof(years) / sizeof(years[0]));

	for (unsigned i = 0; i < n; i++) {
		if (cached_only && !is_cached(r->x->cache, symbol, tf, years[i], only_live))
			continue;
		if (add_item(r, symbol, tf, years[i]) < 0)
			return -1;
	}
	return 0;
}

static int add_spec(struct run *r, const struct ctl_spec *s)
{
	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		if (!s->tf[tf])
			continue;
		if (!s->year_lo) {
			if (add_default_years(r, s->symbol, (enum mfs_tf)tf, r->force, false) < 0)
				return -1;
			continue;
		}
		for (int y = s->year_lo; y <= s->year_hi; y++)
			if (add_item(r, s->symbol, (enum mfs_tf)tf, y) < 0)
				return -1;
	}
	return 0;
}

struct symbols {
	char **v;
	size_t n, cap;
	bool failed;
};

static void collect_symbol(void *arg, const char *symbol)
{
	struct symbols *s = arg;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			s->failed = true;
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(symbol)))
		s->failed = true;
	else
		s->n++;
}

/* refresh without SPEC: every cached file that is not final. */
static int add_all_live(struct run *r)
{
	struct symbols syms = { 0 };
	int rc = 0;

	mfs_cache_symbols(r->x->cache, collect_symbol, &syms);
	if (syms.failed)
		rc = -1;
	for (size_t i = 0; i < syms.n && rc == 0; i++)
		for (int tf = 0; tf < MFS_TF__COUNT && rc == 0; tf++)
			rc = add_default_years(r, syms.v[i], (enum mfs_tf)tf, true, true);
	for (size_t i = 0; i < syms.n; i++)
		free(syms.v[i]);
	free(syms.v);
	return rc;
}

/* ---- one file ---------------------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The newest failure the cache recorded for the file (status.json's recent_errors). */
static bool recorded_reason(struct mfs_cache *c, const struct item *it, char *out, size_t len)
{
	char *text = NULL;
	size_t tlen = 0;
	json_t *o, *errs, *e;
	size_t i;
	bool found = false;

	if (mfs_cache_status_json(c, &text, &tlen, NULL) != MFS_OK)
		return false;
	o = json_loadb(text, tlen, 0, NULL);
	free(text);
	errs = json_object_get(o, "recent_errors");
	json_array_foreach(errs, i, e) {
		const char *sym = json_string_value(json_object_get(e, "symbol"));
		const char *tf = json_string_value(json_object_get(e, "timeframe"));
		if (!sym || !tf || strcmp(sym, it->symbol) != 0 ||
		    strcmp(tf, mfs_tf_name(it->tf)) != 0)
			continue;
		snprintf(out, len, "%s", json_string_value(json_object_get(e, "reason")));
		found = true;
		break;
	}
	json_decref(o);
	return found;
}

static void run_item(struct run *r, struct item *it)
{
	struct mfs_cache *c = r->x->cache;
	struct mfs_key k = { it->symbol, it->tf, it->year, MFS_KIND_DATA };
	struct mfs_ensure_opts o = { .prio = MFS_PRIO_PREFETCH, .force = r->force, .is_read = false };
	struct mfs_file_state before = { 0 }, after = { 0 };
	struct mfs_error err = { 0 };
	char why[256];
	enum mfs_err rc;

	if (!mfs_cache_year_exists(c, it->symbol, it->tf, it->year, why, sizeof(why))) {
		it->state = ITEM_SKIPPED;
		snprintf(it->reason, sizeof(it->reason), "%s", why);
		return;
	}
	if (mfs_cache_stat(c, &k, &before) != MFS_OK)
		before.present = false;
	bool want_fetch = r->force || !before.present || before.stale;

	rc = mfs_cache_ensure_opts(c, &k, NULL, &o, &err);
	if (rc == MFS_OK && mfs_cache_stat(c, &k, &after) == MFS_OK && after.present) {
		if (want_fetch && before.present && same_file(&before.st, &after.st)) {
			char rec[256];
			it->state = ITEM_FAILED;
			if (recorded_reason(c, it, rec, sizeof(rec)))
				snprintf(it->reason, sizeof(it->reason),
					 "not refreshed (%s); the cached copy is kept", rec);
			else
				snprintf(it->reason, sizeof(it->reason),
					 "not refreshed; the cached copy is kept");
			return;
		}
		it->state = ITEM_OK;
		it->bytes = (uint64_t)after.st.st_size;
		return;
	}
	if (rc == MFS_OK) {
		/* removed between the fetch and our look (another process evicted it) */
		it->state = ITEM_FAILED;
		snprintf(it->reason, sizeof(it->reason), "installed, then gone from the cache");
		return;
	}
	/* a year that turned out not to exist (before the first trade) is no failure */
	if (rc == MFS_ERR_NO_DATA ||
	    (rc == MFS_ERR_NOT_FOUND && !mfs_cache_symbol_unknown(c, it->symbol) &&
	     !mfs_cache_year_exists(c, it->symbol, it->tf, it->year, why, sizeof(why)))) {
		it->state = ITEM_SKIPPED;
		snprintf(it->reason, sizeof(it->reason), "%s", err.msg);
		return;
	}
	it->state = ITEM_FAILED;
	snprintf(it->reason, sizeof(it->reason), "%s",
		 rc == MFS_ERR_CANCELLED && atomic_load(r->x->interrupted) ? "interrupted"
									  : err.msg);
}

/* ---- workers ----------------------------------------------------------- */

/* A pending item whose (symbol, tf) no worker has now; n if none. Under r->mu. */
static size_t pick_locked(struct run *r)
{
	while (r->next_scan < r->n && r->items[r->next_scan].state != ITEM_PENDING)
		r->next_scan++;
	for (size_t i = r->next_scan; i < r->n; i++) {
		struct item *it = &r->items[i];
		bool busy = false;
		if (it->state != ITEM_PENDING)
			continue;
		for (unsigned j = 0; j < r->n_running && !busy; j++) {
			const struct item *o = &r->items[r->running[j]];
			busy = o->tf == it->tf && strcmp(o->symbol, it->symbol) == 0;
		}
		if (!busy)
			return i;
	}
	return r->n;
}

static bool pending_left_locked(struct run *r)
{
	for (size_t i = r->next_scan; i < r->n; i++)
		if (r->items[i].state == ITEM_PENDING)
			return true;
	return false;
}

static void *worker(void *arg)
{
	struct run *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		size_t i = r->n;
		while (!atomic_load(r->x->interrupted) && (i = pick_locked(r)) == r->n &&
		       pending_left_locked(r))
			pthread_cond_wait(&r->changed, &r->mu); /* its (symbol, tf) is busy */
		if (atomic_load(r->x->interrupted) || !pending_left_locked(r))
			break;
		struct item *it = &r->items[i];
		it->state = ITEM_RUNNING;
		r->last_started = i;
		r->running[r->n_running++] = i;
		pthread_mutex_unlock(&r->mu);

		struct item result = *it;
		run_item(r, &result);

		pthread_mutex_lock(&r->mu);
		*it = result;
		r->finished[r->n_finished++] = i;
		for (unsigned j = 0; j < r->n_running; j++)
			if (r->running[j] == i) {
				r->running[j] = r->running[--r->n_running];
				break;
			}
		if (it->state == ITEM_OK) {
			r->n_ok++;
			r->bytes += it->bytes;
		} else if (it->state == ITEM_SKIPPED) {
			r->n_skipped++;
		} else {
			r->n_failed++;
		}
		pthread_cond_broadcast(&r->changed);
	}
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- output ------------------------------------------------------------ */

static void fmt_duration(double s, char *buf, size_t len)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int term_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return DEFAULT_TERM_COLUMNS;
}

struct out {
	bool bar;      /* the progress line on stderr */
	bool lines;    /* a line per finished file on stdout */
	bool bar_shown;
	double t0;
};

/* "\r[=====>    ] 12/40 files  3.4 MB  AAPL/1h/2024  ETA 0:42" (r->mu held) */
static void draw_bar_locked(struct run *r, struct out *o)
{
	size_t done = r->n_finished, total = r->n;
	int fill = total ? (int)(done * BAR_WIDTH / total) : BAR_WIDTH;
	char bar[BAR_WIDTH + 1], size[32], eta[32], cur[64] = "", line[512];
	double el = now_s() - o->t0;

	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	bar[BAR_WIDTH] = '\0';
	ctl_fmt_bytes(r->bytes, size, sizeof(size));
	if (done && done < total) {
		fmt_duration(el / (double)done * (double)(total - done), eta, sizeof(eta));
	} else if (done == total) {
		fmt_duration(el, eta, sizeof(eta));
	} else {
		snprintf(eta, sizeof(eta), "-:--");
	}
	const struct item *it = NULL;
	if (r->last_started < r->n && r->items[r->last_started].state == ITEM_RUNNING)
		it = &r->items[r->last_started];
	if (!it && r->n_running)
		it = &r->items[r->running[0]];
	if (it)
		snprintf(cur, sizeof(cur), "  %s/%s/%d", it->symbol, mfs_tf_name(it->tf), it->year);
	int n = snprintf(line, sizeof(line), "[%s] %zu/%zu files  %s%s  %s %s", bar, done, total,
			 size, cur, done == total ? "in" : "ETA", eta);
	int cols = term_columns() - 1; /* a full line would wrap and break \r */
	if (n > cols)
		n = cols;
	fprintf(stderr, "\r%.*s\033[K", n, line);
	fflush(stderr);
	o->bar_shown = true;
}

static void clear_bar(struct out *o)
{
	if (o->bar_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

static void report_item_locked(struct run *r, struct out *o, const struct item *it)
{
	bool show = it->state == ITEM_FAILED ||
		    (!r->x->quiet && (o->lines || r->x->verbose > 0) && it->state == ITEM_SKIPPED) ||
		    (!r->x->quiet && o->lines && it->state == ITEM_OK);

	if (!show)
		return;
	if (o->bar)
		clear_bar(o);
	if (it->state == ITEM_OK)
		printf("ok %s/%s/%d.csv.gz %llu bytes%s\n", it->symbol, mfs_tf_name(it->tf),
		       it->year, (unsigned long long)it->bytes, it->fresh_before ? " (cached)" : "");
	else
		printf("%s %s/%s/%d.csv.gz: %s\n", it->state == ITEM_FAILED ? "FAILED" : "skipped",
		       it->symbol, mfs_tf_name(it->tf), it->year, it->reason);
	fflush(stdout);
}

/* ---- the command ------------------------------------------------------- */

static int run_all(struct run *r)
{
	struct ctl *x = r->x;
	unsigned nworkers = (unsigned)x->cfg->max_parallel_fetches;
	pthread_t *threads = NULL;
	unsigned started = 0;
	struct out o = { 0 };
	struct mfs_error err = { 0 };
	int ret = CTL_EXIT_FAILED;

	if (r->n == 0) {
		printf("%s: nothing to do\n", r->verb);
		return CTL_EXIT_OK;
	}
	if (nworkers > r->n)
		nworkers = (unsigned)r->n;
	r->finished = calloc(r->n, sizeof(*r->finished));
	r->running = calloc(nworkers, sizeof(*r->running));
	threads = calloc(nworkers, sizeof(*threads));
	if (!r->finished || !r->running || !threads) {
		fprintf(stderr, "marketfs-ctl: out of memory\n");
		goto out;
	}
	if (mfs_cache_start_workers(x->cache, &err) != MFS_OK) {
		fprintf(stderr, "marketfs-ctl: %s\n", err.msg);
		goto out;
	}
	if (!r->force)
		for (size_t i = 0; i < r->n; i++) {
			struct item *it = &r->items[i];
			struct mfs_key k = { it->symbol, it->tf, it->year, MFS_KIND_DATA };
			struct mfs_file_state st;
			it->fresh_before = mfs_cache_stat(x->cache, &k, &st) == MFS_OK &&
					   st.present && !st.stale;
		}
	o.bar = isatty(STDERR_FILENO) && !x->quiet;
	o.lines = !o.bar || !isatty(STDOUT_FILENO);
	o.t0 = now_s();
	/*
	 * Provider warnings would repeat our FAILED lines and break the
	 * progress line; and the cache's demoted retries of failed jobs are
	 * abandoned, with a warning each, when we close it. Left so to the end.
	 */
	if (x->verbose == 0)
		mfs_log_set_level(MFS_LOG_ERR);

	for (; started < nworkers; started++)
		if (pthread_create(&threads[started], NULL, worker, r) != 0)
			break;
	if (started == 0) {
		fprintf(stderr, "marketfs-ctl: cannot start worker threads\n");
		goto out;
	}
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->n_reported < r->n_finished)
			report_item_locked(r, &o, &r->items[r->finished[r->n_reported++]]);
		if (o.bar)
			draw_bar_locked(r, &o);
		ctl_should_stop(x); /* our workers see it; our waits return */
		if (r->n_finished == r->n || (atomic_load(x->interrupted) && !r->n_running))
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PROGRESS_TICK_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&r->changed, &r->mu, &ts);
	}
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (o.bar_shown) {
		fputc('\n', stderr);
		fflush(stderr);
	}

	char size[32];
	size_t not_started = r->n - r->n_finished;
	ctl_fmt_bytes(r->bytes, size, sizeof(size));
	printf("%s: %s%zu ok, %zu failed, %zu skipped", r->verb,
	       atomic_load(x->interrupted) ? "interrupted; " : "", r->n_ok, r->n_failed,
	       r->n_skipped);
	if (not_started)
		printf(", %zu not started", not_started);
	printf(", %s\n", size);
	fflush(stdout);
	ret = atomic_load(x->interrupted) ? CTL_EXIT_INTERRUPTED
	      : r->n_failed		  ? CTL_EXIT_FAILED
					  : CTL_EXIT_OK;
out:
	free(threads);
	return ret;
}

static int fetch_command(struct ctl *x, const char *verb, bool force)
{
	struct run r = { .x = x, .verb = verb, .force = force };
	int ret = CTL_EXIT_FAILED;

	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.changed, NULL);
	for (int i = 0; i < x->n_args; i++) {
		struct ctl_spec s;
		char why[256];
		if (!ctl_spec_parse(x->args[i], &s, why, sizeof(why))) { /* main checked it */
			fprintf(stderr, "marketfs-ctl: %s: %s\n", verb, why);
			ret = CTL_EXIT_USAGE;
			goto out;
		}
		if (add_spec(&r, &s) < 0)
			goto oom;
	}
	if (x->n_args == 0 && add_all_live(&r) < 0)
		goto oom;
	ret = run_all(&r);
	goto out;
oom:
	fprintf(stderr, "marketfs-ctl: out of memory\n");
out:
	free(r.items);
	free(r.finished);
	free(r.running);
	pthread_cond_destroy(&r.changed);
	pthread_mutex_destroy(&r.mu);
	return ret;
}

int ctl_cmd_prefetch(struct ctl *x)
{
	return fetch_command(x, "prefetch", false);
}

int ctl_cmd_refresh(struct ctl *x)
{
	return fetch_command(x, "refresh", true);
}
