/* SPDX-License-Identifier: MIT */
/*
 * The x86 hooks the arch-neutral VM code calls: VM-wide setup (irqchip, PIT,
 * RAM layout, ACPI tables, platform devices) and per-vCPU setup (CPUID, MSRs,
 * LAPIC, boot registers).
 */
#ifndef VESSEL_ARCH_X86_ARCH_H
#define VESSEL_ARCH_X86_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/irq_routing.h"
#include "core/msi.h"

struct vm;
struct vcpu;
struct kvm_cpuid2;

enum cpu_model {
	CPU_MODEL_AUTO,     /* pvm-safe on a kvm_pvm host, else host */
	CPU_MODEL_HOST,     /* everything KVM supports */
	CPU_MODEL_PVM_SAFE, /* hides instructions kvm_pvm's CPL0 emulator cannot run */
};

struct firmware;
struct fw_cfg;
struct debugcon;

struct arch_vm {
	struct kvm_cpuid2 *cpuid;   /* the supported CPUID, filtered by the CPU model */
	uint64_t rsdp_gpa;
	struct irq_routing irq_routing;
	/* Firmware boot (arch/x86/firmware.c): the image, fw_cfg, the debug port (-vv); else NULL. */
	struct firmware *firmware;
	struct fw_cfg *fw_cfg;
	struct debugcon *debugcon;
};

/* The guest-physical regions RAM of mem_size occupies (below and above the MMIO hole). */
struct arch_ram_region {
	uint64_t gpa;
	uint64_t size;
};
int arch_ram_layout(uint64_t mem_size, struct arch_ram_region *regions, int max);

/* After the VM fd and RAM exist: irqchip, PIT, TSS, CPUID, ACPI tables. */
__attribute__((warn_unused_result))
int arch_vm_init(struct vm *vm, char *err, size_t errlen);

/* Creates and registers the platform devices (serial, i8042, CMOS, ACPI PM). */
__attribute__((warn_unused_result))
int arch_platform_create(struct vm *vm, char *err, size_t errlen);
void arch_platform_destroy(struct vm *vm);

/* Where devices get their MSI routes (irqfd + GSI routing). */
struct msi_controller arch_msi_controller(struct vm *vm);

/* Presses the ACPI power button: pulses the GED's interrupt. Any thread; 0 or -errno. */
int arch_power_button(struct vm *vm);

/*
 * Writes a fresh VM generation ID into guest RAM (at boot, and for each
 * restored clone) and, with notify, pulses the GED's generation-ID
 * interrupt so the guest learns it changed. Any thread; 0 or -errno.
 */
__attribute__((warn_unused_result))
int arch_vmgenid_renew(struct vm *vm, bool notify);

/*
 * Firmware boot instead of a kernel (vm->cfg.firmware_path): maps the image
 * below 4 GiB, shadows it below 1 MiB and creates the fw_cfg device that
 * describes the machine to it (firmware.c). 0 or -errno with err.
 */
__attribute__((warn_unused_result))
int arch_firmware_load(struct vm *vm, char *err, size_t errlen);
void arch_firmware_unload(struct vm *vm);

/*
 * Per vCPU: CPUID, MSRs, LAPIC; for the boot vCPU of a kernel boot also the
 * entry registers (a firmware boot starts from KVM's reset state: real
 * mode at F000:FFF0; the other vCPUs wait for INIT/SIPI either way).
 */
__attribute__((warn_unused_result))
int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu, char *err, size_t errlen);

/* Writes "rip=0x... insn=xx xx ..." about a vCPU for error reports. */
void arch_vcpu_describe(struct vcpu *vcpu, char *buf, size_t len);

void arch_vm_destroy(struct vm *vm);

#endif
