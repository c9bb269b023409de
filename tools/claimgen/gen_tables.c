/* claimgen tables: synthetic reference files in the publishers' layouts.
 *
 * This file holds the driver, the procedure-code universe, and the ICD-10-CM,
 * HCPCS, PPRRVU, MUE and POS generators; gen_geo.c writes GPCI and ZIP5 and
 * gen_ncci.c the NCCI PTP parts. Every generator draws from its own random
 * stream, so the files do not depend on each other's generation order.
 */
#define _GNU_SOURCE
#include "gen_tables.h"

#include "starter_rows.inc"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Real-scale row counts (the CMS/CDC files these imitate). */
#define ICD_MAX_ROWS 99999u /* the order number is 5 digits wide */

double cg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cg_report(const char *name, const cg_file *f, double seconds)
{
    fprintf(stderr, "claimgen: %-18s %9llu rows %11llu bytes %6.2f s\n", name,
            (unsigned long long)f->rows, (unsigned long long)f->bytes, seconds);
}

uint32_t cg_scaled(const cg_ctx *ctx, double x)
{
    double v = x * ctx->scale + 0.5;
    return v < 1 ? 0 : (uint32_t)v;
}

static int proc_cmp(const void *a, const void *b)
{
    return strcmp(((const cg_proc *)a)->code, ((const cg_proc *)b)->code);
}

long cg_proc_find(const cg_ctx *ctx, const char *code, size_t len)
{
    cg_proc key;
    memset(&key, 0, sizeof(key));
    if (len >= sizeof(key.code))
        return -1;
    memcpy(key.code, code, len);
    const cg_proc *p = bsearch(&key, ctx->proc, ctx->nproc, sizeof(cg_proc), proc_cmp);
    return p ? (long)(p - ctx->proc) : -1;
}

/* ---- the procedure-code universe -------------------------------------- */

static uint8_t kind_of(const char *c)
{
    if (c[0] >= '0' && c[0] <= '9')
        return c[4] == 'F' ? CG_CAT2 : c[4] == 'T' ? CG_CAT3 : CG_CPT;
    return c[0] == 'D' ? CG_DENTAL : CG_LEVEL2;
}

struct universe {
    cg_proc *v;
    uint32_t n, cap;
    uint8_t *seen; /* one byte per code number of each shape, see slot() */
};

/* A dense slot per possible code: 5-digit CPT, nnnnF, nnnnT, and letter+4. */
static uint32_t slot(const char *c)
{
    uint32_t num = 0;
    if (c[0] >= '0' && c[0] <= '9') {
        for (int i = 0; i < 4; i++)
            num = num * 10 + (uint32_t)(c[i] - '0');
        if (c[4] == 'F')
            return 100000 + num;
        if (c[4] == 'T')
            return 110000 + num;
        return num * 10 + (uint32_t)(c[4] - '0');
    }
    for (int i = 1; i < 5; i++)
        num = num * 10 + (uint32_t)(c[i] - '0');
    return 120000 + (uint32_t)(c[0] - 'A') * 10000 + num;
}
#define SLOT_COUNT (120000 + 26 * 10000)

static int uni_add(struct universe *u, const char *code, uint8_t flags)
{
    uint32_t s = slot(code);
    if (u->seen[s]) {
        for (uint32_t i = 0; i < u->n; i++) {
            if (strcmp(u->v[i].code, code) == 0) {
                u->v[i].flags |= flags;
                return 0;
            }
        }
        return 0;
    }
    if (u->n == u->cap) {
        uint32_t cap = u->cap ? u->cap * 2 : 4096;
        cg_proc *v = realloc(u->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        u->v = v;
        u->cap = cap;
    }
    cg_proc *p = &u->v[u->n++];
    memset(p, 0, sizeof(*p));
    memcpy(p->code, code, 5);
    p->kind = kind_of(code);
    p->flags = flags;
    u->seen[s] = 1;
    return 0;
}

static int is_code5(const char *s, size_t n)
{
    if (n != 5)
        return 0;
    for (size_t i = 0; i < 5; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
            return 0;
    }
    return 1;
}

static int add_starter_codes(const cg_ctx *ctx, struct universe *u)
{
    for (size_t i = 0; i < ctx->st.pprrvu.n; i++) {
        const char *r = ctx->st.pprrvu.v[i];
        if (is_code5(r, strcspn(r, ",")) && uni_add(u, r, CG_IN_RVU | CG_ST_RVU | CG_ST_ANY))
            return -ENOMEM;
    }
    for (size_t i = 0; i < ctx->st.hcpcs.n; i++) {
        const char *r = ctx->st.hcpcs.v[i];
        if (r[10] == '3' && is_code5(r, 5) && uni_add(u, r, CG_IN_HCPCS | CG_ST_HCPCS | CG_ST_ANY))
            return -ENOMEM;
    }
    return 0;
}

/* Generates n new codes of one shape: prefix letter (or 0 for numeric), the
 * numeric range [lo, hi], and a suffix letter for Category II/III. */
static int gen_codes(struct universe *u, cg_rng *r, uint32_t n, char letter, uint32_t lo,
                     uint32_t hi, char suffix, uint8_t flags)
{
    uint32_t span = hi - lo + 1, made = 0, tries = 0;
    char code[6];
    while (made < n && tries < n * 20 + 1000) {
        uint32_t v = lo + cg_rng_below(r, span);
        tries++;
        if (letter)
            snprintf(code, sizeof(code), "%c%04u", letter, v % 10000);
        else if (suffix)
            snprintf(code, sizeof(code), "%04u%c", v % 10000, suffix);
        else
            snprintf(code, sizeof(code), "%05u", v % 100000);
        if (u->seen[slot(code)])
            continue;
        if (uni_add(u, code, flags))
            return -ENOMEM;
        made++;
    }
    return 0;
}

struct cpt_section {
    uint32_t lo, hi, count;
};

/* CPT sections and how many codes each has in a recent PPRRVU. */
static const struct cpt_section cpt_sections[] = {
    {100, 1999, 280},     {10004, 69990, 5900}, {70010, 79999, 1150},
    {80047, 89398, 1000}, {90281, 99199, 1150}, {99202, 99499, 246},
};

struct l2_letter {
    char letter;
    uint16_t count;
    uint8_t in_rvu; /* percent of the letter's codes PPRRVU lists */
};

/* HCPCS Level II codes per letter (2020 file) and their share in PPRRVU. */
static const struct l2_letter l2_letters[] = {
    {'A', 678, 95},  {'B', 50, 0},    {'C', 350, 0},   {'E', 608, 0},
    {'G', 1722, 74}, {'H', 88, 100},  {'J', 810, 100}, {'K', 144, 0},
    {'L', 904, 0},   {'M', 117, 100}, {'P', 56, 100},  {'Q', 336, 100},
    {'R', 3, 100},   {'S', 526, 98},  {'T', 109, 100}, {'V', 209, 99},
};

static int build_universe(cg_ctx *ctx)
{
    struct universe u = {0};
    cg_rng r;
    int rc = -ENOMEM;
    u.seen = calloc(SLOT_COUNT, 1);
    if (!u.seen)
        goto out;
    cg_rng_seed(&r, ctx->seed, CG_S_UNIVERSE);
    if (add_starter_codes(ctx, &u))
        goto out;
    for (size_t i = 0; i < ARRAY_LEN(cpt_sections); i++) {
        const struct cpt_section *s = &cpt_sections[i];
        if (gen_codes(&u, &r, cg_scaled(ctx, s->count), 0, s->lo, s->hi, 0, CG_IN_RVU))
            goto out;
    }
    if (gen_codes(&u, &r, cg_scaled(ctx, 565), 0, 1, 9999, 'F', CG_IN_RVU) ||
        gen_codes(&u, &r, cg_scaled(ctx, 590), 0, 1, 999, 'T', CG_IN_RVU) ||
        gen_codes(&u, &r, cg_scaled(ctx, 822), 'D', 100, 9999, 0, CG_IN_RVU))
        goto out;
    for (size_t i = 0; i < ARRAY_LEN(l2_letters); i++) {
        const struct l2_letter *l = &l2_letters[i];
        uint32_t n = cg_scaled(ctx, l->count), base = u.n;
        if (gen_codes(&u, &r, n, l->letter, 0, 9999, 0, CG_IN_HCPCS))
            goto out;
        for (uint32_t k = base; k < u.n; k++) {
            if (cg_rng_below(&r, 100) < l->in_rvu)
                u.v[k].flags |= CG_IN_RVU;
        }
    }
    qsort(u.v, u.n, sizeof(cg_proc), proc_cmp);
    ctx->proc = u.v;
    ctx->nproc = u.n;
    u.v = NULL;
    rc = 0;
out:
    free(u.v);
    free(u.seen);
    if (rc)
        fprintf(stderr, "claimgen: out of memory building the code universe\n");
    return rc;
}

/* ---- ICD-10-CM order file ---------------------------------------------- */

struct icd_letter {
    char letter;
    uint16_t cats; /* 3-character categories in FY2022 */
    uint32_t rows; /* rows, headers included */
};

static const struct icd_letter icd_letters[] = {
    {'A', 85, 694},  {'B', 82, 609},  {'C', 91, 1472}, {'D', 85, 993},   {'E', 73, 1191},
    {'F', 72, 984},  {'G', 68, 864},  {'H', 64, 4272}, {'I', 79, 1735},  {'J', 63, 451},
    {'K', 72, 1055}, {'L', 74, 1064}, {'M', 79, 8547}, {'N', 85, 849},   {'O', 72, 2830},
    {'P', 59, 555},  {'Q', 87, 1009}, {'R', 89, 913},  {'S', 99, 39420}, {'T', 72, 14347},
    {'V', 98, 5413}, {'W', 72, 1683}, {'X', 51, 696},  {'Y', 51, 2193},  {'Z', 90, 1680},
};

struct icd_row {
    char code[8];
    int32_t starter; /* index into starter_icd10, or -1 */
};

struct icd_vec {
    struct icd_row *v;
    size_t n, cap;
};

static int icd_push(struct icd_vec *o, const char *code, int32_t starter)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8192;
        struct icd_row *v = realloc(o->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        o->v = v;
        o->cap = cap;
    }
    struct icd_row *row = &o->v[o->n++];
    memset(row->code, 0, sizeof(row->code));
    memcpy(row->code, code, strnlen(code, 7));
    row->starter = starter;
    return 0;
}

/* Injury and external-cause codes end in a 7th character (A initial, D
 * subsequent, S sequela), with X placeholders before it. */
static int icd_has_ext(char letter)
{
    return letter == 'S' || letter == 'T' || (letter >= 'V' && letter <= 'Y');
}

static long icd_leaf(struct icd_vec *o, char *code, int len)
{
    if (!icd_has_ext(code[0]))
        return icd_push(o, code, -1) ? -1 : 1;
    if (icd_push(o, code, -1))
        return -1;
    char ext[8];
    memcpy(ext, code, (size_t)len);
    for (int i = len; i < 6; i++)
        ext[i] = 'X';
    ext[7] = 0;
    static const char sevenths[] = "ADS";
    for (int i = 0; i < 3; i++) {
        ext[6] = sevenths[i];
        if (icd_push(o, ext, -1))
            return -1;
    }
    return 4;
}

/* Emits a category subtree of about budget rows below code (len characters),
 * in code order: the header, then its children. Returns the rows emitted or
 * -1 when out of memory. */
/* Recursion depth is bounded by the code length (at most 7 levels). */
// NOLINTNEXTLINE(misc-no-recursion)
static long icd_tree(cg_rng *r, struct icd_vec *o, char *code, int len, long budget)
{
    long leaf_cost = icd_has_ext(code[0]) ? 4 : 1;
    if (len >= 6 || budget <= leaf_cost || (len >= 4 && budget < 20 && cg_rng_below(r, 8) == 0))
        return icd_leaf(o, code, len);
    if (icd_push(o, code, -1))
        return -1;
    long left = budget - 1, emitted = 1;
    uint32_t want = 2 + cg_rng_below(r, 9);
    if (budget > 40 * leaf_cost && want < 6)
        want = 6;
    if (budget > 200 * leaf_cost)
        want = 10;
    if (want > (uint32_t)(left / leaf_cost) && left / leaf_cost >= 1)
        want = (uint32_t)(left / leaf_cost);
    if (want < 1)
        want = 1;
    /* want distinct child characters out of 0-9, in order (selection sampling) */
    uint32_t need = want;
    for (int d = 0; d < 10 && need > 0; d++) {
        if (cg_rng_below(r, (uint32_t)(10 - d)) >= need)
            continue;
        long share = left / (long)need;
        share = (long)((double)share * (0.5 + cg_rng_unit(r)));
        if (share < 1)
            share = 1;
        code[len] = (char)('0' + d);
        code[len + 1] = 0;
        long n = icd_tree(r, o, code, len + 1, share);
        code[len] = 0;
        if (n < 0)
            return -1;
        emitted += n;
        left -= n;
        need--;
    }
    return emitted;
}

static int icd_row_cmp(const void *a, const void *b)
{
    const struct icd_row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    /* the starter's row first, so deduplication keeps it */
    return (y->starter >= 0) - (x->starter >= 0);
}

static int icd_is_prefix(const char *p, const char *s)
{
    size_t n = strlen(p);
    return strncmp(p, s, n) == 0 && s[n] != 0;
}

/* Generated categories for one letter, after the starter's rows of it. */
static int icd_letter_rows(const cg_ctx *ctx, cg_rng *r, struct icd_vec *o,
                           const struct icd_letter *l, long starter_rows)
{
    long budget = (long)cg_scaled(ctx, l->rows) - starter_rows;
    uint32_t cats = cg_scaled(ctx, l->cats);
    if (budget <= 0 || cats == 0)
        return 0;
    if (cats > (uint32_t)budget)
        cats = (uint32_t)budget;
    double *w = malloc(cats * sizeof(double)), sum = 0;
    if (!w)
        return -ENOMEM;
    for (uint32_t i = 0; i < cats; i++)
        sum += (w[i] = exp(1.2 * cg_rng_normal(r)));
    uint32_t need = cats, i = 0;
    int rc = 0;
    for (int num = 0; num < 100 && need > 0 && !rc; num++) {
        if (cg_rng_below(r, (uint32_t)(100 - num)) >= need)
            continue;
        /* each category gets its weight's share of what is left, so rows a
         * subtree did not use go to the next ones */
        char code[8] = {l->letter, (char)('0' + num / 10), (char)('0' + num % 10), 0};
        long share = (long)((double)budget * w[i] / sum + 0.5);
        long n = icd_tree(r, o, code, 3, share < 1 ? 1 : share);
        if (n < 0)
            rc = -ENOMEM;
        budget -= n;
        sum -= w[i++];
        need--;
    }
    free(w);
    return rc;
}

/* Sorts, drops generated rows that duplicate or extend a starter code that is
 * billable (it must stay a billable leaf), and returns the kept count. */
static size_t icd_merge(struct icd_vec *o)
{
    qsort(o->v, o->n, sizeof(struct icd_row), icd_row_cmp);
    size_t k = 0;
    const char *leaf = NULL; /* the last starter billable code */
    for (size_t i = 0; i < o->n; i++) {
        struct icd_row *row = &o->v[i];
        if (k > 0 && strcmp(o->v[k - 1].code, row->code) == 0)
            continue;
        if (row->starter < 0 && leaf && icd_is_prefix(leaf, row->code))
            continue;
        if (row->starter >= 0 && starter_icd10[row->starter][8] == '1')
            leaf = starter_icd10[row->starter];
        o->v[k++] = *row;
    }
    o->n = k;
    return k;
}

static const char *const icd_conds[] = {
    "Disorder",  "Injury",       "Infection",  "Neoplasm",    "Inflammation",  "Deformity",
    "Contusion", "Laceration",   "Fracture",   "Sprain",      "Strain",        "Dislocation",
    "Burn",      "Abscess",      "Cyst",       "Stenosis",    "Insufficiency", "Hypertrophy",
    "Atrophy",   "Ulcer",        "Hemorrhage", "Obstruction", "Degeneration",  "Syndrome",
    "Anomaly",   "Complication", "Poisoning",  "Deficiency",  "Calculus",      "Paralysis",
};
static const char *const icd_sites[] = {
    "right knee",      "left knee",       "right shoulder", "left shoulder", "lumbar region",
    "cervical region", "right eye",       "left eye",       "liver",         "kidney",
    "bladder",         "colon",           "stomach",        "heart",         "lung",
    "skin of trunk",   "right hand",      "left hand",      "right foot",    "left foot",
    "brain",           "spinal cord",     "thyroid",        "pancreas",      "right ear",
    "left ear",        "upper arm",       "lower leg",      "right hip",     "left hip",
    "pelvis",          "thoracic region", "face",           "scalp",         "wrist",
};
static const char *const icd_quals[] = {
    "unspecified",
    "initial encounter",
    "subsequent encounter",
    "sequela",
    "acute",
    "chronic",
    "recurrent",
    "with complication",
    "without complication",
    "mild",
    "moderate",
    "severe",
    "bilateral",
    "other specified",
    "in remission",
    "not elsewhere classified",
};

static void icd_desc(uint64_t h, int header, char *lng, size_t n)
{
    const char *cond = icd_conds[h % ARRAY_LEN(icd_conds)];
    const char *site = icd_sites[(h >> 8) % ARRAY_LEN(icd_sites)];
    const char *qual = icd_quals[(h >> 16) % ARRAY_LEN(icd_quals)];
    if (header || (h >> 24) % 3 == 0)
        snprintf(lng, n, "%s of %s", cond, site);
    else
        snprintf(lng, n, "%s of %s, %s", cond, site, qual);
}

static void icd_write_row(cg_file *f, const cg_ctx *ctx, const struct icd_row *row, uint32_t no,
                          int billable)
{
    cg_file_uint(f, no, 5);
    cg_file_putc(f, ' ');
    if (row->starter >= 0) {
        cg_file_puts(f, starter_icd10[row->starter]);
    } else {
        char lng[160];
        icd_desc(cg_hash(ctx->seed, row->code, 8), !billable, lng, sizeof(lng));
        cg_file_pad(f, row->code, 7);
        cg_file_putc(f, ' ');
        cg_file_putc(f, billable ? '1' : '0');
        cg_file_putc(f, ' ');
        cg_file_pad(f, lng, 60);
        cg_file_putc(f, ' ');
        cg_file_puts(f, lng);
    }
    cg_file_putc(f, '\n');
}

static int gen_icd10cm(const cg_ctx *ctx)
{
    struct icd_vec o = {0};
    long st_per_letter[26] = {0};
    cg_rng r;
    cg_file f;
    double t0 = cg_now();
    int rc = -ENOMEM;
    cg_rng_seed(&r, ctx->seed, CG_S_ICD);
    for (size_t i = 0; i < ctx->st.icd10.n; i++) {
        const char *s = ctx->st.icd10.v[i];
        char code[8] = {0};
        memcpy(code, s, strcspn(s, " ") < 7 ? strcspn(s, " ") : 7);
        if (icd_push(&o, code, (int32_t)i))
            goto out;
        if (s[0] >= 'A' && s[0] <= 'Z')
            st_per_letter[s[0] - 'A']++;
    }
    for (size_t i = 0; i < ARRAY_LEN(icd_letters); i++) {
        const struct icd_letter *l = &icd_letters[i];
        if (icd_letter_rows(ctx, &r, &o, l, st_per_letter[l->letter - 'A']))
            goto out;
    }
    size_t n = icd_merge(&o);
    if (n > ICD_MAX_ROWS)
        n = ICD_MAX_ROWS;
    if ((rc = cg_file_open(&f, ctx->dir, "icd10cm_order.txt")))
        goto out;
    for (size_t i = 0; i < n; i++) {
        int billable = !(i + 1 < n && icd_is_prefix(o.v[i].code, o.v[i + 1].code));
        icd_write_row(&f, ctx, &o.v[i], (uint32_t)i + 1, billable);
    }
    f.rows = n;
    rc = cg_file_commit(&f);
    if (!rc)
        cg_report("icd10cm_order.txt", &f, cg_now() - t0);
out:
    if (rc == -ENOMEM)
        fprintf(stderr, "claimgen: icd10cm_order.txt: out of memory\n");
    free(o.v);
    return rc;
}

/* ---- HCPCS Level II alpha-numeric file --------------------------------- */

/* The CMS file opens with this disclaimer paragraph (CRLF lines). */
static const char *const hcpcs_preamble[] = {
    "Note regarding coverage and payment indicators for codes in CMS 2020 HCPCS Update and DMEPOS "
    "Fee Schedule Files",
    "",
    "If specific Medicare coverage or payment indicators or values have not been established for "
    "any new HCPCS codes, this may be ",
    "because a national Medicare coverage determination and/or fee schedule amounts have not yet "
    "been established for these items.  ",
    "This is neither an indicator of Medicare coverage or non-coverage.  In these cases, until "
    "national Medicare coverage and payment ",
    "guidelines have been established for these codes, the Medicare coverage and payment "
    "determinations for these items may be made ",
    "based on the discretion of the Medicare contractors processing claims for these items.",
    "",
    "",
};

static const char *const l2_items[] = {
    "Injection",         "Supply",     "Infusion",   "Dressing",
    "Catheter",          "Wheelchair", "Orthosis",   "Prosthesis",
    "Ambulance service", "Screening",  "Drug test",  "Oxygen",
    "Nebulizer",         "Splint",     "Lens",       "Hearing aid",
    "Transport",         "Assessment", "Home visit", "Counseling",
};
static const char *const l2_whats[] = {
    "adult",      "pediatric", "per unit",         "per 15 minutes",    "each",
    "disposable", "reusable",  "with accessories", "custom fabricated", "prefabricated",
    "per mile",   "per diem",  "non-emergency",    "emergency",         "any size",
    "10 mg",      "1 mg",      "50 units",         "per session",       "not otherwise specified",
};
static const char *const hcpcs_pricing[] = {"00", "51", "38", "53", "32", "36", "13", "37", "46"};
static const char *const hcpcs_betos[] = {"O1E", "D1F", "M5B", "D1E", "Z2 ", "O1A", "T1H", "P6C"};

/* One synthetic description, 20-170 characters, from the code's hash. */
static size_t l2_desc(uint64_t h, char *out, size_t n)
{
    const char *item = l2_items[h % ARRAY_LEN(l2_items)];
    const char *w1 = l2_whats[(h >> 8) % ARRAY_LEN(l2_whats)];
    const char *w2 = l2_whats[(h >> 16) % ARRAY_LEN(l2_whats)];
    int r;
    if ((h >> 24) % 3 == 0)
        r = snprintf(out, n,
                     "%s, %s, %s, includes all supplies and accessories needed for its use, "
                     "when furnished by the supplier to the beneficiary",
                     item, w1, w2);
    else
        r = snprintf(out, n, "%s, %s, %s", item, w1, w2);
    return r < 0 ? 0 : (size_t)r >= n ? n - 1 : (size_t)r;
}

static void put_date(cg_file *f, uint32_t ymd)
{
    if (ymd)
        cg_file_uint(f, ymd, 8);
    else
        cg_file_pad(f, "", 8);
}

/* One 320-byte record (and its 91-byte continuation records, trimmed as the
 * CMS file has them). code5 is the 5-byte code field; rid '3' or '7'. */
static void hcpcs_record(cg_file *f, cg_rng *r, uint64_t h, const char *code5, char rid)
{
    char desc[200], shrt[29];
    size_t len = l2_desc(h, desc, sizeof(desc));
    size_t slen = len < sizeof(shrt) - 1 ? len : sizeof(shrt) - 1;
    memcpy(shrt, desc, slen);
    shrt[slen] = 0;
    uint32_t add = 19820101 + 10000 * cg_rng_below(r, 38) + 100 * 3 * cg_rng_below(r, 4);
    uint32_t act = add, term = 0;
    char action = 'N';
    uint32_t roll = cg_rng_below(r, 100);
    if (roll < 9) {
        term = 20191231;
        action = 'D';
    } else if (roll < 13) {
        add = act = 20200101;
        action = 'A';
    } else if (roll < 15) {
        act = 20200101;
        action = 'C';
    }
    for (size_t off = 0, seq = 1; off < len || seq == 1; off += 80, seq++) {
        char chunk[81];
        size_t clen = off < len ? (len - off < 80 ? len - off : 80) : 0;
        memcpy(chunk, desc + off, clen);
        chunk[clen] = 0;
        cg_file_put(f, code5, 5);
        cg_file_uint(f, seq * 100, 5);
        cg_file_putc(f, seq == 1 ? rid : (char)(rid + 1));
        cg_file_pad(f, chunk, 80);
        if (seq > 1) {
            cg_file_put(f, "\r\n", 2);
            continue;
        }
        cg_file_pad(f, shrt, 28); /* 92-119 */
        if (rid == '3') {
            cg_file_puts(f, hcpcs_pricing[h % ARRAY_LEN(hcpcs_pricing)]); /* 120-121 */
            cg_file_pad(f, "", 6);
            cg_file_putc(f, 'A');                            /* 128 */
            cg_file_pad(f, "", 101);                         /* 129-229 */
            cg_file_putc(f, "CCCCCCDDDIMS"[(h >> 32) % 12]); /* 230 */
            cg_file_pad(f, "", 26);                          /* 231-256 */
            cg_file_puts(f, hcpcs_betos[(h >> 40) % ARRAY_LEN(hcpcs_betos)]);
            cg_file_pad(f, " 1", 8); /* 260-267 */
            cg_file_putc(f, '0');    /* 268 */
        } else {
            cg_file_pad(f, "", 110); /* 120-229 */
            cg_file_putc(f, 'C');    /* 230 */
            cg_file_pad(f, "", 38);  /* 231-268 */
        }
        put_date(f, add);        /* 269-276 */
        put_date(f, act);        /* 277-284 */
        put_date(f, term);       /* 285-292 */
        cg_file_putc(f, action); /* 293 */
        cg_file_pad(f, "", 27);  /* 294-320 */
        cg_file_put(f, "\r\n", 2);
        f->rows++;
    }
}

/* Starter records of one code: [*first, end) in starter_hcpcs. */
static size_t starter_hcpcs_group(const cg_ctx *ctx, size_t i)
{
    size_t j = i + 1;
    while (j < ctx->st.hcpcs.n && memcmp(ctx->st.hcpcs.v[j], ctx->st.hcpcs.v[i], 5) == 0)
        j++;
    return j;
}

static void put_starter_lines(cg_file *f, const cg_strs *s, size_t from, size_t to, int counted)
{
    for (size_t i = from; i < to; i++) {
        cg_file_puts(f, s->v[i]);
        cg_file_put(f, "\r\n", 2);
        if (counted || i == from)
            f->rows++;
    }
}

static int is_starter_modifier(const cg_ctx *ctx, const char *m)
{
    for (size_t i = 0; i < ctx->st.hcpcs.n; i++) {
        const char *s = ctx->st.hcpcs.v[i];
        if (s[10] == '7' && s[3] == m[0] && s[4] == m[1])
            return 1;
    }
    return 0;
}

static void gen_hcpcs_modifiers(const cg_ctx *ctx, cg_file *f, cg_rng *r)
{
    /* Level II modifiers: two characters, not both digits (those are CPT's). */
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    uint32_t want = cg_scaled(ctx, 320), all = 36 * 36;
    size_t si = 0;
    for (uint32_t k = 0; k < all; k++) {
        char m[3] = {alnum[k / 36], alnum[k % 36], 0};
        char code5[6] = {' ', ' ', ' ', m[0], m[1], 0};
        while (si < ctx->st.hcpcs.n && ctx->st.hcpcs.v[si][10] == '7' &&
               memcmp(ctx->st.hcpcs.v[si], code5, 5) < 0)
            si = starter_hcpcs_group(ctx, si);
        if (si < ctx->st.hcpcs.n && memcmp(ctx->st.hcpcs.v[si], code5, 5) == 0) {
            size_t end = starter_hcpcs_group(ctx, si);
            put_starter_lines(f, &ctx->st.hcpcs, si, end, 0);
            si = end;
            continue;
        }
        if ((m[0] <= '9' && m[1] <= '9') || is_starter_modifier(ctx, m))
            continue;
        if (cg_rng_below(r, all - k) < want) {
            hcpcs_record(f, r, cg_hash(ctx->seed, m, 2), code5, '7');
            if (want > 0)
                want--;
        }
    }
}

static int gen_hcpcs(const cg_ctx *ctx)
{
    cg_rng r;
    cg_file f;
    double t0 = cg_now();
    int rc = cg_file_open(&f, ctx->dir, "hcpcs.txt");
    if (rc)
        return rc;
    cg_rng_seed(&r, ctx->seed, CG_S_HCPCS);
    for (size_t i = 0; i < ARRAY_LEN(hcpcs_preamble); i++) {
        cg_file_puts(&f, hcpcs_preamble[i]);
        cg_file_put(&f, "\r\n", 2);
    }
    gen_hcpcs_modifiers(ctx, &f, &r);
    size_t si = 0;
    while (si < ctx->st.hcpcs.n && ctx->st.hcpcs.v[si][10] != '3')
        si++;
    for (uint32_t i = 0; i < ctx->nproc; i++) {
        const cg_proc *p = &ctx->proc[i];
        if (!(p->flags & CG_IN_HCPCS))
            continue;
        if (p->flags & CG_ST_HCPCS) {
            while (si < ctx->st.hcpcs.n && memcmp(ctx->st.hcpcs.v[si], p->code, 5) < 0)
                si++;
            size_t end = starter_hcpcs_group(ctx, si);
            put_starter_lines(&f, &ctx->st.hcpcs, si, end, 0);
            si = end;
            continue;
        }
        hcpcs_record(&f, &r, cg_hash(ctx->seed, p->code, 5), p->code, '3');
    }
    rc = cg_file_commit(&f);
    if (!rc)
        cg_report("hcpcs.txt", &f, cg_now() - t0);
    return rc;
}

/* ---- PPRRVU ------------------------------------------------------------ */

/* The CMS banner and stacked header, as PPRRVU2025_Oct.csv has them. */
static const char *const rvu_banner[] = {
    ",,2025 National Physician Fee Schedule Relative Value File October Release,,,,,,,,,,,,,,,,,,,,"
    ",,,,,,,,",
    ",,CPT codes and descriptions only are copyright 2024 American Medical Association.  All "
    "Rights "
    "Reserved.  Applicable FARS/DFARS Apply. ,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    ",,Dental codes (D codes) are copyright 2025/26 American Dental Association.  All Rights "
    "Reserved.,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    ",, ,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    ",,RELEASED 09/11/2025,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    ",, , ,,,,,,,,,,,,,,,,,,,,,,,,,NON-FACILITY,FACILITY,",
    ",,,,NOT USED,,,,,,,,,,,,,,,,,,,,,PHYSICIAN,,DIAGNOSTIC,PE USED,PE USED,MP USED",
    ",,,,FOR,,,NON-FAC,,FACILITY ,,,,,,,,,,,,,,,,SUPERVISION OF,,IMAGING,FOR OPPS,FOR OPPS,FOR "
    "OPPS",
    ",,,STATUS,MEDICARE ,WORK,NON-FAC,NA,FACILITY,NA,MP,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,"
    "POST,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV,DIAGNOSTIC,CALCULATION,FAMILY,PAYMENT,PAYMENT,PAYMENT",
    "HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,TOTAL,TOTAL,IND,"
    "DAYS,OP,OP,OP,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR,PROCEDURES,FLAG,INDICATOR,AMOUNT,AMOUNT,"
    "AMOUNT",
};

/* One PPRRVU row's values; RVUs in hundredths. */
struct rvu_vals {
    char status;
    uint8_t pctc, mult, bilat, asst, cosurg, team;
    const char *glob;
    int32_t work, pe_nf, pe_f, mp;
    uint8_t na_nf, na_f, not_used;
    int32_t pre, intra, post; /* hundredths of the package */
    const char *superv;
    const char *family;
    int32_t opps_nf, opps_f, opps_mp;
    char endo[6];
};

static uint32_t cpt_number(const char *c)
{
    return (uint32_t)strtoul(c, NULL, 10);
}

static int32_t rnd_range(cg_rng *r, int32_t lo, int32_t hi)
{
    return lo + (int32_t)cg_rng_below(r, (uint32_t)(hi - lo + 1));
}

static void rvu_surgery(cg_rng *r, const char *code, struct rvu_vals *v)
{
    static const char *const globs[] = {"090", "090", "090", "090", "000", "000",
                                        "010", "ZZZ", "ZZZ", "YYY", "XXX"};
    uint32_t n = cpt_number(code);
    v->glob = globs[cg_rng_below(r, ARRAY_LEN(globs))];
    if (n >= 59000 && n < 60000 && cg_rng_below(r, 3) == 0)
        v->glob = "MMM";
    v->pctc = 0;
    v->mult = cg_rng_below(r, 10) < 8 ? 2 : 0;
    if ((n >= 43000 && n < 44000) || (n >= 45000 && n < 46000) || (n >= 31000 && n < 32000))
        v->mult = 3;
    v->bilat = (uint8_t) "0000011123"[cg_rng_below(r, 10)] - '0';
    v->asst = (uint8_t) "0001122299"[cg_rng_below(r, 10)] - '0';
    v->cosurg = (uint8_t) "0000001129"[cg_rng_below(r, 10)] - '0';
    v->team = (uint8_t) "0000000129"[cg_rng_below(r, 10)] - '0';
    v->work = rnd_range(r, 100, 3000);
    v->pe_f = rnd_range(r, 40, 1500);
    v->pe_nf = v->pe_f + rnd_range(r, 0, 800);
    v->mp = rnd_range(r, 5, 600);
    if (strcmp(v->glob, "090") == 0 && cg_rng_below(r, 3) != 0)
        v->na_nf = 1;
    if (strcmp(v->glob, "090") == 0 || strcmp(v->glob, "010") == 0) {
        v->pre = rnd_range(r, 5, 15);
        v->intra = rnd_range(r, 60, 84);
        v->post = 100 - v->pre - v->intra;
    }
}

static void rvu_fill(cg_rng *r, const cg_proc *p, struct rvu_vals *v)
{
    memset(v, 0, sizeof(*v));
    v->status = 'A';
    v->pctc = 0;
    v->glob = "XXX";
    v->superv = "09";
    v->family = cg_rng_below(r, 100) < 2 ? "88" : "99";
    v->not_used = cg_rng_below(r, 1000) < 8;
    uint32_t n = p->kind == CG_CPT ? cpt_number(p->code) : 0;
    if (p->kind == CG_CPT && n < 2000) {
        v->status = 'J';
    } else if (p->kind == CG_CPT && n < 70000) {
        v->status = "AAAAAAAAAAAAAAAAACCRN"[cg_rng_below(r, 21)];
        rvu_surgery(r, p->code, v);
    } else if (p->kind == CG_CPT && n < 80000) {
        v->pctc = cg_rng_below(r, 10) < 7 ? 1 : (uint8_t)("2349"[cg_rng_below(r, 4)] - '0');
        v->mult = cg_rng_below(r, 3) == 0 ? 4 : 0;
        v->superv = cg_rng_below(r, 2) ? "01" : "02";
        v->work = rnd_range(r, 15, 300);
        v->pe_nf = rnd_range(r, 30, 900);
        v->pe_f = v->pe_nf;
        v->mp = rnd_range(r, 1, 20);
        v->na_f = v->pctc == 1;
    } else if (p->kind == CG_CPT && n < 90000) {
        v->status = cg_rng_below(r, 10) < 6 ? 'X' : 'A';
        if (v->status == 'A') {
            v->pctc = (uint8_t) "1126"[cg_rng_below(r, 4)] - '0';
            v->work = rnd_range(r, 10, 200);
            v->pe_nf = rnd_range(r, 10, 600);
            v->pe_f = v->pe_nf / 3;
            v->mp = rnd_range(r, 1, 10);
        } else {
            v->pctc = 9;
        }
    } else if (p->kind == CG_CPT) {
        v->status = "AAAAAAAAIBNR"[cg_rng_below(r, 12)];
        v->mult = n >= 97000 && n < 98000   ? 5
                  : n >= 93000 && n < 94000 ? 6
                  : n >= 92000 && n < 93000 ? 7
                                            : 0;
        v->pctc = n >= 93000 && n < 94000 && cg_rng_below(r, 2) ? 1 : 0;
        v->work = rnd_range(r, 0, 450);
        v->pe_nf = rnd_range(r, 10, 300);
        v->pe_f = v->pe_nf / 2;
        v->mp = rnd_range(r, 0, 30);
    } else if (p->kind == CG_CAT2) {
        v->status = 'M';
    } else if (p->kind == CG_CAT3) {
        v->status = 'C';
    } else if (p->kind == CG_DENTAL) {
        v->status = cg_rng_below(r, 10) < 3 ? 'R' : 'N';
    } else {
        v->status = "EEEEEXXXXIIIAAAABCN"[cg_rng_below(r, 19)];
        if (v->status == 'A') {
            v->work = rnd_range(r, 0, 200);
            v->pe_nf = rnd_range(r, 5, 300);
            v->pe_f = v->pe_nf / 2;
            v->mp = rnd_range(r, 0, 15);
        }
    }
    if (!strchr("ART", v->status)) {
        /* not payable under the MPFS: no values, indicators not applicable */
        v->work = v->pe_nf = v->pe_f = v->mp = 0;
        v->na_nf = v->na_f = 0;
        v->pre = v->intra = v->post = 0;
        v->pctc = v->mult = v->bilat = v->asst = v->cosurg = v->team = 9;
        v->glob = "XXX";
    } else if (v->pctc != 0 || p->kind != CG_CPT || cpt_number(p->code) >= 70000) {
        v->bilat = v->asst = v->cosurg = v->team = 0;
    }
}

static void rvu_put_row(cg_file *f, const char *code, const char *mod, const struct rvu_vals *v)
{
    cg_file_puts(f, code);
    cg_file_putc(f, ',');
    cg_file_puts(f, mod);
    cg_file_put(f, ",,", 2);
    cg_file_putc(f, v->status);
    cg_file_putc(f, ',');
    if (v->not_used)
        cg_file_putc(f, '+');
    cg_file_putc(f, ',');
    const int32_t vals[] = {v->work, v->pe_nf, v->pe_f, v->mp};
    cg_file_dec2(f, vals[0]);
    cg_file_putc(f, ',');
    cg_file_dec2(f, vals[1]);
    cg_file_puts(f, v->na_nf ? ",NA," : ",,");
    cg_file_dec2(f, vals[2]);
    cg_file_puts(f, v->na_f ? ",NA," : ",,");
    cg_file_dec2(f, vals[3]);
    cg_file_putc(f, ',');
    cg_file_dec2(f, v->work + v->pe_nf + v->mp);
    cg_file_putc(f, ',');
    cg_file_dec2(f, v->work + v->pe_f + v->mp);
    cg_file_putc(f, ',');
    cg_file_uint(f, v->pctc, 0);
    cg_file_putc(f, ',');
    cg_file_puts(f, v->glob);
    const int32_t shares[] = {v->pre, v->intra, v->post};
    for (int i = 0; i < 3; i++) {
        cg_file_putc(f, ',');
        cg_file_dec2(f, shares[i]);
    }
    const uint8_t ind[] = {v->mult, v->bilat, v->asst, v->cosurg, v->team};
    for (int i = 0; i < 5; i++) {
        cg_file_putc(f, ',');
        cg_file_uint(f, ind[i], 0);
    }
    cg_file_putc(f, ',');
    cg_file_puts(f, v->endo);
    cg_file_puts(f, ",32.3465,");
    cg_file_puts(f, v->superv);
    cg_file_puts(f, ",0,");
    cg_file_puts(f, v->family);
    const int32_t opps[] = {v->opps_nf, v->opps_f, v->opps_mp};
    for (int i = 0; i < 3; i++) {
        cg_file_putc(f, ',');
        cg_file_dec2(f, opps[i]);
    }
    cg_file_put(f, "\r\n", 2);
    f->rows++;
}

/* The global row and, for PCTC 1 codes, the 26 and TC rows: the global row
 * is their sum, as in the CMS file. */
static void rvu_put_code(cg_file *f, cg_rng *r, const cg_proc *p, struct rvu_vals *v)
{
    if (v->pctc != 1 || !strchr("ART", v->status)) {
        rvu_put_row(f, p->code, "", v);
        return;
    }
    struct rvu_vals pc = *v, tc = *v;
    pc.pe_nf = pc.pe_f = v->pe_nf / 8 + 1;
    pc.mp = v->mp / 2;
    pc.na_nf = pc.na_f = 0;
    tc.work = 0;
    tc.pe_nf = tc.pe_f = v->pe_nf;
    tc.mp = v->mp - pc.mp;
    v->pe_nf = v->pe_f = pc.pe_nf + tc.pe_nf;
    if (v->mult == 4) {
        v->opps_nf = v->opps_f = tc.opps_nf = tc.opps_f = rnd_range(r, 50, 500);
        v->opps_mp = tc.opps_mp = rnd_range(r, 1, 10);
    }
    rvu_put_row(f, p->code, "", v);
    rvu_put_row(f, p->code, "26", &pc);
    rvu_put_row(f, p->code, "TC", &tc);
}

static int gen_pprrvu(const cg_ctx *ctx)
{
    cg_rng r;
    cg_file f;
    double t0 = cg_now();
    int rc = cg_file_open(&f, ctx->dir, "pprrvu.csv");
    if (rc)
        return rc;
    cg_rng_seed(&r, ctx->seed, CG_S_RVU);
    for (size_t i = 0; i < ARRAY_LEN(rvu_banner); i++) {
        cg_file_puts(&f, rvu_banner[i]);
        cg_file_put(&f, "\r\n", 2);
    }
    size_t si = 0;
    char endo_base[6] = "", endo_prefix[4] = "";
    for (uint32_t i = 0; i < ctx->nproc; i++) {
        const cg_proc *p = &ctx->proc[i];
        if (!(p->flags & CG_IN_RVU))
            continue;
        if (p->flags & CG_ST_RVU) {
            const cg_strs *s = &ctx->st.pprrvu;
            while (si < s->n && strncmp(s->v[si], p->code, 5) < 0)
                si++;
            size_t end = si;
            while (end < s->n && strncmp(s->v[end], p->code, 5) == 0)
                end++;
            put_starter_lines(&f, s, si, end, 1);
            si = end;
            continue;
        }
        struct rvu_vals v;
        rvu_fill(&r, p, &v);
        if (v.mult == 3) {
            /* endoscopy families: the first code of a 3-digit block is the base */
            if (memcmp(endo_prefix, p->code, 3) != 0) {
                memcpy(endo_prefix, p->code, 3);
                memcpy(endo_base, p->code, 6);
            } else {
                memcpy(v.endo, endo_base, 6);
            }
        }
        rvu_put_code(&f, &r, p, &v);
    }
    rc = cg_file_commit(&f);
    if (!rc)
        cg_report("pprrvu.csv", &f, cg_now() - t0);
    return rc;
}

/* ---- MUE --------------------------------------------------------------- */

static const char mue_notice[] =
    "\"CPT codes, descriptions and other data only are copyright 2024 American Medical "
    "Association. All Rights Reserved.\n"
    "Applicable FARS/DFARS Apply.\n"
    "Fee schedules, relative value units, conversion factors and/or related components are not "
    "assigned by the AMA, are not part of CPT, and the AMA is not recommending their use.\",,,\r\n"
    "\"HCPCS/\nCPT Code\",\"Practitioner Services MUE Values\",\"MUE Adjudication "
    "Indicator\",\"MUE Rationale\"\r\n";

static const char *const mue_mai[] = {"1 Line Edit", "2 Date of Service Edit: Policy",
                                      "3 Date of Service Edit: Clinical"};
static const char *const mue_why[] = {
    "Anatomic Consideration",
    "Code Descriptor / CPT Instruction",
    "Nature of Service/Procedure",
    "Clinical: Data",
    "CMS Policy",
    "Prescribing Information",
    "Nature of Equipment",
    "Clinical: CMS Workgroup",
    "Published Contractor Policy",
};

static void mue_row(cg_file *f, cg_rng *r, const cg_proc *p)
{
    uint32_t roll = cg_rng_below(r, 100), value, mai;
    mai = roll < 18 ? 0 : roll < 62 ? 1 : 2;
    roll = cg_rng_below(r, 100);
    value = roll < 52   ? 1
            : roll < 67 ? 2
            : roll < 80 ? 3 + cg_rng_below(r, 2)
            : roll < 93 ? 5 + cg_rng_below(r, 20)
                        : 25 + cg_rng_below(r, 500);
    if (p->code[0] == 'J' && cg_rng_below(r, 2))
        value = 10 + cg_rng_below(r, 990);
    cg_file_puts(f, p->code);
    cg_file_putc(f, ',');
    cg_file_uint(f, value, 0);
    cg_file_put(f, ",\"", 2);
    cg_file_puts(f, mue_mai[mai]);
    cg_file_put(f, "\",\"", 3);
    cg_file_puts(f, mue_why[cg_rng_below(r, ARRAY_LEN(mue_why))]);
    cg_file_put(f, "\"\r\n", 3);
    f->rows++;
}

static int gen_mue(const cg_ctx *ctx)
{
    cg_rng r;
    cg_file f;
    double t0 = cg_now();
    const cg_strs *s = &ctx->st.mue;
    int rc = cg_file_open(&f, ctx->dir, "mue.csv");
    if (rc)
        return rc;
    cg_rng_seed(&r, ctx->seed, CG_S_MUE);
    cg_file_puts(&f, mue_notice);
    double want = (double)cg_scaled(ctx, 15000) - (double)s->n;
    double p = ctx->nproc > s->n ? want / (double)(ctx->nproc - s->n) : 0;
    size_t si = 0;
    for (uint32_t i = 0; i < ctx->nproc; i++) {
        const cg_proc *c = &ctx->proc[i];
        while (si < s->n && strncmp(s->v[si], c->code, 5) < 0)
            si++;
        if (si < s->n && strncmp(s->v[si], c->code, 5) == 0 && s->v[si][5] == ',') {
            put_starter_lines(&f, s, si, si + 1, 1);
            si++;
            continue;
        }
        if (cg_rng_unit(&r) < p)
            mue_row(&f, &r, c);
    }
    rc = cg_file_commit(&f);
    if (!rc)
        cg_report("mue.csv", &f, cg_now() - t0);
    return rc;
}

/* ---- POS --------------------------------------------------------------- */

static const char *const pos_rows[] = {
    "01\tPharmacy",
    "02\tTelehealth Provided Other than in Patient's Home",
    "03\tSchool",
    "04\tHomeless Shelter",
    "05\tIndian Health Service Free-standing Facility",
    "06\tIndian Health Service Provider-based Facility",
    "07\tTribal 638 Free-standing Facility",
    "08\tTribal 638 Provider-based Facility",
    "09\tPrison/Correctional Facility",
    "10\tTelehealth Provided in Patient's Home",
    "11\tOffice",
    "12\tHome",
    "13\tAssisted Living Facility",
    "14\tGroup Home",
    "15\tMobile Unit",
    "16\tTemporary Lodging",
    "17\tWalk-in Retail Health Clinic",
    "18\tPlace of Employment-Worksite",
    "19\tOff Campus-Outpatient Hospital",
    "20\tUrgent Care Facility",
    "21\tInpatient Hospital",
    "22\tOn Campus-Outpatient Hospital",
    "23\tEmergency Room - Hospital",
    "24\tAmbulatory Surgical Center",
    "25\tBirthing Center",
    "26\tMilitary Treatment Facility",
    "27\tOutreach Site/ Street",
    "31\tSkilled Nursing Facility",
    "32\tNursing Facility",
    "33\tCustodial Care Facility",
    "34\tHospice",
    "41\tAmbulance - Land",
    "42\tAmbulance - Air or Water",
    "49\tIndependent Clinic",
    "50\tFederally Qualified Health Center",
    "51\tInpatient Psychiatric Facility",
    "52\tPsychiatric Facility-Partial Hospitalization",
    "53\tCommunity Mental Health Center",
    "54\tIntermediate Care Facility/Individuals w/ Intellectual Disab.",
    "55\tResidential Substance Abuse Treatment Facility",
    "56\tPsychiatric Residential Treatment Center",
    "57\tNon-residential Substance Abuse Treatment Facility",
    "58\tNon-residential Opioid Treatment Facility",
    "60\tMass Immunization Center",
    "61\tComprehensive Inpatient Rehabilitation Facility",
    "62\tComprehensive Outpatient Rehabilitation Facility",
    "65\tEnd-Stage Renal Disease Treatment Facility",
    "66\tPrograms of All-Inclusive Care for the Elderly (PACE) Center",
    "71\tPublic Health Clinic",
    "72\tRural Health Clinic",
    "81\tIndependent Laboratory",
    "99\tOther Place of Service",
};

static int gen_pos(const cg_ctx *ctx)
{
    cg_file f;
    double t0 = cg_now();
    int rc = cg_file_open(&f, ctx->dir, "pos.txt");
    if (rc)
        return rc;
    for (size_t i = 0; i < ARRAY_LEN(pos_rows); i++) {
        cg_file_puts(&f, pos_rows[i]);
        cg_file_putc(&f, '\n');
    }
    f.rows = ARRAY_LEN(pos_rows);
    rc = cg_file_commit(&f);
    if (!rc)
        cg_report("pos.txt", &f, cg_now() - t0);
    return rc;
}

/* ---- the subcommand ---------------------------------------------------- */

static void tables_usage(void)
{
    fprintf(stderr, "usage: claimgen tables --out DIR [--seed S] [--scale F]\n"
                    "  --seed S   any unsigned 64-bit number (default 1)\n"
                    "  --scale F  0 < F <= 4, 1.0 = real scale (default)\n");
}

static int parse_args(int argc, char **argv, cg_ctx *ctx)
{
    for (int i = 1; i < argc;) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (!v) {
            fprintf(stderr, "claimgen tables: %s needs a value\n", a);
            return -1;
        }
        errno = 0;
        if (strcmp(a, "--out") == 0) {
            ctx->dir = v;
        } else if (strcmp(a, "--seed") == 0) {
            ctx->seed = strtoull(v, &end, 0);
            if (errno || *end || !*v || v[0] == '-') {
                fprintf(stderr, "claimgen tables: bad --seed '%s'\n", v);
                return -1;
            }
        } else if (strcmp(a, "--scale") == 0) {
            ctx->scale = strtod(v, &end);
            if (errno || *end || !*v || !(ctx->scale > 0 && ctx->scale <= 4)) {
                fprintf(stderr, "claimgen tables: bad --scale '%s' (0 < F <= 4)\n", v);
                return -1;
            }
        } else {
            fprintf(stderr, "claimgen tables: unknown option '%s'\n", a);
            return -1;
        }
        i += 2; /* the option and its value */
    }
    if (!ctx->dir) {
        fprintf(stderr, "claimgen tables: --out DIR is required\n");
        return -1;
    }
    return 0;
}

static int ensure_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "claimgen: %s: cannot create: %s\n", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "claimgen: %s: not a folder\n", dir);
        return -1;
    }
    return 0;
}

#define STRS(a) ((cg_strs){(a), ARRAY_LEN(a)})

int cg_tables_main(int argc, char **argv)
{
    cg_ctx ctx = {.seed = 1, .scale = 1.0};
    int rc = parse_args(argc, argv, &ctx);
    if (rc) {
        tables_usage();
        return rc > 0 ? 0 : 2;
    }
    if (ensure_dir(ctx.dir))
        return 1;
    ctx.st.icd10 = STRS(starter_icd10);
    ctx.st.hcpcs = STRS(starter_hcpcs);
    ctx.st.pprrvu = STRS(starter_pprrvu);
    ctx.st.ncci = STRS(starter_ncci);
    ctx.st.mue = STRS(starter_mue);
    ctx.st.zip5 = STRS(starter_zip5);
    double t0 = cg_now();
    if (build_universe(&ctx))
        return 1;
    int (*const gens[])(const cg_ctx *) = {gen_icd10cm, gen_hcpcs, gen_pprrvu, cg_gen_gpci_zip5,
                                           cg_gen_ncci, gen_mue,   gen_pos};
    for (size_t i = 0; i < ARRAY_LEN(gens) && !rc; i++)
        rc = gens[i](&ctx);
    free(ctx.proc);
    if (rc)
        return 1;
    fprintf(stderr, "claimgen: tables in %s (seed %llu, scale %g) in %.2f s\n", ctx.dir,
            (unsigned long long)ctx.seed, ctx.scale, cg_now() - t0);
    return 0;
}
