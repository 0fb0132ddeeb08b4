// SPDX-License-Identifier: MIT
#include "manager/daemon_admission.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/size.h"
#include "manager/daemon.h"

struct mgr_usage mgr_vm_charge(const struct mgr_vm *vm)
{
	return (struct mgr_usage){ .mem_mib = vm->mem_mib + MGR_VM_OVERHEAD_MIB, .vcpus = vm->vcpus };
}

bool mgr_vm_holds(const struct mgr_vm *vm)
{
	return vm->reserve || mgr_vm_is_active(vm);
}

struct mgr_usage mgr_committed(const struct mgr_vm *vms, const struct mgr_vm *skip)
{
	struct mgr_usage u = { 0 };

	for (const struct mgr_vm *vm = vms; vm; vm = vm->next) {
		struct mgr_usage c;

		if (vm == skip || !mgr_vm_holds(vm))
			continue;
		c = mgr_vm_charge(vm);
		u.mem_mib += c.mem_mib;
		u.vcpus += c.vcpus;
	}
	return u;
}

/* "a 528 MiB, b 272 MiB (reserved)": who holds the resource, for the refusal. */
static void mgr_holders(const struct mgr_vm *vms, const struct mgr_vm *skip, bool memory, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	buf[0] = '\0';
	for (const struct mgr_vm *vm = vms; vm && off + 1 < len; vm = vm->next) {
		if (vm == skip || !mgr_vm_holds(vm))
			continue;
		if (memory)
			n = snprintf(buf + off, len - off, "%s%s %" PRIu64 " MiB%s", off ? ", " : "", vm->name,
				     mgr_vm_charge(vm).mem_mib, vm->reserve ? " (reserved)" : "");
		else
			n = snprintf(buf + off, len - off, "%s%s %" PRIu32 "%s", off ? ", " : "", vm->name,
				     vm->vcpus, vm->reserve ? " (reserved)" : "");
		if (n < 0 || (size_t)n >= len - off) {
			/* Cut at a name boundary rather than mid-word. */
			snprintf(buf + off, len - off, "%s...", off ? ", " : "");
			break;
		}
		off += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

int mgr_admit(const struct mgr_capacity *cap, const struct mgr_vm *vms, const struct mgr_vm *vm,
	      char *why, size_t whylen)
{
	struct mgr_usage used, need = mgr_vm_charge(vm);
	char holders[160];

	/* Reserved and defined: its share is already set aside. */
	for (const struct mgr_vm *v = vms; vm->reserve && v; v = v->next)
		if (v == vm)
			return 0;
	used = mgr_committed(vms, vm);
	if (used.mem_mib + need.mem_mib > cap->mem_mib) {
		mgr_holders(vms, vm, true, holders, sizeof(holders));
		snprintf(why, whylen, "not enough memory: '%s' needs %" PRIu64 " MiB (guest RAM + %d MiB overhead), "
			 "%" PRIu64 " MiB of the manager's %" PRIu64 " MiB are left (held by: %s)", vm->name,
			 need.mem_mib, MGR_VM_OVERHEAD_MIB, cap->mem_mib > used.mem_mib ? cap->mem_mib - used.mem_mib : 0,
			 cap->mem_mib, holders);
		return -ENOSPC;
	}
	if (used.vcpus + need.vcpus > cap->vcpus) {
		mgr_holders(vms, vm, false, holders, sizeof(holders));
		snprintf(why, whylen, "not enough vCPUs: '%s' needs %" PRIu32 ", %" PRIu32 " of the manager's %" PRIu32
			 " are left (held by: %s)", vm->name, need.vcpus,
			 cap->vcpus > used.vcpus ? cap->vcpus - used.vcpus : 0, cap->vcpus, holders);
		return -ENOSPC;
	}
	return 0;
}

int mgr_capacity_init(struct mgr_capacity *cap, const char *max_memory, double cpu_overcommit,
		      uint64_t host_mem_mib, uint32_t host_cpus, char *err, size_t errlen)
{
	double vcpus;

	if (!max_memory) {
		cap->mem_mib = host_mem_mib > MGR_DEFAULT_HOST_RESERVE_MIB ?
			       host_mem_mib - MGR_DEFAULT_HOST_RESERVE_MIB : 0;
	} else {
		size_t len = strlen(max_memory);
		uint64_t bytes;

		if (len > 1 && max_memory[len - 1] == '%') {
			char *end;
			double pct = strtod(max_memory, &end);

			if (end != max_memory + len - 1 || !(pct > 0 && pct <= 1000)) {
				snprintf(err, errlen, "--max-memory '%s': expected a size (e.g. 16G) or a percentage "
					 "of the host's RAM (e.g. 90%%, at most 1000%%)", max_memory);
				return -EINVAL;
			}
			cap->mem_mib = (uint64_t)((double)host_mem_mib * pct / 100.0);
		} else if (size_parse(max_memory, &bytes)) {
			snprintf(err, errlen, "--max-memory '%s': expected a size (e.g. 16G) or a percentage of the "
				 "host's RAM (e.g. 90%%)", max_memory);
			return -EINVAL;
		} else {
			cap->mem_mib = bytes >> 20;
		}
	}
	if (cpu_overcommit == 0)
		cpu_overcommit = MGR_DEFAULT_CPU_OVERCOMMIT;
	if (!(cpu_overcommit > 0 && cpu_overcommit <= 1000)) {
		snprintf(err, errlen, "--cpu-overcommit: expected a ratio above 0, at most 1000 (vCPUs per host CPU)");
		return -EINVAL;
	}
	/* Truncated: a positive ratio's vCPUs round down, as floor() would, without libm. */
	vcpus = (double)host_cpus * cpu_overcommit;
	cap->vcpus = vcpus > 1e6 ? 1000000 : (uint32_t)vcpus;
	return 0;
}
