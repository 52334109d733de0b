/*
 * Unit tests for fundamentals at rest (cache/fundamentals.c) and the
 * shared field helpers (providers/fundamentals.c):
 *   - combined.json through the cache API: snapshot files written straight
 *     into CACHE/AAPL/fundamentals/, then mfs_cache_combined_json(): the
 *     default priority (FMP > Yahoo > Alpha Vantage > Polygon > Tiingo),
 *     a field missing higher up filled from the next provider, `sources`,
 *     `as_of` per field (the snapshot's own as_of, else its fetched_at),
 *     the newest snapshot of a provider winning over an older one, a custom
 *     fundamentals_priority, a provider left out of the list ignored, and
 *     no snapshots at all (every field null, stale_after null);
 *   - the listing helpers (newest snapshot per provider only);
 *   - mfs_fund_parse_name() on valid and invalid names;
 *   - mfs_fund_new(), mfs_fund_set_num(), mfs_fund_set_str().
 * Nothing here touches the network: the cache is opened, never started.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/provider.h>

#include "testutil.h"

static char basedir[128], tmpdir[256];
static struct mfs_config cfg;
static struct mfs_cache *cache;

/* ---- fixtures ------------------------------------------------------------ */

static void make_base(void)
{
	tu_tmpdir(basedir, sizeof(basedir), "/tmp/mfs_test_fundamentals.");
}

static void remove_base(void)
{
	tu_rmtree(basedir);
}

static void set_key(const char *key, const char *value)
{
	struct mfs_error err = { 0 };

	ck_assert_msg(mfs_config_set(&cfg, "marketfs", key, value, &err) == MFS_OK,
		      "mfs_config_set %s = %s: %s", key, value, err.msg);
}

/* A fresh config whose cache_dir is a new directory; the cache is opened later. */
static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "%s/t.", basedir);
	memset(&cfg, 0, sizeof(cfg));
	mfs_config_defaults(&cfg);
	set_key("cache_dir", tmpdir);
	cache = NULL;
}

static void teardown(void)
{
	if (cache) {
		char sentinel[512];
		snprintf(sentinel, sizeof(sentinel), "%s/_metadata/running.%ld", tmpdir, (long)getpid());
		ck_assert_msg(access(sentinel, F_OK) == 0, "no running sentinel while open");
		mfs_cache_close(cache);
		cache = NULL;
		/* a clean close removes the index's "running" sentinel */
		ck_assert_msg(access(sentinel, F_OK) != 0, "sentinel left after mfs_cache_close");
	}
	mfs_config_free(&cfg);
}

static void open_cache(void)
{
	struct mfs_error err = { 0 };

	cache = mfs_cache_open(&cfg, &err);
	ck_assert_msg(cache != NULL, "mfs_cache_open: %s", err.msg);
}

static void fund_dir(const char *symbol, char *out, size_t len)
{
	char sym[400];

	snprintf(sym, sizeof(sym), "%s/%s", tmpdir, symbol);
	mkdir(sym, 0755);
	snprintf(out, len, "%s/fundamentals", sym);
	mkdir(out, 0755);
}

/*
 * Write one snapshot in the documented shape: the common fields (null
 * unless given in `fields`, a JSON object text), provider, fetched_at and
 * raw.
 */
static void write_snapshot(const char *symbol, const char *name, const char *provider,
			   const char *fetched_at, const char *fields)
{
	json_error_t je;
	json_t *given = json_loads(fields, 0, &je);
	json_t *o = json_object();
	char dir[512], path[700];
	const char *k;
	json_t *v;

	ck_assert_msg(given != NULL, "bad fields JSON in the test: %s", je.text);
	for (int i = 0; i < MFS_FUND_NFIELDS; i++)
		json_object_set_new(o, mfs_fund_fields[i], json_null());
	json_object_set_new(o, "symbol", json_string(symbol));
	json_object_foreach(given, k, v)
		json_object_set(o, k, v);
	json_object_set_new(o, "provider", json_string(provider));
	json_object_set_new(o, "fetched_at", json_string(fetched_at));
	json_object_set_new(o, "raw", json_pack("{s:s}", "note", "provider's own answer"));
	fund_dir(symbol, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
	json_decref(o);
	json_decref(given);
}

/* combined.json of symbol, parsed; also checks that the text ends in '\n'. */
static json_t *combined(const char *symbol)
{
	struct mfs_error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *o;

	ck_assert_msg(mfs_cache_combined_json(cache, symbol, &text, &len, &err) == MFS_OK,
		      "mfs_cache_combined_json: %s", err.msg);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_uint_gt(len, 0);
	o = json_loadb(text, len, 0, &je);
	ck_assert_msg(o != NULL, "combined.json does not parse: %s\n%s", je.text, text);
	ck_assert(json_is_object(o));
	free(text);
	return o;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(v != NULL, "key %s missing", key);
	ck_assert_msg(json_is_string(v), "key %s is not a string", key);
	return json_string_value(v);
}

static void assert_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(v != NULL, "key %s missing", key);
	ck_assert_msg(json_is_null(v), "key %s: expected null", key);
}

/* value, source and as_of of one field */
static void assert_field_str(json_t *c, const char *key, const char *value, const char *source,
			     const char *as_of)
{
	ck_assert_str_eq(str(c, key), value);
	ck_assert_str_eq(str(json_object_get(c, "sources"), key), source);
	ck_assert_str_eq(str(json_object_get(c, "as_of"), key), as_of);
}

static void assert_field_num(json_t *c, const char *key, double value, const char *source,
			     const char *as_of)
{
	json_t *v = json_object_get(c, key);

	ck_assert_msg(v && json_is_number(v), "%s is not a number", key);
	ck_assert_double_eq_tol(json_number_value(v), value, 1e-9);
	ck_assert_str_eq(str(json_object_get(c, "sources"), key), source);
	ck_assert_str_eq(str(json_object_get(c, "as_of"), key), as_of);
}

static void assert_field_missing(json_t *c, const char *key)
{
	assert_null(c, key);
	assert_null(json_object_get(c, "sources"), key);
	assert_null(json_object_get(c, "as_of"), key);
}

/* the "snapshots" array: providers and names, in order */
static void assert_snapshots(json_t *c, const char *const *providers, const char *const *names,
			     size_t n)
{
	json_t *a = json_object_get(c, "snapshots");

	ck_assert_msg(json_is_array(a), "snapshots is not an array");
	ck_assert_uint_eq(json_array_size(a), n);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		ck_assert_str_eq(str(e, "provider"), providers[i]);
		ck_assert_str_eq(str(e, "snapshot"), names[i]);
		ck_assert(json_is_string(json_object_get(e, "fetched_at")));
	}
}

/* ---- combined.json ------------------------------------------------------- */

#define FMP_NAME "fmp_20250106_143022.json"
#define FMP_AT "2025-01-06T14:30:22Z"
#define YAHOO_NAME "yahoo_20250106_143045.json"
#define YAHOO_AT "2025-01-06T14:30:45Z"
#define AV_NAME "alphavantage_20250105_120000.json"
#define AV_AT "2025-01-05T12:00:00Z"
#define POLY_NAME "polygon_20250104_090000.json"
#define POLY_AT "2025-01-04T09:00:00Z"
#define TIINGO_NAME "tiingo_20250103_080000.json"
#define TIINGO_AT "2025-01-03T08:00:00Z"

/* five providers, each with some fields; FMP leaves name and beta out */
static void write_five(void)
{
	write_snapshot("AAPL", FMP_NAME, "fmp", FMP_AT,
		       "{\"sector\": \"Technology\", \"market_cap\": 3000000000000,"
		       " \"pe_ratio\": 30.5, \"exchange\": \"NASDAQ\","
		       " \"as_of\": \"2025-01-03T00:00:00Z\"}");
	write_snapshot("AAPL", YAHOO_NAME, "yahoo", YAHOO_AT,
		       "{\"name\": \"Apple Inc. (Yahoo)\", \"sector\": \"Yahoo Tech\","
		       " \"market_cap\": 2, \"beta\": 1.25, \"currency\": \"USD\"}");
	write_snapshot("AAPL", AV_NAME, "alphavantage", AV_AT,
		       "{\"name\": \"Apple AV\", \"eps\": 6.08, \"dividend_yield\": 0.0041,"
		       " \"beta\": 9.9, \"as_of\": \"2024-12-31T00:00:00Z\"}");
	write_snapshot("AAPL", POLY_NAME, "polygon", POLY_AT,
		       "{\"eps\": 1.0, \"website\": \"https://www.apple.com\","
		       " \"shares_outstanding\": 15000000000}");
	write_snapshot("AAPL", TIINGO_NAME, "tiingo", TIINGO_AT,
		       "{\"website\": \"https://tiingo.example\", \"float_shares\": 14900000000,"
		       " \"description\": \"Apple designs things.\","
		       " \"as_of\": \"2025-01-02T00:00:00Z\"}");
}

START_TEST(test_default_priority_and_fill)
{
	json_t *c;

	write_five();
	open_cache();
	c = combined("AAPL");
	ck_assert_str_eq(str(c, "symbol"), "AAPL");
	/* FMP first: its own as_of dates its fields */
	assert_field_str(c, "sector", "Technology", "fmp", "2025-01-03T00:00:00Z");
	assert_field_num(c, "market_cap", 3000000000000.0, "fmp", "2025-01-03T00:00:00Z");
	assert_field_num(c, "pe_ratio", 30.5, "fmp", "2025-01-03T00:00:00Z");
	assert_field_str(c, "exchange", "NASDAQ", "fmp", "2025-01-03T00:00:00Z");
	/* missing at FMP: Yahoo next; Yahoo has no as_of, so its fetched_at */
	assert_field_str(c, "name", "Apple Inc. (Yahoo)", "yahoo", YAHOO_AT);
	assert_field_num(c, "beta", 1.25, "yahoo", YAHOO_AT);
	assert_field_str(c, "currency", "USD", "yahoo", YAHOO_AT);
	/* then Alpha Vantage, Polygon, Tiingo */
	assert_field_num(c, "eps", 6.08, "alphavantage", "2024-12-31T00:00:00Z");
	assert_field_num(c, "dividend_yield", 0.0041, "alphavantage", "2024-12-31T00:00:00Z");
	assert_field_str(c, "website", "https://www.apple.com", "polygon", POLY_AT);
	assert_field_num(c, "shares_outstanding", 15000000000.0, "polygon", POLY_AT);
	assert_field_num(c, "float_shares", 14900000000.0, "tiingo", "2025-01-02T00:00:00Z");
	assert_field_str(c, "description", "Apple designs things.", "tiingo",
			 "2025-01-02T00:00:00Z");
	/* nobody has these */
	assert_field_missing(c, "industry");
	assert_field_missing(c, "fifty_two_week_high");
	assert_field_missing(c, "fifty_two_week_low");
	/* as_of is an object of per-field dates here, not a date */
	ck_assert(json_is_object(json_object_get(c, "as_of")));
	ck_assert(json_is_object(json_object_get(c, "sources")));
	/* every common field but symbol and as_of is present and sourced */
	for (int i = 0; i < MFS_FUND_NFIELDS; i++) {
		const char *k = mfs_fund_fields[i];
		if (!strcmp(k, "symbol") || !strcmp(k, "as_of"))
			continue;
		ck_assert_msg(json_object_get(c, k) != NULL, "field %s missing", k);
		ck_assert_msg(json_object_get(json_object_get(c, "sources"), k) != NULL,
			      "sources.%s missing", k);
		ck_assert_msg(json_object_get(json_object_get(c, "as_of"), k) != NULL,
			      "as_of.%s missing", k);
	}
	/* never the raw answers */
	ck_assert_ptr_null(json_object_get(c, "raw"));
	{
		const char *p[] = { "fmp", "yahoo", "alphavantage", "polygon", "tiingo" };
		const char *n[] = { FMP_NAME, YAHOO_NAME, AV_NAME, POLY_NAME, TIINGO_NAME };
		assert_snapshots(c, p, n, 5);
	}
	/* stale_after: the newest snapshot (Yahoo's) + the default TTL of 7 days */
	ck_assert_str_eq(str(c, "stale_after"), "2025-01-13T14:30:45Z");
	ck_assert_uint_eq(strlen(str(c, "generated_at")), 20);
	ck_assert(str(c, "generated_at")[19] == 'Z');
	json_decref(c);
}
END_TEST

START_TEST(test_null_and_absent_fields_fall_through)
{
	json_t *c;

	/* an explicit null at FMP does not hide Yahoo's value; 0 and "" are values */
	write_snapshot("AAPL", FMP_NAME, "fmp", FMP_AT,
		       "{\"sector\": null, \"dividend_yield\": 0, \"name\": \"Apple Inc.\"}");
	write_snapshot("AAPL", YAHOO_NAME, "yahoo", YAHOO_AT,
		       "{\"sector\": \"Technology\", \"dividend_yield\": 0.5, \"name\": \"Y\"}");
	open_cache();
	c = combined("AAPL");
	assert_field_str(c, "sector", "Technology", "yahoo", YAHOO_AT);
	assert_field_num(c, "dividend_yield", 0, "fmp", FMP_AT);
	assert_field_str(c, "name", "Apple Inc.", "fmp", FMP_AT);
	json_decref(c);
}
END_TEST

START_TEST(test_newest_snapshot_per_provider_wins)
{
	json_t *c;

	write_snapshot("AAPL", "fmp_20250101_000000.json", "fmp", "2025-01-01T00:00:00Z",
		       "{\"sector\": \"Old\", \"industry\": \"Old industry\"}");
	write_snapshot("AAPL", FMP_NAME, "fmp", FMP_AT, "{\"sector\": \"New\"}");
	write_snapshot("AAPL", "yahoo_20241231_235959.json", "yahoo", "2024-12-31T23:59:59Z",
		       "{\"industry\": \"Consumer Electronics\"}");
	/* not snapshots: ignored */
	{
		char dir[512], path[700];
		fund_dir("AAPL", dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/.fmp_20990101_000000.json.tmp.abc123", dir);
		tu_write_text(path, "{\"sector\": \"Temp\"}");
		snprintf(path, sizeof(path), "%s/notes.txt", dir);
		tu_write_text(path, "hello");
		snprintf(path, sizeof(path), "%s/fmp_20990101_000000.json.bak", dir);
		tu_write_text(path, "{}");
	}
	open_cache();
	c = combined("AAPL");
	assert_field_str(c, "sector", "New", "fmp", FMP_AT);
	/* the older FMP snapshot is not consulted at all: industry from Yahoo */
	assert_field_str(c, "industry", "Consumer Electronics", "yahoo", "2024-12-31T23:59:59Z");
	{
		const char *p[] = { "fmp", "yahoo" };
		const char *n[] = { FMP_NAME, "yahoo_20241231_235959.json" };
		assert_snapshots(c, p, n, 2);
	}
	ck_assert_str_eq(str(c, "stale_after"), "2025-01-13T14:30:22Z");
	json_decref(c);
}
END_TEST

static void collect(void *arg, const char *name)
{
	json_t *a = arg;

	json_array_append_new(a, json_string(name));
}

static bool listed(json_t *a, const char *name)
{
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!strcmp(json_string_value(json_array_get(a, i)), name))
			return true;
	return false;
}

START_TEST(test_listing_shows_the_newest_per_provider)
{
	json_t *a = json_array();

	write_snapshot("AAPL", "fmp_20250101_000000.json", "fmp", "2025-01-01T00:00:00Z", "{}");
	write_snapshot("AAPL", FMP_NAME, "fmp", FMP_AT, "{}");
	write_snapshot("AAPL", YAHOO_NAME, "yahoo", YAHOO_AT, "{}");
	open_cache();
	mfs_cache_fundamentals_list(cache, "AAPL", collect, a);
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert(listed(a, FMP_NAME));
	ck_assert(listed(a, YAHOO_NAME));
	ck_assert(mfs_cache_fundamentals_exists(cache, "AAPL", FMP_NAME));
	ck_assert(mfs_cache_fundamentals_exists(cache, "AAPL", YAHOO_NAME));
	ck_assert(!mfs_cache_fundamentals_exists(cache, "AAPL", "fmp_20250101_000000.json"));
	ck_assert(!mfs_cache_fundamentals_exists(cache, "AAPL", "combined.json"));
	ck_assert(!mfs_cache_fundamentals_exists(cache, "AAPL", "polygon_20250106_143022.json"));
	ck_assert(!mfs_cache_fundamentals_exists(cache, "MSFT", FMP_NAME));
	json_decref(a);
	a = json_array();
	mfs_cache_fundamentals_list(cache, "MSFT", collect, a);
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
}
END_TEST

START_TEST(test_custom_priority)
{
	json_t *c;

	set_key("fundamentals_priority", "polygon, yahoo");
	write_five();
	open_cache();
	c = combined("AAPL");
	/* polygon first, then yahoo; fmp, alphavantage and tiingo are ignored */
	assert_field_num(c, "eps", 1.0, "polygon", POLY_AT);
	assert_field_str(c, "website", "https://www.apple.com", "polygon", POLY_AT);
	assert_field_str(c, "sector", "Yahoo Tech", "yahoo", YAHOO_AT);
	assert_field_num(c, "market_cap", 2, "yahoo", YAHOO_AT);
	assert_field_str(c, "name", "Apple Inc. (Yahoo)", "yahoo", YAHOO_AT);
	assert_field_num(c, "beta", 1.25, "yahoo", YAHOO_AT);
	/* only FMP / AV / Tiingo have these: left out of the list, so null */
	assert_field_missing(c, "pe_ratio");
	assert_field_missing(c, "exchange");
	assert_field_missing(c, "dividend_yield");
	assert_field_missing(c, "float_shares");
	assert_field_missing(c, "description");
	{
		const char *p[] = { "polygon", "yahoo" };
		const char *n[] = { POLY_NAME, YAHOO_NAME };
		assert_snapshots(c, p, n, 2);
	}
	json_decref(c);
}
END_TEST

START_TEST(test_custom_priority_blank_separated_reversed)
{
	json_t *c;

	set_key("fundamentals_priority", "tiingo alphavantage fmp");
	write_five();
	open_cache();
	c = combined("AAPL");
	assert_field_str(c, "website", "https://tiingo.example", "tiingo", "2025-01-02T00:00:00Z");
	assert_field_str(c, "name", "Apple AV", "alphavantage", "2024-12-31T00:00:00Z");
	assert_field_num(c, "beta", 9.9, "alphavantage", "2024-12-31T00:00:00Z");
	assert_field_str(c, "sector", "Technology", "fmp", "2025-01-03T00:00:00Z");
	assert_field_missing(c, "currency"); /* only Yahoo's, which is not listed */
	assert_field_missing(c, "shares_outstanding"); /* only Polygon's */
	{
		const char *p[] = { "tiingo", "alphavantage", "fmp" };
		const char *n[] = { TIINGO_NAME, AV_NAME, FMP_NAME };
		assert_snapshots(c, p, n, 3);
	}
	json_decref(c);
}
END_TEST

START_TEST(test_custom_ttl_in_stale_after)
{
	json_t *c;

	set_key("fundamentals_ttl", "1h");
	write_snapshot("AAPL", FMP_NAME, "fmp", FMP_AT, "{\"sector\": \"Technology\"}");
	open_cache();
	c = combined("AAPL");
	ck_assert_str_eq(str(c, "stale_after"), "2025-01-06T15:30:22Z");
	json_decref(c);
}
END_TEST

START_TEST(test_no_snapshots)
{
	json_t *c;

	open_cache();
	c = combined("AAPL");
	ck_assert_str_eq(str(c, "symbol"), "AAPL");
	for (int i = 0; i < MFS_FUND_NFIELDS; i++) {
		const char *k = mfs_fund_fields[i];
		if (!strcmp(k, "symbol") || !strcmp(k, "as_of"))
			continue;
		assert_field_missing(c, k);
	}
	assert_null(c, "stale_after");
	ck_assert(json_is_array(json_object_get(c, "snapshots")));
	ck_assert_uint_eq(json_array_size(json_object_get(c, "snapshots")), 0);
	ck_assert(json_is_string(json_object_get(c, "generated_at")));
	json_decref(c);

	/* an empty fundamentals/ directory is the same */
	{
		char dir[512];
		fund_dir("MSFT", dir, sizeof(dir));
	}
	c = combined("MSFT");
	assert_field_missing(c, "name");
	assert_null(c, "stale_after");
	json_decref(c);
}
END_TEST

/* ---- mfs_fund_parse_name ------------------------------------------------- */

START_TEST(test_parse_name_valid)
{
	int prov = -1;
	int64_t t = 0;

	ck_assert(mfs_fund_parse_name("fmp_20250106_143022.json", &prov, &t));
	ck_assert_int_eq(prov, MFS_PROV_FMP);
	ck_assert_int_eq(t, 1736173822);
	ck_assert(mfs_fund_parse_name("yahoo_20250101_000000.json", &prov, &t));
	ck_assert_int_eq(prov, MFS_PROV_YAHOO);
	ck_assert_int_eq(t, 1735689600);
	ck_assert(mfs_fund_parse_name("alphavantage_20241231_235959.json", &prov, &t));
	ck_assert_int_eq(prov, MFS_PROV_ALPHAVANTAGE);
	ck_assert_int_eq(t, 1735689599);
	ck_assert(mfs_fund_parse_name("polygon_20200229_120000.json", &prov, &t));
	ck_assert_int_eq(prov, MFS_PROV_POLYGON);
	ck_assert_int_eq(t, 1582977600);
	ck_assert(mfs_fund_parse_name("tiingo_19700101_000001.json", &prov, &t));
	ck_assert_int_eq(prov, MFS_PROV_TIINGO);
	ck_assert_int_eq(t, 1);
}
END_TEST

START_TEST(test_parse_name_invalid)
{
	static const char *const bad[] = {
		"combined.json",
		"fmp.json",
		"fmp_.json",
		"_20250106_143022.json",
		"nosuch_20250106_143022.json",
		"FMP_20250106_143022.json",
		"fmp_20250106_143022.jsonx",
		"fmp_20250106_143022.json.tmp",
		"fmp_20250106_143022.txt",
		"fmp_20250106_143022",
		"fmp_2025016_143022.json",
		"fmp_20250106_14302.json",
		"fmp_20250106-143022.json",
		"fmp_20250106143022.json",
		"fmp_20251306_143022.json",   /* month 13 */
		"fmp_20250006_143022.json",   /* month 0 */
		"fmp_20250100_143022.json",   /* day 0 */
		"fmp_20250132_143022.json",   /* day 32 */
		"fmp_20250106_243022.json",   /* hour 24 */
		"fmp_20250106_146022.json",   /* minute 60 */
		"fmp_2025010a_143022.json",
		".fmp_20250106_143022.json.tmp.XXXXXX",
		"",
		NULL,
	};

	for (int i = 0; bad[i]; i++) {
		int prov = -1;
		int64_t t = 0;
		ck_assert_msg(!mfs_fund_parse_name(bad[i], &prov, &t), "accepted %s", bad[i]);
	}
}
END_TEST

/* ---- providers/fundamentals.c helpers ------------------------------------ */

START_TEST(test_fund_new)
{
	json_t *f = mfs_fund_new("AAPL");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(json_object_size(f), MFS_FUND_NFIELDS);
	ck_assert_int_eq(MFS_FUND_NFIELDS, 18);
	for (int i = 0; i < MFS_FUND_NFIELDS; i++) {
		json_t *v = json_object_get(f, mfs_fund_fields[i]);
		ck_assert_msg(v != NULL, "field %s missing", mfs_fund_fields[i]);
		if (!strcmp(mfs_fund_fields[i], "symbol"))
			ck_assert_str_eq(json_string_value(v), "AAPL");
		else
			ck_assert_msg(json_is_null(v), "field %s is not null", mfs_fund_fields[i]);
	}
	/* the documented field list, in order */
	{
		static const char *const want[18] = {
			"symbol", "name", "exchange", "currency", "sector", "industry",
			"market_cap", "shares_outstanding", "float_shares", "pe_ratio", "eps",
			"dividend_yield", "beta", "fifty_two_week_high", "fifty_two_week_low",
			"description", "website", "as_of"
		};
		for (int i = 0; i < 18; i++)
			ck_assert_str_eq(mfs_fund_fields[i], want[i]);
	}
	json_decref(f);
}
END_TEST

static json_t *num_from_string(const char *s)
{
	json_t *f = mfs_fund_new("X");
	json_t *v = json_string(s);
	json_t *out;

	mfs_fund_set_num(f, "eps", v);
	json_decref(v);
	out = json_incref(json_object_get(f, "eps"));
	json_decref(f);
	return out;
}

START_TEST(test_fund_set_num)
{
	static const char *const missing[] = { "None", "-", "", "abc", "12abc", "N/A", NULL };
	json_t *v, *f;

	for (int i = 0; missing[i]; i++) {
		v = num_from_string(missing[i]);
		ck_assert_msg(json_is_null(v), "\"%s\" did not give null", missing[i]);
		json_decref(v);
	}
	v = num_from_string("12.5");
	ck_assert(json_is_number(v));
	ck_assert_double_eq(json_number_value(v), 12.5);
	json_decref(v);
	v = num_from_string("1e3");
	ck_assert(json_is_number(v));
	ck_assert_double_eq(json_number_value(v), 1000.0);
	json_decref(v);
	v = num_from_string("-0.25");
	ck_assert(json_is_number(v));
	ck_assert_double_eq(json_number_value(v), -0.25);
	json_decref(v);
	v = num_from_string("3000000000000");
	ck_assert(json_is_number(v));
	ck_assert_double_eq(json_number_value(v), 3e12);
	json_decref(v);

	f = mfs_fund_new("X");
	/* JSON numbers */
	v = json_integer(42);
	mfs_fund_set_num(f, "market_cap", v);
	json_decref(v);
	ck_assert(json_is_number(json_object_get(f, "market_cap")));
	ck_assert_double_eq(json_number_value(json_object_get(f, "market_cap")), 42);
	v = json_real(1.25);
	mfs_fund_set_num(f, "beta", v);
	json_decref(v);
	ck_assert_double_eq(json_number_value(json_object_get(f, "beta")), 1.25);
	/* NULL, true, an object: left null */
	mfs_fund_set_num(f, "pe_ratio", NULL);
	ck_assert(json_is_null(json_object_get(f, "pe_ratio")));
	mfs_fund_set_num(f, "pe_ratio", json_true());
	ck_assert(json_is_null(json_object_get(f, "pe_ratio")));
	v = json_object();
	mfs_fund_set_num(f, "pe_ratio", v);
	json_decref(v);
	ck_assert(json_is_null(json_object_get(f, "pe_ratio")));
	/* a missing value never overwrites a value already set */
	v = json_string("None");
	mfs_fund_set_num(f, "beta", v);
	json_decref(v);
	ck_assert_double_eq(json_number_value(json_object_get(f, "beta")), 1.25);
	ck_assert_uint_eq(json_object_size(f), MFS_FUND_NFIELDS);
	json_decref(f);
}
END_TEST

START_TEST(test_fund_set_str)
{
	json_t *f = mfs_fund_new("X");

	mfs_fund_set_str(f, "sector", "None");
	ck_assert(json_is_null(json_object_get(f, "sector")));
	mfs_fund_set_str(f, "sector", "");
	ck_assert(json_is_null(json_object_get(f, "sector")));
	mfs_fund_set_str(f, "sector", "-");
	ck_assert(json_is_null(json_object_get(f, "sector")));
	mfs_fund_set_str(f, "sector", NULL);
	ck_assert(json_is_null(json_object_get(f, "sector")));
	mfs_fund_set_str(f, "sector", "Technology");
	ck_assert_str_eq(json_string_value(json_object_get(f, "sector")), "Technology");
	mfs_fund_set_str(f, "sector", "None");
	ck_assert_str_eq(json_string_value(json_object_get(f, "sector")), "Technology");
	mfs_fund_set_str(f, "name", "None of the above Inc.");
	ck_assert_str_eq(json_string_value(json_object_get(f, "name")), "None of the above Inc.");
	ck_assert_uint_eq(json_object_size(f), MFS_FUND_NFIELDS);
	json_decref(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fundamentals");
	TCase *tc = tcase_create("combined");

	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_default_priority_and_fill);
	tcase_add_test(tc, test_null_and_absent_fields_fall_through);
	tcase_add_test(tc, test_newest_snapshot_per_provider_wins);
	tcase_add_test(tc, test_listing_shows_the_newest_per_provider);
	tcase_add_test(tc, test_custom_priority);
	tcase_add_test(tc, test_custom_priority_blank_separated_reversed);
	tcase_add_test(tc, test_custom_ttl_in_stale_after);
	tcase_add_test(tc, test_no_snapshots);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_parse_name_valid);
	tcase_add_test(tc, test_parse_name_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_test(tc, test_fund_new);
	tcase_add_test(tc, test_fund_set_num);
	tcase_add_test(tc, test_fund_set_str);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
