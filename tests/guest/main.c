// SPDX-License-Identifier: MIT
/*
 * BSP user-mode entry, reached by iretq from head.S with IOPL=3 and IF=0.
 * Everything the kernel did not have to do happens here, at native speed.
 */
#include "acpi.h"
#include "apic.h"
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "cpu.h"
#include "lib.h"
#include "sys.h"

extern char __bss_start[], __bss_end[];

void user_bsp_main(void) __attribute__((noreturn));

/* The 8259s would deliver through LINT0 under SeaBIOS; mask them all. */
static void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static void irq_setup(void)
{
	uint32_t bsp;

	pic_mask_all();
	lapic_init(acpi.lapic_gpa);
	bsp = lapic_id();
	if (ioapic_route(acpi.ioapic_gpa, acpi.ioapic_gsi_base, acpi.com1_gsi,
			 acpi.com1_flags, VEC_UART, bsp))
		con_printf("error=no IOAPIC route for COM1, console input disabled\n");
	else
		con_enable_rx_irq();
}

/* Returns a pointer to the value of "run=" in the command line, or NULL. */
static const char *cmdline_find_run(char *cmdline)
{
	char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, "run=", 4)) {
			char *end = p + 4;

			while (*end && *end != ' ')
				end++;
			*end = '\0';
			return p + 4;
		}
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

void user_bsp_main(void)
{
	static char cmdline_copy[CMDLINE_MAX];
	const char *run;

	memset(__bss_start, 0, __bss_end - __bss_start);
	idt_fill();
	bootinfo_copy();
	con_init();
	if (bootinfo.error)
		con_printf("error=%s\n", bootinfo.error);
	acpi_scan(bootinfo.rsdp_gpa);
	if (paging_map_high(bootinfo.ram_top))
		con_printf("error=RAM above 64 GiB not mapped\n");
	irq_setup();

	memcpy(cmdline_copy, bootinfo.cmdline, sizeof(cmdline_copy));
	run = cmdline_find_run(cmdline_copy);
	if (run)
		cmd_run_list(run);
	else
		cmd_info("");
	cmd_shell();
}
