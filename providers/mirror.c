/*
 * mirror: a marketfs cache tree on any HTTP server (nginx, an S3 website,
 * a CDN), which lets a team share one set of downloads (SPEC section 4).
 *
 * base_url points at the tree's root: SYMBOL/TF/YEAR.csv.gz and
 * YEAR.metadata.json are fetched below it. The mirror serves every class
 * and timeframe; a file it lacks (404) is "no data" and the next provider
 * is asked. No key; plain http only for loopback or allow_insecure, like
 * every provider. The cache checks the pair (fill.c) before installing it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/http.h>
#include <marketfs/limits.h>

#include "mirror.h"


static bool mirror_serves(enum mfs_class cls, enum mfs_tf tf)
{
	return (unsigned)cls < MFS_CLASS__COUNT && (unsigned)tf < MFS_TF__COUNT;
}

static int64_t mirror_earliest(enum mfs_class cls, enum mfs_tf tf, int64_t now)
{
	return INT64_MIN;
}

static enum mfs_err mirror_fetch(struct mfs_fetch_ctx *ctx, const struct mfs_fetch_req *req,
				 struct mfs_fetch_result *res, struct mfs_error *err)
{
	/* never called: the cache installs the mirror's files as they are */
	return mfs_error_set(err, MFS_ERR_INVALID, "mirror: serves whole files, not bars");
}

int mfs_mirror_path(const char *symbol, enum mfs_tf tf, int year, bool sidecar, char *out,
		    size_t outlen)
{
	char esym[3 * 64 + 1];
	int w;

	if (mfs_http_urlencode(symbol, esym, sizeof(esym)) < 0 || !mfs_tf_name(tf))
		return -1;
	w = snprintf(out, outlen, "/%s/%s/%d.%s", esym, mfs_tf_name(tf), year,
		     sidecar ? "metadata.json" : "csv.gz");
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

/* One file; NO_DATA for a file the mirror does not have. */
static enum mfs_err get_one(struct mfs_fetch_ctx *ctx, const char *path, const char *what,
			    char **out, size_t *len, struct mfs_error *err)
{
	struct mfs_http_response resp = { 0 };
	enum mfs_err rc = mfs_provider_get(ctx, path, NULL, &resp, err);

	if (rc != MFS_OK)
		goto out;
	if (resp.status == 404 || resp.status == 403 || resp.status == 410) {
		rc = mfs_error_set(err, MFS_ERR_NO_DATA, "mirror: %s: not on the mirror (HTTP %ld)",
				   what, resp.status);
		goto out;
	}
	if (resp.status != 200) {
		rc = mfs_error_set(err, MFS_ERR_SERVER, "mirror: %s: HTTP %ld", what, resp.status);
		goto out;
	}
	*out = resp.body;
	*len = resp.len;
	resp.body = NULL;
out:
	mfs_http_response_free(&resp);
	return rc;
}

enum mfs_err mfs_mirror_get_pair(struct mfs_fetch_ctx *ctx, const char *symbol, enum mfs_tf tf,
				 int year, char **data, size_t *data_len, char **side,
				 size_t *side_len, struct mfs_error *err)
{
	char path[512], what[128];
	enum mfs_err rc;

	*data = *side = NULL;
	snprintf(what, sizeof(what), "%s/%s/%d", symbol, mfs_tf_name(tf), year);
	if (mfs_mirror_path(symbol, tf, year, true, path, sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, "mirror: %s: path too long", what);
	/* the sidecar first: it is small, and without it the data cannot be checked */
	rc = get_one(ctx, path, what, side, side_len, err);
	if (rc != MFS_OK)
		return rc;
	if (*side_len > MFS_SIDECAR_MAX_BYTES) {
		free(*side);
		*side = NULL;
		return mfs_error_set(err, MFS_ERR_PARSE, "mirror: %s: sidecar larger than %u bytes",
				     what, MFS_SIDECAR_MAX_BYTES);
	}
	mfs_mirror_path(symbol, tf, year, false, path, sizeof(path));
	rc = get_one(ctx, path, what, data, data_len, err);
	if (rc != MFS_OK) {
		free(*side);
		*side = NULL;
	}
	return rc;
}

const struct mfs_provider_ops mfs_mirror_ops = {
	.name = "mirror",
	.serves = mirror_serves,
	.earliest = mirror_earliest,
	.fetch = mirror_fetch,
	.needs_key = false,
	.default_rate_tokens = 600,
	.default_rate_period_s = 60,
};
