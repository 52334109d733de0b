/*
 * Fundamentals at rest: SYMBOL/fundamentals/PROVIDER_YYYYMMDD_HHMMSS.json
 * snapshots, and combined.json, their merge (SPEC section 2).
 *
 * A snapshot is one provider's answer at one time: the common fields,
 * normalised, plus its raw answer. A newer snapshot of a provider replaces
 * the older ones. combined.json is never stored: it is generated from the
 * newest snapshot of each provider, field by field in the configured
 * priority (fundamentals_priority), with `sources` and `as_of` naming the
 * provider and time of each field. When the newest snapshot is older than
 * fundamentals_ttl, reading combined.json asks every usable provider again;
 * one failing does not stop the others, and if all fail the old snapshots
 * are served.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <marketfs/cache.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "cache/cache_impl.h"
#include "cache/sidecar.h"
#include "cache/store.h"

#define FUND_DIR "fundamentals"
#define SNAPSHOT_MAX_BYTES (8 * 1024 * 1024)
#define MAX_FUND_PROVIDERS MFS_PROV__COUNT

/* "fmp_20250106_143022.json" -> provider id and time; false if not a snapshot. */
bool mfs_fund_parse_name(const char *name, int *prov, int64_t *t)
{
	const char *us = strchr(name, '_');
	char pname[32];
	int y, mo, d, h, mi, se, n = 0;

	if (!us || (size_t)(us - name) >= sizeof(pname))
		return false;
	memcpy(pname, name, (size_t)(us - name));
	pname[us - name] = '\0';
	*prov = mfs_provider_parse(pname);
	if (*prov < 0)
		return false;
	if (sscanf(us + 1, "%4d%2d%2d_%2d%2d%2d.json%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 ||
	    us[1 + n] != '\0' || n != 20)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	*t = mfs_days_from_civil(y, (unsigned)mo, (unsigned)d) * MFS_SECONDS_PER_DAY + h * 3600 +
	     mi * 60 + se;
	return true;
}

static void snapshot_name(int prov, int64_t t, char *out, size_t len)
{
	int y;
	unsigned mo, d;
	int64_t days = t / MFS_SECONDS_PER_DAY, sod = t % MFS_SECONDS_PER_DAY;

	mfs_civil_from_days(days, &y, &mo, &d);
	snprintf(out, len, "%s_%04d%02u%02u_%02d%02d%02d.json",
		 mfs_provider_name((enum mfs_provider_id)prov), y, mo, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60));
}

static int fund_dir(const struct mfs_cache *c, const char *symbol, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s/%s", c->store.root, symbol, FUND_DIR);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The newest snapshot of each provider: names[prov] (empty if none), times. */
struct newest {
	char name[MFS_PROV__COUNT][64];
	int64_t t[MFS_PROV__COUNT];
	int64_t newest; /* over all providers, 0 if none */
};

static void find_newest(const struct mfs_cache *c, const char *symbol, struct newest *nw)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;

	memset(nw, 0, sizeof(*nw));
	if (fund_dir(c, symbol, dir, sizeof(dir)) < 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		int prov;
		int64_t t;
		if (!mfs_fund_parse_name(de->d_name, &prov, &t))
			continue;
		if (t > nw->t[prov]) {
			nw->t[prov] = t;
			snprintf(nw->name[prov], sizeof(nw->name[prov]), "%s", de->d_name);
		}
		if (t > nw->newest)
			nw->newest = t;
	}
	closedir(d);
}

void mfs_cache_fundamentals_list(struct mfs_cache *c, const char *symbol, mfs_symbol_fn fn,
				 void *arg)
{
	struct newest nw;

	find_newest(c, symbol, &nw);
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		if (nw.name[p][0])
			fn(arg, nw.name[p]);
}

bool mfs_cache_fundamentals_exists(struct mfs_cache *c, const char *symbol, const char *name)
{
	struct newest nw;
	int prov;
	int64_t t;

	if (!mfs_fund_parse_name(name, &prov, &t))
		return false;
	find_newest(c, symbol, &nw);
	return strcmp(nw.name[prov], name) == 0;
}

int mfs_cache_fundamentals_open(struct mfs_cache *c, const char *symbol, const char *name,
				struct stat *st)
{
	char dir[4096], path[4200];
	int fd;

	if (fund_dir(c, symbol, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (st && fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Store one provider's answer and remove its older snapshots. */
static enum mfs_err store_snapshot(struct mfs_cache *c, const char *symbol, int prov, int64_t t,
				   const struct mfs_fundamentals *f, struct mfs_error *err)
{
	char dir[4096], name[64], tmp[4300], path[4300];
	json_t *o = json_object();
	char *text = NULL;
	size_t len;
	enum mfs_err rc;
	char when[32];

	if (!o)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	mfs_format_iso8601(t, when, sizeof(when));
	json_object_set_new(o, "provider", json_string(mfs_provider_name((enum mfs_provider_id)prov)));
	json_object_set_new(o, "fetched_at", json_string(when));
	for (int i = 0; i < MFS_FUND_NFIELDS; i++) {
		json_t *v = json_object_get(f->fields, mfs_fund_fields[i]);
		json_object_set(o, mfs_fund_fields[i], v ? v : json_null());
	}
	json_object_set(o, "raw", f->raw ? f->raw : json_null());
	rc = mfs_json_render(o, &text, &len, err);
	json_decref(o);
	if (rc != MFS_OK)
		return rc;

	if (fund_dir(c, symbol, dir, sizeof(dir)) < 0 || mfs_mkdirs(dir) < 0) {
		free(text);
		return mfs_error_set(err, MFS_ERR_IO, "cannot create %s/%s: %s", symbol, FUND_DIR,
				     strerror(errno));
	}
	snapshot_name(prov, t, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.XXXXXX", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(text);
		return mfs_error_set(err, MFS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	}
	ssize_t w = write(fd, text, len);
	free(text);
	if (w != (ssize_t)len || fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		rc = mfs_error_set(err, MFS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return rc;
	}
	/* the older snapshots of this provider go once the new one is there */
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int p2;
		int64_t t2;
		if (mfs_fund_parse_name(de->d_name, &p2, &t2) && p2 == prov &&
		    strcmp(de->d_name, name) != 0) {
			char old[4300];
			snprintf(old, sizeof(old), "%s/%s", dir, de->d_name);
			if (unlink(old) == 0 && c->hooks.snapshot_removed)
				c->hooks.snapshot_removed(c->hook_arg, symbol, de->d_name);
		}
	}
	if (d)
		closedir(d);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return MFS_OK;
}

void mfs_cache_run_fundamentals(struct mfs_cache *c, struct job *j, struct mfs_http *http)
{
	struct mfs_provider *chain[MAX_FUND_PROVIDERS];
	enum mfs_class cls = mfs_cache_classify(c, j->symbol);
	unsigned n = mfs_providers_fundamentals_chain(c->provs, cls, chain, MAX_FUND_PROVIDERS);
	unsigned ok = 0, not_found = 0;
	struct mfs_error err = { 0 }, first = { 0 };

	for (unsigned i = 0; i < n; i++) {
		const struct mfs_provider_ops *ops = mfs_provider_ops(chain[i]);
		struct mfs_fetch_ctx ctx = { .http = http, .prov = chain[i],
					     .deadline_ms = j->deadline_ms, .now = mfs_wall_now(),
					     .live_requests = &j->requests,
					     .background = &j->background };
		struct mfs_fundamentals f = { 0 };
		char psym[128];
		enum mfs_err rc;

		if (ops->map_symbol)
			ops->map_symbol(j->symbol, cls, psym, sizeof(psym));
		else
			snprintf(psym, sizeof(psym), "%s", j->symbol);
		mfs_cache_job_provider(c, j, ops->name);
		mfs_error_clear(&err);
		int64_t t0 = mfs_now_ms(); /* for the log event */
		rc = ops->fundamentals(&ctx, j->symbol, psym, &f, &err);
		if (rc == MFS_OK)
			rc = store_snapshot(c, j->symbol, (int)mfs_provider_parse(ops->name), ctx.now,
					    &f, &err);
		mfs_fundamentals_free(&f);
		mfs_provider_note(chain[i], rc, err.msg);
		const struct mfs_log_fields lf = {
			.event = "fundamentals", .symbol = j->symbol, .provider = ops->name,
			.result = rc == MFS_OK ? "ok" : "error",
			.error = rc == MFS_OK ? NULL : mfs_err_name(rc),
			.duration_ms = mfs_now_ms() - t0, .requests = ctx.requests,
			.has = MFS_LOGF_DURATION | MFS_LOGF_REQUESTS,
		};
		if (rc == MFS_OK) {
			ok++;
			mfs_log_event(MFS_LOG_INFO, &lf, "%s: fundamentals from %s stored", j->symbol,
				      ops->name);
			continue;
		}
		if (rc == MFS_ERR_NOT_FOUND)
			not_found++;
		if (first.code == MFS_OK)
			first = err;
		mfs_log_event(rc == MFS_ERR_NOT_FOUND ? MFS_LOG_NOTICE : MFS_LOG_WARN, &lf,
			      "%s/fundamentals: %s", j->symbol, err.msg);
		mfs_cache_note_error(c, j->symbol, NULL, 0, ops->name, rc, err.msg);
	}
	if (ok) {
		j->result = MFS_OK;
		j->want_installed = true;
	} else if (n == 0) {
		j->result = MFS_ERR_NOT_FOUND;
		snprintf(j->msg, sizeof(j->msg),
			 "%s: no fundamentals provider is usable (stocks and ETFs only; FMP, Alpha "
			 "Vantage, Polygon and Tiingo need an API key)",
			 j->symbol);
	} else {
		j->result = not_found == n ? MFS_ERR_NOT_FOUND : first.code;
		snprintf(j->msg, sizeof(j->msg), "%s", first.msg);
	}
}

/* Snapshots are stale once the newest is older than fundamentals_ttl. */
static bool fresh(const struct mfs_cache *c, const struct newest *nw)
{
	return nw->newest && mfs_wall_now() - nw->newest < c->cfg->fundamentals_ttl_s;
}

static enum mfs_err ensure_prio(struct mfs_cache *c, const char *symbol, struct mfs_cancel *cancel,
				enum mfs_prio prio, bool force, struct mfs_error *err);

enum mfs_err mfs_cache_fundamentals_ensure(struct mfs_cache *c, const char *symbol,
					   struct mfs_cancel *cancel, struct mfs_error *err)
{
	return ensure_prio(c, symbol, cancel, MFS_PRIO_FOREGROUND, false, err);
}

enum mfs_err mfs_cache_fundamentals_refresh(struct mfs_cache *c, const char *symbol,
					    enum mfs_prio prio, bool force, struct mfs_error *err)
{
	return ensure_prio(c, symbol, NULL, prio, force, err);
}

static enum mfs_err ensure_prio(struct mfs_cache *c, const char *symbol, struct mfs_cancel *cancel,
				enum mfs_prio prio, bool force, struct mfs_error *err)
{
	struct newest nw;
	struct job *j;
	enum mfs_err rc, jr;
	char msg[MFS_ERRMSG_MAX];
	bool installed;
	int jy;

	find_newest(c, symbol, &nw);
	if ((!force && fresh(c, &nw)) || (c->cfg->offline && nw.newest))
		return MFS_OK;
	if (c->cfg->offline)
		return mfs_error_set(err, MFS_ERR_OFFLINE,
				     "%s: no fundamentals cached and marketfs is offline", symbol);
	int64_t t0 = mfs_now_ms(); /* for the log event */
	j = calloc(1, sizeof(*j));
	if (!j)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	snprintf(j->symbol, sizeof(j->symbol), "%s", symbol);
	j->tf = MFS_TF_INVALID;
	j->fundamentals = true;
	j->prio = prio;
	j->force = force;
	j->deadline_ms = mfs_now_ms() + (int64_t)c->cfg->fetch_timeout_s * 1000;
	rc = mfs_cache_wait_job(c, j, cancel, j->deadline_ms, &jr, msg, sizeof(msg), &installed,
				&jy);
	if (rc == MFS_ERR_CANCELLED)
		return mfs_error_set(err, rc, "%s/fundamentals: interrupted; the fetch goes on",
				     symbol);
	if (rc == MFS_OK && jr == MFS_OK)
		return MFS_OK;
	if (nw.newest) {
		const struct mfs_log_fields lf = {
			.event = "fundamentals", .symbol = symbol, .result = "stale",
			.error = mfs_err_name(rc == MFS_OK ? jr : rc),
			.duration_ms = mfs_now_ms() - t0,
			.has = MFS_LOGF_DURATION,
		};
		mfs_log_event(MFS_LOG_WARN, &lf,
			      "%s/fundamentals: refresh failed (%s); serving the older snapshots",
			      symbol, rc == MFS_OK ? msg : "no answer within fetch_timeout");
		return MFS_OK;
	}
	if (rc != MFS_OK)
		return mfs_error_set(err, rc, "%s/fundamentals: no answer within fetch_timeout",
				     symbol);
	return mfs_error_set(err, jr, "%s", msg);
}

static json_t *load_snapshot(const struct mfs_cache *c, const char *symbol, const char *name)
{
	char dir[4096], path[4300];
	json_error_t je;

	if (fund_dir(c, symbol, dir, sizeof(dir)) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return json_load_file(path, 0, &je);
}

enum mfs_err mfs_cache_combined_json(struct mfs_cache *c, const char *symbol, char **out,
				     size_t *len, struct mfs_error *err)
{
	struct newest nw;
	json_t *snap[MFS_PROV__COUNT] = { 0 };
	json_t *o = json_object(), *sources = json_object(), *as_of = json_object(),
	       *provs = json_array();
	char when[32];
	enum mfs_err rc;

	find_newest(c, symbol, &nw);
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		if (nw.name[p][0])
			snap[p] = load_snapshot(c, symbol, nw.name[p]);
	json_object_set_new(o, "symbol", json_string(symbol));
	for (int i = 0; i < MFS_FUND_NFIELDS; i++) {
		const char *k = mfs_fund_fields[i];
		json_t *val = NULL;
		const char *src = NULL, *at = NULL;

		if (strcmp(k, "symbol") == 0 || strcmp(k, "as_of") == 0)
			continue; /* as_of is per field here (below) */
		for (unsigned r = 0; r < c->cfg->n_fundamentals_priority && !val; r++) {
			int p = (int)c->cfg->fundamentals_priority[r];
			json_t *v = snap[p] ? json_object_get(snap[p], k) : NULL;
			if (v && !json_is_null(v)) {
				val = v;
				src = mfs_provider_name((enum mfs_provider_id)p);
				/* the provider's own date for its data, else when we asked */
				at = json_string_value(json_object_get(snap[p], "as_of"));
				if (!at)
					at = json_string_value(json_object_get(snap[p], "fetched_at"));
			}
		}
		json_object_set(o, k, val ? val : json_null());
		json_object_set_new(sources, k, src ? json_string(src) : json_null());
		json_object_set_new(as_of, k, at ? json_string(at) : json_null());
	}
	json_object_set_new(o, "sources", sources);
	json_object_set_new(o, "as_of", as_of);
	for (unsigned r = 0; r < c->cfg->n_fundamentals_priority; r++) {
		int p = (int)c->cfg->fundamentals_priority[r];
		if (!snap[p])
			continue;
		json_t *e = json_object();
		json_object_set_new(e, "provider", json_string(mfs_provider_name((enum mfs_provider_id)p)));
		json_object_set_new(e, "snapshot", json_string(nw.name[p]));
		json_object_set(e, "fetched_at", json_object_get(snap[p], "fetched_at"));
		json_array_append_new(provs, e);
	}
	json_object_set_new(o, "snapshots", provs);
	mfs_format_iso8601(mfs_wall_now(), when, sizeof(when));
	json_object_set_new(o, "generated_at", json_string(when));
	if (nw.newest) {
		mfs_format_iso8601(nw.newest + c->cfg->fundamentals_ttl_s, when, sizeof(when));
		json_object_set_new(o, "stale_after", json_string(when));
	} else {
		json_object_set_new(o, "stale_after", json_null());
	}
	rc = mfs_json_render(o, out, len, err);
	json_decref(o);
	for (int p = 0; p < MFS_PROV__COUNT; p++)
		json_decref(snap[p]);
	return rc;
}
