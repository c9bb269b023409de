/* tblsrc_ importers for the fixed-width layouts: the CDC ICD-10-CM order file,
 * the CMS HCPCS Level II alpha-numeric file and the CMS ZIP5 / ZIP9 locality
 * files. Columns below are the publishers' 1-based columns; a line shorter
 * than a field reads as blanks there (editors trim trailing spaces). */
#include "claimd/error.h"
#include "tblsrc_int.h"

#include <string.h>

/* Columns col..col+len-1 (1-based) of a line of n bytes, clipped to it. */
typedef struct fx {
    const char *p;
    size_t n;
} fx;

static fx fx_at(const char *line, size_t n, size_t col, size_t len)
{
    fx f = {line + (col - 1 < n ? col - 1 : n), 0};
    if (col - 1 < n)
        f.n = n - (col - 1) < len ? n - (col - 1) : len;
    return f;
}

static bool all_dig(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!tblsrc_isdig(p[i]))
            return false;
    return n > 0;
}

/* ---- ICD-10-CM order file ---------------------------------------------
 * 1-5 order number, 7-13 code (no dot), 15 billable flag (1 billable, 0 a
 * header), 17-76 short description, 78- long description. */

bool tblsrc_icd_shape(const char *p, size_t n)
{
    return n >= 17 && all_dig(p, 5) && p[5] == ' ' && tblsrc_isalnum(p[6]) && p[13] == ' ' &&
           (p[14] == '0' || p[14] == '1') && p[15] == ' ';
}

/* Names the first column that breaks the layout. */
static int icd_bad(tblsrc_job *j, const char *p, size_t n)
{
    if (n < 17)
        return tblsrc_fail_at(j, p + n, "ICD-10-CM record ends at column %zu; the layout needs 78",
                              n + 1);
    for (size_t i = 0; i < 5; i++)
        if (!tblsrc_isdig(p[i]))
            return tblsrc_fail_at(j, p + i, "order number (columns 1-5) is not 5 digits");
    if (p[5] != ' ')
        return tblsrc_fail_at(j, p + 5, "column 6 must be blank");
    if (p[13] != ' ')
        return tblsrc_fail_at(j, p + 13, "code (columns 7-13) runs past column 13");
    if (p[14] != '0' && p[14] != '1')
        return tblsrc_fail_at(j, p + 14, "billable flag (column 15) is not 0 or 1");
    if (p[15] != ' ')
        return tblsrc_fail_at(j, p + 15, "column 16 must be blank");
    return tblsrc_fail_at(j, p + 6, "code (columns 7-13) is not 3-7 letters and digits");
}

static int icd_row(tblsrc_job *j, const char *p, size_t n, const tbl_period *per)
{
    tbl_icd10 *r = &j->rec.u.icd10;
    memset(&j->rec, 0, sizeof j->rec);
    if (!tblsrc_icd_shape(p, n) || tblsrc_code(r->code, sizeof r->code, p + 6, 7, 3, 7) != 0)
        return icd_bad(j, p, n);
    if (n < 78)
        return tblsrc_fail_at(j, p + n,
                              "ICD-10-CM record ends at column %zu, before its long "
                              "description (column 78)",
                              n + 1);
    r->billable = p[14] == '1';
    tblsrc_text(r->short_desc, sizeof r->short_desc, p + 16, 60, false);
    r->period = *per;
    return tblsrc_emit(j, per);
}

/* The fiscal year: the explicit period, else the year in the file name
 * (icd10cm_order_2022.txt: FY2022, 2021-10-01 to 2022-09-30). */
static int icd_period(tblsrc_job *j, tbl_period *per)
{
    if (tblsrc_has_explicit(j->opts)) {
        *per = j->opts->period;
        return 0;
    }
    const char *name = j->opts->name;
    unsigned y = name ? tblsrc_find_year(name, strlen(name)) : 0;
    if (y == 0)
        return tblsrc_fail(j, -CLAIMD_ETBL_NO_PERIOD, 0, 0,
                           "ICD-10-CM: no fiscal year in the file name (icd10cm_order_YYYY.txt); "
                           "give it as FILE@YYYYMMDD:YYYYMMDD");
    per->from = (y - 1) * 10000 + 1001;
    per->to = y * 10000 + 930;
    return 0;
}

int tblsrc_imp_icd10(tblsrc_job *j)
{
    tbl_period per;
    int rc = icd_period(j, &per);
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    const char *p;
    size_t n;
    uint64_t line;
    while (rc == 0 && tblsrc_line(&c, &p, &n, &line)) {
        if (tblsrc_is_blank(p, n))
            j->st.skipped++;
        else
            rc = icd_row(j, p, n, &per);
    }
    return rc;
}

/* ---- HCPCS Level II ---------------------------------------------------
 * 1-5 code (a modifier right-aligned in 4-5), 6-10 sequence, 11 record id
 * (3 procedure, 4 its continuation, 7 modifier, 8 its continuation), 12-91
 * long description, 92-119 short description, 269-276 add date, 277-284
 * action effective date, 285-292 termination date, 293 action code. */

static bool hcpcs_code_shape(const char *p, char rid)
{
    if (rid == '7' || rid == '8')
        return p[0] == ' ' && p[1] == ' ' && p[2] == ' ' && tblsrc_isalnum(p[3]) &&
               tblsrc_isalnum(p[4]);
    for (int i = 0; i < 5; i++)
        if (!tblsrc_isalnum(p[i]))
            return false;
    return true;
}

bool tblsrc_hcpcs_shape(const char *p, size_t n)
{
    return n >= 12 && all_dig(p + 5, 5) && strchr("3478", p[10]) && p[10] &&
           hcpcs_code_shape(p, p[10]);
}

/* A date field that may be blank (0). */
static int opt_date(tblsrc_job *j, fx f, const char *what, uint32_t *out)
{
    *out = 0;
    if (tblsrc_is_blank(f.p, f.n))
        return 0;
    if (tblsrc_date8(f.p, f.n, out) != 0)
        return tblsrc_fail_at(j, f.p, "%s is not a YYYYMMDD date", what);
    return 0;
}

static int hcpcs_row(tblsrc_job *j, const char *p, size_t n)
{
    tbl_hcpcs *r = &j->rec.u.hcpcs;
    memset(&j->rec, 0, sizeof j->rec);
    if (n < 276)
        return tblsrc_fail_at(j, p + n,
                              "HCPCS record ends at column %zu, before its add date "
                              "(columns 269-276)",
                              n + 1);
    r->is_modifier = p[10] == '7';
    tblsrc_code(r->code, sizeof r->code, p, 5, 2, 5); /* shape already checked */
    fx sd = fx_at(p, n, 92, 28);
    tblsrc_text(r->short_desc, sizeof r->short_desc, sd.p, sd.n, false);
    if (tblsrc_date8(p + 268, 8, &r->add_date) != 0)
        return tblsrc_fail_at(j, p + 268, "add date (columns 269-276) is not a YYYYMMDD date");
    int rc = opt_date(j, fx_at(p, n, 277, 8), "action effective date (columns 277-284)",
                      &r->action_eff_date);
    if (rc == 0)
        rc = opt_date(j, fx_at(p, n, 285, 8), "termination date (columns 285-292)", &r->term_date);
    if (rc)
        return rc;
    r->action = n >= 293 && p[292] != ' ' ? p[292] : 0;
    tbl_period own = {r->add_date, r->term_date ? r->term_date : TBL_DATE_OPEN};
    r->period = tblsrc_clip(j->opts, own);
    return tblsrc_emit(j, &r->period);
}

/* The parent record a continuation (4, 8) must follow. */
typedef struct hcpcs_parent {
    char code[6];
    char rid;
} hcpcs_parent;

static int hcpcs_line(tblsrc_job *j, hcpcs_parent *par, const char *p, size_t n)
{
    char rid = p[10];
    char code[6];
    tblsrc_code(code, sizeof code, p, 5, 2, 5);
    if (rid == '4' || rid == '8') {
        if (par->rid != rid - 1 || strcmp(par->code, code) != 0)
            return tblsrc_fail_at(j, p + 10,
                                  "continuation record (id %c) for %s does not follow its "
                                  "%s record",
                                  rid, code, rid == '4' ? "procedure" : "modifier");
        return 0;
    }
    memcpy(par->code, code, sizeof code);
    par->rid = rid;
    return hcpcs_row(j, p, n);
}

int tblsrc_imp_hcpcs(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    hcpcs_parent par = {{0}, 0};
    bool seen = false;
    const char *p;
    size_t n;
    uint64_t line;
    int rc = 0;
    j->period_mixed = true; /* rows carry their own dates */
    while (rc == 0 && tblsrc_line(&c, &p, &n, &line)) {
        if (tblsrc_is_blank(p, n) || (!seen && !tblsrc_hcpcs_shape(p, n))) {
            j->st.skipped++; /* the disclaimer paragraph before the records */
            continue;
        }
        if (!tblsrc_hcpcs_shape(p, n))
            return tblsrc_fail_at(j, p,
                                  "not a HCPCS record: columns 6-10 must be a sequence number "
                                  "and column 11 a record id 3, 4, 7 or 8");
        seen = true;
        rc = hcpcs_line(j, &par, p, n);
    }
    return rc;
}

/* ---- ZIP5 / ZIP9 -------------------------------------------------------
 * Both: 1-2 state, 3-7 ZIP, 8-12 carrier, 13-14 pricing locality, 15 rural
 * indicator, 21 plus-four flag, 76-80 year/quarter YYYYQ. ZIP5: 16-17 lab CB
 * locality, 18 rural indicator 2, 23 Part B payment indicator. ZIP9: 22-25
 * plus four, 32 Part B payment indicator. 80 bytes a record.
 *
 * Period: the whole calendar year of YYYYQ. Localities are set per calendar
 * year (with the GPCIs); a quarterly file corrects and adds ZIPs for that
 * year, so the latest file of a year prices every date of service in it
 * (claims for January arrive long after the October file is out). */

#define ZIP_RECLEN    80
#define ZIP_YEARQ_MIN 19801 /* 1980 Q1 */
#define ZIP_YEARQ_MAX 20994 /* 2099 Q4 */

int tblsrc_zip_shape(const char *p, size_t n)
{
    if (n < ZIP_RECLEN || !tblsrc_isalpha(p[0]) || !tblsrc_isalpha(p[1]) || !all_dig(p + 2, 10) ||
        !all_dig(p + 75, 5) || p[79] < '1' || p[79] > '4')
        return 0;
    return all_dig(p + 21, 4) ? 9 : 5;
}

/* The fields both layouts share; returns 0 or a failure. */
static int zip_common(tblsrc_job *j, const char *p, size_t n, char *state, char *zip, char *carrier,
                      char *locality, char *rural, uint16_t *yearq)
{
    if (n < ZIP_RECLEN)
        return tblsrc_fail_at(j, p + n, "record ends at column %zu; the layout has %d columns",
                              n + 1, ZIP_RECLEN);
    if (!tblsrc_isalpha(p[0]) || !tblsrc_isalpha(p[1]) || tblsrc_code(state, 3, p, 2, 2, 2))
        return tblsrc_fail_at(j, p, "state (columns 1-2) is not two letters");
    if (!all_dig(p + 2, 5) || tblsrc_code(zip, 6, p + 2, 5, 5, 5))
        return tblsrc_fail_at(j, p + 2, "ZIP code (columns 3-7) is not 5 digits");
    if (!all_dig(p + 7, 5) || tblsrc_code(carrier, 6, p + 7, 5, 5, 5))
        return tblsrc_fail_at(j, p + 7, "carrier (columns 8-12) is not 5 digits");
    if (tblsrc_code(locality, 3, p + 12, 2, 2, 2))
        return tblsrc_fail_at(j, p + 12, "pricing locality (columns 13-14) is not 2 characters");
    if (p[14] != ' ' && p[14] != 'R' && p[14] != 'B')
        return tblsrc_fail_at(j, p + 14, "rural indicator (column 15) is not blank, R or B");
    /* Years 1980-2099, as tblsrc_find_year: YYYYQ then fits yearq's uint16_t
     * (a year past 6553 wrapped it to a year like 0935, a period of no real days). */
    uint64_t yq;
    if (tblsrc_uint(p + 75, 5, ZIP_YEARQ_MAX, &yq) || yq % 10 < 1 || yq % 10 > 4 ||
        yq < ZIP_YEARQ_MIN)
        return tblsrc_fail_at(j, p + 75,
                              "year/quarter (columns 76-80) is not YYYYQ (years 1980-2099)");
    *rural = p[14];
    *yearq = (uint16_t)yq;
    return 0;
}

static tbl_period zip_period(const tblsrc_job *j, uint16_t yearq)
{
    if (tblsrc_has_explicit(j->opts))
        return j->opts->period;
    return tblsrc_quarter(yearq / 10u, 1, true);
}

static int zip5_row(tblsrc_job *j, const char *p, size_t n)
{
    tbl_zip5 *r = &j->rec.u.zip5;
    memset(&j->rec, 0, sizeof j->rec);
    int rc = zip_common(j, p, n, r->state, r->zip, r->carrier, r->locality, &r->rural, &r->yearq);
    if (rc)
        return rc;
    if (p[20] != '0' && p[20] != '1')
        return tblsrc_fail_at(j, p + 20, "plus-four flag (column 21) is not 0 or 1");
    r->plus4 = p[20] == '1';
    tblsrc_text(r->lab_cb, sizeof r->lab_cb, p + 15, 2, false);
    r->rural2 = p[17];
    r->partb = p[22];
    r->period = zip_period(j, r->yearq);
    return tblsrc_emit(j, &r->period);
}

static int zip9_row(tblsrc_job *j, const char *p, size_t n)
{
    tbl_zip9 *r = &j->rec.u.zip9;
    memset(&j->rec, 0, sizeof j->rec);
    int rc = zip_common(j, p, n, r->state, r->zip, r->carrier, r->locality, &r->rural, &r->yearq);
    if (rc)
        return rc;
    if (!all_dig(p + 21, 4))
        return tblsrc_fail_at(j, p + 21, "plus four (columns 22-25) is not 4 digits");
    memcpy(r->plus4_lo, p + 21, 4);
    memcpy(r->plus4_hi, p + 21, 4);
    r->partb = p[31];
    r->period = zip_period(j, r->yearq);
    return tblsrc_emit(j, &r->period);
}

static int zip_import(tblsrc_job *j, int (*row)(tblsrc_job *, const char *, size_t))
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    const char *p;
    size_t n;
    uint64_t line;
    int rc = 0;
    while (rc == 0 && tblsrc_line(&c, &p, &n, &line)) {
        if (tblsrc_is_blank(p, n))
            j->st.skipped++;
        else
            rc = row(j, p, n);
    }
    return rc;
}

int tblsrc_imp_zip5(tblsrc_job *j)
{
    return zip_import(j, zip5_row);
}

int tblsrc_imp_zip9(tblsrc_job *j)
{
    return zip_import(j, zip9_row);
}
