/* js_: see json.h. Two passes over the text with one recursive-descent
 * parser: the first only counts nodes and string bytes (and validates), the
 * second fills two allocations of exactly that size, so node pointers never
 * move and a huge document costs memory in proportion to its values. */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct js_doc {
    js_node *nodes;
    char *strs;
};

typedef struct jp {
    const char *p, *end;
    int depth;
    js_node *nodes; /* NULL in the counting pass */
    size_t nn;
    char *s; /* NULL in the counting pass */
    size_t sn;
} jp;

static int jp_value(jp *j, js_node *n);

static void jp_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static js_node *jp_node(jp *j)
{
    size_t i = j->nn++;
    if (!j->nodes)
        return NULL;
    js_node *n = &j->nodes[i];
    memset(n, 0, sizeof *n);
    return n;
}

static void jp_put(jp *j, unsigned char c)
{
    if (j->s)
        j->s[j->sn] = (char)c;
    j->sn++;
}

static void jp_utf8(jp *j, uint32_t cp)
{
    if (cp < 0x80) {
        jp_put(j, (unsigned char)cp);
    } else if (cp < 0x800) {
        jp_put(j, (unsigned char)(0xc0 | cp >> 6));
        jp_put(j, (unsigned char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        jp_put(j, (unsigned char)(0xe0 | cp >> 12));
        jp_put(j, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        jp_put(j, (unsigned char)(0x80 | (cp & 0x3f)));
    } else {
        jp_put(j, (unsigned char)(0xf0 | cp >> 18));
        jp_put(j, (unsigned char)(0x80 | (cp >> 12 & 0x3f)));
        jp_put(j, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        jp_put(j, (unsigned char)(0x80 | (cp & 0x3f)));
    }
}

/* Four hex digits at j->p into *v. */
static int jp_hex4(jp *j, uint32_t *v)
{
    if (j->end - j->p < 4)
        return -EINVAL;
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        char c = j->p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -EINVAL;
        x = x << 4 | (uint32_t)d;
    }
    j->p += 4;
    *v = x;
    return 0;
}

/* After "\u": one code point, a surrogate pair joined, a lone one U+FFFD. */
static int jp_uescape(jp *j)
{
    uint32_t cp, lo;
    if (jp_hex4(j, &cp) < 0)
        return -EINVAL;
    if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
        const char *save = j->p;
        j->p += 2;
        if (jp_hex4(j, &lo) < 0)
            return -EINVAL;
        if (lo >= 0xdc00 && lo < 0xe000)
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        else
            j->p = save; /* not a low half: decoded on its own next */
    }
    if (cp >= 0xd800 && cp < 0xe000)
        cp = 0xfffd;
    jp_utf8(j, cp);
    return 0;
}

static int jp_escape(jp *j)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (j->p >= j->end)
        return -EINVAL;
    char c = *j->p++;
    if (c == 'u')
        return jp_uescape(j);
    const char *k = memchr(from, c, sizeof from - 1);
    if (!k)
        return -EINVAL;
    jp_put(j, (unsigned char)to[k - from]);
    return 0;
}

/* A string at j->p (its opening quote) into the string area; *out its start. */
static int jp_string(jp *j, const char **out)
{
    j->p++;
    size_t start = j->sn;
    for (;;) {
        if (j->p >= j->end)
            return -EINVAL;
        unsigned char c = (unsigned char)*j->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return -EINVAL;
        j->p++;
        if (c != '\\')
            jp_put(j, c);
        else if (jp_escape(j) < 0)
            return -EINVAL;
    }
    j->p++;
    jp_put(j, 0);
    *out = j->s ? j->s + start : NULL;
    return 0;
}

static size_t jp_digits(jp *j)
{
    const char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return (size_t)(j->p - s);
}

/* The JSON number grammar; the text is copied so strtod sees its end. */
static int jp_number(jp *j, js_node *n)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    size_t d = jp_digits(j);
    if (d == 0 || (d > 1 && j->p[-(ptrdiff_t)d] == '0'))
        return -EINVAL;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!jp_digits(j))
            return -EINVAL;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!jp_digits(j))
            return -EINVAL;
    }
    size_t start = j->sn;
    for (const char *q = s; q < j->p; q++)
        jp_put(j, (unsigned char)*q);
    jp_put(j, 0);
    if (n) {
        n->type = JS_NUM;
        n->str = j->s + start;
        n->num = strtod(n->str, NULL);
    }
    return 0;
}

static int jp_word(jp *j, const char *w, js_node *n, js_type t)
{
    size_t k = strlen(w);
    if ((size_t)(j->end - j->p) < k || memcmp(j->p, w, k) != 0)
        return -EINVAL;
    j->p += k;
    if (n)
        n->type = t;
    return 0;
}

/* The members or elements of an object or array; j->p at '{' or '['. */
// NOLINTNEXTLINE(misc-no-recursion): depth bounded by JS_MAX_DEPTH
static int jp_list(jp *j, js_node *n, bool obj)
{
    char close = obj ? '}' : ']';
    if (++j->depth > JS_MAX_DEPTH)
        return -E2BIG;
    if (n)
        n->type = obj ? JS_OBJ : JS_ARR;
    j->p++;
    jp_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    js_node *last = NULL;
    for (;;) {
        const char *key = NULL;
        jp_ws(j);
        if (obj) {
            if (j->p >= j->end || *j->p != '"' || jp_string(j, &key) < 0)
                return -EINVAL;
            jp_ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                return -EINVAL;
        }
        js_node *c = jp_node(j);
        if (c) {
            c->key = key;
            *(last ? &last->next : &n->child) = c;
            last = c;
            n->count++;
        }
        int rc = jp_value(j, c);
        if (rc < 0)
            return rc;
        jp_ws(j);
        if (j->p >= j->end)
            return -EINVAL;
        char sep = *j->p++;
        if (sep == close)
            break;
        if (sep != ',')
            return -EINVAL;
    }
    j->depth--;
    return 0;
}

// NOLINTNEXTLINE(misc-no-recursion): depth bounded by JS_MAX_DEPTH
static int jp_value(jp *j, js_node *n)
{
    jp_ws(j);
    if (j->p >= j->end)
        return -EINVAL;
    switch (*j->p) {
    case '{':
        return jp_list(j, n, true);
    case '[':
        return jp_list(j, n, false);
    case '"': {
        const char *s;
        if (jp_string(j, &s) < 0)
            return -EINVAL;
        if (n) {
            n->type = JS_STR;
            n->str = s;
        }
        return 0;
    }
    case 't':
        return jp_word(j, "true", n, JS_TRUE);
    case 'f':
        return jp_word(j, "false", n, JS_FALSE);
    case 'n':
        return jp_word(j, "null", n, JS_NULL);
    default:
        return jp_number(j, n);
    }
}

/* One pass: the root value and nothing but white space after it. */
static int jp_run(jp *j, const char *text, size_t len)
{
    j->p = text;
    j->end = text + len;
    j->depth = 0;
    j->nn = j->sn = 0;
    int rc = jp_value(j, jp_node(j));
    if (rc < 0)
        return rc;
    jp_ws(j);
    return j->p == j->end ? 0 : -EINVAL;
}

int js_parse(const char *text, size_t len, js_doc **out)
{
    if (!text || !out)
        return -EINVAL;
    if (len > JS_MAX_INPUT)
        return -E2BIG;
    jp j = {0};
    int rc = jp_run(&j, text, len);
    if (rc < 0)
        return rc;
    js_doc *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->nodes = calloc(j.nn, sizeof *d->nodes);
    d->strs = malloc(j.sn ? j.sn : 1);
    if (!d->nodes || !d->strs) {
        js_free(d);
        return -ENOMEM;
    }
    j.nodes = d->nodes;
    j.s = d->strs;
    rc = jp_run(&j, text, len);
    if (rc < 0) { /* cannot happen: the same text passed the first pass */
        js_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void js_free(js_doc *d)
{
    if (!d)
        return;
    free(d->nodes);
    free(d->strs);
    free(d);
}

const js_node *js_root(const js_doc *d)
{
    return d ? d->nodes : NULL;
}

const js_node *js_get(const js_node *o, const char *key)
{
    if (!o || o->type != JS_OBJ || !key)
        return NULL;
    for (const js_node *c = o->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const char *js_str(const js_node *n)
{
    return n && n->type == JS_STR ? n->str : NULL;
}

bool js_u64(const js_node *n, uint64_t *v)
{
    if (!n || n->type != JS_NUM || !n->str || n->str[0] == '-')
        return false;
    uint64_t x = 0;
    for (const char *p = n->str; *p; p++) {
        if (*p < '0' || *p > '9')
            return false; /* a fraction or an exponent */
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

bool js_num(const js_node *n, double *v)
{
    if (!n || n->type != JS_NUM)
        return false;
    *v = n->num;
    return true;
}

bool js_bool(const js_node *n, bool *v)
{
    if (!n || (n->type != JS_TRUE && n->type != JS_FALSE))
        return false;
    *v = n->type == JS_TRUE;
    return true;
}

bool js_is(const js_node *n, js_type t)
{
    return n && n->type == t;
}
