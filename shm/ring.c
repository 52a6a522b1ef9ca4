/* ring.c -- single-producer / single-consumer byte ring in shared memory.
 *
 * This is the hot path between workers, so each side works on private
 * cursors and touches the shared cache lines as rarely as it can:
 *
 *   - the producer writes records at tx->tail and publishes tail only in
 *     ring_tx_commit (one release store per batch);
 *   - the consumer reads at rx->head and publishes head in ring_rx_commit;
 *   - each side re-reads the other's position (acquire) only when its cached
 *     copy says there is not enough room / data.
 *
 * Positions are byte counts that only grow; they never wrap in practice
 * (2^64 bytes).  Records and both positions stay multiples of 8, because
 * every record is 24 header bytes plus a payload padded to 8.
 *
 * Streaming.  A record larger than the free space (or the whole ring) is
 * pushed in pieces: ring_tx_push writes what fits and remembers how far it
 * got in *progress; the caller commits and calls again later with the same
 * header, payload and cursor.  The producer must commit when a push returns
 * false, or the consumer never sees the piece and both sides wait forever.
 *
 * *progress ends equal to the record's padded size; reset it to 0 for the
 * next record.
 *
 * The consumer reassembles into a buffer malloc'ed once the header is in.
 * Because a record may be bigger than the ring, ring_rx_next cannot wait
 * for the caller's ring_rx_commit to release space: while a record is
 * being reassembled it publishes head itself every capacity/4 bytes, and
 * whenever it returns false in the middle of a record.  Whole records are
 * released only by ring_rx_commit, so a consumer must commit at least
 * whenever ring_rx_next returns false (before it waits), or a producer
 * waiting for space waits forever.
 */
#include "shm/ring.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_BYTES sizeof(struct ring_hdr)

_Static_assert(sizeof(struct ring_hdr) == 24, "ring_hdr is part of the wire format");
_Static_assert(sizeof(struct ring_hdr) % 8 == 0, "records must stay 8-byte aligned");

static inline size_t record_bytes(uint32_t size)
{
	return HDR_BYTES + (((size_t)size + 7) & ~(size_t)7);
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Copy into the ring at pos, splitting at the end of the data area. */
static inline void ring_put(struct ring *r, uint64_t pos, const void *src, size_t len)
{
	size_t off = pos & (r->capacity - 1);
	size_t first = r->capacity - off;

	if (len <= first) {
		memcpy(r->data + off, src, len);
	} else {
		memcpy(r->data + off, src, first);
		memcpy(r->data, (const unsigned char *)src + first, len - first);
	}
}

static inline void ring_get(const struct ring *r, uint64_t pos, void *dst, size_t len)
{
	size_t off = pos & (r->capacity - 1);
	size_t first = r->capacity - off;

	if (len <= first) {
		memcpy(dst, r->data + off, len);
	} else {
		memcpy(dst, r->data + off, first);
		memcpy((unsigned char *)dst + first, r->data, len - first);
	}
}

size_t ring_size(size_t capacity)
{
	return sizeof(struct ring) + capacity;
}

void ring_init(struct ring *r, size_t capacity)
{
	/* 8 is the smallest ring in which 8-byte steps can still make
	 * progress; anything useful is far bigger. */
	assert(capacity >= 8 && (capacity & (capacity - 1)) == 0);
	r->capacity = capacity;
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
}

/* ---- producer ---- */

void ring_tx_attach(struct ring_tx *tx, struct ring *r)
{
	tx->r = r;
	/* Start from the published position, so a restarted producer does not
	 * overwrite what its predecessor committed. */
	tx->tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	tx->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
}

static inline uint64_t tx_space(const struct ring_tx *tx)
{
	return tx->r->capacity - (tx->tail - tx->head_cache);
}

/* Write bytes [done, done + n) of the record (header, payload, padding) at
 * tx->tail.  Padding is left as is: the consumer skips it unread. */
static void tx_stream(struct ring_tx *tx, const struct ring_hdr *h,
                      const void *payload, size_t done, size_t n)
{
	uint64_t pos = tx->tail;
	size_t end = done + n;

	if (done < HDR_BYTES) {
		size_t k = min_u64(HDR_BYTES - done, n);
		ring_put(tx->r, pos, (const unsigned char *)h + done, k);
		pos += k;
		done += k;
	}
	size_t pay_end = HDR_BYTES + h->size;
	if (done < end && done < pay_end) {
		size_t k = min_u64(pay_end, end) - done;
		ring_put(tx->r, pos, (const unsigned char *)payload + (done - HDR_BYTES), k);
	}
	tx->tail += n;
}

bool ring_tx_push(struct ring_tx *tx, const struct ring_hdr *h,
                  const void *payload, size_t *progress)
{
	struct ring *r = tx->r;
	size_t total = record_bytes(h->size);
	size_t done = *progress;
	uint64_t space = tx_space(tx);

	if (space < total - done) {
		tx->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		space = tx_space(tx);
	}

	/* Common case: the whole record fits and does not cross the end. */
	size_t off = tx->tail & (r->capacity - 1);
	if (done == 0 && space >= total && off + total <= r->capacity) {
		memcpy(r->data + off, h, HDR_BYTES);
		if (h->size)
			memcpy(r->data + off + HDR_BYTES, payload, h->size);
		tx->tail += total;
		*progress = total;
		return true;
	}

	size_t n = min_u64(space, total - done);
	if (n > 0) {
		tx_stream(tx, h, payload, done, n);
		*progress = done + n;
	}
	return done + n == total;
}

bool ring_tx_commit(struct ring_tx *tx)
{
	/* Only this side writes tail, so reading it back needs no ordering. */
	uint64_t published = atomic_load_explicit(&tx->r->tail, memory_order_relaxed);

	if (published == tx->tail)
		return false;
	atomic_store_explicit(&tx->r->tail, tx->tail, memory_order_release);
	return true;
}

/* ---- consumer ---- */

void ring_rx_attach(struct ring_rx *rx, struct ring *r)
{
	rx->r = r;
	rx->head = atomic_load_explicit(&r->head, memory_order_relaxed);
	rx->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	memset(&rx->cur, 0, sizeof rx->cur);
	rx->buf = NULL;
	rx->got = 0;
}

/* Bytes published and not yet read; re-reads tail only when the cached
 * value says there is less than `need`. */
static inline uint64_t rx_avail(struct ring_rx *rx, uint64_t need)
{
	uint64_t avail = rx->tail_cache - rx->head;

	if (avail < need) {
		rx->tail_cache = atomic_load_explicit(&rx->r->tail, memory_order_acquire);
		avail = rx->tail_cache - rx->head;
	}
	return avail;
}

static void *payload_alloc(uint32_t size)
{
	if (size == 0)
		return NULL;
	void *p = malloc(size);
	if (p == NULL) {
		/* Dropping the record would break ordering and leave a caller
		 * waiting on its reply; like skynet, treat OOM as fatal. */
		fprintf(stderr, "ring: out of memory for a %u-byte message\n", size);
		abort();
	}
	return p;
}

static void rx_publish(struct ring_rx *rx)
{
	struct ring *r = rx->r;

	if (atomic_load_explicit(&r->head, memory_order_relaxed) != rx->head)
		atomic_store_explicit(&r->head, rx->head, memory_order_release);
}

/* Reassemble a record that arrives in pieces.  rx->got counts header,
 * payload and padding bytes of rx->cur consumed so far. */
static bool rx_slow(struct ring_rx *rx, struct ring_hdr *h, void **payload)
{
	struct ring *r = rx->r;
	uint64_t release_step = r->capacity / 4;
	uint64_t released = atomic_load_explicit(&r->head, memory_order_relaxed);

	for (;;) {
		uint64_t avail = rx_avail(rx, 1);

		if (rx->got < HDR_BYTES) {
			size_t k = min_u64(HDR_BYTES - rx->got, avail);
			if (k == 0)
				break;
			ring_get(r, rx->head, (unsigned char *)&rx->cur + rx->got, k);
			rx->head += k;
			rx->got += k;
			avail -= k;
			if (rx->got < HDR_BYTES)
				continue;
			rx->buf = payload_alloc(rx->cur.size);
		}

		size_t total = record_bytes(rx->cur.size);
		size_t pay_end = HDR_BYTES + rx->cur.size;
		size_t n = min_u64(total - rx->got, avail);
		if (rx->got < pay_end) {
			size_t k = min_u64(pay_end - rx->got, n);
			ring_get(r, rx->head, rx->buf + (rx->got - HDR_BYTES), k);
		}
		rx->head += n;
		rx->got += n;

		if (rx->got == total) {
			*h = rx->cur;
			*payload = rx->buf;
			rx->buf = NULL;
			rx->got = 0;
			return true;
		}
		if (n == 0)
			break;
		/* A streaming producer needs the space back before it can send
		 * the rest of this record. */
		if (rx->head - released >= release_step) {
			atomic_store_explicit(&r->head, rx->head, memory_order_release);
			released = rx->head;
		}
	}
	if (rx->got != 0)
		rx_publish(rx);
	return false;
}

bool ring_rx_next(struct ring_rx *rx, struct ring_hdr *h, void **payload)
{
	struct ring *r = rx->r;

	if (rx->got != 0)
		return rx_slow(rx, h, payload);

	uint64_t avail = rx_avail(rx, HDR_BYTES);
	if (avail < HDR_BYTES)
		return avail ? rx_slow(rx, h, payload) : false;

	struct ring_hdr hd;
	ring_get(r, rx->head, &hd, HDR_BYTES);
	size_t total = record_bytes(hd.size);
	if (avail < total && rx_avail(rx, total) < total)
		return rx_slow(rx, h, payload);

	void *buf = payload_alloc(hd.size);
	if (hd.size)
		ring_get(r, rx->head + HDR_BYTES, buf, hd.size);
	rx->head += total;
	*h = hd;
	*payload = buf;
	return true;
}

void ring_rx_commit(struct ring_rx *rx)
{
	rx_publish(rx);
}

unsigned ring_rx_drain(struct ring_rx *rx, unsigned max, ring_rx_fn *fn, void *ud)
{
	struct ring_hdr h;
	void *payload;
	unsigned n = 0;
	while (n < max && ring_rx_next(rx, &h, &payload)) {
		fn(ud, &h, payload);
		n++;
	}
	if (n)
		ring_rx_commit(rx);
	return n;
}

void ring_rx_reattach(struct ring_rx *rx, bool drain, struct ring *r,
                      ring_rx_fn *fn, void *ud)
{
	if (drain)
		ring_rx_drain(rx, UINT_MAX, fn, ud);
	ring_rx_drop_partial(rx);
	ring_rx_attach(rx, r);
	ring_rx_discard(rx);
}

bool ring_rx_pending(struct ring_rx *rx)
{
	rx->tail_cache = atomic_load_explicit(&rx->r->tail, memory_order_acquire);
	return rx->tail_cache != rx->head;
}

void ring_rx_drop_partial(struct ring_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
	rx->got = 0;
	memset(&rx->cur, 0, sizeof rx->cur);
}

/* ---- recovery after the other side died ---- */

void ring_rx_discard(struct ring_rx *rx)
{
	ring_rx_drop_partial(rx);
	rx->tail_cache = atomic_load_explicit(&rx->r->tail, memory_order_acquire);
	rx->head = rx->tail_cache;
	atomic_store_explicit(&rx->r->head, rx->head, memory_order_release);
}

void ring_tx_discard(struct ring_tx *tx)
{
	/* Only while no consumer runs: the head is the consumer's to move. */
	atomic_store_explicit(&tx->r->tail, tx->tail, memory_order_release);
	atomic_store_explicit(&tx->r->head, tx->tail, memory_order_release);
	tx->head_cache = tx->tail;
}
