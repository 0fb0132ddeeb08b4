/* SPDX-License-Identifier: MIT */
/* Driving the VM API's routes (api_route) in unit tests: an answer or a parsed request expected. */
#ifndef VESSEL_TESTS_UNIT_API_EXPECT_H
#define VESSEL_TESTS_UNIT_API_EXPECT_H

#include <stdio.h>
#include <string.h>

#include "api/api_routes.h"
#include "api_fault.h"
#include "test.h"

/* Routes one request; returns its status (0: parsed for the VMM). */
static inline int route(const char *method, const char *url, const char *body, struct api_request *req,
			struct api_response *resp)
{
	*resp = (struct api_response){ 0 };
	return api_route(method, url, body, strlen(body), req, resp);
}

/* Expects status and a fault_message holding msg, and no request for the VMM. */
static inline void expect_fault(const char *method, const char *url, const char *body, int status, const char *msg)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route(method, url, body, &req, &resp), status);
	check_fault_body(&resp, method, url, body, msg);
	CHECK_EQ(req.op, API_OP_NONE);
	api_response_clear(&resp);
}

/* Expects a request op for the VMM and no answer yet; returns it (api_request_clear() it if it owns strings). */
static inline struct api_request expect_op(const char *method, const char *url, const char *body, enum api_op op)
{
	struct api_request req;
	struct api_response resp;

	CHECK_EQ(route(method, url, body, &req, &resp), 0);
	CHECK_EQ(req.op, op);
	CHECK(resp.body == NULL);
	api_response_clear(&resp);
	return req;
}

#endif
