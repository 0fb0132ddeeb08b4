/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (device type 1, virtio 1.2 section 5.1) on the virtio-pci
 * transport: receive queue 0 kept full of buffers, transmit queue 1, the
 * 12-byte virtio_net_hdr, MAC, STATUS and MRG_RXBUF; no offloads. Frames
 * are copied in and out (user mode, native speed); the rings and buffers
 * live in one struct virtio_net_mem.
 */
#ifndef VESSEL_GUEST_VIRTIO_NET_H
#define VESSEL_GUEST_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_ID_NET			1
#define VIRTIO_PCI_TRANSITIONAL_NET	0x1000

#define VIRTIO_NET_F_MAC	(1ULL << 5)
#define VIRTIO_NET_F_MRG_RXBUF	(1ULL << 15)
#define VIRTIO_NET_F_STATUS	(1ULL << 16)
#define VIRTIO_NET_S_LINK_UP	1

#define VIRTIO_NET_HDR_LEN	12	/* struct virtio_net_hdr_v1 */
#define VIRTIO_NET_BUF_SIZE	2048	/* one rx or tx buffer */
/* With MRG_RXBUF, smaller rx buffers so full-size frames use num_buffers = 2. */
#define VIRTIO_NET_MRG_BUF_SIZE	1024
#define VIRTIO_NET_FRAME_MAX	1518	/* 1514 + a VLAN tag; no GSO */
#define VIRTIO_NET_QUEUE_MAX	64	/* entries per queue we use (tx_busy is a 64-bit mask) */
/* Separate from rng (+1) and blk (+2) so a NIC left running never inflates their counts. */
#define VEC_VIRTIO_NET		(VEC_COUNTED_BASE + 3)

struct virtio_net_mem {
	struct virtq_mem rx, tx;
	uint8_t rx_buf[VIRTIO_NET_QUEUE_MAX][VIRTIO_NET_BUF_SIZE];
	uint8_t tx_buf[VIRTIO_NET_QUEUE_MAX][VIRTIO_NET_BUF_SIZE];
} __attribute__((aligned(4096)));

struct virtio_net {
	struct virtio_pci vp;
	struct virtq rxq, txq;
	struct virtio_net_mem *mem;
	uint8_t mac[6];
	uint32_t rx_buf_size;
	uint16_t rx_slot[VIRTIO_NET_QUEUE_MAX];	/* buffer of each posted descriptor head */
	uint16_t tx_slot[VIRTIO_NET_QUEUE_MAX];
	uint64_t tx_busy;		/* bit per tx buffer */
	uint32_t rx_frames, tx_frames, rx_dropped, irqs;
};

/* The n-th virtio-net function (modern ids first, then transitional), or NULL. */
const struct pci_fn *virtio_net_find(uint32_t n);
/*
 * Negotiate, read MAC and link status, then reset: for listing NICs the
 * stack does not use. 0, or -1 with vn->vp.error set.
 */
int virtio_net_probe(struct virtio_net *vn, const struct pci_fn *fn, bool *link_up);
/* Bring the device to DRIVER_OK with the rx ring full. 0, or -1 with vp.error. */
int virtio_net_open(struct virtio_net *vn, const struct pci_fn *fn, struct virtio_net_mem *mem);
bool virtio_net_link_up(const struct virtio_net *vn);
/* Queue one Ethernet frame (without FCS). 0, or -1 (too long, ring stuck). */
int virtio_net_send(struct virtio_net *vn, const void *frame, uint32_t len);
/* Copy the next received frame into buf. Its length, 0 if none is pending. */
uint32_t virtio_net_recv(struct virtio_net *vn, uint8_t *buf, uint32_t size);
/* Sleep until a frame arrives or about max_ms passed (at most one 10 ms slice). */
void virtio_net_wait(struct virtio_net *vn, uint32_t max_ms);
/* Reset the device so it stops touching our memory. */
void virtio_net_close(struct virtio_net *vn);

#endif
