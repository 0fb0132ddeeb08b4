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

#define GUEST_PAGE_SHIFT 12
#define GUEST_PAGE_SIZE  (1ULL << GUEST_PAGE_SHIFT)

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	/*
	 * While a migration tracks writes: one bit per 4 KiB page that
	 * vessel's own devices may have written (KVM's dirty log sees only
	 * vCPU writes). Owned by the migration; NULL otherwise.
	 */
	uint64_t *written;
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t ram_size;        /* sum of region sizes */
	bool track_writes;        /* the regions' written bitmaps are live */
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

/*
 * Device writes to guest RAM: records [gpa, gpa + len) in the written
 * bitmaps while a migration tracks them; one branch otherwise. Ranges
 * outside RAM are ignored (the caller's bounds check refuses them anyway).
 * guest_mem_write() calls it; code that writes through a guest_mem_ptr()
 * pointer (virtqueue stores, device-writable buffers at pop time) calls it
 * itself.
 */
void guest_mem_mark_written_slow(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
static inline void guest_mem_mark_written(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (__builtin_expect(__atomic_load_n(&mem->track_writes, __ATOMIC_ACQUIRE), 0))
		guest_mem_mark_written_slow(mem, gpa, len);
}

/* Highest guest-physical address of RAM + 1. */
uint64_t guest_mem_end(const struct guest_mem *mem);

#endif
