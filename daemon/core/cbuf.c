#include "claimd/cbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cbuf_init(cbuf *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}

void cbuf_release(cbuf *b)
{
    free(b->p);
    cbuf_init(b);
}

void cbuf_clear(cbuf *b)
{
    b->len = 0;
    if (b->cap)
        b->p[0] = 0;
}

int cbuf_error(const cbuf *b)
{
    return b->err;
}

int cbuf_reserve(cbuf *b, size_t n)
{
    if (b->err)
        return b->err;
    if (b->cap && n < b->cap - b->len) /* room for n bytes and the NUL */
        return 0;
    if (n > SIZE_MAX / 2 - b->len) {
        b->err = -ENOMEM;
        return b->err;
    }
    size_t want = b->len + n + 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->err = -ENOMEM;
        return b->err;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void cbuf_append(cbuf *b, const void *s, size_t n)
{
    if (cbuf_reserve(b, n) != 0)
        return;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void cbuf_puts(cbuf *b, const char *s)
{
    cbuf_append(b, s, strlen(s));
}

void cbuf_putc(cbuf *b, char c)
{
    cbuf_append(b, &c, 1);
}

void cbuf_printf(cbuf *b, const char *fmt, ...)
{
    if (b->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        if (cbuf_reserve(b, (size_t)n) != 0)
            return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when s[0] does not
 * start one. Follows RFC 3629: no overlongs, no surrogates, <= U+10FFFF. */
static size_t cbuf_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

static void cbuf_json_ctrl(cbuf *b, unsigned char c)
{
    switch (c) {
    case '\n':
        cbuf_append(b, "\\n", 2);
        break;
    case '\r':
        cbuf_append(b, "\\r", 2);
        break;
    case '\t':
        cbuf_append(b, "\\t", 2);
        break;
    case '\b':
        cbuf_append(b, "\\b", 2);
        break;
    case '\f':
        cbuf_append(b, "\\f", 2);
        break;
    default:
        cbuf_printf(b, "\\u%04x", c);
    }
}

void cbuf_json_str(cbuf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    cbuf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        /* copy the longest run that needs no escaping in one append */
        size_t j = i;
        while (j < n && u[j] >= 0x20 && u[j] < 0x80 && u[j] != '"' && u[j] != '\\')
            j++;
        cbuf_append(b, s + i, j - i);
        i = j;
        if (i >= n)
            break;
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            cbuf_append(b, e, 2);
            i++;
        } else if (c < 0x20) {
            cbuf_json_ctrl(b, c);
            i++;
        } else {
            size_t k = cbuf_utf8_len(u + i, n - i);
            if (k) {
                cbuf_append(b, s + i, k);
                i += k;
            } else {
                cbuf_append(b, "\\ufffd", 6);
                i++;
            }
        }
    }
    cbuf_putc(b, '"');
}

void cbuf_json_cstr_or_null(cbuf *b, const char *s)
{
    if (!s || !*s)
        cbuf_append(b, "null", 4);
    else
        cbuf_json_str(b, s, strlen(s));
}

void cbuf_json_cents(cbuf *b, int64_t cents)
{
    /* the magnitude as unsigned, so INT64_MIN has no overflow */
    uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    cbuf_printf(b, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", m / 100, m % 100);
}

void cbuf_json_milli(cbuf *b, uint64_t milli)
{
    uint64_t frac = milli % 1000;
    if (frac == 0) {
        cbuf_printf(b, "%" PRIu64, milli / 1000);
        return;
    }
    int digits = 3;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    cbuf_printf(b, "%" PRIu64 ".%0*" PRIu64, milli / 1000, digits, frac);
}

void cbuf_json_date(cbuf *b, uint32_t d)
{
    if (d == 0) {
        cbuf_append(b, "null", 4);
        return;
    }
    cbuf_printf(b, "\"%04u-%02u-%02u\"", d / 10000, d / 100 % 100, d % 100);
}
