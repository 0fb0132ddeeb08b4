// SPDX-License-Identifier: MIT
/*
 * powerwait: route the GED's interrupt (found in the DSDT) to a counted
 * vector, sleep until it fires or the time is up, then power off via S5.
 */
#include "acpi.h"
#include "apic.h"
#include "cmd.h"
#include "con.h"
#include "ged.h"
#include "guest.h"
#include "lib.h"
#include "sys.h"
#include "timer.h"

#define POWERWAIT_DEFAULT_S	30
#define POWERWAIT_MAX_S		3600

int cmd_powerwait(const char *arg)
{
	volatile uint32_t *presses = &irq_counts[VEC_POWER_BUTTON - VEC_COUNTED_BASE];
	uint64_t secs = POWERWAIT_DEFAULT_S;
	struct ged_irq ged;
	uint32_t seen;

	if (*arg && (parse_size(arg, &secs) || secs > POWERWAIT_MAX_S)) {
		con_printf("powerwait.error=bad seconds %s\n", arg);
		return -1;
	}
	if (ged_find(&ged)) {
		con_printf("powerwait.error=no ACPI0013 interrupt in the DSDT\n");
		con_printf("powerbutton=0\n");
		return -1;
	}
	/* Read before routing, so a press right after counts. */
	seen = *presses;
	if (ioapic_route(acpi.ioapic_gpa, acpi.ioapic_gsi_base, ged.gsi, ged.flags,
			 VEC_POWER_BUTTON, lapic_id())) {
		con_printf("powerwait.error=no IOAPIC pin for GSI %u\n", ged.gsi);
		con_printf("powerbutton=0\n");
		return -1;
	}
	con_printf("powerwait.gsi=%u\n", ged.gsi);
	con_printf("powerwait=armed\n");
	if (!timer_wait(presses, seen, (uint32_t)secs * 1000)) {
		con_printf("powerbutton=0\n");
		return -1;
	}
	con_printf("powerbutton=1\n");
	return cmd_poweroff("");
}
