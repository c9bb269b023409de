/* cc_: see client.h. */
#define _GNU_SOURCE
#include "client.h"

#include "claimd/cbuf.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

char *cc_request_line(const char *verb, const char *arg)
{
    cbuf b;
    cbuf_init(&b);
    cbuf_puts(&b, verb);
    if (arg) {
        bool quote = !*arg || strpbrk(arg, " \t\"") != NULL;
        for (const char *p = arg; *p; p++) {
            if ((unsigned char)*p < 0x20 && *p != '\t') {
                cbuf_release(&b);
                return NULL;
            }
        }
        cbuf_putc(&b, ' ');
        if (quote)
            cbuf_putc(&b, '"');
        for (const char *p = arg; *p; p++) {
            if (quote && (*p == '"' || *p == '\\'))
                cbuf_putc(&b, '\\');
            cbuf_putc(&b, *p);
        }
        if (quote)
            cbuf_putc(&b, '"');
    }
    cbuf_putc(&b, '\n');
    if (cbuf_error(&b)) {
        cbuf_release(&b);
        return NULL;
    }
    return b.p;
}

static int cc_connect(const char *sock, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path longer than %zu bytes: %s", sizeof sa.sun_path - 1,
                 sock);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int rc = -errno;
        snprintf(err, errlen, "cannot connect to %s: %s", sock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return fd;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cc_send(int fd, const char *line, char *err, size_t errlen)
{
    size_t n = strlen(line), off = 0;
    while (off < n) {
        ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int rc = -errno;
            snprintf(err, errlen, "connection lost while sending: %s", strerror(errno));
            return rc;
        }
        off += (size_t)w;
    }
    return 0;
}

/* Reads until a '\n' into b; returns the line's length without it. */
static int cc_read_line(int fd, int timeout_ms, cbuf *b, size_t *len, char *err, size_t errlen)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            snprintf(err, errlen, "no reply within %d s", timeout_ms / 1000);
            return -ETIMEDOUT;
        }
        if (b->len >= CC_REPLY_MAX) {
            snprintf(err, errlen, "reply longer than %u bytes", CC_REPLY_MAX);
            return -EMSGSIZE;
        }
        int rc = pr < 0 ? -errno : cbuf_reserve(b, 65536);
        if (rc < 0) {
            snprintf(err, errlen, "reading the reply: %s", strerror(-rc));
            return rc;
        }
        ssize_t r = read(fd, b->p + b->len, 65536);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "connection closed without a reply%s%s", r < 0 ? ": " : "",
                     r < 0 ? strerror(errno) : "");
            return -ECONNRESET;
        }
        char *nl = memchr(b->p + b->len, '\n', (size_t)r);
        b->len += (size_t)r;
        b->p[b->len] = 0;
        if (nl) {
            *len = (size_t)(nl - b->p);
            return 0;
        }
    }
}

static int cc_parse(cc_reply *out, char *err, size_t errlen)
{
    size_t n = out->len;
    if (n && out->line[n - 1] == '\r')
        n--;
    int rc = js_parse(out->line, n, &out->doc);
    const js_node *root = rc == 0 ? js_root(out->doc) : NULL;
    if (!js_bool(js_get(root, "ok"), &out->ok)) {
        snprintf(err, errlen, "bad reply from the daemon (not a JSON object with \"ok\")");
        return -EBADMSG;
    }
    out->root = root;
    out->error = js_str(js_get(root, "error"));
    if (!out->ok && !out->error)
        out->error = "the daemon refused the request (no message)";
    return 0;
}

int cc_request(const char *sock, const char *verb, const char *arg, int timeout_ms, cc_reply *out,
               char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *line = cc_request_line(verb, arg);
    if (!line) {
        snprintf(err, errlen, "the argument holds a control character");
        return -EINVAL;
    }
    int fd = cc_connect(sock, err, errlen);
    if (fd < 0) {
        free(line);
        return fd;
    }
    cbuf b;
    cbuf_init(&b);
    size_t len = 0;
    int rc = cc_send(fd, line, err, errlen);
    if (rc == 0)
        rc = cc_read_line(fd, timeout_ms, &b, &len, err, errlen);
    close(fd);
    free(line);
    if (rc < 0) {
        cbuf_release(&b);
        return rc;
    }
    out->line = b.p;
    out->len = len;
    out->line[len] = 0;
    rc = cc_parse(out, err, errlen);
    if (rc < 0)
        cc_reply_free(out);
    return rc;
}

void cc_reply_free(cc_reply *r)
{
    if (!r)
        return;
    js_free(r->doc);
    free(r->line);
    memset(r, 0, sizeof *r);
}
