/* SPDX-License-Identifier: MIT */
/* The ACPI Generic Event Device (ACPI0013): which interrupt it raises. */
#ifndef VESSEL_GUEST_GED_H
#define VESSEL_GUEST_GED_H

#include <stdint.h>

struct ged_irq {
	uint32_t gsi;
	uint16_t flags;		/* MPS INTI flags, as ioapic_route() takes them */
};

/*
 * Reads the first extended interrupt descriptor (0x89) of the ACPI0013
 * device's _CRS in the DSDT. 0, or -1 if there is no such device or
 * descriptor.
 */
int ged_find(struct ged_irq *irq);

/*
 * The GED interrupt whose _EVT branch notifies device (its 4-character
 * ACPI name, as "VGEN"): the GSI the branch compares Arg0 with, and that
 * interrupt's flags from the GED's _CRS. 0, or -1 if there is none.
 */
int ged_find_notify(const char *device, struct ged_irq *irq);

#endif
