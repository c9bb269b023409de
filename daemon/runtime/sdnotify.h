/* sdn_: systemd's notify and socket-activation protocols without libsystemd
 * (private to daemon/runtime; sd_notify(3), sd_listen_fds(3)).
 *
 * With no NOTIFY_SOCKET in the environment every call is a no-op returning
 * 0, so the daemon runs the same by hand.
 */
#ifndef CLAIMD_SDNOTIFY_H
#define CLAIMD_SDNOTIFY_H

#include <stdint.h>

#define SDN_LISTEN_FDS_START 3

/* Sends one datagram of newline-separated assignments ("READY=1",
 * "STATUS=...", "STOPPING=1", "WATCHDOG=1", "RELOADING=1") to
 * NOTIFY_SOCKET (a path, or "@name" in the abstract namespace). Returns 0
 * (also when NOTIFY_SOCKET is unset), or -errno. */
int sdn_notify(const char *state);
int sdn_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval in microseconds when WATCHDOG_USEC is set (and
 * WATCHDOG_PID is unset or ours), else 0. Send WATCHDOG=1 every half of it. */
uint64_t sdn_watchdog_usec(void);

/* Socket activation: the number of fds passed from SDN_LISTEN_FDS_START on
 * when LISTEN_PID is our pid (0 otherwise, or when unset); marks them
 * close-on-exec and unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. */
int sdn_listen_fds(void);

#endif
