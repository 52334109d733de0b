/*
 * The team mirror: another marketfs cache tree served over HTTP(S) by any
 * web server. Unlike the other providers it hands over finished files,
 * which the cache verifies (the sidecar's sha256) and installs as they are.
 */
#ifndef MARKETFS_PROVIDERS_MIRROR_H
#define MARKETFS_PROVIDERS_MIRROR_H

#include <stddef.h>

#include <marketfs/provider.h>

/* "/SYM/TF/YEAR.csv.gz" or ".metadata.json", the symbol percent-encoded; -1 if too long. */
int mfs_mirror_path(const char *symbol, enum mfs_tf tf, int year, bool sidecar, char *out,
		    size_t outlen);

/*
 * GET the data file and its sidecar. On MFS_OK *data and *side are
 * malloc'd (the caller frees them). MFS_ERR_NO_DATA: the mirror has no
 * such file (404/403/410); other errors as mfs_provider_get classifies.
 */
enum mfs_err mfs_mirror_get_pair(struct mfs_fetch_ctx *ctx, const char *symbol, enum mfs_tf tf,
				 int year, char **data, size_t *data_len, char **side,
				 size_t *side_len, struct mfs_error *err);

#endif
