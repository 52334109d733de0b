/*
 * Helpers shared by the unit tests (tests/unit/test_*.c): fixture files,
 * temporary directories, files written with given content.
 *
 * Header-only: each test is one translation unit, and the functions are
 * `static inline` so that a test that uses only some of them builds
 * without an unused-function warning. They fail the running test (Check's
 * ck_assert / ck_abort) rather than return an error.
 */
#ifndef MFS_TESTUTIL_H
#define MFS_TESTUTIL_H

#include <check.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MFS_FIXTURES
#error "MFS_FIXTURES (the tests/fixtures directory) is set by tests/meson.build"
#endif

/*
 * MFS_FIXTURES/rel, read whole into a malloc'd buffer with a '\0' after
 * its *len bytes; the caller frees it. A missing fixture fails the test.
 */
static inline char *tu_fixture(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", MFS_FIXTURES, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		ck_abort_msg("cannot open fixture %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* tu_fixture() of MFS_FIXTURES/dir/name. */
static inline char *tu_fixture_in(const char *dir, const char *name, size_t *len)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	return tu_fixture(rel, len);
}

/*
 * A new directory (mkdtemp) named by the printf-style prefix followed by
 * six random characters, e.g. tu_tmpdir(d, sizeof(d), "/tmp/mfs_test_x.")
 * or tu_tmpdir(d, sizeof(d), "%s/t.", parent); its path is left in out.
 */
static inline void tu_tmpdir(char *out, size_t len, const char *prefix_fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void tu_tmpdir(char *out, size_t len, const char *prefix_fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, prefix_fmt);
	n = vsnprintf(out, len, prefix_fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n + 6 < len, "temporary directory name too long");
	memcpy(out + n, "XXXXXX", 7);
	ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp %s failed", out);
}

static inline int tu_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf dir (links are removed, not followed). */
static inline void tu_rmtree(const char *dir)
{
	if (nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Create (or truncate) path holding the len bytes at data. */
static inline void tu_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* tu_write() of a string, without its '\0'. */
static inline void tu_write_text(const char *path, const char *text)
{
	tu_write(path, text, strlen(text));
}

#endif
