/* edit_claim: the engine driver and the claim-level edits (identifiers,
 * diagnoses, charges, dates, frequency, and the walker's value issues).
 *
 * Hot path: a clean claim costs a few table probes and no formatting;
 * edit_add (vsnprintf) runs only for a finding. */
#include "claimd/error.h"
#include "edit_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool edit_date_ok(uint32_t d)
{
    uint32_t y = d / 10000, m = d / 100 % 100, day = d % 100;
    static const uint8_t mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1800 || y > 9999 || m < 1 || m > 12 || day < 1)
        return false;
    uint32_t maxd = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        maxd = 29;
    return day <= maxd;
}

/* Howard Hinnant's days_from_civil. */
int32_t edit_days(uint32_t d)
{
    int32_t y = (int32_t)(d / 10000), m = (int32_t)(d / 100 % 100), day = (int32_t)(d % 100);
    y -= m <= 2;
    int32_t era = (y >= 0 ? y : y - 399) / 400;
    int32_t yoe = y - era * 400;
    int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* ---- identifiers ------------------------------------------------------ */

static void edit_npi(edit_ctx *x, const char *npi, const char *who, const char *rarc, uint32_t line,
                     uint32_t seg)
{
    if (edit_npi_valid(npi))
        return;
    if (!npi[0])
        edit_add_codes(x->out, x->s, EDIT_NPI_CHECK_DIGIT, NULL, rarc, NULL, line, seg,
                       "%s NPI is missing", who);
    else
        edit_add_codes(x->out, x->s, EDIT_NPI_CHECK_DIGIT, NULL, rarc, NULL, line, seg,
                       "%s NPI %.10s fails its check digit (10 digits, 1 or 2 first, Luhn)", who,
                       npi);
}

static bool edit_tin_ok(const char *t)
{
    for (int i = 0; i < 9; i++)
        if (t[i] < '0' || t[i] > '9')
            return false;
    return t[9] == 0;
}

void edit_check_ids(edit_ctx *x)
{
    const clm_claim *c = x->c;
    if (edit_on(x, EDIT_NPI_CHECK_DIGIT)) {
        edit_npi(x, c->bill_npi, "billing provider", "N257", 0, c->seg_index);
        if (c->rendering_npi[0])
            edit_npi(x, c->rendering_npi, "rendering provider", "N290", 0, c->seg_index);
        if (c->referring_npi[0])
            edit_npi(x, c->referring_npi, "referring provider", "N286", 0, c->seg_index);
        for (uint32_t i = 0; i < c->nlines; i++) {
            const clm_line *l = &c->lines[i];
            if (l->rendering_npi[0] && strcmp(l->rendering_npi, c->rendering_npi) != 0)
                edit_npi(x, l->rendering_npi, "line rendering provider", "N290", l->number,
                         l->seg_index);
        }
    }
    if (edit_on(x, EDIT_TIN_FORMAT) && !edit_tin_ok(c->bill_tin)) {
        if (!c->bill_tin[0])
            edit_add(x->out, x->s, EDIT_TIN_FORMAT, 0, c->seg_index,
                     "billing provider tax id (REF*EI or REF*SY) is missing");
        else
            edit_add(x->out, x->s, EDIT_TIN_FORMAT, 0, c->seg_index,
                     "billing provider tax id is not 9 digits");
    }
}

/* ---- diagnoses -------------------------------------------------------- */

static void edit_dx_one(edit_ctx *x, const clm_dx *d, uint32_t i)
{
    const char *what = i == 0 ? "first diagnosis" : "diagnosis";
    if (strchr(d->code, '.')) {
        edit_add(x->out, x->s, EDIT_DX_INVALID, 0, d->seg_index,
                 "%s %.8s is written with a decimal point", what, d->code);
        return;
    }
    const tbl_icd10 *r;
    int rc = tbl_icd10_get(x->v, d->code, x->first_dos, &r);
    if (rc == -CLAIMD_ETBL_NOT_EFFECTIVE) {
        edit_add_codes(x->out, x->s, EDIT_DX_INVALID, "146", "", NULL, 0, d->seg_index,
                       "%s %.8s is not valid on %u", what, d->code, x->first_dos);
        return;
    }
    if (rc != 0) {
        edit_add(x->out, x->s, EDIT_DX_INVALID, 0, d->seg_index, "%s %.8s is not an ICD-10-CM code",
                 what, d->code);
        return;
    }
    if (!r->billable)
        edit_add(x->out, x->s, EDIT_DX_NOT_BILLABLE, 0, d->seg_index,
                 "%s %.8s is a header code, not billable: code to the highest specificity", what,
                 d->code);
    if (edit_on(x, EDIT_AGE_CONFLICT) || edit_on(x, EDIT_SEX_CONFLICT))
        edit_agesex(x, d->code, x->first_dos, true, 0, d->seg_index);
}

void edit_check_dx(edit_ctx *x)
{
    const clm_claim *c = x->c;
    if (c->ndx == 0)
        return; /* HI is required: the 999 reports a claim without one */
    char f = c->dx[0].code[0];
    if (f >= 'V' && f <= 'Y')
        edit_add(x->out, x->s, EDIT_DX_FIRST_EXTERNAL_CAUSE, 0, c->dx[0].seg_index,
                 "first diagnosis %.8s is an external-cause code (V00-Y99)", c->dx[0].code);
    if (!x->first_dos)
        return; /* no date to check codes on: DATE_INVALID says so */
    for (uint32_t i = 0; i < c->ndx; i++)
        edit_dx_one(x, &c->dx[i], i);
}

/* ---- charges ---------------------------------------------------------- */

static bool edit_has_issue(const clm_claim *c, uint8_t kind)
{
    for (uint32_t i = 0; i < c->nissues; i++)
        if (c->issues[i].kind == kind)
            return true;
    return false;
}

/* "-12.05": only on the finding path. */
static void edit_cents(char buf[32], int64_t v)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, 32, "%s%llu.%02llu", v < 0 ? "-" : "", (unsigned long long)(u / 100),
             (unsigned long long)(u % 100));
}

void edit_check_charges(edit_ctx *x)
{
    const clm_claim *c = x->c;
    /* A bad amount is reported by edit_check_issues; comparing sums of
     * amounts that did not parse would only add noise. */
    bool bad = edit_has_issue(c, CLM_ISSUE_BAD_AMOUNT);
    __int128 sum = 0;
    for (uint32_t i = 0; i < c->nlines; i++) {
        const clm_line *l = &c->lines[i];
        sum += l->charge;
        if (l->charge < 0)
            edit_add(x->out, x->s, EDIT_ZERO_CHARGE, l->number, l->seg_index,
                     "line %u charge is negative", l->number);
    }
    if (!bad && sum != c->charge && c->nlines) {
        char a[32], b[32];
        edit_cents(a, c->charge);
        edit_cents(b, sum > INT64_MAX ? INT64_MAX : sum < INT64_MIN ? INT64_MIN : (int64_t)sum);
        edit_add(x->out, x->s, EDIT_CHARGE_MISMATCH, 0, c->seg_index,
                 "total charge %s is not the sum of the line charges %s", a, b);
    }
    if (!bad && c->charge <= 0)
        edit_add(x->out, x->s, EDIT_ZERO_CHARGE, 0, c->seg_index,
                 "total charge is zero or negative");
}

/* ---- dates ------------------------------------------------------------ */

static void edit_line_dates(edit_ctx *x, const clm_line *l)
{
    const clm_claim *c = x->c;
    uint32_t dos = clm_line_dos(c, l);
    if (!dos) {
        edit_add(x->out, x->s, EDIT_DATE_INVALID, l->number, l->seg_index,
                 "line %u has no date of service", l->number);
        return;
    }
    if (!edit_date_ok(dos) || (l->to && !edit_date_ok(l->to))) {
        edit_add(x->out, x->s, EDIT_DATE_INVALID, l->number, l->seg_index,
                 "line %u date of service is not a calendar date", l->number);
        return;
    }
    uint32_t end = l->from && l->to ? l->to : dos;
    if (end < dos) {
        edit_add(x->out, x->s, EDIT_DATE_INVALID, l->number, l->seg_index,
                 "line %u service span %u-%u is reversed", l->number, dos, end);
        return;
    }
    if (!x->prof && c->stmt_from && c->stmt_to && (dos < c->stmt_from || end > c->stmt_to))
        edit_add(x->out, x->s, EDIT_DATE_INVALID, l->number, l->seg_index,
                 "line %u date %u is outside the statement period %u-%u", l->number, dos,
                 c->stmt_from, c->stmt_to);
    if (c->bht_date && end > c->bht_date)
        edit_add(x->out, x->s, EDIT_DATE_FUTURE, l->number, l->seg_index,
                 "line %u date of service %u is after the claim's creation date %u", l->number, end,
                 c->bht_date);
    if (x->s->timely_filing_days && x->today && edit_date_ok(x->today) &&
        edit_days(x->today) - edit_days(end) > (int32_t)x->s->timely_filing_days)
        edit_add(x->out, x->s, EDIT_TIMELY_FILING, l->number, l->seg_index,
                 "line %u date of service %u is more than %u days before %u", l->number, end,
                 x->s->timely_filing_days, x->today);
}

void edit_check_dates(edit_ctx *x)
{
    const clm_claim *c = x->c;
    if (c->stmt_from || c->stmt_to) {
        if (!edit_date_ok(c->stmt_from) || !edit_date_ok(c->stmt_to))
            edit_add(x->out, x->s, EDIT_DATE_INVALID, 0, c->seg_index,
                     "statement period is not two calendar dates");
        else if (c->stmt_to < c->stmt_from)
            edit_add(x->out, x->s, EDIT_DATE_INVALID, 0, c->seg_index,
                     "statement period %u-%u is reversed", c->stmt_from, c->stmt_to);
    }
    if (c->nlines == 0 && !c->stmt_from)
        edit_add(x->out, x->s, EDIT_DATE_INVALID, 0, c->seg_index, "claim has no date of service");
    for (uint32_t i = 0; i < c->nlines; i++)
        edit_line_dates(x, &c->lines[i]);
    if (x->dob && !edit_date_ok(x->dob))
        edit_add(x->out, x->s, EDIT_DATE_INVALID, 0, c->seg_index,
                 "patient birth date is not a calendar date");
    else if (x->dob && x->first_dos && x->dob > x->first_dos)
        edit_add(x->out, x->s, EDIT_DOB_AFTER_DOS, 0, c->seg_index,
                 "patient birth date is after the date of service %u", x->first_dos);
}

/* ---- frequency -------------------------------------------------------- */

void edit_check_freq(edit_ctx *x)
{
    const clm_claim *c = x->c;
    char f = c->freq ? c->freq : c->tob[2];
    if ((f == '7' || f == '8') && !c->ref_f8[0])
        edit_add(x->out, x->s, EDIT_FREQ_REF_MISSING, 0, c->seg_index,
                 "frequency %c (%s) needs the payer claim control number (REF*F8)", f,
                 f == '7' ? "replacement" : "void");
    else if (f == '1' && c->ref_f8[0])
        edit_add(x->out, x->s, EDIT_FREQ_REF_MISSING, 0, c->seg_index,
                 "frequency 1 (original) must not carry a payer claim control number (REF*F8)");
}

/* ---- the walker's value issues ---------------------------------------- */

static bool edit_found(const edit_findings *f, edit_id id, uint32_t line)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->f[i].edit == id && f->f[i].line == line)
            return true;
    return false;
}

static bool edit_seg_is(const clm_issue *is, const char *id)
{
    return strncmp(is->seg_id, id, sizeof is->seg_id) == 0;
}

static void edit_issue_long(edit_ctx *x, const clm_issue *is)
{
    if (edit_seg_is(is, "HI"))
        edit_add(x->out, x->s, EDIT_DX_INVALID, 0, is->seg_index,
                 "a diagnosis code is longer than 7 characters");
    else if (edit_seg_is(is, "SV1") || edit_seg_is(is, "SV2"))
        edit_add(x->out, x->s, EDIT_PROC_INVALID, is->line, is->seg_index,
                 "line %u procedure code or modifier is too long", is->line);
    else if (edit_seg_is(is, "NM1"))
        edit_add(x->out, x->s, EDIT_NPI_CHECK_DIGIT, is->line, is->seg_index,
                 "a provider identifier is longer than an NPI");
    else
        edit_add(x->out, x->s, EDIT_VALUE_TRUNCATED, is->line, is->seg_index,
                 "%.3s%02u is longer than claimd keeps: the value was cut", is->seg_id, is->elem);
}

static void edit_issue_many(edit_ctx *x, const clm_issue *is)
{
    if ((edit_seg_is(is, "SV1") && is->elem == 7))
        edit_add(x->out, x->s, EDIT_DX_POINTER, is->line, is->seg_index,
                 "line %u has more than 4 diagnosis pointers", is->line);
    else if (edit_seg_is(is, "SV1") || edit_seg_is(is, "SV2"))
        edit_add(x->out, x->s, EDIT_MOD_INVALID, is->line, is->seg_index,
                 "line %u has more than 4 modifiers", is->line);
    else
        edit_add(x->out, x->s, EDIT_VALUE_TRUNCATED, is->line, is->seg_index,
                 "%.3s has more values than claimd keeps (e.g. more than %d diagnoses)", is->seg_id,
                 CLM_MAX_DX);
}

static void edit_issue(edit_ctx *x, const clm_issue *is)
{
    switch (is->kind) {
    case CLM_ISSUE_BAD_AMOUNT:
        edit_add(x->out, x->s, EDIT_CHARGE_MISMATCH, is->line, is->seg_index,
                 "%.3s%02u amount is not a decimal number", is->seg_id, is->elem);
        break;
    case CLM_ISSUE_BAD_DATE:
        /* the date checks already named a reversed span they could see */
        if (!edit_found(x->out, EDIT_DATE_INVALID, is->line))
            edit_add(x->out, x->s, EDIT_DATE_INVALID, is->line, is->seg_index,
                     "%.3s date is not a calendar date or its span is reversed", is->seg_id);
        break;
    case CLM_ISSUE_BAD_UNITS:
        edit_add(x->out, x->s, EDIT_UNITS_INVALID, is->line, is->seg_index,
                 "line %u units are not a positive number", is->line);
        break;
    case CLM_ISSUE_BAD_POINTER:
        edit_add(x->out, x->s, EDIT_DX_POINTER, is->line, is->seg_index,
                 "line %u has a diagnosis pointer that is not a number 1-99", is->line);
        break;
    case CLM_ISSUE_TOO_LONG:
        edit_issue_long(x, is);
        break;
    case CLM_ISSUE_TOO_MANY:
        edit_issue_many(x, is);
        break;
    default:
        break;
    }
}

void edit_check_issues(edit_ctx *x)
{
    const clm_claim *c = x->c;
    uint32_t n = c->nissues < CLM_MAX_ISSUES ? c->nissues : CLM_MAX_ISSUES;
    for (uint32_t i = 0; i < n; i++)
        edit_issue(x, &c->issues[i]);
    if (c->issues_dropped)
        edit_add(x->out, x->s, EDIT_VALUE_TRUNCATED, 0, c->seg_index,
                 "%u more value problems were not recorded", (unsigned)c->issues_dropped);
}

/* ---- the driver ------------------------------------------------------- */

static void edit_ctx_init(edit_ctx *x, const tbl_version *v, const edit_settings *s,
                          const clm_claim *c, uint32_t today, edit_findings *out)
{
    x->v = v;
    x->s = s;
    x->c = c;
    x->out = out;
    x->today = today;
    x->prof = c->type != CLM_TYPE_837I;
    x->dob = c->has_patient ? c->pat_dob : c->sub_dob;
    char sex = c->has_patient ? c->pat_sex : c->sub_sex;
    x->sex = sex == 'M' || sex == 'F' ? sex : 0;
    uint32_t first = 0;
    for (uint32_t i = 0; i < c->nlines; i++) {
        uint32_t d = clm_line_dos(c, &c->lines[i]);
        if (d && (!first || d < first))
            first = d;
    }
    x->first_dos = first ? first : c->stmt_from;
}

/* Starts loading every index line the claim's code lookups will read, so
 * their cache misses overlap instead of adding up (a real-scale ICD-10-CM or
 * HCPCS index is far larger than the caches). */
static void edit_prefetch(const edit_ctx *x)
{
    const clm_claim *c = x->c;
    for (uint32_t i = 0; i < c->ndx; i++) {
        tbl_prefetch(x->v, TBL_ICD10CM, c->dx[i].code);
        tbl_prefetch(x->v, TBL_AGESEX, c->dx[i].code);
    }
    for (uint32_t i = 0; i < c->nlines; i++) {
        const char *code = c->lines[i].code;
        tbl_prefetch(x->v, TBL_RVU, code); /* HCPCS is read only when RVU misses */
        tbl_prefetch(x->v, TBL_MUE, code);
        tbl_prefetch(x->v, TBL_AGESEX, code);
    }
}

int edit_claim(const tbl_version *v, const edit_settings *s, const clm_claim *c, uint32_t today,
               edit_findings *out)
{
    if (!v || !s || !c || !out || (c->nlines && !c->lines))
        return -EINVAL;
    out->n = 0;
    out->dropped = 0;
    out->dropped_error = false;
    edit_ctx x;
    edit_ctx_init(&x, v, s, c, today, out);
    edit_prefetch(&x);
    edit_check_ids(&x);
    edit_check_dx(&x);
    edit_check_lines(&x);
    if (x.prof) {
        if (edit_on(&x, EDIT_NCCI_PTP))
            edit_check_ncci(&x);
        if (edit_on(&x, EDIT_MUE_UNITS))
            edit_check_mue(&x);
    }
    edit_check_charges(&x);
    edit_check_dates(&x);
    edit_check_freq(&x);
    edit_check_issues(&x);
    return 0;
}
