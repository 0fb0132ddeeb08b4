/* SPDX-License-Identifier: MIT */
/*
 * PCI bus: config space through 0xCF8/0xCFC and ECAM (driven through real
 * struct bus dispatch, as a vCPU exit would), BAR sizing and placement,
 * BAR window dispatch, capabilities, RW1C, and random accesses.
 */
#include "arch/x86/layout.h"
#include "core/bus.h"
#include "pci/pci.h"
#include "test.h"

#include <errno.h>
#include <string.h>

#define TEST_BAR64_SIZE 0x4000ULL       /* BAR 0-1 */
#define TEST_BAR32_SIZE 0x1000ULL       /* BAR 2 */
#define CF8 0xcf8
#define CFC 0xcfc

struct test_dev {
	struct pci_dev pci;
	uint8_t bar_mem[PCI_NUM_BARS][0x4000];
	uint32_t nr_reads, nr_writes;
	int last_bar;
	uint64_t last_offset;
	uint32_t nr_mapped;
	uint64_t mapped[PCI_NUM_BARS];
	uint32_t nr_config_written;
};

struct env {
	struct bus pio, mmio;
	struct pci_bus pci;
	struct test_dev dev;
};

static void test_bar_read(struct pci_dev *dev, int bar, uint64_t offset, void *data, uint32_t len)
{
	struct test_dev *t = dev->opaque;

	t->nr_reads++;
	t->last_bar = bar;
	t->last_offset = offset;
	memcpy(data, &t->bar_mem[bar][offset], len);
}

static void test_bar_write(struct pci_dev *dev, int bar, uint64_t offset, const void *data, uint32_t len)
{
	struct test_dev *t = dev->opaque;

	t->nr_writes++;
	t->last_bar = bar;
	t->last_offset = offset;
	memcpy(&t->bar_mem[bar][offset], data, len);
}

static void test_bar_mapped(struct pci_dev *dev, int bar, uint64_t gpa)
{
	struct test_dev *t = dev->opaque;

	t->nr_mapped++;
	t->mapped[bar] = gpa;
}

static void test_config_written(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	struct test_dev *t = dev->opaque;

	t->nr_config_written++;
}

static const struct pci_dev_ops test_ops = {
	.bar_read = test_bar_read,
	.bar_write = test_bar_write,
	.config_written = test_config_written,
	.bar_mapped = test_bar_mapped,
};

static void env_init(struct env *e)
{
	static const uint8_t vcap[8] = { PCI_CAP_ID_VNDR, 0xaa, 8, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t vcap_wmask[8] = { 0xff, 0xff, 0, 0xff, 0, 0, 0, 0 };
	static const uint8_t vcap2[4] = { PCI_CAP_ID_VNDR, 0, 4, 0x66 };

	memset(e, 0, sizeof(*e));
	CHECK_EQ(pci_bus_init(&e->pci, &e->pio, &e->mmio), 0);
	pci_dev_init(&e->dev.pci, 0x1af4, 0x1044, 0xff0000, 1, 0x1af4, 0x0004, &test_ops, &e->dev);
	CHECK_EQ(pci_dev_add_bar(&e->dev.pci, 0, TEST_BAR64_SIZE, true), 0);
	CHECK_EQ(pci_dev_add_bar(&e->dev.pci, 2, TEST_BAR32_SIZE, false), 0);
	CHECK_EQ(pci_dev_add_cap(&e->dev.pci, vcap, sizeof(vcap), vcap_wmask), 0x40);
	CHECK_EQ(pci_dev_add_cap(&e->dev.pci, vcap2, sizeof(vcap2), NULL), 0x48);
	CHECK_EQ(pci_bus_add(&e->pci, &e->dev.pci), 0);
}

static void env_destroy(struct env *e)
{
	pci_bus_destroy(&e->pci);
	bus_destroy(&e->pio);
	bus_destroy(&e->mmio);
}

static uint32_t cf8_addr(uint8_t slot, uint8_t fn, uint32_t reg)
{
	return 0x80000000u | (uint32_t)slot << 11 | (uint32_t)fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read_io(struct env *e, uint8_t slot, uint8_t fn, uint32_t reg, uint32_t len)
{
	uint32_t addr = cf8_addr(slot, fn, reg), val = 0;

	bus_write(&e->pio, CF8, &addr, 4);
	bus_read(&e->pio, CFC + (reg & 3), &val, len);
	return val;
}

static void cfg_write_io(struct env *e, uint8_t slot, uint8_t fn, uint32_t reg, uint32_t val, uint32_t len)
{
	uint32_t addr = cf8_addr(slot, fn, reg);

	bus_write(&e->pio, CF8, &addr, 4);
	bus_write(&e->pio, CFC + (reg & 3), &val, len);
}

static uint64_t ecam_gpa(uint8_t slot, uint8_t fn, uint32_t reg)
{
	return LAYOUT_PCI_ECAM_GPA + ((uint64_t)slot << 15 | (uint64_t)fn << 12 | reg);
}

static uint32_t cfg_read_ecam(struct env *e, uint8_t slot, uint8_t fn, uint32_t reg, uint32_t len)
{
	uint32_t val = 0;

	bus_read(&e->mmio, ecam_gpa(slot, fn, reg), &val, len);
	return val;
}

static void cfg_write_ecam(struct env *e, uint8_t slot, uint32_t reg, uint32_t val, uint32_t len)
{
	bus_write(&e->mmio, ecam_gpa(slot, 0, reg), &val, len);
}

static uint32_t mmio_read32(struct env *e, uint64_t gpa)
{
	uint32_t val = 0;

	bus_read(&e->mmio, gpa, &val, 4);
	return val;
}

static void test_header(void)
{
	struct env e;

	env_init(&e);
	/* Host bridge at slot 0. */
	CHECK_EQ(cfg_read_io(&e, 0, 0, PCI_VENDOR_ID, 2), 0x8086);
	CHECK_EQ(cfg_read_io(&e, 0, 0, 0x08, 4) >> 8, 0x060000);
	CHECK_EQ(cfg_read_io(&e, 0, 0, PCI_HEADER_TYPE, 1), 0);
	/* The test device at slot 1. */
	CHECK_EQ(e.dev.pci.slot, 1);
	CHECK_EQ(cfg_read_io(&e, 1, 0, 0, 4), 0x10441af4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_REVISION_ID, 1), 1);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_CLASS_PROG, 1), 0x00);
	CHECK_EQ(cfg_read_io(&e, 1, 0, 0x0a, 2), 0xff00);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_SUBSYSTEM_ID, 2), 0x0004);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_INTERRUPT_PIN, 1), 0);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY, PCI_COMMAND_MEMORY);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	/* Sub-dword reads at every byte lane agree with the dword. */
	for (uint32_t reg = 0; reg < 0x40; reg += 4) {
		uint32_t dw = cfg_read_io(&e, 1, 0, reg, 4);

		for (uint32_t b = 0; b < 4; b++)
			CHECK_EQ(cfg_read_io(&e, 1, 0, reg + b, 1), (dw >> (8 * b)) & 0xff);
		CHECK_EQ(cfg_read_io(&e, 1, 0, reg + 2, 2), dw >> 16);
	}
	/* The 0xCF8 latch reads back; byte writes do not latch. */
	{
		uint32_t latch = 0x80000800, v = 0;
		uint8_t b = 0x01;

		bus_write(&e.pio, CF8, &latch, 4);
		bus_write(&e.pio, CF8 + 3, &b, 1);
		bus_read(&e.pio, CF8, &v, 4);
		CHECK_EQ(v, latch);
		/* Enable bit clear: data port reads all ones. */
		latch = 0x00000800;
		bus_write(&e.pio, CF8, &latch, 4);
		v = 0;
		bus_read(&e.pio, CFC, &v, 4);
		CHECK_EQ(v, 0xffffffff);
	}
	env_destroy(&e);
}

static void test_io_ecam_agree(void)
{
	struct env e;

	env_init(&e);
	for (uint8_t slot = 0; slot < 4; slot++)
		for (uint32_t reg = 0; reg < 256; reg += 4)
			CHECK_EQ(cfg_read_io(&e, slot, 0, reg, 4), cfg_read_ecam(&e, slot, 0, reg, 4));
	/* A write through one shows through the other. */
	cfg_write_ecam(&e, 1, PCI_INTERRUPT_LINE, 0x0b, 1);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_INTERRUPT_LINE, 1), 0x0b);
	cfg_write_io(&e, 1, 0, PCI_INTERRUPT_LINE, 0x0c, 1);
	CHECK_EQ(cfg_read_ecam(&e, 1, 0, PCI_INTERRUPT_LINE, 1), 0x0c);
	/* Extended config space exists (reads 0) on present functions. */
	CHECK_EQ(cfg_read_ecam(&e, 1, 0, 0x100, 4), 0);
	/* ECAM accesses crossing a dword read all ones. */
	CHECK_EQ(cfg_read_ecam(&e, 1, 0, 0x03, 2), 0xffff);
	CHECK(e.dev.nr_config_written >= 2);
	env_destroy(&e);
}

static void test_absent(void)
{
	struct env e;

	env_init(&e);
	for (uint8_t slot = 2; slot < PCI_MAX_SLOTS; slot++) {
		CHECK_EQ(cfg_read_io(&e, slot, 0, 0, 2), 0xffff);
		CHECK_EQ(cfg_read_ecam(&e, slot, 0, 0, 2), 0xffff);
	}
	for (uint8_t fn = 1; fn < 8; fn++) {
		CHECK_EQ(cfg_read_io(&e, 1, fn, 0, 2), 0xffff);
		CHECK_EQ(cfg_read_ecam(&e, 1, fn, 0, 4), 0xffffffff);
		cfg_write_io(&e, 1, fn, PCI_COMMAND, 0, 2);
	}
	/* Writes to other functions did not reach function 0. */
	CHECK(cfg_read_io(&e, 1, 0, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	/* Other buses. */
	{
		uint32_t addr = 0x80000000u | 1u << 16, v = 0;

		bus_write(&e.pio, CF8, &addr, 4);
		bus_read(&e.pio, CFC, &v, 2);
		CHECK_EQ(v, 0xffff);
	}
	/* Direct calls with nonsense slot/offset/len. */
	{
		uint8_t v[8];

		pci_config_read(&e.pci, 200, 0, v, 4);
		CHECK_EQ(v[0], 0xff);
		pci_config_read(&e.pci, 1, 4095, v, 4);
		CHECK_EQ(v[3], 0xff);
		pci_config_read(&e.pci, 1, 0, v, 8);
		CHECK_EQ(v[7], 0xff);
		pci_config_write(&e.pci, 1, 4094, v, 4);
	}
	env_destroy(&e);
}

static void test_bar_sizing(void)
{
	struct env e;
	uint32_t lo, hi, b2;

	env_init(&e);
	lo = cfg_read_io(&e, 1, 0, PCI_BAR0, 4);
	hi = cfg_read_io(&e, 1, 0, PCI_BAR0 + 4, 4);
	b2 = cfg_read_io(&e, 1, 0, PCI_BAR0 + 8, 4);
	/* Firmware-style placement: naturally aligned, in the window, flags kept. */
	CHECK_EQ(lo & 0xf, PCI_BAR_MEM_64);
	CHECK_EQ(hi, 0);
	CHECK_EQ((lo & ~0xfu) % TEST_BAR64_SIZE, 0);
	CHECK_EQ(lo & ~0xfu, LAYOUT_PCI_MMIO_GPA);
	CHECK_EQ(b2 & 0xf, 0);
	CHECK_EQ((b2 & ~0xfu) % TEST_BAR32_SIZE, 0);
	CHECK(b2 >= LAYOUT_PCI_MMIO_GPA + TEST_BAR64_SIZE);
	CHECK_EQ(e.dev.mapped[0], LAYOUT_PCI_MMIO_GPA);
	CHECK_EQ(e.dev.mapped[2], b2);
	CHECK_EQ(e.dev.nr_mapped, 2);

	/* Sizing the way Linux does it: memory decoding off, all ones, read back, restore. */
	cfg_write_io(&e, 1, 0, PCI_COMMAND, 0, 2);
	CHECK_EQ(e.dev.mapped[0], 0);
	CHECK_EQ(e.dev.mapped[2], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0, 0xffffffff, 4);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 4, 0xffffffff, 4);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, 0xffffffff, 4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_BAR0, 4), (uint32_t)~(TEST_BAR64_SIZE - 1) | PCI_BAR_MEM_64);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_BAR0 + 4, 4), 0xffffffff);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_BAR0 + 8, 4), (uint32_t)~(TEST_BAR32_SIZE - 1));
	/* Unimplemented BARs read 0 and stay 0. */
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 12, 0xffffffff, 4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_BAR0 + 12, 4), 0);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_BAR0 + 20, 4), 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0, lo, 4);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 4, hi, 4);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, b2, 4);
	CHECK_EQ(e.dev.mapped[0], 0);   /* still off */
	cfg_write_io(&e, 1, 0, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	CHECK_EQ(e.dev.mapped[0], LAYOUT_PCI_MMIO_GPA);
	CHECK_EQ(e.dev.mapped[2], b2);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* Command: I/O space and other bits are not writable. */
	cfg_write_io(&e, 1, 0, PCI_COMMAND, 0xffff, 2);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_COMMAND, 2),
		 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* Host bridge BARs do not exist. */
	cfg_write_io(&e, 0, 0, PCI_BAR0, 0xffffffff, 4);
	CHECK_EQ(cfg_read_io(&e, 0, 0, PCI_BAR0, 4), 0);
	env_destroy(&e);
}

static void test_bar_move(void)
{
	const uint64_t new32 = LAYOUT_PCI_MMIO_GPA + 0x100000;
	const uint64_t new64 = LAYOUT_PCI_MMIO_GPA + 0x200000;
	uint32_t before, b2;
	struct env e;

	env_init(&e);
	b2 = cfg_read_io(&e, 1, 0, PCI_BAR0 + 8, 4);
	e.dev.bar_mem[2][0x10] = 0x5a;
	CHECK_EQ(mmio_read32(&e, b2 + 0x10) & 0xff, 0x5a);
	CHECK_EQ(e.dev.last_bar, 2);
	CHECK_EQ(e.dev.last_offset, 0x10);

	/* Move BAR 2 while decoding: one callback with the new address. */
	before = e.dev.nr_mapped;
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, (uint32_t)new32, 4);
	CHECK_EQ(e.dev.nr_mapped, before + 1);
	CHECK_EQ(e.dev.mapped[2], new32);
	CHECK_EQ(mmio_read32(&e, new32 + 0x10) & 0xff, 0x5a);
	CHECK_EQ(mmio_read32(&e, b2 + 0x10), 0xffffffff);
	/* Rewriting the same value: no callback. */
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, (uint32_t)new32, 4);
	CHECK_EQ(e.dev.nr_mapped, before + 1);

	/* 64-bit BAR: low then high dword. */
	cfg_write_io(&e, 1, 0, PCI_BAR0, (uint32_t)new64, 4);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 4, 0, 4);
	CHECK_EQ(e.dev.mapped[0], new64);
	{
		uint32_t v = 0xdeadbeef;

		bus_write(&e.mmio, new64 + TEST_BAR64_SIZE - 4, &v, 4);
		CHECK_EQ(e.dev.last_bar, 0);
		CHECK_EQ(e.dev.last_offset, TEST_BAR64_SIZE - 4);
		CHECK_EQ(mmio_read32(&e, new64 + TEST_BAR64_SIZE - 4), 0xdeadbeef);
	}
	/* Above 4 GiB is outside the window: not decoding. */
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 4, 1, 4);
	CHECK_EQ(e.dev.mapped[0], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 4, 0, 4);
	CHECK_EQ(e.dev.mapped[0], new64);
	/* Straddling the end of the window: not decoding. */
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, (uint32_t)(LAYOUT_PCI_MMIO_GPA + LAYOUT_PCI_MMIO_SIZE), 4);
	CHECK_EQ(e.dev.mapped[2], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, 0, 4);
	CHECK_EQ(e.dev.mapped[2], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, (uint32_t)new32, 4);
	CHECK_EQ(e.dev.mapped[2], new32);
	env_destroy(&e);
}

/*
 * Firmware (SeaBIOS) places BARs itself, top down from 0xfec00000: the
 * second window decodes them, and the device hears of each move (virtio-pci
 * moves its ioeventfds then). Between the windows, nothing decodes.
 */
static void test_bar_window2(void)
{
	const uint64_t top = LAYOUT_PCI_MMIO2_GPA + LAYOUT_PCI_MMIO2_SIZE;
	const uint64_t fw64 = top - 0x8000, fw32 = top - 0x9000;
	uint32_t v = 0xcafef00d;
	struct env e;

	env_init(&e);
	/* As SeaBIOS does it: size (all ones), restore, then the new address, low dword first. */
	cfg_write_io(&e, 1, 0, PCI_BAR0, 0xffffffff, 4);
	CHECK_EQ(e.dev.mapped[0], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0, (uint32_t)fw64, 4);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 4, 0, 4);
	CHECK_EQ(e.dev.mapped[0], fw64);
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, (uint32_t)fw32, 4);
	CHECK_EQ(e.dev.mapped[2], fw32);
	bus_write(&e.mmio, fw64 + 0x100, &v, 4);
	CHECK_EQ(e.dev.last_bar, 0);
	CHECK_EQ(e.dev.last_offset, 0x100);
	CHECK_EQ(mmio_read32(&e, fw64 + 0x100), 0xcafef00d);
	e.dev.bar_mem[2][0x20] = 0x77;
	CHECK_EQ(mmio_read32(&e, fw32 + 0x20) & 0xff, 0x77);
	CHECK_EQ(e.dev.last_bar, 2);
	/* Window bytes no BAR decodes read as all ones. */
	CHECK_EQ(mmio_read32(&e, top - 4), 0xffffffff);
	/* Between the ECAM and the second window, or at the IOAPIC above it: no decoding. */
	cfg_write_io(&e, 1, 0, PCI_BAR0 + 8, (uint32_t)(LAYOUT_PCI_MMIO2_GPA - 0x1000), 4);
	CHECK_EQ(e.dev.mapped[2], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0, (uint32_t)top, 4);
	CHECK_EQ(e.dev.mapped[0], 0);
	cfg_write_io(&e, 1, 0, PCI_BAR0, (uint32_t)(LAYOUT_PCI_MMIO2_GPA + 0x4000), 4);
	CHECK_EQ(e.dev.mapped[0], LAYOUT_PCI_MMIO2_GPA + 0x4000);
	env_destroy(&e);
}

static void test_memory_off(void)
{
	uint32_t reads, writes, v = 0x12345678;
	uint64_t bar0;
	struct env e;

	env_init(&e);
	bar0 = e.dev.mapped[0];
	cfg_write_ecam(&e, 1, PCI_COMMAND, 0, 2);
	reads = e.dev.nr_reads;
	writes = e.dev.nr_writes;
	CHECK_EQ(mmio_read32(&e, bar0), 0xffffffff);
	bus_write(&e.mmio, bar0, &v, 4);
	CHECK_EQ(e.dev.nr_reads, reads);
	CHECK_EQ(e.dev.nr_writes, writes);
	cfg_write_ecam(&e, 1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CHECK_EQ(mmio_read32(&e, bar0), 0);
	CHECK_EQ(e.dev.nr_reads, reads + 1);
	/* An access straddling the end of a BAR reaches nobody. */
	{
		uint64_t q = 0;

		bus_read(&e.mmio, bar0 + TEST_BAR64_SIZE - 4, &q, 8);
		CHECK_EQ(q, UINT64_MAX);
		CHECK_EQ(e.dev.nr_reads, reads + 1);
	}
	/* Empty window space reads all ones. */
	CHECK_EQ(mmio_read32(&e, LAYOUT_PCI_MMIO_GPA + LAYOUT_PCI_MMIO_SIZE - 4), 0xffffffff);
	env_destroy(&e);
}

static void test_caps(void)
{
	uint8_t seen[2] = { 0 }, ptr;
	int n = 0;
	struct env e;

	env_init(&e);
	CHECK(cfg_read_io(&e, 1, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	ptr = (uint8_t)cfg_read_io(&e, 1, 0, PCI_CAPABILITY_LIST, 1);
	while (ptr && n < 48) {
		CHECK(ptr >= 0x40);
		CHECK_EQ(ptr % 4, 0);
		CHECK_EQ(cfg_read_io(&e, 1, 0, ptr, 1), PCI_CAP_ID_VNDR);
		if (n < 2)
			seen[n] = ptr;
		n++;
		ptr = (uint8_t)cfg_read_io(&e, 1, 0, ptr + 1, 1);
	}
	CHECK_EQ(n, 2);
	CHECK_EQ(seen[0], 0x40);
	CHECK_EQ(seen[1], 0x48);
	CHECK_EQ(cfg_read_io(&e, 1, 0, 0x40, 4), 0x11084809);
	/* The cap's wmask: byte 3 writable, id/next/len not. */
	cfg_write_io(&e, 1, 0, 0x40, 0xffffffff, 4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, 0x40, 4), 0xff084809);
	cfg_write_io(&e, 1, 0, 0x48, 0xffffffff, 4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, 0x48, 4), 0x66040009);
	/* The pointer register itself is read-only. */
	cfg_write_io(&e, 1, 0, PCI_CAPABILITY_LIST, 0x80, 1);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_CAPABILITY_LIST, 1), 0x40);
	/* Host bridge: no capabilities. */
	CHECK_EQ(cfg_read_io(&e, 0, 0, PCI_CAPABILITY_LIST, 1), 0);
	CHECK_EQ(cfg_read_io(&e, 0, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	env_destroy(&e);
}

static void test_cap_space(void)
{
	uint8_t cap[64] = { PCI_CAP_ID_VNDR };
	struct pci_dev dev;
	int n = 0, ret;

	pci_dev_init(&dev, 1, 2, 0, 0, 0, 0, NULL, NULL);
	while ((ret = pci_dev_add_cap(&dev, cap, sizeof(cap), NULL)) >= 0)
		n++;
	CHECK_EQ(ret, -ENOSPC);
	CHECK_EQ(n, 3);         /* 0x40, 0x80, 0xc0 */
	CHECK_EQ(pci_dev_add_cap(&dev, cap, 1, NULL), -ENOSPC);
	/* Bad BAR declarations. */
	CHECK_EQ(pci_dev_add_bar(&dev, 6, 4096, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 5, 4096, true), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, 4095, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, 2048, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, 0x3000, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, 4096, true), 0);
	CHECK_EQ(pci_dev_add_bar(&dev, 1, 4096, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, 4096, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&dev, 2, 4096, false), 0);
}

static void test_rw1c(void)
{
	struct env e;

	env_init(&e);
	/* A device latched "received master abort" (bit 13) and "detected parity" (bit 15). */
	e.dev.pci.config[PCI_STATUS + 1] |= 0xa0;
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_STATUS, 2), 0xa000 | PCI_STATUS_CAP_LIST);
	/* Writing 0 changes nothing; writing 1 to bit 13 clears only it. */
	cfg_write_io(&e, 1, 0, PCI_STATUS, 0, 2);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_STATUS, 2), 0xa000 | PCI_STATUS_CAP_LIST);
	cfg_write_io(&e, 1, 0, PCI_STATUS, 0x2000 | PCI_STATUS_CAP_LIST, 2);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_STATUS, 2), 0x8000 | PCI_STATUS_CAP_LIST);
	/* A dword write to command+status with status 0 leaves it. */
	cfg_write_io(&e, 1, 0, PCI_COMMAND, PCI_COMMAND_MEMORY, 4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_STATUS, 2), 0x8000 | PCI_STATUS_CAP_LIST);
	cfg_write_ecam(&e, 1, PCI_STATUS, 0xffff, 2);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	/* Read-only header fields ignore writes. */
	cfg_write_io(&e, 1, 0, PCI_VENDOR_ID, 0, 4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_VENDOR_ID, 4), 0x10441af4);
	env_destroy(&e);
}

static void test_bus_full(void)
{
	static struct pci_dev devs[PCI_MAX_SLOTS];
	struct bus pio = { 0 }, mmio = { 0 };
	struct pci_bus pci;
	struct pci_dev big;
	int i;

	CHECK_EQ(pci_bus_init(&pci, &pio, &mmio), 0);
	/* The host bridge claims the ports: a second bus cannot. */
	{
		struct pci_bus other;

		CHECK_EQ(pci_bus_init(&other, &pio, &mmio), -EEXIST);
	}
	/* A BAR larger than the window does not fit; the bus is left as it was. */
	pci_dev_init(&big, 1, 2, 0, 0, 0, 0, NULL, NULL);
	CHECK_EQ(pci_dev_add_bar(&big, 0, LAYOUT_PCI_MMIO_SIZE * 2, true), 0);
	CHECK_EQ(pci_bus_add(&pci, &big), -ENOSPC);
	CHECK_EQ(pci.mmio_next, LAYOUT_PCI_MMIO_GPA);
	for (i = 0; i < PCI_MAX_SLOTS; i++) {
		pci_dev_init(&devs[i], 1, 2, 0, 0, 0, 0, NULL, NULL);
		CHECK_EQ(pci_dev_add_bar(&devs[i], 0, 0x1000, false), 0);
		if (pci_bus_add(&pci, &devs[i]))
			break;
	}
	CHECK_EQ(i, PCI_MAX_SLOTS - 1);
	CHECK_EQ(devs[30].slot, 31);
	CHECK_EQ(devs[30].bars[0].mapped_gpa, LAYOUT_PCI_MMIO_GPA + 30 * 0x1000);
	/* No ops: BAR accesses read all ones, writes vanish. */
	{
		uint32_t v = 0;

		bus_read(&mmio, LAYOUT_PCI_MMIO_GPA, &v, 4);
		CHECK_EQ(v, 0xffffffff);
		bus_write(&mmio, LAYOUT_PCI_MMIO_GPA, &v, 4);
	}
	pci_bus_destroy(&pci);
	bus_destroy(&pio);
	bus_destroy(&mmio);
}

/* xorshift64: deterministic random accesses. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random(void)
{
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	struct env e;

	env_init(&e);
	for (int i = 0; i < 300000; i++) {
		uint64_t r = rng_next(&s), val = rng_next(&s);
		uint32_t len = lens[r & 3];
		bool write = r >> 2 & 1;
		uint64_t q = UINT64_MAX;

		switch (r >> 3 & 3) {
		case 0: {       /* ports 0xCF8-0xCFF */
			uint64_t port = CF8 + (r >> 5 & 7);

			if (len == 8)
				len = 4;
			if (r >> 8 & 1) {
				uint32_t a = 0x80000000u | (uint32_t)(r >> 9 & 0xffffff);

				bus_write(&e.pio, CF8, &a, 4);
			}
			if (write)
				bus_write(&e.pio, port, &val, len);
			else
				bus_read(&e.pio, port, &q, len);
			break;
		}
		case 1: {       /* ECAM */
			uint64_t gpa = LAYOUT_PCI_ECAM_GPA + (r >> 5) % (LAYOUT_PCI_ECAM_SIZE + 8);

			if (write)
				bus_write(&e.mmio, gpa, &val, len);
			else
				bus_read(&e.mmio, gpa, &q, len);
			break;
		}
		case 2: {       /* around the BARs */
			uint64_t gpa = LAYOUT_PCI_MMIO_GPA + (r >> 5) % 0x10000;

			if (write)
				bus_write(&e.mmio, gpa, &val, len);
			else
				bus_read(&e.mmio, gpa, &q, len);
			break;
		}
		default: {      /* direct, with arbitrary lengths and offsets */
			uint8_t buf[8];

			if (write)
				pci_config_write(&e.pci, (uint8_t)(r >> 5), (uint32_t)(r >> 13) & 0x1fff, &val,
						 (uint32_t)(r >> 40) & 7);
			else
				pci_config_read(&e.pci, (uint8_t)(r >> 5), (uint32_t)(r >> 13) & 0x1fff, buf, len);
			break;
		}
		}
	}
	/* Invariants the guest cannot break. */
	CHECK_EQ(cfg_read_io(&e, 1, 0, 0, 4), 0x10441af4);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_BAR0, 4) & 0xf, PCI_BAR_MEM_64);
	CHECK_EQ(cfg_read_io(&e, 1, 0, PCI_CAPABILITY_LIST, 1), 0x40);
	CHECK_EQ(cfg_read_io(&e, 0, 0, 0, 4), 0x0d578086);
	env_destroy(&e);
}

TEST_MAIN(test_header, test_io_ecam_agree, test_absent, test_bar_sizing, test_bar_move, test_bar_window2,
	  test_memory_off, test_caps, test_cap_space, test_rw1c, test_bus_full, test_random)
