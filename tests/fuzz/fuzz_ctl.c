/* libFuzzer target: the control protocol (ctl.h) on arbitrary bytes.
 *
 * The input is a client's byte stream: it is cut into lines as a server
 * would (ctl_line_len), each line parsed from an exactly-sized heap copy.
 * Checked on every line: a refused line gives a message of printable ASCII
 * that fits CTL_ERRMSG_MAX; an accepted one has a known verb, an argument
 * count within the verb's arity, arguments of printable ASCII (tabs kept
 * inside quotes) that, quoted
 * again, parse back to the same request; authorization of a peer derived
 * from the input follows the documented rules; and every reply built from
 * the message or the arguments is one JSON line.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include "claimd/ctl.h"
#include "claimd/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FT_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "ctl fuzz: contract violated: %s (%s:%d)\n", #cond, __FILE__,          \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ctl_req ft_req, ft_req2;

/* One object on one line: no raw control byte, balanced outside strings. */
static void ft_one_json_line(const cbuf *b)
{
    FT_CHECK(cbuf_error(b) == 0 && b->len >= 3);
    FT_CHECK(b->p[0] == '{' && b->p[b->len - 1] == '\n' && b->p[b->len - 2] == '}');
    int depth = 0;
    int str = 0;
    for (size_t i = 0; i + 1 < b->len; i++) {
        unsigned char c = (unsigned char)b->p[i];
        FT_CHECK(c >= 0x20);
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = 0;
            continue;
        }
        if (c == '"')
            str = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        FT_CHECK(depth > 0 || i == b->len - 2);
    }
    FT_CHECK(!str && depth == 0);
}

static void ft_check_msg(const char *err)
{
    size_t n = strnlen(err, CTL_ERRMSG_MAX);
    FT_CHECK(n > 0 && n < CTL_ERRMSG_MAX - 1);
    for (size_t i = 0; i < n; i++)
        FT_CHECK(err[i] >= 0x20 && err[i] < 0x7f);
}

/* Quotes the request's words again and parses the result. */
static void ft_requote(const ctl_req *r)
{
    static char line[2 * CTL_LINE_MAX + 64];
    size_t o = 0;
    const ctl_verb_def *d = ctl_verb_def_of(r->verb);
    o += (size_t)snprintf(line, sizeof line, "%s", d->name);
    for (uint32_t i = 0; i < r->argc; i++) {
        line[o++] = ' ';
        line[o++] = '"';
        for (const char *p = r->argv[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                line[o++] = '\\';
            line[o++] = *p;
        }
        line[o++] = '"';
    }
    line[o++] = '\n';
    if (o > CTL_LINE_MAX)
        return; /* escaping made it longer than a request may be */
    char err[CTL_ERRMSG_MAX];
    FT_CHECK(ctl_parse(line, o, &ft_req2, err, sizeof err) == 0);
    FT_CHECK(ft_req2.verb == r->verb && ft_req2.argc == r->argc);
    for (uint32_t i = 0; i < r->argc; i++)
        FT_CHECK(strcmp(ft_req2.argv[i], r->argv[i]) == 0);
}

static void ft_authorize(const ctl_req *r, const uint8_t *data, size_t size)
{
    uint8_t k = size ? data[size - 1] : 0;
    gid_t sup[2] = {(gid_t)(k & 3), (gid_t)((k >> 2) & 3)};
    ctl_peer peer = {
        .uid = (uid_t)((k >> 4) & 3), .gid = (gid_t)((k >> 6) & 3), .groups = sup, .ngroups = 2};
    ctl_policy pol = {.daemon_uid = 1, .read_gid = 2, .admin_gid = (k & 1) ? 3 : CTL_GID_NONE};
    char err[CTL_ERRMSG_MAX];
    int rc = ctl_authorize(&pol, &peer, r->verb, err, sizeof err);
    int member_admin =
        pol.admin_gid != CTL_GID_NONE && (peer.gid == 3 || sup[0] == 3 || sup[1] == 3);
    int member_read = peer.gid == 2 || sup[0] == 2 || sup[1] == 2;
    int all = peer.uid == 0 || peer.uid == 1 || member_admin;
    int want = all || (!ctl_verb_def_of(r->verb)->changes && member_read);
    FT_CHECK((rc == 0) == want);
    if (rc) {
        FT_CHECK(rc == -CLAIMD_ECTL_DENIED);
        ft_check_msg(err);
    }
}

static void ft_line(const char *line, size_t n, const uint8_t *data, size_t size)
{
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    if (n)
        memcpy(copy, line, n);
    char err[CTL_ERRMSG_MAX];
    cbuf b;
    cbuf_init(&b);
    int rc = ctl_parse(copy, n, &ft_req, err, sizeof err);
    if (rc < 0) {
        FT_CHECK(rc <= -CLAIMD_ECTL_EMPTY && rc >= -CLAIMD_ECTL_BAD_ARG);
        ft_check_msg(err);
        ctl_reply_error(&b, err);
        ft_one_json_line(&b);
    } else {
        const ctl_verb_def *d = ctl_verb_def_of(ft_req.verb);
        FT_CHECK(d && ft_req.argc >= d->min_args && ft_req.argc <= d->max_args);
        ctl_reply_ok(&b);
        for (uint32_t i = 0; i < ft_req.argc; i++) {
            const char *a = ft_req.argv[i];
            FT_CHECK(a >= ft_req.buf && a < ft_req.buf + sizeof ft_req.buf);
            for (; *a; a++)
                FT_CHECK((*a >= 0x20 && *a < 0x7f) || *a == '\t');
            ctl_reply_str(&b, ft_req.argv[i], ft_req.argv[i]);
        }
        ctl_reply_end(&b);
        ft_one_json_line(&b);
        ft_requote(&ft_req);
        ft_authorize(&ft_req, data, size);
    }
    cbuf_release(&b);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t left = size;
    for (int lines = 0; lines < 64 && left; lines++) {
        int n = ctl_line_len(p, left);
        if (n == -CLAIMD_ECTL_TOO_LONG) {
            FT_CHECK(left >= CTL_LINE_MAX);
            ft_line(p, left, data, size); /* must be refused as too long */
            FT_CHECK(ctl_parse(p, left, &ft_req, NULL, 0) == -CLAIMD_ECTL_TOO_LONG);
            return 0;
        }
        FT_CHECK(n >= 0 && n <= CTL_LINE_MAX && (size_t)n <= left);
        if (n == 0) /* the last line, without its end */
            n = (int)left;
        ft_line(p, (size_t)n, data, size);
        p += n;
        left -= (size_t)n;
    }
    return 0;
}
