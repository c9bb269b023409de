/* scrub_: one claim's fate, rendered: the edits, the price, the duplicate
 * fingerprint, its results line (JSON) and its 277CA segments.
 *
 * Per claim: edit_claim() (with the transaction's BHT04 as "today"), then
 * price_claim(), then the fingerprint (fp_claim). Whether the claim is a
 * DUPLICATE depends on every claim before it, so it is decided by whoever
 * sees the run in input order: scrub_claim() asks a callback when given one
 * (the single-threaded runner), or the caller calls scrub_mark_duplicate()
 * and scrub_render() again afterwards (a pipeline whose writer restores
 * order). The claim is rejected when any finding is an error.
 *
 * Pure code: no I/O, no globals, and no allocation per claim once the work
 * buffers have grown to the largest claim seen. Thread-safe with one
 * scrub_work per thread.
 *
 * The rendered text carries PHI (member ids, codes): it goes to the output
 * files, never to a log.
 */
#ifndef CLAIMD_SCRUB_H
#define CLAIMD_SCRUB_H

#include "claimd/ack277.h"
#include "claimd/cbuf.h"
#include "claimd/claim.h"
#include "claimd/edit.h"
#include "claimd/fp.h"
#include "claimd/price.h"
#include "claimd/tables.h"

#include <stdbool.h>
#include <stdint.h>

/* Immutable while claims are scrubbed. */
typedef struct scrub_cfg {
    const tbl_version *v;
    const edit_settings *s;
    /* Optional: told the claim's fingerprint before the edits run, so the
     * duplicate set can start loading its slot (fp_set_prefetch). */
    void (*fp_hint)(void *ctx, const fp128 *fp);
    void *fp_hint_ctx;
} scrub_cfg;

/* A thread's reusable state and the results of the last claim. The caller
 * owns it (scrub_work_init / scrub_work_release). */
typedef struct scrub_work {
    edit_findings f;
    uint8_t order[EDIT_MAX_FINDINGS]; /* findings in output order: by line, then edit */
    price_line *lines;                /* one per service line of the claim */
    uint32_t lines_cap;
    int64_t allowed; /* sum of the priced lines, cents */
    bool any_priced;
    bool rejected;
    bool has_fp; /* false for replacement and void claims */
    fp128 fp;
    cbuf json; /* the results line, ending in '\n' */
    cbuf x277; /* the claim's 277CA segments after its HL (ack277_claim_render) */
    uint32_t x277_segs;
} scrub_work;

void scrub_work_init(scrub_work *w);
void scrub_work_release(scrub_work *w);

/* Decides, in input order, whether a fingerprint was seen before: returns 1
 * (a duplicate), 0 (first seen; remember it), or a negative error. */
typedef int (*scrub_dup_fn)(void *ctx, const fp128 *fp);

/* Edits, prices and fingerprints c. Renders nothing. Returns 0, -ENOMEM
 * (the line buffer could not grow), or -EINVAL from the engine. */
int scrub_eval(const scrub_cfg *cfg, const clm_claim *c, scrub_work *w);

/* Adds the DUPLICATE finding (at its configured severity) and updates the
 * status. */
void scrub_mark_duplicate(const scrub_cfg *cfg, const clm_claim *c, scrub_work *w);

/* Renders w->json and w->x277 from the evaluated claim (replacing what they
 * held). fmt gives the 277CA delimiters. Returns 0 or -ENOMEM. */
int scrub_render(const ack277_fmt *fmt, const clm_claim *c, scrub_work *w);

/* scrub_eval, then (when dup is not NULL and the claim has a fingerprint)
 * dup(dup_ctx, fp) and scrub_mark_duplicate on 1, then scrub_render.
 * Returns 0, an error of those, or dup's negative return. */
int scrub_claim(const scrub_cfg *cfg, const ack277_fmt *fmt, const clm_claim *c, scrub_dup_fn dup,
                void *dup_ctx, scrub_work *w);

/* Appends one claim's results JSON object (no newline) from an evaluated
 * work: {"claim_id", "file_offset", "status", "charge", "allowed",
 * "findings":[...], "lines":[...]}. Returns cbuf_error(b). */
int scrub_json(cbuf *b, const clm_claim *c, const scrub_work *w);

/* The 277CA statuses of the claim's error findings, distinct, in output
 * order, at most max. Returns the count. */
size_t scrub_statuses(const scrub_work *w, ack277_status *st, size_t max);

#endif
