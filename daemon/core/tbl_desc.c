/* Table descriptors, key encoding, LMDB error mapping and the in-map hash
 * index probe shared by the builder, the reader and verification. */
#define XXH_INLINE_ALL
#include "claimd/error.h"
#include "claimd/tables.h"
#include "tbl_int.h"

#include <errno.h>
#include <string.h>
/* Inlined: the hash runs once or more per lookup on the hot path (a call
 * through the shared library costs about a third more, ENGINEERING.md §7). */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- keys -------------------------------------------------------------- */

#define PUT(k, off, s, n) ((void)tbl_put_code((k) + (off), (s), (n)))

static void key_icd10(const void *r, uint8_t *k)
{
    PUT(k, 0, ((const tbl_icd10 *)r)->code, 8);
}

static void key_hcpcs(const void *r, uint8_t *k)
{
    PUT(k, 0, ((const tbl_hcpcs *)r)->code, 6);
}

static void key_rvu(const void *r, uint8_t *k)
{
    const tbl_rvu *x = r;
    PUT(k, 0, x->code, 6);
    PUT(k, 6, x->mod, 3);
}

static void key_gpci(const void *r, uint8_t *k)
{
    const tbl_gpci *x = r;
    PUT(k, 0, x->carrier, 6);
    PUT(k, 6, x->locality, 3);
}

static void key_zip5(const void *r, uint8_t *k)
{
    PUT(k, 0, ((const tbl_zip5 *)r)->zip, 6);
}

static void key_zip9(const void *r, uint8_t *k)
{
    const tbl_zip9 *x = r;
    PUT(k, 0, x->zip, 6);
    PUT(k, 6, x->plus4_lo, 5);
}

static void key_ncci(const void *r, uint8_t *k)
{
    const tbl_ncci *x = r;
    PUT(k, 0, x->col1, 6);
    PUT(k, 6, x->col2, 6);
}

static void key_mue(const void *r, uint8_t *k)
{
    PUT(k, 0, ((const tbl_mue *)r)->code, 6);
}

static void key_pos(const void *r, uint8_t *k)
{
    PUT(k, 0, ((const tbl_pos *)r)->code, 3);
}

static void key_agesex(const void *r, uint8_t *k)
{
    const tbl_agesex *x = r;
    PUT(k, 0, x->code, 8);
    k[8] = (uint8_t)x->sex;
}

static void key_modifier(const void *r, uint8_t *k)
{
    PUT(k, 0, ((const tbl_modifier *)r)->code, 3);
}

static void key_oppscap(const void *r, uint8_t *k)
{
    const tbl_oppscap *x = r;
    PUT(k, 0, x->code, 6);
    PUT(k, 6, x->mod, 3);
    PUT(k, 9, x->carrier, 6);
    PUT(k, 15, x->locality, 3);
}

#define DESC(nm, kd, T, kl, gl, kf, ...)                                                           \
    {                                                                                              \
        .name = nm, .kind = kd, .rec_size = sizeof(T), .key_len = kl, .group_len = gl,             \
        .period_off = offsetof(T, period), .key = kf, .gkey_at0 = (kf != key_gpci),                \
        .ngfields = sizeof((uint8_t[]){__VA_ARGS__}), .gfield_len = {__VA_ARGS__},                 \
    }

const tbl_desc tbl_descs[TBL_TABLE_COUNT] = {
    [TBL_ICD10CM] = DESC("icd10cm", TBLSRC_ICD10CM, tbl_icd10, 8, 8, key_icd10, 8),
    [TBL_HCPCS] = DESC("hcpcs", TBLSRC_HCPCS, tbl_hcpcs, 6, 6, key_hcpcs, 6),
    [TBL_RVU] = DESC("pprrvu", TBLSRC_PPRRVU, tbl_rvu, 9, 6, key_rvu, 6),
    [TBL_GPCI] = DESC("gpci", TBLSRC_GPCI, tbl_gpci, 9, 9, key_gpci, 6, 3),
    [TBL_ZIP5] = DESC("zip5", TBLSRC_ZIP5, tbl_zip5, 6, 6, key_zip5, 6),
    [TBL_ZIP9] = DESC("zip9", TBLSRC_ZIP9, tbl_zip9, 11, 6, key_zip9, 6),
    [TBL_NCCI] = DESC("ncci", TBLSRC_NCCI_PTP, tbl_ncci, 12, 12, key_ncci, 6, 6),
    [TBL_MUE] = DESC("mue", TBLSRC_MUE, tbl_mue, 6, 6, key_mue, 6),
    [TBL_POS] = DESC("pos", TBLSRC_POS, tbl_pos, 3, 3, key_pos, 3),
    [TBL_AGESEX] = DESC("agesex", TBLSRC_AGESEX, tbl_agesex, 9, 8, key_agesex, 8),
    [TBL_MODIFIER] = DESC("modifiers", TBLSRC_MODIFIERS, tbl_modifier, 3, 3, key_modifier, 3),
    [TBL_OPPSCAP] = DESC("oppscap", TBLSRC_OPPSCAP, tbl_oppscap, 18, 18, key_oppscap, 6, 3, 6, 3),
};

const char *tbl_table_name(tbl_table t)
{
    return (unsigned)t < TBL_TABLE_COUNT ? tbl_descs[t].name : NULL;
}

int tbl_table_from_name(const char *name)
{
    static const struct {
        const char *alias;
        tbl_table t;
    } aliases[] = {
        {"icd10", TBL_ICD10CM},     {"icd10-cm", TBL_ICD10CM}, {"rvu", TBL_RVU},
        {"mpfs", TBL_RVU},          {"ncci-ptp", TBL_NCCI},    {"ncci_ptp", TBL_NCCI},
        {"ptp", TBL_NCCI},          {"age-sex", TBL_AGESEX},   {"age_sex", TBL_AGESEX},
        {"modifier", TBL_MODIFIER}, {"mod", TBL_MODIFIER},
    };
    if (!name)
        return -CLAIMD_ETBL_NO_TABLE;
    for (int t = 0; t < TBL_TABLE_COUNT; t++)
        if (strcmp(name, tbl_descs[t].name) == 0)
            return t;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            return (int)aliases[i].t;
    return -CLAIMD_ETBL_NO_TABLE;
}

int tbl_table_for_kind(tblsrc_kind kind)
{
    for (int t = 0; t < TBL_TABLE_COUNT; t++)
        if (tbl_descs[t].kind == kind && kind != TBLSRC_UNKNOWN)
            return t;
    return -CLAIMD_ETBL_NO_TABLE;
}

size_t tbl_record_size(tbl_table t)
{
    return (unsigned)t < TBL_TABLE_COUNT ? tbl_descs[t].rec_size : 0;
}

size_t tbl_record_key(tbl_table t, const void *rec, uint8_t *buf)
{
    if ((unsigned)t >= TBL_TABLE_COUNT)
        return 0;
    const tbl_desc *d = &tbl_descs[t];
    tbl_period p = tbl_rec_period(d, rec);
    d->key(rec, buf);
    tbl_put_be32(buf + d->key_len, p.from);
    tbl_put_be32(buf + d->key_len + 4, p.to);
    return d->key_len + 8;
}

int tbl_group_key(const tbl_desc *d, const char *const *fields, size_t n, uint8_t *gkey)
{
    if (n != d->ngfields || !fields)
        return -EINVAL;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tbl_put_code(gkey + off, fields[i], d->gfield_len[i]))
            return -CLAIMD_ETBL_NOT_FOUND;
        off += d->gfield_len[i];
    }
    return 0;
}

/* ---- LMDB errors ------------------------------------------------------- */

int tbl_mdb_err(int rc)
{
    if (rc == 0)
        return 0;
    if (rc > 0)
        return -rc;
    switch (rc) {
    case MDB_NOTFOUND:
        return -CLAIMD_ETBL_NOT_FOUND;
    case MDB_MAP_FULL:
        return -CLAIMD_ETBL_MAP_FULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
    case MDB_BAD_DBI:
        return -CLAIMD_ETBL_CORRUPT;
    case MDB_READERS_FULL:
        return -EAGAIN;
    default:
        return -CLAIMD_ETBL_LMDB;
    }
}

/* ---- the hash index ---------------------------------------------------- */

uint64_t tbl_code_hash(const uint8_t *code6)
{
    return XXH3_64bits(code6, 6);
}

int tbl_idx_attach(const void *p, size_t len, tbl_table t, tbl_idx *ix)
{
    const tbl_idx_hdr *h = p;
    if (len < sizeof *h || ((uintptr_t)p & 7) != 0)
        return -CLAIMD_ETBL_BAD_INDEX;
    if (h->magic != TBL_IDX_MAGIC)
        return -CLAIMD_ETBL_BAD_INDEX;
    if (h->layout != TBL_LAYOUT_VERSION)
        return -CLAIMD_ETBL_LAYOUT;
    tbl_idx_hdr c = *h;
    c.hdr_check = 0;
    if (XXH3_64bits(&c, sizeof c) != h->hdr_check)
        return -CLAIMD_ETBL_BAD_INDEX;
    const tbl_desc *d = &tbl_descs[t];
    uint64_t ns = h->nslots;
    if (h->table != (uint32_t)t || h->rec_size != d->rec_size || h->group_len != d->group_len ||
        h->size != len || ns == 0 || (ns & (ns - 1)) != 0 || h->ntotal < ns ||
        h->max_probe >= h->ntotal || h->nrecs > h->ntotal)
        return -CLAIMD_ETBL_BAD_INDEX;
    /* every section inside the value, the slots 8-aligned in the map */
    if (h->slots_off > len || h->ntotal > (len - h->slots_off) / h->rec_size ||
        h->slots_off + h->data_len > len || (((uintptr_t)p + h->slots_off) & 7) != 0)
        return -CLAIMD_ETBL_BAD_INDEX;
    if (h->filter_bits &&
        ((h->filter_bits & (h->filter_bits - 1)) != 0 || h->filter_bits % 64 != 0 ||
         h->filter_off + 2 * (h->filter_bits / 8) > len || (h->filter_off & 7) != 0))
        return -CLAIMD_ETBL_BAD_INDEX;
    if (h->pair_bits &&
        ((h->pair_bits & (h->pair_bits - 1)) != 0 || h->pair_bits % 64 != 0 || h->pair_off > len ||
         h->pair_bits / 8 > len - h->pair_off || (h->pair_off & 7) != 0))
        return -CLAIMD_ETBL_BAD_INDEX;
    memset(ix, 0, sizeof *ix);
    ix->hdr = h;
    ix->pairs = h->pair_bits ? (const uint64_t *)(const void *)((const uint8_t *)p + h->pair_off)
                             : NULL; /* checked 8-aligned above */
    ix->pair_mask = h->pair_bits ? h->pair_bits - 1 : 0;
    ix->recs = (const uint8_t *)p + h->slots_off;
    ix->filter = h->filter_bits
                     ? (const uint64_t *)(const void *)((const uint8_t *)p + h->filter_off)
                     : NULL; /* checked 8-aligned above */
    ix->filter_mask = h->filter_bits ? h->filter_bits - 1 : 0;
    ix->filter_k = h->filter_k;
    ix->mask = ns - 1;
    ix->max_probe = h->max_probe;
    ix->rec_size = h->rec_size;
    ix->group_len = h->group_len;
    ix->nslots = ns;
    ix->ntotal = h->ntotal;
    return 0;
}

int tbl_idx_check(const tbl_idx *ix)
{
    const uint8_t *base = (const uint8_t *)ix->hdr;
    if (XXH3_64bits(base + ix->hdr->slots_off, ix->hdr->data_len) != ix->hdr->checksum)
        return -CLAIMD_ETBL_BAD_INDEX;
    return 0;
}

/* Keys are 3 to 18 bytes: compare inline, 8 bytes at a time, rather than
 * through a memcmp call on every probe. */
static inline bool key_eq(const uint8_t *a, const uint8_t *b, uint32_t len)
{
    for (; len >= 8; a += 8, b += 8, len -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
    }
    for (; len; len--)
        if (*a++ != *b++)
            return false;
    return true;
}

static inline bool slot_key_eq(const tbl_desc *d, const uint8_t *rec, const uint8_t *gkey,
                               uint32_t len)
{
    if (d->gkey_at0)
        return key_eq(rec, gkey, len);
    uint8_t k[TBL_KEY_MAX];
    d->key(rec, k);
    return key_eq(k, gkey, len);
}

uint64_t tbl_idx_hash(const tbl_idx *ix, const uint8_t *gkey)
{
    return XXH3_64bits(gkey, ix->group_len);
}

void tbl_idx_prefetch_h(const tbl_idx *ix, uint64_t hash)
{
    const uint8_t *r = ix->recs + (hash & ix->mask) * ix->rec_size;
    __builtin_prefetch(r);
    __builtin_prefetch(r + 64);
}

void tbl_idx_prefetch(const tbl_idx *ix, const uint8_t *gkey)
{
    tbl_idx_prefetch_h(ix, tbl_idx_hash(ix, gkey));
}

bool tbl_idx_find(const tbl_idx *ix, const uint8_t *gkey, uint32_t *first, uint32_t *count)
{
    return tbl_idx_find_h(ix, gkey, tbl_idx_hash(ix, gkey), first, count);
}

bool tbl_idx_find_h(const tbl_idx *ix, const uint8_t *gkey, uint64_t hash, uint32_t *first,
                    uint32_t *count)
{
    uint64_t s = hash & ix->mask;
    const tbl_desc *d = &tbl_descs[ix->hdr->table];
    /* Bounded: no group starts more than max_probe slots past its home (the
     * builder places groups in home order, so the slots between a group's
     * home and its start are all occupied: an empty slot ends the search).
     * Runs never wrap: the array has a tail past nslots. */
    for (uint32_t i = 0; i <= ix->max_probe && s < ix->ntotal; i++, s++) {
        const uint8_t *r = ix->recs + s * ix->rec_size;
        if (r[0] == 0)
            return false;
        if (!slot_key_eq(d, r, gkey, ix->group_len))
            continue;
        uint32_t n = 1;
        while (s + n < ix->ntotal && n < UINT16_MAX) {
            const uint8_t *q = r + (size_t)n * ix->rec_size;
            if (q[0] == 0 || !slot_key_eq(d, q, gkey, ix->group_len))
                break;
            n++;
        }
        *first = (uint32_t)s;
        *count = n;
        return true;
    }
    return false;
}
