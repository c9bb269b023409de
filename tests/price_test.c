/* price_: MPFS pricing. Synthetic claims priced against the default tables
 * version (the starter set) and a version built once per run from the real
 * CY2025 CMS files (PPRRVU2025_Oct, GPCI2025, ZIP5_OCT2025, OPPSCAP_Oct),
 * skipped when the shared data is absent. Every expected amount is worked by
 * hand next to its assertion; docs/pricing.md repeats the worked examples.
 *
 * Constants used below (CY2025 October release):
 *   CF 32.3465; GPCI Alabama (10112/00, ZIP 35203): work 1.000, PE 0.869,
 *   MP 0.575; San Francisco (01112/05, ZIP 94103): 1.088, 1.419, 0.445.
 */
#define _GNU_SOURCE

#include "claimd/error.h"
#include "claimd/price.h"
#include "testutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOS_REAL 20251015u /* the October release is in force 2025-10-01 .. 2025-12-31 */
#define DOS_DEF  20251015u /* starter PPRRVU: all of 2025; its ZIP5 rows (20254): from Oct 1 */

/* ---- tables ------------------------------------------------------------ */

/* The real-2025 version is built once, before the tests run (each test runs
 * in its own process and finds it through PRICE_TEST_REAL), with a one-row
 * ZIP9 file made up here: the real data has no ZIP9 file, and 35958 is a
 * ZIP5 row flagged plus-four (Alabama 10112/00) whose +4 1234 we send to San
 * Francisco (01112/05) to see the ZIP9 path taken. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    const char *data = tu_shared_data();
    const char *bd = getenv("CLAIMD_BUILD_DIR");
    char cdb[512];
    snprintf(cdb, sizeof cdb, "%s/tools/claimdb/claimdb", bd ? bd : ".");
    if (!data || access(cdb, X_OK) != 0)
        return;
    char tmpl[] = "/tmp/price_test.XXXXXX";
    if (!mkdtemp(tmpl))
        return;
    char zip9[300], out[300], cmd[4096];
    snprintf(zip9, sizeof zip9, "%s/zip9.txt", tmpl);
    snprintf(out, sizeof out, "%s/real2025", tmpl);
    FILE *z = fopen(zip9, "w");
    if (!z)
        return;
    /* state, zip, carrier, locality, rural, filler 16-20, flag 21, +4 22-25,
     * filler 26-31, part B 32, filler 33-75, YYYYQ 76-80 */
    fprintf(z, "CA35958%s%s %5s1%s%6sA%43s20254\r\n", "01112", "05", "", "1234", "", "");
    fclose(z);
    const char *m = "cms/mpfs";
    snprintf(cmd, sizeof cmd,
             "'%s' build --out '%s' --name real2025 --pprrvu '%s/%s/PPRRVU2025_Oct.csv' "
             "--gpci '%s/%s/GPCI2025.csv' --zip5 '%s/%s/ZIP5_OCT2025.txt' --zip9 '%s' "
             "--oppscap '%s/%s/OPPSCAP_Oct.csv@20251001:20251231' >'%s/build.log' 2>&1",
             cdb, out, data, m, data, m, data, m, zip9, data, m, tmpl);
    if (system(cmd) == 0) {
        setenv("PRICE_TEST_REAL", out, 1);
    }
    setenv("PRICE_TEST_TMP", tmpl, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    const char *t = getenv("PRICE_TEST_TMP");
    if (t && strncmp(t, "/tmp/price_test.", 16) == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", t);
        (void)system(cmd);
    }
}

static tbl_version *open_default(void)
{
    const char *bd = getenv("CLAIMD_BUILD_DIR");
    char p[512];
    snprintf(p, sizeof p, "%s/tables/default", bd ? bd : ".");
    tbl_version *v = NULL;
    if (tbl_open(p, 0, &v) != 0)
        cr_skip_test("the default tables version is not built");
    return v;
}

static tbl_version *open_real(void)
{
    if (!tu_shared_data())
        cr_skip_test("../shared/data is absent (set CLAIMD_SHARED_DATA): skipped");
    const char *p = getenv("PRICE_TEST_REAL");
    cr_assert_not_null(p, "the real-2025 version did not build (see /tmp/price_test.*/build.log)");
    tbl_version *v = NULL;
    cr_assert_eq(tbl_open(p, 0, &v), 0);
    return v;
}

/* ---- synthetic claims --------------------------------------------------- */

#define TMAX 16

typedef struct tclaim {
    clm_claim c;
    clm_line l[TMAX];
    price_line out[TMAX];
    edit_findings f;
    edit_settings s;
    int64_t sum;
    bool any;
} tclaim;

/* A professional claim from the billing provider at zip, place of service
 * pos, and a member id that must never show in a message. */
static tclaim *claim_new(const char *zip, const char *pos)
{
    tclaim *t = calloc(1, sizeof *t);
    cr_assert_not_null(t);
    t->c.type = CLM_TYPE_837P;
    snprintf(t->c.bill_zip, sizeof t->c.bill_zip, "%s", zip);
    snprintf(t->c.pos, sizeof t->c.pos, "%s", pos);
    snprintf(t->c.member_id, sizeof t->c.member_id, "MEMBERSECRET9");
    snprintf(t->c.claim_id, sizeof t->c.claim_id, "CLAIMSECRET7");
    t->c.sub_dob = 19500101;
    t->c.lines = t->l;
    edit_settings_default(&t->s);
    return t;
}

/* Adds a line: code, modifiers as "26" or "80,50" ("" for none), units in
 * thousandths, charge in cents, date of service. */
static clm_line *line_add(tclaim *t, const char *code, const char *mods, uint32_t units_milli,
                          int64_t charge, uint32_t dos)
{
    cr_assert_lt(t->c.nlines, TMAX);
    clm_line *l = &t->l[t->c.nlines++];
    memset(l, 0, sizeof *l);
    l->number = t->c.nlines;
    l->lx = l->number;
    l->seg_index = 10 + 3 * l->number;
    snprintf(l->qual, sizeof l->qual, "HC");
    snprintf(l->code, sizeof l->code, "%s", code);
    for (const char *m = mods; *m && l->nmods < CLM_MAX_MODS;) {
        l->mods[l->nmods][0] = m[0];
        l->mods[l->nmods][1] = m[1];
        l->nmods++;
        m += m[2] == ',' ? 3 : 2;
    }
    snprintf(l->unit_type, sizeof l->unit_type, "UN");
    l->units_milli = units_milli;
    l->charge = charge;
    l->from = l->to = dos;
    return l;
}

static void price(tbl_version *v, tclaim *t)
{
    cr_assert_eq(price_claim(v, &t->s, &t->c, &t->f, t->out, &t->sum, &t->any), 0);
    for (uint32_t i = 0; i < t->f.n; i++) {
        cr_assert_null(strstr(t->f.f[i].message, "SECRET"), "PHI in: %s", t->f.f[i].message);
        cr_assert_null(strstr(t->f.f[i].message, "1950"), "PHI in: %s", t->f.f[i].message);
    }
}

/* The message of the first finding of edit id on line, or NULL. */
static const char *finding(const tclaim *t, edit_id id, uint32_t line)
{
    for (uint32_t i = 0; i < t->f.n; i++)
        if (t->f.f[i].edit == id && t->f.f[i].line == line)
            return t->f.f[i].message;
    return NULL;
}

static int count_of(const tclaim *t, edit_id id)
{
    int n = 0;
    for (uint32_t i = 0; i < t->f.n; i++)
        n += t->f.f[i].edit == id;
    return n;
}

#define ALLOWED(t, i, cents)                                                                       \
    do {                                                                                           \
        cr_assert((t)->out[i].priced, "line %d not priced: %s", (i) + 1,                           \
                  finding((t), EDIT_PRICE_UNAVAILABLE, (uint32_t)(i) + 1)                          \
                      ? finding((t), EDIT_PRICE_UNAVAILABLE, (uint32_t)(i) + 1)                    \
                      : "");                                                                       \
        cr_assert_eq((t)->out[i].allowed, (cents), "line %d: allowed %lld, want %lld", (i) + 1,    \
                     (long long)(t)->out[i].allowed, (long long)(cents));                          \
    } while (0)

#define UNPRICED(t, i, needle)                                                                     \
    do {                                                                                           \
        cr_assert_not((t)->out[i].priced, "line %d priced at %lld", (i) + 1,                       \
                      (long long)(t)->out[i].allowed);                                             \
        const char *msg_ = finding((t), EDIT_PRICE_UNAVAILABLE, (uint32_t)(i) + 1);                \
        cr_assert_not_null(msg_, "line %d: no PRICE_UNAVAILABLE", (i) + 1);                        \
        cr_assert_not_null(strstr(msg_, (needle)), "line %d: %s", (i) + 1, msg_);                  \
    } while (0)

/* ---- price_round_div, price_pos_is_facility ----------------------------- */

Test(price, round_div_half_away_from_zero)
{
    cr_assert_eq(price_round_div(5, 1), 1);    /* 0.5 -> 1 */
    cr_assert_eq(price_round_div(-5, 1), -1);  /* -0.5 -> -1 */
    cr_assert_eq(price_round_div(15, 1), 2);   /* 1.5 -> 2 */
    cr_assert_eq(price_round_div(-15, 1), -2); /* -1.5 -> -2 */
    cr_assert_eq(price_round_div(25, 1), 3);   /* 2.5 -> 3 (not to even) */
    cr_assert_eq(price_round_div(14, 1), 1);   /* 1.4 -> 1 */
    cr_assert_eq(price_round_div(-14, 1), -1); /* -1.4 -> -1 */
    cr_assert_eq(price_round_div(4999, 4), 0); /* 0.4999 -> 0 */
    cr_assert_eq(price_round_div(5000, 4), 1); /* 0.5000 -> 1 */
    cr_assert_eq(price_round_div(-5000, 4), -1);
    cr_assert_eq(price_round_div(0, 10), 0);
    cr_assert_eq(price_round_div(123, 0), 123); /* no division */
    /* 99213 in Alabama, non-facility: 2.53065 x 32.3465 = 81.857670225 */
    cr_assert_eq(price_round_div((__int128)253065000 * 323465, 10), 8186);
    /* beyond int64 in the numerator: (10^20 + 5*10^9) / 10^10 = 10^10 + 0.5 -> up */
    __int128 big = (__int128)10000000000 * 10000000000 + 5000000000;
    cr_assert_eq(price_round_div(big, 10), 10000000001);
    cr_assert_eq(price_round_div(-big, 10), -10000000001);
}

Test(price, pos_facility)
{
    const char *fac[] = {"19", "21", "22", "23", "24", "26", "31", "34",
                         "41", "42", "51", "52", "53", "56", "61"};
    for (size_t i = 0; i < sizeof fac / sizeof fac[0]; i++)
        cr_assert(price_pos_is_facility(fac[i]), "%s", fac[i]);
    const char *nonfac[] = {"11", "12", "20", "49", "81", "02", "10", "", "2", "219"};
    for (size_t i = 0; i < sizeof nonfac / sizeof nonfac[0]; i++)
        cr_assert_not(price_pos_is_facility(nonfac[i]), "%s", nonfac[i]);
    cr_assert_not(price_pos_is_facility(NULL));
}

Test(price, bad_arguments)
{
    tclaim *t = claim_new("35203", "11");
    line_add(t, "99213", "", 1000, 20000, DOS_DEF);
    tbl_version *v = open_default();
    cr_assert_eq(price_claim(NULL, &t->s, &t->c, &t->f, t->out, &t->sum, &t->any), -EINVAL);
    cr_assert_eq(price_claim(v, NULL, &t->c, &t->f, t->out, &t->sum, &t->any), -EINVAL);
    cr_assert_eq(price_claim(v, &t->s, NULL, &t->f, t->out, &t->sum, &t->any), -EINVAL);
    cr_assert_eq(price_claim(v, &t->s, &t->c, NULL, t->out, &t->sum, &t->any), -EINVAL);
    cr_assert_eq(price_claim(v, &t->s, &t->c, &t->f, NULL, &t->sum, &t->any), -EINVAL);
    cr_assert_eq(price_claim(v, &t->s, &t->c, &t->f, t->out, NULL, &t->any), -EINVAL);
    cr_assert_eq(price_claim(v, &t->s, &t->c, &t->f, t->out, &t->sum, NULL), -EINVAL);
    /* no lines: nothing priced, not an error */
    t->c.nlines = 0;
    cr_assert_eq(price_claim(v, &t->s, &t->c, &t->f, NULL, &t->sum, &t->any), 0);
    cr_assert_eq(t->sum, 0);
    cr_assert_not(t->any);
    tbl_close(v);
    free(t);
}

/* ---- the default (starter) version: quick cases ------------------------- */

Test(price, default_99213_units_and_charge_cap)
{
    tbl_version *v = open_default();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "99213", "", 1000, 20000, DOS_DEF);
    line_add(t, "99213", "", 2000, 50000, DOS_DEF);
    line_add(t, "99213", "", 1500, 50000, DOS_DEF);
    line_add(t, "99213", "", 333, 50000, DOS_DEF);
    line_add(t, "99213", "", 1000, 5000, DOS_DEF);
    price(v, t);
    /* [1.30 x 1.000 + 1.35 x 0.869 + 0.10 x 0.575] x 32.3465
     *   = 2.53065 x 32.3465 = 81.857670225 -> 81.86 per unit */
    ALLOWED(t, 0, 8186);
    cr_assert_eq(t->out[0].fee_unit, 8186);
    cr_assert_eq(t->out[0].adj_pct, 1000);
    ALLOWED(t, 1, 16372); /* 81.86 x 2 = 163.72 */
    ALLOWED(t, 2, 12279); /* 81.86 x 1.5 = 122.79 */
    ALLOWED(t, 3, 2726);  /* 81.86 x 0.333 = 27.25938 -> 27.26 */
    ALLOWED(t, 4, 5000);  /* 81.86 > the charge 50.00: the lesser */
    /* 81.86 + 163.72 + 122.79 + 27.26 + 50.00 = 445.63 */
    cr_assert_eq(t->sum, 44563);
    cr_assert(t->any);
    cr_assert_eq(t->f.n, 0);
    tbl_close(v);
    free(t);
}

Test(price, default_locality_failures)
{
    tbl_version *v = open_default();
    const char *zips[] = {"", "3520", "35203X", "00000"};
    const char *why[] = {"ZIP is missing", "not 5 or 9 digits", "not 5 or 9 digits",
                         "not in the ZIP5 table"};
    for (size_t k = 0; k < 4; k++) {
        tclaim *t = claim_new(zips[k], "11");
        line_add(t, "99213", "", 1000, 20000, DOS_DEF);
        line_add(t, "99214", "", 1000, 20000, DOS_DEF);
        price(v, t);
        UNPRICED(t, 0, why[k]);
        UNPRICED(t, 1, "billing provider ZIP");
        cr_assert_eq(t->sum, 0);
        cr_assert_not(t->any);
        cr_assert_eq(t->f.f[0].severity, EDIT_SEV_WARNING, "PRICE_UNAVAILABLE is a warning");
        free(t);
    }
    /* a service facility ZIP that is not in the table: no fallback to the
     * billing provider's (that could be another locality's price) */
    tclaim *t = claim_new("35203", "11");
    snprintf(t->c.facility_zip, sizeof t->c.facility_zip, "00000");
    line_add(t, "99213", "", 1000, 20000, DOS_DEF);
    price(v, t);
    UNPRICED(t, 0, "service facility ZIP is not in the ZIP5 table");
    free(t);
    /* a date outside every period of the rows */
    t = claim_new("35203", "11");
    line_add(t, "99213", "", 1000, 20000, 20190101);
    line_add(t, "99213", "", 1000, 20000, 0);
    price(v, t);
    UNPRICED(t, 0, "no RVU row in force");
    UNPRICED(t, 1, "no date of service");
    free(t);
    tbl_close(v);
}

Test(price, default_line_errors_and_claim_errors)
{
    tbl_version *v = open_default();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "99213", "", 1000, 20000, DOS_DEF);
    line_add(t, "99214", "", 1000, 20000, DOS_DEF);
    line_add(t, "ZZZZZ", "", 1000, 20000, DOS_DEF);
    /* a claim-level error (line 0) and a line-level error on line 2 */
    edit_add(&t->f, &t->s, EDIT_NPI_CHECK_DIGIT, 0, 3, "billing NPI check digit");
    edit_add(&t->f, &t->s, EDIT_DX_POINTER, 2, 16, "pointer 5 of 1");
    price(v, t);
    ALLOWED(t, 0, 8186); /* priced though the claim is rejected */
    ALLOWED(t, 1, 0);    /* a line-level error: 0.00 */
    cr_assert_eq(t->out[1].fee_unit, 0);
    UNPRICED(t, 2, "no RVU row for the code");
    cr_assert_eq(t->sum, 8186);
    cr_assert(t->any);
    /* an 837I claim: nothing priced, every line says why */
    tclaim *i = claim_new("35203", "13");
    i->c.type = CLM_TYPE_837I;
    line_add(i, "99213", "", 1000, 20000, DOS_DEF);
    line_add(i, "99214", "", 1000, 20000, DOS_DEF);
    price(v, i);
    UNPRICED(i, 0, "institutional (837I)");
    UNPRICED(i, 1, "institutional (837I)");
    cr_assert_not(i->any);
    /* not a HCPCS qualifier */
    tclaim *q = claim_new("35203", "11");
    snprintf(line_add(q, "99213", "", 1000, 20000, DOS_DEF)->qual, 3, "ER");
    price(v, q);
    UNPRICED(q, 0, "qualifier ER");
    /* PRICE_UNAVAILABLE turned off: still null, no finding */
    tclaim *o = claim_new("", "11");
    cr_assert_eq(edit_settings_apply(&o->s, "PRICE_UNAVAILABLE=off"), 0);
    line_add(o, "99213", "", 1000, 20000, DOS_DEF);
    price(v, o);
    cr_assert_not(o->out[0].priced);
    cr_assert_eq(o->f.n, 0);
    free(t);
    free(i);
    free(q);
    free(o);
    tbl_close(v);
}

Test(price, default_status_not_payable)
{
    tbl_version *v = open_default();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "36415", "", 1000, 2000, DOS_DEF); /* status X: a lab fee schedule code */
    line_add(t, "36415", "", 1000, 2000, DOS_DEF);
    edit_add(&t->f, &t->s, EDIT_PROC_NOT_PAYABLE, 2, 16, "36415 status X");
    price(v, t);
    UNPRICED(t, 0, "status is not payable");
    ALLOWED(t, 1, 0); /* the edit engine's PROC_NOT_PAYABLE error: 0.00 */
    free(t);
    tbl_close(v);
}

/* ---- the real 2025 files ------------------------------------------------ */

Test(price, real_worked_check_99213_alabama, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "99213", "", 1000, 20000, DOS_REAL);
    line_add(t, "99213", "", 1000, 20000, DOS_REAL);
    snprintf(t->l[1].pos, 3, "22"); /* the line's POS wins over the claim's */
    line_add(t, "99214", "", 1000, 20000, DOS_REAL);
    price(v, t);
    /* (1.30 x 1.000 + 1.35 x 0.869 + 0.10 x 0.575) x 32.3465
     *   = (1.30 + 1.17315 + 0.0575) x 32.3465 = 2.53065 x 32.3465 = 81.857670225 -> 81.86 */
    ALLOWED(t, 0, 8186);
    /* facility: (1.30 + 0.57 x 0.869 + 0.0575) = 1.85283 x 32.3465 = 59.932565595 -> 59.93 */
    ALLOWED(t, 1, 5993);
    /* 99214: (1.92 + 1.80 x 0.869 + 0.15 x 0.575) = 3.57045 x 32.3465 = 115.491560925 -> 115.49 */
    ALLOWED(t, 2, 11549);
    cr_assert_eq(t->sum, 8186 + 5993 + 11549);
    free(t);
    tbl_close(v);
}

Test(price, real_service_facility_zip_and_zip9, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    snprintf(t->c.facility_zip, sizeof t->c.facility_zip, "94103");
    line_add(t, "99213", "", 1000, 20000, DOS_REAL);
    price(v, t);
    /* San Francisco: 1.30 x 1.088 + 1.35 x 1.419 + 0.10 x 0.445
     *   = 1.4144 + 1.91565 + 0.0445 = 3.37455 x 32.3465 = 109.154881575 -> 109.15 */
    ALLOWED(t, 0, 10915);
    free(t);
    /* 35958 is flagged plus-four; its +4 1234 is in the test's ZIP9 row (San
     * Francisco), any other +4 and the bare ZIP5 take the ZIP5 row (Alabama) */
    const char *zips[] = {"359581234", "359585678", "35958"};
    const int64_t want[] = {10915, 8186, 8186};
    for (int k = 0; k < 3; k++) {
        t = claim_new(zips[k], "11");
        line_add(t, "99213", "", 1000, 20000, DOS_REAL);
        price(v, t);
        ALLOWED(t, 0, want[k]);
        free(t);
    }
    tbl_close(v);
}

Test(price, real_pctc_rows, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "71046", "", 1000, 20000, DOS_REAL);
    line_add(t, "71046", "26", 1000, 20000, DOS_REAL);
    line_add(t, "71046", "TC", 1000, 20000, DOS_REAL);
    line_add(t, "71046", "TC", 1000, 20000, DOS_REAL);
    snprintf(t->l[3].pos, 3, "21");
    line_add(t, "71046", "26", 1000, 20000, DOS_REAL);
    snprintf(t->l[4].pos, 3, "21");
    price(v, t);
    /* global: 0.22 + 0.77 x 0.869 + 0.02 x 0.575 = 0.22 + 0.66913 + 0.0115 = 0.90063
     *   x 32.3465 = 29.132228295 -> 29.13 */
    ALLOWED(t, 0, 2913);
    /* 26: 0.22 + 0.08 x 0.869 + 0.01 x 0.575 = 0.29527 x 32.3465 = 9.550951055 -> 9.55 */
    ALLOWED(t, 1, 955);
    /* TC: 0 + 0.69 x 0.869 + 0.01 x 0.575 = 0.60536 x 32.3465 = 19.58127724 -> 19.58 */
    ALLOWED(t, 2, 1958);
    /* TC in a hospital: the facility PE of the TC row is NA */
    UNPRICED(t, 3, "71046-TC: not priced: no facility PE RVU (NA)");
    /* 26 in a hospital: facility PE 0.08, the same as non-facility: 9.55 */
    ALLOWED(t, 4, 955);
    free(t);
    tbl_close(v);
}

Test(price, real_multiple_procedures, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "17000", "", 1000, 50000, DOS_REAL);
    line_add(t, "11042", "", 1000, 50000, DOS_REAL);
    line_add(t, "12001", "", 1000, 50000, DOS_REAL);
    line_add(t, "99213", "", 1000, 50000, DOS_REAL);     /* MULT PROC 0: not ranked */
    line_add(t, "12001", "", 1000, 50000, DOS_REAL + 1); /* another date: its own first */
    price(v, t);
    /* fees (non-facility, Alabama):
     *   17000: 0.61 + 1.39 x 0.869 + 0.05 x 0.575 = 1.84666 x 32.3465 = 59.73298769 -> 59.73
     *   11042: 1.01 + 2.73 x 0.869 + 0.13 x 0.575 = 3.45712 x 32.3465 = 111.82573208 -> 111.83
     *   12001: 0.84 + 1.82 x 0.869 + 0.16 x 0.575 = 2.51358 x 32.3465 = 81.30551547 -> 81.31
     * ranked by fee: 11042 100 %, 12001 50 %, 17000 50 % */
    ALLOWED(t, 1, 11183);
    cr_assert_eq(t->out[1].mp_rank, 1);
    ALLOWED(t, 2, 4066); /* 81.31 x 50 % = 40.655 -> 40.66 */
    cr_assert_eq(t->out[2].mp_rank, 2);
    cr_assert_eq(t->out[2].adj_pct, 500);
    ALLOWED(t, 0, 2987); /* 59.73 x 50 % = 29.865 -> 29.87 */
    cr_assert_eq(t->out[0].mp_rank, 3);
    cr_assert_eq(t->out[0].fee_unit, 5973);
    ALLOWED(t, 3, 8186);
    cr_assert_eq(t->out[3].mp_rank, 0);
    ALLOWED(t, 4, 8131);
    cr_assert_eq(t->out[4].mp_rank, 0, "alone on its date");
    free(t);

    /* six on one date: the 6th is priced by report */
    t = claim_new("35203", "11");
    line_add(t, "69210", "", 1000, 50000, DOS_REAL);
    line_add(t, "11042", "", 1000, 50000, DOS_REAL);
    line_add(t, "10060", "", 1000, 50000, DOS_REAL);
    line_add(t, "12001", "", 1000, 50000, DOS_REAL);
    line_add(t, "17000", "", 1000, 50000, DOS_REAL);
    line_add(t, "20610", "", 1000, 50000, DOS_REAL);
    price(v, t);
    /*   10060: 1.22 + 2.49 x 0.869 + 0.13 x 0.575 = 3.45856 x 32.3465 = 111.87231104 -> 111.87
     *   20610: 0.79 + 1.04 x 0.869 + 0.13 x 0.575 = 1.76851 x 32.3465 = 57.205108715 -> 57.21
     *   69210: 0.61 + 0.76 x 0.869 + 0.07 x 0.575 = 1.31069 x 32.3465 = 42.396234085 -> 42.40
     * ranks: 10060, 11042, 12001, 17000, 20610, 69210 */
    ALLOWED(t, 2, 11187); /* 1st: 111.87 */
    ALLOWED(t, 1, 5592);  /* 2nd: 111.83 / 2 = 55.915 -> 55.92 */
    ALLOWED(t, 3, 4066);  /* 3rd: 81.31 / 2 = 40.655 -> 40.66 */
    ALLOWED(t, 4, 2987);  /* 4th: 59.73 / 2 = 29.865 -> 29.87 */
    ALLOWED(t, 5, 2861);  /* 5th: 57.21 / 2 = 28.605 -> 28.61 */
    UNPRICED(t, 0, "6th and later");
    cr_assert_eq(t->sum, 11187 + 5592 + 4066 + 2987 + 2861);
    free(t);

    /* ties by line order; units are procedures too */
    t = claim_new("35203", "11");
    line_add(t, "17000", "", 1000, 50000, DOS_REAL);
    line_add(t, "17000", "", 1000, 50000, DOS_REAL);
    price(v, t);
    ALLOWED(t, 0, 5973); /* the first line of equal fees: 100 % */
    ALLOWED(t, 1, 2987); /* 59.73 / 2 = 29.865 -> 29.87 */
    free(t);
    t = claim_new("35203", "11");
    line_add(t, "17000", "", 2000, 50000, DOS_REAL);
    price(v, t);
    /* 59.73 x 2 = 119.46; 100 % + 50 %: 119.46 x 3/4 = 89.595 -> 89.60 */
    ALLOWED(t, 0, 8960);
    cr_assert_eq(t->out[0].adj_pct, 750);
    free(t);
    tbl_close(v);
}

Test(price, real_families_not_built, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "45378", "", 1000, 90000, DOS_REAL); /* MULT PROC 2 */
    line_add(t, "45380", "", 1000, 90000, DOS_REAL); /* MULT PROC 3, alone in its family */
    price(v, t);
    /* 45380: 3.56 + 8.79 x 0.869 + 0.47 x 0.575 = 11.46876 x 32.3465 = 370.97424534 -> 370.97
     * 45378: 3.26 + 6.44 x 0.869 + 0.43 x 0.575 = 9.10361 x 32.3465 = 294.469920865 -> 294.47
     * a lone endoscopy ranks with the others: 45380 100 %, 45378 50 % = 147.235 -> 147.24 */
    ALLOWED(t, 1, 37097);
    ALLOWED(t, 0, 14724);
    free(t);

    t = claim_new("35203", "11");
    line_add(t, "45380", "", 1000, 90000, DOS_REAL); /* MULT PROC 3 */
    line_add(t, "45385", "", 1000, 90000, DOS_REAL); /* MULT PROC 3 */
    line_add(t, "11042", "", 1000, 90000, DOS_REAL); /* MULT PROC 2: alone in the standard rule */
    price(v, t);
    UNPRICED(t, 0, "family rules are not built");
    UNPRICED(t, 1, "MULT PROC 3");
    ALLOWED(t, 2, 11183);
    free(t);

    t = claim_new("35203", "11");
    line_add(t, "70450", "26", 1000, 90000, DOS_REAL); /* MULT PROC 4 */
    line_add(t, "70496", "26", 1000, 90000, DOS_REAL); /* MULT PROC 4 */
    line_add(t, "70450", "26", 1000, 90000, DOS_REAL + 1);
    line_add(t, "11042", "", 1000, 90000, DOS_REAL + 1);
    price(v, t);
    UNPRICED(t, 0, "MULT PROC 4");
    UNPRICED(t, 1, "MULT PROC 4");
    /* alone in its family, imaging is not ranked with surgery: both 100 %
     * 70450-26: 0.85 + 0.31 x 0.869 + 0.04 x 0.575 = 1.14239 x 32.3465 = 36.952318135 -> 36.95 */
    ALLOWED(t, 2, 3695);
    ALLOWED(t, 3, 11183);
    free(t);
    tbl_close(v);
}

Test(price, real_bilateral, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "20610", "50", 1000, 50000, DOS_REAL);
    line_add(t, "69210", "50", 1000, 50000, DOS_REAL + 1);
    line_add(t, "70030", "50", 1000, 50000, DOS_REAL + 2);
    line_add(t, "99213", "50", 1000, 50000, DOS_REAL + 3);
    price(v, t);
    /* BILAT 1: 57.21 x 150 % = 85.815 -> 85.82 */
    ALLOWED(t, 0, 8582);
    cr_assert_eq(t->out[0].adj_pct, 1500);
    /* BILAT 2 (already bilateral): 42.40 x 100 % */
    ALLOWED(t, 1, 4240);
    /* BILAT 3: 70030: 0.18 + 0.79 x 0.869 + 0.02 x 0.575 = 0.87801 x 32.3465
     *   = 28.400550465 -> 28.40 x 200 % = 56.80 */
    ALLOWED(t, 2, 5680);
    /* BILAT 0: 100 % of one side, and a MOD_BILATERAL warning */
    ALLOWED(t, 3, 8186);
    const char *m = finding(t, EDIT_MOD_BILATERAL, 4);
    cr_assert_not_null(m);
    cr_assert_not_null(strstr(m, "99213-50"), "%s", m);
    for (uint32_t i = 0; i < t->f.n; i++)
        cr_assert_eq(t->f.f[i].severity, EDIT_SEV_WARNING, "the pricer never rejects");
    free(t);

    /* bilateral, then ranked by the adjusted amount: 11042 (111.83) ahead of
     * 20610-50 (85.82), which gets 85.82 x 50 % = 42.91 */
    t = claim_new("35203", "11");
    line_add(t, "20610", "50", 1000, 50000, DOS_REAL);
    line_add(t, "11042", "", 1000, 50000, DOS_REAL);
    price(v, t);
    ALLOWED(t, 1, 11183);
    ALLOWED(t, 0, 4291);
    cr_assert_eq(t->out[0].adj_pct, 750); /* 150 % x 50 % */
    free(t);
    tbl_close(v);
}

Test(price, real_assistant_and_co_surgeon, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "21");
    line_add(t, "27447", "", 1000, 900000, DOS_REAL);
    line_add(t, "27447", "80", 1000, 900000, DOS_REAL + 1);
    line_add(t, "27447", "AS", 1000, 900000, DOS_REAL + 2);
    line_add(t, "27447", "62", 1000, 900000, DOS_REAL + 3);
    line_add(t, "11042", "80", 1000, 900000, DOS_REAL + 4);
    line_add(t, "37185", "62", 1000, 900000, DOS_REAL + 5);
    line_add(t, "27447", "", 1000, 900000, DOS_REAL + 6);
    snprintf(t->l[6].pos, 3, "11");
    price(v, t);
    /* 27447 in a hospital (POS 21): 19.60 + 15.30 x 0.869 + 3.98 x 0.575
     *   = 19.60 + 13.2957 + 2.2885 = 35.1842 x 32.3465 = 1138.0857253 -> 1138.09 */
    ALLOWED(t, 0, 113809);
    /* assistant (80, ASST SURG 2): 1138.09 x 16 % = 182.0944 -> 182.09 */
    ALLOWED(t, 1, 18209);
    cr_assert_eq(t->out[1].adj_pct, 160);
    /* non-physician assistant (AS): 1138.09 x 13.6 % = 154.78024 -> 154.78 */
    ALLOWED(t, 2, 15478);
    cr_assert_eq(t->out[2].adj_pct, 136);
    /* co-surgeon on CO-SURG 1: documentation needed */
    UNPRICED(t, 3, "CO-SURG 1");
    /* assistant on ASST SURG 1: not paid */
    UNPRICED(t, 4, "ASST SURG 1");
    /* 37185 CO-SURG 2 in a hospital: 3.28 + 0.88 x 0.869 + 0.60 x 0.575 = 4.38972
     *   x 32.3465 = 141.99207798 -> 141.99 x 62.5 % = 88.74375 -> 88.74 */
    ALLOWED(t, 5, 8874);
    cr_assert_eq(t->out[5].adj_pct, 625);
    /* 27447 in an office: its non-facility PE is NA */
    UNPRICED(t, 6, "no non-facility PE RVU (NA)");
    free(t);
    tbl_close(v);
}

Test(price, real_opps_cap_and_carrier_priced, .timeout = 120)
{
    tbl_version *v = open_real();
    tclaim *t = claim_new("35203", "11");
    line_add(t, "70496", "", 1000, 90000, DOS_REAL);
    line_add(t, "70496", "TC", 1000, 90000, DOS_REAL + 1);
    line_add(t, "70496", "26", 1000, 90000, DOS_REAL + 2);
    line_add(t, "0633T", "", 1000, 90000, DOS_REAL + 3);
    price(v, t);
    /* global: 1.75 + 6.56 x 0.869 + 0.11 x 0.575 = 7.51389 x 32.3465 = 243.048... -> 243.05,
     * above the OPPS cap for 10112/00 of 230.40: 230.40 */
    ALLOWED(t, 0, 23040);
    cr_assert_eq(t->out[0].fee_unit, 23040);
    /* TC: 0 + 5.93 x 0.869 + 0.03 x 0.575 = 5.17042 x 32.3465 = 167.24499053 -> 167.24,
     * capped at 154.60 */
    ALLOWED(t, 1, 15460);
    /* 26: 1.75 + 0.63 x 0.869 + 0.08 x 0.575 = 2.34347 x 32.3465 = 75.803052355 -> 75.80;
     * no cap row for 26 (and 75.80 + 154.60 = 230.40, the global cap) */
    ALLOWED(t, 2, 7580);
    /* carrier-priced */
    UNPRICED(t, 3, "0633T: not priced: carrier-priced (status C)");
    cr_assert_eq(count_of(t, EDIT_PRICE_UNAVAILABLE), 1);
    free(t);
    tbl_close(v);
}
