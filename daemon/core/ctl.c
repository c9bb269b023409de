/* ctl_: the control protocol (ctl.h): request lines, the verb table,
 * authorization and JSON replies. */
#include "claimd/ctl.h"

#include "claimd/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Indexed by ctl_verb. Keep docs/control.md in step (a test compares). */
static const ctl_verb_def ctl_verb_tab[CTL_VERB_COUNT] = {
    {CTL_STATUS, "status", 0, 0, CTL_ARG_NONE, false, "status",
     "daemon state, intake, tables version, jobs by state"},
    {CTL_STATS, "stats", 0, 0, CTL_ARG_NONE, false, "stats",
     "counters: claims, findings per edit, bytes, queue depths"},
    {CTL_METRICS, "metrics", 0, 0, CTL_ARG_NONE, false, "metrics",
     "the same counters in the Prometheus text format"},
    {CTL_SUBMIT, "submit", 1, 1, CTL_ARG_PATH, true, "submit PATH",
     "queue the file at the absolute PATH as a job; answers with its id"},
    {CTL_JOBS, "jobs", 0, 1, CTL_ARG_STATE, false, "jobs [STATE]",
     "list jobs, or those in STATE (queued, running, done, failed, cancelled)"},
    {CTL_JOB, "job", 1, 1, CTL_ARG_ID, false, "job ID", "one job: state, counts, reason"},
    {CTL_CANCEL, "cancel", 1, 1, CTL_ARG_ID, true, "cancel ID", "cancel a queued or running job"},
    {CTL_PURGE, "purge", 0, 1, CTL_ARG_ID, true, "purge [ID]",
     "remove the inputs and outputs of ended jobs now (of job ID only)"},
    {CTL_PAUSE, "pause", 0, 0, CTL_ARG_NONE, true, "pause",
     "start no new jobs; running jobs go on"},
    {CTL_RESUME, "resume", 0, 0, CTL_ARG_NONE, true, "resume", "start jobs again"},
    {CTL_DRAIN, "drain", 0, 0, CTL_ARG_NONE, true, "drain",
     "take no new jobs; finish the queued and running ones"},
    {CTL_RELOAD, "reload", 0, 0, CTL_ARG_NONE, true, "reload",
     "re-read the config; new jobs use the current tables version"},
    {CTL_TABLES, "tables", 0, 0, CTL_ARG_NONE, false, "tables",
     "the active tables version and the versions jobs still use"},
    {CTL_MEMORY, "memory", 0, 0, CTL_ARG_NONE, false, "memory", "allocator (jemalloc) statistics"},
    {CTL_LOGLEVEL, "loglevel", 1, 1, CTL_ARG_LEVEL, true, "loglevel LEVEL",
     "set the log level: err, warning, notice, info or debug"},
    {CTL_VERSION, "version", 0, 0, CTL_ARG_NONE, false, "version",
     "claimd version and tables layout"},
    {CTL_SHUTDOWN, "shutdown", 0, 0, CTL_ARG_NONE, true, "shutdown",
     "stop as on SIGTERM: finish running jobs within the grace period, exit"},
    {CTL_HELP, "help", 0, 0, CTL_ARG_NONE, false, "help", "this list"},
};

static const char *const ctl_states[] = {"queued", "running", "done", "failed", "cancelled"};
static const char *const ctl_levels[] = {"err",   "warning", "notice", "info",
                                         "debug", "error",   "warn"};

__attribute__((format(printf, 4, 5))) static int ctl_fail(char *err, size_t errlen, int rc,
                                                          const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

const ctl_verb_def *ctl_verbs(size_t *n)
{
    if (n)
        *n = CTL_VERB_COUNT;
    return ctl_verb_tab;
}

const ctl_verb_def *ctl_verb_def_of(ctl_verb v)
{
    return (unsigned)v < CTL_VERB_COUNT ? &ctl_verb_tab[v] : NULL;
}

int ctl_line_len(const char *buf, size_t len)
{
    size_t n = len < CTL_LINE_MAX ? len : CTL_LINE_MAX;
    const char *nl = buf ? memchr(buf, '\n', n) : NULL;
    if (nl)
        return (int)(nl - buf) + 1;
    return len >= CTL_LINE_MAX ? -CLAIMD_ECTL_TOO_LONG : 0;
}

static bool ctl_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits s[0..n) (bytes already checked) into NUL-terminated words in
 * req->buf; counts every word but keeps the first 1 + CTL_ARGS_MAX. */
static int ctl_split(const char *s, size_t n, ctl_req *req, const char **verb, char *err,
                     size_t errlen)
{
    char *o = req->buf;
    size_t i = 0, words = 0;
    while (i < n) {
        if (ctl_blank(s[i])) {
            i++;
            continue;
        }
        char *w = o;
        if (s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
                    i++;
                *o++ = s[i];
            }
            if (i >= n)
                return ctl_fail(err, errlen, -CLAIMD_ECTL_SYNTAX, "unterminated quote");
            i++; /* the closing quote */
            if (i < n && !ctl_blank(s[i]))
                return ctl_fail(err, errlen, -CLAIMD_ECTL_SYNTAX,
                                "a closing quote must end its argument");
        } else {
            for (; i < n && !ctl_blank(s[i]); i++) {
                if (s[i] == '"')
                    return ctl_fail(err, errlen, -CLAIMD_ECTL_SYNTAX,
                                    "a quote may only start an argument");
                *o++ = s[i];
            }
        }
        *o++ = 0;
        if (words == 0)
            *verb = w;
        else if (words <= CTL_ARGS_MAX)
            req->argv[words - 1] = w;
        words++;
    }
    if (words == 0)
        return ctl_fail(err, errlen, -CLAIMD_ECTL_EMPTY, "empty request (send 'help')");
    req->argc = (uint32_t)(words - 1);
    return 0;
}

static bool ctl_in(const char *v, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, set[i]) == 0)
            return true;
    return false;
}

/* Checks the form of a verb's argument. */
static int ctl_check_arg(const ctl_verb_def *d, const char *a, char *err, size_t errlen)
{
    size_t n = strlen(a);
    bool ok = true;
    switch ((ctl_arg)d->arg) {
    case CTL_ARG_NONE:
        break;
    case CTL_ARG_PATH:
        if (a[0] != '/')
            return ctl_fail(err, errlen, -CLAIMD_ECTL_BAD_ARG, "%s: PATH must be absolute",
                            d->name);
        break;
    case CTL_ARG_STATE:
        if (!ctl_in(a, ctl_states, sizeof ctl_states / sizeof ctl_states[0]))
            return ctl_fail(err, errlen, -CLAIMD_ECTL_BAD_ARG,
                            "%s: STATE must be queued, running, done, failed or cancelled",
                            d->name);
        break;
    case CTL_ARG_ID:
        ok = n > 0 && n <= CTL_ID_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = (a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
                 (a[i] >= '0' && a[i] <= '9') || a[i] == '.' || a[i] == '_' || a[i] == '-';
        if (!ok)
            return ctl_fail(err, errlen, -CLAIMD_ECTL_BAD_ARG,
                            "%s: ID must be 1..%d letters, digits, '.', '_' or '-'", d->name,
                            CTL_ID_MAX);
        break;
    case CTL_ARG_LEVEL:
        if (!ctl_in(a, ctl_levels, sizeof ctl_levels / sizeof ctl_levels[0]))
            return ctl_fail(err, errlen, -CLAIMD_ECTL_BAD_ARG,
                            "%s: LEVEL must be err, warning, notice, info or debug", d->name);
        break;
    }
    return 0;
}

/* Strips the line end and checks every byte. */
static int ctl_check_bytes(const char *line, size_t *len, char *err, size_t errlen)
{
    size_t n = *len;
    bool end = n && line[n - 1] == '\n';
    /* A line given without its end counts as if it had one (n + 1). */
    if (n > CTL_LINE_MAX || (!end && n == CTL_LINE_MAX))
        return ctl_fail(err, errlen, -CLAIMD_ECTL_TOO_LONG, "request longer than %d bytes",
                        CTL_LINE_MAX);
    if (end) {
        n--;
        if (n && line[n - 1] == '\r')
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return ctl_fail(err, errlen, -CLAIMD_ECTL_BAD_BYTE,
                            "byte 0x%02x at column %zu is not printable ASCII", c, i + 1);
    }
    *len = n;
    return 0;
}

int ctl_parse(const char *line, size_t len, ctl_req *req, char *err, size_t errlen)
{
    if (!line || !req)
        return ctl_fail(err, errlen, -EINVAL, "missing argument");
    int rc = ctl_check_bytes(line, &len, err, errlen);
    if (rc < 0)
        return rc;
    const char *verb = ""; /* set by ctl_split on success */
    memset(req->argv, 0, sizeof req->argv);
    rc = ctl_split(line, len, req, &verb, err, errlen);
    if (rc < 0)
        return rc;
    const ctl_verb_def *d = NULL;
    for (size_t i = 0; i < CTL_VERB_COUNT && !d; i++)
        if (strcasecmp(verb, ctl_verb_tab[i].name) == 0)
            d = &ctl_verb_tab[i];
    if (!d)
        return ctl_fail(err, errlen, -CLAIMD_ECTL_UNKNOWN_VERB, "unknown verb (send 'help')");
    if (req->argc < d->min_args || req->argc > d->max_args) {
        if (d->max_args == 0)
            return ctl_fail(err, errlen, -CLAIMD_ECTL_ARITY, "%s takes no arguments", d->name);
        return ctl_fail(err, errlen, -CLAIMD_ECTL_ARITY, "usage: %s (%u arguments given)", d->usage,
                        req->argc);
    }
    for (uint32_t i = 0; i < req->argc; i++) {
        rc = ctl_check_arg(d, req->argv[i], err, errlen);
        if (rc < 0)
            return rc;
    }
    req->verb = d->verb;
    return 0;
}

static bool ctl_member(const ctl_peer *peer, gid_t g)
{
    if (g == CTL_GID_NONE)
        return false;
    if (peer->gid == g)
        return true;
    for (size_t i = 0; i < peer->ngroups; i++)
        if (peer->groups && peer->groups[i] == g)
            return true;
    return false;
}

int ctl_authorize(const ctl_policy *pol, const ctl_peer *peer, ctl_verb v, char *err, size_t errlen)
{
    const ctl_verb_def *d = ctl_verb_def_of(v);
    if (!pol || !peer || !d)
        return ctl_fail(err, errlen, -EINVAL, "missing argument");
    if (peer->uid == 0 || peer->uid == pol->daemon_uid || ctl_member(peer, pol->admin_gid))
        return 0;
    if (d->changes)
        return ctl_fail(err, errlen, -CLAIMD_ECTL_DENIED,
                        "%s changes state: only root, the daemon's user and the control admin "
                        "group may use it (uid %lu)",
                        d->name, (unsigned long)peer->uid);
    if (ctl_member(peer, pol->read_gid))
        return 0;
    return ctl_fail(err, errlen, -CLAIMD_ECTL_DENIED,
                    "%s: uid %lu is not in the control socket's group", d->name,
                    (unsigned long)peer->uid);
}

static void ctl_key(cbuf *b, const char *key)
{
    cbuf_putc(b, ',');
    cbuf_json_str(b, key ? key : "", key ? strlen(key) : 0);
    cbuf_putc(b, ':');
}

void ctl_reply_ok(cbuf *b)
{
    cbuf_puts(b, "{\"ok\":true");
}

void ctl_reply_str(cbuf *b, const char *key, const char *v)
{
    ctl_key(b, key);
    if (v)
        cbuf_json_str(b, v, strlen(v));
    else
        cbuf_puts(b, "null");
}

void ctl_reply_strn(cbuf *b, const char *key, const char *v, size_t n)
{
    ctl_key(b, key);
    if (v)
        cbuf_json_str(b, v, n);
    else
        cbuf_puts(b, "null");
}

void ctl_reply_u64(cbuf *b, const char *key, uint64_t v)
{
    ctl_key(b, key);
    cbuf_printf(b, "%llu", (unsigned long long)v);
}

void ctl_reply_i64(cbuf *b, const char *key, int64_t v)
{
    ctl_key(b, key);
    cbuf_printf(b, "%lld", (long long)v);
}

void ctl_reply_bool(cbuf *b, const char *key, bool v)
{
    ctl_key(b, key);
    cbuf_puts(b, v ? "true" : "false");
}

void ctl_reply_raw(cbuf *b, const char *key, const char *json, size_t n)
{
    ctl_key(b, key);
    if (json && n)
        cbuf_append(b, json, n);
    else
        cbuf_puts(b, "null");
}

void ctl_reply_end(cbuf *b)
{
    cbuf_puts(b, "}\n");
}

void ctl_reply_error(cbuf *b, const char *msg)
{
    if (!msg || !*msg)
        msg = "error";
    cbuf_puts(b, "{\"ok\":false,\"error\":");
    cbuf_json_str(b, msg, strlen(msg));
    cbuf_puts(b, "}\n");
}

void ctl_reply_help(cbuf *b)
{
    ctl_reply_ok(b);
    cbuf_puts(b, ",\"verbs\":[");
    for (size_t i = 0; i < CTL_VERB_COUNT; i++) {
        const ctl_verb_def *d = &ctl_verb_tab[i];
        cbuf_printf(b, "%s{\"verb\":\"%s\",\"usage\":\"%s\",\"changes\":%s,\"help\":", i ? "," : "",
                    d->name, d->usage, d->changes ? "true" : "false");
        cbuf_json_str(b, d->help, strlen(d->help));
        cbuf_putc(b, '}');
    }
    cbuf_putc(b, ']');
    ctl_reply_end(b);
}
