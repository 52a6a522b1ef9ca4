/* key.h -- the cluster key: 32 secret bytes every node of a cluster holds.
 *
 * It is given in the config as text, or in a file holding that text:
 * 64 hex digits, or base64 (standard or URL-safe, padded or not) of 32
 * bytes, e.g. from `openssl rand -hex 32` or `head -c 32 /dev/urandom |
 * base64`.  Error messages never quote the key.
 */
#ifndef ACTORD_HARBOR_KEY_H
#define ACTORD_HARBOR_KEY_H

#include <stddef.h>

#define HARBOR_KEY_BYTES 32

struct harbor_key {
	unsigned char bytes[HARBOR_KEY_BYTES];
};

/* From text; white space around it is ignored.  0, or -1 with the reason
 * in err. */
int harbor_key_parse(struct harbor_key *key, const char *text, char *err, size_t errlen);

/* From a file holding the text.  Refused if group or others may read it,
 * as ssh does with private keys. */
int harbor_key_load(struct harbor_key *key, const char *path, char *err, size_t errlen);

void harbor_key_wipe(struct harbor_key *key);

#endif
