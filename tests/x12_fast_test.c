/* The walker's per-segment fast handlers (daemon/core/x12_fast.c) against its
 * general checks: every input must give the same claims, errors, verdicts
 * and 999/TA1 bytes both ways (x12_walker_force_general). The inputs: the
 * fixtures, the fuzz corpus and its kept regressions, the real samples in
 * ../shared/data/x12 where present, and mutants of the corpus seeds aimed at
 * the segments the fast handlers read (the edges of each handler's "clean"). */
#include "claimd/x12.h"
#include "fuzz/x12_fuzz_util.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Walks data both ways, whole and cut in two; fails the test on a difference. */
static void both_ways(const char *what, const uint8_t *data, size_t size)
{
    size_t cut = size / 3;
    for (int chunked = 0; chunked < 2; chunked++) {
        xf_rec fast, general;
        uint64_t fast_ack, general_ack;
        xf_walk_mode(data, size, &cut, (size_t)chunked, &fast, &fast_ack, false);
        xf_walk_mode(data, size, &cut, (size_t)chunked, &general, &general_ack, true);
        cr_assert(xf_rec_equal(&fast, &general),
                  "%s: fast and general walks differ (rc %d/%d, claims %llu/%llu, claim "
                  "fields %s, verdicts %s)",
                  what, fast.rc, general.rc, (unsigned long long)fast.claims,
                  (unsigned long long)general.claims,
                  fast.claim_h == general.claim_h ? "same" : "differ",
                  fast.verdict_h == general.verdict_h ? "same" : "differ");
        cr_assert_eq(fast_ack, general_ack, "%s: the 999/TA1 bytes differ", what);
    }
}

/* Every regular file of a folder, both ways; returns how many. */
static int both_ways_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".md"))
            continue;
        char *path = tu_path(dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        size_t len = 0;
        char *buf = tu_slurp(path, &len);
        if (buf) {
            both_ways(path, (const uint8_t *)buf, len);
            n++;
        }
        free(buf);
        free(path);
    }
    closedir(d);
    return n;
}

static const char *source_dir(void)
{
    const char *d = getenv("CLAIMD_SOURCE_DIR");
    return d ? d : ".";
}

Test(fast, agrees_with_general_on_fixtures_corpus_and_regressions)
{
    char *x12 = tu_path(tu_fixtures(), "x12");
    char *corpus = tu_path(source_dir(), "tests/fuzz/corpus");
    char *reg = tu_path(source_dir(), "tests/fuzz/regressions/fuzz_x12");
    char *reg_chunks = tu_path(source_dir(), "tests/fuzz/regressions/fuzz_x12_chunks");
    int n = both_ways_dir(x12) + both_ways_dir(corpus);
    cr_assert_geq(n, 15, "the fixtures and the fuzz corpus hold inputs (found %d)", n);
    both_ways_dir(reg);
    both_ways_dir(reg_chunks);
    free(x12);
    free(corpus);
    free(reg);
    free(reg_chunks);
}

Test(fast, agrees_with_general_on_the_real_samples)
{
    TU_NEED_SHARED_DATA(data);
    char *dir = tu_path(data, "x12");
    int n = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: cannot open", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = tu_path(dir, e->d_name);
        n += both_ways_dir(sub); /* the samples sit one folder down */
        free(sub);
    }
    closedir(d);
    n += both_ways_dir(dir);
    cr_assert_geq(n, 20, "the shared samples hold X12 files (found %d)", n);
    free(dir);
}

/* ---- mutants ------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* What is put in place of (or inserted into) an element: the edges of the
 * handlers' "clean" (length limits, signs, points, case, components, NUL). */
static const char *const repl[] = {
    "",
    "A",
    "a",
    "-1",
    "1.005",
    "12345678901234",
    "0",
    "00",
    "1.",
    ".5",
    "x",
    "D8",
    "RD8",
    "d8",
    "rd8",
    "20250230",
    "2025013",
    "20250101-20241231",
    "20250101-20250102",
    "UN",
    "un",
    "MJ",
    "F",
    "f",
    "Q",
    "99",
    "100",
    "1:2:3:4:5",
    "HC:99213:25:59:76:77:XX",
    "HC:992130000",
    "HC::25",
    ":",
    "XX",
    "xx",
    "PR",
    "IL",
    "82",
    "18",
    "ABK:I10",
    "abk:i10",
    "hc:9921a",
    "HC:\xc3\xa9z`{",
    "ABK:@[az",
    "ABF:j45909z",
    "HC:abcdefgh",
    "HC:abcdefghi",
    "BK:4019",
    "ZZZ:1",
    "Y",
    "N",
    "1",
    "123456789012345678901234567890123456789012345678901234567890123456789012345678901",
    /* the compact forms of the straight-line SV1/SV2/HI readers, and their edges */
    "HC:99213:2",
    "HC:99213::25",
    "HC:99213:25:",
    "HC:99213:25:59:76:77",
    "1:2:",
    "1::2",
    "10:2",
    "0:1",
    "12345678",
    "1234567.8",
    "12345.678",
    "0.5",
    "ABK:I10:Y",
    "APR:Z00",
    "AB:I10",
    "ABK:I10::::::Y",
};

/* Element starts (the byte after each element separator) of the segment
 * holding byte i; up to max, returns how many. */
static size_t elem_starts(const char *b, size_t len, size_t i, char sep, char term, size_t *out,
                          size_t max)
{
    size_t s = i;
    while (s > 0 && b[s - 1] != term)
        s--;
    size_t n = 0;
    for (size_t k = s; k < len && b[k] != term && n < max; k++)
        if (b[k] == sep)
            out[n++] = k + 1;
    return n;
}

/* One mutant of seed: an element of a random segment replaced by, or
 * prefixed with, a value from repl, or an element appended; len is updated. */
static char *mutate(const char *seed, size_t len, uint64_t *rng, size_t *out_len)
{
    char sep = seed[3], term = seed[105];
    size_t at = 106 + (size_t)(rng_next(rng) % (len > 106 ? len - 106 : 1));
    size_t starts[32];
    size_t n = elem_starts(seed, len, at < len ? at : len - 1, sep, term, starts, 32);
    const char *r = repl[rng_next(rng) % (sizeof repl / sizeof repl[0])];
    size_t rn = strlen(r), from, to;
    bool append = false;
    if (n == 0)
        return NULL;
    size_t s = starts[rng_next(rng) % n];
    size_t e = s;
    while (e < len && seed[e] != sep && seed[e] != term)
        e++;
    switch (rng_next(rng) % 4) {
    case 0: /* replace the element */
        from = s, to = e;
        break;
    case 1: /* prefix it */
        from = to = s;
        break;
    case 2: /* append an element after it */
        from = to = e;
        append = true;
        break;
    default: /* a byte of it made a NUL or lower case */
        from = to = s;
        rn = 0;
        break;
    }
    char *m = malloc(len + rn + 2);
    memcpy(m, seed, from);
    size_t k = from;
    if (append)
        m[k++] = sep;
    memcpy(m + k, r, rn);
    k += rn;
    memcpy(m + k, seed + to, len - to);
    k += len - to;
    if (!rn && s < e) {
        char c = m[s];
        m[s] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : 0;
    }
    *out_len = k;
    return m;
}

Test(fast, agrees_with_general_on_mutants)
{
    static const char *const seeds[] = {"p_basic.837", "i_basic.837", "p_pipes_lf.837",
                                        "pi_two_groups_crlf.837"};
    char *corpus = tu_path(source_dir(), "tests/fuzz/corpus");
    uint64_t rng = UINT64_C(0x9E3779B97F4A7C15);
    int walked = 0;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char *path = tu_path(corpus, seeds[i]);
        size_t len = 0;
        char *seed = tu_slurp(path, &len);
        cr_assert_not_null(seed, "%s: cannot read", path);
        cr_assert_gt(len, 106);
        for (int k = 0; k < 1500; k++) {
            size_t mlen = 0;
            char *m = mutate(seed, len, &rng, &mlen);
            if (!m)
                continue;
            char what[256];
            snprintf(what, sizeof what, "%s mutant %d", seeds[i], k);
            both_ways(what, (const uint8_t *)m, mlen);
            walked++;
            free(m);
        }
        free(seed);
        free(path);
    }
    cr_assert_gt(walked, 5000, "mutants walked: %d", walked);
    free(corpus);
}
