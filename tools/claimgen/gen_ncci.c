/* claimgen tables: the NCCI practitioner PTP edits, in four parts.
 *
 * Column-1 codes are the procedure universe in code order. How many column-2
 * partners each has is log-normal (most codes a few, some hundreds, a few
 * thousands), scaled so the parts hold about 2.6 million rows at scale 1.
 * Partners are unique per column-1 code and lean towards a small set of
 * popular column-2 codes (venipuncture, anesthesia-like services), as the
 * real edits do. The starter's edits are kept as they are.
 */
#define _GNU_SOURCE
#include "gen_tables.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NCCI_PARTS   4

/* The CMS preamble: copyright line, title, and the 4-line stacked header. */
static const char ncci_preamble[] =
    "CPT only copyright 2024 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n";

static const char *const ncci_why[] = {
    "Misuse of column two code with column one code",
    "Misuse of column two code with column one code",
    "Misuse of column two code with column one code",
    "Standards of medical / surgical practice",
    "Standards of medical / surgical practice",
    "CPT Manual or CMS manual coding instructions",
    "Mutually exclusive procedures",
    "More extensive procedure",
    "HCPCS/CPT procedure code definition",
    "CPT separate procedure definition",
    "Anesthesia service included in surgical procedure",
    "Laboratory panel",
    "Sequential procedure",
    "Gender-specific procedures",
    "Medicare NCCI policy",
};

struct ncci_gen {
    const cg_ctx *ctx;
    cg_rng r;
    uint32_t n;       /* universe size */
    uint32_t *want;   /* random partners per column-1 code */
    uint64_t *chosen; /* bitset over the universe, per column-1 code */
    uint32_t *hot;    /* popular column-2 codes */
    uint32_t nhot;
    uint32_t *pick;  /* the chosen partners, sorted */
    int32_t *forced; /* per universe code: first starter row with it as column 1, or -1 */
    char rationale_len[ARRAY_LEN(ncci_why)];
};

static void set_bit(uint64_t *b, uint32_t i)
{
    b[i >> 6] |= 1ull << (i & 63);
}

static int get_bit(const uint64_t *b, uint32_t i)
{
    return (int)(b[i >> 6] >> (i & 63)) & 1;
}

/* Random partner counts: log-normal, scaled to the target row count. */
static uint64_t plan_counts(struct ncci_gen *g, uint64_t target)
{
    double *w = calloc(g->n ? g->n : 1, sizeof(double)), sum = 0;
    uint64_t total = 0;
    if (!w)
        return UINT64_MAX;
    for (uint32_t i = 0; i < g->n; i++) {
        /* a quarter of codes (E/M-like, supplies) are column 1 of nothing */
        w[i] = cg_rng_below(&g->r, 4) == 0 ? 0 : exp(2.0 * cg_rng_normal(&g->r));
        sum += w[i];
    }
    /* Water-filling: a code cannot have more partners than the universe
     * holds, so what the capped codes cannot take goes to the others. */
    uint32_t cap = g->n > 1 ? (g->n - 1) * 3 / 4 : 0;
    double left = (double)target;
    for (int pass = 0; pass < 8 && sum > 0 && left > 0.5; pass++) {
        double scale = left / sum, capped = 0;
        for (uint32_t i = 0; i < g->n; i++) {
            if (w[i] > 0 && w[i] * scale >= cap) {
                capped += cap;
                sum -= w[i];
                w[i] = -1; /* capped */
            }
        }
        left -= capped;
        if (capped == 0)
            break;
    }
    double scale = sum > 0 ? left / sum : 0;
    for (uint32_t i = 0; i < g->n; i++) {
        uint32_t ki = w[i] < 0 ? cap : (uint32_t)(w[i] * scale + cg_rng_unit(&g->r));
        g->want[i] = ki > cap ? cap : ki;
        total += g->want[i];
    }
    free(w);
    return total;
}

/* Draws k new distinct partners for column-1 index c1 (never c1 itself, never
 * one already set in g->chosen: the starter's partners), then returns every
 * set partner, sorted, in g->pick and clears g->chosen. */
static uint32_t choose_partners(struct ncci_gen *g, uint32_t c1, uint32_t k)
{
    uint32_t words = (g->n + 63) / 64, got = 0;
    if (k == 0) {
        /* nothing to draw, but the starter's partners may be set */
    } else if (k < g->n / 8) {
        /* sparse: rejection sampling, a third from the popular codes */
        for (uint32_t tries = 0; got < k && tries < k * 50; tries++) {
            uint32_t c2 = cg_rng_below(&g->r, 3) == 0 && g->nhot
                              ? g->hot[cg_rng_below(&g->r, g->nhot)]
                              : cg_rng_below(&g->r, g->n);
            if (c2 == c1 || get_bit(g->chosen, c2))
                continue;
            set_bit(g->chosen, c2);
            got++;
        }
    } else {
        /* dense: selection sampling over the whole universe */
        uint32_t need = k;
        for (uint32_t c2 = 0; c2 < g->n && need > 0; c2++) {
            if (c2 == c1 || get_bit(g->chosen, c2))
                continue;
            if (cg_rng_below(&g->r, g->n - c2) < need) {
                set_bit(g->chosen, c2);
                need--;
                got++;
            }
        }
    }
    got = 0;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t b = g->chosen[w];
        while (b) {
            uint32_t bit = (uint32_t)__builtin_ctzll(b);
            g->pick[got++] = w * 64 + bit;
            b &= b - 1;
        }
        g->chosen[w] = 0;
    }
    return got;
}

static const uint32_t quarter_md[] = {101, 401, 701, 1001};

/* Quarter q counted from 1996 Q1 as YYYYMMDD. */
static uint32_t quarter_date(uint32_t q)
{
    return (1996 + q / 4) * 10000 + quarter_md[q % 4];
}
#define LAST_QUARTER ((2025 - 1996) * 4 + 3) /* 2025-10-01 */

static void put_edit(cg_file *f, struct ncci_gen *g, const char *c1, const char *c2)
{
    uint32_t eff_q, roll = cg_rng_below(&g->r, 100);
    eff_q = roll < 15 ? 0 : cg_rng_below(&g->r, LAST_QUARTER + 1);
    int pre1996 = eff_q == 0 && cg_rng_below(&g->r, 3) != 0;
    int deleted = eff_q < LAST_QUARTER && cg_rng_below(&g->r, 100) < 30;
    char mod;
    roll = cg_rng_below(&g->r, 100);
    if (deleted)
        mod = roll < 25 ? '9' : roll < 35 ? '0' : '1';
    else
        mod = roll < 15 ? '0' : '1';
    cg_file_put(f, c1, 5);
    cg_file_putc(f, '\t');
    cg_file_put(f, c2, 5);
    cg_file_putc(f, '\t');
    if (pre1996)
        cg_file_putc(f, '*');
    cg_file_putc(f, '\t');
    cg_file_uint(f, quarter_date(eff_q), 8);
    cg_file_putc(f, '\t');
    if (deleted) {
        uint32_t del_q = eff_q + 1 + cg_rng_below(&g->r, LAST_QUARTER - eff_q);
        cg_file_uint(f, quarter_date(del_q), 8);
    } else {
        cg_file_putc(f, '*');
    }
    cg_file_putc(f, '\t');
    cg_file_putc(f, mod);
    cg_file_putc(f, '\t');
    uint32_t w = cg_rng_below(&g->r, ARRAY_LEN(ncci_why));
    cg_file_put(f, ncci_why[w], (size_t)g->rationale_len[w]);
    cg_file_put(f, "\r\n", 2);
    f->rows++;
}

/* Writes column-1 code c1's rows: the starter's and the random ones merged
 * in column-2 order. */
static void put_code(cg_file *f, struct ncci_gen *g, uint32_t c1)
{
    const cg_strs *st = &g->ctx->st.ncci;
    const char *code = g->ctx->proc[c1].code;
    int32_t si = g->forced[c1];
    if (si >= 0) {
        for (size_t i = (size_t)si; i < st->n && memcmp(st->v[i], code, 5) == 0; i++) {
            long c2 = cg_proc_find(g->ctx, st->v[i] + 6, 5);
            if (c2 >= 0)
                set_bit(g->chosen, (uint32_t)c2);
        }
    }
    /* the starter partners are in chosen: they come back from the sort */
    uint32_t k = choose_partners(g, c1, g->want[c1]);
    for (uint32_t j = 0; j < k; j++) {
        const char *c2 = g->ctx->proc[g->pick[j]].code;
        const char *row = NULL;
        for (size_t i = si >= 0 ? (size_t)si : st->n; i < st->n && memcmp(st->v[i], code, 5) == 0;
             i++) {
            if (memcmp(st->v[i] + 6, c2, 5) == 0)
                row = st->v[i];
        }
        if (row) {
            cg_file_puts(f, row);
            cg_file_put(f, "\r\n", 2);
            f->rows++;
        } else {
            put_edit(f, g, code, c2);
        }
    }
}

static int ncci_setup(struct ncci_gen *g, const cg_ctx *ctx)
{
    memset(g, 0, sizeof(*g));
    g->ctx = ctx;
    g->n = ctx->nproc;
    cg_rng_seed(&g->r, ctx->seed, CG_S_NCCI);
    g->want = calloc(g->n + 1, sizeof(uint32_t));
    g->chosen = calloc((g->n + 63) / 64 + 1, sizeof(uint64_t));
    g->pick = calloc(g->n + 1, sizeof(uint32_t));
    g->forced = malloc((g->n + 1) * sizeof(int32_t));
    g->nhot = g->n / 50 + 1;
    g->hot = malloc(g->nhot * sizeof(uint32_t));
    if (!g->want || !g->chosen || !g->pick || !g->forced || !g->hot)
        return -ENOMEM;
    for (uint32_t i = 0; i < g->nhot; i++)
        g->hot[i] = cg_rng_below(&g->r, g->n ? g->n : 1);
    for (uint32_t i = 0; i < g->n; i++)
        g->forced[i] = -1;
    for (size_t i = 0; i < ctx->st.ncci.n; i++) {
        long c1 = cg_proc_find(ctx, ctx->st.ncci.v[i], 5);
        if (c1 >= 0 && g->forced[c1] < 0)
            g->forced[c1] = (int32_t)i;
    }
    for (size_t i = 0; i < ARRAY_LEN(ncci_why); i++)
        g->rationale_len[i] = (char)strlen(ncci_why[i]);
    return 0;
}

static void ncci_free(struct ncci_gen *g)
{
    free(g->want);
    free(g->chosen);
    free(g->pick);
    free(g->forced);
    free(g->hot);
}

int cg_gen_ncci(const cg_ctx *ctx)
{
    struct ncci_gen g;
    int rc = ncci_setup(&g, ctx);
    uint64_t target = cg_scaled(ctx, 2600000), total;
    total =
        rc ? UINT64_MAX : plan_counts(&g, target > ctx->st.ncci.n ? target - ctx->st.ncci.n : 0);
    if (total == UINT64_MAX) {
        fprintf(stderr, "claimgen: ncci_ptp: out of memory\n");
        ncci_free(&g);
        return -ENOMEM;
    }
    total += ctx->st.ncci.n;
    uint32_t c1 = 0;
    uint64_t done = 0;
    for (int part = 1; part <= NCCI_PARTS && !rc; part++) {
        char name[32];
        cg_file f;
        double t0 = cg_now();
        snprintf(name, sizeof(name), "ncci_ptp_%d.txt", part);
        if ((rc = cg_file_open(&f, ctx->dir, name)))
            break;
        cg_file_put(&f, ncci_preamble, sizeof(ncci_preamble) - 1);
        /* parts split at column-1 boundaries, about a quarter of the rows each */
        uint64_t until = part == NCCI_PARTS ? UINT64_MAX : total * (uint64_t)part / NCCI_PARTS;
        for (; c1 < g.n && done + f.rows < until; c1++)
            put_code(&f, &g, c1);
        done += f.rows;
        rc = cg_file_commit(&f);
        if (!rc)
            cg_report(name, &f, cg_now() - t0);
    }
    ncci_free(&g);
    return rc;
}
