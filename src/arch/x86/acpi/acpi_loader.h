/* SPDX-License-Identifier: MIT */
/*
 * vessel's ACPI tables for a firmware boot. Firmware owns the memory where
 * a direct boot puts the tables (LAYOUT_ACPI_GPA), so they go to it as
 * fw_cfg files instead, with QEMU's BIOS linker/loader script (QEMU
 * hw/acpi/bios-linker-loader.c, SeaBIOS src/fw/romfile_loader.c) that tells
 * it where to put them and how to fix them up:
 *
 *   ALLOCATE "etc/acpi/rsdp" (16-byte aligned, in the F segment, where an
 *            OS looks for the RSDP) and "etc/acpi/tables" (XSDT, FADT,
 *            MADT, MCFG, DSDT; high memory)
 *   ADD_POINTER   each pointer between tables (they hold offsets into
 *                 their file; the firmware adds the file's address)
 *   ADD_CHECKSUM  each table a pointer changed, and the RSDP
 *
 * The tables are the ones acpi_build() makes for a direct boot, so an OS
 * finds the same MADT, FADT, DSDT and MCFG either way.
 */
#ifndef VESSEL_ARCH_X86_ACPI_LOADER_H
#define VESSEL_ARCH_X86_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/acpi/acpi.h"

#define ACPI_LOADER_FILE_RSDP   "etc/acpi/rsdp"
#define ACPI_LOADER_FILE_TABLES "etc/acpi/tables"
#define ACPI_LOADER_FILE_SCRIPT "etc/table-loader"

/* The linker/loader command set (one 128-byte little-endian entry each). */
#define ACPI_LOADER_CMD_ALLOCATE     1
#define ACPI_LOADER_CMD_ADD_POINTER  2
#define ACPI_LOADER_CMD_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH        1
#define ACPI_LOADER_ZONE_FSEG        2
#define ACPI_LOADER_FILESZ           56

struct acpi_loader_cmd {
	uint32_t command;
	union {
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t align;
			uint8_t zone;
		} __attribute__((packed)) alloc;
		struct {
			char dest_file[ACPI_LOADER_FILESZ];
			char src_file[ACPI_LOADER_FILESZ];
			uint32_t offset;
			uint8_t size;
		} __attribute__((packed)) pointer;
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t offset;
			uint32_t start;
			uint32_t length;
		} __attribute__((packed)) cksum;
		uint8_t pad[124];
	};
} __attribute__((packed));

/* The three fw_cfg files; each buffer is the caller's to free (acpi_loader_free). */
struct acpi_loader_files {
	uint8_t *rsdp;
	size_t rsdp_len;
	uint8_t *tables;
	size_t tables_len;
	struct acpi_loader_cmd *script;
	size_t script_len;          /* bytes */
};

/*
 * Builds the tables for cfg and the script that installs them. 0, or
 * -EINVAL (cfg as acpi_build() refuses it), -ENOMEM.
 */
__attribute__((warn_unused_result))
int acpi_loader_build(const struct acpi_config *cfg, struct acpi_loader_files *out);
void acpi_loader_free(struct acpi_loader_files *files);

#endif
