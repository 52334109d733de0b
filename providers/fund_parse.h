/*
 * Fundamentals of the key-based providers (PROVIDERS.md sections 3-6):
 * FMP, Alpha Vantage, Polygon and Tiingo. Each provider has pure parsers
 * (an HTTP status and a body in, the common fields and the provider's own
 * object out; no network, no clock) and a fetch function with the GET
 * injected, which the provider's ops call with mfs_provider_get(); tests
 * drive both (tests/unit/test_fund_providers.c).
 *
 * Parser contract, the same for all of them:
 *   - fields is a mfs_fund_new() object; a parser sets only what it found.
 *   - *raw (if raw is not NULL) receives a new reference to the provider's
 *     object (the one element of an FMP array, Polygon's "results", the
 *     newest Tiingo row) on MFS_OK, and stays NULL otherwise.
 *   - as_of is set only from a date the provider sent; the fetch fills in
 *     its clock when the provider has none.
 *   - errors: MFS_ERR_NOT_FOUND (unknown symbol), MFS_ERR_RATE_LIMIT
 *     (throttle, whatever the HTTP status), MFS_ERR_PERMANENT (plan gate,
 *     bad or legacy key), MFS_ERR_PARSE (malformed), MFS_ERR_NO_DATA (a
 *     secondary endpoint that knows the symbol but has nothing),
 *     MFS_ERR_SERVER (an unexpected status). symbol is for messages only.
 *
 * The helpers declared below (implemented in fundamentals.c) are shared
 * by the four fund_*.c files.
 */
#ifndef MARKETFS_PROVIDERS_FUND_PARSE_H
#define MARKETFS_PROVIDERS_FUND_PARSE_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

/* Same signature as mfs_provider_get(); tests pass a fake. */
typedef enum mfs_err (*mfs_fund_get_fn)(struct mfs_fetch_ctx *ctx, const char *path_and_query,
					const char *const *headers, struct mfs_http_response *resp,
					struct mfs_error *err);

/* Every parser below has this shape. */
typedef enum mfs_err (*mfs_fund_parse_fn)(long status, const char *body, size_t len,
					  const char *symbol, json_t *fields, json_t **raw,
					  struct mfs_error *err);

/* ---- FMP (fund_fmp.c) --------------------------------------------------- */

/* /stable/profile: [] is MFS_ERR_NOT_FOUND. */
enum mfs_err mfs_fmp_parse_profile(long status, const char *body, size_t len, const char *symbol,
				   json_t *fields, json_t **raw, struct mfs_error *err);
/* /stable/ratios-ttm: pe_ratio, dividend_yield, eps (netIncomePerShareTTM). */
enum mfs_err mfs_fmp_parse_ratios_ttm(long status, const char *body, size_t len, const char *symbol,
				      json_t *fields, json_t **raw, struct mfs_error *err);
/* /stable/shares-float: float_shares, shares_outstanding. */
enum mfs_err mfs_fmp_parse_shares_float(long status, const char *body, size_t len,
					const char *symbol, json_t *fields, json_t **raw,
					struct mfs_error *err);
/* "164.08-260.1" -> low, high; false if it is not two numbers. */
bool mfs_fmp_parse_range(const char *range, double *low, double *high);
/* The fundamentals op with the GET injected; key must not be NULL. */
enum mfs_err mfs_fmp_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
				       const char *key, const char *symbol,
				       const char *provider_symbol, struct mfs_fundamentals *out,
				       struct mfs_error *err);

/* ---- Alpha Vantage (fund_alphavantage.c) -------------------------------- */

/* function=OVERVIEW: {} is MFS_ERR_NOT_FOUND; errors come as HTTP 200. */
enum mfs_err mfs_alphavantage_parse_overview(long status, const char *body, size_t len,
					     const char *symbol, json_t *fields, json_t **raw,
					     struct mfs_error *err);
enum mfs_err mfs_alphavantage_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
						const char *key, const char *symbol,
						const char *provider_symbol,
						struct mfs_fundamentals *out,
						struct mfs_error *err);

/* ---- Polygon (fund_polygon.c) ------------------------------------------- */

/* /v3/reference/tickers/SYM: *raw is "results". */
enum mfs_err mfs_polygon_parse_ticker(long status, const char *body, size_t len, const char *symbol,
				      json_t *fields, json_t **raw, struct mfs_error *err);
enum mfs_err mfs_polygon_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
					   const char *key, const char *symbol,
					   const char *provider_symbol,
					   struct mfs_fundamentals *out, struct mfs_error *err);

/* ---- Tiingo (fund_tiingo.c) --------------------------------------------- */

/* /tiingo/daily/SYM (metadata). */
enum mfs_err mfs_tiingo_parse_meta(long status, const char *body, size_t len, const char *symbol,
				   json_t *fields, json_t **raw, struct mfs_error *err);
/* /tiingo/fundamentals/SYM/daily: the newest row; [] is MFS_ERR_NO_DATA. */
enum mfs_err mfs_tiingo_parse_daily(long status, const char *body, size_t len, const char *symbol,
				    json_t *fields, json_t **raw, struct mfs_error *err);
enum mfs_err mfs_tiingo_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
					  const char *key, const char *symbol,
					  const char *provider_symbol, struct mfs_fundamentals *out,
					  struct mfs_error *err);

/* ---- shared helpers ------------------------------------------------------ */

/* Longest body excerpt quoted in an error message. */
#define MFS_FUND_SNIPPET_MAX 100
/*
 * A key shorter than this (Alpha Vantage's "demo") is scrubbed from raw
 * only where a string equals it: as a substring it would eat words such
 * as "democratic" in descriptions. Real keys are 16-40 characters.
 */
#define MFS_FUND_KEY_SUBSTRING_MIN 8

/* A printable, single-line excerpt of text for an error message. */
void mfs_fund_snippet(const char *text, size_t len, char *out, size_t outlen);

/* Case-insensitive substring test; NULL text matches nothing. */
bool mfs_fund_has(const char *text, const char *needle);

/* Parse a body known to look like JSON; MFS_ERR_PARSE with a message if not. */
enum mfs_err mfs_fund_load(const char *prov, const char *symbol, long status,
				     const char *body, size_t len, json_t **root,
				     struct mfs_error *err);

/*
 * Set key to the UTC time of a provider date: "YYYY-MM-DD", or with a
 * time "THH:MM:SS" or " HH:MM:SS", optional fraction, optional "Z" or
 * "+HH:MM"/"-HH:MM". Written as "YYYY-MM-DDTHH:MM:SSZ". False (and the
 * field untouched) if s is not such a date.
 */
bool mfs_fund_set_date(json_t *fields, const char *key, const char *s);

/* as_of = now, unless the provider gave a date. */
void mfs_fund_default_as_of(json_t *fields, int64_t now);

/* Replace every occurrence of key in s with "***"; NULL if none (or no memory). */
char *mfs_fund_redact_string(const char *s, const char *key);

bool mfs_fund_is_secret_name(const char *name);

/*
 * Remove any echo of the key from a provider's answer, in place: members
 * named apikey/api_key/token go, and the key is replaced by "***" inside
 * every string (URLs such as next_url could carry it).
 */
void mfs_fund_scrub(json_t *v, const char *key);

/* Belt and braces: a message quoting a body must not quote the key. */
void mfs_fund_scrub_msg(struct mfs_error *err, const char *key);

/* One GET and its parse. The response is freed here. */
enum mfs_err mfs_fund_request(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
					const char *path, const char *const *headers,
					mfs_fund_parse_fn parse, const char *symbol, json_t *fields,
					json_t **raw, struct mfs_error *err);

/*
 * A secondary request failed: its fields stay null and the primary's are
 * kept. Returns true if the next secondary is still worth asking (not
 * after a throttle, a timeout or a shutdown: they would fail the same).
 */
bool mfs_fund_secondary_failed(const char *prov, const char *symbol, const char *what,
					 enum mfs_err rc, struct mfs_error *e, const char *key);

/* Percent-encode s into out; false (with an error set) if it does not fit. */
bool mfs_fund_encode(const char *prov, const char *what, const char *s, char *out,
			       size_t outlen, struct mfs_error *err);

/*
 * The start of every keyed fundamentals fetch: *psym is the symbol to ask
 * for (provider_symbol, or symbol when that is NULL or ""); the key must be
 * set; the symbol is percent-encoded into esym and, unless ekey is NULL
 * (Tiingo sends the key in a header), the key into ekey; *fields gets a
 * new mfs_fund_new(symbol) object, the caller's on MFS_OK and NULL
 * otherwise. Errors, named by prov: MFS_ERR_CONFIG (no key),
 * MFS_ERR_INVALID (too long to encode), MFS_ERR_NOMEM.
 */
enum mfs_err mfs_fund_begin(const char *prov, const char *key, const char *symbol,
			    const char *provider_symbol, char *esym, size_t esymlen, char *ekey,
			    size_t ekeylen, json_t **fields, const char **psym,
			    struct mfs_error *err);

/*
 * The end of every keyed fundamentals fetch. On MFS_OK: fields get an
 * as_of of now when the provider gave none, the key is scrubbed from raw,
 * err is cleared and out takes both. Otherwise the key is scrubbed from
 * err's message and fields and raw are freed. Returns rc.
 */
enum mfs_err mfs_fund_end(enum mfs_err rc, const char *key, int64_t now, json_t *fields,
			  json_t *raw, struct mfs_fundamentals *out, struct mfs_error *err);

/* Each keyed provider's fundamentals op (fund_<name>.c), used by <name>.c. */
enum mfs_err mfs_fmp_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				  const char *provider_symbol, struct mfs_fundamentals *out,
				  struct mfs_error *err);
enum mfs_err mfs_alphavantage_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
					   const char *provider_symbol,
					   struct mfs_fundamentals *out, struct mfs_error *err);
enum mfs_err mfs_polygon_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				      const char *provider_symbol, struct mfs_fundamentals *out,
				      struct mfs_error *err);
enum mfs_err mfs_tiingo_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				     const char *provider_symbol, struct mfs_fundamentals *out,
				     struct mfs_error *err);

/* The bar ops of a provider that serves no bars (a stub while one is written). */
bool mfs_fund_no_bars(enum mfs_class cls, enum mfs_tf tf);
int64_t mfs_fund_no_bars_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now);

#endif
