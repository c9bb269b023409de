/* scrub_writer: the ordered half of `claimd scrub`, shared by the
 * single-threaded path and the pipeline (private to daemon/runtime).
 *
 * Everything that depends on the claims before a claim lives here: the
 * duplicate decision (the run's fingerprint set, in input order), the 277CA
 * HL numbering and totals, the counts, and the take-back of a transaction
 * the 999 rejects (temporary outputs cut back to where it started, the
 * 277CA state and the duplicate set restored). The per-claim work
 * (scrub_eval + scrub_render) happens before, in the calling thread or in a
 * pipeline worker, and arrives as a scrub_done.
 *
 * The entry points are called in input order, from one thread at a time,
 * with the walker's event order: ichg_begin, (group_begin, (txn_begin,
 * claim*, txn_end)*)*, ichg_end. A scrub_file's outputs are temporary
 * files until scrub_file_commit() renames them into place.
 *
 * Logs carry file names, control numbers and counts only (never PHI).
 */
#ifndef CLAIMD_SCRUB_WRITER_H
#define CLAIMD_SCRUB_WRITER_H

#include "claimd/ack.h"
#include "claimd/ack277.h"
#include "claimd/cbuf.h"
#include "claimd/edit.h"
#include "claimd/fp.h"
#include "claimd/ofile.h"
#include "claimd/scrub.h"
#include "claimd/stats.h"
#include "claimd/tables.h"
#include "claimd/x12.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRUB_MOD "scrub"
#ifndef SCRUB_TXFP_MEM
#define SCRUB_TXFP_MEM 4096 /* fingerprints of the open transaction kept in memory */
#endif

/* The run: settings, tables and the duplicate set shared by its files. */
typedef struct scrub_run {
    const char *outdir;
    tbl_version *v;
    edit_settings es;
    scrub_cfg cfg; /* fp_hint set: for the calling thread only */
    ack_opts ao;
    bool no_uring;
    bool backend_logged;
    /* the run's duplicate set, and the fingerprints the open transaction
     * added to it (to remove them if the 999 rejects it): the last up to
     * SCRUB_TXFP_MEM in txfp, the earlier ones spilled to an unlinked
     * scratch file in outdir (spill_fd, created when first needed), so a
     * transaction of any size costs 64 KiB of memory */
    fp_set *fps;
    fp128 *txfp;
    size_t ntxfp;
    uint64_t nspilled;
    int spill_fd; /* -1: none yet */
    scrub_work w; /* the calling thread's (and the writer's duplicates) */
    cbuf pre;
    /* the daemon's hooks, set before scrub_run_init (NULL: none) */
    const fp_set *history;     /* earlier jobs' fingerprints: a claim found there is a
                                * DUPLICATE too (read by the writer only) */
    const _Atomic int *cancel; /* read between input buffers: a nonzero value (a negative
                                * error code) stops the file with that error */
    stats_shm *stats;          /* counters: slots "reader", "writer", "workerN" */
    stats_slot *st_read, *st_write;
    /* totals */
    unsigned files, failed;
    uint64_t claims, accepted, rejected;
} scrub_run;

/* Counts that a rejected transaction gives back. */
typedef struct scrub_counts {
    uint64_t accepted, rejected;
    uint64_t edits[EDIT_COUNT];
} scrub_counts;

typedef struct scrub_file {
    scrub_run *run;
    const char *name; /* base name, for the outputs and messages */
    ofile res, body;
    ack277 *a277;
    ack_999 *a999;
    scrub_counts cnt;
    uint64_t txn_acc, txn_rej, claims_dropped;
    /* where the open transaction started */
    uint64_t mark_res, mark_body;
    ack277_mark mark277;
    scrub_counts mark_cnt;
    uint64_t txn_claims;
    char isa13[10], gs06[10];
    int err; /* first output error (-errno / -ENOMEM) */
} scrub_file;

/* One claim after scrub_eval + scrub_render, before the duplicate decision.
 * The pointers are valid for the scrub_writer_claim() call. */
typedef struct scrub_done {
    const char *json; /* the results line, '\n' included */
    size_t json_len;
    const char *x277; /* its 277CA segments after the HL */
    size_t x277_len;
    uint32_t x277_segs;
    bool rejected;
    bool has_fp;
    fp128 fp;
    const uint16_t *edits; /* edit ids of its findings (for the counts) */
    uint32_t nedits;
} scrub_done;

/* Sets up r for outdir and the tables version v (which r then owns):
 * expect claims (a hint) size the duplicate set's segments. Returns 0 or
 * -ENOMEM. */
int scrub_run_init(scrub_run *r, tbl_version *v, size_t expect);
void scrub_run_release(scrub_run *r);

/* Copies an input value for a message: printable ASCII only, bounded. */
void scrub_safe(char *dst, size_t cap, const char *src);

/* Opens the file's temporary outputs and acknowledgment builders. Returns 0
 * or an error (logged). Close with scrub_file_close() whatever it returns. */
int scrub_file_open(scrub_file *f, scrub_run *r, const char *path);
/* Removes whatever was not committed and frees the builders. */
void scrub_file_close(scrub_file *f);
/* Turns the walk's return into the file's: -CLAIMD_EX12_STOPPED becomes
 * the error that stopped it (stop_err, else f->err, else the 999
 * builder's); an output error after a clean walk fails the file too. Logs
 * the failure. */
int scrub_file_walked(scrub_file *f, int rc, int stop_err, uint64_t err_off);
/* Writes the 277CA, the 999/TA1 and the summary; renames the results and
 * the 277CA into place. Returns 0 or an error (logged). */
int scrub_file_commit(scrub_file *f);

/* The events, in input order. */
void scrub_writer_ichg_begin(scrub_file *f, const x12_isa *isa);
void scrub_writer_group_begin(scrub_file *f, const x12_gs *gs);
void scrub_writer_txn_begin(scrub_file *f);
/* Decides DUPLICATE (re-evaluating the claim in r->w when it is one), then
 * appends its outputs. Returns 0 or the file's first error. */
int scrub_writer_claim(scrub_file *f, const clm_claim *c, const scrub_done *d);
/* verdict: the 999's IK501; st_ctrl: ST02 (printable) or "". */
int scrub_writer_txn_end(scrub_file *f, char verdict, const char *st_ctrl);
/* ichg_err: the first interchange-level (TA1) note code, or -1 for none. */
void scrub_writer_ichg_end(scrub_file *f, char verdict, int ichg_err);

/* Fills d from an evaluated and rendered work; edits (EDIT_MAX_FINDINGS
 * entries) receives the edit ids. */
void scrub_done_from_work(scrub_done *d, const scrub_work *w, uint16_t *edits);

/* Feeds the file at path to the walker w, reading with uring_reader (io_uring,
 * or pread with r->no_uring / CLAIMD_NO_URING=1), and logs the backend once
 * per run. Segments split between two buffers go through a small carry
 * buffer. Returns 0 or an error as for xfeed_file(). */
int scrub_feed_file(scrub_run *r, const char *path, x12_walker *w);

#endif
