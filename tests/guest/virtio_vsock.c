// SPDX-License-Identifier: MIT
/* virtio-vsock driver and its stream-socket layer (see virtio_vsock.h). */
#include "apic.h"
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_vsock.h"

#define VSOCK_RXQ		0
#define VSOCK_TXQ		1
#define VSOCK_EVQ		2
#define VSOCK_CFG_CID		0
#define VSOCK_EVENT_TRANSPORT_RESET	0
#define VSOCK_TX_WAIT_MS	2000
#define VSOCK_LOCAL_PORT_BASE	50000
#define NS_PER_MS		1000000u

static void vsock_post_rx(struct vsock *vs, uint16_t slot)
{
	struct virtq_buf b = { (uintptr_t)vs->mem->rx_buf[slot], VSOCK_BUF_LEN, true };
	int head = virtq_add(&vs->rxq, &b, 1);

	if (head >= 0)
		vs->rx_slot[head] = slot;
}

static void vsock_post_ev(struct vsock *vs, uint16_t slot)
{
	struct virtq_buf b = { (uintptr_t)&vs->mem->ev_buf[slot], sizeof(uint32_t), true };
	int head = virtq_add(&vs->evq, &b, 1);

	if (head >= 0)
		vs->ev_slot[head] = slot;
}

int vsock_open(struct vsock *vs, struct vsock_mem *mem)
{
	const struct pci_fn *fn = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_VSOCK), 0);
	uint16_t i;

	memset(vs, 0, sizeof(*vs));
	vs->mem = mem;
	vs->next_port = VSOCK_LOCAL_PORT_BASE;
	if (!fn) {
		vs->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&vs->vp, fn) || virtio_pci_negotiate(&vs->vp, 0))
		return -1;
	vs->cid = virtio_pci_config_read64(&vs->vp, VSOCK_CFG_CID);
	/* Without MSI-X, vsock_wait()'s timer slices poll. */
	virtio_pci_setup_msix(&vs->vp, VEC_VIRTIO_VSOCK);
	if (virtio_pci_setup_queue(&vs->vp, &vs->rxq, &mem->rx, VSOCK_RXQ, VSOCK_QSIZE) ||
	    virtio_pci_setup_queue(&vs->vp, &vs->txq, &mem->tx, VSOCK_TXQ, VSOCK_QSIZE) ||
	    virtio_pci_setup_queue(&vs->vp, &vs->evq, &mem->ev, VSOCK_EVQ, VSOCK_EVENTS))
		goto out_reset;
	for (i = 0; i < vs->rxq.size; i++)
		vsock_post_rx(vs, i);
	for (i = 0; i < vs->evq.size; i++)
		vsock_post_ev(vs, i);
	for (i = 0; i < vs->txq.size; i++)
		vs->tx_free[vs->nr_tx_free++] = i;
	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		vs->conns[i].rbuf = mem->rbuf[i];
	virtio_pci_driver_ok(&vs->vp);
	virtq_kick(&vs->rxq);
	virtq_kick(&vs->evq);
	return 0;

out_reset:
	virtio_pci_reset(&vs->vp);
	return -1;
}

void vsock_close(struct vsock *vs)
{
	if (vs->vp.common_gpa)
		virtio_pci_reset(&vs->vp);
}

void vsock_kick(struct vsock *vs)
{
	virtq_kick(&vs->txq);
}

void vsock_wait(struct vsock *vs, uint32_t ms)
{
	vsock_kick(vs);
	if (virtq_has_used(&vs->rxq) || virtq_has_used(&vs->txq) || virtq_has_used(&vs->evq))
		return;
	/* IF=0 in user mode: an interrupt that comes now is taken by sys_wait at once. */
	lapic_timer_oneshot(VEC_TIMER, ms * NS_PER_MS);
	sys_wait();
	lapic_timer_oneshot(VEC_TIMER, 0);
}

static void vsock_reclaim_tx(struct vsock *vs)
{
	int head;

	while ((head = virtq_get_used(&vs->txq, NULL)) >= 0)
		vs->tx_free[vs->nr_tx_free++] = vs->tx_slot[head];
}

int vsock_send_raw(struct vsock *vs, const struct vsock_hdr *h, const void *payload, uint32_t len)
{
	return vsock_send_claiming(vs, h, payload, len, len);
}

int vsock_send_claiming(struct vsock *vs, const struct vsock_hdr *h, const void *payload, uint32_t len,
			uint32_t claimed)
{
	uint32_t waited = 0;
	struct virtq_buf b;
	uint16_t slot;
	uint8_t *buf;
	int head;

	vsock_reclaim_tx(vs);
	while (!vs->nr_tx_free) {
		if (waited >= VSOCK_TX_WAIT_MS)
			return -1;
		vsock_wait(vs, 10);
		waited += 10;
		vsock_reclaim_tx(vs);
	}
	slot = vs->tx_free[--vs->nr_tx_free];
	buf = vs->mem->tx_buf[slot];
	memcpy(buf, h, VSOCK_HDR_LEN);
	((struct vsock_hdr *)buf)->len = claimed;
	if (len)
		memcpy(buf + VSOCK_HDR_LEN, payload, len);
	b = (struct virtq_buf){ (uintptr_t)buf, VSOCK_HDR_LEN + len, false };
	head = virtq_add(&vs->txq, &b, 1);
	if (head < 0) {
		vs->tx_free[vs->nr_tx_free++] = slot;
		return -1;
	}
	vs->tx_slot[head] = slot;
	vs->tx_packets++;
	return 0;
}

int vsock_send(struct vsock *vs, struct vsock_conn *c, uint16_t op, uint32_t flags, const void *payload,
	       uint32_t len)
{
	struct vsock_hdr h = {
		.src_cid = vs->cid, .dst_cid = VSOCK_CID_HOST,
		.src_port = c->local_port, .dst_port = c->peer_port,
		.type = VSOCK_TYPE_STREAM, .op = op, .flags = flags,
		.buf_alloc = VSOCK_RBUF, .fwd_cnt = c->fwd_cnt,
	};

	if (vsock_send_raw(vs, &h, payload, len))
		return -1;
	c->fwd_cnt_told = c->fwd_cnt;
	c->tx_cnt += len;
	c->tx_bytes += len;
	return 0;
}

/* An RST answering h (a packet for no connection of ours). */
static void vsock_send_rst_for(struct vsock *vs, const struct vsock_hdr *h)
{
	struct vsock_hdr r = {
		.src_cid = vs->cid, .dst_cid = h->src_cid, .src_port = h->dst_port, .dst_port = h->src_port,
		.type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RST,
	};

	vsock_send_raw(vs, &r, NULL, 0);
}

uint32_t vsock_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static struct vsock_conn *vsock_find(struct vsock *vs, uint32_t local_port, uint32_t peer_port)
{
	for (int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &vs->conns[i];

		if (c->state != VSOCK_FREE && c->local_port == local_port && c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

static struct vsock_conn *vsock_alloc(struct vsock *vs, uint32_t local_port, uint32_t peer_port)
{
	for (int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &vs->conns[i];

		if (c->state == VSOCK_FREE) {
			uint8_t *rbuf = c->rbuf;

			memset(c, 0, sizeof(*c));
			c->rbuf = rbuf;
			c->local_port = local_port;
			c->peer_port = peer_port;
			return c;
		}
	}
	return NULL;
}

/* Data for c: into its buffer, as far as the credit we gave allows (more is counted, dropped). */
static void vsock_rx_data(struct vsock *vs, struct vsock_conn *c, const uint8_t *p, uint32_t len)
{
	uint32_t room = VSOCK_RBUF - c->r_len;

	if (len > room) {
		vs->credit_violations++;
		len = room;
	}
	for (uint32_t done = 0; done < len;) {
		uint32_t end = (c->r_start + c->r_len) % VSOCK_RBUF;
		uint32_t n = VSOCK_RBUF - end < len - done ? VSOCK_RBUF - end : len - done;

		memcpy(c->rbuf + end, p + done, n);
		c->r_len += n;
		done += n;
	}
	c->rx_bytes += len;
}

static void vsock_rx_pkt(struct vsock *vs, const struct vsock_hdr *h, const uint8_t *payload, uint32_t len)
{
	struct vsock_conn *c;

	vs->rx_packets++;
	c = h->dst_cid == vs->cid && h->src_cid == VSOCK_CID_HOST ? vsock_find(vs, h->dst_port, h->src_port) : NULL;
	if (!c) {
		if (h->op == VSOCK_OP_RST) {
			vs->stray_rst++;
			vs->last_stray_rst = *h;
		} else if (h->op == VSOCK_OP_REQUEST && vs->listen_port && h->dst_port == vs->listen_port &&
			   h->dst_cid == vs->cid && (c = vsock_alloc(vs, h->dst_port, h->src_port))) {
			c->state = VSOCK_OPEN;
			c->peer_buf_alloc = h->buf_alloc;
			c->peer_fwd_cnt = h->fwd_cnt;
			vs->accepted++;
			vsock_send(vs, c, VSOCK_OP_RESPONSE, 0, NULL, 0);
		} else {
			/* Nobody listens, or no such connection (5.10.6.4). */
			vsock_send_rst_for(vs, h);
		}
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (c->state == VSOCK_CONNECTING)
			c->state = VSOCK_OPEN;
		break;
	case VSOCK_OP_RST:
		c->state = VSOCK_CLOSED;
		c->reset = true;
		break;
	case VSOCK_OP_RW:
		if (c->state == VSOCK_OPEN)
			vsock_rx_data(vs, c, payload, len);
		break;
	case VSOCK_OP_SHUTDOWN:
		c->peer_shut_send |= !!(h->flags & VSOCK_SHUTDOWN_SEND);
		c->peer_shut_rcv |= !!(h->flags & VSOCK_SHUTDOWN_RCV);
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		vsock_send(vs, c, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
		break;
	default:
		break;
	}
}

static void vsock_event(struct vsock *vs, uint32_t id)
{
	if (id != VSOCK_EVENT_TRANSPORT_RESET)
		return;
	/* The host forgot every connection (a restore): so do we; listening goes on. */
	vs->transport_resets++;
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (vs->conns[i].state != VSOCK_FREE) {
			vs->conns[i].state = VSOCK_CLOSED;
			vs->conns[i].reset = true;
		}
}

bool vsock_poll(struct vsock *vs)
{
	bool any = false, rx = false, ev = false;
	uint32_t len;
	int head;

	while ((head = virtq_get_used(&vs->rxq, &len)) >= 0) {
		uint16_t slot = vs->rx_slot[head];
		const uint8_t *buf = vs->mem->rx_buf[slot];
		struct vsock_hdr h;

		memcpy(&h, buf, sizeof(h));
		if (len >= VSOCK_HDR_LEN && h.len <= len - VSOCK_HDR_LEN)
			vsock_rx_pkt(vs, &h, buf + VSOCK_HDR_LEN, h.len);
		vsock_post_rx(vs, slot);
		any = rx = true;
	}
	while ((head = virtq_get_used(&vs->evq, &len)) >= 0) {
		uint16_t slot = vs->ev_slot[head];

		if (len >= sizeof(uint32_t))
			vsock_event(vs, vs->mem->ev_buf[slot]);
		vsock_post_ev(vs, slot);
		any = ev = true;
	}
	if (rx)
		virtq_kick(&vs->rxq);
	if (ev)
		virtq_kick(&vs->evq);
	if (virtq_has_used(&vs->txq)) {
		vsock_reclaim_tx(vs);
		any = true;
	}
	return any;
}

struct vsock_conn *vsock_connect(struct vsock *vs, uint32_t port, const char **why)
{
	struct vsock_conn *c = vsock_alloc(vs, vs->next_port++, port);
	uint32_t waited = 0;

	if (!c) {
		*why = "no free connection slot";
		return NULL;
	}
	c->state = VSOCK_CONNECTING;
	if (vsock_send(vs, c, VSOCK_OP_REQUEST, 0, NULL, 0)) {
		c->state = VSOCK_FREE;
		*why = "transmit queue full";
		return NULL;
	}
	while (c->state == VSOCK_CONNECTING && waited < 2000) {
		if (!vsock_poll(vs)) {
			vsock_wait(vs, 10);
			waited += 10;
		}
	}
	if (c->state == VSOCK_OPEN)
		return c;
	*why = c->state == VSOCK_CONNECTING ? "timeout" : "connection refused";
	c->state = VSOCK_FREE;
	return NULL;
}

void vsock_consume(struct vsock *vs, struct vsock_conn *c, uint32_t n)
{
	c->r_start = (c->r_start + n) % VSOCK_RBUF;
	c->r_len -= n;
	c->fwd_cnt += n;
}

void vsock_maybe_credit_update(struct vsock *vs, struct vsock_conn *c)
{
	if (c->state == VSOCK_OPEN && c->fwd_cnt - c->fwd_cnt_told >= VSOCK_RBUF / 2)
		vsock_send(vs, c, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
}

void vsock_close_conn(struct vsock *vs, struct vsock_conn *c, uint32_t ms)
{
	uint32_t waited = 0;

	if (c->state == VSOCK_OPEN && !c->shut_sent) {
		vsock_send(vs, c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND, NULL, 0);
		c->shut_sent = true;
	}
	while (c->state == VSOCK_OPEN && waited < ms) {
		if (!vsock_poll(vs)) {
			vsock_wait(vs, 10);
			waited += 10;
		}
	}
	c->state = VSOCK_FREE;
}
