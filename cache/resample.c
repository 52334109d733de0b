/*
 * Resampling to a coarser timeframe, and split adjustment (resample.h).
 */
#include <math.h>

#include <marketfs/limits.h>
#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#include "cache/resample.h"

/* Minutes after local midnight at which the NYSE session opens. */
#define NYSE_OPEN_MINUTE (9 * 60 + 30)


/* The first day of t's week (Monday), t and result as days * 86400. */
static int64_t week_of(int64_t t)
{
	int64_t day = mfs_floor_div(t, MFS_SECONDS_PER_DAY);

	/* 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7 */
	return (day - ((day % 7 + 7 + 3) % 7)) * MFS_SECONDS_PER_DAY;
}

/* The first day of t's calendar month, as days * 86400. */
static int64_t month_first_day(int64_t t)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(mfs_floor_div(t, MFS_SECONDS_PER_DAY), &y, &m, &d);
	return mfs_days_from_civil(y, m, 1) * MFS_SECONDS_PER_DAY;
}

static int64_t month_of(int64_t t)
{
	int64_t day = mfs_floor_div(t, MFS_SECONDS_PER_DAY);
	/* civil-from-days (Howard Hinnant), only year and month are needed */
	int64_t z = day + 719468, era = mfs_floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	return y * 12 + (m - 1);
}

/* Sessions anchored in local time: NYSE stocks and indices. */
static bool session_anchored(const struct mfs_market *mk)
{
	return mk->has_calendar && mk->cal == MFS_CAL_NYSE;
}

/* The bucket (its start, in series units) bar time t falls in. */
static int64_t bucket_of(int64_t t, enum mfs_tf tf, const struct mfs_market *mk)
{
	int64_t step = mfs_tf_seconds(tf);

	if (tf == MFS_TF_1W)
		return week_of(t);
	if (tf == MFS_TF_1MO)
		return month_of(t);
	if (tf == MFS_TF_1D)
		return mfs_floor_div(t, MFS_SECONDS_PER_DAY) * MFS_SECONDS_PER_DAY;
	if (session_anchored(mk)) {
		int64_t local = mfs_tz_to_local(mk->tz, t);
		int64_t day = mfs_floor_div(local, MFS_SECONDS_PER_DAY) * MFS_SECONDS_PER_DAY;
		int64_t open = day + NYSE_OPEN_MINUTE * 60;
		int64_t start = local >= open ? open + mfs_floor_div(local - open, step) * step
					      : day + mfs_floor_div(local - day, step) * step;

		return t - (local - start);
	}
	return mfs_floor_div(t, step) * step;
}

int mfs_resample(const struct mfs_series *src, enum mfs_tf tf, const struct mfs_market *mk,
		 struct mfs_series *dst)
{
	struct mfs_bar acc = mfs_bar_empty();
	int64_t cur = 0;
	bool open = false;

	for (size_t i = 0; i < src->n; i++) {
		const struct mfs_bar *b = &src->bars[i];
		int64_t k = bucket_of(b->t, tf, mk);

		if (open && k != cur) {
			if (mfs_series_append(dst, &acc) < 0)
				return -1;
			open = false;
		}
		if (!open) {
			acc = *b;
			/* intraday: the bucket's start; days and longer: the first bar's date */
			acc.t = mfs_tf_is_intraday(tf) ? k : b->t;
			cur = k;
			open = true;
			continue;
		}
		acc.high = fmax(acc.high, b->high);
		acc.low = fmin(acc.low, b->low);
		acc.close = b->close;
		acc.adj_close = b->adj_close;
		if (!isnan(b->volume))
			acc.volume = isnan(acc.volume) ? b->volume : acc.volume + b->volume;
	}
	if (open && mfs_series_append(dst, &acc) < 0)
		return -1;
	/* null rows keep their own time stamps; they count per year downstream */
	for (size_t i = 0; i < src->null_rows; i++)
		if (mfs_series_add_null(dst, src->null_t[i]) < 0)
			return -1;
	return 0;
}

void mfs_resample_window(enum mfs_tf tf, int64_t *start, int64_t *end, int64_t now)
{
	int64_t last;

	if (tf != MFS_TF_1W && tf != MFS_TF_1MO)
		return; /* intraday buckets never cross a day, nor a year */
	*start = tf == MFS_TF_1W ? week_of(*start) : month_first_day(*start);
	last = tf == MFS_TF_1W ? week_of(*end - 1) + 7 * MFS_SECONDS_PER_DAY
			       : month_first_day(month_first_day(*end - 1) + 31 * MFS_SECONDS_PER_DAY);
	*end = last < now ? last : now;
	if (*start > *end)
		*start = *end;
}

static double round6(double v)
{
	return round(v * 1e6) / 1e6;
}

void mfs_adjust_splits(struct mfs_series *s, const struct mfs_action *actions, size_t n,
		       const struct mfs_market *mk)
{
	for (size_t i = 0; i < s->n; i++) {
		struct mfs_bar *b = &s->bars[i];
		int64_t date = mfs_tf_is_intraday(s->tf)
				       ? mfs_tz_local_day(mk->tz, b->t) * MFS_SECONDS_PER_DAY
				       : b->t;
		double f = 1.0;

		for (size_t k = 0; k < n; k++)
			if (actions[k].type == MFS_ACTION_SPLIT && actions[k].value > 0 &&
			    date < actions[k].t)
				f *= actions[k].value;
		if (f == 1.0)
			continue;
		b->open = round6(b->open / f);
		b->high = round6(b->high / f);
		b->low = round6(b->low / f);
		b->close = round6(b->close / f);
		if (!isnan(b->volume))
			b->volume = round(b->volume * f * 1e6) / 1e6;
	}
}
