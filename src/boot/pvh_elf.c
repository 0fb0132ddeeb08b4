/* SPDX-License-Identifier: MIT */
/*
 * An uncompressed ELF kernel (vmlinux) booted through its PVH entry point:
 * a Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY gives a 32-bit entry that takes
 * an hvm_start_info in EBX. Everything in the file is untrusted.
 */
#include "boot/boot_priv.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "boot/pvh.h"

#define PVH_ELF_MAX_PHDRS  256
#define PVH_ELF_MAX_NOTES  (1U << 20)   /* bytes of one PT_NOTE segment we look at */

_Static_assert(LAYOUT_BOOT_INFO_GPA + sizeof(struct hvm_start_info) <= LAYOUT_PVH_MEMMAP_GPA,
	       "hvm_start_info overlaps the memmap");
_Static_assert(LAYOUT_PVH_MEMMAP_GPA + E820_MAX_ENTRIES * sizeof(struct hvm_memmap_table_entry) <=
	       LAYOUT_PVH_MODLIST_GPA, "PVH memmap overlaps the module list");
_Static_assert(LAYOUT_PVH_MODLIST_GPA + sizeof(struct hvm_modlist_entry) <= LAYOUT_BOOT_INFO_GPA + 4096,
	       "PVH module list runs past the boot info page");
_Static_assert(LAYOUT_BOOT_STACK_GPA <= LAYOUT_BOOT_INFO_GPA, "the boot stack grows into the boot info");

/* The fields we use, independent of ELF class. */
struct pvh_elf_phdr {
	uint32_t type;
	uint64_t offset;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

struct pvh_elf {
	bool is64;
	uint64_t phoff;
	uint16_t phentsize;
	uint16_t phnum;
	struct pvh_elf_phdr *phdrs;
	uint32_t entry;
};

bool pvh_elf_probe(const uint8_t *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

static int pvh_elf_parse_ehdr(struct boot_ctx *ctx, const uint8_t *head, size_t len, struct pvh_elf *elf)
{
	uint16_t machine, type;
	size_t ehdr_size, phdr_size;

	if (len < EI_NIDENT)
		return boot_fail(ctx, -ENOEXEC, "kernel: truncated: %zu bytes, ELF header needs %d", len, EI_NIDENT);
	if (head[EI_CLASS] != ELFCLASS64 && head[EI_CLASS] != ELFCLASS32)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF class %u is not supported", head[EI_CLASS]);
	if (head[EI_DATA] != ELFDATA2LSB)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF is not little-endian");
	elf->is64 = head[EI_CLASS] == ELFCLASS64;
	ehdr_size = elf->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	phdr_size = elf->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (len < ehdr_size)
		return boot_fail(ctx, -ENOEXEC, "kernel: truncated: %zu bytes, ELF header needs %zu", len, ehdr_size);

	if (elf->is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, head, sizeof(eh));
		type = eh.e_type;
		machine = eh.e_machine;
		elf->phoff = eh.e_phoff;
		elf->phentsize = eh.e_phentsize;
		elf->phnum = eh.e_phnum;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, head, sizeof(eh));
		type = eh.e_type;
		machine = eh.e_machine;
		elf->phoff = eh.e_phoff;
		elf->phentsize = eh.e_phentsize;
		elf->phnum = eh.e_phnum;
	}
	if (machine != EM_X86_64 && machine != EM_386)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF machine %u is not x86", machine);
	if (type != ET_EXEC)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF type %u is not an executable", type);
	if (elf->phnum == 0 || elf->phnum > PVH_ELF_MAX_PHDRS)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF has %u program headers, expected 1..%d",
				 elf->phnum, PVH_ELF_MAX_PHDRS);
	if (elf->phentsize < phdr_size)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF program header size %u is too small", elf->phentsize);
	return 0;
}

static int pvh_elf_read_phdrs(struct boot_ctx *ctx, struct pvh_elf *elf)
{
	uint64_t table_size = (uint64_t)elf->phnum * elf->phentsize;
	uint64_t size = ctx->kernel.size;

	if (elf->phoff > size || table_size > size - elf->phoff)
		return boot_fail(ctx, -ENOEXEC, "kernel: truncated: %" PRIu64 " bytes, ELF program headers end at %" PRIu64,
				 size, elf->phoff + table_size);
	elf->phdrs = calloc(elf->phnum, sizeof(*elf->phdrs));
	if (!elf->phdrs)
		return boot_fail(ctx, -ENOMEM, "kernel: out of memory");

	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct pvh_elf_phdr *ph = &elf->phdrs[i];
		uint64_t off = elf->phoff + (uint64_t)i * elf->phentsize;
		int ret;

		if (elf->is64) {
			Elf64_Phdr p;

			ret = boot_file_read(ctx, &ctx->kernel, off, &p, sizeof(p));
			if (ret < 0)
				return ret;
			*ph = (struct pvh_elf_phdr){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
		} else {
			Elf32_Phdr p;

			ret = boot_file_read(ctx, &ctx->kernel, off, &p, sizeof(p));
			if (ret < 0)
				return ret;
			*ph = (struct pvh_elf_phdr){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
		}
		if (ph->type != PT_LOAD && ph->type != PT_NOTE)
			continue;
		if (ph->offset > size || ph->filesz > size - ph->offset)
			return boot_fail(ctx, -ENOEXEC,
					 "kernel: truncated: %" PRIu64 " bytes, ELF segment %u ends at %" PRIu64,
					 size, i, ph->offset + ph->filesz);
	}
	return 0;
}

/* Looks for the Xen PHYS32_ENTRY note in one note segment's bytes: 1 found, 0 not, -errno. */
static int pvh_elf_scan_notes(struct boot_ctx *ctx, const uint8_t *notes, uint64_t size, uint32_t *entry)
{
	uint64_t off = 0;

	/* Linux and Xen pad note names and descriptors to 4 bytes in both ELF classes. */
	while (size - off >= sizeof(Elf32_Nhdr)) {
		Elf32_Nhdr nh;
		uint64_t name_off, desc_off, next;

		memcpy(&nh, notes + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + (((uint64_t)nh.n_namesz + 3) & ~3ULL);
		next = desc_off + (((uint64_t)nh.n_descsz + 3) & ~3ULL);
		if (desc_off > size || nh.n_descsz > size - desc_off)
			break;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(notes + name_off, "Xen", 4) == 0) {
			uint64_t value = 0;

			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return boot_fail(ctx, -ENOEXEC, "kernel: PVH entry note has a %u-byte value",
						 nh.n_descsz);
			memcpy(&value, notes + desc_off, nh.n_descsz);
			if (value > UINT32_MAX)
				return boot_fail(ctx, -ENOEXEC, "kernel: PVH entry %#" PRIx64 " is not 32-bit", value);
			*entry = (uint32_t)value;
			return 1;
		}
		if (next >= size)
			break;
		off = next;
	}
	return 0;
}

static int pvh_elf_find_entry(struct boot_ctx *ctx, struct pvh_elf *elf)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		const struct pvh_elf_phdr *ph = &elf->phdrs[i];
		uint64_t size = ph->filesz < PVH_ELF_MAX_NOTES ? ph->filesz : PVH_ELF_MAX_NOTES;
		uint8_t *notes;
		int ret;

		if (ph->type != PT_NOTE || size == 0)
			continue;
		notes = malloc(size);
		if (!notes)
			return boot_fail(ctx, -ENOMEM, "kernel: out of memory");
		ret = boot_file_read(ctx, &ctx->kernel, ph->offset, notes, size);
		if (ret == 0)
			ret = pvh_elf_scan_notes(ctx, notes, size, &elf->entry);
		free(notes);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
	return boot_fail(ctx, -ENOEXEC, "kernel: ELF has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
}

/* Checks every PT_LOAD against guest RAM before anything is written; returns the load end. */
static int pvh_elf_check_segments(struct boot_ctx *ctx, const struct pvh_elf *elf, uint64_t *kernel_end)
{
	bool entry_ok = false;
	unsigned int loads = 0;

	*kernel_end = 0;
	for (unsigned int i = 0; i < elf->phnum; i++) {
		const struct pvh_elf_phdr *ph = &elf->phdrs[i];

		if (ph->type != PT_LOAD)
			continue;
		loads++;
		if (ph->filesz > ph->memsz)
			return boot_fail(ctx, -ENOEXEC, "kernel: ELF segment %u has filesz %#" PRIx64 " > memsz %#" PRIx64,
					 i, ph->filesz, ph->memsz);
		/* Below 1 MiB live the boot structures written after the kernel. */
		if (ph->paddr < LAYOUT_HIGH_MEM_GPA || ph->paddr > ctx->low_ram_end ||
		    ph->memsz > ctx->low_ram_end - ph->paddr || !guest_mem_ptr(ctx->mem, ph->paddr, ph->memsz))
			return boot_fail(ctx, -ENOMEM,
					 "kernel: ELF segment %u [%#" PRIx64 ", +%#" PRIx64 ") is outside guest RAM [%#llx, %#" PRIx64 ")",
					 i, ph->paddr, ph->memsz, LAYOUT_HIGH_MEM_GPA, ctx->low_ram_end);
		if (ph->paddr + ph->memsz > *kernel_end)
			*kernel_end = ph->paddr + ph->memsz;
		if (elf->entry >= ph->paddr && elf->entry - ph->paddr < ph->memsz)
			entry_ok = true;
	}
	if (!loads)
		return boot_fail(ctx, -ENOEXEC, "kernel: ELF has no loadable segments");
	if (!entry_ok)
		return boot_fail(ctx, -ENOEXEC, "kernel: PVH entry %#x is outside the loaded segments", elf->entry);
	return 0;
}

static int pvh_elf_load_segments(struct boot_ctx *ctx, const struct pvh_elf *elf)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		const struct pvh_elf_phdr *ph = &elf->phdrs[i];
		uint8_t *hva;
		int ret;

		if (ph->type != PT_LOAD)
			continue;
		ret = boot_file_load(ctx, &ctx->kernel, ph->offset, ph->filesz, ph->paddr);
		if (ret < 0)
			return ret;
		hva = guest_mem_ptr(ctx->mem, ph->paddr, ph->memsz); /* checked before */
		memset(hva + ph->filesz, 0, ph->memsz - ph->filesz);
	}
	return 0;
}

static int pvh_write_start_info(struct boot_ctx *ctx, const struct boot_initrd *initrd)
{
	struct hvm_start_info si = {
		.magic = XEN_HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = LAYOUT_CMDLINE_GPA,
		.rsdp_paddr = ctx->cfg->rsdp_gpa,
		.memmap_paddr = LAYOUT_PVH_MEMMAP_GPA,
	};
	struct e820_entry e820[E820_MAX_ENTRIES];
	struct hvm_memmap_table_entry memmap[E820_MAX_ENTRIES];
	struct hvm_modlist_entry mod = { .paddr = initrd->gpa, .size = initrd->size };
	int n;

	n = e820_build(ctx->mem, e820, E820_MAX_ENTRIES);
	if (n < 0)
		return boot_fail(ctx, n, "boot: cannot build the e820 map");
	memset(memmap, 0, sizeof(memmap));
	for (int i = 0; i < n; i++)
		memmap[i] = (struct hvm_memmap_table_entry){ e820[i].addr, e820[i].size, e820[i].type, 0 };
	si.memmap_entries = (uint32_t)n;
	if (initrd->size) {
		si.nr_modules = 1;
		si.modlist_paddr = LAYOUT_PVH_MODLIST_GPA;
	}

	if (guest_mem_write(ctx->mem, LAYOUT_BOOT_INFO_GPA, &si, sizeof(si)) < 0 ||
	    guest_mem_write(ctx->mem, LAYOUT_PVH_MEMMAP_GPA, memmap, sizeof(memmap)) < 0 ||
	    guest_mem_write(ctx->mem, LAYOUT_PVH_MODLIST_GPA, &mod, sizeof(mod)) < 0)
		return boot_fail(ctx, -ENOMEM, "boot: guest RAM does not cover hvm_start_info at %#llx",
				 LAYOUT_BOOT_INFO_GPA);
	return 0;
}

int pvh_elf_load(struct boot_ctx *ctx, const uint8_t *head, size_t len, struct boot_entry *entry)
{
	struct pvh_elf elf = { 0 };
	struct boot_initrd initrd;
	uint64_t kernel_end;
	int ret;

	ret = pvh_elf_parse_ehdr(ctx, head, len, &elf);
	if (ret < 0)
		return ret;
	ret = pvh_elf_read_phdrs(ctx, &elf);
	if (ret < 0)
		goto out_free;
	ret = pvh_elf_find_entry(ctx, &elf);
	if (ret < 0)
		goto out_free;
	ret = pvh_elf_check_segments(ctx, &elf, &kernel_end);
	if (ret < 0)
		goto out_free;
	ret = pvh_elf_load_segments(ctx, &elf);
	if (ret < 0)
		goto out_free;

	ret = boot_initrd_load(ctx, kernel_end, ctx->low_ram_end, &initrd);
	if (ret < 0)
		goto out_free;
	ret = boot_cmdline_write(ctx, LAYOUT_CMDLINE_MAX - 1);
	if (ret < 0)
		goto out_free;
	ret = pvh_write_start_info(ctx, &initrd);
	if (ret < 0)
		goto out_free;

	entry->mode = BOOT_MODE_PVH;
	entry->entry_gpa = elf.entry;
	entry->boot_info_gpa = LAYOUT_BOOT_INFO_GPA;
	entry->stack_gpa = LAYOUT_BOOT_STACK_GPA;

out_free:
	free(elf.phdrs);
	return ret;
}
