/* claimgen helpers: the random number generator and atomic buffered files. */
#define _GNU_SOURCE
#include "claimgen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_BUF_SIZE (1u << 20)

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void cg_rng_seed(cg_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cg_rng_next(cg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t cg_rng_below(cg_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the tiny bias is irrelevant here and the
     * result is still a pure function of the state. */
    return (uint32_t)(((cg_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double cg_rng_unit(cg_rng *r)
{
    return (double)(cg_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double cg_rng_normal(cg_rng *r)
{
    double u = cg_rng_unit(r), v = cg_rng_unit(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

uint64_t cg_hash(uint64_t seed, const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n && s[i]; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return splitmix64(&h);
}

static char *path_join(const char *dir, const char *name, int hidden)
{
    size_t n = strlen(dir) + strlen(name) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, hidden ? "%s/.%s.XXXXXX" : "%s/%s", dir, name);
    return p;
}

int cg_file_open(cg_file *f, const char *dir, const char *name)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->path = path_join(dir, name, 0);
    f->tmp = path_join(dir, name, 1);
    f->buf = malloc(CG_BUF_SIZE);
    if (!f->path || !f->tmp || !f->buf) {
        fprintf(stderr, "claimgen: %s/%s: out of memory\n", dir, name);
        cg_file_abort(f);
        return -ENOMEM;
    }
    f->cap = CG_BUF_SIZE;
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        fprintf(stderr, "claimgen: %s: cannot create: %s\n", f->path, strerror(e));
        free(f->tmp);
        f->tmp = NULL;
        cg_file_abort(f);
        return -e;
    }
    /* mkostemp makes 0600; reference tables are not secret. */
    if (fchmod(f->fd, 0644) != 0)
        f->err = -errno;
    return 0;
}

static void flush_buf(cg_file *f)
{
    size_t off = 0;
    while (off < f->len && !f->err) {
        ssize_t n = write(f->fd, f->buf + off, f->len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            f->err = -errno;
            break;
        }
        off += (size_t)n;
    }
    f->len = 0;
}

void cg_file_put(cg_file *f, const void *p, size_t n)
{
    const char *s = p;
    f->bytes += n;
    while (n > 0) {
        if (f->len == f->cap)
            flush_buf(f);
        size_t k = f->cap - f->len < n ? f->cap - f->len : n;
        memcpy(f->buf + f->len, s, k);
        f->len += k;
        s += k;
        n -= k;
    }
}

void cg_file_puts(cg_file *f, const char *s)
{
    cg_file_put(f, s, strlen(s));
}

void cg_file_putc(cg_file *f, char c)
{
    if (f->len == f->cap)
        flush_buf(f);
    f->buf[f->len++] = c;
    f->bytes++;
}

void cg_file_pad(cg_file *f, const char *s, size_t width)
{
    size_t n = strlen(s);
    if (n > width)
        n = width;
    cg_file_put(f, s, n);
    for (; n < width; n++)
        cg_file_putc(f, ' ');
}

void cg_file_uint(cg_file *f, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n < width)
        tmp[n++] = '0';
    while (n > 0)
        cg_file_putc(f, tmp[--n]);
}

void cg_file_dec2(cg_file *f, int64_t hundredths)
{
    if (hundredths < 0) {
        cg_file_putc(f, '-');
        hundredths = -hundredths;
    }
    cg_file_uint(f, (uint64_t)hundredths / 100, 0);
    cg_file_putc(f, '.');
    cg_file_uint(f, (uint64_t)hundredths % 100, 2);
}

int cg_file_commit(cg_file *f)
{
    flush_buf(f);
    if (!f->err && fsync(f->fd) != 0)
        f->err = -errno;
    if (close(f->fd) != 0 && !f->err)
        f->err = -errno;
    f->fd = -1;
    if (!f->err && rename(f->tmp, f->path) != 0)
        f->err = -errno;
    int err = f->err;
    if (err) {
        fprintf(stderr, "claimgen: %s: cannot write: %s\n", f->path, strerror(-err));
        unlink(f->tmp);
    }
    free(f->tmp);
    free(f->path);
    free(f->buf);
    f->tmp = f->path = f->buf = NULL;
    return err;
}

void cg_file_abort(cg_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    free(f->buf);
    f->tmp = f->path = f->buf = NULL;
}
