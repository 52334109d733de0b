/*
 * The cache tree and atomic installs (see store.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <marketfs/log.h>

#include "cache/store.h"

#define TEMP_MARK ".tmp."

enum mfs_err mfs_store_open(struct mfs_store *st, const char *root, struct mfs_error *err)
{
	if (root[0] != '/')
		return mfs_error_set(err, MFS_ERR_CONFIG, "cache directory must be absolute: %s",
				     root);
	if (mfs_mkdirs(root) < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cannot create cache directory %s: %s", root,
				     strerror(errno));
	if (access(root, R_OK | W_OK | X_OK) < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cache directory %s is not usable: %s",
				     root, strerror(errno));
	st->root = strdup(root);
	if (!st->root)
		return mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
	size_t n = strlen(st->root);
	while (n > 1 && st->root[n - 1] == '/')
		st->root[--n] = '\0';
	return MFS_OK;
}

void mfs_store_close(struct mfs_store *st)
{
	free(st->root);
	st->root = NULL;
}

int mfs_store_path(const struct mfs_store *st, const char *symbol, enum mfs_tf tf, int year,
		   enum mfs_file_kind kind, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s/%s/%04d.%s", st->root, symbol, mfs_tf_name(tf), year,
			 kind == MFS_FILE_DATA ? "csv.gz" : "metadata.json");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int mfs_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write buf to a new temp file in dir, fsync'd, with mtime set; fd closed. */
static enum mfs_err write_temp(const char *dir, const char *name, const void *buf, size_t len,
			       int64_t mtime, char *tmp, size_t tmplen, struct mfs_error *err)
{
	enum mfs_err rc = MFS_OK;
	struct timespec times[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

	if (snprintf(tmp, tmplen, "%s/.%s" TEMP_MARK "XXXXXX", dir, name) >= (int)tmplen)
		return mfs_error_set(err, MFS_ERR_INVALID, "path too long: %s/%s", dir, name);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	if (write_all(fd, buf, len) < 0 || fchmod(fd, 0644) < 0 ||
	    (mtime > 0 && futimens(fd, times) < 0) || fsync(fd) < 0) {
		rc = mfs_error_set(err, MFS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) < 0) {
		rc = mfs_error_set(err, MFS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

enum mfs_err mfs_store_install(const struct mfs_store *st, const char *symbol, enum mfs_tf tf,
			       int year, const void *data, size_t data_len,
			       const void *sidecar, size_t sidecar_len, int64_t mtime,
			       struct mfs_error *err)
{
	char dir[4096], dtmp[4200], stmp[4200], dname[32], sname[32], ddst[4200], sdst[4200];
	enum mfs_err rc;

	if (snprintf(dir, sizeof(dir), "%s/%s/%s", st->root, symbol, mfs_tf_name(tf)) >=
	    (int)sizeof(dir))
		return mfs_error_set(err, MFS_ERR_INVALID, "path too long for %s", symbol);
	if (mfs_mkdirs(dir) < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
	snprintf(dname, sizeof(dname), "%04d.csv.gz", year);
	snprintf(sname, sizeof(sname), "%04d.metadata.json", year);
	snprintf(ddst, sizeof(ddst), "%s/%s", dir, dname);
	snprintf(sdst, sizeof(sdst), "%s/%s", dir, sname);

	/*
	 * Both files are complete and on disk before either is renamed, so the
	 * window in which a crash separates them is two renames long; the
	 * sidecar goes last, and a data file whose sidecar does not carry its
	 * sha256 is never served.
	 */
	rc = write_temp(dir, dname, data, data_len, mtime, dtmp, sizeof(dtmp), err);
	if (rc != MFS_OK)
		return rc;
	rc = write_temp(dir, sname, sidecar, sidecar_len, mtime, stmp, sizeof(stmp), err);
	if (rc != MFS_OK) {
		unlink(dtmp);
		return rc;
	}
	if (rename(dtmp, ddst) < 0) {
		rc = mfs_error_set(err, MFS_ERR_IO, "cannot install %s: %s", ddst, strerror(errno));
		unlink(dtmp);
		unlink(stmp);
		return rc;
	}
	if (rename(stmp, sdst) < 0) {
		rc = mfs_error_set(err, MFS_ERR_IO, "cannot install %s: %s", sdst, strerror(errno));
		unlink(stmp);
		return rc;
	}
	if (fsync_dir(dir) < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cannot sync directory %s: %s", dir,
				     strerror(errno));
	return MFS_OK;
}

enum mfs_err mfs_store_read(const char *path, size_t max, char **out, size_t *len,
			    struct mfs_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	enum mfs_err rc = MFS_OK;
	char *buf = NULL;

	if (fd < 0)
		return mfs_error_set(err, errno == ENOENT ? MFS_ERR_NOT_FOUND : MFS_ERR_IO,
				     "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = mfs_error_set(err, MFS_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if ((size_t)sb.st_size > max) {
		rc = mfs_error_set(err, MFS_ERR_CORRUPT, "%s is larger than %zu bytes", path, max);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = mfs_error_set(err, MFS_ERR_IO, "cannot read %s: %s", path,
					   r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

static void hex(const unsigned char *md, unsigned n, char out[65])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n && i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

void mfs_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	hex(md, n, out);
}

enum mfs_err mfs_sha256_file(const char *path, char out[65], struct mfs_error *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	enum mfs_err rc = MFS_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *ctx;

	if (fd < 0)
		return mfs_error_set(err, errno == ENOENT ? MFS_ERR_NOT_FOUND : MFS_ERR_IO,
				     "cannot open %s: %s", path, strerror(errno));
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		rc = mfs_error_set(err, MFS_ERR_NOMEM, "sha256: out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = mfs_error_set(err, MFS_ERR_IO, "cannot read %s: %s", path,
					   strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)r);
	}
	EVP_DigestFinal_ex(ctx, md, &n);
	hex(md, n, out);
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

static unsigned clean_dir(const char *dir, time_t cutoff, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned removed = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat sb;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (depth < 2)
				removed += clean_dir(path, cutoff, depth + 1);
		} else if (de->d_name[0] == '.' && strstr(de->d_name, TEMP_MARK) &&
			   sb.st_mtime < cutoff) {
			if (unlink(path) == 0) {
				removed++;
				mfs_info("removed leftover temp file %s", path);
			}
		}
	}
	closedir(d);
	return removed;
}

unsigned mfs_store_clean_temps(const struct mfs_store *st, long age_s)
{
	return clean_dir(st->root, time(NULL) - age_s, 0);
}

enum mfs_err mfs_store_write_file(const char *path, const void *data, size_t len,
				  struct mfs_error *err)
{
	char tmp[4200];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash || snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp.XXXXXX", (int)(slash - path), path,
			       slash + 1) >= (int)sizeof(tmp))
		return mfs_error_set(err, MFS_ERR_INVALID, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return mfs_error_set(err, MFS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return mfs_error_set(err, MFS_ERR_IO, "cannot write %s: %s", path, strerror(e));
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return mfs_error_set(err, MFS_ERR_IO, "cannot install %s: %s", path, strerror(e));
	}
	return MFS_OK;
}
