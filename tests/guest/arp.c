// SPDX-License-Identifier: MIT
/* ARP for IPv4 over Ethernet: answer for our address, a small cache, resolving. */
#include "lib.h"
#include "net.h"

#define ARP_RETRY_MS	300

bool arp_lookup(const struct netif *nif, uint32_t ip, uint8_t *mac)
{
	uint32_t i;

	if (ip == IP_BROADCAST || (nif->mask && ip == (nif->ip | ~nif->mask))) {
		memcpy(mac, eth_broadcast, ETH_ALEN);
		return true;
	}
	for (i = 0; i < ARP_CACHE_SIZE; i++) {
		if (nif->arp[i].ip == ip) {
			memcpy(mac, nif->arp[i].mac, ETH_ALEN);
			return true;
		}
	}
	return false;
}

void arp_learn(struct netif *nif, uint32_t ip, const uint8_t *mac)
{
	struct arp_entry *e = NULL;
	uint32_t i;

	if (!ip || ip == IP_BROADCAST)
		return;
	for (i = 0; i < ARP_CACHE_SIZE && !e; i++)
		if (nif->arp[i].ip == ip)
			e = &nif->arp[i];
	if (!e)
		e = &nif->arp[nif->arp_next++ % ARP_CACHE_SIZE];
	e->ip = ip;
	memcpy(e->mac, mac, ETH_ALEN);
}

static int arp_send(struct netif *nif, uint16_t op, const uint8_t *eth_dst,
		    const uint8_t *tha, uint32_t tpa)
{
	struct arp_pkt a = {
		.htype = htons(1), .ptype = htons(ETH_P_IP), .hlen = ETH_ALEN, .plen = 4,
		.op = htons(op), .spa = htonl(nif->ip), .tpa = htonl(tpa),
	};

	memcpy(a.sha, nif->vn.mac, ETH_ALEN);
	memcpy(a.tha, tha, ETH_ALEN);
	return eth_send(nif, eth_dst, ETH_P_ARP, &a, sizeof(a));
}

int arp_request(struct netif *nif, uint32_t ip)
{
	static const uint8_t zero[ETH_ALEN];

	return arp_send(nif, ARP_REQUEST, eth_broadcast, zero, ip);
}

void arp_input(struct netif *nif, const uint8_t *pkt, uint32_t len)
{
	const struct arp_pkt *a = (const void *)pkt;
	uint32_t spa, tpa;

	if (len < sizeof(*a) || ntohs(a->htype) != 1 || ntohs(a->ptype) != ETH_P_IP ||
	    a->hlen != ETH_ALEN || a->plen != 4)
		return;
	spa = ntohl(a->spa);
	tpa = ntohl(a->tpa);
	if (!nif->ip || tpa != nif->ip)
		return;
	/* Whoever asks for us is about to talk to us: remember them (RFC 826). */
	arp_learn(nif, spa, a->sha);
	if (ntohs(a->op) == ARP_REQUEST && !arp_send(nif, ARP_REPLY, a->sha, a->sha, spa))
		nif->arp_replied++;
}

int arp_resolve(struct netif *nif, uint32_t ip, uint32_t timeout_ms)
{
	uint64_t end = net_now_ms() + timeout_ms, next = 0, now;
	uint8_t mac[ETH_ALEN];

	for (;;) {
		if (arp_lookup(nif, ip, mac))
			return 0;
		now = net_now_ms();
		if (now >= end)
			return -ETIMEDOUT;
		if (now >= next) {
			arp_request(nif, ip);
			next = now + ARP_RETRY_MS;
		}
		net_poll(nif, 10);
	}
}
