// SPDX-License-Identifier: MIT
/* PATCH /vms/NAME/balloon: the manager passes a new balloon target to the VM's own API. */
#include <stdio.h>

#include "manager/daemon.h"

void mgr_balloon(struct mgr_daemon *d, const struct mgr_request *req, struct api_response *resp)
{
	struct mgr_vm *vm;
	char body[48], msg[512];
	long status;
	int ret;

	snprintf(body, sizeof(body), "{\"amount_mib\": %u}", req->amount_mib);
	pthread_mutex_lock(&d->lock);
	vm = mgr_vm_find(d, req->name);
	if (!vm) {
		api_response_error(resp, 404, "no VM named '%s'", req->name);
		goto out;
	}
	if (vm->state != MGR_VM_RUNNING && vm->state != MGR_VM_PAUSED) {
		api_response_error(resp, 409, "VM '%s' is %s: only a running or paused VM has a balloon to set",
				   vm->name, mgr_vm_state_name(vm->state));
		goto out;
	}
	ret = mgr_api_call_vm(d, vm, "PATCH", "/balloon", body, MGR_VM_API_TIMEOUT_MS, &status, msg, sizeof(msg));
	if (ret) {
		api_response_error(resp, 502, "VM '%s': its API does not answer: %s", vm->name, msg);
		goto out;
	}
	if (status != 204) {
		/* No balloon, a target beyond its memory: the VM's own words. */
		api_response_error(resp, status == 400 ? 400 : 502, "VM '%s': %s", vm->name, msg);
		goto out;
	}
	mgr_log("%s: balloon target %u MiB", vm->name, req->amount_mib);
	mgr_api_reply_vm(resp, 200, vm);
out:
	pthread_mutex_unlock(&d->lock);
}
