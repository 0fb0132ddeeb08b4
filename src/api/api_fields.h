/* SPDX-License-Identifier: MIT */
/*
 * The check every API body goes through first: a JSON object whose fields
 * are all in a table, each of its JSON type, the required ones present.
 * The parsers after it only check values.
 */
#ifndef VESSEL_API_API_FIELDS_H
#define VESSEL_API_API_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct api_field {
	const char *name;
	enum json_type type;
	bool required;
};

/* 0, or -EINVAL with "WHAT: unknown field 'x'" / "field 'x' must be a string" / "missing required field 'x'". */
int api_fields_check(struct json_object *obj, const struct api_field *fields, size_t n,
		     const char *what, char *err, size_t errlen);

#endif
