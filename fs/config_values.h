/*
 * The syntax of configuration values: durations, sizes, times of day,
 * rates, URLs, the watch list and provider lists. Private to fs/config.c, which knows sections,
 * keys and files; this part knows only what one value may look like.
 *
 * The parsers take a whole value and say yes or no; the ones whose
 * mistakes need explaining (watch entries, provider lists) write the
 * reason into why, without the section and key, which the caller adds.
 * Nothing here echoes more than a short piece of the value it rejects,
 * and none of it is ever given a secret.
 */
#ifndef MARKETFS_FS_CONFIG_VALUES_H
#define MARKETFS_FS_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/config.h>

/* A decimal integer, optionally negative; nothing before or after it. */
bool mfs_cfg_parse_int64(const char *s, int64_t *out);
/* Seconds ("90") or a number with one of s, m, h, d ("15m"). */
bool mfs_cfg_parse_duration(const char *s, int64_t *out);
/* 86400 -> "1d", 90 -> "90s": the largest unit that divides it exactly. */
void mfs_cfg_format_duration(char *buf, size_t len, int64_t seconds);
/*
 * A size in bytes: plain bytes ("1048576") or a number with one of K, M, G,
 * T (powers of 1024), which may have up to six decimals ("1.5G"); a
 * fraction of a byte is dropped.
 */
bool mfs_cfg_parse_size(const char *s, int64_t *out);
/* A time of day "HH:MM" (or "H:MM"), 00:00 to 23:59, as minutes after midnight. */
bool mfs_cfg_parse_clock(const char *s, int *minutes);
/* A finite real number, nothing before or after it. */
bool mfs_cfg_parse_real(const char *s, double *out);
/* true/false, yes/no, on/off, 1/0 in any letter case. */
bool mfs_cfg_parse_bool(const char *s, bool *out);
/* "N/PERIOD": N > 0 requests per PERIOD (a duration > 0). */
bool mfs_cfg_parse_rate(const char *s, double *tokens, double *period_s);
bool mfs_cfg_has_control(const char *s);
/* scheme://host[:port][/prefix] with scheme http or https. */
bool mfs_cfg_url_valid(const char *s);
/* Remove trailing '/' but keep at least min_len characters. */
void mfs_cfg_strip_slashes(char *s, size_t min_len);

/* "yahoo, binance, ..." for messages. */
void mfs_cfg_provider_names(char *buf, size_t len);
/*
 * A list of provider names separated by commas and/or blanks, each known
 * and listed once, at least one. out and *n change only on success.
 */
enum mfs_err mfs_cfg_parse_providers(const char *s, enum mfs_provider_id out[MFS_PROV__COUNT],
				     unsigned *n, char *why, size_t len);

/* The watch list: entries are SYMBOL[:TF[,TF...]]. */
void mfs_cfg_watch_free(struct mfs_watch *list, unsigned n);
/* Add sym with the timeframes in tf, merging repeats. */
enum mfs_err mfs_cfg_watch_add(struct mfs_watch **list, unsigned *n, const char *sym,
			       const bool tf[MFS_TF__COUNT]);
/* Parse one entry and add it; MFS_ERR_CONFIG with the reason in why. */
enum mfs_err mfs_cfg_watch_entry(const char *entry, struct mfs_watch **list, unsigned *n,
				 char *why, size_t len);

#endif
