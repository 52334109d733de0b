/*
 * The YEAR.csv.gz codec: bars to CSV text and back, and a deterministic
 * gzip around it.
 *
 * Two promises of SPEC section 2 live here. Numbers are written in the
 * shortest decimal that reads back bit-exactly, never with an exponent, so
 * a float32-widened 185.63999938964844 from a provider is still written as
 * whatever the double really is, while 185.64 stays "185.64". And the gzip
 * stream depends only on the bytes: fixed zlib settings, mtime 0, no name,
 * so rsync and checksums see no change where the data did not change.
 *
 * This module owns no state. It validates syntax only (a field is a number,
 * a date is a date); whether bars make sense is cache/validate.c's job.
 * A year of 1-minute bars is half a million rows, so the hot paths (number
 * formatting and parsing) avoid printf/strtod whenever a cheap exact method
 * exists, and output goes into one growing buffer.
 */
#define ZLIB_CONST
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cache/csvgz.h"

#define HEADER6 "timestamp,open,high,low,close,volume"
#define HEADER7 HEADER6 ",adj_close"
#define NUM_MAX_CHARS 400     /* a finite double, positionally, fits */
#define ROW_MAX_CHARS 4096    /* 32 for the time stamp + 7 * NUM_MAX_CHARS */
#define ROW_GUESS_CHARS 64    /* typical intraday row, to size the buffer */
#define GZ_LEVEL 6            /* fixed: the bytes must not depend on a default */
#define GZ_WINDOW_BITS (15 + 16) /* 32 KiB window, gzip wrapper */
#define GZ_MEM_LEVEL 8
#define TWO_POW_53 9007199254740992.0
/* The exact-arithmetic shortcuts need plain double evaluation (not x87). */
#define EXACT_DOUBLES (FLT_EVAL_METHOD == 0)

/* Powers of ten that a double holds exactly (10^22 is the largest). */
static const double p10[] = {
	1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,	1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
#define P10_MAX 22

/* ---- numbers ---- */

static int put(char *buf, size_t len, const char *s, size_t n)
{
	if (n + 1 > len)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (int)n;
}

/* Digits of m, then a point before the last k of them. */
static int put_fixed(bool neg, uint64_t m, int k, char *buf, size_t len)
{
	char digits[24], tmp[64];
	int nd = 0;
	size_t n = 0;

	while (k > 0 && m % 10 == 0) {
		m /= 10;
		k--;
	}
	do {
		digits[nd++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (neg)
		tmp[n++] = '-';
	if (nd <= k) {
		tmp[n++] = '0';
		tmp[n++] = '.';
		for (int i = nd; i < k; i++)
			tmp[n++] = '0';
	}
	for (int i = nd - 1; i >= 0; i--) {
		tmp[n++] = digits[i];
		if (i == k && i > 0 && nd > k)
			tmp[n++] = '.';
	}
	return put(buf, len, tmp, n);
}

/*
 * What the fast path below cannot prove (|a| >= 2^53, more than 22
 * decimals, 16 digits above 2^53): the shortest of %.15e, %.16e, %.17e
 * that reads back as a. A decimal of at most 15 digits survives
 * decimal -> double -> decimal (DBL_DIG), so if one reads back as a,
 * %.15e finds it, trailing zeros aside; 17 digits always read back. The
 * digits and exponent are then laid out positionally.
 */
static int fmt_slow(bool neg, double a, char *buf, size_t len)
{
	char e[40], tmp[NUM_MAX_CHARS];
	const char *dig;
	int nd = 0, ex = 0;
	size_t n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, a);
		if (strtod(e, NULL) == a)
			break;
	}
	/* e is "d.ddddde[+-]xx": collect the digits, drop the point. */
	char *x = strchr(e, 'e');
	ex = atoi(x + 1);
	*x = '\0';
	memmove(e + 1, e + 2, strlen(e + 2) + 1);
	dig = e;
	nd = (int)strlen(e);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;

	if (neg)
		tmp[n++] = '-';
	if (ex < 0) {
		if ((size_t)(-ex) + (size_t)nd + 3 > sizeof(tmp))
			return -1;
		tmp[n++] = '0';
		tmp[n++] = '.';
		for (int i = -1; i > ex; i--)
			tmp[n++] = '0';
		memcpy(tmp + n, dig, (size_t)nd);
		n += (size_t)nd;
	} else {
		if ((size_t)ex + (size_t)nd + 3 > sizeof(tmp))
			return -1;
		for (int i = 0; i < nd || i <= ex; i++) {
			if (i == ex + 1)
				tmp[n++] = '.';
			tmp[n++] = i < nd ? dig[i] : '0';
		}
	}
	return put(buf, len, tmp, n);
}

/*
 * The 17-digit case of the fast path: a * 10^k lies in [10^16, 10^17), so
 * p is an integer and the exact product is p + e; rounding it gives the
 * correctly rounded 17 digits, which always read back exactly.
 */
static int put_17(bool neg, double a, int k, double p, char *buf, size_t len)
{
	double e = fma(a, p10[k], -p);

	return put_fixed(neg, (uint64_t)((int64_t)p + (int64_t)rint(e)), k, buf, len);
}

/*
 * -0.0 is written "0": the sign of a zero price or volume means nothing in
 * market data, and "-0" would look like a negative volume to validators.
 * Every other finite value reads back bit-exactly.
 */
int mfs_fmt_double(double v, char *buf, size_t len)
{
	bool neg = v < 0;
	double a = fabs(v);

	if (!isfinite(v))
		return -1;
	if (v == 0)
		return put(buf, len, "0", 1);
	/*
	 * Fast path, free of printf and strtod: for k = 0, 1, ... decimals,
	 * m is a * 10^k correctly rounded to an integer (fma() gives the
	 * exact error of the product), and m / 10^k == a says exactly whether
	 * the decimal m e-k reads back as a: m < 2^53 and 10^k <= 10^22 are
	 * exact doubles and IEEE division rounds correctly, as strtod does.
	 * The first k that works gives the shortest decimal, and the closest
	 * one of that length: the same digits as the first "%.{p}e" that
	 * round-trips. Values of 17 significant digits, the float noise of
	 * sums, are rounded directly; the rest (huge, tiny, or 16 digits
	 * above 2^53) take fmt_slow().
	 */
	if (EXACT_DOUBLES && a < TWO_POW_53) {
		for (int k = 0; k <= P10_MAX; k++) {
			double p = a * p10[k];

			if (p >= TWO_POW_53) {
				/* k - 1 was the last 16-digit try: 17 it is. */
				if (k > 0 && p >= 1e16)
					return put_17(neg, a, k, p, buf, len);
				break;
			}
			double m = rint(p), d = (p - m) + fma(a, p10[k], -p);

			if (d > 0.5)
				m += 1;
			else if (d < -0.5)
				m -= 1;
			if (m / p10[k] == a)
				return put_fixed(neg, (uint64_t)m, k, buf, len);
		}
	}
	return fmt_slow(neg, a, buf, len);
}

int mfs_fmt_volume(double v, char *buf, size_t len)
{
	if (isfinite(v) && v == trunc(v) && fabs(v) < TWO_POW_53)
		return put_fixed(v < 0, (uint64_t)fabs(v), 0, buf, len);
	return mfs_fmt_double(v, buf, len);
}

/*
 * Strict number syntax, [-]digits[.digits], as mfs_fmt_double writes.
 * Up to 15 significant digits (and m < 2^53) the value is m / 10^k, which
 * is exact and correctly rounded (Clinger's fast path); longer numbers go
 * through strtod.
 */
static bool parse_number(const char *s, size_t n, double *v)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;
	uint64_t m = 0;
	int sig = 0;
	bool neg = false;

	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
		if (m || s[i] != '0')
			sig++;
		if (sig <= 19)
			m = m * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++) {
			if (m || s[i] != '0')
				sig++;
			if (sig <= 19)
				m = m * 10 + (uint64_t)(s[i] - '0');
		}
		if (frac_digits == 0)
			return false;
	}
	if (i != n || int_digits == 0)
		return false;
	if (EXACT_DOUBLES && sig <= 15 && frac_digits <= P10_MAX) {
		*v = (double)m / p10[frac_digits];
	} else {
		char tmp[NUM_MAX_CHARS + 1];

		if (n > NUM_MAX_CHARS)
			return false;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		*v = fabs(strtod(tmp, NULL));
	}
	if (neg)
		*v = -*v;
	return true;
}

/* ---- CSV text ---- */

struct outbuf {
	char *p;
	size_t n, cap;
};

static bool reserve(struct outbuf *b, size_t more)
{
	if (b->cap - b->n >= more)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->n < more)
		cap *= 2;
	char *np = realloc(b->p, cap);
	if (!np)
		return false;
	b->p = np;
	b->cap = cap;
	return true;
}


static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* Writes "YYYY-MM-DD" (10 chars); false for a year outside 0..9999. */
static bool put_date(char *p, int64_t days)
{
	int y;
	unsigned m, d;

	mfs_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return false;
	put2(p, (unsigned)y / 100);
	put2(p + 2, (unsigned)y % 100);
	p[4] = '-';
	put2(p + 5, m);
	p[7] = '-';
	put2(p + 8, d);
	return true;
}

enum mfs_err mfs_csv_render(const struct mfs_series *s, bool adj_col, char **out,
			    size_t *outlen, struct mfs_error *err)
{
	const char *header = adj_col ? HEADER7 "\n" : HEADER6 "\n";
	const char *names[] = { "open", "high", "low", "close" };
	bool intraday = mfs_tf_is_intraday(s->tf);
	struct outbuf b = { 0 };
	enum mfs_err rc = MFS_OK;
	char date[10];
	int64_t date_day = INT64_MIN;

	*out = NULL;
	*outlen = 0;
	if (!reserve(&b, strlen(header) + ROW_MAX_CHARS + s->n * ROW_GUESS_CHARS))
		goto nomem;
	b.n = strlen(header);
	memcpy(b.p, header, b.n);

	for (size_t i = 0; i < s->n; i++) {
		const struct mfs_bar *bar = &s->bars[i];
		const double px[] = { bar->open, bar->high, bar->low, bar->close };
		int64_t day = mfs_floor_div(bar->t, MFS_SECONDS_PER_DAY);
		int64_t sod = bar->t - day * MFS_SECONDS_PER_DAY;
		int w;

		if (!reserve(&b, ROW_MAX_CHARS))
			goto nomem;
		if (!intraday && sod != 0) {
			rc = mfs_error_set(err, MFS_ERR_INVALID,
					   "bar %zu: time stamp %lld of a %s bar is not a date",
					   i, (long long)bar->t, mfs_tf_name(s->tf));
			goto out;
		}
		/* Minute bars share a date 1440 times: convert it once. */
		if (day != date_day) {
			if (!put_date(date, day)) {
				rc = mfs_error_set(err, MFS_ERR_INVALID,
						   "bar %zu: time stamp %lld is out of range", i,
						   (long long)bar->t);
				goto out;
			}
			date_day = day;
		}
		memcpy(b.p + b.n, date, sizeof(date));
		b.n += sizeof(date);
		if (intraday) {
			char *p = b.p + b.n;

			p[0] = ' ';
			put2(p + 1, (unsigned)(sod / 3600));
			p[3] = ':';
			put2(p + 4, (unsigned)(sod / 60 % 60));
			p[6] = ':';
			put2(p + 7, (unsigned)(sod % 60));
			b.n += 9;
		}
		for (int c = 0; c < 4; c++) {
			b.p[b.n++] = ',';
			w = mfs_fmt_double(px[c], b.p + b.n, b.cap - b.n);
			if (w < 0) {
				rc = mfs_error_set(err, MFS_ERR_INVALID,
						   "bar %zu: %s is not a finite number", i,
						   names[c]);
				goto out;
			}
			b.n += (size_t)w;
		}
		b.p[b.n++] = ',';
		if (!isnan(bar->volume)) {
			w = mfs_fmt_volume(bar->volume, b.p + b.n, b.cap - b.n);
			if (w < 0) {
				rc = mfs_error_set(err, MFS_ERR_INVALID,
						   "bar %zu: volume is infinite", i);
				goto out;
			}
			b.n += (size_t)w;
		}
		if (adj_col) {
			b.p[b.n++] = ',';
			if (!isnan(bar->adj_close)) {
				w = mfs_fmt_double(bar->adj_close, b.p + b.n, b.cap - b.n);
				if (w < 0) {
					rc = mfs_error_set(err, MFS_ERR_INVALID,
							   "bar %zu: adj_close is infinite", i);
					goto out;
				}
				b.n += (size_t)w;
			}
		}
		b.p[b.n++] = '\n';
	}
	b.p[b.n] = '\0';
	*out = b.p;
	*outlen = b.n;
	return MFS_OK;
nomem:
	rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory rendering %zu bars", s->n);
out:
	free(b.p);
	return rc;
}

static bool digits(const char *p, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DD" or, intraday, "YYYY-MM-DD HH:MM:SS", exactly. */
static bool parse_time(const char *p, size_t n, bool intraday, int64_t *t)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0, se = 0;

	if (n != (intraday ? 19u : 10u) || p[4] != '-' || p[7] != '-' ||
	    !digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return false;
	if (intraday && (p[10] != ' ' || p[13] != ':' || p[16] != ':' ||
			 !digits(p + 11, 2, &h) || !digits(p + 14, 2, &mi) ||
			 !digits(p + 17, 2, &se) || h > 23 || mi > 59 || se > 59))
		return false;
	*t = mfs_days_from_civil((int)y, mo, d) * MFS_SECONDS_PER_DAY + h * 3600 + mi * 60 +
	     se;
	return true;
}

/* Count of fields in a line, for error messages only. */
static size_t count_fields(const char *p, const char *e)
{
	size_t n = 1;

	while ((p = memchr(p, ',', (size_t)(e - p)))) {
		n++;
		p++;
	}
	return n;
}

/*
 * out is initialised here (any previous content is not freed); on error it
 * is left empty. Errors are MFS_ERR_PARSE with the 1-based line number.
 */
enum mfs_err mfs_csv_parse(const char *text, size_t len, enum mfs_tf tf,
			   struct mfs_series *out, bool *had_adj, struct mfs_error *err)
{
	static const char *const names[] = { "timestamp", "open",  "high",     "low",
					     "close",     "volume", "adj_close" };
	const char *p = text, *end = text + len, *e;
	bool intraday = mfs_tf_is_intraday(tf);
	size_t line = 1, ncols, rows = 0;
	enum mfs_err rc;

	mfs_series_init(out, tf);
	e = memchr(p, '\n', len);
	if (!e)
		return mfs_error_set(err, MFS_ERR_PARSE, "line 1: no header line");
	size_t hl = (size_t)(e - p) - (e > p && e[-1] == '\r');
	if (hl == strlen(HEADER6) && memcmp(p, HEADER6, hl) == 0) {
		ncols = 6;
	} else if (hl == strlen(HEADER7) && memcmp(p, HEADER7, hl) == 0) {
		ncols = 7;
	} else {
		return mfs_error_set(err, MFS_ERR_PARSE, "line 1: bad header \"%.*s\"",
				     (int)(hl > 80 ? 80 : hl), p);
	}
	if (had_adj)
		*had_adj = ncols == 7;
	p = e + 1;

	/* One allocation for all rows: one line end per row. */
	for (const char *q = p; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		rows++;
	if (rows) {
		out->bars = malloc(rows * sizeof(*out->bars));
		if (!out->bars)
			return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory for %zu rows",
					     rows);
		out->cap = rows;
	}

	for (; p < end; p = e + 1) {
		struct mfs_bar bar = mfs_bar_empty();
		double *vals[] = { &bar.open, &bar.high, &bar.low, &bar.close, &bar.volume,
				   &bar.adj_close };
		const char *f = p;

		line++;
		e = memchr(p, '\n', (size_t)(end - p));
		if (!e) {
			rc = mfs_error_set(err, MFS_ERR_PARSE,
					   "line %zu: no line end (truncated?)", line);
			goto fail;
		}
		const char *le = (e > p && e[-1] == '\r') ? e - 1 : e;
		if (count_fields(p, le) != ncols) {
			rc = mfs_error_set(err, MFS_ERR_PARSE,
					   "line %zu: %zu fields, expected %zu", line,
					   count_fields(p, le), ncols);
			goto fail;
		}
		for (size_t c = 0; c < ncols; c++) {
			const char *fe = memchr(f, ',', (size_t)(le - f));
			size_t fl;
			bool ok;

			fe = fe ? fe : le;
			fl = (size_t)(fe - f);
			if (c == 0)
				ok = parse_time(f, fl, intraday, &bar.t);
			else if (fl == 0)
				ok = c >= 5; /* volume and adj_close may be empty */
			else
				ok = parse_number(f, fl, vals[c - 1]);
			if (!ok) {
				rc = mfs_error_set(err, MFS_ERR_PARSE,
						   "line %zu: bad %s \"%.*s\"", line, names[c],
						   (int)(fl > 40 ? 40 : fl), f);
				goto fail;
			}
			f = fe + 1;
		}
		out->bars[out->n++] = bar;
	}
	return MFS_OK;
fail:
	mfs_series_free(out);
	return rc;
}

/* ---- gzip ---- */

enum mfs_err mfs_gzip(const void *in, size_t inlen, unsigned char **out, size_t *outlen,
		      struct mfs_error *err)
{
	z_stream zs;
	unsigned char *buf = NULL;
	size_t cap, left = inlen;
	enum mfs_err rc = MFS_OK;
	int zr;

	*out = NULL;
	*outlen = 0;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, GZ_LEVEL, Z_DEFLATED, GZ_WINDOW_BITS, GZ_MEM_LEVEL,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return mfs_error_set(err, MFS_ERR_NOMEM, "gzip: deflateInit2 failed");
	/* deflateBound() is enough for one pass; the loop copes regardless. */
	cap = deflateBound(&zs, (uLong)inlen);
	buf = malloc(cap);
	if (!buf)
		goto nomem;
	zs.next_in = in;
	zs.next_out = buf;
	do {
		size_t done = (size_t)(zs.next_out - buf);

		if (done == cap) {
			unsigned char *nb = realloc(buf, cap * 2);
			if (!nb)
				goto nomem;
			buf = nb;
			cap *= 2;
			zs.next_out = buf + done;
		}
		if (zs.avail_in == 0) {
			zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
			left -= zs.avail_in;
		}
		zs.avail_out = cap - done > UINT_MAX ? UINT_MAX : (uInt)(cap - done);
		zr = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_ERROR) {
			rc = mfs_error_set(err, MFS_ERR_INVALID, "gzip: deflate failed");
			goto out;
		}
	} while (zr != Z_STREAM_END);
	*out = buf;
	*outlen = (size_t)(zs.next_out - buf);
	buf = NULL;
	goto out;
nomem:
	rc = mfs_error_set(err, MFS_ERR_NOMEM, "gzip: out of memory for %zu bytes", inlen);
out:
	deflateEnd(&zs);
	free(buf);
	return rc;
}

/*
 * Truncated, corrupt (bad CRC, bad data) and oversized streams are all
 * MFS_ERR_CORRUPT: for a cache file each means "do not trust this copy".
 * Concatenated gzip members are read as one stream, as gzip(1) does.
 * *out is NUL-terminated for the CSV parser's convenience.
 */
enum mfs_err mfs_gunzip(const void *in, size_t inlen, size_t max_out, char **out,
			size_t *outlen, struct mfs_error *err)
{
	z_stream zs;
	char *buf = NULL;
	/* Room for one byte past max_out, to tell "exactly max_out" from more. */
	size_t limit = max_out < SIZE_MAX - 2 ? max_out + 1 : SIZE_MAX - 2;
	size_t cap, left = inlen, done = 0;
	enum mfs_err rc = MFS_OK;
	int zr;

	*out = NULL;
	*outlen = 0;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, GZ_WINDOW_BITS) != Z_OK)
		return mfs_error_set(err, MFS_ERR_NOMEM, "gunzip: inflateInit2 failed");
	cap = inlen < limit / 8 ? inlen * 8 : limit; /* CSV shrinks about 5-8x */
	cap = cap < 4096 && limit > 4096 ? 4096 : cap;
	buf = malloc(cap + 1);
	if (!buf)
		goto nomem;
	zs.next_in = in;
	for (;;) {
		if (done == cap) {
			if (cap >= limit) {
				rc = mfs_error_set(err, MFS_ERR_CORRUPT,
						   "gunzip: more than %zu bytes uncompressed",
						   max_out);
				goto out;
			}
			size_t ncap = cap > limit / 2 ? limit : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb)
				goto nomem;
			buf = nb;
			cap = ncap;
		}
		if (zs.avail_in == 0) {
			zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
			left -= zs.avail_in;
		}
		zs.next_out = (unsigned char *)buf + done;
		zs.avail_out = cap - done > UINT_MAX ? UINT_MAX : (uInt)(cap - done);
		zr = inflate(&zs, Z_NO_FLUSH);
		done = (size_t)((char *)zs.next_out - buf);
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0 && left == 0)
				break;
			if (inflateReset(&zs) != Z_OK)
				goto nomem;
			continue;
		}
		if (zr == Z_MEM_ERROR)
			goto nomem;
		if (zr == Z_BUF_ERROR && zs.avail_out != 0) {
			rc = mfs_error_set(err, MFS_ERR_CORRUPT,
					   "gunzip: stream truncated after %zu of %zu bytes",
					   inlen - left - zs.avail_in, inlen);
			goto out;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rc = mfs_error_set(err, MFS_ERR_CORRUPT, "gunzip: %s",
					   zs.msg ? zs.msg : "corrupt stream");
			goto out;
		}
	}
	if (done > max_out) {
		rc = mfs_error_set(err, MFS_ERR_CORRUPT,
				   "gunzip: more than %zu bytes uncompressed", max_out);
		goto out;
	}
	buf[done] = '\0';
	*out = buf;
	*outlen = done;
	buf = NULL;
	goto out;
nomem:
	rc = mfs_error_set(err, MFS_ERR_NOMEM, "gunzip: out of memory");
out:
	inflateEnd(&zs);
	free(buf);
	return rc;
}

/* ---- the two together ---- */

enum mfs_err mfs_csvgz_encode(const struct mfs_series *s, bool adj_col, unsigned char **out,
			      size_t *outlen, struct mfs_error *err)
{
	char *csv;
	size_t csvlen;
	enum mfs_err rc;

	*out = NULL;
	*outlen = 0;
	rc = mfs_csv_render(s, adj_col, &csv, &csvlen, err);
	if (rc != MFS_OK)
		return rc;
	rc = mfs_gzip(csv, csvlen, out, outlen, err);
	free(csv);
	return rc;
}

/* gzip-level faults are MFS_ERR_CORRUPT, CSV-level ones MFS_ERR_PARSE. */
enum mfs_err mfs_csvgz_decode(const void *in, size_t len, enum mfs_tf tf,
			      struct mfs_series *out, bool *had_adj, struct mfs_error *err)
{
	char *csv;
	size_t csvlen;
	enum mfs_err rc;

	mfs_series_init(out, tf);
	rc = mfs_gunzip(in, len, MFS_CSV_MAX_BYTES, &csv, &csvlen, err);
	if (rc != MFS_OK)
		return rc;
	rc = mfs_csv_parse(csv, csvlen, tf, out, had_adj, err);
	free(csv);
	return rc;
}
