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
 * Two formats: text, one human line per message, and JSON, one object per
 * line with the structured fields of mfs_log_event(). A JSON line is built
 * in a static buffer under log_lock, sized so that the longest message with
 * every field, all escaped, always fits: the object is always complete.
 *
 * This module must never crash or exit because of a message: a NULL format
 * logs "(null)", a message longer than LOG_MSG_MAX is truncated with "...",
 * and in text mode control characters (a stray newline from libfuse, say)
 * become spaces so that one call is one line; in JSON mode they are
 * escaped, and so is invalid UTF-8 (as U+FFFD). errno is preserved across
 * mfs_log(), so a caller may log and then inspect errno.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
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
#define LOG_FIELD_MAX 256 /* bytes of one structured string field, before escaping */
#define LOG_ESCAPE_MAX 6  /* the longest escape of one input byte: \u00XX */
#define LOG_N_STRING_FIELDS 6 /* the const char * members of struct mfs_log_fields */
/* the message, every string field escaped, and room for keys, numbers, time */
#define LOG_JSON_MAX                                                                   \
	(LOG_ESCAPE_MAX * LOG_MSG_MAX +                                                 \
	 LOG_N_STRING_FIELDS * (LOG_ESCAPE_MAX * LOG_FIELD_MAX + sizeof("...")) + 1024)

/* Read without the lock: mfs_log() drops filtered messages with one load. */
static atomic_int log_level = MFS_LOG_INFO;
static atomic_int log_format = MFS_LOG_TEXT;

/* log_lock guards log_dest and log_file, and serialises every write. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum mfs_log_dest log_dest = MFS_LOG_STDERR;
static FILE *log_file;
static char json_line[LOG_JSON_MAX]; /* also guarded by log_lock */

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

void mfs_log_set_format(enum mfs_log_format format)
{
	atomic_store(&log_format, format == MFS_LOG_JSON ? MFS_LOG_JSON : MFS_LOG_TEXT);
}

enum mfs_log_format mfs_log_get_format(void)
{
	return (enum mfs_log_format)atomic_load(&log_format);
}

int mfs_log_format_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcasecmp(s, "text") == 0)
		return MFS_LOG_TEXT;
	if (strcasecmp(s, "json") == 0)
		return MFS_LOG_JSON;
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

/*
 * Format into msg (LOG_MSG_MAX bytes): truncated, no trailing newline. In
 * text mode (flatten) control characters become spaces, so that one call is
 * one line; JSON escapes them instead.
 */
static void format_message(char *msg, bool flatten, const char *fmt, va_list ap)
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
	if (!flatten)
		return;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 && msg[i] != '\t')
			msg[i] = ' ';
}

/* ---- JSON ---------------------------------------------------------------- */

/* An append-only view of json_line; never writes past cap - 1. */
struct jbuf {
	char *p;
	size_t len, cap;
};

static void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (n > b->cap - 1 - b->len)
		n = b->cap - 1 - b->len; /* cannot happen: LOG_JSON_MAX is big enough */
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void jb_str0(struct jbuf *b, const char *s)
{
	jb_raw(b, s, strlen(s));
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes available), or 0
 * if it is not one: no overlong forms, no surrogates, nothing past U+10FFFF
 * (RFC 3629, table 3-7 of the Unicode standard).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need + 1;
}

/* A JSON string of at most max bytes of s ("..." marks a cut). */
static void jb_string(struct jbuf *b, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	bool cut = n > max;

	if (cut)
		n = max;
	jb_raw(b, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];
		char esc[8];
		size_t k;

		switch (c) {
		case '"':
			jb_raw(b, "\\\"", 2);
			break;
		case '\\':
			jb_raw(b, "\\\\", 2);
			break;
		case '\b':
			jb_raw(b, "\\b", 2);
			break;
		case '\f':
			jb_raw(b, "\\f", 2);
			break;
		case '\n':
			jb_raw(b, "\\n", 2);
			break;
		case '\r':
			jb_raw(b, "\\r", 2);
			break;
		case '\t':
			jb_raw(b, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7F) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				jb_raw(b, esc, 6);
			} else if ((k = utf8_len(u + i, n - i)) == 0) {
				jb_raw(b, "\\ufffd", 6); /* one per bad byte */
			} else {
				jb_raw(b, s + i, k);
				i += k;
				continue;
			}
		}
		i++;
	}
	if (cut)
		jb_raw(b, "...", 3);
	jb_raw(b, "\"", 1);
}

static void jb_key(struct jbuf *b, const char *key)
{
	jb_raw(b, ",\"", 2);
	jb_str0(b, key);
	jb_raw(b, "\":", 2);
}

static void jb_field_str(struct jbuf *b, const char *key, const char *v)
{
	if (!v)
		return;
	jb_key(b, key);
	jb_string(b, v, LOG_FIELD_MAX);
}

static void jb_field_int(struct jbuf *b, const char *key, int64_t v)
{
	char num[32];

	jb_key(b, key);
	snprintf(num, sizeof(num), "%" PRId64, v);
	jb_str0(b, num);
}

/* The whole record as one JSON object, without a newline. Caller holds log_lock. */
static const char *render_json_locked(enum mfs_log_level level, const struct mfs_log_fields *f,
				      const char *msg)
{
	struct jbuf b = { json_line, 0, sizeof(json_line) };
	char when[LOG_TIME_MAX];
	char pid[32];

	format_now(when, sizeof(when));
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	jb_str0(&b, "{\"time\":");
	jb_string(&b, when, LOG_TIME_MAX);
	jb_str0(&b, ",\"level\":");
	jb_string(&b, level_names[level], LOG_FIELD_MAX);
	jb_str0(&b, ",\"pid\":");
	jb_str0(&b, pid);
	jb_str0(&b, ",\"message\":");
	jb_string(&b, msg, LOG_MSG_MAX);
	if (f) {
		jb_field_str(&b, "event", f->event);
		jb_field_str(&b, "symbol", f->symbol);
		jb_field_str(&b, "timeframe", f->timeframe);
		if (f->has & MFS_LOGF_YEAR)
			jb_field_int(&b, "year", f->year);
		jb_field_str(&b, "provider", f->provider);
		if (f->has & MFS_LOGF_DURATION)
			jb_field_int(&b, "duration_ms", f->duration_ms);
		jb_field_str(&b, "result", f->result);
		jb_field_str(&b, "error", f->error);
		if (f->has & MFS_LOGF_ROWS)
			jb_field_int(&b, "rows", f->rows);
		if (f->has & MFS_LOGF_BYTES)
			jb_field_int(&b, "bytes", f->bytes);
		if (f->has & MFS_LOGF_REQUESTS)
			jb_field_int(&b, "requests", f->requests);
	}
	jb_raw(&b, "}", 1);
	return json_line;
}

/* ---- writing ------------------------------------------------------------- */

static void vlog(enum mfs_log_level level, const struct mfs_log_fields *f, const char *fmt,
		 va_list ap)
{
	char msg[LOG_MSG_MAX];
	char when[LOG_TIME_MAX];
	bool json = atomic_load(&log_format) == MFS_LOG_JSON;

	format_message(msg, !json, fmt, ap);

	pthread_mutex_lock(&log_lock);
	switch (log_dest) {
	case MFS_LOG_SYSLOG:
		/* syslog adds its own time and pid; JSON keeps them for shippers */
		syslog(syslog_prio[level], "%s", json ? render_json_locked(level, f, msg) : msg);
		break;
	case MFS_LOG_FILE:
	case MFS_LOG_STDERR:
	default: {
		FILE *out = log_file ? log_file : stderr;

		if (json) {
			fprintf(out, "%s\n", render_json_locked(level, f, msg));
		} else {
			format_now(when, sizeof(when));
			fprintf(out, "%s %s[%ld]: %s: %s\n", when, LOG_IDENT, (long)getpid(),
				level_names[level], msg);
		}
		fflush(out);
		break;
	}
	}
	pthread_mutex_unlock(&log_lock);
}

void mfs_log(enum mfs_log_level level, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if ((int)level < MFS_LOG_ERR || (int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void mfs_log_event(enum mfs_log_level level, const struct mfs_log_fields *f, const char *fmt,
		   ...)
{
	int saved_errno = errno;
	va_list ap;

	if ((int)level < MFS_LOG_ERR || (int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vlog(level, f, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}
