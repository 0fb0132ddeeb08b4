// SPDX-License-Identifier: MIT
/* Parsing the snapshot routes' bodies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_fields.h"
#include "api/api_snapshot.h"
#include "cli/clone_option.h"
#include "cli/net_option.h"

#define API_PATH_MAX 4096

static int api_snap_bad(char *err, size_t errlen, const char *what, const char *detail)
{
	snprintf(err, errlen, "%s: %s", what, detail);
	return -EINVAL;
}

/* A non-empty path in a string field (its type checked by the field table); *out is a copy. */
static int api_snap_path(struct json_object *val, const char *what, const char *field, char **out,
			 char *err, size_t errlen)
{
	const char *s = json_object_get_string(val);

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
	static const struct api_field fields[] = {
		{ "snapshot_path", json_type_string, true },
		{ "mem_file_path", json_type_string, true },
		{ "snapshot_type", json_type_string, false },
		{ "version", json_type_string, false },
	};
	struct api_snapshot *s = &req->u.snapshot;
	struct json_object *type;
	int ret;

	req->op = API_OP_SNAPSHOT_CREATE;
	ret = api_fields_check(obj, fields, sizeof(fields) / sizeof(fields[0]), what, err, errlen);
	if (!ret)
		ret = api_snap_path(json_object_object_get(obj, "snapshot_path"), what, "snapshot_path",
				    &s->snapshot_path, err, errlen);
	if (!ret)
		ret = api_snap_path(json_object_object_get(obj, "mem_file_path"), what, "mem_file_path",
				    &s->mem_path, err, errlen);
	if (ret || !json_object_object_get_ex(obj, "snapshot_type", &type))
		return ret;
	if (api_snap_string_is(type, "Diff"))
		return api_snap_bad(err, errlen, what, "snapshot_type 'Diff' is not supported; use 'Full'");
	if (!api_snap_string_is(type, "Full"))
		return api_snap_bad(err, errlen, what, "field 'snapshot_type' must be 'Full'");
	return 0;
}

static int api_parse_mem_backend(struct json_object *val, struct api_snapshot *s, char *err, size_t errlen)
{
	static const char what[] = "snapshot/load: mem_backend";
	static const struct api_field fields[] = {
		{ "backend_path", json_type_string, true },
		{ "backend_type", json_type_string, true },
	};
	struct json_object *type = json_object_object_get(val, "backend_type");
	int ret;

	ret = api_fields_check(val, fields, sizeof(fields) / sizeof(fields[0]), what, err, errlen);
	if (ret)
		return ret;
	if (api_snap_string_is(type, "Uffd"))
		return api_snap_bad(err, errlen, what, "backend_type 'Uffd' is not supported; use 'File'");
	if (!api_snap_string_is(type, "File"))
		return api_snap_bad(err, errlen, what, "field 'backend_type' must be 'File'");
	return api_snap_path(json_object_object_get(val, "backend_path"), what, "backend_path", &s->mem_path,
			     err, errlen);
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
	static const struct api_field fields[] = {
		{ "snapshot_path", json_type_string, true },
		{ "mem_backend", json_type_object, false },
		{ "mem_file_path", json_type_string, false },
		{ "resume_vm", json_type_boolean, false },
		{ "network_overrides", json_type_array, false },
		{ "drive_overrides", json_type_array, false },
		{ "enable_diff_snapshots", json_type_boolean, false },
	};
	struct api_snapshot *s = &req->u.snapshot;
	struct json_object *backend, *file, *val;
	int ret;

	req->op = API_OP_SNAPSHOT_LOAD;
	ret = api_fields_check(obj, fields, sizeof(fields) / sizeof(fields[0]), what, err, errlen);
	if (ret)
		return ret;
	json_object_object_get_ex(obj, "mem_backend", &backend);
	json_object_object_get_ex(obj, "mem_file_path", &file);
	if (backend && file)
		return api_snap_bad(err, errlen, what, "give mem_backend or mem_file_path, not both");
	if (!backend && !file)
		return api_snap_bad(err, errlen, what, "missing required field 'mem_backend'");
	if (json_object_object_get_ex(obj, "enable_diff_snapshots", &val) && json_object_get_boolean(val))
		return api_snap_bad(err, errlen, what, "diff snapshots are not supported");
	if (json_object_object_get_ex(obj, "resume_vm", &val))
		s->resume_vm = json_object_get_boolean(val);
	ret = api_snap_path(json_object_object_get(obj, "snapshot_path"), what, "snapshot_path",
			    &s->snapshot_path, err, errlen);
	if (!ret)
		ret = backend ? api_parse_mem_backend(backend, s, err, errlen) :
				api_snap_path(file, what, "mem_file_path", &s->mem_path, err, errlen);
	if (!ret && json_object_object_get_ex(obj, "network_overrides", &val))
		ret = api_parse_network_overrides(val, &s->overrides, err, errlen);
	if (!ret && json_object_object_get_ex(obj, "drive_overrides", &val))
		ret = api_parse_drive_overrides(val, &s->overrides, err, errlen);
	return ret;
}
