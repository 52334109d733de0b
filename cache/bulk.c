/*
 * Maintenance step 3: bulk archives (SPEC section 6, "pull bulk archives
 * (FirstRateData's last_update)").
 *
 * For every asset class of the run that FirstRate covers, and every
 * timeframe at which FirstRate is in the symbol's provider chain, the
 * symbols whose current-year file is cached are brought up to date from
 * the "day" archive, which holds the last trading day of every ticker of
 * the class: one download serves them all. last_update tells whether a
 * new archive was published since the last pull (remembered in
 * _metadata/bulk.<type>.<tf>), so a run without news costs one small
 * request per class.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <marketfs/http.h>
#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "cache/cache_impl.h"
#include "cache/store.h"
#include "providers/firstrate.h"

#define BULK_MAX_SYMBOLS 4096

struct bulk_acc {
	struct mfs_cache *c;
	struct mfs_provider *prov;
	enum mfs_tf tf;
	unsigned installed, failed;
};

static int on_symbol(void *arg, const char *symbol, struct mfs_fetch_result *res)
{
	struct bulk_acc *a = arg;
	struct mfs_error err = { 0 };

	if (mfs_cache_install_answer(a->c, symbol, a->tf, a->prov, res, &err) == MFS_OK) {
		a->installed++;
	} else {
		a->failed++;
		mfs_warn("bulk: %s/%s: %s", symbol, mfs_tf_name(a->tf), err.msg);
	}
	return 0;
}

/* Symbols of class cls whose current-year file at tf is cached (malloc'd names). */
static size_t cached_symbols(struct mfs_cache *c, enum mfs_class cls, enum mfs_tf tf, int year,
			     char **out, size_t max)
{
	DIR *d = opendir(c->store.root);
	struct dirent *de;
	size_t n = 0;

	while (d && n < max && (de = readdir(d))) {
		char path[4096];

		if (de->d_name[0] == '.' || de->d_name[0] == '_' ||
		    mfs_cache_classify(c, de->d_name) != cls)
			continue;
		if (mfs_store_path(&c->store, de->d_name, tf, year, MFS_FILE_DATA, path,
				   sizeof(path)) < 0 || access(path, F_OK) != 0)
			continue;
		out[n] = strdup(de->d_name);
		if (out[n])
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Is FirstRate asked for (cls, tf) at all, natively? */
static bool in_chain(struct mfs_cache *c, enum mfs_class cls, enum mfs_tf tf,
		     const struct mfs_provider *fr)
{
	struct mfs_provider *chain[MFS_PROV__COUNT];
	unsigned n = mfs_providers_chain(c->provs, cls, tf, chain, MFS_PROV__COUNT);

	for (unsigned i = 0; i < n; i++)
		if (chain[i] == fr)
			return true;
	return false;
}

static void stamp_path(struct mfs_cache *c, const char *type, enum mfs_tf tf, char *out,
		       size_t len)
{
	snprintf(out, len, "%s/_metadata/bulk.%s.%s", c->store.root, type, mfs_tf_name(tf));
}

/* One (class, timeframe): 1 pulled, 0 nothing to do, -1 failed (note says why). */
static int pull(struct mfs_cache *c, struct mfs_provider *fr, struct mfs_http *http,
		enum mfs_class cls, enum mfs_tf tf, unsigned *installed, char *note, size_t len)
{
	static const atomic_bool background = true;
	const char *type = mfs_firstrate_type(cls);
	char *syms[BULK_MAX_SYMBOLS], last[11] = "", stamp[4096], *seen = NULL;
	size_t n, seen_len = 0;
	struct mfs_error err = { 0 };
	struct mfs_fetch_ctx ctx = {
		.http = http, .prov = fr, .now = mfs_wall_now(), .background = &background,
		.deadline_ms = mfs_now_ms() + 30 * 60 * 1000, /* an archive is large */
	};
	struct bulk_acc acc = { c, fr, tf, 0, 0 };
	int rc = 0;

	n = cached_symbols(c, cls, tf, mfs_year_of(ctx.now), syms, BULK_MAX_SYMBOLS);
	if (n == 0)
		return 0;
	stamp_path(c, type, tf, stamp, sizeof(stamp));
	if (mfs_firstrate_last_update(&ctx, cls, last, &err) != MFS_OK) {
		snprintf(note, len, "%s %s: last_update: %s", type, mfs_tf_name(tf), err.msg);
		rc = -1;
		goto out;
	}
	if (mfs_store_read(stamp, 64, &seen, &seen_len, &err) == MFS_OK &&
	    strncmp(seen, last, 10) == 0)
		goto out; /* pulled already */
	if (mfs_firstrate_bulk(&ctx, cls, tf, "day", (const char *const *)syms, n, on_symbol, &acc,
			       &err) != MFS_OK) {
		snprintf(note, len, "%s %s: %s", type, mfs_tf_name(tf), err.msg);
		rc = -1;
		goto out;
	}
	mfs_store_write_file(stamp, last, strlen(last), &err);
	*installed += acc.installed;
	mfs_info("bulk: firstrate %s %s (%s): %u of %zu cached symbols updated, %u failed", type,
		 mfs_tf_name(tf), last, acc.installed, n, acc.failed);
	rc = 1;
out:
	free(seen);
	for (size_t i = 0; i < n; i++)
		free(syms[i]);
	return rc;
}

bool mfs_maint_bulk(struct mfs_cache *c, enum mfs_maint_class mc, char *note, size_t len)
{
	struct mfs_provider *fr = mfs_providers_get(c->provs, MFS_PROV_FIRSTRATE);
	struct mfs_http *http;
	unsigned pulled = 0, failed = 0, installed = 0;
	char why[256] = "";

	if (!mfs_provider_usable(fr)) {
		snprintf(note, len, "no bulk provider configured");
		return true;
	}
	http = mfs_http_new();
	if (!http) {
		snprintf(note, len, "out of memory");
		return true;
	}
	mfs_http_set_abort(http, &c->stop);
	for (int cls = 0; cls < MFS_CLASS__COUNT; cls++) {
		if (mfs_maint_class_of((enum mfs_class)cls) != mc ||
		    !mfs_firstrate_type((enum mfs_class)cls))
			continue;
		for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
			int r;

			if (!mfs_firstrate_timeframe((enum mfs_tf)tf) ||
			    !in_chain(c, (enum mfs_class)cls, (enum mfs_tf)tf, fr))
				continue;
			if (atomic_load(&c->stop))
				break;
			r = pull(c, fr, http, (enum mfs_class)cls, (enum mfs_tf)tf, &installed, why,
				 sizeof(why));
			if (r > 0)
				pulled++;
			else if (r < 0) {
				failed++;
				mfs_warn("maintenance: bulk: %s", why);
			}
		}
	}
	mfs_http_free(http);
	if (atomic_load(&c->stop))
		return false;
	snprintf(note, len, "firstrate: %u archives pulled, %u files updated, %u failed%s%s",
		 pulled, installed, failed, failed ? ": " : "", failed ? why : "");
	return true;
}
