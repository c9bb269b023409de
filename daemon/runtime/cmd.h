/* The claimd subcommands (daemon/runtime/cmd_*.c). Each takes the arguments
 * from its own name on (argv[0] is the subcommand) and returns the process
 * exit status: 0 success, 1 failure, 2 usage. */
#ifndef CLAIMD_CMD_H
#define CLAIMD_CMD_H

int cmd_parse_main(int argc, char **argv);
int cmd_edits_main(int argc, char **argv);
int cmd_scrub_main(int argc, char **argv);
int cmd_daemon_main(int argc, char **argv);

#endif
