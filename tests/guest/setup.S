/* SPDX-License-Identifier: MIT */
/*
 * Real-mode part of the bzImage: boot sector, setup header at 0x1f1 and the
 * real-mode entry at 0x200, used by BIOS loaders (QEMU linuxboot, qboot).
 * It fills boot_params' e820 table with int 0x15/E820, enables A20, enters
 * flat 32-bit protected mode and jumps to code32_start with %esi = the
 * linear address of boot_params (= this segment) and %ebp = BOOT_MAGIC16.
 * The real-mode code starts at 0x1000 because the segment doubles as
 * boot_params. setup_sects, syssize and init_size are patched in by mkimage.py.
 */
#include "guest.h"

	.code16
	.section .text, "ax"
	.globl	_start
_start:
	.org	0x1f1
setup_sects:	.byte	0
root_flags:	.word	0
syssize:	.long	0
ram_size:	.word	0
vid_mode:	.word	0xffff
root_dev:	.word	0
boot_flag:	.word	0xaa55
/* 0x200 */
	.byte	0xeb, start16 - 1f	/* short jmp over the header */
1:	.ascii	"HdrS"
	.word	0x020f			/* boot protocol 2.15 */
	.long	0			/* realmode_swtch */
	.word	0			/* start_sys_seg */
	.word	kernel_version - 0x200
	.byte	0			/* type_of_loader */
	.byte	0x01			/* loadflags: LOADED_HIGH */
	.word	0			/* setup_move_size */
	.long	GUEST_KERNEL_GPA	/* code32_start */
	.long	0			/* ramdisk_image */
	.long	0			/* ramdisk_size */
	.long	0			/* bootsect_kludge */
	.word	0			/* heap_end_ptr */
	.byte	0			/* ext_loader_ver */
	.byte	0			/* ext_loader_type */
	.long	0			/* cmd_line_ptr */
	.long	0x7fffffff		/* initrd_addr_max */
	.long	0x200000		/* kernel_alignment */
	.byte	0			/* relocatable_kernel */
	.byte	21			/* min_alignment: 2 MiB */
	.word	0x0001			/* xloadflags: XLF_KERNEL_64 */
	.long	4095			/* cmdline_size */
	.long	0			/* hardware_subarch */
	.quad	0			/* hardware_subarch_data */
	.long	0			/* payload_offset */
	.long	0			/* payload_length */
	.quad	0			/* setup_data */
	.quad	GUEST_KERNEL_GPA	/* pref_address */
	.long	0			/* init_size */
	.long	0			/* handover_offset */
	.long	0			/* kernel_info_offset */

/*
 * boot_params is this very segment, and its e820 table (0x2d0) and other
 * fields reach up to 0x1000: the code lives past it.
 */
start16:
	jmp	setup_main

	.org	0x1000
setup_main:
	cli
	cld
	/* The loader jumps to seg+0x20:0 with ds = seg; make cs = ds. */
	pushw	%ds
	pushw	$2f
	lretw
2:	mov	%ds, %ax
	mov	%ax, %es

	/* e820 into boot_params (this segment): table at 0x2d0, count at 0x1e8. */
	movb	$0, 0x1e8
	mov	$0x2d0, %di
	xor	%ebx, %ebx
	xor	%si, %si
3:	mov	$0xe820, %eax
	mov	$0x534d4150, %edx
	mov	$20, %ecx
	int	$0x15
	jc	4f
	cmp	$0x534d4150, %eax
	jne	4f
	mov	8(%di), %eax		/* skip empty entries (qboot ends with one) */
	or	12(%di), %eax
	jz	5f
	add	$20, %di
	inc	%si
	cmp	$128, %si
	jae	4f
5:	test	%ebx, %ebx
	jnz	3b
4:	mov	%si, %ax
	movb	%al, 0x1e8

	/* A20 via port 0x92 (fast gate). */
	in	$0x92, %al
	or	$2, %al
	and	$0xfe, %al
	out	%al, $0x92

	/* Linear address of boot_params; patch it into the GDT pointer. */
	xor	%eax, %eax
	mov	%ds, %ax
	shl	$4, %eax
	mov	%eax, %esi
	add	%eax, gdt_base
	lgdtl	gdt_ptr
	mov	%cr0, %eax
	or	$1, %al
	mov	%eax, %cr0
	mov	$0x18, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$BOOT_MAGIC16, %ebp
	ljmpl	$0x10, $GUEST_KERNEL_GPA

	.balign	8
setup_gdt:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x10: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
gdt_ptr:
	.word	4 * 8 - 1
gdt_base:
	.long	setup_gdt

kernel_version:
	.asciz	"vessel-guest"
