/* bench_ring: the pipeline's plumbing, measured.
 *
 *   bench_ring [--ring-only | --reader-only] [--size MB] [--file PATH] [--reps N] [--keep]
 *
 * Rings: hand-off throughput between two threads (1 producer, 1 consumer)
 * of pointer-sized messages, one at a time (push_wait/pop_wait) and in
 * batches of 64 (push_n_wait/pop_n_wait), through ring_spsc and ring_mpmc.
 *
 * Reader: MB/s reading a page-cached file (generated, 512 MB by default;
 * MB = 10^6 bytes) with plain read(2), uring_reader on io_uring and
 * uring_reader on pread, at 128, 256 and 1024 KiB buffers (4 in the pool).
 * Every mode touches one word per cache line of what it reads, as a
 * consumer would, so buffers that fall out of L2 show. The file is read
 * once before measuring so it is in the page cache.
 *
 * Prints the best and the median of --reps runs (default 5). Two-thread
 * figures vary by +-30 % on shared 2-vCPU machines: compare within a run.
 */
#define _GNU_SOURCE

#include "claimd/ring.h"
#include "claimd/uring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BR_MAX_REPS 15

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Best (highest) and median of n rates, sorted in place. */
static void best_median(double *v, int n, double *best, double *med)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *best = v[n - 1];
    *med = v[n / 2];
}

/* ---- rings ------------------------------------------------------------------ */

typedef struct br_ring {
    ring_spsc *s; /* one of s, m */
    ring_mpmc *m;
    uint64_t n;     /* messages */
    size_t batch;   /* 1: single calls */
    uint64_t check; /* consumer: sum of the values, to keep the work real */
} br_ring;

static void *br_producer(void *arg)
{
    br_ring *b = arg;
    uintptr_t buf[64];
    for (uint64_t i = 0; i < b->n; i += b->batch) {
        if (b->batch == 1) {
            uintptr_t v = (uintptr_t)i;
            if ((b->s ? ring_spsc_push_wait(b->s, &v) : ring_mpmc_push_wait(b->m, &v)) != 0)
                abort();
            continue;
        }
        for (size_t k = 0; k < b->batch; k++)
            buf[k] = (uintptr_t)(i + k);
        ssize_t rc = b->s ? ring_spsc_push_n_wait(b->s, buf, b->batch)
                          : ring_mpmc_push_n_wait(b->m, buf, b->batch);
        if (rc != (ssize_t)b->batch)
            abort();
    }
    if (b->s)
        ring_spsc_close(b->s);
    else
        ring_mpmc_close(b->m);
    return NULL;
}

static void *br_consumer(void *arg)
{
    br_ring *b = arg;
    uintptr_t buf[64];
    uint64_t sum = 0;
    for (;;) {
        ssize_t n;
        if (b->batch == 1) {
            int rc = b->s ? ring_spsc_pop_wait(b->s, buf) : ring_mpmc_pop_wait(b->m, buf);
            n = rc < 0 ? rc : 1;
        } else {
            n = b->s ? ring_spsc_pop_n_wait(b->s, buf, b->batch)
                     : ring_mpmc_pop_n_wait(b->m, buf, b->batch);
        }
        if (n < 0)
            break;
        for (ssize_t k = 0; k < n; k++)
            sum += buf[k];
    }
    b->check = sum;
    return NULL;
}

/* Messages per second of one run. */
static double br_ring_run(int mpmc, size_t batch, uint64_t n)
{
    br_ring b = {.n = n, .batch = batch};
    int rc = mpmc ? ring_mpmc_create(&b.m, 1024, sizeof(uintptr_t))
                  : ring_spsc_create(&b.s, 1024, sizeof(uintptr_t));
    if (rc != 0)
        abort();
    pthread_t tp, tc;
    double t0 = now_s();
    pthread_create(&tc, NULL, br_consumer, &b);
    pthread_create(&tp, NULL, br_producer, &b);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    double dt = now_s() - t0;
    if (b.check != n * (n - 1) / 2) {
        fprintf(stderr, "bench_ring: lost messages\n");
        exit(1);
    }
    ring_spsc_free(b.s);
    ring_mpmc_free(b.m);
    return (double)n / dt;
}

static void br_rings(int reps)
{
    static const struct {
        const char *name;
        int mpmc;
        size_t batch;
        uint64_t n;
    } cases[] = {
        {"spsc single", 0, 1, 20000000},
        {"spsc batch 64", 0, 64, 200000000},
        {"mpmc single", 1, 1, 20000000},
        {"mpmc batch 64", 1, 64, 100000000},
    };
    printf("rings, 1 producer -> 1 consumer, capacity 1024, pointer slots\n");
    printf("  %-16s %14s %14s\n", "", "best Mmsg/s", "median Mmsg/s");
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        double v[BR_MAX_REPS], best, med;
        for (int r = 0; r < reps; r++)
            v[r] = br_ring_run(cases[c].mpmc, cases[c].batch, cases[c].n) / 1e6;
        best_median(v, reps, &best, &med);
        printf("  %-16s %14.1f %14.1f\n", cases[c].name, best, med);
    }
}

/* ---- reader ------------------------------------------------------------------- */

/* Touches one word per cache line: what a consumer scanning the data costs
 * at least. */
static uint64_t br_touch(const void *p, size_t len)
{
    uint64_t x = 0;
    const unsigned char *c = p;
    for (size_t i = 0; i + 8 <= len; i += 64) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        x += w;
    }
    return x;
}

static int br_gen(const char *path, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    static unsigned char buf[1 << 20];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + (i >> 9));
    for (size_t off = 0; off < size;) {
        size_t n = size - off < sizeof buf ? size - off : sizeof buf;
        ssize_t w = write(fd, buf, n);
        if (w <= 0) {
            close(fd);
            return w < 0 ? -errno : -EIO;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

/* read(2) in bufsize pieces: MB/s, or < 0. */
static double br_read(const char *path, size_t bufsize, uint64_t *sink)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    void *buf = aligned_alloc(4096, bufsize);
    if (fd < 0 || !buf)
        return -1;
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    double t0 = now_s();
    size_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, bufsize)) > 0) {
        *sink ^= br_touch(buf, (size_t)n);
        total += (size_t)n;
    }
    double dt = now_s() - t0;
    close(fd);
    free(buf);
    return n < 0 ? -1 : (double)total / dt / 1e6;
}

static double br_reader(const char *path, size_t bufsize, int no_uring, uint64_t *sink,
                        const char **backend)
{
    uring_reader_opts o = {.nbufs = 4, .bufsize = bufsize, .no_uring = no_uring};
    uring_reader *r;
    if (uring_reader_open(&r, path, &o) != 0)
        return -1;
    *backend = uring_reader_backend(r);
    double t0 = now_s();
    void *buf;
    size_t len, total = 0;
    int rc;
    while ((rc = uring_reader_next(r, &buf, &len)) == 1) {
        *sink ^= br_touch(buf, len);
        total += len;
        uring_reader_release(r, buf);
    }
    double dt = now_s() - t0;
    uring_reader_free(r);
    return rc < 0 ? -1 : (double)total / dt / 1e6;
}

static int br_readers(const char *path, int reps)
{
    static const size_t sizes[] = {128 << 10, 256 << 10, 1024 << 10};
    uint64_t sink = 0;
    const char *backend = "?";
    if (br_read(path, 1 << 20, &sink) < 0) /* into the page cache */
        return -1;
    printf("reader, page-cached file, 4 buffers in the pool; MB/s best (median)\n");
    printf("  %-9s %22s %22s %22s\n", "buffer", "read(2)", "uring_reader io_uring",
           "uring_reader pread");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        double v[3][BR_MAX_REPS], best[3], med[3];
        for (int r = 0; r < reps; r++) {
            const char *b = NULL;
            v[0][r] = br_read(path, sizes[s], &sink);
            v[1][r] = br_reader(path, sizes[s], 0, &sink, &b);
            if (b)
                backend = b;
            v[2][r] = br_reader(path, sizes[s], 1, &sink, &b);
        }
        for (int m = 0; m < 3; m++)
            best_median(v[m], reps, &best[m], &med[m]);
        printf("  %4zu KiB  %12.0f (%7.0f) %12.0f (%7.0f) %12.0f (%7.0f)\n", sizes[s] >> 10,
               best[0], med[0], best[1], med[1], best[2], med[2]);
    }
    printf("  (the io_uring column ran on: %s; checksum %llx)\n", backend,
           (unsigned long long)sink);
    return 0;
}

int main(int argc, char **argv)
{
    size_t size_mb = 512;
    int reps = 5, keep = 0, rings = 1, readers = 1;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size_mb = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else if (strcmp(argv[i], "--ring-only") == 0)
            readers = 0;
        else if (strcmp(argv[i], "--reader-only") == 0)
            rings = 0;
        else {
            fprintf(stderr, "usage: bench_ring [--ring-only | --reader-only] [--size MB] "
                            "[--file PATH] [--reps N] [--keep]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > BR_MAX_REPS || size_mb == 0) {
        fprintf(stderr, "bench_ring: --reps 1..%d, --size > 0\n", BR_MAX_REPS);
        return 2;
    }
    if (rings)
        br_rings(reps);
    if (!readers)
        return 0;
    char path[256];
    int generated = 0;
    if (!file) {
        snprintf(path, sizeof path, "/tmp/bench_ring.%d.bin", (int)getpid());
        int rc = br_gen(path, size_mb * 1000000);
        if (rc < 0) {
            fprintf(stderr, "bench_ring: writing %s: %s\n", path, strerror(-rc));
            return 1;
        }
        file = path;
        generated = 1;
    }
    int rc = br_readers(file, reps);
    if (generated && !keep)
        unlink(file);
    if (rc < 0) {
        fprintf(stderr, "bench_ring: reading %s failed\n", file);
        return 1;
    }
    return 0;
}
