/* link.c -- one harbor link: socket I/O, frames and the handshake.
 *
 * The handshake follows docs/harbor-wire.md: HELLO both ways, then (keyed)
 * AUTH both ways, the responder proving only after the initiator has.
 * Frames after a side's AUTH are sealed in its direction.  A node without
 * a key (cluster_insecure) sends HELLO with keyed = false and nothing else;
 * both sides must agree, so a keyed node never opens a plain link.
 */
#include "harbor/link.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF_SIZE 65536

static void start_hello(struct link *l);

uint64_t link_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct link *link_new(int fd, enum link_kind kind, enum harbor_role role,
                      bool connecting, unsigned self_id, const char *self_addr,
                      const struct harbor_key *key)
{
	struct link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->rbuf = malloc(RBUF_SIZE);
	if (!l->rbuf) {
		free(l);
		return NULL;
	}
	l->fd = fd;
	l->kind = kind;
	l->role = role;
	l->self_id = self_id;
	l->key = key;
	snprintf(l->self_addr, sizeof l->self_addr, "%s", self_addr);
	harbor_reader_init(&l->in);
	l->last_rx_ms = link_now_ms();
	l->state = connecting ? LINK_CONNECTING : LINK_HELLO;
	if (!connecting)
		start_hello(l);
	return l;
}

void link_free(struct link *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	harbor_reader_free(&l->in);
	harbor_buf_free(&l->out);
	harbor_auth_wipe(&l->auth);
	harbor_seal_wipe(&l->tx);
	harbor_seal_wipe(&l->rx);
	free(l->rbuf);
	free(l);
}

short link_events(const struct link *l)
{
	if (l->state == LINK_CLOSED)
		return 0;
	if (l->state == LINK_CONNECTING || harbor_buf_pending(&l->out))
		return POLLIN | POLLOUT;
	return POLLIN;
}

int link_send_control(struct link *l, const harbor_Control *c)
{
	if (l->state == LINK_CLOSED)
		return -1;
	return harbor_control_append(&l->out, c, l->sealed_out ? &l->tx : NULL);
}

int link_send_actor(struct link *l, const struct harbor_msg *m, const void *data,
                    uint32_t size)
{
	if (l->state != LINK_UP)
		return -1;
	return harbor_frame_append(&l->out, HARBOR_KIND_ACTOR, m, data, size,
	                           l->sealed_out ? &l->tx : NULL);
}

static void flush(struct link *l)
{
	while (harbor_buf_pending(&l->out)) {
		ssize_t n = send(l->fd, l->out.data + l->out.start,
		                 harbor_buf_pending(&l->out), MSG_NOSIGNAL);
		if (n > 0) {
			l->last_tx_ms = link_now_ms();
			harbor_buf_consume(&l->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		snprintf(l->why, sizeof l->why, "send: %s", strerror(errno));
		link_close(l, 0, NULL);
		return;
	}
}

void link_close(struct link *l, int code, const char *why)
{
	if (l->state == LINK_CLOSED)
		return;
	if (why)
		snprintf(l->why, sizeof l->why, "%s", why);
	if (code) {
		harbor_Control c = harbor_Control_init_zero;
		c.which_msg = harbor_Control_error_tag;
		c.msg.error.code = code;
		snprintf(c.msg.error.text, sizeof c.msg.error.text, "%s", why ? why : "");
		link_send_control(l, &c);
		/* Best effort: the peer learns why if the socket takes it now. */
		if (l->fd >= 0 && l->state != LINK_CONNECTING)
			(void)!send(l->fd, l->out.data + l->out.start,
			            harbor_buf_pending(&l->out), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	l->state = LINK_CLOSED;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void link_keepalive(struct link *l, uint64_t now, unsigned keepalive_ms)
{
	if (!keepalive_ms || l->state == LINK_CLOSED)
		return;
	uint64_t heard = l->last_rx_ms;
	/* A peer still reading the backlog queued before our PING is alive;
	 * one that has stopped lets the socket buffers fill, and then this
	 * stops moving too. */
	if (l->state == LINK_UP && l->last_tx_ms > heard)
		heard = l->last_tx_ms;
	uint64_t quiet = now > heard ? now - heard : 0;
	char why[96];
	if (l->state != LINK_UP) {
		/* No PING before the handshake ends: a peer that accepted (the
		 * kernel does that for a stopped process) but never finishes it
		 * would hold the slot of its node forever. */
		if (quiet < keepalive_ms)
			return;
		snprintf(why, sizeof why, "handshake not done in %u ms", keepalive_ms);
		l->refused = l->role == HARBOR_RESPONDER;
		link_close(l, 0, why);
		return;
	}
	/* Wait a third after our PING too, so that a pause of this process
	 * (not the peer's) is not blamed on the peer. */
	if (l->ping_ms && quiet >= keepalive_ms && now >= l->ping_ms + keepalive_ms / 3) {
		snprintf(why, sizeof why, "no answer for %llu ms (keepalive)",
		         (unsigned long long)quiet);
		link_close(l, 0, why);
		return;
	}
	if (!l->ping_ms && quiet >= keepalive_ms / 3) {
		harbor_Control c = harbor_Control_init_zero;
		c.which_msg = harbor_Control_ping_tag;
		c.msg.ping.seq = ++l->ping_seq;
		if (link_send_control(l, &c) == 0)
			l->ping_ms = now;
	}
}

static void send_hello(struct link *l)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_hello_tag;
	c.msg.hello.version = HARBOR_PROTOCOL_VERSION;
	c.msg.hello.node_id = l->self_id;
	snprintf(c.msg.hello.address, sizeof c.msg.hello.address, "%s", l->self_addr);
	c.msg.hello.nonce.size = HARBOR_NONCE_BYTES;
	if (l->key)
		memcpy(c.msg.hello.nonce.bytes, harbor_auth_nonce(&l->auth), HARBOR_NONCE_BYTES);
	else
		randombytes_buf(c.msg.hello.nonce.bytes, HARBOR_NONCE_BYTES);
	c.msg.hello.keyed = l->key != NULL;
	link_send_control(l, &c);
}

static void send_auth(struct link *l)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_auth_tag;
	c.msg.auth.proof.size = HARBOR_PROOF_BYTES;
	if (harbor_auth_prove(&l->auth, c.msg.auth.proof.bytes) != 0 ||
	    harbor_auth_seal_keys(&l->auth, &l->tx, &l->rx) != 0) {
		link_close(l, harbor_ErrorCode_ERROR_AUTH, "handshake out of turn");
		return;
	}
	link_send_control(l, &c);
	l->sealed_out = true; /* every frame after our AUTH */
}

static void refuse(struct link *l, int code, const char *why)
{
	l->refused = true;
	link_close(l, code, why);
}

static void set_up(struct link *l, const struct link_ops *ops, void *ud)
{
	harbor_reader_accept_actor(&l->in);
	l->state = LINK_UP;
	harbor_auth_wipe(&l->auth);
	ops->up(l, ud);
}

static void on_hello(struct link *l, const harbor_Hello *h, const struct link_ops *ops,
                     void *ud)
{
	if (h->version != HARBOR_PROTOCOL_VERSION) {
		refuse(l, harbor_ErrorCode_ERROR_VERSION, "protocol version differs");
		return;
	}
	if (h->keyed != (l->key != NULL)) {
		refuse(l, harbor_ErrorCode_ERROR_AUTH,
		       l->key ? "peer has no cluster key" : "peer has a cluster key, this node none");
		return;
	}
	if (h->node_id == l->self_id) {
		refuse(l, harbor_ErrorCode_ERROR_NODE_ID, "peer claims this node's id");
		return;
	}
	l->peer_id = h->node_id;
	snprintf(l->peer_addr, sizeof l->peer_addr, "%s", h->address);
	if (l->key && harbor_auth_peer(&l->auth, h->node_id, h->address, h->nonce.bytes,
	                               h->nonce.size) != 0) {
		refuse(l, harbor_ErrorCode_ERROR_AUTH, "bad HELLO");
		return;
	}
	if (l->role == HARBOR_RESPONDER)
		send_hello(l);
	if (!l->key) {
		set_up(l, ops, ud);
		return;
	}
	if (l->role == HARBOR_INITIATOR)
		send_auth(l);
}

static void on_auth(struct link *l, const harbor_Auth *a, const struct link_ops *ops,
                    void *ud)
{
	if (!l->key || harbor_auth_check(&l->auth, a->proof.bytes, a->proof.size) != 0) {
		refuse(l, harbor_ErrorCode_ERROR_AUTH, "wrong cluster key");
		return;
	}
	/* The peer seals everything after its AUTH. */
	harbor_reader_seal(&l->in, &l->rx);
	if (l->role == HARBOR_RESPONDER)
		send_auth(l);
	if (l->state != LINK_CLOSED)
		set_up(l, ops, ud);
}

static void on_frame(struct link *l, const struct harbor_frame *f, const struct link_ops *ops,
                     void *ud)
{
	if (f->kind == HARBOR_KIND_ACTOR) {
		ops->actor(l, f, ud);
		return;
	}
	harbor_Control c;
	char err[160];
	int code = harbor_control_decode(f, &c, err, sizeof err);
	if (code == harbor_ErrorCode_ERROR_NAME && l->state == LINK_UP) {
		/* A bad name spoils one message, not the stream: drop it. */
		ops->bad(l, err, ud);
		return;
	}
	if (code) {
		refuse(l, code, err);
		return;
	}
	if (c.which_msg == harbor_Control_error_tag) {
		char why[192];
		snprintf(why, sizeof why, "peer says: %s", c.msg.error.text);
		l->refused = l->state != LINK_UP;
		link_close(l, 0, why);
		return;
	}
	if (l->state == LINK_UP) {
		/* Keepalive is the link's own business, on every kind of link:
		 * a PING is answered here.  (A PONG has done its work by
		 * arriving, last_rx_ms; the owner may look at it.) */
		if (c.which_msg == harbor_Control_ping_tag) {
			harbor_Control r = harbor_Control_init_zero;
			r.which_msg = harbor_Control_pong_tag;
			r.msg.pong.seq = c.msg.ping.seq;
			link_send_control(l, &r);
		} else {
			ops->control(l, &c, ud);
		}
		return;
	}
	switch (c.which_msg) {
	case harbor_Control_hello_tag:
		if (l->peer_id) {
			refuse(l, harbor_ErrorCode_ERROR_MESSAGE, "second HELLO");
			return;
		}
		on_hello(l, &c.msg.hello, ops, ud);
		return;
	case harbor_Control_auth_tag:
		on_auth(l, &c.msg.auth, ops, ud);
		return;
	default:
		refuse(l, harbor_ErrorCode_ERROR_MESSAGE, "message before the handshake ended");
	}
}

static void start_hello(struct link *l)
{
	if (l->key && harbor_auth_start(&l->auth, l->key, l->role, l->self_id,
	                                l->self_addr) != 0) {
		link_close(l, 0, "cannot start the handshake");
		return;
	}
	if (l->role == HARBOR_INITIATOR)
		send_hello(l);
}

static void read_some(struct link *l, const struct link_ops *ops, void *ud)
{
	for (int rounds = 0; rounds < 16 && l->state != LINK_CLOSED; rounds++) {
		ssize_t n = recv(l->fd, l->rbuf, RBUF_SIZE, 0);
		if (n == 0) {
			link_close(l, 0, "connection closed by peer");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				char why[96];
				snprintf(why, sizeof why, "recv: %s", strerror(errno));
				link_close(l, 0, why);
			}
			return;
		}
		l->last_rx_ms = link_now_ms();
		l->ping_ms = 0;
		harbor_reader_feed(&l->in, l->rbuf, (size_t)n);
		struct harbor_frame f;
		int rc = HARBOR_FRAME_MORE;
		while (l->state != LINK_CLOSED &&
		       (rc = harbor_reader_next(&l->in, &f)) == HARBOR_FRAME_READY)
			on_frame(l, &f, ops, ud);
		if (l->state != LINK_CLOSED && rc < 0) {
			refuse(l, rc == HARBOR_FRAME_ESEAL ? harbor_ErrorCode_ERROR_AUTH
			                                   : harbor_ErrorCode_ERROR_FRAME,
			       harbor_frame_strerror(rc));
			return;
		}
		if ((size_t)n < RBUF_SIZE)
			return;
	}
}

void link_io(struct link *l, short revents, const struct link_ops *ops, void *ud)
{
	if (l->state == LINK_CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			char why[96];
			snprintf(why, sizeof why, "connect: %s", strerror(err));
			link_close(l, 0, why);
			return;
		}
		l->state = LINK_HELLO;
		start_hello(l);
	}
	if (l->state != LINK_CLOSED && (revents & (POLLIN | POLLHUP | POLLERR)))
		read_some(l, ops, ud);
	if (l->state != LINK_CLOSED)
		flush(l);
}
