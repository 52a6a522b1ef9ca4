/* main.c -- `actord CONFIG`: read the config, settle defaults, become a
 * daemon if asked, and hand over to the supervisor.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/pidfile.h"
#include "daemon/supervisor.h"
#include "worker/service.h"

static void usage(void)
{
	fprintf(stderr, "usage: actord CONFIG\n"
	                "Starts a node as described by CONFIG (see docs/config.md).\n");
}

static long num(const struct config *c, const char *key)
{
	return strtol(config_get(c, key), NULL, 10);
}

static void set_defaults(struct config *c)
{
	char buf[32];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(buf, sizeof buf, "%ld", cpus > 0 ? cpus : 1);
	config_default(c, "thread", buf);
	config_default(c, "harbor", "0");
	config_default(c, "harbor_keepalive", "5000");
	config_default(c, "bootstrap", "snlua bootstrap");
	config_default(c, "start", "main");
	config_default(c, "logpath", ".");
	config_default(c, "spin_us", "50");
	config_default(c, "ring_kb", "1024");
	config_default(c, "stop_timeout", "5000");
	config_default(c, "max_services", "16777216");
	config_default(c, "max_sockets", "1048576");
}

/* Socket id slots: a power of two, at least the number asked for. */
static uint32_t sockets_rounded(long long n)
{
	uint32_t s = 64;
	while (s < n && s < (1u << 30))
		s <<= 1;
	return s;
}

/* True if `module` is built in or found as a file along cpath. */
static int module_exists(const char *cpath, const char *module)
{
	if (builtin_module(module))
		return 1;
	char file[1024];
	for (const char *cur = cpath; cpath_next(&cur, module, file, sizeof file);)
		if (access(file, R_OK) == 0)
			return 1;
	return 0;
}

static int check_bootstrap(const struct config *c, const char *path)
{
	const char *b = config_get(c, "bootstrap");
	char module[128];
	size_t n = strcspn(b, " ");
	if (n == 0 || n >= sizeof module)
		n = 0;
	memcpy(module, b, n);
	module[n] = '\0';
	if (n && module_exists(config_get(c, "cpath"), module))
		return 0;
	const char *where = config_where(c, "bootstrap");
	if (where)
		fprintf(stderr, "%s: unknown bootstrap '%s': no module '%s' built in "
		        "or along cpath\n", where, b, module);
	else
		fprintf(stderr, "%s: unknown bootstrap '%s' (the default): set "
		        "bootstrap in the config\n", path, b);
	return -1;
}

/* The cluster key from cluster_key or cluster_key_file; *out stays NULL
 * when neither is set (config_check_cluster allowed that).  Returns false
 * after saying why. */
static bool load_key(const struct config *c, struct harbor_key *key,
                     const struct harbor_key **out)
{
	char err[512];
	const char *text = config_get(c, "cluster_key");
	const char *file = config_get(c, "cluster_key_file");
	*out = NULL;
	if (!text && !file)
		return true;
	int r = text ? harbor_key_parse(key, text, err, sizeof err)
	             : harbor_key_load(key, file, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n",
		        config_where(c, text ? "cluster_key" : "cluster_key_file"), err);
		return false;
	}
	*out = key;
	return true;
}

static void fill_env(const char *key, const char *value, void *ud)
{
	/* The secret stays out of what every service can getenv. */
	if (strcmp(key, "cluster_key") == 0)
		return;
	envstore_set(ud, key, value);
}

static void env_from_config(struct envstore *e, void *ud)
{
	config_each(ud, fill_env, e);
}

/* Detach from the terminal; the parent exits once the child runs. */
static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/* A server holds a socket per client: take every fd the hard limit
 * allows (systemd's LimitNOFILE, or ulimit -Hn). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		usage();
		return 2;
	}
	char err[1024];
	struct config *c = config_load(argv[1], err, sizeof err);
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	set_defaults(c);
	raise_fd_limit();
	if (check_bootstrap(c, argv[1]) < 0)
		return 1;
	if (config_check_cluster(c, argv[1], err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* A clustered node: its sidecar's settings, and the key read now so
	 * that a bad one stops start-up rather than every link. */
	static struct harbor_key key;
	struct sidecar_opts sidecar = {
		.harbor = (unsigned)num(c, "harbor"),
		.address = config_get(c, "address"),
		.master = config_get(c, "master"),
		.standalone = config_get(c, "standalone"),
		.keepalive_ms = (unsigned)num(c, "harbor_keepalive"),
	};
	if (sidecar.harbor && !load_key(c, &key, &sidecar.key))
		return 1;

	const char *logger = config_get(c, "logger");
	char logfile[4096];
	if (logger)
		snprintf(logfile, sizeof logfile, "%s/%s", config_get(c, "logpath"),
		         logger);
	struct supervisor_opts o = {
		.nworkers = (unsigned)num(c, "thread"),
		.harbor = (unsigned)num(c, "harbor"),
		.ring_capacity = (size_t)num(c, "ring_kb") * 1024,
		.max_services = (uint32_t)num(c, "max_services"),
		.max_sockets = sockets_rounded(num(c, "max_sockets")),
		.stop_timeout_ms = (uint64_t)num(c, "stop_timeout"),
		.logfile = logger ? logfile : NULL,
		.worker = {
			.spin_ns = (uint64_t)num(c, "spin_us") * 1000,
			.batch = 64,
			.cpath = config_get(c, "cpath"),
			.logger = logger,
			.logpath = config_get(c, "logpath"),
			.bootstrap = config_get(c, "bootstrap"),
			.stop_timeout_ns = (uint64_t)num(c, "stop_timeout") * 1000000,
		},
	};
	if (sidecar.harbor)
		o.sidecar = &sidecar;
	if (o.max_services > HANDLE_MASK + 1)
		o.max_services = HANDLE_MASK + 1;

	const char *pidpath = config_get(c, "daemon");
	int pidfd = -1;
	if (pidpath) {
		pidfd = pidfile_lock(pidpath, err, sizeof err);
		if (pidfd < 0) {
			fprintf(stderr, "actord: %s\n", err);
			return 1;
		}
		if (daemonize() < 0 || pidfile_write(pidfd) < 0) {
			fprintf(stderr, "actord: cannot become a daemon: %s\n",
			        strerror(errno));
			return 1;
		}
	}
	int rc = supervisor_run(&o, env_from_config, c);
	if (pidfd >= 0) {
		unlink(pidpath);
		close(pidfd);
	}
	config_free(c);
	return rc;
}
