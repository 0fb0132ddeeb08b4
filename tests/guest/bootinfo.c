// SPDX-License-Identifier: MIT
/* Linux boot_params ("zero page") parsing; PVH is in bootinfo_pvh.c. */
#include "bootinfo.h"
#include "guest.h"
#include "lib.h"

/* Set by head.S at CPL0. */
extern uint64_t boot_params_gpa;
extern uint32_t boot_entry;

#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_E820_TABLE		0x2d0

struct bootinfo bootinfo;

static uint32_t bp_read32(const uint8_t *bp, uint32_t off)
{
	uint32_t v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static uint64_t bp_read_split(const uint8_t *bp, uint32_t lo_off, uint32_t hi_off)
{
	return bp_read32(bp, lo_off) | (uint64_t)bp_read32(bp, hi_off) << 32;
}

void bootinfo_set_cmdline(uint64_t gpa)
{
	const char *src = (const char *)(uintptr_t)gpa;
	uint32_t i;

	if (!gpa)
		return;
	for (i = 0; i < CMDLINE_MAX - 1 && src[i]; i++)
		bootinfo.cmdline[i] = src[i];
	bootinfo.cmdline[i] = '\0';
}

void bootinfo_add_e820(uint64_t addr, uint64_t size, uint32_t type)
{
	struct e820_entry *e;

	if (bootinfo.e820_count >= E820_MAX)
		return;
	e = &bootinfo.e820[bootinfo.e820_count++];
	e->addr = addr;
	e->size = size;
	e->type = type;
	if (type == E820_RAM) {
		bootinfo.ram_total += size;
		if (addr + size > bootinfo.ram_top)
			bootinfo.ram_top = addr + size;
	}
}

bool bootinfo_is_ram(uint64_t gpa, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < bootinfo.e820_count; i++) {
		const struct e820_entry *e = &bootinfo.e820[i];

		if (e->type == E820_RAM && gpa >= e->addr && gpa - e->addr <= e->size &&
		    size <= e->size - (gpa - e->addr))
			return true;
	}
	return false;
}

static void bootinfo_copy_boot_params(const uint8_t *bp)
{
	uint32_t i, n;

	memcpy(&bootinfo.rsdp_gpa, bp + BP_ACPI_RSDP_ADDR, 8);
	bootinfo_set_cmdline(bp_read_split(bp, BP_CMD_LINE_PTR, BP_EXT_CMD_LINE_PTR));
	bootinfo.initrd_gpa = bp_read_split(bp, BP_RAMDISK_IMAGE, BP_EXT_RAMDISK_IMAGE);
	bootinfo.initrd_size = bp_read_split(bp, BP_RAMDISK_SIZE, BP_EXT_RAMDISK_SIZE);

	n = bp[BP_E820_ENTRIES];
	for (i = 0; i < n; i++) {
		const uint8_t *src = bp + BP_E820_TABLE + 20 * i;
		uint64_t addr, size;
		uint32_t type;

		memcpy(&addr, src, 8);
		memcpy(&size, src + 8, 8);
		memcpy(&type, src + 16, 4);
		bootinfo_add_e820(addr, size, type);
	}
}

void bootinfo_copy(void)
{
	const uint8_t *info = (const uint8_t *)(uintptr_t)boot_params_gpa;

	bootinfo.entry = boot_entry;
	bootinfo.boot_params_gpa = boot_params_gpa;
	if (boot_entry == BOOT_ENTRY_PVH)
		bootinfo_copy_pvh(info);
	else
		bootinfo_copy_boot_params(info);
}

bool bootinfo_scratch_ram(uint64_t size, uint64_t *start)
{
	extern char __image_end[];
	const uint64_t align = 2ULL << 20;

	*start = ((uintptr_t)__image_end + align - 1) & ~(align - 1);
	return bootinfo_is_ram(*start, size);
}
