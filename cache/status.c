/*
 * Generated files that describe the cache and the daemon (SPEC section 1):
 * SYMBOL/info.json, _metadata/symbols.json, providers.json, status.json
 * and metrics (Prometheus text format). All come from local state only:
 * generating them never sends a provider request.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <marketfs/cache.h>
#include <marketfs/provider.h>

#include "cache/cache_impl.h"
#include "cache/sidecar.h"

#define JOB_VIEWS 64

static json_t *iso_or_null(int64_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	mfs_format_iso8601(t, buf, sizeof(buf));
	return json_string(buf);
}

/* Cached years of (symbol, tf), from the tree. */
static json_t *cached_years(struct mfs_cache *c, const char *symbol, enum mfs_tf tf)
{
	char dir[4096];
	json_t *a = json_array();
	int years[MFS_LAST_YEAR - MFS_FIRST_YEAR + 1];
	unsigned n = 0;
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/%s/%s", c->store.root, symbol, mfs_tf_name(tf));
	if (!(d = opendir(dir)))
		return a;
	while ((de = readdir(d))) {
		int y;
		char tail[16];
		if (sscanf(de->d_name, "%4d.%15s", &y, tail) == 2 && strcmp(tail, "csv.gz") == 0 &&
		    y >= MFS_FIRST_YEAR && y <= MFS_LAST_YEAR && n < sizeof(years) / sizeof(years[0]))
			years[n++] = y;
	}
	closedir(d);
	for (unsigned i = 1; i < n; i++) /* few entries: insertion sort */
		for (unsigned k = i; k > 0 && years[k - 1] > years[k]; k--) {
			int t = years[k];
			years[k] = years[k - 1];
			years[k - 1] = t;
		}
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_integer(years[i]));
	return a;
}

/* The symbol's description: class, mappings, chains, first trade, cached years. */
static json_t *symbol_object(struct mfs_cache *c, const char *symbol)
{
	enum mfs_class cls = mfs_cache_classify(c, symbol);
	json_t *o = json_object(), *map = json_object(), *chains = json_object(),
	       *years = json_object(), *fund = json_array();
	struct mfs_index_symbol s = { .close_minute = -1 };
	struct mfs_provider *chain[MFS_MAX_ATTEMPTS];

	json_object_set_new(o, "symbol", json_string(symbol));
	json_object_set_new(o, "class", json_string(mfs_class_name(cls)));
	for (int p = 0; p < MFS_PROV__COUNT; p++) {
		struct mfs_provider *pr = mfs_providers_get(c->provs, (enum mfs_provider_id)p);
		char m[128];
		mfs_providers_map_symbol(c->provs, pr, symbol, cls, m, sizeof(m));
		json_object_set_new(map, mfs_provider_get_name(pr), json_string(m));
	}
	json_object_set_new(o, "class_source",
			    json_string(mfs_config_symbol_class(c->cfg, symbol) >= 0 ? "config"
										    : "symbol form"));
	json_object_set_new(o, "provider_symbols", map);
	json_t *derived = json_object();
	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		json_t *a = json_array();
		struct mfs_attempt att[MFS_MAX_ATTEMPTS];
		unsigned n = mfs_cache_attempts(c, cls, (enum mfs_tf)tf, att, MFS_MAX_ATTEMPTS);
		for (unsigned i = 0; i < n; i++) {
			json_array_append_new(a, json_string(mfs_provider_get_name(att[i].p)));
			if (att[i].tf != (enum mfs_tf)tf)
				json_object_set_new(derived, mfs_tf_name((enum mfs_tf)tf),
						    json_string(mfs_tf_name(att[i].tf)));
		}
		json_object_set_new(chains, mfs_tf_name((enum mfs_tf)tf), a);
		json_object_set_new(years, mfs_tf_name((enum mfs_tf)tf),
				    cached_years(c, symbol, (enum mfs_tf)tf));
	}
	json_object_set_new(o, "providers", chains);
	/* timeframes built from a finer one: by every provider when nobody
	 * serves them natively, else by the providers after the native ones */
	json_object_set_new(o, "derived_from", derived);
	unsigned n = mfs_providers_fundamentals_chain(c->provs, cls, chain, MFS_MAX_ATTEMPTS);
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(fund, json_string(mfs_provider_get_name(chain[i])));
	json_object_set_new(o, "fundamentals_providers", fund);
	mfs_index_get_symbol(c->idx, symbol, &s);
	json_object_set_new(o, "first_trade", iso_or_null(s.first_trade));
	json_object_set_new(o, "timezone", s.tz[0] ? json_string(s.tz) : json_null());
	json_object_set_new(o, "cached_years", years);
	json_object_set_new(o, "unknown", json_boolean(mfs_cache_symbol_unknown(c, symbol)));
	return o;
}

enum mfs_err mfs_cache_info_json(struct mfs_cache *c, const char *symbol, char **out,
				 size_t *len, struct mfs_error *err)
{
	json_t *o = symbol_object(c, symbol);
	enum mfs_err rc = mfs_json_render(o, out, len, err);

	json_decref(o);
	return rc;
}

struct sym_acc {
	struct mfs_cache *c;
	json_t *a;
};

static void add_symbol(void *arg, const char *symbol)
{
	struct sym_acc *acc = arg;

	json_array_append_new(acc->a, symbol_object(acc->c, symbol));
}

enum mfs_err mfs_cache_symbols_json(struct mfs_cache *c, char **out, size_t *len,
				    struct mfs_error *err)
{
	struct sym_acc acc = { c, json_array() };
	json_t *o = json_object();
	enum mfs_err rc;

	mfs_cache_symbols(c, add_symbol, &acc);
	json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(acc.a)));
	json_object_set_new(o, "symbols", acc.a);
	rc = mfs_json_render(o, out, len, err);
	json_decref(o);
	return rc;
}

static const char *health(const struct mfs_provider_stats *st, bool usable)
{
	if (!usable)
		return "disabled";
	if (!st->successes && !st->errors)
		return "unknown";
	return st->last_failed ? "failing" : "ok";
}

/*
 * The capability table: for each class, the timeframes served natively
 * and how far back each reaches now ("all" when the provider has no limit).
 */
static json_t *capabilities(const struct mfs_provider_ops *ops)
{
	json_t *o = json_object();
	int64_t now = mfs_wall_now();

	for (int cls = 0; cls < MFS_CLASS__COUNT; cls++) {
		json_t *tfs = json_object();

		for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
			int64_t e;

			if (!ops->serves((enum mfs_class)cls, (enum mfs_tf)tf))
				continue;
			e = ops->earliest((enum mfs_class)cls, (enum mfs_tf)tf, now);
			json_object_set_new(tfs, mfs_tf_name((enum mfs_tf)tf),
					    e == INT64_MIN || e <= 0 ? json_string("all")
								 : iso_or_null(e));
		}
		if (json_object_size(tfs))
			json_object_set_new(o, mfs_class_name((enum mfs_class)cls), tfs);
		else
			json_decref(tfs);
	}
	return o;
}

static json_t *provider_object(struct mfs_provider *p)
{
	const struct mfs_provider_conf *conf = mfs_provider_conf(p);
	const struct mfs_provider_ops *ops = mfs_provider_ops(p);
	struct mfs_provider_stats st;
	json_t *o = json_object(), *rl = json_object();
	char rate[32];

	mfs_provider_stats(p, &st);
	mfs_provider_rate_desc(p, rate, sizeof(rate));
	json_object_set_new(o, "name", json_string(ops->name));
	json_object_set_new(o, "enabled", json_boolean(conf->enabled));
	json_object_set_new(o, "needs_key", json_boolean(ops->needs_key));
	json_object_set_new(o, "has_key", json_boolean(mfs_provider_key(p) != NULL));
	json_object_set_new(o, "usable", json_boolean(mfs_provider_usable(p)));
	json_object_set_new(o, "bars", json_boolean(ops->fetch != NULL));
	json_object_set_new(o, "fundamentals", json_boolean(ops->fundamentals != NULL));
	json_object_set_new(o, "serves", capabilities(ops));
	json_object_set_new(o, "health", json_string(health(&st, mfs_provider_usable(p))));
	json_object_set_new(o, "requests", json_integer((json_int_t)st.requests));
	json_object_set_new(o, "successes", json_integer((json_int_t)st.successes));
	json_object_set_new(o, "errors", json_integer((json_int_t)st.errors));
	json_object_set_new(o, "success_rate", st.successes + st.errors
				? json_real((double)st.successes / (double)(st.successes + st.errors))
				: json_null());
	json_object_set_new(o, "last_success", iso_or_null(st.last_ok));
	json_object_set_new(o, "last_error_at", iso_or_null(st.last_error_at));
	json_object_set_new(o, "last_error", st.last_error[0] ? json_string(st.last_error)
							       : json_null());
	json_object_set_new(o, "mean_latency_ms",
			    st.mean_latency_ms > 0 ? json_real(st.mean_latency_ms) : json_null());
	json_object_set_new(rl, "limit", json_string(rate));
	json_object_set_new(rl, "tokens", json_real(st.tokens));
	json_object_set_new(rl, "next_token_in_s", json_real(st.next_token_s));
	json_object_set_new(rl, "retry_after_s", json_real(st.blocked_s));
	json_object_set_new(o, "rate_limit", rl);
	return o;
}

enum mfs_err mfs_cache_providers_json(struct mfs_cache *c, char **out, size_t *len,
				      struct mfs_error *err)
{
	json_t *o = json_object(), *a = json_array();
	enum mfs_err rc;

	for (int p = 0; p < MFS_PROV__COUNT; p++)
		json_array_append_new(a, provider_object(mfs_providers_get(c->provs,
									   (enum mfs_provider_id)p)));
	json_object_set_new(o, "providers", a);
	rc = mfs_json_render(o, out, len, err);
	json_decref(o);
	return rc;
}

/* Bytes and files of the cache tree (its data, not the index). */
static void tree_size(const char *dir, int depth, unsigned long long *bytes,
		      unsigned long long *files)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat sb;
		if (de->d_name[0] == '.' || (depth == 0 && strcmp(de->d_name, "_metadata") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (depth < 3)
				tree_size(path, depth + 1, bytes, files);
		} else if (S_ISREG(sb.st_mode)) {
			*bytes += (unsigned long long)sb.st_size;
			(*files)++;
		}
	}
	closedir(d);
}

/* The watch list and daily maintenance, as the scheduler sees them. */
static json_t *scheduler_object(struct mfs_cache *c)
{
	struct mfs_sched_state st;
	json_t *o = json_object(), *w = json_object(), *m = json_object();

	mfs_cache_scheduler_state(c, &st);
	json_object_set_new(o, "running", json_boolean(st.running));
	json_object_set_new(w, "files", json_integer(st.watched_files));
	json_object_set_new(w, "failing", json_integer(st.watch_failing));
	json_object_set_new(w, "next_check", iso_or_null(st.next_watch));
	json_object_set_new(o, "watch", w);
	json_object_set_new(m, "enabled", json_boolean(st.maintenance));
	json_object_set_new(m, "current_run", st.current_run[0] ? json_string(st.current_run)
							      : json_null());
	json_object_set_new(m, "current_step",
			    st.current_run[0] ? json_string(mfs_maint_step_name(st.current_step))
					      : json_null());
	for (int i = 0; i < MFS_MAINT__COUNT; i++) {
		json_t *k = json_object();
		json_object_set_new(k, "next_run", iso_or_null(st.cls[i].next_run));
		json_object_set_new(k, "last_run", st.cls[i].last_run[0]
							  ? json_string(st.cls[i].last_run)
							  : json_null());
		json_object_set_new(k, "last_step", json_integer(st.cls[i].last_step));
		json_object_set_new(k, "last_finished", iso_or_null(st.cls[i].last_finished));
		json_object_set_new(m, st.cls[i].name, k);
	}
	json_object_set_new(o, "maintenance", m);
	return o;
}

enum mfs_err mfs_cache_status_json(struct mfs_cache *c, char **out, size_t *len,
				   struct mfs_error *err)
{
	json_t *o = json_object(), *cache = json_object(), *fl = json_array(),
	       *queue = json_object(), *errs = json_array();
	struct mfs_job_view views[JOB_VIEWS];
	unsigned long long bytes = 0, files = 0;
	unsigned n = mfs_cache_jobs(c, views, JOB_VIEWS), queued[MFS_PRIO__COUNT] = { 0 };
	double oldest = 0;
	enum mfs_err rc;

	tree_size(c->store.root, 0, &bytes, &files);
	json_object_set_new(o, "version", json_string(MFS_VERSION));
	json_object_set_new(o, "started", iso_or_null(c->started));
	json_object_set_new(o, "uptime_s", json_integer(mfs_wall_now() - c->started));
	json_object_set_new(o, "offline", json_boolean(c->cfg->offline));
	json_object_set_new(cache, "dir", json_string(c->store.root));
	json_object_set_new(cache, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(cache, "files", json_integer((json_int_t)files));
	json_object_set_new(cache, "hits", json_integer((json_int_t)atomic_load(&c->hits)));
	json_object_set_new(cache, "misses", json_integer((json_int_t)atomic_load(&c->misses)));
	json_object_set_new(cache, "installs", json_integer((json_int_t)atomic_load(&c->installs)));
	json_object_set_new(o, "cache", cache);
	for (unsigned i = 0; i < n && i < JOB_VIEWS; i++) {
		if (!views[i].running) {
			queued[views[i].prio]++;
			if (views[i].age_s > oldest)
				oldest = views[i].age_s;
			continue;
		}
		json_t *f = json_object();
		json_object_set_new(f, "symbol", json_string(views[i].symbol));
		json_object_set_new(f, "what", json_string(views[i].what));
		json_object_set_new(f, "provider", views[i].provider[0]
						   ? json_string(views[i].provider) : json_null());
		json_object_set_new(f, "priority", json_string(mfs_prio_name(views[i].prio)));
		json_object_set_new(f, "requests", json_integer(views[i].requests));
		json_object_set_new(f, "running_s", json_real(views[i].age_s));
		json_array_append_new(fl, f);
	}
	json_object_set_new(o, "in_flight", fl);
	for (int p = 0; p < MFS_PRIO__COUNT; p++)
		json_object_set_new(queue, mfs_prio_name((enum mfs_prio)p), json_integer(queued[p]));
	json_object_set_new(queue, "oldest_s", json_real(oldest));
	json_object_set_new(o, "queue", queue);
	pthread_mutex_lock(&c->errs_mu);
	for (unsigned i = 0; i < c->n_errs; i++) {
		/* newest first */
		unsigned k = (c->next_err + MFS_RECENT_ERRORS - 1 - i) % MFS_RECENT_ERRORS;
		const struct mfs_recent_error *e = &c->errs[k];
		json_t *x = json_object();
		json_object_set_new(x, "at", iso_or_null(e->at));
		json_object_set_new(x, "symbol", json_string(e->symbol));
		json_object_set_new(x, "timeframe", e->tf[0] ? json_string(e->tf) : json_null());
		json_object_set_new(x, "year", e->year ? json_integer(e->year) : json_null());
		json_object_set_new(x, "what", json_string(e->tf[0] ? "bars" : "fundamentals"));
		json_object_set_new(x, "provider", json_string(e->provider));
		json_object_set_new(x, "error", json_string(e->kind));
		json_object_set_new(x, "reason", json_string(e->reason));
		json_array_append_new(errs, x);
	}
	pthread_mutex_unlock(&c->errs_mu);
	json_object_set_new(o, "recent_errors", errs);
	json_object_set_new(o, "scheduler", scheduler_object(c));
	rc = mfs_json_render(o, out, len, err);
	json_decref(o);
	return rc;
}

/* A growing text buffer for the metrics. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = t->cap - t->len;
		va_start(ap, fmt);
		int n = t->p ? vsnprintf(t->p + t->len, room, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		char *np = realloc(t->p, cap);
		if (!np) {
			t->failed = 1;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum mfs_err mfs_cache_metrics_text(struct mfs_cache *c, char **out, size_t *len,
				    struct mfs_error *err)
{
	struct text t = { 0 };
	struct mfs_job_view views[JOB_VIEWS];
	unsigned long long bytes = 0, files = 0;
	unsigned n = mfs_cache_jobs(c, views, JOB_VIEWS), running = 0;
	unsigned queued[MFS_PRIO__COUNT] = { 0 };
	struct mfs_provider_stats st[MFS_PROV__COUNT];

	for (unsigned i = 0; i < n && i < JOB_VIEWS; i++) {
		running += views[i].running;
		if (!views[i].running)
			queued[views[i].prio]++;
	}
	tree_size(c->store.root, 0, &bytes, &files);
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		mfs_provider_stats(mfs_providers_get(c->provs, (enum mfs_provider_id)p), &st[p]);

	family(&t, "marketfs_up", "gauge", "1 while the daemon serves.");
	put(&t, "marketfs_up 1\n");
	family(&t, "marketfs_uptime_seconds", "gauge", "Seconds since the daemon started.");
	put(&t, "marketfs_uptime_seconds %lld\n", (long long)(mfs_wall_now() - c->started));
	family(&t, "marketfs_cache_bytes", "gauge", "Bytes of cached files.");
	put(&t, "marketfs_cache_bytes %llu\n", bytes);
	family(&t, "marketfs_cache_files", "gauge", "Cached files.");
	put(&t, "marketfs_cache_files %llu\n", files);
	family(&t, "marketfs_cache_hits_total", "counter", "Opens served from the cache.");
	put(&t, "marketfs_cache_hits_total %llu\n", (unsigned long long)atomic_load(&c->hits));
	family(&t, "marketfs_cache_misses_total", "counter", "Opens that needed a fetch.");
	put(&t, "marketfs_cache_misses_total %llu\n", (unsigned long long)atomic_load(&c->misses));
	family(&t, "marketfs_installs_total", "counter", "Files installed into the cache.");
	put(&t, "marketfs_installs_total %llu\n", (unsigned long long)atomic_load(&c->installs));
	family(&t, "marketfs_fetch_errors_total", "counter", "Failed provider fetches.");
	put(&t, "marketfs_fetch_errors_total %llu\n",
	    (unsigned long long)atomic_load(&c->fetch_errors));
	family(&t, "marketfs_fetches_in_flight", "gauge", "Fetches running now.");
	put(&t, "marketfs_fetches_in_flight %u\n", running);
	family(&t, "marketfs_fetch_queue", "gauge", "Fetches waiting, by priority.");
	for (int p = 0; p < MFS_PRIO__COUNT; p++)
		put(&t, "marketfs_fetch_queue{priority=\"%s\"} %u\n", mfs_prio_name((enum mfs_prio)p),
		    queued[p]);

	family(&t, "marketfs_provider_requests_total", "counter", "HTTP requests sent.");
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		put(&t, "marketfs_provider_requests_total{provider=\"%s\"} %llu\n",
		    mfs_provider_name((enum mfs_provider_id)p), (unsigned long long)st[p].requests);
	family(&t, "marketfs_provider_fetches_total", "counter", "Fetches by result.");
	for (int p = 0; p < MFS_PROV__COUNT; p++) {
		const char *name = mfs_provider_name((enum mfs_provider_id)p);
		put(&t, "marketfs_provider_fetches_total{provider=\"%s\",result=\"ok\"} %llu\n", name,
		    (unsigned long long)st[p].successes);
		put(&t, "marketfs_provider_fetches_total{provider=\"%s\",result=\"error\"} %llu\n",
		    name, (unsigned long long)st[p].errors);
	}
	family(&t, "marketfs_provider_up", "gauge",
	       "1 if the provider's last fetch succeeded (or none failed yet).");
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		put(&t, "marketfs_provider_up{provider=\"%s\"} %d\n",
		    mfs_provider_name((enum mfs_provider_id)p),
		    st[p].last_failed ? 0 : 1);
	family(&t, "marketfs_provider_latency_seconds", "gauge",
	       "Mean time to an HTTP answer.");
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		put(&t, "marketfs_provider_latency_seconds{provider=\"%s\"} %.6f\n",
		    mfs_provider_name((enum mfs_provider_id)p), st[p].mean_latency_ms / 1000.0);
	family(&t, "marketfs_provider_rate_tokens", "gauge", "Rate-limit tokens available now.");
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		put(&t, "marketfs_provider_rate_tokens{provider=\"%s\"} %.3f\n",
		    mfs_provider_name((enum mfs_provider_id)p), st[p].tokens);
	if (t.failed || !t.p) {
		free(t.p);
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	}
	*out = t.p;
	*len = t.len;
	return MFS_OK;
}
