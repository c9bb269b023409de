#define _POSIX_C_SOURCE 200809L /* popen */
/* edit_test: the catalogue, settings, and every edit against the default
 * tables version built from data/starter (synthetic claims, no X12). Each
 * edit has a claim that triggers it and one that must not. */
#include "claimd/edit.h"
#include "testutil.h"

#include <errno.h>

static tbl_version *V;
static edit_settings S;
static edit_findings F;
static clm_claim C;
static clm_line L[80];

#define DOS   20250315u
#define NPI_A "1558598797" /* valid (DOMAIN.md) */
#define NPI_B "1234567893" /* valid */
#define NPI_X "1234567890" /* bad check digit */

static void setup(void)
{
    const char *b = getenv("CLAIMD_BUILD_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tables/default", b ? b : "build");
    int rc = tbl_open(path, 0, &V);
    cr_assert_eq(rc, 0, "cannot open %s: %d (build the default tables first)", path, rc);
    edit_settings_default(&S);
}

static void teardown(void)
{
    tbl_close(V);
}

TestSuite(edit, .init = setup, .fini = teardown);

static clm_line *add_line(const char *code, int64_t charge, uint32_t units, uint32_t dos)
{
    clm_line *l = &L[C.nlines];
    memset(l, 0, sizeof *l);
    l->number = C.nlines + 1;
    l->seg_index = 20 + 3 * C.nlines;
    strcpy(l->qual, "HC");
    snprintf(l->code, sizeof l->code, "%s", code);
    strcpy(l->unit_type, "UN");
    l->charge = charge;
    l->units_milli = units * 1000;
    l->from = l->to = dos;
    l->ptrs[0] = 1;
    l->nptrs = 1;
    C.nlines++;
    C.charge += charge;
    return l;
}

static void add_mod(clm_line *l, const char *m)
{
    snprintf(l->mods[l->nmods++], 3, "%s", m);
}

static void add_dx(const char *code)
{
    clm_dx *d = &C.dx[C.ndx];
    memset(d, 0, sizeof *d);
    snprintf(d->code, sizeof d->code, "%s", code);
    strcpy(d->qual, C.ndx ? "ABF" : "ABK");
    d->seg_index = 10;
    C.ndx++;
}

/* A clean 837P claim: a 55-year-old man, 99213 for type 2 diabetes. */
static void base(void)
{
    memset(&C, 0, sizeof C);
    C.type = CLM_TYPE_837P;
    C.bht_date = 20250401;
    C.bill_entity = '2';
    strcpy(C.bill_npi, NPI_A);
    strcpy(C.bill_tin, "123456789");
    strcpy(C.bill_tin_qual, "EI");
    strcpy(C.bill_zip, "35203");
    C.sbr_resp = 'P';
    strcpy(C.sbr_rel, "18");
    strcpy(C.member_id, "MEMBER1");
    C.sub_dob = 19700101;
    C.sub_sex = 'M';
    strcpy(C.claim_id, "CLM1");
    strcpy(C.pos, "11");
    C.freq = '1';
    C.seg_index = 9;
    C.lines = L;
    add_dx("E119");
    add_dx("I10");
    add_line("99213", 12500, 1, DOS);
}

static void run(void)
{
    cr_assert_eq(edit_claim(V, &S, &C, 20250401, &F), 0);
}

static int count(edit_id id)
{
    int n = 0;
    for (uint32_t i = 0; i < F.n; i++)
        n += F.f[i].edit == id;
    return n;
}

static const edit_finding *find(edit_id id)
{
    for (uint32_t i = 0; i < F.n; i++)
        if (F.f[i].edit == id)
            return &F.f[i];
    return NULL;
}

static void dump(void)
{
    for (uint32_t i = 0; i < F.n; i++)
        fprintf(stderr, "  %s line %u: %s\n", edit_def_of(F.f[i].edit)->name, F.f[i].line,
                F.f[i].message);
}

#define EXPECT(id, n)                                                                              \
    do {                                                                                           \
        run();                                                                                     \
        if (count(id) != (n))                                                                      \
            dump();                                                                                \
        cr_assert_eq(count(id), (n), "%s: %d findings, expected %d", #id, count(id), (n));         \
    } while (0)

/* ---- catalogue and settings -------------------------------------------- */

Test(edit, catalogue_is_indexed_by_id_and_complete)
{
    size_t n;
    const edit_def *d = edit_catalogue(&n);
    cr_assert_eq(n, EDIT_COUNT);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(d[i].id, (edit_id)i);
        cr_assert(d[i].name && d[i].rule && d[i].fix && d[i].carc && d[i].rarc);
        cr_assert(d[i].snip >= 1 && d[i].snip <= 7);
        cr_assert(strcmp(d[i].stc_cat, "A6") == 0 || strcmp(d[i].stc_cat, "A7") == 0 ||
                  strcmp(d[i].stc_cat, "A8") == 0);
        cr_assert(strlen(d[i].stc_code) > 0);
        cr_assert_eq(edit_id_from_name(d[i].name), (int)i);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(d[i].name, d[j].name);
    }
    cr_assert_null(edit_def_of(EDIT_COUNT));
    cr_assert_eq(edit_id_from_name("ncci_ptp"), EDIT_NCCI_PTP);
    cr_assert_eq(edit_id_from_name("NOPE"), -EINVAL);
}

Test(edit, listed_edits_are_errors_added_ones_warnings)
{
    for (int i = 0; i < EDIT_COUNT; i++) {
        bool warn =
            i == EDIT_PRICE_UNAVAILABLE || i == EDIT_UNITS_INVALID || i == EDIT_VALUE_TRUNCATED;
        cr_assert_eq(edit_def_of(i)->severity, warn ? EDIT_SEV_WARNING : EDIT_SEV_ERROR, "%s",
                     edit_def_of(i)->name);
    }
    cr_assert_eq(S.timely_filing_days, 0);
}

Test(edit, settings_apply)
{
    cr_assert_eq(edit_settings_apply(&S, "NCCI_PTP=warning"), 0);
    cr_assert_eq(S.severity[EDIT_NCCI_PTP], EDIT_SEV_WARNING);
    cr_assert_eq(edit_settings_apply(&S, "mue_units=off"), 0);
    cr_assert_eq(S.severity[EDIT_MUE_UNITS], EDIT_SEV_OFF);
    cr_assert_eq(edit_settings_apply(&S, "PRICE_UNAVAILABLE=error"), 0);
    cr_assert_eq(S.severity[EDIT_PRICE_UNAVAILABLE], EDIT_SEV_ERROR);
    cr_assert_eq(edit_settings_apply(&S, "NCCI_PTP"), -EINVAL);
    cr_assert_eq(edit_settings_apply(&S, "NCCI_PTP=loud"), -EINVAL);
    cr_assert_eq(edit_settings_apply(&S, "NOPE=off"), -EINVAL);
    cr_assert_eq(edit_settings_apply(&S, "=off"), -EINVAL);
    cr_assert_eq(edit_settings_apply(NULL, "NCCI_PTP=off"), -EINVAL);
}

Test(edit, bad_arguments)
{
    base();
    cr_assert_eq(edit_claim(NULL, &S, &C, 0, &F), -EINVAL);
    cr_assert_eq(edit_claim(V, NULL, &C, 0, &F), -EINVAL);
    cr_assert_eq(edit_claim(V, &S, NULL, 0, &F), -EINVAL);
    cr_assert_eq(edit_claim(V, &S, &C, 0, NULL), -EINVAL);
    C.lines = NULL;
    cr_assert_eq(edit_claim(V, &S, &C, 0, &F), -EINVAL);
}

Test(edit, npi_and_age_helpers)
{
    cr_assert(edit_npi_valid("1558598797"));
    cr_assert(edit_npi_valid(NPI_B));
    cr_assert_not(edit_npi_valid("1558598798"));
    cr_assert_not(edit_npi_valid("3558598797"));
    cr_assert_not(edit_npi_valid("155859879"));
    cr_assert_not(edit_npi_valid("15585987970"));
    cr_assert_not(edit_npi_valid("15585A8797"));
    cr_assert_not(edit_npi_valid(""));
    cr_assert_not(edit_npi_valid(NULL));
    cr_assert_eq(edit_age_years(19700315, 20250315), 55);
    cr_assert_eq(edit_age_years(19700316, 20250315), 54);
    cr_assert_eq(edit_age_years(20250315, 20250315), 0);
    cr_assert_eq(edit_age_years(20250316, 20250315), -1);
    cr_assert_eq(edit_age_years(0, 20250315), -1);
}

/* ---- the clean claim, and the engine's reporting ----------------------- */

Test(edit, clean_claim_has_no_findings)
{
    base();
    run();
    if (F.n)
        dump();
    cr_assert_eq(F.n, 0);
    cr_assert_not(edit_rejected(&F));
}

Test(edit, every_finding_is_reported_with_where_it_is)
{
    base();
    strcpy(C.bill_npi, NPI_X);
    strcpy(C.bill_tin, "12-345678");
    add_dx("E11");
    clm_line *l = add_line("99999", 100, 1, DOS);
    add_mod(l, "ZZ");
    C.charge += 5;
    run();
    cr_assert_eq(count(EDIT_NPI_CHECK_DIGIT), 1);
    cr_assert_eq(count(EDIT_TIN_FORMAT), 1);
    cr_assert_eq(count(EDIT_DX_NOT_BILLABLE), 1);
    cr_assert_eq(count(EDIT_PROC_INVALID), 1);
    cr_assert_eq(count(EDIT_MOD_INVALID), 1);
    cr_assert_eq(count(EDIT_CHARGE_MISMATCH), 1);
    const edit_finding *f = find(EDIT_PROC_INVALID);
    cr_assert_eq(f->line, 2);
    cr_assert_eq(f->seg_index, l->seg_index);
    cr_assert_eq(find(EDIT_TIN_FORMAT)->line, 0);
    cr_assert(edit_rejected(&F));
    cr_assert(edit_line_has_error(&F, 2));
    cr_assert_not(edit_line_has_error(&F, 1));
    cr_assert_not(edit_line_has_error(&F, 0));
}

Test(edit, findings_past_the_cap_are_counted)
{
    base();
    for (int i = 0; i < 70; i++)
        add_line("99999", 100, 1, DOS);
    run();
    cr_assert_eq(F.n, EDIT_MAX_FINDINGS);
    cr_assert_gt(F.dropped, 0);
    cr_assert(F.dropped_error);
    cr_assert(edit_rejected(&F));
    /* the array is reused: the next claim starts empty */
    base();
    run();
    cr_assert_eq(F.n, 0);
    cr_assert_eq(F.dropped, 0);
    cr_assert_not(F.dropped_error);
}

Test(edit, severity_override_warning_and_off)
{
    base();
    add_line("93000", 5000, 1, DOS);
    add_line("93005", 3000, 1, DOS);
    EXPECT(EDIT_NCCI_PTP, 1);
    cr_assert(edit_rejected(&F));
    cr_assert_eq(edit_settings_apply(&S, "NCCI_PTP=warning"), 0);
    EXPECT(EDIT_NCCI_PTP, 1);
    cr_assert_eq(find(EDIT_NCCI_PTP)->severity, EDIT_SEV_WARNING);
    cr_assert_not(edit_rejected(&F));
    cr_assert_not(edit_line_has_error(&F, 3));
    cr_assert_eq(edit_settings_apply(&S, "NCCI_PTP=off"), 0);
    EXPECT(EDIT_NCCI_PTP, 0);
}

Test(edit, add_warning_caps_severity_and_codes_default_from_catalogue)
{
    F.n = 0;
    F.dropped = 0;
    edit_add_warning(&F, &S, EDIT_MOD_BILATERAL, 2, 5, "one side %d", 1);
    cr_assert_eq(F.n, 1);
    cr_assert_eq(F.f[0].severity, EDIT_SEV_WARNING);
    cr_assert_str_eq(F.f[0].carc, "4");
    cr_assert_str_eq(F.f[0].stc_code, "453");
    cr_assert_str_eq(F.f[0].message, "one side 1");
    S.severity[EDIT_MOD_BILATERAL] = EDIT_SEV_OFF;
    edit_add_warning(&F, &S, EDIT_MOD_BILATERAL, 2, 5, "x");
    cr_assert_eq(F.n, 1);
    edit_add_codes(&F, &S, EDIT_NCCI_PTP, "236", "", NULL, 1, 1, "y");
    cr_assert_str_eq(F.f[1].carc, "236");
    cr_assert_str_eq(F.f[1].rarc, "");
    cr_assert_str_eq(F.f[1].stc_code, "735");
}

/* ---- identifiers ------------------------------------------------------- */

Test(edit, npi_billing_rendering_referring)
{
    base();
    EXPECT(EDIT_NPI_CHECK_DIGIT, 0);
    strcpy(C.rendering_npi, NPI_B);
    strcpy(C.referring_npi, NPI_B);
    EXPECT(EDIT_NPI_CHECK_DIGIT, 0);
    strcpy(C.bill_npi, NPI_X);
    EXPECT(EDIT_NPI_CHECK_DIGIT, 1);
    cr_assert_str_eq(find(EDIT_NPI_CHECK_DIGIT)->rarc, "N257");
    strcpy(C.bill_npi, NPI_A);
    strcpy(C.rendering_npi, NPI_X);
    EXPECT(EDIT_NPI_CHECK_DIGIT, 1);
    cr_assert_str_eq(find(EDIT_NPI_CHECK_DIGIT)->rarc, "N290");
    strcpy(C.rendering_npi, NPI_B);
    strcpy(C.referring_npi, "2");
    EXPECT(EDIT_NPI_CHECK_DIGIT, 1);
    cr_assert_str_eq(find(EDIT_NPI_CHECK_DIGIT)->rarc, "N286");
    strcpy(C.referring_npi, NPI_B);
    strcpy(L[0].rendering_npi, NPI_X);
    EXPECT(EDIT_NPI_CHECK_DIGIT, 1);
    cr_assert_eq(find(EDIT_NPI_CHECK_DIGIT)->line, 1);
    C.bill_npi[0] = 0;
    L[0].rendering_npi[0] = 0;
    EXPECT(EDIT_NPI_CHECK_DIGIT, 1);
    cr_assert(strstr(find(EDIT_NPI_CHECK_DIGIT)->message, "missing"));
}

Test(edit, tin_format)
{
    base();
    EXPECT(EDIT_TIN_FORMAT, 0);
    strcpy(C.bill_tin, "12345678");
    EXPECT(EDIT_TIN_FORMAT, 1);
    strcpy(C.bill_tin, "12-3456789");
    EXPECT(EDIT_TIN_FORMAT, 1);
    C.bill_tin[0] = 0;
    EXPECT(EDIT_TIN_FORMAT, 1);
}

/* ---- diagnoses --------------------------------------------------------- */

Test(edit, dx_invalid_unknown_dotted_and_out_of_date)
{
    base();
    EXPECT(EDIT_DX_INVALID, 0);
    strcpy(C.dx[1].code, "E11.9");
    EXPECT(EDIT_DX_INVALID, 1);
    cr_assert(strstr(find(EDIT_DX_INVALID)->message, "decimal"));
    strcpy(C.dx[1].code, "Q999999");
    EXPECT(EDIT_DX_INVALID, 1);
    cr_assert_str_eq(find(EDIT_DX_INVALID)->carc, "16");
    cr_assert_str_eq(find(EDIT_DX_INVALID)->rarc, "M76");
    /* the starter ICD-10-CM file is FY2025 (Oct 2024 - Sep 2025) */
    strcpy(C.dx[1].code, "I10");
    L[0].from = L[0].to = 20240915;
    EXPECT(EDIT_DX_INVALID, 2);
    cr_assert_str_eq(find(EDIT_DX_INVALID)->carc, "146");
}

Test(edit, dx_codes_use_the_earliest_line_date)
{
    base();
    add_line("99213", 12500, 1, 20251005); /* FY2026: the earliest line (FY2025) counts */
    EXPECT(EDIT_DX_INVALID, 0);
}

Test(edit, dx_not_billable)
{
    base();
    EXPECT(EDIT_DX_NOT_BILLABLE, 0);
    strcpy(C.dx[0].code, "E11");
    EXPECT(EDIT_DX_NOT_BILLABLE, 1);
    cr_assert_eq(count(EDIT_DX_INVALID), 0);
}

Test(edit, dx_first_external_cause)
{
    base();
    add_dx("W010XXA");
    EXPECT(EDIT_DX_FIRST_EXTERNAL_CAUSE, 0);
    strcpy(C.dx[2].code, "E119");
    strcpy(C.dx[0].code, "W010XXA");
    EXPECT(EDIT_DX_FIRST_EXTERNAL_CAUSE, 1);
    strcpy(C.dx[0].code, "V4352XA");
    EXPECT(EDIT_DX_FIRST_EXTERNAL_CAUSE, 1);
}

Test(edit, dx_pointer_edge_cases)
{
    base();
    L[0].ptrs[1] = 2;
    L[0].nptrs = 2;
    EXPECT(EDIT_DX_POINTER, 0);
    L[0].nptrs = 0;
    EXPECT(EDIT_DX_POINTER, 1);
    cr_assert_eq(find(EDIT_DX_POINTER)->line, 1);
    L[0].nptrs = 2;
    L[0].ptrs[1] = 3; /* N = 2 */
    EXPECT(EDIT_DX_POINTER, 1);
    L[0].ptrs[1] = 1; /* repeated */
    EXPECT(EDIT_DX_POINTER, 1);
    L[0].ptrs[1] = 0;
    EXPECT(EDIT_DX_POINTER, 1);
    /* four distinct pointers into four diagnoses */
    add_dx("M5450");
    add_dx("R051");
    L[0].ptrs[0] = 4, L[0].ptrs[1] = 3, L[0].ptrs[2] = 2, L[0].ptrs[3] = 1;
    L[0].nptrs = 4;
    EXPECT(EDIT_DX_POINTER, 0);
    /* a pointer the walker could not read: one finding, not two */
    L[0].nptrs = 0;
    C.issues[0] = (clm_issue){.kind = CLM_ISSUE_BAD_POINTER,
                              .elem = 7,
                              .seg_id = "SV1",
                              .line = 1,
                              .seg_index = L[0].seg_index};
    C.nissues = 1;
    EXPECT(EDIT_DX_POINTER, 1);
}

/* ---- procedures and modifiers ----------------------------------------- */

Test(edit, proc_invalid_unknown_and_not_effective)
{
    base();
    EXPECT(EDIT_PROC_INVALID, 0);
    add_line("A0425", 1000, 1, DOS); /* HCPCS Level II */
    EXPECT(EDIT_PROC_INVALID, 0);
    add_line("99999", 1000, 1, DOS);
    EXPECT(EDIT_PROC_INVALID, 1);
    cr_assert_eq(find(EDIT_PROC_INVALID)->line, 3);
    L[2].qual[0] = 'E', L[2].qual[1] = 'R'; /* not a HCPCS code: not looked up */
    EXPECT(EDIT_PROC_INVALID, 0);
    strcpy(L[2].qual, "HC");
    strcpy(L[2].code, "99213");
    L[2].from = L[2].to = 20260315; /* the starter MPFS is CY2025 */
    C.bht_date = 20260401;
    EXPECT(EDIT_PROC_INVALID, 1);
    cr_assert(strstr(find(EDIT_PROC_INVALID)->message, "not effective"));
}

Test(edit, proc_not_payable)
{
    base();
    EXPECT(EDIT_PROC_NOT_PAYABLE, 0);
    C.sub_dob = 19950101; /* 30: 99385 fits the age */
    strcpy(L[0].code, "99385");
    EXPECT(EDIT_PROC_NOT_PAYABLE, 1);
    cr_assert_str_eq(find(EDIT_PROC_NOT_PAYABLE)->carc, "96");
    cr_assert_eq(count(EDIT_AGE_CONFLICT), 0);
    strcpy(L[0].code, "36415"); /* X: paid on the lab fee schedule, not flagged */
    EXPECT(EDIT_PROC_NOT_PAYABLE, 0);
}

Test(edit, mod_invalid)
{
    base();
    add_mod(&L[0], "25");
    EXPECT(EDIT_MOD_INVALID, 0);
    add_mod(&L[0], "LT"); /* HCPCS Level II modifier */
    add_mod(&L[0], "59");
    EXPECT(EDIT_MOD_INVALID, 0);
    strcpy(L[0].mods[2], "ZZ");
    EXPECT(EDIT_MOD_INVALID, 1);
    strcpy(L[0].mods[2], "5");
    EXPECT(EDIT_MOD_INVALID, 1);
}

Test(edit, mod_pctc)
{
    base();
    clm_line *l = add_line("71046", 9000, 1, DOS);
    add_mod(l, "26");
    EXPECT(EDIT_MOD_PCTC, 0);
    strcpy(l->mods[0], "TC");
    EXPECT(EDIT_MOD_PCTC, 0);
    add_mod(&L[0], "26"); /* 99213: PCTC 0 */
    EXPECT(EDIT_MOD_PCTC, 1);
    cr_assert_eq(find(EDIT_MOD_PCTC)->line, 1);
    strcpy(L[0].mods[0], "TC");
    EXPECT(EDIT_MOD_PCTC, 1);
    strcpy(L[0].code, "93010"); /* PCTC 2: the professional component itself */
    strcpy(L[0].mods[0], "26");
    EXPECT(EDIT_MOD_PCTC, 1);
}

Test(edit, mod_bilateral_indicator_9_is_an_error)
{
    base();
    clm_line *l = add_line("20610", 9000, 1, DOS); /* bilateral indicator 1 */
    add_mod(l, "50");
    EXPECT(EDIT_MOD_BILATERAL, 0);
    strcpy(l->code, "62321"); /* indicator 9 */
    EXPECT(EDIT_MOD_BILATERAL, 1);
    cr_assert_eq(find(EDIT_MOD_BILATERAL)->line, 2);
    strcpy(l->code, "99213"); /* indicator 0: the pricer's warning, not ours */
    EXPECT(EDIT_MOD_BILATERAL, 0);
}

Test(edit, pos_invalid)
{
    base();
    EXPECT(EDIT_POS_INVALID, 0);
    strcpy(C.pos, "98");
    EXPECT(EDIT_POS_INVALID, 1);
    cr_assert_eq(find(EDIT_POS_INVALID)->line, 0);
    strcpy(C.pos, "11");
    strcpy(L[0].pos, "22");
    EXPECT(EDIT_POS_INVALID, 0);
    strcpy(L[0].pos, "00");
    EXPECT(EDIT_POS_INVALID, 1);
    cr_assert_eq(find(EDIT_POS_INVALID)->line, 1);
    C.pos[0] = 0;
    L[0].pos[0] = 0;
    EXPECT(EDIT_POS_INVALID, 1);
}

/* ---- age and sex ------------------------------------------------------- */

Test(edit, age_conflict_diagnosis_and_procedure)
{
    base();
    add_dx("Z00121"); /* routine child exam: 0-17 */
    EXPECT(EDIT_AGE_CONFLICT, 1);
    cr_assert_str_eq(find(EDIT_AGE_CONFLICT)->carc, "9");
    C.sub_dob = 20150101; /* 10 years old */
    EXPECT(EDIT_AGE_CONFLICT, 0);
    strcpy(L[0].code, "99391"); /* infant preventive visit: age 0 */
    EXPECT(EDIT_AGE_CONFLICT, 1);
    cr_assert_str_eq(find(EDIT_AGE_CONFLICT)->carc, "6");
    cr_assert_eq(find(EDIT_AGE_CONFLICT)->line, 1);
    /* age is taken at the date of service: born 2024-06-01, seen 2025-03-15 */
    C.sub_dob = 20240601;
    EXPECT(EDIT_AGE_CONFLICT, 0);
}

Test(edit, age_uses_the_patient_not_the_subscriber)
{
    base();
    add_dx("Z00121");
    C.has_patient = true;
    C.pat_dob = 20150101;
    C.pat_sex = 'F';
    EXPECT(EDIT_AGE_CONFLICT, 0);
}

Test(edit, sex_conflict_diagnosis_and_procedure)
{
    base();
    add_dx("C61"); /* male only */
    EXPECT(EDIT_SEX_CONFLICT, 0);
    C.sub_sex = 'F';
    EXPECT(EDIT_SEX_CONFLICT, 1);
    cr_assert_str_eq(find(EDIT_SEX_CONFLICT)->carc, "10");
    C.sub_sex = 'U'; /* unknown: nothing to compare */
    EXPECT(EDIT_SEX_CONFLICT, 0);
    strcpy(C.dx[2].code, "I10");
    C.sub_sex = 'M';
    add_line("77067", 15000, 1, DOS); /* screening mammography: female */
    EXPECT(EDIT_SEX_CONFLICT, 1);
    cr_assert_str_eq(find(EDIT_SEX_CONFLICT)->carc, "7");
    cr_assert_eq(find(EDIT_SEX_CONFLICT)->line, 2);
    C.sub_sex = 'F';
    EXPECT(EDIT_SEX_CONFLICT, 0);
}

/* ---- NCCI -------------------------------------------------------------- */

Test(edit, ncci_indicator_0_is_never_bypassed)
{
    base();
    add_line("93000", 5000, 1, DOS);
    clm_line *b = add_line("93005", 3000, 1, DOS);
    add_mod(b, "59");
    EXPECT(EDIT_NCCI_PTP, 1);
    const edit_finding *f = find(EDIT_NCCI_PTP);
    cr_assert_eq(f->line, 3, "the finding sits on the column-2 line");
    cr_assert_str_eq(f->carc, "97");
    cr_assert_str_eq(f->rarc, "M15");
}

Test(edit, ncci_indicator_1_bypass_modifiers)
{
    base();
    add_line("71046", 9000, 1, DOS);
    clm_line *b = add_line("71045", 6000, 1, DOS);
    EXPECT(EDIT_NCCI_PTP, 1);
    cr_assert_eq(find(EDIT_NCCI_PTP)->line, 3);
    cr_assert_str_eq(find(EDIT_NCCI_PTP)->carc, "236");
    const char *mods[] = {"59", "XU", "XS", "XE", "XP", "25", "91", "LT", "RT", "F5", "T9", "E1"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        b->nmods = 0;
        add_mod(b, mods[i]);
        EXPECT(EDIT_NCCI_PTP, 0);
    }
    /* on the column-1 line instead */
    b->nmods = 0;
    add_mod(&L[1], "XU");
    EXPECT(EDIT_NCCI_PTP, 0);
    /* a modifier that is not a bypass modifier */
    strcpy(L[1].mods[0], "26");
    EXPECT(EDIT_NCCI_PTP, 1);
}

Test(edit, ncci_same_date_and_rendering_provider_only)
{
    base();
    add_line("93000", 5000, 1, DOS);
    clm_line *b = add_line("93005", 3000, 1, DOS + 1);
    EXPECT(EDIT_NCCI_PTP, 0);
    b->from = b->to = DOS;
    EXPECT(EDIT_NCCI_PTP, 1);
    strcpy(b->rendering_npi, NPI_B); /* another provider on that line */
    EXPECT(EDIT_NCCI_PTP, 0);
    strcpy(C.rendering_npi, NPI_B); /* the claim's rendering provider is the same one */
    EXPECT(EDIT_NCCI_PTP, 1);
}

Test(edit, ncci_deleted_rows_are_not_in_force)
{
    base();
    /* 97530/97140: effective 2020-01-01, deleted 2020-04-01 */
    add_line("97530", 5000, 1, DOS);
    add_line("97140", 5000, 1, DOS);
    EXPECT(EDIT_NCCI_PTP, 0);
    L[1].from = L[1].to = L[2].from = L[2].to = 20200215;
    L[0].from = L[0].to = 20200215;
    EXPECT(EDIT_NCCI_PTP, 1);
    /* 29881/29876: deleted 2018 */
    base();
    add_line("29881", 5000, 1, DOS);
    add_line("29876", 5000, 1, DOS);
    EXPECT(EDIT_NCCI_PTP, 0);
}

Test(edit, ncci_unrelated_codes_and_reverse_order)
{
    base();
    add_line("36415", 1000, 1, DOS); /* 99213 + 36415 is deliberately no edit */
    EXPECT(EDIT_NCCI_PTP, 0);
    base();
    strcpy(L[0].code, "93005"); /* column 2 first in the claim */
    add_line("93000", 5000, 1, DOS);
    EXPECT(EDIT_NCCI_PTP, 1);
    cr_assert_eq(find(EDIT_NCCI_PTP)->line, 1);
}

/* ---- MUE --------------------------------------------------------------- */

Test(edit, mue_mai_1_per_line)
{
    base();
    add_line("J3490", 1000, 1, DOS); /* MUE 1, MAI 1 */
    add_line("J3490", 1000, 1, DOS); /* per line: two lines of 1 pass */
    EXPECT(EDIT_MUE_UNITS, 0);
    L[2].units_milli = 2000;
    EXPECT(EDIT_MUE_UNITS, 1);
    cr_assert_eq(find(EDIT_MUE_UNITS)->line, 3);
    cr_assert_str_eq(find(EDIT_MUE_UNITS)->carc, "151");
    cr_assert_str_eq(find(EDIT_MUE_UNITS)->rarc, "N362");
}

Test(edit, mue_mai_2_sums_lines_of_a_date)
{
    base(); /* 99213: MUE 1, MAI 2 */
    add_line("99213", 12500, 1, DOS + 1);
    EXPECT(EDIT_MUE_UNITS, 0);
    L[1].from = L[1].to = DOS;
    EXPECT(EDIT_MUE_UNITS, 1);
    cr_assert_eq(find(EDIT_MUE_UNITS)->line, 1);
}

Test(edit, mue_mai_3_sums_lines_of_a_date)
{
    base(); /* 93000: MUE 3, MAI 3 */
    strcpy(L[0].code, "93000");
    L[0].units_milli = 2000;
    add_line("93000", 5000, 1, DOS);
    EXPECT(EDIT_MUE_UNITS, 0);
    L[1].units_milli = 2000;
    EXPECT(EDIT_MUE_UNITS, 1);
}

/* ---- charges ----------------------------------------------------------- */

Test(edit, charge_mismatch)
{
    base();
    add_line("36415", 1000, 1, DOS);
    EXPECT(EDIT_CHARGE_MISMATCH, 0);
    C.charge += 1;
    EXPECT(EDIT_CHARGE_MISMATCH, 1);
    cr_assert(strstr(find(EDIT_CHARGE_MISMATCH)->message, "135.01"));
}

Test(edit, charge_bad_amount_is_reported_not_summed)
{
    base();
    C.charge = 0;
    C.issues[0] =
        (clm_issue){.kind = CLM_ISSUE_BAD_AMOUNT, .elem = 2, .seg_id = "CLM", .seg_index = 9};
    C.nissues = 1;
    EXPECT(EDIT_CHARGE_MISMATCH, 1);
    cr_assert_eq(count(EDIT_ZERO_CHARGE), 0);
    add_line("36415", 0, 1, DOS);
    L[0].charge = L[1].charge = INT64_MAX;
    C.charge = INT64_MAX;
    C.nissues = 0;
    EXPECT(EDIT_CHARGE_MISMATCH, 1); /* no overflow */
}

Test(edit, zero_charge)
{
    base();
    EXPECT(EDIT_ZERO_CHARGE, 0);
    C.charge = 0;
    L[0].charge = 0;
    EXPECT(EDIT_ZERO_CHARGE, 1);
    cr_assert_eq(count(EDIT_CHARGE_MISMATCH), 0);
    base();
    add_line("36415", -500, 1, DOS);
    EXPECT(EDIT_ZERO_CHARGE, 1);
    cr_assert_eq(find(EDIT_ZERO_CHARGE)->line, 2);
}

/* ---- dates ------------------------------------------------------------- */

Test(edit, date_invalid)
{
    base();
    EXPECT(EDIT_DATE_INVALID, 0);
    L[0].from = L[0].to = 20250230;
    EXPECT(EDIT_DATE_INVALID, 1);
    L[0].from = 20250316, L[0].to = 20250315; /* reversed span */
    EXPECT(EDIT_DATE_INVALID, 1);
    cr_assert_eq(find(EDIT_DATE_INVALID)->line, 1);
    L[0].from = L[0].to = 0; /* no date, no statement span */
    EXPECT(EDIT_DATE_INVALID, 1);
    C.stmt_from = C.stmt_to = DOS; /* the statement span stands in */
    EXPECT(EDIT_DATE_INVALID, 0);
    cr_assert_eq(F.n, 0);
}

Test(edit, date_invalid_from_walker_issue_reported_once)
{
    base();
    L[0].from = 20250316, L[0].to = 20250315;
    C.issues[0] = (clm_issue){
        .kind = CLM_ISSUE_BAD_DATE, .elem = 3, .seg_id = "DTP", .line = 1, .seg_index = 22};
    C.nissues = 1;
    EXPECT(EDIT_DATE_INVALID, 1);
    C.stmt_from = 20250320, C.stmt_to = 20250301; /* reversed statement span */
    C.issues[0].line = 0;
    EXPECT(EDIT_DATE_INVALID, 2);
}

Test(edit, date_future)
{
    base();
    L[0].from = L[0].to = C.bht_date;
    EXPECT(EDIT_DATE_FUTURE, 0);
    L[0].to = C.bht_date + 1;
    EXPECT(EDIT_DATE_FUTURE, 1);
    cr_assert_str_eq(find(EDIT_DATE_FUTURE)->carc, "110");
}

Test(edit, dob_after_dos)
{
    base();
    C.sub_dob = DOS;
    EXPECT(EDIT_DOB_AFTER_DOS, 0);
    C.sub_dob = DOS + 1;
    EXPECT(EDIT_DOB_AFTER_DOS, 1);
}

Test(edit, timely_filing_off_unless_set)
{
    base();
    cr_assert_eq(edit_claim(V, &S, &C, 20270101, &F), 0);
    cr_assert_eq(count(EDIT_TIMELY_FILING), 0);
    S.timely_filing_days = 365;
    cr_assert_eq(edit_claim(V, &S, &C, 20260315, &F), 0);
    cr_assert_eq(count(EDIT_TIMELY_FILING), 0);
    cr_assert_eq(edit_claim(V, &S, &C, 20260316, &F), 0);
    cr_assert_eq(count(EDIT_TIMELY_FILING), 1);
    cr_assert_str_eq(find(EDIT_TIMELY_FILING)->carc, "29");
}

/* ---- frequency --------------------------------------------------------- */

Test(edit, freq_ref_missing)
{
    base();
    EXPECT(EDIT_FREQ_REF_MISSING, 0);
    C.freq = '7';
    EXPECT(EDIT_FREQ_REF_MISSING, 1);
    C.freq = '8';
    EXPECT(EDIT_FREQ_REF_MISSING, 1);
    strcpy(C.ref_f8, "PAYER123");
    EXPECT(EDIT_FREQ_REF_MISSING, 0);
    C.freq = '1';
    EXPECT(EDIT_FREQ_REF_MISSING, 1);
}

/* ---- units and the walker's issues ------------------------------------ */

Test(edit, units_invalid_is_a_warning)
{
    base();
    L[0].units_milli = 0;
    EXPECT(EDIT_UNITS_INVALID, 1);
    cr_assert_eq(find(EDIT_UNITS_INVALID)->severity, EDIT_SEV_WARNING);
    cr_assert_not(edit_rejected(&F));
}

Test(edit, issues_map_to_findings)
{
    base();
    C.issues[0] = (clm_issue){.kind = CLM_ISSUE_TOO_LONG, .elem = 1, .seg_id = "HI"};
    C.issues[1] = (clm_issue){.kind = CLM_ISSUE_TOO_LONG, .elem = 1, .seg_id = "SV1", .line = 1};
    C.issues[2] = (clm_issue){.kind = CLM_ISSUE_TOO_MANY, .elem = 13, .seg_id = "HI"};
    C.issues[3] = (clm_issue){.kind = CLM_ISSUE_TOO_LONG, .elem = 2, .seg_id = "REF"};
    C.nissues = 4;
    C.issues_dropped = 3;
    run();
    cr_assert_eq(count(EDIT_DX_INVALID), 1);
    cr_assert_eq(count(EDIT_PROC_INVALID), 1);
    cr_assert_eq(count(EDIT_VALUE_TRUNCATED), 3);
}

/* ---- 837I -------------------------------------------------------------- */

static void base_837i(void)
{
    base();
    C.type = CLM_TYPE_837I;
    strcpy(C.pos, "13"); /* facility type, not a place of service */
    strcpy(C.tob, "131");
    C.stmt_from = DOS;
    C.stmt_to = DOS + 2;
    strcpy(L[0].rev, "0510");
    L[0].nptrs = 0; /* SV2 carries no pointers */
}

Test(edit, institutional_claim_gets_the_edits_that_apply)
{
    base_837i();
    run();
    if (F.n)
        dump();
    cr_assert_eq(F.n, 0);
    L[0].from = L[0].to = DOS + 5; /* outside the statement span */
    EXPECT(EDIT_DATE_INVALID, 1);
    L[0].from = L[0].to = 0; /* no line date: the statement start is its date */
    EXPECT(EDIT_DATE_INVALID, 0);
    strcpy(C.dx[0].code, "E11");
    EXPECT(EDIT_DX_NOT_BILLABLE, 1);
    C.charge += 1;
    EXPECT(EDIT_CHARGE_MISMATCH, 1);
    C.freq = 0;
    C.tob[2] = '7';
    EXPECT(EDIT_FREQ_REF_MISSING, 1);
    /* a revenue-code-only line has no procedure to look up */
    L[0].code[0] = 0;
    EXPECT(EDIT_PROC_INVALID, 0);
}

/* ---- docs/edits.md matches `claimd edits --markdown` ------------------- */

Test(edit, docs_table_matches_the_catalogue)
{
    const char *b = getenv("CLAIMD_BUILD_DIR"), *src = getenv("CLAIMD_SOURCE_DIR");
    if (!b || !src)
        cr_skip_test("CLAIMD_BUILD_DIR / CLAIMD_SOURCE_DIR not set");
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof cmd, "%s/daemon/claimd edits --markdown", b);
    snprintf(path, sizeof path, "%s/docs/edits.md", src);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    static char gen[65536];
    size_t n = fread(gen, 1, sizeof gen - 1, p);
    gen[n] = 0;
    cr_assert_eq(pclose(p), 0, "%s failed", cmd);
    char *doc = tu_slurp(path, NULL);
    cr_assert_not_null(doc, "%s missing", path);
    cr_assert(n > 100);
    cr_assert_not_null(strstr(doc, gen), "docs/edits.md is out of date: regenerate its table with "
                                         "`claimd edits --markdown`");
    free(doc);
}
