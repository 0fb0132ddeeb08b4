// SPDX-License-Identifier: MIT
/* UDP: checksums and one bound port (the DHCP client's). */
#include "lib.h"
#include "net.h"

#define UDP_HLEN	8

struct udp_hdr {
	uint16_t src, dst, len, csum;
} __attribute__((packed));

void udp_bind(struct netif *nif, uint16_t port, udp_fn fn, void *ctx)
{
	nif->udp_port = port;
	nif->udp_handler = fn;
	nif->udp_ctx = ctx;
}

void udp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *pkt, uint32_t len)
{
	const struct udp_hdr *u = (const void *)pkt;
	uint32_t ulen;

	if (len < UDP_HLEN)
		return;
	ulen = ntohs(u->len);
	if (ulen < UDP_HLEN || ulen > len)
		return;
	/* A zero checksum means the sender computed none. */
	if (u->csum && inet_fold(inet_sum(pkt, ulen, inet_pseudo_sum(src, dst, IP_PROTO_UDP, ulen))))
		return;
	if (!nif->udp_handler || ntohs(u->dst) != nif->udp_port)
		return;
	nif->udp_handler(nif, nif->udp_ctx, src, ntohs(u->src), pkt + UDP_HLEN, ulen - UDP_HLEN);
}

int udp_send(struct netif *nif, uint32_t dst, uint16_t src_port, uint16_t dst_port,
	     const void *data, uint32_t len)
{
	uint8_t pkt[ETH_MTU - IP_HLEN];
	struct udp_hdr *u = (void *)pkt;
	uint16_t ulen = (uint16_t)(UDP_HLEN + len);

	if (len > sizeof(pkt) - UDP_HLEN)
		return -EINVAL;
	*u = (struct udp_hdr){ .src = htons(src_port), .dst = htons(dst_port), .len = htons(ulen) };
	memcpy(pkt + UDP_HLEN, data, len);
	u->csum = inet_fold(inet_sum(pkt, ulen, inet_pseudo_sum(nif->ip, dst, IP_PROTO_UDP, ulen)));
	/* 0 means "no checksum"; a computed 0 is sent as its other form. */
	if (!u->csum)
		u->csum = 0xffff;
	return ip_send(nif, dst, IP_PROTO_UDP, pkt, ulen);
}
