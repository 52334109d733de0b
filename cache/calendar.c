/*
 * Trading calendars (see calendar.h): which trade dates hold a session,
 * when each session opens and closes in UTC, and the bar grid a complete
 * file of a year holds. The gap detector and the fill path ask this module
 * which bars to expect, so a wrong rule here shows up as "missing" bars.
 *
 * It owns no state: every answer is computed from the rules below and the
 * tz database, so it is thread-safe and any year can be asked. It must
 * never guess with fixed UTC offsets; when the tz database lacks a zone the
 * times fall back to UTC (wrong by hours, but never a crash).
 *
 * Rules and the years they hold (sources: NYSE holiday notices,
 * exchange_calendars XNYS/CMES, research/market-peers.md section 4):
 *   - A holiday on a Saturday is observed on Friday and one on a Sunday on
 *     Monday, except New Year's Day: on a Saturday it is not observed and
 *     NYSE stays open on Dec 31 for year-end accounting.
 *   - Martin Luther King Jr. Day from 1998, Juneteenth from 2022.
 *   - Washington's Birthday and Memorial Day are Monday holidays from 1971
 *     (Uniform Monday Holiday Act); before that Feb 22 and May 30.
 *   - Early closes at 13:00: July 3 before a Tue-Fri July 4 (from 1995 when
 *     July 3 is Mon/Tue/Thu, from 2013 also Wed; from 1995 to 2012 a Thursday
 *     July 4 made Friday July 5 the half day instead), the day after
 *     Thanksgiving (from 1993; 14:00 in 1992, none before), Dec 24 on Mon-Thu
 *     (from 1993; 14:00 before).
 *   - One-off closures come from a list.
 * Before 1990 the answers are best effort: Election Day closures (to 1980),
 * Lincoln's Birthday, the 1968 paperwork Wednesdays and other historic
 * closures are not modelled.
 *
 * CME is the simplified equity-index schedule: closed on New Year's Day,
 * Good Friday and Christmas (observed as on NYSE); on the other US holidays
 * the trade date ends at 12:00 CT, and on NYSE's early-close days at
 * 12:15 CT. The intraday 15:15-15:30 pause of 2015-2021 and per-product
 * hours (grains, livestock) are not modelled, and NYSE's one-off closures
 * do not apply (CME traded on 2025-01-09).
 */
#include <stddef.h>
#include <stdint.h>

#include <marketfs/tz.h>

#include "cache/calendar.h"

#define MINUTE_S 60
#define HOUR_MIN 60
#define HM(h, m) ((h) * HOUR_MIN + (m)) /* minutes after local midnight */

#define NYSE_OPEN_MIN HM(9, 30)
#define NYSE_CLOSE_MIN HM(16, 0)
#define NYSE_EARLY_CLOSE_MIN HM(13, 0)
#define NYSE_OLD_EARLY_CLOSE_MIN HM(14, 0) /* early closes before 1993 */
#define CME_OPEN_MIN HM(17, 0)             /* on the calendar day before */
#define CME_CLOSE_MIN HM(16, 0)
#define CME_HOLIDAY_CLOSE_MIN HM(12, 0)
#define CME_EARLY_CLOSE_MIN HM(12, 15)
#define FX_ROLL_MIN HM(17, 0) /* the "NY close": opens D-1, closes D */

/* Years the dated rules start (or stop) holding. */
#define MLK_FROM_YEAR 1998
#define MONDAY_HOLIDAYS_FROM_YEAR 1971
#define JUNETEENTH_FROM_YEAR 2022
#define JULY3_EARLY_FROM_YEAR 1995
#define JULY3_WEDNESDAY_FROM_YEAR 2013
#define BLACK_FRIDAY_FROM_YEAR 1992
#define EARLY_1PM_FROM_YEAR 1993

/* A session search never has to look further than this (9/11 + weekend). */
#define NEXT_SESSION_MAX_DAYS 16

#define NO_DAY INT64_MIN /* a rule that does not fall in the year asked */

enum { MON = 0, TUE, WED, THU, FRI, SAT, SUN, DAYS_PER_WEEK };
enum { JAN = 1, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV, DEC };

static const char *const cal_names[MFS_CAL__COUNT] = { "NYSE", "CME", "FX", "crypto" };
static const char *const cal_zones[MFS_CAL__COUNT] = {
	"America/New_York", "America/Chicago", "America/New_York", "UTC"
};

/* ---- US holiday rules, shared by NYSE and CME ---- */

enum hol_kind {
	HOL_FIXED,  /* month/mday, moved off weekends by `obs` */
	HOL_NTH,    /* the nth `wday` of month */
	HOL_LAST,   /* the last `wday` of month */
	HOL_EASTER, /* Easter Sunday + mday days (negative: before) */
};

enum hol_observe {
	OBS_WEEKDAY_ONLY, /* not observed when on a weekend */
	OBS_SUN_TO_MON,   /* Sunday -> Monday, Saturday not observed */
	OBS_NEAREST,      /* Saturday -> Friday, Sunday -> Monday */
};

struct us_holiday {
	const char *name;
	int from_year, to_year; /* inclusive; 0 = unbounded */
	enum hol_kind kind;
	unsigned month;
	int mday;     /* HOL_FIXED: day of month; HOL_EASTER: offset */
	unsigned nth; /* HOL_NTH: 1-based */
	unsigned wday;
	enum hol_observe obs;
	bool cme_closed; /* CME closes all day (else ends at 12:00 CT) */
};

static const struct us_holiday us_holidays[] = {
	{ "New Year's Day", 0, 0, HOL_FIXED, JAN, 1, 0, 0, OBS_SUN_TO_MON, true },
	{ "Martin Luther King Jr. Day", MLK_FROM_YEAR, 0, HOL_NTH, JAN, 0, 3, MON, 0, false },
	{ "Washington's Birthday", 0, MONDAY_HOLIDAYS_FROM_YEAR - 1, HOL_FIXED, FEB, 22, 0, 0,
	  OBS_NEAREST, false },
	{ "Washington's Birthday", MONDAY_HOLIDAYS_FROM_YEAR, 0, HOL_NTH, FEB, 0, 3, MON, 0,
	  false },
	{ "Good Friday", 0, 0, HOL_EASTER, 0, -2, 0, 0, 0, true },
	{ "Memorial Day", 0, MONDAY_HOLIDAYS_FROM_YEAR - 1, HOL_FIXED, MAY, 30, 0, 0, OBS_NEAREST,
	  false },
	{ "Memorial Day", MONDAY_HOLIDAYS_FROM_YEAR, 0, HOL_LAST, MAY, 0, 0, MON, 0, false },
	{ "Juneteenth", JUNETEENTH_FROM_YEAR, 0, HOL_FIXED, JUN, 19, 0, 0, OBS_NEAREST, false },
	{ "Independence Day", 0, 0, HOL_FIXED, JUL, 4, 0, 0, OBS_NEAREST, false },
	{ "Labor Day", 0, 0, HOL_NTH, SEP, 0, 1, MON, 0, false },
	{ "Thanksgiving", 0, 0, HOL_NTH, NOV, 0, 4, THU, 0, false },
	{ "Christmas", 0, 0, HOL_FIXED, DEC, 25, 0, 0, OBS_NEAREST, true },
};

#define N_US_HOLIDAYS (sizeof(us_holidays) / sizeof(us_holidays[0]))

struct closure {
	int year;
	unsigned month, mday;
	unsigned ndays; /* consecutive calendar days */
	const char *why;
};

static const struct closure nyse_closures[] = {
	{ 1985, SEP, 27, 1, "Hurricane Gloria" },
	{ 1994, APR, 27, 1, "Mourning for Richard Nixon" },
	{ 2001, SEP, 11, 4, "September 11" },
	{ 2004, JUN, 11, 1, "Mourning for Ronald Reagan" },
	{ 2007, JAN, 2, 1, "Mourning for Gerald Ford" },
	{ 2012, OCT, 29, 2, "Hurricane Sandy" },
	{ 2018, DEC, 5, 1, "Mourning for George H. W. Bush" },
	{ 2025, JAN, 9, 1, "Mourning for Jimmy Carter" },
};

/* Easter Sunday of year y: the anonymous Gregorian (Meeus/Jones/Butcher) algorithm. */
static int64_t easter(int y)
{
	int a = y % 19, b = y / 100, c = y % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int mday = (h + l - 7 * m + 114) % 31 + 1;

	return mfs_days_from_civil(y, (unsigned)month, (unsigned)mday);
}

static int64_t nth_weekday(int y, unsigned month, unsigned nth, unsigned wday)
{
	int64_t first = mfs_days_from_civil(y, month, 1);
	unsigned w = mfs_weekday_from_days(first);

	return first + (wday + DAYS_PER_WEEK - w) % DAYS_PER_WEEK + DAYS_PER_WEEK * (nth - 1);
}

static int64_t last_weekday(int y, unsigned month, unsigned wday)
{
	int64_t last = month == DEC ? mfs_days_from_civil(y, DEC, 31)
				    : mfs_days_from_civil(y, month + 1, 1) - 1;
	unsigned w = mfs_weekday_from_days(last);

	return last - (w + DAYS_PER_WEEK - wday) % DAYS_PER_WEEK;
}

static int64_t thanksgiving(int y)
{
	return nth_weekday(y, NOV, 4, THU);
}

/* The day holiday r is observed in year y, or NO_DAY when it is not. */
static int64_t holiday_day(const struct us_holiday *r, int y)
{
	int64_t d;
	unsigned w;

	if ((r->from_year && y < r->from_year) || (r->to_year && y > r->to_year))
		return NO_DAY;
	switch (r->kind) {
	case HOL_NTH:
		return nth_weekday(y, r->month, r->nth, r->wday);
	case HOL_LAST:
		return last_weekday(y, r->month, r->wday);
	case HOL_EASTER:
		return easter(y) + r->mday;
	case HOL_FIXED:
		break;
	}
	d = mfs_days_from_civil(y, r->month, (unsigned)r->mday);
	w = mfs_weekday_from_days(d);
	if (w == SAT)
		return r->obs == OBS_NEAREST ? d - 1 : NO_DAY;
	if (w == SUN)
		return r->obs == OBS_WEEKDAY_ONLY ? NO_DAY : d + 1;
	return d;
}

/*
 * The US holiday observed on `day` of year y, or NULL. Every observed date
 * falls in its own year (Dec 25 on a Saturday is Dec 24, and Jan 1 on a
 * Saturday is not moved back), so only year y's rules need checking.
 */
static const struct us_holiday *us_holiday_on(int64_t day, int y)
{
	for (size_t i = 0; i < N_US_HOLIDAYS; i++)
		if (holiday_day(&us_holidays[i], y) == day)
			return &us_holidays[i];
	return NULL;
}

/*
 * NYSE's early close on a weekday `day` that is not a holiday: the close
 * minute and the reason, or NULL. A rule whose date is a weekend or a
 * holiday yields nothing, because callers rule those out first.
 */
static const char *nyse_early(int64_t day, int y, unsigned m, unsigned d, unsigned wday,
			      int *close_min)
{
	/* The 13:00 rules; before 1993 the same days closed at 14:00. */
	int early_min = y < EARLY_1PM_FROM_YEAR ? NYSE_OLD_EARLY_CLOSE_MIN : NYSE_EARLY_CLOSE_MIN;
	const char *why = NULL;

	if (m == JUL && d == 3 && y >= JULY3_EARLY_FROM_YEAR &&
	    (wday == MON || wday == TUE || wday == THU ||
	     (wday == WED && y >= JULY3_WEDNESDAY_FROM_YEAR)))
		why = "Day before Independence Day";
	else if (m == JUL && d == 5 && wday == FRI && y >= JULY3_EARLY_FROM_YEAR &&
		 y < JULY3_WEDNESDAY_FROM_YEAR)
		why = "Day after Independence Day";
	else if (m == NOV && y >= BLACK_FRIDAY_FROM_YEAR && day == thanksgiving(y) + 1)
		why = "Day after Thanksgiving";
	else if (m == DEC && d == 24 && wday <= THU)
		why = "Christmas Eve";
	if (why)
		*close_min = early_min;
	return why;
}

static const char *nyse_closure(int64_t day)
{
	for (size_t i = 0; i < sizeof(nyse_closures) / sizeof(nyse_closures[0]); i++) {
		const struct closure *c = &nyse_closures[i];
		int64_t first = mfs_days_from_civil(c->year, c->month, c->mday);

		if (day >= first && day < first + (int64_t)c->ndays)
			return c->why;
	}
	return NULL;
}

/* ---- Sessions ---- */

/* UTC second of local minute `minute` of local date `day` (UTC if no zone). */
static int64_t local_at(const struct mfs_tz *tz, int64_t day, int minute)
{
	int64_t local = day * MFS_SECONDS_PER_DAY + (int64_t)minute * MINUTE_S;

	return tz ? mfs_tz_from_local(tz, local, NULL) : local;
}

/*
 * Classify trade date `day`; when it holds a session and s is not NULL,
 * fill *s. The zone is looked up once by the caller, so a year of bars
 * costs two tz conversions per session and none per bar.
 */
static enum mfs_day_kind classify(enum mfs_calendar cal, const struct mfs_tz *tz, int64_t day,
				  struct mfs_session *s, const char **why)
{
	const struct us_holiday *hol;
	enum mfs_day_kind kind = MFS_DAY_OPEN;
	const char *reason = NULL;
	int open_min = 0, close_min = 0;
	int64_t open_day = day; /* local date the session opens on */
	unsigned m, d, wday = mfs_weekday_from_days(day);
	int y;

	if (cal == MFS_CAL_CRYPTO) {
		if (s)
			*s = (struct mfs_session){ day, day * MFS_SECONDS_PER_DAY,
						   (day + 1) * MFS_SECONDS_PER_DAY };
		if (why)
			*why = NULL;
		return MFS_DAY_OPEN;
	}
	mfs_civil_from_days(day, &y, &m, &d);
	if ((unsigned)cal >= MFS_CAL__COUNT) {
		kind = MFS_DAY_CLOSURE;
		reason = "Unknown calendar";
	} else if (wday >= SAT) {
		kind = MFS_DAY_WEEKEND;
	} else if (cal == MFS_CAL_NYSE) {
		open_min = NYSE_OPEN_MIN;
		close_min = NYSE_CLOSE_MIN;
		if ((reason = nyse_closure(day)))
			kind = MFS_DAY_CLOSURE;
		else if ((hol = us_holiday_on(day, y))) {
			kind = MFS_DAY_HOLIDAY;
			reason = hol->name;
		} else if ((reason = nyse_early(day, y, m, d, wday, &close_min)))
			kind = MFS_DAY_EARLY;
	} else if (cal == MFS_CAL_CME) {
		int nyse_close;

		open_day = day - 1;
		open_min = CME_OPEN_MIN;
		close_min = CME_CLOSE_MIN;
		if ((hol = us_holiday_on(day, y))) {
			kind = hol->cme_closed ? MFS_DAY_HOLIDAY : MFS_DAY_EARLY;
			close_min = CME_HOLIDAY_CLOSE_MIN;
			reason = hol->name;
		} else if ((reason = nyse_early(day, y, m, d, wday, &nyse_close))) {
			/* Equity futures halt early when the cash market does. */
			kind = MFS_DAY_EARLY;
			close_min = CME_EARLY_CLOSE_MIN;
		}
	} else { /* MFS_CAL_FX: Cboe FX closes on the day itself, never moved */
		open_day = day - 1;
		open_min = FX_ROLL_MIN;
		close_min = FX_ROLL_MIN;
		if (m == JAN && d == 1) {
			kind = MFS_DAY_HOLIDAY;
			reason = "New Year's Day";
		} else if (m == DEC && d == 25) {
			kind = MFS_DAY_HOLIDAY;
			reason = "Christmas";
		}
	}
	if (why)
		*why = reason;
	if (s) {
		s->day = day;
		s->open = s->close = 0;
		if (kind == MFS_DAY_OPEN || kind == MFS_DAY_EARLY) {
			s->open = local_at(tz, open_day, open_min);
			s->close = local_at(tz, day, close_min);
		}
	}
	return kind;
}

static const struct mfs_tz *cal_tz(enum mfs_calendar cal)
{
	if ((unsigned)cal >= MFS_CAL__COUNT || cal == MFS_CAL_CRYPTO)
		return NULL;
	return mfs_tz_get(cal_zones[cal]);
}

static bool has_session(enum mfs_day_kind k)
{
	return k == MFS_DAY_OPEN || k == MFS_DAY_EARLY;
}

/* ---- Public API ---- */

enum mfs_calendar mfs_calendar_for_class(enum mfs_class cls)
{
	switch (cls) {
	case MFS_CLASS_CRYPTO:
		return MFS_CAL_CRYPTO;
	case MFS_CLASS_FOREX:
		return MFS_CAL_FX;
	case MFS_CLASS_FUTURES:
		return MFS_CAL_CME;
	default: /* stocks, ETFs, indices */
		return MFS_CAL_NYSE;
	}
}

const char *mfs_calendar_name(enum mfs_calendar cal)
{
	return (unsigned)cal < MFS_CAL__COUNT ? cal_names[cal] : NULL;
}

const char *mfs_calendar_tz(enum mfs_calendar cal)
{
	return (unsigned)cal < MFS_CAL__COUNT ? cal_zones[cal] : NULL;
}

enum mfs_day_kind mfs_calendar_day(enum mfs_calendar cal, int64_t day, struct mfs_session *s,
				   const char **why)
{
	return classify(cal, s ? cal_tz(cal) : NULL, day, s, why);
}

/*
 * No session closes on the UTC day before t's and still covers t (the
 * latest close is 22:00Z), so the search starts there. A zero session
 * means none was found, which only an unknown calendar can cause.
 */
struct mfs_session mfs_calendar_next_session(enum mfs_calendar cal, int64_t t)
{
	const struct mfs_tz *tz = cal_tz(cal);
	int64_t utc_day = t >= 0 ? t / MFS_SECONDS_PER_DAY
				 : -((-t + MFS_SECONDS_PER_DAY - 1) / MFS_SECONDS_PER_DAY);
	struct mfs_session s = { 0, 0, 0 };

	for (int64_t day = utc_day - 1; day <= utc_day + NEXT_SESSION_MAX_DAYS; day++)
		if (has_session(classify(cal, tz, day, &s, NULL)) && s.close > t)
			return s;
	return (struct mfs_session){ 0, 0, 0 };
}

/* Calls fn (if any) and counts; true when the walk must stop. */
static bool visit(mfs_bar_fn fn, void *arg, int64_t t, size_t *n)
{
	++*n;
	return fn && fn(arg, t) != 0;
}

static size_t intraday_bars(enum mfs_calendar cal, int64_t len, int year, mfs_bar_fn fn,
			    void *arg)
{
	const struct mfs_tz *tz = cal_tz(cal);
	int64_t ys = mfs_year_start(year), ye = mfs_year_start(year + 1);
	/* A CME or FX session opens the evening before its trade date. */
	int64_t first = mfs_days_from_civil(year, JAN, 1) - 1;
	int64_t last = mfs_days_from_civil(year, DEC, 31) + 1;
	struct mfs_session s;
	size_t n = 0;
	int64_t t;

	for (int64_t day = first; day <= last; day++) {
		if (!has_session(classify(cal, tz, day, &s, NULL)) || s.close <= ys)
			continue;
		if (s.open >= ye)
			break;
		t = s.open;
		if (t < ys) /* keep the session's grid, skip last year's bars */
			t += (ys - t + len - 1) / len * len;
		for (; t < s.close && t < ye; t += len)
			if (visit(fn, arg, t, &n))
				return n;
	}
	return n;
}

/*
 * 1d, 1w and 1M bars are stamped with trade dates, so the year is the trade
 * date's. A week that starts in December can hold January sessions; it
 * belongs to the year of its first session, so the walk starts at the
 * Monday of the week of Jan 1 to learn which weeks are already taken.
 */
static size_t dated_bars(enum mfs_calendar cal, enum mfs_tf tf, int year, mfs_bar_fn fn,
			 void *arg)
{
	int64_t jan1 = mfs_days_from_civil(year, JAN, 1);
	int64_t first = tf == MFS_TF_1W ? jan1 - mfs_weekday_from_days(jan1) : jan1;
	int64_t last = mfs_days_from_civil(year, DEC, 31);
	int64_t prev_period = NO_DAY;
	size_t n = 0;

	for (int64_t day = first; day <= last; day++) {
		int64_t period;
		unsigned m, d;
		int y;

		if (!has_session(classify(cal, NULL, day, NULL, NULL)))
			continue;
		mfs_civil_from_days(day, &y, &m, &d);
		if (tf == MFS_TF_1W)
			period = day - mfs_weekday_from_days(day);
		else if (tf == MFS_TF_1MO)
			period = day - (d - 1);
		else
			period = day;
		if (period == prev_period)
			continue;
		prev_period = period;
		if (y == year && visit(fn, arg, day * MFS_SECONDS_PER_DAY, &n))
			break;
	}
	return n;
}

size_t mfs_calendar_bars(enum mfs_calendar cal, enum mfs_tf tf, int year, mfs_bar_fn fn,
			 void *arg)
{
	if ((unsigned)cal >= MFS_CAL__COUNT || (unsigned)tf >= MFS_TF__COUNT)
		return 0;
	if (mfs_tf_is_intraday(tf))
		return intraday_bars(cal, mfs_tf_seconds(tf), year, fn, arg);
	return dated_bars(cal, tf, year, fn, arg);
}
