// SPDX-License-Identifier: MIT
/* IPv4 without options on send and without fragments: check, dispatch, route, send. */
#include "lib.h"
#include "net.h"

#define IP_TTL		64
#define IP_FRAG_MF	0x2000
#define IP_FRAG_OFFSET	0x1fff

static bool ip_is_for_us(const struct netif *nif, uint32_t dst)
{
	/* Unconfigured (DHCP in progress): take everything, the client checks. */
	if (!nif->ip || dst == nif->ip || dst == IP_BROADCAST)
		return true;
	return nif->mask && dst == (nif->ip | ~nif->mask);
}

void ip_input(struct netif *nif, const struct eth_hdr *eth, const uint8_t *pkt, uint32_t len)
{
	const struct ip_hdr *ip = (const void *)pkt;
	uint32_t hlen, total, src, dst;

	if (len < IP_HLEN || (ip->ver_ihl >> 4) != 4)
		return;
	hlen = (ip->ver_ihl & 0xf) * 4u;
	total = ntohs(ip->len);
	if (hlen < IP_HLEN || total < hlen || total > len)
		return;
	if (inet_fold(inet_sum(pkt, hlen, 0)) != 0)
		return;
	/* No reassembly: drop every piece of a fragmented datagram. */
	if (ntohs(ip->frag) & (IP_FRAG_MF | IP_FRAG_OFFSET))
		return;
	src = ntohl(ip->src);
	dst = ntohl(ip->dst);
	if (!ip_is_for_us(nif, dst))
		return;
	/* An on-link sender's MAC is the one to answer to; saves an ARP round trip. */
	if (nif->ip && nif->mask && (src & nif->mask) == (nif->ip & nif->mask))
		arp_learn(nif, src, eth->src);
	switch (ip->proto) {
	case IP_PROTO_ICMP:
		icmp_input(nif, src, pkt + hlen, total - hlen);
		break;
	case IP_PROTO_UDP:
		udp_input(nif, src, dst, pkt + hlen, total - hlen);
		break;
	case IP_PROTO_TCP:
		tcp_input(nif, src, pkt + hlen, total - hlen);
		break;
	default:
		break;
	}
}

uint32_t ip_next_hop(const struct netif *nif, uint32_t dst)
{
	if (dst == IP_BROADCAST || !nif->mask || !nif->gw)
		return dst;
	if ((dst & nif->mask) == (nif->ip & nif->mask))
		return dst;
	return nif->gw;
}

int ip_send(struct netif *nif, uint32_t dst, uint8_t proto, const void *payload, uint32_t len)
{
	uint8_t pkt[ETH_MTU];
	struct ip_hdr *ip = (void *)pkt;
	uint8_t mac[ETH_ALEN];
	uint32_t hop = ip_next_hop(nif, dst);

	if (len > ETH_MTU - IP_HLEN)
		return -EINVAL;
	if (!arp_lookup(nif, hop, mac)) {
		arp_request(nif, hop);
		return -EAGAIN;
	}
	*ip = (struct ip_hdr){
		.ver_ihl = 0x45, .len = htons((uint16_t)(IP_HLEN + len)), .id = htons(nif->ip_id++),
		.ttl = IP_TTL, .proto = proto, .src = htonl(nif->ip), .dst = htonl(dst),
	};
	ip->csum = inet_fold(inet_sum(ip, IP_HLEN, 0));
	memcpy(pkt + IP_HLEN, payload, len);
	return eth_send(nif, mac, ETH_P_IP, pkt, IP_HLEN + len) ? -EAGAIN : 0;
}
