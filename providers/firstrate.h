/*
 * FirstRateData bulk archives (PROVIDERS.md section 8): the pieces tests
 * drive directly. Names, the symbol map and the request path are pure;
 * the line parser takes one CSV row; mfs_firstrate_read_archive() streams
 * a downloaded zip from a file descriptor under zip-bomb limits; the
 * *_with() entry points take the GET-into-a-file as a function pointer so
 * tests run without a network.
 */
#ifndef MARKETFS_PROVIDERS_FIRSTRATE_H
#define MARKETFS_PROVIDERS_FIRSTRATE_H

#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/http.h>
#include <marketfs/provider.h>
#include <marketfs/series.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

/* Limits against zip bombs; counted on the bytes actually decompressed. */
struct mfs_firstrate_limits {
	uint64_t max_entries;      /* entries in one archive */
	uint64_t max_entry_bytes;  /* uncompressed bytes read of one entry */
	uint64_t max_total_bytes;  /* uncompressed bytes read of the archive */
	uint64_t max_ratio;        /* uncompressed / compressed ... */
	uint64_t ratio_min_bytes;  /* ... refused only past this many bytes */
	uint64_t max_download;     /* bytes of the zip itself */
};

/* 200000 entries, 512 MiB, 8 GiB, 100x past 8 MiB, 16 GiB download. */
extern const struct mfs_firstrate_limits mfs_firstrate_default_limits;

/* "stock", "index", "futures", "fx", "crypto"; NULL for none. */
const char *mfs_firstrate_type(enum mfs_class cls);
/* "1min" "5min" "30min" "1hour" "1day"; NULL for what FirstRate lacks. */
const char *mfs_firstrate_timeframe(enum mfs_tf tf);
/* "adj_split" (stock), "contin_UNadj" (futures), NULL (none sent). */
const char *mfs_firstrate_adjustment(enum mfs_class cls);

/* Our symbol -> FirstRate ticker (ES=F -> ES, ^GSPC -> SPX, BRK-B -> BRK.B). */
void mfs_firstrate_map_symbol(const char *symbol, enum mfs_class cls, char *out, size_t outlen);

/*
 * "/api/data_file?type=..&period=..&timeframe=..[&adjustment=..]
 * [&ticker_range=L]&userid=U". letter 0: no ticker_range. -1 on error.
 */
int mfs_firstrate_data_path(enum mfs_class cls, enum mfs_tf tf, const char *period, char letter,
			    const char *userid, char *out, size_t outlen);

/*
 * The ticker of an entry name: the base name's text before the first '_'
 * ("AAPL_full_1day_adjsplit.txt" -> "AAPL"). -1 if none fits out.
 */
int mfs_firstrate_entry_ticker(const char *entry_name, char *out, size_t outlen);

/*
 * Parse one row (no line end) into *b: 5 columns (no volume: NaN), 6, or
 * 7 (open interest, ignored). Daily rows "YYYY-MM-DD[ 00:00:00]" become
 * days*86400; intraday "YYYY-MM-DD HH:MM:SS" is naive New York time
 * (crypto: UTC) at the bar's start. 1 = blank line, 0 = bar, -1 = bad.
 */
int mfs_firstrate_parse_row(const char *line, size_t len, enum mfs_class cls, enum mfs_tf tf,
			    struct mfs_bar *b);

/* Parse a whole entry text (CRLF or LF, blank lines) into out. */
enum mfs_err mfs_firstrate_parse_text(const char *text, size_t len, const char *sym,
				      enum mfs_class cls, enum mfs_tf tf, struct mfs_series *out,
				      struct mfs_error *err);

/* Called once per wanted symbol found; non-zero stops the walk. */
typedef int (*mfs_firstrate_cb)(void *arg, const char *symbol, struct mfs_fetch_result *res);

/*
 * Walk the zip in fd (from offset 0) as a stream: entries whose ticker is
 * one of tickers[i] (case-insensitive) are parsed and handed to cb with
 * symbols[i]; every other entry is skipped. A body that is not a zip
 * ("Invalid userid") is MFS_ERR_PERMANENT or MFS_ERR_PARSE with a
 * snippet; a limit passed is MFS_ERR_PERMANENT. *found (may be NULL)
 * counts the entries handed over.
 */
enum mfs_err mfs_firstrate_read_archive(int fd, const struct mfs_firstrate_limits *lim,
					enum mfs_class cls, enum mfs_tf tf,
					const char *const *tickers, const char *const *symbols,
					size_t n, mfs_firstrate_cb cb, void *arg, size_t *found,
					struct mfs_error *err);

/* Same signature as mfs_provider_get_fd(); tests pass a fake. */
typedef enum mfs_err (*mfs_firstrate_get_fd_fn)(struct mfs_fetch_ctx *ctx,
						const char *path_and_query,
						const char *const *headers, int fd,
						size_t max_bytes, struct mfs_http_response *resp,
						struct mfs_error *err);

/* The fetch op with the GET and the limits injected; userid may be NULL. */
enum mfs_err mfs_firstrate_fetch_with(mfs_firstrate_get_fd_fn get,
				      const struct mfs_firstrate_limits *lim, const char *userid,
				      struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				      struct mfs_fetch_result *res, struct mfs_error *err);

/* mfs_firstrate_bulk() with the GET, limits and userid injected. */
enum mfs_err mfs_firstrate_bulk_with(mfs_firstrate_get_fd_fn get,
				     const struct mfs_firstrate_limits *lim, const char *userid,
				     struct mfs_fetch_ctx *ctx, enum mfs_class cls, enum mfs_tf tf,
				     const char *period, const char *const *symbols, size_t n,
				     mfs_firstrate_cb cb, void *arg, struct mfs_error *err);

/*
 * Download the class's archive (stocks with period "full": one per first
 * letter needed) and call cb once per wanted symbol found; symbols are
 * our names (mapped with the symbol map). period: "day", "week", "month"
 * or "full".
 */
enum mfs_err mfs_firstrate_bulk(struct mfs_fetch_ctx *ctx, enum mfs_class cls, enum mfs_tf tf,
				const char *period, const char *const *symbols, size_t n,
				mfs_firstrate_cb cb, void *arg, struct mfs_error *err);

/* GET /api/last_update?type=..: the plain "YYYY-MM-DD" of the last update. */
enum mfs_err mfs_firstrate_last_update(struct mfs_fetch_ctx *ctx, enum mfs_class cls,
				       char out[11], struct mfs_error *err);
/* The same with the plain GET injected (parses the body). */
enum mfs_err mfs_firstrate_parse_last_update(long status, const char *body, size_t len,
					     enum mfs_class cls, char out[11],
					     struct mfs_error *err);

#endif
