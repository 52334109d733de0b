/*
 * Unit tests for fs/config.c and fs/config_values.c: defaults, a complete
 * file, every error path (each must name the file, the line and the key),
 * the watch list, durations and rate limits, fundamentals settings, the
 * eviction and maintenance keys (sizes, times of day), API
 * keys (the file-mode rule of SPEC section 4, the environment, and that
 * no message ever shows a key), mfs_config_set() and mfs_config_free().
 *
 * Files are written into a fresh mkdtemp() directory per test. When the
 * tests run as root, the non-root defaults are checked with seteuid() to
 * an unprivileged uid inside the (forked) test and restored after it.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <marketfs/config.h>
#include <marketfs/symbol.h>
#include <marketfs/limits.h>

#include "testutil.h"

#define NOBODY_UID 65534

static char tmpdir[256];
static char conf_path[320];

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "%s/mfs-config-",
		  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	chmod(tmpdir, 0755); /* readable after seteuid(NOBODY_UID) */
	snprintf(conf_path, sizeof(conf_path), "%s/marketfs.conf", tmpdir);
}

static void teardown(void)
{
	tu_rmtree(tmpdir);
}

static const char *write_conf(const char *text)
{
	tu_write_text(conf_path, text);
	/* Whatever the umask: the secrets rule depends on the mode. */
	ck_assert_int_eq(chmod(conf_path, 0644), 0);
	return conf_path;
}

static const char *write_conf_mode(const char *text, mode_t mode)
{
	write_conf(text);
	ck_assert_int_eq(chmod(conf_path, mode), 0);
	return conf_path;
}

/* The defaults of every provider, as docs/configuration.md lists them. */
static const struct {
	const char *name;
	const char *base_url;
	double rate_tokens, rate_period_s;
} provider_defaults[MFS_PROV__COUNT] = {
	[MFS_PROV_YAHOO] = { "yahoo", "https://query2.finance.yahoo.com", 60, 60 },
	[MFS_PROV_BINANCE] = { "binance", "https://data-api.binance.vision", 1200, 60 },
	[MFS_PROV_FMP] = { "fmp", "https://financialmodelingprep.com", 250, 86400 },
	[MFS_PROV_ALPHAVANTAGE] = { "alphavantage", "https://www.alphavantage.co", 25, 86400 },
	[MFS_PROV_POLYGON] = { "polygon", "https://api.polygon.io", 5, 60 },
	[MFS_PROV_TIINGO] = { "tiingo", "https://api.tiingo.com", 50, 3600 },
	[MFS_PROV_ALPACA] = { "alpaca", "https://data.alpaca.markets", 200, 60 },
	[MFS_PROV_FIRSTRATE] = { "firstrate", "https://firstratedata.com", 30, 60 },
	[MFS_PROV_MIRROR] = { "mirror", "", 600, 60 },
};

static void check_provider_defaults(const struct mfs_config *c, int i)
{
	const struct mfs_provider_conf *pc = &c->provider[i];

	ck_assert_str_eq(mfs_provider_name((enum mfs_provider_id)i), provider_defaults[i].name);
	ck_assert(pc->enabled);
	ck_assert_str_eq(pc->base_url, provider_defaults[i].base_url);
	ck_assert_double_eq(pc->rate_tokens, provider_defaults[i].rate_tokens);
	ck_assert_double_eq(pc->rate_period_s, provider_defaults[i].rate_period_s);
	ck_assert(!pc->allow_insecure);
	ck_assert_ptr_null(pc->user_agent);
	ck_assert_ptr_null(pc->api_key);
	ck_assert_ptr_null(pc->cookie_url);
}

/* ---- defaults ---------------------------------------------------------- */

static void check_defaults_except_cache(const struct mfs_config *c)
{
	ck_assert_ptr_null(c->path);
	ck_assert_int_eq(c->history_start, 2000);
	ck_assert_int_eq(c->fetch_timeout_s, 120);
	ck_assert_int_eq(c->negative_ttl_s, 3600);
	ck_assert_int_eq(c->max_parallel_fetches, 4);
	ck_assert_int_eq(c->fuse_threads, 64);
	ck_assert_int_eq(c->max_age_s, 0);
	ck_assert_double_eq(c->min_quality, 0.5);
	ck_assert(!c->offline);
	ck_assert_ptr_null(c->watch);
	ck_assert_uint_eq(c->n_watch, 0);

	/* SPEC section 2: 7 days; FMP > Yahoo > Alpha Vantage > Polygon > others */
	ck_assert_int_eq(c->fundamentals_ttl_s, 7 * 86400);
	ck_assert_uint_eq(c->n_fundamentals_priority, 5);
	ck_assert_int_eq(c->fundamentals_priority[0], MFS_PROV_FMP);
	ck_assert_int_eq(c->fundamentals_priority[1], MFS_PROV_YAHOO);
	ck_assert_int_eq(c->fundamentals_priority[2], MFS_PROV_ALPHAVANTAGE);
	ck_assert_int_eq(c->fundamentals_priority[3], MFS_PROV_POLYGON);
	ck_assert_int_eq(c->fundamentals_priority[4], MFS_PROV_TIINGO);

	/* eviction and maintenance (SPEC section 6) */
	ck_assert_int_eq(c->cache_max_size, 0);
	ck_assert_int_eq(c->free_space_floor, 0);
	ck_assert(c->maintenance);
	ck_assert_int_eq(c->maintenance_stock_min, 17 * 60);
	ck_assert_int_eq(c->maintenance_crypto_min, 5);

	for (int i = 0; i < MFS_PROV__COUNT; i++)
		check_provider_defaults(c, i);
}

/* Run the rest of the test as an ordinary user (the test is forked). */
static void become_user(void)
{
	if (geteuid() == 0)
		ck_assert_int_eq(seteuid(NOBODY_UID), 0);
}

static void become_root_again(void)
{
	if (getuid() == 0)
		ck_assert_int_eq(seteuid(0), 0);
}

START_TEST(test_defaults)
{
	struct mfs_config c;

	mfs_config_defaults(&c);
	check_defaults_except_cache(&c);
	ck_assert_ptr_nonnull(c.cache_dir);
	if (geteuid() == 0)
		ck_assert_str_eq(c.cache_dir, "/var/cache/marketfs");
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_defaults_user_cache_dir)
{
	struct mfs_config c;

	become_user();
	setenv("XDG_CACHE_HOME", "/xdg/cache/", 1);
	mfs_config_defaults(&c);
	ck_assert_str_eq(c.cache_dir, "/xdg/cache/marketfs");
	check_defaults_except_cache(&c);
	mfs_config_free(&c);

	/* A relative XDG_CACHE_HOME is ignored (XDG base directory spec). */
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", "/home/analyst", 1);
	mfs_config_defaults(&c);
	ck_assert_str_eq(c.cache_dir, "/home/analyst/.cache/marketfs");
	mfs_config_free(&c);

	unsetenv("XDG_CACHE_HOME");
	mfs_config_defaults(&c);
	ck_assert_str_eq(c.cache_dir, "/home/analyst/.cache/marketfs");
	mfs_config_free(&c);
	become_root_again();
}
END_TEST

START_TEST(test_default_path_user)
{
	char dir[400];
	const char *p;

	become_user();
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	ck_assert_ptr_null(mfs_config_default_path());
	become_root_again();

	snprintf(dir, sizeof(dir), "%s/marketfs", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	strcat(dir, "/marketfs.conf");
	tu_write(dir, "", 0);

	become_user();
	p = mfs_config_default_path();
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, dir);

	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/nonexistent-home", 1);
	ck_assert_ptr_null(mfs_config_default_path());
	become_root_again();
}
END_TEST

START_TEST(test_default_path_root)
{
	const char *p;
	struct stat st;

	if (geteuid() != 0)
		return;
	p = mfs_config_default_path();
	if (stat("/etc/marketfs/marketfs.conf", &st) == 0)
		ck_assert_str_eq(p, "/etc/marketfs/marketfs.conf");
	else
		ck_assert_ptr_null(p);
}
END_TEST

/* ---- a complete file --------------------------------------------------- */

static const char full_conf[] =
	"\xEF\xBB\xBF; marketfs configuration\n"
	"# comments of both kinds\n"
	"\n"
	"[marketfs]\n"
	"cache_dir = /srv/market/cache/\n"
	"history_start = 1990\n"
	"fetch_timeout = 2m\n"
	"negative_ttl = 0\n"
	"max_parallel_fetches = 8\n"
	"fuse_threads = 16\n"
	"max_age = 1h ; an inline comment\n"
	"min_quality = 0.75\n"
	"offline = yes\n"
	"watch = AAPL:1d,1h BTCUSDT:1m\n"
	"fundamentals_ttl = 30d\n"
	"fundamentals_priority = yahoo, tiingo fmp ; merge order\n"
	"cache_max_size = 20G\n"
	"free_space_floor = 1.5G\n"
	"maintenance = no\n"
	"maintenance_stock = 18:30\n"
	"maintenance_crypto = 0:10 ; UTC\n"
	"\n"
	"[provider.yahoo]\n"
	"enabled = off\n"
	"base_url = http://127.0.0.1:8080/\n"
	"rate_limit = 5/60s\n"
	"allow_insecure = TRUE\n"
	"user_agent = Mozilla/5.0 (X11; Linux x86_64)\n"
	"cookie_url = http://127.0.0.1:8080/cookie/\n"
	"\n"
	"[provider.binance]\n"
	"base_url = https://mirror.example.com/binance//\n"
	"rate_limit = 1200/1m\n"
	"\n"
	"[provider.tiingo]\n"
	"enabled = false\n"
	"; api_key would make this file need mode 0600\n"
	"\n"
	"[marketfs]\n"
	"; a section may be reopened\n";

START_TEST(test_full_file)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	const struct mfs_provider_conf *y, *b;

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf(full_conf), &err), MFS_OK);
	ck_assert_str_eq(c.path, conf_path);
	ck_assert_str_eq(c.cache_dir, "/srv/market/cache");
	ck_assert_int_eq(c.history_start, 1990);
	ck_assert_int_eq(c.fetch_timeout_s, 120);
	ck_assert_int_eq(c.negative_ttl_s, 0);
	ck_assert_int_eq(c.max_parallel_fetches, 8);
	ck_assert_int_eq(c.fuse_threads, 16);
	ck_assert_int_eq(c.max_age_s, 3600);
	ck_assert_double_eq(c.min_quality, 0.75);
	ck_assert(c.offline);

	ck_assert_uint_eq(c.n_watch, 2);
	ck_assert_str_eq(c.watch[0].symbol, "AAPL");
	ck_assert(c.watch[0].tf[MFS_TF_1D] && c.watch[0].tf[MFS_TF_1H]);
	ck_assert(!c.watch[0].tf[MFS_TF_1M]);
	ck_assert_str_eq(c.watch[1].symbol, "BTCUSDT");
	ck_assert(c.watch[1].tf[MFS_TF_1M] && !c.watch[1].tf[MFS_TF_1D]);

	y = &c.provider[MFS_PROV_YAHOO];
	ck_assert(!y->enabled);
	ck_assert_str_eq(y->base_url, "http://127.0.0.1:8080");
	ck_assert_double_eq(y->rate_tokens, 5);
	ck_assert_double_eq(y->rate_period_s, 60);
	ck_assert(y->allow_insecure);
	ck_assert_str_eq(y->user_agent, "Mozilla/5.0 (X11; Linux x86_64)");

	b = &c.provider[MFS_PROV_BINANCE];
	ck_assert(b->enabled);
	ck_assert_str_eq(b->base_url, "https://mirror.example.com/binance");
	ck_assert_double_eq(b->rate_tokens, 1200);
	ck_assert_double_eq(b->rate_period_s, 60);
	ck_assert(!b->allow_insecure);
	ck_assert_ptr_null(b->user_agent);
	ck_assert_ptr_null(b->cookie_url);

	ck_assert_str_eq(y->cookie_url, "http://127.0.0.1:8080/cookie");
	ck_assert_ptr_null(y->api_key);
	ck_assert(!c.provider[MFS_PROV_TIINGO].enabled);
	ck_assert_int_eq(c.fundamentals_ttl_s, 30 * 86400);
	ck_assert_uint_eq(c.n_fundamentals_priority, 3);
	ck_assert_int_eq(c.fundamentals_priority[0], MFS_PROV_YAHOO);
	ck_assert_int_eq(c.fundamentals_priority[1], MFS_PROV_TIINGO);
	ck_assert_int_eq(c.fundamentals_priority[2], MFS_PROV_FMP);
	ck_assert_int_eq(c.cache_max_size, 20LL << 30);
	ck_assert_int_eq(c.free_space_floor, 3LL << 29);
	ck_assert(!c.maintenance);
	ck_assert_int_eq(c.maintenance_stock_min, 18 * 60 + 30);
	ck_assert_int_eq(c.maintenance_crypto_min, 10);
	for (int i = MFS_PROV_FMP; i < MFS_PROV__COUNT; i++)
		if (i != MFS_PROV_TIINGO)
			check_provider_defaults(&c, i);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_crlf_and_empty_file)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf("[marketfs]\r\nhistory_start = 2010\r\n"),
					 &err),
			 MFS_OK);
	ck_assert_int_eq(c.history_start, 2010);
	ck_assert_int_eq(mfs_config_load(&c, write_conf(""), &err), MFS_OK);
	ck_assert_int_eq(c.history_start, 2010); /* loaded over current values */
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_load_over_current_values)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "cache_dir", "/from/option", &err),
			 MFS_OK);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "watch", "SPY", &err), MFS_OK);
	ck_assert_int_eq(mfs_config_load(&c, write_conf("[provider.binance]\nenabled = no\n"),
					 &err),
			 MFS_OK);
	ck_assert_str_eq(c.cache_dir, "/from/option");
	ck_assert_uint_eq(c.n_watch, 1);
	ck_assert_str_eq(c.watch[0].symbol, "SPY");
	ck_assert(!c.provider[MFS_PROV_BINANCE].enabled);
	ck_assert(c.provider[MFS_PROV_YAHOO].enabled);

	/* A watch key in the file replaces the list. */
	ck_assert_int_eq(mfs_config_load(&c, write_conf("[marketfs]\nwatch = QQQ:1w\n"), &err),
			 MFS_OK);
	ck_assert_uint_eq(c.n_watch, 1);
	ck_assert_str_eq(c.watch[0].symbol, "QQQ");
	ck_assert(c.watch[0].tf[MFS_TF_1W]);
	mfs_config_free(&c);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

#define MAX_NEEDLES 4

static const struct bad_case {
	const char *text;
	int line;
	/* Each must appear in the message; "!x": x must not (a secret). */
	const char *needle[MAX_NEEDLES];
} bad_cases[] = {
	/* unknown names */
	{ "[marketfs]\ncolour = blue\n", 2,
	  { "[marketfs] colour", "unknown key", "(known: cache_dir, ",
	    "free_space_floor, maintenance, maintenance_stock, maintenance_crypto)" } },
	{ "[marketfs]\nhistory_start = 2001\n[foo]\n", 3, { "unknown section [foo]" } },
	{ "[marketfs]\n[foo]\nkey = 1\n", 2, { "unknown section [foo]" } },
	{ "[ marketfs ]\nhistory_start = 2001\n", 1, { "unknown section [ marketfs ]" } },
	{ "[provider.iex]\nenabled = true\n", 1,
	  { "unknown provider 'iex' (known: yahoo, binance, fmp, alphavantage, polygon, tiingo, alpaca, firstrate, mirror)" } },
	{ "# x\n\n[provider.iqfeed]\n", 3, { "unknown provider 'iqfeed'" } },
	{ "[provider.Yahoo]\n", 1, { "unknown provider 'Yahoo'" } },
	{ "[provider.alpha_vantage]\n", 1, { "unknown provider 'alpha_vantage'" } },
	{ "[provider.yahoo]\nsecret = hunter2\n", 2,
	  { "[provider.yahoo] secret", "unknown key", "api_key, cookie_url", "!hunter2" } },
	{ "[provider.fmp]\npriority = 1\n", 2, { "[provider.fmp] priority", "not supported" } },
	/* sizes */
	{ "[marketfs]\ncache_max_size = 20GB\n", 2,
	  { "[marketfs] cache_max_size = '20GB'",
	    "expected a size such as 20G, 500M or 1.5G, or a number of bytes",
	    "K, M, G, T are powers of 1024; 0 = off" } },
	{ "[marketfs]\ncache_max_size = 20g\n", 2, { "cache_max_size = '20g'", "expected a size" } },
	{ "[marketfs]\ncache_max_size = 20 G\n", 2, { "cache_max_size", "expected a size" } },
	{ "[marketfs]\ncache_max_size = -1\n", 2, { "cache_max_size", "expected a size" } },
	{ "[marketfs]\ncache_max_size = 1.5\n", 2, { "cache_max_size", "expected a size" } },
	{ "[marketfs]\ncache_max_size = 1.G\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size = .5G\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size = 1.1234567G\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size = 8388608T\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size = 9223372036854775808\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size = 20GG\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size = 1P\n", 2, { "cache_max_size" } },
	{ "[marketfs]\ncache_max_size =\n", 2, { "cache_max_size = ''", "expected a size" } },
	{ "[marketfs]\ncache_max_size = 1G\ncache_max_size = 2G\n", 3,
	  { "[marketfs] cache_max_size", "duplicate key", "first set on line 2" } },
	{ "[marketfs]\nfree_space_floor = lots\n", 2,
	  { "[marketfs] free_space_floor = 'lots'", "expected a size such as 20G" } },
	{ "[marketfs]\nfree_space_floor = 5%\n", 2, { "free_space_floor = '5%'" } },
	{ "[provider.yahoo]\ncache_max_size = 1G\n", 2,
	  { "[provider.yahoo] cache_max_size", "unknown key" } },
	/* maintenance */
	{ "[marketfs]\nmaintenance = sometimes\n", 2,
	  { "[marketfs] maintenance = 'sometimes'", "expected true/false" } },
	{ "[marketfs]\nmaintenance_stock = 25:00\n", 2,
	  { "[marketfs] maintenance_stock = '25:00'",
	    "expected a time of day HH:MM from 00:00 to 23:59 (New York time)" } },
	{ "[marketfs]\nmaintenance_stock = 17\n", 2, { "maintenance_stock = '17'", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock = 17:0\n", 2, { "maintenance_stock", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock = 17:60\n", 2, { "maintenance_stock", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock = 17:00:00\n", 2, { "maintenance_stock", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock = 5pm\n", 2, { "maintenance_stock", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock = 117:00\n", 2, { "maintenance_stock", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock = -1:00\n", 2, { "maintenance_stock", "HH:MM" } },
	{ "[marketfs]\nmaintenance_stock =\n", 2, { "maintenance_stock = ''", "HH:MM" } },
	{ "[marketfs]\nmaintenance_crypto = 24:00\n", 2,
	  { "[marketfs] maintenance_crypto = '24:00'", "00:00 to 23:59 (UTC)" } },
	{ "[marketfs]\nmaintenance_crypto = 0:5\n", 2, { "maintenance_crypto", "(UTC)" } },
	{ "[marketfs]\nmaintenance_crypto = 00h05\n", 2, { "maintenance_crypto", "(UTC)" } },
	/* API keys: never quoted, not even the start of one ("Zq9") */
	{ "[provider.fmp]\napi_key = Zq9Xw7Kp11\napi_key = Zq9Xw7Kp22\n", 3,
	  { "[provider.fmp] api_key: duplicate key", "first set on line 2", "!Zq9" } },
	{ "[provider.fmp]\napi_key = Zq9Xw7 Kp11\n", 2,
	  { "[provider.fmp] api_key: expected at most 256 printable characters", "not shown",
	    "!Zq9" } },
	{ "[provider.polygon]\napi_key = Zq9\x01Kp\n", 2, { "[provider.polygon] api_key:", "!Zq9" } },
	{ "[provider.tiingo]\napi_key = Zq9\xc3\xa9Kp\n", 2, { "[provider.tiingo] api_key:", "!Zq9" } },
	{ "[provider.fmp]\napi_key = Zq9Xw7Kp11\n  Zq9Xw7Kp22\n", 3,
	  { "[provider.fmp] api_key:", "continuation", "!Zq9", "!Kp" } },
	{ "[marketfs]\napi_key = Zq9Xw7Kp11\n", 2, { "[marketfs] api_key: unknown key", "!Zq9" } },
	{ "[provider.alphavantage]\napikey = Zq9Xw7Kp11\n", 2,
	  { "[provider.alphavantage] apikey: unknown key", "!Zq9" } },
	{ "[provider.iex]\napi_key = Zq9Xw7Kp11\n", 1, { "unknown provider 'iex'", "!Zq9" } },
	{ "[provider.fmp]\napi_key = Zq9Xw7Kp11\nrate_limit = 5\n", 3,
	  { "[provider.fmp] rate_limit = '5'", "!Zq9" } },
	/* cookie_url */
	{ "[provider.yahoo]\ncookie_url = fc.yahoo.com\n", 2,
	  { "[provider.yahoo] cookie_url = 'fc.yahoo.com'", "such as https://fc.yahoo.com" } },
	{ "[provider.yahoo]\ncookie_url =\n", 2, { "cookie_url = ''", "http:// or https://" } },
	{ "[provider.yahoo]\ncookie_url = https://u:pw987@fc.yahoo.com/?a\n", 2,
	  { "cookie_url", "<redacted>", "!pw987" } },
	{ "[provider.fmp]\nbase_url = ftp://x\n", 2,
	  { "[provider.fmp] base_url", "such as https://financialmodelingprep.com" } },
	/* fundamentals_ttl */
	{ "[marketfs]\nfundamentals_ttl = 59\n", 2,
	  { "[marketfs] fundamentals_ttl = '59'", "expected a duration from 1m to 365d" } },
	{ "[marketfs]\nfundamentals_ttl = 366d\n", 2, { "fundamentals_ttl", "1m to 365d" } },
	{ "[marketfs]\nfundamentals_ttl = 8761h\n", 2, { "fundamentals_ttl" } },
	{ "[marketfs]\nfundamentals_ttl = 0\n", 2, { "fundamentals_ttl" } },
	{ "[marketfs]\nfundamentals_ttl = 1w\n", 2, { "fundamentals_ttl" } },
	{ "[marketfs]\nfundamentals_ttl = -60\n", 2, { "fundamentals_ttl" } },
	{ "[marketfs]\nfundamentals_ttl =\n", 2, { "fundamentals_ttl = ''" } },
	/* fundamentals_priority */
	{ "[marketfs]\nfundamentals_priority = fmp, iex\n", 2,
	  { "[marketfs] fundamentals_priority = 'fmp, iex'", "unknown provider 'iex'",
	    "known: yahoo, binance, fmp, alphavantage, polygon, tiingo, alpaca, firstrate, mirror" } },
	{ "[marketfs]\nfundamentals_priority = fmp yahoo fmp\n", 2,
	  { "fundamentals_priority", "provider 'fmp' is listed twice" } },
	{ "[marketfs]\nfundamentals_priority =\n", 2,
	  { "fundamentals_priority = ''", "no provider given", "such as fmp, yahoo" } },
	{ "[marketfs]\nfundamentals_priority = fmp,,yahoo\n", 2,
	  { "fundamentals_priority", "empty entry" } },
	{ "[marketfs]\nfundamentals_priority = fmp, yahoo,\n", 2,
	  { "fundamentals_priority", "empty entry after the last comma" } },
	{ "[marketfs]\nfundamentals_priority = , fmp\n", 2, { "fundamentals_priority", "empty entry" } },
	{ "[marketfs]\nfundamentals_priority = FMP\n", 2, { "unknown provider 'FMP'" } },
	{ "[marketfs]\nfundamentals_priority = fmp/yahoo\n", 2,
	  { "unknown provider 'fmp/yahoo'" } },
	{ "[provider.fmp]\nfundamentals_priority = fmp\n", 2,
	  { "[provider.fmp] fundamentals_priority", "unknown key" } },
	{ "[rules]\ncrypto.* = binance, nasdaq\n", 2, { "[rules] crypto.*", "nasdaq" } },
	{ "[rules]\nbonds.1d = yahoo\n", 2, { "[rules] bonds.1d", "unknown class 'bonds'" } },
	{ "[rules]\nstock.2h = yahoo\n", 2, { "[rules] stock.2h", "unknown timeframe '2h'" } },
	{ "[rules]\nstock = yahoo\n", 2, { "[rules] stock", "expected CLASS.TIMEFRAME" } },
	{ "[rules]\nstock.1d = yahoo\nstock.1d = tiingo\n", 3, { "stock.1d", "duplicate key" } },
	{ "[rules]\nstock.1d = yahoo\netf.1d = tiingo\n", 3, { "etf.1d", "duplicate key" } },
	{ "[symbols]\nclass.bonds = TLT\n", 2, { "[symbols] class.bonds", "unknown class" } },
	{ "[symbols]\nclass.stock = A/B\n", 2, { "'A/B' is not a valid symbol" } },
	{ "[symbols]\nmap.yahoo = BRK.B\n", 2, { "expected SYMBOL>TICKER" } },
	{ "[symbols]\nmap.iex = BRK.B>BRK-B\n", 2, { "unknown provider 'iex'" } },
	{ "[symbols]\nalias = X\n", 2, { "[symbols] alias", "unknown key" } },
	{ "history_start = 2001\n", 1, { "before any section", "[marketfs]" } },
	{ "[marketfs]\nenabled = true\n", 2, { "[marketfs] enabled", "unknown key" } },
	{ "[provider.yahoo]\nhistory_start = 2001\n", 2, { "[provider.yahoo] history_start" } },
	/* numbers */
	{ "[marketfs]\nhistory_start = 20x4\n", 2,
	  { "[marketfs] history_start = '20x4'", "expected an integer from 1970 to 2200" } },
	{ "[marketfs]\nhistory_start =\n", 2, { "history_start = ''", "expected an integer" } },
	{ "[marketfs]\nhistory_start = 1969\n", 2, { "history_start", "1970 to 2200" } },
	{ "[marketfs]\nhistory_start = 2201\n", 2, { "history_start", "1970 to 2200" } },
	{ "[marketfs]\nhistory_start = +2001\n", 2, { "history_start" } },
	{ "[marketfs]\nhistory_start = 99999999999999999999\n", 2, { "history_start" } },
	{ "[marketfs]\nfetch_timeout = 0\n", 2, { "fetch_timeout", "from 1s to 3600s" } },
	{ "[marketfs]\nfetch_timeout = 3601\n", 2, { "fetch_timeout", "from 1s to 3600s" } },
	{ "[marketfs]\nfetch_timeout = 2h\n", 2, { "fetch_timeout" } },
	{ "[marketfs]\nfetch_timeout = -5\n", 2, { "fetch_timeout" } },
	{ "[marketfs]\nnegative_ttl = 604801\n", 2, { "negative_ttl", "0s to 604800s" } },
	{ "[marketfs]\nnegative_ttl = 8d\n", 2, { "negative_ttl" } },
	{ "[marketfs]\nmax_parallel_fetches = 0\n", 2, { "max_parallel_fetches", "1 to 64" } },
	{ "[marketfs]\nmax_parallel_fetches = 65\n", 2, { "max_parallel_fetches" } },
	{ "[marketfs]\nfuse_threads = 3\n", 2, { "fuse_threads", "4 to 1024" } },
	{ "[marketfs]\nfuse_threads = 1025\n", 2, { "fuse_threads", "4 to 1024" } },
	{ "[marketfs]\nmin_quality = 1.5\n", 2, { "min_quality", "from 0 to 1" } },
	{ "[marketfs]\nmin_quality = -0.1\n", 2, { "min_quality" } },
	{ "[marketfs]\nmin_quality = nan\n", 2, { "min_quality" } },
	{ "[marketfs]\nmin_quality = 0.5x\n", 2, { "min_quality" } },
	{ "[marketfs]\nmax_age = 5w\n", 2, { "max_age = '5w'", "expected a duration" } },
	{ "[marketfs]\nmax_age = -1\n", 2, { "max_age" } },
	{ "[marketfs]\nmax_age = 1.5h\n", 2, { "max_age" } },
	{ "[marketfs]\nmax_age = 1H\n", 2, { "max_age" } },
	{ "[marketfs]\nmax_age = 1 h\n", 2, { "max_age" } },
	{ "[marketfs]\nmax_age = 99999999999999999999d\n", 2, { "max_age" } },
	/* booleans */
	{ "[marketfs]\noffline = maybe\n", 2,
	  { "[marketfs] offline = 'maybe'", "expected true/false" } },
	{ "[provider.binance]\nenabled = 2\n", 2, { "[provider.binance] enabled = '2'" } },
	{ "[provider.binance]\nallow_insecure =\n", 2, { "allow_insecure" } },
	/* rate limits */
	{ "[provider.yahoo]\nrate_limit = 5 per minute\n", 2,
	  { "[provider.yahoo] rate_limit = '5 per minute': expected N/PERIOD such as 5/60s" } },
	{ "[provider.yahoo]\nrate_limit = 0/60s\n", 2, { "rate_limit", "N/PERIOD" } },
	{ "[provider.yahoo]\nrate_limit = -1/60s\n", 2, { "rate_limit" } },
	{ "[provider.yahoo]\nrate_limit = 5/0s\n", 2, { "rate_limit" } },
	{ "[provider.yahoo]\nrate_limit = 5/\n", 2, { "rate_limit" } },
	{ "[provider.yahoo]\nrate_limit = /60s\n", 2, { "rate_limit" } },
	{ "[provider.yahoo]\nrate_limit = 5/60x\n", 2, { "rate_limit" } },
	{ "[provider.yahoo]\nrate_limit = 5\n", 2, { "rate_limit" } },
	{ "[provider.yahoo]\nrate_limit = 5/60s/2\n", 2, { "rate_limit" } },
	/* base URLs */
	{ "[provider.yahoo]\nbase_url = ftp://example.com\n", 2,
	  { "[provider.yahoo] base_url = 'ftp://example.com'", "http:// or https://" } },
	{ "[provider.yahoo]\nbase_url = example.com\n", 2, { "base_url" } },
	{ "[provider.yahoo]\nbase_url = https://\n", 2, { "base_url" } },
	{ "[provider.yahoo]\nbase_url = https:///v8\n", 2, { "base_url" } },
	{ "[provider.yahoo]\nbase_url = https://h/x?key=1\n", 2, { "base_url" } },
	{ "[provider.yahoo]\nbase_url = https://user:pw123@h/x?y\n", 2,
	  { "base_url", "<redacted>", "!pw123" } },
	/* paths */
	{ "[marketfs]\ncache_dir = cache/dir\n", 2,
	  { "[marketfs] cache_dir = 'cache/dir'", "absolute path" } },
	{ "[marketfs]\ncache_dir = ~/cache\n", 2, { "cache_dir", "'~' is not expanded" } },
	{ "[marketfs]\ncache_dir =\n", 2, { "cache_dir", "absolute path" } },
	/* the watch list */
	{ "[marketfs]\nwatch = AAPL:2d\n", 2,
	  { "[marketfs] watch = 'AAPL:2d'", "unknown timeframe '2d' in 'AAPL:2d'", "1m 5m 15m" } },
	{ "[marketfs]\nwatch = MSFT bad/sym:1d\n", 2, { "watch", "invalid symbol 'bad/sym'" } },
	{ "[marketfs]\nwatch = AAPL:\n", 2, { "watch", "empty timeframe" } },
	{ "[marketfs]\nwatch = AAPL:1d,,1h\n", 2, { "watch", "empty timeframe" } },
	{ "[marketfs]\nwatch = AAPL:1d,\n", 2, { "watch", "empty timeframe" } },
	{ "[marketfs]\nwatch = AAPL:daily\n", 2, { "watch", "unknown timeframe 'daily'" } },
	{ "[marketfs]\nwatch = AAPL:1D\n", 2, { "watch", "unknown timeframe '1D'" } },
	{ "[marketfs]\nwatch = ..:1d\n", 2, { "watch", "invalid symbol '..'" } },
	{ "[marketfs]\nwatch = :1d\n", 2, { "watch", "invalid symbol ''" } },
	{ "[marketfs]\nwatch = ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\n", 2,
	  { "watch", "invalid symbol" } },
	{ "[marketfs]\nwatch = AAPL\n  MSFT:2h\n", 3, { "watch", "unknown timeframe '2h'" } },
	/* file structure */
	{ "[marketfs]\nthis line has no equals sign\n", 2, { "syntax error" } },
	{ "[marketfs\nhistory_start = 2001\n", 1, { "syntax error" } },
	{ "[marketfs]\nbogus line\ncolour = x\n", 2, { "syntax error" } },
	{ "[marketfs]\nhistory_start = 2001\nhistory_start = 2002\n", 3,
	  { "[marketfs] history_start", "duplicate key", "first set on line 2" } },
	{ "[provider.yahoo]\nenabled = no\n[provider.yahoo]\nenabled = yes\n", 4,
	  { "[provider.yahoo] enabled", "duplicate" } },
	{ "[marketfs]\n  cache_dir = /x\n  offline = true\n", 3,
	  { "[marketfs] cache_dir", "continuation" } },
	{ "; c\n\n# c\n[marketfs]\n\n; c\n\nfuse_threads = 1\n", 8, { "fuse_threads" } },
};

START_TEST(test_errors)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char where[400];

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf(bc->text), &err), MFS_ERR_CONFIG);
	ck_assert_int_eq(err.code, MFS_ERR_CONFIG);
	snprintf(where, sizeof(where), "%s:%d: ", conf_path, bc->line);
	ck_assert_msg(strncmp(err.msg, where, strlen(where)) == 0,
		      "case %d: message '%s' does not start with '%s'", _i, err.msg, where);
	for (int i = 0; i < MAX_NEEDLES && bc->needle[i]; i++) {
		const char *n = bc->needle[i];

		/* After the file name, which is random and might hold the text. */
		if (n[0] == '!')
			ck_assert_msg(!strstr(err.msg + strlen(where), n + 1),
				      "case %d: '%s' leaked in '%s'", _i, n + 1, err.msg);
		else
			ck_assert_msg(strstr(err.msg, n), "case %d: '%s' not in '%s'", _i, n,
				      err.msg);
	}
	/* All or nothing: the config is unchanged. */
	check_defaults_except_cache(&c);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_error_long_line)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char text[1024];
	char where[400];

	strcpy(text, "[marketfs]\nwatch =");
	for (int i = 0; i < 60; i++)
		strcat(text, " AAPL:1d");
	strcat(text, "\n");
	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf(text), &err), MFS_ERR_CONFIG);
	snprintf(where, sizeof(where), "%s:2: line longer than", conf_path);
	ck_assert_msg(strstr(err.msg, where), "'%s'", err.msg);
	ck_assert_uint_eq(c.n_watch, 0);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_error_files)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char path[400];

	mfs_config_defaults(&c);
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	ck_assert_int_eq(mfs_config_load(&c, path, &err), MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));

	snprintf(path, sizeof(path), "%s/adir", tmpdir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(mfs_config_load(&c, path, &err), MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));

	ck_assert_int_eq(mfs_config_load(&c, NULL, &err), MFS_ERR_CONFIG);
	/* err may be NULL. */
	ck_assert_int_eq(mfs_config_load(&c, write_conf("[x]\n"), NULL), MFS_ERR_CONFIG);
	ck_assert_ptr_null(c.path);
	mfs_config_free(&c);
}
END_TEST

/* ---- the watch list ---------------------------------------------------- */

static const struct mfs_watch *find_watch(const struct mfs_config *c, const char *sym)
{
	for (unsigned i = 0; i < c->n_watch; i++)
		if (strcmp(c->watch[i].symbol, sym) == 0)
			return &c->watch[i];
	return NULL;
}

static int n_tf(const struct mfs_watch *w)
{
	int n = 0;

	for (int i = 0; i < MFS_TF__COUNT; i++)
		n += w->tf[i];
	return n;
}

START_TEST(test_watch)
{
	static const char text[] = "[marketfs]\n"
				   "watch = AAPL:1d,1h\tBTCUSDT:1m\n"
				   "  X:BTCUSD MSFT\n"
				   "\tAAPL:1w X:ETHUSD:1h,4h ^GSPC:1M ES=F:5m,15m,30m\n"
				   "; the list ends here\n"
				   "offline = false\n";
	struct mfs_config c;
	struct mfs_error err = { 0 };
	const struct mfs_watch *w;

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf(text), &err), MFS_OK);
	ck_assert_uint_eq(c.n_watch, 7);

	w = find_watch(&c, "AAPL");
	ck_assert_ptr_nonnull(w);
	ck_assert(w->tf[MFS_TF_1D] && w->tf[MFS_TF_1H] && w->tf[MFS_TF_1W]);
	ck_assert_int_eq(n_tf(w), 3);
	w = find_watch(&c, "BTCUSDT");
	ck_assert(w && w->tf[MFS_TF_1M] && n_tf(w) == 1);
	w = find_watch(&c, "X:BTCUSD");
	ck_assert(w && w->tf[MFS_TF_1D] && n_tf(w) == 1);
	w = find_watch(&c, "MSFT");
	ck_assert(w && w->tf[MFS_TF_1D] && n_tf(w) == 1);
	w = find_watch(&c, "X:ETHUSD");
	ck_assert(w && w->tf[MFS_TF_1H] && w->tf[MFS_TF_4H] && n_tf(w) == 2);
	w = find_watch(&c, "^GSPC");
	ck_assert(w && w->tf[MFS_TF_1MO] && n_tf(w) == 1);
	w = find_watch(&c, "ES=F");
	ck_assert(w && n_tf(w) == 3);
	ck_assert_ptr_null(find_watch(&c, "X"));

	/* An empty value clears the list. */
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "watch", "", &err), MFS_OK);
	ck_assert_uint_eq(c.n_watch, 0);
	ck_assert_ptr_null(c.watch);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_watch_set_keeps_list_on_error)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "watch", "AAPL:1d,1d SPY:1w", &err), MFS_OK);
	ck_assert_uint_eq(c.n_watch, 2);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "watch", "QQQ:1d AAPL:2d", &err),
			 MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "[marketfs] watch = 'QQQ:1d AAPL:2d'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown timeframe '2d'"));
	ck_assert_uint_eq(c.n_watch, 2);
	ck_assert_str_eq(c.watch[0].symbol, "AAPL");
	ck_assert_str_eq(c.watch[1].symbol, "SPY");
	mfs_config_free(&c);
}
END_TEST

/* ---- durations and rate limits ----------------------------------------- */

static const struct {
	const char *text;
	int64_t seconds;
} durations[] = {
	{ "0", 0 },	     { "90", 90 },	{ "90s", 90 },	    { "15m", 900 },
	{ "1h", 3600 },	     { "2d", 172800 },	{ "0d", 0 },	    { "007m", 420 },
	{ "365d", 31536000 }, { "9223372036854775807", INT64_MAX },
};

START_TEST(test_durations)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "max_age", durations[_i].text, &err),
			 MFS_OK);
	ck_assert_int_eq(c.max_age_s, durations[_i].seconds);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_seconds_keys)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "fetch_timeout", "2m", &err), MFS_OK);
	ck_assert_int_eq(c.fetch_timeout_s, 120);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "fetch_timeout", "3600", &err), MFS_OK);
	ck_assert_int_eq(c.fetch_timeout_s, 3600);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "fetch_timeout", "1h", &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "negative_ttl", "7d", &err), MFS_OK);
	ck_assert_int_eq(c.negative_ttl_s, 604800);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "max_age", "9223372036854775808", &err),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "max_age", "106751991167301d", &err),
			 MFS_ERR_CONFIG);
	mfs_config_free(&c);
}
END_TEST

static const struct {
	const char *text;
	double tokens, period_s;
} rates[] = {
	{ "5/60s", 5, 60 },    { "1200/1m", 1200, 60 }, { "1/1h", 1, 3600 },
	{ "10/1d", 10, 86400 }, { "0.5/1s", 0.5, 1 },	 { "100/60", 100, 60 },
};

START_TEST(test_rate_limits)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, "provider.binance", "rate_limit", rates[_i].text,
					&err),
			 MFS_OK);
	ck_assert_double_eq(c.provider[MFS_PROV_BINANCE].rate_tokens, rates[_i].tokens);
	ck_assert_double_eq(c.provider[MFS_PROV_BINANCE].rate_period_s, rates[_i].period_s);
	/* The other provider is untouched. */
	ck_assert_double_eq(c.provider[MFS_PROV_YAHOO].rate_tokens, 60);
	mfs_config_free(&c);
}
END_TEST

/* ---- mfs_config_set ---------------------------------------------------- */

START_TEST(test_set)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "cache_dir", "/mnt/cache//", &err),
			 MFS_OK);
	ck_assert_str_eq(c.cache_dir, "/mnt/cache");
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "cache_dir", "/", &err), MFS_OK);
	ck_assert_str_eq(c.cache_dir, "/");

	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "cache_dir", "rel/dir", &err),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(err.code, MFS_ERR_CONFIG);
	ck_assert_str_eq(err.msg,
			 "[marketfs] cache_dir = 'rel/dir': expected an absolute path such as "
			 "/var/cache/marketfs");
	ck_assert_str_eq(c.cache_dir, "/");

	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "offline", "true", &err), MFS_OK);
	ck_assert(c.offline);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "offline", "Off", &err), MFS_OK);
	ck_assert(!c.offline);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "min_quality", "1", &err), MFS_OK);
	ck_assert_double_eq(c.min_quality, 1.0);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "min_quality", "0", &err), MFS_OK);
	ck_assert_double_eq(c.min_quality, 0.0);

	ck_assert_int_eq(mfs_config_set(&c, "provider.yahoo", "base_url",
					"HTTPS://Example.COM:8443/prefix/", &err),
			 MFS_OK);
	ck_assert_str_eq(c.provider[MFS_PROV_YAHOO].base_url, "HTTPS://Example.COM:8443/prefix");
	ck_assert_int_eq(mfs_config_set(&c, "provider.yahoo", "user_agent", "Agent/1.0", &err),
			 MFS_OK);
	ck_assert_str_eq(c.provider[MFS_PROV_YAHOO].user_agent, "Agent/1.0");
	ck_assert_int_eq(mfs_config_set(&c, "provider.yahoo", "user_agent", "A\r\nX: y", &err),
			 MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "'A??X: y'"));
	ck_assert_str_eq(c.provider[MFS_PROV_YAHOO].user_agent, "Agent/1.0");
	ck_assert_int_eq(mfs_config_set(&c, "provider.yahoo", "user_agent", "", &err), MFS_OK);
	ck_assert_ptr_null(c.provider[MFS_PROV_YAHOO].user_agent);

	ck_assert_int_eq(mfs_config_set(&c, "provider.iex", "enabled", "true", &err),
			 MFS_ERR_CONFIG);
	ck_assert_str_eq(err.msg,
			 "unknown provider 'iex' (known: yahoo, binance, fmp, alphavantage, polygon, tiingo, alpaca, firstrate, mirror)");
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "bogus", "1", &err), MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "[marketfs] bogus: unknown key"));
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "offline", NULL, &err), MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", NULL, "x", &err), MFS_ERR_CONFIG);
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "offline", "1", NULL), MFS_OK);
	ck_assert(c.offline);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_long_value_is_shortened)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char value[2048];

	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "offline", value, &err), MFS_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "...': expected true/false"));
	ck_assert_uint_lt(strlen(err.msg), MFS_ERRMSG_MAX);
	mfs_config_free(&c);
}
END_TEST

/* ---- freeing ----------------------------------------------------------- */

START_TEST(test_free_twice)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf(full_conf), &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&c, "provider.fmp", "api_key", "k1", &err), MFS_OK);
	mfs_config_free(&c);
	ck_assert_ptr_null(c.path);
	ck_assert_ptr_null(c.cache_dir);
	ck_assert_ptr_null(c.watch);
	ck_assert_uint_eq(c.n_watch, 0);
	ck_assert_ptr_null(c.provider[MFS_PROV_YAHOO].base_url);
	ck_assert_ptr_null(c.provider[MFS_PROV_YAHOO].user_agent);
	ck_assert_ptr_null(c.provider[MFS_PROV_YAHOO].cookie_url);
	ck_assert_ptr_null(c.provider[MFS_PROV_FMP].api_key);
	mfs_config_free(&c);
	mfs_config_free(NULL);

	mfs_config_defaults(&c);
	mfs_config_free(&c);
	mfs_config_free(&c);
}
END_TEST

/* ---- every provider's section ----------------------------------------- */

START_TEST(test_provider_section)
{
	const char *name = mfs_provider_name((enum mfs_provider_id)_i);
	const struct mfs_provider_conf *pc;
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char text[1024], want[128];

	snprintf(text, sizeof(text),
		 "[provider.%s]\n"
		 "enabled = no\n"
		 "base_url = http://127.0.0.1:9000/%s/\n"
		 "rate_limit = 7/1h\n"
		 "allow_insecure = yes\n"
		 "user_agent = UA %s\n"
		 "api_key = key-%s-1\n"
		 "cookie_url = https://cookies.example.com/\n",
		 name, name, name, name);
	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf_mode(text, 0600), &err), MFS_OK);
	pc = &c.provider[_i];
	ck_assert(!pc->enabled);
	snprintf(want, sizeof(want), "http://127.0.0.1:9000/%s", name);
	ck_assert_str_eq(pc->base_url, want);
	ck_assert_double_eq(pc->rate_tokens, 7);
	ck_assert_double_eq(pc->rate_period_s, 3600);
	ck_assert(pc->allow_insecure);
	snprintf(want, sizeof(want), "UA %s", name);
	ck_assert_str_eq(pc->user_agent, want);
	snprintf(want, sizeof(want), "key-%s-1", name);
	ck_assert_str_eq(pc->api_key, want);
	ck_assert_str_eq(pc->cookie_url, "https://cookies.example.com");
	/* The other providers keep their defaults. */
	for (int i = 0; i < MFS_PROV__COUNT; i++)
		if (i != _i)
			check_provider_defaults(&c, i);
	mfs_config_free(&c);
}
END_TEST

/* ---- API keys ---------------------------------------------------------- */

static const char keys_conf[] = "[provider.fmp]\n"
				"api_key = Zq9fmpKEY\n"
				"[provider.polygon]\n"
				"api_key = Zq9polyKEY\n";

START_TEST(test_api_keys_mode_0600)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf_mode(keys_conf, 0600), &err), MFS_OK);
	ck_assert_str_eq(c.provider[MFS_PROV_FMP].api_key, "Zq9fmpKEY");
	ck_assert_str_eq(c.provider[MFS_PROV_POLYGON].api_key, "Zq9polyKEY");
	ck_assert_ptr_null(c.provider[MFS_PROV_YAHOO].api_key);
	ck_assert_ptr_null(c.provider[MFS_PROV_TIINGO].api_key);

	/* 0400 is fine too, and an empty api_key removes the key. */
	ck_assert_int_eq(mfs_config_load(&c,
					 write_conf_mode("[provider.fmp]\napi_key =\n", 0400),
					 &err),
			 MFS_OK);
	ck_assert_ptr_null(c.provider[MFS_PROV_FMP].api_key);
	ck_assert_str_eq(c.provider[MFS_PROV_POLYGON].api_key, "Zq9polyKEY");
	mfs_config_free(&c);
}
END_TEST

/* Modes with any group or other bit: refused with the chmod that fixes it. */
static const mode_t open_modes[] = { 0640, 0644, 0604, 0660, 0620, 0602, 0666 };

START_TEST(test_api_keys_open_mode_refused)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char want[1024];

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf_mode(keys_conf, open_modes[_i]), &err),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(err.code, MFS_ERR_CONFIG);
	snprintf(want, sizeof(want),
		 "%s holds an API key but is readable by group or others (mode %04o); run: chmod 600 %s",
		 conf_path, (unsigned)open_modes[_i], conf_path);
	ck_assert_str_eq(err.msg, want);
	/* All or nothing, and the key is in no message. */
	check_defaults_except_cache(&c);
	ck_assert_ptr_null(c.provider[MFS_PROV_FMP].api_key);
	ck_assert_ptr_null(strstr(err.msg + strlen(conf_path), "Zq9"));
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_open_mode_without_keys)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	/* A key from elsewhere (-o) does not make a 0644 file a secret. */
	ck_assert_int_eq(mfs_config_set(&c, "provider.fmp", "api_key", "Zq9fromOption", &err),
			 MFS_OK);
	ck_assert_int_eq(mfs_config_load(&c, write_conf_mode(full_conf, 0644), &err), MFS_OK);
	ck_assert_int_eq(c.history_start, 1990);
	ck_assert_str_eq(c.provider[MFS_PROV_FMP].api_key, "Zq9fromOption");
	/* Nor does an empty api_key, which holds no key. */
	ck_assert_int_eq(mfs_config_load(&c, write_conf_mode("[provider.tiingo]\napi_key =\n", 0666),
					 &err),
			 MFS_OK);
	ck_assert_ptr_null(c.provider[MFS_PROV_TIINGO].api_key);
	mfs_config_free(&c);
}
END_TEST

/* mfs_config_set() (-o) never quotes a key either. */
START_TEST(test_api_key_never_echoed)
{
	static const char *const bad[] = { "Zq9 with blank", "Zq9\ttab", "Zq9\r\nX: y",
					   "Zq9\x7f", "Zq9\xc3\xa9" };
	struct mfs_config c;
	struct mfs_error err = { 0 };
	char longkey[300];

	mfs_config_defaults(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(mfs_config_set(&c, "provider.fmp", "api_key", bad[i], &err),
				 MFS_ERR_CONFIG);
		ck_assert_str_eq(err.msg,
				 "[provider.fmp] api_key: expected at most 256 printable characters "
				 "without blanks (the value is not shown)");
		ck_assert_ptr_null(c.provider[MFS_PROV_FMP].api_key);
	}

	/* 256 characters are accepted; 257 are refused without a piece of them. */
	memset(longkey, 'Z', sizeof(longkey));
	longkey[256] = '\0';
	ck_assert_int_eq(mfs_config_set(&c, "provider.fmp", "api_key", longkey, &err), MFS_OK);
	ck_assert_uint_eq(strlen(c.provider[MFS_PROV_FMP].api_key), 256);
	longkey[256] = 'Z';
	longkey[257] = '\0';
	ck_assert_int_eq(mfs_config_set(&c, "provider.fmp", "api_key", longkey, &err),
			 MFS_ERR_CONFIG);
	ck_assert_ptr_null(strstr(err.msg, "ZZ"));
	ck_assert_uint_eq(strlen(c.provider[MFS_PROV_FMP].api_key), 256);

	ck_assert_int_eq(mfs_config_set(&c, "provider.fmp", "api_key", "Zq9-ok_KEY.1", &err),
			 MFS_OK);
	ck_assert_str_eq(c.provider[MFS_PROV_FMP].api_key, "Zq9-ok_KEY.1");
	/* A key is not a valid value elsewhere, and is still not quoted there. */
	ck_assert_int_eq(mfs_config_set(&c, "marketfs", "api_key", "Zq9", &err),
			 MFS_ERR_CONFIG);
	ck_assert_ptr_null(strstr(err.msg, "Zq9"));
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_env_overrides_file)
{
	static const char text[] = "[provider.fmp]\n"
				   "api_key = fmp-from-file\n"
				   "[provider.polygon]\n"
				   "api_key = polygon-from-file\n"
				   "[provider.tiingo]\n"
				   "api_key = tiingo-from-file\n";
	struct mfs_config c;
	struct mfs_error err = { 0 };

	setenv("MARKETFS_FMP_KEY", "fmp-from-env", 1);
	setenv("MARKETFS_ALPHAVANTAGE_KEY", "av-from-env", 1);
	setenv("MARKETFS_POLYGON_KEY", "", 1); /* empty: ignored */
	unsetenv("MARKETFS_TIINGO_KEY");
	setenv("MARKETFS_tiingo_KEY", "wrong-case", 1); /* not the name */
	unsetenv("MARKETFS_YAHOO_KEY");
	unsetenv("MARKETFS_BINANCE_KEY");

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf_mode(text, 0600), &err), MFS_OK);
	/* Loading alone does not read the environment. */
	ck_assert_str_eq(c.provider[MFS_PROV_FMP].api_key, "fmp-from-file");
	mfs_config_apply_env(&c);
	ck_assert_str_eq(c.provider[MFS_PROV_FMP].api_key, "fmp-from-env");
	ck_assert_str_eq(c.provider[MFS_PROV_ALPHAVANTAGE].api_key, "av-from-env");
	ck_assert_str_eq(c.provider[MFS_PROV_POLYGON].api_key, "polygon-from-file");
	ck_assert_str_eq(c.provider[MFS_PROV_TIINGO].api_key, "tiingo-from-file");
	ck_assert_ptr_null(c.provider[MFS_PROV_YAHOO].api_key);
	ck_assert_ptr_null(c.provider[MFS_PROV_BINANCE].api_key);

	/* Every provider has its variable; applying twice is harmless. */
	setenv("MARKETFS_YAHOO_KEY", "y", 1);
	setenv("MARKETFS_BINANCE_KEY", "b", 1);
	setenv("MARKETFS_POLYGON_KEY", "p", 1);
	setenv("MARKETFS_TIINGO_KEY", "t", 1);
	mfs_config_apply_env(&c);
	mfs_config_apply_env(&c);
	ck_assert_str_eq(c.provider[MFS_PROV_YAHOO].api_key, "y");
	ck_assert_str_eq(c.provider[MFS_PROV_BINANCE].api_key, "b");
	ck_assert_str_eq(c.provider[MFS_PROV_POLYGON].api_key, "p");
	ck_assert_str_eq(c.provider[MFS_PROV_TIINGO].api_key, "t");
	ck_assert_str_eq(c.provider[MFS_PROV_FMP].api_key, "fmp-from-env");
	mfs_config_free(&c);

	/* Without a file: the environment alone. */
	mfs_config_defaults(&c);
	mfs_config_apply_env(&c);
	ck_assert_str_eq(c.provider[MFS_PROV_ALPHAVANTAGE].api_key, "av-from-env");
	mfs_config_free(&c);

	unsetenv("MARKETFS_FMP_KEY");
	unsetenv("MARKETFS_ALPHAVANTAGE_KEY");
	unsetenv("MARKETFS_POLYGON_KEY");
	unsetenv("MARKETFS_TIINGO_KEY");
	unsetenv("MARKETFS_tiingo_KEY");
	unsetenv("MARKETFS_YAHOO_KEY");
	unsetenv("MARKETFS_BINANCE_KEY");
}
END_TEST

/* ---- fundamentals ------------------------------------------------------ */

static const struct {
	const char *text;
	int64_t seconds;
} fundamentals_ttls[] = {
	{ "60", 60 },	   { "1m", 60 },	   { "90m", 5400 },	  { "12h", 43200 },
	{ "7d", 604800 }, { "365d", 31536000 }, { "8760h", 31536000 },
};

START_TEST(test_fundamentals_ttl)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "fundamentals_ttl", fundamentals_ttls[_i].text,
					&err),
			 MFS_OK);
	ck_assert_int_eq(c.fundamentals_ttl_s, fundamentals_ttls[_i].seconds);
	mfs_config_free(&c);
}
END_TEST

static const struct {
	const char *text;
	int64_t bytes;
} sizes[] = {
	{ "0", 0 },
	{ "1", 1 },
	{ "1048576", 1048576 },
	{ "1K", 1024 },
	{ "500M", 500LL << 20 },
	{ "20G", 20LL << 30 },
	{ "1.5G", 1610612736 },
	{ "2T", 2LL << 40 },
	{ "0.5K", 512 },
	{ "1.1K", 1126 }, /* 1126.4: the fraction of a byte is dropped */
	{ "0.000001T", 1099511 },
	{ "007M", 7LL << 20 },
	{ "0G", 0 },
	{ "8388607T", 8388607LL << 40 },
	{ "9223372036854775807", INT64_MAX },
};

/* Both size keys take the same syntax, each into its own field. */
START_TEST(test_sizes)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "cache_max_size", sizes[_i].text, &err), MFS_OK);
	ck_assert_int_eq(c.cache_max_size, sizes[_i].bytes);
	ck_assert_int_eq(c.free_space_floor, 0);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "free_space_floor", sizes[_i].text, &err),
			 MFS_OK);
	ck_assert_int_eq(c.free_space_floor, sizes[_i].bytes);
	mfs_config_free(&c);
}
END_TEST

static const struct {
	const char *text;
	int minutes;
} clocks[] = {
	{ "17:00", 17 * 60 }, { "00:05", 5 }, { "0:05", 5 },	     { "00:00", 0 },
	{ "23:59", 1439 },    { "9:30", 570 }, { "09:30", 570 }, { "12:07", 727 },
};

START_TEST(test_maintenance_times)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance_stock", clocks[_i].text, &err),
			 MFS_OK);
	ck_assert_int_eq(c.maintenance_stock_min, clocks[_i].minutes);
	ck_assert_int_eq(c.maintenance_crypto_min, 5);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance_crypto", clocks[_i].text, &err),
			 MFS_OK);
	ck_assert_int_eq(c.maintenance_crypto_min, clocks[_i].minutes);
	mfs_config_free(&c);
}
END_TEST

/* A bad value leaves the setting as it was; the messages are exact. */
START_TEST(test_eviction_keys_set)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "cache_max_size", "20G", &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "cache_max_size", "20GiB", &err),
			 MFS_ERR_CONFIG);
	ck_assert_str_eq(err.msg,
			 "[marketfs] cache_max_size = '20GiB': expected a size such as 20G, 500M or "
			 "1.5G, or a number of bytes (K, M, G, T are powers of 1024; 0 = off)");
	ck_assert_int_eq(c.cache_max_size, 20LL << 30);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "cache_max_size", "0", &err), MFS_OK);
	ck_assert_int_eq(c.cache_max_size, 0);

	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance", "off", &err), MFS_OK);
	ck_assert(!c.maintenance);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance", "later", &err), MFS_ERR_CONFIG);
	ck_assert(!c.maintenance);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance", "YES", &err), MFS_OK);
	ck_assert(c.maintenance);

	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance_stock", "16:30", &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance_stock", "16.30", &err),
			 MFS_ERR_CONFIG);
	ck_assert_str_eq(err.msg, "[marketfs] maintenance_stock = '16.30': expected a time of day "
				  "HH:MM from 00:00 to 23:59 (New York time)");
	ck_assert_int_eq(c.maintenance_stock_min, 16 * 60 + 30);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "maintenance_crypto", "1:00 ", &err),
			 MFS_ERR_CONFIG);
	ck_assert_str_eq(err.msg, "[marketfs] maintenance_crypto = '1:00 ': expected a time of day "
				  "HH:MM from 00:00 to 23:59 (UTC)");
	ck_assert_int_eq(c.maintenance_crypto_min, 5);
	mfs_config_free(&c);
}
END_TEST

#define END_OF_LIST (-1)

static const struct {
	const char *text;
	int want[MFS_PROV__COUNT + 1]; /* ends with END_OF_LIST */
} priorities[] = {
	{ "fmp", { MFS_PROV_FMP, END_OF_LIST } },
	{ "yahoo,fmp", { MFS_PROV_YAHOO, MFS_PROV_FMP, END_OF_LIST } },
	{ "polygon ,  fmp", { MFS_PROV_POLYGON, MFS_PROV_FMP, END_OF_LIST } },
	{ "alphavantage\ttiingo", { MFS_PROV_ALPHAVANTAGE, MFS_PROV_TIINGO, END_OF_LIST } },
	{ "tiingo polygon, alphavantage,yahoo\tfmp binance",
	  { MFS_PROV_TIINGO, MFS_PROV_POLYGON, MFS_PROV_ALPHAVANTAGE, MFS_PROV_YAHOO,
	    MFS_PROV_FMP, MFS_PROV_BINANCE, END_OF_LIST } },
};

START_TEST(test_fundamentals_priority)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	unsigned n = 0;

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "fundamentals_priority", priorities[_i].text,
					&err),
			 MFS_OK);
	while (priorities[_i].want[n] != END_OF_LIST)
		n++;
	ck_assert_uint_eq(c.n_fundamentals_priority, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(c.fundamentals_priority[i], priorities[_i].want[i]);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_rules_and_symbols)
{
	struct mfs_config c;
	struct mfs_error err = { 0 };
	const struct mfs_rule *r;

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_load(&c, write_conf("[rules]\n"
							 "stock.* = yahoo\n"
							 "stock.intraday = polygon, alpaca yahoo\n"
							 "stock.1h = alphavantage\n"
							 "etf.daily = tiingo\n"
							 "[symbols]\n"
							 "class.futures = ES=F, NQ=F\n"
							 "  CL=F\n"
							 "class.stock = X:FOO\n"
							 "map.firstrate = ES=F>ES 6E=F>E6\n"
							 "map.yahoo = BRK.B>BRK-B\n"),
					 &err),
			 MFS_OK);
	/* the most specific rule wins: a timeframe, then a group, then * */
	r = mfs_config_rule(&c, MFS_CLASS_STOCK, MFS_TF_1H);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_int_eq(r->list[0], MFS_PROV_ALPHAVANTAGE);
	r = mfs_config_rule(&c, MFS_CLASS_STOCK, MFS_TF_5M);
	ck_assert_uint_eq(r->n, 3);
	ck_assert_int_eq(r->list[1], MFS_PROV_ALPACA);
	r = mfs_config_rule(&c, MFS_CLASS_STOCK, MFS_TF_1D); /* etf is stock */
	ck_assert_uint_eq(r->n, 1);
	ck_assert_int_eq(r->list[0], MFS_PROV_TIINGO);
	ck_assert_ptr_null(mfs_config_rule(&c, MFS_CLASS_CRYPTO, MFS_TF_1D));
	ck_assert_int_eq(mfs_config_symbol_class(&c, "CL=F"), MFS_CLASS_FUTURES);
	ck_assert_int_eq(mfs_config_symbol_class(&c, "X:FOO"), MFS_CLASS_STOCK);
	ck_assert_int_eq(mfs_config_symbol_class(&c, "AAPL"), -1);
	ck_assert_str_eq(mfs_config_symbol_map(&c, "6E=F", MFS_PROV_FIRSTRATE), "E6");
	ck_assert_str_eq(mfs_config_symbol_map(&c, "BRK.B", MFS_PROV_YAHOO), "BRK-B");
	ck_assert_ptr_null(mfs_config_symbol_map(&c, "BRK.B", MFS_PROV_POLYGON));
	/* -o style: the same key replaces the rule */
	ck_assert_int_eq(mfs_config_set(&c, "rules", "stock.1h", "fmp", &err), MFS_OK);
	ck_assert_int_eq(mfs_config_rule(&c, MFS_CLASS_STOCK, MFS_TF_1H)->list[0], MFS_PROV_FMP);
	mfs_config_free(&c);
}
END_TEST

START_TEST(test_fundamentals_priority_errors)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "fmp iex", "unknown provider 'iex' (known: yahoo, binance, fmp" },
		{ "fmp,yahoo,fmp", "provider 'fmp' is listed twice" },
		{ "", "no provider given" },
		{ "   ", "no provider given" },
		{ "fmp,,yahoo", "empty entry" },
		{ ",", "empty entry" },
		{ "fmp ,", "empty entry after the last comma" },
		{ "averyveryveryveryveryveryverylongprovidername", "unknown provider 'averyvery" },
	};
	struct mfs_config c;
	struct mfs_error err = { 0 };

	mfs_config_defaults(&c);
	ck_assert_int_eq(mfs_config_set(&c, NULL, "fundamentals_priority", "tiingo, yahoo", &err),
			 MFS_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(mfs_config_set(&c, NULL, "fundamentals_priority", bad[i].text,
						&err),
				 MFS_ERR_CONFIG);
		ck_assert_msg(strncmp(err.msg, "[marketfs] fundamentals_priority = '", 36) == 0,
			      "'%s'", err.msg);
		ck_assert_msg(strstr(err.msg, bad[i].why), "'%s' not in '%s'", bad[i].why,
			      err.msg);
		/* The list is unchanged. */
		ck_assert_uint_eq(c.n_fundamentals_priority, 2);
		ck_assert_int_eq(c.fundamentals_priority[0], MFS_PROV_TIINGO);
		ck_assert_int_eq(c.fundamentals_priority[1], MFS_PROV_YAHOO);
	}
	mfs_config_free(&c);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_defaults_user_cache_dir);
	tcase_add_test(tc, test_default_path_user);
	tcase_add_test(tc, test_default_path_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_crlf_and_empty_file);
	tcase_add_test(tc, test_load_over_current_values);
	tcase_add_test(tc, test_watch);
	tcase_add_test(tc, test_watch_set_keeps_list_on_error);
	tcase_add_test(tc, test_free_twice);
	tcase_add_test(tc, test_rules_and_symbols);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, N(bad_cases));
	tcase_add_test(tc, test_error_long_line);
	tcase_add_test(tc, test_error_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_durations, 0, N(durations));
	tcase_add_test(tc, test_seconds_keys);
	tcase_add_loop_test(tc, test_rate_limits, 0, N(rates));
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_long_value_is_shortened);
	tcase_add_loop_test(tc, test_fundamentals_ttl, 0, N(fundamentals_ttls));
	tcase_add_loop_test(tc, test_fundamentals_priority, 0, N(priorities));
	tcase_add_test(tc, test_fundamentals_priority_errors);
	tcase_add_loop_test(tc, test_sizes, 0, N(sizes));
	tcase_add_loop_test(tc, test_maintenance_times, 0, N(clocks));
	tcase_add_test(tc, test_eviction_keys_set);
	suite_add_tcase(s, tc);

	tc = tcase_create("providers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_provider_section, 0, MFS_PROV__COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("secrets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_api_keys_mode_0600);
	tcase_add_loop_test(tc, test_api_keys_open_mode_refused, 0, N(open_modes));
	tcase_add_test(tc, test_open_mode_without_keys);
	tcase_add_test(tc, test_api_key_never_echoed);
	tcase_add_test(tc, test_env_overrides_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
