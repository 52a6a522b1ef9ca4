/* test_harbor_auth.c -- the cluster key (harbor/key.c), the link
 * handshake (harbor/auth.c) and sealing (harbor/seal.c): keys from text
 * and files with clear refusals; handshakes that succeed with the same
 * key and fail with another, with a replayed, reflected or truncated
 * proof, or a changed HELLO; and a whole handshake over frames, as the
 * sidecar will run it, ending in sealed actor messages both ways. */
#include <check.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harbor/auth.h"
#include "harbor/control.h"
#include "harbor/frame.h"
#include "harbor/key.h"

static const char HEX_KEY[] =
	"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

static struct harbor_key key_of(const char *text)
{
	struct harbor_key k;
	char err[200];
	ck_assert_msg(harbor_key_parse(&k, text, err, sizeof err) == 0, "%s", err);
	return k;
}

START_TEST(test_key_parse)
{
	struct harbor_key k = key_of(HEX_KEY), k2;
	ck_assert_uint_eq(k.bytes[0], 0x00);
	ck_assert_uint_eq(k.bytes[1], 0x11);
	ck_assert_uint_eq(k.bytes[31], 0xff);
	/* The same key in base64, standard and URL-safe, padded or not, and
	 * with white space around it. */
	char b64[64];
	sodium_bin2base64(b64, sizeof b64, k.bytes, 32, sodium_base64_VARIANT_ORIGINAL);
	char text[100];
	snprintf(text, sizeof text, "  %s\n", b64);
	k2 = key_of(text);
	ck_assert(memcmp(k.bytes, k2.bytes, 32) == 0);
	sodium_bin2base64(b64, sizeof b64, k.bytes, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	k2 = key_of(b64);
	ck_assert(memcmp(k.bytes, k2.bytes, 32) == 0);
	snprintf(text, sizeof text, "\t%s\r\n", HEX_KEY);
	k2 = key_of(text);
	ck_assert(memcmp(k.bytes, k2.bytes, 32) == 0);
}
END_TEST

START_TEST(test_key_refused)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"", "empty"},
		{"   \n", "empty"},
		{"00112233445566778899aabbccddeeff00112233445566778899aabbccddee", "62 hex digits, need 64"},
		{"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", "66 hex digits"},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", "base64 of 31 bytes, need 32"},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", "base64 of 33 bytes"},
		{"not a key at all!", "neither 64 hex digits nor base64"},
		{"0000000000000000000000000000000000000000000000000000000000000000", "all zeros"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct harbor_key k;
		char err[200] = "";
		ck_assert_int_eq(harbor_key_parse(&k, bad[i].text, err, sizeof err), -1);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: got \"%s\"", bad[i].text, err);
		ck_assert_ptr_nonnull(strstr(err, "cluster key"));
		/* A refusal never quotes the key. */
		if (strlen(bad[i].text) > 8)
			ck_assert_ptr_null(strstr(err, bad[i].text));
	}
}
END_TEST

static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0); /* whatever the umask */
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(test_key_file)
{
	char dir[] = "/tmp/harbor-key-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/cluster.key", dir);
	struct harbor_key k, want = key_of(HEX_KEY);
	char err[300];

	char line[80];
	snprintf(line, sizeof line, "%s\n", HEX_KEY);
	write_file(path, line, 0600);
	ck_assert_msg(harbor_key_load(&k, path, err, sizeof err) == 0, "%s", err);
	ck_assert(memcmp(k.bytes, want.bytes, 32) == 0);

	write_file(path, line, 0640);
	ck_assert_int_eq(harbor_key_load(&k, path, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));

	write_file(path, "0011\n", 0600);
	ck_assert_int_eq(harbor_key_load(&k, path, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "4 hex digits"));

	char big[1024];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	write_file(path, big, 0600);
	ck_assert_int_eq(harbor_key_load(&k, path, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));

	ck_assert_int_eq(harbor_key_load(&k, dir, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	unlink(path);
	ck_assert_int_eq(harbor_key_load(&k, path, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	rmdir(dir);
}
END_TEST

/* --- the handshake, message by message --- */

struct pair {
	struct harbor_auth i, r; /* initiator, responder */
};

/* Both HELLOs exchanged: ids 1 (initiator) and 2. */
static void hello_both(struct pair *p, const struct harbor_key *ki, const struct harbor_key *kr)
{
	ck_assert_int_eq(harbor_auth_start(&p->i, ki, HARBOR_INITIATOR, 1, "10.0.0.1:2526"), 0);
	ck_assert_int_eq(harbor_auth_start(&p->r, kr, HARBOR_RESPONDER, 2, "10.0.0.2:2526"), 0);
	ck_assert_int_eq(harbor_auth_peer(&p->i, 2, "10.0.0.2:2526", harbor_auth_nonce(&p->r), 32), 0);
	ck_assert_int_eq(harbor_auth_peer(&p->r, 1, "10.0.0.1:2526", harbor_auth_nonce(&p->i), 32), 0);
}

START_TEST(test_same_key)
{
	struct harbor_key k = key_of(HEX_KEY);
	struct pair p;
	hello_both(&p, &k, &k);
	unsigned char proof_i[32], proof_r[32];
	/* The responder proves nothing before the initiator has. */
	ck_assert_int_eq(harbor_auth_prove(&p.r, proof_r), -1);
	ck_assert_int_eq(harbor_auth_prove(&p.i, proof_i), 0);
	ck_assert_int_eq(harbor_auth_check(&p.r, proof_i, 32), 0);
	ck_assert_int_eq(harbor_auth_prove(&p.r, proof_r), 0);
	ck_assert_int_eq(harbor_auth_check(&p.i, proof_r, 32), 0);
	ck_assert(harbor_auth_done(&p.i) && harbor_auth_done(&p.r));
	ck_assert(memcmp(proof_i, proof_r, 32) != 0);

	/* Each side's sending key is the other's receiving key, and the two
	 * directions differ. */
	struct harbor_seal itx, irx, rtx, rrx;
	ck_assert_int_eq(harbor_auth_seal_keys(&p.i, &itx, &irx), 0);
	ck_assert_int_eq(harbor_auth_seal_keys(&p.r, &rtx, &rrx), 0);
	ck_assert(memcmp(itx.key, rrx.key, 32) == 0);
	ck_assert(memcmp(rtx.key, irx.key, 32) == 0);
	ck_assert(memcmp(itx.key, irx.key, 32) != 0);
	unsigned char hdr[8] = {1, 2, 3, 4, 5, 6, 7, 8}, data[] = "payload", tag[16];
	ck_assert_int_eq(harbor_seal(&itx, hdr, 8, data, 7, tag), 0);
	ck_assert(memcmp(data, "payload", 7) != 0);
	unsigned char copy[7];
	memcpy(copy, data, 7);
	ck_assert_int_eq(harbor_open(&irx, hdr, 8, copy, 7, tag), -1); /* wrong direction */
	ck_assert_int_eq(harbor_open(&rrx, hdr, 8, data, 7, tag), 0);
	ck_assert(memcmp(data, "payload", 7) == 0);

	/* A second link between the same nodes gets other keys. */
	struct pair q;
	hello_both(&q, &k, &k);
	struct harbor_seal qtx, qrx;
	ck_assert_int_eq(harbor_auth_seal_keys(&q.i, &qtx, &qrx), 0);
	ck_assert(memcmp(qtx.key, itx.key, 32) != 0);
	harbor_auth_wipe(&p.i);
	harbor_auth_wipe(&p.r);
	harbor_auth_wipe(&q.i);
	harbor_auth_wipe(&q.r);
}
END_TEST

START_TEST(test_other_key)
{
	struct harbor_key k = key_of(HEX_KEY);
	struct harbor_key other = k;
	other.bytes[31] ^= 1;
	struct pair p;
	hello_both(&p, &k, &other);
	unsigned char proof[32];
	ck_assert_int_eq(harbor_auth_prove(&p.i, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&p.r, proof, 32), -1);
	/* Having failed, the responder proves nothing, and stays failed even
	 * if the right proof came next. */
	ck_assert_int_eq(harbor_auth_prove(&p.r, proof), -1);
	ck_assert_int_eq(harbor_auth_check(&p.r, proof, 32), -1);
	ck_assert(!harbor_auth_done(&p.r));
	struct harbor_seal tx, rx;
	ck_assert_int_eq(harbor_auth_seal_keys(&p.r, &tx, &rx), -1);

	/* The other way round: a responder with another key cannot prove
	 * itself to the initiator either (a forged responder that skipped
	 * its check still fails here). */
	struct pair q;
	hello_both(&q, &k, &other);
	ck_assert_int_eq(harbor_auth_prove(&q.i, proof), 0);
	q.r.checked = 1; /* as if it had not checked */
	ck_assert_int_eq(harbor_auth_prove(&q.r, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&q.i, proof, 32), -1);
}
END_TEST

START_TEST(test_replayed_proof)
{
	struct harbor_key k = key_of(HEX_KEY);
	/* An eavesdropper records a good handshake... */
	struct pair old;
	hello_both(&old, &k, &k);
	unsigned char recorded_i[32], recorded_r[32];
	ck_assert_int_eq(harbor_auth_prove(&old.i, recorded_i), 0);
	ck_assert_int_eq(harbor_auth_check(&old.r, recorded_i, 32), 0);
	ck_assert_int_eq(harbor_auth_prove(&old.r, recorded_r), 0);

	/* ...and plays the initiator's proof to the same responder node on
	 * a new link, claiming the same id and address: the responder's
	 * fresh nonce makes it fail. */
	struct harbor_auth r;
	ck_assert_int_eq(harbor_auth_start(&r, &k, HARBOR_RESPONDER, 2, "10.0.0.2:2526"), 0);
	ck_assert_int_eq(harbor_auth_peer(&r, 1, "10.0.0.1:2526", harbor_auth_nonce(&old.i), 32), 0);
	ck_assert_int_eq(harbor_auth_check(&r, recorded_i, 32), -1);

	/* Played as the responder to a new initiator, the recorded
	 * responder proof fails just the same. */
	struct harbor_auth i;
	unsigned char proof[32];
	ck_assert_int_eq(harbor_auth_start(&i, &k, HARBOR_INITIATOR, 1, "10.0.0.1:2526"), 0);
	ck_assert_int_eq(harbor_auth_peer(&i, 2, "10.0.0.2:2526", harbor_auth_nonce(&old.r), 32), 0);
	ck_assert_int_eq(harbor_auth_prove(&i, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&i, recorded_r, 32), -1);
}
END_TEST

START_TEST(test_reflected_proof)
{
	struct harbor_key k = key_of(HEX_KEY);
	/* An attacker without the key answers an initiator's HELLO and
	 * sends the initiator's own proof back as its AUTH. */
	struct pair p;
	hello_both(&p, &k, &k);
	unsigned char proof[32];
	ck_assert_int_eq(harbor_auth_prove(&p.i, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&p.i, proof, 32), -1);

	/* Two links to node 2, with the attacker posing as node 1 on both:
	 * on link a it connected to node 2; on link b node 2 connected to it
	 * (as the master's NODE_UP would have it do).  It gives each link the
	 * other's nonce, so both see the same two nonces, and hopes node 2's
	 * own initiator proof on b passes for node 1's on a.  The ids enter
	 * the digest by role (1 then 2 on a, 2 then 1 on b), so it does not. */
	struct harbor_auth a, b;
	ck_assert_int_eq(harbor_auth_start(&a, &k, HARBOR_RESPONDER, 2, "10.0.0.2:2526"), 0);
	ck_assert_int_eq(harbor_auth_start(&b, &k, HARBOR_INITIATOR, 2, "10.0.0.2:2526"), 0);
	ck_assert_int_eq(harbor_auth_peer(&a, 1, "10.0.0.1:2526", harbor_auth_nonce(&b), 32), 0);
	ck_assert_int_eq(harbor_auth_peer(&b, 1, "10.0.0.1:2526", harbor_auth_nonce(&a), 32), 0);
	ck_assert_int_eq(harbor_auth_prove(&b, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&a, proof, 32), -1);

	/* A HELLO that claims our own id, or carries our own nonce, is
	 * refused before any proof. */
	struct harbor_auth s;
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_RESPONDER, 2, "x:1"), 0);
	unsigned char other_nonce[32];
	randombytes_buf(other_nonce, sizeof other_nonce);
	ck_assert_int_eq(harbor_auth_peer(&s, 2, "y:1", other_nonce, 32), -1);
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_RESPONDER, 2, "x:1"), 0);
	unsigned char own[32];
	memcpy(own, harbor_auth_nonce(&s), 32);
	ck_assert_int_eq(harbor_auth_peer(&s, 1, "y:1", own, 32), -1);
}
END_TEST

START_TEST(test_truncated)
{
	struct harbor_key k = key_of(HEX_KEY);
	struct pair p;
	hello_both(&p, &k, &k);
	unsigned char proof[32];
	ck_assert_int_eq(harbor_auth_prove(&p.i, proof), 0);
	/* The right proof, cut short: refused, and the link is done for. */
	ck_assert_int_eq(harbor_auth_check(&p.r, proof, 31), -1);
	ck_assert_int_eq(harbor_auth_check(&p.r, proof, 32), -1);
	ck_assert_int_eq(harbor_auth_check(&p.r, proof, 0), -1);

	/* A short nonce in HELLO; ids out of range. */
	struct harbor_auth s;
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_RESPONDER, 2, "x:1"), 0);
	ck_assert_int_eq(harbor_auth_peer(&s, 1, "y:1", proof, 31), -1);
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_RESPONDER, 2, "x:1"), 0);
	ck_assert_int_eq(harbor_auth_peer(&s, 256, "y:1", proof, 32), -1);
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_RESPONDER, 0, "x:1"), -1);
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_RESPONDER, 256, "x:1"), -1);
	/* Out of turn: a proof before HELLO. */
	ck_assert_int_eq(harbor_auth_start(&s, &k, HARBOR_INITIATOR, 2, "x:1"), 0);
	ck_assert_int_eq(harbor_auth_prove(&s, proof), -1);
}
END_TEST

/* A man in the middle who rewrites an address (or id) in a HELLO makes
 * the two sides hash different HELLOs: the proofs fail. */
START_TEST(test_changed_hello)
{
	struct harbor_key k = key_of(HEX_KEY);
	struct harbor_auth i, r;
	unsigned char proof[32];
	ck_assert_int_eq(harbor_auth_start(&i, &k, HARBOR_INITIATOR, 1, "10.0.0.1:2526"), 0);
	ck_assert_int_eq(harbor_auth_start(&r, &k, HARBOR_RESPONDER, 2, "10.0.0.2:2526"), 0);
	ck_assert_int_eq(harbor_auth_peer(&i, 2, "10.0.0.2:2526", harbor_auth_nonce(&r), 32), 0);
	ck_assert_int_eq(harbor_auth_peer(&r, 1, "10.6.6.6:2526", harbor_auth_nonce(&i), 32), 0);
	ck_assert_int_eq(harbor_auth_prove(&i, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&r, proof, 32), -1);

	ck_assert_int_eq(harbor_auth_start(&i, &k, HARBOR_INITIATOR, 1, "10.0.0.1:2526"), 0);
	ck_assert_int_eq(harbor_auth_start(&r, &k, HARBOR_RESPONDER, 2, "10.0.0.2:2526"), 0);
	ck_assert_int_eq(harbor_auth_peer(&i, 2, "10.0.0.2:2526", harbor_auth_nonce(&r), 32), 0);
	ck_assert_int_eq(harbor_auth_peer(&r, 3, "10.0.0.1:2526", harbor_auth_nonce(&i), 32), 0);
	ck_assert_int_eq(harbor_auth_prove(&i, proof), 0);
	ck_assert_int_eq(harbor_auth_check(&r, proof, 32), -1);
}
END_TEST

/* --- a whole handshake over frames, as the sidecar runs it --- */

struct side {
	const char *name;
	enum harbor_role role;
	unsigned id;
	const char *address;
	struct harbor_key key;
	struct harbor_auth auth;
	struct harbor_reader in;
	struct harbor_buf out;
	struct harbor_seal tx, rx;
	int sealed_out;  /* our AUTH has gone: seal what follows */
	int up;          /* the link is open for actor messages */
	int closed;      /* we sent ERROR or met a bad frame */
	char why[200];   /* why we closed */
	uint32_t got;    /* actor messages received */
};

static void side_init(struct side *s, const char *name, enum harbor_role role, unsigned id,
                      const char *address, const struct harbor_key *key)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->role = role;
	s->id = id;
	s->address = address;
	s->key = *key;
	ck_assert_int_eq(harbor_auth_start(&s->auth, key, role, id, address), 0);
	harbor_reader_init(&s->in);
}

static void side_free(struct side *s)
{
	harbor_reader_free(&s->in);
	harbor_buf_free(&s->out);
	harbor_auth_wipe(&s->auth);
	harbor_seal_wipe(&s->tx);
	harbor_seal_wipe(&s->rx);
}

static void send_control(struct side *s, const harbor_Control *c)
{
	ck_assert_int_eq(harbor_control_append(&s->out, c, s->sealed_out ? &s->tx : NULL), 0);
}

static void send_hello(struct side *s)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_hello_tag;
	c.msg.hello.version = HARBOR_PROTOCOL_VERSION;
	c.msg.hello.node_id = s->id;
	snprintf(c.msg.hello.address, sizeof c.msg.hello.address, "%s", s->address);
	c.msg.hello.nonce.size = HARBOR_NONCE_BYTES;
	memcpy(c.msg.hello.nonce.bytes, harbor_auth_nonce(&s->auth), HARBOR_NONCE_BYTES);
	c.msg.hello.keyed = true;
	send_control(s, &c);
}

static void send_auth(struct side *s)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_auth_tag;
	c.msg.auth.proof.size = HARBOR_PROOF_BYTES;
	ck_assert_int_eq(harbor_auth_prove(&s->auth, c.msg.auth.proof.bytes), 0);
	send_control(s, &c);
	/* Every frame after our AUTH is sealed. */
	ck_assert_int_eq(harbor_auth_seal_keys(&s->auth, &s->tx, &s->rx), 0);
	s->sealed_out = 1;
}

static void close_with(struct side *s, int code, const char *why)
{
	harbor_Control c = harbor_Control_init_zero;
	c.which_msg = harbor_Control_error_tag;
	c.msg.error.code = code;
	snprintf(c.msg.error.text, sizeof c.msg.error.text, "%s", why);
	send_control(s, &c);
	snprintf(s->why, sizeof s->why, "%s", why);
	s->closed = 1;
}

static void on_control(struct side *s, const struct harbor_frame *f)
{
	harbor_Control c;
	char err[200];
	int code = harbor_control_decode(f, &c, err, sizeof err);
	if (code) {
		close_with(s, code, err);
		return;
	}
	switch (c.which_msg) {
	case harbor_Control_hello_tag:
		if (c.msg.hello.version != HARBOR_PROTOCOL_VERSION) {
			close_with(s, harbor_ErrorCode_ERROR_VERSION, "protocol version");
			return;
		}
		if (harbor_auth_peer(&s->auth, c.msg.hello.node_id, c.msg.hello.address,
		                     c.msg.hello.nonce.bytes, c.msg.hello.nonce.size) != 0) {
			close_with(s, harbor_ErrorCode_ERROR_AUTH, "bad HELLO");
			return;
		}
		if (s->role == HARBOR_RESPONDER)
			send_hello(s);
		else
			send_auth(s);
		return;
	case harbor_Control_auth_tag:
		if (harbor_auth_check(&s->auth, c.msg.auth.proof.bytes, c.msg.auth.proof.size) != 0) {
			close_with(s, harbor_ErrorCode_ERROR_AUTH, "wrong cluster key");
			return;
		}
		/* The peer seals everything after its AUTH. */
		harbor_reader_seal(&s->in, &s->rx);
		if (s->role == HARBOR_RESPONDER)
			send_auth(s);
		ck_assert(harbor_auth_done(&s->auth));
		harbor_reader_accept_actor(&s->in);
		s->up = 1;
		return;
	case harbor_Control_error_tag:
		snprintf(s->why, sizeof s->why, "peer: %s", c.msg.error.text);
		s->closed = 1;
		return;
	default:
		close_with(s, harbor_ErrorCode_ERROR_MESSAGE, "unexpected");
	}
}

/* Move everything `from` has written to `to`, in chunks of `chunk`
 * bytes, and let `to` act on each frame.  Returns bytes moved. */
static size_t pump(struct side *from, struct side *to, size_t chunk)
{
	size_t moved = 0;
	while (harbor_buf_pending(&from->out) && !to->closed) {
		size_t n = harbor_buf_pending(&from->out);
		if (n > chunk)
			n = chunk;
		unsigned char *c = malloc(n);
		memcpy(c, from->out.data + from->out.start, n);
		harbor_buf_consume(&from->out, n);
		moved += n;
		harbor_reader_feed(&to->in, c, n);
		struct harbor_frame f;
		int rc = HARBOR_FRAME_MORE;
		while (!to->closed && (rc = harbor_reader_next(&to->in, &f)) == HARBOR_FRAME_READY) {
			if (f.kind == HARBOR_KIND_CONTROL) {
				on_control(to, &f);
			} else {
				ck_assert_int_eq(f.msg.session, (int32_t)to->got);
				ck_assert_uint_eq(f.size, to->got);
				to->got++;
			}
		}
		if (!to->closed && rc < 0) {
			snprintf(to->why, sizeof to->why, "%s", harbor_frame_strerror(rc));
			to->closed = 1;
		}
		free(c);
	}
	return moved;
}

/* Run the handshake until nothing moves. */
static void run(struct side *i, struct side *r, size_t chunk)
{
	send_hello(i);
	while (pump(i, r, chunk) + pump(r, i, chunk) > 0)
		;
}

static void send_actor(struct side *s, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		struct harbor_msg m = {.type = 10, .session = (int32_t)k, .source = s->id << 24 | 1,
		                       .dest = 0x09000001};
		unsigned char payload[64] = {0};
		ck_assert_int_eq(harbor_frame_append(&s->out, HARBOR_KIND_ACTOR, &m, payload, k % 64, &s->tx), 0);
	}
}

START_TEST(test_over_frames)
{
	size_t chunk = (size_t[]){1, 7, 4096}[_i];
	struct harbor_key k = key_of(HEX_KEY);
	struct side i, r;
	side_init(&i, "node 1", HARBOR_INITIATOR, 1, "127.0.0.1:2526", &k);
	side_init(&r, "node 2", HARBOR_RESPONDER, 2, "127.0.0.1:2527", &k);
	run(&i, &r, chunk);
	ck_assert_msg(i.up && r.up, "i: %s / r: %s", i.why, r.why);
	send_actor(&i, 50);
	send_actor(&r, 60);
	pump(&i, &r, chunk);
	pump(&r, &i, chunk);
	ck_assert_uint_eq(r.got, 50);
	ck_assert_uint_eq(i.got, 60);
	ck_assert(!i.closed && !r.closed);
	side_free(&i);
	side_free(&r);
}
END_TEST

START_TEST(test_over_frames_other_key)
{
	struct harbor_key k = key_of(HEX_KEY), other = k;
	other.bytes[0] ^= 0x80;
	struct side i, r;
	side_init(&i, "node 1", HARBOR_INITIATOR, 1, "127.0.0.1:2526", &k);
	side_init(&r, "intruder", HARBOR_RESPONDER, 2, "127.0.0.1:2527", &other);
	run(&i, &r, 4096);
	ck_assert(!i.up && !r.up);
	ck_assert_str_eq(r.why, "wrong cluster key");
	/* The responder's frames are plain until its own AUTH, so the
	 * initiator can read the ERROR and log why. */
	ck_assert_str_eq(i.why, "peer: wrong cluster key");
	side_free(&i);
	side_free(&r);

	/* An initiator without the key, who skips AUTH and sends an actor
	 * message straight after HELLO: refused by the reader. */
	side_init(&i, "node 1", HARBOR_INITIATOR, 1, "127.0.0.1:2526", &k);
	side_init(&r, "node 2", HARBOR_RESPONDER, 2, "127.0.0.1:2527", &k);
	send_hello(&i);
	struct harbor_msg m = {.type = 0, .dest = 0x02000001};
	ck_assert_int_eq(harbor_frame_append(&i.out, HARBOR_KIND_ACTOR, &m, "x", 1, NULL), 0);
	pump(&i, &r, 4096);
	ck_assert(r.closed && !r.up);
	ck_assert_str_eq(r.why, harbor_frame_strerror(HARBOR_FRAME_EEARLY));
	side_free(&i);
	side_free(&r);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("harbor_auth");
	TCase *tk = tcase_create("key");
	tcase_add_test(tk, test_key_parse);
	tcase_add_test(tk, test_key_refused);
	tcase_add_test(tk, test_key_file);
	suite_add_tcase(s, tk);
	TCase *ta = tcase_create("handshake");
	tcase_add_test(ta, test_same_key);
	tcase_add_test(ta, test_other_key);
	tcase_add_test(ta, test_replayed_proof);
	tcase_add_test(ta, test_reflected_proof);
	tcase_add_test(ta, test_truncated);
	tcase_add_test(ta, test_changed_hello);
	tcase_add_loop_test(ta, test_over_frames, 0, 3);
	tcase_add_test(ta, test_over_frames_other_key);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
