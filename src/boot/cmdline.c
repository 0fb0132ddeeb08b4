/* SPDX-License-Identifier: MIT */
/* The kernel command line, copied to its fixed place in guest RAM. */
#include "boot/boot_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86/layout.h"

int boot_cmdline_write(struct boot_ctx *ctx, uint64_t max_len)
{
	const char *cmdline = ctx->cfg->cmdline ? ctx->cfg->cmdline : "";
	uint64_t len = strlen(cmdline);

	if (max_len > LAYOUT_CMDLINE_MAX - 1)
		max_len = LAYOUT_CMDLINE_MAX - 1;
	if (len > max_len)
		return boot_fail(ctx, -E2BIG, "cmdline: %" PRIu64 " bytes is too long, the kernel accepts at most %" PRIu64,
				 len, max_len);
	if (guest_mem_write(ctx->mem, LAYOUT_CMDLINE_GPA, cmdline, len + 1) < 0)
		return boot_fail(ctx, -ENOMEM, "cmdline: guest RAM does not cover %#llx", LAYOUT_CMDLINE_GPA);
	return 0;
}
