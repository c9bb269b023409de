/* tblsrc_ importers for line-oriented text: the CMS NCCI practitioner PTP
 * file (tab separated, 2.6 million rows at full scale: one memchr pass per
 * field, no per-row allocation), the POS code list and the project's
 * modifier list. */
#include "claimd/error.h"
#include "tblsrc_int.h"

#include <string.h>

#define NCCI_MAXF      16 /* tab fields kept per NCCI line */
#define NCCI_HDR_LINES 6  /* stacked header lines under "Column 1" */

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Splits a line on tabs; returns the number of fields (kept: at most max). */
static size_t split_tab(const char *p, size_t n, span *f, size_t max)
{
    const char *s = p, *e = p + n;
    size_t k = 0;
    for (;;) {
        const char *t = memchr(s, '\t', (size_t)(e - s));
        if (k < max) {
            f[k].p = s;
            f[k].n = (size_t)((t ? t : e) - s);
        }
        k++;
        if (!t)
            return k;
        s = t + 1;
    }
}

static bool is_code5(const char *p, size_t n)
{
    if (n != 5)
        return false;
    for (size_t i = 0; i < 5; i++)
        if (!tblsrc_isalnum(p[i]))
            return false;
    return true;
}

/* ---- NCCI PTP ----------------------------------------------------------
 * A copyright preamble, then "Column 1<TAB>Column 2<TAB>*=in existence ..."
 * (CMS stacks the header over four lines: the lines under it start with a
 * blank cell), then Column 1, Column 2, '*' when in existence before 1996,
 * effective date YYYYMMDD, deletion date YYYYMMDD or '*', modifier indicator
 * 0/1/9, rationale. Columns are found by their header names. */

bool tblsrc_ncci_shape(const char *p, size_t n)
{
    span f[8];
    size_t k = split_tab(p, n, f, 8);
    uint32_t d;
    if (k < 6 || !is_code5(f[0].p, f[0].n) || !is_code5(f[1].p, f[1].n))
        return false;
    bool del_ok = (f[4].n == 1 && f[4].p[0] == '*') || tblsrc_date8(f[4].p, f[4].n, &d) == 0;
    return tblsrc_date8(f[3].p, f[3].n, &d) == 0 && del_ok && f[5].n == 1 &&
           strchr("019", f[5].p[0]);
}

typedef struct ncci_cols {
    int c1, c2, pre, eff, del, mod;
    int need; /* fields a row must have */
} ncci_cols;

static void names_add_line(char (*names)[TBLSRC_NAME_MAX], const char *p, size_t n)
{
    span f[NCCI_MAXF];
    size_t k = split_tab(p, n, f, NCCI_MAXF);
    for (size_t i = 0; i < k && i < NCCI_MAXF; i++)
        tblsrc_name_add(names[i], TBLSRC_NAME_MAX, f[i].p, f[i].n);
}

static int ncci_cols_find(tblsrc_job *j, char (*names)[TBLSRC_NAME_MAX], ncci_cols *c)
{
    static const char *const what[6] = {
        "Column 1",       "Column 2",      "*=in existence prior to 1996",
        "Effective Date", "Deletion Date", "Modifier"};
    c->c1 = tblsrc_col(names, NCCI_MAXF, "COLUMN1", false);
    c->c2 = tblsrc_col(names, NCCI_MAXF, "COLUMN2", false);
    c->pre = tblsrc_col(names, NCCI_MAXF, "1996|EXISTENCE", true);
    c->eff = tblsrc_col(names, NCCI_MAXF, "EFFECTIVE", true);
    c->del = tblsrc_col(names, NCCI_MAXF, "DELETION", true);
    c->mod = tblsrc_col(names, NCCI_MAXF, "MODIFIER", true);
    const int *v = &c->c1;
    c->need = 0;
    for (int i = 0; i < 6; i++) {
        if (v[i] < 0)
            return tblsrc_fail(j, -CLAIMD_ETBL_NO_HEADER, 0, 0,
                               "NCCI PTP header has no '%s' column", what[i]);
        if (v[i] + 1 > c->need)
            c->need = v[i] + 1;
    }
    return 0;
}

/* Finds the "Column 1" row and folds the stacked lines under it. */
static int ncci_header(tblsrc_job *j, tblsrc_cur *c, ncci_cols *cols)
{
    char names[NCCI_MAXF][TBLSRC_NAME_MAX] = {{0}};
    const char *p;
    size_t n;
    uint64_t line;
    bool found = false;
    for (int k = 0; !found && k < TBLSRC_HDR_SCAN && tblsrc_line(c, &p, &n, &line); k++) {
        span f0;
        split_tab(p, n, &f0, 1);
        char first[TBLSRC_NAME_MAX] = "";
        tblsrc_name_add(first, sizeof first, f0.p, f0.n);
        found = strcmp(first, "COLUMN1") == 0;
        if (found)
            names_add_line(names, p, n);
        j->st.skipped++;
    }
    if (!found)
        return tblsrc_fail(j, -CLAIMD_ETBL_NO_HEADER, 0, 0,
                           "no NCCI PTP header ('Column 1<TAB>Column 2 ...') in the first %d lines",
                           TBLSRC_HDR_SCAN);
    for (int k = 0; k < NCCI_HDR_LINES; k++) {
        tblsrc_cur save = *c;
        if (!tblsrc_line(c, &p, &n, &line))
            break;
        span f0;
        split_tab(p, n, &f0, 1);
        if (tblsrc_is_blank(p, n) || !tblsrc_is_blank(f0.p, f0.n)) {
            *c = save; /* a data row (or a blank line): the header is over */
            break;
        }
        names_add_line(names, p, n);
        j->st.skipped++;
    }
    return ncci_cols_find(j, names, cols);
}

static int ncci_fields(tblsrc_job *j, const ncci_cols *c, const span *f)
{
    tbl_ncci *r = &j->rec.u.ncci;
    if (tblsrc_code(r->col1, sizeof r->col1, f[c->c1].p, f[c->c1].n, 5, 5))
        return tblsrc_fail_at(j, f[c->c1].p, "Column 1 code is not 5 letters and digits");
    if (tblsrc_code(r->col2, sizeof r->col2, f[c->c2].p, f[c->c2].n, 5, 5))
        return tblsrc_fail_at(j, f[c->c2].p, "Column 2 code is not 5 letters and digits");
    span s = f[c->pre];
    s.n = tblsrc_trim(&s.p, s.n);
    if (s.n > 1 || (s.n == 1 && s.p[0] != '*'))
        return tblsrc_fail_at(j, f[c->pre].p, "pre-1996 flag is not '*' or blank");
    r->pre1996 = s.n == 1;
    if (tblsrc_date8(f[c->eff].p, f[c->eff].n, &r->eff_date))
        return tblsrc_fail_at(j, f[c->eff].p, "effective date is not a YYYYMMDD date");
    s = f[c->del];
    s.n = tblsrc_trim(&s.p, s.n);
    if (!(s.n == 0 || (s.n == 1 && s.p[0] == '*')) && tblsrc_date8(s.p, s.n, &r->del_date))
        return tblsrc_fail_at(j, f[c->del].p, "deletion date is not a YYYYMMDD date or '*'");
    s = f[c->mod];
    s.n = tblsrc_trim(&s.p, s.n);
    if (s.n != 1 || !strchr("019", s.p[0]))
        return tblsrc_fail_at(j, f[c->mod].p, "modifier indicator is not 0, 1 or 9");
    r->mod_ind = (uint8_t)(s.p[0] - '0');
    return 0;
}

static int ncci_row(tblsrc_job *j, const ncci_cols *c, const char *p, size_t n)
{
    span f[NCCI_MAXF];
    size_t k = split_tab(p, n, f, NCCI_MAXF);
    if (k < (size_t)c->need) {
        const char *t = p;
        size_t tn = tblsrc_trim(&t, n);
        if (k == 1 && !is_code5(t, tn)) {
            j->st.skipped++; /* a footnote line after the data */
            return 0;
        }
        return tblsrc_fail_at(j, p + n, "row has %zu tab-separated fields; the header names %d", k,
                              c->need);
    }
    memset(&j->rec, 0, sizeof j->rec);
    int rc = ncci_fields(j, c, f);
    if (rc)
        return rc;
    tbl_ncci *r = &j->rec.u.ncci;
    tbl_period own = {r->eff_date, r->del_date ? tblsrc_date_prev(r->del_date) : TBL_DATE_OPEN};
    r->period = tblsrc_clip(j->opts, own);
    return tblsrc_emit(j, &r->period);
}

int tblsrc_imp_ncci(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    ncci_cols cols = {0}; /* set by ncci_header before any use */
    int rc = ncci_header(j, &c, &cols);
    const char *p;
    size_t n;
    uint64_t line;
    j->period_mixed = true; /* rows carry their own dates */
    while (rc == 0 && tblsrc_line(&c, &p, &n, &line)) {
        if (tblsrc_is_blank(p, n))
            j->st.skipped++;
        else
            rc = ncci_row(j, &cols, p, n);
    }
    return rc;
}

/* ---- POS and modifier lists ------------------------------------------ */

static tbl_period list_period(const tblsrc_job *j)
{
    if (tblsrc_has_explicit(j->opts))
        return j->opts->period;
    return (tbl_period){0, TBL_DATE_OPEN};
}

/* The first token of a line: up to a tab, comma or space. */
static span first_token(const char *p, size_t n)
{
    span t = {p, 0};
    while (t.n < n && p[t.n] != '\t' && p[t.n] != ',' && p[t.n] != ' ')
        t.n++;
    return t;
}

/* POS: "11", "11<TAB>Office", "11,Office" or "11 Office"; '#' comment lines
 * and one header line (a first word longer than a code) are skipped. */
static int pos_row(tblsrc_job *j, const char *p, size_t n, bool first, const tbl_period *per)
{
    span t = first_token(p, n);
    bool code = t.n == 2 && tblsrc_isdig(t.p[0]) && tblsrc_isdig(t.p[1]);
    if (!code && first && t.n > 2 && tblsrc_isalpha(t.p[0])) {
        j->st.skipped++;
        return 0;
    }
    if (!code)
        return tblsrc_fail_at(j, t.p, "place of service code is not 2 digits");
    tbl_pos *r = &j->rec.u.pos;
    memset(&j->rec, 0, sizeof j->rec);
    memcpy(r->code, t.p, 2);
    const char *s = p + t.n;
    size_t m = n - t.n;
    if (m) {
        s++;
        m--;
    }
    m = tblsrc_trim(&s, m);
    bool quoted = m >= 2 && s[0] == '"' && s[m - 1] == '"';
    tblsrc_text(r->name, sizeof r->name, s + quoted, m - (quoted ? 2 : 0), quoted);
    r->period = *per;
    return tblsrc_emit(j, per);
}

int tblsrc_imp_pos(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tbl_period per = list_period(j);
    const char *p;
    size_t n;
    uint64_t line;
    bool first = true;
    int rc = 0;
    while (rc == 0 && tblsrc_line(&c, &p, &n, &line)) {
        n = tblsrc_trim(&p, n);
        if (n == 0 || p[0] == '#') {
            j->st.skipped++;
            continue;
        }
        rc = pos_row(j, p, n, first, &per);
        first = false;
    }
    return rc;
}

/* Modifiers: one 2-character code a line; '#' starts a comment anywhere;
 * anything after the code and a blank is a note and ignored. */
static int modifier_row(tblsrc_job *j, const char *p, size_t n, const tbl_period *per)
{
    span t = first_token(p, n);
    tbl_modifier *r = &j->rec.u.modifier;
    memset(&j->rec, 0, sizeof j->rec);
    if (tblsrc_code(r->code, sizeof r->code, t.p, t.n, 2, 2) || memchr(t.p, '.', t.n))
        return tblsrc_fail_at(j, t.p, "modifier is not 2 letters or digits");
    r->period = *per;
    return tblsrc_emit(j, per);
}

int tblsrc_imp_modifiers(tblsrc_job *j)
{
    tblsrc_cur c;
    tblsrc_cur_init(&c, j);
    tbl_period per = list_period(j);
    const char *p;
    size_t n;
    uint64_t line;
    int rc = 0;
    while (rc == 0 && tblsrc_line(&c, &p, &n, &line)) {
        const char *hash = memchr(p, '#', n);
        if (hash)
            n = (size_t)(hash - p);
        n = tblsrc_trim(&p, n);
        if (n == 0)
            j->st.skipped++;
        else
            rc = modifier_row(j, p, n, &per);
    }
    return rc;
}
