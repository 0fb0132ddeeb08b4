/* SPDX-License-Identifier: MIT */
/* `vessel run`'s command line, parsed (run_options.c). */
#ifndef VESSEL_CLI_RUN_OPTIONS_H
#define VESSEL_CLI_RUN_OPTIONS_H

#include <stdbool.h>

#include "core/cpu_list.h"
#include "core/log.h"
#include "core/vm.h"
#include "snapshot/snap_override.h"

enum on_reboot { ON_REBOOT_RESTART, ON_REBOOT_EXIT };

struct run_options {
	struct vm_config cfg;       /* what the options describe (before --config-file) */
	enum on_reboot on_reboot;
	const char *api_sock;       /* --api-sock */
	const char *config_file;    /* --config-file */
	const char *console_sock;   /* --console-sock */
	const char *status_file;    /* --status-file */
	const char *restore_dir;    /* --restore: the machine is a snapshot's */
	char *disk_args[VM_MAX_DISKS];      /* --disk values, copied: parsing splits them */
	char *vsock_arg;                    /* --vsock's value, copied likewise */
	struct snap_overrides overrides;    /* --disk-override, --net-override: a clone's own */
	const char *incoming_url;   /* --incoming: the machine comes from a migration */
	const char *machine_opt;    /* the last option given that shapes the machine (for errors) */
	bool cpus_given, memory_given;
	struct vcpu_placement vcpu_placement;  /* --cpus affinity=,pin=; also active with --vmm-affinity */
	bool vmm_affinity;          /* --vmm-affinity given: the other threads on vmm_cpus */
	cpu_set_t vmm_cpus;
	uint32_t cpu_quota;         /* --cpu-quota, percent of one host CPU; 0: none */
	bool stats;                 /* --stats */
	bool dry_run;               /* --dry-run */
	enum log_level level;
};

/*
 * Parses argv. 0, or 1 when --help was printed (the caller exits 0). A bad
 * command line ends the process with status 2 and a one-line reason.
 */
int run_options_parse(int argc, char **argv, struct run_options *opts);

/* Frees what parsing allocated (once the VM built from opts is gone). */
void run_options_free(struct run_options *opts);

#endif
