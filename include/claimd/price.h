/* price_: Medicare Physician Fee Schedule pricing of a claim's service lines.
 *
 *   allowed = [(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF
 *
 * with the RVU row of the line's code and modifier (26/TC rows), facility or
 * non-facility PE by the line's place of service (else the claim's), the GPCI
 * locality from the service facility ZIP when present, else the billing
 * provider's ZIP (ZIP5 table; ZIP9 when the ZIP5 row is flagged plus-four),
 * and the conversion factor from the RVU row. Exact integer arithmetic: RVUs,
 * GPCIs and CF are x10^4 integers; the per-unit fee is rounded half away from
 * zero to cents, multiplied by units, then adjustments apply (multiple
 * procedure, bilateral, assistant, co-surgeon, OPPS cap), each rounded to
 * cents; the line's allowed is the lesser of its charge and that amount.
 *
 * Lines with a line-level error finding are allowed 0.00. A line that cannot
 * be priced (no RVUs, carrier-priced status, a family rule not built, the 6th
 * and later multiple procedure, 837I claims) is not priced ("allowed": null)
 * and gets a PRICE_UNAVAILABLE warning saying why.
 *
 * Pure code, thread-safe, no allocation.
 */
#ifndef CLAIMD_PRICE_H
#define CLAIMD_PRICE_H

#include "claimd/claim.h"
#include "claimd/edit.h"
#include "claimd/tables.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct price_line {
    bool priced;      /* false: "allowed": null */
    int64_t allowed;  /* cents, when priced */
    int64_t fee_unit; /* the per-unit fee schedule amount before adjustments, cents */
    uint16_t adj_pct; /* the payment adjustment applied, in tenths of a percent (1000 = 100 %) */
    /* Added after the first contract (additive): */
    uint8_t mult_proc; /* MULT PROC indicator of the RVU row priced; 0 when none was read */
    uint32_t mp_rank;  /* the line's first place among its date's multiple procedures
                        * (1 = paid at 100 %), 0 when no multiple-procedure rule applied */
} price_line;

/* Prices every line of c. lines must hold c->nlines entries. f holds the
 * claim's findings so far (from edit_claim): lines with a line-level error
 * get allowed 0.00; PRICE_UNAVAILABLE (and the MOD_BILATERAL warning for
 * bilateral indicator 0) are added to f. *claim_allowed is the sum of the
 * priced lines (cents); *any_priced says whether any line was priced.
 * Returns 0, or -EINVAL for bad arguments. */
int price_claim(const tbl_version *v, const edit_settings *s, const clm_claim *c, edit_findings *f,
                price_line *lines, int64_t *claim_allowed, bool *any_priced);

/* Facility setting for the PE RVU: true for the facility places of service
 * (19, 21, 22, 23, 24, 26, 31, 34, 41, 42, 51, 52, 53, 56, 61). */
bool price_pos_is_facility(const char *pos);

/* Rounds v / 10^div_pow10 half away from zero. Exposed for tests. */
int64_t price_round_div(__int128 v, int div_pow10);

#endif
