/*
 * tiingo: bars (a stub until its parser lands) and fundamentals (fund_tiingo.c).
 */
#include <marketfs/provider.h>

#include "fund_parse.h"
#include "yahoo.h"

const struct mfs_provider_ops mfs_tiingo_ops = {
	.name = "tiingo",
	.serves = mfs_fund_no_bars,
	.earliest = mfs_fund_no_bars_earliest,
	.fundamentals = mfs_tiingo_fundamentals,
	.needs_key = true,
	/* BRK.B -> BRK-B (PROVIDERS.md section 5), as Yahoo spells share classes */
	.map_symbol = mfs_yahoo_map_symbol,
	/* free plan: 50 requests an hour (PROVIDERS.md section 5) */
	.default_rate_tokens = 50,
	.default_rate_period_s = 3600,
};
