/* tblsrc_ importers for the CSV layouts: the CMS PPRRVU relative value file
 * (banner lines and a stacked header), GPCI, OPPSCAP, the practitioner MUE
 * file, and the project's own age/sex list. Columns are found by their header
 * names (CMS moves them between years), never by position; rows before the
 * header are banner, and after it a row with one non-blank cell that is not a
 * key (a title, a footnote) is skipped. Any other row must parse. */
#include "claimd/error.h"
#include "tblsrc_int.h"

#include <string.h>

#define RING          8 /* records remembered above a header (stacked headers) */
#define STACK_MAX     6 /* header rows stacked over the PPRRVU "HCPCS" row */
#define AGE_NO_LIMIT  124
#define MUE_VALUE_MAX 65535

/* A column the importer wants: header names it may have ("A|B", normalised:
 * upper case, no blanks), whether the header merely contains the name, and
 * whether the file must have it. label names it in messages. */
typedef struct colspec {
    const char *alts;
    bool contains;
    bool required;
    const char *label;
} colspec;

/* One data row being read, with its columns. */
typedef struct csvx {
    tblsrc_job *j;
    const tblsrc_row *r;
    const colspec *spec;
    const int *idx;
    tbl_period period; /* for kinds whose rows carry no dates */
} csvx;

typedef bool (*hdr_test_fn)(const tblsrc_row *r);
typedef void (*banner_fn)(void *ctx, const tblsrc_row *r);

typedef struct hdr_find {
    hdr_test_fn test;
    banner_fn banner; /* sees every record above the header; may be NULL */
    void *bctx;
    const char *what;      /* "PPRRVU" ... for the message */
    tblsrc_cur ring[RING]; /* where the records above the header start */
    uint32_t above;        /* records read above the header */
} hdr_find;

static bool is_code5(tblsrc_field f)
{
    const char *p = f.p;
    size_t n = tblsrc_trim(&p, f.n);
    if (n != 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tblsrc_isalnum(p[i]))
            return false;
    return true;
}

static bool is_digits5(tblsrc_field f)
{
    const char *p = f.p;
    size_t n = tblsrc_trim(&p, f.n);
    if (n != 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tblsrc_isdig(p[i]))
            return false;
    return true;
}

static void field_name(char *out, size_t cap, tblsrc_field f)
{
    out[0] = 0;
    tblsrc_name_add(out, cap, f.p, f.n);
}

static bool row_has_name(const tblsrc_row *r, const char *name, bool contains)
{
    char nm[TBLSRC_NAME_MAX];
    for (uint32_t i = 0; i < r->nf; i++) {
        field_name(nm, sizeof nm, r->f[i]);
        if (contains ? strstr(nm, name) != NULL : strcmp(nm, name) == 0)
            return true;
    }
    return false;
}

/* Reads records until h->test accepts one (left in r). */
static int find_header(tblsrc_job *j, tblsrc_cur *c, tblsrc_row *r, hdr_find *h)
{
    for (h->above = 0; h->above < TBLSRC_HDR_SCAN; h->above++) {
        tblsrc_cur before = *c;
        int rc = tblsrc_csv_row(j, c, ',', r);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (h->test(r))
            return 0;
        h->ring[h->above % RING] = before;
        if (h->banner)
            h->banner(h->bctx, r);
        j->st.skipped++;
    }
    return tblsrc_fail(j, -CLAIMD_ETBL_NO_HEADER, 0, 0, "no %s header row in the first %d records",
                       h->what, TBLSRC_HDR_SCAN);
}

static void names_add_row(char (*names)[TBLSRC_NAME_MAX], const tblsrc_row *r)
{
    for (uint32_t i = 0; i < r->nf; i++)
        tblsrc_name_add(names[i], TBLSRC_NAME_MAX, r->f[i].p, r->f[i].n);
}

static int cols_find(tblsrc_job *j, char (*names)[TBLSRC_NAME_MAX], const colspec *spec, int count,
                     int *idx, const char *what)
{
    for (int i = 0; i < count; i++) {
        idx[i] = tblsrc_col(names, TBLSRC_MAX_FIELDS, spec[i].alts, spec[i].contains);
        if (idx[i] < 0 && spec[i].required)
            return tblsrc_fail(j, -CLAIMD_ETBL_NO_HEADER, 0, 0, "%s header has no '%s' column",
                               what, spec[i].label);
    }
    return 0;
}

/* The end of a record, where a missing column is reported. */
static const char *row_end(const tblsrc_row *r)
{
    if (r->nf == 0)
        return r->start;
    const tblsrc_field *f = &r->f[r->nf - 1];
    return f->p + f->n;
}

/* Column `which` of the row; an absent optional column reads as empty.
 * *f is written on failure too (empty): the failure code comes from
 * tblsrc_fail_at in another file, where the analyzer cannot see it is never 0. */
static int col_get(const csvx *x, int which, tblsrc_field *f)
{
    int i = x->idx[which];
    *f = (tblsrc_field){x->r->start, 0, 0};
    if (i < 0)
        return 0;
    if ((uint32_t)i >= x->r->nf)
        return tblsrc_fail_at(x->j, row_end(x->r), "row ends before its %s column (%d)",
                              x->spec[which].label, i + 1);
    *f = x->r->f[i];
    return 0;
}

/* A decimal scaled by 10^scale; blank reads as 0 when blank_ok. */
static int col_dec(const csvx *x, int which, unsigned scale, bool blank_ok, int64_t *out)
{
    tblsrc_field f;
    int rc = col_get(x, which, &f);
    if (rc)
        return rc;
    *out = 0;
    if (blank_ok && tblsrc_is_blank(f.p, f.n))
        return 0;
    if (tblsrc_dec(f.p, f.n, scale, out) != 0 || *out > INT32_MAX || *out < INT32_MIN)
        return tblsrc_fail_at(x->j, f.p, "%s is not a decimal number with at most %u decimals",
                              x->spec[which].label, scale);
    return 0;
}

static int col_dec32(const csvx *x, int which, bool blank_ok, int32_t *out)
{
    int64_t v = 0;
    int rc = col_dec(x, which, 4, blank_ok, &v);
    *out = rc == 0 ? (int32_t)v : 0; /* col_dec checked the int32 range */
    return rc;
}

static int col_code(const csvx *x, int which, char *dst, size_t cap, size_t min, size_t max)
{
    tblsrc_field f;
    int rc = col_get(x, which, &f);
    if (rc == 0 && tblsrc_code(dst, cap, f.p, f.n, min, max) != 0)
        rc = tblsrc_fail_at(x->j, f.p, "%s is not %zu-%zu letters and digits", x->spec[which].label,
                            min, max);
    return rc;
}

static int col_digits(const csvx *x, int which, char *dst, size_t cap, size_t len)
{
    tblsrc_field f;
    int rc = col_get(x, which, &f);
    if (rc == 0 && tblsrc_code(dst, cap, f.p, f.n, len, len) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < len; i++)
        if (!tblsrc_isdig(dst[i]))
            rc = -1;
    if (rc == -1)
        rc = tblsrc_fail_at(x->j, f.p, "%s is not %zu digits", x->spec[which].label, len);
    return rc;
}

/* One character from a set (blank allowed when the set holds ' '). */
static int col_char(const csvx *x, int which, const char *set, char *out)
{
    tblsrc_field f;
    int rc = col_get(x, which, &f);
    if (rc)
        return rc;
    const char *p = f.p;
    size_t n = tblsrc_trim(&p, f.n);
    char ch = n == 0 ? ' ' : tblsrc_upper(p[0]);
    if (n > 1 || !strchr(set, ch))
        return tblsrc_fail_at(x->j, f.p, "%s is not one of \"%s\"", x->spec[which].label, set);
    *out = ch;
    return 0;
}

static int col_digit(const csvx *x, int which, bool blank_ok, uint8_t *out)
{
    char ch = ' ';
    int rc = col_char(x, which, blank_ok ? " 0123456789" : "0123456789", &ch);
    *out = rc == 0 && ch != ' ' ? (uint8_t)(ch - '0') : 0;
    return rc;
}

static int col_text(const csvx *x, int which, char *dst, size_t cap)
{
    tblsrc_field f;
    int rc = col_get(x, which, &f);
    if (rc == 0)
        tblsrc_text(dst, cap, f.p, f.n, f.esc);
    return rc;
}

/* Reads data rows after the header: blank rows and single-cell notes are
 * skipped, a row whose only cell is a key still goes to row (and fails there
 * for its missing columns: a truncated file). */
static int data_rows(tblsrc_job *j, tblsrc_cur *c, tblsrc_row *r, int keycol,
                     bool (*is_key)(tblsrc_field), int (*row)(csvx *x), csvx *x)
{
    x->r = r;
    for (;;) {
        int rc = tblsrc_csv_row(j, c, ',', r);
        if (rc <= 0)
            return rc;
        int single = tblsrc_row_single(r);
        uint32_t nb = tblsrc_row_nonblank(r);
        if (nb == 0 || (nb == 1 && !(single == keycol && is_key(r->f[single])))) {
            j->st.skipped++;
            continue;
        }
        memset(&j->rec, 0, sizeof j->rec);
        rc = row(x);
        if (rc)
            return rc;
    }
}

static tbl_period explicit_or_open(const tblsrc_job *j)
{
    if (tblsrc_has_explicit(j->opts))
        return j->opts->period;
    return (tbl_period){0, TBL_DATE_OPEN};
}

static unsigned name_year(const tblsrc_job *j)
{
    const char *n = j->opts->name;
    return n ? tblsrc_find_year(n, strlen(n)) : 0;
}

/* ---- PPRRVU -------------------------------------------------------------- */

enum {
    RV_HCPCS,
    RV_MOD,
    RV_STATUS,
    RV_WORK,
    RV_PE_NF,
    RV_NA_NF,
    RV_PE_F,
    RV_NA_F,
    RV_MP,
    RV_TOT_NF,
    RV_TOT_F,
    RV_PCTC,
    RV_GLOB,
    RV_MULT,
    RV_BILAT,
    RV_ASST,
    RV_CO,
    RV_TEAM,
    RV_CONV,
    RV_ENDO,
    RV_IMG,
    RV_NOTUSED,
    RV_PRE,
    RV_INTRA,
    RV_POST,
    RV_SUPERV,
    RV_CALC,
    RV_OPPS_PE_NF,
    RV_OPPS_PE_F,
    RV_OPPS_MP,
    RV_COUNT
};

static const colspec rvu_cols[RV_COUNT] = {
    [RV_HCPCS] = {"HCPCS", false, true, "HCPCS"},
    [RV_MOD] = {"MOD", false, true, "MOD"},
    [RV_STATUS] = {"STATUSCODE|STATUS", false, true, "STATUS CODE"},
    [RV_WORK] = {"WORKRVU", false, true, "WORK RVU"},
    [RV_PE_NF] = {"NON-FACPERVU|NON-FACILITYPERVU|NONFACPERVU", false, true, "NON-FAC PE RVU"},
    [RV_NA_NF] = {"NON-FACNAINDICATOR|NON-FACILITYNAINDICATOR|NONFACNAINDICATOR", false, true,
                  "NON-FAC NA INDICATOR"},
    [RV_PE_F] = {"FACILITYPERVU", false, true, "FACILITY PE RVU"},
    [RV_NA_F] = {"FACILITYNAINDICATOR", false, true, "FACILITY NA INDICATOR"},
    [RV_MP] = {"MPRVU|MALPRACTICERVU", false, true, "MP RVU"},
    [RV_TOT_NF] = {"NON-FACILITYTOTAL|NON-FACTOTAL|NONFACILITYTOTAL", false, true,
                   "NON-FACILITY TOTAL"},
    [RV_TOT_F] = {"FACILITYTOTAL", false, true, "FACILITY TOTAL"},
    [RV_PCTC] = {"PCTCIND", false, true, "PCTC IND"},
    [RV_GLOB] = {"GLOBDAYS", false, true, "GLOB DAYS"},
    [RV_MULT] = {"MULTPROC", false, true, "MULT PROC"},
    [RV_BILAT] = {"BILATSURG", false, true, "BILAT SURG"},
    [RV_ASST] = {"ASSTSURG", false, true, "ASST SURG"},
    [RV_CO] = {"CO-SURG|COSURG", false, true, "CO-SURG"},
    [RV_TEAM] = {"TEAMSURG", false, true, "TEAM SURG"},
    [RV_CONV] = {"CONVFACTOR|CONVERSIONFACTOR", false, true, "CONV FACTOR"},
    [RV_ENDO] = {"ENDOBASE", false, false, "ENDO BASE"},
    [RV_IMG] = {"DIAGNOSTICIMAGINGFAMILYINDICATOR|DIAGNOSTICIMAGINGFAMILY", false, false,
                "DIAGNOSTIC IMAGING FAMILY"},
    [RV_NOTUSED] = {"NOTUSEDFORMEDICAREPAYMENT", false, false, "NOT USED FOR MEDICARE PAYMENT"},
    [RV_PRE] = {"PREOP", false, false, "PRE OP"},
    [RV_INTRA] = {"INTRAOP", false, false, "INTRA OP"},
    [RV_POST] = {"POSTOP", false, false, "POST OP"},
    [RV_SUPERV] = {"PHYSICIANSUPERVISIONOFDIAGNOSTICPROCEDURES", false, false,
                   "PHYSICIAN SUPERVISION OF DIAGNOSTIC PROCEDURES"},
    [RV_CALC] = {"CALCULATIONFLAG", false, false, "CALCULATION FLAG"},
    [RV_OPPS_PE_NF] = {"NON-FACILITYPEUSEDFOROPPSPAYMENTAMOUNT", false, false,
                       "NON-FACILITY PE USED FOR OPPS PAYMENT AMOUNT"},
    [RV_OPPS_PE_F] = {"FACILITYPEUSEDFOROPPSPAYMENTAMOUNT", false, false,
                      "FACILITY PE USED FOR OPPS PAYMENT AMOUNT"},
    [RV_OPPS_MP] = {"MPUSEDFOROPPSPAYMENTAMOUNT", false, false, "MP USED FOR OPPS PAYMENT AMOUNT"},
};

/* What the banner says about the release: "2025 National Physician Fee
 * Schedule Relative Value File October Release". */
typedef struct rvu_banner {
    unsigned year, quarter; /* from a "<Month> Release" cell */
    unsigned year_any;      /* from a cell naming the fee schedule */
} rvu_banner;

static void rvu_banner_row(void *ctx, const tblsrc_row *r)
{
    rvu_banner *b = ctx;
    for (uint32_t i = 0; i < r->nf; i++) {
        const char *p = r->f[i].p;
        size_t n = r->f[i].n;
        unsigned y = tblsrc_find_year(p, n), m = tblsrc_find_month(p, n);
        if (!b->year && y && m && tblsrc_find_ci(p, n, "RELEASE")) {
            b->year = y;
            b->quarter = (m - 1) / 3 + 1;
        }
        if (!b->year_any && y &&
            (tblsrc_find_ci(p, n, "FEE SCHEDULE") || tblsrc_find_ci(p, n, "RELATIVE VALUE")))
            b->year_any = y;
    }
}

static bool rvu_hdr_test(const tblsrc_row *r)
{
    char nm[TBLSRC_NAME_MAX];
    if (r->nf < 10)
        return false;
    field_name(nm, sizeof nm, r->f[0]);
    return strcmp(nm, "HCPCS") == 0;
}

/* Release quarter start to Dec 31 of its year; the quarter from the banner's
 * "<Month> Release", else a month in the file name (PPRRVU2025_Oct.csv),
 * else January (the annual release). */
static int rvu_period(tblsrc_job *j, const rvu_banner *b, tbl_period *per)
{
    if (tblsrc_has_explicit(j->opts)) {
        *per = j->opts->period;
        return 0;
    }
    const char *name = j->opts->name;
    unsigned y = b->year ? b->year : b->year_any ? b->year_any : name_year(j);
    unsigned q = b->quarter;
    if (!q && name) {
        unsigned m = tblsrc_find_month(name, strlen(name));
        q = m ? (m - 1) / 3 + 1 : 1;
    }
    if (y == 0)
        return tblsrc_fail(j, -CLAIMD_ETBL_NO_PERIOD, 0, 0,
                           "PPRRVU: no release year in the banner or the file name; "
                           "give it as FILE@YYYYMMDD:YYYYMMDD");
    *per = tblsrc_quarter(y, q ? q : 1, true);
    return 0;
}

/* Folds the rows stacked over the "HCPCS" row (each with two or more
 * non-blank cells; a one-cell row is banner) into the column names. */
static int rvu_names(tblsrc_job *j, const hdr_find *h, const tblsrc_row *hdr,
                     char (*names)[TBLSRC_NAME_MAX])
{
    tblsrc_row above;
    uint32_t top = h->above;
    while (top > 0 && h->above - top < STACK_MAX && h->above - top < RING) {
        tblsrc_cur c = h->ring[(top - 1) % RING];
        if (tblsrc_csv_row(j, &c, ',', &above) != 1 || tblsrc_row_nonblank(&above) < 2)
            break;
        top--;
    }
    for (uint32_t i = top; i < h->above; i++) {
        tblsrc_cur c = h->ring[i % RING];
        if (tblsrc_csv_row(j, &c, ',', &above) == 1)
            names_add_row(names, &above);
    }
    names_add_row(names, hdr);
    return 0;
}

static int rvu_values(csvx *x, tbl_rvu *r)
{
    int rc = 0;
    rc = rc ? rc : col_dec32(x, RV_WORK, true, &r->work);
    rc = rc ? rc : col_dec32(x, RV_PE_NF, true, &r->pe_nonfac);
    rc = rc ? rc : col_dec32(x, RV_PE_F, true, &r->pe_fac);
    rc = rc ? rc : col_dec32(x, RV_MP, true, &r->mp);
    rc = rc ? rc : col_dec32(x, RV_TOT_NF, true, &r->total_nonfac);
    rc = rc ? rc : col_dec32(x, RV_TOT_F, true, &r->total_fac);
    rc = rc ? rc : col_dec32(x, RV_CONV, false, &r->conv_factor);
    rc = rc ? rc : col_dec32(x, RV_PRE, true, &r->pre_op);
    rc = rc ? rc : col_dec32(x, RV_INTRA, true, &r->intra_op);
    rc = rc ? rc : col_dec32(x, RV_POST, true, &r->post_op);
    rc = rc ? rc : col_dec32(x, RV_OPPS_PE_NF, true, &r->opps_pe_nonfac);
    rc = rc ? rc : col_dec32(x, RV_OPPS_PE_F, true, &r->opps_pe_fac);
    rc = rc ? rc : col_dec32(x, RV_OPPS_MP, true, &r->opps_mp);
    return rc;
}

/* NA indicator: "NA" (no value in that setting) or blank. */
static int na_field(const csvx *x, int which, uint8_t *out)
{
    tblsrc_field f;
    int rc = col_get(x, which, &f);
    if (rc)
        return rc;
    const char *p = f.p;
    size_t n = tblsrc_trim(&p, f.n);
    if (n != 0 && !(n == 2 && tblsrc_upper(p[0]) == 'N' && tblsrc_upper(p[1]) == 'A'))
        return tblsrc_fail_at(x->j, f.p, "%s is not NA or blank", x->spec[which].label);
    *out = n != 0;
    return 0;
}

static int rvu_flags(csvx *x, tbl_rvu *r)
{
    char notused = ' ';
    int rc = 0;
    rc = rc ? rc : col_code(x, RV_MOD, r->mod, sizeof r->mod, 0, 2);
    rc = rc ? rc : col_char(x, RV_STATUS, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", &r->status);
    rc = rc ? rc : na_field(x, RV_NA_NF, &r->na_nonfac);
    rc = rc ? rc : na_field(x, RV_NA_F, &r->na_fac);
    rc = rc ? rc : col_digit(x, RV_PCTC, false, &r->pctc);
    rc = rc ? rc : col_code(x, RV_GLOB, r->glob_days, sizeof r->glob_days, 3, 3);
    rc = rc ? rc : col_digit(x, RV_MULT, false, &r->mult_proc);
    rc = rc ? rc : col_digit(x, RV_BILAT, false, &r->bilat);
    rc = rc ? rc : col_digit(x, RV_ASST, false, &r->asst);
    rc = rc ? rc : col_digit(x, RV_CO, false, &r->co_surg);
    rc = rc ? rc : col_digit(x, RV_TEAM, false, &r->team);
    rc = rc ? rc : col_code(x, RV_ENDO, r->endo_base, sizeof r->endo_base, 0, 5);
    rc = rc ? rc : col_code(x, RV_IMG, r->img_family, sizeof r->img_family, 0, 2);
    rc = rc ? rc : col_code(x, RV_SUPERV, r->phys_superv, sizeof r->phys_superv, 0, 2);
    rc = rc ? rc : col_digit(x, RV_CALC, true, &r->calc_flag);
    rc = rc ? rc : col_char(x, RV_NOTUSED, " +", &notused);
    r->not_used_medicare = notused == '+';
    return rc;
}

/* work + PE + MP must equal the file's own total in each setting; where the
 * setting is NA the file may carry its PE as 0 and a total from elsewhere. */
static void rvu_check(tblsrc_job *j, const tbl_rvu *r)
{
    int64_t nf = (int64_t)r->work + r->pe_nonfac + r->mp;
    int64_t f = (int64_t)r->work + r->pe_fac + r->mp;
    bool bad_nf = nf != r->total_nonfac && !(r->na_nonfac && r->pe_nonfac == 0);
    bool bad_f = f != r->total_fac && !(r->na_fac && r->pe_fac == 0);
    j->st.mismatches += bad_nf || bad_f;
}

static int rvu_row(csvx *x)
{
    tbl_rvu *r = &x->j->rec.u.rvu;
    int rc = col_code(x, RV_HCPCS, r->code, sizeof r->code, 5, 5);
    rc = rc ? rc : rvu_flags(x, r);
    rc = rc ? rc : rvu_values(x, r);
    if (rc)
        return rc;
    rvu_check(x->j, r);
    r->period = x->period;
    return tblsrc_emit(x->j, &r->period);
}

int tblsrc_imp_pprrvu(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tblsrc_row r;
    rvu_banner b = {0, 0, 0};
    hdr_find h = {.test = rvu_hdr_test, .banner = rvu_banner_row, .bctx = &b, .what = "PPRRVU"};
    char names[TBLSRC_MAX_FIELDS][TBLSRC_NAME_MAX] = {{0}};
    int idx[RV_COUNT] = {0}; /* set by cols_find before any use */
    csvx x = {.j = j, .spec = rvu_cols, .idx = idx};
    int rc = find_header(j, &c, &r, &h);
    rc = rc ? rc : rvu_names(j, &h, &r, names);
    rc = rc ? rc : cols_find(j, names, rvu_cols, RV_COUNT, idx, "PPRRVU");
    rc = rc ? rc : rvu_period(j, &b, &x.period);
    if (rc)
        return rc;
    j->st.skipped++; /* the HCPCS row */
    return data_rows(j, &c, &r, idx[RV_HCPCS], is_code5, rvu_row, &x);
}

/* ---- GPCI ---------------------------------------------------------------- */

enum { GP_MAC, GP_STATE, GP_LOCNO, GP_LOCNAME, GP_PW, GP_PE, GP_MP, GP_COUNT };

static const colspec gpci_cols[GP_COUNT] = {
    [GP_MAC] = {"(MAC)|MAC|CARRIER", true, true, "MAC"},
    [GP_STATE] = {"STATE", false, true, "State"},
    [GP_LOCNO] = {"LOCALITYNUMBER|LOCALITY", false, true, "Locality Number"},
    [GP_LOCNAME] = {"LOCALITYNAME", false, true, "Locality Name"},
    [GP_PW] = {"PWGPCI|WORKGPCI", true, true, "PW GPCI"},
    [GP_PE] = {"PEGPCI", true, true, "PE GPCI"},
    [GP_MP] = {"MPGPCI|MALPRACTICEGPCI", true, true, "MP GPCI"},
};

static bool gpci_hdr_test(const tblsrc_row *r)
{
    return row_has_name(r, "STATE", false) && row_has_name(r, "GPCI", true);
}

static void gpci_banner_row(void *ctx, const tblsrc_row *r)
{
    unsigned *year = ctx;
    for (uint32_t i = 0; i < r->nf && !*year; i++)
        if (tblsrc_find_ci(r->f[i].p, r->f[i].n, "GPCI"))
            *year = tblsrc_find_year(r->f[i].p, r->f[i].n);
}

/* The calendar year named in the header ("2025 PW GPCI"), else in the title,
 * else in the file name. */
static int gpci_period(tblsrc_job *j, const tblsrc_row *hdr, const int *idx, unsigned banner_year,
                       tbl_period *per)
{
    if (tblsrc_has_explicit(j->opts)) {
        *per = j->opts->period;
        return 0;
    }
    tblsrc_field pw = tblsrc_row_get(hdr, idx[GP_PW]);
    unsigned y = tblsrc_find_year(pw.p, pw.n);
    y = y ? y : banner_year ? banner_year : name_year(j);
    if (y == 0)
        return tblsrc_fail(j, -CLAIMD_ETBL_NO_PERIOD, 0, 0,
                           "GPCI: no year in the header, title or file name; "
                           "give it as FILE@YYYYMMDD:YYYYMMDD");
    per->from = y * 10000 + 101;
    per->to = y * 10000 + 1231;
    return 0;
}

static int gpci_row(csvx *x)
{
    tbl_gpci *r = &x->j->rec.u.gpci;
    int rc = col_digits(x, GP_MAC, r->carrier, sizeof r->carrier, 5);
    rc = rc ? rc : col_code(x, GP_STATE, r->state, sizeof r->state, 2, 2);
    rc = rc ? rc : col_code(x, GP_LOCNO, r->locality, sizeof r->locality, 2, 2);
    rc = rc ? rc : col_text(x, GP_LOCNAME, r->name, sizeof r->name);
    rc = rc ? rc : col_dec32(x, GP_PW, false, &r->work);
    rc = rc ? rc : col_dec32(x, GP_PE, false, &r->pe);
    rc = rc ? rc : col_dec32(x, GP_MP, false, &r->mp);
    if (rc)
        return rc;
    r->period = x->period;
    return tblsrc_emit(x->j, &r->period);
}

int tblsrc_imp_gpci(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tblsrc_row r;
    unsigned year = 0;
    hdr_find h = {.test = gpci_hdr_test, .banner = gpci_banner_row, .bctx = &year, .what = "GPCI"};
    char names[TBLSRC_MAX_FIELDS][TBLSRC_NAME_MAX] = {{0}};
    int idx[GP_COUNT] = {0}; /* set by cols_find before any use */
    csvx x = {.j = j, .spec = gpci_cols, .idx = idx};
    int rc = find_header(j, &c, &r, &h);
    if (rc == 0)
        names_add_row(names, &r);
    rc = rc ? rc : cols_find(j, names, gpci_cols, GP_COUNT, idx, "GPCI");
    rc = rc ? rc : gpci_period(j, &r, idx, year, &x.period);
    if (rc)
        return rc;
    j->st.skipped++;
    return data_rows(j, &c, &r, idx[GP_MAC], is_digits5, gpci_row, &x);
}

/* ---- OPPSCAP -------------------------------------------------------------- */

enum { OC_HCPCS, OC_MOD, OC_PROCSTAT, OC_CARRIER, OC_LOCALITY, OC_FAC, OC_NONFAC, OC_COUNT };

static const colspec opps_cols[OC_COUNT] = {
    [OC_HCPCS] = {"HCPCS", false, true, "HCPCS"},
    [OC_MOD] = {"MOD", false, true, "MOD"},
    [OC_PROCSTAT] = {"PROCSTAT", false, true, "PROCSTAT"},
    [OC_CARRIER] = {"CARRIER", false, true, "CARRIER"},
    [OC_LOCALITY] = {"LOCALITY", false, true, "LOCALITY"},
    [OC_FAC] = {"FACILITYPRICE", false, true, "FACILITY PRICE"},
    /* [sic]: CMS spells it NON-FACILTY */
    [OC_NONFAC] = {"NON-FACILTYPRICE|NON-FACILITYPRICE|NONFACILITYPRICE", false, true,
                   "NON-FACILITY PRICE"},
};

static bool opps_hdr_test(const tblsrc_row *r)
{
    char nm[TBLSRC_NAME_MAX];
    field_name(nm, sizeof nm, tblsrc_row_get(r, 0));
    return strcmp(nm, "HCPCS") == 0 && row_has_name(r, "PROCSTAT", false);
}

static int opps_row(csvx *x)
{
    tbl_oppscap *r = &x->j->rec.u.oppscap;
    int64_t fac = 0, nonfac = 0;
    int rc = col_code(x, OC_HCPCS, r->code, sizeof r->code, 5, 5);
    rc = rc ? rc : col_code(x, OC_MOD, r->mod, sizeof r->mod, 0, 2);
    rc = rc ? rc : col_char(x, OC_PROCSTAT, " ABCDEFGHIJKLMNOPQRSTUVWXYZ", &r->procstat);
    rc = rc ? rc : col_digits(x, OC_CARRIER, r->carrier, sizeof r->carrier, 5);
    rc = rc ? rc : col_code(x, OC_LOCALITY, r->locality, sizeof r->locality, 2, 2);
    rc = rc ? rc : col_dec(x, OC_FAC, 2, false, &fac);
    rc = rc ? rc : col_dec(x, OC_NONFAC, 2, false, &nonfac);
    if (rc)
        return rc;
    r->procstat = r->procstat == ' ' ? 0 : r->procstat;
    r->fac_cents = fac;
    r->nonfac_cents = nonfac;
    r->period = x->period;
    return tblsrc_emit(x->j, &r->period);
}

int tblsrc_imp_oppscap(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tblsrc_row r;
    hdr_find h = {.test = opps_hdr_test, .what = "OPPSCAP"};
    char names[TBLSRC_MAX_FIELDS][TBLSRC_NAME_MAX] = {{0}};
    int idx[OC_COUNT] = {0}; /* set by cols_find before any use */
    csvx x = {.j = j, .spec = opps_cols, .idx = idx, .period = explicit_or_open(j)};
    int rc = find_header(j, &c, &r, &h);
    if (rc == 0)
        names_add_row(names, &r);
    rc = rc ? rc : cols_find(j, names, opps_cols, OC_COUNT, idx, "OPPSCAP");
    if (rc)
        return rc;
    j->st.skipped++;
    return data_rows(j, &c, &r, idx[OC_HCPCS], is_code5, opps_row, &x);
}

/* ---- MUE ------------------------------------------------------------------ */

enum { MU_CODE, MU_VALUE, MU_MAI, MU_COUNT };

static const colspec mue_cols[MU_COUNT] = {
    [MU_CODE] = {"HCPCS", true, true, "HCPCS/CPT Code"},
    [MU_VALUE] = {"MUEVALUE", true, true, "MUE Values"},
    [MU_MAI] = {"ADJUDICATIONINDICATOR|MAI", true, true, "MUE Adjudication Indicator"},
};

static bool mue_hdr_test(const tblsrc_row *r)
{
    return row_has_name(r, "HCPCS", true) && row_has_name(r, "MUEVALUE", true);
}

/* Up to three digit groups joined by - _ . or /, e.g. 2025-01-01, 10-01-2025,
 * 20250101, as a date. Returns 0 or -1. */
static int loose_date(const char *p, size_t n, uint32_t *out)
{
    unsigned g[3] = {0}, len[3] = {0};
    int k = 0;
    for (size_t i = 0; i < n && k < 3; i++) {
        if (tblsrc_isdig(p[i]) && len[k] < 8) {
            g[k] = g[k] * 10 + (unsigned)(p[i] - '0');
            len[k]++;
        } else if (len[k] && strchr("-_./", p[i]) && p[i] && k < 2) {
            k++;
        } else {
            break;
        }
    }
    uint32_t d = 0;
    if (len[0] == 8 && len[1] == 0)
        d = g[0];
    else if (len[0] == 4 && len[1] && len[1] <= 2 && len[2] && len[2] <= 2)
        d = g[0] * 10000 + g[1] * 100 + g[2];
    else if (len[0] && len[0] <= 2 && len[1] && len[1] <= 2 && len[2] == 4)
        d = g[2] * 10000 + g[0] * 100 + g[1];
    if (!tblsrc_date_ok(d))
        return -1;
    *out = d;
    return 0;
}

/* A quarter written next to its year: 2025Q1, 2025-q1, Q1_2025. */
static unsigned name_quarter(const char *p, size_t n, unsigned *year)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if ((p[i] != 'Q' && p[i] != 'q') || p[i + 1] < '1' || p[i + 1] > '4')
            continue;
        size_t lo = i >= 6 ? i - 6 : 0, hi = i + 8 < n ? i + 8 : n;
        unsigned y = tblsrc_find_year(p + lo, hi - lo);
        if (y) {
            *year = y;
            return (unsigned)(p[i + 1] - '0');
        }
    }
    return 0;
}

/* The file's quarter, from the effective date in its name (..._Eff_2025-01-01
 * or _Eff_10-01-2025) or a year and quarter (2025-q4). */
static int mue_period(tblsrc_job *j, tbl_period *per)
{
    if (tblsrc_has_explicit(j->opts)) {
        *per = j->opts->period;
        return 0;
    }
    const char *name = j->opts->name ? j->opts->name : "";
    size_t n = strlen(name);
    const char *eff = tblsrc_find_ci(name, n, "EFF");
    uint32_t d = 0;
    unsigned y = 0, q = 0;
    if (eff) {
        const char *s = eff + 3;
        while (*s && !tblsrc_isdig(*s) && strchr("_- ", *s))
            s++;
        if (loose_date(s, strlen(s), &d) == 0) {
            y = d / 10000;
            q = (d / 100 % 100 - 1) / 3 + 1;
        }
    }
    if (!q)
        q = name_quarter(name, n, &y);
    if (!q)
        return tblsrc_fail(j, -CLAIMD_ETBL_NO_PERIOD, 0, 0,
                           "MUE: no effective date in the file name (..._Eff_YYYY-MM-DD.csv); "
                           "give it as FILE@YYYYMMDD:YYYYMMDD");
    *per = tblsrc_quarter(y, q, false);
    return 0;
}

/* "1 Line Edit", "2 Date of Service Edit: Policy", "3 ...", or the digit. */
static int mue_mai(const csvx *x, uint8_t *out)
{
    tblsrc_field f;
    int rc = col_get(x, MU_MAI, &f);
    if (rc)
        return rc;
    const char *p = f.p;
    size_t n = tblsrc_trim(&p, f.n);
    if (n == 0 || p[0] < '1' || p[0] > '3' || (n > 1 && tblsrc_isdig(p[1])))
        return tblsrc_fail_at(x->j, f.p,
                              "MUE Adjudication Indicator does not start with 1, 2 or 3");
    *out = (uint8_t)(p[0] - '0');
    return 0;
}

static int mue_row(csvx *x)
{
    tbl_mue *r = &x->j->rec.u.mue;
    tblsrc_field f;
    uint64_t v = 0;
    int rc = col_code(x, MU_CODE, r->code, sizeof r->code, 5, 5);
    rc = rc ? rc : col_get(x, MU_VALUE, &f);
    if (rc == 0 && tblsrc_uint(f.p, f.n, MUE_VALUE_MAX, &v) != 0)
        rc = tblsrc_fail_at(x->j, f.p, "MUE value is not a whole number up to %d", MUE_VALUE_MAX);
    rc = rc ? rc : mue_mai(x, &r->mai);
    if (rc)
        return rc;
    r->value = (uint16_t)v;
    r->period = x->period;
    return tblsrc_emit(x->j, &r->period);
}

int tblsrc_imp_mue(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tblsrc_row r;
    hdr_find h = {.test = mue_hdr_test, .what = "MUE"};
    char names[TBLSRC_MAX_FIELDS][TBLSRC_NAME_MAX] = {{0}};
    int idx[MU_COUNT] = {0}; /* set by cols_find before any use */
    csvx x = {.j = j, .spec = mue_cols, .idx = idx};
    int rc = mue_period(j, &x.period);
    rc = rc ? rc : find_header(j, &c, &r, &h);
    if (rc == 0)
        names_add_row(names, &r);
    rc = rc ? rc : cols_find(j, names, mue_cols, MU_COUNT, idx, "MUE");
    if (rc)
        return rc;
    j->st.skipped++;
    return data_rows(j, &c, &r, idx[MU_CODE], is_code5, mue_row, &x);
}

/* ---- age/sex (the project's own layout) ------------------------------------
 * CSV code,sex,min_age,max_age with an optional header row naming those
 * columns (then found by name, in any order). code: ICD-10-CM or HCPCS, dots
 * allowed and dropped; sex M, F or empty (no limit); ages in whole years,
 * inclusive; an empty min_age is 0, an empty max_age 124 (no upper limit). */

enum { AS_CODE, AS_SEX, AS_MIN, AS_MAX, AS_COUNT };

static const colspec agesex_cols[AS_COUNT] = {
    [AS_CODE] = {"CODE", false, true, "code"},
    [AS_SEX] = {"SEX", false, true, "sex"},
    [AS_MIN] = {"MIN_AGE|MINAGE", false, true, "min_age"},
    [AS_MAX] = {"MAX_AGE|MAXAGE", false, true, "max_age"},
};

static int age_col(const csvx *x, int which, uint8_t blank_as, uint8_t *out)
{
    tblsrc_field f;
    uint64_t v = blank_as;
    int rc = col_get(x, which, &f);
    if (rc)
        return rc;
    if (!tblsrc_is_blank(f.p, f.n) && tblsrc_uint(f.p, f.n, AGE_NO_LIMIT, &v) != 0)
        return tblsrc_fail_at(x->j, f.p, "%s is not a whole number of years 0-%d",
                              x->spec[which].label, AGE_NO_LIMIT);
    *out = (uint8_t)v;
    return 0;
}

static int agesex_row(csvx *x)
{
    tbl_agesex *r = &x->j->rec.u.agesex;
    char sex = ' ';
    int rc = col_code(x, AS_CODE, r->code, sizeof r->code, 3, 7);
    rc = rc ? rc : col_char(x, AS_SEX, " MF", &sex);
    rc = rc ? rc : age_col(x, AS_MIN, 0, &r->min_age);
    rc = rc ? rc : age_col(x, AS_MAX, AGE_NO_LIMIT, &r->max_age);
    if (rc == 0 && r->min_age > r->max_age) {
        tblsrc_field f;
        col_get(x, AS_MAX, &f);
        rc = tblsrc_fail_at(x->j, f.p, "max_age is below min_age");
    }
    if (rc)
        return rc;
    r->sex = sex == ' ' ? 0 : sex;
    r->period = x->period;
    return tblsrc_emit(x->j, &r->period);
}

/* Maps the columns from a header row, or takes the layout's own order. */
static bool agesex_header(tblsrc_job *j, const tblsrc_row *r, int *idx)
{
    char names[TBLSRC_MAX_FIELDS][TBLSRC_NAME_MAX] = {{0}};
    names_add_row(names, r);
    for (int i = 0; i < AS_COUNT; i++)
        idx[i] = tblsrc_col(names, TBLSRC_MAX_FIELDS, agesex_cols[i].alts, false);
    if (idx[AS_CODE] >= 0 && idx[AS_SEX] >= 0 && idx[AS_MIN] >= 0 && idx[AS_MAX] >= 0) {
        j->st.skipped++;
        return true;
    }
    for (int i = 0; i < AS_COUNT; i++)
        idx[i] = i;
    return false;
}

int tblsrc_imp_agesex(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tblsrc_row r;
    int idx[AS_COUNT] = {AS_CODE, AS_SEX, AS_MIN, AS_MAX};
    csvx x = {.j = j, .spec = agesex_cols, .idx = idx, .period = explicit_or_open(j), .r = &r};
    bool first = true;
    for (;;) {
        int rc = tblsrc_csv_row(j, &c, ',', &r);
        if (rc <= 0)
            return rc;
        tblsrc_field f0 = tblsrc_row_get(&r, 0);
        if (tblsrc_row_nonblank(&r) == 0 || (f0.n && f0.p[0] == '#')) {
            j->st.skipped++;
            continue;
        }
        if (first && (first = false, agesex_header(j, &r, idx)))
            continue;
        memset(&j->rec, 0, sizeof j->rec);
        rc = agesex_row(&x);
        if (rc)
            return rc;
    }
}
