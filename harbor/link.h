/* link.h -- one harbor link: a non-blocking TCP connection to another
 * sidecar, its handshake (harbor/auth.h), and its frames in and out.
 *
 * The sidecar owns the sockets and the poll loop; a link only turns bytes
 * into frames and frames into bytes, and runs the handshake itself so
 * that its users see nothing before the peer has proven the cluster key.
 */
#ifndef ACTORD_HARBOR_LINK_H
#define ACTORD_HARBOR_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "harbor/auth.h"
#include "harbor/control.h"
#include "harbor/frame.h"
#include "harbor/key.h"

enum link_state {
	LINK_CONNECTING, /* connect() in progress (initiator) */
	LINK_HELLO,      /* handshake running */
	LINK_UP,         /* handshake done: actor frames flow */
	LINK_CLOSED,     /* fd closed; `why` says why */
};

/* Whom a link is with, for the sidecar's dispatch. */
enum link_kind {
	LINK_TO_MASTER,  /* this node -> the master */
	LINK_FROM_NODE,  /* the master's side of a node's LINK_TO_MASTER */
	LINK_PEER,       /* node <-> node, carrying actor messages */
};

struct link;

struct link_ops {
	void (*up)(struct link *l, void *ud);
	void (*control)(struct link *l, const harbor_Control *c, void *ud);
	void (*actor)(struct link *l, const struct harbor_frame *f, void *ud);
	/* A control message refused for its content alone (a bad global
	 * name): dropped, the link stays up; `why` is for the log. */
	void (*bad)(struct link *l, const char *why, void *ud);
};

struct link {
	int fd;
	enum link_state state;
	enum link_kind kind;
	enum harbor_role role;
	unsigned self_id, peer_id;         /* peer_id: from its HELLO */
	char self_addr[256], peer_addr[256];
	char remote[64];                   /* ip:port of the socket, for logs */
	const struct harbor_key *key;      /* NULL: insecure links */
	struct harbor_auth auth;
	struct harbor_seal tx, rx;
	bool sealed_out;
	struct harbor_reader in;
	struct harbor_buf out;
	unsigned char *rbuf;
	char why[192];
	bool refused;                      /* closed for a failed handshake */
	uint64_t last_rx_ms;               /* when bytes last came in (or opened) */
	uint64_t last_tx_ms;               /* when the socket last took bytes out */
	uint64_t ping_ms;                  /* when the unanswered PING went; 0: none */
	uint64_t ping_seq;
};

/* A link on a connected (or connecting) socket.  An initiator sends its
 * HELLO as soon as the socket is writable.  Returns NULL if out of memory. */
struct link *link_new(int fd, enum link_kind kind, enum harbor_role role,
                      bool connecting, unsigned self_id, const char *self_addr,
                      const struct harbor_key *key);
void link_free(struct link *l);

/* Events for poll(): POLLIN, plus POLLOUT while output waits. */
short link_events(const struct link *l);

/* The socket is ready: read and/or write.  Callbacks run for each whole
 * frame.  Afterwards the link may be LINK_CLOSED. */
void link_io(struct link *l, short revents, const struct link_ops *ops, void *ud);

/* Queue a frame (no-ops on a closed link).  0, or -1 if refused. */
int link_send_control(struct link *l, const harbor_Control *c);
int link_send_actor(struct link *l, const struct harbor_msg *m, const void *data,
                    uint32_t size);

/* Keepalive (docs/harbor-wire.md, "Keepalive"), called every tick with
 * the monotonic time in ms: a link silent for a third of `keepalive_ms`
 * gets a PING; one silent for `keepalive_ms` with its PING unanswered (or
 * still in its handshake) is closed.  Any bytes in count as an answer, so
 * a busy link sends no PINGs; so do bytes the socket takes out, because
 * our PING waits behind what we queued before it.  0 turns it off. */
void link_keepalive(struct link *l, uint64_t now_ms, unsigned keepalive_ms);
uint64_t link_now_ms(void);

/* Send an ERROR (when code is not 0), write what can be written, close. */
void link_close(struct link *l, int code, const char *why);

#endif
