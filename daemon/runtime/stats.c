/* stats_: the shared-memory stats segment (include/claimd/stats.h).
 *
 * Concurrency, in one place:
 *   - counters: one writing thread per slot, relaxed (stats.h);
 *   - slot names: published by nslots_used. A thread claiming a slot sets
 *     SLOTS_LOCK in nslots_used (CAS), writes the name of slot n, then
 *     stores n + 1 with release (which also clears the lock). Readers load
 *     nslots_used with acquire and read only the names below it, so they
 *     never see a half-written name;
 *   - tables[]: a seqlock (tables_seq odd while written), bytes copied with
 *     relaxed atomic accesses so the race is a benign, defined one;
 *   - the header: written before the file is renamed into place, so a
 *     reader never maps a half-made segment.
 */
#define _GNU_SOURCE
#include "claimd/stats.h"

#include "claimd/edit.h"
#include "claimd/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef CLAIMD_VERSION
#define CLAIMD_VERSION "0"
#endif

_Static_assert(EDIT_COUNT <= STATS_EDITS_MAX, "STATS_EDITS_MAX must hold every edit");
/* NOLINTNEXTLINE(bugprone-sizeof-expression): a compile-time bound, meant */
_Static_assert(sizeof(stats_shm) <= UINT32_MAX, "stats_shm.size is 32 bits");

#define SLOTS_LOCK UINT32_C(0x80000000) /* in nslots_used: a slot is being claimed */
#define SEQ_TRIES  10000                /* seqlock reads before giving up (a dead writer) */

static const char *const ctr_names[STATS_CTR_COUNT] = {
    [STATS_CLAIMS_READ] = "claims_read",
    [STATS_BYTES_READ] = "bytes_read",
    [STATS_CLAIMS_SCRUBBED] = "claims_scrubbed",
    [STATS_ACCEPTED] = "claims_accepted",
    [STATS_REJECTED] = "claims_rejected",
    [STATS_TXN_REJECTED] = "txn_rejected",
    [STATS_BUSY_NS] = "busy_ns",
    [STATS_FILES] = "files_scrubbed",
};

static const char *const ctr_help[STATS_CTR_COUNT] = {
    [STATS_CLAIMS_READ] = "Claims read from inputs.",
    [STATS_BYTES_READ] = "Input bytes walked.",
    [STATS_CLAIMS_SCRUBBED] = "Claims edited and priced.",
    [STATS_ACCEPTED] = "Claims accepted.",
    [STATS_REJECTED] = "Claims rejected.",
    [STATS_TXN_REJECTED] = "Transactions rejected by the 999.",
    [STATS_BUSY_NS] = "Seconds the pipeline threads spent working.",
    [STATS_FILES] = "Input files scrubbed (jobs run).",
};

static const char *const gauge_names[STATS_GAUGE_COUNT] = {
    [STATS_JOBS_QUEUED] = "jobs_queued",
    [STATS_JOBS_RUNNING] = "jobs_running",
    [STATS_JOBS_DONE] = "jobs_done",
    [STATS_JOBS_FAILED] = "jobs_failed",
    [STATS_JOBS_CANCELLED] = "jobs_cancelled",
    [STATS_QUEUE_UNITS] = "queue_units",
    [STATS_QUEUE_CAP] = "queue_cap",
    [STATS_INBOX_PENDING] = "inbox_pending",
    [STATS_PAUSED] = "paused",
    [STATS_DRAINING] = "draining",
    [STATS_INTAKE_STOPPED] = "intake_stopped",
    [STATS_FREE_DISK_MB] = "free_disk_mb",
    [STATS_THREADS] = "pipeline_threads",
    [STATS_CLIENTS] = "clients",
    [STATS_CTL_REQUESTS] = "ctl_requests",
};

static const char *const gauge_help[STATS_GAUGE_COUNT] = {
    [STATS_JOBS_QUEUED] = "Jobs queued.",
    [STATS_JOBS_RUNNING] = "Jobs running.",
    [STATS_JOBS_DONE] = "Jobs done (in the journal).",
    [STATS_JOBS_FAILED] = "Jobs failed (in the journal).",
    [STATS_JOBS_CANCELLED] = "Jobs cancelled (in the journal).",
    [STATS_QUEUE_UNITS] = "Pipeline work units in flight.",
    [STATS_QUEUE_CAP] = "Pipeline work units the queue can hold.",
    [STATS_INBOX_PENDING] = "Files in the inbox waiting for intake.",
    [STATS_PAUSED] = "1 when paused.",
    [STATS_DRAINING] = "1 when draining or stopping.",
    [STATS_INTAKE_STOPPED] = "1 when intake is stopped for low disk.",
    [STATS_FREE_DISK_MB] = "Free space of the spool in MiB at the last check.",
    [STATS_THREADS] = "Pipeline threads of the current configuration.",
    [STATS_CLIENTS] = "Control connections open.",
    [STATS_CTL_REQUESTS] = "Control requests answered.",
};

int stats_path_for(const char *socket_path, char *buf, size_t cap)
{
    if (!socket_path || !buf)
        return -EINVAL;
    int n = snprintf(buf, cap, "%s.stats", socket_path);
    if (n < 0 || (size_t)n >= cap)
        return -ENAMETOOLONG;
    return 0;
}

const char *stats_ctr_name(stats_ctr c)
{
    return (unsigned)c < STATS_CTR_COUNT ? ctr_names[c] : NULL;
}

const char *stats_gauge_name(stats_gauge g)
{
    return (unsigned)g < STATS_GAUGE_COUNT ? gauge_names[g] : NULL;
}

/* Copies s into dst[cap], cut and always NUL-terminated. */
static void copy_name(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    memset(dst + n, 0, cap - n);
}

static void fill_header(stats_shm *s)
{
    size_t n = 0;
    const edit_def *cat = edit_catalogue(&n);
    if (n > STATS_EDITS_MAX)
        n = STATS_EDITS_MAX;
    s->layout = STATS_LAYOUT;
    s->size = (uint32_t)sizeof(stats_shm);
    s->nslots = STATS_SLOTS;
    s->nedits = (uint32_t)n;
    s->pid = (int32_t)getpid();
    s->start_unix = (int64_t)time(NULL);
    copy_name(s->version, sizeof s->version, CLAIMD_VERSION);
    for (size_t i = 0; i < n; i++)
        copy_name(s->edit_name[i], STATS_NAME_MAX, cat[i].name);
    /* Everything else is zero from ftruncate. The magic goes last. */
    atomic_thread_fence(memory_order_release);
    __atomic_store_n(&s->magic, STATS_MAGIC, __ATOMIC_RELEASE);
}

/* "DIR/.NAME.XXXXXX" for path "DIR/NAME": same folder, so rename is atomic. */
static int temp_name(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    int n = snprintf(buf, cap, "%.*s.%s.XXXXXX", (int)dir, path, path + dir);
    if (n < 0 || (size_t)n >= cap)
        return -ENAMETOOLONG;
    return 0;
}

int stats_create(const char *path, gid_t gid, stats_shm **out)
{
    char tmp[PATH_MAX];
    if (!path || !*path || !out)
        return -EINVAL;
    int rc = temp_name(path, tmp, sizeof tmp);
    if (rc < 0)
        return rc;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    stats_shm *s = MAP_FAILED;
    if (ftruncate(fd, (off_t)sizeof(stats_shm)) != 0)
        goto fail_errno;
    s = mmap(NULL, sizeof(stats_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (s == MAP_FAILED)
        goto fail_errno;
    fill_header(s);
    if (fchmod(fd, 0640) != 0)
        goto fail_errno;
    if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0)
        goto fail_errno;
    if (rename(tmp, path) != 0)
        goto fail_errno;
    close(fd);
    *out = s;
    return 0;

fail_errno:
    rc = -errno;
    if (s != MAP_FAILED)
        munmap(s, sizeof(stats_shm));
    unlink(tmp);
    close(fd);
    return rc;
}

void stats_destroy(stats_shm *s, const char *unlink_path)
{
    if (!s)
        return;
    munmap(s, sizeof(stats_shm));
    if (unlink_path)
        unlink(unlink_path);
}

/* The slot among the first n named name, or NULL. */
static stats_slot *find_slot(stats_shm *s, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n && i < STATS_SLOTS; i++)
        if (strncmp(s->slot[i].name, name, STATS_NAME_MAX) == 0)
            return &s->slot[i];
    return NULL;
}

stats_slot *stats_slot_get(stats_shm *s, const char *name)
{
    if (!s || !name || !*name || strlen(name) >= STATS_NAME_MAX)
        return NULL;
    for (;;) {
        uint32_t n = atomic_load_explicit(&s->nslots_used, memory_order_acquire);
        stats_slot *sl = find_slot(s, n & ~SLOTS_LOCK, name);
        if (sl)
            return sl;
        if (n & SLOTS_LOCK) { /* another thread is naming slot n: wait for it */
            sched_yield();
            continue;
        }
        if (n >= STATS_SLOTS)
            return NULL;
        if (!atomic_compare_exchange_weak_explicit(&s->nslots_used, &n, n | SLOTS_LOCK,
                                                   memory_order_acquire, memory_order_relaxed))
            continue;
        sl = &s->slot[n];
        copy_name(sl->name, STATS_NAME_MAX, name);
        atomic_store_explicit(&s->nslots_used, n + 1, memory_order_release);
        return sl;
    }
}

void stats_set_tables(stats_shm *s, const char *name)
{
    if (!s)
        return;
    if (!name)
        name = "";
    uint32_t seq = atomic_load_explicit(&s->tables_seq, memory_order_relaxed);
    atomic_store_explicit(&s->tables_seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    size_t n = strnlen(name, STATS_TABLES_MAX - 1);
    for (size_t i = 0; i < STATS_TABLES_MAX; i++)
        __atomic_store_n(&s->tables[i], i < n ? name[i] : 0, __ATOMIC_RELAXED);
    atomic_store_explicit(&s->tables_seq, seq + 2, memory_order_release);
}

/* The tables name into dst[STATS_TABLES_MAX]; "" if a writer never finishes
 * (one that died mid-write leaves the sequence odd). */
static void read_tables(const stats_shm *s, char *dst)
{
    stats_shm *w = (stats_shm *)s; /* atomic loads take non-const pointers in C17 */
    for (int t = 0; t < SEQ_TRIES; t++) {
        uint32_t a = atomic_load_explicit(&w->tables_seq, memory_order_acquire);
        if (a & 1) {
            sched_yield();
            continue;
        }
        for (size_t i = 0; i < STATS_TABLES_MAX; i++)
            dst[i] = __atomic_load_n(&w->tables[i], __ATOMIC_RELAXED);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&w->tables_seq, memory_order_relaxed) == a) {
            dst[STATS_TABLES_MAX - 1] = 0;
            return;
        }
    }
    dst[0] = 0;
}

int stats_open(const char *path, const stats_shm **out)
{
    if (!path || !out)
        return -EINVAL;
    /* O_NONBLOCK: a FIFO at the path must not hang the reader. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(stats_shm)) {
        close(fd);
        return -CLAIMD_ESTATS_LAYOUT;
    }
    const stats_shm *s = mmap(NULL, sizeof(stats_shm), PROT_READ, MAP_SHARED, fd, 0);
    int rc = s == MAP_FAILED ? -errno : 0;
    close(fd);
    if (rc < 0)
        return rc;
    if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != STATS_MAGIC || s->layout != STATS_LAYOUT ||
        s->size != sizeof(stats_shm) || s->nslots != STATS_SLOTS || s->nedits > STATS_EDITS_MAX) {
        munmap((void *)s, sizeof(stats_shm));
        return -CLAIMD_ESTATS_LAYOUT;
    }
    *out = s;
    return 0;
}

void stats_close(const stats_shm *s)
{
    if (s)
        munmap((void *)s, sizeof(stats_shm));
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void snap_slots(stats_shm *w, stats_snap *out)
{
    uint32_t n = atomic_load_explicit(&w->nslots_used, memory_order_acquire) & ~SLOTS_LOCK;
    if (n > STATS_SLOTS)
        n = STATS_SLOTS;
    out->nslots = n;
    for (uint32_t i = 0; i < n; i++) {
        stats_slot *sl = &w->slot[i];
        copy_name(out->slot[i].name, STATS_NAME_MAX, sl->name);
        for (unsigned c = 0; c < STATS_CTR_COUNT; c++) {
            uint64_t v = atomic_load_explicit(&sl->ctr[c], memory_order_relaxed);
            out->slot[i].ctr[c] = v;
            out->total[c] += v;
        }
        for (unsigned e = 0; e < out->nedits; e++)
            out->edits[e] += atomic_load_explicit(&sl->edits[e], memory_order_relaxed);
    }
}

void stats_snapshot(const stats_shm *s, stats_snap *out)
{
    stats_shm *w = (stats_shm *)s; /* only read: atomic loads want non-const */
    memset(out, 0, sizeof *out);
    out->taken_ns = mono_ns();
    if (!s)
        return;
    out->pid = s->pid;
    out->start_unix = s->start_unix;
    copy_name(out->version, sizeof out->version, s->version);
    read_tables(s, out->tables);
    out->nedits = s->nedits <= STATS_EDITS_MAX ? s->nedits : STATS_EDITS_MAX;
    for (unsigned e = 0; e < out->nedits; e++)
        copy_name(out->edit_name[e], STATS_NAME_MAX, s->edit_name[e]);
    for (unsigned g = 0; g < STATS_GAUGE_COUNT; g++)
        out->gauge[g] = atomic_load_explicit(&w->gauge[g], memory_order_relaxed);
    snap_slots(w, out);
}

/* ---- JSON ---------------------------------------------------------------- */

int stats_render_json(const stats_snap *s, cbuf *out)
{
    cbuf_printf(out, "\"pid\":%" PRId32 ",\"start_unix\":%" PRId64 ",\"version\":", s->pid,
                s->start_unix);
    cbuf_json_str(out, s->version, strnlen(s->version, sizeof s->version));
    cbuf_puts(out, ",\"tables\":");
    cbuf_json_str(out, s->tables, strnlen(s->tables, sizeof s->tables));
    for (unsigned c = 0; c < STATS_CTR_COUNT; c++)
        cbuf_printf(out, ",\"%s\":%" PRIu64, ctr_names[c], s->total[c]);
    for (unsigned g = 0; g < STATS_GAUGE_COUNT; g++)
        cbuf_printf(out, ",\"%s\":%" PRIu64, gauge_names[g], s->gauge[g]);
    cbuf_puts(out, ",\"edits\":{");
    for (unsigned e = 0; e < s->nedits && e < STATS_EDITS_MAX; e++) {
        if (e)
            cbuf_putc(out, ',');
        cbuf_json_str(out, s->edit_name[e], strnlen(s->edit_name[e], STATS_NAME_MAX));
        cbuf_printf(out, ":%" PRIu64, s->edits[e]);
    }
    cbuf_puts(out, "},\"threads\":[");
    for (unsigned i = 0; i < s->nslots && i < STATS_SLOTS; i++) {
        cbuf_puts(out, i ? ",{\"name\":" : "{\"name\":");
        cbuf_json_str(out, s->slot[i].name, strnlen(s->slot[i].name, STATS_NAME_MAX));
        for (unsigned c = 0; c < STATS_CTR_COUNT; c++)
            cbuf_printf(out, ",\"%s\":%" PRIu64, ctr_names[c], s->slot[i].ctr[c]);
        cbuf_putc(out, '}');
    }
    cbuf_putc(out, ']');
    return cbuf_error(out);
}

/* ---- Prometheus text format ---------------------------------------------- */

/* A label value: backslash, double quote and line feed escaped; other
 * control bytes (never in names the daemon sets) become '?'. */
static void prom_label(cbuf *out, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    cbuf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '"') {
            cbuf_putc(out, '\\');
            cbuf_putc(out, (char)c);
        } else if (c == '\n') {
            cbuf_puts(out, "\\n");
        } else {
            cbuf_putc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
        }
    }
    cbuf_putc(out, '"');
}

static void prom_head(cbuf *out, const char *name, const char *type, const char *help)
{
    cbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_seconds(cbuf *out, uint64_t ns)
{
    cbuf_printf(out, "%" PRIu64 ".%09" PRIu64 "\n", ns / 1000000000u, ns % 1000000000u);
}

static void prom_counters(const stats_snap *s, cbuf *out)
{
    char name[64];
    for (unsigned c = 0; c < STATS_CTR_COUNT; c++) {
        if (c == STATS_BUSY_NS) {
            prom_head(out, "claimd_busy_seconds_total", "counter", ctr_help[c]);
            cbuf_puts(out, "claimd_busy_seconds_total ");
            prom_seconds(out, s->total[c]);
            continue;
        }
        snprintf(name, sizeof name, "claimd_%s_total", ctr_names[c]);
        prom_head(out, name, "counter", ctr_help[c]);
        cbuf_printf(out, "%s %" PRIu64 "\n", name, s->total[c]);
    }
}

static void prom_gauges(const stats_snap *s, cbuf *out)
{
    char name[64];
    for (unsigned g = 0; g < STATS_GAUGE_COUNT; g++) {
        /* ctl_requests only grows: a counter to Prometheus. */
        bool ctr = g == STATS_CTL_REQUESTS;
        snprintf(name, sizeof name, ctr ? "claimd_%s_total" : "claimd_%s", gauge_names[g]);
        prom_head(out, name, ctr ? "counter" : "gauge", gauge_help[g]);
        cbuf_printf(out, "%s %" PRIu64 "\n", name, s->gauge[g]);
    }
}

int stats_render_prom(const stats_snap *s, cbuf *out)
{
    prom_head(out, "claimd_info", "gauge", "The daemon's version and tables version.");
    cbuf_puts(out, "claimd_info{version=");
    prom_label(out, s->version, sizeof s->version);
    cbuf_puts(out, ",tables=");
    prom_label(out, s->tables, sizeof s->tables);
    cbuf_puts(out, "} 1\n");
    prom_head(out, "claimd_start_time_seconds", "gauge", "The daemon's start, Unix seconds.");
    cbuf_printf(out, "claimd_start_time_seconds %" PRId64 "\n", s->start_unix);
    prom_counters(s, out);
    prom_gauges(s, out);
    prom_head(out, "claimd_findings_total", "counter", "Edit findings, per edit.");
    for (unsigned e = 0; e < s->nedits && e < STATS_EDITS_MAX; e++) {
        cbuf_puts(out, "claimd_findings_total{edit=");
        prom_label(out, s->edit_name[e], STATS_NAME_MAX);
        cbuf_printf(out, "} %" PRIu64 "\n", s->edits[e]);
    }
    prom_head(out, "claimd_thread_busy_seconds_total", "counter",
              "Seconds each pipeline thread spent working.");
    for (unsigned i = 0; i < s->nslots && i < STATS_SLOTS; i++) {
        cbuf_puts(out, "claimd_thread_busy_seconds_total{thread=");
        prom_label(out, s->slot[i].name, STATS_NAME_MAX);
        cbuf_puts(out, "} ");
        prom_seconds(out, s->slot[i].ctr[STATS_BUSY_NS]);
    }
    return cbuf_error(out);
}
