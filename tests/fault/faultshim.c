/* An LD_PRELOAD fault shim for tests/fault_test.c: makes the I/O calls of a
 * process fail with an errno on files whose path contains a substring, once
 * a number of bytes has gone through them. Configured by the environment,
 * read once at load:
 *
 *   CLAIMD_FAULT_PATH    substring of the file's path (/proc/self/fd/N);
 *                        unset or empty: the shim does nothing
 *   CLAIMD_FAULT_OP      read (read, pread, pread64, the source of
 *                        copy_file_range), write (write, pwrite, pwrite64,
 *                        the destination of copy_file_range) or fsync
 *                        (fsync, fdatasync); default read
 *   CLAIMD_FAULT_AFTER   bytes of that op on matching files that succeed
 *                        before the first failure (default 0); a call that
 *                        would cross it is cut short there. Ignored for fsync.
 *   CLAIMD_FAULT_ERRNO   the errno (default 5, EIO); 0 injects nothing
 *   CLAIMD_FAULT_DELAY_MS  sleep this long in every matching call (to slow
 *                        a reader down; with CLAIMD_FAULT_ERRNO=0, only that)
 *
 * The count is for the whole process (all matching files, all threads).
 * The first injected failure prints one line to stderr, "faultshim:
 * injected errno N into OP of PATH", so a test can tell it fired. Only for
 * tests: io_uring requests bypass libc, so the programs under test run with
 * CLAIMD_NO_URING=1. */
/* Both pread and pread64 are defined here: with 64-bit offsets the headers
 * would rename the first into the second. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum fs_op { FS_READ, FS_WRITE, FS_FSYNC };

static const char *fs_path;
static enum fs_op fs_op;
static unsigned long long fs_after;
static int fs_errno = EIO;
static long fs_delay_ms;
static _Atomic unsigned long long fs_done;
static atomic_int fs_said;

/* The next definitions (libc's, or a sanitizer's interceptors), looked up
 * on first use: another library's constructor may do I/O before ours. */
#define FS_REAL(type, name)                                                                        \
    static type real_##name;                                                                       \
    if (!real_##name)                                                                              \
        real_##name = (type)dlsym(RTLD_NEXT, #name);

typedef ssize_t (*fs_rd_fn)(int, void *, size_t);
typedef ssize_t (*fs_wr_fn)(int, const void *, size_t);
typedef ssize_t (*fs_prd_fn)(int, void *, size_t, off_t);
typedef ssize_t (*fs_prd64_fn)(int, void *, size_t, off64_t);
typedef ssize_t (*fs_pwr_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*fs_pwr64_fn)(int, const void *, size_t, off64_t);
typedef int (*fs_sync_fn)(int);
typedef ssize_t (*fs_cfr_fn)(int, off64_t *, int, off64_t *, size_t, unsigned);

__attribute__((constructor)) static void fs_init(void)
{
    const char *p = getenv("CLAIMD_FAULT_PATH");
    if (!p || !*p)
        return;
    const char *op = getenv("CLAIMD_FAULT_OP");
    fs_op = !op || strcmp(op, "read") == 0 ? FS_READ
            : strcmp(op, "write") == 0     ? FS_WRITE
            : strcmp(op, "fsync") == 0     ? FS_FSYNC
                                           : FS_READ;
    const char *a = getenv("CLAIMD_FAULT_AFTER");
    fs_after = a ? strtoull(a, NULL, 10) : 0;
    const char *e = getenv("CLAIMD_FAULT_ERRNO");
    fs_errno = e ? atoi(e) : EIO;
    const char *d = getenv("CLAIMD_FAULT_DELAY_MS");
    fs_delay_ms = d ? atol(d) : 0;
    fs_path = p;
}

/* Whether fd's path contains the pattern; the path in buf. */
static bool fs_match(int fd, enum fs_op op, char *buf, size_t cap)
{
    if (!fs_path || op != fs_op)
        return false;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, cap - 1);
    if (n <= 0)
        return false;
    buf[n] = 0;
    return strstr(buf, fs_path) != NULL;
}

static void fs_sleep(void)
{
    if (fs_delay_ms <= 0)
        return;
    struct timespec ts = {fs_delay_ms / 1000, (fs_delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void fs_say(const char *what, const char *path)
{
    FS_REAL(fs_wr_fn, write);
    if (atomic_exchange(&fs_said, 1) || !real_write)
        return;
    char line[4200];
    int n = snprintf(line, sizeof line, "faultshim: injected errno %d into %s of %s\n", fs_errno,
                     what, path);
    if (n > 0)
        (void)!real_write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Decides a call on fd that would move len bytes: -1 (errno set) when it
 * must fail now, else the length it may move (len, or less to stop at the
 * threshold); *hit tells whether fd matches (its bytes count). */
static ssize_t fs_gate(int fd, enum fs_op op, size_t len, const char *what, bool *hit)
{
    char path[4096];
    *hit = fs_match(fd, op, path, sizeof path);
    if (!*hit)
        return (ssize_t)len;
    fs_sleep();
    if (fs_errno == 0)
        return (ssize_t)len;
    if (op != FS_FSYNC) {
        unsigned long long done = atomic_load(&fs_done);
        if (done < fs_after) {
            unsigned long long left = fs_after - done;
            return (ssize_t)(len < left ? len : left);
        }
    }
    fs_say(what, path);
    errno = fs_errno;
    return -1;
}

static ssize_t fs_count(bool hit, ssize_t n)
{
    if (hit && n > 0)
        atomic_fetch_add(&fs_done, (unsigned long long)n);
    return n;
}

ssize_t read(int fd, void *buf, size_t len)
{
    FS_REAL(fs_rd_fn, read);
    bool hit = false;
    ssize_t k = fs_path ? fs_gate(fd, FS_READ, len, "read", &hit) : (ssize_t)len;
    return k < 0 ? -1 : fs_count(hit, real_read(fd, buf, (size_t)k));
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    FS_REAL(fs_prd_fn, pread);
    bool hit = false;
    ssize_t k = fs_path ? fs_gate(fd, FS_READ, len, "pread", &hit) : (ssize_t)len;
    return k < 0 ? -1 : fs_count(hit, real_pread(fd, buf, (size_t)k, off));
}

ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
    FS_REAL(fs_prd64_fn, pread64);
    bool hit = false;
    ssize_t k = fs_path ? fs_gate(fd, FS_READ, len, "pread64", &hit) : (ssize_t)len;
    return k < 0 ? -1 : fs_count(hit, real_pread64(fd, buf, (size_t)k, off));
}

ssize_t write(int fd, const void *buf, size_t len)
{
    FS_REAL(fs_wr_fn, write);
    bool hit = false;
    ssize_t k = fs_path ? fs_gate(fd, FS_WRITE, len, "write", &hit) : (ssize_t)len;
    return k < 0 ? -1 : fs_count(hit, real_write(fd, buf, (size_t)k));
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    FS_REAL(fs_pwr_fn, pwrite);
    bool hit = false;
    ssize_t k = fs_path ? fs_gate(fd, FS_WRITE, len, "pwrite", &hit) : (ssize_t)len;
    return k < 0 ? -1 : fs_count(hit, real_pwrite(fd, buf, (size_t)k, off));
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
    FS_REAL(fs_pwr64_fn, pwrite64);
    bool hit = false;
    ssize_t k = fs_path ? fs_gate(fd, FS_WRITE, len, "pwrite64", &hit) : (ssize_t)len;
    return k < 0 ? -1 : fs_count(hit, real_pwrite64(fd, buf, (size_t)k, off));
}

int fsync(int fd)
{
    FS_REAL(fs_sync_fn, fsync);
    bool hit = false;
    if (fs_path && fs_gate(fd, FS_FSYNC, 0, "fsync", &hit) < 0)
        return -1;
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    FS_REAL(fs_sync_fn, fdatasync);
    bool hit = false;
    if (fs_path && fs_gate(fd, FS_FSYNC, 0, "fdatasync", &hit) < 0)
        return -1;
    return real_fdatasync(fd);
}

ssize_t copy_file_range(int in, off64_t *in_off, int out, off64_t *out_off, size_t len,
                        unsigned flags)
{
    FS_REAL(fs_cfr_fn, copy_file_range);
    bool hit_in = false, hit_out = false;
    ssize_t k = (ssize_t)len;
    if (fs_path) {
        k = fs_gate(in, FS_READ, len, "copy_file_range", &hit_in);
        if (k >= 0)
            k = fs_gate(out, FS_WRITE, (size_t)k, "copy_file_range", &hit_out);
    }
    if (k < 0)
        return -1;
    return fs_count(hit_in || hit_out,
                    real_copy_file_range(in, in_off, out, out_off, (size_t)k, flags));
}
