/* SPDX-License-Identifier: MIT */
/* i8042: controller and keyboard commands through the bus ops. */
#include <string.h>

#include "devices/legacy/legacy.h"
#include "fake_power.h"
#include "test.h"

#define DATA 0
#define CMD 4

struct fake_irq {
	int level;
	int pulses;	/* 0 -> 1 -> 0 */
};

static void fake_irq_set(void *ctx, uint32_t gsi, int level)
{
	struct fake_irq *f = ctx;

	if (!level && f->level)
		f->pulses++;
	f->level = level;
}

struct rig {
	struct i8042 *dev;
	struct fake_irq irq;
	struct fake_power power;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->dev = i8042_create((struct irq_line){ .set = fake_irq_set, .ctx = &r->irq, .gsi = 1 },
			      (struct power_handler){ .request = fake_power_request, .ctx = &r->power });
	CHECK(r->dev != NULL);
}

static uint8_t rd(struct rig *r, uint64_t off)
{
	uint8_t v;

	i8042_ops.read(r->dev, off, &v, 1);
	return v;
}

static void wr(struct rig *r, uint64_t off, uint8_t v)
{
	i8042_ops.write(r->dev, off, &v, 1);
}

/* Waits like Linux's i8042_wait_read, then reads the data port. */
static int read_reply(struct rig *r)
{
	if (!(rd(r, CMD) & 0x01))
		return -1;
	return rd(r, DATA);
}

static void test_self_test(void)
{
	struct rig r;

	rig_init(&r);
	CHECK_EQ(rd(&r, CMD) & 0x07, 0x04);	/* SYS, no OBF/IBF */
	wr(&r, CMD, 0xaa);
	CHECK_EQ(rd(&r, CMD) & 0x09, 0x09);	/* OBF, last write was a command */
	CHECK_EQ(read_reply(&r), 0x55);
	CHECK_EQ(read_reply(&r), -1);
	wr(&r, CMD, 0xab);
	CHECK_EQ(read_reply(&r), 0x00);
	wr(&r, CMD, 0xa9);
	CHECK_EQ(read_reply(&r), 0x00);
	/* An empty output buffer reads the last byte again. */
	CHECK_EQ(rd(&r, DATA), 0x00);
	i8042_destroy(r.dev);
}

static void test_command_byte(void)
{
	struct rig r;
	int ctr;

	rig_init(&r);
	wr(&r, CMD, 0x20);
	ctr = read_reply(&r);
	CHECK_EQ(ctr, 0x65);	/* KBDINT SYS AUXDIS XLATE */
	CHECK_EQ(r.irq.pulses, 1);
	/* Linux turns the keyboard interrupt off while probing. */
	wr(&r, CMD, 0x60);
	wr(&r, DATA, 0x64);
	CHECK_EQ(rd(&r, CMD) & 0x08, 0);
	wr(&r, CMD, 0x20);
	CHECK_EQ(read_reply(&r), 0x64);
	CHECK_EQ(r.irq.pulses, 1);
	wr(&r, CMD, 0xad);
	wr(&r, CMD, 0x20);
	CHECK_EQ(read_reply(&r), 0x74);
	wr(&r, CMD, 0xae);
	wr(&r, CMD, 0xa8);
	wr(&r, CMD, 0x20);
	CHECK_EQ(read_reply(&r), 0x44);
	wr(&r, CMD, 0xa7);
	wr(&r, CMD, 0x20);
	CHECK_EQ(read_reply(&r), 0x64);
	CHECK_EQ(r.irq.pulses, 1);
	/* Clearing SYS in the command byte clears the status flag. */
	wr(&r, CMD, 0x60);
	wr(&r, DATA, 0x60);
	CHECK_EQ(rd(&r, CMD) & 0x04, 0);
	/* Re-enabling the interrupt with a byte waiting raises it. */
	wr(&r, CMD, 0x20);
	wr(&r, CMD, 0x60);
	wr(&r, DATA, 0x65);
	CHECK_EQ(r.irq.pulses, 2);
	CHECK_EQ(read_reply(&r), 0x60);
	i8042_destroy(r.dev);
}

static void test_keyboard(void)
{
	struct rig r;

	rig_init(&r);
	/* Reset: ACK then self-test passed, each byte its own interrupt. */
	wr(&r, DATA, 0xff);
	CHECK_EQ(r.irq.pulses, 1);
	CHECK_EQ(read_reply(&r), 0xfa);
	CHECK_EQ(r.irq.pulses, 2);
	CHECK_EQ(read_reply(&r), 0xaa);
	CHECK_EQ(read_reply(&r), -1);
	wr(&r, DATA, 0xf2);
	CHECK_EQ(read_reply(&r), 0xfa);
	CHECK_EQ(read_reply(&r), 0xab);
	CHECK_EQ(read_reply(&r), 0x83);
	/* Commands with a parameter: ACK each byte. */
	wr(&r, DATA, 0xed);
	CHECK_EQ(read_reply(&r), 0xfa);
	wr(&r, DATA, 0x07);
	CHECK_EQ(read_reply(&r), 0xfa);
	wr(&r, DATA, 0xf0);
	wr(&r, DATA, 0x00);
	CHECK_EQ(read_reply(&r), 0xfa);
	CHECK_EQ(read_reply(&r), 0xfa);
	CHECK_EQ(read_reply(&r), 0x02);
	wr(&r, DATA, 0xf4);
	CHECK_EQ(read_reply(&r), 0xfa);
	wr(&r, DATA, 0xee);
	CHECK_EQ(read_reply(&r), 0xee);
	/* Keyboard interrupt off: no pulses. */
	wr(&r, CMD, 0x60);
	wr(&r, DATA, 0x64);
	int pulses = r.irq.pulses;
	wr(&r, DATA, 0xf5);
	CHECK_EQ(read_reply(&r), 0xfa);
	CHECK_EQ(r.irq.pulses, pulses);
	/* Queue overflow drops bytes, nothing else happens. */
	for (int i = 0; i < 100; i++)
		wr(&r, DATA, 0xf2);
	int n = 0;
	while (read_reply(&r) >= 0)
		n++;
	CHECK(n > 0 && n <= 16);
	i8042_destroy(r.dev);
}

static void test_aux_loop(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, CMD, 0xd3);
	wr(&r, DATA, 0x5a);
	CHECK_EQ(rd(&r, CMD) & 0x21, 0x21);	/* OBF + AUX data */
	CHECK_EQ(r.irq.pulses, 0);		/* no IRQ 12 line */
	CHECK_EQ(rd(&r, DATA), 0x5a);
	wr(&r, CMD, 0xd2);
	wr(&r, DATA, 0x1c);
	CHECK_EQ(rd(&r, CMD) & 0x21, 0x01);
	CHECK_EQ(r.irq.pulses, 1);
	CHECK_EQ(rd(&r, DATA), 0x1c);
	i8042_destroy(r.dev);
}

static void test_reset(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, CMD, 0xd0);
	CHECK_EQ(read_reply(&r) & 0x03, 0x03);	/* reset line high, A20 on */
	wr(&r, CMD, 0xfe);
	CHECK_EQ(r.power.reset, 1);
	CHECK_EQ(r.power.off, 0);
	wr(&r, CMD, 0xff);	/* pulses no line */
	CHECK_EQ(r.power.reset, 1);
	/* Output port write with bit 0 clear asserts reset. */
	wr(&r, CMD, 0xd1);
	wr(&r, DATA, 0x03);
	CHECK_EQ(r.power.reset, 1);
	wr(&r, CMD, 0xd1);
	wr(&r, DATA, 0x02);
	CHECK_EQ(r.power.reset, 2);
	i8042_destroy(r.dev);
}

static void test_access_widths(void)
{
	struct rig r;
	uint32_t v = 0;

	rig_init(&r);
	i8042_ops.read(r.dev, CMD, &v, 4);
	CHECK_EQ(v, 0xffffff14);
	i8042_ops.read(r.dev, 1, &v, 4);	/* 0x61: not ours */
	CHECK_EQ(v, 0xffffffff);
	v = 0xaa;
	i8042_ops.write(r.dev, CMD, &v, 4);
	CHECK_EQ(read_reply(&r), 0x55);
	i8042_destroy(r.dev);
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static void test_random_access(void)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	struct rig r;

	rig_init(&r);
	for (int i = 0; i < 300000; i++) {
		uint64_t x = test_rand(&rng_state), val = test_rand(&rng_state);
		/* Mostly the two real ports, so command sequences happen. */
		uint64_t off = (x & 3) ? ((x >> 2) & 1) * 4 : (x >> 3) % 8;
		uint32_t len = widths[(x >> 8) % 4];

		if ((x >> 16) % 3)
			i8042_ops.read(r.dev, off, &val, len);
		else
			i8042_ops.write(r.dev, off, &val, len);
	}
	CHECK(r.power.reset > 0);	/* random commands do hit 0xfe */
	CHECK_EQ(r.irq.level, 0);
	i8042_destroy(r.dev);
}

TEST_MAIN(test_self_test, test_command_byte, test_keyboard, test_aux_loop, test_reset,
	  test_access_widths, test_random_access)
