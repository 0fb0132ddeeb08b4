// SPDX-License-Identifier: MIT
/* LAPIC-timed sleeps: one one-shot per slice, sys_wait (sti; hlt) in between. */
#include "apic.h"
#include "guest.h"
#include "sys.h"
#include "timer.h"

/* 1 s at the LAPIC's 1 GHz (under KVM) fits the 32-bit initial count. */
#define TIMER_SLICE_MS	1000u
#define NS_PER_MS	1000000u

bool timer_wait(const volatile uint32_t *counter, uint32_t seen, uint32_t ms)
{
	volatile uint32_t *ticks = &irq_counts[VEC_TIMER - VEC_COUNTED_BASE];

	while (ms) {
		uint32_t slice = ms < TIMER_SLICE_MS ? ms : TIMER_SLICE_MS;
		uint32_t t0 = *ticks;

		lapic_timer_oneshot(VEC_TIMER, slice * NS_PER_MS);
		while (*ticks == t0) {
			if (counter && *counter != seen) {
				lapic_timer_oneshot(VEC_TIMER, 0);
				return true;
			}
			/* Other interrupts (console input) wake us too: re-check. */
			sys_wait();
		}
		ms -= slice;
	}
	return counter && *counter != seen;
}
