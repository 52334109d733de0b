/*
 * The fetch queue (cache/queue.c): priorities, a reader never stuck behind
 * background work, and de-duplication. An in-process cache fetches from a
 * small HTTP server on 127.0.0.1 that answers Yahoo's "unknown symbol" and
 * records the order of the requests: the assertions are about that order
 * and about counts, never about timing.
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

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/http.h>

#include "testutil.h"

#define MAX_REQ 512
#define HOLD_MS 40 /* each answer takes this long, so a queue builds up */

static const char not_found_body[] =
	"{\"chart\":{\"result\":null,\"error\":{\"code\":\"Not Found\",\"description\":\"No data found\"}}}";

struct server {
	int lfd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	char symbols[MAX_REQ][40]; /* requested symbols, in order */
	int n;
	volatile int stop;
	int hold_first_ms; /* the first answer waits this long */
	volatile int hold_p; /* answers to symbols "P..." wait while this is set */
};

static struct server sv;

static void *serve_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[4096];
	size_t got = 0;

	while (got + 1 < sizeof(req)) {
		ssize_t r = recv(fd, req + got, sizeof(req) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = '\0';
	const char *p = strstr(req, "/v8/finance/chart/");
	char sym[40] = "";
	if (p)
		sscanf(p + 18, "%39[^?/ ]", sym);
	pthread_mutex_lock(&sv.mu);
	int k = sv.n;
	if (sv.n < MAX_REQ)
		snprintf(sv.symbols[sv.n++], sizeof(sv.symbols[0]), "%s", sym);
	pthread_mutex_unlock(&sv.mu);
	struct timespec ts = { 0, (long)(k == 0 && sv.hold_first_ms ? sv.hold_first_ms : HOLD_MS) *
				     1000000L };
	nanosleep(&ts, NULL);
	while (sym[0] == 'P' && sv.hold_p && !sv.stop) {
		struct timespec w = { 0, 10 * 1000000L };
		nanosleep(&w, NULL);
	}
	char resp[512];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
			 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
			 sizeof(not_found_body) - 1, not_found_body);
	send(fd, resp, (size_t)n, MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static void *serve(void *arg)
{
	(void)arg;
	while (!sv.stop) {
		struct pollfd p = { .fd = sv.lfd, .events = POLLIN };
		if (poll(&p, 1, 100) != 1)
			continue;
		int fd = accept(sv.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		pthread_create(&t, NULL, serve_one, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
	return NULL;
}

static void server_start(int hold_first_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(&sv, 0, sizeof(sv));
	pthread_mutex_init(&sv.mu, NULL);
	sv.hold_first_ms = hold_first_ms;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(sv.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(sv.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(sv.lfd, 128), 0);
	getsockname(sv.lfd, (struct sockaddr *)&a, &alen);
	sv.port = ntohs(a.sin_port);
	pthread_create(&sv.thread, NULL, serve, NULL);
}

static void server_stop(void)
{
	sv.stop = 1;
	pthread_join(sv.thread, NULL);
	close(sv.lfd);
}

static int requests(void)
{
	pthread_mutex_lock(&sv.mu);
	int n = sv.n;
	pthread_mutex_unlock(&sv.mu);
	return n;
}

static int index_of(const char *sym)
{
	int k = -1;

	pthread_mutex_lock(&sv.mu);
	for (int i = 0; i < sv.n && k < 0; i++)
		if (strcmp(sv.symbols[i], sym) == 0)
			k = i;
	pthread_mutex_unlock(&sv.mu);
	return k;
}

static void wait_requests(int n)
{
	for (int i = 0; i < 2000 && requests() < n; i++) {
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
	ck_assert_int_ge(requests(), n);
}

static struct mfs_config cfg;
static struct mfs_cache *cache;
static char dir[256];

static void cache_up(void)
{
	struct mfs_error err = { 0 };
	char url[64];

	tu_tmpdir(dir, sizeof(dir), "/tmp/mfs_test_queue.");
	mfs_config_defaults(&cfg);
	ck_assert_int_eq(mfs_config_set(&cfg, "marketfs", "cache_dir", dir, &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&cfg, "marketfs", "max_parallel_fetches", "2", &err),
			 MFS_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sv.port);
	ck_assert_int_eq(mfs_config_set(&cfg, "provider.yahoo", "base_url", url, &err), MFS_OK);
	ck_assert_int_eq(mfs_config_set(&cfg, "provider.yahoo", "rate_limit", "100000/1s", &err),
			 MFS_OK);
	mfs_http_global_init();
	cache = mfs_cache_open(&cfg, &err);
	ck_assert_msg(cache != NULL, "%s", err.msg);
	ck_assert_int_eq(mfs_cache_start_workers(cache, &err), MFS_OK);
}

static void cache_down(void)
{
	mfs_cache_close(cache);
	mfs_config_free(&cfg);
	tu_rmtree(dir);
}

struct item {
	char symbol[16];
	enum mfs_prio prio;
	pthread_t t;
};

static void *ensure_item(void *arg)
{
	struct item *it = arg;
	struct mfs_key k = { it->symbol, MFS_TF_1D, 2024, MFS_KIND_DATA };
	struct mfs_ensure_opts o = { .prio = it->prio };
	struct mfs_error err = { 0 };

	mfs_cache_ensure_opts(cache, &k, NULL, &o, &err);
	return NULL;
}

static void start_item(struct item *it, const char *symbol, enum mfs_prio prio)
{
	snprintf(it->symbol, sizeof(it->symbol), "%s", symbol);
	it->prio = prio;
	ck_assert_int_eq(pthread_create(&it->t, NULL, ensure_item, it), 0);
}

/* Let the item threads reach the queue, in the order they were started. */
static void settle(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	nanosleep(&ts, NULL);
}

START_TEST(test_reader_overtakes_100_prefetch_items)
{
	static struct item items[100], reader;
	struct timespec until;

	server_start(0);
	sv.hold_p = 1; /* background answers stall until released */
	cache_up();
	for (int i = 0; i < 100; i++) {
		char s[16];
		snprintf(s, sizeof(s), "P%03d", i);
		start_item(&items[i], s, MFS_PRIO_PREFETCH);
	}
	wait_requests(1); /* background work is under way, and stuck */
	settle();
	int before = requests();
	start_item(&reader, "READER", MFS_PRIO_FOREGROUND);
	/*
	 * The reader must finish while the background requests are stalled:
	 * one fetch thread is kept for readers. (The bound only detects a
	 * reader that cannot start at all; it is not a speed requirement.)
	 */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	ck_assert_msg(pthread_timedjoin_np(reader.t, NULL, &until) == 0,
		      "the reader waited behind stalled background work");
	int at = index_of("READER");
	ck_assert_int_ge(at, 0);
	ck_assert_int_eq(at, before); /* the very next request */
	ck_assert_int_lt(requests(), 100); /* the prefetch items are still queued */
	sv.hold_p = 0;
	for (int i = 0; i < 100; i++)
		pthread_join(items[i].t, NULL);
	ck_assert_int_eq(requests(), 101);
	cache_down();
	server_stop();
}
END_TEST

START_TEST(test_levels_in_order)
{
	static struct item hold, pre[5], maint[5], watch[5];

	server_start(400); /* the first (background) answer holds the one background slot */
	cache_up();
	start_item(&hold, "HOLD", MFS_PRIO_PREFETCH);
	wait_requests(1);
	for (int i = 0; i < 5; i++) {
		char s[16];
		snprintf(s, sizeof(s), "PRE%d", i);
		start_item(&pre[i], s, MFS_PRIO_PREFETCH);
		settle();
	}
	for (int i = 0; i < 5; i++) {
		char s[16];
		snprintf(s, sizeof(s), "MNT%d", i);
		start_item(&maint[i], s, MFS_PRIO_MAINTENANCE);
		settle();
	}
	for (int i = 0; i < 5; i++) {
		char s[16];
		snprintf(s, sizeof(s), "WCH%d", i);
		start_item(&watch[i], s, MFS_PRIO_WATCH);
		settle();
	}
	pthread_join(hold.t, NULL);
	for (int i = 0; i < 5; i++) {
		pthread_join(pre[i].t, NULL);
		pthread_join(maint[i].t, NULL);
		pthread_join(watch[i].t, NULL);
	}
	ck_assert_int_eq(requests(), 16);
	/* after HOLD: the watch level, then maintenance, then prefetch, FIFO in each */
	static const char *const want[16] = { "HOLD", "WCH0", "WCH1", "WCH2", "WCH3", "WCH4",
					      "MNT0", "MNT1", "MNT2", "MNT3", "MNT4", "PRE0",
					      "PRE1", "PRE2", "PRE3", "PRE4" };
	for (int i = 0; i < 16; i++)
		ck_assert_str_eq(sv.symbols[i], want[i]);
	cache_down();
	server_stop();
}
END_TEST

START_TEST(test_dedup_and_raise)
{
	static struct item same[10], hold, reader;

	server_start(300);
	cache_up();
	start_item(&hold, "HOLD", MFS_PRIO_PREFETCH);
	wait_requests(1);
	for (int i = 0; i < 10; i++)
		start_item(&same[i], "SAME", MFS_PRIO_PREFETCH);
	settle();
	/* a reader of the same file joins the queued job and raises it */
	start_item(&reader, "SAME", MFS_PRIO_FOREGROUND);
	pthread_join(reader.t, NULL);
	for (int i = 0; i < 10; i++)
		pthread_join(same[i].t, NULL);
	pthread_join(hold.t, NULL);
	ck_assert_int_eq(requests(), 2); /* HOLD and one SAME */
	ck_assert_int_ge(index_of("SAME"), 0);
	cache_down();
	server_stop();
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reader_overtakes_100_prefetch_items);
	tcase_add_test(tc, test_levels_in_order);
	tcase_add_test(tc, test_dedup_and_raise);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
