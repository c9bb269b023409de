/* scrub_pipe: the parallel pipeline behind `claimd scrub --threads N`
 * (private to daemon/runtime; docs/pipeline.md, "The scrub pipeline").
 *
 *   reader + walker (one thread per file) ──units──▶ ring ──▶ workers ×N
 *       ──▶ reorder window ──▶ writer (the calling thread: scrub_writer)
 *
 * The walker thread reads the file with uring_reader, walks it, feeds the
 * 999 builder, and packs deep copies of the claims and the envelope events
 * (as markers) into numbered work units. Workers run scrub_eval and
 * scrub_render on each claim of a unit. The writer takes the units in
 * number order and applies every event through scrub_writer, exactly as the
 * single-threaded path does, so the outputs are byte-identical whatever N.
 *
 * Memory is fixed at create: W units (W a power of two, at least 4 N, at
 * most 64), recycled through a free ring; a full pipeline stalls the walker.
 */
#ifndef CLAIMD_SCRUB_PIPE_H
#define CLAIMD_SCRUB_PIPE_H

#include "scrub_writer.h"

typedef struct scrub_pipe scrub_pipe;

/* Starts nworkers worker threads for the run r (which must outlive the
 * pipe). Returns 0 and *out, -ENOMEM, or -errno of pthread_create. */
int scrub_pipe_create(scrub_pipe **out, scrub_run *r, unsigned nworkers);

/* Scrubs the file at path into the open file f, in the calling thread as
 * the writer. Returns as scrub_file_walked() (0, or the file's error,
 * logged). One file at a time. */
int scrub_pipe_file(scrub_pipe *p, scrub_file *f, const char *path);

/* Scrubs the file at path into r->outdir: in the calling thread (the
 * walker's sink scrubs each claim and hands it to the writer) when p is
 * NULL, else through p; then commits its outputs (renamed into place) and
 * adds its counts to r's totals. Returns 0 or the file's error (logged). */
int scrub_run_file(scrub_run *r, scrub_pipe *p, const char *path);

/* The default thread count: the online CPUs (1..1024). */
unsigned scrub_pipe_default_threads(void);

/* Stops and joins the workers, frees everything; NULL is a no-op. */
void scrub_pipe_free(scrub_pipe *p);

#endif
