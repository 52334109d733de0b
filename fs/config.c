/*
 * The configuration: built-in defaults, the INI file and -o overrides.
 *
 * This module turns text into a struct mfs_config and owns every string in
 * it (mfs_config_free() releases them). It is strict on purpose: a daemon
 * started by automount has nobody watching its terminal, so a typo must
 * stop the mount with a message that names the file, the line, the section,
 * the key and what was expected, rather than be ignored. Every unknown
 * section, unknown key and bad value is an error. Keys that SPEC section 8
 * names but this version does not implement yet are errors too, with a
 * message that says so. A value is never echoed for an unknown key (it may
 * be an api_key), the value of api_key is never echoed at all, and URLs
 * with user information are not echoed either.
 *
 * Secrets (SPEC section 4): a file that sets an api_key must not be open
 * to group or others; such a file is refused as a whole, with the chmod
 * that fixes it. MARKETFS_<NAME>_KEY in the environment wins over the
 * file (mfs_config_apply_env(), called by the program after loading).
 *
 * The syntax of single values (durations, rates, URLs, the watch list,
 * provider lists) lives in fs/config_values.c.
 *
 * Parsing is done by libinih. We call ini_parse_stream() rather than
 * ini_parse() so that our own reader sees every line: inih's handler is
 * not told the line number (the packaged library is built without
 * INI_HANDLER_LINENO), a line longer than inih's fixed buffer would be
 * split silently into two lines, and an empty unknown section would never
 * reach the handler.
 * The reader mirrors inih's rules for comments, sections and continuation
 * lines (an indented line after a key continues that key's value), which
 * we allow only for watch, the one key whose value can grow long.
 *
 * mfs_config_load() is all or nothing: the file is applied to a copy, and
 * the caller's config changes only if the whole file is valid. This module
 * never logs and never exits; it reports through struct mfs_error.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include <marketfs/config.h>
#include <marketfs/limits.h>

#include "fs/config_rules.h"
#include "fs/config_values.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SECTION_GLOBAL "marketfs"
#define SECTION_PROVIDER "provider." /* followed by a provider name */
#define ECHO_MAX 64		     /* characters of a bad value quoted back */
#define WHY_MAX MFS_ERRMSG_MAX
#define CONFIG_REL_PATH "marketfs/marketfs.conf"
#define SYSTEM_CONFIG_PATH "/etc/" CONFIG_REL_PATH
#define SYSTEM_CACHE_DIR "/var/cache/marketfs"
#define PATH_BUF_MAX 4096
#define API_KEY_MAX 256 /* longer than any provider's key */
#define YAHOO_COOKIE_URL "https://fc.yahoo.com" /* the example for cookie_url */

/* Defaults of each provider: its public API and its free-tier rate limit. */
static const struct {
	const char *base_url;
	double rate_tokens;
	double rate_period_s;
} provider_defaults[MFS_PROV__COUNT] = {
	[MFS_PROV_YAHOO] = { "https://query2.finance.yahoo.com", 60, 60 },
	[MFS_PROV_BINANCE] = { "https://data-api.binance.vision", 1200, 60 },
	/* free tiers (PROVIDERS.md): 250/day, 25/day, 5/min, 50/hour */
	[MFS_PROV_FMP] = { "https://financialmodelingprep.com", 250, 86400 },
	[MFS_PROV_ALPHAVANTAGE] = { "https://www.alphavantage.co", 25, 86400 },
	[MFS_PROV_POLYGON] = { "https://api.polygon.io", 5, 60 },
	[MFS_PROV_TIINGO] = { "https://api.tiingo.com", 50, 3600 },
	/* Alpaca's basic plan: 200/min; FirstRate: a handful of archive calls */
	[MFS_PROV_ALPACA] = { "https://data.alpaca.markets", 200, 60 },
	[MFS_PROV_FIRSTRATE] = { "https://firstratedata.com", 30, 60 },
	/* no public default: the mirror is used only when base_url is set */
	[MFS_PROV_MIRROR] = { "", 600, 60 },
};

enum key_type {
	KEY_PATH,     /* char *: an absolute path */
	KEY_INT,      /* int: an integer in [min, max] */
	KEY_SECONDS,  /* int: a duration in [min, max] seconds */
	KEY_DURATION, /* int64_t: a duration in [min, max] seconds */
	KEY_FRACTION, /* double: a real number in [0, 1] */
	KEY_BOOL,     /* bool */
	KEY_WATCH,    /* the watch list of struct mfs_config */
	KEY_URL,      /* char *: http(s)://host[:port][/prefix] */
	KEY_RATE,     /* rate_tokens and rate_period_s of a provider */
	KEY_STRING,   /* char *: printable text, "" meaning NULL */
	KEY_SECRET,   /* char *: an API key, "" meaning NULL; never quoted back */
	KEY_PROVIDERS, /* fundamentals_priority: a list of provider names */
	KEY_SIZE,     /* int64_t: bytes, plain or with K, M, G, T; 0 = off */
	KEY_CLOCK,    /* int: a time of day HH:MM, as minutes after midnight */
};

struct key_desc {
	const char *name;
	enum key_type type;
	size_t off; /* in struct mfs_config or struct mfs_provider_conf */
	int64_t min, max;
};

/* [marketfs]: the valid ranges of every global setting live here. */
static const struct key_desc global_keys[] = {
	{ "cache_dir", KEY_PATH, offsetof(struct mfs_config, cache_dir), 0, 0 },
	{ "history_start", KEY_INT, offsetof(struct mfs_config, history_start),
	  MFS_FIRST_YEAR, MFS_LAST_YEAR },
	{ "fetch_timeout", KEY_SECONDS, offsetof(struct mfs_config, fetch_timeout_s), 1,
	  3600 },
	{ "negative_ttl", KEY_SECONDS, offsetof(struct mfs_config, negative_ttl_s), 0,
	  7 * MFS_SECONDS_PER_DAY },
	{ "max_parallel_fetches", KEY_INT,
	  offsetof(struct mfs_config, max_parallel_fetches), 1, 64 },
	{ "fuse_threads", KEY_INT, offsetof(struct mfs_config, fuse_threads), 4, 1024 },
	{ "max_age", KEY_DURATION, offsetof(struct mfs_config, max_age_s), 0, INT64_MAX },
	{ "min_quality", KEY_FRACTION, offsetof(struct mfs_config, min_quality), 0, 1 },
	{ "offline", KEY_BOOL, offsetof(struct mfs_config, offline), 0, 0 },
	{ "watch", KEY_WATCH, 0, 0, 0 },
	{ "fundamentals_ttl", KEY_DURATION, offsetof(struct mfs_config, fundamentals_ttl_s),
	  60, 365 * MFS_SECONDS_PER_DAY },
	{ "fundamentals_priority", KEY_PROVIDERS, 0, 0, 0 },
	{ "cache_max_size", KEY_SIZE, offsetof(struct mfs_config, cache_max_size), 0,
	  INT64_MAX },
	{ "free_space_floor", KEY_SIZE, offsetof(struct mfs_config, free_space_floor), 0,
	  INT64_MAX },
	{ "maintenance", KEY_BOOL, offsetof(struct mfs_config, maintenance), 0, 0 },
	{ "maintenance_stock", KEY_CLOCK, offsetof(struct mfs_config, maintenance_stock_min),
	  0, 0 },
	{ "maintenance_crypto", KEY_CLOCK,
	  offsetof(struct mfs_config, maintenance_crypto_min), 0, 0 },
};

/* [provider.NAME] */
static const struct key_desc provider_keys[] = {
	{ "enabled", KEY_BOOL, offsetof(struct mfs_provider_conf, enabled), 0, 0 },
	{ "base_url", KEY_URL, offsetof(struct mfs_provider_conf, base_url), 0, 0 },
	{ "rate_limit", KEY_RATE, 0, 0, 0 },
	{ "allow_insecure", KEY_BOOL, offsetof(struct mfs_provider_conf, allow_insecure),
	  0, 0 },
	{ "user_agent", KEY_STRING, offsetof(struct mfs_provider_conf, user_agent), 0, 0 },
	{ "api_key", KEY_SECRET, offsetof(struct mfs_provider_conf, api_key), 0, 0 },
	/* Only Yahoo fetches a cookie; accepted for all, like every key here. */
	{ "cookie_url", KEY_URL, offsetof(struct mfs_provider_conf, cookie_url), 0, 0 },
};

/*
 * Named by SPEC section 8 but not implemented yet: say so, not "unknown".
 * Every [marketfs] key it names is implemented now, so there is no list
 * for that section (C has no empty arrays): resolve() passes none.
 */
static const char *const planned_provider_keys[] = { "priority" };

/* Sections whose keys are free-form ([rules], [symbols]: config_rules.c). */
#define SECTION_RULES "rules"
#define SECTION_SYMBOLS "symbols"
#define PROV_RULES (-2)
#define PROV_SYMBOLS (-3)

/* Where a key goes: prov is -1 for [marketfs], else a provider id. */
struct target {
	const struct key_desc *key;
	int prov;
};

/* ---- messages ---------------------------------------------------------- */

/* Quote a value back safely: shortened, control characters as '?'. */
static void echo_value(char *buf, size_t len, const char *value, bool redact)
{
	size_t i, n = 0;

	if (redact) {
		snprintf(buf, len, "<redacted>");
		return;
	}
	for (i = 0; value[i] && i < ECHO_MAX && n + 1 < len; i++) {
		unsigned char c = (unsigned char)value[i];

		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (value[i] && n + 3 < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

/*
 * "[section] key = 'value': " followed by fmt, or "[section] key: " if value
 * is NULL (a secret). Returns MFS_ERR_CONFIG.
 */
static enum mfs_err bad_value(char *why, size_t len, const char *section,
			      const char *key, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static enum mfs_err bad_value(char *why, size_t len, const char *section,
			      const char *key, const char *value, const char *fmt, ...)
{
	char shown[ECHO_MAX + 4];
	/* User information in a URL may be a password. */
	bool redact = value && strstr(key, "url") && strchr(value, '@');
	va_list ap;
	int n;

	if (value) {
		echo_value(shown, sizeof(shown), value, redact);
		n = snprintf(why, len, "[%s] %s = '%s': ", section, key, shown);
	} else {
		n = snprintf(why, len, "[%s] %s: ", section, key);
	}
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(why + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return MFS_ERR_CONFIG;
}

/* "a, b, c" from the names of a key table. */
static void key_names(char *buf, size_t len, const struct key_desc *keys, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", keys[i].name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static bool in_names(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

/* ---- the watch list ---------------------------------------------------- */

/*
 * Parse a whole watch value into a new list; with append, the new list
 * starts as a copy of the current one (an indented continuation line).
 * The config changes only on success.
 */
static enum mfs_err set_watch(struct mfs_config *cfg, const char *section,
			      const char *key, const char *value, bool append, char *why,
			      size_t len)
{
	struct mfs_watch *list = NULL;
	unsigned n = 0;
	char *copy = NULL, *entry, *save = NULL;
	char detail[WHY_MAX / 2];
	enum mfs_err code = MFS_OK;

	for (unsigned i = 0; append && i < cfg->n_watch; i++) {
		code = mfs_cfg_watch_add(&list, &n, cfg->watch[i].symbol, cfg->watch[i].tf);
		if (code)
			goto out;
	}
	copy = strdup(value);
	if (!copy) {
		code = MFS_ERR_NOMEM;
		goto out;
	}
	for (entry = strtok_r(copy, " \t", &save); entry;
	     entry = strtok_r(NULL, " \t", &save)) {
		code = mfs_cfg_watch_entry(entry, &list, &n, detail, sizeof(detail));
		if (code == MFS_ERR_CONFIG) {
			bad_value(why, len, section, key, value,
				  "%s; expected SYMBOL[:TF[,TF...]] separated by spaces, such as AAPL:1d,1h BTCUSDT:1m",
				  detail);
			goto out;
		}
		if (code)
			goto out;
	}
	mfs_cfg_watch_free(cfg->watch, cfg->n_watch);
	cfg->watch = list;
	cfg->n_watch = n;
	list = NULL;
	n = 0;
out:
	mfs_cfg_watch_free(list, n);
	free(copy);
	if (code == MFS_ERR_NOMEM)
		snprintf(why, len, "[%s] %s: out of memory", section, key);
	return code;
}

/* ---- sections and keys ------------------------------------------------- */

/* "marketfs" -> -1, "provider.yahoo" -> MFS_PROV_YAHOO, else an error. */
static enum mfs_err parse_section(const char *section, int *prov, char *why, size_t len)
{
	char names[128];

	if (strcmp(section, SECTION_GLOBAL) == 0) {
		*prov = -1;
		return MFS_OK;
	}
	if (strncmp(section, SECTION_PROVIDER, strlen(SECTION_PROVIDER)) == 0) {
		const char *name = section + strlen(SECTION_PROVIDER);

		*prov = mfs_provider_parse(name);
		if (*prov >= 0)
			return MFS_OK;
		mfs_cfg_provider_names(names, sizeof(names));
		snprintf(why, len, "unknown provider '%.40s' (known: %s)", name, names);
		return MFS_ERR_CONFIG;
	}
	if (strcmp(section, SECTION_RULES) == 0) {
		*prov = PROV_RULES;
		return MFS_OK;
	}
	if (strcmp(section, SECTION_SYMBOLS) == 0) {
		*prov = PROV_SYMBOLS;
		return MFS_OK;
	}
	if (!*section) {
		snprintf(why, len, "a key before any section (put it under [%s])",
			 SECTION_GLOBAL);
		return MFS_ERR_CONFIG;
	}
	snprintf(why, len, "unknown section [%.40s] (known: [%s], [%sNAME], [rules], [symbols])",
		 section, SECTION_GLOBAL, SECTION_PROVIDER);
	return MFS_ERR_CONFIG;
}

static enum mfs_err resolve(const char *section, const char *key, struct target *t,
			    char *why, size_t len)
{
	const struct key_desc *keys;
	const char *const *planned;
	size_t n, n_planned;
	char names[512]; /* every key of a section, for "unknown key" */
	enum mfs_err code;

	code = parse_section(section, &t->prov, why, len);
	if (code)
		return code;
	if (t->prov == PROV_RULES || t->prov == PROV_SYMBOLS) {
		t->key = NULL; /* free-form keys: config_rules.c checks them */
		return MFS_OK;
	}
	if (t->prov < 0) {
		keys = global_keys;
		n = ARRAY_SIZE(global_keys);
		planned = NULL;
		n_planned = 0;
	} else {
		keys = provider_keys;
		n = ARRAY_SIZE(provider_keys);
		planned = planned_provider_keys;
		n_planned = ARRAY_SIZE(planned_provider_keys);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(key, keys[i].name) == 0) {
			t->key = &keys[i];
			return MFS_OK;
		}
	}
	/* The value is not quoted: it may be a secret (api_key). */
	if (in_names(key, planned, n_planned)) {
		snprintf(why, len, "[%s] %.40s: not supported by this version of marketfs",
			 section, key);
		return MFS_ERR_CONFIG;
	}
	key_names(names, sizeof(names), keys, n);
	snprintf(why, len, "[%s] %.40s: unknown key (known: %s)", section, key, names);
	return MFS_ERR_CONFIG;
}

/*
 * Replace the string at *field by a copy of value (NULL if value is NULL),
 * without trailing '/' beyond its first keep characters (SIZE_MAX: as is).
 */
static enum mfs_err replace_string(char **field, const char *value, size_t keep)
{
	char *s = NULL;

	if (value) {
		s = strdup(value);
		if (!s)
			return MFS_ERR_NOMEM;
		mfs_cfg_strip_slashes(s, keep);
	}
	free(*field);
	*field = s;
	return MFS_OK;
}

/* An API key as providers issue them: printable ASCII, no blanks. */
static bool api_key_valid(const char *s)
{
	if (strlen(s) > API_KEY_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* The whole list or nothing; only fundamentals_priority has this type. */
static enum mfs_err set_priority(struct mfs_config *cfg, const char *section,
				 const char *key, const char *value, char *why, size_t len)
{
	enum mfs_provider_id list[MFS_PROV__COUNT];
	unsigned n = 0;
	char detail[WHY_MAX / 2];

	if (mfs_cfg_parse_providers(value, list, &n, detail, sizeof(detail)))
		return bad_value(why, len, section, key, value,
				 "%s; expected provider names separated by commas or blanks, such as fmp, yahoo",
				 detail);
	memcpy(cfg->fundamentals_priority, list, n * sizeof(list[0]));
	cfg->n_fundamentals_priority = n;
	return MFS_OK;
}

/*
 * Validate value and store it; the config is unchanged on error. No
 * message quotes the value of a secret, not even shortened: shown is
 * NULL for those, and every message below quotes shown, never value.
 */
static enum mfs_err apply(struct mfs_config *cfg, const struct target *t,
			  const char *section, const char *value, bool append, char *why,
			  size_t len)
{
	const struct key_desc *k = t->key;
	char *base = t->prov < 0 ? (char *)cfg : (char *)&cfg->provider[t->prov];
	void *field = base + k->off;
	/* KEY_URL and KEY_RATE appear only in provider_keys: prov >= 0. */
	struct mfs_provider_conf *pc = &cfg->provider[t->prov < 0 ? 0 : t->prov];
	const char *shown = k->type == KEY_SECRET ? NULL : value;
	enum mfs_err code = MFS_OK;
	char lo[32], hi[32];
	int64_t i64;
	double d, period;
	bool b;
	int i;

	if (append && k->type != KEY_WATCH)
		return bad_value(why, len, section, k->name, shown,
				 "unexpected continuation line: only watch may continue on an indented line (do not indent keys)");

	switch (k->type) {
	case KEY_PATH:
		if (value[0] != '/')
			return bad_value(why, len, section, k->name, shown,
					 "expected an absolute path such as %s%s",
					 SYSTEM_CACHE_DIR,
					 value[0] == '~' ? " ('~' is not expanded)" : "");
		code = replace_string(field, value, 1);
		break;
	case KEY_INT:
		if (!mfs_cfg_parse_int64(value, &i64) || i64 < k->min || i64 > k->max)
			return bad_value(why, len, section, k->name, shown,
					 "expected an integer from %" PRId64 " to %" PRId64,
					 k->min, k->max);
		*(int *)field = (int)i64;
		break;
	case KEY_SECONDS:
		if (!mfs_cfg_parse_duration(value, &i64) || i64 < k->min || i64 > k->max)
			return bad_value(why, len, section, k->name, shown,
					 "expected a duration from %" PRId64 "s to %" PRId64
					 "s (seconds, or a number with s, m, h or d)",
					 k->min, k->max);
		*(int *)field = (int)i64;
		break;
	case KEY_DURATION:
		if (mfs_cfg_parse_duration(value, &i64) && i64 >= k->min && i64 <= k->max) {
			*(int64_t *)field = i64;
			break;
		}
		if (k->min == 0 && k->max == INT64_MAX)
			return bad_value(why, len, section, k->name, shown,
					 "expected a duration such as 3600, 90s, 15m, 1h or 1d (0 = off)");
		mfs_cfg_format_duration(lo, sizeof(lo), k->min);
		mfs_cfg_format_duration(hi, sizeof(hi), k->max);
		return bad_value(why, len, section, k->name, shown,
				 "expected a duration from %s to %s (seconds, or a number with s, m, h or d)",
				 lo, hi);
		break;
	case KEY_FRACTION:
		if (!mfs_cfg_parse_real(value, &d) || d < (double)k->min || d > (double)k->max)
			return bad_value(why, len, section, k->name, shown,
					 "expected a number from %" PRId64 " to %" PRId64,
					 k->min, k->max);
		*(double *)field = d;
		break;
	case KEY_BOOL:
		if (!mfs_cfg_parse_bool(value, &b))
			return bad_value(why, len, section, k->name, shown,
					 "expected true/false, yes/no, on/off or 1/0");
		*(bool *)field = b;
		break;
	case KEY_WATCH:
		return set_watch(cfg, section, k->name, value, append, why, len);
	case KEY_URL:
		if (!mfs_cfg_url_valid(value))
			return bad_value(why, len, section, k->name, shown,
					 "expected http:// or https:// with a host, such as %s, and no query or fragment",
					 k->off == offsetof(struct mfs_provider_conf, cookie_url) ?
						 YAHOO_COOKIE_URL :
						 provider_defaults[pc - cfg->provider].base_url);
		/* Keep "scheme://h" whatever the slashes after the host. */
		code = replace_string(field, value, strlen("http://") + 1);
		break;
	case KEY_RATE:
		if (!mfs_cfg_parse_rate(value, &d, &period))
			return bad_value(why, len, section, k->name, shown,
					 "expected N/PERIOD such as 5/60s");
		pc->rate_tokens = d;
		pc->rate_period_s = period;
		break;
	case KEY_STRING:
		if (mfs_cfg_has_control(value))
			return bad_value(why, len, section, k->name, shown,
					 "expected printable text");
		/* Empty means "the provider's default". */
		code = replace_string(field, *value ? value : NULL, SIZE_MAX);
		break;
	case KEY_SECRET:
		if (!api_key_valid(value))
			return bad_value(why, len, section, k->name, shown,
					 "expected at most %d printable characters without blanks (the value is not shown)",
					 API_KEY_MAX);
		/* Empty means "no key" (the environment may still give one). */
		code = replace_string(field, *value ? value : NULL, SIZE_MAX);
		break;
	case KEY_PROVIDERS:
		return set_priority(cfg, section, k->name, value, why, len);
	case KEY_SIZE:
		if (!mfs_cfg_parse_size(value, &i64) || i64 < k->min || i64 > k->max)
			return bad_value(why, len, section, k->name, shown,
					 "expected a size such as 20G, 500M or 1.5G, or a number of bytes (K, M, G, T are powers of 1024; 0 = off)");
		*(int64_t *)field = i64;
		break;
	case KEY_CLOCK:
		if (!mfs_cfg_parse_clock(value, &i))
			return bad_value(why, len, section, k->name, shown,
					 "expected a time of day HH:MM from 00:00 to 23:59 (%s)",
					 k->off == offsetof(struct mfs_config, maintenance_stock_min) ?
						 "New York time" :
						 "UTC");
		*(int *)field = i;
		break;
	}
	if (code == MFS_ERR_NOMEM)
		snprintf(why, len, "[%s] %s: out of memory", section, k->name);
	return code;
}

/* ---- the whole config -------------------------------------------------- */

void mfs_config_free(struct mfs_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	cfg->path = NULL;
	free(cfg->cache_dir);
	cfg->cache_dir = NULL;
	mfs_cfg_watch_free(cfg->watch, cfg->n_watch);
	cfg->watch = NULL;
	cfg->n_watch = 0;
	for (int i = 0; i < MFS_PROV__COUNT; i++) {
		free(cfg->provider[i].base_url);
		cfg->provider[i].base_url = NULL;
		free(cfg->provider[i].user_agent);
		cfg->provider[i].user_agent = NULL;
		free(cfg->provider[i].api_key);
		cfg->provider[i].api_key = NULL;
		free(cfg->provider[i].cookie_url);
		cfg->provider[i].cookie_url = NULL;
	}
}

static bool dup_string(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

/* A deep copy; on failure dst holds nothing that needs freeing. */
static enum mfs_err config_dup(struct mfs_config *dst, const struct mfs_config *src)
{
	bool ok = true;

	*dst = *src;
	dst->path = dst->cache_dir = NULL;
	dst->watch = NULL;
	dst->n_watch = 0;
	for (int i = 0; i < MFS_PROV__COUNT; i++)
		dst->provider[i].base_url = dst->provider[i].user_agent =
			dst->provider[i].api_key = dst->provider[i].cookie_url = NULL;

	ok = dup_string(&dst->path, src->path) && dup_string(&dst->cache_dir, src->cache_dir);
	for (int i = 0; ok && i < MFS_PROV__COUNT; i++)
		ok = dup_string(&dst->provider[i].base_url, src->provider[i].base_url) &&
		     dup_string(&dst->provider[i].user_agent, src->provider[i].user_agent) &&
		     dup_string(&dst->provider[i].api_key, src->provider[i].api_key) &&
		     dup_string(&dst->provider[i].cookie_url, src->provider[i].cookie_url);
	for (unsigned i = 0; ok && i < src->n_watch; i++)
		ok = mfs_cfg_watch_add(&dst->watch, &dst->n_watch, src->watch[i].symbol,
			       src->watch[i].tf) == MFS_OK;
	if (!ok) {
		mfs_config_free(dst);
		return MFS_ERR_NOMEM;
	}
	return MFS_OK;
}

/* The length of an absolute directory name without its trailing '/'. */
static size_t trimmed_len(const char *dir)
{
	size_t len = strlen(dir);

	while (len > 0 && dir[len - 1] == '/')
		len--;
	return len;
}

/* An absolute home directory: $HOME, else the password database. */
static char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd pw, *res = NULL;
	char buf[PATH_BUF_MAX];

	if (home && home[0] == '/')
		return strdup(home);
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
	    res->pw_dir && res->pw_dir[0] == '/')
		return strdup(res->pw_dir);
	return NULL;
}

/*
 * SPEC section 7: /var/cache/marketfs for root, else $XDG_CACHE_HOME/marketfs
 * or ~/.cache/marketfs. A relative XDG_CACHE_HOME is ignored, as the XDG
 * base directory specification requires. NULL if no home can be found.
 */
static char *default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *home, *dir = NULL;

	if (geteuid() == 0)
		return strdup(SYSTEM_CACHE_DIR);
	if (xdg && xdg[0] == '/') {
		if (asprintf(&dir, "%.*s/marketfs", (int)trimmed_len(xdg), xdg) < 0)
			return NULL;
		return dir;
	}
	home = home_dir();
	if (home && asprintf(&dir, "%.*s/.cache/marketfs", (int)trimmed_len(home), home) < 0)
		dir = NULL;
	free(home);
	return dir;
}

/* cache_dir (or a base_url) is NULL if memory ran out: main checks it. */
void mfs_config_defaults(struct mfs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache_dir = default_cache_dir();
	cfg->history_start = MFS_DEFAULT_HISTORY_START;
	cfg->fetch_timeout_s = MFS_DEFAULT_FETCH_TIMEOUT_S;
	cfg->negative_ttl_s = MFS_DEFAULT_NEGATIVE_TTL_S;
	cfg->max_parallel_fetches = MFS_DEFAULT_MAX_PARALLEL_FETCHES;
	cfg->fuse_threads = MFS_DEFAULT_FUSE_THREADS;
	cfg->max_age_s = 0;
	cfg->min_quality = MFS_DEFAULT_MIN_QUALITY;
	cfg->offline = false;
	for (int i = 0; i < MFS_PROV__COUNT; i++) {
		struct mfs_provider_conf *pc = &cfg->provider[i];

		pc->enabled = true;
		pc->base_url = strdup(provider_defaults[i].base_url);
		pc->rate_tokens = provider_defaults[i].rate_tokens;
		pc->rate_period_s = provider_defaults[i].rate_period_s;
		pc->allow_insecure = false;
		pc->user_agent = NULL;
	}
	cfg->fundamentals_ttl_s = MFS_DEFAULT_FUNDAMENTALS_TTL_S;
	cfg->maintenance = true;
	cfg->maintenance_stock_min = MFS_DEFAULT_MAINTENANCE_STOCK_MIN;
	cfg->maintenance_crypto_min = MFS_DEFAULT_MAINTENANCE_CRYPTO_MIN;
	/* SPEC section 2: FMP > Yahoo > Alpha Vantage > Polygon > others */
	static const enum mfs_provider_id prio[] = { MFS_PROV_FMP, MFS_PROV_YAHOO,
						     MFS_PROV_ALPHAVANTAGE, MFS_PROV_POLYGON,
						     MFS_PROV_TIINGO };
	for (size_t i = 0; i < sizeof(prio) / sizeof(prio[0]); i++)
		cfg->fundamentals_priority[cfg->n_fundamentals_priority++] = prio[i];
}

/*
 * MARKETFS_FMP_KEY etc.: the provider's name in upper case. An empty
 * variable is ignored. If memory runs out the file's key (if any) stays,
 * which the provider then reports as a refused key, not as a crash.
 */
void mfs_config_apply_env(struct mfs_config *cfg)
{
	static const char prefix[] = "MARKETFS_";

	for (int i = 0; i < MFS_PROV__COUNT; i++) {
		const char *name = mfs_provider_name((enum mfs_provider_id)i);
		const char *v;
		char var[64];
		size_t n = (size_t)snprintf(var, sizeof(var), "%s%s_KEY", prefix, name);

		for (size_t k = strlen(prefix); k < n && k < sizeof(var); k++)
			var[k] = (char)toupper((unsigned char)var[k]);
		v = getenv(var);
		if (v && *v) {
			char *dup = strdup(v);

			if (dup) {
				free(cfg->provider[i].api_key);
				cfg->provider[i].api_key = dup;
			}
		}
	}
}

enum mfs_err mfs_config_set(struct mfs_config *cfg, const char *section, const char *key,
			    const char *value, struct mfs_error *err)
{
	char why[WHY_MAX];
	struct target t;
	enum mfs_err code;

	if (!section)
		section = SECTION_GLOBAL;
	if (!key || !value)
		return mfs_error_set(err, MFS_ERR_CONFIG, "[%s] %s: a value is required",
				     section, key ? key : "(null)");
	code = resolve(section, key, &t, why, sizeof(why));
	if (!code && !t.key)
		code = t.prov == PROV_RULES ? mfs_cfg_rule_set(cfg, key, value, why, sizeof(why))
					    : mfs_cfg_symbols_set(cfg, key, value, why, sizeof(why));
	else if (!code)
		code = apply(cfg, &t, section, value, false, why, sizeof(why));
	if (code)
		return mfs_error_set(err, code, "%s", why);
	return MFS_OK;
}

/* ---- reading a file ---------------------------------------------------- */

struct load_ctx {
	struct mfs_config *cfg; /* the copy being filled */
	const char *path;
	FILE *fp;
	struct mfs_error *err;
	enum mfs_err code; /* MFS_OK until the first error */
	int error_line;
	int lineno;	   /* of the line last handed to inih */
	bool indented;	   /* that line starts with blank space */
	bool after_key;	   /* inih's prev_name: a key came since the last [section] */
	int seen_global[ARRAY_SIZE(global_keys)]; /* line of each key, 0 if unset */
	int seen_provider[MFS_PROV__COUNT][ARRAY_SIZE(provider_keys)];
	bool holds_key;	   /* an api_key with a value was set by this file */
	char rule_keys[MFS_MAX_RULES][32]; /* [rules] keys seen, for duplicates */
	int rule_lines[MFS_MAX_RULES];
	unsigned n_rule_keys;
};

static void load_fail(struct load_ctx *ctx, enum mfs_err code, const char *why)
{
	if (ctx->code)
		return;
	ctx->code = code;
	ctx->error_line = ctx->lineno;
	mfs_error_set(ctx->err, code, "%s:%d: %s", ctx->path, ctx->lineno, why);
}

/* Validate a "[section]" line as soon as it is read, even if it has no keys. */
static void check_header(struct load_ctx *ctx, const char *start)
{
	const char *end = strchr(start + 1, ']');
	char why[WHY_MAX];
	char *name;
	int prov;
	enum mfs_err code;

	ctx->after_key = false;
	if (!end)
		return; /* inih reports the syntax error */
	name = strndup(start + 1, (size_t)(end - start - 1));
	if (!name) {
		load_fail(ctx, MFS_ERR_NOMEM, "out of memory");
		return;
	}
	code = parse_section(name, &prov, why, sizeof(why));
	if (code)
		load_fail(ctx, code, why);
	free(name);
}

/* fgets() for inih, counting lines and refusing lines that do not fit. */
static char *read_line(char *buf, int size, void *stream)
{
	static const char bom[] = "\xEF\xBB\xBF";
	struct load_ctx *ctx = stream;
	const char *start = buf;
	size_t len;

	if (ctx->code)
		return NULL; /* stop at the first error */
	if (!fgets(buf, size, ctx->fp))
		return NULL;
	ctx->lineno++;
	len = strlen(buf);
	if (len + 1 == (size_t)size && buf[len - 1] != '\n' && getc(ctx->fp) != EOF) {
		char why[WHY_MAX];

		snprintf(why, sizeof(why),
			 "line longer than %d characters (continue a long watch list on indented lines)",
			 size - 3);
		load_fail(ctx, MFS_ERR_CONFIG, why);
		return NULL;
	}
	if (ctx->lineno == 1 && strncmp(buf, bom, strlen(bom)) == 0)
		start += strlen(bom);
	ctx->indented = *start && isspace((unsigned char)*start);
	while (*start && isspace((unsigned char)*start))
		start++;
	if (!*start || *start == ';' || *start == '#')
		return buf; /* blank or comment */
	if (ctx->indented && ctx->after_key)
		return buf; /* continuation */
	if (*start == '[')
		check_header(ctx, start);
	return buf;
}

/* A key of [rules] or [symbols]; a repeated rule key is refused like any duplicate. */
static enum mfs_err free_form_key(struct load_ctx *ctx, int prov, const char *name,
				  const char *value, bool append)
{
	char why[WHY_MAX];
	enum mfs_err code;

	if (prov == PROV_RULES) {
		if (append) {
			snprintf(why, sizeof(why), "[rules] %.40s: a rule is one line", name);
			load_fail(ctx, MFS_ERR_CONFIG, why);
			return MFS_ERR_CONFIG;
		}
		/* etf.X is stock.X: the same rule under two names is a duplicate too */
		char canon[32];
		snprintf(canon, sizeof(canon), "%s%s", strncmp(name, "etf.", 4) == 0 ? "stock." : "",
			 strncmp(name, "etf.", 4) == 0 ? name + 4 : name);
		for (unsigned i = 0; i < ctx->n_rule_keys; i++) {
			if (strcmp(ctx->rule_keys[i], canon) == 0) {
				snprintf(why, sizeof(why),
					 "[rules] %.40s: duplicate key (first set on line %d)", name,
					 ctx->rule_lines[i]);
				load_fail(ctx, MFS_ERR_CONFIG, why);
				return MFS_ERR_CONFIG;
			}
		}
		if (ctx->n_rule_keys < MFS_MAX_RULES) {
			snprintf(ctx->rule_keys[ctx->n_rule_keys], sizeof(ctx->rule_keys[0]), "%s",
				 canon);
			ctx->rule_lines[ctx->n_rule_keys++] = ctx->lineno;
		}
		code = mfs_cfg_rule_set(ctx->cfg, name, value, why, sizeof(why));
	} else {
		code = mfs_cfg_symbols_set(ctx->cfg, name, value, why, sizeof(why));
	}
	if (code)
		load_fail(ctx, code, why);
	return code;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;
	bool append = ctx->indented && ctx->after_key;
	char why[WHY_MAX];
	struct target t;
	enum mfs_err code;
	int *seen;

	if (!name)
		return 1; /* a new section: check_header() saw it */
	if (ctx->code)
		return 0;
	ctx->after_key = true;
	code = resolve(section, name, &t, why, sizeof(why));
	if (code) {
		load_fail(ctx, code, why);
		return 0;
	}
	if (!t.key) {
		code = free_form_key(ctx, t.prov, name, value ? value : "", append);
		if (code)
			return 0;
		return 1;
	}
	if (t.prov < 0)
		seen = &ctx->seen_global[t.key - global_keys];
	else
		seen = &ctx->seen_provider[t.prov][t.key - provider_keys];
	if (!append && *seen) {
		snprintf(why, sizeof(why), "[%s] %s: duplicate key (first set on line %d)",
			 section, name, *seen);
		load_fail(ctx, MFS_ERR_CONFIG, why);
		return 0;
	}
	if (!append)
		*seen = ctx->lineno;
	code = apply(ctx->cfg, &t, section, value ? value : "", append, why, sizeof(why));
	if (code) {
		load_fail(ctx, code, why);
		return 0;
	}
	if (t.key->type == KEY_SECRET && value && *value)
		ctx->holds_key = true;
	return 1;
}

enum mfs_err mfs_config_load(struct mfs_config *cfg, const char *path,
			     struct mfs_error *err)
{
	struct load_ctx ctx = { 0 };
	struct mfs_config tmp;
	struct stat st;
	char ebuf[128];
	enum mfs_err code;
	FILE *fp;
	int ret;

	if (!path || !*path)
		return mfs_error_set(err, MFS_ERR_CONFIG, "no configuration file given");
	fp = fopen(path, "re");
	if (!fp)
		return mfs_error_set(err, MFS_ERR_CONFIG, "%s: cannot open: %s", path,
				     strerror_r(errno, ebuf, sizeof(ebuf)));
	/* fopen() accepts a directory, which would then read as empty. */
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		code = mfs_error_set(err, MFS_ERR_CONFIG, "%s: not a regular file", path);
		goto out_close;
	}
	code = config_dup(&tmp, cfg);
	if (code) {
		mfs_error_set(err, code, "%s: out of memory", path);
		goto out_close;
	}
	free(tmp.path);
	tmp.path = strdup(path);
	if (!tmp.path) {
		code = mfs_error_set(err, MFS_ERR_NOMEM, "%s: out of memory", path);
		goto out_free;
	}

	ctx.cfg = &tmp;
	ctx.path = path;
	ctx.fp = fp;
	ctx.err = err;
	ret = ini_parse_stream(read_line, &ctx, on_key, &ctx);

	/* inih's own syntax errors: report the first error of either kind. */
	if (ret > 0 && (!ctx.code || ret < ctx.error_line)) {
		code = mfs_error_set(err, MFS_ERR_CONFIG,
				     "%s:%d: syntax error: expected [section], key = value or a comment",
				     path, ret);
	} else if (ctx.code) {
		code = ctx.code;
	} else if (ret == -2) {
		code = mfs_error_set(err, MFS_ERR_NOMEM, "%s: out of memory", path);
	} else if (ferror(fp)) {
		code = mfs_error_set(err, MFS_ERR_IO, "%s: read error", path);
	} else if (ctx.holds_key && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		/*
		 * SPEC section 4. st is from fstat() on the stream we read, so
		 * a chmod or a replaced file between the check and the read
		 * cannot slip past. Any group or other bit counts: a file
		 * others may write can have its key swapped as well.
		 */
		code = mfs_error_set(err, MFS_ERR_CONFIG,
				     "%s holds an API key but is readable by group or others (mode %04o); run: chmod 600 %s",
				     path, (unsigned)(st.st_mode & 07777), path);
	} else {
		code = MFS_OK;
	}
out_free:
	if (code) {
		mfs_config_free(&tmp);
	} else {
		mfs_config_free(cfg);
		*cfg = tmp;
	}
out_close:
	fclose(fp);
	return code;
}

/*
 * Root reads /etc/marketfs/marketfs.conf; a user reads only their own
 * $XDG_CONFIG_HOME/marketfs/marketfs.conf (or ~/.config/...). A user does
 * not fall back to /etc: its cache_dir would be root's, which the user
 * cannot write. The result lives in a static buffer: call this once at
 * start, before threads.
 */
const char *mfs_config_default_path(void)
{
	static char path[PATH_BUF_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	struct stat st;
	char *home;
	int n;

	if (geteuid() == 0)
		return stat(SYSTEM_CONFIG_PATH, &st) == 0 ? SYSTEM_CONFIG_PATH : NULL;
	if (xdg && xdg[0] == '/') {
		n = snprintf(path, sizeof(path), "%.*s/%s", (int)trimmed_len(xdg), xdg,
			     CONFIG_REL_PATH);
	} else {
		home = home_dir();
		if (!home)
			return NULL;
		n = snprintf(path, sizeof(path), "%.*s/.config/%s", (int)trimmed_len(home),
			     home, CONFIG_REL_PATH);
		free(home);
	}
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return stat(path, &st) == 0 ? path : NULL;
}
