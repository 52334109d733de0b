/*
 * Inside of struct mfs_provider, shared by provider.c and registry.c only.
 */
#ifndef MARKETFS_PROVIDER_IMPL_H
#define MARKETFS_PROVIDER_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include <marketfs/provider.h>

struct mfs_provider {
	enum mfs_provider_id id;
	const struct mfs_provider_ops *ops;
	const struct mfs_provider_conf *conf;

	pthread_mutex_t mu; /* guards everything below */
	double tokens;
	int64_t refilled_ms;
	int64_t blocked_until_ms; /* from Retry-After / 418 */
	unsigned fg_waiting;      /* readers' requests waiting for a token */
	uint64_t rng;
	uint64_t successes, errors;   /* fetches (mfs_provider_note) */
	uint64_t requests;            /* HTTP requests sent */
	double latency_sum_ms;        /* of the requests that got an answer */
	uint64_t latency_n;
	int64_t last_ok, last_error_at; /* wall clock */
	bool last_failed;             /* the last fetch's result */
	char last_error[256];         /* already redacted */
};

void mfs_provider_init(struct mfs_provider *p, enum mfs_provider_id id,
		       const struct mfs_provider_ops *ops, const struct mfs_provider_conf *conf);
void mfs_provider_destroy(struct mfs_provider *p);

#endif
