/*
 * Corporate actions in the cache tree (actions.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <marketfs/cache.h>
#include <marketfs/http.h>
#include <marketfs/limits.h>
#include <marketfs/log.h>
#include <marketfs/timeframe.h>

#include "cache/actions.h"
#include "cache/cache_impl.h"
#include "cache/csvgz.h"
#include "cache/sidecar.h"
#include "cache/store.h"

#define ACTIONS_MAX_BYTES (4u << 20)

static const char *type_name(enum mfs_action_type t)
{
	return t == MFS_ACTION_SPLIT ? "split" : "dividend";
}

static int push(struct mfs_action **a, size_t *n, size_t *cap, const struct mfs_action *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct mfs_action *p = realloc(*a, nc * sizeof(*p));

		if (!p)
			return -1;
		*a = p;
		*cap = nc;
	}
	(*a)[(*n)++] = *x;
	return 0;
}

int mfs_actions_parse(const char *text, size_t len, struct mfs_action **out, size_t *n)
{
	size_t cap = 0;
	const char *p = text, *end = text + len;

	*out = NULL;
	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[128], type[16];
		int y;
		unsigned m, d;
		double v;
		struct mfs_action a;

		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			if (sscanf(line, "%d-%u-%u,%15[a-z],%lf", &y, &m, &d, type, &v) == 5 &&
			    (strcmp(type, "split") == 0 || strcmp(type, "dividend") == 0)) {
				a.t = mfs_days_from_civil(y, m, d) * MFS_SECONDS_PER_DAY;
				a.type = strcmp(type, "split") == 0 ? MFS_ACTION_SPLIT
								    : MFS_ACTION_DIVIDEND;
				a.value = v;
				if (push(out, n, &cap, &a) < 0)
					return -1;
			}
		}
		p += ll + 1;
	}
	return 0;
}

static int cmp_action(const void *x, const void *y)
{
	const struct mfs_action *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return (int)a->type - (int)b->type;
}

void mfs_actions_normalise(struct mfs_action *a, size_t *n)
{
	size_t w = 0;

	/* stable enough: equal keys are collapsed to the later element below */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && cmp_action(&a[j - 1], &a[j]) > 0; j--) {
			struct mfs_action t = a[j];

			a[j] = a[j - 1];
			a[j - 1] = t;
		}
	for (size_t i = 0; i < *n; i++) {
		if (w > 0 && cmp_action(&a[w - 1], &a[i]) == 0)
			a[w - 1] = a[i];
		else
			a[w++] = a[i];
	}
	*n = w;
}

char *mfs_actions_render(const struct mfs_action *a, size_t n, size_t *len)
{
	size_t cap = strlen(MFS_ACTIONS_HEADER) + n * 64 + 1, used;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	used = (size_t)snprintf(out, cap, "%s", MFS_ACTIONS_HEADER);
	for (size_t i = 0; i < n; i++) {
		int y;
		unsigned m, d;
		char num[64];

		mfs_civil_from_days(a[i].t / MFS_SECONDS_PER_DAY, &y, &m, &d);
		mfs_fmt_double(a[i].value, num, sizeof(num));
		used += (size_t)snprintf(out + used, cap - used, "%04d-%02u-%02u,%s,%s\n", y, m, d,
					 type_name(a[i].type), num);
	}
	*len = used;
	return out;
}

static int actions_path(struct mfs_cache *c, const char *symbol, char *out, size_t len)
{
	int w = snprintf(out, len, "%s/%s/%s", c->store.root, symbol, MFS_ACTIONS_FILE);

	return w < 0 || (size_t)w >= len ? -1 : 0;
}

enum mfs_err mfs_cache_actions(struct mfs_cache *c, const char *symbol, struct mfs_action **out,
			       size_t *n, struct mfs_error *err)
{
	char path[4096], *text = NULL;
	size_t len;
	enum mfs_err rc;

	*out = NULL;
	*n = 0;
	if (actions_path(c, symbol, path, sizeof(path)) < 0)
		return mfs_error_set(err, MFS_ERR_INVALID, "%s: path too long", symbol);
	if (access(path, F_OK) != 0)
		return MFS_OK;
	rc = mfs_store_read(path, ACTIONS_MAX_BYTES, &text, &len, err);
	if (rc != MFS_OK)
		return rc;
	if (mfs_actions_parse(text, len, out, n) < 0)
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	free(text);
	return rc;
}

static bool known(const struct mfs_action *a, size_t n, const struct mfs_action *x)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].t == x->t && a[i].type == x->type)
			return true;
	return false;
}

enum mfs_err mfs_cache_merge_actions(struct mfs_cache *c, const char *symbol,
				     const struct mfs_action *add, size_t nadd, int64_t *new_split,
				     struct mfs_action **all_out, size_t *nall_out,
				     struct mfs_error *err)
{
	struct mfs_action *all = NULL;
	size_t n = 0, cap, len, before;
	char path[4096], dir[4096], *text = NULL;
	bool changed = false;
	enum mfs_err rc;
	int lock;

	*new_split = 0;
	if (all_out) {
		*all_out = NULL;
		*nall_out = 0;
	}
	lock = mfs_cache_lock(c, symbol, "actions",
			      mfs_now_ms() + (int64_t)c->cfg->fetch_timeout_s * 1000);
	if (lock == -ETIMEDOUT)
		return mfs_error_set(err, MFS_ERR_TIMEOUT, "%s: actions.csv is locked", symbol);
	rc = mfs_cache_actions(c, symbol, &all, &n, err);
	if (rc != MFS_OK)
		goto out;
	cap = n;
	before = n;
	for (size_t i = 0; i < nadd; i++) {
		if (known(all, before, &add[i]))
			continue;
		if (push(&all, &n, &cap, &add[i]) < 0) {
			rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
			goto out;
		}
		changed = true;
		if (add[i].type == MFS_ACTION_SPLIT && (!*new_split || add[i].t < *new_split))
			*new_split = add[i].t;
	}
	mfs_actions_normalise(all, &n);
	if (!changed)
		goto out;
	text = mfs_actions_render(all, n, &len);
	if (!text) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/%s", c->store.root, symbol);
	if (actions_path(c, symbol, path, sizeof(path)) < 0 || mfs_mkdirs(dir) < 0)
		rc = mfs_error_set(err, MFS_ERR_IO, "%s: cannot create %s", symbol, dir);
	else
		rc = mfs_store_write_file(path, text, len, err);
out:
	mfs_cache_unlock(lock);
	free(text);
	if (rc == MFS_OK && all_out) {
		*all_out = all;
		*nall_out = n;
	} else {
		free(all);
	}
	return rc;
}

bool mfs_cache_split_after(struct mfs_cache *c, const char *symbol, int64_t since,
			   int64_t first_t)
{
	struct mfs_action *a = NULL;
	size_t n = 0;
	struct mfs_error err = { 0 };
	bool found = false;

	if (mfs_cache_actions(c, symbol, &a, &n, &err) != MFS_OK)
		return false;
	for (size_t i = 0; i < n && !found; i++)
		found = a[i].type == MFS_ACTION_SPLIT && a[i].t > since && a[i].t > first_t;
	free(a);
	return found;
}

/* Rewrite one sidecar with stale_after = now; true if it was rewritten. */
static bool make_stale(struct mfs_cache *c, const char *symbol, enum mfs_tf tf, int year,
		       int64_t ex_t, int64_t now)
{
	char path[4096], *text = NULL, *out = NULL;
	size_t len, olen;
	struct mfs_sidecar *sc = calloc(1, sizeof(*sc));
	struct mfs_error err = { 0 };
	bool ok = false;

	if (!sc || mfs_store_path(&c->store, symbol, tf, year, MFS_FILE_SIDECAR, path,
				  sizeof(path)) < 0)
		goto out;
	if (mfs_store_read(path, MFS_SIDECAR_MAX_BYTES, &text, &len, &err) != MFS_OK ||
	    mfs_sidecar_parse(text, len, sc, &err) != MFS_OK)
		goto out;
	if (sc->last_updated >= ex_t || (sc->rows && sc->first_t >= ex_t) ||
	    (sc->stale_after && sc->stale_after <= now))
		goto out; /* adjusted already, or no bar before the split, or stale anyway */
	sc->stale_after = now;
	if (mfs_sidecar_render(sc, &out, &olen, &err) == MFS_OK &&
	    mfs_store_write_file(path, out, olen, &err) == MFS_OK)
		ok = true;
out:
	if (err.msg[0])
		mfs_warn("%s/%s/%d: cannot mark stale after a split: %s", symbol, mfs_tf_name(tf),
			 year, err.msg);
	free(sc);
	free(text);
	free(out);
	return ok;
}

unsigned mfs_cache_split_stale(struct mfs_cache *c, const char *symbol, int64_t ex_t,
			       enum mfs_tf held_tf)
{
	int y_ex, cur = mfs_year_of(mfs_wall_now());
	unsigned m, d, count = 0;
	int64_t now = mfs_wall_now();

	mfs_civil_from_days(ex_t / MFS_SECONDS_PER_DAY, &y_ex, &m, &d);
	for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
		/* another fetch of this timeframe installs fresh files anyway: skip it */
		int lock = tf == (int)held_tf ? -1
					      : mfs_cache_lock(c, symbol, mfs_tf_name((enum mfs_tf)tf),
							       mfs_now_ms());

		if (lock == -ETIMEDOUT)
			continue;
		for (int y = MFS_FIRST_YEAR; y <= y_ex && y <= cur; y++) {
			char path[4096];

			if (mfs_store_path(&c->store, symbol, (enum mfs_tf)tf, y, MFS_FILE_DATA, path,
					   sizeof(path)) < 0 || access(path, F_OK) != 0)
				continue;
			if (make_stale(c, symbol, (enum mfs_tf)tf, y, ex_t, now))
				count++;
		}
		mfs_cache_unlock(lock);
	}
	if (count)
		mfs_notice("%s: a new split (ex-date day %lld) makes %u cached files stale", symbol,
			   (long long)(ex_t / MFS_SECONDS_PER_DAY), count);
	return count;
}

enum mfs_err mfs_cache_actions_csv(struct mfs_cache *c, const char *symbol, char **out,
				   size_t *len, struct mfs_error *err)
{
	struct mfs_action *a = NULL;
	size_t n = 0;
	enum mfs_err rc = mfs_cache_actions(c, symbol, &a, &n, err);

	if (rc != MFS_OK)
		return rc;
	mfs_actions_normalise(a, &n);
	*out = mfs_actions_render(a, n, len);
	free(a);
	return *out ? MFS_OK : mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
}
