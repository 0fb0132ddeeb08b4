/* SPDX-License-Identifier: MIT */
/*
 * A tiny IPv4 stack over one virtio-net NIC: Ethernet, ARP, IPv4 (no
 * fragments), ICMP echo, UDP, a DHCP client and one TCP connection. No
 * threads and no queues: net_poll() handles each received frame to the
 * end, replies included, and callers loop on it until their work is done.
 * IPv4 addresses are host-order uint32_t; headers are packed big-endian.
 */
#ifndef VESSEL_GUEST_NET_H
#define VESSEL_GUEST_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio_net.h"

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_MTU		1500
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806

#define IP_HLEN		20
#define IP_PROTO_ICMP	1
#define IP_PROTO_TCP	6
#define IP_PROTO_UDP	17
#define IP_BROADCAST	0xffffffffu
#define IP(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* Linux errno values (no libc headers here). */
#define EAGAIN		11
#define EINVAL		22
#define ECONNRESET	104
#define ENOTCONN	107
#define ETIMEDOUT	110
#define ECONNREFUSED	111

#define ARP_CACHE_SIZE	8
#define TCP_BUF_SIZE	16384	/* send and receive buffer each */

static inline uint16_t htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint16_t ntohs(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
} __attribute__((packed));

#define ARP_REQUEST	1
#define ARP_REPLY	2

/* ARP for IPv4 over Ethernet. */
struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[ETH_ALEN];
	uint32_t spa;
	uint8_t tha[ETH_ALEN];
	uint32_t tpa;
} __attribute__((packed));

#define ICMP_ECHO_REPLY		0
#define ICMP_ECHO_REQUEST	8

struct icmp_echo {
	uint8_t type, code;
	uint16_t csum;
	uint16_t id, seq;
} __attribute__((packed));

struct ip_hdr {
	uint8_t ver_ihl;
	uint8_t tos;
	uint16_t len;
	uint16_t id;
	uint16_t frag;
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint32_t src;
	uint32_t dst;
} __attribute__((packed));

struct arp_entry {
	uint32_t ip;		/* 0: unused */
	uint8_t mac[ETH_ALEN];
};

enum tcp_state {
	TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED,
	TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSING, TCP_TIME_WAIT,
	TCP_CLOSE_WAIT, TCP_LAST_ACK,
};

/* The one TCP connection; seq numbers as in RFC 793. */
struct tcp_conn {
	enum tcp_state state;
	uint32_t remote_ip;
	uint16_t local_port, remote_port;
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd;	/* snd_max: highest snd_nxt */
	uint32_t rcv_nxt, rcv_acked;	/* rcv_acked: rcv_nxt in our last ACK */
	uint16_t mss;			/* peer's */
	bool closing;			/* app is done sending: FIN after the data */
	bool fin_sent, fin_acked, fin_rcvd, ack_needed;
	uint32_t rcv_wnd_sent;		/* window in our last segment */
	uint64_t rto_at_ms;		/* 0: timer off */
	uint32_t rto_ms, retries;
	int error;			/* -errno once the connection failed */
	uint32_t snd_len;		/* bytes in snd_buf, from snd_una (after the SYN) */
	uint32_t rcv_head, rcv_len;	/* ring */
	uint32_t retransmits;
	uint8_t snd_buf[TCP_BUF_SIZE];
	uint8_t rcv_buf[TCP_BUF_SIZE];
};

struct netif;
typedef void (*udp_fn)(struct netif *nif, void *ctx, uint32_t src_ip, uint16_t src_port,
		       const uint8_t *data, uint32_t len);

struct netif {
	struct virtio_net vn;
	uint32_t ip, mask, gw, dns;	/* 0 if not configured */
	struct arp_entry arp[ARP_CACHE_SIZE];
	uint32_t arp_next;		/* round-robin replacement */
	uint16_t ip_id;
	/* one bound UDP port (DHCP) */
	uint16_t udp_port;
	udp_fn udp_handler;
	void *udp_ctx;
	/* ping: replies matching ping_id, by sequence number */
	uint16_t ping_id, ping_seq_seen;
	bool ping_got;
	uint32_t echo_replied, arp_replied;
	/* test knob: drop this percentage of frames each way (netloss command) */
	uint32_t loss_pct, loss_state, lost;
	struct tcp_conn tcp;
	uint8_t rx_frame[VIRTIO_NET_BUF_SIZE * 2];
};

/* net.c: clock, NIC bring-up, the poll loop, checksums, address text */
void net_clock_init(void);
uint64_t net_now_us(void);
static inline uint64_t net_now_ms(void) { return net_now_us() / 1000; }
int netif_open(struct netif *nif, const struct pci_fn *fn, struct virtio_net_mem *mem);
/*
 * Handle every pending frame; if there was none, sleep up to wait_ms (at
 * most one 10 ms slice) and handle what came. Then run TCP timers and
 * pending ACKs. Frames handled.
 */
uint32_t net_poll(struct netif *nif, uint32_t wait_ms);
/* Should this frame be dropped on purpose (loss_pct)? */
bool net_drop(struct netif *nif);
/* Ones'-complement sum of len bytes added to sum, unfolded. */
uint32_t inet_sum(const void *p, size_t len, uint32_t sum);
/* Fold and complement: the checksum field value (network order). */
uint16_t inet_fold(uint32_t sum);
/* Sum of the TCP/UDP pseudo header. */
uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* "a.b.c.d" at *s; advances *s past it. 0 or -1. */
int ip_parse(const char **s, uint32_t *ip);
/* Decimal number at *s; advances *s. 0 or -1. */
int net_parse_u32(const char **s, uint32_t *v);
/* "a.b.c.d" into buf[16]. */
const char *ip_str(uint32_t ip, char *buf);

/* net_cmd.c: the stack on the first virtio-net NIC, opened on first use. NULL, *error set. */
struct netif *net_stack(const char **error);
/* Resets NIC 0 if the stack has it, for a command that drives it itself; the next net_stack() reopens it. */
void net_stack_release(void);

/* eth.c */
void eth_input(struct netif *nif, const uint8_t *frame, uint32_t len);
int eth_send(struct netif *nif, const uint8_t *dst, uint16_t type, const void *payload, uint32_t len);
extern const uint8_t eth_broadcast[ETH_ALEN];

/* arp.c */
void arp_input(struct netif *nif, const uint8_t *pkt, uint32_t len);
bool arp_lookup(const struct netif *nif, uint32_t ip, uint8_t *mac);
void arp_learn(struct netif *nif, uint32_t ip, const uint8_t *mac);
int arp_request(struct netif *nif, uint32_t ip);
/* Ask until answered or timeout_ms passed, polling meanwhile. 0 or -ETIMEDOUT. */
int arp_resolve(struct netif *nif, uint32_t ip, uint32_t timeout_ms);

/* ip.c */
void ip_input(struct netif *nif, const struct eth_hdr *eth, const uint8_t *pkt, uint32_t len);
/* The on-link address a packet to dst goes to (dst or the gateway). */
uint32_t ip_next_hop(const struct netif *nif, uint32_t dst);
/*
 * Send one datagram. Never waits: if the next hop's MAC is unknown it sends
 * an ARP request and returns -EAGAIN (the caller's retry finds it).
 */
int ip_send(struct netif *nif, uint32_t dst, uint8_t proto, const void *payload, uint32_t len);

/* icmp.c */
void icmp_input(struct netif *nif, uint32_t src, const uint8_t *pkt, uint32_t len);
int icmp_send_echo(struct netif *nif, uint32_t dst, uint16_t id, uint16_t seq, uint32_t data_len);

/* udp.c */
void udp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *pkt, uint32_t len);
int udp_send(struct netif *nif, uint32_t dst, uint16_t src_port, uint16_t dst_port,
	     const void *data, uint32_t len);
void udp_bind(struct netif *nif, uint16_t port, udp_fn fn, void *ctx);

/* dhcp.c */
struct dhcp_lease {
	uint32_t ip, mask, gw, dns, server;
};
/* DISCOVER, OFFER, REQUEST, ACK with retries; configures nif. 0 or -errno. */
int dhcp_run(struct netif *nif, struct dhcp_lease *lease);

/* tcp.c */
void tcp_input(struct netif *nif, uint32_t src, const uint8_t *seg, uint32_t len);
/* Timers and pending ACKs; net_poll() calls it. */
void tcp_poll(struct netif *nif);
int tcp_connect(struct netif *nif, uint32_t ip, uint16_t port);
/* tcp_connect() and wait up to timeout_ms for the handshake. 0 or -errno. */
int tcp_connect_wait(struct netif *nif, uint32_t ip, uint16_t port, uint32_t timeout_ms);
int tcp_listen(struct netif *nif, uint16_t port);
/* Queue up to len bytes for sending. Bytes taken (0 if the buffer is full), or -errno. */
int tcp_send(struct netif *nif, const void *data, uint32_t len);
/* Take up to size received bytes. Bytes, 0 if none yet, -errno on failure. */
int tcp_recv(struct netif *nif, void *buf, uint32_t size);
/* No more data from us: FIN once the buffer is sent. */
void tcp_close(struct netif *nif);
/* Both directions finished (or the connection failed or was never open). */
bool tcp_is_done(const struct netif *nif);
/* Peer sent FIN and we have handed out all its data. */
bool tcp_eof(const struct netif *nif);
bool tcp_is_established(const struct netif *nif);
/* Drop the connection state without telling the peer. */
void tcp_abort(struct netif *nif);

#endif
