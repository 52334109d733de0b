/*
 * The provider request loop (providers/provider.c): retries, and the
 * per-fetch budget of MFS_HTTP_MAX_TRIES tries (SPEC section 4), against a
 * scripted HTTP server on 127.0.0.1.
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
#include <unistd.h>

#include <marketfs/config.h>
#include <marketfs/http.h>
#include <marketfs/limits.h>
#include <marketfs/provider.h>

#include "testutil.h"

/* Answers request i with status script[i] (keep-alive), until the script ends. */
struct scripted {
	int lfd, port;
	const int *script;
	int n, served;
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct scripted *sv = arg;

	while (sv->served < sv->n) {
		struct pollfd p = { .fd = sv->lfd, .events = POLLIN };
		char buf[4096];
		size_t got = 0;
		int fd;

		if (poll(&p, 1, 5000) != 1)
			return NULL;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		while (sv->served < sv->n) {
			ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			char answer[128];
			int len;

			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			if (!strstr(buf, "\r\n\r\n"))
				continue;
			got = 0;
			len = snprintf(answer, sizeof(answer),
				       "HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\nok",
				       sv->script[sv->served++]);
			send(fd, answer, (size_t)len, MSG_NOSIGNAL);
		}
		close(fd);
	}
	return NULL;
}

static void start(struct scripted *sv, const int *script, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->script = script;
	sv->n = n;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(sv->lfd, 4), 0);
	ck_assert_int_eq(getsockname(sv->lfd, (struct sockaddr *)&a, &alen), 0);
	sv->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&sv->thread, NULL, serve, sv), 0);
}

/* Pages of one fetch: the first page uses two retries, so the next page's
 * first failure ends the fetch (a bug once allowed 3 tries per page). */
START_TEST(test_retry_budget_is_per_fetch)
{
	static const int script[] = { 500, 500, 200, 500, 200 };
	struct scripted sv;
	struct mfs_config cfg;
	struct mfs_error err = { 0 };
	struct mfs_providers *ps;
	struct mfs_http *h = mfs_http_new();
	struct mfs_http_response resp;
	char url[64];

	start(&sv, script, 5);
	mfs_config_defaults(&cfg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sv.port);
	ck_assert_int_eq(mfs_config_set(&cfg, "provider.yahoo", "base_url", url, &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&cfg, "provider.yahoo", "rate_limit", "1000/1s", &err),
			 MFS_OK);
	ps = mfs_providers_new(&cfg, &err);
	ck_assert_ptr_nonnull(ps);

	struct mfs_fetch_ctx ctx = { .http = h, .prov = mfs_providers_get(ps, MFS_PROV_YAHOO),
				     .deadline_ms = mfs_now_ms() + 20000 };
	/* page 1: 500, 500, 200 */
	ck_assert_int_eq(mfs_provider_get(&ctx, "/page1", NULL, &resp, &err), MFS_OK);
	ck_assert_int_eq(resp.status, 200);
	mfs_http_response_free(&resp);
	ck_assert_uint_eq(ctx.retries, 2);
	/* page 2: 500, and no retry is left in this fetch */
	ck_assert_int_eq(mfs_provider_get(&ctx, "/page2", NULL, &resp, &err), MFS_ERR_SERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "(1 tries)"));
	mfs_http_response_free(&resp);
	ck_assert_uint_eq(ctx.requests, 4);
	/* a new fetch has its own budget: the 200 left in the script */
	struct mfs_fetch_ctx ctx2 = ctx;
	ctx2.retries = 0;
	ctx2.requests = 0;
	ck_assert_int_eq(mfs_provider_get(&ctx2, "/again", NULL, &resp, &err), MFS_OK);
	ck_assert_int_eq(resp.status, 200);
	mfs_http_response_free(&resp);
	pthread_join(sv.thread, NULL);
	close(sv.lfd);
	ck_assert_int_eq(sv.served, 5);
	mfs_http_free(h);
	mfs_providers_free(ps);
	mfs_config_free(&cfg);
}
END_TEST

static Suite *provider_suite(void)
{
	Suite *s = suite_create("provider");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_retry_budget_is_per_fetch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(provider_suite());
	int failed;

	mfs_http_global_init();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
