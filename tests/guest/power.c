// SPDX-License-Identifier: MIT
/* poweroff, reset and triplefault: ways for the guest to end the VM. */
#include "acpi.h"
#include "cmd.h"
#include "con.h"
#include "sys.h"

#define SLP_EN_PM1	(1u << 13)
#define SLP_EN_HWR	(1u << 5)
/* Give the VMM time to act on an asynchronous request before saying "failed". */
#define POWER_GRACE_CYCLES	(3ULL * 1000 * 1000 * 1000)

int cmd_poweroff(const char *arg)
{
	uint32_t typ = acpi.have_s5 ? acpi.s5_typ : 0;

	con_printf("poweroff=requested\n");
	if (acpi.have_fadt && acpi.hw_reduced) {
		acpi_gas_write(&acpi.sleep_ctl, ((typ & 7) << 2) | SLP_EN_HWR);
	} else if (acpi.have_fadt && acpi.pm1a_cnt) {
		outw((uint16_t)acpi.pm1a_cnt, (uint16_t)(((typ & 7) << 10) | SLP_EN_PM1));
		if (acpi.pm1b_cnt)
			outw((uint16_t)acpi.pm1b_cnt, (uint16_t)(((typ & 7) << 10) | SLP_EN_PM1));
	}
	tsc_delay(POWER_GRACE_CYCLES);
	con_printf("poweroff=failed\n");
	return -1;
}

int cmd_reset(const char *arg)
{
	con_printf("reset=requested\n");
	if (acpi.have_fadt && (acpi.fadt_flags & (1u << 10)) && acpi.reset_reg.address)
		acpi_gas_write(&acpi.reset_reg, acpi.reset_value);
	else
		outb(0x64, 0xfe);
	tsc_delay(POWER_GRACE_CYCLES);
	con_printf("reset=failed\n");
	return -1;
}

int cmd_triplefault(const char *arg)
{
	con_printf("triplefault=requested\n");
	sys_call(SYS_TRIPLE);
	con_printf("triplefault=failed\n");
	return -1;
}
