// SPDX-License-Identifier: MIT
/* Parsing PUT /vessel/migrate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_fields.h"
#include "api/api_migrate.h"

#define API_URL_MAX 256

/* An integer field (its type checked by the field table) from 0 to max. */
static int api_migrate_uint(struct json_object *val, const char *field, int64_t max, uint32_t *out,
			    char *err, size_t errlen)
{
	int64_t v = json_object_get_int64(val);

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
	static const struct api_field fields[] = {
		{ "destination", json_type_string, true },
		{ "downtime_ms", json_type_int, false },
		{ "max_rounds", json_type_int, false },
	};
	struct api_migrate *m = &req->u.migrate;
	struct json_object *val;
	const char *dest;
	int ret;

	req->op = API_OP_MIGRATE;
	ret = api_fields_check(obj, fields, sizeof(fields) / sizeof(fields[0]), "vessel/migrate", err, errlen);
	if (ret)
		return ret;
	dest = json_object_get_string(json_object_object_get(obj, "destination"));
	if (!*dest || strlen(dest) >= API_URL_MAX) {
		snprintf(err, errlen, "vessel/migrate: field 'destination' must be tcp://HOST:PORT");
		return -EINVAL;
	}
	m->destination = strdup(dest);
	if (!m->destination)
		return -ENOMEM;
	if (json_object_object_get_ex(obj, "downtime_ms", &val))
		ret = api_migrate_uint(val, "downtime_ms", 60000, &m->downtime_ms, err, errlen);
	if (!ret && json_object_object_get_ex(obj, "max_rounds", &val))
		ret = api_migrate_uint(val, "max_rounds", 1000, &m->max_rounds, err, errlen);
	return ret;
}
