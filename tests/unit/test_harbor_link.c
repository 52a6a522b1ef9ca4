/* test_harbor_link.c -- keepalive on a harbor link (harbor/link.c,
 * docs/harbor-wire.md "Keepalive"): two keyed links over a socketpair,
 * driven with made-up clock values, so that each rule is checked at its
 * exact boundary: a PING after a third of the time, a close after all of
 * it, no blame for a pause of our own, the handshake deadline, bytes
 * going out counting as life, and 0 turning it off. */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harbor/link.h"

#define K 3000u /* keepalive, ms */

static struct harbor_key key;
static int pongs;

static void on_up(struct link *l, void *ud)
{
	(void)l;
	(void)ud;
}

/* Count PONGs: the link itself answers a PING. */
static void on_control(struct link *l, const harbor_Control *c, void *ud)
{
	(void)l;
	(void)ud;
	if (c->which_msg == harbor_Control_pong_tag)
		pongs++;
}

static void on_actor(struct link *l, const struct harbor_frame *f, void *ud)
{
	(void)l;
	(void)f;
	(void)ud;
}

static void on_bad(struct link *l, const char *why, void *ud)
{
	(void)l;
	(void)why;
	(void)ud;
}

static const struct link_ops ops = { on_up, on_control, on_actor, on_bad };

static void pump(struct link *a, struct link *b)
{
	for (int i = 0; i < 20; i++) {
		link_io(a, POLLIN, &ops, NULL);
		link_io(b, POLLIN, &ops, NULL);
	}
}

static void open_pair(struct link **a, struct link **b)
{
	char err[128];
	ck_assert_int_eq(harbor_key_parse(&key,
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		err, sizeof err), 0);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	*a = link_new(sv[0], LINK_PEER, HARBOR_INITIATOR, false, 1, "a:1", &key);
	*b = link_new(sv[1], LINK_PEER, HARBOR_RESPONDER, false, 2, "b:2", &key);
	pump(*a, *b);
	ck_assert_int_eq((*a)->state, LINK_UP);
	ck_assert_int_eq((*b)->state, LINK_UP);
	pongs = 0;
}

/* The last sign of life the rules count from. */
static uint64_t heard(const struct link *l)
{
	return l->last_rx_ms > l->last_tx_ms ? l->last_rx_ms : l->last_tx_ms;
}

START_TEST(test_ping_answered)
{
	struct link *a, *b;
	open_pair(&a, &b);
	uint64_t t = heard(a);
	link_keepalive(a, t + K / 3 - 1, K);
	ck_assert_uint_eq(harbor_buf_pending(&a->out), 0);
	link_keepalive(a, t + K / 3, K);
	ck_assert_uint_gt(harbor_buf_pending(&a->out), 0); /* the PING */
	pump(a, b);
	ck_assert_int_eq(pongs, 1);
	ck_assert_uint_eq(a->ping_ms, 0);
	link_keepalive(a, heard(a) + K - 1, K); /* a new PING, no close */
	ck_assert_int_eq(a->state, LINK_UP);
	link_free(a);
	link_free(b);
}
END_TEST

START_TEST(test_silence_closes)
{
	struct link *a, *b;
	open_pair(&a, &b);
	uint64_t t = heard(a);
	link_keepalive(a, t + K / 3, K); /* PING, never read by b */
	link_keepalive(a, t + K - 1, K);
	ck_assert_int_eq(a->state, LINK_UP);
	link_keepalive(a, t + K, K);
	ck_assert_int_eq(a->state, LINK_CLOSED);
	ck_assert_ptr_nonnull(strstr(a->why, "(keepalive)"));
	ck_assert(!a->refused);
	link_free(a);
	link_free(b);
}
END_TEST

/* This process was paused past the whole time: PING first, and give the
 * peer a third to answer, instead of closing at once. */
START_TEST(test_own_pause)
{
	struct link *a, *b;
	open_pair(&a, &b);
	uint64_t now = heard(a) + 10 * K;
	link_keepalive(a, now, K);
	ck_assert_int_eq(a->state, LINK_UP);
	ck_assert_uint_eq(a->ping_ms, now);
	link_keepalive(a, now + K / 3 - 1, K);
	ck_assert_int_eq(a->state, LINK_UP);
	link_keepalive(a, now + K / 3, K);
	ck_assert_int_eq(a->state, LINK_CLOSED);
	link_free(a);
	link_free(b);
}
END_TEST

/* A peer that connected and says nothing (or a stopped one that the
 * kernel accepted for) is closed after the whole time, and logged as
 * refused on the side it connected to. */
START_TEST(test_handshake_deadline)
{
	char err[128];
	ck_assert_int_eq(harbor_key_parse(&key,
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		err, sizeof err), 0);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct link *l = link_new(sv[1], LINK_PEER, HARBOR_RESPONDER, false, 2, "b:2", &key);
	uint64_t t = l->last_rx_ms;
	link_keepalive(l, t + K - 1, K);
	ck_assert_int_eq(l->state, LINK_HELLO);
	ck_assert_uint_eq(harbor_buf_pending(&l->out), 0); /* no PING before HELLO */
	link_keepalive(l, t + K, K);
	ck_assert_int_eq(l->state, LINK_CLOSED);
	ck_assert(l->refused);
	ck_assert_str_eq(l->why, "handshake not done in 3000 ms");
	link_free(l);
	close(sv[0]);
}
END_TEST

/* Our PING waits behind a backlog the peer is still reading: bytes going
 * out keep the link alive. */
START_TEST(test_sending_counts)
{
	struct link *a, *b;
	open_pair(&a, &b);
	uint64_t t = heard(a);
	link_keepalive(a, t + K / 3, K);
	a->last_tx_ms = t + K / 2; /* the socket took bytes then */
	link_keepalive(a, t + K, K);
	ck_assert_int_eq(a->state, LINK_UP);
	link_keepalive(a, t + K / 2 + K, K);
	ck_assert_int_eq(a->state, LINK_CLOSED);
	link_free(a);
	link_free(b);
}
END_TEST

START_TEST(test_off)
{
	struct link *a, *b;
	open_pair(&a, &b);
	link_keepalive(a, heard(a) + 100 * K, 0);
	ck_assert_int_eq(a->state, LINK_UP);
	ck_assert_uint_eq(harbor_buf_pending(&a->out), 0);
	link_free(a);
	link_free(b);
}
END_TEST

static Suite *link_suite(void)
{
	Suite *s = suite_create("harbor_link");
	TCase *tc = tcase_create("keepalive");
	tcase_add_test(tc, test_ping_answered);
	tcase_add_test(tc, test_silence_closes);
	tcase_add_test(tc, test_own_pause);
	tcase_add_test(tc, test_handshake_deadline);
	tcase_add_test(tc, test_sending_counts);
	tcase_add_test(tc, test_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(link_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
