// SPDX-License-Identifier: MIT
/* LAPIC/IOAPIC: every register access below is an MMIO exit, keep them few. */
#include "apic.h"
#include "guest.h"
#include "sys.h"

#define LAPIC_ID	0x020
#define LAPIC_TPR	0x080
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LINT0	0x350
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_DCR	0x3e0
#define LAPIC_DCR_DIV1	0xb
#define ICR_INIT	0x00004500	/* INIT, level assert */
#define ICR_SIPI	0x00004600	/* start-up, level assert */

#define IOAPIC_INDEX	0x00
#define IOAPIC_DATA	0x10
#define IOREDTBL(pin)	(0x10 + 2 * (pin))

/* Read by the CPL0 interrupt stubs (isr.S). */
extern uint64_t lapic_eoi_reg;

static uint64_t lapic_base = 0xfee00000;

void lapic_init(uint64_t lapic_gpa)
{
	lapic_base = lapic_gpa;
	lapic_eoi_reg = lapic_gpa + 0xb0;
	mmio_write32(lapic_base + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	mmio_write32(lapic_base + LAPIC_TPR, 0);
	/* Virtual-wire LINT0 would deliver the 8259's ExtINT; we use the IOAPIC. */
	mmio_write32(lapic_base + LAPIC_LINT0, 0x10000);
}

uint32_t lapic_id(void)
{
	return mmio_read32(lapic_base + LAPIC_ID) >> 24;
}

void lapic_start_ap(uint32_t apic_id, uint8_t sipi_vector)
{
	mmio_write32(lapic_base + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(lapic_base + LAPIC_ICR_LO, ICR_INIT);
	tsc_delay(200000);
	mmio_write32(lapic_base + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(lapic_base + LAPIC_ICR_LO, ICR_SIPI | sipi_vector);
	tsc_delay(50000);
	mmio_write32(lapic_base + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(lapic_base + LAPIC_ICR_LO, ICR_SIPI | sipi_vector);
}

int ioapic_route(uint64_t ioapic_gpa, uint32_t gsi_base, uint32_t gsi,
		 uint16_t flags, uint8_t vector, uint32_t dest_apic_id)
{
	uint32_t pin, lo = vector;

	if (!ioapic_gpa || gsi < gsi_base)
		return -1;
	pin = gsi - gsi_base;
	/* MPS INTI flags: polarity bits 0-1 (3 = active low), trigger 2-3 (3 = level). */
	if ((flags & 3) == 3)
		lo |= 1u << 13;
	if (((flags >> 2) & 3) == 3)
		lo |= 1u << 15;
	mmio_write32(ioapic_gpa + IOAPIC_INDEX, IOREDTBL(pin) + 1);
	mmio_write32(ioapic_gpa + IOAPIC_DATA, dest_apic_id << 24);
	mmio_write32(ioapic_gpa + IOAPIC_INDEX, IOREDTBL(pin));
	mmio_write32(ioapic_gpa + IOAPIC_DATA, lo);
	return 0;
}

/*
 * One-shot timer; KVM's LAPIC (in-kernel and QEMU's) counts at 1 GHz, so
 * count is about nanoseconds. The DCR/LVT writes are skipped once set.
 */
void lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
	static uint8_t armed_vector;

	if (armed_vector != vector) {
		mmio_write32(lapic_base + LAPIC_TIMER_DCR, LAPIC_DCR_DIV1);
		mmio_write32(lapic_base + LAPIC_LVT_TIMER, vector);
		armed_vector = vector;
	}
	mmio_write32(lapic_base + LAPIC_TIMER_ICR, count);
}
