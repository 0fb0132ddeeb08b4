/* SPDX-License-Identifier: MIT */
/*
 * One dispatch path for port I/O and MMIO: a device claims an address range
 * on a bus and gets reads and writes with the offset into its range.
 * Ranges are registered before the vCPUs start; lookups are lock-free.
 * Each device serialises its own state (it may be called from any vCPU thread).
 */
#ifndef VESSEL_CORE_BUS_H
#define VESSEL_CORE_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus_dev_ops {
	/* data is len bytes (1, 2, 4 or 8), little-endian. Reads must fill all of it. */
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const void *data, uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_dev_ops *ops;
	void *opaque;
};

struct bus {
	struct bus_range *ranges;   /* sorted by base, non-overlapping */
	size_t nr;
	size_t cap;
};

/* 0, -EEXIST if the range overlaps another, -EINVAL, or -ENOMEM. */
__attribute__((warn_unused_result))
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_dev_ops *ops, void *opaque);

/*
 * Dispatch an access. An access no device claims reads as all ones and its
 * writes are dropped; the return value says whether a device claimed it.
 */
bool bus_read(const struct bus *bus, uint64_t addr, void *data, uint32_t len);
bool bus_write(const struct bus *bus, uint64_t addr, const void *data, uint32_t len);

void bus_destroy(struct bus *bus);

#endif
