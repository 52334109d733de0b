/*
 * Gap accounting and the quality score (see quality.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cache/market.h"
#include "cache/quality.h"

#define NO_TRADES_MAX_BARS 3     /* a hole of at most this many bars ... */
#define NO_TRADES_VOLUME_PCT 25  /* ... between bars below this volume percentile */

static const char *const reason_names[MFS_GAP__COUNT] = {
	"missing", "no_trades", "holiday", "early_close", "weekend", "maintenance",
};

const char *mfs_gap_reason_name(enum mfs_gap_reason r)
{
	return (unsigned)r < MFS_GAP__COUNT ? reason_names[r] : "unknown";
}

struct slots {
	int64_t *t;
	size_t n, cap;
	int64_t from, to, len;
	enum mfs_tf tf;
	const struct mfs_market *m;
	int failed;
};

static int add_slot(void *arg, int64_t t)
{
	struct slots *sl = arg;

	/* the same rule the fill path uses to drop bars still forming */
	if (t < sl->from || mfs_bar_end(sl->m, sl->tf, t) > sl->to)
		return 0;
	if (sl->n == sl->cap) {
		size_t cap = sl->cap ? sl->cap * 2 : 1024;
		int64_t *nt = realloc(sl->t, cap * sizeof(*nt));
		if (!nt) {
			sl->failed = 1;
			return 1;
		}
		sl->t = nt;
		sl->cap = cap;
	}
	sl->t[sl->n++] = t;
	return 0;
}

/* Listable stretches, all of them, sorted before the first few are kept. */
struct gaps {
	struct mfs_gap *g;
	size_t n, cap;
};

static void add_gap(struct mfs_gap_report *r, struct gaps *all, int64_t start, int64_t end,
		    enum mfs_gap_reason reason, size_t bars, int listable)
{
	r->totals[reason]++;
	if (!listable)
		return;
	r->n_listable++;
	if (all->n == all->cap) {
		size_t cap = all->cap ? all->cap * 2 : 64;
		struct mfs_gap *ng = realloc(all->g, cap * sizeof(*ng));
		if (!ng)
			return; /* counted, not listed */
		all->g = ng;
		all->cap = cap;
	}
	all->g[all->n++] = (struct mfs_gap){ start, end, reason, bars };
}

static int cmp_gap(const void *a, const void *b)
{
	const struct mfs_gap *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double low_volume_mark(const struct mfs_series *s)
{
	double *v = malloc(s->n * sizeof(*v) + 1);
	size_t n = 0;
	double out = NAN;

	if (!v)
		return NAN;
	for (size_t i = 0; i < s->n; i++)
		if (!isnan(s->bars[i].volume))
			v[n++] = s->bars[i].volume;
	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		out = v[n * NO_TRADES_VOLUME_PCT / 100];
	}
	free(v);
	return out;
}

/* Volume of the bar at series time t, or NAN. */
static double volume_at(const struct mfs_series *s, int64_t t)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->bars[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->bars[lo].t == t ? s->bars[lo].volume : NAN;
}

/* Length of a regular session, to know what an early close loses. */
static int64_t regular_length(enum mfs_calendar cal)
{
	switch (cal) {
	case MFS_CAL_NYSE:
		return 6 * 3600 + 1800; /* 09:30-16:00 */
	case MFS_CAL_CME:
		return 23 * 3600;       /* 17:00-16:00 */
	default:
		return 0;               /* FX and crypto have no early closes */
	}
}

/* Stretches the calendar explains: holidays, early closes, weekends, halts. */
static void calendar_stretches(enum mfs_calendar cal, enum mfs_tf tf, int64_t from, int64_t to,
			       struct mfs_gap_report *r, struct gaps *all)
{
	int intraday = mfs_tf_is_intraday(tf);
	int64_t d0 = from / MFS_SECONDS_PER_DAY, d1 = (to - 1) / MFS_SECONDS_PER_DAY + 1;
	int64_t hol_start = -1, hol_end = 0, wk_start = -1;

	if (cal == MFS_CAL_CRYPTO || to <= from)
		return;
	for (int64_t d = d0; d <= d1; d++) {
		struct mfs_session s;
		int64_t day_t = d * MFS_SECONDS_PER_DAY;
		/* past the end: an open day closes any stretch still running */
		enum mfs_day_kind k = day_t < to ? mfs_calendar_day(cal, d, &s, NULL) : MFS_DAY_OPEN;

		if (k == MFS_DAY_HOLIDAY || k == MFS_DAY_CLOSURE) {
			if (hol_start < 0)
				hol_start = day_t;
			hol_end = day_t + MFS_SECONDS_PER_DAY;
		} else if (hol_start >= 0 && k != MFS_DAY_WEEKEND) {
			add_gap(r, all, hol_start, hol_end, MFS_GAP_HOLIDAY, 0, 1);
			hol_start = -1;
		}
		if (k == MFS_DAY_WEEKEND) {
			if (wk_start < 0)
				wk_start = day_t;
		} else if (wk_start >= 0) {
			add_gap(r, all, wk_start, day_t, MFS_GAP_WEEKEND, 0, 0);
			wk_start = -1;
		}
		if (day_t >= to)
			break;
		if (intraday && k == MFS_DAY_EARLY && regular_length(cal))
			add_gap(r, all, s.close, s.open + regular_length(cal), MFS_GAP_EARLY_CLOSE, 0,
				1);
		/* the CME halt: between a regular session and the next trade date's */
		if (intraday && cal == MFS_CAL_CME && k == MFS_DAY_OPEN) {
			enum mfs_day_kind nk = mfs_calendar_day(cal, d + 1, NULL, NULL);
			if (nk == MFS_DAY_OPEN || nk == MFS_DAY_EARLY)
				add_gap(r, all, s.close, s.close + 3600, MFS_GAP_MAINTENANCE, 0, 0);
		}
	}
}

void mfs_gaps_account(const struct mfs_series *s, const struct mfs_market *m, int year,
		      int64_t from, int64_t to, struct mfs_gap_report *r)
{
	enum mfs_calendar cal = m->cal;
	struct slots sl = { .from = from, .to = to, .tf = s->tf, .len = mfs_tf_seconds(s->tf),
			    .m = m };
	struct gaps all = { 0 };
	size_t i = 0, j = 0;
	double low_vol = mfs_tf_is_intraday(s->tf) ? low_volume_mark(s) : NAN;

	memset(r, 0, sizeof(*r));
	if (from < mfs_year_start(year))
		sl.from = mfs_year_start(year);
	mfs_calendar_bars(cal, s->tf, year, add_slot, &sl);
	if (sl.failed) {
		free(sl.t);
		return;
	}
	r->expected = sl.n;
	/* merge expected slots with present bars (both ascending) */
	while (i < sl.n) {
		while (j < s->n && s->bars[j].t < sl.t[i]) {
			if (s->bars[j].t >= sl.from)
				r->unexpected++;
			j++;
		}
		if (j < s->n && s->bars[j].t == sl.t[i]) {
			r->present++;
			i++;
			j++;
			continue;
		}
		/* a run of absent slots */
		size_t k = i;
		while (k < sl.n && !(j < s->n && s->bars[j].t == sl.t[k])) {
			while (j < s->n && s->bars[j].t < sl.t[k]) {
				if (s->bars[j].t >= sl.from)
					r->unexpected++;
				j++;
			}
			if (j < s->n && s->bars[j].t == sl.t[k])
				break;
			k++;
		}
		size_t bars = k - i;
		int64_t start = sl.t[i];
		int64_t end = sl.t[k - 1] + (mfs_tf_is_intraday(s->tf) ? sl.len : MFS_SECONDS_PER_DAY);
		enum mfs_gap_reason why = MFS_GAP_MISSING;
		if (mfs_tf_is_intraday(s->tf) && bars <= NO_TRADES_MAX_BARS && low_vol > 0 &&
		    i > 0 && k < sl.n && end - start <= (int64_t)bars * sl.len) {
			double before = volume_at(s, sl.t[i - 1]), after = volume_at(s, sl.t[k]);
			if (before <= low_vol && after <= low_vol)
				why = MFS_GAP_NO_TRADES;
		}
		add_gap(r, &all, start, end, why, bars, 1);
		if (k == sl.n && why == MFS_GAP_MISSING)
			r->tail_missing = true;
		i = k;
	}
	for (; j < s->n; j++)
		if (s->bars[j].t >= sl.from)
			r->unexpected++;
	free(sl.t);

	calendar_stretches(cal, s->tf, sl.from,
			   to < mfs_year_start(year + 1) ? to : mfs_year_start(year + 1), r, &all);
	/* the first stretches in time, whatever their reason */
	if (all.n)
		qsort(all.g, all.n, sizeof(all.g[0]), cmp_gap);
	r->n_listed = all.n < MFS_GAP_LIST_MAX ? all.n : MFS_GAP_LIST_MAX;
	if (r->n_listed)
		memcpy(r->list, all.g, r->n_listed * sizeof(r->list[0]));
	free(all.g);
}

double mfs_quality_full_score(const struct mfs_quality *q, const struct mfs_gap_report *g,
			      const struct mfs_repair_report *r)
{
	double kept = (double)q->rows, dropped = (double)(q->null_rows + q->invalid);
	double dups = (double)q->duplicates;
	double coverage = 1.0, validity = 1.0, dup = 1.0, rep = 1.0;

	if (g && g->expected)
		coverage = fmin(1.0, (double)g->present / (double)g->expected);
	if (kept + dropped > 0)
		validity = kept / (kept + dropped);
	if (dups > 0)
		dup = 1.0 - dups / (kept + dropped + dups) / 2.0;
	if (r && r->repaired && kept > 0)
		rep = 1.0 - fmin(1.0, (double)r->repaired / kept) / 2.0;
	double s = coverage * validity * dup * rep;
	return s < 0 ? 0 : s > 1 ? 1 : s;
}
