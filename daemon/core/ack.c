/* The 999 (005010X231A1) and TA1 writers.
 *
 * One output interchange per input interchange that has at least one
 * functional group: ISA, GS*FA, then one 999 set per input group, GE, IEA.
 * The output interchange is built in `cur` and moved to `out` only at the
 * input's ichg_end, so ack_999_text() never shows half an interchange.
 * Every value echoed from the input is copied with the output delimiters
 * (and control bytes) replaced, so no echoed value can split a segment.
 */
#include "claimd/ack.h"

#include "ack_int.h"
#include "claimd/cbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACK_MAX_CODES 5 /* IK502..IK506, AK905..AK909 */

struct ack_999 {
    ack_opts o;
    uint64_t counter; /* next counter value when o.use_counter */
    cbuf out;         /* complete 999 interchanges */
    cbuf ta1;         /* complete TA1 interchanges */
    cbuf cur;         /* the 999 interchange being built */

    /* the input interchange being acknowledged */
    x12_isa isa;
    x12_delims d;  /* output delimiters for it */
    char repl;     /* replaces delimiter bytes in echoed values */
    bool out_open; /* ISA and GS of the output interchange are written */
    char isa13[10];
    char gs06[10];
    uint32_t nsets; /* 999 sets in the output group */

    /* the 999 set being built (one per input group) */
    bool set_open;
    char set_ctrl[5];
    uint32_t set_segs;
    uint32_t nrecv, nacc;
    x12_st st; /* the input transaction, from txn_begin */

    size_t seg_start; /* where the segment being written starts in cur */
};

/* ---- segments ----------------------------------------------------------- */

static bool ack_is_delim(const ack_999 *a, unsigned char c)
{
    return c == (unsigned char)a->d.elem || c == (unsigned char)a->d.comp ||
           c == (unsigned char)a->d.rep || c == (unsigned char)a->d.seg || c < 0x20 || c == 0x7f;
}

/* Appends s[0..n) with delimiter and control bytes replaced. */
static void ack_put_val(ack_999 *a, cbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* the analyzer loses strlen() of a 2-byte array (ack_on_group_end) */
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign)
        unsigned char c = (unsigned char)s[i];
        cbuf_putc(b, ack_is_delim(a, c) ? a->repl : (char)c);
    }
}

static void ack_seg_begin(ack_999 *a, cbuf *b, const char *id)
{
    a->seg_start = b->len;
    cbuf_puts(b, id);
}

/* An element holding a (sanitized) string value, possibly empty. */
static void ack_el(ack_999 *a, cbuf *b, const char *v)
{
    cbuf_putc(b, a->d.elem);
    ack_put_val(a, b, v, strlen(v));
}

static void ack_el_u(ack_999 *a, cbuf *b, uint64_t v)
{
    cbuf_putc(b, a->d.elem);
    cbuf_printf(b, "%" PRIu64, v);
}

/* Ends a segment: drops empty trailing elements (echoed values never hold a
 * separator, so trailing separators are exactly the empty elements), adds
 * the terminator and counts the segment in the open 999 set. */
static void ack_seg_end(ack_999 *a, cbuf *b)
{
    while (b->len > a->seg_start && b->p[b->len - 1] == a->d.elem)
        b->len--;
    cbuf_putc(b, a->d.seg);
    if (a->o.newline)
        cbuf_putc(b, '\n');
    if (b == &a->cur && a->set_open)
        a->set_segs++;
}

/* ---- delimiters, control numbers, dates -------------------------------- */

static bool ack_delim_ok(char c, const char *others, size_t n)
{
    if (c == 0 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        c == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (others[i] == c)
            return false;
    return true;
}

/* Picks c if usable and distinct from the ones chosen so far, else the
 * first usable one of the fallbacks. */
static char ack_pick(char c, const char *fallbacks, const char *chosen, size_t n)
{
    if (ack_delim_ok(c, chosen, n))
        return c;
    for (const char *f = fallbacks; *f; f++)
        if (ack_delim_ok(*f, chosen, n))
            return *f;
    return 0;
}

void ack_delims_choose(const ack_opts *o, const x12_delims *in, x12_delims *out, char *repl)
{
    char ch[4] = {0};
    ch[0] = ack_pick(o->elem ? o->elem : in ? in->elem : 0, "*|!", ch, 0);
    ch[1] = ack_pick(o->seg ? o->seg : in ? in->seg : 0, "~'\n", ch, 1);
    ch[2] = ack_pick(o->comp ? o->comp : in ? in->comp : 0, ":>\\", ch, 2);
    /* 5010 needs a repetition separator even when the input (4010) had none */
    ch[3] = ack_pick(o->rep ? o->rep : in ? in->rep : 0, "^{}", ch, 3);
    *out = (x12_delims){.elem = ch[0], .seg = ch[1], .comp = ch[2], .rep = ch[3]};
    *repl = ack_pick('?', " .-", ch, 4);
}

static void ack_set_delims(ack_999 *a, const x12_isa *isa)
{
    ack_delims_choose(&a->o, isa ? &isa->delims : NULL, &a->d, &a->repl);
}

uint32_t ack_ctrl_value(const char *s)
{
    size_t n = strlen(s);
    bool digits = n > 0 && n <= 9;
    uint64_t v = 0;
    for (size_t i = 0; digits && i < n; i++) {
        digits = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (digits)
        return (uint32_t)v;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h % ACK_CTRL_MOD;
}

/* The control number of the next output interchange. */
static uint32_t ack_next_ctrl(ack_999 *a, const x12_isa *isa)
{
    if (!a->o.use_counter)
        return ack_ctrl_value(isa ? isa->ctrl : "");
    uint32_t v = (uint32_t)(a->counter % ACK_CTRL_MOD);
    a->counter = a->counter + 1 >= ACK_CTRL_MOD ? 1 : a->counter + 1;
    return v;
}

bool ack_all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* ISA09/ISA10 of the output: the input's, so the output is a function of the
 * input; a malformed input date gives a fixed placeholder. */
void ack_isa_datetime(const x12_isa *isa, char date[7], char time[5])
{
    bool okd = isa && ack_all_digits(isa->date, 6);
    bool okt = isa && ack_all_digits(isa->time, 4);
    memcpy(date, okd ? isa->date : "000101", 7);
    memcpy(time, okt ? isa->time : "0000", 5);
}

/* ---- envelopes ---------------------------------------------------------- */

static void ack_el_fixed(ack_999 *a, cbuf *b, const char *v, size_t width)
{
    size_t n = 0;
    while (n < width && v[n])
        n++;
    cbuf_putc(b, a->d.elem);
    ack_put_val(a, b, v, n);
    for (; n < width; n++)
        cbuf_putc(b, ' ');
}

/* Writes an output ISA that swaps the sender and receiver of the input. */
static void ack_write_isa(ack_999 *a, cbuf *b, const x12_isa *isa, uint32_t ctrl)
{
    static const x12_isa none;
    if (!isa)
        isa = &none;
    char date[7], time[5], rep[2] = {a->d.rep, 0}, ctl[10];
    ack_isa_datetime(isa, date, time);
    snprintf(ctl, sizeof ctl, "%09" PRIu32, ctrl);
    ack_seg_begin(a, b, "ISA");
    ack_el(a, b, "00");
    ack_el_fixed(a, b, "", 10);
    ack_el(a, b, "00");
    ack_el_fixed(a, b, "", 10);
    ack_el_fixed(a, b, isa->receiver_qual[0] ? isa->receiver_qual : "ZZ", 2);
    ack_el_fixed(a, b, isa->receiver, 15);
    ack_el_fixed(a, b, isa->sender_qual[0] ? isa->sender_qual : "ZZ", 2);
    ack_el_fixed(a, b, isa->sender, 15);
    ack_el(a, b, date);
    ack_el(a, b, time);
    cbuf_putc(b, a->d.elem);
    cbuf_puts(b, rep);
    ack_el(a, b, "00501");
    ack_el(a, b, ctl);
    ack_el(a, b, "0");
    ack_el(a, b, isa->usage == 'T' ? "T" : "P");
    cbuf_putc(b, a->d.elem);
    cbuf_putc(b, a->d.comp);
    ack_seg_end(a, b);
}

static void ack_write_iea(ack_999 *a, cbuf *b, uint32_t ngroups, uint32_t ctrl)
{
    char ctl[10];
    snprintf(ctl, sizeof ctl, "%09" PRIu32, ctrl);
    ack_seg_begin(a, b, "IEA");
    ack_el_u(a, b, ngroups);
    ack_el(a, b, ctl);
    ack_seg_end(a, b);
}

/* Opens the output interchange and its FA group at the first input group. */
static void ack_open_output(ack_999 *a, const x12_gs *gs)
{
    uint32_t ctrl = ack_next_ctrl(a, &a->isa);
    snprintf(a->isa13, sizeof a->isa13, "%09" PRIu32, ctrl);
    snprintf(a->gs06, sizeof a->gs06, "%" PRIu32, ctrl);
    ack_write_isa(a, &a->cur, &a->isa, ctrl);

    char date[9], time[5];
    ack_isa_datetime(&a->isa, date + 2, time);
    /* ISA09 has two year digits: the century window of X12 practice */
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): the century before date + 2's CCYYMMDD
    memcpy(date, date[2] < '7' ? "20" : "19", 2);
    ack_seg_begin(a, &a->cur, "GS");
    ack_el(a, &a->cur, "FA");
    ack_el(a, &a->cur, gs->receiver);
    ack_el(a, &a->cur, gs->sender);
    ack_el(a, &a->cur, date);
    ack_el(a, &a->cur, time);
    ack_el(a, &a->cur, a->gs06);
    ack_el(a, &a->cur, "X");
    ack_el(a, &a->cur, "005010X231A1");
    ack_seg_end(a, &a->cur);
    a->out_open = true;
    a->nsets = 0;
}

/* ---- sink callbacks ----------------------------------------------------- */

static int ack_status(const ack_999 *a)
{
    if (a->cur.err || a->out.err || a->ta1.err)
        return -ENOMEM;
    return 0;
}

static int ack_on_ichg_begin(void *ctx, const x12_isa *isa)
{
    ack_999 *a = ctx;
    memset(&a->isa, 0, sizeof a->isa);
    if (isa)
        a->isa = *isa;
    ack_set_delims(a, isa);
    cbuf_clear(&a->cur);
    a->out_open = false;
    a->set_open = false;
    return ack_status(a);
}

static int ack_on_group_begin(void *ctx, const x12_gs *gs)
{
    ack_999 *a = ctx;
    static const x12_gs none;
    if (!gs)
        gs = &none;
    if (!a->d.elem)
        ack_set_delims(a, NULL); /* no ichg_begin seen: default delimiters */
    if (!a->out_open)
        ack_open_output(a, gs);
    a->nsets++;
    snprintf(a->set_ctrl, sizeof a->set_ctrl, "%04" PRIu32, a->nsets % 10000);
    a->set_open = true;
    a->set_segs = 0;
    a->nrecv = a->nacc = 0;
    ack_seg_begin(a, &a->cur, "ST");
    ack_el(a, &a->cur, "999");
    ack_el(a, &a->cur, a->set_ctrl);
    ack_el(a, &a->cur, "005010X231A1");
    ack_seg_end(a, &a->cur);
    ack_seg_begin(a, &a->cur, "AK1");
    ack_el(a, &a->cur, gs->func[0] ? gs->func : "HC");
    ack_el(a, &a->cur, gs->ctrl);
    ack_el(a, &a->cur, gs->version);
    ack_seg_end(a, &a->cur);
    return ack_status(a);
}

static int ack_on_txn_begin(void *ctx, const x12_st *st)
{
    ack_999 *a = ctx;
    memset(&a->st, 0, sizeof a->st);
    if (st)
        a->st = *st;
    return 0;
}

static void ack_write_ik3(ack_999 *a, const x12_err *e, unsigned code)
{
    ack_seg_begin(a, &a->cur, "IK3");
    ack_el(a, &a->cur, e->seg_id);
    ack_el_u(a, &a->cur, e->seg_pos);
    ack_el(a, &a->cur, e->loop_id);
    if (code)
        ack_el_u(a, &a->cur, code);
    ack_seg_end(a, &a->cur);
}

static void ack_write_ik4(ack_999 *a, const x12_err *e)
{
    cbuf *b = &a->cur;
    ack_seg_begin(a, b, "IK4");
    cbuf_putc(b, a->d.elem);
    cbuf_printf(b, "%u", e->elem_pos);
    if (e->comp_pos || e->rep_pos) {
        cbuf_putc(b, a->d.comp);
        if (e->comp_pos)
            cbuf_printf(b, "%u", e->comp_pos);
    }
    if (e->rep_pos) {
        cbuf_putc(b, a->d.comp);
        cbuf_printf(b, "%u", e->rep_pos);
    }
    cbuf_putc(b, a->d.elem);
    if (e->elem_ref)
        cbuf_printf(b, "%u", e->elem_ref);
    ack_el_u(a, b, e->code);
    ack_el(a, b, e->bad);
    ack_seg_end(a, b);
}

/* Writes the IK3/IK4 of a transaction and collects its IK5 codes. Returns
 * the number of segment-level (IK3/IK4) errors. */
static uint32_t ack_write_seg_errs(ack_999 *a, const x12_txn_result *r, unsigned codes[],
                                   size_t *ncodes)
{
    uint32_t nseg = 0;
    const x12_err *ik3 = NULL; /* the IK3 that element errors attach to */
    for (uint32_t i = 0; i < r->nerrs; i++) {
        const x12_err *e = &r->errs[i];
        if (e->level == X12_ERR_SEG) {
            ack_write_ik3(a, e, e->code);
            ik3 = e;
            nseg++;
        } else if (e->level == X12_ERR_ELEM) {
            /* an element error needs its segment's IK3 first */
            if (!ik3 || ik3->seg_pos != e->seg_pos || strcmp(ik3->seg_id, e->seg_id) != 0) {
                ack_write_ik3(a, e, X12_IK3_HAS_ELEM_ERRS);
                ik3 = e;
            }
            ack_write_ik4(a, e);
            nseg++;
        } else if (e->level == X12_ERR_TXN && *ncodes < ACK_MAX_CODES) {
            bool dup = false;
            for (size_t k = 0; k < *ncodes; k++)
                dup = dup || codes[k] == e->code;
            if (!dup)
                codes[(*ncodes)++] = e->code;
        }
    }
    return nseg;
}

static int ack_on_txn_end(void *ctx, const x12_txn_result *r)
{
    ack_999 *a = ctx;
    if (!a->set_open)
        ack_on_group_begin(a, NULL); /* a walker that skipped group_begin */
    const x12_st *st = r->st ? r->st : &a->st;
    ack_seg_begin(a, &a->cur, "AK2");
    ack_el(a, &a->cur, st->id[0] ? st->id : "837");
    ack_el(a, &a->cur, st->ctrl);
    ack_el(a, &a->cur, st->impl);
    ack_seg_end(a, &a->cur);

    unsigned codes[ACK_MAX_CODES];
    size_t ncodes = 0;
    uint32_t nseg = ack_write_seg_errs(a, r, codes, &ncodes);
    char v = r->verdict;
    if (v != 'A' && v != 'E' && v != 'R')
        v = r->nerrs ? 'R' : 'A';
    if (v == 'A' && (nseg || ncodes))
        v = 'E'; /* IK5*A cannot stand beside IK3 segments */
    if (v != 'A' && ncodes == 0 && nseg)
        codes[ncodes++] = X12_IK5_SEG_ERRORS;

    char vs[2] = {v, 0};
    ack_seg_begin(a, &a->cur, "IK5");
    ack_el(a, &a->cur, vs);
    for (size_t k = 0; k < ncodes; k++)
        ack_el_u(a, &a->cur, codes[k]);
    ack_seg_end(a, &a->cur);
    a->nrecv++;
    if (v != 'R')
        a->nacc++;
    return ack_status(a);
}

static char ack_group_verdict(const ack_999 *a, const x12_group_result *r)
{
    if (r->verdict == 'A' || r->verdict == 'E' || r->verdict == 'P' || r->verdict == 'R')
        return r->verdict;
    if (a->nacc == 0)
        return 'R';
    if (a->nacc < a->nrecv)
        return 'P';
    return r->nerrs ? 'E' : 'A';
}

static int ack_on_group_end(void *ctx, const x12_group_result *r)
{
    ack_999 *a = ctx;
    if (!a->set_open)
        ack_on_group_begin(a, r->gs);
    char vs[2] = {ack_group_verdict(a, r), 0};
    ack_seg_begin(a, &a->cur, "AK9");
    ack_el(a, &a->cur, vs);
    ack_el_u(a, &a->cur, r->ntxn);
    ack_el_u(a, &a->cur, a->nrecv);
    ack_el_u(a, &a->cur, a->nacc);
    uint32_t ncodes = 0;
    for (uint32_t i = 0; i < r->nerrs && ncodes < ACK_MAX_CODES; i++) {
        if (r->errs[i].level == X12_ERR_GROUP) {
            ack_el_u(a, &a->cur, r->errs[i].code);
            ncodes++;
        }
    }
    ack_seg_end(a, &a->cur);
    a->set_segs++; /* SE counts itself */
    ack_seg_begin(a, &a->cur, "SE");
    ack_el_u(a, &a->cur, a->set_segs);
    ack_el(a, &a->cur, a->set_ctrl);
    a->set_open = false;
    ack_seg_end(a, &a->cur);
    return ack_status(a);
}

static void ack_write_ta1(ack_999 *a, const x12_ichg_result *r)
{
    const x12_isa *isa = r->isa ? r->isa : &a->isa;
    uint32_t ctrl = ack_next_ctrl(a, isa);
    char v = r->verdict;
    if (v != 'A' && v != 'E' && v != 'R')
        v = r->nerrs ? 'R' : 'A';
    char vs[2] = {v, 0}, note[8] = "000";
    for (uint32_t i = 0; i < r->nerrs; i++) {
        if (r->errs[i].level == X12_ERR_ICHG) {
            snprintf(note, sizeof note, "%03u", r->errs[i].code % 1000u);
            break;
        }
    }
    ack_write_isa(a, &a->ta1, isa, ctrl);
    ack_seg_begin(a, &a->ta1, "TA1");
    ack_el(a, &a->ta1, isa->ctrl);
    ack_el(a, &a->ta1, isa->date);
    ack_el(a, &a->ta1, isa->time);
    ack_el(a, &a->ta1, vs);
    ack_el(a, &a->ta1, note);
    ack_seg_end(a, &a->ta1);
    ack_write_iea(a, &a->ta1, 0, ctrl);
}

static int ack_on_ichg_end(void *ctx, const x12_ichg_result *r)
{
    ack_999 *a = ctx;
    if (a->set_open) { /* a walker that skipped group_end: close the set */
        x12_group_result g = {.verdict = 0};
        ack_on_group_end(a, &g);
    }
    if (a->out_open) {
        ack_seg_begin(a, &a->cur, "GE");
        ack_el_u(a, &a->cur, a->nsets);
        ack_el(a, &a->cur, a->gs06);
        ack_seg_end(a, &a->cur);
        ack_write_iea(a, &a->cur, 1, ack_ctrl_value(a->isa13));
        cbuf_append(&a->out, a->cur.p, a->cur.len);
    }
    cbuf_clear(&a->cur);
    a->out_open = false;
    if (r->ta1_due) {
        if (!r->isa && !a->d.elem)
            ack_set_delims(a, NULL);
        ack_write_ta1(a, r);
    }
    a->d.elem = 0; /* the next interchange sets its own delimiters */
    return ack_status(a);
}

/* ---- public ------------------------------------------------------------- */

int ack_999_create(const ack_opts *opts, ack_999 **out)
{
    ack_999 *a = calloc(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    if (opts)
        a->o = *opts;
    a->counter = a->o.counter % ACK_CTRL_MOD;
    cbuf_init(&a->out);
    cbuf_init(&a->ta1);
    cbuf_init(&a->cur);
    *out = a;
    return 0;
}

void ack_999_free(ack_999 *a)
{
    if (!a)
        return;
    cbuf_release(&a->out);
    cbuf_release(&a->ta1);
    cbuf_release(&a->cur);
    free(a);
}

void ack_999_sink(ack_999 *a, x12_sink *sink)
{
    memset(sink, 0, sizeof *sink);
    sink->ctx = a;
    sink->ichg_begin = ack_on_ichg_begin;
    sink->group_begin = ack_on_group_begin;
    sink->txn_begin = ack_on_txn_begin;
    sink->txn_end = ack_on_txn_end;
    sink->group_end = ack_on_group_end;
    sink->ichg_end = ack_on_ichg_end;
}

const char *ack_999_text(const ack_999 *a, size_t *len)
{
    *len = a->out.len;
    return a->out.len ? a->out.p : "";
}

const char *ack_ta1_text(const ack_999 *a, size_t *len)
{
    *len = a->ta1.len;
    return a->ta1.len ? a->ta1.p : NULL;
}

int ack_999_error(const ack_999 *a)
{
    return ack_status(a);
}

/* ---- tee ---------------------------------------------------------------- */

#define ACK_TEE(name, type)                                                                        \
    static int ack_tee_##name(void *ctx, type arg)                                                 \
    {                                                                                              \
        x12_sink_pair *p = ctx;                                                                    \
        int rc = p->a.name ? p->a.name(p->a.ctx, arg) : 0;                                         \
        if (rc == 0 && p->b.name)                                                                  \
            rc = p->b.name(p->b.ctx, arg);                                                         \
        return rc;                                                                                 \
    }

ACK_TEE(ichg_begin, const x12_isa *)
ACK_TEE(group_begin, const x12_gs *)
ACK_TEE(txn_begin, const x12_st *)
ACK_TEE(claim, const clm_claim *)
ACK_TEE(txn_end, const x12_txn_result *)
ACK_TEE(group_end, const x12_group_result *)
ACK_TEE(ichg_end, const x12_ichg_result *)

void x12_sink_tee(x12_sink_pair *pair, x12_sink *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = pair;
    out->ichg_begin = ack_tee_ichg_begin;
    out->group_begin = ack_tee_group_begin;
    out->txn_begin = ack_tee_txn_begin;
    out->claim = ack_tee_claim;
    out->txn_end = ack_tee_txn_end;
    out->group_end = ack_tee_group_end;
    out->ichg_end = ack_tee_ichg_end;
}
