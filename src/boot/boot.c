/* SPDX-License-Identifier: MIT */
/* boot_load(): detect the kernel format and hand over to its loader. */
#include "boot/boot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "boot/boot_priv.h"

int boot_fail(struct boot_ctx *ctx, int ret, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err && ctx->errlen) {
		va_start(ap, fmt);
		vsnprintf(ctx->err, ctx->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* End of the guest RAM that runs without a gap from address 0, capped at the MMIO hole. */
static uint64_t boot_low_ram_end(const struct guest_mem *mem)
{
	uint64_t end = 0;
	bool grew = true;

	while (grew && end < LAYOUT_MMIO_HOLE_GPA) {
		grew = false;
		for (unsigned int i = 0; i < mem->nr_regions; i++) {
			const struct guest_mem_region *r = &mem->regions[i];

			if (r->gpa <= end && r->gpa + r->size > end) {
				end = r->gpa + r->size;
				grew = true;
			}
		}
	}
	return end < LAYOUT_MMIO_HOLE_GPA ? end : LAYOUT_MMIO_HOLE_GPA;
}

int boot_load(const struct guest_mem *mem, const struct boot_config *cfg,
	      struct boot_entry *entry, char *err, size_t errlen)
{
	struct boot_ctx ctx = { .mem = mem, .cfg = cfg, .err = err, .errlen = errlen };
	uint8_t head[BOOT_HEAD_SIZE] = { 0 };
	size_t head_len;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg || !cfg->kernel_path)
		return boot_fail(&ctx, -EINVAL, "kernel: no kernel image given");
	ctx.low_ram_end = boot_low_ram_end(mem);

	ret = boot_file_open(&ctx, &ctx.kernel, cfg->kernel_path, "kernel");
	if (ret < 0)
		return ret;
	if (ctx.kernel.size == 0) {
		ret = boot_fail(&ctx, -ENOEXEC, "kernel: %s is empty", cfg->kernel_path);
		goto out_close;
	}
	head_len = ctx.kernel.size < sizeof(head) ? (size_t)ctx.kernel.size : sizeof(head);
	ret = boot_file_read(&ctx, &ctx.kernel, 0, head, head_len);
	if (ret < 0)
		goto out_close;

	if (pvh_elf_probe(head, head_len))
		ret = pvh_elf_load(&ctx, head, head_len, entry);
	else if (bzimage_probe(head, head_len))
		ret = bzimage_load(&ctx, head, head_len, entry);
	else
		ret = boot_fail(&ctx, -ENOEXEC, "kernel: not a Linux bzImage or ELF (PVH) image");

out_close:
	boot_file_close(&ctx.kernel);
	return ret;
}
