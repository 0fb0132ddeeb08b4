/* SPDX-License-Identifier: MIT */
#include "core/guest_mem.h"

#include <errno.h>
#include <string.h>

int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva)
{
	if (mem->nr_regions >= GUEST_MEM_MAX_REGIONS)
		return -ENOSPC;
	if (size == 0 || gpa + size < gpa)
		return -EINVAL;
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EEXIST;
	}
	mem->regions[mem->nr_regions++] = (struct guest_mem_region){
		.gpa = gpa, .size = size, .hva = hva,
	};
	mem->ram_size += size;
	return 0;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		uint64_t offset = gpa - r->gpa;

		if (gpa < r->gpa || offset > r->size || len > r->size - offset)
			continue;
		return r->hva + offset;
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = guest_mem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = guest_mem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	guest_mem_mark_written(mem, gpa, len);
	return 0;
}

void guest_mem_mark_written_slow(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return;
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		uint64_t offset = gpa - r->gpa, first, last;

		if (gpa < r->gpa || offset >= r->size || len > r->size - offset || !r->written)
			continue;
		first = offset >> GUEST_PAGE_SHIFT;
		last = (offset + len - 1) >> GUEST_PAGE_SHIFT;
		for (uint64_t page = first; page <= last; page++)
			__atomic_fetch_or(&r->written[page / 64], 1ULL << (page % 64), __ATOMIC_RELAXED);
		return;
	}
}

uint64_t guest_mem_end(const struct guest_mem *mem)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		if (r->gpa + r->size > end)
			end = r->gpa + r->size;
	}
	return end;
}
