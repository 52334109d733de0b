/*
 * Validation and the quality score (see validate.h). Every dropped row is
 * reported: counted, and the first MFS_VALIDATION_LIST_MAX described in
 * the sidecar's validation_errors, so nothing is removed silently.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cache/market.h"
#include "cache/validate.h"

static void bar_label(enum mfs_tf tf, int64_t t, char *buf, size_t len)
{
	char iso[32];

	mfs_format_iso8601(t, iso, sizeof(iso));
	if (!mfs_tf_is_intraday(tf))
		iso[10] = '\0';
	snprintf(buf, len, "%s", iso);
}

__attribute__((format(printf, 4, 5))) static void note(struct mfs_quality *q, enum mfs_tf tf,
							int64_t t, const char *fmt, ...)
{
	q->n_errors++;
	if (q->n_listed >= MFS_VALIDATION_LIST_MAX)
		return;
	char label[32], what[MFS_VALIDATION_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bar_label(tf, t, label, sizeof(label));
	snprintf(q->errors[q->n_listed++], MFS_VALIDATION_MSG_MAX, "%s: %s", label, what);
}

static int price_ok(double v)
{
	return isfinite(v) && v > 0;
}

void mfs_validate(struct mfs_series *s, int64_t lo, int64_t hi, struct mfs_quality *q)
{
	size_t w = 0;

	memset(q, 0, sizeof(*q));
	q->null_rows = s->null_rows;
	q->duplicates = mfs_series_sort_dedup(s);

	for (size_t i = 0; i < s->n; i++) {
		const struct mfs_bar *b = &s->bars[i];
		int bad = 1;

		if (b->t < lo || b->t >= hi)
			note(q, s->tf, b->t, "outside the file's year");
		else if (!price_ok(b->open) || !price_ok(b->high) || !price_ok(b->low) ||
			 !price_ok(b->close))
			note(q, s->tf, b->t, "price not positive and finite (o=%g h=%g l=%g c=%g)",
			     b->open, b->high, b->low, b->close);
		else if (b->high < fmax(b->open, b->close))
			note(q, s->tf, b->t, "high %g below max(open %g, close %g)", b->high,
			     b->open, b->close);
		else if (b->low > fmin(b->open, b->close))
			note(q, s->tf, b->t, "low %g above min(open %g, close %g)", b->low,
			     b->open, b->close);
		else if (b->high < b->low)
			note(q, s->tf, b->t, "high %g below low %g", b->high, b->low);
		else if (!isnan(b->volume) && !(b->volume >= 0 && isfinite(b->volume)))
			note(q, s->tf, b->t, "volume %g is negative or not finite", b->volume);
		else if (!isnan(b->adj_close) && !price_ok(b->adj_close))
			note(q, s->tf, b->t, "adj_close %g not positive and finite", b->adj_close);
		else if (!mfs_bar_on_grid(s->tf, b->t))
			note(q, s->tf, b->t, "time stamp off the %s grid", mfs_tf_name(s->tf));
		else
			bad = 0;
		if (bad)
			q->invalid++;
		else
			s->bars[w++] = *b;
	}
	s->n = w;
	q->rows = w;
	q->score = mfs_quality_score(q);
}

double mfs_quality_score(const struct mfs_quality *q)
{
	double dropped = (double)(q->null_rows + q->invalid);
	double kept = (double)q->rows;
	double dups = (double)q->duplicates;

	if (kept + dropped == 0)
		return dups > 0 ? 0.5 : 1.0;
	double s = kept / (kept + dropped);
	s *= 1.0 - dups / (kept + dropped + dups) / 2.0;
	if (s < 0)
		s = 0;
	if (s > 1)
		s = 1;
	return s;
}
