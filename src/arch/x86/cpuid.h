/* SPDX-License-Identifier: MIT */
/* The guest's CPUID: what KVM supports, filtered by a CPU model, per vCPU. */
#ifndef VESSEL_ARCH_X86_CPUID_H
#define VESSEL_ARCH_X86_CPUID_H

#include <stdint.h>

#include "arch/x86/arch.h"

struct kvm_cpuid2;

/* KVM_GET_SUPPORTED_CPUID, filtered by model. NULL on failure (errno set). */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd, enum cpu_model model);

/* Hides the features a model leaves out; exposed for unit tests. */
void cpuid_apply_model(struct kvm_cpuid2 *cpuid, enum cpu_model model);

/* A copy of base for one vCPU (APIC id, topology); caller frees. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, uint32_t apic_id, uint32_t nr_cpus);

/* Parses "auto" / "host" / "pvm-safe"; -EINVAL for anything else. */
int cpuid_parse_model(const char *name, enum cpu_model *model);

#endif
