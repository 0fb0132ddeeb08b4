/* SPDX-License-Identifier: MIT */
/*
 * CPU tables that user mode fills in at native speed: the IDT (loaded but
 * empty when the kernel drops to CPL3) and page tables for RAM above 4 GiB.
 */
#ifndef VESSEL_GUEST_CPU_H
#define VESSEL_GUEST_CPU_H

#include <stdint.h>

void idt_fill(void);
/* Identity map [4 GiB, top) with 2 MiB user pages. 0, or -1 if top is too high. */
int paging_map_high(uint64_t top);
/* Map [gpa, gpa + size) uncached (below 64 GiB; RAM pages stay cached). 0 or -1. */
int paging_map_mmio(uint64_t gpa, uint64_t size);

#endif
