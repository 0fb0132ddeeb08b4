// SPDX-License-Identifier: MIT
/* Carrying out the snapshot routes on the VMM thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api_priv.h"
#include "api/api_snapshot.h"
#include "core/log.h"
#include "snapshot/snapshot.h"

#define ERR_LEN 512

void api_vmm_snapshot_create(struct api *api, struct api_request *req, struct api_response *resp)
{
	struct snapshot_stats stats;
	char err[ERR_LEN];
	int ret;

	if (!api->vm) {
		api_response_error(resp, 400, "The requested operation is not supported before starting the microVM.");
		return;
	}
	if (!vm_is_paused(api->vm)) {
		api_response_error(resp, 400, "The microVM must be paused to take a snapshot (PATCH /vm {\"state\": \"Paused\"}).");
		return;
	}
	ret = snapshot_create(api->vm, req->u.snapshot.snapshot_path, req->u.snapshot.mem_path, &stats,
			      err, sizeof(err));
	if (ret) {
		api_response_error(resp, 400, "Cannot create the snapshot: %s", err);
		return;
	}
	api_response_set(resp, 204, NULL);
}

void api_vmm_snapshot_load(struct api *api, struct api_request *req, struct api_response *resp)
{
	struct vm_config cfg = api->cfg->vm;
	char err[ERR_LEN];
	struct vm *vm;
	int ret;

	if (api->vm) {
		api_response_error(resp, 400, "Loading a snapshot is not supported after starting the microVM.");
		return;
	}
	cfg.restore_state_path = req->u.snapshot.snapshot_path;
	cfg.restore_mem_path = req->u.snapshot.mem_path;
	/* A clone: a new generation ID, its own disks and NICs; used during the boot callback only. */
	cfg.restore_as_clone = true;
	cfg.restore_overrides = &req->u.snapshot.overrides;
	/* The boot callback copies the paths: the request's strings go when it is answered. */
	ret = api->boot(api->boot_ctx, &cfg, &vm, err, sizeof(err));
	if (ret) {
		api_response_error(resp, 400, "Cannot load the snapshot: %s", err);
		return;
	}
	/* The status and GET /vm/config tell what runs now. */
	api->cfg->vm.nr_cpus = vm->cfg.nr_cpus;
	api->cfg->vm.mem_size = vm->cfg.mem_size;
	/* Before vm_run() there are no vCPU threads yet: this only makes them park at once. */
	if (!req->u.snapshot.resume_vm && vm_pause(vm))
		log_warn("snapshot/load: cannot keep the VM paused");
	ret = api_attach_vm(api, vm);
	if (ret) {
		vm_request_stop(vm, VM_EXIT_VMM_ERROR);
		api_response_error(resp, 500, "the VM cannot serve the API: %s", strerror(-ret));
		return;
	}
	api_response_set(resp, 204, NULL);
}
