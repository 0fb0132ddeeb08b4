/*
 * SPDX-License-Identifier: MIT
 *
 * vessel's DSDT. Compiled by iasl at build time; acpi.c embeds the AML.
 * Port and IRQ numbers come straight from layout.h (iasl has a C-like
 * preprocessor), so the ASL and the VMM cannot drift apart.
 *
 * No PS/2 keyboard (PNP0303) and, for now, no PCI root bridge.
 */
#include "arch/x86/layout.h"

DefinitionBlock ("", "DSDT", 2, "VESSEL", "VESSELVM", 1)
{
    /* Hardware-reduced S5: the OS writes SLP_TYP to the sleep control register. */
    Name (\_S5, Package () { LAYOUT_ACPI_SLP_TYP_S5, LAYOUT_ACPI_SLP_TYP_S5, Zero, Zero })

    Scope (\_SB)
    {
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, LAYOUT_PORT_COM1, LAYOUT_PORT_COM1, 0x01, 0x08)
                IRQNoFlags () { LAYOUT_IRQ_COM1 }
            })
        }

        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, LAYOUT_PORT_CMOS, LAYOUT_PORT_CMOS, 0x01, 0x02)
                IRQNoFlags () { LAYOUT_IRQ_RTC }
            })
        }
    }
}
