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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harbor/control.h"
#include "harbor/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char KEY[HARBOR_SEAL_KEYBYTES] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* Check a frame; on a plain link, compare it with the input at *pos. */
static void check(const struct harbor_frame *f, int sealed, const uint8_t *stream,
                  size_t len, size_t *pos)
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
		if (harbor_control_decode(f, &msg, err, sizeof err) != 0 && err[0] == '\0')
			abort(); /* a refusal must say why */
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
			check(&f, sealed, stream, len, &pos);
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
	return 0;
}
