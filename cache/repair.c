/*
 * Repair detectors (see repair.h for what each one does and why).
 *
 * Each detector compares a bar with a robust reference taken from its
 * neighbours (medians, not means, so one bad bar cannot hide another).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/repair.h"

#define UNIT_FACTOR 100.0
#define UNIT_LO 50.0     /* a ratio in [50, 200] is taken as 100x */
#define UNIT_HI 200.0
#define NEIGHBOURS 5     /* bars on each side for the 100x reference */
#define SPLIT_TOL 0.03   /* a jump within 3% of a split ratio */
#define SPLIT_WINDOW 5   /* bars on each side that must agree */
#define SPIKE_FACTOR 20.0
#define SPIKE_WINDOW 20

static const double split_ratios[] = { 2, 3, 4, 5, 8, 10, 15, 20, 25, 50 };

static void label(const struct mfs_series *s, int64_t t, char *buf, size_t len)
{
	char iso[32];

	mfs_format_iso8601(t, iso, sizeof(iso));
	if (!mfs_tf_is_intraday(s->tf))
		iso[10] = '\0';
	snprintf(buf, len, "%s", iso);
}

__attribute__((format(printf, 5, 6))) static void note(const struct mfs_series *s,
							char (*list)[MFS_REPAIR_MSG_MAX],
							size_t *n, int64_t t, const char *fmt, ...)
{
	char what[MFS_REPAIR_MSG_MAX], when[32];
	va_list ap;

	if (*n >= MFS_REPAIR_LIST_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	label(s, t, when, sizeof(when));
	snprintf(list[(*n)++], MFS_REPAIR_MSG_MAX, "%s: %s", when, what);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median of up to NEIGHBOURS values of v in [lo, hi). */
static double median_of(const double *v, size_t lo, size_t hi)
{
	double w[NEIGHBOURS];
	size_t n = 0;

	for (size_t j = lo; j < hi && n < NEIGHBOURS; j++)
		w[n++] = v[j];
	return n >= 2 ? median(w, n) : NAN;
}

static int is_unit_ratio(double r)
{
	return r >= UNIT_LO && r <= UNIT_HI;
}

/*
 * A bar is a unit mix-up only if it stands alone: its neighbours on both
 * sides (taken from the original closes, so one repair cannot lead to
 * another) agree with each other within a factor of two, and the bar is
 * 100x off from them. A lasting step of 100x (a currency change, an
 * unadjusted 100:1 split) has disagreeing sides and is left alone.
 */
static void fix_unit_mixups(struct mfs_series *s, struct mfs_repair_report *r)
{
	double *orig = malloc(s->n * sizeof(*orig) + 1);

	if (!orig)
		return;
	for (size_t i = 0; i < s->n; i++)
		orig[i] = s->bars[i].close;
	for (size_t i = 0; i < s->n; i++) {
		struct mfs_bar *b = &s->bars[i];
		size_t hi = i + 1 + NEIGHBOURS < s->n ? i + 1 + NEIGHBOURS : s->n;
		double left = median_of(orig, i > NEIGHBOURS ? i - NEIGHBOURS : 0, i);
		double right = median_of(orig, i + 1, hi);
		double ref, f;

		if (!isnan(left) && !isnan(right)) {
			if (!(left > 0 && right > 0) || fmax(left, right) / fmin(left, right) > 2)
				continue;
			ref = (left + right) / 2;
		} else {
			ref = isnan(left) ? right : left; /* at an end of the series */
			if (!(ref > 0))
				continue;
		}
		if (is_unit_ratio(b->open / ref) && is_unit_ratio(b->high / ref) &&
		    is_unit_ratio(b->low / ref) && is_unit_ratio(b->close / ref))
			f = 1.0 / UNIT_FACTOR;
		else if (is_unit_ratio(ref / b->open) && is_unit_ratio(ref / b->high) &&
			 is_unit_ratio(ref / b->low) && is_unit_ratio(ref / b->close))
			f = UNIT_FACTOR;
		else
			continue;
		double before = b->close;
		b->open *= f;
		b->high *= f;
		b->low *= f;
		b->close *= f;
		if (!isnan(b->adj_close))
			b->adj_close *= f;
		r->repaired++;
		note(s, r->repairs, &r->n_repairs, b->t,
		     "prices %s their neighbours' (close %g, neighbours ~%g): %s by 100",
		     f < 1 ? "100x" : "1/100 of", before, ref, f < 1 ? "divided" : "multiplied");
	}
	free(orig);
}

/* Median close of bars [lo, hi). */
static double median_close(const struct mfs_series *s, size_t lo, size_t hi)
{
	double v[SPLIT_WINDOW];
	size_t n = 0;

	for (size_t j = lo; j < hi && n < SPLIT_WINDOW; j++)
		v[n++] = s->bars[j].close;
	return median(v, n);
}

static void flag_splits(struct mfs_series *s, struct mfs_repair_report *r)
{
	if (s->n < 2 * SPLIT_WINDOW)
		return;
	for (size_t i = SPLIT_WINDOW; i + SPLIT_WINDOW <= s->n; i++) {
		double jump = s->bars[i - 1].close / s->bars[i].open;
		double before = median_close(s, i - SPLIT_WINDOW, i);
		double after = median_close(s, i, i + SPLIT_WINDOW);
		double level = before / after;

		if (!(jump > 0) || !(level > 0))
			continue;
		for (size_t k = 0; k < sizeof(split_ratios) / sizeof(split_ratios[0]); k++) {
			double q = split_ratios[k];
			int down = fabs(jump / q - 1) < SPLIT_TOL && fabs(level / q - 1) < SPLIT_TOL;
			int up = fabs(jump * q - 1) < SPLIT_TOL && fabs(level * q - 1) < SPLIT_TOL;
			if (!down && !up)
				continue;
			r->flagged++;
			note(s, r->flags, &r->n_flags, s->bars[i].t,
			     "price steps %s by %g and stays there: an unadjusted %s%g split? "
			     "(not repaired)",
			     down ? "down" : "up", q, down ? "" : "reverse 1:", q);
			break;
		}
	}
}

static void flag_volume_spikes(struct mfs_series *s, struct mfs_repair_report *r)
{
	double v[SPIKE_WINDOW];

	for (size_t i = SPIKE_WINDOW; i < s->n; i++) {
		size_t n = 0;
		if (isnan(s->bars[i].volume))
			continue;
		for (size_t j = i - SPIKE_WINDOW; j < i; j++)
			if (!isnan(s->bars[j].volume))
				v[n++] = s->bars[j].volume;
		if (n < SPIKE_WINDOW / 2)
			continue;
		double m = median(v, n);
		if (m > 0 && s->bars[i].volume > SPIKE_FACTOR * m) {
			r->flagged++;
			note(s, r->flags, &r->n_flags, s->bars[i].t,
			     "volume %.0f is %.0fx the median of the previous %d bars (kept)",
			     s->bars[i].volume, s->bars[i].volume / m, SPIKE_WINDOW);
		}
	}
}

void mfs_repair(struct mfs_series *s, struct mfs_repair_report *r)
{
	memset(r, 0, sizeof(*r));
	fix_unit_mixups(s, r);
	flag_splits(s, r);
	flag_volume_spikes(s, r);
}
