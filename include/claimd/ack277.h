/* ack277_: the 277CA (005010X214) claim acknowledgment, one per input file.
 *
 * Layout (docs/outputs.md):
 *
 *   ISA GS*HN ST*277 BHT*0085*08
 *   HL*1**20*1     information source (the clearinghouse: NM1*AY, TRN*1, DTP*050, DTP*009)
 *   HL*2*1*21*x    information receiver (the submitter: NM1*41, TRN*2, STC, QTY, AMT)
 *   HL*n*2*19*1    billing provider (NM1*85), one per run of claims with the same provider
 *   HL*m*n*PT      patient (NM1*QC, TRN*2 claim id, STC, REF*BLT, DTP*472), one per claim
 *   SE GE IEA
 *
 * The receiver level carries the file's totals, so it cannot be written
 * before the claims: the writer renders the claims (the "body") as they come
 * and the head (ISA .. the receiver level) and the tail (SE, GE, IEA) at the
 * end; the runtime writes head, body, tail, in that order. Everything here is
 * pure: no I/O, no globals. A claim's own segments (after its HL) are
 * rendered by ack277_claim_render(), which scrub_claim() calls, so workers can
 * render them in parallel; the HL numbering, the provider grouping and the
 * counts are ordering decisions kept in the ack277 state.
 *
 * Determinism: control numbers and dates come from the first input
 * interchange (ISA13, ISA09/ISA10) and the claims' BHT04, or from a counter
 * (ack_opts.use_counter).
 *
 * Echoed values (ids, NPIs, member ids) have the output delimiters and
 * control bytes replaced, so no value can split a segment. The output carries
 * PHI (member ids): it goes to the submitter, never to a log.
 */
#ifndef CLAIMD_ACK277_H
#define CLAIMD_ACK277_H

#include "claimd/ack.h"
#include "claimd/cbuf.h"
#include "claimd/claim.h"
#include "claimd/x12.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the 277CA text is written: delimiters, and a line break after each
 * segment terminator or not. */
typedef struct ack277_fmt {
    x12_delims d;
    char repl; /* replaces delimiter bytes in echoed values */
    bool newline;
} ack277_fmt;

/* One STC status: category (A1, A2, A6, A7, A8) and status code ("20", "562"). */
typedef struct ack277_status {
    char cat[3];
    char code[6];
} ack277_status;

/* Status composites one STC holds: STC01, STC10, STC11. */
#define ACK277_MAX_STATUS 3

/* Renders one claim's segments after its HL*..*PT: NM1*QC, TRN*2*<claim
 * id>, STC (A2:20 when accepted; else the given statuses, at most
 * ACK277_MAX_STATUS, with action code U), REF*BLT (837I type of bill) and
 * DTP*472 (the claim's service dates, D8 or RD8; left out when no date is
 * known). STC02 is the claim's BHT04, STC04 its total charge. Appends to b
 * and adds the segments written to *nsegs. Returns cbuf_error(b). */
int ack277_claim_render(cbuf *b, const ack277_fmt *f, const clm_claim *c, bool rejected,
                        const ack277_status *st, size_t nst, uint32_t *nsegs);

/* Appends cents as an X12 decimal (R): "155", "155.5", "-0.05". */
void ack277_put_amount(cbuf *b, int64_t cents);

/* ---- the file's state: envelope, HL numbering, totals ------------------- */

typedef struct ack277 ack277;

/* Creates a writer. opts may be NULL for the defaults (control numbers and
 * dates from the input; its delimiters; no line breaks). Returns 0 or
 * -ENOMEM. */
int ack277_create(const ack_opts *opts, ack277 **out);
void ack277_free(ack277 *a); /* NULL is a no-op */

/* Records an input interchange. The first one fixes the output's
 * delimiters, its swapped sender and receiver, its control number and dates;
 * later ones are ignored. Call before any claim. */
void ack277_input_isa(ack277 *a, const x12_isa *isa);
/* Records an input group: the first one's GS02/GS03 are echoed (swapped). */
void ack277_input_gs(ack277 *a, const x12_gs *gs);

/* The output format (valid after ack277_input_isa; defaults before). */
const ack277_fmt *ack277_format(const ack277 *a);

/* Starts a new input transaction: the next claim opens a new billing
 * provider level even when its provider is the one of the previous claim. */
void ack277_txn_begin(ack277 *a);

/* Appends the HL levels that go before a claim's own segments (a billing
 * provider HL*19 and NM1*85 when the provider differs from the previous
 * claim's, then the claim's HL*PT) to b, and counts the claim (accepted or
 * rejected, with its charge) in the receiver-level totals. Returns
 * cbuf_error(b). */
int ack277_claim_begin(ack277 *a, cbuf *b, const clm_claim *c, bool rejected);
/* Counts segments of the claim rendered by ack277_claim_render(). */
void ack277_add_segs(ack277 *a, uint32_t nsegs);

/* A point to return to: the state after a transaction's last claim, so the
 * claims of a transaction the 999 rejects can be taken back. */
typedef struct ack277_mark {
    uint32_t hl, prov_hl, body_segs;
    uint64_t n_acc, n_rej;
    int64_t amt_acc, amt_rej;
    bool txn_new;
    char prov_npi[11];
} ack277_mark;

void ack277_mark_get(const ack277 *a, ack277_mark *m);
void ack277_mark_restore(ack277 *a, const ack277_mark *m);

/* Claims counted so far. */
void ack277_counts(const ack277 *a, uint64_t *accepted, uint64_t *rejected);

/* Renders the head: ISA, GS, ST, BHT, the information source and receiver
 * levels (with the totals of the claims counted). Call after the last claim.
 * Returns cbuf_error(b). */
int ack277_head(ack277 *a, cbuf *b);
/* Renders the tail: SE (every segment from ST on), GE, IEA. Call after
 * ack277_head(). Returns cbuf_error(b). */
int ack277_tail(ack277 *a, cbuf *b);

#endif
