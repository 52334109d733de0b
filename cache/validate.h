/*
 * Validation before anything is cached (SPEC section 5, without the
 * calendar-based gap accounting): drops what cannot be served, counts and
 * lists it, and computes the quality score.
 */
#ifndef MARKETFS_CACHE_VALIDATE_H
#define MARKETFS_CACHE_VALIDATE_H

#include <stddef.h>

#include <marketfs/series.h>

#define MFS_VALIDATION_LIST_MAX 20
#define MFS_VALIDATION_MSG_MAX 160

struct mfs_quality {
	size_t rows;        /* bars kept */
	size_t null_rows;   /* dropped by the parser for null values */
	size_t duplicates;  /* collapsed time stamps */
	size_t invalid;     /* dropped by a rule below */
	size_t n_errors;    /* every validation error (listed or not) */
	size_t n_listed;
	char errors[MFS_VALIDATION_LIST_MAX][MFS_VALIDATION_MSG_MAX];
	double score;
};

/*
 * Sort and de-duplicate s (last wins), then drop bars that break a rule:
 * non-finite or non-positive prices, high < max(open, close), low >
 * min(open, close), high < low, negative volume, a time stamp off the
 * timeframe's grid or outside [lo, hi). Fills *q (null_rows taken from
 * s->null_rows) and its score.
 */
void mfs_validate(struct mfs_series *s, int64_t lo, int64_t hi, struct mfs_quality *q);

/*
 * score = kept / (kept + dropped) * (1 - duplicates / (kept + dropped +
 * duplicates) / 2), where dropped = null rows + invalid rows: in [0, 1],
 * 1 for a clean series (and for an empty one), and never raised by one
 * more problem. docs/files.md explains it.
 */
double mfs_quality_score(const struct mfs_quality *q);

#endif
