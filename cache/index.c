/*
 * index.db (see index.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include <marketfs/log.h>
#include <marketfs/symbol.h>

#include "cache/index.h"
#include "cache/sidecar.h"

#define SCHEMA_VERSION 2
#define BUSY_TIMEOUT_MS 5000

struct mfs_index {
	sqlite3 *db;
	pthread_mutex_t mu; /* one statement at a time on db */
	char sentinel[4096];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS files(symbol TEXT, tf TEXT, year INTEGER,"
	" size INTEGER, mtime_ns INTEGER, sha256 TEXT, last_updated INTEGER,"
	" stale_after INTEGER, last_read INTEGER DEFAULT 0,"
	" PRIMARY KEY(symbol, tf, year));"
	"CREATE TABLE IF NOT EXISTS symbols(symbol TEXT PRIMARY KEY, first_trade INTEGER,"
	" tz TEXT, close_minute INTEGER);"
	"CREATE TABLE IF NOT EXISTS negative(symbol TEXT PRIMARY KEY, until INTEGER,"
	" reason TEXT);"
	"CREATE TABLE IF NOT EXISTS quality(symbol TEXT, tf TEXT, year INTEGER, score REAL,"
	" rows INTEGER, gaps INTEGER, expected INTEGER, present INTEGER, last_updated INTEGER,"
	" source TEXT, PRIMARY KEY(symbol, tf, year));";

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		mfs_warn("index.db: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int check_db(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0)
		ok = 1;
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema'", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == SCHEMA_VERSION;
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					   SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") < 0 ||
	    exec(db, schema) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void remove_db(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static int run(struct mfs_index *idx, sqlite3_stmt **out, const char *sql, const char *types,
	       ...);

/* Refill files and symbols from every sidecar in the tree; returns pairs seen. */
static int rebuild(struct mfs_index *idx, const struct mfs_store *st)
{
	DIR *root = opendir(st->root);
	struct dirent *sd;
	unsigned files = 0;

	if (!root)
		return 0;
	exec(idx->db, "BEGIN");
	while ((sd = readdir(root))) {
		if (!mfs_symbol_valid(sd->d_name) || strcmp(sd->d_name, "_metadata") == 0)
			continue;
		for (int tf = 0; tf < MFS_TF__COUNT; tf++) {
			char dir[4096];
			DIR *td;
			struct dirent *yd;

			snprintf(dir, sizeof(dir), "%s/%s/%s", st->root, sd->d_name,
				 mfs_tf_name((enum mfs_tf)tf));
			td = opendir(dir);
			if (!td)
				continue;
			while ((yd = readdir(td))) {
				int year;
				char tail[32], path[4200], *text = NULL;
				size_t len;
				struct mfs_sidecar sc;
				struct stat sb;

				if (sscanf(yd->d_name, "%4d.%31s", &year, tail) != 2 ||
				    strcmp(tail, "metadata.json") != 0)
					continue;
				snprintf(path, sizeof(path), "%s/%s", dir, yd->d_name);
				if (mfs_store_read(path, 1 << 20, &text, &len, NULL) != MFS_OK)
					continue;
				if (mfs_sidecar_parse(text, len, &sc, NULL) == MFS_OK) {
					struct mfs_index_symbol sym = { 0 };
					mfs_index_put_quality(idx, sd->d_name, (enum mfs_tf)tf, year, &sc);
					snprintf(sym.tz, sizeof(sym.tz), "%s", sc.tz);
					sym.close_minute = sc.close_minute;
					mfs_index_put_symbol(idx, sd->d_name, &sym);
					/* the data file is verified on first use, not here */
					mfs_store_path(st, sd->d_name, (enum mfs_tf)tf, year,
						       MFS_FILE_DATA, path, sizeof(path));
					if (stat(path, &sb) == 0)
						files++;
				}
				free(text);
			}
			closedir(td);
		}
	}
	exec(idx->db, "COMMIT");
	closedir(root);
	mfs_notice("index.db rebuilt from the cache tree (%u files)", files);
	return (int)files;
}

int mfs_index_rebuild(struct mfs_index *idx, const struct mfs_store *st)
{
	/*
	 * Refill what the sidecars tell (scores, zones) and forget files no
	 * longer in the tree. The files rows themselves are kept: they carry
	 * when each file was last read (eviction and maintenance need it), and
	 * their verification stamp (size, mtime, sha256) is checked against the
	 * tree on every use anyway. The negative cache and the maintenance log
	 * are kept too: the tree cannot tell them.
	 */
	sqlite3_stmt *sel;
	char path[4096];
	struct stat sb;

	if (exec(idx->db, "DELETE FROM quality; DELETE FROM symbols;") < 0)
		return -1;
	pthread_mutex_lock(&idx->mu);
	if (sqlite3_prepare_v2(idx->db, "SELECT symbol, tf, year FROM files", -1, &sel, NULL) ==
	    SQLITE_OK) {
		exec(idx->db, "CREATE TEMP TABLE IF NOT EXISTS gone(symbol, tf, year)");
		while (sqlite3_step(sel) == SQLITE_ROW) {
			enum mfs_tf tf = mfs_tf_parse(col_text(sel, 1));
			if (tf != MFS_TF_INVALID &&
			    mfs_store_path(st, col_text(sel, 0), tf, sqlite3_column_int(sel, 2),
					   MFS_FILE_DATA, path, sizeof(path)) == 0 &&
			    stat(path, &sb) == 0)
				continue;
			sqlite3_stmt *ins;
			if (sqlite3_prepare_v2(idx->db, "INSERT INTO gone VALUES(?1,?2,?3)", -1, &ins,
					       NULL) == SQLITE_OK) {
				sqlite3_bind_text(ins, 1, col_text(sel, 0), -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(ins, 2, col_text(sel, 1), -1, SQLITE_TRANSIENT);
				sqlite3_bind_int(ins, 3, sqlite3_column_int(sel, 2));
				sqlite3_step(ins);
				sqlite3_finalize(ins);
			}
		}
		sqlite3_finalize(sel);
		exec(idx->db, "DELETE FROM files WHERE (symbol, tf, year) IN "
			      "(SELECT symbol, tf, year FROM gone); DROP TABLE gone;");
	}
	pthread_mutex_unlock(&idx->mu);
	return rebuild(idx, st);
}

int mfs_index_touch(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
		    int64_t now)
{
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, NULL, "UPDATE files SET last_read=?4 WHERE symbol=?1 AND tf=?2 AND year=?3",
		 "ssdi", symbol, mfs_tf_name(tf), year, now);
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

sqlite3 *mfs_index_db(struct mfs_index *idx)
{
	return idx->db;
}

pthread_mutex_t *mfs_index_lock(struct mfs_index *idx)
{
	return &idx->mu;
}

/*
 * Each process using the cache (the daemon, marketfs-ctl) leaves
 * _metadata/running.<pid> while it works. A sentinel whose process is gone
 * means a crash: it is removed, and index.db is rebuilt, unless another
 * process is still using it (then its tables are kept; files are verified
 * on use anyway). Returns whether to rebuild.
 */
static bool check_sentinels(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool crashed = false, live = false;

	if (!d)
		return false;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, "running", 7) != 0)
			continue;
		pid = de->d_name[7] == '.' ? strtol(de->d_name + 8, &end, 10) : 0;
		if (de->d_name[7] == '\0' || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			char p[4400];
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
			crashed = true;
		} else {
			live = true;
		}
	}
	closedir(d);
	return crashed && !live;
}

struct mfs_index *mfs_index_open(const struct mfs_store *st, bool *rebuilt, struct mfs_error *err)
{
	char dir[4096], path[4200];
	struct mfs_index *idx = calloc(1, sizeof(*idx));
	bool suspect = false, existed;

	*rebuilt = false;
	if (!idx) {
		mfs_error_set(err, MFS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&idx->mu, NULL);
	snprintf(dir, sizeof(dir), "%s/_metadata", st->root);
	if (mfs_mkdirs(dir) < 0) {
		mfs_error_set(err, MFS_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
		goto fail;
	}
	snprintf(idx->sentinel, sizeof(idx->sentinel), "%s/running.%ld", dir, (long)getpid());
	snprintf(path, sizeof(path), "%s/index.db", dir);
	existed = access(path, F_OK) == 0;
	if (check_sentinels(dir)) {
		mfs_notice("a previous run did not stop cleanly: rebuilding index.db");
		suspect = true;
	}
	/*
	 * After a crash the database itself is intact (WAL), but the tables
	 * that mirror the tree may miss the last installs: those are emptied
	 * and refilled below. The negative cache and the maintenance log are
	 * kept (a killed maintenance run resumes). Only a damaged or foreign
	 * database is thrown away.
	 */
	idx->db = open_db(path);
	if (idx->db && existed && check_db(idx->db) < 0) {
		mfs_warn("index.db is damaged or from another version: rebuilding it");
		sqlite3_close(idx->db);
		remove_db(path);
		idx->db = open_db(path);
		suspect = true;
	}
	if (!idx->db) {
		mfs_error_set(err, MFS_ERR_IO, "cannot open %s", path);
		goto fail;
	}
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta VALUES('schema','%d')",
		 SCHEMA_VERSION);
	exec(idx->db, sql);
	if (suspect || !existed) {
		mfs_index_rebuild(idx, st);
		*rebuilt = true;
	}
	int fd = open(idx->sentinel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%ld\n", (long)getpid());
		close(fd);
	}
	return idx;
fail:
	pthread_mutex_destroy(&idx->mu);
	free(idx);
	return NULL;
}

void mfs_index_close(struct mfs_index *idx)
{
	if (!idx)
		return;
	sqlite3_close(idx->db);
	unlink(idx->sentinel);
	pthread_mutex_destroy(&idx->mu);
	free(idx);
}

int mfs_index_vrun(struct mfs_index *idx, sqlite3_stmt **out, const char *sql,
		   const char *types, va_list ap)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK) {
		mfs_warn("index.db: %s", sqlite3_errmsg(idx->db));
		return -1;
	}
	for (int i = 0; types[i]; i++) {
		if (types[i] == 's')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else if (types[i] == 'r')
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		else
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		mfs_warn("index.db: %s", sqlite3_errmsg(idx->db));
		sqlite3_finalize(st);
		return -1;
	}
	if (out && rc == SQLITE_ROW) {
		*out = st;
		return 1;
	}
	sqlite3_finalize(st);
	return 0;
}

static int run(struct mfs_index *idx, sqlite3_stmt **out, const char *sql, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = mfs_index_vrun(idx, out, sql, types, ap);
	va_end(ap);
	return rc;
}

int mfs_index_get_file(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
		       struct mfs_index_file *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, &st,
		 "SELECT size, mtime_ns, sha256, last_updated, stale_after FROM files "
		 "WHERE symbol=?1 AND tf=?2 AND year=?3",
		 "ssd", symbol, mfs_tf_name(tf), year);
	if (rc == 1) {
		out->size = sqlite3_column_int64(st, 0);
		out->mtime_ns = sqlite3_column_int64(st, 1);
		snprintf(out->sha256, sizeof(out->sha256), "%s",
			 col_text(st, 2));
		out->last_updated = sqlite3_column_int64(st, 3);
		out->stale_after = sqlite3_column_int64(st, 4);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_put_file(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
		       const struct mfs_index_file *f)
{
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, NULL,
		 "INSERT INTO files(symbol, tf, year, size, mtime_ns, sha256, last_updated,"
		 " stale_after) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
		 " ON CONFLICT(symbol, tf, year) DO UPDATE SET size=excluded.size,"
		 " mtime_ns=excluded.mtime_ns, sha256=excluded.sha256,"
		 " last_updated=excluded.last_updated, stale_after=excluded.stale_after",
		 "ssdiisii", symbol, mfs_tf_name(tf), year, f->size, f->mtime_ns, f->sha256,
		 f->last_updated, f->stale_after);
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_del_file(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year)
{
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, NULL, "DELETE FROM files WHERE symbol=?1 AND tf=?2 AND year=?3", "ssd",
		 symbol, mfs_tf_name(tf), year);
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_get_symbol(struct mfs_index *idx, const char *symbol, struct mfs_index_symbol *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, &st, "SELECT first_trade, tz, close_minute FROM symbols WHERE symbol=?1",
		 "s", symbol);
	if (rc == 1) {
		out->first_trade = sqlite3_column_int64(st, 0);
		snprintf(out->tz, sizeof(out->tz), "%s",
			 col_text(st, 1));
		out->close_minute = sqlite3_column_int(st, 2);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_put_symbol(struct mfs_index *idx, const char *symbol,
			 const struct mfs_index_symbol *s)
{
	int rc;

	/* a known first trade is never forgotten by a later answer without one */
	pthread_mutex_lock(&idx->mu);
	rc = run(idx, NULL,
		 "INSERT INTO symbols(symbol, first_trade, tz, close_minute) VALUES(?1,?2,?3,?4) "
		 "ON CONFLICT(symbol) DO UPDATE SET "
		 "first_trade = CASE WHEN ?2 != 0 THEN ?2 ELSE first_trade END, "
		 "tz = CASE WHEN ?3 != '' THEN ?3 ELSE tz END, "
		 "close_minute = CASE WHEN ?4 >= 0 THEN ?4 ELSE close_minute END",
		 "sisd", symbol, s->first_trade, s->tz, s->close_minute);
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_get_negative(struct mfs_index *idx, const char *symbol, int64_t now,
			   int64_t *until)
{
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, &st, "SELECT until FROM negative WHERE symbol=?1", "s", symbol);
	if (rc == 1) {
		int64_t u = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (u > now) {
			found = 1;
			if (until)
				*until = u;
		}
	}
	pthread_mutex_unlock(&idx->mu);
	return rc < 0 ? -1 : found;
}

int mfs_index_put_negative(struct mfs_index *idx, const char *symbol, int64_t until,
			   const char *reason)
{
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, NULL, "INSERT OR REPLACE INTO negative VALUES(?1,?2,?3)", "sis", symbol,
		 until, reason ? reason : "");
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_put_quality(struct mfs_index *idx, const char *symbol, enum mfs_tf tf, int year,
			  const struct mfs_sidecar *sc)
{
	int rc;

	pthread_mutex_lock(&idx->mu);
	rc = run(idx, NULL,
		 "INSERT OR REPLACE INTO quality VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", "ssdriiiiis",
		 symbol, mfs_tf_name(tf), year, sc->quality.score, (int64_t)sc->rows,
		 (int64_t)sc->gaps, (int64_t)sc->gap.expected, (int64_t)sc->gap.present,
		 sc->last_updated, sc->data_source);
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

int mfs_index_each_quality(struct mfs_index *idx, mfs_quality_row_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;

	pthread_mutex_lock(&idx->mu);
	if (sqlite3_prepare_v2(idx->db,
			       "SELECT symbol, tf, year, score, rows, gaps, expected, present,"
			       " last_updated, source FROM quality ORDER BY symbol, tf, year",
			       -1, &st, NULL) != SQLITE_OK) {
		pthread_mutex_unlock(&idx->mu);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct mfs_quality_row r = {
			.symbol = col_text(st, 0),
			.tf = col_text(st, 1),
			.year = sqlite3_column_int(st, 2),
			.score = sqlite3_column_double(st, 3),
			.rows = sqlite3_column_int64(st, 4),
			.gaps = sqlite3_column_int64(st, 5),
			.expected = sqlite3_column_int64(st, 6),
			.present = sqlite3_column_int64(st, 7),
			.last_updated = sqlite3_column_int64(st, 8),
			.source = col_text(st, 9),
		};
		if (fn(arg, &r)) {
			rc = 1;
			break;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&idx->mu);
	return rc;
}

void mfs_index_claim(struct mfs_index *idx)
{
	char dir[4096];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", idx->sentinel);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	unlink(idx->sentinel);
	snprintf(idx->sentinel, sizeof(idx->sentinel), "%s/running.%ld", dir, (long)getpid());
	fd = open(idx->sentinel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%ld\n", (long)getpid());
		close(fd);
	}
}
