// SPDX-License-Identifier: MIT
/* The manager API's routes and the JSON bodies of create and actions. */
#include "manager/daemon_routes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_config.h"

#define ERR_LEN 256

static const char *const restart_names[] = { "no", "on-failure", "always" };
static const char *const action_names[] = { "start", "stop", "kill", "pause", "resume" };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *mgr_restart_name(enum mgr_restart restart)
{
	return (unsigned)restart < ARRAY_SIZE(restart_names) ? restart_names[restart] : "no";
}

int mgr_restart_parse(const char *name, enum mgr_restart *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(restart_names); i++) {
		if (!strcmp(name, restart_names[i])) {
			*out = (enum mgr_restart)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mgr_action_name(enum mgr_action action)
{
	return (unsigned)action < ARRAY_SIZE(action_names) ? action_names[action] : "?";
}

const char *mgr_owned_option(const char *arg)
{
	static const char *const owned[] = { "api-sock", "console-sock", "status-file", "dry-run", "help" };
	/* Options of vessel run whose full name is a prefix of an owned one: getopt takes them as they are. */
	static const char *const exact_ok[] = { "console" };
	char name[64];
	size_t n;

	if (arg[0] == '-' && arg[1] != '-') {
		/* Short options: -h, or -h after flags that take no value (-vh). */
		const char *p = arg + 1;

		while (*p == 'v')
			p++;
		return *p == 'h' ? "help" : NULL;
	}
	if (strncmp(arg, "--", 2) || !arg[2])
		return NULL;
	n = strcspn(arg + 2, "=");
	if (n >= sizeof(name))
		return NULL;
	memcpy(name, arg + 2, n);
	name[n] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(exact_ok); i++)
		if (!strcmp(name, exact_ok[i]))
			return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		if (!strncmp(owned[i], name, n))
			return owned[i];
	return NULL;
}

/* Fails with a message naming the first field of obj that is not in allowed. */
static int mgr_check_fields(struct json_object *obj, const char *what, const char *const *allowed,
			    size_t nr, char *err, size_t errlen)
{
	json_object_object_foreach(obj, key, v) {
		bool known = false;

		(void)v;
		for (size_t i = 0; i < nr; i++)
			known |= !strcmp(key, allowed[i]);
		if (!known) {
			snprintf(err, errlen, "%s: unknown field '%.64s'", what, key);
			return -EINVAL;
		}
	}
	return 0;
}

static int mgr_parse_args(struct json_object *arr, struct mgr_request *req, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "create: field 'args' must be an array of strings");
		return -EINVAL;
	}
	n = json_object_array_length(arr);
	if (n > MGR_ARGS_MAX) {
		snprintf(err, errlen, "create: field 'args' has more than %d options", MGR_ARGS_MAX);
		return -EINVAL;
	}
	req->args = calloc(n + 1, sizeof(*req->args));
	if (!req->args) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(arr, i);
		const char *s, *owned;

		if (!json_object_is_type(item, json_type_string)) {
			snprintf(err, errlen, "create: field 'args': item %zu is not a string", i);
			return -EINVAL;
		}
		s = json_object_get_string(item);
		if ((size_t)json_object_get_string_len(item) != strlen(s) || strlen(s) > MGR_ARG_LEN_MAX) {
			snprintf(err, errlen, "create: field 'args': item %zu has a NUL byte or is too long", i);
			return -EINVAL;
		}
		owned = mgr_owned_option(s);
		if (owned) {
			snprintf(err, errlen, "create: option '%.64s': the manager sets --%s itself", s, owned);
			return -EINVAL;
		}
		req->args[i] = strdup(s);
		if (!req->args[i]) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		req->nr_args = (int)i + 1;
	}
	return 0;
}

static int mgr_parse_create(struct json_object *obj, struct mgr_request *req, char *err, size_t errlen)
{
	static const char *const fields[] = { "args", "restart", "reserve" };
	struct json_object *val;
	int ret;

	ret = mgr_check_fields(obj, "create", fields, ARRAY_SIZE(fields), err, errlen);
	if (ret)
		return ret;
	req->restart = MGR_RESTART_NO;
	if (json_object_object_get_ex(obj, "restart", &val)) {
		if (!json_object_is_type(val, json_type_string)) {
			snprintf(err, errlen, "create: field 'restart' must be a string");
			return -EINVAL;
		}
		if (mgr_restart_parse(json_object_get_string(val), &req->restart)) {
			snprintf(err, errlen, "create: field 'restart': unknown value '%.64s' "
				 "(expected no, on-failure or always)", json_object_get_string(val));
			return -EINVAL;
		}
	}
	if (json_object_object_get_ex(obj, "reserve", &val)) {
		if (!json_object_is_type(val, json_type_boolean)) {
			snprintf(err, errlen, "create: field 'reserve' must be a boolean");
			return -EINVAL;
		}
		req->reserve = json_object_get_boolean(val);
	}
	if (!json_object_object_get_ex(obj, "args", &val)) {
		snprintf(err, errlen, "create: missing required field 'args'");
		return -EINVAL;
	}
	return mgr_parse_args(val, req, err, errlen);
}

static int mgr_parse_action(struct json_object *obj, struct mgr_request *req, char *err, size_t errlen)
{
	static const char *const fields[] = { "action", "timeout_ms" };
	struct json_object *val;
	const char *s;
	size_t i;
	int ret;

	ret = mgr_check_fields(obj, "actions", fields, ARRAY_SIZE(fields), err, errlen);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(obj, "action", &val)) {
		snprintf(err, errlen, "actions: missing required field 'action'");
		return -EINVAL;
	}
	if (!json_object_is_type(val, json_type_string)) {
		snprintf(err, errlen, "actions: field 'action' must be a string");
		return -EINVAL;
	}
	s = json_object_get_string(val);
	for (i = 0; i < ARRAY_SIZE(action_names); i++)
		if (!strcmp(s, action_names[i]))
			break;
	if (i == ARRAY_SIZE(action_names)) {
		snprintf(err, errlen, "actions: field 'action': unknown value '%.64s' "
			 "(expected start, stop, kill, pause or resume)", s);
		return -EINVAL;
	}
	req->action = (enum mgr_action)i;
	req->timeout_ms = MGR_STOP_TIMEOUT_MS;
	if (json_object_object_get_ex(obj, "timeout_ms", &val)) {
		int64_t ms;

		if (req->action != MGR_ACTION_STOP) {
			snprintf(err, errlen, "actions: field 'timeout_ms' is only for stop");
			return -EINVAL;
		}
		if (!json_object_is_type(val, json_type_int)) {
			snprintf(err, errlen, "actions: field 'timeout_ms' must be an integer");
			return -EINVAL;
		}
		ms = json_object_get_int64(val);
		if (ms < 0 || ms > MGR_TIMEOUT_MAX_MS) {
			snprintf(err, errlen, "actions: field 'timeout_ms' must be 0 to %d", MGR_TIMEOUT_MAX_MS);
			return -EINVAL;
		}
		req->timeout_ms = (uint32_t)ms;
	}
	req->op = MGR_OP_ACTION;
	return 0;
}

/* A string field: present (or not, if optional), a string without NUL bytes, at most max bytes. */
static int mgr_get_string(struct json_object *obj, const char *what, const char *field, size_t max, bool required,
			  char **out, char *err, size_t errlen)
{
	struct json_object *val;
	const char *s;

	if (!json_object_object_get_ex(obj, field, &val)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "%s: missing required field '%s'", what, field);
		return -EINVAL;
	}
	if (!json_object_is_type(val, json_type_string)) {
		snprintf(err, errlen, "%s: field '%s' must be a string", what, field);
		return -EINVAL;
	}
	s = json_object_get_string(val);
	if ((size_t)json_object_get_string_len(val) != strlen(s) || !s[0] || strlen(s) > max) {
		snprintf(err, errlen, "%s: field '%s' is empty, has a NUL byte or is longer than %zu bytes",
			 what, field, max);
		return -EINVAL;
	}
	*out = strdup(s);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* An optional integer field in [min, max]. */
static int mgr_get_uint(struct json_object *obj, const char *what, const char *field, int64_t min, int64_t max,
			uint32_t *out, char *err, size_t errlen)
{
	struct json_object *val;
	int64_t v;

	if (!json_object_object_get_ex(obj, field, &val))
		return 0;
	if (!json_object_is_type(val, json_type_int)) {
		snprintf(err, errlen, "%s: field '%s' must be an integer", what, field);
		return -EINVAL;
	}
	v = json_object_get_int64(val);
	if (v < min || v > max) {
		snprintf(err, errlen, "%s: field '%s' must be %lld to %lld", what, field, (long long)min,
			 (long long)max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int mgr_parse_snapshot(struct json_object *obj, struct mgr_request *req, char *err, size_t errlen)
{
	static const char *const fields[] = { "snapshot_dir", "resume" };
	struct json_object *val;
	int ret;

	ret = mgr_check_fields(obj, "snapshot", fields, ARRAY_SIZE(fields), err, errlen);
	if (!ret)
		ret = mgr_get_string(obj, "snapshot", "snapshot_dir", MGR_DIR_LEN_MAX, true, &req->snapshot_dir,
				     err, errlen);
	if (ret)
		return ret;
	/* The VM's process writes the files: its working directory is not the client's. */
	if (req->snapshot_dir[0] != '/') {
		snprintf(err, errlen, "snapshot: field 'snapshot_dir' must be an absolute path");
		return -EINVAL;
	}
	if (json_object_object_get_ex(obj, "resume", &val)) {
		if (!json_object_is_type(val, json_type_boolean)) {
			snprintf(err, errlen, "snapshot: field 'resume' must be true or false");
			return -EINVAL;
		}
		req->resume = json_object_get_boolean(val);
	}
	req->op = MGR_OP_SNAPSHOT;
	return 0;
}

static int mgr_parse_migrate(struct json_object *obj, struct mgr_request *req, char *err, size_t errlen)
{
	static const char *const fields[] = { "destination", "downtime_ms", "max_rounds" };
	int ret;

	ret = mgr_check_fields(obj, "migrate", fields, ARRAY_SIZE(fields), err, errlen);
	if (!ret)
		ret = mgr_get_string(obj, "migrate", "destination", MGR_DEST_LEN_MAX, true, &req->destination,
				     err, errlen);
	if (!ret)
		ret = mgr_get_uint(obj, "migrate", "downtime_ms", 1, MGR_DOWNTIME_MAX_MS, &req->downtime_ms,
				   err, errlen);
	if (!ret)
		ret = mgr_get_uint(obj, "migrate", "max_rounds", 0, MGR_ROUNDS_MAX, &req->max_rounds, err, errlen);
	if (ret)
		return ret;
	if (strncmp(req->destination, "tcp://", 6)) {
		snprintf(err, errlen, "migrate: field 'destination': expected tcp://HOST:PORT, not '%.64s'",
			 req->destination);
		return -EINVAL;
	}
	req->op = MGR_OP_MIGRATE;
	return 0;
}

static int mgr_parse_balloon(struct json_object *obj, struct mgr_request *req, char *err, size_t errlen)
{
	static const char *const fields[] = { "amount_mib" };
	int ret;

	ret = mgr_check_fields(obj, "balloon", fields, ARRAY_SIZE(fields), err, errlen);
	if (!ret && !json_object_object_get_ex(obj, "amount_mib", NULL)) {
		snprintf(err, errlen, "balloon: missing required field 'amount_mib'");
		ret = -EINVAL;
	}
	if (!ret)
		ret = mgr_get_uint(obj, "balloon", "amount_mib", 0, UINT32_MAX / 256, &req->amount_mib, err, errlen);
	if (!ret)
		req->op = MGR_OP_BALLOON;
	return ret;
}

/* Parses a body that must be one JSON object, with fn. */
static int mgr_parse_body(const char *body, size_t len, struct mgr_request *req,
			  int (*fn)(struct json_object *, struct mgr_request *, char *, size_t),
			  struct api_response *resp)
{
	struct json_object *obj = NULL;
	char err[ERR_LEN];
	int ret;

	if (len == 0)
		return api_response_error(resp, 400, "empty request body");
	ret = api_json_parse(body, len, &obj, err, sizeof(err));
	if (!ret)
		ret = fn(obj, req, err, sizeof(err));
	json_object_put(obj);
	if (ret)
		return api_response_error(resp, 400, "%s", err);
	return 0;
}

/* The resources under /vms/{name}/. */
enum mgr_sub { MGR_SUB_NONE, MGR_SUB_ACTIONS, MGR_SUB_SNAPSHOT, MGR_SUB_MIGRATE, MGR_SUB_BALLOON };

static enum mgr_sub mgr_sub_parse(const char *slash)
{
	if (!slash)
		return MGR_SUB_NONE;
	if (!strcmp(slash, "/actions"))
		return MGR_SUB_ACTIONS;
	if (!strcmp(slash, "/snapshot"))
		return MGR_SUB_SNAPSHOT;
	if (!strcmp(slash, "/migrate"))
		return MGR_SUB_MIGRATE;
	if (!strcmp(slash, "/balloon"))
		return MGR_SUB_BALLOON;
	return MGR_SUB_NONE;
}

/* PUT /vms/{name}/actions|snapshot|migrate, GET /vms/{name}/migrate, PATCH /vms/{name}/balloon. */
static int mgr_route_sub(const char *method, enum mgr_sub sub, const char *body, size_t len,
			 struct mgr_request *req, struct api_response *resp)
{
	static const char *const names[] = { "", "actions", "snapshot", "migrate", "balloon" };

	if (sub == MGR_SUB_MIGRATE && !strcmp(method, "GET")) {
		req->op = MGR_OP_MIGRATE_STATUS;
		return 0;
	}
	if (sub == MGR_SUB_BALLOON && !strcmp(method, "PATCH"))
		return mgr_parse_body(body, len, req, mgr_parse_balloon, resp);
	if (strcmp(method, "PUT") || sub == MGR_SUB_BALLOON)
		return api_response_error(resp, 405, "method %.16s is not allowed on /vms/%s/%s",
					  method, req->name, names[sub]);
	switch (sub) {
	case MGR_SUB_ACTIONS: return mgr_parse_body(body, len, req, mgr_parse_action, resp);
	case MGR_SUB_SNAPSHOT: return mgr_parse_body(body, len, req, mgr_parse_snapshot, resp);
	default: return mgr_parse_body(body, len, req, mgr_parse_migrate, resp);
	}
}

static int mgr_route_vm(const char *method, const char *rest, const char *body, size_t len,
			struct mgr_request *req, struct api_response *resp)
{
	const char *slash = strchr(rest, '/');
	size_t name_len = slash ? (size_t)(slash - rest) : strlen(rest);
	enum mgr_sub sub = mgr_sub_parse(slash);

	/* /vms/a/b is a name with a path character, unless b is one of the VM's resources. */
	if (slash && sub == MGR_SUB_NONE)
		name_len = strlen(rest);
	if (name_len == 0)
		return api_response_error(resp, 400, "the path needs a VM name: /vms/NAME");
	if (name_len > MANAGER_NAME_MAX)
		goto out_bad_name;
	memcpy(req->name, rest, name_len);
	req->name[name_len] = '\0';
	if (!manager_name_valid(req->name))
		goto out_bad_name;
	if (sub != MGR_SUB_NONE)
		return mgr_route_sub(method, sub, body, len, req, resp);
	if (!strcmp(method, "GET")) {
		req->op = MGR_OP_GET;
		return 0;
	}
	if (!strcmp(method, "DELETE")) {
		req->op = MGR_OP_DELETE;
		return 0;
	}
	if (!strcmp(method, "PUT")) {
		int ret = mgr_parse_body(body, len, req, mgr_parse_create, resp);

		if (!ret)
			req->op = MGR_OP_CREATE;
		return ret;
	}
	return api_response_error(resp, 405, "method %.16s is not allowed on /vms/%s", method, req->name);
out_bad_name:
	return api_response_error(resp, 400, "VM name '%.80s' is not valid: use 1-%d letters, digits, "
				  "'_', '.' or '-', not starting with '.' or '-'", rest, MANAGER_NAME_MAX);
}

int mgr_route(const char *method, const char *url, const char *body, size_t len,
	      struct mgr_request *req, struct api_response *resp)
{
	int ret;

	*req = (struct mgr_request){ 0 };
	if (!strcmp(url, "/") || !strcmp(url, "/vms")) {
		if (strcmp(method, "GET"))
			return api_response_error(resp, 405, "method %.16s is not allowed on %s", method, url);
		req->op = url[1] ? MGR_OP_LIST : MGR_OP_INFO;
		return 0;
	}
	if (strncmp(url, "/vms/", 5))
		return api_response_error(resp, 404, "no such resource: %.200s", url);
	ret = mgr_route_vm(method, url + 5, body, len, req, resp);
	if (ret)
		mgr_request_clear(req);
	return ret;
}

void mgr_request_clear(struct mgr_request *req)
{
	if (req->args) {
		for (int i = 0; i < req->nr_args; i++)
			free(req->args[i]);
		free(req->args);
	}
	free(req->snapshot_dir);
	free(req->destination);
	*req = (struct mgr_request){ 0 };
}
