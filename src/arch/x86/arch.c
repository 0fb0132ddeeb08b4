/* SPDX-License-Identifier: MIT */
/* x86 VM and vCPU setup: RAM layout, in-kernel irqchip and PIT, CPUID, MSRs, LAPIC. */
#include "arch/x86/arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/acpi/acpi.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "arch/x86/regs.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* KVM's private pages for VMX real-mode emulation: in the MMIO hole, below the IOAPIC. */
#define X86_TSS_GPA          0xfffbd000ULL
#define X86_IDENTITY_MAP_GPA 0xfffbc000ULL

#define MSR_IA32_MISC_ENABLE      0x1a0
#define MSR_IA32_MISC_ENABLE_FAST_STRING (1ULL << 0)
#define MSR_MTRR_DEF_TYPE         0x2ff
#define MTRR_DEF_TYPE_ENABLE      (1ULL << 11)
#define MTRR_TYPE_WRBACK          6

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI    0x4

int arch_ram_layout(uint64_t mem_size, struct arch_ram_region *regions, int max)
{
	uint64_t low = mem_size < LAYOUT_MMIO_HOLE_GPA ? mem_size : LAYOUT_MMIO_HOLE_GPA;
	int n = 0;

	if (max < 2 || mem_size < LAYOUT_HIGH_MEM_GPA)
		return -EINVAL;
	regions[n++] = (struct arch_ram_region){ .gpa = 0, .size = low };
	if (mem_size > low)
		regions[n++] = (struct arch_ram_region){
			.gpa = LAYOUT_RAM_ABOVE_4G_GPA, .size = mem_size - low,
		};
	return n;
}

int arch_vm_init(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct acpi_config acpi = { .nr_cpus = vm->cfg.nr_cpus };
	void *acpi_hva;
	int ret;

	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)X86_TSS_GPA)) {
		ret = -errno;
		snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return ret;
	}
	{
		uint64_t identity = X86_IDENTITY_MAP_GPA;

		if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &identity))
			log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		ret = -errno;
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return ret;
	}
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit)) {
		ret = -errno;
		snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
		return ret;
	}
	irq_routing_init(&vm->arch.irq_routing, vm->fd);

	/* Emulation failures then come with the instruction bytes, for a clear report. */
	if (kvm_check_cap(vm->fd, KVM_CAP_EXIT_ON_EMULATION_FAILURE)) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args = { 1 } };

		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
			log_debug("KVM_CAP_EXIT_ON_EMULATION_FAILURE: %s", strerror(errno));
	}

	vm->arch.cpuid = cpuid_get_supported(vm->kvm.fd, vm->cfg.cpu_model);
	if (!vm->arch.cpuid) {
		ret = -errno;
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return ret;
	}

	/* A restored guest's RAM has its tables already; writing them again would only copy pages. */
	if (vm->cfg.restore_mem_path)
		return 0;
	/* Firmware installs the tables itself, from fw_cfg (arch_firmware_load()). */
	if (vm->cfg.firmware_path)
		goto out_vmgenid;
	acpi_hva = guest_mem_ptr(&vm->mem, LAYOUT_ACPI_GPA, LAYOUT_ACPI_SIZE);
	if (!acpi_hva) {
		snprintf(err, errlen, "ACPI: no guest RAM at 0x%llx", LAYOUT_ACPI_GPA);
		return -EFAULT;
	}
	ret = acpi_build(acpi_hva, LAYOUT_ACPI_SIZE, LAYOUT_ACPI_GPA, &acpi, &vm->arch.rsdp_gpa);
	if (ret) {
		snprintf(err, errlen, "ACPI: cannot build tables: %s", strerror(-ret));
		return ret;
	}
out_vmgenid:
	ret = arch_vmgenid_renew(vm, false);
	if (ret) {
		snprintf(err, errlen, "VM generation ID: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

void arch_vm_destroy(struct vm *vm)
{
	arch_firmware_unload(vm);
	if (vm->arch.irq_routing.vm_fd)
		irq_routing_destroy(&vm->arch.irq_routing);
	free(vm->arch.cpuid);
	vm->arch.cpuid = NULL;
}

static int arch_vcpu_set_msrs(int fd)
{
	static const struct kvm_msr_entry entries[] = {
		{ .index = MSR_IA32_MISC_ENABLE, .data = MSR_IA32_MISC_ENABLE_FAST_STRING },
		{ .index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRBACK },
	};
	/* struct kvm_msrs ends in a flexible array: build it in an aligned buffer. */
	union {
		struct kvm_msrs msrs;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(entries)];
	} buf = { .msrs.nmsrs = 2 };
	int ret;

	memcpy(buf.msrs.entries, entries, sizeof(entries));
	ret = ioctl(fd, KVM_SET_MSRS, &buf.msrs);

	/* KVM_SET_MSRS returns how many it set; these are nice-to-have defaults. */
	if (ret < 0)
		return -errno;
	if (ret != 2)
		log_debug("KVM_SET_MSRS: set %d of 2 boot MSRs", ret);
	return 0;
}

/* LINT0 delivers the PIC's ExtINT, LINT1 NMIs, as on a PC after firmware. */
static int arch_vcpu_set_lapic(int fd)
{
	struct kvm_lapic_state lapic;
	uint32_t *lvt0 = (uint32_t *)&lapic.regs[APIC_LVT0];
	uint32_t *lvt1 = (uint32_t *)&lapic.regs[APIC_LVT1];

	if (ioctl(fd, KVM_GET_LAPIC, &lapic))
		return -errno;
	*lvt0 = (*lvt0 & ~0x700u & ~0x10000u) | (APIC_MODE_EXTINT << 8);
	*lvt1 = (*lvt1 & ~0x700u & ~0x10000u) | (APIC_MODE_NMI << 8);
	if (ioctl(fd, KVM_SET_LAPIC, &lapic))
		return -errno;
	return 0;
}

int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu, char *err, size_t errlen)
{
	struct kvm_cpuid2 *cpuid;
	const char *step;
	int ret;

	cpuid = cpuid_for_vcpu(vm->arch.cpuid, vcpu->id, vm->cfg.nr_cpus);
	if (!cpuid) {
		snprintf(err, errlen, "vCPU %u: out of memory", vcpu->id);
		return -ENOMEM;
	}
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) ? -errno : 0;
	free(cpuid);
	step = "KVM_SET_CPUID2";
	if (ret)
		goto out_err;
	step = "MSRs";
	ret = arch_vcpu_set_msrs(vcpu->fd);
	if (ret)
		goto out_err;
	step = "LAPIC";
	ret = arch_vcpu_set_lapic(vcpu->fd);
	if (ret)
		goto out_err;
	step = "FPU";
	ret = regs_setup_fpu(vcpu->fd);
	if (ret)
		goto out_err;
	if (vcpu->id == 0 && !vm->cfg.restore_mem_path && !vm->cfg.firmware_path) {
		step = "boot registers";
		ret = regs_setup_boot_memory(&vm->mem, vm->boot.mode);
		if (ret)
			goto out_err;
		ret = regs_setup_boot_vcpu(vcpu->fd, &vm->boot);
		if (ret)
			goto out_err;
	}
	return 0;

out_err:
	snprintf(err, errlen, "vCPU %u: %s: %s", vcpu->id, step, strerror(-ret));
	return ret;
}

void arch_vcpu_describe(struct vcpu *vcpu, char *buf, size_t len)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int n = 0;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0 && ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) == 0)
		n = snprintf(buf, len, "rip=0x%llx cs.base=0x%llx cpl=%u cr0=0x%llx",
			     (unsigned long long)regs.rip, (unsigned long long)sregs.cs.base,
			     sregs.cs.dpl, (unsigned long long)sregs.cr0);
	else
		n = snprintf(buf, len, "(registers unavailable)");
	if (n < 0 || (size_t)n >= len)
		return;
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned int count = run->emulation_failure.insn_size;

		if (count > sizeof(run->emulation_failure.insn_bytes))
			count = sizeof(run->emulation_failure.insn_bytes);
		n += snprintf(buf + n, len - n, " insn=");
		for (unsigned int i = 0; i < count && (size_t)n + 3 < len; i++)
			n += snprintf(buf + n, len - n, "%02x%s", run->emulation_failure.insn_bytes[i],
				      i + 1 < count ? " " : "");
	}
}
