/* bench_fpset: the duplicate set (fp_set) at 1 M and 10 M fingerprints:
 * insert ns/entry (fingerprint-like keys, one at a time, no prefetch: the
 * writer's worst case), lookup of present keys, and the memory it holds
 * (fp_set_bytes per entry, which the issue bounds at 16; slots are 12
 * bytes, 5 a 64-byte bucket, so the average load is about 12.8 / that).
 * The set is sized with the writer's hint for a batch of that many claims
 * (file size / 256, about 1.5 x the claims).
 *
 *   bench_fpset [N...]     default: 1000000 10000000
 */
#define _POSIX_C_SOURCE 200809L
#define XXH_INLINE_ALL
#include "claimd/fp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xxhash.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static fp128 key(uint64_t i)
{
    XXH128_hash_t h = XXH3_128bits(&i, sizeof i);
    return (fp128){h.low64, h.high64};
}

static int run(size_t n)
{
    fp_set *s;
    if (fp_set_create(n + n / 2, &s) != 0)
        return 1;
    size_t dups = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        fp128 f = key(i);
        dups += fp_set_add(s, &f) != 0;
    }
    double t1 = now();
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        fp128 f = key(i);
        found += fp_set_add(s, &f) == 1;
    }
    double t2 = now();
    double per = (double)fp_set_bytes(s) / (double)fp_set_count(s);
    printf("fp_set %9zu entries: insert %6.1f ns/entry, lookup %6.1f ns/entry, %zu bytes, "
           "%.2f bytes/entry (load ~%.0f %%)%s%s\n",
           n, (t1 - t0) * 1e9 / (double)n, (t2 - t1) * 1e9 / (double)n, fp_set_bytes(s), per,
           100.0 * 64 / 5 / per, per > 16.0 ? " (over the 16-byte budget)" : "",
           dups || found != n ? " (WRONG: false duplicates or lost entries)" : "");
    fp_set_free(s);
    return dups || found != n;
}

int main(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2) {
        rc |= run(1000000);
        rc |= run(10000000);
    }
    for (int i = 1; i < argc; i++)
        rc |= run((size_t)strtoull(argv[i], NULL, 10));
    return rc;
}
