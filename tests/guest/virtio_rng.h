/* SPDX-License-Identifier: MIT */
/* virtio-rng (device type 4) on the virtio-pci transport: one request queue. */
#ifndef VESSEL_GUEST_VIRTIO_RNG_H
#define VESSEL_GUEST_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_RNG_TIMEOUT_MS	2000

struct virtio_rng {
	struct virtio_pci vp;
	struct virtq vq;
	struct virtq_mem *mem;
	uint32_t irqs;		/* queue interrupts seen by virtio_rng_read() */
	uint32_t requests;
};

/*
 * Find the first virtio-rng function and bring it up to DRIVER_OK (or, if
 * !driver_ok, stop right after enabling the queue). 0, or -1 with
 * rng->vp.error set ("no device" if there is none).
 */
int virtio_rng_open(struct virtio_rng *rng, struct virtq_mem *mem, bool driver_ok);
/*
 * One request: a chain of two device-writable halves of buf. 0 and *got,
 * or -1 (timeout) with rng->vp.error set.
 */
int virtio_rng_read(struct virtio_rng *rng, uint8_t *buf, uint32_t len, uint32_t *got);
/* Reset the device so it stops touching our memory. */
void virtio_rng_close(struct virtio_rng *rng);

#endif
