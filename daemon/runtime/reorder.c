/* reorder_: bounded reorder window (see include/claimd/reorder.h).
 *
 * Slot seq & (W-1) holds the item of seq while tag == seq + 1. A tag is
 * only ever rewritten by the producer of seq + k*W, which may write only
 * once next > seq + (k-1)*W, i.e. after the consumer took the previous
 * occupant: so a slot has one writer at a time and the tag check on the
 * consumer side is exact (a stale tag names an older number).
 */
#include "claimd/reorder.h"

#include "claimd/ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct reorder_slot {
    _Atomic uint64_t tag; /* seq + 1 of the item held; older numbers once taken */
    void *item;
} reorder_slot;

struct reorder {
    alignas(64) _Atomic uint64_t next; /* stored by the consumer only */
    alignas(64) reorder_slot *slots;   /* read-only after create */
    uint64_t mask;
    _Atomic int closed;
    alignas(64) ring_event ready; /* the consumer sleeps here for next */
    alignas(64) ring_event space; /* producers sleep here for the window */
};

int reorder_create(reorder **out, size_t window, uint64_t first_seq)
{
    if (!out || window < 2 || window > ((size_t)1 << 24) || (window & (window - 1)) != 0)
        return -EINVAL;
    reorder *r = aligned_alloc(64, (sizeof *r + 63) & ~(size_t)63);
    if (!r)
        return -ENOMEM;
    memset(r, 0, sizeof *r);
    r->slots = calloc(window, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return -ENOMEM;
    }
    /* Tag 0 never matches: the smallest tag looked for is first_seq + 1,
     * unless first_seq + 1 wraps to 0, which a uint64 counter never does. */
    for (size_t i = 0; i < window; i++)
        atomic_init(&r->slots[i].tag, 0);
    atomic_init(&r->next, first_seq);
    atomic_init(&r->closed, 0);
    r->mask = window - 1;
    ring_event_init(&r->ready);
    ring_event_init(&r->space);
    *out = r;
    return 0;
}

void reorder_free(reorder *r)
{
    if (!r)
        return;
    free(r->slots);
    free(r);
}

int reorder_insert(reorder *r, uint64_t seq, void *item)
{
    if (!item)
        return -EINVAL;
    if (atomic_load_explicit(&r->closed, memory_order_relaxed))
        return -EPIPE;
    uint64_t next = atomic_load_explicit(&r->next, memory_order_acquire);
    if (seq < next)
        return -EINVAL;
    if (seq - next > r->mask)
        return -EAGAIN;
    reorder_slot *s = &r->slots[seq & r->mask];
    if (atomic_load_explicit(&s->tag, memory_order_relaxed) == seq + 1)
        return -EEXIST;
    s->item = item;
    atomic_store_explicit(&s->tag, seq + 1, memory_order_release);
    /* Wake the consumer only for the number it waits for: it never moves
     * next while asleep, and the fences order this load against its
     * prepare-then-recheck (see ring_event). */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->next, memory_order_relaxed) == seq)
        ring_event_wake(&r->ready);
    return 0;
}

int reorder_insert_wait(reorder *r, uint64_t seq, void *item)
{
    for (unsigned spin = 0;; spin++) {
        int rc = reorder_insert(r, seq, item);
        if (rc != -EAGAIN)
            return rc;
        if (spin < RING_SPIN) {
            ring_cpu_relax();
            continue;
        }
        uint32_t g = ring_event_prepare(&r->space);
        rc = reorder_insert(r, seq, item);
        if (rc != -EAGAIN) {
            ring_event_cancel(&r->space);
            return rc;
        }
        ring_event_wait(&r->space, g);
    }
}

/* The item of next if present (consumer only). */
static bool reorder_peek(reorder *r, uint64_t next, void **item)
{
    reorder_slot *s = &r->slots[next & r->mask];
    if (atomic_load_explicit(&s->tag, memory_order_acquire) != next + 1)
        return false;
    *item = s->item;
    return true;
}

int reorder_take(reorder *r, void **item)
{
    uint64_t next = atomic_load_explicit(&r->next, memory_order_relaxed);
    void *it;
    if (!reorder_peek(r, next, &it)) {
        if (!atomic_load_explicit(&r->closed, memory_order_acquire))
            return -EAGAIN;
        if (!reorder_peek(r, next, &it))
            return -EPIPE;
    }
    atomic_store_explicit(&r->next, next + 1, memory_order_release);
    ring_event_notify(&r->space);
    *item = it;
    return 0;
}

int reorder_take_wait(reorder *r, void **item)
{
    for (unsigned spin = 0;; spin++) {
        int rc = reorder_take(r, item);
        if (rc != -EAGAIN)
            return rc;
        if (spin < RING_SPIN) {
            ring_cpu_relax();
            continue;
        }
        uint32_t g = ring_event_prepare(&r->ready);
        rc = reorder_take(r, item);
        if (rc != -EAGAIN) {
            ring_event_cancel(&r->ready);
            return rc;
        }
        ring_event_wait(&r->ready, g);
    }
}

void reorder_close(reorder *r)
{
    atomic_store_explicit(&r->closed, 1, memory_order_release);
    ring_event_wake_all(&r->ready);
    ring_event_wake_all(&r->space);
}

uint64_t reorder_next(const reorder *r)
{
    return atomic_load_explicit(&r->next, memory_order_acquire);
}

size_t reorder_pending(const reorder *r)
{
    uint64_t next = atomic_load_explicit(&r->next, memory_order_acquire);
    size_t n = 0;
    for (uint64_t i = 0; i <= r->mask; i++) {
        uint64_t tag = atomic_load_explicit(&r->slots[i].tag, memory_order_acquire);
        if (tag > next && tag - next - 1 <= r->mask)
            n++;
    }
    return n;
}
