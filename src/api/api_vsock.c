// SPDX-License-Identifier: MIT
/* Parsing PUT /vsock and the config file's "vsock". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_config.h"
#include "api/api_fields.h"
#include "api/api_vsock.h"

int api_vsock_parse(struct json_object *obj, struct api_vsock *out, char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "guest_cid", json_type_int, true },
		{ "uds_path", json_type_string, true },
		{ "vsock_id", json_type_string, false },
	};
	const char *what = "vsock";
	struct json_object *val;
	const char *path;
	int64_t cid;
	int ret;

	*out = (struct api_vsock){ 0 };
	ret = api_fields_check(obj, fields, sizeof(fields) / sizeof(fields[0]), what, err, errlen);
	if (ret)
		return ret;
	json_object_object_get_ex(obj, "guest_cid", &val);
	cid = json_object_get_int64(val);
	if (cid < VSOCK_CID_MIN || cid > VSOCK_CID_MAX) {
		snprintf(err, errlen, "%s: field 'guest_cid' must be %u to %u (0-2 are reserved)", what,
			 VSOCK_CID_MIN, VSOCK_CID_MAX);
		return -EINVAL;
	}
	out->guest_cid = (uint32_t)cid;
	json_object_object_get_ex(obj, "uds_path", &val);
	path = json_object_get_string(val);
	if (!*path || (size_t)json_object_get_string_len(val) != strlen(path) || strlen(path) > VSOCK_UDS_PATH_MAX) {
		snprintf(err, errlen, "%s: field 'uds_path' must be a path of 1 to %d bytes", what, VSOCK_UDS_PATH_MAX);
		return -EINVAL;
	}
	strcpy(out->uds_path, path);
	if (json_object_object_get_ex(obj, "vsock_id", &val)) {
		const char *id = json_object_get_string(val);

		if ((size_t)json_object_get_string_len(val) != strlen(id)) {
			snprintf(err, errlen, "%s: field 'vsock_id' holds a NUL byte", what);
			return -EINVAL;
		}
		ret = api_id_check(id, what, err, errlen);
		if (ret)
			return ret;
		strcpy(out->vsock_id, id);
	}
	return 0;
}

int api_parse_vsock_put(struct json_object *obj, const char *id, struct api_request *req,
			char *err, size_t errlen)
{
	req->op = API_OP_PUT_VSOCK;
	return api_vsock_parse(obj, &req->u.vsock, err, errlen);
}

int api_config_put_vsock(struct api_config *cfg, const struct api_vsock *v, char *err, size_t errlen)
{
	char *path = strdup(v->uds_path);
	char *id = v->vsock_id[0] ? strdup(v->vsock_id) : NULL;

	if (!path || (v->vsock_id[0] && !id)) {
		free(path);
		free(id);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(cfg->vsock_uds_path);
	free(cfg->vsock_id);
	cfg->vsock_uds_path = path;
	cfg->vsock_id = id;
	cfg->vm.vsock = (struct vsock_config){
		.enabled = true, .guest_cid = v->guest_cid, .uds_path = path, .id = id,
	};
	return 0;
}

struct json_object *api_vsock_to_json(const struct vsock_config *cfg)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "guest_cid", json_object_new_int64(cfg->guest_cid));
	json_object_object_add(obj, "uds_path", json_object_new_string(cfg->uds_path));
	if (cfg->id)
		json_object_object_add(obj, "vsock_id", json_object_new_string(cfg->id));
	return obj;
}
