// SPDX-License-Identifier: MIT
/* `vessel start|stop|kill|pause|resume|rm NAME`: one action on one VM of the manager. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/cli_client.h"
#include "manager/daemon_routes.h"
#include "manager/state_dir.h"

#define KILL_WAIT_MS 10000
#define STOP_GRACE_MS 5000      /* beyond --timeout: the forced stop itself */

struct cli_verb {
	const char *name;
	const char *summary;        /* the --help text's second line */
	const char *done;           /* printed on success: "<name> <done>" */
	bool has_timeout;           /* stop */
	bool has_force;             /* rm */
};

static const struct cli_verb verbs[] = {
	{ "start", "Start a VM defined with 'vessel create'.", "started", false, false },
	{ "stop", "Stop a VM gracefully: press its ACPI power button, and stop it\n"
		  "forcibly if the guest has not powered off within the timeout. Waits,\n"
		  "with a dot a second on a terminal, until the VM has stopped.", "stopped", true, false },
	{ "kill", "Stop a VM at once (SIGKILL to its vessel run process) and wait for it.", "killed", false, false },
	{ "pause", "Pause a running VM: every vCPU stops until 'vessel resume'.", "paused", false, false },
	{ "resume", "Resume a paused VM.", "resumed", false, false },
	{ "rm", "Remove a stopped VM's definition and files (log included).", "removed", false, true },
};

static void cli_verb_usage(const struct cli_verb *v)
{
	printf("Usage: vessel %s [--state-dir DIR]%s%s NAME\n%s\n\n", v->name,
	       v->has_timeout ? " [--timeout SECONDS]" : "", v->has_force ? " [-f]" : "", v->summary);
	if (v->has_timeout)
		printf("  -t, --timeout SECONDS  how long the guest gets to power off (default %d)\n",
		       MGR_STOP_TIMEOUT_MS / 1000);
	if (v->has_force)
		printf("  -f, --force            kill the VM first if it is running\n");
	printf("      --state-dir DIR    the manager's state directory (see vessel daemon --help)\n"
	       "  -h, --help             this help\n\n"
	       "Exit status: 0 done, 1 the manager refused (no such VM, wrong state: the\n"
	       "reason is printed) or is not running, 2 bad command line.\n");
}

static int cli_post_action(struct mgr_client *c, const char *name, const char *body, struct json_object **out)
{
	char path[128];

	snprintf(path, sizeof(path), "/vms/%s/actions", name);
	return mgr_client_call(c, "PUT", path, body, out, NULL, false);
}

static const char *cli_reason(struct json_object *vm)
{
	struct json_object *v;

	if (vm && json_object_object_get_ex(vm, "exit_reason", &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* stop and kill: ask, then wait until the VM has stopped; prints how it ended. */
static int cli_stop(struct mgr_client *c, const struct cli_verb *v, const char *name, long timeout_s)
{
	struct json_object *answer, *last;
	bool progress = isatty(STDERR_FILENO);
	char body[96];
	int ret, wait_ms;

	if (!strcmp(v->name, "stop")) {
		snprintf(body, sizeof(body), "{\"action\": \"stop\", \"timeout_ms\": %ld}", timeout_s * 1000);
		wait_ms = (int)timeout_s * 1000 + STOP_GRACE_MS;
	} else {
		snprintf(body, sizeof(body), "{\"action\": \"kill\"}");
		wait_ms = KILL_WAIT_MS;
	}
	ret = cli_post_action(c, name, body, &answer);
	if (ret)
		return ret;
	json_object_put(answer);
	if (progress)
		fprintf(stderr, "vessel: waiting for '%s' to stop", name);
	ret = mgr_client_wait_stopped(c, name, wait_ms, progress, &last);
	if (progress && !ret)
		fputc('\n', stderr);
	if (!ret)
		printf("%s %s (%s)\n", name, v->done, cli_reason(last) ? cli_reason(last) : "done");
	json_object_put(last);
	return ret;
}

static int cli_rm(struct mgr_client *c, const char *name, bool force)
{
	struct json_object *answer, *last;
	char path[128];
	long http;
	int ret;

	snprintf(path, sizeof(path), "/vms/%s", name);
	ret = mgr_client_call(c, "DELETE", path, NULL, &answer, &http, force);
	if (ret && force && http == 409) {
		/* Running: kill it, wait, and try again. */
		ret = cli_post_action(c, name, "{\"action\": \"kill\"}", &answer);
		if (ret)
			return ret;
		json_object_put(answer);
		ret = mgr_client_wait_stopped(c, name, KILL_WAIT_MS, false, &last);
		json_object_put(last);
		if (ret)
			return ret;
		ret = mgr_client_call(c, "DELETE", path, NULL, &answer, NULL, false);
	} else if (ret && force) {
		/* The quiet attempt failed for another reason: say it. */
		ret = mgr_client_call(c, "DELETE", path, NULL, &answer, NULL, false);
	}
	if (ret)
		return ret;
	json_object_put(answer);
	printf("%s removed\n", name);
	return 0;
}

static int cli_verb_run(const struct cli_verb *v, int argc, char **argv)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = NULL, *name;
	long timeout_s = MGR_STOP_TIMEOUT_MS / 1000;
	struct json_object *answer;
	struct mgr_client c;
	bool force = false;
	char body[64], *end;
	int opt, ret;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":t:fh", options, NULL)) != -1) {
		switch (opt) {
		case 'd': state_dir = optarg; break;
		case 't':
			if (!v->has_timeout)
				return mgr_client_usage(v->name, "unknown option '%s'", argv[optind - 1]);
			timeout_s = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout_s < 0 || timeout_s > MGR_TIMEOUT_MAX_MS / 1000)
				return mgr_client_usage(v->name, "--timeout '%s': expected 0 to %d seconds", optarg,
							MGR_TIMEOUT_MAX_MS / 1000);
			break;
		case 'f':
			if (!v->has_force)
				return mgr_client_usage(v->name, "unknown option '%s'", argv[optind - 1]);
			force = true;
			break;
		case 'h': cli_verb_usage(v); return 0;
		case ':': return mgr_client_usage(v->name, "option '%s' needs a value", argv[optind - 1]);
		default: return mgr_client_usage(v->name, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return mgr_client_usage(v->name, "missing the VM's NAME");
	if (optind + 1 < argc)
		return mgr_client_usage(v->name, "unexpected argument '%s'", argv[optind + 1]);
	name = argv[optind];
	if (!manager_name_valid(name))
		return mgr_client_usage(v->name, "VM name '%s' is not valid", name);
	ret = mgr_client_init(&c, state_dir);
	if (ret)
		return ret;
	if (!strcmp(v->name, "stop") || !strcmp(v->name, "kill"))
		return cli_stop(&c, v, name, timeout_s);
	if (!strcmp(v->name, "rm"))
		return cli_rm(&c, name, force);
	snprintf(body, sizeof(body), "{\"action\": \"%s\"}", v->name);
	ret = cli_post_action(&c, name, body, &answer);
	if (ret)
		return ret;
	json_object_put(answer);
	printf("%s %s\n", name, v->done);
	return 0;
}

static const struct cli_verb *cli_verb_find(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

int cmd_start(int argc, char **argv) { return cli_verb_run(cli_verb_find("start"), argc, argv); }
int cmd_stop(int argc, char **argv) { return cli_verb_run(cli_verb_find("stop"), argc, argv); }
int cmd_kill(int argc, char **argv) { return cli_verb_run(cli_verb_find("kill"), argc, argv); }
int cmd_pause(int argc, char **argv) { return cli_verb_run(cli_verb_find("pause"), argc, argv); }
int cmd_resume(int argc, char **argv) { return cli_verb_run(cli_verb_find("resume"), argc, argv); }
int cmd_rm(int argc, char **argv) { return cli_verb_run(cli_verb_find("rm"), argc, argv); }
