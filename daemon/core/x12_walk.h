/* Internal to the walker: its state, shared by x12_walk.c (envelope, feeding,
 * errors) and x12_loops.c (loop structure and the claim fields). */
#ifndef CLAIMD_X12_WALK_H
#define CLAIMD_X12_WALK_H

#include "claimd/x12.h"
#include "x12_walk_int.h"

#include <stddef.h>
#include <string.h>

#define X12_WALK_MAX_ERRS      64 /* IK3/IK4 kept per transaction; the rest are counted */
#define X12_WALK_MAX_TXN_CODES 5  /* IK502..IK506 */
#define X12_LOOP_DEPTH         4 /* HL level, then 2300/2010xx, then 2310/2320/2400, then 2330/24x0 */

enum x12_wstate { WS_START, WS_ISA, WS_ICHG, WS_GROUP, WS_TXN };

/* The loops of 005010X222A1 and X223A2 the walker knows. */
enum x12_loop {
    L_NONE,
    L_HDR,
    L_1000A,
    L_1000B,
    L_2000A,
    L_2010AA,
    L_2010AB,
    L_2010AC,
    L_2000B,
    L_2010BA,
    L_2010BB,
    L_2000C,
    L_2010CA,
    L_2300,
    L_2310A,
    L_2310B,
    L_2310C,
    L_2310D,
    L_2310E,
    L_2310F,
    L_2320,
    L_2330A,
    L_2330B,
    L_2330C,
    L_2330D,
    L_2330E,
    L_2330F,
    L_2330G,
    L_2400,
    L_2410,
    L_2420A,
    L_2420B,
    L_2420C,
    L_2420D,
    L_2420E,
    L_2420F,
    L_2420G,
    L_2420H,
    L_2430,
    L_2440,
    L_COUNT
};

#define X12_LOOP_SEGS 20

typedef struct x12_loop_inst {
    uint8_t loop;     /* enum x12_loop */
    uint8_t last_ord; /* ordinal of the last segment seen (order check) */
    uint8_t nref_tax; /* 2010AA: tax id REFs seen */
    uint32_t seen;    /* bit i: rule i of the loop occurred, and counts[i] is set */
    uint8_t counts[X12_LOOP_SEGS];
    uint64_t has_child;      /* bit l: child[l] is set (loop l opened in this instance) */
    uint16_t child[L_COUNT]; /* child loops opened in this instance */
    uint8_t pad[8];          /* 128 bytes: the stack is indexed by a shift */
} x12_loop_inst;

typedef struct x12_slice {
    const char *p;
    uint32_t n;
} x12_slice;

/* The element checks' common case, per element of a segment spec: a value
 * whose length n satisfies n - min <= span is free of errors when kind is
 * X12_EF_LEN; X12_EF_R/X12_EF_N numbers still have their digits measured;
 * X12_EF_SLOW values (dates, times, code lists) and anything outside the
 * range go through the general check. Built from x12_spec.c at create. */
enum { X12_EF_LEN, X12_EF_R, X12_EF_N, X12_EF_CODE, X12_EF_SLOW };
/* X12_EF_CODE: code lists whose codes are all 1-4 bytes, as keys (length <<
 * 32 | the upper-cased bytes) in ef_codes[ef_code_at .. + ef_code_n). */
#define X12_EF_MAX_CODES   64
#define X12_SPEC_MAX_ELEMS 24

/* min | span << 16, and the kind apart: the loop reads one word a value. */
#define X12_EF_RANGE(min, span) ((uint32_t)(min) | (uint32_t)(span) << 16)

struct x12_walker {
    x12_sink sink;
    int general; /* every segment takes the general path (x12_walker_force_general) */
    enum x12_wstate state;
    x12_delims d;
    uint64_t base;       /* input offset of the next buffer's first byte */
    uint64_t off;        /* offset of the segment being handled */
    const char *buf_end; /* end of the buffer being walked: how far a wide load may read */
    int failed;
    uint64_t err_off;
    x12_walk_stats stats;

    /* interchange */
    x12_isa isa;
    x12_err ierrs[8];
    uint32_t nierrs;
    int ichg_reject;
    uint32_t ngroups;

    /* group */
    x12_gs gs;
    x12_err gerrs[5];
    uint32_t ngerrs;
    uint32_t ntxn, naccepted;
    int group_unsupported;
    uint64_t *st02; /* hashes of the ST02 values seen in this group */
    uint32_t nst02, st02_cap;

    /* transaction */
    x12_st st;
    clm_type txn_type; /* NONE: the transaction is only counted */
    x12_err errs[X12_WALK_MAX_ERRS + X12_WALK_MAX_TXN_CODES];
    uint16_t tcodes[X12_WALK_MAX_TXN_CODES];
    uint32_t ntcodes;
    uint32_t nerrs, errs_dropped;
    int txn_bad;
    uint32_t seg_pos;      /* position of the current segment, ST = 1 */
    uint32_t elem_err_seg; /* segment position that has its IK3 code 8 already */
    uint32_t txn_claims;

    /* loop structure: rule ordinals by segment index, and the rules each
     * loop requires (per claim type), precomputed at create */
    /* per loop and sid: 1 + the rule index (0 when not in the loop's
     * rules) in the low byte, the rule's maximum use in the high byte */
    uint16_t rule[L_COUNT][X12_NSID];
    uint32_t req_mask[2][L_COUNT];   /* [0] 837P, [1] 837I */
    uint64_t req_child[L_COUNT];     /* bit l: loop l must occur in each instance */
    /* The loop an NM1 opens, by its parent loop and NM101 (x12_nm1_target):
     * the key parent << 16 | NM101 in slot (key * nm1_mul) >> 24, where no
     * two keys meet (nm1_key 0: empty); the loop for 837P in the low byte
     * of nm1_loops, for 837I in the high one. */
    uint32_t nm1_key[256];
    uint16_t nm1_loops[256];
    uint32_t nm1_mul;
    uint64_t leaf_loops; /* bit l: loop l holds no NM1-opened loop (an NM1 in it opens a sibling) */
    uint16_t max_repeat[2][L_COUNT]; /* per parent instance; 0 = unbounded */
    uint8_t spec_nreq[X12_NSPEC];   /* elements up to the last required one, per sid */
    uint8_t sid_slot[256];          /* id -> sid, open addressing by X12_SID_HASH, 0xff empty */
    uint32_t sid_ids[X12_NSID];
    /* The transaction body's segment ids with the element separator that
     * follows them, as the first bytes of a segment read them (x12_body_sid):
     * open addressing by X12_SID_HASH, body_sid 0xff empty. Rebuilt when an
     * ISA sets the delimiters. */
    uint32_t body_key[256];
    uint8_t body_sid[256];
    uint32_t ef_range[X12_NSPEC][X12_SPEC_MAX_ELEMS];
    uint8_t ef_kind[X12_NSPEC][X12_SPEC_MAX_ELEMS];
    uint8_t ef_code_at[X12_NSPEC][X12_SPEC_MAX_ELEMS], ef_code_n[X12_NSPEC][X12_SPEC_MAX_ELEMS];
    uint64_t ef_codes[X12_EF_MAX_CODES];
    uint32_t ef_ncodes;
    x12_loop_inst stack[X12_LOOP_DEPTH];
    int depth;
    uint32_t hl_last;      /* last HL01 */
    uint32_t hl_20, hl_22; /* HL01 of the current 2000A / 2000B */
    uint8_t hl_level;      /* 20, 22, 23 of the current HL */
    uint32_t hl_count;
    uint32_t lx_last;

    /* claims */
    clm_claim tmpl; /* envelope, provider, subscriber and patient context */
    clm_claim cur;
    int in_claim, in_line;
    clm_line *lines;
    uint32_t lines_cap;
};

/* Element i's length and first byte, as x12_seg_elem_len()/x12_seg_elem()
 * give them, for segments from x12_tok_next() (the only ones the walker
 * sees): its sentinel el[nelem] = len + 1 makes every present element end at
 * el[i + 1] - 1. */
static inline uint32_t x12_elen(const x12_seg *s, uint32_t i)
{
    uint32_t k = s->nelem < X12_SEG_MAX_ELEMS ? s->nelem : X12_SEG_MAX_ELEMS;
    return i < k ? s->el[i + 1] - 1 - s->el[i] : 0;
}

static inline const char *x12_eptr(const x12_seg *s, uint32_t i)
{
    uint32_t k = s->nelem < X12_SEG_MAX_ELEMS ? s->nelem : X12_SEG_MAX_ELEMS;
    return i < k ? s->p + s->el[i] : s->p + s->len;
}

#define X12_SID_HASH(id) (((uint32_t)(id)*0x9E3779B1u) >> 24)

/* x12_sid() by table: the segment id's sid, or -1. */
static inline int x12_sid_fast(const x12_walker *w, uint32_t id)
{
    for (uint32_t h = X12_SID_HASH(id);; h = (h + 1) & 255) {
        uint8_t sid = w->sid_slot[h];
        if (sid == 0xff)
            return -1;
        if (w->sid_ids[sid] == id)
            return sid;
    }
}

/* x12_walk.c */
uint32_t x12_seg_id(const x12_seg *s, char elem);
/* The sid of a transaction-body segment (one x12_segment() hands to
 * x12_loops_segment()), from the segment's first four bytes: its id and
 * the separator after it. -1 for anything else (the envelope, an unknown
 * or malformed id, a segment of fewer than three bytes), which then takes
 * x12_seg_id() and x12_segment(). */
static inline int x12_body_sid(const x12_walker *w, const x12_seg *s)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (s->len < 3) /* p[3] is at most the terminator */
        return -1;
    uint32_t x;
    memcpy(&x, s->p, 4);
    /* two letters and the separator, or three and the separator */
    uint32_t two = (x >> 16 & 0xff) == (unsigned char)w->d.elem;
    uint32_t key = x & (0xffffffffu >> (8 * two));
    for (uint32_t h = X12_SID_HASH(key);; h = (h + 1) & 255) {
        uint8_t sid = w->body_sid[h];
        if (sid == 0xff || w->body_key[h] == key)
            return sid == 0xff ? -1 : sid;
    }
#else
    (void)w;
    (void)s;
    return -1;
#endif
}

uint32_t x12_copy(char *dst, size_t cap, const x12_seg *s, uint32_t i);
uint32_t x12_comps(const x12_walker *w, const x12_seg *s, uint32_t i, x12_slice *out, uint32_t max);
void x12_slice_copy(char *dst, size_t cap, x12_slice v);
void x12_slice_copy_upper(char *dst, size_t cap, x12_slice v);

static inline unsigned char x12_upper(char c)
{
    return (unsigned char)(c >= 'a' && c <= 'z' ? c - 32 : c);
}

/* One pass over a numeric value: its X12 length (digits only) when it is a
 * valid number of the type, else -1 (the general check then reports it as
 * x12_check_elem() does). n >= 1. */
static inline int x12_num_len(const char *p, uint32_t n, int decimal)
{
    uint32_t i = 0, digits = 0, dots = 0;
    if (p[0] == '-')
        i++;
    for (; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d <= 9)
            digits++;
        else if (decimal && p[i] == '.' && !dots)
            dots++;
        else
            return -1;
    }
    return digits ? (int)digits : -1;
}

/* Case-insensitive compare of a value with an upper-case literal. Inline, so
 * that a literal's length is a constant and the loop unrolls. */
static inline int x12_ieq(const char *a, size_t n, const char *lit)
{
    if (n != __builtin_strlen(lit))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (x12_upper(a[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

static inline int x12_elem_is(const x12_seg *s, uint32_t i, const char *lit)
{
    return x12_ieq(x12_eptr(s, i), x12_elen(s, i), lit);
}

static inline int x12_slice_is(x12_slice v, const char *lit)
{
    return x12_ieq(v.p, v.n, lit);
}
void x12_seg_err(x12_walker *w, const x12_seg *s, const char *seg_id, const char *loop,
                 uint16_t code);
void x12_elem_err(x12_walker *w, const x12_seg *s, uint8_t elem, uint8_t comp, uint16_t ref,
                  uint16_t code, x12_slice bad);
void x12_ichg_err(x12_walker *w, uint16_t note, int reject);
void x12_claim_issue(x12_walker *w, const x12_seg *s, uint8_t kind, uint8_t elem);
void x12_check_seg(x12_walker *w, const x12_seg *s, int sid);
void x12_check_init(x12_walker *w);
int x12_claim_begin(x12_walker *w, const x12_seg *s);
int x12_claim_end(x12_walker *w);
clm_line *x12_line_begin(x12_walker *w, const x12_seg *s);

/* x12_loops.c */
static inline int x12_is_p(const x12_walker *w)
{
    return w->txn_type == CLM_TYPE_837P;
}

void x12_loops_init(x12_walker *w);
const char *x12_loops_name(const x12_walker *w); /* IK303 of the innermost loop, "" outside */
/* The field stores the general path and x12_fast.c share. */
void x12_lx_store(x12_walker *w, const x12_seg *s, uint32_t n, int ok);
void x12_dtp_store(x12_walker *w, const x12_seg *s, int loop, uint32_t from, uint32_t to);
void x12_dmg_store(x12_walker *w, int loop, uint32_t dob, char sex);
void x12_loops_begin_txn(x12_walker *w);
int x12_loops_segment(x12_walker *w, const x12_seg *s, int sid);
/* The loop machinery x12_fast.c shares. */
int x12_nm1_target(const x12_walker *w, const x12_seg *s, int *level);
int x12_claim_level(const x12_walker *w);
int x12_line_level(const x12_walker *w);
void x12_fields(x12_walker *w, const x12_seg *s, int sid, int loop);
int x12_clm_fields(x12_walker *w, const x12_seg *s);
int x12_hl_loop(const x12_seg *s);
void x12_hl_enter(x12_walker *w, int loop, uint32_t hl);
int x12_loops_close_txn(x12_walker *w);

/* x12_fast.c: what x12_fast_segment() did with a segment. */
enum {
    X12_FAST_NONE,    /* nothing: the general check and fields follow */
    X12_FAST_CHECKED, /* its elements are clean: the fields follow */
    X12_FAST_DONE,    /* clean, and its fields are filled */
};
/* Returns X12_FAST_* or a negative error of the sink (a CLM hands the
 * previous claim over). */
int x12_fast_segment(x12_walker *w, const x12_seg *s, int sid, int loop);
/* x12_segment() for the transaction body, most of a file: 1 when the
 * segment is not the body's (nothing changed), else 0 or an error. */
int x12_body(x12_walker *w, const x12_seg *s);

#endif
