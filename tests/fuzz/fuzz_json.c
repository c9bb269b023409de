/* libFuzzer target: claimctl's JSON reader (tools/claimctl/json.c) on
 * arbitrary bytes, from an exactly-sized heap copy.
 *
 * Checked, else the target aborts:
 *   - js_parse returns 0 (with a document) or -EINVAL / -E2BIG / -ENOMEM
 *     (without one);
 *   - the tree: containers nest at most JS_MAX_DEPTH deep; count is the
 *     number of children; object members have a key, array elements and the
 *     root none; strings and number texts are NUL-terminated (read whole);
 *     every getter agrees with the node's type; js_get(o, key) finds a member
 *     with that key (the first);
 *   - parsing the same bytes again gives the same tree (hash).
 */
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JF_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "json fuzz: contract violated: %s (%s:%d)\n", #cond, __FILE__,         \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static uint64_t jf_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

static uint64_t jf_str(uint64_t h, const char *s)
{
    return s ? jf_mix(h, s, strlen(s) + 1) : jf_mix(h, "", 0);
}

/* Checks n and its subtree at container depth depth; returns the hash. */
static uint64_t jf_node(const js_node *n, int depth, uint64_t h)
{
    JF_CHECK(n->type >= JS_NULL && n->type <= JS_OBJ);
    h = jf_mix(h, &n->type, sizeof n->type);
    h = jf_str(h, n->key);
    double d;
    bool b;
    uint64_t u;
    JF_CHECK(js_is(n, n->type));
    JF_CHECK((js_str(n) != NULL) == (n->type == JS_STR));
    JF_CHECK(js_num(n, &d) == (n->type == JS_NUM));
    JF_CHECK(js_bool(n, &b) == (n->type == JS_TRUE || n->type == JS_FALSE));
    if (js_u64(n, &u))
        JF_CHECK(n->type == JS_NUM);
    switch (n->type) {
    case JS_STR:
    case JS_NUM:
        JF_CHECK(n->str != NULL);
        h = jf_str(h, n->str);
        break;
    case JS_ARR:
    case JS_OBJ: {
        JF_CHECK(depth + 1 <= JS_MAX_DEPTH);
        size_t k = 0;
        for (const js_node *c = n->child; c; c = c->next, k++) {
            JF_CHECK(k < n->count);
            JF_CHECK((c->key != NULL) == (n->type == JS_OBJ));
            h = jf_node(c, depth + 1, h);
            if (n->type == JS_OBJ) {
                const js_node *g = js_get(n, c->key);
                JF_CHECK(g != NULL && strcmp(g->key, c->key) == 0);
            }
        }
        JF_CHECK(k == n->count);
        h = jf_mix(h, &k, sizeof k);
        break;
    }
    default:
        JF_CHECK(n->child == NULL && n->count == 0);
        break;
    }
    return h;
}

static int jf_parse(const char *buf, size_t size, uint64_t *h)
{
    js_doc *d = (js_doc *)0x1;
    int rc = js_parse(buf, size, &d);
    JF_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
    *h = UINT64_C(1469598103934665603);
    if (rc != 0)
        return rc;
    const js_node *root = js_root(d);
    JF_CHECK(root != NULL && root->key == NULL);
    *h = jf_node(root, 0, *h);
    js_free(d);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    JF_CHECK(buf != NULL);
    memcpy(buf, data, size);
    uint64_t h1, h2;
    int rc1 = jf_parse(buf, size, &h1);
    int rc2 = jf_parse(buf, size, &h2);
    JF_CHECK(rc1 == rc2 && h1 == h2);
    JF_CHECK(js_get(NULL, "x") == NULL && js_str(NULL) == NULL && !js_is(NULL, JS_NULL));
    free(buf);
    return 0;
}
