/*
 * Error names and the helpers that fill struct mfs_error.
 */
#include <stdio.h>
#include <string.h>

#include <marketfs/err.h>

static const char *const names[MFS_ERR__COUNT] = {
	[MFS_OK] = "ok",
	[MFS_ERR_NOMEM] = "out_of_memory",
	[MFS_ERR_IO] = "io_error",
	[MFS_ERR_INVALID] = "invalid",
	[MFS_ERR_NOT_FOUND] = "not_found",
	[MFS_ERR_NO_DATA] = "no_data",
	[MFS_ERR_PARSE] = "unparseable",
	[MFS_ERR_RATE_LIMIT] = "rate_limited",
	[MFS_ERR_TRANSPORT] = "transport_error",
	[MFS_ERR_SERVER] = "server_error",
	[MFS_ERR_PERMANENT] = "refused",
	[MFS_ERR_TIMEOUT] = "timeout",
	[MFS_ERR_CANCELLED] = "cancelled",
	[MFS_ERR_OFFLINE] = "offline",
	[MFS_ERR_CORRUPT] = "corrupt",
	[MFS_ERR_CONFIG] = "config_error",
};

const char *mfs_err_name(enum mfs_err code)
{
	if ((unsigned)code >= MFS_ERR__COUNT)
		return "unknown";
	return names[code];
}

enum mfs_err mfs_error_vset(struct mfs_error *err, enum mfs_err code, const char *fmt,
			    va_list ap)
{
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

enum mfs_err mfs_error_set(struct mfs_error *err, enum mfs_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mfs_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void mfs_error_clear(struct mfs_error *err)
{
	if (err) {
		err->code = MFS_OK;
		err->msg[0] = '\0';
	}
}

int mfs_err_is_transient(enum mfs_err code)
{
	switch (code) {
	case MFS_ERR_RATE_LIMIT:
	case MFS_ERR_TRANSPORT:
	case MFS_ERR_SERVER:
	case MFS_ERR_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}
