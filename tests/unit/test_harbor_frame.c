/* test_harbor_frame.c -- the harbor link's framing (harbor/frame.c), its
 * output buffer (harbor/buf.c) and control messages (harbor/control.c):
 * a stream cut at every byte, fed byte by byte and in one chunk, plain
 * and sealed; the largest frames; every refusal of the reader; control
 * messages that encode, decode and are checked. */
#include <check.h>
#include <pb_encode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harbor/control.h"
#include "harbor/frame.h"

/* Payload byte i of message `seq`, so that a misplaced byte shows. */
static unsigned char pat(uint32_t seq, size_t i)
{
	return (unsigned char)(seq * 131u + i * 7u + (i >> 9));
}

static struct harbor_msg msg_for(uint32_t seq)
{
	struct harbor_msg m = {
		.type = seq % 13, .session = -(int32_t)seq, .source = 0x01000000u | seq,
		.dest = 0x02000000u | ~seq,
	};
	return m;
}

/* The test stream: frame `seq` is a control frame when seq % 4 == 0,
 * else an actor message of size_of(seq) bytes. */
static uint32_t size_of(uint32_t seq)
{
	static const uint32_t sizes[] = {0, 1, 7, 100, 3000, 16, 15};
	return sizes[seq % (sizeof sizes / sizeof sizes[0])];
}

static void append_frame(struct harbor_buf *b, uint32_t seq, struct harbor_seal *tx)
{
	if (seq % 4 == 0) {
		unsigned char ctl[10];
		for (size_t i = 0; i < sizeof ctl; i++)
			ctl[i] = pat(seq, i);
		ck_assert_int_eq(harbor_frame_append(b, HARBOR_KIND_CONTROL, NULL, ctl, sizeof ctl, tx), 0);
		return;
	}
	uint32_t size = size_of(seq);
	unsigned char *p = malloc(size + 1);
	for (size_t i = 0; i < size; i++)
		p[i] = pat(seq, i);
	struct harbor_msg m = msg_for(seq);
	ck_assert_int_eq(harbor_frame_append(b, HARBOR_KIND_ACTOR, &m, p, size, tx), 0);
	free(p);
}

static void check_frame(const struct harbor_frame *f, uint32_t seq)
{
	if (seq % 4 == 0) {
		ck_assert_int_eq(f->kind, HARBOR_KIND_CONTROL);
		ck_assert_uint_eq(f->size, 10);
		for (size_t i = 0; i < 10; i++)
			ck_assert_uint_eq(f->data[i], pat(seq, i));
		return;
	}
	struct harbor_msg m = msg_for(seq);
	ck_assert_int_eq(f->kind, HARBOR_KIND_ACTOR);
	ck_assert_uint_eq(f->msg.type, m.type);
	ck_assert_int_eq(f->msg.session, m.session);
	ck_assert_uint_eq(f->msg.source, m.source);
	ck_assert_uint_eq(f->msg.dest, m.dest);
	ck_assert_uint_eq(f->size, size_of(seq));
	for (size_t i = 0; i < f->size; i++)
		if (f->data[i] != pat(seq, i))
			ck_abort_msg("frame %u byte %zu", seq, i);
}

static const unsigned char KEY_A[HARBOR_SEAL_KEYBYTES] = "0123456789abcdef0123456789abcdef";

/* A reader as on a link after its handshake (accept_actor), sealed with
 * KEY_A if asked; rx must live as long as the reader. */
static void open_reader(struct harbor_reader *r, struct harbor_seal *rx, int sealed,
                        int accept_actor)
{
	harbor_seal_init(rx, KEY_A);
	harbor_reader_init(r);
	if (accept_actor)
		harbor_reader_accept_actor(r);
	if (sealed)
		harbor_reader_seal(r, rx);
}

/* A stream of n frames from the test pattern, sealed if asked. */
static struct harbor_buf make_stream(uint32_t n, int sealed)
{
	struct harbor_buf b = {0};
	struct harbor_seal tx;
	harbor_seal_init(&tx, KEY_A);
	for (uint32_t seq = 0; seq < n; seq++)
		append_frame(&b, seq, sealed ? &tx : NULL);
	return b;
}

/* Feed `len` bytes of a copy of the stream in chunks whose sizes cycle
 * through cuts[], and check every frame comes out whole and in order.
 * Each chunk is its own allocation, so ASan sees any read past it. */
static void read_stream(const struct harbor_buf *b, uint32_t n, int sealed,
                        const size_t *cuts, size_t ncuts)
{
	struct harbor_reader r;
	struct harbor_seal rx;
	open_reader(&r, &rx, sealed, 1);
	uint32_t seq = 0;
	size_t off = 0, k = 0;
	while (off < harbor_buf_pending(b)) {
		size_t len = cuts[k++ % ncuts];
		if (len > harbor_buf_pending(b) - off)
			len = harbor_buf_pending(b) - off;
		unsigned char *c = malloc(len ? len : 1);
		memcpy(c, b->data + b->start + off, len);
		off += len;
		harbor_reader_feed(&r, c, len);
		struct harbor_frame f;
		int rc;
		while ((rc = harbor_reader_next(&r, &f)) == HARBOR_FRAME_READY)
			check_frame(&f, seq++);
		ck_assert_int_eq(rc, HARBOR_FRAME_MORE);
		/* Once the reader asks for more, it holds nothing of the chunk. */
		free(c);
	}
	ck_assert_uint_eq(seq, n);
	ck_assert_uint_eq(r.hdr_len, 0); /* nothing half read at the end */
	harbor_reader_free(&r);
}

START_TEST(test_split_every_byte)
{
	int sealed = _i;
	const uint32_t n = 9;
	struct harbor_buf b = make_stream(n, sealed);
	size_t total = harbor_buf_pending(&b);
	/* Two chunks, cut at each byte. */
	for (size_t cut = 0; cut <= total; cut++) {
		size_t cuts[2] = {cut, total};
		read_stream(&b, n, sealed, cuts, 2);
	}
	/* Three chunks: every pair of cut points inside the first frames. */
	for (size_t c1 = 0; c1 < 80; c1++)
		for (size_t c2 = 0; c2 < 80; c2++) {
			size_t cuts[3] = {c1, c2, total};
			read_stream(&b, n, sealed, cuts, 3);
		}
	harbor_buf_free(&b);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	int sealed = _i;
	struct harbor_buf b = make_stream(40, sealed);
	size_t cuts[] = {1};
	read_stream(&b, 40, sealed, cuts, 1);
	size_t odd[] = {3, 5, 0, 7, 11, 13, 1};
	read_stream(&b, 40, sealed, odd, sizeof odd / sizeof odd[0]);
	harbor_buf_free(&b);
}
END_TEST

START_TEST(test_many_in_one_chunk)
{
	int sealed = _i;
	const uint32_t n = 5000;
	struct harbor_buf b = make_stream(n, sealed);
	size_t total = harbor_buf_pending(&b);
	unsigned char *c = malloc(total);
	memcpy(c, b.data, total);
	struct harbor_reader r;
	struct harbor_seal rx;
	open_reader(&r, &rx, sealed, 1);
	harbor_reader_feed(&r, c, total);
	struct harbor_frame f;
	uint32_t seq = 0;
	while (harbor_reader_next(&r, &f) == HARBOR_FRAME_READY) {
		check_frame(&f, seq++);
		/* Whole frames in the chunk are handed out in place. */
		ck_assert(f.data >= c && f.data + f.size <= c + total);
	}
	ck_assert_uint_eq(seq, n);
	ck_assert_ptr_null(r.body); /* nothing was gathered */
	harbor_reader_free(&r);
	free(c);
	harbor_buf_free(&b);
}
END_TEST

/* One frame of `kind` carrying `size` bytes, read back in chunks of
 * `chunk` bytes (0: all at once). */
static void max_roundtrip(int kind, uint32_t size, size_t chunk, int sealed)
{
	unsigned char *data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = pat(size, i);
	struct harbor_seal tx, rx;
	harbor_seal_init(&tx, KEY_A);
	struct harbor_buf b = {0};
	struct harbor_msg m = msg_for(7);
	ck_assert_int_eq(harbor_frame_append(&b, kind, &m, data, size, sealed ? &tx : NULL), 0);
	ck_assert_uint_eq(harbor_buf_pending(&b), harbor_frame_size(kind, size, sealed));

	struct harbor_reader r;
	open_reader(&r, &rx, sealed, 1);
	size_t total = harbor_buf_pending(&b), off = 0;
	int got = 0;
	while (off < total) {
		size_t n = chunk && chunk < total - off ? chunk : total - off;
		harbor_reader_feed(&r, b.data + off, n);
		off += n;
		struct harbor_frame f;
		int rc;
		while ((rc = harbor_reader_next(&r, &f)) == HARBOR_FRAME_READY) {
			ck_assert_int_eq(f.kind, kind);
			ck_assert_uint_eq(f.size, size);
			ck_assert(memcmp(f.data, data, size) == 0);
			got++;
		}
		ck_assert_int_eq(rc, HARBOR_FRAME_MORE);
	}
	ck_assert_int_eq(got, 1);
	/* The 16 MiB gathering buffer does not outlive its frame. */
	struct harbor_frame f;
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_MORE);
	ck_assert(r.body_cap <= ((size_t)1 << 20));
	harbor_reader_free(&r);
	harbor_buf_free(&b);
	free(data);
}

START_TEST(test_max_size)
{
	max_roundtrip(HARBOR_KIND_ACTOR, HARBOR_PAYLOAD_MAX, 0, 0);
	max_roundtrip(HARBOR_KIND_ACTOR, HARBOR_PAYLOAD_MAX, 65536, 0);
	max_roundtrip(HARBOR_KIND_ACTOR, HARBOR_PAYLOAD_MAX, 65537, 1);
	max_roundtrip(HARBOR_KIND_CONTROL, HARBOR_CONTROL_MAX, 0, 1);
	max_roundtrip(HARBOR_KIND_CONTROL, HARBOR_CONTROL_MAX, 1, 0);
}
END_TEST

START_TEST(test_writer_refuses)
{
	struct harbor_buf b = {0};
	struct harbor_msg m = msg_for(1);
	static unsigned char big[HARBOR_CONTROL_MAX + 1];
	ck_assert_int_eq(harbor_frame_append(&b, HARBOR_KIND_CONTROL, NULL, big, sizeof big, NULL), -1);
	ck_assert_int_eq(harbor_frame_append(&b, HARBOR_KIND_CONTROL, NULL, big, 0, NULL), -1);
	ck_assert_int_eq(harbor_frame_append(&b, 3, &m, big, 1, NULL), -1);
	ck_assert(!harbor_frame_fits(HARBOR_KIND_ACTOR, HARBOR_PAYLOAD_MAX + 1));
	ck_assert(harbor_frame_fits(HARBOR_KIND_ACTOR, HARBOR_PAYLOAD_MAX));
	ck_assert_uint_eq(harbor_buf_pending(&b), 0);

	/* Into a caller's buffer: exactly big enough, and one byte short. */
	unsigned char out[HARBOR_FRAME_HEADER + HARBOR_ACTOR_HEADER + 5];
	ck_assert_uint_eq(harbor_frame_write(out, sizeof out - 1, HARBOR_KIND_ACTOR, &m, "hello", 5, NULL), 0);
	ck_assert_uint_eq(harbor_frame_write(out, sizeof out, HARBOR_KIND_ACTOR, &m, "hello", 5, NULL), sizeof out);
	static const unsigned char want_hdr[] = {0, 0, 0, 21, 2, 0, 0, 0,
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe};
	ck_assert(memcmp(out, want_hdr, sizeof want_hdr) == 0);
	ck_assert(memcmp(out + sizeof want_hdr, "hello", 5) == 0);
	harbor_buf_free(&b);
}
END_TEST

/* Feed one header (plus `extra` zero bytes) and return the status. */
static int read_header(const unsigned char hdr[8], size_t extra, int accept_actor, int sealed)
{
	unsigned char *c = calloc(1, 8 + extra);
	memcpy(c, hdr, 8);
	struct harbor_reader r;
	struct harbor_seal rx;
	open_reader(&r, &rx, sealed, accept_actor);
	harbor_reader_feed(&r, c, 8 + extra);
	struct harbor_frame f;
	int rc = harbor_reader_next(&r, &f);
	if (rc < 0) {
		/* Errors are final, and nothing was allocated for the body. */
		ck_assert_int_eq(harbor_reader_next(&r, &f), rc);
		ck_assert_ptr_null(r.body);
	}
	harbor_reader_free(&r);
	free(c);
	return rc;
}

static void hdr(unsigned char h[8], uint32_t len, unsigned kind)
{
	h[0] = (unsigned char)(len >> 24);
	h[1] = (unsigned char)(len >> 16);
	h[2] = (unsigned char)(len >> 8);
	h[3] = (unsigned char)len;
	h[4] = (unsigned char)kind;
	h[5] = h[6] = h[7] = 0;
}

START_TEST(test_refusals)
{
	unsigned char h[8];
	/* Over the limit of each kind, by one byte, and absurdly. */
	hdr(h, HARBOR_ACTOR_HEADER + HARBOR_PAYLOAD_MAX + 1, 2);
	ck_assert_int_eq(read_header(h, 0, 1, 0), HARBOR_FRAME_EBIG);
	hdr(h, HARBOR_ACTOR_HEADER + HARBOR_PAYLOAD_MAX + HARBOR_SEAL_TAGBYTES + 1, 2);
	ck_assert_int_eq(read_header(h, 0, 1, 1), HARBOR_FRAME_EBIG);
	hdr(h, 0xffffffffu, 2);
	ck_assert_int_eq(read_header(h, 0, 1, 0), HARBOR_FRAME_EBIG);
	hdr(h, HARBOR_CONTROL_MAX + 1, 1);
	ck_assert_int_eq(read_header(h, 0, 1, 0), HARBOR_FRAME_EBIG);
	/* At the limit, a header alone asks for more. */
	hdr(h, HARBOR_ACTOR_HEADER + HARBOR_PAYLOAD_MAX, 2);
	ck_assert_int_eq(read_header(h, 0, 1, 0), HARBOR_FRAME_MORE);
	/* Unknown kinds. */
	for (unsigned k = 0; k < 256; k++) {
		if (k == 1 || k == 2)
			continue;
		hdr(h, 20, k);
		ck_assert_int_eq(read_header(h, 20, 1, 0), HARBOR_FRAME_EKIND);
	}
	/* Reserved bytes set. */
	for (int i = 5; i < 8; i++) {
		hdr(h, 20, 1);
		h[i] = 0x80;
		ck_assert_int_eq(read_header(h, 20, 1, 0), HARBOR_FRAME_EHEADER);
	}
	/* Bodies too short for their kind. */
	hdr(h, 0, 1);
	ck_assert_int_eq(read_header(h, 0, 1, 0), HARBOR_FRAME_EHEADER);
	hdr(h, HARBOR_ACTOR_HEADER - 1, 2);
	ck_assert_int_eq(read_header(h, 20, 1, 0), HARBOR_FRAME_EHEADER);
	hdr(h, HARBOR_ACTOR_HEADER, 2); /* sealed, it lacks the tag */
	ck_assert_int_eq(read_header(h, 20, 1, 1), HARBOR_FRAME_EHEADER);
	/* An actor message during the handshake. */
	hdr(h, HARBOR_ACTOR_HEADER, 2);
	ck_assert_int_eq(read_header(h, 20, 0, 0), HARBOR_FRAME_EEARLY);
	/* The same in a header cut in two is refused the same way. */
	struct harbor_reader r;
	harbor_reader_init(&r);
	hdr(h, HARBOR_CONTROL_MAX + 1, 1);
	struct harbor_frame f;
	harbor_reader_feed(&r, h, 3);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_MORE);
	harbor_reader_feed(&r, h + 3, 5);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_EBIG);
	harbor_reader_free(&r);
	/* Every status has its own text. */
	for (int a = -6; a <= 1; a++)
		for (int b = a + 1; b <= 1; b++)
			ck_assert_str_ne(harbor_frame_strerror(a), harbor_frame_strerror(b));
}
END_TEST

/* Read a sealed stream after changing byte `at`: it must never hand out
 * the changed frame, nor any after it, nor read out of bounds. */
START_TEST(test_sealed_tamper)
{
	struct harbor_buf b = make_stream(6, 1);
	size_t total = harbor_buf_pending(&b);
	for (size_t at = 0; at < total; at++) {
		unsigned char *c = malloc(total);
		memcpy(c, b.data, total);
		c[at] ^= 0x20;
		struct harbor_reader r;
		struct harbor_seal rx;
		open_reader(&r, &rx, 1, 1);
		harbor_reader_feed(&r, c, total);
		struct harbor_frame f;
		int rc;
		uint32_t seq = 0;
		while ((rc = harbor_reader_next(&r, &f)) == HARBOR_FRAME_READY)
			check_frame(&f, seq++);
		/* A longer length leaves the reader waiting for bytes that, on a
		 * real link, would then fail to open. */
		ck_assert_msg(rc < 0 || rc == HARBOR_FRAME_MORE, "byte %zu changed, status %d", at, rc);
		ck_assert_uint_lt(seq, 6);
		harbor_reader_free(&r);
		free(c);
	}
	harbor_buf_free(&b);
}
END_TEST

/* Sealed frames swapped, or one dropped: the sequence numbers catch it. */
START_TEST(test_sealed_reorder)
{
	struct harbor_seal tx, rx;
	harbor_seal_init(&tx, KEY_A);
	struct harbor_buf one = {0}, two = {0};
	struct harbor_msg m = msg_for(3);
	ck_assert_int_eq(harbor_frame_append(&one, HARBOR_KIND_ACTOR, &m, "first", 5, &tx), 0);
	ck_assert_int_eq(harbor_frame_append(&two, HARBOR_KIND_ACTOR, &m, "secnd", 5, &tx), 0);
	struct harbor_reader r;
	struct harbor_frame f;
	open_reader(&r, &rx, 1, 1);
	harbor_reader_feed(&r, two.data, two.end);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_ESEAL);
	harbor_reader_free(&r);
	harbor_buf_free(&one);
	harbor_buf_free(&two);
}
END_TEST

/* The handshake's last plain frame and the first sealed ones arrive in
 * one chunk: the reader switches between them. */
START_TEST(test_switch_to_sealed)
{
	struct harbor_seal tx, rx;
	harbor_seal_init(&tx, KEY_A);
	harbor_seal_init(&rx, KEY_A);
	struct harbor_buf b = {0};
	ck_assert_int_eq(harbor_frame_append(&b, HARBOR_KIND_CONTROL, NULL, "auth", 4, NULL), 0);
	struct harbor_msg m = msg_for(5);
	ck_assert_int_eq(harbor_frame_append(&b, HARBOR_KIND_ACTOR, &m, "sealed", 6, &tx), 0);
	ck_assert_int_eq(harbor_frame_append(&b, HARBOR_KIND_CONTROL, NULL, "ping", 4, &tx), 0);
	struct harbor_reader r;
	struct harbor_frame f;
	harbor_reader_init(&r);
	harbor_reader_feed(&r, b.data, b.end);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_READY);
	ck_assert_uint_eq(f.size, 4);
	ck_assert(memcmp(f.data, "auth", 4) == 0);
	harbor_reader_seal(&r, &rx);
	harbor_reader_accept_actor(&r);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_READY);
	ck_assert_int_eq(f.kind, HARBOR_KIND_ACTOR);
	ck_assert(f.size == 6 && memcmp(f.data, "sealed", 6) == 0);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_READY);
	ck_assert(f.size == 4 && memcmp(f.data, "ping", 4) == 0);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_MORE);
	harbor_reader_free(&r);
	harbor_buf_free(&b);
}
END_TEST

START_TEST(test_buf)
{
	struct harbor_buf b = {0};
	ck_assert_int_eq(harbor_buf_reserve(&b, 100), 0);
	memset(b.data, 'a', 100);
	b.end = 100;
	harbor_buf_consume(&b, 60);
	ck_assert_uint_eq(harbor_buf_pending(&b), 40);
	unsigned char *before = b.data;
	size_t cap = b.cap;
	/* Room at the front is reused before the buffer grows. */
	ck_assert_int_eq(harbor_buf_reserve(&b, cap - 40), 0);
	ck_assert_ptr_eq(b.data, before);
	ck_assert_uint_eq(b.start, 0);
	ck_assert_uint_eq(b.data[39], 'a');
	ck_assert_int_eq(harbor_buf_reserve(&b, cap), 0);
	ck_assert_uint_ge(b.cap, cap + 40);
	ck_assert_uint_eq(b.data[0], 'a');
	harbor_buf_consume(&b, 1000);
	ck_assert_uint_eq(harbor_buf_pending(&b), 0);
	ck_assert_int_eq(harbor_buf_reserve(&b, (size_t)-1), -1);
	/* A drained big buffer is let go. */
	ck_assert_int_eq(harbor_buf_reserve(&b, (size_t)2 << 20), 0);
	b.end = 10;
	harbor_buf_consume(&b, 10);
	ck_assert_ptr_null(b.data);
	harbor_buf_free(&b);
}
END_TEST

/* --- control messages --- */

static int control_roundtrip(const harbor_Control *in, harbor_Control *out, char *err, size_t errlen)
{
	struct harbor_buf b = {0};
	ck_assert_int_eq(harbor_control_append(&b, in, NULL), 0);
	struct harbor_reader r;
	struct harbor_frame f;
	harbor_reader_init(&r);
	harbor_reader_feed(&r, b.data, b.end);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_READY);
	ck_assert_int_eq(f.kind, HARBOR_KIND_CONTROL);
	int rc = harbor_control_decode(&f, out, err, errlen);
	ck_assert_int_eq(harbor_reader_next(&r, &f), HARBOR_FRAME_MORE);
	harbor_reader_free(&r);
	harbor_buf_free(&b);
	return rc;
}

static harbor_Control hello(unsigned id, const char *address, size_t nonce_len)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_hello_tag;
	c.msg.hello.version = HARBOR_PROTOCOL_VERSION;
	c.msg.hello.node_id = id;
	snprintf(c.msg.hello.address, sizeof c.msg.hello.address, "%s", address);
	c.msg.hello.nonce.size = (pb_size_t)nonce_len;
	memset(c.msg.hello.nonce.bytes, 0xa5, nonce_len);
	c.msg.hello.keyed = true;
	return c;
}

START_TEST(test_control_roundtrip)
{
	char err[200];
	harbor_Control in = hello(3, "127.0.0.1:2527", 32), out;
	ck_assert_int_eq(control_roundtrip(&in, &out, err, sizeof err), 0);
	ck_assert_uint_eq(out.which_msg, harbor_Control_hello_tag);
	ck_assert_uint_eq(out.msg.hello.node_id, 3);
	ck_assert_str_eq(out.msg.hello.address, "127.0.0.1:2527");
	ck_assert_uint_eq(out.msg.hello.nonce.size, 32);
	ck_assert(out.msg.hello.keyed);
	ck_assert_str_eq(harbor_control_name(out.which_msg), "HELLO");

	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_name_register_tag;
	strcpy(c.msg.name_register.name, "db");
	c.msg.name_register.handle = 0x02000010;
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), 0);
	ck_assert_str_eq(out.msg.name_register.name, "db");
	ck_assert_uint_eq(out.msg.name_register.handle, 0x02000010);

	c = (harbor_Control)harbor_Control_init_zero;
	c.which_msg = harbor_Control_ping_tag;
	c.msg.ping.seq = UINT64_MAX;
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), 0);
	ck_assert(out.msg.ping.seq == UINT64_MAX);

	c = (harbor_Control)harbor_Control_init_zero;
	c.which_msg = harbor_Control_error_tag;
	c.msg.error.code = harbor_ErrorCode_ERROR_AUTH;
	strcpy(c.msg.error.text, "wrong cluster key");
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), 0);
	ck_assert_int_eq(out.msg.error.code, harbor_ErrorCode_ERROR_AUTH);
	ck_assert_str_eq(out.msg.error.text, "wrong cluster key");

	/* The largest message fits the control limit; none is empty. */
	harbor_Control none = harbor_Control_init_zero;
	struct harbor_buf b = {0};
	ck_assert_int_eq(harbor_control_append(&b, &none, NULL), -1);
	ck_assert_uint_eq(harbor_buf_pending(&b), 0);
	harbor_buf_free(&b);
}
END_TEST

START_TEST(test_control_checks)
{
	char err[200];
	harbor_Control c, out;
	c = hello(0, "a:1", 32);
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_NODE_ID);
	ck_assert_ptr_nonnull(strstr(err, "node id 0"));
	c = hello(256, "a:1", 32);
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_NODE_ID);
	c = hello(1, "a:1", 31);
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	ck_assert_ptr_nonnull(strstr(err, "nonce"));
	c = hello(1, "", 32);
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	c = hello(1, "a\n:1", 32);
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);

	c = (harbor_Control)harbor_Control_init_zero;
	c.which_msg = harbor_Control_auth_tag;
	c.msg.auth.proof.size = 16; /* a truncated proof */
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	ck_assert_ptr_nonnull(strstr(err, "proof"));

	static const char *bad_names[] = {"", ".local", "a\tb"};
	for (size_t i = 0; i < 3; i++) {
		c = (harbor_Control)harbor_Control_init_zero;
		c.which_msg = harbor_Control_name_query_tag;
		strcpy(c.msg.name_query.name, bad_names[i]);
		ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_NAME);
	}
	static const uint32_t bad_handles[] = {0, 0x00000005, 0x03000000};
	for (size_t i = 0; i < 3; i++) {
		c = (harbor_Control)harbor_Control_init_zero;
		c.which_msg = harbor_Control_name_reply_tag;
		strcpy(c.msg.name_reply.name, "x");
		c.msg.name_reply.handle = bad_handles[i];
		ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	}
	c = (harbor_Control)harbor_Control_init_zero;
	c.which_msg = harbor_Control_node_down_tag;
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_NODE_ID);
	c.which_msg = harbor_Control_node_up_tag;
	c.msg.node_up.node_id = 9;
	ck_assert_int_eq(control_roundtrip(&c, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);

	/* Raw bytes: a field number nobody knows (99, varint 1), garbage, a
	 * string longer than its bound (NameQuery.name, 100 bytes). */
	struct harbor_frame f = {.kind = HARBOR_KIND_CONTROL};
	static const unsigned char unknown[] = {0x98, 0x06, 0x01};
	f.data = unknown;
	f.size = sizeof unknown;
	ck_assert_int_eq(harbor_control_decode(&f, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	ck_assert_str_eq(err, "unknown control message");
	static const unsigned char garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	f.data = garbage;
	f.size = sizeof garbage;
	ck_assert_int_eq(harbor_control_decode(&f, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	ck_assert_ptr_nonnull(strstr(err, "does not decode"));
	unsigned char longname[4 + 100];
	longname[0] = 0x32; /* field 6, length-delimited: NameQuery */
	longname[1] = 102;
	longname[2] = 0x0a; /* its field 1: the name */
	longname[3] = 100;
	memset(longname + 4, 'n', 100);
	f.data = longname;
	f.size = sizeof longname;
	/* Within the wire bound (255) but over HARBOR_NAME_MAX: refused as a
	 * name (ERROR_NAME), which costs the message and not the link. */
	ck_assert_int_eq(harbor_control_decode(&f, &out, err, sizeof err), harbor_ErrorCode_ERROR_NAME);
	ck_assert_ptr_nonnull(strstr(err, "name of 100 bytes, over 63"));
	f.size = sizeof longname - 1; /* cut short of its own length */
	ck_assert_int_eq(harbor_control_decode(&f, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	/* Over the wire bound: it does not decode at all. */
	unsigned char huge[6 + 300];
	huge[0] = 0x32;
	huge[1] = 0xaf; huge[2] = 0x02; /* 303 */
	huge[3] = 0x0a;
	huge[4] = 0xac; huge[5] = 0x02; /* 300 */
	memset(huge + 6, 'n', 300);
	f.data = huge;
	f.size = sizeof huge;
	ck_assert_int_eq(harbor_control_decode(&f, &out, err, sizeof err), harbor_ErrorCode_ERROR_MESSAGE);
	ck_assert_ptr_nonnull(strstr(err, "does not decode"));
}
END_TEST

static Suite *frame_suite(void)
{
	Suite *s = suite_create("harbor_frame");
	TCase *tc = tcase_create("frame");
	tcase_set_timeout(tc, 300);
	/* The loop tests run plain (0) and sealed (1). */
	tcase_add_loop_test(tc, test_split_every_byte, 0, 2);
	tcase_add_loop_test(tc, test_byte_by_byte, 0, 2);
	tcase_add_loop_test(tc, test_many_in_one_chunk, 0, 2);
	tcase_add_test(tc, test_max_size);
	tcase_add_test(tc, test_writer_refuses);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_sealed_tamper);
	tcase_add_test(tc, test_sealed_reorder);
	tcase_add_test(tc, test_switch_to_sealed);
	tcase_add_test(tc, test_buf);
	suite_add_tcase(s, tc);
	TCase *tcc = tcase_create("control");
	tcase_add_test(tcc, test_control_roundtrip);
	tcase_add_test(tcc, test_control_checks);
	suite_add_tcase(s, tcc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(frame_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
