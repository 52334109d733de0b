/*
 * Generated files: their names, where they live, and their generators.
 *
 *   /_metadata/quality_scores.json, symbols.json, providers.json,
 *              status.json, metrics
 *   /SYMBOL/info.json, /SYMBOL/actions.csv (stocks)
 *   /SYMBOL/fundamentals/combined.json
 *
 * A generated file is produced from local state only, except that opening
 * combined.json first refreshes stale fundamentals, and opening actions.csv
 * first makes the current year's daily bars present and fresh, which is
 * when providers report splits and dividends (ops.c). Each open takes
 * one snapshot, read with direct_io so the kernel never mixes two
 * snapshots; getattr on an open handle reports that snapshot's size, so
 * fstat() agrees with what read() returns.
 */
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"

static enum mfs_err gen_quality(struct mfs_cache *c, const char *sym, char **out, size_t *len,
				struct mfs_error *err)
{
	(void)sym;
	return mfs_cache_quality_json(c, out, len, err);
}

static enum mfs_err gen_symbols(struct mfs_cache *c, const char *sym, char **out, size_t *len,
				struct mfs_error *err)
{
	(void)sym;
	return mfs_cache_symbols_json(c, out, len, err);
}

static enum mfs_err gen_providers(struct mfs_cache *c, const char *sym, char **out, size_t *len,
				  struct mfs_error *err)
{
	(void)sym;
	return mfs_cache_providers_json(c, out, len, err);
}

static enum mfs_err gen_status(struct mfs_cache *c, const char *sym, char **out, size_t *len,
			       struct mfs_error *err)
{
	(void)sym;
	return mfs_cache_status_json(c, out, len, err);
}

static enum mfs_err gen_metrics(struct mfs_cache *c, const char *sym, char **out, size_t *len,
				struct mfs_error *err)
{
	(void)sym;
	return mfs_cache_metrics_text(c, out, len, err);
}

static const struct {
	const char *name;
	enum mfs_vscope scope;
	enum mfs_err (*generate)(struct mfs_cache *c, const char *symbol, char **out, size_t *len,
				 struct mfs_error *err);
} vfiles[MFS_VFILE__COUNT] = {
	[MFS_VFILE_QUALITY_SCORES] = { "quality_scores.json", MFS_VSCOPE_META, gen_quality },
	[MFS_VFILE_SYMBOLS] = { "symbols.json", MFS_VSCOPE_META, gen_symbols },
	[MFS_VFILE_PROVIDERS] = { "providers.json", MFS_VSCOPE_META, gen_providers },
	[MFS_VFILE_STATUS] = { "status.json", MFS_VSCOPE_META, gen_status },
	[MFS_VFILE_METRICS] = { "metrics", MFS_VSCOPE_META, gen_metrics },
	[MFS_VFILE_INFO] = { "info.json", MFS_VSCOPE_SYMBOL, mfs_cache_info_json },
	[MFS_VFILE_COMBINED] = { "combined.json", MFS_VSCOPE_FUND, mfs_cache_combined_json },
	[MFS_VFILE_ACTIONS] = { "actions.csv", MFS_VSCOPE_SYMBOL, mfs_cache_actions_csv },
};

int mfs_vfile_lookup(enum mfs_vscope scope, const char *name)
{
	for (int i = 0; i < MFS_VFILE__COUNT; i++)
		if (vfiles[i].scope == scope && strcmp(name, vfiles[i].name) == 0)
			return i;
	return -1;
}

const char *mfs_vfile_name(int id)
{
	return id >= 0 && id < MFS_VFILE__COUNT ? vfiles[id].name : NULL;
}

enum mfs_vscope mfs_vfile_scope(int id)
{
	return vfiles[id].scope;
}

enum mfs_err mfs_vfile_generate(struct mfs_fs *fs, int id, const char *symbol, char **out,
				size_t *len, struct mfs_error *err)
{
	if (id < 0 || id >= MFS_VFILE__COUNT)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "no such generated file");
	return vfiles[id].generate(fs->cache, symbol, out, len, err);
}
