/* SPDX-License-Identifier: MIT */
/* What the guest keeps from boot_params, copied before anything can overwrite it. */
#ifndef VESSEL_GUEST_BOOTINFO_H
#define VESSEL_GUEST_BOOTINFO_H

#include <stdint.h>

#define E820_MAX	128
#define E820_RAM	1
#define CMDLINE_MAX	4096

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct bootinfo {
	uint32_t entry;			/* 64, 32 or 16 */
	uint64_t boot_params_gpa;
	uint64_t rsdp_gpa;		/* boot_params.acpi_rsdp_addr, 0 if unset */
	char cmdline[CMDLINE_MAX];
	uint32_t e820_count;
	struct e820_entry e820[E820_MAX];
	uint64_t ram_total;		/* sum of type-1 sizes */
	uint64_t ram_top;		/* end of the highest type-1 range */
};

extern struct bootinfo bootinfo;

void bootinfo_copy(void);

#endif
