/* SPDX-License-Identifier: MIT */
/*
 * `vessel snapshot --api-sock PATH DIR`: pauses the VM behind a per-VM API
 * socket, writes DIR/vm.state and DIR/vm.mem (PUT /snapshot/create) and
 * resumes it with --resume. `vessel snapshot NAME DIR` does the same to a
 * VM of the manager, through the daemon (PUT /vms/NAME/snapshot).
 * `vessel restore DIR [options]` is `vessel run --restore DIR [options]`.
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
#include "manager/cli_client.h"
#include "manager/http_client.h"
#include "manager/state_dir.h"
#include "snapshot/snapshot.h"

#define SNAPSHOT_CMD_TIMEOUT_MS (10 * 60 * 1000)

static const char snapshot_usage[] =
"Usage: vessel snapshot NAME DIR [--resume] [--state-dir DIR]\n"
"       vessel snapshot --api-sock PATH [--resume] DIR\n"
"Snapshot the manager's VM NAME (vessel daemon), or the VM served on the API\n"
"socket PATH (vessel run --api-sock), into DIR/vm.state and DIR/vm.mem (DIR is\n"
"created if missing). The VM is paused first and stays paused unless --resume\n"
"is given. Restore it with 'vessel restore DIR', or in the manager with\n"
"'vessel create NEW --restore DIR' (docs/snapshot.md).\n"
"\n"
"  -s, --api-sock PATH  the VM's API socket\n"
"  -r, --resume         resume the VM once the snapshot is written\n"
"      --state-dir DIR  the manager's state directory (see vessel daemon --help)\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 written (its directory is printed), 1 failed (the reason is on\n"
"stderr), 2 bad command line.\n";

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

/* DIR, created if missing, as an absolute path: the VM's process does not share our working directory. */
static int snapshot_dir(const char *dir, char real[PATH_MAX])
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return snapshot_fail("%s: %s", dir, strerror(errno));
	if (!realpath(dir, real))
		return snapshot_fail("%s: %s", dir, strerror(errno));
	return 0;
}

/* `vessel snapshot NAME DIR`: the daemon pauses, snapshots and (with resume) resumes its VM. */
static int snapshot_managed(const char *state_dir, const char *name, const char *dir, bool resume)
{
	struct json_object *body, *answer;
	struct mgr_client c;
	char real[PATH_MAX], path[128];
	int ret;

	if (!manager_name_valid(name)) {
		fprintf(stderr, "vessel: VM name '%s' is not valid\nTry 'vessel snapshot --help'.\n", name);
		return CLI_EXIT_USAGE;
	}
	ret = mgr_client_init(&c, state_dir);
	if (!ret)
		ret = snapshot_dir(dir, real);
	if (ret)
		return ret;
	body = json_object_new_object();
	json_object_object_add(body, "snapshot_dir", json_object_new_string(real));
	json_object_object_add(body, "resume", json_object_new_boolean(resume));
	snprintf(path, sizeof(path), "/vms/%s/snapshot", name);
	ret = mgr_client_call_timeout(&c, "PUT", path, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE), SNAPSHOT_CMD_TIMEOUT_MS, &answer, NULL, false);
	json_object_put(body);
	if (ret)
		return ret;
	json_object_put(answer);
	printf("%s\n", real);
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option options[] = {
		{ "api-sock", required_argument, NULL, 's' },
		{ "resume", no_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *state_dir = NULL, *dir;
	char real[PATH_MAX], state[PATH_MAX + 16], mem[PATH_MAX + 16];
	struct json_object *body;
	bool resume = false;
	int opt, paused, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:rh", options, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'r': resume = true; break;
		case 'd': state_dir = optarg; break;
		case 'h': fputs(snapshot_usage, stdout); return 0;
		default:
			fprintf(stderr, "vessel: bad option '%s'\nTry 'vessel snapshot --help'.\n", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!sock) {
		if (optind != argc - 2) {
			fprintf(stderr, "vessel: snapshot needs a VM's NAME and a DIR (or --api-sock PATH and a DIR)\n"
				"Try 'vessel snapshot --help'.\n");
			return CLI_EXIT_USAGE;
		}
		return snapshot_managed(state_dir, argv[optind], argv[optind + 1], resume);
	}
	if (state_dir || optind != argc - 1) {
		fprintf(stderr, "vessel: snapshot --api-sock PATH takes one DIR (and no --state-dir)\n"
			"Try 'vessel snapshot --help'.\n");
		return CLI_EXIT_USAGE;
	}
	dir = argv[optind];
	if (snapshot_dir(dir, real))
		return 1;
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
			     "(vm.state + vm.mem) as a clone with a new VM generation ID; options\n"
			     "that shape the machine are refused. A clone's own disks and NICs:\n"
			     "  --disk-override ID=PATH            its copy of disk ID (same size)\n"
			     "  --net-override ID=tap=NAME[,mac=MAC] | ID=mac=MAC\n"
			     "IDs: the API's drive_id / iface_id, else disk0.., net0.. (docs/snapshot.md).");
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
