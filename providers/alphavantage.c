/*
 * alphavantage: bars (a stub until its parser lands) and fundamentals (fund_alphavantage.c).
 */
#include <marketfs/provider.h>

#include "fund_parse.h"
#include "yahoo.h"

const struct mfs_provider_ops mfs_alphavantage_ops = {
	.name = "alphavantage",
	.serves = mfs_fund_no_bars,
	.earliest = mfs_fund_no_bars_earliest,
	.fundamentals = mfs_alphavantage_fundamentals,
	.needs_key = true,
	/* free plan: 25 requests a day (PROVIDERS.md section 3) */
	.default_rate_tokens = 25,
	.default_rate_period_s = 86400,
};
