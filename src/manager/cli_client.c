// SPDX-License-Identifier: MIT
#include "manager/cli_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/http_client.h"
#include "manager/state_dir.h"

#define CLIENT_TIMEOUT_MS 30000

int mgr_client_init(struct mgr_client *c, const char *state_override)
{
	char dir[PATH_MAX];
	int ret = manager_state_dir(state_override, dir, sizeof(dir));

	if (!ret && snprintf(c->sock, sizeof(c->sock), "%s/%s", dir, MANAGER_DAEMON_SOCK) >= (int)sizeof(c->sock))
		ret = -ENAMETOOLONG;
	if (ret) {
		fprintf(stderr, "vessel: cannot find the state directory: %s (use --state-dir)\n", strerror(-ret));
		return CLI_EXIT_FAILED;
	}
	return 0;
}

int mgr_client_usage(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vessel: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vessel %s --help'.\n", verb);
	return CLI_EXIT_USAGE;
}

static void mgr_client_not_running(const struct mgr_client *c, const char *why)
{
	struct stat st;

	if (stat(c->sock, &st))
		fprintf(stderr, "vessel: the manager is not running (no %s); start it with 'vessel daemon'\n", c->sock);
	else
		fprintf(stderr, "vessel: the manager is not running (%s); start it with 'vessel daemon'\n", why);
}

int mgr_client_call(struct mgr_client *c, const char *method, const char *path, const char *body,
		    struct json_object **out, long *http, bool quiet)
{
	return mgr_client_call_timeout(c, method, path, body, CLIENT_TIMEOUT_MS, out, http, quiet);
}

int mgr_client_call_timeout(struct mgr_client *c, const char *method, const char *path, const char *body,
			    int timeout_ms, struct json_object **out, long *http, bool quiet)
{
	struct http_reply reply;
	struct json_object *obj, *msg;
	char err[512];
	int ret;

	*out = NULL;
	if (http)
		*http = 0;
	ret = http_unix_request(c->sock, method, path, body, timeout_ms, &reply, err, sizeof(err));
	if (ret == -ECONNREFUSED || ret == -ENOENT) {
		if (!quiet)
			mgr_client_not_running(c, err);
		return CLI_EXIT_FAILED;
	}
	if (ret) {
		if (!quiet)
			fprintf(stderr, "vessel: the manager did not answer: %s\n", err);
		return CLI_EXIT_FAILED;
	}
	if (http)
		*http = reply.status;
	obj = reply.len ? json_tokener_parse(reply.body) : NULL;
	if (reply.status >= 200 && reply.status < 300) {
		http_reply_clear(&reply);
		*out = obj;
		return 0;
	}
	if (!quiet) {
		if (obj && json_object_object_get_ex(obj, "fault_message", &msg))
			fprintf(stderr, "vessel: %s\n", json_object_get_string(msg));
		else
			fprintf(stderr, "vessel: the manager answered %ld to %s %s\n", reply.status, method, path);
	}
	json_object_put(obj);
	http_reply_clear(&reply);
	return CLI_EXIT_FAILED;
}

static const char *mgr_client_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int mgr_client_wait_stopped(struct mgr_client *c, const char *name, int timeout_ms, bool progress,
			    struct json_object **last)
{
	struct timespec start, now;
	char path[128];
	int ticks = 0;

	snprintf(path, sizeof(path), "/vms/%s", name);
	clock_gettime(CLOCK_MONOTONIC, &start);
	*last = NULL;
	for (;;) {
		struct json_object *vm;
		const char *state;
		long ms;

		if (mgr_client_call(c, "GET", path, NULL, &vm, NULL, false))
			return CLI_EXIT_FAILED;
		state = mgr_client_str(vm, "state");
		if (strcmp(state, "running") && strcmp(state, "paused") && strcmp(state, "stopping")) {
			if (progress && ticks)
				fputc('\n', stderr);
			*last = vm;
			return 0;
		}
		json_object_put(vm);
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms > timeout_ms) {
			if (progress && ticks)
				fputc('\n', stderr);
			fprintf(stderr, "vessel: VM '%s' is still %s after %ld s\n", name, state, ms / 1000);
			return CLI_EXIT_FAILED;
		}
		/* A dot a second on a terminal, so that a long shutdown shows it is waiting. */
		if (progress && ms / 1000 > ticks) {
			fputc('.', stderr);
			fflush(stderr);
			ticks++;
		}
		usleep(50 * 1000);
	}
}
