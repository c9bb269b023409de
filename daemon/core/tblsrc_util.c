/* tblsrc_ helpers shared by the importers: the line cursor, the CSV/TSV
 * splitter, exact decimal and date parsing, header-name matching. Pure code:
 * slices of the caller's buffer in, fixed-size fields out, no allocation. */
#include "claimd/error.h"
#include "tblsrc_int.h"

#include <string.h>

/* ---- cursor and lines ---- */

void tblsrc_cur_init(tblsrc_cur *c, const tblsrc_job *j)
{
    c->p = j->data;
    c->end = j->end;
    c->line = 1;
}

bool tblsrc_line(tblsrc_cur *c, const char **p, size_t *n, uint64_t *line)
{
    if (c->p >= c->end)
        return false;
    const char *s = c->p;
    const char *nl = memchr(s, '\n', (size_t)(c->end - s));
    const char *e = nl ? nl : c->end;
    c->p = nl ? nl + 1 : c->end;
    *line = c->line++;
    if (e > s && e[-1] == '\r')
        e--;
    *p = s;
    *n = (size_t)(e - s);
    return true;
}

/* Counts the line breaks inside a quoted field so line numbers stay true. */
static uint64_t count_nl(const char *p, const char *e)
{
    uint64_t k = 0;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* Reads a quoted field starting at the opening quote *pp. */
static int csv_quoted(tblsrc_job *j, tblsrc_cur *c, const char **pp, char sep, tblsrc_field *f)
{
    const char *open = *pp, *q = open + 1, *e = c->end;
    f->p = q;
    for (;;) {
        const char *k = memchr(q, '"', (size_t)(e - q));
        if (!k)
            return tblsrc_fail_at(j, open, "quoted field is never closed");
        c->line += count_nl(q, k);
        if (k + 1 < e && k[1] == '"') {
            f->esc = 1;
            q = k + 2;
            continue;
        }
        f->n = (uint32_t)(k - f->p);
        q = k + 1;
        break;
    }
    while (q < e && *q == ' ')
        q++;
    if (q < e && *q != sep && *q != '\r' && *q != '\n')
        return tblsrc_fail_at(j, q, "unexpected text after a closing quote");
    *pp = q;
    return 0;
}

int tblsrc_csv_row(tblsrc_job *j, tblsrc_cur *c, char sep, tblsrc_row *r)
{
    if (c->p >= c->end)
        return 0;
    const char *p = c->p, *e = c->end;
    r->start = p;
    r->line = c->line;
    r->nf = 0;
    r->total = 0;
    for (;;) {
        tblsrc_field f = {p, 0, 0};
        if (p < e && *p == '"') {
            int rc = csv_quoted(j, c, &p, sep, &f);
            if (rc)
                return rc;
        } else {
            const char *q = p;
            while (q < e && *q != sep && *q != '\n')
                q++;
            f.n = (uint32_t)(q - p);
            if (f.n && p[f.n - 1] == '\r' && (q == e || *q == '\n'))
                f.n--;
            p = q;
        }
        if (r->nf < TBLSRC_MAX_FIELDS)
            r->f[r->nf++] = f;
        r->total++;
        if (p < e && *p == sep) {
            p++;
            continue;
        }
        if (p < e && *p == '\r')
            p++;
        if (p < e && *p == '\n') {
            p++;
            c->line++;
        }
        c->p = p;
        return 1;
    }
}

uint32_t tblsrc_row_nonblank(const tblsrc_row *r)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->nf; i++)
        k += !tblsrc_is_blank(r->f[i].p, r->f[i].n);
    return k;
}

int tblsrc_row_single(const tblsrc_row *r)
{
    int at = -1;
    for (uint32_t i = 0; i < r->nf; i++) {
        if (tblsrc_is_blank(r->f[i].p, r->f[i].n))
            continue;
        if (at >= 0)
            return -1;
        at = (int)i;
    }
    return at;
}

tblsrc_field tblsrc_row_get(const tblsrc_row *r, int i)
{
    if (i < 0 || (uint32_t)i >= r->nf) {
        tblsrc_field none = {r->start, 0, 0};
        return none;
    }
    return r->f[i];
}

/* ---- text ---- */

bool tblsrc_is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

size_t tblsrc_trim(const char **p, size_t n)
{
    const char *s = *p;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    *p = s;
    return n;
}

int tblsrc_code(char *dst, size_t cap, const char *p, size_t n, size_t minlen, size_t maxlen)
{
    n = tblsrc_trim(&p, n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.')
            continue;
        if (!tblsrc_isalnum(p[i]) || k >= maxlen || k + 1 >= cap)
            return -1;
        dst[k++] = tblsrc_upper(p[i]);
    }
    if (k < minlen)
        return -1;
    memset(dst + k, 0, cap - k);
    return 0;
}

void tblsrc_text(char *dst, size_t cap, const char *p, size_t n, bool esc)
{
    n = tblsrc_trim(&p, n);
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        if (esc && p[i] == '"' && i + 1 < n && p[i + 1] == '"')
            i++;
        dst[k++] = p[i] ? p[i] : ' ';
    }
    memset(dst + k, 0, cap - k);
}

/* ---- numbers ---- */

int tblsrc_dec(const char *p, size_t n, unsigned scale, int64_t *out)
{
    n = tblsrc_trim(&p, n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        neg = p[i++] == '-';
    int64_t v = 0;
    unsigned digits = 0, frac = 0;
    for (; i < n && tblsrc_isdig(p[i]); i++, digits++) {
        if (v > 100000000000000LL)
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n && tblsrc_isdig(p[i]); i++, digits++) {
            if (frac < scale) {
                v = v * 10 + (p[i] - '0');
                frac++;
            } else if (p[i] != '0') {
                return -1; /* finer than the scale: would not be exact */
            }
        }
    }
    if (i != n || digits == 0)
        return -1;
    for (; frac < scale; frac++)
        v *= 10;
    *out = neg ? -v : v;
    return 0;
}

int tblsrc_uint(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    n = tblsrc_trim(&p, n);
    if (n == 0 || n > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tblsrc_isdig(p[i]))
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- dates ---- */

static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned char d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29u : d[m - 1];
}

bool tblsrc_date_ok(uint32_t d)
{
    unsigned y = d / 10000, m = d / 100 % 100, dd = d % 100;
    return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && dd >= 1 && dd <= month_days(y, m);
}

int tblsrc_date8(const char *p, size_t n, uint32_t *out)
{
    n = tblsrc_trim(&p, n);
    if (n != 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        if (!tblsrc_isdig(p[i]))
            return -1;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    if (!tblsrc_date_ok(v))
        return -1;
    *out = v;
    return 0;
}

uint32_t tblsrc_date_prev(uint32_t d)
{
    unsigned y = d / 10000, m = d / 100 % 100, dd = d % 100;
    if (dd > 1)
        return d - 1;
    if (m > 1)
        return y * 10000 + (m - 1) * 100 + month_days(y, m - 1);
    return (y - 1) * 10000 + 1231;
}

tbl_period tblsrc_quarter(unsigned year, unsigned q, bool to_year_end)
{
    unsigned m0 = (q - 1) * 3 + 1, m1 = q * 3;
    tbl_period per = {year * 10000 + m0 * 100 + 1,
                      to_year_end ? year * 10000 + 1231
                                  : year * 10000 + m1 * 100 + month_days(year, m1)};
    return per;
}

unsigned tblsrc_find_year(const char *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++) {
        if (!tblsrc_isdig(p[i]) || (i > 0 && tblsrc_isdig(p[i - 1])))
            continue;
        if (i + 4 < n && tblsrc_isdig(p[i + 4]))
            continue;
        unsigned y = 0;
        size_t k = 0;
        for (; k < 4 && tblsrc_isdig(p[i + k]); k++)
            y = y * 10 + (unsigned)(p[i + k] - '0');
        if (k == 4 && y >= 1980 && y <= 2099)
            return y;
    }
    return 0;
}

unsigned tblsrc_find_month(const char *p, size_t n)
{
    static const char *const names[12] = {"JANUARY",   "FEBRUARY", "MARCH",    "APRIL",
                                          "MAY",       "JUNE",     "JULY",     "AUGUST",
                                          "SEPTEMBER", "OCTOBER",  "NOVEMBER", "DECEMBER"};
    for (size_t i = 0; i < n; i++) {
        if (!tblsrc_isalpha(p[i]) || (i > 0 && tblsrc_isalpha(p[i - 1])))
            continue;
        size_t w = i;
        while (w < n && tblsrc_isalpha(p[w]))
            w++;
        size_t len = w - i;
        for (unsigned m = 0; m < 12 && len >= 3; m++) {
            size_t full = strlen(names[m]), k = 0;
            if (len != 3 && len != full && !(m == 8 && len == 4))
                continue; /* Jan, January; Sept too */
            while (k < len && tblsrc_upper(p[i + k]) == names[m][k])
                k++;
            if (k == len)
                return m + 1;
        }
        i = w;
    }
    return 0;
}

const char *tblsrc_find_ci(const char *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++) {
        size_t k = 0;
        while (k < m && tblsrc_upper(p[i + k]) == tblsrc_upper(needle[k]))
            k++;
        if (k == m)
            return p + i;
    }
    return NULL;
}

bool tblsrc_has_explicit(const tblsrc_opts *o)
{
    return o->period.from != 0 || o->period.to != 0;
}

tbl_period tblsrc_clip(const tblsrc_opts *o, tbl_period own)
{
    if (!tblsrc_has_explicit(o))
        return own;
    if (o->period.from > own.from)
        own.from = o->period.from;
    if (o->period.to < own.to)
        own.to = o->period.to;
    return own;
}

/* ---- header names ---- */

void tblsrc_name_add(char *out, size_t cap, const char *p, size_t n)
{
    size_t k = strlen(out);
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '"')
            continue;
        out[k++] = tblsrc_upper(p[i]);
    }
    out[k] = 0;
}

static bool name_match(const char *name, const char *alt, size_t alen, bool contains)
{
    size_t n = strlen(name);
    if (!contains)
        return n == alen && memcmp(name, alt, alen) == 0;
    for (size_t i = 0; i + alen <= n; i++)
        if (memcmp(name + i, alt, alen) == 0)
            return true;
    return false;
}

int tblsrc_col(char (*names)[TBLSRC_NAME_MAX], uint32_t n, const char *alts, bool contains)
{
    for (const char *a = alts; *a;) {
        const char *bar = strchr(a, '|');
        size_t alen = bar ? (size_t)(bar - a) : strlen(a);
        for (uint32_t i = 0; i < n; i++)
            if (name_match(names[i], a, alen, contains))
                return (int)i;
        a += alen + (bar ? 1 : 0);
    }
    return -1;
}
