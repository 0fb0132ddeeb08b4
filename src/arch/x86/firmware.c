/* SPDX-License-Identifier: MIT */
/*
 * Booting firmware (SeaBIOS) instead of a kernel: the x86 platform's side.
 *
 * - The image is a KVM memory slot ending at 4 GiB, read-only where KVM
 *   allows it: the boot vCPU starts at the reset vector, 0xFFFFFFF0.
 * - Its last 256 KiB at most are copied into RAM ending at 1 MiB, where
 *   SeaBIOS jumps right after the reset vector and keeps its variables. No
 *   PAM registers are needed: that RAM is plain RAM (QEMU's microvm maps its
 *   BIOS writable the same way).
 * - The fw_cfg device (0x510) describes the machine: CPU counts, RAM size,
 *   the e820 map (the same one a kernel boot gets), vessel's ACPI tables
 *   with the script that installs them, and COM1 as SeaBIOS's screen
 *   (etc/sercon-port): there is no VGA.
 * - With debug messages on (-vv), SeaBIOS's debug log comes out as
 *   "firmware: ..." lines through the debug console port.
 *
 * SeaBIOS then places the PCI BARs itself (in LAYOUT_PCI_MMIO2), finds the
 * virtio-blk disks, and boots the first one's MBR.
 */
#include <endian.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/acpi/acpi_loader.h"
#include "arch/x86/arch.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "boot/firmware.h"
#include "core/kvm.h"
#include "core/log.h"
#include "core/vm.h"
#include "devices/legacy/debugcon.h"
#include "devices/legacy/fw_cfg.h"
#include "devices/virtio/virtio.h"
#include "pci/pci.h"
#include "pci/virtio_pci.h"

/* The image's KVM slot: the first one no RAM region can have (RAM region i is slot i). */
#define FIRMWARE_KVM_SLOT   GUEST_MEM_MAX_REGIONS

static int firmware_map(struct vm *vm, const struct firmware *fw, char *err, size_t errlen)
{
	bool readonly = kvm_check_cap(vm->fd, KVM_CAP_READONLY_MEM) > 0;
	struct kvm_userspace_memory_region region = {
		.slot = FIRMWARE_KVM_SLOT,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = firmware_gpa(fw, LAYOUT_FIRMWARE_END),
		.memory_size = fw->size,
		.userspace_addr = (uint64_t)(uintptr_t)fw->image,
	};

	/* Without read-only slots the guest may write its own private copy: harmless. */
	if (!readonly)
		log_debug("firmware: KVM has no read-only memory slots: the image at 0x%llx is writable",
			  (unsigned long long)region.guest_phys_addr);
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		int ret = -errno;

		snprintf(err, errlen, "firmware: KVM_SET_USER_MEMORY_REGION: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* vessel's ACPI tables as fw_cfg files, with the linker/loader script. */
static int firmware_add_acpi(struct vm *vm, struct fw_cfg *fc)
{
	struct acpi_config acpi = { .nr_cpus = vm->cfg.nr_cpus };
	struct acpi_loader_files files;
	int ret;

	ret = acpi_loader_build(&acpi, &files);
	if (ret)
		return ret;
	ret = fw_cfg_add_file(fc, ACPI_LOADER_FILE_RSDP, files.rsdp, (uint32_t)files.rsdp_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, ACPI_LOADER_FILE_TABLES, files.tables, (uint32_t)files.tables_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, ACPI_LOADER_FILE_SCRIPT, files.script, (uint32_t)files.script_len);
	acpi_loader_free(&files);
	return ret;
}

/*
 * "bootorder": the disks' PCI paths as SeaBIOS names them ("/pci@i0cf8/"
 * then "*@" and the slot), in command-line order, so that the first --disk
 * boots: SeaBIOS sets its disks up in parallel threads, and without this
 * the order they register in would decide.
 */
static int firmware_add_bootorder(struct vm *vm, struct fw_cfg *fc)
{
	char order[VM_MAX_VIRTIO_DEVICES * 24] = "";
	size_t len = 0;

	for (uint32_t i = 0; i < vm->nr_virtio; i++) {
		const struct virtio_dev *vdev = virtio_pci_vdev(vm->virtio[i]);

		if (vdev->ops->device_id != VIRTIO_ID_BLOCK)
			continue;
		len += (size_t)snprintf(order + len, sizeof(order) - len, "/pci@i0cf8/*@%x\n",
					virtio_pci_pci_dev(vm->virtio[i])->slot);
	}
	return len ? fw_cfg_add_file(fc, "bootorder", order, (uint32_t)len) : 0;
}

/* What SeaBIOS reads about the machine. */
static int firmware_fill_fw_cfg(struct vm *vm, struct fw_cfg *fc, const char **what)
{
	struct e820_entry e820[E820_MAX_ENTRIES];
	const uint16_t sercon_port = htole16(LAYOUT_PORT_COM1);
	int n, ret;

	*what = "items";
	ret = fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, (uint16_t)vm->cfg.nr_cpus);
	if (!ret)
		ret = fw_cfg_add_u16(fc, FW_CFG_MAX_CPUS, (uint16_t)vm->cfg.nr_cpus);
	if (!ret)
		ret = fw_cfg_add_u64(fc, FW_CFG_RAM_SIZE, vm->cfg.mem_size);
	/* No boot menu (SeaBIOS would wait 2.5 s for a key). */
	if (!ret)
		ret = fw_cfg_add_u16(fc, FW_CFG_BOOT_MENU, 0);
	if (ret)
		return ret;

	*what = "etc/e820";
	n = e820_build(&vm->mem, e820, E820_MAX_ENTRIES);
	if (n < 0)
		return n;
	ret = fw_cfg_add_file(fc, "etc/e820", e820, (uint32_t)(n * sizeof(e820[0])));
	if (ret)
		return ret;

	*what = "etc/sercon-port";
	ret = fw_cfg_add_file(fc, "etc/sercon-port", &sercon_port, sizeof(sercon_port));
	if (ret)
		return ret;

	*what = "bootorder";
	ret = firmware_add_bootorder(vm, fc);
	if (ret)
		return ret;

	*what = "ACPI tables";
	return firmware_add_acpi(vm, fc);
}

static int firmware_add_debugcon(struct vm *vm, char *err, size_t errlen)
{
	int ret;

	if (!log_enabled(LOG_DEBUG))
		return 0;
	vm->arch.debugcon = debugcon_create("firmware");
	if (!vm->arch.debugcon) {
		snprintf(err, errlen, "firmware: out of memory");
		return -ENOMEM;
	}
	ret = bus_register(&vm->pio, LAYOUT_PORT_DEBUGCON, DEBUGCON_PORT_LEN, &debugcon_ops, vm->arch.debugcon);
	if (ret)
		snprintf(err, errlen, "firmware: debug console port: %s", strerror(-ret));
	return ret;
}

int arch_firmware_load(struct vm *vm, char *err, size_t errlen)
{
	const char *what;
	int ret;

	vm->arch.firmware = calloc(1, sizeof(*vm->arch.firmware));
	if (!vm->arch.firmware) {
		snprintf(err, errlen, "firmware: out of memory");
		return -ENOMEM;
	}
	ret = firmware_open(vm->arch.firmware, vm->cfg.firmware_path, err, errlen);
	if (ret)
		return ret;
	ret = firmware_map(vm, vm->arch.firmware, err, errlen);
	if (ret)
		return ret;
	ret = firmware_copy_shadow(vm->arch.firmware, &vm->mem, LAYOUT_BIOS_SHADOW_END);
	if (ret) {
		snprintf(err, errlen, "firmware: no guest RAM below 1 MiB for its shadow copy");
		return ret;
	}

	vm->arch.fw_cfg = fw_cfg_create(&vm->mem);
	if (!vm->arch.fw_cfg) {
		snprintf(err, errlen, "fw_cfg: out of memory");
		return -ENOMEM;
	}
	ret = firmware_fill_fw_cfg(vm, vm->arch.fw_cfg, &what);
	if (ret) {
		snprintf(err, errlen, "fw_cfg: %s: %s", what, strerror(-ret));
		return ret;
	}
	ret = bus_register(&vm->pio, LAYOUT_PORT_FW_CFG, FW_CFG_PORT_LEN, &fw_cfg_ops, vm->arch.fw_cfg);
	if (ret) {
		snprintf(err, errlen, "fw_cfg: ports: %s", strerror(-ret));
		return ret;
	}
	return firmware_add_debugcon(vm, err, errlen);
}

void arch_firmware_unload(struct vm *vm)
{
	debugcon_destroy(vm->arch.debugcon);
	vm->arch.debugcon = NULL;
	fw_cfg_destroy(vm->arch.fw_cfg);
	vm->arch.fw_cfg = NULL;
	if (vm->arch.firmware) {
		firmware_close(vm->arch.firmware);
		free(vm->arch.firmware);
		vm->arch.firmware = NULL;
	}
}
