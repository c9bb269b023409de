/* Internal to the tbl_ module: table descriptors, key encoding and the
 * in-map hash index format shared by the builder, the reader and verify.
 * docs/tables.md describes the same layout for people. */
#ifndef CLAIMD_TBL_INT_H
#define CLAIMD_TBL_INT_H

#include "claimd/tables.h"

#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One table: how its fixed key is made and how its hash groups are formed.
 * The B-tree key is key_len bytes of key fields, then from and to as
 * big-endian uint32 (so a key's periods sort by date). The hash key (group
 * key) is the first group_len bytes of the key fields; a group is every row
 * sharing it. */
typedef struct tbl_desc {
    const char *name;
    tblsrc_kind kind;
    uint32_t rec_size;
    uint32_t key_len;
    uint32_t group_len;
    uint32_t period_off;
    uint8_t gkey_at0; /* the group key is the record's first group_len bytes: compare in place */
    uint8_t ngfields; /* string fields that make the group key */
    uint8_t gfield_len[4];                      /* each field's width in the key */
    void (*key)(const void *rec, uint8_t *key); /* writes key_len bytes */
} tbl_desc;

extern const tbl_desc tbl_descs[TBL_TABLE_COUNT];

/* Copies a code into a fixed NUL-padded field of width n, upper case.
 * Returns false when s is longer than n (NUL-terminated fields keep one byte
 * less: the caller passes the field's usable width). */
static inline bool tbl_put_code(uint8_t *k, const char *s, size_t n)
{
    size_t i = 0;
    if (s)
        for (; i < n && s[i]; i++) {
            char c = s[i];
            k[i] = (uint8_t)(c >= 'a' && c <= 'z' ? c - 32 : c);
        }
    if (s && i == n && s[i])
        return false;
    for (; i < n; i++)
        k[i] = 0;
    return true;
}

static inline void tbl_put_be32(uint8_t *k, uint32_t v)
{
    k[0] = (uint8_t)(v >> 24);
    k[1] = (uint8_t)(v >> 16);
    k[2] = (uint8_t)(v >> 8);
    k[3] = (uint8_t)v;
}

static inline tbl_period tbl_rec_period(const tbl_desc *d, const void *rec)
{
    tbl_period p;
    const char *c = (const char *)rec + d->period_off;
    __builtin_memcpy(&p, c, sizeof p);
    return p;
}

/* Builds a group key from string fields (the lookup side). Returns 0,
 * -EINVAL (field count) or -CLAIMD_ETBL_NOT_FOUND (a field too long). */
int tbl_group_key(const tbl_desc *d, const char *const *fields, size_t n, uint8_t *gkey);

/* ---- the in-map hash index -------------------------------------------- */

#define TBL_IDX_MAGIC  0x3258444944424c43ull /* "CLBDIDX2" little-endian */
#define TBL_IDX_ALIGN  64
#define TBL_IDX_HDR    192
#define TBL_IDX_SLACK  (TBL_IDX_ALIGN - 16) /* a large LMDB value starts 16-aligned */
#define TBL_FILTER_MIN 4096                 /* bits */

/* The index is open addressing over the records themselves: a slot is one
 * record (rec_size bytes), so a probe that hits costs one cache miss (two
 * when a record straddles a line). A group (every period of one key) is a run
 * of consecutive slots, sorted by period, starting at or after its home slot
 * (hash & mask). An empty slot is all zero; a key never starts with NUL. */
typedef struct tbl_idx_hdr {
    uint64_t magic;
    uint32_t layout;    /* TBL_LAYOUT_VERSION */
    uint32_t table;     /* tbl_table */
    uint32_t rec_size;  /* sizeof the record struct = slot size */
    uint32_t group_len; /* hash key bytes */
    uint32_t max_probe; /* most slots any group starts past its home slot */
    uint32_t filter_k;  /* hash bits per code in the NCCI filters, 0 when none */
    uint64_t nslots;    /* a power of two */
    uint64_t nrecs;     /* occupied slots */
    uint64_t ngroups;
    uint64_t size;        /* the whole value's length */
    uint64_t slots_off;   /* 64-aligned in the map */
    uint64_t ntotal;      /* slots in the array: nslots + a tail, so runs never wrap */
    uint64_t filter_off;  /* two bitsets (column 1, column 2) of filter_bits each */
    uint64_t filter_bits; /* a power of two, or 0 */
    uint64_t pair_off;    /* NCCI: a Bloom filter over whole pairs, pair_bits bits */
    uint64_t pair_bits;   /* a power of two, or 0 */
    uint64_t data_len;    /* bytes from slots_off covered by checksum */
    uint64_t checksum;    /* XXH3-64 of [slots_off, slots_off + data_len) */
    uint64_t hdr_check;   /* XXH3-64 of this header with hdr_check zero */
    uint8_t pad[TBL_IDX_HDR - 136];
} tbl_idx_hdr;
_Static_assert(sizeof(tbl_idx_hdr) == TBL_IDX_HDR, "index header size");

/* A table's index as a reader sees it: pointers into the map. */
typedef struct tbl_idx {
    const tbl_idx_hdr *hdr;
    const uint8_t *recs;    /* the slots */
    const uint64_t *filter; /* NULL, or 2 * filter_bits / 64 words */
    const uint64_t *pairs;  /* NULL, or pair_bits / 64 words */
    uint64_t pair_mask;
    uint64_t mask;
    uint32_t max_probe;
    uint32_t rec_size;
    uint32_t group_len;
    uint32_t filter_k;
    uint64_t filter_mask;
    uint64_t nslots;
    uint64_t ntotal;
} tbl_idx;

/* Checks a header found at p (len bytes) and fills ix. Cheap: touches the
 * header only. Returns 0 or -CLAIMD_ETBL_BAD_INDEX / -CLAIMD_ETBL_LAYOUT. */
int tbl_idx_attach(const void *p, size_t len, tbl_table t, tbl_idx *ix);

/* Full checksum of an attached index. Returns 0 or -CLAIMD_ETBL_BAD_INDEX. */
int tbl_idx_check(const tbl_idx *ix);

/* Finds the group of gkey: its first slot and row count. Returns false when
 * absent. */
bool tbl_idx_find(const tbl_idx *ix, const uint8_t *gkey, uint32_t *first, uint32_t *count);

/* The filter's bit positions for a code (6 bytes, NUL-padded). */
uint64_t tbl_code_hash(const uint8_t *code6);

/* The NCCI pair filter: false when the pair whose key hashes to hash
 * (tbl_idx_hash) is certainly in no edit. Two bits of a Bloom filter sized
 * about 12 bits a pair: a few MiB, against the index's 128. */
static inline bool tbl_pair_may_have(const tbl_idx *ix, uint64_t hash)
{
    if (!ix->pairs)
        return true;
    uint64_t a = (hash >> 32) & ix->pair_mask;
    uint64_t b = ((hash * 0x9E3779B97F4A7C15ull) >> 32) & ix->pair_mask;
    return (ix->pairs[a / 64] >> (a % 64) & 1) && (ix->pairs[b / 64] >> (b % 64) & 1);
}

/* Starts loading the cache lines a tbl_idx_find of gkey will read first. */
void tbl_idx_prefetch(const tbl_idx *ix, const uint8_t *gkey);

/* The same steps with the key's hash computed once by the caller (batched
 * lookups hash each key once for the prefetch and the probe). */
uint64_t tbl_idx_hash(const tbl_idx *ix, const uint8_t *gkey);
void tbl_idx_prefetch_h(const tbl_idx *ix, uint64_t hash);
bool tbl_idx_find_h(const tbl_idx *ix, const uint8_t *gkey, uint64_t hash, uint32_t *first,
                    uint32_t *count);

/* LMDB's codes to ours: errno values (positive) to -errno, MDB_NOTFOUND to
 * -CLAIMD_ETBL_NOT_FOUND, corruption to -CLAIMD_ETBL_CORRUPT, the rest to
 * -CLAIMD_ETBL_LMDB. */
int tbl_mdb_err(int rc);

/* Names of the databases in an environment. */
#define TBL_DB_META "meta"
#define TBL_DB_IDX  "idx"

/* The meta records (value layouts). */
#define TBL_META_INFO   "info"    /* tbl_meta_info */
#define TBL_META_SOURCE "source:" /* + 4 digits: tbl_source */
#define TBL_META_TABLE  "table:"  /* + table name: tbl_table_stats */

typedef struct tbl_meta_info {
    uint32_t layout;
    uint32_t nsources;
    char name[64];
    char claimdb_version[32];
    char build_time[32];
} tbl_meta_info;

struct tbl_version {
    _Atomic long refs;
    MDB_env *env;
    MDB_txn *txn; /* held for the version's life: pins every index pointer */
    MDB_dbi dbi[TBL_TABLE_COUNT];
    MDB_dbi meta_dbi;
    tbl_idx idx[TBL_TABLE_COUNT];
    bool has[TBL_TABLE_COUNT];
    tbl_info info;
    tbl_source *sources;
    char path[4096];
};

#endif
