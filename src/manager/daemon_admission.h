/* SPDX-License-Identifier: MIT */
/*
 * Admission control: the host's memory and vCPUs the manager may commit to
 * VMs, and the check before a VM starts (or is created with a
 * reservation). A VM holds its guest RAM plus MGR_VM_OVERHEAD_MIB and its
 * vCPUs while it is running, paused or stopping; a reserved VM holds them
 * from create to rm, whatever its state, so it can always start.
 *
 * Pure functions over the VM list: the caller holds the daemon's lock.
 */
#ifndef VESSEL_MANAGER_DAEMON_ADMISSION_H
#define VESSEL_MANAGER_DAEMON_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGR_VM_OVERHEAD_MIB         16      /* a monitor's own memory, rounded up (measured: ~9 MiB) */
#define MGR_DEFAULT_CPU_OVERCOMMIT  16      /* vCPUs per host CPU, as OpenStack Nova's default */
#define MGR_DEFAULT_HOST_RESERVE_MIB 512    /* host memory never committed to VMs by default */

struct mgr_vm;

struct mgr_capacity {
	uint64_t mem_mib;           /* memory VMs may hold, in MiB */
	uint32_t vcpus;             /* vCPUs VMs may hold */
};

struct mgr_usage {
	uint64_t mem_mib;
	uint32_t vcpus;
};

/* What VM vm holds when admitted: guest RAM plus overhead, and its vCPUs. */
struct mgr_usage mgr_vm_charge(const struct mgr_vm *vm);

/* Does vm hold its resources now (active, or reserved)? */
bool mgr_vm_holds(const struct mgr_vm *vm);

/* What the VMs in the list hold now, except skip (may be NULL). */
struct mgr_usage mgr_committed(const struct mgr_vm *vms, const struct mgr_vm *skip);

/*
 * May vm start (or, for a create with a reservation, be defined)? A VM
 * already holding its resources always may. 0, or -ENOSPC with a one-line
 * reason naming what is short, how much is left and who holds the rest.
 */
int mgr_admit(const struct mgr_capacity *cap, const struct mgr_vm *vms, const struct mgr_vm *vm,
	      char *why, size_t whylen);

/*
 * The daemon's capacity from its options: max_memory "SIZE" or "N%" of the
 * host's RAM (NULL: all of it minus MGR_DEFAULT_HOST_RESERVE_MIB),
 * cpu_overcommit vCPUs per online host CPU (0: the default). 0 or -EINVAL
 * with the reason.
 */
int mgr_capacity_init(struct mgr_capacity *cap, const char *max_memory, double cpu_overcommit,
		      uint64_t host_mem_mib, uint32_t host_cpus, char *err, size_t errlen);

#endif
