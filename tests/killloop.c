/* The kill -9 loop: for each run, a daemon on a fresh spool takes one job (a
 * 200 000-claim claimgen batch, made once), is killed with SIGKILL 0 to 3
 * times at random moments (0 to about one job's duration after each start)
 * and started again, then left to finish. Each run checks that exactly one
 * job exists, that it is done, that its outputs are byte for byte those of
 * an uninterrupted `claimd scrub` (computed once), and that nothing is left
 * in tmp/, intake/ or the inbox.
 *
 *   CLAIMD_KILL_RUNS   runs (default 3, the CI tier; 50 in tests/long.sh)
 *   CLAIMD_KILL_SEED   the random seed (default: time and pid; printed)
 *   CLAIMD_KILL_CLAIMS claims in the batch (default 200000)
 */
#define _GNU_SOURCE
#include "tu_daemon.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Every file of ref equals the one of the same name in out, and out has no
 * other file. */
static void same_files(const char *ref, const char *out, int run)
{
    char what[32];
    snprintf(what, sizeof what, "run %d: ", run);
    int n = same_dir_files(ref, out, false, what);
    cr_assert_eq(entries(out), n, "run %d: %s has other files", run, out);
}

/* One run; returns the number of kills. */
static int one_run(int run, const char *batch, const char *ref, double dur)
{
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *id = submit(&d, batch);
    int kills = rand() % 4;
    char delays[128] = "";
    for (int k = 0; k < kills; k++) {
        double delay = dur * (double)rand() / RAND_MAX;
        size_t l = strlen(delays);
        snprintf(delays + l, sizeof delays - l, "%s%.2f", k ? "," : "", delay);
        usleep((useconds_t)(delay * 1e6));
        dmn_kill9(&d);
        dmn_start(&d);
    }
    char *r = wait_job(&d, id, 900);
    expect_state(r, "done");
    char *outputs = member(r, "outputs");
    char *att = member(r, "attempts");
    same_files(ref, outputs, run);
    char *jobs = req(d.sock, "jobs");
    int njobs = 0;
    for (const char *p = jobs; (p = strstr(p, "\"job\":\"")) != NULL; p++)
        njobs++;
    cr_assert_eq(njobs, 1, "run %d: exactly one job must exist: %s", run, jobs);
    const char *dirs[] = {"tmp", "intake", "inbox"};
    for (int i = 0; i < 3; i++) {
        char *p = fmt("%s/%s", d.spool, dirs[i]);
        cr_assert_eq(entries(p), 0, "run %d: files left in %s/", run, dirs[i]);
        free(p);
    }
    cr_assert_eq(dmn_stop(&d), 0);
    fprintf(stderr, "killloop: run %d: %d kill(s) at %s s after each start, attempts %s: ok\n", run,
            kills, kills ? delays : "-", att);
    free(jobs);
    free(att);
    free(outputs);
    free(r);
    free(id);
    dmn_free(&d);
    return kills;
}

Test(killloop, kill9_at_random_moments_then_identical_outputs, .timeout = 7200)
{
    need_bins();
    long runs = env_long("CLAIMD_KILL_RUNS", 3);
    unsigned seed = (unsigned)env_long("CLAIMD_KILL_SEED", (long)(time(NULL) ^ getpid()));
    char claims[32];
    snprintf(claims, sizeof claims, "%ld", env_long("CLAIMD_KILL_CLAIMS", 200000));
    fprintf(stderr, "killloop: %ld runs, seed %u (CLAIMD_KILL_SEED=%u repeats them)\n", runs, seed,
            seed);
    srand(seed);
    char *dir = scratch();
    char *batch = gen_batch(dir, "big.837", claims, "41");
    char *ref = fmt("%s/ref", dir), *err = fmt("%s/ref.err", dir);
    const char *argv[] = {
        tu_bin("daemon/claimd"), "scrub", "--threads", "1", "--out", ref, batch, NULL};
    double t0 = now_s();
    cr_assert_eq(tu_exec(argv, NULL, err), 0);
    double dur = now_s() - t0;
    fprintf(stderr, "killloop: %s claims, uninterrupted scrub %.2f s\n", claims, dur);
    int total = 0;
    t0 = now_s();
    for (int run = 1; run <= runs; run++)
        total += one_run(run, batch, ref, dur);
    fprintf(stderr, "killloop: %ld runs, %d kills, all done with identical outputs, %.0f s\n", runs,
            total, now_s() - t0);
    free(err);
    free(ref);
    free(batch);
    tu_rm_rf(dir);
    free(dir);
}
