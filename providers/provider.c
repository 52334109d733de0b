/*
 * One configured provider: its rate limiter and the retrying GET that
 * every provider's fetch goes through.
 *
 * The token bucket is per provider for the whole daemon (all fetch
 * threads share it), refilled continuously at rate_tokens/rate_period_s
 * with a burst of rate_tokens. A 429/418 with Retry-After blocks the whole
 * provider until then, not only the request that saw it: the next request
 * would be refused too. Waiting never outlives the fetch's deadline; a
 * wait that cannot fit is reported as a rate limit at once.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "providers/provider_impl.h"

#define SLEEP_SLICE_MS 100

/* Sleep ms, in slices, returning early (false) if h is told to abort. */
static bool sleep_ms(struct mfs_http *h, int64_t ms)
{
	while (ms > 0) {
		int64_t step = ms < SLEEP_SLICE_MS ? ms : SLEEP_SLICE_MS;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = step * 1000000 };

		if (mfs_http_aborted(h))
			return false;
		while (nanosleep(&ts, &ts) != 0)
			;
		ms -= step;
	}
	return !mfs_http_aborted(h);
}

void mfs_provider_init(struct mfs_provider *p, enum mfs_provider_id id,
		       const struct mfs_provider_ops *ops, const struct mfs_provider_conf *conf)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->ops = ops;
	p->conf = conf;
	pthread_mutex_init(&p->mu, NULL);
	p->tokens = conf->rate_tokens;
	p->refilled_ms = mfs_now_ms();
	/* per-provider jitter seed: deterministic enough, different per provider */
	p->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)id ^ (uint64_t)p->refilled_ms;
}

void mfs_provider_destroy(struct mfs_provider *p)
{
	pthread_mutex_destroy(&p->mu);
}

static void refill(struct mfs_provider *p, int64_t now)
{
	double rate = p->conf->rate_tokens / (p->conf->rate_period_s * 1000.0);

	p->tokens += (double)(now - p->refilled_ms) * rate;
	if (p->tokens > p->conf->rate_tokens)
		p->tokens = p->conf->rate_tokens;
	p->refilled_ms = now;
}

/* Take one token, waiting as needed; fails if the wait passes the deadline. */
static enum mfs_err take_token(struct mfs_provider *p, struct mfs_http *h, int64_t deadline_ms,
			       bool background, struct mfs_error *err)
{
	bool counted = false;

	for (;;) {
		int64_t now = mfs_now_ms(), wait;

		pthread_mutex_lock(&p->mu);
		refill(p, now);
		if (!background && !counted) {
			p->fg_waiting++;
			counted = true;
		}
		if (background && p->fg_waiting > 0) {
			wait = 20; /* a reader is waiting: let it have the token */
		} else if (p->blocked_until_ms > now) {
			wait = p->blocked_until_ms - now;
		} else if (p->tokens >= 1.0) {
			p->tokens -= 1.0;
			if (counted)
				p->fg_waiting--;
			pthread_mutex_unlock(&p->mu);
			return MFS_OK;
		} else {
			double rate = p->conf->rate_tokens / (p->conf->rate_period_s * 1000.0);
			wait = (int64_t)ceil((1.0 - p->tokens) / rate);
		}
		pthread_mutex_unlock(&p->mu);
		if ((deadline_ms && now + wait > deadline_ms) || !sleep_ms(h, wait < 1 ? 1 : wait)) {
			bool late = deadline_ms && now + wait > deadline_ms;
			if (counted) {
				pthread_mutex_lock(&p->mu);
				p->fg_waiting--;
				pthread_mutex_unlock(&p->mu);
			}
			if (late)
				return mfs_error_set(err, MFS_ERR_RATE_LIMIT,
						     "%s: rate limit: next request allowed in %.1f s, "
						     "after the fetch deadline",
						     p->ops->name, (double)wait / 1000.0);
			return mfs_error_set(err, MFS_ERR_CANCELLED, "%s: shutting down",
					     p->ops->name);
		}
	}
}

static int64_t backoff_ms(struct mfs_provider *p, unsigned attempt)
{
	int64_t base = (int64_t)MFS_HTTP_BACKOFF_BASE_MS << (attempt > 4 ? 4 : attempt);
	uint64_t r;

	if (base > MFS_HTTP_BACKOFF_MAX_MS)
		base = MFS_HTTP_BACKOFF_MAX_MS;
	pthread_mutex_lock(&p->mu);
	/* xorshift64: jitter only, no quality needed */
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	r = p->rng;
	pthread_mutex_unlock(&p->mu);
	/* full jitter in [base/2, base] */
	return base / 2 + (int64_t)(r % (uint64_t)(base / 2 + 1));
}

void mfs_provider_note(struct mfs_provider *p, enum mfs_err result, const char *msg)
{
	pthread_mutex_lock(&p->mu);
	if (result == MFS_OK) {
		p->successes++;
		p->last_ok = mfs_wall_now();
		p->last_failed = false;
	} else {
		p->errors++;
		p->last_error_at = mfs_wall_now();
		p->last_failed = true;
		snprintf(p->last_error, sizeof(p->last_error), "%s", msg ? msg : "");
	}
	pthread_mutex_unlock(&p->mu);
}

void mfs_fetch_result_init(struct mfs_fetch_result *res, enum mfs_tf tf)
{
	memset(res, 0, sizeof(*res));
	mfs_series_init(&res->series, tf);
	res->close_minute = -1;
}

void mfs_fetch_result_free(struct mfs_fetch_result *res)
{
	mfs_series_free(&res->series);
	free(res->actions);
	res->actions = NULL;
	res->n_actions = res->cap_actions = 0;
}

void mfs_provider_stats(struct mfs_provider *p, struct mfs_provider_stats *out)
{
	int64_t now = mfs_now_ms();

	pthread_mutex_lock(&p->mu);
	refill(p, now);
	out->requests = p->requests;
	out->successes = p->successes;
	out->errors = p->errors;
	out->mean_latency_ms = p->latency_n ? p->latency_sum_ms / (double)p->latency_n : 0;
	out->last_ok = p->last_ok;
	out->last_error_at = p->last_error_at;
	out->last_failed = p->last_failed;
	snprintf(out->last_error, sizeof(out->last_error), "%s", p->last_error);
	out->tokens = p->tokens;
	double rate = p->conf->rate_tokens / p->conf->rate_period_s; /* per second */
	out->next_token_s = p->tokens >= 1.0 ? 0 : (1.0 - p->tokens) / rate;
	out->blocked_s = p->blocked_until_ms > now ? (double)(p->blocked_until_ms - now) / 1000.0 : 0;
	pthread_mutex_unlock(&p->mu);
}

double mfs_provider_reliability(const struct mfs_provider *p)
{
	struct mfs_provider *mp = (struct mfs_provider *)p; /* the lock is not state */
	double r;

	pthread_mutex_lock(&mp->mu);
	r = (p->successes + p->errors) ? (double)p->successes / (double)(p->successes + p->errors)
				       : 1.0;
	pthread_mutex_unlock(&mp->mu);
	return r;
}

const struct mfs_provider_ops *mfs_provider_ops(const struct mfs_provider *p)
{
	return p->ops;
}

const struct mfs_provider_conf *mfs_provider_conf(const struct mfs_provider *p)
{
	return p->conf;
}

const char *mfs_provider_get_name(const struct mfs_provider *p)
{
	return p->ops->name;
}

void mfs_provider_rate_desc(const struct mfs_provider *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "%g/%gs", p->conf->rate_tokens, p->conf->rate_period_s);
}

/* ---- GET into a file descriptor ---- */

#include <errno.h>
#include <unistd.h>

/* Start the body over: a retry must not append to a failed try's bytes. */
static enum mfs_err rewind_fd(int fd, const char *name, struct mfs_error *err)
{
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return mfs_error_set(err, MFS_ERR_IO, "%s: cannot reset the download file: %s",
				     name, strerror(errno));
	return MFS_OK;
}

/*
 * What to do after one try: MFS_OK = done (an answer to hand over),
 * otherwise *wait_ms is set when another try may help, -1 when not.
 */
static enum mfs_err judge_try(struct mfs_provider *p, enum mfs_err rc, unsigned attempt,
			      const struct mfs_http_response *resp, const char *redacted,
			      int64_t deadline_ms, int64_t *wait_ms, struct mfs_error *err)
{
	*wait_ms = -1;
	if (rc == MFS_ERR_INVALID || rc == MFS_ERR_NOMEM || rc == MFS_ERR_PARSE ||
	    rc == MFS_ERR_CANCELLED || rc == MFS_ERR_IO)
		return rc;
	if (rc == MFS_ERR_TIMEOUT && deadline_ms && mfs_now_ms() >= deadline_ms)
		return rc;
	if (rc != MFS_OK) {
		*wait_ms = backoff_ms(p, attempt);
		return rc;
	}
	if (resp->status == 429 || resp->status == 418) {
		*wait_ms = resp->retry_after_s >= 0 ? resp->retry_after_s * 1000
						    : backoff_ms(p, attempt);
		pthread_mutex_lock(&p->mu);
		if (mfs_now_ms() + *wait_ms > p->blocked_until_ms)
			p->blocked_until_ms = mfs_now_ms() + *wait_ms;
		pthread_mutex_unlock(&p->mu);
		return mfs_error_set(err, MFS_ERR_RATE_LIMIT, "%s: HTTP %ld (rate limited%s) from %s",
				     p->ops->name, resp->status,
				     resp->status == 418 ? ", IP banned" : "", redacted);
	}
	if (resp->status >= 500) {
		*wait_ms = backoff_ms(p, attempt);
		return mfs_error_set(err, MFS_ERR_SERVER, "%s: HTTP %ld from %s", p->ops->name,
				     resp->status, redacted);
	}
	return MFS_OK;
}

/* One try (the token taken): the GET (into fd if fd >= 0), the bookkeeping. */
static enum mfs_err try_get(struct mfs_fetch_ctx *ctx, const struct mfs_http_request *req,
			    int fd, struct mfs_http_response *resp, struct mfs_error *err)
{
	struct mfs_provider *p = ctx->prov;
	enum mfs_err rc;
	int64_t t0;

	mfs_http_response_free(resp);
	if (fd >= 0) {
		rc = rewind_fd(fd, p->ops->name, err);
		if (rc != MFS_OK)
			return rc;
	}
	ctx->requests++;
	if (ctx->live_requests)
		atomic_fetch_add(ctx->live_requests, 1);
	t0 = mfs_now_ms();
	rc = fd >= 0 ? mfs_http_get_fd(ctx->http, req, fd, resp, err)
		     : mfs_http_get(ctx->http, req, resp, err);
	pthread_mutex_lock(&p->mu);
	p->requests++;
	if (rc == MFS_OK) {
		p->latency_sum_ms += (double)(mfs_now_ms() - t0);
		p->latency_n++;
	}
	pthread_mutex_unlock(&p->mu);
	if (rc != MFS_OK && err) {
		char m[MFS_ERRMSG_MAX];

		snprintf(m, sizeof(m), "%s: %s", p->ops->name, err->msg);
		memcpy(err->msg, m, sizeof(m));
	}
	return rc;
}

/*
 * The GET of mfs_provider_get (fd < 0: into resp->body) and
 * mfs_provider_get_fd (fd >= 0, redirects followed: archives live
 * elsewhere): the rate limiter, up to MFS_HTTP_MAX_TRIES tries.
 */
static enum mfs_err provider_request(struct mfs_fetch_ctx *ctx, const char *path_and_query,
				     const char *const *headers, int fd, size_t max_bytes,
				     struct mfs_http_response *resp, struct mfs_error *err)
{
	struct mfs_provider *p = ctx->prov;
	const struct mfs_provider_conf *conf = p->conf;
	char url[4096], redacted[1024];
	enum mfs_err rc = MFS_OK;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	if (snprintf(url, sizeof(url), "%s%s", conf->base_url, path_and_query) >= (int)sizeof(url))
		return mfs_error_set(err, MFS_ERR_INVALID, "%s: request URL too long",
				     p->ops->name);
	mfs_http_redact(url, redacted, sizeof(redacted));
	struct mfs_http_request req = {
		.url = url,
		.headers = headers,
		.user_agent = conf->user_agent ? conf->user_agent : p->ops->user_agent,
		.max_body_bytes = max_bytes,
		.deadline_ms = ctx->deadline_ms,
		.allow_insecure = conf->allow_insecure,
		.follow_redirects = fd >= 0,
	};

	for (unsigned attempt = 0; attempt < MFS_HTTP_MAX_TRIES; attempt++) {
		int64_t wait;

		rc = take_token(p, ctx->http, ctx->deadline_ms,
				ctx->background && atomic_load(ctx->background), err);
		if (rc != MFS_OK)
			return rc;
		rc = try_get(ctx, &req, fd, resp, err);
		rc = judge_try(p, rc, attempt, resp, redacted, ctx->deadline_ms, &wait, err);
		if (rc == MFS_OK || wait < 0)
			return rc;
		mfs_info("try %u of %u failed: %s", attempt + 1, MFS_HTTP_MAX_TRIES,
			 err ? err->msg : mfs_err_name(rc));
		if (attempt + 1 == MFS_HTTP_MAX_TRIES || ctx->retries + 1 >= MFS_HTTP_MAX_TRIES) {
			if (err)
				snprintf(err->msg + strlen(err->msg),
					 sizeof(err->msg) - strlen(err->msg), " (%u tries)",
					 attempt + 1);
			break;
		}
		if (ctx->deadline_ms && mfs_now_ms() + wait > ctx->deadline_ms) {
			if (rc == MFS_ERR_RATE_LIMIT && err)
				snprintf(err->msg + strlen(err->msg),
					 sizeof(err->msg) - strlen(err->msg),
					 "; Retry-After %.0f s is past the fetch deadline",
					 (double)wait / 1000.0);
			return rc;
		}
		ctx->retries++;
		/* a rate-limit wait is taken by take_token through blocked_until */
		if (rc != MFS_ERR_RATE_LIMIT && !sleep_ms(ctx->http, wait))
			return mfs_error_set(err, MFS_ERR_CANCELLED, "%s: shutting down",
					     p->ops->name);
	}
	return rc;
}

enum mfs_err mfs_provider_get(struct mfs_fetch_ctx *ctx, const char *path_and_query,
			      const char *const *headers, struct mfs_http_response *resp,
			      struct mfs_error *err)
{
	return provider_request(ctx, path_and_query, headers, -1, 0, resp, err);
}

enum mfs_err mfs_provider_get_fd(struct mfs_fetch_ctx *ctx, const char *path_and_query,
				 const char *const *headers, int fd, size_t max_bytes,
				 struct mfs_http_response *resp, struct mfs_error *err)
{
	if (fd < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, "%s: no download file",
				     ctx->prov->ops->name);
	return provider_request(ctx, path_and_query, headers, fd, max_bytes, resp, err);
}

void mfs_provider_block(struct mfs_provider *p, int64_t seconds)
{
	int64_t until = mfs_now_ms() + seconds * 1000;

	pthread_mutex_lock(&p->mu);
	if (until > p->blocked_until_ms)
		p->blocked_until_ms = until;
	pthread_mutex_unlock(&p->mu);
}

double mfs_provider_blocked_for(struct mfs_provider *p)
{
	int64_t now = mfs_now_ms();
	double s;

	pthread_mutex_lock(&p->mu);
	s = p->blocked_until_ms > now ? (double)(p->blocked_until_ms - now) / 1000.0 : 0;
	pthread_mutex_unlock(&p->mu);
	return s;
}
