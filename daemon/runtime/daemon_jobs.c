/* The daemon's jobs: the spool, intake, recovery, the runner and purges
 * (daemon_int.h tells who runs what).
 *
 * A job's life, and what a crash at any point leaves:
 *   intake    the input is moved (inbox) or copied (submit) to
 *             intake/NS-N-NAME, fsynced, hashed. Crash: the file is still
 *             there and is taken in again at start (it was never journaled).
 *   journal   journal_add: queued, durable. Crash before the move below:
 *             recovery finds the job's input still in intake/ and moves it.
 *   queued    jobs/ID/NAME. The runner takes jobs in seq order.
 *   running   outputs built in tmp/ID.out/ (each file fsynced), the folder
 *             renamed to out/ID/ and out/ fsynced, then journal_finish
 *             (done + the job's fingerprints for the duplicate history, one
 *             transaction). Crash anywhere before that commit: the job is
 *             still running in the journal, recovery queues it again and
 *             removes tmp/ID.out/ and out/ID/: it re-runs from the start
 *             against the same history, so its outputs are the same bytes.
 *   failed    the input and reason.txt move to failed/ID/.
 * Logs name jobs, files and counts: never claim data.
 */
#define _GNU_SOURCE

#include "claimd/error.h"
#include "claimd/log.h"
#include "daemon_int.h"
#include "scrub_pipe.h"
#include "scrub_writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- small file helpers ------------------------------------------------- */

/* snprintf for paths and messages: cut to cap (spool paths are at most
 * CFG_PATH_MAX + a job id + a 200-byte name, well under PATH_MAX). */
static void dj_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void dj_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* mkdir -p p, 0750. */
static int dj_mkdir(const char *p)
{
    if (mkdir(p, 0750) == 0 || errno == EEXIST)
        return 0;
    size_t n = strlen(p);
    if (errno == ENOENT && n < PATH_MAX) { /* its parents first, from the top */
        char up[PATH_MAX];
        memcpy(up, p, n + 1);
        for (char *s = strchr(up + 1, '/'); s; s = strchr(s + 1, '/')) {
            *s = 0;
            if (mkdir(up, 0750) != 0 && errno != EEXIST)
                break;
            *s = '/';
        }
        if (mkdir(p, 0750) == 0 || errno == EEXIST)
            return 0;
    }
    int rc = -errno;
    log_err(DMN_MOD, "cannot create %s: %s", p, claimd_strerror(rc));
    return rc;
}

static int dj_fsync_dir(const char *p)
{
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Removes path and everything under it; a missing path is fine. Symlinks
 * are removed, never followed (lstat), so the depth is the spool's own. */
static int dj_rm_rf(const char *path) // NOLINT(misc-no-recursion): bounded by the tree's depth
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[PATH_MAX];
        if (strlen(path) + strlen(e->d_name) + 2 > sizeof sub) {
            rc = -ENAMETOOLONG;
            continue;
        }
        dj_fmt(sub, sizeof sub, "%s/%s", path, e->d_name);
        int r = dj_rm_rf(sub);
        rc = rc ? rc : r;
    }
    closedir(dir);
    if (rmdir(path) != 0 && errno != ENOENT)
        rc = rc ? rc : -errno;
    return rc;
}

static void dj_path(char *buf, size_t cap, const char *dir, const char *name)
{
    dj_fmt(buf, cap, "%s/%s", dir, name);
}

/* BASE/ID+suffix: a job's folder under one of the spool's folders. */
static void dj_seq_dir(const char *base, uint64_t seq, int64_t submitted, const char *suffix,
                       char *buf, size_t cap)
{
    char id[JOURNAL_ID_MAX];
    journal_id(seq, submitted, id);
    dj_fmt(buf, cap, "%s/%s%s", base, id, suffix);
}

static void dj_job_dir(const char *base, const job_rec *r, const char *suffix, char *buf,
                       size_t cap)
{
    dj_seq_dir(base, r->seq, r->submitted, suffix, buf, cap);
}

void dmn_out_path(const dmn *d, uint64_t seq, int64_t submitted, char *buf, size_t cap)
{
    dj_seq_dir(d->out, seq, submitted, "", buf, cap);
}

void dmn_job_id(const dmn *d, uint64_t seq, char id[JOURNAL_ID_MAX])
{
    job_rec r;
    journal_id(seq, journal_get(d->jnl, seq, &r) == 0 ? r.submitted : 0, id);
}

/* ---- the spool ---------------------------------------------------------- */

int dmn_spool_init(dmn *d)
{
    const cfg *c = d->cfg;
    dj_fmt(d->spool, sizeof d->spool, "%s", c->spool);
    dj_path(d->inbox, sizeof d->inbox, d->spool, "inbox");
    dj_path(d->intake, sizeof d->intake, d->spool, "intake");
    dj_path(d->jobs, sizeof d->jobs, d->spool, "jobs");
    dj_path(d->tmp, sizeof d->tmp, d->spool, "tmp");
    dj_path(d->out, sizeof d->out, d->spool, "out");
    dj_path(d->failed, sizeof d->failed, d->spool, "failed");
    if (c->state_dir[0])
        dj_fmt(d->state, sizeof d->state, "%s", c->state_dir);
    else
        dj_path(d->state, sizeof d->state, d->spool, "state");
    const char *dirs[] = {d->spool, d->inbox, d->intake, d->jobs, d->tmp, d->out, d->failed};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        int rc = dj_mkdir(dirs[i]);
        if (rc)
            return rc;
    }
    /* the folders of the socket and the audit log */
    const char *files[] = {c->socket, c->audit_log};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char up[PATH_MAX];
        dj_fmt(up, sizeof up, "%s", files[i]);
        char *s = strrchr(up, '/');
        if (!s || s == up)
            continue;
        *s = 0;
        int rc = dj_mkdir(up);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- intake ------------------------------------------------------------- */

/* A file name the spool accepts as a job's name: not hidden (a writer's
 * temporary), not "." or "..", printable, short enough for the outputs. */
static bool dj_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 200 || n[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f || n[i] == '/')
            return false;
    return true;
}

/* XXH3-128 of the file at fd from its start, and its size. */
static int dj_hash_fd(int fd, uint8_t out[16], uint64_t *size)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st)
        return -ENOMEM;
    XXH3_128bits_reset(st);
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    int rc = buf ? 0 : -ENOMEM;
    uint64_t total = 0;
    for (off_t off = 0; rc == 0;) {
        ssize_t n = pread(fd, buf, BUF, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = -errno;
        if (n <= 0)
            break;
        XXH3_128bits_update(st, buf, (size_t)n);
        off += n;
        total += (uint64_t)n;
    }
    if (rc == 0) {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
        memcpy(out, c.digest, 16);
        *size = total;
    }
    free(buf);
    XXH3_freeState(st);
    return rc;
}

/* Copies src (an open file) to the new file dst, fsynced. */
static int dj_copy(int src, const char *dst)
{
    int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    int rc = 0;
    bool plain = false;
    char *buf = NULL;
    for (off_t in = 0;;) {
        ssize_t n;
        if (!plain) {
            n = copy_file_range(src, &in, fd, NULL, 1 << 30, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                          errno == EOPNOTSUPP || errno == EBADF)) {
                plain = true;
                continue;
            }
        } else {
            if (!buf && !(buf = malloc(1 << 20))) {
                rc = -ENOMEM;
                break;
            }
            n = pread(src, buf, 1 << 20, in);
            for (ssize_t w = 0; n > 0 && w < n;) {
                ssize_t k = write(fd, buf + w, (size_t)(n - w));
                if (k < 0 && errno == EINTR)
                    continue;
                if (k < 0) {
                    n = -1;
                    break;
                }
                w += k;
            }
            if (n > 0)
                in += n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
    }
    free(buf);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc)
        unlink(dst);
    return rc;
}

/* Builds a deferred reply for the io thread's request. */
static void dj_reply(dmn_io *q, cbuf *b)
{
    if (cbuf_error(b) == 0 && b->len) {
        q->reply = malloc(b->len);
        if (q->reply) {
            memcpy(q->reply, b->p, b->len);
            q->reply_len = b->len;
        }
    }
    cbuf_release(b);
}

/* {"ok":false,"error":msg} with "job":job_id when job_id is not NULL. */
static void dj_reply_err(dmn_io *q, const char *msg, const char *job_id)
{
    if (!q->tok)
        return;
    cbuf b;
    cbuf_init(&b);
    cbuf_puts(&b, "{\"ok\":false,\"error\":");
    cbuf_json_str(&b, msg, strlen(msg));
    if (job_id) {
        cbuf_puts(&b, ",\"job\":");
        cbuf_json_str(&b, job_id, strlen(job_id));
    }
    cbuf_puts(&b, "}\n");
    dj_reply(q, &b);
}

/* Journals the file intake/INTAKE as a job named name, then moves it to
 * jobs/ID/name. A repeat refused by the policy ends as a failed job when it
 * came from the inbox (nobody to answer), and is answered and removed when
 * it was submitted. */
static int dj_take_in(dmn *d, dmn_io *q, const char *intake_name, const char *name)
{
    char src[PATH_MAX];
    dj_path(src, sizeof src, d->intake, intake_name);
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    job_rec r = {.state = JOB_QUEUED,
                 .source = q->kind == DMN_IO_SUBMIT ? JOB_SRC_SOCKET : JOB_SRC_INBOX,
                 .submit_uid = (uint32_t)q->uid,
                 .submitted = time(NULL)};
    int rc = dj_hash_fd(fd, r.hash, &r.size);
    close(fd);
    if (rc)
        return rc;
    dj_fmt(r.name, sizeof r.name, "%s", name);
    dj_fmt(r.intake, sizeof r.intake, "%s", intake_name);
    pthread_mutex_lock(&d->mu);
    bool refuse = d->cfg->repeat_policy == CFG_REPEAT_REFUSE;
    pthread_mutex_unlock(&d->mu);
    rc = journal_add(d->jnl, &r, refuse && q->kind == DMN_IO_SUBMIT);
    char fid[JOURNAL_ID_MAX] = "", repeat_msg[160] = ""; /* the earlier job, if any */
    if (rc == 0 || rc == -CLAIMD_EJNL_REPEAT) {
        if (r.repeat_of)
            dmn_job_id(d, r.repeat_of, fid);
        dj_fmt(repeat_msg, sizeof repeat_msg,
               "repeat of job %s (same content); repeat_policy = refuse", fid);
    }
    if (rc == -CLAIMD_EJNL_REPEAT) {
        log_notice(DMN_MOD, "submit refused: %s", repeat_msg);
        dj_reply_err(q, repeat_msg, fid);
        unlink(src);
        return 0;
    }
    if (rc)
        return rc;
    char id[JOURNAL_ID_MAX];
    journal_id(r.seq, r.submitted, id);
    if (refuse && r.repeat_of) {
        /* from the inbox: recorded as a failed job that keeps its input */
        char dir[PATH_MAX], dst[PATH_MAX];
        dj_job_dir(d->failed, &r, "", dir, sizeof dir);
        dj_fmt(dst, sizeof dst, "%s/%s", dir, r.name);
        if (dj_mkdir(dir) == 0 && rename(src, dst) == 0)
            r.intake[0] = 0;
        r.state = JOB_FAILED;
        r.ended = time(NULL);
        dj_fmt(r.reason, sizeof r.reason, "%s", repeat_msg);
        journal_put(d->jnl, &r);
        log_notice(DMN_MOD, "job %s (%s): refused as a repeat of job %s", id, r.name, fid);
        return 0;
    }
    char dir[PATH_MAX], dst[PATH_MAX];
    dj_job_dir(d->jobs, &r, "", dir, sizeof dir);
    dj_fmt(dst, sizeof dst, "%s/%s", dir, r.name);
    rc = dj_mkdir(dir);
    if (rc == 0 && rename(src, dst) != 0)
        rc = -errno;
    if (rc == 0) {
        dj_fsync_dir(dir);
        r.intake[0] = 0;
        rc = journal_put(d->jnl, &r);
    }
    if (rc) /* journaled: recovery finishes the move at the next start */
        log_err(DMN_MOD, "job %s: cannot move its input into place: %s", id, claimd_strerror(rc));
    log_info(DMN_MOD, "job %s queued: %s, %" PRIu64 " bytes, from %s", id, r.name, r.size,
             q->kind == DMN_IO_SUBMIT ? "the control socket" : "the inbox");
    if (q->tok) {
        cbuf b;
        cbuf_init(&b);
        ctl_reply_ok(&b);
        ctl_reply_str(&b, "job", id);
        ctl_reply_str(&b, "state", "queued");
        if (r.repeat_of)
            ctl_reply_str(&b, "repeat_of", fid);
        ctl_reply_end(&b);
        dj_reply(q, &b);
    }
    pthread_mutex_lock(&d->mu);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return 0;
}

/* A unique intake name that keeps the job's name: NS-N-NAME. */
static void dj_intake_name(dmn *d, const char *name, char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    dj_fmt(buf, cap, "%lld%09ld-%" PRIu64 "-%s", (long long)ts.tv_sec, ts.tv_nsec, ++d->io_intake_n,
           name);
}

static void dj_io_inbox(dmn *d, dmn_io *q)
{
    if (atomic_load(&d->low_disk))
        return; /* left in the inbox: picked up again when space returns */
    char src[PATH_MAX], iname[JOURNAL_NAME_MAX], dst[PATH_MAX];
    dj_path(src, sizeof src, d->inbox, q->name);
    struct stat st;
    if (lstat(src, &st) != 0 || !S_ISREG(st.st_mode))
        return; /* gone (taken already), or not a file: left alone */
    dj_intake_name(d, q->name, iname, sizeof iname);
    dj_path(dst, sizeof dst, d->intake, iname);
    if (rename(src, dst) != 0) {
        if (errno != ENOENT)
            log_err(DMN_MOD, "inbox: cannot take %s: %s", q->name, strerror(errno));
        return;
    }
    dj_fsync_dir(d->intake);
    dj_fsync_dir(d->inbox);
    int rc = dj_take_in(d, q, iname, q->name);
    if (rc)
        log_err(DMN_MOD, "inbox: %s: %s (left in %s)", q->name, claimd_strerror(rc), d->intake);
}

static void dj_io_submit(dmn *d, dmn_io *q)
{
    char iname[JOURNAL_NAME_MAX], part[PATH_MAX], dst[PATH_MAX];
    dj_intake_name(d, q->name, iname, sizeof iname);
    dj_fmt(part, sizeof part, "%s/.%s.part", d->intake, iname);
    dj_path(dst, sizeof dst, d->intake, iname);
    int rc = dj_copy(q->fd, part);
    close(q->fd);
    q->fd = -1;
    if (rc == 0 && rename(part, dst) != 0)
        rc = -errno;
    if (rc == 0)
        rc = dj_fsync_dir(d->intake);
    if (rc == 0)
        rc = dj_take_in(d, q, iname, q->name);
    if (rc) {
        unlink(part);
        char msg[200];
        dj_fmt(msg, sizeof msg, "cannot take the file in: %s", claimd_strerror(rc));
        log_err(DMN_MOD, "submit: %s", msg);
        dj_reply_err(q, msg, NULL);
    }
}

/* Re-intake of a file left in intake/ by a crash before it was journaled. */
static void dj_io_reintake(dmn *d, dmn_io *q)
{
    const char *name = q->name;
    for (int dashes = 0; *name && dashes < 2; name++)
        if (*name == '-')
            dashes++;
    if (!dj_name_ok(name))
        name = "input";
    int rc = dj_take_in(d, q, q->name, name);
    if (rc)
        log_err(DMN_MOD, "intake: %s: %s", q->name, claimd_strerror(rc));
}

/* ---- purge -------------------------------------------------------------- */

typedef struct dj_purge {
    dmn *d;
    uint64_t seq;
    bool force;
    int64_t now;
    uint32_t in_days, out_days;
    uint64_t purged;
    job_rec *ended;
    size_t n, cap;
} dj_purge;

static int dj_purge_pick(void *ctx, const job_rec *r)
{
    dj_purge *p = ctx;
    if (r->state < JOB_DONE || (p->seq && r->seq != p->seq))
        return 0;
    if ((r->flags & (JOB_F_INPUT_PURGED | JOB_F_OUTPUT_PURGED)) ==
        (JOB_F_INPUT_PURGED | JOB_F_OUTPUT_PURGED))
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        job_rec *e = realloc(p->ended, cap * sizeof *e);
        if (!e)
            return -ENOMEM;
        p->ended = e;
        p->cap = cap;
    }
    p->ended[p->n++] = *r;
    return 0;
}

/* Removes the inputs and outputs past their retention (all of them with
 * force), or job seq's only. */
static uint64_t dj_purge_run(dmn *d, uint64_t seq, bool force)
{
    dj_purge p = {.d = d, .seq = seq, .force = force, .now = time(NULL)};
    pthread_mutex_lock(&d->mu);
    p.in_days = d->cfg->input_retention_days;
    p.out_days = d->cfg->output_retention_days;
    pthread_mutex_unlock(&d->mu);
    if (!force && p.in_days == 0 && p.out_days == 0)
        return 0;
    if (journal_each(d->jnl, -1, 0, dj_purge_pick, &p) < 0)
        log_warn(DMN_MOD, "purge: cannot list the jobs");
    for (size_t i = 0; i < p.n; i++) {
        job_rec r = p.ended[i];
        int64_t age = p.now - r.ended;
        bool in = !(r.flags & JOB_F_INPUT_PURGED) &&
                  (force || (p.in_days && age >= (int64_t)p.in_days * 86400));
        bool outp = !(r.flags & JOB_F_OUTPUT_PURGED) &&
                    (force || (p.out_days && age >= (int64_t)p.out_days * 86400));
        if (!in && !outp)
            continue;
        char path[PATH_MAX];
        int rc = 0;
        if (in) {
            dj_job_dir(d->jobs, &r, "", path, sizeof path);
            rc = dj_rm_rf(path);
            dj_job_dir(d->failed, &r, "", path, sizeof path);
            rc = rc ? rc : dj_rm_rf(path);
            if (rc == 0)
                r.flags |= JOB_F_INPUT_PURGED;
        }
        if (outp && rc == 0) {
            dj_job_dir(d->out, &r, "", path, sizeof path);
            rc = dj_rm_rf(path);
            if (rc == 0)
                r.flags |= JOB_F_OUTPUT_PURGED;
        }
        char id[JOURNAL_ID_MAX];
        journal_id(r.seq, r.submitted, id);
        if (rc) {
            log_err(DMN_MOD, "purge: job %s: %s", id, claimd_strerror(rc));
            continue;
        }
        journal_put(d->jnl, &r);
        p.purged++;
        log_info(DMN_MOD, "purged job %s (%s%s%s)", id, in ? "input" : "", in && outp ? ", " : "",
                 outp ? "outputs" : "");
    }
    free(p.ended);
    return p.purged;
}

static void dj_io_purge(dmn *d, dmn_io *q)
{
    uint64_t n = dj_purge_run(d, q->seq, q->force);
    if (!q->tok)
        return;
    cbuf b;
    cbuf_init(&b);
    ctl_reply_ok(&b);
    ctl_reply_u64(&b, "purged", n);
    ctl_reply_end(&b);
    dj_reply(q, &b);
}

/* ---- the io thread ------------------------------------------------------ */

void dmn_io_push(dmn *d, dmn_io *r)
{
    pthread_mutex_lock(&d->io_mu);
    r->next = NULL;
    if (d->io_tail)
        d->io_tail->next = r;
    else
        d->io_head = r;
    d->io_tail = r;
    pthread_cond_signal(&d->io_cv);
    pthread_mutex_unlock(&d->io_mu);
}

void *dmn_io_main(void *arg)
{
    dmn *d = arg;
    for (;;) {
        pthread_mutex_lock(&d->io_mu);
        while (!d->io_head && !d->io_quit)
            pthread_cond_wait(&d->io_cv, &d->io_mu);
        dmn_io *q = d->io_head;
        if (!q) {
            pthread_mutex_unlock(&d->io_mu);
            return NULL;
        }
        d->io_head = q->next;
        if (!d->io_head)
            d->io_tail = NULL;
        pthread_mutex_unlock(&d->io_mu);
        switch (q->kind) {
        case DMN_IO_INBOX:
            dj_io_inbox(d, q);
            break;
        case DMN_IO_SUBMIT:
            dj_io_submit(d, q);
            break;
        case DMN_IO_PURGE:
            dj_io_purge(d, q);
            break;
        case DMN_IO_REINTAKE:
            dj_io_reintake(d, q);
            break;
        }
        if (q->fd >= 0)
            close(q->fd);
        q->fd = -1;
        if (!q->tok) {
            free(q->reply);
            free(q);
            continue;
        }
        /* hand the reply to the main thread */
        pthread_mutex_lock(&d->io_mu);
        q->next = d->io_done;
        d->io_done = q;
        pthread_mutex_unlock(&d->io_mu);
        uint64_t one = 1;
        if (write(d->efd, &one, sizeof one) < 0)
            log_warn(DMN_MOD, "cannot wake the main loop: %s", strerror(errno));
    }
}

int dmn_inbox_scan(dmn *d)
{
    DIR *dir = opendir(d->inbox);
    if (!dir)
        return -errno;
    struct dirent *e;
    unsigned n = 0;
    while ((e = readdir(dir)) != NULL) {
        if (!dj_name_ok(e->d_name))
            continue;
        dmn_io *q = calloc(1, sizeof *q);
        if (!q)
            break;
        q->kind = DMN_IO_INBOX;
        q->fd = -1;
        q->uid = d->uid;
        dj_fmt(q->name, sizeof q->name, "%s", e->d_name);
        dmn_io_push(d, q);
        n++;
    }
    closedir(dir);
    stats_set_gauge(d->stats, STATS_INBOX_PENDING, n);
    return 0;
}

/* ---- submit PATH -------------------------------------------------------- */

static int dj_openat2(int dirfd, const char *path, uint64_t resolve)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                           .resolve = resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS)
        return fd < 0 ? -errno : (int)fd;
    /* kernels before 5.6: the last component without following, and the
     * whole path compared with its resolved form (no symlink on the way) */
    char real[PATH_MAX], full[PATH_MAX];
    if (dirfd != AT_FDCWD)
        return -ENOSYS;
    dj_fmt(full, sizeof full, "%s", path);
    if (!realpath(full, real))
        return -errno;
    if (strcmp(real, full) != 0)
        return -ELOOP;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    return f < 0 ? -errno : f;
}

/* True when path is lexically under root ("/a/b" under "/a"). Paths from
 * the protocol are absolute; roots are absolute without a trailing '/'. */
static const char *dj_under(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return path + 1;
    if (strncmp(root, path, n) != 0 || path[n] != '/')
        return NULL;
    return path + n + 1;
}

static bool dj_clean_path(const char *p)
{
    /* no "." or ".." component, no empty one */
    for (const char *s = p; *s;) {
        if (*s == '/') {
            s++;
            if (*s == '/')
                return false;
            continue;
        }
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        s += n;
    }
    return true;
}

int dmn_submit_open(dmn *d, const char *path, uid_t peer_uid, int *out, char *err, size_t errlen)
{
    if (!path || !dj_clean_path(path)) {
        dj_fmt(err, errlen, "submit: the path may not hold '.', '..' or '//' components");
        return -EINVAL;
    }
    pthread_mutex_lock(&d->mu);
    const cfg *c = d->cfg;
    int fd = -ENOENT;
    bool found = false;
    for (uint32_t i = 0; i < c->nroots && !found; i++) {
        const char *rel = dj_under(c->roots[i], path);
        if (!rel || !*rel)
            continue;
        found = true;
        int rfd = open(c->roots[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        fd = rfd < 0 ? -errno : dj_openat2(rfd, rel, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (rfd >= 0)
            close(rfd);
    }
    bool any = c->nroots == 0;
    pthread_mutex_unlock(&d->mu);
    if (!found && !any) {
        dj_fmt(err, errlen, "submit: %s is not under an allowed submit root", path);
        return -EACCES;
    }
    if (any) {
        if (peer_uid != 0 && peer_uid != d->uid) {
            dj_fmt(err, errlen,
                   "submit: no submit_root is configured, so only root and the daemon's user "
                   "may submit (uid %u)",
                   (unsigned)peer_uid);
            return -EACCES;
        }
        fd = dj_openat2(AT_FDCWD, path, RESOLVE_NO_SYMLINKS);
    }
    if (fd < 0) {
        dj_fmt(err, errlen, "submit: cannot open %s: %s%s", path, strerror(-fd),
               fd == -ELOOP || fd == -EXDEV ? " (symbolic links are not followed)" : "");
        return fd;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        dj_fmt(err, errlen, "submit: %s is not a regular file", path);
        return -EINVAL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *out = fd;
    return 0;
}

/* ---- recovery ----------------------------------------------------------- */

typedef struct dj_rec {
    dmn *d;
    char (*intake)[JOURNAL_NAME_MAX]; /* intake names the journal knows */
    size_t n, cap;
    int err;
} dj_rec;

/* A queued job whose input is still in intake/ (a crash between the
 * journal and the move): finish the move. Remove half-built outputs. */
static int dj_recover_one(void *ctx, const job_rec *r)
{
    dj_rec *x = ctx;
    dmn *d = x->d;
    if (r->state != JOB_QUEUED)
        return 0;
    char path[PATH_MAX];
    dj_job_dir(d->tmp, r, ".out", path, sizeof path);
    dj_rm_rf(path);
    dj_job_dir(d->out, r, "", path, sizeof path);
    dj_rm_rf(path);
    if (!r->intake[0])
        return 0;
    char src[PATH_MAX], dir[PATH_MAX], dst[PATH_MAX];
    dj_path(src, sizeof src, d->intake, r->intake);
    dj_job_dir(d->jobs, r, "", dir, sizeof dir);
    dj_fmt(dst, sizeof dst, "%s/%s", dir, r->name);
    job_rec u = *r;
    if ((dj_mkdir(dir) == 0 && rename(src, dst) == 0) || access(dst, F_OK) == 0) {
        u.intake[0] = 0; /* moved now, or before the crash */
        journal_put(d->jnl, &u);
    }
    return 0;
}

static int dj_known_intake(void *ctx, const job_rec *r)
{
    dj_rec *x = ctx;
    if (!r->intake[0])
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        void *p = realloc(x->intake, cap * sizeof *x->intake);
        if (!p)
            return -ENOMEM;
        x->intake = p;
        x->cap = cap;
    }
    memcpy(x->intake[x->n++], r->intake, JOURNAL_NAME_MAX);
    return 0;
}

int dmn_recover(dmn *d)
{
    unsigned n = 0;
    int rc = journal_recover(d->jnl, &n);
    if (rc)
        return rc;
    if (n)
        log_notice(DMN_MOD, "recovery: %u interrupted jobs queued to run again from the start", n);
    dj_rec x = {.d = d};
    rc = journal_each(d->jnl, JOB_QUEUED, 0, dj_recover_one, &x);
    if (rc < 0)
        return rc;
    /* files in intake/ no job knows: taken in again (never journaled) */
    rc = journal_each(d->jnl, -1, 0, dj_known_intake, &x);
    if (rc < 0) {
        free(x.intake);
        return rc;
    }
    DIR *dir = opendir(d->intake);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.') {
                if (strstr(e->d_name, ".part")) { /* a copy cut short */
                    char p[PATH_MAX];
                    dj_path(p, sizeof p, d->intake, e->d_name);
                    unlink(p);
                }
                continue;
            }
            bool known = false;
            for (size_t i = 0; i < x.n && !known; i++)
                known = strcmp(x.intake[i], e->d_name) == 0;
            if (known)
                continue;
            dmn_io *q = calloc(1, sizeof *q);
            if (!q)
                break;
            q->kind = DMN_IO_REINTAKE;
            q->fd = -1;
            q->uid = d->uid;
            dj_fmt(q->name, sizeof q->name, "%s", e->d_name);
            log_notice(DMN_MOD, "recovery: taking in %s again", e->d_name);
            dmn_io_push(d, q);
        }
        closedir(dir);
    }
    free(x.intake);
    /* leftovers of runs cut short */
    DIR *t = opendir(d->tmp);
    if (t) {
        struct dirent *e;
        while ((e = readdir(t)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[PATH_MAX];
            dj_path(p, sizeof p, d->tmp, e->d_name);
            dj_rm_rf(p);
        }
        closedir(t);
    }
    return 0;
}

/* ---- the duplicate history ---------------------------------------------- */

int dmn_history_load(dmn *d)
{
    pthread_mutex_lock(&d->mu);
    uint32_t days = d->cfg->duplicate_history_days;
    pthread_mutex_unlock(&d->mu);
    if (days == 0)
        return 0;
    int rc = fp_set_create(1 << 16, &d->history);
    if (rc)
        return rc;
    uint32_t today = journal_day(time(NULL));
    uint32_t min = today > days ? today - days : 0;
    uint64_t n = 0;
    rc = journal_history_expire(d->jnl, min, NULL, &n);
    if (rc == 0)
        rc = journal_history_load(d->jnl, min, d->history, &n);
    d->history_day = today;
    if (rc == 0)
        log_info(DMN_MOD, "duplicate history: %" PRIu64 " fingerprints of the last %u days", n,
                 days);
    return rc;
}

/* Once a day, between jobs: fingerprints older than the window go. */
static void dj_history_cut(dmn *d, uint32_t days)
{
    uint32_t today = journal_day(time(NULL));
    if (!d->history || today == d->history_day)
        return;
    uint64_t n = 0;
    uint32_t min = today > days ? today - days : 0;
    if (journal_history_expire(d->jnl, min, d->history, &n) == 0 && n)
        log_info(DMN_MOD, "duplicate history: %" PRIu64 " fingerprints past %u days removed", n,
                 days);
    d->history_day = today;
}

/* The job's fingerprints that the history does not hold yet: what its
 * history blob records (a fingerprint is kept once, on its first day). */
typedef struct dj_fps {
    const fp_set *history;
    fp128 *v;
    size_t n, cap;
} dj_fps;

static int dj_fps_add(void *ctx, const fp128 *f)
{
    dj_fps *a = ctx;
    if (fp_set_has(a->history, f))
        return 0;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4096;
        fp128 *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = *f;
    return 0;
}

/* ---- the runner --------------------------------------------------------- */

typedef struct dj_job {
    job_rec r;
    char id[JOURNAL_ID_MAX];
    tbl_version *v;
    edit_settings es;
    unsigned threads;
    bool history;
} dj_job;

/* Runs one job. Returns 0 (done), or its error: -CLAIMD_EJOB_CANCELLED,
 * -CLAIMD_EJOB_STOPPED, or why it failed. */
static int dj_run(dmn *d, dj_job *j, uint64_t *claims)
{
    char input[PATH_MAX], tmp[PATH_MAX], out[PATH_MAX];
    dj_job_dir(d->jobs, &j->r, "", input, sizeof input);
    size_t l = strlen(input);
    dj_fmt(input + l, sizeof input - l, "/%s", j->r.name);
    dj_job_dir(d->tmp, &j->r, ".out", tmp, sizeof tmp);
    dj_job_dir(d->out, &j->r, "", out, sizeof out);
    dj_rm_rf(tmp);
    dj_rm_rf(out);
    int rc = dj_mkdir(tmp);
    if (rc)
        return rc;
    scrub_run r = {.outdir = tmp,
                   .es = j->es,
                   .history = j->history ? d->history : NULL,
                   .cancel = &d->cancel,
                   .stats = d->stats};
    struct stat st;
    size_t expect = (1 << 16) + (stat(input, &st) == 0 ? (size_t)st.st_size / 256 : 0);
    scrub_pipe *p = NULL;
    tbl_version_acquire(j->v); /* the run's own reference */
    rc = scrub_run_init(&r, j->v, expect);
    if (rc == 0 && j->threads > 1)
        rc = scrub_pipe_create(&p, &r, j->threads);
    if (rc == 0)
        rc = scrub_run_file(&r, p, input);
    scrub_pipe_free(p);
    *claims = r.claims;
    j->r.claims = r.claims;
    j->r.accepted = r.accepted;
    j->r.rejected = r.rejected;
    dj_fps fps = {.history = d->history};
    if (rc == 0 && j->history && r.fps)
        rc = fp_set_each(r.fps, dj_fps_add, &fps);
    scrub_run_release(&r);
    if (rc == 0 && atomic_load(&d->cancel))
        rc = atomic_load(&d->cancel); /* cancelled after the last buffer */
    if (rc == 0 && (rc = dj_fsync_dir(tmp)) == 0 && rename(tmp, out) != 0)
        rc = -errno;
    if (rc == 0)
        rc = dj_fsync_dir(d->out);
    if (rc == 0) {
        j->r.state = JOB_DONE;
        j->r.ended = time(NULL);
        rc = journal_finish(d->jnl, &j->r, journal_day(j->r.ended), fps.v, fps.n);
        if (rc)
            dj_rm_rf(out); /* not done after all: it runs again */
    }
    if (rc == 0)
        for (size_t i = 0; i < fps.n; i++)
            if (fp_set_add(d->history, &fps.v[i]) < 0) {
                log_warn(DMN_MOD, "duplicate history: out of memory; reloading at next start");
                break;
            }
    free(fps.v);
    if (rc)
        dj_rm_rf(tmp);
    return rc;
}

/* Ends a job that did not complete. */
static void dj_end(dmn *d, dj_job *j, int rc)
{
    job_rec *r = &j->r;
    if (rc == -CLAIMD_EJOB_STOPPED) {
        r->state = JOB_QUEUED; /* runs again from the start at the next start */
        r->started = 0;
        journal_put(d->jnl, r);
        log_notice(DMN_MOD, "job %s stopped by shutdown: it runs again at the next start", j->id);
        return;
    }
    if (rc == -ENOSPC || rc == -EDQUOT) {
        /* not the job's fault: it waits, queued, and runs again from the
         * start once the disk has room (no partial output is left) */
        r->state = JOB_QUEUED;
        r->started = 0;
        dj_fmt(r->reason, sizeof r->reason, "waiting for disk space: %s", claimd_strerror(rc));
        journal_put(d->jnl, r);
        pthread_mutex_lock(&d->mu);
        d->retry_after = time(NULL) + DMN_DISK_RETRY_S;
        d->retry_free_mb = dmn_free_mb(d); /* its half-written outputs are gone already */
        pthread_mutex_unlock(&d->mu);
        log_err(DMN_MOD, "job %s: %s; queued again, retried when the spool has more room", j->id,
                claimd_strerror(rc));
        return;
    }
    r->ended = time(NULL);
    if (rc == -CLAIMD_EJOB_CANCELLED) {
        r->state = JOB_CANCELLED;
        if (!r->reason[0])
            dj_fmt(r->reason, sizeof r->reason, "cancelled while running");
        journal_put(d->jnl, r);
        log_notice(DMN_MOD, "job %s cancelled", j->id);
        return;
    }
    r->state = JOB_FAILED;
    dj_fmt(r->reason, sizeof r->reason, "%s", claimd_strerror(rc));
    /* the input and the reason go to failed/ID/ */
    char from[PATH_MAX], to[PATH_MAX];
    dj_job_dir(d->jobs, r, "", from, sizeof from);
    dj_job_dir(d->failed, r, "", to, sizeof to);
    if (rename(from, to) == 0) {
        char rp[PATH_MAX];
        dj_fmt(rp, sizeof rp, "%s/reason.txt", to);
        int fd = open(rp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd >= 0) {
            char line[JOURNAL_REASON_MAX + 64];
            dj_fmt(line, sizeof line, "job %s failed: %s\n", j->id, r->reason);
            if (write(fd, line, strlen(line)) < 0 || fsync(fd) != 0)
                log_warn(DMN_MOD, "job %s: cannot write reason.txt", j->id);
            close(fd);
        }
        dj_fsync_dir(d->failed);
    }
    journal_put(d->jnl, r);
    log_err(DMN_MOD, "job %s failed: %s (input kept in %s)", j->id, r->reason, to);
}

/* Waits for a job the runner may start; takes it (queued -> running) under
 * d->mu. Returns false when the runner should end. */
static bool dj_next(dmn *d, dj_job *j)
{
    pthread_mutex_lock(&d->mu);
    for (;;) {
        if (d->stopping)
            break;
        bool wait_disk = d->retry_after && (time(NULL) < d->retry_after ||
                                            atomic_load(&d->free_mb) <= d->retry_free_mb);
        if (!wait_disk)
            d->retry_after = 0;
        if (!d->paused && !wait_disk && journal_next_queued(d->jnl, &j->r) == 0) {
            j->r.state = JOB_RUNNING;
            j->r.started = time(NULL);
            j->r.ended = 0;
            j->r.attempts++;
            j->r.reason[0] = 0;
            j->v = d->tables;
            tbl_version_acquire(j->v);
            const tbl_info *ti = tbl_version_info(j->v);
            dj_fmt(j->r.tables, sizeof j->r.tables, "%s", ti ? ti->name : "");
            j->es = d->cfg->edits;
            j->threads = d->threads;
            j->history = d->cfg->duplicate_history_days > 0 && d->history;
            if (journal_put(d->jnl, &j->r) != 0) {
                tbl_version_release(j->v);
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                pthread_cond_timedwait(&d->cv, &d->mu, &ts);
                continue;
            }
            d->running_seq = j->r.seq;
            dj_fmt(d->running_tables, sizeof d->running_tables, "%s", j->r.tables);
            atomic_store(&d->cancel, 0);
            dj_history_cut(d, d->cfg->duplicate_history_days);
            pthread_mutex_unlock(&d->mu);
            journal_id(j->r.seq, j->r.submitted, j->id);
            return true;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait_disk ? 1 : 5; /* also a safety net for a missed wake-up */
        pthread_cond_timedwait(&d->cv, &d->mu, &ts);
    }
    pthread_mutex_unlock(&d->mu);
    return false;
}

void *dmn_runner_main(void *arg)
{
    dmn *d = arg;
    dj_job j;
    while (memset(&j, 0, sizeof j), dj_next(d, &j)) {
        log_notice(DMN_MOD, "job %s started: %s on tables %s, %u threads (attempt %u)", j.id,
                   j.r.name, j.r.tables, j.threads, j.r.attempts);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        uint64_t claims = 0;
        int rc = dj_run(d, &j, &claims);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (rc == 0)
            log_notice(DMN_MOD,
                       "job %s done: %" PRIu64 " claims, %" PRIu64 " accepted, %" PRIu64
                       " rejected, %.3f seconds, %.0f claims/s",
                       j.id, j.r.claims, j.r.accepted, j.r.rejected, secs,
                       secs > 0 ? (double)claims / secs : 0.0);
        else
            dj_end(d, &j, rc);
        stats_add(d->st_runner, STATS_FILES, 1);
        stats_add(d->st_runner, STATS_BUSY_NS, (uint64_t)(secs * 1e9));
        tbl_version_release(j.v);
        pthread_mutex_lock(&d->mu);
        d->running_seq = 0;
        d->running_tables[0] = 0;
        pthread_mutex_unlock(&d->mu);
        uint64_t one = 1;
        if (write(d->efd, &one, sizeof one) < 0)
            log_warn(DMN_MOD, "cannot wake the main loop: %s", strerror(errno));
    }
    pthread_mutex_lock(&d->mu);
    d->runner_done = true;
    pthread_mutex_unlock(&d->mu);
    uint64_t one = 1;
    if (write(d->efd, &one, sizeof one) < 0)
        log_warn(DMN_MOD, "cannot wake the main loop: %s", strerror(errno));
    return NULL;
}

unsigned dmn_threads_of(const cfg *c)
{
    return c->threads ? c->threads : scrub_pipe_default_threads();
}
