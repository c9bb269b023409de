/* clm_: the claim model, as read from an 837P or 837I transaction.
 *
 * A clm_claim is a flat, self-contained copy of the fields the edits and the
 * pricer need: short codes and identifiers are copied into fixed-size,
 * NUL-terminated arrays (so a claim outlives the input buffer it came from),
 * money is integer cents, dates are YYYYMMDD integers, units are thousandths.
 * Service lines live in storage owned by whoever produced the claim (the
 * walker): `lines` is valid for as long as the claim is (for a claim passed
 * to a sink callback: until the callback returns); clm_claim_copy() makes an
 * owned deep copy.
 *
 * Fields carry PHI (member ids, birth dates, diagnoses): never log them.
 */
#ifndef CLAIMD_CLAIM_H
#define CLAIMD_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLM_MAX_DX     25 /* 837P allows 12, 837I 1 principal + 24 other (HI repeats) */
#define CLM_MAX_MODS   4
#define CLM_MAX_PTRS   4
#define CLM_MAX_ISSUES 16

typedef enum clm_type {
    CLM_TYPE_NONE = 0,
    CLM_TYPE_837P = 1, /* 005010X222* professional */
    CLM_TYPE_837I = 2, /* 005010X223* institutional */
} clm_type;

/* A value that did not parse or did not fit: data for the edit engine, never
 * a crash. The walker also reports syntax errors to the 999; these issues say
 * which claim field they touched. */
typedef enum clm_issue_kind {
    CLM_ISSUE_NONE = 0,
    CLM_ISSUE_BAD_AMOUNT,  /* a monetary amount that is not a decimal number */
    CLM_ISSUE_BAD_DATE,    /* not CCYYMMDD, not a calendar date, or a reversed range */
    CLM_ISSUE_BAD_UNITS,   /* units that are not a positive decimal number */
    CLM_ISSUE_BAD_POINTER, /* a diagnosis pointer that is not a number 1..99 */
    CLM_ISSUE_TOO_LONG,    /* a value longer than its field: truncated in the model */
    CLM_ISSUE_TOO_MANY,    /* more diagnoses, modifiers or pointers than the model holds */
} clm_issue_kind;

typedef struct clm_issue {
    uint8_t kind;       /* clm_issue_kind */
    uint8_t elem;       /* element position in the segment (1-based), 0 unknown */
    char seg_id[4];     /* segment the value was in */
    uint32_t line;      /* service line number (1-based), 0 for the claim */
    uint32_t seg_index; /* segment position in the transaction (ST = 1) */
} clm_issue;

typedef struct clm_dx {
    char code[9]; /* as sent (up to 8 bytes kept), upper-cased; a dot is kept, for DX_INVALID */
    char qual[4]; /* ABK, ABF, ABJ, APR, ABN, BK, BF, ... */
    char poa;     /* present-on-admission (837I): Y, N, U, W, 1, or 0 when absent */
    uint32_t seg_index;
} clm_dx;

typedef struct clm_line {
    uint32_t number;    /* position in the claim, 1-based */
    uint32_t lx;        /* LX01 as sent (0 when it did not parse) */
    uint32_t seg_index; /* SV1/SV2 segment position in the transaction */
    char qual[3];       /* procedure code qualifier: HC, ER, WK, IV, ... */
    char code[9];       /* procedure code (CPT/HCPCS), upper-cased */
    char mods[CLM_MAX_MODS][3];
    uint8_t nmods;
    char rev[5];                /* 837I revenue code (SV201) */
    char unit_type[3];          /* UN (units) or MJ (minutes) */
    char pos[3];                /* line place of service (SV105), empty when the claim's applies */
    uint8_t ptrs[CLM_MAX_PTRS]; /* diagnosis pointers, 1-based into the claim's dx list */
    uint8_t nptrs;
    int64_t charge;         /* cents */
    uint32_t units_milli;   /* units x 1000 */
    uint32_t from;          /* service date, YYYYMMDD, 0 when absent */
    uint32_t to;            /* end of a service span (RD8), else equal to from */
    char ndc[12];           /* LIN N4 national drug code */
    char rendering_npi[11]; /* 2420A */
} clm_line;

typedef struct clm_claim {
    clm_type type;

    /* envelope */
    char isa13[10];
    char gs06[10];
    char st02[10];
    uint32_t bht_date; /* BHT04 creation date */

    /* 2000A/2010AA billing provider */
    char bill_entity; /* NM102: '1' person, '2' non-person */
    char bill_npi[11];
    char bill_tin[12]; /* REF*EI (9 digits) or REF*SY */
    char bill_tin_qual[3];
    char bill_zip[10];
    char bill_state[3];
    char bill_taxonomy[11]; /* PRV*BI*PXC */

    /* 2000B/2010BA subscriber, 2010BB payer */
    char sbr_resp;      /* SBR01 payer responsibility: P, S, T ... */
    char sbr_rel[3];    /* SBR02: "18" when the subscriber is the patient */
    char filing_ind[3]; /* SBR09 claim filing indicator */
    char member_id[81]; /* NM109 of NM1*IL: PHI */
    uint32_t sub_dob;   /* PHI */
    char sub_sex;
    char payer_id[81];

    /* 2000C/2010CA patient, when the patient is not the subscriber */
    bool has_patient;
    char pat_rel[3];  /* PAT01 */
    uint32_t pat_dob; /* PHI */
    char pat_sex;

    /* 2300 claim */
    char claim_id[39];  /* CLM01 */
    int64_t charge;     /* CLM02, cents */
    char pos[3];        /* 837P: CLM05-1 place of service; 837I: facility type code */
    char freq;          /* CLM05-3 claim frequency type code */
    char tob[4];        /* 837I type of bill: facility type (2) + frequency */
    char ref_f8[51];    /* payer claim control number (REF*F8) */
    uint32_t stmt_from; /* 837I DTP*434 statement span */
    uint32_t stmt_to;
    uint32_t admit_date;    /* 837I DTP*435 */
    char rendering_npi[11]; /* 2310B (837P) / 2310A attending (837I) */
    char referring_npi[11]; /* 2310A (837P, DN) */
    char facility_zip[10];  /* 2310C (837P) / 2310E (837I) service facility N4 */

    clm_dx dx[CLM_MAX_DX]; /* only the first ndx entries are set */
    uint8_t ndx;

    clm_line *lines;
    uint32_t nlines;

    clm_issue issues[CLM_MAX_ISSUES]; /* only the first nissues entries are set */
    uint8_t nissues;
    uint8_t issues_dropped; /* issues beyond CLM_MAX_ISSUES, counted */

    /* where it is */
    uint64_t file_off;  /* byte offset of the CLM segment in the input */
    uint32_t seg_index; /* CLM segment position in its transaction (ST = 1) */
} clm_claim;

/* The date of service of a line: its own date, else the claim's statement
 * start. 0 when neither is known. */
uint32_t clm_line_dos(const clm_claim *c, const clm_line *l);

/* Deep-copies src into *dst with its own line array (malloc). Returns 0 or
 * -ENOMEM; free the copy with clm_claim_release(). */
int clm_claim_copy(clm_claim *dst, const clm_claim *src);
void clm_claim_release(clm_claim *c);

/* Parses an X12 decimal amount ("12.25", "-3", ".5", "100.") into cents,
 * rounding half away from zero past two decimals. Returns 0 or -EINVAL. */
int clm_parse_cents(const char *s, size_t n, int64_t *out);

/* Parses a decimal quantity into thousandths ("1", "1.5", "0.25").
 * Returns 0, -EINVAL, or -ERANGE (above 4,000,000 units). */
int clm_parse_milli(const char *s, size_t n, uint32_t *out);

/* Parses CCYYMMDD into a calendar-checked integer. Returns 0 or -EINVAL. */
int clm_parse_date(const char *s, size_t n, uint32_t *out);

#endif
