/* SPDX-License-Identifier: MIT */
/*
 * `vessel run --dry-run`: checks a parsed configuration without creating a
 * VM (the files it names open as they will be opened), so that the manager
 * can refuse a bad definition at create time with vessel's own message.
 */
#ifndef VESSEL_CLI_RUN_CHECK_H
#define VESSEL_CLI_RUN_CHECK_H

#include <stdio.h>

#include "core/vm.h"

/*
 * Checks cfg (the files it names open as they will be opened; a restore's
 * snapshot completely) and prints the machine as one JSON line on out:
 * {"vcpus": N, "mem_size_mib": M, "disks": D, "nets": K} (and "firmware":
 * PATH with --firmware). 0, or -errno with a
 * one-line reason in err ("kernel FILE: No such file or directory").
 */
int run_check(FILE *out, const struct vm_config *cfg, char *err, size_t errlen);

#endif
