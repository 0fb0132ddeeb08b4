/* SPDX-License-Identifier: MIT */
/*
 * The virtio-vsock packet header (virtio 1.2, 5.10.6) and its values: one
 * definition for the device (virtio_vsock.c, which reads and writes it in
 * guest memory, little endian) and the host side (net/vsock_uds.h, which
 * takes and gives it in host byte order; the device converts).
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_VSOCK_HDR_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_VSOCK_HDR_H

#include <stdint.h>

/* The header, followed by len payload bytes. */
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
_Static_assert(sizeof(struct virtio_vsock_hdr) == VIRTIO_VSOCK_HDR_LEN, "virtio-vsock header is 44 bytes");

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

/* Payload bytes per packet, at most, both ways (Linux's largest is 64 KiB). */
#define VIRTIO_VSOCK_MAX_PAYLOAD    (64 * 1024)

#endif
