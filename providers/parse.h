/*
 * Helpers shared by every provider's parser (parse.c).
 */
#ifndef MARKETFS_PROVIDERS_PARSE_H
#define MARKETFS_PROVIDERS_PARSE_H

#include <stdbool.h>

#include <jansson.h>

#include <marketfs/err.h>
#include <marketfs/series.h>

/* "", "None", "null", "-", "N/A" ...: how providers spell a missing value. */
bool mfs_parse_is_missing(const char *s);

/* What mfs_parse_number() accepts besides JSON numbers. */
#define MFS_NUM_STRINGS 1u /* numeric strings ("313.0800") */
#define MFS_NUM_MISSING 2u /* strings that say "missing" (mfs_parse_is_missing) */

/*
 * A price or volume: a JSON number, or with MFS_NUM_STRINGS a numeric
 * string (PROVIDERS.md hazard 14; jansson types 135480400 as an integer
 * and 642646396.0 as a real, both read as a double). Returns 0 with *v
 * set; 1 when missing (absent, null, or with MFS_NUM_MISSING a string
 * mfs_parse_is_missing() knows); -1 for anything else (text, blanks
 * around a number, out of range, not finite).
 */
int mfs_parse_number(const json_t *x, unsigned flags, double *v);

/*
 * Append the bar *b to out, or, when one of its prices was missing
 * (null_price), count a null row at its time instead (the validator
 * reports them). Errors name prov and sym.
 */
enum mfs_err mfs_parse_add_bar(struct mfs_series *out, const struct mfs_bar *b, bool null_price,
			       const char *prov, const char *sym, struct mfs_error *err);

#endif
