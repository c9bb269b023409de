#define _POSIX_C_SOURCE 200809L

#include "claimd/xfeed.h"

#include "claimd/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* read(2) that retries EINTR; returns bytes, 0 at EOF, or -errno. */
static ssize_t xfeed_read(int fd, char *p, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, p, n);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

static int xfeed_loop(int fd, x12_walker *w, char *buf, size_t cap, xfeed_stats *st)
{
    size_t len = 0; /* bytes in buf: the unconsumed tail, then new data */
    for (;;) {
        if (len == cap)
            return -CLAIMD_EX12_SEG_TOO_LONG; /* no terminator in a full buffer */
        ssize_t r = xfeed_read(fd, buf + len, cap - len);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return x12_walker_finish(w, buf, len);
        st->bytes += (uint64_t)r;
        st->reads++;
        len += (size_t)r;
        size_t used = 0;
        int rc = x12_walker_feed(w, buf, len, &used);
        if (rc < 0)
            return rc;
        if (used > len)
            used = len;
        memmove(buf, buf + used, len - used);
        len -= used;
    }
}

int xfeed_fd(int fd, x12_walker *w, size_t bufsize, xfeed_stats *stats)
{
    xfeed_stats st = {0};
    if (bufsize == 0)
        bufsize = XFEED_BUF_DEFAULT;
    if (bufsize < XFEED_BUF_MIN)
        bufsize = XFEED_BUF_MIN;
    char *buf = malloc(bufsize);
    if (!buf)
        return -ENOMEM;
    int rc = xfeed_loop(fd, w, buf, bufsize, &st);
    free(buf);
    if (stats)
        *stats = st;
    return rc;
}

int xfeed_file(const char *path, x12_walker *w, size_t bufsize, xfeed_stats *stats)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* advice only: a failure changes nothing */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int rc = xfeed_fd(fd, w, bufsize, stats);
    close(fd);
    return rc;
}

int xfeed_walk_acked(const char *path, ack_999 *ack, const x12_sink *sink, uint64_t *err_off)
{
    x12_sink_pair pair = {.b = *sink};
    x12_sink tee;
    ack_999_sink(ack, &pair.a);
    x12_sink_tee(&pair, &tee);
    x12_walker *w;
    int rc = x12_walker_create(&tee, &w);
    if (rc)
        return rc;
    rc = xfeed_file(path, w, 0, NULL);
    *err_off = x12_walker_error_off(w);
    x12_walker_free(w);
    return rc;
}
