/* ring_: SPSC and Vyukov MPMC bounded rings, and the futex event.
 *
 * Indices are free-running size_t counters (they never wrap in practice on
 * 64 bits); a slot is index & mask. Memory orders:
 *   - the side that fills a slot stores its index with release after the
 *     copy; the other side loads it with acquire before reading the slot,
 *     and the same pairing runs back when a slot is given back;
 *   - closed is stored with release after everything the closer did, and
 *     read with acquire before the final emptiness re-check;
 *   - the sleep/wake handshake is a store-buffering pattern, made safe by a
 *     seq_cst fence on each side (ring_event_prepare / ring_event_notify).
 */
#define _GNU_SOURCE

#include "claimd/ring.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RING_LINE 64

/* ---- ring_event ----------------------------------------------------------- */

void ring_event_init(ring_event *e)
{
    atomic_init(&e->gen, 0);
    atomic_init(&e->waiters, 0);
}

uint32_t ring_event_prepare(ring_event *e)
{
    /* The generation is read before the flag is raised: a wake that sees
     * the flag bumps gen past g, so the futex wait cannot miss it. */
    uint32_t g = atomic_load_explicit(&e->gen, memory_order_acquire);
    atomic_store_explicit(&e->waiters, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    return g;
}

void ring_event_cancel(ring_event *e)
{
    /* The flag stays up: another thread may be asleep behind it. The cost
     * is at most one needless wake. */
    (void)e;
}

void ring_event_wait(ring_event *e, uint32_t gen)
{
    /* FUTEX_WAIT returns at once (EAGAIN) when the word already moved on;
     * EINTR and spurious returns are fine: the caller re-checks. */
    (void)syscall(SYS_futex, &e->gen, FUTEX_WAIT_PRIVATE, gen, NULL, NULL, 0);
}

void ring_event_wake(ring_event *e)
{
    /* One wake per sleep: the first waker lowers the flag, so the pushes
     * that follow while the sleeper is still waking make no syscall. */
    if (atomic_load_explicit(&e->waiters, memory_order_relaxed) == 0 ||
        atomic_exchange_explicit(&e->waiters, 0, memory_order_acq_rel) == 0)
        return;
    atomic_fetch_add_explicit(&e->gen, 1, memory_order_release);
    (void)syscall(SYS_futex, &e->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void ring_event_notify(ring_event *e)
{
    atomic_thread_fence(memory_order_seq_cst);
    ring_event_wake(e);
}

void ring_event_wake_all(ring_event *e)
{
    atomic_store_explicit(&e->waiters, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->gen, 1, memory_order_release);
    (void)syscall(SYS_futex, &e->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void ring_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- shared helpers --------------------------------------------------------- */

/* A non-blocking batch transfer: count > 0, -EAGAIN, -EPIPE. */
typedef ssize_t (*ring_try_fn)(void *ring, void *items, size_t n);

/* Retries fn while it returns -EAGAIN: RING_SPIN pauses, then sleeps on e
 * (the event the other side notifies after each transfer). */
static ssize_t ring_block(ring_event *e, ring_try_fn fn, void *ring, void *items, size_t n)
{
    for (unsigned spin = 0;; spin++) {
        ssize_t rc = fn(ring, items, n);
        if (rc != -EAGAIN)
            return rc;
        if (spin < RING_SPIN) {
            ring_cpu_relax();
            continue;
        }
        uint32_t g = ring_event_prepare(e);
        rc = fn(ring, items, n);
        if (rc != -EAGAIN) {
            ring_event_cancel(e);
            return rc;
        }
        ring_event_wait(e, g);
    }
}

/* Pushes all n slots through the blocking loop; n or -EPIPE. */
static ssize_t ring_block_all(ring_event *e, ring_try_fn fn, void *ring, const void *items,
                              size_t n, size_t slot_size)
{
    size_t done = 0;
    while (done < n) {
        /* ring_block only reads the items */
        void *p = (void *)((const unsigned char *)items + done * slot_size);
        ssize_t rc = ring_block(e, fn, ring, p, n - done);
        if (rc < 0)
            return rc;
        done += (size_t)rc;
    }
    return (ssize_t)n;
}

static bool ring_args_ok(size_t capacity, size_t slot_size)
{
    return capacity >= 2 && capacity <= RING_CAP_MAX && (capacity & (capacity - 1)) == 0 &&
           slot_size >= 1 && slot_size <= 4096;
}

static size_t ring_round_line(size_t n)
{
    return (n + RING_LINE - 1) & ~(size_t)(RING_LINE - 1);
}

/* memcpy of one slot; pointer-sized slots get a constant-size copy. */
static inline void ring_copy(void *dst, const void *src, size_t size)
{
    if (size == sizeof(void *))
        memcpy(dst, src, sizeof(void *));
    else
        memcpy(dst, src, size);
}

/* ---- ring_spsc -------------------------------------------------------------- */

struct ring_spsc {
    /* Producer line: prod is stored only by the producer. */
    alignas(RING_LINE) _Atomic size_t prod; /* next slot to fill */
    size_t prod_seen_cons;                  /* producer's cached copy of cons */
    /* Consumer line: cons is stored only by the consumer. */
    alignas(RING_LINE) _Atomic size_t cons; /* next slot to take */
    size_t cons_seen_prod;                  /* consumer's cached copy of prod */
    /* Read-mostly line: set at create, closed written once. */
    alignas(RING_LINE) unsigned char *slots;
    size_t mask;
    size_t slot_size;
    _Atomic int closed;
    alignas(RING_LINE) ring_event not_empty; /* consumers sleep here */
    alignas(RING_LINE) ring_event not_full;  /* producers sleep here */
};

int ring_spsc_create(ring_spsc **out, size_t capacity, size_t slot_size)
{
    if (!out || !ring_args_ok(capacity, slot_size))
        return -EINVAL;
    ring_spsc *r = aligned_alloc(RING_LINE, ring_round_line(sizeof *r));
    if (!r)
        return -ENOMEM;
    memset(r, 0, sizeof *r);
    r->slots = aligned_alloc(RING_LINE, ring_round_line(capacity * slot_size));
    if (!r->slots) {
        free(r);
        return -ENOMEM;
    }
    atomic_init(&r->prod, 0);
    atomic_init(&r->cons, 0);
    atomic_init(&r->closed, 0);
    r->mask = capacity - 1;
    r->slot_size = slot_size;
    ring_event_init(&r->not_empty);
    ring_event_init(&r->not_full);
    *out = r;
    return 0;
}

void ring_spsc_free(ring_spsc *r)
{
    if (!r)
        return;
    free(r->slots);
    free(r);
}

static bool ring_spsc_closed(const ring_spsc *r)
{
    return atomic_load_explicit(&r->closed, memory_order_acquire) != 0;
}

/* Free slots as the producer sees them, reloading cons only when fewer
 * than want look free. */
static size_t ring_spsc_room(ring_spsc *r, size_t p, size_t want)
{
    size_t cap = r->mask + 1;
    size_t room = cap - (p - r->prod_seen_cons);
    if (room < want) {
        r->prod_seen_cons = atomic_load_explicit(&r->cons, memory_order_acquire);
        room = cap - (p - r->prod_seen_cons);
    }
    return room;
}

/* Filled slots as the consumer sees them (same caching). */
static size_t ring_spsc_avail(ring_spsc *r, size_t c, size_t want)
{
    size_t avail = r->cons_seen_prod - c;
    if (avail < want) {
        r->cons_seen_prod = atomic_load_explicit(&r->prod, memory_order_acquire);
        avail = r->cons_seen_prod - c;
    }
    return avail;
}

int ring_spsc_push(ring_spsc *r, const void *item)
{
    if (atomic_load_explicit(&r->closed, memory_order_relaxed))
        return -EPIPE;
    size_t p = atomic_load_explicit(&r->prod, memory_order_relaxed);
    if (ring_spsc_room(r, p, 1) == 0)
        return -EAGAIN;
    ring_copy(r->slots + (p & r->mask) * r->slot_size, item, r->slot_size);
    atomic_store_explicit(&r->prod, p + 1, memory_order_release);
    ring_event_notify(&r->not_empty);
    return 0;
}

ssize_t ring_spsc_push_n(ring_spsc *r, const void *items, size_t n)
{
    if (atomic_load_explicit(&r->closed, memory_order_relaxed))
        return -EPIPE;
    if (n == 0)
        return 0;
    size_t p = atomic_load_explicit(&r->prod, memory_order_relaxed);
    size_t k = ring_spsc_room(r, p, n);
    if (k == 0)
        return -EAGAIN;
    if (k > n)
        k = n;
    /* Up to two segments: to the end of the array, then from its start. */
    size_t at = p & r->mask, first = r->mask + 1 - at;
    if (first > k)
        first = k;
    memcpy(r->slots + at * r->slot_size, items, first * r->slot_size);
    memcpy(r->slots, (const unsigned char *)items + first * r->slot_size,
           (k - first) * r->slot_size);
    atomic_store_explicit(&r->prod, p + k, memory_order_release);
    ring_event_notify(&r->not_empty);
    return (ssize_t)k;
}

int ring_spsc_pop(ring_spsc *r, void *item)
{
    size_t c = atomic_load_explicit(&r->cons, memory_order_relaxed);
    if (ring_spsc_avail(r, c, 1) == 0) {
        if (!ring_spsc_closed(r))
            return -EAGAIN;
        /* Closed: a push that happened before the close is visible now. */
        if (ring_spsc_avail(r, c, 1) == 0)
            return -EPIPE;
    }
    ring_copy(item, r->slots + (c & r->mask) * r->slot_size, r->slot_size);
    atomic_store_explicit(&r->cons, c + 1, memory_order_release);
    ring_event_notify(&r->not_full);
    return 0;
}

ssize_t ring_spsc_pop_n(ring_spsc *r, void *items, size_t n)
{
    if (n == 0)
        return 0;
    size_t c = atomic_load_explicit(&r->cons, memory_order_relaxed);
    size_t k = ring_spsc_avail(r, c, n);
    if (k == 0) {
        if (!ring_spsc_closed(r))
            return -EAGAIN;
        k = ring_spsc_avail(r, c, n);
        if (k == 0)
            return -EPIPE;
    }
    if (k > n)
        k = n;
    size_t at = c & r->mask, first = r->mask + 1 - at;
    if (first > k)
        first = k;
    memcpy(items, r->slots + at * r->slot_size, first * r->slot_size);
    memcpy((unsigned char *)items + first * r->slot_size, r->slots, (k - first) * r->slot_size);
    atomic_store_explicit(&r->cons, c + k, memory_order_release);
    ring_event_notify(&r->not_full);
    return (ssize_t)k;
}

static ssize_t ring_spsc_try_push(void *ring, void *items, size_t n)
{
    return ring_spsc_push_n(ring, items, n);
}

static ssize_t ring_spsc_try_pop(void *ring, void *items, size_t n)
{
    return ring_spsc_pop_n(ring, items, n);
}

int ring_spsc_push_wait(ring_spsc *r, const void *item)
{
    int rc = ring_spsc_push(r, item);
    if (rc != -EAGAIN)
        return rc;
    ssize_t n = ring_block_all(&r->not_full, ring_spsc_try_push, r, item, 1, r->slot_size);
    return n < 0 ? (int)n : 0;
}

ssize_t ring_spsc_push_n_wait(ring_spsc *r, const void *items, size_t n)
{
    return ring_block_all(&r->not_full, ring_spsc_try_push, r, items, n, r->slot_size);
}

int ring_spsc_pop_wait(ring_spsc *r, void *item)
{
    int rc = ring_spsc_pop(r, item);
    if (rc != -EAGAIN)
        return rc;
    ssize_t n = ring_block(&r->not_empty, ring_spsc_try_pop, r, item, 1);
    return n < 0 ? (int)n : 0;
}

ssize_t ring_spsc_pop_n_wait(ring_spsc *r, void *items, size_t n)
{
    if (n == 0)
        return -EINVAL;
    return ring_block(&r->not_empty, ring_spsc_try_pop, r, items, n);
}

void ring_spsc_close(ring_spsc *r)
{
    atomic_store_explicit(&r->closed, 1, memory_order_release);
    ring_event_wake_all(&r->not_empty);
    ring_event_wake_all(&r->not_full);
}

size_t ring_spsc_count(const ring_spsc *r)
{
    size_t c = atomic_load_explicit(&r->cons, memory_order_acquire);
    size_t p = atomic_load_explicit(&r->prod, memory_order_acquire);
    return p - c;
}

size_t ring_spsc_capacity(const ring_spsc *r)
{
    return r->mask + 1;
}

/* ---- ring_mpmc (Vyukov) ------------------------------------------------------
 *
 * Cell i of lap L (position pos = L * cap + i) has seq == pos when free for
 * the producer of pos, seq == pos + 1 when filled for the consumer of pos,
 * and seq == pos + cap once consumed (free for the next lap). A producer
 * claims pos by CAS on enq, writes the data, then stores seq (release); a
 * consumer claims by CAS on deq, reads, then stores seq (release). A batch
 * claims k consecutive positions with one CAS after checking all k cells:
 * while enq (deq) still equals pos nobody else can claim them, and their
 * seq cannot change until the claimer publishes.
 */

struct ring_mpmc {
    alignas(RING_LINE) _Atomic size_t enq;  /* next position a producer claims */
    alignas(RING_LINE) _Atomic size_t deq;  /* next position a consumer claims */
    alignas(RING_LINE) _Atomic size_t *seq; /* per cell, see above */
    unsigned char *slots;
    size_t mask;
    size_t slot_size;
    _Atomic int closed;
    alignas(RING_LINE) ring_event not_empty;
    alignas(RING_LINE) ring_event not_full;
};

int ring_mpmc_create(ring_mpmc **out, size_t capacity, size_t slot_size)
{
    if (!out || !ring_args_ok(capacity, slot_size))
        return -EINVAL;
    ring_mpmc *r = aligned_alloc(RING_LINE, ring_round_line(sizeof *r));
    if (!r)
        return -ENOMEM;
    memset(r, 0, sizeof *r);
    r->seq = aligned_alloc(RING_LINE, ring_round_line(capacity * sizeof *r->seq));
    r->slots = aligned_alloc(RING_LINE, ring_round_line(capacity * slot_size));
    if (!r->seq || !r->slots) {
        free(r->seq);
        free(r->slots);
        free(r);
        return -ENOMEM;
    }
    for (size_t i = 0; i < capacity; i++)
        atomic_init(&r->seq[i], i);
    atomic_init(&r->enq, 0);
    atomic_init(&r->deq, 0);
    atomic_init(&r->closed, 0);
    r->mask = capacity - 1;
    r->slot_size = slot_size;
    ring_event_init(&r->not_empty);
    ring_event_init(&r->not_full);
    *out = r;
    return 0;
}

void ring_mpmc_free(ring_mpmc *r)
{
    if (!r)
        return;
    free(r->seq);
    free(r->slots);
    free(r);
}

/* Claims up to n positions from *idx whose cells carry seq == pos + lag
 * (lag 0: free for a producer; 1: filled for a consumer). Returns the count
 * claimed (0: none ready) and the first position in *first. */
static size_t ring_mpmc_claim(ring_mpmc *r, _Atomic size_t *idx, size_t lag, size_t n,
                              size_t *first)
{
    size_t pos = atomic_load_explicit(idx, memory_order_relaxed);
    for (;;) {
        size_t k = 0;
        while (k < n) {
            size_t s = atomic_load_explicit(&r->seq[(pos + k) & r->mask], memory_order_acquire);
            if (s != pos + k + lag)
                break;
            k++;
        }
        if (k == 0) {
            /* Not ready: either full/empty, or pos is stale. */
            size_t now = atomic_load_explicit(idx, memory_order_relaxed);
            if (now == pos)
                return 0;
            pos = now;
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(idx, &pos, pos + k, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *first = pos;
            return k;
        }
        /* pos was reloaded by the failed CAS. */
    }
}

ssize_t ring_mpmc_push_n(ring_mpmc *r, const void *items, size_t n)
{
    if (atomic_load_explicit(&r->closed, memory_order_relaxed))
        return -EPIPE;
    if (n == 0)
        return 0;
    size_t pos, k = ring_mpmc_claim(r, &r->enq, 0, n, &pos);
    if (k == 0)
        return -EAGAIN;
    for (size_t i = 0; i < k; i++) {
        size_t at = (pos + i) & r->mask;
        ring_copy(r->slots + at * r->slot_size, (const unsigned char *)items + i * r->slot_size,
                  r->slot_size);
        atomic_store_explicit(&r->seq[at], pos + i + 1, memory_order_release);
    }
    ring_event_notify(&r->not_empty);
    return (ssize_t)k;
}

int ring_mpmc_push(ring_mpmc *r, const void *item)
{
    ssize_t rc = ring_mpmc_push_n(r, item, 1);
    return rc < 0 ? (int)rc : 0;
}

ssize_t ring_mpmc_pop_n(ring_mpmc *r, void *items, size_t n)
{
    if (n == 0)
        return 0;
    size_t pos, k = ring_mpmc_claim(r, &r->deq, 1, n, &pos);
    if (k == 0) {
        if (!atomic_load_explicit(&r->closed, memory_order_acquire))
            return -EAGAIN;
        k = ring_mpmc_claim(r, &r->deq, 1, n, &pos);
        if (k == 0)
            return -EPIPE;
    }
    for (size_t i = 0; i < k; i++) {
        size_t at = (pos + i) & r->mask;
        ring_copy((unsigned char *)items + i * r->slot_size, r->slots + at * r->slot_size,
                  r->slot_size);
        atomic_store_explicit(&r->seq[at], pos + i + r->mask + 1, memory_order_release);
    }
    ring_event_notify(&r->not_full);
    return (ssize_t)k;
}

int ring_mpmc_pop(ring_mpmc *r, void *item)
{
    ssize_t rc = ring_mpmc_pop_n(r, item, 1);
    return rc < 0 ? (int)rc : 0;
}

static ssize_t ring_mpmc_try_push(void *ring, void *items, size_t n)
{
    return ring_mpmc_push_n(ring, items, n);
}

static ssize_t ring_mpmc_try_pop(void *ring, void *items, size_t n)
{
    return ring_mpmc_pop_n(ring, items, n);
}

int ring_mpmc_push_wait(ring_mpmc *r, const void *item)
{
    ssize_t n = ring_block_all(&r->not_full, ring_mpmc_try_push, r, item, 1, r->slot_size);
    return n < 0 ? (int)n : 0;
}

ssize_t ring_mpmc_push_n_wait(ring_mpmc *r, const void *items, size_t n)
{
    return ring_block_all(&r->not_full, ring_mpmc_try_push, r, items, n, r->slot_size);
}

int ring_mpmc_pop_wait(ring_mpmc *r, void *item)
{
    ssize_t n = ring_block(&r->not_empty, ring_mpmc_try_pop, r, item, 1);
    return n < 0 ? (int)n : 0;
}

ssize_t ring_mpmc_pop_n_wait(ring_mpmc *r, void *items, size_t n)
{
    if (n == 0)
        return -EINVAL;
    return ring_block(&r->not_empty, ring_mpmc_try_pop, r, items, n);
}

void ring_mpmc_close(ring_mpmc *r)
{
    atomic_store_explicit(&r->closed, 1, memory_order_release);
    ring_event_wake_all(&r->not_empty);
    ring_event_wake_all(&r->not_full);
}

size_t ring_mpmc_capacity(const ring_mpmc *r)
{
    return r->mask + 1;
}
