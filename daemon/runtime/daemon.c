/* The daemon: start, the main loop, reload, stop (daemon_int.h, docs/daemon.md).
 *
 * Start: config (file or embedded default, then the flags), the spool, the
 * journal (an exclusive lock: one daemon per state folder), recovery, the
 * duplicate history, the tables, the stats segment, the control socket
 * (bound, or systemd's), the inbox watch, the runner and io threads; then
 * READY=1 and the socket's path on stderr.
 *
 * Stop (SIGTERM, SIGINT, `shutdown`): no new jobs or intake; the running
 * job may finish within shutdown_grace_seconds, after which it is stopped
 * and left queued to run again at the next start; exit 0.
 */
#define _GNU_SOURCE

#include "claimd/error.h"
#include "claimd/log.h"
#include "claimd/tbl_default.h"
#include "daemon_int.h"
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int64_t dmn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- settings ----------------------------------------------------------- */

/* Reads and parses the config (or the embedded default), then the flags. */
static int dmn_load_cfg(const dmn_args *a, cfg **out, char *err, size_t errlen)
{
    const char *text = cfg_default_text();
    size_t len = strlen(text);
    char *file = NULL;
    if (a->config) {
        int fd = open(a->config, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            snprintf(err, errlen, "%s: %s", a->config, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -errno;
        }
        if (st.st_size > CFG_FILE_MAX) {
            close(fd);
            snprintf(err, errlen, "%s: larger than %d bytes", a->config, CFG_FILE_MAX);
            return -CLAIMD_ECFG_TOO_BIG;
        }
        file = malloc((size_t)st.st_size + 1);
        size_t got = 0;
        ssize_t n = 1;
        while (file && got < (size_t)st.st_size && n != 0) { /* reads may come short */
            n = read(fd, file + got, (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            got += (size_t)n;
        }
        close(fd);
        if (!file || n < 0) {
            free(file);
            snprintf(err, errlen, "%s: cannot read it", a->config);
            return -EIO;
        }
        text = file;
        len = got;
    }
    char perr[256] = "";
    int rc = cfg_parse(text, len, out, perr, sizeof perr);
    free(file);
    if (rc) {
        snprintf(err, errlen, "%s: %s", a->config ? a->config : "embedded config", perr);
        return rc;
    }
    for (unsigned i = 0; i < a->n; i++) {
        rc = cfg_set(*out, a->key[i], a->val[i], perr, sizeof perr);
        if (rc) {
            snprintf(err, errlen, "--%s: %s", a->key[i], perr);
            cfg_free(*out);
            *out = NULL;
            return rc;
        }
    }
    return 0;
}

/* A group name or number; "" gives dflt. */
static int dmn_group(const char *name, gid_t dflt, gid_t *out)
{
    if (!name[0]) {
        *out = dflt;
        return 0;
    }
    char *end;
    unsigned long v = strtoul(name, &end, 10);
    if (*end == 0) {
        *out = (gid_t)v;
        return 0;
    }
    struct group *g = getgrnam(name);
    if (!g)
        return -ENOENT;
    *out = g->gr_gid;
    return 0;
}

static int dmn_policy(const cfg *c, uid_t uid, ctl_policy *p, gid_t *sock_gid, char *err,
                      size_t errlen)
{
    gid_t rg, ag = CTL_GID_NONE;
    if (dmn_group(c->socket_group, getgid(), &rg) != 0) {
        snprintf(err, errlen, "socket_group: no group %s", c->socket_group);
        return -ENOENT;
    }
    if (c->admin_group[0] && dmn_group(c->admin_group, CTL_GID_NONE, &ag) != 0) {
        snprintf(err, errlen, "control_admin_group: no group %s", c->admin_group);
        return -ENOENT;
    }
    *p = (ctl_policy){.daemon_uid = uid, .read_gid = rg, .admin_gid = ag};
    if (sock_gid)
        *sock_gid = c->socket_group[0] ? rg : (gid_t)-1;
    return 0;
}

/* Opens the tables the config names ("default": the embedded version). */
static int dmn_open_tables(const cfg *c, tbl_version **v, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    const char *path = c->tables;
    if (strcmp(path, "default") == 0) {
        int rc = tbl_default_dir(dir, sizeof dir);
        if (rc) {
            snprintf(err, errlen, "tables = default, but no embedded default was found: %s",
                     claimd_strerror(rc));
            return rc;
        }
        path = dir;
    }
    int rc = tbl_open(path, 0, v);
    if (rc == 0)
        rc = tbl_version_check(*v);
    if (rc) {
        if (rc != 0 && *v) {
            tbl_close(*v);
            *v = NULL;
        }
        snprintf(err, errlen, "tables %s: %s", path, claimd_strerror(rc));
    }
    return rc;
}

static const char *dmn_tables_name(const tbl_version *v)
{
    const tbl_info *ti = v ? tbl_version_info(v) : NULL;
    return ti ? ti->name : "";
}

int dmn_reload(dmn *d, char *err, size_t errlen)
{
    cfg *c = NULL;
    int rc = dmn_load_cfg(&d->args, &c, err, errlen);
    if (rc || !c)
        return rc ? rc : -EINVAL;
    ctl_policy pol;
    rc = dmn_policy(c, d->uid, &pol, NULL, err, errlen);
    tbl_version *v = NULL;
    if (rc == 0)
        rc = dmn_open_tables(c, &v, err, errlen);
    if (rc) {
        cfg_free(c);
        return rc;
    }
    if (strcmp(c->spool, d->cfg->spool) != 0 || strcmp(c->socket, d->cfg->socket) != 0 ||
        strcmp(c->state_dir, d->cfg->state_dir) != 0)
        log_warn(DMN_MOD, "reload: spool, socket and state_dir changes need a restart; kept");
    snprintf(c->spool, sizeof c->spool, "%s", d->cfg->spool);
    snprintf(c->socket, sizeof c->socket, "%s", d->cfg->socket);
    snprintf(c->state_dir, sizeof c->state_dir, "%s", d->cfg->state_dir);
    pthread_mutex_lock(&d->mu);
    bool changed = strcmp(tbl_version_path(v), tbl_version_path(d->tables)) != 0;
    tbl_version *old = d->tables;
    cfg *oldc = d->cfg;
    d->tables = v;
    d->cfg = c;
    d->threads = dmn_threads_of(c);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    tbl_version_release(old); /* a running job keeps its own reference */
    cfg_free(oldc);
    log_set_level((enum log_level)c->log_level);
    ctlsrv_set_policy(d->srv, &pol);
    stats_set_tables(d->stats, dmn_tables_name(v));
    stats_set_gauge(d->stats, STATS_THREADS, d->threads);
    log_notice(DMN_MOD, "reloaded: tables %s%s, %u threads", dmn_tables_name(v),
               changed ? " (new jobs use it)" : " (unchanged)", d->threads);
    return changed ? 1 : 0;
}

/* ---- audit log ---------------------------------------------------------- */

void dmn_audit(dmn *d, uid_t uid, const char *verb, bool ok, const char *detail)
{
    if (d->audit_fd < 0)
        return;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[512];
    int n = snprintf(line, sizeof line, "%s uid=%u verb=%s result=%s%s%s\n", ts, (unsigned)uid,
                     verb, ok ? "ok" : "error", detail && *detail ? " " : "", detail ? detail : "");
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    if (write(d->audit_fd, line, (size_t)n) < 0)
        log_warn(DMN_MOD, "audit log: %s", strerror(errno));
}

/* ---- gauges, disk, status ----------------------------------------------- */

void dmn_update_gauges(dmn *d)
{
    uint64_t counts[JOB_STATE_COUNT] = {0};
    if (journal_counts(d->jnl, counts) == 0)
        for (int s = 0; s < JOB_STATE_COUNT; s++)
            stats_set_gauge(d->stats, (stats_gauge)(STATS_JOBS_QUEUED + s), counts[s]);
    pthread_mutex_lock(&d->mu);
    stats_set_gauge(d->stats, STATS_PAUSED, d->paused);
    stats_set_gauge(d->stats, STATS_DRAINING, d->draining || d->stopping);
    pthread_mutex_unlock(&d->mu);
    stats_set_gauge(d->stats, STATS_INTAKE_STOPPED, atomic_load(&d->low_disk));
    stats_set_gauge(d->stats, STATS_FREE_DISK_MB, atomic_load(&d->free_mb));
    stats_set_gauge(d->stats, STATS_CLIENTS, ctlsrv_clients(d->srv));
    stats_set_gauge(d->stats, STATS_CTL_REQUESTS, ctlsrv_requests(d->srv));
}

uint64_t dmn_free_mb(const dmn *d)
{
    struct statvfs vs;
    if (statvfs(d->spool, &vs) != 0)
        return UINT64_MAX;
    return (uint64_t)vs.f_bavail * vs.f_frsize >> 20;
}

static void dmn_check_disk(dmn *d)
{
    uint64_t mb = dmn_free_mb(d);
    if (mb == UINT64_MAX)
        return;
    atomic_store(&d->free_mb, mb);
    pthread_mutex_lock(&d->mu);
    uint64_t min = d->cfg->min_free_disk_mb;
    pthread_mutex_unlock(&d->mu);
    bool low = min && mb < min;
    bool was = atomic_exchange(&d->low_disk, low);
    if (low && !was)
        log_warn(DMN_MOD, "intake stopped: %" PRIu64 " MiB free on the spool, below %" PRIu64, mb,
                 min);
    if (!low && was) {
        log_notice(DMN_MOD, "intake resumed: %" PRIu64 " MiB free on the spool", mb);
        dmn_inbox_scan(d);
    }
}

static void dmn_status_line(dmn *d)
{
    stats_snap *s = malloc(sizeof *s);
    if (!s)
        return;
    stats_snapshot(d->stats, s);
    int64_t now = dmn_now();
    uint64_t claims = s->total[STATS_CLAIMS_READ];
    if (d->last_rate_ns && now > d->last_rate_ns)
        d->rate = (double)(claims - d->last_claims) * 1e9 / (double)(now - d->last_rate_ns);
    d->last_claims = claims;
    d->last_rate_ns = now;
    sdn_notifyf("STATUS=%" PRIu64 " queued, %" PRIu64 " running, %" PRIu64 " done, %" PRIu64
                " failed; %.0f claims/s%s%s",
                s->gauge[STATS_JOBS_QUEUED], s->gauge[STATS_JOBS_RUNNING],
                s->gauge[STATS_JOBS_DONE], s->gauge[STATS_JOBS_FAILED], d->rate,
                s->gauge[STATS_PAUSED] ? "; paused" : "",
                s->gauge[STATS_INTAKE_STOPPED] ? "; intake stopped (low disk)" : "");
    free(s);
}

/* ---- stopping ----------------------------------------------------------- */

void dmn_begin_stop(dmn *d)
{
    pthread_mutex_lock(&d->mu);
    bool was = d->stopping;
    d->stopping = true;
    uint32_t grace = d->cfg ? d->cfg->shutdown_grace_seconds : 0;
    bool running = d->running_seq != 0;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    if (was)
        return;
    sdn_notify("STOPPING=1");
    d->stop_deadline = dmn_now() / 1000000000 + grace;
    log_notice(DMN_MOD, "stopping: %s",
               running ? "the running job may finish within the grace period" : "no job running");
    if (grace == 0)
        atomic_store(&d->cancel, -CLAIMD_EJOB_STOPPED);
}

/* ---- the event loop ----------------------------------------------------- */

static void dmn_on_inotify(dmn *d)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(d->ifd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            /* events are aligned in the buffer (inotify(7)); through void *
             * since clang's -Wcast-align cannot know that */
            const struct inotify_event *e = (const void *)p;
            p += sizeof *e + e->len;
            if (e->mask & IN_Q_OVERFLOW) {
                dmn_inbox_scan(d);
                continue;
            }
            if (!e->len || e->name[0] == '.' || (e->mask & IN_ISDIR))
                continue;
            pthread_mutex_lock(&d->mu);
            bool closed = d->draining || d->stopping;
            pthread_mutex_unlock(&d->mu);
            if (closed || atomic_load(&d->low_disk))
                continue; /* left in the inbox until intake opens again */
            dmn_io *q = calloc(1, sizeof *q);
            if (!q)
                continue;
            q->kind = DMN_IO_INBOX;
            q->fd = -1;
            q->uid = d->uid;
            snprintf(q->name, sizeof q->name, "%s", e->name);
            dmn_io_push(d, q);
        }
    }
}

static void dmn_on_signal(dmn *d)
{
    struct signalfd_siginfo si;
    while (read(d->sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            char err[512] = "";
            int rc = dmn_reload(d, err, sizeof err);
            if (rc < 0)
                log_err(DMN_MOD, "reload (SIGHUP) refused, old settings kept: %s", err);
            dmn_audit(d, si.ssi_uid, "reload(SIGHUP)", rc >= 0, rc < 0 ? "error" : NULL);
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            dmn_audit(d, si.ssi_uid,
                      si.ssi_signo == SIGTERM ? "shutdown(SIGTERM)" : "shutdown(SIGINT)", true,
                      NULL);
            dmn_begin_stop(d);
        }
    }
}

/* The io thread's finished requests: their deferred replies. */
static void dmn_on_event(dmn *d)
{
    uint64_t v;
    if (read(d->efd, &v, sizeof v) < 0 && errno != EAGAIN)
        log_warn(DMN_MOD, "eventfd: %s", strerror(errno));
    pthread_mutex_lock(&d->io_mu);
    dmn_io *q = d->io_done;
    d->io_done = NULL;
    pthread_mutex_unlock(&d->io_mu);
    while (q) {
        dmn_io *next = q->next;
        if (q->reply)
            ctlsrv_answer(d->srv, q->tok, q->reply, q->reply_len);
        else
            ctlsrv_answer(d->srv, q->tok, "{\"ok\":false,\"error\":\"internal error\"}\n", 37);
        free(q->reply);
        free(q);
        q = next;
    }
    dmn_update_gauges(d);
}

static void dmn_on_tick(dmn *d)
{
    uint64_t v;
    if (read(d->tfd, &v, sizeof v) < 0 && errno != EAGAIN)
        return;
    d->ticks++;
    int64_t now = dmn_now();
    if (d->wd_usec && (uint64_t)(now / 1000) - d->last_wd_ns / 1000 >= d->wd_usec / 2) {
        sdn_notify("WATCHDOG=1");
        d->last_wd_ns = (uint64_t)now;
    }
    if (d->ticks % 5 == 1)
        dmn_check_disk(d);
    dmn_update_gauges(d);
    dmn_status_line(d);
    if (d->ticks % 60 == 0) { /* retention */
        dmn_io *q = calloc(1, sizeof *q);
        if (q) {
            q->kind = DMN_IO_PURGE;
            q->fd = -1;
            dmn_io_push(d, q);
        }
    }
    if (d->stopping && d->stop_deadline && now / 1000000000 >= d->stop_deadline &&
        atomic_load(&d->cancel) == 0) {
        log_notice(DMN_MOD, "grace period over: stopping the running job");
        atomic_store(&d->cancel, -CLAIMD_EJOB_STOPPED);
    }
}

static int dmn_epoll_add(int ep, int fd, int tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)tag};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

enum { EV_SRV = 1, EV_INOTIFY, EV_SIGNAL, EV_TIMER, EV_EVENT };

static int dmn_loop(dmn *d)
{
    for (;;) {
        pthread_mutex_lock(&d->mu);
        bool done = d->stopping && d->runner_done;
        pthread_mutex_unlock(&d->mu);
        if (done)
            return 0;
        struct epoll_event ev[16];
        int n = epoll_wait(d->epfd, ev, 16, 1000);
        if (n < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < n; i++) {
            switch (ev[i].data.u32) {
            case EV_SRV:
                ctlsrv_run(d->srv, 0);
                break;
            case EV_INOTIFY:
                dmn_on_inotify(d);
                break;
            case EV_SIGNAL:
                dmn_on_signal(d);
                break;
            case EV_TIMER:
                dmn_on_tick(d);
                break;
            case EV_EVENT:
                dmn_on_event(d);
                break;
            }
        }
    }
}

/* ---- start and end ------------------------------------------------------ */

static int dmn_open_audit(dmn *d)
{
    const char *p = d->cfg->audit_log;
    if (!p[0])
        return 0;
    d->audit_fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (d->audit_fd < 0) {
        int rc = -errno;
        log_err(DMN_MOD, "audit log %s: %s", p, strerror(errno));
        return rc;
    }
    return 0;
}

static int dmn_setup_fds(dmn *d)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts: they inherit it */
    signal(SIGPIPE, SIG_IGN);
    d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->sfd < 0 || d->tfd < 0 || d->efd < 0 || d->ifd < 0 || d->epfd < 0)
        return -errno;
    struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
    timerfd_settime(d->tfd, 0, &its, NULL);
    d->iwd = inotify_add_watch(d->ifd, d->inbox, IN_CLOSE_WRITE | IN_MOVED_TO);
    if (d->iwd < 0) {
        log_err(DMN_MOD, "cannot watch %s: %s", d->inbox, strerror(errno));
        return -errno;
    }
    int rc = dmn_epoll_add(d->epfd, d->sfd, EV_SIGNAL);
    if (rc == 0)
        rc = dmn_epoll_add(d->epfd, d->tfd, EV_TIMER);
    if (rc == 0)
        rc = dmn_epoll_add(d->epfd, d->efd, EV_EVENT);
    if (rc == 0)
        rc = dmn_epoll_add(d->epfd, d->ifd, EV_INOTIFY);
    if (rc == 0)
        rc = dmn_epoll_add(d->epfd, ctlsrv_fd(d->srv), EV_SRV);
    return rc;
}

static void dmn_close(dmn *d)
{
    if (d->io_started) {
        pthread_mutex_lock(&d->io_mu);
        d->io_quit = true;
        pthread_cond_broadcast(&d->io_cv);
        pthread_mutex_unlock(&d->io_mu);
        pthread_join(d->io, NULL);
    }
    for (dmn_io *q = d->io_head; q;) {
        dmn_io *n = q->next;
        if (q->fd >= 0)
            close(q->fd);
        free(q->reply);
        free(q);
        q = n;
    }
    for (dmn_io *q = d->io_done; q;) {
        dmn_io *n = q->next;
        free(q->reply);
        free(q);
        q = n;
    }
    ctlsrv_close(d->srv);
    stats_destroy(d->stats, d->stats_path[0] ? d->stats_path : NULL);
    journal_close(d->jnl);
    fp_set_free(d->history);
    tbl_version_release(d->tables);
    cfg_free(d->cfg);
    int fds[] = {d->epfd, d->ifd, d->sfd, d->tfd, d->efd, d->audit_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->io_mu);
    pthread_cond_destroy(&d->io_cv);
}

static int dmn_start(dmn *d)
{
    char err[512] = "";
    int rc = dmn_load_cfg(&d->args, &d->cfg, err, sizeof err);
    if (rc) {
        log_err(DMN_MOD, "bad config: %s", err);
        return rc;
    }
    log_set_level((enum log_level)d->cfg->log_level);
    d->threads = dmn_threads_of(d->cfg);
    ctl_policy pol;
    gid_t sock_gid;
    if ((rc = dmn_policy(d->cfg, d->uid, &pol, &sock_gid, err, sizeof err)) != 0 ||
        (rc = dmn_open_tables(d->cfg, &d->tables, err, sizeof err)) != 0) {
        log_err(DMN_MOD, "%s", err);
        return rc;
    }
    if ((rc = dmn_spool_init(d)) != 0)
        return rc;
    rc = journal_open(d->state, &d->jnl);
    if (rc) {
        log_err(DMN_MOD, "job journal in %s: %s%s", d->state, claimd_strerror(rc),
                rc == -EBUSY ? " (another claimd uses this spool)" : "");
        return rc;
    }
    if ((rc = dmn_open_audit(d)) != 0)
        return rc;
    snprintf(d->socket, sizeof d->socket, "%s", d->cfg->socket);
    if (stats_path_for(d->socket, d->stats_path, sizeof d->stats_path) != 0 ||
        (rc = stats_create(d->stats_path, sock_gid, &d->stats)) != 0) {
        log_err(DMN_MOD, "stats segment %s: %s", d->stats_path,
                claimd_strerror(rc ? rc : -ENAMETOOLONG));
        d->stats_path[0] = 0;
        return rc ? rc : -ENAMETOOLONG;
    }
    d->st_runner = stats_slot_get(d->stats, "runner");
    stats_set_tables(d->stats, dmn_tables_name(d->tables));
    stats_set_gauge(d->stats, STATS_THREADS, d->threads);
    ctlsrv_opts so = {.path = d->socket,
                      .gid = sock_gid,
                      .policy = pol,
                      .handler = dmn_ctl_handle,
                      .audit = dmn_ctl_audit,
                      .ctx = d};
    rc = ctlsrv_open(&so, &d->srv);
    if (rc) {
        log_err(DMN_MOD, "control socket %s: %s", d->socket, claimd_strerror(rc));
        return rc;
    }
    if ((rc = dmn_setup_fds(d)) != 0)
        return rc;
    if ((rc = dmn_recover(d)) != 0) {
        log_err(DMN_MOD, "recovery: %s", claimd_strerror(rc));
        return rc;
    }
    if ((rc = dmn_history_load(d)) != 0) {
        log_err(DMN_MOD, "duplicate history: %s", claimd_strerror(rc));
        return rc;
    }
    dmn_check_disk(d);
    if ((rc = pthread_create(&d->io, NULL, dmn_io_main, d)) != 0)
        return -rc;
    d->io_started = true;
    if ((rc = pthread_create(&d->runner, NULL, dmn_runner_main, d)) != 0)
        return -rc;
    d->runner_started = true;
    dmn_inbox_scan(d);
    dmn_update_gauges(d);
    d->wd_usec = sdn_watchdog_usec();
    log_notice(DMN_MOD, "claimd %s ready: spool %s, tables %s, %u threads, control socket %s",
               CLAIMD_VERSION, d->spool, dmn_tables_name(d->tables), d->threads, d->socket);
    sdn_notifyf("READY=1\nSTATUS=ready; control socket %s", d->socket);
    return 0;
}

int daemon_main(const dmn_args *a)
{
    dmn *d = calloc(1, sizeof *d);
    if (!d)
        return 1;
    d->args = *a;
    d->uid = geteuid();
    d->started = time(NULL);
    d->epfd = d->ifd = d->sfd = d->tfd = d->efd = d->audit_fd = -1;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_mutex_init(&d->io_mu, NULL);
    pthread_cond_init(&d->io_cv, NULL);
    int rc = dmn_start(d);
    if (rc == 0)
        rc = dmn_loop(d);
    if (rc) /* a start that failed half-way: the runner must still end */
        dmn_begin_stop(d);
    if (d->runner_started)
        pthread_join(d->runner, NULL);
    dmn_close(d);
    free(d);
    if (rc == 0)
        log_notice(DMN_MOD, "stopped");
    return rc ? 1 : 0;
}
