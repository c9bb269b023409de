/* bench_price: ns per typical claim for price_claim().
 *
 *   bench_price [TABLES_DIR] [ITERATIONS]
 *
 * TABLES_DIR defaults to the embedded default version (tbl_default_dir()).
 * A typical professional claim: an office visit, a chest X-ray read (26),
 * two minor procedures ranked as multiple procedures, and a lab code that is
 * not payable under the MPFS (a PRICE_UNAVAILABLE warning), all on one date.
 * The findings are cleared between runs, as edit_claim() would.
 */
#define _GNU_SOURCE

#include "claimd/edit.h"
#include "claimd/price.h"
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

static void line_set(clm_line *l, uint32_t n, const char *code, const char *mod, int64_t charge)
{
    memset(l, 0, sizeof *l);
    l->number = n;
    l->seg_index = 20 + 3 * n;
    memcpy(l->qual, "HC", 3);
    snprintf(l->code, sizeof l->code, "%s", code);
    if (mod[0]) {
        memcpy(l->mods[0], mod, 3);
        l->nmods = 1;
    }
    l->units_milli = 1000;
    l->charge = charge;
    l->from = l->to = 20251015;
}

int main(int argc, char **argv)
{
    char dir[4096];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else if (tbl_default_dir(dir, sizeof dir) != 0) {
        fprintf(stderr, "bench_price: no default tables version; give a TABLES_DIR\n");
        return 1;
    }
    long iters = argc > 2 ? atol(argv[2]) : 2000000;
    tbl_version *v;
    int rc = tbl_open(dir, 0, &v);
    if (rc != 0) {
        fprintf(stderr, "bench_price: cannot open %s (%d)\n", dir, rc);
        return 1;
    }
    clm_line lines[5];
    line_set(&lines[0], 1, "99213", "", 15000);
    line_set(&lines[1], 2, "71046", "26", 5000);
    line_set(&lines[2], 3, "11042", "", 30000);
    line_set(&lines[3], 4, "17000", "", 20000);
    line_set(&lines[4], 5, "36415", "", 1000);
    clm_claim c = {.type = CLM_TYPE_837P, .lines = lines, .nlines = 5};
    memcpy(c.bill_zip, "35203", 6);
    memcpy(c.pos, "11", 3);
    edit_settings s;
    edit_settings_default(&s);
    static edit_findings f;
    price_line out[5];
    int64_t sum = 0, check = 0;
    bool any;
    double t0 = now_s();
    for (long i = 0; i < iters; i++) {
        f.n = 0;
        price_claim(v, &s, &c, &f, out, &sum, &any);
        check += sum;
    }
    double dt = now_s() - t0;
    printf("bench_price: %ld claims of %u lines in %.3f s: %.1f ns/claim, %.1f ns/line "
           "(allowed %lld.%02lld, %u findings, checksum %lld)\n",
           iters, c.nlines, dt, dt * 1e9 / (double)iters, dt * 1e9 / (double)iters / c.nlines,
           (long long)(sum / 100), (long long)(sum % 100), f.n, (long long)check);
    tbl_close(v);
    return 0;
}
