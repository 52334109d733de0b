/*
 * FirstRateData (PROVIDERS.md section 8): bars from bulk zip archives.
 *
 * Endpoints: GET /api/data_file?type=T&period=P&timeframe=F[&adjustment=A]
 * [&ticker_range=L]&userid=U answers with a redirect to the archive host
 * (followed); the zip holds one CSV .txt per ticker of the whole asset
 * class. Stocks (type=stock, adjustment=adj_split: split-adjusted OHLC, no
 * adj_close) with period=full need ticker_range = the ticker's first
 * letter, so a bulk download asks one archive per letter. Futures use
 * contin_UNadj; index, fx and crypto send no adjustment. GET
 * /api/last_update?type=T answers a plain "YYYY-MM-DD". There is no
 * paging: one archive per request.
 *
 * Archives can be GBs: the body goes to an unlinked temporary file, never
 * memory, and is read as a stream with libarchive, decompressing only the
 * wanted tickers' entries (the ticker is the entry name before the first
 * '_'), under limits that refuse zip bombs: entry count, bytes read per
 * entry and in total, and the uncompressed/compressed ratio, all counted
 * on the bytes actually decompressed since headers can lie.
 *
 * Rows have no header, CRLF or LF ends and blank lines; 5 columns (index:
 * no volume, NaN), 6 (OHLCV) or 7 (futures daily: open interest, ignored).
 * Daily rows carry a date ("YYYY-MM-DD", maybe " 00:00:00"): days*86400.
 * Intraday rows are naive US/Eastern at the bar's start (crypto: UTC),
 * converted with the tz database. 1m 5m 30m 1h 1d are served; 15m, 4h, 1w
 * and 1M are left to the cache's resampling.
 *
 * Errors: a small non-zip body is FirstRate's error page: "Invalid
 * userid"-like text is MFS_ERR_PERMANENT, a throttle text RATE_LIMIT,
 * anything else PARSE, each quoting a snippet. 401/403 and other 4xx are
 * PERMANENT, 5xx SERVER. A ticker absent from its archive is NOT_FOUND, an
 * entry without rows NO_DATA. A limit passed is PERMANENT (the same
 * archive will not shrink). No key: CONFIG. The userid never reaches a
 * message (URLs are redacted, bodies scrubbed) and copies are zeroed.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/tz.h>

#include "firstrate.h"
#include "fund_parse.h"

#define MIB ((uint64_t)1024 * 1024)
#define READ_BLOCK 65536
#define MAX_LINE 4096
#define MAX_TICKER 64
#define ERROR_PAGE_PEEK 512

const struct mfs_firstrate_limits mfs_firstrate_default_limits = {
	.max_entries = 200000,
	.max_entry_bytes = 512 * MIB,
	.max_total_bytes = 8192 * MIB,
	.max_ratio = 100,
	.ratio_min_bytes = 8 * MIB,
	.max_download = 16384 * MIB,
};

/* ---- names ---- */

const char *mfs_firstrate_type(enum mfs_class cls)
{
	switch (cls) {
	case MFS_CLASS_STOCK: return "stock";
	case MFS_CLASS_INDEX: return "index";
	case MFS_CLASS_FUTURES: return "futures";
	case MFS_CLASS_FOREX: return "fx";
	case MFS_CLASS_CRYPTO: return "crypto";
	default: return NULL;
	}
}

const char *mfs_firstrate_timeframe(enum mfs_tf tf)
{
	switch (tf) {
	case MFS_TF_1M: return "1min";
	case MFS_TF_5M: return "5min";
	case MFS_TF_30M: return "30min";
	case MFS_TF_1H: return "1hour";
	case MFS_TF_1D: return "1day";
	default: return NULL;
	}
}

const char *mfs_firstrate_adjustment(enum mfs_class cls)
{
	if (cls == MFS_CLASS_STOCK)
		return "adj_split";
	if (cls == MFS_CLASS_FUTURES)
		return "contin_UNadj";
	return NULL;
}

static bool firstrate_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return mfs_firstrate_type(cls) && mfs_firstrate_timeframe(tf);
}

static int64_t firstrate_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls, (void)tf, (void)now;
	return INT64_MIN;
}

/* A daily archive is the whole history; intraday is clipped to the window. */
static bool firstrate_whole_history(enum mfs_tf tf)
{
	return tf == MFS_TF_1D;
}

/* ---- symbols ---- */

static const struct {
	const char *ours, *theirs;
} symbol_map[] = {
	{ "ES=F", "ES" },  { "NQ=F", "NQ" },   { "YM=F", "YM" },     { "RTY=F", "RTY" },
	{ "CL=F", "CL" },  { "GC=F", "GC" },   { "SI=F", "SI" },     { "NG=F", "NG" },
	{ "HG=F", "HG" },  { "ZN=F", "ZN" },   { "ZB=F", "ZB" },     { "6E=F", "E6" },
	{ "6J=F", "J1" },  { "6A=F", "A6" },   { "6B=F", "B6" },     { "6C=F", "D6" },
	{ "BZ=F", "B" },   { "^GSPC", "SPX" }, { "^NDX", "NDX" },    { "^DJI", "DJI" },
	{ "^VIX", "VIX" }, { "^RUT", "RUT" },  { "BTCUSDT", "BTC" }, { "BTC-USD", "BTC" },
	{ "ETHUSDT", "ETH" }, { "ETH-USD", "ETH" },
};

/* Strip a known suffix (=X, =F, USDT, -USD) or prefix (^) for unlisted names. */
static void map_by_form(const char *symbol, enum mfs_class cls, char *out, size_t outlen)
{
	size_t n = strlen(symbol);

	if (cls == MFS_CLASS_FOREX && n > 2 && strcmp(symbol + n - 2, "=X") == 0)
		snprintf(out, outlen, "%.*s", (int)(n - 2), symbol);
	else if (cls == MFS_CLASS_FUTURES && n > 2 && strcmp(symbol + n - 2, "=F") == 0)
		snprintf(out, outlen, "%.*s", (int)(n - 2), symbol);
	else if (cls == MFS_CLASS_INDEX && symbol[0] == '^')
		snprintf(out, outlen, "%s", symbol + 1);
	else if (cls == MFS_CLASS_CRYPTO && n > 4 && strcmp(symbol + n - 4, "USDT") == 0)
		snprintf(out, outlen, "%.*s", (int)(n - 4), symbol);
	else if (cls == MFS_CLASS_CRYPTO && n > 4 && strcmp(symbol + n - 4, "-USD") == 0)
		snprintf(out, outlen, "%.*s", (int)(n - 4), symbol);
	else
		snprintf(out, outlen, "%s", symbol);
}

void mfs_firstrate_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen)
{
	if (!outlen)
		return;
	for (size_t i = 0; i < sizeof(symbol_map) / sizeof(symbol_map[0]); i++)
		if (strcasecmp(symbol, symbol_map[i].ours) == 0) {
			snprintf(out, outlen, "%s", symbol_map[i].theirs);
			return;
		}
	map_by_form(symbol, cls, out, outlen);
	/* Share classes: BRK-B is BRK.B at FirstRate. */
	if (cls == MFS_CLASS_STOCK)
		for (char *p = out; *p; p++)
			if (*p == '-')
				*p = '.';
}

static void firstrate_map_symbol(const char *symbol, enum mfs_class cls, char *out,
				 size_t outlen)
{
	mfs_firstrate_map_symbol(symbol, cls, out, outlen);
}

/* ---- requests ---- */

int mfs_firstrate_data_path(enum mfs_class cls, enum mfs_tf tf, const char *period, char letter,
			    const char *userid, char *out, size_t outlen)
{
	const char *type = mfs_firstrate_type(cls), *frame = mfs_firstrate_timeframe(tf);
	const char *adj = mfs_firstrate_adjustment(cls);
	char ekey[256], adjq[64] = "", range[32] = "";
	int n;

	if (!type || !frame || !period || !userid ||
	    mfs_http_urlencode(userid, ekey, sizeof(ekey)) < 0)
		return -1;
	if (adj)
		snprintf(adjq, sizeof(adjq), "&adjustment=%s", adj);
	if (letter)
		snprintf(range, sizeof(range), "&ticker_range=%c",
			 toupper((unsigned char)letter));
	n = snprintf(out, outlen, "/api/data_file?type=%s&period=%s&timeframe=%s%s%s&userid=%s",
		     type, period, frame, adjq, range, ekey);
	explicit_bzero(ekey, sizeof(ekey));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int mfs_firstrate_entry_ticker(const char *entry_name, char *out, size_t outlen)
{
	const char *base = strrchr(entry_name, '/'), *us, *end;

	base = base ? base + 1 : entry_name;
	us = strchr(base, '_');
	end = us ? us : strchr(base, '.');
	if (!end)
		end = base + strlen(base);
	if (end == base || (size_t)(end - base) >= outlen)
		return -1;
	memcpy(out, base, (size_t)(end - base));
	out[end - base] = '\0';
	return 0;
}

/* ---- rows ---- */

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DD[ HH:MM:SS]": *day, *sec_of_day (0 without a time). */
static bool parse_stamp(const char *s, size_t len, int64_t *day, int64_t *sec)
{
	int y, m, d, hh = 0, mm = 0, ss = 0;

	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	if (len != 10) {
		if (len != 19 || (s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2, &hh) ||
		    s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' ||
		    !digits(s + 17, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
			return false;
	}
	*day = mfs_days_from_civil(y, (unsigned)m, (unsigned)d);
	*sec = hh * 3600 + mm * 60 + ss;
	return true;
}

static bool parse_num(const char *s, size_t len, double *v)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtod(buf, &end);
	return end != buf && *end == '\0' && errno != ERANGE && isfinite(*v);
}

static int64_t row_time(enum mfs_class cls, enum mfs_tf tf, int64_t day, int64_t sec)
{
	const struct mfs_tz *tz;

	if (!mfs_tf_is_intraday(tf))
		return day * MFS_SECONDS_PER_DAY;
	tz = mfs_tz_get(cls == MFS_CLASS_CRYPTO ? "UTC" : "America/New_York");
	if (!tz)
		return INT64_MIN;
	return mfs_tz_from_local(tz, day * MFS_SECONDS_PER_DAY + sec, NULL);
}

int mfs_firstrate_parse_row(const char *line, size_t len, enum mfs_class cls, enum mfs_tf tf,
			    struct mfs_bar *b)
{
	const char *f[8];
	size_t flen[8], nf = 0, start = 0;
	double v[5] = { NAN, NAN, NAN, NAN, NAN };
	int64_t day, sec;

	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	if (len == 0)
		return 1;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (nf == 8)
			return -1;
		f[nf] = line + start;
		flen[nf++] = i - start;
		start = i + 1;
	}
	if (nf < 5 || nf > 7 || !parse_stamp(f[0], flen[0], &day, &sec))
		return -1;
	for (size_t k = 1; k < nf && k <= 5; k++)
		if (!parse_num(f[k], flen[k], &v[k - 1]))
			return -1;
	*b = mfs_bar_empty();
	b->t = row_time(cls, tf, day, sec);
	if (b->t == INT64_MIN)
		return -1;
	b->open = v[0];
	b->high = v[1];
	b->low = v[2];
	b->close = v[3];
	b->volume = v[4];
	return 0;
}

/* ---- entry text, streamed ---- */

/* Rows of one entry, fed in blocks; a row may span two blocks. */
struct row_reader {
	const char *sym, *entry;
	enum mfs_class cls;
	enum mfs_tf tf;
	int64_t lo, hi; /* bars kept: lo <= t < hi */
	struct mfs_series *out;
	size_t rows;    /* bars parsed, kept or not */
	size_t line_no;
	char line[MAX_LINE];
	size_t line_len;
};

static enum mfs_err take_row(struct row_reader *r, struct mfs_error *err)
{
	struct mfs_bar b;
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	int rc;

	r->line_no++;
	rc = mfs_firstrate_parse_row(r->line, r->line_len, r->cls, r->tf, &b);
	if (rc > 0)
		return MFS_OK;
	if (rc < 0) {
		mfs_http_body_snippet(r->line, r->line_len, text, sizeof(text));
		return mfs_error_set(err, MFS_ERR_PARSE, "firstrate: %s: %s line %zu: \"%s\"",
				     r->sym, r->entry, r->line_no, text);
	}
	r->rows++;
	if (b.t < r->lo || b.t >= r->hi)
		return MFS_OK;
	if (mfs_series_append(r->out, &b) < 0)
		return mfs_error_set(err, MFS_ERR_NOMEM, "firstrate: %s: out of memory", r->sym);
	return MFS_OK;
}

static enum mfs_err feed_rows(struct row_reader *r, const char *data, size_t n,
			      struct mfs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		enum mfs_err rc;

		if (data[i] != '\n') {
			if (r->line_len + 1 >= sizeof(r->line))
				return mfs_error_set(err, MFS_ERR_PARSE,
						     "firstrate: %s: %s line %zu is longer than "
						     "%d bytes",
						     r->sym, r->entry, r->line_no + 1, MAX_LINE);
			r->line[r->line_len++] = data[i];
			continue;
		}
		rc = take_row(r, err);
		r->line_len = 0;
		if (rc != MFS_OK)
			return rc;
	}
	return MFS_OK;
}

/* The last row may lack its line end. */
static enum mfs_err finish_rows(struct row_reader *r, struct mfs_error *err)
{
	enum mfs_err rc = r->line_len ? take_row(r, err) : MFS_OK;

	r->line_len = 0;
	return rc;
}

enum mfs_err mfs_firstrate_parse_text(const char *text, size_t len, const char *sym,
				      enum mfs_class cls, enum mfs_tf tf, struct mfs_series *out,
				      struct mfs_error *err)
{
	struct row_reader *r = calloc(1, sizeof(*r));
	enum mfs_err rc;

	if (!r)
		return mfs_error_set(err, MFS_ERR_NOMEM, "firstrate: out of memory");
	*r = (struct row_reader){ .sym = sym ? sym : "?", .entry = "text", .cls = cls, .tf = tf,
				  .lo = INT64_MIN, .hi = INT64_MAX, .out = out };
	rc = feed_rows(r, text, len, err);
	if (rc == MFS_OK)
		rc = finish_rows(r, err);
	free(r);
	return rc;
}

/* ---- the archive ---- */

struct walk {
	const struct mfs_firstrate_limits *lim;
	enum mfs_class cls;
	enum mfs_tf tf;
	int64_t lo, hi;
	const char *const *tickers, *const *symbols;
	size_t n;
	mfs_firstrate_cb cb;
	void *arg;
	const struct mfs_fetch_ctx *ctx; /* deadline; may be NULL */
	uint64_t entries, total;
	size_t found;
};

static void format_size(uint64_t bytes, char *out, size_t outlen)
{
	if (bytes >= MIB && bytes % MIB == 0)
		snprintf(out, outlen, "%" PRIu64 " MiB", bytes / MIB);
	else
		snprintf(out, outlen, "%" PRIu64 " bytes", bytes);
}

static enum mfs_err refuse(const char *entry, const char *what, uint64_t limit,
			   struct mfs_error *err)
{
	char size[48];

	format_size(limit, size, sizeof(size));
	return mfs_error_set(err, MFS_ERR_PERMANENT,
			     "firstrate: archive entry '%s' %s %s (limit): refused", entry, what,
			     size);
}

/* The limits, checked after each decompressed block of an entry. */
static enum mfs_err check_limits(struct walk *w, struct archive *a, const char *entry,
				 uint64_t entry_bytes, struct mfs_error *err)
{
	const struct mfs_firstrate_limits *lim = w->lim;
	int64_t consumed = archive_filter_bytes(a, -1) - archive_read_header_position(a);
	uint64_t packed = consumed > 0 ? (uint64_t)consumed : 1;

	if (entry_bytes > lim->max_entry_bytes)
		return refuse(entry, "expands past", lim->max_entry_bytes, err);
	if (w->total > lim->max_total_bytes)
		return refuse(entry, "takes the archive past", lim->max_total_bytes, err);
	if (entry_bytes > lim->ratio_min_bytes && entry_bytes / packed > lim->max_ratio)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     "firstrate: archive entry '%s' expands more than %" PRIu64
				     "x its compressed size (%" PRIu64 " bytes from about %" PRIu64
				     "): refused as a zip bomb",
				     entry, lim->max_ratio, entry_bytes, packed);
	return MFS_OK;
}

static bool deadline_passed(const struct mfs_fetch_ctx *ctx)
{
	return ctx && ctx->deadline_ms > 0 && mfs_now_ms() >= ctx->deadline_ms;
}

/* Decompress one wanted entry block by block into r. */
static enum mfs_err read_entry(struct walk *w, struct archive *a, struct row_reader *r,
			       struct mfs_error *err)
{
	char *buf = malloc(READ_BLOCK);
	uint64_t entry_bytes = 0;
	enum mfs_err rc = MFS_OK, bad = MFS_OK;
	struct mfs_error bad_err = { 0 };
	la_ssize_t got;

	if (!buf)
		return mfs_error_set(err, MFS_ERR_NOMEM, "firstrate: out of memory");
	while ((got = archive_read_data(a, buf, READ_BLOCK)) > 0) {
		entry_bytes += (uint64_t)got;
		w->total += (uint64_t)got;
		rc = check_limits(w, a, r->entry, entry_bytes, err);
		if (rc == MFS_OK && deadline_passed(w->ctx))
			rc = mfs_error_set(err, MFS_ERR_TIMEOUT,
					   "firstrate: %s: deadline passed reading '%s'", r->sym,
					   r->entry);
		if (rc != MFS_OK)
			break;
		/* After a bad row, read on under the limits: a zip bomb of
		 * zeros is one endless line, and must be called a bomb. */
		if (bad == MFS_OK)
			bad = feed_rows(r, buf, (size_t)got, &bad_err);
	}
	if (rc == MFS_OK && bad != MFS_OK)
		rc = mfs_error_set(err, bad, "%s", bad_err.msg);
	if (rc == MFS_OK && got < 0)
		rc = mfs_error_set(err, MFS_ERR_PARSE, "firstrate: %s: archive entry '%s': %s",
				   r->sym, r->entry, archive_error_string(a));
	if (rc == MFS_OK)
		rc = finish_rows(r, err);
	free(buf);
	return rc;
}

static ssize_t wanted_index(const struct walk *w, const char *ticker)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->tickers[i] && strcasecmp(w->tickers[i], ticker) == 0)
			return (ssize_t)i;
	return -1;
}

static void result_meta(struct mfs_fetch_result *res, enum mfs_class cls)
{
	bool us_cash = cls == MFS_CLASS_STOCK || cls == MFS_CLASS_INDEX;

	snprintf(res->tz, sizeof(res->tz), "%s",
		 cls == MFS_CLASS_CRYPTO ? "UTC" : "America/New_York");
	res->close_minute = us_cash ? 16 * 60 : cls == MFS_CLASS_CRYPTO ? 0 : -1;
	res->raw_prices = false; /* adj_split; contin_UNadj has no splits */
}

/* A wanted entry: parsed into a fresh result handed to the callback. */
static enum mfs_err take_entry(struct walk *w, struct archive *a, const char *entry, size_t i,
			       bool *stop, struct mfs_error *err)
{
	struct mfs_fetch_result res;
	struct row_reader *r = calloc(1, sizeof(*r));
	enum mfs_err rc;

	if (!r)
		return mfs_error_set(err, MFS_ERR_NOMEM, "firstrate: out of memory");
	mfs_fetch_result_init(&res, w->tf);
	result_meta(&res, w->cls);
	*r = (struct row_reader){ .sym = w->symbols[i], .entry = entry, .cls = w->cls,
				  .tf = w->tf, .lo = w->lo, .hi = w->hi, .out = &res.series };
	rc = read_entry(w, a, r, err);
	if (rc == MFS_OK && r->rows == 0)
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, "firstrate: %s: archive entry '%s' is "
				   "empty", w->symbols[i], entry);
	if (rc == MFS_OK || rc == MFS_ERR_NO_DATA) {
		w->found++;
		/* An empty entry still tells the caller the ticker exists. */
		if (w->cb && w->cb(w->arg, w->symbols[i], &res) != 0)
			*stop = true;
		if (rc == MFS_ERR_NO_DATA)
			rc = MFS_OK;
	}
	mfs_fetch_result_free(&res);
	free(r);
	return rc;
}

static enum mfs_err walk_entries(struct walk *w, struct archive *a, struct mfs_error *err)
{
	struct archive_entry *e;
	bool stop = false;
	int r = ARCHIVE_OK;

	/* ARCHIVE_EOF is 1: only OK and WARN are headers. */
	while (!stop && ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
			 r == ARCHIVE_WARN)) {
		const char *name = archive_entry_pathname(e);
		char ticker[MAX_TICKER];
		ssize_t i;
		enum mfs_err rc;

		if (++w->entries > w->lim->max_entries)
			return mfs_error_set(err, MFS_ERR_PERMANENT,
					     "firstrate: archive holds more than %" PRIu64
					     " entries (limit): refused",
					     w->lim->max_entries);
		if (deadline_passed(w->ctx))
			return mfs_error_set(err, MFS_ERR_TIMEOUT,
					     "firstrate: deadline passed after %" PRIu64
					     " archive entries",
					     w->entries);
		i = name && mfs_firstrate_entry_ticker(name, ticker, sizeof(ticker)) == 0
			    ? wanted_index(w, ticker) : -1;
		if (i < 0) {
			r = archive_read_data_skip(a);
			if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
				break;
			continue;
		}
		if (archive_entry_size_is_set(e) &&
		    (uint64_t)archive_entry_size(e) > w->lim->max_entry_bytes)
			return refuse(name, "declares more than", w->lim->max_entry_bytes, err);
		rc = take_entry(w, a, name, (size_t)i, &stop, err);
		if (rc != MFS_OK)
			return rc;
	}
	if (!stop && r != ARCHIVE_EOF && r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return mfs_error_set(err, MFS_ERR_PARSE, "firstrate: the archive is damaged: %s",
				     archive_error_string(a) ? archive_error_string(a) : "?");
	return MFS_OK;
}

static bool contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* The body is not a zip: FirstRate's error page (or an empty answer). */
static enum mfs_err error_page(int fd, struct mfs_error *err)
{
	char head[ERROR_PAGE_PEEK + 1], text[MFS_HTTP_SNIPPET_MAX + 1];
	ssize_t n = pread(fd, head, ERROR_PAGE_PEEK, 0);

	if (n <= 0)
		return mfs_error_set(err, MFS_ERR_PARSE, "firstrate: empty answer instead of a zip");
	head[n] = '\0';
	mfs_http_body_snippet(head, (size_t)n, text, sizeof(text));
	if (contains_ci(head, "userid") || contains_ci(head, "user id") ||
	    contains_ci(head, "unauthori") || contains_ci(head, "subscription") ||
	    contains_ci(head, "expired") || contains_ci(head, "access denied"))
		return mfs_error_set(err, MFS_ERR_PERMANENT, "firstrate: refused: \"%s\"", text);
	if (contains_ci(head, "limit") || contains_ci(head, "too many"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, "firstrate: throttled: \"%s\"",
				     text);
	return mfs_error_set(err, MFS_ERR_PARSE, "firstrate: answer is not a zip: \"%s\"", text);
}

static bool is_zip(int fd)
{
	unsigned char magic[4];

	return pread(fd, magic, 4, 0) == 4 && memcmp(magic, "PK\x03\x04", 4) == 0;
}

static enum mfs_err read_archive_window(struct walk *w, int fd, struct mfs_error *err)
{
	struct archive *a;
	enum mfs_err rc;

	if (!is_zip(fd))
		return error_page(fd, err);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return mfs_error_set(err, MFS_ERR_IO, "firstrate: %s", strerror(errno));
	a = archive_read_new();
	if (!a)
		return mfs_error_set(err, MFS_ERR_NOMEM, "firstrate: out of memory");
	archive_read_support_format_zip(a);
	if (archive_read_open_fd(a, fd, READ_BLOCK) != ARCHIVE_OK)
		rc = mfs_error_set(err, MFS_ERR_PARSE, "firstrate: cannot open the archive: %s",
				   archive_error_string(a));
	else
		rc = walk_entries(w, a, err);
	archive_read_free(a);
	return rc;
}

enum mfs_err mfs_firstrate_read_archive(int fd, const struct mfs_firstrate_limits *lim,
					enum mfs_class cls, enum mfs_tf tf,
					const char *const *tickers, const char *const *symbols,
					size_t n, mfs_firstrate_cb cb, void *arg, size_t *found,
					struct mfs_error *err)
{
	struct walk w = { .lim = lim ? lim : &mfs_firstrate_default_limits, .cls = cls, .tf = tf,
			  .lo = INT64_MIN, .hi = INT64_MAX, .tickers = tickers,
			  .symbols = symbols ? symbols : tickers, .n = n, .cb = cb, .arg = arg };
	enum mfs_err rc = read_archive_window(&w, fd, err);

	if (found)
		*found = w.found;
	return rc;
}

/* ---- downloads ---- */

/* An unlinked file: the archive never touches a name, nor memory. */
static int temp_fd(struct mfs_error *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/var/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/marketfs-firstrate-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		mfs_error_set(err, MFS_ERR_IO, "firstrate: cannot create a temporary file in %s: %s",
			      dir, strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

static enum mfs_err status_error(const struct mfs_http_response *resp, struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	long st = resp->status;

	if (st >= 200 && st < 300)
		return MFS_OK;
	mfs_http_body_snippet(resp->body, resp->len, text, sizeof(text));
	if (st == 429)
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, "firstrate: HTTP 429: \"%s\"", text);
	if (st >= 500 || st < 200)
		return mfs_error_set(err, MFS_ERR_SERVER, "firstrate: HTTP %ld: \"%s\"", st, text);
	return mfs_error_set(err, MFS_ERR_PERMANENT, "firstrate: HTTP %ld: \"%s\"", st, text);
}

struct download {
	mfs_firstrate_get_fd_fn get;
	const char *userid;
	struct mfs_fetch_ctx *ctx;
	enum mfs_class cls;
	enum mfs_tf tf;
	const char *period;
};

/* Download one archive (letter 0: no ticker_range) and walk it. */
static enum mfs_err download_and_walk(const struct download *d, char letter, struct walk *w,
				      struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	char path[1024];
	enum mfs_err rc;
	int fd;

	if (mfs_firstrate_data_path(d->cls, d->tf, d->period, letter, d->userid, path,
				    sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID,
				     "firstrate: cannot build the request for %s %s",
				     mfs_class_name(d->cls), mfs_tf_name(d->tf));
	fd = temp_fd(err);
	if (fd < 0) {
		explicit_bzero(path, sizeof(path));
		return MFS_ERR_IO;
	}
	resp.retry_after_s = -1;
	rc = d->get(d->ctx, path, NULL, fd, (size_t)w->lim->max_download, &resp, err);
	explicit_bzero(path, sizeof(path));
	if (rc == MFS_OK)
		rc = status_error(&resp, err);
	if (rc == MFS_OK)
		rc = read_archive_window(w, fd, err);
	mfs_http_response_free(&resp);
	close(fd);
	mfs_fund_scrub_msg(err, d->userid);
	return rc;
}

enum mfs_err mfs_firstrate_bulk_with(mfs_firstrate_get_fd_fn get,
				     const struct mfs_firstrate_limits *lim, const char *userid,
				     struct mfs_fetch_ctx *ctx, enum mfs_class cls, enum mfs_tf tf,
				     const char *period, const char *const *symbols, size_t n,
				     mfs_firstrate_cb cb, void *arg, struct mfs_error *err)
{
	struct download d = { get, userid, ctx, cls, tf, period };
	char (*tickers)[MAX_TICKER];
	const char **tp;
	bool by_letter = cls == MFS_CLASS_STOCK && period && strcmp(period, "full") == 0;
	enum mfs_err rc = MFS_OK;

	if (!userid || !*userid)
		return mfs_error_set(err, MFS_ERR_CONFIG, "firstrate: no userid configured (key)");
	if (!firstrate_serves(cls, tf))
		return mfs_error_set(err, MFS_ERR_INVALID, "firstrate: no %s bars at %s",
				     mfs_class_name(cls), mfs_tf_name(tf));
	tickers = calloc(n ? n : 1, sizeof(*tickers));
	tp = calloc(n ? n : 1, sizeof(*tp));
	if (!tickers || !tp) {
		free(tickers);
		free(tp);
		return mfs_error_set(err, MFS_ERR_NOMEM, "firstrate: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		mfs_firstrate_map_symbol(symbols[i], cls, tickers[i], MAX_TICKER);
	/* Stocks' full archives come one per first letter: ask each needed once. */
	for (int c = by_letter ? 'A' : 0; c <= (by_letter ? 'Z' : 0) && rc == MFS_OK; c++) {
		size_t k = 0;
		struct walk w = { .lim = lim ? lim : &mfs_firstrate_default_limits, .cls = cls,
				  .tf = tf, .lo = INT64_MIN, .hi = INT64_MAX, .symbols = symbols,
				  .n = n, .cb = cb, .arg = arg, .ctx = ctx };

		for (size_t i = 0; i < n; i++) {
			bool in = !c || toupper((unsigned char)tickers[i][0]) == c;

			tp[i] = in ? tickers[i] : NULL;
			k += in;
		}
		w.tickers = tp;
		if (k)
			rc = download_and_walk(&d, (char)c, &w, err);
	}
	free(tickers);
	free(tp);
	return rc;
}

/* ---- fetch ---- */

struct one {
	struct mfs_fetch_result *res;
	bool seen;
	enum mfs_err rc;
};

static int take_one(void *arg, const char *symbol, struct mfs_fetch_result *got)
{
	struct one *o = arg;

	(void)symbol;
	o->seen = true;
	if (mfs_series_extend(&o->res->series, &got->series) < 0)
		o->rc = MFS_ERR_NOMEM;
	return 0;
}

/* Intraday archives are years of minutes: keep the window and a day around it. */
static void fetch_window(const struct mfs_fetch_req *req, struct walk *w)
{
	w->lo = INT64_MIN;
	w->hi = INT64_MAX;
	if (mfs_tf_is_intraday(req->tf)) {
		w->lo = req->start - MFS_SECONDS_PER_DAY;
		w->hi = req->end + MFS_SECONDS_PER_DAY;
	}
}

enum mfs_err mfs_firstrate_fetch_with(mfs_firstrate_get_fd_fn get,
				      const struct mfs_firstrate_limits *lim, const char *userid,
				      struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				      struct mfs_fetch_result *res, struct mfs_error *err)
{
	char ticker[MAX_TICKER];
	const char *tickers[1] = { ticker }, *symbols[1];
	bool by_letter = req->cls == MFS_CLASS_STOCK;
	struct download d = { get, userid, ctx, req->cls, req->tf, "full" };
	struct one o = { .res = res, .rc = MFS_OK };
	struct walk w = { .lim = lim ? lim : &mfs_firstrate_default_limits, .cls = req->cls,
			  .tf = req->tf, .tickers = tickers, .symbols = symbols, .n = 1,
			  .cb = take_one, .arg = &o, .ctx = ctx };
	enum mfs_err rc;

	symbols[0] = req->symbol;
	if (!userid || !*userid)
		return mfs_error_set(err, MFS_ERR_CONFIG, "firstrate: %s: no userid configured",
				     req->symbol);
	if (!firstrate_serves(req->cls, req->tf))
		return mfs_error_set(err, MFS_ERR_INVALID, "firstrate: %s: no %s bars at %s",
				     req->symbol, mfs_class_name(req->cls), mfs_tf_name(req->tf));
	if (req->provider_symbol && *req->provider_symbol)
		snprintf(ticker, sizeof(ticker), "%s", req->provider_symbol);
	else
		mfs_firstrate_map_symbol(req->symbol, req->cls, ticker, sizeof(ticker));
	if (!isalnum((unsigned char)ticker[0]))
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "firstrate: %s: no such ticker",
				     req->symbol);
	fetch_window(req, &w);
	result_meta(res, req->cls);
	rc = download_and_walk(&d, by_letter ? ticker[0] : 0, &w, err);
	if (rc == MFS_OK && o.rc != MFS_OK)
		rc = mfs_error_set(err, o.rc, "firstrate: %s: out of memory", req->symbol);
	if (rc == MFS_OK && !o.seen)
		rc = mfs_error_set(err, MFS_ERR_NOT_FOUND, "firstrate: %s: %s is not in the %s "
				   "archive", req->symbol, ticker, mfs_firstrate_type(req->cls));
	if (rc == MFS_OK && res->series.n == 0)
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, "firstrate: %s: no %s bars in the window",
				   req->symbol, mfs_tf_name(req->tf));
	return rc;
}

/* A copy of the key, zeroed after use like the fundamentals fetchers do. */
static enum mfs_err copy_key(struct mfs_fetch_ctx *ctx, char *out, size_t outlen)
{
	const char *key = ctx->prov ? mfs_provider_key(ctx->prov) : NULL;

	if (!key || !*key || strlen(key) >= outlen)
		return MFS_ERR_CONFIG;
	snprintf(out, outlen, "%s", key);
	return MFS_OK;
}

static enum mfs_err firstrate_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				    struct mfs_fetch_result *res, struct mfs_error *err)
{
	char key[256] = "";
	enum mfs_err rc;

	if (copy_key(ctx, key, sizeof(key)) != MFS_OK)
		return mfs_error_set(err, MFS_ERR_CONFIG, "firstrate: %s: no userid configured",
				     req->symbol);
	rc = mfs_firstrate_fetch_with(mfs_provider_get_fd, NULL, key, ctx, req, res, err);
	explicit_bzero(key, sizeof(key));
	return rc;
}

enum mfs_err mfs_firstrate_bulk(struct mfs_fetch_ctx *ctx, enum mfs_class cls, enum mfs_tf tf,
				const char *period, const char *const *symbols, size_t n,
				mfs_firstrate_cb cb, void *arg, struct mfs_error *err)
{
	char key[256] = "";
	enum mfs_err rc;

	if (copy_key(ctx, key, sizeof(key)) != MFS_OK)
		return mfs_error_set(err, MFS_ERR_CONFIG, "firstrate: no userid configured");
	rc = mfs_firstrate_bulk_with(mfs_provider_get_fd, NULL, key, ctx, cls, tf, period, symbols,
				     n, cb, arg, err);
	explicit_bzero(key, sizeof(key));
	return rc;
}

/* ---- last update ---- */

enum mfs_err mfs_firstrate_parse_last_update(long status, const char *body, size_t len,
					     enum mfs_class cls, char out[11],
					     struct mfs_error *err)
{
	char text[MFS_HTTP_SNIPPET_MAX + 1];
	struct mfs_http_response resp = { .status = status, .body = (char *)body, .len = len };
	int64_t day, sec;
	size_t a = 0, b = len;
	enum mfs_err rc = status_error(&resp, err);

	if (rc != MFS_OK)
		return rc;
	while (a < b && isspace((unsigned char)body[a]))
		a++;
	while (b > a && isspace((unsigned char)body[b - 1]))
		b--;
	if (b - a == 10 && parse_stamp(body + a, 10, &day, &sec)) {
		memcpy(out, body + a, 10);
		out[10] = '\0';
		return MFS_OK;
	}
	mfs_http_body_snippet(body, len, text, sizeof(text));
	if (contains_ci(text, "userid") || contains_ci(text, "unauthori"))
		return mfs_error_set(err, MFS_ERR_PERMANENT, "firstrate: last_update %s: refused: "
				     "\"%s\"", mfs_firstrate_type(cls), text);
	return mfs_error_set(err, MFS_ERR_PARSE, "firstrate: last_update %s: not a date: \"%s\"",
			     mfs_firstrate_type(cls), text);
}

enum mfs_err mfs_firstrate_last_update(struct mfs_fetch_ctx *ctx, enum mfs_class cls,
				       char out[11], struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	char key[256] = "", ekey[768], path[1024];
	const char *type = mfs_firstrate_type(cls);
	enum mfs_err rc;

	if (!type)
		return mfs_error_set(err, MFS_ERR_INVALID, "firstrate: no archives of class %s",
				     mfs_class_name(cls));
	if (copy_key(ctx, key, sizeof(key)) != MFS_OK || mfs_http_urlencode(key, ekey,
									    sizeof(ekey)) < 0)
		return mfs_error_set(err, MFS_ERR_CONFIG, "firstrate: no userid configured");
	snprintf(path, sizeof(path), "/api/last_update?type=%s&userid=%s", type, ekey);
	rc = mfs_provider_get(ctx, path, NULL, &resp, err);
	if (rc == MFS_OK)
		rc = mfs_firstrate_parse_last_update(resp.status, resp.body, resp.len, cls, out,
						     err);
	mfs_fund_scrub_msg(err, key);
	mfs_http_response_free(&resp);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(ekey, sizeof(ekey));
	explicit_bzero(path, sizeof(path));
	return rc;
}

const struct mfs_provider_ops mfs_firstrate_ops = {
	.name = "firstrate",
	.serves = firstrate_serves,
	.earliest = firstrate_earliest,
	.fetch = firstrate_fetch,
	.whole_history = firstrate_whole_history,
	.needs_key = true,
	.map_symbol = firstrate_map_symbol,
	.user_agent = NULL,
	.default_rate_tokens = 30,
	.default_rate_period_s = 60,
};
