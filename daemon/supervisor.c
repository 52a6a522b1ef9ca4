/* supervisor.c -- create the segment, fork the workers (and the harbor
 * sidecar), keep them alive.
 *
 * The supervisor hosts no services.  It waits on a signalfd: SIGCHLD means
 * a worker ended (a crash unless we are stopping: its services are marked
 * dead, the survivors told, a fresh worker forked into the same slot);
 * SIGTERM/SIGINT start an orderly stop; SIGHUP reopens the logs.
 */
#include "daemon/supervisor.h"

#include "daemon/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Restart bookkeeping of one worker slot. */
struct slot {
	uint64_t started;        /* ms, when the current worker was forked */
	unsigned quick_deaths;   /* deaths in a row within QUICK_DEATH_MS */
	uint64_t restart_at;     /* ms; 0 when no restart is pending */
};

#define QUICK_DEATH_MS 1000
#define MAX_BACKOFF_MS 5000

struct supervisor {
	const struct supervisor_opts *o;
	struct slot *slots;
	struct segment seg;
	struct ring_tx *tx;           /* supervisor -> worker i */
	int sigfd;
	int logfd;
	bool stopping;
	uint64_t stop_deadline;
};

/* Slots the supervisor forks: the workers, and the sidecar when the node
 * is clustered (the supervisor's own endpoint sits between them). */
static bool is_slot(const struct supervisor *s, unsigned i)
{
	return i < s->o->nworkers || (s->o->sidecar && i == s->o->nworkers + 1);
}

static unsigned nslots(const struct supervisor *s)
{
	return s->o->nworkers + 2;
}

static const char *slot_name(const struct supervisor *s, unsigned i, char *buf, size_t n)
{
	if (i == s->o->nworkers + 1)
		snprintf(buf, n, "harbor sidecar");
	else
		snprintf(buf, n, "worker %u", i);
	return buf;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The supervisor's own lines go where the logger's do, in its format. */
static void slog(struct supervisor *s, const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof line, "[:%08x] ", s->o->harbor << 24);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	ssize_t r = write(s->logfd, line, (size_t)n);
	(void)r;
}

static void open_log(struct supervisor *s)
{
	if (!s->o->logfile) {
		s->logfd = STDOUT_FILENO;
		return;
	}
	int fd = open(s->o->logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* keep the old one */
	if (s->logfd > STDERR_FILENO)
		close(s->logfd);
	s->logfd = fd;
}

static void kick(struct supervisor *s, unsigned i)
{
	uint64_t one = 1;
	ssize_t r = write(seg_endpoint(&s->seg, i)->wakefd, &one, sizeof one);
	(void)r;
}

/* Control records are tiny and rare; a full ring here means the worker is
 * wedged, and it will be dealt with as such. */
static void tell(struct supervisor *s, unsigned i, uint32_t type, uint32_t dest,
                 uint32_t aux)
{
	struct ring_hdr h = { 0, type, 0, 0, dest, aux };
	size_t progress = 0;
	for (int tries = 0; tries < 1000; tries++) {
		if (ring_tx_push(&s->tx[i], &h, NULL, &progress)) {
			ring_tx_commit(&s->tx[i]);
			kick(s, i);
			return;
		}
		usleep(1000);
	}
	slog(s, "worker %u does not take control messages", i);
}

static pid_t spawn(struct supervisor *s, unsigned i)
{
	struct endpoint *e = seg_endpoint(&s->seg, i);
	atomic_store(&e->state, EP_STARTING);
	atomic_store(&e->services, 0);
	pid_t pid = fork();
	if (pid < 0) {
		char name[32];
		slog(s, "cannot fork %s: %s", slot_name(s, i, name, sizeof name),
		     strerror(errno));
		atomic_store(&e->state, EP_DEAD);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* Ctrl-C reaches the whole process group; stopping is the
		 * supervisor's decision, told through shared memory. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		close(s->sigfd);
		if (i == seg_sidecar(s->seg.h)) {
			struct sidecar_opts so = *s->o->sidecar;
			so.logfd = s->logfd;
			_exit(sidecar_main(&s->seg, &so));
		}
		struct worker_opts wo = s->o->worker;
		wo.id = i;
		_exit(worker_main(&s->seg, &wo));
	}
	atomic_store(&e->pid, pid);
	s->slots[i].started = now_ms();
	s->slots[i].restart_at = 0;
	return pid;
}

static int find_slot(struct supervisor *s, pid_t pid)
{
	for (unsigned i = 0; i < nslots(s); i++)
		if (is_slot(s, i) && atomic_load(&seg_endpoint(&s->seg, i)->pid) == pid)
			return (int)i;
	return -1;
}

static void drop_names(uint32_t id, void *ud)
{
	struct supervisor *s = ud;
	names_drop(seg_names(&s->seg), s->o->harbor << 24 | id, s->o->harbor != 0);
}

static void describe(int status, char *buf, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d (%s)%s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)),
		         WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
}

static void restart(struct supervisor *s, unsigned slot)
{
	pid_t np = spawn(s, slot);
	char name[32];
	if (np > 0)
		slog(s, "%s restarted (pid %d)", slot_name(s, slot, name, sizeof name),
		     (int)np);
}

static void restart_due(struct supervisor *s)
{
	uint64_t now = now_ms();
	for (unsigned i = 0; i < nslots(s); i++)
		if (is_slot(s, i) && s->slots[i].restart_at && now >= s->slots[i].restart_at)
			restart(s, i);
}

/* A worker died while the node runs: settle its state, then replace it. */
static void recover(struct supervisor *s, unsigned slot, pid_t pid, int status)
{
	struct endpoint *e = seg_endpoint(&s->seg, slot);
	char why[128];
	describe(status, why, sizeof why);
	atomic_store(&e->state, EP_DEAD);
	atomic_store(&e->pid, 0);
	uint32_t dead = directory_kill_owner(seg_directory(&s->seg), slot,
	                                     drop_names, s);
	/* Its sockets died with it (the kernel closed the fds). */
	unsigned socks = sockdir_free_worker(seg_sockdir(&s->seg), slot, NULL, NULL);
	uint32_t cur = atomic_load(&e->cur_handle);
	char name[32];
	slot_name(s, slot, name, sizeof name);
	if (slot >= s->o->nworkers)
		slog(s, "%s (pid %d) %s; calls through it fail", name, (int)pid, why);
	else
		slog(s, "%s (pid %d) %s; %u services lost, %u sockets closed", name,
		     (int)pid, why, dead, socks);
	if (cur)
		slog(s, "worker %u was running :%08x (message type %u)", slot, cur,
		     atomic_load(&e->cur_type));
	if (slot == 0)
		atomic_store(&s->seg.h->logger, 0);
	atomic_fetch_add(&e->generation, 1);
	for (unsigned i = 0; i < s->o->nworkers; i++) {
		uint32_t st = atomic_load(&seg_endpoint(&s->seg, i)->state);
		if (i != slot && (st == EP_RUNNING || st == EP_STARTING))
			tell(s, i, CTRL_PEER_DEAD, 0, slot);
	}
	/* The supervisor's own rings with the dead worker start afresh too. */
	uint32_t g = atomic_load(&e->generation);
	unsigned me = seg_supervisor(s->seg.h);
	ring_tx_attach(&s->tx[slot], seg_ring(&s->seg, me, slot));
	ring_tx_discard(&s->tx[slot]);
	struct ring_rx rx;
	ring_rx_attach(&rx, seg_ring(&s->seg, slot, me));
	ring_rx_discard(&rx);
	atomic_store(seg_ready(&s->seg, me, slot), seg_genpair(1, g));
	atomic_store(seg_ready(&s->seg, slot, me), seg_genpair(g, 1));
	/* A worker that keeps dying at once (a service crashing in its init,
	 * say) is restarted with a growing delay rather than in a hot loop. */
	struct slot *sl = &s->slots[slot];
	uint64_t now = now_ms();
	sl->quick_deaths = now - sl->started < QUICK_DEATH_MS ? sl->quick_deaths + 1 : 0;
	if (sl->quick_deaths >= 3) {
		uint64_t delay = 100ull << (sl->quick_deaths - 3 < 6 ? sl->quick_deaths - 3 : 6);
		if (delay > MAX_BACKOFF_MS)
			delay = MAX_BACKOFF_MS;
		sl->restart_at = now + delay;
		slog(s, "%s keeps dying; restarting it in %llu ms", name,
		     (unsigned long long)delay);
		return;
	}
	restart(s, slot);
}

static void reap(struct supervisor *s)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int slot = find_slot(s, pid);
		if (slot < 0)
			continue;
		if (s->stopping) {
			struct endpoint *e = seg_endpoint(&s->seg, (unsigned)slot);
			atomic_store(&e->state, EP_STOPPED);
			atomic_store(&e->pid, 0);
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
				char why[128];
				describe(status, why, sizeof why);
				char name[32];
				slog(s, "%s %s while stopping",
				     slot_name(s, (unsigned)slot, name, sizeof name), why);
			}
			continue;
		}
		recover(s, (unsigned)slot, pid, status);
	}
}

static bool all_gone(struct supervisor *s)
{
	for (unsigned i = 0; i < nslots(s); i++)
		if (is_slot(s, i) && atomic_load(&seg_endpoint(&s->seg, i)->pid) != 0)
			return false;
	return true;
}

static void begin_stop(struct supervisor *s, const char *why)
{
	if (s->stopping)
		return;
	s->stopping = true;
	s->stop_deadline = now_ms() + s->o->stop_timeout_ms;
	slog(s, "stopping (%s)", why);
	notify("STOPPING=1");
	atomic_store(&s->seg.h->stopping, 1);
	for (unsigned i = 0; i < nslots(s); i++)
		if (is_slot(s, i))
			kick(s, i);
}

static void reopen_logs(struct supervisor *s)
{
	open_log(s);
	uint32_t lh = atomic_load(&s->seg.h->logger);
	unsigned owner;
	if (lh && directory_get(seg_directory(&s->seg), lh, &owner) == DIR_ALIVE &&
	    owner < s->o->nworkers)
		tell(s, owner, CTRL_REOPEN, lh, 0);
}

static void on_signal(struct supervisor *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(s);
			break;
		case SIGTERM:
			begin_stop(s, "SIGTERM");
			break;
		case SIGINT:
			begin_stop(s, "SIGINT");
			break;
		case SIGHUP:
			reopen_logs(s);
			break;
		}
	}
}

static int setup(struct supervisor *s, void (*env)(struct envstore *, void *),
                 void *ud)
{
	const struct supervisor_opts *o = s->o;
	struct seg_params p = {
		.nworkers = o->nworkers, .harbor = o->harbor,
		.ring_capacity = o->ring_capacity, .max_services = o->max_services,
		.max_sockets = o->max_sockets,
		.name_slots = 4096, .env_slots = 4096, .env_arena = 1 << 20,
	};
	int r = segment_create(&s->seg, &p);
	if (r < 0) {
		fprintf(stderr, "actord: cannot create shared memory: %s\n",
		        strerror(-r));
		return -1;
	}
	env(seg_env(&s->seg), ud);
	for (unsigned i = 0; i < s->seg.h->nendpoints; i++) {
		struct endpoint *e = seg_endpoint(&s->seg, i);
		e->wakefd = eventfd(0, EFD_NONBLOCK);
		/* Workers hand each other socket fds through these (SCM_RIGHTS). */
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, e->passfd) < 0) {
			fprintf(stderr, "actord: socketpair: %s\n", strerror(errno));
			return -1;
		}
		fcntl(e->passfd[0], F_SETFL, O_NONBLOCK);
	}
	unsigned me = seg_supervisor(s->seg.h);
	atomic_store(&seg_endpoint(&s->seg, me)->pid, getpid());
	atomic_store(&seg_endpoint(&s->seg, me)->state, EP_RUNNING);
	/* Never sleeping as far as producers know: nothing reads from the
	 * workers yet, so no kick is needed. */
	s->tx = calloc(nslots(s), sizeof *s->tx);
	for (unsigned i = 0; i < nslots(s); i++)
		if (i != me)
			ring_tx_attach(&s->tx[i], seg_ring(&s->seg, me, i));

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return s->sigfd < 0 ? -1 : 0;
}

int supervisor_run(const struct supervisor_opts *o,
                   void (*env)(struct envstore *, void *), void *ud)
{
	struct supervisor s = { .o = o, .logfd = STDOUT_FILENO, .sigfd = -1 };
	s.slots = calloc(o->nworkers + 2, sizeof *s.slots);
	open_log(&s);
	if (setup(&s, env, ud) < 0)
		return 1;
	slog(&s, "actord starting: %u workers, harbor %u, pid %d", o->nworkers,
	     o->harbor, (int)getpid());
	for (unsigned i = 0; i < o->nworkers; i++) {
		pid_t pid = spawn(&s, i);
		if (pid > 0)
			slog(&s, "worker %u started (pid %d)", i, (int)pid);
	}
	if (o->sidecar) {
		pid_t pid = spawn(&s, seg_sidecar(s.seg.h));
		if (pid > 0)
			slog(&s, "harbor sidecar started (pid %d)", (int)pid);
	}
	notify("READY=1");

	for (;;) {
		struct pollfd pfd = { s.sigfd, POLLIN, 0 };
		int r = poll(&pfd, 1, 100);
		if (r > 0)
			on_signal(&s);
		if (!s.stopping) {
			restart_due(&s);
			notify("WATCHDOG=1");
		}
		if (!s.stopping)
			continue;
		if (all_gone(&s))
			break;
		if (now_ms() > s.stop_deadline) {
			for (unsigned i = 0; i < nslots(&s); i++) {
				pid_t pid = is_slot(&s, i) ? atomic_load(&seg_endpoint(&s.seg, i)->pid) : 0;
				char name[32];
				if (pid > 0) {
					slog(&s, "%s did not stop in time; killing it",
					     slot_name(&s, i, name, sizeof name));
					kill(pid, SIGKILL);
				}
			}
			s.stop_deadline = now_ms() + 1000;
		}
	}
	slog(&s, "actord stopped");
	free(s.tx);
	free(s.slots);
	segment_destroy(&s.seg);
	return 0;
}
