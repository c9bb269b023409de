#define _GNU_SOURCE /* strdup */
/* The 837 walker: claim fields, the envelope checks (one test per error),
 * the loop checks, and the untidiness real files carry. */
#include "claimd/error.h"
#include "claimd/x12.h"
#include "testutil.h"

#include <errno.h>

/* ---- a collecting sink -------------------------------------------------- */

#define MAXC 16
#define MAXE 128

typedef struct rec {
    int nclaims;
    clm_claim claims[MAXC];
    clm_line lines[MAXC][8];
    int ntxn;
    char verdicts[16];
    x12_err errs[MAXE];
    int nerrs;
    int ngroups;
    char gverdict[8];
    x12_err gerrs[8];
    int ngerrs;
    int nichg;
    char iverdict[8];
    int ta1_due[8];
    x12_err ierrs[8];
    int nierrs;
} rec;

static int on_claim(void *ctx, const clm_claim *c)
{
    rec *r = ctx;
    if (r->nclaims < MAXC) {
        r->claims[r->nclaims] = *c;
        for (uint32_t i = 0; i < c->nlines && i < 8; i++)
            r->lines[r->nclaims][i] = c->lines[i];
        r->claims[r->nclaims].lines = r->lines[r->nclaims];
    }
    r->nclaims++;
    return 0;
}

static int on_txn(void *ctx, const x12_txn_result *t)
{
    rec *r = ctx;
    r->verdicts[r->ntxn++ % 15] = t->verdict;
    for (uint32_t i = 0; i < t->nerrs && r->nerrs < MAXE; i++)
        r->errs[r->nerrs++] = t->errs[i];
    return 0;
}

static int on_group(void *ctx, const x12_group_result *g)
{
    rec *r = ctx;
    r->gverdict[r->ngroups++ % 7] = g->verdict;
    for (uint32_t i = 0; i < g->nerrs && r->ngerrs < 8; i++)
        r->gerrs[r->ngerrs++] = g->errs[i];
    return 0;
}

static int on_ichg(void *ctx, const x12_ichg_result *x)
{
    rec *r = ctx;
    r->ta1_due[r->nichg % 7] = x->ta1_due;
    r->iverdict[r->nichg++ % 7] = x->verdict;
    for (uint32_t i = 0; i < x->nerrs && r->nierrs < 8; i++)
        r->ierrs[r->nierrs++] = x->errs[i];
    return 0;
}

/* Walks text fed in chunks of `chunk` bytes (0: all at once). */
static int walk(const char *text, size_t len, size_t chunk, rec *r)
{
    memset(r, 0, sizeof *r);
    x12_sink sk = {
        .ctx = r, .claim = on_claim, .txn_end = on_txn, .group_end = on_group, .ichg_end = on_ichg};
    x12_walker *w;
    cr_assert_eq(x12_walker_create(&sk, &w), 0);
    char *buf = malloc(len + 1);
    size_t have = 0, off = 0;
    int rc = 0;
    if (!chunk)
        chunk = len ? len : 1;
    while (off < len) {
        size_t k = len - off < chunk ? len - off : chunk;
        memcpy(buf + have, text + off, k);
        have += k;
        off += k;
        size_t used;
        rc = x12_walker_feed(w, buf, have, &used);
        if (rc)
            break;
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    if (!rc)
        rc = x12_walker_finish(w, buf, have);
    free(buf);
    x12_walker_free(w);
    return rc;
}

static int walk_str(const char *text, rec *r)
{
    return walk(text, strlen(text), 0, r);
}

static int has_err(const rec *r, int level, int code, const char *seg)
{
    for (int i = 0; i < r->nerrs; i++)
        if (r->errs[i].level == level && r->errs[i].code == code &&
            (!seg || strcmp(r->errs[i].seg_id, seg) == 0))
            return 1;
    return 0;
}

static int has_gerr(const rec *r, int code)
{
    for (int i = 0; i < r->ngerrs; i++)
        if (r->gerrs[i].code == code)
            return 1;
    return 0;
}

static int has_ierr(const rec *r, int code)
{
    for (int i = 0; i < r->nierrs; i++)
        if (r->ierrs[i].code == code)
            return 1;
    return 0;
}

/* ---- building interchanges ----------------------------------------------- */

#define ISA_P                                                                                      \
    "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *250301*1200*^*00501*"   \
    "000000101*0*P*:~"

/* One claim's 2000B..2400 segments (subscriber is the patient). */
#define SUBSCRIBER_CLAIM(hl, id)                                                                   \
    "HL*" hl "*1*22*0~SBR*P*18*GRP01******CI~NM1*IL*1*DOE*JANE****MI*MEMBER01~"                    \
    "N3*1 MAIN ST~N4*BIRMINGHAM*AL*35203~DMG*D8*19800115*F~"                                       \
    "NM1*PR*2*ACME HEALTH*****PI*PAYER01~"                                                         \
    "CLM*" id "*150.50***11:B:1*Y*A*Y*Y~"                                                          \
    "HI*ABK:E119*ABF:I10~"                                                                         \
    "LX*1~SV1*HC:99213:25*100.50*UN*1***1:2~DTP*472*D8*20250215~"                                  \
    "LX*2~SV1*HC:36415*50*UN*1***1~DTP*472*RD8*20250215-20250216~"

#define PROVIDER                                                                                   \
    "BHT*0019*00*REF01*20250301*1200*CH~NM1*41*2*SUBMITTER*****46*S01~PER*IC*ANN*TE*5555551212~"   \
    "NM1*40*2*RECEIVER*****46*R01~HL*1**20*1~PRV*BI*PXC*207Q00000X~"                               \
    "NM1*85*2*CLINIC*****XX*1558598797~N3*9 ELM ST~N4*BIRMINGHAM*AL*352031234~REF*EI*123456789~"

static int count_segs(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '~';
    return n;
}

/* ST + body + SE with the right count, in one group and interchange. */
static char *mk(const char *body)
{
    static char buf[65536];
    char st[64], se[64];
    snprintf(st, sizeof st, "ST*837*0001*005010X222A1~");
    snprintf(se, sizeof se, "SE*%d*0001~", count_segs(body) + 2);
    snprintf(buf, sizeof buf,
             ISA_P "GS*HC*SENDER*RECEIVER*20250301*1200*7*X*005010X222A1~%s%s%s"
                   "GE*1*7~IEA*1*000000101~",
             st, body, se);
    return buf;
}

/* ---- claim fields -------------------------------------------------------- */

Test(walk, valid_837p_fields)
{
    static rec r;
    cr_assert_eq(walk_str(mk(PROVIDER SUBSCRIBER_CLAIM("2", "CLAIM-1")), &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(r.verdicts[0], 'A', "errors: %d first code %d seg %s", r.nerrs,
                 r.nerrs ? r.errs[0].code : 0, r.nerrs ? r.errs[0].seg_id : "");
    cr_assert_eq(r.gverdict[0], 'A');
    cr_assert_eq(r.iverdict[0], 'A');
    const clm_claim *c = &r.claims[0];
    cr_assert_eq(c->type, CLM_TYPE_837P);
    cr_assert_str_eq(c->claim_id, "CLAIM-1");
    cr_assert_eq(c->charge, 15050);
    cr_assert_str_eq(c->pos, "11");
    cr_assert_eq(c->freq, '1');
    cr_assert_str_eq(c->bill_npi, "1558598797");
    cr_assert_str_eq(c->bill_tin, "123456789");
    cr_assert_str_eq(c->bill_zip, "352031234");
    cr_assert_str_eq(c->bill_taxonomy, "207Q00000X");
    cr_assert_str_eq(c->member_id, "MEMBER01");
    cr_assert_eq(c->sub_dob, 19800115);
    cr_assert_eq(c->sub_sex, 'F');
    cr_assert_str_eq(c->payer_id, "PAYER01");
    cr_assert_str_eq(c->isa13, "000000101");
    cr_assert_str_eq(c->gs06, "7");
    cr_assert_str_eq(c->st02, "0001");
    cr_assert_eq(c->bht_date, 20250301);
    cr_assert_eq(c->ndx, 2);
    cr_assert_str_eq(c->dx[0].code, "E119");
    cr_assert_str_eq(c->dx[0].qual, "ABK");
    cr_assert_str_eq(c->dx[1].code, "I10");
    cr_assert_eq(c->nlines, 2);
    cr_assert_str_eq(c->lines[0].code, "99213");
    cr_assert_eq(c->lines[0].nmods, 1);
    cr_assert_str_eq(c->lines[0].mods[0], "25");
    cr_assert_eq(c->lines[0].charge, 10050);
    cr_assert_eq(c->lines[0].units_milli, 1000);
    cr_assert_eq(c->lines[0].nptrs, 2);
    cr_assert_eq(c->lines[0].ptrs[1], 2);
    cr_assert_eq(c->lines[0].from, 20250215);
    cr_assert_eq(c->lines[1].from, 20250215);
    cr_assert_eq(c->lines[1].to, 20250216);
    cr_assert_eq(c->lines[1].charge, 5000);
    cr_assert_eq(c->nissues, 0);
    cr_assert(c->file_off > 0);
}

Test(walk, every_chunking_gives_the_same_claims)
{
    const char *t = mk(PROVIDER SUBSCRIBER_CLAIM("2", "C1") SUBSCRIBER_CLAIM("3", "C2"));
    static rec whole, part;
    cr_assert_eq(walk(t, strlen(t), 0, &whole), 0);
    cr_assert_eq(whole.nclaims, 2);
    for (size_t chunk = 1; chunk <= 130; chunk++) {
        cr_assert_eq(walk(t, strlen(t), chunk, &part), 0);
        cr_assert_eq(part.nclaims, 2, "chunk %zu", chunk);
        cr_assert_eq(part.verdicts[0], whole.verdicts[0], "chunk %zu", chunk);
        cr_assert_eq(part.claims[1].file_off, whole.claims[1].file_off);
        cr_assert_eq(part.claims[1].lines[1].to, whole.claims[1].lines[1].to);
    }
}

Test(walk, patient_loop_and_cob_loops)
{
    const char *body = PROVIDER
        "HL*2*1*22*1~SBR*P*01*GRP******CI~NM1*IL*1*DOE*JOHN****MI*SUB01~"
        "NM1*PR*2*ACME*****PI*PAYER01~"
        "HL*3*2*23*0~PAT*19~NM1*QC*1*DOE*KID~N3*1 MAIN~N4*TOWN*AL*35203~DMG*D8*20150601*M~"
        "CLM*K1*80***11:B:1*Y*A*Y*Y~HI*ABK:J069~"
        "SBR*S*01*******CI~OI***Y***Y~NM1*IL*1*DOE*JANE****MI*OTHER01~NM1*PR*2*OTHER*****PI*P2~"
        "SBR*T*01*******CI~OI***Y***Y~NM1*IL*1*DOE*JIM****MI*OTHER02~NM1*PR*2*THIRD*****PI*P3~"
        "LX*1~SV1*HC:99213*80*UN*1***1~DTP*472*D8*20250110~";
    static rec r;
    cr_assert_eq(walk_str(mk(body), &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(r.verdicts[0], 'A', "code %d seg %s loop %s", r.nerrs ? r.errs[0].code : 0,
                 r.nerrs ? r.errs[0].seg_id : "", r.nerrs ? r.errs[0].loop_id : "");
    const clm_claim *c = &r.claims[0];
    /* The SBRs of 2320 are other payers, not new subscribers. */
    cr_assert_str_eq(c->member_id, "SUB01");
    cr_assert_eq(c->sbr_resp, 'P');
    cr_assert(c->has_patient);
    cr_assert_str_eq(c->pat_rel, "19");
    cr_assert_eq(c->pat_dob, 20150601);
    cr_assert_eq(c->pat_sex, 'M');
    cr_assert_eq(c->nlines, 1);
}

Test(walk, all_diagnoses_lower_case_qualifiers_and_dots)
{
    const char *body = PROVIDER "HL*2*1*22*0~SBR*P*18*******CI~NM1*IL*1*A*B****MI*M1~"
                                "NM1*PR*2*P*****PI*P1~CLM*D1*10***11:B:1~"
                                "HI*abk:E11.9*abf:I10*ABF:M545*ABF:Z0000*ABF:R51*ABF:R05*ABF:J069*"
                                "ABF:K219*ABF:N390*ABF:R109*ABF:L089*ABF:B349~"
                                "LX*1~SV1*hc:99212*10*UN*1***1~DTP*472*D8*20250110~";
    static rec r;
    cr_assert_eq(walk_str(mk(body), &r), 0);
    cr_assert_eq(r.verdicts[0], 'A');
    const clm_claim *c = &r.claims[0];
    cr_assert_eq(c->ndx, 12);
    cr_assert_str_eq(c->dx[0].code, "E11.9"); /* a dot is the edit engine's business */
    cr_assert_str_eq(c->dx[0].qual, "ABK");
    cr_assert_str_eq(c->dx[11].code, "B349");
    cr_assert_str_eq(c->lines[0].qual, "HC");
}

Test(walk, institutional_claim)
{
    const char *t =
        ISA_P "GS*HC*S*R*20250301*1200*9*X*005010X223A2~ST*837*0009*005010X223A2~"
              "BHT*0019*00*R1*20250301*1200*CH~NM1*41*2*SUB*****46*S1~PER*IC*A*TE*5555551212~"
              "NM1*40*2*REC*****46*R1~HL*1**20*1~NM1*85*2*HOSP*****XX*1558598797~N3*1 A~"
              "N4*BHAM*AL*35203~REF*EI*123456789~HL*2*1*22*0~SBR*P*18*******MB~"
              "NM1*IL*1*D*J****MI*M1~NM1*PR*2*MCR*****PI*P1~"
              "CLM*I1*300***13:A:1**A*Y*Y~DTP*434*RD8*20250101-20250103~CL1*1*1*01~"
              "HI*ABK:E119:::::::Y~HI*ABF:I10:::::::N~NM1*71*1*DOC*A****XX*1558598797~"
              "LX*1~SV2*0450*HC:99284*200*UN*1~DTP*472*D8*20250101~"
              "LX*2~SV2*0300**100*UN*2~SE*26*0009~GE*1*9~IEA*1*000000101~";
    static rec r;
    cr_assert_eq(walk_str(t, &r), 0);
    cr_assert_eq(r.verdicts[0], 'A', "code %d seg %s pos %u", r.nerrs ? r.errs[0].code : 0,
                 r.nerrs ? r.errs[0].seg_id : "", r.nerrs ? r.errs[0].seg_pos : 0);
    const clm_claim *c = &r.claims[0];
    cr_assert_eq(c->type, CLM_TYPE_837I);
    cr_assert_str_eq(c->tob, "131");
    cr_assert_eq(c->stmt_from, 20250101);
    cr_assert_eq(c->stmt_to, 20250103);
    cr_assert_eq(c->dx[0].poa, 'Y');
    cr_assert_eq(c->dx[1].poa, 'N');
    cr_assert_str_eq(c->rendering_npi, "1558598797");
    cr_assert_eq(c->nlines, 2);
    cr_assert_str_eq(c->lines[0].rev, "0450");
    cr_assert_str_eq(c->lines[0].code, "99284");
    cr_assert_eq(c->lines[1].units_milli, 2000);
    cr_assert_eq(clm_line_dos(c, &c->lines[1]), 20250101);
}

/* ---- envelope errors: one test each --------------------------------------- */

static char *replace(const char *s, const char *from, const char *to)
{
    static char out[65536];
    const char *p = strstr(s, from);
    cr_assert(p, "fixture lacks %s", from);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return out;
}

#define ONE PROVIDER SUBSCRIBER_CLAIM("2", "C1")

Test(envelope, se_count_mismatch)
{
    char *t = strdup(mk(ONE));
    char *bad = replace(t, "SE*", "SE*9");
    static rec r;
    cr_assert_eq(walk_str(bad, &r), 0);
    cr_assert_eq(r.verdicts[0], 'R');
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_COUNT_MISMATCH, NULL));
    cr_assert_eq(r.nclaims, 1, "claims of a rejected transaction are still read");
    free(t);
}

Test(envelope, se_control_number_mismatch)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "*0001~GE", "*0002~GE"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_CTRL_MISMATCH, NULL));
    cr_assert_eq(r.verdicts[0], 'R');
    free(t);
}

Test(envelope, st02_repeated_in_group)
{
    char body[16384];
    char *one = strdup(mk(ONE));
    /* two identical transactions in one group */
    const char *st = strstr(one, "ST*837");
    const char *ge = strstr(one, "GE*");
    snprintf(body, sizeof body, "%.*s%.*s%.*sGE*2*7~IEA*1*000000101~", (int)(ge - one), one,
             (int)(ge - st), st, 0, "");
    static rec r;
    cr_assert_eq(walk_str(body, &r), 0);
    cr_assert_eq(r.ntxn, 2);
    cr_assert_eq(r.verdicts[0], 'A');
    cr_assert_eq(r.verdicts[1], 'R');
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_CTRL_NOT_UNIQUE, NULL));
    cr_assert_eq(r.gverdict[0], 'P');
    free(one);
}

Test(envelope, ge_count_mismatch)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "GE*1*7", "GE*3*7"), &r), 0);
    cr_assert(has_gerr(&r, X12_AK9_COUNT_MISMATCH));
    cr_assert_eq(r.verdicts[0], 'A', "the transaction itself is sound");
    cr_assert_eq(r.gverdict[0], 'E');
    free(t);
}

Test(envelope, ge_control_number_mismatch)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "GE*1*7", "GE*1*8"), &r), 0);
    cr_assert(has_gerr(&r, X12_AK9_CTRL_MISMATCH));
    free(t);
}

Test(envelope, iea_count_mismatch)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "IEA*1", "IEA*2"), &r), 0);
    cr_assert(has_ierr(&r, 21));
    cr_assert_eq(r.iverdict[0], 'E');
    cr_assert(r.ta1_due[0]);
    free(t);
}

Test(envelope, iea_control_number_mismatch)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "IEA*1*000000101", "IEA*1*000000102"), &r), 0);
    cr_assert(has_ierr(&r, 1));
    free(t);
}

Test(envelope, isa_field_width_rejects_interchange)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "*ZZ*SUBMITTER      *", "*ZZ*SUBMITTER  *"), &r), 0);
    cr_assert(has_ierr(&r, 6), "TA1 note 006: invalid sender id");
    cr_assert_eq(r.iverdict[0], 'R');
    cr_assert_eq(r.verdicts[0], 'R');
    cr_assert(r.ta1_due[0]);
    free(t);
}

Test(envelope, missing_trailers)
{
    char *t = strdup(mk(ONE));
    char *se = strstr(t, "SE*");
    *se = 0; /* the file ends before SE, GE and IEA */
    static rec r;
    cr_assert_eq(walk_str(t, &r), 0);
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_TRAILER_MISSING, NULL));
    cr_assert(has_gerr(&r, X12_AK9_TRAILER_MISSING));
    cr_assert(has_ierr(&r, 23));
    cr_assert_eq(r.nclaims, 1);
    free(t);
}

Test(envelope, functional_group_not_hc)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "GS*HC", "GS*HP"), &r), 0);
    cr_assert(has_gerr(&r, X12_AK9_NOT_SUPPORTED));
    cr_assert_eq(r.gverdict[0], 'R');
    cr_assert_eq(r.nclaims, 0);
    free(t);
}

Test(envelope, version_4010_is_refused_not_misread)
{
    char *t = strdup(mk(ONE));
    char *u = strdup(replace(t, "005010X222A1~ST", "004010X098A1~ST"));
    static rec r;
    cr_assert_eq(walk_str(replace(u, "ST*837*0001*005010X222A1", "ST*837*0001"), &r), 0);
    cr_assert(has_gerr(&r, X12_AK9_VERSION));
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_NOT_SUPPORTED, NULL));
    cr_assert_eq(r.verdicts[0], 'R');
    cr_assert_eq(r.nclaims, 0, "a 4010 claim is never read as 5010");
    free(t);
    free(u);
}

Test(envelope, other_transaction_set)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "ST*837", "ST*835"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_NOT_SUPPORTED, NULL));
    cr_assert_eq(r.nclaims, 0);
    free(t);
}

/* ---- loops and elements ----------------------------------------------------- */

Test(loops, hl_numbering_and_parent)
{
    static rec r;
    cr_assert_eq(walk_str(mk(PROVIDER SUBSCRIBER_CLAIM("3", "C1")), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_CODE, "HL"));
    char *t = strdup(mk(ONE));
    cr_assert_eq(walk_str(replace(t, "HL*2*1*22", "HL*2*5*22"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_CODE, "HL"));
    cr_assert_eq(r.errs[1].elem_pos, 2);
    free(t);
}

Test(loops, lx_sequence)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "LX*2", "LX*3"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_CODE, "LX"));
    free(t);
}

Test(loops, required_segment_missing)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "N3*9 ELM ST~", ""), &r), 0);
    cr_assert(has_err(&r, X12_ERR_SEG, X12_IK3_REQ_MISSING, "N3"));
    cr_assert_str_eq(r.errs[0].loop_id, "2010AA");
    free(t);
}

Test(loops, segment_out_of_order)
{
    char *t = strdup(mk(ONE));
    char *u = strdup(replace(t, "N3*9 ELM ST~", ""));
    static rec r;
    cr_assert_eq(walk_str(replace(u, "REF*EI*123456789~", "REF*EI*123456789~N3*9 ELM ST~"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_SEG, X12_IK3_SEQUENCE, "N3"));
    free(t);
    free(u);
}

Test(loops, loop_over_maximum)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "REF*EI*123456789~",
                                  "REF*EI*123456789~NM1*85*2*AGAIN*****XX*1558598797~N3*X~N4*Y*AL*"
                                  "35203~REF*EI*123456789~"),
                          &r),
                 0);
    cr_assert(has_err(&r, X12_ERR_SEG, X12_IK3_LOOP_MAX, "NM1"));
    free(t);
}

Test(loops, unrecognized_segment)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "N3*9 ELM ST", "Nd3*9 ELM ST"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_SEG, X12_IK3_UNRECOGNIZED, "Nd3"));
    cr_assert_eq(r.verdicts[0], 'R');
    free(t);
}

Test(loops, service_line_without_lx_is_read_and_reported)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "LX*2~", ""), &r), 0);
    cr_assert(has_err(&r, X12_ERR_SEG, X12_IK3_REQ_MISSING, "LX"));
    cr_assert_eq(r.claims[0].nlines, 2);
    free(t);
}

/* An SV1 after the line's LQ (2440) is out of order and does not start a
 * new line: a second one on the same line must not write past the model's
 * four modifiers and four pointers (a fuzz find: both paths did). */
Test(loops, service_segment_twice_on_one_line_keeps_the_model_bounds)
{
    char *t = strdup(mk(ONE));
    const char *twice = "LX*1~LQ*UT*1~SV1*HC:99213:25:59:76:77*100*UN*1***1:2:3:4~"
                        "LQ*UT*2~SV1*HC:99214:91:92:93:94*90*UN*2***4:3:2:1~DTP*472*D8*20250215~";
    static rec r;
    cr_assert_eq(
        walk_str(replace(t, "LX*1~SV1*HC:99213:25*100.50*UN*1***1:2~DTP*472*D8*20250215~", twice),
                 &r),
        0);
    cr_assert_eq(r.verdicts[0], 'R');
    cr_assert(has_err(&r, X12_ERR_SEG, X12_IK3_SEQUENCE, "SV1"));
    const clm_line *l = &r.claims[0].lines[0];
    cr_assert_eq(l->nmods, CLM_MAX_MODS);
    cr_assert_eq(l->nptrs, CLM_MAX_PTRS);
    cr_assert_str_eq(l->mods[0], "25");
    cr_assert_str_eq(l->mods[3], "77");
    int too_many = 0;
    for (unsigned i = 0; i < r.claims[0].nissues; i++)
        too_many += r.claims[0].issues[i].kind == CLM_ISSUE_TOO_MANY;
    cr_assert_eq(too_many, 8, "four modifiers and four pointers over the model's");
    free(t);
}

Test(elements, required_missing_too_long_bad_date_bad_number_bad_code)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "CLM*C1*150.50", "CLM**150.50"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_REQ_MISSING, "CLM"));
    cr_assert_eq(
        walk_str(replace(t, "CLM*C1*150.50", "CLM*ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ*150.50"),
                 &r),
        0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_TOO_LONG, "CLM"));
    cr_assert_eq(walk_str(replace(t, "D8*20250215", "D8*20250230"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_DATE, "DTP"));
    cr_assert_eq(walk_str(replace(t, "CLM*C1*150.50", "CLM*C1*15O.50"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_CHAR, "CLM"));
    cr_assert_eq(r.nclaims, 1, "a value that does not parse is a finding, not a crash");
    cr_assert_eq(r.claims[0].nissues, 1);
    cr_assert_eq(r.claims[0].issues[0].kind, CLM_ISSUE_BAD_AMOUNT);
    cr_assert_eq(walk_str(replace(t, "DMG*D8*19800115*F", "DMG*D8*19800115*X"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_CODE, "DMG"));
    cr_assert_eq(walk_str(replace(t, "NM1*PR*2", "NM1*ZZ*2"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_ELEM, X12_IK4_BAD_CODE, "NM1"));
    free(t);
}

/* The element checks decide the common case without the general routine:
 * values exactly at a length limit pass, one past it fails, and numbers are
 * measured without their sign and point. */
Test(elements, length_and_number_limits)
{
    char *t = strdup(mk(ONE));
    static rec r;
    static const struct {
        const char *from, *to;
        int code; /* 0: accepted */
    } cases[] = {
        {"CLM*C1*", "CLM*ABCDEFGHIJABCDEFGHIJABCDEFGHIJ12345678*", 0},
        {"CLM*C1*", "CLM*ABCDEFGHIJABCDEFGHIJABCDEFGHIJ123456789*", X12_IK4_TOO_LONG},
        {"*150.50*", "*-1234567890123456.78*", 0},
        {"*150.50*", "*-123456789012345678.9*", X12_IK4_TOO_LONG},
        {"*150.50*", "*.5*", 0},
        {"*150.50*", "*150.*", 0},
        {"*150.50*", "*-*", X12_IK4_BAD_CHAR},
        {"*150.50*", "*1.5.0*", X12_IK4_BAD_CHAR},
        {"*150.50*", "*1-50*", X12_IK4_BAD_CHAR},
        {"*150.50*", "*+150*", X12_IK4_BAD_CHAR},
        {"N4*BIRMINGHAM*AL*35203~DMG", "N4*BIRMINGHAM*AL*352~DMG", 0},
        {"N4*BIRMINGHAM*AL*35203~DMG", "N4*BIRMINGHAM*AL*35~DMG", X12_IK4_TOO_SHORT},
        {"N4*BIRMINGHAM*AL*35203~DMG", "N4*B*AL*35203~DMG", X12_IK4_TOO_SHORT},
        {"NM1*IL*1*DOE", "NM1*IL*12*DOE", X12_IK4_TOO_LONG},
        {"DTP*472*D8", "DTP*4720*D8", X12_IK4_TOO_LONG},
        /* code lists: matched case-insensitively, by length and bytes */
        {"DMG*D8*19800115*F", "DMG*d8*19800115*f", 0},
        {"DMG*D8*19800115*F", "DMG*D8*19800115*FF", X12_IK4_TOO_LONG},
        {"DTP*472*D8", "DTP*472*D9", X12_IK4_BAD_CODE},
        {"DTP*472*D8*20250215", "DTP*472*dt*20250215", 0},
        {"SBR*P*", "SBR*Q*", X12_IK4_BAD_CODE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(walk_str(replace(t, cases[i].from, cases[i].to), &r), 0);
        if (!cases[i].code) {
            cr_assert_eq(r.verdicts[0], 'A', "case %zu", i);
            continue;
        }
        cr_assert_eq(r.verdicts[0], 'R', "case %zu", i);
        int found = 0;
        for (int k = 0; k < r.nerrs; k++)
            found |= r.errs[k].level == X12_ERR_ELEM && r.errs[k].code == cases[i].code;
        cr_assert(found, "case %zu: IK4 code %d", i, cases[i].code);
    }
    free(t);
}

Test(elements, reversed_span_is_a_claim_issue_not_a_syntax_error)
{
    char *t = strdup(mk(ONE));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "RD8*20250215-20250216", "RD8*20250216-20250215"), &r), 0);
    cr_assert_eq(r.verdicts[0], 'A');
    cr_assert_eq(r.claims[0].nissues, 1);
    cr_assert_eq(r.claims[0].issues[0].kind, CLM_ISSUE_BAD_DATE);
    cr_assert_eq(r.claims[0].issues[0].line, 2);
    free(t);
}

/* ---- untidy files --------------------------------------------------------- */

Test(untidy, bom_whitespace_crlf_and_missing_last_terminator)
{
    char *t = strdup(mk(ONE));
    size_t n = strlen(t);
    char *u = malloc(n * 3 + 16);
    size_t k = 0;
    memcpy(u, "\xEF\xBB\xBF \r\n", 6);
    k = 6;
    for (size_t i = 0; i < n; i++) {
        u[k++] = t[i];
        if (t[i] == '~' && i + 1 < n) {
            u[k++] = '\r';
            u[k++] = '\n';
        }
    }
    k--; /* drop the last terminator */
    static rec r;
    cr_assert_eq(walk(u, k, 5, &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(r.verdicts[0], 'A');
    cr_assert_eq(r.iverdict[0], 'A');
    free(t);
    free(u);
}

Test(untidy, newline_as_terminator_and_other_delimiters)
{
    char *t = strdup(mk(ONE));
    for (char *p = t; *p; p++) {
        if (*p == '~')
            *p = '\n';
        else if (*p == '*')
            *p = '|';
        else if (*p == ':')
            *p = '>';
    }
    static rec r;
    cr_assert_eq(walk_str(t, &r), 0);
    cr_assert_eq(r.nclaims, 1);
    cr_assert_eq(r.verdicts[0], 'A');
    cr_assert_str_eq(r.claims[0].lines[0].mods[0], "25");
    free(t);
}

Test(untidy, several_interchanges_with_different_delimiters)
{
    char *a = strdup(mk(ONE));
    char *b = strdup(a);
    for (char *p = b; *p; p++)
        if (*p == '*')
            *p = '!';
    size_t n = strlen(a) + strlen(b) + 2;
    char *both = malloc(n);
    snprintf(both, n, "%s\n%s", a, b);
    static rec r;
    cr_assert_eq(walk_str(both, &r), 0);
    cr_assert_eq(r.nichg, 2);
    cr_assert_eq(r.nclaims, 2);
    cr_assert_eq(r.verdicts[1], 'A');
    free(a);
    free(b);
    free(both);
}

Test(untidy, not_x12)
{
    static rec r;
    cr_assert_eq(walk_str("", &r), -CLAIMD_EX12_NOT_X12);
    cr_assert_eq(walk_str("hello, world\n", &r), -CLAIMD_EX12_NOT_X12);
    cr_assert_eq(walk_str("GS*HC*A*B~ST*837*0001~", &r), -CLAIMD_EX12_NOT_X12);
    cr_assert_eq(walk_str("ISA", &r), -CLAIMD_EX12_NOT_X12);
    char *t = strdup(mk(ONE));
    size_t n = strlen(t);
    char *u = malloc(n + 32);
    snprintf(u, n + 32, "%sGARBAGE AFTER IEA", t);
    cr_assert_eq(walk_str(u, &r), -CLAIMD_EX12_NOT_X12);
    free(t);
    free(u);
}

Test(untidy, unusable_isa_delimiters)
{
    static rec r;
    cr_assert_eq(walk_str("ISAA00A          A00A", &r), -CLAIMD_EX12_BAD_ISA);
}

/* ---- value parsers -------------------------------------------------------- */

Test(values, cents)
{
    int64_t v;
    cr_assert_eq(clm_parse_cents("12.25", 5, &v), 0);
    cr_assert_eq(v, 1225);
    cr_assert_eq(clm_parse_cents("100", 3, &v), 0);
    cr_assert_eq(v, 10000);
    cr_assert_eq(clm_parse_cents(".5", 2, &v), 0);
    cr_assert_eq(v, 50);
    cr_assert_eq(clm_parse_cents("-3.125", 6, &v), 0);
    cr_assert_eq(v, -313, "half away from zero");
    cr_assert_eq(clm_parse_cents("1.004", 5, &v), 0);
    cr_assert_eq(v, 100);
    cr_assert_eq(clm_parse_cents("", 0, &v), -EINVAL);
    cr_assert_eq(clm_parse_cents("1.2.3", 5, &v), -EINVAL);
    cr_assert_eq(clm_parse_cents("1e5", 3, &v), -EINVAL);
    cr_assert_eq(clm_parse_cents("9999999999999999999999", 22, &v), -ERANGE);
}

Test(values, units_and_dates)
{
    uint32_t u, d;
    cr_assert_eq(clm_parse_milli("1.5", 3, &u), 0);
    cr_assert_eq(u, 1500);
    cr_assert_eq(clm_parse_milli("-1", 2, &u), -EINVAL);
    cr_assert_eq(clm_parse_date("20240229", 8, &d), 0);
    cr_assert_eq(clm_parse_date("20230229", 8, &d), -EINVAL);
    cr_assert_eq(clm_parse_date("20251301", 8, &d), -EINVAL);
    cr_assert_eq(clm_parse_date("2025011", 7, &d), -EINVAL);
}

/* clm_parse_date() reads the eight digits at once: every byte value at
 * every position, and a run of real dates, against a digit-by-digit reading. */
static int date_ref(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    uint32_t y = v / 10000, m = v / 100 % 100, d = v % 100;
    static const uint8_t mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1800 || m < 1 || m > 12 || d < 1)
        return -EINVAL;
    uint32_t maxd = m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : mdays[m - 1];
    if (d > maxd)
        return -EINVAL;
    *out = v;
    return 0;
}

Test(values, dates_every_byte_at_every_position)
{
    for (int pos = 0; pos < 8; pos++) {
        for (int b = 0; b < 256; b++) {
            char s[9] = "20250315";
            s[pos] = (char)b;
            uint32_t got = 0, want = 0;
            int rc = clm_parse_date(s, 8, &got), rc_ref = date_ref(s, &want);
            cr_assert_eq(rc, rc_ref, "byte 0x%02x at %d", b, pos);
            if (rc == 0)
                cr_assert_eq(got, want, "byte 0x%02x at %d", b, pos);
        }
    }
    for (uint32_t y = 1799; y <= 2401; y += 3) {
        for (uint32_t md = 0; md <= 1232; md++) {
            char s[16];
            snprintf(s, sizeof s, "%04u%04u", y, md);
            uint32_t got = 0, want = 0;
            int rc = clm_parse_date(s, 8, &got);
            cr_assert_eq(rc, date_ref(s, &want), "%s", s);
            if (rc == 0)
                cr_assert_eq(got, want, "%s", s);
        }
    }
}

/* The short unsigned values take a fast path in clm_parse_fixed(): its
 * answers at the edges (12 digits, the decimals the scale holds, the units
 * limit) must be the general path's. */
Test(values, fast_path_edges)
{
    int64_t v;
    uint32_t u;
    static const struct {
        const char *s;
        int rc;
        int64_t cents;
    } c[] = {{"123456789012", 0, 12345678901200},
             {"1234567890.12", 0, 123456789012},
             {"1234567890123", 0, 123456789012300},
             {"12345678901.2", 0, 1234567890120},
             {"150.", 0, 15000},
             {"0000000000.01", 0, 1},
             {".", -EINVAL, 0},
             {"1..", -EINVAL, 0},
             {"12.345", 0, 1235},
             {"+7", 0, 700},
             {"7-", -EINVAL, 0}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        v = -1;
        cr_assert_eq(clm_parse_cents(c[i].s, strlen(c[i].s), &v), c[i].rc, "%s", c[i].s);
        if (!c[i].rc)
            cr_assert_eq(v, c[i].cents, "%s", c[i].s);
    }
    cr_assert_eq(clm_parse_milli("4000000", 7, &u), 0);
    cr_assert_eq(u, 4000000000u);
    cr_assert_eq(clm_parse_milli("4000000.001", 11, &u), -ERANGE);
    cr_assert_eq(clm_parse_milli("4000001", 7, &u), -ERANGE);
    cr_assert_eq(clm_parse_milli("0.0005", 6, &u), 0);
    cr_assert_eq(u, 1, "rounded half away from zero");
    cr_assert_eq(clm_parse_milli("12345678901", 11, &u), -ERANGE);
}

Test(envelope, ik5_codes_survive_a_full_error_list)
{
    /* 60 lines with a bad charge: 120 IK3/IK4 records, past the cap. */
    static char body[32768];
    size_t k = (size_t)snprintf(body, sizeof body, "%s",
                                PROVIDER "HL*2*1*22*0~SBR*P*18*******CI~NM1*IL*1*A*B****MI*M1~"
                                         "NM1*PR*2*P*****PI*P1~CLM*D1*10***11:B:1~HI*ABK:E119~");
    for (int i = 1; i <= 60; i++)
        k += (size_t)snprintf(body + k, sizeof body - k,
                              "LX*%d~SV1*HC:99212*1O*UN*1***1~DTP*472*D8*20250110~", i);
    char *t = strdup(mk(body));
    static rec r;
    cr_assert_eq(walk_str(replace(t, "SE*", "SE*1"), &r), 0);
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_COUNT_MISMATCH, NULL));
    cr_assert(has_err(&r, X12_ERR_TXN, X12_IK5_SEG_ERRORS, NULL));
    cr_assert_eq(r.claims[0].nlines, 60);
    free(t);
}
