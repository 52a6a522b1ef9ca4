/* frame.c -- reading and writing the frames of a harbor link (see frame.h).
 *
 * A frame that lies whole in the current chunk is handed out where it
 * lies, without a copy: with large socket reads that is most frames.  Only
 * a frame cut by a chunk boundary is gathered into `body`.  Every
 * length is checked against its kind's limit as soon as the 8 header bytes
 * are in, before anything is allocated or copied for the body, and the
 * limits are small until the handshake is over.
 */
#include "harbor/frame.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A gathering buffer bigger than this is freed after its frame, so that
 * one 16 MiB message does not pin 16 MiB for the rest of the link. */
#define KEEP_BYTES ((size_t)1 << 20)

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void harbor_reader_init(struct harbor_reader *r)
{
	memset(r, 0, sizeof *r);
}

void harbor_reader_free(struct harbor_reader *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

void harbor_reader_accept_actor(struct harbor_reader *r)
{
	r->accept_actor = 1;
}

void harbor_reader_seal(struct harbor_reader *r, struct harbor_seal *rx)
{
	/* The switch must fall between frames: a frame already half read was
	 * checked as a plain one. */
	assert(r->held || r->hdr_len == 0);
	r->rx = rx;
}

void harbor_reader_feed(struct harbor_reader *r, void *chunk, size_t len)
{
	assert(r->err || r->in_off == r->in_len); /* the last chunk is used up */
	r->in = chunk;
	r->in_len = len;
	r->in_off = 0;
}

static int fail(struct harbor_reader *r, int status)
{
	r->err = status;
	return status;
}

/* Check a frame header; on success *body is the body's length. */
static int check_header(const struct harbor_reader *r, const unsigned char *h, size_t *body)
{
	uint32_t len = get32(h);
	uint32_t tag = r->rx ? HARBOR_SEAL_TAGBYTES : 0;
	uint32_t min, max;
	switch (h[4]) {
	case HARBOR_KIND_CONTROL:
		min = 1; /* an empty Control message says nothing */
		max = HARBOR_CONTROL_MAX;
		break;
	case HARBOR_KIND_ACTOR:
		if (!r->accept_actor)
			return HARBOR_FRAME_EEARLY;
		min = HARBOR_ACTOR_HEADER;
		max = HARBOR_ACTOR_HEADER + HARBOR_PAYLOAD_MAX;
		break;
	default:
		return HARBOR_FRAME_EKIND;
	}
	if (h[5] | h[6] | h[7])
		return HARBOR_FRAME_EHEADER;
	if (len > max + tag)
		return HARBOR_FRAME_EBIG;
	if (len < min + tag)
		return HARBOR_FRAME_EHEADER;
	*body = len;
	return 0;
}

/* Fill *f from a whole frame: open it if sealed, split off the actor
 * header.  check_header has made sure the body is long enough. */
static int deliver(struct harbor_reader *r, const unsigned char *hdr,
                   unsigned char *body, size_t len, struct harbor_frame *f)
{
	if (r->rx) {
		len -= HARBOR_SEAL_TAGBYTES;
		if (harbor_open(r->rx, hdr, HARBOR_FRAME_HEADER, body, len, body + len) != 0)
			return fail(r, HARBOR_FRAME_ESEAL);
	}
	f->kind = hdr[4];
	if (f->kind == HARBOR_KIND_ACTOR) {
		f->msg.type = get32(body);
		f->msg.session = (int32_t)get32(body + 4);
		f->msg.source = get32(body + 8);
		f->msg.dest = get32(body + 12);
		body += HARBOR_ACTOR_HEADER;
		len -= HARBOR_ACTOR_HEADER;
	} else {
		memset(&f->msg, 0, sizeof f->msg);
	}
	f->data = body;
	f->size = (uint32_t)len;
	return HARBOR_FRAME_READY;
}

/* Copy up to `want` bytes of the chunk to dst; returns how many. */
static size_t take(struct harbor_reader *r, unsigned char *dst, size_t want)
{
	size_t n = r->in_len - r->in_off;
	if (n > want)
		n = want;
	if (n) {
		memcpy(dst, r->in + r->in_off, n);
		r->in_off += n;
	}
	return n;
}

int harbor_reader_next(struct harbor_reader *r, struct harbor_frame *f)
{
	if (r->err)
		return r->err;
	if (r->held) { /* the caller is done with the last gathered frame */
		r->held = 0;
		r->hdr_len = r->body_len = 0;
		if (r->body_cap > KEEP_BYTES) {
			free(r->body);
			r->body = NULL;
			r->body_cap = 0;
		}
	}
	size_t avail = r->in_len - r->in_off;
	if (r->hdr_len == 0 && avail >= HARBOR_FRAME_HEADER) {
		unsigned char *p = r->in + r->in_off;
		size_t blen;
		int rc = check_header(r, p, &blen);
		if (rc)
			return fail(r, rc);
		if (avail - HARBOR_FRAME_HEADER >= blen) { /* whole: no copy */
			r->in_off += HARBOR_FRAME_HEADER + blen;
			return deliver(r, p, p + HARBOR_FRAME_HEADER, blen, f);
		}
	}
	/* The frame is cut by the end of the chunk: gather it. */
	if (r->hdr_len < HARBOR_FRAME_HEADER) {
		r->hdr_len += take(r, r->hdr + r->hdr_len, HARBOR_FRAME_HEADER - r->hdr_len);
		if (r->hdr_len < HARBOR_FRAME_HEADER)
			return HARBOR_FRAME_MORE;
		int rc = check_header(r, r->hdr, &r->body_need);
		if (rc)
			return fail(r, rc);
		r->body_len = 0;
	}
	/* The buffer grows with what has arrived, not with what the header
	 * claims, so a header alone never costs 16 MiB. */
	size_t want = r->in_len - r->in_off;
	if (want > r->body_need - r->body_len)
		want = r->body_need - r->body_len;
	if (want == 0)
		return HARBOR_FRAME_MORE;
	if (r->body_len + want > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
		if (cap < r->body_len + want)
			cap = r->body_len + want;
		if (cap > r->body_need)
			cap = r->body_need;
		unsigned char *p = realloc(r->body, cap);
		if (!p)
			return fail(r, HARBOR_FRAME_ENOMEM);
		r->body = p;
		r->body_cap = cap;
	}
	r->body_len += take(r, r->body + r->body_len, want);
	if (r->body_len < r->body_need)
		return HARBOR_FRAME_MORE;
	r->held = 1;
	return deliver(r, r->hdr, r->body, r->body_need, f);
}

const char *harbor_frame_strerror(int status)
{
	switch (status) {
	case HARBOR_FRAME_READY: return "a frame";
	case HARBOR_FRAME_MORE: return "more bytes needed";
	case HARBOR_FRAME_EBIG: return "frame longer than its kind allows";
	case HARBOR_FRAME_EKIND: return "unknown frame kind";
	case HARBOR_FRAME_EHEADER: return "malformed frame header";
	case HARBOR_FRAME_EEARLY: return "actor message before the handshake ended";
	case HARBOR_FRAME_ESEAL: return "frame failed authentication (tampered, or another key)";
	case HARBOR_FRAME_ENOMEM: return "out of memory";
	default: return "unknown frame status";
	}
}

int harbor_frame_fits(int kind, uint32_t size)
{
	switch (kind) {
	case HARBOR_KIND_CONTROL:
		return size >= 1 && size <= HARBOR_CONTROL_MAX;
	case HARBOR_KIND_ACTOR:
		return size <= HARBOR_PAYLOAD_MAX;
	default:
		return 0;
	}
}

size_t harbor_frame_close(unsigned char *frame, int kind, const struct harbor_msg *m,
                          uint32_t size, struct harbor_seal *tx)
{
	if (!harbor_frame_fits(kind, size))
		return 0;
	size_t body = harbor_frame_data_offset(kind) - HARBOR_FRAME_HEADER + size;
	size_t tag = tx ? HARBOR_SEAL_TAGBYTES : 0;
	put32(frame, (uint32_t)(body + tag));
	frame[4] = (unsigned char)kind;
	frame[5] = frame[6] = frame[7] = 0;
	if (kind == HARBOR_KIND_ACTOR) {
		unsigned char *h = frame + HARBOR_FRAME_HEADER;
		put32(h, m->type);
		put32(h + 4, (uint32_t)m->session);
		put32(h + 8, m->source);
		put32(h + 12, m->dest);
	}
	if (tx && harbor_seal(tx, frame, HARBOR_FRAME_HEADER, frame + HARBOR_FRAME_HEADER,
	                      body, frame + HARBOR_FRAME_HEADER + body) != 0)
		return 0;
	return HARBOR_FRAME_HEADER + body + tag;
}

size_t harbor_frame_write(void *out, size_t cap, int kind, const struct harbor_msg *m,
                          const void *data, uint32_t size, struct harbor_seal *tx)
{
	if (!harbor_frame_fits(kind, size) || harbor_frame_size(kind, size, tx != NULL) > cap)
		return 0;
	unsigned char *frame = out;
	if (size)
		memcpy(frame + harbor_frame_data_offset(kind), data, size);
	return harbor_frame_close(frame, kind, m, size, tx);
}

int harbor_frame_append(struct harbor_buf *b, int kind, const struct harbor_msg *m,
                        const void *data, uint32_t size, struct harbor_seal *tx)
{
	if (!harbor_frame_fits(kind, size))
		return -1;
	size_t need = harbor_frame_size(kind, size, tx != NULL);
	if (harbor_buf_reserve(b, need) != 0)
		return -1;
	size_t n = harbor_frame_write(b->data + b->end, need, kind, m, data, size, tx);
	if (n == 0)
		return -1;
	b->end += n;
	return 0;
}
