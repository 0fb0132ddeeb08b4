// SPDX-License-Identifier: MIT
/* Requests to a VM's own API socket (docs/api.md): pause, resume, shutdown, status. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "manager/daemon.h"
#include "manager/http_client.h"

#define VM_API_CONNECT_MS   3000    /* a monitor just started may not listen yet */

int mgr_vm_api_call(const char *api_sock, const char *method, const char *path, const char *body,
		    long *status, char *msg, size_t msglen)
{
	return mgr_vm_api_call_timeout(api_sock, method, path, body, MGR_VM_API_TIMEOUT_MS, status, msg, msglen);
}

int mgr_vm_api_call_timeout(const char *api_sock, const char *method, const char *path, const char *body,
			    int timeout_ms, long *status, char *msg, size_t msglen)
{
	int64_t deadline = mgr_now_ms() + VM_API_CONNECT_MS;
	struct http_reply reply;
	int ret;

	for (;;) {
		ret = http_unix_request(api_sock, method, path, body, timeout_ms, &reply, msg, msglen);
		if ((ret != -ECONNREFUSED && ret != -ENOENT) || mgr_now_ms() >= deadline)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	if (ret)
		return ret;
	*status = reply.status;
	if (reply.status >= 200 && reply.status < 300) {
		snprintf(msg, msglen, "%s", reply.body);
	} else {
		struct json_object *obj = json_tokener_parse(reply.body), *fm;

		if (obj && json_object_object_get_ex(obj, "fault_message", &fm))
			snprintf(msg, msglen, "%s", json_object_get_string(fm));
		else
			snprintf(msg, msglen, "the VM's API answered %ld", reply.status);
		json_object_put(obj);
	}
	http_reply_clear(&reply);
	return 0;
}
