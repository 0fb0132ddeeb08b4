/* SPDX-License-Identifier: MIT */
#include "arch/x86/cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 256

/* Leaf 1 ECX */
#define F1_ECX_CX16     (1u << 13)
#define F1_ECX_PCID     (1u << 17)
#define F1_ECX_X2APIC   (1u << 21)
#define F1_ECX_MOVBE    (1u << 22)
#define F1_ECX_POPCNT   (1u << 23)
#define F1_ECX_XSAVE    (1u << 26)
#define F1_ECX_OSXSAVE  (1u << 27)
#define F1_ECX_AVX      (1u << 28)
#define F1_ECX_F16C     (1u << 29)
#define F1_ECX_RDRAND   (1u << 30)
#define F1_ECX_HYPERVISOR (1u << 31)
/* Leaf 7.0 EBX / ECX */
#define F7_EBX_FSGSBASE (1u << 0)
#define F7_EBX_BMI1     (1u << 3)
#define F7_EBX_AVX2     (1u << 5)
#define F7_EBX_BMI2     (1u << 8)
#define F7_EBX_INVPCID  (1u << 10)
#define F7_EBX_AVX512F  (1u << 16)
#define F7_EBX_RDSEED   (1u << 18)
#define F7_EBX_SMAP     (1u << 20)
#define F7_ECX_PKU      (1u << 3)
#define F7_ECX_RDPID    (1u << 22)
/* Leaf 0x80000001 ECX / EDX */
#define FX1_ECX_ABM     (1u << 5)   /* lzcnt */
#define FX1_EDX_RDTSCP  (1u << 27)

static struct kvm_cpuid2 *cpuid_alloc(uint32_t nent)
{
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));

	if (cpuid)
		cpuid->nent = nent;
	return cpuid;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

/*
 * kvm_pvm emulates guest kernel mode, and its emulator fails on these
 * instructions (seen: movbe, invpcid, rdtscp, popcnt, xrstor, clac, ldmxcsr,
 * lock cmpxchg16b).
 * Hiding the CPUID bits makes well-behaved guests avoid them; PVM does not
 * mask every bit, which is why vessel reports emulation failures clearly.
 */
void cpuid_apply_model(struct kvm_cpuid2 *cpuid, enum cpu_model model)
{
	struct kvm_cpuid_entry2 *e;

	if (model != CPU_MODEL_PVM_SAFE)
		return;
	e = cpuid_find(cpuid, 1, 0);
	if (e)
		e->ecx &= ~(F1_ECX_CX16 | F1_ECX_PCID | F1_ECX_MOVBE | F1_ECX_POPCNT | F1_ECX_XSAVE |
			    F1_ECX_OSXSAVE | F1_ECX_AVX | F1_ECX_F16C | F1_ECX_RDRAND);
	e = cpuid_find(cpuid, 7, 0);
	if (e) {
		e->ebx &= ~(F7_EBX_FSGSBASE | F7_EBX_BMI1 | F7_EBX_AVX2 | F7_EBX_BMI2 |
			    F7_EBX_INVPCID | F7_EBX_AVX512F | F7_EBX_RDSEED | F7_EBX_SMAP);
		e->ecx &= ~(F7_ECX_PKU | F7_ECX_RDPID);
	}
	/* No XSAVE at all: every sub-leaf of the XSAVE leaf goes. */
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		e = &cpuid->entries[i];
		if (e->function == 0xd)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
	e = cpuid_find(cpuid, 0x80000001, 0);
	if (e) {
		e->ecx &= ~FX1_ECX_ABM;
		e->edx &= ~FX1_EDX_RDTSCP;
	}
}

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd, enum cpu_model model)
{
	struct kvm_cpuid2 *cpuid = cpuid_alloc(CPUID_MAX_ENTRIES);

	if (!cpuid)
		return NULL;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid)) {
		int saved = errno;

		free(cpuid);
		errno = saved;
		return NULL;
	}
	cpuid_apply_model(cpuid, model);
	return cpuid;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, uint32_t apic_id, uint32_t nr_cpus)
{
	struct kvm_cpuid2 *cpuid = cpuid_alloc(base->nent);

	if (!cpuid)
		return NULL;
	memcpy(cpuid->entries, base->entries, base->nent * sizeof(base->entries[0]));
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC id, logical processor count, CLFLUSH size 64. */
			e->ebx = (apic_id << 24) | ((nr_cpus > 255 ? 255 : nr_cpus) << 16) | (8 << 8);
			e->ecx |= F1_ECX_HYPERVISOR;
			if (nr_cpus > 1)
				e->edx |= 1u << 28;   /* HTT: the count in EBX is valid */
			break;
		case 0xb:
		case 0x1f:
			/* x2APIC topology: one thread per core, all cores in one package. */
			e->edx = apic_id;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | e->index;
			} else if (e->index == 1) {
				uint32_t shift = 0;

				while ((1u << shift) < nr_cpus)
					shift++;
				e->eax = shift;
				e->ebx = nr_cpus;
				e->ecx = (2u << 8) | e->index;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		default:
			break;
		}
	}
	return cpuid;
}

int cpuid_parse_model(const char *name, enum cpu_model *model)
{
	if (!strcmp(name, "auto"))
		*model = CPU_MODEL_AUTO;
	else if (!strcmp(name, "host"))
		*model = CPU_MODEL_HOST;
	else if (!strcmp(name, "pvm-safe"))
		*model = CPU_MODEL_PVM_SAFE;
	else
		return -EINVAL;
	return 0;
}
