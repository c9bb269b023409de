/* x12_fast: the transaction body of an 837, segment by segment, in one
 * pass when it is clean.
 *
 * The general path (x12_loops_segment()) takes a segment in four steps, each
 * with its own dispatch: route it (open or close loops), count it in its
 * loop, check its elements (x12_check_seg() walks the element table of
 * x12_spec.c) and fill the claim fields (x12_fields() splits, parses and
 * copies them again). Here x12_body() reads the segment id and its sid in
 * one step, and fx_body() dispatches once: it decides whether the loops the
 * segment closes lack nothing, whether it is within its loop's order and
 * maximum use, and whether its elements are clean, with a handler per hot
 * segment that knows its elements. HL, NM1, CLM and LX open their loops
 * here; CLM, LX, DTP, DMG, HI, SV1 and SV2 parse each value once for both
 * the check and the field. SV1, SV2 and HI read their composites and
 * amounts in a fixed sequence of steps (no branch on a value's length or
 * shape, which changes from line to line in a real file).
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
#include "clm_date.h"
#include "x12_walk.h"

#include <stddef.h>
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
    int ok = fx_req(fx_el(s, 1).n, 2, 3) & fx_code1(fx_el(s, 2), "12") & fx_opts(s, 3, 12, min, max);
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
    int ok = fx_code1(fx_el(s, 1), "ABCDEFGHPSTU") & fx_opts(s, 2, 9, min, max);
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
    x12_slice f6 = fx_el(s, 6), amount = fx_el(s, 2);
    int64_t charge = 0;
    /* a plain amount (fx_fixed()) is a valid CLM02; another may still be */
    int plain = fx_fixed(amount, 2, &charge) == 0;
    int ok = fx_req(fx_el(s, 1).n, 1, 38) && (plain || fx_num(amount, 1, 1, 18)) &&
             fx_opts(s, 3, 4, min, max) && fx_el(s, 5).n && (f6.n == 0 || fx_code1(f6, "YN")) &&
             fx_opts(s, 7, 10, min, max) && fx_opts(s, 12, 20, min, max);
    if (!ok)
        return X12_FAST_NONE;
    /* The fields: a plain amount and a plain CLM05 (place or facility type,
     * the type's qualifier in upper case, frequency), else x12_clm_fields(). */
    x12_slice cm[3];
    if (!plain || fx_split(w, fx_el(s, 5), cm, 3) != 3)
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
    const uint32_t *el = s->el;
    const char *fmt = s->p + el[2], *v = s->p + el[3];
    uint32_t nq = el[2] - el[1] - 1, nf = el[3] - el[2] - 1, nv = el[4] - el[3] - 1, from, to;
    if (nq != 3)
        return X12_FAST_NONE;
    if (nf == 2 && fmt[0] == 'D' && fmt[1] == '8' && nv == 8) {
        if (clm_date8(v, &from) != 0)
            return X12_FAST_NONE;
        to = from;
    } else if (nf == 3 && memcmp(fmt, "RD8", 3) == 0 && nv == 17 && v[8] == '-') {
        if (clm_date8(v, &from) != 0 || clm_date8(v + 9, &to) != 0 || to < from)
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
    if (d.n != 8 || clm_date8(d.p, &dob) != 0)
        return X12_FAST_NONE;
    x12_dmg_store(w, loop, dob, sex.p[0]);
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

/* ---- straight-line service lines ----------------------------------------- */

/* In a real file the values of a service line change from one line to the
 * next: the code's length, whether there are modifiers, how many pointers,
 * where the point of an amount is. A branch on any of these is guessed
 * wrong often, and each wrong guess costs as much as the whole parse. So
 * SV1 and SV2 are read here in a fixed sequence of steps: composites from
 * one 16-byte compare and a fixed number of bit steps, amounts from one
 * 8-byte load. They take the compact form (composites of up to 16 bytes,
 * amounts of up to 8, no lower-case letters or NUL bytes in a composite,
 * pointers of 1-2 digits) and leave anything else to the general path. */

FX_INLINE uint64_t fx_load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* The low k bytes of a word, k = 0..8. */
FX_INLINE uint64_t fx_low_bytes(uint32_t k)
{
    static const uint64_t low[9] = {0,
                                    0xff,
                                    0xffff,
                                    0xffffff,
                                    0xffffffff,
                                    UINT64_C(0xffffffffff),
                                    UINT64_C(0xffffffffffff),
                                    UINT64_C(0xffffffffffffff),
                                    ~UINT64_C(0)};
    return low[k];
}

/* Bits of the 16 bytes at p: where they equal c, and where they are a
 * lower-case letter or NUL (values the general path upper-cases). */
FX_INLINE uint32_t fx_eq16(const char *p, char c)
{
#ifdef __SSE2__
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
#else
    uint32_t m = 0;
    for (uint32_t i = 0; i < 16; i++)
        m |= (uint32_t)(p[i] == c) << i;
    return m;
#endif
}

FX_INLINE uint32_t fx_lower16(const char *p)
{
#ifdef __SSE2__
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i lower = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
                                  _mm_cmplt_epi8(x, _mm_set1_epi8('z' + 1)));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(lower, _mm_cmpeq_epi8(x, _mm_setzero_si128())));
#else
    uint32_t m = 0;
    for (uint32_t i = 0; i < 16; i++)
        m |= (uint32_t)((p[i] >= 'a' && p[i] <= 'z') || !p[i]) << i;
    return m;
#endif
}

/* fx_fixed() of a value of 1..8 bytes whose 8 bytes from its start are x:
 * the point (the first; a second fails the digit test) is taken out, the
 * digits are right-aligned behind '0's and converted 8 at once. */
FX_INLINE int fx_fixed8(uint64_t x, uint32_t n, unsigned scale, int64_t *out)
{
    static const int64_t pow10[] = {1, 10, 100, 1000};
    const uint64_t ones = UINT64_C(0x0101010101010101), high = ones << 7, zeros = ones * '0';
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0);
    x &= fx_low_bytes(n);
    uint64_t d = x ^ (ones * '.');
    uint64_t dz = (d - ones) & ~d & high & fx_low_bytes(n); /* its lowest flag is exact */
    uint32_t dot = dz ? (uint32_t)__builtin_ctzll(dz) >> 3 : n;
    uint32_t hasdot = dot < n, nd = n - hasdot, frac = hasdot ? n - 1 - dot : 0;
    uint64_t below = fx_low_bytes(dot);
    uint64_t y = (x & below) | ((x >> 8) & ~below); /* the digits, the point taken out */
    uint32_t pad = nd ? 8 - nd : 7;                 /* '0's to put before them */
    uint64_t z = (y << (8 * pad)) | (zeros & fx_low_bytes(pad));
    int ok = ((z & hi) == zeros) & (((z + ones * 6) & hi) == zeros) & (nd >= 1) & (frac <= scale);
    z = ((z & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561) >> 8;
    z = ((z & UINT64_C(0x00FF00FF00FF00FF)) * 6553601) >> 16;
    z = ((z & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001)) >> 32;
    *out = (int64_t)z * pow10[ok ? scale - frac : 0];
    return ok;
}

/* The procedure composite as x12_proc_fields() reads it without a finding,
 * in its compact form: a qualifier of 1-2 bytes, a code of 1-8, and up to
 * four modifiers of 2 bytes ("HC:99213:25:59"), no lower case or NUL. */
typedef struct fx_proc_val {
    uint64_t code;
    uint16_t qual, mods[CLM_MAX_MODS];
    uint32_t nmods;
} fx_proc_val;

FX_INLINE int fx_proc16(const x12_walker *w, x12_slice v, fx_proc_val *pv)
{
    /* the separators after the code of n modifiers, relative to the first
     * modifier */
    static const uint32_t mod_seps[] = {0, 0, 1u << 2, 1u << 2 | 1u << 5, 1u << 2 | 1u << 5 | 1u << 8};
    if (v.n > 16)
        return 0;
    uint32_t n = v.n, stop = 1u << n, live = stop - 1;
    uint32_t m = fx_eq16(v.p, w->d.comp) & live;
    uint32_t q = (uint32_t)__builtin_ctz(m | stop); /* the qualifier's end */
    uint32_t m1 = m & (m - 1);
    uint32_t c = (uint32_t)__builtin_ctz(m1 | stop); /* the code's end */
    uint32_t clen = c - q - 1, r = c < n ? n - c - 1 : 0, nm = (r + 1) / 3;
    int ok = (q - 1 < 2) & (clen - 1 < 8) & !(fx_lower16(v.p) & live) & (nm <= 4) &
             (r == (nm ? 3 * nm - 1 : 0)) & (c == n || r > 0) &
             ((m1 & (m1 - 1)) >> (c + 1 < 16 ? c + 1 : 16) == mod_seps[nm <= 4 ? nm : 0]);
    uint16_t q2;
    memcpy(&q2, v.p, 2);
    pv->qual = (uint16_t)(q2 & fx_low_bytes(q < 2 ? q : 2));
    pv->code = fx_load8(v.p + q + 1) & fx_low_bytes(clen < 8 ? clen : 8);
    for (uint32_t k = 0; k < CLM_MAX_MODS; k++) {
        uint16_t mod;
        memcpy(&mod, v.p + c + 1 + (size_t)3 * k, 2);
        pv->mods[k] = k < nm ? mod : 0;
    }
    pv->nmods = nm;
    return ok;
}

FX_INLINE void fx_proc_fill(clm_line *l, const fx_proc_val *pv)
{
    memcpy(l->qual, &pv->qual, 2);
    memcpy(l->code, &pv->code, 8);
    for (uint32_t k = 0; k < CLM_MAX_MODS; k++)
        memcpy(l->mods[k], &pv->mods[k], 2);
    l->nmods = (uint8_t)pv->nmods;
}

/* Charge (cents), a unit code from the two allowed, and units
 * (thousandths), as x12_amount_units() reads them without a finding. */
typedef struct fx_amounts {
    int64_t charge, units;
    uint16_t unit;
} fx_amounts;

FX_INLINE int fx_amounts8(const x12_seg *s, uint32_t charge_el, const char *codes,
                          fx_amounts *a)
{
    x12_slice ch = fx_el(s, charge_el), unit = fx_el(s, charge_el + 1);
    x12_slice un = fx_el(s, charge_el + 2);
    memcpy(&a->unit, unit.p, 2);
    uint16_t c0, c1;
    memcpy(&c0, codes, 2);
    memcpy(&c1, codes + 2, 2);
    int ok = (ch.n - 1 < 8) & fx_fixed8(fx_load8(ch.p), ch.n < 8 ? ch.n : 8, 2, &a->charge);
    if (un.n == 1) { /* most lines: one unit digit */
        unsigned d = (unsigned char)un.p[0] - '0';
        a->units = (int64_t)d * 1000;
        ok &= d <= 9;
    } else {
        ok &= (un.n - 1 < 8) & fx_fixed8(fx_load8(un.p), un.n < 8 ? un.n : 8, 3, &a->units) &
              (a->units <= INT64_C(4000000000));
    }
    return ok & (unit.n == 2) & ((a->unit == c0) | (a->unit == c1));
}

FX_INLINE void fx_amounts_fill(clm_line *l, const fx_amounts *a)
{
    l->charge = a->charge;
    l->units_milli = (uint32_t)a->units;
    memcpy(l->unit_type, &a->unit, 2);
}

/* SV107 in its compact form: up to four one-digit pointers, 1-9
 * ("1:2:3"), or none. Their values are the even bytes: one 8-byte load. */
FX_INLINE int fx_ptrs8(const x12_walker *w, x12_slice v, uint32_t *ptrs, uint32_t *nptrs)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), hi = UINT64_C(0xF0F0F0F0F0F0F0F0);
    const uint64_t even = UINT64_C(0x00FF00FF00FF00FF);
    uint32_t n = v.n < 8 ? v.n : 8;
    uint64_t live = fx_low_bytes(n), x = fx_load8(v.p) & live;
    /* odd bytes the separator; even bytes (and the rest) '1'-'9' */
    uint64_t seps = (x ^ ones * (unsigned char)w->d.comp) & live & ~even;
    uint64_t y = (x & live & even) | (ones * '1' & ~(live & even));
    uint64_t d = y ^ ones * '0', zero = (d - ones) & ~d & (ones << 7);
    int ok = (v.n <= 7) & ((n & 1) | (n == 0)) & !seps & ((y & hi) == ones * '0') &
             (((y + ones * 6) & hi) == ones * '0') & !zero;
    uint64_t dig = (y - ones * '0') & even; /* digit k in byte 2k */
    uint32_t packed = (uint32_t)((dig & 0xff) | (dig >> 8 & 0xff00) | (dig >> 16 & 0xff0000) |
                                 (dig >> 24 & 0xff000000));
    *nptrs = (n + 1) / 2;
    *ptrs = packed & (uint32_t)fx_low_bytes(*nptrs);
    return ok;
}

/* The service segments' values are read up to 32 bytes past a value's
 * start (the 16-byte compares, the 8-byte loads behind a part): where the
 * buffer ends sooner, the general path reads the segment. */
FX_INLINE int fx_room32(const x12_walker *w, const x12_seg *s)
{
    return w->buf_end - (s->p + s->len) >= 32;
}

_Static_assert(offsetof(clm_dx, qual) == 9 && offsetof(clm_dx, poa) == 13 &&
                   offsetof(clm_dx, seg_index) == 16,
               "fx_hi writes bytes 8-15 of a clm_dx as one word");

/* A diagnosis qualifier as x12_hi_fields() takes one, in upper case: BK, BF,
 * BJ, PR, BN, or the same with an A before (ABK ...). q is its 2 or 3 bytes
 * at the low end of a word. */
FX_INLINE int fx_dx_qual(uint32_t q, uint32_t len)
{
    uint32_t two = len == 3 ? q >> 8 : q;
    int ok = (len == 2) | ((len == 3) & ((q & 0xff) == 'A'));
    ok &= (two == ('B' | 'K' << 8)) | (two == ('B' | 'F' << 8)) | (two == ('B' | 'J' << 8)) |
          (two == ('P' | 'R' << 8)) | (two == ('B' | 'N' << 8));
    return ok;
}

/* HI in a claim: each non-empty composite a diagnosis "QUAL:CODE" (two
 * parts; the present-on-admission part is 837I's and the general path's).
 * The diagnoses are written in place past the claim's count as they are
 * read, and counted only when all are clean; otherwise they are cleared
 * again and the general path reads the segment. */
static int fx_hi(x12_walker *w, const x12_seg *s, int loop)
{
    /* Composites: only HI01 is required. Outside a claim's 2300 the fields
     * read nothing. */
    if (s->nelem > 13 || s->nelem < 2 || !fx_el(s, 1).n)
        return X12_FAST_NONE;
    if (loop != L_2300)
        return X12_FAST_DONE;
    if (!w->in_claim)
        return X12_FAST_CHECKED;
    clm_claim *c = &w->cur;
    if (c->ndx + s->nelem - 1 > CLM_MAX_DX || !fx_room32(w, s))
        return X12_FAST_NONE;
    /* A composite with no lower case and no NUL: its code is copied as it
     * is (x12_slice_copy_upper() would change nothing). */
    clm_dx *d = &c->dx[c->ndx];
    uint32_t n = 0;
    int ok = 1;
    for (uint32_t j = 1; j < s->nelem; j++) {
        const char *p = s->p + s->el[j];
        uint32_t len = s->el[j + 1] - 1 - s->el[j];
        if (!len)
            continue;
        uint32_t live = (1u << (len < 16 ? len : 16)) - 1;
        uint32_t m = fx_eq16(p, w->d.comp) & live;
        uint32_t q = (uint32_t)__builtin_ctz(m | 1u << 16), clen = len - q - 1;
        uint32_t qual;
        memcpy(&qual, p, 4);
        qual &= (uint32_t)fx_low_bytes(q < 3 ? q : 3);
        ok &= (len <= 16) & !(m & (m - 1)) & (q < len) & fx_dx_qual(qual, q) & (clen - 1 < 8) &
              !(fx_lower16(p) & live);
        uint64_t code = fx_load8(p + q + 1) & fx_low_bytes(clen < 8 ? clen : 8);
        uint64_t mid = (uint64_t)qual << 8; /* code[8], qual[4], poa and the padding: 0 */
        memcpy(d[n].code, &code, 8);
        memcpy((char *)&d[n] + 8, &mid, 8);
        d[n].seg_index = w->seg_pos;
        n++;
    }
    if (!ok) {
        memset(d, 0, n * sizeof *d);
        return X12_FAST_NONE;
    }
    c->ndx = (uint8_t)(c->ndx + n);
    return X12_FAST_DONE;
}

static int fx_sv1(x12_walker *w, const x12_seg *s)
{
    clm_line *l = fx_fresh_line(w);
    if (!l || w->txn_type != CLM_TYPE_837P || s->nelem < 5 || s->nelem > 8 || !fx_room32(w, s))
        return X12_FAST_NONE;
    fx_proc_val pv = {0};
    fx_amounts a;
    x12_slice pos = fx_el(s, 5), ptr = fx_el(s, 7);
    int ok = fx_proc16(w, fx_el(s, 1), &pv) & fx_amounts8(s, 2, "UNMJ", &a) & (pos.n <= 2) &
             (fx_el(s, 6).n <= 2);
    uint32_t ptrs, nptrs;
    ok &= fx_ptrs8(w, ptr, &ptrs, &nptrs);
    if (!ok)
        return X12_FAST_NONE;
    /* Clean: fill the line as x12_sv1_fields() does. */
    l->seg_index = w->seg_pos;
    fx_proc_fill(l, &pv);
    fx_amounts_fill(l, &a);
    uint16_t pos2;
    memcpy(&pos2, pos.p, 2);
    pos2 = (uint16_t)(pos2 & fx_low_bytes(pos.n));
    memcpy(l->pos, &pos2, 2);
    memcpy(l->ptrs, &ptrs, CLM_MAX_PTRS);
    l->nptrs = (uint8_t)nptrs;
    return X12_FAST_DONE;
}

/* 837I: SV201 revenue code, SV202 procedure (optional), SV203-SV205. */
static int fx_sv2(x12_walker *w, const x12_seg *s)
{
    clm_line *l = fx_fresh_line(w);
    if (!l || w->txn_type != CLM_TYPE_837I || s->nelem != 6 || !fx_room32(w, s))
        return X12_FAST_NONE;
    x12_slice rev = fx_el(s, 1), proc = fx_el(s, 2);
    fx_proc_val pv = {0};
    fx_amounts a;
    int ok = fx_req(rev.n, 1, 4) & fx_amounts8(s, 3, "DAUN", &a) &
             ((proc.n == 0) | fx_proc16(w, proc, &pv));
    if (!ok)
        return X12_FAST_NONE;
    /* Clean: fill the line as x12_sv2_fields() does. */
    l->seg_index = w->seg_pos;
    memcpy(l->rev, rev.p, rev.n);
    if (proc.n)
        fx_proc_fill(l, &pv);
    fx_amounts_fill(l, &a);
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

/* ---- the clean case in one pass ------------------------------------------ */

/* x12_loops_segment() routes a segment (opening or closing loops), counts it
 * in its loop, checks its elements and fills its fields, each step with its
 * own dispatch on the segment. Most segments of a file are clean: here one
 * dispatch decides where the segment goes, whether the loops it closes lack
 * nothing, whether it is within its loop's order and maximum use, and
 * whether its elements are clean. Only when all hold does anything change,
 * exactly as the four steps would have changed it; anything else answers
 * X12_FAST_NONE, untouched, and the four steps run and report. */

/* The rule index of a segment in loop instance in, or -1 when counting it
 * would be a finding: not in the loop's rules, out of order, or past its
 * maximum use. */
FX_INLINE int fx_rule(const x12_walker *w, const x12_loop_inst *in, int sid)
{
    uint32_t r = w->rule[in->loop][sid];
    int i = (int)(r & 0xff) - 1;
    if (i < in->last_ord)
        return -1; /* also i = -1 */
    uint32_t n = in->seen >> i & 1 ? in->counts[i] : 0;
    return n < r >> 8 ? i : -1;
}

/* x12_loop_count() of a segment fx_rule() cleared. */
FX_INLINE void fx_count(x12_loop_inst *in, int i)
{
    uint32_t bit = 1u << i;
    in->counts[i] = in->seen & bit ? (uint8_t)(in->counts[i] + 1) : 1;
    in->seen |= bit;
    in->last_ord = (uint8_t)i;
}

/* Whether opening loop at level is clean: the instances it closes lack
 * nothing (x12_loop_missing()), and the loop stays within its repeat in
 * its parent. */
FX_INLINE int fx_open_ok(const x12_walker *w, int level, int loop)
{
    const uint32_t *req = w->req_mask[!x12_is_p(w)];
    uint32_t lack = 0;
    uint64_t lack_child = 0;
    if (level < 0)
        return 0;
    for (int lv = w->depth - 1; lv >= level; lv--) {
        const x12_loop_inst *in = &w->stack[lv];
        lack |= req[in->loop] & ~in->seen;
        lack_child |= w->req_child[in->loop] & ~in->has_child;
    }
    if (lack | lack_child)
        return 0;
    if (level > 0) {
        const x12_loop_inst *parent = &w->stack[level - 1];
        uint32_t max = w->max_repeat[!x12_is_p(w)][loop];
        if (max && (parent->has_child >> loop & 1) && parent->child[loop] >= max)
            return 0;
    }
    return 1;
}

/* Opens loop at level as x12_loop_open() and x12_loop_count() would for its
 * first segment, where fx_open_ok() found nothing to report: the instances
 * above close, the parent counts the loop, and the new instance has seen
 * its first rule. */
FX_INLINE void fx_push(x12_walker *w, int level, int loop)
{
    if (level > 0) {
        x12_loop_inst *parent = &w->stack[level - 1];
        uint64_t bit = UINT64_C(1) << loop;
        uint16_t n = parent->has_child & bit ? parent->child[loop] : 0;
        parent->has_child |= bit;
        parent->child[loop] = (uint16_t)(n < UINT16_MAX ? n + 1 : n);
    }
    x12_loop_inst *in = &w->stack[level];
    in->loop = (uint8_t)loop;
    in->last_ord = 0;
    in->nref_tax = 0;
    in->seen = 1;
    in->counts[0] = 1;
    in->has_child = 0;
    w->depth = level + 1;
}

/* A segment that opens a loop (NM1, CLM, LX) and is its first rule. */
static int fx_body_open(x12_walker *w, const x12_seg *s, int sid)
{
    int level = -1, loop, fast;
    switch (sid) {
    case X12_S_NM1:
        loop = x12_nm1_target(w, s, &level);
        if (loop == L_NONE || !fx_open_ok(w, level, loop))
            return X12_FAST_NONE;
        fast = fx_nm1(s);
        break;
    case X12_S_CLM:
        loop = L_2300;
        if (w->hl_level == 22 || w->hl_level == 23)
            level = 1;
        if (!fx_open_ok(w, level, loop))
            return X12_FAST_NONE;
        fast = fx_clm(w, s); /* may hand the previous claim over */
        break;
    default: /* X12_S_LX */
        loop = L_2400;
        level = x12_claim_level(w);
        if (!fx_open_ok(w, level, loop))
            return X12_FAST_NONE;
        fast = fx_lx(w, s); /* begins the line */
        break;
    }
    if (fast <= X12_FAST_NONE) /* untouched, or the sink stopped the walk */
        return fast;
    fx_push(w, level, loop);
    if (fast == X12_FAST_CHECKED) {
        if (sid == X12_S_CLM) {
            int rc = x12_clm_fields(w, s);
            return rc ? rc : X12_FAST_DONE;
        }
        x12_fields(w, s, sid, loop);
    }
    return X12_FAST_DONE;
}

/* An HL that opens its 2000A/B/C cleanly: the next number, the parent
 * its level calls for, and the loops it closes lacking nothing. */
static int fx_body_hl(x12_walker *w, const x12_seg *s)
{
    int loop = x12_hl_loop(s);
    uint32_t n, parent = 0, want = loop == L_2000B ? w->hl_20 : w->hl_22;
    x12_slice par = fx_el(s, 2);
    if (loop == L_NONE || fx_hl(s) != X12_FAST_DONE || fx_uint(fx_el(s, 1), 9, &n) != 0 ||
        n != w->hl_last + 1)
        return X12_FAST_NONE;
    if (loop == L_2000A ? par.n != 0 : !want || fx_uint(par, 9, &parent) != 0 || parent != want)
        return X12_FAST_NONE;
    if (!fx_open_ok(w, 0, loop))
        return X12_FAST_NONE;
    int rc = x12_claim_end(w);
    if (rc)
        return rc;
    x12_hl_enter(w, loop, n);
    fx_push(w, 0, loop);
    return X12_FAST_DONE;
}

/* x12_loops_segment()'s clean case in one pass: X12_FAST_NONE, having
 * changed nothing, unless the segment routes, counts and checks without a
 * finding; then X12_FAST_DONE, or a negative error of the sink. */
static int fx_body(x12_walker *w, const x12_seg *s, int sid)
{
    /* the segments that open a loop */
    if ((UINT64_C(1) << sid) & (UINT64_C(1) << X12_S_NM1 | UINT64_C(1) << X12_S_CLM |
                                UINT64_C(1) << X12_S_LX | UINT64_C(1) << X12_S_HL))
        return sid == X12_S_HL ? fx_body_hl(w, s) : fx_body_open(w, s, sid);
    x12_loop_inst *top = &w->stack[w->depth - 1];
    int loop = top->loop, rule = fx_rule(w, top, sid), fast;
    if (rule < 0)
        return X12_FAST_NONE;
    switch (sid) {
    case X12_S_N3:
        fast = fx_n3(s);
        break;
    case X12_S_N4:
        fast = fx_n4(s);
        break;
    case X12_S_REF:
        fast = fx_ref(s);
        break;
    case X12_S_PAT:
        fast = fx_pat(s);
        break;
    case X12_S_PRV:
        fast = fx_prv(s);
        break;
    case X12_S_DMG:
        fast = fx_dmg(w, s, loop);
        break;
    case X12_S_HI:
        fast = fx_hi(w, s, loop);
        break;
    case X12_S_DTP:
        fast = fx_dtp(w, s, loop);
        break;
    case X12_S_SBR: /* the subscriber's; in a claim it opens 2320 */
        if (w->depth != 1 || loop != L_2000B)
            return X12_FAST_NONE;
        fast = fx_sbr(s);
        break;
    case X12_S_SV1:
    case X12_S_SV2: /* the first service segment of its line */
        if (x12_line_level(w) < 0 || (w->stack[2].seen & 6))
            return X12_FAST_NONE;
        fast = sid == X12_S_SV1 ? fx_sv1(w, s) : fx_sv2(w, s);
        break;
    default:
        /* Segments with neither an element spec nor fields (PER, AMT, NTE
         * ...) are only counted; the others (BHT, LIN, SVD, LQ) and the
         * loops they open are the general path's. */
        if (sid < X12_NSPEC || sid == X12_S_SVD || sid == X12_S_LQ)
            return X12_FAST_NONE;
        fast = X12_FAST_DONE;
        break;
    }
    if (fast == X12_FAST_NONE)
        return X12_FAST_NONE;
    fx_count(top, rule);
    if (fast == X12_FAST_CHECKED)
        x12_fields(w, s, sid, loop);
    return X12_FAST_DONE;
}

int x12_body(x12_walker *w, const x12_seg *s)
{
    int sid = x12_body_sid(w, s);
    if (sid < 0)
        return 1;
    w->off = s->off;
    w->stats.segments++;
    w->seg_pos++;
    if (!w->txn_type)
        return 0; /* an unsupported transaction is only counted */
    if (!w->general) {
        int rc = fx_body(w, s, sid);
        if (rc != X12_FAST_NONE)
            return rc < 0 ? rc : 0;
    }
    return x12_loops_segment(w, s, sid);
}
