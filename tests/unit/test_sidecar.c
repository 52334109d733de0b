/*
 * Unit tests for cache/sidecar.c: render then parse gives back every field
 * the parser reads; the rendered text is JSON (checked with jansson) with
 * every key of SPEC section 2, times in UTC with "Z", null dates for an
 * empty file and a null stale_after for a final one; and corrupt sidecars
 * are refused with MFS_ERR_CORRUPT.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <marketfs/err.h>
#include <marketfs/timeframe.h>

#include "cache/sidecar.h"

#define SHA "117bd35d5cf1e7d4c2a8f3b6e9d0a1b2c3d4e5f60718293a4b5c6d7e8f901234"

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm, int ss)
{
	return mfs_days_from_civil(y, m, d) * MFS_SECONDS_PER_DAY + hh * 3600 + mm * 60 + ss;
}

static void fill(struct mfs_sidecar *sc)
{
	memset(sc, 0, sizeof(*sc));
	strcpy(sc->symbol, "AAPL");
	sc->tf = MFS_TF_1D;
	sc->year = 2024;
	strcpy(sc->data_source, "yahoo");
	sc->created_at = utc(2024, 3, 1, 12, 0, 5);
	sc->last_updated = utc(2024, 11, 21, 19, 52, 33);
	sc->rows = 225;
	sc->first_t = utc(2024, 1, 2, 0, 0, 0);
	sc->last_t = utc(2024, 11, 20, 0, 0, 0);
	sc->quality.rows = 225;
	sc->quality.null_rows = 3;
	sc->quality.duplicates = 2;
	sc->quality.invalid = 1;
	sc->quality.n_errors = 1;
	sc->quality.n_listed = 1;
	strcpy(sc->quality.errors[0], "2024-05-06: high 9 below max(open 10, close 10)");
	sc->quality.score = 0.9884;
	sc->gaps = 4;
	sc->size_bytes = 5229;
	sc->adj_col = true;
	strcpy(sc->sha256, SHA);
	sc->stale_after = utc(2024, 11, 21, 22, 0, 0);
	sc->requests = 3;
	sc->duration_ms = 1234;
	sc->n_tried = 2;
	strcpy(sc->tried[0].name, "polygon");
	strcpy(sc->tried[0].result, "rate_limited");
	strcpy(sc->tried[1].name, "yahoo");
	strcpy(sc->tried[1].result, "ok");
	sc->reliability = 0.95;
	strcpy(sc->rate_limit, "60/60s");
	strcpy(sc->cls, "stock");
	strcpy(sc->tz, "America/New_York");
	sc->close_minute = 16 * 60;
}

static char *render(const struct mfs_sidecar *sc, size_t *len)
{
	struct mfs_error err = { 0 };
	char *text = NULL;

	ck_assert_int_eq(mfs_sidecar_render(sc, &text, len, &err), MFS_OK);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), *len);
	ck_assert_int_eq(text[*len - 1], '\n');
	return text;
}

START_TEST(test_round_trip)
{
	struct mfs_sidecar in, out;
	struct mfs_error err = { 0 };
	size_t len;
	char *text;

	fill(&in);
	text = render(&in, &len);
	ck_assert_int_eq(mfs_sidecar_parse(text, len, &out, &err), MFS_OK);
	ck_assert_str_eq(out.symbol, "AAPL");
	ck_assert_int_eq(out.tf, MFS_TF_1D);
	ck_assert_int_eq(out.year, 2024);
	ck_assert_str_eq(out.data_source, "yahoo");
	ck_assert_int_eq(out.created_at, in.created_at);
	ck_assert_int_eq(out.last_updated, in.last_updated);
	ck_assert_uint_eq(out.rows, 225);
	ck_assert_int_eq(out.first_t, in.first_t);
	ck_assert_int_eq(out.last_t, in.last_t);
	ck_assert_str_eq(out.sha256, SHA);
	ck_assert_uint_eq(out.size_bytes, 5229);
	ck_assert(out.adj_col);
	ck_assert_int_eq(out.stale_after, in.stale_after);
	ck_assert_uint_eq(out.requests, 3);
	ck_assert_int_eq(out.duration_ms, 1234);
	ck_assert_double_eq_tol(out.quality.score, 0.9884, 1e-9);
	ck_assert_uint_eq(out.quality.duplicates, 2);
	ck_assert_uint_eq(out.gaps, 4);
	ck_assert_str_eq(out.cls, "stock");
	ck_assert_str_eq(out.tz, "America/New_York");
	ck_assert_int_eq(out.close_minute, 960);
	free(text);

	/* the other values of the switches */
	fill(&in);
	strcpy(in.symbol, "BTCUSDT");
	in.tf = MFS_TF_1MO;
	in.year = 2019;
	strcpy(in.data_source, "binance");
	in.adj_col = false;
	in.stale_after = 0;
	strcpy(in.cls, "crypto");
	strcpy(in.tz, "UTC");
	in.close_minute = 9 * 60 + 30;
	text = render(&in, &len);
	ck_assert_int_eq(mfs_sidecar_parse(text, len, &out, &err), MFS_OK);
	ck_assert_str_eq(out.symbol, "BTCUSDT");
	ck_assert_int_eq(out.tf, MFS_TF_1MO);
	ck_assert_int_eq(out.year, 2019);
	ck_assert_str_eq(out.data_source, "binance");
	ck_assert(!out.adj_col);
	ck_assert_int_eq(out.stale_after, 0);
	ck_assert_str_eq(out.cls, "crypto");
	ck_assert_str_eq(out.tz, "UTC");
	ck_assert_int_eq(out.close_minute, 570);
	free(text);
}
END_TEST

static json_t *load(const char *text, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);

	ck_assert_msg(o != NULL, "rendered sidecar is not JSON: %s (line %d)", je.text, je.line);
	ck_assert(json_is_object(o));
	return o;
}

static json_t *key(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	ck_assert_msg(v != NULL, "key \"%s\" missing", k);
	return v;
}

static void assert_time(json_t *o, const char *k, int64_t want)
{
	json_t *v = key(o, k);
	const char *s;
	int64_t t;

	ck_assert_msg(json_is_string(v), "%s is not a string", k);
	s = json_string_value(v);
	ck_assert_msg(strlen(s) == 20 && s[19] == 'Z', "%s = \"%s\" is not ISO 8601 UTC", k, s);
	ck_assert(mfs_parse_iso8601(s, &t));
	ck_assert_int_eq(t, want);
}

START_TEST(test_spec_keys)
{
	struct mfs_sidecar in;
	size_t len;
	char *text;
	json_t *o, *dq, *fi, *pi, *fetch, *tried, *cols, *errs;

	fill(&in);
	text = render(&in, &len);
	o = load(text, len);

	ck_assert_str_eq(json_string_value(key(o, "symbol")), "AAPL");
	ck_assert_str_eq(json_string_value(key(o, "timeframe")), "1d");
	ck_assert(json_is_integer(key(o, "year")));
	ck_assert_int_eq(json_integer_value(key(o, "year")), 2024);
	ck_assert_str_eq(json_string_value(key(o, "data_source")), "yahoo");
	assert_time(o, "created_at", in.created_at);
	assert_time(o, "last_updated", in.last_updated);
	assert_time(o, "start_date", in.first_t);
	assert_time(o, "end_date", in.last_t);
	assert_time(o, "stale_after", in.stale_after);

	dq = key(o, "data_quality");
	ck_assert(json_is_object(dq));
	ck_assert(json_is_number(key(dq, "score")));
	ck_assert_double_eq_tol(json_number_value(key(dq, "score")), 0.9884, 1e-9);
	errs = key(dq, "validation_errors");
	ck_assert(json_is_array(errs));
	ck_assert_uint_eq(json_array_size(errs), 1);
	ck_assert_str_eq(json_string_value(json_array_get(errs, 0)), in.quality.errors[0]);
	ck_assert_int_eq(json_integer_value(key(dq, "gaps")), 4);
	ck_assert_int_eq(json_integer_value(key(dq, "duplicates")), 2);

	fi = key(o, "file_info");
	ck_assert(json_is_object(fi));
	ck_assert_str_eq(json_string_value(key(fi, "format")), "csv.gz");
	ck_assert_int_eq(json_integer_value(key(fi, "size_bytes")), 5229);
	ck_assert_int_eq(json_integer_value(key(fi, "rows")), 225);
	ck_assert_str_eq(json_string_value(key(fi, "sha256")), SHA);
	cols = key(fi, "columns");
	ck_assert(json_is_array(cols));
	ck_assert_uint_eq(json_array_size(cols), 6);
	ck_assert_str_eq(json_string_value(json_array_get(cols, 0)), "open");
	ck_assert_str_eq(json_string_value(json_array_get(cols, 5)), "adj_close");

	pi = key(o, "provider_info");
	ck_assert(json_is_object(pi));
	ck_assert_str_eq(json_string_value(key(pi, "name")), "yahoo");
	ck_assert_double_eq_tol(json_number_value(key(pi, "reliability")), 0.95, 1e-9);
	ck_assert_str_eq(json_string_value(key(pi, "rate_limit")), "60/60s");

	fetch = key(o, "fetch");
	ck_assert(json_is_object(fetch));
	ck_assert_int_eq(json_integer_value(key(fetch, "requests")), 3);
	ck_assert_int_eq(json_integer_value(key(fetch, "duration_ms")), 1234);
	tried = key(fetch, "providers_tried");
	ck_assert(json_is_array(tried));
	ck_assert_uint_eq(json_array_size(tried), 2);
	ck_assert_str_eq(json_string_value(key(json_array_get(tried, 0), "name")), "polygon");
	ck_assert_str_eq(json_string_value(key(json_array_get(tried, 0), "result")),
			 "rate_limited");
	ck_assert_str_eq(json_string_value(key(json_array_get(tried, 1), "name")), "yahoo");
	ck_assert_str_eq(json_string_value(key(json_array_get(tried, 1), "result")), "ok");
	json_decref(o);
	free(text);
}
END_TEST

START_TEST(test_final_and_empty)
{
	struct mfs_sidecar in, out;
	struct mfs_error err = { 0 };
	size_t len;
	char *text;
	json_t *o;

	fill(&in);
	in.stale_after = 0;
	in.rows = 0;
	in.adj_col = false;
	in.quality.n_listed = 0;
	text = render(&in, &len);
	o = load(text, len);
	ck_assert(json_is_null(key(o, "stale_after")));
	ck_assert(json_is_null(key(o, "start_date")));
	ck_assert(json_is_null(key(o, "end_date")));
	ck_assert_uint_eq(json_array_size(key(key(o, "file_info"), "columns")), 5);
	ck_assert_uint_eq(json_array_size(key(key(o, "data_quality"), "validation_errors")), 0);
	json_decref(o);

	ck_assert_int_eq(mfs_sidecar_parse(text, len, &out, &err), MFS_OK);
	ck_assert_int_eq(out.stale_after, 0);
	ck_assert_uint_eq(out.rows, 0);
	ck_assert_int_eq(out.first_t, 0);
	ck_assert_int_eq(out.last_t, 0);
	ck_assert(!out.adj_col);
	free(text);
}
END_TEST

/* Re-render a valid sidecar after edit(o) and expect MFS_ERR_CORRUPT. */
static void expect_corrupt_after(void (*edit)(json_t *o), const char *what)
{
	struct mfs_sidecar in, out;
	struct mfs_error err = { 0 };
	size_t len;
	char *text, *bad;
	json_t *o;

	fill(&in);
	text = render(&in, &len);
	o = load(text, len);
	edit(o);
	bad = json_dumps(o, 0);
	ck_assert_ptr_nonnull(bad);
	ck_assert_msg(mfs_sidecar_parse(bad, strlen(bad), &out, &err) == MFS_ERR_CORRUPT,
		      "%s: not refused as corrupt", what);
	ck_assert_int_eq(err.code, MFS_ERR_CORRUPT);
	ck_assert(err.msg[0] != '\0');
	free(bad);
	json_decref(o);
	free(text);
}

static void drop_sha(json_t *o)
{
	json_object_del(json_object_get(o, "file_info"), "sha256");
}

static void short_sha(json_t *o)
{
	json_object_set_new(json_object_get(o, "file_info"), "sha256", json_string("abc123"));
}

static void bad_created(json_t *o)
{
	json_object_set_new(o, "created_at", json_string("yesterday"));
}

static void bad_updated(json_t *o)
{
	json_object_set_new(o, "last_updated", json_string("2024-13-01T00:00:00Z"));
}

static void numeric_stale(json_t *o)
{
	json_object_set_new(o, "stale_after", json_integer(1700000000));
}

static void bad_tf(json_t *o)
{
	json_object_set_new(o, "timeframe", json_string("2d"));
}

static void no_file_info(json_t *o)
{
	json_object_del(o, "file_info");
}

START_TEST(test_parse_errors)
{
	struct mfs_sidecar out;
	struct mfs_error err = { 0 };
	static const char *const not_sidecars[] = { "", "{", "not json", "[1, 2, 3]",
						    "\"a string\"", "null" };

	for (size_t i = 0; i < sizeof(not_sidecars) / sizeof(not_sidecars[0]); i++) {
		mfs_error_clear(&err);
		ck_assert_msg(mfs_sidecar_parse(not_sidecars[i], strlen(not_sidecars[i]), &out,
						&err) == MFS_ERR_CORRUPT,
			      "\"%s\" accepted", not_sidecars[i]);
		ck_assert_int_eq(err.code, MFS_ERR_CORRUPT);
	}
	ck_assert_int_eq(mfs_sidecar_parse("{}", 2, &out, NULL), MFS_ERR_CORRUPT);
	expect_corrupt_after(drop_sha, "missing sha256");
	expect_corrupt_after(short_sha, "short sha256");
	expect_corrupt_after(bad_created, "bad created_at");
	expect_corrupt_after(bad_updated, "bad last_updated");
	expect_corrupt_after(numeric_stale, "numeric stale_after");
	expect_corrupt_after(bad_tf, "bad timeframe");
	expect_corrupt_after(no_file_info, "no file_info");
}
END_TEST

START_TEST(test_unknown_keys_ignored)
{
	struct mfs_sidecar in, out;
	struct mfs_error err = { 0 };
	size_t len;
	char *text, *more;
	json_t *o;

	fill(&in);
	text = render(&in, &len);
	o = load(text, len);
	json_object_set_new(o, "derived_from", json_string("1h"));
	json_object_set_new(o, "future_field", json_pack("{s:[i,i]}", "x", 1, 2));
	more = json_dumps(o, JSON_COMPACT);
	ck_assert_int_eq(mfs_sidecar_parse(more, strlen(more), &out, &err), MFS_OK);
	ck_assert_str_eq(out.sha256, SHA);
	ck_assert_int_eq(out.last_updated, in.last_updated);
	free(more);
	json_decref(o);
	free(text);
}
END_TEST

static Suite *sidecar_suite(void)
{
	Suite *s = suite_create("sidecar");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_spec_keys);
	tcase_add_test(tc, test_final_and_empty);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_unknown_keys_ignored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sidecar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
