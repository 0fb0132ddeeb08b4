/* SPDX-License-Identifier: MIT */
/*
 * x86 KVM state for snapshots: per vCPU (registers, sregs, XSAVE or FPU,
 * XCRs, debug registers, LAPIC, events, MP state, TSC frequency and every
 * MSR KVM lists for saving, kvmclock and TSC included) and VM-wide (both
 * PICs, the IOAPIC, the PIT and the KVM clock). Everything is KVM's own ABI
 * structs, written as is behind a small head that says which parts follow.
 *
 * Loads check the section's shape (lengths, counts) before any ioctl; an
 * ioctl that refuses a value (KVM validates them) fails the restore, whose
 * VM is then thrown away: it never runs half loaded.
 */
#ifndef VESSEL_ARCH_X86_KVM_STATE_H
#define VESSEL_ARCH_X86_KVM_STATE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct snap_writer;
struct snap_reader;

/* With the vCPU stopped (its thread parked, pending I/O completed). 0 or -errno with err. */
__attribute__((warn_unused_result))
int arch_vcpu_save(struct vm *vm, struct vcpu *vcpu, struct snap_writer *w, char *err, size_t errlen);
__attribute__((warn_unused_result))
int arch_vcpu_load(struct vm *vm, struct vcpu *vcpu, struct snap_reader *r, char *err, size_t errlen);

__attribute__((warn_unused_result))
int arch_vm_save(struct vm *vm, struct snap_writer *w, char *err, size_t errlen);
/*
 * Restores irqchips, PIT and the KVM clock. The clock moves on by the wall
 * time since the snapshot where KVM can do that (KVM_CLOCK_REALTIME), so the
 * guest's time is corrected; else it goes on from the saved value.
 */
__attribute__((warn_unused_result))
int arch_vm_load(struct vm *vm, struct snap_reader *r, char *err, size_t errlen);

/* FNV-1a of the guest's CPUID entries: a restore needs the same CPU features. */
uint64_t arch_cpuid_hash(const struct vm *vm);

#endif
