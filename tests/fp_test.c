/* fp_test: claim fingerprints (what makes two claims the same service billed
 * twice, and what does not) and the duplicate set. */
#include "claimd/fp.h"
#include "testutil.h"

#include <errno.h>

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
    cr_assert_leq(fp_set_bytes(s), (size_t)N * 16 * 4 + 64);
    fp_set_free(s);
}
