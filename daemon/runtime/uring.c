/* uring_: the sequential file reader (see include/claimd/uring.h).
 *
 * Every buffer of the pool is in one state:
 *   FREE    in the pool, ready for a read
 *   FLIGHT  a read into it is queued or in the kernel: it belongs to the
 *           kernel until its completion is reaped
 *   READY   filled (or failed, or at EOF), waiting for its turn
 *   OUT     handed to the caller; its bit is set in held until released
 * Buffers take chunks of the file in order (chunk k at k * bufsize) and
 * enter the order FIFO when they do, so the FIFO head is always the next
 * chunk to hand out. Reads stop being issued once a read hits EOF or fails
 * (stop); chunks issued before that are still reaped, never handed out
 * past the first EOF or error.
 *
 * Only the thread calling next()/free() touches the states and the ring.
 * release() only clears a bit of held (acq_rel) and notifies freed: its
 * reads of the buffer happen before next() reuses it.
 */
#define _GNU_SOURCE

#include "claimd/uring.h"

#include "claimd/ring.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RD_FREE, RD_FLIGHT, RD_READY, RD_OUT };

typedef struct rd_buf {
    unsigned char *p;
    unsigned long long off; /* file offset of the chunk */
    size_t filled;          /* bytes read so far */
    int state;
    int err; /* -errno of a failed read, else 0 */
    int eof; /* a read returned 0 */
} rd_buf;

struct uring_reader {
    int fd;
    int own_fd;
    int use_uring;
    int closing; /* free(): reap without resubmitting */
    struct io_uring ring;
    size_t nbufs, bufsize;
    unsigned char *pool;
    rd_buf bufs[URING_READER_NBUFS_MAX];
    unsigned order[URING_READER_NBUFS_MAX]; /* FIFO of buffer indices in file order */
    unsigned ord_head, ord_count;
    unsigned long long next_off; /* offset of the next chunk to issue */
    int stop;                    /* EOF or error seen: issue no more chunks */
    int done;                    /* 1: EOF handed out; < 0: error handed out */
    unsigned inflight;           /* reads prepared and not reaped */
    unsigned long long bytes;
    _Atomic uint64_t held; /* bit i: buffer i is with the caller */
    ring_event freed;      /* release() notifies, next() sleeps here */
};

bool uring_env_no_uring(void)
{
    const char *v = getenv(URING_ENV_NO_URING);
    return v && strcmp(v, "1") == 0;
}

/* ---- setup ------------------------------------------------------------------ */

static int rd_opts(const uring_reader_opts *o, size_t *nbufs, size_t *bufsize)
{
    *nbufs = o && o->nbufs ? o->nbufs : URING_READER_NBUFS_DEFAULT;
    *bufsize = o && o->bufsize ? o->bufsize : URING_READER_BUFSIZE_DEFAULT;
    if (*nbufs > URING_READER_NBUFS_MAX || *bufsize % 4096 != 0 ||
        *bufsize > URING_READER_BUFSIZE_MAX)
        return -EINVAL;
    return 0;
}

/* Sets up a ring of at least depth entries (COOP_TASKRUN when the kernel
 * has it). Returns 0, 1 when io_uring is unavailable (fall back), or
 * another -errno. */
static int uring_ring_init(struct io_uring *ring, size_t depth)
{
    unsigned entries = 4;
    while (entries < depth)
        entries <<= 1;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
#ifdef IORING_SETUP_COOP_TASKRUN
    p.flags = IORING_SETUP_COOP_TASKRUN; /* no IPI to interrupt us for completions */
#endif
    int rc = io_uring_queue_init_params(entries, ring, &p);
    if (rc == -EINVAL && p.flags) { /* kernel older than 5.19 */
        memset(&p, 0, sizeof p);
        rc = io_uring_queue_init_params(entries, ring, &p);
    }
    if (rc == -EPERM || rc == -ENOSYS || rc == -ENOMEM)
        return 1;
    return rc;
}

/* Submits what is queued; with wait, until at least one completion is
 * there. -EINTR is retried; -EAGAIN/-EBUSY (out of kernel resources) return
 * 0 so that the caller reaps first (liburing#281) and submits again. */
static int uring_submit(struct io_uring *ring, int wait)
{
    for (;;) {
        int rc;
        if (wait)
            rc = io_uring_submit_and_wait(ring, 1);
        else if (io_uring_sq_ready(ring) > 0)
            rc = io_uring_submit(ring);
        else
            return 0;
        if (rc >= 0)
            return 0;
        if (rc == -EINTR)
            continue;
        if (rc != -EAGAIN && rc != -EBUSY)
            return rc;
        if (!wait || io_uring_cq_ready(ring) > 0)
            return 0;
    }
}

int uring_reader_create(uring_reader **out, int fd, const uring_reader_opts *opts)
{
    size_t nbufs, bufsize;
    if (!out || fd < 0 || rd_opts(opts, &nbufs, &bufsize) != 0)
        return -EINVAL;
    uring_reader *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->fd = fd;
    r->nbufs = nbufs;
    r->bufsize = bufsize;
    atomic_init(&r->held, 0);
    ring_event_init(&r->freed);
    r->pool = aligned_alloc(4096, nbufs * bufsize);
    if (!r->pool) {
        free(r);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nbufs; i++)
        r->bufs[i].p = r->pool + i * bufsize;
    int rc = 1;
    if (!(opts && opts->no_uring) && !uring_env_no_uring())
        rc = uring_ring_init(&r->ring, r->nbufs);
    if (rc < 0) {
        free(r->pool);
        free(r);
        return rc;
    }
    r->use_uring = rc == 0;
    /* advice only: a failure changes nothing */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *out = r;
    return 0;
}

int uring_reader_open(uring_reader **out, const char *path, const uring_reader_opts *opts)
{
    if (!out || !path)
        return -EINVAL;
    /* O_NONBLOCK: a FIFO must not block the open until a writer comes;
     * it is refused below, since the reader reads at offsets */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = fstat(fd, &st) != 0                            ? -errno
             : S_ISDIR(st.st_mode)                          ? -EISDIR
             : S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ? -ESPIPE
                                                            : 0;
    if (rc == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        rc = -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    rc = uring_reader_create(out, fd, opts);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    (*out)->own_fd = 1;
    return 0;
}

/* ---- reading ------------------------------------------------------------------ */

/* Queues (io_uring) the read of the rest of buffer i. The SQ has at least
 * nbufs entries and each buffer has at most one read queued, so an SQE is
 * always there after a submit. */
static int rd_queue(uring_reader *r, unsigned i)
{
    rd_buf *b = &r->bufs[i];
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    if (!sqe) {
        int rc = io_uring_submit(&r->ring);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
            return rc;
        sqe = io_uring_get_sqe(&r->ring);
        if (!sqe)
            return -EBUSY;
    }
    io_uring_prep_read(sqe, r->fd, b->p + b->filled, (unsigned)(r->bufsize - b->filled),
                       b->off + b->filled);
    io_uring_sqe_set_data64(sqe, i);
    b->state = RD_FLIGHT;
    r->inflight++;
    return 0;
}

/* Records a read result of res bytes (or -errno) into b; returns 1 when b
 * needs another read (short read, or a retryable error). */
static int rd_result(uring_reader *r, rd_buf *b, long long res)
{
    if (res == -EAGAIN || res == -EINTR)
        return !r->closing;
    if (res < 0) {
        b->err = (int)res;
        r->stop = 1;
    } else if (res == 0) {
        b->eof = 1;
        r->stop = 1;
    } else {
        b->filled += (size_t)res;
        if (b->filled < r->bufsize)
            return !r->closing; /* short read: the rest at off + filled */
    }
    b->state = RD_READY;
    return 0;
}

/* pread backend: fills buffer b synchronously. */
static void rd_pread(uring_reader *r, rd_buf *b)
{
    for (;;) {
        ssize_t n =
            pread(r->fd, b->p + b->filled, r->bufsize - b->filled, (off_t)(b->off + b->filled));
        if (rd_result(r, b, n < 0 ? -errno : n) == 0)
            return;
    }
}

/* Takes back the buffers the caller released. */
static void rd_collect(uring_reader *r)
{
    uint64_t held = atomic_load_explicit(&r->held, memory_order_acquire);
    for (unsigned i = 0; i < r->nbufs; i++)
        if (r->bufs[i].state == RD_OUT && !(held & ((uint64_t)1 << i)))
            r->bufs[i].state = RD_FREE;
}

/* Gives free buffers the next chunks: all of them with io_uring, one when
 * nothing is pending with pread (a synchronous read cannot overlap). */
static int rd_issue(uring_reader *r)
{
    for (unsigned i = 0; i < r->nbufs && !r->stop; i++) {
        rd_buf *b = &r->bufs[i];
        if (b->state != RD_FREE)
            continue;
        if (!r->use_uring && r->ord_count > 0)
            break;
        b->off = r->next_off;
        b->filled = 0;
        b->err = 0;
        b->eof = 0;
        r->next_off += r->bufsize;
        r->order[(r->ord_head + r->ord_count) % r->nbufs] = i;
        r->ord_count++;
        if (!r->use_uring) {
            rd_pread(r, b);
            continue;
        }
        int rc = rd_queue(r, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Submits what is queued and reaps every completion there; with wait,
 * first waits for one. */
static int rd_reap(uring_reader *r, int wait)
{
    int rc = uring_submit(&r->ring, wait);
    if (rc < 0)
        return rc;
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&r->ring, head, cqe)
    {
        unsigned i = (unsigned)io_uring_cqe_get_data64(cqe);
        seen++;
        r->inflight--;
        if (rd_result(r, &r->bufs[i], cqe->res) && rd_queue(r, i) < 0) {
            r->bufs[i].err = -EIO;
            r->bufs[i].state = RD_READY;
            r->stop = 1;
        }
    }
    io_uring_cq_advance(&r->ring, seen);
    return 0;
}

/* Sleeps until the caller releases a buffer (all of them are OUT). */
static void rd_wait_release(uring_reader *r)
{
    uint64_t all = r->nbufs == 64 ? ~(uint64_t)0 : ((uint64_t)1 << r->nbufs) - 1;
    for (unsigned spin = 0; spin < RING_SPIN; spin++) {
        if ((atomic_load_explicit(&r->held, memory_order_relaxed) & all) != all)
            return;
        ring_cpu_relax();
    }
    uint32_t g = ring_event_prepare(&r->freed);
    if ((atomic_load_explicit(&r->held, memory_order_relaxed) & all) != all) {
        ring_event_cancel(&r->freed);
        return;
    }
    ring_event_wait(&r->freed, g);
}

/* Hands out the FIFO head: 1 (a buffer), 0 (EOF), < 0 (its error). */
static int rd_deliver(uring_reader *r, void **buf, size_t *len)
{
    unsigned i = r->order[r->ord_head];
    rd_buf *b = &r->bufs[i];
    r->ord_head = (r->ord_head + 1) % r->nbufs;
    r->ord_count--;
    if (b->err < 0 || b->filled == 0) {
        b->state = RD_FREE;
        r->done = b->err < 0 ? b->err : 1;
        return b->err;
    }
    if (b->eof)
        r->done = 1; /* this partial buffer is the file's last */
    b->state = RD_OUT;
    atomic_fetch_or_explicit(&r->held, (uint64_t)1 << i, memory_order_relaxed);
    r->bytes += b->filled;
    *buf = b->p;
    *len = b->filled;
    return 1;
}

int uring_reader_next(uring_reader *r, void **buf, size_t *len)
{
    if (!r || !buf || !len)
        return -EINVAL;
    for (;;) {
        if (r->done)
            return r->done < 0 ? r->done : 0;
        rd_collect(r);
        /* Queue reads into the free buffers and submit them before handing
         * out the head, so they run while the caller works. */
        int rc = rd_issue(r);
        if (rc == 0 && r->use_uring)
            rc = rd_reap(r, 0);
        if (rc < 0)
            return r->done = rc;
        if (r->ord_count > 0 && r->bufs[r->order[r->ord_head]].state == RD_READY)
            return rd_deliver(r, buf, len);
        if (r->ord_count == 0)
            rd_wait_release(r);
        else if ((rc = rd_reap(r, 1)) < 0)
            return r->done = rc;
    }
}

int uring_reader_release(uring_reader *r, void *buf)
{
    if (!r || !buf)
        return -EINVAL;
    uintptr_t p = (uintptr_t)buf, base = (uintptr_t)r->pool;
    if (p < base || (p - base) % r->bufsize != 0 || (p - base) / r->bufsize >= r->nbufs)
        return -EINVAL;
    uint64_t bit = (uint64_t)1 << ((p - base) / r->bufsize);
    /* acq_rel: the caller's use of the buffer happens before its reuse. */
    uint64_t old = atomic_fetch_and_explicit(&r->held, ~bit, memory_order_acq_rel);
    if (!(old & bit))
        return -EINVAL;
    ring_event_notify(&r->freed);
    return 0;
}

const char *uring_reader_backend(const uring_reader *r)
{
    return r->use_uring ? "io_uring" : "pread";
}

unsigned long long uring_reader_bytes(const uring_reader *r)
{
    return r->bytes;
}

void uring_reader_free(uring_reader *r)
{
    if (!r)
        return;
    if (r->use_uring) {
        r->closing = 1;
        while (r->inflight > 0)
            if (rd_reap(r, 1) < 0)
                break; /* the ring is broken: exit cancels what is left */
        io_uring_queue_exit(&r->ring);
    }
    if (r->own_fd)
        close(r->fd);
    free(r->pool);
    free(r);
}

/* ---- the writer ----------------------------------------------------------------
 *
 * Every buffer of the pool is in one state:
 *   FREE    in the pool (allocated on first use)
 *   OUT     with the caller, being filled
 *   FLIGHT  its write is queued or in the kernel: the kernel reads it until
 *           the completion is reaped
 * A buffer has at most one request in flight and the SQ has at least nbufs
 * entries, so the CQ (twice the SQ) never overflows. Writes go at distinct
 * increasing offsets, so their completion order does not matter; seek and
 * truncate wait for all of them first.
 */

enum { WR_FREE, WR_OUT, WR_FLIGHT };

typedef struct wr_buf {
    unsigned char *p;       /* NULL until first used */
    unsigned long long off; /* file offset of its write */
    size_t len, done;       /* bytes to write, bytes written */
    int state;
} wr_buf;

struct uring_writer {
    int fd;
    int use_uring;
    int closing; /* free(): reap without resubmitting */
    struct io_uring ring;
    size_t nbufs, bufsize;
    wr_buf bufs[URING_WRITER_NBUFS_MAX];
    unsigned inflight;      /* writes queued and not reaped */
    unsigned long long off; /* offset of the next submit */
    int err;                /* sticky: the first -errno */
};

int uring_writer_create(uring_writer **out, int fd, unsigned long long off,
                        const uring_writer_opts *opts)
{
    size_t nbufs = opts && opts->nbufs ? opts->nbufs : URING_WRITER_NBUFS_DEFAULT;
    size_t bufsize = opts && opts->bufsize ? opts->bufsize : URING_WRITER_BUFSIZE_DEFAULT;
    if (!out || fd < 0 || nbufs > URING_WRITER_NBUFS_MAX || bufsize % 4096 != 0 ||
        bufsize > URING_WRITER_BUFSIZE_MAX)
        return -EINVAL;
    uring_writer *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->fd = fd;
    w->nbufs = nbufs;
    w->bufsize = bufsize;
    w->off = off;
    int rc = 1;
    if (!(opts && opts->no_uring) && !uring_env_no_uring())
        rc = uring_ring_init(&w->ring, nbufs);
    if (rc < 0) {
        free(w);
        return rc;
    }
    w->use_uring = rc == 0;
    *out = w;
    return 0;
}

static void wr_fail(uring_writer *w, int err)
{
    if (!w->err)
        w->err = err;
}

/* Queues the write of the rest of buffer i. */
static int wr_queue(uring_writer *w, unsigned i)
{
    wr_buf *b = &w->bufs[i];
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    if (!sqe) {
        int rc = uring_submit(&w->ring, 0);
        if (rc < 0)
            return rc;
        sqe = io_uring_get_sqe(&w->ring);
        if (!sqe)
            return -EBUSY;
    }
    io_uring_prep_write(sqe, w->fd, b->p + b->done, (unsigned)(b->len - b->done), b->off + b->done);
    io_uring_sqe_set_data64(sqe, i);
    b->state = WR_FLIGHT;
    w->inflight++;
    return 0;
}

/* Records a write result of res bytes (or -errno) into b; returns 1 when b
 * needs another write (short write, or a retryable error). */
static int wr_result(uring_writer *w, wr_buf *b, long long res)
{
    if ((res == -EAGAIN || res == -EINTR) && !w->closing)
        return 1;
    if (res <= 0) {
        wr_fail(w, res < 0 ? (int)res : -EIO); /* 0: no progress, would spin */
    } else {
        b->done += (size_t)res;
        if (b->done < b->len && !w->closing)
            return 1; /* short write: the rest at off + done */
    }
    b->state = WR_FREE;
    return 0;
}

/* Submits what is queued and reaps every completion there; with wait,
 * first waits for one. */
static int wr_reap(uring_writer *w, int wait)
{
    int rc = uring_submit(&w->ring, wait);
    if (rc < 0)
        return rc;
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&w->ring, head, cqe)
    {
        unsigned i = (unsigned)io_uring_cqe_get_data64(cqe);
        seen++;
        w->inflight--;
        if (wr_result(w, &w->bufs[i], cqe->res) && (rc = wr_queue(w, i)) < 0) {
            wr_fail(w, rc);
            w->bufs[i].state = WR_FREE;
        }
    }
    io_uring_cq_advance(&w->ring, seen);
    return 0;
}

/* pwrite backend: writes buffer b synchronously. */
static void wr_pwrite(uring_writer *w, wr_buf *b)
{
    for (;;) {
        ssize_t n = pwrite(w->fd, b->p + b->done, b->len - b->done, (off_t)(b->off + b->done));
        if (wr_result(w, b, n < 0 ? -errno : n) == 0)
            return;
    }
}

/* A FREE buffer, preferring one already allocated; -1 when none. */
static int wr_pick(const uring_writer *w)
{
    int spare = -1;
    for (unsigned i = 0; i < w->nbufs; i++) {
        if (w->bufs[i].state != WR_FREE)
            continue;
        if (w->bufs[i].p)
            return (int)i;
        if (spare < 0)
            spare = (int)i;
    }
    return spare;
}

int uring_writer_get(uring_writer *w, void **buf, size_t *cap)
{
    if (!w || !buf || !cap)
        return -EINVAL;
    for (;;) {
        if (w->err)
            return w->err;
        int i = wr_pick(w);
        if (i >= 0) {
            wr_buf *b = &w->bufs[i];
            if (!b->p && !(b->p = aligned_alloc(4096, w->bufsize)))
                return -ENOMEM;
            b->state = WR_OUT;
            *buf = b->p;
            *cap = w->bufsize;
            return 0;
        }
        if (w->inflight == 0)
            return -EBUSY; /* the caller holds them all */
        int rc = wr_reap(w, 1);
        if (rc < 0)
            wr_fail(w, rc);
    }
}

/* Index of buf if it is a buffer of the pool, else -1. */
static int wr_index(const uring_writer *w, const void *buf)
{
    for (unsigned i = 0; i < w->nbufs; i++)
        if (buf && w->bufs[i].p == buf)
            return (int)i;
    return -1;
}

int uring_writer_submit(uring_writer *w, void *buf, size_t len)
{
    if (!w)
        return -EINVAL;
    int i = wr_index(w, buf);
    if (i < 0 || w->bufs[i].state != WR_OUT || len > w->bufsize)
        return -EINVAL;
    wr_buf *b = &w->bufs[i];
    b->state = WR_FREE;
    if (w->err || len == 0)
        return w->err;
    b->off = w->off;
    b->len = len;
    b->done = 0;
    w->off += len;
    if (!w->use_uring) {
        wr_pwrite(w, b);
        return w->err;
    }
    int rc = wr_queue(w, (unsigned)i);
    if (rc == 0)
        rc = wr_reap(w, 0); /* submit now: the write runs while the caller fills the next */
    if (rc < 0)
        wr_fail(w, rc);
    return w->err;
}

int uring_writer_wait(uring_writer *w)
{
    if (!w)
        return -EINVAL;
    while (w->use_uring && w->inflight > 0) {
        int rc = wr_reap(w, 1);
        if (rc < 0) { /* the ring is broken: nothing more completes */
            wr_fail(w, rc);
            break;
        }
    }
    return w->err;
}

int uring_writer_seek(uring_writer *w, unsigned long long off)
{
    int rc = uring_writer_wait(w);
    if (rc == 0)
        w->off = off;
    return rc;
}

int uring_writer_truncate(uring_writer *w, unsigned long long off)
{
    int rc = uring_writer_wait(w);
    if (rc)
        return rc;
    if (ftruncate(w->fd, (off_t)off) != 0) {
        wr_fail(w, -errno);
        return w->err;
    }
    w->off = off;
    return 0;
}

int uring_writer_finish(uring_writer *w)
{
    int rc = uring_writer_wait(w);
    if (rc == 0 && fsync(w->fd) != 0)
        wr_fail(w, rc = -errno);
    return rc;
}

unsigned long long uring_writer_offset(const uring_writer *w)
{
    return w->off;
}

const char *uring_writer_backend(const uring_writer *w)
{
    return w->use_uring ? "io_uring" : "pwrite";
}

void uring_writer_free(uring_writer *w)
{
    if (!w)
        return;
    if (w->use_uring) {
        w->closing = 1;
        (void)uring_writer_wait(w);
        io_uring_queue_exit(&w->ring);
    }
    for (unsigned i = 0; i < w->nbufs; i++)
        free(w->bufs[i].p);
    free(w);
}
