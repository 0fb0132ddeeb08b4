// SPDX-License-Identifier: MIT
/* ICMP echo: answer requests, send requests and note replies for ping. */
#include "lib.h"
#include "net.h"

#define ICMP_HLEN		8

void icmp_input(struct netif *nif, uint32_t src, const uint8_t *pkt, uint32_t len)
{
	uint8_t reply[ETH_MTU - IP_HLEN];
	const struct icmp_echo *e = (const void *)pkt;
	struct icmp_echo *r = (void *)reply;

	if (len < ICMP_HLEN || len > sizeof(reply) || inet_fold(inet_sum(pkt, len, 0)) != 0)
		return;
	if (e->type == ICMP_ECHO_REPLY) {
		if (ntohs(e->id) == nif->ping_id && ntohs(e->seq) == nif->ping_seq_seen)
			nif->ping_got = true;
		return;
	}
	if (e->type != ICMP_ECHO_REQUEST || !nif->ip)
		return;
	/* Same id, sequence and data back. */
	memcpy(reply, pkt, len);
	r->type = ICMP_ECHO_REPLY;
	r->csum = 0;
	r->csum = inet_fold(inet_sum(reply, len, 0));
	if (!ip_send(nif, src, IP_PROTO_ICMP, reply, len))
		nif->echo_replied++;
}

int icmp_send_echo(struct netif *nif, uint32_t dst, uint16_t id, uint16_t seq, uint32_t data_len)
{
	uint8_t pkt[ICMP_HLEN + 64];
	struct icmp_echo *e = (void *)pkt;
	uint32_t i;

	if (data_len > sizeof(pkt) - ICMP_HLEN)
		data_len = sizeof(pkt) - ICMP_HLEN;
	*e = (struct icmp_echo){ .type = ICMP_ECHO_REQUEST, .id = htons(id), .seq = htons(seq) };
	for (i = 0; i < data_len; i++)
		pkt[ICMP_HLEN + i] = (uint8_t)i;
	e->csum = inet_fold(inet_sum(pkt, ICMP_HLEN + data_len, 0));
	return ip_send(nif, dst, IP_PROTO_ICMP, pkt, ICMP_HLEN + data_len);
}
