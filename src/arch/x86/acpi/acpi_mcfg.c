/* SPDX-License-Identifier: MIT */
/*
 * MCFG (PCI Firmware Specification 3.2, 4.1.2): where PCI Express ECAM
 * lives. One allocation: segment 0, bus 0 only, at LAYOUT_PCI_ECAM_GPA.
 * Linux only trusts it if the range is also reserved by firmware; the
 * DSDT's PNP0C02 device (dsdt.asl) does that.
 */
#include "arch/x86/acpi/acpi_tables.h"
#include "arch/x86/layout.h"

#include <string.h>

/* ECAM: 1 MiB per bus (32 devices x 8 functions x 4 KiB). */
_Static_assert(LAYOUT_PCI_ECAM_SIZE == (1u << 20), "ECAM window must cover exactly bus 0");

size_t acpi_mcfg_size(void)
{
	return sizeof(struct acpi_mcfg) + sizeof(struct acpi_mcfg_allocation);
}

void acpi_mcfg_write(void *dst)
{
	struct acpi_mcfg_allocation alloc = {
		.base_address = LAYOUT_PCI_ECAM_GPA,
		.segment = 0,
		.start_bus = 0,
		.end_bus = 0,
	};
	struct acpi_mcfg mcfg;
	uint8_t *p = dst;

	memset(&mcfg, 0, sizeof(mcfg));
	acpi_table_init_header(&mcfg.header, "MCFG", (uint32_t)acpi_mcfg_size(), ACPI_MCFG_REVISION);
	memcpy(p, &mcfg, sizeof(mcfg));
	memcpy(p + sizeof(mcfg), &alloc, sizeof(alloc));
	acpi_table_set_checksum(dst, acpi_mcfg_size());
}
