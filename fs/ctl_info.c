/*
 * marketfs-ctl status, providers, reindex, gc/evict: reports on the cache
 * and the small maintenance commands. None of them sends a provider
 * request.
 *
 * status and providers show counters (fetches in flight, recent errors,
 * requests per provider) that live in a process's memory. A freshly
 * started marketfs-ctl has none of its own, so when a daemon serves the
 * same cache (a live _metadata/running.<pid> sentinel), we look for its
 * mount (type fuse.marketfs in /proc/self/mounts) whose status.json names
 * our cache directory, and show the daemon's view instead. Those files are
 * generated from the daemon's memory and never fetch. A hung mount must not
 * hang us: the read runs in a thread we give up on after a few seconds.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <marketfs/cache.h>

#include "fs/ctl.h"

#define MOUNT_READ_TIMEOUT_S 3
#define MOUNT_FILE_MAX_BYTES (4 * 1024 * 1024)
#define MAX_PEERS 16
#define MAX_MOUNTS 16

/* ---- other processes on this cache ------------------------------------- */

struct peer {
	long pid;
	char comm[32]; /* "marketfs", "marketfs-ctl", ... */
};

/* Live running.<pid> sentinels other than ours. */
static unsigned find_peers(const char *root, struct peer *out, unsigned max)
{
	char dir[PATH_MAX + 16];
	DIR *d;
	struct dirent *de;
	unsigned n = 0;

	snprintf(dir, sizeof(dir), "%s/_metadata", root);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end, path[64];
		long pid;
		FILE *f;

		if (strncmp(de->d_name, "running.", 8) != 0)
			continue;
		pid = strtol(de->d_name + 8, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			continue; /* a crash's leftover: the next open cleans it */
		out[n].pid = pid;
		snprintf(out[n].comm, sizeof(out[n].comm), "?");
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		if ((f = fopen(path, "re"))) {
			if (fgets(out[n].comm, sizeof(out[n].comm), f))
				out[n].comm[strcspn(out[n].comm, "\n")] = '\0';
			fclose(f);
		}
		n++;
	}
	closedir(d);
	return n;
}

/* ---- reading a daemon's generated files -------------------------------- */

struct slurp {
	char path[PATH_MAX + 64];
	char *buf;
	size_t len;
	bool ok;
};

static void *slurp_thread(void *arg)
{
	struct slurp *s = arg;
	FILE *f = fopen(s->path, "re");
	size_t cap = 65536;

	if (!f)
		return NULL;
	s->buf = malloc(cap + 1);
	while (s->buf) {
		size_t got = fread(s->buf + s->len, 1, cap - s->len, f);
		s->len += got;
		if (got == 0 || s->len >= MOUNT_FILE_MAX_BYTES)
			break;
		if (s->len == cap) {
			char *nb = realloc(s->buf, cap * 2 + 1);
			if (!nb)
				break;
			s->buf = nb;
			cap *= 2;
		}
	}
	s->ok = s->buf && !ferror(f);
	if (s->buf)
		s->buf[s->len] = '\0';
	fclose(f);
	return NULL;
}

/*
 * The file's contents (malloc'd), or NULL. If the read does not finish in
 * time, the thread is left to itself with its struct (never freed: it may
 * still write to it), and we go on without.
 */
static char *read_with_timeout(const char *path, size_t *len)
{
	struct slurp *s = calloc(1, sizeof(*s));
	struct timespec dl;
	pthread_t t;
	char *out = NULL;

	if (!s)
		return NULL;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (pthread_create(&t, NULL, slurp_thread, s) != 0) {
		free(s);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += MOUNT_READ_TIMEOUT_S;
	if (pthread_timedjoin_np(t, NULL, &dl) != 0) {
		pthread_detach(t);
		return NULL;
	}
	if (s->ok) {
		out = s->buf;
		*len = s->len;
	} else {
		free(s->buf);
	}
	free(s);
	return out;
}

/* /proc/self/mounts escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

struct daemon_view {
	char mnt[PATH_MAX];
	json_t *status; /* its status.json, parsed */
};

/* A marketfs mount serving root, and its status.json; false if none. */
static bool find_daemon_mount(const char *root, struct daemon_view *v)
{
	char want[PATH_MAX], line[3 * PATH_MAX];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;

	if (!f)
		return false;
	if (!realpath(root, want))
		snprintf(want, sizeof(want), "%s", root);
	while (!found && fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], type[64], path[PATH_MAX + 32], have[PATH_MAX];
		size_t len = 0;
		char *text;
		json_t *o;
		const char *dir;

		if (sscanf(line, "%*s %4095s %63s", mnt, type) != 2 ||
		    strcmp(type, "fuse.marketfs") != 0)
			continue;
		unescape_octal(mnt);
		snprintf(path, sizeof(path), "%s/_metadata/status.json", mnt);
		if (!(text = read_with_timeout(path, &len)))
			continue;
		o = json_loadb(text, len, 0, NULL);
		free(text);
		dir = json_string_value(json_object_get(json_object_get(o, "cache"), "dir"));
		if (dir && !realpath(dir, have))
			snprintf(have, sizeof(have), "%s", dir);
		if (dir && strcmp(have, want) == 0) {
			snprintf(v->mnt, sizeof(v->mnt), "%s", mnt);
			v->status = o;
			found = true;
		} else {
			json_decref(o);
		}
	}
	fclose(f);
	return found;
}

/* The daemon's view when there is one, else this process's; *v filled. */
static bool daemon_view(struct ctl *x, struct peer *peers, unsigned *npeers,
			struct daemon_view *v)
{
	bool any_daemon = false;

	memset(v, 0, sizeof(*v));
	*npeers = find_peers(mfs_cache_root(x->cache), peers, MAX_PEERS);
	for (unsigned i = 0; i < *npeers; i++)
		any_daemon |= strcmp(peers[i].comm, "marketfs") == 0;
	return any_daemon && find_daemon_mount(mfs_cache_root(x->cache), v);
}

static json_t *local_json(struct ctl *x,
			  enum mfs_err (*gen)(struct mfs_cache *, char **, size_t *,
					      struct mfs_error *))
{
	struct mfs_error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	json_t *o;

	if (gen(x->cache, &text, &len, &err) != MFS_OK) {
		fprintf(stderr, "marketfs-ctl: %s\n", err.msg);
		return NULL;
	}
	o = json_loadb(text, len, 0, NULL);
	free(text);
	return o;
}

/* ---- status ------------------------------------------------------------ */

static long long jint(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static void print_peers(const struct peer *peers, unsigned n, const struct daemon_view *v)
{
	bool daemon = false;

	for (unsigned i = 0; i < n; i++) {
		bool is_daemon = strcmp(peers[i].comm, "marketfs") == 0;
		if (is_daemon) {
			char up[32] = "";
			if (v->status) {
				long long s = jint(v->status, "uptime_s");
				snprintf(up, sizeof(up), ", up %lld:%02lld:%02lld", s / 3600,
					 s / 60 % 60, s % 60);
			}
			printf("daemon:        running, pid %ld", peers[i].pid);
			if (v->status)
				printf(", mounted at %s (marketfs %s%s)\n", v->mnt,
				       jstr(v->status, "version", "?"), up);
			else
				printf(" (its mount was not found or did not answer: the figures "
				       "below are this process's)\n");
			daemon = true;
		} else {
			printf("also used by:  pid %ld (%s)\n", peers[i].pid, peers[i].comm);
		}
	}
	if (!daemon)
		printf("daemon:        not running on this cache\n");
}

static void print_status(json_t *st, const struct peer *peers, unsigned npeers,
			 const struct daemon_view *v)
{
	json_t *cache = json_object_get(st, "cache"), *fl = json_object_get(st, "in_flight");
	json_t *q = json_object_get(st, "queue"), *errs = json_object_get(st, "recent_errors");
	json_t *e;
	size_t i;
	char size[32];

	ctl_fmt_bytes((uint64_t)jint(cache, "bytes"), size, sizeof(size));
	printf("marketfs:      %s\n", jstr(st, "version", "?"));
	printf("cache:         %s\n", jstr(cache, "dir", "?"));
	printf("size:          %s in %lld files\n", size, jint(cache, "files"));
	print_peers(peers, npeers, v);
	printf("offline:       %s\n", json_is_true(json_object_get(st, "offline")) ? "yes" : "no");
	if (v->status)
		printf("reads:         %lld hits, %lld misses, %lld installs\n",
		       jint(cache, "hits"), jint(cache, "misses"), jint(cache, "installs"));
	printf("in flight:     %s\n", json_array_size(fl) ? "" : "none");
	json_array_foreach(fl, i, e) {
		printf("  %-12s %-16s %-12s %-11s %lld requests, %.1f s\n", jstr(e, "symbol", "?"),
		       jstr(e, "what", "?"), jstr(e, "provider", "-"), jstr(e, "priority", "?"),
		       jint(e, "requests"), json_number_value(json_object_get(e, "running_s")));
	}
	long long queued = 0;
	const char *k;
	json_t *val;
	json_object_foreach(q, k, val)
		if (strcmp(k, "oldest_s") != 0)
			queued += json_integer_value(val);
	if (!queued) {
		printf("queued:        none\n");
	} else {
		printf("queued:       ");
		json_object_foreach(q, k, val)
			if (strcmp(k, "oldest_s") != 0)
				printf(" %s %lld", k, (long long)json_integer_value(val));
		printf(" (oldest %.1f s)\n", json_number_value(json_object_get(q, "oldest_s")));
	}
	printf("recent errors: %s\n", json_array_size(errs) ? "" : "none");
	json_array_foreach(errs, i, e) {
		char what[96];
		json_t *year = json_object_get(e, "year");
		if (json_is_integer(year))
			snprintf(what, sizeof(what), "%s/%s/%lld", jstr(e, "symbol", "?"),
				 jstr(e, "timeframe", "?"), (long long)json_integer_value(year));
		else
			snprintf(what, sizeof(what), "%s/%s", jstr(e, "symbol", "?"),
				 jstr(e, "what", "?"));
		printf("  %s  %-20s %-12s %s: %s\n", jstr(e, "at", "?"), what,
		       jstr(e, "provider", "?"), jstr(e, "error", "?"), jstr(e, "reason", ""));
	}
}

int ctl_cmd_status(struct ctl *x)
{
	struct peer peers[MAX_PEERS];
	unsigned npeers;
	struct daemon_view v;
	json_t *st;

	daemon_view(x, peers, &npeers, &v);
	st = v.status ? json_incref(v.status) : local_json(x, mfs_cache_status_json);
	if (!st) {
		json_decref(v.status);
		return CTL_EXIT_FAILED;
	}
	if (x->json) {
		json_dumpf(st, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_status(st, peers, npeers, &v);
	}
	json_decref(st);
	json_decref(v.status);
	return CTL_EXIT_OK;
}

/* ---- providers --------------------------------------------------------- */

int ctl_cmd_providers(struct ctl *x)
{
	struct peer peers[MAX_PEERS];
	unsigned npeers;
	struct daemon_view v;
	json_t *o = NULL, *a, *p;
	size_t i;

	if (daemon_view(x, peers, &npeers, &v)) {
		char path[PATH_MAX + 32], *text;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/_metadata/providers.json", v.mnt);
		if ((text = read_with_timeout(path, &len))) {
			o = json_loadb(text, len, 0, NULL);
			free(text);
		}
	}
	if (!o) {
		json_decref(v.status);
		v.status = NULL;
		o = local_json(x, mfs_cache_providers_json);
	}
	if (!o) {
		json_decref(v.status);
		return CTL_EXIT_FAILED;
	}
	if (x->json) {
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		goto out;
	}
	a = json_object_get(o, "providers");
	printf("%-13s %-8s %-4s %-9s %9s %7s  %-11s %8s\n", "provider", "enabled", "key",
	       "health", "requests", "errors", "rate limit", "tokens");
	json_array_foreach(a, i, p) {
		json_t *rl = json_object_get(p, "rate_limit");
		const char *key = json_is_true(json_object_get(p, "has_key"))	  ? "yes"
				  : json_is_true(json_object_get(p, "needs_key")) ? "no"
										  : "-";
		printf("%-13s %-8s %-4s %-9s %9lld %7lld  %-11s %8.1f\n", jstr(p, "name", "?"),
		       json_is_true(json_object_get(p, "enabled")) ? "yes" : "no", key,
		       jstr(p, "health", "?"), jint(p, "requests"), jint(p, "errors"),
		       jstr(rl, "limit", "-"), json_number_value(json_object_get(rl, "tokens")));
	}
	if (v.status)
		printf("(as counted by the daemon mounted at %s)\n", v.mnt);
	else if (!x->quiet)
		printf("(no daemon answered for this cache: counters are this process's, so zero)\n");
out:
	json_decref(o);
	json_decref(v.status);
	return CTL_EXIT_OK;
}

/* ---- reindex ----------------------------------------------------------- */

int ctl_cmd_reindex(struct ctl *x)
{
	struct mfs_error err = { 0 };
	unsigned files = 0;

	if (mfs_cache_reindex(x->cache, &files, &err) != MFS_OK) {
		fprintf(stderr, "marketfs-ctl: reindex: %s\n", err.msg);
		return CTL_EXIT_FAILED;
	}
	printf("reindex: %u file%s indexed in %s/_metadata/index.db\n", files, files == 1 ? "" : "s",
	       mfs_cache_root(x->cache));
	return CTL_EXIT_OK;
}

/* ---- gc / evict -------------------------------------------------------- */

struct gc_out {
	bool dry_run, quiet;
};

static void each_removed(void *arg, const char *rel, uint64_t bytes)
{
	const struct gc_out *g = arg;
	char size[32];

	if (g->quiet)
		return;
	ctl_fmt_bytes(bytes, size, sizeof(size));
	printf("%s %s (%s)\n", g->dry_run ? "would remove" : "removed", rel, size);
}

int ctl_cmd_gc(struct ctl *x)
{
	struct mfs_evict_report r = { 0 };
	struct mfs_error err = { 0 };
	struct gc_out g = { x->dry_run, x->quiet };
	char removed[32], before[32], after[32], limit[32], target[32];

	if (mfs_cache_evict(x->cache, x->dry_run, &r, each_removed, &g, &err) != MFS_OK) {
		fprintf(stderr, "marketfs-ctl: evict: %s\n", err.msg);
		return CTL_EXIT_FAILED;
	}
	ctl_fmt_bytes(r.removed_bytes, removed, sizeof(removed));
	ctl_fmt_bytes(r.before_bytes, before, sizeof(before));
	ctl_fmt_bytes(r.after_bytes, after, sizeof(after));
	ctl_fmt_bytes(r.limit_bytes, limit, sizeof(limit));
	ctl_fmt_bytes(r.target_bytes, target, sizeof(target));
	printf("evict%s: %s %u year files with their sidecars, %s; cache %s -> %s; ",
	       x->dry_run ? " (dry run)" : "", x->dry_run ? "would remove" : "removed",
	       r.removed_files, removed, before, after);
	if (r.limit_bytes)
		printf("limit %s (cleans down to %s)", limit, target);
	else
		printf("no cache_max_size set");
	if (x->cfg->free_space_floor) {
		char fb[32], fa[32], floor[32];
		ctl_fmt_bytes((uint64_t)x->cfg->free_space_floor, floor, sizeof(floor));
		ctl_fmt_bytes(r.free_before, fb, sizeof(fb));
		ctl_fmt_bytes(r.free_after, fa, sizeof(fa));
		printf("; free space %s -> %s (floor %s)", fb, fa, floor);
	}
	if (r.skipped_open || r.skipped_watched)
		printf("; kept %u open and %u watched files", r.skipped_open, r.skipped_watched);
	printf("\n");
	return CTL_EXIT_OK;
}
