/*
 * [rules] and [symbols] (fs/config_rules.c), private to fs/config.c.
 * Each sets one key's value; why gets the reason of a refusal (with the
 * section and key: these values hold no secrets).
 */
#ifndef MARKETFS_FS_CONFIG_RULES_H
#define MARKETFS_FS_CONFIG_RULES_H

#include <stddef.h>

#include <marketfs/config.h>

enum mfs_err mfs_cfg_rule_set(struct mfs_config *cfg, const char *key, const char *value,
			      char *why, size_t len);
enum mfs_err mfs_cfg_symbols_set(struct mfs_config *cfg, const char *key, const char *value,
				 char *why, size_t len);

#endif
