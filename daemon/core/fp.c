/* fp: claim fingerprints (XXH3-128 over a canonical encoding) and the
 * in-run duplicate set.
 *
 * The encoding is versioned ("claimd-fp1"), little-endian, with every
 * variable-length field length-prefixed, so no two distinct field lists
 * encode to the same bytes. Modifiers are sorted: "59 RT" and "RT 59" bill the
 * same service. Encoded bytes go through a 512-byte buffer; a claim that does
 * not fit is hashed in streaming mode, without allocation. */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include "claimd/fp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct fp_enc {
    uint8_t buf[512];
    size_t n;
    bool streaming;
    XXH3_state_t st;
} fp_enc;

static void fp_flush(fp_enc *e)
{
    if (!e->streaming) {
        XXH3_128bits_reset(&e->st);
        e->streaming = true;
    }
    XXH3_128bits_update(&e->st, e->buf, e->n);
    e->n = 0;
}

static void fp_put(fp_enc *e, const void *p, size_t n)
{
    if (e->n + n > sizeof e->buf)
        fp_flush(e);
    memcpy(e->buf + e->n, p, n); /* every field is far shorter than buf */
    e->n += n;
}

static void fp_u32(fp_enc *e, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fp_put(e, b, 4);
}

static void fp_i64(fp_enc *e, int64_t v)
{
    uint64_t u = (uint64_t)v;
    fp_u32(e, (uint32_t)u);
    fp_u32(e, (uint32_t)(u >> 32));
}

/* A NUL-terminated field of at most cap bytes, length-prefixed. */
static void fp_str(fp_enc *e, const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n])
        n++;
    uint8_t len = (uint8_t)(n > 255 ? 255 : n);
    fp_put(e, &len, 1);
    fp_put(e, s, len);
}

static void fp_mods(fp_enc *e, const clm_line *l)
{
    char m[CLM_MAX_MODS][3];
    uint32_t n = l->nmods < CLM_MAX_MODS ? l->nmods : CLM_MAX_MODS;
    memcpy(m, l->mods, sizeof m);
    for (uint32_t i = 1; i < n; i++) /* insertion sort of at most 4 */
        for (uint32_t j = i; j > 0 && memcmp(m[j - 1], m[j], 3) > 0; j--) {
            char t[3];
            memcpy(t, m[j], 3);
            memcpy(m[j], m[j - 1], 3);
            memcpy(m[j - 1], t, 3);
        }
    uint8_t cnt = (uint8_t)n;
    fp_put(e, &cnt, 1);
    for (uint32_t i = 0; i < n; i++)
        fp_str(e, m[i], sizeof m[i]);
}

static void fp_line(fp_enc *e, const clm_claim *c, const clm_line *l)
{
    uint32_t from = clm_line_dos(c, l);
    fp_u32(e, from);
    fp_u32(e, l->to ? l->to : from);
    fp_str(e, l->qual, sizeof l->qual);
    fp_str(e, l->code, sizeof l->code);
    fp_str(e, l->rev, sizeof l->rev);
    fp_mods(e, l);
    fp_u32(e, l->units_milli);
    fp_i64(e, l->charge);
}

bool fp_claim(const clm_claim *c, fp128 *out)
{
    char f = c->freq ? c->freq : c->tob[2];
    if (f == '7' || f == '8')
        return false;
    fp_enc e;
    e.n = 0;
    e.streaming = false;
    fp_put(&e, "claimd-fp1", 10);
    fp_u32(&e, (uint32_t)c->type);
    fp_str(&e, c->bill_npi, sizeof c->bill_npi);
    fp_str(&e, c->member_id, sizeof c->member_id);
    uint8_t pat = c->has_patient;
    fp_put(&e, &pat, 1);
    fp_u32(&e, pat ? c->pat_dob : c->sub_dob);
    char sex = pat ? c->pat_sex : c->sub_sex;
    fp_put(&e, &sex, 1);
    fp_u32(&e, c->nlines);
    for (uint32_t i = 0; i < c->nlines; i++)
        fp_line(&e, c, &c->lines[i]);
    XXH128_hash_t h;
    if (e.streaming) {
        fp_flush(&e);
        h = XXH3_128bits_digest(&e.st);
    } else {
        h = XXH3_128bits(e.buf, e.n);
    }
    out->lo = h.low64;
    out->hi = h.high64;
    return true;
}

/* ---- the set ---------------------------------------------------------- */

/* Open addressing, linear probing; {0,0} marks an empty slot, so a
 * fingerprint that is all zero is stored as {1,0} (one in 2^128). */
struct fp_set {
    fp128 *slots;
    size_t cap; /* power of two */
    size_t count;
};

static int fp_set_alloc(fp_set *s, size_t cap)
{
    fp128 *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int fp_set_create(size_t expect, fp_set **out)
{
    if (!out)
        return -EINVAL;
    fp_set *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    size_t cap = 64;
    while (cap < expect * 2 && cap < ((size_t)1 << 40))
        cap <<= 1;
    if (fp_set_alloc(s, cap) != 0) {
        free(s);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

void fp_set_free(fp_set *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s);
}

/* 1 when present, 0 when inserted (there is always an empty slot). */
/* The home slot of f in a table of cap (a power of two) slots. */
static size_t fp_home(fp128 f, size_t cap)
{
    return (size_t)(f.lo ^ (f.hi >> 7)) & (cap - 1);
}

void fp_set_prefetch(const fp_set *s, const fp128 *f)
{
    if (s && f && s->cap)
        __builtin_prefetch(&s->slots[fp_home(*f, s->cap)], 1);
}

static int fp_set_put(fp128 *slots, size_t cap, fp128 f)
{
    size_t mask = cap - 1, i = fp_home(f, cap);
    for (;; i = (i + 1) & mask) {
        fp128 *p = &slots[i];
        if (p->lo == f.lo && p->hi == f.hi)
            return 1;
        if (p->lo == 0 && p->hi == 0) {
            *p = f;
            return 0;
        }
    }
}

static int fp_set_grow(fp_set *s)
{
    fp_set n = {0};
    if (fp_set_alloc(&n, s->cap * 2) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].lo || s->slots[i].hi)
            fp_set_put(n.slots, n.cap, s->slots[i]);
    free(s->slots);
    s->slots = n.slots;
    s->cap = n.cap;
    return 0;
}

int fp_set_add(fp_set *s, const fp128 *f)
{
    if (!s || !f)
        return -EINVAL;
    fp128 k = *f;
    if (k.lo == 0 && k.hi == 0)
        k.lo = 1;
    /* keep the load at or under 1/2: short probes, and growth before full */
    if ((s->count + 1) * 2 > s->cap && fp_set_grow(s) != 0)
        return -ENOMEM;
    int rc = fp_set_put(s->slots, s->cap, k);
    if (rc == 0)
        s->count++;
    return rc;
}

size_t fp_set_count(const fp_set *s)
{
    return s ? s->count : 0;
}

size_t fp_set_bytes(const fp_set *s)
{
    return s ? sizeof *s + s->cap * sizeof *s->slots : 0;
}
