/* SPDX-License-Identifier: MIT */
/*
 * What the virtio fuzz targets share: a 64 KiB guest RAM image at gpa 0 taken
 * from the fuzzer's input, split queues laid out at fixed addresses in it
 * (queue q: descriptors at 0x400 * q, avail ring +0x100, used ring +0x200),
 * and a transport whose lock is a depth count: device callbacks run under
 * it, as virtio-pci calls them, and a used-buffer interrupt outside it (or
 * for a queue the device does not have) is a bug the target traps on.
 */
#ifndef VESSEL_TESTS_FUZZ_VIRTIO_H
#define VESSEL_TESTS_FUZZ_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtqueue.h"

#define FUZZ_RAM_SIZE 0x10000u

/* RAM filled from image (zero past its end) and registered in mem; NULL on failure. Free it with free(). */
static inline uint8_t *fuzz_ram_load(struct guest_mem *mem, const uint8_t *image, size_t len)
{
	uint8_t *ram = calloc(1, FUZZ_RAM_SIZE);

	if (!ram)
		return NULL;
	memcpy(ram, image, len < FUZZ_RAM_SIZE ? len : FUZZ_RAM_SIZE);
	if (guest_mem_add(mem, 0, FUZZ_RAM_SIZE, ram)) {
		free(ram);
		return NULL;
	}
	return ram;
}

/* nr ready queues of size entries each, at the fixed addresses above. */
static inline void fuzz_queues_init(struct virtq *vq, int nr, struct guest_mem *mem, bool event_idx,
				    uint16_t size)
{
	memset(vq, 0, sizeof(*vq) * nr);
	for (int q = 0; q < nr; q++) {
		vq[q].mem = mem;
		vq[q].event_idx = event_idx;
		vq[q].state.size = size;
		vq[q].state.ready = 1;
		vq[q].state.desc_gpa = 0x400u * q;
		vq[q].state.avail_gpa = 0x400u * q + 0x100;
		vq[q].state.used_gpa = 0x400u * q + 0x200;
	}
}

static int fuzz_lock_depth;

static inline void fuzz_nop(struct virtio_dev *vdev)
{
}

static inline void fuzz_lock(struct virtio_dev *vdev)
{
	fuzz_lock_depth++;
}

static inline void fuzz_unlock(struct virtio_dev *vdev)
{
	if (--fuzz_lock_depth < 0)
		__builtin_trap();
}

static inline void fuzz_signal_used(struct virtio_dev *vdev, uint16_t q)
{
	if (q >= vdev->ops->num_queues || fuzz_lock_depth <= 0)
		__builtin_trap();
}

static const struct virtio_transport_ops fuzz_transport = {
	.signal_used = fuzz_signal_used,
	.signal_config = fuzz_nop,
	.needs_reset = fuzz_nop,
	.lock = fuzz_lock,
	.unlock = fuzz_unlock,
};

/* vdev on the fuzz transport over vq, with driver_features set (not activated). */
static inline void fuzz_attach(struct virtio_dev *vdev, struct virtq *vq, uint64_t driver_features)
{
	vdev->queues = vq;
	vdev->transport = &fuzz_transport;
	vdev->driver_features = driver_features;
}

static inline int fuzz_activate(struct virtio_dev *vdev)
{
	int ret;

	fuzz_lock(vdev);
	ret = vdev->ops->activate(vdev);
	fuzz_unlock(vdev);
	return ret;
}

static inline void fuzz_notify(struct virtio_dev *vdev, uint16_t q)
{
	fuzz_lock(vdev);
	vdev->ops->queue_notify(vdev, q);
	fuzz_unlock(vdev);
}

static inline void fuzz_reset(struct virtio_dev *vdev)
{
	fuzz_lock(vdev);
	vdev->ops->reset(vdev);
	fuzz_unlock(vdev);
}

/*
 * One config space access as op says: offset (low 4 bits), length 1/2/4/8
 * (bits 4-5), a write of value's first bytes instead of a read (bit 6).
 */
static inline void fuzz_config(struct virtio_dev *vdev, uint8_t op, const uint8_t value[8])
{
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	uint32_t offset = op & 15, len = lens[(op >> 4) & 3];
	uint8_t data[8];

	memcpy(data, value, sizeof(data));
	fuzz_lock(vdev);
	if (op & 64)
		vdev->ops->config_write(vdev, offset, data, len);
	else
		vdev->ops->config_read(vdev, offset, data, len);
	fuzz_unlock(vdev);
}

#endif
