/* Test helpers for suites that run the built binaries: a scratch folder,
 * running a command with its output captured in files, reading a file back
 * with its mode, and removing the scratch folder. */
#ifndef CLAIMD_TU_PROC_H
#define CLAIMD_TU_PROC_H

#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* $CLAIMD_BUILD_DIR/rel (the built binaries); up to 4 results live at once. */
static inline const char *tu_bin(const char *rel)
{
    static char p[4][512];
    static int i;
    char *q = p[i++ % 4];
    const char *b = getenv("CLAIMD_BUILD_DIR");
    snprintf(q, 512, "%s/%s", b ? b : "build", rel);
    return q;
}

/* The bundled sample batch (heap). */
static inline char *tu_sample_path(void)
{
    const char *s = getenv("CLAIMD_SOURCE_DIR");
    return tu_path(s ? s : ".", "data/sample/sample.837");
}

/* Runs argv (NULL-terminated) with stdout to out_path (NULL: /dev/null) and
 * stderr to err_path; returns its exit status (asserting it did not die). */
static inline int tu_exec(const char *const *argv, const char *out_path, const char *err_path)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int o = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "%s died (signal %d)", argv[0], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    cr_assert_neq(WEXITSTATUS(st), 127, "cannot run %s", argv[0]);
    return WEXITSTATUS(st);
}

/* dir/name read into memory (NULL when absent); its permission bits in *mode. */
static inline char *tu_read_file(const char *dir, const char *name, size_t *len, mode_t *mode)
{
    char *p = tu_path(dir, name);
    struct stat st;
    char *t = NULL;
    if (len)
        *len = 0;
    if (stat(p, &st) == 0) {
        if (mode)
            *mode = st.st_mode & 07777;
        t = tu_slurp(p, len);
    }
    free(p);
    return t;
}

/* rm -rf dir (no symlinks followed). */
static inline void tu_rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = tu_path(dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            tu_rm_rf(p);
        else
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

#endif
