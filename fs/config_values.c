/*
 * The syntax of configuration values (see fs/config_values.h): numbers,
 * durations, sizes, times of day, booleans, rates, URLs, the watch list
 * and provider lists.
 *
 * Pure functions of their text: no file, no section, no global state. The
 * caller (fs/config.c) decides which key takes which syntax, adds the
 * section and key to every message, and keeps secrets away from here.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <marketfs/limits.h>
#include <marketfs/symbol.h>

#include "fs/config_values.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PROVIDER_NAME_MAX 32 /* longer than any provider's name */
#define SHOWN_MAX 40	     /* characters of a bad entry quoted back */

/* ---- numbers, durations, booleans, rates ------------------------------- */

bool mfs_cfg_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!(isdigit((unsigned char)s[0]) ||
	      (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/*
 * A duration: plain seconds ("90") or a number with one unit suffix
 * ("90s", "15m", "1h", "1d"). Units are lower case only, because "1M"
 * means a month everywhere else in marketfs.
 */
bool mfs_cfg_parse_duration(const char *s, int64_t *out)
{
	int64_t n = 0, unit = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		int digit = *p - '0';

		if (n > (INT64_MAX - digit) / 10)
			return false;
		n = n * 10 + digit;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		unit = 60;
		p++;
		break;
	case 'h':
		unit = 3600;
		p++;
		break;
	case 'd':
		unit = MFS_SECONDS_PER_DAY;
		p++;
		break;
	default:
		return false;
	}
	if (*p || n > INT64_MAX / unit)
		return false;
	*out = n * unit;
	return true;
}

void mfs_cfg_format_duration(char *buf, size_t len, int64_t seconds)
{
	static const struct {
		int64_t unit_s;
		char suffix;
	} units[] = { { MFS_SECONDS_PER_DAY, 'd' }, { 3600, 'h' }, { 60, 'm' } };

	for (size_t i = 0; seconds && i < ARRAY_SIZE(units); i++) {
		if (seconds % units[i].unit_s == 0) {
			snprintf(buf, len, "%" PRId64 "%c", seconds / units[i].unit_s,
				 units[i].suffix);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "s", seconds);
}

/*
 * A size: plain bytes ("1048576") or a number with one unit suffix, K, M,
 * G or T, each 1024 times the one before ("500M", "20G"). With a suffix
 * the number may have a fraction ("1.5G"), at most SIZE_DECIMALS_MAX
 * digits, computed exactly in integers; what is left below one byte is
 * dropped. Upper case only, like the examples everyone copies, and
 * because "m" is minutes in a duration. No blank before the suffix and no
 * "B" after it: the same strictness as durations.
 */
#define SIZE_DECIMALS_MAX 6 /* 10^6 * 1024^4 still fits an int64_t */

bool mfs_cfg_parse_size(const char *s, int64_t *out)
{
	static const char units[] = "KMGT";
	int64_t whole = 0, frac = 0, scale = 1, unit = 1, part;
	const char *p = s, *u;
	int decimals = 0;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		int digit = *p - '0';

		if (whole > (INT64_MAX - digit) / 10)
			return false;
		whole = whole * 10 + digit;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		for (; isdigit((unsigned char)*p); p++) {
			if (++decimals > SIZE_DECIMALS_MAX)
				return false;
			frac = frac * 10 + (*p - '0');
			scale *= 10;
		}
	}
	if (*p) {
		u = strchr(units, *p);
		if (!u || p[1])
			return false;
		for (const char *q = units; q <= u; q++)
			unit *= 1024;
	} else if (decimals) {
		return false; /* a fraction of a byte */
	}
	part = frac * unit / scale;
	if (whole > (INT64_MAX - part) / unit)
		return false;
	*out = whole * unit + part;
	return true;
}

/* "17:00", "0:05": minutes after midnight. */
bool mfs_cfg_parse_clock(const char *s, int *minutes)
{
	int h = 0, m;
	const char *p = s;

	if (!isdigit((unsigned char)p[0]))
		return false;
	h = *p++ - '0';
	if (isdigit((unsigned char)*p))
		h = h * 10 + (*p++ - '0');
	if (*p++ != ':' || !isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    p[2])
		return false;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	if (h > 23 || m > 59)
		return false;
	*minutes = h * 60 + m;
	return true;
}

/* A finite real number, nothing before or after it. */
bool mfs_cfg_parse_real(const char *s, double *out)
{
	char *end;
	double v;

	if (!(isdigit((unsigned char)s[0]) || s[0] == '.' || s[0] == '-'))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool mfs_cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* "N/PERIOD": N > 0 requests per PERIOD (a duration > 0). */
bool mfs_cfg_parse_rate(const char *s, double *tokens, double *period_s)
{
	const char *slash = strchr(s, '/');
	char count[64];
	int64_t period;
	double n;

	if (!slash || (size_t)(slash - s) >= sizeof(count))
		return false;
	memcpy(count, s, (size_t)(slash - s));
	count[slash - s] = '\0';
	if (!mfs_cfg_parse_real(count, &n) || n <= 0 || !mfs_cfg_parse_duration(slash + 1, &period) ||
	    period <= 0)
		return false;
	*tokens = n;
	*period_s = (double)period;
	return true;
}

bool mfs_cfg_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* scheme://host[:port][/prefix]: the request path is appended to it. */
bool mfs_cfg_url_valid(const char *s)
{
	const char *host;

	if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	if (!*host || *host == '/' || *host == ':')
		return false;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == '?' || *p == '#')
			return false;
	return !mfs_cfg_has_control(s);
}

/* Remove trailing '/' but keep at least min_len characters. */
void mfs_cfg_strip_slashes(char *s, size_t min_len)
{
	size_t len = strlen(s);

	while (len > min_len && s[len - 1] == '/')
		s[--len] = '\0';
}

/* ---- provider lists ---------------------------------------------------- */

/* "yahoo, binance, ..." */
void mfs_cfg_provider_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < MFS_PROV__COUNT && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 mfs_provider_name((enum mfs_provider_id)i));

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/*
 * "fmp, yahoo polygon": names separated by a comma, blanks, or both. An
 * empty entry ("fmp,,yahoo", a leading or trailing comma) is an error
 * rather than skipped: it is usually a name deleted by mistake.
 */
enum mfs_err mfs_cfg_parse_providers(const char *s, enum mfs_provider_id out[MFS_PROV__COUNT],
				     unsigned *n_out, char *why, size_t len)
{
	enum mfs_provider_id list[MFS_PROV__COUNT];
	bool listed[MFS_PROV__COUNT] = { false };
	bool after_comma = false;
	char name[PROVIDER_NAME_MAX], known[128];
	unsigned n = 0;

	for (const char *p = s; *p;) {
		size_t w;
		int id = -1;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p == ',') {
			if (!n || after_comma) {
				snprintf(why, len, "empty entry before a comma");
				return MFS_ERR_CONFIG;
			}
			after_comma = true;
			p++;
			continue;
		}
		w = strcspn(p, ", \t");
		if (w < sizeof(name)) {
			memcpy(name, p, w);
			name[w] = '\0';
			id = mfs_provider_parse(name);
		}
		if (id < 0) {
			char shown[SHOWN_MAX + 1];
			size_t k;

			/* Quoted back shortened, control characters as '?'. */
			for (k = 0; k < w && k < SHOWN_MAX; k++)
				shown[k] = iscntrl((unsigned char)p[k]) ? '?' : p[k];
			shown[k] = '\0';
			mfs_cfg_provider_names(known, sizeof(known));
			snprintf(why, len, "unknown provider '%s' (known: %s)", shown, known);
			return MFS_ERR_CONFIG;
		}
		if (listed[id]) {
			snprintf(why, len, "provider '%s' is listed twice", name);
			return MFS_ERR_CONFIG;
		}
		listed[id] = true;
		list[n++] = (enum mfs_provider_id)id;
		after_comma = false;
		p += w;
	}
	if (after_comma) {
		snprintf(why, len, "empty entry after the last comma");
		return MFS_ERR_CONFIG;
	}
	if (!n) {
		snprintf(why, len, "no provider given");
		return MFS_ERR_CONFIG;
	}
	memcpy(out, list, n * sizeof(list[0]));
	*n_out = n;
	return MFS_OK;
}

/* ---- the watch list ---------------------------------------------------- */

/* "1m 5m ... 1M" */
static void tf_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < MFS_TF__COUNT && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 mfs_tf_name((enum mfs_tf)i));

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void mfs_cfg_watch_free(struct mfs_watch *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(list[i].symbol);
	free(list);
}

/* Add sym with the timeframes in tf, merging repeats. */
enum mfs_err mfs_cfg_watch_add(struct mfs_watch **list, unsigned *n, const char *sym,
			      const bool tf[MFS_TF__COUNT])
{
	struct mfs_watch *grown, *w;

	for (unsigned i = 0; i < *n; i++) {
		if (strcmp((*list)[i].symbol, sym) == 0) {
			for (int t = 0; t < MFS_TF__COUNT; t++)
				(*list)[i].tf[t] |= tf[t];
			return MFS_OK;
		}
	}
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return MFS_ERR_NOMEM;
	*list = grown;
	w = &grown[*n];
	memset(w, 0, sizeof(*w));
	w->symbol = strdup(sym);
	if (!w->symbol)
		return MFS_ERR_NOMEM;
	memcpy(w->tf, tf, sizeof(w->tf));
	(*n)++;
	return MFS_OK;
}

/*
 * Is the text after the last ':' of a watch entry meant as timeframes?
 * Symbols may contain ':' themselves (X:BTCUSD), so "X:BTCUSD" is a bare
 * symbol. Timeframes start with a digit; a lower-case letter or a comma
 * after the colon is taken as a (possibly misspelt) timeframe list too, so
 * that "AAPL:daily" is reported rather than watched as a symbol.
 */
static bool looks_like_tfs(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return true;
	for (; *s; s++)
		if (islower((unsigned char)*s) || *s == ',')
			return true;
	return false;
}

/* One entry SYMBOL[:TF[,TF...]]; why gets what is wrong with it. */
enum mfs_err mfs_cfg_watch_entry(const char *entry, struct mfs_watch **list, unsigned *n,
				char *why, size_t len)
{
	bool tf[MFS_TF__COUNT] = { false };
	char *sym, *colon, *tfs = NULL, *item, *save = NULL;
	char names[64];
	enum mfs_err code = MFS_ERR_CONFIG;

	sym = strdup(entry);
	if (!sym)
		return MFS_ERR_NOMEM;
	colon = strrchr(sym, ':');
	if (colon && looks_like_tfs(colon + 1)) {
		*colon = '\0';
		tfs = colon + 1;
	}
	if (!mfs_symbol_valid(sym)) {
		snprintf(why, len, "invalid symbol '%.40s' (1-%d characters of A-Z a-z 0-9 . - _ ^ = :)",
			 sym, MFS_SYMBOL_MAX);
		goto out;
	}
	tf_names(names, sizeof(names));
	if (!tfs) {
		tf[MFS_TF_1D] = true;
	} else if (!*tfs || *tfs == ',' || tfs[strlen(tfs) - 1] == ',' || strstr(tfs, ",,")) {
		snprintf(why, len, "empty timeframe in '%.40s' (timeframes: %s)", entry, names);
		goto out;
	}
	for (item = tfs ? strtok_r(tfs, ",", &save) : NULL; item;
	     item = strtok_r(NULL, ",", &save)) {
		enum mfs_tf t = mfs_tf_parse(item);

		if (t == MFS_TF_INVALID) {
			snprintf(why, len, "unknown timeframe '%.16s' in '%.40s' (timeframes: %s)",
				 item, entry, names);
			goto out;
		}
		tf[t] = true;
	}
	code = mfs_cfg_watch_add(list, n, sym, tf);
out:
	free(sym);
	return code;
}

