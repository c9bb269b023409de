/* ofile: on both writer backends (io_uring, and pwrite through
 * CLAIMD_NO_URING=1), the committed file holds exactly what was written,
 * take-backs within the buffer and behind the writes included, and
 * appended scratch files; it is mode 0640 and no temporary file is left.
 * On a full file system (a 64 KiB tmpfs, when mount is allowed) the error
 * is -ENOSPC, nothing appears and nothing is left; `claimd scrub` into
 * such a folder fails the file, names it and leaves the folder empty. */
#define _GNU_SOURCE

#include "claimd/ofile.h"
#include "tu_proc.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char g_dir[64];
static bool g_mounted;

static void dir_setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/claimd-ofile-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    g_mounted = false;
}

static void dir_teardown(void)
{
    if (g_mounted)
        umount2(g_dir, MNT_DETACH);
    tu_rm_rf(g_dir);
    rmdir(g_dir);
}

TestSuite(ofile, .init = dir_setup, .fini = dir_teardown);

static void backend(bool no_uring)
{
    if (no_uring)
        setenv("CLAIMD_NO_URING", "1", 1);
    else
        unsetenv("CLAIMD_NO_URING");
}

/* Entries of dir (. and .. aside). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Bytes of a model buffer and of the file: the same writes to both. */
typedef struct model {
    unsigned char *p;
    size_t len;
} model;

static void put(ofile *f, model *m, size_t n, unsigned seed)
{
    m->p = realloc(m->p, m->len + n + 1);
    cr_assert_not_null(m->p);
    for (size_t i = 0; i < n; i++)
        m->p[m->len + i] = (unsigned char)((m->len + i) * 31 + seed);
    ofile_write(f, m->p + m->len, n);
    m->len += n;
    if (!ofile_error(f)) /* after an error, writes are dropped */
        cr_assert_eq(ofile_tell(f), m->len);
}

static void roundtrip_on(bool no_uring)
{
    backend(no_uring);
    ofile f, s;
    model m = {0}, ms = {0};
    cr_assert_eq(ofile_open(&f, g_dir, "out", "txt"), 0);
    cr_assert_str_eq(ofile_backend(&f), no_uring ? "pwrite" : "io_uring");
    cr_assert_eq(ofile_open_scratch(&s, g_dir), 0);
    /* small writes, a take-back inside the buffer */
    for (unsigned i = 0; i < 1000; i++)
        put(&f, &m, 1 + i % 97, i);
    size_t mark = m.len;
    put(&f, &m, 5000, 1);
    cr_assert_eq(ofile_truncate(&f, mark), 0);
    m.len = mark;
    /* large writes (several buffers in flight), a take-back behind them */
    put(&f, &m, (size_t)3 << 20, 2);
    mark = m.len;
    put(&f, &m, (size_t)1 << 20, 3);
    put(&f, &m, 777, 4);
    cr_assert_eq(ofile_truncate(&f, mark - 12345), 0);
    m.len = mark - 12345;
    put(&f, &m, 300000, 5);
    /* a scratch file appended in the middle */
    put(&s, &ms, 700000, 6);
    cr_assert_eq(ofile_truncate(&s, 600001), 0);
    ms.len = 600001;
    cr_assert_eq(ofile_append_file(&f, &s), 0);
    m.p = realloc(m.p, m.len + ms.len);
    memcpy(m.p + m.len, ms.p, ms.len);
    m.len += ms.len;
    cr_assert_eq(ofile_tell(&f), m.len);
    put(&f, &m, 4099, 7);
    cr_assert_eq(ofile_error(&f), 0);
    cr_assert_eq(entries(g_dir), 1); /* the temporary file; the scratch is unlinked */
    cr_assert_eq(ofile_commit(&f), 0);
    ofile_abort(&s);
    size_t len;
    mode_t mode;
    char *t = tu_read_file(g_dir, "out.txt", &len, &mode);
    cr_assert_not_null(t);
    cr_assert_eq(len, m.len);
    cr_assert(memcmp(t, m.p, len) == 0, "contents differ");
    cr_assert_eq(mode, 0640);
    cr_assert_eq(entries(g_dir), 1);
    free(t);
    free(m.p);
    free(ms.p);
}

Test(ofile, roundtrip_io_uring)
{
    roundtrip_on(false);
}

Test(ofile, roundtrip_pwrite)
{
    roundtrip_on(true);
}

Test(ofile, abort_and_atomic)
{
    ofile f;
    cr_assert_eq(ofile_open(&f, g_dir, "gone", "txt"), 0);
    ofile_write(&f, "abc", 3);
    ofile_abort(&f);
    ofile_abort(&f); /* closed: a no-op */
    cr_assert_eq(entries(g_dir), 0);
    cr_assert_eq(ofile_write_atomic(g_dir, "a", "999", "ISA*", 4), 0);
    size_t len;
    char *t = tu_read_file(g_dir, "a.999", &len, NULL);
    cr_assert(t && len == 4 && memcmp(t, "ISA*", 4) == 0);
    free(t);
    cr_assert_eq(ofile_write_atomic(g_dir, "a", "999", NULL, 0), 0);
    cr_assert_eq(entries(g_dir), 0);
}

/* Mounts a 64 KiB tmpfs on g_dir, or skips the test. */
static void tiny_fs(void)
{
    if (mount("tmpfs", g_dir, "tmpfs", 0, "size=64k") != 0)
        cr_skip_test("cannot mount a tmpfs here (%s): ENOSPC test skipped", strerror(errno));
    g_mounted = true;
}

static void enospc_on(bool no_uring)
{
    backend(no_uring);
    ofile f;
    model m = {0};
    cr_assert_eq(ofile_open(&f, g_dir, "big", "txt"), 0);
    for (int i = 0; i < 8; i++)
        put(&f, &m, 100000, (unsigned)i);
    cr_assert_eq(ofile_commit(&f), -ENOSPC);
    cr_assert_eq(entries(g_dir), 0, "a partial file is left");
    /* the same through a take-back and an append */
    ofile s;
    m.len = 0;
    cr_assert_eq(ofile_open(&f, g_dir, "big", "txt"), 0);
    cr_assert_eq(ofile_open_scratch(&s, g_dir), 0);
    for (int i = 0; i < 4; i++)
        put(&s, &m, 100000, (unsigned)i);
    int rc = ofile_truncate(&s, 10);
    cr_assert(rc == 0 || rc == -ENOSPC, "truncate: %d", rc);
    rc = ofile_append_file(&f, &s);
    cr_assert_eq(rc, -ENOSPC);
    cr_assert_eq(ofile_commit(&f), -ENOSPC);
    ofile_abort(&s);
    cr_assert_eq(entries(g_dir), 0, "a partial file is left");
    free(m.p);
}

Test(ofile, enospc_io_uring)
{
    tiny_fs();
    enospc_on(false);
}

Test(ofile, enospc_pwrite)
{
    tiny_fs();
    enospc_on(true);
}

static const char *bin(const char *rel)
{
    static char p[2][512];
    static int i;
    char *q = p[i++ % 2];
    const char *b = getenv("CLAIMD_BUILD_DIR");
    snprintf(q, 512, "%s/%s", b ? b : "build", rel);
    return q;
}

/* claimd scrub of 3000 claims into a full folder: exit 1, the file named
 * in the error with its cause, and nothing in the folder. */
static void scrub_full_on(bool no_uring)
{
    if (access(bin("tools/claimgen/claimgen"), X_OK) != 0)
        cr_skip_test("claimgen is not built");
    char gen[] = "/tmp/claimd-ofile-gen-XXXXXX";
    cr_assert_not_null(mkdtemp(gen));
    char *in = tu_path(gen, "full.837"), *err = tu_path(gen, "err.txt");
    const char *g[] = {bin("tools/claimgen/claimgen"),
                       "batch",
                       "--claims",
                       "3000",
                       "--seed",
                       "5",
                       "--out",
                       in,
                       NULL};
    cr_assert_eq(tu_exec(g, NULL, err), 0, "claimgen failed");
    tiny_fs();
    backend(no_uring);
    const char *a[] = {
        bin("daemon/claimd"), "scrub", "--threads", no_uring ? "1" : "2", "--out", g_dir, in, NULL};
    cr_assert_eq(tu_exec(a, NULL, err), 1);
    size_t len;
    char *t = tu_slurp(err, &len);
    cr_assert_not_null(t);
    cr_assert(strstr(t, "full.837") && strstr(t, strerror(ENOSPC)),
              "the error does not name the file and its cause:\n%s", t);
    cr_assert_eq(entries(g_dir), 0, "outputs or temporary files left");
    free(t);
    tu_rm_rf(gen);
    rmdir(gen);
    free(in);
    free(err);
}

Test(ofile, scrub_into_full_fs_io_uring)
{
    scrub_full_on(false);
}

Test(ofile, scrub_into_full_fs_pwrite)
{
    scrub_full_on(true);
}
