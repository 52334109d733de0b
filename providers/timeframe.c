/*
 * Timeframe names and civil-date arithmetic. The date algorithms are
 * Howard Hinnant's days_from_civil / civil_from_days (public domain),
 * exact for the proleptic Gregorian calendar.
 */
#include <stdio.h>
#include <string.h>

#include <marketfs/timeframe.h>

static const char *const tf_names[MFS_TF__COUNT] = {
	"1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M",
};

static const int64_t tf_secs[MFS_TF__COUNT] = {
	60, 300, 900, 1800, 3600, 14400, 86400, 604800, 0,
};

const char *mfs_tf_name(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return NULL;
	return tf_names[tf];
}

enum mfs_tf mfs_tf_parse(const char *s)
{
	if (!s)
		return MFS_TF_INVALID;
	for (int i = 0; i < MFS_TF__COUNT; i++)
		if (strcmp(s, tf_names[i]) == 0)
			return (enum mfs_tf)i;
	return MFS_TF_INVALID;
}

int64_t mfs_tf_seconds(enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return 0;
	return tf_secs[tf];
}

bool mfs_tf_is_intraday(enum mfs_tf tf)
{
	return tf >= MFS_TF_1M && tf <= MFS_TF_4H;
}

int64_t mfs_days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void mfs_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

unsigned mfs_weekday_from_days(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	int64_t w = (days + 3) % 7;
	return (unsigned)(w < 0 ? w + 7 : w);
}

int64_t mfs_year_start(int y)
{
	return mfs_days_from_civil(y, 1, 1) * MFS_SECONDS_PER_DAY;
}

int64_t mfs_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int mfs_year_of(int64_t t)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(mfs_floor_div(t, MFS_SECONDS_PER_DAY), &y, &m, &d);
	return y;
}

void mfs_format_iso8601(int64_t t, char *buf, size_t len)
{
	int64_t days = mfs_floor_div(t, MFS_SECONDS_PER_DAY);
	int64_t sod = t - days * MFS_SECONDS_PER_DAY;
	int y;
	unsigned m, d;

	mfs_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60));
}

/* Exactly "YYYY-MM-DDTHH:MM:SSZ", as mfs_format_iso8601 writes it. */
bool mfs_parse_iso8601(const char *s, int64_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int v[6] = { 0 };
	static const int start[6] = { 0, 5, 8, 11, 14, 17 }, width[6] = { 4, 2, 2, 2, 2, 2 };

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	}
	for (int f = 0; f < 6; f++)
		for (int i = 0; i < width[f]; i++)
			v[f] = v[f] * 10 + (s[start[f] + i] - '0');
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[3] > 23 || v[4] > 59 || v[5] > 59)
		return false;
	/* the day must exist in that month */
	int ny;
	unsigned nm, nd;
	mfs_civil_from_days(mfs_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]), &ny, &nm, &nd);
	if ((int)nd != v[2] || (int)nm != v[1])
		return false;
	*t = mfs_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * MFS_SECONDS_PER_DAY +
	     v[3] * 3600 + v[4] * 60 + v[5];
	return true;
}
