/* js_: a small JSON reader for the daemon's replies (claimctl only).
 *
 * js_parse() reads one JSON value into a tree held by one js_doc (nodes and
 * decoded strings in two allocations sized from the input). Limits: input
 * at most JS_MAX_INPUT bytes, nesting at most JS_MAX_DEPTH. Any input is
 * safe: malformed text is an error, never a crash (fuzzed). Strings are
 * decoded (escapes, surrogate pairs; a lone surrogate becomes U+FFFD) and
 * NUL-terminated; one holding \u0000 is cut there for the C-string getters.
 *
 * Getters take NULL and the wrong type and answer NULL / false, so a caller
 * can chain them without checks: js_str(js_get(js_get(root, "jobs"), "x")).
 * Every node pointer is valid until js_free() of its document.
 */
#ifndef CLAIMCTL_JSON_H
#define CLAIMCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JS_MAX_DEPTH 64
#define JS_MAX_INPUT (64u << 20)

typedef enum js_type { JS_NULL, JS_FALSE, JS_TRUE, JS_NUM, JS_STR, JS_ARR, JS_OBJ } js_type;

typedef struct js_node js_node;
struct js_node {
    js_type type;
    const char *key; /* the member's name inside an object, else NULL */
    const char *str; /* JS_STR: the decoded text; JS_NUM: the number's text */
    double num;      /* JS_NUM */
    size_t count;    /* JS_ARR, JS_OBJ: children */
    js_node *child;  /* the first child */
    js_node *next;   /* the next sibling */
};

typedef struct js_doc js_doc;

/* Parses text[0..len) (surrounding white space allowed). Returns 0 and *out,
 * or -EINVAL (not JSON), -E2BIG (too long or too deep), -ENOMEM. */
int js_parse(const char *text, size_t len, js_doc **out);
void js_free(js_doc *d); /* NULL is a no-op */
const js_node *js_root(const js_doc *d);

/* The member key of object o (the first one), or NULL. */
const js_node *js_get(const js_node *o, const char *key);
/* The string, or NULL when n is not a string. */
const char *js_str(const js_node *n);
/* A non-negative integer that fits in 64 bits into *v; false otherwise. */
bool js_u64(const js_node *n, uint64_t *v);
/* Any number into *v; false otherwise. */
bool js_num(const js_node *n, double *v);
/* true/false into *v; false when n is not a boolean. */
bool js_bool(const js_node *n, bool *v);
bool js_is(const js_node *n, js_type t);

#endif
