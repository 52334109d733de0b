/*
 * Provider selection (providers/registry.c): built-in chains, [rules],
 * the mirror first, keys, timeframes built from finer ones, and the
 * [symbols] overrides of class and ticker.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/config.h>
#include <marketfs/provider.h>

#include "testutil.h"

static struct mfs_config cfg;
static struct mfs_providers *ps;

static void set(const char *section, const char *key, const char *value)
{
	struct mfs_error err = { 0 };

	ck_assert_msg(mfs_config_set(&cfg, section, key, value, &err) == MFS_OK, "%s %s: %s",
		      section, key, err.msg);
}

static void setup(void)
{
	mfs_config_defaults(&cfg);
	ps = NULL;
}

static void teardown(void)
{
	mfs_providers_free(ps);
	mfs_config_free(&cfg);
}

static void open_ps(void)
{
	struct mfs_error err = { 0 };

	ps = mfs_providers_new(&cfg, &err);
	ck_assert_ptr_nonnull(ps);
}

/* "yahoo,tiingo" for the chain of (cls, tf). */
static const char *chain(enum mfs_class cls, enum mfs_tf tf)
{
	static char buf[256];
	struct mfs_provider *c[MFS_PROV__COUNT];
	unsigned n = mfs_providers_chain(ps, cls, tf, c, MFS_PROV__COUNT);

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, mfs_provider_get_name(c[i]));
	}
	return buf;
}

static void give_keys(void)
{
	static const char *const keyed[] = { "fmp", "alphavantage", "polygon", "tiingo", "alpaca",
					     "firstrate" };
	char section[64];

	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		snprintf(section, sizeof(section), "provider.%s", keyed[i]);
		set(section, "api_key", strcmp(keyed[i], "alpaca") == 0 ? "id:secret" : "k");
	}
}

START_TEST(test_defaults_without_keys)
{
	open_ps();
	/* only the keyless providers: Yahoo and Binance */
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_1D), "yahoo");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_5M), "yahoo");
	ck_assert_str_eq(chain(MFS_CLASS_CRYPTO, MFS_TF_4H), "binance");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_4H), "");
	/* nobody serves stock 4h: it is built from 1h */
	ck_assert_int_eq(mfs_providers_source_tf(ps, MFS_CLASS_STOCK, MFS_TF_4H), MFS_TF_1H);
	ck_assert_int_eq(mfs_providers_source_tf(ps, MFS_CLASS_STOCK, MFS_TF_1H), MFS_TF_1H);
	ck_assert_int_eq(mfs_providers_finer_tf(ps, MFS_CLASS_STOCK, MFS_TF_1W), MFS_TF_1D);
	ck_assert_int_eq(mfs_providers_finer_tf(ps, MFS_CLASS_STOCK, MFS_TF_1M), MFS_TF_INVALID);
}
END_TEST

START_TEST(test_defaults_with_keys)
{
	give_keys();
	open_ps();
	/* SPEC section 4: daily Yahoo, Tiingo, Polygon ...; intraday Polygon, Alpaca, Alpha Vantage, Yahoo ... */
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_1D),
			 "yahoo,tiingo,polygon,fmp,alpaca,alphavantage,firstrate");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_5M),
			 "polygon,alpaca,alphavantage,yahoo,fmp,tiingo,firstrate");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_15M),
			 "polygon,alpaca,alphavantage,yahoo,fmp,tiingo"); /* FirstRate has no 15m */
	ck_assert_str_eq(chain(MFS_CLASS_CRYPTO, MFS_TF_1D), "binance,polygon,firstrate,yahoo");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_1W), "yahoo");
}
END_TEST

START_TEST(test_rules_and_mirror)
{
	give_keys();
	set("rules", "stock.daily", "tiingo, yahoo");
	set("rules", "stock.1h", "alphavantage");
	set("rules", "crypto.*", "binance");
	set("provider.mirror", "base_url", "http://127.0.0.1:9");
	set("provider.polygon", "enabled", "false");
	open_ps();
	/* the mirror first, then the rule; disabled providers drop out */
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_1D), "mirror,tiingo,yahoo");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_1H), "mirror,alphavantage");
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_5M),
			 "mirror,alpaca,alphavantage,yahoo,fmp,tiingo,firstrate");
	ck_assert_str_eq(chain(MFS_CLASS_CRYPTO, MFS_TF_1M), "mirror,binance");
	/* 1w: the rule lists Yahoo, which serves it natively */
	ck_assert_int_eq(mfs_providers_source_tf(ps, MFS_CLASS_STOCK, MFS_TF_1W), MFS_TF_1W);
}
END_TEST

START_TEST(test_mirror_alone_is_not_a_source)
{
	set("rules", "stock.*", "tiingo"); /* no key: nobody */
	set("provider.mirror", "base_url", "http://127.0.0.1:9");
	open_ps();
	ck_assert_str_eq(chain(MFS_CLASS_STOCK, MFS_TF_4H), "mirror");
	ck_assert_int_eq(mfs_providers_source_tf(ps, MFS_CLASS_STOCK, MFS_TF_4H), MFS_TF_INVALID);
}
END_TEST

START_TEST(test_symbol_overrides)
{
	struct mfs_provider *y, *p;
	char out[64];

	give_keys();
	set("symbols", "class.crypto", "FOO");
	set("symbols", "map.yahoo", "BRK.B>BRK-B2");
	open_ps();
	y = mfs_providers_get(ps, MFS_PROV_YAHOO);
	p = mfs_providers_get(ps, MFS_PROV_POLYGON);
	ck_assert_int_eq(mfs_providers_classify(ps, "FOO"), MFS_CLASS_CRYPTO);
	ck_assert_int_eq(mfs_providers_classify(ps, "BTCUSDT"), MFS_CLASS_CRYPTO);
	ck_assert_int_eq(mfs_providers_classify(ps, "AAPL"), MFS_CLASS_STOCK);
	mfs_providers_map_symbol(ps, y, "BRK.B", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "BRK-B2");
	mfs_providers_map_symbol(ps, y, "BTCUSDT", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "BTC-USD");
	mfs_providers_map_symbol(ps, p, "BTCUSDT", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "X:BTCUSD");
	mfs_providers_map_symbol(ps, p, "^GSPC", MFS_CLASS_INDEX, out, sizeof(out));
	ck_assert_str_eq(out, "I:SPX");
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults_without_keys);
	tcase_add_test(tc, test_defaults_with_keys);
	tcase_add_test(tc, test_rules_and_mirror);
	tcase_add_test(tc, test_mirror_alone_is_not_a_source);
	tcase_add_test(tc, test_symbol_overrides);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
