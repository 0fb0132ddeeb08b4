// SPDX-License-Identifier: MIT
/*
 * memdirty:<MiB>:<MiB/s>:<ms>:<count>: for live-migration tests, a
 * workload that keeps dirtying memory at a set rate. It rewrites the pages
 * of MiB (just above the image) round-robin at MiB/s, paced by the TSC in
 * user mode (no sleeping), each page with a pattern of (page, step) and the
 * step in its first word. Every ms it checks every page against what the
 * current step says it must hold (a page that lost a write fails) and
 * prints a line with a counter. A migrated guest must go on with the next
 * counter value and keep passing the check.
 */
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "tsc.h"

#define MEMDIRTY_MAX_MIB	4096u
#define MEMDIRTY_PAGE_WORDS	512u

static uint64_t memdirty_word(uint64_t page, uint64_t step, uint64_t i)
{
	uint64_t z = (page * 0x9e3779b97f4a7c15ULL) ^ (step * 0xbf58476d1ce4e5b9ULL) ^ (i + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	return z ^ (z >> 31);
}

static void memdirty_write(volatile uint64_t *page, uint64_t index, uint64_t step)
{
	page[0] = step;
	for (uint64_t i = 1; i < MEMDIRTY_PAGE_WORDS; i++)
		page[i] = memdirty_word(index, step, i);
}

/*
 * Steps 0 .. steps-1 have been done; step s wrote page s % pages. Returns
 * the first page that does not hold its last write, or pages if all do.
 */
static uint64_t memdirty_check(volatile uint64_t *mem, uint64_t pages, uint64_t steps)
{
	for (uint64_t p = 0; p < pages; p++) {
		volatile uint64_t *page = mem + p * MEMDIRTY_PAGE_WORDS;
		/* The initial fill was steps 0 .. pages-1; later rounds rewrite in order. */
		uint64_t last = p + (steps - 1 - p) / pages * pages;

		if (page[0] != last)
			return p;
		for (uint64_t i = 1; i < MEMDIRTY_PAGE_WORDS; i++)
			if (page[i] != memdirty_word(p, last, i))
				return p;
	}
	return pages;
}

int cmd_memdirty(const char *arg)
{
	uint64_t v[4], start, pages, steps, hz, tick_cycles, t0, bad;
	volatile uint64_t *mem;
	bool ok = true;

	if (parse_sizes(arg, v, 4) || !v[0] || v[0] > MEMDIRTY_MAX_MIB || v[1] > 100000 || !v[2] ||
	    v[2] > 3600000 || v[3] > 0xffffffffu) {
		con_printf("memdirty.error=usage memdirty:<MiB>:<MiB/s>:<ms>:<count>\n");
		return -1;
	}
	if (!bootinfo_scratch_ram(v[0] << 20, &start)) {
		con_printf("memdirty.error=%lu MiB at 0x%lx is not RAM\n", v[0], start);
		return -1;
	}
	mem = (volatile uint64_t *)(uintptr_t)start;
	pages = (v[0] << 20) / 4096;
	for (steps = 0; steps < pages; steps++)
		memdirty_write(mem + steps * MEMDIRTY_PAGE_WORDS, steps, steps);
	hz = tsc_hz(NULL);
	tick_cycles = hz / 1000 * v[2];
	con_printf("memdirty.mib=%lu\n", v[0]);
	con_printf("memdirty.rate_mib_s=%lu\n", v[1]);
	t0 = rdtsc();
	for (uint64_t n = 1; n <= v[3]; n++) {
		uint64_t tick_start = rdtsc(), written = 0;
		/* Pages this tick owes: MiB/s * 256 pages per MiB, per ms of tick. */
		uint64_t due = v[1] * 256 * v[2] / 1000;

		while (rdtsc() - tick_start < tick_cycles) {
			/* Pace: the share of the tick's pages that is due by now. */
			uint64_t now = rdtsc() - tick_start;
			uint64_t target = now >= tick_cycles ? due : due * now / tick_cycles;

			while (written < target) {
				memdirty_write(mem + (steps % pages) * MEMDIRTY_PAGE_WORDS, steps % pages, steps);
				steps++;
				written++;
			}
		}
		bad = memdirty_check(mem, pages, steps);
		if (bad != pages) {
			con_printf("memdirty.mismatch=%lu page=%lu\n", n, bad);
			ok = false;
		}
		con_printf("memdirty=%lu steps=%lu ok=%d\n", n, steps, bad == pages ? 1 : 0);
	}
	con_printf("memdirty.elapsed_ms=%lu\n", (rdtsc() - t0) / (hz / 1000));
	con_printf("memdirty.done=%lu\n", v[3]);
	con_printf("memdirty.ok=%d\n", ok ? 1 : 0);
	return ok ? 0 : -1;
}
