/* x12_fast: the segments an 837 is made of, checked (and for the busiest,
 * filled) in one pass when they are clean.
 *
 * The general path reads a segment twice: x12_check_seg() walks the element
 * table (x12_spec.c) and x12_fields() (x12_loops.c) then splits, parses and
 * copies the values the claim model keeps. Here each hot segment has a
 * handler that knows its elements: it decides "clean" with the checks
 * written out for that segment, and for CLM, LX, DTP, DMG, HI, SV1 and SV2
 * it parses each value once for both the check and the field.
 *
 * The contract that keeps both paths telling the same story: a handler
 * answers X12_FAST_NONE, having changed nothing, for anything it is not sure
 * is clean (an error, a claim issue, a lower-case code, a value past the
 * plain forms), and the general path then does everything, so the error
 * reports (the IK3/IK4 order and codes) only ever come from it. When a
 * handler answers X12_FAST_CHECKED the general check would have found
 * nothing; X12_FAST_DONE also means the fields are filled as x12_fields()
 * would fill them. Tests and the fuzz target run every input through both
 * paths (x12_walker_force_general) and compare.
 */
#include "x12_walk.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The helpers are a few instructions each: always inline, so that each
 * handler's constants fold into them. */
#define FX_INLINE static inline __attribute__((always_inline))

/* Element i of a segment with at most X12_SEG_MAX_ELEMS elements. */
FX_INLINE x12_slice fx_el(const x12_seg *s, uint32_t i)
{
    if (i >= s->nelem)
        return (x12_slice){s->p + s->len, 0};
    return (x12_slice){s->p + s->el[i], s->el[i + 1] - 1 - s->el[i]};
}

/* A required value of min..max bytes (min >= 1). */
FX_INLINE int fx_req(uint32_t n, uint32_t min, uint32_t max)
{
    return n - min <= max - min;
}

/* An optional value: absent, or min..max bytes. */
FX_INLINE int fx_opt(uint32_t n, uint32_t min, uint32_t max)
{
    return n == 0 || n - min <= max - min;
}

/* A one-byte code from an upper-case set (a lower-case code is left to the
 * general path, which accepts it). */
FX_INLINE int fx_code1(x12_slice v, const char *set)
{
    if (v.n != 1)
        return 0;
    for (const char *c = set; *c; c++)
        if (*c == v.p[0])
            return 1;
    return 0;
}

/* A decimal as both x12_num_len() and clm_parse_fixed()'s exact path read
 * it: digits with at most one point, 1-12 digits, at most `scale` decimals,
 * at most 13 bytes, no sign. The value is scaled by 10^scale. -1 otherwise
 * (a sign, rounding, a long value: the general path). */
FX_INLINE int fx_fixed(x12_slice v, unsigned scale, int64_t *out)
{
    if (v.n == 0 || v.n > 13)
        return -1;
    int64_t x = 0;
    unsigned digits = 0, frac = 0, dot = 0;
    for (uint32_t i = 0; i < v.n; i++) {
        unsigned d = (unsigned char)v.p[i] - '0';
        if (d <= 9) {
            x = x * 10 + d;
            digits++;
            frac += dot;
        } else if (v.p[i] == '.' && !dot) {
            dot = 1;
        } else {
            return -1;
        }
    }
    if (!digits || digits > 12 || frac > scale)
        return -1;
    for (; frac < scale; frac++)
        x *= 10;
    *out = x;
    return 0;
}

/* An unsigned integer of 1..max_digits digits (max_digits <= 9). */
FX_INLINE int fx_uint(x12_slice v, uint32_t max_digits, uint32_t *out)
{
    if (v.n == 0 || v.n > max_digits)
        return -1;
    uint32_t x = 0;
    for (uint32_t i = 0; i < v.n; i++) {
        unsigned d = (unsigned char)v.p[i] - '0';
        if (d > 9)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

/* A number as the general check accepts it, with min..max digits (a sign
 * and a point do not count). */
FX_INLINE int fx_num(x12_slice v, int decimal, int min, int max)
{
    int len = v.n ? x12_num_len(v.p, v.n, decimal) : -1;
    return len >= min && len <= max;
}

/* Optional elements from..to of plain types (AN, or ID without a code list),
 * their lengths from the tables. */
FX_INLINE int fx_opts(const x12_seg *s, uint32_t from, uint32_t to, const uint8_t *min,
                      const uint8_t *max)
{
    uint32_t last = s->nelem - 1 < to ? s->nelem - 1 : to;
    for (uint32_t i = from; i <= last; i++)
        if (!fx_opt(s->el[i + 1] - 1 - s->el[i], min[i], max[i]))
            return 0;
    return 1;
}

/* Copies a value known to fit as x12_slice_copy_upper() does: ASCII
 * letters upper-cased up to the first NUL byte, the rest as it is. */
FX_INLINE void fx_upper(char *dst, x12_slice v)
{
    uint32_t i = 0;
    for (; i < v.n && v.p[i]; i++) {
        char c = v.p[i];
        dst[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
    }
    for (; i < v.n; i++)
        dst[i] = v.p[i];
    dst[v.n] = 0;
}

/* fx_upper() of a value of at most 2 bytes into a cleared field of 3. */
FX_INLINE void fx_upper2(char *dst, x12_slice v)
{
    char c0 = v.n > 0 ? v.p[0] : 0, c1 = v.n > 1 ? v.p[1] : 0;
    dst[0] = (char)x12_upper(c0);
    dst[1] = c0 ? (char)x12_upper(c1) : c1; /* nothing upper-cased after a NUL */
    dst[2] = 0;
}

/* A diagnosis pointer of one or two digits, 1-99 (longer forms such as "001"
 * take the general path); 0 otherwise. */
FX_INLINE uint32_t fx_ptr(x12_slice v)
{
    unsigned d0 = (unsigned char)v.p[0] - '0', d1 = v.n == 2 ? (unsigned char)v.p[1] - '0' : 0;
    if (v.n == 0 || v.n > 2 || d0 > 9 || d1 > 9)
        return 0;
    return v.n == 1 ? d0 : d0 * 10 + d1;
}

/* fx_upper() into a field of 9 bytes or more, for a value of up to 8 bytes
 * with 8 readable bytes from its start: all bytes at once (SWAR). Bytes past
 * the value are written as 0, as the cleared field already holds. */
FX_INLINE void fx_upper8(const x12_walker *w, char *dst, x12_slice v)
{
    if (v.n > 8 || w->buf_end - v.p < 8) {
        fx_upper(dst, v);
        return;
    }
    const uint64_t ones = UINT64_C(0x0101010101010101), high = ones << 7;
    uint64_t x;
    memcpy(&x, v.p, 8);
    x &= v.n == 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * v.n)) - 1;
    /* The bytes before the first NUL (a byte past the value is one): the
     * lowest flag of the zero-byte test is exact. */
    uint64_t zero = (x - ones) & ~x & high;
    uint64_t before = zero ? ((zero & (0 - zero)) >> 7) - 1 : ~UINT64_C(0);
    /* a..z: ASCII bytes at or above 'a' and not above 'z' */
    uint64_t t = x & ~high;
    uint64_t lower = (t + 0x1f * ones) & ~(t + 0x05 * ones) & ~x & high & before;
    x ^= lower >> 2;
    memcpy(dst, &x, 8);
    dst[8] = 0;
}

/* Splits a composite into at most max parts; the count, or -1 when there
 * are more (the general path then decides). A value of up to 16 bytes with
 * 16 readable bytes from its start is split from one SSE2 compare. */
FX_INLINE int fx_split(const x12_walker *w, x12_slice v, x12_slice *out, uint32_t max)
{
    const char sep = w->d.comp;
    uint32_t k = 0;
    const char *p = v.p, *end = v.p + v.n;
#ifdef __SSE2__
    if (v.n <= 16 && w->buf_end - v.p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)v.p);
        uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(sep)));
        for (m &= (uint32_t)((1u << v.n) - 1); m; m &= m - 1) {
            if (k + 1 == max)
                return -1;
            const char *c = v.p + __builtin_ctz(m);
            out[k++] = (x12_slice){p, (uint32_t)(c - p)};
            p = c + 1;
        }
        out[k++] = (x12_slice){p, (uint32_t)(end - p)};
        return (int)k;
    }
#endif
    for (;;) {
        const char *c = p;
        while (c < end && *c != sep)
            c++;
        if (k == max)
            return -1;
        out[k++] = (x12_slice){p, (uint32_t)(c - p)};
        if (c == end)
            return (int)k;
        p = c + 1;
    }
}

/* ---- checks only --------------------------------------------------------- */

static int fx_hl(const x12_seg *s)
{
    if (s->nelem > 5)
        return X12_FAST_NONE;
    x12_slice lvl = fx_el(s, 3), chld = fx_el(s, 4);
    int ok = fx_req(fx_el(s, 1).n, 1, 12) && fx_opt(fx_el(s, 2).n, 1, 12) && lvl.n == 2 &&
             lvl.p[0] == '2' && (lvl.p[1] == '0' || lvl.p[1] == '2' || lvl.p[1] == '3') &&
             (chld.n == 0 || fx_code1(chld, "01"));
    return ok ? X12_FAST_DONE : X12_FAST_NONE;
}

static int fx_nm1(const x12_seg *s)
{
    /* NM101 .. NM112 (index 0 unused) */
    static const uint8_t min[] = {0, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1};
    static const uint8_t max[] = {0, 3, 1, 60, 35, 25, 10, 10, 2, 80, 2, 3, 60};
    if (s->nelem > 13 || s->nelem < 3)
        return X12_FAST_NONE;
    int ok =
        fx_req(fx_el(s, 1).n, 2, 3) && fx_code1(fx_el(s, 2), "12") && fx_opts(s, 3, 12, min, max);
    return ok ? X12_FAST_CHECKED : X12_FAST_NONE;
}

static int fx_n3(const x12_seg *s)
{
    if (s->nelem > 3)
        return X12_FAST_NONE;
    int ok = fx_req(fx_el(s, 1).n, 1, 55) && fx_opt(fx_el(s, 2).n, 1, 55);
    return ok ? X12_FAST_DONE : X12_FAST_NONE;
}

static int fx_n4(const x12_seg *s)
{
    static const uint8_t min[] = {0, 2, 2, 3, 2, 1, 1, 1};
    static const uint8_t max[] = {0, 30, 2, 15, 3, 2, 30, 3};
    if (s->nelem > 8)
        return X12_FAST_NONE;
    return fx_opts(s, 1, 7, min, max) ? X12_FAST_CHECKED : X12_FAST_NONE;
}

static int fx_ref(const x12_seg *s)
{
    if (s->nelem > 4 || s->nelem < 3)
        return X12_FAST_NONE; /* REF04 is a composite: the general path */
    int ok =
        fx_req(fx_el(s, 1).n, 2, 3) && fx_req(fx_el(s, 2).n, 1, 50) && fx_opt(fx_el(s, 3).n, 1, 80);
    return ok ? X12_FAST_CHECKED : X12_FAST_NONE;
}

static int fx_sbr(const x12_seg *s)
{
    static const uint8_t min[] = {0, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    static const uint8_t max[] = {0, 1, 2, 50, 60, 3, 1, 1, 2, 2};
    if (s->nelem > 10 || s->nelem < 2)
        return X12_FAST_NONE;
    int ok = fx_code1(fx_el(s, 1), "ABCDEFGHPSTU") && fx_opts(s, 2, 9, min, max);
    return ok ? X12_FAST_CHECKED : X12_FAST_NONE;
}

static int fx_pat(const x12_seg *s)
{
    static const uint8_t min[] = {0, 2, 1, 1, 1, 2, 1, 2};
    static const uint8_t max[] = {0, 2, 1, 1, 1, 3, 35, 2};
    if (s->nelem > 8) /* PAT08 (a weight) and PAT09: the general path */
        return X12_FAST_NONE;
    return fx_opts(s, 1, 7, min, max) ? X12_FAST_CHECKED : X12_FAST_NONE;
}

static int fx_prv(const x12_seg *s)
{
    if (s->nelem != 4)
        return X12_FAST_NONE;
    int ok =
        fx_req(fx_el(s, 1).n, 1, 3) && fx_req(fx_el(s, 2).n, 2, 3) && fx_req(fx_el(s, 3).n, 1, 50);
    return ok ? X12_FAST_CHECKED : X12_FAST_NONE;
}

static int fx_clm(x12_walker *w, const x12_seg *s)
{
    /* CLM01 .. CLM20; CLM02 (R), CLM05 and CLM11 (composites) apart */
    static const uint8_t min[] = {0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1};
    static const uint8_t max[] = {0, 38, 0, 2, 2, 0, 1, 1, 1, 1, 1, 0, 3, 2, 2, 1, 1, 1, 1, 3, 2};
    if (s->nelem > 21 || s->nelem < 6)
        return X12_FAST_NONE;
    x12_slice f6 = fx_el(s, 6);
    int ok = fx_req(fx_el(s, 1).n, 1, 38) && fx_num(fx_el(s, 2), 1, 1, 18) &&
             fx_opts(s, 3, 4, min, max) && fx_el(s, 5).n && (f6.n == 0 || fx_code1(f6, "YN")) &&
             fx_opts(s, 7, 10, min, max) && fx_opts(s, 12, 20, min, max);
    if (!ok)
        return X12_FAST_NONE;
    /* The fields: a plain amount and a plain CLM05 (place or facility type,
     * the type's qualifier in upper case, frequency), else x12_clm_fields(). */
    int64_t charge;
    x12_slice cm[3];
    if (fx_fixed(fx_el(s, 2), 2, &charge) != 0 || fx_split(w, fx_el(s, 5), cm, 3) != 3)
        return X12_FAST_CHECKED;
    x12_slice pos = cm[0], qual = cm[1], freq = cm[2];
    if (!pos.n || pos.n > 2 || qual.n != 1 ||
        qual.p[0] != (w->txn_type == CLM_TYPE_837P ? 'B' : 'A') || !freq.n)
        return X12_FAST_CHECKED;
    int rc = x12_claim_begin(w, s); /* hands the previous claim to the sink */
    if (rc)
        return rc;
    clm_claim *c = &w->cur;
    w->lx_last = 0;
    x12_slice id = fx_el(s, 1);
    memcpy(c->claim_id, id.p, id.n);
    c->charge = charge;
    c->pos[0] = pos.p[0];
    c->pos[1] = pos.n > 1 ? pos.p[1] : 0;
    c->freq = freq.p[0];
    if (w->txn_type != CLM_TYPE_837P && pos.n == 2 && freq.n == 1) {
        memcpy(c->tob, pos.p, 2);
        c->tob[2] = freq.p[0];
    }
    return X12_FAST_DONE;
}

/* ---- checked and filled -------------------------------------------------- */

static int fx_lx(x12_walker *w, const x12_seg *s)
{
    uint32_t n;
    if (s->nelem != 2 || fx_uint(fx_el(s, 1), 6, &n) != 0 || n != w->lx_last + 1)
        return X12_FAST_NONE;
    x12_lx_store(w, s, n, 1);
    return X12_FAST_DONE;
}

static int fx_dtp(x12_walker *w, const x12_seg *s, int loop)
{
    if (s->nelem != 4)
        return X12_FAST_NONE;
    x12_slice fmt = fx_el(s, 2), v = fx_el(s, 3);
    uint32_t from, to;
    if (!fx_req(fx_el(s, 1).n, 3, 3))
        return X12_FAST_NONE;
    if (fmt.n == 2 && fmt.p[0] == 'D' && fmt.p[1] == '8') {
        if (clm_parse_date(v.p, v.n, &from) != 0)
            return X12_FAST_NONE;
        to = from;
    } else if (fmt.n == 3 && memcmp(fmt.p, "RD8", 3) == 0) {
        if (v.n != 17 || v.p[8] != '-' || clm_parse_date(v.p, 8, &from) != 0 ||
            clm_parse_date(v.p + 9, 8, &to) != 0 || to < from)
            return X12_FAST_NONE;
    } else {
        return X12_FAST_NONE;
    }
    x12_dtp_store(w, s, loop, from, to);
    return X12_FAST_DONE;
}

static int fx_dmg(x12_walker *w, const x12_seg *s, int loop)
{
    uint32_t dob;
    x12_slice fmt = fx_el(s, 1), sex = fx_el(s, 3);
    if (s->nelem != 4 || fmt.n != 2 || fmt.p[0] != 'D' || fmt.p[1] != '8' || !fx_code1(sex, "MFU"))
        return X12_FAST_NONE;
    x12_slice d = fx_el(s, 2);
    if (clm_parse_date(d.p, d.n, &dob) != 0)
        return X12_FAST_NONE;
    x12_dmg_store(w, loop, dob, sex.p[0]);
    return X12_FAST_DONE;
}

/* A diagnosis qualifier as x12_hi_fields() takes one (upper case only).
 * The key holds the length too: "\0BK" must not read as "BK". */
#define FX_KEY2(a, b)    (2u << 24 | X12_ID2(a, b))
#define FX_KEY3(a, b, c) (3u << 24 | X12_ID3(a, b, c))
FX_INLINE int fx_dx_qual(x12_slice q)
{
    const unsigned char *p = (const unsigned char *)q.p;
    uint32_t k = q.n == 3 ? FX_KEY3(p[0], p[1], p[2]) : q.n == 2 ? FX_KEY2(p[0], p[1]) : 0;
    switch (k) {
    case FX_KEY3('A', 'B', 'K'):
    case FX_KEY3('A', 'B', 'F'):
    case FX_KEY3('A', 'B', 'J'):
    case FX_KEY3('A', 'P', 'R'):
    case FX_KEY3('A', 'B', 'N'):
    case FX_KEY2('B', 'K'):
    case FX_KEY2('B', 'F'):
    case FX_KEY2('B', 'J'):
    case FX_KEY2('P', 'R'):
    case FX_KEY2('B', 'N'):
        return 1;
    default:
        return 0;
    }
}

static int fx_hi(x12_walker *w, const x12_seg *s, int loop)
{
    /* Composites: only HI01 is required. Outside a claim's 2300 the fields
     * read nothing; inside, each part is a diagnosis "QUAL:CODE". */
    if (s->nelem > 13 || s->nelem < 2 || !fx_el(s, 1).n)
        return X12_FAST_NONE;
    if (loop != L_2300)
        return X12_FAST_DONE;
    if (!w->in_claim)
        return X12_FAST_CHECKED;
    x12_slice q[12], code[12];
    uint32_t n = 0;
    for (uint32_t j = 1; j < s->nelem; j++) {
        x12_slice v = fx_el(s, j), part[2];
        if (!v.n)
            continue;
        /* Two parts only: a present-on-admission flag (part 9) is 837I's. */
        if (fx_split(w, v, part, 2) != 2 || !fx_dx_qual(part[0]) || !part[1].n || part[1].n > 8)
            return X12_FAST_NONE;
        q[n] = part[0];
        code[n++] = part[1];
    }
    clm_claim *c = &w->cur;
    if (c->ndx + n > CLM_MAX_DX)
        return X12_FAST_NONE;
    for (uint32_t i = 0; i < n; i++) {
        clm_dx *d = &c->dx[c->ndx++];
        memset(d, 0, sizeof *d);
        fx_upper8(w, d->code, code[i]);
        d->qual[0] = q[i].p[0]; /* 2 or 3 bytes */
        d->qual[1] = q[i].p[1];
        d->qual[2] = q[i].n == 3 ? q[i].p[2] : 0;
        d->seg_index = w->seg_pos;
    }
    return X12_FAST_DONE;
}

/* The line a service segment fills: only a fresh one (cleared by its LX).
 * One that had a service segment already (an SV1 after its LQ is not a new
 * line) is the general path's, which caps what a second one adds. */
FX_INLINE clm_line *fx_fresh_line(x12_walker *w)
{
    clm_line *l = w->in_claim && w->in_line && w->cur.nlines ? &w->lines[w->cur.nlines - 1] : NULL;
    if (!l || l->qual[0] || l->code[0] || l->rev[0] || l->nmods || l->nptrs)
        return NULL;
    return l;
}

/* The procedure composite as x12_proc_fields() reads it without a finding:
 * a qualifier of 1-2 bytes, a code of 1-8, up to four modifiers of 1-2.
 * The part count, or -1. */
FX_INLINE int fx_proc(const x12_walker *w, x12_slice v, x12_slice proc[6])
{
    int n = fx_split(w, v, proc, 6);
    if (n < 2 || !proc[0].n || proc[0].n > 2 || !proc[1].n || proc[1].n > 8)
        return -1;
    for (int m = 2; m < n; m++)
        if (proc[m].n > 2)
            return -1;
    return n;
}

FX_INLINE void fx_proc_fill(const x12_walker *w, clm_line *l, const x12_slice *proc, int n)
{
    fx_upper2(l->qual, proc[0]);
    fx_upper8(w, l->code, proc[1]);
    for (int m = 2; m < n; m++)
        if (proc[m].n)
            fx_upper2(l->mods[l->nmods++], proc[m]);
}

/* Charge (cents) and units (thousandths) as x12_amount_units() reads them
 * without a finding, and a unit code from the two allowed. */
FX_INLINE int fx_amount_units(const x12_seg *s, uint32_t charge_el, const char *codes,
                              int64_t *charge, int64_t *units)
{
    x12_slice unit = fx_el(s, charge_el + 1);
    return fx_fixed(fx_el(s, charge_el), 2, charge) == 0 &&
           fx_fixed(fx_el(s, charge_el + 2), 3, units) == 0 && *units <= INT64_C(4000000000) &&
           unit.n == 2 &&
           ((unit.p[0] == codes[0] && unit.p[1] == codes[1]) ||
            (unit.p[0] == codes[2] && unit.p[1] == codes[3]));
}

FX_INLINE void fx_amount_units_fill(clm_line *l, const x12_seg *s, uint32_t charge_el,
                                    int64_t charge, int64_t units)
{
    x12_slice unit = fx_el(s, charge_el + 1);
    l->charge = charge;
    l->units_milli = (uint32_t)units;
    l->unit_type[0] = unit.p[0];
    l->unit_type[1] = unit.p[1];
}

static int fx_sv1(x12_walker *w, const x12_seg *s)
{
    clm_line *l = fx_fresh_line(w);
    if (!l || w->txn_type != CLM_TYPE_837P || s->nelem < 5 || s->nelem > 8)
        return X12_FAST_NONE;
    x12_slice proc[6], ptr[4] = {{0}};
    int nproc = fx_proc(w, fx_el(s, 1), proc);
    int64_t charge, units;
    x12_slice pos = fx_el(s, 5);
    if (nproc < 0 || !fx_amount_units(s, 2, "UNMJ", &charge, &units) || !fx_opt(pos.n, 1, 2) ||
        !fx_opt(fx_el(s, 6).n, 1, 2))
        return X12_FAST_NONE;
    uint8_t pv[4] = {0};
    uint32_t npv = 0;
    if (fx_el(s, 7).n) {
        int nptr = fx_split(w, fx_el(s, 7), ptr, 4);
        if (nptr < 0)
            return X12_FAST_NONE;
        for (int k = 0; k < nptr; k++) {
            if (!ptr[k].n)
                continue;
            uint32_t v = fx_ptr(ptr[k]);
            if (!v)
                return X12_FAST_NONE;
            pv[npv++] = (uint8_t)v;
        }
    }
    /* Clean: fill the line as x12_sv1_fields() does. */
    l->seg_index = w->seg_pos;
    fx_proc_fill(w, l, proc, nproc);
    fx_amount_units_fill(l, s, 2, charge, units);
    l->pos[0] = pos.n > 0 ? pos.p[0] : 0;
    l->pos[1] = pos.n > 1 ? pos.p[1] : 0;
    memcpy(l->ptrs, pv, npv);
    l->nptrs = (uint8_t)npv;
    return X12_FAST_DONE;
}

/* 837I: SV201 revenue code, SV202 procedure (optional), SV203-SV205. */
static int fx_sv2(x12_walker *w, const x12_seg *s)
{
    clm_line *l = fx_fresh_line(w);
    if (!l || w->txn_type != CLM_TYPE_837I || s->nelem != 6)
        return X12_FAST_NONE;
    x12_slice rev = fx_el(s, 1), proc[6];
    int nproc = fx_el(s, 2).n ? fx_proc(w, fx_el(s, 2), proc) : 0;
    int64_t charge, units;
    if (!fx_req(rev.n, 1, 4) || nproc < 0 || !fx_amount_units(s, 3, "DAUN", &charge, &units))
        return X12_FAST_NONE;
    /* Clean: fill the line as x12_sv2_fields() does. */
    l->seg_index = w->seg_pos;
    memcpy(l->rev, rev.p, rev.n);
    if (nproc)
        fx_proc_fill(w, l, proc, nproc);
    fx_amount_units_fill(l, s, 3, charge, units);
    return X12_FAST_DONE;
}

int x12_fast_segment(x12_walker *w, const x12_seg *s, int sid, int loop)
{
    if (w->general)
        return X12_FAST_NONE;
    switch (sid) {
    case X12_S_HL:
        return fx_hl(s);
    case X12_S_NM1:
        return fx_nm1(s);
    case X12_S_N3:
        return fx_n3(s);
    case X12_S_N4:
        return fx_n4(s);
    case X12_S_REF:
        return fx_ref(s);
    case X12_S_SBR:
        return fx_sbr(s);
    case X12_S_PAT:
        return fx_pat(s);
    case X12_S_PRV:
        return fx_prv(s);
    case X12_S_DMG:
        return fx_dmg(w, s, loop);
    case X12_S_CLM:
        return fx_clm(w, s);
    case X12_S_HI:
        return fx_hi(w, s, loop);
    case X12_S_DTP:
        return fx_dtp(w, s, loop);
    case X12_S_LX:
        return fx_lx(w, s);
    case X12_S_SV1:
        return fx_sv1(w, s);
    case X12_S_SV2:
        return fx_sv2(w, s);
    default:
        return X12_FAST_NONE;
    }
}
