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
    if (e[0] == 0)
        return -EINVAL; /* no code: an empty slot of the index is all zero */
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

typedef struct grp {
    uint64_t home;
    uint64_t pos;   /* first slot */
    uint32_t first; /* first staged entry */
    uint32_t count;
} grp;

typedef struct idx_plan {
    uint64_t ngroups, nslots, ntotal, filter_bits;
    uint32_t max_probe;
    grp *groups; /* heap, in home order after placement */
    uint64_t data_len, filter_rel, pair_bits, pair_rel;
} idx_plan;

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static int grp_cmp(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    if (x->home != y->home)
        return x->home < y->home ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Places groups in home order, each at max(home, end of the previous run):
 * the slots between a group's home and its start are then all occupied, which
 * is what lets a lookup stop at the first empty slot. */
static void place_groups(idx_plan *pl)
{
    uint64_t mask = pl->nslots - 1, cursor = 0;
    for (uint64_t g = 0; g < pl->ngroups; g++)
        pl->groups[g].home = pl->groups[g].home & mask;
    qsort(pl->groups, pl->ngroups, sizeof *pl->groups, grp_cmp);
    pl->max_probe = 0;
    for (uint64_t g = 0; g < pl->ngroups; g++) {
        grp *x = &pl->groups[g];
        x->pos = x->home > cursor ? x->home : cursor;
        if (x->pos - x->home > pl->max_probe)
            pl->max_probe = (uint32_t)(x->pos - x->home);
        cursor = x->pos + x->count;
    }
    pl->ntotal = cursor > pl->nslots ? cursor : pl->nslots;
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
    if (s->n > UINT32_MAX)
        return -CLAIMD_ETBL_INDEX_FULL;
    pl->groups = malloc((pl->ngroups ? pl->ngroups : 1) * sizeof *pl->groups);
    if (!pl->groups)
        return -ENOMEM;
    uint64_t g = 0;
    for (size_t i = 0; i < s->n;) {
        const uint8_t *e = s->buf + i * s->esize;
        size_t j = i + 1;
        while (j < s->n && memcmp(e, s->buf + j * s->esize, d->group_len) == 0)
            j++;
        if (j - i >= UINT16_MAX)
            return -CLAIMD_ETBL_INDEX_FULL;
        pl->groups[g++] = (grp){
            .home = XXH3_64bits(e, d->group_len), .first = (uint32_t)i, .count = (uint32_t)(j - i)};
        i = j;
    }
    /* at most 75 % of the slots used; more slots while probes run long */
    pl->nslots = pow2_at_least((s->n * 4 + 2) / 3 + 1);
    for (;;) {
        place_groups(pl);
        if (pl->max_probe <= 256 || pl->nslots >= (1ull << 34))
            break;
        pl->nslots *= 2;
        /* homes were masked: recompute them from the keys */
        for (uint64_t k = 0; k < pl->ngroups; k++)
            pl->groups[k].home =
                XXH3_64bits(s->buf + (size_t)pl->groups[k].first * s->esize, d->group_len);
    }
    if (t == TBL_NCCI) {
        /* about 32 bits per column-1 code and two bit positions */
        pl->filter_bits = pow2_at_least(ncol1 * 32);
        if (pl->filter_bits < TBL_FILTER_MIN)
            pl->filter_bits = TBL_FILTER_MIN;
    }
    if (t == TBL_NCCI) {
        /* about 12 bits a pair, two bit positions: ~2 % false positives */
        pl->pair_bits = pow2_at_least(pl->ngroups * 12);
        if (pl->pair_bits < TBL_FILTER_MIN)
            pl->pair_bits = TBL_FILTER_MIN;
    }
    pl->filter_rel = ALIGN(pl->ntotal * d->rec_size, TBL_IDX_ALIGN);
    pl->pair_rel = pl->filter_rel + 2 * pl->filter_bits / 8;
    pl->data_len = pl->pair_rel + pl->pair_bits / 8;
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
    h.nslots = pl->nslots;
    h.ntotal = pl->ntotal;
    h.nrecs = s->n;
    h.ngroups = pl->ngroups;
    h.size = len;
    h.slots_off = data_off;
    h.filter_off = pl->filter_bits ? data_off + pl->filter_rel : 0;
    h.filter_bits = pl->filter_bits;
    h.pair_off = pl->pair_bits ? data_off + pl->pair_rel : 0;
    h.pair_bits = pl->pair_bits;
    h.data_len = pl->data_len;
    uint8_t *slots = p + h.slots_off;
    for (uint64_t g = 0; g < pl->ngroups; g++) {
        const grp *x = &pl->groups[g];
        for (uint32_t i = 0; i < x->count; i++)
            memcpy(slots + (x->pos + i) * d->rec_size,
                   s->buf + (size_t)(x->first + i) * s->esize + s->rec_off, d->rec_size);
    }
    if (pl->filter_bits) {
        uint64_t *f1 = (uint64_t *)(void *)(p + h.filter_off); /* 8-aligned by layout */
        uint64_t *f2 = f1 + pl->filter_bits / 64;
        for (size_t i = 0; i < s->n; i++) {
            /* Staged records are packed: read the code fields by offset. */
            const uint8_t *r = s->buf + i * s->esize + s->rec_off;
            filter_set(f1, pl->filter_bits, (const char *)r + offsetof(tbl_ncci, col1));
            filter_set(f2, pl->filter_bits, (const char *)r + offsetof(tbl_ncci, col2));
        }
    }
    if (pl->pair_bits) {
        uint64_t *pb = (uint64_t *)(void *)(p + h.pair_off); /* 8-aligned by layout */
        for (uint64_t g = 0; g < pl->ngroups; g++) {
            uint64_t hash =
                XXH3_64bits(s->buf + (size_t)pl->groups[g].first * s->esize, d->group_len);
            uint64_t a = (hash >> 32) & (pl->pair_bits - 1);
            uint64_t b = ((hash * 0x9E3779B97F4A7C15ull) >> 32) & (pl->pair_bits - 1);
            pb[a / 64] |= 1ull << (a % 64);
            pb[b / 64] |= 1ull << (b % 64);
        }
    }
    h.checksum = XXH3_64bits(p + h.slots_off, h.data_len);
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
    free(pl.groups);
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
        /* B-tree: pages as little as half full; index: slots at >= 37 %
         * load (or doubled for long probes) plus the filter */
        size_t idx = (6 * s->n + 1024) * tbl_descs[t].rec_size;
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
     * which the index layout needs to start its slots on a 64-byte line. */
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
