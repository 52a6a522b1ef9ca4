/* fuzz_harbor_control.c -- fuzz target for the decoding and checking of
 * control messages (harbor/control.c), the bytes a peer or the master
 * sends in a control frame.  fuzz_harbor_frame reaches this too, but only
 * behind the framing; here the input is the protobuf body itself, so the
 * fuzzer spends its time in nanopb and the checks.
 *
 * Whatever the bytes, a message is either refused with an ErrorCode and a
 * reason, or accepted as one known message whose strings are printable
 * (they end up in log lines).  An accepted message, encoded again, must
 * decode, and encoding that must give the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harbor/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		return 0; /* not terminated within its field */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

#define PRINTABLE(field) printable((field), sizeof(field))

static void check_strings(const harbor_Control *c)
{
	int ok = 1;
	switch (c->which_msg) {
	case harbor_Control_hello_tag: ok = PRINTABLE(c->msg.hello.address); break;
	case harbor_Control_node_up_tag: ok = PRINTABLE(c->msg.node_up.address); break;
	case harbor_Control_name_register_tag: ok = PRINTABLE(c->msg.name_register.name); break;
	case harbor_Control_name_query_tag: ok = PRINTABLE(c->msg.name_query.name); break;
	case harbor_Control_name_reply_tag: ok = PRINTABLE(c->msg.name_reply.name); break;
	case harbor_Control_error_tag: ok = PRINTABLE(c->msg.error.text); break;
	default: break;
	}
	if (!ok)
		abort();
}

/* Encode c as a plain frame; the body is at b->data + HARBOR_FRAME_HEADER. */
static struct harbor_frame encode(struct harbor_buf *b, const harbor_Control *c)
{
	if (harbor_control_append(b, c, NULL) != 0)
		abort();
	struct harbor_frame f = {
		.kind = HARBOR_KIND_CONTROL,
		.data = b->data + b->start + HARBOR_FRAME_HEADER,
		.size = (uint32_t)(harbor_buf_pending(b) - HARBOR_FRAME_HEADER),
	};
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > HARBOR_CONTROL_MAX)
		return 0; /* the frame reader refuses those before decoding */
	unsigned char *body = malloc(size ? size : 1); /* exact size: overreads show */
	memcpy(body, data, size);
	struct harbor_frame f = { .kind = HARBOR_KIND_CONTROL, .data = body, .size = (uint32_t)size };
	harbor_Control a, c;
	char err[256] = "";
	int code = harbor_control_decode(&f, &a, err, sizeof err);
	free(body);
	if (code) {
		if (code < harbor_ErrorCode_ERROR_VERSION || code > harbor_ErrorCode_ERROR_NAME ||
		    err[0] == '\0')
			abort();
		return 0;
	}
	if (strcmp(harbor_control_name(a.which_msg), "unknown") == 0)
		abort();
	check_strings(&a);

	struct harbor_buf b1 = { 0 }, b2 = { 0 };
	struct harbor_frame f1 = encode(&b1, &a);
	if (harbor_control_decode(&f1, &c, err, sizeof err) != 0 || c.which_msg != a.which_msg)
		abort();
	struct harbor_frame f2 = encode(&b2, &c);
	if (f1.size != f2.size || memcmp(f1.data, f2.data, f1.size) != 0)
		abort();
	harbor_buf_free(&b1);
	harbor_buf_free(&b2);
	return 0;
}
