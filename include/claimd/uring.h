/* uring_: sequential file reading and appending through io_uring, with a
 * pread/pwrite fallback. (daemon/runtime/uring.c is the only code that
 * touches liburing.)
 *
 * uring_reader reads a file from offset 0 to its end into a fixed pool of
 * nbufs buffers of bufsize bytes, with up to nbufs reads in flight, and
 * hands the filled buffers out in file order. Memory is nbufs * bufsize
 * whatever the file's size: when the caller holds every buffer, the reader
 * waits for one to come back.
 *
 * Backends: io_uring (one ring owned by the reader; buffered reads, short
 * reads resubmitted at off + res, -EAGAIN/-EINTR retried), or pread(2)
 * (one synchronous read per buffer). pread is used when io_uring cannot be
 * set up (io_uring_queue_init fails with -EPERM: seccomp or
 * kernel.io_uring_disabled; -ENOSYS; -ENOMEM: RLIMIT_MEMLOCK on old
 * kernels), when the environment has CLAIMD_NO_URING=1, or when the caller
 * asks (opts.no_uring, for a --no-uring flag). uring_reader_backend() says
 * which one runs; the caller logs it once.
 *
 * EOF: the file ends at the first read that returns 0 bytes. The buffers
 * handed out hold exactly the bytes before that point, in order: every
 * buffer but the last is full. A file that grows while being read is read
 * up to where the reader saw its end; one truncated while being read ends
 * early (no error, no crash); one replaced by rename is still the old file
 * (the reader holds its descriptor).
 *
 * Threads: uring_reader_next() and uring_reader_free() belong to one
 * thread (the ring is not thread-safe); uring_reader_release() may be
 * called from any thread (buffers travel down the pipeline and come back).
 */
/* uring_writer appends to a descriptor at increasing offsets from a small
 * pool of buffers (default 4 x 256 KiB): the caller takes a free buffer
 * (uring_writer_get), fills it and submits it; up to nbufs writes are in
 * flight while the caller fills the next one. Short writes are resubmitted
 * at off + res, -EAGAIN/-EINTR retried. The first failed write is sticky:
 * every later call returns it, uring_writer_finish() included. The same
 * switch as the reader picks pwrite(2) (one synchronous write per buffer):
 * io_uring setup failing with -EPERM/-ENOSYS/-ENOMEM, CLAIMD_NO_URING=1, or
 * opts.no_uring. One thread at a time per writer.
 */
#ifndef CLAIMD_URING_H
#define CLAIMD_URING_H

#include <stdbool.h>
#include <stddef.h>

#define URING_READER_NBUFS_DEFAULT   4
#define URING_READER_BUFSIZE_DEFAULT ((size_t)256 << 10)
#define URING_READER_NBUFS_MAX       64
#define URING_READER_BUFSIZE_MAX     ((size_t)64 << 20)

/* The environment variable that forces the pread backend when set to 1. */
#define URING_ENV_NO_URING "CLAIMD_NO_URING"

typedef struct uring_reader_opts {
    size_t nbufs;   /* buffers in the pool, 1..64 (0: default 4) */
    size_t bufsize; /* bytes per buffer, a multiple of 4096 up to 64 MiB
                     * (0: default 256 KiB) */
    bool no_uring;  /* use pread whatever io_uring can do */
} uring_reader_opts;

typedef struct uring_reader uring_reader;

/* True when CLAIMD_NO_URING is set to 1 in the environment. */
bool uring_env_no_uring(void);

/* Opens path read-only and creates a reader over it (the reader closes the
 * descriptor). opts may be NULL (defaults). Returns 0 and *out, or:
 *   -EINVAL  bad options
 *   -ENOMEM  no memory for the pool
 *   -errno   of open(2), or of io_uring setup other than the fallback cases
 * The caller owns *out; uring_reader_free() it. */
int uring_reader_open(uring_reader **out, const char *path, const uring_reader_opts *opts);

/* As uring_reader_open on an open descriptor, read with absolute offsets
 * from 0 (the file position is neither used nor moved). The descriptor is
 * not closed by the reader and must outlive it. */
int uring_reader_create(uring_reader **out, int fd, const uring_reader_opts *opts);

/* The next buffer in file order. Returns:
 *   1   *buf and *len are set: len bytes of the file (1..bufsize) at the
 *       offset following the previous buffer. The buffer belongs to the
 *       caller until uring_reader_release().
 *   0   end of file (and on every later call)
 *  <0   -errno of a read (on every later call too), -EINVAL on bad args.
 * Sleeps while the caller holds every buffer of the pool, until another
 * thread releases one: a single-threaded caller must release before it
 * asks for more than nbufs. */
int uring_reader_next(uring_reader *r, void **buf, size_t *len);

/* Gives buf (returned by uring_reader_next) back to the pool; any thread.
 * Returns 0, or -EINVAL when buf is not a buffer the caller holds. */
int uring_reader_release(uring_reader *r, void *buf);

/* "io_uring" or "pread": static strings. */
const char *uring_reader_backend(const uring_reader *r);

/* Bytes handed out so far. */
unsigned long long uring_reader_bytes(const uring_reader *r);

/* Waits for reads still in flight (the kernel may write into the buffers
 * until they complete), then frees everything. Buffers the caller still
 * holds become invalid. NULL is a no-op. */
void uring_reader_free(uring_reader *r);

/* ---- the writer ------------------------------------------------------------ */

#define URING_WRITER_NBUFS_DEFAULT   4
#define URING_WRITER_BUFSIZE_DEFAULT ((size_t)256 << 10)
#define URING_WRITER_NBUFS_MAX       64
#define URING_WRITER_BUFSIZE_MAX     ((size_t)64 << 20)

typedef struct uring_writer_opts {
    size_t nbufs;   /* buffers in the pool, 1..64 (0: default 4) */
    size_t bufsize; /* bytes per buffer, a multiple of 4096 up to 64 MiB
                     * (0: default 256 KiB) */
    bool no_uring;  /* use pwrite whatever io_uring can do */
} uring_writer_opts;

typedef struct uring_writer uring_writer;

/* Creates a writer that appends to fd from offset off (absolute offsets:
 * the file position is neither used nor moved). The descriptor is not
 * closed by the writer and must outlive it. Buffers are allocated when
 * first needed, so a small file costs one. opts may be NULL. Returns 0 and
 * *out, or -EINVAL (bad options), -ENOMEM, or -errno of io_uring setup
 * other than the fallback cases. uring_writer_free() it. */
int uring_writer_create(uring_writer **out, int fd, unsigned long long off,
                        const uring_writer_opts *opts);

/* A free buffer of *cap (= bufsize) bytes for the caller to fill; it
 * belongs to the caller until uring_writer_submit(). Waits for a write in
 * flight to complete when every allocated buffer is busy. Returns 0, the
 * sticky error, -ENOMEM, or -EBUSY when the caller holds every buffer. */
int uring_writer_get(uring_writer *w, void **buf, size_t *cap);

/* Appends buf[0..len) (len <= bufsize; 0 just gives the buffer back) at the
 * current offset, which moves by len; buf goes back to the writer, which
 * owns it until the write completes. Returns 0, the sticky error (the data
 * is dropped), or -EINVAL when buf is not a buffer the caller holds. A
 * write error may show at this call or at a later one. */
int uring_writer_submit(uring_writer *w, void *buf, size_t len);

/* Waits for every write in flight. Returns 0 or the sticky error. */
int uring_writer_wait(uring_writer *w);

/* Waits for the writes in flight, then moves the offset of the next write
 * to off (without touching the file: for data written behind the writer's
 * back, e.g. copy_file_range). Returns 0 or the sticky error. */
int uring_writer_seek(uring_writer *w, unsigned long long off);

/* Take-back: waits for the writes in flight, ftruncates the file to off and
 * writes next at off. Returns 0 or the sticky error (-errno of ftruncate
 * becomes sticky). Buffers the caller holds stay its own. */
int uring_writer_truncate(uring_writer *w, unsigned long long off);

/* Waits for the writes in flight, then fsyncs. Returns 0, the sticky error
 * or -errno of fsync (sticky too). */
int uring_writer_finish(uring_writer *w);

/* Offset of the next write (bytes submitted, less take-backs). */
unsigned long long uring_writer_offset(const uring_writer *w);

/* "io_uring" or "pwrite": static strings. */
const char *uring_writer_backend(const uring_writer *w);

/* Waits for the writes still in flight (the kernel reads the buffers until
 * they complete), then frees everything; the descriptor stays open. NULL is
 * a no-op. */
void uring_writer_free(uring_writer *w);

#endif
