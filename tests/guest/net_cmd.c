// SPDX-License-Identifier: MIT
/* Network commands: net, ip, dhcp, ping, respond. The stack lives here, opened once. */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "net.h"
#include "sys.h"

#define NET_MAX_NICS		8
#define PING_DEFAULT_COUNT	3
#define PING_MAX_COUNT		1000
#define PING_TIMEOUT_MS		1000
#define PING_ID			0x7e55
#define NET_ARP_TIMEOUT_MS	2000

static struct netif net_if;
static struct virtio_net_mem net_mem;
static bool net_up;

struct netif *net_stack(const char **error)
{
	const struct pci_fn *fn;

	if (net_up)
		return &net_if;
	fn = virtio_net_find(0);
	if (!fn) {
		*error = "no device";
		return NULL;
	}
	if (netif_open(&net_if, fn, &net_mem)) {
		*error = net_if.vn.vp.error ? net_if.vn.vp.error : "open failed";
		virtio_net_close(&net_if.vn);
		return NULL;
	}
	net_up = true;
	return &net_if;
}

void net_stack_release(void)
{
	if (!net_up)
		return;
	virtio_net_close(&net_if.vn);
	net_up = false;
}

static void net_print_nic(uint32_t i, const struct virtio_net *vn, bool link_up)
{
	const uint8_t *m = vn->mac;

	con_printf("net.%u.mac=%02x:%02x:%02x:%02x:%02x:%02x\n", i, m[0], m[1], m[2], m[3], m[4], m[5]);
	con_printf("net.%u.link=%s\n", i, link_up ? "up" : "down");
	con_printf("net.%u.features=0x%lx\n", i, vn->vp.features);
}

int cmd_net(const char *arg)
{
	static struct virtio_net probe;
	const struct pci_fn *fn;
	struct netif *nif;
	const char *error = NULL;
	uint32_t i, count = 0;
	bool link;

	while (count < NET_MAX_NICS && virtio_net_find(count))
		count++;
	con_printf("net.count=%u\n", count);
	if (!count)
		return -1;
	/* NIC 0 carries the stack and stays up; the others are only probed. */
	nif = net_stack(&error);
	if (!nif) {
		con_printf("net.0.error=%s\n", error);
	} else {
		net_print_nic(0, &nif->vn, virtio_net_link_up(&nif->vn));
		con_printf("net.0.queue_size=%u\n", nif->vn.rxq.size);
	}
	for (i = 1; i < count; i++) {
		fn = virtio_net_find(i);
		if (virtio_net_probe(&probe, fn, &link))
			con_printf("net.%u.error=%s\n", i, probe.vp.error);
		else
			net_print_nic(i, &probe, link);
	}
	return nif ? 0 : -1;
}

/* "a.b.c.d/len[:gw]" */
int cmd_ip(const char *arg)
{
	const char *error = NULL, *p = arg;
	uint32_t ip, len, gw = 0;
	struct netif *nif;
	char b[16];

	if (ip_parse(&p, &ip) || *p++ != '/' || net_parse_u32(&p, &len) || !len || len > 32 ||
	    (*p == ':' && (p++, ip_parse(&p, &gw))) || *p) {
		con_printf("ip.ok=0\nip.error=want a.b.c.d/len[:gateway], got '%s'\n", arg);
		return -1;
	}
	nif = net_stack(&error);
	if (!nif) {
		con_printf("ip.ok=0\nip.error=%s\n", error);
		return -1;
	}
	nif->ip = ip;
	nif->mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	nif->gw = gw;
	memset(nif->arp, 0, sizeof(nif->arp));
	con_printf("ip.addr=%s/%u\n", ip_str(ip, b), len);
	if (gw)
		con_printf("ip.gw=%s\n", ip_str(gw, b));
	con_printf("ip.ok=1\n");
	return 0;
}

int cmd_dhcp(const char *arg)
{
	struct dhcp_lease lease;
	const char *error = NULL;
	struct netif *nif;
	char b[16];
	int ret;

	nif = net_stack(&error);
	if (!nif) {
		con_printf("dhcp.ok=0\ndhcp.error=%s\n", error);
		return -1;
	}
	ret = dhcp_run(nif, &lease);
	if (ret) {
		con_printf("dhcp.ok=0\ndhcp.error=%s\n",
			   ret == -ECONNREFUSED ? "NAK" : "no answer");
		return -1;
	}
	con_printf("dhcp.ip=%s\n", ip_str(nif->ip, b));
	con_printf("dhcp.mask=%s\n", ip_str(nif->mask, b));
	con_printf("dhcp.gw=%s\n", ip_str(nif->gw, b));
	con_printf("dhcp.dns=%s\n", ip_str(nif->dns, b));
	con_printf("dhcp.server=%s\n", ip_str(lease.server, b));
	/* Warm the ARP cache: the first ping or SYN then goes out at once. */
	if (nif->gw)
		arp_resolve(nif, nif->gw, NET_ARP_TIMEOUT_MS);
	con_printf("dhcp.ok=1\n");
	return 0;
}

/* The stack with an address, or NULL after printing <cmd>.ok=0 and the reason. */
static struct netif *net_stack_configured(const char *cmd)
{
	const char *error = NULL;
	struct netif *nif = net_stack(&error);

	if (nif && !nif->ip)
		error = "no address (run ip: or dhcp first)";
	if (error) {
		con_printf("%s.ok=0\n%s.error=%s\n", cmd, cmd, error);
		return NULL;
	}
	return nif;
}

/* One echo request; true if its reply came within the timeout. */
static bool ping_once(struct netif *nif, uint32_t dst, uint16_t seq, uint64_t *rtt_us)
{
	uint64_t start = net_now_us(), end = net_now_ms() + PING_TIMEOUT_MS;

	nif->ping_id = PING_ID;
	nif->ping_seq_seen = seq;
	nif->ping_got = false;
	if (icmp_send_echo(nif, dst, PING_ID, seq, 56))
		return false;
	while (!nif->ping_got && net_now_ms() < end)
		net_poll(nif, 10);
	if (nif->ping_got)
		*rtt_us += net_now_us() - start;
	return nif->ping_got;
}

/* "a.b.c.d[:count]" */
int cmd_ping(const char *arg)
{
	uint32_t dst, count = PING_DEFAULT_COUNT, sent, received = 0;
	uint64_t rtt_us = 0;
	const char *p = arg;
	struct netif *nif;

	if (ip_parse(&p, &dst) || (*p == ':' && (p++, net_parse_u32(&p, &count))) || *p ||
	    !count || count > PING_MAX_COUNT) {
		con_printf("ping.ok=0\nping.error=want a.b.c.d[:count], got '%s'\n", arg);
		return -1;
	}
	nif = net_stack_configured("ping");
	if (!nif)
		return -1;
	if (arp_resolve(nif, ip_next_hop(nif, dst), NET_ARP_TIMEOUT_MS)) {
		con_printf("ping.sent=0\nping.received=0\nping.ok=0\nping.error=no ARP reply\n");
		return -1;
	}
	for (sent = 0; sent < count; sent++)
		received += ping_once(nif, dst, (uint16_t)(sent + 1), &rtt_us);
	con_printf("ping.sent=%u\nping.received=%u\n", sent, received);
	con_printf("ping.avg_us=%lu\n", received ? rtt_us / received : 0);
	con_printf("ping.ok=%u\n", received == sent ? 1 : 0);
	return received == sent ? 0 : -1;
}

/* "seconds": answer ARP and echo requests for that long. */
int cmd_respond(const char *arg)
{
	uint32_t secs, arps0, echo0;
	const char *p = arg;
	struct netif *nif;
	uint64_t end;

	if (net_parse_u32(&p, &secs) || *p || secs > 3600) {
		con_printf("respond.ok=0\nrespond.error=want seconds, got '%s'\n", arg);
		return -1;
	}
	nif = net_stack_configured("respond");
	if (!nif)
		return -1;
	arps0 = nif->arp_replied;
	echo0 = nif->echo_replied;
	end = net_now_ms() + secs * 1000ull;
	while (net_now_ms() < end)
		net_poll(nif, 10);
	con_printf("respond.arp_replies=%u\n", nif->arp_replied - arps0);
	con_printf("respond.echo_replies=%u\n", nif->echo_replied - echo0);
	con_printf("respond.ok=1\n");
	return 0;
}

/* "percent": drop that share of frames both ways from now on (tests TCP retransmission). */
int cmd_netloss(const char *arg)
{
	const char *p = arg, *error = NULL;
	struct netif *nif;
	uint32_t pct;

	if (net_parse_u32(&p, &pct) || *p || pct > 100) {
		con_printf("netloss.ok=0\nnetloss.error=want a percentage, got '%s'\n", arg);
		return -1;
	}
	nif = net_stack(&error);
	if (!nif) {
		con_printf("netloss.ok=0\nnetloss.error=%s\n", error);
		return -1;
	}
	con_printf("netloss.dropped=%u\n", nif->lost);
	nif->loss_pct = pct;
	nif->loss_state = (uint32_t)rdtsc();
	nif->lost = 0;
	con_printf("netloss.pct=%u\nnetloss.ok=1\n", pct);
	return 0;
}

/*
 * netmac: NIC 0's MAC as config space says now (the stack adopts it), and
 * whether the device signalled a config change since the last look (ISR
 * bit 1, which the read clears): a restored clone with a new MAC.
 */
int cmd_netmac(const char *arg)
{
	const char *error = NULL;
	struct netif *nif = net_stack(&error);
	uint8_t isr, *m;

	if (!nif) {
		con_printf("netmac.error=%s\n", error);
		return -1;
	}
	isr = *(volatile uint8_t *)(uintptr_t)nif->vn.vp.isr_gpa;
	m = nif->vn.mac;
	if (nif->vn.vp.features & VIRTIO_NET_F_MAC)
		for (int i = 0; i < 6; i++)
			m[i] = virtio_pci_config_read8(&nif->vn.vp, i);
	con_printf("netmac=%02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3], m[4], m[5]);
	con_printf("netmac.config_changed=%u\n", (isr >> 1) & 1);
	return 0;
}
