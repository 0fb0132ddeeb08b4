/* SPDX-License-Identifier: MIT */
/*
 * Tiny inline helpers for user mode: port I/O (allowed by IOPL=3), MMIO,
 * the int 0x80 syscalls and the TSC.
 */
#ifndef VESSEL_GUEST_SYS_H
#define VESSEL_GUEST_SYS_H

#include <stdint.h>
#include "guest.h"

/* Arrivals per counted vector (VEC_COUNTED_BASE + i), bumped by isr.S. */
extern volatile uint32_t irq_counts[VEC_COUNTED_NUM];

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t mmio_read32(uint64_t gpa)
{
	return *(volatile uint32_t *)(uintptr_t)gpa;
}

static inline void mmio_write32(uint64_t gpa, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)gpa = v;
}

static inline uint16_t mmio_read16(uint64_t gpa)
{
	return *(volatile uint16_t *)(uintptr_t)gpa;
}

static inline void mmio_write16(uint64_t gpa, uint16_t v)
{
	*(volatile uint16_t *)(uintptr_t)gpa = v;
}

static inline uint8_t mmio_read8(uint64_t gpa)
{
	return *(volatile uint8_t *)(uintptr_t)gpa;
}

static inline void mmio_write8(uint64_t gpa, uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)gpa = v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* Orders our ring writes before the device sees a notify (and vice versa). */
static inline void mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static inline void sys_call(uint32_t nr)
{
	__asm__ volatile("int $0x80" : : "a"(nr) : "memory");
}

/* Sleep until the next interrupt (console input, IPI). */
static inline void sys_wait(void)
{
	sys_call(SYS_WAIT);
}

static inline __attribute__((noreturn)) void sys_halt(void)
{
	for (;;)
		sys_call(SYS_HALT);
}

/* Spin for about n TSC cycles (for IPI pacing and "did it work" grace periods). */
static inline void tsc_delay(uint64_t cycles)
{
	uint64_t start = rdtsc();

	while (rdtsc() - start < cycles)
		cpu_relax();
}

#endif
