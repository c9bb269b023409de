/* The 277CA (005010X214) writer: see include/claimd/ack277.h. */
#include "ack_int.h"
#include "claimd/ack277.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ack277 {
    ack_opts o;
    ack277_fmt f;
    bool have_isa, have_gs;
    x12_isa isa; /* the first input interchange */
    x12_gs gs;   /* the first input group */
    uint32_t ctrl;
    char ctrl9[10]; /* ISA13 of the output */
    char gs06[10];

    /* ordering state (ack277_mark) */
    ack277_mark m;

    uint32_t st_segs; /* head segments from ST on, set by ack277_head */
};

/* ---- values and segments ------------------------------------------------ */

static size_t ack277_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    /* s[n] is read only while n < max and s[n - 1] != 0 */
    // cppcheck-suppress arrayIndexOutOfBoundsCond
    while (n < max && s[n])
        n++;
    return n;
}

static bool ack277_is_delim(const ack277_fmt *f, unsigned char c)
{
    return c == (unsigned char)f->d.elem || c == (unsigned char)f->d.comp ||
           c == (unsigned char)f->d.rep || c == (unsigned char)f->d.seg || c < 0x20 || c == 0x7f;
}

/* Appends an element separator and s[0..n) with delimiters replaced. */
static void ack277_el_n(cbuf *b, const ack277_fmt *f, const char *s, size_t n)
{
    if (cbuf_reserve(b, n + 1) != 0)
        return;
    char *p = b->p + b->len;
    *p++ = f->d.elem;
    for (size_t i = 0; i < n; i++)
        p[i] = ack277_is_delim(f, (unsigned char)s[i]) ? f->repl : s[i];
    b->len += n + 1;
    b->p[b->len] = 0;
}

static void ack277_el(cbuf *b, const ack277_fmt *f, const char *s)
{
    ack277_el_n(b, f, s, strlen(s));
}

/* Appends the decimal digits of v. */
static void ack277_put_u(cbuf *b, uint64_t v)
{
    char t[24];
    size_t n = 0;
    do {
        t[sizeof t - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cbuf_append(b, t + sizeof t - n, n);
}

static void ack277_el_u(cbuf *b, const ack277_fmt *f, uint64_t v)
{
    cbuf_putc(b, f->d.elem);
    ack277_put_u(b, v);
}

void ack277_put_amount(cbuf *b, int64_t cents)
{
    uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        cbuf_putc(b, '-');
    ack277_put_u(b, m / 100);
    unsigned frac = (unsigned)(m % 100);
    if (frac == 0)
        return;
    char t[3] = {'.', (char)('0' + frac / 10), (char)('0' + frac % 10)};
    cbuf_append(b, t, frac % 10 ? 3 : 2);
}

static void ack277_el_amount(cbuf *b, const ack277_fmt *f, int64_t cents)
{
    cbuf_putc(b, f->d.elem);
    ack277_put_amount(b, cents);
}

static void ack277_el_date(cbuf *b, const ack277_fmt *f, uint32_t d)
{
    char t[9];
    for (int i = 7; i >= 0; i--, d /= 10)
        t[i] = (char)('0' + d % 10);
    ack277_el_n(b, f, t, 8);
}

/* Ends a segment whose first byte is at b->p[start]: drops empty trailing
 * elements (echoed values never hold a separator), adds the terminator. */
static void ack277_seg_end(cbuf *b, const ack277_fmt *f, size_t start, uint32_t *nsegs)
{
    while (b->len > start && b->p[b->len - 1] == f->d.elem)
        b->len--;
    cbuf_putc(b, f->d.seg);
    if (f->newline)
        cbuf_putc(b, '\n');
    (*nsegs)++;
}

/* ---- one claim ---------------------------------------------------------- */

/* The claim's service dates: the span of its lines, else its statement span. */
static void ack277_claim_dates(const clm_claim *c, uint32_t *from, uint32_t *to)
{
    uint32_t lo = 0, hi = 0;
    for (uint32_t i = 0; i < c->nlines; i++) {
        const clm_line *l = &c->lines[i];
        uint32_t a = l->from ? l->from : c->stmt_from;
        uint32_t z = l->to > a ? l->to : a;
        if (a && (!lo || a < lo))
            lo = a;
        if (z > hi)
            hi = z;
    }
    if (!lo) {
        lo = c->stmt_from;
        hi = c->stmt_to > lo ? c->stmt_to : lo;
    }
    *from = lo;
    *to = hi;
}

static void ack277_composite(cbuf *b, const ack277_fmt *f, const ack277_status *s)
{
    ack277_el(b, f, s->cat);
    cbuf_putc(b, f->d.comp);
    size_t n = strlen(s->code);
    size_t at = b->len;
    cbuf_append(b, s->code, n);
    for (size_t i = 0; i < n && !b->err; i++)
        if (ack277_is_delim(f, (unsigned char)b->p[at + i]))
            b->p[at + i] = f->repl;
}

static void ack277_stc(cbuf *b, const ack277_fmt *f, const clm_claim *c, bool rejected,
                       const ack277_status *st, size_t nst, uint32_t *nsegs)
{
    static const ack277_status accepted = {"A2", "20"};
    static const ack277_status unknown = {"A3", "21"}; /* missing or invalid information */
    if (!rejected) {
        st = &accepted;
        nst = 1;
    } else if (nst == 0) {
        st = &unknown;
        nst = 1;
    }
    if (nst > ACK277_MAX_STATUS)
        nst = ACK277_MAX_STATUS;
    size_t s0 = b->len;
    cbuf_puts(b, "STC");
    ack277_composite(b, f, &st[0]);
    ack277_el_date(b, f, c->bht_date);
    ack277_el(b, f, rejected ? "U" : "WQ");
    ack277_el_amount(b, f, c->charge);
    if (nst > 1) { /* STC05..STC09 empty, then STC10 and STC11 */
        for (int i = 0; i < 5; i++)
            cbuf_putc(b, f->d.elem);
        for (size_t i = 1; i < nst; i++)
            ack277_composite(b, f, &st[i]);
    }
    ack277_seg_end(b, f, s0, nsegs);
}

int ack277_claim_render(cbuf *b, const ack277_fmt *f, const clm_claim *c, bool rejected,
                        const ack277_status *st, size_t nst, uint32_t *nsegs)
{
    size_t s0 = b->len;
    cbuf_puts(b, "NM1");
    ack277_el(b, f, "QC");
    ack277_el(b, f, "1");
    for (int i = 0; i < 5; i++) /* NM103..NM107: the model carries no names */
        cbuf_putc(b, f->d.elem);
    ack277_el(b, f, c->member_id[0] ? "MI" : "");
    ack277_el(b, f, c->member_id);
    ack277_seg_end(b, f, s0, nsegs);

    s0 = b->len;
    cbuf_puts(b, "TRN");
    ack277_el(b, f, "2");
    ack277_el(b, f, c->claim_id);
    ack277_seg_end(b, f, s0, nsegs);

    ack277_stc(b, f, c, rejected, st, nst, nsegs);

    if (c->type == CLM_TYPE_837I && c->tob[0]) {
        s0 = b->len;
        cbuf_puts(b, "REF");
        ack277_el(b, f, "BLT");
        ack277_el(b, f, c->tob);
        ack277_seg_end(b, f, s0, nsegs);
    }

    uint32_t from, to;
    ack277_claim_dates(c, &from, &to);
    if (from) {
        s0 = b->len;
        cbuf_puts(b, "DTP");
        ack277_el(b, f, "472");
        bool span = to > from;
        ack277_el(b, f, span ? "RD8" : "D8");
        char t[17];
        for (int i = 7; i >= 0; i--, from /= 10, to /= 10) {
            t[i] = (char)('0' + from % 10);
            t[9 + i] = (char)('0' + to % 10);
        }
        t[8] = '-';
        ack277_el_n(b, f, t, span ? 17 : 8);
        ack277_seg_end(b, f, s0, nsegs);
    }
    return cbuf_error(b);
}

/* ---- delimiters, control numbers, dates -------------------------------- */

static void ack277_set_format(ack277 *a, const x12_delims *in)
{
    ack_delims_choose(&a->o, in, &a->f.d, &a->f.repl);
    a->f.newline = a->o.newline != 0;
}

/* CCYYMMDD and HHMM of the input ISA (a fixed placeholder when malformed). */
static void ack277_isa_datetime(const ack277 *a, char date[9], char time[5])
{
    ack_isa_datetime(a->have_isa ? &a->isa : NULL, date + 2, time);
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): the century before date + 2's CCYYMMDD
    memcpy(date, date[2] < '7' ? "20" : "19", 2);
}

/* ---- state -------------------------------------------------------------- */

int ack277_create(const ack_opts *opts, ack277 **out)
{
    ack277 *a = calloc(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    if (opts)
        a->o = *opts;
    ack277_set_format(a, NULL);
    a->m.txn_new = true;
    *out = a;
    return 0;
}

void ack277_free(ack277 *a)
{
    free(a);
}

void ack277_input_isa(ack277 *a, const x12_isa *isa)
{
    if (a->have_isa || !isa)
        return;
    a->isa = *isa;
    a->have_isa = true;
    ack277_set_format(a, &isa->delims);
    a->ctrl =
        a->o.use_counter ? (uint32_t)(a->o.counter % ACK_CTRL_MOD) : ack_ctrl_value(isa->ctrl);
    snprintf(a->ctrl9, sizeof a->ctrl9, "%09" PRIu32, a->ctrl);
    snprintf(a->gs06, sizeof a->gs06, "%" PRIu32, a->ctrl);
}

void ack277_input_gs(ack277 *a, const x12_gs *gs)
{
    if (a->have_gs || !gs)
        return;
    a->gs = *gs;
    a->have_gs = true;
}

const ack277_fmt *ack277_format(const ack277 *a)
{
    return &a->f;
}

void ack277_txn_begin(ack277 *a)
{
    a->m.txn_new = true;
}

int ack277_claim_begin(ack277 *a, cbuf *b, const clm_claim *c, bool rejected)
{
    const ack277_fmt *f = &a->f;
    ack277_mark *m = &a->m;
    size_t s0;
    if (m->txn_new || strcmp(m->prov_npi, c->bill_npi) != 0) {
        m->prov_hl = m->hl ? m->hl + 1 : 3; /* HL 1 and 2: source and receiver */
        m->hl = m->prov_hl;
        memcpy(m->prov_npi, c->bill_npi, sizeof m->prov_npi);
        m->txn_new = false;
        s0 = b->len;
        cbuf_puts(b, "HL");
        ack277_el_u(b, f, m->hl);
        ack277_el(b, f, "2");
        ack277_el(b, f, "19");
        ack277_el(b, f, "1");
        ack277_seg_end(b, f, s0, &m->body_segs);
        s0 = b->len;
        char ent[2] = {c->bill_entity == '1' ? '1' : '2', 0};
        cbuf_puts(b, "NM1");
        ack277_el(b, f, "85");
        ack277_el(b, f, ent);
        for (int i = 0; i < 5; i++) /* NM103..NM107: the model carries no names */
            cbuf_putc(b, f->d.elem);
        ack277_el(b, f, c->bill_npi[0] ? "XX" : "");
        ack277_el(b, f, c->bill_npi);
        ack277_seg_end(b, f, s0, &m->body_segs);
    }
    m->hl++;
    s0 = b->len;
    cbuf_puts(b, "HL");
    ack277_el_u(b, f, m->hl);
    ack277_el_u(b, f, m->prov_hl);
    ack277_el(b, f, "PT");
    ack277_seg_end(b, f, s0, &m->body_segs);
    if (rejected) {
        m->n_rej++;
        m->amt_rej += c->charge;
    } else {
        m->n_acc++;
        m->amt_acc += c->charge;
    }
    return cbuf_error(b);
}

void ack277_add_segs(ack277 *a, uint32_t nsegs)
{
    a->m.body_segs += nsegs;
}

void ack277_mark_get(const ack277 *a, ack277_mark *m)
{
    *m = a->m;
}

void ack277_mark_restore(ack277 *a, const ack277_mark *m)
{
    a->m = *m;
}

void ack277_counts(const ack277 *a, uint64_t *accepted, uint64_t *rejected)
{
    *accepted = a->m.n_acc;
    *rejected = a->m.n_rej;
}

/* ---- head and tail ------------------------------------------------------ */

static void ack277_el_fixed(cbuf *b, const ack277_fmt *f, const char *v, size_t width)
{
    size_t n = ack277_strnlen(v, width);
    ack277_el_n(b, f, v, n);
    for (; n < width; n++)
        cbuf_putc(b, ' ');
}

/* A trimmed copy of an ISA id (its fixed-width padding removed). */
static void ack277_trim(char *dst, size_t cap, const char *src)
{
    size_t n = ack277_strnlen(src, cap - 1);
    while (n && src[n - 1] == ' ')
        n--;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void ack277_write_isa(ack277 *a, cbuf *b, const char *date, const char *time)
{
    const ack277_fmt *f = &a->f;
    const x12_isa *isa = &a->isa;
    uint32_t dummy = 0;
    size_t s0 = b->len;
    char rep[2] = {f->d.rep, 0};
    cbuf_puts(b, "ISA");
    ack277_el(b, f, "00");
    ack277_el_fixed(b, f, "", 10);
    ack277_el(b, f, "00");
    ack277_el_fixed(b, f, "", 10);
    ack277_el_fixed(b, f, isa->receiver_qual[0] ? isa->receiver_qual : "ZZ", 2);
    ack277_el_fixed(b, f, isa->receiver, 15);
    ack277_el_fixed(b, f, isa->sender_qual[0] ? isa->sender_qual : "ZZ", 2);
    ack277_el_fixed(b, f, isa->sender, 15);
    ack277_el(b, f, date + 2);
    ack277_el(b, f, time);
    cbuf_putc(b, f->d.elem);
    cbuf_puts(b, rep);
    ack277_el(b, f, "00501");
    ack277_el(b, f, a->ctrl9);
    ack277_el(b, f, "0");
    ack277_el(b, f, isa->usage == 'T' ? "T" : "P");
    cbuf_putc(b, f->d.elem);
    cbuf_putc(b, f->d.comp);
    ack277_seg_end(b, f, s0, &dummy);
}

/* HL*1 (information source) and its segments. */
static void ack277_source(ack277 *a, cbuf *b, const char *date, uint32_t *n)
{
    const ack277_fmt *f = &a->f;
    char recv[16];
    ack277_trim(recv, sizeof recv, a->isa.receiver);
    size_t s0 = b->len;
    cbuf_puts(b, "HL");
    ack277_el(b, f, "1");
    ack277_el(b, f, "");
    ack277_el(b, f, "20");
    ack277_el(b, f, "1");
    ack277_seg_end(b, f, s0, n);
    s0 = b->len;
    cbuf_puts(b, "NM1");
    ack277_el(b, f, "AY");
    ack277_el(b, f, "2");
    ack277_el(b, f, recv[0] ? recv : "CLAIMD");
    for (int i = 0; i < 4; i++)
        cbuf_putc(b, f->d.elem);
    ack277_el(b, f, "46");
    ack277_el(b, f, recv[0] ? recv : "CLAIMD");
    ack277_seg_end(b, f, s0, n);
    s0 = b->len;
    cbuf_puts(b, "TRN");
    ack277_el(b, f, "1");
    ack277_el(b, f, a->ctrl9);
    ack277_seg_end(b, f, s0, n);
    static const char *const quals[] = {"050", "009"}; /* received, processed */
    for (int i = 0; i < 2; i++) {
        s0 = b->len;
        cbuf_puts(b, "DTP");
        ack277_el(b, f, quals[i]);
        ack277_el(b, f, "D8");
        ack277_el(b, f, date);
        ack277_seg_end(b, f, s0, n);
    }
}

static void ack277_qty_amt(ack277 *a, cbuf *b, const char *qty, uint64_t count, const char *amt,
                           int64_t cents, uint32_t *n)
{
    const ack277_fmt *f = &a->f;
    if (!count)
        return;
    size_t s0 = b->len;
    cbuf_puts(b, "QTY");
    ack277_el(b, f, qty);
    ack277_el_u(b, f, count);
    ack277_seg_end(b, f, s0, n);
    s0 = b->len;
    cbuf_puts(b, "AMT");
    ack277_el(b, f, amt);
    ack277_el_amount(b, f, cents);
    ack277_seg_end(b, f, s0, n);
}

/* HL*2 (information receiver, the submitter) with the file's totals. */
static void ack277_receiver(ack277 *a, cbuf *b, const char *date, uint32_t *n)
{
    const ack277_fmt *f = &a->f;
    const ack277_mark *m = &a->m;
    char send[16];
    ack277_trim(send, sizeof send, a->isa.sender);
    size_t s0 = b->len;
    cbuf_puts(b, "HL");
    ack277_el(b, f, "2");
    ack277_el(b, f, "1");
    ack277_el(b, f, "21");
    ack277_el(b, f, m->n_acc + m->n_rej ? "1" : "0");
    ack277_seg_end(b, f, s0, n);
    s0 = b->len;
    cbuf_puts(b, "NM1");
    ack277_el(b, f, "41");
    ack277_el(b, f, "2");
    ack277_el(b, f, send[0] ? send : "SUBMITTER");
    for (int i = 0; i < 4; i++)
        cbuf_putc(b, f->d.elem);
    ack277_el(b, f, "46");
    ack277_el(b, f, send[0] ? send : "SUBMITTER");
    ack277_seg_end(b, f, s0, n);
    s0 = b->len;
    cbuf_puts(b, "TRN");
    ack277_el(b, f, "2");
    ack277_el(b, f, a->isa.ctrl[0] ? a->isa.ctrl : a->ctrl9);
    ack277_seg_end(b, f, s0, n);
    s0 = b->len;
    cbuf_puts(b, "STC");
    ack277_el(b, f, "A1");
    cbuf_putc(b, f->d.comp);
    cbuf_puts(b, "20");
    ack277_el(b, f, date);
    ack277_el(b, f, "WQ");
    ack277_el_amount(b, f, m->amt_acc + m->amt_rej);
    ack277_seg_end(b, f, s0, n);
    ack277_qty_amt(a, b, "90", m->n_acc, "YU", m->amt_acc, n);
    ack277_qty_amt(a, b, "AA", m->n_rej, "YY", m->amt_rej, n);
}

int ack277_head(ack277 *a, cbuf *b)
{
    const ack277_fmt *f = &a->f;
    if (!a->have_isa) {
        memcpy(a->ctrl9, "000000000", 10);
        memcpy(a->gs06, "0", 2);
    }
    char date[9], time[5];
    ack277_isa_datetime(a, date, time);
    ack277_write_isa(a, b, date, time);

    uint32_t n = 0, dummy = 0;
    size_t s0 = b->len;
    cbuf_puts(b, "GS");
    ack277_el(b, f, "HN");
    ack277_el(b, f, a->gs.receiver[0] ? a->gs.receiver : "CLAIMD");
    ack277_el(b, f, a->gs.sender[0] ? a->gs.sender : "SUBMITTER");
    ack277_el(b, f, date);
    ack277_el(b, f, time);
    ack277_el(b, f, a->gs06);
    ack277_el(b, f, "X");
    ack277_el(b, f, "005010X214");
    ack277_seg_end(b, f, s0, &dummy);

    s0 = b->len;
    cbuf_puts(b, "ST");
    ack277_el(b, f, "277");
    ack277_el(b, f, "0001");
    ack277_el(b, f, "005010X214");
    ack277_seg_end(b, f, s0, &n);
    s0 = b->len;
    cbuf_puts(b, "BHT");
    ack277_el(b, f, "0085");
    ack277_el(b, f, "08");
    ack277_el(b, f, a->ctrl9);
    ack277_el(b, f, date);
    ack277_el(b, f, time);
    ack277_el(b, f, "TH");
    ack277_seg_end(b, f, s0, &n);
    ack277_source(a, b, date, &n);
    ack277_receiver(a, b, date, &n);
    a->st_segs = n;
    return cbuf_error(b);
}

int ack277_tail(ack277 *a, cbuf *b)
{
    const ack277_fmt *f = &a->f;
    uint32_t dummy = 0;
    size_t s0 = b->len;
    cbuf_puts(b, "SE");
    ack277_el_u(b, f, (uint64_t)a->st_segs + a->m.body_segs + 1);
    ack277_el(b, f, "0001");
    ack277_seg_end(b, f, s0, &dummy);
    s0 = b->len;
    cbuf_puts(b, "GE");
    ack277_el(b, f, "1");
    ack277_el(b, f, a->gs06);
    ack277_seg_end(b, f, s0, &dummy);
    s0 = b->len;
    cbuf_puts(b, "IEA");
    ack277_el(b, f, "1");
    ack277_el(b, f, a->ctrl9);
    ack277_seg_end(b, f, s0, &dummy);
    return cbuf_error(b);
}
