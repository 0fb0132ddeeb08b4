/* SPDX-License-Identifier: MIT */
/* vessel's command line: dispatches to one command per verb (src/cli/commands.h). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_version(int argc, char **argv)
{
	printf("vessel %s\n", VESSEL_VERSION);
	return 0;
}

static const struct command commands[] = {
	{ "run", cmd_run, "boot a virtual machine in this process (vessel run --help)" },
	{ "daemon", cmd_daemon, "run the VM manager (vessel daemon --help)" },
	{ "create", cmd_create, "define a VM in the manager: vessel create NAME [run options]" },
	{ "start", cmd_start, "start a VM of the manager" },
	{ "stop", cmd_stop, "stop a VM: power button, then forced after a timeout" },
	{ "kill", cmd_kill, "stop a VM at once" },
	{ "pause", cmd_pause, "pause a running VM" },
	{ "resume", cmd_resume, "resume a paused VM" },
	{ "ls", cmd_ls, "list the manager's VMs" },
	{ "rm", cmd_rm, "remove a stopped VM's definition" },
	{ "balloon", cmd_balloon, "set a VM's balloon target in MiB (vessel balloon --help)" },
	{ "console", cmd_console, "attach to a VM's console, or serve it to browsers (--web)" },
	{ "migrate", cmd_migrate, "move a running VM to another vessel (vessel migrate --help)" },
	{ "snapshot", cmd_snapshot, "pause a VM and write its snapshot (vessel snapshot --help)" },
	{ "restore", cmd_restore, "resume a snapshot: vessel restore DIR (= vessel run --restore DIR)" },
	{ "version", cmd_version, "print the version" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f)
{
	fputs("Usage: vessel COMMAND [OPTIONS]\n\nCommands:\n", f);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'vessel COMMAND --help' describes a command's options.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vessel: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return CLI_EXIT_USAGE;
}
