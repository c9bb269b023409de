/* Opening versions (refcounted), the zero-copy hash lookups, B-tree readers
 * and ROOT/current switching. No locks: a version is immutable, its indexes
 * are pinned by one read transaction held for its life, and references are
 * C11 atomics. */
#define _GNU_SOURCE /* realpath */
#include "claimd/error.h"
#include "claimd/tables.h"
#include "tbl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- opening ------------------------------------------------------------ */

static bool has_file(const char *dir, const char *name)
{
    char p[PATH_MAX + 32];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* A version directory, or ROOT/current. */
static int resolve(const char *path, char *out)
{
    char p[PATH_MAX + 32];
    if (has_file(path, "data.mdb"))
        snprintf(p, sizeof p, "%s", path);
    else if (has_file(path, "current/data.mdb"))
        snprintf(p, sizeof p, "%s/current", path);
    else
        return -CLAIMD_ETBL_NOT_VERSION;
    if (!realpath(p, out))
        return -errno;
    return 0;
}

static int env_open(tbl_version *v, unsigned extra)
{
    char p[PATH_MAX + 32];
    struct stat st;
    snprintf(p, sizeof p, "%s/data.mdb", v->path);
    if (stat(p, &st) != 0)
        return -errno;
    int rc = tbl_mdb_err(mdb_env_create(&v->env));
    if (rc < 0)
        return rc;
    rc = tbl_mdb_err(mdb_env_set_maxdbs(v->env, TBL_TABLE_COUNT + 4));
    if (rc == 0) /* workers + control + reload slack, across processes */
        rc = tbl_mdb_err(mdb_env_set_maxreaders(v->env, 1022));
    if (rc == 0)
        rc = tbl_mdb_err(mdb_env_set_mapsize(v->env, (size_t)st.st_size));
    if (rc == 0)
        rc = tbl_mdb_err(
            mdb_env_open(v->env, v->path, MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD | extra, 0644));
    if (rc == 0) {
        /* A file cut short (a copy or a download that stopped) still has
         * its meta pages, which say how many pages it should hold: LMDB maps
         * that much, and touching a page past the file's end is SIGBUS. */
        MDB_envinfo ei;
        MDB_stat ms;
        rc = tbl_mdb_err(mdb_env_info(v->env, &ei));
        if (rc == 0)
            rc = tbl_mdb_err(mdb_env_stat(v->env, &ms));
        if (rc == 0 && ((uint64_t)ei.me_last_pgno + 1) * ms.ms_psize > (uint64_t)st.st_size)
            rc = -CLAIMD_ETBL_CORRUPT;
    }
    if (rc < 0) {
        mdb_env_close(v->env);
        v->env = NULL;
    }
    return rc;
}

static int read_meta(tbl_version *v, MDB_txn *txn)
{
    MDB_val k = {strlen(TBL_META_INFO), TBL_META_INFO}, d;
    int rc = tbl_mdb_err(mdb_get(txn, v->meta_dbi, &k, &d));
    if (rc < 0)
        return rc == -CLAIMD_ETBL_NOT_FOUND ? -CLAIMD_ETBL_NOT_VERSION : rc;
    tbl_meta_info mi;
    if (d.mv_size != sizeof mi)
        return -CLAIMD_ETBL_LAYOUT;
    memcpy(&mi, d.mv_data, sizeof mi);
    if (mi.layout != TBL_LAYOUT_VERSION)
        return -CLAIMD_ETBL_LAYOUT;
    memcpy(v->info.name, mi.name, sizeof mi.name);
    memcpy(v->info.claimdb_version, mi.claimdb_version, sizeof mi.claimdb_version);
    memcpy(v->info.build_time, mi.build_time, sizeof mi.build_time);
    v->info.layout = mi.layout;
    v->sources = calloc(mi.nsources ? mi.nsources : 1, sizeof *v->sources);
    if (!v->sources)
        return -ENOMEM;
    for (uint32_t i = 0; i < mi.nsources; i++) {
        char key[32];
        snprintf(key, sizeof key, TBL_META_SOURCE "%04u", i);
        MDB_val sk = {strlen(key), key};
        rc = tbl_mdb_err(mdb_get(txn, v->meta_dbi, &sk, &d));
        if (rc < 0 || d.mv_size != sizeof(tbl_source))
            return rc < 0 ? rc : -CLAIMD_ETBL_LAYOUT;
        memcpy(&v->sources[i], d.mv_data, sizeof(tbl_source));
    }
    v->info.nsources = mi.nsources;
    v->info.sources = v->sources;
    for (int t = 0; t < TBL_TABLE_COUNT; t++) {
        char key[32];
        snprintf(key, sizeof key, TBL_META_TABLE "%s", tbl_descs[t].name);
        MDB_val tk = {strlen(key), key};
        if (mdb_get(txn, v->meta_dbi, &tk, &d) == 0 && d.mv_size == sizeof(tbl_table_stats))
            memcpy(&v->info.tables[t], d.mv_data, sizeof(tbl_table_stats));
    }
    return 0;
}

/* Opens every handle in a short transaction that commits, so the handles
 * belong to the environment (readers' transactions use them too). */
static int open_dbis(tbl_version *v, MDB_dbi *idx_dbi)
{
    MDB_txn *txn;
    int rc = tbl_mdb_err(mdb_txn_begin(v->env, NULL, MDB_RDONLY, &txn));
    if (rc < 0)
        return rc;
    rc = tbl_mdb_err(mdb_dbi_open(txn, TBL_DB_META, 0, &v->meta_dbi));
    if (rc == -CLAIMD_ETBL_NOT_FOUND)
        rc = -CLAIMD_ETBL_NOT_VERSION;
    if (rc == 0)
        rc = read_meta(v, txn);
    if (rc == 0)
        rc = tbl_mdb_err(mdb_dbi_open(txn, TBL_DB_IDX, 0, idx_dbi));
    if (rc == -CLAIMD_ETBL_NOT_FOUND) /* a version with no table at all */
        rc = 0, *idx_dbi = 0;
    for (int t = 0; rc == 0 && t < TBL_TABLE_COUNT; t++) {
        int r = tbl_mdb_err(mdb_dbi_open(txn, tbl_descs[t].name, 0, &v->dbi[t]));
        if (r == 0)
            v->has[t] = true;
        else if (r != -CLAIMD_ETBL_NOT_FOUND)
            rc = r;
    }
    if (rc < 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return tbl_mdb_err(mdb_txn_commit(txn));
}

static int attach_indexes(tbl_version *v, MDB_dbi idx_dbi, unsigned flags)
{
    for (int t = 0; t < TBL_TABLE_COUNT; t++) {
        if (!v->has[t])
            continue;
        if (!idx_dbi)
            return -CLAIMD_ETBL_BAD_INDEX;
        MDB_val k = {strlen(tbl_descs[t].name), (void *)tbl_descs[t].name}, d;
        int rc = tbl_mdb_err(mdb_get(v->txn, idx_dbi, &k, &d));
        if (rc < 0)
            return rc == -CLAIMD_ETBL_NOT_FOUND ? -CLAIMD_ETBL_BAD_INDEX : rc;
        rc = tbl_idx_attach(d.mv_data, d.mv_size, (tbl_table)t, &v->idx[t]);
        if (rc == 0 && (flags & TBL_OPEN_VERIFY))
            rc = tbl_idx_check(&v->idx[t]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void version_free(tbl_version *v)
{
    if (v->txn)
        mdb_txn_abort(v->txn);
    if (v->env)
        mdb_env_close(v->env);
    free(v->sources);
    free(v);
}

int tbl_open(const char *path, unsigned flags, tbl_version **out)
{
    if (!path || !out)
        return -EINVAL;
    tbl_version *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    MDB_dbi idx_dbi = 0;
    int rc = resolve(path, v->path);
    if (rc < 0)
        goto fail;
    rc = env_open(v, 0);
    if (rc == -EACCES || rc == -EROFS || rc == -EPERM) /* no writable lock.mdb: */
        rc = env_open(v, MDB_NOLOCK);                  /* immutable, no writer ever */
    if (rc < 0)
        goto fail;
    int dead;
    mdb_reader_check(v->env, &dead);
    rc = open_dbis(v, &idx_dbi);
    if (rc < 0)
        goto fail;
    rc = tbl_mdb_err(mdb_txn_begin(v->env, NULL, MDB_RDONLY, &v->txn));
    if (rc < 0)
        goto fail;
    rc = attach_indexes(v, idx_dbi, flags);
    if (rc < 0)
        goto fail;
    atomic_init(&v->refs, 1);
    *out = v;
    return 0;
fail:
    version_free(v);
    return rc;
}

void tbl_version_acquire(tbl_version *v)
{
    atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
}

void tbl_version_release(tbl_version *v)
{
    if (v && atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
        version_free(v);
}

void tbl_close(tbl_version *v)
{
    tbl_version_release(v);
}

const char *tbl_version_path(const tbl_version *v)
{
    return v->path;
}

const tbl_info *tbl_version_info(const tbl_version *v)
{
    return &v->info;
}

int tbl_version_check(const tbl_version *v)
{
    for (int t = 0; t < TBL_TABLE_COUNT; t++)
        if (v->has[t] && tbl_idx_check(&v->idx[t]) < 0)
            return -CLAIMD_ETBL_BAD_INDEX;
    return 0;
}

/* ---- lookups ----------------------------------------------------------- */

typedef bool (*match_fn)(const void *rec, const void *arg);

/* Finds the group of gkey and, among its rows that match, the one whose
 * period covers dos (the latest from: rows sort by key, from, to). */
static int lookup_h(const tbl_version *v, tbl_table t, const uint8_t *gkey, uint64_t hash,
                    uint32_t dos, match_fn match, const void *arg, const void **out)
{
    const tbl_idx *ix = &v->idx[t];
    uint32_t first, n;
    if (!tbl_idx_find_h(ix, gkey, hash, &first, &n))
        return -CLAIMD_ETBL_NOT_FOUND;
    const tbl_desc *d = &tbl_descs[t];
    const uint8_t *r = ix->recs + (size_t)first * ix->rec_size;
    const void *best = NULL;
    bool seen = false;
    for (uint32_t i = 0; i < n; i++, r += ix->rec_size) {
        if (match && !match(r, arg))
            continue;
        seen = true;
        tbl_period p = tbl_rec_period(d, r);
        if (p.from <= dos && dos <= p.to)
            best = r;
    }
    if (best) {
        *out = best;
        return 0;
    }
    return seen ? -CLAIMD_ETBL_NOT_EFFECTIVE : -CLAIMD_ETBL_NOT_FOUND;
}

static int lookup(const tbl_version *v, tbl_table t, const uint8_t *gkey, uint32_t dos,
                  match_fn match, const void *arg, const void **out)
{
    if (!v->has[t])
        return -CLAIMD_ETBL_NOT_FOUND;
    return lookup_h(v, t, gkey, tbl_idx_hash(&v->idx[t], gkey), dos, match, arg, out);
}

#define KEY1(buf, s, n)                                                                            \
    do {                                                                                           \
        if (!tbl_put_code((buf), (s), (n)))                                                        \
            return -CLAIMD_ETBL_NOT_FOUND;                                                         \
    } while (0)

int tbl_icd10_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_icd10 **out)
{
    uint8_t k[8];
    KEY1(k, code, 7);
    k[7] = 0;
    return lookup(v, TBL_ICD10CM, k, dos, NULL, NULL, (const void **)out);
}

int tbl_hcpcs_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_hcpcs **out)
{
    uint8_t k[6];
    KEY1(k, code, 5);
    k[5] = 0;
    return lookup(v, TBL_HCPCS, k, dos, NULL, NULL, (const void **)out);
}

static bool match_rvu_mod(const void *rec, const void *arg)
{
    return memcmp(((const tbl_rvu *)rec)->mod, arg, 3) == 0;
}

int tbl_rvu_get(const tbl_version *v, const char *code, const char *mod, uint32_t dos,
                const tbl_rvu **out)
{
    uint8_t k[6], m[3] = {0};
    KEY1(k, code, 5);
    k[5] = 0;
    KEY1(m, mod, 2);
    return lookup(v, TBL_RVU, k, dos, match_rvu_mod, m, (const void **)out);
}

int tbl_gpci_get(const tbl_version *v, const char *carrier, const char *locality, uint32_t dos,
                 const tbl_gpci **out)
{
    uint8_t k[9] = {0};
    KEY1(k, carrier, 5);
    KEY1(k + 6, locality, 2);
    return lookup(v, TBL_GPCI, k, dos, NULL, NULL, (const void **)out);
}

int tbl_zip5_get(const tbl_version *v, const char *zip, uint32_t dos, const tbl_zip5 **out)
{
    uint8_t k[6] = {0};
    KEY1(k, zip, 5);
    return lookup(v, TBL_ZIP5, k, dos, NULL, NULL, (const void **)out);
}

static bool match_plus4(const void *rec, const void *arg)
{
    const tbl_zip9 *z = rec;
    const char *hi = z->plus4_hi[0] ? z->plus4_hi : z->plus4_lo;
    return strncmp(z->plus4_lo, arg, 4) <= 0 && strncmp(arg, hi, 4) <= 0;
}

int tbl_zip9_get(const tbl_version *v, const char *zip, const char *plus4, uint32_t dos,
                 const tbl_zip9 **out)
{
    uint8_t k[6] = {0};
    char p4[5] = {0};
    KEY1(k, zip, 5);
    if (!plus4 || strlen(plus4) != 4)
        return -CLAIMD_ETBL_NOT_FOUND;
    memcpy(p4, plus4, 4);
    return lookup(v, TBL_ZIP9, k, dos, match_plus4, p4, (const void **)out);
}

static inline bool filter_has(const tbl_idx *ix, const uint64_t *bits, const uint8_t *code6)
{
    uint64_t h = tbl_code_hash(code6);
    uint64_t a = h & ix->filter_mask, b = (h >> 32) & ix->filter_mask;
    return (bits[a / 64] >> (a % 64) & 1) && (bits[b / 64] >> (b % 64) & 1);
}

int tbl_ncci_get(const tbl_version *v, const char *col1, const char *col2, uint32_t dos,
                 const tbl_ncci **out)
{
    uint8_t k[12] = {0};
    KEY1(k, col1, 5);
    KEY1(k + 6, col2, 5);
    if (!v->has[TBL_NCCI])
        return -CLAIMD_ETBL_NOT_FOUND;
    const tbl_idx *ix = &v->idx[TBL_NCCI];
    if (ix->filter && (!filter_has(ix, ix->filter, k) ||
                       !filter_has(ix, ix->filter + (ix->filter_mask + 1) / 64, k + 6)))
        return -CLAIMD_ETBL_NOT_FOUND;
    uint64_t h = tbl_idx_hash(ix, k);
    if (!tbl_pair_may_have(ix, h))
        return -CLAIMD_ETBL_NOT_FOUND;
    return lookup_h(v, TBL_NCCI, k, h, dos, NULL, NULL, (const void **)out);
}

void tbl_prefetch(const tbl_version *v, tbl_table t, const char *code)
{
    if ((unsigned)t >= TBL_TABLE_COUNT || !v->has[t] || tbl_descs[t].ngfields != 1)
        return;
    /* a code field keeps one byte for its NUL, as in the lookups above */
    uint8_t k[TBL_KEY_MAX] = {0};
    if (!tbl_put_code(k, code, (size_t)tbl_descs[t].gfield_len[0] - 1))
        return;
    tbl_idx_prefetch(&v->idx[t], k);
}

void tbl_ncci_prefetch(const tbl_version *v, const char *col1, const char *col2)
{
    uint8_t k[12] = {0};
    if (!v->has[TBL_NCCI] || !tbl_put_code(k, col1, 5) || !tbl_put_code(k + 6, col2, 5))
        return;
    tbl_idx_prefetch(&v->idx[TBL_NCCI], k);
}

void tbl_ncci_get_many(const tbl_version *v, tbl_ncci_query *q, size_t n)
{
    enum { CHUNK = 16 };
    const tbl_idx *ix = &v->idx[TBL_NCCI];
    for (size_t base = 0; base < n; base += CHUNK) {
        size_t m = n - base < CHUNK ? n - base : CHUNK;
        uint8_t k[CHUNK][12];
        uint64_t h[CHUNK];
        bool live[CHUNK];
        /* pass 1: key, filter, hash and prefetch: the misses overlap */
        for (size_t i = 0; i < m; i++) {
            tbl_ncci_query *x = &q[base + i];
            x->out = NULL;
            x->rc = -CLAIMD_ETBL_NOT_FOUND;
            memset(k[i], 0, sizeof k[i]);
            live[i] = v->has[TBL_NCCI] && tbl_put_code(k[i], x->col1, 5) &&
                      tbl_put_code(k[i] + 6, x->col2, 5) &&
                      (!ix->filter ||
                       (filter_has(ix, ix->filter, k[i]) &&
                        filter_has(ix, ix->filter + (ix->filter_mask + 1) / 64, k[i] + 6)));
            if (live[i]) {
                h[i] = tbl_idx_hash(ix, k[i]);
                live[i] = tbl_pair_may_have(ix, h[i]);
            }
            if (live[i])
                tbl_idx_prefetch_h(ix, h[i]);
        }
        /* pass 2: probe */
        for (size_t i = 0; i < m; i++) {
            tbl_ncci_query *x = &q[base + i];
            if (live[i])
                x->rc =
                    lookup_h(v, TBL_NCCI, k[i], h[i], x->dos, NULL, NULL, (const void **)&x->out);
        }
    }
}

int tbl_ncci_any(const tbl_version *v, const char *code)
{
    uint8_t k[6] = {0};
    if (!v->has[TBL_NCCI] || !tbl_put_code(k, code, 5))
        return 0;
    const tbl_idx *ix = &v->idx[TBL_NCCI];
    if (!ix->filter)
        return 1;
    return filter_has(ix, ix->filter, k) ||
           filter_has(ix, ix->filter + (ix->filter_mask + 1) / 64, k);
}

int tbl_mue_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_mue **out)
{
    uint8_t k[6] = {0};
    KEY1(k, code, 5);
    return lookup(v, TBL_MUE, k, dos, NULL, NULL, (const void **)out);
}

static bool match_sex(const void *rec, const void *arg)
{
    return ((const tbl_agesex *)rec)->sex == *(const char *)arg;
}

int tbl_agesex_get(const tbl_version *v, const char *code, char sex, uint32_t dos,
                   const tbl_agesex **out)
{
    uint8_t k[8] = {0};
    KEY1(k, code, 7);
    if (sex == 'm' || sex == 'f')
        sex = (char)(sex - 32);
    if (sex == 0)
        return lookup(v, TBL_AGESEX, k, dos, NULL, NULL, (const void **)out);
    /* that sex's row, else the row without a limit, else any row: the
     * caller compares rec->sex with the patient's and sees the conflict */
    int rc = lookup(v, TBL_AGESEX, k, dos, match_sex, &sex, (const void **)out);
    if (rc < 0) {
        char none = 0;
        rc = lookup(v, TBL_AGESEX, k, dos, match_sex, &none, (const void **)out);
    }
    if (rc < 0)
        rc = lookup(v, TBL_AGESEX, k, dos, NULL, NULL, (const void **)out);
    return rc;
}

int tbl_oppscap_get(const tbl_version *v, const char *code, const char *mod, const char *carrier,
                    const char *locality, uint32_t dos, const tbl_oppscap **out)
{
    uint8_t k[18] = {0};
    KEY1(k, code, 5);
    KEY1(k + 6, mod, 2);
    KEY1(k + 9, carrier, 5);
    KEY1(k + 15, locality, 2);
    return lookup(v, TBL_OPPSCAP, k, dos, NULL, NULL, (const void **)out);
}

int tbl_pos_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_pos **out)
{
    uint8_t k[3] = {0};
    KEY1(k, code, 2);
    return lookup(v, TBL_POS, k, dos, NULL, NULL, (const void **)out);
}

int tbl_modifier_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_modifier **out)
{
    uint8_t k[3] = {0};
    KEY1(k, code, 2);
    return lookup(v, TBL_MODIFIER, k, dos, NULL, NULL, (const void **)out);
}

int tbl_pos_valid(const tbl_version *v, const char *code, uint32_t dos)
{
    const tbl_pos *p;
    return tbl_pos_get(v, code, dos, &p) == 0;
}

int tbl_modifier_valid(const tbl_version *v, const char *code, uint32_t dos)
{
    const tbl_modifier *m;
    return tbl_modifier_get(v, code, dos, &m) == 0;
}

int tbl_group(const tbl_version *v, tbl_table t, const char *const *fields, size_t nfields,
              const void **recs, size_t *n)
{
    if ((unsigned)t >= TBL_TABLE_COUNT)
        return -CLAIMD_ETBL_NO_TABLE;
    uint8_t k[TBL_KEY_MAX];
    int rc = tbl_group_key(&tbl_descs[t], fields, nfields, k);
    if (rc < 0)
        return rc;
    uint32_t first, cnt;
    if (!v->has[t] || !tbl_idx_find(&v->idx[t], k, &first, &cnt))
        return -CLAIMD_ETBL_NOT_FOUND;
    *recs = v->idx[t].recs + (size_t)first * v->idx[t].rec_size;
    *n = cnt;
    return 0;
}

/* ---- B-tree readers ----------------------------------------------------- */

struct tbl_reader {
    tbl_version *v;
    MDB_txn *txn;
};

int tbl_reader_open(tbl_version *v, tbl_reader **out)
{
    tbl_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return -ENOMEM;
    int rc = tbl_mdb_err(mdb_txn_begin(v->env, NULL, MDB_RDONLY, &rd->txn));
    if (rc < 0) {
        free(rd);
        return rc;
    }
    tbl_version_acquire(v);
    rd->v = v;
    *out = rd;
    return 0;
}

void tbl_reader_reset(tbl_reader *rd)
{
    mdb_txn_reset(rd->txn);
}

int tbl_reader_renew(tbl_reader *rd)
{
    return tbl_mdb_err(mdb_txn_renew(rd->txn));
}

void tbl_reader_close(tbl_reader *rd)
{
    if (!rd)
        return;
    mdb_txn_abort(rd->txn);
    tbl_version_release(rd->v);
    free(rd);
}

struct MDB_env *tbl_reader_env(tbl_reader *rd)
{
    return rd->v->env;
}

struct MDB_txn *tbl_reader_txn(tbl_reader *rd)
{
    return rd->txn;
}

unsigned int tbl_reader_dbi(tbl_reader *rd, tbl_table t)
{
    return (unsigned)t < TBL_TABLE_COUNT && rd->v->has[t] ? rd->v->dbi[t] : 0;
}

int tbl_reader_group(tbl_reader *rd, tbl_table t, const char *const *fields, size_t nfields,
                     tbl_row_fn fn, void *ctx, uint64_t *nrows)
{
    if ((unsigned)t >= TBL_TABLE_COUNT)
        return -CLAIMD_ETBL_NO_TABLE;
    const tbl_desc *d = &tbl_descs[t];
    uint8_t k[TBL_KEY_MAX];
    int rc = tbl_group_key(d, fields, nfields, k);
    uint64_t rows = 0;
    if (rc == -CLAIMD_ETBL_NOT_FOUND || (rc == 0 && !rd->v->has[t]))
        goto done;
    if (rc < 0)
        return rc;
    MDB_cursor *c;
    rc = tbl_mdb_err(mdb_cursor_open(rd->txn, rd->v->dbi[t], &c));
    if (rc < 0)
        return rc;
    _Alignas(16) uint8_t buf[512];
    MDB_val key = {d->group_len, k}, val;
    int mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
    while (mrc == 0 && rc == 0 && key.mv_size == d->key_len + 8u &&
           memcmp(key.mv_data, k, d->group_len) == 0) {
        if (val.mv_size != d->rec_size || val.mv_size > sizeof buf) {
            rc = -CLAIMD_ETBL_CORRUPT;
            break;
        }
        memcpy(buf, val.mv_data, val.mv_size);
        rows++;
        rc = fn ? fn(ctx, buf) : 0;
        if (rc == 0)
            mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = tbl_mdb_err(mrc);
    mdb_cursor_close(c);
done:
    if (nrows)
        *nrows = rows;
    return rc;
}

/* ---- roots ---------------------------------------------------------------- */

struct tbl_root {
    _Atomic(tbl_version *) cur;
    _Atomic long acquiring; /* readers between loading cur and taking a reference */
    char path[PATH_MAX];
};

int tbl_root_open(const char *root, tbl_root **out)
{
    tbl_root *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    char cur[PATH_MAX + 16];
    snprintf(r->path, sizeof r->path, "%s", root);
    snprintf(cur, sizeof cur, "%s/current", root);
    tbl_version *v;
    int rc = tbl_open(cur, 0, &v);
    if (rc < 0) {
        free(r);
        return rc;
    }
    atomic_init(&r->cur, v);
    atomic_init(&r->acquiring, 0);
    *out = r;
    return 0;
}

tbl_version *tbl_root_acquire(tbl_root *r)
{
    atomic_fetch_add(&r->acquiring, 1);
    tbl_version *v = atomic_load(&r->cur);
    tbl_version_acquire(v);
    atomic_fetch_sub(&r->acquiring, 1);
    return v;
}

int tbl_root_update(tbl_root *r, tbl_version **held)
{
    if (*held && atomic_load_explicit(&r->cur, memory_order_acquire) == *held)
        return 0;
    tbl_version *v = tbl_root_acquire(r);
    tbl_version_release(*held);
    *held = v;
    return 1;
}

int tbl_root_poll(tbl_root *r)
{
    char cur[PATH_MAX + 16], real[PATH_MAX];
    snprintf(cur, sizeof cur, "%s/current", r->path);
    if (!realpath(cur, real))
        return -errno;
    tbl_version *old = atomic_load(&r->cur);
    if (strcmp(real, old->path) == 0)
        return 0;
    tbl_version *nv;
    int rc = tbl_open(real, 0, &nv);
    if (rc < 0)
        return rc;
    atomic_exchange(&r->cur, nv);
    /* A reader that loaded old before the exchange takes its reference
     * before leaving `acquiring`; wait for those, then drop the root's. */
    while (atomic_load(&r->acquiring) != 0)
        sched_yield();
    tbl_version_release(old);
    return 1;
}

void tbl_root_close(tbl_root *r)
{
    if (!r)
        return;
    tbl_version_release(atomic_load(&r->cur));
    free(r);
}

int tbl_root_activate(const char *root, const char *name)
{
    if (!root || !name || !*name || strchr(name, '/'))
        return -EINVAL;
    char target[PATH_MAX], ver[PATH_MAX + 16], tmp[PATH_MAX + 32], cur[PATH_MAX + 16];
    if ((size_t)snprintf(target, sizeof target, "versions/%s", name) >= sizeof target)
        return -ENAMETOOLONG;
    snprintf(ver, sizeof ver, "%s/%s", root, target);
    if (!has_file(ver, "data.mdb"))
        return -CLAIMD_ETBL_NOT_VERSION;
    tbl_version *v;
    int rc = tbl_open(ver, TBL_OPEN_VERIFY, &v);
    if (rc < 0)
        return rc;
    tbl_close(v);
    snprintf(tmp, sizeof tmp, "%s/.current.tmp.%ld", root, (long)getpid());
    snprintf(cur, sizeof cur, "%s/current", root);
    unlink(tmp);
    if (symlink(target, tmp) != 0)
        return -errno;
    if (rename(tmp, cur) != 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
