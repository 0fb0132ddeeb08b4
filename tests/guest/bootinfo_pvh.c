// SPDX-License-Identifier: MIT
/*
 * PVH hvm_start_info (Xen include/public/arch-x86/hvm/start_info.h) into
 * bootinfo: e820 from the memmap, the initrd from module 0.
 */
#include "bootinfo.h"
#include "lib.h"

#define HVM_START_MAGIC	0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");

void bootinfo_copy_pvh(const uint8_t *start_info)
{
	struct hvm_start_info si;
	uint32_t i;

	memcpy(&si, start_info, sizeof(si));
	if (si.magic != HVM_START_MAGIC) {
		bootinfo.error = "hvm_start_info has a bad magic";
		return;
	}
	bootinfo.rsdp_gpa = si.rsdp_paddr;
	bootinfo_set_cmdline(si.cmdline_paddr);
	if (si.nr_modules && si.modlist_paddr) {
		struct hvm_modlist_entry mod;

		memcpy(&mod, (const void *)(uintptr_t)si.modlist_paddr, sizeof(mod));
		bootinfo.initrd_gpa = mod.paddr;
		bootinfo.initrd_size = mod.size;
	}
	if (si.version < 1 || !si.memmap_paddr)
		return;
	for (i = 0; i < si.memmap_entries && i < E820_MAX; i++) {
		struct hvm_memmap_table_entry e;

		memcpy(&e, (const uint8_t *)(uintptr_t)si.memmap_paddr + i * sizeof(e), sizeof(e));
		bootinfo_add_e820(e.addr, e.size, e.type);
	}
}
