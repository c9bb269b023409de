/* xfeed_: feeds a file to an x12 walker with plain read(2).
 *
 * One reused buffer: each read appends after the tail the walker did not
 * consume (an incomplete segment), which is first moved to the front. Memory
 * is the buffer, whatever the file's size. (The io_uring reader of the
 * pipeline replaces this for batch runs; this stays for one-off commands.)
 */
#ifndef CLAIMD_XFEED_H
#define CLAIMD_XFEED_H

#include "claimd/ack.h"
#include "claimd/x12.h"

#include <stddef.h>
#include <stdint.h>

/* Default and minimum buffer sizes. The walker refuses segments over 1 MiB,
 * so the buffer holds a whole longest segment plus a read. */
#define XFEED_BUF_DEFAULT ((size_t)2 << 20)
#define XFEED_BUF_MIN     (((size_t)1 << 20) + 4096)

typedef struct xfeed_stats {
    uint64_t bytes; /* bytes read */
    uint64_t reads; /* read(2) calls that returned data */
} xfeed_stats;

/* Reads fd to its end into w, then calls x12_walker_finish(). bufsize 0
 * means XFEED_BUF_DEFAULT; smaller than XFEED_BUF_MIN is raised to it.
 * stats may be NULL. Returns 0, or:
 *   -ENOMEM, -errno of read(2)
 *   any error of x12_walker_feed() / x12_walker_finish()
 *   -CLAIMD_EX12_SEG_TOO_LONG  the buffer is full of one unfinished segment
 * The fd is not closed. */
int xfeed_fd(int fd, x12_walker *w, size_t bufsize, xfeed_stats *stats);

/* Opens path read-only (advising sequential access), then as xfeed_fd().
 * Returns -errno of open(2) too. */
int xfeed_file(const char *path, x12_walker *w, size_t bufsize, xfeed_stats *stats);

/* Walks the file at path once, reporting every event to the 999 builder ack
 * and to the caller's sink (in that order). Returns 0 or an error as for
 * xfeed_file() (-CLAIMD_EX12_STOPPED when a callback stopped the walk: the
 * caller knows why); *err_off is where a walk error was found. */
int xfeed_walk_acked(const char *path, ack_999 *ack, const x12_sink *sink, uint64_t *err_off);

#endif
