/*
 * The [rules] and [symbols] sections of the configuration (SPEC section 8).
 *
 *   [rules]
 *   crypto.* = binance, yahoo        CLASS.SELECTOR = provider list, where
 *   stock.1d = yahoo, tiingo         SELECTOR is *, intraday, daily or a
 *   stock.intraday = polygon, yahoo  timeframe; the most specific one wins.
 *
 *   [symbols]
 *   class.futures = ES=F NQ=F        CLASS = the symbols listed (blank- or
 *   class.stock = SPY                comma-separated; continuation lines add)
 *   map.firstrate = ES=F>ES 6E=F>E6  SYMBOL>TICKER: the provider's ticker
 *
 * Keys and values never hold secrets, so values may be quoted back.
 */
#include <stdio.h>
#include <string.h>

#include <marketfs/config.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

#include "fs/config_rules.h"
#include "fs/config_values.h"

#define SHOWN 40

static int parse_selector(const char *s)
{
	if (strcmp(s, "*") == 0)
		return MFS_RULE_ALL;
	if (strcmp(s, "intraday") == 0)
		return MFS_RULE_INTRADAY;
	if (strcmp(s, "daily") == 0)
		return MFS_RULE_DAILY;
	enum mfs_tf tf = mfs_tf_parse(s);

	return tf == MFS_TF_INVALID ? MFS_TF__COUNT : (int)tf;
}

/* "stock.1d" -> class and selector; false with a reason if malformed. */
static bool parse_rule_key(const char *key, int *cls, int *sel, char *why, size_t len)
{
	const char *dot = strchr(key, '.');
	char name[16];

	if (!dot || (size_t)(dot - key) >= sizeof(name)) {
		snprintf(why, len,
			 "[rules] %.*s: expected CLASS.TIMEFRAME, CLASS.intraday, CLASS.daily or CLASS.* "
			 "(e.g. stock.1d)", SHOWN, key);
		return false;
	}
	memcpy(name, key, (size_t)(dot - key));
	name[dot - key] = '\0';
	*cls = mfs_class_parse(name);
	if (*cls < 0) {
		snprintf(why, len,
			 "[rules] %.*s: unknown class '%s' (known: stock, etf, crypto, index, forex, futures)",
			 SHOWN, key, name);
		return false;
	}
	*sel = parse_selector(dot + 1);
	if (*sel == MFS_TF__COUNT) {
		snprintf(why, len,
			 "[rules] %.*s: unknown timeframe '%.*s' (known: 1m 5m 15m 30m 1h 4h 1d 1w 1M, "
			 "intraday, daily, *)", SHOWN, key, SHOWN, dot + 1);
		return false;
	}
	return true;
}

enum mfs_err mfs_cfg_rule_set(struct mfs_config *cfg, const char *key, const char *value,
			      char *why, size_t len)
{
	struct mfs_rule r = { 0 };
	char inner[256];
	enum mfs_err code;

	if (!parse_rule_key(key, &r.cls, &r.tf, why, len))
		return MFS_ERR_CONFIG;
	code = mfs_cfg_parse_providers(value, r.list, &r.n, inner, sizeof(inner));
	if (code) {
		snprintf(why, len, "[rules] %.*s: %s", SHOWN, key, inner);
		return code;
	}
	for (unsigned i = 0; i < cfg->n_rules; i++) {
		if (cfg->rules[i].cls == r.cls && cfg->rules[i].tf == r.tf) {
			cfg->rules[i] = r; /* -o overrides the file */
			return MFS_OK;
		}
	}
	if (cfg->n_rules == MFS_MAX_RULES) {
		snprintf(why, len, "[rules] %.*s: more than %d rules", SHOWN, key, MFS_MAX_RULES);
		return MFS_ERR_CONFIG;
	}
	cfg->rules[cfg->n_rules++] = r;
	return MFS_OK;
}

/* Copy the next entry of a blank/comma separated list; NULL at the end. */
static const char *next_item(const char *p, char *out, size_t outlen, bool *too_long)
{
	size_t w;

	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (!*p)
		return NULL;
	w = strcspn(p, " \t,");
	*too_long = w >= outlen;
	if (*too_long)
		w = outlen - 1;
	memcpy(out, p, w);
	out[w] = '\0';
	return p + strcspn(p, " \t,");
}

static enum mfs_err add_class(struct mfs_config *cfg, int cls, const char *key,
			      const char *value, char *why, size_t len)
{
	char item[128];
	bool too_long;

	for (const char *p = value; (p = next_item(p, item, sizeof(item), &too_long));) {
		unsigned i;

		if (too_long || !mfs_symbol_valid(item)) {
			snprintf(why, len, "[symbols] %s: '%.*s' is not a valid symbol name", key,
				 SHOWN, item);
			return MFS_ERR_CONFIG;
		}
		for (i = 0; i < cfg->n_sym_class; i++)
			if (strcmp(cfg->sym_class[i].symbol, item) == 0)
				break;
		if (i == cfg->n_sym_class) {
			if (i == MFS_MAX_SYMBOL_OVERRIDES) {
				snprintf(why, len, "[symbols] %s: more than %d class overrides", key,
					 MFS_MAX_SYMBOL_OVERRIDES);
				return MFS_ERR_CONFIG;
			}
			snprintf(cfg->sym_class[i].symbol, sizeof(cfg->sym_class[i].symbol), "%s",
				 item);
			cfg->n_sym_class++;
		}
		cfg->sym_class[i].cls = cls;
	}
	return MFS_OK;
}

static enum mfs_err add_map(struct mfs_config *cfg, enum mfs_provider_id prov, const char *key,
			    const char *value, char *why, size_t len)
{
	char item[160];
	bool too_long;

	for (const char *p = value; (p = next_item(p, item, sizeof(item), &too_long));) {
		char *gt = strchr(item, '>');
		struct mfs_symbol_map m = { .prov = prov };
		unsigned i;

		if (too_long || !gt || gt == item || !gt[1]) {
			snprintf(why, len, "[symbols] %s: '%.*s': expected SYMBOL>TICKER (e.g. BRK.B>BRK-B)",
				 key, SHOWN, item);
			return MFS_ERR_CONFIG;
		}
		*gt = '\0';
		if (!mfs_symbol_valid(item) || strlen(gt + 1) > MFS_PROVIDER_TICKER_MAX ||
		    mfs_cfg_has_control(gt + 1)) {
			snprintf(why, len, "[symbols] %s: '%.*s>%.*s' is not a valid symbol and ticker",
				 key, SHOWN, item, SHOWN, gt + 1);
			return MFS_ERR_CONFIG;
		}
		snprintf(m.symbol, sizeof(m.symbol), "%s", item);
		snprintf(m.ticker, sizeof(m.ticker), "%s", gt + 1);
		for (i = 0; i < cfg->n_sym_map; i++)
			if (cfg->sym_map[i].prov == prov && strcmp(cfg->sym_map[i].symbol, item) == 0)
				break;
		if (i == cfg->n_sym_map) {
			if (i == MFS_MAX_SYMBOL_OVERRIDES) {
				snprintf(why, len, "[symbols] %s: more than %d mappings", key,
					 MFS_MAX_SYMBOL_OVERRIDES);
				return MFS_ERR_CONFIG;
			}
			cfg->n_sym_map++;
		}
		cfg->sym_map[i] = m;
	}
	return MFS_OK;
}

enum mfs_err mfs_cfg_symbols_set(struct mfs_config *cfg, const char *key, const char *value,
				 char *why, size_t len)
{
	if (strncmp(key, "class.", 6) == 0) {
		int cls = mfs_class_parse(key + 6);

		if (cls < 0) {
			snprintf(why, len,
				 "[symbols] %.*s: unknown class '%.*s' (known: stock, etf, crypto, index, "
				 "forex, futures)", SHOWN, key, SHOWN, key + 6);
			return MFS_ERR_CONFIG;
		}
		return add_class(cfg, cls, key, value, why, len);
	}
	if (strncmp(key, "map.", 4) == 0) {
		int prov = mfs_provider_parse(key + 4);
		char names[160];

		if (prov < 0) {
			mfs_cfg_provider_names(names, sizeof(names));
			snprintf(why, len, "[symbols] %.*s: unknown provider '%.*s' (known: %s)", SHOWN,
				 key, SHOWN, key + 4, names);
			return MFS_ERR_CONFIG;
		}
		return add_map(cfg, (enum mfs_provider_id)prov, key, value, why, len);
	}
	snprintf(why, len, "[symbols] %.*s: unknown key (known: class.CLASS, map.PROVIDER)", SHOWN,
		 key);
	return MFS_ERR_CONFIG;
}
