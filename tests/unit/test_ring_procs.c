/* test_ring_procs.c -- the SPSC ring between two real processes.
 *
 * A parent (producer) and a forked child (consumer) share a 1 MiB ring in
 * a MAP_SHARED|MAP_ANONYMOUS mapping.  The parent sends N messages
 * (ACTORD_RING_MESSAGES, default 10 million) of log-uniform random sizes
 * from 0 B to 64 KiB, so both tiny records and records far bigger than
 * the free space occur; each payload is a PRNG stream seeded by the
 * sequence number.  The producer never blocks: what does not fit waits in
 * an ordered overflow queue (its head possibly half written) and is pushed
 * later; it spins only when the ring and its queue are both full.  The
 * child checks order, size, checksum and every byte, and reports through
 * its exit status.
 *
 * A second case sends a few hundred messages of up to 16 MiB through a
 * 64 KiB ring, so nearly every record is streamed and reassembled while
 * both sides run.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/ring.h"

#define QUEUE_MAX 64            /* producer's overflow queue: messages ... */
#define QUEUE_BYTES (4u << 20)  /* ... and bytes */
#define COMMIT_EVERY 64         /* messages per published batch */

/* One run, set up before the fork and read-only afterwards except for
 * consumer_failed. */
struct shared {
	_Alignas(64) _Atomic int consumer_failed;
	uint64_t messages;
	unsigned max_k;          /* size classes 0..max_k */
	uint32_t max_payload;
	uint64_t commit_bytes;   /* also publish after this many bytes, so
	                          * big messages pipeline */
	_Alignas(64) struct ring ring; /* must stay last: data[] follows */
};

/* Wait a little for the other side.  Mostly a pause; now and then a
 * yield, so that when the two processes share a CPU with other work (a
 * busy VM, meson running tests in parallel) the one we wait for gets to
 * run instead of us burning the whole time slice. */
static inline void spin_wait(unsigned *spins)
{
	if (++*spins % 256)
		__builtin_ia32_pause();
	else
		sched_yield();
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t xorshift64(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Size class k (0..max_k) and size (uniform in [0, 2^k], capped) of
 * message seq: a pure function, so the consumer can recompute it. */
static uint32_t msg_size(const struct shared *sh, uint64_t seq, uint32_t *k)
{
	uint64_t r = splitmix64(seq ^ 0x5151515151515151ull);
	*k = (uint32_t)(r % (sh->max_k + 1));
	uint64_t size = (r >> 8) % ((1ull << *k) + 1);
	return size > sh->max_payload ? sh->max_payload : (uint32_t)size;
}

/* The payload of message seq is a stream of 8-byte words from four
 * interleaved xorshift64 generators (word i from lane i % 4): one
 * generator is a serial chain of shifts and xors, four keep the CPU busy,
 * which matters at 38 GB of payload for 10 million messages.  The
 * checksum is a Fletcher-style pair of sums per lane, also independent
 * chains. */
#define LANES 4

struct stream {
	uint64_t x[LANES];
	uint64_t s1[LANES], s2[LANES];
};

static inline void stream_init(struct stream *st, uint64_t seq)
{
	uint64_t seed = splitmix64(seq);
	for (int j = 0; j < LANES; j++) {
		st->x[j] = splitmix64(seed + (uint64_t)j) | 1;
		st->s1[j] = st->s2[j] = 0;
	}
}

static inline void sum_word(struct stream *st, int j, uint64_t w)
{
	st->s1[j] += w;
	st->s2[j] += st->s1[j];
}

static inline uint32_t stream_sum(const struct stream *st)
{
	uint64_t x = 0;
	for (int j = 0; j < LANES; j++)
		x = (x ^ st->s1[j] ^ (st->s2[j] * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return (uint32_t)(x ^ (x >> 32));
}

static inline uint64_t tail_mask(size_t rem)
{
	return rem ? (~0ull >> (64 - 8 * rem)) : 0;
}

/* Fill p with the stream of message seq; returns the checksum.  The
 * state is copied to locals: stores through p could alias it otherwise,
 * and the compiler would reload it for every word. */
static uint32_t fill(unsigned char *p, uint32_t size, uint64_t seq)
{
	struct stream st;
	size_t words = size / 8, rem = size % 8, i = 0;

	stream_init(&st, seq);
	uint64_t x0 = st.x[0], x1 = st.x[1], x2 = st.x[2], x3 = st.x[3];
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
	for (; i + LANES <= words; i += LANES) {
		x0 = xorshift64(x0);
		x1 = xorshift64(x1);
		x2 = xorshift64(x2);
		x3 = xorshift64(x3);
		memcpy(p + 8 * i, &x0, 8);
		memcpy(p + 8 * i + 8, &x1, 8);
		memcpy(p + 8 * i + 16, &x2, 8);
		memcpy(p + 8 * i + 24, &x3, 8);
		a0 += x0, b0 += a0;
		a1 += x1, b1 += a1;
		a2 += x2, b2 += a2;
		a3 += x3, b3 += a3;
	}
	st.x[0] = x0, st.x[1] = x1, st.x[2] = x2, st.x[3] = x3;
	st.s1[0] = a0, st.s1[1] = a1, st.s1[2] = a2, st.s1[3] = a3;
	st.s2[0] = b0, st.s2[1] = b1, st.s2[2] = b2, st.s2[3] = b3;
	for (; i < words; i++) {
		uint64_t w = st.x[i % LANES] = xorshift64(st.x[i % LANES]);
		memcpy(p + 8 * i, &w, 8);
		sum_word(&st, i % LANES, w);
	}
	if (rem) {
		uint64_t w = xorshift64(st.x[i % LANES]);
		memcpy(p + 8 * i, &w, rem);
		sum_word(&st, i % LANES, w & tail_mask(rem));
	}
	return stream_sum(&st);
}

/* Compare p with the stream of message seq; true if every byte matches.
 * *sum gets the checksum of the bytes actually received. */
static bool verify(const unsigned char *p, uint32_t size, uint64_t seq, uint32_t *sum)
{
	struct stream st;
	size_t words = size / 8, rem = size % 8, i = 0;
	uint64_t diff = 0;

	stream_init(&st, seq);
	uint64_t x0 = st.x[0], x1 = st.x[1], x2 = st.x[2], x3 = st.x[3];
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
	for (; i + LANES <= words; i += LANES) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, p + 8 * i, 8);
		memcpy(&w1, p + 8 * i + 8, 8);
		memcpy(&w2, p + 8 * i + 16, 8);
		memcpy(&w3, p + 8 * i + 24, 8);
		x0 = xorshift64(x0);
		x1 = xorshift64(x1);
		x2 = xorshift64(x2);
		x3 = xorshift64(x3);
		diff |= (w0 ^ x0) | (w1 ^ x1) | (w2 ^ x2) | (w3 ^ x3);
		a0 += w0, b0 += a0;
		a1 += w1, b1 += a1;
		a2 += w2, b2 += a2;
		a3 += w3, b3 += a3;
	}
	st.x[0] = x0, st.x[1] = x1, st.x[2] = x2, st.x[3] = x3;
	st.s1[0] = a0, st.s1[1] = a1, st.s1[2] = a2, st.s1[3] = a3;
	st.s2[0] = b0, st.s2[1] = b1, st.s2[2] = b2, st.s2[3] = b3;
	for (; i < words; i++) {
		uint64_t w;
		memcpy(&w, p + 8 * i, 8);
		st.x[i % LANES] = xorshift64(st.x[i % LANES]);
		diff |= w ^ st.x[i % LANES];
		sum_word(&st, i % LANES, w);
	}
	if (rem) {
		uint64_t w = 0;
		memcpy(&w, p + 8 * i, rem);
		diff |= (w ^ xorshift64(st.x[i % LANES])) & tail_mask(rem);
		sum_word(&st, i % LANES, w);
	}
	*sum = stream_sum(&st);
	return diff == 0;
}

static uint64_t messages_wanted(void)
{
	const char *s = getenv("ACTORD_RING_MESSAGES");
	if (s && *s) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0' && n > 0)
			return n;
	}
	return 10 * 1000 * 1000;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- consumer (child) ---- */

static int consumer_fail(struct shared *sh, const char *what, uint64_t seq)
{
	fprintf(stderr, "consumer: message %" PRIu64 ": %s\n", seq, what);
	atomic_store(&sh->consumer_failed, 1);
	return 1;
}

static int check_one(struct shared *sh, const struct ring_hdr *h, const void *p, uint64_t seq)
{
	uint32_t k, size = msg_size(sh, seq, &k), sum;

	if (h->session != (int32_t)seq)
		return consumer_fail(sh, "out of order", seq);
	if (h->size != size || h->type != k)
		return consumer_fail(sh, "wrong size", seq);
	if ((size == 0) != (p == NULL))
		return consumer_fail(sh, "payload pointer does not match size", seq);
	if (!verify(p, size, seq, &sum))
		return consumer_fail(sh, "content differs", seq);
	if (sum != h->aux)
		return consumer_fail(sh, "checksum differs", seq);
	return 0;
}

static int consume(struct shared *sh)
{
	uint64_t n = sh->messages;
	struct ring_rx rx;
	ring_rx_attach(&rx, &sh->ring);
	unsigned batch = 0, spins = 0;

	for (uint64_t seq = 0; seq < n;) {
		struct ring_hdr h;
		void *p;
		if (!ring_rx_next(&rx, &h, &p)) {
			ring_rx_commit(&rx);
			batch = 0;
			spin_wait(&spins);
			continue;
		}
		int bad = check_one(sh, &h, p, seq);
		free(p);
		if (bad)
			return bad;
		seq++;
		if (++batch == COMMIT_EVERY ||
		    rx.head - atomic_load_explicit(&sh->ring.head, memory_order_relaxed) >=
		            sh->commit_bytes) {
			ring_rx_commit(&rx);
			batch = 0;
		}
	}
	ring_rx_commit(&rx);
	struct ring_hdr h;
	void *p;
	if (ring_rx_next(&rx, &h, &p))
		return consumer_fail(sh, "unexpected extra message", n);
	return 0;
}

/* ---- producer (parent) ---- */

struct pending {
	struct ring_hdr h;
	unsigned char *payload;
	size_t progress;
};

/* Ordered overflow queue: a fixed circle is enough, the producer stops
 * generating when it is full. */
struct overflow {
	struct pending q[QUEUE_MAX];
	unsigned first, count;
	size_t bytes;
};

static bool ov_has_room(const struct overflow *o)
{
	return o->count == 0 || (o->count < QUEUE_MAX && o->bytes < QUEUE_BYTES);
}

/* Push queued messages in order while they fit; true when none is left. */
static bool ov_drain(struct overflow *o, struct ring_tx *tx)
{
	while (o->count) {
		struct pending *e = &o->q[o->first];
		if (!ring_tx_push(tx, &e->h, e->payload, &e->progress))
			return false;
		free(e->payload);
		o->bytes -= e->h.size;
		o->first = (o->first + 1) % QUEUE_MAX;
		o->count--;
	}
	return true;
}

static void ov_append(struct overflow *o, const struct ring_hdr *h, unsigned char *payload,
                      size_t progress)
{
	struct pending *e = &o->q[(o->first + o->count) % QUEUE_MAX];
	e->h = *h;
	e->payload = payload;
	e->progress = progress;
	o->bytes += h->size;
	o->count++;
}

static unsigned char *payload_buf(size_t size)
{
	unsigned char *p = malloc(size ? size : 1);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Has the child exited?  Leaves it to be reaped by the caller. */
static bool exited(pid_t child)
{
	siginfo_t info = { .si_pid = 0 };
	return waitid(P_PID, (id_t)child, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
	       info.si_pid != 0;
}

/* Returns false if the consumer gave up (failed or died) first. */
static bool produce(struct shared *sh, pid_t child)
{
	uint64_t n = sh->messages;
	struct ring_tx tx;
	ring_tx_attach(&tx, &sh->ring);
	struct overflow o = { .first = 0, .count = 0, .bytes = 0 };
	unsigned char *scratch = payload_buf(sh->max_payload);
	unsigned batch = 0, spins = 0;
	uint64_t seq = 0;

	while (seq < n || o.count) {
		uint64_t before = tx.tail;
		bool drained = ov_drain(&o, &tx);
		bool made = false;

		if (seq < n && ov_has_room(&o)) {
			uint32_t k, size = msg_size(sh, seq, &k);
			/* Straight into the ring when nothing waits; otherwise
			 * behind the queue, so order holds. */
			unsigned char *p = drained ? scratch : payload_buf(size);
			struct ring_hdr h = { .size = size, .type = k, .session = (int32_t)seq,
			                      .source = 1, .dest = 2 };
			h.aux = fill(p, size, seq);
			size_t progress = 0;
			if (!drained || !ring_tx_push(&tx, &h, p, &progress)) {
				ov_append(&o, &h, p, progress);
				if (p == scratch)
					scratch = payload_buf(sh->max_payload);
			}
			seq++;
			batch++;
			made = true;
		}
		/* Publish per batch, and at once when the ring is full so the
		 * consumer can make room. */
		if (batch >= COMMIT_EVERY || o.count ||
		    tx.tail - atomic_load_explicit(&sh->ring.tail, memory_order_relaxed) >=
		            sh->commit_bytes) {
			ring_tx_commit(&tx);
			batch = 0;
		}
		if (made || tx.tail != before)
			continue;
		spin_wait(&spins);
		if (spins % (1u << 20) == 0 && (atomic_load(&sh->consumer_failed) || exited(child)))
			break;
	}
	ring_tx_commit(&tx);
	while (o.count) {
		free(o.q[o.first].payload);
		o.first = (o.first + 1) % QUEUE_MAX;
		o.count--;
	}
	free(scratch);
	return seq == n;
}

/* Run one producer/consumer pair over a fresh ring; prints the rate. */
static void run_pair(const char *name, uint64_t n, size_t capacity, unsigned max_k,
                     uint32_t max_payload)
{
	size_t len = sizeof(struct shared) + capacity;
	struct shared *sh = mmap(NULL, len, PROT_READ | PROT_WRITE,
	                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	ck_assert_uint_ge(len, offsetof(struct shared, ring) + ring_size(capacity));
	atomic_init(&sh->consumer_failed, 0);
	sh->messages = n;
	sh->max_k = max_k;
	sh->max_payload = max_payload;
	sh->commit_bytes = capacity / 8;
	ring_init(&sh->ring, capacity);

	double t0 = now_s();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(consume(sh));

	bool sent_all = produce(sh, pid);
	int status = 0;
	if (!sent_all)
		kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	double dt = now_s() - t0;

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "consumer failed (status 0x%x)", status);
	ck_assert(sent_all);
	uint64_t bytes = atomic_load(&sh->ring.tail);
	printf("%s messages=%" PRIu64 " capacity=%zu seconds=%.2f msgs_per_s=%.0f MB_per_s=%.0f\n",
	       name, n, capacity, dt, n / dt, bytes / dt / 1e6);
	fflush(stdout);
	munmap(sh, len);
}

START_TEST(test_two_processes)
{
	run_pair("ring_procs", messages_wanted(), 1u << 20, 16, 65536);
}
END_TEST

START_TEST(test_two_processes_huge)
{
	run_pair("ring_procs_huge", 300, 64u << 10, 24, 16u << 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring_procs");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_two_processes);
	tcase_add_test(tc, test_two_processes_huge);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
