/* SPDX-License-Identifier: MIT */
#include "core/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define KVM_DEV "/dev/kvm"

bool kvm_host_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

int kvm_check_cap(int fd, long cap)
{
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

int kvm_open(struct kvm *kvm, char *err, size_t errlen)
{
	static const struct { long cap; const char *name; } required[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IRQ_ROUTING, "IRQ routing" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	};
	int ret;

	*kvm = (struct kvm){ .fd = -1 };
	kvm->fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0) {
		ret = -errno;
		if (errno == ENOENT)
			snprintf(err, errlen, "%s does not exist: this host has no KVM "
				 "(load kvm_intel or kvm_amd, or enable nested virtualization)", KVM_DEV);
		else if (errno == EACCES || errno == EPERM)
			snprintf(err, errlen, "%s: permission denied (run as root or join the 'kvm' group)",
				 KVM_DEV);
		else
			snprintf(err, errlen, "%s: %s", KVM_DEV, strerror(errno));
		return ret;
	}
	ret = ioctl(kvm->fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, need %d", KVM_DEV, ret, KVM_API_VERSION);
		ret = -ENOTSUP;
		goto out_close;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!kvm_check_cap(kvm->fd, required[i].cap)) {
			snprintf(err, errlen, "%s: KVM lacks a required capability: %s", KVM_DEV,
				 required[i].name);
			ret = -ENOTSUP;
			goto out_close;
		}
	}
	kvm->vcpu_mmap_size = ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->vcpu_mmap_size <= 0) {
		snprintf(err, errlen, "%s: KVM_GET_VCPU_MMAP_SIZE failed", KVM_DEV);
		ret = -ENOTSUP;
		goto out_close;
	}
	kvm->max_vcpus = kvm_check_cap(kvm->fd, KVM_CAP_MAX_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = kvm_check_cap(kvm->fd, KVM_CAP_NR_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = 4;
	kvm->is_pvm = kvm_host_is_pvm();
	return 0;

out_close:
	close(kvm->fd);
	kvm->fd = -1;
	return ret;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->fd >= 0)
		close(kvm->fd);
	kvm->fd = -1;
}
