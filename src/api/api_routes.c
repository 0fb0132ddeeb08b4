// SPDX-License-Identifier: MIT
/*
 * The routes table. Each route names its path (a "/{id}" suffix for
 * per-resource paths), its method and a parser that turns the JSON body into
 * a request for the VMM thread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_balloon.h"
#include "api/api_config.h"
#include "api/api_routes.h"
#include "api/api_migrate.h"
#include "api/api_snapshot.h"
#include "api/api_vsock.h"

#define ERR_LEN 256

/* Parses obj (the body, NULL if the route takes none) into req; -EINVAL with err. */
typedef int (*api_parse_fn)(struct json_object *obj, const char *id, struct api_request *req,
			    char *err, size_t errlen);

struct api_route_entry {
	const char *path;           /* with has_id: the prefix before the id */
	bool has_id;
	const char *method;
	enum api_op op;             /* for routes without a body */
	api_parse_fn parse;         /* for routes with one */
};

static int api_parse_boot(struct json_object *obj, const char *id, struct api_request *req,
			  char *err, size_t errlen)
{
	req->op = API_OP_PUT_BOOT_SOURCE;
	return api_config_parse_boot_source(obj, &req->u.boot, err, errlen);
}

static int api_parse_machine(struct json_object *obj, const char *id, struct api_request *req,
			     char *err, size_t errlen)
{
	req->op = API_OP_PUT_MACHINE_CONFIG;
	return api_config_parse_machine(obj, &req->u.machine, err, errlen);
}

static int api_parse_drive(struct json_object *obj, const char *id, struct api_request *req,
			   char *err, size_t errlen)
{
	req->op = API_OP_PUT_DRIVE;
	return api_config_parse_drive(obj, id, &req->u.drive, err, errlen);
}

static int api_parse_net(struct json_object *obj, const char *id, struct api_request *req,
			 char *err, size_t errlen)
{
	req->op = API_OP_PUT_NET;
	return api_config_parse_net(obj, id, &req->u.net, err, errlen);
}

/* A body of exactly one string field with one of the given values; returns its index. */
static int api_parse_enum(struct json_object *obj, const char *what, const char *field,
			  const char *const *values, int nr, char *err, size_t errlen)
{
	struct json_object *val;
	const char *s;

	json_object_object_foreach(obj, key, v) {
		(void)v;
		if (strcmp(key, field)) {
			snprintf(err, errlen, "%s: unknown field '%s'", what, key);
			return -EINVAL;
		}
	}
	if (!json_object_object_get_ex(obj, field, &val)) {
		snprintf(err, errlen, "%s: missing required field '%s'", what, field);
		return -EINVAL;
	}
	if (!json_object_is_type(val, json_type_string)) {
		snprintf(err, errlen, "%s: field '%s' must be a string", what, field);
		return -EINVAL;
	}
	s = json_object_get_string(val);
	for (int i = 0; i < nr; i++)
		if (!strcmp(s, values[i]))
			return i;
	snprintf(err, errlen, "%s: field '%s': unknown value '%.64s'", what, field, s);
	return -EINVAL;
}

static int api_parse_action(struct json_object *obj, const char *id, struct api_request *req,
			    char *err, size_t errlen)
{
	static const char *const names[] = { "InstanceStart", "SendCtrlAltDel", "FlushMetrics" };
	static const enum api_op ops[] = {
		API_OP_INSTANCE_START, API_OP_SEND_CTRL_ALT_DEL, API_OP_FLUSH_METRICS,
	};
	int i = api_parse_enum(obj, "actions", "action_type", names, 3, err, errlen);

	if (i < 0)
		return i;
	req->op = ops[i];
	return 0;
}

static int api_parse_vm_state(struct json_object *obj, const char *id, struct api_request *req,
			      char *err, size_t errlen)
{
	static const char *const names[] = { "Paused", "Resumed" };
	int i = api_parse_enum(obj, "vm", "state", names, 2, err, errlen);

	if (i < 0)
		return i;
	req->op = i == 0 ? API_OP_PAUSE : API_OP_RESUME;
	return 0;
}

static int api_parse_shutdown(struct json_object *obj, const char *id, struct api_request *req,
			      char *err, size_t errlen)
{
	struct json_object *val;
	int64_t ms = 5000;

	json_object_object_foreach(obj, key, v) {
		(void)v;
		if (strcmp(key, "timeout_ms")) {
			snprintf(err, errlen, "vessel/shutdown: unknown field '%s'", key);
			return -EINVAL;
		}
	}
	if (json_object_object_get_ex(obj, "timeout_ms", &val)) {
		if (!json_object_is_type(val, json_type_int)) {
			snprintf(err, errlen, "vessel/shutdown: field 'timeout_ms' must be an integer");
			return -EINVAL;
		}
		ms = json_object_get_int64(val);
		if (ms < 0 || ms > 3600 * 1000) {
			snprintf(err, errlen, "vessel/shutdown: field 'timeout_ms' must be 0 to 3600000");
			return -EINVAL;
		}
	}
	req->op = API_OP_SHUTDOWN;
	req->u.timeout_ms = (uint32_t)ms;
	return 0;
}

static const struct api_route_entry api_routes[] = {
	{ "/", false, "GET", API_OP_GET_INFO, NULL },
	{ "/boot-source", false, "PUT", 0, api_parse_boot },
	{ "/machine-config", false, "GET", API_OP_GET_MACHINE_CONFIG, NULL },
	{ "/machine-config", false, "PUT", 0, api_parse_machine },
	{ "/drives/", true, "PUT", 0, api_parse_drive },
	{ "/network-interfaces/", true, "PUT", 0, api_parse_net },
	{ "/vm/config", false, "GET", API_OP_GET_VM_CONFIG, NULL },
	{ "/actions", false, "PUT", 0, api_parse_action },
	{ "/vm", false, "PATCH", 0, api_parse_vm_state },
	{ "/vessel/shutdown", false, "PUT", 0, api_parse_shutdown },
	{ "/vessel/status", false, "GET", API_OP_GET_STATUS, NULL },
	{ "/snapshot/create", false, "PUT", 0, api_parse_snapshot_create },
	{ "/snapshot/load", false, "PUT", 0, api_parse_snapshot_load },
	{ "/vessel/migrate", false, "PUT", 0, api_parse_migrate },
	{ "/vessel/migrate", false, "GET", API_OP_GET_MIGRATE, NULL },
	{ "/balloon", false, "PUT", 0, api_parse_balloon_put },
	{ "/balloon", false, "PATCH", 0, api_parse_balloon_patch },
	{ "/balloon", false, "GET", API_OP_GET_BALLOON, NULL },
	{ "/balloon/statistics", false, "GET", API_OP_GET_BALLOON_STATS, NULL },
	{ "/balloon/statistics", false, "PATCH", 0, api_parse_balloon_stats_patch },
	{ "/vsock", false, "PUT", 0, api_parse_vsock_put },
};

#define NR_ROUTES (sizeof(api_routes) / sizeof(api_routes[0]))

/* Does url name this route's path? *id gets the id part for per-resource routes. */
static bool api_route_match(const struct api_route_entry *r, const char *url, const char **id)
{
	size_t len = strlen(r->path);

	*id = NULL;
	if (!r->has_id)
		return !strcmp(url, r->path);
	if (strncmp(url, r->path, len))
		return false;
	*id = url + len;
	return !strchr(*id, '/');
}

int api_route(const char *method, const char *url, const char *body, size_t len,
	      struct api_request *req, struct api_response *resp)
{
	const struct api_route_entry *route = NULL;
	struct json_object *obj = NULL;
	bool path_known = false;
	char err[ERR_LEN];
	const char *id;
	int ret;

	*req = (struct api_request){ 0 };
	for (size_t i = 0; i < NR_ROUTES; i++) {
		if (!api_route_match(&api_routes[i], url, &id))
			continue;
		path_known = true;
		if (!strcmp(method, api_routes[i].method)) {
			route = &api_routes[i];
			break;
		}
	}
	if (!path_known)
		return api_response_error(resp, 404, "no such resource: %.200s", url);
	if (!route)
		return api_response_error(resp, 405, "method %.16s is not allowed on %.200s", method, url);
	if (!route->parse) {
		req->op = route->op;
		return 0;
	}
	if (route->has_id && api_route_match(route, url, &id) && !*id)
		return api_response_error(resp, 400, "%.200s: the path needs an id", url);
	if (len == 0)
		return api_response_error(resp, 400, "empty request body");
	ret = api_json_parse(body, len, &obj, err, sizeof(err));
	if (!ret)
		ret = route->parse(obj, id, req, err, sizeof(err));
	json_object_put(obj);
	if (ret) {
		api_request_clear(req);
		return api_response_error(resp, 400, "%s", err);
	}
	return 0;
}
