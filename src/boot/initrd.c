/* SPDX-License-Identifier: MIT */
/*
 * The initrd goes as high as the kernel allows (like other boot loaders do),
 * so it stays out of the way of the kernel's decompression and early
 * allocations above its load address.
 */
#include "boot/boot_priv.h"

#include <errno.h>
#include <inttypes.h>

int boot_initrd_load(struct boot_ctx *ctx, uint64_t kernel_end, uint64_t limit, struct boot_initrd *initrd)
{
	struct boot_file f;
	uint64_t top, bottom, gpa;
	int ret;

	initrd->gpa = 0;
	initrd->size = 0;
	if (!ctx->cfg->initrd_path)
		return 0;

	ret = boot_file_open(ctx, &f, ctx->cfg->initrd_path, "initrd");
	if (ret < 0)
		return ret;
	if (f.size == 0) /* nothing to load: the kernel sees no initrd */
		goto out_close;

	top = limit < ctx->low_ram_end ? limit : ctx->low_ram_end;
	top &= ~(BOOT_PAGE_SIZE - 1);
	bottom = (kernel_end + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	if (bottom > top || f.size > top - bottom) {
		ret = boot_fail(ctx, -ENOMEM,
				"initrd: %.1f MiB (%" PRIu64 " bytes) does not fit between the kernel end %#" PRIx64
				" and %#" PRIx64 " (%.1f MiB free)",
				boot_mib(f.size), f.size, bottom, top,
				boot_mib(bottom < top ? top - bottom : 0));
		goto out_close;
	}
	gpa = (top - f.size) & ~(BOOT_PAGE_SIZE - 1);
	ret = boot_file_load(ctx, &f, 0, f.size, gpa);
	if (ret < 0)
		goto out_close;
	initrd->gpa = gpa;
	initrd->size = f.size;

out_close:
	boot_file_close(&f);
	return ret;
}
