/*
 * polygon: bars (a stub until its parser lands) and fundamentals (fund_polygon.c).
 */
#include <marketfs/provider.h>

#include "fund_parse.h"
#include "yahoo.h"

const struct mfs_provider_ops mfs_polygon_ops = {
	.name = "polygon",
	.serves = mfs_fund_no_bars,
	.earliest = mfs_fund_no_bars_earliest,
	.fundamentals = mfs_polygon_fundamentals,
	.needs_key = true,
	/* free plan: 5 requests a minute (PROVIDERS.md section 4) */
	.default_rate_tokens = 5,
	.default_rate_period_s = 60,
};
