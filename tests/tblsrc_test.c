/* tblsrc_: the importers of the publishers' reference files, on small
 * fixtures in their exact layouts (tests/fixtures/tables) and, when present,
 * on the real public files of ../shared/data. */
#include "claimd/error.h"
#include "claimd/tblsrc.h"
#include "testutil.h"

#include <errno.h>
#include <string.h>

#define KEEP 64

/* Keeps the first KEEP records and counts them all. */
typedef struct sink {
    tblsrc_rec rec[KEEP];
    size_t kept;
    uint64_t total;
    uint64_t stop_after; /* 0: never stop */
} sink;

static int sink_emit(void *ctx, const tblsrc_rec *rec)
{
    sink *s = ctx;
    if (s->kept < KEEP)
        s->rec[s->kept++] = *rec;
    s->total++;
    return s->stop_after && s->total >= s->stop_after ? 7 : 0;
}

static char *fixture(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tables/%s", name);
    char *path = tu_path(tu_fixtures(), rel);
    char *buf = tu_slurp(path, len);
    cr_assert_not_null(buf, "fixture %s missing", path);
    free(path);
    return buf;
}

typedef struct run {
    int rc;
    sink s;
    tblsrc_stats st;
    tblsrc_err err;
} run;

static run *import_as(const char *name, tblsrc_kind kind, uint32_t from, uint32_t to)
{
    static run r;
    memset(&r, 0, sizeof r);
    size_t len;
    char *buf = fixture(name, &len);
    tblsrc_opts o = {.kind = kind, .period = {from, to}, .name = name};
    r.rc = tblsrc_import(buf, len, &o, sink_emit, &r.s, &r.st, &r.err);
    free(buf);
    return &r;
}

static run *import_ok(const char *name, tblsrc_kind kind)
{
    run *r = import_as(name, kind, 0, 0);
    cr_assert_eq(r->rc, 0, "%s: rc %d (%s) line %llu col %u: %s", name, r->rc,
                 claimd_strerror(r->rc), (unsigned long long)r->err.line, r->err.column,
                 r->err.why);
    cr_assert_eq(r->st.rows, r->s.total);
    return r;
}

static void expect_bad_row(const char *name, tblsrc_kind kind, uint64_t line, uint32_t col,
                           const char *why_part)
{
    /* an explicit period: these names carry none, and the row must still fail */
    run *r = import_as(name, kind, 20250101, 20251231);
    cr_assert_eq(r->rc, -CLAIMD_ETBL_BAD_ROW, "%s: rc %d", name, r->rc);
    cr_assert_eq(r->err.line, line, "%s: line %llu, want %llu (%s)", name,
                 (unsigned long long)r->err.line, (unsigned long long)line, r->err.why);
    cr_assert_eq(r->err.column, col, "%s: column %u, want %u (%s)", name, r->err.column, col,
                 r->err.why);
    cr_assert(strstr(r->err.why, why_part), "%s: why '%s' lacks '%s'", name, r->err.why, why_part);
}

/* The kept record whose first code field is code (ICD, HCPCS, RVU ...). */
static const tblsrc_rec *find(const sink *s, const char *code, const char *mod)
{
    for (size_t i = 0; i < s->kept; i++) {
        const tblsrc_rec *r = &s->rec[i];
        const char *c = NULL, *m = NULL;
        switch (r->kind) {
        case TBLSRC_ICD10CM:
            c = r->u.icd10.code;
            break;
        case TBLSRC_HCPCS:
            c = r->u.hcpcs.code;
            break;
        case TBLSRC_PPRRVU:
            c = r->u.rvu.code;
            m = r->u.rvu.mod;
            break;
        case TBLSRC_GPCI:
            c = r->u.gpci.state;
            break;
        case TBLSRC_ZIP5:
            c = r->u.zip5.zip;
            break;
        case TBLSRC_ZIP9:
            c = r->u.zip9.zip;
            m = r->u.zip9.plus4_lo;
            break;
        case TBLSRC_NCCI_PTP:
            c = r->u.ncci.col1;
            m = r->u.ncci.col2;
            break;
        case TBLSRC_MUE:
            c = r->u.mue.code;
            break;
        case TBLSRC_POS:
            c = r->u.pos.code;
            break;
        case TBLSRC_AGESEX:
            c = r->u.agesex.code;
            break;
        case TBLSRC_MODIFIERS:
            c = r->u.modifier.code;
            break;
        case TBLSRC_OPPSCAP:
            c = r->u.oppscap.code;
            m = r->u.oppscap.mod;
            break;
        default:
            break;
        }
        if (c && strcmp(c, code) == 0 && (!mod || (m && strcmp(m, mod) == 0)))
            return r;
    }
    cr_assert_fail("no record %s %s", code, mod ? mod : "");
    return NULL;
}

/* ---- names and detection ---------------------------------------------- */

Test(tblsrc, kind_names)
{
    cr_assert_str_eq(tblsrc_kind_name(TBLSRC_ICD10CM), "icd10cm");
    cr_assert_str_eq(tblsrc_kind_name(TBLSRC_NCCI_PTP), "ncci");
    cr_assert_str_eq(tblsrc_kind_name(TBLSRC_MODIFIERS), "modifiers");
    cr_assert_str_eq(tblsrc_kind_name(TBLSRC_OPPSCAP), "oppscap");
    cr_assert_str_eq(tblsrc_kind_name((tblsrc_kind)99), "unknown");
}

typedef struct detect_case {
    const char *file;
    tblsrc_kind kind;
} detect_case;

static const detect_case detect_cases[] = {
    {"icd10cm_order_2023.txt", TBLSRC_ICD10CM},
    {"icd10cm_crlf_bom.txt", TBLSRC_ICD10CM},
    {"hcpcs_mini.txt", TBLSRC_HCPCS},
    {"zip5_mini.txt", TBLSRC_ZIP5},
    {"zip9_mini.txt", TBLSRC_ZIP9},
    {"PPRRVU2025_Oct_mini.csv", TBLSRC_PPRRVU},
    {"pprrvu_reordered_2024.csv", TBLSRC_PPRRVU},
    {"GPCI2025_mini.csv", TBLSRC_GPCI},
    {"OPPSCAP_mini.csv", TBLSRC_OPPSCAP},
    {"ccipra-v311r0-f1_mini.txt", TBLSRC_NCCI_PTP},
    {"ccipra_one_line_header.txt", TBLSRC_NCCI_PTP},
    {"MCR_MUE_PractitionerServices_Eff_2025-01-01.csv", TBLSRC_MUE},
    {"pos_named.txt", TBLSRC_POS},
    {"agesex.csv", TBLSRC_AGESEX},
    {"agesex_noheader.csv", TBLSRC_AGESEX},
    {"modifiers.txt", TBLSRC_MODIFIERS},
};

Test(tblsrc, detect_every_fixture)
{
    for (size_t i = 0; i < sizeof detect_cases / sizeof detect_cases[0]; i++) {
        size_t len;
        char *buf = fixture(detect_cases[i].file, &len);
        tblsrc_kind k = tblsrc_detect(buf, len);
        cr_expect_eq(k, detect_cases[i].kind, "%s detected as %s, want %s", detect_cases[i].file,
                     tblsrc_kind_name(k), tblsrc_kind_name(detect_cases[i].kind));
        free(buf);
    }
    cr_assert_eq(tblsrc_detect("", 0), TBLSRC_UNKNOWN);
    cr_assert_eq(tblsrc_detect("hello, world\nthis is prose\n", 27), TBLSRC_UNKNOWN);
}

typedef struct wrong_case {
    const char *file;
    tblsrc_kind given;
    const char *seen; /* the kind name the message must carry */
} wrong_case;

static const wrong_case wrong_cases[] = {
    {"GPCI2025_mini.csv", TBLSRC_PPRRVU, "gpci"},
    {"PPRRVU2025_Oct_mini.csv", TBLSRC_OPPSCAP, "pprrvu"},
    {"OPPSCAP_mini.csv", TBLSRC_PPRRVU, "oppscap"},
    {"icd10cm_order_2023.txt", TBLSRC_HCPCS, "icd10cm"},
    {"hcpcs_mini.txt", TBLSRC_ICD10CM, "hcpcs"},
    {"zip9_mini.txt", TBLSRC_ZIP5, "zip9"},
    {"zip5_mini.txt", TBLSRC_ZIP9, "zip5"},
    {"ccipra-v311r0-f1_mini.txt", TBLSRC_MUE, "ncci"},
    {"MCR_MUE_PractitionerServices_Eff_2025-01-01.csv", TBLSRC_NCCI_PTP, "mue"},
    {"modifiers.txt", TBLSRC_POS, "modifiers"},
    {"pos_named.txt", TBLSRC_AGESEX, "pos"},
    {"agesex.csv", TBLSRC_MODIFIERS, "agesex"},
};

Test(tblsrc, wrong_flag_is_refused_naming_the_kind)
{
    for (size_t i = 0; i < sizeof wrong_cases / sizeof wrong_cases[0]; i++) {
        const wrong_case *w = &wrong_cases[i];
        run *r = import_as(w->file, w->given, 0, 0);
        cr_expect_eq(r->rc, -CLAIMD_ETBL_WRONG_KIND, "%s as %s: rc %d", w->file,
                     tblsrc_kind_name(w->given), r->rc);
        cr_expect(strstr(r->err.why, w->seen), "%s: '%s' does not name %s", w->file, r->err.why,
                  w->seen);
        cr_expect_eq(r->s.total, 0, "%s: records emitted before the refusal", w->file);
    }
}

Test(tblsrc, numeric_modifier_list_is_not_refused_as_pos)
{
    const char *buf = "22\n25\n59\n";
    sink s = {0};
    tblsrc_opts o = {.kind = TBLSRC_MODIFIERS};
    cr_assert_eq(tblsrc_detect(buf, strlen(buf)), TBLSRC_POS);
    cr_assert_eq(tblsrc_import(buf, strlen(buf), &o, sink_emit, &s, NULL, NULL), 0);
    cr_assert_eq(s.total, 3);
}

/* ---- ICD-10-CM ---------------------------------------------------------- */

Test(tblsrc, icd10cm_fixture_lf_latin1_no_final_newline)
{
    run *r = import_ok("icd10cm_order_2023.txt", TBLSRC_ICD10CM);
    cr_assert_eq(r->s.total, 6);
    unsigned billable = 0;
    for (size_t i = 0; i < r->s.kept; i++)
        billable += r->s.rec[i].u.icd10.billable;
    cr_assert_eq(billable, 4);
    cr_assert_eq(find(&r->s, "E119", NULL)->u.icd10.billable, 1);
    cr_assert_eq(find(&r->s, "A00", NULL)->u.icd10.billable, 0);
    cr_assert_str_eq(find(&r->s, "M3500", NULL)->u.icd10.short_desc,
                     "Sj\xf6gren syndrome, unspecified");
    const tbl_icd10 *s7 = &find(&r->s, "S72001A", NULL)->u.icd10;
    cr_assert_eq(strlen(s7->short_desc), 50);
    cr_assert_eq(s7->period.from, 20221001);
    cr_assert_eq(s7->period.to, 20230930);
    cr_assert_eq(r->st.period.from, 20221001);
    cr_assert_eq(r->st.period.to, 20230930);
}

Test(tblsrc, icd10cm_crlf_bom_explicit_period)
{
    run *r = import_as("icd10cm_crlf_bom.txt", TBLSRC_ICD10CM, 20241001, 20250930);
    cr_assert_eq(r->rc, 0, "%s", r->err.why);
    cr_assert_eq(r->s.total, 6);
    cr_assert_eq(r->st.skipped, 1);
    cr_assert_str_eq(r->s.rec[0].u.icd10.code, "A00");
    cr_assert_eq(find(&r->s, "E119", NULL)->u.icd10.period.from, 20241001);
}

Test(tblsrc, icd10cm_without_year_asks_for_a_period)
{
    size_t len;
    char *buf = fixture("icd10cm_crlf_bom.txt", &len);
    sink s = {0};
    tblsrc_err err = {0};
    tblsrc_opts o = {.kind = TBLSRC_ICD10CM, .name = "icd10cm_order.txt"};
    cr_assert_eq(tblsrc_import(buf, len, &o, sink_emit, &s, NULL, &err), -CLAIMD_ETBL_NO_PERIOD);
    cr_assert(strstr(err.why, "FILE@YYYYMMDD:YYYYMMDD"), "%s", err.why);
    cr_assert_eq(s.total, 0);
    free(buf);
}

Test(tblsrc, icd10cm_bad_rows)
{
    expect_bad_row("icd10cm_bad_flag.txt", TBLSRC_ICD10CM, 3, 15, "billable flag");
    expect_bad_row("icd10cm_truncated.txt", TBLSRC_ICD10CM, 4, 41, "long description");
}

/* ---- HCPCS ---------------------------------------------------------------- */

Test(tblsrc, hcpcs_fixture)
{
    run *r = import_ok("hcpcs_mini.txt", TBLSRC_HCPCS);
    cr_assert_eq(r->s.total, 6);
    cr_assert_eq(r->st.skipped, 5); /* the disclaimer lines */
    unsigned mods = 0;
    for (size_t i = 0; i < r->s.kept; i++)
        mods += r->s.rec[i].u.hcpcs.is_modifier;
    cr_assert_eq(mods, 3);
    const tbl_hcpcs *lt = &find(&r->s, "LT", NULL)->u.hcpcs;
    cr_assert(lt->is_modifier);
    cr_assert_str_eq(lt->short_desc, "Left side");
    cr_assert_eq(lt->add_date, 19840101);
    cr_assert_eq(lt->period.to, TBL_DATE_OPEN);
    const tbl_hcpcs *g = &find(&r->s, "G0101", NULL)->u.hcpcs;
    cr_assert_not(g->is_modifier);
    cr_assert_eq(g->action, 'D');
    cr_assert_eq(g->term_date, 20191231);
    cr_assert_eq(g->period.from, 19980101);
    cr_assert_eq(g->period.to, 20191231);
    cr_assert_eq(find(&r->s, "A4209", NULL)->u.hcpcs.action_eff_date, 20080101);
    cr_assert_eq(r->st.period.from, 0); /* rows carry their own periods */
}

Test(tblsrc, hcpcs_explicit_period_clips_rows)
{
    run *r = import_as("hcpcs_mini.txt", TBLSRC_HCPCS, 20200101, 20201231);
    cr_assert_eq(r->rc, 0);
    const tbl_hcpcs *g = &find(&r->s, "G0101", NULL)->u.hcpcs;
    cr_assert_eq(g->period.from, 20200101);
    cr_assert_eq(g->period.to, 20191231); /* terminated before: never in force */
    cr_assert_eq(find(&r->s, "RT", NULL)->u.hcpcs.period.to, 20201231);
}

Test(tblsrc, hcpcs_bad_rows)
{
    expect_bad_row("hcpcs_orphan.txt", TBLSRC_HCPCS, 8, 11, "does not follow");
    expect_bad_row("hcpcs_truncated.txt", TBLSRC_HCPCS, 8, 151, "add date");
}

/* ---- ZIP5 / ZIP9 ---------------------------------------------------------- */

Test(tblsrc, zip5_fixture)
{
    run *r = import_ok("zip5_mini.txt", TBLSRC_ZIP5);
    cr_assert_eq(r->s.total, 5);
    const tbl_zip5 *z = &find(&r->s, "35203", NULL)->u.zip5;
    cr_assert_str_eq(z->carrier, "10112");
    cr_assert_str_eq(z->locality, "00");
    cr_assert_str_eq(z->state, "AL");
    cr_assert_eq(z->yearq, 20254);
    cr_assert_eq(z->period.from, 20250101);
    cr_assert_eq(z->period.to, 20251231);
    cr_assert_str_eq(z->lab_cb, "Z9");
    cr_assert_eq(z->partb, 'A');
    cr_assert_eq(find(&r->s, "10001", NULL)->u.zip5.plus4, 1);
    cr_assert_eq(find(&r->s, "99501", NULL)->u.zip5.rural, 'B');
    cr_assert_eq(find(&r->s, "83127", NULL)->u.zip5.rural, 'R');
    cr_assert_eq(r->st.period.from, 20250101);
}

Test(tblsrc, zip5_bad_carrier)
{
    expect_bad_row("zip5_bad.txt", TBLSRC_ZIP5, 3, 8, "carrier");
}

/* A year/quarter beyond 2099 used to wrap yearq (uint16_t): 74891 became year
 * 935, a period of no real days (found by fuzz_tblsrc; the reproducer is
 * tests/fuzz/regressions/fuzz_tblsrc/zip5-yearq-wraps). Years 1980-2099 only. */
Test(tblsrc, zip_yearq_range)
{
    static const char *const yq[] = {"74891", "21001", "19794", "20250", "20255"};
    for (size_t i = 0; i < sizeof yq / sizeof yq[0]; i++) {
        for (int k = TBLSRC_ZIP5; k <= TBLSRC_ZIP9; k++) {
            char rec[81];
            memset(rec, ' ', 80);
            memcpy(rec, "AL352031011200", 14);
            memcpy(rec + 20, k == TBLSRC_ZIP9 ? "12345" : "0", k == TBLSRC_ZIP9 ? 5 : 1);
            memcpy(rec + 75, yq[i], 5);
            rec[80] = '\n';
            tblsrc_opts o = {.kind = (tblsrc_kind)k};
            sink s = {0};
            tblsrc_err err = {0};
            cr_assert_eq(tblsrc_import(rec, 81, &o, sink_emit, &s, NULL, &err),
                         -CLAIMD_ETBL_BAD_ROW, "%s as %s", yq[i], tblsrc_kind_name(k));
            cr_assert_eq(err.line, 1);
            cr_assert_eq(err.column, 76, "%s: column %u", yq[i], err.column);
            cr_assert_eq(s.total, 0);
        }
    }
    char rec[81];
    memset(rec, ' ', 80);
    memcpy(rec, "AL352031011200", 14);
    rec[20] = '0';
    memcpy(rec + 75, "20994", 5);
    rec[80] = '\n';
    tblsrc_opts o = {.kind = TBLSRC_ZIP5};
    sink s = {0};
    cr_assert_eq(tblsrc_import(rec, 81, &o, sink_emit, &s, NULL, NULL), 0);
    cr_assert_eq(s.rec[0].u.zip5.yearq, 20994);
    cr_assert_eq(s.rec[0].u.zip5.period.from, 20990101);
}

Test(tblsrc, zip9_fixture)
{
    run *r = import_ok("zip9_mini.txt", TBLSRC_ZIP9);
    cr_assert_eq(r->s.total, 2);
    const tbl_zip9 *z = &find(&r->s, "10001", "5000")->u.zip9;
    cr_assert_str_eq(z->plus4_hi, "5000");
    cr_assert_str_eq(z->carrier, "13292");
    cr_assert_eq(z->period.from, 20250101);
    cr_assert_eq(z->period.to, 20251231);
    cr_assert_eq(r->st.period.from, 20250101); /* two quarters of one year: one period */
}

/* ---- PPRRVU --------------------------------------------------------------- */

Test(tblsrc, pprrvu_fixture_bom_crlf_quoted_newline_footnotes)
{
    run *r = import_ok("PPRRVU2025_Oct_mini.csv", TBLSRC_PPRRVU);
    cr_assert_eq(r->s.total, 7);
    const tbl_rvu *v = &find(&r->s, "99213", "")->u.rvu;
    cr_assert_eq(v->work, 13000);
    cr_assert_eq(v->pe_nonfac, 13500);
    cr_assert_eq(v->pe_fac, 5700);
    cr_assert_eq(v->mp, 1000);
    cr_assert_eq(v->total_nonfac, 27500);
    cr_assert_eq(v->total_fac, 19700);
    cr_assert_eq(v->conv_factor, 323465);
    cr_assert_eq(v->status, 'A');
    cr_assert_str_eq(v->glob_days, "XXX");
    cr_assert_str_eq(v->img_family, "99");
    cr_assert_eq(v->period.from, 20251001);
    cr_assert_eq(v->period.to, 20251231);
    const tbl_rvu *k = &find(&r->s, "27447", "")->u.rvu;
    cr_assert_eq(k->na_nonfac, 1);
    cr_assert_eq(k->na_fac, 0);
    cr_assert_eq(k->mult_proc, 2);
    cr_assert_eq(k->bilat, 1);
    cr_assert_str_eq(k->glob_days, "090");
    cr_assert_eq(k->intra_op, 8000);
    const tbl_rvu *tc = &find(&r->s, "71046", "TC")->u.rvu;
    cr_assert_eq(tc->not_used_medicare, 1);
    cr_assert_eq(tc->pctc, 1);
    cr_assert_eq(tc->opps_pe_nonfac, 4800);
    cr_assert_eq(find(&r->s, "71046", "26")->u.rvu.work, 2200);
    cr_assert_str_eq(find(&r->s, "43239", "")->u.rvu.endo_base, "43235");
    cr_assert_eq(r->st.mismatches, 1); /* 43239's facility total is off by 0.01 */
    cr_assert_eq(r->st.skipped, 11);   /* 9 banner/header rows, 2 trailing */
    cr_assert_eq(r->st.period.from, 20251001);
}

Test(tblsrc, pprrvu_columns_found_by_name)
{
    run *r = import_ok("pprrvu_reordered_2024.csv", TBLSRC_PPRRVU);
    cr_assert_eq(r->s.total, 3);
    const tbl_rvu *v = &find(&r->s, "99213", "")->u.rvu;
    cr_assert_eq(v->work, 13000);
    cr_assert_eq(v->pe_nonfac, 13500);
    cr_assert_eq(v->pe_fac, 5700);
    cr_assert_eq(v->mp, 1000);
    cr_assert_eq(v->conv_factor, 323465);
    cr_assert_eq(v->period.from, 20240101);
    cr_assert_eq(v->period.to, 20241231);
    cr_assert_eq(r->st.mismatches, 0);
}

Test(tblsrc, pprrvu_explicit_period_wins)
{
    run *r = import_as("PPRRVU2025_Oct_mini.csv", TBLSRC_PPRRVU, 20250701, 20250930);
    cr_assert_eq(r->rc, 0);
    cr_assert_eq(r->st.period.from, 20250701);
    cr_assert_eq(find(&r->s, "99213", "")->u.rvu.period.to, 20250930);
}

Test(tblsrc, pprrvu_bad_rows)
{
    expect_bad_row("pprrvu_bad_rvu.csv", TBLSRC_PPRRVU, 14, 14, "WORK RVU");
    expect_bad_row("pprrvu_truncated.csv", TBLSRC_PPRRVU, 14, 31, "ends before");
    expect_bad_row("pprrvu_unclosed_quote.csv", TBLSRC_PPRRVU, 11, 8, "never closed");
}

Test(tblsrc, pprrvu_without_header)
{
    const char *buf = "just,a,csv\n1,2,3\n";
    tblsrc_err err = {0};
    sink s = {0};
    tblsrc_opts o = {.kind = TBLSRC_PPRRVU, .period = {20250101, 20251231}};
    cr_assert_eq(tblsrc_import(buf, strlen(buf), &o, sink_emit, &s, NULL, &err),
                 -CLAIMD_ETBL_NO_HEADER);
    cr_assert(strstr(err.why, "PPRRVU"), "%s", err.why);
}

/* ---- GPCI, OPPSCAP ------------------------------------------------------- */

Test(tblsrc, gpci_fixture)
{
    run *r = import_ok("GPCI2025_mini.csv", TBLSRC_GPCI);
    cr_assert_eq(r->s.total, 4);
    const tbl_gpci *g = &find(&r->s, "AL", NULL)->u.gpci;
    cr_assert_str_eq(g->carrier, "10112");
    cr_assert_str_eq(g->locality, "00");
    cr_assert_eq(g->work, 10000);
    cr_assert_eq(g->pe, 8690);
    cr_assert_eq(g->mp, 5750);
    cr_assert_eq(g->period.from, 20250101);
    cr_assert_eq(g->period.to, 20251231);
    cr_assert_eq(find(&r->s, "AK", NULL)->u.gpci.work, 15000);
    const char *sf = find(&r->s, "CA", NULL)->u.gpci.name;
    cr_assert_eq(strlen(sf), 82, "%s", sf);
    cr_assert_eq(r->st.skipped, 6);
}

Test(tblsrc, oppscap_fixture)
{
    run *r = import_ok("OPPSCAP_mini.csv", TBLSRC_OPPSCAP);
    cr_assert_eq(r->s.total, 3);
    const tbl_oppscap *o = &find(&r->s, "0633T", "TC")->u.oppscap;
    cr_assert_str_eq(o->carrier, "01112");
    cr_assert_str_eq(o->locality, "05");
    cr_assert_eq(o->fac_cents, 15069);
    cr_assert_eq(o->nonfac_cents, 15069);
    cr_assert_eq(o->procstat, 'C');
    const tbl_oppscap *h = &find(&r->s, "70450", "")->u.oppscap;
    cr_assert_eq(h->fac_cents, 9950);
    cr_assert_eq(h->nonfac_cents, 12007);
    cr_assert_eq(h->period.from, 0);
    cr_assert_eq(h->period.to, TBL_DATE_OPEN);
    cr_assert_eq(r->st.skipped, 2);
}

/* ---- NCCI PTP ------------------------------------------------------------- */

Test(tblsrc, ncci_cms_stacked_header)
{
    run *r = import_ok("ccipra-v311r0-f1_mini.txt", TBLSRC_NCCI_PTP);
    cr_assert_eq(r->s.total, 6);
    cr_assert_eq(r->st.skipped, 6);
    const tbl_ncci *a = &find(&r->s, "10061", "10060")->u.ncci;
    cr_assert_eq(a->pre1996, 1);
    cr_assert_eq(a->mod_ind, 0);
    cr_assert_eq(a->eff_date, 19960101);
    cr_assert_eq(a->del_date, 0);
    cr_assert_eq(a->period.to, TBL_DATE_OPEN);
    const tbl_ncci *d = &find(&r->s, "11042", "12001")->u.ncci;
    cr_assert_eq(d->del_date, 20200101);
    cr_assert_eq(d->period.from, 19960101);
    cr_assert_eq(d->period.to, 20191231);
    cr_assert_eq(d->mod_ind, 1);
    cr_assert_eq(find(&r->s, "20610", "J1030")->u.ncci.mod_ind, 9);
    cr_assert_eq(find(&r->s, "93000", "93005")->u.ncci.pre1996, 0);
    const tbl_ncci *z = &find(&r->s, "99284", "93005")->u.ncci;
    cr_assert_eq(z->period.from, 20240301);
    cr_assert_eq(z->period.to, 20240229); /* deleted the day it took effect */
    cr_assert_eq(r->st.period.from, 0);
}

Test(tblsrc, ncci_one_line_header)
{
    run *r = import_ok("ccipra_one_line_header.txt", TBLSRC_NCCI_PTP);
    cr_assert_eq(r->s.total, 2);
    cr_assert_eq(find(&r->s, "11042", "12001")->u.ncci.period.to, 20200229);
}

Test(tblsrc, ncci_explicit_period_bounds_rows)
{
    run *r = import_as("ccipra-v311r0-f1_mini.txt", TBLSRC_NCCI_PTP, 20250101, 20250331);
    cr_assert_eq(r->rc, 0);
    const tbl_ncci *a = &find(&r->s, "10061", "10060")->u.ncci;
    cr_assert_eq(a->period.from, 20250101);
    cr_assert_eq(a->period.to, 20250331);
    const tbl_ncci *d = &find(&r->s, "11042", "12001")->u.ncci;
    cr_assert(d->period.to < d->period.from); /* stays deleted */
}

Test(tblsrc, ncci_bad_modifier_indicator)
{
    expect_bad_row("ccipra_bad_modind.txt", TBLSRC_NCCI_PTP, 9, 25, "modifier indicator");
}

/* ---- MUE ------------------------------------------------------------------ */

Test(tblsrc, mue_fixture_quoted_notice_and_header)
{
    run *r = import_ok("MCR_MUE_PractitionerServices_Eff_2025-01-01.csv", TBLSRC_MUE);
    cr_assert_eq(r->s.total, 5);
    const tbl_mue *m = &find(&r->s, "20610", NULL)->u.mue;
    cr_assert_eq(m->value, 2);
    cr_assert_eq(m->mai, 2);
    cr_assert_eq(m->period.from, 20250101);
    cr_assert_eq(m->period.to, 20250331);
    cr_assert_eq(find(&r->s, "11042", NULL)->u.mue.mai, 1);
    cr_assert_eq(find(&r->s, "36415", NULL)->u.mue.mai, 3);
    cr_assert_eq(find(&r->s, "J1030", NULL)->u.mue.value, 8);
    cr_assert_eq(r->st.skipped, 2);
}

Test(tblsrc, mue_period_from_name_or_refused)
{
    size_t len;
    char *buf = fixture("MCR_MUE_PractitionerServices_Eff_2025-01-01.csv", &len);
    sink s = {0};
    tblsrc_stats st;
    tblsrc_err err = {0};
    tblsrc_opts o = {.kind = TBLSRC_MUE, .name = "MCR_MUE_PractitionerServices_Eff_10-01-2025.csv"};
    cr_assert_eq(tblsrc_import(buf, len, &o, sink_emit, &s, &st, &err), 0, "%s", err.why);
    cr_assert_eq(st.period.from, 20251001);
    cr_assert_eq(st.period.to, 20251231);
    o.name = "medicare-ncci-2025-q3-practitioner-services-mue-table.csv";
    cr_assert_eq(tblsrc_import(buf, len, &o, sink_emit, &s, &st, &err), 0, "%s", err.why);
    cr_assert_eq(st.period.from, 20250701);
    cr_assert_eq(st.period.to, 20250930);
    o.name = "mue.csv";
    cr_assert_eq(tblsrc_import(buf, len, &o, sink_emit, &s, &st, &err), -CLAIMD_ETBL_NO_PERIOD);
    cr_assert(strstr(err.why, "FILE@YYYYMMDD:YYYYMMDD"), "%s", err.why);
    o.period = (tbl_period){20240401, 20240630};
    cr_assert_eq(tblsrc_import(buf, len, &o, sink_emit, &s, &st, &err), 0);
    cr_assert_eq(st.period.from, 20240401);
    free(buf);
}

Test(tblsrc, mue_bad_mai)
{
    run *r = import_as("mue_bad_mai.csv", TBLSRC_MUE, 20250101, 20250331);
    cr_assert_eq(r->rc, -CLAIMD_ETBL_BAD_ROW);
    cr_assert_eq(r->err.line, 9, "%llu", (unsigned long long)r->err.line);
    cr_assert_eq(r->err.column, 10, "%u", r->err.column);
    cr_assert(strstr(r->err.why, "Adjudication"), "%s", r->err.why);
}

/* ---- POS, age/sex, modifiers ------------------------------------------------ */

Test(tblsrc, pos_named)
{
    run *r = import_ok("pos_named.txt", TBLSRC_POS);
    cr_assert_eq(r->s.total, 4);
    cr_assert_str_eq(find(&r->s, "01", NULL)->u.pos.name, "Pharmacy");
    cr_assert_str_eq(find(&r->s, "02", NULL)->u.pos.name,
                     "Telehealth, other than in patient's home");
    cr_assert_str_eq(find(&r->s, "11", NULL)->u.pos.name, "Office");
    const tbl_pos *p = &find(&r->s, "99", NULL)->u.pos;
    cr_assert_str_eq(p->name, "");
    cr_assert_eq(p->period.from, 0);
    cr_assert_eq(p->period.to, TBL_DATE_OPEN);
    expect_bad_row("pos_bad.txt", TBLSRC_POS, 2, 1, "2 digits");
}

Test(tblsrc, agesex_with_header_bom_crlf)
{
    run *r = import_ok("agesex.csv", TBLSRC_AGESEX);
    cr_assert_eq(r->s.total, 6);
    const tbl_agesex *o = &find(&r->s, "O039", NULL)->u.agesex;
    cr_assert_eq(o->sex, 'F');
    cr_assert_eq(o->min_age, 12);
    cr_assert_eq(o->max_age, 55);
    const tbl_agesex *z = &find(&r->s, "Z01419", NULL)->u.agesex;
    cr_assert_eq(z->min_age, 0);
    cr_assert_eq(z->max_age, 124);
    cr_assert_eq(find(&r->s, "C61", NULL)->u.agesex.sex, 'M');
    const tbl_agesex *n = &find(&r->s, "99460", NULL)->u.agesex;
    cr_assert_eq(n->sex, 0);
    cr_assert_eq(n->max_age, 0);
    cr_assert_eq(r->st.skipped, 1);
}

Test(tblsrc, agesex_without_header_and_bad)
{
    run *r = import_ok("agesex_noheader.csv", TBLSRC_AGESEX);
    cr_assert_eq(r->s.total, 2);
    const tbl_agesex *a = &find(&r->s, "N400", NULL)->u.agesex;
    cr_assert_eq(a->min_age, 40);
    cr_assert_eq(a->max_age, 124);
    cr_assert_eq(find(&r->s, "90460", NULL)->u.agesex.max_age, 17);
    expect_bad_row("agesex_bad.csv", TBLSRC_AGESEX, 3, 5, "sex");
}

Test(tblsrc, modifiers_list)
{
    run *r = import_ok("modifiers.txt", TBLSRC_MODIFIERS);
    cr_assert_eq(r->s.total, 6);
    cr_assert_eq(r->st.skipped, 2);
    find(&r->s, "LT", NULL);
    find(&r->s, "25", NULL);
    find(&r->s, "XS", NULL);
    expect_bad_row("modifiers_bad.txt", TBLSRC_MODIFIERS, 3, 1, "2 letters");
}

/* ---- the contract's edges ---------------------------------------------------- */

Test(tblsrc, empty_and_comment_only_files)
{
    sink s = {0};
    tblsrc_err err = {0};
    tblsrc_opts o = {.kind = TBLSRC_POS};
    cr_assert_eq(tblsrc_import("", 0, &o, sink_emit, &s, NULL, &err), -CLAIMD_ETBL_EMPTY);
    const char *c = "# nothing here\n\n";
    cr_assert_eq(tblsrc_import(c, strlen(c), &o, sink_emit, &s, NULL, &err), -CLAIMD_ETBL_EMPTY);
    o.kind = TBLSRC_UNKNOWN;
    cr_assert_eq(tblsrc_import(c, strlen(c), &o, sink_emit, &s, NULL, &err), -EINVAL);
    o.kind = TBLSRC_POS;
    o.period = (tbl_period){20251301, 20251231};
    cr_assert_eq(tblsrc_import(c, strlen(c), &o, sink_emit, &s, NULL, &err), -EINVAL);
}

Test(tblsrc, emit_can_stop_the_import)
{
    size_t len;
    char *buf = fixture("ccipra-v311r0-f1_mini.txt", &len);
    sink s = {.stop_after = 2};
    tblsrc_stats st = {.rows = 99};
    tblsrc_opts o = {.kind = TBLSRC_NCCI_PTP};
    cr_assert_eq(tblsrc_import(buf, len, &o, sink_emit, &s, &st, NULL), 7);
    cr_assert_eq(s.total, 2);
    cr_assert_eq(st.rows, 99); /* stats are written only on success */
    free(buf);
}

/* ---- the real public files (../shared/data) ---------------------------------- */

typedef struct tally {
    uint64_t n, billable, modifiers;
    tblsrc_rec hit[4];
    const char *want[4]; /* codes to keep (first code field) */
    const char *want_mod[4];
} tally;

static const char *rec_code(const tblsrc_rec *r, const char **mod)
{
    *mod = NULL;
    switch (r->kind) {
    case TBLSRC_ICD10CM:
        return r->u.icd10.code;
    case TBLSRC_HCPCS:
        return r->u.hcpcs.code;
    case TBLSRC_PPRRVU:
        *mod = r->u.rvu.mod;
        return r->u.rvu.code;
    case TBLSRC_GPCI:
        *mod = r->u.gpci.locality;
        return r->u.gpci.carrier;
    case TBLSRC_ZIP5:
        return r->u.zip5.zip;
    case TBLSRC_OPPSCAP:
        *mod = r->u.oppscap.mod;
        return r->u.oppscap.code;
    case TBLSRC_POS:
        return r->u.pos.code;
    default:
        return "";
    }
}

static int tally_emit(void *ctx, const tblsrc_rec *r)
{
    tally *t = ctx;
    t->n++;
    t->billable += r->kind == TBLSRC_ICD10CM && r->u.icd10.billable;
    t->modifiers += r->kind == TBLSRC_HCPCS && r->u.hcpcs.is_modifier;
    const char *mod, *code = rec_code(r, &mod);
    for (int i = 0; i < 4 && t->want[i]; i++)
        if (t->hit[i].kind == TBLSRC_UNKNOWN && strcmp(code, t->want[i]) == 0 &&
            (!t->want_mod[i] || strcmp(mod, t->want_mod[i]) == 0))
            t->hit[i] = *r;
    return 0;
}

static tblsrc_stats import_shared(const char *dir, const char *rel, tblsrc_kind kind, tally *t)
{
    char *path = tu_path(dir, rel);
    size_t len;
    char *buf = tu_slurp(path, &len);
    cr_assert_not_null(buf, "%s missing", path);
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    tblsrc_opts o = {.kind = kind, .name = base};
    tblsrc_stats st = {0};
    tblsrc_err err = {0};
    cr_assert_eq(tblsrc_detect(buf, len), kind, "%s detected as %s", rel,
                 tblsrc_kind_name(tblsrc_detect(buf, len)));
    int rc = tblsrc_import(buf, len, &o, tally_emit, t, &st, &err);
    cr_assert_eq(rc, 0, "%s: %s line %llu col %u: %s", rel, claimd_strerror(rc),
                 (unsigned long long)err.line, err.column, err.why);
    free(buf);
    free(path);
    return st;
}

Test(tblsrc_shared, icd10cm_2022)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"E119", "A00"}};
    tblsrc_stats st = import_shared(dir, "cms/icd10cm/icd10cm_order_2022.txt", TBLSRC_ICD10CM, &t);
    cr_assert_eq(st.rows, 95524);
    cr_assert_eq(t.billable, 72748);
    cr_assert_eq(t.hit[0].u.icd10.billable, 1);
    cr_assert_str_eq(t.hit[1].u.icd10.code, "A00");
    cr_assert_eq(t.hit[1].u.icd10.billable, 0);
    cr_assert_eq(st.period.from, 20211001);
    cr_assert_eq(st.period.to, 20220930);
}

Test(tblsrc_shared, pprrvu_2025_oct)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"99213", "71046"}, .want_mod = {"", "26"}};
    tblsrc_stats st = import_shared(dir, "cms/mpfs/PPRRVU2025_Oct.csv", TBLSRC_PPRRVU, &t);
    cr_assert_eq(st.rows, 19090);
    cr_assert_eq(st.mismatches, 0);
    const tbl_rvu *v = &t.hit[0].u.rvu;
    cr_assert_str_eq(v->code, "99213");
    cr_assert_eq(v->work, 13000);
    cr_assert_eq(v->pe_nonfac, 13500);
    cr_assert_eq(v->pe_fac, 5700);
    cr_assert_eq(v->mp, 1000);
    cr_assert_eq(v->conv_factor, 323465);
    cr_assert_str_eq(t.hit[1].u.rvu.mod, "26");
    cr_assert_eq(st.period.from, 20251001);
    cr_assert_eq(st.period.to, 20251231);
}

Test(tblsrc_shared, gpci_2025)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"10112"}, .want_mod = {"00"}};
    tblsrc_stats st = import_shared(dir, "cms/mpfs/GPCI2025.csv", TBLSRC_GPCI, &t);
    cr_assert_eq(st.rows, 109);
    const tbl_gpci *g = &t.hit[0].u.gpci;
    cr_assert_str_eq(g->state, "AL");
    cr_assert_eq(g->work, 10000);
    cr_assert_eq(g->pe, 8690);
    cr_assert_eq(g->mp, 5750);
    cr_assert_eq(st.period.from, 20250101);
}

Test(tblsrc_shared, zip5_oct2025)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"35203"}};
    tblsrc_stats st = import_shared(dir, "cms/mpfs/ZIP5_OCT2025.txt", TBLSRC_ZIP5, &t);
    cr_assert_eq(st.rows, 42956);
    cr_assert_str_eq(t.hit[0].u.zip5.carrier, "10112");
    cr_assert_str_eq(t.hit[0].u.zip5.locality, "00");
    cr_assert_eq(st.period.from, 20250101);
}

Test(tblsrc_shared, hcpcs_2020)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"LT", "RT", "GY", "A4206"}};
    tblsrc_stats st =
        import_shared(dir, "cms/hcpcs/HCPC2020_ANWEB_w_disclaimer.txt", TBLSRC_HCPCS, &t);
    cr_assert_eq(st.rows, 7079);
    cr_assert_eq(t.modifiers, 369);
    cr_assert_eq(st.rows - t.modifiers, 6710);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(t.hit[i].u.hcpcs.is_modifier, 1, "%s", t.want[i]);
    cr_assert_eq(t.hit[3].u.hcpcs.is_modifier, 0);
    cr_assert_eq(t.hit[3].u.hcpcs.add_date, 19850101);
}

Test(tblsrc_shared, oppscap_oct)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"0633T"}, .want_mod = {"TC"}};
    tblsrc_stats st = import_shared(dir, "cms/mpfs/OPPSCAP_Oct.csv", TBLSRC_OPPSCAP, &t);
    /* 16,102 lines: the header, 16,100 rows and one empty ",,,,,," row */
    cr_assert_eq(st.rows, 16100);
    cr_assert_eq(st.skipped, 2);
    cr_assert_eq(t.hit[0].u.oppscap.fac_cents, 15069);
}

Test(tblsrc_shared, pos_codes)
{
    TU_NEED_SHARED_DATA(dir);
    tally t = {.want = {"11", "99"}};
    tblsrc_stats st = import_shared(dir, "codes/pos.txt", TBLSRC_POS, &t);
    cr_assert_eq(st.rows, 52);
    cr_assert_str_eq(t.hit[0].u.pos.code, "11");
    cr_assert_str_eq(t.hit[1].u.pos.code, "99");
}
