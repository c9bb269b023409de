/* journal_: the daemon's job journal, content hashes and cross-job duplicate
 * history, in one LMDB environment (private to daemon/runtime).
 *
 * The environment lives in a state folder (cfg state_dir, else
 * SPOOL/state), opened read-write by the daemon alone (a second daemon on
 * the same folder is refused: journal_open takes an exclusive flock on
 * STATE/journal.lock). Databases:
 *
 *   "meta"    "layout" -> u32 JOURNAL_LAYOUT; "next_seq" -> u64;
 *             "counts" -> JOB_STATE_COUNT x u64, the jobs in each state
 *   "jobs"    u64 seq (big-endian) -> job_rec (encoded, versioned)
 *   "queue"   u64 seq (BE) -> empty, for every queued job
 *   "running" u64 seq (BE) -> empty, for every running job
 *   "hashes"  16-byte content hash -> u64 seq of the first job with it
 *   "history" u32 day (BE) + u64 seq (BE) -> the job's fingerprints: n x 12
 *             bytes (fp128 lo, then the low 32 bits of hi, little-endian);
 *             the 96 bits fp_set compares (fp.h)
 *
 * Values are little-endian. A job record is a version byte, fixed-width
 * fields, then its four strings each as a u16 length and the bytes (no
 * NUL); a record that does not decode exactly is -CLAIMD_EJNL_CORRUPT.
 * "counts", "queue" and "running" change in the same transaction as the
 * record, so they are always exact: journal_counts() and
 * journal_next_queued() read them instead of every record, and
 * journal_recover() visits only the running jobs. A journal whose "counts"
 * is missing has them and both indexes rebuilt by journal_open().
 *
 * The map starts at JOURNAL_MAP_INITIAL bytes of address space (the file
 * holds only the pages in use) and doubles, up to JOURNAL_MAP_MAX, whenever
 * a transaction finds it full; the transaction is then retried. LMDB's own
 * codes never leave this module: they become -ENOENT (no such record, where
 * documented), -ENOMEM, or -CLAIMD_EJNL_LMDB, logged once with LMDB's text.
 *
 * Every change is one write transaction, committed with fsync (LMDB's
 * default durability): after journal_add() returns, the job survives a
 * crash; journal_finish() makes the job's end state and its history blob
 * durable together, so a job is either done with its history or not done
 * (and re-run from the start, its history never committed).
 *
 * Job ids are "YYYYMMDD-NNNNNN": the UTC day of submission, then the seq
 * (at least 6 digits, more when it grows). The seq alone is the key; the
 * day part is checked when an id is parsed.
 *
 * Threads: any thread may call any function (LMDB serializes write
 * transactions; each call opens and ends its own transaction, MDB_NOTLS).
 * A process-wide lock is held shared by every transaction and exclusive
 * only while the map grows (LMDB allows that with no transaction live).
 * No transaction stays open across a journal_each() callback, so the
 * callback may call any journal function.
 *
 * fork(): the child inherits the journal.lock descriptor and so the lock;
 * it must not use the parent's journal, and a child that outlives the
 * parent's journal_close() keeps the folder locked until it exits or execs
 * (the descriptor is close-on-exec).
 * Records carry no PHI: file base names, counts, hashes, reasons written
 * by the daemon (which never quote claim data).
 */
#ifndef CLAIMD_JOURNAL_H
#define CLAIMD_JOURNAL_H

#include "claimd/fp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_LAYOUT     1u
#define JOURNAL_NAME_MAX   256 /* input base name, NUL included */
#define JOURNAL_REASON_MAX 256 /* failure reason, NUL included */
#define JOURNAL_ID_MAX     32  /* job id text, NUL included */
#define JOURNAL_TABLES_MAX 64  /* tables version name, NUL included */

#define JOURNAL_MAP_INITIAL ((size_t)64 << 30) /* 64 GiB of address space to start */
#define JOURNAL_MAP_MAX     ((size_t)1 << 40)  /* 1 TiB: growth stops there */

typedef enum job_state {
    JOB_QUEUED = 0,
    JOB_RUNNING,
    JOB_DONE,
    JOB_FAILED,
    JOB_CANCELLED,
    JOB_STATE_COUNT
} job_state;

/* "queued" ... "cancelled"; NULL for an invalid s. */
const char *job_state_name(job_state s);
/* The state for a name, or -EINVAL. */
int job_state_parse(const char *name);

typedef enum job_source {
    JOB_SRC_INBOX = 0, /* dropped in inbox/ */
    JOB_SRC_SOCKET,    /* submit PATH */
} job_source;

/* Job record flags. */
#define JOB_F_INPUT_PURGED  1u /* its input was removed (retention or purge) */
#define JOB_F_OUTPUT_PURGED 2u /* its outputs were removed */

typedef struct job_rec {
    uint64_t seq;       /* set by journal_add */
    uint8_t state;      /* job_state */
    uint8_t source;     /* job_source */
    uint32_t flags;     /* JOB_F_* */
    uint32_t submit_uid;
    uint32_t attempts;  /* times the job was started (a crash re-run adds one) */
    int64_t submitted;  /* unix seconds */
    int64_t started;    /* 0 until started */
    int64_t ended;      /* 0 until it ends (done, failed, cancelled) */
    uint8_t hash[16];   /* XXH3-128 of the input, big-endian canonical form */
    uint64_t size;      /* input bytes */
    uint64_t repeat_of; /* seq of the earlier job with the same content, 0 = none */
    uint64_t claims, accepted, rejected;
    char name[JOURNAL_NAME_MAX];     /* the input's base name (outputs are named after it) */
    char intake[JOURNAL_NAME_MAX];   /* its file name under SPOOL/intake/ until moved to jobs/ID/ */
    char tables[JOURNAL_TABLES_MAX]; /* tables version it ran on ("" until started) */
    char reason[JOURNAL_REASON_MAX]; /* failed/cancelled: why (no PHI) */
} job_rec;

/* The id of seq submitted at unix time t: "YYYYMMDD-NNNNNN" (t is clamped
 * to years 1970..9999, so the day part is always 8 digits). */
void journal_id(uint64_t seq, int64_t submitted, char id[JOURNAL_ID_MAX]);
/* Parses an id into its seq (the day part is only checked for form; the
 * caller compares with the record). Only the form journal_id() writes is
 * accepted: 8 digits, '-', then 6 digits, or 7 to 20 without a leading
 * zero, for a seq from 1 to UINT64_MAX. Returns 0 or -EINVAL. */
int journal_id_parse(const char *id, uint64_t *seq);

typedef struct journal journal;

/* Opens (creating dir 0750 and the environment when missing) the journal in
 * dir. The files are created 0640 whatever the umask. Returns 0 and *out,
 * or -errno, -EINVAL, -EBUSY (another process holds it, or this process
 * through another journal_open), -CLAIMD_EJNL_LAYOUT (another layout, or
 * not an LMDB file), -CLAIMD_EJNL_LMDB, -ENOMEM. The caller owns *out
 * until journal_close(), which must not race any other call on it. */
int journal_open(const char *dir, journal **out);
/* journal_open with the map's initial size and growth cap in bytes (0: the
 * defaults above; the cap is raised to the initial size). Tests use small
 * sizes to exercise growth and a full map (-CLAIMD_EJNL_LMDB, the failed
 * change not made). */
int journal_open_sized(const char *dir, size_t map_initial, size_t map_max, journal **out);
void journal_close(journal *j); /* NULL is a no-op */

/* Adds a job in state r->state (normally JOB_QUEUED) with a new seq (written
 * to r->seq) and records its content hash when first seen. When the hash was
 * seen before, r->repeat_of is set to the first job's seq (else to 0), and
 * with refuse_repeat the job is not added: returns -CLAIMD_EJNL_REPEAT
 * (r->seq unset). Seqs start at 1 and are never reused. Returns 0,
 * -CLAIMD_EJNL_REPEAT, -EINVAL (a bad state or source, a string without its
 * NUL), -CLAIMD_EJNL_CORRUPT, -CLAIMD_EJNL_LMDB, -ENOMEM. */
int journal_add(journal *j, job_rec *r, bool refuse_repeat);

/* Reads job seq into *out. Returns 0, -ENOENT, -CLAIMD_EJNL_CORRUPT,
 * -CLAIMD_EJNL_LMDB. */
int journal_get(journal *j, uint64_t seq, job_rec *out);

/* Replaces the record of r->seq (which must exist: else -ENOENT), keeping
 * counts and indexes in step with its state. Returns 0, -ENOENT, -EINVAL,
 * -CLAIMD_EJNL_CORRUPT (the stored record), -CLAIMD_EJNL_LMDB, -ENOMEM. */
int journal_put(journal *j, const job_rec *r);

/* Ends a job as done: writes r (state JOB_DONE expected) and, when n > 0,
 * the history blob of fps[0..n) under (day, r->seq), in one transaction.
 * A fingerprint may be in several jobs' blobs (expiry allows for it).
 * Returns 0, -ENOENT, -EINVAL, -CLAIMD_EJNL_CORRUPT, -CLAIMD_EJNL_LMDB,
 * -ENOMEM. */
int journal_finish(journal *j, const job_rec *r, uint32_t day, const fp128 *fps, size_t n);

/* Calls fn for every job in seq order (only those in state when state >= 0),
 * from seq `from` on; fn returns nonzero to stop (that value is returned).
 * Records are read in batches of 64, each in its own read transaction that
 * ends before fn is called: r is valid only during the call, and a change
 * made meanwhile (by fn too) shows in the batches still to be read.
 * Queued and running jobs are found through their index. Returns 0, fn's
 * value, -EINVAL, -CLAIMD_EJNL_CORRUPT, -CLAIMD_EJNL_LMDB, -ENOMEM. */
int journal_each(journal *j, int state, uint64_t from, int (*fn)(void *ctx, const job_rec *r),
                 void *ctx);

/* The queued job with the lowest seq into *out (from the "queue" index, one
 * lookup): 0, or -ENOENT, -CLAIMD_EJNL_CORRUPT, -CLAIMD_EJNL_LMDB. */
int journal_next_queued(journal *j, job_rec *out);

/* Counts per state (indexes job_state), read from "meta": one lookup.
 * Returns 0, -CLAIMD_EJNL_CORRUPT, -CLAIMD_EJNL_LMDB. */
int journal_counts(journal *j, uint64_t counts[JOB_STATE_COUNT]);

/* At start: every job left running (a crash) goes back to queued, in one
 * transaction (its other fields are kept). *n receives how many. Returns 0
 * or an error. */
int journal_recover(journal *j, unsigned *n);

/* Adds every fingerprint of the history blobs of day >= min_day to set, in
 * one read transaction. *n receives the count added (those fp_set_add()
 * found already present are not counted). Returns 0, -CLAIMD_EJNL_CORRUPT
 * (a blob not a multiple of 12 bytes), -CLAIMD_EJNL_LMDB, or fp_set_add's
 * error (the set then holds part of the history). */
int journal_history_load(journal *j, uint32_t min_day, fp_set *set, uint64_t *n);

/* Deletes the history blobs of day < min_day, in one transaction; when set
 * is not NULL removes their fingerprints from it first, except those that a
 * blob of day >= min_day also holds (found by a scan of the retained blobs
 * after the commit, when any fingerprint was removed: a cost proportional
 * to the retained history, which ends early once all are accounted for).
 * Should the transaction fail, every fingerprint removed is added back.
 * *n receives the fingerprints in the deleted blobs. Returns 0, -ENOMEM
 * (no scratch set; or, logged, the set could not take a fingerprint back
 * after the commit: *n is written then too), -CLAIMD_EJNL_CORRUPT,
 * -CLAIMD_EJNL_LMDB. */
int journal_history_expire(journal *j, uint32_t min_day, fp_set *set, uint64_t *n);

/* Days since 1970-01-01 (UTC) of unix time t: the history's day unit
 * (0 for t < 0; floor(t / 86400) capped at UINT32_MAX). */
uint32_t journal_day(int64_t t);

#endif
