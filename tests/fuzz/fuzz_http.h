/* SPDX-License-Identifier: MIT */
/*
 * What the HTTP API fuzz targets share: an input is METHOD_BYTE URL '\n'
 * BODY, split here into a method name, a NUL-terminated URL and the body.
 */
#ifndef VESSEL_TESTS_FUZZ_HTTP_H
#define VESSEL_TESTS_FUZZ_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api/api_request.h"

struct fuzz_http {
	const char *method;
	char url[512];
	const char *body;
	size_t body_len;
};

/* false if the input does not have the shape (the target then returns at once). */
static inline bool fuzz_http_split(const uint8_t *data, size_t size, struct fuzz_http *in)
{
	static const char *const methods[] = { "GET", "PUT", "PATCH", "POST", "DELETE" };
	const uint8_t *nl;
	size_t url_len;

	if (size < 1 || size > API_MAX_BODY)
		return false;
	nl = memchr(data + 1, '\n', size - 1);
	if (!nl)
		return false;
	url_len = (size_t)(nl - (data + 1));
	if (url_len >= sizeof(in->url))
		return false;
	memcpy(in->url, data + 1, url_len);
	in->url[url_len] = '\0';
	in->method = methods[data[0] % 5];
	in->body = (const char *)nl + 1;
	in->body_len = size - (size_t)(nl + 1 - data);
	return true;
}

#endif
