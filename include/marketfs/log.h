/*
 * Logging: stderr in the foreground, syslog when daemonized, or a file.
 * Thread-safe. libfuse's own messages are routed here too (fs/main.c).
 *
 * Two formats. Text (the default) is one human line per message:
 *   2024-01-02T14:30:00.123Z marketfs[1234]: warning: AAPL/1d/2024: HTTP 500
 * JSON is one object per line, for log shippers and jq:
 *   {"time":"2024-01-02T14:30:00.123Z","level":"warning","pid":1234,
 *    "message":"AAPL/1d/2024: HTTP 500","event":"fetch","symbol":"AAPL",...}
 * With syslog as the destination the JSON object is the syslog message.
 * mfs_log_event() attaches structured fields (struct mfs_log_fields) that
 * only the JSON format shows; in text mode it prints exactly what mfs_log()
 * would print for the same message.
 */
#ifndef MARKETFS_LOG_H
#define MARKETFS_LOG_H

#include <stdint.h>

enum mfs_log_level {
	MFS_LOG_ERR = 0,
	MFS_LOG_WARN,
	MFS_LOG_NOTICE,
	MFS_LOG_INFO,
	MFS_LOG_DEBUG
};

enum mfs_log_dest { MFS_LOG_STDERR = 0, MFS_LOG_SYSLOG, MFS_LOG_FILE };

enum mfs_log_format { MFS_LOG_TEXT = 0, MFS_LOG_JSON };

/* Which of the numeric members of struct mfs_log_fields are set. */
enum {
	MFS_LOGF_YEAR = 1u << 0,
	MFS_LOGF_DURATION = 1u << 1,
	MFS_LOGF_ROWS = 1u << 2,
	MFS_LOGF_BYTES = 1u << 3,
	MFS_LOGF_REQUESTS = 1u << 4,
};

/*
 * The structured part of an event. A NULL string is left out of the JSON
 * object, and so is a number whose MFS_LOGF_ bit is not in `has` (0 rows
 * and "rows unknown" are different things). Strings are borrowed for the
 * duration of the call.
 */
struct mfs_log_fields {
	const char *event;     /* "fetch", "fundamentals" */
	const char *symbol;
	const char *timeframe; /* "1d" */
	const char *provider;  /* "yahoo" */
	const char *result;    /* "ok", "error", "stale" */
	const char *error;     /* the error kind when result is "error": mfs_err_name() */
	unsigned has;	       /* MFS_LOGF_ bits */
	int year;
	int64_t duration_ms;
	int64_t rows;
	int64_t bytes;
	int64_t requests;
};

/* Returns 0, or -1 with errno if the file cannot be opened. */
int mfs_log_open(enum mfs_log_dest dest, const char *path);
void mfs_log_close(void);
void mfs_log_set_level(enum mfs_log_level level);
enum mfs_log_level mfs_log_get_level(void);
/* "err", "warn"/"warning", "notice", "info", "debug"; -1 if unknown. */
int mfs_log_level_parse(const char *s);
void mfs_log_set_format(enum mfs_log_format format);
enum mfs_log_format mfs_log_get_format(void);
/* "text" or "json"; -1 if unknown. */
int mfs_log_format_parse(const char *s);

void mfs_log(enum mfs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* mfs_log() with structured fields; f may be NULL. */
void mfs_log_event(enum mfs_log_level level, const struct mfs_log_fields *f, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

#define mfs_err_log(...) mfs_log(MFS_LOG_ERR, __VA_ARGS__)
#define mfs_warn(...) mfs_log(MFS_LOG_WARN, __VA_ARGS__)
#define mfs_notice(...) mfs_log(MFS_LOG_NOTICE, __VA_ARGS__)
#define mfs_info(...) mfs_log(MFS_LOG_INFO, __VA_ARGS__)
#define mfs_debug(...) mfs_log(MFS_LOG_DEBUG, __VA_ARGS__)

#endif
