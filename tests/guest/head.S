/* SPDX-License-Identifier: MIT */
/*
 * Kernel entry points. Everything here runs at CPL0, which the host emulates
 * slowly, so it only prints the boot line, switches to our static page tables
 * and GDT, loads TR/IDT and drops to user mode. Linked first, at 0x100000:
 *   0x100000  32-bit entry (code32_start), also reached from setup.S
 *   entry_pvh PVH entry (Xen note below): EBX = hvm_start_info, else as 32-bit
 *   0x100200  64-bit entry (boot protocol XLF_KERNEL_64)
 * %edi carries the entry kind and %esi the boot info pointer to common64;
 * user mode (bootinfo.c) tells boot_params from hvm_start_info by the kind.
 */
#include "guest.h"

/* Print boot_msg on COM1: up to 16 bytes per LSR THRE check. Uses eax/ebx/edx. */
.macro BOOT_PRINT
	mov	$boot_msg, %ebx
1:	mov	$0x3fd, %dx
2:	in	%dx, %al
	test	$0x20, %al
	jz	2b
	mov	$0x3f8, %dx
	mov	$16, %ah
3:	movb	(%ebx), %al
	test	%al, %al
	jz	4f
	out	%al, %dx
	inc	%ebx
	dec	%ah
	jnz	3b
	jmp	1b
4:
.endm

	.section .text.head, "ax"
	.code32
	.globl	entry32
entry32:
	cli
	cld
	mov	$32, %edi
	cmp	$BOOT_MAGIC16, %ebp
	jne	entry32_common
	mov	$16, %edi
entry32_common:
	BOOT_PRINT
	lgdt	gdt_desc
	mov	$SEL_KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	$0x20, %eax		/* CR4.PAE only */
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax
	mov	%eax, %cr0
	ljmp	$SEL_KCODE, $common64

/* PVH: same state as the 32-bit entry but the info pointer is in EBX. */
	.globl	entry_pvh
entry_pvh:
	cli
	cld
	mov	%ebx, %esi
	mov	$BOOT_ENTRY_PVH, %edi
	jmp	entry32_common

	.org	0x200
	.code64
	.globl	entry64
entry64:
	cli
	cld
	BOOT_PRINT
	mov	$64, %edi
	lgdt	gdt_desc(%rip)
	/* PAE only: drops SMEP/SMAP (our kernel runs from U pages), PGE, TSD. */
	mov	$0x20, %eax
	mov	%rax, %cr4
	mov	$pml4, %eax
	mov	%rax, %cr3
	jmp	common64

common64:
	pushq	$SEL_KCODE		/* reload CS from our GDT */
	lea	1f(%rip), %rax
	pushq	%rax
	lretq
1:	mov	$SEL_KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	mov	%esi, %esi		/* upper halves undefined after mode switch */
	mov	%rsi, boot_params_gpa(%rip)
	mov	%edi, boot_entry(%rip)
	xor	%edi, %edi
	mov	$(bsp_ustack + BSP_USTACK_SIZE - 8), %r8d
	mov	$user_bsp_main, %esi
	jmp	cpu_enter_user

/* From the AP trampoline: long mode, CS/DS/SS ours, %edi = cpu index. */
	.globl	ap_entry64
ap_entry64:
	mov	%edi, %edi
	lea	1(%rdi), %rax
	imul	$APSTACK_SIZE, %rax, %r8
	add	$(apstacks - 8), %r8
	mov	$user_ap_main, %esi
	jmp	cpu_enter_user

/*
 * %rdi = cpu index, %rsi = user entry, %r8 = user stack. Sets up this CPU's
 * TSS (RSP0) and TSS descriptor, loads TR and the shared IDT, then iretq to
 * CPL3 with IOPL=3 and interrupts off; %rdi stays the first C argument.
 */
cpu_enter_user:
	lea	1(%rdi), %rax
	shl	$12, %rax		/* KSTACK_SIZE */
	add	$kstacks, %rax
	mov	%rax, %rsp
	mov	%rdi, %rbx
	shl	$7, %rbx		/* TSS_STRIDE */
	add	$tss_area, %rbx
	mov	%rax, 4(%rbx)		/* rsp0 */
	movw	$104, 102(%rbx)		/* I/O bitmap beyond limit: none */
	mov	%ebx, %eax		/* descriptor: base, limit 0x67, type 0x89 */
	mov	%eax, %edx
	and	$0x00ffffff, %edx
	shl	$16, %rdx
	and	$0xff000000, %eax
	shl	$32, %rax
	or	%rax, %rdx
	or	$0x67, %rdx
	movabs	$0x0000890000000000, %rax
	or	%rax, %rdx
	mov	%rdi, %rax
	shl	$4, %rax
	lea	gdt + SEL_TSS0(%rax), %rcx
	mov	%rdx, (%rcx)
	movq	$0, 8(%rcx)
	add	$SEL_TSS0, %eax
	ltr	%ax
	lidt	idt_desc(%rip)
	pushq	$(SEL_UDATA | 3)
	pushq	%r8
	pushq	$USER_RFLAGS
	pushq	$(SEL_UCODE | 3)
	pushq	%rsi
	iretq

/* XEN_ELFNOTE_PHYS32_ENTRY: makes the ELF bootable by PVH loaders. */
	.section .note.Xen, "a", @note
	.balign	4
	.long	4			/* namesz */
	.long	4			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.long	entry_pvh

	.section .rodata
boot_msg:
	.asciz	"vessel-guest: boot\r\n"

	.data
	.balign	8
	.globl	boot_params_gpa, boot_entry, gdt, gdt_desc
boot_params_gpa:
	.quad	0
boot_entry:
	.long	0
	.balign	16
gdt_desc:
	.word	GDT_SIZE - 1
	.quad	gdt
	.balign	16
idt_desc:
	.word	256 * 16 - 1
	.quad	idt
	.balign	16
gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* SEL_KCODE */
	.quad	0x00cf92000000ffff	/* SEL_KDATA */
	.quad	0x00cff2000000ffff	/* SEL_UDATA */
	.quad	0x00affa000000ffff	/* SEL_UCODE */
	.quad	0x00cf9a000000ffff	/* SEL_KCODE32 */
	.fill	GUEST_MAX_CPUS * 2, 8, 0

/*
 * Static page tables: 0-4 GiB identity mapped with 2 MiB user pages, the top
 * 32 MiB (IOAPIC, HPET, LAPIC) uncached. Nothing to build at CPL0; user mode
 * adds RAM above 4 GiB (paging_map_high() in cpu.c).
 */
	.balign	4096
	.globl	pml4, pdpt
pml4:
	.quad	pdpt + PTE_TABLE
	.fill	511, 8, 0
pdpt:
	.quad	pd_low + 0x0000 + PTE_TABLE
	.quad	pd_low + 0x1000 + PTE_TABLE
	.quad	pd_low + 0x2000 + PTE_TABLE
	.quad	pd_low + 0x3000 + PTE_TABLE
	.fill	508, 8, 0
pd_low:
	.set	i, 0
	.rept	2048
	.if	i >= 2032
	.quad	(i << 21) | PDE_FLAGS | PDE_UC
	.else
	.quad	(i << 21) | PDE_FLAGS
	.endif
	.set	i, i + 1
	.endr

/* Not zeroed, not in the image: written before use. */
	.section .noinit, "aw", @nobits
	.balign	4096
	.globl	kstacks, apstacks, bsp_ustack, tss_area, extra_pds
extra_pds:
	.skip	EXTRA_PDS * 4096
kstacks:
	.skip	GUEST_MAX_CPUS * KSTACK_SIZE
apstacks:
	.skip	GUEST_MAX_CPUS * APSTACK_SIZE
bsp_ustack:
	.skip	BSP_USTACK_SIZE
tss_area:
	.skip	GUEST_MAX_CPUS * TSS_STRIDE
