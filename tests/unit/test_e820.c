/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "test.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

/* e820_build never touches guest memory, so any host pointer will do. */
static uint8_t dummy;

static void check_entry(const struct e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	CHECK_EQ(e->addr, addr);
	CHECK_EQ(e->size, size);
	CHECK_EQ(e->type, type);
}

static void test_e820_small_guest(void)
{
	struct guest_mem mem = { 0 };
	struct e820_entry map[E820_MAX_ENTRIES];
	int n;

	CHECK_EQ(guest_mem_add(&mem, 0, 64 * MiB, &dummy), 0);
	n = e820_build(&mem, map, E820_MAX_ENTRIES);
	CHECK_EQ(n, 3);
	check_entry(&map[0], 0, LAYOUT_EBDA_GPA, E820_RAM);
	check_entry(&map[1], LAYOUT_EBDA_GPA, LAYOUT_HIGH_MEM_GPA - LAYOUT_EBDA_GPA, E820_RESERVED);
	check_entry(&map[2], LAYOUT_HIGH_MEM_GPA, 64 * MiB - LAYOUT_HIGH_MEM_GPA, E820_RAM);
}

static void test_e820_above_4g(void)
{
	struct guest_mem mem = { 0 };
	struct e820_entry map[E820_MAX_ENTRIES];
	int n;

	/* As vessel maps an 8 GiB guest: low RAM up to the hole, the rest above 4 GiB. */
	CHECK_EQ(guest_mem_add(&mem, 0, LAYOUT_MMIO_HOLE_GPA, &dummy), 0);
	CHECK_EQ(guest_mem_add(&mem, LAYOUT_RAM_ABOVE_4G_GPA, 8 * GiB - LAYOUT_MMIO_HOLE_GPA, &dummy), 0);
	n = e820_build(&mem, map, E820_MAX_ENTRIES);
	CHECK_EQ(n, 4);
	check_entry(&map[0], 0, LAYOUT_EBDA_GPA, E820_RAM);
	check_entry(&map[1], LAYOUT_EBDA_GPA, LAYOUT_HIGH_MEM_GPA - LAYOUT_EBDA_GPA, E820_RESERVED);
	check_entry(&map[2], LAYOUT_HIGH_MEM_GPA, LAYOUT_MMIO_HOLE_GPA - LAYOUT_HIGH_MEM_GPA, E820_RAM);
	check_entry(&map[3], LAYOUT_RAM_ABOVE_4G_GPA, 8 * GiB - LAYOUT_MMIO_HOLE_GPA, E820_RAM);
}

static void test_e820_regions_unsorted_and_split(void)
{
	struct guest_mem mem = { 0 };
	struct e820_entry map[E820_MAX_ENTRIES];
	int n;

	/* Added out of order, low RAM split at 1 MiB: same map as one region. */
	CHECK_EQ(guest_mem_add(&mem, LAYOUT_RAM_ABOVE_4G_GPA, 16 * MiB, &dummy), 0);
	CHECK_EQ(guest_mem_add(&mem, LAYOUT_HIGH_MEM_GPA, 31 * MiB, &dummy), 0);
	CHECK_EQ(guest_mem_add(&mem, 0, LAYOUT_HIGH_MEM_GPA, &dummy), 0);
	n = e820_build(&mem, map, E820_MAX_ENTRIES);
	CHECK_EQ(n, 4);
	check_entry(&map[0], 0, LAYOUT_EBDA_GPA, E820_RAM);
	check_entry(&map[1], LAYOUT_EBDA_GPA, LAYOUT_HIGH_MEM_GPA - LAYOUT_EBDA_GPA, E820_RESERVED);
	check_entry(&map[2], LAYOUT_HIGH_MEM_GPA, 31 * MiB, E820_RAM);
	check_entry(&map[3], LAYOUT_RAM_ABOVE_4G_GPA, 16 * MiB, E820_RAM);
}

static void test_e820_sorted_no_overlap(void)
{
	struct guest_mem mem = { 0 };
	struct e820_entry map[E820_MAX_ENTRIES];
	int n;

	CHECK_EQ(guest_mem_add(&mem, 0, 512 * 1024, &dummy), 0);  /* ends below the EBDA */
	CHECK_EQ(guest_mem_add(&mem, 2 * MiB, 8 * MiB, &dummy), 0);
	n = e820_build(&mem, map, E820_MAX_ENTRIES);
	CHECK_EQ(n, 3);
	check_entry(&map[0], 0, 512 * 1024, E820_RAM);
	check_entry(&map[1], LAYOUT_EBDA_GPA, LAYOUT_HIGH_MEM_GPA - LAYOUT_EBDA_GPA, E820_RESERVED);
	check_entry(&map[2], 2 * MiB, 8 * MiB, E820_RAM);
	for (int i = 1; i < n; i++)
		CHECK(map[i - 1].addr + map[i - 1].size <= map[i].addr);
}

static void test_e820_no_space(void)
{
	struct guest_mem mem = { 0 };
	struct e820_entry map[2];

	CHECK_EQ(guest_mem_add(&mem, 0, 64 * MiB, &dummy), 0);
	CHECK_EQ(e820_build(&mem, map, 2), -ENOSPC);
	CHECK_EQ(e820_build(&mem, map, 0), -ENOSPC);
}

TEST_MAIN(test_e820_small_guest, test_e820_above_4g, test_e820_regions_unsorted_and_split,
	  test_e820_sorted_no_overlap, test_e820_no_space)
