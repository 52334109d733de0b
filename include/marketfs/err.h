/*
 * Error vocabulary shared by every layer.
 *
 * The core returns an enum mfs_err plus a human-readable message kept in a
 * struct mfs_error; errno values are produced only at the FUSE boundary
 * (fs/errmap.c). Messages never contain secrets: URLs are redacted before
 * they are formatted into a message.
 */
#ifndef MARKETFS_ERR_H
#define MARKETFS_ERR_H

#include <stdarg.h>

enum mfs_err {
	MFS_OK = 0,
	MFS_ERR_NOMEM,      /* allocation failed */
	MFS_ERR_IO,         /* local file system error */
	MFS_ERR_INVALID,    /* bad input: path, option, argument */
	MFS_ERR_NOT_FOUND,  /* the provider does not know the symbol */
	MFS_ERR_NO_DATA,    /* the symbol exists, but there is nothing in range */
	MFS_ERR_PARSE,      /* the provider's answer does not parse */
	MFS_ERR_RATE_LIMIT, /* HTTP 429/418 or a provider's throttle message */
	MFS_ERR_TRANSPORT,  /* connection failed, reset, truncated body */
	MFS_ERR_SERVER,     /* HTTP 5xx or another unexpected status */
	MFS_ERR_PERMANENT,  /* refused for good: HTTP 451, a plan gate */
	MFS_ERR_TIMEOUT,    /* a deadline passed */
	MFS_ERR_CANCELLED,  /* the waiting reader was interrupted */
	MFS_ERR_OFFLINE,    /* offline mode and nothing cached */
	MFS_ERR_CORRUPT,    /* a cached file does not match its sidecar */
	MFS_ERR_CONFIG,     /* the configuration is wrong */
	MFS_ERR__COUNT
};

#define MFS_ERRMSG_MAX 512

struct mfs_error {
	enum mfs_err code;
	char msg[MFS_ERRMSG_MAX];
};

/* A short stable name such as "rate_limit", used in sidecars and logs. */
const char *mfs_err_name(enum mfs_err code);

/*
 * Record an error and return its code, so that callers can write
 * `return mfs_error_set(err, MFS_ERR_PARSE, "...", ...);`. err may be NULL.
 */
enum mfs_err mfs_error_set(struct mfs_error *err, enum mfs_err code,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum mfs_err mfs_error_vset(struct mfs_error *err, enum mfs_err code,
			    const char *fmt, va_list ap);
void mfs_error_clear(struct mfs_error *err);

/* True for errors after which another try (or another provider) may help. */
int mfs_err_is_transient(enum mfs_err code);

#endif
