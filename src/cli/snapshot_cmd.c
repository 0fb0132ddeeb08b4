/* SPDX-License-Identifier: MIT */
/*
 * `vessel snapshot --api-sock PATH DIR`: pauses the VM behind a per-VM API
 * socket, writes DIR/vm.state and DIR/vm.mem (PUT /snapshot/create) and
 * resumes it with --resume. `vessel restore DIR [options]` is
 * `vessel run --restore DIR [options]`.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/http_client.h"
#include "snapshot/snapshot.h"

#define SNAPSHOT_CMD_TIMEOUT_MS (10 * 60 * 1000)

static const char snapshot_usage[] =
"Usage: vessel snapshot --api-sock PATH [--resume] DIR\n"
"Snapshot the VM served on the API socket PATH (vessel run --api-sock) into\n"
"DIR/vm.state and DIR/vm.mem (DIR is created if missing). The VM is paused\n"
"first and stays paused unless --resume is given. Restore it with\n"
"'vessel restore DIR' (docs/snapshot.md).\n"
"\n"
"  -s, --api-sock PATH  the VM's API socket\n"
"  -r, --resume         resume the VM once the snapshot is written\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 written, 1 failed (the reason is on stderr), 2 bad command line.\n";

static int snapshot_fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "vessel: error: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 1;
}

/* One API call; 0 if it answered want, else prints why and returns 1. */
static int snapshot_call(const char *sock, const char *method, const char *path, const char *body, long want)
{
	struct http_reply reply = { 0 };
	char err[512];
	int ret;

	ret = http_unix_request(sock, method, path, body, SNAPSHOT_CMD_TIMEOUT_MS, &reply, err, sizeof(err));
	if (ret)
		return snapshot_fail("%s%s", err, "");
	if (reply.status != want) {
		struct json_object *obj = json_tokener_parse(reply.body);
		struct json_object *msg;
		const char *text = reply.body;

		if (obj && json_object_object_get_ex(obj, "fault_message", &msg))
			text = json_object_get_string(msg);
		fprintf(stderr, "vessel: error: %s %s: %ld %s\n", method, path, reply.status, text);
		json_object_put(obj);
		http_reply_clear(&reply);
		return 1;
	}
	http_reply_clear(&reply);
	return 0;
}

/* Whether the VM is paused now (GET /); -1 with a message on failure. */
static int snapshot_vm_paused(const char *sock)
{
	struct http_reply reply = { 0 };
	struct json_object *obj, *state;
	char err[512];
	int paused = -1;

	if (http_unix_request(sock, "GET", "/", NULL, SNAPSHOT_CMD_TIMEOUT_MS, &reply, err, sizeof(err))) {
		snapshot_fail("%s%s", err, "");
		return -1;
	}
	obj = json_tokener_parse(reply.body);
	if (obj && json_object_object_get_ex(obj, "state", &state)) {
		const char *s = json_object_get_string(state);

		if (!strcmp(s, "Paused"))
			paused = 1;
		else if (!strcmp(s, "Running"))
			paused = 0;
		else
			snapshot_fail("%s: the VM is not running (%s)", sock, s);
	} else {
		snapshot_fail("%s: %s", sock, "GET / gave no VM state");
	}
	json_object_put(obj);
	http_reply_clear(&reply);
	return paused;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option options[] = {
		{ "api-sock", required_argument, NULL, 's' },
		{ "resume", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *dir;
	char real[PATH_MAX], state[PATH_MAX + 16], mem[PATH_MAX + 16];
	struct json_object *body;
	bool resume = false;
	int opt, paused, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:rh", options, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'r': resume = true; break;
		case 'h': fputs(snapshot_usage, stdout); return 0;
		default:
			fprintf(stderr, "vessel: bad option '%s'\nTry 'vessel snapshot --help'.\n", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!sock || optind != argc - 1) {
		fprintf(stderr, "vessel: snapshot needs --api-sock PATH and one DIR\nTry 'vessel snapshot --help'.\n");
		return CLI_EXIT_USAGE;
	}
	dir = argv[optind];
	if (mkdir(dir, 0700) && errno != EEXIST)
		return snapshot_fail("%s: %s", dir, strerror(errno));
	/* The VM's process may run elsewhere: give it absolute paths. */
	if (!realpath(dir, real))
		return snapshot_fail("%s: %s", dir, strerror(errno));
	snprintf(state, sizeof(state), "%s/%s", real, SNAPSHOT_STATE_FILE);
	snprintf(mem, sizeof(mem), "%s/%s", real, SNAPSHOT_MEM_FILE);

	paused = snapshot_vm_paused(sock);
	if (paused < 0)
		return 1;
	if (!paused && snapshot_call(sock, "PATCH", "/vm", "{\"state\": \"Paused\"}", 204))
		return 1;
	body = json_object_new_object();
	json_object_object_add(body, "snapshot_type", json_object_new_string("Full"));
	json_object_object_add(body, "snapshot_path", json_object_new_string(state));
	json_object_object_add(body, "mem_file_path", json_object_new_string(mem));
	ret = snapshot_call(sock, "PUT", "/snapshot/create", json_object_to_json_string(body), 204);
	json_object_put(body);
	if (resume && snapshot_call(sock, "PATCH", "/vm", "{\"state\": \"Resumed\"}", 204))
		ret = 1;
	if (!ret)
		printf("%s\n", real);
	return ret;
}

int cmd_restore(int argc, char **argv)
{
	char **args;
	int ret;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			puts("Usage: vessel restore DIR [vessel run options]\n"
			     "The same as 'vessel run --restore DIR': resume the snapshot in DIR\n"
			     "(vm.state + vm.mem); options that shape the machine are refused.");
			return 0;
		}
		fprintf(stderr, "vessel: restore needs the snapshot's DIR first\nTry 'vessel restore --help'.\n");
		return CLI_EXIT_USAGE;
	}
	/* argv[-1] stays valid: run re-executes argv - 1 on a guest reset (refused for restores anyway). */
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!args)
		return 1;
	args[0] = argv[-1];
	args[1] = "run";
	args[2] = "--restore";
	args[3] = argv[1];
	for (int i = 2; i < argc; i++)
		args[i + 2] = argv[i];
	ret = cmd_run(argc + 1, args + 1);
	free(args);
	return ret;
}
