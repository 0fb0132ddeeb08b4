// SPDX-License-Identifier: MIT
/*
 * memtick:<MiB>:<ms>:<count>: fills MiB of RAM just above the image with a
 * pattern, prints its checksum, then ticks like `tick` and re-checks the
 * memory at every tick. For snapshot tests: a restored guest must go on
 * with the next tick number and the same checksum.
 */
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "timer.h"

#define MEMTICK_MAX_MIB	4096u
#define MEMTICK_SEED	0x5eed5eed5eed5eedULL

static uint64_t memtick_word(uint64_t i)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL ^ MEMTICK_SEED;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* FNV-1a over 64-bit words: fast enough to re-check every tick. */
static uint64_t memtick_sum(const volatile uint64_t *p, uint64_t words)
{
	uint64_t h = FNV1A64_INIT;

	for (uint64_t i = 0; i < words; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

int cmd_memtick(const char *arg)
{
	uint64_t v[3], start, words, sum, now;
	volatile uint64_t *mem;
	bool ok = true;

	if (parse_sizes(arg, v, 3) || !v[0] || v[0] > MEMTICK_MAX_MIB || !v[1] || v[1] > 3600000 ||
	    v[2] > 0xffffffffu) {
		con_printf("memtick.error=usage memtick:<MiB>:<ms>:<count>\n");
		return -1;
	}
	words = (v[0] << 20) / 8;
	if (!bootinfo_scratch_ram(v[0] << 20, &start)) {
		con_printf("memtick.error=%lu MiB at 0x%lx is not RAM\n", v[0], start);
		return -1;
	}
	mem = (volatile uint64_t *)(uintptr_t)start;
	for (uint64_t i = 0; i < words; i++)
		mem[i] = memtick_word(i);
	sum = memtick_sum(mem, words);
	con_printf("memtick.mib=%lu\n", v[0]);
	con_printf("memtick.fnv1a=0x%lx\n", sum);
	for (uint64_t n = 1; n <= v[2]; n++) {
		timer_wait(NULL, 0, (uint32_t)v[1]);
		now = memtick_sum(mem, words);
		if (now != sum) {
			con_printf("memtick.mismatch=%lu fnv1a=0x%lx\n", n, now);
			ok = false;
		}
		con_printf("memtick=%lu tsc=%lu\n", n, rdtsc());
	}
	con_printf("memtick.done=%lu\n", v[2]);
	con_printf("memtick.ok=%d\n", ok ? 1 : 0);
	return ok ? 0 : -1;
}
