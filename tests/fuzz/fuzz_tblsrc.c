/* libFuzzer target: the reference-table importers (claimd/tblsrc.h) on
 * arbitrary bytes, through the same entry points claimdb uses.
 *
 * Every input is run through content detection (tblsrc_detect) and then
 * imported as every kind, twice: once with a file name of that kind that
 * names its period (what claimdb passes for "icd10cm_order_2022.txt"), once
 * with an explicit period and no name. So a seed needs no selector byte: the
 * corpus is plain slices of real files. Each import reads its own
 * exactly-sized heap copy, so a read past the end is an ASan error.
 *
 * Checked, else the target aborts:
 *   - the import returns 0 or one of the documented codes;
 *   - the file's detected kind is never refused as the wrong kind;
 *   - every record emitted has the kind asked for, its string fields are
 *     NUL-terminated inside their arrays and NUL-padded after, its codes are
 *     upper-case letters and digits only, its small enumerations are in
 *     range and its dates are real days (or 0 / open where allowed);
 *   - success: stats written, rows == records emitted, err untouched;
 *   - failure: stats untouched; a bad row carries line >= 1 and column >= 1
 *     and a reason; every other import error carries a reason;
 *   - an emit that stops the import at row k makes the import return exactly
 *     its code, after exactly k + 1 calls.
 */
#include "claimd/error.h"
#include "claimd/tblsrc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TF_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "tblsrc fuzz: %s: contract violated: %s (%s:%d)\n", tf_cur_kind_name,  \
                    #cond, __FILE__, __LINE__);                                                    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *tf_cur_kind_name = "?";

/* A name per kind that gives the importers what they take from a name (the
 * ICD-10-CM fiscal year, the MUE quarter), as claimdb passes the base name. */
static const char *const tf_names[TBLSRC_KIND_COUNT] = {
    [TBLSRC_ICD10CM] = "icd10cm_order_2022.txt",
    [TBLSRC_HCPCS] = "HCPC2020_ANWEB_w_disclaimer.txt",
    [TBLSRC_PPRRVU] = "PPRRVU2025_Oct.csv",
    [TBLSRC_GPCI] = "GPCI2025.csv",
    [TBLSRC_ZIP5] = "ZIP5_OCT2025.txt",
    [TBLSRC_ZIP9] = "ZIP9_OCT2025.txt",
    [TBLSRC_NCCI_PTP] = "ccipra-v311r0-f1.txt",
    [TBLSRC_MUE] = "MCR_MUE_PractitionerServices_Eff_2025-01-01.csv",
    [TBLSRC_POS] = "pos.txt",
    [TBLSRC_AGESEX] = "agesex.csv",
    [TBLSRC_MODIFIERS] = "modifiers.txt",
    [TBLSRC_OPPSCAP] = "OPPSCAP_Oct.csv",
};

static bool tf_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool tf_date_ok(uint32_t d)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y = d / 10000, m = d / 100 % 100, dd = d % 100;
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || dd < 1)
        return false;
    return dd <= mdays[m - 1] + (m == 2 && tf_leap(y));
}

/* NUL inside the array and only NULs after it. */
static void tf_str(const char *f, size_t cap)
{
    const char *z = memchr(f, 0, cap);
    TF_CHECK(z != NULL);
    for (const char *p = z; p < f + cap; p++)
        TF_CHECK(*p == 0);
}

/* A normalised code: minlen..cap-1 upper-case letters and digits, padded. */
static void tf_code(const char *f, size_t cap, size_t minlen)
{
    tf_str(f, cap);
    size_t n = strlen(f);
    TF_CHECK(n >= minlen);
    for (size_t i = 0; i < n; i++)
        TF_CHECK((f[i] >= 'A' && f[i] <= 'Z') || (f[i] >= '0' && f[i] <= '9'));
}

#define TF_STR(f)       tf_str((f), sizeof(f))
#define TF_CODE(f, min) tf_code((f), sizeof(f), (min))

/* from 0: valid since always (lists, OPPSCAP, HCPCS without an add date). */
static void tf_period(const tbl_period *p)
{
    TF_CHECK(tf_date_ok(p->from) || p->from == 0);
    TF_CHECK(tf_date_ok(p->to));
}

static void tf_digits(const char *f, size_t n)
{
    TF_CHECK(strlen(f) == n);
    for (size_t i = 0; i < n; i++)
        TF_CHECK(f[i] >= '0' && f[i] <= '9');
}

static void tf_rvu(const tbl_rvu *r)
{
    TF_CODE(r->code, 1);
    TF_STR(r->mod);
    TF_STR(r->glob_days);
    TF_STR(r->endo_base);
    TF_STR(r->img_family);
    TF_STR(r->phys_superv);
    TF_CHECK(r->pctc <= 9 && r->mult_proc <= 9 && r->bilat <= 9 && r->asst <= 9);
    TF_CHECK(r->co_surg <= 9 && r->team <= 9 && r->calc_flag <= 9);
    TF_CHECK(r->na_nonfac <= 1 && r->na_fac <= 1 && r->not_used_medicare <= 1);
    tf_period(&r->period);
}

/* Arrays of tbl_zip5 and tbl_zip9 alike: zip[6], state[3], carrier[6], locality[3]. */
static void tf_zip_common(const char *zip, const char *state, const char *carrier,
                          const char *locality, char rural)
{
    tf_str(zip, 6);
    tf_digits(zip, 5);
    tf_code(state, 3, 2);
    tf_str(carrier, 6);
    tf_digits(carrier, 5);
    tf_str(locality, 3);
    TF_CHECK(strlen(locality) == 2);
    TF_CHECK(rural == ' ' || rural == 'R' || rural == 'B');
}

/* Reads and checks every field of a record of kind k. */
static void tf_record(tblsrc_kind k, const tblsrc_rec *rec)
{
    TF_CHECK(rec->kind == k);
    const tbl_zip5 *z5 = &rec->u.zip5;
    const tbl_zip9 *z9 = &rec->u.zip9;
    switch (k) {
    case TBLSRC_ICD10CM:
        TF_CODE(rec->u.icd10.code, 3);
        TF_CHECK(rec->u.icd10.billable <= 1);
        TF_STR(rec->u.icd10.short_desc);
        tf_period(&rec->u.icd10.period);
        break;
    case TBLSRC_HCPCS:
        TF_CODE(rec->u.hcpcs.code, 2);
        TF_CHECK(rec->u.hcpcs.is_modifier <= 1);
        TF_CHECK(strlen(rec->u.hcpcs.code) == (rec->u.hcpcs.is_modifier ? 2u : 5u));
        TF_STR(rec->u.hcpcs.short_desc);
        TF_CHECK(rec->u.hcpcs.add_date == 0 || tf_date_ok(rec->u.hcpcs.add_date));
        TF_CHECK(rec->u.hcpcs.term_date == 0 || tf_date_ok(rec->u.hcpcs.term_date));
        TF_CHECK(rec->u.hcpcs.action_eff_date == 0 || tf_date_ok(rec->u.hcpcs.action_eff_date));
        tf_period(&rec->u.hcpcs.period);
        break;
    case TBLSRC_PPRRVU:
        tf_rvu(&rec->u.rvu);
        break;
    case TBLSRC_GPCI:
        TF_STR(rec->u.gpci.carrier);
        TF_STR(rec->u.gpci.state);
        TF_STR(rec->u.gpci.locality);
        TF_STR(rec->u.gpci.name);
        tf_period(&rec->u.gpci.period);
        break;
    case TBLSRC_ZIP5:
        tf_zip_common(z5->zip, z5->state, z5->carrier, z5->locality, z5->rural);
        TF_CHECK(z5->plus4 <= 1);
        TF_STR(z5->lab_cb);
        tf_period(&z5->period);
        break;
    case TBLSRC_ZIP9:
        tf_zip_common(z9->zip, z9->state, z9->carrier, z9->locality, z9->rural);
        TF_STR(z9->plus4_lo);
        TF_STR(z9->plus4_hi);
        tf_period(&z9->period);
        break;
    case TBLSRC_NCCI_PTP:
        TF_CODE(rec->u.ncci.col1, 5);
        TF_CODE(rec->u.ncci.col2, 5);
        TF_CHECK(rec->u.ncci.pre1996 <= 1);
        TF_CHECK(rec->u.ncci.mod_ind == 0 || rec->u.ncci.mod_ind == 1 || rec->u.ncci.mod_ind == 9);
        TF_CHECK(tf_date_ok(rec->u.ncci.eff_date));
        TF_CHECK(rec->u.ncci.del_date == 0 || tf_date_ok(rec->u.ncci.del_date));
        /* clipping may leave to < from (never in force); both stay real days */
        TF_CHECK(tf_date_ok(rec->u.ncci.period.from) || rec->u.ncci.period.from == 0);
        break;
    case TBLSRC_MUE:
        TF_CODE(rec->u.mue.code, 1);
        TF_CHECK(rec->u.mue.mai >= 1 && rec->u.mue.mai <= 3);
        tf_period(&rec->u.mue.period);
        break;
    case TBLSRC_POS:
        TF_CODE(rec->u.pos.code, 2);
        TF_STR(rec->u.pos.name);
        tf_period(&rec->u.pos.period);
        break;
    case TBLSRC_AGESEX:
        TF_CODE(rec->u.agesex.code, 1);
        TF_CHECK(rec->u.agesex.sex == 0 || rec->u.agesex.sex == 'M' || rec->u.agesex.sex == 'F');
        TF_CHECK(rec->u.agesex.min_age <= rec->u.agesex.max_age);
        TF_CHECK(rec->u.agesex.max_age <= 124);
        tf_period(&rec->u.agesex.period);
        break;
    case TBLSRC_MODIFIERS:
        TF_CODE(rec->u.modifier.code, 2);
        tf_period(&rec->u.modifier.period);
        break;
    case TBLSRC_OPPSCAP:
        TF_CODE(rec->u.oppscap.code, 1);
        TF_STR(rec->u.oppscap.mod);
        TF_STR(rec->u.oppscap.carrier);
        TF_STR(rec->u.oppscap.locality);
        TF_CHECK(rec->u.oppscap.fac_cents >= 0 && rec->u.oppscap.nonfac_cents >= 0);
        tf_period(&rec->u.oppscap.period);
        break;
    default:
        TF_CHECK(!"unknown kind");
    }
}

typedef struct tf_ctx {
    tblsrc_kind kind;
    uint64_t emitted;
    uint64_t stop_at; /* stop the import at this record (0-based); UINT64_MAX: never */
} tf_ctx;

#define TF_STOP_CODE (-7777)

static int tf_emit(void *ctx, const tblsrc_rec *rec)
{
    tf_ctx *c = ctx;
    tf_record(c->kind, rec);
    if (c->emitted++ == c->stop_at)
        return TF_STOP_CODE;
    return 0;
}

static bool tf_known_rc(int rc)
{
    switch (rc) {
    case 0:
    case -CLAIMD_ETBL_WRONG_KIND:
    case -CLAIMD_ETBL_BAD_ROW:
    case -CLAIMD_ETBL_EMPTY:
    case -CLAIMD_ETBL_NO_HEADER:
    case -CLAIMD_ETBL_NO_PERIOD:
    case TF_STOP_CODE:
        return true;
    default:
        return false;
    }
}

/* One import of buf as kind; returns its result code. */
static int tf_import(const char *buf, size_t len, tblsrc_kind kind, bool named, uint64_t stop_at)
{
    tblsrc_opts o = {.kind = kind};
    if (named)
        o.name = tf_names[kind];
    else
        o.period = (tbl_period){20250101, 20251231};
    tf_ctx c = {.kind = kind, .stop_at = stop_at};
    tblsrc_stats st;
    tblsrc_err err;
    memset(&st, 0xA5, sizeof st);
    memset(&err, 0xA5, sizeof err);
    tblsrc_stats st0 = st;
    tblsrc_err err0 = err;
    tf_cur_kind_name = tblsrc_kind_name(kind);
    int rc = tblsrc_import(buf, len, &o, tf_emit, &c, &st, &err);
    TF_CHECK(tf_known_rc(rc));
    if (rc == 0) {
        TF_CHECK(memcmp(&err, &err0, sizeof err) == 0);
        TF_CHECK(st.rows == c.emitted && st.rows > 0);
        TF_CHECK(c.emitted <= stop_at);
        return 0;
    }
    TF_CHECK(memcmp(&st, &st0, sizeof st) == 0);
    if (rc == TF_STOP_CODE) {
        TF_CHECK(c.emitted == stop_at + 1);
        return rc;
    }
    TF_CHECK(memchr(err.why, 0, sizeof err.why) != NULL);
    TF_CHECK(err.why[0] != 0);
    if (rc == -CLAIMD_ETBL_BAD_ROW) {
        TF_CHECK(err.line >= 1);
        TF_CHECK(err.column >= 1);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    TF_CHECK(buf != NULL);
    memcpy(buf, data, size);
    tf_cur_kind_name = "detect";
    tblsrc_kind seen = tblsrc_detect(buf, size);
    TF_CHECK((int)seen >= TBLSRC_UNKNOWN && seen < TBLSRC_KIND_COUNT);
    TF_CHECK(tblsrc_detect(buf, size) == seen); /* pure */
    for (int k = TBLSRC_UNKNOWN + 1; k < TBLSRC_KIND_COUNT; k++) {
        for (int named = 0; named <= 1; named++) {
            int rc = tf_import(buf, size, (tblsrc_kind)k, named, UINT64_MAX);
            if (k == (int)seen)
                TF_CHECK(rc != -CLAIMD_ETBL_WRONG_KIND);
        }
    }
    /* Stopping: the detected kind (or POS for an unknown file) again, told
     * to stop at a record chosen by the input. */
    tblsrc_kind k = seen != TBLSRC_UNKNOWN ? seen : TBLSRC_POS;
    uint64_t stop = size ? data[size - 1] % 8 : 0;
    tf_import(buf, size, k, true, stop);
    free(buf);
    return 0;
}
