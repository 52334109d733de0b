/*
 * alpaca: bars (a stub until its parser lands).
 */
#include <marketfs/provider.h>

#include "fund_parse.h"

const struct mfs_provider_ops mfs_alpaca_ops = {
	.name = "alpaca",
	.serves = mfs_fund_no_bars,
	.earliest = mfs_fund_no_bars_earliest,
	.needs_key = true,
	.default_rate_tokens = 200,
	.default_rate_period_s = 60,
};
