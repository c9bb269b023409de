/* pipeline_stress: the real scrub pipeline (scrub_pipe: reader, walker
 * thread, work ring, workers, reorder window, the writer with its io_uring
 * outputs) over a generated 837 batch with the embedded default tables, at
 * 2, 3 and 4 workers, several rounds each, on io_uring and on pread/pwrite.
 * Every run's outputs (results.jsonl, 277ca, 999, summary.json) must be
 * byte-identical to those of `claimd scrub --threads 1` (the direct path).
 *
 * A plain pthread program (Criterion does not run under ThreadSanitizer),
 * built with -fsanitize=thread in a CLAIMD_TSAN build: exit 0 on success,
 * 1 on a failed check, 77 when claimgen, claimd or the default tables are
 * not built. Usage: pipeline_stress [CLAIMS] (default 12000). An alarm ends
 * a hung run. Needs CLAIMD_BUILD_DIR (ctest sets it).
 */
#define _GNU_SOURCE

#include "../../daemon/runtime/scrub_pipe.h"
#include "claimd/error.h"
#include "claimd/tbl_default.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_failed;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "pipeline_stress: " __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                                       \
        g_failed = 1;                                                                              \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv with stdout and stderr to /dev/null; returns the exit status
 * (-1 when it did not exit). */
static int run(char *const *argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Same names, same bytes in a and b. */
static void same_dirs(const char *a, const char *b, const char *what)
{
    int na = 0, nb = 0;
    DIR *d = opendir(a);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char pa[8192], pb[8192];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        size_t la, lb;
        char *x = slurp(pa, &la), *y = slurp(pb, &lb);
        if (!x || !y || la != lb || memcmp(x, y, la) != 0)
            FAIL("%s: %s differs from the one-thread run", what, e->d_name);
        free(x);
        free(y);
        na++;
    }
    if (d)
        closedir(d);
    d = opendir(b);
    while (d && (e = readdir(d)))
        nb += e->d_name[0] != '.';
    if (d)
        closedir(d);
    if (na != nb || na < 3)
        FAIL("%s: %d files, the one-thread run %d", what, nb, na);
}

/* One run of the pipeline as cmd_scrub does it: returns the file's status. */
static int scrub_once(const char *tables, const char *in, const char *out, unsigned workers,
                      bool no_uring)
{
    scrub_run r = {.outdir = out, .no_uring = no_uring};
    edit_settings_default(&r.es);
    tbl_version *v;
    int rc = tbl_open(tables, 0, &v);
    if (rc)
        return rc;
    if ((rc = scrub_run_init(&r, v, 1 << 16)) != 0) {
        scrub_run_release(&r);
        return rc;
    }
    scrub_pipe *p;
    if ((rc = scrub_pipe_create(&p, &r, workers)) == 0) {
        scrub_file f;
        rc = scrub_file_open(&f, &r, in);
        if (rc == 0)
            rc = scrub_pipe_file(p, &f, in);
        if (rc == 0)
            rc = scrub_file_commit(&f);
        scrub_file_close(&f);
        scrub_pipe_free(p);
    }
    scrub_run_release(&r);
    return rc;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    const char *claims = argc > 1 ? argv[1] : "12000";
    const char *build = getenv("CLAIMD_BUILD_DIR");
    char gen[4096], claimd[4096], tables[4096];
    snprintf(gen, sizeof gen, "%s/tools/claimgen/claimgen", build ? build : "build");
    snprintf(claimd, sizeof claimd, "%s/daemon/claimd", build ? build : "build");
    if (access(gen, X_OK) != 0 || access(claimd, X_OK) != 0 ||
        tbl_default_dir(tables, sizeof tables) != 0) {
        fprintf(stderr, "pipeline_stress: claimgen, claimd or the default tables not built\n");
        return 77;
    }
    alarm(120);
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = now_s();
    char tmp[] = "/tmp/claimd-pipe-stress-XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    char in[4200], ref[4200], out[4200];
    snprintf(in, sizeof in, "%s/batch.837", tmp);
    snprintf(ref, sizeof ref, "%s/ref", tmp);
    /* errors, and many transactions: rejected ones are taken back across
     * units, duplicates decided in order */
    char *g[] = {gen,      "batch", "--claims", (char *)claims, "--errors",       "0.1",
                 "--seed", "11",    "--tables", tables,         "--transactions", "9",
                 "--out",  in,      NULL};
    char *c[] = {claimd, "scrub", "--threads", "1", "--tables", tables, "--out", ref, in, NULL};
    if (run(g) != 0 || run(c) != 0) {
        FAIL("claimgen or claimd --threads 1 failed");
        rm_dir(ref);
        rm_dir(tmp);
        return 1;
    }
    static const struct {
        unsigned workers;
        bool no_uring;
    } runs[] = {{2, false}, {3, false}, {4, false}, {2, true}, {2, false}, {4, false}};
    for (size_t i = 0; i < sizeof runs / sizeof *runs && !g_failed; i++) {
        snprintf(out, sizeof out, "%s/run%zu", tmp, i);
        mkdir(out, 0750);
        if (runs[i].no_uring)
            setenv("CLAIMD_NO_URING", "1", 1); /* the writer's switch too */
        else
            unsetenv("CLAIMD_NO_URING");
        int rc = scrub_once(tables, in, out, runs[i].workers, runs[i].no_uring);
        char what[64];
        snprintf(what, sizeof what, "%u workers%s", runs[i].workers,
                 runs[i].no_uring ? ", pread/pwrite" : "");
        if (rc)
            FAIL("%s: %s", what, claimd_strerror(rc));
        else
            same_dirs(ref, out, what);
        printf("pipeline_stress: %s claims, %s: %s\n", claims, what, g_failed ? "FAILED" : "same");
        rm_dir(out);
    }
    rm_dir(ref);
    unlink(in);
    rm_dir(tmp);
    printf("pipeline_stress: %s (%.2f s)\n", g_failed ? "FAILED" : "ok", now_s() - t0);
    return g_failed ? 1 : 0;
}
