/* journal: records round-trip field by field; ids and days; repeats refused
 * or allowed; the queue and running indexes and the per-state counts stay
 * exact through add, put, finish, recover and reopen (checked against a
 * model); history blobs load into and expire out of a real fp_set; a
 * second open in this process or in a child is -EBUSY; records, blobs and
 * meta damaged through raw LMDB give -CLAIMD_EJNL_CORRUPT or
 * -CLAIMD_EJNL_LAYOUT (or a rebuild) and never a crash; the map grows from
 * a small size (5 k adds, and concurrent writers) and a capped map fails
 * cleanly; a child killed with SIGKILL mid-stream leaves a journal that
 * opens with contiguous seqs and exact counts. */
#define _GNU_SOURCE

#include "../daemon/runtime/journal.h"
#include "claimd/error.h"
#include "tu_proc.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_root[64];
static char g_dir[128]; /* g_root/state: journal_open creates it */

static void setup(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/claimd-jnl-XXXXXX");
    cr_assert_not_null(mkdtemp(g_root));
    snprintf(g_dir, sizeof g_dir, "%s/state", g_root);
}

static void teardown(void)
{
    tu_rm_rf(g_root);
}

TestSuite(journal, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------- */

static journal *jopen(void)
{
    journal *j = NULL;
    int rc = journal_open(g_dir, &j);
    cr_assert_eq(rc, 0, "journal_open: %s", claimd_strerror(rc));
    return j;
}

/* A queued job with content i (hash unique per i). */
static job_rec mkrec(uint32_t i)
{
    job_rec r;
    memset(&r, 0, sizeof r);
    r.state = JOB_QUEUED;
    r.source = i % 2 ? JOB_SRC_SOCKET : JOB_SRC_INBOX;
    r.submit_uid = 1000 + i;
    r.submitted = 1700000000 + (int64_t)i * 60;
    r.size = 1000 + i;
    for (int b = 0; b < 4; b++)
        r.hash[b] = (uint8_t)(i >> (24 - 8 * b));
    memset(r.hash + 4, 0xab, 12);
    snprintf(r.name, sizeof r.name, "batch-%06u.837", i);
    snprintf(r.intake, sizeof r.intake, "in-%06u", i);
    return r;
}

static uint64_t add(journal *j, uint32_t i)
{
    job_rec r = mkrec(i);
    int rc = journal_add(j, &r, false);
    cr_assert_eq(rc, 0, "journal_add %u: %s", i, claimd_strerror(rc));
    return r.seq;
}

static void set_state(journal *j, uint64_t seq, job_state s)
{
    job_rec r;
    cr_assert_eq(journal_get(j, seq, &r), 0);
    r.state = (uint8_t)s;
    cr_assert_eq(journal_put(j, &r), 0);
}

static fp128 mkfp(uint64_t seq, unsigned k)
{
    return (fp128){seq * 1000 + k + 1, (uint64_t)0x5a5a0000u << 32 | (uint32_t)(seq * 7 + k)};
}

/* Finishes seq as done with nfp fingerprints on day. */
static void finish(journal *j, uint64_t seq, uint32_t day, unsigned nfp)
{
    job_rec r;
    cr_assert_eq(journal_get(j, seq, &r), 0);
    r.state = JOB_DONE;
    r.ended = r.submitted + 5;
    fp128 fps[16];
    cr_assert_leq(nfp, 16);
    for (unsigned k = 0; k < nfp; k++)
        fps[k] = mkfp(seq, k);
    int rc = journal_finish(j, &r, day, fps, nfp);
    cr_assert_eq(rc, 0, "journal_finish: %s", claimd_strerror(rc));
}

/* What journal_each sees: per-state counts, seqs contiguous from 1. */
typedef struct scan {
    uint64_t n, next, counts[JOB_STATE_COUNT], first_queued;
    bool gap;
} scan;

static int scan_fn(void *ctx, const job_rec *r)
{
    scan *s = ctx;
    s->gap |= r->seq != s->next;
    s->next = r->seq + 1;
    s->n++;
    s->counts[r->state]++;
    if (r->state == JOB_QUEUED && !s->first_queued)
        s->first_queued = r->seq;
    return 0;
}

static scan scan_all(journal *j)
{
    scan s = {.next = 1};
    int rc = journal_each(j, -1, 0, scan_fn, &s);
    cr_assert_eq(rc, 0, "journal_each: %s", claimd_strerror(rc));
    return s;
}

/* counts, the records and the queue index agree. */
static void check_consistent(journal *j)
{
    scan s = scan_all(j);
    cr_assert_not(s.gap, "seqs are not contiguous from 1");
    uint64_t c[JOB_STATE_COUNT];
    cr_assert_eq(journal_counts(j, c), 0);
    for (int st = 0; st < JOB_STATE_COUNT; st++)
        cr_assert_eq(c[st], s.counts[st], "state %s: counts %llu, records %llu", job_state_name(st),
                     (unsigned long long)c[st], (unsigned long long)s.counts[st]);
    job_rec q;
    int rc = journal_next_queued(j, &q);
    if (s.first_queued) {
        cr_assert_eq(rc, 0);
        cr_assert_eq(q.seq, s.first_queued);
    } else {
        cr_assert_eq(rc, -ENOENT);
    }
}

/* Raw LMDB on the journal's environment (the journal closed). */
typedef struct raw {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
} raw;

static void raw_begin(raw *r, const char *db)
{
    cr_assert_eq(mdb_env_create(&r->env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(r->env, 8), 0);
    cr_assert_eq(mdb_env_set_mapsize(r->env, (size_t)1 << 30), 0);
    cr_assert_eq(mdb_env_open(r->env, g_dir, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
    cr_assert_eq(mdb_dbi_open(r->txn, db, 0, &r->dbi), 0);
}

static void raw_put(raw *r, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    cr_assert_eq(mdb_put(r->txn, r->dbi, &key, &val, 0), 0);
}

static void raw_del(raw *r, const void *k, size_t kl)
{
    MDB_val key = {kl, (void *)k};
    cr_assert_eq(mdb_del(r->txn, r->dbi, &key, NULL), 0);
}

/* The stored value of k, copied to buf; its length. */
static size_t raw_get(raw *r, const void *k, size_t kl, void *buf, size_t cap)
{
    MDB_val key = {kl, (void *)k}, val;
    cr_assert_eq(mdb_get(r->txn, r->dbi, &key, &val), 0);
    cr_assert_leq(val.mv_size, cap);
    memcpy(buf, val.mv_data, val.mv_size);
    return val.mv_size;
}

static void raw_commit(raw *r)
{
    cr_assert_eq(mdb_txn_commit(r->txn), 0);
    mdb_env_close(r->env);
}

static void be64(uint8_t k[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        k[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void rec_assert_eq(const job_rec *a, const job_rec *b)
{
    cr_assert_eq(a->seq, b->seq);
    cr_assert_eq(a->state, b->state);
    cr_assert_eq(a->source, b->source);
    cr_assert_eq(a->flags, b->flags);
    cr_assert_eq(a->submit_uid, b->submit_uid);
    cr_assert_eq(a->attempts, b->attempts);
    cr_assert_eq(a->submitted, b->submitted);
    cr_assert_eq(a->started, b->started);
    cr_assert_eq(a->ended, b->ended);
    cr_assert_arr_eq(a->hash, b->hash, 16);
    cr_assert_eq(a->size, b->size);
    cr_assert_eq(a->repeat_of, b->repeat_of);
    cr_assert_eq(a->claims, b->claims);
    cr_assert_eq(a->accepted, b->accepted);
    cr_assert_eq(a->rejected, b->rejected);
    cr_assert_arr_eq(a->name, b->name, sizeof a->name);
    cr_assert_arr_eq(a->intake, b->intake, sizeof a->intake);
    cr_assert_arr_eq(a->tables, b->tables, sizeof a->tables);
    cr_assert_arr_eq(a->reason, b->reason, sizeof a->reason);
}

/* ---- states, days, ids --------------------------------------------------- */

Test(journal, state_names)
{
    const char *names[] = {"queued", "running", "done", "failed", "cancelled"};
    for (int s = 0; s < JOB_STATE_COUNT; s++) {
        cr_assert_str_eq(job_state_name(s), names[s]);
        cr_assert_eq(job_state_parse(names[s]), s);
    }
    cr_assert_null(job_state_name(JOB_STATE_COUNT));
    cr_assert_null(job_state_name((job_state)-1));
    cr_assert_eq(job_state_parse("Queued"), -EINVAL);
    cr_assert_eq(job_state_parse(""), -EINVAL);
    cr_assert_eq(job_state_parse(NULL), -EINVAL);
}

Test(journal, days)
{
    cr_assert_eq(journal_day(0), 0);
    cr_assert_eq(journal_day(86399), 0);
    cr_assert_eq(journal_day(86400), 1);
    cr_assert_eq(journal_day(-1), 0);
    cr_assert_eq(journal_day(INT64_MIN), 0);
    cr_assert_eq(journal_day(1700000000), 19675);
    cr_assert_eq(journal_day(INT64_MAX), UINT32_MAX);
}

Test(journal, ids)
{
    char id[JOURNAL_ID_MAX];
    uint64_t seq;
    journal_id(1, 0, id);
    cr_assert_str_eq(id, "19700101-000001");
    journal_id(42, 1709164800, id); /* 2024-02-29T00:00:00Z */
    cr_assert_str_eq(id, "20240229-000042");
    journal_id(123456789, 1700000000, id);
    cr_assert_str_eq(id, "20231114-123456789");
    journal_id(7, -5, id);
    cr_assert_str_eq(id, "19700101-000007");
    journal_id(UINT64_MAX, INT64_MAX, id);
    cr_assert_str_eq(id, "99991231-18446744073709551615");
    cr_assert_eq(journal_id_parse(id, &seq), 0);
    cr_assert_eq(seq, UINT64_MAX);
    /* the day part agrees with gmtime over a spread of times */
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 2000; i++) {
        int64_t t = (int64_t)(rng_next(&s) % 253402300800ull);
        time_t tt = (time_t)t;
        struct tm tm;
        cr_assert_not_null(gmtime_r(&tt, &tm));
        char want[JOURNAL_ID_MAX];
        uint64_t q = rng_next(&s) >> (rng_next(&s) % 64);
        q += q == 0;
        snprintf(want, sizeof want, "%04d%02d%02d-%06llu", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, (unsigned long long)q);
        journal_id(q, t, id);
        cr_assert_str_eq(id, want, "t=%lld", (long long)t);
        cr_assert_eq(journal_id_parse(id, &seq), 0);
        cr_assert_eq(seq, q);
    }
}

Test(journal, id_parse_forms)
{
    uint64_t seq = 777;
    cr_assert_eq(journal_id_parse("20240101-000001", &seq), 0);
    cr_assert_eq(seq, 1);
    cr_assert_eq(journal_id_parse("20240101-999999", &seq), 0);
    cr_assert_eq(seq, 999999);
    cr_assert_eq(journal_id_parse("20240101-1000000", &seq), 0);
    cr_assert_eq(seq, 1000000);
    const char *bad[] = {
        "",
        "2024010-000001",
        "202401011-000001",
        "20240101000001",
        "20240101_000001",
        "20240101-00001",
        "20240101-0000001", /* 7 digits with a leading zero */
        "20240101-000000",  /* seq 0 */
        "2024a101-000001",  /* letter in the day */
        "20240101-00000a",
        "20240101-000001 ",
        " 20240101-000001",
        "20240101--000001",
        "20240101-+00001",
        "20240101-18446744073709551616",  /* UINT64_MAX + 1 */
        "20240101-99999999999999999999",  /* 20 digits, overflows */
        "20240101-100000000000000000000", /* 21 digits */
        "20240101",
        "20240101-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(journal_id_parse(bad[i], &seq), -EINVAL, "accepted \"%s\"", bad[i]);
        cr_assert_eq(seq, 1000000, "seq written for \"%s\"", bad[i]);
    }
    cr_assert_eq(journal_id_parse(NULL, &seq), -EINVAL);
    cr_assert_eq(journal_id_parse("20240101-000001", NULL), -EINVAL);
}

/* ---- records ------------------------------------------------------------- */

Test(journal, round_trip_every_field)
{
    journal *j = jopen();
    job_rec r;
    memset(&r, 0, sizeof r);
    r.state = JOB_FAILED;
    r.source = JOB_SRC_SOCKET;
    r.flags = JOB_F_INPUT_PURGED | JOB_F_OUTPUT_PURGED | 0x80000000u;
    r.submit_uid = 4294967294u;
    r.attempts = 3;
    r.submitted = -12345; /* kept as given, sign and all */
    r.started = INT64_MAX;
    r.ended = INT64_MIN;
    for (int i = 0; i < 16; i++)
        r.hash[i] = (uint8_t)(0xf0 + i);
    r.size = UINT64_MAX;
    r.claims = 1ull << 40;
    r.accepted = 12345678901ull;
    r.rejected = 1;
    memset(r.name, 'n', sizeof r.name - 1);
    memset(r.intake, 'i', sizeof r.intake - 1);
    memset(r.tables, 't', sizeof r.tables - 1);
    memset(r.reason, 'r', sizeof r.reason - 1);
    r.name[0] = (char)0xc3; /* bytes kept as they are, UTF-8 or not */
    r.name[1] = (char)0xa9;
    r.repeat_of = 99; /* set by journal_add: no earlier content */
    r.seq = 12345;    /* likewise */
    cr_assert_eq(journal_add(j, &r, true), 0);
    cr_assert_eq(r.seq, 1);
    cr_assert_eq(r.repeat_of, 0);
    journal_close(j);

    j = jopen();
    job_rec g;
    memset(&g, 0x77, sizeof g);
    cr_assert_eq(journal_get(j, 1, &g), 0);
    rec_assert_eq(&g, &r);
    cr_assert_eq(strlen(g.name), JOURNAL_NAME_MAX - 1);
    cr_assert_eq(strlen(g.tables), JOURNAL_TABLES_MAX - 1);

    /* short strings come back NUL-terminated with the rest of the field zero */
    g.name[0] = 0;
    strcpy(g.reason, "x");
    cr_assert_eq(journal_put(j, &g), 0);
    job_rec h;
    memset(&h, 0x77, sizeof h);
    cr_assert_eq(journal_get(j, 1, &h), 0);
    cr_assert_str_eq(h.name, "");
    cr_assert_str_eq(h.reason, "x");
    cr_assert_eq(h.reason[2], 0);
    cr_assert_eq(h.name[JOURNAL_NAME_MAX - 1], 0);
    journal_close(j);
}

Test(journal, bad_arguments)
{
    journal *j = jopen();
    job_rec r = mkrec(1), out;
    memset(r.name, 'x', sizeof r.name); /* no NUL */
    cr_assert_eq(journal_add(j, &r, false), -EINVAL);
    r = mkrec(1);
    memset(r.tables, 'x', sizeof r.tables);
    cr_assert_eq(journal_add(j, &r, false), -EINVAL);
    r = mkrec(1);
    r.state = JOB_STATE_COUNT;
    cr_assert_eq(journal_add(j, &r, false), -EINVAL);
    r = mkrec(1);
    r.source = 7;
    cr_assert_eq(journal_add(j, &r, false), -EINVAL);
    cr_assert_eq(journal_add(NULL, &r, false), -EINVAL);
    cr_assert_eq(journal_add(j, NULL, false), -EINVAL);
    r = mkrec(1);
    cr_assert_eq(journal_get(j, 1, &out), -ENOENT);
    cr_assert_eq(journal_get(j, 0, &out), -ENOENT);
    cr_assert_eq(journal_put(j, &r), -ENOENT); /* seq 0 */
    r.seq = 5;
    cr_assert_eq(journal_put(j, &r), -ENOENT);
    fp128 f = {1, 2};
    cr_assert_eq(journal_finish(j, &r, 3, &f, 1), -ENOENT);
    cr_assert_eq(journal_finish(j, &r, 3, NULL, 1), -EINVAL);
    cr_assert_eq(journal_each(j, JOB_STATE_COUNT, 0, scan_fn, &(scan){0}), -EINVAL);
    cr_assert_eq(journal_each(j, -1, 0, NULL, NULL), -EINVAL);
    uint64_t n;
    cr_assert_eq(journal_history_load(j, 0, NULL, &n), -EINVAL);
    cr_assert_eq(journal_recover(j, NULL), -EINVAL);
    check_consistent(j);
    scan s = scan_all(j);
    cr_assert_eq(s.n, 0, "a failed call left a record");
    journal_close(j);
    journal_close(NULL);

    cr_assert_eq(journal_open(NULL, &j), -EINVAL);
    cr_assert_eq(journal_open(g_dir, NULL), -EINVAL);
    cr_assert_eq(journal_open("", &j), -EINVAL);
    char p[256];
    snprintf(p, sizeof p, "%s/missing/state", g_root);
    cr_assert_eq(journal_open(p, &j), -ENOENT);
    snprintf(p, sizeof p, "%s/file", g_root);
    FILE *fh = fopen(p, "w");
    cr_assert_not_null(fh);
    fclose(fh);
    cr_assert_eq(journal_open(p, &j), -ENOTDIR);
}

Test(journal, repeats)
{
    journal *j = jopen();
    job_rec a = mkrec(1), b = mkrec(1), c = mkrec(1), d = mkrec(2);
    cr_assert_eq(journal_add(j, &a, true), 0);
    cr_assert_eq(a.seq, 1);
    cr_assert_eq(a.repeat_of, 0);
    cr_assert_eq(journal_add(j, &b, false), 0); /* allowed: added, marked */
    cr_assert_eq(b.seq, 2);
    cr_assert_eq(b.repeat_of, 1);
    job_rec g;
    cr_assert_eq(journal_get(j, 2, &g), 0);
    cr_assert_eq(g.repeat_of, 1);
    c.seq = 4242;
    cr_assert_eq(journal_add(j, &c, true), -CLAIMD_EJNL_REPEAT);
    cr_assert_eq(c.repeat_of, 1);
    cr_assert_eq(c.seq, 4242, "r->seq written on a refused repeat");
    cr_assert_eq(journal_get(j, 3, &g), -ENOENT);
    uint64_t cnt[JOB_STATE_COUNT];
    cr_assert_eq(journal_counts(j, cnt), 0);
    cr_assert_eq(cnt[JOB_QUEUED], 2);
    /* a refused repeat takes no seq; the first job stays the reference */
    cr_assert_eq(journal_add(j, &d, true), 0);
    cr_assert_eq(d.seq, 3);
    journal_close(j);
    j = jopen();
    job_rec e = mkrec(1);
    cr_assert_eq(journal_add(j, &e, false), 0);
    cr_assert_eq(e.seq, 4);
    cr_assert_eq(e.repeat_of, 1);
    check_consistent(j);
    journal_close(j);
}

/* ---- queue, states, counts ----------------------------------------------- */

Test(journal, next_queued_order)
{
    journal *j = jopen();
    job_rec q;
    cr_assert_eq(journal_next_queued(j, &q), -ENOENT);
    for (uint32_t i = 1; i <= 5; i++)
        cr_assert_eq(add(j, i), i);
    cr_assert_eq(journal_next_queued(j, &q), 0);
    cr_assert_eq(q.seq, 1);
    set_state(j, 1, JOB_RUNNING);
    cr_assert_eq(journal_next_queued(j, &q), 0);
    cr_assert_eq(q.seq, 2);
    finish(j, 2, 100, 3);
    set_state(j, 3, JOB_CANCELLED);
    cr_assert_eq(journal_next_queued(j, &q), 0);
    cr_assert_eq(q.seq, 4);
    set_state(j, 1, JOB_QUEUED); /* back to the front */
    cr_assert_eq(journal_next_queued(j, &q), 0);
    cr_assert_eq(q.seq, 1);
    cr_assert_str_eq(q.name, "batch-000001.837");
    for (uint64_t s = 1; s <= 5; s++)
        if (s != 2 && s != 3)
            set_state(j, s, JOB_FAILED);
    cr_assert_eq(journal_next_queued(j, &q), -ENOENT);
    check_consistent(j);
    journal_close(j);
}

Test(journal, recover_running)
{
    journal *j = jopen();
    for (uint32_t i = 1; i <= 6; i++)
        add(j, i);
    job_rec r;
    cr_assert_eq(journal_get(j, 2, &r), 0);
    r.state = JOB_RUNNING;
    r.attempts = 2;
    r.started = 1700000999;
    strcpy(r.tables, "2024q3");
    cr_assert_eq(journal_put(j, &r), 0);
    set_state(j, 5, JOB_RUNNING);
    set_state(j, 1, JOB_DONE);
    check_consistent(j);
    journal_close(j);

    j = jopen();
    unsigned n = 99;
    cr_assert_eq(journal_recover(j, &n), 0);
    cr_assert_eq(n, 2);
    job_rec g;
    cr_assert_eq(journal_get(j, 2, &g), 0);
    cr_assert_eq(g.state, JOB_QUEUED);
    cr_assert_eq(g.attempts, 2);
    cr_assert_eq(g.started, 1700000999);
    cr_assert_str_eq(g.tables, "2024q3");
    uint64_t c[JOB_STATE_COUNT];
    cr_assert_eq(journal_counts(j, c), 0);
    cr_assert_eq(c[JOB_RUNNING], 0);
    cr_assert_eq(c[JOB_QUEUED], 5);
    cr_assert_eq(c[JOB_DONE], 1);
    check_consistent(j);
    cr_assert_eq(journal_recover(j, &n), 0);
    cr_assert_eq(n, 0);
    journal_close(j);
}

static void model_check(journal *j, const uint8_t *model, uint64_t nseq)
{
    uint64_t want[JOB_STATE_COUNT] = {0}, c[JOB_STATE_COUNT], first = 0;
    for (uint64_t s = 1; s <= nseq; s++) {
        want[model[s]]++;
        if (!first && model[s] == JOB_QUEUED)
            first = s;
    }
    cr_assert_eq(journal_counts(j, c), 0);
    for (int st = 0; st < JOB_STATE_COUNT; st++)
        cr_assert_eq(c[st], want[st], "state %d: %llu, want %llu", st, (unsigned long long)c[st],
                     (unsigned long long)want[st]);
    job_rec q;
    if (first) {
        cr_assert_eq(journal_next_queued(j, &q), 0);
        cr_assert_eq(q.seq, first);
    } else {
        cr_assert_eq(journal_next_queued(j, &q), -ENOENT);
    }
}

/* Random adds, puts, finishes, refused repeats, recovers and reopens against
 * a model of every job's state. */
Test(journal, counts_exact_against_model)
{
    enum { OPS = 500 };
    static uint8_t model[OPS + 2];
    uint64_t nseq = 0, rs = 0x9e3779b97f4a7c15ull;
    journal *j = jopen();
    for (int op = 0; op < OPS; op++) {
        unsigned k = (unsigned)(rng_next(&rs) % 10);
        uint64_t pick = nseq ? 1 + rng_next(&rs) % nseq : 0;
        if (k <= 3 || !nseq) {
            job_rec r = mkrec((uint32_t)nseq + 1);
            r.state = (uint8_t)(rng_next(&rs) % 4 == 0 ? JOB_RUNNING : JOB_QUEUED);
            cr_assert_eq(journal_add(j, &r, true), 0);
            cr_assert_eq(r.seq, ++nseq);
            model[nseq] = r.state;
        } else if (k <= 5) {
            job_state st = (job_state)(rng_next(&rs) % JOB_STATE_COUNT);
            set_state(j, pick, st);
            model[pick] = (uint8_t)st;
        } else if (k == 6) {
            finish(j, pick, (uint32_t)(pick % 7), (unsigned)(pick % 4));
            model[pick] = JOB_DONE;
        } else if (k == 7) {
            journal_close(j);
            j = jopen();
        } else if (k == 8) {
            unsigned n, want = 0;
            for (uint64_t s = 1; s <= nseq; s++)
                if (model[s] == JOB_RUNNING)
                    model[s] = JOB_QUEUED, want++;
            cr_assert_eq(journal_recover(j, &n), 0);
            cr_assert_eq(n, want);
        } else {
            job_rec r = mkrec((uint32_t)pick);
            cr_assert_eq(journal_add(j, &r, true), -CLAIMD_EJNL_REPEAT);
        }
        model_check(j, model, nseq);
    }
    check_consistent(j);
    journal_close(j);
}

/* ---- journal_each -------------------------------------------------------- */

typedef struct each_ctx {
    journal *j;
    uint64_t seen[400], n;
    int stop_at;
    bool modify;
} each_ctx;

static int each_fn(void *vc, const job_rec *r)
{
    each_ctx *c = vc;
    c->seen[c->n++] = r->seq;
    if (c->modify) { /* a callback may write: no transaction is open */
        job_rec w = *r;
        w.state = JOB_CANCELLED;
        if (journal_put(c->j, &w) != 0)
            return -1000;
    }
    return c->stop_at && (int)c->n == c->stop_at ? 77 : 0;
}

Test(journal, each_filters_batches_and_stops)
{
    journal *j = jopen();
    for (uint32_t i = 1; i <= 300; i++)
        add(j, i);
    for (uint64_t s = 3; s <= 300; s += 3)
        set_state(j, s, JOB_DONE);
    for (uint64_t s = 2; s <= 300; s += 30)
        set_state(j, s, JOB_RUNNING);
    each_ctx c = {.j = j};
    cr_assert_eq(journal_each(j, -1, 0, each_fn, &c), 0);
    cr_assert_eq(c.n, 300);
    for (uint64_t i = 0; i < 300; i++)
        cr_assert_eq(c.seen[i], i + 1);

    c = (each_ctx){.j = j};
    cr_assert_eq(journal_each(j, JOB_DONE, 0, each_fn, &c), 0);
    cr_assert_eq(c.n, 100);
    for (uint64_t i = 0; i < 100; i++)
        cr_assert_eq(c.seen[i], 3 * (i + 1));

    c = (each_ctx){.j = j};
    cr_assert_eq(journal_each(j, JOB_RUNNING, 100, each_fn, &c), 0);
    cr_assert_eq(c.n, 6); /* 122, 152, ..., 272 */
    cr_assert_eq(c.seen[0], 122);

    c = (each_ctx){.j = j};
    cr_assert_eq(journal_each(j, JOB_QUEUED, 250, each_fn, &c), 0);
    uint64_t want = 0;
    for (uint64_t s = 250; s <= 300; s++)
        want += s % 3 != 0 && !(s % 30 == 2);
    cr_assert_eq(c.n, want);
    cr_assert_eq(c.seen[0], 250);

    c = (each_ctx){.j = j, .stop_at = 130};
    cr_assert_eq(journal_each(j, -1, 0, each_fn, &c), 77);
    cr_assert_eq(c.n, 130);
    c = (each_ctx){.j = j};
    cr_assert_eq(journal_each(j, -1, 301, each_fn, &c), 0);
    cr_assert_eq(c.n, 0);

    /* cancel every queued job from inside the callback, past batch edges */
    c = (each_ctx){.j = j, .modify = true};
    cr_assert_eq(journal_each(j, JOB_QUEUED, 0, each_fn, &c), 0);
    cr_assert_gt(c.n, 64 * 2);
    job_rec q;
    cr_assert_eq(journal_next_queued(j, &q), -ENOENT);
    check_consistent(j);
    journal_close(j);
}

/* ---- history ------------------------------------------------------------- */

Test(journal, finish_is_atomic_and_durable)
{
    journal *j = jopen();
    add(j, 1);
    add(j, 2);
    finish(j, 1, 500, 5);
    journal_close(j);

    j = jopen();
    job_rec g;
    cr_assert_eq(journal_get(j, 1, &g), 0);
    cr_assert_eq(g.state, JOB_DONE);
    cr_assert_eq(g.ended, g.submitted + 5);
    fp_set *set;
    cr_assert_eq(fp_set_create(0, &set), 0);
    uint64_t n = 0;
    cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
    cr_assert_eq(n, 5);
    for (unsigned k = 0; k < 5; k++) {
        fp128 f = mkfp(1, k);
        cr_assert_eq(fp_set_add(set, &f), 1, "fingerprint %u not loaded", k);
    }
    /* a finish that fails leaves neither the state nor the blob */
    job_rec r = mkrec(3);
    r.seq = 3;
    r.state = JOB_DONE;
    fp128 f = mkfp(3, 0);
    cr_assert_eq(journal_finish(j, &r, 500, &f, 1), -ENOENT);
    fp_set_free(set);
    cr_assert_eq(fp_set_create(0, &set), 0);
    cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
    cr_assert_eq(n, 5);
    /* finish with no fingerprints writes the state only */
    cr_assert_eq(journal_get(j, 2, &g), 0);
    g.state = JOB_DONE;
    cr_assert_eq(journal_finish(j, &g, 501, NULL, 0), 0);
    cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
    cr_assert_eq(n, 0); /* all present already */
    cr_assert_eq(fp_set_count(set), 5);
    check_consistent(j);
    fp_set_free(set);
    journal_close(j);
}

Test(journal, history_load_and_expire)
{
    journal *j = jopen();
    /* jobs 1..6 on days 100, 100, 101, 102, 102, 103; 3 fps each */
    const uint32_t days[] = {0, 100, 100, 101, 102, 102, 103};
    for (uint32_t i = 1; i <= 6; i++) {
        add(j, i);
        finish(j, i, days[i], 3);
    }
    fp_set *set;
    cr_assert_eq(fp_set_create(0, &set), 0);
    uint64_t n = 0;
    cr_assert_eq(journal_history_load(j, 102, set, &n), 0);
    cr_assert_eq(n, 9);
    cr_assert_eq(fp_set_count(set), 9);
    cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
    cr_assert_eq(n, 9); /* the other 9; the loaded ones count once */
    cr_assert_eq(fp_set_count(set), 18);
    /* the stored 96 bits are what fp_set compares: hi's top half is dropped */
    fp128 f = mkfp(4, 1);
    cr_assert_eq(fp_set_add(set, &f), 1);

    cr_assert_eq(journal_history_expire(j, 102, set, &n), 0);
    cr_assert_eq(n, 9);
    cr_assert_eq(fp_set_count(set), 9);
    for (uint64_t s = 1; s <= 6; s++)
        for (unsigned k = 0; k < 3; k++) {
            fp128 g = mkfp(s, k);
            cr_assert_eq(fp_set_remove(set, &g), days[s] >= 102, "seq %llu fp %u",
                         (unsigned long long)s, k);
            if (days[s] >= 102)
                cr_assert_eq(fp_set_add(set, &g), 0);
        }
    cr_assert_eq(journal_history_expire(j, 102, set, &n), 0);
    cr_assert_eq(n, 0);
    /* without a set: only the blobs go */
    cr_assert_eq(journal_history_expire(j, 103, NULL, &n), 0);
    cr_assert_eq(n, 6);
    cr_assert_eq(fp_set_count(set), 9);
    journal_close(j);

    j = jopen();
    fp_set_free(set);
    cr_assert_eq(fp_set_create(0, &set), 0);
    cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
    cr_assert_eq(n, 3, "expired blobs came back after a reopen");
    cr_assert_eq(journal_history_expire(j, UINT32_MAX, set, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(fp_set_count(set), 0);
    /* the job records are untouched by expiry */
    uint64_t c[JOB_STATE_COUNT];
    cr_assert_eq(journal_counts(j, c), 0);
    cr_assert_eq(c[JOB_DONE], 6);
    fp_set_free(set);
    journal_close(j);
}

/* The same fingerprint in an expired blob and a retained one stays in the
 * set; one only in expired blobs (even several) goes. */
Test(journal, expire_keeps_fingerprints_still_retained)
{
    journal *j = jopen();
    fp128 x = {11, 1}, y = {22, 2}, z = {33, 3}, w = {44, 4};
    fp128 a[] = {x, y, w}, b[] = {x, w}, c[] = {y, z};
    const struct {
        const fp128 *f;
        size_t n;
        uint32_t day;
    } jobs[] = {{a, 3, 100}, {b, 2, 101}, {c, 2, 102}};
    for (uint32_t i = 0; i < 3; i++) {
        job_rec r = mkrec(i + 1);
        cr_assert_eq(journal_add(j, &r, true), 0);
        r.state = JOB_DONE;
        cr_assert_eq(journal_finish(j, &r, jobs[i].day, jobs[i].f, jobs[i].n), 0);
    }
    fp_set *set;
    cr_assert_eq(fp_set_create(0, &set), 0);
    uint64_t n;
    cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(journal_history_expire(j, 102, set, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(fp_set_count(set), 2);
    cr_assert_eq(fp_set_remove(set, &x), 0, "x is in expired blobs only");
    cr_assert_eq(fp_set_remove(set, &w), 0, "w is in expired blobs only");
    cr_assert_eq(fp_set_remove(set, &y), 1, "y is still in day 102's blob");
    cr_assert_eq(fp_set_remove(set, &z), 1);
    fp_set_free(set);
    journal_close(j);
}

/* ---- locking, files ------------------------------------------------------ */

Test(journal, second_open_in_process_is_ebusy)
{
    journal *j = jopen(), *k = NULL;
    add(j, 1);
    cr_assert_eq(journal_open(g_dir, &k), -EBUSY);
    cr_assert_null(k);
    /* the refused open touched nothing of the first: LMDB's locks intact */
    add(j, 2);
    job_rec g;
    cr_assert_eq(journal_get(j, 1, &g), 0);
    check_consistent(j);
    journal_close(j);
    j = jopen();
    cr_assert_eq(journal_get(j, 2, &g), 0);
    journal_close(j);
}

static int child_open_rc(void)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        journal *k = NULL;
        int rc = journal_open(g_dir, &k);
        journal_close(k);
        _exit(rc == 0 ? 0 : rc == -EBUSY ? 1 : 2);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

Test(journal, open_in_child_is_ebusy)
{
    journal *j = jopen();
    add(j, 1);
    cr_assert_eq(child_open_rc(), 1, "a child opened a journal the parent holds");
    add(j, 2); /* the parent's journal still works */
    journal_close(j);
    cr_assert_eq(child_open_rc(), 0, "the lock outlived journal_close");
    j = jopen();
    check_consistent(j);
    journal_close(j);
}

Test(journal, modes_whatever_the_umask)
{
    mode_t old = umask(077);
    journal *j = jopen();
    umask(old);
    add(j, 1);
    journal_close(j);
    struct stat st;
    cr_assert_eq(stat(g_dir, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0750);
    const char *files[] = {"data.mdb", "lock.mdb", "journal.lock"};
    for (int i = 0; i < 3; i++) {
        char *p = tu_path(g_dir, files[i]);
        cr_assert_eq(stat(p, &st), 0, "%s missing", files[i]);
        cr_assert_eq(st.st_mode & 07777, 0640, "%s is %o", files[i], st.st_mode & 07777);
        free(p);
    }
    /* an existing folder is used as it is */
    cr_assert_eq(chmod(g_dir, 0700), 0);
    old = umask(0);
    j = jopen();
    umask(old);
    journal_close(j);
    cr_assert_eq(stat(g_dir, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0700);
}

/* ---- damage -------------------------------------------------------------- */

/* Offsets in an encoded record (journal.h: a version byte, then fixed
 * fields, then the strings). */
enum { OFF_VERSION = 0, OFF_SEQ = 1, OFF_STATE = 9, OFF_SOURCE = 10, OFF_NAME = 103 };

Test(journal, corrupt_records)
{
    journal *j = jopen();
    for (uint32_t i = 1; i <= 200; i++)
        add(j, i);
    journal_close(j);

    raw r;
    raw_begin(&r, "jobs");
    uint8_t k[8], good[1200], bad[1200];
    be64(k, 1);
    size_t len = raw_get(&r, k, 8, good, sizeof good);
    cr_assert_lt(len + 20, 200, "record longer than the test expects");
    /* job s (2 .. len+1) is job 1's record cut to s-2 bytes, seq patched */
    for (uint64_t s = 2; s < len + 2; s++) {
        memcpy(bad, good, len);
        for (int b = 0; b < 8; b++)
            bad[OFF_SEQ + b] = (uint8_t)(s >> (8 * b));
        be64(k, s);
        raw_put(&r, k, 8, bad, s - 2);
    }
    uint64_t s = len + 2;
    /* then: a trailing byte, another version, a bad state, a bad source, a
     * NUL inside the name, a name length past the record, another seq */
    const int kinds = 7;
    for (int kind = 0; kind < kinds; kind++, s++) {
        memcpy(bad, good, len);
        for (int b = 0; b < 8; b++)
            bad[OFF_SEQ + b] = (uint8_t)(s >> (8 * b));
        size_t blen = len;
        if (kind == 0)
            bad[blen++] = 0;
        else if (kind == 1)
            bad[OFF_VERSION] = 2;
        else if (kind == 2)
            bad[OFF_STATE] = JOB_STATE_COUNT;
        else if (kind == 3)
            bad[OFF_SOURCE] = 9;
        else if (kind == 4)
            bad[OFF_NAME + 3] = 0;
        else if (kind == 5)
            bad[OFF_NAME] = 0xff;
        else
            bad[OFF_SEQ] ^= 1;
        be64(k, s);
        raw_put(&r, k, 8, bad, blen);
    }
    raw_commit(&r);

    j = jopen();
    job_rec g;
    cr_assert_eq(journal_get(j, 1, &g), 0);
    for (uint64_t q = 2; q < s; q++) {
        memset(&g, 0x55, sizeof g);
        cr_assert_eq(journal_get(j, q, &g), -CLAIMD_EJNL_CORRUPT, "seq %llu decoded",
                     (unsigned long long)q);
        cr_assert_eq(g.seq, 0x5555555555555555ull, "out written on failure");
    }
    cr_assert_eq(journal_get(j, s, &g), 0); /* the next one is intact */
    scan sc = {.next = 1};
    cr_assert_eq(journal_each(j, -1, 0, scan_fn, &sc), -CLAIMD_EJNL_CORRUPT);
    cr_assert_eq(sc.n, 1, "the records before the bad one are delivered");
    g = mkrec(2);
    g.seq = 2;
    cr_assert_eq(journal_put(j, &g), -CLAIMD_EJNL_CORRUPT);
    job_rec q;
    cr_assert_eq(journal_next_queued(j, &q), 0);
    cr_assert_eq(q.seq, 1);
    set_state(j, 1, JOB_DONE);
    cr_assert_eq(journal_next_queued(j, &q), -CLAIMD_EJNL_CORRUPT);
    journal_close(j);
}

Test(journal, corrupt_hash_and_history)
{
    journal *j = jopen();
    add(j, 1);
    finish(j, 1, 10, 2);
    journal_close(j);
    raw r;
    raw_begin(&r, "hashes");
    job_rec one = mkrec(1);
    raw_put(&r, one.hash, 16, "abc", 3);
    cr_assert_eq(mdb_txn_commit(r.txn), 0);
    cr_assert_eq(mdb_txn_begin(r.env, NULL, 0, &r.txn), 0);
    cr_assert_eq(mdb_dbi_open(r.txn, "history", 0, &r.dbi), 0);
    uint8_t hk[12] = {0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 9}; /* after job 1's (10, 1) */
    raw_put(&r, hk, 12, "0123456789abc", 13);
    raw_commit(&r);

    j = jopen();
    job_rec a = mkrec(1);
    cr_assert_eq(journal_add(j, &a, false), -CLAIMD_EJNL_CORRUPT);
    fp_set *set;
    cr_assert_eq(fp_set_create(0, &set), 0);
    uint64_t n = 12345;
    cr_assert_eq(journal_history_load(j, 0, set, &n), -CLAIMD_EJNL_CORRUPT);
    cr_assert_eq(n, 12345, "n written on failure");
    cr_assert_eq(fp_set_count(set), 2);                    /* the good blob before the bad one */
    cr_assert_eq(journal_history_load(j, 11, set, &n), 0); /* past the bad blob */
    cr_assert_eq(n, 0);
    /* an expiry that fails puts back what it took out: job 1's blob comes
     * out of the set, then the bad blob fails the transaction */
    cr_assert_eq(journal_history_expire(j, 11, set, &n), -CLAIMD_EJNL_CORRUPT);
    cr_assert_eq(fp_set_count(set), 2);
    for (unsigned k = 0; k < 2; k++) {
        fp128 f = mkfp(1, k);
        cr_assert_eq(fp_set_add(set, &f), 1);
    }
    cr_assert_eq(journal_history_load(j, 0, set, &n), -CLAIMD_EJNL_CORRUPT,
                 "the failed expiry deleted something");
    fp_set_free(set);
    check_consistent(j);
    journal_close(j);
}

Test(journal, layout_mismatch_and_foreign_file)
{
    journal *j = jopen();
    journal_close(j);
    raw r;
    raw_begin(&r, "meta");
    uint8_t two[4] = {2, 0, 0, 0};
    raw_put(&r, "layout", 6, two, 4);
    raw_commit(&r);
    cr_assert_eq(journal_open(g_dir, &j), -CLAIMD_EJNL_LAYOUT);

    char p[256];
    snprintf(p, sizeof p, "%s/other", g_root);
    cr_assert_eq(mkdir(p, 0700), 0);
    char *data = tu_path(p, "data.mdb");
    FILE *fh = fopen(data, "w");
    cr_assert_not_null(fh);
    for (int i = 0; i < 16384; i++)
        fputc(0x5a, fh);
    fclose(fh);
    free(data);
    cr_assert_eq(journal_open(p, &j), -CLAIMD_EJNL_LAYOUT);
}

Test(journal, counts_and_indexes_rebuilt_when_missing)
{
    journal *j = jopen();
    for (uint32_t i = 1; i <= 40; i++)
        add(j, i);
    for (uint64_t s = 1; s <= 40; s += 4)
        set_state(j, s, JOB_RUNNING);
    for (uint64_t s = 2; s <= 40; s += 4)
        finish(j, s, 3, 1);
    journal_close(j);
    raw r;
    raw_begin(&r, "meta");
    raw_del(&r, "counts", 6);
    raw_del(&r, "next_seq", 8);
    cr_assert_eq(mdb_txn_commit(r.txn), 0);
    cr_assert_eq(mdb_txn_begin(r.env, NULL, 0, &r.txn), 0);
    cr_assert_eq(mdb_dbi_open(r.txn, "queue", 0, &r.dbi), 0);
    cr_assert_eq(mdb_drop(r.txn, r.dbi, 0), 0);
    raw_commit(&r);

    j = jopen();
    uint64_t c[JOB_STATE_COUNT];
    cr_assert_eq(journal_counts(j, c), 0);
    cr_assert_eq(c[JOB_RUNNING], 10);
    cr_assert_eq(c[JOB_DONE], 10);
    cr_assert_eq(c[JOB_QUEUED], 20);
    check_consistent(j);
    unsigned n;
    cr_assert_eq(journal_recover(j, &n), 0);
    cr_assert_eq(n, 10);
    cr_assert_eq(add(j, 41), 41, "next_seq not rebuilt past the last job");
    check_consistent(j);
    journal_close(j);
}

/* ---- growth -------------------------------------------------------------- */

/* 5 k adds from a 64 KiB map: six doublings. (Each add is a synced commit,
 * about 5 ms on a busy disk, so 20 k would take minutes.) */
Test(journal, many_jobs_grow_the_map, .timeout = 300)
{
    enum { N = 5000 };
    const size_t initial = 64 << 10;
    journal *j;
    cr_assert_eq(journal_open_sized(g_dir, initial, 0, &j), 0);
    for (uint32_t i = 1; i <= N; i++) {
        job_rec r = mkrec(i);
        int rc = journal_add(j, &r, true);
        cr_assert_eq(rc, 0, "add %u: %s", i, claimd_strerror(rc));
        cr_assert_eq(r.seq, i);
    }
    struct stat st;
    char *data = tu_path(g_dir, "data.mdb");
    cr_assert_eq(stat(data, &st), 0);
    cr_assert_gt((size_t)st.st_size, 8 * initial, "the map did not grow enough (%lld bytes)",
                 (long long)st.st_size);
    free(data);
    for (uint64_t s = 1; s <= N; s += 997) {
        job_rec g;
        cr_assert_eq(journal_get(j, s, &g), 0);
        job_rec w = mkrec((uint32_t)s);
        cr_assert_str_eq(g.name, w.name);
    }
    check_consistent(j);
    journal_close(j);
    j = jopen(); /* the default map size, above the file */
    scan s = scan_all(j);
    cr_assert_eq(s.n, N);
    cr_assert_eq(add(j, N + 1), N + 1);
    journal_close(j);
}

Test(journal, capped_map_fails_cleanly)
{
    journal *j;
    cr_assert_eq(journal_open_sized(g_dir, 64 << 10, 192 << 10, &j), 0);
    uint32_t ok = 0;
    int rc = 0;
    for (uint32_t i = 1; i < 100000 && rc == 0; i++) {
        job_rec r = mkrec(i);
        strcpy(r.reason, "padding the record so the map fills sooner");
        rc = journal_add(j, &r, false);
        ok += rc == 0;
    }
    cr_assert_eq(rc, -CLAIMD_EJNL_LMDB, "%s", claimd_strerror(rc));
    cr_assert_gt(ok, 50);
    check_consistent(j);
    scan s = scan_all(j);
    cr_assert_eq(s.n, ok, "the failed add left something");
    journal_close(j);
    j = jopen();
    cr_assert_eq(add(j, 100001), ok + 1);
    check_consistent(j);
    journal_close(j);
}

typedef struct thr {
    journal *j;
    uint32_t base;
    int rc;
} thr;

enum { THREADS = 4, PER_THREAD = 250 };

static void *writer(void *vp)
{
    thr *t = vp;
    for (uint32_t i = 0; i < PER_THREAD && t->rc == 0; i++) {
        job_rec r = mkrec(t->base + i);
        t->rc = journal_add(t->j, &r, true);
        if (t->rc == 0 && i % 4 == 0) {
            r.state = JOB_RUNNING;
            t->rc = journal_put(t->j, &r);
        }
    }
    return NULL;
}

static _Atomic int g_writers_done;

static void *reader(void *vp)
{
    thr *t = vp;
    while (!g_writers_done && t->rc == 0) {
        uint64_t c[JOB_STATE_COUNT];
        job_rec q;
        scan s = {.next = 1};
        t->rc = journal_counts(t->j, c);
        if (t->rc == 0)
            t->rc = journal_each(t->j, -1, 0, scan_fn, &s);
        int q_rc = t->rc == 0 ? journal_next_queued(t->j, &q) : 0;
        if (q_rc != 0 && q_rc != -ENOENT)
            t->rc = q_rc;
    }
    return NULL;
}

Test(journal, threads_share_a_growing_journal, .timeout = 120)
{
    journal *j;
    cr_assert_eq(journal_open_sized(g_dir, 64 << 10, 0, &j), 0);
    pthread_t tid[THREADS + 1];
    thr t[THREADS + 1];
    g_writers_done = 0;
    for (int i = 0; i <= THREADS; i++) {
        t[i] = (thr){j, (uint32_t)i * 100000 + 1, 0};
        cr_assert_eq(pthread_create(&tid[i], NULL, i < THREADS ? writer : reader, &t[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    g_writers_done = 1;
    pthread_join(tid[THREADS], NULL);
    for (int i = 0; i <= THREADS; i++)
        cr_assert_eq(t[i].rc, 0, "thread %d: %s", i, claimd_strerror(t[i].rc));
    scan s = scan_all(j);
    cr_assert_eq(s.n, THREADS * PER_THREAD);
    cr_assert_eq(s.counts[JOB_RUNNING], THREADS * ((PER_THREAD + 3) / 4));
    check_consistent(j);
    journal_close(j);
}

/* ---- crash --------------------------------------------------------------- */

/* Adds, starts and finishes jobs until killed; says "x" on fd after 60. */
static void crash_child(int fd, uint32_t base)
{
    journal *j;
    if (journal_open_sized(g_dir, 128 << 10, 0, &j) != 0)
        _exit(2);
    for (uint32_t i = 1;; i++) {
        job_rec r = mkrec(base + i);
        if (journal_add(j, &r, true) != 0)
            _exit(3);
        if (i % 3 == 1) {
            r.state = JOB_RUNNING;
            if (journal_put(j, &r) != 0)
                _exit(4);
        }
        if (i % 5 == 2) {
            fp128 fps[4];
            for (unsigned k = 0; k < 4; k++)
                fps[k] = mkfp(r.seq, k);
            r.state = JOB_DONE;
            if (journal_finish(j, &r, journal_day(r.submitted), fps, 4) != 0)
                _exit(5);
        }
        if (i == 60 && write(fd, "x", 1) != 1)
            _exit(6);
    }
}

Test(journal, survives_sigkill_mid_stream, .timeout = 120)
{
    for (int round = 0; round < 3; round++) {
        int pfd[2];
        cr_assert_eq(pipe(pfd), 0);
        fflush(NULL);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(pfd[0]);
            crash_child(pfd[1], (uint32_t)round * 1000000);
        }
        close(pfd[1]);
        char c;
        cr_assert_eq(read(pfd[0], &c, 1), 1, "the child failed before 60 jobs");
        close(pfd[0]);
        usleep(50000 + 70000 * round);
        cr_assert_eq(kill(pid, SIGKILL), 0);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child exited %d",
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1);

        journal *j = jopen();
        scan s = scan_all(j);
        cr_assert_geq(s.n, 60);
        check_consistent(j);
        fp_set *set;
        cr_assert_eq(fp_set_create(0, &set), 0);
        uint64_t n;
        cr_assert_eq(journal_history_load(j, 0, set, &n), 0);
        cr_assert_eq(n, 4 * s.counts[JOB_DONE], "done jobs and history blobs disagree");
        fp_set_free(set);
        unsigned rec;
        cr_assert_eq(journal_recover(j, &rec), 0);
        cr_assert_eq(rec, s.counts[JOB_RUNNING]);
        check_consistent(j);
        job_rec r = mkrec(999999 - (uint32_t)round);
        cr_assert_eq(journal_add(j, &r, true), 0);
        cr_assert_eq(r.seq, s.n + 1);
        journal_close(j);
    }
}
