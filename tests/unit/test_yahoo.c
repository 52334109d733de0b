/*
 * Unit tests for the Yahoo chart v8 provider (providers/yahoo.c): request
 * planning and URLs, the float32 denoiser, and the parser against the
 * recorded-shape fixtures in tests/fixtures/yahoo, one hazard each. The
 * fetch loop is driven through a fake GET that serves fixtures; nothing
 * here touches the network.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/yahoo.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

static struct mfs_fetch_result res;
static struct mfs_error err;

static void setup(void)
{
	mfs_fetch_result_init(&res, MFS_TF_1D);
	mfs_error_clear(&err);
}

static void teardown(void)
{
	mfs_fetch_result_free(&res);
}

static enum mfs_err parse(const char *name, long status, const char *sym, enum mfs_tf tf,
			  int64_t period2)
{
	size_t len;
	char *body = tu_fixture_in("yahoo", name, &len);
	enum mfs_err rc;

	res.series.tf = tf;
	rc = mfs_yahoo_parse_chart(status, body, len, sym, tf, period2, &res, &err);
	free(body);
	return rc;
}

/* --- requests ----------------------------------------------------------- */

START_TEST(test_intervals_and_serves)
{
	ck_assert_str_eq(mfs_yahoo_interval(MFS_TF_1M), "1m");
	ck_assert_str_eq(mfs_yahoo_interval(MFS_TF_30M), "30m");
	ck_assert_str_eq(mfs_yahoo_interval(MFS_TF_1H), "1h");
	ck_assert_str_eq(mfs_yahoo_interval(MFS_TF_1D), "1d");
	ck_assert_str_eq(mfs_yahoo_interval(MFS_TF_1W), "1wk");
	ck_assert_str_eq(mfs_yahoo_interval(MFS_TF_1MO), "1mo");
	ck_assert_ptr_null(mfs_yahoo_interval(MFS_TF_4H));
	ck_assert(!mfs_yahoo_ops.serves(MFS_CLASS_STOCK, MFS_TF_4H));
	for (int c = 0; c < MFS_CLASS__COUNT; c++) {
		ck_assert(mfs_yahoo_ops.serves((enum mfs_class)c, MFS_TF_1D));
		ck_assert(mfs_yahoo_ops.serves((enum mfs_class)c, MFS_TF_1M));
	}
	ck_assert_str_eq(mfs_yahoo_ops.name, "yahoo");
	ck_assert_ptr_nonnull(strstr(mfs_yahoo_ops.user_agent, "Mozilla/5.0"));
	ck_assert(mfs_yahoo_ops.default_rate_tokens == 60);
	ck_assert(mfs_yahoo_ops.default_rate_period_s == 60);
}
END_TEST

START_TEST(test_earliest)
{
	int64_t now = 1738540800; /* 2025-02-03 */

	ck_assert_int_eq(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_1M, now), now - 29 * DAY);
	ck_assert_int_eq(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_5M, now), now - 59 * DAY);
	ck_assert_int_eq(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_30M, now), now - 59 * DAY);
	ck_assert_int_eq(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_1H, now), now - 729 * DAY);
	ck_assert(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_1D, now) == INT64_MIN);
	ck_assert(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_1W, now) == INT64_MIN);
	ck_assert(mfs_yahoo_earliest(MFS_CLASS_STOCK, MFS_TF_1MO, now) == INT64_MIN);
}
END_TEST

START_TEST(test_chart_path)
{
	char p[512];

	ck_assert_int_eq(mfs_yahoo_chart_path("AAPL", MFS_TF_1D, 1577836800, 1609459200, p,
					      sizeof(p)),
			 0);
	ck_assert_str_eq(p, "/v8/finance/chart/AAPL?period1=1577836800&period2=1609459200"
			    "&interval=1d&includePrePost=false&events=div%2Csplits");
	ck_assert_int_eq(mfs_yahoo_chart_path("^GSPC", MFS_TF_1W, 0, 100, p, sizeof(p)), 0);
	ck_assert_ptr_nonnull(strstr(p, "/v8/finance/chart/%5EGSPC?"));
	ck_assert_ptr_nonnull(strstr(p, "&interval=1wk&"));
	ck_assert_int_eq(mfs_yahoo_chart_path("EURUSD=X", MFS_TF_1MO, 0, 100, p, sizeof(p)), 0);
	ck_assert_ptr_nonnull(strstr(p, "/v8/finance/chart/EURUSD%3DX?"));
	ck_assert_ptr_nonnull(strstr(p, "&interval=1mo&"));
	ck_assert_int_eq(mfs_yahoo_chart_path("BRK-B", MFS_TF_1H, 0, 100, p, sizeof(p)), 0);
	ck_assert_ptr_nonnull(strstr(p, "/chart/BRK-B?"));
	ck_assert_ptr_nonnull(strstr(p, "&interval=1h&"));
	ck_assert_int_eq(mfs_yahoo_chart_path("AAPL", MFS_TF_4H, 0, 100, p, sizeof(p)), -1);
	ck_assert_int_eq(mfs_yahoo_chart_path("AAPL", MFS_TF_1D, 0, 100, p, 20), -1);
}
END_TEST

START_TEST(test_plan_1m_windows)
{
	struct mfs_yahoo_window w[MFS_YAHOO_MAX_WINDOWS];
	int64_t now = 1738540800;
	size_t n = mfs_yahoo_plan(MFS_TF_1M, now - 40 * DAY, now + DAY, now, w,
				  MFS_YAHOO_MAX_WINDOWS);

	/* Clamped to 29 days back and to now, then cut into <= 7 days. */
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(w[0].period1, now - 29 * DAY);
	ck_assert_int_eq(w[n - 1].period2, now);
	for (size_t i = 0; i < n; i++) {
		ck_assert(w[i].period2 > w[i].period1);
		ck_assert(w[i].period2 - w[i].period1 <= 7 * DAY);
		if (i > 0)
			ck_assert_int_eq(w[i].period1, w[i - 1].period2);
	}

	/* Exactly 7 days is one request; 7 days and a second is two. */
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1M, now - 7 * DAY, now, now, w, 8), 1);
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1M, now - 7 * DAY - 1, now, now, w, 8), 2);
	ck_assert_int_eq(w[1].period2 - w[1].period1, 1);
	/* Too small an array: the count needed is still returned. */
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1M, now - 20 * DAY, now, now, w, 1), 3);
}
END_TEST

START_TEST(test_plan_other)
{
	struct mfs_yahoo_window w[MFS_YAHOO_MAX_WINDOWS];
	int64_t now = 1738540800;

	/* Daily: one request for any span, period2 capped at now. */
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1D, 946684800, now + 100 * DAY, now, w, 8), 1);
	ck_assert_int_eq(w[0].period1, 946684800);
	ck_assert_int_eq(w[0].period2, now);
	/* 5m before the 60-day horizon is clamped; 1h to 730 days. */
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_5M, now - 200 * DAY, now - DAY, now, w, 8), 1);
	ck_assert_int_eq(w[0].period1, now - 59 * DAY);
	ck_assert_int_eq(w[0].period2, now - DAY);
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1H, 0, now, now, w, 8), 1);
	ck_assert_int_eq(w[0].period1, now - 729 * DAY);
	/* Windows that are empty after clamping: no request at all. */
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_5M, now - 300 * DAY, now - 100 * DAY, now, w, 8),
			  0);
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1D, now, now + DAY, now, w, 8), 0);
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_1D, now - DAY, now - DAY, now, w, 8), 0);
	ck_assert_uint_eq(mfs_yahoo_plan(MFS_TF_4H, now - DAY, now, now, w, 8), 0);
}
END_TEST

START_TEST(test_map_symbol)
{
	char out[64];

	mfs_yahoo_ops.map_symbol("BRK.B", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "BRK-B");
	mfs_yahoo_ops.map_symbol("VOD.L", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "VOD.L");
	mfs_yahoo_ops.map_symbol("RY.TO", MFS_CLASS_STOCK, out, sizeof(out));
	ck_assert_str_eq(out, "RY.TO");
	mfs_yahoo_ops.map_symbol("^GSPC", MFS_CLASS_INDEX, out, sizeof(out));
	ck_assert_str_eq(out, "^GSPC");
	/* crypto pairs and FX, as Yahoo spells them (a bug: BTCUSDT went out unmapped) */
	mfs_yahoo_ops.map_symbol("BTCUSDT", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "BTC-USD");
	mfs_yahoo_ops.map_symbol("ETHBTC", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "ETH-BTC");
	mfs_yahoo_ops.map_symbol("BTC-USD", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "BTC-USD");
	mfs_yahoo_ops.map_symbol("SOLUSDC", MFS_CLASS_CRYPTO, out, sizeof(out));
	ck_assert_str_eq(out, "SOL-USD");
	mfs_yahoo_ops.map_symbol("EURUSD", MFS_CLASS_FOREX, out, sizeof(out));
	ck_assert_str_eq(out, "EURUSD=X");
	mfs_yahoo_ops.map_symbol("EURUSD=X", MFS_CLASS_FOREX, out, sizeof(out));
	ck_assert_str_eq(out, "EURUSD=X");
	mfs_yahoo_ops.map_symbol("AAPL", MFS_CLASS_STOCK, out, 3);
	ck_assert_str_eq(out, "AA");
}
END_TEST

/* --- float32 noise ------------------------------------------------------ */

START_TEST(test_denoise_table)
{
	static const struct {
		double in, want;
	} cases[] = {
		{ 185.63999938964844, 185.64 },   { 75.0875015258789, 75.0875 },
		{ 73.79750061035156, 73.7975 },   { 72.71607208251953, 72.71607 },
		{ 880.2459106445312, 880.2459 },  { 183.0872039794922, 183.0872 },
		{ 0.10000000149011612, 0.1 },     { 1.1217999458312988, 1.1218 },
		{ 4.999999873689376e-05, 5e-05 }, { 892.0, 892.0 },
		/* printed with only 14-15 significant digits */
		{ 75.087501525879, 75.0875 },     { 185.639999389648, 185.64 },
		/* genuine doubles stay as they are */
		{ 185.64, 185.64 },               { 0.1, 0.1 },
		{ 887.89, 887.89 },               { 42283.58, 42283.58 },
		{ 1.1218, 1.1218 },               { 0.0, 0.0 },
		{ 1e300, 1e300 },                 { 1e-300, 1e-300 },
		{ -2.5, -2.5 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ck_assert_msg(mfs_yahoo_denoise(cases[i].in) == cases[i].want,
			      "denoise(%.17g) = %.17g, want %.17g", cases[i].in,
			      mfs_yahoo_denoise(cases[i].in), cases[i].want);
	ck_assert(isnan(mfs_yahoo_denoise(NAN)));
	ck_assert(isinf(mfs_yahoo_denoise(INFINITY)));
}
END_TEST

/* --- parsing ------------------------------------------------------------ */

START_TEST(test_parse_daily)
{
	ck_assert_int_eq(parse("chart-AAPL-1d.json", 200, "AAPL", MFS_TF_1D, INT64_MAX), MFS_OK);
	ck_assert_uint_eq(res.series.n, 5);
	ck_assert_uint_eq(res.series.null_rows, 0);
	/* 14:30Z = 09:30 New York: the session date, as a day number. */
	ck_assert_int_eq(res.series.bars[0].t, day_t(2020, 1, 2));
	ck_assert_int_eq(res.series.bars[2].t, day_t(2020, 1, 6));
	ck_assert_int_eq(res.series.bars[4].t, day_t(2020, 1, 8));
	ck_assert(res.series.bars[0].open == 74.06);
	ck_assert(res.series.bars[0].high == 75.15);
	ck_assert(res.series.bars[0].low == 73.7975);
	ck_assert(res.series.bars[0].close == 75.0875);
	ck_assert(res.series.bars[0].volume == 135480400.0);
	ck_assert(res.series.bars[0].adj_close == 72.71607);
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_int_eq(res.first_trade, 345479400);
	ck_assert_int_eq(res.close_minute, 16 * 60);
}
END_TEST

START_TEST(test_parse_nulls)
{
	const struct mfs_bar *b;

	ck_assert_int_eq(parse("chart-0700.HK-1d-nulls.json", 200, "0700.HK", MFS_TF_1D,
			       INT64_MAX),
			 MFS_OK);
	/* A row of nulls and a row with a null close are dropped and counted;
	 * a null volume alone keeps the row. */
	ck_assert_uint_eq(res.series.n, 3);
	ck_assert_uint_eq(res.series.null_rows, 2);
	/* with their session dates, so each year's sidecar counts its own */
	ck_assert_int_eq(res.series.null_t[0], day_t(2024, 3, 5));
	ck_assert_int_eq(res.series.null_t[1], day_t(2024, 3, 6));
	b = res.series.bars;
	ck_assert_int_eq(b[0].t, day_t(2024, 3, 4));
	ck_assert_int_eq(b[1].t, day_t(2024, 3, 7));
	ck_assert_int_eq(b[2].t, day_t(2024, 3, 8));
	ck_assert(isnan(b[1].volume));
	ck_assert(b[1].close == 282.6);
	ck_assert(b[1].adj_close == 280.1);
	ck_assert(b[2].volume == 21830521.0);
	for (size_t i = 0; i < res.series.n; i++)
		ck_assert(isfinite(b[i].open) && isfinite(b[i].high) && isfinite(b[i].low) &&
			  isfinite(b[i].close));
	ck_assert_str_eq(res.tz, "Asia/Hong_Kong");
	ck_assert_int_eq(res.close_minute, 16 * 60);
}
END_TEST

START_TEST(test_parse_no_timestamp)
{
	ck_assert_int_eq(parse("chart-AAPL-1d-notimestamp.json", 200, "AAPL", MFS_TF_1D,
			       INT64_MAX),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 0);
	ck_assert_uint_eq(res.series.null_rows, 0);
	ck_assert_str_eq(res.tz, "America/New_York");
}
END_TEST

START_TEST(test_parse_not_found)
{
	ck_assert_int_eq(parse("chart-NOPE-404-not-found.json", 404, "NOPE", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_NOT_FOUND);
	ck_assert_int_eq(err.code, MFS_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "NOPE"));
	ck_assert_ptr_nonnull(strstr(err.msg, "delisted"));
}
END_TEST

START_TEST(test_parse_rate_limited_text)
{
	ck_assert_int_eq(parse("chart-429-too-many-requests.json", 429, "AAPL", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_RATE_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "Too Many Requests"));
	ck_assert_uint_eq(res.series.n, 0);
}
END_TEST

START_TEST(test_parse_html_page)
{
	ck_assert_int_eq(parse("chart-200-html-will-be-right-back.json", 200, "AAPL", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not JSON"));
	ck_assert_int_eq(parse("chart-200-html-will-be-right-back.json", 503, "AAPL", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "503"));
}
END_TEST

START_TEST(test_parse_malformed)
{
	ck_assert_int_eq(parse("chart-AAPL-1d-malformed.json", 200, "AAPL", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed JSON"));
	ck_assert_int_eq(mfs_yahoo_parse_chart(200, "", 0, "AAPL", MFS_TF_1D, INT64_MAX, &res,
					       &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_yahoo_parse_chart(200, NULL, 0, "AAPL", MFS_TF_1D, INT64_MAX, &res,
					       &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_yahoo_parse_chart(200, "[1,2]", 5, "AAPL", MFS_TF_1D, INT64_MAX,
					       &res, &err),
			 MFS_ERR_PARSE);
	ck_assert_uint_eq(res.series.n, 0);
}
END_TEST

START_TEST(test_parse_granularity)
{
	ck_assert_int_eq(parse("chart-AAPL-1mo-granularity-3mo.json", 200, "AAPL", MFS_TF_1MO,
			       INT64_MAX),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "asked for 1mo bars, got 3mo"));
	ck_assert_int_eq(parse("chart-AAPL-30m-granularity-60m.json", 200, "AAPL", MFS_TF_30M,
			       INT64_MAX),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "asked for 30m bars, got 60m"));
	ck_assert_uint_eq(res.series.n, 0);
}
END_TEST

START_TEST(test_parse_dst_new_york)
{
	/* meta says EST (-18000, recorded in February): it must not matter. */
	ck_assert_int_eq(parse("chart-NVDA-1d-dst.json", 200, "NVDA", MFS_TF_1D, INT64_MAX),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 4);
	ck_assert_int_eq(res.series.bars[0].t, day_t(2021, 3, 12)); /* 14:30Z EST */
	ck_assert_int_eq(res.series.bars[1].t, day_t(2021, 3, 15)); /* 13:30Z EDT */
	ck_assert_int_eq(res.series.bars[2].t, day_t(2021, 11, 5)); /* 13:30Z EDT */
	ck_assert_int_eq(res.series.bars[3].t, day_t(2021, 11, 8)); /* 14:30Z EST */
}
END_TEST

START_TEST(test_parse_dst_sydney)
{
	/* 10:00 AEDT is 23:00Z the day before: flooring UTC would be wrong. */
	ck_assert_int_eq(parse("chart-BHP.AX-1d-sydney.json", 200, "BHP.AX", MFS_TF_1D,
			       INT64_MAX),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 2);
	ck_assert_int_eq(res.series.bars[0].t, day_t(2024, 1, 2));
	ck_assert_int_eq(res.series.bars[1].t, day_t(2024, 6, 3));
	ck_assert_str_eq(res.tz, "Australia/Sydney");
}
END_TEST

START_TEST(test_parse_fx_london)
{
	ck_assert_int_eq(parse("chart-EURUSD=X-1d-fx.json", 200, "EURUSD=X", MFS_TF_1D,
			       INT64_MAX),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 2);
	ck_assert_int_eq(res.series.bars[0].t, day_t(2020, 1, 1));
	/* 2020-06-30 23:00Z is midnight BST on July 1st. */
	ck_assert_int_eq(res.series.bars[1].t, day_t(2020, 7, 1));
	ck_assert(res.series.bars[0].volume == 0.0);
	ck_assert(res.series.bars[0].close == 1.1218);
}
END_TEST

START_TEST(test_parse_2200_shift)
{
	ck_assert_int_eq(parse("chart-VALE3.SA-1d-2200-shift.json", 200, "VALE3.SA", MFS_TF_1D,
			       INT64_MAX),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 4);
	ck_assert_int_eq(res.series.bars[0].t, day_t(2022, 10, 31)); /* 10:00 local */
	ck_assert_int_eq(res.series.bars[1].t, day_t(2022, 11, 1));  /* 23:00 the day before */
	ck_assert_int_eq(res.series.bars[2].t, day_t(2022, 11, 3));  /* 22:00 the day before */
	ck_assert_int_eq(res.series.bars[3].t, day_t(2022, 11, 4));  /* 22:30: not moved */
}
END_TEST

START_TEST(test_parse_period2_and_live_row)
{
	const struct mfs_bar *b;
	int64_t period2 = 1704465000; /* 2024-01-05 14:30Z, the last bar's stamp */

	ck_assert_int_eq(parse("chart-AAPL-1d-period2-live.json", 200, "AAPL", MFS_TF_1D,
			       period2),
			 MFS_OK);
	/* The bar at period2 is gone; the live duplicate of Jan 4 stays, after
	 * the regular one, for the cache to collapse (last wins). */
	ck_assert_uint_eq(res.series.n, 4);
	b = res.series.bars;
	ck_assert(b[0].close == 185.64);
	ck_assert(b[2].high == 183.0872);
	ck_assert_int_eq(b[2].t, day_t(2024, 1, 4));
	ck_assert_int_eq(b[3].t, day_t(2024, 1, 4));
	ck_assert(b[3].volume == 71878670.0);
	for (size_t i = 0; i < res.series.n; i++)
		ck_assert(b[i].t < day_t(2024, 1, 5));

	/* With period2 one second later the last bar is kept. */
	mfs_fetch_result_free(&res);
	mfs_fetch_result_init(&res, MFS_TF_1D);
	ck_assert_int_eq(parse("chart-AAPL-1d-period2-live.json", 200, "AAPL", MFS_TF_1D,
			       period2 + 1),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 5);
}
END_TEST

START_TEST(test_parse_length_mismatch)
{
	ck_assert_int_eq(parse("chart-AAPL-1d-length-mismatch.json", 200, "AAPL", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "as long as timestamp"));
	ck_assert_uint_eq(res.series.n, 0);
}
END_TEST

START_TEST(test_parse_intraday)
{
	const struct mfs_bar *b;

	ck_assert_int_eq(parse("chart-NVDA-1h.json", 200, "NVDA", MFS_TF_1H, INT64_MAX), MFS_OK);
	ck_assert_uint_eq(res.series.n, 8);
	b = res.series.bars;
	/* Intraday: the epoch as is (09:30 EDT = 13:30Z), no adj_close. */
	ck_assert_int_eq(b[0].t, 1714743000);
	ck_assert_int_eq(b[6].t, 1714743000 + 6 * 3600);
	ck_assert_int_eq(b[7].t, 1714766400); /* the live row, off the grid */
	ck_assert(isnan(b[0].adj_close));
	ck_assert(b[1].close == 880.2459);
	ck_assert(b[4].high == 892.0);
	ck_assert(b[7].volume == 0.0);
	ck_assert_int_eq(res.close_minute, 16 * 60);
}
END_TEST

START_TEST(test_parse_no_data)
{
	ck_assert_int_eq(parse("chart-AAPL-5m-data-not-available.json", 422, "AAPL", MFS_TF_5M,
			       INT64_MAX),
			 MFS_ERR_NO_DATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "within the last 60 days"));
}
END_TEST

START_TEST(test_parse_time_zones)
{
	ck_assert_int_eq(parse("chart-XYZ-1d-unknown-tz.json", 200, "XYZ", MFS_TF_1D,
			       INT64_MAX),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "Mars/Olympus_Mons"));
	ck_assert_uint_eq(res.series.n, 0);

	/* No zone at all: dated in UTC; first trade unknown (null). */
	ck_assert_int_eq(parse("chart-BTC-USD-1d-no-tz.json", 200, "BTC-USD", MFS_TF_1D,
			       INT64_MAX),
			 MFS_OK);
	ck_assert_uint_eq(res.series.n, 2);
	ck_assert_int_eq(res.series.bars[0].t, day_t(2024, 1, 1));
	ck_assert_int_eq(res.series.bars[1].t, day_t(2024, 1, 2));
	ck_assert(res.series.bars[1].volume == 39335274536.0);
	ck_assert_str_eq(res.tz, "");
	ck_assert_int_eq(res.first_trade, 0);
	ck_assert_int_eq(res.close_minute, -1);
}
END_TEST

START_TEST(test_parse_unexpected_status)
{
	/* A chart body with a status that is neither 200 nor explained. */
	ck_assert_int_eq(parse("chart-AAPL-1d.json", 500, "AAPL", MFS_TF_1D, INT64_MAX),
			 MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "500"));
	ck_assert_int_eq(parse("chart-AAPL-1d.json", 200, "AAPL", MFS_TF_4H, INT64_MAX),
			 MFS_ERR_INVALID);
}
END_TEST

/* --- corporate actions --------------------------------------------------- */

/*
 * NVDA's 4:1 (2021) and 10:1 (2024) splits and two dividends, as Yahoo
 * sends them (keyed by the epoch as a string, stamped 09:30 New York),
 * with entries that must be skipped: a zero denominator, an amount that
 * is a string, a split without a date, a dividend that is not an object,
 * a negative amount and a numerator that is null.
 */
static const char events_fixture[] =
	"{\"chart\":{\"result\":[{\"meta\":{\"currency\":\"USD\",\"symbol\":\"NVDA\","
	"\"exchangeTimezoneName\":\"America/New_York\",\"dataGranularity\":\"1d\","
	"\"firstTradeDate\":917015400},"
	"\"timestamp\":[1626787800,1626874200],"
	"\"events\":{"
	"\"splits\":{"
	"\"1626787800\":{\"date\":1626787800,\"numerator\":4,\"denominator\":1,"
	"\"splitRatio\":\"4:1\"},"
	"\"1718026200\":{\"date\":1718026200,\"numerator\":10.0,\"denominator\":1.0,"
	"\"splitRatio\":\"10:1\"},"
	"\"1600000000\":{\"date\":1600000000,\"numerator\":2,\"denominator\":0,"
	"\"splitRatio\":\"2:0\"},"
	"\"1500000000\":{\"numerator\":3,\"denominator\":1,\"splitRatio\":\"3:1\"},"
	"\"1400000000\":{\"date\":1400000000,\"numerator\":null,\"denominator\":1}},"
	"\"dividends\":{"
	"\"1623245400\":{\"amount\":0.16,\"date\":1623245400},"
	"\"1718112600\":{\"amount\":0.01,\"date\":1718112600},"
	"\"1610000000\":{\"amount\":\"0.5\",\"date\":1610000000},"
	"\"1611000000\":[0.5,1611000000],"
	"\"1612000000\":{\"amount\":-0.5,\"date\":1612000000}},"
	"\"capitalGains\":{\"1623245400\":{\"amount\":1.5,\"date\":1623245400}}},"
	"\"indicators\":{\"quote\":[{\"open\":[180.5,189.0],\"high\":[188.0,192.3],"
	"\"low\":[179.1,186.2],\"close\":[187.8,191.4],\"volume\":[1000,2000]}],"
	"\"adjclose\":[{\"adjclose\":[187.5,191.1]}]}}],\"error\":null}}";

/* Sydney: a dividend at 23:00Z is the next local day; no bars at all. */
static const char events_sydney_fixture[] =
	"{\"chart\":{\"result\":[{\"meta\":{\"currency\":\"AUD\",\"symbol\":\"BHP.AX\","
	"\"exchangeTimezoneName\":\"Australia/Sydney\",\"dataGranularity\":\"1d\"},"
	"\"events\":{\"dividends\":{\"1704150000\":{\"amount\":0.72,\"date\":1704150000}},"
	"\"splits\":[]},"
	"\"indicators\":{\"quote\":[{}],\"adjclose\":[{}]}}],\"error\":null}}";

static enum mfs_err parse_str(const char *body, const char *sym, int64_t period2)
{
	return mfs_yahoo_parse_chart(200, body, strlen(body), sym, MFS_TF_1D, period2, &res, &err);
}

/* How many actions of type at t there are; *value gets the last one's. */
static unsigned count_action(enum mfs_action_type type, int64_t t, double *value)
{
	unsigned n = 0;

	for (size_t i = 0; i < res.n_actions; i++)
		if (res.actions[i].type == type && res.actions[i].t == t) {
			*value = res.actions[i].value;
			n++;
		}
	return n;
}

START_TEST(test_parse_events)
{
	double v = 0;

	ck_assert_int_eq(parse_str(events_fixture, "NVDA", INT64_MAX), MFS_OK);
	ck_assert_uint_eq(res.series.n, 2);
	/* Two splits and two dividends; the bad entries and capitalGains are
	 * skipped. */
	ck_assert_uint_eq(res.n_actions, 4);
	ck_assert_uint_eq(count_action(MFS_ACTION_SPLIT, day_t(2021, 7, 20), &v), 1);
	ck_assert(v == 4.0);
	ck_assert_uint_eq(count_action(MFS_ACTION_SPLIT, day_t(2024, 6, 10), &v), 1);
	ck_assert(v == 10.0);
	ck_assert_uint_eq(count_action(MFS_ACTION_DIVIDEND, day_t(2021, 6, 9), &v), 1);
	ck_assert(v == 0.16);
	ck_assert_uint_eq(count_action(MFS_ACTION_DIVIDEND, day_t(2024, 6, 11), &v), 1);
	ck_assert(v == 0.01);
	for (size_t i = 0; i < res.n_actions; i++)
		ck_assert_int_eq(res.actions[i].t % DAY, 0);
	/* Yahoo's prices are split-adjusted already. */
	ck_assert(!res.raw_prices);
	ck_assert_int_eq(err.code, MFS_OK);
}
END_TEST

START_TEST(test_parse_events_period2)
{
	double v = 0;

	/* Events at or after period2 are outside the window, like bars. */
	ck_assert_int_eq(parse_str(events_fixture, "NVDA", 1718026200), MFS_OK);
	ck_assert_uint_eq(res.n_actions, 2);
	ck_assert_uint_eq(count_action(MFS_ACTION_SPLIT, day_t(2021, 7, 20), &v), 1);
	ck_assert_uint_eq(count_action(MFS_ACTION_DIVIDEND, day_t(2021, 6, 9), &v), 1);
}
END_TEST

START_TEST(test_parse_events_local_date)
{
	double v = 0;

	ck_assert_int_eq(parse_str(events_sydney_fixture, "BHP.AX", INT64_MAX), MFS_OK);
	ck_assert_uint_eq(res.series.n, 0);
	ck_assert_uint_eq(res.n_actions, 1);
	/* 2024-01-01 23:00Z is 10:00 AEDT on January 2nd. */
	ck_assert_uint_eq(count_action(MFS_ACTION_DIVIDEND, day_t(2024, 1, 2), &v), 1);
	ck_assert(v == 0.72);

	/* No events at all: no actions. */
	mfs_fetch_result_free(&res);
	mfs_fetch_result_init(&res, MFS_TF_1D);
	ck_assert_int_eq(parse("chart-AAPL-1d.json", 200, "AAPL", MFS_TF_1D, INT64_MAX), MFS_OK);
	ck_assert_uint_eq(res.n_actions, 0);
}
END_TEST

/* --- the fetch loop, with a fake GET ------------------------------------ */

static struct {
	const char *fixture;
	long status;
	unsigned calls;
	char paths[MFS_YAHOO_MAX_WINDOWS][512];
} fake;

static enum mfs_err fake_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			     const char *const *headers, struct mfs_http_response *resp,
			     struct mfs_error *e)
{
	if (fake.calls < MFS_YAHOO_MAX_WINDOWS)
		snprintf(fake.paths[fake.calls], sizeof(fake.paths[0]), "%s", path_and_query);
	fake.calls++;
	ctx->requests++;
	resp->status = fake.status;
	resp->body = tu_fixture_in("yahoo", fake.fixture, &resp->len);
	return MFS_OK;
}

static void fake_reset(const char *fixture, long status)
{
	memset(&fake, 0, sizeof(fake));
	fake.fixture = fixture;
	fake.status = status;
}

START_TEST(test_fetch_1m_windows)
{
	struct mfs_fetch_ctx ctx = { .now = 1739145600 }; /* 2025-02-10 */
	struct mfs_fetch_req req = { .symbol = "AAPL", .provider_symbol = "AAPL",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1M,
				     .start = 1739145600 - 10 * DAY, .end = 1739145600 + DAY };
	char want[256];

	res.series.tf = MFS_TF_1M;
	fake_reset("chart-AAPL-1m.json", 200);
	ck_assert_int_eq(mfs_yahoo_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 2);
	ck_assert_uint_eq(ctx.requests, 2);
	snprintf(want, sizeof(want), "period1=%lld&period2=%lld&interval=1m&",
		 (long long)(1739145600 - 10 * DAY), (long long)(1739145600 - 3 * DAY));
	ck_assert_ptr_nonnull(strstr(fake.paths[0], want));
	snprintf(want, sizeof(want), "period1=%lld&period2=%lld&interval=1m&",
		 (long long)(1739145600 - 3 * DAY), (long long)1739145600);
	ck_assert_ptr_nonnull(strstr(fake.paths[1], want));
	/* Each window's answer is appended; the cache de-duplicates. */
	ck_assert_uint_eq(res.series.n, 6);
	ck_assert_int_eq(res.series.bars[0].t, 1738593000);
}
END_TEST

START_TEST(test_fetch_empty_and_errors)
{
	struct mfs_fetch_ctx ctx = { .now = 1739145600 };
	struct mfs_fetch_req req = { .symbol = "^GSPC", .provider_symbol = "^GSPC",
				     .cls = MFS_CLASS_INDEX, .tf = MFS_TF_1D,
				     .start = 1739145600, .end = 1739145600 + DAY };

	/* Entirely in the future: no request, no bars, no error. */
	fake_reset("chart-AAPL-1d.json", 200);
	ck_assert_int_eq(mfs_yahoo_fetch_with(fake_get, &ctx, &req, &res, &err), MFS_OK);
	ck_assert_uint_eq(fake.calls, 0);
	ck_assert_uint_eq(res.series.n, 0);

	/* The encoded symbol goes out; an unknown one comes back NOT_FOUND. */
	req.start = 1704067200;
	fake_reset("chart-NOPE-404-not-found.json", 404);
	ck_assert_int_eq(mfs_yahoo_fetch_with(fake_get, &ctx, &req, &res, &err),
			 MFS_ERR_NOT_FOUND);
	ck_assert_uint_eq(fake.calls, 1);
	ck_assert_ptr_nonnull(strstr(fake.paths[0], "/v8/finance/chart/%5EGSPC?period1=1704067200"
						    "&period2=1739145600&interval=1d&"));

	/* 4h is not Yahoo's. */
	req.tf = MFS_TF_4H;
	fake_reset("chart-AAPL-1d.json", 200);
	ck_assert_int_eq(mfs_yahoo_ops.fetch(&ctx, &req, &res, &err), MFS_ERR_INVALID);
	ck_assert_uint_eq(fake.calls, 0);
}
END_TEST

static Suite *yahoo_suite(void)
{
	Suite *s = suite_create("yahoo");
	TCase *req = tcase_create("requests");
	TCase *num = tcase_create("denoise");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(req, test_intervals_and_serves);
	tcase_add_test(req, test_earliest);
	tcase_add_test(req, test_chart_path);
	tcase_add_test(req, test_plan_1m_windows);
	tcase_add_test(req, test_plan_other);
	tcase_add_test(req, test_map_symbol);
	suite_add_tcase(s, req);

	tcase_add_test(num, test_denoise_table);
	suite_add_tcase(s, num);

	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_parse_daily);
	tcase_add_test(par, test_parse_nulls);
	tcase_add_test(par, test_parse_no_timestamp);
	tcase_add_test(par, test_parse_not_found);
	tcase_add_test(par, test_parse_rate_limited_text);
	tcase_add_test(par, test_parse_html_page);
	tcase_add_test(par, test_parse_malformed);
	tcase_add_test(par, test_parse_granularity);
	tcase_add_test(par, test_parse_dst_new_york);
	tcase_add_test(par, test_parse_dst_sydney);
	tcase_add_test(par, test_parse_fx_london);
	tcase_add_test(par, test_parse_2200_shift);
	tcase_add_test(par, test_parse_period2_and_live_row);
	tcase_add_test(par, test_parse_length_mismatch);
	tcase_add_test(par, test_parse_intraday);
	tcase_add_test(par, test_parse_no_data);
	tcase_add_test(par, test_parse_time_zones);
	tcase_add_test(par, test_parse_unexpected_status);
	tcase_add_test(par, test_parse_events);
	tcase_add_test(par, test_parse_events_period2);
	tcase_add_test(par, test_parse_events_local_date);
	suite_add_tcase(s, par);

	tcase_add_checked_fixture(fet, setup, teardown);
	tcase_add_test(fet, test_fetch_1m_windows);
	tcase_add_test(fet, test_fetch_empty_and_errors);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(yahoo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
