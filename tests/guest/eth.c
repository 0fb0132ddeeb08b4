// SPDX-License-Identifier: MIT
/* Ethernet II framing: accept frames for our MAC or broadcast, dispatch by type. */
#include "lib.h"
#include "net.h"

const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct netif *nif, const uint8_t *frame, uint32_t len)
{
	const struct eth_hdr *eth = (const void *)frame;

	if (len < ETH_HLEN)
		return;
	if (memcmp(eth->dst, nif->vn.mac, ETH_ALEN) && memcmp(eth->dst, eth_broadcast, ETH_ALEN))
		return;
	switch (ntohs(eth->type)) {
	case ETH_P_ARP:
		arp_input(nif, frame + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_P_IP:
		ip_input(nif, eth, frame + ETH_HLEN, len - ETH_HLEN);
		break;
	default:
		break;
	}
}

int eth_send(struct netif *nif, const uint8_t *dst, uint16_t type, const void *payload, uint32_t len)
{
	uint8_t frame[ETH_HLEN + ETH_MTU];
	struct eth_hdr *eth = (void *)frame;
	uint32_t total = ETH_HLEN + len;

	if (len > ETH_MTU)
		return -1;
	if (net_drop(nif))
		return 0;	/* "sent", lost on the wire */
	memcpy(eth->dst, dst, ETH_ALEN);
	memcpy(eth->src, nif->vn.mac, ETH_ALEN);
	eth->type = htons(type);
	memcpy(frame + ETH_HLEN, payload, len);
	/* Pad to the 60-byte minimum; a device need not do it for us. */
	if (total < 60) {
		memset(frame + total, 0, 60 - total);
		total = 60;
	}
	return virtio_net_send(&nif->vn, frame, total);
}
