/* journal_: the daemon's job journal, content hashes and cross-job duplicate
 * history, in one LMDB environment (private to daemon/runtime).
 *
 * The environment lives in a state folder (cfg state_dir, else
 * SPOOL/state), opened read-write by the daemon alone (a second daemon on
 * the same folder is refused: journal_open takes an exclusive flock on
 * STATE/journal.lock). Databases:
 *
 *   "meta"    "layout" -> u32 JOURNAL_LAYOUT; "next_seq" -> u64
 *   "jobs"    u64 seq (big-endian) -> job_rec (encoded, versioned)
 *   "hashes"  16-byte content hash -> u64 seq of the first job with it
 *   "history" u32 day (BE) + u64 seq (BE) -> the job's fingerprints: n x 12
 *             bytes (fp128 lo, then the low 32 bits of hi, little-endian);
 *             the 96 bits fp_set compares (fp.h)
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

/* The id of seq submitted at unix time t: "YYYYMMDD-NNNNNN". */
void journal_id(uint64_t seq, int64_t submitted, char id[JOURNAL_ID_MAX]);
/* Parses an id into its seq (the day part is only checked for form; the
 * caller compares with the record). Returns 0 or -EINVAL. */
int journal_id_parse(const char *id, uint64_t *seq);

typedef struct journal journal;

/* Opens (creating dir 0750 and the environment when missing) the journal in
 * dir. Returns 0 and *out, or -errno, -EBUSY (another process holds it),
 * -CLAIMD_EJNL_LAYOUT, -CLAIMD_EJNL_LMDB. */
int journal_open(const char *dir, journal **out);
void journal_close(journal *j); /* NULL is a no-op */

/* Adds a job in state r->state (normally JOB_QUEUED) with a new seq (written
 * to r->seq) and records its content hash when first seen. When the hash was
 * seen before, r->repeat_of is set to the first job's seq, and with
 * refuse_repeat the job is not added: returns -CLAIMD_EJNL_REPEAT (r->seq
 * unset). Returns 0, -CLAIMD_EJNL_REPEAT, -CLAIMD_EJNL_LMDB, -ENOMEM. */
int journal_add(journal *j, job_rec *r, bool refuse_repeat);

/* Reads job seq into *out. Returns 0, -ENOENT, -CLAIMD_EJNL_CORRUPT,
 * -CLAIMD_EJNL_LMDB. */
int journal_get(journal *j, uint64_t seq, job_rec *out);

/* Replaces the record of r->seq (which must exist: else -ENOENT). */
int journal_put(journal *j, const job_rec *r);

/* Ends a job as done: writes r (state JOB_DONE expected) and, when n > 0,
 * the history blob of fps[0..n) under (day, r->seq), in one transaction.
 * Returns 0, -ENOENT, -CLAIMD_EJNL_LMDB, -ENOMEM. */
int journal_finish(journal *j, const job_rec *r, uint32_t day, const fp128 *fps, size_t n);

/* Calls fn for every job in seq order (only those in state when state >= 0),
 * from seq `from` on; fn returns nonzero to stop (that value is returned).
 * Returns 0, fn's value, or an error. */
int journal_each(journal *j, int state, uint64_t from, int (*fn)(void *ctx, const job_rec *r),
                 void *ctx);

/* The queued job with the lowest seq into *out: 0, or -ENOENT. */
int journal_next_queued(journal *j, job_rec *out);

/* Counts per state (indexes job_state). */
int journal_counts(journal *j, uint64_t counts[JOB_STATE_COUNT]);

/* At start: every job left running (a crash) goes back to queued. *n
 * receives how many. Returns 0 or an error. */
int journal_recover(journal *j, unsigned *n);

/* Adds every fingerprint of the history blobs of day >= min_day to set.
 * *n receives the count added. Returns 0, an error, or fp_set_add's. */
int journal_history_load(journal *j, uint32_t min_day, fp_set *set, uint64_t *n);

/* Deletes the history blobs of day < min_day; when set is not NULL removes
 * their fingerprints from it first. *n receives the fingerprints removed.
 * Returns 0 or an error. */
int journal_history_expire(journal *j, uint32_t min_day, fp_set *set, uint64_t *n);

/* Days since 1970-01-01 (UTC) of unix time t: the history's day unit. */
uint32_t journal_day(int64_t t);

#endif
