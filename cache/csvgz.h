/*
 * The YEAR.csv.gz codec (SPEC section 2): CSV text with the shortest
 * round-trip number form, and a deterministic gzip stream (no time stamp,
 * no file name, fixed settings), so equal bars give byte-equal files.
 */
#ifndef MARKETFS_CACHE_CSVGZ_H
#define MARKETFS_CACHE_CSVGZ_H

#include <stdbool.h>
#include <stddef.h>

#include <marketfs/err.h>
#include <marketfs/series.h>

/*
 * Shortest decimal that strtod() reads back as exactly v, never in
 * exponent notation ("185.64", "0.00001234", "28111481032"). Returns the
 * length written (NUL not counted), or -1 if v is not finite or len is too
 * small. 64 bytes are always enough for |v| < 1e21 and |v| > 1e-12.
 */
int mfs_fmt_double(double v, char *buf, size_t len);
/* Volume: plain integer when integral and |v| < 2^53, else mfs_fmt_double. */
int mfs_fmt_volume(double v, char *buf, size_t len);

/*
 * CSV text: header "timestamp,open,high,low,close,volume" (+ ",adj_close"
 * when adj_col), "\n" line ends. Daily and longer timeframes write the date
 * "YYYY-MM-DD"; intraday "YYYY-MM-DD HH:MM:SS" (UTC). NaN volume and NaN
 * adj_close are written as empty fields. *out is malloc'd, NUL-terminated.
 */
enum mfs_err mfs_csv_render(const struct mfs_series *s, bool adj_col, char **out,
			    size_t *outlen, struct mfs_error *err);
/*
 * Parse CSV text in the format above (6 or 7 columns, header required).
 * *had_adj (may be NULL) says whether the adj_close column was present.
 */
enum mfs_err mfs_csv_parse(const char *text, size_t len, enum mfs_tf tf,
			   struct mfs_series *out, bool *had_adj, struct mfs_error *err);

/* Deterministic gzip of a buffer (zlib, level 6, mtime 0, no name). */
enum mfs_err mfs_gzip(const void *in, size_t inlen, unsigned char **out, size_t *outlen,
		      struct mfs_error *err);
/* Inflate a gzip stream; refuses output larger than max_out bytes. */
enum mfs_err mfs_gunzip(const void *in, size_t inlen, size_t max_out, char **out,
			size_t *outlen, struct mfs_error *err);

/* Series -> .csv.gz bytes, and .csv.gz bytes -> series. */
enum mfs_err mfs_csvgz_encode(const struct mfs_series *s, bool adj_col, unsigned char **out,
			      size_t *outlen, struct mfs_error *err);
enum mfs_err mfs_csvgz_decode(const void *in, size_t len, enum mfs_tf tf,
			      struct mfs_series *out, bool *had_adj, struct mfs_error *err);

/* Largest uncompressed CSV we will read back from the cache. */
#define MFS_CSV_MAX_BYTES (1024L * 1024 * 1024)

#endif
