/* SPDX-License-Identifier: MIT */
/*
 * KVM dirty page logging on guest RAM, for live migration: KVM records
 * which 4 KiB pages the vCPUs wrote since the last fetch. Writes by vessel's
 * own devices are not in it (see guest_mem_mark_written()).
 *
 * RAM slot i is guest_mem region i (vm.c sets them up that way).
 */
#ifndef VESSEL_CORE_VM_DIRTY_LOG_H
#define VESSEL_CORE_VM_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Words of a bitmap with one bit per 4 KiB page of size bytes. */
static inline uint64_t vm_dirty_log_words(uint64_t size)
{
	return ((size >> 12) + 63) / 64;
}

/* Turns logging on (every slot starts clean) or off. 0 or -errno. */
int vm_dirty_log_set(struct vm *vm, bool on);

/*
 * Fetches region's log into bitmap (vm_dirty_log_words(region size) words,
 * overwritten) and starts it afresh. 0 or -errno.
 */
int vm_dirty_log_fetch(struct vm *vm, unsigned int region, uint64_t *bitmap);

#endif
