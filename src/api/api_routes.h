/* SPDX-License-Identifier: MIT */
/*
 * The API's routes: method + path + body -> a parsed request for the VMM
 * thread, or an error answer at once (404 unknown path, 405 wrong method,
 * 400 bad body). Pure parsing: no VM state is touched here.
 */
#ifndef VESSEL_API_API_ROUTES_H
#define VESSEL_API_API_ROUTES_H

#include <stddef.h>

#include "api/api_request.h"

/*
 * 0: req is filled (the caller sends it to the VMM and clears it after);
 * otherwise resp holds the error answer and its status is returned.
 */
int api_route(const char *method, const char *url, const char *body, size_t len,
	      struct api_request *req, struct api_response *resp);

#endif
