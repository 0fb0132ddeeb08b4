// SPDX-License-Identifier: MIT
/* PATCH /vms/NAME/balloon: the manager passes a new balloon target to the VM's own API. */
#include <stdio.h>

#include "manager/daemon.h"

void mgr_balloon(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm *vm;
	char body[48];

	snprintf(body, sizeof(body), "{\"amount_mib\": %u}", req->amount_mib);
	pthread_mutex_lock(&d->lock);
	vm = mgr_vm_find_live(d, req->name, "has a balloon to set", resp);
	/* No balloon, a target beyond its memory: the VM's own words (400). */
	if (vm && !mgr_api_forward_vm(d, vm, "PATCH", "/balloon", body, NULL, resp)) {
		mgr_log("%s: balloon target %u MiB", vm->name, req->amount_mib);
		mgr_api_reply_vm(resp, 200, vm);
	}
	pthread_mutex_unlock(&d->lock);
}
