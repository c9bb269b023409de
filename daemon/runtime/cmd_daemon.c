#define _GNU_SOURCE
/* claimd [--config FILE] [--spool DIR] [--socket PATH] [--tables DIR]
 *        [--threads N] [--log-level LEVEL]
 *
 * The daemon, in the foreground (daemon.c; docs/daemon.md). The flags
 * override the config file's settings (or the embedded default's), and do
 * so again on every reload.
 */
#include "claimd/log.h"
#include "cmd.h"
#include "daemon_int.h"

#include <stdio.h>
#include <string.h>

static void daemon_usage(FILE *f)
{
    fputs("usage: claimd [--config FILE] [--spool DIR] [--socket PATH] [--tables DIR]\n"
          "              [--threads N|auto] [--log-level LEVEL]\n"
          "runs the daemon in the foreground; with no --config, the embedded default\n"
          "(docs/config.md). SIGHUP reloads, SIGTERM stops.\n",
          f);
}

int cmd_daemon_main(int argc, char **argv)
{
    static const struct {
        const char *flag, *key;
    } flags[] = {{"--spool", "spool"},
                 {"--socket", "socket"},
                 {"--tables", "tables"},
                 {"--threads", "threads"},
                 {"--log-level", "log_level"}};
    dmn_args a = {0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            daemon_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "claimd: %s needs a value\n", o);
            daemon_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (strcmp(o, "--config") == 0) {
            a.config = v;
            continue;
        }
        size_t k = 0;
        while (k < sizeof flags / sizeof flags[0] && strcmp(o, flags[k].flag) != 0)
            k++;
        if (k == sizeof flags / sizeof flags[0] || a.n == DMN_OVERRIDES_MAX) {
            fprintf(stderr, "claimd: unknown option %s\n", o);
            daemon_usage(stderr);
            return 2;
        }
        a.key[a.n] = flags[k].key;
        a.val[a.n++] = v;
    }
    return daemon_main(&a);
}
