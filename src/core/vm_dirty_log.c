/* SPDX-License-Identifier: MIT */
#include "core/vm_dirty_log.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "core/vm.h"

static int vm_dirty_log_set_slot(struct vm *vm, unsigned int slot, bool on)
{
	const struct guest_mem_region *r = &vm->mem.regions[slot];
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (uint64_t)(uintptr_t)r->hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) ? -errno : 0;
}

int vm_dirty_log_set(struct vm *vm, bool on)
{
	int ret;

	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		ret = vm_dirty_log_set_slot(vm, i, on);
		if (ret) {
			/* Leave no slot half-switched: undo the ones done. */
			while (i-- > 0)
				vm_dirty_log_set_slot(vm, i, !on);
			return ret;
		}
	}
	return 0;
}

int vm_dirty_log_fetch(struct vm *vm, unsigned int region, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = region, .dirty_bitmap = bitmap };

	if (region >= vm->mem.nr_regions)
		return -EINVAL;
	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}
