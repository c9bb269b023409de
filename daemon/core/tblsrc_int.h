/* Private to daemon/core/tblsrc*.c: the import job, the line cursor, the
 * CSV/TSV splitter, number, date and header-name helpers the importers share.
 * Not installed and not for other modules: the contract is claimd/tblsrc.h.
 *
 * Every helper works on slices of the caller's buffer (pointer + length) and
 * never allocates; the one tblsrc_rec a job fills is reused for every row.
 */
#ifndef CLAIMD_TBLSRC_INT_H
#define CLAIMD_TBLSRC_INT_H

#include "claimd/tblsrc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TBLSRC_MAX_FIELDS 64  /* fields kept per CSV row; PPRRVU has 31 */
#define TBLSRC_HDR_SCAN   200 /* records searched for a header row */
#define TBLSRC_NAME_MAX   96  /* a normalised (stacked) header name */

/* One field of a CSV/TSV record: the bytes between the separators (inside the
 * quotes when quoted). esc: the field was quoted and holds "" pairs, which
 * the text copier folds to one quote. */
typedef struct tblsrc_field {
    const char *p;
    uint32_t n;
    uint8_t esc;
} tblsrc_field;

/* A cursor over the buffer: the next unread byte and its 1-based line. */
typedef struct tblsrc_cur {
    const char *p;
    const char *end;
    uint64_t line;
} tblsrc_cur;

/* One CSV/TSV record. Fields past TBLSRC_MAX_FIELDS are counted, not kept. */
typedef struct tblsrc_row {
    tblsrc_field f[TBLSRC_MAX_FIELDS];
    uint32_t nf;       /* fields kept */
    uint32_t total;    /* fields in the record */
    const char *start; /* first byte of the record */
    uint64_t line;     /* line where the record starts */
} tblsrc_row;

/* One import: the input, the caller's callback, the running stats and the
 * record being filled. */
typedef struct tblsrc_job {
    const char *buf;  /* the buffer as given (with its BOM, if any) */
    const char *data; /* after the BOM */
    const char *end;
    const tblsrc_opts *opts;
    tblsrc_emit_fn emit;
    void *ectx;
    tblsrc_err *err;
    tblsrc_stats st;
    bool period_seen;
    bool period_mixed;
    tblsrc_rec rec;
} tblsrc_job;

/* ASCII-only classes: <ctype.h> depends on the locale and is undefined for
 * the negative chars latin-1 bytes become. */
static inline bool tblsrc_isdig(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool tblsrc_isalpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline bool tblsrc_isalnum(char c)
{
    return tblsrc_isdig(c) || tblsrc_isalpha(c);
}

static inline char tblsrc_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* ---- cursor, lines, records (tblsrc.c) ---- */

void tblsrc_cur_init(tblsrc_cur *c, const tblsrc_job *j);
/* The next physical line without its LF or CRLF; false at the end. */
bool tblsrc_line(tblsrc_cur *c, const char **p, size_t *n, uint64_t *line);
/* The next record split on sep, honouring quotes (CSV: embedded separators,
 * "" and line breaks). Returns 1, 0 at the end, or -CLAIMD_ETBL_BAD_ROW. */
int tblsrc_csv_row(tblsrc_job *j, tblsrc_cur *c, char sep, tblsrc_row *r);
/* Number of fields holding something other than blanks. */
uint32_t tblsrc_row_nonblank(const tblsrc_row *r);
/* The index of the only non-blank field, or -1 when there are none or several. */
int tblsrc_row_single(const tblsrc_row *r);
/* A field of r, or an empty one when r has fewer fields. */
tblsrc_field tblsrc_row_get(const tblsrc_row *r, int i);

/* ---- errors and emitting ---- */

/* Fails the import with code (a negative claimd code), at line/column
 * (0: unknown), with a printf-style reason. Returns code. */
int tblsrc_fail(tblsrc_job *j, int code, uint64_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* -CLAIMD_ETBL_BAD_ROW at the byte at (line and column computed from it). */
int tblsrc_fail_at(tblsrc_job *j, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Emits j->rec (kind set by the caller) whose period is *per. */
int tblsrc_emit(tblsrc_job *j, const tbl_period *per);

/* ---- text, numbers, dates ---- */

bool tblsrc_is_blank(const char *p, size_t n);
/* Trims spaces and tabs at both ends of *p/n; returns the new length. */
size_t tblsrc_trim(const char **p, size_t n);
/* Copies a code: trimmed, dots dropped, upper-cased, letters and digits only,
 * minlen..maxlen characters (maxlen < cap). Returns 0 or -1. */
int tblsrc_code(char *dst, size_t cap, const char *p, size_t n, size_t minlen, size_t maxlen);
/* Copies descriptive text trimmed, folding "" when esc, cut to cap - 1 bytes;
 * bytes above 0x7f (latin-1, cp1252) are kept as they are. */
void tblsrc_text(char *dst, size_t cap, const char *p, size_t n, bool esc);
/* Decimal text ("-1.30", " 32.3465") to an integer scaled by 10^scale, exactly:
 * more fractional digits than scale must be zeros. Returns 0 or -1. */
int tblsrc_dec(const char *p, size_t n, unsigned scale, int64_t *out);
/* Digits only (after trimming), at most max. Returns 0 or -1. */
int tblsrc_uint(const char *p, size_t n, uint64_t max, uint64_t *out);
bool tblsrc_date_ok(uint32_t d);
/* Eight digits YYYYMMDD naming a real day. Returns 0 or -1. */
int tblsrc_date8(const char *p, size_t n, uint32_t *out);
uint32_t tblsrc_date_prev(uint32_t d);
/* [first day of quarter q of year, Dec 31 of year] or to the quarter's end. */
tbl_period tblsrc_quarter(unsigned year, unsigned q, bool to_year_end);
/* The first stand-alone 4-digit year 1980..2099 in p, or 0. */
unsigned tblsrc_find_year(const char *p, size_t n);
/* The first month name (January or Jan ...) standing as a word in p: 1-12, or 0. */
unsigned tblsrc_find_month(const char *p, size_t n);
/* Case-insensitive substring search. */
const char *tblsrc_find_ci(const char *p, size_t n, const char *needle);
bool tblsrc_has_explicit(const tblsrc_opts *o);
/* A row's own period clipped to the explicit one (when given). */
tbl_period tblsrc_clip(const tblsrc_opts *o, tbl_period own);

/* ---- header names ---- */

/* Appends f to out normalised: upper case, blanks dropped ("Non-Fac PE RVU"
 * -> "NON-FACPERVU"). */
void tblsrc_name_add(char *out, size_t cap, const char *p, size_t n);
/* The column whose name is one of alts ("A|B"): equal to it, or containing it
 * when contains. -1 when none. */
int tblsrc_col(char (*names)[TBLSRC_NAME_MAX], uint32_t n, const char *alts, bool contains);

/* ---- detection ---- */

/* The kind, and whether it was recognised from a header (strong) rather than
 * the shape of its rows. */
tblsrc_kind tblsrc_detect_ex(const char *buf, size_t len, bool *strong);

/* ---- the importers: one per layout ---- */

int tblsrc_imp_icd10(tblsrc_job *j);
int tblsrc_imp_hcpcs(tblsrc_job *j);
int tblsrc_imp_zip5(tblsrc_job *j);
int tblsrc_imp_zip9(tblsrc_job *j);
int tblsrc_imp_pprrvu(tblsrc_job *j);
int tblsrc_imp_gpci(tblsrc_job *j);
int tblsrc_imp_oppscap(tblsrc_job *j);
int tblsrc_imp_mue(tblsrc_job *j);
int tblsrc_imp_agesex(tblsrc_job *j);
int tblsrc_imp_ncci(tblsrc_job *j);
int tblsrc_imp_pos(tblsrc_job *j);
int tblsrc_imp_modifiers(tblsrc_job *j);

/* Shape tests shared by detection and the importers. */
bool tblsrc_icd_shape(const char *p, size_t n);
bool tblsrc_hcpcs_shape(const char *p, size_t n);
/* 5 for a ZIP5 record, 9 for a ZIP9 record, 0 for neither. */
int tblsrc_zip_shape(const char *p, size_t n);
bool tblsrc_ncci_shape(const char *p, size_t n);

#endif
