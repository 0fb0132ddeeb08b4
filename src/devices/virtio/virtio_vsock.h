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
#include "devices/virtio/virtio_vsock_hdr.h"
#include "net/vsock_config.h"

#define VIRTIO_VSOCK_QUEUE_SIZE 256
#define VIRTIO_VSOCK_RXQ        0
#define VIRTIO_VSOCK_TXQ        1
#define VIRTIO_VSOCK_EVENTQ     2

/* The event queue's one event (5.10.6.7): the guest must drop every connection. */
#define VIRTIO_VSOCK_EVENT_TRANSPORT_RESET  0

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
