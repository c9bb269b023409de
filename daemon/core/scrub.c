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

/* ---- numbers ------------------------------------------------------------ */

static void scrub_put_u(cbuf *b, uint64_t v)
{
    char t[24];
    size_t n = 0;
    do {
        t[sizeof t - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cbuf_append(b, t + sizeof t - n, n);
}

/* Cents as a JSON number with two decimals. */
static void scrub_put_cents(cbuf *b, int64_t cents)
{
    uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        cbuf_putc(b, '-');
    scrub_put_u(b, m / 100);
    unsigned f = (unsigned)(m % 100);
    char t[3] = {'.', (char)('0' + f / 10), (char)('0' + f % 10)};
    cbuf_append(b, t, 3);
}

/* Thousandths as the shortest decimal ("1", "1.5", "0.25"). */
static void scrub_put_milli(cbuf *b, uint64_t milli)
{
    scrub_put_u(b, milli / 1000);
    unsigned f = (unsigned)(milli % 1000);
    if (!f)
        return;
    char t[4] = {'.', (char)('0' + f / 100), (char)('0' + f / 10 % 10), (char)('0' + f % 10)};
    size_t n = 4;
    while (t[n - 1] == '0')
        n--;
    cbuf_append(b, t, n);
}

#define SCRUB_LIT(b, s) cbuf_append((b), (s), sizeof(s) - 1)

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
    w->has_fp = fp_claim(c, &w->fp);
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

/* A finding's own codes (edit.h: more precise than the catalogue's), else
 * the catalogue's. */
static const char *scrub_code(const char *own, const char *cat)
{
    return own ? own : cat;
}

static void scrub_json_finding(cbuf *b, const edit_finding *f)
{
    const edit_def *d = edit_def_of((edit_id)f->edit);
    SCRUB_LIT(b, "{\"edit\":");
    cbuf_json_cstr_or_null(b, d ? d->name : NULL);
    if (f->severity == EDIT_SEV_ERROR)
        SCRUB_LIT(b, ",\"severity\":\"error\",\"line\":");
    else
        SCRUB_LIT(b, ",\"severity\":\"warning\",\"line\":");
    scrub_put_u(b, f->line);
    SCRUB_LIT(b, ",\"carc\":");
    cbuf_json_cstr_or_null(b, scrub_code(f->carc, d ? d->carc : NULL));
    SCRUB_LIT(b, ",\"rarc\":");
    cbuf_json_cstr_or_null(b, scrub_code(f->rarc, d ? d->rarc : NULL));
    SCRUB_LIT(b, ",\"stc\":");
    const char *code = scrub_code(f->stc_code, d ? d->stc_code : NULL);
    if (d && d->stc_cat && d->stc_cat[0] && code && code[0]) {
        cbuf_putc(b, '"');
        cbuf_puts(b, d->stc_cat);
        cbuf_putc(b, ':');
        cbuf_puts(b, code);
        cbuf_putc(b, '"');
    } else {
        SCRUB_LIT(b, "null");
    }
    SCRUB_LIT(b, ",\"message\":");
    size_t n = 0;
    while (n < EDIT_MSG_MAX && f->message[n])
        n++;
    cbuf_json_str(b, f->message, n);
    cbuf_putc(b, '}');
}

static void scrub_json_line(cbuf *b, const clm_line *l, const price_line *p)
{
    SCRUB_LIT(b, "{\"line\":");
    scrub_put_u(b, l->number);
    SCRUB_LIT(b, ",\"code\":");
    cbuf_json_cstr_or_null(b, l->code);
    SCRUB_LIT(b, ",\"modifiers\":[");
    for (uint8_t i = 0; i < l->nmods && i < CLM_MAX_MODS; i++) {
        if (i)
            cbuf_putc(b, ',');
        cbuf_json_str(b, l->mods[i], strlen(l->mods[i]));
    }
    SCRUB_LIT(b, "],\"units\":");
    scrub_put_milli(b, l->units_milli);
    SCRUB_LIT(b, ",\"charge\":");
    scrub_put_cents(b, l->charge);
    SCRUB_LIT(b, ",\"allowed\":");
    if (p->priced)
        scrub_put_cents(b, p->allowed);
    else
        SCRUB_LIT(b, "null");
    cbuf_putc(b, '}');
}

int scrub_json(cbuf *b, const clm_claim *c, const scrub_work *w)
{
    /* one reservation for a typical claim: the appends below rarely grow */
    cbuf_reserve(b, 256 + 160 * (size_t)c->nlines + 320 * (size_t)w->f.n);
    SCRUB_LIT(b, "{\"claim_id\":");
    cbuf_json_str(b, c->claim_id, strlen(c->claim_id));
    SCRUB_LIT(b, ",\"file_offset\":");
    scrub_put_u(b, c->file_off);
    if (w->rejected)
        SCRUB_LIT(b, ",\"status\":\"rejected\",\"charge\":");
    else
        SCRUB_LIT(b, ",\"status\":\"accepted\",\"charge\":");
    scrub_put_cents(b, c->charge);
    SCRUB_LIT(b, ",\"allowed\":");
    if (w->any_priced)
        scrub_put_cents(b, w->allowed);
    else
        SCRUB_LIT(b, "null");
    SCRUB_LIT(b, ",\"findings\":[");
    uint32_t n = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            cbuf_putc(b, ',');
        scrub_json_finding(b, &w->f.f[w->order[i]]);
    }
    SCRUB_LIT(b, "],\"lines\":[");
    for (uint32_t i = 0; i < c->nlines; i++) {
        if (i)
            cbuf_putc(b, ',');
        scrub_json_line(b, &c->lines[i], &w->lines[i]);
    }
    SCRUB_LIT(b, "]}");
    return cbuf_error(b);
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
