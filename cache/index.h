/*
 * index.db: an SQLite (WAL) index of the cache tree, never its truth.
 *
 * It remembers what is expensive to learn again: which data files were
 * already verified against their sidecar (size, mtime, sha256), each
 * symbol's first trade and exchange zone, and "unknown symbol" answers
 * (the negative cache). Deleting it loses nothing: it is rebuilt from the
 * tree when missing, unreadable, or when the previous run did not stop
 * cleanly (a sentinel file says so). One connection, one mutex.
 */
#ifndef MARKETFS_CACHE_INDEX_H
#define MARKETFS_CACHE_INDEX_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/timeframe.h>

#include "cache/sidecar.h"
#include "cache/store.h"

struct mfs_index;

struct mfs_index_file {
	int64_t size;
	int64_t mtime_ns;
	char sha256[65];
	int64_t last_updated;
	int64_t stale_after;
};

struct mfs_index_symbol {
	int64_t first_trade; /* 0: unknown */
	char tz[64];
	int close_minute;    /* -1: unknown */
};

/*
 * Open (creating) ROOT/_metadata/index.db. If it is missing, corrupt, or
 * the sentinel shows an unclean stop, it is recreated and refilled from
 * the tree. *rebuilt says whether that happened.
 */
struct mfs_index *mfs_index_open(const struct mfs_store *st, bool *rebuilt, struct mfs_error *err);
/*
 * Re-create the sentinel under this process's pid: the daemon opens the
 * cache before it forks into the background (mfs_cache_start calls it).
 */
void mfs_index_claim(struct mfs_index *idx);
/* Close and remove the sentinel (a clean stop). */
void mfs_index_close(struct mfs_index *idx);

int mfs_index_get_file(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
		       struct mfs_index_file *out); /* 1 found, 0 not, -1 error */
int mfs_index_put_file(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
		       const struct mfs_index_file *f);
int mfs_index_del_file(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year);

int mfs_index_get_symbol(struct mfs_index *idx, const char *symbol, struct mfs_index_symbol *out);
int mfs_index_put_symbol(struct mfs_index *idx, const char *symbol,
			 const struct mfs_index_symbol *s);

/* Negative cache: 1 and *until if symbol is known-unknown now, else 0. */
int mfs_index_get_negative(struct mfs_index *idx, const char *symbol, int64_t now,
			   int64_t *until);
int mfs_index_put_negative(struct mfs_index *idx, const char *symbol, int64_t until,
			   const char *reason);

/* Empty the rebuildable tables and refill them from the tree; pairs or -1. */
int mfs_index_rebuild(struct mfs_index *idx, const struct mfs_store *st);
/* Record a read of a file (last_read, for least-recently-read eviction). */
int mfs_index_touch(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
		    int64_t now);
/*
 * The connection and its lock, for modules with tables of their own
 * (eviction, maintenance); hold the lock for every statement.
 */
struct sqlite3;
struct sqlite3 *mfs_index_db(struct mfs_index *idx);
pthread_mutex_t *mfs_index_lock(struct mfs_index *idx);
/*
 * Prepare sql, bind the arguments by types (s = text, i = int64, d = int,
 * r = double) and step once, with the lock held. A row with out set: 1 and
 * *out is the statement, the caller's to step on and finalize. Otherwise
 * the statement is finalized: 0 when it ran, -1 (logged) on an error.
 */
struct sqlite3_stmt;
int mfs_index_vrun(struct mfs_index *idx, struct sqlite3_stmt **out, const char *sql,
		   const char *types, va_list ap);

/* Quality of each cached file, for _metadata/quality_scores.json. */
struct mfs_quality_row {
	const char *symbol, *tf, *source;
	int year;
	double score;
	int64_t rows, gaps, expected, present, last_updated;
};
typedef int (*mfs_quality_row_fn)(void *arg, const struct mfs_quality_row *r);
int mfs_index_put_quality(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
			  const struct mfs_sidecar *sc);
/* Calls fn for each row, ordered by symbol, timeframe, year; stops on non-zero. */
int mfs_index_each_quality(struct mfs_index *idx, mfs_quality_row_fn fn, void *arg);

#endif
