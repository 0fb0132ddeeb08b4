/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (device type 19, virtio 1.2 section 5.10) on the virtio-pci
 * transport, and a small stream-socket layer over it: a few connections,
 * each with a 64 KiB receive buffer whose free space is the credit we give
 * (buf_alloc/fwd_cnt), and the peer's credit honoured when sending (unless
 * a test asks otherwise). Queues: rx (0) kept full of 16 KiB buffers, tx (1)
 * with up to 128 packets in flight, event (2) with 8 event buffers.
 */
#ifndef VESSEL_GUEST_VIRTIO_VSOCK_H
#define VESSEL_GUEST_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_ID_VSOCK			19
#define VSOCK_CID_HOST			2

#define VSOCK_OP_REQUEST		1
#define VSOCK_OP_RESPONSE		2
#define VSOCK_OP_RST			3
#define VSOCK_OP_SHUTDOWN		4
#define VSOCK_OP_RW			5
#define VSOCK_OP_CREDIT_UPDATE		6
#define VSOCK_OP_CREDIT_REQUEST		7
#define VSOCK_TYPE_STREAM		1
#define VSOCK_TYPE_SEQPACKET		2
#define VSOCK_SHUTDOWN_RCV		1
#define VSOCK_SHUTDOWN_SEND		2

#define VSOCK_QSIZE			128
#define VSOCK_PAYLOAD			16384	/* per packet, both ways */
#define VSOCK_EVENTS			8
#define VSOCK_MAX_CONNS			8
#define VSOCK_RBUF			(64 * 1024)	/* our buf_alloc per connection */
/* Shares rng's counted vector: every command resets its device at its end, so they never overlap. */
#define VEC_VIRTIO_VSOCK		(VEC_COUNTED_BASE + 1)

struct vsock_hdr {
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

#define VSOCK_HDR_LEN			44
#define VSOCK_BUF_LEN			(VSOCK_HDR_LEN + VSOCK_PAYLOAD)

struct vsock_mem {
	struct virtq_mem rx, tx, ev;
	uint8_t rx_buf[VSOCK_QSIZE][VSOCK_BUF_LEN];
	uint8_t tx_buf[VSOCK_QSIZE][VSOCK_BUF_LEN];
	uint32_t ev_buf[VSOCK_EVENTS];
	uint8_t rbuf[VSOCK_MAX_CONNS][VSOCK_RBUF];
} __attribute__((aligned(4096)));

enum vsock_conn_state { VSOCK_FREE = 0, VSOCK_CONNECTING, VSOCK_OPEN, VSOCK_CLOSED };

struct vsock_conn {
	enum vsock_conn_state state;
	uint32_t local_port, peer_port;
	/* Our sending side: the peer's credit. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Our receiving side: rbuf holds r_len bytes from r_start; fwd_cnt counts bytes taken out. */
	uint8_t *rbuf;
	uint32_t r_start, r_len;
	uint32_t fwd_cnt, fwd_cnt_told;
	bool peer_shut_send, peer_shut_rcv;	/* the peer sends / reads no more */
	bool shut_sent;				/* we sent SHUTDOWN (both ways) */
	bool reset;				/* ended by RST */
	uint64_t rx_bytes, tx_bytes;
};

struct vsock {
	struct virtio_pci vp;
	struct virtq rxq, txq, evq;
	struct vsock_mem *mem;
	uint64_t cid;
	uint16_t rx_slot[VIRTQ_MAX], tx_slot[VIRTQ_MAX], ev_slot[VIRTQ_MAX];
	uint16_t tx_free[VSOCK_QSIZE];
	uint32_t nr_tx_free;
	struct vsock_conn conns[VSOCK_MAX_CONNS];
	uint32_t listen_port;		/* 0: none; REQUESTs for it are accepted */
	uint32_t accepted;
	uint32_t next_port;		/* local ports for our connections */
	/* What arrived that belongs to no connection (misbehaviour tests look at these). */
	uint32_t stray_rst;		/* RSTs for no connection of ours */
	struct vsock_hdr last_stray_rst;
	uint32_t credit_violations;	/* RW beyond the credit we gave */
	uint32_t transport_resets;	/* TRANSPORT_RESET events */
	uint32_t rx_packets, tx_packets;
};

/*
 * Finds the first virtio-vsock function, negotiates, reads the CID, fills
 * the rx and event rings, DRIVER_OK. 0, or -1 with vs->vp.error.
 */
int vsock_open(struct vsock *vs, struct vsock_mem *mem);
/* Resets the device so it stops touching our memory. */
void vsock_close(struct vsock *vs);

/*
 * Queues one packet (header fields from h, which the caller fills but for
 * len; payload may be NULL for len 0), waiting up to 2 s for a free tx
 * buffer. Not notified until vsock_kick(). 0, or -1 (no buffer).
 */
int vsock_send_raw(struct vsock *vs, const struct vsock_hdr *h, const void *payload, uint32_t len);
/* The same with claimed in the header's len (a lie, for misbehaviour tests). */
int vsock_send_claiming(struct vsock *vs, const struct vsock_hdr *h, const void *payload, uint32_t len,
			uint32_t claimed);
/* A packet on connection c with our credit in it. */
int vsock_send(struct vsock *vs, struct vsock_conn *c, uint16_t op, uint32_t flags, const void *payload,
	       uint32_t len);
void vsock_kick(struct vsock *vs);

/* Takes every used buffer: packets to the socket layer, tx buffers back, events. True if any. */
bool vsock_poll(struct vsock *vs);
/* Sleeps until an interrupt or ms milliseconds (kicks what is queued first). */
void vsock_wait(struct vsock *vs, uint32_t ms);

/* Bytes c may send now by the peer's credit. */
uint32_t vsock_credit(const struct vsock_conn *c);
/* Opens a connection to the host's port; waits up to 2 s: the connection, or NULL (*why set). */
struct vsock_conn *vsock_connect(struct vsock *vs, uint32_t port, const char **why);
/* Takes n received bytes out of c's buffer (they count as forwarded: credit for the peer). */
void vsock_consume(struct vsock *vs, struct vsock_conn *c, uint32_t n);
/* Sends CREDIT_UPDATE if the peer has not heard of half our buffer being free. */
void vsock_maybe_credit_update(struct vsock *vs, struct vsock_conn *c);
/* Sends SHUTDOWN(RCV|SEND) once and waits up to ms for the peer's RST; frees the slot. */
void vsock_close_conn(struct vsock *vs, struct vsock_conn *c, uint32_t ms);

#endif
