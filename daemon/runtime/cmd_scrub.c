/* claimd scrub [--tables DIR] [--out DIR] [--threads N] [--no-uring]
 *              [--severity EDIT=LEVEL]... [--timely-filing DAYS] [--log-level LEVEL] FILE...
 *
 * For each input NAME writes, in DIR: NAME.results.jsonl (one JSON line per
 * claim of the transactions the 999 accepts, in input order), NAME.277ca,
 * NAME.999 (and NAME.ta1 when one is owed) and NAME.summary.json; prints one
 * summary line on stderr. Contracts: DESIGN.md, docs/outputs.md.
 *
 * --threads 1 runs everything in the calling thread: the walker's sink
 * scrubs each claim (scrub_eval + scrub_render) and hands it to the writer.
 * --threads N > 1 (the default: the online CPUs) runs the pipeline of
 * scrub_pipe.c: a walker thread, N workers, and the writer in the calling
 * thread. Both paths share the ordered decisions (duplicates, take-back,
 * HL numbering: scrub_writer.c), so their outputs are byte-identical.
 *
 * stderr carries file names, control numbers, counts, timings and error text
 * only: never a claim field (PHI).
 */
#define _POSIX_C_SOURCE 200809L

#include "claimd/edit.h"
#include "claimd/error.h"
#include "claimd/log.h"
#include "claimd/tables.h"
#include "claimd/tbl_default.h"
#include "claimd/uring.h"
#include "claimd/x12.h"
#include "cmd.h"
#include "scrub_pipe.h"
#include "scrub_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- arguments ---------------------------------------------------------- */

static void scrub_usage(void)
{
    fputs("usage: claimd scrub [--tables DIR] [--out DIR] [--threads N] [--no-uring]\n"
          "                    [--severity EDIT=LEVEL] [--timely-filing DAYS] [--log-level LEVEL]\n"
          "                    FILE...\n",
          stderr);
}

static bool scrub_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return false;
    *out = v;
    return true;
}

typedef struct scrub_args {
    const char *tables, *outdir;
    unsigned long threads;
    bool no_uring;
    int first; /* index of the first FILE */
} scrub_args;

/* Returns 0, or 2 after printing why (usage). */
static int scrub_parse_args(int argc, char **argv, scrub_args *a, edit_settings *es)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n;
        enum log_level lvl;
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(o, "--no-uring") == 0) {
            a->no_uring = true;
            continue;
        }
        if (!v) {
            scrub_usage();
            return 2;
        }
        i++;
        if (strcmp(o, "--tables") == 0) {
            a->tables = v;
        } else if (strcmp(o, "--out") == 0) {
            a->outdir = v;
        } else if (strcmp(o, "--threads") == 0 && scrub_uint(v, 1024, &n) && n > 0) {
            a->threads = n;
        } else if (strcmp(o, "--timely-filing") == 0 && scrub_uint(v, 36600, &n)) {
            es->timely_filing_days = (uint32_t)n;
        } else if (strcmp(o, "--severity") == 0 && edit_settings_apply(es, v) == 0) {
            continue;
        } else if (strcmp(o, "--log-level") == 0 && log_level_parse(v, &lvl) == 0) {
            log_set_level(lvl);
        } else {
            fprintf(stderr, "claimd scrub: bad option or value: %s %s\n", o, v);
            scrub_usage();
            return 2;
        }
    }
    if (i >= argc) {
        scrub_usage();
        return 2;
    }
    a->first = i;
    return 0;
}

static int scrub_open_tables(const char *dir, tbl_version **v)
{
    char def[4096];
    if (!dir) {
        int rc = tbl_default_dir(def, sizeof def);
        if (rc) {
            log_err(SCRUB_MOD, "no tables version: none given (--tables) and no default: %s",
                    claimd_strerror(rc));
            return rc;
        }
        dir = def;
    }
    int rc = tbl_open(dir, 0, v);
    if (rc)
        log_err(SCRUB_MOD, "cannot open the tables version %s: %s", dir, claimd_strerror(rc));
    return rc;
}

static int scrub_outdir(const char *dir)
{
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return 0;
    int rc = -errno;
    log_err(SCRUB_MOD, "cannot create %s: %s", dir, claimd_strerror(rc));
    return rc;
}

static double scrub_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_scrub_main(int argc, char **argv)
{
    scrub_run r = {.outdir = "."};
    scrub_args a = {.threads = 0};
    edit_settings_default(&r.es);
    int rc = scrub_parse_args(argc, argv, &a, &r.es);
    if (rc)
        return rc;
    if (a.outdir)
        r.outdir = a.outdir;
    if (a.threads == 0)
        a.threads = scrub_pipe_default_threads();
    r.no_uring = a.no_uring;
    /* The output files follow the same switch as the reader: the flag sets
     * it for the whole process, outputs included. */
    if (a.no_uring && setenv(URING_ENV_NO_URING, "1", 1) != 0)
        log_warn(SCRUB_MOD, "cannot set %s: outputs may still use io_uring", URING_ENV_NO_URING);
    double t0 = scrub_now();
    tbl_version *v;
    if (scrub_outdir(r.outdir) != 0 || scrub_open_tables(a.tables, &v) != 0)
        return 1;
    /* The expected claims (a claim is rarely under 256 bytes of X12): the
     * duplicate set cuts itself into segments for that many, and grows
     * segment by segment with the claims actually seen. */
    size_t expect = 1 << 16;
    for (int i = a.first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && st.st_size > 0)
            expect += (size_t)st.st_size / 256;
    }
    scrub_pipe *p = NULL;
    rc = scrub_run_init(&r, v, expect);
    if (rc == 0 && a.threads > 1)
        rc = scrub_pipe_create(&p, &r, (unsigned)a.threads);
    if (rc) {
        log_err(SCRUB_MOD, "%s", claimd_strerror(rc));
        scrub_run_release(&r);
        return 1;
    }
    log_info(SCRUB_MOD, "%lu threads", a.threads);
    for (int i = a.first; i < argc; i++) {
        r.files++;
        if (scrub_run_file(&r, p, argv[i]) != 0)
            r.failed++;
    }
    scrub_pipe_free(p);
    double secs = scrub_now() - t0;
    fprintf(stderr,
            "claimd: scrub: %u files (%u failed), %" PRIu64 " claims, %" PRIu64
            " accepted, %" PRIu64 " rejected, %.3f seconds, %.0f claims/s\n",
            r.files, r.failed, r.claims, r.accepted, r.rejected, secs,
            secs > 0 ? (double)r.claims / secs : 0.0);
    scrub_run_release(&r);
    return r.failed ? 1 : 0;
}
