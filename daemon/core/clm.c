/* clm: the claim model's helpers: value parsing and copying. */
#include "claimd/claim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t clm_line_dos(const clm_claim *c, const clm_line *l)
{
    if (l->from)
        return l->from;
    return c->stmt_from;
}

int clm_claim_copy(clm_claim *dst, const clm_claim *src)
{
    clm_line *lines = NULL;
    if (src->nlines) {
        lines = malloc(sizeof *lines * src->nlines);
        if (!lines)
            return -ENOMEM;
        memcpy(lines, src->lines, sizeof *lines * src->nlines);
    }
    *dst = *src;
    dst->lines = lines;
    return 0;
}

void clm_claim_release(clm_claim *c)
{
    free(c->lines);
    c->lines = NULL;
    c->nlines = 0;
}

/* Parses [sign] digits [. digits] into an integer scaled by 10^scale,
 * rounding half away from zero past `scale` decimals. X12 decimals (type R)
 * carry no exponent and no thousands separators. */
static int clm_parse_fixed(const char *s, size_t n, unsigned scale, int64_t limit, int64_t *out)
{
    /* The common case first: unsigned, at most 12 digits and at most `scale`
     * decimals, so nothing can overflow and nothing rounds; the result is
     * out of range exactly when the general path would say so. */
    if (n && n <= 13) {
        int64_t v = 0;
        unsigned digits = 0, frac = 0;
        int dot = 0;
        size_t i = 0;
        for (; i < n; i++) {
            unsigned d = (unsigned char)s[i] - '0';
            if (d <= 9) {
                v = v * 10 + d;
                digits++;
                frac += (unsigned)dot;
            } else if (s[i] == '.' && !dot) {
                dot = 1;
            } else {
                break;
            }
        }
        if (i == n && digits && digits <= 12 && frac <= scale) {
            for (; frac < scale; frac++)
                v *= 10;
            if (v > limit)
                return -ERANGE;
            *out = v;
            return 0;
        }
    }
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    int64_t v = 0;
    unsigned frac = 0, digits = 0;
    int seen_dot = 0, round_up = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !seen_dot) {
            seen_dot = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return -EINVAL;
        digits++;
        if (seen_dot && frac >= scale) {
            if (frac == scale)
                round_up = c >= '5';
            frac++;
            continue;
        }
        if (v > (limit - (c - '0')) / 10)
            return -ERANGE;
        v = v * 10 + (c - '0');
        if (seen_dot)
            frac++;
    }
    if (digits == 0)
        return -EINVAL;
    for (; frac < scale; frac++) {
        if (v > limit / 10)
            return -ERANGE;
        v *= 10;
    }
    v += round_up;
    if (v > limit)
        return -ERANGE;
    *out = neg ? -v : v;
    return 0;
}

int clm_parse_cents(const char *s, size_t n, int64_t *out)
{
    /* 18 significant digits (X12 R max length) fit comfortably in int64. */
    return clm_parse_fixed(s, n, 2, INT64_C(999999999999999999), out);
}

int clm_parse_milli(const char *s, size_t n, uint32_t *out)
{
    int64_t v;
    int rc = clm_parse_fixed(s, n, 3, INT64_C(4000000000), &v);
    if (rc)
        return rc;
    if (v < 0)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

int clm_parse_date(const char *s, size_t n, uint32_t *out)
{
    if (n != 8)
        return -EINVAL;
    uint32_t v = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The eight digits at once: every byte 0x30..0x39 (high nibble 3, and
     * still 3 after adding 6), then one multiplication makes the four
     * two-digit pairs (the first digit is the lowest byte). */
    uint64_t x;
    memcpy(&x, s, 8);
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0), three = UINT64_C(0x3030303030303030);
    if ((x & hi) != three || ((x + UINT64_C(0x0606060606060606)) & hi) != three)
        return -EINVAL;
    x = ((x & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561) >> 8; /* CC YY MM DD in bytes 0, 2, 4, 6 */
    uint32_t y = (uint32_t)(x & 0xff) * 100 + (uint32_t)(x >> 16 & 0xff);
    uint32_t m = (uint32_t)(x >> 32 & 0xff), d = (uint32_t)(x >> 48 & 0xff);
    v = y * 10000 + m * 100 + d;
#else
    for (size_t i = 0; i < 8; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    uint32_t y = v / 10000, m = v / 100 % 100, d = v % 100;
#endif
    static const uint8_t mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1800 || m < 1 || m > 12 || d < 1)
        return -EINVAL;
    uint32_t maxd = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        maxd = 29;
    if (d > maxd)
        return -EINVAL;
    *out = v;
    return 0;
}
