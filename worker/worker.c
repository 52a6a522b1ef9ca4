/* worker.c -- the worker process's loop.
 *
 * Each turn: read the rings, fire due timers, run the services that have
 * mail (a bounded batch each, so one busy service cannot starve the rest),
 * then publish what was sent.  With nothing to do the worker spins for a
 * short while -- waking a sleeping process costs far more than a whole
 * exchange between spinning ones -- and then sleeps in io_uring on its
 * eventfd and the next timer.
 */
#include "worker/worker.h"
#include "worker/socket.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 10000000ull /* skynet's 10 ms timer unit */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define RUNQ_TURN 64        /* services run per turn before polling again */

/* The one worker of this process.  Set once in worker_main. */
static struct worker *self;

struct worker *worker_self(void)
{
	return self;
}

uint64_t worker_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t worker_current_tick(struct worker *w)
{
	return (worker_now_ns() - w->h->start_mono_ns) / TICK_NS;
}

/* ---- run queue -------------------------------------------------------- */

void worker_schedule(struct worker *w, struct actord_context *s)
{
	if (s->in_runq || s->placeholder)
		return;
	s->in_runq = true;
	s->runq_next = NULL;
	if (w->runq_tail)
		w->runq_tail->runq_next = s;
	else
		w->runq_head = s;
	w->runq_tail = s;
}

static struct actord_context *runq_pop(struct worker *w)
{
	struct actord_context *s = w->runq_head;
	if (!s)
		return NULL;
	w->runq_head = s->runq_next;
	if (!w->runq_head)
		w->runq_tail = NULL;
	s->in_runq = false;
	return s;
}

static void dispatch(struct worker *w, struct actord_context *s, struct msg *m)
{
	struct endpoint *ep = w->ep;
	atomic_store_explicit(&ep->cur_handle, s->handle, memory_order_relaxed);
	atomic_store_explicit(&ep->cur_type, m->type, memory_order_relaxed);
	int keep = 0;
	w->running = s;
	if (s->cb)
		keep = s->cb(s, s->ud, (int)m->type, m->session, m->source,
		             m->data, m->sz);
	w->running = NULL;
	if (keep != 1)
		free(m->data);
	atomic_store_explicit(&ep->cur_handle, 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&ep->msgs, 1, memory_order_relaxed);
}

/* Run one service for up to a batch of messages. */
static void run_one(struct worker *w, struct actord_context *s)
{
	if (s->released) {
		free(s);
		return;
	}
	struct msg m;
	/* One clock read per batch: it only has to tell a stuck service. */
	atomic_store_explicit(&w->ep->cur_since, worker_now_ns(),
	                      memory_order_relaxed);
	for (unsigned i = 0; i < w->o.batch && mailbox_pop(&s->mq, &m); i++) {
		dispatch(w, s, &m);
		if (s->exiting)
			break;
	}
	if (s->exiting)
		service_release(w, s);
	else if (mailbox_len(&s->mq))
		worker_schedule(w, s);
}

void worker_run_now(struct worker *w, struct actord_context *s, struct msg *m)
{
	dispatch(w, s, m);
	if (s->exiting)
		service_release(w, s);
}

static bool run_turn(struct worker *w)
{
	bool any = false;
	for (int k = 0; k < RUNQ_TURN; k++) {
		struct actord_context *s = runq_pop(w);
		if (!s)
			break;
		run_one(w, s);
		any = true;
	}
	return any;
}

/* ---- timers ----------------------------------------------------------- */

static void timer_fire(void *ud, uint32_t handle, int session)
{
	route_deliver(ud, 0, handle, ACTORD_PTYPE_RESPONSE, session, NULL, 0);
}

static void advance_timers(struct worker *w)
{
	uint64_t now = worker_current_tick(w);
	if (now != w->tick) {
		w->tick = now;
		timer_advance(w->timers, now, timer_fire, w);
	}
}

/* ---- control records -------------------------------------------------- */

void ctrl_handle(struct worker *w, unsigned from, const struct ring_hdr *h,
                 void *payload)
{
	switch (h->type) {
	case CTRL_LAUNCH: {
		const char *module = payload ? payload : "";
		size_t ml = strnlen(module, h->size);
		const char *args = ml + 1 < h->size ? module + ml + 1 : "";
		bool ok = ml < h->size && h->size > 0 && payload &&
		          ((char *)payload)[h->size - 1] == '\0' &&
		          service_create(w, h->dest, module, args, h->source,
		                         h->session);
		if (!ok)
			directory_kill(seg_directory(w->seg), h->dest);
		/* A launcher with no session learns of the failure as "this
		 * address is down": an error message with session 0.  One with a
		 * session had its error from service_create. */
		if (!ok && h->session == 0)
			route_send(w, h->dest, h->source, ACTORD_PTYPE_ERROR, 0,
			           NULL, 0, true);
		break;
	}
	case CTRL_KILL: {
		struct actord_context *s = service_find(w, h->dest);
		if (s && !s->placeholder)
			service_release(w, s);
		break;
	}
	case CTRL_PEER_DEAD:
		if (h->aux < w->nendpoints && h->aux != w->id)
			route_sync_peer(w, h->aux);
		break;
	case CTRL_NODE_DOWN:
		/* From the sidecar: the link to node `aux` dropped; nothing
		 * waiting on it will be answered. */
		calls_fail(&w->calls, calls_to_node(from, h->aux & 0xff),
		           route_fail_call, w);
		break;
	case CTRL_CALL_NODE:
		/* A call by a name the sidecar resolved: recorded against the
		 * sidecar until now, against the node it went to from here. */
		calls_remove(&w->calls, h->source, h->session);
		calls_add(&w->calls, h->source, h->session,
		          calls_to_node(from, h->aux & 0xff));
		break;
	case CTRL_SOCK_OP:
		socket_ctrl_op(w, h, payload);
		break;
	case CTRL_SOCK_ADOPT:
		socket_ctrl_adopt(w, h, payload);
		break;
	case CTRL_REOPEN: {
		uint32_t lh = atomic_load(&w->h->logger);
		struct actord_context *s = service_find(w, lh);
		if (s)
			service_signal(s, ACTORD_SIGNAL_REOPEN);
		break;
	}
	default:
		break;
	}
	(void)from;
	free(payload);
}

/* ---- sleeping --------------------------------------------------------- */

static void arm_wake(struct worker *w)
{
	if (w->wake_armed)
		return;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, w->ep->wakefd, &w->wakebuf, sizeof w->wakebuf, 0);
	io_uring_sqe_set_data64(sqe, 1);
	w->wake_armed = true;
}

/* Completions waiting for us to enter the kernel (COOP_TASKRUN). */
static bool taskrun_due(struct worker *w)
{
	return IO_URING_READ_ONCE(*w->ring.sq.kflags) & IORING_SQ_TASKRUN;
}

/* Take every completion: the wake-up read, and socket operations. */
static bool reap(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	if (taskrun_due(w))
		io_uring_get_events(&w->ring);
	io_uring_for_each_cqe(&w->ring, head, cqe) {
		if (io_uring_cqe_get_data64(cqe) == 1)
			w->wake_armed = false;
		else
			socket_complete(w, cqe);
		n++;
	}
	io_uring_cq_advance(&w->ring, n);
	return n > 0;
}

static bool has_work(struct worker *w)
{
	return w->runq_head || route_pending(w) || io_uring_cq_ready(&w->ring) ||
	       taskrun_due(w) ||
	       atomic_load_explicit(&w->h->stopping, memory_order_relaxed) ||
	       (timer_count(w->timers) && worker_current_tick(w) != w->tick);
}

static void idle(struct worker *w)
{
	uint64_t until = worker_now_ns() + w->o.spin_ns;
	while (worker_now_ns() < until) {
		for (int i = 0; i < 64; i++) {
			if (has_work(w))
				return;
			__builtin_ia32_pause();
		}
	}
	if (w->released) {
		/* Services ended: hand their memory back before sleeping, or an
		 * idle worker would hold it until it next allocates. */
		mallctl("arena." STRINGIFY(MALLCTL_ARENAS_ALL) ".purge", NULL, NULL,
		        NULL, 0);
		w->released = 0;
	}
	struct endpoint *ep = w->ep;
	atomic_store(&ep->sleeping, 1);
	atomic_thread_fence(memory_order_seq_cst);
	if (has_work(w)) {
		atomic_store(&ep->sleeping, 0);
		return;
	}
	arm_wake(w);
	struct __kernel_timespec ts, *tsp = NULL;
	uint64_t ticks = timer_next(w->timers);
	if (route_busy(w)) {
		/* A full ring frees up without a kick: look again soon. */
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000;
		tsp = &ts;
	} else if (ticks != UINT64_MAX) {
		uint64_t due = w->h->start_mono_ns + (w->tick + (ticks ? ticks : 1)) * TICK_NS;
		uint64_t now = worker_now_ns();
		uint64_t wait = due > now ? due - now : 0;
		ts.tv_sec = (long long)(wait / 1000000000ull);
		ts.tv_nsec = (long long)(wait % 1000000000ull);
		tsp = &ts;
	}
	struct io_uring_cqe *cqe;
	io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, tsp, NULL);
	reap(w);
	atomic_store(&ep->sleeping, 0);
}

/* ---- start and stop --------------------------------------------------- */

static uint32_t launch_here(struct worker *w, const char *module,
                            const char *args)
{
	uint32_t id = directory_alloc(seg_directory(w->seg), w->id);
	if (!id)
		return 0;
	uint32_t handle = w->h->harbor << 24 | id;
	if (strcmp(module, "logger") == 0)
		atomic_store(&w->h->logger, handle);
	return service_create(w, handle, module, args, 0, 0);
}

/* Worker 0 hosts the logger and, on the node's first start, bootstrap. */
static void start_services(struct worker *w)
{
	if (w->id != 0)
		return;
	char *path = NULL;
	if (w->o.logger) {
		size_t n = strlen(w->o.logpath) + strlen(w->o.logger) + 2;
		path = malloc(n);
		snprintf(path, n, "%s/%s", w->o.logpath, w->o.logger);
	}
	if (!launch_here(w, "logger", path ? path : ""))
		atomic_store(&w->h->logger, 0);
	free(path);
	if (w->gen != 1 || !w->o.bootstrap)
		return;
	char *spec = strdup(w->o.bootstrap);
	char *args = strchr(spec, ' ');
	if (args)
		*args++ = '\0';
	if (!launch_here(w, spec, args ? args : ""))
		actord_error(NULL, "Bootstrap error: cannot launch %s", w->o.bootstrap);
	free(spec);
}

static bool others_stopped(struct worker *w)
{
	for (unsigned i = 0; i < w->h->nworkers; i++) {
		if (i == w->id)
			continue;
		uint32_t st = atomic_load(&seg_endpoint(w->seg, i)->state);
		if (st == EP_RUNNING || st == EP_STARTING)
			return false;
	}
	return true;
}

/* Orderly stop.  The message in hand is finished (we only get here between
 * messages).  The logger's worker stays last and writes out every line the
 * others sent before it closes the log. */
static void stop(struct worker *w)
{
	route_flush(w);
	if (w->id != 0) {
		atomic_store(&w->ep->state, EP_STOPPED);
		service_release_all(w);
		route_flush(w);
		return;
	}
	uint64_t deadline = worker_now_ns() + w->o.stop_timeout_ns;
	uint32_t lh = atomic_load(&w->h->logger);
	for (;;) {
		bool done = others_stopped(w);
		route_poll(w);
		struct actord_context *lg = service_find(w, lh);
		struct msg m;
		while (lg && mailbox_pop(&lg->mq, &m))
			dispatch(w, lg, &m);
		if (done || worker_now_ns() > deadline)
			break;
		usleep(1000);
	}
	atomic_store(&w->ep->state, EP_STOPPED);
	service_release_all(w);
}

/* COOP_TASKRUN: the kernel does not interrupt a busy worker (an IPI, and
 * contention on its signal lock) to post completions; they are posted at
 * its next syscall, and TASKRUN_FLAG tells a spinning worker to make one.
 * The completion queue is large because multishot receives on many
 * connections can post faster than one turn reaps. */
static int ring_setup(struct worker *w)
{
	static const unsigned flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_CQSIZE,
		IORING_SETUP_CQSIZE,
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof p);
		p.flags = flags[i];
		p.cq_entries = 16384;
		if (io_uring_queue_init_params(1024, &w->ring, &p) == 0)
			return 0;
	}
	return io_uring_queue_init(1024, &w->ring, 0);
}

int worker_main(struct segment *seg, const struct worker_opts *o)
{
	static struct worker w;
	memset(&w, 0, sizeof w);
	self = &w;
	w.seg = seg;
	w.h = seg->h;
	w.o = *o;
	w.id = o->id;
	w.nendpoints = seg->h->nendpoints;
	w.ep = seg_endpoint(seg, o->id);
	w.gen = atomic_load(&w.ep->generation);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "actord-worker");
	if (ring_setup(&w) < 0) {
		fprintf(stderr, "worker %u: io_uring unavailable\n", w.id);
		return 1;
	}
	atomic_store(&w.ep->pid, getpid());
	w.tick = worker_current_tick(&w);
	w.timers = timer_new(w.tick);
	route_init(&w);
	if (socket_init(&w) < 0) {
		fprintf(stderr, "worker %u: cannot set up sockets\n", w.id);
		return 1;
	}
	atomic_store(&w.ep->state, EP_RUNNING);
	start_services(&w);
	route_flush(&w);

	while (!atomic_load_explicit(&w.h->stopping, memory_order_relaxed)) {
		bool busy = route_poll(&w);
		busy |= reap(&w);
		advance_timers(&w);
		busy |= run_turn(&w);
		route_flush(&w);
		socket_submit(&w);
		atomic_fetch_add_explicit(&w.ep->heartbeat, 1, memory_order_relaxed);
		if (!busy)
			idle(&w);
	}
	stop(&w);
	timer_free(w.timers);
	route_free(&w);
	service_table_free(&w);
	socket_free(&w);
	modules_unload(&w);
	io_uring_queue_exit(&w.ring);
	self = NULL;
	return 0;
}
