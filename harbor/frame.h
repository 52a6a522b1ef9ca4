/* frame.h -- the frames of a harbor link (docs/harbor-wire.md).
 *
 * A link is a byte stream of frames.  Each frame is an 8-byte header
 *
 *     length (4 bytes, big-endian): bytes after the header
 *     kind   (1 byte): 1 control message, 2 actor message
 *     3 bytes reserved, zero
 *
 * then its body.  A control body is one protobuf harbor.Control message.
 * An actor body is a 16-byte message header {type, session, source,
 * destination} (each 4 bytes, big-endian) and the payload.  On a sealed
 * link (harbor/seal.h) the body ends with a 16-byte tag, counted in
 * `length`.
 *
 * The reader takes whatever chunks the socket gives and hands back whole
 * frames; the writer lays frames out in memory.
 */
#ifndef ACTORD_HARBOR_FRAME_H
#define ACTORD_HARBOR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "harbor/buf.h"
#include "harbor/seal.h"

#define HARBOR_FRAME_HEADER 8
#define HARBOR_ACTOR_HEADER 16
#define HARBOR_PAYLOAD_MAX ((uint32_t)16 << 20) /* an actor message's payload */
#define HARBOR_CONTROL_MAX 4096u                /* a control message */

enum {
	HARBOR_KIND_CONTROL = 1,
	HARBOR_KIND_ACTOR = 2,
};

/* What harbor_reader_next returns.  Errors are final: the link is to be
 * closed (after an ERROR message, if the peer is to know why). */
enum {
	HARBOR_FRAME_READY = 1,   /* a frame is in *f */
	HARBOR_FRAME_MORE = 0,    /* the chunk is used up: feed the next one */
	HARBOR_FRAME_EBIG = -1,   /* length over the limit of its kind */
	HARBOR_FRAME_EKIND = -2,  /* unknown kind */
	HARBOR_FRAME_EHEADER = -3, /* reserved bytes set, or a body too short for its kind */
	HARBOR_FRAME_EEARLY = -4, /* an actor message before the handshake ended */
	HARBOR_FRAME_ESEAL = -5,  /* a sealed frame failed to open */
	HARBOR_FRAME_ENOMEM = -6,
};

/* An actor message's header. */
struct harbor_msg {
	uint32_t type;
	int32_t session;
	uint32_t source;
	uint32_t dest;
};

struct harbor_frame {
	int kind;
	struct harbor_msg msg;     /* kind 2 only */
	const unsigned char *data; /* protobuf bytes, or the actor payload */
	uint32_t size;
};

struct harbor_reader {
	unsigned char *in;       /* the chunk being read */
	size_t in_len, in_off;
	unsigned char hdr[HARBOR_FRAME_HEADER]; /* header of the frame being read */
	size_t hdr_len;
	unsigned char *body;     /* a body that spans chunks is gathered here */
	size_t body_cap, body_len, body_need;
	int held;                /* the last frame returned lives in `body` */
	int err;                 /* first error; every later call returns it */
	int accept_actor;
	struct harbor_seal *rx;  /* NULL while the link is plain */
};

/* A reader that takes control frames only (a link in its handshake). */
void harbor_reader_init(struct harbor_reader *r);
void harbor_reader_free(struct harbor_reader *r);

/* Accept actor messages from the next frame on (the handshake is over). */
void harbor_reader_accept_actor(struct harbor_reader *r);

/* Frames after the one last returned are sealed with `rx`, which must
 * outlive the reader. */
void harbor_reader_seal(struct harbor_reader *r, struct harbor_seal *rx);

/* Give the reader the next chunk, once harbor_reader_next has returned
 * HARBOR_FRAME_MORE for the previous one (or at the start).  The chunk
 * must stay as it is until then: frames may point into it, and a sealed
 * frame is decrypted in place, which is why it is not const. */
void harbor_reader_feed(struct harbor_reader *r, void *chunk, size_t len);

/* The next whole frame.  It stays valid until the next call to
 * harbor_reader_next or harbor_reader_feed. */
int harbor_reader_next(struct harbor_reader *r, struct harbor_frame *f);

/* "unknown frame kind" etc., for a HARBOR_FRAME_* status. */
const char *harbor_frame_strerror(int status);

/* Writing.  A frame is laid out as: headers, data, then (sealed) the tag.
 * A writer may put the data in place first, at
 * frame + harbor_frame_data_offset(kind), then call harbor_frame_close;
 * or copy it with harbor_frame_append. */

static inline size_t harbor_frame_data_offset(int kind)
{
	return HARBOR_FRAME_HEADER + (kind == HARBOR_KIND_ACTOR ? HARBOR_ACTOR_HEADER : 0);
}

/* Bytes a frame takes on the wire. */
static inline size_t harbor_frame_size(int kind, uint32_t size, int sealed)
{
	return harbor_frame_data_offset(kind) + size + (sealed ? HARBOR_SEAL_TAGBYTES : 0);
}

/* 1 if a frame of this kind may carry `size` bytes of data. */
int harbor_frame_fits(int kind, uint32_t size);

/* Write the headers of a frame whose `size` bytes of data are in place,
 * and seal it if tx is not NULL.  `m` is read for kind 2 only.  Returns the
 * frame's size, or 0 if the kind or size is refused, or tx is exhausted.
 * Unsealed, only the headers are written, so they may be kept apart from
 * the data (for writev). */
size_t harbor_frame_close(unsigned char *frame, int kind, const struct harbor_msg *m,
                          uint32_t size, struct harbor_seal *tx);

/* Write a whole frame, data copied, into out[cap].  Returns its size, or
 * 0 if refused as above or if it does not fit in cap. */
size_t harbor_frame_write(void *out, size_t cap, int kind, const struct harbor_msg *m,
                          const void *data, uint32_t size, struct harbor_seal *tx);

/* Append a whole frame to b.  0, or -1 (refused as above, or no memory;
 * b is then unchanged). */
int harbor_frame_append(struct harbor_buf *b, int kind, const struct harbor_msg *m,
                        const void *data, uint32_t size, struct harbor_seal *tx);

#endif
