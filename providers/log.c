/*
 * Logging for the daemon and its tools.
 *
 * One process-wide destination: stderr in the foreground, syslog once
 * daemonized, or an append-only file. Every layer may log from any thread,
 * so formatting and writing happen under one mutex and a record is never
 * interleaved with another. Messages above the current level are dropped
 * before any formatting, with one atomic load, so debug calls are cheap in
 * the data path.
 *
 * This module must never crash or exit because of a message: a NULL format
 * logs "(null)", a message longer than LOG_MSG_MAX is truncated with "...",
 * and control characters (a stray newline from libfuse, say) become spaces
 * so that one call is one line. errno is preserved across mfs_log(), so a
 * caller may log and then inspect errno.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <marketfs/log.h>

#define LOG_MSG_MAX 4096 /* bytes of one message, including the '\0' */
#define LOG_TIME_MAX 32	 /* "2024-01-02T14:30:00.123Z" and some slack */
#define LOG_IDENT "marketfs"

/* Read without the lock: mfs_log() drops filtered messages with one load. */
static atomic_int log_level = MFS_LOG_INFO;

/* log_lock guards log_dest and log_file, and serialises every write. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum mfs_log_dest log_dest = MFS_LOG_STDERR;
static FILE *log_file;

static const char *const level_names[] = {
	[MFS_LOG_ERR] = "error",   [MFS_LOG_WARN] = "warning",
	[MFS_LOG_NOTICE] = "notice", [MFS_LOG_INFO] = "info",
	[MFS_LOG_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[MFS_LOG_ERR] = LOG_ERR,       [MFS_LOG_WARN] = LOG_WARNING,
	[MFS_LOG_NOTICE] = LOG_NOTICE, [MFS_LOG_INFO] = LOG_INFO,
	[MFS_LOG_DEBUG] = LOG_DEBUG,
};

/* Undo whatever the current destination opened. Caller holds log_lock. */
static void close_dest_locked(void)
{
	if (log_dest == MFS_LOG_SYSLOG)
		closelog();
	if (log_file) {
		fclose(log_file);
		log_file = NULL;
	}
	log_dest = MFS_LOG_STDERR;
}

int mfs_log_open(enum mfs_log_dest dest, const char *path)
{
	FILE *f = NULL;

	if (dest != MFS_LOG_STDERR && dest != MFS_LOG_SYSLOG && dest != MFS_LOG_FILE) {
		errno = EINVAL;
		return -1;
	}
	if (dest == MFS_LOG_FILE) {
		if (!path || !*path) {
			errno = EINVAL;
			return -1;
		}
		/* Opened before taking the lock: fopen() may block on NFS. */
		f = fopen(path, "ae");
		if (!f)
			return -1;
		setvbuf(f, NULL, _IOLBF, 0);
	}

	pthread_mutex_lock(&log_lock);
	close_dest_locked();
	log_dest = dest;
	if (dest == MFS_LOG_SYSLOG)
		openlog(LOG_IDENT, LOG_PID, LOG_DAEMON);
	else if (dest == MFS_LOG_FILE)
		log_file = f;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void mfs_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	close_dest_locked();
	pthread_mutex_unlock(&log_lock);
}

void mfs_log_set_level(enum mfs_log_level level)
{
	if ((int)level < MFS_LOG_ERR)
		level = MFS_LOG_ERR;
	if ((int)level > MFS_LOG_DEBUG)
		level = MFS_LOG_DEBUG;
	atomic_store(&log_level, (int)level);
}

enum mfs_log_level mfs_log_get_level(void)
{
	return (enum mfs_log_level)atomic_load(&log_level);
}

int mfs_log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		enum mfs_log_level level;
	} names[] = {
		{ "err", MFS_LOG_ERR },	      { "error", MFS_LOG_ERR },
		{ "warn", MFS_LOG_WARN },     { "warning", MFS_LOG_WARN },
		{ "notice", MFS_LOG_NOTICE }, { "info", MFS_LOG_INFO },
		{ "debug", MFS_LOG_DEBUG },
	};

	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return (int)names[i].level;
	return -1;
}

/* "2024-01-02T14:30:00.123Z", UTC. */
static void format_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm) ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf + n, len - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* Format into msg (LOG_MSG_MAX bytes): truncated, one line, no trailing newline. */
static void format_message(char *msg, const char *fmt, va_list ap)
{
	static const char ellipsis[] = "...";
	int n;
	size_t len;

	if (!fmt)
		fmt = "(null)";
	n = vsnprintf(msg, LOG_MSG_MAX, fmt, ap);
	if (n < 0) {
		snprintf(msg, LOG_MSG_MAX, "(unformattable message: %s)", fmt);
		n = 0;
	}
	len = strlen(msg);
	if ((size_t)n >= LOG_MSG_MAX) {
		memcpy(msg + LOG_MSG_MAX - sizeof(ellipsis), ellipsis, sizeof(ellipsis));
		len = LOG_MSG_MAX - 1;
	}
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 && msg[i] != '\t')
			msg[i] = ' ';
}

void mfs_log(enum mfs_log_level level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	char when[LOG_TIME_MAX];
	int saved_errno = errno;
	va_list ap;

	if ((int)level < MFS_LOG_ERR || (int)level > atomic_load(&log_level))
		return;

	va_start(ap, fmt);
	format_message(msg, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	switch (log_dest) {
	case MFS_LOG_SYSLOG:
		syslog(syslog_prio[level], "%s", msg);
		break;
	case MFS_LOG_FILE:
	case MFS_LOG_STDERR:
	default: {
		FILE *out = log_file ? log_file : stderr;

		format_now(when, sizeof(when));
		fprintf(out, "%s %s[%ld]: %s: %s\n", when, LOG_IDENT, (long)getpid(),
			level_names[level], msg);
		fflush(out);
		break;
	}
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}
