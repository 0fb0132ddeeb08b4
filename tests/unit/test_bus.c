/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "core/bus.h"
#include "test.h"

struct fake_dev {
	uint64_t last_offset;
	uint32_t last_len;
	uint32_t value;
	int writes;
};

static void fake_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->last_offset = offset;
	d->last_len = len;
	memcpy(data, &d->value, len > 4 ? 4 : len);
}

static void fake_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->last_offset = offset;
	d->last_len = len;
	d->value = 0;
	memcpy(&d->value, data, len > 4 ? 4 : len);
	d->writes++;
}

static const struct bus_dev_ops fake_ops = { .read = fake_read, .write = fake_write };

static void test_dispatch_by_offset(void)
{
	struct bus bus = { 0 };
	struct fake_dev a = { .value = 0x11 }, b = { .value = 0x22 };
	uint32_t v = 0;

	CHECK_EQ(bus_register(&bus, 0x3f8, 8, &fake_ops, &a), 0);
	CHECK_EQ(bus_register(&bus, 0x60, 5, &fake_ops, &b), 0);
	CHECK(bus_read(&bus, 0x3fd, &v, 1));
	CHECK_EQ(v, 0x11);
	CHECK_EQ(a.last_offset, 5);
	CHECK(bus_write(&bus, 0x64, &(uint8_t){ 0xfe }, 1));
	CHECK_EQ(b.last_offset, 4);
	CHECK_EQ(b.value, 0xfe);
	bus_destroy(&bus);
}

static void test_unclaimed_reads_all_ones(void)
{
	struct bus bus = { 0 };
	struct fake_dev a = { 0 };
	uint32_t v = 0;

	CHECK_EQ(bus_register(&bus, 0x3f8, 8, &fake_ops, &a), 0);
	CHECK(!bus_read(&bus, 0x400, &v, 4));
	CHECK_EQ(v, 0xffffffff);
	CHECK(!bus_write(&bus, 0x3f6, &v, 4));    /* straddles the start: not claimed */
	CHECK(!bus_read(&bus, 0x3fe, &v, 4));     /* runs past the end */
	CHECK_EQ(a.writes, 0);
	bus_destroy(&bus);
}

static void test_overlap_refused(void)
{
	struct bus bus = { 0 };
	struct fake_dev a = { 0 };

	CHECK_EQ(bus_register(&bus, 0x100, 0x10, &fake_ops, &a), 0);
	CHECK_EQ(bus_register(&bus, 0x10f, 1, &fake_ops, &a), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0xf0, 0x11, &fake_ops, &a), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x110, 0, &fake_ops, &a), -EINVAL);
	CHECK_EQ(bus_register(&bus, UINT64_MAX, 2, &fake_ops, &a), -EINVAL);
	CHECK_EQ(bus_register(&bus, 0xf0, 0x10, &fake_ops, &a), 0);
	bus_destroy(&bus);
}

static void test_many_ranges_stay_sorted(void)
{
	struct bus bus = { 0 };
	struct fake_dev devs[100];
	uint32_t v;

	/* Register in a scrambled order; every lookup must find its own device. */
	for (int i = 0; i < 100; i++) {
		int slot = (i * 37) % 100;

		devs[slot] = (struct fake_dev){ .value = (uint32_t)slot };
		CHECK_EQ(bus_register(&bus, 0x1000 + slot * 0x10, 0x10, &fake_ops, &devs[slot]), 0);
	}
	for (int i = 0; i < 100; i++) {
		v = 0;
		CHECK(bus_read(&bus, 0x1000 + i * 0x10 + 3, &v, 1));
		CHECK_EQ(v, (uint32_t)i & 0xff);
	}
	bus_destroy(&bus);
}

TEST_MAIN(test_dispatch_by_offset, test_unclaimed_reads_all_ones, test_overlap_refused,
	  test_many_ranges_stay_sorted)
