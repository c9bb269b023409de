/* stats_: the daemon's counters in a shared-memory segment (a file mapped
 * MAP_SHARED), read by `claimctl stats` / `claimctl top` without a round
 * trip through the control socket, and served as JSON (`stats`) and in the
 * Prometheus text format (`metrics`) by the daemon.
 *
 * The segment is a file beside the control socket: SOCKET.stats
 * (stats_path_for()), mode 0640, group the socket's group. Layout
 * (versioned, STATS_LAYOUT; a reader refuses another layout or a short
 * file):
 *
 *   stats_shm header: magic, layout, sizes, pid, start time, edit names,
 *                     gauges (jobs by state, queue depth, daemon state)
 *   slot[STATS_SLOTS]: one per thread, each on its own cache lines
 *
 * Writers. Every counter of a slot has exactly one writing thread (the
 * thread that got the slot), which updates it with a relaxed load + store
 * (no read-modify-write, no lock): stats_add(). Gauges are written by the
 * daemon's main thread (or the job runner, each gauge by one thread) with
 * relaxed stores. Counters only grow, so a reader summing slots at any time
 * sees a consistent-enough snapshot: each value is a real past value.
 * Slots are claimed by name ("walker", "worker3", "writer", "runner") and
 * kept for the daemon's life: the next job's "worker3" adds to the same
 * slot, so totals survive threads.
 *
 * PHI: the segment holds counts, times and names of edits and threads only.
 */
#ifndef CLAIMD_STATS_H
#define CLAIMD_STATS_H

#include "claimd/cbuf.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STATS_MAGIC      UINT64_C(0x3153544154534d43) /* "CMSTATS1" little-endian */
#define STATS_LAYOUT     1u
#define STATS_SLOTS      64u
#define STATS_EDITS_MAX  64u /* edit counters per slot (EDIT_COUNT must fit) */
#define STATS_NAME_MAX   24u /* a slot's or an edit's name, NUL included */
#define STATS_TABLES_MAX 64u /* the tables version name, NUL included */

/* Per-thread counters (monotonic). */
typedef enum stats_ctr {
    STATS_CLAIMS_READ = 0,  /* walker: claims read from inputs */
    STATS_BYTES_READ,       /* walker: input bytes walked */
    STATS_CLAIMS_SCRUBBED,  /* worker (or the single thread): claims edited and priced */
    STATS_ACCEPTED,         /* writer: claims accepted */
    STATS_REJECTED,         /* writer: claims rejected */
    STATS_TXN_REJECTED,     /* writer: transactions the 999 rejected */
    STATS_BUSY_NS,          /* any: nanoseconds this thread spent working */
    STATS_FILES,            /* runner: input files scrubbed (jobs run) */
    STATS_CTR_COUNT
} stats_ctr;

/* Gauges (current values), written by the daemon. */
typedef enum stats_gauge {
    STATS_JOBS_QUEUED = 0,
    STATS_JOBS_RUNNING,
    STATS_JOBS_DONE,      /* in the journal (ended jobs are counted until purged from it) */
    STATS_JOBS_FAILED,
    STATS_JOBS_CANCELLED,
    STATS_QUEUE_UNITS,    /* pipeline: work units in flight (walker to writer) */
    STATS_QUEUE_CAP,      /* pipeline: units it can hold */
    STATS_INBOX_PENDING,  /* files in inbox/ waiting for intake */
    STATS_PAUSED,         /* 1 when paused */
    STATS_DRAINING,       /* 1 when draining (or stopping) */
    STATS_INTAKE_STOPPED, /* 1 when intake stopped for low disk */
    STATS_FREE_DISK_MB,   /* the spool's free space at the last check */
    STATS_THREADS,        /* pipeline threads of the current config */
    STATS_CLIENTS,        /* control connections open */
    STATS_CTL_REQUESTS,   /* control requests answered (monotonic) */
    STATS_GAUGE_COUNT
} stats_gauge;

typedef struct stats_slot {
    _Alignas(64) char name[STATS_NAME_MAX]; /* "" = free */
    _Atomic uint64_t ctr[STATS_CTR_COUNT];
    _Atomic uint64_t edits[STATS_EDITS_MAX]; /* findings per edit id */
} stats_slot;

typedef struct stats_shm {
    uint64_t magic;  /* STATS_MAGIC, written last at create */
    uint32_t layout; /* STATS_LAYOUT */
    uint32_t size;   /* sizeof(stats_shm) */
    uint32_t nslots; /* STATS_SLOTS */
    uint32_t nedits; /* edits in use (EDIT_COUNT) */
    int32_t pid;     /* the daemon's */
    uint32_t pad;
    int64_t start_unix;                         /* the daemon's start, seconds */
    char version[32];                           /* claimd version */
    char edit_name[STATS_EDITS_MAX][STATS_NAME_MAX]; /* "NCCI_PTP" ... */
    _Atomic uint64_t gauge[STATS_GAUGE_COUNT];
    _Atomic uint32_t tables_seq; /* seqlock over tables[]: odd while written */
    char tables[STATS_TABLES_MAX]; /* the current tables version's name */
    /* Named slots; bit 31 is set while a slot is being named (stats.c). */
    _Atomic uint32_t nslots_used;
    stats_slot slot[STATS_SLOTS];
} stats_shm;

/* "SOCKET.stats" into buf. Returns 0 or -ENAMETOOLONG. */
int stats_path_for(const char *socket_path, char *buf, size_t cap);

/* ---- the daemon's side ------------------------------------------------- */

/* Creates (replacing any old file) and maps the segment at path, mode
 * 0640, group gid when gid != (gid_t)-1 (else the caller's); fills the header
 * (edit names from the catalogue, pid, start time, version). Returns 0 and
 * *out, or -errno. */
int stats_create(const char *path, gid_t gid, stats_shm **out);

/* Unmaps; with unlink_path not NULL also removes the file. NULL is a no-op. */
void stats_destroy(stats_shm *s, const char *unlink_path);

/* The slot named name (at most STATS_NAME_MAX-1 bytes), claimed on first
 * use and the same slot on every later call with the name; NULL when s is
 * NULL, name is empty or too long, or every slot is taken. Thread-safe (a
 * CAS on nslots_used). */
stats_slot *stats_slot_get(stats_shm *s, const char *name);

/* One writer per slot: no read-modify-write needed. NULL slot: no-op. */
static inline void stats_add(stats_slot *sl, stats_ctr c, uint64_t v)
{
    if (sl) {
        uint64_t o = atomic_load_explicit(&sl->ctr[c], memory_order_relaxed);
        atomic_store_explicit(&sl->ctr[c], o + v, memory_order_relaxed);
    }
}

static inline void stats_add_edit(stats_slot *sl, unsigned edit, uint64_t v)
{
    if (sl && edit < STATS_EDITS_MAX) {
        uint64_t o = atomic_load_explicit(&sl->edits[edit], memory_order_relaxed);
        atomic_store_explicit(&sl->edits[edit], o + v, memory_order_relaxed);
    }
}

static inline void stats_set_gauge(stats_shm *s, stats_gauge g, uint64_t v)
{
    if (s)
        atomic_store_explicit(&s->gauge[g], v, memory_order_relaxed);
}

/* Sets the tables version's name (one writer at a time). */
void stats_set_tables(stats_shm *s, const char *name);

/* ---- readers (claimctl, the daemon's stats/metrics verbs) -------------- */

/* Maps path read-only and checks magic, layout and size. Returns 0 and
 * *out, or -errno, -CLAIMD_ESTATS_LAYOUT (another layout or a short or
 * foreign file). Unmap with stats_close(). */
int stats_open(const char *path, const stats_shm **out);
void stats_close(const stats_shm *s);

/* A copy of every number, summed over the slots (per-slot values kept too). */
typedef struct stats_snap {
    int32_t pid;
    int64_t start_unix;
    char version[32];
    char tables[STATS_TABLES_MAX];
    uint32_t nedits;
    char edit_name[STATS_EDITS_MAX][STATS_NAME_MAX];
    uint64_t total[STATS_CTR_COUNT];
    uint64_t edits[STATS_EDITS_MAX];
    uint64_t gauge[STATS_GAUGE_COUNT];
    uint32_t nslots;
    struct {
        char name[STATS_NAME_MAX];
        uint64_t ctr[STATS_CTR_COUNT];
    } slot[STATS_SLOTS];
    int64_t taken_ns; /* CLOCK_MONOTONIC when taken (for rates) */
} stats_snap;

void stats_snapshot(const stats_shm *s, stats_snap *out);

/* The names used in JSON and metrics: "claims_read" ... and "jobs_queued" ... */
const char *stats_ctr_name(stats_ctr c);
const char *stats_gauge_name(stats_gauge g);

/* Appends the JSON members (no braces: `"claims_read":N,...,"edits":{..},
 * "threads":[{"name":..,...}],...`) so the daemon can put them in its reply
 * after "ok":true. Returns cbuf_error(out). */
int stats_render_json(const stats_snap *s, cbuf *out);

/* Appends the Prometheus text exposition (HELP and TYPE lines; counters
 * claimd_<name>_total, gauges claimd_<name>, findings per edit as
 * claimd_findings_total{edit="NCCI_PTP"}, busy seconds per thread as
 * claimd_thread_busy_seconds_total{thread="worker0"}). Also claimd_info{version,
 * tables} 1 and claimd_start_time_seconds; busy_ns is rendered as
 * claimd_busy_seconds_total and the monotonic ctl_requests gauge as the
 * counter claimd_ctl_requests_total. Returns cbuf_error(out). */
int stats_render_prom(const stats_snap *s, cbuf *out);

#endif
