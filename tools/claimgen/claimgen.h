/* claimgen: synthetic inputs for tests and benchmarks.
 *
 * Every subcommand is a pure function of its arguments and seed: the same
 * arguments give byte-identical files. Randomness comes only from cg_rng
 * (xoshiro256** seeded through splitmix64), never from rand() or the clock.
 * Files are written through cg_file: buffered, to a temporary file in the
 * destination folder, fsynced and renamed into place, so a reader never sees
 * a partial file.
 */
#ifndef CLAIMGEN_H
#define CLAIMGEN_H

#include <stddef.h>
#include <stdint.h>

/* ---- subcommands ------------------------------------------------------ */

/* `claimgen tables --out DIR [--seed S] [--scale F]`; argv[0] is "tables".
 * Returns the process exit status. */
int cg_tables_main(int argc, char **argv);

/* `claimgen batch --claims N [--seed S] [--tables DIR] [--type 837p|837i]
 * [--errors RATE] [--transactions K] [--out FILE] [--truth PATH]`: a valid,
 * deterministic 837 batch streamed to FILE (or stdout), and with --errors a
 * truth file (claim id, injected edit id or "-", line). argv[0] is "batch".
 * Returns the process exit status. */
int cg_batch_main(int argc, char **argv);

/* ---- deterministic random numbers ------------------------------------ */

typedef struct cg_rng {
    uint64_t s[4];
} cg_rng;

/* Seeds r for one independent stream of a run: the same (seed, stream) pair
 * always gives the same sequence, and streams do not depend on each other. */
void cg_rng_seed(cg_rng *r, uint64_t seed, uint64_t stream);
uint64_t cg_rng_next(cg_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t cg_rng_below(cg_rng *r, uint32_t n);
/* Uniform in [0, 1). */
double cg_rng_unit(cg_rng *r);
/* Standard normal (Box-Muller, one value per call). */
double cg_rng_normal(cg_rng *r);
/* A stable 64-bit hash of a string mixed with a seed (for per-code choices
 * that must not depend on generation order). */
uint64_t cg_hash(uint64_t seed, const char *s, size_t n);

/* ---- atomic buffered output files ------------------------------------- */

typedef struct cg_file {
    int fd;
    int err;    /* first -errno met; later writes are dropped */
    char *path; /* final path */
    char *tmp;  /* temporary path in the same folder */
    char *buf;
    size_t len;
    size_t cap;
    uint64_t bytes;
    uint64_t rows; /* counted by the generators, for the summary */
} cg_file;

/* Creates DIR/.NAME.XXXXXX for writing. Returns 0 or -errno (and prints why,
 * with the path, on stderr). */
int cg_file_open(cg_file *f, const char *dir, const char *name);
/* Appends; an error is remembered and reported by cg_file_commit. */
void cg_file_put(cg_file *f, const void *p, size_t n);
void cg_file_puts(cg_file *f, const char *s);
void cg_file_putc(cg_file *f, char c);
/* s left-justified in exactly width bytes: space padded, cut if longer. */
void cg_file_pad(cg_file *f, const char *s, size_t width);
/* v in decimal; zero-padded to width digits when width > 0. */
void cg_file_uint(cg_file *f, uint64_t v, int width);
/* hundredths as a decimal with two places: 130 -> "1.30". */
void cg_file_dec2(cg_file *f, int64_t hundredths);
/* Flushes, fsyncs, closes and renames into place. Returns 0 or -errno, and
 * prints the path and why on failure (the temporary file is removed). */
int cg_file_commit(cg_file *f);
/* Drops the temporary file (after an error elsewhere). */
void cg_file_abort(cg_file *f);

#endif
