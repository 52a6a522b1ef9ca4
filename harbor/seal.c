/* seal.c -- per-direction authenticated encryption (see seal.h). */
#include "harbor/seal.h"

#include <sodium.h>
#include <string.h>

_Static_assert(HARBOR_SEAL_KEYBYTES == crypto_aead_chacha20poly1305_IETF_KEYBYTES, "key size");
_Static_assert(HARBOR_SEAL_TAGBYTES == crypto_aead_chacha20poly1305_IETF_ABYTES, "tag size");

/* The nonce is the sequence number, little-endian, zero-padded.  Each
 * direction has its own key, so the two sides' counters never share a
 * (key, nonce) pair, and the key is fresh per link, so starting at 0 is
 * safe. */
static void make_nonce(uint64_t seq, unsigned char n[crypto_aead_chacha20poly1305_IETF_NPUBBYTES])
{
	memset(n, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		n[i] = (unsigned char)(seq >> (8 * i));
}

void harbor_seal_init(struct harbor_seal *s, const unsigned char key[HARBOR_SEAL_KEYBYTES])
{
	/* Picks the fastest ChaCha20 and Poly1305 code for this CPU.  Its
	 * failure does not matter here: libsodium then uses its portable
	 * code, which gives the same bytes. */
	int started = sodium_init();
	(void)started;
	memcpy(s->key, key, HARBOR_SEAL_KEYBYTES);
	s->seq = 0;
}

void harbor_seal_wipe(struct harbor_seal *s)
{
	sodium_memzero(s, sizeof *s);
}

int harbor_seal(struct harbor_seal *s, const unsigned char *ad, size_t adlen,
                unsigned char *data, size_t len,
                unsigned char tag[HARBOR_SEAL_TAGBYTES])
{
	if (s->seq == UINT64_MAX)
		return -1; /* a nonce may never repeat */
	unsigned char n[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	make_nonce(s->seq, n);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, tag, NULL, data, len,
		ad, adlen, NULL, n, s->key);
	s->seq++;
	return 0;
}

int harbor_open(struct harbor_seal *s, const unsigned char *ad, size_t adlen,
                unsigned char *data, size_t len,
                const unsigned char tag[HARBOR_SEAL_TAGBYTES])
{
	if (s->seq == UINT64_MAX)
		return -1;
	unsigned char n[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	make_nonce(s->seq, n);
	/* libsodium checks the tag before it decrypts. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(data, NULL, data, len,
			tag, ad, adlen, n, s->key) != 0)
		return -1;
	s->seq++;
	return 0;
}
