/* x12_loops: the loop structure of 005010X222A1 (837P) and 005010X223A2
 * (837I), and the claim fields read from each loop.
 *
 * Each loop has a rule list: its segments in their required order, with
 * minimum and maximum use. The walker keeps a stack of open loop instances
 * (at most four deep); a segment that opens a loop (HL, NM1 with a loop
 * qualifier, CLM, SBR in a claim, LX, LIN, SVD, LQ) closes the instances
 * above its level, checking what they required, then pushes its own.
 * Other segments belong to the innermost open loop; one that is not in its
 * rule list is unexpected (IK3 2), one out of order is IK3 7.
 */
#include "claimd/error.h"
#include "x12_walk.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct x12_rule {
    uint32_t id;
    uint8_t min_p, min_i; /* minimum use in 837P / 837I */
    uint16_t max;
} x12_rule;

typedef struct x12_loop_def {
    const char *name;
    const x12_rule *rules;
    uint8_t nrules;
    uint16_t max_repeat_p, max_repeat_i; /* per parent instance; 0 = unbounded */
    uint8_t req_children[2];             /* loops that must occur in each instance */
} x12_loop_def;

#define R3(a, b, c, mp, mi, mx)                                                                    \
    {                                                                                              \
        X12_ID3(a, b, c), mp, mi, mx                                                               \
    }
#define R2(a, b, mp, mi, mx)                                                                       \
    {                                                                                              \
        X12_ID2(a, b), mp, mi, mx                                                                  \
    }
#define RULES(arr) arr, (uint8_t)(sizeof(arr) / sizeof((arr)[0]))

static const x12_rule r_hdr[] = {R2('S', 'T', 1, 1, 1), R3('B', 'H', 'T', 1, 1, 1)};
static const x12_rule r_1000a[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '2', 0, 0, 1),
                                   R3('P', 'E', 'R', 1, 1, 2)};
static const x12_rule r_1000b[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '2', 0, 0, 1)};
static const x12_rule r_2000a[] = {R2('H', 'L', 1, 1, 1), R3('P', 'R', 'V', 0, 0, 1),
                                   R3('C', 'U', 'R', 0, 0, 1)};
static const x12_rule r_2010aa[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 1, 1, 1),
                                    R2('N', '4', 1, 1, 1), R3('R', 'E', 'F', 1, 1, 3),
                                    R3('P', 'E', 'R', 0, 0, 2)};
static const x12_rule r_addr[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 1, 1, 1),
                                  R2('N', '4', 1, 1, 1)};
static const x12_rule r_2010ac[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 0, 0, 1),
                                    R2('N', '4', 0, 0, 1), R3('R', 'E', 'F', 0, 0, 2)};
static const x12_rule r_2000b[] = {R2('H', 'L', 1, 1, 1), R3('S', 'B', 'R', 1, 1, 1),
                                   R3('P', 'A', 'T', 0, 0, 1)};
static const x12_rule r_2010ba[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 0, 0, 1),
                                    R2('N', '4', 0, 0, 1),      R3('D', 'M', 'G', 0, 0, 1),
                                    R3('R', 'E', 'F', 0, 0, 2), R3('P', 'E', 'R', 0, 0, 1)};
static const x12_rule r_2010bb[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 0, 0, 1),
                                    R2('N', '4', 0, 0, 1), R3('R', 'E', 'F', 0, 0, 5)};
static const x12_rule r_2000c[] = {R2('H', 'L', 1, 1, 1), R3('P', 'A', 'T', 1, 1, 1)};
static const x12_rule r_2010ca[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 1, 1, 1),
                                    R2('N', '4', 1, 1, 1),      R3('D', 'M', 'G', 1, 1, 1),
                                    R3('R', 'E', 'F', 0, 0, 2), R3('P', 'E', 'R', 0, 0, 1)};
static const x12_rule r_2300[] = {
    R3('C', 'L', 'M', 1, 1, 1),  R3('D', 'T', 'P', 0, 0, 30), R3('C', 'L', '1', 0, 0, 1),
    R3('P', 'W', 'K', 0, 0, 10), R3('C', 'N', '1', 0, 0, 1),  R3('A', 'M', 'T', 0, 0, 3),
    R3('R', 'E', 'F', 0, 0, 20), R2('K', '3', 0, 0, 10),      R3('N', 'T', 'E', 0, 0, 11),
    R3('C', 'R', '1', 0, 0, 1),  R3('C', 'R', '2', 0, 0, 1),  R3('C', 'R', 'C', 0, 0, 11),
    R2('H', 'I', 1, 1, 25),      R3('H', 'C', 'P', 0, 0, 1)};
static const x12_rule r_2310[] = {R3('N', 'M', '1', 1, 1, 1), R3('P', 'R', 'V', 0, 0, 1),
                                  R2('N', '3', 0, 0, 1),      R2('N', '4', 0, 0, 1),
                                  R3('R', 'E', 'F', 0, 0, 5), R3('P', 'E', 'R', 0, 0, 1)};
static const x12_rule r_2320[] = {R3('S', 'B', 'R', 1, 1, 1), R3('C', 'A', 'S', 0, 0, 5),
                                  R3('A', 'M', 'T', 0, 0, 3), R2('O', 'I', 1, 1, 1),
                                  R3('M', 'I', 'A', 0, 0, 1), R3('M', 'O', 'A', 0, 0, 1)};
static const x12_rule r_2330[] = {R3('N', 'M', '1', 1, 1, 1), R2('N', '3', 0, 0, 1),
                                  R2('N', '4', 0, 0, 1), R3('D', 'T', 'P', 0, 0, 1),
                                  R3('R', 'E', 'F', 0, 0, 4)};
static const x12_rule r_2400[] = {
    R2('L', 'X', 1, 1, 1),       R3('S', 'V', '1', 1, 0, 1),  R3('S', 'V', '2', 0, 1, 1),
    R3('S', 'V', '5', 0, 0, 1),  R3('P', 'W', 'K', 0, 0, 10), R3('C', 'R', '1', 0, 0, 1),
    R3('C', 'R', '3', 0, 0, 1),  R3('C', 'R', 'C', 0, 0, 3),  R3('D', 'T', 'P', 1, 0, 10),
    R3('Q', 'T', 'Y', 0, 0, 2),  R3('M', 'E', 'A', 0, 0, 5),  R3('C', 'N', '1', 0, 0, 1),
    R3('R', 'E', 'F', 0, 0, 20), R3('A', 'M', 'T', 0, 0, 3),  R2('K', '3', 0, 0, 10),
    R3('N', 'T', 'E', 0, 0, 2),  R3('P', 'S', '1', 0, 0, 1),  R3('H', 'C', 'P', 0, 0, 1)};
static const x12_rule r_2410[] = {R3('L', 'I', 'N', 1, 1, 1), R3('C', 'T', 'P', 1, 1, 1),
                                  R3('R', 'E', 'F', 0, 0, 1)};
static const x12_rule r_2420[] = {R3('N', 'M', '1', 1, 1, 1),  R3('P', 'R', 'V', 0, 0, 1),
                                  R2('N', '3', 0, 0, 1),       R2('N', '4', 0, 0, 1),
                                  R3('R', 'E', 'F', 0, 0, 20), R3('P', 'E', 'R', 0, 0, 1)};
static const x12_rule r_2430[] = {R3('S', 'V', 'D', 1, 1, 1), R3('C', 'A', 'S', 0, 0, 5),
                                  R3('D', 'T', 'P', 1, 1, 1), R3('A', 'M', 'T', 0, 0, 1)};
static const x12_rule r_2440[] = {R2('L', 'Q', 1, 1, 1), R3('F', 'R', 'M', 1, 1, 99)};

_Static_assert(L_COUNT <= 64, "x12_loop_inst.has_child holds a bit per loop");
_Static_assert(sizeof(x12_loop_inst) == 128, "x12_loop_inst is 128 bytes");

static const x12_loop_def x12_loops[L_COUNT] = {
    [L_NONE] = {"", NULL, 0, 0, 0, {0}},
    [L_HDR] = {"", RULES(r_hdr), 0, 0, {L_1000A, L_1000B}},
    [L_1000A] = {"1000A", RULES(r_1000a), 1, 1, {0}},
    [L_1000B] = {"1000B", RULES(r_1000b), 1, 1, {0}},
    [L_2000A] = {"2000A", RULES(r_2000a), 0, 0, {L_2010AA}},
    [L_2010AA] = {"2010AA", RULES(r_2010aa), 1, 1, {0}},
    [L_2010AB] = {"2010AB", RULES(r_addr), 1, 1, {0}},
    [L_2010AC] = {"2010AC", RULES(r_2010ac), 1, 1, {0}},
    [L_2000B] = {"2000B", RULES(r_2000b), 0, 0, {L_2010BA, L_2010BB}},
    [L_2010BA] = {"2010BA", RULES(r_2010ba), 1, 1, {0}},
    [L_2010BB] = {"2010BB", RULES(r_2010bb), 1, 1, {0}},
    [L_2000C] = {"2000C", RULES(r_2000c), 0, 0, {L_2010CA}},
    [L_2010CA] = {"2010CA", RULES(r_2010ca), 1, 1, {0}},
    [L_2300] = {"2300", RULES(r_2300), 100, 100, {L_2400}},
    [L_2310A] = {"2310A", RULES(r_2310), 1, 1, {0}},
    [L_2310B] = {"2310B", RULES(r_2310), 1, 1, {0}},
    [L_2310C] = {"2310C", RULES(r_2310), 1, 1, {0}},
    [L_2310D] = {"2310D", RULES(r_2310), 1, 1, {0}},
    [L_2310E] = {"2310E", RULES(r_2310), 1, 1, {0}},
    [L_2310F] = {"2310F", RULES(r_2310), 1, 1, {0}},
    [L_2320] = {"2320", RULES(r_2320), 10, 10, {L_2330A, L_2330B}},
    [L_2330A] = {"2330A", RULES(r_2330), 1, 1, {0}},
    [L_2330B] = {"2330B", RULES(r_2330), 1, 1, {0}},
    [L_2330C] = {"2330C", RULES(r_2330), 1, 1, {0}},
    [L_2330D] = {"2330D", RULES(r_2330), 1, 1, {0}},
    [L_2330E] = {"2330E", RULES(r_2330), 1, 1, {0}},
    [L_2330F] = {"2330F", RULES(r_2330), 1, 1, {0}},
    [L_2330G] = {"2330G", RULES(r_2330), 1, 1, {0}},
    [L_2400] = {"2400", RULES(r_2400), 50, 999, {0}},
    [L_2410] = {"2410", RULES(r_2410), 1, 1, {0}},
    [L_2420A] = {"2420A", RULES(r_2420), 1, 1, {0}},
    [L_2420B] = {"2420B", RULES(r_2420), 1, 1, {0}},
    [L_2420C] = {"2420C", RULES(r_2420), 1, 1, {0}},
    [L_2420D] = {"2420D", RULES(r_2420), 1, 1, {0}},
    [L_2420E] = {"2420E", RULES(r_2420), 1, 1, {0}},
    [L_2420F] = {"2420F", RULES(r_2420), 1, 1, {0}},
    [L_2420G] = {"2420G", RULES(r_2420), 1, 1, {0}},
    [L_2420H] = {"2420H", RULES(r_2420), 1, 1, {0}},
    [L_2430] = {"2430", RULES(r_2430), 15, 15, {0}},
    [L_2440] = {"2440", RULES(r_2440), 10, 10, {0}},
};

/* The first segment of each loop, for "required loop missing" errors. */
static const char *x12_loop_first_seg(int loop)
{
    const x12_loop_def *d = &x12_loops[loop];
    static const char *const ids[] = {"NM1", "HL", "CLM", "SBR", "LX", "LIN", "SVD", "LQ", "ST"};
    uint32_t id = d->nrules ? d->rules[0].id : 0;
    switch (id) {
    case X12_ID3('N', 'M', '1'):
        return ids[0];
    case X12_ID2('H', 'L'):
        return ids[1];
    case X12_ID3('C', 'L', 'M'):
        return ids[2];
    case X12_ID3('S', 'B', 'R'):
        return ids[3];
    case X12_ID2('L', 'X'):
        return ids[4];
    case X12_ID3('L', 'I', 'N'):
        return ids[5];
    case X12_ID3('S', 'V', 'D'):
        return ids[6];
    case X12_ID2('L', 'Q'):
        return ids[7];
    default:
        return ids[8];
    }
}

static void x12_id_str(uint32_t id, char out[4])
{
    if (id > 0xffff) {
        out[0] = (char)(id >> 16);
        out[1] = (char)(id >> 8);
        out[2] = (char)id;
        out[3] = 0;
    } else {
        out[0] = (char)(id >> 8);
        out[1] = (char)id;
        out[2] = 0;
    }
}

const char *x12_loops_name(const x12_walker *w)
{
    return w->depth > 0 ? x12_loops[w->stack[w->depth - 1].loop].name : "";
}

static void x12_nm1_init(x12_walker *w);

void x12_loops_init(x12_walker *w)
{
    static const struct {
        int sid;
        uint32_t id;
    } names[] = {{X12_S_ST, X12_ID2('S', 'T')},       {X12_S_SE, X12_ID2('S', 'E')},
                 {X12_S_GE, X12_ID2('G', 'E')},       {X12_S_BHT, X12_ID3('B', 'H', 'T')},
                 {X12_S_HL, X12_ID2('H', 'L')},       {X12_S_NM1, X12_ID3('N', 'M', '1')},
                 {X12_S_N4, X12_ID2('N', '4')},       {X12_S_N3, X12_ID2('N', '3')},
                 {X12_S_REF, X12_ID3('R', 'E', 'F')}, {X12_S_SBR, X12_ID3('S', 'B', 'R')},
                 {X12_S_PAT, X12_ID3('P', 'A', 'T')}, {X12_S_DMG, X12_ID3('D', 'M', 'G')},
                 {X12_S_CLM, X12_ID3('C', 'L', 'M')}, {X12_S_DTP, X12_ID3('D', 'T', 'P')},
                 {X12_S_HI, X12_ID2('H', 'I')},       {X12_S_LX, X12_ID2('L', 'X')},
                 {X12_S_SV1, X12_ID3('S', 'V', '1')}, {X12_S_SV2, X12_ID3('S', 'V', '2')},
                 {X12_S_PRV, X12_ID3('P', 'R', 'V')}, {X12_S_LIN, X12_ID3('L', 'I', 'N')},
                 {X12_S_SVD, X12_ID3('S', 'V', 'D')}, {X12_S_LQ, X12_ID2('L', 'Q')}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert(x12_sid(names[i].id) == names[i].sid);
    (void)names;
    /* The id -> sid table: open addressing, 48 ids in 256 slots. */
    memset(w->sid_slot, 0xff, sizeof w->sid_slot);
    for (int sid = 0; sid < X12_NSID; sid++) {
        uint32_t h = X12_SID_HASH(x12_sid_id(sid));
        while (w->sid_slot[h] != 0xff)
            h = (h + 1) & 255;
        w->sid_slot[h] = (uint8_t)sid;
        w->sid_ids[sid] = x12_sid_id(sid);
    }
    x12_check_init(w);
    x12_nm1_init(w);
    for (int l = 0; l < L_COUNT; l++) {
        const x12_loop_def *d = &x12_loops[l];
        for (uint8_t i = 0; i < d->nrules; i++) {
            int sid = x12_sid(d->rules[i].id);
            if (sid >= 0)
                w->rule[l][sid] = (uint16_t)((i + 1) | (d->rules[i].max < 255 ? d->rules[i].max : 255) << 8);
            if (d->rules[i].min_p)
                w->req_mask[0][l] |= 1u << i;
            if (d->rules[i].min_i)
                w->req_mask[1][l] |= 1u << i;
        }
        for (int i = 0; i < 2; i++)
            if (d->req_children[i])
                w->req_child[l] |= UINT64_C(1) << d->req_children[i];
        w->max_repeat[0][l] = d->max_repeat_p;
        w->max_repeat[1][l] = d->max_repeat_i;
    }
}

/* The required segments and child loops an instance lacks. */
static uint32_t x12_loop_missing(const x12_walker *w, const x12_loop_inst *in, uint64_t *children)
{
    *children = w->req_child[in->loop] & ~in->has_child;
    return w->req_mask[!x12_is_p(w)][in->loop] & ~in->seen;
}

/* Checks what the instance on top of the stack required, then pops it. */
static void x12_loop_pop(x12_walker *w, const x12_seg *s)
{
    x12_loop_inst *in = &w->stack[w->depth - 1];
    const x12_loop_def *d = &x12_loops[in->loop];
    uint64_t children;
    uint32_t missing = x12_loop_missing(w, in, &children);
    while (missing) {
        int i = __builtin_ctz(missing);
        missing &= missing - 1;
        char id[4];
        x12_id_str(d->rules[i].id, id);
        x12_seg_err(w, s, id, d->name, X12_IK3_REQ_MISSING);
    }
    while (children) { /* in loop order, as req_children lists them */
        int c = __builtin_ctzll(children);
        children &= children - 1;
        x12_seg_err(w, s, x12_loop_first_seg(c), x12_loops[c].name, X12_IK3_REQ_MISSING);
    }
    w->depth--;
}

/* Opens `loop` at stack level `level` (0-based), closing what is above. */
static void x12_loop_open(x12_walker *w, const x12_seg *s, int level, int loop)
{
    while (w->depth > level)
        x12_loop_pop(w, s);
    if (level > 0) {
        x12_loop_inst *parent = &w->stack[level - 1];
        const x12_loop_def *d = &x12_loops[loop];
        uint16_t max = w->max_repeat[!x12_is_p(w)][loop];
        uint64_t bit = UINT64_C(1) << loop;
        uint16_t n = parent->has_child & bit ? parent->child[loop] : 0;
        parent->has_child |= bit;
        if (n < UINT16_MAX)
            n++;
        parent->child[loop] = n;
        if (max && n > max)
            x12_seg_err(w, s, NULL, d->name, X12_IK3_LOOP_MAX);
    }
    /* No clearing of counts[] and child[]: seen and has_child say which
     * entries hold a count. */
    x12_loop_inst *in = &w->stack[level];
    in->loop = (uint8_t)loop;
    in->last_ord = 0;
    in->nref_tax = 0;
    in->seen = 0;
    in->has_child = 0;
    w->depth = level + 1;
}

/* Counts the segment in the innermost loop: order and maximum use. */
static void x12_loop_count(x12_walker *w, const x12_seg *s, int sid)
{
    x12_loop_inst *in = &w->stack[w->depth - 1];
    int o = w->rule[in->loop][sid] & 0xff;
    if (o) {
        int i = o - 1;
        if (i < in->last_ord)
            x12_seg_err(w, s, NULL, NULL, X12_IK3_SEQUENCE);
        else
            in->last_ord = (uint8_t)i;
        uint32_t bit = 1u << i;
        uint8_t n = in->seen & bit ? in->counts[i] : 0;
        in->seen |= bit;
        if (n < 255)
            n++;
        in->counts[i] = n;
        if (n > w->rule[in->loop][sid] >> 8)
            x12_seg_err(w, s, NULL, NULL, X12_IK3_SEG_MAX);
        return;
    }
    /* Not this loop's: belongs to an enclosing one (out of order) or nowhere. */
    for (int lv = w->depth - 2; lv >= 0; lv--) {
        if (w->rule[w->stack[lv].loop][sid] & 0xff) {
            x12_seg_err(w, s, NULL, NULL, X12_IK3_SEQUENCE);
            return;
        }
    }
    x12_seg_err(w, s, NULL, NULL, X12_IK3_UNEXPECTED);
}

void x12_loops_begin_txn(x12_walker *w)
{
    w->depth = 0;
    w->hl_last = w->hl_20 = w->hl_22 = 0;
    w->hl_level = 0;
    w->hl_count = 0;
    w->lx_last = 0;
    w->in_claim = w->in_line = 0;
    x12_loop_open(w, NULL, 0, L_HDR);
    w->stack[0].counts[0] = 1; /* the ST itself */
    w->stack[0].seen = 1;
}

int x12_loops_close_txn(x12_walker *w)
{
    if (!w->txn_type)
        return 0;
    while (w->depth > 0)
        x12_loop_pop(w, NULL);
    if (w->hl_count == 0)
        x12_seg_err(w, NULL, "HL", "2000A", X12_IK3_REQ_MISSING);
    return 0;
}

/* ---- loop openers ------------------------------------------------------- */

static uint32_t x12_parse_u32(x12_slice v, int *ok)
{
    uint32_t r = 0;
    *ok = v.n > 0 && v.n <= 9;
    for (uint32_t i = 0; i < v.n && *ok; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            *ok = 0;
        else
            r = r * 10 + (uint32_t)(v.p[i] - '0');
    }
    return r;
}

/* HL03's loop: L_2000A, L_2000B, L_2000C, or L_NONE. */
int x12_hl_loop(const x12_seg *s)
{
    if (x12_elem_is(s, 3, "20"))
        return L_2000A;
    if (x12_elem_is(s, 3, "22"))
        return L_2000B;
    if (x12_elem_is(s, 3, "23"))
        return L_2000C;
    return L_NONE;
}

/* An HL opening loop (a 2000A/B/C) numbered hl: the HL counters, and the
 * template's context from that level down starts empty. */
void x12_hl_enter(x12_walker *w, int loop, uint32_t hl)
{
    w->hl_last = hl;
    w->hl_count++;
    w->hl_level = (uint8_t)(loop == L_2000A ? 20 : loop == L_2000B ? 22 : 23);
    if (loop == L_2000A) {
        w->hl_20 = hl;
        w->hl_22 = 0;
        memset(&w->tmpl.bill_entity, 0,
               offsetof(clm_claim, claim_id) - offsetof(clm_claim, bill_entity));
    } else if (loop == L_2000B) {
        w->hl_22 = hl;
        memset(&w->tmpl.sbr_resp, 0, offsetof(clm_claim, claim_id) - offsetof(clm_claim, sbr_resp));
    } else {
        memset(&w->tmpl.has_patient, 0,
               offsetof(clm_claim, claim_id) - offsetof(clm_claim, has_patient));
    }
}

static int x12_on_hl(x12_walker *w, const x12_seg *s)
{
    int ok, pok;
    x12_slice id = {x12_eptr(s, 1), x12_elen(s, 1)};
    x12_slice par = {x12_eptr(s, 2), x12_elen(s, 2)};
    uint32_t n = x12_parse_u32(id, &ok);
    uint32_t parent = x12_parse_u32(par, &pok);
    int rc = x12_claim_end(w);
    if (rc)
        return rc;
    int bad_id = id.n && (!ok || n != w->hl_last + 1);
    uint32_t hl = ok ? n : w->hl_last + 1;
    int level = x12_hl_loop(s), bad_parent = 0;
    if (level == L_NONE) {
        w->hl_last = hl;
        w->hl_count++;
        return 1; /* the bad HL03 is reported by the element check */
    }
    if (level == L_2000A)
        bad_parent = par.n > 0;
    else if (!(level == L_2000B ? w->hl_20 : w->hl_22))
        x12_seg_err(w, s, NULL, x12_loops[level].name, X12_IK3_UNEXPECTED);
    else
        bad_parent = !pok || parent != (level == L_2000B ? w->hl_20 : w->hl_22);
    x12_hl_enter(w, level, hl);
    x12_loop_open(w, s, 0, level);
    if (bad_id)
        x12_elem_err(w, s, 1, 0, 628, X12_IK4_BAD_CODE, id);
    if (bad_parent)
        x12_elem_err(w, s, 2, 0, 734, X12_IK4_BAD_CODE, par);
    return 0;
}

static x12_slice x12_el(const x12_seg *s, uint32_t i)
{
    return (x12_slice){x12_eptr(s, i), x12_elen(s, i)};
}

typedef struct x12_nm1_map {
    const char *qual;       /* two bytes, upper case */
    uint8_t loop_p, loop_i; /* L_NONE where the type has no such loop */
} x12_nm1_map;

static const x12_nm1_map nm1_hdr[] = {{"41", L_1000A, L_1000A}, {"40", L_1000B, L_1000B}};
static const x12_nm1_map nm1_2000a[] = {
    {"85", L_2010AA, L_2010AA}, {"87", L_2010AB, L_2010AB}, {"PE", L_2010AC, L_2010AC}};
static const x12_nm1_map nm1_2000b[] = {{"IL", L_2010BA, L_2010BA}, {"PR", L_2010BB, L_2010BB}};
static const x12_nm1_map nm1_2000c[] = {{"QC", L_2010CA, L_2010CA}};
static const x12_nm1_map nm1_2300[] = {{"DN", L_2310A, L_2310F}, {"P3", L_2310A, L_NONE},
                                       {"82", L_2310B, L_2310D}, {"77", L_2310C, L_2310E},
                                       {"DQ", L_2310D, L_NONE},  {"PW", L_2310E, L_NONE},
                                       {"45", L_2310F, L_NONE},  {"71", L_NONE, L_2310A},
                                       {"72", L_NONE, L_2310B},  {"ZZ", L_NONE, L_2310C}};
static const x12_nm1_map nm1_2320[] = {
    {"IL", L_2330A, L_2330A}, {"PR", L_2330B, L_2330B}, {"DN", L_2330C, L_2330G},
    {"P3", L_2330C, L_NONE},  {"82", L_2330D, L_2330F}, {"77", L_2330E, L_2330G},
    {"DQ", L_2330F, L_NONE},  {"85", L_2330G, L_NONE},  {"71", L_NONE, L_2330C},
    {"72", L_NONE, L_2330D},  {"ZZ", L_NONE, L_2330E}};
static const x12_nm1_map nm1_2400[] = {
    {"82", L_2420A, L_2420C}, {"QB", L_2420B, L_NONE}, {"77", L_2420C, L_NONE},
    {"DQ", L_2420D, L_NONE},  {"DK", L_2420E, L_NONE}, {"DN", L_2420F, L_2420D},
    {"P3", L_2420F, L_NONE},  {"PW", L_2420G, L_NONE}, {"45", L_2420H, L_NONE},
    {"72", L_NONE, L_2420A},  {"ZZ", L_NONE, L_2420B}};

/* Leaf loops hold no NM1-opened children: an NM1 there opens a sibling. */
static int x12_is_leaf(int loop)
{
    return loop == L_1000A || loop == L_1000B || (loop >= L_2010AA && loop <= L_2010AC) ||
           loop == L_2010BA || loop == L_2010BB || loop == L_2010CA ||
           (loop >= L_2310A && loop <= L_2310F) || (loop >= L_2330A && loop <= L_2330G) ||
           (loop >= L_2410 && loop <= L_2440);
}

/* The loop an NM1 opens (its level in *level), or L_NONE when its
 * qualifier opens none here. */
static void x12_nm1_init(x12_walker *w)
{
    static const struct {
        uint8_t parent;
        const x12_nm1_map *map;
        size_t n;
    } maps[] = {
#define MAP(parent, arr) {parent, arr, sizeof(arr) / sizeof((arr)[0])}
        MAP(L_HDR, nm1_hdr),   MAP(L_2000A, nm1_2000a), MAP(L_2000B, nm1_2000b),
        MAP(L_2000C, nm1_2000c), MAP(L_2300, nm1_2300), MAP(L_2320, nm1_2320),
        MAP(L_2400, nm1_2400),
#undef MAP
    };
    for (int l = 0; l < L_COUNT; l++)
        if (x12_is_leaf(l))
            w->leaf_loops |= UINT64_C(1) << l;
    /* A multiplier that gives every key a slot of its own: a lookup is one
     * probe, hit or miss. */
    for (uint32_t mul = 0x9E3779B1u;; mul += 2) {
        memset(w->nm1_key, 0, sizeof w->nm1_key);
        int clash = 0;
        for (size_t m = 0; m < sizeof maps / sizeof maps[0] && !clash; m++) {
            for (size_t i = 0; i < maps[m].n && !clash; i++) {
                const x12_nm1_map *e = &maps[m].map[i];
                uint32_t key = (uint32_t)maps[m].parent << 16 | X12_ID2(e->qual[0], e->qual[1]);
                uint32_t h = (key * mul) >> 24;
                clash = w->nm1_key[h] != 0;
                w->nm1_key[h] = key;
                w->nm1_loops[h] = (uint16_t)(e->loop_p | e->loop_i << 8);
            }
        }
        if (!clash) {
            w->nm1_mul = mul;
            return;
        }
    }
}

int x12_nm1_target(const x12_walker *w, const x12_seg *s, int *level)
{
    int lv = w->depth - 1;
    lv -= lv > 0 && (w->leaf_loops >> w->stack[lv].loop & 1); /* a leaf's parent is no leaf */
    /* NM101 as a key, upper-cased as x12_elem_is() compares: every
     * qualifier in the maps is two bytes. */
    x12_slice q = x12_el(s, 1);
    uint32_t key = q.n == 2 ? X12_ID2(x12_upper(q.p[0]), x12_upper(q.p[1])) : 0;
    key |= (uint32_t)w->stack[lv].loop << 16;
    *level = lv + 1;
    uint32_t h = (key * w->nm1_mul) >> 24;
    if (w->nm1_key[h] != key)
        return L_NONE;
    return x12_is_p(w) ? w->nm1_loops[h] & 0xff : w->nm1_loops[h] >> 8;
}

static int x12_on_nm1(x12_walker *w, const x12_seg *s)
{
    int lv;
    int loop = x12_nm1_target(w, s, &lv);
    if (loop == L_NONE) {
        x12_elem_err(w, s, 1, 0, 98, X12_IK4_BAD_CODE, (x12_slice){x12_eptr(s, 1), x12_elen(s, 1)});
        return L_NONE;
    }
    x12_loop_open(w, s, lv, loop);
    return loop;
}

/* The level a claim-area loop opens at, or -1 when not in a claim. */
int x12_claim_level(const x12_walker *w)
{
    return w->depth >= 2 && w->stack[1].loop == L_2300 ? 2 : -1;
}

int x12_line_level(const x12_walker *w)
{
    return w->depth >= 3 && w->stack[2].loop == L_2400 ? 3 : -1;
}

/* Opens the loop a segment starts, if it starts one. Returns the loop the
 * segment belongs to (for the field handlers), or L_NONE when it was
 * unexpected here and has been reported. */
static int x12_route(x12_walker *w, const x12_seg *s, int sid)
{
    int lv;
    switch (sid) {
    case X12_S_NM1:
        return x12_on_nm1(w, s);
    case X12_S_CLM:
        if (w->hl_level != 22 && w->hl_level != 23)
            break;
        x12_loop_open(w, s, 1, L_2300);
        return L_2300;
    case X12_S_SBR:
        if (w->depth == 1 && w->stack[0].loop == L_2000B)
            return L_2000B;
        if ((lv = x12_claim_level(w)) < 0)
            break;
        x12_loop_open(w, s, lv, L_2320);
        return L_2320;
    case X12_S_LX:
        if ((lv = x12_claim_level(w)) < 0)
            break;
        x12_loop_open(w, s, lv, L_2400);
        return L_2400;
    case X12_S_SV1:
    case X12_S_SV2:
        if ((lv = x12_claim_level(w)) < 0)
            return w->stack[w->depth - 1].loop;
        if (x12_line_level(w) >= 0 && !(w->stack[2].seen & 6)) /* no SV1 or SV2 yet */
            return w->stack[w->depth - 1].loop;
        /* A service line without its LX: say so, and read the line anyway
         * so that nothing the submitter sent is silently dropped. */
        x12_seg_err(w, s, "LX", "2400", X12_IK3_REQ_MISSING);
        x12_loop_open(w, s, lv, L_2400);
        w->stack[lv].counts[0] = 1;
        w->stack[lv].seen |= 1;
        w->stack[lv].last_ord = 0;
        if (w->in_claim)
            x12_line_begin(w, s);
        return L_2400;
    case X12_S_LIN:
    case X12_S_SVD:
    case X12_S_LQ:
        if ((lv = x12_line_level(w)) < 0)
            break;
        x12_loop_open(w, s, lv, sid == X12_S_LIN ? L_2410 : sid == X12_S_SVD ? L_2430 : L_2440);
        return w->stack[lv].loop;
    default:
        return w->stack[w->depth - 1].loop;
    }
    x12_seg_err(w, s, NULL, NULL, X12_IK3_UNEXPECTED);
    return L_NONE;
}

/* ---- claim fields ------------------------------------------------------- */

/* Copies a value into a claim field, upper-cased, noting truncation. */
static void x12_field(x12_walker *w, const x12_seg *s, uint8_t elem, char *dst, size_t cap,
                      x12_slice v)
{
    if (v.n > cap - 1)
        x12_claim_issue(w, s, CLM_ISSUE_TOO_LONG, elem);
    x12_slice_copy(dst, cap, v);
}

/* x12_field(), upper-cased. */
static void x12_field_upper(x12_walker *w, const x12_seg *s, uint8_t elem, char *dst, size_t cap,
                            x12_slice v)
{
    if (v.n > cap - 1)
        x12_claim_issue(w, s, CLM_ISSUE_TOO_LONG, elem);
    x12_slice_copy_upper(dst, cap, v);
}

static void x12_nm1_fields(x12_walker *w, const x12_seg *s, int loop)
{
    int npi = x12_elem_is(s, 8, "XX");
    clm_claim *t = &w->tmpl, *c = &w->cur;
    switch (loop) {
    case L_2010AA:
        t->bill_entity = x12_elen(s, 2) ? x12_eptr(s, 2)[0] : 0;
        if (npi)
            x12_copy(t->bill_npi, sizeof t->bill_npi, s, 9);
        break;
    case L_2010BA:
        x12_copy(t->member_id, sizeof t->member_id, s, 9);
        break;
    case L_2010BB:
        x12_copy(t->payer_id, sizeof t->payer_id, s, 9);
        break;
    case L_2310A:
    case L_2310B:
    case L_2310D:
    case L_2310F:
        if (!npi || !w->in_claim)
            break;
        if (x12_elem_is(s, 1, "DN") || x12_elem_is(s, 1, "P3"))
            x12_copy(c->referring_npi, sizeof c->referring_npi, s, 9);
        else if (x12_elem_is(s, 1, "82") || (x12_elem_is(s, 1, "71") && !c->rendering_npi[0]))
            x12_copy(c->rendering_npi, sizeof c->rendering_npi, s, 9);
        break;
    case L_2420A:
    case L_2420C:
        if (npi && w->in_line && x12_elem_is(s, 1, "82") && c->nlines)
            x12_copy(w->lines[c->nlines - 1].rendering_npi, sizeof w->lines[0].rendering_npi, s, 9);
        break;
    default:
        break;
    }
}

static int x12_is_facility_loop(const x12_walker *w, int loop)
{
    return (x12_is_p(w) && loop == L_2310C) || (!x12_is_p(w) && loop == L_2310E);
}

static void x12_n4_fields(x12_walker *w, const x12_seg *s, int loop)
{
    if (loop == L_2010AA) {
        x12_copy(w->tmpl.bill_zip, sizeof w->tmpl.bill_zip, s, 3);
        x12_copy(w->tmpl.bill_state, sizeof w->tmpl.bill_state, s, 2);
    } else if (w->in_claim && x12_is_facility_loop(w, loop)) {
        x12_copy(w->cur.facility_zip, sizeof w->cur.facility_zip, s, 3);
    }
}

static void x12_ref_fields(x12_walker *w, const x12_seg *s, int loop)
{
    if (loop == L_2010AA && (x12_elem_is(s, 1, "EI") || x12_elem_is(s, 1, "SY"))) {
        x12_loop_inst *in = &w->stack[w->depth - 1];
        if (++in->nref_tax > 1)
            x12_seg_err(w, s, NULL, NULL, X12_IK3_SEG_MAX);
        x12_copy(w->tmpl.bill_tin, sizeof w->tmpl.bill_tin, s, 2);
        x12_slice_copy_upper(w->tmpl.bill_tin_qual, sizeof w->tmpl.bill_tin_qual, x12_el(s, 1));
    } else if (loop == L_2300 && x12_elem_is(s, 1, "F8")) {
        x12_field(w, s, 2, w->cur.ref_f8, sizeof w->cur.ref_f8, x12_el(s, 2));
    }
}

void x12_dmg_store(x12_walker *w, int loop, uint32_t dob, char sex)
{
    if (loop == L_2010BA) {
        w->tmpl.sub_dob = dob;
        w->tmpl.sub_sex = sex;
    } else if (loop == L_2010CA) {
        w->tmpl.pat_dob = dob;
        w->tmpl.pat_sex = sex;
    }
}

static void x12_dmg_fields(x12_walker *w, const x12_seg *s, int loop)
{
    uint32_t dob = 0;
    clm_parse_date(x12_eptr(s, 2), x12_elen(s, 2), &dob);
    char sex = x12_elen(s, 3) ? x12_eptr(s, 3)[0] : 0;
    if (sex >= 'a' && sex <= 'z')
        sex = (char)(sex - 32);
    x12_dmg_store(w, loop, dob, sex);
}

int x12_clm_fields(x12_walker *w, const x12_seg *s)
{
    int rc = x12_claim_begin(w, s);
    if (rc)
        return rc;
    clm_claim *c = &w->cur;
    w->lx_last = 0;
    x12_field(w, s, 1, c->claim_id, sizeof c->claim_id, x12_el(s, 1));
    if (x12_elen(s, 2) && clm_parse_cents(x12_eptr(s, 2), x12_elen(s, 2), &c->charge) != 0)
        x12_claim_issue(w, s, CLM_ISSUE_BAD_AMOUNT, 2);
    if (x12_elen(s, 5)) {
        x12_slice cm[3];
        x12_comps(w, s, 5, cm, 3);
        x12_slice pos = cm[0], qual = cm[1], freq = cm[2];
        if (!pos.n)
            x12_elem_err(w, s, 5, 1, 1331, X12_IK4_REQ_MISSING, pos);
        if (!qual.n)
            x12_elem_err(w, s, 5, 2, 1332, X12_IK4_REQ_MISSING, qual);
        else if (!x12_slice_is(qual, x12_is_p(w) ? "B" : "A"))
            x12_elem_err(w, s, 5, 2, 1332, X12_IK4_BAD_CODE, qual);
        if (!freq.n)
            x12_elem_err(w, s, 5, 3, 1325, X12_IK4_REQ_MISSING, freq);
        x12_field(w, s, 5, c->pos, sizeof c->pos, pos);
        c->freq = freq.n ? freq.p[0] : 0;
        if (!x12_is_p(w) && pos.n == 2 && freq.n == 1) {
            memcpy(c->tob, pos.p, 2);
            c->tob[2] = freq.p[0];
        }
    }
    return 0;
}

/* DTP03 by its format qualifier; RD8 is "CCYYMMDD-CCYYMMDD". */
static int x12_dtp_dates(x12_walker *w, const x12_seg *s, uint32_t *from, uint32_t *to)
{
    x12_slice v = x12_el(s, 3);
    if (!v.n)
        return -1;
    if (x12_elem_is(s, 2, "RD8")) {
        const char *dash = memchr(v.p, '-', v.n);
        if (!dash || clm_parse_date(v.p, (size_t)(dash - v.p), from) != 0 ||
            clm_parse_date(dash + 1, v.n - (size_t)(dash - v.p) - 1, to) != 0) {
            x12_elem_err(w, s, 3, 0, 1251, X12_IK4_BAD_DATE, v);
            return -1;
        }
        if (*to < *from)
            x12_claim_issue(w, s, CLM_ISSUE_BAD_DATE, 3);
        return 0;
    }
    if (x12_elem_is(s, 2, "D8")) {
        if (clm_parse_date(v.p, v.n, from) != 0) {
            x12_elem_err(w, s, 3, 0, 1251, X12_IK4_BAD_DATE, v);
            return -1;
        }
        *to = *from;
        return 0;
    }
    return -1;
}

static void x12_dtp_fields(x12_walker *w, const x12_seg *s, int loop)
{
    uint32_t from = 0, to = 0;
    if (x12_dtp_dates(w, s, &from, &to) == 0)
        x12_dtp_store(w, s, loop, from, to);
}

void x12_dtp_store(x12_walker *w, const x12_seg *s, int loop, uint32_t from, uint32_t to)
{
    if (!w->in_claim)
        return;
    clm_claim *c = &w->cur;
    /* DTP01 as a key: its codes are digits, which have no case to fold */
    x12_slice q = x12_el(s, 1);
    uint32_t key = q.n == 3 ? X12_ID3(q.p[0], q.p[1], q.p[2]) : 0;
    if (loop == L_2400) {
        if (key == X12_ID3('4', '7', '2') && c->nlines) {
            w->lines[c->nlines - 1].from = from;
            w->lines[c->nlines - 1].to = to;
        }
    } else if (loop == L_2300) {
        if (key == X12_ID3('4', '3', '4')) {
            c->stmt_from = from;
            c->stmt_to = to;
        } else if (key == X12_ID3('4', '3', '5')) {
            c->admit_date = from;
        }
    }
}

static int x12_hi_is_dx(x12_slice q)
{
    static const char *const dx[] = {"ABK", "ABF", "ABJ", "APR", "ABN",
                                     "BK",  "BF",  "BJ",  "PR",  "BN"};
    for (size_t i = 0; i < sizeof dx / sizeof dx[0]; i++)
        if (x12_slice_is(q, dx[i]))
            return 1;
    return 0;
}

static int x12_hi_other(x12_slice q)
{
    static const char *const other[] = {"BBR", "BBQ", "BR", "BQ", "CAH", "BP",  "BO", "BG",
                                        "BH",  "BI",  "BE", "DR", "TC",  "ABU", "BJ"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (x12_slice_is(q, other[i]))
            return 1;
    return 0;
}

static void x12_hi_fields(x12_walker *w, const x12_seg *s)
{
    clm_claim *c = &w->cur;
    for (uint32_t j = 1; j < s->nelem && j <= 12; j++) {
        if (!x12_elen(s, j))
            continue;
        x12_slice cm[9];
        x12_comps(w, s, j, cm, 9);
        x12_slice q = cm[0], code = cm[1];
        int is_dx = x12_hi_is_dx(q);
        if (!is_dx && !x12_hi_other(q)) {
            x12_elem_err(w, s, (uint8_t)j, 1, 1270, X12_IK4_BAD_CODE, q);
            continue;
        }
        if (!code.n) {
            x12_elem_err(w, s, (uint8_t)j, 2, 1271, X12_IK4_REQ_MISSING, code);
            continue;
        }
        if (!is_dx || !w->in_claim)
            continue;
        if (c->ndx >= CLM_MAX_DX) {
            x12_claim_issue(w, s, CLM_ISSUE_TOO_MANY, (uint8_t)j);
            continue;
        }
        clm_dx *d = &c->dx[c->ndx++];
        memset(d, 0, sizeof *d);
        x12_field_upper(w, s, (uint8_t)j, d->code, sizeof d->code, code);
        x12_slice_copy_upper(d->qual, sizeof d->qual, q);
        x12_slice poa = cm[8];
        d->poa = poa.n ? poa.p[0] : 0;
        d->seg_index = w->seg_pos;
    }
}

static void x12_lx_fields(x12_walker *w, const x12_seg *s)
{
    int ok;
    x12_slice v = x12_el(s, 1);
    uint32_t n = x12_parse_u32(v, &ok);
    if (v.n && ok && n != w->lx_last + 1)
        x12_elem_err(w, s, 1, 0, 554, X12_IK4_BAD_CODE, v);
    x12_lx_store(w, s, n, ok);
}

/* LX01 read (ok) or not: the sequence moves on, and a line begins. */
void x12_lx_store(x12_walker *w, const x12_seg *s, uint32_t n, int ok)
{
    w->lx_last = ok ? n : w->lx_last + 1;
    if (!w->in_claim)
        return;
    clm_line *l = x12_line_begin(w, s);
    if (l) {
        l->lx = ok ? n : 0;
        l->seg_index = w->seg_pos;
    }
}

static clm_line *x12_cur_line(x12_walker *w)
{
    return w->in_claim && w->in_line && w->cur.nlines ? &w->lines[w->cur.nlines - 1] : NULL;
}

/* The procedure composite: qualifier, code, up to four modifiers. */
static void x12_proc_fields(x12_walker *w, const x12_seg *s, uint32_t el, clm_line *l)
{
    x12_slice cm[6];
    x12_comps(w, s, el, cm, 6);
    x12_slice q = cm[0], code = cm[1];
    if (!q.n)
        x12_elem_err(w, s, (uint8_t)el, 1, 235, X12_IK4_REQ_MISSING, q);
    if (!code.n)
        x12_elem_err(w, s, (uint8_t)el, 2, 234, X12_IK4_REQ_MISSING, code);
    x12_slice_copy_upper(l->qual, sizeof l->qual, q);
    x12_field_upper(w, s, (uint8_t)el, l->code, sizeof l->code, code);
    for (uint32_t m = 3; m <= 6; m++) {
        x12_slice mod = cm[m - 1];
        if (!mod.n)
            continue;
        /* A line whose service segment came twice (an SV1 after its
         * 2410-2440 loops is out of order, IK3 7, and not a new line) keeps
         * the first four modifiers. */
        if (l->nmods == CLM_MAX_MODS) {
            x12_claim_issue(w, s, CLM_ISSUE_TOO_MANY, (uint8_t)el);
            continue;
        }
        x12_field_upper(w, s, (uint8_t)el, l->mods[l->nmods], sizeof l->mods[0], mod);
        l->nmods++;
    }
}

static void x12_amount_units(x12_walker *w, const x12_seg *s, clm_line *l, uint32_t charge_el,
                             uint32_t units_el)
{
    x12_slice ch = x12_el(s, charge_el), un = x12_el(s, units_el);
    if (ch.n && clm_parse_cents(ch.p, ch.n, &l->charge) != 0)
        x12_claim_issue(w, s, CLM_ISSUE_BAD_AMOUNT, (uint8_t)charge_el);
    if (un.n && clm_parse_milli(un.p, un.n, &l->units_milli) != 0)
        x12_claim_issue(w, s, CLM_ISSUE_BAD_UNITS, (uint8_t)units_el);
    x12_slice_copy_upper(l->unit_type, sizeof l->unit_type, x12_el(s, units_el - 1));
}

static void x12_sv1_fields(x12_walker *w, const x12_seg *s)
{
    if (!x12_is_p(w)) {
        x12_seg_err(w, s, NULL, NULL, X12_IK3_UNEXPECTED);
        return;
    }
    clm_line *l = x12_cur_line(w);
    if (!l)
        return;
    l->seg_index = w->seg_pos;
    x12_proc_fields(w, s, 1, l);
    x12_amount_units(w, s, l, 2, 4);
    x12_copy(l->pos, sizeof l->pos, s, 5);
    x12_slice ptr[4];
    x12_comps(w, s, 7, ptr, 4);
    for (uint32_t k = 1; k <= 4; k++) {
        x12_slice p = ptr[k - 1];
        if (!p.n)
            continue;
        int ok;
        uint32_t v = x12_parse_u32(p, &ok);
        if (!ok || v == 0 || v > 99) {
            x12_claim_issue(w, s, CLM_ISSUE_BAD_POINTER, 7);
            continue;
        }
        if (l->nptrs == CLM_MAX_PTRS) { /* a second SV1 on the line, as above */
            x12_claim_issue(w, s, CLM_ISSUE_TOO_MANY, 7);
            continue;
        }
        l->ptrs[l->nptrs++] = (uint8_t)v;
    }
}

static void x12_sv2_fields(x12_walker *w, const x12_seg *s)
{
    if (x12_is_p(w)) {
        x12_seg_err(w, s, NULL, NULL, X12_IK3_UNEXPECTED);
        return;
    }
    clm_line *l = x12_cur_line(w);
    if (!l)
        return;
    l->seg_index = w->seg_pos;
    x12_field(w, s, 1, l->rev, sizeof l->rev, x12_el(s, 1));
    if (x12_elen(s, 2))
        x12_proc_fields(w, s, 2, l);
    x12_amount_units(w, s, l, 3, 5);
}

void x12_fields(x12_walker *w, const x12_seg *s, int sid, int loop)
{
    switch (sid) {
    case X12_S_NM1:
        x12_nm1_fields(w, s, loop);
        break;
    case X12_S_N4:
        x12_n4_fields(w, s, loop);
        break;
    case X12_S_REF:
        x12_ref_fields(w, s, loop);
        break;
    case X12_S_PRV:
        if (loop == L_2000A && x12_elem_is(s, 1, "BI"))
            x12_copy(w->tmpl.bill_taxonomy, sizeof w->tmpl.bill_taxonomy, s, 3);
        break;
    case X12_S_SBR:
        if (loop == L_2000B) {
            w->tmpl.sbr_resp = x12_elen(s, 1) ? x12_eptr(s, 1)[0] : 0;
            x12_copy(w->tmpl.sbr_rel, sizeof w->tmpl.sbr_rel, s, 2);
            x12_copy(w->tmpl.filing_ind, sizeof w->tmpl.filing_ind, s, 9);
        }
        break;
    case X12_S_PAT:
        if (loop == L_2000C) {
            w->tmpl.has_patient = true;
            x12_copy(w->tmpl.pat_rel, sizeof w->tmpl.pat_rel, s, 1);
        }
        break;
    case X12_S_DMG:
        x12_dmg_fields(w, s, loop);
        break;
    case X12_S_DTP:
        x12_dtp_fields(w, s, loop);
        break;
    case X12_S_HI:
        if (loop == L_2300)
            x12_hi_fields(w, s);
        break;
    case X12_S_LX:
        x12_lx_fields(w, s);
        break;
    case X12_S_SV1:
        x12_sv1_fields(w, s);
        break;
    case X12_S_SV2:
        x12_sv2_fields(w, s);
        break;
    case X12_S_LIN: {
        clm_line *l = x12_cur_line(w);
        if (l && x12_elem_is(s, 2, "N4"))
            x12_copy(l->ndc, sizeof l->ndc, s, 3);
        break;
    }
    case X12_S_BHT:
        clm_parse_date(x12_eptr(s, 4), x12_elen(s, 4), &w->tmpl.bht_date);
        break;
    default:
        break;
    }
}

int x12_loops_segment(x12_walker *w, const x12_seg *s, int sid)
{
    int loop;
    if (sid == X12_S_HL) {
        int rc = x12_on_hl(w, s);
        if (rc)
            return rc < 0 ? rc : 0;
        loop = w->stack[w->depth - 1].loop;
    } else {
        loop = x12_route(w, s, sid);
        if (loop == L_NONE)
            return 0;
    }
    x12_loop_count(w, s, sid);
    int fast = x12_fast_segment(w, s, sid, loop);
    if (fast < 0) /* the sink stopped the walk */
        return fast;
    if (fast == X12_FAST_DONE)
        return 0;
    /* Element syntax after routing, so errors name the loop the segment is in. */
    if (sid < X12_NSPEC && fast == X12_FAST_NONE)
        x12_check_seg(w, s, sid);
    if (sid == X12_S_CLM)
        return x12_clm_fields(w, s);
    x12_fields(w, s, sid, loop);
    return 0;
}
