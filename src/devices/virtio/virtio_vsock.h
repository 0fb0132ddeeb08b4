/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (virtio 1.2, 5.10): stream sockets between the guest and
 * host programs on Unix sockets, Firecracker's way (docs/vsock.md). Queues
 * rx (0), tx (1) and event (2); config space is the guest's CID. The
 * connections themselves live in a vsock_uds (src/net/vsock_uds.h); this
 * device moves packets between it and the virtqueues.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_VSOCK_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_VSOCK_H

#include <stdint.h>

#include "core/event_loop.h"
#include "devices/virtio/virtio.h"
#include "net/vsock_config.h"

#define VIRTIO_VSOCK_QUEUE_SIZE 256
#define VIRTIO_VSOCK_RXQ        0
#define VIRTIO_VSOCK_TXQ        1
#define VIRTIO_VSOCK_EVENTQ     2

/* The packet header (5.10.6), little endian, followed by len payload bytes. */
struct virtio_vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

#define VIRTIO_VSOCK_HDR_LEN    44

#define VIRTIO_VSOCK_TYPE_STREAM        1
#define VIRTIO_VSOCK_TYPE_SEQPACKET     2

enum virtio_vsock_op {
	VIRTIO_VSOCK_OP_INVALID = 0,
	VIRTIO_VSOCK_OP_REQUEST = 1,
	VIRTIO_VSOCK_OP_RESPONSE = 2,
	VIRTIO_VSOCK_OP_RST = 3,
	VIRTIO_VSOCK_OP_SHUTDOWN = 4,
	VIRTIO_VSOCK_OP_RW = 5,
	VIRTIO_VSOCK_OP_CREDIT_UPDATE = 6,
	VIRTIO_VSOCK_OP_CREDIT_REQUEST = 7,
};

/* SHUTDOWN flags: the sender will receive / send no more. */
#define VIRTIO_VSOCK_SHUTDOWN_RCV   1
#define VIRTIO_VSOCK_SHUTDOWN_SEND  2

/* The event queue's one event (5.10.6.7): the guest must drop every connection. */
#define VIRTIO_VSOCK_EVENT_TRANSPORT_RESET  0

/* Payload bytes per packet, at most, both ways (Linux's largest is 64 KiB). */
#define VIRTIO_VSOCK_MAX_PAYLOAD    (64 * 1024)

struct vsock_uds;

/*
 * A new vsock device for cid over uds (which it owns from now on, also on
 * failure), watching uds's file descriptors on loop. NULL if out of resources.
 */
__attribute__((warn_unused_result))
struct virtio_dev *virtio_vsock_create(uint32_t guest_cid, struct vsock_uds *uds, struct event_loop *loop);

/*
 * Serves the host side: accepts and reads what the Unix sockets have, then
 * fills receive buffers (the event loop does this when uds's epoll set is
 * readable; tests call it directly). Takes the transport lock.
 */
void virtio_vsock_poll(struct virtio_dev *vdev);

/* Transport resets the device sent to the guest's event queue (after a restore). */
uint32_t virtio_vsock_transport_resets(struct virtio_dev *vdev);
/* Connections open now, host ones in their handshake included. */
uint32_t virtio_vsock_connections(struct virtio_dev *vdev);

#endif
