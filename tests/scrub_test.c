/* claimd scrub end to end: the built binary on the sample batch, twice (byte
 * for byte the same), on a file whose first transaction the 999 rejects
 * (taken back), and on every real 5010 837P sample of ../shared/data/x12
 * against a tables version built from ../shared/data. Outputs are parsed
 * back: one JSON line per claim of the accepted transactions (counted here
 * with the walker), statuses consistent with findings, and the 277CA and 999
 * re-split by their own delimiters with every count checked. */
#define _POSIX_C_SOURCE 200809L

#include "claimd/x12.h"
#include "tu_json.h"
#include "tu_proc.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s++)
        n++;
    return n;
}

/* ---- running the binaries ----------------------------------------------- */

typedef struct run {
    int status;
    char *err;
    char dir[64];
    char outdir[96];
} run;

static void run_mkdir(run *r)
{
    memset(r, 0, sizeof *r);
    strcpy(r->dir, "/tmp/claimd-scrub-test-XXXXXX");
    cr_assert_not_null(mkdtemp(r->dir));
    snprintf(r->outdir, sizeof r->outdir, "%s/out", r->dir);
}

/* Runs argv (NULL-terminated; "@OUT" becomes the out folder) with stderr to
 * a file that is read back. */
static void run_exec(run *r, const char *const *args)
{
    char *fe = tu_path(r->dir, "stderr.txt");
    const char *argv[64];
    int n = 0;
    for (; args[n] && n < 63; n++)
        argv[n] = strcmp(args[n], "@OUT") == 0 ? r->outdir : args[n];
    argv[n] = NULL;
    r->status = tu_exec(argv, NULL, fe);
    free(r->err);
    r->err = tu_slurp(fe, NULL);
    free(fe);
}

static char *out_file(const run *r, const char *name, size_t *len, mode_t *mode)
{
    return tu_read_file(r->outdir, name, len, mode);
}

static void run_free(run *r)
{
    tu_rm_rf(r->dir);
    free(r->err);
}

/* ---- counting with the walker (what the outputs must hold) ------------- */

typedef struct expect {
    uint64_t claims_acc; /* claims of transactions the 999 does not reject */
    uint64_t txn_acc, txn_rej;
    uint64_t txn_claims;
} expect;

static int ex_txn_begin(void *ctx, const x12_st *st)
{
    (void)st;
    ((expect *)ctx)->txn_claims = 0;
    return 0;
}

static int ex_claim(void *ctx, const clm_claim *c)
{
    (void)c;
    ((expect *)ctx)->txn_claims++;
    return 0;
}

static int ex_txn_end(void *ctx, const x12_txn_result *r)
{
    expect *e = ctx;
    if (r->verdict == 'R') {
        e->txn_rej++;
    } else {
        e->txn_acc++;
        e->claims_acc += e->txn_claims;
    }
    return 0;
}

static void expect_of(const char *path, expect *e)
{
    memset(e, 0, sizeof *e);
    size_t len;
    char *text = tu_slurp(path, &len);
    cr_assert_not_null(text, "cannot read %s", path);
    x12_sink sk = {.ctx = e, .txn_begin = ex_txn_begin, .claim = ex_claim, .txn_end = ex_txn_end};
    x12_walker *w;
    cr_assert_eq(x12_walker_create(&sk, &w), 0);
    size_t used = 0;
    int rc = x12_walker_feed(w, text, len, &used);
    if (rc == 0)
        rc = x12_walker_finish(w, text + used, len - used);
    x12_walker_free(w);
    free(text);
}

/* ---- checking the outputs ---------------------------------------------- */

static const char *js_get(const char *line, const char *key, char *v, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *s = strstr(line, pat);
    if (!s)
        return NULL;
    s += strlen(pat);
    size_t n = 0;
    if (*s == '"')
        for (s++; s[n] && s[n] != '"' && n < cap - 1; n++)
            ;
    else
        while (s[n] && s[n] != ',' && s[n] != '}' && s[n] != ']' && n < cap - 1)
            n++;
    memcpy(v, s, n);
    v[n] = 0;
    return v;
}

/* Checks every results line; returns the number of lines, and the accepted
 * and rejected counts. */
static uint64_t check_results(const char *name, char *text, uint64_t *acc, uint64_t *rej)
{
    uint64_t n = 0;
    *acc = *rej = 0;
    char v[256];
    for (char *s = text; *s;) {
        char *nl = strchr(s, '\n');
        cr_assert_not_null(nl, "%s: results do not end with a newline", name);
        *nl = 0;
        cr_assert(tu_js_line_ok(s), "%s: not one JSON object: %.300s", name, s);
        cr_assert(strncmp(s, "{\"claim_id\":", 12) == 0, "%s", s);
        cr_assert_not_null(strstr(s, ",\"file_offset\":"));
        cr_assert_not_null(strstr(s, ",\"findings\":["));
        cr_assert_not_null(strstr(s, "],\"lines\":["));
        js_get(s, "status", v, sizeof v);
        bool has_error = strstr(s, "\"severity\":\"error\"") != NULL;
        if (strcmp(v, "accepted") == 0) {
            cr_assert(!has_error, "%s: accepted with an error finding: %.300s", name, s);
            (*acc)++;
        } else {
            cr_assert_str_eq(v, "rejected", "%s", s);
            cr_assert(has_error, "%s: rejected without an error finding: %.300s", name, s);
            (*rej)++;
        }
        /* amounts with two decimals */
        js_get(s, "charge", v, sizeof v);
        char *dot = strchr(v, '.');
        cr_assert(dot && strlen(dot) == 3, "%s: charge %s", name, v);
        n++;
        s = nl + 1;
    }
    return n;
}

typedef struct x12doc {
    char elem, seg;
    char **segs; /* each segment without its terminator, CR/LF trimmed */
    int n;
} x12doc;

static void x12_split(char *text, x12doc *d)
{
    memset(d, 0, sizeof *d);
    cr_assert(strncmp(text, "ISA", 3) == 0, "does not start with ISA");
    d->elem = text[3];
    d->seg = text[105];
    d->segs = calloc(strlen(text) / 3 + 2, sizeof *d->segs);
    for (char *s = text; *s;) {
        while (*s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        char *end = strchr(s, d->seg);
        cr_assert_not_null(end, "a segment without a terminator");
        *end = 0;
        d->segs[d->n++] = s;
        s = end + 1;
    }
}

/* Element i of segment s (0 = id), copied. */
static const char *el(const x12doc *d, const char *s, int i, char *buf, size_t cap)
{
    for (int k = 0; k < i && s; k++) {
        s = strchr(s, d->elem);
        s = s ? s + 1 : NULL;
    }
    if (!s)
        return "";
    size_t n = 0;
    while (s[n] && s[n] != d->elem && n < cap - 1)
        n++;
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

static bool is(const x12doc *d, int i, const char *id)
{
    size_t k = strlen(id);
    return strncmp(d->segs[i], id, k) == 0 && d->segs[i][k] == d->elem;
}

/* Checks the envelope of every interchange: IEA01 = groups, IEA02 = ISA13,
 * GE01 = transactions, GE02 = GS06, SE01 = segments, SE02 = ST02. */
static void check_envelopes(const char *what, const x12doc *d)
{
    char a[64], b[64];
    int ngs = 0, nst = 0, nseg = 0;
    char isa13[64] = "", gs06[64] = "", st02[64] = "";
    for (int i = 0; i < d->n; i++) {
        if (is(d, i, "ISA")) {
            ngs = 0;
            snprintf(isa13, sizeof isa13, "%s", el(d, d->segs[i], 13, a, sizeof a));
        } else if (is(d, i, "GS")) {
            ngs++;
            nst = 0;
            snprintf(gs06, sizeof gs06, "%s", el(d, d->segs[i], 6, a, sizeof a));
        } else if (is(d, i, "ST")) {
            nst++;
            nseg = 0;
            snprintf(st02, sizeof st02, "%s", el(d, d->segs[i], 2, a, sizeof a));
        }
        nseg++;
        if (is(d, i, "SE")) {
            cr_assert_eq(atoi(el(d, d->segs[i], 1, a, sizeof a)), nseg, "%s: SE01", what);
            cr_assert_str_eq(el(d, d->segs[i], 2, b, sizeof b), st02, "%s: SE02", what);
        } else if (is(d, i, "GE")) {
            cr_assert_eq(atoi(el(d, d->segs[i], 1, a, sizeof a)), nst, "%s: GE01", what);
            cr_assert_str_eq(el(d, d->segs[i], 2, b, sizeof b), gs06, "%s: GE02", what);
        } else if (is(d, i, "IEA")) {
            cr_assert_eq(atoi(el(d, d->segs[i], 1, a, sizeof a)), ngs, "%s: IEA01", what);
            cr_assert_str_eq(el(d, d->segs[i], 2, b, sizeof b), isa13, "%s: IEA02", what);
        }
    }
    cr_assert(d->n > 0 && is(d, d->n - 1, "IEA"), "%s: does not end with an IEA", what);
}

/* The 277CA: one interchange, group and transaction; HL01 from 1 up, every
 * parent known; one TRN*2 + STC per patient level; QTY/AMT match. */
static void check_277(const char *name, char *text, uint64_t acc, uint64_t rej)
{
    x12doc d;
    x12_split(text, &d);
    check_envelopes(name, &d);
    char a[64], b[64];
    int nisa = 0, nst = 0, hl = 0, npt = 0, nstc_pt = 0;
    uint64_t q90 = 0, qaa = 0;
    const char *level = "";
    for (int i = 0; i < d.n; i++) {
        nisa += is(&d, i, "ISA");
        nst += is(&d, i, "ST");
        if (is(&d, i, "ST"))
            cr_assert_str_eq(el(&d, d.segs[i], 3, a, sizeof a), "005010X214");
        if (is(&d, i, "HL")) {
            hl++;
            cr_assert_eq(atoi(el(&d, d.segs[i], 1, a, sizeof a)), hl, "%s: HL01", name);
            int parent = atoi(el(&d, d.segs[i], 2, b, sizeof b));
            cr_assert(parent < hl, "%s: HL02 names an earlier HL", name);
            level = el(&d, d.segs[i], 3, a, sizeof a);
            if (strcmp(level, "PT") == 0) {
                npt++;
                level = "PT";
            } else {
                level = "";
            }
        }
        if (is(&d, i, "STC") && strcmp(level, "PT") == 0) {
            nstc_pt++;
            const char *c = el(&d, d.segs[i], 1, a, sizeof a);
            cr_assert(c[0] == 'A', "%s: batch 277CA uses A categories: %s", name, c);
        }
        if (is(&d, i, "QTY")) {
            uint64_t v = strtoull(el(&d, d.segs[i], 2, b, sizeof b), NULL, 10);
            if (strcmp(el(&d, d.segs[i], 1, a, sizeof a), "90") == 0)
                q90 = v;
            else
                qaa = v;
        }
    }
    cr_assert_eq(nisa, 1, "%s: one interchange", name);
    cr_assert_eq(nst, 1, "%s: one transaction", name);
    cr_assert_eq((uint64_t)npt, acc + rej, "%s: one patient level per claim", name);
    cr_assert_eq((uint64_t)nstc_pt, acc + rej, "%s: one STC per claim", name);
    cr_assert_eq(q90, acc, "%s: QTY*90", name);
    cr_assert_eq(qaa, rej, "%s: QTY*AA", name);
    free(d.segs);
}

static void check_999(const char *name, char *text, const expect *e)
{
    x12doc d;
    x12_split(text, &d);
    check_envelopes(name, &d);
    uint64_t ik5 = 0, ik5r = 0;
    char a[16];
    for (int i = 0; i < d.n; i++) {
        if (is(&d, i, "IK5")) {
            ik5++;
            ik5r += strcmp(el(&d, d.segs[i], 1, a, sizeof a), "R") == 0;
        }
    }
    cr_assert_eq(ik5, e->txn_acc + e->txn_rej, "%s: one IK5 per transaction", name);
    cr_assert_eq(ik5r, e->txn_rej, "%s: IK5*R per rejected transaction", name);
    free(d.segs);
}

/* Scrubs path into r's out folder and checks all its outputs. */
static void scrub_and_check(run *r, const char *path, const char *tables)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *args[] = {
        tu_bin("daemon/claimd"), "scrub", "--out", "@OUT", path, NULL, NULL, NULL};
    if (tables) {
        args[4] = "--tables";
        args[5] = tables;
        args[6] = path;
    }
    run_exec(r, args);
    cr_assert_eq(r->status, 0, "%s: %s", name, r->err);
    expect e;
    expect_of(path, &e);
    char fn[512];
    size_t len;
    mode_t mode = 0;
    snprintf(fn, sizeof fn, "%s.results.jsonl", name);
    char *res = out_file(r, fn, &len, &mode);
    cr_assert_not_null(res, "%s: no results", name);
    cr_assert_eq(mode, 0640, "mode %o", (unsigned)mode);
    uint64_t acc, rej;
    uint64_t n = check_results(name, res, &acc, &rej);
    cr_assert_eq(n, e.claims_acc, "%s: %lu results lines, %lu claims in accepted transactions",
                 name, (unsigned long)n, (unsigned long)e.claims_acc);
    snprintf(fn, sizeof fn, "%s.277ca", name);
    char *x277 = out_file(r, fn, &len, &mode);
    cr_assert_not_null(x277, "%s: no 277CA", name);
    cr_assert_eq(mode, 0640);
    check_277(name, x277, acc, rej);
    snprintf(fn, sizeof fn, "%s.999", name);
    char *x999 = out_file(r, fn, &len, &mode);
    cr_assert_not_null(x999, "%s: no 999", name);
    check_999(name, x999, &e);
    snprintf(fn, sizeof fn, "%s.summary.json", name);
    char *sum = out_file(r, fn, &len, &mode);
    cr_assert_not_null(sum, "%s: no summary", name);
    cr_assert_eq(mode, 0640);
    char *nl = strchr(sum, '\n');
    cr_assert_not_null(nl);
    *nl = 0;
    cr_assert(tu_js_line_ok(sum), "%s", sum);
    char v[256], want[64];
    snprintf(want, sizeof want, "%lu", (unsigned long)(acc + rej));
    cr_assert_str_eq(js_get(sum, "claims", v, sizeof v), want);
    snprintf(want, sizeof want, "%lu", (unsigned long)rej);
    cr_assert_str_eq(js_get(sum, "rejected", v, sizeof v), want);
    cr_assert_not_null(strstr(sum, "\"checksum\":\"xxh3-128:"), "%s", sum);
    cr_assert_not_null(strstr(sum, "\"claimd_version\":\""), "%s", sum);
    cr_assert_not_null(strstr(sum, "\"DUPLICATE\":"), "every edit counted: %s", sum);
    free(res);
    free(x277);
    free(x999);
    free(sum);
}

/* ---- tests -------------------------------------------------------------- */

Test(scrub, sample_batch)
{
    char *sample = tu_sample_path();
    run r;
    run_mkdir(&r);
    scrub_and_check(&r, sample, NULL);
    cr_assert_not_null(strstr(r.err, "11 claims"), "summary: %s", r.err);
    cr_assert_not_null(strstr(r.err, "claims/s"), "summary: %s", r.err);
    cr_assert_not_null(strstr(r.err, "seconds"), "summary: %s", r.err);
    size_t len;
    char *res = out_file(&r, "sample.837.results.jsonl", &len, NULL);
    cr_assert(strncmp(res, "{\"claim_id\":\"NWFM-1001\",\"file_offset\":", 38) == 0, "%s", res);
    cr_assert_not_null(strstr(res, "{\"claim_id\":\"LCH-7001\""));
    free(res);
    char *ack = out_file(&r, "sample.837.277ca", &len, NULL);
    cr_assert_not_null(strstr(ack, "TRN*2*NWFM-1001~"));
    cr_assert_not_null(strstr(ack, "ISA*00*          *00*          *ZZ*CLAIMDCH       "
                                   "*ZZ*DEMOSUBMIT01   *250310*1402*^*00501*000000101*"),
                       "sender and receiver swapped: %.200s", ack);
    free(ack);
    run_free(&r);
    free(sample);
}

static void compare_dirs(const run *a, const run *b, const char *name)
{
    static const char *const ext[] = {"results.jsonl", "277ca", "999", "summary.json"};
    for (size_t i = 0; i < 4; i++) {
        char fn[256];
        snprintf(fn, sizeof fn, "%s.%s", name, ext[i]);
        size_t la, lb;
        char *x = out_file(a, fn, &la, NULL), *y = out_file(b, fn, &lb, NULL);
        cr_assert(x && y, "%s missing", fn);
        cr_assert(la == lb && memcmp(x, y, la) == 0, "%s differs between runs", fn);
        free(x);
        free(y);
    }
}

Test(scrub, outputs_are_deterministic)
{
    char *sample = tu_sample_path();
    run a, b;
    run_mkdir(&a);
    run_mkdir(&b);
    run_exec(&a, (const char *[]){tu_bin("daemon/claimd"), "scrub", "--out", "@OUT", sample, NULL});
    run_exec(&b, (const char *[]){tu_bin("daemon/claimd"), "scrub", "--threads", "2", "--out",
                                  "@OUT", sample, NULL});
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    compare_dirs(&a, &b, "sample.837");
    /* no temporary file left behind */
    DIR *d = opendir(a.outdir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(n, 4, "results, 277CA, 999, summary");
    run_free(&a);
    run_free(&b);
    free(sample);
}

/* The sample with its first transaction's SE01 off by one: the 999 rejects
 * it, so its ten claims are in neither the results nor the 277CA; the second
 * transaction's claim is. */
Test(scrub, rejected_transaction_is_taken_back)
{
    char *sample = tu_sample_path();
    size_t len;
    char *t = tu_slurp(sample, &len);
    cr_assert_not_null(t);
    char *se = strstr(t, "~SE*");
    if (!se)
        se = strstr(t, "\nSE*");
    cr_assert_not_null(se);
    char *num = se + 4;
    int v = atoi(num);
    char buf[16];
    int old = (int)strspn(num, "0123456789");
    int k = snprintf(buf, sizeof buf, "%d", v + 1);
    if (k != old)
        k = snprintf(buf, sizeof buf, "%d", v - 1);
    cr_assert_eq(k, old, "same width");
    memcpy(num, buf, (size_t)k);
    run r;
    run_mkdir(&r);
    char *path = tu_path(r.dir, "bad_se.837");
    FILE *f = fopen(path, "wb");
    fwrite(t, 1, len, f);
    fclose(f);
    scrub_and_check(&r, path, NULL);
    char *res = out_file(&r, "bad_se.837.results.jsonl", &len, NULL);
    cr_assert_eq(count(res, "\n"), 1, "%s", res);
    cr_assert_not_null(strstr(res, "\"claim_id\":\"LCH-7001\""));
    char *ack = out_file(&r, "bad_se.837.277ca", &len, NULL);
    cr_assert_null(strstr(ack, "NWFM-1001"));
    cr_assert_not_null(strstr(ack, "TRN*2*LCH-7001~"));
    cr_assert_not_null(strstr(ack, "HL*3*2*19*1~"), "HL numbering restarts after take-back");
    char *sum = out_file(&r, "bad_se.837.summary.json", &len, NULL);
    cr_assert_not_null(strstr(sum, "\"claims_not_scrubbed\":10"), "%s", sum);
    cr_assert_not_null(strstr(sum, "\"transactions\":{\"accepted\":1,\"rejected\":1}"), "%s", sum);
    char *x999 = out_file(&r, "bad_se.837.999", &len, NULL);
    cr_assert_not_null(strstr(x999, "IK5*R*4"), "%s", x999);
    free(x999);
    free(sum);
    free(ack);
    free(res);
    free(path);
    free(t);
    run_free(&r);
    free(sample);
}

Test(scrub, unreadable_files_and_usage)
{
    run r;
    run_mkdir(&r);
    char *missing = tu_path(r.dir, "no-such-file.837");
    char *sample = tu_sample_path();
    run_exec(&r, (const char *[]){tu_bin("daemon/claimd"), "scrub", "--out", "@OUT", missing,
                                  sample, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "no-such-file.837"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "No such file"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "2 files (1 failed)"), "%s", r.err);
    size_t len;
    char *x = out_file(&r, "no-such-file.837.results.jsonl", &len, NULL);
    cr_assert_null(x, "no outputs for a file that was not read");
    x = out_file(&r, "sample.837.results.jsonl", &len, NULL);
    cr_assert_not_null(x, "the other file is scrubbed");
    free(x);
    run_exec(&r, (const char *[]){tu_bin("daemon/claimd"), "scrub", NULL});
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "usage"));
    run_exec(&r, (const char *[]){tu_bin("daemon/claimd"), "scrub", "--severity", "NOPE=error",
                                  sample, NULL});
    cr_assert_eq(r.status, 2);
    run_exec(&r,
             (const char *[]){tu_bin("daemon/claimd"), "scrub", "--threads", "0", sample, NULL});
    cr_assert_eq(r.status, 2);
    free(missing);
    free(sample);
    run_free(&r);
}

Test(scrub, settings_are_recorded_and_change_severity)
{
    char *sample = tu_sample_path();
    run r;
    run_mkdir(&r);
    run_exec(&r,
             (const char *[]){tu_bin("daemon/claimd"), "scrub", "--out", "@OUT", "--severity",
                              "PRICE_UNAVAILABLE=error", "--timely-filing", "365", sample, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t len;
    char *sum = out_file(&r, "sample.837.summary.json", &len, NULL);
    cr_assert_not_null(strstr(sum, "\"settings\":{\"severity\":{\"PRICE_UNAVAILABLE\":\"error\"},"
                                   "\"timely_filing_days\":365}"),
                       "%s", sum);
    char *res = out_file(&r, "sample.837.results.jsonl", &len, NULL);
    if (strstr(res, "PRICE_UNAVAILABLE"))
        cr_assert_not_null(strstr(res, "\"status\":\"rejected\""));
    free(res);
    free(sum);
    free(sample);
    run_free(&r);
}

/* ---- the real samples --------------------------------------------------- */

static char g_tables[128];

/* Builds a tables version from the shared CMS files once per test run. */
static const char *real_tables(const char *data)
{
    if (g_tables[0])
        return g_tables;
    const char *cdb = tu_bin("tools/claimdb/claimdb");
    if (access(cdb, X_OK) != 0)
        return NULL;
    char dir[] = "/tmp/claimd-scrub-tables-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(g_tables, sizeof g_tables, "%s/v", dir);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' build --out '%s' --name shared --icd10cm %s/cms/icd10cm/icd10cm_order_2022.txt "
             "--hcpcs %s/cms/hcpcs/HCPC2020_ANWEB_w_disclaimer.txt "
             "--pprrvu %s/cms/mpfs/PPRRVU2025_Oct.csv --gpci %s/cms/mpfs/GPCI2025.csv "
             "--zip5 %s/cms/mpfs/ZIP5_OCT2025.txt --oppscap %s/cms/mpfs/OPPSCAP_Oct.csv@20251001:"
             "20251231 >/dev/null 2>&1",
             cdb, g_tables, data, data, data, data, data, data);
    cr_assert_eq(system(cmd), 0, "claimdb build from %s failed", data);
    return g_tables;
}

Test(scrub, real_5010_837p_samples, .timeout = 600)
{
    TU_NEED_SHARED_DATA(data);
    const char *tables = real_tables(data);
    if (!tables)
        cr_skip_test("claimdb is not built");
    char *inv_path = tu_path(data, "x12/INVENTORY.tsv");
    char *inv = tu_slurp(inv_path, NULL);
    cr_assert_not_null(inv);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(inv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char file[512], types[64], versions[128];
        unsigned long bytes;
        if (sscanf(line, "%511[^\t]\t%lu\t%63[^\t]\t%127[^\t]", file, &bytes, types, versions) != 4)
            continue;
        if (strcmp(types, "837") != 0 || strncmp(versions, "005010X222", 10) != 0)
            continue;
        char *sub = tu_path(data, "x12");
        char *path = tu_path(sub, file);
        run r;
        run_mkdir(&r);
        scrub_and_check(&r, path, tables);
        run_free(&r);
        free(path);
        free(sub);
        checked++;
    }
    cr_assert_gt(checked, 30, "837P samples checked: %d", checked);
    char cmd[256];
    *strrchr(g_tables, '/') = 0; /* the mkdtemp folder */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tables);
    cr_assert_eq(system(cmd), 0);
    free(inv);
    free(inv_path);
}
