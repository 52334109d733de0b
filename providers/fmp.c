/*
 * fmp: bars (a stub until its parser lands) and fundamentals (fund_fmp.c).
 */
#include <marketfs/provider.h>

#include "fund_parse.h"
#include "yahoo.h"

const struct mfs_provider_ops mfs_fmp_ops = {
	.name = "fmp",
	.serves = mfs_fund_no_bars,
	.earliest = mfs_fund_no_bars_earliest,
	.fundamentals = mfs_fmp_fundamentals,
	.needs_key = true,
	/* BRK.B -> BRK-B, exchange suffixes (VOD.L) kept: FMP spells them as Yahoo */
	.map_symbol = mfs_yahoo_map_symbol,
	.default_rate_tokens = 250,
	.default_rate_period_s = 86400,
};
