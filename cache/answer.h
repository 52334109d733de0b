/*
 * One provider's answer turned into the cache's bars (answer.c), for the
 * fill path (fill.c): the mirror's finished files checked and installed,
 * an answer prepared (market, corporate actions, split adjustment, bars
 * still forming, resampling), and the judgements failover needs (data
 * missing where the calendar expects some, the quality score).
 */
#ifndef MARKETFS_CACHE_ANSWER_H
#define MARKETFS_CACHE_ANSWER_H

#include <stdbool.h>
#include <stdint.h>

#include <marketfs/provider.h>

#include "cache/cache_impl.h"
#include "cache/index.h"
#include "cache/market.h"

/*
 * The mirror hands over finished files: the sidecar must describe this
 * very file and the data's sha256 must be the one it records; a copy
 * already stale is refused (the next provider has fresher data); the pair
 * is installed as it is.
 */
enum mfs_err mfs_answer_from_mirror(struct mfs_cache *c, struct job *j, struct mfs_fetch_ctx *ctx,
				    int64_t now, struct mfs_error *err);
/*
 * Turn an answer at src into bars of the job's timeframe, in the cache's
 * convention (see answer.c); *mk gets the symbol's market.
 */
enum mfs_err mfs_answer_prepare(struct mfs_cache *c, struct job *j, enum mfs_class cls,
				enum mfs_tf src, struct mfs_fetch_result *res,
				const struct mfs_index_symbol *known, int64_t now,
				struct mfs_market *mk, struct mfs_error *err);
/* The first bar any file could hold at tf from p: gaps are counted from there. */
int64_t mfs_answer_gap_from(const struct mfs_fetch_result *res, const struct mfs_provider *p,
			    enum mfs_class cls, enum mfs_tf tf, int64_t now);
/* Does the calendar expect bars of the wanted year that the answer lacks? */
bool mfs_answer_missing_expected(const struct job *j, const struct mfs_fetch_result *res,
				 const struct mfs_market *mk, int64_t now);
/* The quality score the wanted year's file would get from these bars. */
double mfs_answer_year_score(const struct job *j, const struct mfs_series *fetched,
			     const struct mfs_market *mk, int64_t from, int64_t now);

#endif
