/* stats_test: the shared-memory stats segment (stats.h): create and open,
 * sums over slots, slot names, full slots, concurrent writers against a
 * reader, the tables seqlock, JSON and Prometheus rendering, and the
 * segments a reader must refuse. */
#define _GNU_SOURCE
#include "claimd/edit.h"
#include "claimd/error.h"
#include "claimd/stats.h"
#include "tu_json.h"
#include "tu_proc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

static char dir[] = "/tmp/stats_test.XXXXXX";
static char path[600];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ctl.sock.stats", dir);
}

static void teardown(void)
{
    tu_rm_rf(dir);
}

TestSuite(stats, .init = setup, .fini = teardown);

Test(stats, path_for)
{
    char buf[32];
    cr_assert_eq(stats_path_for("/run/claimd/ctl.sock", buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "/run/claimd/ctl.sock.stats");
    cr_assert_eq(stats_path_for("/run/claimd/a-much-longer-socket.sock", buf, sizeof buf),
                 -ENAMETOOLONG);
}

Test(stats, create_open_snapshot)
{
    stats_shm *w;
    cr_assert_eq(stats_create(path, getgid(), &w), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    cr_assert_eq((size_t)st.st_size, sizeof(stats_shm));

    stats_slot *a = stats_slot_get(w, "walker");
    stats_slot *b = stats_slot_get(w, "worker0");
    cr_assert(a && b && a != b);
    cr_assert_eq(stats_slot_get(w, "walker"), a, "a name keeps its slot");
    stats_add(a, STATS_CLAIMS_READ, 10);
    stats_add(a, STATS_BYTES_READ, 1000);
    stats_add(b, STATS_CLAIMS_SCRUBBED, 7);
    stats_add(a, STATS_CLAIMS_SCRUBBED, 3);
    stats_add_edit(a, EDIT_NCCI_PTP, 2);
    stats_add_edit(b, EDIT_NCCI_PTP, 5);
    stats_add_edit(b, STATS_EDITS_MAX, 5); /* ignored */
    stats_set_gauge(w, STATS_JOBS_QUEUED, 4);
    stats_set_tables(w, "2025q1");

    const stats_shm *r;
    cr_assert_eq(stats_open(path, &r), 0);
    stats_snap *sn = malloc(sizeof *sn);
    stats_snapshot(r, sn);
    cr_assert_eq(sn->pid, getpid());
    cr_assert_str_eq(sn->tables, "2025q1");
    cr_assert_str_eq(sn->version, CLAIMD_VERSION);
    cr_assert_eq(sn->nedits, EDIT_COUNT);
    cr_assert_str_eq(sn->edit_name[EDIT_NCCI_PTP], "NCCI_PTP");
    cr_assert_eq(sn->total[STATS_CLAIMS_READ], 10);
    cr_assert_eq(sn->total[STATS_CLAIMS_SCRUBBED], 10);
    cr_assert_eq(sn->edits[EDIT_NCCI_PTP], 7);
    cr_assert_eq(sn->gauge[STATS_JOBS_QUEUED], 4);
    cr_assert_eq(sn->nslots, 2);
    cr_assert_str_eq(sn->slot[1].name, "worker0");
    cr_assert_eq(sn->slot[1].ctr[STATS_CLAIMS_SCRUBBED], 7);
    cr_assert_gt(sn->taken_ns, 0);
    free(sn);
    stats_close(r);
    stats_destroy(w, path);
    cr_assert_eq(access(path, F_OK), -1, "destroy with a path removes the file");
    stats_destroy(NULL, NULL);
    stats_close(NULL);
}

Test(stats, create_replaces_and_leaves_no_temp)
{
    stats_shm *w1, *w2;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w1), 0);
    stats_add(stats_slot_get(w1, "x"), STATS_FILES, 1);
    cr_assert_eq(stats_create(path, (gid_t)-1, &w2), 0);
    const stats_shm *r;
    cr_assert_eq(stats_open(path, &r), 0);
    stats_snap *sn = malloc(sizeof *sn);
    stats_snapshot(r, sn);
    cr_assert_eq(sn->nslots, 0, "the new segment starts empty");
    free(sn);
    stats_close(r);
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        files += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    cr_assert_eq(files, 1, "only the segment is left in the folder");
    stats_destroy(w1, NULL);
    stats_destroy(w2, path);
}

Test(stats, create_errors)
{
    stats_shm *w = NULL;
    cr_assert_eq(stats_create(NULL, (gid_t)-1, &w), -EINVAL);
    cr_assert_eq(stats_create("/nonexistent-dir/x.stats", (gid_t)-1, &w), -ENOENT);
    cr_assert_null(w);
}

Test(stats, slot_names)
{
    stats_shm *w;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w), 0);
    cr_assert_null(stats_slot_get(NULL, "a"));
    cr_assert_null(stats_slot_get(w, ""));
    cr_assert_null(stats_slot_get(w, "a-name-of-twenty-four-ch"), "too long");
    cr_assert_not_null(stats_slot_get(w, "a-name-of-twenty-three-"));
    stats_add(NULL, STATS_FILES, 1); /* no-ops */
    stats_add_edit(NULL, 0, 1);
    stats_set_gauge(NULL, STATS_PAUSED, 1);
    stats_set_tables(NULL, "x");
    stats_destroy(w, path);
}

Test(stats, full_slots)
{
    stats_shm *w;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w), 0);
    stats_slot *first = NULL;
    for (unsigned i = 0; i < STATS_SLOTS; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%u", i);
        stats_slot *sl = stats_slot_get(w, name);
        cr_assert_not_null(sl, "slot %u", i);
        if (!first)
            first = sl;
    }
    cr_assert_null(stats_slot_get(w, "one-too-many"));
    cr_assert_eq(stats_slot_get(w, "t0"), first, "existing names still resolve when full");
    stats_destroy(w, path);
}

#define WRITERS 4
#define ROUNDS  200000

typedef struct race {
    stats_shm *w;
    const stats_shm *r;
    atomic_int done;
    int bad;
    int snaps;
} race;

static void *writer(void *arg)
{
    race *rc = arg;
    static atomic_int next;
    char name[16];
    snprintf(name, sizeof name, "worker%d", atomic_fetch_add(&next, 1));
    stats_slot *sl = stats_slot_get(rc->w, name);
    for (int i = 0; i < ROUNDS && sl; i++) {
        stats_add(sl, STATS_CLAIMS_SCRUBBED, 1);
        stats_add_edit(sl, EDIT_DX_INVALID, 2);
        if (i % 1000 == 0)
            stats_set_tables(rc->w, i % 2000 ? "odd-version" : "even-version");
    }
    atomic_fetch_add(&rc->done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    race *rc = arg;
    stats_snap *sn = malloc(sizeof *sn);
    uint64_t last = 0, last_e = 0;
    for (;;) {
        int finished = atomic_load(&rc->done) == WRITERS;
        stats_snapshot(rc->r, sn);
        if (sn->total[STATS_CLAIMS_SCRUBBED] < last || sn->edits[EDIT_DX_INVALID] < last_e)
            rc->bad++;
        if (sn->tables[0] && strcmp(sn->tables, "odd-version") != 0 &&
            strcmp(sn->tables, "even-version") != 0)
            rc->bad++;
        last = sn->total[STATS_CLAIMS_SCRUBBED];
        last_e = sn->edits[EDIT_DX_INVALID];
        rc->snaps++;
        if (finished)
            break;
    }
    free(sn);
    return NULL;
}

Test(stats, concurrent_writers_and_reader)
{
    race rc = {0};
    cr_assert_eq(stats_create(path, (gid_t)-1, &rc.w), 0);
    cr_assert_eq(stats_open(path, &rc.r), 0);
    pthread_t t[WRITERS + 1];
    cr_assert_eq(pthread_create(&t[WRITERS], NULL, reader, &rc), 0);
    for (int i = 0; i < WRITERS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, writer, &rc), 0);
    for (int i = 0; i <= WRITERS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(rc.bad, 0, "%d snapshots went backwards or saw a torn tables name", rc.bad);
    cr_assert_gt(rc.snaps, 0);
    stats_snap *sn = malloc(sizeof *sn);
    stats_snapshot(rc.r, sn);
    cr_assert_eq(sn->nslots, WRITERS, "each writer has its own slot");
    cr_assert_eq(sn->total[STATS_CLAIMS_SCRUBBED], (uint64_t)WRITERS * ROUNDS);
    cr_assert_eq(sn->edits[EDIT_DX_INVALID], (uint64_t)WRITERS * ROUNDS * 2);
    free(sn);
    stats_close(rc.r);
    stats_destroy(rc.w, path);
}

/* Many threads asking for a few names at once: each name gets one slot. */
static void *claimer(void *arg)
{
    stats_shm *w = arg;
    for (int i = 0; i < 200; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i % 8);
        stats_add(stats_slot_get(w, name), STATS_FILES, 0);
    }
    return NULL;
}

Test(stats, concurrent_claims_share_names)
{
    stats_shm *w;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w), 0);
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        pthread_create(&t[i], NULL, claimer, w);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    stats_snap *sn = malloc(sizeof *sn);
    stats_snapshot(w, sn);
    cr_assert_eq(sn->nslots, 8);
    free(sn);
    stats_destroy(w, path);
}

static stats_snap *sample_snap(void)
{
    stats_shm *w;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w), 0);
    stats_slot *a = stats_slot_get(w, "walker");
    stats_slot *b = stats_slot_get(w, "worker0");
    stats_add(a, STATS_CLAIMS_READ, 12);
    stats_add(a, STATS_BUSY_NS, 1500000000);
    stats_add(b, STATS_BUSY_NS, 42);
    stats_add_edit(b, EDIT_MUE_UNITS, 3);
    stats_set_gauge(w, STATS_JOBS_RUNNING, 1);
    stats_set_gauge(w, STATS_CTL_REQUESTS, 9);
    stats_set_tables(w, "v\"1\\x");
    stats_snap *sn = malloc(sizeof *sn);
    stats_snapshot(w, sn);
    stats_destroy(w, path);
    return sn;
}

Test(stats, json)
{
    stats_snap *sn = sample_snap();
    cbuf b;
    cbuf_init(&b);
    cbuf_puts(&b, "{\"ok\":true,");
    cr_assert_eq(stats_render_json(sn, &b), 0);
    cbuf_putc(&b, '}');
    cr_assert(tu_js_line_ok(b.p), "%s", b.p);
    cr_assert_not_null(strstr(b.p, "\"claims_read\":12,"));
    cr_assert_not_null(strstr(b.p, "\"jobs_running\":1,"));
    cr_assert_not_null(strstr(b.p, "\"MUE_UNITS\":3"));
    cr_assert_not_null(strstr(b.p, "\"tables\":\"v\\\"1\\\\x\""));
    cr_assert_not_null(strstr(b.p, "\"threads\":[{\"name\":\"walker\","));
    cbuf_release(&b);

    /* An empty snapshot renders too. */
    memset(sn, 0, sizeof *sn);
    cbuf_init(&b);
    cbuf_putc(&b, '{');
    cr_assert_eq(stats_render_json(sn, &b), 0);
    cbuf_putc(&b, '}');
    cr_assert(tu_js_line_ok(b.p), "%s", b.p);
    cbuf_release(&b);
    free(sn);
}

/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static size_t name_len(const char *s)
{
    size_t n = 0;
    while (s[n] == '_' || s[n] == ':' || (s[n] >= 'a' && s[n] <= 'z') ||
           (s[n] >= 'A' && s[n] <= 'Z') || (n && s[n] >= '0' && s[n] <= '9'))
        n++;
    return n;
}

/* Labels `{k="v",...}` with escapes; returns the length, 0 if malformed. */
static size_t labels_len(const char *s)
{
    const char *p = s + 1;
    for (;;) {
        size_t k = name_len(p);
        if (!k || p[k] != '=' || p[k + 1] != '"')
            return 0;
        p += k + 2;
        while (*p != '"') {
            if (!*p || *p == '\n')
                return 0;
            if (*p == '\\' && !strchr("\\\"n", p[1]))
                return 0;
            p += *p == '\\' ? 2 : 1;
        }
        p++;
        if (*p == '}')
            return (size_t)(p + 1 - s);
        if (*p++ != ',')
            return 0;
    }
}

/* Checks the exposition line by line: comments are HELP or TYPE; every
 * sample's family has both before it; values are numbers. */
static void check_prom(const char *text)
{
    char help[64][64] = {0}, type[64][64] = {0};
    int nh = 0, nt = 0, samples = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "the text ends with a line end");
        char line[512];
        size_t n = (size_t)(nl - p);
        cr_assert_lt(n, sizeof line);
        memcpy(line, p, n);
        line[n] = 0;
        p = nl + 1;
        if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
            size_t k = name_len(line + 7);
            cr_assert(k > 0 && line[7 + k] == ' ', "%s", line);
            char(*dst)[64] = line[2] == 'H' ? help : type;
            int *cnt = line[2] == 'H' ? &nh : &nt;
            cr_assert_lt(*cnt, 64);
            snprintf(dst[(*cnt)++], 64, "%.*s", (int)k, line + 7);
            if (line[2] == 'T')
                cr_assert(strcmp(line + 8 + k, "counter") == 0 ||
                              strcmp(line + 8 + k, "gauge") == 0,
                          "%s", line);
            continue;
        }
        cr_assert_neq(line[0], '#', "unknown comment: %s", line);
        size_t k = name_len(line);
        cr_assert_gt(k, 0, "%s", line);
        bool found_h = false, found_t = false;
        for (int i = 0; i < nh; i++)
            found_h |= strlen(help[i]) == k && strncmp(help[i], line, k) == 0;
        for (int i = 0; i < nt; i++)
            found_t |= strlen(type[i]) == k && strncmp(type[i], line, k) == 0;
        cr_assert(found_h && found_t, "no HELP/TYPE before %s", line);
        size_t l = line[k] == '{' ? labels_len(line + k) : 0;
        cr_assert(line[k] != '{' || l > 0, "bad labels: %s", line);
        cr_assert_eq(line[k + l], ' ', "%s", line);
        char *end;
        strtod(line + k + l + 1, &end);
        cr_assert(end > line + k + l + 1 && *end == 0, "bad value: %s", line);
        samples++;
    }
    cr_assert_gt(samples, 0);
}

Test(stats, prometheus)
{
    stats_snap *sn = sample_snap();
    cbuf b;
    cbuf_init(&b);
    cr_assert_eq(stats_render_prom(sn, &b), 0);
    check_prom(b.p);
    cr_assert_not_null(strstr(b.p, "\nclaimd_claims_read_total 12\n"));
    cr_assert_not_null(strstr(b.p, "\nclaimd_jobs_running 1\n"));
    cr_assert_not_null(strstr(b.p, "\nclaimd_ctl_requests_total 9\n"));
    cr_assert_not_null(strstr(b.p, "\nclaimd_findings_total{edit=\"MUE_UNITS\"} 3\n"));
    cr_assert_not_null(strstr(b.p, "\nclaimd_thread_busy_seconds_total{thread=\"walker\"} "
                                   "1.500000000\n"));
    cr_assert_not_null(strstr(b.p, "tables=\"v\\\"1\\\\x\"} 1\n"), "label escaped: %s", b.p);
    cbuf_release(&b);
    free(sn);
}

static void write_file(const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

Test(stats, open_refuses)
{
    const stats_shm *r = NULL;
    cr_assert_eq(stats_open(path, &r), -ENOENT);
    cr_assert_eq(stats_open(dir, &r), -CLAIMD_ESTATS_LAYOUT, "a folder");
    cr_assert_eq(stats_open(NULL, &r), -EINVAL);

    stats_shm *w;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w), 0);
    stats_shm *copy = malloc(sizeof *copy);
    memcpy(copy, w, sizeof *copy);
    stats_destroy(w, path);

    write_file(copy, sizeof *copy - 1); /* short */
    cr_assert_eq(stats_open(path, &r), -CLAIMD_ESTATS_LAYOUT);
    write_file(copy, 0); /* empty */
    cr_assert_eq(stats_open(path, &r), -CLAIMD_ESTATS_LAYOUT);

    copy->layout = STATS_LAYOUT + 1;
    write_file(copy, sizeof *copy);
    cr_assert_eq(stats_open(path, &r), -CLAIMD_ESTATS_LAYOUT, "another layout");
    copy->layout = STATS_LAYOUT;
    copy->size = 12;
    write_file(copy, sizeof *copy);
    cr_assert_eq(stats_open(path, &r), -CLAIMD_ESTATS_LAYOUT, "another size");
    copy->size = sizeof *copy;
    copy->nedits = STATS_EDITS_MAX + 1;
    write_file(copy, sizeof *copy);
    cr_assert_eq(stats_open(path, &r), -CLAIMD_ESTATS_LAYOUT, "too many edits");
    copy->nedits = 1;
    copy->magic = 0;
    write_file(copy, sizeof *copy);
    cr_assert_eq(stats_open(path, &r), -CLAIMD_ESTATS_LAYOUT, "no magic (half made)");
    copy->magic = STATS_MAGIC;
    write_file(copy, sizeof *copy);
    cr_assert_eq(stats_open(path, &r), 0, "the intact copy opens");
    cr_assert_not_null(r);
    stats_close(r);
    free(copy);
}

/* A segment whose names lack their NULs still snapshots into C strings. */
Test(stats, snapshot_terminates_names)
{
    stats_shm *w;
    cr_assert_eq(stats_create(path, (gid_t)-1, &w), 0);
    stats_slot_get(w, "x");
    memset(w->slot[0].name, 'A', STATS_NAME_MAX);
    memset(w->version, 'B', sizeof w->version);
    memset(w->edit_name[0], 'C', STATS_NAME_MAX);
    stats_snap *sn = malloc(sizeof *sn);
    stats_snapshot(w, sn);
    cr_assert_eq(strlen(sn->slot[0].name), STATS_NAME_MAX - 1);
    cr_assert_eq(strlen(sn->version), sizeof sn->version - 1);
    cr_assert_eq(strlen(sn->edit_name[0]), STATS_NAME_MAX - 1);
    free(sn);
    stats_destroy(w, path);
}

Test(stats, names)
{
    for (unsigned c = 0; c < STATS_CTR_COUNT; c++)
        cr_assert_not_null(stats_ctr_name((stats_ctr)c));
    for (unsigned g = 0; g < STATS_GAUGE_COUNT; g++)
        cr_assert_not_null(stats_gauge_name((stats_gauge)g));
    cr_assert_null(stats_ctr_name(STATS_CTR_COUNT));
    cr_assert_null(stats_gauge_name(STATS_GAUGE_COUNT));
    cr_assert_str_eq(stats_ctr_name(STATS_CLAIMS_READ), "claims_read");
}
