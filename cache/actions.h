/*
 * SYMBOL/actions.csv: the splits and dividends known for a symbol (SPEC
 * section 2), kept in the cache tree beside the timeframe directories so
 * that a copied tree carries them. Header "date,type,value"; type is
 * "split" (value: new shares per old) or "dividend" (cash per share).
 */
#ifndef MARKETFS_CACHE_ACTIONS_H
#define MARKETFS_CACHE_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include <marketfs/provider.h>

struct mfs_cache;

#define MFS_ACTIONS_FILE "actions.csv"
#define MFS_ACTIONS_HEADER "date,type,value\n"

/* Parse the file's text; malformed lines are skipped. 0, or -1 without memory. */
int mfs_actions_parse(const char *text, size_t len, struct mfs_action **out, size_t *n);
/* Sort by date then type and drop repeats (the last one wins). */
void mfs_actions_normalise(struct mfs_action *a, size_t *n);
/* The file's text for a normalised list (malloc'd), NULL without memory. */
char *mfs_actions_render(const struct mfs_action *a, size_t n, size_t *len);

/* The symbol's known actions (none if the file is absent). */
enum mfs_err mfs_cache_actions(struct mfs_cache *c, const char *symbol, struct mfs_action **out,
			       size_t *n, struct mfs_error *err);
/*
 * Merge actions from a provider's answer into the file, under the symbol's
 * "actions" lock (jobs of other timeframes of the symbol run at the same
 * time). *all and *nall (may be NULL) get the merged list (malloc'd).
 * *new_split gets the earliest ex-date of a split that was not known
 * before (0 if none): files fetched before it are then stale
 * (mfs_cache_split_stale).
 */
enum mfs_err mfs_cache_merge_actions(struct mfs_cache *c, const char *symbol,
				     const struct mfs_action *add, size_t nadd, int64_t *new_split,
				     struct mfs_action **all, size_t *nall, struct mfs_error *err);
/*
 * Did a split happen after `since` (epoch s) that changes bars of the
 * file starting at first_t (series time)? Then a file fetched at `since`
 * holds prices not adjusted for it and must be fetched whole again.
 */
bool mfs_cache_split_after(struct mfs_cache *c, const char *symbol, int64_t since,
			   int64_t first_t);
/*
 * A split with ex-date ex_t (days * 86400) appeared: make every cached file
 * of symbol whose year is not after the ex-date's, and that was fetched
 * before the ex-date (a later fetch got adjusted prices), stale now,
 * finished years included, by rewriting its sidecar's stale_after. held_tf
 * is the timeframe whose fetch lock the caller holds; the files of other
 * timeframes are rewritten under theirs, and skipped if another fetch holds
 * it (that fetch installs fresh files anyway). Returns how many.
 */
unsigned mfs_cache_split_stale(struct mfs_cache *c, const char *symbol, int64_t ex_t,
			       enum mfs_tf held_tf);

#endif
