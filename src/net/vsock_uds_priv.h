/* SPDX-License-Identifier: MIT */
/*
 * vsock_uds's insides, shared by vsock_uds.c (listener, handshake, event
 * loop, lifetime) and vsock_conn.c (the connections). Not for other users.
 */
#ifndef VESSEL_NET_VSOCK_UDS_PRIV_H
#define VESSEL_NET_VSOCK_UDS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net/vsock_config.h"
#include "net/vsock_uds.h"

#define VSOCK_UDS_HASH_SIZE     1024    /* power of two */
#define VSOCK_UDS_TICK_MS       250     /* deadline checks while any connection has one */
#define VSOCK_UDS_LINE_MAX      24      /* "CONNECT 4294967295\n" fits */
#define VSOCK_UDS_MAX_IOV       1024

#define EP_LISTEN   (1ull << 32)
#define EP_TIMER    (2ull << 32)

enum vsock_conn_state {
	VSOCK_CONN_FREE = 0,
	VSOCK_CONN_HANDSHAKE,       /* a host program connected: its CONNECT line is due */
	VSOCK_CONN_REQUEST,         /* REQUEST owed or sent to the guest: its RESPONSE is due */
	VSOCK_CONN_OPEN,            /* established */
	VSOCK_CONN_DEAD,            /* socket closed, RST owed to the guest */
};

/* Control packets a connection owes the guest. */
enum {
	OWE_REQUEST = 1u << 0,
	OWE_RESPONSE = 1u << 1,
	OWE_SHUTDOWN = 1u << 2,
	OWE_CREDIT_REQUEST = 1u << 3,
	OWE_CREDIT_UPDATE = 1u << 4,
	OWE_RST = 1u << 5,
};

struct vsock_conn {
	enum vsock_conn_state state;
	int fd;
	uint32_t local_port;        /* the host side's port */
	uint32_t peer_port;         /* the guest's */
	struct vsock_conn *hash_next;
	struct vsock_conn *rx_next;
	bool queued;                /* on the rx queue */
	bool hashed;
	uint32_t owed;              /* OWE_* */
	uint32_t watching;          /* epoll events registered; 0: not in the set */
	uint64_t deadline_ns;       /* 0: none */

	/* guest -> host */
	uint32_t rcv_cnt;           /* payload bytes the guest sent */
	uint32_t fwd_cnt;           /* of them, written to the host socket */
	uint32_t fwd_cnt_told;      /* fwd_cnt in our last packet to the guest */
	uint8_t *buf;               /* ring of VSOCK_UDS_BUF_ALLOC bytes: rcv_cnt - fwd_cnt of them waiting */
	uint32_t buf_start;
	bool guest_shut_send;       /* the guest sends no more: SHUT_WR once the ring is empty */
	bool guest_shut_rcv;        /* the guest reads no more: stop reading the host */

	/* host -> guest */
	uint32_t rx_cnt;            /* payload bytes sent to the guest */
	uint32_t peer_buf_alloc;
	uint32_t peer_fwd_cnt;
	bool readable;              /* the socket may have data or EOF for the guest */
	bool host_eof;              /* its read side ended: SHUTDOWN(SEND) owed or sent */
	bool credit_asked;          /* CREDIT_REQUEST sent since the guest last gave credit */

	char line[VSOCK_UDS_LINE_MAX];
	uint8_t line_len;
};

struct vsock_rst {
	uint64_t src_cid;
	uint32_t src_port, dst_port;
};

struct vsock_uds {
	char path[VSOCK_UDS_PATH_MAX + 1];
	uint32_t guest_cid;
	int epfd;
	int listen_fd;              /* -1 after vsock_uds_release() */
	int timer_fd;
	bool ticking;
	uint32_t nr_conns;
	uint32_t next_local_port;
	struct vsock_conn *rx_head, *rx_tail;
	struct vsock_rst rst[VSOCK_UDS_PENDING_RST];
	uint32_t rst_head, rst_len;
	struct vsock_conn *hash[VSOCK_UDS_HASH_SIZE];
	struct iovec iov[VSOCK_UDS_MAX_IOV];
	struct vsock_conn conns[VSOCK_UDS_MAX_CONNS];
};

/* The table. */
struct vsock_conn *vsock_conn_find(struct vsock_uds *u, uint32_t local_port, uint32_t peer_port);
/* A free slot, in the handshake state with fd (counted in nr_conns), or NULL if all are taken. */
struct vsock_conn *vsock_conn_alloc(struct vsock_uds *u, int fd);
void vsock_conn_hash_add(struct vsock_uds *u, struct vsock_conn *c);
/* Registers what the connection wants to hear about now. */
void vsock_conn_update_watch(struct vsock_uds *u, struct vsock_conn *c);
/* Frees the slot: socket closed, out of the table and the rx queue, nothing owed. */
void vsock_conn_free(struct vsock_uds *u, struct vsock_conn *c);
/* Ends a connection the guest knows of: socket closed, RST owed (the slot is freed once it is sent). */
void vsock_conn_reset(struct vsock_uds *u, struct vsock_conn *c);
/* A deadline ms from now (checked by vsock_uds.c's tick). */
void vsock_conn_set_deadline(struct vsock_uds *u, struct vsock_conn *c, uint32_t ms);
/* An RST answering to (a packet for no connection); dropped if too many wait. */
void vsock_rst_queue(struct vsock_uds *u, const struct virtio_vsock_hdr *to);
void vsock_rx_queue_add(struct vsock_uds *u, struct vsock_conn *c);
void vsock_rx_queue_del(struct vsock_uds *u, struct vsock_conn *c);

/* Credit and data. */
uint32_t vsock_conn_peer_credit(const struct vsock_conn *c);
bool vsock_conn_can_read(const struct vsock_conn *c);
bool vsock_conn_wants_rx(const struct vsock_conn *c);
/* Writes what the ring holds to the socket; a broken socket resets the connection. */
void vsock_conn_flush(struct vsock_uds *u, struct vsock_conn *c);

/* A guest REQUEST to host port P: connect to "<uds>_<P>", RESPONSE or RST. */
void vsock_conn_guest_connect(struct vsock_uds *u, const struct virtio_vsock_hdr *pkt);
/* A guest packet for connection c. */
void vsock_conn_guest_pkt(struct vsock_uds *u, struct vsock_conn *c, const struct virtio_vsock_hdr *pkt,
			  const struct iovec *iov, int iovcnt);
/* One packet from c for the guest, if it has one: 1, or 0. */
int vsock_conn_rx(struct vsock_uds *u, struct vsock_conn *c, struct virtio_vsock_hdr *pkt,
		  const struct iovec *iov, int iovcnt, uint32_t cap);

#endif
