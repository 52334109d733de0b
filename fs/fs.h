/*
 * The FUSE daemon's private vocabulary: the namespace nodes (inode.c), the
 * low-level operations (ops.c) and the errno map (errmap.c).
 */
#ifndef MARKETFS_FS_H
#define MARKETFS_FS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <fuse_lowlevel.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/limits.h>

enum mfs_node_kind {
	MFS_NODE_ROOT = 0,
	MFS_NODE_SYMBOL, /* /AAPL */
	MFS_NODE_TF,     /* /AAPL/1d */
	MFS_NODE_DATA,    /* /AAPL/1d/2024.csv.gz */
	MFS_NODE_SIDECAR, /* /AAPL/1d/2024.metadata.json */
	MFS_NODE_META,    /* /_metadata */
	MFS_NODE_VFILE,   /* a generated file (year = its id; symbol if per symbol) */
	MFS_NODE_FUND,    /* /AAPL/fundamentals */
	MFS_NODE_SNAPSHOT /* /AAPL/fundamentals/fmp_20250106_143022.json (name) */
};

/* Generated files (virtual.c) and the directory each lives in. */
enum mfs_vfile {
	MFS_VFILE_QUALITY_SCORES = 0,
	MFS_VFILE_SYMBOLS,
	MFS_VFILE_PROVIDERS,
	MFS_VFILE_STATUS,
	MFS_VFILE_METRICS,
	MFS_VFILE_INFO,
	MFS_VFILE_COMBINED,
	MFS_VFILE_ACTIONS,
	MFS_VFILE__COUNT
};
enum mfs_vscope { MFS_VSCOPE_META, MFS_VSCOPE_SYMBOL, MFS_VSCOPE_FUND };
#define MFS_META_DIR "_metadata"
#define MFS_FUND_DIR "fundamentals"
#define MFS_SNAPSHOT_NAME_MAX 64


struct mfs_node {
	fuse_ino_t ino;
	enum mfs_node_kind kind;
	char symbol[MFS_SYMBOL_MAX + 1];
	enum mfs_tf tf;
	int year;
	char name[MFS_SNAPSHOT_NAME_MAX]; /* snapshots only, else "" */

	/* guarded by the table lock */
	uint64_t nlookup;
	/*
	 * Which version of a file this inode stands for (cvmfs's approach):
	 * a refreshed file gets a new inode, so readers of the old version
	 * keep its size and pages, and nobody sees a mix. Set at the first
	 * lookup or open that finds the file cached; snapshot attributes
	 * answer getattr once a newer version exists.
	 */
	bool versioned;
	ino_t v_backing;      /* inode number of the cache file */
	struct stat v_st;     /* its attributes */
	/*
	 * Generated files: while handles are open, getattr reports the size
	 * of the latest open's snapshot (the kernel sends no handle with the
	 * GETATTR of an fstat()), so fstat agrees with read.
	 */
	unsigned v_open;
	size_t v_len;
	unsigned opens;       /* open handles of a data or sidecar file */
	struct mfs_node *by_ino_next, *by_key_next;
};

struct mfs_inodes;

struct mfs_inodes *mfs_inodes_new(void);
void mfs_inodes_free(struct mfs_inodes *t);
/*
 * The node for (kind, symbol, tf, year), created if needed, with its
 * lookup count raised by one (a reply to LOOKUP hands one to the kernel).
 * For files, cur is the cached file's stat (NULL if not cached): a node
 * standing for another version is retired from lookups and a new one made.
 */
struct mfs_node *mfs_inodes_ref(struct mfs_inodes *t, enum mfs_node_kind kind,
				const char *symbol, enum mfs_tf tf, int year, const char *name,
				const struct stat *cur);
/* The node for ino, or NULL; the pointer stays valid until forgotten. */
struct mfs_node *mfs_inodes_get(struct mfs_inodes *t, fuse_ino_t ino);
/* The inode number of a node without creating or counting; 0 if none. */
fuse_ino_t mfs_inodes_find(struct mfs_inodes *t, enum mfs_node_kind kind, const char *symbol,
			   enum mfs_tf tf, int year);
void mfs_inodes_forget(struct mfs_inodes *t, fuse_ino_t ino, uint64_t n);
/* Open handles of the node for a key (0 if none), under the table lock. */
unsigned mfs_inodes_opens(struct mfs_inodes *t, enum mfs_node_kind kind, const char *symbol,
			  enum mfs_tf tf, int year);
/* The table lock, for the page-cache fields of a node. */
pthread_mutex_t *mfs_inodes_lock(struct mfs_inodes *t);

struct mfs_fs {
	struct fuse_session *se;
	struct mfs_cache *cache;
	const struct mfs_config *cfg;
	struct mfs_inodes *inodes;
	uid_t uid;
	gid_t gid;
	struct timespec started;
};

extern const struct fuse_lowlevel_ops mfs_ll_ops;
/* The cache's hooks: drop the kernel's cached view of what changed. */
extern const struct mfs_cache_hooks mfs_fs_hooks;

int mfs_vfile_lookup(enum mfs_vscope scope, const char *name); /* -1 if none */
const char *mfs_vfile_name(int id);
enum mfs_vscope mfs_vfile_scope(int id);
enum mfs_err mfs_vfile_generate(struct mfs_fs *fs, int id, const char *symbol, char **out,
				size_t *len, struct mfs_error *err);

/* enum mfs_err -> errno, in one place. */
int mfs_errno(enum mfs_err code);

#endif
