// SPDX-License-Identifier: MIT
/*
 * Carrying out API requests on the VMM thread: pre-boot requests edit the
 * configuration, InstanceStart boots it, runtime requests act on the VM.
 * Answers and messages follow Firecracker's where it has one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api/api_balloon.h"
#include "api/api_priv.h"
#include "api/api_migrate.h"
#include "api/api_snapshot.h"
#include "api/api_vsock.h"
#include "core/clock.h"

#define ERR_LEN 512

static const char msg_after_start[] = "The requested operation is not supported after starting the microVM.";
static const char msg_before_start[] = "The requested operation is not supported before starting the microVM.";

static const char *api_vmm_state(struct api *api)
{
	if (!api->vm)
		return "Not started";
	return vm_is_paused(api->vm) ? "Paused" : "Running";
}

/* Answers 200 with obj (consumed) as the body. */
static void api_vmm_reply_json(struct api_response *resp, struct json_object *obj)
{
	api_response_set(resp, 200, strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(obj);
}

static void api_vmm_info(struct api *api, struct api_response *resp)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "id", json_object_new_string("anonymous-instance"));
	json_object_object_add(obj, "state", json_object_new_string(api_vmm_state(api)));
	json_object_object_add(obj, "vmm_version", json_object_new_string(VESSEL_VERSION));
	json_object_object_add(obj, "app_name", json_object_new_string("vessel"));
	api_vmm_reply_json(resp, obj);
}

static void api_vmm_status(struct api *api, struct api_response *resp)
{
	struct json_object *obj = json_object_new_object();
	uint64_t exits = 0, uptime_ms = 0;

	if (api->vm) {
		struct vm_stats st;

		/* Counters race benignly with the vCPUs: a status is a snapshot. */
		vm_get_stats(api->vm, &st);
		exits = st.exits;
		uptime_ms = (clock_monotonic_ns() - api->start_ns) / 1000000;
	}
	json_object_object_add(obj, "state", json_object_new_string(api_vmm_state(api)));
	json_object_object_add(obj, "vcpus", json_object_new_int64(api->cfg->vm.nr_cpus));
	json_object_object_add(obj, "mem_size_mib", json_object_new_int64((int64_t)(api->cfg->vm.mem_size >> 20)));
	json_object_object_add(obj, "uptime_ms", json_object_new_int64((int64_t)uptime_ms));
	json_object_object_add(obj, "pid", json_object_new_int64(getpid()));
	json_object_object_add(obj, "exits", json_object_new_int64((int64_t)exits));
	api_vmm_reply_json(resp, obj);
}

static void api_vmm_start(struct api *api, struct api_response *resp)
{
	struct vm_config cfg = api->cfg->vm;
	char err[ERR_LEN];
	struct vm *vm;
	int ret;

	if (!cfg.kernel_path) {
		api_response_error(resp, 400, "Cannot start the microVM without a kernel: PUT /boot-source first.");
		return;
	}
	if (!cfg.cmdline)
		cfg.cmdline = "console=ttyS0";
	api->cfg->vm.cmdline = cfg.cmdline;
	ret = api->boot(api->boot_ctx, &cfg, &vm, err, sizeof(err));
	if (ret) {
		api_response_error(resp, 400, "Cannot start the microVM: %s", err);
		return;
	}
	api->start_ns = clock_monotonic_ns();
	ret = api_attach_vm(api, vm);
	if (ret) {
		/* The VM runs but cannot be controlled: stop it rather than orphan it. */
		vm_request_stop(vm, VM_EXIT_VMM_ERROR);
		api_response_error(resp, 500, "the VM cannot serve the API: %s", strerror(-ret));
		return;
	}
	api_response_set(resp, 204, NULL);
}

static void api_vmm_shutdown(struct api *api, uint32_t timeout_ms, struct api_response *resp)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000 },
	};
	int ret;

	/* A parked guest cannot see the button. */
	if (vm_is_paused(api->vm))
		vm_resume(api->vm);
	if (timeout_ms == 0) {
		vm_request_stop(api->vm, VM_EXIT_SHUTDOWN_TIMEOUT);
		api_response_set(resp, 204, NULL);
		return;
	}
	ret = vm_power_button(api->vm);
	if (ret) {
		api_response_error(resp, 400, "cannot press the ACPI power button: %s", strerror(-ret));
		return;
	}
	timerfd_settime(api->shutdown_timer_fd, 0, &its, NULL);
	api_response_set(resp, 204, NULL);
}

/* Pre-boot configuration requests. */
static void api_vmm_configure(struct api *api, struct api_request *req, struct api_response *resp)
{
	char err[ERR_LEN];
	int ret = 0;

	if (api->vm) {
		api_response_error(resp, 400, "%s", msg_after_start);
		return;
	}
	switch (req->op) {
	case API_OP_PUT_BOOT_SOURCE:
		api_config_set_boot_source(api->cfg, &req->u.boot);
		break;
	case API_OP_PUT_MACHINE_CONFIG:
		api_config_set_machine(api->cfg, &req->u.machine);
		break;
	case API_OP_PUT_DRIVE:
		ret = api_config_put_drive(api->cfg, &req->u.drive, err, sizeof(err));
		break;
	case API_OP_PUT_NET:
		ret = api_config_put_net(api->cfg, &req->u.net, err, sizeof(err));
		break;
	case API_OP_PUT_VSOCK:
		ret = api_config_put_vsock(api->cfg, &req->u.vsock, err, sizeof(err));
		break;
	default:
		ret = -EINVAL;
		snprintf(err, sizeof(err), "unexpected request");
		break;
	}
	if (ret)
		api_response_error(resp, 400, "%s", err);
	else
		api_response_set(resp, 204, NULL);
}

void api_vmm_handle(void *ctx, struct api_request *req, struct api_response *resp)
{
	struct api *api = ctx;
	int ret;

	switch (req->op) {
	case API_OP_GET_INFO:
		api_vmm_info(api, resp);
		return;
	case API_OP_GET_STATUS:
		api_vmm_status(api, resp);
		return;
	case API_OP_GET_MACHINE_CONFIG:
		api_vmm_reply_json(resp, api_config_machine_to_json(api->cfg));
		return;
	case API_OP_GET_VM_CONFIG:
		api_vmm_reply_json(resp, api_config_to_json(api->cfg));
		return;
	case API_OP_PUT_BOOT_SOURCE:
	case API_OP_PUT_MACHINE_CONFIG:
	case API_OP_PUT_DRIVE:
	case API_OP_PUT_NET:
	case API_OP_PUT_VSOCK:
		api_vmm_configure(api, req, resp);
		return;
	case API_OP_FLUSH_METRICS:
		api_response_set(resp, 204, NULL);
		return;
	case API_OP_INSTANCE_START:
		if (api->vm)
			api_response_error(resp, 400, "%s", msg_after_start);
		else
			api_vmm_start(api, resp);
		return;
	case API_OP_SNAPSHOT_LOAD:
		api_vmm_snapshot_load(api, req, resp);
		return;
	case API_OP_SNAPSHOT_CREATE:
		api_vmm_snapshot_create(api, req, resp);
		return;
	case API_OP_PUT_BALLOON:
	case API_OP_PATCH_BALLOON:
	case API_OP_GET_BALLOON:
	case API_OP_GET_BALLOON_STATS:
	case API_OP_PATCH_BALLOON_STATS:
		api_vmm_balloon(api, req, resp);
		return;
	default:
		break;
	}

	/* Everything below acts on a running VM. */
	if (!api->vm) {
		api_response_error(resp, 400, "%s", msg_before_start);
		return;
	}
	switch (req->op) {
	case API_OP_SEND_CTRL_ALT_DEL:
		ret = vm_power_button(api->vm);
		if (ret)
			api_response_error(resp, 400, "cannot press the ACPI power button: %s", strerror(-ret));
		else
			api_response_set(resp, 204, NULL);
		break;
	case API_OP_PAUSE:
		ret = vm_pause(api->vm);
		if (ret == -EALREADY)
			api_response_error(resp, 400, "The microVM is already paused.");
		else if (ret)
			api_response_error(resp, 400, "cannot pause the microVM: %s", strerror(-ret));
		else
			api_response_set(resp, 204, NULL);
		break;
	case API_OP_RESUME:
		ret = vm_resume(api->vm);
		if (ret == -EALREADY)
			api_response_error(resp, 400, "The microVM is already running (not paused).");
		else if (ret)
			api_response_error(resp, 400, "cannot resume the microVM: %s", strerror(-ret));
		else
			api_response_set(resp, 204, NULL);
		break;
	case API_OP_SHUTDOWN:
		api_vmm_shutdown(api, req->u.timeout_ms, resp);
		break;
	case API_OP_MIGRATE:
		api_vmm_migrate(api, req, resp);
		break;
	case API_OP_GET_MIGRATE:
		api_vmm_migrate_status(api, resp);
		break;
	default:
		api_response_error(resp, 400, "unexpected request");
		break;
	}
}
