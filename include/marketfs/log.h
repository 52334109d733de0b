/*
 * Logging: stderr in the foreground, syslog when daemonized, or a file.
 * Thread-safe. libfuse's own messages are routed here too (fs/main.c).
 */
#ifndef MARKETFS_LOG_H
#define MARKETFS_LOG_H

enum mfs_log_level {
	MFS_LOG_ERR = 0,
	MFS_LOG_WARN,
	MFS_LOG_NOTICE,
	MFS_LOG_INFO,
	MFS_LOG_DEBUG
};

enum mfs_log_dest { MFS_LOG_STDERR = 0, MFS_LOG_SYSLOG, MFS_LOG_FILE };

/* Returns 0, or -1 with errno if the file cannot be opened. */
int mfs_log_open(enum mfs_log_dest dest, const char *path);
void mfs_log_close(void);
void mfs_log_set_level(enum mfs_log_level level);
enum mfs_log_level mfs_log_get_level(void);
/* "err", "warn"/"warning", "notice", "info", "debug"; -1 if unknown. */
int mfs_log_level_parse(const char *s);

void mfs_log(enum mfs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define mfs_err_log(...) mfs_log(MFS_LOG_ERR, __VA_ARGS__)
#define mfs_warn(...) mfs_log(MFS_LOG_WARN, __VA_ARGS__)
#define mfs_notice(...) mfs_log(MFS_LOG_NOTICE, __VA_ARGS__)
#define mfs_info(...) mfs_log(MFS_LOG_INFO, __VA_ARGS__)
#define mfs_debug(...) mfs_log(MFS_LOG_DEBUG, __VA_ARGS__)

#endif
