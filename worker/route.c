/* route.c -- moving messages: to a local mailbox, or into another
 * endpoint's ring.
 *
 * Same worker: the payload pointer is handed over.  Other endpoint: the
 * payload is copied into the pair's ring; if the ring is full the record
 * waits in the pair's spill buffer (spill.h) that route_flush drains, so a
 * sender never blocks and nothing is dropped.  Rings are published, and a
 * sleeping consumer kicked, once per turn rather than per message.
 *
 * When a peer endpoint restarts (its generation changes), route_sync_peer
 * settles both rings of the pair: what the dead incarnation completed is
 * delivered, the rest discarded, and every call still waiting on it fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/worker.h"

void ctrl_handle(struct worker *w, unsigned from, const struct ring_hdr *h,
                 void *payload);

static inline bool is_reply(uint32_t type)
{
	return type == ACTORD_PTYPE_RESPONSE || type == ACTORD_PTYPE_ERROR;
}

void route_bounce(struct worker *w, uint32_t source, uint32_t dest,
                  uint32_t type, int32_t session)
{
	if (session == 0 || is_reply(type) || type >= CTRL_BASE || source == 0)
		return;
	route_send(w, dest, source, ACTORD_PTYPE_ERROR, session, NULL, 0, true);
}

/* ---- peers ------------------------------------------------------------ */

static void attach_tx(struct worker *w, unsigned i)
{
	struct peer *p = &w->peers[i];
	uint64_t want = seg_genpair(w->gen, p->gen);
	if (atomic_load_explicit(seg_ready(w->seg, w->id, i),
	                         memory_order_acquire) != want)
		return;
	ring_tx_attach(&p->tx, seg_ring(w->seg, w->id, i));
	p->tx_ok = true;
}

static void attach_rx(struct worker *w, unsigned i)
{
	struct peer *p = &w->peers[i];
	uint64_t want = seg_genpair(p->gen, w->gen);
	if (atomic_load_explicit(seg_ready(w->seg, i, w->id),
	                         memory_order_acquire) != want)
		return;
	ring_rx_attach(&p->rx, seg_ring(w->seg, i, w->id));
	p->rx_ok = true;
}

void route_init(struct worker *w)
{
	w->peers = calloc(w->nendpoints, sizeof *w->peers);
	w->dirty = calloc(w->nendpoints, sizeof *w->dirty);
	if (!w->peers || !w->dirty)
		abort();
	calls_init(&w->calls);
	for (unsigned i = 0; i < w->nendpoints; i++) {
		if (i == w->id)
			continue;
		w->peers[i].gen = atomic_load(&seg_endpoint(w->seg, i)->generation);
		attach_tx(w, i);
		attach_rx(w, i);
	}
}

static void spill_drop(struct worker *w, struct peer *p)
{
	while (!spill_empty(&p->spill)) {
		const void *payload;
		const struct ring_hdr *h = spill_front(&p->spill, &payload);
		route_bounce(w, h->source, h->dest, h->type, h->session);
		spill_pop(&p->spill);
	}
	spill_free(&p->spill);
}

void route_free(struct worker *w)
{
	for (unsigned i = 0; w->peers && i < w->nendpoints; i++) {
		struct peer *p = &w->peers[i];
		spill_free(&p->spill);
		ring_rx_drop_partial(&p->rx);
	}
	free(w->peers);
	free(w->dirty);
	calls_free(&w->calls);
	w->peers = NULL;
	w->dirty = NULL;
}

void route_fail_call(uint32_t caller, int32_t session, void *ud)
{
	struct worker *w = ud;
	route_deliver(w, 0, caller, ACTORD_PTYPE_ERROR, session, NULL, 0);
}

static void handle_record(struct worker *w, unsigned from,
                          const struct ring_hdr *h, void *payload)
{
	if (h->type >= CTRL_BASE) {
		ctrl_handle(w, from, h, payload);
		return;
	}
	/* A service with nothing queued takes the message right away: no
	 * mailbox round trip, and its payload is freed while still hot.
	 * Never from inside a callback, which must not nest. */
	struct actord_context *s = w->running ? NULL : service_find(w, h->dest);
	if (s && !s->in_runq && !s->placeholder && mailbox_len(&s->mq) == 0) {
		if (is_reply(h->type) && w->calls.n)
			calls_remove(&w->calls, h->dest, h->session);
		struct msg m = { h->source, h->session, h->type, payload, h->size };
		worker_run_now(w, s, &m);
		return;
	}
	route_deliver(w, h->source, h->dest, h->type, h->session, payload,
	              h->size);
}

struct from_peer {      /* ring_rx_drain's context: whose ring it is */
	struct worker *w;
	unsigned i;
};

static void drained(void *ud, const struct ring_hdr *h, void *payload)
{
	struct from_peer *fp = ud;
	handle_record(fp->w, fp->i, h, payload);
}

void route_sync_peer(struct worker *w, unsigned i)
{
	struct peer *p = &w->peers[i];
	uint32_t g = atomic_load_explicit(&seg_endpoint(w->seg, i)->generation,
	                                  memory_order_acquire);
	if (g == p->gen)
		return;
	/* What the dead incarnation finished sending still counts. */
	struct from_peer fp = { w, i };
	ring_rx_reattach(&p->rx, p->rx_ok, seg_ring(w->seg, i, w->id), drained, &fp);
	/* What we sent it but it never read is lost with its services. */
	spill_drop(w, p);
	ring_tx_attach(&p->tx, seg_ring(w->seg, w->id, i));
	ring_tx_discard(&p->tx);
	calls_fail(&w->calls, i, route_fail_call, w);
	p->gen = g;
	atomic_store_explicit(seg_ready(w->seg, i, w->id),
	                      seg_genpair(g, w->gen), memory_order_release);
	atomic_store_explicit(seg_ready(w->seg, w->id, i),
	                      seg_genpair(w->gen, g), memory_order_release);
	p->tx_ok = p->rx_ok = true;
}

static void mark_dirty(struct worker *w, unsigned i)
{
	struct peer *p = &w->peers[i];
	if (!p->dirty) {
		p->dirty = true;
		w->dirty[w->ndirty++] = i;
	}
}

/* ---- sending ---------------------------------------------------------- */

void route_to_endpoint(struct worker *w, unsigned to, const struct ring_hdr *h,
                       void *data, bool owned)
{
	struct peer *p = &w->peers[to];
	route_sync_peer(w, to);
	/* A launch with a session is a call too: its answer comes from the
	 * new service, and must not be waited for if that worker dies. */
	if (h->session != 0 && !is_reply(h->type) &&
	    (h->type < CTRL_BASE || h->type == CTRL_LAUNCH))
		calls_add(&w->calls, h->source, h->session,
		          to == seg_sidecar(w->h) ? calls_to_node(to, h->dest >> 24) : to);
	mark_dirty(w, to);
	bool spilled = !spill_empty(&p->spill);
	size_t progress = 0;
	if (spilled || !p->tx_ok || !ring_tx_push(&p->tx, h, data, &progress)) {
		spill_push(&p->spill, h, data);
		if (!spilled)
			p->spill.progress = progress; /* part of it is in the ring */
	}
	if (owned)
		free(data);
}

void route_deliver(struct worker *w, uint32_t source, uint32_t dest,
                   uint32_t type, int32_t session, void *data, size_t sz)
{
	struct actord_context *s = service_find(w, dest);
	if (!s) {
		unsigned owner;
		struct directory *d = seg_directory(w->seg);
		if (directory_get(d, dest, &owner) == DIR_ALIVE && owner == w->id &&
		    (dest >> 24) == w->h->harbor) {
			s = service_placeholder(w, dest);
		} else {
			route_bounce(w, source, dest, type, session);
			free(data);
			return;
		}
	}
	if (is_reply(type) && w->calls.n)
		calls_remove(&w->calls, dest, session);
	struct msg m = { source, session, type, data, sz };
	mailbox_push(&s->mq, &m);
	worker_schedule(w, s);
}

int route_send(struct worker *w, uint32_t source, uint32_t dest, uint32_t type,
               int32_t session, void *data, size_t sz, bool owned)
{
	unsigned owner = 0;
	struct directory *d = seg_directory(w->seg);
	/* Another node's handle: the harbor sidecar carries it there, record
	 * as it is; it answers a call itself if it has no link to that node. */
	if (w->h->harbor != 0 && (dest >> 24) != 0 && (dest >> 24) != w->h->harbor) {
		struct ring_hdr h = { (uint32_t)sz, type, session, source, dest, 0 };
		route_to_endpoint(w, seg_sidecar(w->h), &h, data, owned);
		return 0;
	}
	if ((dest >> 24) != w->h->harbor ||
	    directory_get(d, dest, &owner) != DIR_ALIVE) {
		route_bounce(w, source, dest, type, session);
		if (owned)
			free(data);
		return -1;
	}
	if (owner == w->id) {
		if (!owned && sz) {
			void *copy = malloc(sz);
			if (!copy)
				abort();
			memcpy(copy, data, sz);
			data = copy;
		} else if (!owned) {
			data = NULL;
		}
		route_deliver(w, source, dest, type, session, data, sz);
		return 0;
	}
	struct ring_hdr h = { (uint32_t)sz, type, session, source, dest, 0 };
	route_to_endpoint(w, owner, &h, data, owned);
	return 0;
}

/* ---- flushing and polling --------------------------------------------- */

static void kick(struct worker *w, unsigned i)
{
	struct endpoint *e = seg_endpoint(w->seg, i);
	/* Pairs with the fence a consumer issues after raising `sleeping`. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&e->sleeping, memory_order_relaxed) &&
	    atomic_exchange(&e->sleeping, 0)) {
		uint64_t one = 1;
		ssize_t r = write(e->wakefd, &one, sizeof one);
		(void)r; /* EAGAIN: the counter is saturated, it is awake anyway */
	}
}

void route_flush(struct worker *w)
{
	unsigned n = w->ndirty;
	w->ndirty = 0;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = w->dirty[k];
		struct peer *p = &w->peers[i];
		p->dirty = false;
		while (!spill_empty(&p->spill) && p->tx_ok) {
			const void *payload;
			const struct ring_hdr *h = spill_front(&p->spill, &payload);
			if (!ring_tx_push(&p->tx, h, payload, &p->spill.progress))
				break;
			spill_pop(&p->spill);
		}
		if (p->tx_ok && ring_tx_commit(&p->tx))
			kick(w, i);
		if (!spill_empty(&p->spill))
			mark_dirty(w, i);
	}
}

bool route_busy(struct worker *w)
{
	return w->ndirty != 0;
}

bool route_pending(struct worker *w)
{
	for (unsigned i = 0; i < w->nendpoints; i++) {
		struct peer *p = &w->peers[i];
		if (i != w->id && p->rx_ok && ring_rx_pending(&p->rx))
			return true;
	}
	return false;
}

#define POLL_BATCH 4096

bool route_poll(struct worker *w)
{
	bool got = false;
	for (unsigned i = 0; i < w->nendpoints; i++) {
		if (i == w->id)
			continue;
		struct peer *p = &w->peers[i];
		if (!p->tx_ok) {
			attach_tx(w, i);
			if (p->tx_ok && !spill_empty(&p->spill))
				mark_dirty(w, i);
		}
		if (!p->rx_ok) {
			attach_rx(w, i);
			if (!p->rx_ok)
				continue;
		}
		struct from_peer fp = { w, i };
		if (ring_rx_drain(&p->rx, POLL_BATCH, drained, &fp))
			got = true;
	}
	return got;
}

/* ---- placement -------------------------------------------------------- */

unsigned route_place(struct worker *w, int where)
{
	unsigned nw = w->h->nworkers;
	if (where == ACTORD_PLACE_HERE)
		return w->id;
	if (where >= 0)
		return (unsigned)where % nw;
	if (where == ACTORD_PLACE_NEXT)
		return atomic_fetch_add_explicit(&w->h->place_rr, 1,
		                                 memory_order_relaxed) % nw;
	/* Fewest services wins; the round-robin cursor breaks ties so that a
	 * burst of launches spreads out. */
	unsigned start = atomic_fetch_add_explicit(&w->h->place_rr, 1,
	                                           memory_order_relaxed) % nw;
	unsigned best = start;
	uint32_t best_n = UINT32_MAX;
	for (unsigned k = 0; k < nw; k++) {
		unsigned i = (start + k) % nw;
		struct endpoint *e = seg_endpoint(w->seg, i);
		uint32_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
		if (st != EP_RUNNING && st != EP_STARTING)
			continue;
		uint32_t n = atomic_load_explicit(&e->services, memory_order_relaxed);
		if (n < best_n) {
			best_n = n;
			best = i;
		}
	}
	return best;
}
