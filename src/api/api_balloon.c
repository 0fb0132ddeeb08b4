// SPDX-License-Identifier: MIT
/* Parsing the balloon routes and the config file's "balloon". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_balloon.h"
#include "api/api_fields.h"

/* amount_mib beyond this does not fit num_pages (le32 4 KiB pages). */
#define API_BALLOON_MAX_MIB (UINT32_MAX / VIRTIO_BALLOON_PAGES_PER_MIB)

/* An integer field (its type checked by the field table) from 0 to max. */
static int api_balloon_uint(struct json_object *obj, const char *what, const char *field, int64_t max,
			    uint32_t *out, char *err, size_t errlen)
{
	struct json_object *val;
	int64_t v;

	if (!json_object_object_get_ex(obj, field, &val))
		return 0;
	v = json_object_get_int64(val);
	if (v < 0 || v > max) {
		snprintf(err, errlen, "%s: field '%s' must be 0 to %lld", what, field, (long long)max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static bool api_balloon_bool(struct json_object *obj, const char *field)
{
	struct json_object *val;

	return json_object_object_get_ex(obj, field, &val) && json_object_get_boolean(val);
}

int api_balloon_parse_config(struct json_object *obj, struct virtio_balloon_config *cfg, char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "amount_mib", json_type_int, true },
		{ "deflate_on_oom", json_type_boolean, true },
		{ "stats_polling_interval_s", json_type_int, false },
		{ "free_page_reporting", json_type_boolean, false },   /* also Firecracker's, newer versions */
	};
	const char *what = "balloon";
	int ret;

	*cfg = (struct virtio_balloon_config){ .enabled = true };
	ret = api_fields_check(obj, fields, sizeof(fields) / sizeof(fields[0]), what, err, errlen);
	if (!ret)
		ret = api_balloon_uint(obj, what, "amount_mib", API_BALLOON_MAX_MIB, &cfg->target_mib, err, errlen);
	if (!ret)
		ret = api_balloon_uint(obj, what, "stats_polling_interval_s", VIRTIO_BALLOON_STATS_INTERVAL_MAX,
				       &cfg->stats_interval_s, err, errlen);
	cfg->deflate_on_oom = api_balloon_bool(obj, "deflate_on_oom");
	cfg->free_page_reporting = api_balloon_bool(obj, "free_page_reporting");
	return ret;
}

struct json_object *api_balloon_config_to_json(const struct virtio_balloon_config *cfg)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "amount_mib", json_object_new_int64(cfg->target_mib));
	json_object_object_add(obj, "deflate_on_oom", json_object_new_boolean(cfg->deflate_on_oom));
	json_object_object_add(obj, "stats_polling_interval_s", json_object_new_int64(cfg->stats_interval_s));
	json_object_object_add(obj, "free_page_reporting", json_object_new_boolean(cfg->free_page_reporting));
	return obj;
}

int api_parse_balloon_put(struct json_object *obj, const char *id, struct api_request *req,
			  char *err, size_t errlen)
{
	req->op = API_OP_PUT_BALLOON;
	return api_balloon_parse_config(obj, &req->u.balloon.cfg, err, errlen);
}

int api_parse_balloon_patch(struct json_object *obj, const char *id, struct api_request *req,
			    char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "amount_mib", json_type_int, true },
	};
	int ret;

	req->op = API_OP_PATCH_BALLOON;
	ret = api_fields_check(obj, fields, 1, "balloon", err, errlen);
	if (!ret)
		ret = api_balloon_uint(obj, "balloon", "amount_mib", API_BALLOON_MAX_MIB, &req->u.balloon.amount_mib,
				       err, errlen);
	return ret;
}

int api_parse_balloon_stats_patch(struct json_object *obj, const char *id, struct api_request *req,
				  char *err, size_t errlen)
{
	static const struct api_field fields[] = {
		{ "stats_polling_interval_s", json_type_int, true },
	};
	const char *what = "balloon/statistics";
	int ret;

	req->op = API_OP_PATCH_BALLOON_STATS;
	ret = api_fields_check(obj, fields, 1, what, err, errlen);
	if (!ret)
		ret = api_balloon_uint(obj, what, "stats_polling_interval_s", VIRTIO_BALLOON_STATS_INTERVAL_MAX,
				       &req->u.balloon.stats_interval_s, err, errlen);
	return ret;
}
