/*
 * marketfs-ctl's SPEC: SYMBOL[:TF[,TF...][:YEAR[-YEAR]]], the files
 * prefetch and refresh work on (AAPL:1d,1h:2015-2024). Parsed before the
 * cache is opened, so that a typo is a usage error, not a provider request
 * for a symbol that does not exist.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <marketfs/limits.h>
#include <marketfs/symbol.h>
#include <marketfs/timeframe.h>

#include "fs/ctl.h"

static bool parse_tfs(const char *text, bool tf[MFS_TF__COUNT])
{
	char buf[128], *save = NULL, *tok;
	bool any = false;

	memset(tf, 0, sizeof(bool) * MFS_TF__COUNT);
	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf))
		return false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum mfs_tf t = mfs_tf_parse(tok);
		if (t == MFS_TF_INVALID)
			return false;
		tf[t] = any = true;
	}
	if (!any && text[0] == '\0')
		tf[MFS_TF_1D] = any = true; /* "AAPL::2024": the default */
	return any;
}

static bool parse_year(const char *s, const char **end, int *year)
{
	char *e;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || e - s != 4 || v < MFS_FIRST_YEAR || v > MFS_LAST_YEAR)
		return false;
	*year = (int)v;
	*end = e;
	return true;
}

/* "2024" or "2015-2024" */
static bool parse_years(const char *text, int *lo, int *hi)
{
	const char *p;

	if (!parse_year(text, &p, lo))
		return false;
	*hi = *lo;
	if (*p == '-' && !parse_year(p + 1, &p, hi))
		return false;
	return *p == '\0';
}

/*
 * SYMBOL[:TF[,TF...][:YEARS]], read from the left. Symbol names may hold
 * ':' themselves (SPEC section 1); such a symbol is recognised only with
 * an explicit TF ("X:Y:1d"), read from the right.
 */
bool ctl_spec_parse(const char *text, struct ctl_spec *out, char *why, size_t whylen)
{
	const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *r1 = strrchr(text, ':');
	char sym[MFS_SYMBOL_MAX + 2], tfs[128], years[64];

	memset(out, 0, sizeof(*out));
	/* from the left: SYMBOL, TFS, YEARS */
	snprintf(sym, sizeof(sym), "%.*s", (int)(c1 ? c1 - text : (long)strlen(text)), text);
	snprintf(tfs, sizeof(tfs), "%.*s", c1 ? (int)((c2 ? c2 : c1 + strlen(c1)) - c1 - 1) : 0,
		 c1 ? c1 + 1 : "");
	snprintf(years, sizeof(years), "%s", c2 ? c2 + 1 : "");
	bool sym_ok = mfs_symbol_valid(sym) && strlen(sym) <= MFS_SYMBOL_MAX;
	bool tf_ok = parse_tfs(tfs, out->tf);
	bool years_ok = !c2 || (!strchr(years, ':') && parse_years(years, &out->year_lo,
								       &out->year_hi));
	if (sym_ok && tf_ok && years_ok)
		goto done;

	/* from the right: a symbol with ':' in it, then TFS[:YEARS] */
	for (int with_years = 1; with_years >= 0 && r1; with_years--) {
		const char *tcol = r1, *ycol = NULL;
		if (with_years) {
			ycol = r1;
			tcol = NULL;
			for (const char *p = r1 - 1; p >= text; p--)
				if (*p == ':') {
					tcol = p;
					break;
				}
			if (!tcol)
				continue;
		}
		memset(out, 0, sizeof(*out));
		snprintf(sym, sizeof(sym), "%.*s", (int)(tcol - text), text);
		snprintf(tfs, sizeof(tfs), "%.*s",
			 (int)((ycol ? ycol : tcol + strlen(tcol)) - tcol - 1), tcol + 1);
		if (mfs_symbol_valid(sym) && strlen(sym) <= MFS_SYMBOL_MAX &&
		    parse_tfs(tfs, out->tf) &&
		    (!ycol || parse_years(ycol + 1, &out->year_lo, &out->year_hi)))
			goto done;
	}

	/* report what is wrong with the left reading */
	if (!sym_ok)
		snprintf(why, whylen, "'%s': '%s' is not a valid symbol", text, sym);
	else if (!tf_ok)
		snprintf(why, whylen,
			 "'%s': bad timeframe list '%s' (timeframes: 1m 5m 15m 30m 1h 4h 1d 1w 1M)",
			 text, tfs);
	else
		snprintf(why, whylen, "'%s': bad years '%s' (YEAR or YEAR-YEAR, %d to %d)", text,
			 years, MFS_FIRST_YEAR, MFS_LAST_YEAR);
	return false;
done:
	if (out->year_lo > out->year_hi) {
		snprintf(why, whylen, "'%s': years %d-%d run backwards", text, out->year_lo,
			 out->year_hi);
		return false;
	}
	snprintf(out->symbol, sizeof(out->symbol), "%s", sym);
	return true;
}
