// SPDX-License-Identifier: MIT
/*
 * `vessel balloon NAME MIB` (a VM of the manager, through the daemon) and
 * `vessel balloon --api-sock PATH MIB` (a `vessel run --api-sock`): a new
 * balloon target, as the API's PATCH /balloon {"amount_mib": MIB}.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/cli_client.h"
#include "manager/http_client.h"
#include "manager/state_dir.h"

#define BALLOON_CMD_TIMEOUT_MS 10000
#define BALLOON_CMD_MAX_MIB (UINT32_MAX / 256)

static const char balloon_usage[] =
"Usage: vessel balloon [--state-dir DIR] NAME MIB\n"
"       vessel balloon --api-sock PATH MIB\n"
"Set the target of a VM's balloon (vessel run --balloon, or the API's PUT\n"
"/balloon) to MIB MiB: the guest's driver gives that much memory back to the\n"
"host, or takes it back when the target is lower. NAME is a VM of the manager;\n"
"--api-sock a VM run with vessel run --api-sock. GET /balloon on the VM's API\n"
"tells how far the guest got (docs/api.md).\n"
"\n"
"      --api-sock PATH    the VM's API socket, instead of a NAME\n"
"      --state-dir DIR    the manager's state directory (see vessel daemon --help)\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 the target is set, 1 refused (no balloon, more than the VM's\n"
"memory, no such VM: the reason is printed), 2 bad command line.\n";

/* PATCH /balloon on the VM's own socket; 0, or prints why and returns 1. */
static int balloon_direct(const char *sock, const char *body)
{
	struct http_reply reply = { 0 };
	char err[512];
	int ret;

	ret = http_unix_request(sock, "PATCH", "/balloon", body, BALLOON_CMD_TIMEOUT_MS, &reply, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vessel: %s\n", err);
		return CLI_EXIT_FAILED;
	}
	ret = 0;
	if (reply.status != 204) {
		struct json_object *obj = json_tokener_parse(reply.body), *msg;

		fprintf(stderr, "vessel: %s\n", obj && json_object_object_get_ex(obj, "fault_message", &msg) ?
			json_object_get_string(msg) : reply.body);
		json_object_put(obj);
		ret = CLI_EXIT_FAILED;
	}
	http_reply_clear(&reply);
	return ret;
}

int cmd_balloon(int argc, char **argv)
{
	static const struct option options[] = {
		{ "api-sock", required_argument, NULL, 'A' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *state_dir = NULL, *name = NULL, *size;
	struct json_object *answer;
	struct mgr_client c;
	char body[48], path[128], *end;
	unsigned long mib;
	int opt, ret;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'A': sock = optarg; break;
		case 'd': state_dir = optarg; break;
		case 'h': fputs(balloon_usage, stdout); return 0;
		case ':': return mgr_client_usage("balloon", "option '%s' needs a value", argv[optind - 1]);
		default: return mgr_client_usage("balloon", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != (sock ? 1 : 2))
		return mgr_client_usage("balloon", sock ? "expected MIB after --api-sock PATH" : "expected NAME MIB");
	if (!sock) {
		name = argv[optind++];
		if (!manager_name_valid(name))
			return mgr_client_usage("balloon", "VM name '%s' is not valid", name);
	}
	size = argv[optind];
	mib = strtoul(size, &end, 10);
	if (!*size || *end || *size < '0' || *size > '9' || mib > BALLOON_CMD_MAX_MIB)
		return mgr_client_usage("balloon", "'%s': expected the target in MiB, 0 to %u", size,
					BALLOON_CMD_MAX_MIB);
	snprintf(body, sizeof(body), "{\"amount_mib\": %lu}", mib);
	if (sock)
		ret = balloon_direct(sock, body);
	else {
		ret = mgr_client_init(&c, state_dir);
		if (ret)
			return ret;
		snprintf(path, sizeof(path), "/vms/%s/balloon", name);
		ret = mgr_client_call(&c, "PATCH", path, body, &answer, NULL, false);
		if (!ret)
			json_object_put(answer);
	}
	if (!ret)
		printf("%s balloon target %lu MiB\n", name ? name : sock, mib);
	return ret;
}
