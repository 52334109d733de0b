/*
 * Symbol names, their asset class, and the names of providers.
 *
 * This module decides two things from a symbol's spelling alone: whether
 * the name may appear in the mount at all (SPEC section 1), and which asset
 * class it most likely belongs to (SPEC section 4). It owns no state and
 * never talks to a provider: classification must be cheap enough to run on
 * every lookup, and must give the same answer on every machine.
 *
 * Classification is a heuristic on the form of the name. The [symbols]
 * section of the config overrides it per symbol (a stock literally called
 * "ETHBTC", a future under an exchange ticker: mfs_providers_classify()
 * asks the config first). Rules, in order:
 *
 *   ^GSPC             index    (Yahoo's index prefix)
 *   X:BTCUSD          crypto   (Polygon's prefixes: X: crypto, C: forex,
 *   C:EURUSD, I:SPX            I: index; other prefixes fall through)
 *   ES=F              futures  (Yahoo's continuous-future suffix)
 *   EURUSD=X          forex    (Yahoo's currency-pair suffix)
 *   EURUSD            forex    (two ISO codes from a short list of majors)
 *   BTC-USD           crypto   (Yahoo: known crypto asset - quote asset)
 *   BTCUSDT, ETHBTC   crypto   (Binance: base of >= 2 characters followed
 *                              by a crypto quote asset, all upper case)
 *   BTCUSD, ETHEUR    crypto   (a known crypto asset followed by a fiat
 *                              code, as Coinbase and Kraken spell pairs)
 *   anything else     stock    (stocks and ETFs)
 *
 * A bare "BTC" has no quote asset and so is a stock: it could be a ticker,
 * and a price needs a quote currency anyway (use BTCUSDT or BTC-USD). The
 * two-character minimum on the Binance rule keeps tickers such as GBTC,
 * ABNB and FETH (one letter before BTC/BNB/ETH) classified as stocks.
 * Symbols are case-sensitive, as paths are: "btcusdt" is a stock.
 */
#include <stddef.h>
#include <string.h>

#include <marketfs/config.h>
#include <marketfs/limits.h>
#include <marketfs/symbol.h>

/* Currencies that make a six-letter name such as EURUSD a forex pair. */
static const char *const iso_currencies[] = {
	"USD", "EUR", "GBP", "JPY", "CHF", "AUD", "CAD", "NZD", "SEK",
	"NOK", "DKK", "HKD", "SGD", "CNH", "MXN", "ZAR", "TRY", "PLN",
};

/* Quote assets of Binance-style pairs (BASEQUOTE, no separator). */
static const char *const crypto_quotes[] = {
	"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB",
};

/* Quote assets after the dash of Yahoo-style pairs (BASE-QUOTE). */
static const char *const dash_quotes[] = {
	"USD", "USDT", "USDC", "EUR", "GBP", "JPY", "CAD", "AUD",
	"CHF", "BTC", "ETH", "BNB",
};

/* Crypto assets recognised as the base of BASE-QUOTE and BASEFIAT. */
static const char *const crypto_assets[] = {
	"BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC",
	"BCH", "LINK", "AVAX", "MATIC", "POL", "TRX", "XLM", "ATOM", "ETC",
	"XMR", "UNI", "SHIB", "TON", "NEAR", "APT", "ARB", "OP", "FIL",
	"ALGO", "ICP", "HBAR", "VET", "SUI", "PEPE", "AAVE", "MKR", "USDT",
	"USDC", "DAI", "XTZ", "EOS", "SAND", "MANA", "AXS", "GRT", "INJ",
	"RNDR", "RUNE", "STX", "KAS", "SEI", "TIA", "WIF", "BONK", "FET",
	"CRO", "ZEC", "DASH", "XEM", "NEO", "QTUM", "WBTC", "STETH",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *s, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* c must not be '\0': strchr() would find the terminator. */
static bool is_symbol_char(char c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z') || is_digit(c) ||
	       strchr(".-_^=:", c) != NULL;
}

bool mfs_symbol_valid(const char *name)
{
	size_t len = 0;
	bool only_dots = true;

	if (!name)
		return false;
	/* Stop one past the maximum: a long name need not be scanned. */
	for (; name[len] && len <= MFS_SYMBOL_MAX; len++) {
		if (!is_symbol_char(name[len]))
			return false;
		if (name[len] != '.')
			only_dots = false;
	}
	return len >= 1 && len <= MFS_SYMBOL_MAX && !only_dots;
}

/* All characters in [s, s + len) are A-Z or 0-9. */
static bool upper_alnum(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_upper(s[i]) && !is_digit(s[i]))
			return false;
	return true;
}

static bool upper_alpha(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_upper(s[i]))
			return false;
	return true;
}

static bool ends_with_nocase(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = s[len - n + i], b = suffix[i];

		if (a >= 'a' && a <= 'z')
			a = (char)(a - 'a' + 'A');
		if (a != b)
			return false;
	}
	return true;
}

/* EURUSD: two different currencies from the list, nothing else. */
static bool is_forex_pair(const char *s, size_t len)
{
	return len == 6 && upper_alpha(s, 6) && memcmp(s, s + 3, 3) != 0 &&
	       in_list(s, 3, iso_currencies, ARRAY_SIZE(iso_currencies)) &&
	       in_list(s + 3, 3, iso_currencies, ARRAY_SIZE(iso_currencies));
}

/* BTC-USD: a known crypto asset, one dash, a known quote asset. */
static bool is_dash_pair(const char *s, size_t len)
{
	const char *dash = memchr(s, '-', len);
	size_t blen, qlen;

	if (!dash)
		return false;
	blen = (size_t)(dash - s);
	qlen = len - blen - 1;
	return in_list(s, blen, crypto_assets, ARRAY_SIZE(crypto_assets)) &&
	       in_list(dash + 1, qlen, dash_quotes, ARRAY_SIZE(dash_quotes));
}

/* BTCUSDT, ETHBTC: upper-case alphanumeric BASE + crypto QUOTE, BASE >= 2. */
static bool is_binance_pair(const char *s, size_t len)
{
	if (!upper_alnum(s, len))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(crypto_quotes); i++) {
		size_t qlen = strlen(crypto_quotes[i]);

		if (len >= qlen + 2 && memcmp(s + len - qlen, crypto_quotes[i], qlen) == 0)
			return true;
	}
	return false;
}

/* BTCUSD, ETHEUR: a known crypto asset followed by a fiat currency. */
static bool is_crypto_fiat_pair(const char *s, size_t len)
{
	return len > 3 && upper_alnum(s, len) &&
	       in_list(s + len - 3, 3, iso_currencies, ARRAY_SIZE(iso_currencies)) &&
	       in_list(s, len - 3, crypto_assets, ARRAY_SIZE(crypto_assets));
}

/* X:BTCUSD and friends; MFS_CLASS__COUNT when the prefix says nothing. */
static enum mfs_class classify_prefixed(const char *name)
{
	const char *colon = strchr(name, ':');

	if (!colon || colon - name != 1)
		return MFS_CLASS__COUNT;
	switch (name[0]) {
	case 'X':
		return MFS_CLASS_CRYPTO;
	case 'C':
		return MFS_CLASS_FOREX;
	case 'I':
		return MFS_CLASS_INDEX;
	default:
		return MFS_CLASS__COUNT;
	}
}

enum mfs_class mfs_symbol_classify(const char *name)
{
	enum mfs_class cls;
	size_t len;

	if (!mfs_symbol_valid(name))
		return MFS_CLASS_STOCK;
	len = strlen(name);

	if (name[0] == '^')
		return MFS_CLASS_INDEX;
	cls = classify_prefixed(name);
	if (cls != MFS_CLASS__COUNT)
		return cls;
	if (ends_with_nocase(name, len, "=F"))
		return MFS_CLASS_FUTURES;
	if (ends_with_nocase(name, len, "=X"))
		return MFS_CLASS_FOREX;
	if (is_forex_pair(name, len))
		return MFS_CLASS_FOREX;
	if (is_dash_pair(name, len) || is_binance_pair(name, len) ||
	    is_crypto_fiat_pair(name, len))
		return MFS_CLASS_CRYPTO;
	return MFS_CLASS_STOCK;
}

static const char *const class_names[MFS_CLASS__COUNT] = {
	[MFS_CLASS_STOCK] = "stock",   [MFS_CLASS_CRYPTO] = "crypto",
	[MFS_CLASS_INDEX] = "index",   [MFS_CLASS_FOREX] = "forex",
	[MFS_CLASS_FUTURES] = "futures",
};

int mfs_class_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < MFS_CLASS__COUNT; i++)
		if (strcmp(name, class_names[i]) == 0)
			return i;
	if (strcmp(name, "etf") == 0) /* ETFs are stocks to every provider */
		return MFS_CLASS_STOCK;
	return -1;
}

/* "unknown" rather than NULL: the result goes straight into JSON and logs. */
const char *mfs_class_name(enum mfs_class cls)
{
	if ((unsigned)cls >= MFS_CLASS__COUNT)
		return "unknown";
	return class_names[cls];
}

bool mfs_class_has_adj_close(enum mfs_class cls)
{
	return cls == MFS_CLASS_STOCK || cls == MFS_CLASS_INDEX;
}

/*
 * Provider names live here rather than in fs/config.c because the provider
 * registry (providers/) needs them too, and data flows fs -> providers only.
 */
static const char *const provider_names[MFS_PROV__COUNT] = {
	[MFS_PROV_YAHOO] = "yahoo",
	[MFS_PROV_BINANCE] = "binance",
	[MFS_PROV_FMP] = "fmp",
	[MFS_PROV_ALPHAVANTAGE] = "alphavantage",
	[MFS_PROV_POLYGON] = "polygon",
	[MFS_PROV_TIINGO] = "tiingo",
	[MFS_PROV_ALPACA] = "alpaca",
	[MFS_PROV_FIRSTRATE] = "firstrate",
	[MFS_PROV_MIRROR] = "mirror",
};

/* NULL for an invalid id, like mfs_tf_name(). */
const char *mfs_provider_name(enum mfs_provider_id id)
{
	if ((unsigned)id >= MFS_PROV__COUNT)
		return NULL;
	return provider_names[id];
}

/* Exact and case-sensitive: the names are also file-name parts. */
int mfs_provider_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < MFS_PROV__COUNT; i++)
		if (strcmp(name, provider_names[i]) == 0)
			return i;
	return -1;
}
