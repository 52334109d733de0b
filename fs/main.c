/*
 * marketfs: options, configuration, mount, daemonize, serve, unmount.
 *
 * Order matters (sshfs's lesson): everything that can fail because of the
 * user's input (options, the config file, the cache directory) is checked
 * before mounting and reported on the terminal; fuse_daemonize() forks, so
 * the fetch pool starts after it. After mounting, nothing here exits
 * except on unmount or a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/http.h>
#include <marketfs/log.h>

#include "fs/fs.h"

struct cli {
	char *config;
	char *cache;
	char *log;
	char *log_level;
	char *log_format;
	int offline;
	int help;
	int version;
	int foreground;
	int debug;
	int singlethread;
	char *positional[3];
	int n_positional;
};

enum { KEY_HELP, KEY_VERSION, KEY_FOREGROUND, KEY_DEBUG, KEY_SINGLE, KEY_DISCARD };

#define CLI_OPT(t, f) { t, offsetof(struct cli, f), 1 }

static const struct fuse_opt cli_opts[] = {
	CLI_OPT("config=%s", config),
	CLI_OPT("cache=%s", cache),
	CLI_OPT("log=%s", log),
	CLI_OPT("log_level=%s", log_level),
	CLI_OPT("log_format=%s", log_format),
	CLI_OPT("offline", offline),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("-s", KEY_SINGLE),
	/* fstab-only options that mount(8) passes on: not ours, not FUSE's */
	FUSE_OPT_KEY("_netdev", KEY_DISCARD),
	FUSE_OPT_KEY("nofail", KEY_DISCARD),
	FUSE_OPT_KEY("auto", KEY_DISCARD),
	FUSE_OPT_KEY("noauto", KEY_DISCARD),
	FUSE_OPT_KEY("user", KEY_DISCARD),
	FUSE_OPT_KEY("users", KEY_DISCARD),
	FUSE_OPT_KEY("nouser", KEY_DISCARD),
	FUSE_OPT_KEY("defaults", KEY_DISCARD),
	FUSE_OPT_KEY("rw", KEY_DISCARD),
	FUSE_OPT_END
};

static void usage(const char *prog)
{
	printf("usage: %s [SOURCE] MOUNTPOINT [-f] [-d] [-o opt,...]\n"
	       "\n"
	       "Mount market data as files: MOUNTPOINT/SYMBOL/TIMEFRAME/YEAR.csv.gz\n"
	       "and YEAR.metadata.json, fetched from providers on first read.\n"
	       "SOURCE is accepted and ignored (for mount -t fuse.marketfs and fstab).\n"
	       "\n"
	       "marketfs options:\n"
	       "    -o config=FILE         configuration file (INI; see marketfs.conf(5))\n"
	       "    -o cache=DIR           cache directory (absolute path)\n"
	       "    -o offline             serve only what is cached, never fetch\n"
	       "    -o log=syslog|stderr|FILE  where messages go (default: stderr with -f,\n"
	       "                           else syslog)\n"
	       "    -o log_level=LEVEL     err, warn, notice (default), info, debug\n"
	       "    -o log_format=text|json  one line of text (default) or one JSON object\n"
	       "                           per message, with fetch fields\n"
	       "    -f                     stay in the foreground\n"
	       "    -d                     debug: foreground, libfuse tracing, log_level=debug\n"
	       "    -s                     single-threaded (for debugging)\n"
	       "    -h, --help             this help\n"
	       "    -V, --version          print the version\n"
	       "\n"
	       "FUSE options (see mount.fuse3(8)): allow_other, default_permissions, ro,\n"
	       "auto_unmount, max_read=N, ...; fstab-only options (_netdev, nofail, auto,\n"
	       "noauto, user, users, defaults, x-systemd.*) are accepted and ignored.\n",
	       prog);
}

static int cli_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct cli *c = data;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		c->help = 1;
		return 0;
	case KEY_VERSION:
		c->version = 1;
		return 0;
	case KEY_FOREGROUND:
		c->foreground = 1;
		return 0;
	case KEY_DEBUG:
		c->debug = 1;
		c->foreground = 1;
		return 1; /* libfuse's -d too */
	case KEY_SINGLE:
		c->singlethread = 1;
		return 0;
	case KEY_DISCARD:
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (c->n_positional >= 2) {
			fprintf(stderr, "marketfs: too many arguments: '%s'\n", arg);
			return -1;
		}
		c->positional[c->n_positional++] = strdup(arg);
		return 0;
	case FUSE_OPT_KEY_OPT:
		if (strncmp(arg, "x-", 2) == 0 || strncmp(arg, "comment=", 8) == 0)
			return 0; /* x-systemd.automount and friends */
		return 1; /* a FUSE option: libfuse checks it */
	default:
		return 1;
	}
}

/*
 * Route libfuse's own messages into our log. libfuse may write one line in
 * several calls ("unknown option(s): `", "-o x", "'\n"): collect pieces
 * until the newline, per thread.
 */
static void fuse_log_to_ours(enum fuse_log_level level, const char *fmt, va_list ap)
{
	static __thread char line[1024];
	static __thread size_t used;
	enum mfs_log_level l = level <= FUSE_LOG_ERR	   ? MFS_LOG_ERR
			       : level == FUSE_LOG_WARNING ? MFS_LOG_WARN
			       : level == FUSE_LOG_NOTICE  ? MFS_LOG_NOTICE
			       : level == FUSE_LOG_INFO	   ? MFS_LOG_INFO
							   : MFS_LOG_DEBUG;

	if (used < sizeof(line) - 1) {
		int n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
		if (n > 0)
			used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - 1 - used;
	}
	if (used == 0 || (line[used - 1] != '\n' && used < sizeof(line) - 1))
		return;
	while (used && line[used - 1] == '\n')
		line[--used] = '\0';
	const char *text = strncmp(line, "fuse: ", 6) == 0 ? line + 6 : line;
	mfs_log(l, "fuse: %s", text);
	used = 0;
	line[0] = '\0';
}

static int setup_log(const struct cli *c, bool daemonized)
{
	const char *dest = c->log;

	if (!dest)
		dest = daemonized ? "syslog" : "stderr";
	if (strcmp(dest, "syslog") == 0)
		return mfs_log_open(MFS_LOG_SYSLOG, NULL);
	if (strcmp(dest, "stderr") == 0)
		return mfs_log_open(MFS_LOG_STDERR, NULL);
	if (dest[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	return mfs_log_open(MFS_LOG_FILE, dest);
}

static void log_mounted(const char *mountpoint, const struct mfs_config *cfg)
{
	mfs_notice("marketfs %s mounted at %s (cache %s%s%s)", MFS_VERSION, mountpoint,
		   cfg->cache_dir, cfg->path ? ", config " : "", cfg->path ? cfg->path : "");
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct cli cli = { 0 };
	struct mfs_config cfg;
	struct mfs_error err = { 0 };
	struct mfs_fs fs = { 0 };
	struct fuse_loop_config *loop = NULL;
	const char *mountpoint;
	int ret = 1, level;

	mfs_config_defaults(&cfg);
	if (fuse_opt_parse(&args, &cli, cli_opts, cli_proc) < 0)
		goto out_args;
	if (cli.help) {
		usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (cli.version) {
		printf("marketfs %s (libfuse %s)\n", MFS_VERSION, fuse_pkgversion());
		ret = 0;
		goto out_args;
	}
	if (cli.n_positional == 0) {
		fprintf(stderr, "marketfs: no mount point given (try --help)\n");
		goto out_args;
	}
	mountpoint = cli.positional[cli.n_positional - 1];

	/* Logging to the terminal until we daemonize. */
	mfs_log_open(MFS_LOG_STDERR, NULL);
	level = MFS_LOG_NOTICE;
	if (cli.log_level) {
		level = mfs_log_level_parse(cli.log_level);
		if (level < 0) {
			fprintf(stderr, "marketfs: log_level '%s': expected err, warn, notice, "
					"info or debug\n", cli.log_level);
			goto out_args;
		}
	}
	if (cli.debug && !cli.log_level)
		level = MFS_LOG_DEBUG;
	mfs_log_set_level((enum mfs_log_level)level);
	if (cli.log_format) {
		int format = mfs_log_format_parse(cli.log_format);
		if (format < 0) {
			fprintf(stderr, "marketfs: log_format '%s': expected text or json\n",
				cli.log_format);
			goto out_args;
		}
		mfs_log_set_format((enum mfs_log_format)format);
	}
	fuse_set_log_func(fuse_log_to_ours);

	/* Configuration: -o config=, else the default file, else built-ins. */
	const char *cfgpath = cli.config ? cli.config : mfs_config_default_path();
	if (cfgpath && mfs_config_load(&cfg, cfgpath, &err) != MFS_OK) {
		fprintf(stderr, "marketfs: %s\n", err.msg);
		goto out_args;
	}
	mfs_config_apply_env(&cfg);
	if ((cli.cache && mfs_config_set(&cfg, "marketfs", "cache_dir", cli.cache, &err)) ||
	    (cli.offline && mfs_config_set(&cfg, "marketfs", "offline", "true", &err))) {
		fprintf(stderr, "marketfs: %s\n", err.msg);
		goto out_args;
	}

	for (int i = 0; i < MFS_PROV__COUNT; i++) {
		const struct mfs_provider_conf *pc = &cfg.provider[i];
		if (pc->enabled && strncmp(pc->base_url, "http://", 7) == 0 &&
		    !pc->allow_insecure && !mfs_http_is_loopback(pc->base_url)) {
			fprintf(stderr,
				"marketfs: [provider.%s] base_url uses plain http to a host that "
				"is not loopback; use https, or set allow_insecure = true\n",
				mfs_provider_name((enum mfs_provider_id)i));
			goto out_args;
		}
	}
	if (!cfg.cache_dir) {
		fprintf(stderr, "marketfs: no cache directory: set cache_dir or HOME\n");
		goto out_args;
	}
	if (mfs_http_global_init() < 0) {
		fprintf(stderr, "marketfs: cannot initialise libcurl\n");
		goto out_args;
	}
	fs.cfg = &cfg;
	fs.uid = getuid();
	fs.gid = getgid();
	clock_gettime(CLOCK_REALTIME, &fs.started);
	fs.inodes = mfs_inodes_new();
	fs.cache = fs.inodes ? mfs_cache_open(&cfg, &err) : NULL;
	if (!fs.cache) {
		fprintf(stderr, "marketfs: %s\n", fs.inodes ? err.msg : "out of memory");
		goto out_curl;
	}
	mfs_cache_set_hooks(fs.cache, &mfs_fs_hooks, &fs);

	/* SPEC: read-only; let the kernel say so too. */
	fuse_opt_add_arg(&args, "-oro");
	fuse_opt_add_arg(&args, "-ofsname=marketfs");
	fuse_opt_add_arg(&args, "-osubtype=marketfs");
	fs.se = fuse_session_new(&args, &mfs_ll_ops, sizeof(mfs_ll_ops), &fs);
	if (!fs.se)
		goto out_cache; /* libfuse said why (e.g. an unknown option) */
	if (fuse_set_signal_handlers(fs.se) != 0)
		goto out_session;
	if (fuse_session_mount(fs.se, mountpoint) != 0)
		goto out_signals;
	log_mounted(mountpoint, &cfg);
	if (!cli.foreground) {
		if (fuse_daemonize(0) != 0)
			goto out_unmount;
	}
	if (!cli.foreground || cli.log) {
		if (setup_log(&cli, !cli.foreground) < 0) {
			mfs_log_open(MFS_LOG_SYSLOG, NULL);
			mfs_err_log("cannot open log %s: %s; logging to syslog", cli.log,
				    strerror(errno));
		}
		/* the terminal saw the mount; the lasting log needs it too */
		log_mounted(mountpoint, &cfg);
	}
	if (mfs_cache_start(fs.cache, &err) != MFS_OK) {
		mfs_err_log("%s", err.msg);
		goto out_unmount;
	}

	if (cli.singlethread) {
		ret = fuse_session_loop(fs.se);
	} else {
		loop = fuse_loop_cfg_create();
		if (!loop) {
			mfs_err_log("out of memory");
			goto out_unmount;
		}
		/* Waiting readers hold worker threads: keep plenty (libfuse PR 1490). */
		fuse_loop_cfg_set_max_threads(loop, (unsigned)cfg.fuse_threads);
		fuse_loop_cfg_set_clone_fd(loop, 1);
		ret = fuse_session_loop_mt(fs.se, loop);
		fuse_loop_cfg_destroy(loop);
	}
	ret = ret < 0 ? 1 : 0;
	mfs_notice("unmounting %s", mountpoint);
out_unmount:
	fuse_session_unmount(fs.se);
out_signals:
	fuse_remove_signal_handlers(fs.se);
out_session:
	/* fetch threads may still call the hook: stop them before the session goes */
	mfs_cache_close(fs.cache);
	fs.cache = NULL;
	fuse_session_destroy(fs.se);
out_cache:
	mfs_cache_close(fs.cache);
out_curl:
	mfs_inodes_free(fs.inodes);
	mfs_http_global_cleanup();
out_args:
	for (int i = 0; i < cli.n_positional; i++)
		free(cli.positional[i]);
	free(cli.config);
	free(cli.cache);
	free(cli.log);
	free(cli.log_level);
	free(cli.log_format);
	mfs_config_free(&cfg);
	fuse_opt_free_args(&args);
	mfs_log_close();
	return ret;
}
