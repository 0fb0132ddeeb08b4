/* SPDX-License-Identifier: MIT */
/*
 * Loading a guest kernel into guest RAM: Linux bzImage (64-bit or 32-bit
 * entry) and PVH ELF (vmlinux), with an optional initrd and a command line.
 * The loader writes everything the kernel reads at entry (boot_params or
 * hvm_start_info, e820 map, command line, initrd) and tells the vCPU code
 * where and how to enter.
 */
#ifndef VESSEL_BOOT_BOOT_H
#define VESSEL_BOOT_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

enum boot_mode {
	BOOT_MODE_LINUX64,   /* 64-bit long mode, paging on, RSI = boot_params */
	BOOT_MODE_LINUX32,   /* 32-bit flat protected mode, paging off, ESI = boot_params */
	BOOT_MODE_PVH,       /* 32-bit flat protected mode, paging off, EBX = hvm_start_info */
};

struct boot_config {
	const char *kernel_path;
	const char *initrd_path;   /* NULL: none */
	const char *cmdline;       /* NULL: empty */
	uint64_t rsdp_gpa;         /* where the ACPI RSDP was placed (0: none) */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t entry_gpa;        /* RIP/EIP at first instruction */
	uint64_t boot_info_gpa;    /* boot_params or hvm_start_info */
	uint64_t stack_gpa;        /* initial RSP */
};

/*
 * Loads the kernel (and initrd) into mem and writes the boot information.
 * The kernel format is detected from the file. On failure returns -errno and
 * writes a one-line human-readable reason into err (e.g. "kernel: not a
 * Linux bzImage or ELF (PVH) image", "initrd: 300.0 MiB (314572800 bytes)
 * does not fit between the kernel end 0x4378000 and 0x10000000 (...)").
 * Every offset and size read from the files is treated as untrusted.
 */
__attribute__((warn_unused_result))
int boot_load(const struct guest_mem *mem, const struct boot_config *cfg,
	      struct boot_entry *entry, char *err, size_t errlen);

#endif
