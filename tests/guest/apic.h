/* SPDX-License-Identifier: MIT */
/* Local APIC and IOAPIC programming from user mode (their pages are U, UC). */
#ifndef VESSEL_GUEST_APIC_H
#define VESSEL_GUEST_APIC_H

#include <stdint.h>

/* Software-enable the LAPIC (xAPIC MMIO), mask LINT0, accept all priorities. */
void lapic_init(uint64_t lapic_gpa);
uint32_t lapic_id(void);
/* INIT, then two SIPIs to vector, as in the MP spec. */
void lapic_start_ap(uint32_t apic_id, uint8_t sipi_vector);
/* Route a GSI to vector on the CPU with dest_apic_id; flags are MPS INTI flags. */
int ioapic_route(uint64_t ioapic_gpa, uint32_t gsi_base, uint32_t gsi,
		 uint16_t flags, uint8_t vector, uint32_t dest_apic_id);

/* Fire vector once after about count ns (0 cancels). */
void lapic_timer_oneshot(uint8_t vector, uint32_t count);

#endif
