/*
 * The cache tree on disk (SPEC section 7): SYMBOL/TF/YEAR.csv.gz and
 * YEAR.metadata.json under the cache directory, which is the truth.
 *
 * Installs are atomic: both files are written to ".NAME.tmp.XXXXXX" in
 * their destination directory and fsync'd, then renamed over their names
 * (data first, sidecar last) and the directory is fsync'd. A crash leaves
 * the old pair, the new pair, or (between the two renames) a new data file
 * with an old or no sidecar, which the sha256 in the sidecar exposes: the
 * pair is then treated as absent and fetched again.
 */
#ifndef MARKETFS_CACHE_STORE_H
#define MARKETFS_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <marketfs/err.h>
#include <marketfs/timeframe.h>

struct mfs_store {
	char *root; /* absolute cache directory */
};

enum mfs_file_kind { MFS_FILE_DATA = 0, MFS_FILE_SIDECAR };

enum mfs_err mfs_store_open(struct mfs_store *st, const char *root, struct mfs_error *err);
void mfs_store_close(struct mfs_store *st);

/* "ROOT/SYM/TF/YEAR.csv.gz" (or .metadata.json); returns -1 if too long. */
int mfs_store_path(const struct mfs_store *st, const char *symbol, enum mfs_tf tf, int year,
		   enum mfs_file_kind kind, char *out, size_t len);

/*
 * Install data then sidecar atomically (see above), both with modification
 * time mtime (the data's last_updated; 0 leaves the time of writing).
 */
enum mfs_err mfs_store_install(const struct mfs_store *st, const char *symbol, enum mfs_tf tf,
			       int year, const void *data, size_t data_len,
			       const void *sidecar, size_t sidecar_len, int64_t mtime,
			       struct mfs_error *err);

/*
 * Replace path by len bytes at data atomically (a temp file in the same
 * directory, fsync, rename), mode 0644. The directory must exist.
 */
enum mfs_err mfs_store_write_file(const char *path, const void *data, size_t len,
				  struct mfs_error *err);

/* Read a whole file (at most max bytes) into a malloc'd, NUL-terminated buffer. */
enum mfs_err mfs_store_read(const char *path, size_t max, char **out, size_t *len,
			    struct mfs_error *err);

/* Hex sha256 of a buffer / of a file. */
void mfs_sha256_hex(const void *data, size_t len, char out[65]);
enum mfs_err mfs_sha256_file(const char *path, char out[65], struct mfs_error *err);

/* Remove install temp files older than age_s below root; returns the count. */
unsigned mfs_store_clean_temps(const struct mfs_store *st, long age_s);

/* mkdir -p for a path inside the cache (mode 0755). */
int mfs_mkdirs(const char *path);

#endif
