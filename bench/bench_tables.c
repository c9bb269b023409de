/* bench_tables: build rate and lookup cost of the tables store.
 *
 *   bench_tables [--rows N] [--lookups N] [--dir TMPDIR] [--tables VERSION]
 *
 * Generates a benchmark-scale NCCI PTP table (default 2.6 million rows over
 * 15,000 codes, column-1 edit counts skewed like the real file, ~8 % of edits
 * deleted, ~4 % of pairs with a second period), builds it as a version and
 * reports rows/s; then, for the NCCI pairs and (with --tables, e.g. a version
 * built from the real CMS/CDC files) ICD-10-CM, PPRRVU, HCPCS, ZIP5 and GPCI,
 * measures ns per lookup through the in-map hash index (tbl_*_get) and, in
 * the same run on the same keys, through a raw mdb_get on the B-tree, with
 * uniform and skewed (Zipf s=1) keys, on one thread and on two. */
#define _GNU_SOURCE
#include "claimd/error.h"
#include "claimd/tables.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DOS 20250301u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* ---- a lookup key: typed fields and the exact B-tree key ---------------- */

typedef struct bkey {
    char a[8], b[8];
    uint8_t k[TBL_KEY_MAX];
    uint8_t klen;
} bkey;

typedef struct keyset {
    tbl_table t;
    const char *table;
    bkey *keys; /* all keys of the table, in B-tree order */
    size_t n;
} keyset;

/* ---- synthetic NCCI ------------------------------------------------------- */

#define NCODES 15000

static void code_of(int i, char *out)
{
    snprintf(out, 6, "%05d", 10000 + i);
}

static int build_ncci(const char *dir, size_t target, double *rows_s)
{
    tbl_build *b;
    if (tbl_build_create("bench-ncci", &b) < 0)
        return -1;
    /* column-1 edit counts ∝ 1 / (rank + 200), scaled to the target: the
     * busiest codes have thousands of column-2 partners, the rarest a few */
    double w[NCODES], sum = 0;
    for (int i = 0; i < NCODES; i++)
        sum += w[i] = 1.0 / (i + 200.0);
    size_t rows = 0;
    double t0 = now_s();
    for (int i = 0; i < NCODES && rows < target; i++) {
        int n = (int)(w[i] / sum * (double)target * 0.96) + 1;
        if (n > NCODES - 1)
            n = NCODES - 1;
        int c1 = (int)((uint64_t)i * 7919u % NCODES); /* spread hot codes over the range */
        for (int k = 0; k < n && rows < target; k++) {
            tblsrc_rec r = {.kind = TBLSRC_NCCI_PTP};
            int c2 = (c1 + 1 + k * 4099) % NCODES;
            code_of(c1, r.u.ncci.col1);
            code_of(c2, r.u.ncci.col2);
            r.u.ncci.mod_ind = rnd() % 3 ? 1 : 0;
            r.u.ncci.eff_date = 20100101 + (uint32_t)(rnd() % 14) * 10000;
            r.u.ncci.period = (tbl_period){r.u.ncci.eff_date, TBL_DATE_OPEN};
            uint64_t x = rnd() % 100;
            if (x < 8) { /* deleted */
                r.u.ncci.del_date = 20240101;
                r.u.ncci.period.to = 20231231;
            }
            tbl_build_add(b, &r);
            rows++;
            if (x < 4 && rows < target) { /* re-added later with another indicator */
                r.u.ncci.mod_ind = 9;
                r.u.ncci.eff_date = 20240101;
                r.u.ncci.del_date = 0;
                r.u.ncci.period = (tbl_period){20240101, TBL_DATE_OPEN};
                tbl_build_add(b, &r);
                rows++;
            }
        }
    }
    double t1 = now_s();
    tbl_table_stats st[TBL_TABLE_COUNT];
    int rc = tbl_build_write(b, dir, st);
    double t2 = now_s();
    tbl_build_free(b);
    if (rc < 0) {
        fprintf(stderr, "build: %s\n", claimd_strerror(rc));
        return -1;
    }
    *rows_s = (double)rows / (t2 - t0);
    printf("build  ncci  %zu rows (%llu pairs, index %.1f MiB): stage %.2f s + write %.2f s = "
           "%.2f s, %.0f rows/s\n",
           rows, (unsigned long long)st[TBL_NCCI].groups,
           (double)st[TBL_NCCI].index_bytes / 1048576.0, t1 - t0, t2 - t1, t2 - t0, *rows_s);
    return 0;
}

/* ---- collecting keys from a version's B-tree ------------------------------- */

static void fields_of(tbl_table t, const void *rec, bkey *k)
{
    memset(k->a, 0, sizeof k->a);
    memset(k->b, 0, sizeof k->b);
    switch (t) {
    case TBL_NCCI:
        memcpy(k->a, ((const tbl_ncci *)rec)->col1, 6);
        memcpy(k->b, ((const tbl_ncci *)rec)->col2, 6);
        break;
    case TBL_ICD10CM:
        memcpy(k->a, ((const tbl_icd10 *)rec)->code, 8);
        break;
    case TBL_RVU:
        memcpy(k->a, ((const tbl_rvu *)rec)->code, 6);
        memcpy(k->b, ((const tbl_rvu *)rec)->mod, 3);
        break;
    case TBL_HCPCS:
        memcpy(k->a, ((const tbl_hcpcs *)rec)->code, 6);
        break;
    case TBL_ZIP5:
        memcpy(k->a, ((const tbl_zip5 *)rec)->zip, 6);
        break;
    case TBL_GPCI:
        memcpy(k->a, ((const tbl_gpci *)rec)->carrier, 6);
        memcpy(k->b, ((const tbl_gpci *)rec)->locality, 3);
        break;
    default:
        break;
    }
}

static int collect(tbl_version *v, tbl_table t, keyset *ks)
{
    tbl_reader *rd;
    if (tbl_reader_open(v, &rd) < 0)
        return -1;
    MDB_cursor *c;
    MDB_dbi dbi = tbl_reader_dbi(rd, t);
    ks->t = t;
    ks->table = tbl_table_name(t);
    ks->n = 0;
    ks->keys = NULL;
    if (!dbi || mdb_cursor_open(tbl_reader_txn(rd), dbi, &c) != 0) {
        tbl_reader_close(rd);
        return -1;
    }
    size_t cap = 0;
    MDB_val k, d;
    _Alignas(16) uint8_t rec[512];
    for (int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (ks->n == cap) {
            cap = cap ? cap * 2 : 4096;
            ks->keys = realloc(ks->keys, cap * sizeof *ks->keys);
        }
        bkey *bk = &ks->keys[ks->n++];
        memcpy(rec, d.mv_data, d.mv_size);
        fields_of(t, rec, bk);
        memcpy(bk->k, k.mv_data, k.mv_size);
        bk->klen = (uint8_t)k.mv_size;
    }
    mdb_cursor_close(c);
    tbl_reader_close(rd);
    return 0;
}

/* ---- the measured loops ------------------------------------------------------ */

typedef struct job {
    tbl_version *v;
    const keyset *ks;
    const bkey *order; /* the keys in lookup order, read sequentially (a claim's
                        * codes are in cache: only the table's misses count) */
    size_t n;
    bool raw;
    bool prefetch;
    double ns;
    uint64_t found;
} job;

static inline int hash_get(const tbl_version *v, tbl_table t, const bkey *k)
{
    const void *out;
    switch (t) {
    case TBL_NCCI:
        return tbl_ncci_get(v, k->a, k->b, DOS, (const tbl_ncci **)&out);
    case TBL_ICD10CM:
        return tbl_icd10_get(v, k->a, DOS, (const tbl_icd10 **)&out);
    case TBL_RVU:
        return tbl_rvu_get(v, k->a, k->b, DOS, (const tbl_rvu **)&out);
    case TBL_HCPCS:
        return tbl_hcpcs_get(v, k->a, DOS, (const tbl_hcpcs **)&out);
    case TBL_ZIP5:
        return tbl_zip5_get(v, k->a, DOS, (const tbl_zip5 **)&out);
    case TBL_GPCI:
        return tbl_gpci_get(v, k->a, k->b, DOS, (const tbl_gpci **)&out);
    default:
        return -1;
    }
}

static void *run_job(void *p)
{
    job *j = p;
    uint64_t found = 0;
    if (j->raw) {
        tbl_reader *rd;
        if (tbl_reader_open(j->v, &rd) < 0)
            return NULL;
        MDB_txn *txn = tbl_reader_txn(rd);
        MDB_dbi dbi = tbl_reader_dbi(rd, j->ks->t);
        double t0 = now_s();
        for (size_t i = 0; i < j->n; i++) {
            const bkey *k = &j->order[i];
            MDB_val key = {k->klen, (void *)k->k}, val;
            found += mdb_get(txn, dbi, &key, &val) == 0;
        }
        j->ns = (now_s() - t0) * 1e9 / (double)j->n;
        tbl_reader_close(rd);
    } else {
        double t0 = now_s();
        if (j->prefetch && j->ks->t == TBL_NCCI) {
            /* as the edit engine checks a claim's pairs: in batches */
            enum { BATCH = 16 };
            tbl_ncci_query q[BATCH];
            for (size_t i = 0; i < j->n; i += BATCH) {
                size_t m = j->n - i < BATCH ? j->n - i : BATCH;
                for (size_t k = 0; k < m; k++)
                    q[k] = (tbl_ncci_query){
                        .col1 = j->order[i + k].a, .col2 = j->order[i + k].b, .dos = DOS};
                tbl_ncci_get_many(j->v, q, m);
                for (size_t k = 0; k < m; k++)
                    found += q[k].rc != -CLAIMD_ETBL_NOT_FOUND;
            }
        } else {
            for (size_t i = 0; i < j->n; i++)
                found += hash_get(j->v, j->ks->t, &j->order[i]) != -CLAIMD_ETBL_NOT_FOUND;
        }
        j->ns = (now_s() - t0) * 1e9 / (double)j->n;
    }
    j->found = found;
    return NULL;
}

/* ns per lookup, the mean over threads (each thread its own key order). */
static double measure(tbl_version *v, const keyset *ks, bkey *const orders[2], size_t n,
                      int threads, bool raw, bool prefetch, uint64_t *found)
{
    job jobs[2];
    pthread_t th[2];
    for (int i = 0; i < threads; i++) {
        jobs[i] =
            (job){.v = v, .ks = ks, .order = orders[i], .n = n, .raw = raw, .prefetch = prefetch};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    double ns = 0;
    *found = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        ns += jobs[i].ns;
        *found += jobs[i].found;
    }
    return ns / threads;
}

/* uniform: every key equally likely; skewed: Zipf s=1 over a random ranking */
static void make_order(uint32_t *o, size_t n, size_t nkeys, bool skewed, const uint32_t *rank)
{
    static double *cdf;
    static size_t cdf_n;
    if (skewed && cdf_n != nkeys) {
        free(cdf);
        cdf = malloc(nkeys * sizeof *cdf);
        double s = 0;
        for (size_t i = 0; i < nkeys; i++)
            cdf[i] = s += 1.0 / (double)(i + 1);
        for (size_t i = 0; i < nkeys; i++)
            cdf[i] /= s;
        cdf_n = nkeys;
    }
    for (size_t i = 0; i < n; i++) {
        if (!skewed) {
            o[i] = (uint32_t)(rnd() % nkeys);
            continue;
        }
        double u = (double)(rnd() >> 11) / 9007199254740992.0;
        size_t lo = 0, hi = nkeys - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        o[i] = rank[lo];
    }
}

static void bench_table(tbl_version *v, const keyset *ks, size_t lookups)
{
    if (ks->n == 0)
        return;
    uint32_t *rank = malloc(ks->n * sizeof *rank);
    for (size_t i = 0; i < ks->n; i++)
        rank[i] = (uint32_t)i;
    for (size_t i = ks->n - 1; i > 0; i--) {
        size_t j = rnd() % (i + 1);
        uint32_t x = rank[i];
        rank[i] = rank[j];
        rank[j] = x;
    }
    uint32_t *idx = malloc(lookups * 4);
    bkey *orders[2] = {malloc(lookups * sizeof(bkey)), malloc(lookups * sizeof(bkey))};
    for (int skewed = 0; skewed <= 1; skewed++) {
        for (int i = 0; i < 2; i++) {
            make_order(idx, lookups, ks->n, skewed, rank);
            for (size_t k = 0; k < lookups; k++)
                orders[i][k] = ks->keys[idx[k]];
        }
        for (int threads = 1; threads <= 2; threads++) {
            uint64_t fh, fr;
            measure(v, ks, orders, lookups / 4, threads, false, false, &fh); /* warm */
            double h = measure(v, ks, orders, lookups, threads, false, false, &fh);
            double r = measure(v, ks, orders, lookups, threads, true, false, &fr);
            printf("lookup %-9s %8zu keys  %-7s %d thread%s  hash %6.1f ns  mdb_get %7.1f ns  "
                   "x%5.1f  (%.1f M/s hash total; hits %.0f%%)\n",
                   ks->table, ks->n, skewed ? "skewed" : "uniform", threads,
                   threads > 1 ? "s" : " ", h, r, r / h, threads * 1e3 / h,
                   100.0 * (double)fh / (double)(lookups * (size_t)threads));
            if (ks->t == TBL_NCCI) {
                uint64_t fp;
                double p = measure(v, ks, orders, lookups, threads, false, true, &fp);
                printf("lookup %-9s %8zu keys  %-7s %d thread%s  batch-16 %6.1f ns  "
                       "mdb_get %7.1f ns  x%5.1f  (tbl_ncci_get_many, as a claim's pairs are "
                       "checked)\n",
                       ks->table, ks->n, skewed ? "skewed" : "uniform", threads,
                       threads > 1 ? "s" : " ", p, r, r / p);
            }
        }
    }
    /* pairs without an edit: random code pairs, mostly absent (the filter) */
    free(rank);
    free(idx);
    free(orders[0]);
    free(orders[1]);
}

static void bench_misses(tbl_version *v, size_t lookups)
{
    bkey *k = malloc(lookups * sizeof *k);
    for (size_t i = 0; i < lookups; i++) {
        memset(&k[i], 0, sizeof k[i]);
        code_of((int)(rnd() % NCODES), k[i].a);
        snprintf(k[i].b, 6, "%05d", 90000 + (int)(rnd() % 9000)); /* codes in no edit */
    }
    double t0 = now_s();
    uint64_t hits = 0;
    for (size_t i = 0; i < lookups; i++) {
        const tbl_ncci *o;
        hits += tbl_ncci_get(v, k[i].a, k[i].b, DOS, &o) == 0;
    }
    double ns = (now_s() - t0) * 1e9 / (double)lookups;
    printf(
        "lookup ncci      pairs whose column-2 code is in no edit (filter): %.1f ns, %llu hits\n",
        ns, (unsigned long long)hits);
    free(k);
}

int main(int argc, char **argv)
{
    size_t rows = 2600000, lookups = 2000000;
    const char *tmp = "/tmp", *real = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--lookups"))
            lookups = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dir"))
            tmp = argv[i + 1];
        else if (!strcmp(argv[i], "--tables"))
            real = argv[i + 1];
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench_tables.%ld", tmp, (long)getpid());
    double rs;
    if (build_ncci(dir, rows, &rs) < 0)
        return 1;
    tbl_version *v;
    int rc = tbl_open(dir, 0, &v);
    if (rc < 0) {
        fprintf(stderr, "open: %s\n", claimd_strerror(rc));
        return 1;
    }
    keyset ks;
    collect(v, TBL_NCCI, &ks);
    bench_table(v, &ks, lookups);
    bench_misses(v, lookups);
    free(ks.keys);
    tbl_close(v);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (!real)
        return 0;
    if ((rc = tbl_open(real, 0, &v)) < 0) {
        fprintf(stderr, "%s: %s\n", real, claimd_strerror(rc));
        return 1;
    }
    const tbl_table ts[] = {TBL_ICD10CM, TBL_RVU, TBL_HCPCS, TBL_ZIP5, TBL_GPCI};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        if (collect(v, ts[i], &ks) == 0) {
            /* every key is looked up on 2025-03-01: a key outside its period
             * (NOT_EFFECTIVE) costs the same probe and scan as a hit */
            bench_table(v, &ks, lookups);
            free(ks.keys);
        }
    }
    tbl_close(v);
    return 0;
}
