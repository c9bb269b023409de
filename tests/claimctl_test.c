/* claimctl_test: the built claimctl against a fake daemon (a thread serving
 * canned replies on a temporary Unix socket and recording the requests):
 * --json pass-through, the readable tables and lists, argument quoting,
 * refusals, lost and broken connections, wait's exit codes, stats and top
 * from a stats segment; and claimctl's JSON reader on hostile input. */
#define _GNU_SOURCE
#include "../tools/claimctl/json.c"
#include "claimd/edit.h"
#include "claimd/stats.h"
#include "tu_json.h"
#include "tu_proc.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef enum fake_mode { FAKE_ANSWER, FAKE_CLOSE, FAKE_GARBAGE } fake_mode;

typedef struct fake {
    int lfd;
    pthread_t th;
    atomic_int stop;
    fake_mode mode;
    const char *garbage;     /* FAKE_GARBAGE: sent instead of a reply */
    const char *final_state; /* `job`: the state after final_after polls (NULL: never) */
    int final_after;
    atomic_int polls;
    pthread_mutex_t mu;
    char reqs[8192]; /* every request line, each ended by '\n' */
} fake;

static char dir[] = "/tmp/claimctl_test.XXXXXX";
static char sock[100];
static fake fk;

static const char *const STATUS =
    "{\"ok\":true,\"state\":\"running\",\"intake\":\"open\",\"pid\":42,\"uptime_s\":3725,"
    "\"version\":\"0.1.0\",\"tables\":\"2025q1\",\"threads\":4,\"jobs\":{\"queued\":1,"
    "\"running\":1,\"done\":7,\"failed\":0,\"cancelled\":2},\"running_job\":\"J2\","
    "\"free_disk_mb\":51200,\"clients\":1,\"extra\":[1,2]}";

static const char *const JOBS =
    "{\"ok\":true,\"jobs\":[{\"job\":\"J1\",\"state\":\"done\",\"name\":\"b.837\","
    "\"source\":\"inbox\",\"submitted\":\"2026-11-27T12:00:00Z\",\"started\":null,"
    "\"ended\":\"2026-11-27T12:01:00Z\",\"size\":100,\"claims\":1234,\"accepted\":1200,"
    "\"rejected\":34,\"tables\":\"2025q1\",\"attempts\":1,\"reason\":null,\"repeat_of\":null,"
    "\"outputs\":\"/srv/out/J1\"},{\"job\":\"J2-long-identifier\",\"state\":\"running\","
    "\"name\":\"x\\u001b[2J.837\",\"claims\":5}]}";

/* The canned reply to one request line (without its end). */
static void answer(const char *line, char *out, size_t cap)
{
    if (!strcmp(line, "status")) {
        snprintf(out, cap, "%s", STATUS);
    } else if (!strncmp(line, "jobs", 4)) {
        snprintf(out, cap, "%s", JOBS);
    } else if (!strncmp(line, "job ", 4)) {
        int n = atomic_fetch_add(&fk.polls, 1) + 1;
        const char *st = fk.final_state && n > fk.final_after ? fk.final_state : "running";
        if (!strcmp(line + 4, "nosuch"))
            snprintf(out, cap, "{\"ok\":false,\"error\":\"no job nosuch\"}");
        else
            snprintf(out, cap,
                     "{\"ok\":true,\"job\":\"%.64s\",\"state\":\"%s\",\"claims\":3,\"accepted\":2,"
                     "\"rejected\":1,\"reason\":%s}",
                     line + 4, st, !strcmp(st, "failed") ? "\"input is not X12\"" : "null");
    } else if (!strcmp(line, "submit /dup.837")) {
        snprintf(out, cap, "{\"ok\":false,\"error\":\"already submitted\",\"job\":\"J1\"}");
    } else if (!strncmp(line, "submit ", 7)) {
        snprintf(out, cap, "{\"ok\":true,\"job\":\"J9\",\"state\":\"queued\"}");
    } else if (!strcmp(line, "metrics")) {
        snprintf(out, cap,
                 "{\"ok\":true,\"metrics\":\"# HELP claimd_x X.\\n# TYPE claimd_x "
                 "gauge\\nclaimd_x 1\\n\"}");
    } else if (!strcmp(line, "stats")) {
        snprintf(out, cap,
                 "{\"ok\":true,\"pid\":42,\"claims_read\":77,\"edits\":{\"DX_INVALID\":5},"
                 "\"threads\":[]}");
    } else if (!strcmp(line, "pause")) {
        snprintf(out, cap, "{\"ok\":true,\"state\":\"paused\"}");
    } else if (!strcmp(line, "memory")) {
        snprintf(out, cap, "{\"ok\":true,\"allocator\":\"jemalloc\",\"allocated\":12582912}");
    } else {
        snprintf(out, cap, "{\"ok\":false,\"error\":\"unknown verb (send 'help')\"}");
    }
}

static void serve(int fd)
{
    char buf[8192];
    size_t len = 0;
    for (;;) {
        char *nl;
        while (!(nl = memchr(buf, '\n', len))) {
            ssize_t r = len < sizeof buf ? read(fd, buf + len, sizeof buf - len) : 0;
            if (r <= 0)
                return;
            len += (size_t)r;
        }
        *nl = 0;
        pthread_mutex_lock(&fk.mu);
        size_t used = strlen(fk.reqs);
        size_t add = strnlen(buf, sizeof fk.reqs - used - 2);
        memcpy(fk.reqs + used, buf, add);
        memcpy(fk.reqs + used + add, "\n", 2);
        pthread_mutex_unlock(&fk.mu);
        if (fk.mode == FAKE_CLOSE)
            return;
        char out[4096];
        if (fk.mode == FAKE_GARBAGE) {
            size_t gl = strnlen(fk.garbage, sizeof out - 2);
            memcpy(out, fk.garbage, gl);
            out[gl] = 0;
        } else {
            answer(buf, out, sizeof out - 1);
        }
        strcat(out, "\n");
        if (write(fd, out, strlen(out)) < 0)
            return;
        len -= (size_t)(nl + 1 - buf);
        memmove(buf, nl + 1, len);
    }
}

static void *fake_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&fk.stop)) {
        struct pollfd p = {.fd = fk.lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(fk.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        serve(fd);
        close(fd);
    }
    return NULL;
}

static void fake_start(fake_mode mode)
{
    fk.mode = mode;
    fk.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    cr_assert_eq(bind(fk.lfd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    cr_assert_eq(listen(fk.lfd, 8), 0);
    pthread_mutex_init(&fk.mu, NULL);
    cr_assert_eq(pthread_create(&fk.th, NULL, fake_main, NULL), 0);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    memset(&fk, 0, sizeof fk);
    fk.lfd = -1;
}

static void teardown(void)
{
    if (fk.lfd >= 0) {
        atomic_store(&fk.stop, 1);
        pthread_join(fk.th, NULL);
        close(fk.lfd);
    }
    tu_rm_rf(dir);
}

TestSuite(claimctl, .init = setup, .fini = teardown, .timeout = 120);

static char *out_text, *err_text;

/* Runs claimctl --socket SOCK with the NULL-terminated words; its output
 * lands in out_text and err_text. */
static int run_with(const char *socket_path, const char *w0, ...)
{
    const char *argv[16] = {tu_bin("tools/claimctl/claimctl"), "--socket", socket_path, w0};
    int n = w0 ? 4 : 3;
    va_list ap;
    va_start(ap, w0);
    for (const char *w; w0 && n < 15 && (w = va_arg(ap, const char *));)
        argv[n++] = w;
    va_end(ap);
    argv[n] = NULL;
    char *o = tu_path(dir, "out"), *e = tu_path(dir, "err");
    int rc = tu_exec(argv, o, e);
    free(out_text);
    free(err_text);
    out_text = tu_slurp(o, NULL);
    err_text = tu_slurp(e, NULL);
    cr_assert(out_text && err_text);
    free(o);
    free(e);
    return rc;
}

#define run(...) run_with(sock, __VA_ARGS__, NULL)

static const char *requests(void)
{
    return fk.reqs;
}

Test(claimctl, json_prints_replies_unchanged)
{
    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("--json", "status"), 0);
    char want[2048];
    snprintf(want, sizeof want, "%s\n", STATUS);
    cr_assert_str_eq(out_text, want);
    cr_assert_eq(run("--json", "frobnicate"), 1, "ok:false exits 1");
    cr_assert_str_eq(out_text, "{\"ok\":false,\"error\":\"unknown verb (send 'help')\"}\n");
    cr_assert_eq(run("--json", "jobs", "running"), 0);
    cr_assert(tu_js_line_ok(strtok(out_text, "\n")));
    cr_assert_str_eq(requests(), "status\nfrobnicate\njobs running\n");
}

/* The column of word in line, or -1. */
static int col_of(const char *line, const char *word)
{
    const char *p = strstr(line, word);
    return p ? (int)(p - line) : -1;
}

Test(claimctl, jobs_table)
{
    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("jobs"), 0, "%s", err_text);
    char *l0 = strtok(out_text, "\n"), *l1 = strtok(NULL, "\n"), *l2 = strtok(NULL, "\n");
    cr_assert(l0 && l1 && l2);
    cr_assert_null(strtok(NULL, "\n"));
    const char *heads[] = {"ID",       "STATE",     "NAME",  "CLAIMS", "ACCEPTED",
                           "REJECTED", "SUBMITTED", "ENDED", "REASON"};
    int last = -1;
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        int c = col_of(l0, heads[i]);
        cr_assert_gt(c, last, "%s in order: %s", heads[i], l0);
        last = c;
    }
    cr_assert_eq(col_of(l1, "done"), col_of(l0, "STATE"), "aligned:\n%s\n%s", l0, l1);
    cr_assert_eq(col_of(l2, "running"), col_of(l0, "STATE"), "aligned:\n%s\n%s", l0, l2);
    cr_assert_eq(col_of(l1, "b.837"), col_of(l0, "NAME"));
    /* Numbers right-aligned under their heading's end. */
    cr_assert_eq(col_of(l1, "1234") + 4, col_of(l0, "CLAIMS") + 6, "\n%s\n%s", l0, l1);
    cr_assert_not_null(strstr(l2, "x?[2J.837"), "control bytes neutralised: %s", l2);
    cr_assert_null(strchr(out_text, '\033'));
}

Test(claimctl, status_and_key_values)
{
    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("status"), 0, "%s", err_text);
    cr_assert_not_null(strstr(out_text, "state:"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "running\n"));
    cr_assert_not_null(strstr(out_text, "queued=1 running=1 done=7 failed=0 cancelled=2"));
    cr_assert_not_null(strstr(out_text, "3725 (1h02m05s)"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "extra:"), "unknown members listed: %s", out_text);
    cr_assert_null(strstr(out_text, "ok:"));
    /* Keys aligned: every value starts in the same column. */
    int c = -1;
    for (char *l = strtok(out_text, "\n"); l; l = strtok(NULL, "\n")) {
        char *v = strchr(l, ':');
        int vc = (int)(v - l) + 1;
        while (l[vc] == ' ')
            vc++;
        cr_assert(c < 0 || vc == c, "value column %d, want %d: %s", vc, c, l);
        c = vc;
    }
    cr_assert_eq(run("memory"), 0);
    cr_assert_not_null(strstr(out_text, "12582912 (12.0 MiB)"), "%s", out_text);
    cr_assert_eq(run("pause"), 0);
    cr_assert_str_eq(out_text, "state: paused\n");
    cr_assert_eq(run("metrics"), 0);
    cr_assert_str_eq(out_text, "# HELP claimd_x X.\n# TYPE claimd_x gauge\nclaimd_x 1\n");
}

Test(claimctl, quoting)
{
    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("submit", "/srv/drop/batch 7.837"), 0);
    cr_assert_str_eq(out_text, "job J9 queued\n");
    cr_assert_eq(run("submit", "/srv/a\"b\\c.837"), 0);
    cr_assert_eq(run("submit", "/srv/plain\\x.837"), 0);
    cr_assert_eq(run("submit", "/srv/tab\there"), 0);
    cr_assert_str_eq(requests(), "submit \"/srv/drop/batch 7.837\"\n"
                                 "submit \"/srv/a\\\"b\\\\c.837\"\n"
                                 "submit /srv/plain\\x.837\n"
                                 "submit \"/srv/tab\there\"\n");
    cr_assert_eq(run("submit", "/srv/new\nline"), 2, "a line break cannot be sent");
    cr_assert_eq(run("submit", "/a", "/b"), 2);
}

Test(claimctl, refused)
{
    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("submit", "/dup.837"), 1);
    cr_assert_str_eq(out_text, "");
    cr_assert_str_eq(err_text, "claimctl: already submitted (job J1)\n");
}

Test(claimctl, usage)
{
    cr_assert_eq(run_with(sock, NULL), 2);
    cr_assert_not_null(strstr(err_text, "usage:"));
    cr_assert_not_null(strstr(err_text, "6 wait timed out"));
    cr_assert_eq(run("--bogus", "status"), 2);
    cr_assert_eq(run("wait"), 2);
    cr_assert_eq(run("wait", "--timeout", "x", "J1"), 2);
    cr_assert_eq(run("top", "--interval", "0"), 2);
    cr_assert_eq(run("top", "--iterations", "-1"), 2);
}

Test(claimctl, no_socket)
{
    cr_assert_eq(run("status"), 3);
    cr_assert_not_null(strstr(err_text, "claimctl: cannot connect to"), "%s", err_text);
    char longp[300];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    cr_assert_eq(run_with(longp, "status", NULL), 3);
}

Test(claimctl, closed_without_reply)
{
    fake_start(FAKE_CLOSE);
    cr_assert_eq(run("status"), 3);
    cr_assert_not_null(strstr(err_text, "closed without a reply"), "%s", err_text);
}

static void garbage(const char *g)
{
    fk.garbage = g;
    cr_assert_eq(run("status"), 3, "reply: %.60s", g);
    cr_assert_not_null(strstr(err_text, "bad reply"), "%s", err_text);
    cr_assert_eq(run("--json", "status"), 3);
}

Test(claimctl, malformed_replies)
{
    fake_start(FAKE_GARBAGE);
    garbage("{\"ok\":tru");
    garbage("[1,2]");
    garbage("{\"ok\":1}");
    garbage("{\"ok\":true,}");
    garbage("{\"ok\":true} x");
    garbage("\"\\ud800");
    garbage("");
    static char deep[3000];
    memset(deep, '[', 2999);
    garbage(deep);
}

Test(claimctl, wait_exit_codes)
{
    fake_start(FAKE_ANSWER);
    fk.final_state = "done";
    fk.final_after = 2;
    cr_assert_eq(run("wait", "J1"), 0, "%s", err_text);
    cr_assert_str_eq(out_text, "job J1 done (claims 3, accepted 2, rejected 1)\n");
    cr_assert_geq(atomic_load(&fk.polls), 3);

    atomic_store(&fk.polls, 0);
    fk.final_state = "failed";
    cr_assert_eq(run("wait", "--timeout", "60", "J2"), 4);
    cr_assert_not_null(strstr(out_text, "job J2 failed"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, ": input is not X12"));

    atomic_store(&fk.polls, 0);
    fk.final_state = "cancelled";
    cr_assert_eq(run("--json", "wait", "J3"), 5);
    cr_assert(tu_js_line_ok(strtok(out_text, "\n")));

    fk.final_state = NULL;
    cr_assert_eq(run("wait", "--timeout", "0.5", "J4"), 6);
    cr_assert_not_null(strstr(err_text, "timed out waiting for job J4 (state running)"), "%s",
                       err_text);
    cr_assert_eq(run("wait", "nosuch"), 1);
}

Test(claimctl, wait_without_daemon)
{
    cr_assert_eq(run("wait", "J1"), 3);
}

static stats_shm *make_segment(void)
{
    char p[300];
    stats_shm *w;
    cr_assert_eq(stats_path_for(sock, p, sizeof p), 0);
    cr_assert_eq(stats_create(p, (gid_t)-1, &w), 0);
    stats_slot *a = stats_slot_get(w, "walker"), *b = stats_slot_get(w, "worker0");
    stats_add(a, STATS_CLAIMS_READ, 4321);
    stats_add(b, STATS_CLAIMS_SCRUBBED, 4000);
    stats_add(b, STATS_BUSY_NS, 2000000000);
    stats_add_edit(b, EDIT_NCCI_PTP, 9);
    stats_add_edit(a, EDIT_DX_INVALID, 30);
    stats_set_gauge(w, STATS_JOBS_DONE, 6);
    stats_set_tables(w, "2025q1");
    return w;
}

Test(claimctl, stats_from_segment)
{
    stats_shm *w = make_segment(); /* no server: the segment alone answers */
    cr_assert_eq(run("stats"), 0, "%s", err_text);
    cr_assert_not_null(strstr(out_text, "tables 2025q1"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "claims_read"));
    cr_assert_not_null(strstr(out_text, "4321"));
    const char *dx = strstr(out_text, "DX_INVALID"), *ncci = strstr(out_text, "NCCI_PTP");
    cr_assert(dx && ncci && dx < ncci, "findings sorted by count:\n%s", out_text);
    cr_assert_not_null(strstr(out_text, "worker0"));
    cr_assert_eq(run("--json", "stats"), 0);
    cr_assert(tu_js_line_ok(strtok(out_text, "\n")), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "\"claims_read\":4321"));
    stats_destroy(w, NULL);
}

Test(claimctl, stats_falls_back_to_socket)
{
    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("stats"), 0, "%s", err_text);
    cr_assert_not_null(strstr(out_text, "77"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "DX_INVALID"));
    cr_assert_str_eq(requests(), "stats\n");
}

Test(claimctl, stats_nothing_to_read)
{
    cr_assert_eq(run("stats"), 3);
    cr_assert_not_null(strstr(err_text, ".stats"), "%s", err_text);
}

static int count_lines_starting(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    }
    return n;
}

Test(claimctl, top_iterations)
{
    stats_shm *w = make_segment();
    cr_assert_eq(run("top", "--interval", "0.1", "--iterations", "2"), 0, "%s", err_text);
    cr_assert_eq(count_lines_starting(out_text, "claimd "), 2, "%s", out_text);
    cr_assert_null(strchr(out_text, '\033'), "no screen clearing when not a tty");
    cr_assert_not_null(strstr(out_text, "DX_INVALID"));
    cr_assert_not_null(strstr(out_text, "claims/s"));
    cr_assert_null(strstr(out_text, "running jobs:"), "no socket: no job lists");

    fake_start(FAKE_ANSWER);
    cr_assert_eq(run("top", "--interval", "0.1", "--iterations", "1"), 0, "%s", err_text);
    cr_assert_not_null(strstr(out_text, "running jobs:"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "J2-long-identifier"));
    cr_assert_not_null(strstr(requests(), "jobs running\njobs queued\n"));
    stats_destroy(w, NULL);
}

Test(claimctl, top_without_anything)
{
    cr_assert_eq(run("top", "--iterations", "1"), 3);
}

/* ---- the JSON reader ------------------------------------------------------ */

Test(claimctl, json_reader)
{
    const char *t = "{\"a\":[1,-2.5e3,true,false,null],\"s\":\"x\\u00e9\\ud83d\\ude00\\n\","
                    "\"n\":{\"big\":18446744073709551615,\"over\":18446744073709551616}}";
    js_doc *d;
    cr_assert_eq(js_parse(t, strlen(t), &d), 0);
    const js_node *r = js_root(d);
    cr_assert_eq(js_get(r, "a")->count, 5);
    double v;
    cr_assert(js_num(js_get(r, "a")->child->next, &v) && v == -2500);
    cr_assert_str_eq(js_str(js_get(r, "s")), "x\xc3\xa9\xf0\x9f\x98\x80\n");
    uint64_t u;
    cr_assert(js_u64(js_get(js_get(r, "n"), "big"), &u) && u == UINT64_MAX);
    cr_assert(!js_u64(js_get(js_get(r, "n"), "over"), &u));
    cr_assert_null(js_get(js_get(r, "zz"), "x"), "getters take NULL");
    cr_assert_null(js_str(js_get(r, "a")));
    js_free(d);
    js_free(NULL);
}

Test(claimctl, json_reader_refuses)
{
    const char *bad[] = {"",         " ",         "{",          "{\"a\"}", "{\"a\":}",
                         "[1,]",     "01",        "1.",         "-",       "1e",
                         "\"\\x\"",  "\"\\u12\"", "tru",        "nul",     "{} {}",
                         "\"a\nb\"", "[\"a\"",    "{\"a\":1,}", "{1:2}",   "\"\\ud800"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        js_doc *d = NULL;
        cr_assert_lt(js_parse(bad[i], strlen(bad[i]), &d), 0, "accepted: %s", bad[i]);
        cr_assert_null(d);
    }
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    js_doc *d;
    cr_assert_eq(js_parse(deep, 200, &d), -E2BIG);
    cr_assert_eq(js_parse(deep + 100 - JS_MAX_DEPTH, 2 * JS_MAX_DEPTH, &d), 0);
    js_free(d);
}

/* Every prefix and every one-byte change of a reply parses or fails cleanly
 * (ASan and UBSan watch this in the sanitizer build). */
Test(claimctl, json_reader_mutations)
{
    size_t n = strlen(JOBS);
    char *buf = malloc(n);
    static const char subst[] = "{}[]\",:\\u0e-+. \x01\xff";
    for (size_t len = 0; len <= n; len++) {
        js_doc *d = NULL;
        memcpy(buf, JOBS, len); /* no NUL: the parser must respect len */
        if (js_parse(buf, len, &d) == 0)
            js_free(d);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof subst - 1; k++) {
            memcpy(buf, JOBS, n);
            buf[i] = subst[k];
            js_doc *d = NULL;
            if (js_parse(buf, n, &d) == 0) {
                js_get(js_root(d), "jobs");
                js_free(d);
            }
        }
    }
    free(buf);
}
