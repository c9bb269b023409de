/* edit_ncci: NCCI procedure-to-procedure pairs and MUE units (837P).
 *
 * NCCI: every ordered pair of lines (col1 = line i, col2 = line j) with the
 * same date of service and the same rendering provider is a candidate, unless
 * either code is in no edit at all (tbl_ncci_any, a few cache lines). The
 * candidates are prefetched in batches and then probed, so their cache misses
 * overlap instead of adding up. */
#include "edit_int.h"

#include <stdio.h>
#include <string.h>

#define EDIT_NCCI_BATCH 32

/* The rendering provider a line is performed by. */
static const char *edit_renderer(const clm_claim *c, const clm_line *l)
{
    if (l->rendering_npi[0])
        return l->rendering_npi;
    if (c->rendering_npi[0])
        return c->rendering_npi;
    return c->bill_npi;
}

static bool edit_bypass_mod(const char *m)
{
    static const char bypass[][3] = {
        "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "TA",
        "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "LT", "RT", "LC", "LD", "RC", "LM",
        "RI", "24", "25", "57", "58", "78", "79", "27", "59", "91", "XE", "XS", "XP", "XU"};
    for (size_t i = 0; i < sizeof bypass / sizeof bypass[0]; i++)
        if (m[0] == bypass[i][0] && m[1] == bypass[i][1] && m[2] == 0)
            return true;
    return false;
}

static bool edit_line_bypass(const clm_line *l)
{
    for (uint32_t k = 0; k < l->nmods && k < CLM_MAX_MODS; k++)
        if (edit_bypass_mod(l->mods[k]))
            return true;
    return false;
}

typedef struct edit_pair {
    uint16_t i, j; /* line indexes: col1, col2 */
} edit_pair;

static void edit_ncci_probe(edit_ctx *x, const edit_pair *p, size_t n, const uint32_t *dos)
{
    const clm_claim *c = x->c;
    tbl_ncci_query q[EDIT_NCCI_BATCH];
    for (size_t k = 0; k < n; k++)
        q[k] = (tbl_ncci_query){
            .col1 = c->lines[p[k].i].code, .col2 = c->lines[p[k].j].code, .dos = dos[p[k].i]};
    /* one batch: every pair hashed once, prefetched, then probed */
    tbl_ncci_get_many(x->v, q, n);
    for (size_t k = 0; k < n; k++) {
        const clm_line *a = &c->lines[p[k].i], *b = &c->lines[p[k].j];
        const tbl_ncci *r = q[k].out;
        if (q[k].rc != 0)
            continue; /* no edit, or none in force on the date (deleted) */
        if (r->mod_ind == 9)
            continue; /* not applicable */
        if (r->mod_ind == 1 && (edit_line_bypass(a) || edit_line_bypass(b)))
            continue;
        if (r->mod_ind == 1)
            edit_add_codes(x->out, x->s, EDIT_NCCI_PTP, "236", "", NULL, b->number, b->seg_index,
                           "line %u %.8s is bundled into line %u %.8s (NCCI); a bypass "
                           "modifier applies only to distinct services",
                           b->number, b->code, a->number, a->code);
        else
            edit_add(x->out, x->s, EDIT_NCCI_PTP, b->number, b->seg_index,
                     "line %u %.8s is bundled into line %u %.8s (NCCI, no modifier bypasses it)",
                     b->number, b->code, a->number, a->code);
    }
}

void edit_check_ncci(edit_ctx *x)
{
    const clm_claim *c = x->c;
    /* An 837P claim has at most 50 lines; past 256 (a malformed claim) pairs
     * are not checked rather than going quadratic on garbage. */
    enum { MAXL = 256 };
    uint32_t n = c->nlines < MAXL ? c->nlines : MAXL;
    uint16_t cand[MAXL];
    uint32_t dos[MAXL];
    uint32_t nc = 0;
    for (uint32_t i = 0; i < n; i++) {
        const clm_line *l = &c->lines[i];
        dos[i] = clm_line_dos(c, l);
        if (dos[i] && edit_line_is_hcpcs(l) && tbl_ncci_any(x->v, l->code))
            cand[nc++] = (uint16_t)i;
    }
    if (nc < 2)
        return;
    edit_pair batch[EDIT_NCCI_BATCH];
    size_t nb = 0;
    for (uint32_t a = 0; a < nc; a++) {
        /* cand[0..nc) and dos[0..n) were all written by the loop above */
        // cppcheck-suppress uninitvar
        const clm_line *la = &c->lines[cand[a]];
        const char *ra = edit_renderer(c, la);
        for (uint32_t b = 0; b < nc; b++) {
            const clm_line *lb = &c->lines[cand[b]];
            // cppcheck-suppress uninitvar
            if (a == b || dos[cand[a]] != dos[cand[b]] || strcmp(la->code, lb->code) == 0 ||
                strcmp(ra, edit_renderer(c, lb)) != 0)
                continue;
            batch[nb++] = (edit_pair){cand[a], cand[b]};
            if (nb == EDIT_NCCI_BATCH) {
                edit_ncci_probe(x, batch, nb, dos);
                nb = 0;
            }
        }
    }
    edit_ncci_probe(x, batch, nb, dos);
}

/* ---- MUE -------------------------------------------------------------- */

/* Units of the code of line i on its date, summed over lines i.. (MAI 2, 3). */
static uint64_t edit_mue_sum(const clm_claim *c, uint32_t i, uint32_t dos)
{
    const clm_line *l = &c->lines[i];
    uint64_t units = 0;
    for (uint32_t j = i; j < c->nlines; j++) {
        const clm_line *m = &c->lines[j];
        if (strcmp(m->code, l->code) == 0 && clm_line_dos(c, m) == dos)
            units += m->units_milli;
    }
    return units;
}

static bool edit_mue_seen(const clm_claim *c, uint32_t i, uint32_t dos)
{
    const clm_line *l = &c->lines[i];
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(c->lines[j].code, l->code) == 0 && clm_line_dos(c, &c->lines[j]) == dos)
            return true;
    return false;
}

static void edit_mue_units(char buf[24], uint64_t milli)
{
    if (milli % 1000)
        snprintf(buf, 24, "%llu.%03llu", (unsigned long long)(milli / 1000),
                 (unsigned long long)(milli % 1000));
    else
        snprintf(buf, 24, "%llu", (unsigned long long)(milli / 1000));
}

void edit_check_mue(edit_ctx *x)
{
    const clm_claim *c = x->c;
    for (uint32_t i = 0; i < c->nlines; i++) {
        const clm_line *l = &c->lines[i];
        uint32_t dos = clm_line_dos(c, l);
        const tbl_mue *r;
        if (!dos || !edit_line_is_hcpcs(l) || tbl_mue_get(x->v, l->code, dos, &r) != 0)
            continue;
        uint64_t max = (uint64_t)r->value * 1000;
        char u[24];
        if (r->mai == 1) {
            if (l->units_milli > max) {
                edit_mue_units(u, l->units_milli);
                edit_add(x->out, x->s, EDIT_MUE_UNITS, l->number, l->seg_index,
                         "line %u %.8s: %s units exceed the MUE of %u per line", l->number, l->code,
                         u, r->value);
            }
            continue;
        }
        if (edit_mue_seen(c, i, dos))
            continue; /* summed with the first line of this code and date */
        uint64_t units = edit_mue_sum(c, i, dos);
        if (units > max) {
            edit_mue_units(u, units);
            edit_add(x->out, x->s, EDIT_MUE_UNITS, l->number, l->seg_index,
                     "%.8s on %u: %s units exceed the MUE of %u per day (MAI %u)", l->code, dos, u,
                     r->value, r->mai);
        }
    }
}
