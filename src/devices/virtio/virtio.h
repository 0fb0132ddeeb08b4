/* SPDX-License-Identifier: MIT */
/*
 * A virtio device as its transport sees it. The device fills virtio_dev_ops
 * and never knows which transport it sits on; the transport (virtio-pci) owns
 * feature negotiation, status, the queues' configuration and interrupts.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"

/* Device types (virtio 1.2, 5). */
#define VIRTIO_ID_NET       1
#define VIRTIO_ID_BLOCK     2
#define VIRTIO_ID_CONSOLE   3
#define VIRTIO_ID_RNG       4
#define VIRTIO_ID_BALLOON   5
#define VIRTIO_ID_VSOCK     19

/* Status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE   1
#define VIRTIO_STATUS_DRIVER        2
#define VIRTIO_STATUS_DRIVER_OK     4
#define VIRTIO_STATUS_FEATURES_OK   8
#define VIRTIO_STATUS_NEEDS_RESET   64
#define VIRTIO_STATUS_FAILED        128

/* Transport feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC      28
#define VIRTIO_F_RING_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33

struct virtio_dev;
struct snap_writer;
struct snap_reader;

struct virtio_dev_ops {
	const char *name;
	uint16_t device_id;
	uint16_t num_queues;
	uint16_t queue_max_size;
	uint64_t features;          /* device-specific bits; the transport adds its own */
	uint32_t config_size;       /* bytes of device-specific config space */
	void (*config_read)(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len);
	void (*config_write)(struct virtio_dev *vdev, uint32_t offset, const void *data, uint32_t len);
	/* DRIVER_OK: the queues are set up. 0, or -errno to refuse (-> NEEDS_RESET). */
	int (*activate)(struct virtio_dev *vdev);
	/* The driver reset the device: drop in-flight work, back to the initial state. */
	void (*reset)(struct virtio_dev *vdev);
	/* The driver notified queue q (called on the event loop thread). */
	void (*queue_notify)(struct virtio_dev *vdev, uint16_t q);
	void (*destroy)(struct virtio_dev *vdev);
	/*
	 * Snapshot, all optional and called under the transport lock with the
	 * vCPUs paused. quiesce finishes the work in flight (0 or -errno);
	 * save writes device-specific guest-visible state; load checks and
	 * applies it (0 or -EINVAL), before the transport re-activates the device.
	 */
	int (*quiesce)(struct virtio_dev *vdev);
	void (*save)(struct virtio_dev *vdev, struct snap_writer *w);
	int (*load)(struct virtio_dev *vdev, struct snap_reader *r);
	/*
	 * Live migration, optional, after quiesce: handover gives up what the
	 * destination must take on this host (a disk's image lock), reclaim
	 * takes it back when the migration failed. 0 or -errno.
	 */
	int (*handover)(struct virtio_dev *vdev);
	int (*reclaim)(struct virtio_dev *vdev);
};

struct virtio_transport_ops {
	/* Interrupt the driver about used buffers on queue q (honours event idx). */
	void (*signal_used)(struct virtio_dev *vdev, uint16_t q);
	/* Interrupt the driver about a config change. */
	void (*signal_config)(struct virtio_dev *vdev);
	/* The device found the driver's input malformed: set NEEDS_RESET, interrupt. */
	void (*needs_reset)(struct virtio_dev *vdev);
	/*
	 * The transport lock, which every device callback already runs under.
	 * A device that completes work elsewhere (an I/O completion on the
	 * event loop, a backend thread) takes it around touching its queues.
	 * Recursive.
	 */
	void (*lock)(struct virtio_dev *vdev);
	void (*unlock)(struct virtio_dev *vdev);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;                         /* the device's own state */
	struct virtq *queues;               /* ops->num_queues, owned by the transport */
	uint64_t driver_features;           /* negotiated */
	const struct virtio_transport_ops *transport;
	void *transport_priv;
};

static inline bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit)
{
	return (vdev->driver_features >> bit) & 1;
}

#endif
