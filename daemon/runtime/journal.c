/* The job journal: one LMDB environment, one writer process (flock on
 * journal.lock), any thread. Every public call is one transaction run
 * under j->lk held shared; the map grows under j->lk held exclusive, when
 * no transaction of this process is live (mdb_env_set_mapsize's rule).
 *
 * Internally LMDB results go through jnl_err() once, at the call: it logs
 * and maps them, and turns MDB_MAP_FULL and MDB_MAP_RESIZED into private
 * codes that only the transaction runners see (they grow or adopt the map
 * and retry). */
#define _GNU_SOURCE /* flock */
#include "journal.h"

#include "claimd/error.h"
#include "claimd/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(size_t) >= 8, "the journal's map sizes need a 64-bit size_t");

#define JNL_EMAPFULL (-CLAIMD_ELAST - 1) /* private: grow the map, retry */
#define JNL_ERESIZED (-CLAIMD_ELAST - 2) /* private: adopt the map size, retry */
#define JNL_TRIES    64                  /* retries of one transaction, at most */
#define JNL_MAXDBS   8
#define EACH_BATCH   64

#define META_LAYOUT  "layout"
#define META_NEXTSEQ "next_seq"
#define META_COUNTS  "counts"

/* The encoded record: version, fixed fields (REC_FIXED bytes in all), then
 * four u16-length-prefixed strings. */
#define REC_VERSION 1u
#define REC_FIXED   103u
#define REC_MAX     (REC_FIXED + 8 + 2 * JOURNAL_NAME_MAX + JOURNAL_TABLES_MAX + JOURNAL_REASON_MAX)
#define HIST_KEY    12u /* u32 day + u64 seq, both BE */
#define HIST_FP     12u /* u64 lo + u32 low hi, both LE */

struct journal {
    MDB_env *env;
    MDB_dbi meta, jobs, queue, running, hashes, history;
    pthread_rwlock_t lk; /* shared: any transaction; exclusive: map size changes */
    size_t map_size;     /* written under lk exclusive */
    size_t map_max;
    int lock_fd;
};

typedef int (*txn_fn)(journal *j, MDB_txn *txn, void *ctx);

/* ---- small encoders ------------------------------------------------------ */

static uint8_t *put_le(uint8_t *p, uint64_t v, unsigned w)
{
    for (unsigned i = 0; i < w; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + w;
}

static uint64_t get_le(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned w)
{
    for (unsigned i = 0; i < w; i++)
        p[i] = (uint8_t)(v >> (8 * (w - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

static MDB_val mval(const void *p, size_t n)
{
    return (MDB_val){n, (void *)p};
}

/* ---- states, ids, days --------------------------------------------------- */

static const char *const job_state_names[JOB_STATE_COUNT] = {"queued", "running", "done", "failed",
                                                             "cancelled"};

const char *job_state_name(job_state s)
{
    return (unsigned)s < JOB_STATE_COUNT ? job_state_names[s] : NULL;
}

int job_state_parse(const char *name)
{
    for (int s = 0; name && s < JOB_STATE_COUNT; s++)
        if (strcmp(name, job_state_names[s]) == 0)
            return s;
    return -EINVAL;
}

uint32_t journal_day(int64_t t)
{
    if (t < 0)
        return 0;
    int64_t d = t / 86400;
    return d > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* The civil date of day d since 1970-01-01 (proleptic Gregorian; Howard
 * Hinnant's days_from_civil inverse). */
static void civil(int64_t d, int *y, unsigned *m, unsigned *dd)
{
    d += 719468;
    int64_t era = d / 146097;
    unsigned doe = (unsigned)(d - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *dd = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

void journal_id(uint64_t seq, int64_t submitted, char id[JOURNAL_ID_MAX])
{
    const int64_t last = 253402300799; /* 9999-12-31T23:59:59Z */
    int y;
    unsigned m, d;
    civil(journal_day(submitted > last ? last : submitted), &y, &m, &d);
    char digits[21];
    int n = 0;
    do
        digits[n++] = (char)('0' + seq % 10);
    while ((seq /= 10) != 0);
    while (n < 6)
        digits[n++] = '0';
    unsigned ymd = (unsigned)y * 10000 + m * 100 + d;
    for (int i = 7; i >= 0; i--, ymd /= 10)
        id[i] = (char)('0' + ymd % 10);
    id[8] = '-';
    for (int i = 0; i < n; i++)
        id[9 + i] = digits[n - 1 - i];
    id[9 + n] = 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int journal_id_parse(const char *id, uint64_t *seq)
{
    if (!id || !seq)
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        if (!is_digit(id[i]))
            return -EINVAL;
    if (id[8] != '-')
        return -EINVAL;
    const char *p = id + 9;
    uint64_t v = 0;
    size_t n = 0;
    for (; is_digit(p[n]); n++) {
        unsigned dg = (unsigned)(p[n] - '0');
        if (n >= 20 || v > (UINT64_MAX - dg) / 10)
            return -EINVAL;
        v = v * 10 + dg;
    }
    if (p[n] != 0 || n < 6 || (n > 6 && p[0] == '0') || v == 0)
        return -EINVAL;
    *seq = v;
    return 0;
}

/* ---- records ------------------------------------------------------------- */

static bool str_ok(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

/* What journal_add/put accept: a valid state and source, every string
 * terminated within its field. */
static int rec_check(const job_rec *r)
{
    if (r->state >= JOB_STATE_COUNT || r->source > JOB_SRC_SOCKET)
        return -EINVAL;
    if (!str_ok(r->name, sizeof r->name) || !str_ok(r->intake, sizeof r->intake) ||
        !str_ok(r->tables, sizeof r->tables) || !str_ok(r->reason, sizeof r->reason))
        return -EINVAL;
    return 0;
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p = put_le(p, n, 2);
    memcpy(p, s, n); // NOLINT(bugprone-not-null-terminated-result): length-prefixed, no NUL stored
    return p + n;
}

/* Encodes r (rec_check()ed) into buf[REC_MAX]; returns the length. */
static size_t rec_encode(const job_rec *r, uint8_t *buf)
{
    uint8_t *p = buf;
    *p++ = REC_VERSION;
    p = put_le(p, r->seq, 8);
    *p++ = r->state;
    *p++ = r->source;
    p = put_le(p, r->flags, 4);
    p = put_le(p, r->submit_uid, 4);
    p = put_le(p, r->attempts, 4);
    p = put_le(p, (uint64_t)r->submitted, 8);
    p = put_le(p, (uint64_t)r->started, 8);
    p = put_le(p, (uint64_t)r->ended, 8);
    memcpy(p, r->hash, 16);
    p += 16;
    p = put_le(p, r->size, 8);
    p = put_le(p, r->repeat_of, 8);
    p = put_le(p, r->claims, 8);
    p = put_le(p, r->accepted, 8);
    p = put_le(p, r->rejected, 8);
    p = put_str(p, r->name);
    p = put_str(p, r->intake);
    p = put_str(p, r->tables);
    p = put_str(p, r->reason);
    return (size_t)(p - buf);
}

typedef struct reader {
    const uint8_t *p;
    size_t n;
    bool bad;
} reader;

static uint64_t rd_le(reader *rd, unsigned w)
{
    if (rd->n < w) {
        rd->bad = true;
        return 0;
    }
    uint64_t v = get_le(rd->p, w);
    rd->p += w;
    rd->n -= w;
    return v;
}

/* A string of fewer than cap bytes, without NUL, terminated in out. */
static void rd_str(reader *rd, char *out, size_t cap)
{
    size_t len = (size_t)rd_le(rd, 2);
    if (rd->bad || len >= cap || len > rd->n || memchr(rd->p, 0, len)) {
        rd->bad = true;
        return;
    }
    memcpy(out, rd->p, len);
    out[len] = 0;
    rd->p += len;
    rd->n -= len;
}

/* Decodes the record stored under seq into *out (written only on success). */
static int rec_decode(const MDB_val *v, uint64_t seq, job_rec *out)
{
    reader rd = {v->mv_data, v->mv_size, false};
    job_rec r;
    memset(&r, 0, sizeof r);
    if (rd_le(&rd, 1) != REC_VERSION || rd.n < REC_FIXED - 1)
        return -CLAIMD_EJNL_CORRUPT;
    r.seq = rd_le(&rd, 8);
    r.state = (uint8_t)rd_le(&rd, 1);
    r.source = (uint8_t)rd_le(&rd, 1);
    r.flags = (uint32_t)rd_le(&rd, 4);
    r.submit_uid = (uint32_t)rd_le(&rd, 4);
    r.attempts = (uint32_t)rd_le(&rd, 4);
    r.submitted = (int64_t)rd_le(&rd, 8);
    r.started = (int64_t)rd_le(&rd, 8);
    r.ended = (int64_t)rd_le(&rd, 8);
    memcpy(r.hash, rd.p, 16);
    rd.p += 16, rd.n -= 16;
    r.size = rd_le(&rd, 8);
    r.repeat_of = rd_le(&rd, 8);
    r.claims = rd_le(&rd, 8);
    r.accepted = rd_le(&rd, 8);
    r.rejected = rd_le(&rd, 8);
    rd_str(&rd, r.name, sizeof r.name);
    rd_str(&rd, r.intake, sizeof r.intake);
    rd_str(&rd, r.tables, sizeof r.tables);
    rd_str(&rd, r.reason, sizeof r.reason);
    if (rd.bad || rd.n != 0 || r.seq != seq || r.state >= JOB_STATE_COUNT ||
        r.source > JOB_SRC_SOCKET)
        return -CLAIMD_EJNL_CORRUPT;
    *out = r;
    return 0;
}

/* ---- LMDB results and transactions --------------------------------------- */

static int jnl_err(int rc, const char *what)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return -ENOENT;
    case MDB_MAP_FULL:
        return JNL_EMAPFULL;
    case MDB_MAP_RESIZED:
        return JNL_ERESIZED;
    case ENOMEM:
        return -ENOMEM;
    default:
        log_err("journal", "%s: %s", what, mdb_strerror(rc));
        return -CLAIMD_EJNL_LMDB;
    }
}

/* After a transaction failed with MAP_FULL at map size `seen`: doubles the
 * map (unless another thread already grew it) up to the cap. MAP_RESIZED:
 * adopts the size another process committed. No transaction is live. */
static int map_grow(journal *j, size_t seen, int why)
{
    int rc = 0;
    pthread_rwlock_wrlock(&j->lk);
    if (why == JNL_ERESIZED) {
        rc = jnl_err(mdb_env_set_mapsize(j->env, 0), "adopting the map size");
    } else if (j->map_size == seen) {
        if (seen >= j->map_max) {
            log_err("journal", "%s (the map is at its cap of %zu bytes)",
                    mdb_strerror(MDB_MAP_FULL), j->map_max);
            rc = -CLAIMD_EJNL_LMDB;
        } else {
            size_t want = seen > j->map_max / 2 ? j->map_max : seen * 2;
            rc = jnl_err(mdb_env_set_mapsize(j->env, want), "growing the map");
            if (rc == 0)
                log_notice("journal", "map grown from %zu to %zu bytes", seen, want);
        }
    }
    MDB_envinfo info;
    if (rc == 0 && mdb_env_info(j->env, &info) == 0)
        j->map_size = info.me_mapsize;
    pthread_rwlock_unlock(&j->lk);
    return rc;
}

/* Runs fn in a write transaction and commits it unless fn fails; retries
 * the whole transaction after growing a full map. */
static int txn_write(journal *j, txn_fn fn, void *ctx)
{
    for (int tries = 0;; tries++) {
        pthread_rwlock_rdlock(&j->lk);
        size_t seen = j->map_size;
        MDB_txn *txn;
        int rc = jnl_err(mdb_txn_begin(j->env, NULL, 0, &txn), "write txn");
        if (rc == 0) {
            rc = fn(j, txn, ctx);
            if (rc == 0)
                rc = jnl_err(mdb_txn_commit(txn), "commit");
            else
                mdb_txn_abort(txn);
        }
        pthread_rwlock_unlock(&j->lk);
        if (rc != JNL_EMAPFULL && rc != JNL_ERESIZED)
            return rc;
        if (tries == JNL_TRIES) {
            log_err("journal", "map still full after %d retries", tries);
            return -CLAIMD_EJNL_LMDB;
        }
        int grc = map_grow(j, seen, rc);
        if (grc < 0)
            return grc;
    }
}

/* Begins a read transaction with j->lk held shared; rd_end() ends both. */
static int rd_begin(journal *j, MDB_txn **txn)
{
    for (int tries = 0;; tries++) {
        pthread_rwlock_rdlock(&j->lk);
        size_t seen = j->map_size;
        int rc = jnl_err(mdb_txn_begin(j->env, NULL, MDB_RDONLY, txn), "read txn");
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&j->lk);
        if (rc != JNL_ERESIZED)
            return rc;
        if (tries == JNL_TRIES)
            return -CLAIMD_EJNL_LMDB;
        rc = map_grow(j, seen, rc);
        if (rc < 0)
            return rc;
    }
}

static void rd_end(journal *j, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&j->lk);
}

/* ---- meta, counts, indexes ----------------------------------------------- */

static int meta_get(journal *j, MDB_txn *txn, const char *key, MDB_val *v)
{
    MDB_val k = mval(key, strlen(key));
    return jnl_err(mdb_get(txn, j->meta, &k, v), "meta get");
}

static int meta_put(journal *j, MDB_txn *txn, const char *key, const void *val, size_t n)
{
    MDB_val k = mval(key, strlen(key)), v = mval(val, n);
    return jnl_err(mdb_put(txn, j->meta, &k, &v, 0), "meta put");
}

static int meta_put_u64(journal *j, MDB_txn *txn, const char *key, uint64_t x)
{
    uint8_t b[8];
    put_le(b, x, 8);
    return meta_put(j, txn, key, b, 8);
}

static int counts_get(journal *j, MDB_txn *txn, uint64_t c[JOB_STATE_COUNT])
{
    MDB_val v;
    int rc = meta_get(j, txn, META_COUNTS, &v);
    if (rc == -ENOENT || (rc == 0 && v.mv_size != (size_t)8 * JOB_STATE_COUNT))
        return -CLAIMD_EJNL_CORRUPT;
    for (int s = 0; rc == 0 && s < JOB_STATE_COUNT; s++)
        c[s] = get_le((const uint8_t *)v.mv_data + (size_t)8 * s, 8);
    return rc;
}

static int counts_put(journal *j, MDB_txn *txn, const uint64_t c[JOB_STATE_COUNT])
{
    uint8_t b[(size_t)8 * JOB_STATE_COUNT];
    for (int s = 0; s < JOB_STATE_COUNT; s++)
        put_le(b + (size_t)8 * s, c[s], 8);
    return meta_put(j, txn, META_COUNTS, b, sizeof b);
}

/* Moves one job from state `from` (-1: a new job) to `to` in the counts. */
static int counts_move(journal *j, MDB_txn *txn, int from, int to)
{
    if (from == to)
        return 0;
    uint64_t c[JOB_STATE_COUNT];
    int rc = counts_get(j, txn, c);
    if (rc < 0)
        return rc;
    if (from >= 0 && c[from] > 0)
        c[from]--;
    c[to]++;
    return counts_put(j, txn, c);
}

/* The index of a state's jobs, or 0 for a state without one. */
static MDB_dbi state_index(const journal *j, int state)
{
    return state == JOB_QUEUED ? j->queue : state == JOB_RUNNING ? j->running : 0;
}

/* Moves seq from the index of state `from` (-1: none) to that of `to`, and
 * the counts likewise: everything a state change touches besides the
 * record itself. */
static int state_move(journal *j, MDB_txn *txn, uint64_t seq, int from, int to)
{
    if (from == to)
        return 0;
    uint8_t kb[8];
    put_be(kb, seq, 8);
    MDB_val k = mval(kb, 8), empty = mval(kb, 0);
    int rc = 0;
    if (from >= 0 && state_index(j, from)) {
        rc = jnl_err(mdb_del(txn, state_index(j, from), &k, NULL), "index del");
        if (rc == -ENOENT)
            rc = 0; /* already absent: nothing to undo */
    }
    if (rc == 0 && state_index(j, to))
        rc = jnl_err(mdb_put(txn, state_index(j, to), &k, &empty, 0), "index put");
    if (rc == 0)
        rc = counts_move(j, txn, from, to);
    return rc;
}

static int job_put(journal *j, MDB_txn *txn, const job_rec *r, unsigned flags)
{
    uint8_t kb[8], buf[REC_MAX];
    put_be(kb, r->seq, 8);
    MDB_val k = mval(kb, 8), v = mval(buf, rec_encode(r, buf));
    int rc = mdb_put(txn, j->jobs, &k, &v, flags);
    if (rc == MDB_KEYEXIST) { /* a new seq already taken: next_seq is behind */
        log_err("journal", "job %llu exists already", (unsigned long long)r->seq);
        return -CLAIMD_EJNL_CORRUPT;
    }
    return jnl_err(rc, "job put");
}

static int job_get(journal *j, MDB_txn *txn, uint64_t seq, job_rec *out)
{
    uint8_t kb[8];
    put_be(kb, seq, 8);
    MDB_val k = mval(kb, 8), v;
    int rc = jnl_err(mdb_get(txn, j->jobs, &k, &v), "job get");
    if (rc < 0)
        return rc;
    rc = rec_decode(&v, seq, out);
    if (rc < 0)
        log_err("journal", "job %llu: the record does not decode", (unsigned long long)seq);
    return rc;
}

/* ---- opening ------------------------------------------------------------- */

static int dir_make(const char *dir)
{
    if (mkdir(dir, 0750) == 0)
        return chmod(dir, 0750) == 0 ? 0 : -errno; /* whatever the umask */
    if (errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(dir, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int path_in(char *p, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(p, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Opens STATE/journal.lock (0640 when created) and locks it for the
 * journal's life. flock locks belong to the open file description, so a
 * second journal_open in this process conflicts as another process does. */
static int lock_take(journal *j, const char *dir)
{
    char p[PATH_MAX];
    int rc = path_in(p, sizeof p, dir, "journal.lock");
    if (rc < 0)
        return rc;
    int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd >= 0 && fchmod(fd, 0640) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (fd < 0 && errno == EEXIST)
        fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        close(fd);
        return rc;
    }
    j->lock_fd = fd;
    return 0;
}

static int open_err(int rc)
{
    log_err("journal", "opening the environment: %s", mdb_strerror(rc));
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
        return -CLAIMD_EJNL_LAYOUT;
    return rc > 0 ? -rc : -CLAIMD_EJNL_LMDB;
}

static int env_open(journal *j, const char *dir, size_t map_initial)
{
    char data[PATH_MAX], lock[PATH_MAX];
    int rc = path_in(data, sizeof data, dir, "data.mdb");
    if (rc == 0)
        rc = path_in(lock, sizeof lock, dir, "lock.mdb");
    if (rc < 0)
        return rc;
    struct stat st;
    bool fresh = stat(data, &st) != 0 && errno == ENOENT;
    rc = mdb_env_create(&j->env);
    if (rc != 0)
        return open_err(rc);
    rc = mdb_env_set_maxdbs(j->env, JNL_MAXDBS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(j->env, map_initial);
    if (rc == 0)
        rc = mdb_env_open(j->env, dir, MDB_NOTLS, 0640);
    if (rc != 0)
        return open_err(rc);
    if (fresh && (chmod(data, 0640) != 0 || chmod(lock, 0640) != 0))
        return -errno;
    int dead = 0;
    mdb_reader_check(j->env, &dead);
    if (dead > 0)
        log_notice("journal", "cleared %d stale reader slots", dead);
    MDB_envinfo info;
    rc = mdb_env_info(j->env, &info);
    if (rc != 0)
        return open_err(rc);
    j->map_size = info.me_mapsize;
    return 0;
}

static int dbis_open(journal *j, MDB_txn *txn)
{
    static const char *const names[] = {"meta", "jobs", "queue", "running", "hashes", "history"};
    MDB_dbi *dbis[] = {&j->meta, &j->jobs, &j->queue, &j->running, &j->hashes, &j->history};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int rc = jnl_err(mdb_dbi_open(txn, names[i], MDB_CREATE, dbis[i]), "opening a database");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Rebuilds counts and the state indexes from the records (a journal whose
 * counts are missing). A record that does not decode is left out, logged. */
static int reindex(journal *j, MDB_txn *txn)
{
    uint64_t c[JOB_STATE_COUNT] = {0};
    int rc = jnl_err(mdb_drop(txn, j->queue, 0), "clearing queue");
    if (rc == 0)
        rc = jnl_err(mdb_drop(txn, j->running, 0), "clearing running");
    MDB_cursor *cur;
    if (rc == 0)
        rc = jnl_err(mdb_cursor_open(txn, j->jobs, &cur), "cursor");
    if (rc < 0)
        return rc;
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; mrc == 0 && rc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        job_rec r;
        uint64_t seq = k.mv_size == 8 ? get_be(k.mv_data, 8) : 0;
        if (k.mv_size != 8 || rec_decode(&v, seq, &r) < 0) {
            log_warn("journal", "reindex: job %llu does not decode; left out",
                     (unsigned long long)seq);
            continue;
        }
        c[r.state]++;
        if (state_index(j, r.state)) {
            MDB_val empty = mval(k.mv_data, 0);
            rc = jnl_err(mdb_put(txn, state_index(j, r.state), &k, &empty, 0), "index put");
        }
    }
    mdb_cursor_close(cur);
    if (rc == 0 && mrc != MDB_NOTFOUND)
        rc = jnl_err(mrc, "reindex scan");
    if (rc == 0)
        rc = counts_put(j, txn, c);
    if (rc == 0)
        log_notice("journal", "counts and indexes rebuilt");
    return rc;
}

/* next_seq: at least one past the last record (repairs a missing key). */
static int nextseq_fix(journal *j, MDB_txn *txn)
{
    MDB_val v;
    uint64_t next = 0, last = 0; /* 0: missing */
    int rc = meta_get(j, txn, META_NEXTSEQ, &v);
    if (rc == 0 && v.mv_size == 8)
        next = get_le(v.mv_data, 8);
    else if (rc < 0 && rc != -ENOENT)
        return rc;
    MDB_cursor *cur;
    rc = jnl_err(mdb_cursor_open(txn, j->jobs, &cur), "cursor");
    if (rc < 0)
        return rc;
    MDB_val k;
    rc = jnl_err(mdb_cursor_get(cur, &k, &v, MDB_LAST), "last job");
    if (rc == 0 && k.mv_size == 8)
        last = get_be(k.mv_data, 8);
    mdb_cursor_close(cur);
    if (rc < 0 && rc != -ENOENT)
        return rc;
    if (next > last && next != 0)
        return 0;
    return meta_put_u64(j, txn, META_NEXTSEQ, last + 1);
}

/* A new journal: the layout and zero counts (next_seq comes after). */
static int init_new(journal *j, MDB_txn *txn)
{
    MDB_stat st;
    int rc = jnl_err(mdb_stat(txn, j->jobs, &st), "stat");
    if (rc == 0 && st.ms_entries != 0)
        return -CLAIMD_EJNL_LAYOUT; /* records without a layout: foreign */
    uint8_t b[4];
    put_le(b, JOURNAL_LAYOUT, 4);
    uint64_t zero[JOB_STATE_COUNT] = {0};
    if (rc == 0)
        rc = meta_put(j, txn, META_LAYOUT, b, 4);
    if (rc == 0)
        rc = counts_put(j, txn, zero);
    return rc;
}

static int init_txn(journal *j, MDB_txn *txn, void *ctx)
{
    (void)ctx;
    int rc = dbis_open(j, txn);
    if (rc < 0)
        return rc;
    MDB_val v;
    rc = meta_get(j, txn, META_LAYOUT, &v);
    if (rc == -ENOENT)
        rc = init_new(j, txn);
    else if (rc == 0 && (v.mv_size != 4 || get_le(v.mv_data, 4) != JOURNAL_LAYOUT))
        return -CLAIMD_EJNL_LAYOUT;
    if (rc == 0)
        rc = nextseq_fix(j, txn);
    if (rc == 0 && (rc = meta_get(j, txn, META_COUNTS, &v)) == 0 &&
        v.mv_size != (size_t)8 * JOB_STATE_COUNT)
        rc = -ENOENT;
    if (rc == -ENOENT)
        rc = reindex(j, txn);
    return rc;
}

int journal_open_sized(const char *dir, size_t map_initial, size_t map_max, journal **out)
{
    if (!dir || !*dir || !out)
        return -EINVAL;
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    map_initial = map_initial ? map_initial : JOURNAL_MAP_INITIAL;
    map_initial = (map_initial + page - 1) / page * page;
    map_max = map_max ? map_max : JOURNAL_MAP_MAX;
    journal *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    j->lock_fd = -1;
    j->map_max = map_max < map_initial ? map_initial : map_max;
    int rc = pthread_rwlock_init(&j->lk, NULL);
    if (rc != 0) {
        free(j);
        return -rc;
    }
    rc = dir_make(dir);
    if (rc == 0)
        rc = lock_take(j, dir);
    if (rc == 0)
        rc = env_open(j, dir, map_initial);
    if (rc == 0)
        rc = txn_write(j, init_txn, NULL);
    if (rc < 0) {
        journal_close(j);
        return rc;
    }
    *out = j;
    return 0;
}

int journal_open(const char *dir, journal **out)
{
    return journal_open_sized(dir, 0, 0, out);
}

void journal_close(journal *j)
{
    if (!j)
        return;
    if (j->env)
        mdb_env_close(j->env);
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the flock */
    pthread_rwlock_destroy(&j->lk);
    free(j);
}

/* ---- jobs ---------------------------------------------------------------- */

typedef struct add_ctx {
    const job_rec *r;
    bool refuse;
    uint64_t seq, repeat_of;
} add_ctx;

static int add_txn(journal *j, MDB_txn *txn, void *vc)
{
    add_ctx *c = vc;
    MDB_val hk = mval(c->r->hash, 16), hv, v;
    c->repeat_of = 0;
    int rc = jnl_err(mdb_get(txn, j->hashes, &hk, &hv), "hash get");
    if (rc == 0) {
        if (hv.mv_size != 8)
            return -CLAIMD_EJNL_CORRUPT;
        c->repeat_of = get_le(hv.mv_data, 8);
        if (c->refuse)
            return -CLAIMD_EJNL_REPEAT;
    } else if (rc != -ENOENT) {
        return rc;
    }
    rc = meta_get(j, txn, META_NEXTSEQ, &v);
    if (rc < 0 || v.mv_size != 8)
        return rc < 0 && rc != -ENOENT ? rc : -CLAIMD_EJNL_CORRUPT;
    job_rec r = *c->r;
    r.seq = get_le(v.mv_data, 8);
    r.repeat_of = c->repeat_of;
    rc = job_put(j, txn, &r, MDB_NOOVERWRITE);
    if (rc == 0 && !c->repeat_of) {
        uint8_t sb[8];
        put_le(sb, r.seq, 8);
        MDB_val sv = mval(sb, 8);
        rc = jnl_err(mdb_put(txn, j->hashes, &hk, &sv, 0), "hash put");
    }
    if (rc == 0)
        rc = meta_put_u64(j, txn, META_NEXTSEQ, r.seq + 1);
    if (rc == 0)
        rc = state_move(j, txn, r.seq, -1, r.state);
    if (rc == 0)
        c->seq = r.seq;
    return rc;
}

int journal_add(journal *j, job_rec *r, bool refuse_repeat)
{
    if (!j || !r)
        return -EINVAL;
    int rc = rec_check(r);
    if (rc < 0)
        return rc;
    add_ctx c = {r, refuse_repeat, 0, 0};
    rc = txn_write(j, add_txn, &c);
    if (rc == 0 || rc == -CLAIMD_EJNL_REPEAT)
        r->repeat_of = c.repeat_of;
    if (rc == 0)
        r->seq = c.seq;
    return rc;
}

int journal_get(journal *j, uint64_t seq, job_rec *out)
{
    if (!j || !out)
        return -EINVAL;
    MDB_txn *txn;
    int rc = rd_begin(j, &txn);
    if (rc < 0)
        return rc;
    rc = job_get(j, txn, seq, out);
    rd_end(j, txn);
    return rc;
}

typedef struct put_ctx {
    const job_rec *r;
    uint32_t day;
    const fp128 *fps;
    size_t n;
} put_ctx;

static int history_put(journal *j, MDB_txn *txn, uint32_t day, uint64_t seq, const fp128 *fps,
                       size_t n)
{
    uint8_t kb[HIST_KEY];
    put_be(kb, day, 4);
    put_be(kb + 4, seq, 8);
    MDB_val k = mval(kb, HIST_KEY), v = {n * HIST_FP, NULL};
    int rc = jnl_err(mdb_put(txn, j->history, &k, &v, MDB_RESERVE), "history put");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint8_t *p = (uint8_t *)v.mv_data + i * HIST_FP;
        put_le(put_le(p, fps[i].lo, 8), fps[i].hi & 0xffffffffu, 4);
    }
    return rc;
}

static int put_txn(journal *j, MDB_txn *txn, void *vc)
{
    put_ctx *c = vc;
    job_rec old;
    int rc = job_get(j, txn, c->r->seq, &old);
    if (rc == 0)
        rc = job_put(j, txn, c->r, 0);
    if (rc == 0)
        rc = state_move(j, txn, c->r->seq, old.state, c->r->state);
    if (rc == 0 && c->n > 0)
        rc = history_put(j, txn, c->day, c->r->seq, c->fps, c->n);
    return rc;
}

int journal_put(journal *j, const job_rec *r)
{
    return journal_finish(j, r, 0, NULL, 0);
}

int journal_finish(journal *j, const job_rec *r, uint32_t day, const fp128 *fps, size_t n)
{
    if (!j || !r || (n > 0 && !fps) || n > UINT32_MAX / HIST_FP)
        return -EINVAL;
    int rc = rec_check(r);
    if (rc < 0)
        return rc;
    put_ctx c = {r, day, fps, n};
    return txn_write(j, put_txn, &c);
}

/* ---- listing ------------------------------------------------------------- */

typedef struct batch {
    job_rec *recs;
    size_t n;
    uint64_t next; /* the seq to go on from */
    bool more;
} batch;

/* Reads into b up to EACH_BATCH jobs from seq `from` on, in `state` (all
 * when < 0), from the state's index when it has one. */
static int each_batch(journal *j, int state, uint64_t from, batch *b)
{
    MDB_dbi idx = state >= 0 ? state_index(j, state) : 0;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = rd_begin(j, &txn);
    if (rc < 0)
        return rc;
    rc = jnl_err(mdb_cursor_open(txn, idx ? idx : j->jobs, &cur), "cursor");
    uint8_t kb[8];
    put_be(kb, from, 8);
    MDB_val k = mval(kb, 8), v;
    b->n = 0;
    b->more = false;
    int mrc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : MDB_NOTFOUND;
    for (; rc == 0 && mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (b->n == EACH_BATCH) {
            b->more = true;
            break;
        }
        uint64_t seq = k.mv_size == 8 ? get_be(k.mv_data, 8) : 0;
        job_rec *r = &b->recs[b->n];
        if (k.mv_size != 8)
            rc = -CLAIMD_EJNL_CORRUPT;
        else if (idx)
            rc = job_get(j, txn, seq, r);
        else if ((rc = rec_decode(&v, seq, r)) < 0)
            log_err("journal", "job %llu: the record does not decode", (unsigned long long)seq);
        if (rc == -ENOENT || (rc == 0 && idx && r->state != state)) {
            log_err("journal", "job %llu: the %s index is out of step", (unsigned long long)seq,
                    job_state_name(state));
            rc = -CLAIMD_EJNL_CORRUPT;
        }
        b->next = seq + 1;
        b->n += rc == 0 && (state < 0 || r->state == state);
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = jnl_err(mrc, "scan");
    if (cur) /* a read-only transaction's cursor is closed explicitly */
        mdb_cursor_close(cur);
    rd_end(j, txn);
    return rc;
}

int journal_each(journal *j, int state, uint64_t from, int (*fn)(void *ctx, const job_rec *r),
                 void *ctx)
{
    if (!j || !fn || state >= JOB_STATE_COUNT)
        return -EINVAL;
    batch b = {malloc(EACH_BATCH * sizeof(job_rec)), 0, 0, false};
    if (!b.recs)
        return -ENOMEM;
    int rc, frc = 0;
    for (;;) {
        /* the records read before a failure are delivered, then the error */
        rc = each_batch(j, state < 0 ? -1 : state, from, &b);
        for (size_t i = 0; frc == 0 && i < b.n; i++)
            frc = fn(ctx, &b.recs[i]);
        if (frc != 0 || rc != 0 || !b.more || b.next == 0)
            break;
        from = b.next;
    }
    free(b.recs);
    return frc != 0 ? frc : rc;
}

int journal_next_queued(journal *j, job_rec *out)
{
    if (!j || !out)
        return -EINVAL;
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = rd_begin(j, &txn);
    if (rc < 0)
        return rc;
    rc = jnl_err(mdb_cursor_open(txn, j->queue, &cur), "cursor");
    if (rc == 0) {
        MDB_val k, v;
        rc = jnl_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST), "queue first");
        mdb_cursor_close(cur);
        if (rc == 0 && k.mv_size != 8)
            rc = -CLAIMD_EJNL_CORRUPT;
        job_rec r;
        if (rc == 0)
            rc = job_get(j, txn, get_be(k.mv_data, 8), &r);
        if (rc == 0 && r.state != JOB_QUEUED)
            rc = -CLAIMD_EJNL_CORRUPT;
        else if (rc == 0)
            *out = r;
    }
    rd_end(j, txn);
    return rc;
}

int journal_counts(journal *j, uint64_t counts[JOB_STATE_COUNT])
{
    if (!j || !counts)
        return -EINVAL;
    MDB_txn *txn;
    int rc = rd_begin(j, &txn);
    if (rc < 0)
        return rc;
    uint64_t c[JOB_STATE_COUNT];
    rc = counts_get(j, txn, c);
    rd_end(j, txn);
    if (rc == 0)
        memcpy(counts, c, sizeof c);
    return rc;
}

/* Every running job back to queued: one at a time off the front of the
 * "running" index, so its cursor never walks over its own deletions. */
static int recover_txn(journal *j, MDB_txn *txn, void *vc)
{
    unsigned *n = vc;
    *n = 0;
    MDB_cursor *cur;
    int rc = jnl_err(mdb_cursor_open(txn, j->running, &cur), "cursor");
    if (rc < 0)
        return rc;
    MDB_val k, v;
    while (rc == 0 && (rc = jnl_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST), "running")) == 0) {
        job_rec r;
        rc = k.mv_size == 8 ? job_get(j, txn, get_be(k.mv_data, 8), &r) : -CLAIMD_EJNL_CORRUPT;
        if (rc == -ENOENT || (rc == 0 && r.state != JOB_RUNNING))
            rc = -CLAIMD_EJNL_CORRUPT;
        if (rc < 0)
            break;
        r.state = JOB_QUEUED;
        rc = job_put(j, txn, &r, 0);
        if (rc == 0)
            rc = state_move(j, txn, r.seq, JOB_RUNNING, JOB_QUEUED);
        *n += rc == 0;
    }
    mdb_cursor_close(cur);
    return rc == -ENOENT ? 0 : rc;
}

int journal_recover(journal *j, unsigned *n)
{
    if (!j || !n)
        return -EINVAL;
    unsigned k = 0;
    int rc = txn_write(j, recover_txn, &k);
    if (rc == 0) {
        *n = k;
        if (k)
            log_notice("journal", "%u interrupted jobs queued again", k);
    }
    return rc;
}

/* ---- history ------------------------------------------------------------- */

static fp128 hist_fp(const uint8_t *p)
{
    return (fp128){get_le(p, 8), get_le(p + 8, 4)};
}

/* Calls fn for every fingerprint of the blobs of day in [lo, hi), in one
 * read transaction; fn returns < 0 (an error) or > 0 (done) to stop. */
static int history_scan(journal *j, uint32_t lo, uint64_t hi, int (*fn)(void *, const fp128 *),
                        void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = rd_begin(j, &txn);
    if (rc < 0)
        return rc;
    rc = jnl_err(mdb_cursor_open(txn, j->history, &cur), "cursor");
    uint8_t kb[HIST_KEY] = {0};
    put_be(kb, lo, 4);
    MDB_val k = mval(kb, HIST_KEY), v;
    int mrc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : MDB_NOTFOUND;
    for (; rc == 0 && mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != HIST_KEY || v.mv_size % HIST_FP != 0) {
            log_err("journal", "a history blob is malformed");
            rc = -CLAIMD_EJNL_CORRUPT;
        } else if (get_be(k.mv_data, 4) >= hi) {
            break;
        }
        for (size_t i = 0; rc == 0 && i < v.mv_size / HIST_FP; i++) {
            fp128 f = hist_fp((const uint8_t *)v.mv_data + i * HIST_FP);
            rc = fn(ctx, &f);
        }
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = jnl_err(mrc, "history scan");
    if (cur)
        mdb_cursor_close(cur);
    rd_end(j, txn);
    return rc > 0 ? 0 : rc;
}

typedef struct load_ctx {
    fp_set *set;
    uint64_t n;
} load_ctx;

static int load_fp(void *vc, const fp128 *f)
{
    load_ctx *c = vc;
    int rc = fp_set_add(c->set, f);
    c->n += rc == 0;
    return rc < 0 ? rc : 0;
}

int journal_history_load(journal *j, uint32_t min_day, fp_set *set, uint64_t *n)
{
    if (!j || !set || !n)
        return -EINVAL;
    load_ctx c = {set, 0};
    int rc = history_scan(j, min_day, (uint64_t)UINT32_MAX + 1, load_fp, &c);
    if (rc == 0)
        *n = c.n;
    return rc;
}

/* What expiry took out of the caller's set (taken), to put back what a
 * retained blob still holds, or everything when the deletion failed. */
typedef struct expire_ctx {
    uint32_t min_day;
    fp_set *set, *taken;
    uint64_t n;
} expire_ctx;

static int expire_blob(expire_ctx *c, const MDB_val *v)
{
    for (size_t i = 0; c->set && i < v->mv_size / HIST_FP; i++) {
        fp128 f = hist_fp((const uint8_t *)v->mv_data + i * HIST_FP);
        if (fp_set_remove(c->set, &f) == 1 && fp_set_add(c->taken, &f) < 0) {
            fp_set_add(c->set, &f); /* into the slot it just left */
            return -ENOMEM;
        }
    }
    c->n += v->mv_size / HIST_FP;
    return 0;
}

static int expire_txn(journal *j, MDB_txn *txn, void *vc)
{
    expire_ctx *c = vc;
    c->n = 0;
    MDB_cursor *cur;
    int rc = jnl_err(mdb_cursor_open(txn, j->history, &cur), "cursor");
    if (rc < 0)
        return rc;
    MDB_val k, v;
    while ((rc = jnl_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST), "history")) == 0) {
        if (k.mv_size != HIST_KEY || v.mv_size % HIST_FP != 0) {
            log_err("journal", "a history blob is malformed");
            rc = -CLAIMD_EJNL_CORRUPT;
            break;
        }
        if (get_be(k.mv_data, 4) >= c->min_day)
            break;
        rc = expire_blob(c, &v);
        if (rc == 0)
            rc = jnl_err(mdb_cursor_del(cur, 0), "history del");
        if (rc < 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == -ENOENT ? 0 : rc;
}

/* A fingerprint taken out that a retained blob holds too goes back. */
static int retain_fp(void *vc, const fp128 *f)
{
    expire_ctx *c = vc;
    if (fp_set_remove(c->taken, f) == 1 && fp_set_add(c->set, f) < 0)
        return -ENOMEM;
    return fp_set_count(c->taken) == 0; /* nothing left to look for */
}

static int restore_fp(void *vc, const fp128 *f)
{
    return fp_set_add(vc, f) < 0 ? -ENOMEM : 0;
}

int journal_history_expire(journal *j, uint32_t min_day, fp_set *set, uint64_t *n)
{
    if (!j || !n)
        return -EINVAL;
    expire_ctx c = {min_day, set, NULL, 0};
    if (set && fp_set_create(0, &c.taken) < 0)
        return -ENOMEM;
    int rc = txn_write(j, expire_txn, &c);
    int brc = 0;
    if (rc == 0 && set && fp_set_count(c.taken) > 0)
        brc = history_scan(j, min_day, (uint64_t)UINT32_MAX + 1, retain_fp, &c);
    else if (rc < 0 && set) /* the blobs are all still there */
        brc = fp_set_each(c.taken, restore_fp, set);
    if (brc < 0)
        log_err("journal", "expiry could not put fingerprints back in the set: %s",
                claimd_strerror(brc));
    fp_set_free(c.taken);
    if (rc == 0) {
        *n = c.n;
        rc = brc;
    }
    return rc;
}
