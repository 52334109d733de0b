/*
 * Inode numbers for a namespace that exists only as names.
 *
 * The kernel holds inodes by number and tells us, with FORGET, when it
 * drops them; we keep one node per (kind, symbol, timeframe, year) for
 * as long as the kernel holds it, and hand out fresh numbers (never
 * reused while the daemon runs) for new nodes. Two hash tables: by inode
 * number and by key. One lock guards the tables, the lookup counts and
 * the page-cache fields of every node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"

#define BUCKETS 8192

struct mfs_inodes {
	pthread_mutex_t mu;
	fuse_ino_t next_ino;
	struct mfs_node *root;
	struct mfs_node *by_ino[BUCKETS];
	struct mfs_node *by_key[BUCKETS];
};

static unsigned key_hash(enum mfs_node_kind kind, const char *symbol, enum mfs_tf tf, int year,
			 const char *name)
{
	unsigned h = 2166136261u ^ (unsigned)kind;

	for (const char *s = symbol; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ (unsigned)(tf + 1)) * 16777619u;
	h = (h ^ (unsigned)year) * 16777619u;
	return h % BUCKETS;
}

static bool same_key(const struct mfs_node *n, enum mfs_node_kind kind, const char *symbol,
		     enum mfs_tf tf, int year, const char *name)
{
	return n->kind == kind && n->tf == tf && n->year == year &&
	       strcmp(n->symbol, symbol) == 0 && strcmp(n->name, name) == 0;
}

struct mfs_inodes *mfs_inodes_new(void)
{
	struct mfs_inodes *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	t->root = calloc(1, sizeof(*t->root));
	if (!t->root) {
		free(t);
		return NULL;
	}
	t->root->ino = FUSE_ROOT_ID;
	t->root->kind = MFS_NODE_ROOT;
	t->root->tf = MFS_TF_INVALID;
	t->root->nlookup = 1; /* never forgotten */
	t->next_ino = FUSE_ROOT_ID + 1;
	t->by_ino[FUSE_ROOT_ID % BUCKETS] = t->root;
	return t;
}

void mfs_inodes_free(struct mfs_inodes *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < BUCKETS; i++) {
		struct mfs_node *n = t->by_ino[i], *next;
		for (; n; n = next) {
			next = n->by_ino_next;
			free(n);
		}
	}
	pthread_mutex_destroy(&t->mu);
	free(t);
}

pthread_mutex_t *mfs_inodes_lock(struct mfs_inodes *t)
{
	return &t->mu;
}

static struct mfs_node *find_locked(struct mfs_inodes *t, enum mfs_node_kind kind,
				    const char *symbol, enum mfs_tf tf, int year, const char *name)
{
	if (kind == MFS_NODE_ROOT)
		return t->root;
	for (struct mfs_node *n = t->by_key[key_hash(kind, symbol, tf, year, name)]; n;
	     n = n->by_key_next)
		if (same_key(n, kind, symbol, tf, year, name))
			return n;
	return NULL;
}

fuse_ino_t mfs_inodes_find(struct mfs_inodes *t, enum mfs_node_kind kind, const char *symbol,
			   enum mfs_tf tf, int year)
{
	pthread_mutex_lock(&t->mu);
	struct mfs_node *n = find_locked(t, kind, symbol, tf, year, "");
	fuse_ino_t ino = n ? n->ino : 0;
	pthread_mutex_unlock(&t->mu);
	return ino;
}

/* Take n out of the by-key table: lookups will not find it again. */
static void retire_locked(struct mfs_inodes *t, struct mfs_node *n)
{
	unsigned hk = key_hash(n->kind, n->symbol, n->tf, n->year, n->name);

	for (struct mfs_node **kp = &t->by_key[hk]; *kp; kp = &(*kp)->by_key_next)
		if (*kp == n) {
			*kp = n->by_key_next;
			n->by_key_next = NULL;
			return;
		}
}

struct mfs_node *mfs_inodes_ref(struct mfs_inodes *t, enum mfs_node_kind kind,
				const char *symbol, enum mfs_tf tf, int year, const char *name,
				const struct stat *cur)
{
	struct mfs_node *n;

	if (!name)
		name = "";
	pthread_mutex_lock(&t->mu);
	n = find_locked(t, kind, symbol, tf, year, name);
	if (n && n->versioned && (!cur || cur->st_ino != n->v_backing)) {
		retire_locked(t, n); /* stays alive for its open files */
		n = NULL;
	}
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n)
			goto out;
		n->ino = t->next_ino++;
		n->kind = kind;
		snprintf(n->symbol, sizeof(n->symbol), "%s", symbol);
		snprintf(n->name, sizeof(n->name), "%s", name);
		n->tf = tf;
		n->year = year;
		unsigned hk = key_hash(kind, symbol, tf, year, name),
			 hi = (unsigned)(n->ino % BUCKETS);
		n->by_key_next = t->by_key[hk];
		t->by_key[hk] = n;
		n->by_ino_next = t->by_ino[hi];
		t->by_ino[hi] = n;
	}
	if (cur && !n->versioned) {
		n->versioned = true;
		n->v_backing = cur->st_ino;
		n->v_st = *cur;
	}
	n->nlookup++;
out:
	pthread_mutex_unlock(&t->mu);
	return n;
}

struct mfs_node *mfs_inodes_get(struct mfs_inodes *t, fuse_ino_t ino)
{
	struct mfs_node *n;

	pthread_mutex_lock(&t->mu);
	for (n = t->by_ino[ino % BUCKETS]; n; n = n->by_ino_next)
		if (n->ino == ino)
			break;
	pthread_mutex_unlock(&t->mu);
	return n;
}

void mfs_inodes_forget(struct mfs_inodes *t, fuse_ino_t ino, uint64_t count)
{
	struct mfs_node **pp, *n;

	if (ino == FUSE_ROOT_ID)
		return;
	pthread_mutex_lock(&t->mu);
	for (pp = &t->by_ino[ino % BUCKETS]; (n = *pp); pp = &n->by_ino_next)
		if (n->ino == ino)
			break;
	if (!n)
		goto out;
	n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
	if (n->nlookup > 0) /* the kernel releases open files before it forgets */
		goto out;
	*pp = n->by_ino_next;
	retire_locked(t, n);
	free(n);
out:
	pthread_mutex_unlock(&t->mu);
}

unsigned mfs_inodes_opens(struct mfs_inodes *t, enum mfs_node_kind kind, const char *symbol,
			  enum mfs_tf tf, int year)
{
	pthread_mutex_lock(&t->mu);
	struct mfs_node *n = find_locked(t, kind, symbol, tf, year, "");
	unsigned opens = n ? n->opens : 0;
	pthread_mutex_unlock(&t->mu);
	return opens;
}
