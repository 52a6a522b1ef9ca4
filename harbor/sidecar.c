/* sidecar.c -- the harbor sidecar's main loop: rings to the workers on one
 * side, links to the other nodes (and to the master) on the other.
 *
 * One process, one poll() loop: the sidecar's eventfd (kicked by workers
 * that wrote to it while it slept, as between workers), the listening
 * sockets and every link.  Messages from the rings go out on the link to
 * their destination's node; actor frames from a link go into the ring of
 * the worker that owns their destination.  Nothing blocks: a full ring
 * spills (worker/spill.h), a slow socket buffers (harbor/buf.h).
 *
 * Links: every node links to the master and registers in its HELLO; the
 * master answers with NODE_UP for each other node; of each pair, the node
 * with the lower id connects.  A link that drops fails the calls waiting
 * on it (CTRL_NODE_DOWN to every worker); the lower id reconnects while
 * the master still lists the node.
 *
 * Global names: a worker binds one in the node's name table and hands it
 * here (CTRL_NAME_REGISTER); it goes to the master, whose NAME_REPLY
 * binds it in every node's table, this one's too.  A message to a global
 * name the node has not learned yet waits here (CTRL_SEND_NAME,
 * harbor/pending.h) until the master announces the name.  Each link's
 * state is published in the segment header (links[]) for
 * harbor.connect/link.
 */
#include "harbor/sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harbor/link.h"
#include "harbor/master.h"
#include "harbor/pending.h"
#include "shm/names.h"
#include "worker/spill.h"
#include "worker/worker.h"

#define MAX_LINKS 1024
#define RETRY_MS 1000
#define POLL_BATCH 4096

struct wpeer {                  /* one worker, as the sidecar sees it */
	struct ring_rx rx;
	struct ring_tx tx;
	struct spill spill;
	uint32_t gen;
	bool rx_ok, tx_ok, dirty;
};

struct node {                   /* another node of the cluster */
	struct link *link;          /* the peer link, once connecting */
	char addr[256];
	bool known;                 /* listed by the master */
	uint64_t retry_at;          /* ms; 0: no reconnect pending */
};

struct sc {
	struct segment *seg;
	const struct sidecar_opts *o;
	unsigned me, nw;
	uint32_t gen;
	struct wpeer *w;
	int lfd, mfd;               /* listeners: peers, master */
	struct link *links[MAX_LINKS];
	unsigned nlinks;
	struct link *to_master;
	uint64_t master_retry_at;
	bool ready_logged;
	bool master_quiet;          /* "cannot reach the master" was logged */
	struct node node[256];
	struct master master;
	struct pending pending;     /* messages to names not known yet */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* In the logger's format, straight to the node's log fd: the sidecar hosts
 * no services, so it cannot use the logger service. */
static void vslog(struct sc *s, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof line, "[:%08x] harbor: ", s->o->harbor << 24);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	(void)!write(s->o->logfd, line, (size_t)n);
}

static void slog(struct sc *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vslog(s, fmt, ap);
	va_end(ap);
}

static void master_log(void *ud, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vslog(ud, fmt, ap);
	va_end(ap);
}

/* ---- addresses and sockets -------------------------------------------- */

static int resolve(const char *hostport, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof host)
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICSERV }, *res;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int listen_on(struct sc *s, const char *addr)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (resolve(addr, &sa, &len) < 0) {
		slog(s, "cannot resolve %s", addr);
		return -1;
	}
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 64) < 0) {
		slog(s, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void remote_of(int fd, char *out, size_t n)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char host[64] = "?", port[16] = "?";
	if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0)
		getnameinfo((struct sockaddr *)&sa, len, host, sizeof host, port, sizeof port,
		            NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(out, n, "%s:%s", host, port);
}

static struct link *add_link(struct sc *s, int fd, enum link_kind kind,
                             enum harbor_role role, bool connecting)
{
	if (s->nlinks == MAX_LINKS) {
		close(fd);
		return NULL;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct link *l = link_new(fd, kind, role, connecting, s->o->harbor, s->o->address,
	                          s->o->key);
	if (!l) {
		close(fd);
		return NULL;
	}
	if (!connecting)
		remote_of(fd, l->remote, sizeof l->remote);
	s->links[s->nlinks++] = l;
	return l;
}

static struct link *connect_to(struct sc *s, const char *addr, enum link_kind kind)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (resolve(addr, &sa, &len) < 0) {
		slog(s, "cannot resolve %s", addr);
		return NULL;
	}
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0 && errno != EINPROGRESS) {
		close(fd);
		return NULL;
	}
	struct link *l = add_link(s, fd, kind, HARBOR_INITIATOR, true);
	if (l)
		snprintf(l->remote, sizeof l->remote, "%s", addr);
	return l;
}

/* ---- link states, names ----------------------------------------------- */

/* links[id] counts transitions: odd while up (segment.h). */
static void set_link(struct sc *s, unsigned id, bool up)
{
	_Atomic uint32_t *v = &s->seg->h->links[id];
	uint32_t cur = atomic_load_explicit(v, memory_order_relaxed);
	if ((cur & 1) != up)
		atomic_store_explicit(v, cur + 1, memory_order_release);
}

static void send_register(struct sc *s, const char *name, uint32_t handle)
{
	if (s->o->standalone) {
		master_register(&s->master, NULL, name, handle);
		return;
	}
	/* No master yet: registered when it answers (register_own). */
	if (!s->to_master || s->to_master->state != LINK_UP)
		return;
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_name_register_tag;
	snprintf(c.msg.name_register.name, sizeof c.msg.name_register.name, "%s", name);
	c.msg.name_register.handle = handle;
	link_send_control(s->to_master, &c);
}

static void register_one(const char *name, uint32_t handle, void *ud)
{
	struct sc *s = ud;
	if (name[0] != '.' && (handle >> 24) == s->o->harbor)
		send_register(s, name, handle);
}

/* Tell a master that may not know them (it was unreachable, or it
 * restarted) the global names of this node's services. */
static void register_own(struct sc *s)
{
	names_each(seg_names(s->seg), register_one, s);
}

/* ---- rings to and from the workers ------------------------------------ */

static void kick(struct sc *s, unsigned i)
{
	struct endpoint *e = seg_endpoint(s->seg, i);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&e->sleeping, memory_order_relaxed) &&
	    atomic_exchange(&e->sleeping, 0)) {
		uint64_t one = 1;
		(void)!write(e->wakefd, &one, sizeof one);
	}
}

static void attach(struct sc *s, unsigned i)
{
	struct wpeer *p = &s->w[i];
	if (!p->tx_ok && atomic_load_explicit(seg_ready(s->seg, s->me, i), memory_order_acquire) ==
	                 seg_genpair(s->gen, p->gen)) {
		ring_tx_attach(&p->tx, seg_ring(s->seg, s->me, i));
		p->tx_ok = true;
		p->dirty = !spill_empty(&p->spill);
	}
	if (!p->rx_ok && atomic_load_explicit(seg_ready(s->seg, i, s->me), memory_order_acquire) ==
	                 seg_genpair(p->gen, s->gen)) {
		ring_rx_attach(&p->rx, seg_ring(s->seg, i, s->me));
		p->rx_ok = true;
	}
}

static void to_worker(struct sc *s, unsigned i, const struct ring_hdr *h, const void *data)
{
	struct wpeer *p = &s->w[i];
	size_t progress = 0;
	bool spilled = !spill_empty(&p->spill);
	if (spilled || !p->tx_ok || !ring_tx_push(&p->tx, h, data, &progress)) {
		spill_push(&p->spill, h, data);
		if (!spilled)
			p->spill.progress = progress;
	}
	p->dirty = true;
}

static bool is_reply(uint32_t type)
{
	return type == ACTORD_PTYPE_RESPONSE || type == ACTORD_PTYPE_ERROR;
}

static bool wants_error(uint32_t type, int32_t session, uint32_t source)
{
	return session != 0 && !is_reply(type) && type < CTRL_BASE && source != 0;
}

static struct link *link_to_node(struct sc *s, unsigned node)
{
	struct link *l = s->node[node].link;
	return l && l->state == LINK_UP ? l : NULL;
}

/* A message from another node that cannot be delivered here: a call is
 * answered with an error on the link it came from. */
static void bounce_remote(struct sc *s, struct link *l, const struct harbor_msg *m)
{
	if (!wants_error(m->type, m->session, m->source))
		return;
	if (!l)
		l = link_to_node(s, m->source >> 24);
	if (!l)
		return;
	struct harbor_msg e = { ACTORD_PTYPE_ERROR, m->session, m->dest, m->source };
	link_send_actor(l, &e, NULL, 0);
}

/* A call that cannot go on: answered with an error to its worker. */
static void fail_call(struct sc *s, unsigned worker, const struct harbor_msg *m)
{
	if (!wants_error(m->type, m->session, m->source))
		return;
	struct ring_hdr e = { 0, ACTORD_PTYPE_ERROR, m->session, m->dest, m->source, 0 };
	to_worker(s, worker, &e, NULL);
}

/* A message this sidecar routes itself (one that waited for its name):
 * to a worker of this node, or out on a link. */
static void route_out(struct sc *s, unsigned worker, const struct harbor_msg *m,
                      const void *data, uint32_t size)
{
	unsigned owner;
	if ((m->dest >> 24) == s->o->harbor) {
		if (directory_get(seg_directory(s->seg), m->dest, &owner) == DIR_ALIVE &&
		    owner < s->nw) {
			struct ring_hdr h = { size, m->type, m->session, m->source, m->dest, 0 };
			to_worker(s, owner, &h, size ? data : NULL);
			return;
		}
	} else {
		struct link *l = link_to_node(s, m->dest >> 24);
		if (l && wants_error(m->type, m->session, m->source)) {
			/* The caller's worker recorded this call against us, not
			 * the node: say which, ahead of any answer, so that a drop
			 * of that link fails it. */
			struct ring_hdr c = { 0, CTRL_CALL_NODE, m->session, m->source,
			                      m->dest, m->dest >> 24 };
			to_worker(s, worker, &c, NULL);
		}
		if (l && link_send_actor(l, m, data, size) == 0)
			return;
	}
	fail_call(s, worker, m);
}

/* CTRL_SEND_NAME from worker i: payload "name\0" + message, aux the
 * message's type.  The name may have arrived since the worker looked. */
static void send_to_name(struct sc *s, unsigned i, const struct ring_hdr *h,
                         const unsigned char *payload)
{
	struct harbor_msg m = { h->aux, h->session, h->source, 0 };
	size_t len = h->size ? strnlen((const char *)payload, h->size) : 0;
	if (len == 0 || len == h->size || len > HARBOR_NAME_MAX) {
		fail_call(s, i, &m);
		return;
	}
	const char *name = (const char *)payload;
	const unsigned char *data = payload + len + 1;
	uint32_t size = h->size - (uint32_t)len - 1;
	m.dest = names_lookup(seg_names(s->seg), name);
	if (m.dest) {
		route_out(s, i, &m, data, size);
		return;
	}
	if (pending_add(&s->pending, name, i, &m, data, size) != 0) {
		slog(s, "too much waits for global names: refused a message from :%08x to %s",
		     (unsigned)m.source, name);
		fail_call(s, i, &m);
	}
}

struct to_name {
	struct sc *s;
	uint32_t handle;
};

static void send_held(const struct pending_msg *pm, void *ud)
{
	struct to_name *t = ud;
	struct harbor_msg m = pm->m;
	m.dest = t->handle;
	route_out(t->s, pm->worker, &m, pm->data, pm->size);
}

/* The master binds `name` (its NAME_REPLY, or a direct call when it runs
 * here): so does this node, whatever it believed before; and what waited
 * for the name goes to it now, ahead of anything sent after. */
static void learn_name(void *ud, const char *name, uint32_t handle)
{
	struct sc *s = ud;
	uint32_t old;
	int r = names_set(seg_names(s->seg), name, handle, &old);
	if (r != 0) {
		slog(s, "cannot bind global name %s here: %s", name, strerror(-r));
		return;
	}
	if (old && old != handle)
		slog(s, "global name %s is bound to :%08x; the binding to :%08x here is refused",
		     name, (unsigned)handle, (unsigned)old);
	struct to_name t = { s, handle };
	pending_take(&s->pending, name, send_held, &t);
}

/* A record from worker i: out on the link to its destination's node. */
static void from_worker(struct sc *s, unsigned i, const struct ring_hdr *h, void *payload)
{
	if (h->type == CTRL_NAME_REGISTER) {
		char name[HARBOR_NAME_MAX + 1];
		if (h->size > 0 && h->size <= HARBOR_NAME_MAX) {
			memcpy(name, payload, h->size);
			name[h->size] = '\0';
			send_register(s, name, h->dest);
		}
		goto done;
	}
	if (h->type == CTRL_SEND_NAME) {
		send_to_name(s, i, h, payload);
		goto done;
	}
	if (h->type >= CTRL_BASE)
		goto done;
	struct link *l = link_to_node(s, h->dest >> 24);
	struct harbor_msg m = { h->type, h->session, h->source, h->dest };
	if (l && link_send_actor(l, &m, payload, h->size) == 0)
		goto done;
	/* No link (or a payload over 16 MiB): a call fails at once. */
	if (wants_error(h->type, h->session, h->source)) {
		struct ring_hdr e = { 0, ACTORD_PTYPE_ERROR, h->session, h->dest, h->source, 0 };
		to_worker(s, i, &e, NULL);
	}
done:
	free(payload);
}

struct from_ring {      /* ring_rx_drain's context: whose ring it is */
	struct sc *s;
	unsigned i;
};

static void drained(void *ud, const struct ring_hdr *h, void *payload)
{
	struct from_ring *fr = ud;
	from_worker(fr->s, fr->i, h, payload);
}

/* The worker in slot i restarted: settle both rings of the pair as a
 * worker does (route_sync_peer). */
static void sync_worker(struct sc *s, unsigned i)
{
	struct wpeer *p = &s->w[i];
	uint32_t g = atomic_load_explicit(&seg_endpoint(s->seg, i)->generation,
	                                  memory_order_acquire);
	if (g == p->gen)
		return;
	struct from_ring fr = { s, i };
	ring_rx_reattach(&p->rx, p->rx_ok, seg_ring(s->seg, i, s->me), drained, &fr);
	/* What it never read went to services that are gone: calls among it
	 * are answered with an error on their link. */
	while (!spill_empty(&p->spill)) {
		const void *payload;
		const struct ring_hdr *h = spill_front(&p->spill, &payload);
		struct harbor_msg m = { h->type, h->session, h->source, h->dest };
		bounce_remote(s, NULL, &m);
		spill_pop(&p->spill);
	}
	ring_tx_attach(&p->tx, seg_ring(s->seg, s->me, i));
	ring_tx_discard(&p->tx);
	p->gen = g;
	atomic_store_explicit(seg_ready(s->seg, i, s->me), seg_genpair(g, s->gen),
	                      memory_order_release);
	atomic_store_explicit(seg_ready(s->seg, s->me, i), seg_genpair(s->gen, g),
	                      memory_order_release);
	p->tx_ok = p->rx_ok = true;
}

static bool poll_rings(struct sc *s)
{
	bool got = false;
	for (unsigned i = 0; i < s->nw; i++) {
		sync_worker(s, i);
		attach(s, i);
		struct wpeer *p = &s->w[i];
		if (!p->rx_ok)
			continue;
		struct from_ring fr = { s, i };
		if (ring_rx_drain(&p->rx, POLL_BATCH, drained, &fr))
			got = true;
	}
	return got;
}

static bool rings_pending(struct sc *s)
{
	for (unsigned i = 0; i < s->nw; i++)
		if (s->w[i].rx_ok && ring_rx_pending(&s->w[i].rx))
			return true;
	return false;
}

static void flush_rings(struct sc *s)
{
	for (unsigned i = 0; i < s->nw; i++) {
		struct wpeer *p = &s->w[i];
		if (!p->dirty || !p->tx_ok)
			continue;
		while (!spill_empty(&p->spill)) {
			const void *payload;
			const struct ring_hdr *h = spill_front(&p->spill, &payload);
			if (!ring_tx_push(&p->tx, h, payload, &p->spill.progress))
				break;
			spill_pop(&p->spill);
		}
		if (ring_tx_commit(&p->tx))
			kick(s, i);
		p->dirty = !spill_empty(&p->spill);
	}
}

static bool spilling(struct sc *s)
{
	for (unsigned i = 0; i < s->nw; i++)
		if (s->w[i].dirty)
			return true;
	return false;
}

/* Tell every worker that calls into `node` will not be answered. */
static void node_down(struct sc *s, unsigned node)
{
	for (unsigned i = 0; i < s->nw; i++) {
		struct ring_hdr h = { 0, CTRL_NODE_DOWN, 0, 0, 0, node };
		to_worker(s, i, &h, NULL);
	}
}

/* ---- links ------------------------------------------------------------ */

static void on_up(struct link *l, void *ud)
{
	struct sc *s = ud;
	switch (l->kind) {
	case LINK_TO_MASTER:
		slog(s, "registered with the master at %s as node %u", l->remote, s->o->harbor);
		if (!s->ready_logged)
			slog(s, "Shakehand ready");
		s->ready_logged = true;
		set_link(s, 0, true);
		register_own(s);
		break;
	case LINK_FROM_NODE:
		master_node_up(&s->master, l);
		break;
	case LINK_PEER: {
		struct node *n = &s->node[l->peer_id];
		if (n->link && n->link != l && n->link->state == LINK_UP) {
			link_close(l, harbor_ErrorCode_ERROR_NODE_ID, "a link to this node is already up");
			return;
		}
		if (n->link && n->link != l)
			link_close(n->link, 0, "superseded");
		n->link = l;
		n->retry_at = 0;
		set_link(s, l->peer_id, true);
		slog(s, "Harbor %u connected (fd=%d) %s", l->peer_id, l->fd, l->peer_addr);
		break;
	}
	}
}

static void connect_peer(struct sc *s, unsigned id)
{
	struct node *n = &s->node[id];
	n->retry_at = 0;
	n->link = connect_to(s, n->addr, LINK_PEER);
	if (!n->link) {
		n->retry_at = now_ms() + RETRY_MS;
		return;
	}
	slog(s, "Connect to harbor %u (fd=%d), %s", id, n->link->fd, n->addr);
}

/* The master lists node `id` (NODE_UP, or a direct call when the master
 * runs here). */
static void local_node_up(void *ud, unsigned id, const char *addr)
{
	struct sc *s = ud;
	struct node *n = &s->node[id];
	if (id == s->o->harbor)
		return;
	n->known = true;
	snprintf(n->addr, sizeof n->addr, "%s", addr);
	slog(s, "node %u is up at %s", id, n->addr);
	/* Of each pair, the lower id connects. */
	if (s->o->harbor < id && !n->link)
		connect_peer(s, id);
}

static void local_node_down(void *ud, unsigned id)
{
	struct sc *s = ud;
	s->node[id].known = false;
	s->node[id].retry_at = 0;
	slog(s, "node %u is down", id);
	if (s->node[id].link)
		link_close(s->node[id].link, 0, "the master says the node is down");
}

static void on_control(struct link *l, const harbor_Control *c, void *ud)
{
	struct sc *s = ud;
	if (l->kind == LINK_FROM_NODE) {
		master_control(&s->master, l, c);
		return;
	}
	switch (c->which_msg) {
	case harbor_Control_node_up_tag:
		if (l->kind == LINK_TO_MASTER)
			local_node_up(s, c->msg.node_up.node_id, c->msg.node_up.address);
		break;
	case harbor_Control_node_down_tag:
		if (l->kind == LINK_TO_MASTER)
			local_node_down(s, c->msg.node_down.node_id);
		break;
	case harbor_Control_name_reply_tag:
		if (l->kind == LINK_TO_MASTER)
			learn_name(s, c->msg.name_reply.name, c->msg.name_reply.handle);
		else
			slog(s, "refused NAME_REPLY for %s from node %u: only the master binds names",
			     c->msg.name_reply.name, l->peer_id);
		break;
	case harbor_Control_name_register_tag:
	case harbor_Control_name_query_tag:
		slog(s, "refused %s from %s (node %u): this node is not the master",
		     harbor_control_name(c->which_msg), l->remote, l->peer_id);
		break;
	default:
		break; /* newer messages */
	}
}

static void on_actor(struct link *l, const struct harbor_frame *f, void *ud)
{
	struct sc *s = ud;
	if (l->kind != LINK_PEER) {
		link_close(l, harbor_ErrorCode_ERROR_MESSAGE, "actor message on a master link");
		return;
	}
	const struct harbor_msg *m = &f->msg;
	unsigned owner;
	if ((m->dest >> 24) == s->o->harbor &&
	    directory_get(seg_directory(s->seg), m->dest, &owner) == DIR_ALIVE &&
	    owner < s->nw) {
		struct ring_hdr h = { f->size, m->type, m->session, m->source, m->dest, 0 };
		to_worker(s, owner, &h, f->size ? f->data : NULL);
		return;
	}
	bounce_remote(s, l, m);
}

static void on_bad(struct link *l, const char *why, void *ud)
{
	slog(ud, "refused a message from %s (node %u): %s", l->remote, l->peer_id, why);
}

static const struct link_ops ops = { on_up, on_control, on_actor, on_bad };

/* A closed link: say why, fail what waited on it, plan a reconnect. */
static void link_gone(struct sc *s, struct link *l)
{
	switch (l->kind) {
	case LINK_TO_MASTER:
		if (l->refused)
			slog(s, "the master at %s refused this node: %s", l->remote, l->why);
		else if (l->peer_id)
			slog(s, "lost the master at %s: %s", l->remote, l->why);
		else if (!s->master_quiet)
			slog(s, "cannot reach the master at %s (%s); retrying every second",
			     l->remote, l->why);
		/* Said once until it answers again, not every second. */
		s->master_quiet = !l->peer_id;
		s->to_master = NULL;
		set_link(s, 0, false);
		s->master_retry_at = now_ms() + RETRY_MS;
		break;
	case LINK_FROM_NODE:
		if (l->refused)
			slog(s, "master: refused a node from %s: %s", l->remote, l->why);
		master_node_closed(&s->master, l);
		break;
	case LINK_PEER: {
		if (l->refused)
			slog(s, "refused link %s %s: %s",
			     l->role == HARBOR_INITIATOR ? "to" : "from", l->remote, l->why);
		unsigned id = l->peer_id;
		if (!id) {
			/* An outgoing link that never got a HELLO. */
			for (unsigned i = 1; i < 256; i++)
				if (s->node[i].link == l)
					id = i;
		}
		if (!id || s->node[id].link != l)
			break;
		s->node[id].link = NULL;
		set_link(s, id, false);
		if (l->state == LINK_CLOSED && l->peer_id && !l->refused)
			slog(s, "Harbor %u disconnected: %s", id, l->why);
		node_down(s, id);
		if (s->node[id].known && s->o->harbor < id)
			s->node[id].retry_at = now_ms() + RETRY_MS;
		break;
	}
	}
}

static void accept_all(struct sc *s, int lfd, enum link_kind kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct link *l = add_link(s, fd, kind, HARBOR_RESPONDER, false);
		if (l && kind == LINK_PEER)
			slog(s, "New connection (fd = %d, %s)", fd, l->remote);
		else if (l)
			slog(s, "master: connect from %s (fd = %d)", l->remote, fd);
	}
}

static void timers(struct sc *s)
{
	uint64_t now = now_ms();
	if (!s->o->standalone && !s->to_master && now >= s->master_retry_at) {
		s->to_master = connect_to(s, s->o->master, LINK_TO_MASTER);
		if (!s->to_master)
			s->master_retry_at = now + RETRY_MS;
	}
	for (unsigned i = 1; i < 256; i++)
		if (s->node[i].retry_at && now >= s->node[i].retry_at && !s->node[i].link &&
		    s->node[i].known)
			connect_peer(s, i);
}

static void sweep(struct sc *s)
{
	unsigned k = 0;
	for (unsigned i = 0; i < s->nlinks; i++) {
		struct link *l = s->links[i];
		if (l->state == LINK_CLOSED) {
			link_gone(s, l);
			link_free(l);
		} else {
			s->links[k++] = l;
		}
	}
	s->nlinks = k;
}

/* Write out the frames queued on every link (what does not fit in the
 * socket waits for POLLOUT). */
static void flush_links(struct sc *s)
{
	for (unsigned i = 0; i < s->nlinks; i++)
		if (s->links[i]->state != LINK_CONNECTING && harbor_buf_pending(&s->links[i]->out))
			link_io(s->links[i], 0, &ops, s);
}

/* Links keepalive gave up on are swept here, not after poll(): a poll
 * that times out skips the rest of the loop. */
static void keepalive(struct sc *s)
{
	uint64_t now = now_ms();
	for (unsigned i = 0; i < s->nlinks; i++)
		link_keepalive(s->links[i], now, s->o->keepalive_ms);
	sweep(s);
}

int sidecar_main(struct segment *seg, const struct sidecar_opts *o)
{
	static struct sc s; /* big (256 nodes); one per process */
	/* Like a worker, it dies with the supervisor: a node killed outright
	 * must drop its links, so that the other nodes notice. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != seg->h->supervisor_pid)
		return 1;
	s.seg = seg;
	s.o = o;
	s.nw = seg->h->nworkers;
	s.me = seg_sidecar(seg->h);
	s.gen = atomic_load(&seg_endpoint(seg, s.me)->generation);
	s.w = calloc(s.nw, sizeof *s.w);
	s.master.log = master_log;
	s.master.local_id = o->harbor;
	s.master.local_addr = o->address;
	s.master.local_up = local_node_up;
	s.master.local_down = local_node_down;
	s.master.local_name = learn_name;
	s.master.ud = &s;
	pending_init(&s.pending);
	s.mfd = -1;
	for (unsigned i = 0; i < s.nw; i++)
		s.w[i].gen = atomic_load(&seg_endpoint(seg, i)->generation);
	struct endpoint *self = seg_endpoint(seg, s.me);

	/* A restarted sidecar has no links, whatever its predecessor had. */
	for (unsigned i = 0; i < 256; i++)
		set_link(&s, i, false);
	if (o->standalone) {
		s.mfd = listen_on(&s, o->standalone);
		if (s.mfd < 0)
			return 1;
		slog(&s, "master listen socket %s", o->standalone);
		slog(&s, "Shakehand ready");
		/* The master runs here: it is this node's master link. */
		set_link(&s, 0, true);
		register_own(&s);
	}
	s.lfd = listen_on(&s, o->address);
	if (s.lfd < 0)
		return 1;
	slog(&s, "node %u listens on %s for peers; master %s; links %s", o->harbor,
	     o->address, o->master, o->key ? "keyed" : "INSECURE (no cluster key)");
	atomic_store(&self->state, EP_RUNNING);

	struct pollfd *pfd = calloc(MAX_LINKS + 3, sizeof *pfd);
	while (!atomic_load(&seg->h->stopping)) {
		timers(&s);
		keepalive(&s);
		bool busy = poll_rings(&s);
		/* The same protocol as a worker's: raise `sleeping`, then look
		 * again, so a producer either sees the flag or we see its data. */
		atomic_store(&self->sleeping, 1);
		atomic_thread_fence(memory_order_seq_cst);
		if (rings_pending(&s))
			busy = true;
		flush_rings(&s);
		/* Send what the rings gave now, not after a poll() for POLLOUT:
		 * one poll less per frame, and a round trip's latency less. */
		flush_links(&s);
		unsigned n = 0;
		pfd[n++] = (struct pollfd){ self->wakefd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ s.lfd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ s.mfd, POLLIN, 0 };
		for (unsigned i = 0; i < s.nlinks; i++)
			pfd[n++] = (struct pollfd){ s.links[i]->fd, link_events(s.links[i]), 0 };
		int timeout = busy ? 0 : spilling(&s) ? 1 : 100;
		int r = poll(pfd, n, timeout);
		atomic_store(&self->sleeping, 0);
		if (r <= 0)
			continue;
		if (pfd[0].revents) {
			uint64_t v;
			(void)!read(self->wakefd, &v, sizeof v);
		}
		if (pfd[1].revents)
			accept_all(&s, s.lfd, LINK_PEER);
		if (s.mfd >= 0 && pfd[2].revents)
			accept_all(&s, s.mfd, LINK_FROM_NODE);
		/* Links added by accept_all are past the end of this round. */
		for (unsigned i = 0; i + 3 < n; i++)
			if (pfd[i + 3].revents)
				link_io(s.links[i], pfd[i + 3].revents, &ops, &s);
		/* Frames queued by callbacks on links not polled for output. */
		flush_links(&s);
		sweep(&s);
		flush_rings(&s);
	}
	for (unsigned i = 0; i < s.nlinks; i++)
		link_free(s.links[i]);
	for (unsigned i = 0; i < s.nw; i++) {
		spill_free(&s.w[i].spill);
		ring_rx_drop_partial(&s.w[i].rx);
	}
	master_free(&s.master);
	pending_free(&s.pending);
	free(s.w);
	free(pfd);
	close(s.lfd);
	if (s.mfd >= 0)
		close(s.mfd);
	return 0;
}
