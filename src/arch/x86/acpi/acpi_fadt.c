/* SPDX-License-Identifier: MIT */
/*
 * FADT for a hardware-reduced ACPI platform: no PM1/GPE register blocks, no
 * SCI, no FACS. Sleep (S5 power-off) goes through the sleep control/status
 * registers and reboot through the reset register, all single byte ports
 * handled by the VMM (layout.h).
 */
#include "arch/x86/acpi/acpi_tables.h"
#include "arch/x86/layout.h"

#include <string.h>

static struct acpi_gas acpi_gas_port8(uint16_t port)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = 8,
		.bit_offset = 0,
		.access_size = ACPI_GAS_ACCESS_BYTE,
		.address = port,
	};
}

size_t acpi_fadt_size(void)
{
	return sizeof(struct acpi_fadt);
}

void acpi_fadt_write(void *dst, uint64_t dsdt_gpa)
{
	struct acpi_fadt fadt;

	memset(&fadt, 0, sizeof(fadt));
	acpi_table_init_header(&fadt.header, "FACP", sizeof(fadt), ACPI_FADT_REVISION);
	fadt.minor_version = ACPI_FADT_MINOR_REVISION;
	/* The 32-bit field only if it can hold the address; X_DSDT always. */
	fadt.dsdt = dsdt_gpa <= UINT32_MAX ? (uint32_t)dsdt_gpa : 0;
	fadt.x_dsdt = dsdt_gpa;
	/* No fixed power/sleep buttons: Linux then does not look for them. */
	fadt.flags = ACPI_FADT_F_HW_REDUCED_ACPI | ACPI_FADT_F_RESET_REG_SUP |
		     ACPI_FADT_F_PWR_BUTTON | ACPI_FADT_F_SLP_BUTTON;
	/*
	 * No 8042 and no VGA: Linux then skips probing a keyboard controller
	 * (every probe is a slow port-I/O exit) and the VGA ports. The i8042
	 * is still emulated for its reset line, which Linux uses without
	 * looking at this flag (see docs/acpi.md).
	 */
	fadt.iapc_boot_arch = ACPI_FADT_IAPC_VGA_NOT_PRESENT;
	fadt.reset_reg = acpi_gas_port8(LAYOUT_PORT_ACPI_RESET);
	fadt.reset_value = LAYOUT_ACPI_RESET_VALUE;
	fadt.sleep_control_reg = acpi_gas_port8(LAYOUT_PORT_ACPI_SLEEP_CTL);
	fadt.sleep_status_reg = acpi_gas_port8(LAYOUT_PORT_ACPI_SLEEP_STS);
	memcpy(fadt.hypervisor_vendor_id, ACPI_HYPERVISOR_ID, sizeof(fadt.hypervisor_vendor_id));

	memcpy(dst, &fadt, sizeof(fadt));
	acpi_table_set_checksum(dst, sizeof(fadt));
}
