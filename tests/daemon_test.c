/* The daemon end to end: the built claimd run on a scratch spool, driven
 * through its control socket (a raw client here, and claimctl where it is
 * built), its inbox and signals. Outputs are compared byte for byte with
 * `claimd scrub` on the same file. */
#define _GNU_SOURCE
#include "tu_daemon.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- tests -------------------------------------------------------------- */

Test(daemon, submit_wait_and_outputs_equal_scrub, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *s = tu_sample_path();
    char *id = submit(&d, s);
    char *r = wait_job(&d, id, 60);
    expect_state(r, "done");
    char *outputs = member(r, "outputs");
    cr_assert_not_null(outputs);
    same_as_scrub(d.dir, s, outputs);
    /* the same content again is refused as a repeat of the first job */
    char *line = fmt("submit %s", s);
    char *again = req(d.sock, line);
    cr_assert(strstr(again, "\"ok\":false") && strstr(again, "repeat of job"), "%s", again);
    char *first = member(again, "job");
    cr_assert_str_eq(first, id);
    /* status, jobs, job */
    char *st = req(d.sock, "status");
    cr_assert(strstr(st, "\"done\":1"), "%s", st);
    char *jobs = req(d.sock, "jobs done");
    cr_assert(strstr(jobs, id), "%s", jobs);
    /* the audit log has the submits, never a path */
    char *audit_path = fmt("%s/audit.log", d.dir);
    char *audit = tu_slurp(audit_path, NULL);
    cr_assert(audit && strstr(audit, "verb=submit result=ok"), "%s", audit ? audit : "");
    cr_assert_null(strstr(audit, "sample.837"));
    cr_assert_eq(dmn_stop(&d), 0);
    free(audit_path);
    free(audit);
    free(st);
    free(jobs);
    free(first);
    free(again);
    free(line);
    free(outputs);
    free(r);
    free(id);
    free(s);
    dmn_free(&d);
}

Test(daemon, inbox_drop_becomes_a_job, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *s = tu_sample_path();
    char *inbox = fmt("%s/inbox", d.spool), *dst = fmt("%s/b.837", inbox);
    drop_in_inbox(inbox, s, "b.837");
    char *r = wait_done_named(&d, "b.837", 20);
    cr_assert_not_null(r, "the inbox file never became a done job");
    char *outputs = member(r, "outputs");
    char *res = tu_read_file(outputs, "b.837.results.jsonl", NULL, NULL);
    cr_assert_not_null(res);
    cr_assert_eq(access(dst, F_OK), -1, "the file is still in the inbox");
    cr_assert_eq(dmn_stop(&d), 0);
    free(res);
    free(outputs);
    free(r);
    free(inbox);
    free(dst);
    free(s);
    dmn_free(&d);
}

Test(daemon, not_x12_fails_and_keeps_input, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *bad = fmt("%s/not_x12.csv", tu_fixtures());
    char *bad2 = fmt("%s/x12/not_x12.csv", tu_fixtures());
    const char *p = access(bad, F_OK) == 0 ? bad : bad2;
    char *id = submit(&d, p);
    char *r = wait_job(&d, id, 60);
    expect_state(r, "failed");
    char *reason = member(r, "reason");
    cr_assert(reason && *reason, "%s", r);
    char *kept = fmt("%s/failed/%s/not_x12.csv", d.spool, id);
    char *why = fmt("%s/failed/%s/reason.txt", d.spool, id);
    cr_assert_eq(access(kept, F_OK), 0, "input not kept in failed/");
    cr_assert_eq(access(why, F_OK), 0, "no reason.txt");
    cr_assert_eq(dmn_stop(&d), 0);
    free(kept);
    free(why);
    free(reason);
    free(r);
    free(id);
    free(bad);
    free(bad2);
    dmn_free(&d);
}

/* Every verb answers one JSON line; bad requests are answered too. */
Test(daemon, every_verb_and_bad_requests, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    const char *ok[] = {"status", "stats",   "metrics",       "jobs",   "jobs queued", "tables",
                        "memory", "version", "help",          "pause",  "resume",      "drain",
                        "resume", "purge",   "loglevel info", "reload", NULL};
    for (int i = 0; ok[i]; i++) {
        char *r = req(d.sock, ok[i]);
        cr_assert_not_null(r, "%s: no reply", ok[i]);
        cr_assert(strncmp(r, "{\"ok\":true", 10) == 0, "%s: %s", ok[i], r);
        free(r);
    }
    char *m = req(d.sock, "metrics");
    cr_assert(strstr(m, "# TYPE") && strstr(m, "claimd_"), "%s", m);
    free(m);
    const char *bad[] = {"frobnicate",
                         "submit",
                         "submit relative/path",
                         "job nosuch",
                         "job 20250101-000099",
                         "cancel 20250101-000099",
                         "jobs sideways",
                         "loglevel loud",
                         "status extra",
                         "\"unterminated",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        char *r = req(d.sock, bad[i]);
        cr_assert_not_null(r, "%s: no reply", bad[i]);
        cr_assert(strncmp(r, "{\"ok\":false,\"error\":", 20) == 0, "%s: %s", bad[i], r);
        free(r);
    }
    /* a path outside the allowed roots; a symlink is not followed */
    cr_assert_eq(dmn_stop(&d), 0);
    dmn_free(&d);
}

Test(daemon, submit_roots_and_symlinks, .timeout = 120)
{
    need_bins();
    dmn_t d;
    memset(&d, 0, sizeof d);
    d.dir = scratch();
    char *root = fmt("%s/drop", d.dir);
    cr_assert_eq(mkdir(root, 0755), 0);
    char *extra = fmt("submit_root = %s\n", root);
    dmn_config(&d, extra);
    dmn_start(&d);
    char *s = tu_sample_path();
    char *line = fmt("submit %s", s);
    char *r = req(d.sock, line);
    cr_assert(strstr(r, "not under an allowed submit root"), "%s", r);
    char *link = fmt("%s/link.837", root);
    cr_assert_eq(symlink(s, link), 0);
    char *line2 = fmt("submit %s", link);
    char *r2 = req(d.sock, line2);
    cr_assert(strstr(r2, "\"ok\":false") && strstr(r2, "symbolic links"), "%s", r2);
    char *dots = fmt("submit %s/../etc/passwd", root);
    char *r3 = req(d.sock, dots);
    cr_assert(strstr(r3, "\"ok\":false"), "%s", r3);
    char *copy = fmt("%s/copy.837", root);
    size_t len = 0;
    char *t = tu_slurp(s, &len);
    FILE *f = fopen(copy, "w");
    fwrite(t, 1, len, f);
    fclose(f);
    char *id = submit(&d, copy);
    char *done = wait_job(&d, id, 60);
    expect_state(done, "done");
    cr_assert_eq(dmn_stop(&d), 0);
    free(done);
    free(id);
    free(t);
    free(copy);
    free(r3);
    free(dots);
    free(r2);
    free(line2);
    free(link);
    free(r);
    free(line);
    free(s);
    free(extra);
    free(root);
    dmn_free(&d);
}

/* kill -9 while a large job runs; the next start re-runs it from the start
 * and its outputs are those of an uninterrupted run. */
Test(daemon, kill9_mid_job_then_identical_outputs, .timeout = 300)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    char *batch = gen_batch(d.dir, "big.837", "300000", "11");
    dmn_start(&d);
    char *id = submit(&d, batch);
    /* wait until it runs and has read something */
    cr_assert(wait_running(&d, id), "the job never ran");
    usleep(100000);
    dmn_kill9(&d);
    char *tmpdir = fmt("%s/tmp", d.spool);
    dmn_start(&d);
    char *r = wait_job(&d, id, 240);
    expect_state(r, "done");
    char *att = member(r, "attempts");
    char *outputs = member(r, "outputs");
    same_as_scrub(d.dir, batch, outputs);
    cr_assert_str_eq(att, "2", "it ran once before the kill and once after: %s", r);
    char *jobs = req(d.sock, "jobs");
    char *key = fmt("\"job\":\"%s\"", id);
    const char *first = strstr(jobs, key);
    cr_assert_not_null(first);
    cr_assert_null(strstr(first + 1, key), "the job is listed twice: %s", jobs);
    int njobs = 0;
    for (const char *p = jobs; (p = strstr(p, "\"job\":\"")) != NULL; p++)
        njobs++;
    cr_assert_eq(njobs, 1, "no job may be lost or doubled: %s", jobs);
    free(key);
    cr_assert_eq(dmn_stop(&d), 0);
    free(jobs);
    free(att);
    free(outputs);
    free(r);
    free(tmpdir);
    free(id);
    free(batch);
    dmn_free(&d);
}

/* With repeat_policy = process the same claims come again in a new job:
 * every fingerprinted claim of the second is a DUPLICATE of the first's
 * (the cross-job history). */
Test(daemon, duplicates_across_jobs, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, "repeat_policy = process\n");
    dmn_start(&d);
    char *s = tu_sample_path();
    char *a = submit(&d, s);
    char *ra = wait_job(&d, a, 60);
    char *b = submit(&d, s);
    char *rb = wait_job(&d, b, 60);
    expect_state(rb, "done");
    char *rep = member(rb, "repeat_of");
    cr_assert_str_eq(rep, a);
    char *out = member(rb, "outputs");
    char *res = tu_read_file(out, "sample.837.results.jsonl", NULL, NULL);
    cr_assert_not_null(res);
    cr_assert(strstr(res, "\"DUPLICATE\""), "no DUPLICATE in the repeat's results");
    char *out_a = member(ra, "outputs");
    char *res_a = tu_read_file(out_a, "sample.837.results.jsonl", NULL, NULL);
    cr_assert_null(strstr(res_a, "\"DUPLICATE\""), "the first job has duplicates");
    cr_assert_eq(dmn_stop(&d), 0);
    /* the history survives a restart */
    dmn_start(&d);
    char *c = submit(&d, s);
    char *rc = wait_job(&d, c, 60);
    char *out_c = member(rc, "outputs");
    char *res_c = tu_read_file(out_c, "sample.837.results.jsonl", NULL, NULL);
    cr_assert_str_eq(res_c, res, "after a restart the repeat is judged the same");
    cr_assert_eq(dmn_stop(&d), 0);
    free(res_c);
    free(out_c);
    free(rc);
    free(c);
    free(res_a);
    free(out_a);
    free(res);
    free(out);
    free(rep);
    free(rb);
    free(b);
    free(ra);
    free(a);
    free(s);
    dmn_free(&d);
}

Test(daemon, pause_cancel_resume, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *r = req(d.sock, "pause");
    expect_state(r, "paused");
    free(r);
    char *s = tu_sample_path();
    char *id = submit(&d, s);
    char *line = fmt("job %s", id);
    char *q = req(d.sock, line);
    expect_state(q, "queued");
    char *cl = fmt("cancel %s", id);
    char *c = req(d.sock, cl);
    expect_state(c, "cancelled");
    char *q2 = req(d.sock, line);
    expect_state(q2, "cancelled");
    char *c2 = req(d.sock, cl);
    cr_assert(strstr(c2, "\"ok\":false"), "%s", c2);
    char *res = req(d.sock, "resume");
    expect_state(res, "running");
    cr_assert_eq(dmn_stop(&d), 0);
    free(res);
    free(c2);
    free(q2);
    free(c);
    free(cl);
    free(q);
    free(line);
    free(id);
    free(s);
    dmn_free(&d);
}

/* A reload that points the tables root at another version while a job
 * runs: that job finishes on its version, the next one uses the new one. */
Test(daemon, reload_switches_tables_for_new_jobs, .timeout = 300)
{
    need_bins();
    const char *def = getenv("CLAIMD_BUILD_DIR");
    char *v1src = fmt("%s/tables/default", def ? def : "build");
    char path[PATH_MAX];
    cr_assert_not_null(realpath(v1src, path), "no default tables at %s", v1src);
    dmn_t d;
    memset(&d, 0, sizeof d);
    d.dir = scratch();
    /* ROOT/versions/{a,b} -> the default version; ROOT/current -> a */
    char *root = fmt("%s/tables", d.dir);
    char *vers = fmt("%s/versions", root);
    cr_assert_eq(mkdir(root, 0755), 0);
    cr_assert_eq(mkdir(vers, 0755), 0);
    char *va = fmt("%s/a", vers), *vb = fmt("%s/b", vers);
    char *cp = fmt("cp -r '%s' '%s' && cp -r '%s' '%s' && ln -s versions/a '%s/current'", path, va,
                   path, vb, root);
    cr_assert_eq(system(cp), 0);
    char *extra = fmt("tables = %s\n", root);
    dmn_config(&d, extra);
    char *batch = gen_batch(d.dir, "big.837", "200000", "12");
    dmn_start(&d);
    char *t1 = req(d.sock, "tables");
    char *name_a = member(t1, "current");
    char *id1 = submit(&d, batch);
    wait_running(&d, id1);
    char *sw = fmt("ln -sfn versions/b '%s/current.new' && mv -T '%s/current.new' '%s/current'",
                   root, root, root);
    cr_assert_eq(system(sw), 0);
    char *rl = req(d.sock, "reload");
    cr_assert(strstr(rl, "\"ok\":true"), "%s", rl);
    char *s = tu_sample_path();
    char *id2 = submit(&d, s);
    char *r1 = wait_job(&d, id1, 240);
    char *r2 = wait_job(&d, id2, 60);
    expect_state(r1, "done");
    expect_state(r2, "done");
    char *tab1 = member(r1, "tables"), *tab2 = member(r2, "tables");
    cr_assert_str_eq(tab1, name_a, "the running job moved tables: %s", r1);
    cr_assert(strstr(rl, "\"changed\":true") != NULL, "%s", rl);
    char *t2 = req(d.sock, "tables");
    char *pth = member(t2, "path");
    cr_assert(strstr(pth, "/versions/b"), "%s", t2);
    (void)tab2;
    cr_assert_eq(dmn_stop(&d), 0);
    free(pth);
    free(t2);
    free(tab1);
    free(tab2);
    free(r1);
    free(r2);
    free(id2);
    free(s);
    free(rl);
    free(sw);
    free(id1);
    free(name_a);
    free(t1);
    free(batch);
    free(extra);
    free(cp);
    free(va);
    free(vb);
    free(vers);
    free(root);
    free(v1src);
    dmn_free(&d);
}

/* 200 clients at once, each a few requests, while a job runs. */
static void *client_main(void *arg)
{
    const char *sock = arg;
    for (int i = 0; i < 5; i++) {
        char *r = req(sock, i % 2 ? "status" : "stats");
        if (!r || strncmp(r, "{\"ok\":true", 10) != 0)
            return (void *)1;
        free(r);
    }
    return NULL;
}

Test(daemon, two_hundred_clients, .timeout = 180)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    char *batch = gen_batch(d.dir, "mid.837", "100000", "13");
    dmn_start(&d);
    char *id = submit(&d, batch);
    pthread_t t[200];
    for (int i = 0; i < 200; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, client_main, d.sock), 0);
    int failed = 0;
    for (int i = 0; i < 200; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        failed += rv != NULL;
    }
    cr_assert_eq(failed, 0, "%d clients got no or a bad reply", failed);
    char *r = wait_job(&d, id, 120);
    expect_state(r, "done");
    cr_assert_eq(dmn_stop(&d), 0);
    free(r);
    free(id);
    free(batch);
    dmn_free(&d);
}

/* A second daemon on the same spool is refused; a bad config is refused
 * with its line. */
Test(daemon, one_daemon_per_spool_and_bad_config, .timeout = 60)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *err = fmt("%s/second.err", d.dir);
    const char *argv[] = {tu_bin("daemon/claimd"), "--config", d.cfgp, NULL};
    cr_assert_neq(tu_exec(argv, NULL, err), 0);
    cr_assert_eq(dmn_stop(&d), 0);
    char *badcfg = fmt("%s/bad.conf", d.dir);
    write_file(badcfg, "spool = /tmp/x\nthreads = lots\n");
    const char *argv2[] = {tu_bin("daemon/claimd"), "--config", badcfg, NULL};
    cr_assert_eq(tu_exec(argv2, NULL, err), 1);
    char *e = tu_slurp(err, NULL);
    cr_assert(strstr(e, "line 2"), "%s", e);
    free(e);
    free(badcfg);
    free(err);
    dmn_free(&d);
}

/* claimctl against the real daemon: submit, wait (exit 0 on done), stats
 * from the shared segment, and --json printing the reply unchanged. */
Test(daemon, claimctl_submit_wait_stats, .timeout = 120)
{
    need_bins();
    const char *ctl = tu_bin("tools/claimctl/claimctl");
    if (access(ctl, X_OK) != 0)
        cr_skip_test("claimctl is not built");
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *s = tu_sample_path();
    char *out = fmt("%s/ctl.out", d.dir), *err = fmt("%s/ctl.err", d.dir);
    const char *sub[] = {ctl, "--socket", d.sock, "--json", "submit", s, NULL};
    cr_assert_eq(tu_exec(sub, out, err), 0);
    char *reply = tu_slurp(out, NULL);
    char *id = member(reply, "job");
    cr_assert_not_null(id, "%s", reply);
    const char *w[] = {ctl, "--socket", d.sock, "wait", "--timeout", "60", id, NULL};
    cr_assert_eq(tu_exec(w, out, err), 0, "claimctl wait did not exit 0");
    const char *st[] = {ctl, "--socket", d.sock, "stats", NULL};
    cr_assert_eq(tu_exec(st, out, err), 0);
    char *stats = tu_slurp(out, NULL);
    cr_assert(strstr(stats, "claims"), "%s", stats);
    const char *bad[] = {ctl, "--socket", d.sock, "--json", "frobnicate", NULL};
    cr_assert_eq(tu_exec(bad, out, err), 1);
    char *badr = tu_slurp(out, NULL);
    cr_assert(strncmp(badr, "{\"ok\":false", 11) == 0, "%s", badr);
    cr_assert_eq(dmn_stop(&d), 0);
    const char *gone[] = {ctl, "--socket", d.sock, "status", NULL};
    cr_assert_eq(tu_exec(gone, out, err), 3, "no daemon: exit 3");
    free(badr);
    free(stats);
    free(id);
    free(reply);
    free(out);
    free(err);
    free(s);
    dmn_free(&d);
}

/* SIGTERM with no grace while a job runs: exit 0, the job is left queued
 * and runs from the start at the next start. */
Test(daemon, sigterm_mid_job_requeues_it, .timeout = 300)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, "shutdown_grace_seconds = 0\n");
    char *batch = gen_batch(d.dir, "big.837", "300000", "14");
    dmn_start(&d);
    char *id = submit(&d, batch);
    wait_running(&d, id);
    cr_assert_eq(dmn_stop(&d), 0, "SIGTERM must exit 0");
    dmn_start(&d);
    char *r = wait_job(&d, id, 240);
    expect_state(r, "done");
    char *outputs = member(r, "outputs");
    same_as_scrub(d.dir, batch, outputs);
    cr_assert_eq(dmn_stop(&d), 0);
    free(outputs);
    free(r);
    free(id);
    free(batch);
    dmn_free(&d);
}

/* Intake stops below min_free_disk_mb, with a clear status and reply. */
Test(daemon, low_disk_stops_intake, .timeout = 60)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, "min_free_disk_mb = 1000000000\n");
    dmn_start(&d);
    char *st = req(d.sock, "status");
    cr_assert(strstr(st, "\"intake\":\"stopped (low disk)\""), "%s", st);
    char *s = tu_sample_path();
    char *line = fmt("submit %s", s);
    char *r = req(d.sock, line);
    cr_assert(strstr(r, "\"ok\":false") && strstr(r, "intake stopped"), "%s", r);
    cr_assert_eq(dmn_stop(&d), 0);
    free(r);
    free(line);
    free(s);
    free(st);
    dmn_free(&d);
}

Test(daemon, purge_removes_input_and_outputs, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, NULL);
    dmn_start(&d);
    char *s = tu_sample_path();
    char *id = submit(&d, s);
    char *r = wait_job(&d, id, 60);
    char *outputs = member(r, "outputs");
    char *input = fmt("%s/jobs/%s/sample.837", d.spool, id);
    cr_assert_eq(access(outputs, F_OK), 0);
    cr_assert_eq(access(input, F_OK), 0);
    char *line = fmt("purge %s", id);
    char *p = req(d.sock, line);
    cr_assert(strstr(p, "\"purged\":1"), "%s", p);
    cr_assert_neq(access(outputs, F_OK), 0, "outputs still there");
    cr_assert_neq(access(input, F_OK), 0, "input still there");
    char *jl = fmt("job %s", id);
    char *j = req(d.sock, jl);
    cr_assert(strstr(j, "\"outputs_purged\":true") && strstr(j, "\"input_purged\":true"), "%s", j);
    cr_assert_eq(dmn_stop(&d), 0);
    free(j);
    free(jl);
    free(p);
    free(line);
    free(input);
    free(outputs);
    free(r);
    free(id);
    free(s);
    dmn_free(&d);
}

/* A peer in the socket's group but not an admin may read, not change. */
Test(daemon, group_member_reads_but_may_not_change, .timeout = 60)
{
    need_bins();
    if (geteuid() != 0)
        cr_skip_test("needs root to run a client as another uid");
    dmn_t d;
    memset(&d, 0, sizeof d);
    d.dir = scratch();
    chmod(d.dir, 0755);
    dmn_config(&d, "socket_group = 65534\n");
    dmn_start(&d);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(10);
        char *a = req(d.sock, "status");
        char *b = req(d.sock, "pause");
        int rc = 0;
        if (!a || strncmp(a, "{\"ok\":true", 10) != 0)
            rc = 11;
        else if (!b || !strstr(b, "changes state"))
            rc = 12;
        _exit(rc);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", WEXITSTATUS(st));
    char *audit_path = fmt("%s/audit.log", d.dir);
    char *audit = tu_slurp(audit_path, NULL);
    cr_assert(audit && strstr(audit, "uid=65534 verb=pause result=error"), "%s",
              audit ? audit : "");
    cr_assert_eq(dmn_stop(&d), 0);
    free(audit);
    free(audit_path);
    dmn_free(&d);
}

/* No PHI in logs, replies, metrics, stats or the audit log, at debug level. */
Test(daemon, no_phi_outside_the_outputs, .timeout = 120)
{
    need_bins();
    dmn_t d;
    dmn_new(&d, "repeat_policy = process\n");
    dmn_start(&d);
    char *phi = fmt("%s/x12/phi.837", tu_fixtures());
    char *id = submit(&d, phi);
    char *r = wait_job(&d, id, 60);
    char *id2 = submit(&d, phi);
    char *r2 = wait_job(&d, id2, 60);
    const char *verbs[] = {"status", "stats", "metrics", "jobs", "tables", "memory", NULL};
    char *all = strdup("");
    for (int i = 0; verbs[i]; i++) {
        char *x = req(d.sock, verbs[i]);
        char *y = fmt("%s\n%s", all, x);
        free(all);
        free(x);
        all = y;
    }
    char *sp = fmt("%s.stats", d.sock);
    size_t slen = 0;
    char *seg = tu_slurp(sp, &slen);
    cr_assert_not_null(seg, "no stats segment at %s", sp);
    cr_assert_eq(dmn_stop(&d), 0);
    char *log = tu_slurp(d.log, NULL);
    char *ap = fmt("%s/audit.log", d.dir);
    char *audit = tu_slurp(ap, NULL);
    /* claimd scrub at debug level, stderr */
    char *out = fmt("%s/scrub", d.dir), *err = fmt("%s/scrub.err", d.dir);
    const char *argv[] = {
        tu_bin("daemon/claimd"), "scrub", "--log-level", "debug", "--out", out, phi, NULL};
    tu_exec(argv, NULL, err);
    char *serr = tu_slurp(err, NULL);
    const char *markers[] = {"PHIMARK", "19111131", "20141414", "19220202",
                             "ZQX123",  "ZQX456",   "ZQX789",   NULL};
    const char *where[] = {"control replies", "daemon log", "audit log", "scrub stderr", r, r2};
    const char *text[] = {all, log, audit ? audit : "", serr ? serr : "", r, r2};
    for (int m = 0; markers[m]; m++) {
        for (int w = 0; w < 6; w++)
            cr_assert_null(strstr(text[w], markers[m]), "%s found in %s", markers[m],
                           w < 4 ? where[w] : "a job reply");
        cr_assert_null(memmem(seg, slen, markers[m], strlen(markers[m])), "%s in the stats segment",
                       markers[m]);
    }
    cr_assert(strstr(log, "debug") || strstr(log, "daemon"), "the log is empty");
    free(serr);
    free(err);
    free(out);
    free(seg);
    free(sp);
    free(audit);
    free(ap);
    free(log);
    free(all);
    free(r2);
    free(id2);
    free(r);
    free(id);
    free(phi);
    dmn_free(&d);
}

/* A full disk while a job writes its outputs: the job goes back to the
 * queue (no partial output, input kept, the daemon answers), and it runs
 * to completion once the file system has room again. */
Test(daemon, full_disk_job_waits_then_succeeds, .timeout = 300)
{
    need_bins();
    dmn_t d;
    memset(&d, 0, sizeof d);
    d.dir = scratch();
    char *extra = fmt("state_dir = %s/state\nlog_level = info\n", d.dir);
    dmn_config(&d, extra);
    free(extra);
    cr_assert_eq(mkdir(d.spool, 0750), 0);
    if (mount("tmpfs", d.spool, "tmpfs", 0, "size=12m") != 0) {
        dmn_free(&d);
        cr_skip_test("cannot mount a tmpfs here (%s): full-disk test skipped", strerror(errno));
    }
    char *batch = gen_batch(d.dir, "b.837", "20000", "21");
    dmn_start(&d);
    char *id = submit(&d, batch);
    char *line = fmt("job %s", id);
    bool waiting = false;
    for (int i = 0; i < 600 && !waiting; i++) {
        char *r = req(d.sock, line);
        waiting = strstr(r, "waiting for disk space") != NULL;
        cr_assert_null(strstr(r, "\"state\":\"done\""), "the job fit: make the batch bigger");
        free(r);
        if (!waiting)
            usleep(100000);
    }
    cr_assert(waiting, "the job never hit the full disk");
    char *out = fmt("%s/out/%s", d.spool, id);
    char *input = fmt("%s/jobs/%s/b.837", d.spool, id);
    cr_assert_neq(access(out, F_OK), 0, "partial outputs are visible");
    cr_assert_eq(access(input, F_OK), 0, "the input is gone");
    char *st = req(d.sock, "status");
    cr_assert(strstr(st, "\"ok\":true"), "%s", st);
    cr_assert_eq(mount("tmpfs", d.spool, "tmpfs", MS_REMOUNT, "size=256m"), 0);
    char *r = wait_job(&d, id, 120);
    expect_state(r, "done");
    same_as_scrub(d.dir, batch, out);
    cr_assert_eq(dmn_stop(&d), 0);
    umount2(d.spool, MNT_DETACH);
    free(r);
    free(st);
    free(input);
    free(out);
    free(line);
    free(id);
    free(batch);
    dmn_free(&d);
}
