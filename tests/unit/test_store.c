/*
 * Unit tests for cache/store.c: paths, atomic installs (content, mode
 * 0644, no temp files left, replacement that leaves an open reader on the
 * old bytes), bounded reads, sha256 of a buffer and of a file, cleaning of
 * leftover install temp files, and refusing a relative cache directory.
 * Every test works in its own mkdtemp directory and removes it.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <marketfs/err.h>
#include <marketfs/timeframe.h>

#include "cache/store.h"
#include "testutil.h"

#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/*
 * basedir is made once in the runner process (unchecked fixture) and
 * removed there even when a forked test fails; each test works in its own
 * tmpdir below it.
 */
static char basedir[128], tmpdir[256];

static void make_base(void)
{
	tu_tmpdir(basedir, sizeof(basedir), "/tmp/mfs_test_store.");
}

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "%s/t.", basedir);
}

static void remove_base(void)
{
	tu_rmtree(basedir);
}

static void open_store(struct mfs_store *st)
{
	struct mfs_error err = { 0 };

	ck_assert_int_eq(mfs_store_open(st, tmpdir, &err), MFS_OK);
}

static char *slurp(const char *path)
{
	struct mfs_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;

	ck_assert_int_eq(mfs_store_read(path, 1 << 20, &buf, &len, &err), MFS_OK);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

static void set_age(const char *path, long age_s)
{
	struct timeval tv[2];

	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - age_s;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	ck_assert_int_eq(utimes(path, tv), 0);
}

/* Names in dir other than "." and ".."; fails on any temp file. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_msg(strstr(de->d_name, ".tmp.") == NULL, "temp file left: %s",
			      de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_path)
{
	struct mfs_store st;
	struct mfs_error err = { 0 };
	char path[512], want[512], root[300];

	open_store(&st);
	ck_assert_int_eq(mfs_store_path(&st, "AAPL", MFS_TF_1D, 2024, MFS_FILE_DATA, path,
					sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/AAPL/1d/2024.csv.gz", tmpdir);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(mfs_store_path(&st, "^GSPC", MFS_TF_1MO, 1999, MFS_FILE_SIDECAR, path,
					sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/^GSPC/1M/1999.metadata.json", tmpdir);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(mfs_store_path(&st, "AAPL", MFS_TF_1M, 2024, MFS_FILE_DATA, path,
					strlen(tmpdir) + 10), -1);
	mfs_store_close(&st);
	ck_assert_ptr_null(st.root);

	/* a trailing slash on the root does not double up */
	snprintf(root, sizeof(root), "%s/", tmpdir);
	ck_assert_int_eq(mfs_store_open(&st, root, &err), MFS_OK);
	ck_assert_int_eq(mfs_store_path(&st, "X", MFS_TF_1H, 2020, MFS_FILE_DATA, path,
					sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/X/1h/2020.csv.gz", tmpdir);
	ck_assert_str_eq(path, want);
	mfs_store_close(&st);
}
END_TEST

START_TEST(test_open_refuses_relative)
{
	struct mfs_store st = { 0 };
	struct mfs_error err = { 0 };

	ck_assert_int_ne(mfs_store_open(&st, "relative/cache", &err), MFS_OK);
	ck_assert(err.msg[0] != '\0');
	ck_assert_ptr_null(st.root);
	ck_assert_int_ne(access("relative", F_OK), 0); /* nothing created */
	ck_assert_int_ne(mfs_store_open(&st, "", &err), MFS_OK);
}
END_TEST

START_TEST(test_open_creates_root)
{
	struct mfs_store st;
	struct mfs_error err = { 0 };
	char root[300];
	struct stat sb;

	snprintf(root, sizeof(root), "%s/a/b/cache", tmpdir);
	ck_assert_int_eq(mfs_store_open(&st, root, &err), MFS_OK);
	ck_assert_int_eq(stat(root, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	mfs_store_close(&st);
}
END_TEST

START_TEST(test_install)
{
	struct mfs_store st;
	struct mfs_error err = { 0 };
	char data_path[512], side_path[512], dir[512];
	const char data[] = "\x1f\x8b binary \0 data";
	const char side[] = "{\"sha256\": \"x\"}\n";
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;

	open_store(&st);
	ck_assert_int_eq(mfs_store_install(&st, "AAPL", MFS_TF_1D, 2024, data, sizeof(data),
					   side, strlen(side), 1700000000, &err), MFS_OK);
	mfs_store_path(&st, "AAPL", MFS_TF_1D, 2024, MFS_FILE_DATA, data_path, sizeof(data_path));
	mfs_store_path(&st, "AAPL", MFS_TF_1D, 2024, MFS_FILE_SIDECAR, side_path,
		       sizeof(side_path));

	ck_assert_int_eq(mfs_store_read(data_path, 1024, &buf, &len, &err), MFS_OK);
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_int_eq(memcmp(buf, data, len), 0);
	ck_assert_int_eq(buf[len], '\0');
	free(buf);
	buf = slurp(side_path);
	ck_assert_str_eq(buf, side);
	free(buf);
	/* regression: both files carry the data's last_updated as their mtime */
	ck_assert_int_eq(stat(data_path, &sb), 0);
	ck_assert_int_eq(sb.st_mtime, 1700000000);
	ck_assert_int_eq(stat(side_path, &sb), 0);
	ck_assert_int_eq(sb.st_mtime, 1700000000);

	ck_assert_int_eq(stat(data_path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0644);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(stat(side_path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0644);

	snprintf(dir, sizeof(dir), "%s/AAPL/1d", tmpdir);
	ck_assert_int_eq(count_entries(dir), 2);
	mfs_store_close(&st);
}
END_TEST

START_TEST(test_install_replaces)
{
	struct mfs_store st;
	struct mfs_error err = { 0 };
	char data_path[512], side_path[512], dir[512], old[16] = { 0 };
	struct stat before, after;
	char *buf;
	int fd;

	open_store(&st);
	ck_assert_int_eq(mfs_store_install(&st, "BTCUSDT", MFS_TF_1H, 2023, "old data", 8,
					   "old side", 8, 0, &err), MFS_OK);
	mfs_store_path(&st, "BTCUSDT", MFS_TF_1H, 2023, MFS_FILE_DATA, data_path,
		       sizeof(data_path));
	mfs_store_path(&st, "BTCUSDT", MFS_TF_1H, 2023, MFS_FILE_SIDECAR, side_path,
		       sizeof(side_path));
	ck_assert_int_eq(stat(data_path, &before), 0);
	fd = open(data_path, O_RDONLY); /* a reader with the old file open */
	ck_assert_int_ge(fd, 0);

	ck_assert_int_eq(mfs_store_install(&st, "BTCUSDT", MFS_TF_1H, 2023,
					   "new data, longer", 16, "new side", 8, 0, &err), MFS_OK);
	buf = slurp(data_path);
	ck_assert_str_eq(buf, "new data, longer");
	free(buf);
	buf = slurp(side_path);
	ck_assert_str_eq(buf, "new side");
	free(buf);
	/* replaced by rename, not rewritten in place: the reader keeps the old bytes */
	ck_assert_int_eq(stat(data_path, &after), 0);
	ck_assert_uint_ne(before.st_ino, after.st_ino);
	ck_assert_int_eq(after.st_mode & 07777, 0644);
	ck_assert_int_eq(read(fd, old, sizeof(old) - 1), 8);
	ck_assert_str_eq(old, "old data");
	close(fd);

	snprintf(dir, sizeof(dir), "%s/BTCUSDT/1h", tmpdir);
	ck_assert_int_eq(count_entries(dir), 2);
	mfs_store_close(&st);
}
END_TEST

START_TEST(test_read_limits)
{
	struct mfs_error err = { 0 };
	char path[300];
	char *buf = NULL;
	size_t len = 99;

	snprintf(path, sizeof(path), "%s/f.txt", tmpdir);
	tu_write_text(path, "0123456789");
	ck_assert_int_ne(mfs_store_read(path, 9, &buf, &len, &err), MFS_OK);
	ck_assert_ptr_null(buf);
	ck_assert(err.msg[0] != '\0');
	ck_assert_int_eq(mfs_store_read(path, 10, &buf, &len, &err), MFS_OK);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "0123456789");
	free(buf);
	buf = NULL;

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ck_assert_int_eq(mfs_store_read(path, 10, &buf, &len, &err), MFS_ERR_NOT_FOUND);
	ck_assert_ptr_null(buf);

	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	tu_write_text(path, "");
	ck_assert_int_eq(mfs_store_read(path, 0, &buf, &len, &err), MFS_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(buf, "");
	free(buf);
}
END_TEST

START_TEST(test_sha256)
{
	struct mfs_error err = { 0 };
	char hex[65], fhex[65], path[300];
	size_t big_len = 200000;
	char *big = malloc(big_len);

	mfs_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, SHA_ABC);
	mfs_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, SHA_EMPTY);

	snprintf(path, sizeof(path), "%s/abc", tmpdir);
	tu_write_text(path, "abc");
	ck_assert_int_eq(mfs_sha256_file(path, fhex, &err), MFS_OK);
	ck_assert_str_eq(fhex, SHA_ABC);

	/* a file longer than the read buffer */
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + i / 251);
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	tu_write(path, big, big_len);
	mfs_sha256_hex(big, big_len, hex);
	ck_assert_int_eq(mfs_sha256_file(path, fhex, &err), MFS_OK);
	ck_assert_str_eq(fhex, hex);
	free(big);

	snprintf(path, sizeof(path), "%s/nope", tmpdir);
	ck_assert_int_eq(mfs_sha256_file(path, fhex, &err), MFS_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_clean_temps)
{
	struct mfs_store st;
	char dir[300], old_tmp[400], young_tmp[400], normal[400], hidden[400], root_tmp[400];

	open_store(&st);
	snprintf(dir, sizeof(dir), "%s/AAPL/1d", tmpdir);
	ck_assert_int_eq(mfs_mkdirs(dir), 0);
	snprintf(old_tmp, sizeof(old_tmp), "%s/.2024.csv.gz.tmp.ABCDEF", dir);
	snprintf(young_tmp, sizeof(young_tmp), "%s/.2024.metadata.json.tmp.GHIJKL", dir);
	snprintf(normal, sizeof(normal), "%s/2023.csv.gz", dir);
	snprintf(hidden, sizeof(hidden), "%s/.keep", dir);
	snprintf(root_tmp, sizeof(root_tmp), "%s/.x.tmp.QWERTY", tmpdir);
	tu_write_text(old_tmp, "partial");
	tu_write_text(young_tmp, "partial");
	tu_write_text(normal, "data");
	tu_write_text(hidden, "");
	tu_write_text(root_tmp, "partial");
	set_age(old_tmp, 3600);
	set_age(young_tmp, 10);
	set_age(normal, 7200);
	set_age(hidden, 7200);
	set_age(root_tmp, 3600);

	ck_assert_uint_eq(mfs_store_clean_temps(&st, 600), 2);
	ck_assert_int_ne(access(old_tmp, F_OK), 0);
	ck_assert_int_ne(access(root_tmp, F_OK), 0);
	ck_assert_int_eq(access(young_tmp, F_OK), 0);
	ck_assert_int_eq(access(normal, F_OK), 0);
	ck_assert_int_eq(access(hidden, F_OK), 0);
	ck_assert_uint_eq(mfs_store_clean_temps(&st, 600), 0);
	/* with a smaller age the young one goes too */
	ck_assert_uint_eq(mfs_store_clean_temps(&st, 5), 1);
	ck_assert_int_ne(access(young_tmp, F_OK), 0);
	ck_assert_int_eq(access(normal, F_OK), 0);
	mfs_store_close(&st);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_open_refuses_relative);
	tcase_add_test(tc, test_open_creates_root);
	tcase_add_test(tc, test_install);
	tcase_add_test(tc, test_install_replaces);
	tcase_add_test(tc, test_read_limits);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_clean_temps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
