/* Output files that appear only complete: see include/claimd/ofile.h. */
#define _GNU_SOURCE /* copy_file_range */

#include "claimd/ofile.h"

#include "claimd/uring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (!f->dir || !f->tmp || (keep && !f->path)) {
        int rc = strlen(dir) + strlen(name) > 4000 ? -ENAMETOOLONG : -ENOMEM;
        ofile_abort(f);
        return rc;
    }
    f->fd = mkstemp(f->tmp);
    int rc = f->fd < 0 ? -errno : 0;
    if (rc == 0 && fchmod(f->fd, 0640) != 0)
        rc = -errno;
    if (rc == 0)
        rc = uring_writer_create(&f->w, f->fd, 0, NULL);
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

/* Submits the buffer being filled (the writes run in the background). */
static int ofile_flush(ofile *f)
{
    if (f->err || !f->buf || !f->blen)
        return f->err;
    int rc = uring_writer_submit(f->w, f->buf, f->blen);
    f->buf = NULL;
    f->flushed += f->blen;
    f->blen = 0;
    return f->err = rc;
}

void ofile_write(ofile *f, const void *p, size_t n)
{
    const char *s = p;
    while (n && !f->err) {
        if (!f->buf) {
            void *b;
            f->err = uring_writer_get(f->w, &b, &f->bcap);
            if (f->err)
                return;
            f->buf = b;
            f->blen = 0;
        }
        size_t k = f->bcap - f->blen < n ? f->bcap - f->blen : n;
        memcpy(f->buf + f->blen, s, k);
        f->blen += k;
        s += k;
        n -= k;
        if (f->blen == f->bcap)
            ofile_flush(f);
    }
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
    f->blen = 0; /* the buffer stays ours, empty, for what follows */
    f->err = uring_writer_truncate(f->w, off);
    if (!f->err)
        f->flushed = off;
    return f->err;
}

/* Copies n bytes of src from in to f (at f->flushed) with pread and the
 * writer: when copy_file_range cannot. */
static int ofile_copy_read(ofile *f, ofile *src, uint64_t in, uint64_t n)
{
    while (n && !f->err) {
        void *b;
        size_t cap;
        if ((f->err = uring_writer_get(f->w, &b, &cap)) != 0)
            break;
        ssize_t k = pread(src->fd, b, cap < n ? cap : n, (off_t)in);
        if (k <= 0) {
            f->err = k < 0 ? -errno : -EIO;
            if (f->err == -EINTR)
                f->err = 0;
            uring_writer_submit(f->w, b, 0);
            continue;
        }
        f->err = uring_writer_submit(f->w, b, (size_t)k);
        in += (uint64_t)k;
        n -= (uint64_t)k;
        f->flushed += (uint64_t)k;
    }
    return f->err;
}

int ofile_append_file(ofile *f, ofile *src)
{
    /* src is read and f written behind the writers' backs: both idle. A
     * failed src fails f too: f would miss its contents. */
    if (ofile_flush(f))
        return f->err;
    if (ofile_flush(src) || (src->err = uring_writer_wait(src->w)) != 0)
        return f->err = src->err;
    if (f->buf) { /* an empty buffer held since a take-back */
        uring_writer_submit(f->w, f->buf, 0);
        f->buf = NULL;
    }
    if ((f->err = uring_writer_wait(f->w)) != 0)
        return f->err;
    loff_t in = 0, out = (loff_t)f->flushed;
    uint64_t left = src->flushed;
    while (left) {
        ssize_t n = copy_file_range(src->fd, &in, f->fd, &out, left, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        left -= (uint64_t)n;
        f->flushed += (uint64_t)n;
    }
    f->err = uring_writer_seek(f->w, f->flushed);
    /* no copy_file_range (old kernel, another file system): read and write */
    return ofile_copy_read(f, src, (uint64_t)in, f->err ? 0 : left);
}

int ofile_error(const ofile *f)
{
    return f->err;
}

const char *ofile_backend(const ofile *f)
{
    return f->w ? uring_writer_backend(f->w) : NULL;
}

int ofile_sync(ofile *f)
{
    int rc = ofile_flush(f);
    if (rc == 0)
        rc = uring_writer_finish(f->w); /* waits for the writes, fsyncs */
    uring_writer_free(f->w);
    f->w = NULL;
    f->buf = NULL;
    if (close(f->fd) != 0 && rc == 0)
        rc = -errno;
    f->fd = -1;
    if (rc == 0 && (!f->path || !f->tmp))
        rc = -EINVAL;
    if (rc)
        ofile_abort(f);
    return rc;
}

int ofile_publish(ofile *f)
{
    int rc = f->path && f->tmp ? 0 : -EINVAL;
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

int ofile_commit(ofile *f)
{
    int rc = ofile_sync(f);
    return rc ? rc : ofile_publish(f);
}

void ofile_abort(ofile *f)
{
    uring_writer_free(f->w);  /* waits for its writes before the close */
    if (f->dir && f->fd >= 0) /* a zeroed ofile has fd 0 but no dir */
        close(f->fd);
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    free(f->dir);
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
