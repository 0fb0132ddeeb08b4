/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, 5.1): receive and transmit queue pairs over a
 * net_backend, with MAC, link STATUS, mergeable receive buffers and, when
 * the backend passes vnet headers through (TAP), checksum and TSO offloads.
 * A backend with N > 1 queues (a multiqueue TAP) makes it a multiqueue NIC:
 * VIRTIO_NET_F_MQ and a control queue, queues rx0, tx0, ..., rxN-1, txN-1,
 * ctrl; pair i moves frames through backend queue i.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_NET_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/event_loop.h"
#include "devices/virtio/virtio.h"
#include "net/net_backend.h"

#define VIRTIO_NET_QUEUE_SIZE   256
#define VIRTIO_NET_RXQ          0       /* pair i: receive queue 2i, transmit queue 2i + 1 */
#define VIRTIO_NET_TXQ          1

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM           0
#define VIRTIO_NET_F_GUEST_CSUM     1
#define VIRTIO_NET_F_MAC            5
#define VIRTIO_NET_F_GUEST_TSO4     7
#define VIRTIO_NET_F_GUEST_TSO6     8
#define VIRTIO_NET_F_GUEST_ECN      9
#define VIRTIO_NET_F_HOST_TSO4      11
#define VIRTIO_NET_F_HOST_TSO6      12
#define VIRTIO_NET_F_HOST_ECN       13
#define VIRTIO_NET_F_MRG_RXBUF      15
#define VIRTIO_NET_F_STATUS         16
#define VIRTIO_NET_F_CTRL_VQ        17
#define VIRTIO_NET_F_MQ             22

#define VIRTIO_NET_S_LINK_UP        1

/* virtio_net_hdr flags and gso_type (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN      0x80

/* The control queue (5.1.6.5): class, command, data (device-readable), then the ack byte. */
struct virtio_net_ctrl_hdr {
	uint8_t class;
	uint8_t cmd;
} __attribute__((packed));

#define VIRTIO_NET_OK                       0
#define VIRTIO_NET_ERR                      1
#define VIRTIO_NET_CTRL_MQ                  4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET     0       /* data: le16 virtqueue_pairs */

struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

/* Device config space (5.1.4), little endian. */
struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
} __attribute__((packed));

/*
 * A new network device over be (which it owns from now on, also on
 * failure), watching each of be's rx_fds on loop; one queue pair per backend
 * queue, only the first in use until the driver asks for more. NULL if out
 * of resources.
 */
__attribute__((warn_unused_result))
struct virtio_dev *virtio_net_create(struct net_backend *be, const uint8_t mac[6], struct event_loop *loop);

/*
 * Moves frames from the backend into the receive queues of the pairs in use
 * until either runs dry (the event loop does this per pair when its rx_fd is
 * readable; tests call it directly). Takes the transport lock.
 */
void virtio_net_poll_rx(struct virtio_dev *vdev);

/*
 * Gives the device a new MAC address (a restored clone's): config space
 * shows it from now on, and a running driver gets a config-change
 * interrupt so it can re-read it. Any thread; takes the transport lock.
 */
void virtio_net_set_mac(struct virtio_dev *vdev, const uint8_t mac[6]);

/* Whether pair's receive side stopped reading the backend (no buffers, or the pair is not in use). */
bool virtio_net_rx_paused(struct virtio_dev *vdev, uint16_t pair);

/* Queue pairs the driver uses now (1 until VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET). */
uint16_t virtio_net_pairs_in_use(struct virtio_dev *vdev);

#endif
