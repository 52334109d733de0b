/*
 * Unit tests for the FirstRateData provider (providers/firstrate.c): names,
 * the symbol map, the request path, the row parser (5/6/7 columns, date
 * only rows, CRLF and blank lines, New York and UTC times), the archive
 * walk over zips written here with libarchive (only wanted entries taken,
 * the entry-count, entry-size, total and ratio limits, a non-zip body),
 * a checked-in zip made by Python's zipfile, and fetch/bulk through a
 * fake GET that writes a zip into the file descriptor. No network.
 */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <marketfs/provider.h>
#include <marketfs/timeframe.h>

#include "providers/firstrate.h"
#include "testutil.h"

#define DAY MFS_SECONDS_PER_DAY

static int64_t day_t(int y, unsigned m, unsigned d)
{
	return mfs_days_from_civil(y, m, d) * DAY;
}

/* ---- zips written with libarchive into an unlinked file ---- */

struct zentry {
	const char *name;
	const char *text; /* NULL: zeros_len zero bytes */
	size_t zeros_len;
};

static int make_zip(const struct zentry *e, size_t n)
{
	char path[] = "/tmp/test_firstrate_XXXXXX";
	int fd = mkstemp(path);
	struct archive *a = archive_write_new();
	static char zeros[65536];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	archive_write_set_format_zip(a);
	archive_write_zip_set_compression_deflate(a);
	ck_assert_int_eq(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = e[i].text ? strlen(e[i].text) : e[i].zeros_len;

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)len);
		ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].text) {
			archive_write_data(a, e[i].text, len);
		} else {
			for (size_t done = 0; done < len;) {
				size_t k = len - done < sizeof(zeros) ? len - done : sizeof(zeros);
				archive_write_data(a, zeros, k);
				done += k;
			}
		}
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	return fd;
}

static int make_text_file(const char *text)
{
	char path[] = "/tmp/test_firstrate_XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

/* The callback keeps every result's series, by symbol. */
#define MAX_GOT 8
static struct got {
	char symbol[32];
	struct mfs_series s;
} got[MAX_GOT];
static size_t n_got;
static struct mfs_error err;

static int collect(void *arg, const char *symbol, struct mfs_fetch_result *res)
{
	(void)arg;
	ck_assert_uint_lt(n_got, MAX_GOT);
	snprintf(got[n_got].symbol, sizeof(got[n_got].symbol), "%s", symbol);
	mfs_series_init(&got[n_got].s, res->series.tf);
	mfs_series_extend(&got[n_got].s, &res->series);
	n_got++;
	return 0;
}

static void setup(void)
{
	n_got = 0;
	mfs_error_clear(&err);
}

static void teardown(void)
{
	for (size_t i = 0; i < n_got; i++)
		mfs_series_free(&got[i].s);
	n_got = 0;
}

/* ---- names, map, path ---- */

START_TEST(test_ops_and_names)
{
	ck_assert_str_eq(mfs_firstrate_ops.name, "firstrate");
	ck_assert(mfs_firstrate_ops.needs_key);
	ck_assert(mfs_firstrate_ops.default_rate_tokens == 30);
	ck_assert(mfs_firstrate_ops.default_rate_period_s == 60);
	ck_assert(mfs_firstrate_ops.serves(MFS_CLASS_STOCK, MFS_TF_1M));
	ck_assert(mfs_firstrate_ops.serves(MFS_CLASS_FUTURES, MFS_TF_1D));
	ck_assert(mfs_firstrate_ops.serves(MFS_CLASS_CRYPTO, MFS_TF_1H));
	ck_assert(!mfs_firstrate_ops.serves(MFS_CLASS_STOCK, MFS_TF_15M));
	ck_assert(!mfs_firstrate_ops.serves(MFS_CLASS_STOCK, MFS_TF_4H));
	ck_assert(!mfs_firstrate_ops.serves(MFS_CLASS_STOCK, MFS_TF_1W));
	ck_assert(!mfs_firstrate_ops.serves(MFS_CLASS_INDEX, MFS_TF_1MO));
	ck_assert_str_eq(mfs_firstrate_timeframe(MFS_TF_1H), "1hour");
	ck_assert_str_eq(mfs_firstrate_type(MFS_CLASS_FOREX), "fx");
	ck_assert_ptr_null(mfs_firstrate_adjustment(MFS_CLASS_INDEX));
}
END_TEST

START_TEST(test_map_symbol)
{
	static const struct {
		const char *in;
		enum mfs_class cls;
		const char *out;
	} cases[] = {
		{ "ES=F", MFS_CLASS_FUTURES, "ES" },      { "6E=F", MFS_CLASS_FUTURES, "E6" },
		{ "6J=F", MFS_CLASS_FUTURES, "J1" },      { "6A=F", MFS_CLASS_FUTURES, "A6" },
		{ "6B=F", MFS_CLASS_FUTURES, "B6" },      { "BZ=F", MFS_CLASS_FUTURES, "B" },
		{ "ZC=F", MFS_CLASS_FUTURES, "ZC" },      { "^GSPC", MFS_CLASS_INDEX, "SPX" },
		{ "^NDX", MFS_CLASS_INDEX, "NDX" },       { "^VIX", MFS_CLASS_INDEX, "VIX" },
		{ "BTCUSDT", MFS_CLASS_CRYPTO, "BTC" },   { "BTC-USD", MFS_CLASS_CRYPTO, "BTC" },
		{ "SOLUSDT", MFS_CLASS_CRYPTO, "SOL" },   { "EURUSD=X", MFS_CLASS_FOREX, "EURUSD" },
		{ "AAPL", MFS_CLASS_STOCK, "AAPL" },      { "BRK-B", MFS_CLASS_STOCK, "BRK.B" },
		{ "BRK.B", MFS_CLASS_STOCK, "BRK.B" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mfs_firstrate_ops.map_symbol(cases[i].in, cases[i].cls, out, sizeof(out));
		ck_assert_str_eq(out, cases[i].out);
	}
}
END_TEST

START_TEST(test_data_path)
{
	char p[512];

	ck_assert_int_eq(mfs_firstrate_data_path(MFS_CLASS_STOCK, MFS_TF_1D, "full", 'a', "U1",
						 p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/api/data_file?type=stock&period=full&timeframe=1day"
			    "&adjustment=adj_split&ticker_range=A&userid=U1");
	ck_assert_int_eq(mfs_firstrate_data_path(MFS_CLASS_FUTURES, MFS_TF_1M, "day", 0, "U1", p,
						 sizeof(p)), 0);
	ck_assert_str_eq(p, "/api/data_file?type=futures&period=day&timeframe=1min"
			    "&adjustment=contin_UNadj&userid=U1");
	ck_assert_int_eq(mfs_firstrate_data_path(MFS_CLASS_INDEX, MFS_TF_30M, "full", 0, "U1", p,
						 sizeof(p)), 0);
	ck_assert_str_eq(p, "/api/data_file?type=index&period=full&timeframe=30min&userid=U1");
	ck_assert_int_eq(mfs_firstrate_data_path(MFS_CLASS_STOCK, MFS_TF_15M, "full", 0, "U1", p,
						 sizeof(p)), -1);
}
END_TEST

START_TEST(test_entry_ticker)
{
	char t[32];

	ck_assert_int_eq(mfs_firstrate_entry_ticker("AAPL_full_1day_adjsplit.txt", t, sizeof(t)),
			 0);
	ck_assert_str_eq(t, "AAPL");
	ck_assert_int_eq(mfs_firstrate_entry_ticker("dir/BRK.B_full_1min_UNADJUSTED.txt", t,
						    sizeof(t)), 0);
	ck_assert_str_eq(t, "BRK.B");
	ck_assert_int_eq(mfs_firstrate_entry_ticker("ESH08.txt", t, sizeof(t)), 0);
	ck_assert_str_eq(t, "ESH08");
	ck_assert_int_eq(mfs_firstrate_entry_ticker("_x.txt", t, sizeof(t)), -1);
}
END_TEST

/* ---- rows (PROVIDERS.md section 9 items 9, 16, 29) ---- */

START_TEST(test_rows_columns_and_dates)
{
	struct mfs_bar b;
	static const char idx[] = "2024-07-01,5475.09,5490.81,5451.12,5475.09";
	static const char fut[] = "2024-07-01,5550.25,5580,5540.5,5570,1234567,2100000";
	static const char dt0[] = "2024-07-01 00:00:00,1,2,0.5,1.5,100.25";

	ck_assert_int_eq(mfs_firstrate_parse_row(idx, strlen(idx), MFS_CLASS_INDEX, MFS_TF_1D, &b),
			 0);
	ck_assert(b.t == day_t(2024, 7, 1));
	ck_assert(b.close == 5475.09);
	ck_assert(isnan(b.volume) && isnan(b.adj_close));
	ck_assert_int_eq(mfs_firstrate_parse_row(fut, strlen(fut), MFS_CLASS_FUTURES, MFS_TF_1D,
						 &b), 0);
	ck_assert(b.volume == 1234567 && b.high == 5580);
	ck_assert_int_eq(mfs_firstrate_parse_row(dt0, strlen(dt0), MFS_CLASS_STOCK, MFS_TF_1D, &b),
			 0);
	ck_assert(b.t == day_t(2024, 7, 1) && b.volume == 100.25);
	ck_assert_int_eq(mfs_firstrate_parse_row("\r", 1, MFS_CLASS_STOCK, MFS_TF_1D, &b), 1);
	ck_assert_int_eq(mfs_firstrate_parse_row("2024-07-01,1,2,3", 16, MFS_CLASS_STOCK,
						 MFS_TF_1D, &b), -1);
	ck_assert_int_eq(mfs_firstrate_parse_row("07/01/2024,1,2,3,4,5", 20, MFS_CLASS_STOCK,
						 MFS_TF_1D, &b), -1);
	ck_assert_int_eq(mfs_firstrate_parse_row("2024-07-01,1,x,3,4,5", 20, MFS_CLASS_STOCK,
						 MFS_TF_1D, &b), -1);
}
END_TEST

START_TEST(test_rows_intraday_times)
{
	struct mfs_bar b;
	static const char summer[] = "2024-07-01 09:30:00,10.0,11.0,9.5,10.5,1000";
	static const char winter[] = "2024-01-02 09:30:00,10.0,11.0,9.5,10.5,1000";

	ck_assert_int_eq(mfs_firstrate_parse_row(summer, strlen(summer), MFS_CLASS_STOCK,
						 MFS_TF_1M, &b), 0);
	ck_assert(b.t == day_t(2024, 7, 1) + 13 * 3600 + 30 * 60); /* EDT: 13:30Z */
	ck_assert_int_eq(mfs_firstrate_parse_row(winter, strlen(winter), MFS_CLASS_STOCK,
						 MFS_TF_1H, &b), 0);
	ck_assert(b.t == day_t(2024, 1, 2) + 14 * 3600 + 30 * 60); /* EST: 14:30Z */
	ck_assert_int_eq(mfs_firstrate_parse_row(winter, strlen(winter), MFS_CLASS_CRYPTO,
						 MFS_TF_1M, &b), 0);
	ck_assert(b.t == day_t(2024, 1, 2) + 9 * 3600 + 30 * 60); /* crypto: UTC */
}
END_TEST

START_TEST(test_parse_text_crlf_blank)
{
	static const char text[] = "2024-07-01,1,2,0.5,1.5,100\r\n\r\n"
				   "2024-07-02,1.5,2.5,1,2,200.5\r\n"
				   "\n"
				   "2024-07-03,2,3,1.5,2.5,300"; /* no final line end */
	struct mfs_series s;

	mfs_series_init(&s, MFS_TF_1D);
	ck_assert_int_eq(mfs_firstrate_parse_text(text, strlen(text), "X", MFS_CLASS_STOCK,
						  MFS_TF_1D, &s, &err), MFS_OK);
	ck_assert_uint_eq(s.n, 3);
	ck_assert(s.bars[0].t == day_t(2024, 7, 1));
	ck_assert(s.bars[1].volume == 200.5);
	ck_assert(s.bars[2].close == 2.5);
	ck_assert_int_eq(mfs_firstrate_parse_text("2024-07-01,1,2\r\n", 16, "X", MFS_CLASS_STOCK,
						  MFS_TF_1D, &s, &err), MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 1"));
	mfs_series_free(&s);
}
END_TEST

/* ---- archives ---- */

START_TEST(test_archive_only_wanted)
{
	const struct zentry e[] = {
		{ "AAPL_full_1day_adjsplit.txt", "2024-07-01,1,2,0.5,1.5,100\r\n\r\n", 0 },
		{ "AMD_full_1day_adjsplit.txt", "garbage that would not parse\r\n", 0 },
		{ "MSFT_full_1day_adjsplit.txt", "2024-07-01,3,4,2.5,3.5,300\r\n"
						 "2024-07-02,3,4,2.5,3.75,310\r\n", 0 },
	};
	const char *tickers[] = { "msft", "aapl", "NVDA" };
	const char *symbols[] = { "MSFT", "AAPL", "NVDA" };
	int fd = make_zip(e, 3);
	size_t found = 0;

	ck_assert_msg(mfs_firstrate_read_archive(fd, NULL, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						 symbols, 3, collect, NULL, &found, &err) == MFS_OK,
		      "%s", err.msg);
	ck_assert_uint_eq(found, 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_str_eq(got[0].symbol, "AAPL");
	ck_assert_uint_eq(got[0].s.n, 1);
	ck_assert_str_eq(got[1].symbol, "MSFT");
	ck_assert_uint_eq(got[1].s.n, 2);
	ck_assert(got[1].s.bars[1].close == 3.75);
	close(fd);
}
END_TEST

START_TEST(test_archive_python_fixture)
{
	char path[1024];
	const char *tickers[] = { "ES", "SPX" };
	int fd;
	size_t found = 0;

	snprintf(path, sizeof(path), "%s/firstrate/small.zip", MFS_FIXTURES);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mfs_firstrate_read_archive(fd, NULL, MFS_CLASS_FUTURES, MFS_TF_1D, tickers,
						    NULL, 2, collect, NULL, &found, &err),
			 MFS_OK);
	ck_assert_uint_eq(found, 2);
	ck_assert_str_eq(got[0].symbol, "ES");
	ck_assert_uint_eq(got[0].s.n, 2);
	ck_assert(got[0].s.bars[0].volume == 1234567);    /* 7 columns, OI ignored */
	ck_assert_str_eq(got[1].symbol, "SPX");
	ck_assert(isnan(got[1].s.bars[0].volume));        /* 5 columns */
	close(fd);
}
END_TEST

START_TEST(test_archive_limits)
{
	const struct zentry bomb[] = { { "ZBOMB_full_1day_adj_split.txt", NULL, 4 << 20 } };
	const struct zentry many[] = {
		{ "A_x.txt", "", 0 }, { "B_x.txt", "", 0 }, { "C_x.txt", "", 0 },
	};
	const char *tickers[] = { "ZBOMB" }, *all[] = { "A", "B", "C" };
	struct mfs_firstrate_limits lim = mfs_firstrate_default_limits;
	int fd = make_zip(bomb, 1), fd2 = make_zip(many, 3);

	/* the ratio: 4 MiB of zeros deflate to a few KiB */
	lim.ratio_min_bytes = 1 << 20;
	ck_assert_int_eq(mfs_firstrate_read_archive(fd, &lim, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						    NULL, 1, collect, NULL, NULL, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "ZBOMB_full_1day_adj_split.txt"));
	ck_assert_ptr_nonnull(strstr(err.msg, "refused"));
	/* the entry size, counted while decompressing */
	lim = mfs_firstrate_default_limits;
	lim.max_entry_bytes = 1 << 20;
	ck_assert_int_eq(mfs_firstrate_read_archive(fd, &lim, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						    NULL, 1, collect, NULL, NULL, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "declares more than 1 MiB (limit): refused"));
	/* the total */
	lim = mfs_firstrate_default_limits;
	lim.max_total_bytes = 2 << 20;
	ck_assert_int_eq(mfs_firstrate_read_archive(fd, &lim, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						    NULL, 1, collect, NULL, NULL, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "2 MiB (limit)"));
	/* the entry count */
	lim = mfs_firstrate_default_limits;
	lim.max_entries = 2;
	ck_assert_int_eq(mfs_firstrate_read_archive(fd2, &lim, MFS_CLASS_STOCK, MFS_TF_1D, all,
						    NULL, 0, collect, NULL, NULL, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 2 entries"));
	ck_assert_uint_eq(n_got, 0);
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(test_not_a_zip)
{
	const char *tickers[] = { "AAPL" };
	int fd = make_text_file("Invalid userid");
	int fd2 = make_text_file("<html><body>Bad request</body></html>");

	ck_assert_int_eq(mfs_firstrate_read_archive(fd, NULL, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						    NULL, 1, collect, NULL, NULL, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"Invalid userid\""));
	ck_assert_int_eq(mfs_firstrate_read_archive(fd2, NULL, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						    NULL, 1, collect, NULL, NULL, &err),
			 MFS_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "Bad request"));
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(test_last_update)
{
	char d[11];

	ck_assert_int_eq(mfs_firstrate_parse_last_update(200, "2026-02-10\r\n", 12,
							 MFS_CLASS_FUTURES, d, &err), MFS_OK);
	ck_assert_str_eq(d, "2026-02-10");
	ck_assert_int_eq(mfs_firstrate_parse_last_update(200, "Invalid userid", 14,
							 MFS_CLASS_STOCK, d, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_int_eq(mfs_firstrate_parse_last_update(200, "{}", 2, MFS_CLASS_STOCK, d, &err),
			 MFS_ERR_PARSE);
	ck_assert_int_eq(mfs_firstrate_parse_last_update(503, "busy", 4, MFS_CLASS_STOCK, d,
							 &err), MFS_ERR_SERVER);
}
END_TEST

/* Headers can lie: liar.zip says 100 bytes and inflates to 2 MiB. */
START_TEST(test_archive_lying_header)
{
	char path[1024];
	const char *tickers[] = { "LIAR" };
	struct mfs_firstrate_limits lim = mfs_firstrate_default_limits;
	int fd;

	snprintf(path, sizeof(path), "%s/firstrate/liar.zip", MFS_FIXTURES);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	lim.max_entry_bytes = 1 << 20;
	ck_assert_int_eq(mfs_firstrate_read_archive(fd, &lim, MFS_CLASS_STOCK, MFS_TF_1D, tickers,
						    NULL, 1, collect, NULL, NULL, &err),
			 MFS_ERR_PERMANENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "'LIAR_full_1day_adjsplit.txt' expands past 1 MiB "
					      "(limit): refused"));
	ck_assert_uint_eq(n_got, 0);
	close(fd);
}
END_TEST

/* ---- fetch and bulk through a fake GET ---- */

static const struct zentry fake_entries[] = {
	{ "AAPL_full_1day_adjsplit.txt", "2024-07-01,1,2,0.5,1.5,100\r\n2024-07-02,1,2,0.5,1.6,"
					 "100\r\n", 0 },
	{ "AMZN_full_1day_adjsplit.txt", "2024-07-01,1,2,0.5,1.5,100\r\n", 0 },
	{ "BRK.B_full_1day_adjsplit.txt", "2024-07-01,400,401,399,400.5,1000\r\n", 0 },
	{ "EMPTY_full_1day_adjsplit.txt", "\r\n", 0 },
};
static char fake_paths[4][512];
static int fake_calls;
static const char *fake_text; /* answer this instead of the zip */

static enum mfs_err fake_get_fd(struct mfs_fetch_ctx *ctx, const char *path,
				const char *const *headers, int fd, size_t max_bytes,
				struct mfs_http_response *resp, struct mfs_error *e)
{
	int zfd;
	char buf[8192];
	ssize_t n;

	(void)ctx, (void)headers, (void)max_bytes, (void)e;
	if (fake_calls < 4)
		snprintf(fake_paths[fake_calls], sizeof(fake_paths[0]), "%s", path);
	fake_calls++;
	resp->status = 200;
	resp->body = calloc(1, 1);
	if (fake_text) {
		ck_assert(write(fd, fake_text, strlen(fake_text)) > 0);
		return MFS_OK;
	}
	zfd = make_zip(fake_entries, 4);
	lseek(zfd, 0, SEEK_SET);
	while ((n = read(zfd, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(fd, buf, (size_t)n), n);
	close(zfd);
	return MFS_OK;
}

static void fetch_setup(void)
{
	setup();
	fake_calls = 0;
	fake_text = NULL;
}

static enum mfs_err fetch(const char *sym, const char *psym, struct mfs_fetch_result *res)
{
	struct mfs_fetch_ctx ctx = { .now = day_t(2024, 8, 1) };
	struct mfs_fetch_req req = { .symbol = sym, .provider_symbol = psym,
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1D,
				     .start = day_t(2024, 1, 1), .end = day_t(2025, 1, 1) };

	mfs_fetch_result_init(res, MFS_TF_1D);
	return mfs_firstrate_fetch_with(fake_get_fd, NULL, "SECRETUSER", &ctx, &req, res, &err);
}

START_TEST(test_fetch)
{
	struct mfs_fetch_result res;

	ck_assert_int_eq(fetch("AAPL", "AAPL", &res), MFS_OK);
	ck_assert_uint_eq(res.series.n, 2);
	ck_assert(!res.raw_prices);
	ck_assert(isnan(res.series.bars[0].adj_close));
	ck_assert_str_eq(res.tz, "America/New_York");
	ck_assert_ptr_nonnull(strstr(fake_paths[0], "ticker_range=A&"));
	ck_assert_ptr_nonnull(strstr(fake_paths[0], "period=full"));
	mfs_fetch_result_free(&res);
	ck_assert_int_eq(fetch("BRK-B", "BRK.B", &res), MFS_OK);
	ck_assert(res.series.bars[0].close == 400.5);
	mfs_fetch_result_free(&res);
	ck_assert_int_eq(fetch("ZZZZ", "ZZZZ", &res), MFS_ERR_NOT_FOUND);
	mfs_fetch_result_free(&res);
	ck_assert_int_eq(fetch("EMPTY", "EMPTY", &res), MFS_ERR_NO_DATA);
	mfs_fetch_result_free(&res);
	fake_text = "Invalid userid SECRETUSER";
	ck_assert_int_eq(fetch("AAPL", "AAPL", &res), MFS_ERR_PERMANENT);
	ck_assert_ptr_null(strstr(err.msg, "SECRETUSER"));
	mfs_fetch_result_free(&res);
}
END_TEST

START_TEST(test_fetch_no_key)
{
	struct mfs_fetch_ctx ctx = { 0 };
	struct mfs_fetch_req req = { .symbol = "AAPL", .provider_symbol = "AAPL",
				     .cls = MFS_CLASS_STOCK, .tf = MFS_TF_1D };
	struct mfs_fetch_result res;

	mfs_fetch_result_init(&res, MFS_TF_1D);
	ck_assert_int_eq(mfs_firstrate_fetch_with(fake_get_fd, NULL, NULL, &ctx, &req, &res, &err),
			 MFS_ERR_CONFIG);
	ck_assert_int_eq(fake_calls, 0);
	mfs_fetch_result_free(&res);
}
END_TEST

START_TEST(test_bulk_letters)
{
	struct mfs_fetch_ctx ctx = { 0 };
	const char *syms[] = { "AAPL", "AMZN", "BRK-B", "QQQQ" };

	ck_assert_int_eq(mfs_firstrate_bulk_with(fake_get_fd, NULL, "U", &ctx, MFS_CLASS_STOCK,
						 MFS_TF_1D, "full", syms, 4, collect, NULL, &err),
			 MFS_OK);
	/* one archive per first letter needed: A, B, Q */
	ck_assert_int_eq(fake_calls, 3);
	ck_assert_ptr_nonnull(strstr(fake_paths[0], "ticker_range=A"));
	ck_assert_ptr_nonnull(strstr(fake_paths[1], "ticker_range=B"));
	ck_assert_ptr_nonnull(strstr(fake_paths[2], "ticker_range=Q"));
	ck_assert_uint_eq(n_got, 3);
	ck_assert_str_eq(got[2].symbol, "BRK-B");
	teardown();
	setup();
	fake_calls = 0;
	ck_assert_int_eq(mfs_firstrate_bulk_with(fake_get_fd, NULL, "U", &ctx, MFS_CLASS_STOCK,
						 MFS_TF_1D, "day", syms, 4, collect, NULL, &err),
			 MFS_OK);
	ck_assert_int_eq(fake_calls, 1);
	ck_assert_ptr_null(strstr(fake_paths[0], "ticker_range"));
	ck_assert_uint_eq(n_got, 3);
}
END_TEST

static Suite *firstrate_suite(void)
{
	Suite *s = suite_create("firstrate");
	TCase *req = tcase_create("names");
	TCase *par = tcase_create("parse");
	TCase *fet = tcase_create("fetch");

	tcase_add_test(req, test_ops_and_names);
	tcase_add_test(req, test_map_symbol);
	tcase_add_test(req, test_data_path);
	tcase_add_test(req, test_entry_ticker);
	suite_add_tcase(s, req);
	tcase_add_checked_fixture(par, setup, teardown);
	tcase_add_test(par, test_rows_columns_and_dates);
	tcase_add_test(par, test_rows_intraday_times);
	tcase_add_test(par, test_parse_text_crlf_blank);
	tcase_add_test(par, test_archive_only_wanted);
	tcase_add_test(par, test_archive_python_fixture);
	tcase_add_test(par, test_archive_limits);
	tcase_add_test(par, test_archive_lying_header);
	tcase_add_test(par, test_not_a_zip);
	tcase_add_test(par, test_last_update);
	suite_add_tcase(s, par);
	tcase_add_checked_fixture(fet, fetch_setup, teardown);
	tcase_add_test(fet, test_fetch);
	tcase_add_test(fet, test_fetch_no_key);
	tcase_add_test(fet, test_bulk_letters);
	suite_add_tcase(s, fet);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(firstrate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
