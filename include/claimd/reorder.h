/* reorder_: a bounded reorder window keyed by a uint64 sequence number.
 *
 * Workers finish work units out of order; the writer must emit them in input
 * order. Producers (any number of threads) insert each item with its
 * sequence number; one consumer thread takes items strictly in sequence
 * order, starting at first_seq. The window holds W slots (a power of two):
 * an insert of seq waits while seq - next >= W, where next is the sequence
 * number the consumer takes next, so at most W items are ever held and the
 * splitter upstream can never run more than W units ahead of the writer.
 *
 * Each sequence number must be inserted exactly once. Items are opaque
 * pointers (not NULL); the window never dereferences or frees them: an item
 * belongs to the window from its insert until the consumer takes it.
 *
 * Nothing allocates after create. Blocking calls spin briefly, then sleep on
 * a futex (ring_event). Close wakes every sleeper: inserts then fail with
 * -EPIPE, and takes return the items that are next in order, then -EPIPE
 * (items after a missing number stay in the window; reorder_pending counts
 * them).
 *
 * Memory orders: a slot is filled, then its tag (seq + 1) is stored with
 * release; the consumer loads the tag with acquire before reading the item,
 * then stores next with release; producers load next with acquire before
 * they may reuse that slot.
 */
#ifndef CLAIMD_REORDER_H
#define CLAIMD_REORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct reorder reorder;

/* Creates a window of `window` slots (a power of two, 2..2^24) whose first
 * expected sequence number is first_seq. Returns 0 and *out, or -EINVAL,
 * -ENOMEM. Free with reorder_free() when no thread uses it. */
int reorder_create(reorder **out, size_t window, uint64_t first_seq);
/* NULL is a no-op. Items still held are not freed (the caller owns them). */
void reorder_free(reorder *r);

/* Inserts item under seq without waiting. Returns 0, or:
 *   -EAGAIN  seq is beyond the window (seq - next >= W)
 *   -EINVAL  item is NULL, or seq was already taken (seq < next)
 *   -EEXIST  seq is already in the window (a programmer error, detected
 *            when the two inserts do not race)
 *   -EPIPE   the window is closed */
int reorder_insert(reorder *r, uint64_t seq, void *item);
/* As reorder_insert, sleeping while seq is beyond the window. Never
 * returns -EAGAIN. */
int reorder_insert_wait(reorder *r, uint64_t seq, void *item);

/* Consumer (one thread). Takes the item numbered next, if it is there.
 * Returns 0 and *item, -EAGAIN (not inserted yet), -EPIPE (closed and next
 * is missing). */
int reorder_take(reorder *r, void **item);
/* As reorder_take, sleeping until item next arrives or the window closes. */
int reorder_take_wait(reorder *r, void **item);

/* Any thread; idempotent. */
void reorder_close(reorder *r);
/* The sequence number the consumer takes next. */
uint64_t reorder_next(const reorder *r);
/* Items inserted and not taken (a snapshot while producers run); O(W). */
size_t reorder_pending(const reorder *r);

#endif
