/* claimd parse end to end (the built binary on the sample batch and on
 * fixtures), plus the JSON rendering it relies on (cbuf, clm_json). */
#define _POSIX_C_SOURCE 200809L

#include "claimd/cbuf.h"
#include "claimd/clm_json.h"
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

/* The raw text of the first "key": value in line (string values unquoted). */
static char *js_get(const char *line, const char *key)
{
    static char v[256];
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *s = strstr(line, pat);
    if (!s)
        return NULL;
    s += strlen(pat);
    size_t n = 0;
    if (*s == '"') {
        for (s++; s[n] && s[n] != '"' && n < sizeof v - 1; n++)
            ;
    } else {
        while (s[n] && s[n] != ',' && s[n] != '}' && s[n] != ']' && n < sizeof v - 1)
            n++;
    }
    memcpy(v, s, n);
    v[n] = 0;
    return v;
}

/* ---- running the binary ------------------------------------------------- */

typedef struct run {
    int status;
    char *out, *err;
    size_t nout, nerr;
    char dir[64]; /* a scratch folder: out.txt, err.txt, and the --out folder */
    char outdir[96];
} run;

static const char *claimd_path(void)
{
    static char path[4096];
    const char *b = getenv("CLAIMD_BUILD_DIR");
    snprintf(path, sizeof path, "%s/daemon/claimd", b ? b : "build");
    return path;
}

static char *fixture(const char *name)
{
    char *dir = tu_path(tu_fixtures(), "x12");
    char *p = tu_path(dir, name);
    free(dir);
    return p;
}

/* Runs claimd with args (NULL-terminated, without argv[0]); stdout and
 * stderr go to files in a fresh scratch folder, then into memory. */
static void run_claimd(run *r, const char *const *args)
{
    memset(r, 0, sizeof *r);
    strcpy(r->dir, "/tmp/claimd-parse-test-XXXXXX");
    cr_assert_not_null(mkdtemp(r->dir));
    snprintf(r->outdir, sizeof r->outdir, "%s/out", r->dir);
    char *fo = tu_path(r->dir, "stdout.txt"), *fe = tu_path(r->dir, "stderr.txt");
    const char *argv[32] = {claimd_path()};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = strcmp(args[n - 1], "@OUT") == 0 ? r->outdir : args[n - 1];
    argv[n] = NULL;
    r->status = tu_exec(argv, fo, fe);
    r->out = tu_slurp(fo, &r->nout);
    r->err = tu_slurp(fe, &r->nerr);
    cr_assert(r->out && r->err);
    free(fo);
    free(fe);
}

static char *run_file(const run *r, const char *name, size_t *len, mode_t *mode)
{
    return tu_read_file(r->outdir, name, len, mode);
}

static void run_free(run *r)
{
    tu_rm_rf(r->dir);
    free(r->out);
    free(r->err);
}

/* Splits stdout into lines (in place); returns the count. */
static int lines_of(char *text, char **lines, int max)
{
    int n = 0;
    for (char *s = text; *s && n < max;) {
        char *nl = strchr(s, '\n');
        cr_assert_not_null(nl, "stdout does not end with a newline");
        *nl = 0;
        lines[n++] = s;
        s = nl + 1;
    }
    return n;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s++)
        n++;
    return n;
}

/* ---- claimd parse ------------------------------------------------------- */

Test(parse, sample_batch)
{
    char *sample = tu_sample_path();
    run r;
    run_claimd(&r, (const char *[]){"parse", "--out", "@OUT", sample, NULL});
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    char *lines[64];
    int n = lines_of(r.out, lines, 64);
    cr_assert_eq(n, 11, "claims printed: %d", n);
    const char *ids[] = {"NWFM-1001", "NWFM-1002", "NWFM-1003", "NWFM-1004", "RBO-2001", "RBO-2002",
                         "RBO-2003",  "HCG-3001",  "HCG-3002",  "HCG-3003",  "LCH-7001"};
    for (int i = 0; i < n; i++) {
        cr_assert(tu_js_line_ok(lines[i]), "not one JSON object: %s", lines[i]);
        cr_assert_str_eq(js_get(lines[i], "claim_id"), ids[i]);
        cr_assert_str_eq(js_get(lines[i], "st02"), "0001");
        cr_assert_str_eq(js_get(lines[i], "ik5"), "A");
        cr_assert_str_eq(js_get(lines[i], "isa13"), "000000101");
        cr_assert_str_eq(js_get(lines[i], "type"), i < 10 ? "837P" : "837I");
        cr_assert_str_eq(js_get(lines[i], "gs06"), i < 10 ? "101" : "102");
    }
    cr_assert_str_eq(js_get(lines[0], "charge"), "155.00");
    cr_assert_not_null(strstr(lines[0], "\"code\":\"99214\",\"modifiers\":[],\"units\":1,"));
    cr_assert_str_eq(js_get(lines[1], "patient"), "{\"relationship\":\"19\"");
    cr_assert_str_eq(js_get(lines[0], "patient"), "null");
    cr_assert_str_eq(js_get(lines[3], "freq"), "7");
    cr_assert_str_eq(js_get(lines[3], "ref_f8"), "DEMOPAYERCLM0007");
    cr_assert_not_null(strstr(lines[5], "\"modifiers\":[\"GP\",\"59\"],\"units\":2,"));
    cr_assert_not_null(strstr(lines[5], "\"from\":\"2025-03-03\",\"to\":\"2025-03-07\""));
    cr_assert_str_eq(js_get(lines[10], "type_of_bill"), "131");
    cr_assert_str_eq(js_get(lines[10], "charge"), "1250.00");

    size_t len;
    mode_t mode = 0;
    char *ack = run_file(&r, "sample.837.999", &len, &mode);
    cr_assert_not_null(ack, "no .999 written");
    cr_assert_eq(mode, 0640, "mode %o", (unsigned)mode);
    cr_assert_eq(count(ack, "ST*999*"), 2, "one 999 set per group");
    cr_assert_eq(count(ack, "IK5*A~"), 2);
    cr_assert_eq(count(ack, "AK9*A*1*1*1~"), 2);
    cr_assert_null(run_file(&r, "sample.837.ta1", &len, NULL), "no TA1 owed");
    cr_assert_not_null(strstr(r.err, "11 claims"), "summary: %s", r.err);
    cr_assert_not_null(strstr(r.err, "2 accepted, 0 rejected"), "summary: %s", r.err);
    free(ack);
    free(sample);
    run_free(&r);
}

Test(parse, outputs_are_deterministic_and_spilling_changes_nothing)
{
    char *sample = tu_sample_path();
    run a, b, c;
    run_claimd(&a, (const char *[]){"parse", "--out", "@OUT", sample, NULL});
    run_claimd(&b, (const char *[]){"parse", "--out", "@OUT", sample, NULL});
    /* a hold of 1 byte: every transaction's claims go through the spill file */
    run_claimd(&c, (const char *[]){"parse", "--hold-bytes", "1", sample, NULL});
    cr_assert_eq(a.status, 0);
    cr_assert_eq(c.status, 0);
    cr_assert_eq(a.nout, b.nout);
    cr_assert(memcmp(a.out, b.out, a.nout) == 0);
    cr_assert_eq(a.nout, c.nout);
    cr_assert(memcmp(a.out, c.out, a.nout) == 0, "spilled output differs");
    size_t la, lb;
    char *xa = run_file(&a, "sample.837.999", &la, NULL);
    char *xb = run_file(&b, "sample.837.999", &lb, NULL);
    cr_assert(xa && xb && la == lb && memcmp(xa, xb, la) == 0);
    free(xa);
    free(xb);
    free(sample);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

static void expect_unreadable(const char *name, const char *why)
{
    char *f = fixture(name);
    run r;
    run_claimd(&r, (const char *[]){"parse", "--out", "@OUT", f, NULL});
    cr_assert_neq(r.status, 0);
    cr_assert_eq(r.nout, 0, "no claims from %s", name);
    cr_assert_eq(count(r.err, name), 1, "one line naming the file: %s", r.err);
    cr_assert_not_null(strstr(r.err, why), "%s", r.err);
    char *line = strstr(r.err, name);
    cr_assert_not_null(strchr(line, '\n'));
    size_t len;
    char *path = tu_path("", name);
    cr_assert_null(run_file(&r, path + 1, &len, NULL));
    free(path);
    free(f);
    run_free(&r);
}

Test(parse, not_x12)
{
    expect_unreadable("not_x12.csv", "not an X12");
}

Test(parse, empty_file)
{
    expect_unreadable("empty.837", "not an X12");
}

Test(parse, missing_file)
{
    expect_unreadable("no-such-file.837", "No such file");
}

Test(parse, one_bad_file_does_not_stop_the_others)
{
    char *bad = fixture("not_x12.csv"), *sample = tu_sample_path();
    run r;
    run_claimd(&r, (const char *[]){"parse", bad, sample, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert_eq(count(r.out, "\n"), 11);
    cr_assert_not_null(strstr(r.err, "2 files (1 failed)"), "%s", r.err);
    free(bad);
    free(sample);
    run_free(&r);
}

/* PHI planted in the fixtures: names, member ids, street, birth dates and
 * diagnoses. None may reach stderr, at any log level. */
static const char *const phi_markers[] = {"PHIMARK", "19121212", "19111131", "20141414", "19220202",
                                          "Q8781",   "ZQX123",   "ZQX456",   "ZQX789"};

static void assert_no_phi(const char *err)
{
    for (size_t i = 0; i < sizeof phi_markers / sizeof phi_markers[0]; i++)
        cr_assert_null(strstr(err, phi_markers[i]), "PHI marker %s on stderr: %s", phi_markers[i],
                       err);
}

Test(parse, version_4010_is_reported_and_rejected)
{
    char *f = fixture("v4010.837");
    run r;
    run_claimd(&r, (const char *[]){"--log-level", "debug", "parse", "--out", "@OUT", f, NULL});
    cr_assert_eq(r.status, 0, "the file was read; the 999 rejects it");
    cr_assert_not_null(strstr(r.err, "v4010.837"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "004010X098A1"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "interchange 000000404 group 404"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "not supported"), "%s", r.err);
    assert_no_phi(r.err);
    size_t len;
    char *ack = run_file(&r, "v4010.837.999", &len, NULL);
    cr_assert_not_null(ack);
    cr_assert_not_null(strstr(ack, "ISA*00*"));
    cr_assert_not_null(strstr(ack, "*00501*000000404*"), "a 5010 999: %s", ack);
    cr_assert_not_null(strstr(ack, "AK1*HC*404*004010X098A1~"), "%s", ack);
    cr_assert_not_null(strstr(ack, "IK5*R"), "%s", ack);
    cr_assert_not_null(strstr(ack, "AK9*R*1*1*0"), "%s", ack);
    free(ack);
    free(f);
    run_free(&r);
}

Test(parse, phi_never_on_stderr)
{
    char *f = fixture("phi.837"), *g = fixture("v4010.837"), *t = fixture("truncated.837");
    run r;
    run_claimd(&r,
               (const char *[]){"--log-level", "debug", "parse", "--out", "@OUT", f, g, t, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_no_phi(r.err);
    /* the markers are real: they are in the claims on stdout */
    cr_assert_not_null(strstr(r.out, "PHIMARKMBR77"));
    cr_assert_not_null(strstr(r.out, "ZQX123"));
    size_t len;
    char *ack = run_file(&r, "phi.837.999", &len, NULL);
    cr_assert_not_null(ack);
    cr_assert_not_null(strstr(ack, "IK5*R"));
    free(ack);
    /* the IEA02 mismatch of phi.837 owes a TA1 */
    char *ta1 = run_file(&r, "phi.837.ta1", &len, NULL);
    cr_assert_not_null(ta1);
    cr_assert_not_null(strstr(ta1, "TA1*000000777*"), "%s", ta1);
    free(ta1);
    free(f);
    free(g);
    free(t);
    run_free(&r);
}

Test(parse, truncated_file)
{
    char *f = fixture("truncated.837");
    run r;
    run_claimd(&r, (const char *[]){"parse", "--out", "@OUT", f, NULL});
    cr_assert_eq(r.status, 0, "a truncated file is read; its 999 rejects it: %s", r.err);
    char *lines[64];
    int n = lines_of(r.out, lines, 64);
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++) {
        cr_assert(tu_js_line_ok(lines[i]));
        cr_assert_str_eq(js_get(lines[i], "ik5"), "R", "claims of a rejected transaction");
    }
    size_t len;
    char *ack = run_file(&r, "truncated.837.999", &len, NULL);
    cr_assert_not_null(ack);
    cr_assert_not_null(strstr(ack, "IK5*R"));
    cr_assert_not_null(strstr(ack, "AK9*R*"));
    char *ta1 = run_file(&r, "truncated.837.ta1", &len, NULL);
    cr_assert_not_null(ta1, "a truncated interchange owes a TA1");
    cr_assert_not_null(strstr(r.err, "TA1"), "%s", r.err);
    free(ta1);
    free(ack);
    free(f);
    run_free(&r);
}

Test(parse, usage_and_version)
{
    run r;
    run_claimd(&r, (const char *[]){"parse", NULL});
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "usage"));
    run_free(&r);
    run_claimd(&r, (const char *[]){"frobnicate", NULL});
    cr_assert_eq(r.status, 2);
    run_free(&r);
    run_claimd(&r, (const char *[]){"--log-level", "loud", "version", NULL});
    cr_assert_eq(r.status, 2);
    run_free(&r);
    run_claimd(&r, (const char *[]){"version", NULL});
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "claimd ", 7) == 0);
    run_free(&r);
    run_claimd(&r, (const char *[]){"help", NULL});
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "parse"));
    run_free(&r);
}

/* ---- JSON rendering ----------------------------------------------------- */

static char *json_str(const char *s, size_t n)
{
    cbuf b;
    cbuf_init(&b);
    cbuf_json_str(&b, s, n);
    cr_assert_eq(cbuf_error(&b), 0);
    return b.p;
}

/* a literal's bytes, without its NUL */
#define JSTR(lit) json_str(lit, sizeof(lit) - 1)

Test(json, string_escaping)
{
    char *s = JSTR("a\"b\\c\n\t\x01\x1f");
    cr_assert_str_eq(s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\"");
    free(s);
    /* valid UTF-8 passes: e-acute, euro sign, an emoji */
    s = JSTR("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    cr_assert_str_eq(s, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    free(s);
    /* invalid: a lone continuation, a truncated sequence, an overlong '/',
     * a surrogate, and a Latin-1 byte */
    s = JSTR("\x80x\xe2\x82y\xc0\xafz\xed\xa0\x80w\xe9");
    cr_assert_str_eq(s, "\"\\ufffdx\\ufffd\\ufffdy\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffdw\\ufffd\"");
    free(s);
    /* an embedded NUL is data */
    s = JSTR("a\0b");
    cr_assert_str_eq(s, "\"a\\u0000b\"");
    free(s);
}

Test(json, numbers_and_dates)
{
    cbuf b;
    cbuf_init(&b);
    cbuf_json_cents(&b, 12345);
    cbuf_putc(&b, ' ');
    cbuf_json_cents(&b, -5);
    cbuf_putc(&b, ' ');
    cbuf_json_cents(&b, -100);
    cbuf_putc(&b, ' ');
    cbuf_json_cents(&b, 0);
    cbuf_putc(&b, ' ');
    cbuf_json_cents(&b, INT64_MIN);
    cbuf_putc(&b, ' ');
    cbuf_json_milli(&b, 1000);
    cbuf_putc(&b, ' ');
    cbuf_json_milli(&b, 1500);
    cbuf_putc(&b, ' ');
    cbuf_json_milli(&b, 250);
    cbuf_putc(&b, ' ');
    cbuf_json_milli(&b, 1);
    cbuf_putc(&b, ' ');
    cbuf_json_date(&b, 20250307);
    cbuf_putc(&b, ' ');
    cbuf_json_date(&b, 0);
    cr_assert_str_eq(b.p, "123.45 -0.05 -1.00 0.00 -92233720368547758.08 1 1.5 0.25 0.001 "
                          "\"2025-03-07\" null");
    cbuf_release(&b);
}

Test(json, buffer_growth_and_printf)
{
    cbuf b;
    cbuf_init(&b);
    for (int i = 0; i < 10000; i++)
        cbuf_printf(&b, "%d,", i);
    cr_assert_eq(cbuf_error(&b), 0);
    cr_assert(strncmp(b.p, "0,1,2,", 6) == 0);
    cr_assert_eq(b.p[b.len], 0);
    cr_assert(strcmp(b.p + b.len - 5, "9999,") == 0);
    cbuf_clear(&b);
    cr_assert_eq(b.len, 0);
    cbuf_release(&b);
}

Test(json, claim_object)
{
    clm_claim c;
    memset(&c, 0, sizeof c);
    c.type = CLM_TYPE_837P;
    strcpy(c.claim_id, "A\"B\\C\x01\xff");
    c.charge = -1234;
    c.file_off = 42;
    strcpy(c.st02, "0007");
    c.sub_dob = 19800115;
    c.has_patient = true;
    strcpy(c.pat_rel, "19");
    c.ndx = 2;
    strcpy(c.dx[0].code, "E119");
    strcpy(c.dx[0].qual, "ABK");
    strcpy(c.dx[1].code, "I10");
    strcpy(c.dx[1].qual, "ABF");
    c.dx[1].poa = 'Y';
    clm_line l[2];
    memset(l, 0, sizeof l);
    l[0].number = 1;
    strcpy(l[0].code, "99213");
    strcpy(l[0].mods[0], "25");
    strcpy(l[0].mods[1], "59");
    l[0].nmods = 2;
    l[0].units_milli = 1500;
    l[0].charge = 10000;
    l[0].from = l[0].to = 20250303;
    l[0].ptrs[0] = 1;
    l[0].ptrs[1] = 2;
    l[0].nptrs = 2;
    l[1].number = 2;
    l[1].units_milli = 1000;
    c.lines = l;
    c.nlines = 2;
    c.nissues = 1;
    c.issues[0] = (clm_issue){.kind = CLM_ISSUE_BAD_DATE, .elem = 2, .seg_id = "DTP", .line = 1};
    cbuf b;
    cbuf_init(&b);
    cr_assert_eq(clm_json_render(&b, &c, 'E'), 0);
    cr_assert(tu_js_line_ok(b.p), "%s", b.p);
    cr_assert_null(strchr(b.p, '\n'));
    cr_assert(strncmp(b.p, "{\"claim_id\":\"A\\\"B\\\\C\\u0001\\ufffd\",\"file_offset\":42,", 49) ==
                  0,
              "%s", b.p);
    cr_assert_str_eq(js_get(b.p, "charge"), "-12.34");
    cr_assert_str_eq(js_get(b.p, "birth_date"), "1980-01-15");
    cr_assert_str_eq(js_get(b.p, "ik5"), "E");
    cr_assert_not_null(strstr(b.p, "\"modifiers\":[\"25\",\"59\"],\"units\":1.5,"));
    cr_assert_not_null(strstr(b.p, "\"dx_pointers\":[1,2]"));
    cr_assert_not_null(strstr(b.p, "{\"code\":\"I10\",\"qualifier\":\"ABF\",\"poa\":\"Y\"}"));
    cr_assert_not_null(strstr(b.p, "\"issues\":[{\"kind\":\"bad_date\",\"segment\":\"DTP\""));
    cr_assert_not_null(strstr(b.p, "\"patient\":{\"relationship\":\"19\",\"birth_date\":null"));
    /* the two-step form gives the same bytes */
    cbuf b2;
    cbuf_init(&b2);
    clm_json_render_open(&b2, &c);
    clm_json_render_close(&b2, 'E');
    cr_assert_str_eq(b.p, b2.p);
    cbuf_clear(&b2);
    clm_json_render(&b2, &c, 0);
    cr_assert_str_eq(js_get(b2.p, "ik5"), "null");
    cbuf_release(&b);
    cbuf_release(&b2);
}
