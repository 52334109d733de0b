/*
 * The configured providers and the order in which they are asked.
 *
 * Selection today: crypto goes to Binance, every other class to Yahoo.
 * The chain is an ordered list so that failover and [rules] slot in here
 * without touching the cache.
 */
#include <stdlib.h>
#include <string.h>

#include <marketfs/log.h>
#include <marketfs/provider.h>

#include "providers/provider_impl.h"

struct mfs_providers {
	const struct mfs_config *cfg;
	struct mfs_provider p[MFS_PROV__COUNT];
};

static const struct mfs_provider_ops *const ops_by_id[MFS_PROV__COUNT] = {
	[MFS_PROV_YAHOO] = &mfs_yahoo_ops,
	[MFS_PROV_BINANCE] = &mfs_binance_ops,
	[MFS_PROV_FMP] = &mfs_fmp_ops,
	[MFS_PROV_ALPHAVANTAGE] = &mfs_alphavantage_ops,
	[MFS_PROV_POLYGON] = &mfs_polygon_ops,
	[MFS_PROV_TIINGO] = &mfs_tiingo_ops,
	[MFS_PROV_ALPACA] = &mfs_alpaca_ops,
	[MFS_PROV_FIRSTRATE] = &mfs_firstrate_ops,
	[MFS_PROV_MIRROR] = &mfs_mirror_ops,
};

struct mfs_providers *mfs_providers_new(const struct mfs_config *cfg, struct mfs_error *err)
{
	struct mfs_providers *ps = calloc(1, sizeof(*ps));

	if (!ps) {
		mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	ps->cfg = cfg;
	for (int i = 0; i < MFS_PROV__COUNT; i++)
		mfs_provider_init(&ps->p[i], (enum mfs_provider_id)i, ops_by_id[i],
				  &cfg->provider[i]);
	return ps;
}

void mfs_providers_free(struct mfs_providers *ps)
{
	if (!ps)
		return;
	for (int i = 0; i < MFS_PROV__COUNT; i++)
		mfs_provider_destroy(&ps->p[i]);
	free(ps);
}

struct mfs_provider *mfs_providers_get(struct mfs_providers *ps, enum mfs_provider_id id)
{
	if ((unsigned)id >= MFS_PROV__COUNT)
		return NULL;
	return &ps->p[id];
}

unsigned mfs_providers_chain(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf,
			     struct mfs_provider **out, unsigned max)
{
	static const enum mfs_provider_id crypto_chain[] = { MFS_PROV_BINANCE };
	static const enum mfs_provider_id default_chain[] = { MFS_PROV_YAHOO };
	const enum mfs_provider_id *chain = default_chain;
	unsigned len = sizeof(default_chain) / sizeof(default_chain[0]), n = 0;

	if (cls == MFS_CLASS_CRYPTO) {
		chain = crypto_chain;
		len = sizeof(crypto_chain) / sizeof(crypto_chain[0]);
	}

	for (unsigned i = 0; i < len && n < max; i++) {
		struct mfs_provider *p = &ps->p[chain[i]];
		if (mfs_provider_usable(p) && p->ops->serves(cls, tf))
			out[n++] = p;
	}
	return n;
}

bool mfs_provider_usable(const struct mfs_provider *p)
{
	/* a provider without an address (the mirror by default) is not configured */
	return p->conf->enabled && p->conf->base_url && *p->conf->base_url &&
	       (!p->ops->needs_key || (p->conf->api_key && *p->conf->api_key));
}

const char *mfs_provider_key(const struct mfs_provider *p)
{
	return p->conf->api_key && *p->conf->api_key ? p->conf->api_key : NULL;
}

unsigned mfs_providers_fundamentals_chain(struct mfs_providers *ps, enum mfs_class cls,
					  struct mfs_provider **out, unsigned max)
{
	unsigned n = 0;

	/* SPEC section 1: fundamentals are for stocks and ETFs */
	if (cls != MFS_CLASS_STOCK)
		return 0;
	for (unsigned i = 0; i < ps->cfg->n_fundamentals_priority && n < max; i++) {
		struct mfs_provider *p = &ps->p[ps->cfg->fundamentals_priority[i]];
		if (p->ops->fundamentals && mfs_provider_usable(p))
			out[n++] = p;
	}
	return n;
}
