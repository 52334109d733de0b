/*
 * Helpers shared by every provider's parser (parse.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

bool mfs_parse_is_missing(const char *s)
{
	static const char *const none[] = { "", "None", "null", "-", "N/A", "NA", NULL };

	for (int i = 0; none[i]; i++)
		if (strcasecmp(s, none[i]) == 0)
			return true;
	return false;
}

int mfs_parse_number(const json_t *x, unsigned flags, double *v)
{
	const char *s;
	char *end;

	if (!x || json_is_null(x))
		return 1;
	if (json_is_number(x)) {
		*v = json_number_value(x);
		return isfinite(*v) ? 0 : -1;
	}
	if (!json_is_string(x) || !(flags & MFS_NUM_STRINGS))
		return -1;
	s = json_string_value(x);
	if ((flags & MFS_NUM_MISSING) && mfs_parse_is_missing(s))
		return 1;
	if (isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(*v))
		return -1;
	return 0;
}

enum mfs_err mfs_parse_add_bar(struct mfs_series *out, const struct mfs_bar *b, bool null_price,
			       const char *prov, const char *sym, struct mfs_error *err)
{
	int r = null_price ? mfs_series_add_null(out, b->t) : mfs_series_append(out, b);

	if (r < 0)
		return mfs_error_set(err, MFS_ERR_NOMEM, "%s: %s: out of memory", prov, sym);
	return MFS_OK;
}
