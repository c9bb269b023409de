/* Helpers for suites that run the built daemon end to end (daemon_test.c,
 * fault_test.c, killloop.c, loadtest.c): a daemon on a scratch spool, started
 * and stopped as a child, a raw control client, submitting and waiting for
 * jobs, and comparing a job's outputs with `claimd scrub`'s. They assert
 * with Criterion, so they run in the test's own thread only. */
#ifndef CLAIMD_TU_DAEMON_H
#define CLAIMD_TU_DAEMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tu_json.h"
#include "tu_proc.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- a daemon on a scratch spool ---------------------------------------- */

typedef struct dmn_t {
    char *dir, *sock, *spool, *cfgp, *log;
    pid_t pid;
    char **env; /* NULL or "NAME=VALUE" strings (NULL-terminated) set for the daemon */
} dmn_t;

static inline char *scratch(void)
{
    char t[] = "/tmp/claimd-daemon-XXXXXX";
    cr_assert_not_null(mkdtemp(t));
    return strdup(t);
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static inline char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static inline char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    cr_assert_neq(vasprintf(&s, f, ap), -1);
    va_end(ap);
    return s;
}

/* True when the config lines in text set key. */
static inline bool dmn_sets(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '='))
            return true;
    return false;
}

/* Writes DIR/claimd.conf for a daemon in dir: the test defaults below, each
 * unless the extra lines set it, then the extra lines. */
static inline void dmn_config(dmn_t *d, const char *extra)
{
    d->sock = fmt("%s/ctl.sock", d->dir);
    d->spool = fmt("%s/spool", d->dir);
    d->cfgp = fmt("%s/claimd.conf", d->dir);
    d->log = fmt("%s/daemon.log", d->dir);
    extra = extra ? extra : "";
    char *base[] = {fmt("spool = %s", d->spool),
                    fmt("socket = %s", d->sock),
                    fmt("audit_log = %s/audit.log", d->dir),
                    fmt("threads = 2"),
                    fmt("log_level = debug"),
                    fmt("min_free_disk_mb = 0"),
                    fmt("shutdown_grace_seconds = 20")};
    char *text = strdup("");
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        char key[64];
        sscanf(base[i], "%63s", key);
        if (!dmn_sets(extra, key)) {
            char *t = fmt("%s%s\n", text, base[i]);
            free(text);
            text = t;
        }
        free(base[i]);
    }
    char *all = fmt("%s%s", text, extra);
    write_file(d->cfgp, all);
    free(all);
    free(text);
}

static inline int dmn_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* One request, one reply line (heap, without its '\n'); NULL when the
 * daemon does not answer. */
static inline char *req(const char *sock, const char *line)
{
    int fd = dmn_connect(sock);
    if (fd < 0)
        return NULL;
    char *out = fmt("%s\n", line);
    ssize_t w = write(fd, out, strlen(out));
    free(out);
    if (w < 0) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (memchr(buf, '\n', len))
            break;
    }
    close(fd);
    buf[len] = 0;
    char *nl = strchr(buf, '\n');
    if (!nl) {
        free(buf);
        return NULL;
    }
    *nl = 0;
    cr_assert(tu_js_line_ok(buf), "not one JSON line: %s", buf);
    return buf;
}

/* The string member key of a reply (heap), or NULL. */
static inline char *member(const char *json, const char *key)
{
    char *k = fmt("\"%s\":", key);
    const char *p = strstr(json, k);
    free(k);
    if (!p)
        return NULL;
    p = strchr(p, ':') + 1;
    if (*p != '"') {
        size_t n = strcspn(p, ",}");
        return strndup(p, n);
    }
    p++;
    size_t n = strcspn(p, "\"");
    return strndup(p, n);
}

static inline void dmn_start(dmn_t *d)
{
    fflush(NULL);
    d->pid = fork();
    cr_assert_neq(d->pid, -1);
    if (d->pid == 0) {
        /* a test that fails (or is killed) must not leave its daemon running */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int e = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(e, 2);
        int o = open("/dev/null", O_WRONLY);
        dup2(o, 1);
        for (char **v = d->env; v && *v; v++)
            putenv(*v);
        execl(tu_bin("daemon/claimd"), "claimd", "--config", d->cfgp, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) {
        char *r = req(d->sock, "version");
        if (r) {
            free(r);
            return;
        }
        int st;
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            char *log = tu_slurp(d->log, NULL);
            cr_assert_fail("claimd exited at start: %s", log ? log : "");
        }
        usleep(50000);
    }
    cr_assert_fail("claimd does not answer on %s", d->sock);
}

/* SIGTERM, and the exit status. */
static inline int dmn_stop(dmn_t *d)
{
    if (d->pid <= 0)
        return 0;
    kill(d->pid, SIGTERM);
    int st;
    cr_assert_eq(waitpid(d->pid, &st, 0), d->pid);
    d->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void dmn_kill9(dmn_t *d)
{
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
}

static inline void dmn_new(dmn_t *d, const char *extra)
{
    memset(d, 0, sizeof *d);
    d->dir = scratch();
    dmn_config(d, extra);
}

static inline void dmn_free(dmn_t *d)
{
    if (d->pid > 0)
        dmn_kill9(d);
    tu_rm_rf(d->dir);
    free(d->dir);
    free(d->sock);
    free(d->spool);
    free(d->cfgp);
    free(d->log);
}

/* Submits path; returns the job id (heap). */
static inline char *submit(dmn_t *d, const char *path)
{
    char *line = fmt("submit %s", path);
    char *r = req(d->sock, line);
    free(line);
    cr_assert_not_null(r);
    cr_assert(strstr(r, "\"ok\":true"), "submit: %s", r);
    char *id = member(r, "job");
    free(r);
    cr_assert_not_null(id);
    return id;
}

/* Waits until job id ends; returns its reply (heap). */
static inline char *wait_job(dmn_t *d, const char *id, int seconds)
{
    char *line = fmt("job %s", id);
    for (int i = 0; i < seconds * 20; i++) {
        char *r = req(d->sock, line);
        cr_assert_not_null(r, "no reply to %s", line);
        char *st = member(r, "state");
        bool end = st && (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0 ||
                          strcmp(st, "cancelled") == 0);
        free(st);
        if (end) {
            free(line);
            return r;
        }
        free(r);
        usleep(50000);
    }
    cr_assert_fail("job %s did not end in %d s", id, seconds);
    return NULL;
}

/* Waits (up to about 10 s) until job id is running; false if it never was
 * seen running (it may have ended first). */
static inline bool wait_running(dmn_t *d, const char *id)
{
    char *line = fmt("job %s", id);
    bool running = false;
    for (int i = 0; i < 2000 && !running; i++) {
        char *r = req(d->sock, line);
        running = r && strstr(r, "\"state\":\"running\"") != NULL;
        free(r);
        if (!running)
            usleep(5000);
    }
    free(line);
    return running;
}

static inline void expect_state(const char *reply, const char *state)
{
    char *st = member(reply, "state");
    cr_assert(st && strcmp(st, state) == 0, "expected %s: %s", state, reply);
    free(st);
}

/* Every file of ref equals the one of the same name in out (and, with
 * private set, out's copy is not readable by others); what prefixes the
 * messages. Returns how many files were compared. */
static inline int same_dir_files(const char *ref, const char *out, bool private, const char *what)
{
    DIR *dd = opendir(ref);
    cr_assert_not_null(dd);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dd))) {
        if (e->d_name[0] == '.')
            continue;
        size_t la, lb;
        mode_t ma = 0, mb = 0;
        char *a = tu_read_file(ref, e->d_name, &la, &ma);
        char *b = tu_read_file(out, e->d_name, &lb, &mb);
        cr_assert_not_null(b, "%sno %s in %s", what, e->d_name, out);
        cr_assert(la == lb && memcmp(a, b, la) == 0, "%s%s differs from claimd scrub's", what,
                  e->d_name);
        if (private)
            cr_assert_eq(mb & 0027, 0, "%s%s is readable by others (%o)", what, e->d_name, mb);
        free(a);
        free(b);
        n++;
    }
    closedir(dd);
    cr_assert_geq(n, 4);
    return n;
}

/* claimd scrub --threads 1 of file into dir/ref; the files must equal
 * those in outdir. */
static inline void same_as_scrub(const char *dir, const char *file, const char *outdir)
{
    char *ref = fmt("%s/ref", dir);
    char *err = fmt("%s/ref.err", dir);
    const char *argv[] = {
        tu_bin("daemon/claimd"), "scrub", "--threads", "1", "--out", ref, file, NULL};
    cr_assert_eq(tu_exec(argv, NULL, err), 0);
    same_dir_files(ref, outdir, true, "the daemon's output: ");
    tu_rm_rf(ref);
    free(ref);
    free(err);
}

static inline char *gen_batch(const char *dir, const char *name, const char *claims,
                              const char *seed)
{
    char *out = fmt("%s/%s", dir, name);
    char *err = fmt("%s/gen.err", dir);
    const char *argv[] = {tu_bin("tools/claimgen/claimgen"),
                          "batch",
                          "--claims",
                          claims,
                          "--errors",
                          "0.05",
                          "--seed",
                          seed,
                          "--out",
                          out,
                          NULL};
    cr_assert_eq(tu_exec(argv, NULL, err), 0, "claimgen failed");
    free(err);
    return out;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A number from the environment, or def. */
static inline long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : def;
}

/* Entries in dir, hidden ones too (0 when it cannot be read). */
static inline int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Writes the bytes of src into the inbox as name (under a dot name first,
 * then renamed in, as a careful producer does). */
static inline void drop_in_inbox(const char *inbox, const char *src, const char *name)
{
    size_t len = 0;
    char *text = tu_slurp(src, &len);
    cr_assert_not_null(text, "cannot read %s", src);
    char *tmp = fmt("%s/.%s.part", inbox, name), *dst = fmt("%s/%s", inbox, name);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
    cr_assert_eq(rename(tmp, dst), 0);
    free(tmp);
    free(dst);
    free(text);
}

/* Waits until `jobs done` lists a job named name; returns that reply (heap)
 * or NULL after the given seconds. */
static inline char *wait_done_named(dmn_t *d, const char *name, int seconds)
{
    char *key = fmt("\"name\":\"%s\"", name);
    char *r = NULL;
    for (int i = 0; i < seconds * 20 && !r; i++) {
        char *j = req(d->sock, "jobs done");
        if (j && strstr(j, key))
            r = j;
        else
            free(j), usleep(50000);
    }
    free(key);
    return r;
}

static inline void need_bins(void)
{
    if (access(tu_bin("daemon/claimd"), X_OK) != 0 ||
        access(tu_bin("tools/claimgen/claimgen"), X_OK) != 0)
        cr_skip_test("claimd or claimgen is not built");
}

#endif
