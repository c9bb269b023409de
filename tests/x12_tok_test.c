/* x12_tok: delimiter detection and the segment tokenizer on hand-written
 * inputs, the AVX2 and scalar scanners against each other (and against a
 * byte-at-a-time reference), and the walker fed in many chunkings. */
#define _POSIX_C_SOURCE 200809L

#include "claimd/error.h"
#include "claimd/x12.h"
#include "fuzz/x12_fuzz_util.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TU_DIR (__FILE__[0] == '/' ? tu_dirname(__FILE__) : ".")

static const char *tu_dirname(const char *file)
{
    static char d[4096];
    snprintf(d, sizeof d, "%s", file);
    char *slash = strrchr(d, '/');
    if (slash)
        *slash = 0;
    return d;
}

static const x12_delims star = {.elem = '*', .rep = '^', .comp = ':', .seg = '~'};

/* A well-formed 106-byte ISA with the given separators. */
static void mk_isa(char *out, char e, char r, char c, char s)
{
    snprintf(out, 128,
             "ISA%c00%c          %c00%c          %cZZ%cSUBMITTER      %cZZ%cRECEIVER       "
             "%c250310%c1402%c%c%c00501%c000000001%c0%cP%c%c%c",
             e, e, e, e, e, e, e, e, e, e, e, r, e, e, e, e, e, c, s);
}

/* ---- a reference tokenizer ---------------------------------------------- */

/* The contract of x12_tok_next(), one byte at a time. */
static int ref_next(const char *buf, size_t len, size_t *pos, const x12_delims *d, x12_seg *s)
{
    size_t start = *pos;
    while (start < len && (((buf[start] == '\r' || buf[start] == '\n' || buf[start] == ' ' ||
                             buf[start] == '\t') &&
                            buf[start] != d->elem) ||
                           buf[start] == d->seg))
        start++;
    if (start >= len) {
        *pos = start;
        return 0;
    }
    uint32_t n = 1;
    s->el[0] = 0;
    for (size_t i = start; i < len; i++) {
        if (buf[i] == d->elem) {
            if (n <= X12_SEG_MAX_ELEMS)
                s->el[n] = (uint32_t)(i + 1 - start);
            n++;
        } else if (buf[i] == d->seg) {
            size_t end = i;
            while (end > start && (buf[end - 1] == '\r' || buf[end - 1] == '\n') &&
                   buf[end - 1] != d->elem)
                end--;
            s->p = buf + start;
            s->len = (uint32_t)(end - start);
            s->nelem = n;
            for (uint32_t k = 1; k < n && k <= X12_SEG_MAX_ELEMS; k++)
                if (s->el[k] > s->len)
                    s->el[k] = s->len;
            s->off = start;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = start;
    return 0;
}

static void seg_eq(const x12_seg *a, const x12_seg *b, size_t idx)
{
    cr_assert_eq(a->p, b->p, "segment %zu: start", idx);
    cr_assert_eq(a->len, b->len, "segment %zu: len %u vs %u", idx, a->len, b->len);
    cr_assert_eq(a->nelem, b->nelem, "segment %zu: nelem", idx);
    cr_assert_eq(a->off, b->off, "segment %zu: off", idx);
    for (uint32_t i = 0; i < a->nelem && i <= X12_SEG_MAX_ELEMS; i++)
        cr_assert_eq(a->el[i], b->el[i], "segment %zu: element %u offset", idx, i);
}

/* Tokenizes buf whole and checks every segment against the reference.
 * Returns the segment count; *tail gets the final t.pos. */
static size_t tok_vs_ref(const char *buf, size_t len, const x12_delims *d, size_t *tail)
{
    x12_tok t;
    x12_tok_init(&t, buf, len, d, 0);
    x12_seg s, r;
    size_t rpos = 0, n = 0;
    for (;;) {
        int got = x12_tok_next(&t, &s);
        int want = ref_next(buf, len, &rpos, d, &r);
        cr_assert_eq(got, want, "segment %zu: tok %d, reference %d", n, got, want);
        if (!got)
            break;
        seg_eq(&s, &r, n);
        n++;
    }
    cr_assert_eq(t.pos, rpos, "tail at %zu, reference %zu", t.pos, rpos);
    if (tail)
        *tail = t.pos;
    return n;
}

/* Element i of s as a NUL-terminated string (static buffer). */
static const char *el(const x12_seg *s, uint32_t i)
{
    static char b[256];
    uint32_t n = x12_seg_elem_len(s, i);
    cr_assert_lt(n, sizeof b);
    memcpy(b, x12_seg_elem(s, i), n);
    b[n] = 0;
    return b;
}

static const char *seg_str(const x12_seg *s)
{
    static char b[512];
    cr_assert_lt(s->len, sizeof b);
    memcpy(b, s->p, s->len);
    b[s->len] = 0;
    return b;
}

/* Tokenizes and returns the segments' texts, '\n'-joined, in out. */
static size_t tok_texts(const char *buf, size_t len, const x12_delims *d, char *out, size_t cap)
{
    x12_tok t;
    x12_tok_init(&t, buf, len, d, 0);
    x12_seg s;
    size_t n = 0, o = 0;
    out[0] = 0;
    while (x12_tok_next(&t, &s) == 1) {
        cr_assert_lt(o + s.len + 2, cap);
        memcpy(out + o, s.p, s.len);
        o += s.len;
        out[o++] = '\n';
        out[o] = 0;
        n++;
    }
    return n;
}

/* ---- tokenizer on hand-written inputs ----------------------------------- */

/* The walker reads element ends as el[i + 1] - 1: the tokenizer stores
 * el[nelem] = len + 1 whenever nelem <= X12_SEG_MAX_ELEMS (also after a
 * stripped CR/LF), on both scanners. */
Test(x12_tok, sentinel_after_the_last_element)
{
    char many[400] = "XX";
    for (int i = 0; i < X12_SEG_MAX_ELEMS - 1; i++) /* nelem == X12_SEG_MAX_ELEMS */
        strcat(many, "*a");
    strcat(many, "~");
    const char *ins[] = {"ST*837*0001~BHT*0019**~N3~", "SE*3*0001\r\n~REF*EI*\r~", many};
    for (int scalar = 0; scalar < 2; scalar++) {
        x12_tok_force_scalar(scalar);
        for (size_t k = 0; k < sizeof ins / sizeof ins[0]; k++) {
            const char *in = ins[k];
            x12_tok t;
            x12_tok_init(&t, in, strlen(in), &star, 0);
            x12_seg s;
            while (x12_tok_next(&t, &s) == 1) {
                if (s.nelem > X12_SEG_MAX_ELEMS)
                    continue;
                cr_assert_eq(s.el[s.nelem], s.len + 1, "input %zu", k);
                for (uint32_t i = 0; i < s.nelem; i++)
                    cr_assert_eq(s.el[i + 1] - 1 - s.el[i], x12_seg_elem_len(&s, i));
            }
        }
    }
    x12_tok_force_scalar(false);
}

Test(x12_tok, crlf_after_terminator)
{
    const char *in = "ST*837*0001~\r\nBHT*0019*00~\r\n\r\nSE*3*0001~\r\n";
    char out[256];
    cr_assert_eq(tok_texts(in, strlen(in), &star, out, sizeof out), 3);
    cr_assert_str_eq(out, "ST*837*0001\nBHT*0019*00\nSE*3*0001\n");
    size_t tail;
    tok_vs_ref(in, strlen(in), &star, &tail);
    cr_assert_eq(tail, strlen(in), "trailing CRLF consumed");
}

Test(x12_tok, lf_is_the_terminator)
{
    x12_delims d = star;
    d.seg = '\n';
    const char *in = "ST*837*0001\nBHT*0019*00\r\nREF*EI*12\n";
    x12_tok t;
    x12_tok_init(&t, in, strlen(in), &d, 100);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(seg_str(&s), "ST*837*0001");
    cr_assert_eq(s.off, 100);
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(seg_str(&s), "BHT*0019*00", "the CR before an LF terminator is stripped");
    cr_assert_str_eq(el(&s, 2), "00");
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(el(&s, 2), "12");
    cr_assert_eq(x12_tok_next(&t, &s), 0);
    cr_assert_eq(t.pos, strlen(in));
}

Test(x12_tok, whitespace_before_segments_skipped)
{
    const char *in = "  \t\r\nST*837~ \n\tSE*2~";
    char out[64];
    cr_assert_eq(tok_texts(in, strlen(in), &star, out, sizeof out), 2);
    cr_assert_str_eq(out, "ST*837\nSE*2\n");
}

Test(x12_tok, empty_segments_skipped)
{
    const char *in = "~~ST*837~~~SE*2~";
    char out[64];
    cr_assert_eq(tok_texts(in, strlen(in), &star, out, sizeof out), 2);
    cr_assert_str_eq(out, "ST*837\nSE*2\n");
}

Test(x12_tok, elements_and_empty_elements)
{
    const char *in = "NM1*85*2*NAME*****XX*1234567893~";
    x12_tok t;
    x12_tok_init(&t, in, strlen(in), &star, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(s.nelem, 10);
    cr_assert_str_eq(el(&s, 0), "NM1");
    cr_assert_str_eq(el(&s, 3), "NAME");
    for (uint32_t i = 4; i <= 7; i++)
        cr_assert_eq(x12_seg_elem_len(&s, i), 0);
    cr_assert_str_eq(el(&s, 9), "1234567893");
    cr_assert_eq(x12_seg_elem_len(&s, 10), 0, "past the last element");
    cr_assert_eq(x12_seg_elem(&s, 10), s.p + s.len);
}

Test(x12_tok, other_delimiters)
{
    char isa[128];
    mk_isa(isa, '|', '}', '>', '\n');
    x12_delims d;
    size_t n;
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(n, X12_ISA_LEN);
    cr_assert_eq(d.elem, '|');
    cr_assert_eq(d.comp, '>');
    cr_assert_eq(d.seg, '\n');
    char buf[512];
    snprintf(buf, sizeof buf, "%sGS|HC|A|B\r\nSV1|HC>99213>25|98|UN|1|||1>2\n", isa);
    x12_tok t;
    x12_tok_init(&t, buf, strlen(buf), &d, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(s.nelem, 17);
    cr_assert_str_eq(el(&s, 16), ">");
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(seg_str(&s), "GS|HC|A|B");
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(el(&s, 1), "HC>99213>25", "components are not split by the tokenizer");
    cr_assert_eq(s.nelem, 8);
    tok_vs_ref(buf, strlen(buf), &d, NULL);

    mk_isa(isa, '!', '^', '\\', '\'');
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.elem, '!');
    cr_assert_eq(d.comp, '\\');
    cr_assert_eq(d.seg, '\'');
}

Test(x12_tok, isa11_equal_to_isa16_means_no_repetition_separator)
{
    char isa[128];
    x12_delims d;
    size_t n;
    mk_isa(isa, '*', ':', ':', '~');
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.rep, 0);
    cr_assert_eq(d.comp, ':');
    mk_isa(isa, '*', 'U', ':', '~'); /* 4010: "U" */
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.rep, 0);
    mk_isa(isa, '*', '~', ':', '~'); /* the segment terminator cannot repeat */
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.rep, 0);
}

/* ISA11 is the repetition separator (x12.h). Disabled: x12_delims_detect()
 * stops counting at the 10th element separator, so it reads ISA10 (the time)
 * instead of ISA11 and d.rep is always 0 (reported to the x12 owner; enable
 * once fixed). */
Test(x12_tok, isa11_repetition_separator)
{
    char isa[128];
    x12_delims d;
    size_t n;
    mk_isa(isa, '*', '^', ':', '~');
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.rep, '^');
    mk_isa(isa, '|', '}', '>', '\n');
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.rep, '}');
    mk_isa(isa, 0x1D, '^', 0x1F, 0x1C);
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.rep, '^');
    const char *narrow = "ISA*00*X*00*X*ZZ*S*ZZ*R*250310*1402*^*00501*1*0*P*:~";
    cr_assert_eq(x12_delims_detect(narrow, strlen(narrow), &d, &n), 0);
    cr_assert_eq(d.rep, '^');
}

Test(x12_tok, control_byte_delimiters)
{
    char isa[128];
    mk_isa(isa, 0x1D, '^', 0x1F, 0x1C);
    x12_delims d;
    size_t n;
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.elem, 0x1D);
    cr_assert_eq(d.comp, 0x1F);
    cr_assert_eq(d.seg, 0x1C);
    char buf[512];
    snprintf(buf, sizeof buf,
             "%sST\x1D"
             "837\x1D"
             "0001\x1C\r\nSV1\x1DHC\x1F"
             "99213\x1D"
             "98\x1C",
             isa);
    x12_tok t;
    x12_tok_init(&t, buf, strlen(buf), &d, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(s.nelem, 3);
    cr_assert_str_eq(el(&s, 2), "0001");
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(el(&s, 1), "HC\x1F"
                                "99213");
    cr_assert_eq(x12_tok_next(&t, &s), 0);
    tok_vs_ref(buf, strlen(buf), &d, NULL);
}

/* A segment of exactly seglen bytes (terminator included) after pad bytes of
 * whitespace, then a short segment: every alignment against the 64-byte
 * blocks. */
Test(x12_tok, block_boundaries)
{
    static const size_t lens[] = {3, 4, 62, 63, 64, 65, 66, 127, 128, 129, 200, 1000};
    char buf[1400];
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (size_t pad = 0; pad < 130; pad++) {
            size_t seglen = lens[li], o = pad;
            uint32_t nel = 1;
            memset(buf, ' ', pad);
            buf[o++] = 'A';
            buf[o++] = 'B';
            for (size_t i = 2; i + 1 < seglen; i++) {
                buf[o++] = (i % 7 == 0) ? '*' : (char)('a' + i % 26);
                nel += i % 7 == 0;
            }
            buf[o++] = '~';
            memcpy(buf + o, "SE*1~", 5);
            o += 5;
            x12_tok t;
            x12_tok_init(&t, buf, o, &star, 0);
            x12_seg s;
            cr_assert_eq(x12_tok_next(&t, &s), 1, "len %zu pad %zu", seglen, pad);
            cr_assert_eq(s.p, buf + pad);
            cr_assert_eq(s.len, seglen - 1, "len %zu pad %zu: got %u", seglen, pad, s.len);
            cr_assert_eq(s.nelem, nel, "len %zu pad %zu", seglen, pad);
            cr_assert_eq(x12_tok_next(&t, &s), 1);
            cr_assert_str_eq(seg_str(&s), "SE*1");
            cr_assert_eq(x12_tok_next(&t, &s), 0);
            cr_assert_eq(t.pos, o);
            tok_vs_ref(buf, o, &star, NULL);
            /* and cut anywhere: the tail comes back as incomplete */
            for (size_t cut = pad; cut < pad + seglen; cut += 13) {
                x12_tok_init(&t, buf, cut, &star, 0);
                cr_assert_eq(x12_tok_next(&t, &s), 0);
                cr_assert_eq(t.pos, pad, "cut %zu", cut);
            }
        }
    }
}

Test(x12_tok, long_segment)
{
    char buf[5000];
    size_t o = 0;
    memcpy(buf, "NTE*ADD*", 8);
    o = 8;
    for (int i = 0; i < 4000; i++)
        buf[o++] = (char)('A' + i % 26);
    buf[o++] = '~';
    x12_tok t;
    x12_tok_init(&t, buf, o, &star, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(s.len, o - 1);
    cr_assert_eq(s.nelem, 3);
    cr_assert_eq(x12_seg_elem_len(&s, 2), 4000);
}

Test(x12_tok, more_elements_than_kept)
{
    char buf[1024];
    size_t o = 0;
    const uint32_t nel = X12_SEG_MAX_ELEMS + 12;
    o += (size_t)sprintf(buf, "ZZZ");
    for (uint32_t i = 1; i < nel; i++)
        o += (size_t)sprintf(buf + o, "*%u", i);
    buf[o++] = '~';
    x12_tok t;
    x12_tok_init(&t, buf, o, &star, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(s.nelem, nel, "every element is counted");
    char want[16];
    for (uint32_t i = 1; i < X12_SEG_MAX_ELEMS; i++) {
        snprintf(want, sizeof want, "%u", i);
        cr_assert_str_eq(el(&s, i), want, "element %u", i);
    }
    /* beyond the kept offsets: empty, pointing at the segment's end */
    cr_assert_eq(x12_seg_elem_len(&s, X12_SEG_MAX_ELEMS), 0);
    cr_assert_eq(x12_seg_elem_len(&s, nel - 1), 0);
    cr_assert_eq(x12_seg_elem(&s, nel - 1), s.p + s.len);
    /* the last kept element ends at the next separator */
    snprintf(want, sizeof want, "%u", X12_SEG_MAX_ELEMS - 1);
    cr_assert_str_eq(el(&s, X12_SEG_MAX_ELEMS - 1), want);
    tok_vs_ref(buf, o, &star, NULL);
}

Test(x12_tok, exactly_max_elements)
{
    char buf[512];
    size_t o = (size_t)sprintf(buf, "ZZ");
    for (uint32_t i = 1; i < X12_SEG_MAX_ELEMS; i++)
        o += (size_t)sprintf(buf + o, "*%u", i);
    buf[o++] = '~';
    x12_tok t;
    x12_tok_init(&t, buf, o, &star, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(s.nelem, X12_SEG_MAX_ELEMS);
    char want[16];
    snprintf(want, sizeof want, "%u", X12_SEG_MAX_ELEMS - 1);
    cr_assert_str_eq(el(&s, X12_SEG_MAX_ELEMS - 1), want, "the last element reaches the end");
}

Test(x12_tok, incomplete_trailing_segment)
{
    const char *in = "ST*837*0001~\r\n  BHT*0019*00*1234";
    x12_tok t;
    x12_tok_init(&t, in, strlen(in), &star, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(x12_tok_next(&t, &s), 0);
    cr_assert_eq(t.pos, (size_t)(strstr(in, "BHT") - in), "pos at the tail's start");
    cr_assert_eq(x12_tok_next(&t, &s), 0, "and stays there");
    cr_assert_eq(t.pos, (size_t)(strstr(in, "BHT") - in));

    x12_tok_init(&t, "", 0, &star, 0);
    cr_assert_eq(x12_tok_next(&t, &s), 0);
    cr_assert_eq(t.pos, 0);
    x12_tok_init(&t, " \r\n", 3, &star, 0);
    cr_assert_eq(x12_tok_next(&t, &s), 0);
    cr_assert_eq(t.pos, 3, "whitespace alone is consumed");
}

/* The tail comes back whole: feeding it again with the rest of the input
 * gives the segment, with offsets relative to the new base. */
Test(x12_tok, tail_refed)
{
    const char *in = "ST*837*0001~BHT*0019*00*1234~";
    size_t cut = 20;
    x12_tok t;
    x12_tok_init(&t, in, cut, &star, 0);
    x12_seg s;
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_eq(x12_tok_next(&t, &s), 0);
    size_t keep = t.pos;
    x12_tok_init(&t, in + keep, strlen(in) - keep, &star, keep);
    cr_assert_eq(x12_tok_next(&t, &s), 1);
    cr_assert_str_eq(seg_str(&s), "BHT*0019*00*1234");
    cr_assert_eq(s.off, keep);
}

/* ---- delimiter detection errors ----------------------------------------- */

Test(x12_delims, errors)
{
    char isa[128];
    x12_delims d;
    size_t n;
    mk_isa(isa, '*', '^', ':', '~');
    cr_assert_eq(strlen(isa), X12_ISA_LEN);
    cr_assert_eq(x12_delims_detect(isa, X12_ISA_LEN, &d, &n), 0);
    for (size_t len = 0; len < X12_ISA_LEN; len++)
        cr_assert_eq(x12_delims_detect(isa, len, &d, &n), -EAGAIN, "prefix of %zu bytes", len);
    cr_assert_eq(x12_delims_detect("GS*HC", 5, &d, &n), -CLAIMD_EX12_NOT_X12);
    cr_assert_eq(x12_delims_detect("isa*00", 6, &d, &n), -CLAIMD_EX12_NOT_X12);
    cr_assert_eq(x12_delims_detect("X", 1, &d, &n), -CLAIMD_EX12_NOT_X12);
    cr_assert_eq(x12_delims_detect("\xEF\xBB\xBFISA", 6, &d, &n), -CLAIMD_EX12_NOT_X12,
                 "a BOM is the walker's business");

    char bad[128];
    memcpy(bad, isa, sizeof isa);
    bad[3] = 'X'; /* alphanumeric element separator */
    cr_assert_eq(x12_delims_detect(bad, X12_ISA_LEN, &d, &n), -CLAIMD_EX12_BAD_ISA);
    mk_isa(bad, '\n', '^', ':', '~');
    cr_assert_eq(x12_delims_detect(bad, X12_ISA_LEN, &d, &n), -CLAIMD_EX12_BAD_ISA);
    mk_isa(bad, '*', '^', '*', '~'); /* comp == elem: ISA16 is then empty */
    cr_assert_eq(x12_delims_detect(bad, X12_ISA_LEN, &d, &n), -CLAIMD_EX12_BAD_ISA);
    mk_isa(bad, '*', '^', ':', ':'); /* seg == comp */
    cr_assert_eq(x12_delims_detect(bad, X12_ISA_LEN, &d, &n), -CLAIMD_EX12_BAD_ISA);
    mk_isa(bad, '*', '^', 'A', '~'); /* alphanumeric component separator */
    cr_assert_eq(x12_delims_detect(bad, X12_ISA_LEN, &d, &n), -CLAIMD_EX12_BAD_ISA);
    mk_isa(bad, '*', '^', ':', 'Z'); /* alphanumeric terminator */
    cr_assert_eq(x12_delims_detect(bad, X12_ISA_LEN, &d, &n), -CLAIMD_EX12_BAD_ISA);

    /* too few element separators in a long enough buffer: no ISA16 */
    char few[300];
    memset(few, 'A', sizeof few);
    memcpy(few, "ISA*00*", 7);
    cr_assert_eq(x12_delims_detect(few, sizeof few, &d, &n), -CLAIMD_EX12_BAD_ISA);
    cr_assert_eq(x12_delims_detect(few, 100, &d, &n), -EAGAIN, "could still come");
}

Test(x12_delims, wrong_width_still_yields_delimiters)
{
    const char *isa = "ISA*00*X*00*X*ZZ*S*ZZ*R*250310*1402*^*00501*1*0*P*:~GS*HC~";
    x12_delims d;
    size_t n;
    cr_assert_eq(x12_delims_detect(isa, strlen(isa), &d, &n), 0);
    cr_assert_eq(d.seg, '~');
    cr_assert_eq(d.comp, ':');
    cr_assert_eq(n, (size_t)(strchr(isa, '~') - isa) + 1);
}

/* ---- AVX2 against scalar ------------------------------------------------ */

typedef struct seg_list {
    x12_seg *v;
    size_t n, cap;
    size_t tail;
} seg_list;

static void tok_all(const char *buf, size_t len, const x12_delims *d, const char *impl,
                    seg_list *out)
{
    cr_assert_eq(x12_tok_force(impl), 0, "%s", impl);
    x12_tok t;
    x12_tok_init(&t, buf, len, d, 7);
    out->n = 0;
    x12_seg s;
    while (x12_tok_next(&t, &s) == 1) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 256;
            out->v = realloc(out->v, out->cap * sizeof *out->v);
            cr_assert_not_null(out->v);
        }
        out->v[out->n++] = s;
    }
    out->tail = t.pos;
    x12_tok_force(NULL);
}

static void same_both_ways(const char *buf, size_t len, const x12_delims *d, const char *what)
{
    /* every SIMD path the CPU has against the scalar one */
    static const char *const simd[] = {"avx2", "avx512"};
    seg_list a = {0}, b = {0};
    tok_all(buf, len, d, "scalar", &b);
    for (size_t k = 0; k < sizeof simd / sizeof simd[0]; k++) {
        if (x12_tok_force(simd[k]) != 0)
            continue;
        tok_all(buf, len, d, simd[k], &a);
        cr_assert_eq(a.n, b.n, "%s (%s): %zu segments vs %zu", what, simd[k], a.n, b.n);
        cr_assert_eq(a.tail, b.tail, "%s (%s): tail", what, simd[k]);
        for (size_t i = 0; i < a.n; i++)
            seg_eq(&a.v[i], &b.v[i], i);
    }
    x12_tok_force(NULL);
    free(a.v);
    free(b.v);
}

Test(x12_tok, impl_names)
{
    const char *impl = x12_tok_impl();
    cr_assert(strcmp(impl, "avx512") == 0 || strcmp(impl, "avx2") == 0 ||
              strcmp(impl, "scalar") == 0);
    x12_tok_force_scalar(true);
    cr_assert_str_eq(x12_tok_impl(), "scalar");
    x12_tok_force_scalar(false);
    cr_assert_str_eq(x12_tok_impl(), impl);
    cr_assert_eq(x12_tok_force("avx2"), strcmp(impl, "scalar") ? 0 : -ENOTSUP);
    if (strcmp(impl, "scalar"))
        cr_assert_str_eq(x12_tok_impl(), "avx2");
    cr_assert_eq(x12_tok_force("sse9"), -EINVAL);
    cr_assert_eq(x12_tok_force(NULL), 0);
    cr_assert_str_eq(x12_tok_impl(), impl);
}

Test(x12_tok, simd_vs_scalar_random)
{
    if (strcmp(x12_tok_impl(), "scalar") == 0)
        cr_log_warn("no SIMD scanner here: every run uses the scalar one");
    static const char alpha[] = "**~~ABCZ019:^\r\n \t";
    uint64_t seed = 0x9E3779B97F4A7C15u;
    char *buf = malloc(70000);
    cr_assert_not_null(buf);
    for (int round = 0; round < 300; round++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(seed >> 33) % (round < 200 ? 600 : 70000);
        int any_byte = round % 3 == 0;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            buf[i] = any_byte ? (char)(seed >> 56) : alpha[(seed >> 40) % (sizeof alpha - 1)];
        }
        x12_delims d = star;
        if (round % 5 == 4) {
            d.elem = 0x1D;
            d.seg = (char)0xFF;
        }
        same_both_ways(buf, len, &d, "random");
        tok_vs_ref(buf, len, &d, NULL);
    }
    free(buf);
}

/* The SIMD fast paths take a segment that ends within the 64 bytes at its
 * start: every separator count that fits there (past the kept offsets too),
 * with and without a CR before the terminator, at every alignment. */
Test(x12_tok, dense_segments_in_one_window)
{
    char buf[8192];
    for (size_t pad = 0; pad < 64; pad += 7) {
        for (int cr = 0; cr < 2; cr++) {
            size_t o = 0;
            memset(buf, '\n', pad);
            o = pad;
            for (size_t k = 0; k < 63; k++) {
                buf[o++] = 'A';
                memset(buf + o, '*', k);
                o += k;
                if (cr)
                    buf[o++] = '\r';
                buf[o++] = '~';
            }
            memset(buf + o, 'Z', 64);
            o += 64;
            cr_assert_eq(tok_vs_ref(buf, o, &star, NULL), 63, "pad %zu cr %d", pad, cr);
            same_both_ways(buf, o, &star, "dense");
        }
    }
    /* a separator equal to the terminator: every such byte separates */
    x12_delims same = star;
    same.seg = same.elem;
    memset(buf, 'A', 200);
    buf[3] = buf[70] = '*';
    same_both_ways(buf, 200, &same, "separator equal to the terminator");
    tok_vs_ref(buf, 200, &same, NULL);
}

static int is_x12_file(const char *name)
{
    return strcmp(name, "INVENTORY.tsv") && strcmp(name, "MANIFEST.tsv") && name[0] != '.';
}

/* Runs fn over every X12 file under dir (one level of subfolders). */
static size_t for_each_x12(const char *dir,
                           void (*fn)(const char *path, const char *buf, size_t len))
{
    size_t files = 0;
    DIR *dd = opendir(dir);
    cr_assert_not_null(dd, "%s", dir);
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "LICENSES") == 0)
            continue;
        char *sub = tu_path(dir, de->d_name);
        DIR *sd = opendir(sub);
        if (sd) {
            struct dirent *fe;
            while ((fe = readdir(sd))) {
                if (!is_x12_file(fe->d_name))
                    continue;
                char *path = tu_path(sub, fe->d_name);
                size_t len;
                char *buf = tu_slurp(path, &len);
                if (buf && len >= X12_ISA_LEN && memcmp(buf, "ISA", 3) == 0) {
                    fn(path, buf, len);
                    files++;
                }
                free(buf);
                free(path);
            }
            closedir(sd);
        }
        free(sub);
    }
    closedir(dd);
    return files;
}

static void avx2_vs_scalar_file(const char *path, const char *buf, size_t len)
{
    x12_delims d;
    size_t n;
    if (x12_delims_detect(buf, len, &d, &n) != 0)
        return;
    same_both_ways(buf, len, &d, path);
    tok_vs_ref(buf, len, &d, NULL);
}

Test(x12_tok, avx2_vs_scalar_shared_samples)
{
    TU_NEED_SHARED_DATA(shared);
    char *dir = tu_path(shared, "x12");
    size_t files = for_each_x12(dir, avx2_vs_scalar_file);
    free(dir);
    cr_assert_gt(files, 10, "X12 files read: %zu", files);
}

/* ---- the walker in many chunkings --------------------------------------- */

static void walk_chunks_same(const char *what, const char *buf, size_t len)
{
    const uint8_t *data = (const uint8_t *)buf;
    xf_rec whole, r;
    xf_walk(data, len, NULL, 0, &whole);
    size_t *cuts = malloc((len / 1 + 2) * sizeof *cuts);
    cr_assert_not_null(cuts);
    for (size_t k = 1; k <= 64; k++) {
        size_t n = 0;
        for (size_t c = k; c < len; c += k)
            cuts[n++] = c;
        xf_walk(data, len, cuts, n, &r);
        cr_assert(xf_rec_equal(&whole, &r),
                  "%s: chunks of %zu: rc %d/%d claims %llu/%llu lines %llu/%llu", what, k, whole.rc,
                  r.rc, (unsigned long long)whole.claims, (unsigned long long)r.claims,
                  (unsigned long long)whole.lines, (unsigned long long)r.lines);
    }
    uint64_t seed = len * 2654435761u + 1;
    for (int round = 0; round < 8; round++) {
        size_t n = 0;
        for (size_t c = 0;;) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            c += 1 + (size_t)(seed >> 33) % (round < 4 ? 300 : 5000);
            if (c >= len)
                break;
            cuts[n++] = c;
        }
        xf_walk(data, len, cuts, n, &r);
        cr_assert(xf_rec_equal(&whole, &r), "%s: random split %d", what, round);
    }
    free(cuts);
}

static const char *sample_path(void)
{
    static char p[4096];
    const char *src = getenv("CLAIMD_SOURCE_DIR");
    int n = src ? snprintf(p, sizeof p, "%s/data/sample/sample.837", src)
                /* run by hand: next to this source file */
                : snprintf(p, sizeof p, "%s/../data/sample/sample.837", TU_DIR);
    cr_assert(n > 0 && (size_t)n < sizeof p, "path too long");
    return p;
}

Test(x12_walk_chunks, repo_sample)
{
    size_t len;
    char *buf = tu_slurp(sample_path(), &len);
    cr_assert_not_null(buf, "%s", sample_path());
    xf_rec whole;
    xf_walk((const uint8_t *)buf, len, NULL, 0, &whole);
    cr_assert_eq(whole.rc, 0);
    cr_assert_eq(whole.claims, 11);
    cr_assert_eq(whole.txns, 2);
    walk_chunks_same("sample.837", buf, len);
    free(buf);
}

/* A BOM, white space, CRLF line ends and another interchange with other
 * delimiters: the same claims in every chunking, and twice the plain text's
 * claims and lines. */
Test(x12_walk_chunks, bom_crlf_two_interchanges)
{
    size_t len;
    char *plain = tu_slurp(sample_path(), &len);
    cr_assert_not_null(plain);
    size_t cap = len * 3 + 64, o = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    memcpy(buf, "\xEF\xBB\xBF \r\n\t", 7);
    o = 7;
    for (size_t i = 0; i < len; i++) {
        buf[o++] = plain[i];
        if (plain[i] == '~') {
            buf[o++] = '\r';
            buf[o++] = '\n';
        }
    }
    /* the same interchange again, with | > and LF */
    for (size_t i = 0; i < len; i++) {
        char c = plain[i];
        if (c == '\n')
            continue;
        buf[o++] = c == '*' ? '|' : c == ':' ? '>' : c == '~' ? '\n' : c;
    }
    xf_rec whole, one;
    xf_walk((const uint8_t *)buf, o, NULL, 0, &whole);
    xf_walk((const uint8_t *)plain, len, NULL, 0, &one);
    cr_assert_eq(whole.rc, 0, "rc %d", whole.rc);
    cr_assert_eq(whole.ichg, 2);
    cr_assert_eq(whole.claims, 2 * one.claims);
    cr_assert_eq(whole.lines, 2 * one.lines);
    walk_chunks_same("bom+crlf+pipes", buf, o);
    free(buf);
    free(plain);
}

static size_t walked_files;

static void walk_file_chunks(const char *path, const char *buf, size_t len)
{
    if (len > 64 * 1024)
        return; /* 64 chunkings of the large samples take too long under ASan */
    walk_chunks_same(path, buf, len);
    walked_files++;
}

Test(x12_walk_chunks, shared_samples, .timeout = 300)
{
    TU_NEED_SHARED_DATA(shared);
    char *dir = tu_path(shared, "x12");
    for_each_x12(dir, walk_file_chunks);
    free(dir);
    cr_assert_gt(walked_files, 10);
}

/* The large shared samples: chunk sizes around the 64-byte blocks and a
 * few larger ones. */
static void walk_big_file(const char *path, const char *buf, size_t len)
{
    if (len <= 64 * 1024)
        return;
    const uint8_t *data = (const uint8_t *)buf;
    xf_rec whole, r;
    xf_walk(data, len, NULL, 0, &whole);
    static const size_t ks[] = {1, 63, 64, 65, 4096, 65536};
    size_t *cuts = malloc((len + 1) * sizeof *cuts);
    cr_assert_not_null(cuts);
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        size_t n = 0;
        for (size_t c = ks[i]; c < len; c += ks[i])
            cuts[n++] = c;
        xf_walk(data, len, cuts, n, &r);
        cr_assert(xf_rec_equal(&whole, &r), "%s: chunks of %zu", path, ks[i]);
    }
    free(cuts);
}

Test(x12_walk_chunks, shared_large_samples, .timeout = 300)
{
    TU_NEED_SHARED_DATA(shared);
    char *dir = tu_path(shared, "x12");
    for_each_x12(dir, walk_big_file);
    free(dir);
}
