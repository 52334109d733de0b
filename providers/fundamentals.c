/*
 * Helpers every fundamentals parser shares: the common field set and the
 * tolerant setters that turn "None", "-" and numeric strings into JSON
 * null and numbers; and the start and end every keyed fetch shares
 * (mfs_fund_begin, mfs_fund_end).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <marketfs/provider.h>

#include "providers/fund_parse.h"
#include "providers/parse.h"

const char *const mfs_fund_fields[MFS_FUND_NFIELDS] = {
	"symbol",	   "name",	"exchange",	     "currency",
	"sector",	   "industry",	"market_cap",	     "shares_outstanding",
	"float_shares",	   "pe_ratio",	"eps",		     "dividend_yield",
	"beta",		   "fifty_two_week_high", "fifty_two_week_low", "description",
	"website",	   "as_of",
};

json_t *mfs_fund_new(const char *symbol)
{
	json_t *f = json_object();

	if (!f)
		return NULL;
	for (int i = 0; i < MFS_FUND_NFIELDS; i++)
		json_object_set_new(f, mfs_fund_fields[i], json_null());
	if (symbol)
		json_object_set_new(f, "symbol", json_string(symbol));
	return f;
}

void mfs_fund_set_str(json_t *fields, const char *key, const char *value)
{
	if (!value || mfs_parse_is_missing(value))
		return;
	json_object_set_new(fields, key, json_string(value));
}

void mfs_fund_set_double(json_t *fields, const char *key, double v)
{
	if (!isfinite(v))
		return;
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		json_object_set_new(fields, key, json_integer((json_int_t)v));
	else
		json_object_set_new(fields, key, json_real(v));
}

void mfs_fund_set_num(json_t *fields, const char *key, const json_t *v)
{
	double d;

	if (mfs_parse_number(v, MFS_NUM_STRINGS | MFS_NUM_MISSING, &d) == 0)
		mfs_fund_set_double(fields, key, d);
}

void mfs_fundamentals_free(struct mfs_fundamentals *f)
{
	json_decref(f->fields);
	json_decref(f->raw);
	f->fields = f->raw = NULL;
}

/* ---- shared by the fundamentals parsers (declared in fund_parse.h) ---- */

void mfs_fund_snippet(const char *text, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; text && i < len && o + 2 < outlen && o < MFS_FUND_SNIPPET_MAX; i++) {
		unsigned char c = (unsigned char)text[i];

		if (isspace(c)) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = (c < 0x20 || c == 0x7f || c == '"') ? '?' : (char)c;
	}
	out[o] = '\0';
}

bool mfs_fund_has(const char *text, const char *needle)
{
	return text && strcasestr(text, needle) != NULL;
}

enum mfs_err mfs_fund_load(const char *prov, const char *symbol, long status,
				     const char *body, size_t len, json_t **root,
				     struct mfs_error *err)
{
	json_error_t jerr;

	*root = json_loadb(body, len, 0, &jerr);
	if (!*root)
		return mfs_error_set(err, MFS_ERR_PARSE,
				     "%s: %s: malformed JSON (HTTP %ld): %s at line %d", prov,
				     symbol, status, jerr.text, jerr.line);
	return MFS_OK;
}

bool mfs_fund_set_date(json_t *fields, const char *key, const char *s)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0, oh = 0, om = 0;
	char buf[32];
	const char *p;
	int64_t t;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return false;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3 || n != 8)
			return false;
		p += 1 + n;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;
			n = 0;
			if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
				return false;
			oh *= sign, om *= sign;
			p += 1 + n;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	t = mfs_days_from_civil(y, (unsigned)mo, (unsigned)d) * MFS_SECONDS_PER_DAY + h * 3600 +
	    mi * 60 + se - (oh * 3600 + om * 60);
	mfs_format_iso8601(t, buf, sizeof(buf));
	json_object_set_new(fields, key, json_string(buf));
	return true;
}

void mfs_fund_default_as_of(json_t *fields, int64_t now)
{
	char buf[32];

	if (!json_is_null(json_object_get(fields, "as_of")))
		return;
	mfs_format_iso8601(now, buf, sizeof(buf));
	json_object_set_new(fields, "as_of", json_string(buf));
}

char *mfs_fund_redact_string(const char *s, const char *key)
{
	size_t klen = strlen(key), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(s, key); p; p = strstr(p + klen, key))
		n++;
	if (n == 0)
		return NULL;
	out = malloc(strlen(s) + n * 3 + 1);
	if (!out)
		return NULL;
	for (o = out, p = s;;) {
		const char *hit = strstr(p, key);
		size_t pre = hit ? (size_t)(hit - p) : strlen(p);
		memcpy(o, p, pre);
		o += pre;
		if (!hit)
			break;
		memcpy(o, "***", 3);
		o += 3;
		p = hit + klen;
	}
	*o = '\0';
	return out;
}

bool mfs_fund_is_secret_name(const char *name)
{
	static const char *const names[] = { "apikey", "api_key", "token", NULL };

	for (int i = 0; names[i]; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

void mfs_fund_scrub(json_t *v, const char *key)
{
	if (!v || !key || !*key)
		return;
	if (json_is_object(v)) {
		const char *name;
		json_t *child;
		void *tmp;

		json_object_foreach_safe(v, tmp, name, child)
		{
			if (mfs_fund_is_secret_name(name)) {
				json_object_del(v, name);
				continue;
			}
			if (json_is_string(child)) {
				const char *s = json_string_value(child);
				if (strcmp(s, key) == 0) {
					json_object_set_new(v, name, json_string("***"));
				} else if (strlen(key) >= MFS_FUND_KEY_SUBSTRING_MIN) {
					char *r = mfs_fund_redact_string(s, key);
					if (r)
						json_object_set_new(v, name, json_string(r));
					free(r);
				}
			} else {
				mfs_fund_scrub(child, key);
			}
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *child = json_array_get(v, i);
			if (json_is_string(child)) {
				const char *s = json_string_value(child);
				if (strcmp(s, key) == 0) {
					json_array_set_new(v, i, json_string("***"));
				} else if (strlen(key) >= MFS_FUND_KEY_SUBSTRING_MIN) {
					char *r = mfs_fund_redact_string(s, key);
					if (r)
						json_array_set_new(v, i, json_string(r));
					free(r);
				}
			} else {
				mfs_fund_scrub(child, key);
			}
		}
	}
}

void mfs_fund_scrub_msg(struct mfs_error *err, const char *key)
{
	char *r;

	/* any length: a mangled message is better than a leaked key */
	if (!err || !key || !*key)
		return;
	r = mfs_fund_redact_string(err->msg, key);
	if (r) {
		snprintf(err->msg, sizeof(err->msg), "%s", r);
		free(r);
	}
}

enum mfs_err mfs_fund_request(mfs_fund_get_fn get, struct mfs_fetch_ctx *ctx,
					const char *path, const char *const *headers,
					mfs_fund_parse_fn parse, const char *symbol, json_t *fields,
					json_t **raw, struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	enum mfs_err rc;

	resp.retry_after_s = -1;
	*raw = NULL;
	rc = get(ctx, path, headers, &resp, err);
	if (rc == MFS_OK)
		rc = parse(resp.status, resp.body, resp.len, symbol, fields, raw, err);
	mfs_http_response_free(&resp);
	return rc;
}

bool mfs_fund_secondary_failed(const char *prov, const char *symbol, const char *what,
					 enum mfs_err rc, struct mfs_error *e, const char *key)
{
	mfs_fund_scrub_msg(e, key);
	mfs_info("%s: %s: %s left out (%s): %s", prov, symbol, what, mfs_err_name(rc), e->msg);
	return rc != MFS_ERR_RATE_LIMIT && rc != MFS_ERR_TIMEOUT && rc != MFS_ERR_CANCELLED;
}

bool mfs_fund_encode(const char *prov, const char *what, const char *s, char *out,
			       size_t outlen, struct mfs_error *err)
{
	if (mfs_http_urlencode(s, out, outlen) < 0) {
		mfs_error_set(err, MFS_ERR_INVALID, "%s: %s too long", prov, what);
		return false;
	}
	return true;
}

enum mfs_err mfs_fund_begin(const char *prov, const char *key, const char *symbol,
			    const char *provider_symbol, char *esym, size_t esymlen, char *ekey,
			    size_t ekeylen, json_t **fields, const char **psym,
			    struct mfs_error *err)
{
	*psym = provider_symbol && *provider_symbol ? provider_symbol : symbol;
	*fields = NULL;
	if (!key || !*key)
		return mfs_error_set(err, MFS_ERR_CONFIG, "%s: no API key configured", prov);
	if (!mfs_fund_encode(prov, "symbol", *psym, esym, esymlen, err) ||
	    (ekey && !mfs_fund_encode(prov, "API key", key, ekey, ekeylen, err)))
		return MFS_ERR_INVALID;
	*fields = mfs_fund_new(symbol);
	if (!*fields) {
		if (ekey)
			explicit_bzero(ekey, ekeylen);
		return mfs_error_set(err, MFS_ERR_NOMEM, "%s: %s: out of memory", prov, *psym);
	}
	return MFS_OK;
}

enum mfs_err mfs_fund_end(enum mfs_err rc, const char *key, int64_t now, json_t *fields,
			  json_t *raw, struct mfs_fundamentals *out, struct mfs_error *err)
{
	if (rc != MFS_OK) {
		mfs_fund_scrub_msg(err, key);
		json_decref(fields);
		json_decref(raw);
		return rc;
	}
	mfs_fund_default_as_of(fields, now);
	mfs_fund_scrub(raw, key);
	mfs_error_clear(err);
	out->fields = fields;
	out->raw = raw;
	return MFS_OK;
}

bool mfs_fund_no_bars(enum mfs_class cls, enum mfs_tf tf)
{
	(void)cls, (void)tf;
	return false;
}

int64_t mfs_fund_no_bars_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	(void)cls, (void)tf, (void)now;
	return INT64_MAX;
}
