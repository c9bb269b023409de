/* Helpers shared by the Criterion suites: where the fixtures and the shared
 * reference data are, and reading a whole file for a test. */
#ifndef CLAIMD_TESTUTIL_H
#define CLAIMD_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The shared reference data folder, or NULL when it is absent. */
static inline const char *tu_shared_data(void)
{
    const char *d = getenv("CLAIMD_SHARED_DATA");
    struct stat st;
    if (!d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return d;
}

/* Skips the calling test, with a message, where the shared data is absent. */
#define TU_NEED_SHARED_DATA(var)                                                                   \
    const char *var = tu_shared_data();                                                            \
    if (!var)                                                                                      \
        cr_skip_test("../shared/data is absent (set CLAIMD_SHARED_DATA): skipped")

static inline const char *tu_fixtures(void)
{
    const char *d = getenv("CLAIMD_FIXTURES");
    return d ? d : "tests/fixtures";
}

/* Reads a whole file into a NUL-terminated heap buffer; NULL on failure. */
static inline char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    rewind(f);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

static inline char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

#endif
