/* tblsrc_: recognising a reference file from its content and dispatching it
 * to the importer of its layout. The importers live beside this file:
 * tblsrc_fixed.c (ICD-10-CM, HCPCS, ZIP5, ZIP9), tblsrc_csv.c (PPRRVU, GPCI,
 * OPPSCAP, MUE, age/sex) and tblsrc_text.c (NCCI PTP, POS, modifiers). */
#include "claimd/error.h"
#include "tblsrc_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Detection reads this much of the head of a file: every layout shows its
 * header or its record shape well inside it (the HCPCS disclaimer is ~1 KB). */
#define DETECT_BYTES ((size_t)64 * 1024)
#define DETECT_LINES 300

static const char *const kind_names[TBLSRC_KIND_COUNT] = {
    [TBLSRC_UNKNOWN] = "unknown", [TBLSRC_ICD10CM] = "icd10cm", [TBLSRC_HCPCS] = "hcpcs",
    [TBLSRC_PPRRVU] = "pprrvu",   [TBLSRC_GPCI] = "gpci",       [TBLSRC_ZIP5] = "zip5",
    [TBLSRC_ZIP9] = "zip9",       [TBLSRC_NCCI_PTP] = "ncci",   [TBLSRC_MUE] = "mue",
    [TBLSRC_POS] = "pos",         [TBLSRC_AGESEX] = "agesex",   [TBLSRC_MODIFIERS] = "modifiers",
    [TBLSRC_OPPSCAP] = "oppscap",
};

/* What a file of each kind looks like, for the wrong-flag message. */
static const char *const kind_what[TBLSRC_KIND_COUNT] = {
    [TBLSRC_UNKNOWN] = "an unrecognised file",
    [TBLSRC_ICD10CM] = "a CDC ICD-10-CM order file",
    [TBLSRC_HCPCS] = "a CMS HCPCS Level II file",
    [TBLSRC_PPRRVU] = "a CMS PPRRVU relative value file",
    [TBLSRC_GPCI] = "a CMS GPCI file",
    [TBLSRC_ZIP5] = "a CMS ZIP5 locality file",
    [TBLSRC_ZIP9] = "a CMS ZIP9 locality file",
    [TBLSRC_NCCI_PTP] = "a CMS NCCI PTP file",
    [TBLSRC_MUE] = "a CMS MUE file",
    [TBLSRC_POS] = "a place of service list",
    [TBLSRC_AGESEX] = "an age/sex list",
    [TBLSRC_MODIFIERS] = "a modifier list",
    [TBLSRC_OPPSCAP] = "a CMS OPPS cap file",
};

const char *tblsrc_kind_name(tblsrc_kind kind)
{
    if ((int)kind < 0 || kind >= TBLSRC_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

/* ---- errors and emitting ---- */

__attribute__((format(printf, 4, 0))) static void fail_v(tblsrc_job *j, uint64_t line, uint32_t col,
                                                         const char *fmt, va_list ap)
{
    if (!j->err)
        return;
    j->err->line = line;
    j->err->column = col;
    vsnprintf(j->err->why, sizeof j->err->why, fmt, ap);
}

int tblsrc_fail(tblsrc_job *j, int code, uint64_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(j, line, col, fmt, ap);
    va_end(ap);
    return code;
}

/* Line and column of a byte, counted from the start only when an import
 * fails, so the happy path never tracks columns. */
int tblsrc_fail_at(tblsrc_job *j, const char *at, const char *fmt, ...)
{
    uint64_t line = 1;
    const char *ls = j->buf, *p = j->buf;
    while (p < at && (p = memchr(p, '\n', (size_t)(at - p))) != NULL) {
        line++;
        ls = ++p;
    }
    if (ls == j->buf)
        ls = j->data; /* the BOM takes no column */
    va_list ap;
    va_start(ap, fmt);
    fail_v(j, line, (uint32_t)(at - ls) + 1, fmt, ap);
    va_end(ap);
    return -CLAIMD_ETBL_BAD_ROW;
}

int tblsrc_emit(tblsrc_job *j, const tbl_period *per)
{
    if (!j->period_seen) {
        j->st.period = *per;
        j->period_seen = true;
    } else if (j->st.period.from != per->from || j->st.period.to != per->to) {
        j->period_mixed = true;
    }
    j->rec.kind = j->opts->kind;
    int rc = j->emit(j->ectx, &j->rec);
    if (rc == 0)
        j->st.rows++;
    return rc;
}

/* ---- detection ---- */

typedef struct detect_tally {
    unsigned lines, icd, hcpcs, zip5, zip9, ncci, agesex, pos_num, pos_named, mod_alpha;
} detect_tally;

/* Header rows name their layout outright. */
static tblsrc_kind detect_header(const char *p, size_t n)
{
    if (n && *p == '"') {
        p++;
        n--;
    }
    bool tab = memchr(p, '\t', n) != NULL;
    if (tblsrc_find_ci(p, n, "MUE") &&
        (tblsrc_find_ci(p, n, "HCPCS") || tblsrc_find_ci(p, n, "ADJUDICATION")))
        return TBLSRC_MUE;
    if (n >= 6 && tblsrc_find_ci(p, 5, "HCPCS") == p && (p[5] == ',' || p[5] == '"')) {
        if (tblsrc_find_ci(p, n, "PROCSTAT"))
            return TBLSRC_OPPSCAP;
        if (tblsrc_find_ci(p, n, "RVU") || tblsrc_find_ci(p, n, "CONV"))
            return TBLSRC_PPRRVU;
    }
    if (tblsrc_find_ci(p, n, "GPCI") && tblsrc_find_ci(p, n, "LOCALITY"))
        return TBLSRC_GPCI;
    if (tab && (tblsrc_find_ci(p, n, "COLUMN 1") == p || tblsrc_find_ci(p, n, "COLUMN1\t") == p))
        return TBLSRC_NCCI_PTP;
    if (tblsrc_find_ci(p, n, "CODE,SEX") == p)
        return TBLSRC_AGESEX;
    return TBLSRC_UNKNOWN;
}

static bool agesex_shape(const char *p, size_t n)
{
    /* code,[M|F|],digits,digits */
    const char *f[5];
    size_t len[5], k = 0;
    const char *s = p, *e = p + n;
    while (k < 5) {
        const char *c = memchr(s, ',', (size_t)(e - s));
        f[k] = s;
        len[k] = (size_t)((c ? c : e) - s);
        k++;
        if (!c)
            break;
        s = c + 1;
    }
    uint64_t v;
    return k == 4 && len[0] >= 3 && len[0] <= 8 && tblsrc_isalnum(f[0][0]) && len[1] <= 1 &&
           (len[1] == 0 || strchr("MFmf", f[1][0])) &&
           (len[2] == 0 || tblsrc_uint(f[2], len[2], 999, &v) == 0) &&
           (len[3] == 0 || tblsrc_uint(f[3], len[3], 999, &v) == 0);
}

/* Shapes of code lists: "11", "11<sep>Office", "LT". */
static void list_shape(detect_tally *t, const char *p, size_t n)
{
    if (n < 2 || !tblsrc_isalnum(p[0]) || !tblsrc_isalnum(p[1]))
        return;
    bool digits = tblsrc_isdig(p[0]) && tblsrc_isdig(p[1]);
    if (n == 2) {
        t->pos_num += digits;
        t->mod_alpha += !digits;
    } else if (digits && (p[2] == '\t' || p[2] == ',' || p[2] == ' ')) {
        t->pos_named++;
    }
}

static void detect_line(detect_tally *t, const char *p, size_t n)
{
    t->lines++; /* fixed-width shapes see the line untrimmed */
    t->icd += tblsrc_icd_shape(p, n);
    t->hcpcs += tblsrc_hcpcs_shape(p, n);
    int z = tblsrc_zip_shape(p, n);
    t->zip5 += z == 5;
    t->zip9 += z == 9;
    t->ncci += tblsrc_ncci_shape(p, n);
    t->agesex += agesex_shape(p, n);
    const char *q = p, *hash = memchr(p, '#', n);
    size_t m = tblsrc_trim(&q, hash ? (size_t)(hash - p) : n); /* modifier comments */
    list_shape(t, q, m);
}

/* The majority shape of the lines seen; lists only when every line fits. */
static tblsrc_kind detect_shape(const detect_tally *t)
{
    unsigned half = t->lines / 2;
    if (t->lines == 0)
        return TBLSRC_UNKNOWN;
    if (t->icd > half)
        return TBLSRC_ICD10CM;
    if (t->hcpcs >= 2)
        return TBLSRC_HCPCS;
    if (t->zip9 > half)
        return TBLSRC_ZIP9;
    if (t->zip5 > half)
        return TBLSRC_ZIP5;
    if (t->ncci > half)
        return TBLSRC_NCCI_PTP;
    if (t->agesex > half)
        return TBLSRC_AGESEX;
    if (t->pos_num + t->pos_named + t->mod_alpha == t->lines) {
        if (t->mod_alpha)
            return t->pos_named ? TBLSRC_UNKNOWN : TBLSRC_MODIFIERS;
        return TBLSRC_POS;
    }
    return TBLSRC_UNKNOWN;
}

tblsrc_kind tblsrc_detect_ex(const char *buf, size_t len, bool *strong)
{
    *strong = false;
    if (!buf || len == 0)
        return TBLSRC_UNKNOWN;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    tblsrc_job j = {
        .buf = buf, .data = buf, .end = buf + (len < DETECT_BYTES ? len : DETECT_BYTES)};
    tblsrc_cur c;
    tblsrc_cur_init(&c, &j);
    detect_tally t = {0};
    const char *p;
    size_t n;
    uint64_t line;
    while (t.lines < DETECT_LINES && tblsrc_line(&c, &p, &n, &line)) {
        /* the last line of a cut head is partial: judge whole lines only */
        if (c.p == j.end && len > DETECT_BYTES)
            break;
        if (tblsrc_is_blank(p, n) || *p == '#')
            continue;
        tblsrc_kind k = detect_header(p, n);
        if (k != TBLSRC_UNKNOWN) {
            *strong = true;
            return k;
        }
        detect_line(&t, p, n);
    }
    return detect_shape(&t);
}

tblsrc_kind tblsrc_detect(const char *buf, size_t len)
{
    bool strong;
    return tblsrc_detect_ex(buf, len, &strong);
}

/* ---- dispatch ---- */

typedef int (*importer_fn)(tblsrc_job *j);

static const importer_fn importers[TBLSRC_KIND_COUNT] = {
    [TBLSRC_ICD10CM] = tblsrc_imp_icd10,
    [TBLSRC_HCPCS] = tblsrc_imp_hcpcs,
    [TBLSRC_PPRRVU] = tblsrc_imp_pprrvu,
    [TBLSRC_GPCI] = tblsrc_imp_gpci,
    [TBLSRC_ZIP5] = tblsrc_imp_zip5,
    [TBLSRC_ZIP9] = tblsrc_imp_zip9,
    [TBLSRC_NCCI_PTP] = tblsrc_imp_ncci,
    [TBLSRC_MUE] = tblsrc_imp_mue,
    [TBLSRC_POS] = tblsrc_imp_pos,
    [TBLSRC_AGESEX] = tblsrc_imp_agesex,
    [TBLSRC_MODIFIERS] = tblsrc_imp_modifiers,
    [TBLSRC_OPPSCAP] = tblsrc_imp_oppscap,
};

/* A file recognised as another kind is refused. Plain two-digit lists are the
 * one overlap: numeric modifier lists (22, 25, 59 ...) look like POS codes, so
 * a "POS-looking" file is accepted as modifiers; a list with letter codes is
 * never a POS list. */
static bool kind_conflicts(tblsrc_kind want, tblsrc_kind seen)
{
    if (seen == TBLSRC_UNKNOWN || seen == want)
        return false;
    if (want == TBLSRC_MODIFIERS && seen == TBLSRC_POS)
        return false;
    return true;
}

static int check_kind(tblsrc_job *j)
{
    bool strong;
    tblsrc_kind seen = tblsrc_detect_ex(j->buf, (size_t)(j->end - j->buf), &strong);
    if (!kind_conflicts(j->opts->kind, seen))
        return 0;
    return tblsrc_fail(j, -CLAIMD_ETBL_WRONG_KIND, 0, 0,
                       "%s looks like %s (%s), not %s (%s); check the flag it was given to",
                       j->opts->name ? j->opts->name : "the file", kind_what[seen],
                       kind_names[seen], kind_what[j->opts->kind], kind_names[j->opts->kind]);
}

int tblsrc_import(const char *buf, size_t len, const tblsrc_opts *opts, tblsrc_emit_fn emit,
                  void *ctx, tblsrc_stats *stats, tblsrc_err *err)
{
    if (!opts || !emit || (!buf && len) || (int)opts->kind <= TBLSRC_UNKNOWN ||
        opts->kind >= TBLSRC_KIND_COUNT)
        return -EINVAL;
    if (tblsrc_has_explicit(opts) &&
        (!tblsrc_date_ok(opts->period.from) || !tblsrc_date_ok(opts->period.to) ||
         opts->period.from > opts->period.to))
        return -EINVAL;
    static const char empty[1] = "";
    tblsrc_job j = {.buf = buf ? buf : empty, .opts = opts, .emit = emit, .ectx = ctx, .err = err};
    j.end = j.buf + len;
    j.data = j.buf;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        j.data += 3;
    int rc = check_kind(&j);
    if (rc == 0)
        rc = importers[opts->kind](&j);
    if (rc == 0 && j.st.rows == 0)
        rc = tblsrc_fail(&j, -CLAIMD_ETBL_EMPTY, 0, 0, "%s has no %s records",
                         opts->name ? opts->name : "the file", kind_names[opts->kind]);
    if (rc != 0)
        return rc;
    if (j.period_mixed)
        j.st.period = (tbl_period){0, 0};
    if (stats)
        *stats = j.st;
    return 0;
}
