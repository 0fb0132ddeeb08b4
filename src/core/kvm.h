/* SPDX-License-Identifier: MIT */
/* The host's KVM: /dev/kvm, its API version and the capabilities vessel needs. */
#ifndef VESSEL_CORE_KVM_H
#define VESSEL_CORE_KVM_H

#include <stdbool.h>
#include <stddef.h>

struct kvm {
	int fd;
	int vcpu_mmap_size;
	int max_vcpus;
	bool is_pvm;            /* kvm_pvm: guest kernel mode is emulated in software */
};

/* Opens /dev/kvm and checks the API. -errno with a one-line reason in err. */
__attribute__((warn_unused_result))
int kvm_open(struct kvm *kvm, char *err, size_t errlen);
void kvm_close(struct kvm *kvm);

/* True if /dev/kvm is kvm_pvm, whose guest kernel mode is emulated in software. */
bool kvm_host_is_pvm(void);

/* KVM_CHECK_EXTENSION on fd (the system or a VM fd); 0 if unsupported. */
int kvm_check_cap(int fd, long cap);

#endif
