/* tblsrc_: reading the publishers' own reference files into typed records.
 *
 * One importer per source layout (CDC ICD-10-CM order file, CMS HCPCS Level II
 * file, PPRRVU, GPCI, ZIP5, ZIP9, NCCI PTP, MUE, POS, OPPSCAP, and the
 * project's own age/sex and modifier lists). Importers are pure code: the
 * caller hands them the whole file as a byte buffer (a mapping or a read) and
 * they call back once per record, in file order. They never allocate per row
 * and keep no pointer into the buffer after returning.
 *
 * This header is the contract between the importers (tblsrc_*.c) and the
 * store that writes LMDB (tbl_*.c): the record structs below are what a table
 * is built from. Fixed-point conventions, the same everywhere:
 *   - dates are YYYYMMDD as uint32_t (20250101); TBL_DATE_OPEN (99991231)
 *     means "no end";
 *   - an effective period is [from, to], both days inclusive;
 *   - RVUs, GPCIs and conversion factors are scaled by 10^4 (1.30 -> 13000,
 *     0.869 -> 8690, 32.3465 -> 323465); money is integer cents.
 *   - codes are NUL-padded fixed-size char arrays, upper case, no dots.
 */
#ifndef CLAIMD_TBLSRC_H
#define CLAIMD_TBLSRC_H

#include <stddef.h>
#include <stdint.h>

#define TBL_DATE_OPEN 99991231u

typedef struct tbl_period {
    uint32_t from; /* YYYYMMDD, inclusive */
    uint32_t to;   /* YYYYMMDD, inclusive; TBL_DATE_OPEN when open-ended */
} tbl_period;

/* The kinds of source file, as recognised from their content. */
typedef enum tblsrc_kind {
    TBLSRC_UNKNOWN = 0,
    TBLSRC_ICD10CM,   /* CDC order file: fixed width */
    TBLSRC_HCPCS,     /* CMS HCPCS Level II alpha-numeric file: 320-byte records */
    TBLSRC_PPRRVU,    /* MPFS relative value CSV */
    TBLSRC_GPCI,      /* GPCI CSV */
    TBLSRC_ZIP5,      /* ZIP5 to carrier/locality, fixed width */
    TBLSRC_ZIP9,      /* ZIP9 to carrier/locality, fixed width */
    TBLSRC_NCCI_PTP,  /* NCCI practitioner PTP, tab separated */
    TBLSRC_MUE,       /* MUE practitioner CSV */
    TBLSRC_POS,       /* place of service: one code a line, or code and name */
    TBLSRC_AGESEX,    /* project layout: code,sex,min_age,max_age CSV */
    TBLSRC_MODIFIERS, /* one modifier code a line */
    TBLSRC_OPPSCAP,   /* OPPS imaging caps CSV */
    TBLSRC_KIND_COUNT
} tblsrc_kind;

/* ---- records ---------------------------------------------------------- */

typedef struct tbl_icd10 {
    char code[8];     /* up to 7 characters, no dot */
    uint8_t billable; /* 1 billable, 0 header/category */
    char short_desc[61];
    tbl_period period; /* the fiscal year of the file unless given */
} tbl_icd10;

/* A HCPCS Level II procedure or modifier (record ids 3 and 7; continuation
 * records 4 and 8 are folded into their parent). */
typedef struct tbl_hcpcs {
    char code[6];      /* 5 characters for a procedure, 2 for a modifier */
    uint8_t is_modifier;
    char short_desc[29];
    char action;       /* action code (A add, C change, D discontinue, N no change ...) */
    uint32_t add_date; /* YYYYMMDD or 0 */
    uint32_t action_eff_date;
    uint32_t term_date; /* YYYYMMDD or 0 (none) */
    tbl_period period;  /* [add_date or 0, term_date or open] unless given */
} tbl_hcpcs;

/* One PPRRVU row: a code and modifier (blank, 26, TC, 53 ...). */
typedef struct tbl_rvu {
    char code[6];
    char mod[3];
    char status;          /* STATUS CODE: A, R, T payable; B, C, I, N, X ... */
    int32_t work;         /* RVU x 10^4 */
    int32_t pe_nonfac;
    int32_t pe_fac;
    int32_t mp;
    int32_t total_nonfac; /* the file's own totals, for the cross-check */
    int32_t total_fac;
    uint8_t na_nonfac;    /* NA indicator set: no value in that setting */
    uint8_t na_fac;
    uint8_t pctc;         /* PCTC IND 0-9 */
    char glob_days[4];    /* "000", "010", "090", "XXX", "YYY", "ZZZ", "MMM" */
    uint8_t mult_proc;    /* MULT PROC 0-9 */
    uint8_t bilat;        /* BILAT SURG 0-3, 9 */
    uint8_t asst;         /* ASST SURG 0-2, 9 */
    uint8_t co_surg;      /* CO-SURG 0-2, 9 */
    uint8_t team;         /* TEAM SURG 0-2, 9 */
    char endo_base[6];
    int32_t conv_factor;  /* CONV FACTOR x 10^4 */
    char img_family[3];   /* DIAGNOSTIC IMAGING FAMILY (INDICATOR), when the file has it */
    tbl_period period;
    /* Added after the first contract (additive; each 0 / empty when the
     * file's year has no such column): */
    uint8_t not_used_medicare; /* 1: NOT USED FOR MEDICARE PAYMENT is '+' */
    int32_t pre_op;            /* PRE OP share of the global package x 10^4 */
    int32_t intra_op;          /* INTRA OP share x 10^4 */
    int32_t post_op;           /* POST OP share x 10^4 */
    char phys_superv[3];       /* PHYSICIAN SUPERVISION OF DIAGNOSTIC PROCEDURES, "01".."09" */
    uint8_t calc_flag;         /* CALCULATION FLAG 0-9 */
    int32_t opps_pe_nonfac;    /* NON-FACILITY PE USED FOR OPPS PAYMENT AMOUNT x 10^4 */
    int32_t opps_pe_fac;       /* FACILITY PE USED FOR OPPS PAYMENT AMOUNT x 10^4 */
    int32_t opps_mp;           /* MP USED FOR OPPS PAYMENT AMOUNT x 10^4 */
} tbl_rvu;

typedef struct tbl_gpci {
    char carrier[6]; /* MAC / carrier number, 5 digits */
    char state[3];
    char locality[3]; /* 2 digits */
    /* widened from 48: CMS locality names run to 82 bytes; longer ones are cut */
    char name[96];
    int32_t work; /* GPCI x 10^4 */
    int32_t pe;
    int32_t mp;
    tbl_period period;
} tbl_gpci;

typedef struct tbl_zip5 {
    char zip[6];
    char state[3];
    char carrier[6];
    char locality[3];
    char rural;       /* ' ', 'R' or 'B' */
    uint8_t plus4;    /* 1: the ZIP is split; the ZIP9 file decides */
    uint16_t yearq;   /* YYYYQ as in the file, e.g. 20254 */
    tbl_period period; /* quarter start to Dec 31 of the year, unless given */
    /* Added after the first contract (additive): */
    char lab_cb[3]; /* Bene Lab CB Locality (cols 16-17): "Z1", "Z2", "Z9" or empty */
    char rural2;    /* Rural Indicator2 (col 18): the 2006 MSA-based flag, ' ' when blank */
    char partb;     /* Part B Payment Indicator (col 23), ' ' when blank */
} tbl_zip5;

typedef struct tbl_zip9 {
    char zip[6];
    char plus4_lo[5]; /* the ZIP9 file's +4 (one record per +4 range start) */
    char plus4_hi[5]; /* equal to plus4_lo when the file gives one value */
    char state[3];
    char carrier[6];
    char locality[3];
    char rural;
    tbl_period period; /* quarter start to Dec 31 of the year, unless given */
    /* Added after the first contract (additive): */
    uint16_t yearq; /* YYYYQ as in the file, e.g. 20254 */
    char partb;     /* Part B Payment Indicator (col 32), ' ' when blank */
} tbl_zip9;

typedef struct tbl_ncci {
    char col1[6];
    char col2[6];
    uint8_t pre1996;   /* '*' in the file: in existence before 1996 */
    uint8_t mod_ind;   /* 0 never bypassed, 1 bypassed by a modifier, 9 not applicable */
    uint32_t eff_date; /* YYYYMMDD */
    uint32_t del_date; /* YYYYMMDD of deletion, 0 when none ('*') */
    tbl_period period; /* [eff_date, del_date - 1 day] or open; an edit deleted on
                        * the day it took effect has to < from (never in force) */
} tbl_ncci;

typedef struct tbl_mue {
    char code[6];
    uint16_t value; /* maximum units */
    uint8_t mai;    /* MUE adjudication indicator 1, 2 or 3 */
    tbl_period period;
} tbl_mue;

typedef struct tbl_pos {
    char code[3];
    char name[64];
    tbl_period period;
} tbl_pos;

/* Age/sex limits for a diagnosis or procedure code (project layout, see
 * docs/tables-sources.md): code,sex,min_age,max_age where sex is M, F or empty;
 * an empty min_age is 0 and an empty max_age is 124. */
typedef struct tbl_agesex {
    char code[8];
    char sex;        /* 'M', 'F' or 0 (no sex limit) */
    uint8_t min_age; /* years, inclusive */
    uint8_t max_age; /* years, inclusive; 124 = no upper limit */
    tbl_period period;
} tbl_agesex;

typedef struct tbl_modifier {
    char code[3];
    tbl_period period;
} tbl_modifier;

typedef struct tbl_oppscap {
    char code[6];
    char mod[3];
    char carrier[6];
    char locality[3];
    int64_t fac_cents;
    int64_t nonfac_cents;
    tbl_period period; /* the explicit period, else always valid (the file names no year) */
    /* Added after the first contract (additive): */
    char procstat; /* PROCSTAT: the MPFS status code of the row (A, C ...) */
} tbl_oppscap;

typedef struct tblsrc_rec {
    tblsrc_kind kind;
    union {
        tbl_icd10 icd10;
        tbl_hcpcs hcpcs;
        tbl_rvu rvu;
        tbl_gpci gpci;
        tbl_zip5 zip5;
        tbl_zip9 zip9;
        tbl_ncci ncci;
        tbl_mue mue;
        tbl_pos pos;
        tbl_agesex agesex;
        tbl_modifier modifier;
        tbl_oppscap oppscap;
    } u;
} tblsrc_rec;

/* ---- errors ----------------------------------------------------------- */

/* Where and why an import stopped. The text never quotes row contents
 * beyond a code-like field: reference files carry no PHI, but keep it short. */
typedef struct tblsrc_err {
    uint64_t line;   /* 1-based line (record, for fixed-width files) */
    uint32_t column; /* 1-based byte column, or 0 when the whole row is wrong */
    char why[160];
} tblsrc_err;

/* ---- import ----------------------------------------------------------- */

/* Called once per record in file order; a non-zero return stops the import
 * and is returned by tblsrc_import. The record is valid only for the call. */
typedef int (*tblsrc_emit_fn)(void *ctx, const tblsrc_rec *rec);

/* The explicit period replaces the file's own for every kind whose rows carry
 * no dates. For HCPCS and NCCI PTP, whose rows carry their own dates, it
 * bounds them instead: each row's period is clipped to it (the raw dates stay
 * in add_date/term_date, eff_date/del_date), so a deleted edit never comes
 * back to life. Clipping can leave to < from: the row is never in force. */
typedef struct tblsrc_opts {
    tblsrc_kind kind;    /* what the caller's flag says the file is */
    tbl_period period;   /* explicit period (FILE@from:to), or {0,0} for the file's own */
    const char *name;    /* the file's base name, used only for periods that
                          * come from it (MUE quarter) and for messages */
} tblsrc_opts;

typedef struct tblsrc_stats {
    uint64_t rows;        /* records emitted */
    uint64_t skipped;     /* banner, header, footnote and blank lines */
    uint64_t mismatches;  /* cross-check failures (PPRRVU totals) */
    tbl_period period;    /* the period applied to the file's records (when uniform) */
} tblsrc_stats;

/* Recognises the kind of a source file from its content (header rows, record
 * shapes), never from its name. Returns TBLSRC_UNKNOWN when unsure. */
tblsrc_kind tblsrc_detect(const char *buf, size_t len);

/* Imports buf as opts->kind, calling emit per record.
 * Returns 0, or:
 *   -CLAIMD_ETBL_WRONG_KIND  the content is another kind of file (err says which)
 *   -CLAIMD_ETBL_BAD_ROW     a row does not parse (err has line, column, why)
 *   -CLAIMD_ETBL_EMPTY       no records at all
 *   -CLAIMD_ETBL_NO_HEADER   a CSV/TSV layout's header row (or a column it
 *                            must have) is missing (err says which)
 *   -CLAIMD_ETBL_NO_PERIOD   the period can come only from the file name
 *                            (ICD-10-CM fiscal year, MUE quarter) or banner
 *                            (PPRRVU, GPCI year) and none names it, and no
 *                            explicit period was given
 *   -EINVAL                  no opts or emit, an unknown kind, or an explicit
 *                            period that is not two real days from <= to
 *   whatever emit returned, when it stopped the import.
 * err and stats may be NULL; stats is written only on success, err only on
 * failure. Layouts, periods and tolerances: docs/tables-sources.md. */
int tblsrc_import(const char *buf, size_t len, const tblsrc_opts *opts, tblsrc_emit_fn emit,
                  void *ctx, tblsrc_stats *stats, tblsrc_err *err);

/* "icd10cm", "hcpcs", "pprrvu", ... as used on the command line and in meta. */
const char *tblsrc_kind_name(tblsrc_kind kind);

#endif
