/* claimgen: synthetic inputs for claimd's tests and benchmarks.
 *
 *   claimgen tables --out DIR [--seed S] [--scale F]
 *   claimgen batch --claims N [--seed S] [--tables DIR] [--type 837p|837i] ...
 *
 * Subcommands are looked up in one table; each takes the arguments after the
 * program name (its own name first) and returns the exit status.
 */
#include "claimgen.h"

#include <stdio.h>
#include <string.h>

struct cg_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
};

static const struct cg_cmd cg_cmds[] = {
    {"tables", cg_tables_main,
     "tables --out DIR [--seed S] [--scale F]\n"
     "      synthetic reference files in the publishers' layouts, at real scale\n"
     "      (F = 1.0) or scaled down"},
    {"batch", cg_batch_main,
     "batch --claims N [--seed S] [--tables DIR] [--type 837p|837i] [--errors RATE]\n"
     "      [--transactions K] [--out FILE] [--truth PATH]\n"
     "      a valid 5010 837P/837I batch from a tables version; with --errors, that share\n"
     "      of claims carries one known error each, listed in FILE.truth.tsv"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: claimgen COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(cg_cmds) / sizeof(cg_cmds[0]); i++)
        fprintf(out, "  %s\n", cg_cmds[i].usage);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(cg_cmds) / sizeof(cg_cmds[0]); i++) {
        if (strcmp(argv[1], cg_cmds[i].name) == 0)
            return cg_cmds[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "claimgen: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
