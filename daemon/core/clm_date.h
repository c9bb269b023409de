/* Internal to daemon/core: clm_parse_date() of exactly eight bytes, inline
 * for the walker's segment handlers (x12_fast.c), which read a date on
 * most segments of a claim. */
#ifndef CLAIMD_CLM_DATE_H
#define CLAIMD_CLM_DATE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* CCYYMMDD at s[0..8) as the integer CCYYMMDD in *out: 0, or -EINVAL for
 * anything but eight digits making a calendar date from 1800 on. */
static inline int clm_date8(const char *s, uint32_t *out)
{
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
    for (int i = 0; i < 8; i++) {
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

#endif
