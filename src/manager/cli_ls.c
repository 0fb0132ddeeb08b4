// SPDX-License-Identifier: MIT
/* `vessel ls`: the manager's VMs as a table (NAME STATE CPUS MEMORY UPTIME PID) or JSON. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/cli_client.h"

static const char usage_text[] =
"Usage: vessel ls [--json] [--state-dir DIR]\n"
"List the manager's VMs: NAME STATE CPUS MEMORY UPTIME PID. States: running,\n"
"paused, stopping, stopped, crashed (ended with a non-zero status),\n"
"failed (the restart policy gave up).\n"
"\n"
"      --json           print GET /vms's JSON instead (docs/manager.md)\n"
"      --state-dir DIR  the manager's state directory (see vessel daemon --help)\n"
"  -h, --help           this help\n";

static int64_t cli_int(struct json_object *obj, const char *key, int64_t def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

static const char *cli_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return "?";
	return json_object_get_string(v);
}

static void cli_memory(char *buf, size_t len, int64_t mib)
{
	if (mib >= 1024 && mib % 1024 == 0)
		snprintf(buf, len, "%" PRId64 "G", mib / 1024);
	else
		snprintf(buf, len, "%" PRId64 "M", mib);
}

static void cli_uptime(char *buf, size_t len, int64_t ms)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* "committed: 3 of 32 vCPUs, 400 of 23552 MiB": what running and reserved VMs hold (GET /). */
static void cli_print_committed(struct mgr_client *c)
{
	struct json_object *info, *res, *mem, *cpus;

	if (mgr_client_call(c, "GET", "/", NULL, &info, NULL, false))
		return;
	if (json_object_object_get_ex(info, "resources", &res) &&
	    json_object_object_get_ex(res, "memory_mib", &mem) && json_object_object_get_ex(res, "vcpus", &cpus))
		printf("committed: %" PRId64 " of %" PRId64 " vCPUs, %" PRId64 " of %" PRId64 " MiB\n",
		       cli_int(cpus, "committed", 0), cli_int(cpus, "capacity", 0), cli_int(mem, "committed", 0),
		       cli_int(mem, "capacity", 0));
	json_object_put(info);
}

int cmd_ls(int argc, char **argv)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = NULL;
	struct json_object *list;
	struct mgr_client c;
	bool json = false;
	int opt, ret;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'd': state_dir = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return mgr_client_usage("ls", "option '%s' needs a value", argv[optind - 1]);
		default: return mgr_client_usage("ls", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return mgr_client_usage("ls", "unexpected argument '%s'", argv[optind]);
	ret = mgr_client_init(&c, state_dir);
	if (ret)
		return ret;
	ret = mgr_client_call(&c, "GET", "/vms", NULL, &list, NULL, false);
	if (ret)
		return ret;
	if (!json_object_is_type(list, json_type_array)) {
		fprintf(stderr, "vessel: the manager's answer to GET /vms is not a list\n");
		json_object_put(list);
		return CLI_EXIT_FAILED;
	}
	if (json) {
		puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(list);
		return 0;
	}
	printf("%-20s %-9s %4s %7s %8s %8s\n", "NAME", "STATE", "CPUS", "MEMORY", "UPTIME", "PID");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *vm = json_object_array_get_idx(list, i);
		char mem[32], up[32], pid[32];
		int64_t p = cli_int(vm, "pid", 0);

		cli_memory(mem, sizeof(mem), cli_int(vm, "mem_size_mib", 0));
		cli_uptime(up, sizeof(up), cli_int(vm, "uptime_ms", -1));
		snprintf(pid, sizeof(pid), p > 0 ? "%" PRId64 : "-", p);
		printf("%-20s %-9s %4" PRId64 " %7s %8s %8s\n", cli_str(vm, "name"), cli_str(vm, "state"),
		       cli_int(vm, "vcpus", 0), mem, up, pid);
	}
	json_object_put(list);
	cli_print_committed(&c);
	return 0;
}
