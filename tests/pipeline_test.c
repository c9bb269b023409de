/* The scrub pipeline end to end: the built claimd at --threads 1 (the
 * direct path), 2, 3 and 4 (walker thread, workers, writer) must write
 * byte-identical outputs (results.jsonl, 277ca, 999, ta1, summary.json) and
 * exit with the same status, on: the sample batch; every real 5010 837 of
 * ../shared/data/x12; generated batches with errors (837P, 837I), in one
 * ST/SE and in many; a rejected transaction between two good ones, each
 * spanning several work units (take-back across units); a file that is not
 * X12; and with the pread backend (CLAIMD_NO_URING=1, --no-uring). */
#define _POSIX_C_SOURCE 200809L

#include "tu_proc.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scratch(void)
{
    char *d = strdup("/tmp/claimd-pipe-test-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

/* Runs claimd scrub on path into dir/NAME; argv extra (NULL-terminated)
 * goes after "scrub". Returns the exit status. */
static int scrub(const char *dir, const char *name, const char *const *pre,
                 const char *const *extra, const char *path)
{
    const char *argv[32];
    int n = 0;
    for (; pre && *pre; pre++)
        argv[n++] = *pre;
    argv[n++] = tu_bin("daemon/claimd");
    argv[n++] = "scrub";
    for (; extra && *extra; extra++)
        argv[n++] = *extra;
    char *out = tu_path(dir, name);
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n++] = path;
    argv[n] = NULL;
    char *err = tu_path(dir, "stderr.txt");
    int st = tu_exec(argv, NULL, err);
    free(err);
    free(out);
    return st;
}

/* Every file of a/ and b/ (temporary files would show too): same names,
 * same bytes. Returns the number of files compared. */
static int same_dirs(const char *dir, const char *a, const char *b)
{
    char *pa = tu_path(dir, a), *pb = tu_path(dir, b);
    int n = 0;
    DIR *d = opendir(pa);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t la = 0, lb = 0;
            char *x = tu_read_file(pa, e->d_name, &la, NULL);
            char *y = tu_read_file(pb, e->d_name, &lb, NULL);
            cr_assert_not_null(y, "%s: %s only in %s", b, e->d_name, a);
            cr_assert(la == lb && memcmp(x, y, la) == 0, "%s differs between %s and %s", e->d_name,
                      a, b);
            free(x);
            free(y);
            n++;
        }
        closedir(d);
    }
    /* and nothing in b that a has not */
    int m = 0;
    d = opendir(pb);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            m += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
    }
    cr_assert_eq(n, m, "%s and %s hold different files", a, b);
    free(pa);
    free(pb);
    return n;
}

/* Scrubs path at 1, 2, 3 and 4 threads (and with extra runs when pread is
 * true: 2 threads with CLAIMD_NO_URING=1, 3 with --no-uring); asserts the
 * same status and the same outputs. Returns the status. */
static int scrub_all(const char *path, const char *tables, bool pread)
{
    char *dir = scratch();
    const char *tb[] = {"--tables", tables, NULL};
    const char *const *base = tables ? tb : NULL;
    int st1 = -1;
    static const char *const thr[] = {"1", "2", "3", "4"};
    for (int i = 0; i < 4; i++) {
        const char *extra[8] = {"--threads", thr[i]};
        int k = 2;
        for (const char *const *t = base; t && *t; t++)
            extra[k++] = *t;
        extra[k] = NULL;
        char name[8];
        snprintf(name, sizeof name, "t%d", i + 1);
        int st = scrub(dir, name, NULL, extra, path);
        if (i == 0)
            st1 = st;
        cr_assert_eq(st, st1, "%s: status %d at %s threads, %d at 1", path, st, thr[i], st1);
        if (i)
            same_dirs(dir, "t1", name);
    }
    if (pread) {
        const char *env[] = {"/usr/bin/env", "CLAIMD_NO_URING=1", NULL};
        const char *e2[] = {"--threads", "2", base ? base[0] : NULL, base ? base[1] : NULL, NULL};
        cr_assert_eq(scrub(dir, "env", env, e2, path), st1);
        same_dirs(dir, "t1", "env");
        const char *e3[] = {"--threads",           "3", "--no-uring", base ? base[0] : NULL,
                            base ? base[1] : NULL, NULL};
        cr_assert_eq(scrub(dir, "flag", NULL, e3, path), st1);
        same_dirs(dir, "t1", "flag");
    }
    tu_rm_rf(dir);
    free(dir);
    return st1;
}

/* claimgen batch ARGS --out dir/name; returns the path (caller frees). */
static char *generate(const char *dir, const char *name, const char *const *args)
{
    char *out = tu_path(dir, name);
    const char *argv[32] = {tu_bin("tools/claimgen/claimgen"), "batch"};
    int n = 2;
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n] = NULL;
    char *err = tu_path(dir, "gen.txt");
    cr_assert_eq(tu_exec(argv, NULL, err), 0, "claimgen failed");
    free(err);
    return out;
}

static void need_claimgen(void)
{
    if (access(tu_bin("tools/claimgen/claimgen"), X_OK) != 0)
        cr_skip_test("claimgen is not built");
}

Test(pipeline, sample_batch)
{
    char *s = tu_sample_path();
    cr_assert_eq(scrub_all(s, NULL, true), 0);
    free(s);
}

Test(pipeline, generated_837p_one_transaction)
{
    need_claimgen();
    char *dir = scratch();
    char *p =
        generate(dir, "p.837",
                 (const char *[]){"--claims", "30000", "--errors", "0.1", "--seed", "3", NULL});
    cr_assert_eq(scrub_all(p, NULL, true), 0);
    tu_rm_rf(dir);
    free(p);
    free(dir);
}

Test(pipeline, generated_837i_many_transactions)
{
    need_claimgen();
    char *dir = scratch();
    char *p = generate(dir, "i.837",
                       (const char *[]){"--claims", "30000", "--errors", "0.1", "--seed", "3",
                                        "--type", "837i", "--transactions", "37", NULL});
    cr_assert_eq(scrub_all(p, NULL, false), 0);
    tu_rm_rf(dir);
    free(p);
    free(dir);
}

/* Three transactions of 1000 claims (about four units each); the second's
 * SE01 is off by one, so the 999 rejects it and its claims, scrubbed by the
 * workers, are taken back by the writer. */
Test(pipeline, rejected_transaction_between_good_ones)
{
    need_claimgen();
    char *dir = scratch();
    char *p = generate(dir, "r.837",
                       (const char *[]){"--claims", "3000", "--errors", "0.05", "--seed", "5",
                                        "--transactions", "3", NULL});
    size_t len;
    char *t = tu_slurp(p, &len);
    cr_assert_not_null(t);
    char *se = strstr(t, "SE*");
    cr_assert_not_null(se);
    se = strstr(se + 3, "SE*"); /* the second transaction's trailer */
    cr_assert_not_null(se);
    char *d = se + 3;
    while (*d >= '0' && *d <= '9')
        d++;
    d[-1] = d[-1] == '9' ? '8' : (char)(d[-1] + 1);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(t, 1, len, f), len);
    fclose(f);
    cr_assert_eq(scrub_all(p, NULL, true), 0);
    /* and it was taken back */
    char *out = scratch();
    cr_assert_eq(scrub(out, "o", NULL, (const char *[]){"--threads", "4", NULL}, p), 0);
    char *od = tu_path(out, "o");
    char *sum = tu_read_file(od, "r.837.summary.json", &len, NULL);
    cr_assert_not_null(sum);
    cr_assert_not_null(strstr(sum, "\"transactions\":{\"accepted\":2,\"rejected\":1}"), "%s", sum);
    cr_assert_not_null(strstr(sum, "\"claims\":2000,"), "%s", sum);
    cr_assert_not_null(strstr(sum, "\"claims_not_scrubbed\":1000"), "%s", sum);
    free(sum);
    free(od);
    tu_rm_rf(out);
    free(out);
    tu_rm_rf(dir);
    free(t);
    free(p);
    free(dir);
}

/* Not X12: the run fails the same way whatever the thread count, and leaves
 * no output behind. 600 KiB of text spans several reader buffers. */
Test(pipeline, not_x12)
{
    char *dir = scratch();
    char *p = tu_path(dir, "text.837");
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    for (int i = 0; i < 20000; i++)
        fputs("this is not an X12 interchange\n", f);
    fclose(f);
    cr_assert_neq(scrub_all(p, NULL, false), 0);
    /* a valid interchange followed by text: fails after its claims went
     * through the workers */
    char *s = tu_sample_path();
    size_t len;
    char *t = tu_slurp(s, &len);
    cr_assert_not_null(t);
    char *q = tu_path(dir, "tail.837");
    f = fopen(q, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(t, 1, len, f), len);
    for (int i = 0; i < 20000; i++)
        fputs("this is not an X12 interchange\n", f);
    fclose(f);
    cr_assert_neq(scrub_all(q, NULL, false), 0);
    tu_rm_rf(dir);
    free(q);
    free(t);
    free(s);
    free(p);
    free(dir);
}

/* Every real 5010 837 (837P and 837I) of ../shared/data/x12, with the
 * default tables: the same outputs and status at every thread count. */
Test(pipeline, real_5010_837_samples, .timeout = 300)
{
    TU_NEED_SHARED_DATA(data);
    char *inv_path = tu_path(data, "x12/INVENTORY.tsv");
    char *inv = tu_slurp(inv_path, NULL);
    cr_assert_not_null(inv);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(inv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char file[512], types[64], versions[128];
        unsigned long bytes;
        if (sscanf(line, "%511[^\t]\t%lu\t%63[^\t]\t%127[^\t]", file, &bytes, types, versions) != 4)
            continue;
        if (strcmp(types, "837") != 0 || strncmp(versions, "005010X22", 9) != 0)
            continue;
        char *sub = tu_path(data, "x12");
        char *path = tu_path(sub, file);
        scrub_all(path, NULL, false);
        free(path);
        free(sub);
        checked++;
    }
    cr_assert_gt(checked, 30, "837 samples checked: %d", checked);
    free(inv);
    free(inv_path);
}
