/*
 * Symbol names and their asset class.
 */
#ifndef MARKETFS_SYMBOL_H
#define MARKETFS_SYMBOL_H

#include <stdbool.h>

enum mfs_class {
	MFS_CLASS_STOCK = 0, /* stocks and ETFs */
	MFS_CLASS_CRYPTO,
	MFS_CLASS_INDEX,
	MFS_CLASS_FOREX,
	MFS_CLASS_FUTURES,
	MFS_CLASS__COUNT
};

/*
 * SPEC section 1: 1-32 characters of A-Z a-z 0-9 . - _ ^ = : and not "."
 * or ".." (or anything made only of dots).
 */
bool mfs_symbol_valid(const char *name);

/* Classification from the symbol's form (config overrides come later). */
enum mfs_class mfs_symbol_classify(const char *name);
const char *mfs_class_name(enum mfs_class cls); /* "stock", "crypto", ... */
/* "stock" (or "etf"), "crypto", "index", "forex", "futures" -> the class; -1 if none. */
int mfs_class_parse(const char *name);

/* Stocks, ETFs and indices carry adj_close on 1d/1w/1M. */
bool mfs_class_has_adj_close(enum mfs_class cls);

#endif
