/* SPDX-License-Identifier: MIT */
/*
 * What the guest keeps from boot_params or the PVH hvm_start_info, copied
 * in user mode before anything can overwrite it.
 */
#ifndef VESSEL_GUEST_BOOTINFO_H
#define VESSEL_GUEST_BOOTINFO_H

#include <stdbool.h>
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
	uint32_t entry;			/* 64, 32, 16 or BOOT_ENTRY_PVH */
	uint64_t boot_params_gpa;	/* boot_params, or hvm_start_info for PVH */
	uint64_t rsdp_gpa;		/* acpi_rsdp_addr / rsdp_paddr, 0 if unset */
	char cmdline[CMDLINE_MAX];
	uint32_t e820_count;
	struct e820_entry e820[E820_MAX];
	uint64_t ram_total;		/* sum of type-1 sizes */
	uint64_t ram_top;		/* end of the highest type-1 range */
	uint64_t initrd_gpa;		/* ramdisk_image or PVH module 0 */
	uint64_t initrd_size;		/* 0: none */
	const char *error;		/* printed once the console is up */
};

extern struct bootinfo bootinfo;

void bootinfo_copy(void);

/* True if [gpa, gpa + size) lies inside one type-1 e820 range. */
bool bootinfo_is_ram(uint64_t gpa, uint64_t size);

/*
 * Room for a memory workload (memtick, memdirty): *start is the first 2 MiB
 * boundary above the image; true if size bytes from there are RAM.
 */
bool bootinfo_scratch_ram(uint64_t size, uint64_t *start);

/* Shared by the boot_params and PVH parsers. */
void bootinfo_set_cmdline(uint64_t gpa);
void bootinfo_add_e820(uint64_t addr, uint64_t size, uint32_t type);
void bootinfo_copy_pvh(const uint8_t *start_info);

#endif
