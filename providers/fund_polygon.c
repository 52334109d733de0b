/*
 * Polygon (now Massive) fundamentals (PROVIDERS.md section 4): one
 * request, /v3/reference/tickers/SYM?apiKey=KEY, whose "results" object
 * gives the name, primary exchange (a MIC such as "XNAS", kept as sent),
 * currency ("usd", upper-cased), SIC description (used as the industry:
 * Polygon has no GICS sector, so sector stays null), market cap, shares
 * outstanding (the share class's, else the weighted count), description
 * and home page. P/E, EPS, float, beta, dividend yield and the 52-week
 * range are not in this answer and stay null.
 *
 * Refusals: 404 or status "NOT_FOUND" (unknown ticker), 403 status
 * "NOT_AUTHORIZED" and 401 "Unknown API Key" (permanent for this key),
 * 429 (the free plan's 5 a minute). Polygon bars come in a later issue.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/provider.h>

#include "fund_parse.h"
#include "polygon.h"

#define PROV "polygon"
#define PATH_MAX_BYTES 1024
#define KEY_MAX_BYTES 512
#define SYMBOL_MAX_BYTES 128
#define CURRENCY_MAX_BYTES 16

enum mfs_err mfs_polygon_parse_ticker(long status, const char *body, size_t len, const char *symbol,
				      json_t *fields, json_t **raw, struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	const char *pstatus, *text, *cur;
	json_t *root = NULL, *r, *shares;
	enum mfs_err rc;

	if (raw)
		*raw = NULL;
	if (!mfs_http_body_is_json(body, len)) {
		char s[MFS_FUND_SNIPPET_MAX + 1];

		mfs_fund_snippet(body, len, s, sizeof(s));
		if (status == 200)
			return mfs_error_set(err, MFS_ERR_PARSE,
					     PROV ": %s: answer is not JSON: \"%s\"", sym, s);
		return mfs_polygon_refusal(status, NULL, s, sym, err);
	}
	rc = mfs_fund_load(PROV, sym, status, body, len, &root, err);
	if (rc != MFS_OK)
		return rc;
	pstatus = json_string_value(json_object_get(root, "status"));
	text = json_string_value(json_object_get(root, "error"));
	if (!text)
		text = json_string_value(json_object_get(root, "message"));
	r = json_object_get(root, "results");
	if (status != 200 ||
	    (pstatus && strcmp(pstatus, "OK") != 0 && strcmp(pstatus, "DELAYED") != 0)) {
		rc = mfs_polygon_refusal(status, pstatus, text, sym, err);
		goto out;
	}
	if (!r || json_is_null(r)) {
		rc = mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: no results", sym);
		goto out;
	}
	if (!json_is_object(r)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: results is not an object", sym);
		goto out;
	}

	mfs_fund_set_str(fields, "name", json_string_value(json_object_get(r, "name")));
	mfs_fund_set_str(fields, "exchange",
			 json_string_value(json_object_get(r, "primary_exchange")));
	cur = json_string_value(json_object_get(r, "currency_name"));
	if (cur && strlen(cur) < CURRENCY_MAX_BYTES) {
		char up[CURRENCY_MAX_BYTES];
		size_t i;

		for (i = 0; cur[i]; i++)
			up[i] = (char)toupper((unsigned char)cur[i]);
		up[i] = '\0';
		mfs_fund_set_str(fields, "currency", up);
	}
	mfs_fund_set_str(fields, "industry",
			 json_string_value(json_object_get(r, "sic_description")));
	mfs_fund_set_num(fields, "market_cap", json_object_get(r, "market_cap"));
	shares = json_object_get(r, "share_class_shares_outstanding");
	if (!json_is_number(shares))
		shares = json_object_get(r, "weighted_shares_outstanding");
	mfs_fund_set_num(fields, "shares_outstanding", shares);
	mfs_fund_set_str(fields, "description",
			 json_string_value(json_object_get(r, "description")));
	mfs_fund_set_str(fields, "website", json_string_value(json_object_get(r, "homepage_url")));
	if (raw)
		*raw = json_incref(r);
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_polygon_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
					   const char *key, const char *symbol,
					   const char *provider_symbol,
					   struct mfs_fundamentals *out, struct mfs_error *err)
{
	const char *psym;
	char esym[SYMBOL_MAX_BYTES], ekey[KEY_MAX_BYTES], path[PATH_MAX_BYTES];
	json_t *fields, *raw = NULL;
	enum mfs_err rc;

	rc = mfs_fund_begin(PROV, key, symbol, provider_symbol, esym, sizeof(esym), ekey,
			    sizeof(ekey), &fields, &psym, err);
	if (rc != MFS_OK)
		return rc;

	snprintf(path, sizeof(path), "/v3/reference/tickers/%s?apiKey=%s", esym, ekey);
	rc = mfs_fund_request(get, ctx, path, NULL, mfs_polygon_parse_ticker, psym, fields, &raw, err);
	explicit_bzero(path, sizeof(path));
	explicit_bzero(ekey, sizeof(ekey));
	/* the reference answer carries no date (unless asked with ?date=): as_of is now */
	return mfs_fund_end(rc, key, ctx->now, fields, raw, out, err);
}

enum mfs_err mfs_polygon_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
					 const char *provider_symbol, struct mfs_fundamentals *out,
					 struct mfs_error *err)
{
	return mfs_polygon_fundamentals_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov),
					     symbol, provider_symbol, out, err);
}
