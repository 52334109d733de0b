/*
 * Alpha Vantage fundamentals (PROVIDERS.md section 3): one request,
 * /query?function=OVERVIEW&symbol=SYM&apikey=KEY, answered with one flat
 * object whose values are all strings ("286748705000", "None", "-").
 *
 * Alpha Vantage answers every refusal with HTTP 200 and a one-key object,
 * told apart by key and wording: "Error Message" is an unknown symbol or
 * (when it names the apikey) a bad key; "Information" and "Note" are the
 * daily/minute throttle ("rate limit", "per day", "frequency", "spreading
 * out") or a premium gate ("premium"). The throttle text also says
 * "premium plans" and quotes the key back ("We have detected your API key
 * as ..."), so the throttle words are looked for first and the quoted key
 * is cut from messages. An unknown symbol may also come back as {}.
 *
 * Sector and industry are kept as sent: ALL CAPS since about 2024
 * ("TECHNOLOGY"), Title case before. Changing the case would invent
 * spellings ("Information Technology Services" vs the provider's own),
 * and combined.json records which provider a field came from. as_of is
 * LatestQuarter (the fiscal quarter the ratios are computed to), or the
 * fetch time without one. Alpha Vantage bars come in a later issue.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/provider.h>

#include "alphavantage.h"
#include "fund_parse.h"

#define PROV "alphavantage"
#define PATH_MAX_BYTES 1024
#define KEY_MAX_BYTES 512
#define SYMBOL_MAX_BYTES 128

/*
 * Refusals are read the same way for bars and fundamentals: the shared
 * words live in alphavantage.c (mfs_av_names_the_key, mfs_av_is_throttle,
 * mfs_av_redact_detected_key).
 */

static enum mfs_err av_status(long status, const char *text, const char *sym, struct mfs_error *err)
{
	if (status == 429 || mfs_av_is_throttle(text))
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, PROV ": %s: rate limited (HTTP %ld)",
				     sym, status);
	if (status == 401 || status == 403)
		return mfs_error_set(err, MFS_ERR_PERMANENT,
				     PROV ": %s: refused (HTTP %ld: \"%s\")", sym, status, text);
	if (status == 404)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: HTTP 404", sym);
	if (status == 200)
		return mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: answer is not JSON: \"%s\"",
				     sym, text);
	return mfs_error_set(err, MFS_ERR_SERVER, PROV ": %s: unexpected HTTP %ld (\"%s\")", sym,
			     status, text);
}

static const char *str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/*
 * A count or price that cannot be zero for a listed company: Alpha
 * Vantage writes "0" for some missing values, so 0 means unknown here.
 */
static void set_positive(json_t *fields, const char *key, json_t *o, const char *name)
{
	mfs_fund_set_num(fields, key, json_object_get(o, name));
	if (json_is_number(json_object_get(fields, key)) &&
	    json_number_value(json_object_get(fields, key)) == 0)
		json_object_set_new(fields, key, json_null());
}

enum mfs_err mfs_alphavantage_parse_overview(long status, const char *body, size_t len,
					     const char *symbol, json_t *fields, json_t **raw,
					     struct mfs_error *err)
{
	static const char *const refusals[] = { "Error Message", "Information", "Note", NULL };
	const char *sym = symbol ? symbol : "?";
	json_t *root = NULL;
	enum mfs_err rc;

	if (raw)
		*raw = NULL;
	if (!mfs_http_body_is_json(body, len)) {
		char text[MFS_FUND_SNIPPET_MAX + 8];

		mfs_fund_snippet(body, len, text, sizeof(text));
		mfs_av_redact_detected_key(text, sizeof(text));
		return av_status(status, text, sym, err);
	}
	rc = mfs_fund_load(PROV, sym, status, body, len, &root, err);
	if (rc != MFS_OK)
		return rc;
	if (!json_is_object(root)) {
		rc = mfs_error_set(err, MFS_ERR_PARSE, PROV ": %s: OVERVIEW is not an object", sym);
		goto out;
	}
	for (int i = 0; refusals[i]; i++) {
		const char *text = str(root, refusals[i]);
		if (text && !json_object_get(root, "Symbol")) {
			rc = mfs_av_refusal(refusals[i], text, sym, NULL, err);
			goto out;
		}
	}
	if (status != 200) {
		rc = av_status(status, "", sym, err);
		goto out;
	}
	if (!str(root, "Symbol") && !str(root, "Name")) {
		rc = mfs_error_set(err, MFS_ERR_NOT_FOUND, PROV ": %s: unknown symbol (%s)", sym,
				   json_object_size(root) ? "no Symbol" : "{}");
		goto out;
	}

	mfs_fund_set_str(fields, "name", str(root, "Name"));
	mfs_fund_set_str(fields, "exchange", str(root, "Exchange"));
	mfs_fund_set_str(fields, "currency", str(root, "Currency"));
	mfs_fund_set_str(fields, "sector", str(root, "Sector"));
	mfs_fund_set_str(fields, "industry", str(root, "Industry"));
	set_positive(fields, "market_cap", root, "MarketCapitalization");
	set_positive(fields, "shares_outstanding", root, "SharesOutstanding");
	set_positive(fields, "float_shares", root, "SharesFloat");
	set_positive(fields, "pe_ratio", root, "PERatio");
	mfs_fund_set_num(fields, "eps", json_object_get(root, "EPS"));
	mfs_fund_set_num(fields, "dividend_yield", json_object_get(root, "DividendYield"));
	mfs_fund_set_num(fields, "beta", json_object_get(root, "Beta"));
	set_positive(fields, "fifty_two_week_high", root, "52WeekHigh");
	set_positive(fields, "fifty_two_week_low", root, "52WeekLow");
	mfs_fund_set_str(fields, "description", str(root, "Description"));
	mfs_fund_set_str(fields, "website", str(root, "OfficialSite"));
	mfs_fund_set_date(fields, "as_of", str(root, "LatestQuarter"));
	if (raw)
		*raw = json_incref(root);
	rc = MFS_OK;
out:
	json_decref(root);
	return rc;
}

enum mfs_err mfs_alphavantage_fundamentals_with(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
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

	snprintf(path, sizeof(path), "/query?function=OVERVIEW&symbol=%s&apikey=%s", esym, ekey);
	rc = mfs_fund_request(get, ctx, path, NULL, mfs_alphavantage_parse_overview, psym, fields, &raw,
			  err);
	explicit_bzero(path, sizeof(path));
	explicit_bzero(ekey, sizeof(ekey));
	return mfs_fund_end(rc, key, ctx->now, fields, raw, out, err);
}

enum mfs_err mfs_alphavantage_fundamentals(struct mfs_fetch_ctx *ctx, const char *symbol,
				    const char *provider_symbol, struct mfs_fundamentals *out,
				    struct mfs_error *err)
{
	return mfs_alphavantage_fundamentals_with(mfs_provider_get, ctx,
						  mfs_provider_key(ctx->prov), symbol,
						  provider_symbol, out, err);
}
