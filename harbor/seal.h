/* seal.h -- authenticated encryption of one direction of a harbor link.
 *
 * Once the handshake (harbor/auth.h) has proven the cluster key, each
 * direction of a link has its own key, derived from the cluster key and
 * both nonces, so every link gets fresh keys.  Each frame's body is then
 * encrypted with ChaCha20-Poly1305 (IETF), its header as associated data,
 * and the frame's sequence number in the direction as the nonce: a frame
 * that is changed, dropped, replayed or reordered fails to open.
 */
#ifndef ACTORD_HARBOR_SEAL_H
#define ACTORD_HARBOR_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define HARBOR_SEAL_KEYBYTES 32
#define HARBOR_SEAL_TAGBYTES 16

struct harbor_seal {
	unsigned char key[HARBOR_SEAL_KEYBYTES];
	uint64_t seq; /* frames sealed (or opened) so far */
};

void harbor_seal_init(struct harbor_seal *s, const unsigned char key[HARBOR_SEAL_KEYBYTES]);

/* Forget the key. */
void harbor_seal_wipe(struct harbor_seal *s);

/* Encrypt data[len] in place and write its tag.  `ad` is authenticated
 * but not encrypted.  0, or -1 once 2^64-1 frames were sealed. */
int harbor_seal(struct harbor_seal *s, const unsigned char *ad, size_t adlen,
                unsigned char *data, size_t len,
                unsigned char tag[HARBOR_SEAL_TAGBYTES]);

/* Check the tag and decrypt data[len] in place.  0, or -1 if the tag is
 * wrong (libsodium then zeroes data, so nothing forged is ever read). */
int harbor_open(struct harbor_seal *s, const unsigned char *ad, size_t adlen,
                unsigned char *data, size_t len,
                const unsigned char tag[HARBOR_SEAL_TAGBYTES]);

#endif
