/* clm: the claim model's helpers: value parsing and copying. */
#include "claimd/claim.h"
#include "clm_date.h"

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
    return n == 8 ? clm_date8(s, out) : -EINVAL;
}
