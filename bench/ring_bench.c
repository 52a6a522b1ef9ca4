/* ring_bench.c -- figures for the shared-memory ring between two processes.
 *
 *   ring_throughput: one way, small payloads, the producer committing every
 *                    64 messages (or when the ring is full), the consumer
 *                    releasing space on the same rhythm; messages per second.
 *   ring_pingpong:   one message each way over two rings, both sides
 *                    spinning; round-trip time, median and p99.
 *
 * Environment: ACTORD_BENCH_MESSAGES (per throughput run, default 20M),
 * ACTORD_BENCH_ROUNDTRIPS (default 1M), ACTORD_BENCH_CAPACITY (ring bytes,
 * default 256 KiB), ACTORD_BENCH_PIN=1 to pin the two processes to CPUs 0
 * and 1.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/ring.h"

#define BATCH 64
#define STOP_TYPE 0xffffu
#define PINGPONG_MAX_NS (10 * 1000000000ull)

struct config {
	uint64_t messages;
	uint64_t roundtrips;
	size_t capacity;
	bool pin;
};

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	if (s == NULL || *s == '\0')
		return dflt;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	return *end == '\0' && v > 0 ? v : dflt;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Mostly pause; yield now and then so a loaded machine does not make the
 * one we wait for miss its turn for a whole time slice. */
static inline void spin_wait(unsigned *spins)
{
	if (++*spins % 1024)
		__builtin_ia32_pause();
	else
		sched_yield();
}

static void pin(const struct config *cfg, int cpu)
{
	if (!cfg->pin)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		perror("sched_setaffinity");
}

static struct ring *ring_map(size_t capacity)
{
	struct ring *r = mmap(NULL, ring_size(capacity), PROT_READ | PROT_WRITE,
	                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	ring_init(r, capacity);
	return r;
}

/* Push one record, waiting for room if the ring is full. */
static void send_blocking(struct ring_tx *tx, const struct ring_hdr *h, const void *p)
{
	size_t progress = 0;
	unsigned spins = 0;

	while (!ring_tx_push(tx, h, p, &progress)) {
		ring_tx_commit(tx);
		spin_wait(&spins);
	}
}

/* ---- one-way throughput ---- */

static int tp_consume(struct ring *r, uint64_t n)
{
	struct ring_rx rx;
	unsigned batch = 0, spins = 0;
	uint64_t seq = 0;

	ring_rx_attach(&rx, r);
	while (seq < n) {
		struct ring_hdr h;
		void *p;
		if (!ring_rx_next(&rx, &h, &p)) {
			ring_rx_commit(&rx);
			batch = 0;
			spin_wait(&spins);
			continue;
		}
		/* Touch the payload and check order: cheap, and keeps the
		 * figure honest about the consumer reading what it got. */
		uint64_t got;
		memcpy(&got, p, sizeof got);
		free(p);
		if (got != seq || h.session != (int32_t)seq) {
			fprintf(stderr, "ring_bench: message %" PRIu64 " out of order\n", seq);
			return 1;
		}
		seq++;
		if (++batch == BATCH) {
			ring_rx_commit(&rx);
			batch = 0;
		}
	}
	ring_rx_commit(&rx);
	return 0;
}

static void tp_produce(struct ring *r, uint64_t n, uint32_t size)
{
	struct ring_tx tx;
	unsigned char payload[256] = { 0 };
	unsigned batch = 0;

	ring_tx_attach(&tx, r);
	for (uint64_t seq = 0; seq < n; seq++) {
		struct ring_hdr h = { .size = size, .type = 0, .session = (int32_t)seq,
		                      .source = 1, .dest = 2 };
		memcpy(payload, &seq, sizeof seq);
		send_blocking(&tx, &h, payload);
		if (++batch == BATCH) {
			ring_tx_commit(&tx);
			batch = 0;
		}
	}
	ring_tx_commit(&tx);
}

static int bench_throughput(const struct config *cfg, uint32_t size)
{
	struct ring *r = ring_map(cfg->capacity);
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		pin(cfg, 1);
		_exit(tp_consume(r, cfg->messages));
	}
	pin(cfg, 0);
	tp_produce(r, cfg->messages, size);
	int status;
	waitpid(pid, &status, 0);
	double s = (now_ns() - t0) * 1e-9;
	munmap(r, ring_size(cfg->capacity));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	printf("ring_throughput payload=%u messages=%" PRIu64 " seconds=%.3f msgs_per_s=%.2fM\n",
	       size, cfg->messages, s, cfg->messages / s / 1e6);
	fflush(stdout);
	return 0;
}

/* ---- ping-pong ---- */

static void pp_echo(struct ring *in, struct ring *out)
{
	struct ring_rx rx;
	struct ring_tx tx;
	unsigned spins = 0;

	ring_rx_attach(&rx, in);
	ring_tx_attach(&tx, out);
	for (;;) {
		struct ring_hdr h;
		void *p;
		if (!ring_rx_next(&rx, &h, &p)) {
			spin_wait(&spins);
			continue;
		}
		ring_rx_commit(&rx);
		send_blocking(&tx, &h, p);
		ring_tx_commit(&tx);
		free(p);
		if (h.type == STOP_TYPE)
			return;
	}
}

static void pp_wait_reply(struct ring_rx *rx)
{
	struct ring_hdr h;
	void *p;
	unsigned spins = 0;

	while (!ring_rx_next(rx, &h, &p))
		spin_wait(&spins);
	ring_rx_commit(rx);
	free(p);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int bench_pingpong(const struct config *cfg)
{
	struct ring *ping = ring_map(cfg->capacity), *pong = ring_map(cfg->capacity);
	uint64_t n = cfg->roundtrips, warmup = n / 10 + 1;
	uint64_t *lat = malloc(n * sizeof *lat);
	if (lat == NULL)
		return 1;

	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		pin(cfg, 1);
		pp_echo(ping, pong);
		_exit(0);
	}
	pin(cfg, 0);

	struct ring_tx tx;
	struct ring_rx rx;
	ring_tx_attach(&tx, ping);
	ring_rx_attach(&rx, pong);
	unsigned char payload[16] = { 0 };
	struct ring_hdr h = { .size = sizeof payload, .source = 1, .dest = 2 };
	uint64_t t_all = 0, done = 0;

	for (uint64_t i = 0; i < warmup + n; i++) {
		if (i == warmup)
			t_all = now_ns();
		uint64_t t0 = now_ns();
		/* On a badly overloaded machine, settle for fewer samples
		 * rather than run for minutes. */
		if (i > warmup && (i & 1023) == 0 && t0 - t_all > PINGPONG_MAX_NS)
			break;
		h.session = (int32_t)i;
		send_blocking(&tx, &h, payload);
		ring_tx_commit(&tx);
		pp_wait_reply(&rx);
		if (i >= warmup)
			lat[done++] = now_ns() - t0;
	}
	t_all = now_ns() - t_all;
	n = done;

	h.type = STOP_TYPE;
	send_blocking(&tx, &h, payload);
	ring_tx_commit(&tx);
	int status;
	waitpid(pid, &status, 0);

	qsort(lat, n, sizeof *lat, cmp_u64);
	printf("ring_pingpong roundtrips=%" PRIu64 " median_ns=%" PRIu64 " p99_ns=%" PRIu64
	       " mean_ns=%.0f\n", n, lat[n / 2], lat[n * 99 / 100], (double)t_all / n);
	free(lat);
	munmap(ping, ring_size(cfg->capacity));
	munmap(pong, ring_size(cfg->capacity));
	return 0;
}

int main(void)
{
	struct config cfg = {
		.messages = env_u64("ACTORD_BENCH_MESSAGES", 20 * 1000 * 1000),
		.roundtrips = env_u64("ACTORD_BENCH_ROUNDTRIPS", 1000 * 1000),
		.capacity = env_u64("ACTORD_BENCH_CAPACITY", 256 * 1024),
		.pin = env_u64("ACTORD_BENCH_PIN", 0) == 1,
	};
	if (cfg.capacity < 1024 || (cfg.capacity & (cfg.capacity - 1))) {
		fprintf(stderr, "ring_bench: ACTORD_BENCH_CAPACITY must be a power of two >= 1024\n");
		return 2;
	}
	printf("ring_bench capacity=%zu batch=%d pin=%d\n", cfg.capacity, BATCH, cfg.pin);
	fflush(stdout);

	int rc = 0;
	rc |= bench_throughput(&cfg, 16);
	rc |= bench_throughput(&cfg, 64);
	rc |= bench_pingpong(&cfg);
	return rc;
}
