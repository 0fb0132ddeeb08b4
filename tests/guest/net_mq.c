// SPDX-License-Identifier: MIT
/*
 * netmq:<guest ip>:<host ip>:<pairs>[:<frames>[:<hold s>]]: multiqueue virtio-net
 * (VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_VQ) on NIC 0, with a driver of its own
 * (the stack lets go of the NIC first; a later network command reopens it).
 * It negotiates MQ, sets up every queue pair the device offers (receive
 * queue of pair i on MSI-X entry i) and the control queue, then
 *  - misbehaves: VQ_PAIRS_SET 0 and max + 1, which must be refused;
 *  - sets <pairs> pairs through the control queue;
 *  - pair by pair, sends <frames> ICMP echo requests to the host on pair i's
 *    transmit queue (id 0x6d00 + i), with only MSI-X entry i on the counted
 *    vector, and waits for every reply on whatever receive queue it comes;
 *  - with hold > 0: keeps the pairs for that many seconds (answering ARP;
 *    a snapshot taken now must restore them), then pings over every pair
 *    again;
 *  - goes back to one pair and pings on pair 0 once more: now every frame
 *    must arrive on receive queue 0.
 * Frames on the receive queue of a pair not in use are counted as errors.
 */
#include "apic.h"
#include "cmd.h"
#include "con.h"
#include "guest.h"
#include "lib.h"
#include "net.h"
#include "pci.h"
#include "sys.h"
#include "virtio_net.h"

#define NMQ_MAX_PAIRS		8
#define NMQ_QSIZE		16	/* entries per queue we use */
#define NMQ_RX_BUF		2048
#define NMQ_TX_BUF		128
#define NMQ_FRAMES_DEFAULT	4
#define NMQ_FRAMES_MAX		16
#define NMQ_PING_DATA		56
#define NMQ_ID_BASE		0x6d00	/* pair i pings with id 0x6d00 + i */
#define NMQ_ID_AFTER		0x6dff	/* the pings after going back to one pair */
#define NMQ_WAIT_MS		3000
#define NMQ_ARP_RETRY_MS	200
#define VEC_IGNORED		0x50	/* an uncounted vector: just EOI'd */

#define VIRTIO_NET_F_CTRL_VQ	(1ULL << 17)
#define VIRTIO_NET_F_MQ		(1ULL << 22)
#define VNET_CFG_MAX_PAIRS	8	/* struct virtio_net_config.max_virtqueue_pairs */
#define VIRTIO_NET_CTRL_MQ	4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET	0
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

/* A control request: class, command, the pair count (device-readable), the ack (writable). */
struct nmq_ctrl_req {
	uint8_t class, cmd;
	uint16_t pairs;
	uint8_t ack;
} __attribute__((packed));

struct nmq_pair {
	struct virtq rx, tx;
	uint16_t rx_slot[VIRTQ_MAX];	/* buffer of each posted rx head */
	uint16_t tx_slot[VIRTQ_MAX];
	uint32_t tx_busy;		/* bit per tx buffer */
	uint32_t rx_frames, tx_frames, irqs;
	uint32_t replies, same;		/* echo replies to this pair's requests; those on its own rx queue */
	uint32_t again;			/* replies in the round after the hold */
	uint64_t seen;			/* bit per sequence number answered */
	bool own_vector;
};

struct nmq {
	struct virtio_pci vp;
	struct virtq ctrl;
	uint16_t max_pairs, pairs;
	uint32_t ip, host_ip;
	uint8_t mac[ETH_ALEN];
	uint8_t host_mac[ETH_ALEN];
	bool host_mac_known;
	uint32_t arp_replies;
	uint16_t ip_id;
	uint32_t after_replies;		/* replies to NMQ_ID_AFTER */
	struct nmq_pair p[NMQ_MAX_PAIRS];
};

/* Rings and buffers: not zeroed, not in the image; set up before use. */
static struct virtq_mem nmq_mem[2 * NMQ_MAX_PAIRS + 1] __attribute__((section(".noinit"), aligned(4096)));
static uint8_t nmq_rx_buf[NMQ_MAX_PAIRS][NMQ_QSIZE][NMQ_RX_BUF] __attribute__((section(".noinit")));
static uint8_t nmq_tx_buf[NMQ_MAX_PAIRS][NMQ_QSIZE][NMQ_TX_BUF] __attribute__((section(".noinit")));
static struct nmq_ctrl_req nmq_ctrl_req __attribute__((section(".noinit")));
static struct nmq nmq;

static uint32_t nmq_vec_count(void)
{
	return irq_counts[VEC_VIRTIO_NET - VEC_COUNTED_BASE];
}

/* MSI-X entry e -> the counted vector if e == only, else an ignored one. */
static void nmq_route(struct nmq *m, int only)
{
	for (uint16_t e = 0; e < m->max_pairs; e++)
		pci_msix_enable(m->vp.fn, e, e == only ? VEC_VIRTIO_NET : VEC_IGNORED, lapic_id());
}

static void nmq_post_rx(struct nmq_pair *p, uint16_t pair, uint16_t slot)
{
	struct virtq_buf b = { (uintptr_t)nmq_rx_buf[pair][slot], NMQ_RX_BUF, true };
	int head = virtq_add(&p->rx, &b, 1);

	if (head >= 0)
		p->rx_slot[head] = slot;
}

/* Queue one frame on pair i's transmit queue. 0 or -1 (no free buffer). */
static int nmq_send(struct nmq *m, uint16_t i, const void *frame, uint32_t len)
{
	struct nmq_pair *p = &m->p[i];
	struct virtq_buf b;
	uint8_t *buf;
	int slot = -1, head;

	while (virtq_has_used(&p->tx)) {
		head = virtq_get_used(&p->tx, NULL);
		if (head >= 0)
			p->tx_busy &= ~(1u << p->tx_slot[head]);
	}
	for (uint16_t s = 0; s < p->tx.size && slot < 0; s++)
		if (!(p->tx_busy & (1u << s)))
			slot = s;
	if (slot < 0 || len > NMQ_TX_BUF - VIRTIO_NET_HDR_LEN)
		return -1;
	buf = nmq_tx_buf[i][slot];
	memset(buf, 0, VIRTIO_NET_HDR_LEN);
	memcpy(buf + VIRTIO_NET_HDR_LEN, frame, len);
	b = (struct virtq_buf){ (uintptr_t)buf, VIRTIO_NET_HDR_LEN + len, false };
	head = virtq_add(&p->tx, &b, 1);
	if (head < 0)
		return -1;
	p->tx_slot[head] = (uint16_t)slot;
	p->tx_busy |= 1u << slot;
	p->tx_frames++;
	virtq_kick(&p->tx);
	return 0;
}

static void nmq_eth(uint8_t *frame, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	struct eth_hdr *e = (void *)frame;

	memcpy(e->dst, dst, ETH_ALEN);
	memcpy(e->src, src, ETH_ALEN);
	e->type = htons(type);
}

static int nmq_send_arp(struct nmq *m, uint16_t pair, uint16_t op, const uint8_t *dst, uint32_t tpa)
{
	static const uint8_t zero[ETH_ALEN];
	uint8_t frame[ETH_HLEN + sizeof(struct arp_pkt)];
	struct arp_pkt *a = (void *)(frame + ETH_HLEN);

	nmq_eth(frame, op == ARP_REQUEST ? eth_broadcast : dst, m->mac, ETH_P_ARP);
	*a = (struct arp_pkt){
		.htype = htons(1), .ptype = htons(ETH_P_IP), .hlen = ETH_ALEN, .plen = 4,
		.op = htons(op), .spa = htonl(m->ip), .tpa = htonl(tpa),
	};
	memcpy(a->sha, m->mac, ETH_ALEN);
	memcpy(a->tha, op == ARP_REQUEST ? zero : dst, ETH_ALEN);
	return nmq_send(m, pair, frame, sizeof(frame));
}

static int nmq_send_ping(struct nmq *m, uint16_t pair, uint16_t id, uint16_t seq)
{
	uint8_t frame[ETH_HLEN + IP_HLEN + sizeof(struct icmp_echo) + NMQ_PING_DATA];
	struct ip_hdr *ip = (void *)(frame + ETH_HLEN);
	struct icmp_echo *e = (void *)(frame + ETH_HLEN + IP_HLEN);
	uint8_t *data = (uint8_t *)(e + 1);

	nmq_eth(frame, m->host_mac, m->mac, ETH_P_IP);
	*ip = (struct ip_hdr){
		.ver_ihl = 0x45, .len = htons(IP_HLEN + sizeof(*e) + NMQ_PING_DATA), .id = htons(m->ip_id++),
		.ttl = 64, .proto = IP_PROTO_ICMP, .src = htonl(m->ip), .dst = htonl(m->host_ip),
	};
	ip->csum = inet_fold(inet_sum(ip, IP_HLEN, 0));
	*e = (struct icmp_echo){ .type = ICMP_ECHO_REQUEST, .id = htons(id), .seq = htons(seq) };
	for (uint32_t i = 0; i < NMQ_PING_DATA; i++)
		data[i] = (uint8_t)(pair + i);
	e->csum = inet_fold(inet_sum(e, sizeof(*e) + NMQ_PING_DATA, 0));
	return nmq_send(m, pair, frame, sizeof(frame));
}

/* One frame that came on pair `on`'s receive queue. */
static void nmq_input(struct nmq *m, uint16_t on, const uint8_t *frame, uint32_t len)
{
	const struct eth_hdr *eth = (const void *)frame;
	const struct ip_hdr *ip = (const void *)(frame + ETH_HLEN);
	const struct icmp_echo *e;
	uint32_t hlen;
	uint16_t id, seq;

	if (len < ETH_HLEN)
		return;
	if (ntohs(eth->type) == ETH_P_ARP && len >= ETH_HLEN + sizeof(struct arp_pkt)) {
		const struct arp_pkt *a = (const void *)(frame + ETH_HLEN);

		if (ntohl(a->spa) == m->host_ip && ntohs(a->op) == ARP_REPLY) {
			memcpy(m->host_mac, a->sha, ETH_ALEN);
			m->host_mac_known = true;
			m->arp_replies++;
		}
		/* The host checks its neighbour entry now and then: answer on a pair in use. */
		if (ntohs(a->op) == ARP_REQUEST && ntohl(a->tpa) == m->ip)
			nmq_send_arp(m, on < m->pairs ? on : 0, ARP_REPLY, a->sha, ntohl(a->spa));
		return;
	}
	if (ntohs(eth->type) != ETH_P_IP || len < ETH_HLEN + IP_HLEN || ip->proto != IP_PROTO_ICMP ||
	    ntohl(ip->src) != m->host_ip || ntohl(ip->dst) != m->ip)
		return;
	hlen = (ip->ver_ihl & 0xf) * 4u;
	if (len < ETH_HLEN + hlen + sizeof(*e))
		return;
	e = (const void *)(frame + ETH_HLEN + hlen);
	if (e->type != ICMP_ECHO_REPLY)
		return;
	id = ntohs(e->id);
	seq = ntohs(e->seq);
	if (id == NMQ_ID_AFTER) {
		m->after_replies++;
		return;
	}
	if (id < NMQ_ID_BASE || id >= NMQ_ID_BASE + m->max_pairs || seq < 1 || seq > 2 * NMQ_FRAMES_MAX)
		return;
	struct nmq_pair *p = &m->p[id - NMQ_ID_BASE];

	if (p->seen & (1ull << seq))
		return;
	p->seen |= 1ull << seq;
	p->replies++;
	if (on == id - NMQ_ID_BASE)
		p->same++;
}

/* Take every received frame on every receive queue, count it where it came, repost. */
static void nmq_poll(struct nmq *m)
{
	for (uint16_t i = 0; i < m->max_pairs; i++) {
		struct nmq_pair *p = &m->p[i];
		bool got = false;
		uint32_t len;
		int head;

		while (virtq_has_used(&p->rx)) {
			head = virtq_get_used(&p->rx, &len);
			if (head < 0)
				continue;
			uint16_t slot = p->rx_slot[head];

			p->rx_frames++;
			if (len > VIRTIO_NET_HDR_LEN && len <= NMQ_RX_BUF)
				nmq_input(m, i, nmq_rx_buf[i][slot] + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN);
			nmq_post_rx(p, i, slot);
			got = true;
		}
		if (got)
			virtq_kick(&p->rx);
	}
}

/* Sleep up to 10 ms or until an interrupt. */
static void nmq_nap(void)
{
	uint32_t timer0 = irq_counts[VEC_TIMER - VEC_COUNTED_BASE];

	lapic_timer_oneshot(VEC_TIMER, 10000000u);
	sys_wait();
	if (irq_counts[VEC_TIMER - VEC_COUNTED_BASE] == timer0)
		lapic_timer_oneshot(VEC_TIMER, 0);
}

/* Poll until *count reaches want or ms pass. */
static bool nmq_wait_count(struct nmq *m, const uint32_t *count, uint32_t want, uint32_t ms)
{
	uint64_t end = net_now_ms() + ms;

	for (;;) {
		nmq_poll(m);
		if (*count >= want)
			return true;
		if (net_now_ms() > end)
			return false;
		nmq_nap();
	}
}

/* VQ_PAIRS_SET n: the ack byte (0 OK, 1 ERR), or -1 if the device never answered. */
static int nmq_set_pairs(struct nmq *m, uint16_t n)
{
	struct nmq_ctrl_req *r = &nmq_ctrl_req;
	struct virtq_buf b[3] = {
		{ (uintptr_t)&r->class, 2, false },
		{ (uintptr_t)&r->pairs, 2, false },
		{ (uintptr_t)&r->ack, 1, true },
	};
	uint64_t end;

	*r = (struct nmq_ctrl_req){ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, n, 0xff };
	if (virtq_add(&m->ctrl, b, 3) < 0)
		return -1;
	virtq_kick(&m->ctrl);
	end = net_now_ms() + 1000;
	while (!virtq_has_used(&m->ctrl)) {
		if (net_now_ms() > end)
			return -1;
		nmq_nap();
	}
	virtq_get_used(&m->ctrl, NULL);
	return r->ack == 0xff ? -1 : r->ack;
}

static void nmq_print_ack(const char *key, int ack)
{
	if (ack < 0)
		con_printf("netmq.%s=timeout\n", key);
	else
		con_printf("netmq.%s=%s\n", key, ack == 0 ? "ok" : ack == 1 ? "err" : "other");
}

/* Negotiate MQ, one MSI-X entry per receive queue, every queue, DRIVER_OK. 0 or -1. */
static int nmq_open(struct nmq *m)
{
	const struct pci_fn *fn = virtio_net_find(0);
	uint16_t q;

	if (!fn) {
		m->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&m->vp, fn) ||
	    virtio_pci_negotiate(&m->vp, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MQ |
				 VIRTIO_NET_F_CTRL_VQ))
		return -1;
	m->max_pairs = 1;
	if ((m->vp.features & (VIRTIO_NET_F_MQ | VIRTIO_NET_F_CTRL_VQ)) == (VIRTIO_NET_F_MQ | VIRTIO_NET_F_CTRL_VQ))
		m->max_pairs = virtio_pci_config_read16(&m->vp, VNET_CFG_MAX_PAIRS);
	con_printf("netmq.mq=%u\n", !!(m->vp.features & VIRTIO_NET_F_MQ));
	con_printf("netmq.max_pairs=%u\n", m->max_pairs);
	if (!m->max_pairs || m->max_pairs > NMQ_MAX_PAIRS) {
		m->vp.error = "max_virtqueue_pairs out of range";
		return -1;
	}
	for (q = 0; q < 6; q++)
		m->mac[q] = virtio_pci_config_read8(&m->vp, q);
	if (virtio_pci_setup_msix(&m->vp, VEC_IGNORED))
		return -1;
	for (uint16_t i = 0; i < m->max_pairs; i++) {
		struct nmq_pair *p = &m->p[i];

		memset(p, 0, sizeof(*p));
		if (virtio_pci_setup_queue(&m->vp, &p->rx, &nmq_mem[2 * i], 2 * i, NMQ_QSIZE) ||
		    virtio_pci_setup_queue(&m->vp, &p->tx, &nmq_mem[2 * i + 1], 2 * i + 1, NMQ_QSIZE))
			return -1;
		p->own_vector = !virtio_pci_set_queue_vector(&m->vp, 2 * i, i);
		p->rx.irq_count = NULL;
		virtio_pci_set_queue_vector(&m->vp, 2 * i + 1, VIRTIO_MSI_NO_VECTOR);
		nmq_mem[2 * i + 1].avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
		for (uint16_t s = 0; s < p->rx.size; s++)
			nmq_post_rx(p, i, s);
	}
	if (m->max_pairs > 1) {
		if (virtio_pci_setup_queue(&m->vp, &m->ctrl, &nmq_mem[2 * m->max_pairs], 2 * m->max_pairs, 4))
			return -1;
		virtio_pci_set_queue_vector(&m->vp, 2 * m->max_pairs, VIRTIO_MSI_NO_VECTOR);
	}
	nmq_route(m, -1);
	virtio_pci_driver_ok(&m->vp);
	for (uint16_t i = 0; i < m->max_pairs; i++)
		virtq_kick(&m->p[i].rx);
	m->pairs = 1;
	return 0;
}

/*
 * Pair i's phase: frames echo requests (sequence numbers first + 1 ...) on
 * its transmit queue, its MSI-X entry alone on the counted vector. The
 * replies that came.
 */
static uint32_t nmq_phase(struct nmq *m, uint16_t i, uint32_t frames, uint16_t first)
{
	struct nmq_pair *p = &m->p[i];
	uint32_t before = nmq_vec_count(), replies = p->replies;

	nmq_route(m, i);
	for (uint16_t seq = first + 1; seq <= first + frames; seq++)
		nmq_send_ping(m, i, (uint16_t)(NMQ_ID_BASE + i), seq);
	nmq_wait_count(m, &p->replies, replies + frames, NMQ_WAIT_MS);
	/*
	 * Take the interrupts still pending, so they count here: the first
	 * wait may return at once for one taken in user mode (sys_wait), the
	 * second sleeps with interrupts on.
	 */
	nmq_nap();
	nmq_nap();
	nmq_poll(m);
	p->irqs += nmq_vec_count() - before;
	return p->replies - replies;
}

/* Keeps the device running for seconds: frames are taken and ARP answered. */
static void nmq_hold(struct nmq *m, uint32_t seconds)
{
	uint32_t never = 0;

	con_printf("netmq.holding=%u\n", m->pairs);
	nmq_route(m, -1);
	nmq_wait_count(m, &never, 1, seconds * 1000);
	con_printf("netmq.held=%u\n", seconds);
}

int cmd_netmq(const char *arg)
{
	struct nmq *m = &nmq;
	const char *s = arg;
	uint32_t want, frames = NMQ_FRAMES_DEFAULT, hold = 0, unused_rx = 0, after_rx0 = 0, after_other = 0;
	int set0, set_over, set, set1 = -1;
	uint32_t rx_before[NMQ_MAX_PAIRS];
	uint8_t status;
	bool ok;
	char b[16];

	memset(m, 0, sizeof(*m));
	if (ip_parse(&s, &m->ip) || *s++ != ':' || ip_parse(&s, &m->host_ip) || *s++ != ':' ||
	    net_parse_u32(&s, &want) || !want || want > NMQ_MAX_PAIRS ||
	    (*s == ':' && (s++, net_parse_u32(&s, &frames))) ||
	    (*s == ':' && (s++, net_parse_u32(&s, &hold))) || *s || !frames || frames > NMQ_FRAMES_MAX ||
	    hold > 3600) {
		con_printf("netmq.ok=0\nnetmq.error=want netmq:<guest ip>:<host ip>:<pairs 1-%u>[:<frames 1-%u>"
			   "[:<hold seconds>]], got '%s'\n", NMQ_MAX_PAIRS, NMQ_FRAMES_MAX, arg);
		return -1;
	}
	net_stack_release();
	net_clock_init();
	m->ip_id = (uint16_t)rdtsc();
	if (nmq_open(m)) {
		con_printf("netmq.ok=0\nnetmq.error=%s\n", m->vp.error);
		if (m->vp.common_gpa)
			virtio_pci_reset(&m->vp);
		return -1;
	}
	/* Misbehave first: 0 and one more than offered must be refused, and the device go on. */
	set0 = m->max_pairs > 1 ? nmq_set_pairs(m, 0) : -1;
	set_over = m->max_pairs > 1 ? nmq_set_pairs(m, (uint16_t)(m->max_pairs + 1)) : -1;
	set = want == 1 ? 0 : m->max_pairs > 1 ? nmq_set_pairs(m, (uint16_t)want) : -1;
	if (set == 0)
		m->pairs = (uint16_t)want;
	nmq_print_ack("set0", set0);
	nmq_print_ack("set_over", set_over);
	nmq_print_ack("set", set);
	con_printf("netmq.pairs=%u\n", m->pairs);

	/* The host's MAC, asked on pair 0. */
	for (uint32_t t = 0; t < NMQ_WAIT_MS / NMQ_ARP_RETRY_MS && !m->host_mac_known; t++) {
		nmq_send_arp(m, 0, ARP_REQUEST, NULL, m->host_ip);
		nmq_wait_count(m, &m->arp_replies, 1, NMQ_ARP_RETRY_MS);
	}
	con_printf("netmq.host=%s\n", ip_str(m->host_ip, b));
	con_printf("netmq.arp=%u\n", m->host_mac_known);
	for (uint16_t i = 0; i < m->pairs && m->host_mac_known; i++)
		nmq_phase(m, i, frames, 0);
	if (hold && m->host_mac_known) {
		nmq_hold(m, hold);
		for (uint16_t i = 0; i < m->pairs; i++)
			m->p[i].again = nmq_phase(m, i, frames, (uint16_t)frames);
	}
	for (uint16_t i = m->pairs; i < m->max_pairs; i++)
		unused_rx += m->p[i].rx_frames;

	/* Back to one pair: everything must come on receive queue 0 now. */
	if (m->pairs > 1 && m->host_mac_known) {
		set1 = nmq_set_pairs(m, 1);
		if (set1 == 0)
			m->pairs = 1;
		for (uint16_t i = 0; i < m->max_pairs; i++)
			rx_before[i] = m->p[i].rx_frames;
		nmq_route(m, 0);
		for (uint16_t seq = 1; seq <= frames; seq++)
			nmq_send_ping(m, 0, NMQ_ID_AFTER, seq);
		nmq_wait_count(m, &m->after_replies, frames, NMQ_WAIT_MS);
		after_rx0 = m->p[0].rx_frames - rx_before[0];
		for (uint16_t i = 1; i < m->max_pairs; i++)
			after_other += m->p[i].rx_frames - rx_before[i];
		nmq_print_ack("set1", set1);
		con_printf("netmq.after1.replies=%u\n", m->after_replies);
		con_printf("netmq.after1.rx0=%u\n", after_rx0);
		con_printf("netmq.after1.other=%u\n", after_other);
	}
	status = virtio_pci_get_status(&m->vp);
	virtio_pci_reset(&m->vp);
	pci_msix_disable(m->vp.fn);

	ok = m->host_mac_known && !(status & VIRTIO_STATUS_NEEDS_RESET) && !unused_rx && set == 0;
	for (uint16_t i = 0; i < m->max_pairs; i++) {
		const struct nmq_pair *p = &m->p[i];

		con_printf("netmq.q%u.vector=%s\n", i, p->own_vector ? "own" : "refused");
		con_printf("netmq.q%u.tx=%u\n", i, p->tx_frames);
		con_printf("netmq.q%u.rx=%u\n", i, p->rx_frames);
		con_printf("netmq.q%u.replies=%u\n", i, p->replies);
		con_printf("netmq.q%u.same=%u\n", i, p->same);
		con_printf("netmq.q%u.irqs=%u\n", i, p->irqs);
		if (hold)
			con_printf("netmq.again.q%u.replies=%u\n", i, p->again);
		if (i < want && p->replies != (hold ? 2 : 1) * frames)
			ok = false;
	}
	if (m->max_pairs > 1)
		ok &= set0 == 1 && set_over == 1;
	if (want > 1)
		ok &= set1 == 0 && m->after_replies == frames && !after_other;
	con_printf("netmq.unused_rx=%u\n", unused_rx);
	con_printf("netmq.status=0x%x\n", status);
	con_printf("netmq.ok=%u\n", ok);
	return ok ? 0 : -1;
}
