/* claimdb verify: every table's B-tree against its hash index. */
#include "claimd/error.h"
#include "claimd/tables.h"
#include "tbl_int.h"

#include <stdarg.h>
#include <stdbool.h>
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

/* Every run of occupied slots is found by a probe for its key at its first
 * slot, and the runs hold nrecs records in all; with every B-tree row found
 * in its run (check_row) and equal counts, the two hold the same rows. */
static int check_slots(const tbl_idx *ix, const tbl_desc *d, char *msg, size_t len)
{
    uint64_t occupied = 0;
    uint8_t k[TBL_KEY_MAX], prev[TBL_KEY_MAX];
    bool have_prev = false;
    for (uint64_t s = 0; s < ix->ntotal; s++) {
        const uint8_t *r = ix->recs + s * ix->rec_size;
        if (r[0] == 0) {
            have_prev = false;
            continue;
        }
        occupied++;
        d->key(r, k);
        if (have_prev && memcmp(prev, k, d->group_len) == 0)
            continue; /* inside a run */
        uint32_t first, n;
        if (!tbl_idx_find(ix, k, &first, &n) || first != s)
            return fail(msg, len, "%s: index slot %llu is not found by its key", d->name,
                        (unsigned long long)s);
        memcpy(prev, k, d->group_len);
        have_prev = true;
    }
    if (occupied != ix->hdr->nrecs)
        return fail(msg, len, "%s: %llu occupied slots, header says %llu", d->name,
                    (unsigned long long)occupied, (unsigned long long)ix->hdr->nrecs);
    return 0;
}

typedef struct walk {
    const tbl_desc *d;
    const tbl_idx *ix;
    uint64_t i;
    uint32_t in_group; /* rank of the row among its group's rows */
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
    w->in_group = (w->i > 0 && memcmp(w->prev, k, d->group_len) == 0) ? w->in_group + 1 : 0;
    memcpy(w->prev, k, kl);
    uint32_t first, n;
    if (!tbl_idx_find(w->ix, k, &first, &n) || w->in_group >= n)
        return fail(msg, len, "%s: row %llu not found through the hash index", d->name,
                    (unsigned long long)w->i);
    if (!tbl_pair_may_have(w->ix, tbl_idx_hash(w->ix, k)))
        return fail(msg, len, "%s: row %llu is missing from the pair filter", d->name,
                    (unsigned long long)w->i);
    if (memcmp(w->ix->recs + (size_t)(first + w->in_group) * w->ix->rec_size, rec, d->rec_size) !=
        0)
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
    if (w.i != ix->hdr->nrecs || w.i != v->info.tables[t].rows)
        return fail(msg, len, "%s: %llu B-tree rows, %llu index records, %llu in meta", d->name,
                    (unsigned long long)w.i, (unsigned long long)ix->hdr->nrecs,
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
