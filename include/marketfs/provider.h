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

#include <stdbool.h>
#include <stdint.h>

#include <marketfs/config.h>
#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>

struct mfs_provider; /* a configured provider, with its rate limiter */

struct mfs_fetch_req {
	const char *symbol;          /* as in the path, e.g. "BRK.B" */
	const char *provider_symbol; /* mapped for this provider, e.g. "BRK-B" */
	enum mfs_class cls;
	enum mfs_tf tf;
	int64_t start, end;          /* UTC epoch seconds, [start, end) */
	int64_t first_trade_known;   /* epoch s of the first bar if the cache
					knows it, else 0 (the provider may probe) */
};

struct mfs_fetch_result {
	struct mfs_series series;
	char tz[64];          /* exchange time zone ("America/New_York"), "" if unknown */
	int close_minute;     /* regular close, local minutes after midnight; -1 unknown */
	int64_t first_trade;  /* epoch s of the provider's first bar; 0 unknown */
};

/* Per-fetch context handed to a provider. */
struct mfs_fetch_ctx {
	struct mfs_http *http;       /* this fetch thread's client */
	struct mfs_provider *prov;
	int64_t deadline_ms;         /* mfs_now_ms() clock */
	int64_t now;                 /* wall clock at fetch start (UTC s) */
	unsigned requests;           /* HTTP requests sent (retries count) */
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
	/* The provider's spelling of a symbol; writes into out. */
	void (*map_symbol)(const char *symbol, enum mfs_class cls, char *out, size_t outlen);
	/* Browser-like agent needed? NULL = "marketfs/VERSION". */
	const char *user_agent;
	/* Default rate limit: tokens per period. */
	double default_rate_tokens, default_rate_period_s;
};

extern const struct mfs_provider_ops mfs_yahoo_ops;
extern const struct mfs_provider_ops mfs_binance_ops;

void mfs_fetch_result_init(struct mfs_fetch_result *res, enum mfs_tf tf);
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
const struct mfs_provider_ops *mfs_provider_ops(const struct mfs_provider *p);
const struct mfs_provider_conf *mfs_provider_conf(const struct mfs_provider *p);
const char *mfs_provider_get_name(const struct mfs_provider *p);
/* Record one fetch's outcome (for reliability and status). */
void mfs_provider_note(struct mfs_provider *p, enum mfs_err result, const char *msg);
/* Share of successful fetches so far (1.0 before the first). */
double mfs_provider_reliability(const struct mfs_provider *p);
/* "60/60s" style description of the configured limit. */
void mfs_provider_rate_desc(const struct mfs_provider *p, char *out, size_t outlen);

#endif
