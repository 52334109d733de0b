/*
 * The log (providers/log.c): text lines stay as they were, JSON lines are
 * one complete object per line whatever the message holds (quotes, control
 * characters, invalid UTF-8, an oversized message), structured fields are
 * present exactly when set, and the level filter applies to both formats.
 * Every test logs to its own temporary file and reads it back; JSON lines
 * are checked with jansson, which rejects invalid JSON and invalid UTF-8.
 */
#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <marketfs/log.h>

#define MAX_LINES 64

static char log_path[64];
static char *lines[MAX_LINES];
static int n_lines;

static void log_to_temp(enum mfs_log_format format)
{
	snprintf(log_path, sizeof(log_path), "/tmp/mfs-test-log.XXXXXX");
	int fd = mkstemp(log_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(mfs_log_open(MFS_LOG_FILE, log_path), 0);
	mfs_log_set_level(MFS_LOG_DEBUG);
	mfs_log_set_format(format);
}

/* Close the log and read it back into lines[] (each without its '\n'). */
static void read_back(void)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	mfs_log_close();
	f = fopen(log_path, "r");
	ck_assert_ptr_nonnull(f);
	n_lines = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		ck_assert_int_lt(n_lines, MAX_LINES);
		ck_assert_msg(n > 0 && line[n - 1] == '\n', "a record without its newline");
		line[n - 1] = '\0';
		lines[n_lines++] = strdup(line);
	}
	free(line);
	fclose(f);
	unlink(log_path);
}

static void free_lines(void)
{
	for (int i = 0; i < n_lines; i++)
		free(lines[i]);
	n_lines = 0;
}

/* Line i parsed as one JSON object; fails the test if it is not. */
static json_t *parse_line(int i)
{
	json_error_t je;
	json_t *o = json_loads(lines[i], JSON_REJECT_DUPLICATES, &je);

	ck_assert_msg(o != NULL, "line %d is not JSON (%s): %s", i, je.text, lines[i]);
	ck_assert_msg(json_is_object(o), "line %d is not an object", i);
	return o;
}

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

START_TEST(test_text_mode_unchanged)
{
	const struct mfs_log_fields f = { .event = "fetch", .symbol = "AAPL", .year = 2024,
					  .has = MFS_LOGF_YEAR };
	regex_t re;
	char want[128];

	log_to_temp(MFS_LOG_TEXT);
	mfs_log(MFS_LOG_WARN, "AAPL/1d/%d: %s", 2024, "HTTP 500");
	mfs_log_event(MFS_LOG_WARN, &f, "AAPL/1d/%d: %s", 2024, "HTTP 500");
	mfs_log_event(MFS_LOG_INFO, NULL, "two\nlines");
	read_back();
	ck_assert_int_eq(n_lines, 3);
	ck_assert_int_eq(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
				 "marketfs\\[[0-9]+\\]: warning: AAPL/1d/2024: HTTP 500$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	ck_assert_msg(regexec(&re, lines[0], 0, NULL, 0) == 0, "text line: %s", lines[0]);
	regfree(&re);
	/* the event prints exactly what mfs_log() prints: no field leaks in */
	ck_assert_str_eq(strchr(lines[0], ' '), strchr(lines[1], ' '));
	snprintf(want, sizeof(want), " marketfs[%ld]: info: two lines", (long)getpid());
	ck_assert_str_eq(strchr(lines[2], ' '), want);
	free_lines();
}
END_TEST

START_TEST(test_json_escaping)
{
	/* quote, backslash, newline, tab, \x01, DEL, valid UTF-8 (e-acute, euro,
	 * an emoji), then invalid UTF-8: a lone continuation byte, a truncated
	 * sequence, an overlong '/', a surrogate, 0xFF */
	static const char msg[] = "q\"b\\n\nt\tc\x01"
				  "d\x7f|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\x80|\xc3|"
				  "\xc0\xaf|\xed\xa0\x80|\xff";
	static const char want[] = "q\"b\\n\nt\tc\x01"
				   "d\x7f|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xef\xbf\xbd|"
				   "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd";

	log_to_temp(MFS_LOG_JSON);
	mfs_log(MFS_LOG_NOTICE, "%s", msg);
	read_back();
	ck_assert_int_eq(n_lines, 1);
	/* the raw line: control characters escaped, nothing below 0x20 left */
	for (const char *p = lines[0]; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20, "raw control character in %s", lines[0]);
	ck_assert_ptr_nonnull(strstr(lines[0], "\\n"));
	ck_assert_ptr_nonnull(strstr(lines[0], "\\t"));
	ck_assert_ptr_nonnull(strstr(lines[0], "\\u0001"));
	ck_assert_ptr_nonnull(strstr(lines[0], "\\ufffd"));
	json_t *o = parse_line(0);
	ck_assert_str_eq(str_of(o, "message"), want);
	ck_assert_str_eq(str_of(o, "level"), "notice");
	json_decref(o);
	free_lines();
}
END_TEST

START_TEST(test_json_one_object_per_line)
{
	char big[10000];

	memset(big, '"', sizeof(big) - 1); /* every byte doubles when escaped */
	big[sizeof(big) - 1] = '\0';
	log_to_temp(MFS_LOG_JSON);
	mfs_log(MFS_LOG_ERR, "first\n");
	mfs_log(MFS_LOG_WARN, "second\r\nwith a newline inside\n\n");
	mfs_log(MFS_LOG_INFO, "%s", big);
	mfs_log(MFS_LOG_DEBUG, NULL);
	read_back();
	ck_assert_int_eq(n_lines, 4);
	for (int i = 0; i < n_lines; i++) {
		json_t *o = parse_line(i);
		const char *t = str_of(o, "time");
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(strlen(t), strlen("2024-01-02T14:30:00.123Z"));
		ck_assert_int_eq(t[strlen(t) - 1], 'Z');
		ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), getpid());
		ck_assert_ptr_nonnull(str_of(o, "message"));
		json_decref(o);
	}
	json_t *o = parse_line(0);
	ck_assert_str_eq(str_of(o, "level"), "error");
	ck_assert_str_eq(str_of(o, "message"), "first");
	json_decref(o);
	o = parse_line(1);
	ck_assert_str_eq(str_of(o, "message"), "second\r\nwith a newline inside");
	json_decref(o);
	o = parse_line(2); /* cut like a text message, still a whole object */
	const char *m = str_of(o, "message");
	ck_assert_uint_lt(strlen(m), sizeof(big) - 1);
	ck_assert_uint_gt(strlen(m), 4000);
	ck_assert_str_eq(m + strlen(m) - 3, "...");
	json_decref(o);
	o = parse_line(3);
	ck_assert_str_eq(str_of(o, "message"), "(null)");
	ck_assert_str_eq(str_of(o, "level"), "debug");
	json_decref(o);
	free_lines();
}
END_TEST

START_TEST(test_json_fields_present_and_absent)
{
	const struct mfs_log_fields all = {
		.event = "fetch", .symbol = "BTC\"USDT", .timeframe = "1h", .year = 2024,
		.provider = "binance", .result = "ok", .duration_ms = 0, .rows = 0,
		.bytes = 12345678901LL, .requests = 3,
		.has = MFS_LOGF_YEAR | MFS_LOGF_DURATION | MFS_LOGF_ROWS | MFS_LOGF_BYTES |
		       MFS_LOGF_REQUESTS,
	};
	const struct mfs_log_fields some = { .event = "fundamentals", .symbol = "AAPL",
					     .result = "error", .error = "server_error",
					     .rows = 7, .year = 1999,
					     .has = MFS_LOGF_DURATION, .duration_ms = 42 };
	static const char *const keys[] = { "event", "symbol", "timeframe", "year", "provider",
					    "duration_ms", "result", "error", "rows", "bytes",
					    "requests" };
	char longsym[1000];

	memset(longsym, 'A', sizeof(longsym) - 1);
	longsym[sizeof(longsym) - 1] = '\0';
	const struct mfs_log_fields huge = { .symbol = longsym };

	log_to_temp(MFS_LOG_JSON);
	mfs_log_event(MFS_LOG_INFO, &all, "installed");
	mfs_log_event(MFS_LOG_WARN, &some, "failed");
	mfs_log_event(MFS_LOG_WARN, NULL, "plain");
	mfs_log(MFS_LOG_WARN, "plain too");
	mfs_log_event(MFS_LOG_WARN, &huge, "a long symbol");
	read_back();
	ck_assert_int_eq(n_lines, 5);

	json_t *o = parse_line(0);
	ck_assert_str_eq(str_of(o, "message"), "installed");
	ck_assert_str_eq(str_of(o, "event"), "fetch");
	ck_assert_str_eq(str_of(o, "symbol"), "BTC\"USDT");
	ck_assert_str_eq(str_of(o, "timeframe"), "1h");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "year")), 2024);
	ck_assert_str_eq(str_of(o, "provider"), "binance");
	ck_assert_str_eq(str_of(o, "result"), "ok");
	/* zero is a value, not "absent" */
	ck_assert(json_is_integer(json_object_get(o, "duration_ms")));
	ck_assert(json_is_integer(json_object_get(o, "rows")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "rows")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "bytes")), 12345678901LL);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "requests")), 3);
	ck_assert_ptr_null(json_object_get(o, "error"));
	json_decref(o);

	o = parse_line(1);
	ck_assert_str_eq(str_of(o, "event"), "fundamentals");
	ck_assert_str_eq(str_of(o, "error"), "server_error");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "duration_ms")), 42);
	/* set but not flagged in `has`: left out */
	ck_assert_ptr_null(json_object_get(o, "rows"));
	ck_assert_ptr_null(json_object_get(o, "year"));
	ck_assert_ptr_null(json_object_get(o, "timeframe"));
	ck_assert_ptr_null(json_object_get(o, "provider"));
	json_decref(o);

	for (int i = 2; i <= 3; i++) {
		o = parse_line(i);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			ck_assert_msg(json_object_get(o, keys[k]) == NULL, "%s in a plain message",
				      keys[k]);
		ck_assert_int_eq(json_object_size(o), 4); /* time, level, pid, message */
		json_decref(o);
	}

	o = parse_line(4); /* a field is cut, not the object */
	const char *s = str_of(o, "symbol");
	ck_assert_uint_lt(strlen(s), sizeof(longsym) - 1);
	ck_assert_str_eq(s + strlen(s) - 3, "...");
	json_decref(o);
	free_lines();
}
END_TEST

START_TEST(test_level_filtering)
{
	const struct mfs_log_fields f = { .event = "fetch", .result = "ok" };

	for (int format = MFS_LOG_TEXT; format <= MFS_LOG_JSON; format++) {
		log_to_temp((enum mfs_log_format)format);
		mfs_log_set_level(MFS_LOG_WARN);
		mfs_log(MFS_LOG_DEBUG, "dropped");
		mfs_log(MFS_LOG_INFO, "dropped");
		mfs_log_event(MFS_LOG_INFO, &f, "dropped");
		mfs_log_event(MFS_LOG_NOTICE, &f, "dropped");
		mfs_log_event(MFS_LOG_WARN, &f, "kept 1");
		mfs_log(MFS_LOG_ERR, "kept 2");
		mfs_log((enum mfs_log_level)99, "dropped");
		errno = ENOSPC;
		mfs_log_event(MFS_LOG_ERR, &f, "kept 3");
		ck_assert_int_eq(errno, ENOSPC); /* preserved */
		read_back();
		ck_assert_int_eq(n_lines, 3);
		for (int i = 0; i < n_lines; i++) {
			ck_assert_ptr_null(strstr(lines[i], "dropped"));
			ck_assert_ptr_nonnull(strstr(lines[i], "kept"));
		}
		free_lines();
	}
}
END_TEST

START_TEST(test_format_parse)
{
	ck_assert_int_eq(mfs_log_format_parse("text"), MFS_LOG_TEXT);
	ck_assert_int_eq(mfs_log_format_parse("json"), MFS_LOG_JSON);
	ck_assert_int_eq(mfs_log_format_parse("JSON"), MFS_LOG_JSON);
	ck_assert_int_eq(mfs_log_format_parse("xml"), -1);
	ck_assert_int_eq(mfs_log_format_parse(""), -1);
	ck_assert_int_eq(mfs_log_format_parse(NULL), -1);
	mfs_log_set_format(MFS_LOG_JSON);
	ck_assert_int_eq(mfs_log_get_format(), MFS_LOG_JSON);
	mfs_log_set_format((enum mfs_log_format)7);
	ck_assert_int_eq(mfs_log_get_format(), MFS_LOG_TEXT);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_text_mode_unchanged);
	tcase_add_test(tc, test_json_escaping);
	tcase_add_test(tc, test_json_one_object_per_line);
	tcase_add_test(tc, test_json_fields_present_and_absent);
	tcase_add_test(tc, test_level_filtering);
	tcase_add_test(tc, test_format_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
