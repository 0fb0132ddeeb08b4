/* SPDX-License-Identifier: MIT */
/*
 * AP startup trampoline, copied by the BSP to GUEST_TRAMPOLINE_GPA (SIPI
 * vector 1): real mode -> 32-bit protected mode -> long mode on the kernel
 * GDT and page tables, then ap_entry64 with %edi = the cpu index the BSP
 * wrote into tramp_cpu. APs are started one at a time.
 */
#include "guest.h"

#define T(sym)	(GUEST_TRAMPOLINE_GPA + (sym) - tramp_start)

	.section .rodata.tramp, "a"
	.code16
	.globl	tramp_start, tramp_end, tramp_cpu
tramp_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	(tramp_gdt_desc - tramp_start)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_KCODE32, $T(tramp32)

	.code32
tramp32:
	mov	$SEL_KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	$0x20, %eax
	mov	%eax, %cr4
	mov	T(tramp_cr3), %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax
	mov	%eax, %cr0
	ljmp	$SEL_KCODE, $T(tramp64)

	.code64
tramp64:
	mov	T(tramp_cpu), %edi
	jmp	*T(tramp_entry)

	.balign	8
tramp_gdt_desc:
	.word	GDT_SIZE - 1
	.long	gdt
	.word	0
tramp_cr3:
	.long	pml4
tramp_cpu:
	.long	0
tramp_entry:
	.quad	ap_entry64
tramp_end:
