/* cbuf_: a growable byte buffer for rendering text (JSON, X12).
 *
 * The caller owns the struct (cbuf_init, cbuf_release); the buffer owns p.
 * Appends never fail loudly: an allocation failure is sticky in err, every
 * later append is then a no-op, and the caller checks cbuf_error() once at
 * the end of a render. While cap > 0, p[len] is a NUL, so p can be read as
 * a C string (it may also hold NULs of its own).
 */
#ifndef CLAIMD_CBUF_H
#define CLAIMD_CBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cbuf {
    char *p;
    size_t len, cap;
    int err; /* 0 or -ENOMEM, sticky until cbuf_release() */
} cbuf;

void cbuf_init(cbuf *b);
/* Frees p and resets the buffer to empty; the struct can be used again. */
void cbuf_release(cbuf *b);
/* Empties the buffer but keeps its memory. */
void cbuf_clear(cbuf *b);
/* Makes room for n more bytes (plus the NUL). Returns 0 or -ENOMEM. */
int cbuf_reserve(cbuf *b, size_t n);
/* Returns the sticky error: 0 or -ENOMEM. */
int cbuf_error(const cbuf *b);

void cbuf_append(cbuf *b, const void *s, size_t n);
void cbuf_puts(cbuf *b, const char *s);
void cbuf_putc(cbuf *b, char c);
void cbuf_printf(cbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s[0..n) as a quoted JSON string. Valid UTF-8 passes through;
 * ", \ and control characters are escaped; each byte that is not part of a
 * valid UTF-8 sequence (overlong forms, surrogates and code points past
 * U+10FFFF included) becomes \uFFFD. */
void cbuf_json_str(cbuf *b, const char *s, size_t n);
/* The same for a NUL-terminated string, or null when s is NULL or empty. */
void cbuf_json_cstr_or_null(cbuf *b, const char *s);
/* Appends a money amount in cents as a JSON number with two decimals
 * ("-0.05", "1234.50"). */
void cbuf_json_cents(cbuf *b, int64_t cents);
/* Appends thousandths as the shortest decimal ("1", "1.5", "0.25"). */
void cbuf_json_milli(cbuf *b, uint64_t milli);
/* Appends a YYYYMMDD date as "YYYY-MM-DD", or null when it is 0. */
void cbuf_json_date(cbuf *b, uint32_t yyyymmdd);

#endif
