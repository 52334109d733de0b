/*
 * Sidecar JSON (see sidecar.h), with jansson. Keys are written in a fixed
 * order and times as ISO 8601 UTC with Z, so two sidecars of the same
 * install differ only where the facts differ.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cache/sidecar.h"

/*
 * 16 significant digits: every value a provider sends in decimal (15-16
 * digits at most) comes out as sent, without the binary noise of 17
 * (0.0041, not 0.0041000000000000003).
 */
#define JSON_DIGITS 16

enum mfs_err mfs_json_render(json_t *o, char **out, size_t *len, struct mfs_error *err)
{
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					   JSON_REAL_PRECISION(JSON_DIGITS));

	if (!text)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	size_t n = strlen(text);
	char *t2 = realloc(text, n + 2);
	if (!t2) {
		free(text);
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	}
	t2[n] = '\n';
	t2[n + 1] = '\0';
	*out = t2;
	*len = n + 1;
	return MFS_OK;
}

static json_t *iso(int64_t t)
{
	char buf[32];

	mfs_format_iso8601(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *columns(bool adj)
{
	static const char *const cols[] = { "open", "high", "low", "close", "volume", "adj_close" };
	json_t *a = json_array();

	for (int i = 0; i < (adj ? 6 : 5); i++)
		json_array_append_new(a, json_string(cols[i]));
	return a;
}

/* Scores are shown to four decimals; more would be noise. */
static json_t *score(double s)
{
	return json_real(round(s * 10000.0) / 10000.0);
}

static void render_gaps(json_t *dq, const struct mfs_sidecar *sc)
{
	const struct mfs_gap_report *g = &sc->gap;
	json_t *list = json_array(), *totals = json_object();

	json_object_set_new(dq, "calendar", json_string(sc->calendar));
	json_object_set_new(dq, "expected_bars", json_integer((json_int_t)g->expected));
	json_object_set_new(dq, "present_bars", json_integer((json_int_t)g->present));
	json_object_set_new(dq, "unexpected_bars", json_integer((json_int_t)g->unexpected));
	for (size_t i = 0; i < g->n_listed; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "start", iso(g->list[i].start));
		json_object_set_new(e, "end", iso(g->list[i].end));
		json_object_set_new(e, "reason", json_string(mfs_gap_reason_name(g->list[i].reason)));
		if (g->list[i].bars)
			json_object_set_new(e, "bars", json_integer((json_int_t)g->list[i].bars));
		json_array_append_new(list, e);
	}
	json_object_set_new(dq, "gap_list", list);
	json_object_set_new(dq, "gap_list_total", json_integer((json_int_t)g->n_listable));
	for (int r = 0; r < MFS_GAP__COUNT; r++)
		json_object_set_new(totals, mfs_gap_reason_name((enum mfs_gap_reason)r),
				    json_integer((json_int_t)g->totals[r]));
	json_object_set_new(dq, "gap_totals", totals);
}

static void render_repairs(json_t *dq, const struct mfs_repair_report *r)
{
	json_t *rep = json_array(), *flags = json_array();

	for (size_t i = 0; i < r->n_repairs; i++)
		json_array_append_new(rep, json_string(r->repairs[i]));
	for (size_t i = 0; i < r->n_flags; i++)
		json_array_append_new(flags, json_string(r->flags[i]));
	json_object_set_new(dq, "repaired_bars", json_integer((json_int_t)r->repaired));
	json_object_set_new(dq, "repairs", rep);
	json_object_set_new(dq, "flags_total", json_integer((json_int_t)r->flagged));
	json_object_set_new(dq, "flags", flags);
}

enum mfs_err mfs_sidecar_render(const struct mfs_sidecar *sc, char **out, size_t *outlen,
				struct mfs_error *err)
{
	json_t *o = json_object(), *dq, *errs, *fi, *pi, *fetch, *tried, *mk;
	char close[8];

	if (!o)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	json_object_set_new(o, "symbol", json_string(sc->symbol));
	json_object_set_new(o, "timeframe", json_string(mfs_tf_name(sc->tf)));
	json_object_set_new(o, "year", json_integer(sc->year));
	json_object_set_new(o, "data_source", json_string(sc->data_source));
	json_object_set_new(o, "created_at", iso(sc->created_at));
	json_object_set_new(o, "last_updated", iso(sc->last_updated));
	json_object_set_new(o, "start_date", sc->rows ? iso(sc->first_t) : json_null());
	json_object_set_new(o, "end_date", sc->rows ? iso(sc->last_t) : json_null());

	dq = json_object();
	json_object_set_new(dq, "score", score(sc->quality.score));
	errs = json_array();
	for (size_t i = 0; i < sc->quality.n_listed; i++)
		json_array_append_new(errs, json_string(sc->quality.errors[i]));
	json_object_set_new(dq, "validation_errors", errs);
	json_object_set_new(dq, "validation_errors_total", json_integer((json_int_t)sc->quality.n_errors));
	json_object_set_new(dq, "null_rows", json_integer((json_int_t)sc->quality.null_rows));
	json_object_set_new(dq, "gaps", json_integer((json_int_t)sc->gaps));
	json_object_set_new(dq, "duplicates", json_integer((json_int_t)sc->quality.duplicates));
	if (sc->has_gap_report)
		render_gaps(dq, sc);
	render_repairs(dq, &sc->repair);
	json_object_set_new(o, "data_quality", dq);

	fi = json_object();
	json_object_set_new(fi, "format", json_string("csv.gz"));
	json_object_set_new(fi, "size_bytes", json_integer((json_int_t)sc->size_bytes));
	json_object_set_new(fi, "rows", json_integer((json_int_t)sc->rows));
	json_object_set_new(fi, "columns", columns(sc->adj_col));
	json_object_set_new(fi, "sha256", json_string(sc->sha256));
	json_object_set_new(o, "file_info", fi);

	pi = json_object();
	json_object_set_new(pi, "name", json_string(sc->data_source));
	json_object_set_new(pi, "reliability", score(sc->reliability));
	json_object_set_new(pi, "rate_limit", json_string(sc->rate_limit));
	json_object_set_new(o, "provider_info", pi);

	json_object_set_new(o, "adjustment", json_string("splits"));
	json_object_set_new(o, "stale_after", sc->stale_after ? iso(sc->stale_after) : json_null());

	fetch = json_object();
	json_object_set_new(fetch, "requests", json_integer(sc->requests));
	json_object_set_new(fetch, "duration_ms", json_integer(sc->duration_ms));
	tried = json_array();
	for (unsigned i = 0; i < sc->n_tried; i++) {
		json_t *t = json_object();
		json_object_set_new(t, "name", json_string(sc->tried[i].name));
		json_object_set_new(t, "result", json_string(sc->tried[i].result));
		json_array_append_new(tried, t);
	}
	json_object_set_new(fetch, "providers_tried", tried);
	json_object_set_new(o, "fetch", fetch);
	if (sc->derived_from[0])
		json_object_set_new(o, "derived_from", json_string(sc->derived_from));

	mk = json_object();
	json_object_set_new(mk, "class", json_string(sc->cls));
	json_object_set_new(mk, "timezone", json_string(sc->tz));
	snprintf(close, sizeof(close), "%02d:%02d", sc->close_minute / 60 % 100,
		 sc->close_minute % 60);
	json_object_set_new(mk, "session_close", json_string(close));
	json_object_set_new(o, "market", mk);

	enum mfs_err rc = mfs_json_render(o, out, outlen, err);
	json_decref(o);
	return rc;
}

static int get_time(json_t *o, const char *key, int64_t *t)
{
	json_t *v = json_object_get(o, key);

	if (json_is_null(v) || !v) {
		*t = 0;
		return 0;
	}
	return json_is_string(v) && mfs_parse_iso8601(json_string_value(v), t) ? 0 : -1;
}

static void get_str(json_t *o, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(o, key);

	snprintf(out, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

enum mfs_err mfs_sidecar_parse(const char *text, size_t len, struct mfs_sidecar *sc,
			       struct mfs_error *err)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	enum mfs_err rc = MFS_OK;

	memset(sc, 0, sizeof(*sc));
	sc->close_minute = -1;
	if (!o)
		return mfs_error_set(err, MFS_ERR_CORRUPT, "sidecar is not JSON: %s (line %d)",
				     je.text, je.line);
	if (!json_is_object(o)) {
		rc = mfs_error_set(err, MFS_ERR_CORRUPT, "sidecar is not a JSON object");
		goto out;
	}
	get_str(o, "symbol", sc->symbol, sizeof(sc->symbol));
	char tf[8];
	get_str(o, "timeframe", tf, sizeof(tf));
	sc->tf = mfs_tf_parse(tf);
	sc->year = (int)json_integer_value(json_object_get(o, "year"));
	get_str(o, "data_source", sc->data_source, sizeof(sc->data_source));
	json_t *fi = json_object_get(o, "file_info");
	json_t *dq = json_object_get(o, "data_quality");
	json_t *fetch = json_object_get(o, "fetch");
	json_t *mk = json_object_get(o, "market");
	if (sc->tf == MFS_TF_INVALID || !json_is_object(fi) ||
	    get_time(o, "created_at", &sc->created_at) < 0 ||
	    get_time(o, "last_updated", &sc->last_updated) < 0 ||
	    get_time(o, "stale_after", &sc->stale_after) < 0 ||
	    get_time(o, "start_date", &sc->first_t) < 0 ||
	    get_time(o, "end_date", &sc->last_t) < 0) {
		rc = mfs_error_set(err, MFS_ERR_CORRUPT, "sidecar lacks required fields");
		goto out;
	}
	get_str(fi, "sha256", sc->sha256, sizeof(sc->sha256));
	if (strlen(sc->sha256) != 64) {
		rc = mfs_error_set(err, MFS_ERR_CORRUPT, "sidecar has no valid file_info.sha256");
		goto out;
	}
	sc->rows = (size_t)json_integer_value(json_object_get(fi, "rows"));
	sc->size_bytes = (size_t)json_integer_value(json_object_get(fi, "size_bytes"));
	sc->adj_col = json_array_size(json_object_get(fi, "columns")) == 6;
	if (json_is_object(dq)) {
		sc->quality.score = json_number_value(json_object_get(dq, "score"));
		sc->quality.duplicates = (size_t)json_integer_value(json_object_get(dq, "duplicates"));
		sc->gaps = (size_t)json_integer_value(json_object_get(dq, "gaps"));
		if (json_object_get(dq, "expected_bars")) {
			sc->has_gap_report = true;
			sc->gap.expected =
				(size_t)json_integer_value(json_object_get(dq, "expected_bars"));
			sc->gap.present =
				(size_t)json_integer_value(json_object_get(dq, "present_bars"));
		}
	}
	if (json_is_object(fetch)) {
		sc->requests = (unsigned)json_integer_value(json_object_get(fetch, "requests"));
		sc->duration_ms = json_integer_value(json_object_get(fetch, "duration_ms"));
		json_t *tried = json_object_get(fetch, "providers_tried");
		for (size_t i = 0; i < json_array_size(tried) && sc->n_tried < MFS_SIDECAR_MAX_TRIED;
		     i++) {
			json_t *t = json_array_get(tried, i);
			get_str(t, "name", sc->tried[sc->n_tried].name, sizeof(sc->tried[0].name));
			get_str(t, "result", sc->tried[sc->n_tried].result,
				sizeof(sc->tried[0].result));
			sc->n_tried++;
		}
	}
	get_str(o, "derived_from", sc->derived_from, sizeof(sc->derived_from));
	if (json_is_object(mk)) {
		char close[8];
		unsigned hh, mm;
		get_str(mk, "class", sc->cls, sizeof(sc->cls));
		get_str(mk, "timezone", sc->tz, sizeof(sc->tz));
		get_str(mk, "session_close", close, sizeof(close));
		if (sscanf(close, "%2u:%2u", &hh, &mm) == 2 && hh < 24 && mm < 60)
			sc->close_minute = (int)(hh * 60 + mm);
	}
out:
	json_decref(o);
	return rc;
}
