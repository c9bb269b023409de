/* fp_: claim fingerprints and the in-run duplicate set.
 *
 * A claim's fingerprint is the XXH3-128 of the fields that make two claims
 * the same service billed twice: the billing provider NPI, the patient
 * (member id, the patient's birth date and sex when a 2000C loop is present,
 * else the subscriber's), and every line's dates, procedure code, modifiers,
 * units and charge, in line order. Replacement and void claims (frequency 7,
 * 8) are never duplicates and are not fingerprinted.
 *
 * The duplicate set is a bucketized cuckoo hash set of 96-bit keys: a
 * fingerprint's lo 64 bits and the low 32 bits of its hi. Two claims whose
 * keys agree are taken for the same; among n distinct claims the chance of
 * any false duplicate is about n^2 / 2^97: 6e-16 at 10 M claims. Buckets of
 * 5 slots of 12 bytes (60 bytes and 4 spare in a 64-byte cache line), two
 * candidate buckets per key from independent hashes of its lo 64 and its
 * 32 hi bits (computed from the stored key alone, so kicks move entries
 * correctly), in 2^k segments that grow one at a time by 5/4 when past
 * 94 % full.
 *
 * Memory: 64 / 5 = 12.8 bytes a slot at 75-94 % load, spread over that
 * range across segments: about 15 bytes per distinct fingerprint whatever
 * the count (15.2 at 1 M and at 10 M; the bound is 16), plus one
 * segment (a few hundred KB) while it grows. Worst case, every segment just
 * grown: 12.8 / 0.75 = 17.1 bytes; every segment full: 13.6.
 *
 * Costs: a lookup reads two cache lines. An insert into two full buckets
 * first moves an entry of one to a free slot of its other bucket, else
 * kicks along a chain of at most 256 steps (0.2 kicks an insert on
 * average); a chain that fails is undone, its segment grows and the insert
 * retries. A growth reinserts one segment's entries (about 16 k for the
 * hinted count), amortized about 4 moves an insert. Everything is
 * deterministic (fixed hash constants, a fixed-seed generator for kick
 * choices): the same calls give the same layout and memory. Membership
 * never depends on the layout. One thread at a time per set.
 *
 * The writer consults the set in input order, so the first claim is kept
 * and later ones are flagged DUPLICATE whatever the thread count.
 */
#ifndef CLAIMD_FP_H
#define CLAIMD_FP_H

#include "claimd/claim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fp128 {
    uint64_t lo, hi;
} fp128;

/* false when the claim is not fingerprinted (frequency 7 or 8). */
bool fp_claim(const clm_claim *c, fp128 *out);

typedef struct fp_set fp_set;

/* Creates an empty set into *out. expect (a hint, 0 allowed) chooses the
 * number of segments (about 16 k expected entries each, at most 4096), not
 * the memory, which follows the entries (one page a segment to start).
 * Returns 0, -EINVAL (out NULL) or -ENOMEM. */
int fp_set_create(size_t expect, fp_set **out);
void fp_set_free(fp_set *s); /* NULL is a no-op */

/* Inserts f. Returns 1 when f was already present (a duplicate), 0 when it
 * was added, -ENOMEM when the set could not grow (the set is then
 * unchanged), -EINVAL when s or f is NULL. */
int fp_set_add(fp_set *s, const fp128 *f);

/* Removes f (to take back what fp_set_add() added). Returns 1 when f was
 * present, 0 when not, -EINVAL when s or f is NULL. Never shrinks the set. */
int fp_set_remove(fp_set *s, const fp128 *f);

/* Starts loading both buckets fp_set_add(s, f) will read: a caller that
 * knows the fingerprint early hides the set's cache misses behind other
 * work. */
void fp_set_prefetch(const fp_set *s, const fp128 *f);

/* true when f is in s (the set is not changed); false for NULL arguments. */
bool fp_set_has(const fp_set *s, const fp128 *f);

/* Calls fn(ctx, f) for every entry, in an order that depends on the layout
 * (deterministic for the same calls). Each f holds the stored 96 bits: its
 * hi has the fingerprint's low 32 bits of hi and zeros above, which every
 * fp_set function treats as the original. fn returns nonzero to stop;
 * that value is returned, else 0. */
int fp_set_each(const fp_set *s, int (*fn)(void *ctx, const fp128 *f), void *ctx);

size_t fp_set_count(const fp_set *s);
/* Memory held: the struct, the segment table and every segment's
 * page-rounded mapping; about 15 bytes per entry (see above). */
size_t fp_set_bytes(const fp_set *s);

#endif
