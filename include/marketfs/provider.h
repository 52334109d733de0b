/*
 * The provider interface: how the cache asks the outside world for bars.
 *
 * A provider turns a request (symbol, timeframe, UTC time window) into a
 * bar series, using only the HTTP helpers of struct mfs_fetch_ctx. It knows
 * nothing about files, FUSE or the cache. The series it returns may hold
 * bars outside the window, duplicates, and the still-forming last bar: the
 * cache clips, de-duplicates and validates.
 */
#ifndef MARKETFS_PROVIDER_H
#define MARKETFS_PROVIDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <marketfs/config.h>
#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>

struct mfs_provider; /* a configured provider, with its rate limiter */
struct mfs_providers; /* all of them (registry.c) */

struct mfs_fetch_req {
	const char *symbol;          /* as in the path, e.g. "BRK.B" */
	const char *provider_symbol; /* mapped for this provider, e.g. "BRK-B" */
	enum mfs_class cls;
	enum mfs_tf tf;
	int64_t start, end;          /* UTC epoch seconds, [start, end) */
	int64_t first_trade_known;   /* epoch s of the first bar if the cache
					knows it, else 0 (the provider may probe) */
};

/*
 * A corporate action (SPEC section 2, actions.csv). t is the ex-date as
 * days * 86400 (the series' daily convention). A split's value is its
 * ratio, new shares per old share (4-for-1: 4; 1-for-10: 0.1); a
 * dividend's value is the cash amount per share.
 */
enum mfs_action_type { MFS_ACTION_SPLIT = 0, MFS_ACTION_DIVIDEND };
struct mfs_action {
	int64_t t;
	enum mfs_action_type type;
	double value;
};

struct mfs_fetch_result {
	struct mfs_series series;
	/*
	 * The OHLC and volume of series are raw, not split-adjusted (Tiingo
	 * EOD, FirstRate UNADJUSTED): the cache adjusts them with the symbol's
	 * split history (SPEC section 2). false: split-adjusted already.
	 */
	bool raw_prices;
	/* Splits and dividends the answer reported, any order (owned). */
	struct mfs_action *actions;
	size_t n_actions, cap_actions;
	char tz[64];          /* exchange time zone ("America/New_York"), "" if unknown */
	int close_minute;     /* regular close, local minutes after midnight; -1 unknown */
	int64_t first_trade;  /* epoch s of the provider's first bar; 0 unknown */
};

/*
 * Fundamentals (SPEC section 2, "fundamentals/"): the common fields,
 * normalised, and the provider's own answer.
 */
struct mfs_fundamentals {
	json_t *fields; /* owned: every name of mfs_fund_fields, null when unknown */
	json_t *raw;    /* owned: the provider's answer (without secrets) */
};

/* Per-fetch context handed to a provider. */
struct mfs_fetch_ctx {
	struct mfs_http *http;       /* this fetch thread's client */
	struct mfs_provider *prov;
	int64_t deadline_ms;         /* mfs_now_ms() clock */
	int64_t now;                 /* wall clock at fetch start (UTC s) */
	unsigned requests;           /* HTTP requests sent (retries count) */
	/*
	 * Retries spent in this fetch: SPEC section 4 allows at most
	 * MFS_HTTP_MAX_TRIES tries per provider per fetch, so a paged fetch
	 * shares one budget of MFS_HTTP_MAX_TRIES - 1 retries across its pages.
	 */
	unsigned retries;
	atomic_uint *live_requests;  /* if set, also counted here as they go
					(status.json shows a fetch's progress) */
	/*
	 * If set and true, this is background work (watch list, maintenance,
	 * prefetch): each request waits while a reader's request waits for the
	 * same provider, so a reader never waits behind more than the one
	 * background request already in flight.
	 */
	const atomic_bool *background;
};

struct mfs_provider_ops {
	const char *name;
	/* Does this provider serve class cls at timeframe tf natively? */
	bool (*serves)(enum mfs_class cls, enum mfs_tf tf);
	/* Earliest UTC second it can serve at tf, given now; INT64_MIN = all. */
	int64_t (*earliest)(enum mfs_class cls, enum mfs_tf tf, int64_t now);
	/* Fetch bars; fills *res (initialised by the caller). */
	enum mfs_err (*fetch)(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
			      struct mfs_fetch_result *res, struct mfs_error *err);
	/*
	 * Does one request return the whole history at tf (Yahoo daily)? Then
	 * a fetch for one absent year installs every year it returned. May be
	 * NULL (no).
	 */
	bool (*whole_history)(enum mfs_tf tf);
	/*
	 * Fetch fundamentals for a stock or ETF, or NULL if the provider has
	 * none. out is zeroed by the caller; on MFS_OK both members are set.
	 * MFS_ERR_NOT_FOUND: the provider knows nothing of the symbol.
	 */
	enum mfs_err (*fundamentals)(struct mfs_fetch_ctx *ctx, const char *symbol,
				     const char *provider_symbol, struct mfs_fundamentals *out,
				     struct mfs_error *err);
	/* Does it refuse to work without an API key? */
	bool needs_key;
	/* The provider's spelling of a symbol; writes into out. */
	void (*map_symbol)(const char *symbol, enum mfs_class cls, char *out, size_t outlen);
	/* Browser-like agent needed? NULL = "marketfs/VERSION". */
	const char *user_agent;
	/* Default rate limit: tokens per period. */
	double default_rate_tokens, default_rate_period_s;
};

extern const struct mfs_provider_ops mfs_yahoo_ops;
extern const struct mfs_provider_ops mfs_binance_ops;
extern const struct mfs_provider_ops mfs_fmp_ops;
extern const struct mfs_provider_ops mfs_alphavantage_ops;
extern const struct mfs_provider_ops mfs_polygon_ops;
extern const struct mfs_provider_ops mfs_tiingo_ops;
extern const struct mfs_provider_ops mfs_alpaca_ops;
extern const struct mfs_provider_ops mfs_firstrate_ops;
extern const struct mfs_provider_ops mfs_mirror_ops;

/* ---- fundamentals helpers (providers/fundamentals.c) ---- */

/* The common fields, in the order they are written (SPEC section 2). */
#define MFS_FUND_NFIELDS 18
extern const char *const mfs_fund_fields[MFS_FUND_NFIELDS];
/* A fields object with every common field null but "symbol". */
json_t *mfs_fund_new(const char *symbol);
/* Set a text field; NULL, "", "None", "-", "N/A" leave it null. */
void mfs_fund_set_str(json_t *fields, const char *key, const char *value);
/*
 * Set a number field from a JSON number or a numeric string (Alpha Vantage
 * sends strings, FMP fullTimeEmployees too); "None", "-", "" and anything
 * not numeric leave it null. v may be NULL.
 */
void mfs_fund_set_num(json_t *fields, const char *key, const json_t *v);
void mfs_fund_set_double(json_t *fields, const char *key, double v);
void mfs_fundamentals_free(struct mfs_fundamentals *f);
/* True if the provider may be asked: enabled, and its key present if needed. */
bool mfs_provider_usable(const struct mfs_provider *p);
/* The API key (NULL if none). Never put it in a message. */
const char *mfs_provider_key(const struct mfs_provider *p);
/*
 * The fundamentals providers for class cls in merge priority order
 * (fundamentals_priority), usable ones only; returns the count.
 */
unsigned mfs_providers_fundamentals_chain(struct mfs_providers *ps, enum mfs_class cls,
					  struct mfs_provider **out, unsigned max);

void mfs_fetch_result_init(struct mfs_fetch_result *res, enum mfs_tf tf);
/* Record an action; 0, or -1 when memory ran out. */
int mfs_fetch_result_add_action(struct mfs_fetch_result *res, int64_t t,
				enum mfs_action_type type, double value);
void mfs_fetch_result_free(struct mfs_fetch_result *res);

/*
 * GET base_url + path_and_query through the provider's rate limiter, with
 * up to MFS_HTTP_MAX_TRIES tries: transport errors, 5xx, 429 and 418 are
 * retried with exponential backoff and jitter, Retry-After honoured (if it
 * fits before the deadline). Any other status is returned as MFS_OK for
 * the provider to interpret. On error, resp holds the last answer (if any)
 * and err says what happened, with the URL redacted.
 */
enum mfs_err mfs_provider_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			      const char *const *headers, struct mfs_http_response *resp,
			      struct mfs_error *err);

/* Registry (providers/registry.c). */
struct mfs_providers;
struct mfs_providers *mfs_providers_new(const struct mfs_config *cfg, struct mfs_error *err);
void mfs_providers_free(struct mfs_providers *ps);
struct mfs_provider *mfs_providers_get(struct mfs_providers *ps, enum mfs_provider_id id);
/*
 * The ordered chain of enabled providers for (cls, tf); returns the count
 * written to out (at most max).
 */
unsigned mfs_providers_chain(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf,
			     struct mfs_provider **out, unsigned max);
/*
 * The provider list that applies to (cls, tf): the most specific [rules]
 * entry (*configured true) or the built-in default. Not filtered.
 */
const enum mfs_provider_id *mfs_providers_rule(struct mfs_providers *ps, enum mfs_class cls,
					       enum mfs_tf tf, unsigned *n, bool *configured);
/*
 * The timeframe whose bars make tf's: tf itself when a provider other than
 * the mirror serves it natively, else the nearest finer one that has one
 * (4h from 1h, 1w and 1M from 1d ...), MFS_TF_INVALID if none.
 */
enum mfs_tf mfs_providers_source_tf(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf);
/* The nearest timeframe finer than tf that a provider serves natively, or MFS_TF_INVALID. */
enum mfs_tf mfs_providers_finer_tf(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf);
/* The provider's ticker for symbol: a [symbols] map entry, else its own mapping. */
void mfs_providers_map_symbol(struct mfs_providers *ps, const struct mfs_provider *p,
			      const char *symbol, enum mfs_class cls, char *out, size_t outlen);
/* The symbol's class: a [symbols] class override, else its form. */
enum mfs_class mfs_providers_classify(struct mfs_providers *ps, const char *symbol);

const struct mfs_provider_ops *mfs_provider_ops(const struct mfs_provider *p);
const struct mfs_provider_conf *mfs_provider_conf(const struct mfs_provider *p);
const char *mfs_provider_get_name(const struct mfs_provider *p);
/* Record one fetch's outcome (for reliability and status). */
void mfs_provider_note(struct mfs_provider *p, enum mfs_err result, const char *msg);
/* What _metadata/providers.json and metrics show of a provider. */
struct mfs_provider_stats {
	uint64_t requests, successes, errors;
	double mean_latency_ms; /* 0 before the first answer */
	int64_t last_ok, last_error_at; /* wall clock, 0: never */
	bool last_failed;       /* the last fetch failed */
	char last_error[256];   /* redacted */
	double tokens;          /* rate-limit tokens available now */
	double next_token_s;    /* seconds until the next token (0 if one is there) */
	double blocked_s;       /* seconds a Retry-After still holds requests back */
};
void mfs_provider_stats(struct mfs_provider *p, struct mfs_provider_stats *out);

/*
 * Hold the provider's requests back for seconds (a rate limit that came
 * without Retry-After, such as Alpha Vantage's HTTP 200 "Note"), and how
 * long it is still held back.
 */
#define MFS_RATE_LIMIT_PAUSE_S 60
void mfs_provider_block(struct mfs_provider *p, int64_t seconds);
double mfs_provider_blocked_for(struct mfs_provider *p);

/* Share of successful fetches so far (1.0 before the first). */
double mfs_provider_reliability(const struct mfs_provider *p);
/* "60/60s" style description of the configured limit. */
void mfs_provider_rate_desc(const struct mfs_provider *p, char *out, size_t outlen);

/*
 * mfs_provider_get() for a body too large for memory: the 2xx body goes to
 * fd (a regular file, written from offset 0; each retry truncates it
 * first), at most max_bytes bytes (0: no cap), as mfs_http_get_fd() does.
 * resp->body holds a non-2xx answer's body, or "".
 */
enum mfs_err mfs_provider_get_fd(struct mfs_fetch_ctx *ctx, const char *path_and_query,
				 const char *const *headers, int fd, size_t max_bytes,
				 struct mfs_http_response *resp, struct mfs_error *err);

#endif
