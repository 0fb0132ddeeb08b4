// SPDX-License-Identifier: MIT
/* Request and response plain-data helpers shared by the API's two threads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_request.h"
#include "cli/clone_option.h"

void api_request_clear(struct api_request *req)
{
	switch (req->op) {
	case API_OP_PUT_BOOT_SOURCE:
		free(req->u.boot.kernel_path);
		free(req->u.boot.boot_args);
		free(req->u.boot.initrd_path);
		break;
	case API_OP_PUT_DRIVE:
		free(req->u.drive.drive_id);
		free(req->u.drive.path_on_host);
		break;
	case API_OP_PUT_NET:
		free(req->u.net.iface_id);
		break;
	case API_OP_MIGRATE:
		free(req->u.migrate.destination);
		break;
	case API_OP_SNAPSHOT_CREATE:
	case API_OP_SNAPSHOT_LOAD:
		free(req->u.snapshot.snapshot_path);
		free(req->u.snapshot.mem_path);
		clone_option_free(&req->u.snapshot.overrides);
		break;
	default:
		break;
	}
	*req = (struct api_request){ 0 };
}

int api_response_set(struct api_response *resp, int status, char *body)
{
	free(resp->body);
	resp->status = status;
	resp->body = body;
	return status;
}

int api_response_error(struct api_response *resp, int status, const char *fmt, ...)
{
	struct json_object *obj;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* json-c escapes the message: it may quote client input. */
	obj = json_object_new_object();
	json_object_object_add(obj, "fault_message", json_object_new_string(msg));
	api_response_set(resp, status, strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(obj);
	return status;
}

void api_response_clear(struct api_response *resp)
{
	free(resp->body);
	*resp = (struct api_response){ 0 };
}
