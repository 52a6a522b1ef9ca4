/* auth.c -- the link handshake (see auth.h). */
#include "harbor/auth.h"

#include <sodium.h>
#include <string.h>

/* crypto_auth is HMAC-SHA512-256. */
_Static_assert(HARBOR_PROOF_BYTES == crypto_auth_BYTES, "proof size");
_Static_assert(crypto_auth_KEYBYTES == 32, "mac key size");
_Static_assert(HARBOR_KEY_BYTES == crypto_kdf_KEYBYTES, "cluster key size");

/* Every input to the digest starts with this, so that a digest (and hence
 * a proof or key) of another protocol or version can never match. */
static const char LABEL[] = "actord harbor v1";
/* crypto_kdf contexts are 8 bytes. */
static const char KDF_CONTEXT[crypto_kdf_CONTEXTBYTES + 1] = "harborv1";
enum { SUBKEY_MAC = 1, SUBKEY_SEAL = 2 };

enum { ST_STARTED = 1, ST_PEER, ST_FAILED };

/* The direction bytes.  A proof or key made for one direction is useless
 * in the other. */
#define DIR_FROM_INITIATOR 'I'
#define DIR_FROM_RESPONDER 'R'

int harbor_auth_start(struct harbor_auth *a, const struct harbor_key *key,
                      enum harbor_role role, unsigned self_id, const char *self_address)
{
	memset(a, 0, sizeof *a);
	if (sodium_init() < 0 || self_id < 1 || self_id > 255)
		return -1;
	/* Separate keys for proofs and for sealing, so no value computed for
	 * one purpose is ever a valid value for the other. */
	crypto_kdf_derive_from_key(a->mac_key, sizeof a->mac_key, SUBKEY_MAC, KDF_CONTEXT, key->bytes);
	crypto_kdf_derive_from_key(a->seal_base, sizeof a->seal_base, SUBKEY_SEAL, KDF_CONTEXT, key->bytes);
	randombytes_buf(a->nonce, sizeof a->nonce);
	crypto_generichash(a->address_hash, sizeof a->address_hash,
	                   (const unsigned char *)self_address, strlen(self_address), NULL, 0);
	a->role = (uint8_t)role;
	a->self_id = (uint8_t)self_id;
	a->state = ST_STARTED;
	return 0;
}

const unsigned char *harbor_auth_nonce(const struct harbor_auth *a)
{
	return a->nonce;
}

int harbor_auth_peer(struct harbor_auth *a, unsigned peer_id, const char *peer_address,
                     const unsigned char *nonce, size_t len)
{
	if (a->state != ST_STARTED || len != HARBOR_NONCE_BYTES || peer_id < 1 || peer_id > 255
	    || peer_id == a->self_id || sodium_memcmp(nonce, a->nonce, HARBOR_NONCE_BYTES) == 0) {
		a->state = ST_FAILED;
		return -1;
	}
	unsigned char peer_hash[32];
	crypto_generichash(peer_hash, sizeof peer_hash,
	                   (const unsigned char *)peer_address, strlen(peer_address), NULL, 0);
	/* Both sides must hash the same bytes, so fields go in by role
	 * (initiator's first), not by who is computing.  Fixed-size fields
	 * (addresses enter as hashes) leave no ambiguity in the layout. */
	int init = a->role == HARBOR_INITIATOR;
	unsigned char ids[2] = {
		init ? a->self_id : (unsigned char)peer_id,
		init ? (unsigned char)peer_id : a->self_id,
	};
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof a->digest);
	crypto_generichash_update(&st, (const unsigned char *)LABEL, sizeof LABEL - 1);
	crypto_generichash_update(&st, ids, sizeof ids);
	crypto_generichash_update(&st, init ? a->nonce : nonce, HARBOR_NONCE_BYTES);
	crypto_generichash_update(&st, init ? nonce : a->nonce, HARBOR_NONCE_BYTES);
	crypto_generichash_update(&st, init ? a->address_hash : peer_hash, 32);
	crypto_generichash_update(&st, init ? peer_hash : a->address_hash, 32);
	crypto_generichash_final(&st, a->digest, sizeof a->digest);
	a->state = ST_PEER;
	return 0;
}

/* What a proof or a sealing key is computed over: the direction, then
 * the digest of both HELLOs. */
static void dir_input(const struct harbor_auth *a, unsigned char dir,
                      unsigned char in[1 + sizeof a->digest])
{
	in[0] = dir;
	memcpy(in + 1, a->digest, sizeof a->digest);
}

static unsigned char self_dir(const struct harbor_auth *a)
{
	return a->role == HARBOR_INITIATOR ? DIR_FROM_INITIATOR : DIR_FROM_RESPONDER;
}

static unsigned char peer_dir(const struct harbor_auth *a)
{
	return a->role == HARBOR_INITIATOR ? DIR_FROM_RESPONDER : DIR_FROM_INITIATOR;
}

int harbor_auth_prove(struct harbor_auth *a, unsigned char proof[HARBOR_PROOF_BYTES])
{
	if (a->state != ST_PEER || (a->role == HARBOR_RESPONDER && !a->checked))
		return -1;
	unsigned char in[1 + sizeof a->digest];
	dir_input(a, self_dir(a), in);
	crypto_auth(proof, in, sizeof in, a->mac_key);
	a->proved = 1;
	return 0;
}

int harbor_auth_check(struct harbor_auth *a, const unsigned char *proof, size_t len)
{
	if (a->state != ST_PEER || a->checked || len != HARBOR_PROOF_BYTES) {
		a->state = ST_FAILED;
		return -1;
	}
	unsigned char in[1 + sizeof a->digest];
	dir_input(a, peer_dir(a), in);
	/* Recomputes the HMAC and compares in constant time. */
	if (crypto_auth_verify(proof, in, sizeof in, a->mac_key) != 0) {
		a->state = ST_FAILED;
		return -1;
	}
	a->checked = 1;
	return 0;
}

int harbor_auth_done(const struct harbor_auth *a)
{
	return a->state == ST_PEER && a->proved && a->checked;
}

/* The sealing key of direction `dir`: keyed BLAKE2b of the digest. */
static void seal_key(const struct harbor_auth *a, unsigned char dir,
                     unsigned char out[HARBOR_SEAL_KEYBYTES])
{
	unsigned char in[1 + sizeof a->digest];
	dir_input(a, dir, in);
	crypto_generichash(out, HARBOR_SEAL_KEYBYTES, in, sizeof in, a->seal_base, sizeof a->seal_base);
}

int harbor_auth_seal_keys(const struct harbor_auth *a, struct harbor_seal *tx,
                          struct harbor_seal *rx)
{
	if (a->state != ST_PEER)
		return -1;
	unsigned char k[HARBOR_SEAL_KEYBYTES];
	seal_key(a, self_dir(a), k);
	harbor_seal_init(tx, k);
	seal_key(a, peer_dir(a), k);
	harbor_seal_init(rx, k);
	sodium_memzero(k, sizeof k);
	return 0;
}

void harbor_auth_wipe(struct harbor_auth *a)
{
	sodium_memzero(a, sizeof *a);
}
