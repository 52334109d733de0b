/*
 * marketfs-ctl's private vocabulary: what every command gets from main
 * (ctl.c), the SPEC parser (ctl_spec.c), and the commands themselves
 * (ctl_fetch.c: prefetch, refresh; ctl_verify.c: verify; ctl_info.c:
 * status, providers, reindex, gc).
 *
 * marketfs-ctl works on the cache through the same cache API as the daemon,
 * in its own process. Cross-process safety comes from the cache itself: a
 * flock per (symbol, timeframe) around every fetch and install, atomic
 * renames, SQLite in WAL mode, and one _metadata/running.<pid> sentinel
 * per process. The ctl never removes a file the daemon owns, and only
 * prefetch and refresh ever send a provider request.
 */
#ifndef MARKETFS_FS_CTL_H
#define MARKETFS_FS_CTL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/limits.h>

/* Exit status of every command. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,      /* something failed: a fetch, a bad file */
	CTL_EXIT_USAGE = 2,       /* usage or configuration error */
	CTL_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: stopped cleanly */
	CTL_EXIT_BROKEN_PIPE = 141  /* stdout went away (| head): stopped cleanly */
};

/* What main hands to a command. */
struct ctl {
	struct mfs_cache *cache;
	const struct mfs_config *cfg;
	int verbose;        /* -v count */
	bool quiet;         /* -q */
	/* command options (main checks which command accepts which) */
	bool json;          /* status, providers: --json */
	bool dry_run;       /* gc/evict: --dry-run */
	bool repair;        /* verify: --repair */
	char **args;        /* the command's positional arguments */
	int n_args;
	/* set by the signal thread (ctl.c); commands stop starting new work */
	atomic_bool *interrupted;
};

/* A parsed SPEC: SYMBOL[:TF[,TF...][:YEAR[-YEAR]]]. */
struct ctl_spec {
	char symbol[MFS_SYMBOL_MAX + 1];
	bool tf[MFS_TF__COUNT];
	int year_lo, year_hi; /* 0, 0: the default years */
};
/* Parse one SPEC; false with a message in why (a usage error). */
bool ctl_spec_parse(const char *text, struct ctl_spec *out, char *why, size_t whylen);

/* Commands: each returns an enum ctl_exit value. */
int ctl_cmd_prefetch(struct ctl *x);
int ctl_cmd_refresh(struct ctl *x);
int ctl_cmd_verify(struct ctl *x);
int ctl_cmd_status(struct ctl *x);
int ctl_cmd_providers(struct ctl *x);
int ctl_cmd_reindex(struct ctl *x);
int ctl_cmd_gc(struct ctl *x);

/*
 * Should the command stop starting new work? Yes after SIGINT/SIGTERM, and
 * once standard output is gone (SIGPIPE is ignored, so that `| head` does
 * not kill us with the cache open). Call from the command's own thread.
 */
bool ctl_should_stop(struct ctl *x);

/* "829 B", "3.4 MiB": sizes for people, in powers of 1024 like the config's. */
void ctl_fmt_bytes(uint64_t bytes, char *buf, size_t len);

#endif
