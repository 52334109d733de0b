/*
 * Yahoo Finance chart v8 (PROVIDERS.md section 1): the pieces of the
 * provider that tests drive directly. The request planner, the URL builder
 * and the chart parser are pure (no network, no clock); mfs_yahoo_fetch_with()
 * is the fetch loop with the HTTP call injected, and mfs_yahoo_ops.fetch
 * calls it with mfs_provider_get().
 */
#ifndef MARKETFS_PROVIDERS_YAHOO_H
#define MARKETFS_PROVIDERS_YAHOO_H

#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

/* Yahoo refuses more than about 7 days of 1m bars per request. */
#define MFS_YAHOO_1M_WINDOW_S (7 * MFS_SECONDS_PER_DAY)
/* 1m reaches back ~30 days: at most 5 windows of 7 days, with room. */
#define MFS_YAHOO_MAX_WINDOWS 8

/* One request's [period1, period2). */
struct mfs_yahoo_window {
	int64_t period1, period2;
};

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_yahoo_get_fn)(struct mfs_fetch_ctx *ctx, const char *path_and_query,
					 const char *const *headers,
					 struct mfs_http_response *resp, struct mfs_error *err);

/* Yahoo's interval string for tf ("1h", "1wk", "1mo"); NULL for 4h. */
const char *mfs_yahoo_interval(enum mfs_tf tf);

/* Earliest UTC second Yahoo serves at tf, with a day of safety margin. */
int64_t mfs_yahoo_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now);

/*
 * Split [start, end) into requests: clamped to the earliest second Yahoo
 * serves and to now, 1m cut into windows of at most MFS_YAHOO_1M_WINDOW_S.
 * Writes at most max windows to out and returns how many are needed
 * (0: nothing to ask for; more than max: out was too small).
 */
size_t mfs_yahoo_plan(enum mfs_tf tf, int64_t start, int64_t end, int64_t now,
		      struct mfs_yahoo_window *out, size_t max);

/*
 * Write "/v8/finance/chart/SYM?period1=..." for one window into out, the
 * symbol percent-encoded. Returns 0, or -1 if tf has no Yahoo interval or
 * out is too small.
 */
int mfs_yahoo_chart_path(const char *symbol, enum mfs_tf tf, int64_t period1, int64_t period2,
			 char *out, size_t outlen);

/*
 * Undo float32 widening: if v is (within printing precision) a float32
 * value, return the shortest decimal that reads back as that float
 * (185.63999938964844 -> 185.64); otherwise return v unchanged.
 */
double mfs_yahoo_denoise(double v);

/*
 * Parse one chart answer for symbol (used in messages only) at tf. Bars
 * are appended to res->series in array order, bars at or after period2
 * skipped, null rows dropped and counted in res->series.null_rows; res->tz,
 * res->first_trade and res->close_minute are set from meta. events.splits
 * and events.dividends before period2 are added to res->actions, dated by
 * their exchange-local ex-date (days * 86400); entries that cannot be read
 * (a field missing or not a number, a zero denominator) are skipped. The
 * OHLC are split-adjusted: res->raw_prices is left false.
 */
enum mfs_err mfs_yahoo_parse_chart(long http_status, const char *body, size_t len,
				   const char *symbol, enum mfs_tf tf, int64_t period2,
				   struct mfs_fetch_result *res, struct mfs_error *err);

/* The fetch op with the HTTP GET injected. */
enum mfs_err mfs_yahoo_fetch_with(mfs_yahoo_get_fn get, struct mfs_fetch_ctx *ctx,
				  const struct mfs_fetch_req *req, struct mfs_fetch_result *res,
				  struct mfs_error *err);

/* Symbol mapping: BRK.B -> BRK-B for stocks; exchange suffixes kept. */
void mfs_yahoo_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen);

/*
 * quoteSummary fundamentals (fund_yahoo.c, PROVIDERS.md 1.2-1.3). The
 * checks, the path builder and the parser are pure; the fetch takes its
 * two kinds of GET injected, as mfs_yahoo_fetch_with() does.
 */
#define MFS_YAHOO_CRUMB_MAX 128  /* bytes of a crumb, with its NUL (real ones: ~11) */
#define MFS_YAHOO_COOKIE_MAX 1024 /* as struct mfs_http_response.cookies */

/* GET an absolute URL (the cookie host); tests pass a fake. */
typedef enum mfs_err (*mfs_yahoo_url_get_fn)(struct mfs_fetch_ctx *ctx, const char *url,
					     struct mfs_http_response *resp,
					     struct mfs_error *err);

/*
 * Check a /v1/test/getcrumb answer and copy the crumb (trimmed) into
 * crumb. Empty, HTML, "Too Many Requests", non-200 or anything with
 * spaces or quotes is refused: MFS_ERR_RATE_LIMIT for throttling,
 * MFS_ERR_SERVER for another status, else MFS_ERR_PARSE. Messages never
 * quote a body that could be a crumb.
 */
enum mfs_err mfs_yahoo_check_crumb(long status, const char *body, size_t len, char *crumb,
				   size_t crumblen, struct mfs_error *err);

/* True for a 401 saying "Invalid Crumb" (or "Invalid Cookie"): get a new pair. */
bool mfs_yahoo_crumb_refused(long status, const char *body, size_t len);

/*
 * Write "/v10/finance/quoteSummary/SYM?modules=...&formatted=false&crumb=C"
 * into out, symbol and crumb percent-encoded. 0, or -1 if out is too small.
 */
int mfs_yahoo_quote_summary_path(const char *symbol, const char *crumb, char *out, size_t outlen);

/*
 * Parse a quoteSummary answer. On MFS_OK out->fields holds the common
 * fields for symbol (modules Yahoo omitted leave theirs null; as_of is
 * price.regularMarketTime, else now) and out->raw is result[0]. A 404 "No
 * fundamentals data found" is MFS_ERR_NOT_FOUND. Both formatted=false and
 * formatted=true ({"raw":…,"fmt":…}) answers are read.
 */
enum mfs_err mfs_yahoo_parse_quote_summary(long status, const char *body, size_t len,
					   const char *symbol, int64_t now,
					   struct mfs_fundamentals *out, struct mfs_error *err);

/* The fundamentals op with the GETs injected (get: base_url + path). */
enum mfs_err mfs_yahoo_fundamentals_with(mfs_yahoo_get_fn get, mfs_yahoo_url_get_fn get_url,
					 struct mfs_fetch_ctx *ctx, const char *symbol,
					 const char *provider_symbol, struct mfs_fundamentals *out,
					 struct mfs_error *err);

/* Forget the process-wide cookie and crumb (tests; they last an hour). */
void mfs_yahoo_crumb_reset(void);

/* quoteSummary fundamentals: mfs_yahoo_ops.fundamentals. */
enum mfs_err mfs_yahoo_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				    const char *provider_symbol, struct mfs_fundamentals *out,
				    struct mfs_error *err);

#endif
