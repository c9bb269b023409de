/* sdn_: sd_notify and sd_listen_fds, standalone (sdnotify.h). */
#define _GNU_SOURCE

#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sdn_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    size_t plen = strlen(path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof sa.sun_path)
        return -EINVAL;
    memcpy(sa.sun_path, path, plen);
    if (path[0] == '@')
        sa.sun_path[0] = '\0'; /* the abstract namespace */
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    ssize_t n;
    do
        n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int sdn_notifyf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    return sdn_notify(buf); /* a longer STATUS is cut, never split */
}

/* A decimal environment value, or -1 when unset or not a number. */
static long long sdn_env_num(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (errno || *end || v < 0) ? -1 : v;
}

uint64_t sdn_watchdog_usec(void)
{
    long long pid = sdn_env_num("WATCHDOG_PID");
    if (pid >= 0 && pid != (long long)getpid())
        return 0;
    long long us = sdn_env_num("WATCHDOG_USEC");
    return us > 0 ? (uint64_t)us : 0;
}

int sdn_listen_fds(void)
{
    long long pid = sdn_env_num("LISTEN_PID");
    long long n = sdn_env_num("LISTEN_FDS");
    int count = 0;
    if (pid == (long long)getpid() && n > 0 && n < 64) {
        count = (int)n;
        for (int fd = SDN_LISTEN_FDS_START; fd < SDN_LISTEN_FDS_START + count; fd++) {
            int fl = fcntl(fd, F_GETFD);
            if (fl < 0) {
                count = fd - SDN_LISTEN_FDS_START; /* fewer than announced */
                break;
            }
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
        }
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return count;
}
