/* SPDX-License-Identifier: MIT */
/* TSC frequency for timing benchmarks. */
#ifndef VESSEL_GUEST_TSC_H
#define VESSEL_GUEST_TSC_H

#include <stdint.h>

/*
 * Hz from CPUID 0x15, else 0x40000010, else one 50 ms LAPIC one-shot; cached.
 * *source (if not NULL) gets "cpuid15", "cpuid40000010" or "lapic".
 */
uint64_t tsc_hz(const char **source);

#endif
