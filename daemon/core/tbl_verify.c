/* claimdb verify: every table's B-tree against its hash index. */
#include "claimd/error.h"
#include "claimd/tables.h"
#include "tbl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

__attribute__((format(printf, 3, 4))) static int fail(char *msg, size_t len, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return -CLAIMD_ETBL_VERIFY;
}

/* Every slot holds a group that hashes to a bucket at most max_probe before
 * it, starts where the previous group of the sorted records ended, and the
 * groups together cover every record exactly once. */
static int check_slots(const tbl_idx *ix, const tbl_desc *d, char *msg, size_t len)
{
    uint64_t covered = 0;
    uint8_t k[TBL_KEY_MAX];
    for (uint64_t b = 0; b <= ix->mask; b++) {
        const tbl_bucket *bk = &ix->buckets[b];
        for (int s = 0; s < TBL_IDX_SLOTS; s++) {
            if (!bk->fp[s])
                continue;
            uint32_t f = bk->first[s], n = bk->count[s];
            if (n == 0 || (uint64_t)f + n > ix->nrecs)
                return fail(msg, len, "%s: index slot %llu/%d out of range", d->name,
                            (unsigned long long)b, s);
            d->key(ix->recs + (size_t)f * ix->rec_size, k);
            uint64_t h = XXH3_64bits(k, d->group_len);
            uint64_t dist = (b - (h & ix->mask)) & ix->mask;
            uint16_t fp = (uint16_t)(h >> 48) ? (uint16_t)(h >> 48) : 1;
            if (dist > ix->max_probe || fp != bk->fp[s])
                return fail(msg, len, "%s: index slot %llu/%d holds a group hashed elsewhere",
                            d->name, (unsigned long long)b, s);
            covered += n;
        }
    }
    if (covered != ix->nrecs)
        return fail(msg, len, "%s: index groups cover %llu of %llu records", d->name,
                    (unsigned long long)covered, (unsigned long long)ix->nrecs);
    return 0;
}

typedef struct walk {
    const tbl_desc *d;
    const tbl_idx *ix;
    uint64_t i;
    uint8_t prev[TBL_KEY_MAX];
} walk;

static int check_row(walk *w, const MDB_val *key, const MDB_val *val, char *msg, size_t len)
{
    const tbl_desc *d = w->d;
    _Alignas(16) uint8_t rec[512], k[TBL_KEY_MAX];
    if (val->mv_size != d->rec_size || key->mv_size != d->key_len + 8u)
        return fail(msg, len, "%s: row %llu has a wrong size", d->name, (unsigned long long)w->i);
    memcpy(rec, val->mv_data, val->mv_size);
    size_t kl = tbl_record_key((tbl_table)(d - tbl_descs), rec, k);
    if (kl != key->mv_size || memcmp(k, key->mv_data, kl) != 0)
        return fail(msg, len, "%s: row %llu: key does not match its record", d->name,
                    (unsigned long long)w->i);
    if (w->i > 0 && memcmp(w->prev, k, kl) >= 0)
        return fail(msg, len, "%s: row %llu out of order", d->name, (unsigned long long)w->i);
    memcpy(w->prev, k, kl);
    uint32_t first, n;
    if (!tbl_idx_find(w->ix, k, &first, &n) || w->i < first || w->i >= (uint64_t)first + n)
        return fail(msg, len, "%s: row %llu not found through the hash index", d->name,
                    (unsigned long long)w->i);
    if (w->i >= w->ix->nrecs || memcmp(w->ix->recs + w->i * w->ix->rec_size, rec, d->rec_size) != 0)
        return fail(msg, len, "%s: row %llu differs from its index record", d->name,
                    (unsigned long long)w->i);
    w->i++;
    return 0;
}

static int verify_table(tbl_version *v, tbl_reader *rd, tbl_table t, char *msg, size_t len)
{
    const tbl_desc *d = &tbl_descs[t];
    const tbl_idx *ix = &v->idx[t];
    if (tbl_idx_check(ix) < 0)
        return fail(msg, len, "%s: index checksum mismatch", d->name);
    int rc = check_slots(ix, d, msg, len);
    if (rc < 0)
        return rc;
    MDB_cursor *c;
    rc = tbl_mdb_err(mdb_cursor_open(tbl_reader_txn(rd), v->dbi[t], &c));
    if (rc < 0)
        return rc;
    walk w = {.d = d, .ix = ix};
    MDB_val key, val;
    int mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
    while (rc == 0 && mrc == 0) {
        rc = check_row(&w, &key, &val, msg, len);
        mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc < 0)
        return rc;
    if (mrc != MDB_NOTFOUND)
        return tbl_mdb_err(mrc);
    if (w.i != ix->nrecs || w.i != v->info.tables[t].rows)
        return fail(msg, len, "%s: %llu B-tree rows, %llu index records, %llu in meta", d->name,
                    (unsigned long long)w.i, (unsigned long long)ix->nrecs,
                    (unsigned long long)v->info.tables[t].rows);
    return 0;
}

int tbl_verify(tbl_version *v, char *msg, size_t msglen)
{
    tbl_reader *rd;
    int rc = tbl_reader_open(v, &rd);
    if (rc < 0)
        return rc;
    for (int t = 0; rc == 0 && t < TBL_TABLE_COUNT; t++)
        if (v->has[t])
            rc = verify_table(v, rd, (tbl_table)t, msg, msglen);
    tbl_reader_close(rd);
    if (rc == 0 && msg && msglen)
        msg[0] = 0;
    return rc;
}
