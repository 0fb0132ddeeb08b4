/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical memory map of an x86 vessel VM. The only place that
 * knows where things live in the guest; everything else asks here.
 *
 *   0x00000000  real-mode IVT / BDA (reserved for firmware compatibility)
 *   0x00000500  GDT used for the 64-bit / 32-bit direct boot
 *   0x00007000  boot_params ("zero page") or PVH hvm_start_info
 *   0x00007000  also the initial stack top for the boot vCPU (grows down)
 *   0x00009000  PML4, 0x0000a000 PDPT, 0x0000b000..0x0000efff PDs: identity map of 4 GiB
 *   0x00020000  kernel command line (LAYOUT_CMDLINE_MAX bytes)
 *   0x0009fc00  EBDA start: e820 reserved up to 1 MiB
 *   0x000df000  VM generation ID: 16-byte GUID (the DSDT's VGEN device reports it)
 *   0x000e0000  ACPI tables (RSDP first, 16-byte aligned, in the BIOS search area)
 *   0x00100000  kernel load address (bzImage protected-mode code / code32_start)
 *   ...         RAM up to LAYOUT_MMIO_HOLE_START
 *   0xc0000000  32-bit PCI / MMIO hole, up to 4 GiB:
 *                 0xc0000000-0xdfffffff PCI memory BARs (32-bit window)
 *                 0xe0000000-0xe00fffff PCI ECAM, bus 0 (MCFG)
 *                 0xfe000000-0xfebfffff PCI memory BARs firmware places (SeaBIOS allocates
 *                                       down from the IOAPIC)
 *                 0xfec00000 IOAPIC, 0xfee00000 LAPIC
 *                 0xfffc0000-0xffffffff firmware image, read-only (--firmware; up to 256 KiB,
 *                                       ending at 4 GiB: its last 16 bytes are the reset vector)
 *   0x100000000 RAM above the hole, if the guest has more than 3 GiB
 */
#ifndef VESSEL_ARCH_X86_LAYOUT_H
#define VESSEL_ARCH_X86_LAYOUT_H

#define LAYOUT_GDT_GPA          0x500ULL
#define LAYOUT_BOOT_INFO_GPA    0x7000ULL
#define LAYOUT_BOOT_STACK_GPA   0x7000ULL   /* grows down, below boot_params */
#define LAYOUT_PML4_GPA         0x9000ULL
#define LAYOUT_PDPT_GPA         0xa000ULL
#define LAYOUT_PD_GPA           0xb000ULL   /* 4 pages, one per GiB */
#define LAYOUT_CMDLINE_GPA      0x20000ULL
#define LAYOUT_CMDLINE_MAX      0x10000ULL
#define LAYOUT_PVH_MEMMAP_GPA   0x7800ULL   /* hvm_memmap_table_entry[] for PVH */
#define LAYOUT_PVH_MODLIST_GPA  0x7c00ULL   /* hvm_modlist_entry[] for PVH */
#define LAYOUT_EBDA_GPA         0x9fc00ULL
/*
 * The VM generation ID's page (16-byte GUID at its start), in the e820
 * reserved window below the ACPI tables. No ULL: the DSDT's ASL uses it.
 */
#define LAYOUT_VMGENID_GPA      0xdf000
#define LAYOUT_ACPI_GPA         0xe0000ULL
#define LAYOUT_ACPI_SIZE        0x20000ULL  /* up to 1 MiB */
#define LAYOUT_HIGH_MEM_GPA     0x100000ULL /* 1 MiB: start of "high" memory */
#define LAYOUT_KERNEL_GPA       0x100000ULL

#define LAYOUT_MMIO_HOLE_GPA    0xc0000000ULL
#define LAYOUT_MMIO_HOLE_END    0x100000000ULL
#define LAYOUT_PCI_MMIO_GPA     0xc0000000ULL   /* 32-bit BAR window */
#define LAYOUT_PCI_MMIO_SIZE    0x20000000ULL
#define LAYOUT_PCI_ECAM_GPA     0xe0000000ULL   /* bus 0 only: 32 slots x 8 functions x 4 KiB */
#define LAYOUT_PCI_ECAM_SIZE    0x100000ULL
/*
 * A second BAR window, for firmware boot: SeaBIOS places BARs itself, top
 * down from 0xfec00000 (its fixed end of the 32-bit PCI window).
 */
#define LAYOUT_PCI_MMIO2_GPA    0xfe000000ULL
#define LAYOUT_PCI_MMIO2_SIZE   0x00c00000ULL
#define LAYOUT_IOAPIC_GPA       0xfec00000ULL
#define LAYOUT_LAPIC_GPA        0xfee00000ULL
#define LAYOUT_RAM_ABOVE_4G_GPA 0x100000000ULL

/*
 * Firmware boot (--firmware): the image ends at 4 GiB; its last 256 KiB at
 * most are also copied into RAM ending at 1 MiB (the BIOS shadow,
 * 0xC0000-0xFFFFF), where SeaBIOS runs and keeps its variables. The ACPI
 * tables and e820 map reach it through fw_cfg instead of guest RAM.
 */
#define LAYOUT_FIRMWARE_END     0x100000000ULL
#define LAYOUT_BIOS_SHADOW_END  0x100000ULL

/* Guest I/O ports of vessel's platform devices. */
#define LAYOUT_PORT_COM1        0x3f8
#define LAYOUT_IRQ_COM1         4
#define LAYOUT_PORT_COM2        0x2f8
#define LAYOUT_IRQ_COM2         3
#define LAYOUT_PORT_I8042_DATA  0x60
#define LAYOUT_PORT_I8042_CMD   0x64
#define LAYOUT_PORT_CMOS        0x70        /* 0x70 index, 0x71 data */
#define LAYOUT_PORT_FW_CFG      0x510       /* fw_cfg (firmware boot): selector, data, DMA at +4 */
#define LAYOUT_PORT_DEBUGCON    0x402       /* SeaBIOS's debug output (firmware boot with -vv) */
#define LAYOUT_IRQ_RTC          8
/*
 * The ACPI Generic Event Device's interrupts (edge, active high), one per
 * event: the power button on 9 (the PC's SCI pin, unused without an SCI).
 */
#define LAYOUT_GSI_GED          9
/* The GED's second interrupt: the VM generation ID changed (a restored clone). */
#define LAYOUT_GSI_GED_VMGENID  10
/* ACPI hardware-reduced registers (FADT sleep control/status, reset). */
#define LAYOUT_PORT_ACPI_SLEEP_CTL  0x600
#define LAYOUT_PORT_ACPI_SLEEP_STS  0x601
#define LAYOUT_PORT_ACPI_RESET      0x602
#define LAYOUT_ACPI_RESET_VALUE     0x1
#define LAYOUT_ACPI_SLP_TYP_S5      5       /* DSDT \_S5 value */

#define LAYOUT_MAX_CPUS         255

/* GSIs: 0-23 are the IOAPIC pins (0-15 also the PICs); MSI routes start above. */
#define LAYOUT_IOAPIC_PINS      24
#define LAYOUT_MSI_GSI_BASE     24
#define LAYOUT_MAX_GSI          1024

#endif
