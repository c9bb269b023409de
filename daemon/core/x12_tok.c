/* x12_tok: delimiter detection and the zero-copy segment tokenizer.
 *
 * The tokenizer finds structural bytes (element separators and segment
 * terminators) 64 bytes at a time as a bitmap, then walks the set bits. The
 * bitmap comes from AVX2 compares where the CPU has them, else from a scalar
 * loop; both give the same bits, so everything above is identical.
 */
#include "claimd/error.h"
#include "claimd/x12.h"

#include <errno.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define X12_HAVE_X86 1
#endif

/* ---- delimiters --------------------------------------------------------- */

static int x12_is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A usable separator is any byte that cannot occur inside data that matters
 * to us: not alphanumeric, not a space. Control characters are allowed (some
 * trading partners use 0x1C-0x1F), and so are CR/LF as terminators. */
static int x12_sep_ok(unsigned char c)
{
    return !x12_is_alnum(c) && c != ' ';
}

int x12_delims_detect(const char *buf, size_t len, x12_delims *out, size_t *isa_len)
{
    if (len < 3)
        return memcmp(buf, "ISA", len) == 0 ? -EAGAIN : -CLAIMD_EX12_NOT_X12;
    if (memcmp(buf, "ISA", 3) != 0)
        return -CLAIMD_EX12_NOT_X12;
    if (len < 4)
        return -EAGAIN;
    char elem = buf[3];
    if (!x12_sep_ok((unsigned char)elem) || elem == '\r' || elem == '\n')
        return -CLAIMD_EX12_BAD_ISA;
    /* ISA16 follows the 16th element separator; the terminator follows it.
     * A well-formed ISA is 106 bytes; allow some slack for wrong widths. */
    size_t limit = len < X12_ISA_LEN + 64 ? len : X12_ISA_LEN + 64;
    size_t seps = 0, i = 3;
    for (; i < limit && seps < 16; i++)
        if (buf[i] == elem)
            seps++;
    if (seps < 16)
        return len < X12_ISA_LEN + 64 ? -EAGAIN : -CLAIMD_EX12_BAD_ISA;
    if (i + 1 >= len)
        return -EAGAIN;
    char comp = buf[i], seg = buf[i + 1];
    if (!x12_sep_ok((unsigned char)comp) || !x12_sep_ok((unsigned char)seg) || comp == elem ||
        seg == elem || seg == comp || comp == '\r' || comp == '\n')
        return -CLAIMD_EX12_BAD_ISA;
    /* ISA11 (after the 11th separator) is the repetition separator in 5010;
     * in 4010 it is the standards identifier "U": then there is none. */
    char rep = 0;
    size_t e = 0, j = 3;
    for (; j < i && e < 11; j++)
        if (buf[j] == elem)
            e++;
    if (e == 11 && j + 1 < i && buf[j + 1] == elem) {
        unsigned char r = (unsigned char)buf[j];
        if (x12_sep_ok(r) && r != (unsigned char)elem && r != (unsigned char)seg &&
            r != (unsigned char)comp && r != '\r' && r != '\n')
            rep = (char)r;
    }
    out->elem = elem;
    out->comp = comp;
    out->seg = seg;
    out->rep = rep;
    *isa_len = i + 2;
    return 0;
}

/* ---- structural bitmaps ------------------------------------------------- */

typedef uint64_t (*x12_scan_fn)(const char *p, char a, char b);

static uint64_t x12_scan_scalar(const char *p, char a, char b)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i++)
        m |= (uint64_t)((p[i] == a) | (p[i] == b)) << i;
    return m;
}

#ifdef X12_HAVE_X86
__attribute__((target("avx2"))) static uint64_t x12_scan_avx2(const char *p, char a, char b)
{
    const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b);
    __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    uint32_t m0 = (uint32_t)_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(x0, va), _mm256_cmpeq_epi8(x0, vb)));
    uint32_t m1 = (uint32_t)_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(x1, va), _mm256_cmpeq_epi8(x1, vb)));
    return (uint64_t)m0 | (uint64_t)m1 << 32;
}

__attribute__((target("avx512f,avx512bw"))) static uint64_t x12_scan_avx512(const char *p, char a,
                                                                            char b)
{
    __m512i x = _mm512_loadu_si512((const void *)p);
    return _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(a)) |
           _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b));
}
#endif

/* The scanner is picked per tokenizer from the CPU's features; tests may
 * cap it (a process-wide knob, set before tokenizing). The scanner also
 * names the tokenizer's fast path (see x12_tok_next). */
enum { X12_IMPL_SCALAR, X12_IMPL_AVX2, X12_IMPL_AVX512 };
static int x12_impl_cap = X12_IMPL_AVX512;

static int x12_impl_best(void)
{
#ifdef X12_HAVE_X86
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("popcnt"))
        return X12_IMPL_AVX512;
    /* The AVX2 fast path also uses BMI1 and POPCNT: every AVX2 CPU has them. */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
        __builtin_cpu_supports("popcnt"))
        return X12_IMPL_AVX2;
#endif
    return X12_IMPL_SCALAR;
}

static x12_scan_fn x12_scan_pick(void)
{
    int impl = x12_impl_best();
    if (impl > x12_impl_cap)
        impl = x12_impl_cap;
#ifdef X12_HAVE_X86
    if (impl == X12_IMPL_AVX512)
        return x12_scan_avx512;
    if (impl == X12_IMPL_AVX2)
        return x12_scan_avx2;
#endif
    return x12_scan_scalar;
}

const char *x12_tok_impl(void)
{
#ifdef X12_HAVE_X86
    x12_scan_fn f = x12_scan_pick();
    return f == x12_scan_avx512 ? "avx512" : f == x12_scan_avx2 ? "avx2" : "scalar";
#else
    return "scalar";
#endif
}

void x12_tok_force_scalar(bool on)
{
    x12_impl_cap = on ? X12_IMPL_SCALAR : X12_IMPL_AVX512;
}

int x12_tok_force(const char *impl)
{
    static const char *const names[] = {"scalar", "avx2", "avx512"};
    if (!impl) {
        x12_impl_cap = X12_IMPL_AVX512;
        return 0;
    }
    for (int i = X12_IMPL_SCALAR; i <= X12_IMPL_AVX512; i++) {
        if (strcmp(impl, names[i]) == 0) {
            if (i > x12_impl_best())
                return -ENOTSUP;
            x12_impl_cap = i;
            return 0;
        }
    }
    return -EINVAL;
}

/* The structural bitmap of the block at t->blk, bits past the buffer end
 * cleared. */
static uint64_t x12_tok_block(const x12_tok *t)
{
    size_t avail = t->len - t->blk;
    if (avail >= 64)
        return t->scan(t->buf + t->blk, t->d.elem, t->d.seg);
    char tmp[64];
    memcpy(tmp, t->buf + t->blk, avail);
    memset(tmp + avail, 0, 64 - avail);
    uint64_t m = t->scan(tmp, t->d.elem, t->d.seg);
    return m & ((UINT64_C(1) << avail) - 1);
}

/* Positions the bitmap so that its lowest set bit is the first structural
 * byte at or after pos. */
static void x12_tok_seek(x12_tok *t, size_t pos)
{
    size_t blk = pos & ~(size_t)63;
    if (blk != t->blk || t->blk == SIZE_MAX) {
        t->blk = blk;
        t->mask = x12_tok_block(t);
    }
    t->mask &= ~(uint64_t)0 << (pos - blk);
}

#ifdef X12_HAVE_X86
static int x12_tok_fast_avx2(x12_tok *t, x12_seg *s, size_t start);
static int x12_tok_fast_avx512(x12_tok *t, x12_seg *s, size_t start);
#endif

void x12_tok_init(x12_tok *t, const char *buf, size_t len, const x12_delims *d, uint64_t base_off)
{
    /* The fast paths tell separators from terminators by value: delimiters
     * where the two are equal (never from x12_delims_detect) stay on the
     * general path, which counts every such byte as a separator. */
    t->scan = d->elem == d->seg ? x12_scan_scalar : x12_scan_pick();
    t->fast = NULL;
#ifdef X12_HAVE_X86
    if (t->scan == x12_scan_avx512)
        t->fast = x12_tok_fast_avx512;
    else if (t->scan == x12_scan_avx2)
        t->fast = x12_tok_fast_avx2;
#endif
    t->buf = buf;
    t->len = len;
    t->pos = 0;
    t->base_off = base_off;
    t->d = *d;
    t->blk = SIZE_MAX;
    t->mask = 0;
    t->win = SIZE_MAX;
    t->win_term = t->win_sep = 0;
}

static int x12_is_space(char c, const x12_delims *d)
{
    return (c == '\n' || c == '\r' || c == ' ' || c == '\t') && c != d->elem;
}

/* Fills *s for the segment [start, at) terminated at at, whose n elements
 * have their offsets in el[1..] already. */
static int x12_tok_emit(x12_tok *t, x12_seg *s, size_t start, size_t at, uint32_t n)
{
    const char elem = t->d.elem;
    size_t end = at;
    while (end > start && (t->buf[end - 1] == '\r' || t->buf[end - 1] == '\n') &&
           t->buf[end - 1] != elem)
        end--;
    s->p = t->buf + start;
    s->len = (uint32_t)(end - start);
    s->nelem = n;
    s->el[0] = 0;
    /* Element offsets past a stripped CR may point beyond len: clamp. */
    if (end != at)
        for (uint32_t i = 1; i < n && i <= X12_SEG_MAX_ELEMS; i++)
            if (s->el[i] > s->len)
                s->el[i] = s->len;
    /* A sentinel as if a separator followed the last element: element i
     * (i < nelem, i < X12_SEG_MAX_ELEMS) always ends at el[i + 1] - 1.
     * The walker's element checks rely on it. */
    if (n <= X12_SEG_MAX_ELEMS)
        s->el[n] = s->len + 1;
    s->off = t->base_off + start;
    t->pos = at + 1;
    return 1;
}

/* The general path: the structural bitmap of aligned blocks, walked bit by
 * bit, for any segment length and up to the buffer's last byte. */
static int x12_tok_blocks(x12_tok *t, x12_seg *s, size_t start)
{
    x12_tok_seek(t, start);
    const char elem = t->d.elem;
    const char *buf = t->buf;
    /* The bitmap and its block in locals: written back when the call ends. */
    uint64_t mask = t->mask;
    size_t blk = t->blk;
    uint32_t n = 1;
    for (;;) {
        while (!mask) {
            blk += 64;
            if (blk >= t->len) {
                /* No terminator yet: leave the tail for the next feed. */
                t->pos = start;
                t->blk = SIZE_MAX;
                t->mask = 0;
                return 0;
            }
            t->blk = blk;
            mask = x12_tok_block(t);
        }
        size_t at = blk + (size_t)__builtin_ctzll(mask);
        mask &= mask - 1;
        if (buf[at] == elem) {
            if (n <= X12_SEG_MAX_ELEMS)
                s->el[n] = (uint32_t)(at + 1 - start);
            n++;
            continue;
        }
        t->mask = mask;
        t->blk = blk;
        return x12_tok_emit(t, s, start, at, n);
    }
}

/* ---- fast paths ----------------------------------------------------------- */

/* Most segments end within the 64 bytes at their start. There the
 * separators and terminators are two bitmaps: the terminator is the lowest
 * bit of one and the elements are the bits of the other below it, so no
 * branch depends on where the structural bytes are. Anything else (no
 * terminator in the window, fewer than 64 bytes left) takes the general
 * path, which gives the same result. */

/* The end of a fast-path segment of n elements whose el[1..] are stored and
 * whose terminator is at p[at]. */
static inline __attribute__((always_inline)) int
x12_tok_fast_emit(x12_tok *t, x12_seg *s, size_t start, uint32_t at, uint32_t n)
{
    const char *p = t->buf + start;
    /* A CR/LF before the terminator is stripped (rare): the general emit.
     * at >= 1: a segment does not start with its terminator. */
    if (p[at - 1] == '\r' || p[at - 1] == '\n')
        return x12_tok_emit(t, s, start, start + at, n);
    s->p = p;
    s->len = at;
    s->nelem = n;
    s->el[0] = 0;
    if (n <= X12_SEG_MAX_ELEMS)
        s->el[n] = at + 1;
    s->off = t->base_off + start;
    /* Most files put a line feed after each terminator: step over it here,
     * where the window says it is readable (at + 1 < 64), rather than in
     * x12_tok_next()'s skip loop. A line feed is never a separator. */
    t->pos = start + at + 1 + (at < 63 && p[at + 1] == '\n');
    return 1;
}

/* Segments are shorter than the window: the next one usually starts and
 * ends inside the window its predecessor loaded. The window's bitmaps are
 * kept, and a segment that ends inside it is read from them shifted to its
 * start (the bits past the window's end are zero: unknown, never used, as a
 * terminator must be seen first). */
static inline int x12_tok_window(const x12_tok *t, size_t start, uint64_t *term, uint64_t *sep)
{
    size_t d = start - t->win; /* huge when there is no window (win = SIZE_MAX) */
    if (d >= 64 || !(t->win_term >> d))
        return 0;
    *term = t->win_term >> d;
    *sep = t->win_sep >> d;
    return 1;
}

static inline void x12_tok_window_set(x12_tok *t, size_t start, uint64_t term, uint64_t sep)
{
    t->win = start;
    t->win_term = term;
    t->win_sep = sep;
}

#ifdef X12_HAVE_X86
#define X12_TOK_FAST_STEPS 8 /* element offsets the AVX2 path stores unconditionally */

__attribute__((target("avx2,bmi,popcnt"))) static int x12_tok_fast_avx2(x12_tok *t, x12_seg *s,
                                                                        size_t start)
{
    uint64_t term, sep;
    if (!x12_tok_window(t, start, &term, &sep)) {
        const char *p = t->buf + start;
        const __m256i ve = _mm256_set1_epi8(t->d.elem), vs = _mm256_set1_epi8(t->d.seg);
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        term = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, vs)) |
               (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x1, vs)) << 32;
        sep = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, ve)) |
              (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x1, ve)) << 32;
        x12_tok_window_set(t, start, term, sep);
        if (!term)
            return x12_tok_blocks(t, s, start);
    }
    /* the separators before the first terminator */
    uint64_t m = sep & (term - 1);
    uint32_t n = (uint32_t)_mm_popcnt_u64(m) + 1;
    /* A fixed number of steps whatever the count (tzcnt of 0 is 64: the
     * extra slots get the sentinel or are past it, unread). */
    for (unsigned i = 1; i <= X12_TOK_FAST_STEPS; i++) {
        s->el[i] = (uint32_t)_tzcnt_u64(m) + 1;
        m = _blsr_u64(m);
    }
    for (uint32_t i = X12_TOK_FAST_STEPS + 1; m; i++) {
        if (i <= X12_SEG_MAX_ELEMS)
            s->el[i] = (uint32_t)_tzcnt_u64(m) + 1;
        m = _blsr_u64(m);
    }
    return x12_tok_fast_emit(t, s, start, (uint32_t)_tzcnt_u64(term), n);
}

/* With VBMI2 the element offsets are the window's byte indexes (plus one)
 * compressed by the separator bitmap, widened 16 at a time. */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt"))) static int
x12_tok_fast_avx512(x12_tok *t, x12_seg *s, size_t start)
{
    static const uint8_t iota1[64] __attribute__((aligned(64))) = {
        1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
        23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
        45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64};
    uint64_t term, sep;
    if (!x12_tok_window(t, start, &term, &sep)) {
        __m512i x = _mm512_loadu_si512((const void *)(t->buf + start));
        term = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(t->d.seg));
        sep = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(t->d.elem));
        x12_tok_window_set(t, start, term, sep);
        if (!term)
            return x12_tok_blocks(t, s, start);
    }
    /* the separators before the first terminator */
    uint64_t m = sep & (term - 1);
    uint32_t n = (uint32_t)_mm_popcnt_u64(m) + 1;
    __m512i at = _mm512_maskz_compress_epi8(m, _mm512_load_si512((const void *)iota1));
    _mm512_storeu_si512((void *)&s->el[1], _mm512_cvtepu8_epi32(_mm512_castsi512_si128(at)));
    if (n > 17) {
        _mm512_storeu_si512((void *)&s->el[17],
                            _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(at, 1)));
        if (n > 33)
            _mm512_storeu_si512((void *)&s->el[33],
                                _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(at, 2)));
    }
    return x12_tok_fast_emit(t, s, start, (uint32_t)__builtin_ctzll(term), n);
}
#endif

int x12_tok_next(x12_tok *t, x12_seg *s)
{
    size_t start = t->pos;
    /* Most segments start right away (the fast paths step over a line
     * feed after the terminator), with 64 bytes ahead: a byte above the
     * space that is not the terminator starts a segment. */
    if (t->fast && t->len - start >= 64) {
        unsigned char c = (unsigned char)t->buf[start];
        if (c > ' ' && c != (unsigned char)t->d.seg)
            return t->fast(t, s, start);
    }
    while (start < t->len) {
        unsigned char c = (unsigned char)t->buf[start];
        if (c > ' ' && c != (unsigned char)t->d.seg)
            break;
        if (!x12_is_space((char)c, &t->d) && c != (unsigned char)t->d.seg)
            break;
        start++;
    }
    if (start >= t->len) {
        t->pos = start;
        return 0;
    }
    if (t->fast && t->len - start >= 64)
        return t->fast(t, s, start);
    return x12_tok_blocks(t, s, start);
}
