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
/* Snapshots (src/cli/snapshot_cmd.c): of a VM behind its API socket, and `run --restore`. */
int cmd_snapshot(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* The manager (src/manager/): the daemon and the verbs that talk to it. */
int cmd_daemon(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_rm(int argc, char **argv);
/* `vessel balloon NAME|--api-sock PATH MIB`: a new balloon target (src/manager/cli_balloon.c). */
int cmd_balloon(int argc, char **argv);
int cmd_console(int argc, char **argv);

/* Live migration (src/migration/migration_cli.c). */
int cmd_migrate(int argc, char **argv);

#endif
