/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue whose writable buffers the
 * device fills with bytes from the host's getrandom().
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_RNG_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_RNG_H

#include "devices/virtio/virtio.h"

#define VIRTIO_RNG_QUEUE_SIZE   256
#define VIRTIO_RNG_REQ_MAX      (64 * 1024)    /* bytes filled per request, at most */

/* A new entropy device, freed by its ops->destroy; NULL if out of memory. */
__attribute__((warn_unused_result))
struct virtio_dev *virtio_rng_create(void);

#endif
