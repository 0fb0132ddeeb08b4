/* SPDX-License-Identifier: MIT */
/*
 * Host CPU options of `vessel run`:
 *   --cpus [N][,affinity=CPULIST][,pin=on|off]
 *       N vCPUs; their threads confined to CPULIST (taskset's syntax, e.g.
 *       0-3,6: a bare number or range after affinity= continues the list);
 *       pin=on: vCPU i on the i-th CPU of the list (ascending, round robin
 *       when there are more vCPUs), on every CPU vessel may use without
 *       affinity=. N may be left out (then the count is not given).
 *   --vmm-affinity CPULIST
 *       every other thread of vessel (event loop, API, I/O workers).
 *   --cpu-quota PERCENT
 *       the whole VM's CPU time: 100 is one host CPU, 250 two and a half.
 */
#ifndef VESSEL_CLI_CPU_OPTION_H
#define VESSEL_CLI_CPU_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu_list.h"

/* What the host offers, for checking lists against it. */
struct cpu_host {
	cpu_set_t usable;       /* what this process may run on (sched_getaffinity) */
	cpu_set_t online;       /* the host's online CPUs */
};

/* Reads this host's CPUs; 0 or -errno. */
int cpu_host_read(struct cpu_host *host);

/*
 * --cpus: *nr_cpus (1..max_vcpus) only when the count is given (*count_given),
 * pl->active when affinity= or pin= is. 0, or -EINVAL with a one-line
 * message in err.
 */
int cpu_option_parse(const char *arg, uint32_t max_vcpus, const struct cpu_host *host, uint32_t *nr_cpus,
		     bool *count_given, struct vcpu_placement *pl, char *err, size_t errlen);

/* A CPU list given to opt (a prefix: "--vmm-affinity "), checked against host. 0 or -EINVAL with err. */
int cpu_option_parse_list(const char *opt, const char *arg, const struct cpu_host *host, cpu_set_t *set,
			  char *err, size_t errlen);

/* --cpu-quota: 1 to 100 per online CPU ("50", "250", "50%"). 0 or -EINVAL with err. */
int cpu_option_parse_quota(const char *arg, const struct cpu_host *host, uint32_t *percent, char *err, size_t errlen);

#endif
