/* The daemon's control verbs (docs/control.md lists them and their replies).
 *
 * Runs on the main thread, called by ctlsrv for parsed and authorized
 * requests. Everything answers at once except `submit` and `purge`, which
 * the io thread finishes (deferred replies). Replies carry job ids, file
 * base names, counts and states: never claim data.
 */
#define _GNU_SOURCE

#include "claimd/error.h"
#include "claimd/log.h"
#include "daemon_int.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* jemalloc's, when the binary links it (Debian's has no prefix). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

static void dc_time(cbuf *b, const char *key, int64_t t)
{
    if (!t) {
        ctl_reply_raw(b, key, "null", 4);
        return;
    }
    char ts[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ctl_reply_str(b, key, ts);
}

/* A job's members after "job" (each with its leading ','): the caller opens
 * the object, `{"ok":true,"job":ID` for `job ID`, `{"job":ID` in a list. */
static void dc_job_rest(const dmn *d, cbuf *b, const job_rec *r)
{
    ctl_reply_str(b, "state", job_state_name((job_state)r->state));
    ctl_reply_str(b, "name", r->name);
    ctl_reply_str(b, "source", r->source == JOB_SRC_SOCKET ? "socket" : "inbox");
    dc_time(b, "submitted", r->submitted);
    dc_time(b, "started", r->started);
    dc_time(b, "ended", r->ended);
    ctl_reply_u64(b, "size", r->size);
    ctl_reply_u64(b, "claims", r->claims);
    ctl_reply_u64(b, "accepted", r->accepted);
    ctl_reply_u64(b, "rejected", r->rejected);
    ctl_reply_str(b, "tables", r->tables);
    ctl_reply_u64(b, "attempts", r->attempts);
    ctl_reply_str(b, "reason", r->reason[0] ? r->reason : NULL);
    if (r->repeat_of) {
        char rid[JOURNAL_ID_MAX];
        dmn_job_id(d, r->repeat_of, rid);
        ctl_reply_str(b, "repeat_of", rid);
    } else {
        ctl_reply_str(b, "repeat_of", NULL);
    }
    if (r->state == JOB_DONE && !(r->flags & JOB_F_OUTPUT_PURGED)) {
        char out[PATH_MAX], abs[PATH_MAX];
        dmn_out_path(d, r->seq, r->submitted, out, sizeof out);
        ctl_reply_str(b, "outputs", realpath(out, abs) ? abs : out);
    } else {
        ctl_reply_str(b, "outputs", NULL);
    }
    ctl_reply_bool(b, "input_purged", (r->flags & JOB_F_INPUT_PURGED) != 0);
    ctl_reply_bool(b, "outputs_purged", (r->flags & JOB_F_OUTPUT_PURGED) != 0);
}

/* ---- verbs -------------------------------------------------------------- */

static const char *dc_state(dmn *d)
{
    if (d->stopping)
        return "stopping";
    if (d->paused)
        return "paused";
    if (d->draining)
        return "draining";
    return "running";
}

static const char *dc_intake(dmn *d)
{
    if (d->stopping)
        return "closed (stopping)";
    if (d->draining)
        return "closed (draining)";
    if (atomic_load(&d->low_disk))
        return "stopped (low disk)";
    return "open";
}

static void dc_status(dmn *d, cbuf *b)
{
    uint64_t c[JOB_STATE_COUNT] = {0};
    journal_counts(d->jnl, c);
    pthread_mutex_lock(&d->mu);
    ctl_reply_ok(b);
    ctl_reply_str(b, "state", dc_state(d));
    ctl_reply_str(b, "intake", dc_intake(d));
    ctl_reply_u64(b, "pid", (uint64_t)getpid());
    ctl_reply_u64(b, "uptime_s", (uint64_t)(time(NULL) - d->started));
    ctl_reply_str(b, "version", CLAIMD_VERSION);
    const tbl_info *ti = tbl_version_info(d->tables);
    ctl_reply_str(b, "tables", ti ? ti->name : "");
    ctl_reply_u64(b, "threads", d->threads);
    char jobs[256];
    int n = snprintf(jobs, sizeof jobs,
                     "{\"queued\":%" PRIu64 ",\"running\":%" PRIu64 ",\"done\":%" PRIu64
                     ",\"failed\":%" PRIu64 ",\"cancelled\":%" PRIu64 "}",
                     c[JOB_QUEUED], c[JOB_RUNNING], c[JOB_DONE], c[JOB_FAILED], c[JOB_CANCELLED]);
    ctl_reply_raw(b, "jobs", jobs, (size_t)n);
    uint64_t running = d->running_seq;
    pthread_mutex_unlock(&d->mu);
    if (running) {
        char id[JOURNAL_ID_MAX];
        dmn_job_id(d, running, id);
        ctl_reply_str(b, "running_job", id);
    } else {
        ctl_reply_str(b, "running_job", NULL);
    }
    ctl_reply_u64(b, "free_disk_mb", atomic_load(&d->free_mb));
    ctl_reply_u64(b, "clients", ctlsrv_clients(d->srv));
    ctl_reply_str(b, "socket", d->socket);
    ctl_reply_str(b, "spool", d->spool);
    ctl_reply_end(b);
}

static int dc_stats(dmn *d, cbuf *b, bool prom)
{
    stats_snap *s = malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    dmn_update_gauges(d);
    stats_snapshot(d->stats, s);
    ctl_reply_ok(b);
    if (prom) {
        cbuf t;
        cbuf_init(&t);
        stats_render_prom(s, &t);
        ctl_reply_strn(b, "metrics", t.p ? t.p : "", t.len);
        cbuf_release(&t);
    } else {
        cbuf_putc(b, ',');
        stats_render_json(s, b);
    }
    ctl_reply_end(b);
    free(s);
    return 0;
}

typedef struct dc_list {
    const dmn *d;
    cbuf *b;
    uint64_t n, max;
} dc_list;

static int dc_list_one(void *ctx, const job_rec *r)
{
    dc_list *l = ctx;
    if (l->n == l->max)
        return 1;
    char id[JOURNAL_ID_MAX];
    journal_id(r->seq, r->submitted, id);
    cbuf_puts(l->b, l->n ? ",{\"job\":" : "{\"job\":");
    cbuf_json_str(l->b, id, strlen(id));
    dc_job_rest(l->d, l->b, r);
    cbuf_putc(l->b, '}');
    l->n++;
    return 0;
}

#define DC_LIST_MAX 1000

static void dc_jobs(dmn *d, const ctl_req *q, cbuf *b)
{
    int state = -1;
    if (q->argc)
        state = job_state_parse(q->argv[0]);
    /* the most recent DC_LIST_MAX: start that far below the next seq */
    uint64_t counts[JOB_STATE_COUNT] = {0}, total = 0;
    journal_counts(d->jnl, counts);
    for (int s = 0; s < JOB_STATE_COUNT; s++)
        total += counts[s];
    ctl_reply_ok(b);
    cbuf_puts(b, ",\"jobs\":[");
    dc_list l = {.d = d, .b = b, .max = DC_LIST_MAX};
    uint64_t from = state < 0 && total > DC_LIST_MAX ? total - DC_LIST_MAX + 1 : 0;
    int rc = journal_each(d->jnl, state, from, dc_list_one, &l);
    cbuf_putc(b, ']');
    ctl_reply_bool(b, "truncated", rc == 1);
    ctl_reply_end(b);
}

static int dc_find(dmn *d, const char *id, job_rec *r, cbuf *b)
{
    uint64_t seq;
    char norm[JOURNAL_ID_MAX];
    if (journal_id_parse(id, &seq) != 0 || journal_get(d->jnl, seq, r) != 0 ||
        (journal_id(seq, r->submitted, norm), strcmp(norm, id) != 0)) {
        ctl_reply_error(b, "no such job");
        return -ENOENT;
    }
    return 0;
}

static void dc_job(dmn *d, const ctl_req *q, cbuf *b)
{
    job_rec r;
    if (dc_find(d, q->argv[0], &r, b) != 0)
        return;
    ctl_reply_ok(b);
    ctl_reply_str(b, "job", q->argv[0]); /* dc_find checked it is r's id */
    dc_job_rest(d, b, &r);
    ctl_reply_end(b);
}

static void dc_cancel(dmn *d, const ctl_req *q, const ctl_peer *p, cbuf *b)
{
    job_rec r;
    if (dc_find(d, q->argv[0], &r, b) != 0)
        return;
    pthread_mutex_lock(&d->mu);
    const char *state = NULL;
    if (journal_get(d->jnl, r.seq, &r) == 0) {
        if (r.state == JOB_QUEUED) {
            r.state = JOB_CANCELLED;
            r.ended = time(NULL);
            snprintf(r.reason, sizeof r.reason, "cancelled by uid %u before it ran",
                     (unsigned)p->uid);
            state = journal_put(d->jnl, &r) == 0 ? "cancelled" : NULL;
        } else if (r.state == JOB_RUNNING && d->running_seq == r.seq) {
            atomic_store(&d->cancel, -CLAIMD_EJOB_CANCELLED);
            state = "cancelling";
        }
    }
    pthread_mutex_unlock(&d->mu);
    if (!state) {
        char msg[96];
        snprintf(msg, sizeof msg, "job %s is %s: only queued or running jobs can be cancelled",
                 q->argv[0], job_state_name((job_state)r.state));
        ctl_reply_error(b, msg);
        return;
    }
    log_notice(DMN_MOD, "job %s: cancel by uid %u", q->argv[0], (unsigned)p->uid);
    ctl_reply_ok(b);
    ctl_reply_str(b, "job", q->argv[0]);
    ctl_reply_str(b, "state", state);
    ctl_reply_end(b);
}

static void dc_flag(dmn *d, ctl_verb v, cbuf *b)
{
    pthread_mutex_lock(&d->mu);
    if (v == CTL_PAUSE)
        d->paused = true;
    else if (v == CTL_RESUME)
        d->paused = d->draining = false;
    else
        d->draining = true;
    pthread_cond_broadcast(&d->cv);
    const char *state = dc_state(d);
    pthread_mutex_unlock(&d->mu);
    if (v == CTL_RESUME)
        dmn_inbox_scan(d); /* what waited in the inbox while draining */
    log_notice(DMN_MOD, "%s",
               v == CTL_PAUSE    ? "paused: no new job starts"
               : v == CTL_RESUME ? "resumed"
                                 : "draining: no intake; queued jobs finish");
    dmn_update_gauges(d);
    ctl_reply_ok(b);
    ctl_reply_str(b, "state", state);
    ctl_reply_end(b);
}

static void dc_tables(dmn *d, cbuf *b)
{
    pthread_mutex_lock(&d->mu);
    const tbl_info *ti = tbl_version_info(d->tables);
    ctl_reply_ok(b);
    ctl_reply_str(b, "current", ti ? ti->name : "");
    ctl_reply_str(b, "path", tbl_version_path(d->tables));
    cbuf_puts(b, ",\"in_use\":[");
    if (d->running_seq) {
        cbuf_puts(b, "{\"name\":");
        cbuf_json_str(b, d->running_tables, strlen(d->running_tables));
        cbuf_puts(b, ",\"jobs\":1}");
    }
    cbuf_putc(b, ']');
    pthread_mutex_unlock(&d->mu);
    ctl_reply_end(b);
}

static void dc_memory(cbuf *b)
{
    ctl_reply_ok(b);
    if (mallctl) {
        uint64_t e = 1;
        size_t sz = sizeof e;
        mallctl("epoch", &e, &sz, &e, sz);
        ctl_reply_str(b, "allocator", "jemalloc");
        const char *keys[] = {"allocated", "active", "resident", "mapped", "retained"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char name[32];
            size_t v = 0, len = sizeof v;
            snprintf(name, sizeof name, "stats.%s", keys[i]);
            if (mallctl(name, &v, &len, NULL, 0) == 0)
                ctl_reply_u64(b, keys[i], v);
        }
    } else {
        struct mallinfo2 mi = mallinfo2();
        ctl_reply_str(b, "allocator", "libc");
        ctl_reply_u64(b, "allocated", mi.uordblks + mi.hblkhd);
        ctl_reply_u64(b, "mapped", mi.hblkhd);
    }
    ctl_reply_end(b);
}

static void dc_reload(dmn *d, cbuf *b)
{
    char err[512] = "";
    int rc = dmn_reload(d, err, sizeof err);
    if (rc < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "reload refused, old settings kept: %s", err);
        ctl_reply_error(b, msg);
        return;
    }
    pthread_mutex_lock(&d->mu);
    const tbl_info *ti = tbl_version_info(d->tables);
    ctl_reply_ok(b);
    ctl_reply_str(b, "tables", ti ? ti->name : "");
    pthread_mutex_unlock(&d->mu);
    ctl_reply_bool(b, "changed", rc == 1);
    ctl_reply_end(b);
}

static int dc_submit(dmn *d, const ctl_req *q, const ctl_peer *p, uint64_t tok, cbuf *b)
{
    pthread_mutex_lock(&d->mu);
    bool closed = d->draining || d->stopping;
    uint64_t min = d->cfg->min_free_disk_mb;
    pthread_mutex_unlock(&d->mu);
    if (closed) {
        ctl_reply_error(b, d->stopping ? "intake closed: the daemon is stopping"
                                       : "intake closed: draining (send resume)");
        return CTLSRV_DONE;
    }
    if (atomic_load(&d->low_disk)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "intake stopped: %" PRIu64
                 " MiB free on the spool, below min_free_disk_mb %" PRIu64,
                 atomic_load(&d->free_mb), min);
        ctl_reply_error(b, msg);
        return CTLSRV_DONE;
    }
    const char *path = q->argv[0];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!base[0] || base[0] == '.' || strlen(base) > 200) {
        ctl_reply_error(b, "submit: the file name must not be empty, start with '.' or be longer "
                           "than 200 bytes");
        return CTLSRV_DONE;
    }
    char err[1400] = "";
    int fd;
    if (dmn_submit_open(d, path, p->uid, &fd, err, sizeof err) != 0) {
        ctl_reply_error(b, err);
        return CTLSRV_DONE;
    }
    dmn_io *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        ctl_reply_error(b, "out of memory");
        return CTLSRV_DONE;
    }
    r->kind = DMN_IO_SUBMIT;
    r->fd = fd;
    r->tok = tok;
    r->uid = p->uid;
    snprintf(r->name, sizeof r->name, "%s", base);
    dmn_io_push(d, r);
    return CTLSRV_DEFER;
}

static int dc_purge(dmn *d, const ctl_req *q, uint64_t tok, cbuf *b)
{
    dmn_io *r = calloc(1, sizeof *r);
    if (!r) {
        ctl_reply_error(b, "out of memory");
        return CTLSRV_DONE;
    }
    r->kind = DMN_IO_PURGE;
    r->fd = -1;
    r->tok = tok;
    r->force = true;
    if (q->argc) {
        job_rec jr;
        if (dc_find(d, q->argv[0], &jr, b) != 0) {
            free(r);
            return CTLSRV_DONE;
        }
        if (jr.state < JOB_DONE) {
            free(r);
            ctl_reply_error(b, "only ended jobs (done, failed, cancelled) can be purged");
            return CTLSRV_DONE;
        }
        r->seq = jr.seq;
    }
    dmn_io_push(d, r);
    return CTLSRV_DEFER;
}

int dmn_ctl_handle(void *ctx, const ctl_req *q, const ctl_peer *p, uint64_t tok, cbuf *b)
{
    dmn *d = ctx;
    switch (q->verb) {
    case CTL_STATUS:
        dc_status(d, b);
        break;
    case CTL_STATS:
    case CTL_METRICS:
        if (dc_stats(d, b, q->verb == CTL_METRICS) != 0)
            ctl_reply_error(b, "out of memory");
        break;
    case CTL_SUBMIT:
        return dc_submit(d, q, p, tok, b);
    case CTL_JOBS:
        dc_jobs(d, q, b);
        break;
    case CTL_JOB:
        dc_job(d, q, b);
        break;
    case CTL_CANCEL:
        dc_cancel(d, q, p, b);
        break;
    case CTL_PURGE:
        return dc_purge(d, q, tok, b);
    case CTL_PAUSE:
    case CTL_RESUME:
    case CTL_DRAIN:
        dc_flag(d, q->verb, b);
        break;
    case CTL_RELOAD:
        dc_reload(d, b);
        break;
    case CTL_TABLES:
        dc_tables(d, b);
        break;
    case CTL_MEMORY:
        dc_memory(b);
        break;
    case CTL_LOGLEVEL: {
        enum log_level lvl;
        log_level_parse(q->argv[0], &lvl); /* checked by ctl_parse */
        log_set_level(lvl);
        ctl_reply_ok(b);
        ctl_reply_str(b, "log_level", q->argv[0]);
        ctl_reply_end(b);
        break;
    }
    case CTL_VERSION:
        ctl_reply_ok(b);
        ctl_reply_str(b, "version", CLAIMD_VERSION);
        ctl_reply_u64(b, "tables_layout", TBL_LAYOUT_VERSION);
        ctl_reply_u64(b, "stats_layout", STATS_LAYOUT);
        ctl_reply_u64(b, "journal_layout", JOURNAL_LAYOUT);
        ctl_reply_end(b);
        break;
    case CTL_SHUTDOWN:
        dmn_begin_stop(d);
        ctl_reply_ok(b);
        ctl_reply_str(b, "state", "stopping");
        ctl_reply_end(b);
        break;
    case CTL_HELP:
        ctl_reply_help(b);
        break;
    default:
        ctl_reply_error(b, "verb not handled");
        break;
    }
    return CTLSRV_DONE;
}

void dmn_ctl_audit(void *ctx, const ctl_peer *peer, ctl_verb verb, bool ok, const char *msg)
{
    (void)msg; /* a refusal's text may echo a submitted path: not logged */
    const ctl_verb_def *v = ctl_verb_def_of(verb);
    dmn_audit(ctx, peer->uid, v ? v->name : "?", ok, NULL);
}
