/*
 * Repair detectors (the faults yfinance is known for), run on every
 * provider's bars after validation. Nothing is silent: each finding is
 * counted and described in the sidecar. What each detector does:
 *
 *   100x unit mix-up      a bar whose four prices are all 50-200x (or
 *                         1/200-1/50) of its neighbours' median close:
 *                         REPAIRED (divided or multiplied by 100).
 *   missing split         a jump between two bars matching a split ratio
 *   adjustment            (2, 3, 4, 5, 8, 10, 15, 20, 25, 50 or their
 *                         inverses, within 3%) that persists: FLAGGED only,
 *                         since repairing needs the symbol's split history.
 *   volume spike          volume over 20x the median of the previous 20
 *                         bars: FLAGGED, never removed (news days are real).
 *   zero/negative price   DROPPED by validation (validate.c).
 *   off-grid bar          DROPPED by validation (validate.c).
 */
#ifndef MARKETFS_CACHE_REPAIR_H
#define MARKETFS_CACHE_REPAIR_H

#include <stddef.h>

#include <marketfs/series.h>

#define MFS_REPAIR_LIST_MAX 20
#define MFS_REPAIR_MSG_MAX 160

struct mfs_repair_report {
	size_t repaired;      /* bars changed */
	size_t flagged;       /* findings left as they are */
	size_t n_repairs, n_flags; /* listed */
	char repairs[MFS_REPAIR_LIST_MAX][MFS_REPAIR_MSG_MAX];
	char flags[MFS_REPAIR_LIST_MAX][MFS_REPAIR_MSG_MAX];
};

/* Run every detector on a sorted, validated series; repairs in place. */
void mfs_repair(struct mfs_series *s, struct mfs_repair_report *r);

#endif
