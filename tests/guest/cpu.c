// SPDX-License-Identifier: MIT
/* IDT gates and high page tables, written from user mode (everything is U). */
#include "bootinfo.h"
#include "cpu.h"
#include "guest.h"
#include "lib.h"
#include "sys.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

extern struct idt_gate idt[256];
extern char isr_exc_stubs[], gp_entry[], ud_entry[], irq_eoi_entry[], irq_spurious_entry[], syscall_entry[];
extern char irq_counted_stubs[];
extern uint64_t pdpt[512];
extern uint64_t extra_pds[EXTRA_PDS][512];

static void idt_set(uint32_t vec, const void *handler, uint32_t dpl)
{
	uint64_t addr = (uintptr_t)handler;
	struct idt_gate *g = &idt[vec];

	g->offset_lo = (uint16_t)addr;
	g->selector = SEL_KCODE;
	g->ist = 0;
	g->type_attr = 0x8e | (dpl << 5);	/* present interrupt gate: IF cleared */
	g->offset_mid = (uint16_t)(addr >> 16);
	g->offset_hi = (uint32_t)(addr >> 32);
	g->reserved = 0;
}

void idt_fill(void)
{
	uint32_t v;

	for (v = 0; v < 32; v++)
		idt_set(v, isr_exc_stubs + 16 * v, 0);
	idt_set(6, ud_entry, 0);
	idt_set(13, gp_entry, 0);
	for (v = 32; v < 256; v++)
		idt_set(v, irq_eoi_entry, 0);
	for (v = 0; v < VEC_COUNTED_NUM; v++)
		idt_set(VEC_COUNTED_BASE + v, irq_counted_stubs + 16 * v, 0);
	idt_set(VEC_SPURIOUS, irq_spurious_entry, 0);
	idt_set(VEC_SYSCALL, syscall_entry, 3);
}

/*
 * The new PDPT entries were not present before, and the CPU caches no
 * not-present entries, so no TLB flush (a CPL0 job) is needed.
 */
int paging_map_high(uint64_t top)
{
	uint64_t gib, gib_top = (top + (1ULL << 30) - 1) >> 30;
	uint32_t i;
	int ret = 0;

	if (gib_top > 4 + EXTRA_PDS) {
		gib_top = 4 + EXTRA_PDS;
		ret = -1;
	}
	for (gib = 4; gib < gib_top; gib++) {
		uint64_t *pd = extra_pds[gib - 4];

		for (i = 0; i < 512; i++)
			pd[i] = (gib << 30) + ((uint64_t)i << 21) + PDE_FLAGS;
		barrier();
		pdpt[gib] = (uintptr_t)pd + PTE_TABLE;
	}
	barrier();
	return ret;
}

#define PAGE_2M	(1ULL << 21)

static bool paging_overlaps_ram(uint64_t gpa, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < bootinfo.e820_count; i++) {
		const struct e820_entry *e = &bootinfo.e820[i];

		if (e->type == E820_RAM && e->addr < gpa + size && gpa < e->addr + e->size)
			return true;
	}
	return false;
}

/*
 * MMIO (ECAM, BARs) wants uncached pages; the static tables only make the top
 * 32 MiB UC. 2 MiB pages shared with RAM stay cached: an access to a hole
 * exits to the VMM whatever the memory type, and RAM must stay fast.
 */
int paging_map_mmio(uint64_t gpa, uint64_t size)
{
	uint64_t page, end = gpa + size;
	bool flush = false;

	if (!size || end < gpa || end > ((4ULL + EXTRA_PDS) << 30))
		return -1;
	for (page = gpa & ~(PAGE_2M - 1); page < end; page += PAGE_2M) {
		uint64_t gib = page >> 30, entry = page | PDE_FLAGS | PDE_UC;
		uint32_t idx = (page >> 21) & 511;
		uint64_t *pd;

		if (!(pdpt[gib] & 1)) {
			/* Not present before: nothing cached, no flush needed. */
			pd = extra_pds[gib - 4];
			memset(pd, 0, 4096);
			barrier();
			pdpt[gib] = (uintptr_t)pd + PTE_TABLE;
		}
		pd = (uint64_t *)(uintptr_t)(pdpt[gib] & ~0xfffULL);
		if (paging_overlaps_ram(page, PAGE_2M) || pd[idx] == entry)
			continue;
		if (pd[idx] & 1)
			flush = true;
		pd[idx] = entry;
	}
	barrier();
	if (flush)
		sys_call(SYS_FLUSH_TLB);
	return 0;
}
