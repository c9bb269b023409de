/* Output files that appear only complete: see include/claimd/ofile.h. */
#define _GNU_SOURCE /* copy_file_range */

#include "claimd/ofile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OFILE_BUF ((size_t)1 << 18)

static int ofile_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ofile_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static char *ofile_fmt(const char *dir, const char *pre, const char *name, const char *ext,
                       const char *suf)
{
    size_t n = strlen(dir) + strlen(pre) + strlen(name) + strlen(ext) + strlen(suf) + 4;
    if (n > 4096)
        return NULL;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s.%s%s", dir, pre, name, ext, suf);
    return p;
}

static void ofile_zero(ofile *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static int ofile_make(ofile *f, const char *dir, const char *name, const char *ext, bool keep)
{
    ofile_zero(f);
    f->dir = strdup(dir);
    f->tmp = ofile_fmt(dir, ".", name, ext, ".XXXXXX");
    f->path = keep ? ofile_fmt(dir, "", name, ext, "") : NULL;
    f->buf = malloc(OFILE_BUF);
    f->bcap = OFILE_BUF;
    if (!f->dir || !f->tmp || (keep && !f->path) || !f->buf) {
        int rc = strlen(dir) + strlen(name) > 4000 ? -ENAMETOOLONG : -ENOMEM;
        ofile_abort(f);
        return rc;
    }
    f->fd = mkstemp(f->tmp);
    int rc = f->fd < 0 ? -errno : 0;
    if (rc == 0 && fchmod(f->fd, 0640) != 0)
        rc = -errno;
    if (rc == 0 && !keep) {
        unlink(f->tmp);
        free(f->tmp);
        f->tmp = NULL;
    }
    if (rc) {
        ofile_abort(f);
        return rc;
    }
    return 0;
}

int ofile_open(ofile *f, const char *dir, const char *name, const char *ext)
{
    return ofile_make(f, dir, name, ext, true);
}

int ofile_open_scratch(ofile *f, const char *dir)
{
    return ofile_make(f, dir, "claimd-scratch", "tmp", false);
}

static int ofile_flush(ofile *f)
{
    if (f->err || !f->blen)
        return f->err;
    f->err = ofile_write_all(f->fd, f->buf, f->blen);
    if (!f->err)
        f->flushed += f->blen;
    f->blen = 0;
    return f->err;
}

void ofile_write(ofile *f, const void *p, size_t n)
{
    if (f->err)
        return;
    if (f->blen + n > f->bcap && ofile_flush(f) != 0)
        return;
    if (n >= f->bcap) {
        f->err = ofile_write_all(f->fd, p, n);
        if (!f->err)
            f->flushed += n;
        return;
    }
    memcpy(f->buf + f->blen, p, n);
    f->blen += n;
}

uint64_t ofile_tell(const ofile *f)
{
    return f->flushed + f->blen;
}

int ofile_truncate(ofile *f, uint64_t off)
{
    if (f->err)
        return f->err;
    if (off >= f->flushed) { /* still in the buffer */
        if (off - f->flushed <= f->blen)
            f->blen = (size_t)(off - f->flushed);
        return 0;
    }
    f->blen = 0;
    if (ftruncate(f->fd, (off_t)off) != 0 || lseek(f->fd, (off_t)off, SEEK_SET) < 0)
        f->err = -errno;
    else
        f->flushed = off;
    return f->err;
}

int ofile_append_file(ofile *f, ofile *src)
{
    if (ofile_flush(f) || ofile_flush(src))
        return f->err ? f->err : src->err;
    loff_t in = 0;
    uint64_t left = src->flushed;
    while (left) {
        ssize_t n = copy_file_range(src->fd, &in, f->fd, NULL, left, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        left -= (uint64_t)n;
        f->flushed += (uint64_t)n;
    }
    /* no copy_file_range (old kernel, another file system): read and write */
    while (left && !f->err) {
        ssize_t n = pread(src->fd, f->buf, f->bcap < left ? f->bcap : left, (off_t)in);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            f->err = n < 0 ? -errno : -EIO;
            break;
        }
        f->err = ofile_write_all(f->fd, f->buf, (size_t)n);
        in += n;
        left -= (uint64_t)n;
        f->flushed += (uint64_t)n;
    }
    return f->err;
}

int ofile_commit(ofile *f)
{
    int rc = ofile_flush(f);
    if (rc == 0 && fsync(f->fd) != 0)
        rc = -errno;
    if (close(f->fd) != 0 && rc == 0)
        rc = -errno;
    f->fd = -1;
    if (rc == 0 && (!f->path || !f->tmp))
        rc = -EINVAL;
    if (rc == 0 && rename(f->tmp, f->path) != 0)
        rc = -errno;
    if (rc == 0) {
        free(f->tmp);
        f->tmp = NULL;
        rc = ofile_fsync_dir(f->dir);
    }
    ofile_abort(f);
    return rc;
}

void ofile_abort(ofile *f)
{
    if (f->dir && f->fd >= 0) /* a zeroed ofile has fd 0 but no dir */
        close(f->fd);
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    free(f->dir);
    free(f->buf);
    ofile_zero(f);
}

int ofile_write_atomic(const char *dir, const char *name, const char *ext, const char *data,
                       size_t len)
{
    if (!data) {
        char *path = ofile_fmt(dir, "", name, ext, "");
        if (!path)
            return -ENAMETOOLONG;
        int rc = unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
        free(path);
        return rc;
    }
    ofile f;
    int rc = ofile_open(&f, dir, name, ext);
    if (rc)
        return rc;
    ofile_write(&f, data, len);
    return ofile_commit(&f);
}
