/* Building one version: records are staged in memory per table, sorted by
 * their B-tree key (key fields, from, to), duplicates folded (the later row
 * wins), then written with MDB_APPEND, one write transaction per table, with
 * the table's hash index stored beside it as one large value. */
#define _GNU_SOURCE /* qsort_r */
#define XXH_INLINE_ALL
#include "claimd/error.h"
#include "claimd/tables.h"
#include "tbl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#ifndef CLAIMD_VERSION
#define CLAIMD_VERSION "0"
#endif

const char *const tbl_cpt_modifiers[] = {
    "22", "23", "24", "25", "26", "27", "32", "33", "47", "50", "51", "52", "53", "54", "55", "56",
    "57", "58", "59", "62", "63", "66", "73", "74", "76", "77", "78", "79", "80", "81", "82", "90",
    "91", "92", "93", "95", "96", "97", "99", "P1", "P2", "P3", "P4", "P5", "P6", NULL,
};

/* A staged row: [B-tree key][seq u32][record], each part aligned. */
typedef struct stage {
    uint8_t *buf;
    size_t n, cap;
    uint32_t klen, seq_off, rec_off, esize;
    uint64_t dups;
} stage;

struct tbl_build {
    stage st[TBL_TABLE_COUNT];
    tbl_source *src;
    size_t nsrc, capsrc;
    uint32_t seq;
    char name[64];
};

#define ALIGN(x, a) (((x) + (a)-1) / (a) * (a))

int tbl_build_create(const char *name, tbl_build **out)
{
    tbl_build *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    for (int t = 0; t < TBL_TABLE_COUNT; t++) {
        stage *s = &b->st[t];
        s->klen = tbl_descs[t].key_len + 8;
        s->seq_off = ALIGN(s->klen, 4);
        s->rec_off = ALIGN(s->seq_off + 4, 8);
        s->esize = ALIGN(s->rec_off + tbl_descs[t].rec_size, 8);
    }
    if (name)
        snprintf(b->name, sizeof b->name, "%s", name);
    *out = b;
    return 0;
}

void tbl_build_free(tbl_build *b)
{
    if (!b)
        return;
    for (int t = 0; t < TBL_TABLE_COUNT; t++)
        free(b->st[t].buf);
    free(b->src);
    free(b);
}

/* A code field in canonical form: upper case, zero after its end. */
static void canon(char *f, size_t n)
{
    size_t i = 0;
    for (; i < n && f[i]; i++)
        if (f[i] >= 'a' && f[i] <= 'z')
            f[i] = (char)(f[i] - 32);
    for (; i < n; i++)
        f[i] = 0;
}

/* Copies the whole record (fields added to tblsrc.h later come along) and
 * puts its key fields in canonical form, so equal keys are equal bytes. */
static void canon_rec(tbl_table t, void *r)
{
    switch (t) {
    case TBL_ICD10CM:
        canon(((tbl_icd10 *)r)->code, 8);
        break;
    case TBL_HCPCS:
        canon(((tbl_hcpcs *)r)->code, 6);
        break;
    case TBL_RVU:
        canon(((tbl_rvu *)r)->code, 6);
        canon(((tbl_rvu *)r)->mod, 3);
        break;
    case TBL_GPCI:
        canon(((tbl_gpci *)r)->carrier, 6);
        canon(((tbl_gpci *)r)->locality, 3);
        break;
    case TBL_ZIP5:
        canon(((tbl_zip5 *)r)->zip, 6);
        break;
    case TBL_ZIP9:
        canon(((tbl_zip9 *)r)->zip, 6);
        canon(((tbl_zip9 *)r)->plus4_lo, 5);
        canon(((tbl_zip9 *)r)->plus4_hi, 5);
        break;
    case TBL_NCCI:
        canon(((tbl_ncci *)r)->col1, 6);
        canon(((tbl_ncci *)r)->col2, 6);
        break;
    case TBL_MUE:
        canon(((tbl_mue *)r)->code, 6);
        break;
    case TBL_POS:
        canon(((tbl_pos *)r)->code, 3);
        break;
    case TBL_AGESEX:
        canon(((tbl_agesex *)r)->code, 8);
        break;
    case TBL_MODIFIER:
        canon(((tbl_modifier *)r)->code, 3);
        break;
    case TBL_OPPSCAP:
        canon(((tbl_oppscap *)r)->code, 6);
        canon(((tbl_oppscap *)r)->mod, 3);
        canon(((tbl_oppscap *)r)->carrier, 6);
        canon(((tbl_oppscap *)r)->locality, 3);
        break;
    default:
        break;
    }
}

static int stage_add(tbl_build *b, tbl_table t, const void *rec)
{
    stage *s = &b->st[t];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint8_t *nb = realloc(s->buf, cap * s->esize);
        if (!nb)
            return -ENOMEM;
        s->buf = nb;
        s->cap = cap;
    }
    uint8_t *e = s->buf + s->n * s->esize;
    memset(e, 0, s->esize);
    uint8_t *r = e + s->rec_off;
    memcpy(r, rec, tbl_descs[t].rec_size);
    canon_rec(t, r);
    tbl_record_key(t, r, e);
    uint32_t seq = b->seq++;
    memcpy(e + s->seq_off, &seq, 4);
    s->n++;
    return 0;
}

int tbl_build_add(tbl_build *b, const tblsrc_rec *rec)
{
    if (!b || !rec)
        return -EINVAL;
    int t = tbl_table_for_kind(rec->kind);
    if (t < 0)
        return t;
    int rc = stage_add(b, (tbl_table)t, &rec->u);
    if (rc == 0 && rec->kind == TBLSRC_HCPCS && rec->u.hcpcs.is_modifier) {
        /* Level II modifiers are valid modifiers for their HCPCS period. */
        tbl_modifier m;
        memset(&m, 0, sizeof m);
        snprintf(m.code, sizeof m.code, "%.2s", rec->u.hcpcs.code);
        m.period = rec->u.hcpcs.period;
        rc = stage_add(b, TBL_MODIFIER, &m);
    }
    return rc;
}

int tbl_build_emit(void *ctx, const tblsrc_rec *rec)
{
    return tbl_build_add(ctx, rec);
}

int tbl_build_source(tbl_build *b, const tbl_source *src)
{
    if (b->nsrc == b->capsrc) {
        size_t cap = b->capsrc ? b->capsrc * 2 : 16;
        tbl_source *n = realloc(b->src, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        b->src = n;
        b->capsrc = cap;
    }
    b->src[b->nsrc++] = *src;
    return 0;
}

/* ---- sorting and folding ------------------------------------------------ */

static int entry_cmp(const void *a, const void *b, void *arg)
{
    const stage *s = arg;
    int c = memcmp(a, b, s->klen);
    if (c)
        return c;
    uint32_t x, y;
    memcpy(&x, (const uint8_t *)a + s->seq_off, 4);
    memcpy(&y, (const uint8_t *)b + s->seq_off, 4);
    return x < y ? -1 : x > y;
}

/* Sorts and keeps the last of each run of equal keys (key + period). */
static void stage_sort(stage *s)
{
    if (s->n < 2)
        return;
    qsort_r(s->buf, s->n, s->esize, entry_cmp, s);
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint8_t *e = s->buf + i * s->esize;
        if (i + 1 < s->n && memcmp(e, e + s->esize, s->klen) == 0) {
            s->dups++;
            continue;
        }
        if (w != i)
            memcpy(s->buf + w * s->esize, e, s->esize);
        w++;
    }
    s->n = w;
}

/* ---- the hash index ---------------------------------------------------- */

typedef struct idx_plan {
    uint64_t ngroups, nbuckets, filter_bits;
    uint32_t max_probe;
    tbl_bucket *buckets; /* heap, placed */
    uint64_t data_len, recs_rel, filter_rel;
} idx_plan;

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static int place_groups(const stage *s, const tbl_desc *d, idx_plan *pl)
{
    for (;;) {
        uint64_t mask = pl->nbuckets - 1;
        pl->max_probe = 0;
        memset(pl->buckets, 0, pl->nbuckets * sizeof(tbl_bucket));
        bool again = false;
        for (size_t i = 0; i < s->n && !again;) {
            const uint8_t *e = s->buf + i * s->esize;
            size_t j = i + 1;
            while (j < s->n && memcmp(e, s->buf + j * s->esize, d->group_len) == 0)
                j++;
            if (j - i > UINT16_MAX || i > UINT32_MAX)
                return -CLAIMD_ETBL_INDEX_FULL;
            uint64_t h = XXH3_64bits(e, d->group_len);
            uint16_t fp = (uint16_t)(h >> 48) ? (uint16_t)(h >> 48) : 1;
            uint64_t b = h & mask;
            for (uint32_t dist = 0;; dist++, b = (b + 1) & mask) {
                tbl_bucket *bk = &pl->buckets[b];
                if (bk->fp[TBL_IDX_SLOTS - 1] != 0)
                    continue; /* full: try the next bucket */
                int slot = 0;
                while (bk->fp[slot])
                    slot++;
                bk->fp[slot] = fp;
                bk->first[slot] = (uint32_t)i;
                bk->count[slot] = (uint16_t)(j - i);
                if (dist > pl->max_probe)
                    pl->max_probe = dist;
                break;
            }
            /* keep probes short: a long chain means a bigger table */
            if (pl->max_probe > 16)
                again = true;
            i = j;
        }
        if (!again)
            return 0;
        tbl_bucket *nb = realloc(pl->buckets, pl->nbuckets * 2 * sizeof(tbl_bucket));
        if (!nb)
            return -ENOMEM;
        pl->buckets = nb;
        pl->nbuckets *= 2;
    }
}

static int plan_index(const stage *s, tbl_table t, idx_plan *pl)
{
    const tbl_desc *d = &tbl_descs[t];
    memset(pl, 0, sizeof *pl);
    uint64_t ncol1 = 0;
    for (size_t i = 0; i < s->n; i++) {
        const uint8_t *e = s->buf + i * s->esize;
        if (i == 0 || memcmp(e, e - s->esize, d->group_len) != 0)
            pl->ngroups++;
        if (t == TBL_NCCI && (i == 0 || memcmp(e, e - s->esize, 6) != 0))
            ncol1++;
    }
    /* 8 slots a bucket, at most 75 % full */
    pl->nbuckets = pow2_at_least((pl->ngroups * 4 + 23) / 24);
    pl->buckets = malloc(pl->nbuckets * sizeof(tbl_bucket));
    if (!pl->buckets)
        return -ENOMEM;
    int rc = place_groups(s, d, pl);
    if (rc < 0)
        return rc;
    if (t == TBL_NCCI) {
        /* about 16 bits per code and two bit positions: ~1.4 % false passes */
        pl->filter_bits = pow2_at_least(ncol1 * 32);
        if (pl->filter_bits < TBL_FILTER_MIN)
            pl->filter_bits = TBL_FILTER_MIN;
    }
    pl->recs_rel = pl->nbuckets * sizeof(tbl_bucket);
    pl->filter_rel = ALIGN(pl->recs_rel + s->n * d->rec_size, TBL_IDX_ALIGN);
    pl->data_len = pl->filter_rel + 2 * pl->filter_bits / 8;
    return 0;
}

static void filter_set(uint64_t *bits, uint64_t nbits, const char *code)
{
    uint8_t k[6];
    tbl_put_code(k, code, 6);
    uint64_t h = tbl_code_hash(k);
    uint64_t a = h & (nbits - 1), b = (h >> 32) & (nbits - 1);
    bits[a / 64] |= 1ull << (a % 64);
    bits[b / 64] |= 1ull << (b % 64);
}

/* Fills the reserved value p (len bytes, already at its final map address). */
static void write_index(uint8_t *p, size_t len, const stage *s, tbl_table t, const idx_plan *pl)
{
    const tbl_desc *d = &tbl_descs[t];
    memset(p, 0, len);
    uint64_t data_off = ALIGN((uintptr_t)p + TBL_IDX_HDR, TBL_IDX_ALIGN) - (uintptr_t)p;
    tbl_idx_hdr h;
    memset(&h, 0, sizeof h);
    h.magic = TBL_IDX_MAGIC;
    h.layout = TBL_LAYOUT_VERSION;
    h.table = (uint32_t)t;
    h.rec_size = d->rec_size;
    h.group_len = d->group_len;
    h.max_probe = pl->max_probe;
    h.filter_k = pl->filter_bits ? 2 : 0;
    h.nbuckets = pl->nbuckets;
    h.nrecs = s->n;
    h.ngroups = pl->ngroups;
    h.size = len;
    h.buckets_off = data_off;
    h.recs_off = data_off + pl->recs_rel;
    h.filter_off = pl->filter_bits ? data_off + pl->filter_rel : 0;
    h.filter_bits = pl->filter_bits;
    h.data_len = pl->data_len;
    memcpy(p + h.buckets_off, pl->buckets, pl->nbuckets * sizeof(tbl_bucket));
    for (size_t i = 0; i < s->n; i++)
        memcpy(p + h.recs_off + i * d->rec_size, s->buf + i * s->esize + s->rec_off, d->rec_size);
    if (pl->filter_bits) {
        uint64_t *f1 = (uint64_t *)(p + h.filter_off);
        uint64_t *f2 = f1 + pl->filter_bits / 64;
        for (size_t i = 0; i < s->n; i++) {
            const tbl_ncci *r = (const tbl_ncci *)(s->buf + i * s->esize + s->rec_off);
            filter_set(f1, pl->filter_bits, r->col1);
            filter_set(f2, pl->filter_bits, r->col2);
        }
    }
    h.checksum = XXH3_64bits(p + h.buckets_off, h.data_len);
    h.hdr_check = XXH3_64bits(&h, sizeof h);
    memcpy(p, &h, sizeof h);
}

/* ---- writing ------------------------------------------------------------ */

static size_t index_value_size(const idx_plan *pl)
{
    size_t n = TBL_IDX_HDR + TBL_IDX_SLACK + pl->data_len;
    /* at least two pages: a large value lives in its own overflow pages and
     * never moves (a small one would sit inside a leaf page) */
    return n < 8192 ? 8192 : n;
}

static int write_table(MDB_env *env, tbl_table t, stage *s, tbl_table_stats *ts)
{
    const tbl_desc *d = &tbl_descs[t];
    idx_plan pl;
    MDB_txn *txn = NULL;
    MDB_dbi dbi, idbi;
    int rc = plan_index(s, t, &pl);
    if (rc < 0)
        goto out;
    rc = tbl_mdb_err(mdb_txn_begin(env, NULL, 0, &txn));
    if (rc < 0)
        goto out;
    rc = tbl_mdb_err(mdb_dbi_open(txn, d->name, MDB_CREATE, &dbi));
    if (rc == 0)
        rc = tbl_mdb_err(mdb_dbi_open(txn, TBL_DB_IDX, MDB_CREATE, &idbi));
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        uint8_t *e = s->buf + i * s->esize;
        MDB_val k = {s->klen, e}, v = {d->rec_size, e + s->rec_off};
        rc = tbl_mdb_err(mdb_put(txn, dbi, &k, &v, MDB_APPEND));
    }
    if (rc < 0)
        goto abort;
    MDB_val ik = {strlen(d->name), (void *)d->name};
    MDB_val iv = {index_value_size(&pl), NULL};
    rc = tbl_mdb_err(mdb_put(txn, idbi, &ik, &iv, MDB_RESERVE));
    if (rc < 0)
        goto abort;
    write_index(iv.mv_data, iv.mv_size, s, t, &pl);
    ts->rows = s->n;
    ts->groups = pl.ngroups;
    ts->duplicates = s->dups;
    ts->index_bytes = iv.mv_size;
    rc = tbl_mdb_err(mdb_txn_commit(txn));
    txn = NULL;
    goto out;
abort:
    mdb_txn_abort(txn);
out:
    free(pl.buckets);
    return rc;
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *val, size_t len)
{
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
    return tbl_mdb_err(mdb_put(txn, dbi, &k, &v, 0));
}

static int write_meta(MDB_env *env, tbl_build *b, const char *dir,
                      const tbl_table_stats stats[TBL_TABLE_COUNT])
{
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = tbl_mdb_err(mdb_txn_begin(env, NULL, 0, &txn));
    if (rc < 0)
        return rc;
    rc = tbl_mdb_err(mdb_dbi_open(txn, TBL_DB_META, MDB_CREATE, &dbi));
    tbl_meta_info mi;
    memset(&mi, 0, sizeof mi);
    mi.layout = TBL_LAYOUT_VERSION;
    mi.nsources = (uint32_t)b->nsrc;
    const char *base = strrchr(dir, '/');
    snprintf(mi.name, sizeof mi.name, "%s", b->name[0] ? b->name : base ? base + 1 : dir);
    snprintf(mi.claimdb_version, sizeof mi.claimdb_version, "%s", CLAIMD_VERSION);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(mi.build_time, sizeof mi.build_time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (rc == 0)
        rc = meta_put(txn, dbi, TBL_META_INFO, &mi, sizeof mi);
    for (size_t i = 0; rc == 0 && i < b->nsrc; i++) {
        char k[32];
        snprintf(k, sizeof k, TBL_META_SOURCE "%04zu", i);
        rc = meta_put(txn, dbi, k, &b->src[i], sizeof b->src[i]);
    }
    for (int t = 0; rc == 0 && t < TBL_TABLE_COUNT; t++) {
        char k[32];
        snprintf(k, sizeof k, TBL_META_TABLE "%s", tbl_descs[t].name);
        rc = meta_put(txn, dbi, k, &stats[t], sizeof stats[t]);
    }
    if (rc < 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return tbl_mdb_err(mdb_txn_commit(txn));
}

static size_t estimate_map(const tbl_build *b)
{
    size_t total = 8u << 20;
    for (int t = 0; t < TBL_TABLE_COUNT; t++) {
        const stage *s = &b->st[t];
        size_t row = s->klen + tbl_descs[t].rec_size + 16;
        /* B-tree: pages as little as half full; index: buckets at >= 25 %
         * load plus the records and the filter */
        size_t idx = 3 * (s->n / 6 + 1) * sizeof(tbl_bucket) * 4 + s->n * tbl_descs[t].rec_size;
        total += 2 * s->n * row + idx + (64u << 10) + (s->n / 2 + 4096) * 4 + 16384;
    }
    return ALIGN(total + total / 4, 1u << 20);
}

static void rm_env_dir(const char *dir)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

/* Cuts data.mdb to the pages in use (the WRITEMAP build grew it to mapsize). */
static int trim_file(const char *dir, size_t used)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (ftruncate(fd, (off_t)used) != 0 || fsync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int write_env(tbl_build *b, const char *tmp, const char *dir,
                     tbl_table_stats stats[TBL_TABLE_COUNT])
{
    MDB_env *env = NULL;
    int rc = tbl_mdb_err(mdb_env_create(&env));
    if (rc < 0)
        return rc;
    rc = tbl_mdb_err(mdb_env_set_maxdbs(env, TBL_TABLE_COUNT + 4));
    if (rc == 0)
        rc = tbl_mdb_err(mdb_env_set_mapsize(env, estimate_map(b)));
    /* WRITEMAP: a reserved value's address is its final place in the map,
     * which the index layout needs to put its buckets on 64-byte lines. */
    if (rc == 0)
        rc = tbl_mdb_err(mdb_env_open(env, tmp, MDB_WRITEMAP | MDB_NOSYNC, 0644));
    for (int t = 0; rc == 0 && t < TBL_TABLE_COUNT; t++)
        if (b->st[t].n)
            rc = write_table(env, (tbl_table)t, &b->st[t], &stats[t]);
    if (rc == 0)
        rc = write_meta(env, b, dir, stats);
    if (rc == 0)
        rc = tbl_mdb_err(mdb_env_sync(env, 1));
    MDB_envinfo ei;
    MDB_stat st;
    size_t used = 0;
    if (rc == 0 && mdb_env_info(env, &ei) == 0 && mdb_env_stat(env, &st) == 0)
        used = (ei.me_last_pgno + 1) * (size_t)st.ms_psize;
    mdb_env_close(env);
    if (rc == 0 && used)
        rc = trim_file(tmp, used);
    return rc;
}

int tbl_build_write(tbl_build *b, const char *dir, tbl_table_stats stats[TBL_TABLE_COUNT])
{
    if (!b || !dir || !*dir)
        return -EINVAL;
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return -EEXIST;
    for (const char *const *m = tbl_cpt_modifiers; *m; m++) {
        tbl_modifier mod;
        memset(&mod, 0, sizeof mod);
        snprintf(mod.code, sizeof mod.code, "%s", *m);
        mod.period = (tbl_period){0, TBL_DATE_OPEN};
        int rc = stage_add(b, TBL_MODIFIER, &mod);
        if (rc < 0)
            return rc;
    }
    tbl_table_stats local[TBL_TABLE_COUNT];
    if (!stats)
        stats = local;
    memset(stats, 0, sizeof local);
    for (int t = 0; t < TBL_TABLE_COUNT; t++)
        stage_sort(&b->st[t]);

    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dir, (long)getpid()) >= sizeof tmp)
        return -ENAMETOOLONG;
    rm_env_dir(tmp); /* a leftover of a crashed build by a process of our pid */
    if (mkdir(tmp, 0755) != 0)
        return -errno;
    int rc = write_env(b, tmp, dir, stats);
    if (rc == 0) {
        char lock[4300];
        snprintf(lock, sizeof lock, "%s/lock.mdb", tmp);
        unlink(lock); /* readers make their own; an installed copy needs none */
        if (rename(tmp, dir) != 0)
            rc = -errno;
    }
    if (rc < 0)
        rm_env_dir(tmp);
    return rc;
}
