/* The load test: a daemon takes small jobs for a while (copies of
 * data/sample/sample.837, each with its own ISA13/IEA02 control number so
 * none is refused as a repeat; half submitted through the socket, half
 * renamed into the inbox) while 200 control clients loop over status, stats,
 * jobs and job ID. Then every job must end done, exactly once; the daemon
 * must still answer and exit 0 on SIGTERM; its RSS and open descriptors
 * after the run must be near their values after the warm-up (the same
 * number of descriptors within 5, once the clients are gone; the live heap,
 * jemalloc's stats.allocated, within 8 MiB: the leak check; anonymous RSS,
 * which also holds what the allocator keeps for reuse, within 64 MiB, or
 * CLAIMD_LOAD_RSS_MIB). Control latency p50/p99/max is printed.
 *
 *   CLAIMD_LOAD_SECONDS  how long jobs are submitted (default 20; 300 in tests/long.sh)
 *   CLAIMD_LOAD_CLIENTS  control clients (default 200)
 */
#define _GNU_SOURCE
#include "../daemon/runtime/journal.h"
#include "tu_daemon.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the daemon's footprint --------------------------------------------- */

static long rss_kib(pid_t pid)
{
    char *p = fmt("/proc/%d/status", (int)pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC); /* no size to seek to: read it */
    free(p);
    char t[8192];
    ssize_t n = fd >= 0 ? read(fd, t, sizeof t - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    t[n] = 0;
    /* anonymous memory only: the journal's and the tables' mapped file
     * pages grow with every job recorded and are the page cache's, not a
     * leak */
    const char *v = strstr(t, "RssAnon:");
    return v ? strtol(v + 8, NULL, 10) : -1;
}

/* The daemon's live heap in KiB (jemalloc's stats.allocated through the
 * memory verb), or -1 without jemalloc (sanitizer builds). Unlike RSS it
 * does not count what the allocator keeps for reuse, so it is the leak
 * check; RSS only gets a loose bound. */
static long live_kib(const dmn_t *d)
{
    char *r = req(d->sock, "memory");
    long v = -1;
    if (r && strstr(r, "\"allocator\":\"jemalloc\"")) {
        char *a = member(r, "allocated");
        v = a ? strtol(a, NULL, 10) / 1024 : -1;
        free(a);
    }
    free(r);
    return v;
}

static int nfds(pid_t pid)
{
    char *p = fmt("/proc/%d/fd", (int)pid);
    DIR *d = opendir(p);
    free(p);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ---- control clients ---------------------------------------------------- */

typedef struct clients {
    const char *sock;
    atomic_bool stop;
    pthread_mutex_t mu;
    char last_id[64]; /* a job id the clients ask about */
    double *lat;      /* latencies, seconds */
    size_t nlat, cap;
    atomic_long failed;
    char first_failure[512];
} clients;

/* One request without asserting (client threads): the reply line, heap. */
static char *client_req(const char *sock, const char *line)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char out[128];
    int n = snprintf(out, sizeof out, "%s\n", line);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || write(fd, out, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 14, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b)
                break;
            buf = b;
        }
        ssize_t k = read(fd, buf + len, cap - len - 1);
        if (k <= 0)
            break;
        len += (size_t)k;
        if (memchr(buf + len - (size_t)k, '\n', (size_t)k))
            break;
    }
    close(fd);
    buf[len] = 0;
    if (!strchr(buf, '\n')) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void *client_main(void *arg)
{
    clients *c = arg;
    double *lat = NULL;
    size_t n = 0, cap = 0;
    for (unsigned i = 0; !atomic_load(&c->stop); i++) {
        char line[96];
        switch (i % 4) {
        case 0:
            snprintf(line, sizeof line, "status");
            break;
        case 1:
            snprintf(line, sizeof line, "stats");
            break;
        case 2:
            snprintf(line, sizeof line, "jobs");
            break;
        default:
            pthread_mutex_lock(&c->mu);
            snprintf(line, sizeof line, "job %s", c->last_id);
            pthread_mutex_unlock(&c->mu);
        }
        if (strcmp(line, "job ") == 0)
            continue;
        double t0 = now_s();
        char *r = client_req(c->sock, line);
        double dt = now_s() - t0;
        if (!r || strncmp(r, "{\"ok\":true", 10) != 0) {
            if (atomic_fetch_add(&c->failed, 1) == 0)
                snprintf(c->first_failure, sizeof c->first_failure, "%s: %.200s", line,
                         r ? r : "(no reply)");
        }
        free(r);
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            double *l = realloc(lat, cap * sizeof *l);
            if (!l)
                break;
            lat = l;
        }
        lat[n++] = dt;
        usleep(20000); /* a client asks about 50 times a second at most */
    }
    pthread_mutex_lock(&c->mu);
    if (c->nlat + n > c->cap) {
        c->cap = (c->nlat + n) * 2;
        c->lat = realloc(c->lat, c->cap * sizeof *c->lat);
    }
    if (c->lat) {
        memcpy(c->lat + c->nlat, lat, n * sizeof *lat);
        c->nlat += n;
    }
    pthread_mutex_unlock(&c->mu);
    free(lat);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- jobs --------------------------------------------------------------- */

/* The sample with control number n in ISA13 and IEA02. */
static char *variant(const char *text, size_t len, unsigned n)
{
    char *t = malloc(len + 1);
    memcpy(t, text, len + 1);
    char num[16];
    snprintf(num, sizeof num, "%09u", n);
    for (char *p = t; (p = strstr(p, "000000101")) != NULL; p += 9)
        memcpy(p, num, 9);
    return t;
}

static void put_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* Submits job number n: even through the socket, odd through the inbox. */
static void submit_one(dmn_t *d, clients *c, const char *text, size_t len, unsigned n)
{
    char *t = variant(text, len, 100000 + n);
    if (n % 2 == 0) {
        char *p = fmt("%s/sock-%06u.837", d->dir, n);
        put_file(p, t, len);
        char *id = submit(d, p);
        pthread_mutex_lock(&c->mu);
        snprintf(c->last_id, sizeof c->last_id, "%s", id);
        pthread_mutex_unlock(&c->mu);
        free(id);
        free(p);
    } else {
        char *tmp = fmt("%s/inbox/.in-%06u.837.part", d->spool, n);
        char *dst = fmt("%s/inbox/in-%06u.837", d->spool, n);
        put_file(tmp, t, len);
        cr_assert_eq(rename(tmp, dst), 0);
        free(dst);
        free(tmp);
    }
    free(t);
}

/* Waits until n jobs are done (and none queued or running). */
static void wait_all(dmn_t *d, unsigned n, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        char *st = req(d->sock, "status");
        cr_assert_not_null(st, "the daemon does not answer");
        char *want = fmt("\"done\":%u,", n);
        bool all = strstr(st, want) && strstr(st, "\"queued\":0") && strstr(st, "\"running\":0");
        free(want);
        free(st);
        if (all)
            return;
        usleep(100000);
    }
    char *st = req(d->sock, "status");
    cr_assert_fail("%u jobs not all done in %d s: %s", n, seconds, st);
}

/* The journal, read once the daemon is gone: every submitted name in
 * exactly one job, and that job done. */
typedef struct seen {
    unsigned n, jobs, done;
    unsigned char *times; /* per submission index */
    bool stray;
} seen;

static int seen_one(void *ctx, const job_rec *r)
{
    seen *s = ctx;
    unsigned i;
    char kind[8];
    s->jobs++;
    s->done += r->state == JOB_DONE;
    if (sscanf(r->name, "%4[a-z]-%u.837", kind, &i) == 2 && i < s->n)
        s->times[i]++;
    else
        s->stray = true;
    return 0;
}

static void check_journal(const dmn_t *d, unsigned n)
{
    char *state = fmt("%s/state", d->spool);
    journal *j;
    cr_assert_eq(journal_open(state, &j), 0, "cannot open the journal after the run");
    seen s = {.n = n, .times = calloc(n ? n : 1, 1)};
    cr_assert_eq(journal_each(j, -1, 0, seen_one, &s), 0);
    journal_close(j);
    cr_assert_eq(s.jobs, n, "%u jobs journaled, %u submitted", s.jobs, n);
    cr_assert_eq(s.done, n, "%u of %u jobs done", s.done, n);
    cr_assert_not(s.stray, "a job of an unknown name");
    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(s.times[i], 1, "submission %u is in %u jobs", i, s.times[i]);
    free(s.times);
    free(state);
}

Test(load, jobs_and_200_clients, .timeout = 7200)
{
    need_bins();
    long seconds = env_long("CLAIMD_LOAD_SECONDS", 20);
    long nclients = env_long("CLAIMD_LOAD_CLIENTS", 200);
    long rss_bound = env_long("CLAIMD_LOAD_RSS_MIB", 64);
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *s = tu_sample_path();
    size_t len = 0;
    char *text = tu_slurp(s, &len);
    cr_assert(text && strstr(text, "000000101"), "the sample's ISA13 is not 000000101");
    clients c = {.sock = d.sock};
    pthread_mutex_init(&c.mu, NULL);
    /* warm-up: a few jobs each way, then the footprint without clients */
    unsigned n = 0;
    for (; n < 10; n++)
        submit_one(&d, &c, text, len, n);
    wait_all(&d, n, 120);
    long rss0 = rss_kib(d.pid);
    long live0 = live_kib(&d);
    int fd0 = nfds(d.pid);
    cr_assert(rss0 > 0 && fd0 > 0, "cannot read /proc/%d", (int)d.pid);
    pthread_t *t = calloc((size_t)nclients, sizeof *t);
    for (long i = 0; i < nclients; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, client_main, &c), 0);
    double t0 = now_s();
    while (now_s() - t0 < (double)seconds) {
        submit_one(&d, &c, text, len, n++);
        usleep(50000);
    }
    double sub_s = now_s() - t0;
    wait_all(&d, n, 600);
    double all_s = now_s() - t0;
    atomic_store(&c.stop, true);
    for (long i = 0; i < nclients; i++)
        pthread_join(t[i], NULL);
    char *inbox = fmt("%s/inbox", d.spool);
    DIR *ib = opendir(inbox);
    int left = 0;
    struct dirent *e;
    while (ib && (e = readdir(ib)))
        left += e->d_name[0] != '.';
    if (ib)
        closedir(ib);
    cr_assert_eq(left, 0, "files left in the inbox");
    /* the clients' sockets are closed by the daemon once it reads their EOF */
    int fd1 = nfds(d.pid);
    for (int i = 0; i < 50 && fd1 > fd0 + 5; i++) {
        usleep(100000);
        fd1 = nfds(d.pid);
    }
    long rss1 = rss_kib(d.pid);
    usleep(500000); /* the last replies' buffers are freed */
    long live1 = live_kib(&d);
    qsort(c.lat, c.nlat, sizeof *c.lat, cmp_double);
    double p50 = c.nlat ? c.lat[c.nlat / 2] : 0, p99 = c.nlat ? c.lat[c.nlat * 99 / 100] : 0;
    double mx = c.nlat ? c.lat[c.nlat - 1] : 0;
    fprintf(stderr,
            "load: %ld s of submissions (%.1f s), %u jobs (%u socket, %u inbox), all done after "
            "%.1f s (%.1f jobs/s)\n"
            "load: %ld clients, %zu requests (%.0f/s), %ld failed; latency p50 %.2f ms, p99 %.2f "
            "ms, max %.2f ms\n"
            "load: anonymous RSS %ld KiB after warm-up, %ld KiB after the run (%+ld KiB); fds %d "
            "-> %d\n",
            seconds, sub_s, n, (n + 1) / 2, n / 2, all_s, n / all_s, nclients, c.nlat,
            c.nlat / all_s, atomic_load(&c.failed), p50 * 1e3, p99 * 1e3, mx * 1e3, rss0, rss1,
            rss1 - rss0, fd0, fd1);
    cr_assert_eq(atomic_load(&c.failed), 0, "%ld requests failed; first: %s",
                 atomic_load(&c.failed), c.first_failure);
    cr_assert_gt(c.nlat, 0);
    cr_assert_leq(fd1, fd0 + 5, "open descriptors grew from %d to %d", fd0, fd1);
    cr_assert_lt(rss1 - rss0, rss_bound * 1024, "RSS grew by %ld KiB (bound %ld MiB)", rss1 - rss0,
                 rss_bound);
    if (live0 >= 0 && live1 >= 0) {
        fprintf(stderr, "load: live heap (jemalloc stats.allocated) %ld KiB -> %ld KiB\n", live0,
                live1);
        cr_assert_lt(live1 - live0, 8 * 1024, "the live heap grew by %ld KiB: a leak",
                     live1 - live0);
    }
    char *st = req(d.sock, "status");
    cr_assert(st && strstr(st, "\"ok\":true"), "status after the run: %s", st);
    cr_assert_eq(dmn_stop(&d), 0, "claimd did not exit 0 on SIGTERM");
    /* every job done exactly once, in the durable record */
    check_journal(&d, n);
    free(st);
    free(inbox);
    free(c.lat);
    free(t);
    free(text);
    free(s);
    dmn_free(&d);
}
