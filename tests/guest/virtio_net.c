// SPDX-License-Identifier: MIT
/* virtio-net driver: rx ring kept full, tx with a zeroed virtio_net_hdr. */
#include "apic.h"
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_net.h"

#define VNET_RXQ		0
#define VNET_TXQ		1
#define VNET_CFG_MAC		0
#define VNET_CFG_STATUS		6
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
/* A tx ring never drained, a merged frame never completed: give up after this long. */
#define VNET_STUCK_TSC		(4ULL << 30)

/* struct virtio_net_hdr_v1: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers. */
#define VNET_HDR_NUM_BUFFERS	10

const struct pci_fn *virtio_net_find(uint32_t n)
{
	const struct pci_fn *fn;
	uint32_t modern = 0;

	while (pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_NET), modern))
		modern++;
	if (n < modern)
		return pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_NET), n);
	/* A transitional device has the modern capabilities too. */
	fn = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_TRANSITIONAL_NET, n - modern);
	return fn;
}

/* MAC from config space, or a locally administered one if the device has none. */
static void virtio_net_read_mac(struct virtio_net *vn)
{
	uint64_t t;
	uint32_t i;

	if (vn->vp.features & VIRTIO_NET_F_MAC) {
		for (i = 0; i < 6; i++)
			vn->mac[i] = virtio_pci_config_read8(&vn->vp, VNET_CFG_MAC + i);
		return;
	}
	t = rdtsc();
	vn->mac[0] = 0x02;
	for (i = 1; i < 6; i++)
		vn->mac[i] = (uint8_t)(t >> (8 * i));
}

bool virtio_net_link_up(const struct virtio_net *vn)
{
	/* Without STATUS the link is assumed up (5.1.4). */
	if (!(vn->vp.features & VIRTIO_NET_F_STATUS))
		return true;
	return virtio_pci_config_read16(&vn->vp, VNET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

static int virtio_net_negotiate(struct virtio_net *vn, const struct pci_fn *fn)
{
	if (virtio_pci_init(&vn->vp, fn))
		return -1;
	if (virtio_pci_negotiate(&vn->vp, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS |
				 VIRTIO_NET_F_MRG_RXBUF))
		return -1;
	virtio_net_read_mac(vn);
	return 0;
}

int virtio_net_probe(struct virtio_net *vn, const struct pci_fn *fn, bool *link_up)
{
	int ret;

	memset(vn, 0, sizeof(*vn));
	ret = virtio_net_negotiate(vn, fn);
	if (!ret)
		*link_up = virtio_net_link_up(vn);
	if (vn->vp.common_gpa)
		virtio_pci_reset(&vn->vp);
	return ret;
}

/* Post rx buffer slot; the caller kicks. */
static int virtio_net_post_rx(struct virtio_net *vn, uint16_t slot)
{
	struct virtq_buf b = { (uintptr_t)vn->mem->rx_buf[slot], vn->rx_buf_size, true };
	int head = virtq_add(&vn->rxq, &b, 1);

	if (head < 0)
		return -1;
	vn->rx_slot[head] = slot;
	return 0;
}

int virtio_net_open(struct virtio_net *vn, const struct pci_fn *fn, struct virtio_net_mem *mem)
{
	uint16_t i;

	memset(vn, 0, sizeof(*vn));
	vn->mem = mem;
	if (virtio_net_negotiate(vn, fn))
		return -1;
	vn->rx_buf_size = (vn->vp.features & VIRTIO_NET_F_MRG_RXBUF) ?
			  VIRTIO_NET_MRG_BUF_SIZE : VIRTIO_NET_BUF_SIZE;
	/* Without MSI-X, virtio_net_wait() still returns on every timer slice. */
	virtio_pci_setup_msix(&vn->vp, VEC_VIRTIO_NET);
	if (virtio_pci_setup_queue(&vn->vp, &vn->rxq, &mem->rx, VNET_RXQ,
				   VIRTIO_NET_QUEUE_MAX) ||
	    virtio_pci_setup_queue(&vn->vp, &vn->txq, &mem->tx, VNET_TXQ,
				   VIRTIO_NET_QUEUE_MAX))
		goto out_reset;
	/* Interrupts only while we sleep (virtio_net_wait), never for tx. */
	mem->rx.avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	mem->tx.avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	for (i = 0; i < vn->rxq.size; i++)
		virtio_net_post_rx(vn, i);
	virtio_pci_driver_ok(&vn->vp);
	virtq_kick(&vn->rxq);
	return 0;

out_reset:
	virtio_pci_reset(&vn->vp);
	return -1;
}

/* Free the tx buffers of chains the device has finished with. */
static void virtio_net_reclaim_tx(struct virtio_net *vn)
{
	int head;

	while (virtq_has_used(&vn->txq)) {
		head = virtq_get_used(&vn->txq, NULL);
		if (head >= 0)
			vn->tx_busy &= ~(1ULL << vn->tx_slot[head]);
	}
}

static int virtio_net_free_tx_slot(const struct virtio_net *vn)
{
	uint16_t i;

	for (i = 0; i < vn->txq.size; i++)
		if (!(vn->tx_busy & (1ULL << i)))
			return i;
	return -1;
}

int virtio_net_send(struct virtio_net *vn, const void *frame, uint32_t len)
{
	struct virtq_buf b;
	uint64_t start = rdtsc();
	uint8_t *buf;
	int slot, head;

	if (len > VIRTIO_NET_BUF_SIZE - VIRTIO_NET_HDR_LEN)
		return -1;
	for (;;) {
		virtio_net_reclaim_tx(vn);
		slot = virtio_net_free_tx_slot(vn);
		if (slot >= 0 && vn->txq.num_free)
			break;
		if (rdtsc() - start > VNET_STUCK_TSC)
			return -1;
		cpu_relax();
	}
	buf = vn->mem->tx_buf[slot];
	memset(buf, 0, VIRTIO_NET_HDR_LEN);
	memcpy(buf + VIRTIO_NET_HDR_LEN, frame, len);
	b = (struct virtq_buf){ (uintptr_t)buf, VIRTIO_NET_HDR_LEN + len, false };
	head = virtq_add(&vn->txq, &b, 1);
	if (head < 0)
		return -1;
	vn->tx_slot[head] = (uint16_t)slot;
	vn->tx_busy |= 1ULL << slot;
	vn->tx_frames++;
	virtq_kick(&vn->txq);
	return 0;
}

/* Take the next used rx buffer: its slot and length, or -1. Reposts nothing. */
static int virtio_net_take_rx(struct virtio_net *vn, uint32_t *len)
{
	int head = virtq_get_used(&vn->rxq, len);

	if (head < 0)
		return -1;
	if (*len > vn->rx_buf_size)
		*len = vn->rx_buf_size;
	return vn->rx_slot[head];
}

uint32_t virtio_net_recv(struct virtio_net *vn, uint8_t *buf, uint32_t size)
{
	uint32_t len, got = 0, nbufs = 1, i;
	bool drop = false;
	uint8_t *p;
	int slot;

	while (virtq_has_used(&vn->rxq)) {
		slot = virtio_net_take_rx(vn, &len);
		if (slot < 0)
			continue;	/* a bogus id: the descriptor is lost, not reused */
		p = vn->mem->rx_buf[slot];
		if (len < VIRTIO_NET_HDR_LEN) {
			virtio_net_post_rx(vn, slot);
			vn->rx_dropped++;
			continue;
		}
		if (vn->vp.features & VIRTIO_NET_F_MRG_RXBUF)
			nbufs = p[VNET_HDR_NUM_BUFFERS] | p[VNET_HDR_NUM_BUFFERS + 1] << 8;
		len -= VIRTIO_NET_HDR_LEN;
		if (!nbufs || len > size)
			drop = true;
		else
			memcpy(buf, p + VIRTIO_NET_HDR_LEN, len);
		got = len;
		virtio_net_post_rx(vn, slot);
		/* A broken count: take just this buffer and drop the frame. */
		if (nbufs > vn->rxq.size) {
			nbufs = 1;
			drop = true;
		}
		/* The rest of a merged frame: later used entries, no header in them. */
		for (i = 1; i < nbufs; i++) {
			uint64_t start = rdtsc();

			/* The device publishes them together; don't hang on one that doesn't. */
			while (!virtq_has_used(&vn->rxq) && rdtsc() - start < VNET_STUCK_TSC)
				cpu_relax();
			if (!virtq_has_used(&vn->rxq)) {
				drop = true;
				break;
			}
			slot = virtio_net_take_rx(vn, &len);
			if (slot < 0) {
				drop = true;
				continue;
			}
			if (!drop && got + len <= size)
				memcpy(buf + got, vn->mem->rx_buf[slot], len);
			else
				drop = true;
			got += len;
			virtio_net_post_rx(vn, slot);
		}
		/* Skipped unless the device asked for notifications: each is an exit. */
		virtq_kick(&vn->rxq);
		if (drop) {
			vn->rx_dropped++;
			drop = false;
			continue;
		}
		vn->rx_frames++;
		return got;
	}
	return 0;
}

void virtio_net_wait(struct virtio_net *vn, uint32_t max_ms)
{
	uint32_t timer0 = irq_counts[VEC_TIMER - VEC_COUNTED_BASE];
	uint32_t irq0 = vn->rxq.irq_count ? *vn->rxq.irq_count : 0;

	if (!max_ms)
		return;
	if (max_ms > 10)
		max_ms = 10;
	vn->mem->rx.avail.flags = 0;
	mb();
	/* A frame that came before the flag cleared raised no interrupt. */
	if (!virtq_has_used(&vn->rxq)) {
		lapic_timer_oneshot(VEC_TIMER, max_ms * 1000000u);
		sys_wait();
		/* Woken early: don't leave a stray timer to wake a later wait. */
		if (irq_counts[VEC_TIMER - VEC_COUNTED_BASE] == timer0)
			lapic_timer_oneshot(VEC_TIMER, 0);
	}
	vn->mem->rx.avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	if (vn->rxq.irq_count)
		vn->irqs += *vn->rxq.irq_count - irq0;
}

void virtio_net_close(struct virtio_net *vn)
{
	if (vn->vp.common_gpa)
		virtio_pci_reset(&vn->vp);
}
