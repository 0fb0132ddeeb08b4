// SPDX-License-Identifier: MIT
/* TSC frequency: from CPUID when the (virtual) CPU tells, else timed once. */
#include "apic.h"
#include "guest.h"
#include "sys.h"
#include "tsc.h"

#define TSC_CAL_NS	50000000u	/* 50 ms against the LAPIC timer (1 GHz under KVM) */

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static uint64_t tsc_from_cpuid(const char **source)
{
	uint32_t a, b, c, d;

	cpuid(0, &a, &b, &c, &d);
	if (a >= 0x15) {
		cpuid(0x15, &a, &b, &c, &d);
		if (a && b && c) {
			*source = "cpuid15";
			return (uint64_t)c * b / a;
		}
	}
	cpuid(0x40000000, &a, &b, &c, &d);
	if (a >= 0x40000010 && a < 0x40010000) {
		cpuid(0x40000010, &a, &b, &c, &d);
		if (a) {
			*source = "cpuid40000010";
			return (uint64_t)a * 1000;
		}
	}
	return 0;
}

/* One 50 ms LAPIC one-shot; the two MMIO exits around it are noise. */
static uint64_t tsc_from_lapic(void)
{
	volatile uint32_t *ticks = &irq_counts[VEC_TIMER - VEC_COUNTED_BASE];
	uint32_t t0 = *ticks;
	uint64_t c0, c1;

	lapic_timer_oneshot(VEC_TIMER, TSC_CAL_NS);
	c0 = rdtsc();
	while (*ticks == t0)
		sys_wait();
	c1 = rdtsc();
	return (c1 - c0) * (1000000000ull / TSC_CAL_NS);
}

uint64_t tsc_hz(const char **source)
{
	static uint64_t hz;
	static const char *src;

	if (!hz) {
		hz = tsc_from_cpuid(&src);
		if (!hz) {
			hz = tsc_from_lapic();
			src = "lapic";
		}
	}
	if (source)
		*source = src;
	return hz;
}
