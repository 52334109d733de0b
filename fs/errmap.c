/*
 * The one place where marketfs errors become errno values.
 */
#include <errno.h>

#include "fs/fs.h"

int mfs_errno(enum mfs_err code)
{
	switch (code) {
	case MFS_OK:
		return 0;
	case MFS_ERR_NOMEM:
		return ENOMEM;
	case MFS_ERR_NOT_FOUND:
	case MFS_ERR_NO_DATA:
		return ENOENT;
	case MFS_ERR_CANCELLED:
		return EINTR;
	case MFS_ERR_INVALID:
		return EINVAL;
	case MFS_ERR_IO:
	case MFS_ERR_PARSE:
	case MFS_ERR_RATE_LIMIT:
	case MFS_ERR_TRANSPORT:
	case MFS_ERR_SERVER:
	case MFS_ERR_PERMANENT:
	case MFS_ERR_TIMEOUT:
	case MFS_ERR_OFFLINE:
	case MFS_ERR_CORRUPT:
	case MFS_ERR_CONFIG:
	default:
		return EIO;
	}
}
