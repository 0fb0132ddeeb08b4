// SPDX-License-Identifier: MIT
/*
 * tick:<ms>:<count>: a line every ms, timed by the LAPIC timer with the CPU
 * in hlt between lines. While the host pauses the VM no line appears; after
 * resume the numbering simply goes on.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "timer.h"

#define TICK_MAX_MS	3600000u

int cmd_tick(const char *arg)
{
	uint64_t v[2], ms, count;

	if (parse_sizes(arg, v, 2))
		goto out_usage;
	ms = v[0];
	count = v[1];
	if (!ms || ms > TICK_MAX_MS || count > 0xffffffffu)
		goto out_usage;
	for (uint64_t n = 1; n <= count; n++) {
		timer_wait(NULL, 0, (uint32_t)ms);
		con_printf("tick=%lu tsc=%lu\n", n, rdtsc());
	}
	con_printf("tick.done=%lu\n", count);
	return 0;

out_usage:
	con_printf("tick.error=usage tick:<ms>:<count>\n");
	return -1;
}
