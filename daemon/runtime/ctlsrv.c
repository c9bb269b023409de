/* ctlsrv_: the control socket server (ctlsrv.h).
 *
 * Level-triggered epoll over the listening socket, a timerfd and one
 * socket per connection. A connection's interest follows its state, so a
 * ready fd always has work: EPOLLIN while it may read a request, EPOLLOUT
 * while a reply is pending, nothing while its request is deferred (a peer
 * that hangs up still reports EPOLLHUP) or after its end of file.
 *
 * Connections that the idle rule covers (a request half read, or a reply
 * unwritten) sit on one list in order of their last activity; since every
 * connection has the same idle_ms, the head is always the next to expire,
 * and the timerfd is armed for it.
 *
 * Deferred requests: tok = (sequence << 32) | slot, so ctlsrv_answer finds
 * the connection in O(1) and a reused slot never matches an old tok. When a
 * connection closes with a changing request deferred, its peer and verb
 * move to an orphan list until the handler answers (the audit callback
 * still needs them); the handler must answer every tok it kept.
 */
#define _GNU_SOURCE /* accept4, struct ucred, memmem */

#include "ctlsrv.h"

#include "claimd/log.h"
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CTLSRV_MOD          "ctlsrv"
#define CTLSRV_EVENTS       64
#define CTLSRV_ACCEPT_BURST 256 /* accepts per listener event; the rest wait a turn */
#define CTLSRV_KEEP_OUT     ((size_t)64 * 1024) /* output memory a connection keeps between replies */
#define CTLSRV_PAUSE_MS     100                 /* accepting pauses this long when fds run out */
#define CTLSRV_GROUPS_MAX   65536               /* NGROUPS_MAX */
#define CTLSRV_AUDIT_MSG    256

/* Who is at the other end: read once at accept. */
typedef struct ctlsrv_cred {
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* owned; NULL when ngroups is 0 */
    size_t ngroups;
} ctlsrv_cred;

typedef struct ctlsrv_conn {
    int fd;
    uint32_t slot;
    uint32_t events;  /* the interest registered with epoll */
    bool eof;         /* the peer shut its writing side */
    bool close_after; /* close once the output is written */
    bool deferred;
    bool timed; /* on the idle list */
    ctl_verb dverb;
    uint64_t dtok;
    uint64_t last_ms; /* last activity, while timed */
    struct ctlsrv_conn *prev, *next;
    ctlsrv_cred cred;
    size_t inlen;  /* bytes in in[] */
    size_t outoff; /* bytes of out already written */
    cbuf out;
    char in[CTL_LINE_MAX];
} ctlsrv_conn;

/* A deferred changing request whose connection closed first. */
typedef struct ctlsrv_orphan {
    struct ctlsrv_orphan *next;
    uint64_t tok;
    ctl_verb verb;
    ctlsrv_cred cred;
} ctlsrv_orphan;

struct ctlsrv {
    int ep, lfd, tfd;
    int reserve; /* an fd given up to accept (and drop) a connection at EMFILE */
    bool activated;
    bool bound; /* we bound path: unlink it at close if it is still ours */
    char *path;
    dev_t dev;
    ino_t ino;
    ctl_policy policy;
    unsigned max_clients, idle_ms;
    size_t max_reply;
    ctlsrv_fn handler;
    ctlsrv_audit_fn audit;
    void *ctx;
    ctlsrv_conn **slots; /* max_clients entries */
    uint32_t *free_slots;
    unsigned nfree, nconns;
    ctlsrv_conn *idle_head, *idle_tail;
    ctlsrv_orphan *orphans;
    ctlsrv_conn *zombies; /* closed during ctlsrv_run, freed at its end */
    bool in_run;
    uint64_t nreq;
    uint32_t seq;
    uint64_t timer_at;  /* when the timerfd fires; 0 = not armed */
    uint64_t resume_ms; /* accepting paused until then; 0 = accepting */
    uint64_t warned_ms; /* the last accept warning, to keep them rare */
    ctl_req req;        /* the request being handled (too big for the stack) */
};

/* epoll data of the two fds that are not connections. */
static char ctlsrv_tag_listen, ctlsrv_tag_timer;

static uint64_t ctlsrv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static ctl_peer ctlsrv_peer_of(const ctlsrv_cred *c)
{
    ctl_peer p = {.uid = c->uid, .gid = c->gid, .groups = c->groups, .ngroups = c->ngroups};
    return p;
}

/* ---- peer credentials ---------------------------------------------------- */

/* The number after key ("Uid:\t1000\t1000...") field fields on, or -1. */
static long long ctlsrv_status_num(const char *st, const char *key, int field)
{
    const char *p = strstr(st, key);
    if (!p)
        return -1;
    p += strlen(key);
    long long v = -1;
    for (int i = 0; i <= field; i++) {
        char *end;
        v = strtoll(p, &end, 10);
        if (end == p)
            return -1;
        p = end;
    }
    return v;
}

/* Reads /proc/PID/status whole (it is generated at once). NULL on failure. */
static char *ctlsrv_read_status(pid_t pid)
{
    char name[64];
    snprintf(name, sizeof name, "/proc/%ld/status", (long)pid);
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        len += (size_t)n;
        if (len + 1 == cap) {
            char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    close(fd);
    if (buf)
        buf[len] = 0;
    return buf;
}

/* The supplementary groups from /proc/PID/status (kernels without
 * SO_PEERGROUPS). The pid may have exited or been reused since connect: the
 * groups are taken only when the effective uid and gid still match the
 * socket's credentials, else none (fewer rights, never more). */
static void ctlsrv_proc_groups(ctlsrv_cred *c, pid_t pid)
{
    char *st = ctlsrv_read_status(pid);
    if (!st)
        return;
    const char *g = strstr(st, "\nGroups:");
    if (ctlsrv_status_num(st, "\nUid:", 1) != (long long)c->uid ||
        ctlsrv_status_num(st, "\nGid:", 1) != (long long)c->gid || !g) {
        free(st);
        return;
    }
    g += strlen("\nGroups:");
    size_t n = 0, cap = 0;
    for (;;) {
        char *end;
        while (*g == ' ' || *g == '\t')
            g++;
        if (*g < '0' || *g > '9')
            break;
        unsigned long v = strtoul(g, &end, 10);
        if (end == g || n >= CTLSRV_GROUPS_MAX)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            gid_t *ng = realloc(c->groups, cap * sizeof *ng);
            if (!ng)
                break;
            c->groups = ng;
        }
        c->groups[n++] = (gid_t)v;
        g = end;
    }
    c->ngroups = n;
    free(st);
}

/* The supplementary groups as the kernel recorded them at connect
 * (SO_PEERGROUPS, Linux 4.13): no race with the peer's pid. Returns 0, or
 * -ENOPROTOOPT when the kernel does not know the option. */
static int ctlsrv_peer_groups(ctlsrv_cred *c, int fd)
{
#ifdef SO_PEERGROUPS
    socklen_t len = 32 * sizeof(gid_t);
    for (;;) {
        gid_t *g = realloc(c->groups, len ? len : sizeof(gid_t));
        if (!g)
            return -ENOMEM;
        c->groups = g;
        socklen_t got = len;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &got) == 0) {
            c->ngroups = got / sizeof(gid_t);
            return 0;
        }
        if (errno != ERANGE || got <= len || got > CTLSRV_GROUPS_MAX * sizeof(gid_t))
            return errno == ERANGE ? -E2BIG : -errno;
        len = got;
    }
#else
    (void)c;
    (void)fd;
    return -ENOPROTOOPT;
#endif
}

static int ctlsrv_cred_read(ctlsrv_cred *c, int fd)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
        return -errno;
    c->uid = uc.uid;
    c->gid = uc.gid;
    int rc = ctlsrv_peer_groups(c, fd);
    if (rc < 0 && rc != -ENOMEM) { /* an older kernel */
        c->ngroups = 0;
        ctlsrv_proc_groups(c, uc.pid);
        rc = 0;
    }
    if (c->ngroups == 0) {
        free(c->groups);
        c->groups = NULL;
    }
    return rc;
}

/* ---- replies and the audit callback -------------------------------------- */

/* Makes out one reply line no longer than max_reply: a failed render, an
 * empty or oversized reply becomes an error reply. Returns 0, or -ENOMEM
 * when not even that could be written. */
static int ctlsrv_reply_fix(const ctlsrv *s, cbuf *out)
{
    const char *why = NULL;
    if (cbuf_error(out))
        why = "out of memory while rendering the reply";
    else if (out->len == 0)
        why = "no reply";
    else if (out->len + (out->p[out->len - 1] != '\n') > s->max_reply)
        why = "reply too large";
    if (why) {
        cbuf_release(out);
        ctl_reply_error(out, why);
    } else if (out->p[out->len - 1] != '\n') {
        cbuf_putc(out, '\n');
    }
    return cbuf_error(out);
}

/* The "error" member of a reply line, unescaped into msg (cut to fit). */
static const char *ctlsrv_reply_msg(const char *p, size_t n, char *msg, size_t size)
{
    static const char key[] = "\"error\":\"";
    const char *v = memmem(p, n, key, sizeof key - 1);
    if (!v)
        return "error";
    const char *end = p + n;
    size_t o = 0;
    for (v += sizeof key - 1; v < end && *v != '"' && o + 1 < size; v++) {
        char ch = *v;
        if (ch == '\\' && v + 1 < end) {
            ch = *++v;
            if (ch == 'u') { /* \uXXXX: not worth decoding for a log line */
                v += end - v > 4 ? 4 : end - v - 1;
                ch = '?';
            } else if (ch == 'n' || ch == 't' || ch == 'r' || ch == 'b' || ch == 'f') {
                ch = ' ';
            }
        }
        msg[o++] = ch;
    }
    msg[o] = 0;
    return msg;
}

/* Reports the outcome of a changing verb: ok and msg are those of the
 * reply the client gets. */
static void ctlsrv_audit_reply(const ctlsrv *s, const ctlsrv_cred *c, ctl_verb v, const char *p,
                               size_t n)
{
    const ctl_verb_def *d = ctl_verb_def_of(v);
    if (!s->audit || !d || !d->changes)
        return;
    static const char yes[] = "{\"ok\":true";
    bool ok = n >= sizeof yes - 1 && memcmp(p, yes, sizeof yes - 1) == 0;
    char msg[CTLSRV_AUDIT_MSG];
    ctl_peer peer = ctlsrv_peer_of(c);
    s->audit(s->ctx, &peer, v, ok, ok ? NULL : ctlsrv_reply_msg(p, n, msg, sizeof msg));
}

static void ctlsrv_audit_msg(const ctlsrv *s, const ctlsrv_cred *c, ctl_verb v, const char *msg)
{
    const ctl_verb_def *d = ctl_verb_def_of(v);
    if (!s->audit || !d || !d->changes)
        return;
    ctl_peer peer = ctlsrv_peer_of(c);
    s->audit(s->ctx, &peer, v, false, msg);
}

/* ---- connections ---------------------------------------------------------- */

static void ctlsrv_idle_unlink(ctlsrv *s, ctlsrv_conn *c)
{
    if (!c->timed)
        return;
    *(c->prev ? &c->prev->next : &s->idle_head) = c->next;
    *(c->next ? &c->next->prev : &s->idle_tail) = c->prev;
    c->prev = c->next = NULL;
    c->timed = false;
}

static void ctlsrv_idle_append(ctlsrv *s, ctlsrv_conn *c, uint64_t now)
{
    c->last_ms = now;
    c->prev = s->idle_tail;
    c->next = NULL;
    *(s->idle_tail ? &s->idle_tail->next : &s->idle_head) = c;
    s->idle_tail = c;
    c->timed = true;
}

static void ctlsrv_listen_want(ctlsrv *s, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = &ctlsrv_tag_listen};
    if (s->lfd >= 0)
        epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev);
}

static void ctlsrv_resume_accept(ctlsrv *s)
{
    if (!s->resume_ms)
        return;
    s->resume_ms = 0;
    ctlsrv_listen_want(s, EPOLLIN);
}

/* Keeps the peer and verb of a deferred changing request for the audit. */
static void ctlsrv_orphan_add(ctlsrv *s, ctlsrv_conn *c)
{
    const ctl_verb_def *d = ctl_verb_def_of(c->dverb);
    if (!s->audit || !d || !d->changes)
        return;
    ctlsrv_orphan *o = malloc(sizeof *o);
    if (!o) {
        ctlsrv_audit_msg(s, &c->cred, c->dverb, "outcome unknown: out of memory");
        return;
    }
    o->tok = c->dtok;
    o->verb = c->dverb;
    o->cred = c->cred;
    c->cred.groups = NULL;
    c->cred.ngroups = 0;
    o->next = s->orphans;
    s->orphans = o;
}

static void ctlsrv_conn_close(ctlsrv *s, ctlsrv_conn *c)
{
    ctlsrv_idle_unlink(s, c);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->deferred)
        ctlsrv_orphan_add(s, c);
    free(c->cred.groups);
    cbuf_release(&c->out);
    s->slots[c->slot] = NULL;
    s->free_slots[s->nfree++] = c->slot;
    s->nconns--;
    ctlsrv_resume_accept(s); /* an fd came free */
    if (s->in_run) {         /* a later event of this batch may still point at c */
        c->fd = -1;
        c->next = s->zombies;
        s->zombies = c;
    } else {
        free(c);
    }
}

/* Registers the interest c's state calls for and keeps the idle list:
 * progressed says the peer was active just now. Returns false when c was
 * closed (epoll refused the change). */
static bool ctlsrv_conn_update(ctlsrv *s, ctlsrv_conn *c, bool progressed)
{
    bool out = c->outoff < c->out.len;
    uint32_t want = out ? EPOLLOUT : (c->deferred || c->eof) ? 0 : EPOLLIN;
    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
            ctlsrv_conn_close(s, c);
            return false;
        }
        c->events = want;
    }
    bool timed = out || (!c->deferred && c->inlen > 0);
    if (!timed) {
        ctlsrv_idle_unlink(s, c);
    } else if (!c->timed || progressed) {
        ctlsrv_idle_unlink(s, c);
        ctlsrv_idle_append(s, c, ctlsrv_now_ms());
    }
    return true;
}

/* Writes what the socket takes. Returns 1 when all is written, 0 when the
 * socket is full, -errno when the peer is gone. */
static int ctlsrv_conn_flush(ctlsrv_conn *c, bool *progressed)
{
    while (c->outoff < c->out.len) {
        ssize_t n =
            send(c->fd, c->out.p + c->outoff, c->out.len - c->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        c->outoff += (size_t)n;
        *progressed = true;
    }
    if (c->out.cap > CTLSRV_KEEP_OUT)
        cbuf_release(&c->out);
    else
        cbuf_clear(&c->out);
    c->outoff = 0;
    return 1;
}

static void ctlsrv_consume(ctlsrv_conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->inlen - n);
    c->inlen -= n;
}

/* Answers an overlong line: the rest of it is never read. */
static void ctlsrv_too_long(ctlsrv *s, ctlsrv_conn *c)
{
    char err[CTL_ERRMSG_MAX];
    ctl_parse(c->in, c->inlen, &s->req, err, sizeof err); /* the standard message */
    c->inlen = 0;
    c->close_after = true;
    ctl_reply_error(&c->out, err);
    s->nreq++;
}

/* Parses, authorizes and runs the request in in[0..n). Leaves a reply in
 * out or the connection deferred. Returns 0, or -ENOMEM when no reply
 * could be rendered (close the connection). */
static int ctlsrv_request(ctlsrv *s, ctlsrv_conn *c, size_t n)
{
    char err[CTL_ERRMSG_MAX];
    ctl_req *req = &s->req;
    int rc = ctl_parse(c->in, n, req, err, sizeof err);
    ctlsrv_consume(c, n); /* req holds its own copy */
    ctl_peer peer = ctlsrv_peer_of(&c->cred);
    if (rc == 0) {
        rc = ctl_authorize(&s->policy, &peer, req->verb, err, sizeof err);
        if (rc < 0)
            ctlsrv_audit_msg(s, &c->cred, req->verb, err);
    }
    if (rc < 0) {
        ctl_reply_error(&c->out, err);
        s->nreq++;
        return cbuf_error(&c->out);
    }
    uint64_t tok = ((uint64_t)++s->seq << 32) | c->slot;
    int how = s->handler(s->ctx, req, &peer, tok, &c->out);
    if (how == CTLSRV_DEFER) {
        cbuf_clear(&c->out); /* a deferring handler writes nothing */
        c->deferred = true;
        c->dtok = tok;
        c->dverb = req->verb;
        return 0;
    }
    if (how != CTLSRV_DONE && how != CTLSRV_CLOSE) {
        cbuf_release(&c->out);
        ctl_reply_error(&c->out, "internal error");
    }
    c->close_after |= how == CTLSRV_CLOSE;
    rc = ctlsrv_reply_fix(s, &c->out);
    s->nreq++;
    if (rc == 0)
        ctlsrv_audit_reply(s, &c->cred, req->verb, c->out.p, c->out.len);
    else
        ctlsrv_audit_msg(s, &c->cred, req->verb, "outcome unknown: out of memory");
    return rc;
}

/* Runs c as far as it goes without blocking: writes the pending reply,
 * then answers the lines already read, one at a time. Returns false when c
 * was closed. */
static bool ctlsrv_conn_pump(ctlsrv *s, ctlsrv_conn *c, bool progressed)
{
    for (;;) {
        if (c->outoff < c->out.len) {
            int rc = ctlsrv_conn_flush(c, &progressed);
            if (rc < 0 || (rc == 1 && c->close_after))
                goto close;
            if (rc == 0)
                break;
        }
        if (c->deferred || c->close_after)
            break;
        int n = ctl_line_len(c->in, c->inlen);
        if (n == 0 && c->eof)
            goto close; /* nothing, or half a line that will never end */
        if (n == 0)
            break;
        if (n < 0)
            ctlsrv_too_long(s, c);
        else if (ctlsrv_request(s, c, (size_t)n) < 0)
            goto close;
    }
    return ctlsrv_conn_update(s, c, progressed);
close:
    ctlsrv_conn_close(s, c);
    return false;
}

/* One read: a level-triggered fd says so again when more is waiting.
 * EPOLLIN is only wanted after the pump stopped at a missing '\n', so in[]
 * has room (a full in[] without one is an overlong line). */
static void ctlsrv_conn_read(ctlsrv *s, ctlsrv_conn *c)
{
    ssize_t n;
    do
        n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        ctlsrv_conn_close(s, c);
        return;
    }
    if (n == 0)
        c->eof = true;
    if (n > 0)
        c->inlen += (size_t)n;
    ctlsrv_conn_pump(s, c, n > 0);
}

static void ctlsrv_conn_event(ctlsrv *s, ctlsrv_conn *c, uint32_t ev)
{
    if ((ev & EPOLLERR) || ((ev & EPOLLHUP) && !(ev & EPOLLIN))) {
        ctlsrv_conn_close(s, c); /* hung up: a pending reply has no reader */
        return;
    }
    if ((ev & EPOLLIN) && (c->events & EPOLLIN))
        ctlsrv_conn_read(s, c);
    else if (ev & (EPOLLOUT | EPOLLIN))
        ctlsrv_conn_pump(s, c, false);
}

/* ---- accepting ------------------------------------------------------------ */

/* Sends one line to a connection about to be closed, if the socket takes
 * it at once. */
static void ctlsrv_refuse(int fd, const char *msg)
{
    cbuf b;
    cbuf_init(&b);
    ctl_reply_error(&b, msg);
    if (!cbuf_error(&b))
        (void)!send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    cbuf_release(&b);
    close(fd);
}

static void ctlsrv_warn(ctlsrv *s, const char *what, int err)
{
    uint64_t now = ctlsrv_now_ms();
    if (s->warned_ms && now - s->warned_ms < 10000)
        return;
    s->warned_ms = now;
    log_warn(CTLSRV_MOD, "control socket: %s: %s", what, strerror(err));
}

/* Out of fds (accept4 says so even when no connection waits): gives up the
 * reserve fd to accept the waiting connection, if any, and drop it, so the
 * listener does not stay readable and spin the loop; when even that fails,
 * stops accepting for CTLSRV_PAUSE_MS (or until a connection closes).
 * Returns true when the accept loop may go on. */
static bool ctlsrv_shed(ctlsrv *s, int err)
{
    if (s->reserve >= 0) {
        close(s->reserve);
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int aerr = errno;
        if (fd >= 0) {
            ctlsrv_warn(s, "refusing connections", err);
            ctlsrv_refuse(fd, "server out of file descriptors");
        }
        s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->reserve >= 0 && (fd >= 0 || aerr == EAGAIN || aerr == EWOULDBLOCK))
            return fd >= 0; /* EAGAIN: nobody was waiting */
    }
    ctlsrv_warn(s, "refusing connections", err);
    s->resume_ms = ctlsrv_now_ms() + CTLSRV_PAUSE_MS;
    ctlsrv_listen_want(s, 0);
    return false;
}

static void ctlsrv_conn_add(ctlsrv *s, int fd)
{
    if (s->nconns >= s->max_clients || s->nfree == 0) {
        ctlsrv_refuse(fd, "too many connections");
        return;
    }
    ctlsrv_conn *c = calloc(1, sizeof *c);
    if (!c) {
        ctlsrv_refuse(fd, "out of memory");
        return;
    }
    c->fd = fd;
    cbuf_init(&c->out);
    if (ctlsrv_cred_read(&c->cred, fd) < 0) {
        free(c->cred.groups);
        free(c);
        close(fd);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        free(c->cred.groups);
        free(c);
        ctlsrv_refuse(fd, "out of memory");
        return;
    }
    c->events = EPOLLIN;
    c->slot = s->free_slots[--s->nfree];
    s->slots[c->slot] = c;
    s->nconns++;
}

static void ctlsrv_accept(ctlsrv *s)
{
    for (int i = 0; i < CTLSRV_ACCEPT_BURST && s->lfd >= 0; i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            ctlsrv_conn_add(s, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EMFILE || errno == ENFILE) {
            if (ctlsrv_shed(s, errno))
                continue;
            return;
        }
        /* ENOBUFS, ENOMEM, EPERM (a security module): wait a little. */
        ctlsrv_warn(s, "accept", errno);
        s->resume_ms = ctlsrv_now_ms() + CTLSRV_PAUSE_MS;
        ctlsrv_listen_want(s, 0);
        return;
    }
}

/* ---- the socket ----------------------------------------------------------- */

/* Unlinks path when it is a socket nobody answers on. Returns 0 (nothing
 * there any more), -EADDRINUSE (something answers), -EEXIST (not a
 * socket), or -errno. */
static int ctlsrv_clear_stale(const struct sockaddr_un *sa)
{
    struct stat st;
    if (lstat(sa->sun_path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    int err = rc == 0 ? 0 : errno;
    close(fd);
    if (err == 0 || err == EAGAIN || err == EINPROGRESS)
        return -EADDRINUSE; /* accepted, or a full backlog: alive */
    if (err == ENOENT)
        return 0;
    if (err != ECONNREFUSED)
        return -err;
    if (unlink(sa->sun_path) != 0 && errno != ENOENT)
        return -errno;
    return 0;
}

/* Binds path with mode 0660 and group gid, and listens. */
static int ctlsrv_bind(ctlsrv *s, gid_t gid)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    int rc = ctlsrv_clear_stale(&sa);
    if (rc < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    mode_t old = umask(0117); /* process-wide: open the server before starting threads */
    rc = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : -errno;
    umask(old);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    struct stat st;
    if (chmod(s->path, 0660) != 0 || (gid != (gid_t)-1 && chown(s->path, (uid_t)-1, gid) != 0) ||
        listen(fd, SOMAXCONN) != 0 || stat(s->path, &st) != 0) {
        rc = -errno;
        unlink(s->path);
        close(fd);
        return rc;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->bound = true;
    s->lfd = fd;
    return 0;
}

/* Takes the socket-activated fd 3: a listening Unix stream socket. */
static int ctlsrv_inherit(ctlsrv *s)
{
    int fd = SDN_LISTEN_FDS_START, v = 0, type = 0;
    socklen_t len = sizeof v, tlen = sizeof type;
    struct sockaddr_storage ss = {0};
    socklen_t slen = sizeof ss;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &slen) != 0)
        return -errno;
    if (!v || type != SOCK_STREAM || ss.ss_family != AF_UNIX)
        return -EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return -errno;
    s->lfd = fd;
    s->activated = true;
    return 0;
}

static int ctlsrv_check_opts(const ctlsrv_opts *o, ctlsrv **out)
{
    if (!o || !out || !o->handler)
        return -EINVAL;
    if (o->path && strlen(o->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return -ENAMETOOLONG;
    if (o->path && !o->path[0])
        return -EINVAL;
    return 0;
}

static ctlsrv *ctlsrv_alloc(const ctlsrv_opts *o)
{
    ctlsrv *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ep = s->lfd = s->tfd = s->reserve = -1;
    s->policy = o->policy;
    s->max_clients = o->max_clients ? o->max_clients : 1024;
    s->idle_ms = o->idle_ms ? o->idle_ms : 10000;
    s->max_reply = o->max_reply ? o->max_reply : (size_t)64 << 20;
    s->handler = o->handler;
    s->audit = o->audit;
    s->ctx = o->ctx;
    s->slots = calloc(s->max_clients, sizeof(ctlsrv_conn *));
    s->free_slots = calloc(s->max_clients, sizeof *s->free_slots);
    s->path = o->path ? strdup(o->path) : NULL;
    if (!s->slots || !s->free_slots || (o->path && !s->path)) {
        free(s->slots);
        free(s->free_slots);
        free(s->path);
        free(s);
        return NULL;
    }
    for (unsigned i = 0; i < s->max_clients; i++)
        s->free_slots[i] = s->max_clients - 1 - i; /* slot 0 first */
    s->nfree = s->max_clients;
    return s;
}

static int ctlsrv_epoll_add(ctlsrv *s, int fd, void *tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
    return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int ctlsrv_open(const ctlsrv_opts *o, ctlsrv **out)
{
    int rc = ctlsrv_check_opts(o, out);
    if (rc < 0)
        return rc;
    ctlsrv *s = ctlsrv_alloc(o);
    if (!s)
        return -ENOMEM;
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (s->ep < 0 || s->tfd < 0 || s->reserve < 0) {
        rc = -errno;
        goto fail;
    }
    if (sdn_listen_fds() >= 1)
        rc = ctlsrv_inherit(s);
    else
        rc = s->path ? ctlsrv_bind(s, o->gid) : -EINVAL;
    if (rc < 0)
        goto fail;
    rc = ctlsrv_epoll_add(s, s->lfd, &ctlsrv_tag_listen);
    if (rc == 0)
        rc = ctlsrv_epoll_add(s, s->tfd, &ctlsrv_tag_timer);
    if (rc < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    ctlsrv_close(s);
    return rc;
}

int ctlsrv_fd(const ctlsrv *s)
{
    return s ? s->ep : -1;
}

/* ---- the loop ------------------------------------------------------------- */

/* Arms the timerfd for the next idle expiry or the end of an accept
 * pause. A timer already due no later is left alone; a timer that is no
 * longer needed fires once for nothing. */
static void ctlsrv_arm(ctlsrv *s)
{
    uint64_t due = s->idle_head ? s->idle_head->last_ms + s->idle_ms : 0;
    if (s->resume_ms && (!due || s->resume_ms < due))
        due = s->resume_ms;
    if (!due || (s->timer_at && s->timer_at <= due))
        return;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(due / 1000), .tv_nsec = (long)(due % 1000) * 1000000L}};
    if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        s->timer_at = due;
}

static int ctlsrv_expire(ctlsrv *s)
{
    uint64_t now = ctlsrv_now_ms();
    int n = 0;
    while (s->idle_head && s->idle_head->last_ms + s->idle_ms <= now) {
        ctlsrv_conn_close(s, s->idle_head);
        n++;
    }
    if (s->resume_ms && s->resume_ms <= now)
        ctlsrv_resume_accept(s);
    return n;
}

int ctlsrv_run(ctlsrv *s, int timeout_ms)
{
    if (!s)
        return -EINVAL;
    struct epoll_event evs[CTLSRV_EVENTS];
    int n = epoll_wait(s->ep, evs, CTLSRV_EVENTS, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    s->in_run = true;
    for (int i = 0; i < n; i++) {
        void *tag = evs[i].data.ptr;
        if (tag == &ctlsrv_tag_listen) {
            if (!s->resume_ms)
                ctlsrv_accept(s);
        } else if (tag == &ctlsrv_tag_timer) {
            uint64_t ticks;
            (void)!read(s->tfd, &ticks, sizeof ticks);
            s->timer_at = 0;
        } else if (((ctlsrv_conn *)tag)->fd >= 0) {
            ctlsrv_conn_event(s, tag, evs[i].events);
        }
    }
    s->in_run = false;
    while (s->zombies) {
        ctlsrv_conn *z = s->zombies;
        s->zombies = z->next;
        free(z);
    }
    n += ctlsrv_expire(s);
    ctlsrv_arm(s);
    return n;
}

/* ---- deferred answers ----------------------------------------------------- */

static ctlsrv_conn *ctlsrv_deferred(const ctlsrv *s, uint64_t tok)
{
    uint32_t slot = (uint32_t)tok;
    if (slot >= s->max_clients)
        return NULL;
    ctlsrv_conn *c = s->slots[slot];
    return c && c->deferred && c->dtok == tok ? c : NULL;
}

/* The connection is gone: the reply goes only to the audit callback. */
static int ctlsrv_answer_orphan(ctlsrv *s, uint64_t tok, const char *reply, size_t len)
{
    for (ctlsrv_orphan **pp = &s->orphans; *pp; pp = &(*pp)->next) {
        ctlsrv_orphan *o = *pp;
        if (o->tok != tok)
            continue;
        *pp = o->next;
        ctlsrv_audit_reply(s, &o->cred, o->verb, reply, len);
        free(o->cred.groups);
        free(o);
        break;
    }
    return -ENOENT;
}

int ctlsrv_answer(ctlsrv *s, uint64_t tok, const char *reply, size_t len)
{
    if (!s || !reply || len == 0)
        return -EINVAL;
    ctlsrv_conn *c = ctlsrv_deferred(s, tok);
    if (!c)
        return ctlsrv_answer_orphan(s, tok, reply, len);
    c->deferred = false;
    cbuf_clear(&c->out);
    cbuf_append(&c->out, reply, len);
    int rc = ctlsrv_reply_fix(s, &c->out);
    s->nreq++;
    if (rc < 0) {
        ctlsrv_audit_msg(s, &c->cred, c->dverb, "outcome unknown: out of memory");
        ctlsrv_conn_close(s, c);
        return rc;
    }
    ctlsrv_audit_reply(s, &c->cred, c->dverb, c->out.p, c->out.len);
    /* The write waits for ctlsrv_run (EPOLLOUT is ready at once): no
     * handler runs inside this call, so it is safe from a handler too. */
    ctlsrv_conn_update(s, c, true);
    return 0;
}

/* ---- the rest ------------------------------------------------------------- */

unsigned ctlsrv_clients(const ctlsrv *s)
{
    return s ? s->nconns : 0;
}

uint64_t ctlsrv_requests(const ctlsrv *s)
{
    return s ? s->nreq : 0;
}

void ctlsrv_set_policy(ctlsrv *s, const ctl_policy *p)
{
    if (s && p)
        s->policy = *p;
}

void ctlsrv_stop_listening(ctlsrv *s)
{
    if (!s || s->lfd < 0)
        return;
    epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
    close(s->lfd);
    s->lfd = -1;
    s->resume_ms = 0;
}

/* Unlinks the socket file if it is still the one we bound (a successor may
 * have replaced it after ctlsrv_stop_listening). */
static void ctlsrv_unlink(ctlsrv *s)
{
    struct stat st;
    if (s->bound && s->path && lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
        st.st_ino == s->ino)
        unlink(s->path);
}

void ctlsrv_close(ctlsrv *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->max_clients; i++) {
        ctlsrv_conn *c = s->slots[i];
        if (c && c->deferred)
            ctlsrv_audit_msg(s, &c->cred, c->dverb, "not answered: the control server closed");
        if (c) {
            c->deferred = false;
            ctlsrv_conn_close(s, c);
        }
    }
    while (s->orphans) {
        ctlsrv_orphan *o = s->orphans;
        s->orphans = o->next;
        ctlsrv_audit_msg(s, &o->cred, o->verb, "not answered: the control server closed");
        free(o->cred.groups);
        free(o);
    }
    ctlsrv_stop_listening(s);
    ctlsrv_unlink(s);
    if (s->ep >= 0)
        close(s->ep);
    if (s->tfd >= 0)
        close(s->tfd);
    if (s->reserve >= 0)
        close(s->reserve);
    free(s->slots);
    free(s->free_slots);
    free(s->path);
    free(s);
}
