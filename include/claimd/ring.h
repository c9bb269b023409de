/* ring_: bounded lock-free rings between pipeline threads, and the futex
 * event their blocking calls sleep on.
 *
 * Two rings, both of fixed-size slots copied in and out (a slot of
 * sizeof(void *) carries a pointer; give it &ptr):
 *   ring_spsc  one producer thread, one consumer thread. No CAS: each side
 *              owns its index on its own cache line and keeps a cached copy
 *              of the other side's index, reloaded only when the ring looks
 *              full (producer) or empty (consumer).
 *   ring_mpmc  any number of producers and consumers (Vyukov's bounded
 *              queue: a sequence word per cell, one CAS per transfer, or
 *              per batch).
 *
 * Memory is fixed at create: capacity * slot_size plus a few cache lines.
 * Nothing allocates after create. A full ring stalls its producer (push
 * returns -EAGAIN, push_wait sleeps), so a stage can never grow memory
 * whatever the input size.
 *
 * Blocking calls spin RING_SPIN pause iterations, then sleep on a futex
 * (two cores: an idle thread must give its core away). A transfer wakes the
 * other side only when a sleeper has announced itself, so the fast path
 * costs one full fence and one load of a read-mostly line.
 *
 * Close: ring_*_close() marks the ring closed and wakes every sleeper.
 * Afterwards pushes return -EPIPE, and pops return the items still in the
 * ring, then -EPIPE ("closed and drained"). Every item pushed before the
 * close (happens-before) is delivered; a push racing with close may land or
 * fail with -EPIPE.
 *
 * Errors are negative errno values:
 *   -EINVAL  bad argument at create (capacity not a power of two, ...)
 *   -ENOMEM  create could not allocate
 *   -EAGAIN  non-blocking call: the ring is full (push) or empty (pop)
 *   -EPIPE   the ring is closed (push), or closed and drained (pop)
 */
#ifndef CLAIMD_RING_H
#define CLAIMD_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Pause iterations a blocking call spins before it sleeps. */
#define RING_SPIN 100

/* Largest capacity accepted by create (slots). */
#define RING_CAP_MAX ((size_t)1 << 30)

/* ---- ring_event: a futex generation word with a "sleepers" flag ---------
 *
 * The sleeper:   g = ring_event_prepare(e); if (condition holds) {
 *                    ring_event_cancel(e); ... } else ring_event_wait(e, g);
 * The waker:     make the condition true (a release store), then
 *                ring_event_notify(e).
 * prepare() raises the flag and issues a seq_cst fence before the caller
 * re-checks its condition; notify() issues a seq_cst fence before it reads
 * the flag. So either the sleeper's re-check sees the waker's store, or the
 * waker sees the flag, lowers it, bumps the generation and wakes: the
 * futex wait then returns at once or is woken. The first waker lowers the
 * flag, so a burst of transfers while a sleeper wakes up costs one
 * syscall, not one each. Any number of threads may sleep on one event;
 * a wake wakes them all. Spurious wake-ups happen: callers loop. */
typedef struct ring_event {
    _Atomic uint32_t gen;     /* bumped by every wake that finds the flag up */
    _Atomic uint32_t waiters; /* 1: a thread may be asleep (or about to be) */
} ring_event;

void ring_event_init(ring_event *e);
/* Raises the flag; returns the generation to pass to ring_event_wait(). */
uint32_t ring_event_prepare(ring_event *e);
/* After a prepare() whose re-check found the condition true (a no-op kept
 * for the reader: the flag stays up, costing at most one needless wake). */
void ring_event_cancel(ring_event *e);
/* Sleeps until the generation differs from gen (or a spurious wake-up). */
void ring_event_wait(ring_event *e, uint32_t gen);
/* seq_cst fence, then ring_event_wake(). */
void ring_event_notify(ring_event *e);
/* Wakes every sleeper if the flag is up. Callers must have issued a
 * seq_cst fence after the store that made the condition true (notify
 * does). */
void ring_event_wake(ring_event *e);
/* Bumps the generation and wakes every sleeper unconditionally (close). */
void ring_event_wake_all(ring_event *e);

/* One CPU pause (spin-wait hint). */
void ring_cpu_relax(void);

/* ---- ring_spsc ---------------------------------------------------------- */

typedef struct ring_spsc ring_spsc;

/* Creates a ring of capacity slots (a power of two, 2..RING_CAP_MAX) of
 * slot_size bytes each (1..4096). Returns 0 and *out, or -EINVAL, -ENOMEM.
 * The caller owns *out and frees it with ring_spsc_free() once both sides
 * are done with it. */
int ring_spsc_create(ring_spsc **out, size_t capacity, size_t slot_size);
/* Frees r; NULL is a no-op. No thread may be using r. */
void ring_spsc_free(ring_spsc *r);

/* Producer side (one thread at a time). Copies slot_size bytes from item.
 * Returns 0, -EAGAIN (full), -EPIPE (closed). */
int ring_spsc_push(ring_spsc *r, const void *item);
/* Copies up to n slots from items (n * slot_size bytes, contiguous), as
 * many as fit, published at once. Returns the count (> 0; 0 only for
 * n == 0), -EAGAIN (full), -EPIPE (closed). */
ssize_t ring_spsc_push_n(ring_spsc *r, const void *items, size_t n);
/* As push, sleeping while the ring is full. Returns 0 or -EPIPE. */
int ring_spsc_push_wait(ring_spsc *r, const void *item);
/* Pushes all n slots, sleeping while full. Returns n, or -EPIPE if the ring
 * was closed first (a prefix of items may have been pushed). */
ssize_t ring_spsc_push_n_wait(ring_spsc *r, const void *items, size_t n);

/* Consumer side (one thread at a time). Copies one slot to item.
 * Returns 0, -EAGAIN (empty), -EPIPE (closed and drained). */
int ring_spsc_pop(ring_spsc *r, void *item);
/* Copies up to n slots to items. Returns the count (> 0; 0 only for
 * n == 0), -EAGAIN, -EPIPE. */
ssize_t ring_spsc_pop_n(ring_spsc *r, void *items, size_t n);
/* As pop, sleeping while the ring is empty. Returns 0 or -EPIPE. */
int ring_spsc_pop_wait(ring_spsc *r, void *item);
/* Sleeps until at least one slot is there, then takes up to n. Returns the
 * count (1..n) or -EPIPE (closed and drained). n must be > 0. */
ssize_t ring_spsc_pop_n_wait(ring_spsc *r, void *items, size_t n);

/* Either side or a third thread. Idempotent. */
void ring_spsc_close(ring_spsc *r);
/* Slots in use now: exact from either side when the other is idle,
 * a snapshot otherwise. */
size_t ring_spsc_count(const ring_spsc *r);
size_t ring_spsc_capacity(const ring_spsc *r);

/* ---- ring_mpmc ----------------------------------------------------------
 * The same calls and the same semantics as ring_spsc, from any number of
 * producer and consumer threads. A batch is claimed with one CAS when that
 * many consecutive cells are ready, so a batch call may move fewer than n.
 * A producer preempted between its claim and its publish holds back the
 * consumers of that cell until it resumes (the queue is not lock-free in
 * the strict sense; acceptable for pipeline stages). */

typedef struct ring_mpmc ring_mpmc;

int ring_mpmc_create(ring_mpmc **out, size_t capacity, size_t slot_size);
void ring_mpmc_free(ring_mpmc *r);
int ring_mpmc_push(ring_mpmc *r, const void *item);
ssize_t ring_mpmc_push_n(ring_mpmc *r, const void *items, size_t n);
int ring_mpmc_push_wait(ring_mpmc *r, const void *item);
ssize_t ring_mpmc_push_n_wait(ring_mpmc *r, const void *items, size_t n);
int ring_mpmc_pop(ring_mpmc *r, void *item);
ssize_t ring_mpmc_pop_n(ring_mpmc *r, void *items, size_t n);
int ring_mpmc_pop_wait(ring_mpmc *r, void *item);
ssize_t ring_mpmc_pop_n_wait(ring_mpmc *r, void *items, size_t n);
void ring_mpmc_close(ring_mpmc *r);
size_t ring_mpmc_capacity(const ring_mpmc *r);

#endif
