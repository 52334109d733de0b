/*
 * Gap accounting and the quality score (SPEC section 5, docs/quality.md).
 *
 * Expected bars come from the symbol's trading calendar; present bars are
 * the file's. Every absence is a stretch with a reason:
 *   missing      expected bars the provider did not send (a provider hole)
 *   no_trades    a short hole inside a session between low-volume bars:
 *                the provider omits intervals without trades (thin symbols)
 *   holiday      a weekday without a session (a holiday or a one-off closure)
 *   early_close  the hours a session lost to an early close (intraday files)
 *   weekend      Saturday and Sunday (markets that close for them)
 *   maintenance  the daily CME halt between trade dates (intraday files)
 * `gaps` in the sidecar counts the missing stretches; the list shows the
 * first MFS_GAP_LIST_MAX stretches that are not routine (weekends and the
 * daily halt are only counted).
 */
#ifndef MARKETFS_CACHE_QUALITY_H
#define MARKETFS_CACHE_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/series.h>

#include "cache/calendar.h"
#include "cache/repair.h"
#include "cache/validate.h"

#define MFS_GAP_LIST_MAX 20

enum mfs_gap_reason {
	MFS_GAP_MISSING = 0,
	MFS_GAP_NO_TRADES,
	MFS_GAP_HOLIDAY,
	MFS_GAP_EARLY_CLOSE,
	MFS_GAP_WEEKEND,
	MFS_GAP_MAINTENANCE,
	MFS_GAP__COUNT
};

struct mfs_gap {
	int64_t start, end; /* UTC seconds: [start, end) */
	enum mfs_gap_reason reason;
	size_t bars;        /* expected bars in it (missing, no_trades) */
};

struct mfs_gap_report {
	size_t expected;    /* bars the calendar expects in [from, to) */
	size_t present;     /* of those, bars the file has */
	size_t unexpected;  /* bars of the file on no expected slot */
	bool tail_missing;  /* the newest expected bar is absent */
	size_t totals[MFS_GAP__COUNT]; /* stretches per reason */
	size_t n_listed, n_listable;
	struct mfs_gap list[MFS_GAP_LIST_MAX];
};

const char *mfs_gap_reason_name(enum mfs_gap_reason r);

struct mfs_market;

/*
 * Account the gaps of a sorted, validated series of `year` at tf against
 * the market's calendar, for expected bars opening at or after `from` that
 * are complete by `to` by the same rule that drops bars still forming
 * (mfs_bar_end): to = the fetch time; from = the first bar the provider
 * could have (the symbol's first trade or the provider's lookback limit).
 * The list holds the first MFS_GAP_LIST_MAX listable stretches in time.
 */
void mfs_gaps_account(const struct mfs_series *s, const struct mfs_market *m, int year,
		      int64_t from, int64_t to, struct mfs_gap_report *r);

/*
 * The quality score in [0, 1]:
 *   coverage  = present / expected            (1 when nothing is expected)
 *   validity  = kept / (kept + dropped)       dropped = null rows + invalid rows
 *   dups      = 1 - duplicates / (kept + dropped + duplicates) / 2
 *   repairs   = 1 - repaired / kept / 2
 *   score     = coverage * validity * dups * repairs
 * More problems of any kind never raise it.
 */
double mfs_quality_full_score(const struct mfs_quality *q, const struct mfs_gap_report *g,
			      const struct mfs_repair_report *r);

#endif
