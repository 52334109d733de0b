/*
 * A minimal HTTP GET client over libcurl for the providers.
 *
 * One struct mfs_http per thread (it owns a CURL easy handle, so
 * connections are reused between requests of that thread). Bodies are
 * capped; the whole request has a deadline; the User-Agent is chosen by
 * the caller. URLs may carry API keys: use mfs_http_redact() before a URL
 * goes into any message.
 */
#ifndef MARKETFS_HTTP_H
#define MARKETFS_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>

struct mfs_http;

struct mfs_http_request {
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value", or NULL */
	const char *user_agent;     /* NULL: "marketfs/VERSION" */
	size_t max_body_bytes;      /* 0: MFS_HTTP_MAX_BODY_BYTES */
	int64_t deadline_ms;        /* mfs_now_ms() clock; 0: none */
	bool allow_insecure;        /* plain http to a non-loopback host */
	bool follow_redirects;
};

struct mfs_http_response {
	long status;          /* 0 if no HTTP answer arrived */
	char *body;           /* NUL-terminated, owned; never NULL after OK */
	size_t len;
	char content_type[128];
	int64_t retry_after_s; /* Retry-After in seconds, -1 if absent */
	/* Set-Cookie headers as "name=value; name2=value2" (for a Cookie: header) */
	char cookies[1024];
};

struct mfs_http *mfs_http_new(void);
void mfs_http_free(struct mfs_http *h);
/*
 * Abort transfers of h (MFS_ERR_CANCELLED) as soon as *flag becomes true;
 * used at shutdown so that no request outlives the daemon's wish to stop.
 */
void mfs_http_set_abort(struct mfs_http *h, const atomic_bool *flag);
bool mfs_http_aborted(const struct mfs_http *h);

/*
 * Perform a GET. MFS_OK means an HTTP answer arrived (any status); errors
 * are transport-level (MFS_ERR_TRANSPORT, MFS_ERR_TIMEOUT, MFS_ERR_INVALID
 * for a refused plain-http URL, MFS_ERR_PARSE for an oversized body).
 */
enum mfs_err mfs_http_get(struct mfs_http *h, const struct mfs_http_request *req,
			  struct mfs_http_response *resp, struct mfs_error *err);
void mfs_http_response_free(struct mfs_http_response *resp);

/*
 * Copy url into out with the values of secret-bearing query parameters
 * (apikey, token, userid, key, api_key, crumb, in any letter case) and any
 * password in the authority (user:pass@host) replaced by "***".
 */
void mfs_http_redact(const char *url, char *out, size_t outlen);

/* True if url's host is 127.0.0.0/8, ::1 or localhost. */
bool mfs_http_is_loopback(const char *url);

/* Is the first non-blank byte of a body '{' or '['? Error pages are often text. */
bool mfs_http_body_is_json(const char *body, size_t len);

/*
 * A single-line excerpt of a body for an error message: runs of white space
 * become one space, bytes other than printable ASCII become '?', at most
 * outlen - 1 bytes. A buffer of MFS_HTTP_SNIPPET_MAX + 1 is the usual size.
 */
#define MFS_HTTP_SNIPPET_MAX 80
void mfs_http_body_snippet(const char *body, size_t len, char *out, size_t outlen);

/* Percent-encode s (everything but RFC 3986 unreserved) into out; -1 if too small. */
int mfs_http_urlencode(const char *s, char *out, size_t outlen);

/* Monotonic clock in milliseconds; wall clock in seconds. */
int64_t mfs_now_ms(void);
int64_t mfs_wall_now(void);

/* Global libcurl setup; call once before threads start. */
int mfs_http_global_init(void);
void mfs_http_global_cleanup(void);

/*
 * Perform a GET whose 2xx body is written to fd (from its current offset),
 * at most req->max_body_bytes bytes (0: no cap), for bodies too large to
 * hold in memory (FirstRate's archives). A non-2xx body is kept in
 * resp->body instead (capped at 64 KiB); after a 2xx answer resp->body is
 * "" (len 0): the body is in fd. Redirects to plain
 * http are followed only when the request itself is to a loopback host
 * (the test mock). Errors as for mfs_http_get(); MFS_ERR_IO if fd cannot
 * be written, MFS_ERR_PARSE when the cap is exceeded.
 */
enum mfs_err mfs_http_get_fd(struct mfs_http *h, const struct mfs_http_request *req, int fd,
			     struct mfs_http_response *resp, struct mfs_error *err);

#endif
