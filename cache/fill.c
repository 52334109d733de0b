/*
 * The fill path of bars: absent or stale -> fetch -> validate -> install.
 *
 * Readers (FUSE worker threads) call mfs_cache_ensure(), which never does
 * network I/O itself. It plans a job for (symbol, timeframe) that will
 * install the wanted year and waits on it through the queue (queue.c),
 * which joins it to a like job already pending; a fetch thread then runs
 * it here, in mfs_cache_run_job(). When a refresh fails or does not finish
 * in time, a reader is served the stale copy it had.
 *
 * A job walks the provider chain of the symbol's class until one answers.
 * One job may install several years: when the first provider returns the
 * whole history in one request (Yahoo daily), every absent or stale year
 * is installed from that one answer. Another process (marketfs-ctl, or a
 * second daemon) fetching the same (symbol, timeframe) is kept out by a
 * cross-process lock file.
 *
 * It owns the plan of a job, the walk down the attempts (failover,
 * min_quality), and installing validated, repaired year files with their
 * sidecars; answer.c turns each provider's answer into the cache's bars
 * and judges it. It must never queue, start or wait on a job itself (queue.c
 * does), nor take c->mu: it writes a job's results only on the fetch
 * thread that runs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/cache.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "cache/cache_impl.h"
#include "cache/actions.h"
#include "cache/answer.h"
#include "cache/csvgz.h"
#include "cache/market.h"
#include "cache/quality.h"
#include "cache/repair.h"
#include "cache/resample.h"
#include "cache/sidecar.h"
#include "cache/validate.h"
#include "providers/mirror.h"


/* ---- planning ---------------------------------------------------------- */

static bool is_mirror(const struct mfs_provider *p)
{
	return mfs_provider_ops(p) == &mfs_mirror_ops;
}

unsigned mfs_cache_attempts(struct mfs_cache *c, enum mfs_class cls, enum mfs_tf tf,
			    struct mfs_attempt *out, unsigned max)
{
	struct mfs_provider *chain[MFS_MAX_ATTEMPTS];
	enum mfs_tf finer = mfs_providers_finer_tf(c->provs, cls, tf);
	unsigned k = mfs_providers_chain(c->provs, cls, tf, chain, MFS_MAX_ATTEMPTS), n = 0, native;

	/* the mirror, then whoever serves tf natively */
	for (unsigned i = 0; i < k && n < max; i++)
		out[n++] = (struct mfs_attempt){ chain[i], tf };
	native = n;
	if (finer == MFS_TF_INVALID)
		return n;
	/*
	 * Then tf built from the nearest finer timeframe, by providers not
	 * already asked: the whole chain when nobody serves tf natively, a
	 * failover path (1w from Tiingo's days when Yahoo fails) otherwise.
	 */
	k = mfs_providers_chain(c->provs, cls, finer, chain, MFS_MAX_ATTEMPTS);
	for (unsigned i = 0; i < k && n < max; i++) {
		bool asked = is_mirror(chain[i]);
		for (unsigned a = 0; a < native && !asked; a++)
			asked = out[a].p == chain[i];
		if (!asked)
			out[n++] = (struct mfs_attempt){ chain[i], finer };
	}
	return n;
}

/* The first attempt that fetches bars (not the mirror), or NULL. */
static const struct mfs_attempt *first_fetcher(const struct mfs_attempt *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!is_mirror(a[i].p))
			return &a[i];
	return NULL;
}

static int first_year_of(struct mfs_cache *c, const char *symbol)
{
	struct mfs_index_symbol s;

	if (mfs_index_get_symbol(c->idx, symbol, &s) == 1 && s.first_trade != 0)
		return mfs_year_of(s.first_trade);
	return 0;
}

static int64_t series_step(enum mfs_tf tf)
{
	return mfs_tf_is_intraday(tf) ? mfs_tf_seconds(tf) : MFS_SECONDS_PER_DAY;
}

/* Fill the job's window and year range; returns an error if nobody serves it. */
static enum mfs_err plan(struct mfs_cache *c, struct job *j, const struct mfs_file_state *st,
			 int64_t last_t, struct mfs_error *err)
{
	enum mfs_class cls = mfs_cache_classify(c, j->symbol);
	struct mfs_attempt att[MFS_MAX_ATTEMPTS];
	unsigned n = mfs_cache_attempts(c, cls, j->tf, att, MFS_MAX_ATTEMPTS);
	const struct mfs_attempt *f = first_fetcher(att, n);
	int64_t now = mfs_wall_now();
	int cur = mfs_year_of(now);

	if (n == 0)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND,
				     "no enabled provider serves %s (%s) at %s", j->symbol,
				     mfs_class_name(cls), mfs_tf_name(j->tf));
	j->year_lo = j->year_hi = j->want_year;
	j->start = mfs_year_start(j->want_year);
	j->end = mfs_year_start(j->want_year + 1);
	if (st->present && st->stale && last_t && !j->force &&
	    !mfs_cache_split_after(c, j->symbol, st->last_updated, INT64_MIN)) {
		/* (a split since the file was fetched changes its old bars: fetch it whole) */
		j->incremental = true;
		j->start = last_t + series_step(j->tf);
	} else if (f && mfs_provider_ops(f->p)->whole_history &&
		   mfs_provider_ops(f->p)->whole_history(f->tf)) {
		int first = first_year_of(c, j->symbol);
		if (first < c->cfg->history_start)
			first = c->cfg->history_start;
		if (first > j->want_year)
			first = j->want_year;
		j->year_lo = first;
		j->year_hi = cur > j->want_year ? cur : j->want_year;
		j->start = mfs_year_start(first);
		j->end = mfs_year_start(j->year_hi + 1);
	}
	if (j->end > now)
		j->end = now;
	if (j->start > j->end)
		j->start = j->end;
	return MFS_OK;
}

/* ---- running a job ----------------------------------------------------- */

struct fetch_report {
	unsigned requests;
	int64_t duration_ms;
	unsigned n_tried;
	struct {
		char name[32];
		char result[32];
	} tried[MFS_SIDECAR_MAX_TRIED];
	const char *source;
	struct mfs_provider *prov;
	char derived_from[8]; /* the finer timeframe resampled, or "" */
};

static enum mfs_err install_year(struct mfs_cache *c, struct job *j, int year,
				 const struct mfs_series *fetched, const struct mfs_market *mk,
				 bool adj, const struct fetch_report *rep, int64_t from, int64_t now,
				 struct mfs_error *err)
{
	struct mfs_series s;
	struct mfs_quality q;
	int64_t lo, hi;
	unsigned char *gz = NULL;
	char *side = NULL;
	struct mfs_sidecar *sc = NULL;
	size_t gzlen = 0, sidelen = 0;
	enum mfs_err rc;

	mfs_series_init(&s, j->tf);
	mfs_year_bounds(j->tf, year, &lo, &hi);
	if (j->incremental && year == j->want_year) {
		rc = mfs_cache_load_series(c, j->symbol, j->tf, year, &s, err);
		if (rc != MFS_OK)
			goto out;
	}
	for (size_t i = 0; i < fetched->n; i++)
		if (fetched->bars[i].t >= lo && fetched->bars[i].t < hi &&
		    mfs_series_append(&s, &fetched->bars[i]) < 0) {
			rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
			goto out;
		}
	for (size_t i = 0; i < fetched->null_rows; i++) /* this year's null rows only */
		if (fetched->null_t[i] >= lo && fetched->null_t[i] < hi &&
		    mfs_series_add_null(&s, fetched->null_t[i]) < 0) {
			rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
			goto out;
		}
	mfs_validate(&s, lo, hi, &q);
	struct mfs_repair_report rr;
	mfs_repair(&s, &rr);
	/* the gap report is large: keep it off the stack of a fetch thread */
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mk->has_calendar) {
		sc->has_gap_report = true;
		snprintf(sc->calendar, sizeof(sc->calendar), "%s", mfs_calendar_name(mk->cal));
		mfs_gaps_account(&s, mk, year, from, now, &sc->gap);
	}
	q.score = mfs_quality_full_score(&q, sc->has_gap_report ? &sc->gap : NULL, &rr);
	rc = mfs_csvgz_encode(&s, adj, &gz, &gzlen, err);
	if (rc != MFS_OK)
		goto out;

	snprintf(sc->symbol, sizeof(sc->symbol), "%s", j->symbol);
	sc->tf = j->tf;
	sc->year = year;
	snprintf(sc->data_source, sizeof(sc->data_source), "%s", rep->source);
	sc->created_at = mfs_cache_created_at(c, j->symbol, j->tf, year, now);
	sc->last_updated = now;
	sc->rows = s.n;
	if (s.n) {
		sc->first_t = s.bars[0].t;
		sc->last_t = s.bars[s.n - 1].t;
	}
	sc->quality = q;
	sc->size_bytes = gzlen;
	sc->adj_col = adj;
	mfs_sha256_hex(gz, gzlen, sc->sha256);
	sc->gaps = sc->has_gap_report ? sc->gap.totals[MFS_GAP_MISSING] : 0;
	sc->repair = rr;
	sc->stale_after = mfs_stale_after_gaps(mk, j->tf, year, now, c->cfg->max_age_s,
						sc->gaps > 0,
						sc->has_gap_report && sc->gap.tail_missing);
	sc->requests = rep->requests;
	sc->duration_ms = rep->duration_ms;
	sc->n_tried = rep->n_tried;
	memcpy(sc->tried, rep->tried, sizeof(sc->tried));
	sc->reliability = mfs_provider_reliability(rep->prov);
	mfs_provider_rate_desc(rep->prov, sc->rate_limit, sizeof(sc->rate_limit));
	snprintf(sc->cls, sizeof(sc->cls), "%s", mfs_class_name(mk->cls));
	snprintf(sc->tz, sizeof(sc->tz), "%s", mfs_tz_name(mk->tz));
	sc->close_minute = mk->close_minute;
	snprintf(sc->derived_from, sizeof(sc->derived_from), "%s", rep->derived_from);
	rc = mfs_sidecar_render(sc, &side, &sidelen, err);
	if (rc != MFS_OK)
		goto out;
	rc = mfs_cache_install(c, j->symbol, j->tf, year, gz, gzlen, side, sidelen, sc, err);
	if (rc == MFS_OK) {
		/* duration and requests are the whole fetch's, shared by its years */
		const struct mfs_log_fields lf = {
			.event = "fetch", .symbol = j->symbol, .timeframe = mfs_tf_name(j->tf),
			.year = year, .provider = rep->source, .result = "ok",
			.duration_ms = rep->duration_ms, .rows = (int64_t)s.n,
			.bytes = (int64_t)gzlen, .requests = rep->requests,
			.has = MFS_LOGF_YEAR | MFS_LOGF_DURATION | MFS_LOGF_ROWS | MFS_LOGF_BYTES |
			       MFS_LOGF_REQUESTS,
		};
		mfs_log_event(MFS_LOG_INFO, &lf,
			      "installed %s/%s/%d (%zu rows, %zu bytes, score %.4f, from %s)",
			      j->symbol, mfs_tf_name(j->tf), year, s.n, gzlen, q.score, rep->source);
	}
out:
	free(sc);
	free(gz);
	free(side);
	mfs_series_free(&s);
	return rc;
}

static void run_bars_job_locked_file(struct mfs_cache *c, struct job *j, struct mfs_http *http);

/*
 * Another process (marketfs-ctl, or a second daemon) may be fetching the
 * same (symbol, timeframe): a lock file serialises them, and whoever comes
 * second finds the file installed and fresh instead of fetching it again.
 */
static void run_bars_job(struct mfs_cache *c, struct job *j, struct mfs_http *http)
{
	int lock = mfs_cache_lock(c, j->symbol, mfs_tf_name(j->tf), j->deadline_ms);

	if (lock == -ETIMEDOUT) {
		j->result = MFS_ERR_TIMEOUT;
		snprintf(j->msg, sizeof(j->msg),
			 "%s/%s: another process holds the fetch lock past fetch_timeout",
			 j->symbol, mfs_tf_name(j->tf));
		return;
	}
	if (!j->force && !j->incremental) {
		struct mfs_key k = { j->symbol, j->tf, j->want_year, MFS_KIND_DATA };
		struct mfs_file_state st;
		if (mfs_cache_stat(c, &k, &st) == MFS_OK && st.present && !st.stale) {
			j->result = MFS_OK; /* installed meanwhile by another process */
			j->want_installed = true;
			goto out;
		}
	}
	run_bars_job_locked_file(c, j, http);
out:
	mfs_cache_unlock(lock);
}

void mfs_cache_run_job(struct mfs_cache *c, struct job *j, struct mfs_http *http)
{
	if (j->fundamentals) {
		mfs_cache_run_fundamentals(c, j, http);
		return;
	}
	run_bars_job(c, j, http);
}

/* ---- one provider's answer ----------------------------------------------- */

static void note_tried(struct fetch_report *rep, const char *name, const char *result)
{
	if (rep->n_tried >= MFS_SIDECAR_MAX_TRIED)
		return;
	snprintf(rep->tried[rep->n_tried].name, sizeof(rep->tried[0].name), "%s", name);
	snprintf(rep->tried[rep->n_tried].result, sizeof(rep->tried[0].result), "%s", result);
	rep->n_tried++;
}

static void log_attempt_error(struct mfs_cache *c, const struct job *j, const char *name,
			      enum mfs_err rc, const char *msg, int64_t t0, unsigned requests)
{
	/* duration and requests so far: this provider and those before it */
	const struct mfs_log_fields lf = {
		.event = "fetch", .symbol = j->symbol, .timeframe = mfs_tf_name(j->tf),
		.year = j->want_year, .provider = name, .result = "error",
		.error = mfs_err_name(rc), .duration_ms = mfs_now_ms() - t0,
		.requests = requests,
		.has = MFS_LOGF_YEAR | MFS_LOGF_DURATION | MFS_LOGF_REQUESTS,
	};
	mfs_log_event(MFS_LOG_WARN, &lf, "%s/%s/%d: %s", j->symbol, mfs_tf_name(j->tf),
		      j->want_year, msg);
	mfs_cache_note_error(c, j->symbol, mfs_tf_name(j->tf), j->want_year, name, rc, msg);
}

/* An answer kept while later providers are asked for a better one. */
struct kept {
	bool have;
	struct mfs_fetch_result res;
	struct mfs_market mk;
	struct mfs_provider *prov;
	enum mfs_tf src;
	double score;
};

static void run_bars_job_locked_file(struct mfs_cache *c, struct job *j, struct mfs_http *http)
{
	enum mfs_class cls = mfs_cache_classify(c, j->symbol);
	struct mfs_attempt att[MFS_MAX_ATTEMPTS];
	unsigned n = mfs_cache_attempts(c, cls, j->tf, att, MFS_MAX_ATTEMPTS);
	struct fetch_report rep = { 0 };
	struct mfs_fetch_result res;
	struct mfs_error err = { 0 };
	struct mfs_index_symbol known = { .close_minute = -1 };
	struct mfs_market mk;
	struct kept best = { 0 };
	int64_t now = mfs_wall_now(), t0 = mfs_now_ms();
	unsigned not_found = 0, fetchers = 0;
	enum mfs_tf src = j->tf;
	enum mfs_err rc = MFS_ERR_NOT_FOUND;

	mfs_fetch_result_init(&res, j->tf);
	mfs_index_get_symbol(c->idx, j->symbol, &known);
	snprintf(err.msg, sizeof(err.msg), "no provider serves %s at %s", j->symbol,
		 mfs_tf_name(j->tf));
	for (unsigned i = 0; i < n; i++) {
		struct mfs_provider *p = att[i].p;
		const struct mfs_provider_ops *ops = mfs_provider_ops(p);
		char psym[128];
		struct mfs_fetch_ctx ctx = {
			.http = http, .prov = p, .deadline_ms = j->deadline_ms, .now = now,
			.live_requests = &j->requests, .background = &j->background,
		};
		struct mfs_fetch_req req = {
			.symbol = j->symbol, .provider_symbol = psym, .cls = cls, .tf = att[i].tf,
			.start = j->start, .end = j->end,
			.first_trade_known = known.first_trade,
		};

		if (att[i].tf != j->tf) /* whole weeks and months: no bar from part of one */
			mfs_resample_window(j->tf, &req.start, &req.end, now);

		mfs_providers_map_symbol(c->provs, p, j->symbol, cls, psym, sizeof(psym));
		mfs_fetch_result_free(&res);
		mfs_fetch_result_init(&res, att[i].tf);
		mfs_error_clear(&err);
		mfs_cache_job_provider(c, j, ops->name);
		if (!is_mirror(p))
			fetchers++;
		if (is_mirror(p)) {
			rc = mfs_answer_from_mirror(c, j, &ctx, now, &err);
			rep.requests += ctx.requests;
			note_tried(&rep, ops->name, rc == MFS_OK ? "ok" : mfs_err_name(rc));
			mfs_provider_note(p, rc, err.msg);
			if (rc == MFS_OK) {
				j->want_installed = true;
				goto out;
			}
			log_attempt_error(c, j, ops->name, rc, err.msg, t0, rep.requests);
			continue;
		}
		if (i + 1 < n && mfs_provider_blocked_for(p) > 1.0) {
			/* rate limited a moment ago: ask the next one instead of waiting */
			char why[96];
			snprintf(why, sizeof(why), "%s: skipped, rate limited for %.0f s more",
				 ops->name, mfs_provider_blocked_for(p));
			note_tried(&rep, ops->name, mfs_err_name(MFS_ERR_RATE_LIMIT));
			log_attempt_error(c, j, ops->name, MFS_ERR_RATE_LIMIT, why, t0, rep.requests);
			rc = MFS_ERR_RATE_LIMIT;
			continue;
		}
		rc = ops->fetch(&ctx, &req, &res, &err);
		rep.requests += ctx.requests;
		if (rc == MFS_ERR_RATE_LIMIT && mfs_provider_blocked_for(p) <= 0)
			/* a limit without Retry-After (HTTP 200 "Note"): pause it */
			mfs_provider_block(p, MFS_RATE_LIMIT_PAUSE_S);
		if (rc == MFS_ERR_NO_DATA && j->incremental) {
			rc = MFS_OK; /* nothing new since the last bar: not a failure */
			mfs_error_clear(&err);
		}
		if (rc == MFS_OK)
			rc = mfs_answer_prepare(c, j, cls, att[i].tf, &res, &known, now, &mk, &err);
		if (rc == MFS_OK && !j->incremental && mfs_answer_missing_expected(j, &res, &mk, now))
			rc = mfs_error_set(&err, MFS_ERR_NO_DATA,
					   "%s: no %s bars for %s in %d where the calendar expects some",
					   ops->name, mfs_tf_name(j->tf), j->symbol, j->want_year);
		/* the score matters only if another answer could replace this one */
		if (rc == MFS_OK && c->cfg->min_quality > 0 && (i + 1 < n || best.have)) {
			double score = mfs_answer_year_score(j, &res.series, &mk,
						  mfs_answer_gap_from(&res, p, cls, att[i].tf, now), now);
			if (score < c->cfg->min_quality && i + 1 == n && best.have &&
			    best.score > score) {
				/* the last one did worse than an answer set aside: use that */
				note_tried(&rep, ops->name, "low_quality");
				mfs_provider_note(p, MFS_OK, "");
				rc = MFS_ERR_NO_DATA;
				break;
			}
			if (score < c->cfg->min_quality && i + 1 < n) {
				/* keep the best answer in case nobody does better */
				char why[64];
				snprintf(why, sizeof(why), "score %.4f below min_quality %.2f", score,
					 c->cfg->min_quality);
				note_tried(&rep, ops->name, "low_quality");
				mfs_provider_note(p, MFS_OK, "");
				log_attempt_error(c, j, ops->name, MFS_ERR_NO_DATA, why, t0,
						  rep.requests);
				if (!best.have || score > best.score) {
					if (best.have)
						mfs_fetch_result_free(&best.res);
					best = (struct kept){ true, res, mk, p, att[i].tf, score };
					mfs_fetch_result_init(&res, att[i].tf);
				}
				continue;
			}
		}
		note_tried(&rep, ops->name, rc == MFS_OK ? "ok" : mfs_err_name(rc));
		mfs_provider_note(p, rc, err.msg);
		if (rc == MFS_OK) {
			rep.source = ops->name;
			rep.prov = p;
			src = att[i].tf;
			break;
		}
		if (rc == MFS_ERR_NOT_FOUND)
			not_found++;
		log_attempt_error(c, j, ops->name, rc, err.msg, t0, rep.requests);
	}
	if (rc != MFS_OK && best.have) {
		/* nobody did better than the low-scoring answer: it is what there is */
		mfs_fetch_result_free(&res);
		res = best.res;
		mk = best.mk;
		best.have = false;
		rep.source = mfs_provider_get_name(best.prov);
		rep.prov = best.prov;
		src = best.src;
		mfs_error_clear(&err);
		rc = MFS_OK;
	}
	rep.duration_ms = mfs_now_ms() - t0;
	if (rc != MFS_OK) {
		/* the mirror's "not on the mirror" says nothing of the symbol */
		if (fetchers > 0 && not_found == fetchers) {
			mfs_index_put_negative(c->idx, j->symbol, now + c->cfg->negative_ttl_s,
					       err.msg);
			mfs_notice("%s: unknown to every provider; remembered for %d s", j->symbol,
				   c->cfg->negative_ttl_s);
			if (c->hooks.unknown_symbol)
				c->hooks.unknown_symbol(c->hook_arg, j->symbol);
		}
		goto out;
	}

	/* What the answer taught us about the symbol. */
	struct mfs_index_symbol learned = { .first_trade = res.first_trade,
					    .close_minute = res.close_minute };
	snprintf(learned.tz, sizeof(learned.tz), "%s", res.tz);
	mfs_index_put_symbol(c->idx, j->symbol, &learned);
	int first_year = res.first_trade ? mfs_year_of(res.first_trade) : 0;
	int64_t from = mfs_answer_gap_from(&res, rep.prov, cls, src, now);
	bool adj = mfs_class_has_adj_close(cls) && !mfs_tf_is_intraday(j->tf);

	if (src != j->tf)
		snprintf(rep.derived_from, sizeof(rep.derived_from), "%s", mfs_tf_name(src));
	for (int y = j->year_lo; y <= j->year_hi && rc == MFS_OK; y++) {
		if (first_year && y < first_year)
			continue;
		if (y != j->want_year) {
			struct mfs_key k = { j->symbol, j->tf, y, MFS_KIND_DATA };
			struct mfs_file_state fs;
			if (mfs_cache_stat(c, &k, &fs) == MFS_OK && fs.present && !fs.stale)
				continue; /* keep finished files as they are */
			if (!first_year && !mfs_cache_series_has_year(&res.series, y))
				continue;
		} else if (!first_year && !mfs_cache_series_has_year(&res.series, y) &&
			   !j->incremental) {
			/* nothing, and no first trade to tell a hole from "not yet listed" */
			rc = mfs_error_set(&err, MFS_ERR_NO_DATA, "%s has no %s data in %d at %s",
					   j->symbol, mfs_tf_name(j->tf), y, rep.source);
			break;
		}
		rc = install_year(c, j, y, &res.series, &mk, adj, &rep, from, now, &err);
		if (rc == MFS_OK && y == j->want_year)
			j->want_installed = true;
	}
	if (rc == MFS_OK && !j->want_installed && first_year && j->want_year < first_year)
		rc = mfs_error_set(&err, MFS_ERR_NO_DATA,
				   "%s has no %s data before %d (first trade at %s)", j->symbol,
				   mfs_tf_name(j->tf), first_year, rep.source);
out:
	j->result = rc;
	snprintf(j->msg, sizeof(j->msg), "%s", rc == MFS_OK ? "" : err.msg);
	mfs_fetch_result_free(&res);
	if (best.have)
		mfs_fetch_result_free(&best.res);
}

/* ---- bars that arrive outside a job (bulk archives) -------------------- */

enum mfs_err mfs_cache_install_answer(struct mfs_cache *c, const char *symbol, enum mfs_tf tf,
				      struct mfs_provider *prov, struct mfs_fetch_result *res,
				      struct mfs_error *err)
{
	enum mfs_class cls = mfs_cache_classify(c, symbol);
	struct mfs_index_symbol known = { .close_minute = -1 };
	struct fetch_report rep = { 0 };
	struct mfs_market mk;
	struct mfs_key k = { symbol, tf, 0, MFS_KIND_DATA };
	struct mfs_file_state st;
	int64_t now = mfs_wall_now();
	struct job *j = calloc(1, sizeof(*j));
	enum mfs_err rc;
	int lock;

	if (!j)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	snprintf(j->symbol, sizeof(j->symbol), "%s", symbol);
	j->tf = tf;
	j->want_year = j->year_lo = j->year_hi = mfs_year_of(now);
	j->start = mfs_year_start(j->want_year);
	j->end = now;
	j->deadline_ms = mfs_now_ms() + (int64_t)c->cfg->fetch_timeout_s * 1000;
	lock = mfs_cache_lock(c, symbol, mfs_tf_name(tf), j->deadline_ms);
	if (lock == -ETIMEDOUT) {
		free(j);
		return mfs_error_set(err, MFS_ERR_TIMEOUT, "%s/%s: the fetch lock is held", symbol,
				     mfs_tf_name(tf));
	}
	k.year = j->want_year;
	/* merge into this year's file: the archive holds only the latest days */
	j->incremental = mfs_cache_stat(c, &k, &st) == MFS_OK && st.present;
	mfs_index_get_symbol(c->idx, symbol, &known);
	rc = mfs_answer_prepare(c, j, cls, tf, res, &known, now, &mk, err);
	if (rc == MFS_OK) {
		rep.source = mfs_provider_get_name(prov);
		rep.prov = prov;
		note_tried(&rep, rep.source, "ok");
		rc = install_year(c, j, j->want_year, &res->series, &mk,
				  mfs_class_has_adj_close(cls) && !mfs_tf_is_intraday(tf), &rep,
				  mfs_answer_gap_from(res, prov, cls, tf, now), now, err);
	}
	mfs_cache_unlock(lock);
	free(j);
	return rc;
}

/* ---- what a reader asks for -------------------------------------------- */

enum mfs_err mfs_cache_ensure(struct mfs_cache *c, const struct mfs_key *k,
			      struct mfs_cancel *cancel, struct mfs_error *err)
{
	const struct mfs_ensure_opts o = { .prio = MFS_PRIO_FOREGROUND, .is_read = true };

	return mfs_cache_ensure_opts(c, k, cancel, &o, err);
}

/*
 * The log event of a reader served a stale copy because its refresh failed:
 * the reader's wait (deadline_ms is fetch_timeout after it began) and why.
 * The provider is not known here; the refresh's own error events name it.
 */
static struct mfs_log_fields stale_fields(const struct mfs_cache *c, const struct mfs_key *k,
					  int64_t deadline_ms, enum mfs_err why)
{
	return (struct mfs_log_fields){
		.event = "fetch", .symbol = k->symbol, .timeframe = mfs_tf_name(k->tf),
		.year = k->year, .result = "stale", .error = mfs_err_name(why),
		.duration_ms = mfs_now_ms() - (deadline_ms - (int64_t)c->cfg->fetch_timeout_s * 1000),
		.has = MFS_LOGF_YEAR | MFS_LOGF_DURATION,
	};
}

enum mfs_err mfs_cache_ensure_opts(struct mfs_cache *c, const struct mfs_key *k,
				   struct mfs_cancel *cancel, const struct mfs_ensure_opts *o,
				   struct mfs_error *err)
{
	struct mfs_file_state st;
	char why[256];
	int64_t deadline_ms = mfs_now_ms() + (int64_t)c->cfg->fetch_timeout_s * 1000;
	enum mfs_err rc;
	bool waited_once = false;

	if (mfs_cache_symbol_unknown(c, k->symbol))
		return mfs_error_set(err, MFS_ERR_NOT_FOUND,
				     "%s is unknown to every provider (remembered)", k->symbol);
	if (!mfs_cache_year_exists(c, k->symbol, k->tf, k->year, why, sizeof(why)))
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "%s", why);

	for (;;) {
		int64_t last_t = 0;

		rc = mfs_cache_stat(c, k, &st);
		if (rc != MFS_OK)
			return mfs_error_set(err, rc, "%s/%s/%d: cannot read the cache", k->symbol,
					     mfs_tf_name(k->tf), k->year);
		if (st.present && o->force && !waited_once)
			st.stale = true; /* refresh it anyway */
		if (st.present && (!st.stale || waited_once)) {
			if (!waited_once && o->is_read) {
				atomic_fetch_add(&c->hits, 1);
				mfs_cache_touch(c, k);
			}
			return MFS_OK;
		}
		if (c->cfg->offline) {
			if (st.present) {
				if (o->is_read) {
					atomic_fetch_add(&c->hits, 1);
					mfs_cache_touch(c, k);
				}
				return MFS_OK;
			}
			return mfs_error_set(err, MFS_ERR_OFFLINE,
					     "%s/%s/%d is not cached and marketfs is offline",
					     k->symbol, mfs_tf_name(k->tf), k->year);
		}
		if (!waited_once && o->is_read) {
			atomic_fetch_add(&c->misses, 1);
			mfs_cache_touch(c, k);
		}
		if (st.present)
			last_t = mfs_cache_last_bar(c, k->symbol, k->tf, k->year);

		struct job *fresh = calloc(1, sizeof(*fresh));
		if (!fresh)
			return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		snprintf(fresh->symbol, sizeof(fresh->symbol), "%s", k->symbol);
		fresh->tf = k->tf;
		fresh->want_year = k->year;
		fresh->deadline_ms = deadline_ms;
		fresh->prio = o->prio;
		fresh->force = o->force;
		rc = plan(c, fresh, &st, last_t, err);
		if (rc != MFS_OK) {
			free(fresh);
			return rc;
		}

		enum mfs_err jr;
		bool installed;
		int jwant;
		char msg[MFS_ERRMSG_MAX];
		rc = mfs_cache_wait_job(c, fresh, cancel, deadline_ms, &jr, msg, sizeof(msg),
					&installed, &jwant);
		if (rc == MFS_ERR_CANCELLED && atomic_load(&c->stop))
			return mfs_error_set(err, MFS_ERR_CANCELLED,
					     "%s/%s/%d: marketfs is shutting down", k->symbol,
					     mfs_tf_name(k->tf), k->year);
		if (rc != MFS_OK) {
			bool cancelled = rc == MFS_ERR_CANCELLED;
			if (st.present && !cancelled) {
				const struct mfs_log_fields lf = stale_fields(c, k, deadline_ms,
									      MFS_ERR_TIMEOUT);
				mfs_log_event(MFS_LOG_WARN, &lf,
					      "%s/%s/%d: refresh did not finish in %d s; serving the "
					      "stale copy",
					      k->symbol, mfs_tf_name(k->tf), k->year,
					      c->cfg->fetch_timeout_s);
				return MFS_OK;
			}
			if (cancelled)
				return mfs_error_set(err, MFS_ERR_CANCELLED,
						     "%s/%s/%d: interrupted; the fetch goes on",
						     k->symbol, mfs_tf_name(k->tf), k->year);
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     "%s/%s/%d: no answer within fetch_timeout (%d s)",
					     k->symbol, mfs_tf_name(k->tf), k->year,
					     c->cfg->fetch_timeout_s);
		}
		if (jr != MFS_OK) {
			if (st.present) {
				const struct mfs_log_fields lf = stale_fields(c, k, deadline_ms, jr);
				mfs_log_event(MFS_LOG_WARN, &lf,
					      "%s/%s/%d: refresh failed (%s); serving the stale copy",
					      k->symbol, mfs_tf_name(k->tf), k->year, msg);
				return MFS_OK;
			}
			return mfs_error_set(err, jr, "%s", msg);
		}
		if (installed && jwant == k->year) {
			if (o->is_read)
				mfs_cache_touch(c, k); /* now that its row exists */
			return MFS_OK;
		}
		/*
		 * The job we joined covered other years too; look again, and plan
		 * a job of our own if the year is still not there.
		 */
		if (mfs_cache_stat(c, k, &st) == MFS_OK && st.present)
			return MFS_OK;
		if (waited_once || jwant == k->year)
			return mfs_error_set(err, MFS_ERR_NO_DATA, "%s/%s/%d: no data at the provider",
					     k->symbol, mfs_tf_name(k->tf), k->year);
		waited_once = true;
	}
}
