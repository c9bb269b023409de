/* uring_reader: exact file contents in order on both backends (io_uring and
 * pread, the latter forced by opts and by CLAIMD_NO_URING=1), around the
 * buffer-size edges, on a 64 MiB file against read(2), on files truncated
 * or replaced mid-read, and with buffers released from another thread.
 * uring_writer: exact contents on both backends around the buffer-size
 * edges with buffers partly filled, take-back (truncate) and seek, a
 * failed write sticky until finish, bad arguments and a pool held whole.
 * (ENOSPC on a full file system: tests/ofile_test.c.) */
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

/* ---- uring_writer ------------------------------------------------------- */

/* Writes size bytes of pattern() through a writer on path, in buffers filled
 * to varying lengths (so writes are not all full); returns the bytes. */
static size_t write_pattern(uring_writer *w, size_t size, uint64_t seed)
{
    size_t off = 0;
    while (off < size) {
        void *b;
        size_t cap;
        cr_assert_eq(uring_writer_get(w, &b, &cap), 0);
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (seed >> 33) % 4 == 0 ? 1 + (size_t)(seed >> 40) % cap : cap;
        if (n > size - off)
            n = size - off;
        for (size_t i = 0; i < n; i++)
            ((unsigned char *)b)[i] = pattern(off + i);
        cr_assert_eq(uring_writer_submit(w, b, n), 0);
        off += n;
    }
    return off;
}

/* The file at path holds exactly pattern(0..size). */
static void check_pattern(const char *path, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert(fd >= 0);
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    cr_assert_eq((size_t)st.st_size, size, "%s: %zu bytes, want %zu", path, (size_t)st.st_size,
                 size);
    unsigned char buf[65536];
    for (size_t off = 0; off < size;) {
        ssize_t n = read(fd, buf, sizeof buf);
        cr_assert(n > 0);
        for (ssize_t i = 0; i < n; i++)
            cr_assert_eq(buf[i], pattern(off + (size_t)i), "byte %zu", off + (size_t)i);
        off += (size_t)n;
    }
    close(fd);
}

static int open_out(const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", g_dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0);
    return fd;
}

static void writer_sizes_on(const uring_writer_opts *o, const char *backend)
{
    static const size_t sizes[] = {0, 1, B - 1, B, B + 1, 10 * B + 7, 300 * B + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char path[128];
        int fd = open_out("w.out", path, sizeof path);
        uring_writer *w;
        cr_assert_eq(uring_writer_create(&w, fd, 0, o), 0);
        cr_assert_str_eq(uring_writer_backend(w), backend);
        cr_assert_eq(write_pattern(w, sizes[k], k + 1), sizes[k]);
        cr_assert_eq(uring_writer_offset(w), sizes[k]);
        cr_assert_eq(uring_writer_finish(w), 0);
        uring_writer_free(w);
        close(fd);
        check_pattern(path, sizes[k]);
    }
}

Test(uring, writer_sizes_io_uring)
{
    uring_writer_opts o = {.nbufs = 3, .bufsize = B};
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    uring_writer *w;
    cr_assert_eq(uring_writer_create(&w, fd, 0, &o), 0);
    bool have = strcmp(uring_writer_backend(w), "io_uring") == 0;
    uring_writer_free(w);
    close(fd);
    if (!have)
        cr_skip_test("io_uring is not available here");
    writer_sizes_on(&o, "io_uring");
}

Test(uring, writer_sizes_pwrite_opt)
{
    writer_sizes_on(&(uring_writer_opts){.nbufs = 3, .bufsize = B, .no_uring = true}, "pwrite");
}

Test(uring, writer_sizes_pwrite_env)
{
    setenv("CLAIMD_NO_URING", "1", 1);
    writer_sizes_on(&(uring_writer_opts){.nbufs = 3, .bufsize = B}, "pwrite");
}

/* Take-back: truncate behind the writes in flight, then go on; seek past
 * bytes written behind the writer's back. */
static void writer_truncate_on(bool no_uring)
{
    char path[128];
    int fd = open_out("t.out", path, sizeof path);
    uring_writer *w;
    cr_assert_eq(uring_writer_create(&w, fd, 0, &(uring_writer_opts){.no_uring = no_uring}), 0);
    write_pattern(w, 5 * B + 11, 7);
    cr_assert_eq(uring_writer_truncate(w, 2 * B + 5), 0);
    cr_assert_eq(uring_writer_offset(w), 2 * B + 5);
    /* the rest of the pattern, from 2B+5 on */
    void *b;
    size_t cap;
    cr_assert_eq(uring_writer_get(w, &b, &cap), 0);
    for (size_t i = 0; i < B; i++)
        ((unsigned char *)b)[i] = pattern(2 * B + 5 + i);
    cr_assert_eq(uring_writer_submit(w, b, B), 0);
    /* 100 bytes behind its back, then seek over them */
    cr_assert_eq(uring_writer_wait(w), 0);
    unsigned char x[100];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = pattern(3 * B + 5 + i);
    cr_assert_eq(pwrite(fd, x, sizeof x, (off_t)(3 * B + 5)), (ssize_t)sizeof x);
    cr_assert_eq(uring_writer_seek(w, 3 * B + 105), 0);
    cr_assert_eq(uring_writer_get(w, &b, &cap), 0);
    for (size_t i = 0; i < 10; i++)
        ((unsigned char *)b)[i] = pattern(3 * B + 105 + i);
    cr_assert_eq(uring_writer_submit(w, b, 10), 0);
    cr_assert_eq(uring_writer_finish(w), 0);
    uring_writer_free(w);
    close(fd);
    check_pattern(path, 3 * B + 115);
}

Test(uring, writer_truncate_and_seek)
{
    writer_truncate_on(false);
    writer_truncate_on(true);
}

/* A failed write (EBADF: the descriptor is read-only) is sticky: reported
 * by the next calls and by finish, and the data is dropped. */
static void writer_error_on(bool no_uring)
{
    char path[128];
    close(open_out("ro.out", path, sizeof path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uring_writer *w;
    cr_assert_eq(uring_writer_create(&w, fd, 0, &(uring_writer_opts){.no_uring = no_uring}), 0);
    void *b;
    size_t cap;
    cr_assert_eq(uring_writer_get(w, &b, &cap), 0);
    memset(b, 'x', 100);
    int rc = uring_writer_submit(w, b, 100);
    cr_assert(rc == 0 || rc == -EBADF, "submit: %d", rc);
    cr_assert_eq(uring_writer_wait(w), -EBADF);
    cr_assert_eq(uring_writer_get(w, &b, &cap), -EBADF);
    cr_assert_eq(uring_writer_truncate(w, 0), -EBADF);
    cr_assert_eq(uring_writer_finish(w), -EBADF);
    uring_writer_free(w);
    close(fd);
}

Test(uring, writer_error_is_sticky)
{
    writer_error_on(false);
    writer_error_on(true);
}

Test(uring, writer_bad_args_and_busy)
{
    uring_writer *w;
    cr_assert_eq(uring_writer_create(&w, -1, 0, NULL), -EINVAL);
    cr_assert_eq(uring_writer_create(&w, 1, 0, &(uring_writer_opts){.nbufs = 65}), -EINVAL);
    cr_assert_eq(uring_writer_create(&w, 1, 0, &(uring_writer_opts){.bufsize = 1000}), -EINVAL);
    char path[128];
    int fd = open_out("b.out", path, sizeof path);
    cr_assert_eq(uring_writer_create(&w, fd, 0, &(uring_writer_opts){.nbufs = 2}), 0);
    void *a, *b, *c;
    size_t cap;
    cr_assert_eq(uring_writer_get(w, &a, &cap), 0);
    cr_assert_eq(uring_writer_get(w, &b, &cap), 0);
    cr_assert_neq(a, b);
    cr_assert_eq(uring_writer_get(w, &c, &cap), -EBUSY);
    char other[16];
    cr_assert_eq(uring_writer_submit(w, other, 1), -EINVAL);
    cr_assert_eq(uring_writer_submit(w, a, cap + 1), -EINVAL);
    cr_assert_eq(uring_writer_submit(w, a, 0), 0);
    cr_assert_eq(uring_writer_submit(w, a, 1), -EINVAL); /* no longer the caller's */
    memcpy(b, "hello", 5);
    cr_assert_eq(uring_writer_submit(w, b, 5), 0);
    cr_assert_eq(uring_writer_finish(w), 0);
    uring_writer_free(w);
    uring_writer_free(NULL);
    char t[8];
    cr_assert_eq(pread(fd, t, sizeof t, 0), 5);
    cr_assert_eq(memcmp(t, "hello", 5), 0);
    close(fd);
}
