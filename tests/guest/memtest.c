// SPDX-License-Identifier: MIT
/*
 * memtest[:size]: one 64-bit word per 4 KiB page, the page's last word, so
 * the very last byte range of RAM is covered. Skips the first 1 MiB and the
 * guest image (code, page tables, stacks). Runs at CPL3, native speed.
 */
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"

#define PAGE_SIZE	4096ULL
#define MEMTEST_WORD	(PAGE_SIZE - 8)
#define MEMTEST_SALT	0x5a17c0de9e55e1ULL

extern char __image_start[], __image_end[];

struct memtest_range {
	uint64_t start, end;
};

/* Up to two testable pieces of one e820 RAM range (the image splits it). */
static uint32_t memtest_clip(const struct e820_entry *e, struct memtest_range out[2])
{
	uint64_t start = (e->addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t end = (e->addr + e->size) & ~(PAGE_SIZE - 1);
	uint64_t img_s = (uintptr_t)__image_start, img_e = (uintptr_t)__image_end;
	uint32_t n = 0;

	if (start < 0x100000)
		start = 0x100000;
	if (start >= end)
		return 0;
	if (start < img_s)
		out[n++] = (struct memtest_range){ start, end < img_s ? end : img_s };
	if (end > img_e)
		out[n++] = (struct memtest_range){ start > img_e ? start : img_e, end };
	return n;
}

/* Passes over all ranges; write == false verifies. Returns pages or fails. */
static uint64_t memtest_pass(bool write, uint64_t limit, uint64_t *top, uint64_t *fail)
{
	uint64_t pages = 0, budget = limit;
	uint32_t i, j;

	for (i = 0; i < bootinfo.e820_count && budget; i++) {
		struct memtest_range r[2];
		uint32_t n;

		if (bootinfo.e820[i].type != E820_RAM)
			continue;
		n = memtest_clip(&bootinfo.e820[i], r);
		for (j = 0; j < n && budget; j++) {
			uint64_t p;

			for (p = r[j].start; p < r[j].end && budget; p += PAGE_SIZE) {
				volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)(p + MEMTEST_WORD);
				uint64_t v = (p + MEMTEST_WORD) ^ MEMTEST_SALT;

				if (write) {
					*w = v;
				} else if (*w != v) {
					if (!*fail)
						*fail = p + MEMTEST_WORD;
				}
				if (p + MEMTEST_WORD > *top)
					*top = p + MEMTEST_WORD;
				pages++;
				budget = budget > PAGE_SIZE ? budget - PAGE_SIZE : 0;
			}
		}
	}
	return pages;
}

int cmd_memtest(const char *arg)
{
	uint64_t limit = ~0ULL, top = 0, fail = 0, pages;

	if (*arg && (parse_size(arg, &limit) || !limit)) {
		con_printf("error=bad memtest size %s\n", arg);
		return -1;
	}
	memtest_pass(true, limit, &top, &fail);
	pages = memtest_pass(false, limit, &top, &fail);
	con_printf("memtest.pages=%lu\n", pages);
	con_printf("memtest.top=0x%lx\n", top);
	if (fail)
		con_printf("memtest.fail=0x%lx\n", fail);
	else
		con_printf("memtest.ok=1\n");
	return fail ? -1 : 0;
}
