/* SPDX-License-Identifier: MIT */
/*
 * The e820 map is derived from the guest RAM regions, so it stays right
 * whatever way the VM split its memory: RAM as mapped, minus the EBDA..1 MiB
 * window, which is reported reserved because ACPI tables and the legacy
 * BIOS area live there.
 */
#include "arch/x86/e820.h"

#include <errno.h>
#include <stdlib.h>

#include "arch/x86/layout.h"

struct e820_range {
	uint64_t start;
	uint64_t end;
};

static int e820_cmp_range(const void *a, const void *b)
{
	const struct e820_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Guest RAM as sorted ranges, adjacent regions merged. Returns the count. */
static unsigned int e820_collect_ram(const struct guest_mem *mem, struct e820_range *ranges)
{
	unsigned int n = 0, out = 0;

	for (unsigned int i = 0; i < mem->nr_regions && i < GUEST_MEM_MAX_REGIONS; i++)
		ranges[n++] = (struct e820_range){ mem->regions[i].gpa, mem->regions[i].gpa + mem->regions[i].size };
	qsort(ranges, n, sizeof(*ranges), e820_cmp_range);

	for (unsigned int i = 0; i < n; i++) {
		if (out && ranges[out - 1].end >= ranges[i].start) {
			if (ranges[i].end > ranges[out - 1].end)
				ranges[out - 1].end = ranges[i].end;
			continue;
		}
		ranges[out++] = ranges[i];
	}
	return out;
}

static int e820_add(struct e820_entry *map, int max_entries, int *n, uint64_t start, uint64_t end, uint32_t type)
{
	if (start >= end)
		return 0;
	if (*n >= max_entries)
		return -ENOSPC;
	map[(*n)++] = (struct e820_entry){ .addr = start, .size = end - start, .type = type };
	return 0;
}

int e820_build(const struct guest_mem *mem, struct e820_entry *map, int max_entries)
{
	struct e820_range ranges[GUEST_MEM_MAX_REGIONS];
	unsigned int nr_ranges = e820_collect_ram(mem, ranges);
	bool reserved_done = false;
	int n = 0, ret = 0;

	for (unsigned int i = 0; i < nr_ranges; i++) {
		uint64_t start = ranges[i].start, end = ranges[i].end;

		/* RAM below the EBDA */
		ret = e820_add(map, max_entries, &n, start, end < LAYOUT_EBDA_GPA ? end : LAYOUT_EBDA_GPA, E820_RAM);
		if (ret < 0)
			return ret;
		if (end <= LAYOUT_HIGH_MEM_GPA)
			continue;
		if (!reserved_done) {
			ret = e820_add(map, max_entries, &n, LAYOUT_EBDA_GPA, LAYOUT_HIGH_MEM_GPA, E820_RESERVED);
			if (ret < 0)
				return ret;
			reserved_done = true;
		}
		/* RAM from 1 MiB up */
		ret = e820_add(map, max_entries, &n, start > LAYOUT_HIGH_MEM_GPA ? start : LAYOUT_HIGH_MEM_GPA,
			       end, E820_RAM);
		if (ret < 0)
			return ret;
	}
	if (!reserved_done)
		ret = e820_add(map, max_entries, &n, LAYOUT_EBDA_GPA, LAYOUT_HIGH_MEM_GPA, E820_RESERVED);
	return ret < 0 ? ret : n;
}
