/* x12_walk: the streaming 837 walker.
 *
 * Input arrives in arbitrary chunks; the walker consumes whole segments and
 * drives three layers per segment:
 *   - the envelope (ISA/GS/ST ... SE/GE/IEA): counts, control numbers and
 *     versions, reported as TA1 notes, AK9 and IK5 codes;
 *   - the loop structure of 005010X222A1/X223A2 (x12_loops.c): which loop a
 *     segment opens or belongs to, order, repeats, required segments and
 *     loops, reported as IK3 errors;
 *   - the claim model: the fields the edits need, copied into a clm_claim
 *     delivered to the sink when the claim ends.
 * Element syntax (required, lengths, types, code values) is checked from the
 * segment dictionary (x12_spec.c) for the segments the walker reads, as IK4.
 *
 * Memory is a fixed struct plus one service-line array that grows to the
 * largest claim seen: it does not depend on the input's size.
 */
#include "x12_walk.h"

#include "claimd/error.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define X12_MAX_SEG_BYTES (1u << 20)

/* ---- small helpers ------------------------------------------------------ */

/* The segment id packed as X12_ID2/X12_ID3 when element 0 is 2 or 3 bytes,
 * else 0. Read from the segment's first bytes and its length rather than
 * from el[1]: the id, and the dispatch on it, need not wait for the
 * tokenizer's element offsets. */
uint32_t x12_seg_id(const x12_seg *s, char elem)
{
    const unsigned char *p = (const unsigned char *)s->p;
    const unsigned char e = (unsigned char)elem;
    uint32_t len = s->len;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len >= 4) {
        /* The first separator among the segment's first four bytes, with
         * no branch on whether the id has two letters or three (they
         * alternate in a file): the lowest flag of the zero-byte test is
         * exact. */
        uint32_t x;
        memcpy(&x, p, 4);
        uint32_t z = x ^ 0x01010101u * e, f = (z - 0x01010101u) & ~z & 0x80808080u;
        uint32_t k = f ? (uint32_t)__builtin_ctz(f) >> 3 : 4, be = __builtin_bswap32(x);
        uint32_t two = k == 2, three = (k == 3) & (p[0] != 0);
        return (be >> (8u << two)) & (0u - (two | three));
    }
#endif
    if (len < 2 || p[0] == e || p[1] == e)
        return 0;
    if (len == 2 || p[2] == e)
        return X12_ID2(p[0], p[1]);
    if ((len == 3 || p[3] == e) && p[0]) /* a NUL first byte would read as a 2-byte id */
        return X12_ID3(p[0], p[1], p[2]);
    return 0;
}

/* A body segment's id and the separator after it, as x12_body_sid() reads
 * the first bytes of a segment (little-endian): "HL*" or "DTP*". */
static uint32_t x12_body_key_of(uint32_t id, unsigned char elem)
{
    if (id > 0xffff)
        return (id >> 16) | (id >> 8 & 0xff) << 8 | (id & 0xff) << 16 | (uint32_t)elem << 24;
    return (id >> 8) | (id & 0xff) << 8 | (uint32_t)elem << 16;
}

static void x12_body_keys(x12_walker *w)
{
    memset(w->body_sid, 0xff, sizeof w->body_sid);
    for (int sid = X12_S_GE + 1; sid < X12_NSID; sid++) {
        uint32_t key = x12_body_key_of(x12_sid_id(sid), (unsigned char)w->d.elem);
        uint32_t h = X12_SID_HASH(key);
        while (w->body_sid[h] != 0xff)
            h = (h + 1) & 255;
        w->body_key[h] = key;
        w->body_sid[h] = (uint8_t)sid;
    }
}

/* Copies element i (or "" when absent) into dst, NUL-terminated, truncated
 * to cap - 1. Returns the element's full length. */
uint32_t x12_copy(char *dst, size_t cap, const x12_seg *s, uint32_t i)
{
    uint32_t n = x12_elen(s, i);
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(dst, x12_eptr(s, i), k);
    dst[k] = 0;
    return n;
}

/* Splits element i into its components (at most max); returns how many.
 * out[k] is component k + 1. One pass over the element. */
uint32_t x12_comps(const x12_walker *w, const x12_seg *s, uint32_t i, x12_slice *out, uint32_t max)
{
    const char *p = x12_eptr(s, i);
    const char *end = p + x12_elen(s, i);
    const char sep = w->d.comp;
    uint32_t k = 0;
    /* Components are a few bytes long: a byte loop beats memchr's setup. */
    while (k < max) {
        const char *c = p;
        while (c < end && *c != sep)
            c++;
        out[k++] = (x12_slice){p, (uint32_t)(c - p)};
        if (c == end)
            break;
        p = c + 1;
    }
    for (uint32_t j = k; j < max; j++)
        out[j] = (x12_slice){end, 0};
    return k;
}

void x12_slice_copy(char *dst, size_t cap, x12_slice v)
{
    size_t k = v.n < cap - 1 ? v.n : cap - 1;
    memcpy(dst, v.p, k);
    dst[k] = 0;
}

/* Copies v like x12_slice_copy(), upper-casing ASCII letters up to the
 * first NUL byte (as copying and then upper-casing the C string would). */
void x12_slice_copy_upper(char *dst, size_t cap, x12_slice v)
{
    size_t k = v.n < cap - 1 ? v.n : cap - 1, i = 0;
    for (; i < k; i++) {
        char c = v.p[i];
        if (!c)
            break;
        dst[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
    }
    if (i < k)
        memcpy(dst + i, v.p + i, k - i);
    dst[k] = 0;
}

/* ---- error recording ---------------------------------------------------- */

static x12_err *x12_err_slot(x12_walker *w)
{
    if (w->nerrs >= X12_WALK_MAX_ERRS) {
        w->errs_dropped++;
        return NULL;
    }
    x12_err *e = &w->errs[w->nerrs++];
    memset(e, 0, sizeof *e);
    return e;
}

static void x12_err_where(x12_walker *w, x12_err *e, const x12_seg *s, const char *seg_id)
{
    if (seg_id) {
        size_t n = strlen(seg_id);
        memcpy(e->seg_id, seg_id, n < 3 ? n : 3);
    } else if (s) {
        x12_copy(e->seg_id, sizeof e->seg_id, s, 0);
    }
    e->seg_pos = w->seg_pos;
    e->off = s ? s->off : w->off;
    const char *loop = x12_loops_name(w);
    size_t ln = strlen(loop);
    memcpy(e->loop_id, loop, ln < sizeof e->loop_id - 1 ? ln : sizeof e->loop_id - 1);
}

void x12_seg_err(x12_walker *w, const x12_seg *s, const char *seg_id, const char *loop,
                 uint16_t code)
{
    w->txn_bad = 1;
    x12_err *e = x12_err_slot(w);
    if (!e)
        return;
    e->level = X12_ERR_SEG;
    e->code = code;
    x12_err_where(w, e, s, seg_id);
    if (loop) {
        memset(e->loop_id, 0, sizeof e->loop_id);
        strncpy(e->loop_id, loop, sizeof e->loop_id - 1);
    }
}

void x12_elem_err(x12_walker *w, const x12_seg *s, uint8_t elem, uint8_t comp, uint16_t ref,
                  uint16_t code, x12_slice bad)
{
    w->txn_bad = 1;
    if (w->elem_err_seg != w->seg_pos) {
        /* IK3 code 8 heads the IK4s of its segment. */
        w->elem_err_seg = w->seg_pos;
        x12_seg_err(w, s, NULL, NULL, X12_IK3_HAS_ELEM_ERRS);
    }
    x12_err *e = x12_err_slot(w);
    if (!e)
        return;
    e->level = X12_ERR_ELEM;
    e->code = code;
    e->elem_pos = elem;
    e->comp_pos = comp;
    e->elem_ref = ref;
    x12_err_where(w, e, s, NULL);
    size_t k = bad.n < sizeof e->bad - 1 ? bad.n : sizeof e->bad - 1;
    memcpy(e->bad, bad.p, k);
}

/* Transaction-level (IK5) codes live apart from the segment errors, so a
 * transaction full of segment errors still reports its IK502 codes. */
static void x12_txn_err(x12_walker *w, uint16_t code)
{
    w->txn_bad = 1;
    for (uint32_t i = 0; i < w->ntcodes; i++)
        if (w->tcodes[i] == code)
            return;
    if (w->ntcodes < X12_WALK_MAX_TXN_CODES)
        w->tcodes[w->ntcodes++] = code;
}

static void x12_group_err(x12_walker *w, uint16_t code)
{
    if (w->ngerrs >= 5)
        return;
    x12_err *e = &w->gerrs[w->ngerrs++];
    memset(e, 0, sizeof *e);
    e->level = X12_ERR_GROUP;
    e->code = code;
    e->off = w->off;
}

void x12_ichg_err(x12_walker *w, uint16_t note, int reject)
{
    if (reject)
        w->ichg_reject = 1;
    if (w->nierrs >= 8)
        return;
    x12_err *e = &w->ierrs[w->nierrs++];
    memset(e, 0, sizeof *e);
    e->level = X12_ERR_ICHG;
    e->code = note;
    e->off = w->off;
}

void x12_claim_issue(x12_walker *w, const x12_seg *s, uint8_t kind, uint8_t elem)
{
    clm_claim *c = &w->cur;
    if (!w->in_claim)
        return;
    if (c->nissues >= CLM_MAX_ISSUES) {
        if (c->issues_dropped < 255)
            c->issues_dropped++;
        return;
    }
    clm_issue *is = &c->issues[c->nissues++];
    memset(is, 0, sizeof *is);
    is->kind = kind;
    is->elem = elem;
    x12_copy(is->seg_id, sizeof is->seg_id, s, 0);
    is->line = w->in_line ? c->nlines : 0;
    is->seg_index = w->seg_pos;
}

/* ---- element syntax ----------------------------------------------------- */

static int x12_valid_time(const char *p, uint32_t n)
{
    if (n < 4 || n > 8)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    int hh = (p[0] - '0') * 10 + (p[1] - '0'), mm = (p[2] - '0') * 10 + (p[3] - '0');
    if (hh > 23 || mm > 59)
        return 0;
    if (n >= 6 && (p[4] - '0') * 10 + (p[5] - '0') > 59)
        return 0;
    return 1;
}

static int x12_valid_num(const char *p, uint32_t n, int decimal)
{
    uint32_t i = 0, digits = 0, dots = 0;
    if (i < n && p[i] == '-')
        i++;
    for (; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            digits++;
        else if (decimal && p[i] == '.' && !dots)
            dots++;
        else
            return 0;
    }
    return digits > 0;
}

/* Length of a value as X12 counts it: a sign and a decimal point do not count. */
static uint32_t x12_value_len(char type, const char *p, uint32_t n)
{
    if (type != X12_T_R && type != X12_T_N0)
        return n;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += p[i] >= '0' && p[i] <= '9';
    return k;
}

/* Is p[0..n) one of the values in codes ("|85|87|")? Case-insensitive. */
static int x12_code_ok(const char *codes, const char *p, uint32_t n)
{
    const char *c = codes + 1;
    while (*c) {
        uint32_t k = 0;
        while (c[k] != '|')
            k++;
        if (k == n) {
            uint32_t i = 0;
            for (; i < n; i++) {
                char ch = p[i];
                if (ch >= 'a' && ch <= 'z')
                    ch = (char)(ch - 32);
                if (ch != c[i])
                    break;
            }
            if (i == n)
                return 1;
        }
        c += k + 1;
    }
    return 0;
}

/* The general check: out of line, the fast table sends it few values. */
__attribute__((noinline, cold)) static void x12_check_elem(x12_walker *w, const x12_seg *s,
                                                           uint32_t i, const x12_espec *e,
                                                           const char *p, uint32_t n)
{
    x12_slice v = {p, n};
    if (n == 0) {
        if (e->req)
            x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_REQ_MISSING, v);
        return;
    }
    if (e->type == X12_T_C)
        return;
    uint32_t len = x12_value_len(e->type, p, n);
    if (len < e->min)
        x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_TOO_SHORT, v);
    else if (len > e->max)
        x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_TOO_LONG, v);
    switch (e->type) {
    case X12_T_N0:
    case X12_T_R:
        if (!x12_valid_num(p, n, e->type == X12_T_R))
            x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_BAD_CHAR, v);
        break;
    case X12_T_DT: {
        uint32_t d;
        if (clm_parse_date(p, n, &d) != 0)
            x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_BAD_DATE, v);
        break;
    }
    case X12_T_TM:
        if (!x12_valid_time(p, n))
            x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_BAD_TIME, v);
        break;
    case X12_T_ID:
        if (e->codes && !x12_code_ok(e->codes, p, n))
            x12_elem_err(w, s, (uint8_t)i, 0, e->ref, X12_IK4_BAD_CODE, v);
        break;
    default:
        break;
    }
}

/* The key of a 1-4 byte value: its length and its bytes, upper-cased as
 * x12_code_ok() compares them. */
static inline uint64_t x12_code_key(const char *p, uint32_t n)
{
    uint64_t k = (uint64_t)n << 32;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        k |= (uint64_t)c << (8 * i);
    }
    return k;
}

/* Puts the codes of "|A|BC|" into the walker's key pool; 0 when one is longer
 * than 4 bytes or the pool is full (the element then stays X12_EF_SLOW). */
static int x12_codes_keys(x12_walker *w, const char *codes, int sid, int i)
{
    uint32_t at = w->ef_ncodes, n = 0;
    for (const char *c = codes + 1; *c;) {
        uint32_t k = 0;
        while (c[k] != '|')
            k++;
        if (k == 0 || k > 4 || at + n >= X12_EF_MAX_CODES)
            return 0;
        w->ef_codes[at + n++] = x12_code_key(c, k);
        c += k + 1;
    }
    w->ef_code_at[sid][i] = (uint8_t)at;
    w->ef_code_n[sid][i] = (uint8_t)n;
    w->ef_ncodes = at + n;
    return 1;
}

void x12_check_init(x12_walker *w)
{
    for (int sid = 0; sid < X12_NSPEC; sid++) {
        const x12_sspec *sp = x12_sid_spec(sid);
        assert(sp->nelem <= X12_SPEC_MAX_ELEMS);
        for (uint8_t i = 1; i <= sp->nelem; i++) {
            const x12_espec *e = &sp->e[i - 1];
            uint32_t *r = &w->ef_range[sid][i - 1];
            uint8_t *k = &w->ef_kind[sid][i - 1];
            if (e->req)
                w->spec_nreq[sid] = i;
            /* Every kind but a plain length needs n >= 1 first. */
            *r = X12_EF_RANGE(1, UINT16_MAX);
            *k = X12_EF_SLOW;
            if ((e->type == X12_T_AN || (e->type == X12_T_ID && !e->codes)) && e->min &&
                e->max >= e->min) {
                *r = X12_EF_RANGE(e->min, e->max - e->min);
                *k = X12_EF_LEN;
            } else if (e->type == X12_T_ID && e->codes && e->min && e->max >= e->min &&
                       x12_codes_keys(w, e->codes, sid, i - 1)) {
                *r = X12_EF_RANGE(e->min, e->max - e->min);
                *k = X12_EF_CODE;
            } else if (e->type == X12_T_C) {
                *k = X12_EF_LEN;
            } else if (e->type == X12_T_R) {
                *k = X12_EF_R;
            } else if (e->type == X12_T_N0) {
                *k = X12_EF_N;
            }
        }
    }
}

/* Element syntax of a segment with a spec. Values the fast table clears
 * skip x12_check_elem(); the others get exactly its verdict. Relies on the
 * tokenizer's sentinel: element i ends at el[i + 1] - 1. */
void x12_check_seg(x12_walker *w, const x12_seg *s, int sid)
{
    const x12_sspec *sp = x12_sid_spec(sid);
    const uint32_t *range = w->ef_range[sid];
    const uint8_t *kind = w->ef_kind[sid];
    uint32_t present = s->nelem - 1; /* elements after the id */
    uint32_t indexed = present < X12_SEG_MAX_ELEMS - 1 ? present : X12_SEG_MAX_ELEMS - 1;
    uint32_t upto = indexed < sp->nelem ? indexed : sp->nelem;
    /* Present elements: offsets come straight from the tokenizer. */
    for (uint32_t i = 1; i <= upto; i++) {
        uint32_t b = s->el[i], n = s->el[i + 1] - 1 - b, r = range[i - 1];
        if (n - (r & 0xffff) <= r >> 16) {
            uint8_t k = kind[i - 1];
            if (k == X12_EF_LEN)
                continue;
            if (k == X12_EF_CODE && n <= 4) {
                uint64_t key = x12_code_key(s->p + b, n);
                const uint64_t *c = &w->ef_codes[w->ef_code_at[sid][i - 1]];
                uint32_t nc = w->ef_code_n[sid][i - 1], j = 0;
                while (j < nc && c[j] != key)
                    j++;
                if (j < nc)
                    continue;
            } else if (k == X12_EF_R || k == X12_EF_N) {
                int len = x12_num_len(s->p + b, n, k == X12_EF_R);
                if (len >= sp->e[i - 1].min && len <= sp->e[i - 1].max)
                    continue;
            }
        }
        /* An empty optional element (SBR06-08, CLM03-04, SV105-06) is fine. */
        if (!n && !sp->e[i - 1].req)
            continue;
        x12_check_elem(w, s, i, &sp->e[i - 1], s->p + b, n);
    }
    /* Absent trailing elements: only "required" can fail. */
    for (uint32_t i = upto + 1; i <= w->spec_nreq[sid]; i++)
        if (sp->e[i - 1].req)
            x12_elem_err(w, s, (uint8_t)i, 0, sp->e[i - 1].ref, X12_IK4_REQ_MISSING,
                         (x12_slice){s->p + s->len, 0});
    if (present > sp->nelem) {
        /* Trailing empty elements are tolerated; data past the definition is not. */
        for (uint32_t i = sp->nelem + 1; i <= present; i++) {
            if (x12_elen(s, i) || i >= X12_SEG_MAX_ELEMS) {
                x12_elem_err(w, s, (uint8_t)(i > 255 ? 255 : i), 0, 0, X12_IK4_TOO_MANY,
                             (x12_slice){s->p, 0});
                break;
            }
        }
    }
}

/* ---- envelope ----------------------------------------------------------- */

static int x12_txn_end(x12_walker *w, int have_se)
{
    int rc = x12_loops_close_txn(w);
    if (rc)
        return rc;
    rc = x12_claim_end(w);
    if (rc)
        return rc;
    if (!have_se)
        x12_txn_err(w, X12_IK5_TRAILER_MISSING);
    if (w->nerrs || w->errs_dropped)
        x12_txn_err(w, X12_IK5_SEG_ERRORS);
    /* errs has room past X12_WALK_MAX_ERRS for the IK5 codes. */
    for (uint32_t i = 0; i < w->ntcodes; i++)
        w->errs[w->nerrs++] = (x12_err){.level = X12_ERR_TXN, .code = w->tcodes[i], .off = w->off};
    char verdict = w->txn_bad || w->group_unsupported || w->ichg_reject ? 'R' : 'A';
    x12_txn_result r = {.st = &w->st,
                        .verdict = verdict,
                        .errs = w->errs,
                        .nerrs = w->nerrs,
                        .errs_dropped = w->errs_dropped,
                        .nsegs = w->seg_pos,
                        .nclaims = w->txn_claims};
    w->state = WS_GROUP;
    w->ntxn++;
    if (verdict != 'R')
        w->naccepted++;
    else
        w->stats.txn_rejected++;
    w->stats.transactions++;
    if (w->sink.txn_end && w->sink.txn_end(w->sink.ctx, &r))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

static int x12_group_end(x12_walker *w, const x12_seg *ge)
{
    if (w->state == WS_TXN) {
        int rc = x12_txn_end(w, 0);
        if (rc)
            return rc;
    }
    if (!ge) {
        x12_group_err(w, X12_AK9_TRAILER_MISSING);
    } else {
        char cnt[16], ctrl[16];
        x12_copy(cnt, sizeof cnt, ge, 1);
        x12_copy(ctrl, sizeof ctrl, ge, 2);
        if (strtoul(cnt, NULL, 10) != w->ntxn || !x12_valid_num(cnt, (uint32_t)strlen(cnt), 0))
            x12_group_err(w, X12_AK9_COUNT_MISMATCH);
        if (strcmp(ctrl, w->gs.ctrl) != 0)
            x12_group_err(w, X12_AK9_CTRL_MISMATCH);
    }
    char verdict;
    if (w->group_unsupported || w->naccepted == 0)
        verdict = 'R';
    else if (w->naccepted < w->ntxn)
        verdict = 'P';
    else if (w->ngerrs)
        verdict = 'E';
    else
        verdict = 'A';
    x12_group_result r = {.gs = &w->gs,
                          .verdict = verdict,
                          .ntxn = w->ntxn,
                          .nrecv = w->ntxn,
                          .naccepted = w->naccepted,
                          .errs = w->gerrs,
                          .nerrs = w->ngerrs};
    w->state = WS_ICHG;
    w->ngroups++;
    w->stats.groups++;
    if (w->sink.group_end && w->sink.group_end(w->sink.ctx, &r))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

static int x12_ichg_end(x12_walker *w, const x12_seg *iea)
{
    if (w->state == WS_TXN || w->state == WS_GROUP) {
        int rc = x12_group_end(w, NULL);
        if (rc)
            return rc;
    }
    if (!iea) {
        x12_ichg_err(w, 23, 0); /* improper (premature) end of file */
    } else {
        char cnt[16], ctrl[16];
        x12_copy(cnt, sizeof cnt, iea, 1);
        x12_copy(ctrl, sizeof ctrl, iea, 2);
        if (!x12_valid_num(cnt, (uint32_t)strlen(cnt), 0) || strtoul(cnt, NULL, 10) != w->ngroups)
            x12_ichg_err(w, 21, 0); /* invalid number of included groups */
        if (strcmp(ctrl, w->isa.ctrl) != 0)
            x12_ichg_err(w, 1, 0); /* control numbers in header and trailer differ */
    }
    x12_ichg_result r = {.isa = &w->isa,
                         .verdict = w->ichg_reject ? 'R' : (w->nierrs ? 'E' : 'A'),
                         .ta1_due = w->isa.ack_req == '1' || w->nierrs > 0,
                         .errs = w->ierrs,
                         .nerrs = w->nierrs,
                         .ngroups = w->ngroups};
    w->state = WS_ISA;
    w->stats.interchanges++;
    if (w->sink.ichg_end && w->sink.ichg_end(w->sink.ctx, &r))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

/* TA105 notes for each ISA element with a wrong width or value. */
static const struct {
    uint8_t width;
    uint8_t note;
} x12_isa_fields[16] = {{2, 10}, {10, 11}, {2, 12}, {10, 13}, {2, 5},  {15, 6}, {2, 7},  {15, 8},
                        {6, 14}, {4, 15},  {1, 16}, {5, 17},  {9, 18}, {1, 19}, {1, 20}, {1, 27}};

static void x12_isa_check(x12_walker *w, const x12_seg *s)
{
    if (s->nelem != 17) {
        x12_ichg_err(w, 24, 1);
        return;
    }
    for (uint32_t i = 1; i <= 16; i++) {
        const char *p = x12_eptr(s, i);
        uint32_t n = x12_elen(s, i);
        int bad = n != x12_isa_fields[i - 1].width;
        if (!bad && (i == 9 || i == 10 || i == 13))
            bad = !x12_valid_num(p, n, 0);
        if (!bad && i == 9)
            bad = (p[2] - '0') * 10 + (p[3] - '0') > 12 || (p[4] - '0') * 10 + (p[5] - '0') > 31;
        if (!bad && i == 10)
            bad = !x12_valid_time(p, n);
        if (!bad && i == 14)
            bad = p[0] != '0' && p[0] != '1';
        if (!bad && i == 15)
            bad = p[0] != 'P' && p[0] != 'T';
        if (bad) {
            x12_ichg_err(w, x12_isa_fields[i - 1].note, 1);
            return; /* a TA1 reports one note */
        }
    }
}

static int x12_on_isa(x12_walker *w, const x12_seg *s)
{
    memset(&w->isa, 0, sizeof w->isa);
    x12_isa *isa = &w->isa;
    x12_copy(isa->auth_qual, sizeof isa->auth_qual, s, 1);
    x12_copy(isa->auth, sizeof isa->auth, s, 2);
    x12_copy(isa->sec_qual, sizeof isa->sec_qual, s, 3);
    x12_copy(isa->sec, sizeof isa->sec, s, 4);
    x12_copy(isa->sender_qual, sizeof isa->sender_qual, s, 5);
    x12_copy(isa->sender, sizeof isa->sender, s, 6);
    x12_copy(isa->receiver_qual, sizeof isa->receiver_qual, s, 7);
    x12_copy(isa->receiver, sizeof isa->receiver, s, 8);
    x12_copy(isa->date, sizeof isa->date, s, 9);
    x12_copy(isa->time, sizeof isa->time, s, 10);
    x12_copy(isa->version, sizeof isa->version, s, 12);
    x12_copy(isa->ctrl, sizeof isa->ctrl, s, 13);
    isa->ack_req = x12_elen(s, 14) ? x12_eptr(s, 14)[0] : 0;
    isa->usage = x12_elen(s, 15) ? x12_eptr(s, 15)[0] : 0;
    isa->delims = w->d;
    isa->off = s->off;
    w->nierrs = 0;
    w->ichg_reject = 0;
    w->ngroups = 0;
    w->state = WS_ICHG;
    x12_isa_check(w, s);
    memcpy(w->tmpl.isa13, isa->ctrl, sizeof w->tmpl.isa13);
    if (w->sink.ichg_begin && w->sink.ichg_begin(w->sink.ctx, isa))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

static int x12_on_gs(x12_walker *w, const x12_seg *s)
{
    memset(&w->gs, 0, sizeof w->gs);
    x12_gs *gs = &w->gs;
    x12_copy(gs->func, sizeof gs->func, s, 1);
    x12_copy(gs->sender, sizeof gs->sender, s, 2);
    x12_copy(gs->receiver, sizeof gs->receiver, s, 3);
    x12_copy(gs->date, sizeof gs->date, s, 4);
    x12_copy(gs->time, sizeof gs->time, s, 5);
    x12_copy(gs->ctrl, sizeof gs->ctrl, s, 6);
    x12_copy(gs->agency, sizeof gs->agency, s, 7);
    x12_copy(gs->version, sizeof gs->version, s, 8);
    gs->off = s->off;
    w->ngerrs = 0;
    w->ntxn = 0;
    w->naccepted = 0;
    w->nst02 = 0;
    w->group_unsupported = 0;
    if (!x12_elem_is(s, 1, "HC")) {
        x12_group_err(w, X12_AK9_NOT_SUPPORTED);
        w->group_unsupported = 1;
    } else if (strncmp(gs->version, "005010", 6) != 0) {
        x12_group_err(w, X12_AK9_VERSION);
        w->group_unsupported = 1;
    }
    if (!x12_valid_num(gs->ctrl, (uint32_t)strlen(gs->ctrl), 0))
        x12_group_err(w, X12_AK9_BAD_CTRL);
    memcpy(w->tmpl.gs06, gs->ctrl, sizeof w->tmpl.gs06);
    w->state = WS_GROUP;
    if (w->sink.group_begin && w->sink.group_begin(w->sink.ctx, gs))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

static clm_type x12_impl_type(const char *impl)
{
    if (strncmp(impl, "005010X222", 10) == 0)
        return CLM_TYPE_837P;
    if (strncmp(impl, "005010X223", 10) == 0)
        return CLM_TYPE_837I;
    return CLM_TYPE_NONE;
}

/* ST02 must be unique in its group: remember a hash of each one seen. */
static int x12_st02_seen(x12_walker *w, const char *ctrl)
{
    uint64_t h = 1469598103934665603u;
    for (const char *p = ctrl; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    for (uint32_t i = 0; i < w->nst02; i++)
        if (w->st02[i] == h)
            return 1;
    if (w->nst02 == w->st02_cap) {
        uint32_t cap = w->st02_cap ? w->st02_cap * 2 : 64;
        uint64_t *p = realloc(w->st02, cap * sizeof *p);
        if (!p)
            return 0; /* cannot remember more: skip the check, never fail the walk */
        w->st02 = p;
        w->st02_cap = cap;
    }
    w->st02[w->nst02++] = h;
    return 0;
}

static int x12_on_st(x12_walker *w, const x12_seg *s)
{
    memset(&w->st, 0, sizeof w->st);
    x12_st *st = &w->st;
    x12_copy(st->id, sizeof st->id, s, 1);
    x12_copy(st->ctrl, sizeof st->ctrl, s, 2);
    if (x12_elen(s, 3))
        x12_copy(st->impl, sizeof st->impl, s, 3);
    else
        memcpy(st->impl, w->gs.version, sizeof w->gs.version);
    st->off = s->off;
    w->nerrs = 0;
    w->errs_dropped = 0;
    w->ntcodes = 0;
    w->txn_bad = 0;
    w->seg_pos = 1;
    w->elem_err_seg = 0;
    w->txn_claims = 0;
    w->state = WS_TXN;
    x12_loops_begin_txn(w);
    st->type = w->group_unsupported ? CLM_TYPE_NONE : x12_impl_type(st->impl);
    if (!x12_elem_is(s, 1, "837") || st->type == CLM_TYPE_NONE)
        x12_txn_err(w, w->group_unsupported || x12_elen(s, 1) ? X12_IK5_NOT_SUPPORTED
                                                              : X12_IK5_BAD_ID);
    if (x12_elen(s, 2) < 4 || x12_elen(s, 2) > 9)
        x12_txn_err(w, X12_IK5_BAD_CTRL);
    else if (x12_st02_seen(w, st->ctrl))
        x12_txn_err(w, X12_IK5_CTRL_NOT_UNIQUE);
    w->txn_type = x12_elem_is(s, 1, "837") ? st->type : CLM_TYPE_NONE;
    memset(&w->tmpl, 0, offsetof(clm_claim, claim_id));
    w->tmpl.type = w->txn_type;
    memcpy(w->tmpl.isa13, w->isa.ctrl, sizeof w->tmpl.isa13);
    memcpy(w->tmpl.gs06, w->gs.ctrl, sizeof w->tmpl.gs06);
    memcpy(w->tmpl.st02, st->ctrl, sizeof w->tmpl.st02);
    if (w->sink.txn_begin && w->sink.txn_begin(w->sink.ctx, st))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

static int x12_on_se(x12_walker *w, const x12_seg *s)
{
    char cnt[16], ctrl[16];
    x12_copy(cnt, sizeof cnt, s, 1);
    x12_copy(ctrl, sizeof ctrl, s, 2);
    if (!x12_valid_num(cnt, (uint32_t)strlen(cnt), 0) || strtoul(cnt, NULL, 10) != w->seg_pos)
        x12_txn_err(w, X12_IK5_COUNT_MISMATCH);
    if (strcmp(ctrl, w->st.ctrl) != 0)
        x12_txn_err(w, X12_IK5_CTRL_MISMATCH);
    return x12_txn_end(w, 1);
}

/* ---- claims ------------------------------------------------------------- */

int x12_claim_end(x12_walker *w)
{
    if (!w->in_claim)
        return 0;
    w->in_claim = 0;
    w->in_line = 0;
    clm_claim *c = &w->cur;
    c->lines = w->lines;
    w->txn_claims++;
    w->stats.claims++;
    w->stats.lines += c->nlines;
    if (w->sink.claim && w->sink.claim(w->sink.ctx, c))
        return -CLAIMD_EX12_STOPPED;
    return 0;
}

int x12_claim_begin(x12_walker *w, const x12_seg *s)
{
    int rc = x12_claim_end(w);
    if (rc)
        return rc;
    clm_claim *c = &w->cur;
    /* The context part (envelope, provider, subscriber, patient) comes from
     * the template; the claim part starts empty. */
    memcpy(c, &w->tmpl, offsetof(clm_claim, claim_id));
    /* The diagnosis and issue arrays are not cleared: only their first ndx
     * and nissues entries mean anything, and each is written whole when it
     * is added. */
    memset((char *)c + offsetof(clm_claim, claim_id), 0,
           offsetof(clm_claim, dx) - offsetof(clm_claim, claim_id));
    c->ndx = 0;
    c->lines = NULL;
    c->nlines = 0;
    c->nissues = 0;
    c->issues_dropped = 0;
    c->file_off = s->off;
    c->seg_index = w->seg_pos;
    w->in_claim = 1;
    w->in_line = 0;
    return 0;
}

/* A new service line in the current claim; NULL when memory runs out (the
 * line is then counted as an issue, never a crash). */
clm_line *x12_line_begin(x12_walker *w, const x12_seg *s)
{
    clm_claim *c = &w->cur;
    if (c->nlines == w->lines_cap) {
        uint32_t cap = w->lines_cap ? w->lines_cap * 2 : 64;
        clm_line *p = realloc(w->lines, cap * sizeof *p);
        if (!p) {
            x12_claim_issue(w, s, CLM_ISSUE_TOO_MANY, 0);
            return NULL;
        }
        w->lines = p;
        w->lines_cap = cap;
    }
    clm_line *l = &w->lines[c->nlines++];
    memset(l, 0, sizeof *l);
    l->number = c->nlines;
    c->lines = w->lines;
    w->in_line = 1;
    return l;
}

/* ---- dispatch ----------------------------------------------------------- */

/* Recursion: once at most (an outer trailer ends the transaction, then is
 * read again). */
// NOLINTNEXTLINE(misc-no-recursion)
static int x12_segment(x12_walker *w, const x12_seg *s, uint32_t id)
{
    /* An id that is not [A-Z][A-Z0-9]{1,2} matches no id the walker knows,
     * so it needs no syntax check of its own: it ends up "unrecognized". */
    w->off = s->off;
    w->stats.segments++;
    switch (w->state) {
    case WS_ICHG:
        if (id == X12_ID2('G', 'S'))
            return x12_on_gs(w, s);
        if (id == X12_ID3('I', 'E', 'A'))
            return x12_ichg_end(w, s);
        x12_ichg_err(w, 24, 0); /* invalid interchange content */
        return 0;
    case WS_GROUP:
        if (id == X12_ID2('S', 'T'))
            return x12_on_st(w, s);
        if (id == X12_ID2('G', 'E'))
            return x12_group_end(w, s);
        if (id == X12_ID3('I', 'E', 'A'))
            return x12_ichg_end(w, s);
        x12_ichg_err(w, 24, 0);
        return 0;
    case WS_TXN:
        break;
    default:
        return 0;
    }
    /* The body of a transaction first: any segment but ST, SE, GS, GE
     * (sids 0-3), IEA and the unknown ones. */
    int sid = id ? x12_sid_fast(w, id) : -1;
    if (sid > X12_S_GE) {
        w->seg_pos++;
        /* x12_body() took the body segments it could read: the rest is
         * the general path's */
        return w->txn_type ? x12_loops_segment(w, s, sid) : 0;
    }
    /* Inside a transaction: a trailer of an outer envelope ends it early. */
    if (id == X12_ID2('G', 'E') || id == X12_ID3('I', 'E', 'A') || id == X12_ID2('S', 'T')) {
        int rc = x12_txn_end(w, 0);
        if (rc)
            return rc;
        return x12_segment(w, s, id);
    }
    w->seg_pos++;
    if (id == X12_ID2('S', 'E'))
        return x12_on_se(w, s);
    if (!w->txn_type)
        return 0; /* an unsupported transaction is only counted */
    if (sid < 0) {
        x12_seg_err(w, s, NULL, NULL, X12_IK3_UNRECOGNIZED);
        return 0;
    }
    return x12_loops_segment(w, s, sid);
}

/* ---- feeding ------------------------------------------------------------ */

int x12_walker_create(const x12_sink *sink, x12_walker **out)
{
    x12_walker *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    if (sink)
        w->sink = *sink;
    w->state = WS_START;
    memset(w->body_sid, 0xff, sizeof w->body_sid);
    x12_loops_init(w);
    *out = w;
    return 0;
}

void x12_walker_free(x12_walker *w)
{
    if (!w)
        return;
    free(w->lines);
    free(w->st02);
    free(w);
}

void x12_walker_force_general(x12_walker *w, bool on)
{
    w->general = on;
}

uint64_t x12_walker_error_off(const x12_walker *w)
{
    return w->err_off;
}

void x12_walker_stats(const x12_walker *w, x12_walk_stats *out)
{
    *out = w->stats;
}

static int x12_fail(x12_walker *w, int rc, uint64_t off)
{
    w->failed = rc;
    w->err_off = off;
    return rc;
}

/* Skips a UTF-8 byte-order mark (start of input only) and white space, then
 * reads the delimiters of the ISA at buf[*pos]. 1 when more bytes are
 * needed, 0 when the delimiters are set, or an error. */
static int x12_find_isa(x12_walker *w, const char *buf, size_t len, size_t *pos, int final)
{
    size_t p = *pos;
    if (w->base == 0 && p == 0 && w->state == WS_START) {
        if (len < 3 && !final && memcmp(buf, "\xEF\xBB\xBF", len) == 0)
            return 1;
        if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            p = 3;
    }
    while (p < len && (buf[p] == ' ' || buf[p] == '\r' || buf[p] == '\n' || buf[p] == '\t' ||
                       buf[p] == '\0' || buf[p] == 0x1a))
        p++;
    *pos = p;
    if (p == len)
        return 1;
    size_t isa_len;
    int rc = x12_delims_detect(buf + p, len - p, &w->d, &isa_len);
    if (rc == -EAGAIN && !final)
        return 1;
    if (rc == -EAGAIN)
        rc = w->state == WS_START ? -CLAIMD_EX12_NOT_X12 : -CLAIMD_EX12_TRUNCATED;
    if (rc == -CLAIMD_EX12_NOT_X12 && w->state != WS_START)
        rc = -CLAIMD_EX12_NOT_X12; /* bytes after an IEA that are not an ISA */
    if (rc)
        return x12_fail(w, rc, w->base + p);
    x12_body_keys(w);
    return 0;
}

static int x12_run(x12_walker *w, const char *buf, size_t len, size_t *used, int final)
{
    size_t pos = 0;
    for (;;) {
        if (w->state == WS_START || w->state == WS_ISA) {
            int rc = x12_find_isa(w, buf, len, &pos, final);
            if (rc == 1)
                break;
            if (rc)
                return rc;
            w->state = WS_ISA;
        }
        x12_tok t;
        x12_tok_init(&t, buf + pos, len - pos, &w->d, w->base + pos);
        w->buf_end = buf + len;
        x12_seg s;
        int got;
        while ((got = x12_tok_next(&t, &s)) == 1) {
            int rc;
            if (w->state == WS_TXN) {
                rc = x12_body(w, &s);
                if (rc <= 0) {
                    if (rc)
                        return x12_fail(w, rc, s.off);
                    continue;
                }
            }
            uint32_t id = x12_seg_id(&s, w->d.elem);
            if (w->state == WS_ISA) {
                if (id != X12_ID3('I', 'S', 'A'))
                    return x12_fail(w, -CLAIMD_EX12_NOT_X12, s.off);
                rc = x12_on_isa(w, &s);
            } else {
                rc = x12_segment(w, &s, id);
            }
            if (rc)
                return x12_fail(w, rc, s.off);
            if (w->state == WS_ISA) /* after IEA: delimiters may change */
                break;
        }
        pos += t.pos;
        if (got == 0)
            break;
    }
    if (!final && len - pos > X12_MAX_SEG_BYTES)
        return x12_fail(w, -CLAIMD_EX12_SEG_TOO_LONG, w->base + pos);
    *used = pos;
    w->base += pos;
    w->stats.bytes = w->base;
    return 0;
}

int x12_walker_feed(x12_walker *w, const char *buf, size_t len, size_t *used)
{
    if (w->failed)
        return w->failed;
    *used = 0;
    return x12_run(w, buf, len, used, 0);
}

int x12_walker_finish(x12_walker *w, const char *buf, size_t len)
{
    if (w->failed)
        return w->failed;
    if (!buf) /* an empty input: no offset may be applied to a null pointer */
        buf = "", len = 0;
    size_t used = 0;
    int rc = x12_run(w, buf, len, &used, 1);
    if (rc)
        return rc;
    buf += used;
    len -= used;
    while (len && (*buf == ' ' || *buf == '\r' || *buf == '\n' || *buf == '\t' || *buf == 0 ||
                   *buf == 0x1a)) {
        buf++;
        len--;
        w->base++;
    }
    if (len && w->state != WS_START && w->state != WS_ISA) {
        /* A last segment without its terminator (often the IEA): read it as
         * if the terminator were there. */
        char *tmp = malloc(len + 1);
        if (!tmp)
            return x12_fail(w, -ENOMEM, w->base);
        memcpy(tmp, buf, len);
        tmp[len] = w->d.seg;
        rc = x12_run(w, tmp, len + 1, &used, 1);
        free(tmp);
        if (rc)
            return rc;
        len = 0;
    }
    if (len)
        return x12_fail(w, -CLAIMD_EX12_NOT_X12, w->base);
    if (w->state == WS_START)
        return x12_fail(w, -CLAIMD_EX12_NOT_X12, 0);
    if (w->state != WS_ISA) {
        rc = x12_ichg_end(w, NULL);
        if (rc)
            return x12_fail(w, rc, w->base);
    }
    return 0;
}
