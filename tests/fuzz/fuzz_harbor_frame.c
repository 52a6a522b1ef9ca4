/* fuzz_harbor_frame.c -- fuzz target for the harbor frame reader
 * (harbor/frame.c) and the control messages behind it (harbor/control.c).
 *
 * Input: one mode byte, then the bytes of a link.
 *   bit 0     the link is sealed from the start (with a fixed key, so
 *             frames mostly fail to open: that path must fail cleanly)
 *   bit 1     actor messages are accepted from the start; otherwise from
 *             the first control frame on, as after a handshake
 *   bits 2-7  how the bytes are cut into chunks (0: one chunk)
 * Each chunk is copied into its own allocation, so a read past it shows.
 *
 * Whatever the bytes, the reader must return frames within the limits,
 * a status from frame.h, and every error must have its text.  On a plain
 * link, each frame written again must give the very bytes it came from.
 * Every name a control message lets through is a valid global name, and
 * goes into a book of names (harbor/book.h) as the master's would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harbor/book.h"
#include "harbor/control.h"
#include "harbor/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char KEY[HARBOR_SEAL_KEYBYTES] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* A name that decoding accepted: valid, and the book agrees with itself. */
static void check_name(struct book *b, const char *name, uint32_t handle)
{
	size_t len = strlen(name);
	if (len == 0 || len > HARBOR_NAME_MAX || name[0] == '.')
		abort();
	uint32_t bound;
	switch (book_bind(b, name, handle, &bound)) {
	case BOOK_ADDED:
	case BOOK_SAME:
		if (bound != handle)
			abort();
		break;
	case BOOK_TAKEN:
		if (bound == handle || bound == 0)
			abort();
		break;
	case BOOK_FULL:
		return;
	case BOOK_INVALID:
		abort(); /* decoding let through what the book refuses */
	}
	if (book_find(b, name) != bound)
		abort();
}

static void check_control(const harbor_Control *msg, struct book *b)
{
	if (msg->which_msg == harbor_Control_name_register_tag)
		check_name(b, msg->msg.name_register.name, msg->msg.name_register.handle);
	else if (msg->which_msg == harbor_Control_name_reply_tag)
		check_name(b, msg->msg.name_reply.name, msg->msg.name_reply.handle);
}

/* Check a frame; on a plain link, compare it with the input at *pos. */
static void check(const struct harbor_frame *f, int sealed, const uint8_t *stream,
                  size_t len, size_t *pos, struct book *b)
{
	volatile unsigned sum = 0;
	for (uint32_t i = 0; i < f->size; i++)
		sum += f->data[i]; /* every byte handed out must be readable */
	(void)sum;
	if (!harbor_frame_fits(f->kind, f->size))
		abort();
	if (f->kind == HARBOR_KIND_CONTROL) {
		harbor_Control msg;
		char err[256];
		err[0] = '\0';
		int code = harbor_control_decode(f, &msg, err, sizeof err);
		if (code != 0 && err[0] == '\0')
			abort(); /* a refusal must say why */
		if (code == 0)
			check_control(&msg, b);
	}
	if (sealed)
		return;
	size_t n = harbor_frame_size(f->kind, f->size, 0);
	if (n > len - *pos)
		abort();
	unsigned char *again = malloc(n);
	if (harbor_frame_write(again, n, f->kind, &f->msg, f->data, f->size, NULL) != n
	    || memcmp(again, stream + *pos, n) != 0)
		abort();
	free(again);
	*pos += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	const uint8_t *stream = data + 1;
	size_t len = size - 1;
	int sealed = mode & 1;
	struct harbor_seal rx;
	struct harbor_reader r;
	struct book book = {0};
	harbor_seal_init(&rx, KEY);
	harbor_reader_init(&r);
	if (sealed)
		harbor_reader_seal(&r, &rx);
	if (mode & 2)
		harbor_reader_accept_actor(&r);

	uint32_t cut = mode >> 2; /* a tiny LCG drives the chunk sizes */
	size_t off = 0, pos = 0;
	int rc = HARBOR_FRAME_MORE;
	while (off < len && rc == HARBOR_FRAME_MORE) {
		size_t n = len - off;
		if (cut) {
			cut = cut * 1103515245u + 12345u;
			size_t c = 1 + (cut >> 16) % 97;
			if (n > c)
				n = c;
		}
		unsigned char *chunk = malloc(n);
		memcpy(chunk, stream + off, n);
		off += n;
		harbor_reader_feed(&r, chunk, n);
		struct harbor_frame f;
		while ((rc = harbor_reader_next(&r, &f)) == HARBOR_FRAME_READY) {
			check(&f, sealed, stream, len, &pos, &book);
			if (f.kind == HARBOR_KIND_CONTROL)
				harbor_reader_accept_actor(&r);
		}
		free(chunk);
	}
	if (rc != HARBOR_FRAME_MORE && (rc > 0 || rc < HARBOR_FRAME_ENOMEM))
		abort();
	if (strcmp(harbor_frame_strerror(rc), "unknown frame status") == 0)
		abort();
	harbor_reader_free(&r);
	book_free(&book);
	return 0;
}
