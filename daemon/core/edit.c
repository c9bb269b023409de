/* edit: the edit catalogue, site settings, and the findings list.
 *
 * The catalogue is the one place an edit is described: docs/edits.md and
 * `claimd edits` are generated from it, and the engine (edit_claim.c) reads
 * each finding's default codes from it. */
#include "claimd/edit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define E(ID, SNIP, LVL, SEV, CARC, RARC, CAT, STC, RULE, FIX)                                     \
    [EDIT_##ID] = {EDIT_##ID, #ID,  SNIP, EDIT_LVL_##LVL, EDIT_SEV_##SEV, CARC, RARC, CAT,         \
                   STC,       RULE, FIX}

static const edit_def edit_defs[EDIT_COUNT] = {
    E(NPI_CHECK_DIGIT, 2, CLAIM, ERROR, "16", "N257", "A7", "562",
      "billing, rendering (claim and line) and referring NPI: 10 digits, first 1 or 2, Luhn check "
      "digit over 80840 + the first 9 (RARC N257 billing, N290 rendering, N286 referring)",
      "correct the NPI from NPPES"),
    E(TIN_FORMAT, 2, CLAIM, ERROR, "16", "N257", "A7", "128",
      "billing provider tax id (REF*EI / REF*SY) present and 9 digits",
      "send the 9-digit EIN or SSN without dashes"),
    E(DX_INVALID, 5, CLAIM, ERROR, "16", "M76", "A7", "255",
      "every diagnosis is in ICD-10-CM on the earliest date of service and has no decimal point "
      "(CARC 146 when the code exists but not on that date)",
      "send a current ICD-10-CM code, without the dot"),
    E(DX_NOT_BILLABLE, 5, CLAIM, ERROR, "16", "M76", "A7", "255",
      "every diagnosis is a billable code, not a header (category) code",
      "code to the highest specificity (all characters)"),
    E(DX_FIRST_EXTERNAL_CAUSE, 5, CLAIM, ERROR, "16", "M76", "A8", "509",
      "the first diagnosis is not an external-cause code (V00-Y99)",
      "list the injury or condition first, the external cause after it"),
    E(DX_POINTER, 2, LINE, ERROR, "16", "M76", "A7", "477",
      "837P: every line has 1 to 4 diagnosis pointers, each in 1..N (N diagnoses), none repeated",
      "point each line at the diagnoses that support it"),
    E(PROC_INVALID, 5, LINE, ERROR, "16", "M51", "A7", "454",
      "the HCPCS/CPT code exists and is effective on the line's date of service",
      "send a code valid on the date of service"),
    E(PROC_NOT_PAYABLE, 7, LINE, ERROR, "96", "", "A7", "454",
      "837P: the MPFS status is payable (N non-covered, I not valid for Medicare, G/H/D/F deleted "
      "or replaced are not; bundled, lab and drug statuses are not flagged)",
      "bill the code Medicare recognises, or bill the patient with an ABN"),
    E(MOD_INVALID, 5, LINE, ERROR, "4", "", "A7", "453",
      "at most 4 modifiers, each 2 characters and a known CPT or HCPCS modifier on the date",
      "remove or correct the modifier"),
    E(MOD_PCTC, 7, LINE, ERROR, "4", "", "A8", "453",
      "837P: 26 or TC only on a code whose PCTC indicator allows the split (1) or the component "
      "itself (not on indicators 0, 2, 3, 4, 5, 7, 8, 9)",
      "drop 26/TC: the code has no professional/technical split"),
    E(MOD_BILATERAL, 7, LINE, ERROR, "4", "", "A8", "453",
      "837P: modifier 50 not on a code whose bilateral indicator is 9 (error; indicator 0 is a "
      "pricer warning: paid at 100 % of one side)",
      "remove modifier 50; bill each side as the code's rules say"),
    E(POS_INVALID, 5, CLAIM, ERROR, "16", "M77", "A7", "249",
      "837P: claim (CLM05-1) and line (SV105) place of service is a CMS POS code on the date",
      "send a valid two-digit place of service"),
    E(AGE_CONFLICT, 6, LINE, ERROR, "9", "", "A8", "255",
      "diagnosis and procedure codes fit the patient's age on the date of service (age/sex "
      "table; CARC 9 for a diagnosis, 6 for a procedure)",
      "check the code and the patient's birth date"),
    E(SEX_CONFLICT, 6, LINE, ERROR, "10", "", "A8", "255",
      "diagnosis and procedure codes fit the patient's sex (age/sex table; CARC 10 for a "
      "diagnosis, 7 for a procedure)",
      "check the code and the patient's sex"),
    E(NCCI_PTP, 7, LINE, ERROR, "97", "M15", "A8", "735",
      "837P: a column-2 code billed with its column-1 code, same date and rendering provider, "
      "on an edit in force on that date; bypassed only when the modifier indicator is 1 and a "
      "bypass modifier is on either line (CARC 236 when a modifier could have bypassed it)",
      "remove the column-2 line, or add a bypass modifier when the services were distinct"),
    E(MUE_UNITS, 7, LINE, ERROR, "151", "N362", "A7", "476",
      "837P: units within the MUE: per line (MAI 1), or summed per code and date across the "
      "claim (MAI 2, 3)",
      "correct the units; split only when the MUE allows it"),
    E(CHARGE_MISMATCH, 3, CLAIM, ERROR, "16", "M79", "A8", "178",
      "CLM02 equals the sum of the line charges, and every amount is a number",
      "correct the total charge or the line charges"),
    E(ZERO_CHARGE, 3, CLAIM, ERROR, "16", "M79", "A7", "178",
      "the claim's total charge is above zero, and no line charge is negative",
      "send the billed charges"),
    E(DATE_INVALID, 4, LINE, ERROR, "16", "M52", "A7", "187",
      "every line has a date of service; dates are calendar dates; spans are not reversed; "
      "837I line dates lie inside the statement span",
      "correct the dates of service"),
    E(DATE_FUTURE, 4, LINE, ERROR, "110", "", "A7", "510",
      "no date of service after the transaction's creation date (BHT04)",
      "bill after the service is rendered"),
    E(DOB_AFTER_DOS, 4, CLAIM, ERROR, "16", "N329", "A8", "158",
      "the patient's birth date is not after the earliest date of service",
      "correct the patient's birth date"),
    E(TIMELY_FILING, 7, LINE, ERROR, "29", "", "A7", "718",
      "the line's last date of service is within the site's filing window of the run date (off "
      "unless timely_filing_days is set)",
      "file within the window, or send proof of timely filing"),
    E(FREQ_REF_MISSING, 4, CLAIM, ERROR, "16", "M47", "A8", "464",
      "frequency 7 (replacement) and 8 (void) carry the payer claim control number (REF*F8); "
      "frequency 1 does not",
      "send REF*F8 with the original claim's payer number, or frequency 1 without it"),
    E(DUPLICATE, 7, CLAIM, ERROR, "18", "", "A7", "746",
      "not an exact repeat, within the run, of an earlier claim: same billing NPI, patient and "
      "lines (dates, codes, modifiers, units, charges); frequency 7 and 8 never are",
      "do not resubmit; send a replacement (frequency 7) to correct a claim"),
    E(PRICE_UNAVAILABLE, 7, LINE, WARNING, "", "", "A7", "454",
      "the line could not be priced from the fee schedule (no RVUs, carrier priced, a rule not "
      "built, 837I)",
      "none: informational, the payer prices the line"),
    E(UNITS_INVALID, 2, LINE, WARNING, "16", "M53", "A7", "476",
      "every line has units above zero that are a number", "send the units of service"),
    E(VALUE_TRUNCATED, 2, CLAIM, WARNING, "16", "", "A7", "512",
      "no value was longer than its field or beyond the number the claim model keeps",
      "check the claim: a value was cut or dropped"),
};

#undef E

const edit_def *edit_catalogue(size_t *n)
{
    if (n)
        *n = EDIT_COUNT;
    return edit_defs;
}

const edit_def *edit_def_of(edit_id id)
{
    if ((unsigned)id >= EDIT_COUNT)
        return NULL;
    return &edit_defs[id];
}

int edit_id_from_name(const char *name)
{
    if (!name)
        return -EINVAL;
    for (int i = 0; i < EDIT_COUNT; i++)
        if (strcasecmp(name, edit_defs[i].name) == 0)
            return i;
    return -EINVAL;
}

void edit_settings_default(edit_settings *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < EDIT_COUNT; i++)
        s->severity[i] = edit_defs[i].severity;
}

static int edit_sev_parse(const char *v)
{
    if (strcasecmp(v, "error") == 0)
        return EDIT_SEV_ERROR;
    if (strcasecmp(v, "warning") == 0 || strcasecmp(v, "warn") == 0)
        return EDIT_SEV_WARNING;
    if (strcasecmp(v, "off") == 0)
        return EDIT_SEV_OFF;
    return -EINVAL;
}

int edit_settings_apply(edit_settings *s, const char *assignment)
{
    if (!s || !assignment)
        return -EINVAL;
    const char *eq = strchr(assignment, '=');
    char name[48];
    size_t n = eq ? (size_t)(eq - assignment) : 0;
    if (!eq || n == 0 || n >= sizeof name)
        return -EINVAL;
    memcpy(name, assignment, n);
    name[n] = 0;
    int id = edit_id_from_name(name);
    int sev = edit_sev_parse(eq + 1);
    if (id < 0 || sev < 0)
        return -EINVAL;
    s->severity[id] = (uint8_t)sev;
    return 0;
}

/* The common tail of every edit_add*: severity decided, codes chosen. */
__attribute__((format(printf, 9, 0))) static void
edit_addv(edit_findings *out, edit_id id, uint8_t sev, const char *carc, const char *rarc,
          const char *stc, uint32_t line, uint32_t seg_index, const char *fmt, va_list ap)
{
    if (out->n >= EDIT_MAX_FINDINGS) {
        out->dropped++;
        if (sev == EDIT_SEV_ERROR)
            out->dropped_error = true;
        return;
    }
    const edit_def *d = &edit_defs[id];
    edit_finding *f = &out->f[out->n++];
    f->edit = (uint16_t)id;
    f->severity = sev;
    f->line = line;
    f->seg_index = seg_index;
    f->carc = carc ? carc : d->carc;
    f->rarc = rarc ? rarc : d->rarc;
    f->stc_code = stc ? stc : d->stc_code;
    vsnprintf(f->message, sizeof f->message, fmt, ap);
}

static uint8_t edit_sev_of(const edit_settings *s, edit_id id)
{
    if ((unsigned)id >= EDIT_COUNT)
        return EDIT_SEV_OFF;
    return s ? s->severity[id] : edit_defs[id].severity;
}

void edit_add(edit_findings *out, const edit_settings *s, edit_id id, uint32_t line,
              uint32_t seg_index, const char *fmt, ...)
{
    uint8_t sev = edit_sev_of(s, id);
    if (!out || sev == EDIT_SEV_OFF)
        return;
    va_list ap;
    va_start(ap, fmt);
    edit_addv(out, id, sev, NULL, NULL, NULL, line, seg_index, fmt, ap);
    va_end(ap);
}

void edit_add_codes(edit_findings *out, const edit_settings *s, edit_id id, const char *carc,
                    const char *rarc, const char *stc_code, uint32_t line, uint32_t seg_index,
                    const char *fmt, ...)
{
    uint8_t sev = edit_sev_of(s, id);
    if (!out || sev == EDIT_SEV_OFF)
        return;
    va_list ap;
    va_start(ap, fmt);
    edit_addv(out, id, sev, carc, rarc, stc_code, line, seg_index, fmt, ap);
    va_end(ap);
}

void edit_add_warning(edit_findings *out, const edit_settings *s, edit_id id, uint32_t line,
                      uint32_t seg_index, const char *fmt, ...)
{
    uint8_t sev = edit_sev_of(s, id);
    if (!out || sev == EDIT_SEV_OFF)
        return;
    va_list ap;
    va_start(ap, fmt);
    edit_addv(out, id, EDIT_SEV_WARNING, NULL, NULL, NULL, line, seg_index, fmt, ap);
    va_end(ap);
}

bool edit_rejected(const edit_findings *f)
{
    if (!f)
        return false;
    if (f->dropped_error)
        return true;
    for (uint32_t i = 0; i < f->n; i++)
        if (f->f[i].severity == EDIT_SEV_ERROR)
            return true;
    return false;
}

bool edit_line_has_error(const edit_findings *f, uint32_t line)
{
    if (!f || line == 0)
        return false;
    for (uint32_t i = 0; i < f->n; i++)
        if (f->f[i].line == line && f->f[i].severity == EDIT_SEV_ERROR)
            return true;
    return false;
}

bool edit_npi_valid(const char *npi)
{
    if (!npi || (npi[0] != '1' && npi[0] != '2'))
        return false;
    /* Luhn over the 9-digit base with the 80840 prefix folded into the
     * constant 24; digits doubled from the rightmost base digit. */
    unsigned sum = 24;
    for (int i = 0; i < 9; i++) {
        if (npi[i] < '0' || npi[i] > '9')
            return false;
        unsigned d = (unsigned)(npi[i] - '0');
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    if (npi[9] < '0' || npi[9] > '9' || npi[10] != 0)
        return false;
    return (unsigned)(npi[9] - '0') == (10 - sum % 10) % 10;
}

int edit_age_years(uint32_t dob, uint32_t dos)
{
    if (dob == 0 || dos == 0 || dob > dos)
        return -1;
    int age = (int)(dos / 10000) - (int)(dob / 10000);
    if (dos % 10000 < dob % 10000)
        age--;
    return age;
}
