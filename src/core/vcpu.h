/* SPDX-License-Identifier: MIT */
/* One vCPU: its KVM fd, its kvm_run page and the thread that runs it. */
#ifndef VESSEL_CORE_VCPU_H
#define VESSEL_CORE_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct kvm_run;

struct vcpu {
	struct vm *vm;
	uint32_t id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;

	uint64_t first_run_ns;      /* CLOCK_MONOTONIC just before the first KVM_RUN */

	/* Exit counters, written only by the vCPU's own thread. */
	uint64_t exits;
	uint64_t exits_io;
	uint64_t exits_mmio;
};

__attribute__((warn_unused_result))
int vcpu_create(struct vm *vm, struct vcpu *vcpu, uint32_t id, char *err, size_t errlen);
__attribute__((warn_unused_result))
int vcpu_start(struct vcpu *vcpu);
/* Makes the vCPU leave KVM_RUN soon (any thread). */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);

/* Installs the no-op signal handler used to kick vCPUs out of KVM_RUN. */
int vcpu_signal_init(void);

#endif
