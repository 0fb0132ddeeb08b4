// SPDX-License-Identifier: MIT
/* Linux boot_params ("zero page") parsing. */
#include "bootinfo.h"
#include "lib.h"

/* Set by head.S at CPL0. */
extern uint64_t boot_params_gpa;
extern uint32_t boot_entry;

#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_CMD_LINE_PTR		0x228
#define BP_E820_TABLE		0x2d0

struct bootinfo bootinfo;

static uint32_t bp_read32(const uint8_t *bp, uint32_t off)
{
	uint32_t v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

void bootinfo_copy(void)
{
	const uint8_t *bp = (const uint8_t *)(uintptr_t)boot_params_gpa;
	uint64_t cmdline_gpa;
	uint32_t i, n;

	bootinfo.entry = boot_entry;
	bootinfo.boot_params_gpa = boot_params_gpa;
	memcpy(&bootinfo.rsdp_gpa, bp + BP_ACPI_RSDP_ADDR, 8);

	cmdline_gpa = bp_read32(bp, BP_CMD_LINE_PTR) |
		      (uint64_t)bp_read32(bp, BP_EXT_CMD_LINE_PTR) << 32;
	if (cmdline_gpa) {
		const char *src = (const char *)(uintptr_t)cmdline_gpa;

		for (i = 0; i < CMDLINE_MAX - 1 && src[i]; i++)
			bootinfo.cmdline[i] = src[i];
		bootinfo.cmdline[i] = '\0';
	}

	n = bp[BP_E820_ENTRIES];
	if (n > E820_MAX)
		n = E820_MAX;
	for (i = 0; i < n; i++) {
		struct e820_entry *e = &bootinfo.e820[i];
		const uint8_t *src = bp + BP_E820_TABLE + 20 * i;

		memcpy(&e->addr, src, 8);
		memcpy(&e->size, src + 8, 8);
		memcpy(&e->type, src + 16, 4);
		if (e->type == E820_RAM) {
			bootinfo.ram_total += e->size;
			if (e->addr + e->size > bootinfo.ram_top)
				bootinfo.ram_top = e->addr + e->size;
		}
	}
	bootinfo.e820_count = n;
}
