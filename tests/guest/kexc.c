// SPDX-License-Identifier: MIT
/*
 * Exception report, the only C code that runs at CPL0. It writes COM1
 * directly (no console lock: the faulting CPU may hold it) and the caller
 * halts the CPU.
 */
#include <stdint.h>
#include "guest.h"
#include "sys.h"

void kexc_report(uint64_t vec, uint64_t err, uint64_t rip, uint64_t rflags);

static char *kexc_put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *kexc_put_num(char *p, uint64_t v, unsigned int base)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void kexc_report(uint64_t vec, uint64_t err, uint64_t rip, uint64_t rflags)
{
	char line[160], *p = line, *q;
	uint64_t cr2;
	uint16_t tr;

	/* Our CPU index is encoded in the TSS selector we loaded (0 before ltr). */
	__asm__ volatile("str %0" : "=r"(tr));
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	p = kexc_put_str(p, "exception=");
	p = kexc_put_num(p, vec, 10);
	p = kexc_put_str(p, " rip=0x");
	p = kexc_put_num(p, rip, 16);
	p = kexc_put_str(p, " cpu=");
	p = kexc_put_num(p, tr >= SEL_TSS0 ? (tr - SEL_TSS0) / 16u : 0, 10);
	p = kexc_put_str(p, " err=0x");
	p = kexc_put_num(p, err, 16);
	p = kexc_put_str(p, " cr2=0x");
	p = kexc_put_num(p, cr2, 16);
	p = kexc_put_str(p, " rflags=0x");
	p = kexc_put_num(p, rflags, 16);
	p = kexc_put_str(p, "\r\n");

	for (q = line; q < p;) {
		int i;

		while (!(inb(0x3fd) & 0x20))
			;
		for (i = 0; i < 16 && q < p; i++)
			outb(0x3f8, (uint8_t)*q++);
	}
}
