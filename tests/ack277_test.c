/* ack277: the 277CA writer, without files: one claim's segments, the HL
 * numbering and provider grouping, the envelope and its counts, take-back. */
#include "claimd/ack277.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <string.h>

static x12_isa test_isa(void)
{
    x12_isa isa;
    memset(&isa, 0, sizeof isa);
    strcpy(isa.sender_qual, "ZZ");
    strcpy(isa.sender, "SUBMITTER01    ");
    strcpy(isa.receiver_qual, "ZZ");
    strcpy(isa.receiver, "CLEARINGHOUSE  ");
    strcpy(isa.date, "250310");
    strcpy(isa.time, "1402");
    strcpy(isa.ctrl, "000000101");
    isa.usage = 'P';
    isa.delims = (x12_delims){.elem = '*', .rep = '^', .comp = ':', .seg = '~'};
    return isa;
}

static x12_gs test_gs(void)
{
    x12_gs gs;
    memset(&gs, 0, sizeof gs);
    strcpy(gs.func, "HC");
    strcpy(gs.sender, "SUBMITTER01");
    strcpy(gs.receiver, "CLEARINGHOUSE");
    strcpy(gs.ctrl, "101");
    strcpy(gs.version, "005010X222A1");
    return gs;
}

static clm_line g_lines[2];

static clm_claim test_claim(const char *id, const char *npi, int64_t charge)
{
    clm_claim c;
    memset(&c, 0, sizeof c);
    c.type = CLM_TYPE_837P;
    strcpy(c.claim_id, id);
    strcpy(c.bill_npi, npi);
    c.bill_entity = '2';
    strcpy(c.member_id, "MBR001");
    c.charge = charge;
    c.bht_date = 20250310;
    memset(g_lines, 0, sizeof g_lines);
    g_lines[0].number = 1;
    g_lines[0].from = g_lines[0].to = 20250303;
    g_lines[1].number = 2;
    g_lines[1].from = 20250304;
    g_lines[1].to = 20250305;
    c.lines = g_lines;
    c.nlines = 1;
    return c;
}

static ack277_fmt fmt_plain(void)
{
    return (ack277_fmt){.d = {.elem = '*', .rep = '^', .comp = ':', .seg = '~'}, .repl = '?'};
}

Test(ack277, accepted_claim_segments)
{
    ack277_fmt f = fmt_plain();
    clm_claim c = test_claim("CLM-1", "1234567893", 15500);
    cbuf b;
    cbuf_init(&b);
    uint32_t n = 0;
    cr_assert_eq(ack277_claim_render(&b, &f, &c, false, NULL, 0, &n), 0);
    cr_assert_str_eq(b.p, "NM1*QC*1******MI*MBR001~TRN*2*CLM-1~STC*A2:20*20250310*WQ*155~"
                          "DTP*472*D8*20250303~");
    cr_assert_eq(n, 4);
    cbuf_release(&b);
}

Test(ack277, rejected_claim_statuses_and_span)
{
    ack277_fmt f = fmt_plain();
    clm_claim c = test_claim("CLM*2~X", "1234567893", 12345);
    c.nlines = 2;
    ack277_status st[4] = {{"A7", "562"}, {"A8", "735"}, {"A6", "178"}, {"A7", "999"}};
    cbuf b;
    cbuf_init(&b);
    uint32_t n = 0;
    cr_assert_eq(ack277_claim_render(&b, &f, &c, true, st, 4, &n), 0);
    /* delimiters in the claim id are replaced; three statuses at most:
     * STC01, STC10, STC11; action U; a span of service dates */
    cr_assert_str_eq(b.p, "NM1*QC*1******MI*MBR001~TRN*2*CLM?2?X~"
                          "STC*A7:562*20250310*U*123.45******A8:735*A6:178~"
                          "DTP*472*RD8*20250303-20250305~");
    cr_assert_eq(n, 4);
    /* rejected without a status code of its own: A3:21 */
    cbuf_clear(&b);
    ack277_claim_render(&b, &f, &c, true, NULL, 0, &n);
    cr_assert(strstr(b.p, "STC*A3:21*20250310*U*123.45~"), "%s", b.p);
    cbuf_release(&b);
}

Test(ack277, institutional_bill_type_and_no_dates)
{
    ack277_fmt f = fmt_plain();
    f.newline = true;
    clm_claim c = test_claim("I-1", "1234567893", 100);
    c.type = CLM_TYPE_837I;
    strcpy(c.tob, "131");
    c.nlines = 0;
    cbuf b;
    cbuf_init(&b);
    uint32_t n = 0;
    ack277_claim_render(&b, &f, &c, false, NULL, 0, &n);
    cr_assert_str_eq(b.p, "NM1*QC*1******MI*MBR001~\nTRN*2*I-1~\nSTC*A2:20*20250310*WQ*1~\n"
                          "REF*BLT*131~\n");
    cr_assert_eq(n, 4);
    cbuf_release(&b);
}

Test(ack277, amounts)
{
    cbuf b;
    cbuf_init(&b);
    int64_t v[] = {0, 5, 50, 155, 15500, 15550, 15555, -5, -12345};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ack277_put_amount(&b, v[i]);
        cbuf_putc(&b, ' ');
    }
    cr_assert_str_eq(b.p, "0 0.05 0.5 1.55 155 155.5 155.55 -0.05 -123.45 ");
    cbuf_release(&b);
}

/* Counts the segments of text that start with id (segment terminator '~'). */
static int segs_with(const char *text, const char *id)
{
    int n = 0;
    size_t k = strlen(id);
    for (const char *s = text; s && *s;) {
        if (strncmp(s, id, k) == 0)
            n++;
        s = strchr(s, '~');
        s = s ? s + 1 : NULL;
    }
    return n;
}

/* Builds a whole 277CA: two claims of one provider, one of another, and a
 * transaction taken back. */
Test(ack277, envelope_hl_and_counts)
{
    ack277 *a;
    cr_assert_eq(ack277_create(NULL, &a), 0);
    x12_isa isa = test_isa();
    x12_gs gs = test_gs();
    ack277_input_isa(a, &isa);
    ack277_input_gs(a, &gs);
    cbuf body, pre;
    cbuf_init(&body);
    cbuf_init(&pre);
    const ack277_fmt *f = ack277_format(a);
    struct {
        const char *id, *npi;
        bool rej;
        int64_t charge;
    } claims[] = {{"A", "1234567893", false, 1000},
                  {"B", "1234567893", true, 2000},
                  {"C", "1987654328", false, 3050}};
    ack277_txn_begin(a);
    for (int i = 0; i < 3; i++) {
        clm_claim c = test_claim(claims[i].id, claims[i].npi, claims[i].charge);
        cbuf_clear(&pre);
        cr_assert_eq(ack277_claim_begin(a, &pre, &c, claims[i].rej), 0);
        cbuf_append(&body, pre.p, pre.len);
        uint32_t n = 0;
        ack277_status st = {"A7", "562"};
        ack277_claim_render(&body, f, &c, claims[i].rej, &st, 1, &n);
        ack277_add_segs(a, n);
    }
    /* a transaction whose claims are taken back leaves no trace */
    ack277_mark m;
    ack277_mark_get(a, &m);
    size_t body_len = body.len;
    ack277_txn_begin(a);
    clm_claim d = test_claim("D", "1234567893", 999);
    cbuf_clear(&pre);
    ack277_claim_begin(a, &pre, &d, false);
    ack277_add_segs(a, 4);
    ack277_mark_restore(a, &m);
    body.len = body_len;
    body.p[body.len] = 0;

    uint64_t acc, rej;
    ack277_counts(a, &acc, &rej);
    cr_assert_eq(acc, 2);
    cr_assert_eq(rej, 1);
    cbuf out;
    cbuf_init(&out);
    cr_assert_eq(ack277_head(a, &out), 0);
    cbuf_append(&out, body.p, body.len);
    cr_assert_eq(ack277_tail(a, &out), 0);
    const char *t = out.p;
    cr_assert(strncmp(t,
                      "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*SUBMITTER01    "
                      "*250310*1402*^*00501*000000101*0*P*:~",
                      106) == 0,
              "%s", t);
    cr_assert(strstr(t, "GS*HN*CLEARINGHOUSE*SUBMITTER01*20250310*1402*101*X*005010X214~"), "%s",
              t);
    cr_assert(strstr(t, "ST*277*0001*005010X214~BHT*0085*08*000000101*20250310*1402*TH~"));
    cr_assert(strstr(t, "HL*1**20*1~NM1*AY*2*CLEARINGHOUSE*****46*CLEARINGHOUSE~"), "%s", t);
    cr_assert(strstr(t, "HL*2*1*21*1~NM1*41*2*SUBMITTER01*****46*SUBMITTER01~"), "%s", t);
    cr_assert(strstr(t, "STC*A1:20*20250310*WQ*60.5~QTY*90*2~AMT*YU*40.5~QTY*AA*1~AMT*YY*20~"),
              "%s", t);
    cr_assert(strstr(t, "HL*3*2*19*1~NM1*85*2******XX*1234567893~HL*4*3*PT~"), "%s", t);
    cr_assert(strstr(t, "HL*5*3*PT~"), "%s", t);
    cr_assert(strstr(t, "HL*6*2*19*1~NM1*85*2******XX*1987654328~HL*7*6*PT~"), "%s", t);
    cr_assert_null(strstr(t, "TRN*2*D~"), "taken back");
    cr_assert_eq(segs_with(t, "HL*"), 7);
    /* SE01 counts ST .. SE */
    int from_st = 0;
    bool in = false;
    for (const char *s = t; *s;) {
        if (strncmp(s, "ST*", 3) == 0)
            in = true;
        if (in)
            from_st++;
        if (strncmp(s, "SE*", 3) == 0)
            break;
        s = strchr(s, '~') + 1;
    }
    char se[64];
    snprintf(se, sizeof se, "SE*%d*0001~GE*1*101~IEA*1*000000101~", from_st);
    cr_assert(strstr(t, se), "want %s in %s", se, t);
    cbuf_release(&out);
    cbuf_release(&body);
    cbuf_release(&pre);
    ack277_free(a);
}

Test(ack277, new_transaction_opens_a_provider_level_and_counter_mode)
{
    ack_opts o = {.use_counter = 1, .counter = 42};
    ack277 *a;
    cr_assert_eq(ack277_create(&o, &a), 0);
    x12_isa isa = test_isa();
    isa.delims = (x12_delims){.elem = '|', .rep = '{', .comp = '>', .seg = '\''};
    ack277_input_isa(a, &isa);
    cbuf b;
    cbuf_init(&b);
    clm_claim c = test_claim("A", "1234567893", 100);
    ack277_txn_begin(a);
    ack277_claim_begin(a, &b, &c, false);
    ack277_txn_begin(a);
    ack277_claim_begin(a, &b, &c, false);
    cr_assert_str_eq(b.p, "HL|3|2|19|1'NM1|85|2||||||XX|1234567893'HL|4|3|PT'"
                          "HL|5|2|19|1'NM1|85|2||||||XX|1234567893'HL|6|5|PT'");
    cbuf_clear(&b);
    ack277_head(a, &b);
    cr_assert(strstr(b.p, "|00501|000000042|0|P|>'"), "%s", b.p);
    cbuf_release(&b);
    ack277_free(a);
}

Test(ack277, empty_file_is_still_a_valid_envelope)
{
    ack277 *a;
    cr_assert_eq(ack277_create(NULL, &a), 0);
    x12_isa isa = test_isa();
    ack277_input_isa(a, &isa);
    cbuf b;
    cbuf_init(&b);
    ack277_head(a, &b);
    ack277_tail(a, &b);
    cr_assert(strstr(b.p, "HL*2*1*21*0~"), "%s", b.p);
    cr_assert_null(strstr(b.p, "QTY"));
    /* ST BHT HL NM1 TRN DTP DTP HL NM1 TRN STC SE */
    cr_assert(strstr(b.p, "SE*12*0001~"), "%s", b.p);
    cbuf_release(&b);
    ack277_free(a);
}
