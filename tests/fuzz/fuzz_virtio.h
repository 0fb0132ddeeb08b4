/* SPDX-License-Identifier: MIT */
/*
 * What the virtio fuzz targets share: a 64 KiB guest RAM image at gpa 0 taken
 * from the fuzzer's input, and split queues laid out at fixed addresses in it
 * (queue q: descriptors at 0x400 * q, avail ring +0x100, used ring +0x200).
 */
#ifndef VESSEL_TESTS_FUZZ_VIRTIO_H
#define VESSEL_TESTS_FUZZ_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_mem.h"
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

#endif
