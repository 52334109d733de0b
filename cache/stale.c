/*
 * Bar completeness and the staleness schedule (see market.h).
 *
 * Bars are complete when their period is over: intraday at open + length;
 * crypto days, weeks (Monday) and months at the next UTC period; stock-like
 * days at the session close in the exchange zone, weeks at the Saturday
 * after, months at the first of the next month (local midnight).
 *
 * Staleness: intraday files are stale 80% of a bar after the fetch (at
 * least 60 s); day and longer files after the next settle time: 00:05 UTC
 * for crypto, one hour after the close on the next weekday for the others
 * (17:00 New York for US equities).
 */
#include <string.h>

#include <marketfs/limits.h>
#include <marketfs/timeframe.h>

#include "cache/market.h"

static int64_t day_of(int64_t t);
static int64_t next_month_day(int64_t day);

void mfs_market_init(struct mfs_market *m, enum mfs_class cls, const char *tz, int close_minute)
{
	m->cls = cls;
	m->tz = (tz && *tz) ? mfs_tz_get(tz) : NULL;
	if (!m->tz)
		m->tz = mfs_tz_get("UTC");
	m->close_minute = close_minute >= 0 && close_minute < 24 * 60 ? close_minute
								     : MFS_DEFAULT_CLOSE_MINUTE;
	m->cal = mfs_calendar_for_class(cls);
	/* the NYSE calendar only for exchanges in New York's zone */
	m->has_calendar = m->cal != MFS_CAL_NYSE ||
			  strcmp(mfs_tz_name(m->tz), mfs_calendar_tz(MFS_CAL_NYSE)) == 0;
}

/* The settle time of a session: when its daily bar may be fetched as final. */
static int64_t settle_of(const struct mfs_market *m, const struct mfs_session *s)
{
	switch (m->cal) {
	case MFS_CAL_NYSE:
		/* 17:00 New York on the trade date, early closes included */
		return mfs_tz_from_local(m->tz, s->day * MFS_SECONDS_PER_DAY +
						       MFS_SETTLE_STOCK_LOCAL_MIN * 60, NULL);
	case MFS_CAL_CRYPTO:
		return s->close + MFS_SETTLE_CRYPTO_UTC_MIN * 60;
	default:
		return s->close + 3600;
	}
}

/* The first settle time after t, from the calendar. */
static int64_t next_settle(const struct mfs_market *m, int64_t t)
{
	int64_t probe = t - 2 * 3600; /* a session closed just before t may settle after it */

	for (int i = 0; i < 20; i++) {
		struct mfs_session s = mfs_calendar_next_session(m->cal, probe);
		int64_t st = settle_of(m, &s);
		if (st > t)
			return st;
		probe = s.close;
	}
	return t + MFS_SECONDS_PER_DAY;
}

void mfs_market_restamp(const struct mfs_market *m, struct mfs_series *s)
{
	if (!m->has_calendar || (s->tf != MFS_TF_1W && s->tf != MFS_TF_1MO))
		return;
	for (size_t i = 0; i < s->n; i++) {
		int64_t day = day_of(s->bars[i].t), first, last;
		int y;
		unsigned mo, d;

		if (s->tf == MFS_TF_1W) {
			first = day - mfs_weekday_from_days(day);
			last = first + 6;
		} else {
			mfs_civil_from_days(day, &y, &mo, &d);
			first = mfs_days_from_civil(y, mo, 1);
			last = next_month_day(first) - 1;
		}
		for (int64_t x = first; x <= last; x++) {
			enum mfs_day_kind k = mfs_calendar_day(m->cal, x, NULL, NULL);
			if (k == MFS_DAY_OPEN || k == MFS_DAY_EARLY) {
				s->bars[i].t = x * MFS_SECONDS_PER_DAY;
				break;
			}
		}
	}
}

static int utc_calendar(const struct mfs_market *m)
{
	return m->cls == MFS_CLASS_CRYPTO;
}

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / MFS_SECONDS_PER_DAY : -((-t + MFS_SECONDS_PER_DAY - 1) / MFS_SECONDS_PER_DAY);
}

static int64_t next_month_day(int64_t day)
{
	int y;
	unsigned mo, d;

	mfs_civil_from_days(day, &y, &mo, &d);
	return mo == 12 ? mfs_days_from_civil(y + 1, 1, 1) : mfs_days_from_civil(y, mo + 1, 1);
}

/* UTC second of local day `day` at minute `minute` in the market's zone. */
static int64_t local_at(const struct mfs_market *m, int64_t day, int minute)
{
	return mfs_tz_from_local(m->tz, day * MFS_SECONDS_PER_DAY + (int64_t)minute * 60, NULL);
}

int64_t mfs_bar_end(const struct mfs_market *m, enum mfs_tf tf, int64_t t)
{
	if (mfs_tf_is_intraday(tf))
		return t + mfs_tf_seconds(tf);

	int64_t day = day_of(t);
	int64_t end_day;

	switch (tf) {
	case MFS_TF_1D:
		if (utc_calendar(m))
			return (day + 1) * MFS_SECONDS_PER_DAY;
		return local_at(m, day, m->close_minute);
	case MFS_TF_1W:
		end_day = day - mfs_weekday_from_days(day) + (utc_calendar(m) ? 7 : 5);
		break;
	default: /* 1M */
		end_day = next_month_day(day);
		break;
	}
	if (utc_calendar(m))
		return end_day * MFS_SECONDS_PER_DAY;
	return local_at(m, end_day, 0);
}

size_t mfs_drop_incomplete(struct mfs_series *s, const struct mfs_market *m, int64_t now)
{
	size_t w = 0, dropped = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (mfs_bar_end(m, s->tf, s->bars[i].t) <= now)
			s->bars[w++] = s->bars[i];
		else
			dropped++;
	}
	s->n = w;
	return dropped;
}

int mfs_bar_year(enum mfs_tf tf, int64_t t)
{
	(void)tf; /* dates are stored as UTC midnights, so one rule serves both */
	return mfs_year_of(t);
}

void mfs_year_bounds(enum mfs_tf tf, int y, int64_t *lo, int64_t *hi)
{
	(void)tf;
	*lo = mfs_year_start(y);
	*hi = mfs_year_start(y + 1);
}

int64_t mfs_stale_after(const struct mfs_market *m, enum mfs_tf tf, int year,
			int64_t last_updated, int64_t max_age_s)
{
	return mfs_stale_after_gaps(m, tf, year, last_updated, max_age_s, false, false);
}

int64_t mfs_stale_after_holes(const struct mfs_market *m, enum mfs_tf tf, int year,
			      int64_t last_updated, int64_t max_age_s, bool holes)
{
	return mfs_stale_after_gaps(m, tf, year, last_updated, max_age_s, holes, false);
}

int64_t mfs_stale_after_gaps(const struct mfs_market *m, enum mfs_tf tf, int year,
			     int64_t last_updated, int64_t max_age_s, bool holes,
			     bool tail_missing)
{
	int64_t next = last_updated + MFS_SECONDS_PER_DAY;

	/*
	 * Final once fetched a day after the year ended, and not before the
	 * year's last possible bar ended: then it holds every bar it ever
	 * will. A week that starts in late December ends in January.
	 */
	int64_t dec31 = mfs_days_from_civil(year, 12, 31), last_bar;
	switch (tf) {
	case MFS_TF_1W:
		last_bar = (dec31 - mfs_weekday_from_days(dec31)) * MFS_SECONDS_PER_DAY;
		break;
	case MFS_TF_1MO:
		last_bar = mfs_days_from_civil(year, 12, 1) * MFS_SECONDS_PER_DAY;
		break;
	case MFS_TF_1D:
		last_bar = dec31 * MFS_SECONDS_PER_DAY;
		break;
	default:
		last_bar = mfs_year_start(year + 1) - mfs_tf_seconds(tf);
		break;
	}
	int64_t final_at = mfs_year_start(year + 1) + MFS_SECONDS_PER_DAY;
	int64_t year_done = mfs_bar_end(m, tf, last_bar);
	if (year_done > final_at)
		final_at = year_done;
	if (holes)
		final_at += (int64_t)MFS_HOLE_RETRY_DAYS * MFS_SECONDS_PER_DAY;
	if (last_updated >= final_at)
		return 0;

	if (mfs_tf_is_intraday(tf)) {
		int64_t wait = (int64_t)(mfs_tf_seconds(tf) * MFS_STALE_INTRADAY_FRACTION);
		next = last_updated + (wait < MFS_STALE_MIN_S ? MFS_STALE_MIN_S : wait);
	} else if (m->has_calendar) {
		next = next_settle(m, last_updated);
	} else if (utc_calendar(m)) {
		int64_t day = day_of(last_updated);
		next = day * MFS_SECONDS_PER_DAY + MFS_SETTLE_CRYPTO_UTC_MIN * 60;
		if (next <= last_updated)
			next += MFS_SECONDS_PER_DAY;
	} else {
		/* one hour after the close, on the next weekday after last_updated */
		int settle = m->close_minute + 60;
		int64_t day = mfs_tz_local_day(m->tz, last_updated);
		for (int i = 0; i < 8; i++, day++) {
			if (mfs_weekday_from_days(day) >= 5)
				continue;
			next = local_at(m, day, settle);
			if (next > last_updated)
				break;
		}
	}
	if (tail_missing && last_updated + MFS_TAIL_RETRY_S < next)
		next = last_updated + MFS_TAIL_RETRY_S;
	if (max_age_s > 0 && last_updated + max_age_s < next)
		next = last_updated + max_age_s;
	return next;
}

int mfs_bar_on_grid(enum mfs_tf tf, int64_t t)
{
	switch (tf) {
	case MFS_TF_1M:
	case MFS_TF_5M:
	case MFS_TF_15M:
	case MFS_TF_30M:
		return t % mfs_tf_seconds(tf) == 0;
	case MFS_TF_1H:
	case MFS_TF_4H:
		/* sessions may open on the half hour (09:30 New York) */
		return t % 1800 == 0;
	default:
		return t % MFS_SECONDS_PER_DAY == 0;
	}
}
