/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_mem.h"
#include "test.h"

static uint8_t low[0x10000], high[0x1000];

static struct guest_mem two_regions(void)
{
	struct guest_mem mem = { 0 };

	CHECK_EQ(guest_mem_add(&mem, 0, sizeof(low), low), 0);
	CHECK_EQ(guest_mem_add(&mem, 0x100000000ULL, sizeof(high), high), 0);
	return mem;
}

static void test_translation_inside_regions(void)
{
	struct guest_mem mem = two_regions();

	CHECK(guest_mem_ptr(&mem, 0, 1) == low);
	CHECK(guest_mem_ptr(&mem, 0xfff0, 0x10) == low + 0xfff0);
	CHECK(guest_mem_ptr(&mem, 0x100000000ULL + 8, 8) == high + 8);
	CHECK(guest_mem_ptr(&mem, 0x10000, 0) == low + 0x10000);
	CHECK_EQ(mem.ram_size, sizeof(low) + sizeof(high));
	CHECK_EQ(guest_mem_end(&mem), 0x100001000ULL);
}

static void test_translation_rejects_out_of_range(void)
{
	struct guest_mem mem = two_regions();
	uint8_t buf[32];

	CHECK(guest_mem_ptr(&mem, 0xfff0, 0x11) == NULL);          /* runs off the end */
	CHECK(guest_mem_ptr(&mem, 0x10000, 1) == NULL);            /* the hole */
	CHECK(guest_mem_ptr(&mem, 0xffffffffffffffffULL, 2) == NULL); /* wraps */
	CHECK(guest_mem_ptr(&mem, 0, UINT64_MAX) == NULL);
	CHECK(guest_mem_ptr(&mem, 0x100000000ULL + 0x1000, 1) == NULL);
	CHECK_EQ(guest_mem_read(&mem, 0xfff8, buf, sizeof(buf)), -EFAULT);
	CHECK_EQ(guest_mem_write(&mem, 0x20000, buf, 1), -EFAULT);
}

static void test_copy_round_trip(void)
{
	struct guest_mem mem = two_regions();
	const char msg[] = "vessel";
	char back[sizeof(msg)];

	CHECK_EQ(guest_mem_write(&mem, 0x100000000ULL + 100, msg, sizeof(msg)), 0);
	CHECK_EQ(guest_mem_read(&mem, 0x100000000ULL + 100, back, sizeof(back)), 0);
	CHECK(memcmp(msg, back, sizeof(msg)) == 0);
}

static void test_add_rejects_overlap_and_empty(void)
{
	struct guest_mem mem = two_regions();

	CHECK_EQ(guest_mem_add(&mem, 0x8000, 0x10000, low), -EEXIST);
	CHECK_EQ(guest_mem_add(&mem, 0x200000, 0, low), -EINVAL);
	CHECK_EQ(guest_mem_add(&mem, UINT64_MAX - 10, 100, low), -EINVAL);
}

TEST_MAIN(test_translation_inside_regions, test_translation_rejects_out_of_range,
	  test_copy_round_trip, test_add_rejects_overlap_and_empty)
