#define _GNU_SOURCE /* readlink, PATH_MAX */
#include "claimd/tbl_default.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_tables(const char *dir)
{
    char p[PATH_MAX + 32];
    struct stat st;
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    if (stat(p, &st) == 0)
        return 1;
    snprintf(p, sizeof p, "%s/current/data.mdb", dir);
    return stat(p, &st) == 0;
}

static int put(char *buf, size_t len, const char *s)
{
    if ((size_t)snprintf(buf, len, "%s", s) >= len)
        return -ENAMETOOLONG;
    return 0;
}

int tbl_default_dir(char *buf, size_t len)
{
    const char *env = getenv("CLAIMD_TABLES");
    if (env && *env)
        return put(buf, len, env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return -errno;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -ENOENT;
    *slash = 0;
    char cand[PATH_MAX + 64];
    snprintf(cand, sizeof cand, "%s/../share/claimd/tables/default", exe);
    if (is_tables(cand))
        return put(buf, len, cand);
    for (int up = 0; up <= 3; up++) {
        snprintf(cand, sizeof cand, "%s/tables/default", exe);
        if (is_tables(cand))
            return put(buf, len, cand);
        slash = strrchr(exe, '/');
        if (!slash || slash == exe)
            break;
        *slash = 0;
    }
    return -ENOENT;
}
