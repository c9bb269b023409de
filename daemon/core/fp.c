/* fp: claim fingerprints (XXH3-128 over a canonical encoding) and the
 * in-run duplicate set.
 *
 * The encoding is versioned ("claimd-fp1"), little-endian, with every
 * variable-length field length-prefixed, so no two distinct field lists
 * encode to the same bytes. Modifiers are sorted: "59 RT" and "RT 59" bill the
 * same service. Encoded bytes go through a 512-byte buffer; a claim that does
 * not fit is hashed in streaming mode, without allocation. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include "claimd/fp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Bucketized cuckoo hashing: buckets of FP_WAYS 12-byte slots (60 bytes and
 * 4 spare in one 64-byte cache line). A slot keeps 96 bits of the
 * fingerprint, its lo half and the low 32 bits of its hi half (fp_key96):
 * two claims are taken for the same when those agree (see fp.h for the
 * odds). A key lives in one of its two candidate buckets, addressed by two
 * independent 64-bit hashes of its lo 64 and its 32 hi bits; both come from
 * the stored 96 bits alone, so a kicked entry's other bucket is computed
 * from its slot. An all-zero slot is empty, so a key that is all zero is
 * stored as lo = 1 (one in 2^96).
 *
 * The set is cut into 2^bits segments by the top bits of the first hash,
 * each an independent cuckoo table of any number of buckets (the bucket is
 * the hash's low 32 bits scaled to nb, so no power of two is needed). A
 * segment that reaches FP_LOAD_PCT, or whose kick chain fails, grows by
 * 1/4 alone: its entries are reinserted into a new mapping, so the
 * transient memory is one segment's, and the whole set stays between 75 %
 * and 94 % full instead of halving its load at each doubling. The segments
 * start at staggered sizes spread over one growth step, so at any count
 * their loads are spread over that range too: about 15 bytes a
 * fingerprint on average, and growth work spread evenly over the inserts.
 * Segments are kept small (about 16k entries for the expected count) so a
 * growth works in cache and its transient memory is small. A segment can
 * grow past that when the hint was low: nothing else changes.
 *
 * Each segment is its own private anonymous mapping (page-rounded; the
 * bucket count is rounded up to fill the pages), released at once with
 * munmap: no heap fragmentation. */
#define FP_WAYS        5
#define FP_LOAD_PCT    94 /* a segment grows past 94 % of its slots */
#define FP_GROW_NUM    5  /* ... to 5/4 of its buckets */
#define FP_GROW_DEN    4
#define FP_MAX_KICKS   256 /* a longer kick chain fails the insert */
#define FP_SEG_ENTRIES 16384
#define FP_MAX_BITS    12

/* The stored key: 96 bits of the fingerprint. */
typedef struct fp96 {
    uint64_t lo;
    uint32_t hi;
} fp96;

/* A slot: lo in w[0] (low half) and w[1], hi in w[2]; 4-byte aligned, so
 * FP_WAYS of them pack into 60 bytes. */
typedef struct fp_slot {
    uint32_t w[3];
} fp_slot;

typedef struct fp_bucket {
    fp_slot s[FP_WAYS];
    uint32_t spare;
} fp_bucket;

_Static_assert(sizeof(fp_bucket) == 64, "a bucket is one cache line");

typedef struct fp_seg {
    fp_bucket *b;
    uint32_t nb; /* buckets */
    uint32_t count;
    uint64_t ideal; /* the unrounded size (buckets << 16) of its growth ladder */
} fp_seg;

struct fp_set {
    fp_seg *seg;
    unsigned bits; /* 2^bits segments */
    size_t count;
    size_t bytes; /* the struct, the segment table and every mapping */
    uint64_t rng; /* xorshift64 state for kick choices: fixed seed */
};

static fp96 fp_get(const fp_slot *p)
{
    return (fp96){(uint64_t)p->w[0] | (uint64_t)p->w[1] << 32, p->w[2]};
}

static void fp_put_slot(fp_slot *p, fp96 k)
{
    p->w[0] = (uint32_t)k.lo;
    p->w[1] = (uint32_t)(k.lo >> 32);
    p->w[2] = k.hi;
}

static uint64_t fp_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Mixed, so that keys that are not hash outputs (tests, benchmarks) spread
 * as well as fingerprints do. */
static uint64_t fp_h1(fp96 k)
{
    return fp_mix(k.lo);
}

static uint64_t fp_h2(fp96 k)
{
    return fp_mix((uint64_t)k.hi ^ 0x9e3779b97f4a7c15ull);
}

static fp_seg *fp_seg_of(const fp_set *s, uint64_t h1)
{
    return &s->seg[s->bits ? h1 >> (64 - s->bits) : 0];
}

static uint32_t fp_bkt(uint32_t nb, uint64_t h)
{
    return (uint32_t)(((h & 0xffffffffu) * nb) >> 32);
}

static bool fp_eq(fp96 a, const fp_slot *p)
{
    return p->w[2] == a.hi && p->w[0] == (uint32_t)a.lo && p->w[1] == (uint32_t)(a.lo >> 32);
}

static bool fp_empty(const fp_slot *p)
{
    return (p->w[0] | p->w[1] | p->w[2]) == 0;
}

/* The stored key of f: lo and the low 32 bits of hi, never all zero. */
static fp96 fp_key(const fp128 *f)
{
    fp96 k = {f->lo, (uint32_t)f->hi};
    if ((k.lo | k.hi) == 0)
        k.lo = 1;
    return k;
}

static size_t fp_map_len(uint32_t nb)
{
    size_t pg = 4096;
    return ((size_t)nb * sizeof(fp_bucket) + pg - 1) / pg * pg;
}

/* Maps nb zeroed buckets, or as many as fill the pages with fill. */
static int fp_seg_map(fp_seg *g, uint64_t nb, bool fill)
{
    if (nb == 0 || nb > UINT32_MAX / 2)
        return -ENOMEM;
    size_t len = fp_map_len((uint32_t)nb);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    *g = (fp_seg){.b = p, .nb = fill ? (uint32_t)(len / sizeof(fp_bucket)) : (uint32_t)nb};
    return 0;
}

static void fp_seg_unmap(fp_seg *g)
{
    if (g->b)
        munmap(g->b, fp_map_len(g->nb));
}

int fp_set_create(size_t expect, fp_set **out)
{
    if (!out)
        return -EINVAL;
    fp_set *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    while (s->bits < FP_MAX_BITS && (expect >> s->bits) > FP_SEG_ENTRIES)
        s->bits++;
    size_t n = (size_t)1 << s->bits;
    s->seg = calloc(n, sizeof *s->seg);
    s->rng = 0x2545f4914f6cdd1dull;
    s->bytes = sizeof *s + n * sizeof *s->seg;
    int rc = s->seg ? 0 : -ENOMEM;
    /* 64 buckets (one page) to start. Each segment's ladder of sizes
     * (x 5/4 a step) starts at 64 x (1 + i / 4n): once segments span many
     * pages, their sizes are spread over one growth step, and so are their
     * loads and their growths. */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = fp_seg_map(&s->seg[i], 64, false);
        s->seg[i].ideal = ((uint64_t)64 << 16) + ((uint64_t)64 << 16) *
                                                     (FP_GROW_NUM - FP_GROW_DEN) * i /
                                                     (FP_GROW_DEN * n);
        s->bytes += rc ? 0 : fp_map_len(s->seg[i].nb);
    }
    if (rc) {
        fp_set_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void fp_set_free(fp_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->seg && i < ((size_t)1 << s->bits); i++)
        fp_seg_unmap(&s->seg[i]);
    free(s->seg);
    free(s);
}

void fp_set_prefetch(const fp_set *s, const fp128 *f)
{
    if (!s || !f)
        return;
    fp96 k = fp_key(f);
    uint64_t h1 = fp_h1(k);
    const fp_seg *g = fp_seg_of(s, h1);
    __builtin_prefetch(&g->b[fp_bkt(g->nb, h1)], 1);
    __builtin_prefetch(&g->b[fp_bkt(g->nb, fp_h2(k))], 1);
}

/* The slot holding k in g's candidate buckets for h1, h2, or NULL. */
static fp_slot *fp_find(const fp_seg *g, fp96 k, uint64_t h1, uint64_t h2)
{
    fp_bucket *b1 = &g->b[fp_bkt(g->nb, h1)], *b2 = &g->b[fp_bkt(g->nb, h2)];
    for (int j = 0; j < FP_WAYS; j++)
        if (fp_eq(k, &b1->s[j]))
            return &b1->s[j];
    for (int j = 0; j < FP_WAYS; j++)
        if (fp_eq(k, &b2->s[j]))
            return &b2->s[j];
    return NULL;
}

static int fp_used(const fp_bucket *b)
{
    int n = 0;
    for (int j = 0; j < FP_WAYS; j++)
        n += !fp_empty(&b->s[j]);
    return n;
}

static fp_slot *fp_free_in(fp_bucket *b)
{
    for (int j = 0; j < FP_WAYS; j++)
        if (fp_empty(&b->s[j]))
            return &b->s[j];
    return NULL;
}

static uint64_t fp_rand(fp_set *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return s->rng = x;
}

/* The other candidate bucket of k, which sits in bucket i: from the stored
 * 96 bits alone. */
static uint32_t fp_alt(const fp_seg *g, fp96 k, uint32_t i)
{
    uint32_t a1 = fp_bkt(g->nb, fp_h1(k));
    return a1 == i ? fp_bkt(g->nb, fp_h2(k)) : a1;
}

/* Makes room in full bucket i by moving one of its entries to its other
 * bucket when that one has a free slot: the other buckets are loaded
 * together (one memory latency, not FP_WAYS). Returns the freed slot or
 * NULL. */
static fp_slot *fp_lookahead(fp_seg *g, uint32_t i)
{
    uint32_t alt[FP_WAYS];
    for (int j = 0; j < FP_WAYS; j++) {
        alt[j] = fp_alt(g, fp_get(&g->b[i].s[j]), i);
        __builtin_prefetch(&g->b[alt[j]], 1);
    }
    for (int j = 0; j < FP_WAYS; j++) {
        fp_slot *to = alt[j] == i ? NULL : fp_free_in(&g->b[alt[j]]);
        if (to) {
            *to = g->b[i].s[j];
            return &g->b[i].s[j];
        }
    }
    return NULL;
}

/* Places k (absent, both buckets b1 and b2 full) along a chain of kicks:
 * at each bucket, an entry that can move to a free slot of its other bucket
 * does (fp_lookahead), else a random entry is swapped with the homeless key
 * and goes on to its other bucket. Returns 0, or -ENOSPC after
 * FP_MAX_KICKS steps, with every swap undone in reverse so the segment is
 * as it was. */
static int fp_kick(fp_set *s, fp_seg *g, fp96 k, uint32_t b1, uint32_t b2)
{
    fp_slot *path[FP_MAX_KICKS];
    uint32_t i = (fp_rand(s) >> 63) ? b2 : b1;
    fp96 cur = k;
    for (int n = 0; n < FP_MAX_KICKS; n++) {
        fp_slot *slot = fp_lookahead(g, i);
        if (!slot && n == 0)
            slot = fp_lookahead(g, i = (i == b1 ? b2 : b1));
        if (slot) {
            fp_put_slot(slot, cur);
            return 0;
        }
        slot = &g->b[i].s[(uint32_t)(((fp_rand(s) >> 32) * FP_WAYS) >> 32)];
        fp96 t = fp_get(slot);
        fp_put_slot(slot, cur);
        cur = t;
        path[n] = slot;
        i = fp_alt(g, cur, i);
        if ((slot = fp_free_in(&g->b[i])) != NULL) {
            fp_put_slot(slot, cur);
            return 0;
        }
    }
    for (int n = FP_MAX_KICKS - 1; n >= 0; n--) {
        fp96 t = fp_get(path[n]);
        fp_put_slot(path[n], cur);
        cur = t;
    }
    return -ENOSPC;
}

/* Places k (absent) in g: the emptier candidate bucket, which keeps room on
 * both sides so kicks stay rare, else a kick chain. 0 or -ENOSPC. */
static int fp_place(fp_set *s, fp_seg *g, fp96 k, uint64_t h1, uint64_t h2)
{
    uint32_t b1 = fp_bkt(g->nb, h1), b2 = fp_bkt(g->nb, h2);
    uint32_t to = fp_used(&g->b[b2]) < fp_used(&g->b[b1]) ? b2 : b1;
    fp_slot *slot = fp_free_in(&g->b[to]);
    if (slot) {
        fp_put_slot(slot, k);
        return 0;
    }
    return fp_kick(s, g, k, b1, b2);
}

/* Moves g's entries into a new mapping of the next size on its ladder
 * (5/4, rounded up to whole pages; the next one if that fails to hold
 * them). 0 or -ENOMEM (g unchanged). */
static int fp_grow(fp_set *s, fp_seg *g)
{
    uint64_t ideal = g->ideal;
    for (int tries = 0; tries < 8; tries++) {
        ideal = ideal / FP_GROW_DEN * FP_GROW_NUM;
        uint64_t nb = ideal >> 16;
        fp_seg n;
        if (fp_seg_map(&n, nb > g->nb ? nb : (uint64_t)g->nb + 1, true) != 0)
            return -ENOMEM;
        n.ideal = ideal;
        int rc = 0;
        for (uint32_t i = 0; rc == 0 && i < g->nb; i++)
            for (int j = 0; rc == 0 && j < FP_WAYS; j++) {
                if (fp_empty(&g->b[i].s[j]))
                    continue;
                fp96 k = fp_get(&g->b[i].s[j]);
                rc = fp_place(s, &n, k, fp_h1(k), fp_h2(k));
            }
        if (rc == 0) {
            s->bytes += fp_map_len(n.nb) - fp_map_len(g->nb);
            n.count = g->count;
            fp_seg_unmap(g);
            *g = n;
            return 0;
        }
        fp_seg_unmap(&n);
    }
    return -ENOMEM;
}

int fp_set_add(fp_set *s, const fp128 *f)
{
    if (!s || !f)
        return -EINVAL;
    fp96 k = fp_key(f);
    uint64_t h1 = fp_h1(k), h2 = fp_h2(k);
    fp_seg *g = fp_seg_of(s, h1);
    if (fp_find(g, k, h1, h2))
        return 1;
    if ((uint64_t)(g->count + 1) * 100 > (uint64_t)g->nb * FP_WAYS * FP_LOAD_PCT &&
        fp_grow(s, g) != 0)
        return -ENOMEM;
    while (fp_place(s, g, k, h1, h2) != 0)
        if (fp_grow(s, g) != 0)
            return -ENOMEM;
    g->count++;
    s->count++;
    return 0;
}

int fp_set_remove(fp_set *s, const fp128 *f)
{
    if (!s || !f)
        return -EINVAL;
    fp96 k = fp_key(f);
    uint64_t h1 = fp_h1(k);
    fp_seg *g = fp_seg_of(s, h1);
    fp_slot *slot = fp_find(g, k, h1, fp_h2(k));
    if (!slot)
        return 0;
    *slot = (fp_slot){{0, 0, 0}};
    g->count--;
    s->count--;
    return 1;
}

bool fp_set_has(const fp_set *s, const fp128 *f)
{
    if (!s || !f)
        return false;
    fp96 k = fp_key(f);
    uint64_t h1 = fp_h1(k);
    return fp_find(fp_seg_of(s, h1), k, h1, fp_h2(k)) != NULL;
}

int fp_set_each(const fp_set *s, int (*fn)(void *ctx, const fp128 *f), void *ctx)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < (size_t)1 << s->bits; i++) {
        const fp_seg *g = &s->seg[i];
        for (uint32_t b = 0; b < g->nb; b++)
            for (int w = 0; w < FP_WAYS; w++) {
                const fp_slot *p = &g->b[b].s[w];
                if (fp_empty(p))
                    continue;
                fp96 k = fp_get(p);
                fp128 f = {k.lo, k.hi};
                int rc = fn(ctx, &f);
                if (rc)
                    return rc;
            }
    }
    return 0;
}

size_t fp_set_count(const fp_set *s)
{
    return s ? s->count : 0;
}

size_t fp_set_bytes(const fp_set *s)
{
    return s ? s->bytes : 0;
}
