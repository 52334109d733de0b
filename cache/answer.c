/*
 * One provider's answer turned into the cache's bars (answer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>

#include "cache/actions.h"
#include "cache/answer.h"
#include "cache/quality.h"
#include "cache/repair.h"
#include "cache/resample.h"
#include "cache/sidecar.h"
#include "cache/store.h"
#include "cache/validate.h"
#include "providers/mirror.h"

/*
 * The mirror hands over finished files: check that the sidecar describes
 * this very file and that the data's sha256 is the one it records, refuse
 * a copy that is already stale (the next provider has fresher data), and
 * install the pair as it is.
 */
enum mfs_err mfs_answer_from_mirror(struct mfs_cache *c, struct job *j, struct mfs_fetch_ctx *ctx,
				    int64_t now, struct mfs_error *err)
{
	char *data = NULL, *side = NULL, sha[65];
	size_t dl = 0, sl = 0;
	struct mfs_sidecar *sc = NULL;
	const char *tf = mfs_tf_name(j->tf);
	enum mfs_err rc;

	rc = mfs_mirror_get_pair(ctx, j->symbol, j->tf, j->want_year, &data, &dl, &side, &sl, err);
	if (rc != MFS_OK)
		return rc;
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mfs_sidecar_parse(side, sl, sc, err) != MFS_OK) {
		char why[MFS_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg);
		rc = mfs_error_set(err, MFS_ERR_PARSE, "mirror: %s/%s/%d: sidecar: %s", j->symbol, tf,
				   j->want_year, why);
		goto out;
	}
	if (strcmp(sc->symbol, j->symbol) != 0 || sc->tf != j->tf || sc->year != j->want_year) {
		rc = mfs_error_set(err, MFS_ERR_PARSE,
				   "mirror: %s/%s/%d: the sidecar describes another file (%s/%s/%d)",
				   j->symbol, tf, j->want_year, sc->symbol,
				   mfs_tf_name(sc->tf) ? mfs_tf_name(sc->tf) : "?", sc->year);
		goto out;
	}
	mfs_sha256_hex(data, dl, sha);
	if (strcmp(sha, sc->sha256) != 0) {
		rc = mfs_error_set(err, MFS_ERR_CORRUPT,
				   "mirror: %s/%s/%d: sha256 of the data (%.12s...) does not match its "
				   "sidecar (%.12s...); refused",
				   j->symbol, tf, j->want_year, sha, sc->sha256);
		goto out;
	}
	if (sc->stale_after && sc->stale_after <= now && !j->force) {
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, "mirror: %s/%s/%d: the mirror's copy is stale",
				   j->symbol, tf, j->want_year);
		goto out;
	}
	rc = mfs_cache_install(c, j->symbol, j->tf, j->want_year, data, dl, side, sl, sc, err);
	if (rc == MFS_OK)
		mfs_info("installed %s/%s/%d from the mirror (%zu bytes, as is)", j->symbol, tf,
			 j->want_year, dl);
out:
	free(sc);
	free(data);
	free(side);
	return rc;
}

/*
 * Turn a provider's answer at src into bars of the job's timeframe, in the
 * cache's convention: learn the symbol's market, record corporate actions
 * (a new split makes older files stale), split-adjust raw prices, drop
 * bars still forming, and resample when src is finer than the job's.
 */
enum mfs_err mfs_answer_prepare(struct mfs_cache *c, struct job *j, enum mfs_class cls,
				enum mfs_tf src, struct mfs_fetch_result *res,
				const struct mfs_index_symbol *known, int64_t now,
				struct mfs_market *mk, struct mfs_error *err)
{
	struct mfs_action *acts = NULL;
	size_t nacts = 0;
	int64_t new_split = 0;
	enum mfs_err rc;

	if (res->first_trade == 0)
		res->first_trade = known->first_trade;
	mfs_market_init(mk, cls, res->tz[0] ? res->tz : known->tz,
			res->close_minute >= 0 ? res->close_minute : known->close_minute);
	if (res->n_actions) {
		/* the merged list: another job may write actions.csv right after */
		rc = mfs_cache_merge_actions(c, j->symbol, res->actions, res->n_actions, &new_split,
					     &acts, &nacts, err);
		if (rc != MFS_OK)
			return rc;
		if (new_split)
			mfs_cache_split_stale(c, j->symbol, new_split, j->tf);
	} else if (res->raw_prices) {
		rc = mfs_cache_actions(c, j->symbol, &acts, &nacts, err);
		if (rc != MFS_OK)
			return rc;
	}
	if (res->raw_prices)
		mfs_adjust_splits(&res->series, acts, nacts, mk);
	free(acts);
	mfs_drop_incomplete(&res->series, mk, now);
	if (src != j->tf) {
		struct mfs_series dst;

		mfs_series_sort_dedup(&res->series);
		mfs_series_init(&dst, j->tf);
		if (mfs_resample(&res->series, j->tf, mk, &dst) < 0) {
			mfs_series_free(&dst);
			return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		}
		mfs_series_free(&res->series);
		res->series = dst;
		mfs_drop_incomplete(&res->series, mk, now);
	}
	mfs_market_restamp(mk, &res->series);
	return MFS_OK;
}

/* The first bar any file could hold: gaps are counted from there. */
int64_t mfs_answer_gap_from(const struct mfs_fetch_result *res, const struct mfs_provider *p,
			    enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	int64_t from = INT64_MIN, reach = mfs_provider_ops(p)->earliest(cls, tf, now);

	if (res->first_trade)
		from = mfs_tf_is_intraday(tf) ? res->first_trade
					      : res->first_trade / MFS_SECONDS_PER_DAY *
							MFS_SECONDS_PER_DAY;
	return reach > from ? reach : from;
}

/*
 * Does the calendar expect bars of the wanted year in the job's window
 * that the answer does not have? A whole session inside the window that
 * ended an hour ago, after the symbol's first trade, and no bar at all.
 */
bool mfs_answer_missing_expected(const struct job *j, const struct mfs_fetch_result *res,
				 const struct mfs_market *mk, int64_t now)
{
	int64_t lo = j->start > mfs_year_start(j->want_year) ? j->start
							     : mfs_year_start(j->want_year);
	int64_t hi = j->end < mfs_year_start(j->want_year + 1) ? j->end
							       : mfs_year_start(j->want_year + 1);
	struct mfs_session s;

	if (!mk->has_calendar || mfs_cache_series_has_year(&res->series, j->want_year))
		return false;
	if (res->first_trade && res->first_trade > lo)
		lo = res->first_trade;
	if (hi > now)
		hi = now;
	if (lo >= hi)
		return false;
	s = mfs_calendar_next_session(mk->cal, lo);
	return s.open >= lo && s.close + 3600 <= hi;
}

/* The quality score the wanted year's file would get from this answer. */
double mfs_answer_year_score(const struct job *j, const struct mfs_series *fetched,
			     const struct mfs_market *mk, int64_t from, int64_t now)
{
	struct mfs_series s;
	struct mfs_quality q;
	struct mfs_repair_report rr;
	struct mfs_gap_report *g = NULL;
	int64_t lo, hi;
	double score;

	mfs_series_init(&s, j->tf);
	mfs_year_bounds(j->tf, j->want_year, &lo, &hi);
	for (size_t i = 0; i < fetched->n; i++)
		if (fetched->bars[i].t >= lo && fetched->bars[i].t < hi)
			mfs_series_append(&s, &fetched->bars[i]);
	for (size_t i = 0; i < fetched->null_rows; i++)
		if (fetched->null_t[i] >= lo && fetched->null_t[i] < hi)
			mfs_series_add_null(&s, fetched->null_t[i]);
	mfs_validate(&s, lo, hi, &q);
	mfs_repair(&s, &rr);
	if (mk->has_calendar) {
		g = calloc(1, sizeof(*g));
		if (g)
			mfs_gaps_account(&s, mk, j->want_year, from, now, g);
	}
	score = mfs_quality_full_score(&q, g, &rr);
	free(g);
	mfs_series_free(&s);
	return score;
}

