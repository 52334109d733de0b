/*
 * Lookups in the [rules] and [symbols] data of the configuration. The
 * parsing lives with the rest of the config (fs/config_rules.c); these
 * read-only lookups are here because the registry and the cache use them.
 */
#include <string.h>

#include <marketfs/config.h>
#include <marketfs/timeframe.h>

int mfs_config_symbol_class(const struct mfs_config *cfg, const char *symbol)
{
	for (unsigned i = 0; i < cfg->n_sym_class; i++)
		if (strcmp(cfg->sym_class[i].symbol, symbol) == 0)
			return cfg->sym_class[i].cls;
	return -1;
}

const char *mfs_config_symbol_map(const struct mfs_config *cfg, const char *symbol,
				  enum mfs_provider_id prov)
{
	for (unsigned i = 0; i < cfg->n_sym_map; i++)
		if (cfg->sym_map[i].prov == prov && strcmp(cfg->sym_map[i].symbol, symbol) == 0)
			return cfg->sym_map[i].ticker;
	return NULL;
}

/* How specific a rule's selector is for tf: 3 exact, 2 group, 1 all, 0 no match. */
static int specificity(int sel, enum mfs_tf tf)
{
	if (sel == (int)tf)
		return 3;
	if (sel == MFS_RULE_INTRADAY && mfs_tf_is_intraday(tf))
		return 2;
	if (sel == MFS_RULE_DAILY && !mfs_tf_is_intraday(tf))
		return 2;
	if (sel == MFS_RULE_ALL)
		return 1;
	return 0;
}

const struct mfs_rule *mfs_config_rule(const struct mfs_config *cfg, int cls, enum mfs_tf tf)
{
	const struct mfs_rule *best = NULL;
	int best_spec = 0;

	for (unsigned i = 0; i < cfg->n_rules; i++) {
		int sp;

		if (cfg->rules[i].cls != cls)
			continue;
		sp = specificity(cfg->rules[i].tf, tf);
		if (sp > best_spec) {
			best_spec = sp;
			best = &cfg->rules[i];
		}
	}
	return best;
}
