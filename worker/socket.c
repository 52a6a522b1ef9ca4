/* socket.c -- a worker's sockets on its io_uring ring.
 *
 * Reads are pushed to the owning service as ACTORD_PTYPE_SOCKET messages:
 * TCP through a multishot receive into a ring of provided buffers (copied
 * out at once, so the buffers are few and shared by every connection),
 * listeners through a multishot accept.  Kernels without those get a
 * single-shot receive into a per-socket buffer and a single-shot accept.
 *
 * Writes first try send(2) right away, which is what a reply in a
 * request/response exchange wants; what the kernel does not take waits in
 * a normal and a low-priority queue, one send in flight at a time.
 *
 * A socket's struct stays alive while io_uring operations point at it
 * (`inflight`); closing cancels them and frees the struct at the last
 * completion.
 */
#include "worker/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/worker.h"

#define BUF_GROUP 1
#define BUF_COUNT 256          /* provided buffers per worker */
#define BUF_SIZE (16 * 1024)
#define PLAIN_RXSZ (16 * 1024) /* per-socket buffer without buffer rings */
#define UDP_RXSZ 65536
#define WARN_FIRST (1024 * 1024)
#define WARN_STEP (64 * 1024)

enum { OP_READ = 1, OP_SEND, OP_CONNECT, OP_LATER, OP_MASK = 7 };
enum { UD_WAKE = 1, UD_IGNORE = 2 };
enum sock_kind { SK_TCP, SK_LISTEN, SK_UDP, SK_FD /* any other fd: stdin */ };
enum sock_state {
	SS_CONNECTING, /* connect in flight */
	SS_IDLE,       /* not reading: not started yet, or paused */
	SS_OPEN,       /* reading, events go to owner */
	SS_CLOSING,    /* close asked: writing out the queue first */
	SS_MOVING,     /* started from another worker: finishing, then moving */
	SS_DEAD,       /* closed; freed at the last completion */
};

struct wbuf {
	struct wbuf *next;
	size_t off, len;
	char data[];
};

struct wqueue {
	struct wbuf *head, *tail;
};

struct udp_rx {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_storage from;
	char buf[UDP_RXSZ];
};

struct sock {
	struct sock *hnext;
	int id, fd;
	uint8_t kind, state;
	bool reading, sending, send_lo, warned;
	bool waiting_later;      /* a retry_later timeout is pending */
	bool accept_paused;      /* a listener out of fds, until that fires */
	uint32_t owner;
	unsigned inflight;
	unsigned move_to;
	struct wqueue hi, lo;
	struct wqueue held;      /* given back unread: for the next starter */
	size_t wbytes, warn_at;
	union {                  /* the one used in the socket's state: */
		char *rxbuf;     /* open: single-shot TCP receive (plain mode) */
		struct sockaddr_storage *connect_to; /* connecting: the address */
	};
	struct udp_rx *udp;
	char addr[64];           /* peer "ip:port", for start/accept events */
};

struct passed {
	int id, fd;
};

/* An operation for a socket whose fd is on its way here. */
struct waiting_op {
	struct waiting_op *next;
	uint32_t source;
	size_t size;
	struct sock_op op;
};

struct sockets {
	struct sock **tab;
	uint32_t cap, n;
	struct io_uring_buf_ring *br;
	char *bufs;
	bool plain;               /* no provided buffers / multishot receive */
	bool accept_single;       /* no multishot accept */
	struct passed *passed;
	unsigned npassed, cappassed;
	struct waiting_op *waiting;
};

static void close_now(struct worker *w, struct sock *s, int event,
                      const char *why);
static void arm_read(struct worker *w, struct sock *s);
static void arm_send(struct worker *w, struct sock *s);

/* ---- table ------------------------------------------------------------ */

static uint32_t hash_id(struct sockets *ss, int id)
{
	return ((uint32_t)id * 2654435761u) & (ss->cap - 1);
}

static struct sock *sock_find(struct sockets *ss, int id)
{
	for (struct sock *s = ss->tab[hash_id(ss, id)]; s; s = s->hnext)
		if (s->id == id)
			return s;
	return NULL;
}

static void table_grow(struct sockets *ss)
{
	uint32_t old = ss->cap;
	struct sock **t = ss->tab;
	ss->cap = old * 2;
	ss->tab = calloc(ss->cap, sizeof *ss->tab);
	if (!ss->tab)
		abort();
	for (uint32_t i = 0; i < old; i++) {
		for (struct sock *s = t[i], *next; s; s = next) {
			next = s->hnext;
			uint32_t h = hash_id(ss, s->id);
			s->hnext = ss->tab[h];
			ss->tab[h] = s;
		}
	}
	free(t);
}

static void table_add(struct sockets *ss, struct sock *s)
{
	if (ss->n >= ss->cap)
		table_grow(ss);
	uint32_t h = hash_id(ss, s->id);
	s->hnext = ss->tab[h];
	ss->tab[h] = s;
	ss->n++;
}

static void table_del(struct sockets *ss, struct sock *s)
{
	for (struct sock **p = &ss->tab[hash_id(ss, s->id)]; *p; p = &(*p)->hnext) {
		if (*p == s) {
			*p = s->hnext;
			ss->n--;
			return;
		}
	}
}

static struct sock *sock_new(struct worker *w, int id, int fd, int kind)
{
	struct sock *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->id = id;
	s->fd = fd;
	s->kind = (uint8_t)kind;
	s->state = SS_IDLE;
	s->warn_at = WARN_FIRST;
	table_add(w->socks, s);
	return s;
}

/* Services count the sockets they own here, so one that ends can have
 * them closed without a scan when it owns none. */
static void set_owner(struct worker *w, struct sock *s, uint32_t owner)
{
	struct actord_context *c;
	if (s->owner == owner)
		return;
	if (s->owner && (c = service_find(w, s->owner)) && c->nsockets)
		c->nsockets--;
	s->owner = owner;
	if (owner && (c = service_find(w, owner)))
		c->nsockets++;
}

static void wqueue_free(struct wqueue *q)
{
	for (struct wbuf *b = q->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	q->head = q->tail = NULL;
}

static void sock_free(struct sock *s)
{
	wqueue_free(&s->hi);
	wqueue_free(&s->lo);
	wqueue_free(&s->held);
	free(s->rxbuf);          /* or connect_to: one or the other */
	free(s->udp);
	free(s);
}

static void wqueue_push(struct wqueue *q, const char *p, size_t n)
{
	struct wbuf *b = malloc(sizeof *b + n);
	if (!b)
		abort();
	b->next = NULL;
	b->off = 0;
	b->len = n;
	memcpy(b->data, p, n);
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
}

/* ---- events to services ----------------------------------------------- */

static void emit(struct worker *w, uint32_t to, int type, int id, int ud,
                 const void *data, size_t sz)
{
	if (!to)
		return;
	size_t n = sizeof(struct actord_socket_message) + sz;
	struct actord_socket_message *m = malloc(n);
	if (!m)
		abort();
	m->type = type;
	m->id = id;
	m->ud = ud;
	m->size = (uint32_t)sz;
	if (sz)
		memcpy(m->data, data, sz);
	route_send(w, 0, to, ACTORD_PTYPE_SOCKET, 0, m, n, true);
}

static void emit_str(struct worker *w, uint32_t to, int type, int id, int ud,
                     const char *s)
{
	emit(w, to, type, id, ud, s, strlen(s));
}

static void format_addr(const struct sockaddr *sa, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		port = ntohs(a->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		port = ntohs(a->sin6_port);
	}
	snprintf(out, n, "%s:%d", ip, port);
}

/* The compact UDP address of actord.h: family, port, address bytes. */
static size_t udp_addr_pack(const struct sockaddr_storage *ss, char *out)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		out[0] = AF_INET;
		memcpy(out + 1, &a->sin_port, 2);
		memcpy(out + 3, &a->sin_addr, 4);
		return 7;
	}
	const struct sockaddr_in6 *a = (const void *)ss;
	out[0] = AF_INET6;
	memcpy(out + 1, &a->sin6_port, 2);
	memcpy(out + 3, &a->sin6_addr, 16);
	return 19;
}

static socklen_t udp_addr_unpack(const char *p, size_t n,
                                 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (n == 7 && p[0] == AF_INET) {
		struct sockaddr_in *a = (void *)ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_port, p + 1, 2);
		memcpy(&a->sin_addr, p + 3, 4);
		return sizeof *a;
	}
	if (n == 19 && p[0] == AF_INET6) {
		struct sockaddr_in6 *a = (void *)ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_port, p + 1, 2);
		memcpy(&a->sin6_addr, p + 3, 16);
		return sizeof *a;
	}
	return 0;
}

/* ---- submission --------------------------------------------------------- */

static struct io_uring_sqe *get_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
		if (!sqe)
			abort(); /* a just-submitted ring always has room */
	}
	return sqe;
}

static uint64_t tag(struct sock *s, int op)
{
	return (uint64_t)(uintptr_t)s | (uint64_t)op;
}

static void cancel(struct worker *w, struct sock *s, int op)
{
	struct io_uring_sqe *sqe = get_sqe(w);
	io_uring_prep_cancel64(sqe, tag(s, op), 0);
	io_uring_sqe_set_data64(sqe, UD_IGNORE);
}

/* Come back to s after a while (an IORING_OP_TIMEOUT of its own): to
 * accept again after the fd table was full, or to hand an fd over once
 * the receiving worker has made room.  What to do then is decided by the
 * socket's state when it fires (later_done). */
static void retry_later(struct worker *w, struct sock *s, bool long_wait)
{
	/* The kernel reads the timespec when the SQE is submitted, which may
	 * be after this returns: constants, not locals. */
	static const struct __kernel_timespec soon = { 0, 1000000 };     /* 1 ms */
	static const struct __kernel_timespec pause = { 0, 100000000 };  /* 100 ms */
	if (s->waiting_later)
		return;
	struct io_uring_sqe *sqe = get_sqe(w);
	io_uring_prep_timeout(sqe, (struct __kernel_timespec *)(long_wait ? &pause : &soon),
	                      0, 0);
	io_uring_sqe_set_data64(sqe, tag(s, OP_LATER));
	s->waiting_later = true;
	s->inflight++;
}

bool socket_submit(struct worker *w)
{
	if (!io_uring_sq_ready(&w->ring))
		return false;
	io_uring_submit(&w->ring);
	return true;
}

/* ---- reading ---------------------------------------------------------- */

static void arm_read(struct worker *w, struct sock *s)
{
	struct sockets *ss = w->socks;
	if (s->reading || s->fd < 0 || s->state != SS_OPEN || s->accept_paused)
		return;
	struct io_uring_sqe *sqe = get_sqe(w);
	if (s->kind == SK_LISTEN) {
		if (ss->accept_single)
			io_uring_prep_accept(sqe, s->fd, NULL, NULL,
			                     SOCK_NONBLOCK | SOCK_CLOEXEC);
		else
			io_uring_prep_multishot_accept(sqe, s->fd, NULL, NULL,
			                               SOCK_NONBLOCK | SOCK_CLOEXEC);
	} else if (s->kind == SK_UDP) {
		if (!s->udp) {
			s->udp = malloc(sizeof *s->udp);
			if (!s->udp)
				abort();
		}
		struct udp_rx *u = s->udp;
		memset(&u->mh, 0, sizeof u->mh);
		u->iov.iov_base = u->buf;
		u->iov.iov_len = sizeof u->buf;
		u->mh.msg_name = &u->from;
		u->mh.msg_namelen = sizeof u->from;
		u->mh.msg_iov = &u->iov;
		u->mh.msg_iovlen = 1;
		io_uring_prep_recvmsg(sqe, s->fd, &u->mh, 0);
	} else if (ss->plain || s->kind == SK_FD) {
		if (!s->rxbuf && !(s->rxbuf = malloc(PLAIN_RXSZ)))
			abort();
		if (s->kind == SK_FD)
			io_uring_prep_read(sqe, s->fd, s->rxbuf, PLAIN_RXSZ, -1);
		else
			io_uring_prep_recv(sqe, s->fd, s->rxbuf, PLAIN_RXSZ, 0);
	} else {
		io_uring_prep_recv_multishot(sqe, s->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BUF_GROUP;
	}
	io_uring_sqe_set_data64(sqe, tag(s, OP_READ));
	s->reading = true;
	s->inflight++;
}

static void recycle_buffer(struct sockets *ss, unsigned bid)
{
	io_uring_buf_ring_add(ss->br, ss->bufs + (size_t)bid * BUF_SIZE, BUF_SIZE,
	                      (unsigned short)bid,
	                      io_uring_buf_ring_mask(BUF_COUNT), 0);
	io_uring_buf_ring_advance(ss->br, 1);
}

static void on_accept(struct worker *w, struct sock *ls, int fd)
{
	int id = sockdir_alloc(seg_sockdir(w->seg), w->id);
	if (id < 0) {
		actord_error(NULL, "socket: accept on %d refused: socket ids "
		             "exhausted (max_sockets)", ls->id);
		close(fd);
		return;
	}
	struct sock *s = sock_new(w, id, fd, SK_TCP);
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0)
		format_addr((struct sockaddr *)&sa, s->addr, sizeof s->addr);
	else
		snprintf(s->addr, sizeof s->addr, "?:0");
	emit_str(w, ls->owner, ACTORD_SOCKET_ACCEPT, ls->id, id, s->addr);
}

static void on_udp(struct worker *w, struct sock *s, int n)
{
	char a[ACTORD_UDP_ADDRESS_MAX];
	size_t an = udp_addr_pack(&s->udp->from, a);
	size_t total = sizeof(struct actord_socket_message) + (size_t)n + an;
	struct actord_socket_message *m = malloc(total);
	if (!m)
		abort();
	m->type = ACTORD_SOCKET_UDP;
	m->id = s->id;
	m->ud = n;
	m->size = (uint32_t)((size_t)n + an);
	memcpy(m->data, s->udp->buf, (size_t)n);
	memcpy(m->data + n, a, an);
	route_send(w, 0, s->owner, ACTORD_PTYPE_SOCKET, 0, m, total, true);
}

static void read_done(struct worker *w, struct sock *s,
                      const struct io_uring_cqe *cqe)
{
	struct sockets *ss = w->socks;
	bool more = cqe->flags & IORING_CQE_F_MORE;
	int res = cqe->res;
	if (!more)
		s->reading = false;
	if (s->kind == SK_LISTEN) {
		if (res >= 0) {
			if (s->state == SS_DEAD)
				close(res);
			else
				on_accept(w, s, res);
		} else if (res == -EINVAL && !ss->accept_single) {
			ss->accept_single = true;
		} else if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS ||
		           res == -ENOMEM) {
			/* Out of fds or memory: the connections wait in the
			 * backlog while this worker stops accepting for a while,
			 * rather than spinning on the error. */
			actord_error(NULL, "socket: accept on %d paused for 100 ms: %s",
			             s->id, strerror(-res));
			if (s->reading)
				cancel(w, s, OP_READ);
			s->accept_paused = true;
			retry_later(w, s, true);
		} else if (res != -ECANCELED && res != -ECONNABORTED &&
		           res != -EAGAIN && res != -EINTR) {
			actord_error(NULL, "socket: accept on %d: %s", s->id,
			             strerror(-res));
		}
	} else if (s->kind == SK_UDP) {
		if (res >= 0 && s->state != SS_DEAD)
			on_udp(w, s, res);
	} else {
		bool buffered = cqe->flags & IORING_CQE_F_BUFFER;
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (res > 0 && s->state != SS_DEAD) {
			const char *p = buffered ? ss->bufs + (size_t)bid * BUF_SIZE
			                         : s->rxbuf;
			/* Paused, abandoned or moving: the receive was cancelled but
			 * this came first.  Keep it for whoever starts the socket. */
			if (s->state == SS_OPEN)
				emit(w, s->owner, ACTORD_SOCKET_DATA, s->id, res, p,
				     (size_t)res);
			else
				wqueue_push(&s->held, p, (size_t)res);
		} else if (res == 0 && s->state != SS_DEAD) {
			close_now(w, s, ACTORD_SOCKET_CLOSE, NULL);
		} else if (res == -EINVAL && !ss->plain && s->kind == SK_TCP) {
			/* No multishot receive here: fall back for good. */
			ss->plain = true;
		} else if (res < 0 && res != -ENOBUFS && res != -ECANCELED &&
		           res != -EAGAIN && res != -EINTR && s->state != SS_DEAD) {
			close_now(w, s, ACTORD_SOCKET_ERROR, strerror(-res));
		}
		if (buffered)
			recycle_buffer(ss, bid);
	}
	if (!more)
		arm_read(w, s);
}

/* ---- writing ---------------------------------------------------------- */

static void warn_check(struct worker *w, struct sock *s)
{
	if (s->wbytes >= s->warn_at) {
		emit(w, s->owner, ACTORD_SOCKET_WARNING, s->id,
		     (int)(s->wbytes / 1024), NULL, 0);
		s->warn_at = s->wbytes + WARN_STEP;
		s->warned = true;
	}
}

static size_t wqueue_bytes(const struct wqueue *q)
{
	size_t n = 0;
	for (const struct wbuf *b = q->head; b; b = b->next)
		n += b->len - b->off;
	return n;
}

static void enqueue(struct sock *s, const char *p, size_t n, bool low)
{
	wqueue_push(low ? &s->lo : &s->hi, p, n);
	s->wbytes += n;
}

/* Deliver what an earlier owner gave back, before anything new. */
static void deliver_held(struct worker *w, struct sock *s)
{
	for (struct wbuf *b = s->held.head, *next; b; b = next) {
		next = b->next;
		emit(w, s->owner, ACTORD_SOCKET_DATA, s->id, (int)b->len, b->data,
		     b->len);
		free(b);
	}
	s->held.head = s->held.tail = NULL;
}

/* What goes next: a low-priority string already begun must finish first
 * (each is written whole), then the normal queue, then the low one. */
static struct wbuf *next_out(struct sock *s, bool *low)
{
	if (s->lo.head && s->lo.head->off) {
		*low = true;
		return s->lo.head;
	}
	*low = !s->hi.head;
	return s->hi.head ? s->hi.head : s->lo.head;
}

static void arm_send(struct worker *w, struct sock *s)
{
	if (s->sending || s->fd < 0 || s->state == SS_CONNECTING ||
	    s->state == SS_MOVING || s->state == SS_DEAD)
		return;
	bool low;
	struct wbuf *b = next_out(s, &low);
	if (!b)
		return;
	struct io_uring_sqe *sqe = get_sqe(w);
	io_uring_prep_send(sqe, s->fd, b->data + b->off, b->len - b->off,
	                   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, tag(s, OP_SEND));
	s->sending = true;
	s->send_lo = low;
	s->inflight++;
}

static void send_done(struct worker *w, struct sock *s, int res)
{
	s->sending = false;
	if (s->state == SS_DEAD)
		return;
	if (res < 0) {
		if (res == -EAGAIN || res == -EINTR) {
			arm_send(w, s);
		} else if (res != -ECANCELED) {
			close_now(w, s, ACTORD_SOCKET_ERROR, strerror(-res));
		}
		return;
	}
	struct wqueue *q = s->send_lo ? &s->lo : &s->hi;
	struct wbuf *b = q->head;
	b->off += (size_t)res;
	s->wbytes -= (size_t)res;
	if (b->off == b->len) {
		q->head = b->next;
		if (!q->head)
			q->tail = NULL;
		free(b);
	}
	if (s->wbytes < WARN_FIRST)
		s->warn_at = WARN_FIRST;
	if (s->wbytes == 0 && s->warned) {
		/* A warning of 0: the backlog is gone (skynet says so too). */
		s->warned = false;
		emit(w, s->owner, ACTORD_SOCKET_WARNING, s->id, 0, NULL, 0);
	}
	if (s->hi.head || s->lo.head)
		arm_send(w, s);
	else if (s->state == SS_CLOSING)
		close_now(w, s, ACTORD_SOCKET_CLOSE, NULL);
}

static void sock_write(struct worker *w, struct sock *s, const char *p,
                       size_t n, bool low)
{
	if (s->kind == SK_LISTEN || s->state == SS_DEAD || s->state == SS_CLOSING)
		return;
	bool direct = !s->sending && !s->hi.head && !s->lo.head &&
	              s->state != SS_CONNECTING && s->state != SS_MOVING;
	if (direct) {
		ssize_t k = send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			close_now(w, s, ACTORD_SOCKET_ERROR, strerror(errno));
			return;
		}
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		}
		if (n == 0)
			return;
	}
	enqueue(s, p, n, low);
	arm_send(w, s);
	warn_check(w, s);
}

/* ---- closing ---------------------------------------------------------- */

static void sock_release(struct worker *w, struct sock *s)
{
	if (s->inflight == 0)
		sock_free(s);
	(void)w;
}

static void close_now(struct worker *w, struct sock *s, int event,
                      const char *why)
{
	if (s->state == SS_DEAD)
		return;
	if (s->reading)
		cancel(w, s, OP_READ);
	if (s->sending)
		cancel(w, s, OP_SEND);
	if (s->state == SS_CONNECTING)
		cancel(w, s, OP_CONNECT);
	/* An operation still queued names the fd by number: submit it (and
	 * its cancel) while the number is ours, or a socket opened next in
	 * this turn gets the same number and the old operation with it. */
	if (s->inflight)
		io_uring_submit(&w->ring);
	close(s->fd);
	s->fd = -1;
	s->state = SS_DEAD;
	sockdir_free(seg_sockdir(w->seg), s->id);
	table_del(w->socks, s);
	if (event == ACTORD_SOCKET_ERROR)
		emit_str(w, s->owner, event, s->id, 0, why ? why : "error");
	else
		emit(w, s->owner, event, s->id, 0, NULL, 0);
	set_owner(w, s, 0);
	sock_release(w, s);
}

/* ---- moving to another worker ----------------------------------------- */

struct adopt {
	int32_t id;
	uint32_t kind;
	uint32_t owner;
	uint32_t held;          /* bytes of `bytes` given back unread */
	char addr[64];
	char bytes[];           /* held, then what is still to write */
};

static int pass_fd(struct worker *w, unsigned to, int id, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { &id, sizeof id };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	                     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(seg_endpoint(w->seg, to)->passfd[1], &mh, MSG_DONTWAIT) < 0 ? -1 : 0;
}

static void finish_move(struct worker *w, struct sock *s)
{
	unsigned to = s->move_to;
	if (pass_fd(w, to, s->id, s->fd) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* The receiver has not taken the fds passed before this
			 * one (their adopt records are still on their way): try
			 * again soon.  Blocking here could wait on a worker that
			 * waits on this one. */
			retry_later(w, s, false);
			return;
		}
		actord_error(NULL, "socket %d: cannot move to worker %u: %s", s->id,
		             to, strerror(errno));
		s->state = SS_OPEN;
		close_now(w, s, ACTORD_SOCKET_ERROR, "cannot move socket");
		return;
	}
	size_t held = wqueue_bytes(&s->held);
	size_t n = sizeof(struct adopt) + held + s->wbytes;
	struct adopt *a = calloc(1, n);
	if (!a)
		abort();
	a->id = s->id;
	a->kind = s->kind;
	a->owner = s->owner;
	a->held = (uint32_t)held;
	memcpy(a->addr, s->addr, sizeof a->addr);
	size_t off = 0;
	for (struct wbuf *b = s->held.head; b; b = b->next) {
		memcpy(a->bytes + off, b->data, b->len);
		off += b->len;
	}
	bool low;
	for (struct wbuf *b; (b = next_out(s, &low));) {
		struct wqueue *q = low ? &s->lo : &s->hi;
		memcpy(a->bytes + off, b->data + b->off, b->len - b->off);
		off += b->len - b->off;
		q->head = b->next;
		if (!q->head)
			q->tail = NULL;
		free(b);
	}
	close(s->fd);
	s->fd = -1;
	s->state = SS_DEAD;
	set_owner(w, s, 0);
	table_del(w->socks, s);
	sockdir_move(seg_sockdir(w->seg), s->id, to);
	struct ring_hdr h = { (uint32_t)n, CTRL_SOCK_ADOPT, 0, 0, 0, 0 };
	route_to_endpoint(w, to, &h, a, true);
	sock_release(w, s);
}

static void move_check(struct worker *w, struct sock *s)
{
	if (s->state == SS_MOVING && s->inflight == 0)
		finish_move(w, s);
}

static int take_passed(struct worker *w, int id)
{
	struct sockets *ss = w->socks;
	for (;;) {
		for (unsigned i = 0; i < ss->npassed; i++) {
			if (ss->passed[i].id == id) {
				int fd = ss->passed[i].fd;
				ss->passed[i] = ss->passed[--ss->npassed];
				return fd;
			}
		}
		int got, fd = -1;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &got, sizeof got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		                     .msg_control = cbuf,
		                     .msg_controllen = sizeof cbuf };
		if (recvmsg(w->ep->passfd[0], &mh, MSG_DONTWAIT) < 0)
			return -1;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
		if (fd < 0)
			continue;
		if (ss->npassed == ss->cappassed) {
			ss->cappassed = ss->cappassed ? ss->cappassed * 2 : 8;
			ss->passed = realloc(ss->passed,
			                     ss->cappassed * sizeof *ss->passed);
			if (!ss->passed)
				abort();
		}
		ss->passed[ss->npassed++] = (struct passed){ got, fd };
	}
}

/* ---- operations ------------------------------------------------------- */

static void start(struct worker *w, struct sock *s, uint32_t owner)
{
	unsigned where;
	if (directory_get(seg_directory(w->seg), owner, &where) != DIR_ALIVE)
		return;
	set_owner(w, s, owner);
	if (where != w->id && s->state != SS_DEAD) {
		/* Finish what is in flight here, then hand the fd over. */
		s->move_to = where;
		if (s->state != SS_MOVING) {
			if (s->reading)
				cancel(w, s, OP_READ);
			if (s->state == SS_CONNECTING)
				return; /* moves once connected */
			s->state = SS_MOVING;
		}
		move_check(w, s);
		return;
	}
	if (s->state == SS_IDLE || s->state == SS_OPEN) {
		s->state = SS_OPEN;
		arm_read(w, s);
		emit_str(w, owner, ACTORD_SOCKET_CONNECT, s->id, 0,
		         s->addr[0] ? s->addr : "start");
		deliver_held(w, s);
	}
}

static void exec_op(struct worker *w, struct sock *s, uint32_t source,
                    const struct sock_op *op, size_t datasz)
{
	switch (op->op) {
	case SOP_START:
		start(w, s, op->owner);
		break;
	case SOP_PAUSE:
		if (s->state == SS_OPEN) {
			s->state = SS_IDLE;
			if (s->reading)
				cancel(w, s, OP_READ);
		}
		break;
	case SOP_CLOSE:
		if (s->wbytes && s->state != SS_DEAD) {
			if (s->reading)
				cancel(w, s, OP_READ);
			if (s->state != SS_MOVING && s->state != SS_CONNECTING)
				s->state = SS_CLOSING;
			break;
		}
		/* fall through */
	case SOP_SHUTDOWN:
		close_now(w, s, ACTORD_SOCKET_CLOSE, NULL);
		break;
	case SOP_SEND:
	case SOP_LSEND:
		sock_write(w, s, op->data, datasz, op->op == SOP_LSEND);
		break;
	case SOP_NODELAY: {
		int one = 1;
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		break;
	}
	case SOP_UDP_CONNECT: {
		struct sockaddr_storage sa;
		socklen_t len = udp_addr_unpack(op->data, datasz, &sa);
		if (!len || connect(s->fd, (struct sockaddr *)&sa, len) < 0)
			actord_error(NULL, "socket %d: udp connect: %s", s->id,
			             len ? strerror(errno) : "bad address");
		break;
	}
	case SOP_SENDTO: {
		struct sockaddr_storage sa;
		socklen_t len = op->arg <= datasz
		                    ? udp_addr_unpack(op->data, op->arg, &sa) : 0;
		if (len)
			sendto(s->fd, op->data + op->arg, datasz - op->arg,
			       MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
		break;
	}
	case SOP_ABANDON:
		if (s->state == SS_OPEN) {
			s->state = SS_IDLE;
			if (s->reading)
				cancel(w, s, OP_READ);
		}
		set_owner(w, s, 0);
		break;
	case SOP_UNREAD:
		if (s->state == SS_DEAD || !datasz)
			break;
		if (s->state == SS_OPEN)
			emit(w, s->owner, ACTORD_SOCKET_DATA, s->id, (int)datasz,
			     op->data, datasz);
		else
			wqueue_push(&s->held, op->data, datasz);
		break;
	default:
		break;
	}
}

static void wait_for_adopt(struct worker *w, uint32_t source,
                           const struct sock_op *op, size_t datasz)
{
	struct waiting_op *q = malloc(sizeof *q + datasz);
	if (!q)
		abort();
	q->next = NULL;
	q->source = source;
	q->size = datasz;
	memcpy(&q->op, op, sizeof *op + datasz);
	struct waiting_op **p = &w->socks->waiting;
	while (*p)
		p = &(*p)->next;
	*p = q;
}

/* Run `op` here, or send it on to the worker holding the socket.  Returns
 * -1 if the id names no live socket. */
int socket_op(struct worker *w, uint32_t source, const struct sock_op *op,
              size_t datasz)
{
	struct sock *s = sock_find(w->socks, op->id);
	if (s) {
		exec_op(w, s, source, op, datasz);
		return 0;
	}
	int where = sockdir_worker(seg_sockdir(w->seg), op->id);
	if (where < 0)
		return -1;
	if ((unsigned)where == w->id) {
		wait_for_adopt(w, source, op, datasz);
		return 0;
	}
	size_t n = sizeof *op + datasz;
	struct sock_op *copy = malloc(n);
	if (!copy)
		abort();
	memcpy(copy, op, n);
	struct ring_hdr h = { (uint32_t)n, CTRL_SOCK_OP, 0, source, 0, 0 };
	route_to_endpoint(w, (unsigned)where, &h, copy, true);
	return 0;
}

void socket_ctrl_op(struct worker *w, const struct ring_hdr *h, void *payload)
{
	if (h->size >= sizeof(struct sock_op))
		socket_op(w, h->source, payload, h->size - sizeof(struct sock_op));
}

void socket_ctrl_adopt(struct worker *w, const struct ring_hdr *h,
                       void *payload)
{
	struct adopt *a = payload;
	if (h->size < sizeof *a)
		return;
	int fd = take_passed(w, a->id);
	if (fd < 0) {
		actord_error(NULL, "socket %d: moved here without its fd", a->id);
		sockdir_free(seg_sockdir(w->seg), a->id);
		emit_str(w, a->owner, ACTORD_SOCKET_ERROR, a->id, 0, "socket lost");
		return;
	}
	struct sock *s = sock_new(w, a->id, fd, (int)a->kind);
	memcpy(s->addr, a->addr, sizeof s->addr);
	s->addr[sizeof s->addr - 1] = '\0';
	size_t rest = h->size - sizeof *a;
	size_t held = a->held <= rest ? a->held : rest;
	if (held)
		wqueue_push(&s->held, a->bytes, held);
	if (rest > held)
		enqueue(s, a->bytes + held, rest - held, false);
	start(w, s, a->owner);
	arm_send(w, s);
	/* Operations that reached us before the fd did. */
	struct waiting_op **p = &w->socks->waiting;
	while (*p) {
		struct waiting_op *q = *p;
		if (q->op.id == a->id) {
			*p = q->next;
			exec_op(w, s, q->source, &q->op, q->size);
			free(q);
		} else {
			p = &q->next;
		}
	}
}

/* ---- creating ------------------------------------------------------- */

static int resolve(const char *host, int port, int socktype, bool passive,
                   struct sockaddr_storage *sa, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = socktype,
	                          .ai_flags = passive ? AI_PASSIVE : 0 };
	struct addrinfo *res;
	char ps[16], buf[64];
	snprintf(ps, sizeof ps, "%d", port);
	if (host && (!host[0] || strcmp(host, "0.0.0.0") == 0) && passive)
		host = NULL;
	if (host && host[0] == '[') {  /* "[::1]" as in URLs */
		snprintf(buf, sizeof buf, "%s", host + 1);
		char *e = strchr(buf, ']');
		if (e)
			*e = '\0';
		host = buf;
	}
	if (passive && !host)
		hints.ai_family = AF_INET;
	int r = getaddrinfo(host, ps, &hints, &res);
	if (r != 0) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int close_keep_errno(int fd)
{
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int new_id(struct worker *w, int fd)
{
	int id = sockdir_alloc(seg_sockdir(w->seg), w->id);
	if (id < 0) {
		close(fd);
		errno = EMFILE;
	}
	return id;
}

int socket_listen(struct worker *w, const char *host, int port, int backlog)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (port < 0 || port > 65535 ||
	    resolve(host, port, SOCK_STREAM, true, &sa, &len) < 0)
		return -1;
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 ||
	    listen(fd, backlog > 0 ? backlog : 128) < 0)
		return close_keep_errno(fd);
	int id = new_id(w, fd);
	if (id < 0)
		return -1;
	struct sock *s = sock_new(w, id, fd, SK_LISTEN);
	format_addr((struct sockaddr *)&sa, s->addr, sizeof s->addr);
	return id;
}

int socket_connect(struct worker *w, uint32_t owner, const char *host, int port)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (port <= 0 || port > 65535 ||
	    resolve(host, port, SOCK_STREAM, false, &sa, &len) < 0)
		return -1;
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int id = new_id(w, fd);
	if (id < 0)
		return -1;
	struct sock *s = sock_new(w, id, fd, SK_TCP);
	format_addr((struct sockaddr *)&sa, s->addr, sizeof s->addr);
	set_owner(w, s, owner);
	s->state = SS_CONNECTING;
	/* io_uring copies the address when the operation is prepared out of
	 * line; keep it in the socket so it outlives this call anyway. */
	struct sockaddr_storage *keep = malloc(sizeof *keep);
	if (!keep)
		abort();
	*keep = sa;
	s->connect_to = keep;
	struct io_uring_sqe *sqe = get_sqe(w);
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)keep, len);
	io_uring_sqe_set_data64(sqe, tag(s, OP_CONNECT));
	s->inflight++;
	return id;
}

static void connect_done(struct worker *w, struct sock *s, int res)
{
	free(s->connect_to);
	s->connect_to = NULL;
	if (s->state == SS_DEAD)
		return;
	if (res < 0) {
		s->state = SS_OPEN;
		close_now(w, s, ACTORD_SOCKET_ERROR, strerror(-res));
		return;
	}
	unsigned where;
	bool moving = directory_get(seg_directory(w->seg), s->owner, &where) ==
	              DIR_ALIVE && where != w->id;
	s->state = SS_OPEN;
	if (moving) {
		start(w, s, s->owner);
		return;
	}
	arm_read(w, s);
	arm_send(w, s);
	emit_str(w, s->owner, ACTORD_SOCKET_CONNECT, s->id, 0, s->addr);
}

int socket_udp(struct worker *w, uint32_t owner, const char *host, int port)
{
	struct sockaddr_storage sa;
	socklen_t len = 0;
	int family = AF_INET;
	if ((host && host[0]) || port) {
		if (resolve(host, port, SOCK_DGRAM, true, &sa, &len) < 0)
			return -1;
		family = sa.ss_family;
	}
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (len && bind(fd, (struct sockaddr *)&sa, len) < 0)
		return close_keep_errno(fd);
	int id = new_id(w, fd);
	if (id < 0)
		return -1;
	struct sock *s = sock_new(w, id, fd, SK_UDP);
	set_owner(w, s, owner);
	s->state = SS_OPEN;
	arm_read(w, s);
	return id;
}

/* Wrap a file descriptor of the process (stdin, say): read like a socket,
 * once started.  The fd is duplicated; the original stays open. */
int socket_bind(struct worker *w, int fd)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return -1;
	int id = new_id(w, copy);
	if (id < 0)
		return -1;
	sock_new(w, id, copy, SK_FD);
	return id;
}

/* Turn host:port into the compact UDP address (for udp_connect/sendto). */
size_t socket_udp_address(const char *host, int port, char *out)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (resolve(host, port, SOCK_DGRAM, false, &sa, &len) < 0)
		return 0;
	return udp_addr_pack(&sa, out);
}

void socket_release_owner(struct worker *w, struct actord_context *ctx)
{
	struct sockets *ss = w->socks;
	for (uint32_t i = 0; i < ss->cap && ctx->nsockets; i++) {
		for (struct sock *s = ss->tab[i], *next; s; s = next) {
			next = s->hnext;
			if (s->owner != ctx->handle)
				continue;
			set_owner(w, s, 0);
			struct sock_op close = { SOP_CLOSE, s->id, 0, 0 };
			exec_op(w, s, 0, &close, 0); /* what it wrote still goes out */
		}
	}
	ctx->nsockets = 0;
}

/* ---- completions ------------------------------------------------------ */

void socket_complete(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	if (ud == UD_IGNORE)
		return;
	struct sock *s = (struct sock *)(uintptr_t)(ud & ~(uint64_t)OP_MASK);
	int op = (int)(ud & OP_MASK);
	bool last = op != OP_READ || !(cqe->flags & IORING_CQE_F_MORE);
	switch (op) {
	case OP_READ:
		read_done(w, s, cqe);
		break;
	case OP_SEND:
		send_done(w, s, cqe->res);
		break;
	case OP_CONNECT:
		connect_done(w, s, cqe->res);
		break;
	case OP_LATER:
		s->waiting_later = false;
		if (s->accept_paused) {
			s->accept_paused = false;
			arm_read(w, s);
		}
		break; /* a move is retried below, once nothing is in flight */
	default:
		break;
	}
	if (last && --s->inflight == 0) {
		if (s->state == SS_DEAD)
			sock_free(s);
		else
			move_check(w, s);
	}
}

/* ---- setup ------------------------------------------------------------ */

static void setup_buffers(struct worker *w)
{
	struct sockets *ss = w->socks;
	const char *plain = getenv("ACTORD_URING_PLAIN");
	if (plain && plain[0] == '1') {
		ss->plain = ss->accept_single = true;
		return;
	}
	size_t rsz = BUF_COUNT * sizeof(struct io_uring_buf);
	void *r = mmap(NULL, rsz, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss->bufs = malloc((size_t)BUF_COUNT * BUF_SIZE);
	if (r == MAP_FAILED || !ss->bufs)
		goto plain;
	struct io_uring_buf_reg reg = { .ring_addr = (uint64_t)(uintptr_t)r,
	                                .ring_entries = BUF_COUNT,
	                                .bgid = BUF_GROUP };
	if (io_uring_register_buf_ring(&w->ring, &reg, 0) < 0)
		goto plain;
	ss->br = r;
	io_uring_buf_ring_init(ss->br);
	for (unsigned i = 0; i < BUF_COUNT; i++)
		io_uring_buf_ring_add(ss->br, ss->bufs + (size_t)i * BUF_SIZE,
		                      BUF_SIZE, (unsigned short)i,
		                      io_uring_buf_ring_mask(BUF_COUNT), (int)i);
	io_uring_buf_ring_advance(ss->br, BUF_COUNT);
	return;
plain:
	if (r != MAP_FAILED)
		munmap(r, rsz);
	free(ss->bufs);
	ss->bufs = NULL;
	ss->plain = true;
}

int socket_init(struct worker *w)
{
	struct sockets *ss = calloc(1, sizeof *ss);
	if (!ss)
		return -1;
	ss->cap = 64;
	ss->tab = calloc(ss->cap, sizeof *ss->tab);
	if (!ss->tab)
		return -1;
	w->socks = ss;
	setup_buffers(w);
	/* fds a dead incarnation of this worker was sent are stale. */
	int fd;
	while ((fd = take_passed(w, -1)) >= 0)
		close(fd);
	for (unsigned i = 0; i < ss->npassed; i++)
		close(ss->passed[i].fd);
	ss->npassed = 0;
	return 0;
}

void socket_free(struct worker *w)
{
	struct sockets *ss = w->socks;
	if (!ss)
		return;
	for (uint32_t i = 0; i < ss->cap; i++) {
		for (struct sock *s = ss->tab[i], *next; s; s = next) {
			next = s->hnext;
			if (s->fd >= 0)
				close(s->fd);
			sockdir_free(seg_sockdir(w->seg), s->id);
			if (s->inflight == 0)
				sock_free(s);
		}
	}
	if (ss->br) {
		io_uring_unregister_buf_ring(&w->ring, BUF_GROUP);
		munmap(ss->br, BUF_COUNT * sizeof(struct io_uring_buf));
	}
	free(ss->bufs);
	free(ss->passed);
	for (struct waiting_op *q = ss->waiting, *next; q; q = next) {
		next = q->next;
		free(q);
	}
	free(ss->tab);
	free(ss);
	w->socks = NULL;
}
