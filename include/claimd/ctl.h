/* ctl_: the control protocol, without sockets (docs/control.md).
 *
 * A client sends one request line, `VERB [ARG]\n` (CRLF accepted), at most
 * CTL_LINE_MAX bytes with its end, printable ASCII (tabs count as blanks).
 * Words are separated by blanks; an argument with blanks is written in double
 * quotes, inside which \" and \\ escape and blanks (tabs too) are kept.
 * Verbs are case-insensitive. The daemon answers with one JSON line,
 * {"ok":true,...} or {"ok":false,"error":"..."}.
 *
 * This module parses a request, holds the verb table (arity, whether a verb
 * changes state), decides whether a peer may use a verb, and builds the JSON
 * replies. The server owns the socket, SO_PEERCRED and the peer's groups.
 *
 * PHI: error messages name the verb and the problem, never argument contents,
 * with one exception: a reply may echo a submit PATH (operator input, a file
 * name; the daemon's "not under an allowed root" reply names it). Callers
 * must keep claim data (names, ids, segment contents) out of every reply.
 *
 * Pure code: no I/O, no allocation except through the caller's cbuf, no
 * globals. Thread-safe on distinct requests.
 */
#ifndef CLAIMD_CTL_H
#define CLAIMD_CTL_H

#include "claimd/cbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_LINE_MAX   4096 /* bytes of a request, its '\n' included */
#define CTL_ARGS_MAX   4    /* words after the verb that the parser keeps */
#define CTL_ID_MAX     64   /* characters of a job id */
#define CTL_GID_NONE   ((gid_t)-1)
#define CTL_ERRMSG_MAX 160 /* enough for every message this module writes */

typedef enum ctl_verb {
    CTL_STATUS = 0,
    CTL_STATS,
    CTL_METRICS,
    CTL_SUBMIT,
    CTL_JOBS,
    CTL_JOB,
    CTL_CANCEL,
    CTL_PURGE,
    CTL_PAUSE,
    CTL_RESUME,
    CTL_DRAIN,
    CTL_RELOAD,
    CTL_TABLES,
    CTL_MEMORY,
    CTL_LOGLEVEL,
    CTL_VERSION,
    CTL_SHUTDOWN,
    CTL_HELP,
    CTL_VERB_COUNT
} ctl_verb;

typedef enum ctl_arg {
    CTL_ARG_NONE = 0,
    CTL_ARG_PATH,  /* absolute path */
    CTL_ARG_STATE, /* queued|running|done|failed|cancelled */
    CTL_ARG_ID,    /* job id: 1..CTL_ID_MAX of [A-Za-z0-9._-] */
    CTL_ARG_LEVEL, /* err|warning|notice|info|debug (error, warn) */
} ctl_arg;

typedef struct ctl_verb_def {
    ctl_verb verb;
    const char *name;  /* "submit" */
    uint8_t min_args;  /* 0 or 1 */
    uint8_t max_args;  /* 0 or 1 */
    uint8_t arg;       /* ctl_arg of the argument, if any */
    bool changes;      /* changes state: root, daemon user, admin group only */
    const char *usage; /* "submit PATH" */
    const char *help;  /* one line */
} ctl_verb_def;

/* The verb table, indexed by ctl_verb; *n = CTL_VERB_COUNT. Static. */
const ctl_verb_def *ctl_verbs(size_t *n);
/* The entry of v, or NULL for an invalid v. */
const ctl_verb_def *ctl_verb_def_of(ctl_verb v);

/* A parsed request. argv points into buf: valid as long as the struct. */
typedef struct ctl_req {
    ctl_verb verb;
    uint32_t argc;
    const char *argv[CTL_ARGS_MAX];
    char buf[CTL_LINE_MAX];
} ctl_req;

/* Where the first request in buf[0..len) ends (what a server calls as bytes
 * arrive): the length of the line with its '\n' (1..CTL_LINE_MAX); 0 when no
 * '\n' yet and more may come; -CLAIMD_ECTL_TOO_LONG when CTL_LINE_MAX bytes
 * hold no '\n' (answer, then close: the rest of the line is not read). */
int ctl_line_len(const char *buf, size_t len);

/* Parses one request line line[0..len), with or without its "\n" or "\r\n"
 * (a '\r' counts as a line end only before the '\n'; without a '\n' the line
 * counts as one byte longer, as if it had one).
 * On success fills *req (verb, arguments unquoted) and returns 0; on failure
 * *req is unspecified and err (when errlen > 0) holds a message for the
 * client (at most CTL_ERRMSG_MAX bytes with its NUL; never argument contents).
 * Returns 0 or
 *   -EINVAL                   NULL line or req;
 *   -CLAIMD_ECTL_EMPTY        nothing but blanks;
 *   -CLAIMD_ECTL_TOO_LONG     len > CTL_LINE_MAX with the end;
 *   -CLAIMD_ECTL_BAD_BYTE     a NUL, control byte (tab excepted), a '\n' or
 *                             '\r' before the end, or a byte >= 0x7f;
 *   -CLAIMD_ECTL_SYNTAX       an unterminated quote, or a quote inside a word;
 *   -CLAIMD_ECTL_UNKNOWN_VERB a verb not in the table;
 *   -CLAIMD_ECTL_ARITY        too few or too many arguments for the verb;
 *   -CLAIMD_ECTL_BAD_ARG      an argument not of the verb's form (relative
 *                             path, unknown state or level, bad job id). */
int ctl_parse(const char *line, size_t len, ctl_req *req, char *err, size_t errlen);

/* Who may use which verb. The server fills it from the config: daemon_uid is
 * its own uid; read_gid the socket's group; admin_gid control_admin_group
 * (CTL_GID_NONE for none). */
typedef struct ctl_policy {
    uid_t daemon_uid;
    gid_t read_gid;
    gid_t admin_gid;
} ctl_policy;

/* The peer of a connection: uid and gid from SO_PEERCRED, and its
 * supplementary groups when the server knows them (SO_PEERCRED carries only
 * the primary gid; the server may read /proc/PID/status "Groups:"). groups
 * may be NULL when ngroups is 0; it is only read during the call. */
typedef struct ctl_peer {
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t ngroups;
} ctl_peer;

/* Decides whether peer may use verb v:
 *   uid 0 and daemon_uid: every verb;
 *   a member of admin_gid (primary or supplementary): every verb;
 *   a member of read_gid: verbs that do not change state;
 *   anyone else: none.
 * Returns 0 when allowed; -CLAIMD_ECTL_DENIED with the reason in err (the
 * verb and the rule, the peer's uid; no other data); -EINVAL for NULL
 * arguments or an invalid verb. */
int ctl_authorize(const ctl_policy *pol, const ctl_peer *peer, ctl_verb v, char *err,
                  size_t errlen);

/* JSON replies, one line each, built in the caller's cbuf (check
 * cbuf_error() at the end). A success reply is ctl_reply_ok(), any number of
 * ctl_reply_*() fields, then ctl_reply_end(). Keys are the caller's static
 * names; values are escaped (cbuf_json_str: quotes, backslashes, control
 * bytes, invalid UTF-8), so a reply is always one valid JSON line. */
void ctl_reply_ok(cbuf *b);                                  /* {"ok":true */
void ctl_reply_str(cbuf *b, const char *key, const char *v); /* ,"key":"v" (null if v NULL) */
void ctl_reply_strn(cbuf *b, const char *key, const char *v, size_t n);
void ctl_reply_u64(cbuf *b, const char *key, uint64_t v); /* ,"key":123 */
void ctl_reply_i64(cbuf *b, const char *key, int64_t v);  /* ,"key":-5 */
void ctl_reply_bool(cbuf *b, const char *key, bool v);    /* ,"key":true */
/* ,"key":<json>: json is the caller's already-valid JSON (arrays, objects). */
void ctl_reply_raw(cbuf *b, const char *key, const char *json, size_t n);
void ctl_reply_end(cbuf *b); /* }\n */

/* {"ok":false,"error":"msg"}\n, msg escaped. */
void ctl_reply_error(cbuf *b, const char *msg);

/* The reply to `help`: {"ok":true,"verbs":[{"verb":..,"usage":..,
 * "changes":..,"help":..},...]}\n. */
void ctl_reply_help(cbuf *b);

#endif
