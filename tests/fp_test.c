/* fp_test: claim fingerprints (what makes two claims the same service billed
 * twice, and what does not) and the duplicate set. */
#include "claimd/fp.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

static clm_line L1[64], L2[64];

static void mk(clm_claim *c, clm_line *l, uint32_t nlines)
{
    memset(c, 0, sizeof *c);
    c->type = CLM_TYPE_837P;
    strcpy(c->bill_npi, "1558598797");
    strcpy(c->member_id, "MEMBER1");
    c->sub_dob = 19700101;
    c->sub_sex = 'M';
    strcpy(c->claim_id, "CLM1");
    c->freq = '1';
    c->lines = l;
    c->nlines = nlines;
    for (uint32_t i = 0; i < nlines; i++) {
        memset(&l[i], 0, sizeof l[i]);
        l[i].number = i + 1;
        strcpy(l[i].qual, "HC");
        snprintf(l[i].code, sizeof l[i].code, "%05u", 99211 + i % 5);
        l[i].charge = 10000 + i;
        l[i].units_milli = 1000;
        l[i].from = l[i].to = 20250315;
    }
}

static fp128 fp(const clm_claim *c)
{
    fp128 f;
    cr_assert(fp_claim(c, &f));
    return f;
}

static bool same(fp128 a, fp128 b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

Test(fp, same_service_same_fingerprint_whatever_the_claim_id)
{
    clm_claim a, b;
    mk(&a, L1, 2);
    mk(&b, L2, 2);
    strcpy(b.claim_id, "OTHER");
    b.charge = 999;   /* CLM02 is not a line field */
    b.seg_index = 77; /* nor where it sits */
    b.file_off = 123456;
    cr_assert(same(fp(&a), fp(&b)));
    /* modifier order does not make another service */
    strcpy(L1[0].mods[0], "59");
    strcpy(L1[0].mods[1], "RT");
    L1[0].nmods = 2;
    strcpy(L2[0].mods[0], "RT");
    strcpy(L2[0].mods[1], "59");
    L2[0].nmods = 2;
    cr_assert(same(fp(&a), fp(&b)));
}

Test(fp, every_field_of_the_service_matters)
{
    clm_claim a, b;
    mk(&a, L1, 2);
    fp128 base = fp(&a);
#define DIFFERS(stmt)                                                                              \
    do {                                                                                           \
        mk(&b, L2, 2);                                                                             \
        stmt;                                                                                      \
        cr_assert_not(same(base, fp(&b)), "%s", #stmt);                                            \
    } while (0)
    DIFFERS(strcpy(b.bill_npi, "1234567893"));
    DIFFERS(strcpy(b.member_id, "MEMBER2"));
    DIFFERS(b.sub_dob = 19700102);
    DIFFERS(b.sub_sex = 'F');
    DIFFERS((b.has_patient = true, b.pat_dob = 20100101, b.pat_sex = 'F'));
    DIFFERS(L2[1].from = L2[1].to = 20250316);
    DIFFERS(L2[1].to = 20250316);
    DIFFERS(strcpy(L2[1].code, "99215"));
    DIFFERS((strcpy(L2[1].mods[0], "25"), L2[1].nmods = 1));
    DIFFERS(L2[1].units_milli = 2000);
    DIFFERS(L2[1].charge += 1);
    DIFFERS(b.nlines = 1);
    /* a code moved into the modifier does not collide (length-prefixed) */
    DIFFERS((strcpy(L2[1].code, "9921"), strcpy(L2[1].mods[0], "25"), L2[1].nmods = 1));
#undef DIFFERS
}

Test(fp, replacement_and_void_claims_are_not_fingerprinted)
{
    clm_claim a;
    fp128 f = {1, 2};
    mk(&a, L1, 1);
    a.freq = '7';
    cr_assert_not(fp_claim(&a, &f));
    a.freq = '8';
    cr_assert_not(fp_claim(&a, &f));
    a.freq = 0;
    a.type = CLM_TYPE_837I;
    strcpy(a.tob, "137");
    cr_assert_not(fp_claim(&a, &f));
    strcpy(a.tob, "131");
    cr_assert(fp_claim(&a, &f));
}

Test(fp, long_claims_hash_in_streaming_mode_deterministically)
{
    clm_claim a, b;
    mk(&a, L1, 64);
    mk(&b, L2, 64);
    cr_assert(same(fp(&a), fp(&b)));
    L2[63].charge++;
    cr_assert_not(same(fp(&a), fp(&b)));
    L2[63].charge--;
    L2[0].charge++;
    cr_assert_not(same(fp(&a), fp(&b)));
}

Test(fp, set_keeps_the_first_and_flags_later_ones)
{
    fp_set *s;
    cr_assert_eq(fp_set_create(0, &s), 0);
    clm_claim a;
    mk(&a, L1, 1);
    fp128 f = fp(&a);
    cr_assert_eq(fp_set_add(s, &f), 0);
    cr_assert_eq(fp_set_add(s, &f), 1);
    cr_assert_eq(fp_set_add(s, &f), 1);
    fp128 zero = {0, 0};
    cr_assert_eq(fp_set_add(s, &zero), 0);
    cr_assert_eq(fp_set_add(s, &zero), 1);
    cr_assert_eq(fp_set_count(s), 2);
    cr_assert_eq(fp_set_add(NULL, &f), -EINVAL);
    cr_assert_eq(fp_set_add(s, NULL), -EINVAL);
    fp_set_free(s);
    fp_set_free(NULL);
    cr_assert_eq(fp_set_create(1, NULL), -EINVAL);
}

/* A fingerprint-like key: XXH3-128 of a counter, as fp_claim's are. */
static fp128 key(uint64_t i)
{
    XXH128_hash_t h = XXH3_128bits(&i, sizeof i);
    return (fp128){h.low64, h.high64};
}

Test(fp, set_removes_what_it_added)
{
    fp_set *s;
    cr_assert_eq(fp_set_create(0, &s), 0);
    fp128 a = key(1), b = key(2), zero = {0, 0};
    cr_assert_eq(fp_set_add(s, &a), 0);
    cr_assert_eq(fp_set_add(s, &b), 0);
    cr_assert_eq(fp_set_add(s, &zero), 0);
    cr_assert_eq(fp_set_remove(s, &a), 1);
    cr_assert_eq(fp_set_remove(s, &a), 0);
    cr_assert_eq(fp_set_count(s), 2);
    cr_assert_eq(fp_set_add(s, &b), 1); /* its neighbour is still there */
    cr_assert_eq(fp_set_add(s, &a), 0); /* and a is new again */
    cr_assert_eq(fp_set_remove(s, &zero), 1);
    cr_assert_eq(fp_set_add(s, &zero), 0);
    cr_assert_eq(fp_set_count(s), 3);
    cr_assert_eq(fp_set_remove(NULL, &a), -EINVAL);
    cr_assert_eq(fp_set_remove(s, NULL), -EINVAL);
    fp_set_prefetch(NULL, &a); /* no-ops */
    fp_set_prefetch(s, NULL);
    cr_assert_eq(fp_set_count(NULL), 0);
    cr_assert_eq(fp_set_bytes(NULL), 0);
    fp_set_free(s);
}

Test(fp, set_remove_then_readd_under_load)
{
    fp_set *s;
    cr_assert_eq(fp_set_create(1000, &s), 0);
    enum { N = 300000 };
    for (uint64_t i = 0; i < N; i++) {
        fp128 f = key(i);
        cr_assert_eq(fp_set_add(s, &f), 0);
    }
    for (uint64_t i = 0; i < N; i += 2) {
        fp128 f = key(i);
        cr_assert_eq(fp_set_remove(s, &f), 1);
    }
    cr_assert_eq(fp_set_count(s), N / 2);
    for (uint64_t i = 0; i < N; i++) {
        fp128 f = key(i);
        cr_assert_eq(fp_set_add(s, &f), i % 2 ? 1 : 0, "key %llu", (unsigned long long)i);
    }
    cr_assert_eq(fp_set_count(s), N);
    fp_set_free(s);
}

/* The set keeps 96 bits of a fingerprint (lo and the low 32 bits of hi):
 * fingerprints that differ only in hi's top 32 bits are the same key. */
Test(fp, set_compares_96_bits)
{
    fp_set *s;
    cr_assert_eq(fp_set_create(0, &s), 0);
    fp128 a = {5, 0x100000007ull}, b = {5, 0x200000007ull}, c = {5, 8}, d = {6, 7};
    cr_assert_eq(fp_set_add(s, &a), 0);
    cr_assert_eq(fp_set_add(s, &b), 1);
    cr_assert_eq(fp_set_add(s, &c), 0);
    cr_assert_eq(fp_set_add(s, &d), 0);
    fp128 z = {0, 0}, zh = {0, 1ull << 40};
    cr_assert_eq(fp_set_add(s, &z), 0);
    cr_assert_eq(fp_set_add(s, &zh), 1);
    cr_assert_eq(fp_set_remove(s, &zh), 1);
    cr_assert_eq(fp_set_add(s, &z), 0);
    cr_assert_eq(fp_set_count(s), 4);
    fp_set_free(s);
}

/* The same calls give the same set, whatever the run: no clock, no
 * address in the hashing or the kick choices. */
Test(fp, set_is_deterministic)
{
    fp_set *a, *b;
    cr_assert_eq(fp_set_create(100000, &a), 0);
    cr_assert_eq(fp_set_create(100000, &b), 0);
    for (uint64_t i = 0; i < 200000; i++) {
        fp128 f = key(i % 150000);
        cr_assert_eq(fp_set_add(a, &f), fp_set_add(b, &f));
        if (i % 7 == 0) {
            fp128 g = key(i / 2);
            cr_assert_eq(fp_set_remove(a, &g), fp_set_remove(b, &g));
        }
        cr_assert_eq(fp_set_bytes(a), fp_set_bytes(b));
    }
    cr_assert_eq(fp_set_count(a), fp_set_count(b));
    fp_set_free(a);
    fp_set_free(b);
}

/* Millions of distinct fingerprints: none is taken for a duplicate, every
 * one is found again, and the memory stays within the 16 bytes a
 * claim (12-byte slots, 5 a 64-byte bucket, at 75-94 % load: 13.6-17.1,
 * about 15 on average). */
Test(fp, set_millions_without_false_duplicates, .timeout = 300)
{
    static const uint64_t ns[] = {1000000, 4000000};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        uint64_t n = ns[t];
        fp_set *s;
        cr_assert_eq(fp_set_create(n + n / 2, &s), 0); /* the writer overestimates */
        for (uint64_t i = 0; i < n; i++) {
            fp128 f = key(i);
            cr_assert_eq(fp_set_add(s, &f), 0, "false duplicate at %llu", (unsigned long long)i);
        }
        for (uint64_t i = 0; i < n; i++) {
            fp128 f = key(i);
            cr_assert_eq(fp_set_add(s, &f), 1);
        }
        cr_assert_eq(fp_set_count(s), n);
        double per = (double)fp_set_bytes(s) / (double)n;
        printf("fp_set: %llu entries, %zu bytes, %.2f bytes/entry\n", (unsigned long long)n,
               fp_set_bytes(s), per);
        cr_assert_leq(per, 16.5, "%.2f bytes/entry at %llu", per, (unsigned long long)n);
        cr_assert_geq(per, 12.8); /* 64 / 5: every slot full */
        fp_set_free(s);
    }
}

Test(fp, set_grows_and_finds_everything)
{
    fp_set *s;
    cr_assert_eq(fp_set_create(4, &s), 0);
    size_t before = fp_set_bytes(s);
    enum { N = 200000 };
    for (uint64_t i = 0; i < N; i++) {
        fp128 f = {i * 0x9E3779B97F4A7C15ull, i};
        cr_assert_eq(fp_set_add(s, &f), 0);
    }
    for (uint64_t i = 0; i < N; i++) {
        fp128 f = {i * 0x9E3779B97F4A7C15ull, i};
        cr_assert_eq(fp_set_add(s, &f), 1);
    }
    cr_assert_eq(fp_set_count(s), N);
    cr_assert_gt(fp_set_bytes(s), before);
    /* one segment (expect 4): its growth ladder keeps it 75-94 % full, at
     * 64 / 5 bytes a slot */
    cr_assert_leq(fp_set_bytes(s), (size_t)N * 64 * 100 / (5 * 75) + 8192);
    fp_set_free(s);
}

static int collect(void *ctx, const fp128 *f)
{
    fp_set *copy = ctx;
    return fp_set_add(copy, f) == 0 ? 0 : 1;
}

static int stop_at_three(void *ctx, const fp128 *f)
{
    (void)f;
    return ++*(int *)ctx == 3 ? 42 : 0;
}

/* fp_set_each hands out the stored 96 bits: a set rebuilt from them holds
 * exactly the same fingerprints (what the daemon's history does), and
 * fp_set_has answers without changing the set. */
Test(fp, set_each_rebuilds_an_equal_set)
{
    fp_set *s, *copy;
    cr_assert_eq(fp_set_create(0, &s), 0);
    cr_assert_eq(fp_set_create(0, &copy), 0);
    fp128 zero = {0, 0};
    cr_assert_eq(fp_set_add(s, &zero), 0);
    for (uint64_t i = 1; i < 50000; i++) {
        fp128 k = key(i);
        cr_assert_eq(fp_set_add(s, &k), 0);
    }
    cr_assert_eq(fp_set_each(s, collect, copy), 0);
    cr_assert_eq(fp_set_count(copy), fp_set_count(s));
    cr_assert(fp_set_has(copy, &zero));
    for (uint64_t i = 1; i < 50000; i++) {
        fp128 k = key(i), other = key(i + 1000000);
        cr_assert(fp_set_has(copy, &k));
        cr_assert_not(fp_set_has(copy, &other));
    }
    cr_assert_eq(fp_set_count(copy), 50000);
    int n = 0;
    cr_assert_eq(fp_set_each(s, stop_at_three, &n), 42);
    cr_assert_eq(n, 3);
    cr_assert_not(fp_set_has(NULL, &zero));
    cr_assert_eq(fp_set_each(NULL, stop_at_three, &n), 0);
    fp_set_free(s);
    fp_set_free(copy);
}
