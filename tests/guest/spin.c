// SPDX-License-Identifier: MIT
/*
 * spin:<ms>: keeps the CPU busy in user mode for ms milliseconds of TSC
 * time, never sleeping and never exiting to the host: a CPU hog for the
 * host's CPU quota tests. spin.loops counts the work done, so a throttled
 * guest shows fewer loops for the same time.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "tsc.h"

#define SPIN_MAX_MS	3600000u

int cmd_spin(const char *arg)
{
	uint64_t ms, hz, cycles, t0, loops = 0;
	volatile uint64_t sink = 0;

	if (parse_size(arg, &ms) || !ms || ms > SPIN_MAX_MS) {
		con_printf("spin.error=usage spin:<ms>\n");
		return -1;
	}
	hz = tsc_hz(NULL);
	cycles = hz / 1000 * ms;
	con_printf("spin.ms=%lu\n", ms);
	t0 = rdtsc();
	while (rdtsc() - t0 < cycles) {
		/* A little arithmetic per TSC read: work that only runs while the vCPU does. */
		for (int i = 0; i < 1000; i++)
			sink = sink * 6364136223846793005ULL + 1442695040888963407ULL;
		loops++;
	}
	con_printf("spin.loops=%lu\n", loops);
	con_printf("spin.done=1\n");
	return 0;
}
