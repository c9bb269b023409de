/* claimctl's commands that are more than one request: stats, top, wait. */
#ifndef CLAIMCTL_H
#define CLAIMCTL_H

#include <stdbool.h>

/* Exit codes (usage text, docs/claimctl.md). */
enum {
    CC_EXIT_OK = 0,
    CC_EXIT_REFUSED = 1, /* the daemon answered ok:false */
    CC_EXIT_USAGE = 2,
    CC_EXIT_CONNECT = 3,   /* cannot connect, connection lost, bad reply */
    CC_EXIT_FAILED = 4,    /* wait: the job failed */
    CC_EXIT_CANCELLED = 5, /* wait: the job was cancelled */
    CC_EXIT_TIMEOUT = 6,   /* wait: timed out */
};

/* `stats`: the shared-memory segment SOCK.stats, else the socket's verb. */
int cc_cmd_stats(const char *sock, bool json);
/* `top [--interval S] [--iterations N]`; argv after "top". */
int cc_cmd_top(const char *sock, int argc, char **argv);

#endif
