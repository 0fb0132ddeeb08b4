/* SPDX-License-Identifier: MIT */
/*
 * Host CPU lists as taskset -c and /sys/devices/system/cpu/online write
 * them ("0-3,6", "0-7:2" for every second CPU), and where vCPU threads may
 * run (--cpus affinity=...,pin=on; applied by each vCPU thread as it starts).
 */
#ifndef VESSEL_CORE_CPU_LIST_H
#define VESSEL_CORE_CPU_LIST_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses a list into set (cleared first). CPUs from 0 to CPU_SETSIZE - 1.
 * 0, or -EINVAL / -ERANGE with the reason in err ("'x': not a CPU number").
 */
int cpu_list_parse(const char *str, cpu_set_t *set, char *err, size_t errlen);

/* set in its shortest list form ("0-1,4"); "none" for an empty set. Returns buf. */
char *cpu_list_format(const cpu_set_t *set, char *buf, size_t len);

/* The CPUs this host has online (/sys/devices/system/cpu/online); 0 or -errno. */
int cpu_list_online(cpu_set_t *set);

/* Where vCPU threads run. */
struct vcpu_placement {
	bool active;        /* false: vCPU threads keep the affinity they inherit */
	bool pin;           /* vCPU i on the i-th CPU of cpus (ascending), round robin */
	cpu_set_t cpus;     /* the host CPUs vCPU threads may use */
};

/* The CPUs vCPU id may run on, per p (active). 0, or -EINVAL if p->cpus is empty. */
int vcpu_placement_cpus(const struct vcpu_placement *p, uint32_t id, cpu_set_t *out);

#endif
