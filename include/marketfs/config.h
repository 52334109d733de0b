/*
 * The configuration, as parsed from the INI file and -o options
 * (fs/config.c). Plain data: the cache and the providers read it and
 * never change it after start.
 */
#ifndef MARKETFS_CONFIG_H
#define MARKETFS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/timeframe.h>

enum mfs_provider_id {
	MFS_PROV_YAHOO = 0,
	MFS_PROV_BINANCE,
	MFS_PROV_FMP,
	MFS_PROV_ALPHAVANTAGE,
	MFS_PROV_POLYGON,
	MFS_PROV_TIINGO,
	MFS_PROV_ALPACA,
	MFS_PROV_FIRSTRATE,
	MFS_PROV_MIRROR,
	MFS_PROV__COUNT
};

struct mfs_provider_conf {
	bool enabled;
	char *base_url;      /* scheme://host[:port][/prefix], no trailing / */
	double rate_tokens;  /* rate_limit = TOKENS/PERIOD */
	double rate_period_s;
	bool allow_insecure;
	char *user_agent;    /* NULL: the provider's default */
	/*
	 * The API key: MARKETFS_<NAME>_KEY in the environment wins over
	 * api_key in the config file. A secret: never logged or shown.
	 */
	char *api_key;
	char *cookie_url;    /* Yahoo's cookie host (fc.yahoo.com); NULL: default */
};

/*
 * [rules]: which providers, in which order, serve a class at a timeframe.
 * tf is a timeframe, or one of the selectors below; the most specific rule
 * wins (a timeframe, then intraday/daily, then *).
 */
#define MFS_RULE_ALL (-1)      /* CLASS.* */
#define MFS_RULE_INTRADAY (-2) /* CLASS.intraday: 1m .. 4h */
#define MFS_RULE_DAILY (-3)    /* CLASS.daily: 1d, 1w, 1M */
#define MFS_MAX_RULES 64
struct mfs_rule {
	int cls; /* enum mfs_class */
	int tf;  /* enum mfs_tf or MFS_RULE_* */
	enum mfs_provider_id list[MFS_PROV__COUNT];
	unsigned n;
};

/* [symbols]: class overrides and per-provider tickers. */
#define MFS_MAX_SYMBOL_OVERRIDES 128
#define MFS_SYMBOL_NAME_MAX 32
#define MFS_PROVIDER_TICKER_MAX 64
struct mfs_symbol_class {
	char symbol[MFS_SYMBOL_NAME_MAX + 1];
	int cls; /* enum mfs_class */
};
struct mfs_symbol_map {
	char symbol[MFS_SYMBOL_NAME_MAX + 1];
	enum mfs_provider_id prov;
	char ticker[MFS_PROVIDER_TICKER_MAX + 1];
};

struct mfs_watch {
	char *symbol;
	bool tf[MFS_TF__COUNT];
};

struct mfs_config {
	char *path;             /* the file read, or NULL for built-in defaults */
	char *cache_dir;
	int history_start;      /* year */
	int fetch_timeout_s;
	int negative_ttl_s;     /* how long "unknown symbol" is remembered */
	int max_parallel_fetches;
	int fuse_threads;
	int64_t max_age_s;      /* 0: the SPEC schedule; N: stale N s after fetch */
	double min_quality;
	bool offline;
	struct mfs_watch *watch;
	unsigned n_watch;
	int64_t fundamentals_ttl_s;  /* snapshots older than this are refreshed */
	/* eviction (SPEC section 6): 0 = no limit / no floor */
	int64_t cache_max_size;      /* bytes (cache_max_size = 20G) */
	int64_t free_space_floor;    /* bytes kept free on the cache's file system */
	/* daily maintenance (SPEC section 6) */
	bool maintenance;            /* run it (default true) */
	int maintenance_stock_min;   /* minutes after midnight New York (17:00) */
	int maintenance_crypto_min;  /* minutes after midnight UTC (00:05) */
	/* fundamentals_priority: providers in merge order (combined.json) */
	enum mfs_provider_id fundamentals_priority[MFS_PROV__COUNT];
	unsigned n_fundamentals_priority;
	struct mfs_provider_conf provider[MFS_PROV__COUNT];
	struct mfs_rule rules[MFS_MAX_RULES];
	unsigned n_rules;
	struct mfs_symbol_class sym_class[MFS_MAX_SYMBOL_OVERRIDES];
	unsigned n_sym_class;
	struct mfs_symbol_map sym_map[MFS_MAX_SYMBOL_OVERRIDES];
	unsigned n_sym_map;
};

/* Built-in defaults (no file). cache_dir is chosen per SPEC section 7. */
void mfs_config_defaults(struct mfs_config *cfg);
/* Read an INI file over the current values. */
enum mfs_err mfs_config_load(struct mfs_config *cfg, const char *path,
			     struct mfs_error *err);
/* Set one key as if from [marketfs] (used for -o cache=DIR etc.). */
enum mfs_err mfs_config_set(struct mfs_config *cfg, const char *section,
			    const char *key, const char *value, struct mfs_error *err);
/*
 * Take API keys from MARKETFS_<NAME>_KEY (e.g. MARKETFS_FMP_KEY) where set;
 * they win over the config file.
 */
void mfs_config_apply_env(struct mfs_config *cfg);
/* The config file for this user if it exists: /etc/marketfs/marketfs.conf
 * for root, else $XDG_CONFIG_HOME (or ~/.config)/marketfs/marketfs.conf. */
const char *mfs_config_default_path(void);
void mfs_config_free(struct mfs_config *cfg);

/* The class a [symbols] override gives symbol, or -1 if none. */
int mfs_config_symbol_class(const struct mfs_config *cfg, const char *symbol);
/* The ticker a [symbols] map.PROVIDER entry gives symbol at prov, or NULL. */
const char *mfs_config_symbol_map(const struct mfs_config *cfg, const char *symbol,
				  enum mfs_provider_id prov);
/* The most specific [rules] entry for (cls, tf), or NULL if none. */
const struct mfs_rule *mfs_config_rule(const struct mfs_config *cfg, int cls, enum mfs_tf tf);

const char *mfs_provider_name(enum mfs_provider_id id);
int mfs_provider_parse(const char *name); /* -1 if unknown */

#endif
