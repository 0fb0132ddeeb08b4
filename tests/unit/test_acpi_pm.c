/* SPDX-License-Identifier: MIT */
/* ACPI PM: S5 via sleep control, reset register. */
#include <string.h>

#include "arch/x86/layout.h"
#include "devices/legacy/legacy.h"
#include "fake_power.h"
#include "test.h"

#define SLEEP_CTL (LAYOUT_PORT_ACPI_SLEEP_CTL - LAYOUT_PORT_ACPI_SLEEP_CTL)
#define SLEEP_STS (LAYOUT_PORT_ACPI_SLEEP_STS - LAYOUT_PORT_ACPI_SLEEP_CTL)
#define RESET_REG (LAYOUT_PORT_ACPI_RESET - LAYOUT_PORT_ACPI_SLEEP_CTL)

static struct acpi_pm *pm_new(struct fake_power *p)
{
	struct acpi_pm *pm;

	memset(p, 0, sizeof(*p));
	pm = acpi_pm_create((struct power_handler){ .request = fake_power_request, .ctx = p });
	CHECK(pm != NULL);
	return pm;
}

static void wr(struct acpi_pm *pm, uint64_t off, uint8_t v)
{
	acpi_pm_ops.write(pm, off, &v, 1);
}

static uint8_t rd(struct acpi_pm *pm, uint64_t off)
{
	uint8_t v;

	acpi_pm_ops.read(pm, off, &v, 1);
	return v;
}

static void test_s5(void)
{
	struct fake_power p;
	struct acpi_pm *pm = pm_new(&p);

	CHECK_EQ(ACPI_PM_PORT_LEN, 3);
	CHECK_EQ(RESET_REG, 2);
	/* SLP_TYP without SLP_EN: nothing yet (Linux writes both at once, but
	 * the spec allows setting the type first). */
	wr(pm, SLEEP_CTL, LAYOUT_ACPI_SLP_TYP_S5 << 2);
	CHECK_EQ(p.off, 0);
	CHECK_EQ(rd(pm, SLEEP_CTL), LAYOUT_ACPI_SLP_TYP_S5 << 2);
	wr(pm, SLEEP_CTL, (LAYOUT_ACPI_SLP_TYP_S5 << 2) | 0x20);
	CHECK_EQ(p.off, 1);
	CHECK_EQ(p.reset, 0);
	/* SLP_EN reads back as 0. */
	CHECK_EQ(rd(pm, SLEEP_CTL) & 0x20, 0);
	CHECK_EQ(rd(pm, SLEEP_STS), 0);
	/* Other sleep types are ignored. */
	for (uint8_t typ = 0; typ < 8; typ++)
		if (typ != LAYOUT_ACPI_SLP_TYP_S5)
			wr(pm, SLEEP_CTL, (uint8_t)((typ << 2) | 0x20));
	CHECK_EQ(p.off, 1);
	/* A 16-bit write acts on the first byte. */
	uint16_t w = (LAYOUT_ACPI_SLP_TYP_S5 << 2) | 0x20 | 0xff00;
	acpi_pm_ops.write(pm, SLEEP_CTL, &w, 2);
	CHECK_EQ(p.off, 2);
	acpi_pm_destroy(pm);
}

static void test_reset(void)
{
	struct fake_power p;
	struct acpi_pm *pm = pm_new(&p);
	uint32_t v;

	wr(pm, RESET_REG, 0x00);
	wr(pm, RESET_REG, 0x06);
	CHECK_EQ(p.reset, 0);
	wr(pm, RESET_REG, LAYOUT_ACPI_RESET_VALUE);
	CHECK_EQ(p.reset, 1);
	CHECK_EQ(p.off, 0);
	wr(pm, SLEEP_STS, 0xff);
	CHECK_EQ(p.reset + p.off, 1);
	acpi_pm_ops.read(pm, RESET_REG, &v, 4);
	CHECK_EQ(v, 0xffffff00);
	acpi_pm_ops.read(pm, 3, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	acpi_pm_destroy(pm);
}

static uint64_t rng_state = 0xa4093822299f31d0ULL;

static void test_random_access(void)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	struct fake_power p;
	struct acpi_pm *pm = pm_new(&p);

	for (int i = 0; i < 300000; i++) {
		uint64_t x = test_rand(&rng_state), val = test_rand(&rng_state);
		uint64_t off = x % 5;
		uint32_t len = widths[(x >> 8) % 4];

		if ((x >> 16) & 1)
			acpi_pm_ops.read(pm, off, &val, len);
		else
			acpi_pm_ops.write(pm, off, &val, len);
	}
	CHECK(p.off > 0 && p.reset > 0);
	acpi_pm_destroy(pm);
}

TEST_MAIN(test_s5, test_reset, test_random_access)
