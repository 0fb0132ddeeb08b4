// SPDX-License-Identifier: MIT
/* Parsing the snapshot routes' bodies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_snapshot.h"
#include "cli/clone_option.h"
#include "cli/net_option.h"

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

/* A string field of an override object, or NULL if absent; -EINVAL if not a string. */
static int api_snap_override_str(struct json_object *item, const char *field, const char *what,
				 const char **out, char *err, size_t errlen)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(item, field, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "%s: field '%s' must be a string", what, field);
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* Every key of an override object is one of fields. */
static int api_snap_override_keys(struct json_object *item, const char *const *fields, const char *what,
				  char *err, size_t errlen)
{
	json_object_object_foreach(item, key, v) {
		bool known = false;

		(void)v;
		for (const char *const *f = fields; *f; f++)
			known |= !strcmp(key, *f);
		if (!known) {
			snprintf(err, errlen, "%s: unknown field '%.64s'", what, key);
			return -EINVAL;
		}
	}
	return 0;
}

/* [{"drive_id": ID, "path_on_host": PATH}, ...] (vessel's: a clone's own disk image). */
static int api_parse_drive_overrides(struct json_object *val, struct snap_overrides *o, char *err, size_t errlen)
{
	static const char what[] = "snapshot/load: drive_overrides";
	static const char *const fields[] = { "drive_id", "path_on_host", NULL };
	size_t n;

	if (!json_object_is_type(val, json_type_array))
		return api_snap_bad(err, errlen, what, "must be an array");
	n = json_object_array_length(val);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(val, i);
		const char *drive_id, *path;
		int ret;

		if (!json_object_is_type(item, json_type_object))
			return api_snap_bad(err, errlen, what, "each entry must be an object");
		ret = api_snap_override_keys(item, fields, what, err, errlen);
		if (!ret)
			ret = api_snap_override_str(item, "drive_id", what, &drive_id, err, errlen);
		if (!ret)
			ret = api_snap_override_str(item, "path_on_host", what, &path, err, errlen);
		if (ret)
			return ret;
		if (!drive_id || !path)
			return api_snap_bad(err, errlen, what, "each entry needs 'drive_id' and 'path_on_host'");
		ret = clone_option_add_disk(o, drive_id, path, what, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * [{"iface_id": ID, "host_dev_name": TAP, "guest_mac": MAC}, ...]: Firecracker's
 * network_overrides (host_dev_name), plus guest_mac; either may be left out.
 */
static int api_parse_network_overrides(struct json_object *val, struct snap_overrides *o, char *err, size_t errlen)
{
	static const char what[] = "snapshot/load: network_overrides";
	static const char *const fields[] = { "iface_id", "host_dev_name", "guest_mac", NULL };
	size_t n;

	if (!json_object_is_type(val, json_type_array))
		return api_snap_bad(err, errlen, what, "must be an array");
	n = json_object_array_length(val);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(val, i);
		const char *iface_id, *tap, *mac_str;
		uint8_t mac[6];
		int ret;

		if (!json_object_is_type(item, json_type_object))
			return api_snap_bad(err, errlen, what, "each entry must be an object");
		ret = api_snap_override_keys(item, fields, what, err, errlen);
		if (!ret)
			ret = api_snap_override_str(item, "iface_id", what, &iface_id, err, errlen);
		if (!ret)
			ret = api_snap_override_str(item, "host_dev_name", what, &tap, err, errlen);
		if (!ret)
			ret = api_snap_override_str(item, "guest_mac", what, &mac_str, err, errlen);
		if (ret)
			return ret;
		if (!iface_id)
			return api_snap_bad(err, errlen, what, "each entry needs 'iface_id'");
		if (mac_str && net_option_parse_mac(mac_str, mac)) {
			snprintf(err, errlen, "%s: '%s': field 'guest_mac' is not a unicast MAC address "
				 "(like 52:54:00:12:34:56)", what, iface_id);
			return -EINVAL;
		}
		ret = clone_option_add_net(o, iface_id, tap, mac_str ? mac : NULL, what, err, errlen);
		if (ret)
			return ret;
	}
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
		} else if (!strcmp(key, "network_overrides")) {
			ret = api_parse_network_overrides(val, &s->overrides, err, errlen);
		} else if (!strcmp(key, "drive_overrides")) {
			ret = api_parse_drive_overrides(val, &s->overrides, err, errlen);
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
