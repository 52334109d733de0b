/*
 * Unit tests for providers/http.c: URL redaction, the loopback test that
 * guards plain http, percent-encoding, the refusals that happen before
 * anything is sent, and real GETs against a tiny HTTP server run in a
 * thread of the test on 127.0.0.1 (status and body, request headers,
 * Retry-After, the body cap, a server that never answers). Nothing leaves
 * the machine.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <marketfs/err.h>
#include <marketfs/http.h>

/* ---- a one-connection HTTP server on 127.0.0.1 ---- */

struct server {
	int lfd;
	int port;
	const char *response; /* sent after the request; NULL: never answer */
	size_t response_len;
	char request[4096]; /* what the client sent (headers) */
	int served;         /* connections accepted */
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *sv = arg;
	struct pollfd p = { .fd = sv->lfd, .events = POLLIN };
	size_t got = 0;
	int fd;

	/* give up after 5 s so that a test that never connects still ends */
	if (poll(&p, 1, 5000) != 1)
		return NULL;
	fd = accept(sv->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	sv->served++;
	while (got + 1 < sizeof(sv->request) && !strstr(sv->request, "\r\n\r\n")) {
		ssize_t r = recv(fd, sv->request + got, sizeof(sv->request) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		sv->request[got] = '\0';
	}
	if (sv->response) {
		size_t off = 0;
		while (off < sv->response_len) {
			ssize_t w = send(fd, sv->response + off, sv->response_len - off,
					 MSG_NOSIGNAL);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	} else {
		/* silent: wait until the client hangs up (or 5 s) */
		char c;
		struct pollfd q = { .fd = fd, .events = POLLIN };
		while (poll(&q, 1, 5000) == 1 && recv(fd, &c, 1, 0) > 0)
			;
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *sv, const char *response, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(sv, 0, sizeof(*sv));
	sv->response = response;
	sv->response_len = len;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(sv->lfd, 0);
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(sv->lfd, 4), 0);
	ck_assert_int_eq(getsockname(sv->lfd, (struct sockaddr *)&a, &alen), 0);
	sv->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&sv->thread, NULL, serve, sv), 0);
}

static void server_stop(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
}

static void url_for(const struct server *sv, const char *path, char *out, size_t len)
{
	snprintf(out, len, "http://127.0.0.1:%d%s", sv->port, path);
}

/* ---- redaction, loopback, urlencode ---- */

static void assert_redacted(const char *url, const char *want)
{
	char out[512];

	mfs_http_redact(url, out, sizeof(out));
	ck_assert_msg(strcmp(out, want) == 0, "redact(%s) = %s, want %s", url, out, want);
}

/* Regression: passwords in the authority and upper-case names are secrets too. */
START_TEST(test_redact_userinfo_and_case)
{
	char out[512];

	mfs_http_redact("https://alice:s3cret@mirror.example/AAPL/1d/2024.csv.gz", out, sizeof(out));
	ck_assert_str_eq(out, "https://alice:***@mirror.example/AAPL/1d/2024.csv.gz");
	ck_assert_ptr_null(strstr(out, "s3cret"));
	mfs_http_redact("https://h/q?APIKEY=s3cret&Token=t0k&x=1", out, sizeof(out));
	ck_assert_str_eq(out, "https://h/q?APIKEY=***&Token=***&x=1");
	mfs_http_redact("https://bob@h/p?a=1", out, sizeof(out));
	ck_assert_str_eq(out, "https://bob@h/p?a=1");
	mfs_http_redact("http://u:p@127.0.0.1:8080", out, sizeof(out));
	ck_assert_str_eq(out, "http://u:***@127.0.0.1:8080");
}
END_TEST

START_TEST(test_redact)
{
	char small[24];

	assert_redacted("https://x.io/q?apikey=SECRET", "https://x.io/q?apikey=***");
	assert_redacted("https://x.io/q?a=1&apiKey=SECRET&b=2", "https://x.io/q?a=1&apiKey=***&b=2");
	assert_redacted("https://x.io/q?token=SECRET&b=2", "https://x.io/q?token=***&b=2");
	assert_redacted("https://x.io/q?b=2&userid=SECRET", "https://x.io/q?b=2&userid=***");
	assert_redacted("https://x.io/q?key=SECRET", "https://x.io/q?key=***");
	assert_redacted("https://x.io/q?x=&api_key=SECRET&y", "https://x.io/q?x=&api_key=***&y");
	assert_redacted("https://x.io/v8/chart/AAPL?period1=1&crumb=Ab%2Fc&interval=1d",
			"https://x.io/v8/chart/AAPL?period1=1&crumb=***&interval=1d");
	assert_redacted("https://x.io/?apikey=A&token=B&key=C&userid=D&crumb=E&api_key=F&apiKey=G",
			"https://x.io/?apikey=***&token=***&key=***&userid=***&crumb=***"
			"&api_key=***&apiKey=***");
	assert_redacted("https://x.io/q?apikey=", "https://x.io/q?apikey=***");
	/* other parameters, and names that merely contain a secret name */
	assert_redacted("https://x.io/q?symbol=AAPL&monkey=1&keys=2&tokens=3",
			"https://x.io/q?symbol=AAPL&monkey=1&keys=2&tokens=3");
	assert_redacted("https://x.io/path/key=notaquery", "https://x.io/path/key=notaquery");
	assert_redacted("https://x.io/q", "https://x.io/q");
	assert_redacted("?", "?");
	assert_redacted("https://x.io/?", "https://x.io/?");
	assert_redacted("", "");

	/* a short buffer truncates but never shows the secret */
	mfs_http_redact("https://x.io/q?apikey=SECRET", small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
	ck_assert_ptr_null(strstr(small, "SEC"));
}
END_TEST

START_TEST(test_loopback)
{
	ck_assert(mfs_http_is_loopback("http://127.0.0.1/x"));
	ck_assert(mfs_http_is_loopback("http://127.0.0.1"));
	ck_assert(mfs_http_is_loopback("http://127.5.6.7:8080/v8"));
	ck_assert(mfs_http_is_loopback("http://[::1]:80/"));
	ck_assert(mfs_http_is_loopback("http://localhost:9000/api"));
	ck_assert(mfs_http_is_loopback("http://LOCALHOST/"));
	ck_assert(mfs_http_is_loopback("http://user@127.0.0.1/"));
	ck_assert(mfs_http_is_loopback("http://user:pw@127.0.0.1:81?x=1"));
	ck_assert(!mfs_http_is_loopback("http://128.0.0.1/"));
	ck_assert(!mfs_http_is_loopback("http://127.0.0.1.evil.com/"));
	ck_assert(!mfs_http_is_loopback("http://localhost.evil.com/"));
	ck_assert(!mfs_http_is_loopback("http://example.com/"));
	ck_assert(!mfs_http_is_loopback("http://127.0.0.1@example.com/"));
	ck_assert(!mfs_http_is_loopback("http://example.com/?u=@127.0.0.1"));
	ck_assert(!mfs_http_is_loopback("http://example.com?@127.0.0.1"));
	ck_assert(!mfs_http_is_loopback("http://[::2]/"));
	ck_assert(!mfs_http_is_loopback("127.0.0.1"));
	ck_assert(!mfs_http_is_loopback(""));
}
END_TEST

/*
 * A '#' ends the authority (RFC 3986 3.2; curl parses it so): the host
 * of "http://example.com#@127.0.0.1/" is example.com.
 */
START_TEST(test_loopback_fragment)
{
	ck_assert_msg(!mfs_http_is_loopback("http://example.com#@127.0.0.1/"),
		      "http://example.com#@127.0.0.1/ is taken for loopback, but curl connects "
		      "to example.com");
}
END_TEST

START_TEST(test_urlencode)
{
	char out[64];

	ck_assert_int_eq(mfs_http_urlencode("^GSPC", out, sizeof(out)), 7);
	ck_assert_str_eq(out, "%5EGSPC");
	ck_assert_int_eq(mfs_http_urlencode("EURUSD=X", out, sizeof(out)), 10);
	ck_assert_str_eq(out, "EURUSD%3DX");
	ck_assert_int_eq(mfs_http_urlencode("BRK-B.x_y~z", out, sizeof(out)), 11);
	ck_assert_str_eq(out, "BRK-B.x_y~z");
	ck_assert_int_eq(mfs_http_urlencode("a b/c:&", out, sizeof(out)), 15);
	ck_assert_str_eq(out, "a%20b%2Fc%3A%26");
	ck_assert_int_eq(mfs_http_urlencode("\xc3\xa9", out, sizeof(out)), 6);
	ck_assert_str_eq(out, "%C3%A9");
	ck_assert_int_eq(mfs_http_urlencode("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	/* exactly fitting, then one byte short */
	ck_assert_int_eq(mfs_http_urlencode("^GSPC", out, 8), 7);
	ck_assert_int_eq(mfs_http_urlencode("^GSPC", out, 7), -1);
	ck_assert_int_eq(mfs_http_urlencode("^G", out, 3), -1);
	ck_assert_int_eq(mfs_http_urlencode("AB", out, 2), -1);
	ck_assert_int_eq(mfs_http_urlencode("AB", out, 3), 2);
	ck_assert_int_eq(mfs_http_urlencode("", out, 0), -1);
}
END_TEST

/* ---- refusals before anything is sent ---- */

static enum mfs_err get(const char *url, bool insecure, int64_t deadline_ms,
			size_t max_body, struct mfs_http_response *resp, struct mfs_error *err)
{
	struct mfs_http *h = mfs_http_new();
	struct mfs_http_request req = { .url = url,
					.allow_insecure = insecure,
					.deadline_ms = deadline_ms,
					.max_body_bytes = max_body };
	enum mfs_err rc;

	ck_assert_ptr_nonnull(h);
	mfs_error_clear(err);
	rc = mfs_http_get(h, &req, resp, err);
	mfs_http_free(h);
	return rc;
}

START_TEST(test_refuse_plain_http)
{
	struct mfs_http_response resp;
	struct mfs_error err;
	int64_t t0 = mfs_now_ms();

	/* 192.0.2.1 is TEST-NET-1: a connection attempt would hang, not succeed */
	ck_assert_int_eq(get("http://192.0.2.1/api?apikey=SECRET", false, 0, 0, &resp, &err),
			 MFS_ERR_INVALID);
	ck_assert_int_lt(mfs_now_ms() - t0, 500);
	ck_assert_int_eq(resp.status, 0);
	ck_assert_ptr_null(resp.body);
	ck_assert_ptr_nonnull(strstr(err.msg, "allow_insecure"));
	ck_assert_ptr_null(strstr(err.msg, "SECRET"));
	mfs_http_response_free(&resp);

	ck_assert_int_eq(get("ftp://127.0.0.1/file", false, 0, 0, &resp, &err), MFS_ERR_INVALID);
	ck_assert_int_eq(resp.status, 0);
	ck_assert_int_eq(get("file:///etc/passwd", true, 0, 0, &resp, &err), MFS_ERR_INVALID);
	ck_assert_int_eq(get("gopher://127.0.0.1/", true, 0, 0, &resp, &err), MFS_ERR_INVALID);
	ck_assert_int_eq(get("127.0.0.1/x", true, 0, 0, &resp, &err), MFS_ERR_INVALID);
	mfs_http_response_free(&resp);

	/* a deadline already passed: nothing is sent */
	ck_assert_int_eq(get("http://127.0.0.1:1/", false, mfs_now_ms() - 1, 0, &resp, &err),
			 MFS_ERR_TIMEOUT);
}
END_TEST

/*
 * The refusal must hold for the host curl really connects to. 0.0.0.0 is
 * not loopback by the module's rule (so plain http to it is refused), yet
 * on Linux a connection to it reaches our 127.0.0.1 server, which shows
 * whether a request was sent.
 */
START_TEST(test_refuse_fragment_trick)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
	struct mfs_http_response resp;
	struct mfs_error err;
	struct server sv;
	char url[128];
	enum mfs_err rc;

	server_start(&sv, ok, sizeof(ok) - 1);
	snprintf(url, sizeof(url), "http://0.0.0.0:%d/", sv.port);
	ck_assert_int_eq(get(url, false, mfs_now_ms() + 2000, 0, &resp, &err), MFS_ERR_INVALID);
	snprintf(url, sizeof(url), "http://0.0.0.0:%d#@127.0.0.1/", sv.port);
	rc = get(url, false, mfs_now_ms() + 2000, 0, &resp, &err);
	mfs_http_response_free(&resp);
	/*
	 * Release the server thread: if nothing was sent, it accepts this
	 * connection instead; if the request was sent, this one stays in the
	 * backlog. Either way sv.request then says who it served.
	 */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sv.port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		(void)!send(fd, "POKE\r\n\r\n", 8, MSG_NOSIGNAL);
	server_stop(&sv);
	close(fd);
	ck_assert_msg(rc == MFS_ERR_INVALID && strncmp(sv.request, "GET ", 4) != 0,
		      "plain http sent to a non-loopback host via %s (rc %d, server saw \"%.40s\")",
		      url, rc, sv.request);
}
END_TEST

/* ---- real requests to the in-process server ---- */

START_TEST(test_get_ok)
{
	static const char answer[] = "HTTP/1.1 200 OK\r\n"
				     "Content-Type: application/json\r\n"
				     "Content-Length: 13\r\n"
				     "Connection: close\r\n\r\n"
				     "{\"ok\": true}\n";
	static const char *const headers[] = { "X-Test: 42", NULL };
	struct server sv;
	struct mfs_http *h = mfs_http_new();
	struct mfs_http_response resp;
	struct mfs_error err = { 0 };
	char url[128];
	struct mfs_http_request req = { .headers = headers, .user_agent = "Mozilla/5.0 test" };

	server_start(&sv, answer, sizeof(answer) - 1);
	url_for(&sv, "/v8/finance/chart/AAPL?interval=1d&apikey=SECRET", url, sizeof(url));
	req.url = url;
	req.deadline_ms = mfs_now_ms() + 5000;
	ck_assert_int_eq(mfs_http_get(h, &req, &resp, &err), MFS_OK);
	server_stop(&sv);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.len, 13);
	ck_assert_str_eq(resp.body, "{\"ok\": true}\n");
	ck_assert_str_eq(resp.content_type, "application/json");
	ck_assert_int_eq(resp.retry_after_s, -1);
	ck_assert_ptr_nonnull(
		strstr(sv.request, "GET /v8/finance/chart/AAPL?interval=1d&apikey=SECRET HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(sv.request, "\r\nUser-Agent: Mozilla/5.0 test\r\n"));
	ck_assert_ptr_nonnull(strstr(sv.request, "\r\nX-Test: 42\r\n"));
	mfs_http_response_free(&resp);
	ck_assert_ptr_null(resp.body);

	/* an empty body is an empty string, not NULL; any status is MFS_OK */
	static const char empty[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				    "Connection: close\r\n\r\n";
	server_start(&sv, empty, sizeof(empty) - 1);
	url_for(&sv, "/missing", url, sizeof(url));
	req.url = url;
	req.user_agent = NULL;
	req.headers = NULL;
	ck_assert_int_eq(mfs_http_get(h, &req, &resp, &err), MFS_OK);
	server_stop(&sv);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_ptr_nonnull(resp.body);
	ck_assert_uint_eq(resp.len, 0);
	ck_assert_str_eq(resp.body, "");
	ck_assert_ptr_nonnull(strstr(sv.request, "\r\nUser-Agent: marketfs/"));
	mfs_http_response_free(&resp);
	mfs_http_free(h);
}
END_TEST

/*
 * A keep-alive server: answers `want` requests in all, on as many
 * connections as the client opens; counts the connections.
 */
struct ka_server {
	int lfd, port, want, answered, connections;
	pthread_t thread;
};

static void *serve_keepalive(void *arg)
{
	static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct ka_server *sv = arg;

	while (sv->answered < sv->want) {
		struct pollfd p = { .fd = sv->lfd, .events = POLLIN };
		char buf[4096];
		size_t got = 0;
		int fd;

		if (poll(&p, 1, 5000) != 1)
			return NULL;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		sv->connections++;
		for (;;) {
			ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n")) {
				send(fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL);
				got = 0;
				if (++sv->answered == sv->want)
					break;
			}
		}
		close(fd);
	}
	return NULL;
}

/* Two clients (two fetch threads) share one connection to a provider. */
START_TEST(test_connection_shared)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof(a);
	struct ka_server sv = { .want = 2 };
	struct mfs_http *h1 = mfs_http_new(), *h2 = mfs_http_new();
	struct mfs_http_response resp;
	struct mfs_error err = { 0 };
	char url[128];
	struct mfs_http_request req = { .url = url };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(sv.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(sv.lfd, 4), 0);
	ck_assert_int_eq(getsockname(sv.lfd, (struct sockaddr *)&a, &alen), 0);
	sv.port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&sv.thread, NULL, serve_keepalive, &sv), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a", sv.port);
	req.deadline_ms = mfs_now_ms() + 5000;
	ck_assert_int_eq(mfs_http_get(h1, &req, &resp, &err), MFS_OK);
	ck_assert_int_eq(resp.status, 200);
	mfs_http_response_free(&resp);
	ck_assert_int_eq(mfs_http_get(h2, &req, &resp, &err), MFS_OK);
	ck_assert_int_eq(resp.status, 200);
	mfs_http_response_free(&resp);
	pthread_join(sv.thread, NULL);
	close(sv.lfd);
	ck_assert_int_eq(sv.answered, 2);
	ck_assert_int_eq(sv.connections, 1);
	mfs_http_free(h1);
	mfs_http_free(h2);
}
END_TEST

START_TEST(test_retry_after)
{
	static const char secs[] = "HTTP/1.1 429 Too Many Requests\r\n"
				   "Retry-After: 7\r\nContent-Length: 4\r\n"
				   "Connection: close\r\n\r\nslow";
	struct server sv;
	struct mfs_http_response resp;
	struct mfs_error err;
	char url[128], date_answer[256], when[64];
	time_t later = time(NULL) + 120;
	struct tm tm;

	server_start(&sv, secs, sizeof(secs) - 1);
	url_for(&sv, "/", url, sizeof(url));
	ck_assert_int_eq(get(url, false, mfs_now_ms() + 5000, 0, &resp, &err), MFS_OK);
	server_stop(&sv);
	ck_assert_int_eq(resp.status, 429);
	ck_assert_int_eq(resp.retry_after_s, 7);
	ck_assert_str_eq(resp.body, "slow");
	mfs_http_response_free(&resp);

	/* the HTTP-date form, two minutes ahead */
	gmtime_r(&later, &tm);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(date_answer, sizeof(date_answer),
		 "HTTP/1.1 503 Service Unavailable\r\nretry-after: %s\r\n"
		 "Content-Length: 0\r\nConnection: close\r\n\r\n", when);
	server_start(&sv, date_answer, strlen(date_answer));
	url_for(&sv, "/", url, sizeof(url));
	ck_assert_int_eq(get(url, false, mfs_now_ms() + 5000, 0, &resp, &err), MFS_OK);
	server_stop(&sv);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_int_ge(resp.retry_after_s, 115);
	ck_assert_int_le(resp.retry_after_s, 121);
	mfs_http_response_free(&resp);
}
END_TEST

START_TEST(test_body_cap)
{
	enum { BODY = 10000 };
	static char answer[BODY + 200];
	struct server sv;
	struct mfs_http_response resp;
	struct mfs_error err;
	char url[128];
	int n = snprintf(answer, sizeof(answer),
			 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", BODY);

	memset(answer + n, 'x', BODY);
	server_start(&sv, answer, (size_t)n + BODY);
	url_for(&sv, "/big?token=SECRET", url, sizeof(url));
	ck_assert_int_eq(get(url, false, mfs_now_ms() + 5000, 1000, &resp, &err), MFS_ERR_PARSE);
	server_stop(&sv);
	ck_assert_ptr_null(resp.body);
	ck_assert_ptr_nonnull(strstr(err.msg, "1000"));
	ck_assert_ptr_null(strstr(err.msg, "SECRET"));
	mfs_http_response_free(&resp);

	/* the same body under a cap it fits */
	server_start(&sv, answer, (size_t)n + BODY);
	url_for(&sv, "/big", url, sizeof(url));
	ck_assert_int_eq(get(url, false, mfs_now_ms() + 5000, BODY, &resp, &err), MFS_OK);
	server_stop(&sv);
	ck_assert_uint_eq(resp.len, BODY);
	ck_assert_int_eq(resp.body[BODY - 1], 'x');
	ck_assert_int_eq(resp.body[BODY], '\0');
	mfs_http_response_free(&resp);
}
END_TEST

START_TEST(test_deadline)
{
	struct server sv;
	struct mfs_http_response resp;
	struct mfs_error err;
	char url[128];
	int64_t t0, took;

	server_start(&sv, NULL, 0);
	url_for(&sv, "/slow?apikey=SECRET", url, sizeof(url));
	t0 = mfs_now_ms();
	ck_assert_int_eq(get(url, false, t0 + 300, 0, &resp, &err), MFS_ERR_TIMEOUT);
	took = mfs_now_ms() - t0;
	server_stop(&sv);
	ck_assert_int_ge(took, 250);
	ck_assert_int_lt(took, 1500);
	ck_assert_int_eq(sv.served, 1);
	ck_assert_ptr_null(resp.body);
	ck_assert_ptr_null(strstr(err.msg, "SECRET"));
	mfs_http_response_free(&resp);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_redact_userinfo_and_case);
	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_loopback_fragment);
	tcase_add_test(tc, test_urlencode);
	tcase_add_test(tc, test_refuse_plain_http);
	tcase_add_test(tc, test_refuse_fragment_trick);
	tcase_add_test(tc, test_get_ok);
	tcase_add_test(tc, test_connection_shared);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_body_cap);
	tcase_add_test(tc, test_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (mfs_http_global_init() < 0)
		return EXIT_FAILURE;
	sr = srunner_create(http_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mfs_http_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
