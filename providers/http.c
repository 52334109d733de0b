/*
 * HTTP GET over libcurl for the providers.
 *
 * Owns one CURL easy handle per struct mfs_http (one per fetch thread);
 * all handles share one connection cache, DNS cache and TLS sessions
 * (a libcurl share), so keep-alive connections are reused across threads. It
 * enforces what every provider needs and none should re-implement: HTTPS
 * with verification (plain http only to loopback or when allowed), a body
 * size cap, connect/low-speed/overall timeouts from a deadline, Retry-After
 * parsing, and URL redaction for messages. It never retries: that is
 * provider.c's job, where the rate limiter lives.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <marketfs/http.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>

struct mfs_http {
	CURL *curl;
	const atomic_bool *abort; /* may be NULL */
};

struct body {
	char *buf;
	size_t len, cap, max;
	int too_big;
};

static const char *const secret_params[] = {
	"apikey", "apiKey", "api_key", "token", "userid", "key", "crumb", NULL,
};

int64_t mfs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mfs_wall_now(void)
{
	return (int64_t)time(NULL);
}

/*
 * One libcurl share for the process: every thread's handle uses the same
 * connection cache, DNS cache and TLS sessions, so a fetch thread reuses a
 * connection another one opened to the same provider. Cookies are not
 * shared (only Yahoo's client keeps any).
 */
static CURLSH *share;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *arg)
{
	(void)c;
	(void)access;
	(void)arg;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&share_mu[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *arg)
{
	(void)c;
	(void)arg;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&share_mu[data]);
}

int mfs_http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_mu[i], NULL);
	share = curl_share_init();
	if (share) {
		curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	}
	return 0; /* without a share each handle keeps its own connections */
}

void mfs_http_global_cleanup(void)
{
	if (share && curl_share_cleanup(share) == CURLSHE_OK)
		share = NULL;
	curl_global_cleanup();
}

struct mfs_http *mfs_http_new(void)
{
	struct mfs_http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return NULL;
	}
	if (share)
		curl_easy_setopt(h->curl, CURLOPT_SHARE, share);
	return h;
}

void mfs_http_set_abort(struct mfs_http *h, const atomic_bool *flag)
{
	h->abort = flag;
}

bool mfs_http_aborted(const struct mfs_http *h)
{
	return h && h->abort && atomic_load(h->abort);
}

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return mfs_http_aborted(p) ? 1 : 0;
}

void mfs_http_free(struct mfs_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void mfs_http_response_free(struct mfs_http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct body *b = userp;
	size_t n = size * nmemb;

	if (b->len + n > b->max) {
		b->too_big = 1;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *nb = realloc(b->buf, cap);
		if (!nb)
			return 0;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct mfs_http_response *resp = userp;
	size_t n = size * nmemb;
	static const char ra[] = "retry-after:";
	static const char sc[] = "set-cookie:";

	if (n > sizeof(sc) && strncasecmp(data, sc, sizeof(sc) - 1) == 0) {
		/* keep "name=value" up to the first ';' (attributes are not sent back) */
		const char *v = data + sizeof(sc) - 1, *end = data + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		const char *stop = v;
		while (stop < end && *stop != ';' && *stop != '\r' && *stop != '\n')
			stop++;
		size_t have = strlen(resp->cookies), add = (size_t)(stop - v);
		if (add && have + add + 3 < sizeof(resp->cookies)) {
			if (have)
				strcat(resp->cookies, "; ");
			strncat(resp->cookies, v, add);
		}
		return n;
	}

	if (n > sizeof(ra) && strncasecmp(data, ra, sizeof(ra) - 1) == 0) {
		const char *v = data + sizeof(ra) - 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (isdigit((unsigned char)*v)) {
			long s = strtol(v, NULL, 10);
			resp->retry_after_s = s < 0 ? 0 : s;
		} else {
			/* An HTTP date: curl can parse it. */
			char tmp[128];
			size_t l = n - (size_t)(v - data);
			if (l >= sizeof(tmp))
				l = sizeof(tmp) - 1;
			memcpy(tmp, v, l);
			tmp[l] = '\0';
			time_t when = curl_getdate(tmp, NULL);
			if (when > 0) {
				int64_t d = (int64_t)when - mfs_wall_now();
				resp->retry_after_s = d < 0 ? 0 : d;
			}
		}
	}
	return n;
}

static int is_secret(const char *name, size_t len)
{
	for (int i = 0; secret_params[i]; i++)
		if (strlen(secret_params[i]) == len && strncasecmp(name, secret_params[i], len) == 0)
			return 1;
	return 0;
}

/* Copy url's scheme://[user:***@] authority prefix; returns chars consumed. */
static size_t redact_authority(const char *url, char *out, size_t outlen, size_t *o)
{
	const char *p = strstr(url, "://"), *end, *at = NULL, *colon = NULL;

	if (!p)
		return 0;
	p += 3;
	for (end = p; *end && *end != '/' && *end != '?' && *end != '#'; end++)
		if (*end == '@')
			at = end;
	if (at)
		colon = memchr(p, ':', (size_t)(at - p));
	for (const char *s = url; s < end && *o + 1 < outlen; s++) {
		if (colon && s == colon + 1) {
			/* a password: never copied */
			for (const char *m = ":***"; *m && *o + 1 < outlen; m++)
				out[(*o)++] = *m;
			s = at - 1;
			continue;
		}
		if (colon && s == colon)
			continue;
		out[(*o)++] = *s;
	}
	return (size_t)(end - url);
}

bool mfs_http_body_is_json(const char *body, size_t len)
{
	for (size_t i = 0; body && i < len; i++) {
		if (isspace((unsigned char)body[i]))
			continue;
		return body[i] == '{' || body[i] == '[';
	}
	return false;
}

void mfs_http_body_snippet(const char *body, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; body && i < len && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)body[i];

		if (isspace(c)) {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < outlen)
			out[o++] = ' ';
		space = false;
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

void mfs_http_redact(const char *url, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	url += redact_authority(url, out, outlen, &o);
	const char *q = strchr(url, '?');
	if (!q) {
		snprintf(out + o, outlen - o, "%s", url);
		return;
	}
	/* copy up to and including '?' */
	for (const char *p = url; p <= q && o + 1 < outlen; p++)
		out[o++] = *p;
	const char *p = q + 1;
	while (*p && o + 1 < outlen) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t nlen = eq ? (size_t)(eq - p) : (size_t)(end - p);
		const char *src = p;
		size_t slen = (size_t)(end - p);
		char buf[64];
		if (eq && is_secret(p, nlen)) {
			snprintf(buf, sizeof(buf), "%.*s=***", (int)(nlen < 40 ? nlen : 40), p);
			src = buf;
			slen = strlen(buf);
		}
		for (size_t i = 0; i < slen && o + 1 < outlen; i++)
			out[o++] = src[i];
		if (amp && o + 1 < outlen)
			out[o++] = '&';
		p = amp ? amp + 1 : end;
	}
	out[o] = '\0';
}

/* Host part of an http(s) URL, lower-cased, without brackets or port. */
static int url_host(const char *url, char *host, size_t len)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -1;
	p += 3;
	const char *at = NULL;
	/* userinfo ends at the first '@' of the authority, which ends at / ? # */
	for (const char *s = p; *s && *s != '/' && *s != '?' && *s != '#'; s++)
		if (*s == '@')
			at = s;
	if (at)
		p = at + 1;
	size_t n = 0;
	if (*p == '[') {
		p++;
		while (*p && *p != ']' && n + 1 < len)
			host[n++] = (char)tolower((unsigned char)*p++);
	} else {
		while (*p && *p != ':' && *p != '/' && *p != '?' && *p != '#' && n + 1 < len)
			host[n++] = (char)tolower((unsigned char)*p++);
	}
	host[n] = '\0';
	return n ? 0 : -1;
}

bool mfs_http_is_loopback(const char *url)
{
	char host[256];

	if (url_host(url, host, sizeof(host)) < 0)
		return false;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	if (strncmp(host, "127.", 4) == 0) {
		for (const char *s = host + 4; *s; s++)
			if (!isdigit((unsigned char)*s) && *s != '.')
				return false;
		return true;
	}
	return false;
}

int mfs_http_urlencode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/*
 * What every GET checks before it is sent: not shutting down, https (plain
 * http only to loopback or with allow_insecure), the deadline not passed
 * (*timeout_ms: what is left of it, 0 for none).
 */
static enum mfs_err check_request(struct mfs_http *h, const struct mfs_http_request *req,
				  const char *redacted, long *timeout_ms, struct mfs_error *err)
{
	*timeout_ms = 0;
	if (mfs_http_aborted(h))
		return mfs_error_set(err, MFS_ERR_CANCELLED, "not sent: shutting down");
	if (strncmp(req->url, "https://", 8) != 0) {
		if (strncmp(req->url, "http://", 7) != 0)
			return mfs_error_set(err, MFS_ERR_INVALID, "unsupported URL scheme: %s",
					     redacted);
		if (!req->allow_insecure && !mfs_http_is_loopback(req->url))
			return mfs_error_set(err, MFS_ERR_INVALID,
					     "refusing plain http to a non-loopback host (%s); "
					     "use https or set allow_insecure = true",
					     redacted);
	}
	if (req->deadline_ms) {
		*timeout_ms = (long)(req->deadline_ms - mfs_now_ms());
		if (*timeout_ms <= 0)
			return mfs_error_set(err, MFS_ERR_TIMEOUT, "deadline passed before %s",
					     redacted);
	}
	return MFS_OK;
}

/*
 * The options of every GET but where the body goes. Redirects may lead to
 * plain http only from a loopback URL (the mock redirects to itself).
 */
static void set_options(CURL *c, struct mfs_http *h, const struct mfs_http_request *req,
			struct mfs_http_response *resp, long timeout_ms)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			 mfs_http_is_loopback(req->url) ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)MFS_HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)MFS_HTTP_LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)MFS_HTTP_LOW_SPEED_TIME_S);
	if (timeout_ms)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT,
			 req->user_agent ? req->user_agent : "marketfs/" MFS_VERSION);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

/* The request's extra headers, as a list set on c (*hdrs: the caller frees it). */
static enum mfs_err set_headers(CURL *c, const struct mfs_http_request *req,
				struct curl_slist **hdrs, struct mfs_error *err)
{
	for (const char *const *hp = req->headers; hp && *hp; hp++) {
		struct curl_slist *n = curl_slist_append(*hdrs, *hp);

		if (!n)
			return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		*hdrs = n;
	}
	if (*hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return MFS_OK;
}

/* A failed transfer: a body over its cap (max), a local write error, or libcurl's reason. */
static enum mfs_err transfer_error(CURLcode cc, bool too_big, size_t max, int io_errno,
				   const char *redacted, struct mfs_error *err)
{
	if (too_big)
		return mfs_error_set(err, MFS_ERR_PARSE, "answer from %s is larger than %zu bytes",
				     redacted, max);
	if (io_errno)
		return mfs_error_set(err, MFS_ERR_IO, "%s: cannot write the download: %s",
				     redacted, strerror(io_errno));
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return mfs_error_set(err, MFS_ERR_CANCELLED, "%s: abandoned: shutting down",
				     redacted);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return mfs_error_set(err, MFS_ERR_TIMEOUT, "%s: %s", redacted,
				     curl_easy_strerror(cc));
	return mfs_error_set(err, MFS_ERR_TRANSPORT, "%s: %s", redacted, curl_easy_strerror(cc));
}

enum mfs_err mfs_http_get(struct mfs_http *h, const struct mfs_http_request *req,
			  struct mfs_http_response *resp, struct mfs_error *err)
{
	struct body b = { .max = req->max_body_bytes ? req->max_body_bytes
						     : (size_t)MFS_HTTP_MAX_BODY_BYTES };
	struct curl_slist *hdrs = NULL;
	char redacted[1024], *ct = NULL;
	long timeout_ms;
	enum mfs_err rc;
	CURL *c = h->curl;
	CURLcode cc;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	mfs_http_redact(req->url, redacted, sizeof(redacted));
	rc = check_request(h, req, redacted, &timeout_ms, err);
	if (rc != MFS_OK)
		return rc;
	set_options(c, h, req, resp, timeout_ms);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip, deflate, br as built */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = set_headers(c, req, &hdrs, err);
	if (rc != MFS_OK)
		goto out;
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (cc != CURLE_OK) {
		rc = transfer_error(cc, b.too_big, b.max, 0, redacted, err);
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
	if (!b.buf) {
		b.buf = calloc(1, 1);
		if (!b.buf) {
			rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	resp->body = b.buf;
	resp->len = b.len;
	b.buf = NULL;
	mfs_debug("GET %s -> %ld (%zu bytes)", redacted, resp->status, resp->len);
out:
	free(b.buf);
	curl_slist_free_all(hdrs);
	return rc;
}

/* ---- GET into a file descriptor (large archives) ---- */

#define FD_ERROR_BODY_MAX 65536

struct fd_sink {
	CURL *curl;
	int fd;
	size_t written, max;
	struct body error_body; /* a non-2xx answer's body */
	int too_big, io_errno;
};

static bool status_is_2xx(CURL *c)
{
	long st = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	return st >= 200 && st < 300;
}

static size_t on_body_fd(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fd_sink *s = userp;
	size_t n = size * nmemb, done = 0;

	/* Only the final answer's body reaches here (curl drops redirect bodies). */
	if (!status_is_2xx(s->curl))
		return on_body(data, size, nmemb, &s->error_body);
	if (s->max && s->written + n > s->max) {
		s->too_big = 1;
		return 0;
	}
	while (done < n) {
		ssize_t w = write(s->fd, data + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->io_errno = w < 0 ? errno : EIO;
			return 0;
		}
		done += (size_t)w;
	}
	s->written += n;
	return n;
}

enum mfs_err mfs_http_get_fd(struct mfs_http *h, const struct mfs_http_request *req, int fd,
			     struct mfs_http_response *resp, struct mfs_error *err)
{
	struct fd_sink s = { .curl = h->curl, .fd = fd, .max = req->max_body_bytes,
			     .error_body = { .max = FD_ERROR_BODY_MAX } };
	struct curl_slist *hdrs = NULL;
	char redacted[1024], *ct = NULL;
	long timeout_ms;
	enum mfs_err rc;
	CURLcode cc;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	mfs_http_redact(req->url, redacted, sizeof(redacted));
	rc = check_request(h, req, redacted, &timeout_ms, err);
	if (rc != MFS_OK)
		return rc;
	set_options(h->curl, h, req, resp, timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body_fd);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	rc = set_headers(h->curl, req, &hdrs, err);
	if (rc != MFS_OK)
		goto out;
	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (cc != CURLE_OK) {
		rc = transfer_error(cc, s.too_big || s.error_body.too_big,
				    s.too_big ? s.max : s.error_body.max, s.io_errno, redacted, err);
		goto out;
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
	resp->body = s.error_body.buf ? s.error_body.buf : calloc(1, 1);
	s.error_body.buf = NULL;
	if (!resp->body) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		goto out;
	}
	resp->len = s.error_body.len;
	mfs_debug("GET %s -> %ld (%zu bytes to a file)", redacted, resp->status, s.written);
out:
	free(s.error_body.buf);
	curl_slist_free_all(hdrs);
	return rc;
}
