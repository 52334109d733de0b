/*
 * marketfs-ctl: options, configuration, signals, and the command table.
 *
 * The configuration is resolved exactly as the daemon does it (fs/main.c):
 * --config / -o config=FILE, else the default file for this user, else the
 * built-in defaults; then API keys from the environment; then --cache /
 * -o cache=DIR over cache_dir. Everything a user can get wrong (options,
 * SPECs, the config file) is checked before the cache is opened, and is a
 * usage error (exit 2); a failure of the work itself is exit 1.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken
 * by one thread with sigwait(), which sets `interrupted` and shuts the
 * cache down (waiting fetches return at once, transfers abort). The command
 * then finishes what it can, the cache is closed, and our sentinel removed:
 * an interrupted marketfs-ctl leaves the cache as clean as a finished one.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <marketfs/cache.h>
#include <marketfs/config.h>
#include <marketfs/http.h>
#include <marketfs/log.h>

#include "fs/ctl.h"

#define PROG "marketfs-ctl"

enum { OPT_JSON = 1u << 0, OPT_DRY_RUN = 1u << 1, OPT_REPAIR = 1u << 2 };

struct command {
	const char *name;
	int (*run)(struct ctl *x);
	unsigned opts;    /* which command options it accepts */
	int min_args, max_args; /* positional arguments; -1: any number */
	bool specs;       /* its arguments are SPECs */
	bool fetches;     /* it may send provider requests */
};

static const struct command commands[] = {
	{ "status", ctl_cmd_status, OPT_JSON, 0, 0, false, false },
	{ "providers", ctl_cmd_providers, OPT_JSON, 0, 0, false, false },
	{ "prefetch", ctl_cmd_prefetch, 0, 1, -1, true, true },
	{ "refresh", ctl_cmd_refresh, 0, 0, -1, true, true },
	{ "verify", ctl_cmd_verify, OPT_REPAIR, 0, 0, false, false },
	{ "reindex", ctl_cmd_reindex, 0, 0, 0, false, false },
	{ "gc", ctl_cmd_gc, OPT_DRY_RUN, 0, 0, false, false },
	{ "evict", ctl_cmd_gc, OPT_DRY_RUN, 0, 0, false, false },
};

/*
 * The daemon's other -o options, accepted and ignored so that the option
 * string of an fstab line or a systemd unit can be passed as it is.
 */
static const char *const daemon_only_opts[] = {
	"offline", "allow_other", "default_permissions", "ro", "rw", "auto_unmount",
	"_netdev", "nofail", "auto", "noauto", "user", "users", "nouser", "defaults",
	"debug",
};
static const char *const daemon_only_prefixes[] = {
	"x-", "comment=", "log=", "log_level=", "log_format=", "max_read=", "fsname=", "subtype=",
};

struct cli {
	char *config;
	char *cache;
	int verbose;
	bool quiet, json, dry_run, repair, help, version;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [--config FILE] [--cache DIR] [-o config=FILE,cache=DIR]\n"
		"                    [-q] [-v] COMMAND [ARGS]\n"
		"\n"
		"Work on a marketfs cache directly, whether or not a daemon serves it.\n"
		"\n"
		"commands:\n"
		"  status [--json]        the cache and its daemon: size, fetches, recent errors\n"
		"  providers [--json]     each provider: enabled, key, health, requests, rate limit\n"
		"  prefetch SPEC...       fetch the files that are absent or stale\n"
		"  refresh [SPEC...]      fetch again even if fresh (default years: the cached\n"
		"                         ones; no SPEC: every cached file that is not final)\n"
		"  verify [--repair]      check every file: sha256 against its sidecar, gzip, CSV,\n"
		"                         row count, snapshot JSON; --repair moves bad files to\n"
		"                         CACHE/_metadata/quarantine/ so that they are fetched again\n"
		"  reindex                rebuild CACHE/_metadata/index.db from the tree\n"
		"  gc, evict [--dry-run]  apply cache_max_size now (--dry-run: only list)\n"
		"\n"
		"SPEC is SYMBOL[:TF[,TF...][:YEAR[-YEAR]]], e.g. AAPL:1d,1h:2015-2024.\n"
		"TF defaults to 1d; the years to every year marketfs lists for the symbol.\n"
		"\n"
		"options:\n"
		"  --config FILE, -o config=FILE  configuration file (default: the daemon's,\n"
		"                                 ~/.config/marketfs/marketfs.conf or\n"
		"                                 /etc/marketfs/marketfs.conf for root)\n"
		"  --cache DIR, -o cache=DIR      cache directory (overrides cache_dir)\n"
		"  -q, --quiet                    only failures and summaries\n"
		"  -v, --verbose                  say more (twice: debug log)\n"
		"  -h, --help                     this help\n"
		"  -V, --version                  print the version\n"
		"The daemon's other -o options (allow_other, log=, x-systemd.*, ...) are\n"
		"accepted and ignored.\n"
		"\n"
		"Exit status: 0 done; 1 something failed (a fetch, a bad file); 2 usage or\n"
		"configuration error; 130 interrupted; 141 standard output closed.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try " PROG " --help)\n");
	return CTL_EXIT_USAGE;
}

/* A copy of path, made absolute against the working directory. */
static char *absolute_dup(const char *path)
{
	char cwd[4096];
	char *out;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static bool replace(char **field, const char *value)
{
	char *v = absolute_dup(value);

	if (!v)
		return false;
	free(*field);
	*field = v;
	return true;
}

/* -o a=b,c: the daemon's option form. */
static int parse_o(struct cli *c, const char *opts)
{
	char *copy = strdup(opts), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		bool known = false;

		if (strncmp(tok, "config=", 7) == 0) {
			rc = replace(&c->config, tok + 7) ? 0 : -1;
			continue;
		}
		if (strncmp(tok, "cache=", 6) == 0) {
			rc = replace(&c->cache, tok + 6) ? 0 : -1;
			continue;
		}
		for (size_t i = 0; i < sizeof(daemon_only_opts) / sizeof(daemon_only_opts[0]); i++)
			known |= strcmp(tok, daemon_only_opts[i]) == 0;
		for (size_t i = 0;
		     i < sizeof(daemon_only_prefixes) / sizeof(daemon_only_prefixes[0]); i++)
			known |= strncmp(tok, daemon_only_prefixes[i],
					 strlen(daemon_only_prefixes[i])) == 0;
		if (!known) {
			usage_error("unknown option '-o %s'", tok);
			rc = 1;
		}
	}
	free(copy);
	return rc;
}

/* ---- shared by the commands ------------------------------------------- */

void ctl_fmt_bytes(uint64_t b, char *buf, size_t len)
{
	/* powers of 1024, as the sizes in the config (cache_max_size = 20G) */
	if (b < 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", (double)b / 1024.0);
	else if (b < 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)b / (1024.0 * 1024.0));
	else
		snprintf(buf, len, "%.2f GiB", (double)b / (1024.0 * 1024.0 * 1024.0));
}

bool ctl_should_stop(struct ctl *x)
{
	if (atomic_load(x->interrupted))
		return true;
	if (!ferror(stdout))
		return false;
	atomic_store(x->interrupted, true);
	mfs_cache_shutdown(x->cache); /* waiting fetches return at once */
	return true;
}

/* ---- signals ----------------------------------------------------------- */

static atomic_bool interrupted;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER; /* guards live_cache */
static struct mfs_cache *live_cache;

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (atomic_exchange(&interrupted, true)) {
			/* a second Ctrl-C: the user insists */
			static const char msg[] = "\n" PROG ": interrupted again; stopping now\n";
			ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
			(void)w;
			_exit(CTL_EXIT_INTERRUPTED);
		}
		pthread_mutex_lock(&cache_mu);
		if (live_cache)
			mfs_cache_shutdown(live_cache);
		pthread_mutex_unlock(&cache_mu);
	}
	return NULL;
}

static int start_signal_thread(void)
{
	static sigset_t set;
	pthread_t t;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* every thread created from now on inherits the mask */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    pthread_create(&t, NULL, signal_thread, &set) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

/* ---- configuration ----------------------------------------------------- */

static int load_config(const struct cli *c, struct mfs_config *cfg, bool fetches)
{
	struct mfs_error err = { 0 };
	const char *path = c->config ? c->config : mfs_config_default_path();

	if (path && mfs_config_load(cfg, path, &err) != MFS_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return -1;
	}
	mfs_config_apply_env(cfg);
	if (c->cache && mfs_config_set(cfg, "marketfs", "cache_dir", c->cache, &err) != MFS_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return -1;
	}
	/*
	 * `offline` tells the daemon to serve reads from the cache only. An
	 * explicit prefetch or refresh is a request to fetch: a cache filled
	 * at night by marketfs-ctl for an offline daemon is a use case.
	 */
	if (fetches && cfg->offline &&
	    mfs_config_set(cfg, "marketfs", "offline", "false", &err) != MFS_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return -1;
	}
	for (int i = 0; i < MFS_PROV__COUNT; i++) {
		const struct mfs_provider_conf *pc = &cfg->provider[i];
		if (pc->enabled && pc->base_url && strncmp(pc->base_url, "http://", 7) == 0 &&
		    !pc->allow_insecure && !mfs_http_is_loopback(pc->base_url)) {
			fprintf(stderr,
				PROG ": [provider.%s] base_url uses plain http to a host that is "
				     "not loopback; use https, or set allow_insecure = true\n",
				mfs_provider_name((enum mfs_provider_id)i));
			return -1;
		}
	}
	if (!cfg->cache_dir) {
		fprintf(stderr, PROG ": no cache directory: set cache_dir or HOME, or use --cache\n");
		return -1;
	}
	return 0;
}

/* ---- main -------------------------------------------------------------- */

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Options and positional arguments (GNU getopt permutes: options may follow
 * the command). Returns -1 to go on, else an exit status. */
static int parse_args(int argc, char *argv[], struct cli *c, char ***pos, int *npos)
{
	enum { LO_CONFIG = 256, LO_CACHE, LO_JSON, LO_DRY_RUN, LO_REPAIR };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, LO_CONFIG },
		{ "cache", required_argument, NULL, LO_CACHE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, LO_JSON },
		{ "dry-run", no_argument, NULL, LO_DRY_RUN },
		{ "repair", no_argument, NULL, LO_REPAIR },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0; /* our own messages, and exit 2 */
	while ((opt = getopt_long(argc, argv, ":o:qvhV", longopts, NULL)) != -1) {
		switch (opt) {
		case LO_CONFIG:
			if (!replace(&c->config, optarg))
				return CTL_EXIT_FAILED;
			break;
		case LO_CACHE:
			if (!replace(&c->cache, optarg))
				return CTL_EXIT_FAILED;
			break;
		case 'o': {
			int rc = parse_o(c, optarg);
			if (rc)
				return rc < 0 ? CTL_EXIT_FAILED : CTL_EXIT_USAGE;
			break;
		}
		case 'q':
			c->quiet = true;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			c->help = true;
			break;
		case 'V':
			c->version = true;
			break;
		case LO_JSON:
			c->json = true;
			break;
		case LO_DRY_RUN:
			c->dry_run = true;
			break;
		case LO_REPAIR:
			c->repair = true;
			break;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < LO_CONFIG) { /* a short one, maybe in a cluster */
				char shown[3] = { '-', (char)optopt, '\0' };
				return usage_error("unknown option '%s'", shown);
			}
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	*pos = argv + optind;
	*npos = argc - optind;
	return -1;
}

/* Does the command accept the options given? Its arguments? Its SPECs? */
static int check_command(const struct command *cmd, const struct cli *c, char **args, int n)
{
	const struct {
		bool given;
		unsigned bit;
		const char *name;
	} opts[] = {
		{ c->json, OPT_JSON, "--json" },
		{ c->dry_run, OPT_DRY_RUN, "--dry-run" },
		{ c->repair, OPT_REPAIR, "--repair" },
	};
	char why[256];

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].given && !(cmd->opts & opts[i].bit)) {
			fprintf(stderr, PROG ": %s does not take %s (try " PROG " --help)\n",
				cmd->name, opts[i].name);
			return CTL_EXIT_USAGE;
		}
	if (n < cmd->min_args)
		return usage_error("%s needs at least one SPEC, e.g. AAPL:1d:2015-2024", cmd->name);
	if (cmd->max_args >= 0 && n > cmd->max_args) {
		fprintf(stderr, PROG ": %s takes no arguments: '%s' (try " PROG " --help)\n",
			cmd->name, args[0]);
		return CTL_EXIT_USAGE;
	}
	for (int i = 0; cmd->specs && i < n; i++) {
		struct ctl_spec s;
		if (!ctl_spec_parse(args[i], &s, why, sizeof(why))) {
			fprintf(stderr, PROG ": %s: %s\n", cmd->name, why);
			return CTL_EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char *argv[])
{
	struct cli cli = { 0 };
	struct mfs_config cfg;
	struct mfs_error err = { 0 };
	struct ctl x = { 0 };
	const struct command *cmd;
	char **pos = NULL;
	int npos = 0, ret;

	mfs_config_defaults(&cfg);
	ret = parse_args(argc, argv, &cli, &pos, &npos);
	if (ret >= 0)
		goto out;
	if (cli.help || (npos > 0 && strcmp(pos[0], "help") == 0)) {
		usage(stdout);
		ret = CTL_EXIT_OK;
		goto out;
	}
	if (cli.version) {
		printf(PROG " %s\n", MFS_VERSION);
		ret = CTL_EXIT_OK;
		goto out;
	}
	if (npos == 0) {
		ret = usage_error("%s", "no command given");
		goto out;
	}
	cmd = find_command(pos[0]);
	if (!cmd) {
		ret = usage_error("unknown command '%s'", pos[0]);
		goto out;
	}
	ret = check_command(cmd, &cli, pos + 1, npos - 1);
	if (ret >= 0)
		goto out;

	mfs_log_open(MFS_LOG_STDERR, NULL);
	mfs_log_set_level(cli.quiet ? MFS_LOG_ERR
			  : cli.verbose >= 2 ? MFS_LOG_DEBUG
			  : cli.verbose == 1 ? MFS_LOG_INFO
					     : MFS_LOG_WARN);
	if (load_config(&cli, &cfg, cmd->fetches) < 0) {
		ret = CTL_EXIT_USAGE;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (start_signal_thread() < 0) {
		fprintf(stderr, PROG ": cannot set up signal handling: %s\n", strerror(errno));
		ret = CTL_EXIT_FAILED;
		goto out;
	}
	if (mfs_http_global_init() < 0) {
		fprintf(stderr, PROG ": cannot initialise libcurl\n");
		ret = CTL_EXIT_FAILED;
		goto out;
	}
	x.cache = mfs_cache_open(&cfg, &err);
	if (!x.cache) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		ret = err.code == MFS_ERR_CONFIG ? CTL_EXIT_USAGE : CTL_EXIT_FAILED;
		goto out_curl;
	}
	pthread_mutex_lock(&cache_mu);
	live_cache = x.cache;
	pthread_mutex_unlock(&cache_mu);

	x.cfg = &cfg;
	x.verbose = cli.verbose;
	x.quiet = cli.quiet;
	x.json = cli.json;
	x.dry_run = cli.dry_run;
	x.repair = cli.repair;
	x.args = pos + 1;
	x.n_args = npos - 1;
	x.interrupted = &interrupted;
	ret = cmd->run(&x);
	if (fflush(stdout) != 0 || ferror(stdout))
		ret = CTL_EXIT_BROKEN_PIPE;
	else if (atomic_load(&interrupted) && ret == CTL_EXIT_OK)
		ret = CTL_EXIT_INTERRUPTED;

	pthread_mutex_lock(&cache_mu);
	live_cache = NULL;
	pthread_mutex_unlock(&cache_mu);
	mfs_cache_close(x.cache);
out_curl:
	mfs_http_global_cleanup();
out:
	free(cli.config);
	free(cli.cache);
	mfs_config_free(&cfg);
	mfs_log_close();
	fflush(stdout);
	return ret;
}
