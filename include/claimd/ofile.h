/* ofile_: output files that appear only complete.
 *
 * An ofile is a temporary file in the output folder (".NAME.EXT.XXXXXX",
 * mode 0640), written through a uring_writer (io_uring, a few writes in
 * flight from a pool of 256 KiB buffers; pwrite when io_uring is unavailable
 * or CLAIMD_NO_URING=1), that can be cut back to an earlier offset (to take
 * back what was written for a transaction the 999 rejects), and on commit
 * is flushed, fsynced and renamed to NAME.EXT, then the folder is fsynced.
 * A scratch ofile is unlinked as soon as it is created (its contents, PHI,
 * vanish with the process) and is never committed.
 *
 * Errors are sticky: a failed write (-ENOSPC, -EIO...) makes every later
 * call a no-op, and ofile_commit() returns the first error and removes the
 * temporary file, so nothing partial appears. One thread at a time per
 * ofile.
 */
#ifndef CLAIMD_OFILE_H
#define CLAIMD_OFILE_H

#include <stddef.h>
#include <stdint.h>

struct uring_writer;

typedef struct ofile {
    int fd;
    int err;                /* 0 or the first -errno */
    struct uring_writer *w; /* owns the buffers and the writes in flight */
    uint64_t flushed;       /* bytes handed to the writer: the offset of buf */
    char *buf;              /* the writer's buffer being filled, or NULL */
    size_t blen, bcap;
    char *path; /* DIR/NAME.EXT (heap), NULL for a scratch file */
    char *tmp;  /* the temporary name (heap), NULL once renamed or unlinked */
    char *dir;
} ofile;

/* Creates DIR/.NAME.EXT.XXXXXX for DIR/NAME.EXT. Returns 0, -ENAMETOOLONG,
 * -ENOMEM or -errno of mkstemp/fchmod. */
int ofile_open(ofile *f, const char *dir, const char *name, const char *ext);

/* Creates an unlinked temporary file in dir (for data that is copied into
 * another ofile later). Returns 0 or -errno. */
int ofile_open_scratch(ofile *f, const char *dir);

/* Appends p[0..n) (buffered: a full buffer is submitted to the writer). */
void ofile_write(ofile *f, const void *p, size_t n);

/* Bytes written so far (buffered ones included). */
uint64_t ofile_tell(const ofile *f);

/* Cuts the file back to off (<= ofile_tell): within the buffer being
 * filled, at no cost; further back, after the writes in flight complete,
 * with ftruncate. Returns 0 or the error. */
int ofile_truncate(ofile *f, uint64_t off);

/* Appends the whole contents of src (which stays as it is). Returns 0 or
 * the error; an error of src becomes f's too. */
int ofile_append_file(ofile *f, ofile *src);

/* Flushes, fsyncs, closes and renames to its final name, then fsyncs the
 * folder. On any failure the temporary file is removed. Returns 0 or the
 * first error. The ofile is closed either way. Same as ofile_sync() then
 * ofile_publish(). */
int ofile_commit(ofile *f);

/* The two halves of ofile_commit, for outputs that must appear together:
 * sync every one first (flush, wait, fsync, close; the temporary file stays),
 * and publish them (rename, folder fsync) only when all synced. On failure
 * ofile_sync removes the temporary file and closes the ofile; ofile_publish
 * closes it either way. Both return 0 or the first error. */
int ofile_sync(ofile *f);
int ofile_publish(ofile *f);

/* The first error (-errno), or 0: ofile_write() reports none. */
int ofile_error(const ofile *f);

/* "io_uring" or "pwrite" (static strings); NULL when the ofile is closed. */
const char *ofile_backend(const ofile *f);

/* Closes and removes the temporary file (nothing appears). NULL-safe on a
 * zeroed or already closed ofile. */
void ofile_abort(ofile *f);

/* Writes DIR/NAME.EXT at once, atomically, mode 0640; with data NULL,
 * removes a stale DIR/NAME.EXT instead. Returns 0 or -errno. */
int ofile_write_atomic(const char *dir, const char *name, const char *ext, const char *data,
                       size_t len);

/* fsyncs a folder (after a rename in it). Returns 0 or -errno. */
int ofile_fsync_dir(const char *dir);

#endif
