/* SPDX-License-Identifier: MIT */
/* The error answer of an HTTP API (the VM's or the manager's), checked in unit tests. */
#ifndef VESSEL_TESTS_UNIT_API_FAULT_H
#define VESSEL_TESTS_UNIT_API_FAULT_H

#include <stdio.h>
#include <string.h>

#include "api/api_request.h"
#include "test.h"

/* resp's body is a fault_message holding msg; the request (method url body) is shown if not. */
static inline void check_fault_body(const struct api_response *resp, const char *method, const char *url,
				    const char *body, const char *msg)
{
	CHECK(resp->body && strstr(resp->body, "\"fault_message\""));
	if (!resp->body || !strstr(resp->body, msg)) {
		fprintf(stderr, "%s %s %s: answer '%s' lacks '%s'\n", method, url, body,
			resp->body ? resp->body : "(none)", msg);
		CHECK(0);
	}
}

#endif
