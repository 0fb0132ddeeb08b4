/* SPDX-License-Identifier: MIT */
/*
 * --memory SIZE[,hugepages=on|off][,hugepage_size=2M|1G][,prefault=on|off][,mergeable=on|off]
 *
 * SIZE as size_parse() reads it (a bare number is MiB). hugepages=on backs
 * guest RAM with huge pages (hugetlbfs, 2M unless hugepage_size says 1G),
 * which must be reserved on the host; prefault=on touches all of guest RAM
 * before the guest runs; mergeable=on lets KSM merge identical pages (and
 * keeps transparent huge pages off guest RAM: KSM merges small pages only).
 */
#ifndef VESSEL_CLI_MEMORY_OPTION_H
#define VESSEL_CLI_MEMORY_OPTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/mem_backing.h"

#define MEMORY_OPTION_MIN (16ULL << 20)

/*
 * Parses arg; host_limit is the most RAM the host can give (RAM + swap).
 * The size comes out rounded up to 4 KiB. 0, or -EINVAL with a one-line
 * message in err.
 */
int memory_option_parse(const char *arg, uint64_t host_limit, uint64_t *size, struct mem_backing *mb,
			char *err, size_t errlen);

#endif
