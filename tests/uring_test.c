/* uring_reader: exact file contents in order on both backends (io_uring and
 * pread, the latter forced by opts and by CLAIMD_NO_URING=1), around the
 * buffer-size edges, on a 64 MiB file against read(2), on files truncated
 * or replaced mid-read, and with buffers released from another thread. */
#define _GNU_SOURCE

#include "claimd/ring.h"
#include "claimd/uring.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define B ((size_t)16 << 10) /* small buffers: many chunks in small files */

static char g_dir[64];

static void dir_setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/claimd-uring-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
}

static void dir_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(uring, .init = dir_setup, .fini = dir_teardown);

/* Byte i of every test file: not periodic in any buffer size. */
static unsigned char pattern(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    return (unsigned char)(x >> 56 ^ i >> 13);
}

static char *make_file(const char *name, size_t size)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0);
    unsigned char buf[65536];
    for (size_t off = 0; off < size;) {
        size_t n = size - off < sizeof buf ? size - off : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(off + i);
        cr_assert_eq(write(fd, buf, n), (ssize_t)n);
        off += n;
    }
    close(fd);
    return path;
}

/* Reads path through a reader and checks every byte against pattern();
 * every buffer but the last must be full. Returns the bytes read. */
static size_t read_check(const char *path, const uring_reader_opts *o, const char *backend)
{
    uring_reader *r;
    cr_assert_eq(uring_reader_open(&r, path, o), 0);
    if (backend)
        cr_assert_str_eq(uring_reader_backend(r), backend);
    size_t bufsize = o && o->bufsize ? o->bufsize : URING_READER_BUFSIZE_DEFAULT;
    size_t total = 0, last_len = bufsize;
    void *buf;
    size_t len;
    int rc;
    while ((rc = uring_reader_next(r, &buf, &len)) == 1) {
        cr_assert_eq(last_len, bufsize, "a short buffer before the end");
        cr_assert(len >= 1 && len <= bufsize);
        const unsigned char *p = buf;
        for (size_t i = 0; i < len; i++)
            if (p[i] != pattern(total + i))
                cr_assert_fail("byte %zu differs", total + i);
        total += len;
        last_len = len;
        cr_assert_eq(uring_reader_release(r, buf), 0);
    }
    cr_assert_eq(rc, 0, "next: %d", rc);
    cr_assert_eq(uring_reader_next(r, &buf, &len), 0, "EOF is sticky");
    cr_assert_eq(uring_reader_bytes(r), total);
    uring_reader_free(r);
    return total;
}

static void sizes_on(const uring_reader_opts *o, const char *backend)
{
    const size_t sizes[] = {0, 1, B - 1, B, B + 1, 2 * B, 10 * B + 7, 37 * B + 4095};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const char *path = make_file("sizes", sizes[i]);
        cr_assert_eq(read_check(path, o, backend), sizes[i], "size %zu", sizes[i]);
    }
}

Test(uring, sizes_io_uring)
{
    uring_reader_opts o = {.nbufs = 4, .bufsize = B};
    uring_reader *r;
    const char *path = make_file("probe", 1);
    cr_assert_eq(uring_reader_open(&r, path, &o), 0);
    int have = strcmp(uring_reader_backend(r), "io_uring") == 0;
    uring_reader_free(r);
    if (!have)
        cr_skip_test("io_uring is unavailable here (the pread tests still run)");
    sizes_on(&o, "io_uring");
    o.nbufs = 1; /* one read in flight */
    sizes_on(&o, "io_uring");
    o.nbufs = 64;
    sizes_on(&o, "io_uring");
}

Test(uring, sizes_pread_opt)
{
    uring_reader_opts o = {.nbufs = 4, .bufsize = B, .no_uring = true};
    sizes_on(&o, "pread");
    o.nbufs = 1;
    sizes_on(&o, "pread");
}

Test(uring, sizes_pread_env)
{
    /* Each test runs in its own process: the variable does not leak. */
    setenv(URING_ENV_NO_URING, "1", 1);
    cr_assert(uring_env_no_uring());
    uring_reader_opts o = {.nbufs = 3, .bufsize = B};
    sizes_on(&o, "pread");
    setenv(URING_ENV_NO_URING, "0", 1);
    cr_assert(!uring_env_no_uring());
}

/* A simple checksum of a whole file through read(2). */
static uint64_t sum_read(const char *path, size_t *total)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert(fd >= 0);
    static unsigned char buf[1 << 20];
    uint64_t h = 1469598103934665603ull;
    *total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 1099511628211ull;
        *total += (size_t)n;
    }
    cr_assert_eq(n, 0);
    close(fd);
    return h;
}

static uint64_t sum_reader(const char *path, const uring_reader_opts *o, size_t *total)
{
    uring_reader *r;
    cr_assert_eq(uring_reader_open(&r, path, o), 0);
    uint64_t h = 1469598103934665603ull;
    *total = 0;
    void *buf;
    size_t len;
    int rc;
    while ((rc = uring_reader_next(r, &buf, &len)) == 1) {
        const unsigned char *p = buf;
        for (size_t i = 0; i < len; i++)
            h = (h ^ p[i]) * 1099511628211ull;
        *total += len;
        cr_assert_eq(uring_reader_release(r, buf), 0);
    }
    cr_assert_eq(rc, 0);
    uring_reader_free(r);
    return h;
}

Test(uring, big_file_matches_read, .timeout = 120)
{
    const size_t size = ((size_t)64 << 20) + 12345;
    const char *path = make_file("big", size);
    size_t n0, n1, n2;
    uint64_t h0 = sum_read(path, &n0);
    uint64_t h1 = sum_reader(path, NULL, &n1); /* defaults: 4 x 256 KiB */
    uring_reader_opts o = {.no_uring = true};
    uint64_t h2 = sum_reader(path, &o, &n2);
    cr_assert_eq(n0, size);
    cr_assert_eq(n1, size);
    cr_assert_eq(n2, size);
    cr_assert_eq(h1, h0);
    cr_assert_eq(h2, h0);
}

/* The file shrinks under the reader: it ends early with a prefix of the
 * original bytes, without error. */
static void truncated_on(bool no_uring)
{
    const size_t size = 200 * B;
    char path[128];
    snprintf(path, sizeof path, "%s", make_file("trunc", size));
    uring_reader_opts o = {.nbufs = 4, .bufsize = B, .no_uring = no_uring};
    uring_reader *r;
    cr_assert_eq(uring_reader_open(&r, path, &o), 0);
    size_t total = 0, len;
    void *buf;
    int rc, k = 0;
    while ((rc = uring_reader_next(r, &buf, &len)) == 1) {
        const unsigned char *p = buf;
        for (size_t i = 0; i < len; i++)
            if (p[i] != pattern(total + i))
                cr_assert_fail("byte %zu differs", total + i);
        total += len;
        cr_assert_eq(uring_reader_release(r, buf), 0);
        if (++k == 3)
            cr_assert_eq(truncate(path, (off_t)(10 * B + 100)), 0);
    }
    cr_assert_eq(rc, 0);
    cr_assert(total >= 3 * B && total < size, "read %zu bytes", total);
    uring_reader_free(r);
}

Test(uring, truncated_while_reading)
{
    truncated_on(false);
    truncated_on(true);
}

/* The path is replaced by rename: the reader still reads the old file. */
Test(uring, replaced_while_reading)
{
    const size_t size = 50 * B + 3;
    char path[128], other[128];
    snprintf(path, sizeof path, "%s", make_file("repl", size));
    uring_reader *r;
    uring_reader_opts o = {.nbufs = 2, .bufsize = B};
    cr_assert_eq(uring_reader_open(&r, path, &o), 0);
    void *buf;
    size_t len, total = 0;
    cr_assert_eq(uring_reader_next(r, &buf, &len), 1);
    total += len;
    cr_assert_eq(uring_reader_release(r, buf), 0);
    snprintf(other, sizeof other, "%s/other", g_dir);
    int fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "x", 1), 1);
    close(fd);
    cr_assert_eq(rename(other, path), 0);
    int rc;
    while ((rc = uring_reader_next(r, &buf, &len)) == 1) {
        const unsigned char *p = buf;
        cr_assert_eq(p[0], pattern(total));
        total += len;
        cr_assert_eq(uring_reader_release(r, buf), 0);
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(total, size);
    uring_reader_free(r);
}

Test(uring, bad_args_and_release_errors)
{
    uring_reader *r = NULL;
    uring_reader_opts o = {.bufsize = 1000};
    const char *path = make_file("args", 3 * B);
    cr_assert_eq(uring_reader_open(&r, path, &o), -EINVAL);
    o = (uring_reader_opts){.nbufs = 65};
    cr_assert_eq(uring_reader_open(&r, path, &o), -EINVAL);
    cr_assert_eq(uring_reader_open(&r, "/nonexistent/claimd", NULL), -ENOENT);
    cr_assert_eq(uring_reader_create(&r, -1, NULL), -EINVAL);
    cr_assert_null(r);
    uring_reader_free(NULL);

    o = (uring_reader_opts){.nbufs = 2, .bufsize = B};
    cr_assert_eq(uring_reader_open(&r, path, &o), 0);
    void *buf;
    size_t len;
    cr_assert_eq(uring_reader_next(r, &buf, &len), 1);
    int x;
    cr_assert_eq(uring_reader_release(r, &x), -EINVAL);
    cr_assert_eq(uring_reader_release(r, (char *)buf + 1), -EINVAL);
    cr_assert_eq(uring_reader_release(r, buf), 0);
    cr_assert_eq(uring_reader_release(r, buf), -EINVAL); /* twice */
    cr_assert_eq(uring_reader_next(r, NULL, &len), -EINVAL);
    /* Freed with reads in flight and a buffer held: no leak, no crash. */
    cr_assert_eq(uring_reader_next(r, &buf, &len), 1);
    uring_reader_free(r);
}

/* A consumer thread releases the buffers: next() sleeps while the caller
 * holds the whole pool and wakes on release. */
typedef struct relay {
    ring_spsc *ring;
    uring_reader *r;
    uint64_t sum;
    size_t total;
    int bad;
} relay;

typedef struct chunk {
    void *p;
    size_t len;
} chunk;

static void *relay_consumer(void *arg)
{
    relay *x = arg;
    chunk c;
    while (ring_spsc_pop_wait(x->ring, &c) == 0) {
        const unsigned char *p = c.p;
        for (size_t i = 0; i < c.len; i++)
            x->bad += p[i] != pattern(x->total + i);
        x->total += c.len;
        usleep(200); /* slower than the reader: the pool runs dry */
        x->bad += uring_reader_release(x->r, c.p) != 0;
    }
    return NULL;
}

static void relay_on(bool no_uring)
{
    const size_t size = 300 * B + 17;
    const char *path = make_file("relay", size);
    relay x = {0};
    uring_reader_opts o = {.nbufs = 3, .bufsize = B, .no_uring = no_uring};
    cr_assert_eq(uring_reader_open(&x.r, path, &o), 0);
    cr_assert_eq(ring_spsc_create(&x.ring, 8, sizeof(chunk)), 0); /* more room than buffers */
    pthread_t t;
    pthread_create(&t, NULL, relay_consumer, &x);
    chunk c;
    int rc;
    while ((rc = uring_reader_next(x.r, &c.p, &c.len)) == 1)
        cr_assert_eq(ring_spsc_push_wait(x.ring, &c), 0);
    ring_spsc_close(x.ring);
    pthread_join(t, NULL);
    cr_assert_eq(rc, 0);
    cr_assert_eq(x.total, size);
    cr_assert_eq(x.bad, 0);
    uring_reader_free(x.r);
    ring_spsc_free(x.ring);
}

Test(uring, release_from_another_thread)
{
    relay_on(false);
    relay_on(true);
}
