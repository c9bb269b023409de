#include "claimd/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The one piece of process-wide state here: the level, read by every thread. */
static _Atomic int log_level = LOG_LVL_NOTICE;

void log_set_level(enum log_level lvl)
{
    atomic_store_explicit(&log_level, (int)lvl, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

int log_level_parse(const char *s, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level lvl;
    } names[] = {{"err", LOG_LVL_ERR},   {"error", LOG_LVL_ERR},     {"warning", LOG_LVL_WARN},
                 {"warn", LOG_LVL_WARN}, {"notice", LOG_LVL_NOTICE}, {"info", LOG_LVL_INFO},
                 {"debug", LOG_LVL_DEBUG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].lvl;
            return 0;
        }
    }
    return -EINVAL;
}

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
    if ((int)lvl > atomic_load_explicit(&log_level, memory_order_relaxed))
        return;
    char line[1024];
    int n = 0;
    if (getenv("JOURNAL_STREAM"))
        n = snprintf(line, sizeof line, "<%d>", (int)lvl);
    n += snprintf(line + n, sizeof line - (size_t)n, "claimd: %s: ", module);
    va_list ap;
    va_start(ap, fmt);
    if (n < (int)sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w;
    do
        w = write(STDERR_FILENO, line, (size_t)n);
    while (w < 0 && errno == EINTR);
}
