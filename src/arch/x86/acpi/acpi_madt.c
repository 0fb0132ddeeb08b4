/* SPDX-License-Identifier: MIT */
/*
 * MADT: one enabled local APIC per vCPU (ACPI processor UID = APIC id =
 * vCPU index), the single IOAPIC, and NMI on LINT1 of every local APIC.
 *
 * No interrupt source overrides: KVM's default GSI routing sends GSI n to
 * IOAPIC pin n for the 16 ISA IRQs (IRQ0 included), which is exactly the
 * identity mapping an OS assumes when no override is given; ISA IRQs keep
 * their bus default (edge, active high) polarity and trigger.
 */
#include "arch/x86/acpi/acpi_tables.h"
#include "arch/x86/layout.h"

#include <string.h>

/* KVM's in-kernel IOAPIC resets its ID register to 0. */
#define ACPI_MADT_IOAPIC_ID     0

/* xAPIC ids and MADT processor UIDs are 8 bits; 0xff means broadcast/all. */
_Static_assert(LAYOUT_MAX_CPUS <= 255, "vCPU index must fit an 8-bit APIC id below 0xff");
_Static_assert(LAYOUT_LAPIC_GPA <= UINT32_MAX && LAYOUT_IOAPIC_GPA <= UINT32_MAX,
	       "MADT holds 32-bit APIC addresses");

size_t acpi_madt_size(uint32_t nr_cpus)
{
	return sizeof(struct acpi_madt) + (size_t)nr_cpus * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic) + sizeof(struct acpi_madt_lapic_nmi);
}

void acpi_madt_write(void *dst, uint32_t nr_cpus)
{
	uint8_t *p = dst;
	size_t len = acpi_madt_size(nr_cpus);
	struct acpi_madt madt;
	struct acpi_madt_ioapic ioapic = {
		.type = ACPI_MADT_TYPE_IOAPIC,
		.length = sizeof(ioapic),
		.ioapic_id = ACPI_MADT_IOAPIC_ID,
		.address = (uint32_t)LAYOUT_IOAPIC_GPA,
		.gsi_base = 0,
	};
	struct acpi_madt_lapic_nmi nmi = {
		.type = ACPI_MADT_TYPE_LAPIC_NMI,
		.length = sizeof(nmi),
		.processor_uid = ACPI_MADT_ALL_PROCESSORS,
		.flags = 0,
		.lint = 1,
	};

	acpi_table_init_header(&madt.header, "APIC", (uint32_t)len, ACPI_MADT_REVISION);
	madt.lapic_address = (uint32_t)LAYOUT_LAPIC_GPA;
	madt.flags = ACPI_MADT_PCAT_COMPAT;
	memcpy(p, &madt, sizeof(madt));
	p += sizeof(madt);

	for (uint32_t i = 0; i < nr_cpus; i++) {
		struct acpi_madt_lapic lapic = {
			.type = ACPI_MADT_TYPE_LAPIC,
			.length = sizeof(lapic),
			.processor_uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = ACPI_MADT_LAPIC_ENABLED,
		};

		memcpy(p, &lapic, sizeof(lapic));
		p += sizeof(lapic);
	}
	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	memcpy(p, &nmi, sizeof(nmi));

	acpi_table_set_checksum(dst, len);
}
