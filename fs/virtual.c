/*
 * Generated files under /_metadata: their names and their generators.
 *
 * A generated file is produced from local state only (never a provider
 * request). Each open takes one snapshot, read with direct_io so the
 * kernel never mixes two snapshots; getattr on an open handle reports the
 * snapshot's size, so fstat() agrees with what read() returns.
 */
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"

static const struct {
	const char *name;
	enum mfs_err (*generate)(struct mfs_cache *c, char **out, size_t *len,
				 struct mfs_error *err);
} vfiles[MFS_VFILE__COUNT] = {
	[MFS_VFILE_QUALITY_SCORES] = { "quality_scores.json", mfs_cache_quality_json },
};

int mfs_vfile_lookup(const char *name)
{
	for (int i = 0; i < MFS_VFILE__COUNT; i++)
		if (strcmp(name, vfiles[i].name) == 0)
			return i;
	return -1;
}

const char *mfs_vfile_name(int id)
{
	return id >= 0 && id < MFS_VFILE__COUNT ? vfiles[id].name : NULL;
}

enum mfs_err mfs_vfile_generate(struct mfs_fs *fs, int id, char **out, size_t *len,
				struct mfs_error *err)
{
	if (id < 0 || id >= MFS_VFILE__COUNT)
		return mfs_error_set(err, MFS_ERR_NOT_FOUND, "no such generated file");
	return vfiles[id].generate(fs->cache, out, len, err);
}
