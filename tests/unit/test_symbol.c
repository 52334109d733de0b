/*
 * Unit tests for providers/symbol.c: which names are valid symbols, which
 * asset class each form maps to, and the provider names kept beside them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/config.h>
#include <marketfs/symbol.h>

static const char *const valid_names[] = {
	"AAPL",	    "^GSPC",   "ES=F",	    "BRK.B",	"X:BTCUSD", "BTC-USD",
	"EURUSD=X", "a",       "T",	    "7203.T",	"BTC_USDT", ".A",
	"A.",	    "..A",     "1INCHUSDT", "brk.b",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", /* 32 characters */
};

static const char *const invalid_names[] = {
	"",
	".",
	"..",
	"...",
	"....",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", /* 33 characters */
	"a/b",
	"/",
	"AAPL ",
	" AAPL",
	"BRK B",
	"A\tB",
	"A\nB",
	"\xc3\x84PPL", /* "ÄPPL" in UTF-8 */
	"\xe2\x82\xac", /* the euro sign */
	"A*",
	"A?",
	"A\\B",
	"A,B",
	"A+B",
	"A%20",
	"A@B",
	"~AAPL",
};

START_TEST(test_valid)
{
	ck_assert_msg(mfs_symbol_valid(valid_names[_i]), "'%s' should be valid",
		      valid_names[_i]);
}
END_TEST

START_TEST(test_invalid)
{
	ck_assert_msg(!mfs_symbol_valid(invalid_names[_i]), "'%s' should be invalid",
		      invalid_names[_i]);
}
END_TEST

START_TEST(test_invalid_null_and_long)
{
	char longname[1024];

	ck_assert(!mfs_symbol_valid(NULL));
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert(!mfs_symbol_valid(longname));
	longname[32] = '\0';
	ck_assert(mfs_symbol_valid(longname));
	longname[32] = 'A';
	longname[33] = '\0';
	ck_assert(!mfs_symbol_valid(longname));
}
END_TEST

static const struct {
	const char *name;
	enum mfs_class cls;
} classes[] = {
	{ "AAPL", MFS_CLASS_STOCK },
	{ "SPY", MFS_CLASS_STOCK },
	{ "T", MFS_CLASS_STOCK },
	{ "BRK.B", MFS_CLASS_STOCK },
	{ "BRK-B", MFS_CLASS_STOCK },
	{ "7203.T", MFS_CLASS_STOCK },
	/* A bare asset has no quote currency: it may be a ticker. */
	{ "BTC", MFS_CLASS_STOCK },
	{ "ETH", MFS_CLASS_STOCK },
	/* One letter before BTC/BNB/ETH: stock and ETF tickers. */
	{ "GBTC", MFS_CLASS_STOCK },
	{ "ABNB", MFS_CLASS_STOCK },
	{ "FETH", MFS_CLASS_STOCK },
	/* Case matters: Binance symbols are upper case. */
	{ "btcusdt", MFS_CLASS_STOCK },
	{ "BTCUSDT", MFS_CLASS_CRYPTO },
	{ "ETHBTC", MFS_CLASS_CRYPTO },
	{ "SOLUSDT", MFS_CLASS_CRYPTO },
	{ "BNBETH", MFS_CLASS_CRYPTO },
	{ "ETHFDUSD", MFS_CLASS_CRYPTO },
	{ "1INCHUSDT", MFS_CLASS_CRYPTO },
	{ "BTC-USD", MFS_CLASS_CRYPTO },
	{ "ETH-EUR", MFS_CLASS_CRYPTO },
	{ "SOL-USDT", MFS_CLASS_CRYPTO },
	{ "BTCUSD", MFS_CLASS_CRYPTO },
	{ "X:BTCUSD", MFS_CLASS_CRYPTO },
	{ "EURUSD", MFS_CLASS_FOREX },
	{ "USDJPY", MFS_CLASS_FOREX },
	{ "EURUSD=X", MFS_CLASS_FOREX },
	{ "JPY=X", MFS_CLASS_FOREX },
	{ "C:EURUSD", MFS_CLASS_FOREX },
	{ "USDUSD", MFS_CLASS_STOCK },
	{ "EURXYZ", MFS_CLASS_STOCK },
	{ "^GSPC", MFS_CLASS_INDEX },
	{ "^VIX", MFS_CLASS_INDEX },
	{ "I:SPX", MFS_CLASS_INDEX },
	{ "ES=F", MFS_CLASS_FUTURES },
	{ "CL=F", MFS_CLASS_FUTURES },
	{ "NYSE:IBM", MFS_CLASS_STOCK },
	/* Invalid names are never classified as anything special. */
	{ "", MFS_CLASS_STOCK },
	{ "^a/b", MFS_CLASS_STOCK },
};

START_TEST(test_classify)
{
	enum mfs_class got = mfs_symbol_classify(classes[_i].name);

	ck_assert_msg(got == classes[_i].cls, "'%s': got %s, want %s", classes[_i].name,
		      mfs_class_name(got), mfs_class_name(classes[_i].cls));
}
END_TEST

START_TEST(test_classify_null)
{
	ck_assert_int_eq(mfs_symbol_classify(NULL), MFS_CLASS_STOCK);
}
END_TEST

START_TEST(test_class_names)
{
	ck_assert_str_eq(mfs_class_name(MFS_CLASS_STOCK), "stock");
	ck_assert_str_eq(mfs_class_name(MFS_CLASS_CRYPTO), "crypto");
	ck_assert_str_eq(mfs_class_name(MFS_CLASS_INDEX), "index");
	ck_assert_str_eq(mfs_class_name(MFS_CLASS_FOREX), "forex");
	ck_assert_str_eq(mfs_class_name(MFS_CLASS_FUTURES), "futures");
	ck_assert_str_eq(mfs_class_name(MFS_CLASS__COUNT), "unknown");
	ck_assert_str_eq(mfs_class_name((enum mfs_class)-1), "unknown");
}
END_TEST

START_TEST(test_adj_close)
{
	ck_assert(mfs_class_has_adj_close(MFS_CLASS_STOCK));
	ck_assert(mfs_class_has_adj_close(MFS_CLASS_INDEX));
	ck_assert(!mfs_class_has_adj_close(MFS_CLASS_CRYPTO));
	ck_assert(!mfs_class_has_adj_close(MFS_CLASS_FOREX));
	ck_assert(!mfs_class_has_adj_close(MFS_CLASS_FUTURES));
	ck_assert(!mfs_class_has_adj_close(MFS_CLASS__COUNT));
}
END_TEST

static const struct {
	enum mfs_provider_id id;
	const char *name;
} providers[] = {
	{ MFS_PROV_YAHOO, "yahoo" },	     { MFS_PROV_BINANCE, "binance" },
	{ MFS_PROV_FMP, "fmp" },	     { MFS_PROV_ALPHAVANTAGE, "alphavantage" },
	{ MFS_PROV_POLYGON, "polygon" }, { MFS_PROV_TIINGO, "tiingo" },
	{ MFS_PROV_ALPACA, "alpaca" },	     { MFS_PROV_FIRSTRATE, "firstrate" },
	{ MFS_PROV_MIRROR, "mirror" },
};

START_TEST(test_provider_name_round_trip)
{
	ck_assert_str_eq(mfs_provider_name(providers[_i].id), providers[_i].name);
	ck_assert_int_eq(mfs_provider_parse(providers[_i].name), providers[_i].id);
}
END_TEST

START_TEST(test_provider_names)
{
	ck_assert_int_eq(MFS_PROV__COUNT, 9);
	ck_assert_ptr_null(mfs_provider_name(MFS_PROV__COUNT));
	ck_assert_ptr_null(mfs_provider_name((enum mfs_provider_id)-1));
	/* Not providers of this version, and near misses of real names. */
	ck_assert_int_eq(mfs_provider_parse("iex"), -1);
	ck_assert_int_eq(mfs_provider_parse("iqfeed"), -1);
	ck_assert_int_eq(mfs_provider_parse("Alpaca"), -1);
	ck_assert_int_eq(mfs_provider_parse("Yahoo"), -1);
	ck_assert_int_eq(mfs_provider_parse("FMP"), -1);
	ck_assert_int_eq(mfs_provider_parse("alpha vantage"), -1);
	ck_assert_int_eq(mfs_provider_parse("alpha"), -1);
	ck_assert_int_eq(mfs_provider_parse("polygon "), -1);
	ck_assert_int_eq(mfs_provider_parse("tiingo,"), -1);
	ck_assert_int_eq(mfs_provider_parse(""), -1);
	ck_assert_int_eq(mfs_provider_parse(NULL), -1);
	for (int i = 0; i < MFS_PROV__COUNT; i++) {
		const char *name = mfs_provider_name((enum mfs_provider_id)i);

		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(mfs_provider_parse(name), i);
		/* Every name is unique. */
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(name, mfs_provider_name((enum mfs_provider_id)j));
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *symbol_suite(void)
{
	Suite *s = suite_create("symbol");
	TCase *tc = tcase_create("valid");

	tcase_add_loop_test(tc, test_valid, 0, N(valid_names));
	tcase_add_loop_test(tc, test_invalid, 0, N(invalid_names));
	tcase_add_test(tc, test_invalid_null_and_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_classify, 0, N(classes));
	tcase_add_test(tc, test_classify_null);
	tcase_add_test(tc, test_class_names);
	tcase_add_test(tc, test_adj_close);
	tcase_add_loop_test(tc, test_provider_name_round_trip, 0, N(providers));
	tcase_add_test(tc, test_provider_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(symbol_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
