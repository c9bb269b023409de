/* ctlsrv_test: the control socket server (daemon/runtime/ctlsrv.h) over real
 * Unix sockets: round trips, pipelining, deferred replies, the audit
 * callback, bad and overlong requests, idle timeouts, a client that never
 * reads its reply, 200 concurrent clients, max_clients, the socket file
 * (stale, live, mode, unlink), SO_PEERCRED authorization with real uids
 * and groups (as root), socket activation, and running out of fds.
 *
 * The server runs in a thread looping ctlsrv_run(s, 50); every other call
 * on it (ctlsrv_answer, ctlsrv_clients, ...) is posted to that thread
 * (srv_call), as the daemon's main loop would make it. Timeouts are
 * generous: nothing here measures speed. */
#define _GNU_SOURCE

#include "../daemon/runtime/ctlsrv.h"
#include "claimd/error.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_GID  4242 /* the socket's group in the policy (as root) */
#define ADMIN_GID 5000
#define OTHER_GID 4343
#define NOBODY    65534
#define WAIT_MS   20000 /* how long anything may take before a test fails */

typedef struct audit_rec {
    uid_t uid;
    ctl_verb verb;
    bool ok;
    bool has_msg;
    char msg[256];
} audit_rec;

/* One test's state (each test runs in its own process). */
static struct {
    ctlsrv *s;
    pthread_t th;
    bool running;
    atomic_bool stop;
    atomic_int run_err;
    char dir[64];
    char path[128];
    /* data shared with the server thread, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t toks[64];
    int ntoks;
    audit_rec audits[64];
    int naudits;
    size_t big; /* the size of the "metrics" reply */
    /* a call posted to the server thread, under call_mu */
    pthread_mutex_t call_mu;
    pthread_cond_t call_cv;
    void (*call)(void *);
    void *call_arg;
} T = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .cv = PTHREAD_COND_INITIALIZER,
       .call_mu = PTHREAD_MUTEX_INITIALIZER,
       .call_cv = PTHREAD_COND_INITIALIZER};

/* ---- the handler and the audit callback ----------------------------------- */

static int handler(void *ctx, const ctl_req *req, const ctl_peer *peer, uint64_t tok, cbuf *out)
{
    (void)ctx;
    (void)peer;
    switch (req->verb) {
    case CTL_SUBMIT:
        pthread_mutex_lock(&T.mu);
        if (T.ntoks < 64)
            T.toks[T.ntoks++] = tok;
        pthread_cond_broadcast(&T.cv);
        pthread_mutex_unlock(&T.mu);
        cbuf_puts(out, "discarded");
        return CTLSRV_DEFER;
    case CTL_JOB:
        ctl_reply_ok(out);
        ctl_reply_str(out, "job", req->argv[0]);
        ctl_reply_end(out);
        return CTLSRV_DONE;
    case CTL_METRICS: {
        ctl_reply_ok(out);
        cbuf_puts(out, ",\"m\":\"");
        if (cbuf_reserve(out, T.big) == 0) {
            memset(out->p + out->len, 'x', T.big);
            out->len += T.big;
            out->p[out->len] = 0;
        }
        cbuf_puts(out, "\"}\n");
        return CTLSRV_DONE;
    }
    case CTL_RESUME:
        ctl_reply_error(out, "not \"paused\"\tyet");
        return CTLSRV_DONE;
    case CTL_SHUTDOWN:
        ctl_reply_ok(out);
        ctl_reply_end(out);
        return CTLSRV_CLOSE;
    case CTL_TABLES:
        return 42; /* not a CTLSRV_ value */
    case CTL_MEMORY:
        return CTLSRV_DONE; /* no reply */
    case CTL_STATS:
        cbuf_puts(out, "{\"ok\":true}"); /* no line end */
        return CTLSRV_DONE;
    case CTL_HELP:
        ctl_reply_help(out);
        return CTLSRV_DONE;
    default:
        ctl_reply_ok(out);
        ctl_reply_str(out, "verb", ctl_verb_def_of(req->verb)->name);
        ctl_reply_end(out);
        return CTLSRV_DONE;
    }
}

static void audit(void *ctx, const ctl_peer *peer, ctl_verb verb, bool ok, const char *msg)
{
    (void)ctx;
    pthread_mutex_lock(&T.mu);
    if (T.naudits < 64) {
        audit_rec *a = &T.audits[T.naudits++];
        a->uid = peer->uid;
        a->verb = verb;
        a->ok = ok;
        a->has_msg = msg != NULL;
        snprintf(a->msg, sizeof a->msg, "%s", msg ? msg : "");
    }
    pthread_cond_broadcast(&T.cv);
    pthread_mutex_unlock(&T.mu);
}

static int naudits(void)
{
    pthread_mutex_lock(&T.mu);
    int n = T.naudits;
    pthread_mutex_unlock(&T.mu);
    return n;
}

static audit_rec audit_at(int i)
{
    pthread_mutex_lock(&T.mu);
    audit_rec a = T.audits[i];
    pthread_mutex_unlock(&T.mu);
    return a;
}

/* Waits for the n-th deferred token (1-based). */
static uint64_t wait_tok(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&T.mu);
    while (T.ntoks < n && pthread_cond_timedwait(&T.cv, &T.mu, &until) == 0)
        ;
    uint64_t tok = T.ntoks >= n ? T.toks[n - 1] : 0;
    pthread_mutex_unlock(&T.mu);
    cr_assert_neq(tok, 0, "the handler never deferred request %d", n);
    return tok;
}

/* ---- the server thread ---------------------------------------------------- */

static void *srv_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&T.stop)) {
        int rc = ctlsrv_run(T.s, 50);
        if (rc < 0) {
            atomic_store(&T.run_err, rc);
            break;
        }
        pthread_mutex_lock(&T.call_mu);
        if (T.call) {
            T.call(T.call_arg);
            T.call = NULL;
            pthread_cond_broadcast(&T.call_cv);
        }
        pthread_mutex_unlock(&T.call_mu);
    }
    return NULL;
}

/* Runs fn(arg) on the server thread and waits for it. */
static void srv_call(void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&T.call_mu);
    T.call = fn;
    T.call_arg = arg;
    while (T.call)
        pthread_cond_wait(&T.call_cv, &T.call_mu);
    pthread_mutex_unlock(&T.call_mu);
}

typedef struct answer_call {
    uint64_t tok;
    const char *reply;
    int rc;
} answer_call;

static void answer_fn(void *arg)
{
    answer_call *a = arg;
    a->rc = ctlsrv_answer(T.s, a->tok, a->reply, strlen(a->reply));
}

static int srv_answer(uint64_t tok, const char *reply)
{
    answer_call a = {tok, reply, 1};
    srv_call(answer_fn, &a);
    return a.rc;
}

static void clients_fn(void *arg)
{
    *(unsigned *)arg = ctlsrv_clients(T.s);
}

static unsigned srv_clients(void)
{
    unsigned n = 0;
    srv_call(clients_fn, &n);
    return n;
}

static void requests_fn(void *arg)
{
    *(uint64_t *)arg = ctlsrv_requests(T.s);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until the server has n connections. */
static void wait_clients(unsigned n)
{
    unsigned got = 0;
    for (int i = 0; i < WAIT_MS / 10 && (got = srv_clients()) != n; i++)
        sleep_ms(10);
    cr_assert_eq(got, n, "%u connections, want %u", got, n);
}

static void dir_setup(void)
{
    snprintf(T.dir, sizeof T.dir, "/tmp/ctlsrv_test.XXXXXX");
    cr_assert_not_null(mkdtemp(T.dir));
    chmod(T.dir, 0755); /* uid 65534 must reach the socket */
    snprintf(T.path, sizeof T.path, "%s/ctl.sock", T.dir);
}

static ctlsrv_opts opts_default(void)
{
    ctlsrv_opts o = {
        .path = T.path,
        .gid = geteuid() == 0 ? READ_GID : (gid_t)-1,
        .policy = {.daemon_uid = 12345, .read_gid = READ_GID, .admin_gid = ADMIN_GID},
        .handler = handler,
        .audit = audit,
    };
    return o;
}

static void srv_start_opts(const ctlsrv_opts *o)
{
    int rc = ctlsrv_open(o, &T.s);
    cr_assert_eq(rc, 0, "ctlsrv_open: %s", strerror(-rc));
    atomic_store(&T.stop, false);
    cr_assert_eq(pthread_create(&T.th, NULL, srv_main, NULL), 0);
    T.running = true;
}

static void srv_start(unsigned max_clients, unsigned idle_ms, size_t max_reply)
{
    ctlsrv_opts o = opts_default();
    o.max_clients = max_clients;
    o.idle_ms = idle_ms;
    o.max_reply = max_reply;
    srv_start_opts(&o);
}

static void srv_stop(void)
{
    if (T.running) {
        atomic_store(&T.stop, true);
        pthread_join(T.th, NULL);
        T.running = false;
        cr_expect_eq(atomic_load(&T.run_err), 0, "ctlsrv_run failed: %d", atomic_load(&T.run_err));
    }
    ctlsrv_close(T.s);
    T.s = NULL;
}

static void setup(void)
{
    dir_setup();
}

static void teardown(void)
{
    srv_stop();
    unlink(T.path);
    rmdir(T.dir);
}

TestSuite(ctlsrv, .init = setup, .fini = teardown, .timeout = 300);

/* ---- clients -------------------------------------------------------------- */

static int cli_try(const char *path, int *err)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    struct timeval tv = {WAIT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        *err = errno;
        close(fd);
        return -1;
    }
    return fd;
}

static int cli(void)
{
    int err = 0;
    int fd = cli_try(T.path, &err);
    cr_assert_geq(fd, 0, "connect: %s", strerror(err));
    return fd;
}

static void cli_send_n(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        cr_assert_gt(w, 0, "send: %s", strerror(errno));
        s += w;
        n -= (size_t)w;
    }
}

static void cli_send(int fd, const char *s)
{
    cli_send_n(fd, s, strlen(s));
}

/* Reads one line (without its '\n') into buf. Returns its length, -1 at end
 * of file or reset before any byte, -2 on timeout. */
static int cli_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = recv(fd, &c, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -2;
        if (r <= 0)
            return n ? (int)n : -1;
        if (c == '\n')
            break;
        if (n + 1 < size)
            buf[n++] = c;
    }
    buf[n] = 0;
    return (int)n;
}

static void expect_line(int fd, const char *want)
{
    char buf[8192];
    int n = cli_line(fd, buf, sizeof buf);
    cr_assert_geq(n, 0, "no reply (%d), want %s", n, want);
    cr_assert_str_eq(buf, want);
}

static void req_expect(int fd, const char *req, const char *want)
{
    cli_send(fd, req);
    expect_line(fd, want);
}

/* The server closed the connection (end of file, or a reset when it left
 * bytes unread). */
static void expect_closed(int fd)
{
    char c;
    ssize_t r;
    do
        r = recv(fd, &c, 1, 0);
    while (r < 0 && errno == EINTR);
    cr_assert(r == 0 || (r < 0 && errno == ECONNRESET), "still open: recv %zd (%s)", r,
              r < 0 ? strerror(errno) : "a byte");
}

/* No byte arrives within ms. */
static void expect_silent(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, ms), 0, "unexpected data or close");
}

#define OK_STATUS "{\"ok\":true,\"verb\":\"status\"}"

/* ---- requests and replies ------------------------------------------------- */

Test(ctlsrv, round_trip)
{
    srv_start(0, 0, 0);
    int fd = cli();
    req_expect(fd, "status\n", OK_STATUS);
    req_expect(fd, "STATUS\r\n", OK_STATUS);
    req_expect(fd, "job 20250101-000001\n", "{\"ok\":true,\"job\":\"20250101-000001\"}");
    char buf[8192];
    cli_send(fd, "help\n");
    cr_assert_gt(cli_line(fd, buf, sizeof buf), 0);
    cr_assert(strncmp(buf, "{\"ok\":true,\"verbs\":[", 20) == 0, "%s", buf);
    uint64_t nreq = 0;
    srv_call(requests_fn, &nreq);
    cr_assert_eq(nreq, 4);
    cr_assert_eq(srv_clients(), 1);
    close(fd);
    wait_clients(0);
}

Test(ctlsrv, handler_misbehaviour)
{
    srv_start(0, 0, 0);
    int fd = cli();
    req_expect(fd, "tables\n", "{\"ok\":false,\"error\":\"internal error\"}");
    req_expect(fd, "memory\n", "{\"ok\":false,\"error\":\"no reply\"}");
    req_expect(fd, "stats\n", "{\"ok\":true}"); /* its line end added */
    req_expect(fd, "status\n", OK_STATUS);
    close(fd);
}

Test(ctlsrv, close_after_reply)
{
    srv_start(0, 0, 0);
    int fd = cli();
    cli_send(fd, "shutdown\nstatus\n");
    expect_line(fd, "{\"ok\":true}");
    expect_closed(fd);
    close(fd);
    wait_clients(0);
}

Test(ctlsrv, pipelined)
{
    srv_start(0, 0, 0);
    int fd = cli();
    cli_send(fd, "status\njob a\n\njob b\nversion\n");
    expect_line(fd, OK_STATUS);
    expect_line(fd, "{\"ok\":true,\"job\":\"a\"}");
    expect_line(fd, "{\"ok\":false,\"error\":\"empty request (send 'help')\"}");
    expect_line(fd, "{\"ok\":true,\"job\":\"b\"}");
    expect_line(fd, "{\"ok\":true,\"verb\":\"version\"}");

    /* Far more than one input buffer: lines straddle reads. */
    enum { N = 3000 };
    cbuf b;
    cbuf_init(&b);
    for (int i = 0; i < N; i++)
        cbuf_printf(&b, "job j%d\n", i);
    cr_assert_eq(cbuf_error(&b), 0);
    cli_send_n(fd, b.p, b.len);
    cbuf_release(&b);
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "{\"ok\":true,\"job\":\"j%d\"}", i);
        expect_line(fd, want);
    }
    close(fd);
}

/* A client that shuts its writing side after its requests (socat, nc -N)
 * still gets every reply, a deferred one included, then end of file. */
Test(ctlsrv, half_closed_client_gets_its_replies)
{
    srv_start(0, 0, 0);
    int fd = cli();
    cli_send(fd, "status\njob x\n");
    shutdown(fd, SHUT_WR);
    expect_line(fd, OK_STATUS);
    expect_line(fd, "{\"ok\":true,\"job\":\"x\"}");
    expect_closed(fd);
    close(fd);

    fd = cli();
    cli_send(fd, "submit /srv/drop/a.837\nstatus\nsta");
    shutdown(fd, SHUT_WR);
    uint64_t tok = wait_tok(1);
    expect_silent(fd, 200);
    cr_assert_eq(srv_answer(tok, "{\"ok\":true,\"job\":\"j\"}\n"), 0);
    expect_line(fd, "{\"ok\":true,\"job\":\"j\"}");
    expect_line(fd, OK_STATUS);
    expect_closed(fd); /* the half line never ends */
    close(fd);
    wait_clients(0);
}

Test(ctlsrv, bad_requests_keep_the_connection)
{
    srv_start(0, 0, 0);
    int fd = cli();
    static const struct {
        const char *req, *reply;
    } cases[] = {
        {"\n", "empty request (send 'help')"},
        {"   \t \r\n", "empty request (send 'help')"},
        {"frobnicate now\n", "unknown verb (send 'help')"},
        {"status\x01\n", "byte 0x01 at column 7 is not printable ASCII"},
        {"st\xc3\xa9tus\n", "byte 0xc3 at column 3 is not printable ASCII"},
        {"submit \"/a b\n", "unterminated quote"},
        {"submit /a\"b\"\n", "a quote may only start an argument"},
        {"status extra\n", "status takes no arguments"},
        {"cancel\n", "usage: cancel ID (0 arguments given)"},
        {"submit relative/path\n", "submit: PATH must be absolute"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[256];
        snprintf(want, sizeof want, "{\"ok\":false,\"error\":\"%s\"}", cases[i].reply);
        req_expect(fd, cases[i].req, want);
    }
    req_expect(fd, "status\n", OK_STATUS);
    /* Parse errors never reach the handler nor the audit. */
    cr_assert_eq(naudits(), 0);
    close(fd);
}

Test(ctlsrv, line_of_exactly_the_limit)
{
    srv_start(0, 0, 0);
    int fd = cli();
    char line[CTL_LINE_MAX + 1];
    memset(line, ' ', CTL_LINE_MAX);
    memcpy(line, "status", 6);
    line[CTL_LINE_MAX - 1] = '\n';
    line[CTL_LINE_MAX] = 0;
    req_expect(fd, line, OK_STATUS);
    req_expect(fd, "status\n", OK_STATUS);
    close(fd);
}

Test(ctlsrv, overlong_line_answered_then_closed)
{
    srv_start(0, 0, 0);
    int other = cli();
    int fd = cli();
    char *big = malloc(8192);
    memset(big, 'a', 8192);
    cli_send_n(fd, big, 8192);
    free(big);
    expect_line(fd, "{\"ok\":false,\"error\":\"request longer than 4096 bytes\"}");
    expect_closed(fd);
    close(fd);
    req_expect(other, "status\n", OK_STATUS);
    wait_clients(1);
    close(other);
}

/* ---- deferred replies and the audit --------------------------------------- */

Test(ctlsrv, deferred_answered_later)
{
    srv_start(0, 0, 0);
    int fd = cli();
    /* The status behind the deferred submit waits for it. */
    cli_send(fd, "submit /srv/drop/a.837\nstatus\n");
    uint64_t tok = wait_tok(1);
    expect_silent(fd, 300);
    int other = cli(); /* others are served meanwhile */
    req_expect(other, "status\n", OK_STATUS);
    cr_assert_eq(naudits(), 0, "audited before the outcome was known");

    cr_assert_eq(srv_answer(tok, "{\"ok\":true,\"job\":\"20250101-000001\"}\n"), 0);
    expect_line(fd, "{\"ok\":true,\"job\":\"20250101-000001\"}");
    expect_line(fd, OK_STATUS);
    cr_assert_eq(srv_answer(tok, "{\"ok\":true}\n"), -ENOENT, "answered twice");
    cr_assert_eq(srv_answer(tok ^ (1ull << 40), "{\"ok\":true}\n"), -ENOENT);
    cr_assert_eq(srv_answer(tok, ""), -EINVAL);

    /* A failed deferred request, answered without its line end. */
    cli_send(fd, "submit /srv/drop/b.837\n");
    uint64_t tok2 = wait_tok(2);
    cr_assert_neq(tok2, tok);
    cr_assert_eq(srv_answer(tok2, "{\"ok\":false,\"error\":\"no such file\"}"), 0);
    expect_line(fd, "{\"ok\":false,\"error\":\"no such file\"}");
    req_expect(fd, "status\n", OK_STATUS);

    cr_assert_eq(naudits(), 2);
    audit_rec a = audit_at(0);
    cr_assert_eq(a.verb, CTL_SUBMIT);
    cr_assert(a.ok && !a.has_msg);
    cr_assert_eq(a.uid, geteuid());
    a = audit_at(1);
    cr_assert_eq(a.verb, CTL_SUBMIT);
    cr_assert(!a.ok && a.has_msg);
    cr_assert_str_eq(a.msg, "no such file");
    close(fd);
    close(other);
}

Test(ctlsrv, deferred_dropped_when_client_hangs_up)
{
    srv_start(0, 0, 0);
    int fd = cli();
    cli_send(fd, "submit /srv/drop/a.837\n");
    uint64_t tok = wait_tok(1);
    close(fd);
    wait_clients(0);
    cr_assert_eq(naudits(), 0);
    /* The submit happened: the audit still learns its outcome. */
    cr_assert_eq(srv_answer(tok, "{\"ok\":true,\"job\":\"j1\"}\n"), -ENOENT);
    cr_assert_eq(naudits(), 1);
    audit_rec a = audit_at(0);
    cr_assert(a.verb == CTL_SUBMIT && a.ok);
    cr_assert_eq(srv_answer(tok, "{\"ok\":true}\n"), -ENOENT);
    cr_assert_eq(naudits(), 1, "audited twice");

    /* Unanswered at close: audited as such. */
    fd = cli();
    cli_send(fd, "submit /srv/drop/b.837\n");
    wait_tok(2);
    close(fd);
    wait_clients(0);
    srv_stop();
    cr_assert_eq(naudits(), 2);
    a = audit_at(1);
    cr_assert(a.verb == CTL_SUBMIT && !a.ok && a.has_msg);
}

Test(ctlsrv, audit_of_changing_verbs)
{
    srv_start(0, 0, 0);
    int fd = cli();
    req_expect(fd, "pause\n", "{\"ok\":true,\"verb\":\"pause\"}");
    req_expect(fd, "status\n", OK_STATUS); /* not audited */
    req_expect(fd, "resume\n", "{\"ok\":false,\"error\":\"not \\\"paused\\\"\\tyet\"}");
    req_expect(fd, "loglevel debug\n", "{\"ok\":true,\"verb\":\"loglevel\"}");
    close(fd);
    cr_assert_eq(naudits(), 3);
    audit_rec a = audit_at(0);
    cr_assert(a.verb == CTL_PAUSE && a.ok && !a.has_msg);
    a = audit_at(1);
    cr_assert(a.verb == CTL_RESUME && !a.ok && a.has_msg);
    cr_assert_str_eq(a.msg, "not \"paused\" yet");
    a = audit_at(2);
    cr_assert(a.verb == CTL_LOGLEVEL && a.ok);
}

/* ---- slow, silent and greedy clients -------------------------------------- */

Test(ctlsrv, idle_client_closed_others_served)
{
    srv_start(0, 200, 0);
    int quiet = cli(); /* between requests: never timed out */
    int half = cli();
    cli_send(half, "sta");
    int busy = cli();
    struct pollfd p = {.fd = half, .events = POLLIN};
    int closed = 0;
    for (int i = 0; i < WAIT_MS / 50 && !closed; i++) {
        req_expect(busy, "status\n", OK_STATUS);
        closed = poll(&p, 1, 50);
    }
    cr_assert_eq(closed, 1, "the half-sent request was never timed out");
    expect_closed(half);
    close(half);
    sleep_ms(400);
    req_expect(quiet, "status\n", OK_STATUS);
    req_expect(busy, "status\n", OK_STATUS);
    close(quiet);
    close(busy);
}

/* Without the thread: the epoll fd itself wakes the caller for the timer. */
Test(ctlsrv, idle_timer_wakes_the_epoll_fd)
{
    ctlsrv_opts o = opts_default();
    o.idle_ms = 200;
    cr_assert_eq(ctlsrv_open(&o, &T.s), 0);
    int fd = cli();
    cli_send(fd, "stat");
    for (int i = 0; i < 200 && ctlsrv_clients(T.s) == 0; i++)
        ctlsrv_run(T.s, 20);
    cr_assert_eq(ctlsrv_clients(T.s), 1);
    for (int i = 0; i < 10 && ctlsrv_run(T.s, 0) >= 0; i++)
        ; /* the partial line is read */
    struct pollfd p = {.fd = ctlsrv_fd(T.s), .events = POLLIN};
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "the epoll fd never became readable");
    for (int i = 0; i < 200 && ctlsrv_clients(T.s) == 1; i++)
        ctlsrv_run(T.s, 50);
    cr_assert_eq(ctlsrv_clients(T.s), 0);
    expect_closed(fd);
    close(fd);
}

Test(ctlsrv, unread_huge_reply_then_disconnect)
{
    T.big = 16u << 20;
    srv_start(0, 0, 0);
    int greedy = cli();
    cli_send(greedy, "metrics\n");
    int other = cli();
    for (int i = 0; i < 5; i++)
        req_expect(other, "status\n", OK_STATUS);
    cr_assert_eq(srv_clients(), 2);
    close(greedy); /* mid-reply: no SIGPIPE may reach the server */
    wait_clients(1);
    req_expect(other, "status\n", OK_STATUS);
    close(other);
}

/* Requests from clients that hang up at once: the reply's send meets a
 * closed peer (EPIPE), which must not raise SIGPIPE in the server. */
Test(ctlsrv, request_then_hang_up)
{
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE kills the test */
    T.big = 1u << 20;
    srv_start(0, 0, 0);
    for (int i = 0; i < 50; i++) {
        int fd = cli();
        cli_send(fd, i % 2 ? "metrics\n" : "status\nstatus\nstatus\n");
        close(fd);
    }
    int other = cli();
    req_expect(other, "status\n", OK_STATUS);
    wait_clients(1);
    close(other);
}

Test(ctlsrv, unread_reply_times_out)
{
    T.big = 16u << 20;
    srv_start(0, 300, 0);
    int greedy = cli();
    cli_send(greedy, "metrics\n");
    int other = cli();
    req_expect(other, "status\n", OK_STATUS);
    wait_clients(1); /* the greedy one is closed after 300 ms without reading */
    req_expect(other, "status\n", OK_STATUS);
    close(greedy);
    close(other);
}

Test(ctlsrv, huge_reply_read_whole)
{
    T.big = 4u << 20;
    srv_start(0, 0, 0);
    int fd = cli();
    cli_send(fd, "metrics\n");
    size_t total = 0;
    char buf[65536];
    bool end = false;
    while (!end) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        cr_assert_gt(r, 0);
        total += (size_t)r;
        end = buf[r - 1] == '\n';
    }
    cr_assert_eq(total, T.big + strlen("{\"ok\":true,\"m\":\"\"}\n"));
    req_expect(fd, "status\n", OK_STATUS);
    close(fd);
}

Test(ctlsrv, reply_over_max_reply_replaced)
{
    T.big = 2u << 20;
    srv_start(0, 0, 1u << 20);
    int fd = cli();
    req_expect(fd, "metrics\n", "{\"ok\":false,\"error\":\"reply too large\"}");
    req_expect(fd, "status\n", OK_STATUS);
    close(fd);
}

/* ---- many clients --------------------------------------------------------- */

enum { NCLIENTS = 200, NREQS = 5 };

static pthread_barrier_t conc_connected, conc_go;
static atomic_int conc_fail;

static void *conc_client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int err = 0;
    int fd = cli_try(T.path, &err);
    pthread_barrier_wait(&conc_connected);
    pthread_barrier_wait(&conc_go);
    if (fd < 0) {
        atomic_fetch_add(&conc_fail, 1);
        return NULL;
    }
    for (int k = 0; k < NREQS; k++) {
        char req[64], want[96], got[256];
        snprintf(req, sizeof req, "job c%d-%d\n", id, k);
        snprintf(want, sizeof want, "{\"ok\":true,\"job\":\"c%d-%d\"}", id, k);
        if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req) ||
            cli_line(fd, got, sizeof got) < 0 || strcmp(got, want) != 0) {
            atomic_fetch_add(&conc_fail, 1);
            break;
        }
    }
    close(fd);
    return NULL;
}

Test(ctlsrv, two_hundred_concurrent_clients)
{
    srv_start(0, 0, 0);
    pthread_barrier_init(&conc_connected, NULL, NCLIENTS + 1);
    pthread_barrier_init(&conc_go, NULL, NCLIENTS + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t th[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        cr_assert_eq(pthread_create(&th[i], &attr, conc_client, (void *)(intptr_t)i), 0);
    pthread_barrier_wait(&conc_connected);
    wait_clients(NCLIENTS); /* all open at once */
    pthread_barrier_wait(&conc_go);
    for (int i = 0; i < NCLIENTS; i++)
        pthread_join(th[i], NULL);
    pthread_attr_destroy(&attr);
    cr_assert_eq(atomic_load(&conc_fail), 0, "%d clients failed", atomic_load(&conc_fail));
    wait_clients(0);
    uint64_t nreq = 0;
    srv_call(requests_fn, &nreq);
    cr_assert_eq(nreq, NCLIENTS * NREQS);
}

Test(ctlsrv, max_clients)
{
    srv_start(4, 0, 0);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = cli();
        req_expect(fds[i], "status\n", OK_STATUS);
    }
    int extra = cli(); /* the kernel's backlog takes it; the server refuses it */
    expect_line(extra, "{\"ok\":false,\"error\":\"too many connections\"}");
    expect_closed(extra);
    close(extra);
    cr_assert_eq(srv_clients(), 4);
    close(fds[0]);
    wait_clients(3);
    fds[0] = cli();
    req_expect(fds[0], "status\n", OK_STATUS);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
}

/* ---- the socket file ------------------------------------------------------ */

static int bind_at(const char *path, bool do_listen)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s", strerror(errno));
    if (do_listen)
        cr_assert_eq(listen(fd, 8), 0);
    return fd;
}

Test(ctlsrv, socket_mode_group_and_unlink)
{
    srv_start(0, 0, 0);
    struct stat st;
    cr_assert_eq(lstat(T.path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 07777, 0660, "mode %o", (unsigned)(st.st_mode & 07777));
    if (geteuid() == 0)
        cr_assert_eq(st.st_gid, READ_GID);
    srv_stop();
    cr_assert_eq(lstat(T.path, &st), -1, "ctlsrv_close left the socket file");
}

Test(ctlsrv, stale_socket_replaced)
{
    close(bind_at(T.path, true)); /* the file stays; nobody answers */
    srv_start(0, 0, 0);
    int fd = cli();
    req_expect(fd, "status\n", OK_STATUS);
    close(fd);
}

Test(ctlsrv, live_socket_is_in_use)
{
    int live = bind_at(T.path, true);
    ctlsrv_opts o = opts_default();
    ctlsrv *s = NULL;
    cr_assert_eq(ctlsrv_open(&o, &s), -EADDRINUSE);
    cr_assert_null(s);
    int err = 0;
    int fd = cli_try(T.path, &err); /* the other daemon's socket is intact */
    cr_assert_geq(fd, 0, "%s", strerror(err));
    close(fd);
    close(live);
}

Test(ctlsrv, not_a_socket_is_kept)
{
    FILE *f = fopen(T.path, "w");
    cr_assert_not_null(f);
    fputs("keep me\n", f);
    fclose(f);
    ctlsrv_opts o = opts_default();
    ctlsrv *s = NULL;
    cr_assert_eq(ctlsrv_open(&o, &s), -EEXIST);
    struct stat st;
    cr_assert_eq(lstat(T.path, &st), 0);
    cr_assert(S_ISREG(st.st_mode));
}

Test(ctlsrv, bad_options)
{
    ctlsrv_opts o = opts_default();
    ctlsrv *s = NULL;
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    o.path = longp;
    cr_assert_eq(ctlsrv_open(&o, &s), -ENAMETOOLONG);
    o = opts_default();
    o.handler = NULL;
    cr_assert_eq(ctlsrv_open(&o, &s), -EINVAL);
    o = opts_default();
    o.path = NULL;
    cr_assert_eq(ctlsrv_open(&o, &s), -EINVAL);
    cr_assert_eq(ctlsrv_open(NULL, &s), -EINVAL);
    cr_assert_null(s);
    ctlsrv_close(NULL);
    cr_assert_eq(ctlsrv_run(NULL, 0), -EINVAL);
}

static void stop_listening_fn(void *arg)
{
    (void)arg;
    ctlsrv_stop_listening(T.s);
}

Test(ctlsrv, stop_listening_keeps_open_connections)
{
    srv_start(0, 0, 0);
    int fd = cli();
    req_expect(fd, "status\n", OK_STATUS);
    srv_call(stop_listening_fn, NULL);
    int err = 0;
    int late = cli_try(T.path, &err);
    cr_assert_lt(late, 0, "a new connection was accepted after stop_listening");
    cr_assert_eq(err, ECONNREFUSED, "%s", strerror(err));
    req_expect(fd, "status\n", OK_STATUS);
    close(fd);
}

/* ---- authorization with real credentials (root only) ---------------------- */

/* In a child: become uid with gid and groups, connect, send each request
 * and write each reply line (or "connect: <errno>") to the pipe. */
static void child_client(int out, uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
                         const char *const *reqs)
{
    if (setgroups((size_t)ngroups, groups) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
        _exit(2);
    int err = 0;
    int fd = cli_try(T.path, &err);
    if (fd < 0) {
        dprintf(out, "connect: %d\n", err);
        _exit(0);
    }
    for (; *reqs; reqs++) {
        char buf[1024];
        if (send(fd, *reqs, strlen(*reqs), MSG_NOSIGNAL) < 0 || cli_line(fd, buf, sizeof buf) < 0)
            _exit(3);
        dprintf(out, "%s\n", buf);
    }
    _exit(0);
}

/* Runs child_client and returns what it wrote (static buffer). */
static const char *as_user(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
                           const char *const *reqs)
{
    static char buf[4096];
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(p[0]);
        child_client(p[1], uid, gid, groups, ngroups, reqs);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    close(p[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    return buf;
}

static void set_policy_fn(void *arg)
{
    ctlsrv_set_policy(T.s, arg);
}

Test(ctlsrv, authorization_with_peer_credentials)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to run clients as other users: skipped");
    srv_start(0, 0, 0);
    static const char *const reqs[] = {"status\n", "pause\n", NULL};

    /* In the socket's group: read-only verbs only. */
    const char *got = as_user(NOBODY, READ_GID, NULL, 0, reqs);
    cr_assert_str_eq(got, OK_STATUS "\n"
                                    "{\"ok\":false,\"error\":\"pause changes state: only root, the "
                                    "daemon's user and the control admin group may use it (uid "
                                    "65534)\"}\n");
    cr_assert_eq(naudits(), 1);
    audit_rec a = audit_at(0);
    cr_assert(a.verb == CTL_PAUSE && !a.ok && a.uid == NOBODY);
    cr_assert(strstr(a.msg, "pause changes state") != NULL, "%s", a.msg);

    /* The socket's group as a supplementary group counts too. */
    gid_t sup[] = {READ_GID};
    got = as_user(NOBODY, OTHER_GID, sup, 1, reqs);
    cr_assert(strncmp(got, OK_STATUS "\n{\"ok\":false,", strlen(OK_STATUS) + 13) == 0, "%s", got);

    /* The admin group (supplementary): everything. */
    gid_t admin[] = {ADMIN_GID};
    got = as_user(NOBODY, READ_GID, admin, 1, reqs);
    cr_assert_str_eq(got, OK_STATUS "\n{\"ok\":true,\"verb\":\"pause\"}\n");

    /* Another group: the file mode keeps it out, or the server refuses it. */
    got = as_user(NOBODY, OTHER_GID, NULL, 0, reqs);
    char eacces[32];
    snprintf(eacces, sizeof eacces, "connect: %d\n", EACCES);
    if (strcmp(got, eacces) != 0)
        cr_assert(strstr(got, "status: uid 65534 is not in the control socket's group") != NULL,
                  "%s", got);

    /* A new policy applies to new requests. */
    chmod(T.path, 0666);
    ctl_policy pol = {.daemon_uid = 12345, .read_gid = 7777, .admin_gid = CTL_GID_NONE};
    srv_call(set_policy_fn, &pol);
    got = as_user(NOBODY, READ_GID, NULL, 0, reqs);
    cr_assert(strncmp(got, "{\"ok\":false,\"error\":\"status: uid 65534 is not", 45) == 0, "%s",
              got);
}

/* ---- socket activation ---------------------------------------------------- */

/* In a child (fd 3 and the environment are process-wide): returns the exit
 * code for the parent to check. */
static int activation_child(const char *real)
{
    int l = bind_at(real, true);
    if (l != 3) {
        if (dup2(l, 3) != 3)
            return 10;
        close(l);
    }
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);
    ctlsrv_opts o = opts_default(); /* T.path: must not be bound */
    ctlsrv *s = NULL;
    if (ctlsrv_open(&o, &s) != 0)
        return 11;
    if (access(T.path, F_OK) == 0)
        return 12;
    if (getenv("LISTEN_PID") || getenv("LISTEN_FDS"))
        return 13;
    int err = 0;
    int fd = cli_try(real, &err);
    if (fd < 0 || send(fd, "status\n", 7, MSG_NOSIGNAL) != 7)
        return 14;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (int i = 0; i < WAIT_MS / 20 && poll(&p, 1, 0) == 0; i++)
        ctlsrv_run(s, 20);
    char buf[256];
    if (cli_line(fd, buf, sizeof buf) < 0 || strcmp(buf, OK_STATUS) != 0)
        return 15;
    close(fd);
    ctlsrv_close(s);
    if (access(real, F_OK) != 0)
        return 16; /* systemd's socket file was unlinked */
    return 0;
}

static int run_child(int (*fn)(const char *), const char *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
        _exit(fn(arg));
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "child died: %d", st);
    return WEXITSTATUS(st);
}

Test(ctlsrv, socket_activation)
{
    char real[160];
    snprintf(real, sizeof real, "%s/activated.sock", T.dir);
    int rc = run_child(activation_child, real);
    cr_assert_eq(rc, 0, "activation child failed at step %d", rc);
    unlink(real);
}

static int activation_bad_child(const char *real)
{
    int l = bind_at(real, false); /* bound but not listening */
    if (l != 3) {
        if (dup2(l, 3) != 3)
            return 10;
        close(l);
    }
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);
    ctlsrv_opts o = opts_default();
    ctlsrv *s = NULL;
    int rc = ctlsrv_open(&o, &s);
    return rc == -EINVAL && !s && access(T.path, F_OK) != 0 ? 0 : 11;
}

Test(ctlsrv, socket_activation_refuses_a_socket_not_listening)
{
    char real[160];
    snprintf(real, sizeof real, "%s/activated.sock", T.dir);
    cr_assert_eq(run_child(activation_bad_child, real), 0);
    unlink(real);
}

/* ---- out of file descriptors ---------------------------------------------- */

/* The server in a child with almost no fds left; the parent's clients go
 * past the limit. The child reports how many events it handled: a
 * listener spinning on EMFILE would report a huge number. */
static int emfile_child(int ctl, int result)
{
    ctlsrv_opts o = opts_default();
    ctlsrv *s = NULL;
    if (ctlsrv_open(&o, &s) != 0)
        return 10;
    int maxfd = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            maxfd = fd;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = (rlim_t)maxfd + 3; /* two more fds, plus any holes below */
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 11;
    if (write(result, "r", 1) != 1)
        return 12;
    long events = 0;
    struct pollfd p = {.fd = ctl, .events = POLLIN};
    while (poll(&p, 1, 0) == 0) {
        int n = ctlsrv_run(s, 50);
        if (n < 0)
            return 13;
        events += n;
    }
    ctlsrv_close(s);
    return write(result, &events, sizeof events) == sizeof events ? 0 : 14;
}

Test(ctlsrv, out_of_fds_does_not_spin)
{
    int ctl[2], res[2];
    cr_assert_eq(pipe(ctl), 0);
    cr_assert_eq(pipe(res), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(ctl[1]);
        close(res[0]);
        _exit(emfile_child(ctl[0], res[1]));
    }
    close(ctl[0]);
    close(res[1]);
    char r;
    cr_assert_eq(read(res[0], &r, 1), 1, "the server child failed to start");

    enum { N = 30 };
    int fds[N], served = 0, refused = 0, n = 0;
    for (; n < N && refused < 3; n++) {
        int i = n;
        fds[i] = cli();
        /* A refusal comes at once; a timeout also counts as one, so a
         * slow machine cannot fail the test, and a server that never
         * accepts again does not make it crawl. */
        struct timeval tv = {5, 0};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[256];
        if (send(fds[i], "status\n", 7, MSG_NOSIGNAL) == 7 &&
            cli_line(fds[i], buf, sizeof buf) > 0 && strcmp(buf, OK_STATUS) == 0)
            served++;
        else
            refused++;
    }
    cr_assert_geq(served, 1);
    cr_assert_geq(refused, 1, "the fd limit was never reached");
    sleep_ms(500); /* a spinning child would count events all this time */
    for (int i = 0; i < n; i++)
        close(fds[i]);
    /* The server recovers once fds come free. */
    bool ok = false;
    for (int i = 0; i < 100 && !ok; i++) {
        int fd = cli();
        char buf[256];
        ok = send(fd, "status\n", 7, MSG_NOSIGNAL) == 7 && cli_line(fd, buf, sizeof buf) > 0 &&
             strcmp(buf, OK_STATUS) == 0;
        close(fd);
        if (!ok)
            sleep_ms(50);
    }
    cr_assert(ok, "the server did not recover after fds came free");
    close(ctl[1]);
    long events = -1;
    cr_assert_eq(read(res[0], &events, sizeof events), (ssize_t)sizeof events);
    close(res[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    cr_assert_lt(events, 5000, "%ld events: the listener spun", events);
}
