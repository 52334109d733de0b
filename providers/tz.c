/*
 * Time zones read straight from TZif files (RFC 8536, versions 1 to 3).
 *
 * Trading calendars and staleness need "what is the local time in New York
 * at this instant" from many threads at once, which localtime_r() and the
 * process-wide TZ variable cannot give safely. This module owns a table of
 * loaded zones: each is read once, kept for the life of the process and
 * never freed, so callers may hold the pointer forever without locking.
 * It never changes TZ, never calls tzset(), and never opens a path built
 * from an unchecked name.
 *
 * A zone is its transition list plus the POSIX TZ string of the footer
 * ("EST5EDT,M3.2.0,M11.1.0"), which rules every instant after the last
 * listed transition: "slim" zoneinfo files list few or no transitions,
 * and "fat" ones stop in 2037.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/timeframe.h>
#include <marketfs/tz.h>

#define TZ_NAME_MAX 128
#define TZ_FILE_MAX_BYTES (1024 * 1024) /* real files are < 4 KiB */
#define TZ_DEFAULT_RULE_TIME_S 7200     /* POSIX: rules switch at 02:00 */

/* One end of a DST period: a date rule and a local time of day. */
struct tz_rule {
	char kind; /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day) */
	int day, week, month;
	int32_t secs; /* local time of the switch, may be < 0 or > 24h (v3) */
};

struct mfs_tz {
	char name[TZ_NAME_MAX];
	size_t ntrans;
	int64_t *trans;	  /* ascending UTC instants */
	int32_t *trans_off; /* offset in force from trans[i] on */
	int32_t first_off;  /* before the first transition: time type 0 */
	bool has_footer, has_dst;
	int32_t std_off, dst_off; /* seconds east of UTC */
	struct tz_rule start, end;
	struct mfs_tz *next;
};

/* The built-in UTC, so that it works without the tz database. */
static struct mfs_tz utc_zone = { .name = "UTC" };

/* zones_lock guards the zones list; the zones themselves are immutable. */
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mfs_tz *zones;

const char *mfs_tz_dir(void)
{
	const char *dir = getenv("MARKETFS_TZDIR");

	return (dir && *dir) ? dir : "/usr/share/zoneinfo";
}

const char *mfs_tz_name(const struct mfs_tz *tz)
{
	return tz->name;
}

/*
 * A name becomes a path under mfs_tz_dir(), so only the characters of real
 * zone names are allowed. '.' is not among them, which already rules out
 * "..", but we check for it anyway so that widening the set stays safe.
 */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
			  c == '+';
		if (!ok)
			return false;
	}
	return true;
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

static const char *parse_abbr(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *parse_num(const char *p, int lo, int hi, int *v)
{
	int n = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p++ - '0');
		if (n > hi)
			return NULL;
	}
	if (n < lo)
		return NULL;
	*v = n;
	return p;
}

/* [+-]hh[:mm[:ss]]; hours up to 167 as RFC 8536 allows for rule times. */
static const char *parse_hms(const char *p, int32_t *secs)
{
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = parse_num(p, 0, 167, &h)))
		return NULL;
	if (*p == ':' && !(p = parse_num(p + 1, 0, 59, &m)))
		return NULL;
	if (*p == ':' && !(p = parse_num(p + 1, 0, 59, &s)))
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *parse_rule(const char *p, struct tz_rule *r)
{
	r->secs = TZ_DEFAULT_RULE_TIME_S;
	if (*p == 'J') {
		r->kind = 'J';
		p = parse_num(p + 1, 1, 365, &r->day);
	} else if (*p == 'M') {
		r->kind = 'M';
		p = parse_num(p + 1, 1, 12, &r->month);
		if (p && *p == '.')
			p = parse_num(p + 1, 1, 5, &r->week);
		else
			p = NULL;
		if (p && *p == '.')
			p = parse_num(p + 1, 0, 6, &r->day);
		else
			p = NULL;
	} else {
		r->kind = 'D';
		p = parse_num(p, 0, 365, &r->day);
	}
	if (p && *p == '/')
		p = parse_hms(p + 1, &r->secs);
	return p;
}

/* Returns false if s is not a POSIX TZ string we understand. */
static bool parse_footer(struct mfs_tz *tz, const char *s)
{
	static const struct tz_rule us_start = { 'M', 0, 2, 3, TZ_DEFAULT_RULE_TIME_S };
	static const struct tz_rule us_end = { 'M', 0, 1, 11, TZ_DEFAULT_RULE_TIME_S };
	int32_t west;
	const char *p;

	if (!(p = parse_abbr(s)) || !(p = parse_hms(p, &west)))
		return false;
	tz->std_off = -west; /* POSIX offsets count west of Greenwich */
	if (*p == '\0')
		return true;
	if (!(p = parse_abbr(p)))
		return false;
	tz->has_dst = true;
	tz->dst_off = tz->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!(p = parse_hms(p, &west)))
			return false;
		tz->dst_off = -west;
	}
	if (*p == '\0') {
		/* No rule: POSIX leaves it to the implementation; use the US one. */
		tz->start = us_start;
		tz->end = us_end;
		return true;
	}
	if (*p != ',' || !(p = parse_rule(p + 1, &tz->start)))
		return false;
	if (*p != ',' || !(p = parse_rule(p + 1, &tz->end)))
		return false;
	return *p == '\0';
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local (wall clock, as if UTC) second at which rule r fires in year y. */
static int64_t rule_local(const struct tz_rule *r, int y)
{
	int64_t day;

	if (r->kind == 'J') {
		day = mfs_days_from_civil(y, 1, 1) + r->day - 1;
		if (r->day >= 60 && is_leap(y))
			day++; /* Jn never counts February 29 */
	} else if (r->kind == 'D') {
		day = mfs_days_from_civil(y, 1, 1) + r->day;
	} else {
		int64_t first = mfs_days_from_civil(y, (unsigned)r->month, 1);
		int64_t next = r->month == 12 ? mfs_days_from_civil(y + 1, 1, 1) :
						mfs_days_from_civil(y, (unsigned)r->month + 1, 1);
		/* POSIX counts weekdays from Sunday = 0, we from Monday = 0. */
		int wd = (int)((mfs_weekday_from_days(first) + 1) % 7);

		day = first + (r->day - wd + 7) % 7 + (int64_t)(r->week - 1) * 7;
		while (day >= next) /* week 5 means "the last" */
			day -= 7;
	}
	return day * MFS_SECONDS_PER_DAY + r->secs;
}


static int32_t footer_offset(const struct mfs_tz *tz, int64_t t)
{
	if (!tz->has_dst)
		return tz->std_off;
	int y = mfs_year_of(t + tz->std_off);
	/* DST starts at a standard-time wall clock and ends at a DST one. */
	int64_t start = rule_local(&tz->start, y) - tz->std_off;
	int64_t end = rule_local(&tz->end, y) - tz->dst_off;
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);

	return dst ? tz->dst_off : tz->std_off;
}

int32_t mfs_tz_offset(const struct mfs_tz *tz, int64_t t)
{
	if (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]) {
		if (tz->has_footer)
			return footer_offset(tz, t);
		return tz->ntrans ? tz->trans_off[tz->ntrans - 1] : tz->first_off;
	}
	if (t < tz->trans[0])
		return tz->first_off;
	size_t lo = 0, hi = tz->ntrans - 1; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->trans_off[lo];
}

int64_t mfs_tz_to_local(const struct mfs_tz *tz, int64_t t)
{
	return t + mfs_tz_offset(tz, t);
}

int64_t mfs_tz_local_day(const struct mfs_tz *tz, int64_t t)
{
	return mfs_floor_div(mfs_tz_to_local(tz, t), MFS_SECONDS_PER_DAY);
}

/*
 * Solutions t of t + offset(t) == local lie within a day or so of local,
 * so the offsets in force at both ends of that window (and at the two
 * candidate instants) are the only ones that can matter. Two valid
 * solutions mean an overlap, none a gap.
 */
int64_t mfs_tz_from_local(const struct mfs_tz *tz, int64_t local, bool *ambiguous)
{
	const int64_t window = 26 * 3600; /* beyond any real UTC offset */
	int32_t cand[4];
	int64_t best = 0;
	int found = 0;
	int32_t hi_off;

	cand[0] = mfs_tz_offset(tz, local - window);
	cand[1] = mfs_tz_offset(tz, local + window);
	cand[2] = mfs_tz_offset(tz, local - cand[0]);
	cand[3] = mfs_tz_offset(tz, local - cand[1]);
	hi_off = cand[0];
	for (int i = 0; i < 4; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= cand[j] == cand[i];
		if (cand[i] > hi_off)
			hi_off = cand[i];
		if (seen || mfs_tz_offset(tz, local - cand[i]) != cand[i])
			continue;
		if (found == 0 || local - cand[i] < best)
			best = local - cand[i];
		found++;
	}
	if (ambiguous)
		*ambiguous = found != 1;
	if (found)
		return best;
	/*
	 * A gap: the clock jumped forward to the largest offset, and just
	 * before the jump the offset in force is the one we keep.
	 */
	return local - mfs_tz_offset(tz, local - hi_off);
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static size_t block_size(const struct tzif_counts *c, size_t tsize)
{
	return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars +
	       (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

static bool read_header(const unsigned char *p, size_t avail, struct tzif_counts *c)
{
	if (avail < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	/* Bounds that also keep block_size() far from overflow. */
	return c->type >= 1 && c->type <= 256 && c->time <= TZ_FILE_MAX_BYTES &&
	       c->leap <= TZ_FILE_MAX_BYTES && c->chars <= TZ_FILE_MAX_BYTES &&
	       c->isstd <= c->type && c->isut <= c->type;
}

/* Fill tz from a whole TZif file; false if it is malformed. */
static bool parse_tzif(struct mfs_tz *tz, const unsigned char *buf, size_t len)
{
	struct tzif_counts c;
	size_t tsize = 4;
	const unsigned char *p = buf, *end = buf + len;

	if (!read_header(p, len, &c))
		return false;
	if (buf[4] >= '2') {
		/* Skip the 32-bit block: the 64-bit one after it says more. */
		size_t skip = 44 + block_size(&c, 4);

		if (skip > len || !read_header(buf + skip, len - skip, &c))
			return false;
		p = buf + skip;
		tsize = 8;
	}
	p += 44;
	if ((size_t)(end - p) < block_size(&c, tsize))
		return false;

	const unsigned char *times = p, *idx = p + (size_t)c.time * tsize;
	const unsigned char *types = idx + c.time;

	for (uint32_t i = 0; i < c.time; i++) {
		if (idx[i] >= c.type)
			return false;
	}
	tz->trans = calloc(c.time ? c.time : 1, sizeof(*tz->trans));
	tz->trans_off = calloc(c.time ? c.time : 1, sizeof(*tz->trans_off));
	if (!tz->trans || !tz->trans_off)
		return false;
	for (uint32_t i = 0; i < c.time; i++) {
		int64_t t = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
		if (i > 0 && t <= tz->trans[i - 1])
			return false;
		tz->trans[i] = t;
		tz->trans_off[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	tz->ntrans = c.time;
	tz->first_off = (int32_t)be32(types);

	p += block_size(&c, tsize);
	if (tsize == 8 && p < end && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
		char footer[256];
		size_t n = nl ? (size_t)(nl - p - 1) : 0;

		/* An empty or unknown footer leaves the last transition in force. */
		if (nl && n > 0 && n < sizeof(footer)) {
			memcpy(footer, p + 1, n);
			footer[n] = '\0';
			tz->has_footer = parse_footer(tz, footer);
		}
	}
	return true;
}

static struct mfs_tz *load_zone(const char *name)
{
	char path[4096];
	unsigned char *buf = NULL;
	struct mfs_tz *tz = NULL;
	FILE *f = NULL;
	size_t len;

	if (snprintf(path, sizeof(path), "%s/%s", mfs_tz_dir(), name) >= (int)sizeof(path))
		goto out;
	f = fopen(path, "rbe");
	if (!f)
		goto out;
	buf = malloc(TZ_FILE_MAX_BYTES);
	tz = calloc(1, sizeof(*tz));
	if (!buf || !tz)
		goto fail;
	len = fread(buf, 1, TZ_FILE_MAX_BYTES, f);
	if (ferror(f) || len == TZ_FILE_MAX_BYTES || !parse_tzif(tz, buf, len))
		goto fail;
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	goto out;
fail:
	if (tz) {
		free(tz->trans);
		free(tz->trans_off);
		free(tz);
	}
	tz = NULL;
out:
	if (f)
		fclose(f);
	free(buf);
	return tz;
}

const struct mfs_tz *mfs_tz_get(const char *name)
{
	struct mfs_tz *tz;

	if (!name || !name_ok(name))
		return NULL;
	if (strcmp(name, "UTC") == 0)
		return &utc_zone;
	pthread_mutex_lock(&zones_lock);
	for (tz = zones; tz; tz = tz->next)
		if (strcmp(tz->name, name) == 0)
			goto out;
	/* Loading under the lock is fine: once per zone, a few KiB. */
	tz = load_zone(name);
	if (tz) {
		tz->next = zones;
		zones = tz;
	}
out:
	pthread_mutex_unlock(&zones_lock);
	return tz;
}
