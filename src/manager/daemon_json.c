// SPDX-License-Identifier: MIT
/* A VM (GET /vms, GET /vms/{name}) and the host's resources (GET /) as the manager API shows them; docs/manager.md lists the fields. */
#include <json-c/json.h>

#include "manager/daemon.h"

struct json_object *mgr_vm_to_json(const struct mgr_vm *vm)
{
	struct json_object *obj = json_object_new_object(), *args = json_object_new_array();
	bool active = mgr_vm_is_active(vm);

	for (int i = 0; i < vm->nr_args; i++)
		json_object_array_add(args, json_object_new_string(vm->args[i]));
	json_object_object_add(obj, "name", json_object_new_string(vm->name));
	json_object_object_add(obj, "state", json_object_new_string(mgr_vm_state_name(vm->state)));
	json_object_object_add(obj, "pid", active ? json_object_new_int64(vm->pid) : NULL);
	json_object_object_add(obj, "vcpus", json_object_new_int64(vm->vcpus));
	json_object_object_add(obj, "mem_size_mib", json_object_new_int64((int64_t)vm->mem_mib));
	json_object_object_add(obj, "uptime_ms", active ? json_object_new_int64(mgr_now_ms() - vm->started_ms) : NULL);
	json_object_object_add(obj, "reserve", json_object_new_boolean(vm->reserve));
	json_object_object_add(obj, "restart", json_object_new_string(mgr_restart_name(vm->restart)));
	json_object_object_add(obj, "restarts", json_object_new_int64(vm->restarts));
	json_object_object_add(obj, "exit_status", vm->has_exit && vm->exit_status >= 0 ?
			       json_object_new_int64(vm->exit_status) : NULL);
	json_object_object_add(obj, "exit_reason", vm->has_exit ? json_object_new_string(vm->reason) : NULL);
	json_object_object_add(obj, "args", args);
	return obj;
}

static struct json_object *mgr_resource_json(uint64_t capacity, uint64_t committed)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "capacity", json_object_new_int64((int64_t)capacity));
	json_object_object_add(obj, "committed", json_object_new_int64((int64_t)committed));
	return obj;
}

struct json_object *mgr_resources_json(const struct mgr_daemon *d)
{
	struct json_object *obj = json_object_new_object();
	struct mgr_usage used = mgr_committed(d->vms, NULL);

	json_object_object_add(obj, "memory_mib", mgr_resource_json(d->cap.mem_mib, used.mem_mib));
	json_object_object_add(obj, "vcpus", mgr_resource_json(d->cap.vcpus, used.vcpus));
	json_object_object_add(obj, "vm_overhead_mib", json_object_new_int64(MGR_VM_OVERHEAD_MIB));
	return obj;
}
