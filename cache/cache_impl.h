/*
 * Inside of struct mfs_cache, shared by cache.c (state, listings,
 * installs) and fill.c (jobs and the fetch pool).
 */
#ifndef MARKETFS_CACHE_IMPL_H
#define MARKETFS_CACHE_IMPL_H

#include <pthread.h>

#include <marketfs/cache.h>
#include <marketfs/provider.h>

#include "cache/index.h"
#include "cache/sidecar.h"
#include "cache/store.h"

struct job;
struct memo;

struct mfs_cache {
	const struct mfs_config *cfg;
	struct mfs_providers *provs;
	struct mfs_store store;
	struct mfs_index *idx;
	struct mfs_cache_hooks hooks;
	void *hook_arg;

	pthread_mutex_t mu;      /* guards jobs, qhead/qtail, running, stopping */
	pthread_cond_t changed;  /* a job finished or a reader was cancelled */
	pthread_cond_t work;     /* the queue has a job, or stopping */
	struct job *jobs;
	struct job *qhead, *qtail;
	unsigned running;
	bool stopping;
	atomic_bool stop; /* set once: readers give up, transfers abort */
	pthread_t *threads;
	unsigned n_threads;

	pthread_mutex_t memo_mu; /* guards memo */
	struct memo **memo;      /* verified file states, by path */
};

enum mfs_class mfs_cache_classify(struct mfs_cache *c, const char *symbol);
enum mfs_err mfs_cache_start_pool(struct mfs_cache *c, struct mfs_error *err);
void mfs_cache_stop_pool(struct mfs_cache *c);

/* Read the cached series of a year (verified pair). */
enum mfs_err mfs_cache_load_series(struct mfs_cache *c, const char *symbol, enum mfs_tf tf,
				   int year, struct mfs_series *out, struct mfs_error *err);
/* Series time of the last cached bar of a year, 0 if none. */
int64_t mfs_cache_last_bar(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year);
/* created_at of the cached pair, or now for a new one. */
int64_t mfs_cache_created_at(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			     int64_t now);
bool mfs_cache_series_has_year(const struct mfs_series *s, int year);
/* Install a pair, update index and memo, call the hook. */
enum mfs_err mfs_cache_install(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
			       const void *gz, size_t gzlen, const char *side, size_t sidelen,
			       const struct mfs_sidecar *sc, struct mfs_error *err);

#endif
