/* SPDX-License-Identifier: MIT */
/*
 * Constants shared by the test guest's assembly and C code. Kept free of C
 * syntax so head.S, isr.S and trampoline.S can include it.
 */
#ifndef VESSEL_GUEST_GUEST_H
#define VESSEL_GUEST_GUEST_H

#define GUEST_KERNEL_GPA	0x100000	/* code32_start, link address */
#define GUEST_TRAMPOLINE_GPA	0x1000		/* AP real-mode entry page */
#define GUEST_SIPI_VECTOR	(GUEST_TRAMPOLINE_GPA >> 12)

/* GDT layout: TSS descriptors (16 bytes each, one per CPU) come last. */
#define SEL_KCODE	0x08	/* 64-bit kernel code */
#define SEL_KDATA	0x10
#define SEL_UDATA	0x18	/* DPL 3; used as 0x1b */
#define SEL_UCODE	0x20	/* DPL 3, 64-bit; used as 0x23 */
#define SEL_KCODE32	0x28	/* 32-bit code for the AP trampoline */
#define SEL_TSS0	0x30

#define GUEST_MAX_CPUS	256
#define GDT_SIZE	(SEL_TSS0 + 16 * GUEST_MAX_CPUS)

#define KSTACK_SIZE	4096	/* per CPU, CPL0: interrupts, syscalls */
#define APSTACK_SIZE	8192	/* per AP, CPL3 job stack */
#define BSP_USTACK_SIZE	65536	/* BSP user mode: shell, ACPI, commands */
#define TSS_STRIDE	128	/* 104-byte TSS padded */

/* RFLAGS for user mode: IOPL=3 (port I/O, cli/sti), IF=0. */
#define USER_RFLAGS	0x3002

#define VEC_UART	0x30
/* Vectors whose arrivals are counted in irq_counts[] (isr.S). */
#define VEC_COUNTED_BASE	0x40
#define VEC_COUNTED_NUM	8
#define VEC_TIMER	(VEC_COUNTED_BASE + 0)	/* LAPIC one-shot: wait timeouts */
#define VEC_VIRTIO	(VEC_COUNTED_BASE + 1)	/* virtio-rng MSI-X */
#define VEC_VIRTIO_BLK	(VEC_COUNTED_BASE + 2)	/* virtio-blk MSI-X; +1.. for more devices */
#define VEC_POWER_BUTTON	(VEC_COUNTED_BASE + 7)	/* the ACPI GED's IOAPIC pin */
#define VEC_SPURIOUS	0xff
#define VEC_SYSCALL	0x80

#define SYS_WAIT	0	/* sti; hlt; cli: wait for one interrupt */
#define SYS_TRIPLE	1	/* zero-limit IDT + exception: shutdown */
#define SYS_HALT	2	/* cli; hlt forever */
#define SYS_FLUSH_TLB	3	/* reload CR3 after changing present PDEs */

#define BOOT_MAGIC16	0x56455331	/* in %ebp: real-mode setup was used */

/* boot_entry values: 64, 32 and 16 are the Linux entries, this one is PVH. */
#define BOOT_ENTRY_PVH	1
#define XEN_ELFNOTE_PHYS32_ENTRY	18

/* 2 MiB page-directory entry flags: P | RW | US | PS. */
#define PDE_FLAGS	0x87
#define PDE_UC		0x18	/* PWT | PCD */
#define PTE_TABLE	0x07	/* P | RW | US for PML4/PDPT entries */
#define EXTRA_PDS	60	/* page directories for RAM from 4 to 64 GiB */

#endif
