// SPDX-License-Identifier: MIT
/* DHCP client (RFC 2131): DISCOVER, OFFER, REQUEST, ACK; no renewal. */
#include "lib.h"
#include "net.h"
#include "sys.h"

#define DHCP_CLIENT_PORT	68
#define DHCP_SERVER_PORT	67
#define DHCP_MAGIC		0x63825363u
#define DHCP_FLAG_BROADCAST	0x8000
#define DHCP_TRIES		4
#define DHCP_TIMEOUT_MS		1000

#define DHCP_DISCOVER	1
#define DHCP_OFFER	2
#define DHCP_REQUEST	3
#define DHCP_ACK	5
#define DHCP_NAK	6

#define OPT_PAD		0
#define OPT_MASK	1
#define OPT_ROUTER	3
#define OPT_DNS		6
#define OPT_REQ_IP	50
#define OPT_MSG_TYPE	53
#define OPT_SERVER_ID	54
#define OPT_PARAMS	55
#define OPT_END		255

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
	uint32_t magic;
	uint8_t options[64];
} __attribute__((packed));

#define DHCP_FIXED_LEN	(sizeof(struct dhcp_msg) - 64)

struct dhcp_client {
	uint32_t xid;
	uint8_t want;		/* message type we wait for: OFFER, then ACK */
	bool got, nak;
	struct dhcp_lease offer;
};

static uint32_t dhcp_opt_ip(const uint8_t *v, uint8_t len)
{
	return len >= 4 ? (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3] : 0;
}

static void dhcp_input(struct netif *nif, void *ctx, uint32_t src_ip, uint16_t src_port,
		       const uint8_t *data, uint32_t len)
{
	const struct dhcp_msg *m = (const void *)data;
	const uint8_t *opts = data + DHCP_FIXED_LEN;	/* may be longer than our 64 */
	struct dhcp_client *c = ctx;
	struct dhcp_lease l = { 0 };
	uint32_t i = 0, olen;
	uint8_t type = 0;

	if (len < DHCP_FIXED_LEN || m->op != 2 || ntohl(m->xid) != c->xid ||
	    ntohl(m->magic) != DHCP_MAGIC || memcmp(m->chaddr, nif->vn.mac, ETH_ALEN))
		return;
	olen = len - DHCP_FIXED_LEN;
	while (i < olen && opts[i] != OPT_END) {
		const uint8_t *o = &opts[i];

		if (o[0] == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > olen || i + 2 + o[1] > olen)
			break;
		switch (o[0]) {
		case OPT_MSG_TYPE:
			type = o[1] ? o[2] : 0;
			break;
		case OPT_MASK:
			l.mask = dhcp_opt_ip(o + 2, o[1]);
			break;
		case OPT_ROUTER:
			l.gw = dhcp_opt_ip(o + 2, o[1]);
			break;
		case OPT_DNS:
			l.dns = dhcp_opt_ip(o + 2, o[1]);
			break;
		case OPT_SERVER_ID:
			l.server = dhcp_opt_ip(o + 2, o[1]);
			break;
		}
		i += 2 + o[1];
	}
	if (type == DHCP_NAK && c->want == DHCP_ACK) {
		c->nak = true;
		return;
	}
	if (type != c->want || c->got)
		return;
	l.ip = ntohl(m->yiaddr);
	if (!l.server)
		l.server = src_ip;
	c->offer = l;
	c->got = true;
}

/* Options area: 53 type, 55 parameters, and for REQUEST 50 and 54. */
static int dhcp_send(struct netif *nif, struct dhcp_client *c, uint8_t type)
{
	struct dhcp_msg m;
	uint8_t *o = m.options;

	memset(&m, 0, sizeof(m));
	m.op = 1;
	m.htype = 1;
	m.hlen = ETH_ALEN;
	m.xid = htonl(c->xid);
	/* Ask for broadcast replies: we can't take unicast before we have the address. */
	m.flags = htons(DHCP_FLAG_BROADCAST);
	memcpy(m.chaddr, nif->vn.mac, ETH_ALEN);
	m.magic = htonl(DHCP_MAGIC);
	*o++ = OPT_MSG_TYPE; *o++ = 1; *o++ = type;
	*o++ = OPT_PARAMS; *o++ = 3; *o++ = OPT_MASK; *o++ = OPT_ROUTER; *o++ = OPT_DNS;
	if (type == DHCP_REQUEST) {
		uint32_t ip = htonl(c->offer.ip), server = htonl(c->offer.server);

		*o++ = OPT_REQ_IP; *o++ = 4; memcpy(o, &ip, 4); o += 4;
		*o++ = OPT_SERVER_ID; *o++ = 4; memcpy(o, &server, 4); o += 4;
	}
	*o++ = OPT_END;
	return udp_send(nif, IP_BROADCAST, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, &m,
			(uint32_t)(o - (uint8_t *)&m));
}

/* Send type, wait for the answer c->want; resend on timeout. 0 or -errno. */
static int dhcp_exchange(struct netif *nif, struct dhcp_client *c, uint8_t type, uint8_t want)
{
	uint32_t try;
	uint64_t end;

	c->want = want;
	c->got = c->nak = false;
	for (try = 0; try < DHCP_TRIES; try++) {
		dhcp_send(nif, c, type);
		end = net_now_ms() + DHCP_TIMEOUT_MS;
		while (!c->got && !c->nak && net_now_ms() < end)
			net_poll(nif, 10);
		if (c->nak)
			return -ECONNREFUSED;
		if (c->got)
			return 0;
	}
	return -ETIMEDOUT;
}

int dhcp_run(struct netif *nif, struct dhcp_lease *lease)
{
	struct dhcp_client c = { .xid = (uint32_t)rdtsc() ^ 0x5e55e100u };
	int ret;

	nif->ip = nif->mask = nif->gw = nif->dns = 0;
	udp_bind(nif, DHCP_CLIENT_PORT, dhcp_input, &c);
	ret = dhcp_exchange(nif, &c, DHCP_DISCOVER, DHCP_OFFER);
	if (!ret)
		ret = dhcp_exchange(nif, &c, DHCP_REQUEST, DHCP_ACK);
	udp_bind(nif, 0, NULL, NULL);
	if (ret)
		return ret;
	*lease = c.offer;
	nif->ip = lease->ip;
	nif->mask = lease->mask ? lease->mask : IP(255, 255, 255, 0);
	nif->gw = lease->gw;
	nif->dns = lease->dns;
	return 0;
}
