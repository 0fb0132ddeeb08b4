/*
 * SPDX-License-Identifier: MIT
 *
 * vessel's DSDT. Compiled by iasl at build time; acpi.c embeds the AML.
 * Port and IRQ numbers come straight from layout.h (iasl has a C-like
 * preprocessor), so the ASL and the VMM cannot drift apart.
 *
 * No PS/2 keyboard (PNP0303). The PCI root bridge has no _PRT: PCI devices
 * use MSI-X only (interrupt pin 0).
 *
 * iasl can neither parse the ULL suffixes of layout.h's 64-bit constants
 * nor do arithmetic in resource descriptors, so the PCI window and ECAM
 * addresses below are literals; tests/unit/test_acpi.c checks them against
 * layout.h. (iasl expands macros even inside comments: none named here.)
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

        /* PCI Express root bridge: bus 0, segment 0, config via 0xCF8 and MCFG. */
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A08"))
            Name (_CID, EisaId ("PNP0A03"))
            Name (_SEG, Zero)
            Name (_BBN, Zero)
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000,             /* granularity */
                    0x0000,             /* bus 0 .. */
                    0x0000,             /* .. bus 0 */
                    0x0000,             /* translation */
                    0x0001)             /* length */
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                /* The 32-bit BAR window of layout.h. */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000,         /* granularity */
                    0xC0000000,         /* min */
                    0xDFFFFFFF,         /* max */
                    0x00000000,         /* translation */
                    0x20000000)         /* length */
                /* The window firmware places BARs in (SeaBIOS: down from the IOAPIC). */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000,         /* granularity */
                    0xFE000000,         /* min */
                    0xFEBFFFFF,         /* max */
                    0x00000000,         /* translation */
                    0x00C00000)         /* length */
            })
        }

        /* Reserves the ECAM range of layout.h, so Linux accepts MCFG. */
        Device (MRES)
        {
            Name (_HID, EisaId ("PNP0C02"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                Memory32Fixed (ReadWrite, 0xE0000000, 0x00100000)
            })
        }

        /*
         * Generic Event Device (ACPI 6.4 5.6.9): an interrupt per event, so
         * no status register. The OS runs _EVT with the GSI that fired: the
         * first presses the power button, the second tells the generation
         * ID device its ID changed. One descriptor per interrupt: Linux's
         * GED driver takes only the first GSI of each.
         */
        Device (GED)
        {
            Name (_HID, "ACPI0013")
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { LAYOUT_GSI_GED }
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { LAYOUT_GSI_GED_VMGENID }
            })
            Method (_EVT, 1, Serialized)
            {
                If (Arg0 == LAYOUT_GSI_GED)
                {
                    Notify (\_SB.PWRB, 0x80)
                }
                If (Arg0 == LAYOUT_GSI_GED_VMGENID)
                {
                    Notify (\_SB.VGEN, 0x80)
                }
            }
        }

        /*
         * VM generation ID (Microsoft's "Virtual Machine Generation ID"
         * paper; Linux drivers/virt/vmgenid.c): a 16-byte GUID in reserved
         * RAM, at the address ADDR gives as two 32-bit integers (low,
         * high). It changes when the VM is restored from a snapshot (each
         * clone its own), and the GED notifies this device then.
         */
        Device (VGEN)
        {
            /*
             * Linux matches _HID or _CID "VMGENCTR" / "VM_GEN_COUNTER"
             * (ACPICA upper-cases _CID), Windows _CID "VM_Gen_Counter";
             * iasl wants a well-formed _HID, so vessel's own.
             */
            Name (_HID, "VSSL0001")
            Name (_CID, "VM_Gen_Counter")
            Name (_DDN, "VM_Gen_Counter")
            Name (ADDR, Package (0x02) { LAYOUT_VMGENID_GPA, Zero })
        }

        /* A control-method power button (the FADT says there is no fixed one). */
        Device (PWRB)
        {
            Name (_HID, EisaId ("PNP0C0C"))
            Name (_UID, Zero)
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
