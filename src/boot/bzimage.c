/* SPDX-License-Identifier: MIT */
/*
 * Linux bzImage, booted directly at its 32-bit or 64-bit entry (boot
 * protocol 2.06+, Documentation/arch/x86/boot.rst): the real-mode setup code
 * is skipped, so vessel fills in boot_params itself.
 */
#include "boot/boot_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "boot/boot_params.h"

#define BZIMAGE_MIN_VERSION 0x0206

bool bzimage_probe(const uint8_t *head, size_t len)
{
	uint32_t magic;

	if (len < 0x202 + sizeof(magic))
		return false;
	memcpy(&magic, head + 0x202, sizeof(magic));
	return magic == BOOT_HDR_MAGIC;
}

static int bzimage_check_header(struct boot_ctx *ctx, const struct setup_header *hdr)
{
	if (hdr->boot_flag != BOOT_HDR_BOOT_FLAG)
		return boot_fail(ctx, -ENOEXEC, "kernel: bzImage boot_flag is %#06x, expected 0xaa55",
				 hdr->boot_flag);
	if (hdr->version < BZIMAGE_MIN_VERSION)
		return boot_fail(ctx, -ENOEXEC, "kernel: boot protocol %u.%02u is too old, need 2.06",
				 hdr->version >> 8, hdr->version & 0xff);
	if (!(hdr->loadflags & BOOT_LOADFLAG_LOADED_HIGH))
		return boot_fail(ctx, -ENOEXEC, "kernel: zImage (loaded low) is not supported, need a bzImage");
	return 0;
}

/* Fills boot_params from the kernel's own header plus what vessel placed. */
static int bzimage_write_params(struct boot_ctx *ctx, const uint8_t *head, size_t len,
				const struct boot_initrd *initrd)
{
	struct boot_params bp;
	size_t hdr_len = 0x202 + (size_t)head[0x201] - BOOT_HDR_OFFSET;
	int n;

	/* The header's own length (from its jump) bounded by what we know and what the file has. */
	if (hdr_len > sizeof(bp.hdr))
		hdr_len = sizeof(bp.hdr);
	if (hdr_len > len - BOOT_HDR_OFFSET)
		hdr_len = len - BOOT_HDR_OFFSET;
	memset(&bp, 0, sizeof(bp));
	memcpy(&bp.hdr, head + BOOT_HDR_OFFSET, hdr_len);

	bp.hdr.vid_mode = BOOT_VID_MODE_NORMAL;
	bp.hdr.type_of_loader = BOOT_LOADER_TYPE_UNDEFINED;
	bp.hdr.loadflags |= BOOT_LOADFLAG_CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = BOOT_HEAP_END_PTR;
	bp.hdr.code32_start = (uint32_t)LAYOUT_KERNEL_GPA;
	bp.hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE_GPA;
	bp.ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE_GPA >> 32);
	bp.hdr.ramdisk_image = (uint32_t)initrd->gpa;
	bp.hdr.ramdisk_size = (uint32_t)initrd->size;
	bp.ext_ramdisk_image = (uint32_t)(initrd->gpa >> 32);
	bp.ext_ramdisk_size = (uint32_t)(initrd->size >> 32);
	if (bp.hdr.version >= 0x020e)
		bp.acpi_rsdp_addr = ctx->cfg->rsdp_gpa;

	n = e820_build(ctx->mem, bp.e820_table, BOOT_E820_MAX);
	if (n < 0)
		return boot_fail(ctx, n, "boot: cannot build the e820 map");
	bp.e820_entries = (uint8_t)n;

	if (guest_mem_write(ctx->mem, LAYOUT_BOOT_INFO_GPA, &bp, sizeof(bp)) < 0)
		return boot_fail(ctx, -ENOMEM, "boot: guest RAM does not cover boot_params at %#llx",
				 LAYOUT_BOOT_INFO_GPA);
	return 0;
}

int bzimage_load(struct boot_ctx *ctx, const uint8_t *head, size_t len, struct boot_entry *entry)
{
	const struct boot_file *f = &ctx->kernel;
	struct setup_header hdr;
	struct boot_initrd initrd;
	uint64_t setup_size, want, pm_size, init_size, decomp_gpa, kernel_end, initrd_limit;
	int ret;

	/* head is zero-filled past the file; short files fail the size check below. */
	memcpy(&hdr, head + BOOT_HDR_OFFSET, sizeof(hdr));
	ret = bzimage_check_header(ctx, &hdr);
	if (ret < 0)
		return ret;

	setup_size = ((uint64_t)(hdr.setup_sects ? hdr.setup_sects : BOOT_SETUP_SECTS_DEFAULT) + 1) *
		     BOOT_SECTOR_SIZE;
	want = setup_size + (uint64_t)hdr.syssize * 16;
	if (want <= setup_size)
		want = setup_size + 1;
	if (f->size < want)
		return boot_fail(ctx, -ENOEXEC, "kernel: truncated: %" PRIu64 " bytes, setup header says %" PRIu64,
				 f->size, want);

	pm_size = f->size - setup_size;
	init_size = hdr.version >= 0x020a ? hdr.init_size : 0;
	kernel_end = LAYOUT_KERNEL_GPA + (pm_size > init_size ? pm_size : init_size);
	/*
	 * The decompressor works in [max(load address, pref_address),
	 * + init_size): pref_address is LOAD_PHYSICAL_ADDR, usually 16 MiB.
	 */
	decomp_gpa = hdr.version >= 0x020a ? hdr.pref_address : 0;
	if (decomp_gpa > ctx->low_ram_end)
		kernel_end = UINT64_MAX;
	else if (decomp_gpa + init_size > kernel_end)
		kernel_end = decomp_gpa + init_size;
	if (decomp_gpa < LAYOUT_KERNEL_GPA)
		decomp_gpa = LAYOUT_KERNEL_GPA;
	if (kernel_end > ctx->low_ram_end)
		return boot_fail(ctx, -ENOMEM,
				 "kernel: does not fit in RAM: file %.1f MiB at %#llx, init_size %.1f MiB at %#" PRIx64
				 ", but RAM below the MMIO hole ends at %#" PRIx64,
				 boot_mib(pm_size), LAYOUT_KERNEL_GPA, boot_mib(init_size), decomp_gpa,
				 ctx->low_ram_end);
	ret = boot_file_load(ctx, f, setup_size, pm_size, LAYOUT_KERNEL_GPA);
	if (ret < 0)
		return ret;

	initrd_limit = hdr.version >= 0x0203 ? hdr.initrd_addr_max : BOOT_INITRD_ADDR_MAX_OLD;
	ret = boot_initrd_load(ctx, kernel_end, initrd_limit + 1, &initrd);
	if (ret < 0)
		return ret;
	ret = boot_cmdline_write(ctx, hdr.cmdline_size);
	if (ret < 0)
		return ret;
	ret = bzimage_write_params(ctx, head, len, &initrd);
	if (ret < 0)
		return ret;

	if (hdr.xloadflags & BOOT_XLF_KERNEL_64) {
		entry->mode = BOOT_MODE_LINUX64;
		entry->entry_gpa = LAYOUT_KERNEL_GPA + 0x200;
	} else {
		entry->mode = BOOT_MODE_LINUX32;
		entry->entry_gpa = LAYOUT_KERNEL_GPA;
	}
	entry->boot_info_gpa = LAYOUT_BOOT_INFO_GPA;
	entry->stack_gpa = LAYOUT_BOOT_STACK_GPA;
	return 0;
}
