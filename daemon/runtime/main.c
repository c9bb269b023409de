/* claimd: the command-line entry point. main() only parses the global
 * options and hands the rest of the arguments to a subcommand; each
 * subcommand lives in its own cmd_*.c and returns the process exit status
 * (0 success, 1 failure, 2 usage). */
#include "claimd/log.h"
#include "cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void main_usage(FILE *f)
{
    fputs("usage: claimd [--config FILE] [--spool DIR] [--socket PATH] [--tables DIR]\n"
          "              [--threads N|auto] [--log-level LEVEL]\n"
          "       claimd [--log-level LEVEL] COMMAND [ARGS...]\n"
          "\n"
          "With no command, claimd runs the daemon in the foreground (docs/daemon.md):\n"
          "the spool's inbox is watched, jobs are scrubbed, and claimctl talks to it\n"
          "through the control socket. With no --config it uses the embedded default.\n"
          "\n"
          "commands:\n"
          "  parse [--out DIR] FILE...  print every claim of the X12 837 files as one JSON\n"
          "                             line; with --out, write DIR/NAME.999 (and NAME.ta1)\n"
          "  scrub [--tables DIR] [--out DIR] [--threads N] [--severity EDIT=LEVEL]\n"
          "        [--timely-filing DAYS] FILE...\n"
          "                             edit and price every claim; write DIR/NAME.results.jsonl,\n"
          "                             NAME.277ca, NAME.999 and NAME.summary.json\n"
          "  edits [--json|--markdown]  print the edit catalogue (ids, severities, CARC/RARC,\n"
          "                             277CA status, rules)\n"
          "  version                    print the version\n"
          "  help                       print this text\n"
          "\n"
          "LEVEL is err, warning, notice (default), info or debug.\n"
          "Exit status: 0 success, 1 a file could not be read or written, 2 usage.\n",
          f);
}

/* Reads --log-level LEVEL / --log-level=LEVEL at argv[*i]. Returns 1 when it
 * consumed an option, 0 when argv[*i] is something else, -1 on a bad value. */
static int main_log_option(int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = NULL;
    if (strcmp(a, "--log-level") == 0) {
        if (*i + 1 >= argc)
            return -1;
        v = argv[++*i];
    } else if (strncmp(a, "--log-level=", 12) == 0) {
        v = a + 12;
    } else {
        return 0;
    }
    enum log_level lvl;
    if (log_level_parse(v, &lvl) != 0)
        return -1;
    log_set_level(lvl);
    return 1;
}

static bool main_daemon_flag(const char *a)
{
    static const char *const flags[] = {"--config", "--spool", "--socket", "--tables", "--threads"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(a, flags[i]) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    /* the daemon: no command, or its own flags */
    int first = 1;
    while (first + 1 < argc && strcmp(argv[first], "--log-level") == 0)
        first += 2;
    if (first >= argc || main_daemon_flag(argv[first]))
        return cmd_daemon_main(argc, argv);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int rc = main_log_option(argc, argv, &i);
        if (rc < 0) {
            fputs("claimd: --log-level needs err, warning, notice, info or debug\n", stderr);
            return 2;
        }
        if (rc > 0)
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            main_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0)
            break;
        fprintf(stderr, "claimd: unknown option %s\n", argv[i]);
        main_usage(stderr);
        return 2;
    }
    if (i >= argc) {
        main_usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "parse") == 0)
        return cmd_parse_main(argc - i, argv + i);
    if (strcmp(cmd, "edits") == 0)
        return cmd_edits_main(argc - i, argv + i);
    if (strcmp(cmd, "scrub") == 0)
        return cmd_scrub_main(argc - i, argv + i);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("claimd %s\n", CLAIMD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        main_usage(stdout);
        return 0;
    }
    fprintf(stderr, "claimd: unknown command %s\n", cmd);
    main_usage(stderr);
    return 2;
}
