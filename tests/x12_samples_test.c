/* The walker against the real X12 samples in ../shared/data/x12: every 5010
 * 837 file gives INVENTORY.tsv's claim and service-line counts, and every
 * deliberately broken imsweb file gets the answer its fault calls for.
 * Skipped, with a message, where the shared data is absent. */
#include "claimd/error.h"
#include "claimd/x12.h"
#include "testutil.h"

typedef struct tally {
    uint64_t claims, lines;
    int ntxn, nrejected;
    x12_err errs[256];
    int nerrs;
    char iverdict;
    x12_err ierr[8];
    int nierr;
    int ngerr_codes[8];
    int ngerr;
} tally;

static int t_claim(void *ctx, const clm_claim *c)
{
    tally *t = ctx;
    t->claims++;
    t->lines += c->nlines;
    return 0;
}

static int t_txn(void *ctx, const x12_txn_result *r)
{
    tally *t = ctx;
    t->ntxn++;
    t->nrejected += r->verdict == 'R';
    for (uint32_t i = 0; i < r->nerrs && t->nerrs < 256; i++)
        t->errs[t->nerrs++] = r->errs[i];
    return 0;
}

static int t_group(void *ctx, const x12_group_result *r)
{
    tally *t = ctx;
    for (uint32_t i = 0; i < r->nerrs && t->ngerr < 8; i++)
        t->ngerr_codes[t->ngerr++] = r->errs[i].code;
    return 0;
}

static int t_ichg(void *ctx, const x12_ichg_result *r)
{
    tally *t = ctx;
    if (t->iverdict != 'R')
        t->iverdict = r->verdict;
    for (uint32_t i = 0; i < r->nerrs && t->nierr < 8; i++)
        t->ierr[t->nierr++] = r->errs[i];
    return 0;
}

/* Walks a file in 4 KiB reads, as a streaming reader would. */
static int walk_file(const char *path, tally *t)
{
    memset(t, 0, sizeof *t);
    size_t len;
    char *text = tu_slurp(path, &len);
    cr_assert(text, "cannot read %s", path);
    x12_sink sk = {
        .ctx = t, .claim = t_claim, .txn_end = t_txn, .group_end = t_group, .ichg_end = t_ichg};
    x12_walker *w;
    cr_assert_eq(x12_walker_create(&sk, &w), 0);
    char buf[8192];
    size_t have = 0, off = 0;
    int rc = 0;
    while (off < len && !rc) {
        size_t k = len - off < 4096 ? len - off : 4096;
        memcpy(buf + have, text + off, k);
        have += k;
        off += k;
        size_t used;
        rc = x12_walker_feed(w, buf, have, &used);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    if (!rc)
        rc = x12_walker_finish(w, buf, have);
    x12_walker_free(w);
    free(text);
    return rc;
}

static int find(const tally *t, int level, int code, const char *seg, int elem)
{
    for (int i = 0; i < t->nerrs; i++) {
        const x12_err *e = &t->errs[i];
        if (e->level == level && e->code == code && (!seg || strcmp(e->seg_id, seg) == 0) &&
            (elem < 0 || e->elem_pos == elem))
            return 1;
    }
    return 0;
}

Test(samples, inventory_counts)
{
    TU_NEED_SHARED_DATA(data);
    char *inv_path = tu_path(data, "x12/INVENTORY.tsv");
    char *inv = tu_slurp(inv_path, NULL);
    cr_assert(inv, "cannot read %s", inv_path);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(inv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char file[512], types[64], versions[128];
        unsigned long bytes, claims, lines;
        if (sscanf(line, "%511[^\t]\t%lu\t%63[^\t]\t%127[^\t]\t%lu\t%lu", file, &bytes, types,
                   versions, &claims, &lines) != 6)
            continue;
        if (strcmp(types, "837") != 0 || strncmp(versions, "005010", 6) != 0)
            continue;
        char *sub = tu_path(data, "x12");
        char *path = tu_path(sub, file);
        tally t;
        int rc = walk_file(path, &t);
        cr_expect_eq(rc, 0, "%s: %s", file, claimd_strerror(rc));
        cr_expect_eq(t.claims, claims, "%s: claims %lu, expected %lu", file,
                     (unsigned long)t.claims, claims);
        cr_expect_eq(t.lines, lines, "%s: lines %lu, expected %lu", file, (unsigned long)t.lines,
                     lines);
        checked++;
        free(sub);
        free(path);
    }
    cr_assert_geq(checked, 40, "only %d 5010 837 files listed", checked);
    free(inv);
    free(inv_path);
}

static void walk_sample(const char *data, const char *name, tally *t, int expect_rc)
{
    char *sub = tu_path(data, "x12/imsweb");
    char *path = tu_path(sub, name);
    int rc = walk_file(path, t);
    cr_assert_eq(rc, expect_rc, "%s: %s", name, claimd_strerror(rc));
    free(sub);
    free(path);
}

#define IMS(x) "src__test__resources__837_5010__x12_" x ".txt"

/* The imsweb base file has faults of its own (a malformed HI, HL ids that
 * repeat, an SE01 of 25 for 34 segments): every transaction derived from it
 * is rejected for those. Each test checks that the deliberate fault is the
 * one reported. */
Test(samples, imsweb_faults_get_their_answer)
{
    TU_NEED_SHARED_DATA(data);
    tally t;

    walk_sample(data, IMS("bad_first_line"), &t, 0);
    cr_expect_eq(t.iverdict, 'R', "an ISA with a short ISA02 rejects the interchange");
    cr_expect(t.nierr >= 1 && t.ierr[0].code == 11, "TA1 note 011 (authorization information)");

    walk_sample(data, IMS("bad_segment_identifier"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_UNRECOGNIZED, "Nd4", -1));
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_UNRECOGNIZED, "NM3", -1));
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_UNRECOGNIZED, "", -1), "the segment with no id");

    walk_sample(data, IMS("bad_valid_code"), &t, 0);
    cr_expect(find(&t, X12_ERR_ELEM, X12_IK4_BAD_CODE, "NM1", 1), "NM1*117: invalid NM101");

    walk_sample(data, IMS("missing_elements"), &t, 0);
    cr_expect(find(&t, X12_ERR_ELEM, X12_IK4_REQ_MISSING, "NM1", 2), "NM102 missing");
    cr_expect(find(&t, X12_ERR_ELEM, X12_IK4_REQ_MISSING, "CLM", 5), "CLM05 missing");

    walk_sample(data, IMS("segments_out_of_order"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_SEQUENCE, "N4", -1) ||
              find(&t, X12_ERR_SEG, X12_IK3_SEQUENCE, "N3", -1));

    walk_sample(data, IMS("segment_errors"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_REQ_MISSING, "N3", -1));
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_SEG_MAX, "REF", -1), "a second tax id REF");
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_REQ_MISSING, "HI", -1));

    walk_sample(data, IMS("loop_errors1_exceeds_max_1_parent"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_LOOP_MAX, "NM1", -1));

    walk_sample(data, IMS("loop_errors2_exceeds_max_repeats_multiple_parents"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_LOOP_MAX, "NM1", -1));

    walk_sample(data, IMS("loop_errors3_missing_loops"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_REQ_MISSING, "NM1", -1), "2010AA missing");

    walk_sample(data, IMS("missing_required_loops_mult_repeats"), &t, 0);
    cr_expect(find(&t, X12_ERR_SEG, X12_IK3_REQ_MISSING, "LX", -1));
    cr_expect(find(&t, X12_ERR_ELEM, X12_IK4_BAD_CODE, "DTP", 2), "RD9 is no date format");

    walk_sample(data, IMS("no_isa_line"), &t, -CLAIMD_EX12_NOT_X12);

    walk_sample(data, IMS("multiple_gs"), &t, 0);
    cr_expect_eq(t.ntxn, 3);

    walk_sample(data, IMS("multiple_isa"), &t, 0);
    cr_expect_eq(t.ntxn, 2);

    /* The same base file with other separators reads exactly the same. */
    tally a, b;
    walk_sample(data, IMS("valid"), &a, 0);
    walk_sample(data, IMS("valid_different_separators"), &b, 0);
    cr_expect_eq(a.claims, b.claims);
    cr_expect_eq(a.nerrs, b.nerrs);
}

Test(samples, linuxforhealth_examples)
{
    TU_NEED_SHARED_DATA(data);
    tally t;
    char *sub = tu_path(data, "x12/linuxforhealth");
    static const struct {
        const char *file;
        int rejected;
    } cases[] = {
        {"demo-file__demo.837", 0},
        {"demo-file__demo.837i", 0},
        {"src__tests__resources__837_005010X222A2__demo.example1.837", 0},
        {"src__tests__resources__837_005010X222A2__demo.drug.example10.2.837", 0},
        {"src__tests__resources__837_005010X223A3__two-claims-single-provider.837i", 0},
        /* ISA16 says ':' but the body uses '>' as the component separator. */
        {"src__tests__resources__837_005010X222A2__demo.example9.837", 1},
        /* CLM05-2 (facility code qualifier) left empty. */
        {"src__tests__resources__837_005010X222A2__demo.ambulance.example5.837", 1},
        /* 4010: refused as an unsupported version, never misread. */
        {"src__tests__resources__837_004010X098A1__patient-is-subscriber.837", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = tu_path(sub, cases[i].file);
        cr_assert_eq(walk_file(path, &t), 0, "%s", cases[i].file);
        cr_expect_eq(t.nrejected > 0, cases[i].rejected, "%s: %d of %d rejected", cases[i].file,
                     t.nrejected, t.ntxn);
        free(path);
    }
    free(sub);
}
