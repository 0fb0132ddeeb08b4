/* SPDX-License-Identifier: MIT */
/* The guest's e820 memory map, derived from guest RAM and layout.h. */
#ifndef VESSEL_ARCH_X86_E820_H
#define VESSEL_ARCH_X86_E820_H

#include <stdint.h>

#include "core/guest_mem.h"

#define E820_RAM       1
#define E820_RESERVED  2
#define E820_ACPI      3

#define E820_MAX_ENTRIES 16

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/*
 * Fills map with the guest's memory map: RAM below the EBDA, reserved EBDA
 * to 1 MiB (ACPI tables live there), RAM from 1 MiB to the end of low RAM,
 * and RAM above 4 GiB. Returns the number of entries (or -ENOSPC).
 */
int e820_build(const struct guest_mem *mem, struct e820_entry *map, int max_entries);

#endif
