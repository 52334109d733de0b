/*
 * The FUSE low-level operations: translate requests into cache calls and
 * replies, nothing more.
 *
 * Namespace (SPEC section 1): / lists symbols; /SYM lists the nine
 * timeframes; /SYM/TF lists YEAR.csv.gz and YEAR.metadata.json for the
 * years that exist. Names that can never exist get a cached negative
 * entry; everything else that does not exist is ENOENT. Lookups, getattr
 * and readdir answer from the local cache; only open may wait for a
 * fetch, and it waits on the cache's fetch pool, never doing I/O on the
 * network itself.
 *
 * Sizes: a cached file has its exact size and long attribute timeouts (a
 * final file) or timeouts that end at stale_after (a live one); a file
 * never fetched reports size 0 with attribute timeout 0, so the fstat()
 * that rsync and cp make after open sees the real size.
 *
 * Versions: each version of a cached file has its own inode number. A
 * refresh makes the kernel look the name up again and get the new inode;
 * readers that hold the old one keep its size and pages. So the kernel's
 * page cache is always kept (an inode's pages are of one version only).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <marketfs/http.h>
#include <marketfs/log.h>
#include <marketfs/symbol.h>

#include "fs/fs.h"

#define DIR_MODE (S_IFDIR | 0555)
/* what libfuse calls UNKNOWN_INO: "look it up" in a listing */
#define UNKNOWN_INO 0xffffffff
#define FILE_MODE (S_IFREG | 0444)

/*
 * Handles are reference-counted: a reply in progress holds one, so that a
 * RELEASE handled on another thread (the kernel may send it as soon as the
 * reply's bytes were copied) never frees memory a reply still touches.
 */
struct handle {
	atomic_uint refs;
	fuse_ino_t vfile_ino; /* a generated file's inode (its v_open counts us) */
	fuse_ino_t data_ino;  /* a data or sidecar file's inode (its opens count us) */
	int fd;      /* the cache file, this version for as long as it is open */
	char *buf;   /* or a generated file's snapshot (fd = -1) */
	size_t len;
};

struct dirbuf {
	atomic_uint refs;
	char *p;
	size_t size;
};

static struct handle *handle_new(void)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (h) {
		atomic_init(&h->refs, 1);
		h->fd = -1;
	}
	return h;
}

static void handle_put(struct handle *h)
{
	if (atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->buf);
	free(h);
}

static void dirbuf_put(struct dirbuf *b)
{
	if (atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	free(b->p);
	free(b);
}

static struct mfs_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* ---- names ------------------------------------------------------------- */

/* "2024.csv.gz" -> (2024, DATA); "2024.metadata.json" -> (2024, SIDECAR). */
static bool parse_year_name(const char *name, int *year, enum mfs_node_kind *kind)
{
	if (strlen(name) < 5)
		return false;
	for (int i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	*year = atoi(name);
	if (*year < MFS_FIRST_YEAR || *year > MFS_LAST_YEAR)
		return false;
	if (strcmp(name + 4, ".csv.gz") == 0)
		*kind = MFS_NODE_DATA;
	else if (strcmp(name + 4, ".metadata.json") == 0)
		*kind = MFS_NODE_SIDECAR;
	else
		return false;
	return true;
}

static struct mfs_key key_of(const struct mfs_node *n)
{
	struct mfs_key k = { n->symbol, n->tf, n->year,
			     n->kind == MFS_NODE_DATA ? MFS_KIND_DATA : MFS_KIND_SIDECAR };
	return k;
}

/* ---- attributes -------------------------------------------------------- */

static void dir_attr(struct mfs_fs *fs, const struct mfs_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = DIR_MODE;
	st->st_nlink = 2;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atim = st->st_mtim = st->st_ctim = fs->started;
}

/* What every file shares: mode, owner, inode number. */
static void file_stat_init(struct mfs_fs *fs, const struct mfs_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = FILE_MODE;
	st->st_nlink = 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
}

/* Attributes of a file node and how long the kernel may keep them. */
static int file_attr(struct mfs_fs *fs, const struct mfs_node *n, struct stat *st,
		     double *timeout)
{
	struct mfs_key k = key_of(n);
	struct mfs_file_state fst;
	enum mfs_err rc = mfs_cache_stat(fs->cache, &k, &fst);

	if (rc != MFS_OK)
		return mfs_errno(rc);
	file_stat_init(fs, n, st);
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	bool old_version = n->versioned && (!fst.present || fst.st.st_ino != n->v_backing);
	struct stat vst = n->v_st;
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	if (old_version) {
		/* a version that has been replaced: it never changes again */
		fst.present = true;
		fst.st = vst;
		fst.stale_after = 0;
	}
	if (!fst.present) {
		st->st_atim = st->st_mtim = st->st_ctim = fs->started;
		*timeout = 0;
		return 0;
	}
	st->st_size = fst.st.st_size;
	st->st_blocks = (fst.st.st_size + 511) / 512;
	st->st_blksize = 65536;
	st->st_mtim = fst.st.st_mtim;
	st->st_ctim = fst.st.st_mtim;
	st->st_atim = fst.st.st_atim;
	if (fst.stale_after == 0) {
		*timeout = MFS_FINAL_ATTR_TIMEOUT_S;
	} else {
		double left = (double)(fst.stale_after - mfs_wall_now());
		*timeout = left <= 0 ? 0
				     : (left < MFS_LIVE_ATTR_TIMEOUT_MAX_S ? left
									  : MFS_LIVE_ATTR_TIMEOUT_MAX_S);
	}
	return 0;
}

/* A generated file: its size is that of a snapshot taken now. */
static int vfile_attr(struct mfs_fs *fs, const struct mfs_node *n, size_t snapshot_len,
		      bool have_snapshot, struct stat *st, double *timeout)
{
	struct mfs_error err = { 0 };
	char *buf = NULL;
	size_t len = snapshot_len;

	if (!have_snapshot) {
		enum mfs_err rc = mfs_vfile_generate(fs, n->year, n->symbol, &buf, &len, &err);
		free(buf);
		if (rc != MFS_OK)
			return mfs_errno(rc);
	}
	file_stat_init(fs, n, st);
	st->st_size = (off_t)len;
	st->st_blocks = (st->st_size + 511) / 512;
	clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	st->st_atim = st->st_ctim = st->st_mtim;
	*timeout = 0; /* it changes whenever the cache does */
	return 0;
}

static int node_attr(struct mfs_fs *fs, const struct mfs_node *n, struct stat *st,
		     double *timeout)
{
	if (n->kind == MFS_NODE_DATA || n->kind == MFS_NODE_SIDECAR)
		return file_attr(fs, n, st, timeout);
	if (n->kind == MFS_NODE_VFILE)
		return vfile_attr(fs, n, 0, false, st, timeout);
	if (n->kind == MFS_NODE_SNAPSHOT) {
		struct stat sb;
		int fd = mfs_cache_fundamentals_open(fs->cache, n->symbol, n->name, &sb);
		if (fd < 0)
			return -fd;
		close(fd);
		file_stat_init(fs, n, st);
		st->st_size = sb.st_size;
		st->st_blocks = (sb.st_size + 511) / 512;
		st->st_mtim = st->st_ctim = sb.st_mtim;
		st->st_atim = sb.st_atim;
		*timeout = MFS_FINAL_ATTR_TIMEOUT_S; /* a snapshot never changes */
		return 0;
	}
	dir_attr(fs, n, st);
	*timeout = MFS_DIR_ATTR_TIMEOUT_S;
	return 0;
}

/* ---- lookup ------------------------------------------------------------ */

/*
 * Resolve name under parent. Returns 0 and fills *kind etc., ENOENT for a
 * name that does not exist now, or -1 for a name that never can (cached
 * as a negative entry).
 */
static int resolve(struct mfs_fs *fs, const struct mfs_node *parent, const char *name,
		   enum mfs_node_kind *kind, const char **symbol, enum mfs_tf *tf, int *year)
{
	*symbol = parent->symbol;
	*tf = parent->tf;
	*year = 0;
	switch (parent->kind) {
	case MFS_NODE_ROOT:
		if (strcmp(name, MFS_META_DIR) == 0) {
			*kind = MFS_NODE_META;
			*symbol = "";
			*tf = MFS_TF_INVALID;
			return 0;
		}
		if (!mfs_symbol_valid(name))
			return -1;
		if (mfs_cache_symbol_unknown(fs->cache, name))
			return ENOENT;
		*kind = MFS_NODE_SYMBOL;
		*symbol = name;
		*tf = MFS_TF_INVALID;
		return 0;
	case MFS_NODE_SYMBOL:
		*tf = mfs_tf_parse(name);
		if (*tf != MFS_TF_INVALID) {
			*kind = MFS_NODE_TF;
			return 0;
		}
		if (strcmp(name, MFS_FUND_DIR) == 0 &&
		    mfs_cache_classify(fs->cache, parent->symbol) == MFS_CLASS_STOCK) {
			*kind = MFS_NODE_FUND;
			return 0;
		}
		*year = mfs_vfile_lookup(MFS_VSCOPE_SYMBOL, name);
		if (*year < 0 || (*year == MFS_VFILE_ACTIONS &&
				  mfs_cache_classify(fs->cache, parent->symbol) != MFS_CLASS_STOCK))
			return -1;
		*kind = MFS_NODE_VFILE;
		return 0;
	case MFS_NODE_TF: {
		char why[256];
		if (!parse_year_name(name, year, kind))
			return -1;
		if (!mfs_cache_year_exists(fs->cache, parent->symbol, parent->tf, *year, why,
					   sizeof(why))) {
			mfs_debug("lookup %s/%s/%s: %s", parent->symbol, mfs_tf_name(parent->tf),
				  name, why);
			return ENOENT;
		}
		return 0;
	}
	case MFS_NODE_FUND: {
		int prov;
		int64_t t;
		*year = mfs_vfile_lookup(MFS_VSCOPE_FUND, name);
		if (*year >= 0) {
			*kind = MFS_NODE_VFILE;
			return 0;
		}
		*year = 0;
		if (!mfs_fund_parse_name(name, &prov, &t) || strlen(name) >= MFS_SNAPSHOT_NAME_MAX)
			return -1;
		if (!mfs_cache_fundamentals_exists(fs->cache, parent->symbol, name))
			return ENOENT; /* an older snapshot, or not fetched yet */
		*kind = MFS_NODE_SNAPSHOT;
		return 0;
	}
	case MFS_NODE_META:
		*year = mfs_vfile_lookup(MFS_VSCOPE_META, name);
		if (*year < 0)
			return -1;
		*kind = MFS_NODE_VFILE;
		return 0;
	default:
		return ENOTDIR;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent_ino, const char *name)
{
	struct mfs_fs *fs = fs_of(req);
	struct mfs_node *parent = mfs_inodes_get(fs->inodes, parent_ino), *n;
	struct fuse_entry_param e;
	enum mfs_node_kind kind;
	const char *symbol;
	enum mfs_tf tf;
	int year, rc;

	if (!parent) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	rc = resolve(fs, parent, name, &kind, &symbol, &tf, &year);
	memset(&e, 0, sizeof(e));
	if (rc < 0) {
		/* can never exist: let the kernel remember that */
		e.ino = 0;
		e.entry_timeout = MFS_INVALID_NAME_TIMEOUT_S;
		fuse_reply_entry(req, &e);
		return;
	}
	if (rc > 0) {
		fuse_reply_err(req, rc);
		return;
	}
	struct mfs_file_state fst = { 0 };
	if (kind == MFS_NODE_DATA || kind == MFS_NODE_SIDECAR) {
		struct mfs_key k = { symbol, tf, year,
				     kind == MFS_NODE_DATA ? MFS_KIND_DATA : MFS_KIND_SIDECAR };
		mfs_cache_stat(fs->cache, &k, &fst);
	}
	n = mfs_inodes_ref(fs->inodes, kind, symbol, tf, year,
			   kind == MFS_NODE_SNAPSHOT ? name : NULL, fst.present ? &fst.st : NULL);
	if (!n) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = node_attr(fs, n, &e.attr, &e.attr_timeout);
	if (rc) {
		mfs_inodes_forget(fs->inodes, n->ino, 1);
		fuse_reply_err(req, rc);
		return;
	}
	e.ino = n->ino;
	e.generation = 1;
	e.entry_timeout = MFS_ENTRY_TIMEOUT_S;
	if (fuse_reply_entry(req, &e) != 0)
		mfs_inodes_forget(fs->inodes, n->ino, 1);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	mfs_inodes_forget(fs_of(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct mfs_fs *fs = fs_of(req);

	for (size_t i = 0; i < count; i++)
		mfs_inodes_forget(fs->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs_fs *fs = fs_of(req);
	struct mfs_node *n = mfs_inodes_get(fs->inodes, ino);
	struct stat st;
	double timeout;
	int rc;

	if (!n) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	bool open_snapshot = n->kind == MFS_NODE_VFILE && n->v_open > 0;
	size_t open_len = n->v_len;
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	if (n->kind == MFS_NODE_VFILE && fi && fi->fh) {
		/* fstat() of an open generated file: the size of its snapshot */
		const struct handle *h = (const struct handle *)(uintptr_t)fi->fh;
		rc = vfile_attr(fs, n, h->len, true, &st, &timeout);
	} else if (open_snapshot) {
		rc = vfile_attr(fs, n, open_len, true, &st, &timeout);
	} else {
		rc = node_attr(fs, n, &st, &timeout);
	}
	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	fuse_reply_attr(req, &st, timeout);
}

/* ---- directories ------------------------------------------------------- */

static int dirbuf_add(fuse_req_t req, struct dirbuf *b, const char *name, fuse_ino_t ino,
		      mode_t mode)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t old = b->size;
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	char *p = realloc(b->p, old + need);

	if (!p)
		return -1;
	b->p = p;
	b->size += need;
	fuse_add_direntry(req, b->p + old, need, name, &st, (off_t)b->size);
	return 0;
}

struct sym_list {
	fuse_req_t req;
	struct dirbuf *b;
	int failed;
};

static void add_symbol(void *arg, const char *symbol)
{
	struct sym_list *l = arg;

	if (dirbuf_add(l->req, l->b, symbol, UNKNOWN_INO, DIR_MODE) < 0)
		l->failed = 1;
}

static void add_file(void *arg, const char *name)
{
	struct sym_list *l = arg;

	if (dirbuf_add(l->req, l->b, name, UNKNOWN_INO, FILE_MODE) < 0)
		l->failed = 1;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs_fs *fs = fs_of(req);
	struct mfs_node *n = mfs_inodes_get(fs->inodes, ino);
	struct dirbuf *b = calloc(1, sizeof(*b));
	int fail = 0;

	if (b)
		atomic_init(&b->refs, 1);
	if (!b) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!n) {
		free(b);
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (n->kind == MFS_NODE_DATA || n->kind == MFS_NODE_SIDECAR || n->kind == MFS_NODE_VFILE ||
	    n->kind == MFS_NODE_SNAPSHOT) {
		free(b);
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fail |= dirbuf_add(req, b, ".", n->ino, DIR_MODE);
	fail |= dirbuf_add(req, b, "..", UNKNOWN_INO, DIR_MODE);
	if (n->kind == MFS_NODE_ROOT) {
		struct sym_list l = { req, b, 0 };
		fail |= dirbuf_add(req, b, MFS_META_DIR, UNKNOWN_INO, DIR_MODE);
		mfs_cache_symbols(fs->cache, add_symbol, &l);
		fail |= l.failed;
	} else if (n->kind == MFS_NODE_META) {
		for (int i = 0; i < MFS_VFILE__COUNT; i++)
			if (mfs_vfile_scope(i) == MFS_VSCOPE_META)
				fail |= dirbuf_add(req, b, mfs_vfile_name(i), UNKNOWN_INO, FILE_MODE);
	} else if (n->kind == MFS_NODE_SYMBOL) {
		for (int tf = 0; tf < MFS_TF__COUNT; tf++)
			fail |= dirbuf_add(req, b, mfs_tf_name((enum mfs_tf)tf), UNKNOWN_INO,
					   DIR_MODE);
		bool stock = mfs_cache_classify(fs->cache, n->symbol) == MFS_CLASS_STOCK;
		if (stock)
			fail |= dirbuf_add(req, b, MFS_FUND_DIR, UNKNOWN_INO, DIR_MODE);
		for (int i = 0; i < MFS_VFILE__COUNT; i++)
			if (mfs_vfile_scope(i) == MFS_VSCOPE_SYMBOL &&
			    (i != MFS_VFILE_ACTIONS || stock))
				fail |= dirbuf_add(req, b, mfs_vfile_name(i), UNKNOWN_INO, FILE_MODE);
	} else if (n->kind == MFS_NODE_FUND) {
		struct sym_list l = { req, b, 0 };
		mfs_cache_fundamentals_list(fs->cache, n->symbol, add_file, &l);
		fail |= l.failed;
		for (int i = 0; i < MFS_VFILE__COUNT; i++)
			if (mfs_vfile_scope(i) == MFS_VSCOPE_FUND)
				fail |= dirbuf_add(req, b, mfs_vfile_name(i), UNKNOWN_INO, FILE_MODE);
	} else {
		int years[MFS_LAST_YEAR - MFS_FIRST_YEAR + 1];
		unsigned cnt = mfs_cache_years(fs->cache, n->symbol, n->tf, years,
					       sizeof(years) / sizeof(years[0]));
		for (unsigned i = 0; i < cnt; i++) {
			char name[32];
			snprintf(name, sizeof(name), "%04d.csv.gz", years[i]);
			fail |= dirbuf_add(req, b, name, UNKNOWN_INO, FILE_MODE);
			snprintf(name, sizeof(name), "%04d.metadata.json", years[i]);
			fail |= dirbuf_add(req, b, name, UNKNOWN_INO, FILE_MODE);
		}
	}
	if (fail) {
		free(b->p);
		free(b);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)b;
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;

	(void)ino;
	if (off < 0 || (size_t)off >= b->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	size_t left = b->size - (size_t)off;
	atomic_fetch_add(&b->refs, 1);
	fuse_reply_buf(req, b->p + off, left < size ? left : size);
	dirbuf_put(b);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;

	(void)ino;
	dirbuf_put(b);
	fuse_reply_err(req, 0);
}

/* ---- files ------------------------------------------------------------- */

static void on_interrupt(fuse_req_t req, void *data)
{
	(void)req;
	mfs_cancel_fire(data);
}

/* A generated file's handle goes: stop counting it on its node. */
static void vfile_closed(struct mfs_fs *fs, struct handle *h)
{
	struct mfs_node *n;

	if (!h->vfile_ino)
		return;
	n = mfs_inodes_get(fs->inodes, h->vfile_ino);
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	if (n && n->v_open)
		n->v_open--;
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	h->vfile_ino = 0;
}

/* A data or sidecar file's handle goes. */
static void data_closed(struct mfs_fs *fs, struct handle *h)
{
	struct mfs_node *n;

	if (!h->data_ino)
		return;
	n = mfs_inodes_get(fs->inodes, h->data_ino);
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	if (n && n->opens)
		n->opens--;
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	h->data_ino = 0;
}

/* A fundamentals snapshot: an immutable file of the cache. */
static void open_snapshot(fuse_req_t req, struct mfs_fs *fs, const struct mfs_node *n,
			  struct fuse_file_info *fi)
{
	struct handle *h = handle_new();

	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->fd = mfs_cache_fundamentals_open(fs->cache, n->symbol, n->name, NULL);
	if (h->fd < 0) {
		int e = -h->fd;
		handle_put(h);
		fuse_reply_err(req, e == ENOENT ? ESTALE : e); /* replaced by a newer one */
		return;
	}
	fi->keep_cache = 1;
	fi->fh = (uint64_t)(uintptr_t)h;
	if (fuse_reply_open(req, fi) != 0)
		handle_put(h);
}

/* One snapshot per open, read with direct_io (see virtual.c). */
static void open_vfile(fuse_req_t req, struct mfs_fs *fs, struct mfs_node *n,
		       struct fuse_file_info *fi)
{
	struct mfs_error err = { 0 };
	struct handle *h = handle_new();
	enum mfs_err rc;

	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (n->year == MFS_VFILE_COMBINED) {
		/* stale or missing fundamentals are fetched first (SPEC section 2) */
		struct mfs_cancel cancel;
		mfs_cancel_init(&cancel, fs->cache);
		fuse_req_interrupt_func(req, on_interrupt, &cancel);
		rc = mfs_cache_fundamentals_ensure(fs->cache, n->symbol, &cancel, &err);
		fuse_req_interrupt_func(req, NULL, NULL);
		if (rc != MFS_OK) {
			mfs_log(rc == MFS_ERR_NOT_FOUND || rc == MFS_ERR_CANCELLED ? MFS_LOG_NOTICE
										    : MFS_LOG_WARN,
				"open %s/%s/combined.json: %s", n->symbol, MFS_FUND_DIR, err.msg);
			handle_put(h);
			fuse_reply_err(req, mfs_errno(rc));
			return;
		}
	}
	if (n->year == MFS_VFILE_ACTIONS) {
		/*
		 * Providers report splits and dividends with daily bars: make the
		 * current year's present and fresh first. If that fails (offline,
		 * providers down) the actions known so far are served.
		 */
		struct mfs_cancel cancel;
		struct mfs_key k = { n->symbol, MFS_TF_1D, mfs_year_of(mfs_wall_now()),
				     MFS_KIND_DATA };
		mfs_cancel_init(&cancel, fs->cache);
		fuse_req_interrupt_func(req, on_interrupt, &cancel);
		rc = mfs_cache_ensure(fs->cache, &k, &cancel, &err);
		fuse_req_interrupt_func(req, NULL, NULL);
		if (rc == MFS_ERR_CANCELLED) {
			handle_put(h);
			fuse_reply_err(req, EINTR);
			return;
		}
		if (rc != MFS_OK)
			mfs_notice("open %s/actions.csv: daily bars not refreshed (%s); serving the "
				   "actions known", n->symbol, err.msg);
		mfs_error_clear(&err);
	}
	rc = mfs_vfile_generate(fs, n->year, n->symbol, &h->buf, &h->len, &err);
	if (rc != MFS_OK) {
		mfs_warn("open %s/%s: %s", MFS_META_DIR, mfs_vfile_name(n->year), err.msg);
		handle_put(h);
		fuse_reply_err(req, mfs_errno(rc));
		return;
	}
	fi->direct_io = 1;
	fi->fh = (uint64_t)(uintptr_t)h;
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	h->vfile_ino = n->ino;
	n->v_open++;
	n->v_len = h->len;
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	if (fuse_reply_open(req, fi) != 0) {
		vfile_closed(fs, h);
		handle_put(h);
	}
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs_fs *fs = fs_of(req);
	struct mfs_node *n = mfs_inodes_get(fs->inodes, ino);
	struct mfs_error err = { 0 };
	struct mfs_cancel cancel;
	struct handle *h;
	struct stat sb;
	enum mfs_err rc;

	if (!n) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (n->kind != MFS_NODE_DATA && n->kind != MFS_NODE_SIDECAR && n->kind != MFS_NODE_VFILE &&
	    n->kind != MFS_NODE_SNAPSHOT) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (n->kind == MFS_NODE_VFILE) {
		open_vfile(req, fs, n, fi);
		return;
	}
	if (n->kind == MFS_NODE_SNAPSHOT) {
		open_snapshot(req, fs, n, fi);
		return;
	}

	struct mfs_key k = key_of(n);
	mfs_cancel_init(&cancel, fs->cache);
	fuse_req_interrupt_func(req, on_interrupt, &cancel);
	rc = mfs_cache_ensure(fs->cache, &k, &cancel, &err);
	fuse_req_interrupt_func(req, NULL, NULL); /* before `cancel` goes away */
	if (rc != MFS_OK) {
		int e = mfs_errno(rc);
		if (e == ENOENT || e == EINTR)
			mfs_notice("open %s/%s/%04d%s: %s", n->symbol, mfs_tf_name(n->tf), n->year,
				   n->kind == MFS_NODE_DATA ? ".csv.gz" : ".metadata.json", err.msg);
		else
			mfs_warn("open %s/%s/%04d%s: %s (%s)", n->symbol, mfs_tf_name(n->tf),
				 n->year, n->kind == MFS_NODE_DATA ? ".csv.gz" : ".metadata.json",
				 strerror(e), err.msg);
		fuse_reply_err(req, e);
		return;
	}

	h = handle_new();
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->fd = mfs_cache_open_file(fs->cache, &k);
	if (h->fd == -ENOENT) {
		/* evicted between ensure and open: once more */
		mfs_cancel_init(&cancel, fs->cache);
		if (mfs_cache_ensure(fs->cache, &k, &cancel, &err) == MFS_OK)
			h->fd = mfs_cache_open_file(fs->cache, &k);
	}
	if (h->fd < 0 || fstat(h->fd, &sb) < 0) {
		int e = h->fd < 0 ? -h->fd : errno;
		handle_put(h);
		mfs_warn("open %s/%s/%04d: cached file vanished: %s", n->symbol,
			 mfs_tf_name(n->tf), n->year, strerror(e));
		fuse_reply_err(req, EIO);
		return;
	}

	/*
	 * Bind the inode to this version of the file, or, if it stands for an
	 * older one (a refresh installed a new version while the kernel still
	 * had this inode), say ESTALE: the kernel looks the name up again and
	 * opens the new inode. Each inode's pages are of one version only, so
	 * the page cache may always be kept.
	 */
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	bool stale_inode = n->versioned && n->v_backing != sb.st_ino;
	if (!n->versioned) {
		n->versioned = true;
		n->v_backing = sb.st_ino;
		n->v_st = sb;
	}
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	if (stale_inode) {
		handle_put(h);
		fuse_reply_err(req, ESTALE);
		return;
	}
	fi->keep_cache = 1;
	fi->fh = (uint64_t)(uintptr_t)h;
	pthread_mutex_lock(mfs_inodes_lock(fs->inodes));
	n->opens++; /* eviction leaves it alone */
	h->data_ino = n->ino;
	pthread_mutex_unlock(mfs_inodes_lock(fs->inodes));
	if (fuse_reply_open(req, fi) != 0) {
		data_closed(fs, h); /* the opener went away (interrupted just now) */
		handle_put(h);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	atomic_fetch_add(&h->refs, 1);
	if (h->buf) {
		size_t o = off < 0 ? h->len : (size_t)off;
		size_t n = o >= h->len ? 0 : (h->len - o < size ? h->len - o : size);
		fuse_reply_buf(req, h->buf + (o < h->len ? o : h->len), n);
	} else {
		buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		buf.buf[0].fd = h->fd;
		buf.buf[0].pos = off;
		fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
	}
	handle_put(h);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	vfile_closed(fs_of(req), h);
	data_closed(fs_of(req), h);
	handle_put(h);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mfs_fs *fs = fs_of(req);
	struct statvfs sv;

	(void)ino;
	if (statvfs(fs->cfg->cache_dir, &sv) < 0)
		memset(&sv, 0, sizeof(sv));
	sv.f_namemax = 255;
	sv.f_flag |= ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct mfs_fs *fs = fs_of(req);

	if (!mfs_inodes_get(fs->inodes, ino)) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

/* ---- everything that would write: read-only file system ---------------- */

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)ino, (void)attr, (void)to_set, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EROFS);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	fuse_reply_err(req, EROFS);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	fuse_reply_err(req, EROFS);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link, (void)parent, (void)name;
	fuse_reply_err(req, EROFS);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	fuse_reply_err(req, EROFS);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	fuse_reply_err(req, EROFS);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)size, (void)off, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	fuse_reply_err(req, EROFS);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	fuse_reply_err(req, EROFS);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			 struct fuse_file_info *fi)
{
	(void)ino, (void)mode, (void)offset, (void)length, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* We list with plain readdir; lookups give attributes. */
	conn->want &= ~FUSE_CAP_READDIRPLUS;
	/* Writeback caching makes no sense read-only. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

const struct fuse_lowlevel_ops mfs_ll_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_unlink,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.access = op_access,
	.create = op_create,
	.fallocate = op_fallocate,
};

/*
 * After an install, make the kernel look the names up again: the new
 * version gets a new inode (see op_open), the old inode lives on, with its
 * size and pages, for the readers that still have it open. Runs on a fetch
 * thread, never inside a FUSE request (libfuse's notify rules).
 */
static void fs_installed(void *arg, const char *symbol, enum mfs_tf tf, int year, bool new_symbol)
{
	struct mfs_fs *fs = arg;
	char name[32];

	if (!fs->se)
		return;
	fuse_ino_t dir = mfs_inodes_find(fs->inodes, MFS_NODE_TF, symbol, tf, 0);
	if (dir) {
		snprintf(name, sizeof(name), "%04d.csv.gz", year);
		fuse_lowlevel_notify_inval_entry(fs->se, dir, name, strlen(name));
		snprintf(name, sizeof(name), "%04d.metadata.json", year);
		fuse_lowlevel_notify_inval_entry(fs->se, dir, name, strlen(name));
	}
	if (new_symbol)
		fuse_lowlevel_notify_inval_inode(fs->se, FUSE_ROOT_ID, 0, 0);
}

/* A symbol became unknown: forget the kernel's entry for it. */
static void fs_unknown_symbol(void *arg, const char *symbol)
{
	struct mfs_fs *fs = arg;

	if (fs->se)
		fuse_lowlevel_notify_inval_entry(fs->se, FUSE_ROOT_ID, symbol, strlen(symbol));
}

/* Eviction asks: is this year's data or sidecar open right now? */
static bool fs_is_open(void *arg, const char *symbol, enum mfs_tf tf, int year)
{
	struct mfs_fs *fs = arg;

	return mfs_inodes_opens(fs->inodes, MFS_NODE_DATA, symbol, tf, year) > 0 ||
	       mfs_inodes_opens(fs->inodes, MFS_NODE_SIDECAR, symbol, tf, year) > 0;
}

/* SIGTERM or unmount: fuse_session_exit() was called. */
static bool fs_exiting(void *arg)
{
	struct mfs_fs *fs = arg;

	return fs->se && fuse_session_exited(fs->se);
}

/* A replaced fundamentals snapshot: forget its name. */
static void fs_snapshot_removed(void *arg, const char *symbol, const char *name)
{
	struct mfs_fs *fs = arg;
	fuse_ino_t dir;

	if (!fs->se)
		return;
	dir = mfs_inodes_find(fs->inodes, MFS_NODE_FUND, symbol, MFS_TF_INVALID, 0);
	if (dir)
		fuse_lowlevel_notify_inval_entry(fs->se, dir, name, strlen(name));
}

const struct mfs_cache_hooks mfs_fs_hooks = {
	.installed = fs_installed,
	.unknown_symbol = fs_unknown_symbol,
	.snapshot_removed = fs_snapshot_removed,
	.exiting = fs_exiting,
	.is_open = fs_is_open,
};
