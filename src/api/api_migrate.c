// SPDX-License-Identifier: MIT
/* Parsing PUT /vessel/migrate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_migrate.h"

#define API_URL_MAX 256

/* An integer field from 0 to max. */
static int api_migrate_uint(struct json_object *val, const char *field, int64_t max, uint32_t *out,
			    char *err, size_t errlen)
{
	int64_t v;

	if (!json_object_is_type(val, json_type_int)) {
		snprintf(err, errlen, "vessel/migrate: field '%s' must be an integer", field);
		return -EINVAL;
	}
	v = json_object_get_int64(val);
	if (v < 0 || v > max) {
		snprintf(err, errlen, "vessel/migrate: field '%s' must be 0 to %lld", field, (long long)max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int api_parse_migrate(struct json_object *obj, const char *id, struct api_request *req,
		      char *err, size_t errlen)
{
	struct api_migrate *m = &req->u.migrate;
	int ret = 0;

	req->op = API_OP_MIGRATE;
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "vessel/migrate: the body must be a JSON object");
		return -EINVAL;
	}
	json_object_object_foreach(obj, key, val) {
		if (!strcmp(key, "destination")) {
			const char *s;

			if (!json_object_is_type(val, json_type_string)) {
				snprintf(err, errlen, "vessel/migrate: field 'destination' must be a string");
				return -EINVAL;
			}
			s = json_object_get_string(val);
			if (!*s || strlen(s) >= API_URL_MAX) {
				snprintf(err, errlen, "vessel/migrate: field 'destination' must be tcp://HOST:PORT");
				return -EINVAL;
			}
			free(m->destination);
			m->destination = strdup(s);
			if (!m->destination)
				return -ENOMEM;
		} else if (!strcmp(key, "downtime_ms")) {
			ret = api_migrate_uint(val, key, 60000, &m->downtime_ms, err, errlen);
		} else if (!strcmp(key, "max_rounds")) {
			ret = api_migrate_uint(val, key, 1000, &m->max_rounds, err, errlen);
		} else {
			snprintf(err, errlen, "vessel/migrate: unknown field '%s'", key);
			return -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (!m->destination) {
		snprintf(err, errlen, "vessel/migrate: missing required field 'destination'");
		return -EINVAL;
	}
	return 0;
}
