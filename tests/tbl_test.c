/* tbl_: building versions, hash lookups by date, verification, index damage,
 * version switching under readers, claimdb, and the real CMS/CDC files. */
#define _GNU_SOURCE
#include "claimd/error.h"
#include "claimd/tables.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers -------------------------------------------------------- */

static char tmpdir[256];

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tbl_test.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(tbl, .init = mk_tmp, .fini = rm_tmp);

static char *tpath(const char *name)
{
    return tu_path(tmpdir, name);
}

static void add(tbl_build *b, const tblsrc_rec *r)
{
    cr_assert_eq(tbl_build_add(b, r), 0);
}

static void add_icd(tbl_build *b, const char *code, int billable, uint32_t from, uint32_t to)
{
    tblsrc_rec r = {.kind = TBLSRC_ICD10CM};
    snprintf(r.u.icd10.code, sizeof r.u.icd10.code, "%s", code);
    r.u.icd10.billable = (uint8_t)billable;
    snprintf(r.u.icd10.short_desc, sizeof r.u.icd10.short_desc, "desc %s", code);
    r.u.icd10.period = (tbl_period){from, to};
    add(b, &r);
}

static void add_rvu(tbl_build *b, const char *code, const char *mod, int32_t work)
{
    tblsrc_rec r = {.kind = TBLSRC_PPRRVU};
    snprintf(r.u.rvu.code, sizeof r.u.rvu.code, "%s", code);
    snprintf(r.u.rvu.mod, sizeof r.u.rvu.mod, "%s", mod);
    r.u.rvu.status = 'A';
    r.u.rvu.work = work;
    r.u.rvu.pe_nonfac = 13500;
    r.u.rvu.pe_fac = 5700;
    r.u.rvu.mp = 1000;
    r.u.rvu.period = (tbl_period){20250101, 20251231};
    add(b, &r);
}

static void add_ncci(tbl_build *b, const char *c1, const char *c2, uint32_t eff, uint32_t del,
                     int mod_ind)
{
    tblsrc_rec r = {.kind = TBLSRC_NCCI_PTP};
    snprintf(r.u.ncci.col1, sizeof r.u.ncci.col1, "%s", c1);
    snprintf(r.u.ncci.col2, sizeof r.u.ncci.col2, "%s", c2);
    r.u.ncci.mod_ind = (uint8_t)mod_ind;
    r.u.ncci.eff_date = eff;
    r.u.ncci.del_date = del;
    /* the day before deletion (test dates avoid month starts) */
    r.u.ncci.period = (tbl_period){eff, del ? del - 1 : TBL_DATE_OPEN};
    add(b, &r);
}

/* A small version; marker names POS 99 ("v1", "v2" ...) so readers can tell
 * versions apart. */
static void build_small(const char *dir, const char *marker)
{
    tbl_build *b;
    cr_assert_eq(tbl_build_create(marker, &b), 0);
    add_icd(b, "E119", 1, 20211001, 20220930);
    add_icd(b, "E11", 0, 20211001, 20220930);
    add_icd(b, "U071", 1, 20200401, TBL_DATE_OPEN);
    add_icd(b, "E119", 1, 20221001, 20230930); /* a second period */
    add_icd(b, "E119", 1, 20221001, 20230930); /* a duplicate: folded */
    add_rvu(b, "99213", "", 13000);
    add_rvu(b, "93000", "", 1700);
    add_rvu(b, "93000", "26", 1700);
    add_rvu(b, "93000", "TC", 0);
    add_ncci(b, "20611", "20610", 20100101, 0, 1);
    add_ncci(b, "93000", "93005", 19960101, 0, 0);
    add_ncci(b, "11042", "97597", 20150101, 20240715, 1); /* deleted 2024-07-15 */
    tblsrc_rec r = {.kind = TBLSRC_GPCI};
    snprintf(r.u.gpci.carrier, 6, "10112");
    snprintf(r.u.gpci.locality, 3, "00");
    snprintf(r.u.gpci.state, 3, "AL");
    r.u.gpci.work = 10000;
    r.u.gpci.pe = 8690;
    r.u.gpci.mp = 5750;
    r.u.gpci.period = (tbl_period){20250101, 20251231};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_ZIP5};
    snprintf(r.u.zip5.zip, 6, "35203");
    snprintf(r.u.zip5.carrier, 6, "10112");
    snprintf(r.u.zip5.locality, 3, "00");
    r.u.zip5.period = (tbl_period){20251001, 20251231};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_ZIP9};
    snprintf(r.u.zip9.zip, 6, "35203");
    snprintf(r.u.zip9.plus4_lo, 5, "1000");
    snprintf(r.u.zip9.plus4_hi, 5, "1999");
    snprintf(r.u.zip9.locality, 3, "01");
    r.u.zip9.period = (tbl_period){20251001, 20251231};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_MUE};
    snprintf(r.u.mue.code, 6, "20610");
    r.u.mue.value = 2;
    r.u.mue.mai = 2;
    r.u.mue.period = (tbl_period){20250101, 20251231};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_POS};
    snprintf(r.u.pos.code, 3, "11");
    snprintf(r.u.pos.name, 64, "Office");
    r.u.pos.period = (tbl_period){0, TBL_DATE_OPEN};
    add(b, &r);
    snprintf(r.u.pos.code, 3, "99");
    snprintf(r.u.pos.name, 64, "%s", marker);
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_AGESEX};
    snprintf(r.u.agesex.code, 8, "C61");
    r.u.agesex.sex = 'M';
    r.u.agesex.max_age = 124;
    r.u.agesex.period = (tbl_period){0, TBL_DATE_OPEN};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_HCPCS};
    snprintf(r.u.hcpcs.code, 6, "LT");
    r.u.hcpcs.is_modifier = 1;
    r.u.hcpcs.period = (tbl_period){20000101, TBL_DATE_OPEN};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_HCPCS};
    snprintf(r.u.hcpcs.code, 6, "G0008");
    r.u.hcpcs.period = (tbl_period){20000101, 20201231};
    add(b, &r);
    r = (tblsrc_rec){.kind = TBLSRC_OPPSCAP};
    snprintf(r.u.oppscap.code, 6, "70450");
    snprintf(r.u.oppscap.carrier, 6, "10112");
    snprintf(r.u.oppscap.locality, 3, "00");
    r.u.oppscap.fac_cents = 12345;
    r.u.oppscap.period = (tbl_period){0, TBL_DATE_OPEN};
    add(b, &r);
    tbl_source s = {.kind = "icd10cm", .name = "x.txt", .size = 10, .rows = 4};
    cr_assert_eq(tbl_build_source(b, &s), 0);
    tbl_table_stats st[TBL_TABLE_COUNT];
    int rc = tbl_build_write(b, dir, st);
    cr_assert_eq(rc, 0, "build: %s", claimd_strerror(rc));
    cr_assert_eq(st[TBL_ICD10CM].rows, 4);
    cr_assert_eq(st[TBL_ICD10CM].duplicates, 1);
    tbl_build_free(b);
}

/* ---- building and looking up ---------------------------------------- */

Test(tbl, build_and_lookup)
{
    char *dir = tpath("v1");
    build_small(dir, "v1");
    tbl_version *v;
    int rc = tbl_open(dir, TBL_OPEN_VERIFY, &v);
    cr_assert_eq(rc, 0, "open: %s", claimd_strerror(rc));

    const tbl_icd10 *icd;
    cr_assert_eq(tbl_icd10_get(v, "E119", 20220301, &icd), 0);
    cr_assert_eq(icd->billable, 1);
    cr_assert_eq(icd->period.to, 20220930);
    cr_assert_eq(tbl_icd10_get(v, "e119", 20230301, &icd), 0, "lower case, second period");
    cr_assert_eq(icd->period.from, 20221001);
    cr_assert_eq(tbl_icd10_get(v, "E119", 20240101, &icd), -CLAIMD_ETBL_NOT_EFFECTIVE);
    cr_assert_eq(tbl_icd10_get(v, "E11", 20220301, &icd), 0);
    cr_assert_eq(icd->billable, 0);
    cr_assert_eq(tbl_icd10_get(v, "Z999", 20220301, &icd), -CLAIMD_ETBL_NOT_FOUND);
    cr_assert_eq(tbl_icd10_get(v, "E1190000000", 20220301, &icd), -CLAIMD_ETBL_NOT_FOUND);
    cr_assert_eq(((uintptr_t)icd & 3), 0, "records are aligned in the map");

    const tbl_rvu *rvu;
    cr_assert_eq(tbl_rvu_get(v, "99213", "", 20250601, &rvu), 0);
    cr_assert_eq(rvu->work, 13000);
    cr_assert_eq(tbl_rvu_get(v, "93000", "26", 20250601, &rvu), 0);
    cr_assert_str_eq(rvu->mod, "26");
    cr_assert_eq(tbl_rvu_get(v, "93000", NULL, 20250601, &rvu), 0);
    cr_assert_str_eq(rvu->mod, "");
    cr_assert_eq(tbl_rvu_get(v, "93000", "59", 20250601, &rvu), -CLAIMD_ETBL_NOT_FOUND);
    cr_assert_eq(tbl_rvu_get(v, "99213", "", 20240601, &rvu), -CLAIMD_ETBL_NOT_EFFECTIVE);

    const tbl_ncci *nc;
    cr_assert_eq(tbl_ncci_get(v, "20611", "20610", 20250301, &nc), 0);
    cr_assert_eq(nc->mod_ind, 1);
    cr_assert_eq(tbl_ncci_get(v, "20610", "20611", 20250301, &nc), -CLAIMD_ETBL_NOT_FOUND);
    cr_assert_eq(tbl_ncci_get(v, "11042", "97597", 20240714, &nc), 0, "in force the day before");
    cr_assert_eq(tbl_ncci_get(v, "11042", "97597", 20240715, &nc), -CLAIMD_ETBL_NOT_EFFECTIVE,
                 "a deleted edit does not fire on or after its deletion date");
    cr_assert_eq(tbl_ncci_any(v, "20611"), 1);
    cr_assert_eq(tbl_ncci_any(v, "97597"), 1);

    const tbl_gpci *g;
    cr_assert_eq(tbl_gpci_get(v, "10112", "00", 20250301, &g), 0);
    cr_assert_eq(g->pe, 8690);
    cr_assert_eq(tbl_gpci_get(v, "10112", "01", 20250301, &g), -CLAIMD_ETBL_NOT_FOUND);
    const tbl_zip5 *z;
    cr_assert_eq(tbl_zip5_get(v, "35203", 20251101, &z), 0);
    cr_assert_str_eq(z->locality, "00");
    const tbl_zip9 *z9;
    cr_assert_eq(tbl_zip9_get(v, "35203", "1500", 20251101, &z9), 0);
    cr_assert_eq(tbl_zip9_get(v, "35203", "2000", 20251101, &z9), -CLAIMD_ETBL_NOT_FOUND);
    const tbl_mue *m;
    cr_assert_eq(tbl_mue_get(v, "20610", 20250301, &m), 0);
    cr_assert_eq(m->value, 2);
    cr_assert_eq(tbl_pos_valid(v, "11", 20250301), 1);
    cr_assert_eq(tbl_pos_valid(v, "12", 20250301), 0);
    cr_assert_eq(tbl_modifier_valid(v, "25", 20250301), 1, "CPT modifiers are built in");
    cr_assert_eq(tbl_modifier_valid(v, "LT", 20250301), 1, "HCPCS modifiers come along");
    cr_assert_eq(tbl_modifier_valid(v, "LT", 19990101), 0);
    cr_assert_eq(tbl_modifier_valid(v, "ZZ", 20250301), 0);
    const tbl_agesex *as;
    cr_assert_eq(tbl_agesex_get(v, "C61", 'F', 20250301, &as), 0);
    cr_assert_eq(as->sex, 'M');
    const tbl_hcpcs *h;
    cr_assert_eq(tbl_hcpcs_get(v, "G0008", 20250301, &h), -CLAIMD_ETBL_NOT_EFFECTIVE);
    const tbl_oppscap *op;
    cr_assert_eq(tbl_oppscap_get(v, "70450", "", "10112", "00", 20250301, &op), 0);
    cr_assert_eq(op->fac_cents, 12345);

    const void *recs;
    size_t n;
    cr_assert_eq(tbl_group(v, TBL_RVU, (const char *[]){"93000"}, 1, &recs, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(tbl_group(v, TBL_ICD10CM, (const char *[]){"E119"}, 1, &recs, &n), 0);
    cr_assert_eq(n, 2, "every period of the key");

    const tbl_info *in = tbl_version_info(v);
    cr_assert_str_eq(in->name, "v1");
    cr_assert_eq(in->nsources, 1);
    cr_assert_str_eq(in->sources[0].name, "x.txt");
    cr_assert_eq(in->tables[TBL_NCCI].rows, 3);

    char msg[256];
    rc = tbl_verify(v, msg, sizeof msg);
    cr_assert_eq(rc, 0, "verify: %s", msg);
    tbl_close(v);
    free(dir);
}

Test(tbl, btree_reader_matches_index)
{
    char *dir = tpath("v1");
    build_small(dir, "v1");
    tbl_version *v;
    cr_assert_eq(tbl_open(dir, 0, &v), 0);
    tbl_reader *rd;
    cr_assert_eq(tbl_reader_open(v, &rd), 0);
    uint64_t rows = 0;
    cr_assert_eq(
        tbl_reader_group(rd, TBL_NCCI, (const char *[]){"11042", "97597"}, 2, NULL, NULL, &rows),
        0);
    cr_assert_eq(rows, 1);
    cr_assert_eq(tbl_reader_group(rd, TBL_ICD10CM, (const char *[]){"E119"}, 1, NULL, NULL, &rows),
                 0);
    cr_assert_eq(rows, 2);
    tbl_reader_reset(rd);
    cr_assert_eq(tbl_reader_renew(rd), 0);
    cr_assert_eq(tbl_reader_group(rd, TBL_ICD10CM, (const char *[]){"NOPE"}, 1, NULL, NULL, &rows),
                 0);
    cr_assert_eq(rows, 0);
    cr_assert_eq(tbl_reader_group(rd, TBL_NCCI, (const char *[]){"1"}, 1, NULL, NULL, &rows),
                 -EINVAL);
    tbl_close(v); /* the reader still holds the version */
    cr_assert_eq(tbl_reader_group(rd, TBL_RVU, (const char *[]){"93000"}, 1, NULL, NULL, &rows), 0);
    cr_assert_eq(rows, 3);
    tbl_reader_close(rd);
    free(dir);
}

Test(tbl, errors)
{
    char *dir = tpath("v1");
    tbl_version *v;
    cr_assert_eq(tbl_open(dir, 0, &v), -CLAIMD_ETBL_NOT_VERSION);
    cr_assert_eq(tbl_open(tmpdir, 0, &v), -CLAIMD_ETBL_NOT_VERSION);
    build_small(dir, "v1");
    tbl_build *b;
    cr_assert_eq(tbl_build_create(NULL, &b), 0);
    add_icd(b, "A00", 0, 20211001, 20220930);
    cr_assert_eq(tbl_build_write(b, dir, NULL), -EEXIST, "a version is never overwritten");
    tblsrc_rec r = {.kind = TBLSRC_UNKNOWN};
    cr_assert_eq(tbl_build_add(b, &r), -CLAIMD_ETBL_NO_TABLE);
    tbl_build_free(b);
    cr_assert_eq(tbl_table_from_name("ncci-ptp"), TBL_NCCI);
    cr_assert_eq(tbl_table_from_name("nope"), -CLAIMD_ETBL_NO_TABLE);
    cr_assert_str_neq(claimd_strerror(-CLAIMD_ETBL_NOT_EFFECTIVE), "unknown error");
    free(dir);
}

/* Flips one byte inside each index's buckets: open with TBL_OPEN_VERIFY and
 * tbl_verify both notice. */
Test(tbl, damaged_index_is_refused)
{
    char *dir = tpath("v1");
    build_small(dir, "v1");
    char *file = tu_path(dir, "data.mdb");
    int fd = open(file, O_RDWR);
    cr_assert_geq(fd, 0);
    off_t len = lseek(fd, 0, SEEK_END);
    uint8_t *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    cr_assert_neq(p, MAP_FAILED);
    int hit = 0;
    for (off_t i = 0; i + 8 <= len; i += 16) /* index values start 16-aligned */
        if (memcmp(p + i, "CLBDIDX", 7) == 0) {
            p[i + 192 + 48 + 3] ^= 0x5a; /* past the 192-byte header: in the first slots */
            hit++;
        }
    munmap(p, (size_t)len);
    close(fd);
    cr_assert_gt(hit, 5);
    tbl_version *v;
    cr_assert_eq(tbl_open(dir, TBL_OPEN_VERIFY, &v), -CLAIMD_ETBL_BAD_INDEX);
    cr_assert_eq(tbl_open(dir, 0, &v), 0, "a plain open reads headers only");
    cr_assert_eq(tbl_version_check(v), -CLAIMD_ETBL_BAD_INDEX);
    char msg[256];
    cr_assert_eq(tbl_verify(v, msg, sizeof msg), -CLAIMD_ETBL_VERIFY);
    cr_assert(strstr(msg, "checksum"), "%s", msg);
    tbl_close(v);
    free(file);
    free(dir);
}

/* ---- versions under readers ------------------------------------------ */

typedef struct rd_arg {
    tbl_root *root;
    _Atomic int *stop;
    int seen[3];
    int bad;
    long batches;
} rd_arg;

static void *reader_main(void *p)
{
    rd_arg *a = p;
    tbl_version *v = tbl_root_acquire(a->root);
    while (!atomic_load(a->stop)) {
        tbl_root_update(a->root, &v); /* between batches */
        const tbl_pos *pos;
        if (tbl_pos_get(v, "99", 20250301, &pos) != 0) {
            a->bad++;
            continue;
        }
        int which = pos->name[1] - '0';
        a->seen[which % 3] = 1;
        for (int i = 0; i < 200; i++) { /* one batch: the same version throughout */
            const tbl_pos *again;
            const tbl_icd10 *icd;
            if (tbl_pos_get(v, "99", 20250301, &again) != 0 || again != pos ||
                strcmp(again->name, pos->name) != 0 ||
                tbl_icd10_get(v, "E119", 20220301, &icd) != 0 || icd->billable != 1)
                a->bad++;
        }
        a->batches++;
    }
    tbl_version_release(v);
    return NULL;
}

Test(tbl, version_switch_under_readers, .timeout = 60)
{
    char root[300], vdir[400];
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(vdir, sizeof vdir, "%s/versions", root);
    cr_assert_eq(mkdir(root, 0755), 0);
    cr_assert_eq(mkdir(vdir, 0755), 0);
    for (int i = 1; i <= 2; i++) {
        char d[500], m[8];
        snprintf(d, sizeof d, "%s/v%d", vdir, i);
        snprintf(m, sizeof m, "v%d", i);
        build_small(d, m);
    }
    cr_assert_eq(tbl_root_activate(root, "v1"), 0);
    cr_assert_eq(tbl_root_activate(root, "nope"), -CLAIMD_ETBL_NOT_VERSION);
    tbl_root *r;
    cr_assert_eq(tbl_root_open(root, &r), 0);
    _Atomic int stop = 0;
    rd_arg args[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        args[i] = (rd_arg){.root = r, .stop = &stop};
        cr_assert_eq(pthread_create(&th[i], NULL, reader_main, &args[i]), 0);
    }
    for (int round = 0; round < 20; round++) {
        usleep(5000);
        cr_assert_eq(tbl_root_activate(root, round % 2 ? "v1" : "v2"), 0);
        cr_assert_eq(tbl_root_poll(r), 1);
        cr_assert_eq(tbl_root_poll(r), 0);
    }
    usleep(5000);
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(args[i].bad, 0, "reader %d saw a mixed view", i);
        cr_assert_gt(args[i].batches, 0);
    }
    tbl_version *cur = tbl_root_acquire(r);
    const tbl_pos *pos;
    cr_assert_eq(tbl_pos_get(cur, "99", 20250301, &pos), 0);
    cr_assert_str_eq(pos->name, "v1", "the last activated version is current");
    tbl_version_release(cur);
    tbl_root_close(r);
    /* ROOT works wherever a version directory does */
    tbl_version *v;
    cr_assert_eq(tbl_open(root, 0, &v), 0);
    cr_assert_str_eq(tbl_version_info(v)->name, "v1");
    tbl_close(v);
}

/* ---- claimdb ------------------------------------------------------- */

static const char *claimdb_bin(void)
{
    static char p[512];
    const char *b = getenv("CLAIMD_BUILD_DIR");
    snprintf(p, sizeof p, "%s/tools/claimdb/claimdb", b ? b : ".");
    return access(p, X_OK) == 0 ? p : NULL;
}

/* Runs a shell command; returns its exit status and its stdout in out. */
__attribute__((format(printf, 3, 4))) static int run(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t n = out ? fread(out, 1, outlen - 1, f) : 0;
    if (out)
        out[n] = 0;
    else {
        char sink[4096];
        while (fread(sink, 1, sizeof sink, f) > 0)
            ;
    }
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *starter(const char *name)
{
    static char p[8][512];
    static int i;
    const char *src = getenv("CLAIMD_SOURCE_DIR");
    char *q = p[i++ % 8];
    snprintf(q, 512, "%s/data/starter/%s", src ? src : ".", name);
    return q;
}

Test(tbl, claimdb_build_get_verify_starter, .timeout = 120)
{
    const char *cdb = claimdb_bin();
    if (!cdb)
        cr_skip_test("claimdb is not built");
    if (access(starter("ncci_ptp.txt"), R_OK) != 0)
        cr_skip_test("data/starter is absent");
    char out[8192];
    char *dir = tpath("s");
    int rc = run(out, sizeof out,
                 "%s build --out %s --name starter --icd10cm %s --pprrvu %s@20250101:20251231 "
                 "--ncci-ptp %s --mue %s@20250101:20251231 --pos %s --modifiers %s 2>&1",
                 cdb, dir, starter("icd10cm_order_2025.txt"), starter("pprrvu.csv"),
                 starter("ncci_ptp.txt"), starter("mue.csv"), starter("pos.txt"),
                 starter("modifiers.txt"));
    cr_assert_eq(rc, 0, "claimdb build: %s", out);
    cr_assert_eq(run(out, sizeof out, "%s verify %s 2>&1", cdb, dir), 0, "%s", out);
    cr_assert_eq(
        run(out, sizeof out, "%s get %s ncci 20611:20610 --date 20250301 --json", cdb, dir), 0,
        "%s", out);
    cr_assert(strstr(out, "\"found\":true"), "%s", out);
    cr_assert(strstr(out, "\"modifier_indicator\":"), "%s", out);
    cr_assert_eq(run(out, sizeof out, "%s get %s pprrvu 99213 --json", cdb, dir), 0, "%s", out);
    cr_assert(strstr(out, "\"periods\":[{"), "%s", out);
    cr_assert(strstr(out, "\"work_rvu\":1.30"), "%s", out);
    cr_assert_eq(run(out, sizeof out, "%s get %s icd10cm ZZZ999 --json 2>/dev/null", cdb, dir), 1);
    cr_assert(strstr(out, "\"found\":false"), "%s", out);
    cr_assert_eq(run(out, sizeof out, "%s get %s pprrvu 99213 --date 20200101 2>&1", cdb, dir), 1);
    cr_assert(strstr(out, "not effective"), "%s", out);
    cr_assert_eq(run(out, sizeof out, "%s info %s --json", cdb, dir), 0);
    cr_assert(strstr(out, "\"checksum\":\"xxh3-128:"), "%s", out);
    cr_assert(strstr(out, "\"ncci\":{\"rows\":"), "%s", out);
    free(dir);
}

Test(tbl, claimdb_failed_build_leaves_nothing, .timeout = 60)
{
    const char *cdb = claimdb_bin();
    if (!cdb)
        cr_skip_test("claimdb is not built");
    if (access(starter("pos.txt"), R_OK) != 0)
        cr_skip_test("data/starter is absent");
    char out[4096];
    char *dir = tpath("bad");
    /* a POS file given to --icd10cm is refused */
    int rc = run(out, sizeof out, "%s build --out %s --pos %s --icd10cm %s 2>&1", cdb, dir,
                 starter("pos.txt"), starter("pos.txt"));
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert_eq(access(dir, F_OK), -1, "no version left behind");
    /* a row that does not parse names its file and line */
    char *bad = tpath("bad_ncci.txt");
    char cmd[1024];
    snprintf(
        cmd, sizeof cmd,
        "head -8 '%s' > '%s' && printf '20611\\t20610\\t\\tnotadate\\t*\\t1\\tx\\r\\n' >> '%s'",
        starter("ncci_ptp.txt"), bad, bad);
    cr_assert_eq(system(cmd), 0);
    rc = run(out, sizeof out, "%s build --out %s --ncci-ptp %s 2>&1", cdb, dir, bad);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "bad_ncci.txt:"), "%s", out);
    cr_assert_eq(access(dir, F_OK), -1);
    free(bad);
    free(dir);
}

/* ---- the real files ---------------------------------------------------- */

Test(tbl, real_cms_files, .timeout = 300)
{
    TU_NEED_SHARED_DATA(data);
    const char *cdb = claimdb_bin();
    if (!cdb)
        cr_skip_test("claimdb is not built");
    char out[16384];
    char *dir = tpath("real");
    int rc = run(out, sizeof out,
                 "%s build --out %s --icd10cm %s/cms/icd10cm/icd10cm_order_2022.txt "
                 "--hcpcs %s/cms/hcpcs/HCPC2020_ANWEB_w_disclaimer.txt "
                 "--pprrvu %s/cms/mpfs/PPRRVU2025_Oct.csv --gpci %s/cms/mpfs/GPCI2025.csv "
                 "--zip5 %s/cms/mpfs/ZIP5_OCT2025.txt 2>&1",
                 cdb, dir, data, data, data, data, data);
    cr_assert_eq(rc, 0, "claimdb build: %s", out);
    tbl_version *v;
    cr_assert_eq(tbl_open(dir, TBL_OPEN_VERIFY, &v), 0);
    const tbl_icd10 *icd;
    cr_assert_eq(tbl_icd10_get(v, "E119", 20220301, &icd), 0);
    cr_assert_eq(icd->billable, 1);
    cr_assert_eq(tbl_icd10_get(v, "A00", 20220301, &icd), 0);
    cr_assert_eq(icd->billable, 0, "A00 is a header");
    const void *recs;
    size_t n;
    cr_assert_eq(tbl_group(v, TBL_RVU, (const char *[]){"99213"}, 1, &recs, &n), 0);
    const tbl_rvu *rv = recs;
    const tbl_rvu *r = NULL;
    for (size_t i = 0; i < n; i++)
        if (!rv[i].mod[0])
            r = &rv[i];
    cr_assert_not_null(r);
    cr_assert_eq(r->work, 13000);
    cr_assert_eq(r->pe_nonfac, 13500);
    cr_assert_eq(r->pe_fac, 5700);
    cr_assert_eq(r->mp, 1000);
    const tbl_rvu *r2;
    cr_assert_eq(tbl_rvu_get(v, "99213", "", r->period.from, &r2), 0);
    cr_assert_eq(r2, r, "the typed lookup finds the same record");
    cr_assert_eq(tbl_group(v, TBL_GPCI, (const char *[]){"10112", "00"}, 2, &recs, &n), 0);
    const tbl_gpci *g = recs;
    cr_assert_eq(g->work, 10000);
    cr_assert_eq(g->pe, 8690);
    cr_assert_eq(g->mp, 5750);
    cr_assert_eq(tbl_group(v, TBL_ZIP5, (const char *[]){"35203"}, 1, &recs, &n), 0);
    const tbl_zip5 *z = recs;
    cr_assert_str_eq(z->carrier, "10112");
    cr_assert_str_eq(z->locality, "00");
    const tbl_hcpcs *h;
    cr_assert_eq(tbl_group(v, TBL_HCPCS, (const char *[]){"G0008"}, 1, &recs, &n), 0);
    h = recs;
    cr_assert_eq(h->is_modifier, 0);
    cr_assert_eq(tbl_modifier_valid(v, "LT", 20220301), 1);
    cr_assert_eq(tbl_modifier_valid(v, "25", 20220301), 1);
    char msg[256];
    cr_assert_eq(tbl_verify(v, msg, sizeof msg), 0, "%s", msg);
    tbl_close(v);
    cr_assert_eq(run(out, sizeof out, "%s get %s icd10cm E119 --date 20220301 --json", cdb, dir),
                 0);
    cr_assert(strstr(out, "\"billable\":true"), "%s", out);
    cr_assert_eq(run(out, sizeof out, "%s get %s icd10cm A00 --date 20220301 --json", cdb, dir), 0);
    cr_assert(strstr(out, "\"billable\":false"), "%s", out);
    free(dir);
}
