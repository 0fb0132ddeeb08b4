/* SPDX-License-Identifier: MIT */
/*
 * On-the-wire layouts of the ACPI tables vessel emits (ACPI 6.3), plus the
 * helpers the table writers share. Internal to src/arch/x86/acpi/.
 */
#ifndef VESSEL_ARCH_X86_ACPI_TABLES_H
#define VESSEL_ARCH_X86_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_OEM_ID             "VESSEL"
#define ACPI_OEM_TABLE_ID       "VESSELVM"
#define ACPI_OEM_REVISION       1
#define ACPI_CREATOR_ID         "VSSL"
#define ACPI_CREATOR_REVISION   1
#define ACPI_HYPERVISOR_ID      "VESSEL\0\0"

/* 5.2.3.2 Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_SYSTEM_IO      1
#define ACPI_GAS_ACCESS_BYTE    1

/* 5.2.5.3 Root System Description Pointer, revision 2 */
struct acpi_rsdp {
	char signature[8];              /* "RSD PTR " */
	uint8_t checksum;               /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;      /* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

#define ACPI_RSDP_V1_SIZE       20

/* 5.2.6 System Description Table Header */
struct acpi_table_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* 5.2.9 Fixed ACPI Description Table, revision 6 */
struct acpi_fadt {
	struct acpi_table_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	/* SCI_INT .. CENTURY are ignored by OSPM on hardware-reduced systems. */
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} __attribute__((packed));

#define ACPI_FADT_REVISION              6
#define ACPI_FADT_MINOR_REVISION        3
/* Fixed feature flags (table 5.10) */
#define ACPI_FADT_F_PWR_BUTTON          (1u << 4)   /* 1 = no fixed power button */
#define ACPI_FADT_F_SLP_BUTTON          (1u << 5)   /* 1 = no fixed sleep button */
#define ACPI_FADT_F_RESET_REG_SUP       (1u << 10)
#define ACPI_FADT_F_HW_REDUCED_ACPI     (1u << 20)
/* IA-PC boot architecture flags (table 5.11) */
#define ACPI_FADT_IAPC_8042             (1u << 1)
#define ACPI_FADT_IAPC_VGA_NOT_PRESENT  (1u << 2)

/* 5.2.12 Multiple APIC Description Table */
struct acpi_madt {
	struct acpi_table_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_REVISION      5
#define ACPI_MADT_PCAT_COMPAT   (1u << 0)

struct acpi_madt_lapic {
	uint8_t type;                   /* 0 */
	uint8_t length;                 /* 8 */
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_TYPE_LAPIC    0
#define ACPI_MADT_LAPIC_ENABLED (1u << 0)

struct acpi_madt_ioapic {
	uint8_t type;                   /* 1 */
	uint8_t length;                 /* 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

#define ACPI_MADT_TYPE_IOAPIC   1

struct acpi_madt_lapic_nmi {
	uint8_t type;                   /* 4 */
	uint8_t length;                 /* 6 */
	uint8_t processor_uid;          /* 0xff: all processors */
	uint16_t flags;                 /* MPS INTI flags; 0 = bus default */
	uint8_t lint;
} __attribute__((packed));

#define ACPI_MADT_TYPE_LAPIC_NMI        4
#define ACPI_MADT_ALL_PROCESSORS        0xff

/* PCI Firmware Specification 3.2, 4.1.2: MCFG */
struct acpi_mcfg {
	struct acpi_table_header header;
	uint8_t reserved[8];
} __attribute__((packed));

#define ACPI_MCFG_REVISION      1

struct acpi_mcfg_allocation {
	uint64_t base_address;          /* ECAM base of start_bus */
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_SIZE, "RSDP v1 part");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP xsdt");
_Static_assert(sizeof(struct acpi_table_header) == 36, "SDT header size");
_Static_assert(offsetof(struct acpi_table_header, checksum) == 9, "SDT checksum");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
_Static_assert(offsetof(struct acpi_fadt, sleep_status_reg) == 256, "FADT SLEEP_STATUS_REG");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT vendor id");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 size");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT size");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC size");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC size");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI size");
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG size");
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "MCFG allocation size");

/* The DSDT AML, compiled from dsdt.asl at build time (acpi_dsdt_aml.c). */
extern const uint8_t acpi_dsdt_aml[];
extern const size_t acpi_dsdt_aml_len;

/* Fills a table header with vessel's OEM and creator ids; checksum 0. */
void acpi_table_init_header(struct acpi_table_header *hdr, const char signature[4],
			    uint32_t length, uint8_t revision);

/* Byte that makes len bytes at data sum to 0 mod 256, given the rest. */
uint8_t acpi_checksum(const void *data, size_t len);

/* Sets the header checksum of the len-byte table at table (already written). */
void acpi_table_set_checksum(void *table, size_t len);

/* Table writers: each writes exactly the size it reports, at dst. */
size_t acpi_fadt_size(void);
void acpi_fadt_write(void *dst, uint64_t dsdt_gpa);
size_t acpi_madt_size(uint32_t nr_cpus);
void acpi_madt_write(void *dst, uint32_t nr_cpus);
size_t acpi_mcfg_size(void);
void acpi_mcfg_write(void *dst);

#endif
