/* nbench.c -- benchmarks of the node core with C services.
 *
 *   nbench rtt same|other N    N sequential calls to an echo service on
 *                              the caller's worker or another one
 *   nbench send same|other N   N 16-byte one-way messages to a counting
 *                              sink, in bursts of 1024, at most WINDOW
 *                              unacknowledged (the sink acks every ACK)
 *
 * Each prints one "BENCH ..." line through the logger and stops the node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actord/actord.h"

#define BURST 1024
#define WINDOW (64 * 1024)
#define ACK (16 * 1024)

struct nbench {
	struct actord_context *ctx;
	char mode[8], where[8];
	long n, i, acked;
	uint32_t peer;
	int32_t waiting;
	uint64_t t0, last;
	uint32_t *lat;            /* per-call round trip, ns */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int peer_cb(struct actord_context *ctx, void *ud, int type, int session,
                   uint32_t source, const void *msg, size_t sz)
{
	long *count = ud;
	if (type == ACTORD_PTYPE_TEXT && session == 0) {
		if (++*count % ACK == 0)
			actord_send(ctx, 0, source, ACTORD_PTYPE_TEXT, 0, "ack", 3);
		return 0;
	}
	if (session && type != ACTORD_PTYPE_RESPONSE) {
		if (sz == 5 && memcmp(msg, "count", 5) == 0) {
			char buf[32];
			int n = snprintf(buf, sizeof buf, "%ld", *count);
			actord_send(ctx, 0, source, ACTORD_PTYPE_RESPONSE, session, buf,
			            (size_t)n);
		} else {
			actord_send(ctx, 0, source, ACTORD_PTYPE_RESPONSE, session,
			            (void *)msg, sz);
		}
	}
	return 0;
}

static void call(struct nbench *b, const char *what, size_t sz)
{
	b->last = actord_hpc();
	b->waiting = actord_send(b->ctx, 0, b->peer,
	                         ACTORD_PTYPE_TEXT | ACTORD_TAG_ALLOCSESSION, 0,
	                         (void *)what, sz);
}

static void report_rtt(struct nbench *b)
{
	double secs = (double)(actord_hpc() - b->t0) / 1e9;
	qsort(b->lat, (size_t)b->n, sizeof *b->lat, cmp_u32);
	actord_error(b->ctx, "BENCH name=c_call_rtt placement=%s calls=%ld "
	             "calls_per_s=%.0f p50_us=%.2f p99_us=%.2f", b->where, b->n,
	             (double)b->n / secs, b->lat[b->n / 2] / 1e3,
	             b->lat[b->n * 99 / 100] / 1e3);
	actord_abort(b->ctx);
}

static void send_burst(struct nbench *b)
{
	char payload[16] = "0123456789abcdef";
	for (int k = 0; k < BURST && b->i < b->n && b->i - b->acked < WINDOW;
	     k++, b->i++)
		actord_send(b->ctx, 0, b->peer, ACTORD_PTYPE_TEXT, 0, payload,
		            sizeof payload);
	if (b->i == b->n)
		call(b, "count", 5);
	else if (b->i - b->acked < WINDOW)
		b->waiting = actord_timeout(b->ctx, 0);
	else
		b->waiting = 0; /* the next ack resumes */
}

static int bench_cb(struct actord_context *ctx, void *ud, int type,
                    int session, uint32_t source, const void *msg, size_t sz)
{
	struct nbench *b = ud;
	(void)ctx;
	(void)source;
	if (type == ACTORD_PTYPE_TEXT && session == 0) {   /* an ack */
		b->acked += ACK;
		if (b->waiting == 0 && b->i < b->n)
			send_burst(b);
		return 0;
	}
	if (session != b->waiting || type != ACTORD_PTYPE_RESPONSE)
		return 0;
	if (b->mode[0] == 'r') {
		b->lat[b->i] = (uint32_t)(actord_hpc() - b->last);
		if (++b->i < b->n)
			call(b, "ping", 4);
		else
			report_rtt(b);
		return 0;
	}
	if (b->i < b->n) {
		send_burst(b);
		return 0;
	}
	char buf[32];
	snprintf(buf, sizeof buf, "%.*s", (int)sz, (const char *)msg);
	double secs = (double)(actord_hpc() - b->t0) / 1e9;
	actord_error(b->ctx, "BENCH name=c_send_throughput placement=%s sent=%ld "
	             "received=%s msgs_per_s=%.0f", b->where, b->n, buf,
	             (double)b->n / secs);
	actord_abort(b->ctx);
	return 0;
}

int nbench_init(void *inst, struct actord_context *ctx, const char *args)
{
	(void)inst;
	if (strncmp(args, "peer", 4) == 0) {
		actord_callback(ctx, calloc(1, sizeof(long)), peer_cb);
		return 0;
	}
	struct nbench *b = calloc(1, sizeof *b);
	b->ctx = ctx;
	if (sscanf(args, "%7s %7s %ld", b->mode, b->where, &b->n) != 3 || b->n <= 0)
		return 1;
	int where = strcmp(b->where, "same") == 0 ? ACTORD_PLACE_HERE
	          : (actord_worker_id(ctx) + 1) % actord_worker_count(ctx);
	b->peer = actord_launch_on(ctx, "nbench", "peer", where);
	actord_callback(ctx, b, bench_cb);
	b->t0 = actord_hpc();
	if (b->mode[0] == 'r') {
		b->lat = malloc((size_t)b->n * sizeof *b->lat);
		call(b, "ping", 4);
	} else {
		send_burst(b);
	}
	return 0;
}
