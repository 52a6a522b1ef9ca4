/* tsvc.c -- C services the integration tests run on a real node.
 *
 * `tsvc ROLE args...`.  Drivers (ping, order, big, deadcall, names, timer,
 * crash) check what they see and log one verdict line ("PING ok ...",
 * "ORDER FAIL ...") that the test script asserts; then they stop the node
 * with actord_abort.  The other roles are their peers.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actord/actord.h"

#define SEND(ctx, dest, type, data, sz) \
	actord_send(ctx, 0, dest, (type) | ACTORD_TAG_ALLOCSESSION, 0, data, sz)

struct tsvc {
	struct actord_context *ctx;
	char role[16];
	uint32_t peer, peer2, sink;
	uint32_t reply_to;        /* source role: who asked "done" */
	int32_t reply_session;
	long n, i, errors, lost, got;
	int phase;
	int32_t waiting;          /* session of the call in flight */
	uint64_t t0;
	uint32_t seen[8];         /* order role: last seq per source slot */
	uint32_t srcs[8];
	unsigned char *big;
};

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

static int place(struct actord_context *ctx, const char *where)
{
	if (strcmp(where, "same") == 0)
		return ACTORD_PLACE_HERE;
	if (strcmp(where, "other") == 0)
		return (actord_worker_id(ctx) + 1) % actord_worker_count(ctx);
	return atoi(where);
}

static void verdict(struct tsvc *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void verdict(struct tsvc *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	actord_error(t->ctx, "%s", buf);
	actord_abort(t->ctx);
}

/* ---- peers ------------------------------------------------------------ */

/* echo: answer every call with its own payload; "exit" ends it; "pid"
 * answers with the worker's pid; "hold" is never answered. */
static int echo_cb(struct actord_context *ctx, void *ud, int type, int session,
                   uint32_t source, const void *msg, size_t sz)
{
	(void)ud;
	if (sz == 4 && memcmp(msg, "exit", 4) == 0) {
		actord_exit(ctx);
		return 0;
	}
	if (sz == 4 && memcmp(msg, "hold", 4) == 0)
		return 0;
	if (sz == 3 && memcmp(msg, "pid", 3) == 0) {
		char buf[32];
		int n = snprintf(buf, sizeof buf, "%d", (int)getpid());
		actord_send(ctx, 0, source, ACTORD_PTYPE_RESPONSE, session, buf, (size_t)n);
		return 0;
	}
	if (session && type != ACTORD_PTYPE_RESPONSE && type != ACTORD_PTYPE_ERROR) {
		/* Hand the payload back without a copy. */
		actord_send(ctx, 0, source, ACTORD_PTYPE_RESPONSE | ACTORD_TAG_DONTCOPY,
		            session, (void *)msg, sz);
		return 1;
	}
	return 0;
}

/* sink: checks per-source order of "seq" payloads.  A call "count K" is
 * answered "received errors" once K sources have sent "fin" -- messages
 * from different senders have no order between them, so only a marker on
 * each source's own channel says its traffic is all in. */
static void sink_answer(struct tsvc *t)
{
	if (!t->reply_to || t->lost < t->n)
		return;
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%ld %ld", t->got, t->errors);
	actord_send(t->ctx, 0, t->reply_to, ACTORD_PTYPE_RESPONSE,
	            t->reply_session, buf, (size_t)n);
	t->reply_to = 0;
}

static int sink_cb(struct actord_context *ctx, void *ud, int type, int session,
                   uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	(void)ctx;
	if (type != ACTORD_PTYPE_TEXT)
		return 0;
	if (session && sz > 6 && memcmp(msg, "count ", 6) == 0) {
		char buf[32];
		snprintf(buf, sizeof buf, "%.*s", (int)(sz - 6), (const char *)msg + 6);
		t->n = atol(buf);
		t->reply_to = source;
		t->reply_session = session;
		sink_answer(t);
		return 0;
	}
	if (sz == 3 && memcmp(msg, "fin", 3) == 0) {
		t->lost++; /* here: sources finished */
		sink_answer(t);
		return 0;
	}
	if (sz < 16) {
		t->errors++;
		return 0;
	}
	uint32_t seq;
	uint64_t sum;
	memcpy(&seq, msg, 4);
	memcpy(&sum, (const char *)msg + 8, 8);
	int k;
	for (k = 0; k < 8 && t->srcs[k] && t->srcs[k] != source; k++)
		;
	if (k == 8) {
		t->errors++;
		return 0;
	}
	t->srcs[k] = source;
	if (seq != t->seen[k] + 1 || sum != fnv((const char *)msg + 16, sz - 16))
		t->errors++;
	t->seen[k] = seq;
	t->got++;
	return 0;
}

/* source: sends `n` numbered messages of varied sizes to `sink`, `burst`
 * per tick, then answers a call "done" once all are sent. */
static void source_burst(struct tsvc *t)
{
	long burst = t->peer2 ? t->peer2 : t->n;
	for (long k = 0; k < burst && t->i < t->n; k++) {
		t->i++;
		size_t sz = 16 + (size_t)((t->i * 7919) % 2048);
		unsigned char *m = malloc(sz);
		uint32_t seq = (uint32_t)t->i;
		memcpy(m, &seq, 4);
		fill(m + 16, sz - 16, (uint64_t)t->i);
		uint64_t sum = fnv(m + 16, sz - 16);
		memcpy(m + 8, &sum, 8);
		actord_send(t->ctx, 0, t->sink, ACTORD_PTYPE_TEXT | ACTORD_TAG_DONTCOPY,
		            0, m, sz);
	}
	if (t->i == t->n && !t->phase++)
		actord_send(t->ctx, 0, t->sink, ACTORD_PTYPE_TEXT, 0, "fin", 3);
}

static int source_cb(struct actord_context *ctx, void *ud, int type,
                     int session, uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	if (type == ACTORD_PTYPE_RESPONSE && session == t->waiting) {
		source_burst(t);
		t->waiting = t->i < t->n ? actord_timeout(ctx, 1) : 0;
	} else if (type == ACTORD_PTYPE_TEXT && session && sz == 4 &&
	           memcmp(msg, "done", 4) == 0) {
		t->reply_to = source;
		t->reply_session = session;
	}
	if (!t->waiting && t->reply_to) {
		actord_send(ctx, 0, t->reply_to, ACTORD_PTYPE_RESPONSE,
		            t->reply_session, "done", 4);
		t->reply_to = 0;
	}
	return 0;
}

/* ---- drivers ---------------------------------------------------------- */

static void ping_next(struct tsvc *t)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "ping %ld", t->i);
	t->waiting = SEND(t->ctx, t->peer, ACTORD_PTYPE_TEXT, buf, (size_t)n);
}

static int ping_cb(struct actord_context *ctx, void *ud, int type, int session,
                   uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	(void)ctx;
	if (session != t->waiting)
		return 0;
	char want[32];
	int n = snprintf(want, sizeof want, "ping %ld", t->i);
	if (type != ACTORD_PTYPE_RESPONSE || source != t->peer ||
	    sz != (size_t)n || memcmp(msg, want, sz) != 0)
		t->errors++;
	if (++t->i < t->n) {
		ping_next(t);
		return 0;
	}
	verdict(t, "PING %s n=%ld errors=%ld", t->errors ? "FAIL" : "ok", t->n,
	        t->errors);
	return 0;
}

static int order_cb(struct actord_context *ctx, void *ud, int type,
                    int session, uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	if (t->phase < 4) {          /* each source says when it is done */
		if (type == ACTORD_PTYPE_RESPONSE && ++t->phase == 4)
			t->waiting = SEND(ctx, t->sink, ACTORD_PTYPE_TEXT, "count 4", 7);
		return 0;
	}
	if (session != t->waiting)
		return 0;
	char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int)sz, (const char *)msg);
	long got = -1, errors = -1;
	sscanf(buf, "%ld %ld", &got, &errors);
	(void)source;
	(void)type;
	verdict(t, "ORDER %s sources=4 sent=%ld received=%ld errors=%ld",
	        got == 4 * t->n && errors == 0 ? "ok" : "FAIL", 4 * t->n, got,
	        errors);
	return 0;
}

static int big_cb(struct actord_context *ctx, void *ud, int type, int session,
                  uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	(void)ctx;
	(void)source;
	if (session != t->waiting)
		return 0;
	bool ok = type == ACTORD_PTYPE_RESPONSE && sz == (size_t)t->n &&
	          memcmp(msg, t->big, sz) == 0;
	free(t->big);
	t->big = NULL;
	verdict(t, "BIG %s size=%zu", ok ? "ok" : "FAIL", sz);
	return 0;
}

/* deadcall: a call to a killed service, to an unknown handle, and to a
 * name nobody holds must each come back as an error. */
static int deadcall_cb(struct actord_context *ctx, void *ud, int type,
                       int session, uint32_t source, const void *msg,
                       size_t sz)
{
	struct tsvc *t = ud;
	(void)msg;
	(void)sz;
	(void)source;
	if (session != t->waiting)
		return 0;
	if (type != ACTORD_PTYPE_ERROR)
		t->errors++;
	switch (t->phase++) {
	case 0:
		t->waiting = SEND(ctx, 0x00fffff0u, ACTORD_PTYPE_TEXT, "x", 1);
		break;
	case 1:
		t->waiting = actord_sendname(ctx, 0, ".nobody",
		        ACTORD_PTYPE_TEXT | ACTORD_TAG_ALLOCSESSION, 0, "x", 1);
		break;
	case 2:
		/* A call queued behind an exit is answered by the exit. */
		SEND(ctx, t->peer2, ACTORD_PTYPE_TEXT, "exit", 4);
		t->waiting = SEND(ctx, t->peer2, ACTORD_PTYPE_TEXT, "late", 4);
		break;
	default:
		verdict(t, "DEADCALL %s errors=%ld", t->errors ? "FAIL" : "ok",
		        t->errors);
	}
	return 0;
}

static int timer_cb(struct actord_context *ctx, void *ud, int type,
                    int session, uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	(void)type; (void)source; (void)msg; (void)sz;
	/* Sessions 1..3 were set for 30, 10 and 20 ticks: expect 2, 3, 1. */
	static const int want[3] = { 2, 3, 1 };
	if (t->i < 3 && session != want[t->i])
		t->errors++;
	if (++t->i < 3)
		return 0;
	uint64_t ms = (actord_hpc() - t->t0) / 1000000;
	verdict(t, "TIMER %s order=ok elapsed_ge_300ms=%s",
	        t->errors || ms < 290 ? "FAIL" : "ok", ms >= 290 ? "yes" : "no");
	(void)ctx;
	return 0;
}

/* crash: traffic between a source and a sink on workers 0 and 1 while
 * the test script SIGKILLs worker 2, where a call of ours is held. */
static int crash_cb(struct actord_context *ctx, void *ud, int type,
                    int session, uint32_t source, const void *msg, size_t sz)
{
	struct tsvc *t = ud;
	if (session != t->waiting)
		return 0;
	switch (t->phase++) {
	case 0: /* the victim told its pid; hold a call in it */
		actord_error(ctx, "CRASH ready victim_pid=%.*s", (int)sz,
		             (const char *)msg);
		t->waiting = SEND(ctx, t->peer, ACTORD_PTYPE_TEXT, "hold", 4);
		break;
	case 1: /* the held call must fail once worker 2 dies */
		actord_error(ctx, "CRASH held call answered with type %d", type);
		if (type != ACTORD_PTYPE_ERROR)
			t->errors++;
		t->waiting = SEND(ctx, t->peer2, ACTORD_PTYPE_TEXT, "done", 4);
		break;
	case 2: /* all traffic sent; count it */
		t->waiting = SEND(ctx, t->sink, ACTORD_PTYPE_TEXT, "count 1", 7);
		break;
	case 3: {
		char buf[64];
		snprintf(buf, sizeof buf, "%.*s", (int)sz, (const char *)msg);
		sscanf(buf, "%ld %ld", &t->got, &t->lost);
		/* The replacement worker must host new services. */
		t->peer = actord_launch_on(ctx, "tsvc", "echo", 2);
		t->waiting = SEND(ctx, t->peer, ACTORD_PTYPE_TEXT, "again", 5);
		break;
	}
	default:
		verdict(t, "CRASH %s sent=%ld received=%ld order_errors=%ld "
		        "replacement=%s", !t->errors && t->got == t->n && !t->lost &&
		        type == ACTORD_PTYPE_RESPONSE ? "ok" : "FAIL", t->n, t->got,
		        t->lost, type == ACTORD_PTYPE_RESPONSE ? "ok" : "FAIL");
	}
	(void)source;
	return 0;
}

/* ---- set-up ----------------------------------------------------------- */

static int start_names(struct tsvc *t)
{
	struct actord_context *ctx = t->ctx;
	int e = 0;
	uint32_t other = actord_launch_on(ctx, "tsvc", "echo", ACTORD_PLACE_ANY);
	e += actord_name(ctx, ".driver", 0) != 0;
	e += actord_name(ctx, ".driver", other) == 0;      /* taken */
	e += actord_name(ctx, ".echo", other) != 0;
	e += actord_query(ctx, ".driver") != actord_self(ctx);
	e += actord_query(ctx, ".echo") != other;
	e += actord_query(ctx, ".none") != 0;
	const char *v = actord_getenv(ctx, "myname");
	e += !v || strcmp(v, "Dmaker") != 0;
	v = actord_getenv(ctx, "myage");
	e += !v || strcmp(v, "20") != 0;
	e += actord_setenv(ctx, "fresh", "1") != 0;
	e += actord_setenv(ctx, "fresh", "2") == 0;        /* set-once */
	e += strcmp(actord_getenv(ctx, "fresh"), "1") != 0;
	e += actord_setenv(ctx, "myname", "other") == 0;
	verdict(t, "NAMES %s errors=%d", e ? "FAIL" : "ok", e);
	return 0;
}

int tsvc_init(void *inst, struct actord_context *ctx, const char *args)
{
	struct tsvc *t = calloc(1, sizeof *t);
	char where[16] = "other";
	long n = 0;
	(void)inst;
	t->ctx = ctx;
	sscanf(args, "%15s %15s %ld", t->role, where, &n);
	t->n = n;
	const char *r = t->role;
	if (!strcmp(r, "echo")) {
		actord_callback(ctx, t, echo_cb);
	} else if (!strcmp(r, "sink")) {
		actord_callback(ctx, t, sink_cb);
	} else if (!strcmp(r, "source")) {
		/* source SINK N BURST */
		unsigned long sink = 0;
		long burst = 0;
		sscanf(args, "%*s %lx %ld %ld", &sink, &t->n, &burst);
		t->sink = (uint32_t)sink;
		t->peer2 = (uint32_t)burst;
		actord_callback(ctx, t, source_cb);
		source_burst(t);
		t->waiting = t->i < t->n ? actord_timeout(ctx, 1) : 0;
	} else if (!strcmp(r, "ping")) {
		t->peer = actord_launch_on(ctx, "tsvc", "echo", place(ctx, where));
		actord_callback(ctx, t, ping_cb);
		actord_error(ctx, "PING peer :%08x", t->peer);
		ping_next(t);
	} else if (!strcmp(r, "order")) {
		/* four sources on every worker feed one sink elsewhere */
		t->sink = actord_launch_on(ctx, "tsvc", "sink", place(ctx, where));
		actord_callback(ctx, t, order_cb);
		char a[64];
		snprintf(a, sizeof a, "source %x %ld 500", t->sink, t->n);
		for (int k = 0; k < 4; k++) {
			uint32_t s = actord_launch_on(ctx, "tsvc", a, k);
			SEND(ctx, s, ACTORD_PTYPE_TEXT, "done", 4);
		}
	} else if (!strcmp(r, "big")) {
		t->n = n ? n : 16 << 20;
		t->big = malloc((size_t)t->n);
		fill(t->big, (size_t)t->n, 42);
		t->peer = actord_launch_on(ctx, "tsvc", "echo", place(ctx, where));
		actord_callback(ctx, t, big_cb);
		t->waiting = SEND(ctx, t->peer, ACTORD_PTYPE_TEXT, t->big, (size_t)t->n);
	} else if (!strcmp(r, "deadcall")) {
		t->peer = actord_launch_on(ctx, "tsvc", "echo", place(ctx, where));
		t->peer2 = actord_launch_on(ctx, "tsvc", "echo", place(ctx, where));
		actord_kill(ctx, t->peer);
		actord_callback(ctx, t, deadcall_cb);
		t->waiting = SEND(ctx, t->peer, ACTORD_PTYPE_TEXT, "x", 1);
	} else if (!strcmp(r, "names")) {
		return start_names(t);
	} else if (!strcmp(r, "timer")) {
		t->t0 = actord_hpc();
		actord_callback(ctx, t, timer_cb);
		actord_timeout(ctx, 30);
		actord_timeout(ctx, 10);
		actord_timeout(ctx, 20);
	} else if (!strcmp(r, "crash") && actord_worker_id(ctx) == 2) {
		/* The driver must survive: move it off the victim's worker. */
		actord_launch_on(ctx, "tsvc", args, 0);
		actord_exit(ctx);
		actord_callback(ctx, t, echo_cb);
	} else if (!strcmp(r, "crash")) {
		/* crash N: N messages from worker 0 to worker 1, victim on 2 */
		t->sink = actord_launch_on(ctx, "tsvc", "sink", 1);
		char a[64];
		snprintf(a, sizeof a, "source %x %ld 200", t->sink, t->n);
		t->peer2 = actord_launch_on(ctx, "tsvc", a, 0);
		t->peer = actord_launch_on(ctx, "tsvc", "echo", 2);
		actord_callback(ctx, t, crash_cb);
		t->waiting = SEND(ctx, t->peer, ACTORD_PTYPE_TEXT, "pid", 3);
	} else {
		actord_error(ctx, "tsvc: unknown role %s", r);
		free(t);
		return 1;
	}
	return 0;
}

void tsvc_release(void *inst)
{
	(void)inst;
}
