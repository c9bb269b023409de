/* `claimctl stats` and `claimctl top`: read the daemon's counters from the
 * shared-memory segment (stats.h) without asking the daemon, so they answer
 * while the control socket is busy. Both turn a snapshot into the same JSON
 * the daemon's `stats` verb sends (stats_render_json), so one printer serves
 * the segment and the socket. */
#define _GNU_SOURCE
#include "claimctl.h"
#include "claimd/cbuf.h"
#include "claimd/error.h"
#include "claimd/stats.h"
#include "client.h"
#include "print.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOP_JOBS_TIMEOUT_MS 2000 /* a busy socket must not stall the refresh */
#define TOP_JOBS_ROWS       10
#define TOP_EDITS           10

/* One reading of the counters: the reply-shaped line and its tree. */
typedef struct reading {
    char *line;
    js_doc *doc;
    const js_node *root;
    double at; /* CLOCK_MONOTONIC seconds */
} reading;

static void reading_free(reading *r)
{
    js_free(r->doc);
    free(r->line);
    memset(r, 0, sizeof *r);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The segment beside sock as {"ok":true,...}. Returns 0 or -errno /
 * -CLAIMD_ESTATS_LAYOUT with the reason in err. */
static int read_segment(const char *sock, reading *out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    const stats_shm *s = NULL;
    int rc = stats_path_for(sock, path, sizeof path);
    if (rc == 0)
        rc = stats_open(path, &s);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s.stats: %s", sock, claimd_strerror(rc));
        return rc;
    }
    stats_snap *sn = malloc(sizeof *sn);
    if (!sn) {
        stats_close(s);
        return -ENOMEM;
    }
    stats_snapshot(s, sn);
    stats_close(s);
    cbuf b;
    cbuf_init(&b);
    cbuf_puts(&b, "{\"ok\":true,");
    stats_render_json(sn, &b);
    cbuf_putc(&b, '}');
    free(sn);
    rc = cbuf_error(&b);
    if (rc == 0)
        rc = js_parse(b.p, b.len, &out->doc);
    if (rc < 0) {
        snprintf(err, errlen, "cannot render the stats: %s", claimd_strerror(rc));
        cbuf_release(&b);
        return rc;
    }
    out->line = b.p;
    out->root = js_root(out->doc);
    out->at = mono_s();
    return 0;
}

/* The socket's `stats` verb. Returns 0, 1 for ok:false (message in err),
 * or -errno. */
static int read_socket(const char *sock, reading *out, char *err, size_t errlen)
{
    cc_reply r;
    int rc = cc_request(sock, "stats", NULL, CC_TIMEOUT_MS, &r, err, errlen);
    if (rc < 0)
        return rc;
    if (!r.ok) {
        snprintf(err, errlen, "%s", r.error);
        cc_reply_free(&r);
        return 1;
    }
    out->line = r.line;
    out->doc = r.doc;
    out->root = r.root;
    out->at = mono_s();
    return 0;
}

/* The segment, else the socket; 0, 1 (refused) or -errno. */
static int read_stats(const char *sock, reading *out, char *err, size_t errlen)
{
    char e1[512];
    memset(out, 0, sizeof *out);
    if (read_segment(sock, out, e1, sizeof e1) == 0)
        return 0;
    int rc = read_socket(sock, out, err, errlen);
    if (rc < 0) {
        char e2[512];
        snprintf(e2, sizeof e2, "%s", err);
        snprintf(err, errlen, "%s; %s", e1, e2);
    }
    return rc;
}

int cc_cmd_stats(const char *sock, bool json)
{
    reading r;
    char err[1100];
    int rc = read_stats(sock, &r, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "claimctl: ");
        pr_safe(stderr, err);
        fputc('\n', stderr);
        return rc > 0 ? CC_EXIT_REFUSED : CC_EXIT_CONNECT;
    }
    if (json)
        printf("%s\n", r.line);
    else
        pr_stats(stdout, r.root, time(NULL));
    reading_free(&r);
    return fflush(stdout) == 0 ? CC_EXIT_OK : CC_EXIT_CONNECT;
}

/* ---- top ------------------------------------------------------------------- */

static volatile sig_atomic_t top_stop;

static void on_sigint(int sig)
{
    (void)sig;
    top_stop = 1;
}

static uint64_t num(const js_node *o, const char *key)
{
    uint64_t v = 0;
    js_u64(js_get(o, key), &v);
    return v;
}

/* (cur - prev) / dt, or -1 without a previous reading or on a reset. */
static double rate(const reading *prev, const reading *cur, const char *key)
{
    if (!prev->root || cur->at <= prev->at || num(cur->root, key) < num(prev->root, key))
        return -1;
    return (double)(num(cur->root, key) - num(prev->root, key)) / (cur->at - prev->at);
}

static void top_header(const reading *cur, const reading *prev)
{
    const js_node *st = cur->root;
    char up[32] = "-", v[64] = "-", t[80] = "-", rate_b[32] = "-";
    uint64_t start = num(st, "start_unix");
    time_t now = time(NULL);
    if (start && (uint64_t)now >= start)
        pr_duration(up, sizeof up, (uint64_t)now - start);
    snprintf(v, sizeof v, "%s",
             js_str(js_get(st, "version")) ? js_str(js_get(st, "version")) : "-");
    snprintf(t, sizeof t, "%s", js_str(js_get(st, "tables")) ? js_str(js_get(st, "tables")) : "-");
    printf("claimd ");
    pr_safe(stdout, v);
    printf("  pid %" PRIu64 "  up %s  tables ", num(st, "pid"), up);
    pr_safe(stdout, t);
    const char *state = num(st, "draining") ? "draining" : num(st, "paused") ? "paused" : "running";
    printf("\nstate %s  intake %s  clients %" PRIu64 "  free disk %" PRIu64 " MiB\n", state,
           num(st, "intake_stopped") ? "stopped (low disk)" : "open", num(st, "clients"),
           num(st, "free_disk_mb"));
    double cps = rate(prev, cur, "claims_scrubbed"), bps = rate(prev, cur, "bytes_read");
    if (bps >= 0) {
        pr_bytes(rate_b, sizeof rate_b, bps);
        strcat(rate_b, "/s");
    }
    if (cps >= 0)
        printf("claims/s %.1f", cps);
    else
        printf("claims/s -");
    printf("  bytes/s %s  queue %" PRIu64 "/%" PRIu64 "  inbox %" PRIu64 "\n", rate_b,
           num(st, "queue_units"), num(st, "queue_cap"), num(st, "inbox_pending"));
    printf("jobs: queued %" PRIu64 "  running %" PRIu64 "  done %" PRIu64 "  failed %" PRIu64
           "  cancelled %" PRIu64 "\n",
           num(st, "jobs_queued"), num(st, "jobs_running"), num(st, "jobs_done"),
           num(st, "jobs_failed"), num(st, "jobs_cancelled"));
}

/* The thread named name in a previous reading's "threads", or NULL. */
static const js_node *prev_thread(const reading *prev, const char *name)
{
    const js_node *ts = js_get(prev->root, "threads");
    for (const js_node *t = js_is(ts, JS_ARR) ? ts->child : NULL; t && name; t = t->next)
        if (js_str(js_get(t, "name")) && !strcmp(js_str(js_get(t, "name")), name))
            return t;
    return NULL;
}

/* Busy % per thread: since the previous reading, or over the uptime. */
static void top_threads(const reading *cur, const reading *prev)
{
    const js_node *ts = js_get(cur->root, "threads");
    uint64_t start = num(cur->root, "start_unix");
    double up = start && (uint64_t)time(NULL) > start ? (double)((uint64_t)time(NULL) - start) : 0;
    printf("threads:");
    if (!js_is(ts, JS_ARR) || !ts->child)
        printf(" none");
    for (const js_node *t = js_is(ts, JS_ARR) ? ts->child : NULL; t; t = t->next) {
        const char *name = js_str(js_get(t, "name"));
        const js_node *p = prev_thread(prev, name);
        double busy = (double)num(t, "busy_ns") / 1e9, pct = up > 0 ? busy / up * 100 : 0;
        if (p && cur->at > prev->at && num(t, "busy_ns") >= num(p, "busy_ns"))
            pct =
                (double)(num(t, "busy_ns") - num(p, "busy_ns")) / 1e9 / (cur->at - prev->at) * 100;
        printf("  ");
        pr_safe(stdout, name ? name : "?");
        printf(" %.0f%%", pct);
    }
    printf("\n");
}

static void top_jobs(const char *sock, const char *state)
{
    cc_reply r;
    char err[512];
    if (cc_request(sock, "jobs", state, TOP_JOBS_TIMEOUT_MS, &r, err, sizeof err) < 0)
        return; /* the socket is unavailable: the segment's part is shown */
    if (r.ok) {
        printf("%s jobs:\n", state);
        pr_jobs(stdout, js_get(r.root, "jobs"), TOP_JOBS_ROWS);
    }
    cc_reply_free(&r);
}

static void top_screen(const char *sock, const reading *cur, const reading *prev, bool tty)
{
    if (tty)
        printf("\033[H\033[2J");
    top_header(cur, prev);
    printf("findings (top %d):\n", TOP_EDITS);
    pr_findings(stdout, js_get(cur->root, "edits"), TOP_EDITS);
    top_threads(cur, prev);
    top_jobs(sock, "running");
    top_jobs(sock, "queued");
    fflush(stdout);
}

static int top_args(int argc, char **argv, double *interval, long *iterations)
{
    for (int i = 0; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
            errno = 0;
            *interval = strtod(argv[++i], &end);
            if (errno || *end || end == argv[i] || !(*interval >= 0.05) || *interval > 86400)
                return -1;
        } else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            errno = 0;
            *iterations = strtol(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || *iterations < 1)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Sleeps s seconds or until SIGINT. */
static void top_sleep(double s)
{
    double until = mono_s() + s;
    while (!top_stop && mono_s() < until) {
        double left = until - mono_s();
        struct timespec ts = {.tv_sec = (time_t)left,
                              .tv_nsec = (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

int cc_cmd_top(const char *sock, int argc, char **argv)
{
    double interval = 2;
    long iterations = 0;
    if (top_args(argc, argv, &interval, &iterations) < 0) {
        fprintf(stderr, "claimctl: usage: claimctl top [--interval SECONDS (>= 0.05)] "
                        "[--iterations N]\n");
        return CC_EXIT_USAGE;
    }
    struct sigaction sa = {.sa_handler = on_sigint}; /* no SA_RESTART: sleeps end */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool tty = isatty(STDOUT_FILENO);
    reading prev = {0}, cur;
    int rc = CC_EXIT_OK;
    for (long n = 0; !top_stop && (!iterations || n < iterations); n++) {
        char err[1100];
        if (n)
            top_sleep(interval);
        if (top_stop)
            break;
        int r = read_stats(sock, &cur, err, sizeof err);
        if (r != 0 && !prev.root) { /* nothing to show yet: give up */
            fprintf(stderr, "claimctl: ");
            pr_safe(stderr, err);
            fputc('\n', stderr);
            rc = r > 0 ? CC_EXIT_REFUSED : CC_EXIT_CONNECT;
            break;
        }
        if (r != 0) { /* the daemon went away: say so, keep trying */
            if (tty)
                printf("\033[H\033[2J");
            printf("claimd unavailable: ");
            pr_safe(stdout, err);
            printf("\n");
            fflush(stdout);
            continue;
        }
        top_screen(sock, &cur, &prev, tty);
        reading_free(&prev);
        prev = cur;
    }
    reading_free(&prev);
    return rc;
}
