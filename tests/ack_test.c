/* ack_: the 999 and TA1 writers, driven with synthetic walker events.
 *
 * The output is checked by a small independent reader below (split by the
 * delimiters of its own ISA, recount everything), not by comparing with the
 * builder's own bookkeeping. */
#include "claimd/ack.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an independent 999 reader ----------------------------------------- */

#define MAXSEG 512
#define MAXEL  24

typedef struct seg {
    int nel;
    char el[MAXEL][128];
} seg;

typedef struct doc {
    char elem, comp, rep, term;
    int nseg;
    seg s[MAXSEG];
} doc;

/* Splits an output that starts with an ISA into segments and elements. */
static doc *split(const char *text, size_t len)
{
    cr_assert(len >= 106, "output too short: %zu", len);
    cr_assert(strncmp(text, "ISA", 3) == 0);
    doc *d = calloc(1, sizeof *d);
    d->elem = text[3];
    d->rep = text[82];
    d->comp = text[104];
    d->term = text[105];
    size_t i = 0;
    while (i < len) {
        while (i < len && (text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i >= len)
            break;
        cr_assert(d->nseg < MAXSEG);
        seg *s = &d->s[d->nseg++];
        size_t k = 0;
        s->nel = 1;
        for (; i < len && text[i] != d->term; i++) {
            if (text[i] == d->elem) {
                cr_assert(s->nel < MAXEL);
                s->nel++;
                k = 0;
                continue;
            }
            cr_assert(k < 127);
            s->el[s->nel - 1][k++] = text[i];
        }
        cr_assert(i < len, "segment without terminator");
        i++;
    }
    return d;
}

static const char *el(const seg *s, int i)
{
    return i < s->nel ? s->el[i] : "";
}

static int is(const seg *s, const char *id)
{
    return strcmp(s->el[0], id) == 0;
}

typedef struct tally {
    int ichg, groups, sets, ak2, ik3, ik4, ik5_rejected;
} tally;

/* Checks every envelope count and control-number pair of a 999 output and
 * that each AK9 agrees with the AK2/IK5 of its set. */
static tally check_999(const doc *d)
{
    tally t = {0};
    int i = 0;
    while (i < d->nseg) {
        const seg *isa = &d->s[i++];
        cr_assert(is(isa, "ISA"), "expected ISA, got %s", isa->el[0]);
        cr_assert_eq(isa->nel, 17);
        cr_assert_str_eq(el(isa, 12), "00501");
        cr_assert_str_eq(el(isa, 14), "0");
        cr_assert_eq(strlen(el(isa, 13)), 9);
        cr_assert_eq(strlen(el(isa, 6)), 15);
        cr_assert_eq(strlen(el(isa, 8)), 15);
        t.ichg++;
        int ngroups = 0;
        while (i < d->nseg && is(&d->s[i], "GS")) {
            const seg *gs = &d->s[i++];
            cr_assert_str_eq(el(gs, 1), "FA");
            cr_assert_str_eq(el(gs, 8), "005010X231A1");
            cr_assert_eq(strlen(el(gs, 4)), 8);
            ngroups++;
            t.groups++;
            int nsets = 0;
            while (i < d->nseg && is(&d->s[i], "ST")) {
                const seg *st = &d->s[i];
                int first = i++;
                cr_assert_str_eq(el(st, 1), "999");
                cr_assert_str_eq(el(st, 3), "005010X231A1");
                char want[16];
                snprintf(want, sizeof want, "%04d", nsets + 1);
                cr_assert_str_eq(el(st, 2), want);
                int ak2 = 0, acc = 0;
                cr_assert(is(&d->s[i], "AK1"));
                for (; i < d->nseg && !is(&d->s[i], "SE"); i++) {
                    const seg *s = &d->s[i];
                    if (is(s, "AK2"))
                        ak2++;
                    else if (is(s, "IK3"))
                        t.ik3++;
                    else if (is(s, "IK4"))
                        t.ik4++;
                    else if (is(s, "IK5")) {
                        if (strcmp(el(s, 1), "R") != 0)
                            acc++;
                        else
                            t.ik5_rejected++;
                    } else if (is(s, "AK9")) {
                        cr_assert_eq(atoi(el(s, 3)), ak2, "AK903 %s vs %d AK2", el(s, 3), ak2);
                        cr_assert_eq(atoi(el(s, 4)), acc, "AK904 %s vs %d", el(s, 4), acc);
                    }
                }
                cr_assert(i < d->nseg, "set without SE");
                const seg *se = &d->s[i++];
                cr_assert_eq(atoi(el(se, 1)), i - first, "SE01 %s, counted %d", el(se, 1),
                             i - first);
                cr_assert_str_eq(el(se, 2), el(st, 2));
                t.ak2 += ak2;
                nsets++;
                t.sets++;
            }
            const seg *ge = &d->s[i++];
            cr_assert(is(ge, "GE"), "expected GE, got %s", ge->el[0]);
            cr_assert_eq(atoi(el(ge, 1)), nsets);
            cr_assert_str_eq(el(ge, 2), el(gs, 6));
        }
        const seg *iea = &d->s[i++];
        cr_assert(is(iea, "IEA"), "expected IEA, got %s", iea->el[0]);
        cr_assert_eq(atoi(el(iea, 1)), ngroups);
        cr_assert_str_eq(el(iea, 2), el(isa, 13));
    }
    return t;
}

/* ---- synthetic events --------------------------------------------------- */

static x12_isa mk_isa(const char *ctrl)
{
    x12_isa isa;
    memset(&isa, 0, sizeof isa);
    strcpy(isa.auth_qual, "00");
    strcpy(isa.sec_qual, "00");
    strcpy(isa.sender_qual, "ZZ");
    strcpy(isa.sender, "SUBMITTER01");
    strcpy(isa.receiver_qual, "30");
    strcpy(isa.receiver, "CLEARHOUSE");
    strcpy(isa.date, "240315");
    strcpy(isa.time, "0930");
    strcpy(isa.version, "00501");
    strcpy(isa.ctrl, ctrl);
    isa.ack_req = '1';
    isa.usage = 'P';
    isa.delims = (x12_delims){.elem = '*', .rep = '^', .comp = ':', .seg = '~'};
    return isa;
}

static x12_gs mk_gs(const char *ctrl)
{
    x12_gs gs;
    memset(&gs, 0, sizeof gs);
    strcpy(gs.func, "HC");
    strcpy(gs.sender, "SUBGS");
    strcpy(gs.receiver, "RCVGS");
    strcpy(gs.date, "20240315");
    strcpy(gs.time, "0930");
    strcpy(gs.ctrl, ctrl);
    strcpy(gs.agency, "X");
    strcpy(gs.version, "005010X222A1");
    return gs;
}

static x12_st mk_st(const char *ctrl)
{
    x12_st st;
    memset(&st, 0, sizeof st);
    strcpy(st.id, "837");
    strcpy(st.ctrl, ctrl);
    strcpy(st.impl, "005010X222A1");
    st.type = CLM_TYPE_837P;
    return st;
}

static x12_err mk_err(uint8_t level, const char *seg_id, uint32_t pos, const char *loop,
                      uint16_t code)
{
    x12_err e;
    memset(&e, 0, sizeof e);
    e.level = level;
    strcpy(e.seg_id, seg_id);
    e.seg_pos = pos;
    strcpy(e.loop_id, loop);
    e.code = code;
    return e;
}

/* Sends one transaction's events. */
static void txn(const x12_sink *s, const char *ctrl, char verdict, const x12_err *errs,
                uint32_t nerrs)
{
    x12_st st = mk_st(ctrl);
    cr_assert_eq(s->txn_begin(s->ctx, &st), 0);
    x12_txn_result r = {.st = &st, .verdict = verdict, .errs = errs, .nerrs = nerrs, .nsegs = 30};
    cr_assert_eq(s->txn_end(s->ctx, &r), 0);
}

static void group_end(const x12_sink *s, const x12_gs *gs, char verdict, uint32_t ntxn,
                      uint32_t nacc, const x12_err *errs, uint32_t nerrs)
{
    x12_group_result g = {.gs = gs,
                          .verdict = verdict,
                          .ntxn = ntxn,
                          .nrecv = ntxn,
                          .naccepted = nacc,
                          .errs = errs,
                          .nerrs = nerrs};
    cr_assert_eq(s->group_end(s->ctx, &g), 0);
}

static void ichg_end(const x12_sink *s, const x12_isa *isa, char verdict, bool ta1,
                     const x12_err *errs, uint32_t nerrs, uint32_t ngroups)
{
    x12_ichg_result r = {.isa = isa,
                         .verdict = verdict,
                         .ta1_due = ta1,
                         .errs = errs,
                         .nerrs = nerrs,
                         .ngroups = ngroups};
    cr_assert_eq(s->ichg_end(s->ctx, &r), 0);
}

/* One interchange, one group, two clean transactions. */
static void simple_file(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    x12_gs gs = mk_gs("17");
    cr_assert_eq(s->ichg_begin(s->ctx, &isa), 0);
    cr_assert_eq(s->group_begin(s->ctx, &gs), 0);
    txn(s, "0001", 'A', NULL, 0);
    txn(s, "0002", 'A', NULL, 0);
    group_end(s, &gs, 'A', 2, 2, NULL, 0);
    ichg_end(s, &isa, 'A', false, NULL, 0, 1);
}

static char *run(const ack_opts *o, void (*events)(const x12_sink *, const char *),
                 const char *isa13, size_t *len, char **ta1)
{
    ack_999 *a;
    cr_assert_eq(ack_999_create(o, &a), 0);
    x12_sink s;
    ack_999_sink(a, &s);
    cr_assert_null(s.claim);
    events(&s, isa13);
    cr_assert_eq(ack_999_error(a), 0);
    const char *t = ack_999_text(a, len);
    char *copy = malloc(*len + 1);
    memcpy(copy, t, *len);
    copy[*len] = 0;
    if (ta1) {
        size_t n;
        const char *p = ack_ta1_text(a, &n);
        *ta1 = NULL;
        if (p) {
            *ta1 = malloc(n + 1);
            memcpy(*ta1, p, n);
            (*ta1)[n] = 0;
        }
    }
    ack_999_free(a);
    return copy;
}

/* ---- tests -------------------------------------------------------------- */

Test(ack, accepted_file_exact_text)
{
    size_t len;
    char *ta1;
    char *t = run(NULL, simple_file, "000000905", &len, &ta1);
    const char *want = "ISA*00*          *00*          *30*CLEARHOUSE     *ZZ*SUBMITTER01    "
                       "*240315*0930*^*00501*000000905*0*P*:~"
                       "GS*FA*RCVGS*SUBGS*20240315*0930*905*X*005010X231A1~"
                       "ST*999*0001*005010X231A1~"
                       "AK1*HC*17*005010X222A1~"
                       "AK2*837*0001*005010X222A1~IK5*A~"
                       "AK2*837*0002*005010X222A1~IK5*A~"
                       "AK9*A*2*2*2~SE*8*0001~GE*1*905~IEA*1*000000905~";
    cr_assert_str_eq(t, want);
    cr_assert_null(ta1, "no TA1 is owed");
    doc *d = split(t, len);
    tally tl = check_999(d);
    cr_assert_eq(tl.ichg, 1);
    cr_assert_eq(tl.sets, 1);
    cr_assert_eq(tl.ak2, 2);
    free(d);
    free(t);
}

Test(ack, isa_is_fixed_width)
{
    size_t len;
    char *t = run(NULL, simple_file, "000000001", &len, NULL);
    /* the ISA is 106 bytes: the segment terminator sits at offset 105 */
    cr_assert_eq(t[105], '~');
    cr_assert_eq(strchr(t, '~') - t, 105);
    free(t);
}

static void errors_file(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    x12_gs gs = mk_gs("42");
    s->ichg_begin(s->ctx, &isa);
    s->group_begin(s->ctx, &gs);
    /* txn 1: a segment error with two element errors, one with a component */
    x12_err e1[4];
    e1[0] = mk_err(X12_ERR_SEG, "NM1", 17, "2010BA", X12_IK3_HAS_ELEM_ERRS);
    e1[1] = mk_err(X12_ERR_ELEM, "NM1", 17, "2010BA", X12_IK4_TOO_LONG);
    e1[1].elem_pos = 9;
    e1[1].elem_ref = 67;
    strcpy(e1[1].bad, "ABC123");
    e1[2] = mk_err(X12_ERR_ELEM, "NM1", 17, "2010BA", X12_IK4_REQ_MISSING);
    e1[2].elem_pos = 3;
    e1[2].elem_ref = 1035;
    /* an element error whose IK3 the walker did not send */
    e1[3] = mk_err(X12_ERR_ELEM, "SV1", 40, "2400", X12_IK4_BAD_CODE);
    e1[3].elem_pos = 1;
    e1[3].comp_pos = 2;
    e1[3].rep_pos = 0;
    e1[3].elem_ref = 1339;
    strcpy(e1[3].bad, "ZZ");
    txn(s, "0001", 'R', e1, 4);
    /* txn 2: SE01 wrong: a transaction-level code only */
    x12_err e2 = mk_err(X12_ERR_TXN, "SE", 30, "", X12_IK5_COUNT_MISMATCH);
    txn(s, "0002", 'R', &e2, 1);
    /* txn 3: clean */
    txn(s, "0003", 'A', NULL, 0);
    x12_err g = mk_err(X12_ERR_GROUP, "GE", 0, "", X12_AK9_COUNT_MISMATCH);
    group_end(s, &gs, 'P', 3, 1, &g, 1);
    ichg_end(s, &isa, 'A', false, NULL, 0, 1);
}

Test(ack, segment_element_and_transaction_errors)
{
    size_t len;
    char *t = run(NULL, errors_file, "000000077", &len, NULL);
    doc *d = split(t, len);
    tally tl = check_999(d);
    cr_assert_eq(tl.ak2, 3);
    cr_assert_eq(tl.ik3, 2);
    cr_assert_eq(tl.ik4, 3);
    cr_assert_eq(tl.ik5_rejected, 2);
    /* the exact error segments, in order */
    const char *want[] = {
        "AK1*HC*42*005010X222A1",
        "AK2*837*0001*005010X222A1",
        "IK3*NM1*17*2010BA*8",
        "IK4*9*67*5*ABC123",
        "IK4*3*1035*1",
        "IK3*SV1*40*2400*8",
        "IK4*1:2*1339*7*ZZ",
        "IK5*R*5",
        "AK2*837*0002*005010X222A1",
        "IK5*R*4",
        "AK2*837*0003*005010X222A1",
        "IK5*A",
        "AK9*P*3*3*1*5",
    };
    char *p = strstr(t, "AK1*");
    cr_assert_not_null(p);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t n = strlen(want[i]);
        cr_assert(strncmp(p, want[i], n) == 0 && p[n] == '~', "segment %zu: want %s, got %.40s", i,
                  want[i], p);
        p += n + 1;
    }
    free(d);
    free(t);
}

static void repetition_file(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    x12_gs gs = mk_gs("5");
    s->ichg_begin(s->ctx, &isa);
    s->group_begin(s->ctx, &gs);
    x12_err e[2];
    e[0] = mk_err(X12_ERR_SEG, "HI", 25, "2300", X12_IK3_HAS_ELEM_ERRS);
    e[1] = mk_err(X12_ERR_ELEM, "HI", 25, "2300", X12_IK4_BAD_CODE);
    e[1].elem_pos = 1;
    e[1].comp_pos = 0;
    e[1].rep_pos = 3;
    /* element reference unknown: IK402 stays empty */
    txn(s, "0001", 'E', e, 2);
    group_end(s, &gs, 'E', 1, 1, NULL, 0);
    ichg_end(s, &isa, 'A', false, NULL, 0, 1);
}

Test(ack, repetition_position_and_unknown_reference)
{
    size_t len;
    char *t = run(NULL, repetition_file, "000000002", &len, NULL);
    cr_assert_not_null(strstr(t, "~IK3*HI*25*2300*8~IK4*1::3**7~IK5*E*5~AK9*E*1*1*1~"), "%s", t);
    doc *d = split(t, len);
    check_999(d);
    free(d);
    free(t);
}

static void bad_value_file(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    /* the input used other delimiters, so its data may hold ours */
    isa.delims = (x12_delims){.elem = '|', .rep = '{', .comp = '>', .seg = '\''};
    x12_gs gs = mk_gs("9");
    s->ichg_begin(s->ctx, &isa);
    s->group_begin(s->ctx, &gs);
    x12_err e = mk_err(X12_ERR_ELEM, "REF", 12, "2300", X12_IK4_BAD_CHAR);
    e.elem_pos = 2;
    e.elem_ref = 127;
    strcpy(e.bad, "A*B:C^D~E|F>G{H'I\r\nJ");
    txn(s, "0001", 'R', &e, 1);
    group_end(s, &gs, 'R', 1, 0, NULL, 0);
    ichg_end(s, &isa, 'A', false, NULL, 0, 1);
}

Test(ack, delimiters_in_bad_value_are_replaced)
{
    /* output delimiters forced to the usual ones, input data holds them */
    ack_opts o = {.elem = '*', .comp = ':', .rep = '^', .seg = '~'};
    size_t len;
    char *t = run(&o, bad_value_file, "000000003", &len, NULL);
    doc *d = split(t, len);
    check_999(d);
    int found = 0;
    for (int i = 0; i < d->nseg; i++) {
        if (is(&d->s[i], "IK4")) {
            found = 1;
            cr_assert_eq(d->s[i].nel, 5, "IK4 has %d elements", d->s[i].nel);
            const char *bad = el(&d->s[i], 4);
            cr_assert_eq(strlen(bad), strlen("A*B:C^D~E|F>G{H'I\r\nJ"));
            cr_assert_null(strpbrk(bad, "*:^~\r\n"), "delimiter left in %s", bad);
            cr_assert_eq(bad[0], 'A');
            cr_assert_eq(bad[9], '|', "not a delimiter of the output: kept");
            cr_assert_eq(bad[10], 'F');
        }
    }
    cr_assert(found);
    free(d);
    free(t);
}

Test(ack, input_delimiters_are_kept_by_default)
{
    size_t len;
    char *t = run(NULL, bad_value_file, "000000003", &len, NULL);
    cr_assert_eq(t[3], '|');
    cr_assert_eq(t[82], '{');
    cr_assert_eq(t[104], '>');
    cr_assert_eq(t[105], '\'');
    doc *d = split(t, len);
    check_999(d);
    for (int i = 0; i < d->nseg; i++)
        if (is(&d->s[i], "IK4"))
            cr_assert_null(strpbrk(el(&d->s[i], 4), "|>{'\r\n"));
    free(d);
    free(t);
}

Test(ack, determinism)
{
    size_t l1, l2;
    char *a = run(NULL, errors_file, "000123456", &l1, NULL);
    char *b = run(NULL, errors_file, "000123456", &l2, NULL);
    cr_assert_eq(l1, l2);
    cr_assert(memcmp(a, b, l1) == 0);
    /* control numbers come from the input interchange */
    doc *d = split(a, l1);
    cr_assert_str_eq(el(&d->s[0], 13), "000123456");
    cr_assert_str_eq(el(&d->s[1], 6), "123456");
    /* sender and receiver are swapped, qualifiers too */
    cr_assert_str_eq(el(&d->s[0], 5), "30");
    cr_assert_str_eq(el(&d->s[0], 6), "CLEARHOUSE     ");
    cr_assert_str_eq(el(&d->s[0], 7), "ZZ");
    cr_assert_str_eq(el(&d->s[0], 8), "SUBMITTER01    ");
    cr_assert_str_eq(el(&d->s[0], 9), "240315");
    cr_assert_str_eq(el(&d->s[1], 2), "RCVGS");
    cr_assert_str_eq(el(&d->s[1], 3), "SUBGS");
    free(d);
    free(a);
    free(b);
}

static void two_interchanges(const x12_sink *s, const char *isa13)
{
    (void)isa13;
    simple_file(s, "000000010");
    simple_file(s, "000000011");
}

Test(ack, counter_option)
{
    ack_opts o = {.use_counter = 1, .counter = 500};
    size_t len;
    char *t = run(&o, two_interchanges, NULL, &len, NULL);
    doc *d = split(t, len);
    tally tl = check_999(d);
    cr_assert_eq(tl.ichg, 2);
    cr_assert_str_eq(el(&d->s[0], 13), "000000500");
    cr_assert_str_eq(el(&d->s[1], 6), "500");
    int second = -1;
    for (int i = 1; i < d->nseg; i++)
        if (is(&d->s[i], "ISA"))
            second = i;
    cr_assert_gt(second, 0);
    cr_assert_str_eq(el(&d->s[second], 13), "000000501");
    cr_assert_str_eq(el(&d->s[second + 1], 6), "501");
    free(d);
    free(t);
}

Test(ack, several_interchanges)
{
    size_t len;
    char *t = run(NULL, two_interchanges, NULL, &len, NULL);
    doc *d = split(t, len);
    tally tl = check_999(d);
    cr_assert_eq(tl.ichg, 2);
    cr_assert_eq(tl.groups, 2);
    cr_assert_eq(tl.sets, 2);
    cr_assert_eq(tl.ak2, 4);
    cr_assert_str_eq(el(&d->s[0], 13), "000000010");
    free(d);
    free(t);
}

static void three_groups(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    s->ichg_begin(s->ctx, &isa);
    const char *ctrls[] = {"101", "102", "103"};
    for (int g = 0; g < 3; g++) {
        x12_gs gs = mk_gs(ctrls[g]);
        if (g == 2)
            strcpy(gs.version, "005010X223A2");
        s->group_begin(s->ctx, &gs);
        for (int k = 0; k <= g; k++) {
            char c[8];
            snprintf(c, sizeof c, "%04d", k + 1);
            txn(s, c, 'A', NULL, 0);
        }
        group_end(s, &gs, 'A', (uint32_t)g + 1, (uint32_t)g + 1, NULL, 0);
    }
    ichg_end(s, &isa, 'A', false, NULL, 0, 3);
}

Test(ack, several_groups_give_several_sets)
{
    size_t len;
    char *t = run(NULL, three_groups, "000000321", &len, NULL);
    doc *d = split(t, len);
    tally tl = check_999(d);
    cr_assert_eq(tl.ichg, 1);
    cr_assert_eq(tl.groups, 1, "one FA group per output interchange");
    cr_assert_eq(tl.sets, 3);
    cr_assert_eq(tl.ak2, 6);
    cr_assert_not_null(strstr(t, "~AK1*HC*101*005010X222A1~"));
    cr_assert_not_null(strstr(t, "~AK1*HC*103*005010X223A2~"));
    cr_assert_not_null(strstr(t, "~AK9*A*3*3*3~"));
    cr_assert_not_null(strstr(t, "~GE*3*321~"));
    free(d);
    free(t);
}

static void rejected_interchange(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    x12_gs gs = mk_gs("1");
    s->ichg_begin(s->ctx, &isa);
    s->group_begin(s->ctx, &gs);
    txn(s, "0001", 'A', NULL, 0);
    group_end(s, &gs, 'A', 1, 1, NULL, 0);
    x12_err e = mk_err(X12_ERR_ICHG, "IEA", 0, "", 1); /* control numbers differ */
    ichg_end(s, &isa, 'R', true, &e, 1, 1);
}

Test(ack, ta1_for_a_rejected_interchange)
{
    size_t len;
    char *ta1;
    char *t = run(NULL, rejected_interchange, "000004444", &len, &ta1);
    cr_assert_not_null(ta1);
    doc *d = split(ta1, strlen(ta1));
    cr_assert_eq(d->nseg, 3);
    cr_assert(is(&d->s[0], "ISA"));
    cr_assert_str_eq(el(&d->s[0], 12), "00501");
    cr_assert(is(&d->s[1], "TA1"));
    cr_assert_str_eq(el(&d->s[1], 1), "000004444");
    cr_assert_str_eq(el(&d->s[1], 2), "240315");
    cr_assert_str_eq(el(&d->s[1], 3), "0930");
    cr_assert_str_eq(el(&d->s[1], 4), "R");
    cr_assert_str_eq(el(&d->s[1], 5), "001");
    cr_assert(is(&d->s[2], "IEA"));
    cr_assert_str_eq(el(&d->s[2], 1), "0");
    cr_assert_str_eq(el(&d->s[2], 2), el(&d->s[0], 13));
    free(d);
    /* the groups that were read are still acknowledged */
    doc *d2 = split(t, len);
    check_999(d2);
    free(d2);
    free(ta1);
    free(t);
}

Test(ack, ta1_requested_and_clean)
{
    ack_opts o = {.use_counter = 1, .counter = 7};
    ack_999 *a;
    cr_assert_eq(ack_999_create(&o, &a), 0);
    x12_sink s;
    ack_999_sink(a, &s);
    x12_isa isa = mk_isa("000000099");
    s.ichg_begin(s.ctx, &isa);
    ichg_end(&s, &isa, 'A', true, NULL, 0, 0);
    size_t n;
    const char *ta1 = ack_ta1_text(a, &n);
    cr_assert_not_null(ta1);
    cr_assert_not_null(strstr(ta1, "~TA1*000000099*240315*0930*A*000~IEA*0*000000007~"), "%s", ta1);
    /* an interchange with no group owes no 999 */
    ack_999_text(a, &n);
    cr_assert_eq(n, 0);
    ack_999_free(a);
}

static void old_version(const x12_sink *s, const char *isa13)
{
    x12_isa isa = mk_isa(isa13);
    strcpy(isa.version, "00401");
    isa.delims.rep = 0; /* 4010: ISA11 is the standards identifier, not a separator */
    x12_gs gs = mk_gs("8");
    strcpy(gs.version, "004010X098A1");
    s->ichg_begin(s->ctx, &isa);
    s->group_begin(s->ctx, &gs);
    x12_st st = mk_st("0001");
    strcpy(st.impl, "004010X098A1");
    st.type = CLM_TYPE_NONE;
    s->txn_begin(s->ctx, &st);
    x12_err e = mk_err(X12_ERR_TXN, "ST", 1, "", X12_IK5_NOT_SUPPORTED);
    x12_txn_result r = {.st = &st, .verdict = 'R', .errs = &e, .nerrs = 1};
    s->txn_end(s->ctx, &r);
    x12_err g = mk_err(X12_ERR_GROUP, "GS", 0, "", X12_AK9_VERSION);
    group_end(s, &gs, 'R', 1, 0, &g, 1);
    ichg_end(s, &isa, 'A', false, NULL, 0, 1);
}

Test(ack, unsupported_version_is_rejected_in_a_5010_999)
{
    size_t len;
    char *t = run(NULL, old_version, "000000008", &len, NULL);
    cr_assert_eq(t[82], '^', "a 5010 999 needs a repetition separator");
    cr_assert_not_null(strstr(t, "~AK1*HC*8*004010X098A1~AK2*837*0001*004010X098A1~IK5*R*1~"
                                 "AK9*R*1*1*0*2~"));
    doc *d = split(t, len);
    check_999(d);
    free(d);
    free(t);
}

Test(ack, newline_option)
{
    ack_opts o = {.newline = 1};
    size_t len;
    char *t = run(&o, simple_file, "000000001", &len, NULL);
    cr_assert_eq(t[106], '\n');
    cr_assert_not_null(strstr(t, "~\nGS*FA*"));
    cr_assert_eq(t[len - 1], '\n');
    doc *d = split(t, len);
    check_999(d);
    free(d);
    free(t);
}

/* ---- tee ---------------------------------------------------------------- */

typedef struct rec {
    char log[64];
    int stop_at_claim;
} rec;

static int rec_ichg(void *ctx, const x12_isa *isa)
{
    (void)isa;
    strcat(((rec *)ctx)->log, "I");
    return 0;
}

static int rec_claim(void *ctx, const clm_claim *c)
{
    (void)c;
    rec *r = ctx;
    strcat(r->log, "C");
    return r->stop_at_claim;
}

Test(ack, tee_calls_both_in_order_and_stops)
{
    rec ra = {.stop_at_claim = 0}, rb = {.stop_at_claim = 0};
    x12_sink_pair pair = {0};
    pair.a = (x12_sink){.ctx = &ra, .ichg_begin = rec_ichg, .claim = rec_claim};
    pair.b = (x12_sink){.ctx = &rb, .claim = rec_claim}; /* b has no ichg_begin */
    x12_sink t;
    x12_sink_tee(&pair, &t);
    x12_isa isa = mk_isa("1");
    clm_claim c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(t.ichg_begin(t.ctx, &isa), 0);
    cr_assert_eq(t.claim(t.ctx, &c), 0);
    cr_assert_str_eq(ra.log, "IC");
    cr_assert_str_eq(rb.log, "C");
    ra.stop_at_claim = 9;
    cr_assert_eq(t.claim(t.ctx, &c), 9);
    cr_assert_str_eq(rb.log, "C", "b is not called once a stops");
    /* null callbacks on both sides are fine */
    x12_gs gs = mk_gs("1");
    cr_assert_eq(t.group_begin(t.ctx, &gs), 0);
}

Test(ack, builder_in_a_tee)
{
    ack_999 *a;
    cr_assert_eq(ack_999_create(NULL, &a), 0);
    rec rb = {0};
    x12_sink_pair pair = {0};
    ack_999_sink(a, &pair.a);
    pair.b = (x12_sink){.ctx = &rb, .ichg_begin = rec_ichg, .claim = rec_claim};
    x12_sink t;
    x12_sink_tee(&pair, &t);
    simple_file(&t, "000000555");
    size_t len;
    const char *txt = ack_999_text(a, &len);
    cr_assert_gt(len, 0);
    doc *d = split(txt, len);
    check_999(d);
    cr_assert_str_eq(rb.log, "I");
    free(d);
    ack_999_free(a);
}

Test(ack, malformed_input_control_number_still_deterministic)
{
    size_t l1, l2;
    char *a = run(NULL, simple_file, "12AB", &l1, NULL);
    char *b = run(NULL, simple_file, "12AB", &l2, NULL);
    cr_assert_eq(l1, l2);
    cr_assert(memcmp(a, b, l1) == 0);
    doc *d = split(a, l1);
    check_999(d);
    free(d);
    free(a);
    free(b);
}
