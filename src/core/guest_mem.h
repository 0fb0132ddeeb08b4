/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: a small set of regions, each a contiguous range of guest-physical
 * addresses backed by one host mapping. Every guest-physical to host
 * translation in vessel goes through guest_mem_ptr(), which bounds-checks it.
 */
#ifndef VESSEL_CORE_GUEST_MEM_H
#define VESSEL_CORE_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 8

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t ram_size;        /* sum of region sizes */
};

/* Adds a region; regions must not overlap. 0 or -errno. */
__attribute__((warn_unused_result))
int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva);

/*
 * Host pointer for [gpa, gpa + len) if the whole range lies inside one RAM
 * region, else NULL. len 0 is allowed (any gpa inside or at the end of a region).
 */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copies to/from guest RAM; -EFAULT if the range is not wholly RAM. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);

/* Highest guest-physical address of RAM + 1. */
uint64_t guest_mem_end(const struct guest_mem *mem);

#endif
