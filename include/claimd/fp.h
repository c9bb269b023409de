/* fp_: claim fingerprints and the in-run duplicate set.
 *
 * A claim's fingerprint is the XXH3-128 of the fields that make two claims
 * the same service billed twice: the billing provider NPI, the patient
 * (member id, the patient's birth date and sex when a 2000C loop is present,
 * else the subscriber's), and every line's dates, procedure code, modifiers,
 * units and charge, in line order. Replacement and void claims (frequency 7,
 * 8) are never duplicates and are not fingerprinted.
 *
 * The set keeps 16 bytes per distinct fingerprint (open addressing, grows by
 * doubling); the writer consults it in input order, so the first claim is
 * kept and later ones are flagged DUPLICATE whatever the thread count.
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

int fp_set_create(size_t expect, fp_set **out); /* 0 or -ENOMEM */
void fp_set_free(fp_set *s);                    /* NULL is a no-op */

/* Inserts f. Returns 1 when f was already present (a duplicate), 0 when it
 * was added, -ENOMEM when the set could not grow. */
int fp_set_add(fp_set *s, const fp128 *f);

/* Starts loading the slot fp_set_add(s, f) will probe first: a caller that
 * knows the fingerprint early hides the set's cache miss behind other work. */
void fp_set_prefetch(const fp_set *s, const fp128 *f);

size_t fp_set_count(const fp_set *s);
size_t fp_set_bytes(const fp_set *s); /* memory held */

#endif
