/* One claim's scrub and its rendering: see include/claimd/scrub.h.
 *
 * The hot path (about 300,000 claims a second on one core is the goal):
 * numbers are written with local digit loops, not printf; the JSON and 277CA
 * buffers and the price lines are reused from claim to claim. */
#include "claimd/scrub.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void scrub_work_init(scrub_work *w)
{
    memset(w, 0, sizeof *w);
    cbuf_init(&w->json);
    cbuf_init(&w->x277);
}

void scrub_work_release(scrub_work *w)
{
    free(w->lines);
    cbuf_release(&w->json);
    cbuf_release(&w->x277);
    scrub_work_init(w);
}

/* ---- evaluation --------------------------------------------------------- */

static int scrub_lines_reserve(scrub_work *w, uint32_t n)
{
    if (n <= w->lines_cap)
        return 0;
    uint32_t cap = w->lines_cap ? w->lines_cap : 64;
    while (cap < n)
        cap *= 2;
    price_line *p = realloc(w->lines, sizeof *p * cap);
    if (!p)
        return -ENOMEM;
    w->lines = p;
    w->lines_cap = cap;
    return 0;
}

/* Output order of the findings: by line (the claim's first), then edit id,
 * then the engine's own order (a stable insertion sort: a claim has few). */
static void scrub_order(scrub_work *w)
{
    const edit_finding *f = w->f.f;
    uint32_t n = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i;
        while (j > 0) {
            const edit_finding *a = &f[w->order[j - 1]], *b = &f[i];
            if (a->line < b->line || (a->line == b->line && a->edit <= b->edit))
                break;
            w->order[j] = w->order[j - 1];
            j--;
        }
        w->order[j] = (uint8_t)i;
    }
}

int scrub_eval(const scrub_cfg *cfg, const clm_claim *c, scrub_work *w)
{
    int rc = scrub_lines_reserve(w, c->nlines);
    if (rc)
        return rc;
    w->has_fp = fp_claim(c, &w->fp);
    if (w->has_fp && cfg->fp_hint)
        cfg->fp_hint(cfg->fp_hint_ctx, &w->fp);
    rc = edit_claim(cfg->v, cfg->s, c, c->bht_date, &w->f);
    if (rc)
        return rc;
    w->allowed = 0;
    w->any_priced = false;
    if (c->nlines)
        memset(w->lines, 0, sizeof *w->lines * c->nlines);
    rc = price_claim(cfg->v, cfg->s, c, &w->f, w->lines, &w->allowed, &w->any_priced);
    if (rc)
        return rc;
    w->rejected = edit_rejected(&w->f);
    return 0;
}

void scrub_mark_duplicate(const scrub_cfg *cfg, const clm_claim *c, scrub_work *w)
{
    (void)c;
    edit_add(&w->f, cfg->s, EDIT_DUPLICATE, 0, 0,
             "same billing provider, patient, dates, services and charges as an earlier claim "
             "in this run");
    w->rejected = edit_rejected(&w->f);
}

/* ---- rendering ---------------------------------------------------------- */

/* The JSON is written through a raw cursor into space reserved up front:
 * bounds below cover every field at its longest with every byte escaped, so
 * the fast path checks nothing. A string with bytes that need escaping goes
 * through cbuf_json_str (UTF-8 validation), then the cursor is re-taken. */
typedef struct scrub_out {
    cbuf *b;
    char *o;
} scrub_out;

#define SCRUB_STR_BOUND(n) (6 * (size_t)(n) + 2)
#define SCRUB_LINE_BOUND                                                                           \
    (96 + SCRUB_STR_BOUND(9) + CLM_MAX_MODS * SCRUB_STR_BOUND(3) + (size_t)3 * 24)
#define SCRUB_FIND_BOUND (160 + SCRUB_STR_BOUND(EDIT_MSG_MAX) + 4 * SCRUB_STR_BOUND(48))

static inline void so_lit(scrub_out *w, const char *s, size_t n)
{
    memcpy(w->o, s, n);
    w->o += n;
}

#define SO_LIT(w, s) so_lit((w), (s), sizeof(s) - 1)

static inline void so_u(scrub_out *w, uint64_t v)
{
    char t[24];
    size_t n = 0;
    do {
        t[sizeof t - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    so_lit(w, t + sizeof t - n, n);
}

static inline void so_cents(scrub_out *w, int64_t cents)
{
    uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        *w->o++ = '-';
    so_u(w, m / 100);
    unsigned f = (unsigned)(m % 100);
    w->o[0] = '.';
    w->o[1] = (char)('0' + f / 10);
    w->o[2] = (char)('0' + f % 10);
    w->o += 3;
}

static inline void so_milli(scrub_out *w, uint64_t milli)
{
    so_u(w, milli / 1000);
    unsigned f = (unsigned)(milli % 1000);
    if (!f)
        return;
    char t[4] = {'.', (char)('0' + f / 100), (char)('0' + f / 10 % 10), (char)('0' + f % 10)};
    size_t n = 4;
    while (t[n - 1] == '0')
        n--;
    so_lit(w, t, n);
}

/* A JSON string of s[0..n) (n capped by the caller's bound). */
static void so_str(scrub_out *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' && u[i] != '\\')
        i++;
    if (i == n) {
        *w->o++ = '"';
        so_lit(w, s, n);
        *w->o++ = '"';
        return;
    }
    /* slow path: the cbuf escapes; the reservation still holds after it,
     * since the bound counted this string at its longest */
    cbuf *b = w->b;
    size_t room = b->cap - (size_t)(w->o - b->p);
    b->len = (size_t)(w->o - b->p);
    cbuf_json_str(b, s, n);
    cbuf_reserve(b, room);
    w->o = b->err ? NULL : b->p + b->len;
}

static void so_cstr_or_null(scrub_out *w, const char *s, size_t max)
{
    if (!s || !*s) {
        SO_LIT(w, "null");
        return;
    }
    size_t n = 0;
    while (n < max && s[n])
        n++;
    so_str(w, s, n);
}

/* A finding's own codes (edit.h: more precise than the catalogue's), else
 * the catalogue's. */
static const char *scrub_code(const char *own, const char *cat)
{
    return own ? own : cat;
}

static void scrub_json_finding(scrub_out *w, const edit_finding *f)
{
    const edit_def *d = edit_def_of((edit_id)f->edit);
    SO_LIT(w, "{\"edit\":");
    so_cstr_or_null(w, d ? d->name : NULL, 48);
    if (!w->o)
        return;
    if (f->severity == EDIT_SEV_ERROR)
        SO_LIT(w, ",\"severity\":\"error\",\"line\":");
    else
        SO_LIT(w, ",\"severity\":\"warning\",\"line\":");
    so_u(w, f->line);
    SO_LIT(w, ",\"carc\":");
    so_cstr_or_null(w, scrub_code(f->carc, d ? d->carc : NULL), 8);
    if (!w->o)
        return;
    SO_LIT(w, ",\"rarc\":");
    so_cstr_or_null(w, scrub_code(f->rarc, d ? d->rarc : NULL), 8);
    if (!w->o)
        return;
    SO_LIT(w, ",\"stc\":");
    const char *code = scrub_code(f->stc_code, d ? d->stc_code : NULL);
    if (d && d->stc_cat && d->stc_cat[0] && code && code[0]) {
        char t[24];
        size_t n = 0;
        for (const char *c = d->stc_cat; *c && n < 8; c++)
            t[n++] = *c;
        t[n++] = ':';
        for (const char *c = code; *c && n < sizeof t; c++)
            t[n++] = *c;
        so_str(w, t, n);
        if (!w->o)
            return;
    } else {
        SO_LIT(w, "null");
    }
    SO_LIT(w, ",\"message\":");
    size_t n = 0;
    while (n < EDIT_MSG_MAX && f->message[n])
        n++;
    so_str(w, f->message, n);
    if (w->o)
        *w->o++ = '}';
}

static void scrub_json_line(scrub_out *w, const clm_line *l, const price_line *p)
{
    SO_LIT(w, "{\"line\":");
    so_u(w, l->number);
    SO_LIT(w, ",\"code\":");
    so_cstr_or_null(w, l->code, sizeof l->code);
    if (!w->o)
        return;
    SO_LIT(w, ",\"modifiers\":[");
    for (uint8_t i = 0; i < l->nmods && i < CLM_MAX_MODS && w->o; i++) {
        if (i)
            *w->o++ = ',';
        size_t n = 0;
        while (n < sizeof l->mods[i] && l->mods[i][n])
            n++;
        so_str(w, l->mods[i], n);
    }
    if (!w->o)
        return;
    SO_LIT(w, "],\"units\":");
    so_milli(w, l->units_milli);
    SO_LIT(w, ",\"charge\":");
    so_cents(w, l->charge);
    SO_LIT(w, ",\"allowed\":");
    if (p->priced)
        so_cents(w, p->allowed);
    else
        SO_LIT(w, "null");
    *w->o++ = '}';
}

int scrub_json(cbuf *b, const clm_claim *c, const scrub_work *w)
{
    uint32_t nf = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    size_t bound = 192 + SCRUB_STR_BOUND(sizeof c->claim_id) + (size_t)3 * 24 +
                   (size_t)c->nlines * (SCRUB_LINE_BOUND + 1) + (size_t)nf * (SCRUB_FIND_BOUND + 1);
    if (cbuf_reserve(b, bound) != 0)
        return cbuf_error(b);
    scrub_out o = {.b = b, .o = b->p + b->len};
    scrub_out *so = &o;
    SO_LIT(so, "{\"claim_id\":");
    size_t idn = 0;
    while (idn < sizeof c->claim_id && c->claim_id[idn])
        idn++;
    so_str(so, c->claim_id, idn);
    if (!so->o)
        return cbuf_error(b);
    SO_LIT(so, ",\"file_offset\":");
    so_u(so, c->file_off);
    if (w->rejected)
        SO_LIT(so, ",\"status\":\"rejected\",\"charge\":");
    else
        SO_LIT(so, ",\"status\":\"accepted\",\"charge\":");
    so_cents(so, c->charge);
    SO_LIT(so, ",\"allowed\":");
    if (w->any_priced)
        so_cents(so, w->allowed);
    else
        SO_LIT(so, "null");
    SO_LIT(so, ",\"findings\":[");
    for (uint32_t i = 0; i < nf && so->o; i++) {
        if (i)
            *so->o++ = ',';
        scrub_json_finding(so, &w->f.f[w->order[i]]);
    }
    if (!so->o)
        return cbuf_error(b);
    SO_LIT(so, "],\"lines\":[");
    for (uint32_t i = 0; i < c->nlines && so->o; i++) {
        if (i)
            *so->o++ = ',';
        scrub_json_line(so, &c->lines[i], &w->lines[i]);
    }
    if (!so->o)
        return cbuf_error(b);
    SO_LIT(so, "]}");
    b->len = (size_t)(so->o - b->p);
    b->p[b->len] = 0;
    return 0;
}

size_t scrub_statuses(const scrub_work *w, ack277_status *st, size_t max)
{
    size_t k = 0;
    uint32_t n = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    for (uint32_t i = 0; i < n && k < max; i++) {
        const edit_finding *f = &w->f.f[w->order[i]];
        const edit_def *d = edit_def_of((edit_id)f->edit);
        const char *code = scrub_code(f->stc_code, d ? d->stc_code : NULL);
        if (f->severity != EDIT_SEV_ERROR || !d || !d->stc_cat || !d->stc_cat[0] || !code ||
            !code[0])
            continue;
        ack277_status s = {{0}, {0}};
        strncpy(s.cat, d->stc_cat, sizeof s.cat - 1);
        strncpy(s.code, code, sizeof s.code - 1);
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(st[j].cat, s.cat) == 0 && strcmp(st[j].code, s.code) == 0;
        if (!seen)
            st[k++] = s;
    }
    return k;
}

int scrub_render(const ack277_fmt *fmt, const clm_claim *c, scrub_work *w)
{
    scrub_order(w);
    cbuf_clear(&w->json);
    scrub_json(&w->json, c, w);
    cbuf_putc(&w->json, '\n');
    ack277_status st[ACK277_MAX_STATUS];
    size_t nst = w->rejected ? scrub_statuses(w, st, ACK277_MAX_STATUS) : 0;
    cbuf_clear(&w->x277);
    w->x277_segs = 0;
    ack277_claim_render(&w->x277, fmt, c, w->rejected, st, nst, &w->x277_segs);
    if (cbuf_error(&w->json))
        return cbuf_error(&w->json);
    return cbuf_error(&w->x277);
}

int scrub_claim(const scrub_cfg *cfg, const ack277_fmt *fmt, const clm_claim *c, scrub_dup_fn dup,
                void *dup_ctx, scrub_work *w)
{
    int rc = scrub_eval(cfg, c, w);
    if (rc)
        return rc;
    if (dup && w->has_fp) {
        rc = dup(dup_ctx, &w->fp);
        if (rc < 0)
            return rc;
        if (rc == 1)
            scrub_mark_duplicate(cfg, c, w);
    }
    return scrub_render(fmt, c, w);
}
