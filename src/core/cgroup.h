/* SPDX-License-Identifier: MIT */
/*
 * A VM's CPU quota (--cpu-quota), through the kernel's CFS bandwidth
 * control: the whole process moves into a cgroup of its own, vessel-<pid>,
 * allowed percent% of one CPU per 100 ms period, and leaves it again (the
 * cgroup removed) at exit. See docs/cpu.md.
 *
 * Where that cgroup goes:
 * - cgroup v1 (the hierarchy with the cpu controller, e.g. /sys/fs/cgroup/cpu):
 *   under the process's own cgroup there (cpu.cfs_quota_us, cpu.cfs_period_us).
 * - cgroup v2 (cpu.max): processes live only in leaf cgroups once a controller
 *   is enabled for children. If the process is alone in its cgroup (a
 *   delegated one, e.g. systemd-run --scope -p Delegate=yes), under it: the
 *   process moves down first, then cpu is enabled there. Otherwise under
 *   <cgroup2 mount>/vessel (as root), cpu enabled from the top down.
 */
#ifndef VESSEL_CORE_CGROUP_H
#define VESSEL_CORE_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_PERIOD_US 100000u
#define CGROUP_NAME_PREFIX "vessel-"
#define CGROUP_V2_SHARED "vessel"      /* <cgroup2 mount>/vessel: the VMs' parent when not delegated */

/* Where the process's cgroups are described; NULL members: the real /proc/self files. */
struct cgroup_paths {
	const char *proc_cgroup;    /* /proc/self/cgroup */
	const char *mountinfo;      /* /proc/self/mountinfo */
};

struct cgroup {
	int version;                /* 1 or 2; 0: none made */
	bool enabled_in_home;       /* v2: we enabled cpu in home's cgroup.subtree_control */
	char home[PATH_MAX];        /* the process's cgroup before: it goes back there */
	char dir[PATH_MAX];         /* the VM's cgroup */
};

/*
 * Makes the cgroup for process pid (the caller), moves the process (every
 * thread) into it and sets its quota to percent% of one CPU. paths may be
 * NULL. 0, or -errno with a one-line reason in err (nothing left behind).
 */
__attribute__((warn_unused_result))
int cgroup_create_cpu_quota(struct cgroup *cg, const struct cgroup_paths *paths, pid_t pid, uint32_t percent,
			    char *err, size_t errlen);

/* What cgroup_create_cpu_quota() would need, checked without creating anything (--dry-run). */
int cgroup_check_cpu_quota(const struct cgroup_paths *paths, pid_t pid, char *err, size_t errlen);

/* Moves process pid back to its old cgroup and removes the VM's; warns if it cannot. */
void cgroup_remove(struct cgroup *cg, pid_t pid);

/*
 * For the manager, after its child pid ended (killed before it could clean
 * up): removes the empty cgroup that child left, if any. The child had
 * inherited the caller's cgroup. Returns true if one was removed.
 */
bool cgroup_remove_leftover(const struct cgroup_paths *paths, pid_t pid);

#endif
