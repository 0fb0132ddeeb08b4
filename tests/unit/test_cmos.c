/* SPDX-License-Identifier: MIT */
/* CMOS/RTC: host-clock time, SET offset, memory-size bytes. */
#include <string.h>
#include <time.h>

#include "arch/x86/layout.h"
#include "devices/legacy/legacy.h"
#include "test.h"

#define GIB (1024ULL * 1024 * 1024)
#define MIB (1024ULL * 1024)

static struct cmos *cmos_new(uint64_t below, uint64_t above)
{
	struct cmos *c = cmos_create((struct irq_line){ 0 }, below, above);

	CHECK(c != NULL);
	return c;
}

static uint8_t rd(struct cmos *c, uint8_t reg)
{
	uint8_t v;

	cmos_ops.write(c, 0, &reg, 1);
	cmos_ops.read(c, 1, &v, 1);
	return v;
}

static void wr(struct cmos *c, uint8_t reg, uint8_t val)
{
	cmos_ops.write(c, 0, &reg, 1);
	cmos_ops.write(c, 1, &val, 1);
}

static int dec(uint8_t v, int binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

static uint8_t enc(int v, int binary)
{
	return binary ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Reads the clock like Linux's mc146818_get_time and returns it as time_t. */
static time_t read_clock(struct cmos *c)
{
	int binary = !!(rd(c, 0x0b) & 0x04), h24 = !!(rd(c, 0x0b) & 0x02);
	struct tm tm = { 0 };
	uint8_t hour;

	while (rd(c, 0x0a) & 0x80)
		;
	tm.tm_sec = dec(rd(c, 0x00), binary);
	tm.tm_min = dec(rd(c, 0x02), binary);
	hour = rd(c, 0x04);
	if (h24) {
		tm.tm_hour = dec(hour, binary);
	} else {
		tm.tm_hour = dec(hour & 0x7f, binary) % 12;
		if (hour & 0x80)
			tm.tm_hour += 12;
	}
	tm.tm_mday = dec(rd(c, 0x07), binary);
	tm.tm_mon = dec(rd(c, 0x08), binary) - 1;
	tm.tm_year = dec(rd(c, 0x32), binary) * 100 + dec(rd(c, 0x09), binary) - 1900;
	return timegm(&tm);
}

static int near_now(time_t t, time_t offset)
{
	time_t now = time(NULL) + offset;

	return t >= now - 2 && t <= now + 2;
}

static void test_time_bcd_and_binary(void)
{
	struct cmos *c = cmos_new(512 * MIB, 0);
	time_t now = time(NULL);
	struct tm tm;

	CHECK_EQ(rd(c, 0x0b), 0x02);	/* BCD, 24 h */
	CHECK(near_now(read_clock(c), 0));
	/* Day of week (1 = Sunday) in BCD. */
	gmtime_r(&now, &tm);
	CHECK_EQ(rd(c, 0x06), tm.tm_wday + 1);
	CHECK_EQ(rd(c, 0x32), enc((tm.tm_year + 1900) / 100, 0));
	/* Binary. */
	wr(c, 0x0b, 0x06);
	CHECK_EQ(rd(c, 0x0b), 0x06);
	CHECK(near_now(read_clock(c), 0));
	CHECK_EQ(rd(c, 0x09), (tm.tm_year + 1900) % 100);
	CHECK(rd(c, 0x00) < 60);
	/* 12 h, binary and BCD. */
	wr(c, 0x0b, 0x04);
	CHECK(near_now(read_clock(c), 0));
	CHECK((rd(c, 0x04) & 0x7f) >= 1 && (rd(c, 0x04) & 0x7f) <= 12);
	wr(c, 0x0b, 0x00);
	CHECK(near_now(read_clock(c), 0));
	cmos_destroy(c);
}

static void test_set_offset(void)
{
	struct cmos *c = cmos_new(512 * MIB, 0);
	time_t t;

	/* What Linux's mc146818_set_time does: SET, write, clear SET. */
	wr(c, 0x0b, 0x02 | 0x80);
	wr(c, 0x00, 0x30);
	wr(c, 0x02, 0x45);
	wr(c, 0x04, 0x13);
	wr(c, 0x07, 0x29);
	wr(c, 0x08, 0x02);
	wr(c, 0x09, 0x40);
	wr(c, 0x32, 0x20);
	/* Frozen while SET: reads give the written values, UIP stays clear. */
	CHECK_EQ(rd(c, 0x09), 0x40);
	CHECK_EQ(rd(c, 0x00), 0x30);
	CHECK_EQ(rd(c, 0x0a) & 0x80, 0);
	wr(c, 0x0b, 0x02);
	t = read_clock(c);
	/* 2040-02-29 13:45:30 UTC. */
	CHECK(t >= 2214135930 && t <= 2214135932);
	CHECK_EQ(rd(c, 0x08), 0x02);
	CHECK_EQ(rd(c, 0x07), 0x29);
	/* Day of week computed for the new date: 2040-02-29 is a Wednesday. */
	CHECK_EQ(rd(c, 0x06), 4);
	/* A write with SET clear takes effect at once. */
	wr(c, 0x09, 0x41);
	CHECK_EQ(rd(c, 0x09), 0x41);
	CHECK_EQ(rd(c, 0x08), 0x03);	/* 2041 has no Feb 29: normalised to Mar 1 */
	/* Garbage does not crash and the clock keeps running. */
	wr(c, 0x0b, 0x82);
	for (int r = 0; r < 10; r++)
		wr(c, (uint8_t)r, 0xff);
	wr(c, 0x32, 0xff);
	wr(c, 0x0b, 0x02);
	rd(c, 0x00);
	/* Back to host time. */
	wr(c, 0x0b, 0x86);
	{
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		wr(c, 0x00, (uint8_t)tm.tm_sec);
		wr(c, 0x02, (uint8_t)tm.tm_min);
		wr(c, 0x04, (uint8_t)tm.tm_hour);
		wr(c, 0x07, (uint8_t)tm.tm_mday);
		wr(c, 0x08, (uint8_t)(tm.tm_mon + 1));
		wr(c, 0x09, (uint8_t)(tm.tm_year % 100));
		wr(c, 0x32, (uint8_t)((tm.tm_year + 1900) / 100));
	}
	wr(c, 0x0b, 0x06);
	CHECK(near_now(read_clock(c), 0));
	cmos_destroy(c);
}

static void test_status_regs(void)
{
	struct cmos *c = cmos_new(512 * MIB, 0);
	uint8_t idx = 0x0a | 0x80, v;

	CHECK_EQ(rd(c, 0x0a) & 0x7f, 0x26);
	wr(c, 0x0a, 0xa0);		/* UIP is read-only */
	CHECK_EQ(rd(c, 0x0a) & 0x7f, 0x20);
	CHECK_EQ(rd(c, 0x0c), 0x00);
	wr(c, 0x0c, 0xff);
	CHECK_EQ(rd(c, 0x0c), 0x00);
	CHECK_EQ(rd(c, 0x0d), 0x80);
	wr(c, 0x0d, 0x00);
	CHECK_EQ(rd(c, 0x0d), 0x80);
	/* The NMI-disable bit does not change which register is selected. */
	cmos_ops.write(c, 0, &idx, 1);
	cmos_ops.read(c, 1, &v, 1);
	CHECK_EQ(v & 0x7f, 0x20);
	cmos_ops.read(c, 0, &v, 1);	/* index port is write-only */
	CHECK_EQ(v, 0xff);
	/* Plain RAM. */
	wr(c, 0x40, 0x12);
	wr(c, 0x7f, 0x34);
	CHECK_EQ(rd(c, 0x40), 0x12);
	CHECK_EQ(rd(c, 0x7f), 0x34);
	/* SET clears UIE. */
	wr(c, 0x0b, 0x92);
	CHECK_EQ(rd(c, 0x0b), 0x82);
	cmos_destroy(c);
}

static void test_memory_6g(void)
{
	/* 6 GiB: 3 GiB below the hole, 3 GiB above 4 GiB. */
	uint64_t below = LAYOUT_MMIO_HOLE_GPA, above = 6 * GIB - LAYOUT_MMIO_HOLE_GPA;
	struct cmos *c = cmos_new(below, above);

	CHECK_EQ(rd(c, 0x15) | rd(c, 0x16) << 8, 640);
	CHECK_EQ(rd(c, 0x17) | rd(c, 0x18) << 8, 0xffff);
	CHECK_EQ(rd(c, 0x30) | rd(c, 0x31) << 8, 0xffff);
	CHECK_EQ(rd(c, 0x34) | rd(c, 0x35) << 8, (3 * GIB - 16 * MIB) >> 16);
	CHECK_EQ(rd(c, 0x34) | rd(c, 0x35) << 8, 0xbf00);
	CHECK_EQ(rd(c, 0x5b) | rd(c, 0x5c) << 8 | rd(c, 0x5d) << 16, (3 * GIB) >> 16);
	cmos_destroy(c);
}

static void test_memory_small(void)
{
	struct cmos *c = cmos_new(32 * MIB, 0);

	CHECK_EQ(rd(c, 0x17) | rd(c, 0x18) << 8, 31 * 1024);
	CHECK_EQ(rd(c, 0x30) | rd(c, 0x31) << 8, 31 * 1024);
	CHECK_EQ(rd(c, 0x34) | rd(c, 0x35) << 8, (16 * MIB) >> 16);
	CHECK_EQ(rd(c, 0x5b) | rd(c, 0x5c) << 8 | rd(c, 0x5d) << 16, 0);
	cmos_destroy(c);
	c = cmos_new(1 * MIB / 2, 0);
	CHECK_EQ(rd(c, 0x17) | rd(c, 0x18) << 8, 0);
	CHECK_EQ(rd(c, 0x34) | rd(c, 0x35) << 8, 0);
	cmos_destroy(c);
}

static uint64_t rng_state = 0x13198a2e03707344ULL;

static void test_random_access(void)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	struct cmos *c = cmos_new(6 * GIB, 2 * GIB);

	for (int i = 0; i < 300000; i++) {
		uint64_t x = test_rand(&rng_state), val = test_rand(&rng_state);
		uint64_t off = (x & 7) ? (x >> 3) & 1 : (x >> 3) % 6;
		uint32_t len = widths[(x >> 8) % 4];

		if ((x >> 16) & 1)
			cmos_ops.read(c, off, &val, len);
		else
			cmos_ops.write(c, off, &val, len);
	}
	/* Still a working clock after the guest has scribbled everywhere. */
	wr(c, 0x0b, 0x06);
	CHECK(read_clock(c) != (time_t)-1);
	cmos_destroy(c);
}

TEST_MAIN(test_time_bcd_and_binary, test_set_offset, test_status_regs, test_memory_6g,
	  test_memory_small, test_random_access)
