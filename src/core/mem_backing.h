/* SPDX-License-Identifier: MIT */
/*
 * How guest RAM is backed on the host: huge pages (hugetlbfs, reserved up
 * front), prefaulted before the guest runs, and offered to KSM for
 * merging. Set with --memory SIZE,hugepages=on,... or the API's
 * machine-config "huge_pages"; applied by vm_create().
 */
#ifndef VESSEL_CORE_MEM_BACKING_H
#define VESSEL_CORE_MEM_BACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_HUGEPAGE_2M (2ULL << 20)
#define MEM_HUGEPAGE_1G (1ULL << 30)

struct mem_backing {
	uint64_t hugepage_size;     /* 0: normal pages (with transparent huge pages where enabled) */
	bool prefault;              /* touch every page before the guest runs */
	bool mergeable;             /* madvise(MADV_MERGEABLE): KSM may merge identical pages */
};

/*
 * Maps size bytes of anonymous guest RAM as mb says. With huge pages the
 * whole size is reserved now, so a host short of them fails here, with
 * how many are free in err. 0 or -errno.
 */
__attribute__((warn_unused_result))
int mem_backing_map(const struct mem_backing *mb, uint64_t size, void **out, char *err, size_t errlen);

/*
 * After the mapping exists (anonymous, or a snapshot's file mapped
 * copy-on-write when file_backed): merging, then prefaulting. A
 * file-backed mapping is prefaulted for reading, so its pages stay shared
 * with the page cache (and with clones) until written. 0 or -errno.
 */
__attribute__((warn_unused_result))
int mem_backing_apply(const struct mem_backing *mb, void *ram, uint64_t size, bool file_backed,
		      char *err, size_t errlen);

/* "2M", "1G" for a huge page size (buf of at least 8 bytes). */
const char *mem_backing_page_name(uint64_t hugepage_size, char *buf, size_t len);

#endif
