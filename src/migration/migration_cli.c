/* SPDX-License-Identifier: MIT */
/*
 * `vessel migrate --api-sock PATH tcp://HOST:PORT`: starts a live migration
 * through the VM's API (PUT /vessel/migrate), shows its progress on stderr
 * and prints the report (GET /vessel/migrate) on stdout.
 * `vessel migrate NAME tcp://HOST:PORT` does the same to a VM of the manager
 * through the daemon (PUT and GET /vms/NAME/migrate), then waits until the
 * daemon has seen the source end ("migrated").
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/cli_client.h"
#include "manager/http_client.h"
#include "manager/state_dir.h"

#define MIGRATE_EXIT_FAILED 1
#define MIGRATE_HTTP_TIMEOUT_MS 60000
#define MIGRATE_POLL_MS 100
#define MIGRATE_SOURCE_END_MS 15000     /* a completed source ends within seconds */

static const char usage_text[] =
"Usage: vessel migrate NAME tcp://HOST:PORT [OPTIONS]\n"
"       vessel migrate --api-sock PATH tcp://HOST:PORT [OPTIONS]\n"
"Move the manager's running VM NAME (vessel daemon), or the one served on the\n"
"API socket PATH, to a destination started with\n"
"`vessel run --incoming tcp://ADDR:PORT` (docs/migration.md). Disks must be\n"
"shared storage, at the same paths on both hosts (on one host: the same files).\n"
"\n"
"      --api-sock PATH   the VM's control API socket (vessel run --api-sock)\n"
"      --state-dir DIR   the manager's state directory (see vessel daemon --help)\n"
"      --downtime MS     the longest pause the guest may see (default 100)\n"
"      --max-rounds N    pre-copy rounds after the first before stopping the\n"
"                        guest anyway (default 30)\n"
"  -q, --quiet           no progress lines\n"
"  -h, --help            this help\n"
"\n"
"Progress goes to stderr; the report, one line of key=value, to stdout:\n"
"  migration completed: destination=... total_ms= rounds= bytes= pages=\n"
"  zero_pages= downtime_ms= dest_load_ms= bandwidth_mib_s=\n"
"\n"
"With NAME, the manager records the VM as 'migrated' once its source ended.\n"
"\n"
"Exit status: 0 the guest runs at the destination (the source vessel exits 0);\n"
"1 the migration failed and the guest keeps running at the source, or the API\n"
"could not be reached; 2 bad command line.\n";

static int migrate_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "vessel: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vessel migrate --help'.\n");
	return CLI_EXIT_USAGE;
}

static bool migrate_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-')
		return false;
	*out = (uint32_t)v;
	return true;
}

static const char *json_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : "";
}

static int64_t json_i64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_int64(v) : 0;
}

/* The API's error message from a reply body, or the body. */
static void migrate_print_fault(const char *what, const struct http_reply *reply)
{
	struct json_object *obj = json_tokener_parse(reply->body);
	const char *msg = obj ? json_str(obj, "fault_message") : reply->body;

	fprintf(stderr, "vessel: %s: %s\n", what, *msg ? msg : "(no message)");
	json_object_put(obj);
}

static void migrate_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The migration's status (GET): 0 with *out, or MIGRATE_EXIT_FAILED after saying why. */
typedef int (*migrate_fetch_fn)(void *ctx, struct json_object **out);

/* From the VM's own API socket. */
static int migrate_fetch_api(void *ctx, struct json_object **out)
{
	const char *sock = ctx;
	struct http_reply reply;
	char err[256];
	int ret;

	ret = http_unix_request(sock, "GET", "/vessel/migrate", NULL, MIGRATE_HTTP_TIMEOUT_MS, &reply, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vessel: the source VM's API went away before reporting the outcome (%s); "
			"see the source's log\n", err);
		return MIGRATE_EXIT_FAILED;
	}
	*out = reply.status == 200 ? json_tokener_parse(reply.body) : NULL;
	if (!*out)
		migrate_print_fault("GET /vessel/migrate", &reply);
	http_reply_clear(&reply);
	return *out ? 0 : MIGRATE_EXIT_FAILED;
}

struct migrate_managed {
	struct mgr_client client;
	char path[128];             /* /vms/NAME/migrate */
};

/* From the manager, which asks the VM and keeps the last answer after the VM ended. */
static int migrate_fetch_managed(void *ctx, struct json_object **out)
{
	struct migrate_managed *m = ctx;
	int ret = mgr_client_call(&m->client, "GET", m->path, NULL, out, NULL, false);

	if (!ret && !*out) {
		fprintf(stderr, "vessel: the manager gave no migration status\n");
		return MIGRATE_EXIT_FAILED;
	}
	return ret;
}

/* Polls until the migration completes or fails; the exit status. */
static int migrate_follow(migrate_fetch_fn fetch, void *ctx, bool quiet)
{
	char last[128] = "";

	for (;;) {
		struct json_object *obj;
		const char *state;
		char line[128];

		if (fetch(ctx, &obj))
			return MIGRATE_EXIT_FAILED;
		state = json_str(obj, "state");
		if (!strcmp(state, "completed") || !strcmp(state, "failed")) {
			bool ok = !strcmp(state, "completed");

			printf("%s\n", json_str(obj, "report"));
			if (!ok)
				fprintf(stderr, "vessel: migration failed: %s; the guest keeps running at the source\n",
					json_str(obj, "error"));
			json_object_put(obj);
			return ok ? 0 : MIGRATE_EXIT_FAILED;
		}
		snprintf(line, sizeof(line), "%s: %" PRId64 " rounds done, %" PRId64 " MiB sent, %" PRId64
			 " pages dirty after the last", state, json_i64(obj, "rounds"),
			 json_i64(obj, "bytes_sent") >> 20, json_i64(obj, "dirty_pages"));
		if (!quiet && strcmp(line, last)) {
			fprintf(stderr, "vessel: migrate: %s\n", line);
			snprintf(last, sizeof(last), "%s", line);
		}
		json_object_put(obj);
		migrate_sleep_ms(MIGRATE_POLL_MS);
	}
}

/* `vessel migrate NAME URL`: through the daemon; once completed, waits until it recorded the source's end. */
static int migrate_managed(const char *state_dir, const char *name, const char *body, bool quiet)
{
	struct migrate_managed m;
	struct json_object *answer, *vm;
	int ret;

	if (!manager_name_valid(name))
		return migrate_usage("VM name '%s' is not valid", name);
	ret = mgr_client_init(&m.client, state_dir);
	if (ret)
		return ret;
	snprintf(m.path, sizeof(m.path), "/vms/%s/migrate", name);
	ret = mgr_client_call(&m.client, "PUT", m.path, body, &answer, NULL, false);
	if (ret)
		return ret;
	json_object_put(answer);
	ret = migrate_follow(migrate_fetch_managed, &m, quiet);
	if (ret)
		return ret;
	if (mgr_client_wait_stopped(&m.client, name, MIGRATE_SOURCE_END_MS, false, &vm))
		return 0;       /* it moved all the same; the message says what is left over */
	if (strcmp(json_str(vm, "state"), "migrated"))
		fprintf(stderr, "vessel: the source of '%s' ended as %s (%s)\n", name, json_str(vm, "state"),
			json_str(vm, "exit_reason"));
	json_object_put(vm);
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "api-sock", required_argument, NULL, 'A' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "downtime", required_argument, NULL, 'd' },
		{ "max-rounds", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *state_dir = NULL, *name = NULL, *dest;
	uint32_t downtime = 0, max_rounds = 0;
	struct json_object *body;
	struct http_reply reply;
	bool quiet = false;
	char err[256];
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qh", options, NULL)) != -1) {
		switch (opt) {
		case 'A': sock = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'd':
			if (!migrate_parse_uint(optarg, 60000, &downtime) || !downtime)
				return migrate_usage("--downtime '%s': expected 1 to 60000 (ms)", optarg);
			break;
		case 'r':
			if (!migrate_parse_uint(optarg, 1000, &max_rounds))
				return migrate_usage("--max-rounds '%s': expected 0 to 1000", optarg);
			break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return migrate_usage("option '%s' needs a value", argv[optind - 1]);
		default: return migrate_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (sock && state_dir)
		return migrate_usage("%s", "--state-dir is for a VM of the manager (NAME), not with --api-sock");
	if (!sock && optind == argc - 2)
		name = argv[optind++];
	else if (!sock)
		return migrate_usage("%s", "expected the VM's NAME (or --api-sock PATH) and a destination tcp://HOST:PORT");
	if (optind != argc - 1)
		return migrate_usage("%s", "expected one destination: tcp://HOST:PORT");
	dest = argv[optind];
	if (strncmp(dest, "tcp://", 6))
		return migrate_usage("'%s': expected tcp://HOST:PORT", dest);

	body = json_object_new_object();
	json_object_object_add(body, "destination", json_object_new_string(dest));
	if (downtime)
		json_object_object_add(body, "downtime_ms", json_object_new_int64(downtime));
	if (max_rounds)
		json_object_object_add(body, "max_rounds", json_object_new_int64(max_rounds));
	if (name) {
		ret = migrate_managed(state_dir, name, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE), quiet);
		json_object_put(body);
		return ret;
	}
	ret = http_unix_request(sock, "PUT", "/vessel/migrate",
				json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
				MIGRATE_HTTP_TIMEOUT_MS, &reply, err, sizeof(err));
	json_object_put(body);
	if (ret) {
		fprintf(stderr, "vessel: %s\n", err);
		return MIGRATE_EXIT_FAILED;
	}
	if (reply.status != 204) {
		migrate_print_fault("cannot start the migration", &reply);
		http_reply_clear(&reply);
		return MIGRATE_EXIT_FAILED;
	}
	http_reply_clear(&reply);
	return migrate_follow(migrate_fetch_api, (void *)sock, quiet);
}
