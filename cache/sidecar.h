/*
 * YEAR.metadata.json: the seed's metadata format plus marketfs's fields
 * (SPEC section 2). The sidecar is the commit record of an install: it is
 * written after the data file and holds the data file's sha256.
 */
#ifndef MARKETFS_CACHE_SIDECAR_H
#define MARKETFS_CACHE_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/err.h>
#include <marketfs/limits.h>
#include <marketfs/timeframe.h>

#include "cache/quality.h"
#include "cache/repair.h"
#include "cache/validate.h"

#define MFS_SIDECAR_MAX_TRIED 8

struct mfs_sidecar {
	char symbol[MFS_SYMBOL_MAX + 1];
	enum mfs_tf tf;
	int year;
	char data_source[32];
	int64_t created_at, last_updated;
	size_t rows;
	int64_t first_t, last_t; /* series time of the first/last bar (rows > 0) */
	struct mfs_quality quality;  /* its score is the full score */
	size_t gaps;                 /* missing stretches (what parse reads back) */
	bool has_gap_report;
	struct mfs_gap_report gap;   /* rendered when has_gap_report */
	char calendar[16];           /* the calendar the gaps were counted with */
	struct mfs_repair_report repair;
	size_t size_bytes;
	bool adj_col;
	char sha256[65];
	int64_t stale_after; /* 0: final (null in JSON) */
	unsigned requests;
	int64_t duration_ms;
	unsigned n_tried;
	struct {
		char name[32];
		char result[32];
	} tried[MFS_SIDECAR_MAX_TRIED];
	double reliability;
	char rate_limit[32];
	/* what the cache knows of the market, so a restart need not ask */
	char cls[16];
	char tz[64];
	int close_minute;
	/* the timeframe the bars were resampled from ("" when native) */
	char derived_from[8];
};

#include <jansson.h>

/* o as indented JSON text ending in "\n", malloc'd (every file we generate). */
enum mfs_err mfs_json_render(json_t *o, char **out, size_t *len, struct mfs_error *err);

/* JSON text, malloc'd, ending in "\n". */
enum mfs_err mfs_sidecar_render(const struct mfs_sidecar *sc, char **out, size_t *outlen,
				struct mfs_error *err);
/* Parse a sidecar written by mfs_sidecar_render (unknown keys ignored). */
enum mfs_err mfs_sidecar_parse(const char *text, size_t len, struct mfs_sidecar *sc,
			       struct mfs_error *err);

#endif
