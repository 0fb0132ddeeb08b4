// SPDX-License-Identifier: MIT
/* Parsing the snapshot routes' bodies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_snapshot.h"

#define API_PATH_MAX 4096

static int api_snap_bad(char *err, size_t errlen, const char *what, const char *detail)
{
	snprintf(err, errlen, "%s: %s", what, detail);
	return -EINVAL;
}

/* A non-empty path string field; *out is a copy. */
static int api_snap_path(struct json_object *val, const char *what, const char *field, char **out,
			 char *err, size_t errlen)
{
	const char *s;

	if (!json_object_is_type(val, json_type_string)) {
		snprintf(err, errlen, "%s: field '%s' must be a string", what, field);
		return -EINVAL;
	}
	s = json_object_get_string(val);
	if (!*s || strlen(s) >= API_PATH_MAX) {
		snprintf(err, errlen, "%s: field '%s' must be a path of 1 to %d bytes", what, field, API_PATH_MAX - 1);
		return -EINVAL;
	}
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int api_snap_string_is(struct json_object *val, const char *want)
{
	return json_object_is_type(val, json_type_string) && !strcmp(json_object_get_string(val), want);
}

int api_parse_snapshot_create(struct json_object *obj, const char *id, struct api_request *req,
			      char *err, size_t errlen)
{
	static const char what[] = "snapshot/create";
	struct api_snapshot *s = &req->u.snapshot;
	int ret = 0;

	req->op = API_OP_SNAPSHOT_CREATE;
	if (!json_object_is_type(obj, json_type_object))
		return api_snap_bad(err, errlen, what, "the body must be a JSON object");
	json_object_object_foreach(obj, key, val) {
		if (!strcmp(key, "snapshot_path"))
			ret = api_snap_path(val, what, key, &s->snapshot_path, err, errlen);
		else if (!strcmp(key, "mem_file_path"))
			ret = api_snap_path(val, what, key, &s->mem_path, err, errlen);
		else if (!strcmp(key, "snapshot_type")) {
			if (api_snap_string_is(val, "Diff"))
				ret = api_snap_bad(err, errlen, what, "snapshot_type 'Diff' is not supported; use 'Full'");
			else if (!api_snap_string_is(val, "Full"))
				ret = api_snap_bad(err, errlen, what, "field 'snapshot_type' must be 'Full'");
		} else if (!strcmp(key, "version")) {
			if (!json_object_is_type(val, json_type_string))
				ret = api_snap_bad(err, errlen, what, "field 'version' must be a string");
		} else {
			snprintf(err, errlen, "%s: unknown field '%.64s'", what, key);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (!s->snapshot_path)
		return api_snap_bad(err, errlen, what, "missing required field 'snapshot_path'");
	if (!s->mem_path)
		return api_snap_bad(err, errlen, what, "missing required field 'mem_file_path'");
	return 0;
}

static int api_parse_mem_backend(struct json_object *val, struct api_snapshot *s, char *err, size_t errlen)
{
	static const char what[] = "snapshot/load: mem_backend";
	bool have_type = false;
	int ret = 0;

	if (!json_object_is_type(val, json_type_object))
		return api_snap_bad(err, errlen, what, "must be an object");
	json_object_object_foreach(val, key, v) {
		if (!strcmp(key, "backend_path")) {
			ret = api_snap_path(v, what, key, &s->mem_path, err, errlen);
		} else if (!strcmp(key, "backend_type")) {
			have_type = true;
			if (api_snap_string_is(v, "Uffd"))
				ret = api_snap_bad(err, errlen, what, "backend_type 'Uffd' is not supported; use 'File'");
			else if (!api_snap_string_is(v, "File"))
				ret = api_snap_bad(err, errlen, what, "field 'backend_type' must be 'File'");
		} else {
			snprintf(err, errlen, "%s: unknown field '%.64s'", what, key);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (!s->mem_path)
		return api_snap_bad(err, errlen, what, "missing required field 'backend_path'");
	if (!have_type)
		return api_snap_bad(err, errlen, what, "missing required field 'backend_type'");
	return 0;
}

int api_parse_snapshot_load(struct json_object *obj, const char *id, struct api_request *req,
			    char *err, size_t errlen)
{
	static const char what[] = "snapshot/load";
	struct api_snapshot *s = &req->u.snapshot;
	bool have_backend = false, have_file = false;
	int ret = 0;

	req->op = API_OP_SNAPSHOT_LOAD;
	if (!json_object_is_type(obj, json_type_object))
		return api_snap_bad(err, errlen, what, "the body must be a JSON object");
	json_object_object_foreach(obj, key, val) {
		if (!strcmp(key, "snapshot_path")) {
			ret = api_snap_path(val, what, key, &s->snapshot_path, err, errlen);
		} else if (!strcmp(key, "mem_backend")) {
			if (have_file)
				return api_snap_bad(err, errlen, what, "give mem_backend or mem_file_path, not both");
			have_backend = true;
			ret = api_parse_mem_backend(val, s, err, errlen);
		} else if (!strcmp(key, "mem_file_path")) {
			if (have_backend)
				return api_snap_bad(err, errlen, what, "give mem_backend or mem_file_path, not both");
			have_file = true;
			ret = api_snap_path(val, what, key, &s->mem_path, err, errlen);
		} else if (!strcmp(key, "resume_vm")) {
			if (!json_object_is_type(val, json_type_boolean))
				ret = api_snap_bad(err, errlen, what, "field 'resume_vm' must be a boolean");
			else
				s->resume_vm = json_object_get_boolean(val);
		} else if (!strcmp(key, "enable_diff_snapshots")) {
			if (!json_object_is_type(val, json_type_boolean))
				ret = api_snap_bad(err, errlen, what, "field 'enable_diff_snapshots' must be a boolean");
			else if (json_object_get_boolean(val))
				ret = api_snap_bad(err, errlen, what, "diff snapshots are not supported");
		} else {
			snprintf(err, errlen, "%s: unknown field '%.64s'", what, key);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (!s->snapshot_path)
		return api_snap_bad(err, errlen, what, "missing required field 'snapshot_path'");
	if (!s->mem_path)
		return api_snap_bad(err, errlen, what, "missing required field 'mem_backend'");
	return 0;
}
