/* The starter set (data/starter) and claimgen's synthetic tables import
 * cleanly: each file is recognised as its kind from its content, and the
 * importer reads every row without an error or a PPRRVU total mismatch. */
#define _GNU_SOURCE
#include "testutil.h"

#include <claimd/error.h>
#include <claimd/tblsrc.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct expect {
    const char *name;
    tblsrc_kind kind;
    uint64_t rows;     /* 0: not checked */
    tbl_period period; /* explicit period, for files that carry none */
};

struct count_ctx {
    tblsrc_kind kind;
    uint64_t rows;
    int wrong_kind;
};

static int count_rec(void *vctx, const tblsrc_rec *rec)
{
    struct count_ctx *c = vctx;
    c->rows++;
    c->wrong_kind += rec->kind != c->kind;
    return 0;
}

static void import_one(const char *dir, const struct expect *e)
{
    size_t len;
    char *path = tu_path(dir, e->name);
    char *buf = tu_slurp(path, &len);
    cr_assert_not_null(buf, "cannot read %s", path);
    cr_expect_eq(tblsrc_detect(buf, len), e->kind, "%s detected as %s, not %s", path,
                 tblsrc_kind_name(tblsrc_detect(buf, len)), tblsrc_kind_name(e->kind));
    tblsrc_opts opts = {.kind = e->kind, .period = e->period, .name = e->name};
    struct count_ctx c = {.kind = e->kind};
    tblsrc_stats st;
    tblsrc_err err;
    memset(&err, 0, sizeof(err));
    int rc = tblsrc_import(buf, len, &opts, count_rec, &c, &st, &err);
    cr_expect_eq(rc, 0, "%s: %s (line %llu, column %u: %s)", path, claimd_strerror(rc),
                 (unsigned long long)err.line, err.column, err.why);
    cr_expect_eq(c.wrong_kind, 0, "%s: records of another kind", path);
    cr_expect_gt(c.rows, 0, "%s: no records", path);
    cr_expect_eq(st.rows, c.rows);
    if (e->rows)
        cr_expect_eq(c.rows, e->rows, "%s: %llu records, want %llu", path,
                     (unsigned long long)c.rows, (unsigned long long)e->rows);
    if (e->kind == TBLSRC_PPRRVU)
        cr_expect_eq(st.mismatches, 0, "%s: %llu total mismatches", path,
                     (unsigned long long)st.mismatches);
    free(buf);
    free(path);
}

static char *starter_dir(void)
{
    const char *src = getenv("CLAIMD_SOURCE_DIR");
    return tu_path(src ? src : ".", "data/starter");
}

TestSuite(starter, .timeout = 300);

Test(starter, every_starter_file_imports_as_its_kind)
{
    const struct expect files[] = {
        {"icd10cm_order_2025.txt", TBLSRC_ICD10CM, 951, {0, 0}},
        {"hcpcs.txt", TBLSRC_HCPCS, 0, {0, 0}},
        {"pprrvu.csv", TBLSRC_PPRRVU, 570, {0, 0}},
        {"gpci2025.csv", TBLSRC_GPCI, 109, {0, 0}},
        {"zip5.txt", TBLSRC_ZIP5, 382, {0, 0}},
        {"ncci_ptp.txt", TBLSRC_NCCI_PTP, 64, {0, 0}},
        {"mue.csv", TBLSRC_MUE, 258, {20251001, 20251231}},
        {"pos.txt", TBLSRC_POS, 52, {0, 0}},
        {"agesex.csv", TBLSRC_AGESEX, 151, {0, 0}},
        {"modifiers.txt", TBLSRC_MODIFIERS, 39, {0, 0}},
    };
    char *dir = starter_dir();
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        import_one(dir, &files[i]);
    free(dir);
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(starter, every_claimgen_table_imports_as_its_kind)
{
    const char *b = getenv("CLAIMD_BUILD_DIR");
    /* CLAIMGEN_TEST_SCALE=1 checks the real-scale files (slower) */
    const char *scale = getenv("CLAIMGEN_TEST_SCALE");
    char tmpl[] = "/tmp/starter_test.XXXXXX", cmd[1024];
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir);
    snprintf(cmd, sizeof(cmd),
             "'%s/tools/claimgen/claimgen' tables --out '%s' --seed 3 --scale %s 2>/dev/null",
             b ? b : "build", dir, scale ? scale : "0.02");
    cr_assert_eq(run(cmd), 0, "%s", cmd);
    const tbl_period fy = {20241001, 20250930}, q4 = {20251001, 20251231};
    const struct expect files[] = {
        {"icd10cm_order.txt", TBLSRC_ICD10CM, 0, fy},
        {"hcpcs.txt", TBLSRC_HCPCS, 0, {0, 0}},
        {"pprrvu.csv", TBLSRC_PPRRVU, 0, {0, 0}},
        {"gpci.csv", TBLSRC_GPCI, 0, {0, 0}},
        {"zip5.txt", TBLSRC_ZIP5, 0, {0, 0}},
        {"ncci_ptp_1.txt", TBLSRC_NCCI_PTP, 0, {0, 0}},
        {"ncci_ptp_2.txt", TBLSRC_NCCI_PTP, 0, {0, 0}},
        {"ncci_ptp_3.txt", TBLSRC_NCCI_PTP, 0, {0, 0}},
        {"ncci_ptp_4.txt", TBLSRC_NCCI_PTP, 0, {0, 0}},
        {"mue.csv", TBLSRC_MUE, 0, q4},
        {"pos.txt", TBLSRC_POS, 52, {0, 0}},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        import_one(dir, &files[i]);
        char *p = tu_path(dir, files[i].name);
        unlink(p);
        free(p);
    }
    rmdir(dir);
}
