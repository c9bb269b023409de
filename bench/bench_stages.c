/* bench_stages: where a scrub's time goes, stage by stage, on one thread.
 *
 *   bench_stages [--tables DIR] FILE.837
 *
 * Walks FILE once and runs, for every claim, each stage of the scrub with a
 * clock around it: the edits (edit_claim), pricing (price_claim), the
 * fingerprint and the in-run duplicate set, and the rendering of the results
 * line and the 277CA segments (scrub_render). Parsing is the rest of the
 * walk's time. Output files are not written (bench/run.sh measures the write
 * floor apart). Prints seconds, share and ns/claim per stage, and claims/s.
 * The clock reads cost about 20 ns per stage per claim; their sum is shown.
 */
#define _POSIX_C_SOURCE 200809L
#include "claimd/ack277.h"
#include "claimd/edit.h"
#include "claimd/error.h"
#include "claimd/fp.h"
#include "claimd/price.h"
#include "claimd/scrub.h"
#include "claimd/tables.h"
#include "claimd/tbl_default.h"
#include "claimd/x12.h"
#include "claimd/xfeed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ST_EDIT, ST_PRICE, ST_FP, ST_RENDER, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"edits", "pricing", "fingerprint+dup",
                                                  "render JSON+277CA"};

typedef struct stages {
    const tbl_version *v;
    edit_settings es;
    scrub_work w;
    fp_set *fps;
    ack277_fmt fmt;
    double t[ST_COUNT];
    uint64_t claims, lines, dups, findings;
} stages;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int on_claim(void *ctx, const clm_claim *c)
{
    stages *s = ctx;
    scrub_work *w = &s->w;
    if (w->lines_cap < c->nlines) {
        free(w->lines);
        w->lines = calloc(c->nlines, sizeof *w->lines);
        w->lines_cap = w->lines ? c->nlines : 0;
        if (!w->lines)
            return 1;
    }
    double t0 = now_s();
    edit_claim(s->v, &s->es, c, c->bht_date, &w->f);
    double t1 = now_s();
    memset(w->lines, 0, sizeof *w->lines * c->nlines);
    price_claim(s->v, &s->es, c, &w->f, w->lines, &w->allowed, &w->any_priced);
    double t2 = now_s();
    w->has_fp = fp_claim(c, &w->fp);
    if (w->has_fp && fp_set_add(s->fps, &w->fp) == 1) {
        s->dups++;
        edit_add(&w->f, &s->es, EDIT_DUPLICATE, 0, 0, "duplicate");
    }
    w->rejected = edit_rejected(&w->f);
    double t3 = now_s();
    scrub_render(&s->fmt, c, w);
    double t4 = now_s();
    s->t[ST_EDIT] += t1 - t0;
    s->t[ST_PRICE] += t2 - t1;
    s->t[ST_FP] += t3 - t2;
    s->t[ST_RENDER] += t4 - t3;
    s->claims++;
    s->lines += c->nlines;
    s->findings += w->f.n;
    return 0;
}

static double clock_cost(void)
{
    enum { N = 1000000 };
    double t0 = now_s(), x = 0;
    for (int i = 0; i < N; i++)
        x += now_s();
    return (now_s() - t0) / N + (x < 0 ? 1 : 0);
}

int main(int argc, char **argv)
{
    const char *tables = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tables") == 0 && i + 1 < argc)
            tables = argv[++i];
        else
            file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "usage: bench_stages [--tables DIR] FILE.837\n");
        return 2;
    }
    char defdir[4096];
    if (!tables && tbl_default_dir(defdir, sizeof defdir) == 0)
        tables = defdir;
    stages s = {0};
    tbl_version *v;
    int rc = tables ? tbl_open(tables, 0, &v) : -ENOENT;
    if (rc) {
        fprintf(stderr, "bench_stages: tables %s: %s\n", tables ? tables : "(default)",
                claimd_strerror(rc));
        return 1;
    }
    s.v = v;
    edit_settings_default(&s.es);
    scrub_work_init(&s.w);
    ack277 *a;
    if (ack277_create(NULL, &a) != 0 || fp_set_create(1 << 20, &s.fps) != 0)
        return 1;
    s.fmt = *ack277_format(a);
    x12_sink sink = {.ctx = &s, .claim = on_claim};
    x12_walker *w;
    if (x12_walker_create(&sink, &w) != 0)
        return 1;
    double t0 = now_s();
    rc = xfeed_file(file, w, 0, NULL);
    double total = now_s() - t0;
    x12_walker_free(w);
    if (rc) {
        fprintf(stderr, "bench_stages: %s: %s\n", file, claimd_strerror(rc));
        return 1;
    }
    double stages_sum = 0;
    for (int i = 0; i < ST_COUNT; i++)
        stages_sum += s.t[i];
    double clocks = clock_cost() * 5 * (double)s.claims;
    double parse = total - stages_sum - clocks;
    printf("%llu claims, %llu lines, %llu findings, %llu duplicates; %.3f s, %.0f claims/s\n",
           (unsigned long long)s.claims, (unsigned long long)s.lines,
           (unsigned long long)s.findings, (unsigned long long)s.dups, total,
           (double)s.claims / total);
    printf("%-20s %9s %7s %10s\n", "stage", "seconds", "share", "ns/claim");
    printf("%-20s %9.3f %6.1f%% %10.0f\n", "parse (walk)", parse, 100 * parse / total,
           parse * 1e9 / (double)s.claims);
    for (int i = 0; i < ST_COUNT; i++)
        printf("%-20s %9.3f %6.1f%% %10.0f\n", stage_names[i], s.t[i], 100 * s.t[i] / total,
               s.t[i] * 1e9 / (double)s.claims);
    printf("%-20s %9.3f %6.1f%% %10.0f\n", "(clock reads)", clocks, 100 * clocks / total,
           clocks * 1e9 / (double)s.claims);
    fp_set_free(s.fps);
    ack277_free(a);
    scrub_work_release(&s.w);
    tbl_close(v);
    return 0;
}
