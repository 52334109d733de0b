/*
 * Tiingo fundamentals (PROVIDERS.md section 5). The key goes in a header,
 * "Authorization: Token KEY", never in the URL. Two requests:
 *   /tiingo/daily/SYM                metadata: name, exchangeCode,
 *                                    description (the primary);
 *   /tiingo/fundamentals/SYM/daily   daily market cap and P/E, oldest
 *                                    first: the newest row is used and
 *                                    its date is as_of.
 * The fundamentals endpoints are a paid add-on: a 403 there (or any other
 * failure) keeps the metadata's fields, with as_of the fetch time. Tiingo
 * has no sector, industry, currency, shares, EPS or 52-week range here.
 *
 * Refusals come as {"detail": "..."} with 404 (unknown ticker), 401/403
 * (token, permission) or 429, and also as HTTP 200 PLAIN TEXT ("Error:
 * You have run over your daily request allocation.", "Error: Ticker 'X'
 * not found"), so the wording decides before the status does. Tiingo bars
 * come in a later issue.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/provider.h>

#include "fund_parse.h"
#include "yahoo.h"

#define PROV "tiingo"
#define PATH_MAX_BYTES 512
#define AUTH_MAX_BYTES 512
#define SYMBOL_MAX_BYTES 128

static enum mfs_err tiingo_refusal(long status, const char *text, const char *sym, const char *what,
				   struct mfs_error *err)
{
	char s[MFS_FUND_SNIPPET_MAX + 1];

	mfs_fund_snippet(text, text ? strlen(text) : 0, s, sizeof(s));
	/* hourly/daily request allocation, or the monthly "symbol look up" cap */
	if (status == 429 || mfs_fund_has(text, "run over") || mfs_fund_has(text, "allocation"))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
				     PROV ": %s: %s: rate limited (HTTP %ld: \"%s\")", sym, what,
				     status, s);
	if (status == 404 || mfs_fund_has(text, "not found"))
		return mfs_error_set(err, MFS_ERR_NOT_FOUND,
				     PROV ": %s: %s: unknown ticker (HTTP %ld: \"%s\")", sym, what,
				     status, s);
	if (status == 401 || status == 403 || mfs_fund_has(text, "permission") ||
	    mfs_fund_has(text, "token"))
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: %s: refused (HTTP %ld: \"%s\")", sym, what, status,
				     s);
	if (status >= 400 && status < 500)
		return mfs_error_set(err, MFS_ERR_PERMANENT, PROV ": %s: %s: HTTP %ld: \"%s\"", sym,
				     what, status, s);
	if (status == 200)
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: %s: unexpected answer: \"%s\"",
				     sym, what, s);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: %s: unexpected HTTP %ld: \"%s\"", sym,
			     what, status, s);
}

/*
 * Load a Tiingo answer into *root (the caller frees it), turning plain
 * text, {"detail": ...} and non-200 answers into errors.
 */
static enum mfs_err tiingo_load(long status, const char *body, size_t len, const char *sym,
				const char *what, json_t **root, struct mfs_error *err)
{
	const char *detail;
	enum mfs_err rc;

	*root = NULL;
	if (!mfs_http_body_is_json(body, len)) {
		char s[MFS_FUND_SNIPPET_MAX + 1];

		mfs_fund_snippet(body, len, s, sizeof(s));
		return tiingo_refusal(status, s, sym, what, err);
	}
	rc = mfs_fund_load(PROV, sym, status, body, len, root, err);
	if (rc != MFS_OK)
		return rc;
	detail = json_string_value(json_object_get(*root, "detail"));
	if (detail || status != 200)
		return tiingo_refusal(status, detail ? detail : "", sym, what, err);
	return MFS_OK;
}

enum mfs_err mfs_tiingo_parse_meta(long status, const char *body, size_t len, const char *symbol,
				   json_t *fields, json_t **raw, struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?";
	json_t *root;
	enum mfs_err rc;

	if (raw)
		*raw = NULL;
	rc = tiingo_load(status, body, len, sym, "metadata", &root, err);
	if (rc != MFS_OK)
		goto out;
	if (!json_is_object(root)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: metadata is not an object", sym);
		goto out;
	}
	if (!json_is_string(json_object_get(root, "ticker")) &&
	    !json_is_string(json_object_get(root, "name"))) {
		rc = mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: metadata without a ticker",
				   sym);
		goto out;
	}
	mfs_fund_set_str(fields, "name", json_string_value(json_object_get(root, "name")));
	mfs_fund_set_str(fields, "exchange",
			 json_string_value(json_object_get(root, "exchangeCode")));
	mfs_fund_set_str(fields, "description",
			 json_string_value(json_object_get(root, "description")));
	if (raw)
		*raw = json_incref(root);
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_tiingo_parse_daily(long status, const char *body, size_t len, const char *symbol,
				    json_t *fields, json_t **raw, struct mfs_error *err)
{
	const char *sym = symbol ? symbol : "?", *newest_date = "";
	json_t *root, *row, *newest = NULL;
	enum mfs_err rc;
	size_t i;

	if (raw)
		*raw = NULL;
	rc = tiingo_load(status, body, len, sym, "fundamentals", &root, err);
	if (rc != MFS_OK)
		goto out;
	if (!json_is_array(root)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: fundamentals is not an array",
				   sym);
		goto out;
	}
	/*
	 * Rows come oldest first, so the newest is the last; the dates are
	 * compared too (ISO strings sort as times), in case an answer ever
	 * comes newest first. On equal or missing dates the later row wins.
	 */
	json_array_foreach(root, i, row)
	{
		const char *d = json_string_value(json_object_get(row, "date"));

		if (!json_is_object(row))
			continue;
		if (!d)
			d = "";
		if (!newest || strcmp(d, newest_date) >= 0) {
			newest = row;
			newest_date = d;
		}
	}
	if (!newest) {
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, PROV ": %s: no fundamentals rows", sym);
		goto out;
	}
	mfs_fund_set_num(fields, "market_cap", json_object_get(newest, "marketCap"));
	mfs_fund_set_num(fields, "pe_ratio", json_object_get(newest, "peRatio"));
	mfs_fund_set_date(fields, "as_of", json_string_value(json_object_get(newest, "date")));
	if (raw)
		*raw = json_incref(newest);
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_tiingo_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
					  const char *key, const char *symbol,
					  const char *provider_symbol, struct mfs_fundamentals *out,
					  struct mfs_error *err)
{
	const char *psym;
	char esym[SYMBOL_MAX_BYTES], path[PATH_MAX_BYTES], auth[AUTH_MAX_BYTES];
	const char *headers[] = { auth, NULL };
	json_t *fields, *raw = NULL, *part = NULL;
	struct mfs_error e = { 0 };
	enum mfs_err rc;

	/* the key goes in a header, not the query: only the symbol is encoded */
	rc = mfs_fund_begin(PROV, key, symbol, provider_symbol, esym, sizeof(esym), NULL, 0,
			    &fields, &psym, err);
	if (rc != MFS_OK)
		return rc;
	/* a header value cannot hold a line break; a key with one is a config error */
	if (strpbrk(key, "\r\n") ||
	    snprintf(auth, sizeof(auth), "Authorization: Token %s", key) >= (int)sizeof(auth)) {
		explicit_bzero(auth, sizeof(auth));
		json_decref(fields);
		return mfs_error_set(err, MFS_ERR_CONFIG, PROV ": the API key is not usable");
	}
	raw = json_object();
	if (!raw) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, PROV ": %s: out of memory", psym);
		goto done;
	}

	snprintf(path, sizeof(path), "/tiingo/daily/%s", esym);
	rc = mfs_fund_request(get, ctx, path, headers, mfs_tiingo_parse_meta, psym, fields, &part, err);
	if (rc != MFS_OK)
		goto done;
	json_object_set_new(raw, "metadata", part);

	snprintf(path, sizeof(path), "/tiingo/fundamentals/%s/daily", esym);
	rc = mfs_fund_request(get, ctx, path, headers, mfs_tiingo_parse_daily, psym, fields, &part, &e);
	if (rc == MFS_OK) {
		json_object_set_new(raw, "fundamentals_daily", part);
	} else if (rc == MFS_ERR_CANCELLED) {
		mfs_error_set(err, rc, "%s", e.msg);
		goto done;
	} else {
		mfs_fund_secondary_failed(PROV, psym, "fundamentals", rc, &e, key);
	}

	rc = MFS_OK;
done:
	explicit_bzero(auth, sizeof(auth));
	return mfs_fund_end(rc, key, ctx->now, fields, raw, out, err);
}

enum mfs_err mfs_tiingo_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
					const char *provider_symbol, struct mfs_fundamentals *out,
					struct mfs_error *err)
{
	return mfs_tiingo_fundamentals_with(mfs_provider_get, ctx, mfs_provider_key(ctx->prov),
					    symbol, provider_symbol, out, err);
}
