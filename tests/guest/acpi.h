/* SPDX-License-Identifier: MIT */
/* ACPI table discovery: just what info, smp, poweroff and reset need. */
#ifndef VESSEL_GUEST_ACPI_H
#define VESSEL_GUEST_ACPI_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"

#define ACPI_MAX_TABLES	32

struct acpi_gas {
	uint8_t space_id;	/* 0 memory, 1 I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
};

struct acpi_info {
	uint64_t rsdp_gpa;		/* 0: none found */
	char oem[7];
	uint32_t table_count;
	char tables[ACPI_MAX_TABLES][5];
	bool checksums_ok;

	bool have_fadt;
	uint32_t fadt_flags;
	bool hw_reduced;
	uint32_t pm1a_cnt, pm1b_cnt;	/* I/O ports, 0 if absent */
	struct acpi_gas sleep_ctl;
	struct acpi_gas reset_reg;
	uint8_t reset_value;

	uint64_t dsdt_gpa;		/* 0 if the FADT names none */
	bool have_s5;
	uint8_t s5_typ;			/* SLP_TYP for S5, from the DSDT */

	uint64_t lapic_gpa;
	uint32_t cpu_count;		/* enabled local APICs */
	uint32_t apic_ids[GUEST_MAX_CPUS];
	uint64_t ioapic_gpa;		/* first IOAPIC, 0 if none */
	uint32_t ioapic_gsi_base;
	uint32_t com1_gsi;		/* ISA IRQ 4 after interrupt source overrides */
	uint16_t com1_flags;		/* MPS INTI flags of that override */

	uint64_t mcfg_gpa;		/* ECAM base of segment 0 (bus 0), 0 if no MCFG */
	uint8_t mcfg_bus_start, mcfg_bus_end;
};

extern struct acpi_info acpi;

/* Find and validate the tables; rsdp_hint is boot_params.acpi_rsdp_addr. */
void acpi_scan(uint64_t rsdp_hint);
/* Write a value to a Generic Address Structure register. 0 or -1. */
int acpi_gas_write(const struct acpi_gas *gas, uint64_t value);

#endif
