/* x12_: reading ASC X12 interchanges.
 *
 * Three layers, each usable alone:
 *   1. x12_delims_detect(): the delimiters, from the fixed-width ISA segment.
 *   2. x12_tok: a zero-copy tokenizer: segments and their element offsets as
 *      positions in the caller's buffer; no allocation; never reads outside
 *      [buf, buf + len). SIMD (AVX2) is chosen at run time, with a scalar
 *      path that gives the same results.
 *   3. x12_walker: a streaming 837 walker. The caller feeds bytes in any
 *      chunking; the walker consumes whole segments, keeps the loop state,
 *      checks the envelope and syntax (SNIP 1 and the structural part of
 *      SNIP 2), fills clm_claim records and reports everything through a
 *      sink of callbacks. Memory does not depend on the input's size.
 *
 * Errors found in the input are data (x12_err records handed to the sink for
 * the 999/TA1), never a failed call: a call fails only when the input cannot
 * be read as X12 at all, or the sink asks to stop.
 *
 * Input data can carry PHI: x12_err.bad and the claim fields must never be
 * logged; everything else in these structs is safe to log.
 */
#ifndef CLAIMD_X12_H
#define CLAIMD_X12_H

#include "claimd/claim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- delimiters --------------------------------------------------------- */

typedef struct x12_delims {
    char elem; /* byte after "ISA" */
    char rep;  /* ISA11 in 5010, 0 when there is no repetition separator */
    char comp; /* ISA16 */
    char seg;  /* byte after ISA16 */
} x12_delims;

#define X12_ISA_LEN 106 /* "ISA" .. ISA16 plus the segment terminator */

/* Finds the delimiters of the ISA that starts at buf[0]. The ISA's element
 * widths are not checked here (that is the walker's TA1 business): the
 * delimiters are read by counting 16 element separators, so an ISA with a
 * wrong field width still yields usable delimiters.
 * Returns the ISA's length through *isa_len (terminator included), and 0, or:
 *   -EAGAIN                 len is too short to hold the whole ISA
 *   -CLAIMD_EX12_NOT_X12    buf does not start with "ISA"
 *   -CLAIMD_EX12_BAD_ISA    the separators are unusable (alphanumeric,
 *                           equal to each other, or no terminator)
 */
int x12_delims_detect(const char *buf, size_t len, x12_delims *out, size_t *isa_len);

/* ---- tokenizer ---------------------------------------------------------- */

#define X12_SEG_MAX_ELEMS 48 /* element offsets kept per segment (ISA has 16, CLM 20) */

/* One segment: element 0 is the segment id. Element i (< nelem) spans
 * [p + el[i], p + el[i] + x12_seg_elem_len(s, i)). Elements past
 * X12_SEG_MAX_ELEMS are counted in nelem but have no offset. */
typedef struct x12_seg {
    const char *p;  /* first byte of the segment id, in the caller's buffer */
    uint32_t len;   /* bytes up to the terminator, trailing CR/LF removed */
    uint32_t nelem; /* elements, the id included */
    uint64_t off;   /* byte offset of p in the whole input */
    uint32_t el[X12_SEG_MAX_ELEMS + 1];
} x12_seg;

typedef struct x12_tok {
    const char *buf;
    size_t len;
    size_t pos; /* next byte to read; the start of the unread tail after 0 */
    uint64_t base_off;
    x12_delims d;
    /* structural-character bitmap of the 64-byte block at blk (the general
     * path's; the SIMD fast paths keep theirs in registers) */
    size_t blk;
    uint64_t mask;
    uint64_t (*scan)(const char *p, char a, char b); /* AVX-512, AVX2 or scalar */
    /* the SIMD fast path for a segment at start with 64 bytes from it, or
     * NULL (scalar) */
    int (*fast)(struct x12_tok *t, struct x12_seg *s, size_t start);
    /* the SIMD fast paths' last 64-byte window at buf + win: its terminator
     * and separator bitmaps (win = SIZE_MAX: none) */
    size_t win;
    uint64_t win_term, win_sep;
} x12_tok;

/* Starts tokenizing buf[0..len) with delimiters d; base_off is the offset of
 * buf[0] in the whole input (for x12_seg.off). */
void x12_tok_init(x12_tok *t, const char *buf, size_t len, const x12_delims *d, uint64_t base_off);

/* Reads the next complete segment. Whitespace (CR, LF, space, tab) before a
 * segment is skipped. Returns 1 and fills *s; 0 when no complete segment is
 * left (t->pos is then the start of the incomplete tail, which the caller
 * keeps and feeds again with more bytes). Never fails. */
int x12_tok_next(x12_tok *t, x12_seg *s);

static inline uint32_t x12_seg_elem_len(const x12_seg *s, uint32_t i)
{
    if (i >= s->nelem || i >= X12_SEG_MAX_ELEMS)
        return 0;
    uint32_t end = (i + 1 < s->nelem && i + 1 <= X12_SEG_MAX_ELEMS) ? s->el[i + 1] - 1 : s->len;
    return end - s->el[i];
}

static inline const char *x12_seg_elem(const x12_seg *s, uint32_t i)
{
    return (i < s->nelem && i < X12_SEG_MAX_ELEMS) ? s->p + s->el[i] : s->p + s->len;
}

/* Which scanner the tokenizer uses: "avx512", "avx2" or "scalar". */
const char *x12_tok_impl(void);

/* Forces the scalar scanner (tests compare both). Not thread-safe: call it
 * before tokenizing. */
void x12_tok_force_scalar(bool on);

/* Caps the scanner at impl ("scalar", "avx2", "avx512"; NULL: the best the
 * CPU has), so tests reach every path on any machine. Returns 0, -ENOTSUP
 * when the CPU lacks it, or -EINVAL for another name. Not thread-safe. */
int x12_tok_force(const char *impl);

/* ---- errors (for the 999 and TA1) -------------------------------------- */

typedef enum x12_err_level {
    X12_ERR_ELEM = 1, /* IK4: an element error, under the IK3 before it */
    X12_ERR_SEG,      /* IK3: a segment error */
    X12_ERR_TXN,      /* IK5: a transaction set error (IK502 code) */
    X12_ERR_GROUP,    /* AK9: a functional group error (AK905 code) */
    X12_ERR_ICHG,     /* TA1: an interchange error (TA105 note code) */
} x12_err_level;

/* IK304 segment syntax error codes */
enum {
    X12_IK3_UNRECOGNIZED = 1,  /* unrecognized segment ID */
    X12_IK3_UNEXPECTED = 2,    /* unexpected segment */
    X12_IK3_REQ_MISSING = 3,   /* required segment missing */
    X12_IK3_LOOP_MAX = 4,      /* loop occurs over maximum times */
    X12_IK3_SEG_MAX = 5,       /* segment exceeds maximum use */
    X12_IK3_NOT_IN_SET = 6,    /* segment not in defined transaction set */
    X12_IK3_SEQUENCE = 7,      /* segment not in proper sequence */
    X12_IK3_HAS_ELEM_ERRS = 8, /* segment has data element errors */
};

/* IK403 element syntax error codes */
enum {
    X12_IK4_REQ_MISSING = 1, /* required data element missing */
    X12_IK4_COND_MISSING = 2,
    X12_IK4_TOO_MANY = 3, /* too many data elements */
    X12_IK4_TOO_SHORT = 4,
    X12_IK4_TOO_LONG = 5,
    X12_IK4_BAD_CHAR = 6,
    X12_IK4_BAD_CODE = 7, /* invalid code value */
    X12_IK4_BAD_DATE = 8,
    X12_IK4_BAD_TIME = 9,
    X12_IK4_EXCLUSION = 10,
    X12_IK4_TOO_MANY_REPS = 12,
    X12_IK4_TOO_MANY_COMPS = 13,
};

/* IK502 transaction set syntax error codes */
enum {
    X12_IK5_NOT_SUPPORTED = 1, /* transaction set not supported */
    X12_IK5_TRAILER_MISSING = 2,
    X12_IK5_CTRL_MISMATCH = 3,  /* SE02 differs from ST02 */
    X12_IK5_COUNT_MISMATCH = 4, /* SE01 differs from the segments counted */
    X12_IK5_SEG_ERRORS = 5,     /* one or more segments in error */
    X12_IK5_BAD_ID = 6,         /* missing or invalid transaction set identifier */
    X12_IK5_BAD_CTRL = 7,       /* missing or invalid control number */
    X12_IK5_CTRL_NOT_UNIQUE = 23,
};

/* AK905 functional group syntax error codes */
enum {
    X12_AK9_NOT_SUPPORTED = 1,
    X12_AK9_VERSION = 2,
    X12_AK9_TRAILER_MISSING = 3,
    X12_AK9_CTRL_MISMATCH = 4,
    X12_AK9_COUNT_MISMATCH = 5,
    X12_AK9_BAD_CTRL = 6,
};

typedef struct x12_err {
    uint8_t level;     /* x12_err_level */
    uint8_t elem_pos;  /* IK401-1 element position (1-based), 0 when not an element */
    uint8_t comp_pos;  /* IK401-2 component position, 0 when none */
    uint8_t rep_pos;   /* IK401-3 repetition position, 0 when none */
    uint16_t code;     /* IK304, IK403, IK502, AK905 or TA105 code */
    uint16_t elem_ref; /* IK402 data element reference number, 0 unknown */
    char seg_id[4];    /* IK301 */
    char loop_id[7];   /* IK303, empty outside a loop */
    uint32_t seg_pos;  /* IK302: position in the transaction set, ST = 1 */
    uint64_t off;      /* byte offset of the segment in the input */
    char bad[36];      /* IK404 copy of the bad value, may be empty. May be PHI:
                        * it goes back to the submitter in the 999, never to a log. */
} x12_err;

/* ---- envelope records --------------------------------------------------- */

typedef struct x12_isa {
    char auth_qual[3], auth[11], sec_qual[3], sec[11];
    char sender_qual[3], sender[16], receiver_qual[3], receiver[16];
    char date[7];    /* YYMMDD */
    char time[5];    /* HHMM */
    char version[6]; /* ISA12 */
    char ctrl[10];   /* ISA13 */
    char ack_req;    /* ISA14 */
    char usage;      /* ISA15: P or T */
    x12_delims delims;
    uint64_t off;
} x12_isa;

typedef struct x12_gs {
    char func[3]; /* GS01: HC for claims */
    char sender[16], receiver[16];
    char date[9], time[9];
    char ctrl[10];    /* GS06 */
    char agency[3];   /* GS07 */
    char version[13]; /* GS08 */
    uint64_t off;
} x12_gs;

typedef struct x12_st {
    char id[4];    /* ST01 */
    char ctrl[10]; /* ST02 */
    char impl[36]; /* ST03, else GS08 */
    clm_type type; /* what the walker reads it as; NONE when unsupported */
    uint64_t off;
} x12_st;

typedef struct x12_txn_result {
    const x12_st *st;
    char verdict;        /* IK501: 'A' accepted, 'E' accepted with errors, 'R' rejected */
    const x12_err *errs; /* IK3/IK4 in order, then transaction-level (IK5) codes */
    uint32_t nerrs;
    uint32_t errs_dropped; /* errors beyond the walker's cap, counted only */
    uint32_t nsegs;        /* segments counted, ST and SE included */
    uint32_t nclaims;
} x12_txn_result;

typedef struct x12_group_result {
    const x12_gs *gs;
    char verdict;        /* AK901: A, E, P (partially accepted) or R */
    uint32_t ntxn;       /* AK902: transaction sets included (as counted) */
    uint32_t nrecv;      /* AK903: received */
    uint32_t naccepted;  /* AK904: accepted (A or E) */
    const x12_err *errs; /* X12_ERR_GROUP codes (AK905..AK909), at most 5 */
    uint32_t nerrs;
} x12_group_result;

typedef struct x12_ichg_result {
    const x12_isa *isa;
    char verdict;        /* TA104: 'A', 'E' (accepted with errors) or 'R' */
    bool ta1_due;        /* a TA1 is owed: ISA14 asked for one, or there are errors */
    const x12_err *errs; /* X12_ERR_ICHG notes (TA105), the first is what a TA1 reports */
    uint32_t nerrs;
    uint32_t ngroups; /* groups counted */
} x12_ichg_result;

/* ---- the walker --------------------------------------------------------- */

/* Callbacks, each optional (NULL). A non-zero return stops the walk: the
 * feed/finish call returns -CLAIMD_EX12_STOPPED. Every pointer passed is
 * valid only during the call. Order: ichg_begin, (group_begin, (txn_begin,
 * claim*, txn_end)*, group_end)*, ichg_end, repeated per interchange.
 * A claim is delivered when it ends (at the next CLM, HL or SE), before its
 * transaction's verdict is known. */
typedef struct x12_sink {
    void *ctx;
    int (*ichg_begin)(void *ctx, const x12_isa *isa);
    int (*group_begin)(void *ctx, const x12_gs *gs);
    int (*txn_begin)(void *ctx, const x12_st *st);
    int (*claim)(void *ctx, const clm_claim *c);
    int (*txn_end)(void *ctx, const x12_txn_result *r);
    int (*group_end)(void *ctx, const x12_group_result *r);
    int (*ichg_end)(void *ctx, const x12_ichg_result *r);
} x12_sink;

typedef struct x12_walker x12_walker;

typedef struct x12_walk_stats {
    uint64_t bytes;
    uint64_t segments;
    uint64_t claims;
    uint64_t lines;
    uint32_t interchanges, groups, transactions;
    uint32_t txn_rejected;
} x12_walk_stats;

/* Creates a walker that reports to *sink (copied). Returns 0 or -ENOMEM. */
int x12_walker_create(const x12_sink *sink, x12_walker **out);

/* Frees a walker; NULL is a no-op. */
void x12_walker_free(x12_walker *w);

/* Feeds the next bytes of the input. The walker consumes whole segments only
 * and says how many bytes through *used; the caller keeps buf[*used..len) and
 * passes it again, followed by more input, on the next call (so a segment may
 * be split across reads in any way). A single segment longer than 1 MiB is an
 * error. Returns 0, or:
 *   -CLAIMD_EX12_NOT_X12     the input does not start with an ISA (after an
 *                            optional UTF-8 byte-order mark and white space),
 *                            or non-X12 bytes follow an IEA
 *   -CLAIMD_EX12_BAD_ISA     an ISA whose delimiters cannot be read
 *   -CLAIMD_EX12_SEG_TOO_LONG
 *   -CLAIMD_EX12_STOPPED     a sink callback returned non-zero
 * After an error the walker is spent; x12_walker_error_off() says where. */
int x12_walker_feed(x12_walker *w, const char *buf, size_t len, size_t *used);

/* Ends the input: buf[0..len) is the unconsumed tail (may be empty). Closes
 * any open claim, transaction, group and interchange, reporting missing
 * trailers as errors. Returns 0 or an error as for x12_walker_feed(), plus
 * -CLAIMD_EX12_NOT_X12 for an input with no ISA at all. */
int x12_walker_finish(x12_walker *w, const char *buf, size_t len);

/* Makes the walker read every segment through its general, table-driven
 * checks instead of the per-segment fast handlers (x12_fast.c). The results
 * are the same either way; tests and the fuzz target compare the two. */
void x12_walker_force_general(x12_walker *w, bool on);

/* Byte offset where the last error was found (for messages). */
uint64_t x12_walker_error_off(const x12_walker *w);

/* Counters so far. */
void x12_walker_stats(const x12_walker *w, x12_walk_stats *out);

#endif
