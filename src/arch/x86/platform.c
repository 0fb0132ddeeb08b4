/* SPDX-License-Identifier: MIT */
/* The x86 platform devices, created and wired to the buses in one place, in order. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/arch.h"
#include "arch/x86/layout.h"
#include "core/console.h"
#include "core/log.h"
#include "core/vm.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/serial.h"
#include "devices/legacy/vmgenid.h"
#include "pci/pci.h"

static void platform_irq_set(void *ctx, uint32_t gsi, int level)
{
	struct vm *vm = ctx;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->fd, KVM_IRQ_LINE, &irq))
		log_guest("KVM_IRQ_LINE %u: failed", gsi);
}

static void platform_power_request(void *ctx, enum power_event event)
{
	struct vm *vm = ctx;

	vm_request_stop(vm, event == POWER_EVENT_OFF ? VM_EXIT_POWEROFF : VM_EXIT_RESET);
}

static struct irq_line platform_irq(struct vm *vm, uint32_t gsi)
{
	return (struct irq_line){ .set = platform_irq_set, .ctx = vm, .gsi = gsi };
}

static void platform_serial_discard(void *ctx, const uint8_t *buf, size_t len)
{
}

int arch_platform_create(struct vm *vm, char *err, size_t errlen)
{
	struct power_handler power = { .request = platform_power_request, .ctx = vm };
	uint64_t below_4g = vm->cfg.mem_size < LAYOUT_MMIO_HOLE_GPA ? vm->cfg.mem_size : LAYOUT_MMIO_HOLE_GPA;
	const char *what;
	int ret = -ENOMEM;

	what = "serial";
	if (vm->console)
		vm->com1 = serial_create(platform_irq(vm, LAYOUT_IRQ_COM1), console_write_output, vm->console);
	else
		vm->com1 = serial_create(platform_irq(vm, LAYOUT_IRQ_COM1), platform_serial_discard, NULL);
	if (!vm->com1)
		goto out_err;
	ret = bus_register(&vm->pio, LAYOUT_PORT_COM1, SERIAL_PORT_LEN, &serial_ops, vm->com1);
	if (ret)
		goto out_err;

	what = "i8042";
	ret = -ENOMEM;
	vm->i8042 = i8042_create(platform_irq(vm, 1), power);
	if (!vm->i8042)
		goto out_err;
	ret = bus_register(&vm->pio, LAYOUT_PORT_I8042_DATA, I8042_PORT_LEN, &i8042_ops, vm->i8042);
	if (ret)
		goto out_err;

	what = "CMOS";
	ret = -ENOMEM;
	vm->cmos = cmos_create(platform_irq(vm, LAYOUT_IRQ_RTC), below_4g, vm->cfg.mem_size - below_4g);
	if (!vm->cmos)
		goto out_err;
	ret = bus_register(&vm->pio, LAYOUT_PORT_CMOS, CMOS_PORT_LEN, &cmos_ops, vm->cmos);
	if (ret)
		goto out_err;

	what = "ACPI PM";
	ret = -ENOMEM;
	vm->acpi_pm = acpi_pm_create(power);
	if (!vm->acpi_pm)
		goto out_err;
	ret = bus_register(&vm->pio, LAYOUT_PORT_ACPI_SLEEP_CTL, ACPI_PM_PORT_LEN, &acpi_pm_ops, vm->acpi_pm);
	if (ret)
		goto out_err;

	what = "PCI host bridge";
	ret = -ENOMEM;
	vm->pci = calloc(1, sizeof(*vm->pci));
	if (!vm->pci)
		goto out_err;
	ret = pci_bus_init(vm->pci, &vm->pio, &vm->mmio);
	if (ret) {
		free(vm->pci);
		vm->pci = NULL;
		goto out_err;
	}

	return 0;

out_err:
	snprintf(err, errlen, "%s: cannot create the device", what);
	return ret;
}

/*
 * The GED's interrupt is edge-triggered: a 0->1 edge latches it in the
 * IOAPIC, so a pulse is one press. A pulse while paused is delivered on resume.
 */
static int platform_pulse_gsi(struct vm *vm, uint32_t gsi)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = 1 };

	if (ioctl(vm->fd, KVM_IRQ_LINE, &irq))
		return -errno;
	irq.level = 0;
	if (ioctl(vm->fd, KVM_IRQ_LINE, &irq))
		return -errno;
	return 0;
}

int arch_power_button(struct vm *vm)
{
	return platform_pulse_gsi(vm, LAYOUT_GSI_GED);
}

int arch_vmgenid_renew(struct vm *vm, bool notify)
{
	uint8_t guid[VMGENID_SIZE];
	char text[VMGENID_STR_LEN];
	int ret;

	ret = vmgenid_renew(&vm->mem, LAYOUT_VMGENID_GPA, guid);
	if (ret)
		return ret;
	vmgenid_format(guid, text);
	log_debug("VM generation ID %s", text);
	return notify ? platform_pulse_gsi(vm, LAYOUT_GSI_GED_VMGENID) : 0;
}

void arch_platform_destroy(struct vm *vm)
{
	if (vm->pci) {
		pci_bus_destroy(vm->pci);
		free(vm->pci);
		vm->pci = NULL;
	}
	if (vm->acpi_pm)
		acpi_pm_destroy(vm->acpi_pm);
	if (vm->cmos)
		cmos_destroy(vm->cmos);
	if (vm->i8042)
		i8042_destroy(vm->i8042);
	if (vm->com1)
		serial_destroy(vm->com1);
	vm->acpi_pm = NULL;
	vm->cmos = NULL;
	vm->i8042 = NULL;
	vm->com1 = NULL;
}

struct msi_controller arch_msi_controller(struct vm *vm)
{
	return irq_routing_msi_controller(&vm->arch.irq_routing);
}
