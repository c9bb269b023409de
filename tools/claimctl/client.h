/* cc_: one request to claimd over its control socket (docs/control.md).
 *
 * cc_request() connects, sends `VERB [ARG]\n` (the argument quoted when it
 * holds blanks or quotes, or is empty), reads one reply line within the
 * timeout and parses it. Each call uses its own connection.
 */
#ifndef CLAIMCTL_CLIENT_H
#define CLAIMCTL_CLIENT_H

#include "json.h"

#include <stdbool.h>
#include <stddef.h>

#define CC_TIMEOUT_MS 30000 /* for the whole reply */
#define CC_REPLY_MAX  JS_MAX_INPUT

typedef struct cc_reply {
    char *line; /* the reply without its line end (heap) */
    size_t len;
    js_doc *doc;         /* the parsed line */
    const js_node *root; /* an object with a boolean "ok" */
    bool ok;
    const char *error; /* "error" of an ok:false reply (or a placeholder) */
} cc_reply;

/* The request line for verb and arg (NULL: none) into a heap string:
 * `verb arg\n` or `verb "a\"rg"\n`. Returns NULL when arg holds a control
 * byte (it would end or break the line) or memory runs out. */
char *cc_request_line(const char *verb, const char *arg);

/* Sends one request and reads its reply into *out (released with
 * cc_reply_free). Returns 0 when a reply object with "ok" arrived (ok or
 * not), or a negative errno with a message in err: -ENOENT, -ECONNREFUSED
 * etc. (cannot connect), -ECONNRESET (closed without a reply), -ETIMEDOUT,
 * -EMSGSIZE (reply too long), -EBADMSG (not a JSON object with "ok"),
 * -EINVAL (the argument cannot be sent). */
int cc_request(const char *sock, const char *verb, const char *arg, int timeout_ms, cc_reply *out,
               char *err, size_t errlen);
void cc_reply_free(cc_reply *r);

#endif
