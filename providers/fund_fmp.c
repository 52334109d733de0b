/*
 * Financial Modeling Prep fundamentals (PROVIDERS.md section 6), from the
 * /stable API (the /api/v3 paths answer new keys with "Legacy Endpoint").
 *
 * Three requests per symbol, all with the key as apikey= in the query:
 *   /stable/profile      name, exchange, currency, sector, industry,
 *                        market cap, beta, 52-week range, description,
 *                        website (the primary: [] means unknown symbol);
 *   /stable/ratios-ttm   P/E, dividend yield (a fraction), and EPS as
 *                        netIncomePerShareTTM;
 *   /stable/shares-float float and outstanding shares.
 * The two secondaries are optional: when one fails (a plan gate, the
 * daily limit, a bad body), the profile's fields are still returned. EPS
 * is not fetched from /stable/key-metrics: its annual rows carry no per-
 * share earnings, and a fourth request would cost a fifth more of the
 * free plan's 250 a day; without ratios-ttm eps stays null.
 *
 * FMP refuses in many shapes: {"Error Message": "Limit Reach ..."} with
 * HTTP 429 or 200 (throttle), "Legacy Endpoint" or "Invalid API KEY" with
 * 401/403 and plain text "Premium Query Parameter ..." with 402 (gates,
 * permanent for this key). FMP has no bars here yet (a later issue).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "fund_parse.h"
#include "yahoo.h"

#define PROV "fmp"
#define PATH_MAX_BYTES 1024
#define KEY_MAX_BYTES 512
#define SYMBOL_MAX_BYTES 128

/* A refusal, from its text (the "Error Message" or a plain body) and status. */
static enum mfs_err fmp_refusal(long status, const char *text, const char *sym, const char *what,
				struct mfs_error *err)
{
	char s[MFS_FUND_SNIPPET_MAX + 1];

	mfs_fund_snippet(text, text ? strlen(text) : 0, s, sizeof(s));
	if (mfs_fund_has(text, "Limit Reach") || status == 429)
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: %s: rate limited (HTTP %ld: \"%s\")", sym, what,
				     status, s);
	if (mfs_fund_has(text, "Legacy Endpoint"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: %s: legacy endpoint (HTTP %ld)", sym, what,
				     status);
	if (mfs_fund_has(text, "Invalid API KEY") || status == 401 || status == 403)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: %s: key refused (HTTP %ld: \"%s\")", sym, what,
				     status, s);
	if (status == 402 || mfs_fund_has(text, "Premium") || mfs_fund_has(text, "Restricted Endpoint"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: %s: not in this plan (HTTP %ld: \"%s\")", sym,
				     what, status, s);
	if (status == 404)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: %s: HTTP 404 (\"%s\")",
				     sym, what, s);
	if (status >= 400 && status < 500)
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: %s: HTTP %ld (\"%s\")",
				     sym, what, status, s);
	if (status == 200 && text)
		/* an "Error Message" we do not know: FMP refuses, retrying won't help */
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: %s: refused: \"%s\"", sym,
				     what, s);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: %s: unexpected HTTP %ld", sym, what,
			     status);
}

/*
 * Load an FMP answer and return its first object (a borrowed reference
 * into *root, which the caller frees): FMP wraps every answer in an array.
 * An empty array gives MFS_ERR_NOT_FOUND here; the caller may soften it.
 */
static enum mfs_err fmp_first(long status, const char *body, size_t len, const char *sym,
			      const char *what, json_t **root, json_t **obj, struct mfs_error *err)
{
	enum mfs_err rc;
	json_t *msg;

	*root = *obj = NULL;
	if (!mfs_http_body_is_json(body, len)) {
		char text[MFS_FUND_SNIPPET_MAX + 1];

		mfs_fund_snippet(body, len, text, sizeof(text));
		if (status == 200 && !mfs_fund_has(text, "Limit Reach"))
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: %s: answer is not JSON: \"%s\"", sym, what,
					     text);
		return fmp_refusal(status, text, sym, what, err);
	}
	rc = mfs_fund_load(PROV, sym, status, body, len, root, err);
	if (rc != MFS_OK)
		return rc;
	msg = json_object_get(*root, "Error Message");
	if (json_is_string(msg))
		return fmp_refusal(status, json_string_value(msg), sym, what, err);
	if (status != 200)
		return fmp_refusal(status, NULL, sym, what, err);
	if (json_is_array(*root)) {
		if (json_array_size(*root) == 0)
			return mfs_error_set(err, MFS_ERR_NOT_FOUND,
					     PROV ": %s: %s: no such symbol ([])", sym, what);
		*obj = json_array_get(*root, 0);
	} else {
		*obj = *root; /* tolerate an unwrapped object */
	}
	if (!json_is_object(*obj))
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: %s: expected an object", sym,
				     what);
	return MFS_OK;
}

/* First member of names that is a non-empty string, or NULL. */
static const char *str_any(json_t *obj, const char *const *names)
{
	for (int i = 0; names[i]; i++) {
		const char *s = json_string_value(json_object_get(obj, names[i]));
		if (s && *s)
			return s;
	}
	return NULL;
}

/* First member of names present and not null, or NULL. */
static json_t *get_any(json_t *obj, const char *const *names)
{
	for (int i = 0; names[i]; i++) {
		json_t *v = json_object_get(obj, names[i]);
		if (v && !json_is_null(v))
			return v;
	}
	return NULL;
}

bool mfs_fmp_parse_range(const char *range, double *low, double *high)
{
	const char *p = range;
	char *end;
	double a, b;

	if (!range)
		return false;
	a = strtod(p, &end);
	if (end == p)
		return false;
	for (p = end; *p == ' '; p++)
		;
	if (*p != '-')
		return false;
	p++;
	b = strtod(p, &end);
	if (end == p || !isfinite(a) || !isfinite(b))
		return false;
	for (p = end; *p == ' '; p++)
		;
	if (*p != '\0')
		return false;
	*low = a < b ? a : b;
	*high = a < b ? b : a;
	return true;
}

static void keep_raw(json_t *obj, json_t **raw)
{
	if (raw)
		*raw = json_incref(obj);
}

enum mfs_err mfs_fmp_parse_profile(long status, const char *body, size_t len, const char *symbol,
				   json_t *fields, json_t **raw, struct mfs_error *err)
{
	static const char *const exchange[] = { "exchange", "exchangeShortName", "exchangeFullName",
						NULL };
	static const char *const cap[] = { "marketCap", "mktCap", NULL };
	const char *sym = symbol ? symbol : "?";
	json_t *root, *p;
	double low, high;
	enum mfs_err rc;

	if (raw)
		*raw = NULL;
	rc = fmp_first(status, body, len, sym, "profile", &root, &p, err);
	if (rc != MFS_OK)
		goto out;
	mfs_fund_set_str(fields, "name", json_string_value(json_object_get(p, "companyName")));
	mfs_fund_set_str(fields, "exchange", str_any(p, exchange));
	mfs_fund_set_str(fields, "currency", json_string_value(json_object_get(p, "currency")));
	mfs_fund_set_str(fields, "sector", json_string_value(json_object_get(p, "sector")));
	mfs_fund_set_str(fields, "industry", json_string_value(json_object_get(p, "industry")));
	mfs_fund_set_num(fields, "market_cap", get_any(p, cap));
	mfs_fund_set_num(fields, "beta", json_object_get(p, "beta"));
	if (mfs_fmp_parse_range(json_string_value(json_object_get(p, "range")), &low, &high)) {
		mfs_fund_set_double(fields, "fifty_two_week_low", low);
		mfs_fund_set_double(fields, "fifty_two_week_high", high);
	}
	mfs_fund_set_str(fields, "description",
			 json_string_value(json_object_get(p, "description")));
	mfs_fund_set_str(fields, "website", json_string_value(json_object_get(p, "website")));
	keep_raw(p, raw);
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_fmp_parse_ratios_ttm(long status, const char *body, size_t len, const char *symbol,
				      json_t *fields, json_t **raw, struct mfs_error *err)
{
	/* older answers spell it peRatioTTM and (sic) dividendYielTTM */
	static const char *const pe[] = { "priceToEarningsRatioTTM", "peRatioTTM", NULL };
	static const char *const dy[] = { "dividendYieldTTM", "dividendYielTTM", NULL };
	const char *sym = symbol ? symbol : "?";
	json_t *root, *r;
	enum mfs_err rc;

	if (raw)
		*raw = NULL;
	rc = fmp_first(status, body, len, sym, "ratios-ttm", &root, &r, err);
	if (rc == MFS_ERR_NOT_FOUND && json_is_array(root))
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: ratios-ttm: no rows", sym);
	if (rc != MFS_OK)
		goto out;
	mfs_fund_set_num(fields, "pe_ratio", get_any(r, pe));
	mfs_fund_set_num(fields, "dividend_yield", get_any(r, dy));
	mfs_fund_set_num(fields, "eps", json_object_get(r, "netIncomePerShareTTM"));
	keep_raw(r, raw);
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_fmp_parse_shares_float(long status, const char *body, size_t len,
					const char *symbol, json_t *fields, json_t **raw,
					struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	json_t *root, *r, *ff;
	enum mfs_err rc;

	if (raw)
		*raw = NULL;
	rc = fmp_first(status, body, len, sym, "shares-float", &root, &r, err);
	if (rc == MFS_ERR_NOT_FOUND && json_is_array(root))
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: shares-float: no rows", sym);
	if (rc != MFS_OK)
		goto out;
	mfs_fund_set_num(fields, "shares_outstanding", json_object_get(r, "outstandingShares"));
	mfs_fund_set_num(fields, "float_shares", json_object_get(r, "floatShares"));
	/*
	 * freeFloat is a PERCENT (96.71), never the share count nor a
	 * fraction: used only to derive the float when floatShares is absent.
	 */
	ff = json_object_get(r, "freeFloat");
	if (json_is_null(json_object_get(fields, "float_shares")) && json_is_number(ff) &&
	    json_is_number(json_object_get(fields, "shares_outstanding"))) {
		double pct = json_number_value(ff);
		double out = json_number_value(json_object_get(fields, "shares_outstanding"));
		if (pct > 0 && pct <= 100)
			mfs_fund_set_double(fields, "float_shares", round(out * pct / 100.0));
	}
	keep_raw(r, raw);
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_fmp_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
				       const char *key, const char *symbol,
				       const char *provider_symbol, struct mfs_fundamentals *out,
				       struct mfs_error *err)
{
	static const struct {
		const char *endpoint, *raw_name;
		mfs_fund_parse_fn parse;
	} secondary[] = {
		{ "ratios-ttm", "ratios_ttm", mfs_fmp_parse_ratios_ttm },
		{ "shares-float", "shares_float", mfs_fmp_parse_shares_float },
	};
	const char *psym;
	char esym[SYMBOL_MAX_BYTES], ekey[KEY_MAX_BYTES], path[PATH_MAX_BYTES];
	json_t *fields, *raw = NULL, *part = NULL;
	enum mfs_err rc;

	rc = mfs_fund_begin(PROV, key, symbol, provider_symbol, esym, sizeof(esym), ekey,
			    sizeof(ekey), &fields, &psym, err);
	if (rc != MFS_OK)
		return rc;
	raw = json_object();
	if (!raw) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, PROV ": %s: out of memory", psym);
		goto done;
	}

	snprintf(path, sizeof(path), "/stable/profile?symbol=%s&apikey=%s", esym, ekey);
	rc = mfs_fund_request(get, ctx, path, NULL, mfs_fmp_parse_profile, psym, fields, &part, err);
	if (rc != MFS_OK)
		goto done;
	json_object_set_new(raw, "profile", part);

	for (size_t i = 0; i < sizeof(secondary) / sizeof(secondary[0]); i++) {
		struct mfs_error e = { 0 };

		snprintf(path, sizeof(path), "/stable/%s?symbol=%s&apikey=%s",
			 secondary[i].endpoint, esym, ekey);
		rc = mfs_fund_request(get, ctx, path, NULL, secondary[i].parse, psym, fields, &part,
				  &e);
		if (rc == MFS_ERR_CANCELLED) {
			mfs_error_set(err, rc, "%s", e.msg);
			goto done;
		}
		if (rc == MFS_OK)
			json_object_set_new(raw, secondary[i].raw_name, part);
		else if (!mfs_fund_secondary_failed(PROV, psym, secondary[i].endpoint, rc, &e, key))
			break;
	}

	rc = MFS_OK;
done:
	explicit_bzero(path, sizeof(path));
	explicit_bzero(ekey, sizeof(ekey));
	return mfs_fund_end(rc, key, ctx->now, fields, raw, out, err);
}

enum mfs_err mfs_fmp_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				     const char *provider_symbol, struct mfs_fundamentals *out,
				     struct mfs_error *err)
{
	return mfs_fmp_fundamentals_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov), symbol,
					 provider_symbol, out, err);
}
