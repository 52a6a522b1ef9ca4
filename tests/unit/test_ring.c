/* test_ring.c -- single-process tests of the SPSC byte ring (shm/ring.c):
 * framing, wrap-around, full ring with streamed records, records much
 * bigger than the ring, empty payloads, and the overflow-queue pattern a
 * sender uses so that it never blocks and never reorders. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shm/ring.h"

struct fixture {
	struct ring *r;
	struct ring_tx tx;
	struct ring_rx rx;
};

static void fx_open(struct fixture *f, size_t capacity)
{
	/* aligned_alloc wants a multiple of the alignment. */
	f->r = aligned_alloc(64, (ring_size(capacity) + 63) & ~(size_t)63);
	ck_assert_ptr_nonnull(f->r);
	ring_init(f->r, capacity);
	ring_tx_attach(&f->tx, f->r);
	ring_rx_attach(&f->rx, f->r);
}

static void fx_close(struct fixture *f)
{
	ring_rx_drop_partial(&f->rx);
	free(f->r);
}

/* Payload byte i of message `seq`: cheap, and differs between messages so
 * that a reordering or a misplaced copy shows. */
static unsigned char pat(uint32_t seq, size_t i)
{
	return (unsigned char)(seq * 131u + i * 7u + (i >> 8));
}

static unsigned char *make_payload(uint32_t seq, uint32_t size)
{
	if (size == 0)
		return NULL;
	unsigned char *p = malloc(size);
	for (size_t i = 0; i < size; i++)
		p[i] = pat(seq, i);
	return p;
}

static struct ring_hdr make_hdr(uint32_t seq, uint32_t size)
{
	struct ring_hdr h = {
		.size = size, .type = seq % 13, .session = (int32_t)seq,
		.source = 0x01000000u | seq, .dest = ~seq, .aux = seq * 3u,
	};
	return h;
}

static void check_msg(const struct ring_hdr *h, void *payload, uint32_t seq, uint32_t size)
{
	ck_assert_uint_eq(h->size, size);
	ck_assert_int_eq(h->session, (int32_t)seq);
	ck_assert_uint_eq(h->type, seq % 13);
	ck_assert_uint_eq(h->source, 0x01000000u | seq);
	ck_assert_uint_eq(h->dest, ~seq);
	ck_assert_uint_eq(h->aux, seq * 3u);
	if (size == 0) {
		ck_assert_ptr_null(payload);
		return;
	}
	ck_assert_ptr_nonnull(payload);
	const unsigned char *p = payload;
	for (size_t i = 0; i < size; i++)
		if (p[i] != pat(seq, i))
			ck_abort_msg("seq %u byte %zu: got %u want %u", seq, i, p[i], pat(seq, i));
}

/* Push a record that is known to fit. */
static void send_one(struct fixture *f, uint32_t seq, uint32_t size)
{
	struct ring_hdr h = make_hdr(seq, size);
	unsigned char *p = make_payload(seq, size);
	size_t progress = 0;
	ck_assert(ring_tx_push(&f->tx, &h, p, &progress));
	free(p);
}

static void recv_one(struct fixture *f, uint32_t seq, uint32_t size)
{
	struct ring_hdr h;
	void *p = NULL;
	ck_assert(ring_rx_next(&f->rx, &h, &p));
	check_msg(&h, p, seq, size);
	free(p);
}

static size_t record_bytes(uint32_t size)
{
	return sizeof(struct ring_hdr) + ((size + 7u) & ~7u);
}

START_TEST(test_basic)
{
	struct fixture f;
	fx_open(&f, 4096);
	struct ring_hdr h;
	void *p;

	ck_assert(!ring_rx_next(&f.rx, &h, &p));
	ck_assert(!ring_rx_pending(&f.rx));
	ck_assert(!ring_tx_commit(&f.tx));

	send_one(&f, 1, 5);
	send_one(&f, 2, 64);
	send_one(&f, 3, 1000);
	/* Nothing is visible before the commit. */
	ck_assert(!ring_rx_pending(&f.rx));
	ck_assert(!ring_rx_next(&f.rx, &h, &p));

	ck_assert(ring_tx_commit(&f.tx));
	ck_assert(!ring_tx_commit(&f.tx));
	ck_assert(ring_rx_pending(&f.rx));
	recv_one(&f, 1, 5);
	recv_one(&f, 2, 64);
	recv_one(&f, 3, 1000);
	ck_assert(!ring_rx_next(&f.rx, &h, &p));
	ck_assert(!ring_rx_pending(&f.rx));

	/* Positions count padded records, and head is only released by the
	 * consumer's commit. */
	uint64_t used = record_bytes(5) + record_bytes(64) + record_bytes(1000);
	ck_assert_uint_eq(atomic_load(&f.r->tail), used);
	ck_assert_uint_eq(atomic_load(&f.r->head), 0);
	ring_rx_commit(&f.rx);
	ck_assert_uint_eq(atomic_load(&f.r->head), used);
	ck_assert_uint_eq(ring_size(4096), sizeof(struct ring) + 4096);
	fx_close(&f);
}
END_TEST

/* Move both positions to offset `off` of the data area with filler
 * records, so that the next record starts exactly there. */
static void advance_to(struct fixture *f, size_t cap, size_t off, uint32_t *seq)
{
	for (;;) {
		size_t gap = (off - (f->tx.tail & (cap - 1))) & (cap - 1);
		if (gap == 0)
			return;
		/* A filler is at least a header: if the gap is smaller, go
		 * half way round and try again. */
		uint32_t size = (uint32_t)((gap >= 24 ? gap : cap / 2) - 24);
		send_one(f, *seq, size);
		ring_tx_commit(&f->tx);
		recv_one(f, *seq, size);
		ring_rx_commit(&f->rx);
		(*seq)++;
	}
}

START_TEST(test_wrap_header_straddles)
{
	const size_t cap = 256;
	struct fixture f;
	fx_open(&f, cap);
	uint32_t seq = 0;

	/* Header starting 8 and 16 bytes before the end: split 8/16, 16/8. */
	for (size_t back = 8; back <= 16; back += 8) {
		advance_to(&f, cap, cap - back, &seq);
		ck_assert_uint_eq(f.rx.head & (cap - 1), cap - back);
		send_one(&f, seq, 40);
		ring_tx_commit(&f.tx);
		recv_one(&f, seq, 40);
		ring_rx_commit(&f.rx);
		seq++;
	}
	/* Payload straddling the end, header just before it. */
	advance_to(&f, cap, cap - 64, &seq);
	send_one(&f, seq, 100);
	ring_tx_commit(&f.tx);
	recv_one(&f, seq, 100);
	ring_rx_commit(&f.rx);
	seq++;
	/* A record of the full capacity, starting mid-ring. */
	advance_to(&f, cap, 104, &seq);
	send_one(&f, seq, (uint32_t)(cap - 24));
	ring_tx_commit(&f.tx);
	recv_one(&f, seq, (uint32_t)(cap - 24));
	ring_rx_commit(&f.rx);
	fx_close(&f);
}
END_TEST

/* Sizes chosen so records start at every offset of a small ring. */
START_TEST(test_wrap_all_offsets)
{
	const size_t cap = 1024;
	struct fixture f;
	fx_open(&f, cap);
	uint32_t seq = 0, rseq = 0;
	static const uint32_t sizes[] = { 0, 1, 7, 8, 9, 13, 31, 64, 100, 200, 255, 3 };
	const size_t nsizes = sizeof sizes / sizeof sizes[0];

	for (int round = 0; round < 5000; round++) {
		/* Send a few, then read them all back, so both sides cross the
		 * end at varying points. */
		int burst = 1 + round % 3;
		for (int i = 0; i < burst; i++, seq++)
			send_one(&f, seq, sizes[seq % nsizes]);
		ring_tx_commit(&f.tx);
		for (; rseq < seq; rseq++)
			recv_one(&f, rseq, sizes[rseq % nsizes]);
		ring_rx_commit(&f.rx);
	}
	ck_assert_uint_gt(f.tx.tail, 100 * cap);
	fx_close(&f);
}
END_TEST

START_TEST(test_full_then_continue)
{
	const size_t cap = 256;
	struct fixture f;
	fx_open(&f, cap);
	struct ring_hdr h;
	void *p;
	const uint32_t size = 50; /* 80-byte records: three fit, the 4th half */
	ck_assert_uint_eq(record_bytes(size), 80);

	struct ring_hdr hs[5];
	unsigned char *ps[5];
	size_t prog[5] = { 0 };
	for (uint32_t i = 0; i < 5; i++) {
		hs[i] = make_hdr(i, size);
		ps[i] = make_payload(i, size);
	}
	for (int i = 0; i < 3; i++)
		ck_assert(ring_tx_push(&f.tx, &hs[i], ps[i], &prog[i]));
	ck_assert(!ring_tx_push(&f.tx, &hs[3], ps[3], &prog[3]));
	ck_assert_uint_eq(prog[3], cap - 240);
	/* Still full: no progress, no write. */
	ck_assert(!ring_tx_push(&f.tx, &hs[3], ps[3], &prog[3]));
	ck_assert_uint_eq(prog[3], 16);
	ck_assert(ring_tx_commit(&f.tx));

	for (uint32_t i = 0; i < 3; i++)
		recv_one(&f, i, size);
	/* Only 16 bytes of the 4th header are there. */
	ck_assert(!ring_rx_next(&f.rx, &h, &p));
	ck_assert_uint_eq(f.rx.got, 16);
	ring_rx_commit(&f.rx);

	/* The producer continues where it stopped; the 5th goes after it. */
	ck_assert(ring_tx_push(&f.tx, &hs[3], ps[3], &prog[3]));
	ck_assert_uint_eq(prog[3], 80);
	ck_assert(ring_tx_push(&f.tx, &hs[4], ps[4], &prog[4]));
	ring_tx_commit(&f.tx);
	recv_one(&f, 3, size);
	recv_one(&f, 4, size);
	ck_assert(!ring_rx_next(&f.rx, &h, &p));
	for (int i = 0; i < 5; i++)
		free(ps[i]);
	fx_close(&f);
}
END_TEST

/* Interleave one push+commit with one rx_next, calling ring_rx_commit
 * only once the record is complete: while reassembling, ring_rx_next must
 * release space by itself or this deadlocks (the push makes no progress
 * and the loop bound trips). */
static void stream_big(struct fixture *f, uint32_t seq, uint32_t size)
{
	struct ring_hdr h = make_hdr(seq, size), got;
	unsigned char *src = make_payload(seq, size);
	size_t progress = 0;
	bool sent = false, received = false;
	void *dst = NULL;
	long rounds = 0;

	while (!received) {
		ck_assert_int_lt(++rounds, 10 * 1000 * 1000);
		if (!sent) {
			sent = ring_tx_push(&f->tx, &h, src, &progress);
			ring_tx_commit(&f->tx);
		}
		received = ring_rx_next(&f->rx, &got, &dst);
	}
	/* The tail end of the record is released the normal way. */
	ring_rx_commit(&f->rx);
	ck_assert(sent);
	ck_assert_uint_eq(got.size, size);
	ck_assert_int_eq(got.session, (int32_t)seq);
	ck_assert(size == 0 || memcmp(dst, src, size) == 0);
	free(src);
	free(dst);
}

START_TEST(test_huge_record)
{
	struct fixture f;
	fx_open(&f, 64 * 1024);

	send_one(&f, 1, 10);
	ring_tx_commit(&f.tx);
	recv_one(&f, 1, 10);
	stream_big(&f, 2, 16u * 1024 * 1024);
	/* Framing holds after it, and an odd size leaves padding to skip. */
	stream_big(&f, 3, 16u * 1024 * 1024 + 5);
	send_one(&f, 4, 3);
	ring_tx_commit(&f.tx);
	recv_one(&f, 4, 3);
	ring_rx_commit(&f.rx);
	ck_assert_uint_eq(atomic_load(&f.r->head), atomic_load(&f.r->tail));
	fx_close(&f);
}
END_TEST

/* A record exactly one byte larger than fits, with a tiny ring. */
START_TEST(test_tiny_ring)
{
	struct fixture f;
	fx_open(&f, 8);
	stream_big(&f, 7, 0);
	stream_big(&f, 8, 1);
	stream_big(&f, 9, 1000);
	fx_close(&f);
}
END_TEST

START_TEST(test_zero_size)
{
	struct fixture f;
	fx_open(&f, 128);
	for (uint32_t i = 0; i < 1000; i++) {
		struct ring_hdr h = make_hdr(i, 0);
		size_t progress = 0;
		if (!ring_tx_push(&f.tx, &h, NULL, &progress)) {
			/* Full (128 / 24-byte records): drain and retry the rest. */
			ck_assert(ring_tx_commit(&f.tx));
			uint32_t first = i - (uint32_t)((f.tx.tail - f.rx.head) / 24);
			for (uint32_t j = first; j < i; j++)
				recv_one(&f, j, 0);
			ring_rx_commit(&f.rx);
			ck_assert(ring_tx_push(&f.tx, &h, NULL, &progress));
		}
		ck_assert_uint_eq(progress, 24);
	}
	ring_tx_commit(&f.tx);
	uint32_t left = (uint32_t)((f.tx.tail - f.rx.head) / 24);
	for (uint32_t j = 1000 - left; j < 1000; j++)
		recv_one(&f, j, 0);
	ck_assert(!ring_rx_pending(&f.rx));
	fx_close(&f);
}
END_TEST

/* The sender side of a ring as a worker uses it: when the ring is full,
 * messages wait in an ordered private queue (the head one possibly half
 * written), and later messages go behind them, never straight to the ring,
 * so order holds and the sender never blocks. */
struct pending {
	struct ring_hdr h;
	unsigned char *payload;
	size_t progress;
};

struct overflow {
	struct pending *q;
	size_t first, count, cap; /* cap is a power of two */
};

static void ov_append(struct overflow *o, const struct ring_hdr *h, unsigned char *payload,
                      size_t progress)
{
	if (o->count == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 16;
		struct pending *nq = malloc(ncap * sizeof *nq);
		for (size_t i = 0; i < o->count; i++)
			nq[i] = o->q[(o->first + i) & (o->cap - 1)];
		free(o->q);
		o->q = nq;
		o->first = 0;
		o->cap = ncap;
	}
	struct pending *e = &o->q[(o->first + o->count) & (o->cap - 1)];
	e->h = *h;
	e->payload = payload;
	e->progress = progress;
	o->count++;
}

/* Push queued messages in order until the ring is full.  Returns true
 * when the queue is empty. */
static bool ov_drain(struct overflow *o, struct ring_tx *tx)
{
	while (o->count) {
		struct pending *e = &o->q[o->first];
		if (!ring_tx_push(tx, &e->h, e->payload, &e->progress))
			return false;
		free(e->payload);
		o->first = (o->first + 1) & (o->cap - 1);
		o->count--;
	}
	return true;
}

/* Send without blocking: straight into the ring if nothing is queued,
 * otherwise (or if it does not fit whole) behind the queue.  Takes
 * ownership of payload. */
static void ov_send(struct overflow *o, struct ring_tx *tx, const struct ring_hdr *h,
                    unsigned char *payload)
{
	size_t progress = 0;
	if (ov_drain(o, tx) && ring_tx_push(tx, h, payload, &progress)) {
		free(payload);
		return;
	}
	ov_append(o, h, payload, progress);
}

START_TEST(test_overflow_queue)
{
	struct fixture f;
	fx_open(&f, 1024);
	struct overflow o = { 0 };
	const uint32_t n = 20000;
	uint32_t rseq = 0;
	size_t max_queued = 0;
	uint64_t state = 12345;
	uint32_t *sizes = malloc(n * sizeof *sizes);

	for (uint32_t seq = 0; seq < n; seq++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		/* Mostly small, some bigger than the ring. */
		uint32_t size = (state >> 33) % 16 == 0 ? (uint32_t)(state >> 40) % 5000
		                                         : (uint32_t)(state >> 40) % 200;
		sizes[seq] = size;
		struct ring_hdr h = make_hdr(seq, size);
		ov_send(&o, &f.tx, &h, make_payload(seq, size));
		ring_tx_commit(&f.tx);
		if (o.count > max_queued)
			max_queued = o.count;

		/* A slow consumer: reads a few messages now and then. */
		if (seq % 7 == 0) {
			struct ring_hdr rh;
			void *p;
			for (int i = 0; i < 4 && ring_rx_next(&f.rx, &rh, &p); i++, rseq++) {
				ck_assert_uint_lt(rseq, n);
				check_msg(&rh, p, rseq, sizes[rseq]);
				free(p);
			}
			ring_rx_commit(&f.rx);
		}
	}
	ck_assert_uint_gt(max_queued, 100); /* the queue was really used */

	/* Drain the rest. */
	long rounds = 0;
	while (rseq < n) {
		ck_assert_int_lt(++rounds, 10 * 1000 * 1000);
		ov_drain(&o, &f.tx);
		ring_tx_commit(&f.tx);
		struct ring_hdr rh;
		void *p;
		while (ring_rx_next(&f.rx, &rh, &p)) {
			ck_assert_uint_lt(rseq, n);
			check_msg(&rh, p, rseq, sizes[rseq]);
			free(p);
			rseq++;
		}
		ring_rx_commit(&f.rx);
	}
	ck_assert_uint_eq(o.count, 0);
	free(sizes);
	free(o.q);
	fx_close(&f);
}
END_TEST

/* A producer dies half way through a record: the consumer drops the
 * fragment and a new producer carries on from the published tail. */
START_TEST(test_drop_partial)
{
	struct fixture f;
	fx_open(&f, 256);
	struct ring_hdr h = make_hdr(1, 1000), got;
	unsigned char *src = make_payload(1, 1000);
	size_t progress = 0;
	void *p;

	ck_assert(!ring_tx_push(&f.tx, &h, src, &progress));
	ring_tx_commit(&f.tx);
	ck_assert(!ring_rx_next(&f.rx, &got, &p));
	ck_assert_uint_eq(f.rx.got, 256);
	ck_assert_ptr_nonnull(f.rx.buf);
	ring_rx_drop_partial(&f.rx);
	ck_assert_uint_eq(f.rx.got, 0);
	ck_assert_ptr_null(f.rx.buf);
	ring_rx_commit(&f.rx);

	struct ring_tx tx2;
	ring_tx_attach(&tx2, f.r);
	f.tx = tx2;
	send_one(&f, 2, 30);
	ring_tx_commit(&f.tx);
	recv_one(&f, 2, 30);
	free(src);
	fx_close(&f);
}
END_TEST

/* The producer died with unread data: the consumer skips all of it,
 * including a half-read record, and reads what a new producer sends. */
START_TEST(test_rx_discard)
{
	struct fixture f;
	fx_open(&f, 256);
	struct ring_hdr h = make_hdr(2, 1000), got;
	unsigned char *src = make_payload(2, 1000);
	size_t progress = 0;
	void *p;

	send_one(&f, 1, 10);
	ck_assert(!ring_tx_push(&f.tx, &h, src, &progress));
	ring_tx_commit(&f.tx);
	recv_one(&f, 1, 10);
	ck_assert(!ring_rx_next(&f.rx, &got, &p));
	ck_assert_uint_gt(f.rx.got, 0);

	ring_rx_discard(&f.rx);
	ck_assert_uint_eq(f.rx.got, 0);
	ck_assert_ptr_null(f.rx.buf);
	ck_assert_uint_eq(atomic_load(&f.r->head), atomic_load(&f.r->tail));
	ck_assert(!ring_rx_pending(&f.rx));

	ring_tx_attach(&f.tx, f.r);
	send_one(&f, 3, 20);
	ring_tx_commit(&f.tx);
	recv_one(&f, 3, 20);
	free(src);
	fx_close(&f);
}
END_TEST

/* The consumer died with unread data: the producer drops it, and a new
 * consumer starts with the next message. */
START_TEST(test_tx_discard)
{
	struct fixture f;
	fx_open(&f, 256);

	send_one(&f, 1, 10);
	send_one(&f, 2, 10);
	ring_tx_commit(&f.tx);
	send_one(&f, 3, 10); /* pushed, never committed */
	ring_tx_discard(&f.tx);
	ck_assert_uint_eq(atomic_load(&f.r->head), atomic_load(&f.r->tail));

	ring_rx_attach(&f.rx, f.r);
	ck_assert(!ring_rx_pending(&f.rx));
	send_one(&f, 4, 10);
	ring_tx_commit(&f.tx);
	recv_one(&f, 4, 10);
	fx_close(&f);
}
END_TEST

/* ring_rx_drain: records in order, at most `max` per call, and the
 * producer sees the space back only from the drain that took them. */
struct drain_seen {
	uint32_t next;
};

static void drain_check(void *ud, const struct ring_hdr *h, void *payload)
{
	struct drain_seen *d = ud;
	check_msg(h, payload, d->next, d->next % 50);
	free(payload);
	d->next++;
}

START_TEST(test_rx_drain)
{
	struct fixture f;
	fx_open(&f, 4096);
	for (uint32_t seq = 0; seq < 10; seq++)
		send_one(&f, seq, seq % 50);
	ring_tx_commit(&f.tx);
	struct drain_seen d = { 0 };
	ck_assert_uint_eq(ring_rx_drain(&f.rx, 4, drain_check, &d), 4);
	ck_assert_uint_eq(d.next, 4);
	ck_assert_uint_eq(atomic_load(&f.r->head), f.rx.head);
	ck_assert_uint_eq(ring_rx_drain(&f.rx, 100, drain_check, &d), 6);
	ck_assert_uint_eq(d.next, 10);
	ck_assert_uint_eq(atomic_load(&f.r->head), atomic_load(&f.r->tail));
	ck_assert_uint_eq(ring_rx_drain(&f.rx, 100, drain_check, &d), 0);
	fx_close(&f);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_wrap_header_straddles);
	tcase_add_test(tc, test_wrap_all_offsets);
	tcase_add_test(tc, test_full_then_continue);
	tcase_add_test(tc, test_huge_record);
	tcase_add_test(tc, test_tiny_ring);
	tcase_add_test(tc, test_zero_size);
	tcase_add_test(tc, test_overflow_queue);
	tcase_add_test(tc, test_drop_partial);
	tcase_add_test(tc, test_rx_discard);
	tcase_add_test(tc, test_tx_discard);
	tcase_add_test(tc, test_rx_drain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
