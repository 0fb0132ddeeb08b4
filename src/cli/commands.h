/* SPDX-License-Identifier: MIT */
/*
 * The verbs of the vessel command line. Each takes argv starting at its own
 * name (argv[0] is "run", "daemon"...) and returns the process exit status.
 */
#ifndef VESSEL_CLI_COMMANDS_H
#define VESSEL_CLI_COMMANDS_H

/* Exit status of every command for a bad command line. */
#define CLI_EXIT_USAGE 2

int cmd_run(int argc, char **argv);

#endif
