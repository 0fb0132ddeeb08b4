/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables built at boot: RSDP, XSDT, FADT (hardware-reduced, with sleep
 * control/status and reset registers at the ports in layout.h), DSDT (compiled
 * from acpi/dsdt.asl by iasl at build time) and MADT (one enabled local APIC
 * per vCPU, the IOAPIC, LINT1 NMI; no ISA interrupt overrides: KVM routes
 * GSI n to IOAPIC pin n) and MCFG (PCI ECAM for bus 0; the DSDT has the PCI0
 * root bridge). See docs/acpi.md.
 */
#ifndef VESSEL_ARCH_X86_ACPI_H
#define VESSEL_ARCH_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct acpi_config {
	uint32_t nr_cpus;          /* 1..LAYOUT_MAX_CPUS; APIC ids 0..nr_cpus-1 */
};

/*
 * Writes the tables into buf, which the guest sees at base_gpa (buf_len
 * bytes; LAYOUT_ACPI_GPA/LAYOUT_ACPI_SIZE in practice). The RSDP comes first
 * at base_gpa, which must be 16-byte aligned. Never writes past buf_len.
 * Returns 0 and sets *rsdp_gpa, or -ENOSPC (buffer too small) / -EINVAL
 * (nr_cpus 0 or > LAYOUT_MAX_CPUS, misaligned base_gpa, NULL argument).
 */
__attribute__((warn_unused_result))
int acpi_build(void *buf, size_t buf_len, uint64_t base_gpa,
	       const struct acpi_config *cfg, uint64_t *rsdp_gpa);

#endif
