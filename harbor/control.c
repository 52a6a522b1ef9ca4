/* control.c -- control messages in and out of frames (see control.h). */
#include "harbor/control.h"

#include <pb_decode.h>
#include <pb_encode.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harbor/auth.h"

_Static_assert(harbor_Control_size <= HARBOR_CONTROL_MAX,
               "every Control message must fit in a control frame");
_Static_assert(sizeof(((harbor_Hello *)0)->nonce.bytes) == HARBOR_NONCE_BYTES, "nonce size");
_Static_assert(sizeof(((harbor_Auth *)0)->proof.bytes) == HARBOR_PROOF_BYTES, "proof size");

int harbor_control_append(struct harbor_buf *b, const harbor_Control *msg,
                          struct harbor_seal *tx)
{
	/* Encode straight into the buffer, after room for the header; the
	 * generated bound tells how much room the message can need. */
	if (harbor_buf_reserve(b, harbor_frame_size(HARBOR_KIND_CONTROL,
	                                            harbor_Control_size, tx != NULL)) != 0)
		return -1;
	unsigned char *frame = b->data + b->end;
	pb_ostream_t os = pb_ostream_from_buffer(frame + HARBOR_FRAME_HEADER, harbor_Control_size);
	if (!pb_encode(&os, harbor_Control_fields, msg))
		return -1;
	size_t n = harbor_frame_close(frame, HARBOR_KIND_CONTROL, NULL,
	                              (uint32_t)os.bytes_written, tx);
	if (n == 0)
		return -1;
	b->end += n;
	return 0;
}

/* Where a check writes why it refused. */
struct why {
	const char *what; /* the message's name */
	char *err;
	size_t errlen;
};

static int refuse(const struct why *w, int code, const char *fmt, ...)
{
	int n = snprintf(w->err, w->errlen, "%s: ", w->what);
	if (n < 0 || (size_t)n >= w->errlen)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* No control characters: these strings end up in log lines. */
static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Each check returns 0, or the ErrorCode with the reason in w. */

static int check_node(const struct why *w, uint32_t id)
{
	if (id >= 1 && id <= 255)
		return 0;
	return refuse(w, harbor_ErrorCode_ERROR_NODE_ID, "node id %u is not in 1..255", (unsigned)id);
}

static int check_address(const struct why *w, const char *a)
{
	if (a[0] != '\0' && printable(a))
		return 0;
	return refuse(w, harbor_ErrorCode_ERROR_MESSAGE, "empty or unprintable address");
}

/* A global name: not empty, no leading dot (those stay node-local), and
 * short enough for the node's name table.  The wire bound is larger, so
 * that a name too long decodes and is refused alone (ERROR_NAME), not
 * with its link. */
static int check_name(const struct why *w, const char *name)
{
	size_t len = strlen(name);
	if (len > HARBOR_NAME_MAX)
		return refuse(w, harbor_ErrorCode_ERROR_NAME, "name of %zu bytes, over %d",
		              len, HARBOR_NAME_MAX);
	if (name[0] != '\0' && name[0] != '.' && printable(name))
		return 0;
	return refuse(w, harbor_ErrorCode_ERROR_NAME, "not a global name");
}

/* A handle on some node: a node id in its top byte and a local id. */
static int check_handle(const struct why *w, uint32_t h)
{
	if ((h >> 24) != 0 && (h & 0xffffff) != 0)
		return 0;
	return refuse(w, harbor_ErrorCode_ERROR_MESSAGE, "handle :%08x names no service", (unsigned)h);
}

static int check_size(const struct why *w, const char *field, pb_size_t size, unsigned want)
{
	if (size == want)
		return 0;
	return refuse(w, harbor_ErrorCode_ERROR_MESSAGE, "%s of %u bytes, not %u",
	              field, (unsigned)size, want);
}

int harbor_control_decode(const struct harbor_frame *f, harbor_Control *msg,
                          char *err, size_t errlen)
{
	memset(msg, 0, sizeof *msg);
	pb_istream_t is = pb_istream_from_buffer(f->data, f->size);
	if (!pb_decode(&is, harbor_Control_fields, msg)) {
		snprintf(err, errlen, "control message does not decode: %s", PB_GET_ERROR(&is));
		return harbor_ErrorCode_ERROR_MESSAGE;
	}
	const struct why w = {harbor_control_name(msg->which_msg), err, errlen};
	const harbor_Hello *hello = &msg->msg.hello;
	int rc = 0;
	switch (msg->which_msg) {
	case harbor_Control_hello_tag:
		if (!(rc = check_node(&w, hello->node_id))
		    && !(rc = check_size(&w, "nonce", hello->nonce.size, HARBOR_NONCE_BYTES)))
			rc = check_address(&w, hello->address);
		return rc;
	case harbor_Control_auth_tag:
		return check_size(&w, "proof", msg->msg.auth.proof.size, HARBOR_PROOF_BYTES);
	case harbor_Control_node_up_tag:
		if (!(rc = check_node(&w, msg->msg.node_up.node_id)))
			rc = check_address(&w, msg->msg.node_up.address);
		return rc;
	case harbor_Control_node_down_tag:
		return check_node(&w, msg->msg.node_down.node_id);
	case harbor_Control_name_register_tag:
		if (!(rc = check_name(&w, msg->msg.name_register.name)))
			rc = check_handle(&w, msg->msg.name_register.handle);
		return rc;
	case harbor_Control_name_reply_tag:
		if (!(rc = check_name(&w, msg->msg.name_reply.name)))
			rc = check_handle(&w, msg->msg.name_reply.handle);
		return rc;
	case harbor_Control_name_query_tag:
		return check_name(&w, msg->msg.name_query.name);
	case harbor_Control_error_tag:
		/* Logged as "peer says: ...": no forged log lines. */
		if (!printable(msg->msg.error.text))
			return refuse(&w, harbor_ErrorCode_ERROR_MESSAGE, "unprintable text");
		return 0;
	case harbor_Control_ping_tag:
	case harbor_Control_pong_tag:
		return 0;
	default:
		/* Field numbers we do not know are skipped by nanopb, so a
		 * message from a newer version arrives here as "none". */
		snprintf(err, errlen, "unknown control message");
		return harbor_ErrorCode_ERROR_MESSAGE;
	}
}

const char *harbor_control_name(unsigned which)
{
	switch (which) {
	case harbor_Control_hello_tag: return "HELLO";
	case harbor_Control_auth_tag: return "AUTH";
	case harbor_Control_node_up_tag: return "NODE_UP";
	case harbor_Control_node_down_tag: return "NODE_DOWN";
	case harbor_Control_name_register_tag: return "NAME_REGISTER";
	case harbor_Control_name_query_tag: return "NAME_QUERY";
	case harbor_Control_name_reply_tag: return "NAME_REPLY";
	case harbor_Control_ping_tag: return "PING";
	case harbor_Control_pong_tag: return "PONG";
	case harbor_Control_error_tag: return "ERROR";
	default: return "unknown";
	}
}
