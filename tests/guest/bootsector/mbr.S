/* SPDX-License-Identifier: MIT */
/*
 * A three-sector boot program for the firmware-boot test (test_firmware.py).
 * The firmware (SeaBIOS) loads sector 0, the MBR, at 0x7c00 and jumps to it
 * with the boot drive in DL. It prints on COM1 with plain port writes (no
 * BIOS call; a few lines, as every byte is a VM exit), reads sector 1 with
 * sectors 1 and 2 with int 13h (an extended read) and runs them. That part
 * sums the RAM the BIOS reports through int 15h E820, finds the ACPI RSDP
 * the firmware installed in the F segment and checks it and every table
 * it leads to (copied below 1 MiB with int 15h AH=87h): checksums, and
 * the signatures of the XSDT's tables and the FADT's DSDT. Then it powers
 * the VM off through vessel's ACPI sleep-control port. On COM1:
 *
 *   vessel-mbr: booted dl=0x80
 *   vessel-mbr: read sectors 1-2
 *   vessel-mbr: e820 entries=6 ram_kib=261747
 *   vessel-mbr: acpi rsdp ok FACP ok DSDT ok APIC ok MCFG ok
 *   vessel-mbr: power off
 *
 * A failed read prints "vessel-mbr: disk read failed", a table with a bad
 * checksum "XXXX bad", a missing RSDP "acpi no rsdp"; it powers off anyway.
 */
#define COM1            0x3f8
#define ACPI_SLEEP_CTL  0x600           /* LAYOUT_PORT_ACPI_SLEEP_CTL */
#define SLEEP_S5        ((5 << 2) | 0x20) /* SLP_TYP = S5, SLP_EN */
#define STAGE2_MAGIC    0x3252424d      /* "MBR2" */
#define SMAP            0x534d4150
#define E820_RAM        1
#define RSDP_SIG_LO     0x20445352      /* "RSD " */
#define RSDP_SIG_HI     0x20525450      /* "PTR " */
#define TABLE_BUF       0x1000          /* a copied table, up to TABLE_MAX bytes */
#define TABLE_MAX       0x1000
#define XSDT_BUF        0x0800          /* the copied XSDT */
#define XSDT_MAX        0x100

	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	ljmp $0, $1f                    /* CS = 0, whatever the firmware jumped with */
1:	sti
	movb %dl, drive

	/*
	 * SeaBIOS's serial console (sercon) writes its last character and
	 * line end lazily (on a timer tick, if the build has one): scroll the
	 * screen a line through the BIOS, which writes them out first, so
	 * that "Booting from Hard Disk..." ends before this program's lines.
	 */
	movw $0x0601, %ax               /* int 10h AH=06h: scroll up one line */
	movb $0x07, %bh
	xorw %cx, %cx
	movw $0x184f, %dx
	int $0x10

	movw $msg_booted, %si
	call puts
	movb drive, %al
	call puthex8
	call newline

	/* int 13h AH=42h: sectors 1-2 (LBA) to 0000:7e00, right after this one. */
	movw $dap, %si
	movb $0x42, %ah
	movb drive, %dl
	int $0x13
	jc read_failed
	cmpl $STAGE2_MAGIC, stage2_magic
	jne read_failed
	jmp stage2

read_failed:
	movw $msg_read_failed, %si
	call puts
	jmp poweroff

/* Writes the NUL-terminated string at DS:SI to COM1. */
puts:
	movw $COM1, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret

newline:
	movw $msg_newline, %si
	jmp puts

/* Writes AL as two hex digits. */
puthex8:
	pushw %ax
	shrb $4, %al
	call puthex4
	popw %ax
	andb $0x0f, %al
puthex4:
	andb $0x0f, %al
	addb $'0', %al
	cmpb $'9', %al
	jbe 1f
	addb $('a' - '9' - 1), %al
1:	movw $COM1, %dx
	outb %al, %dx
	ret

/* Writes EAX in decimal. */
putdec32:
	movw $decimal_end, %di
	movl $10, %ecx
1:	xorl %edx, %edx
	divl %ecx
	addb $'0', %dl
	decw %di
	movb %dl, (%di)
	testl %eax, %eax
	jnz 1b
	movw %di, %si
	jmp puts

poweroff:
	movw $msg_poweroff, %si
	call puts
	movw $ACPI_SLEEP_CTL, %dx
	movb $SLEEP_S5, %al
	outb %al, %dx
	cli
1:	hlt
	jmp 1b

/* int 13h extended read: two sectors from LBA 1 to 0000:7e00. */
dap:
	.byte 0x10, 0
	.word 2
	.word 0x7e00, 0
	.quad 1
drive:
	.byte 0
msg_booted:
	.asciz "vessel-mbr: booted dl=0x"
msg_read_failed:
	.asciz "vessel-mbr: disk read failed\r\n"
msg_poweroff:
	.asciz "vessel-mbr: power off\r\n"
msg_newline:
	.asciz "\r\n"
decimal:
	.space 10
decimal_end:
	.byte 0

	.org 510
	.byte 0x55, 0xaa

/* ---- sectors 1 and 2: only here if int 13h read them ---- */
stage2_magic:
	.long STAGE2_MAGIC
stage2:
	movw $msg_stage2, %si
	call puts

	/* int 15h E820: count the entries, sum the RAM in KiB. */
	xorl %ebx, %ebx
1:	movl $0xe820, %eax
	movl $20, %ecx
	movl $SMAP, %edx
	movw $e820_entry, %di
	int $0x15
	jc 3f
	cmpl $SMAP, %eax
	jne 3f
	incw e820_count
	cmpl $E820_RAM, e820_entry + 16
	jne 2f
	movl e820_entry + 8, %eax       /* length: low >> 10 | high << 22 */
	shrl $10, %eax
	movl e820_entry + 12, %edx
	shll $22, %edx
	orl %edx, %eax
	addl %eax, ram_kib
2:	testl %ebx, %ebx
	jnz 1b
3:
	movw $msg_e820, %si
	call puts
	movzwl e820_count, %eax
	call putdec32
	movw $msg_ram, %si
	call puts
	movl ram_kib, %eax
	call putdec32
	call newline

	call check_acpi
	call newline
	jmp poweroff

/*
 * The RSDP in the F segment (16-byte aligned, "RSD PTR ", both checksums),
 * then the XSDT and each table it lists; the FADT's DSDT after the FADT.
 */
check_acpi:
	movw $msg_acpi, %si
	call puts
	movw $0xf000, %ax
	movw %ax, %es
	xorw %di, %di
1:	cmpl $RSDP_SIG_LO, %es:(%di)
	jne 2f
	cmpl $RSDP_SIG_HI, %es:4(%di)
	jne 2f
	movw $20, %cx
	call es_sum8
	jnz 2f
	movw $36, %cx
	call es_sum8
	jz 3f
2:	addw $16, %di
	jnz 1b
	xorw %ax, %ax
	movw %ax, %es
	movw $msg_no_rsdp, %si
	jmp puts
3:	movl %es:24(%di), %eax          /* the XSDT, below 4 GiB */
	xorw %cx, %cx
	movw %cx, %es
	movl %eax, xsdt_addr
	movw $msg_rsdp_ok, %si
	call puts

	/* The XSDT: its header, then all of it, into XSDT_BUF. */
	movl xsdt_addr, %eax
	movw $XSDT_BUF, %di
	movw $XSDT_MAX, %bx
	call copy_table
	jc acpi_bad_xsdt
	movw $36, %bp                   /* the first entry */
4:	cmpw XSDT_BUF + 4, %bp
	jae 6f
	movl XSDT_BUF(%bp), %eax
	pushw %bp
	call check_table                /* prints "SIG ok" or "SIG bad" */
	popw %bp
	/* After the FADT, its DSDT (the 32-bit pointer at offset 40). */
	cmpl $0x50434146, TABLE_BUF     /* "FACP" */
	jne 5f
	movl TABLE_BUF + 40, %eax
	pushw %bp
	call check_table
	popw %bp
5:	addw $8, %bp
	jmp 4b
6:	ret

acpi_bad_xsdt:
	movw $msg_bad_xsdt, %si
	jmp puts

/* Copies the table at EAX to TABLE_BUF and prints " SIG ok" or " SIG bad". */
check_table:
	movw $TABLE_BUF, %di
	movw $TABLE_MAX, %bx
	call copy_table
	sbbb %bl, %bl                   /* 0xff if it failed; puts keeps BL */
	movw $msg_space, %si
	call puts
	movw $TABLE_BUF, %si
	movw $4, %cx
	movw $COM1, %dx
1:	lodsb
	outb %al, %dx
	loop 1b
	movw $msg_ok, %si
	testb %bl, %bl
	jz puts
	movw $msg_bad, %si
	jmp puts

/*
 * Copies the ACPI table at linear EAX to DI (at most BX bytes): its header
 * first, for the length. CF set if the copy failed, the table is longer
 * than BX or its checksum is wrong.
 */
copy_table:
	movl %eax, table_addr
	movw $36, %cx
	call copy_high
	jc 1f
	movl 4(%di), %ecx
	cmpl $36, %ecx
	jb 2f
	cmpw %bx, %cx
	ja 2f
	cmpl $0xffff, %ecx
	ja 2f
	incw %cx                        /* int 15h copies words */
	andw $0xfffe, %cx
	movl table_addr, %eax
	call copy_high
	jc 1f
	movw 4(%di), %cx
	xorb %al, %al
	movw %di, %si
3:	addb (%si), %al
	incw %si
	loop 3b
	testb %al, %al
	jnz 2f
	clc
1:	ret
2:	stc
	ret

/* Copies CX bytes (even) from linear EAX to 0000:DI with int 15h AH=87h. CF on error. */
copy_high:
	pushw %di
	pushw %bx
	movw %ax, gdt_src + 2
	shrl $16, %eax
	movb %al, gdt_src + 4
	movb %ah, gdt_src + 7
	movw %di, gdt_dst + 2
	shrw $1, %cx
	movw $move_gdt, %si
	movb $0x87, %ah
	int $0x15
	popw %bx
	popw %di
	ret

/* ZF set if the CX bytes at ES:DI sum to 0. */
es_sum8:
	pushw %di
	xorb %al, %al
1:	addb %es:(%di), %al
	incw %di
	loop 1b
	popw %di
	testb %al, %al
	ret

msg_stage2:
	.asciz "vessel-mbr: read sectors 1-2\r\n"
msg_e820:
	.asciz "vessel-mbr: e820 entries="
msg_ram:
	.asciz " ram_kib="
msg_acpi:
	.asciz "vessel-mbr: acpi"
msg_no_rsdp:
	.asciz " no rsdp"
msg_rsdp_ok:
	.asciz " rsdp ok"
msg_bad_xsdt:
	.asciz " XSDT bad"
msg_space:
	.asciz " "
msg_ok:
	.asciz " ok"
msg_bad:
	.asciz " bad"
	.balign 8
/* int 15h AH=87h: null, GDT (the BIOS's), source, destination, BIOS CS, SS. */
move_gdt:
	.quad 0, 0
gdt_src:
	.word 0xffff, 0
	.byte 0, 0x93, 0, 0
gdt_dst:
	.word 0xffff, 0
	.byte 0, 0x93, 0, 0
	.quad 0, 0
e820_count:
	.word 0, 0
ram_kib:
	.long 0
xsdt_addr:
	.long 0
table_addr:
	.long 0
e820_entry:
	.space 24

	.org 1536
