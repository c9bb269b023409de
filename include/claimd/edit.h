/* edit_: the edit catalogue, and the engine that runs it on a claim.
 *
 * One table (edit_catalogue()) describes every edit: a stable upper-case id,
 * its WEDI SNIP type, claim or line level, default severity, the predicted
 * denial codes (CARC, RARC), the 277CA status it maps to, and its rule. The
 * engine runs every edit on every claim and reports every finding (never
 * first-fail). A finding's message may quote codes (it goes back to the
 * submitter with the claim, and the code in error is what the biller must
 * fix) but never names, member ids or birth dates. Findings never go to logs
 * or metrics: only their edit ids and counts do.
 *
 * Pure code: no I/O, no allocation per claim, no globals. Thread-safe: any
 * number of threads may run edit_claim() at once on one tables version.
 */
#ifndef CLAIMD_EDIT_H
#define CLAIMD_EDIT_H

#include "claimd/claim.h"
#include "claimd/tables.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Stable ids; the names are the public contract (results, docs, settings).
 * Append new edits before EDIT_COUNT; never renumber (counters index them). */
typedef enum edit_id {
    EDIT_NPI_CHECK_DIGIT = 0,
    EDIT_TIN_FORMAT,
    EDIT_DX_INVALID,
    EDIT_DX_NOT_BILLABLE,
    EDIT_DX_FIRST_EXTERNAL_CAUSE,
    EDIT_DX_POINTER,
    EDIT_PROC_INVALID,
    EDIT_PROC_NOT_PAYABLE,
    EDIT_MOD_INVALID,
    EDIT_MOD_PCTC,
    EDIT_MOD_BILATERAL,
    EDIT_POS_INVALID,
    EDIT_AGE_CONFLICT,
    EDIT_SEX_CONFLICT,
    EDIT_NCCI_PTP,
    EDIT_MUE_UNITS,
    EDIT_CHARGE_MISMATCH,
    EDIT_ZERO_CHARGE,
    EDIT_DATE_INVALID,
    EDIT_DATE_FUTURE,
    EDIT_DOB_AFTER_DOS,
    EDIT_TIMELY_FILING,
    EDIT_FREQ_REF_MISSING,
    EDIT_DUPLICATE,
    EDIT_PRICE_UNAVAILABLE,
    /* Added beyond the list: warnings until promoted. */
    EDIT_UNITS_INVALID,   /* units missing, zero, or not a number */
    EDIT_VALUE_TRUNCATED, /* a value too long or too many values: the claim lost data */
    EDIT_COUNT
} edit_id;

typedef enum edit_sev {
    EDIT_SEV_OFF = 0,
    EDIT_SEV_WARNING = 1, /* reported, never rejects */
    EDIT_SEV_ERROR = 2,   /* rejects the claim */
} edit_sev;

typedef enum edit_level {
    EDIT_LVL_CLAIM = 0,
    EDIT_LVL_LINE = 1,
} edit_level;

typedef struct edit_def {
    edit_id id;
    const char *name;     /* "NPI_CHECK_DIGIT" */
    uint8_t snip;         /* WEDI SNIP type, 1..7 */
    uint8_t level;        /* edit_level */
    uint8_t severity;     /* default edit_sev */
    const char *carc;     /* predicted claim adjustment reason code, e.g. "16" */
    const char *rarc;     /* remark code, e.g. "N257", or "" */
    const char *stc_cat;  /* 277CA STC01-1 category: "A6" missing, "A7" invalid, "A8" relational */
    const char *stc_code; /* 277CA STC01-2 status code, e.g. "562" */
    const char *rule;     /* one line: what the edit checks (docs, `claimd edits`) */
    const char *fix;      /* one line: what the biller should do */
} edit_def;

/* The catalogue, indexed by edit_id; *n = EDIT_COUNT. */
const edit_def *edit_catalogue(size_t *n);
const edit_def *edit_def_of(edit_id id); /* NULL for an invalid id */

/* The id for a name ("NCCI_PTP", case-insensitive), or -EINVAL. */
int edit_id_from_name(const char *name);

/* Site settings the engine reads; immutable while edits run. */
typedef struct edit_settings {
    uint8_t severity[EDIT_COUNT]; /* effective edit_sev per edit */
    uint32_t timely_filing_days;  /* TIMELY_FILING window; 0 = off (the default) */
} edit_settings;

/* Every edit at its catalogue severity; timely filing off. */
void edit_settings_default(edit_settings *s);

/* Applies "EDIT=LEVEL" (LEVEL: error, warning, off). Returns 0 or -EINVAL. */
int edit_settings_apply(edit_settings *s, const char *assignment);

#define EDIT_MSG_MAX      192
#define EDIT_MAX_FINDINGS 64

typedef struct edit_finding {
    uint16_t edit;      /* edit_id */
    uint8_t severity;   /* effective edit_sev (never OFF: off edits are not reported) */
    uint32_t line;      /* service line number (1-based), 0 for the claim */
    uint32_t seg_index; /* segment position in the transaction, 0 when none */
    /* The predicted denial codes and 277CA status code of this finding: the
     * catalogue's, or more precise ones the edit chose (NPI_CHECK_DIGIT: N257
     * billing, N290 rendering, N286 referring; AGE/SEX_CONFLICT: CARC 9/10
     * for a diagnosis, 6/7 for a procedure ...). Writers should use these,
     * not the catalogue's. Static strings, never NULL (rarc may be ""). The
     * STC category is always the catalogue's stc_cat. */
    const char *carc;
    const char *rarc;
    const char *stc_code;
    char message[EDIT_MSG_MAX];
} edit_finding;

/* The findings of one claim, in a fixed array the caller owns (reuse it from
 * claim to claim: edit_claim() clears it). Findings past the cap are counted
 * in `dropped`, and the claim is still rejected if any of them was an error. */
typedef struct edit_findings {
    edit_finding f[EDIT_MAX_FINDINGS];
    uint32_t n;
    uint32_t dropped;
    bool dropped_error;
} edit_findings;

/* Adds a finding for `id` at its effective severity (nothing when OFF).
 * The message is printf-formatted. */
void edit_add(edit_findings *out, const edit_settings *s, edit_id id, uint32_t line,
              uint32_t seg_index, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* As edit_add, with this finding's own CARC, RARC and 277CA status code
 * (static strings; NULL means the catalogue's). */
void edit_add_codes(edit_findings *out, const edit_settings *s, edit_id id, const char *carc,
                    const char *rarc, const char *stc_code, uint32_t line, uint32_t seg_index,
                    const char *fmt, ...) __attribute__((format(printf, 9, 10)));

/* As edit_add, at most at warning severity (nothing when the edit is OFF):
 * for a softer case of an error edit, e.g. the pricer's MOD_BILATERAL
 * warning for bilateral indicator 0. */
void edit_add_warning(edit_findings *out, const edit_settings *s, edit_id id, uint32_t line,
                      uint32_t seg_index, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Runs every edit of the catalogue on c against tables v, except DUPLICATE
 * (decided in input order by whoever sees the whole run: fp.h) and
 * PRICE_UNAVAILABLE (raised by the pricer: price.h). `today` is the run's
 * reference date (YYYYMMDD) for TIMELY_FILING; pass the transaction's BHT04
 * to keep results a pure function of the input. Clears *out first.
 * Returns 0, or -EINVAL for bad arguments (never for bad claim data). */
int edit_claim(const tbl_version *v, const edit_settings *s, const clm_claim *c, uint32_t today,
               edit_findings *out);

/* true when any finding is an error (the claim is rejected). */
bool edit_rejected(const edit_findings *f);

/* true when line (1-based) has a finding of severity error on it (a finding
 * with that line number: claim-level findings have line 0). */
bool edit_line_has_error(const edit_findings *f, uint32_t line);

/* NPI check digit: 10 digits, first 1 or 2, Luhn over "80840" + the first 9.
 * Exposed for claimgen and tests. */
bool edit_npi_valid(const char *npi);

/* Age in whole years on date dos for a birth date dob (YYYYMMDD); -1 when
 * either is 0 or dob > dos. */
int edit_age_years(uint32_t dob, uint32_t dos);

#endif
