/*
 * The configured providers and the order in which they are asked.
 *
 * Selection (SPEC section 4): the mirror first when configured, then the
 * providers of the most specific [rules] entry for (class, timeframe), or
 * the built-in defaults, keeping those that are enabled, have their key and
 * serve the timeframe natively. A timeframe nobody serves natively is built
 * from the nearest finer one (mfs_providers_source_tf).
 */
#include <stdio.h>
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

/*
 * SPEC section 4's defaults, for a class without a [rules] entry: the
 * seed's order, with every other provider that can serve the class after
 * it. Providers that do not serve (cls, tf) natively, or lack their key,
 * drop out when the chain is built.
 */
static const enum mfs_provider_id default_crypto[] = {
	MFS_PROV_BINANCE, MFS_PROV_POLYGON, MFS_PROV_FIRSTRATE, MFS_PROV_YAHOO,
};
static const enum mfs_provider_id default_stock_daily[] = {
	MFS_PROV_YAHOO, MFS_PROV_TIINGO, MFS_PROV_POLYGON, MFS_PROV_FMP,
	MFS_PROV_ALPACA, MFS_PROV_ALPHAVANTAGE, MFS_PROV_FIRSTRATE,
};
static const enum mfs_provider_id default_stock_intraday[] = {
	MFS_PROV_POLYGON, MFS_PROV_ALPACA, MFS_PROV_ALPHAVANTAGE, MFS_PROV_YAHOO,
	MFS_PROV_FMP, MFS_PROV_TIINGO, MFS_PROV_FIRSTRATE,
};
static const enum mfs_provider_id default_index[] = {
	MFS_PROV_YAHOO, MFS_PROV_POLYGON, MFS_PROV_FMP, MFS_PROV_FIRSTRATE,
};
static const enum mfs_provider_id default_forex[] = {
	MFS_PROV_YAHOO, MFS_PROV_POLYGON, MFS_PROV_FIRSTRATE,
};
static const enum mfs_provider_id default_futures[] = {
	MFS_PROV_YAHOO, MFS_PROV_FIRSTRATE,
};


static const enum mfs_provider_id *default_rule(enum mfs_class cls, enum mfs_tf tf, unsigned *n)
{
	const enum mfs_provider_id *l;

	switch (cls) {
	case MFS_CLASS_CRYPTO:
		l = default_crypto, *n = sizeof(default_crypto) / sizeof(default_crypto[0]);
		break;
	case MFS_CLASS_INDEX:
		l = default_index, *n = sizeof(default_index) / sizeof(default_index[0]);
		break;
	case MFS_CLASS_FOREX:
		l = default_forex, *n = sizeof(default_forex) / sizeof(default_forex[0]);
		break;
	case MFS_CLASS_FUTURES:
		l = default_futures, *n = sizeof(default_futures) / sizeof(default_futures[0]);
		break;
	default:
		if (mfs_tf_is_intraday(tf))
			l = default_stock_intraday,
			*n = sizeof(default_stock_intraday) / sizeof(default_stock_intraday[0]);
		else
			l = default_stock_daily,
			*n = sizeof(default_stock_daily) / sizeof(default_stock_daily[0]);
	}
	return l;
}

const enum mfs_provider_id *mfs_providers_rule(struct mfs_providers *ps, enum mfs_class cls,
					       enum mfs_tf tf, unsigned *n, bool *configured)
{
	const struct mfs_rule *r = mfs_config_rule(ps->cfg, (int)cls, tf);

	*configured = r != NULL;
	if (r) {
		*n = r->n;
		return r->list;
	}
	return default_rule(cls, tf, n);
}

unsigned mfs_providers_chain(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf,
			     struct mfs_provider **out, unsigned max)
{
	struct mfs_provider *mirror = &ps->p[MFS_PROV_MIRROR];
	const enum mfs_provider_id *rule;
	unsigned len, n = 0;
	bool configured;

	/* the mirror, when configured, is tried first (SPEC section 4) */
	if (max > 0 && mfs_provider_usable(mirror) && mirror->ops->serves(cls, tf))
		out[n++] = mirror;
	rule = mfs_providers_rule(ps, cls, tf, &len, &configured);
	for (unsigned i = 0; i < len && n < max; i++) {
		struct mfs_provider *p = &ps->p[rule[i]];

		if (rule[i] == MFS_PROV_MIRROR)
			continue; /* already first */
		if (mfs_provider_usable(p) && p->ops->serves(cls, tf))
			out[n++] = p;
	}
	return n;
}

/* Finer timeframes a bar of tf can be built from, nearest first. */
static const enum mfs_tf finer[MFS_TF__COUNT][6] = {
	[MFS_TF_1M] = { MFS_TF_INVALID },
	[MFS_TF_5M] = { MFS_TF_1M, MFS_TF_INVALID },
	[MFS_TF_15M] = { MFS_TF_5M, MFS_TF_1M, MFS_TF_INVALID },
	[MFS_TF_30M] = { MFS_TF_15M, MFS_TF_5M, MFS_TF_1M, MFS_TF_INVALID },
	[MFS_TF_1H] = { MFS_TF_30M, MFS_TF_15M, MFS_TF_5M, MFS_TF_1M, MFS_TF_INVALID },
	[MFS_TF_4H] = { MFS_TF_1H, MFS_TF_30M, MFS_TF_15M, MFS_TF_5M, MFS_TF_1M, MFS_TF_INVALID },
	[MFS_TF_1D] = { MFS_TF_INVALID },
	[MFS_TF_1W] = { MFS_TF_1D, MFS_TF_INVALID },
	[MFS_TF_1MO] = { MFS_TF_1D, MFS_TF_INVALID },
};

/* Is there a provider other than the mirror for (cls, tf)? */
static bool has_native(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf)
{
	struct mfs_provider *chain[MFS_PROV__COUNT];
	unsigned n = mfs_providers_chain(ps, cls, tf, chain, MFS_PROV__COUNT);

	for (unsigned i = 0; i < n; i++)
		if (chain[i]->id != MFS_PROV_MIRROR)
			return true;
	return false;
}

enum mfs_tf mfs_providers_finer_tf(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return MFS_TF_INVALID;
	for (int i = 0; finer[tf][i] != MFS_TF_INVALID; i++)
		if (has_native(ps, cls, finer[tf][i]))
			return finer[tf][i];
	return MFS_TF_INVALID;
}

enum mfs_tf mfs_providers_source_tf(struct mfs_providers *ps, enum mfs_class cls, enum mfs_tf tf)
{
	if ((unsigned)tf >= MFS_TF__COUNT)
		return MFS_TF_INVALID;
	if (has_native(ps, cls, tf))
		return tf;
	return mfs_providers_finer_tf(ps, cls, tf);
}

void mfs_providers_map_symbol(struct mfs_providers *ps, const struct mfs_provider *p,
			      const char *symbol, enum mfs_class cls, char *out, size_t outlen)
{
	const char *t = mfs_config_symbol_map(ps->cfg, symbol, p->id);

	if (t)
		snprintf(out, outlen, "%s", t);
	else if (p->ops->map_symbol)
		p->ops->map_symbol(symbol, cls, out, outlen);
	else
		snprintf(out, outlen, "%s", symbol);
}

enum mfs_class mfs_providers_classify(struct mfs_providers *ps, const char *symbol)
{
	int cls = mfs_config_symbol_class(ps->cfg, symbol);

	return cls >= 0 ? (enum mfs_class)cls : mfs_symbol_classify(symbol);
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
