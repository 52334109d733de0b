/*
 * Daily maintenance (SPEC section 6): when a run is due, its record in
 * index.db, and its steps.
 *
 * A run is one asset class's evening pass over the cache for one trade
 * date, named "stock/2026-11-20" or "crypto/2026-11-20": the stock run
 * (US equities, with FX and futures alongside) `maintenance_stock_min`
 * after midnight New York on each NYSE trading day, the crypto run
 * `maintenance_crypto_min` after midnight UTC every day. Its steps, in
 * order: 1 refresh the class's watched and recently read current-year
 * files, 2 refresh stale fundamentals snapshots (stocks only), 3 bulk
 * archives (FirstRate's "day" archive, bulk.c), 4 evict when the cache is over
 * cache_max_size or under free_space_floor.
 *
 * It owns the `maintenance` table in index.db: one row per run, holding
 * the last step completed, written as each step completes. A run cut
 * short by a crash or a shutdown therefore resumes at its first
 * unfinished step; only the most recent scheduled run is ever planned, so
 * the newest run missed while the daemon was down is caught up at start
 * and older unfinished ones are left as they are.
 *
 * The decisions (when a run is due, what a stored row means) are plain
 * functions of their inputs, `now` included, so they are tested without
 * a thread. mfs_maint_run() runs in the caller's thread (the scheduler's,
 * scheduler.c); every fetch goes through the fetch pool's queue at
 * maintenance priority. It must never hold the index lock across a fetch.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/tz.h>

#include "cache/cache_impl.h"
#include "cache/calendar.h"

/* "Recently read" for the refresh step: read within this long. */
#define MAINT_RECENT_READ_S (7 * MFS_SECONDS_PER_DAY)
/* How far to look for an NYSE trading day (the longest closure is 4 days). */
#define MAINT_SEARCH_DAYS 20

static const char *const class_names[MFS_MAINT__COUNT] = { "stock", "crypto" };
static const char *const step_names[] = { "none", "refresh", "fundamentals", "bulk", "evict" };

const char *mfs_maint_class_name(enum mfs_maint_class mc)
{
	return (unsigned)mc < MFS_MAINT__COUNT ? class_names[mc] : "unknown";
}

enum mfs_maint_class mfs_maint_class_of(enum mfs_class cls)
{
	/* FX and futures ride with the stocks' run: one evening pass is enough */
	return cls == MFS_CLASS_CRYPTO ? MFS_MAINT_CRYPTO : MFS_MAINT_STOCK;
}

const char *mfs_maint_step_name(int step)
{
	return step >= 0 && step <= MFS_MAINT_STEP_LAST ? step_names[step] : "unknown";
}

/* ---- when runs are due --------------------------------------------------- */

static int clamp_minute(int minute)
{
	return minute < 0 ? 0 : minute >= 24 * 60 ? 24 * 60 - 1 : minute;
}

static int64_t floor_day(int64_t t)
{
	return t >= 0 ? t / MFS_SECONDS_PER_DAY : -((-t + MFS_SECONDS_PER_DAY - 1) / MFS_SECONDS_PER_DAY);
}

static bool nyse_trading_day(int64_t day)
{
	enum mfs_day_kind k = mfs_calendar_day(MFS_CAL_NYSE, day, NULL, NULL);

	return k == MFS_DAY_OPEN || k == MFS_DAY_EARLY;
}

/* The stock run of trade date `day`, as a UTC second. */
static int64_t stock_time(const struct mfs_tz *ny, int64_t day, int minute)
{
	int64_t local = day * MFS_SECONDS_PER_DAY + (int64_t)minute * 60;

	return ny ? mfs_tz_from_local(ny, local, NULL) : local;
}

int64_t mfs_maint_last_time(enum mfs_maint_class mc, int minute, int64_t t, int64_t *day)
{
	minute = clamp_minute(minute);
	if (mc == MFS_MAINT_CRYPTO) {
		int64_t at = floor_day(t) * MFS_SECONDS_PER_DAY + (int64_t)minute * 60;
		if (at > t)
			at -= MFS_SECONDS_PER_DAY;
		if (day)
			*day = floor_day(at) - 1; /* the UTC day that ended */
		return at;
	}
	const struct mfs_tz *ny = mfs_tz_get(mfs_calendar_tz(MFS_CAL_NYSE));
	int64_t d = ny ? mfs_tz_local_day(ny, t) : floor_day(t);
	for (int i = 0; i <= MAINT_SEARCH_DAYS; i++, d--) {
		int64_t at;
		if (!nyse_trading_day(d) || (at = stock_time(ny, d, minute)) > t)
			continue;
		if (day)
			*day = d;
		return at;
	}
	return 0;
}

int64_t mfs_maint_next_time(enum mfs_maint_class mc, int minute, int64_t t, int64_t *day)
{
	minute = clamp_minute(minute);
	if (mc == MFS_MAINT_CRYPTO) {
		int64_t at = floor_day(t) * MFS_SECONDS_PER_DAY + (int64_t)minute * 60;
		if (at <= t)
			at += MFS_SECONDS_PER_DAY;
		if (day)
			*day = floor_day(at) - 1;
		return at;
	}
	const struct mfs_tz *ny = mfs_tz_get(mfs_calendar_tz(MFS_CAL_NYSE));
	int64_t d = ny ? mfs_tz_local_day(ny, t) : floor_day(t);
	for (int i = 0; i <= MAINT_SEARCH_DAYS; i++, d++) {
		int64_t at;
		if (!nyse_trading_day(d) || (at = stock_time(ny, d, minute)) <= t)
			continue;
		if (day)
			*day = d;
		return at;
	}
	return 0;
}

void mfs_maint_run_name(enum mfs_maint_class mc, int64_t day, char *out, size_t len)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(day, &y, &m, &d);
	snprintf(out, len, "%s/%04d-%02u-%02u", mfs_maint_class_name(mc), y, m, d);
}

enum mfs_maint_action mfs_maint_decide(const struct mfs_maint_row *row, int *first_step)
{
	if (!row) {
		*first_step = MFS_MAINT_STEP_REFRESH;
		return MFS_MAINT_NEW;
	}
	if (row->step >= MFS_MAINT_STEP_LAST) {
		*first_step = 0;
		return MFS_MAINT_NONE;
	}
	*first_step = row->step < 0 ? MFS_MAINT_STEP_REFRESH : row->step + 1;
	return MFS_MAINT_RESUME;
}

int mfs_maint_plan(struct mfs_index *idx, enum mfs_maint_class mc, int minute, int64_t now,
		   struct mfs_maint_plan *out)
{
	struct mfs_maint_row row;
	int found;

	memset(out, 0, sizeof(*out));
	out->mc = mc;
	out->scheduled = mfs_maint_last_time(mc, minute, now, &out->day);
	if (out->scheduled == 0)
		return 0;
	mfs_maint_run_name(mc, out->day, out->run, sizeof(out->run));
	found = mfs_maint_get(idx, out->run, &row);
	if (found < 0)
		return -1;
	out->action = mfs_maint_decide(found ? &row : NULL, &out->first_step);
	return 0;
}

/* ---- the maintenance table -------------------------------------------- */

/*
 * One row per run, written under the index lock; each statement commits
 * on its own (WAL), so a step is recorded before the next one starts.
 * `step` is the last step completed; `note` gains a line per step.
 */
static const char maint_schema[] =
	"CREATE TABLE IF NOT EXISTS maintenance("
	" run TEXT PRIMARY KEY,"             /* "stock/2026-11-20" */
	" class TEXT NOT NULL,"              /* "stock" | "crypto" */
	" scheduled INTEGER NOT NULL,"       /* UTC second the run was due */
	" step INTEGER NOT NULL DEFAULT 0,"  /* last step completed, 0-4 */
	" started INTEGER NOT NULL,"         /* UTC second it first started */
	" finished INTEGER NOT NULL DEFAULT 0," /* UTC second step 4 completed */
	" note TEXT NOT NULL DEFAULT '')";

static int maint_table_locked(sqlite3 *db)
{
	char *msg = NULL;

	if (sqlite3_exec(db, maint_schema, NULL, NULL, &msg) != SQLITE_OK) {
		mfs_warn("index.db: maintenance table: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* mfs_index_vrun with the arguments in the call; the lock held. */
static int maint_run(struct mfs_index *idx, sqlite3_stmt **out, const char *sql,
		     const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = mfs_index_vrun(idx, out, sql, types, ap);
	va_end(ap);
	return rc;
}

static enum mfs_maint_class class_parse(const char *s)
{
	return s && strcmp(s, "crypto") == 0 ? MFS_MAINT_CRYPTO : MFS_MAINT_STOCK;
}

static void row_from(sqlite3_stmt *st, struct mfs_maint_row *out)
{
	const char *run = (const char *)sqlite3_column_text(st, 0);
	const char *note = (const char *)sqlite3_column_text(st, 6);

	snprintf(out->run, sizeof(out->run), "%s", run ? run : "");
	out->mc = class_parse((const char *)sqlite3_column_text(st, 1));
	out->scheduled = sqlite3_column_int64(st, 2);
	out->step = sqlite3_column_int(st, 3);
	out->started = sqlite3_column_int64(st, 4);
	out->finished = sqlite3_column_int64(st, 5);
	snprintf(out->note, sizeof(out->note), "%s", note ? note : "");
}

#define ROW_COLUMNS "run, class, scheduled, step, started, finished, note"

/* Run a SELECT of ROW_COLUMNS with text ?1; fill *row from its first row. */
static int maint_query(struct mfs_index *idx, const char *sql, const char *text,
		       struct mfs_maint_row *row)
{
	pthread_mutex_t *mu = mfs_index_lock(idx);
	sqlite3_stmt *st = NULL;
	int rc = -1;

	pthread_mutex_lock(mu);
	if (maint_table_locked(mfs_index_db(idx)) == 0)
		rc = maint_run(idx, &st, sql, "s", text);
	if (rc == 1) {
		row_from(st, row);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(mu);
	return rc;
}

int mfs_maint_get(struct mfs_index *idx, const char *run, struct mfs_maint_row *out)
{
	return maint_query(idx, "SELECT " ROW_COLUMNS " FROM maintenance WHERE run=?1", run, out);
}

int mfs_maint_latest(struct mfs_index *idx, enum mfs_maint_class mc, struct mfs_maint_row *out)
{
	return maint_query(idx,
			   "SELECT " ROW_COLUMNS " FROM maintenance WHERE class=?1"
			   " ORDER BY scheduled DESC, run DESC LIMIT 1",
			   mfs_maint_class_name(mc), out);
}

/*
 * Execute a write with parameters bound by `types` (s = text, d = int,
 * i = int64). With must_change, a statement that changed no row (the run
 * is not in the table) is an error.
 */
static int maint_write(struct mfs_index *idx, bool must_change, const char *sql,
		       const char *types, ...)
{
	sqlite3 *db = mfs_index_db(idx);
	pthread_mutex_t *mu = mfs_index_lock(idx);
	va_list ap;
	int rc = -1;

	pthread_mutex_lock(mu);
	if (maint_table_locked(db) == 0) {
		va_start(ap, types);
		rc = mfs_index_vrun(idx, NULL, sql, types, ap);
		va_end(ap);
	}
	if (rc == 0 && must_change && sqlite3_changes(db) == 0) {
		mfs_warn("index.db: maintenance: no such run");
		rc = -1;
	}
	pthread_mutex_unlock(mu);
	return rc;
}

int mfs_maint_begin(struct mfs_index *idx, const struct mfs_maint_plan *p, int64_t now)
{
	/* a resumed run keeps its row: its steps done and its first start */
	return maint_write(idx, false,
			   "INSERT OR IGNORE INTO maintenance(run, class, scheduled, step, started)"
			   " VALUES(?1, ?2, ?3, 0, ?4)",
			   "ssii", p->run, mfs_maint_class_name(p->mc), p->scheduled, now);
}

int mfs_maint_step_done(struct mfs_index *idx, const char *run, int step, const char *note,
			int64_t now)
{
	char line[MFS_MAINT_NOTE_MAX];

	snprintf(line, sizeof(line), "%d %s: %s", step, mfs_maint_step_name(step),
		 note ? note : "");
	return maint_write(idx, true,
			   "UPDATE maintenance SET step = MAX(step, ?2),"
			   " note = CASE WHEN note = '' THEN ?3 ELSE note || char(10) || ?3 END,"
			   " finished = CASE WHEN ?2 >= ?4 THEN ?5 ELSE finished END"
			   " WHERE run = ?1",
			   "sdsdi", run, step, line, (int)MFS_MAINT_STEP_LAST, now);
}

/* ---- maintenance steps --------------------------------------------------- */

struct refresh_file {
	struct mfs_sched_file f;
	bool watched;
};

static int cmp_refresh(const void *a, const void *b)
{
	const struct refresh_file *x = a, *y = b;
	int d = strcmp(x->f.symbol, y->f.symbol);

	if (d)
		return d;
	if (x->f.tf != y->f.tf)
		return (int)x->f.tf - (int)y->f.tf;
	return x->f.year - y->f.year;
}

struct file_list {
	struct refresh_file *v;
	unsigned n, cap;
};

static int list_add(struct file_list *l, const char *symbol, enum mfs_tf tf, int year,
		    bool watched)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 64;
		struct refresh_file *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	struct refresh_file *r = &l->v[l->n++];
	snprintf(r->f.symbol, sizeof(r->f.symbol), "%s", symbol);
	r->f.tf = tf;
	r->f.year = year;
	r->watched = watched;
	return 0;
}

/*
 * The files of the refresh step: the class's watched current-year files,
 * and its files read within MAINT_RECENT_READ_S that are not final (this
 * year's, and last year's in the days after New Year until it is fetched
 * once more). Sorted, each once.
 */
static int refresh_list(struct mfs_cache *c, enum mfs_maint_class mc, int64_t now,
			struct file_list *l)
{
	int year = mfs_year_of(now);
	unsigned max = c->cfg->n_watch * MFS_TF__COUNT;
	struct mfs_sched_file *w = calloc(max ? max : 1, sizeof(*w));
	unsigned nw;

	if (!w)
		return -1;
	nw = mfs_sched_watch_expand(c->cfg, year, w, max);
	for (unsigned i = 0; i < nw && i < max; i++)
		if (mfs_maint_class_of(mfs_cache_classify(c, w[i].symbol)) == mc &&
		    list_add(l, w[i].symbol, w[i].tf, w[i].year, true) < 0) {
			free(w);
			return -1;
		}
	free(w);

	sqlite3 *db = mfs_index_db(c->idx);
	pthread_mutex_t *mu = mfs_index_lock(c->idx);
	sqlite3_stmt *st = NULL;
	int rc = 0;
	pthread_mutex_lock(mu);
	if (sqlite3_prepare_v2(db,
			       "SELECT symbol, tf, year FROM files WHERE last_read >= ?1"
			       " AND year >= ?2 AND stale_after != 0",
			       -1, &st, NULL) != SQLITE_OK) {
		mfs_warn("index.db: %s", sqlite3_errmsg(db));
		rc = -1;
	} else {
		sqlite3_bind_int64(st, 1, now - MAINT_RECENT_READ_S);
		sqlite3_bind_int(st, 2, year - 1);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			const char *sym = (const char *)sqlite3_column_text(st, 0);
			enum mfs_tf tf = mfs_tf_parse((const char *)sqlite3_column_text(st, 1));
			if (!sym || tf == MFS_TF_INVALID || !mfs_symbol_valid(sym) ||
			    mfs_maint_class_of(mfs_cache_classify(c, sym)) != mc)
				continue;
			rc = list_add(l, sym, tf, sqlite3_column_int(st, 2), false);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(mu);
	if (rc < 0)
		return -1;

	/* each file once; a watched one stays marked watched */
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_refresh);
	unsigned out = 0;
	for (unsigned i = 0; i < l->n; i++) {
		if (out && cmp_refresh(&l->v[out - 1], &l->v[i]) == 0) {
			l->v[out - 1].watched |= l->v[i].watched;
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
	return 0;
}

/* Step 1. false: interrupted by shutdown. */
static bool step_refresh(struct mfs_cache *c, const struct mfs_maint_plan *p, int64_t now,
			 char *note, size_t len)
{
	struct file_list l = { 0 };
	unsigned fresh = 0, refreshed = 0, failed = 0, absent = 0;
	const struct mfs_ensure_opts o = { .prio = MFS_PRIO_MAINTENANCE };

	if (c->cfg->offline) {
		snprintf(note, len, "skipped: offline");
		return true;
	}
	if (refresh_list(c, p->mc, now, &l) < 0) {
		free(l.v);
		snprintf(note, len, "cannot list the files (out of memory or index.db error)");
		return true;
	}
	for (unsigned i = 0; i < l.n; i++) {
		struct mfs_key k = { l.v[i].f.symbol, l.v[i].f.tf, l.v[i].f.year, MFS_KIND_DATA };
		struct mfs_file_state st;
		struct mfs_error err = { 0 };

		if (mfs_sched_stopping(c)) {
			free(l.v);
			return false;
		}
		if (mfs_cache_stat(c, &k, &st) != MFS_OK)
			st.present = false;
		if (st.present && !st.stale) {
			fresh++;
			continue;
		}
		if (!st.present && !l.v[i].watched) {
			absent++; /* evicted or removed since it was read: not fetched again */
			continue;
		}
		enum mfs_err rc = mfs_cache_ensure_opts(c, &k, NULL, &o, &err);
		if (mfs_sched_stopping(c)) {
			free(l.v);
			return false;
		}
		if (rc == MFS_OK && mfs_cache_stat(c, &k, &st) == MFS_OK && st.present &&
		    !st.stale) {
			refreshed++;
		} else {
			failed++;
			mfs_warn("maintenance %s: %s/%s/%d: %s", p->run, k.symbol, mfs_tf_name(k.tf),
				 k.year, rc != MFS_OK ? err.msg : "still stale after the refresh");
		}
		mfs_sched_watch_pass(c, false); /* watched files stay fresh during a long step */
	}
	int w = snprintf(note, len, "%u files: %u refreshed, %u already fresh, %u failed", l.n,
			 refreshed, fresh, failed);
	if (absent && w > 0 && (size_t)w < len)
		snprintf(note + w, len - (size_t)w, ", %u no longer cached", absent);
	free(l.v);
	return true;
}

struct newest_snap {
	int64_t t;
};

static void newest_of(void *arg, const char *name)
{
	struct newest_snap *n = arg;
	int prov;
	int64_t t;

	if (mfs_fund_parse_name(name, &prov, &t) && t > n->t)
		n->t = t;
}

/* Step 2 (stocks only). false: interrupted by shutdown. */
static bool step_fundamentals(struct mfs_cache *c, const struct mfs_maint_plan *p, int64_t now,
			      char *note, size_t len)
{
	const char *root = mfs_cache_root(c);
	unsigned seen = 0, stale = 0, refreshed = 0, failed = 0;
	DIR *d;
	struct dirent *de;

	if (p->mc != MFS_MAINT_STOCK) {
		snprintf(note, len, "none for %s", mfs_maint_class_name(p->mc));
		return true;
	}
	if (c->cfg->offline) {
		snprintf(note, len, "skipped: offline");
		return true;
	}
	d = opendir(root);
	if (!d) {
		snprintf(note, len, "cannot read %s: %s", root, strerror(errno));
		return true;
	}
	while ((de = readdir(d))) {
		char path[4200];
		struct stat sb;
		struct newest_snap nw = { 0 };
		struct mfs_error err = { 0 };

		if (mfs_sched_stopping(c)) {
			closedir(d);
			return false;
		}
		if (!mfs_symbol_valid(de->d_name) || strcmp(de->d_name, "_metadata") == 0 ||
		    mfs_cache_classify(c, de->d_name) != MFS_CLASS_STOCK)
			continue;
		snprintf(path, sizeof(path), "%s/%s/fundamentals", root, de->d_name);
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		seen++;
		mfs_cache_fundamentals_list(c, de->d_name, newest_of, &nw);
		if (nw.t && now - nw.t < c->cfg->fundamentals_ttl_s)
			continue;
		stale++;
		if (mfs_cache_fundamentals_refresh(c, de->d_name, MFS_PRIO_MAINTENANCE, false,
						   &err) != MFS_OK) {
			if (mfs_sched_stopping(c)) {
				closedir(d);
				return false;
			}
			failed++;
			mfs_warn("maintenance %s: %s/fundamentals: %s", p->run, de->d_name, err.msg);
		} else {
			refreshed++;
		}
		mfs_sched_watch_pass(c, false);
	}
	closedir(d);
	snprintf(note, len, "%u symbols: %u stale, %u refreshed, %u failed", seen, stale,
		 refreshed, failed);
	return true;
}

/* Eviction, when over a limit; a one-line account in note. */
void mfs_maint_evict_now(struct mfs_cache *c, char *note, size_t len)
{
	struct mfs_evict_report r;
	struct mfs_error err = { 0 };

	if (!mfs_cache_over_limit(c)) {
		snprintf(note, len, "within the limits");
		return;
	}
	memset(&r, 0, sizeof(r));
	if (mfs_cache_evict(c, false, &r, NULL, NULL, &err) != MFS_OK) {
		snprintf(note, len, "eviction failed: %s", err.msg);
		mfs_warn("eviction failed: %s", err.msg);
		return;
	}
	snprintf(note, len,
		 "removed %u files (%llu bytes); %u open and %u watched kept; %llu -> %llu bytes",
		 r.removed_files, (unsigned long long)r.removed_bytes, r.skipped_open,
		 r.skipped_watched, (unsigned long long)r.before_bytes,
		 (unsigned long long)r.after_bytes);
}

static bool run_step(struct mfs_cache *c, const struct mfs_maint_plan *p, int step, int64_t now,
		     char *note, size_t len)
{
	switch (step) {
	case MFS_MAINT_STEP_REFRESH:
		return step_refresh(c, p, now, note, len);
	case MFS_MAINT_STEP_FUNDAMENTALS:
		return step_fundamentals(c, p, now, note, len);
	case MFS_MAINT_STEP_BULK:
		return mfs_maint_bulk(c, p->mc, note, len);
	case MFS_MAINT_STEP_EVICT:
		mfs_maint_evict_now(c, note, len);
		return true;
	default:
		snprintf(note, len, "unknown step");
		return true;
	}
}

enum mfs_err mfs_maint_run(struct mfs_cache *c, const struct mfs_maint_plan *p, int64_t now)
{
	struct mfs_maint_row prev;
	int64_t t0 = mfs_wall_now();

	if (p->action == MFS_MAINT_NONE || p->first_step < MFS_MAINT_STEP_REFRESH)
		return MFS_OK;
	if (mfs_maint_latest(c->idx, p->mc, &prev) == 1 && strcmp(prev.run, p->run) != 0 &&
	    prev.step < MFS_MAINT_STEP_LAST)
		mfs_notice("maintenance %s stopped after step %d; only the newest run, %s, is "
			   "caught up",
			   prev.run, prev.step, p->run);
	if (mfs_maint_begin(c->idx, p, now) < 0) {
		mfs_warn("maintenance %s: cannot record it in index.db", p->run);
		return MFS_ERR_IO;
	}
	if (p->action == MFS_MAINT_RESUME)
		mfs_notice("maintenance %s: resuming at step %d %s", p->run, p->first_step,
			   mfs_maint_step_name(p->first_step));
	else
		mfs_notice("maintenance %s: starting (due %lld s ago)", p->run,
			   (long long)(now - p->scheduled));
	for (int step = p->first_step; step <= MFS_MAINT_STEP_LAST; step++) {
		char note[MFS_MAINT_NOTE_MAX / 2] = "";

		if (mfs_sched_stopping(c))
			goto stopped;
		mfs_sched_set_current(c, p->run, step);
		if (!run_step(c, p, step, now, note, sizeof(note)))
			goto stopped;
		if (mfs_maint_step_done(c->idx, p->run, step, note, mfs_wall_now()) < 0) {
			mfs_sched_set_current(c, NULL, 0);
			mfs_warn("maintenance %s: step %d %s: cannot record it in index.db",
				 p->run, step, mfs_maint_step_name(step));
			return MFS_ERR_IO;
		}
		mfs_notice("maintenance %s: step %d %s: %s", p->run, step,
			   mfs_maint_step_name(step), note);
	}
	mfs_sched_set_current(c, NULL, 0);
	mfs_notice("maintenance %s: finished in %lld s", p->run,
		   (long long)(mfs_wall_now() - t0));
	return MFS_OK;
stopped:
	mfs_sched_set_current(c, NULL, 0);
	mfs_notice("maintenance %s: interrupted by shutdown; it resumes at the next start",
		   p->run);
	return MFS_ERR_CANCELLED;
}
