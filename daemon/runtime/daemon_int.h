/* The daemon's internals (private to daemon/runtime; docs/daemon.md).
 *
 * Three threads:
 *   main    the event loop (daemon.c): control socket (ctlsrv), inbox
 *           (inotify), signals (signalfd), a 1 s timer (watchdog, STATUS,
 *           gauges, disk check, retention), and the io thread's results
 *           (eventfd). Answers every control verb (daemon_ctl.c).
 *   runner  runs the queued jobs one at a time, in seq order, each through
 *           the scrub pipeline at the configured thread count
 *           (daemon_jobs.c).
 *   io      intake (inbox files and submitted paths: copied or moved into
 *           SPOOL/intake/, hashed, journaled, moved to SPOOL/jobs/ID/) and
 *           purges, serially, so slow disks never stall the main loop.
 *
 * Spool (all under cfg spool):
 *   inbox/          dropped files; a complete file becomes a job
 *   intake/         files being taken in (named NS-N-NAME), until journaled
 *   jobs/ID/NAME    a job's input
 *   tmp/ID.out/     a running job's outputs, renamed to out/ID/ when complete
 *   out/ID/         a done job's outputs (NAME.results.jsonl, .999, .277ca, ...)
 *   failed/ID/      a failed job's input and reason.txt
 *   state/          the journal (LMDB), unless state_dir says elsewhere
 *
 * Locking: d->mu guards the settings and tables in use (cfg, tables,
 * history days), the runner's wake-up (paused, draining, stopping, cv) and
 * every state change of a queued job, so the runner and `cancel` never race
 * for one. The journal is thread-safe by itself. The main thread alone
 * touches the ctlsrv; the runner alone touches the history set.
 */
#ifndef CLAIMD_DAEMON_INT_H
#define CLAIMD_DAEMON_INT_H

#include "claimd/cbuf.h"
#include "claimd/cfg.h"
#include "claimd/ctl.h"
#include "claimd/fp.h"
#include "claimd/stats.h"
#include "claimd/tables.h"
#include "ctlsrv.h"
#include "journal.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DMN_MOD           "daemon"
#define DMN_OVERRIDES_MAX 16
#define DMN_DISK_RETRY_S  10 /* a job that hit a full disk waits at least this long */

/* What the command line gave: the config file and the flags that override it. */
typedef struct dmn_args {
    const char *config; /* NULL: the embedded default */
    const char *key[DMN_OVERRIDES_MAX];
    const char *val[DMN_OVERRIDES_MAX];
    unsigned n;
} dmn_args;

/* A request for the io thread. */
typedef enum dmn_io_kind { DMN_IO_INBOX, DMN_IO_SUBMIT, DMN_IO_PURGE, DMN_IO_REINTAKE } dmn_io_kind;

typedef struct dmn_io {
    struct dmn_io *next;
    dmn_io_kind kind;
    int fd;       /* SUBMIT: the opened input */
    uint64_t tok; /* SUBMIT, PURGE: the deferred reply's token (0: none) */
    uid_t uid;    /* who asked */
    uint64_t seq; /* PURGE: one job (0: every ended job past or not past retention) */
    bool force;   /* PURGE: now, whatever the retention */
    char name[JOURNAL_NAME_MAX]; /* INBOX/REINTAKE: file name; SUBMIT: base name */
    char *reply;                 /* filled by the io thread for a deferred reply */
    size_t reply_len;
} dmn_io;

typedef struct dmn {
    dmn_args args;
    /* the spool's folders */
    char spool[PATH_MAX], inbox[PATH_MAX], intake[PATH_MAX], jobs[PATH_MAX], tmp[PATH_MAX],
        out[PATH_MAX], failed[PATH_MAX], state[PATH_MAX];
    char socket[PATH_MAX], stats_path[PATH_MAX];
    int64_t started;
    uid_t uid;

    pthread_mutex_t mu;
    pthread_cond_t cv;   /* the runner's wake-up */
    cfg *cfg;            /* current settings (mu) */
    unsigned threads;    /* resolved from cfg (mu) */
    tbl_version *tables; /* the version new jobs take (mu) */
    bool paused, draining, stopping, runner_done;
    uint64_t running_seq;                    /* 0: none (mu) */
    char running_tables[JOURNAL_TABLES_MAX]; /* its version's name (mu) */
    _Atomic int cancel;                      /* the running job's stop code (0: go on) */
    int64_t retry_after;    /* a job hit a full disk: none starts before this (mu) */
    uint64_t retry_free_mb; /* ... nor before free space grows past this (mu) */
    _Atomic bool low_disk;  /* intake stopped for low disk */
    _Atomic uint64_t free_mb;

    journal *jnl;
    stats_shm *stats;
    stats_slot *st_runner;
    fp_set *history;      /* the runner's: fingerprints of done jobs in the window */
    uint32_t history_day; /* the day the window was last cut */

    ctlsrv *srv;
    int epfd, ifd, iwd, sfd, tfd, efd;
    int audit_fd;
    int64_t stop_deadline; /* monotonic seconds; 0: not stopping */
    uint64_t wd_usec, last_wd_ns;
    uint64_t last_claims;
    int64_t last_rate_ns;
    double rate; /* STATUS throughput */
    unsigned ticks;

    /* the io thread's queue and its finished requests */
    pthread_mutex_t io_mu;
    pthread_cond_t io_cv;
    dmn_io *io_head, *io_tail, *io_done;
    bool io_quit;
    uint64_t io_intake_n;
    pthread_t runner, io;
    bool runner_started, io_started;
} dmn;

/* daemon.c */
int daemon_main(const dmn_args *a);
void dmn_audit(dmn *d, uid_t uid, const char *verb, bool ok, const char *detail);
int dmn_reload(dmn *d, char *err, size_t errlen); /* 1 tables changed, 0 not, <0 error */
void dmn_begin_stop(dmn *d);
void dmn_update_gauges(dmn *d);
int64_t dmn_now(void);
uint64_t dmn_free_mb(const dmn *d); /* the spool's free MiB now; UINT64_MAX if unknown */

/* daemon_ctl.c: the control socket's handler */
int dmn_ctl_handle(void *ctx, const ctl_req *req, const ctl_peer *peer, uint64_t tok, cbuf *out);
void dmn_ctl_audit(void *ctx, const ctl_peer *peer, ctl_verb verb, bool ok, const char *msg);

/* daemon_jobs.c */
int dmn_spool_init(dmn *d);
int dmn_recover(dmn *d);
void *dmn_runner_main(void *arg);
void *dmn_io_main(void *arg);
void dmn_io_push(dmn *d, dmn_io *r);
int dmn_inbox_scan(dmn *d);
int dmn_submit_open(dmn *d, const char *path, uid_t peer_uid, int *fd, char *err, size_t errlen);
int dmn_history_load(dmn *d);
unsigned dmn_threads_of(const cfg *c); /* threads = auto: the online CPUs */
void dmn_out_path(const dmn *d, uint64_t seq, int64_t submitted, char *buf, size_t cap);
void dmn_job_id(const dmn *d, uint64_t seq, char id[JOURNAL_ID_MAX]); /* from the journal */

#endif
