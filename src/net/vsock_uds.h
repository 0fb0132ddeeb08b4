/* SPDX-License-Identifier: MIT */
/*
 * The host side of virtio-vsock, as Firecracker has it: guest stream
 * connections mapped to Unix sockets.
 *
 * Host-initiated: a program connects to uds_path and writes
 * "CONNECT <port>\n"; the guest gets a REQUEST for that port from a host
 * port vessel picks (from 2^30 up) and, once it answers RESPONSE, the
 * program reads "OK <host port>\n" and the socket carries the stream. A
 * RST (nobody listens) or no answer within 2 s closes the socket.
 *
 * Guest-initiated: a REQUEST to CID 2 port P connects to "<uds_path>_<P>",
 * where a host program listens; RESPONSE if it accepts, RST if not.
 *
 * Credit (5.10.6.3), both ways: vessel takes at most VSOCK_UDS_BUF_ALLOC
 * unwritten bytes per connection from the guest (more is a violation: RST),
 * and reads a host socket only as far as the guest's buf_alloc/fwd_cnt
 * allow, not watching it meanwhile. At most VSOCK_UDS_MAX_CONNS
 * connections (host ones still in their handshake included); beyond them
 * the guest gets RST and a host program a closed socket.
 *
 * Everything runs on one thread at a time (the device calls it under its
 * transport lock). Packets cross this interface as their header, struct
 * virtio_vsock_hdr, in host byte order; payloads as iovecs into guest memory.
 */
#ifndef VESSEL_NET_VSOCK_UDS_H
#define VESSEL_NET_VSOCK_UDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/virtio_vsock_hdr.h"

#define VSOCK_UDS_MAX_CONNS     1024
#define VSOCK_UDS_BUF_ALLOC     (256 * 1024)    /* our buf_alloc: guest bytes buffered per connection */
#define VSOCK_UDS_LOCAL_PORT_BASE   (1u << 30)  /* host ports of host-initiated connections */
#define VSOCK_UDS_CONNECT_TIMEOUT_MS    2000    /* CONNECT line, then the guest's RESPONSE */
#define VSOCK_UDS_CLOSE_TIMEOUT_MS      10000   /* unsent guest data after its shutdown */
#define VSOCK_UDS_PENDING_RST   64              /* RSTs for unknown connections waiting for rx buffers */

struct vsock_uds;

/*
 * Listens on path (a stale socket file is replaced, a live one refused)
 * for the guest guest_cid. 0, or -errno with "vsock: ..." in err.
 */
__attribute__((warn_unused_result))
int vsock_uds_create(const char *path, uint32_t guest_cid, struct vsock_uds **out, char *err, size_t errlen);
/* Closes every connection and the listener, removes the socket file. */
void vsock_uds_destroy(struct vsock_uds *u);

/* An epoll fd, readable when vsock_uds_poll() has host events to handle. */
int vsock_uds_fd(const struct vsock_uds *u);
/* Handles what is ready on the host side (never blocks). */
void vsock_uds_poll(struct vsock_uds *u);

/*
 * A packet from the guest whose src_cid is the guest's and whose payload
 * (pkt->len bytes, already checked against the chain) is in iov. Answers
 * (RST, RESPONSE, credit updates) wait for vsock_uds_rx_next().
 */
void vsock_uds_guest_pkt(struct vsock_uds *u, const struct virtio_vsock_hdr *pkt, const struct iovec *iov, int iovcnt);

/*
 * A guest packet that cannot be taken as it is (its length is not its
 * chain's): its connection, if any, is reset; else the sender gets RST.
 */
void vsock_uds_guest_refuse(struct vsock_uds *u, const struct virtio_vsock_hdr *pkt);

/* Whether a packet may be waiting for the guest (vsock_uds_rx_next() may still find none). */
bool vsock_uds_rx_pending(const struct vsock_uds *u);
/*
 * The next packet for the guest: its header in *pkt and up to cap payload
 * bytes read straight into iov. 1, or 0 if there is nothing to send now.
 */
int vsock_uds_rx_next(struct vsock_uds *u, struct virtio_vsock_hdr *pkt, const struct iovec *iov, int iovcnt,
		      uint32_t cap);

/* Drops every connection (host sockets closed), as a device reset or a transport reset does. */
void vsock_uds_reset(struct vsock_uds *u);

/*
 * Live migration: release closes the listener and removes the socket file
 * (the destination binds it; connections are dropped), reclaim listens
 * again if the migration failed. 0 or -errno.
 */
void vsock_uds_release(struct vsock_uds *u);
__attribute__((warn_unused_result))
int vsock_uds_reclaim(struct vsock_uds *u);

/* Connections now, host ones in their handshake included (tests). */
uint32_t vsock_uds_nr_conns(const struct vsock_uds *u);

#endif
