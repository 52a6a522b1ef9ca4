/* control.h -- control messages (proto/harbor.proto) in and out of frames.
 *
 * Decoding also checks what a peer could get wrong or forge beyond what
 * protobuf itself bounds, so the sidecar can use a decoded message as it
 * is: node ids, nonce and proof sizes, addresses, global names, handles.
 */
#ifndef ACTORD_HARBOR_CONTROL_H
#define ACTORD_HARBOR_CONTROL_H

#include <stddef.h>

#include "harbor/frame.h"
#include "proto/harbor.pb.h"

/* Sent in HELLO; a peer with another version is refused. */
#define HARBOR_PROTOCOL_VERSION 1
#define HARBOR_NAME_MAX 63 /* bytes of a global name: NAMES_MAXLEN */

/* Append a control frame carrying msg.  0, or -1 (no message set, a
 * field too long to encode, or no memory; b is then unchanged). */
int harbor_control_append(struct harbor_buf *b, const harbor_Control *msg,
                          struct harbor_seal *tx);

/* Decode and check the control frame f.  0, or the harbor_ErrorCode to
 * send back (ERROR_MESSAGE, ERROR_NODE_ID or ERROR_NAME) with the reason
 * in err.  The protocol version is left to the caller, which answers a
 * mismatch with ERROR_VERSION. */
int harbor_control_decode(const struct harbor_frame *f, harbor_Control *msg,
                          char *err, size_t errlen);

/* "HELLO", "NAME_QUERY" ... for a Control's which_msg, for logs. */
const char *harbor_control_name(unsigned which);

#endif
