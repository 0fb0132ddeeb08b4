/* SPDX-License-Identifier: MIT */
/*
 * Interrupt and syscall entry (CPL0). The IDT itself is filled by user mode
 * (idt.c) because CPL0 instructions are expensive here.
 */
#include "guest.h"

	.text
	.code64

/* 32 exception stubs, 16 bytes apart: push a dummy error code if the CPU doesn't. */
	.balign	16
	.globl	isr_exc_stubs
isr_exc_stubs:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign	16
	.if	(\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
	.endr

exc_common:
	mov	(%rsp), %rdi		/* vector */
	mov	8(%rsp), %rsi		/* error code */
	mov	16(%rsp), %rdx		/* rip */
	mov	32(%rsp), %rcx		/* rflags */
	and	$-16, %rsp
	call	kexc_report
1:	cli
	hlt
	jmp	1b

/*
 * #GP. Some hosts (kvm_pvm) do not honour IOPL=3 for guest user mode, so a
 * user-mode in/out traps here; execute the same instruction at CPL0 on the
 * user's own %eax/%edx and skip it. Anything else is a real fault.
 */
	.globl	gp_entry
gp_entry:
	testb	$3, 16(%rsp)		/* from user mode? */
	jz	gp_fatal
	cmpq	$0, (%rsp)
	jne	gp_fatal
	pushq	%rsi
	pushq	%rdi
	pushq	%rcx
	mov	32(%rsp), %rsi		/* user rip */
	xor	%ecx, %ecx		/* bytes of the instruction before the opcode */
	cmpb	$0x66, (%rsi)
	jne	1f
	inc	%ecx
1:	movzbl	(%rsi,%rcx), %edi
	cmp	$0xec, %edi
	je	gp_in_dx_b
	cmp	$0xed, %edi
	je	gp_in_dx
	cmp	$0xee, %edi
	je	gp_out_dx_b
	cmp	$0xef, %edi
	je	gp_out_dx
	cmp	$0xe4, %edi
	jb	gp_unknown
	cmp	$0xe7, %edi
	ja	gp_unknown
	/* e4-e7 ib: port in the immediate; borrow %edx for it. */
	pushq	%rdx
	movzbl	1(%rsi,%rcx), %edx
	cmp	$0xe4, %edi
	je	2f
	cmp	$0xe5, %edi
	je	3f
	cmp	$0xe6, %edi
	je	4f
	jecxz	5f
	out	%ax, %dx
	jmp	6f
5:	out	%eax, %dx
	jmp	6f
4:	out	%al, %dx
	jmp	6f
3:	jecxz	7f
	in	%dx, %ax
	jmp	6f
7:	in	%dx, %eax
	jmp	6f
2:	in	%dx, %al
6:	popq	%rdx
	add	$2, %ecx
	jmp	gp_done
gp_in_dx_b:
	in	%dx, %al
	jmp	gp_done1
gp_in_dx:
	jecxz	1f
	in	%dx, %ax
	jmp	gp_done1
1:	in	%dx, %eax
	jmp	gp_done1
gp_out_dx_b:
	out	%al, %dx
	jmp	gp_done1
gp_out_dx:
	jecxz	1f
	out	%ax, %dx
	jmp	gp_done1
1:	out	%eax, %dx
gp_done1:
	inc	%ecx
gp_done:
	add	%rcx, 32(%rsp)		/* skip the instruction */
	popq	%rcx
	popq	%rdi
	popq	%rsi
	add	$8, %rsp		/* error code */
	iretq
gp_unknown:
	popq	%rcx
	popq	%rdi
	popq	%rsi
gp_fatal:
	jmp	isr_exc_stubs + 16 * 13

/* Device interrupts: the work happens in user mode; just acknowledge. */
	.globl	irq_eoi_entry
irq_eoi_entry:
	movl	$1, irq_pending(%rip)
	pushq	%rax
	mov	lapic_eoi_reg(%rip), %rax
	movl	$0, (%rax)
	popq	%rax
	iretq

/* Counted vectors (VEC_COUNTED_BASE + i), 16 bytes apart: count, then EOI. */
	.balign	16
	.globl	irq_counted_stubs
irq_counted_stubs:
	.irp	i, 0,1,2,3,4,5,6,7
	.balign	16
	incl	irq_counts + 4 * \i(%rip)
	jmp	irq_eoi_entry
	.endr

	.globl	irq_spurious_entry
irq_spurious_entry:
	iretq

/*
 * #UD. kvm_pvm raises it for a user-mode "int $0x80"; treat that as the
 * syscall it was meant to be.
 */
	.globl	ud_entry
ud_entry:
	testb	$3, 8(%rsp)
	jz	1f
	pushq	%rsi
	mov	8(%rsp), %rsi
	cmpw	$0x80cd, (%rsi)
	popq	%rsi
	jne	1f
	addq	$2, (%rsp)
	jmp	syscall_entry
1:	jmp	isr_exc_stubs + 16 * 6

/* int 0x80, DPL 3: %eax = SYS_*. */
	.globl	syscall_entry
syscall_entry:
	cmp	$SYS_WAIT, %eax
	jne	1f
	/*
	 * Returns after any interrupt since the last wait, even one taken in
	 * user mode (hosts like kvm_pvm may deliver them despite IF=0 there).
	 */
	cmpl	$0, irq_pending(%rip)
	jne	3f
	sti
	hlt
	cli
3:	movl	$0, irq_pending(%rip)
	iretq
1:	cmp	$SYS_FLUSH_TLB, %eax
	jne	4f
	/* Present PDEs changed (uncached MMIO): drop stale translations. */
	pushq	%rax
	mov	%cr3, %rax
	mov	%rax, %cr3
	popq	%rax
	iretq
4:	cmp	$SYS_TRIPLE, %eax
	jne	2f
	lidt	idt_zero(%rip)
	ud2
2:	cli
	hlt
	jmp	2b

	.data
	.balign	8
	.globl	lapic_eoi_reg
lapic_eoi_reg:
	.quad	0xfee000b0
irq_pending:
	.long	0
	.balign	4
	.globl	irq_counts
irq_counts:
	.fill	VEC_COUNTED_NUM, 4, 0
idt_zero:
	.word	0
	.quad	0

	.bss
	.balign	4096
	.globl	idt
idt:
	.skip	256 * 16
