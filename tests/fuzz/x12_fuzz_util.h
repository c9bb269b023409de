/* Shared by the X12 fuzz targets and tests/x12_tok_test.c: a recording sink
 * that reads every field of everything the walker hands out (so ASan sees a
 * bad read, and the contract's invariants are checked), and a feeder that
 * gives the walker an input cut at chosen offsets, each chunk in its own
 * exactly-sized heap block (so a read past a chunk's end is an ASan error).
 *
 * Header-only: each user includes it once.
 */
#ifndef CLAIMD_X12_FUZZ_UTIL_H
#define CLAIMD_X12_FUZZ_UTIL_H

#include "claimd/ack.h"
#include "claimd/claim.h"
#include "claimd/x12.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A contract violation found while reading the walker's output. */
#define XF_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "x12 fuzz: contract violated: %s (%s:%d)\n", #cond, __FILE__,          \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline uint64_t xf_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

static inline uint64_t xf_u64(uint64_t h, uint64_t v)
{
    return xf_mix(h, &v, sizeof v);
}

/* A fixed-size NUL-terminated field: the NUL must be inside the array. */
#define XF_STR(h, f)                                                                               \
    do {                                                                                           \
        const char *z_ = memchr((f), 0, sizeof(f));                                                \
        XF_CHECK(z_ != NULL);                                                                      \
        (h) = xf_mix((h), (f), (size_t)(z_ - (f)) + 1);                                            \
    } while (0)

static inline uint64_t xf_line_hash(uint64_t h, const clm_line *l)
{
    h = xf_u64(h, l->number);
    h = xf_u64(h, l->lx);
    h = xf_u64(h, l->seg_index);
    XF_STR(h, l->qual);
    XF_STR(h, l->code);
    XF_CHECK(l->nmods <= CLM_MAX_MODS);
    for (unsigned i = 0; i < CLM_MAX_MODS; i++)
        XF_STR(h, l->mods[i]);
    h = xf_u64(h, l->nmods);
    XF_STR(h, l->rev);
    XF_STR(h, l->unit_type);
    XF_STR(h, l->pos);
    XF_CHECK(l->nptrs <= CLM_MAX_PTRS);
    h = xf_mix(h, l->ptrs, l->nptrs);
    h = xf_u64(h, l->nptrs);
    h = xf_u64(h, (uint64_t)l->charge);
    h = xf_u64(h, l->units_milli);
    h = xf_u64(h, l->from);
    h = xf_u64(h, l->to);
    XF_STR(h, l->ndc);
    XF_STR(h, l->rendering_npi);
    return h;
}

/* Hashes every field of a claim and its lines, checking the model's bounds. */
static inline uint64_t xf_claim_hash(uint64_t h, const clm_claim *c)
{
    h = xf_u64(h, (uint64_t)c->type);
    XF_STR(h, c->isa13);
    XF_STR(h, c->gs06);
    XF_STR(h, c->st02);
    h = xf_u64(h, c->bht_date);
    h = xf_u64(h, (unsigned char)c->bill_entity);
    XF_STR(h, c->bill_npi);
    XF_STR(h, c->bill_tin);
    XF_STR(h, c->bill_tin_qual);
    XF_STR(h, c->bill_zip);
    XF_STR(h, c->bill_state);
    XF_STR(h, c->bill_taxonomy);
    h = xf_u64(h, (unsigned char)c->sbr_resp);
    XF_STR(h, c->sbr_rel);
    XF_STR(h, c->filing_ind);
    XF_STR(h, c->member_id);
    h = xf_u64(h, c->sub_dob);
    h = xf_u64(h, (unsigned char)c->sub_sex);
    XF_STR(h, c->payer_id);
    h = xf_u64(h, c->has_patient);
    XF_STR(h, c->pat_rel);
    h = xf_u64(h, c->pat_dob);
    h = xf_u64(h, (unsigned char)c->pat_sex);
    XF_STR(h, c->claim_id);
    h = xf_u64(h, (uint64_t)c->charge);
    XF_STR(h, c->pos);
    h = xf_u64(h, (unsigned char)c->freq);
    XF_STR(h, c->tob);
    XF_STR(h, c->ref_f8);
    h = xf_u64(h, c->stmt_from);
    h = xf_u64(h, c->stmt_to);
    h = xf_u64(h, c->admit_date);
    XF_STR(h, c->rendering_npi);
    XF_STR(h, c->referring_npi);
    XF_STR(h, c->facility_zip);
    XF_CHECK(c->ndx <= CLM_MAX_DX);
    for (unsigned i = 0; i < c->ndx; i++) {
        XF_STR(h, c->dx[i].code);
        XF_STR(h, c->dx[i].qual);
        h = xf_u64(h, (unsigned char)c->dx[i].poa);
        h = xf_u64(h, c->dx[i].seg_index);
    }
    XF_CHECK(c->nlines == 0 || c->lines != NULL);
    for (uint32_t i = 0; i < c->nlines; i++) {
        XF_CHECK(c->lines[i].number == i + 1);
        h = xf_line_hash(h, &c->lines[i]);
    }
    XF_CHECK(c->nissues <= CLM_MAX_ISSUES);
    for (unsigned i = 0; i < c->nissues; i++) {
        const clm_issue *is = &c->issues[i];
        XF_CHECK(is->kind > CLM_ISSUE_NONE && is->kind <= CLM_ISSUE_TOO_MANY);
        h = xf_u64(h, is->kind);
        h = xf_u64(h, is->elem);
        XF_STR(h, is->seg_id);
        h = xf_u64(h, is->line);
        h = xf_u64(h, is->seg_index);
    }
    h = xf_u64(h, c->issues_dropped);
    h = xf_u64(h, c->file_off);
    h = xf_u64(h, c->seg_index);
    return h;
}

static inline uint64_t xf_errs_hash(uint64_t h, const x12_err *e, uint32_t n)
{
    XF_CHECK(n == 0 || e != NULL);
    for (uint32_t i = 0; i < n; i++) {
        XF_CHECK(e[i].level >= X12_ERR_ELEM && e[i].level <= X12_ERR_ICHG);
        h = xf_u64(h, e[i].level);
        h = xf_u64(h, e[i].elem_pos);
        h = xf_u64(h, e[i].comp_pos);
        h = xf_u64(h, e[i].rep_pos);
        h = xf_u64(h, e[i].code);
        h = xf_u64(h, e[i].elem_ref);
        XF_STR(h, e[i].seg_id);
        XF_STR(h, e[i].loop_id);
        h = xf_u64(h, e[i].seg_pos);
        h = xf_u64(h, e[i].off);
        XF_STR(h, e[i].bad);
    }
    return h;
}

/* What a walk produced. Two walks of the same bytes must give equal records. */
typedef struct xf_rec {
    int rc;             /* first error of feed/finish, else 0 */
    uint64_t claims;    /* claim callbacks */
    uint64_t lines;     /* service lines in them */
    uint64_t claim_h;   /* hash of every claim field, in order */
    uint64_t verdict_h; /* hash of the event sequence and every verdict and error */
    uint32_t ichg, groups, txns;
    int depth; /* 0 outside an interchange, 1 in one, 2 in a group, 3 in a transaction */
} xf_rec;

static inline void xf_rec_init(xf_rec *r)
{
    memset(r, 0, sizeof *r);
    r->claim_h = r->verdict_h = UINT64_C(1469598103934665603);
}

static int xf_on_ichg_begin(void *ctx, const x12_isa *isa)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 0);
    r->depth = 1;
    uint64_t h = r->verdict_h;
    h = xf_u64(h, 'I');
    XF_STR(h, isa->auth_qual);
    XF_STR(h, isa->auth);
    XF_STR(h, isa->sec_qual);
    XF_STR(h, isa->sec);
    XF_STR(h, isa->sender_qual);
    XF_STR(h, isa->sender);
    XF_STR(h, isa->receiver_qual);
    XF_STR(h, isa->receiver);
    XF_STR(h, isa->date);
    XF_STR(h, isa->time);
    XF_STR(h, isa->version);
    XF_STR(h, isa->ctrl);
    h = xf_mix(h, &isa->delims, sizeof isa->delims);
    h = xf_u64(h, (unsigned char)isa->ack_req);
    h = xf_u64(h, (unsigned char)isa->usage);
    h = xf_u64(h, isa->off);
    r->verdict_h = h;
    return 0;
}

static int xf_on_group_begin(void *ctx, const x12_gs *gs)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 1);
    r->depth = 2;
    uint64_t h = xf_u64(r->verdict_h, 'G');
    XF_STR(h, gs->func);
    XF_STR(h, gs->sender);
    XF_STR(h, gs->receiver);
    XF_STR(h, gs->date);
    XF_STR(h, gs->time);
    XF_STR(h, gs->ctrl);
    XF_STR(h, gs->agency);
    XF_STR(h, gs->version);
    r->verdict_h = xf_u64(h, gs->off);
    return 0;
}

static int xf_on_txn_begin(void *ctx, const x12_st *st)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 2);
    r->depth = 3;
    uint64_t h = xf_u64(r->verdict_h, 'T');
    XF_STR(h, st->id);
    XF_STR(h, st->ctrl);
    XF_STR(h, st->impl);
    h = xf_u64(h, (uint64_t)st->type);
    r->verdict_h = xf_u64(h, st->off);
    return 0;
}

static int xf_on_claim(void *ctx, const clm_claim *c)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 3);
    r->claims++;
    r->lines += c->nlines;
    r->claim_h = xf_claim_hash(r->claim_h, c);
    return 0;
}

static int xf_on_txn_end(void *ctx, const x12_txn_result *t)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 3);
    XF_CHECK(t->verdict == 'A' || t->verdict == 'E' || t->verdict == 'R');
    r->depth = 2;
    r->txns++;
    uint64_t h = xf_u64(r->verdict_h, 't');
    h = xf_u64(h, (unsigned char)t->verdict);
    h = xf_u64(h, t->nerrs);
    h = xf_u64(h, t->errs_dropped);
    h = xf_u64(h, t->nsegs);
    h = xf_u64(h, t->nclaims);
    XF_STR(h, t->st->ctrl);
    r->verdict_h = xf_errs_hash(h, t->errs, t->nerrs);
    return 0;
}

static int xf_on_group_end(void *ctx, const x12_group_result *g)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 2);
    XF_CHECK(g->verdict == 'A' || g->verdict == 'E' || g->verdict == 'P' || g->verdict == 'R');
    XF_CHECK(g->nerrs <= 5);
    XF_CHECK(g->naccepted <= g->ntxn);
    r->depth = 1;
    r->groups++;
    uint64_t h = xf_u64(r->verdict_h, 'g');
    h = xf_u64(h, (unsigned char)g->verdict);
    h = xf_u64(h, g->ntxn);
    h = xf_u64(h, g->nrecv);
    h = xf_u64(h, g->naccepted);
    XF_STR(h, g->gs->ctrl);
    r->verdict_h = xf_errs_hash(h, g->errs, g->nerrs);
    return 0;
}

static int xf_on_ichg_end(void *ctx, const x12_ichg_result *i)
{
    xf_rec *r = ctx;
    XF_CHECK(r->depth == 1);
    XF_CHECK(i->verdict == 'A' || i->verdict == 'E' || i->verdict == 'R');
    r->depth = 0;
    r->ichg++;
    uint64_t h = xf_u64(r->verdict_h, 'i');
    h = xf_u64(h, (unsigned char)i->verdict);
    h = xf_u64(h, i->ta1_due);
    h = xf_u64(h, i->ngroups);
    XF_STR(h, i->isa->ctrl);
    r->verdict_h = xf_errs_hash(h, i->errs, i->nerrs);
    return 0;
}

static inline x12_sink xf_sink(xf_rec *r)
{
    x12_sink s = {.ctx = r,
                  .ichg_begin = xf_on_ichg_begin,
                  .group_begin = xf_on_group_begin,
                  .txn_begin = xf_on_txn_begin,
                  .claim = xf_on_claim,
                  .txn_end = xf_on_txn_end,
                  .group_end = xf_on_group_end,
                  .ichg_end = xf_on_ichg_end};
    return s;
}

/* Feeds buf[start..end) (the kept tail plus the next chunk) from its own heap
 * copy; returns the new start. */
static inline size_t xf_feed(x12_walker *w, const uint8_t *data, size_t start, size_t end, int *rc)
{
    size_t n = end - start, used = 0;
    char *p = malloc(n ? n : 1);
    XF_CHECK(p != NULL);
    memcpy(p, data + start, n);
    *rc = x12_walker_feed(w, p, n, &used);
    free(p);
    if (*rc == 0)
        XF_CHECK(used <= n);
    return start + (*rc == 0 ? used : 0);
}

/* Walks data[0..size) fed as chunks ending at cuts[0] < cuts[1] < ... (each
 * at most size), then the rest, then finish. Fills *r. When ack_h is not
 * NULL, the events also go to a 999 builder (first, as xfeed_walk_acked
 * does) and *ack_h is a hash of the 999 text and the TA1 text it built.
 * With general set, the walker reads every segment through its general
 * checks (x12_walker_force_general): both ways must give the same record. */
static inline void xf_walk_mode(const uint8_t *data, size_t size, const size_t *cuts, size_t ncuts,
                                xf_rec *r, uint64_t *ack_h, bool general)
{
    xf_rec_init(r);
    x12_sink rsink = xf_sink(r), sink = rsink;
    x12_sink_pair pair;
    ack_999 *ack = NULL;
    if (ack_h) {
        XF_CHECK(ack_999_create(NULL, &ack) == 0);
        ack_999_sink(ack, &pair.a);
        pair.b = rsink;
        x12_sink_tee(&pair, &sink);
    }
    x12_walker *w = NULL;
    XF_CHECK(x12_walker_create(&sink, &w) == 0);
    x12_walker_force_general(w, general);
    size_t start = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : size;
        if (end < start)
            continue; /* a cut inside the kept tail: nothing new */
        start = xf_feed(w, data, start, end, &rc);
    }
    if (rc == 0) {
        size_t n = size - start;
        char *p = malloc(n ? n : 1);
        XF_CHECK(p != NULL);
        memcpy(p, data + start, n);
        rc = x12_walker_finish(w, p, n);
        free(p);
    }
    r->rc = rc;
    x12_walk_stats st;
    x12_walker_stats(w, &st);
    XF_CHECK(st.claims == r->claims);
    XF_CHECK(st.lines == r->lines);
    if (rc == 0)
        XF_CHECK(r->depth == 0); /* a finished walk closes every interchange */
    x12_walker_free(w);
    if (ack) {
        XF_CHECK(ack_999_error(ack) == 0);
        size_t n999 = 0, nta1 = 0;
        const char *t999 = ack_999_text(ack, &n999);
        const char *tta1 = ack_ta1_text(ack, &nta1);
        XF_CHECK(n999 == 0 || t999 != NULL);
        XF_CHECK(nta1 == 0 || tta1 != NULL);
        uint64_t h = xf_u64(UINT64_C(1469598103934665603), n999);
        h = xf_mix(h, t999, n999);
        h = xf_u64(h, nta1);
        *ack_h = xf_mix(h, tta1, nta1);
        ack_999_free(ack);
    }
}

static inline void xf_walk_ack(const uint8_t *data, size_t size, const size_t *cuts, size_t ncuts,
                               xf_rec *r, uint64_t *ack_h)
{
    xf_walk_mode(data, size, cuts, ncuts, r, ack_h, false);
}

static inline void xf_walk(const uint8_t *data, size_t size, const size_t *cuts, size_t ncuts,
                           xf_rec *r)
{
    xf_walk_ack(data, size, cuts, ncuts, r, NULL);
}

static inline int xf_rec_equal(const xf_rec *a, const xf_rec *b)
{
    return a->rc == b->rc && a->claims == b->claims && a->lines == b->lines &&
           a->claim_h == b->claim_h && a->verdict_h == b->verdict_h && a->ichg == b->ichg &&
           a->groups == b->groups && a->txns == b->txns;
}

#endif
