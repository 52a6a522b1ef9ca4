/* auth.h -- the handshake that opens a harbor link: each side proves it
 * holds the cluster key (harbor/key.h), without sending it.
 *
 *     initiator (connected)              responder (accepted)
 *     HELLO {id, address, nonce}   ->
 *                                  <-    HELLO {id, address, nonce}
 *     AUTH {proof}                 ->    checks it; on failure ERROR, close
 *                                  <-    AUTH {proof}
 *     checks it; on failure close
 *
 * A proof is crypto_auth (HMAC-SHA512-256), under a key derived from the
 * cluster key, of a direction label and a digest of both ids, both
 * addresses and both nonces.  Each side's nonce is fresh, so an old proof
 * does not verify (no replay); the label differs by direction, so a
 * side's own proof sent back to it does not verify (no reflection); the
 * responder proves only after the initiator has, so it gives nothing to a
 * peer without the key.  Proofs are compared in constant time.
 *
 * The same digest gives each direction its own sealing key (harbor/seal.h):
 * every frame after a side's AUTH frame is sealed in that direction.
 */
#ifndef ACTORD_HARBOR_AUTH_H
#define ACTORD_HARBOR_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "harbor/key.h"
#include "harbor/seal.h"

#define HARBOR_NONCE_BYTES 32
#define HARBOR_PROOF_BYTES 32

enum harbor_role {
	HARBOR_INITIATOR, /* the side that connected */
	HARBOR_RESPONDER, /* the side that accepted */
};

/* One side of one link's handshake.  Holds keys: wipe it when done. */
struct harbor_auth {
	unsigned char mac_key[32];   /* for proofs, from the cluster key */
	unsigned char seal_base[32]; /* for the sealing keys, from the cluster key */
	unsigned char nonce[HARBOR_NONCE_BYTES];
	unsigned char address_hash[32];
	unsigned char digest[32];    /* of both HELLOs, once the peer's is in */
	uint8_t role, self_id, state, proved, checked;
};

/* Begin with a fresh random nonce.  self_id is 1..255.  0, or -1 if
 * libsodium will not start or the id is out of range. */
int harbor_auth_start(struct harbor_auth *a, const struct harbor_key *key,
                      enum harbor_role role, unsigned self_id, const char *self_address);

/* Our nonce, for our HELLO. */
const unsigned char *harbor_auth_nonce(const struct harbor_auth *a);

/* Take in the peer's HELLO.  -1 if the nonce is not 32 bytes, or is our
 * own sent back, if the peer claims our id, or if called twice. */
int harbor_auth_peer(struct harbor_auth *a, unsigned peer_id, const char *peer_address,
                     const unsigned char *nonce, size_t len);

/* Our proof, for our AUTH.  -1 out of turn: before harbor_auth_peer, or,
 * for a responder, before the initiator's proof has checked out. */
int harbor_auth_prove(struct harbor_auth *a, unsigned char proof[HARBOR_PROOF_BYTES]);

/* Check the peer's proof.  0, or -1 if it is wrong, truncated or out of
 * turn; after a failure every call fails. */
int harbor_auth_check(struct harbor_auth *a, const unsigned char *proof, size_t len);

/* 1 once both proofs are made and checked. */
int harbor_auth_done(const struct harbor_auth *a);

/* The sealing states for our sending (tx) and receiving (rx) directions.
 * Available once the peer's HELLO is in, so a side can seal right after
 * its own AUTH.  0, or -1 before that. */
int harbor_auth_seal_keys(const struct harbor_auth *a, struct harbor_seal *tx,
                          struct harbor_seal *rx);

void harbor_auth_wipe(struct harbor_auth *a);

#endif
