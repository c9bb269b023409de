/* ctlsrv_: the control socket server (private to daemon/runtime; the
 * protocol's pure layer is claimd/ctl.h, docs/control.md).
 *
 * One thread (the daemon's main loop) drives it: ctlsrv_fd() is an epoll
 * descriptor that becomes readable when the server has work, and
 * ctlsrv_run() does that work without blocking. Every socket is
 * non-blocking; each connection has a fixed input buffer (CTL_LINE_MAX) and
 * an output buffer that grows up to max_reply. A connection may send any
 * number of requests, one at a time: the next line is read only after the
 * previous reply is written (a pipelining client just waits in the kernel's
 * buffer).
 *
 * Per connection:
 *   read until '\n' -> ctl_parse -> SO_PEERCRED peer (read once at accept;
 *   supplementary groups from SO_PEERGROUPS, recorded by the kernel at
 *   connect, or on kernels before 4.13 from /proc/PID/status when its
 *   effective uid and gid still match) -> ctl_authorize -> the handler ->
 *   reply written as the socket takes it -> next request.
 * A connection idle between requests (nothing half read, no reply pending,
 * or a deferred request waiting for the daemon) is not timed out; max_clients
 * bounds how many there are.
 * Failures are answered with {"ok":false,"error":...} and the connection
 * kept, except: an overlong line (answered, then closed), a client silent
 * for idle_ms with a request half sent or a reply unread (closed), more
 * than max_clients connections (the newest is answered "too many
 * connections" and closed), a peer that hung up (closed, its pending reply
 * dropped). Nothing a client does blocks another client or the caller for
 * longer than one non-blocking read or write.
 *
 * Socket: ctlsrv_open binds path (unlinking a stale socket first: one that
 * refuses connections; a live one is -EADDRINUSE), mode 0660 (umask around
 * bind, then chmod), group gid (chown) when not (gid_t)-1. Under systemd
 * socket activation (LISTEN_PID = getpid(), LISTEN_FDS >= 1; sdnotify.h)
 * the inherited fd 3 is used instead and the path is neither bound nor
 * unlinked. ctlsrv_open calls sdn_listen_fds() itself (which clears the
 * environment): the daemon must not call it first. Only fd 3 is used.
 *
 * Threads: every call, ctlsrv_answer included, on the thread that runs
 * ctlsrv_run. ctlsrv_open sets the process umask for the moment of bind:
 * open the server before starting threads that create files.
 *
 * Replies carry no PHI: the handler's replies are its own business; this
 * module's own messages name the problem only.
 */
#ifndef CLAIMD_CTLSRV_H
#define CLAIMD_CTLSRV_H

#include "claimd/cbuf.h"
#include "claimd/ctl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ctlsrv ctlsrv;

/* The handler's answer. */
#define CTLSRV_DONE  0 /* the reply is in out */
#define CTLSRV_DEFER 1 /* the handler keeps tok and answers later (ctlsrv_answer) */
#define CTLSRV_CLOSE 2 /* the reply is in out; close the connection after it */

/* Called on the server's thread for a parsed, authorized request. Appends
 * one reply line to out (ctl_reply_*), or keeps tok and returns
 * CTLSRV_DEFER (anything it wrote to out is then discarded). A handler that
 * defers must answer every tok exactly once, even when the client has gone
 * (ctlsrv_answer returns -ENOENT then): until it does, the server keeps the
 * peer and verb of a changing request for the audit callback. req and peer
 * are valid during the call only. Another return value is answered
 * "internal error". The handler may call ctlsrv_answer for other toks, but
 * not ctlsrv_close. */
typedef int (*ctlsrv_fn)(void *ctx, const ctl_req *req, const ctl_peer *peer, uint64_t tok,
                         cbuf *out);

/* Called for every request of a verb that changes state, once its outcome
 * is known (allowed and answered, deferred and answered, or refused): ok is
 * the reply's "ok", msg its "error" (NULL when ok). For the audit log.
 * ok and msg are those of the reply as sent (a reply replaced because it
 * was too large is audited as that error); msg is unescaped, cut to 255
 * bytes, valid during the call only. A request that does not parse has no
 * verb and is not audited. A deferred request still unanswered at
 * ctlsrv_close is audited there (ok false). */
typedef void (*ctlsrv_audit_fn)(void *ctx, const ctl_peer *peer, ctl_verb verb, bool ok,
                                const char *msg);

typedef struct ctlsrv_opts {
    const char *path;     /* socket path (<= 107 bytes); may be NULL under socket activation */
    gid_t gid;            /* the socket's group; (gid_t)-1 = leave as created */
    ctl_policy policy;    /* who may use which verb */
    unsigned max_clients; /* 0 = 1024 */
    unsigned idle_ms; /* 0 = 10000: a client silent this long mid-request or mid-reply is closed */
    size_t max_reply; /* 0 = 64 MiB: a bigger reply is replaced by an error */
    ctlsrv_fn handler;
    ctlsrv_audit_fn audit; /* may be NULL */
    void *ctx;
} ctlsrv_opts;

/* Creates the listening socket (or takes the socket-activated one) and the
 * epoll set. Returns 0 and *out, or -errno: -EINVAL (NULL o, out or
 * handler; no path and no socket activation; an inherited fd 3 that is not
 * a listening Unix stream socket), -EADDRINUSE (another daemon answers on
 * path), -EEXIST (path exists and is not a socket: never unlinked),
 * -ENAMETOOLONG, or the error of socket, bind, chmod, chown or listen. */
int ctlsrv_open(const ctlsrv_opts *o, ctlsrv **out);

/* An fd that is readable (EPOLLIN) when ctlsrv_run has work; for the
 * caller's own poll/epoll. */
int ctlsrv_fd(const ctlsrv *s);

/* Accepts, reads, answers and writes whatever is ready, waiting at most
 * timeout_ms (0: not at all) for something to be. Also closes idle
 * connections. Returns the number of events handled, or -errno of
 * epoll_wait (EINTR is returned as 0). */
int ctlsrv_run(ctlsrv *s, int timeout_ms);

/* Answers a deferred request: reply is one JSON line ('\n' included; added
 * when missing), copied. It is written by the next ctlsrv_run (ctlsrv_fd is
 * readable at once). Returns 0, -EINVAL (NULL reply or len 0: the request
 * stays deferred), -ENOMEM (the connection is closed), or -ENOENT when its
 * connection is gone or tok is unknown (the reply is dropped; the audit
 * callback still runs for a request it deferred). */
int ctlsrv_answer(ctlsrv *s, uint64_t tok, const char *reply, size_t len);

/* Open connections (for stats). */
unsigned ctlsrv_clients(const ctlsrv *s);
/* Requests answered since open. */
uint64_t ctlsrv_requests(const ctlsrv *s);

/* Changes the policy (after a reload); new requests use it. */
void ctlsrv_set_policy(ctlsrv *s, const ctl_policy *p);

/* Stops listening: new connections are refused; open ones are still served
 * (shutdown answers its own request). The socket file stays until
 * ctlsrv_close. */
void ctlsrv_stop_listening(ctlsrv *s);

/* Closes every connection and the socket; unlinks path when it bound it
 * and the file is still the socket it bound. NULL is a no-op. */
void ctlsrv_close(ctlsrv *s);

#endif
