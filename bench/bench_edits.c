/* bench_edits: ns per claim for edit_claim (a typical clean claim, and one
 * with findings) and for the fingerprint and duplicate set.
 *
 *   bench_edits [TABLES_DIR] [ITERATIONS]
 *
 * TABLES_DIR defaults to the embedded default version (tbl_default_dir). The
 * starter tables fit in cache; point it at a claimgen benchmark-scale
 * version to see the cost of table misses. One thread. */
#define _POSIX_C_SOURCE 200809L

#include "claimd/edit.h"
#include "claimd/fp.h"
#include "claimd/tbl_default.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static clm_line *line(clm_claim *c, clm_line *l, const char *code, int64_t charge, uint8_t ptr)
{
    clm_line *x = &l[c->nlines];
    memset(x, 0, sizeof *x);
    x->number = ++c->nlines;
    x->seg_index = 20 + 3 * x->number;
    strcpy(x->qual, "HC");
    snprintf(x->code, sizeof x->code, "%s", code);
    strcpy(x->unit_type, "UN");
    x->charge = charge;
    x->units_milli = 1000;
    x->from = x->to = 20250315;
    x->ptrs[0] = ptr;
    x->nptrs = 1;
    c->charge += charge;
    return x;
}

/* The typical professional claim: an office visit, a lab draw and a panel,
 * two diagnoses (about 8 table lookups). */
static void clean_claim(clm_claim *c, clm_line *l)
{
    memset(c, 0, sizeof *c);
    c->type = CLM_TYPE_837P;
    c->bht_date = 20250401;
    strcpy(c->bill_npi, "1558598797");
    strcpy(c->bill_tin, "123456789");
    strcpy(c->member_id, "MEMBER1");
    c->sub_dob = 19700101;
    c->sub_sex = 'M';
    strcpy(c->pos, "11");
    c->freq = '1';
    c->lines = l;
    strcpy(c->dx[0].code, "E119");
    strcpy(c->dx[1].code, "I10");
    c->ndx = 2;
    line(c, l, "99213", 12500, 1);
    line(c, l, "36415", 1500, 1);
    line(c, l, "80053", 4000, 2);
}

/* NCCI, an unknown diagnosis, a bad modifier and a charge mismatch. */
static void dirty_claim(clm_claim *c, clm_line *l)
{
    clean_claim(c, l);
    strcpy(c->dx[1].code, "I10.0");
    line(c, l, "93000", 5000, 1);
    clm_line *x = line(c, l, "93005", 3000, 1);
    strcpy(x->mods[0], "ZZ");
    x->nmods = 1;
    c->charge += 1;
}

static double bench_edit(const tbl_version *v, const edit_settings *s, const clm_claim *c,
                         long iters, uint32_t *nfind)
{
    static edit_findings f;
    double t0 = now_s();
    for (long i = 0; i < iters; i++)
        edit_claim(v, s, c, 20250401, &f);
    double ns = (now_s() - t0) * 1e9 / (double)iters;
    *nfind = f.n;
    return ns;
}

static double bench_fp(const clm_claim *c, long iters)
{
    fp_set *set;
    if (fp_set_create((size_t)iters, &set) != 0)
        return -1;
    clm_claim x = *c;
    clm_line l[8];
    memcpy(l, c->lines, sizeof l[0] * c->nlines);
    x.lines = l;
    double t0 = now_s();
    for (long i = 0; i < iters; i++) {
        l[0].charge = i; /* a distinct claim each time: the set grows */
        fp128 f;
        fp_claim(&x, &f);
        fp_set_add(set, &f);
    }
    double ns = (now_s() - t0) * 1e9 / (double)iters;
    fp_set_free(set);
    return ns;
}

int main(int argc, char **argv)
{
    char dir[4096];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else if (tbl_default_dir(dir, sizeof dir) != 0) {
        fputs("bench_edits: no default tables version; pass TABLES_DIR\n", stderr);
        return 1;
    }
    long iters = argc > 2 ? atol(argv[2]) : 2000000;
    tbl_version *v;
    int rc = tbl_open(dir, 0, &v);
    if (rc != 0) {
        fprintf(stderr, "bench_edits: cannot open %s (%d)\n", dir, rc);
        return 1;
    }
    edit_settings s;
    edit_settings_default(&s);
    clm_claim c;
    clm_line l[8];
    uint32_t n;

    clean_claim(&c, l);
    bench_edit(v, &s, &c, iters / 10, &n); /* warm up */
    double clean = bench_edit(v, &s, &c, iters, &n);
    printf("edit_claim clean (3 lines, 2 dx):     %7.1f ns/claim  %u findings  %.0f claims/s\n",
           clean, n, 1e9 / clean);
    dirty_claim(&c, l);
    double dirty = bench_edit(v, &s, &c, iters, &n);
    printf("edit_claim with findings (5 lines):   %7.1f ns/claim  %u findings  %.0f claims/s\n",
           dirty, n, 1e9 / dirty);
    clean_claim(&c, l);
    double f = bench_fp(&c, iters);
    printf("fp_claim + fp_set_add (%ld distinct): %7.1f ns/claim\n", iters, f);
    tbl_close(v);
    return 0;
}
