/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, 5.3) with one port and no MULTIPORT: the
 * guest's hvc0. receiveq0 (0) carries host input into buffers the driver
 * posted, transmitq0 (1) carries guest output to a sink. The config space
 * has the console size (F_SIZE) and the emergency write register
 * (F_EMERG_WRITE), one byte of output per write, usable before the queues.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_CONSOLE_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "devices/virtio/virtio.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE   256
#define VIRTIO_CONSOLE_RXQ          0
#define VIRTIO_CONSOLE_TXQ          1

/* Feature bits (5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE           0
#define VIRTIO_CONSOLE_F_MULTIPORT      1   /* not offered */
#define VIRTIO_CONSOLE_F_EMERG_WRITE    2

/* Config space (5.3.4), little endian. */
#define VIRTIO_CONSOLE_CFG_COLS         0   /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS         2   /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4   /* le32 */
#define VIRTIO_CONSOLE_CFG_EMERG_WR     8   /* le32, write-only */
#define VIRTIO_CONSOLE_CFG_SIZE         12

/*
 * Gets the guest's output, in order: transmitq0 on the event loop thread,
 * emergency writes on a vCPU thread; always under the transport lock.
 */
typedef void (*virtio_console_out_fn)(void *ctx, const uint8_t *buf, size_t len);

struct virtio_console_config {
	uint16_t cols;              /* console size the guest sees; 0x0 means unknown */
	uint16_t rows;
	virtio_console_out_fn out;
	void *out_ctx;
};

/* A new console device, freed by its ops->destroy; NULL if out of memory. */
__attribute__((warn_unused_result))
struct virtio_dev *virtio_console_create(const struct virtio_console_config *cfg);

/*
 * Offers host input to the guest (event loop thread): fills the receive
 * buffers the driver posted, in order. Returns the bytes taken: 0 if the
 * driver is not ready or posted none yet; the caller keeps the rest and
 * offers it again later.
 */
size_t virtio_console_receive(struct virtio_dev *vdev, const uint8_t *buf, size_t len);

/* Whether the driver has posted receive buffers that receive() can fill now. */
bool virtio_console_rx_ready(struct virtio_dev *vdev);

/* A new console size (the terminal was resized): config change interrupt. */
void virtio_console_set_size(struct virtio_dev *vdev, uint16_t cols, uint16_t rows);

#endif
