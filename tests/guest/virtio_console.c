// SPDX-License-Identifier: MIT
/* virtio-console driver: receive ring kept full, one transmit buffer. */
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_console.h"

#define VCON_RXQ		0
#define VCON_TXQ		1
#define VCON_CFG_COLS		0
#define VCON_CFG_ROWS		2
#define VCON_CFG_EMERG_WR	8
#define VCON_WAIT_STEP_MS	1000

const struct pci_fn *virtio_console_find(uint32_t n)
{
	uint32_t modern = 0;

	while (pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_CONSOLE), modern))
		modern++;
	if (n < modern)
		return pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_CONSOLE), n);
	/* A transitional device has the modern capabilities too. */
	return pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_TRANSITIONAL_CONSOLE, n - modern);
}

/* Post receive buffer slot; the caller kicks. */
static int virtio_console_post_rx(struct virtio_console *vc, uint16_t slot)
{
	struct virtq_buf b = { (uintptr_t)vc->mem->rx_buf[slot], VIRTIO_CONSOLE_RX_BUF_SIZE, true };
	int head = virtq_add(&vc->rxq, &b, 1);

	if (head < 0)
		return -1;
	vc->rx_slot[head] = slot;
	return 0;
}

int virtio_console_open(struct virtio_console *vc, const struct pci_fn *fn, struct virtio_console_mem *mem,
			bool rx)
{
	uint16_t i;

	memset(vc, 0, sizeof(*vc));
	vc->mem = mem;
	if (!fn) {
		vc->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&vc->vp, fn) ||
	    virtio_pci_negotiate(&vc->vp, VIRTIO_CONSOLE_F_SIZE | VIRTIO_CONSOLE_F_EMERG_WRITE |
				 VIRTIO_F_RING_EVENT_IDX))
		return -1;
	if (vc->vp.features & VIRTIO_CONSOLE_F_SIZE) {
		vc->cols = virtio_pci_config_read16(&vc->vp, VCON_CFG_COLS);
		vc->rows = virtio_pci_config_read16(&vc->vp, VCON_CFG_ROWS);
	}
	/* Without MSI-X, virtq_wait() still looks at the ring on every timer slice. */
	virtio_pci_setup_msix(&vc->vp, VEC_VIRTIO_CONSOLE);
	if (virtio_pci_setup_queue(&vc->vp, &vc->rxq, &mem->rx, VCON_RXQ, VIRTIO_CONSOLE_RX_BUFS) ||
	    virtio_pci_setup_queue(&vc->vp, &vc->txq, &mem->tx, VCON_TXQ, VIRTIO_CONSOLE_RX_BUFS))
		goto out_reset;
	for (i = 0; rx && i < vc->rxq.size; i++)
		virtio_console_post_rx(vc, i);
	virtio_pci_driver_ok(&vc->vp);
	virtq_kick(&vc->rxq);
	return 0;

out_reset:
	virtio_pci_reset(&vc->vp);
	return -1;
}

int virtio_console_write(struct virtio_console *vc, const void *buf, uint32_t len)
{
	struct virtq_buf b = { (uintptr_t)vc->mem->tx_buf, len, false };
	int head;

	if (len > VIRTIO_CONSOLE_TX_BUF_SIZE) {
		vc->vp.error = "too long";
		return -1;
	}
	memcpy(vc->mem->tx_buf, buf, len);
	head = virtq_add(&vc->txq, &b, 1);
	if (head < 0) {
		vc->vp.error = "transmit queue full";
		return -1;
	}
	virtq_kick(&vc->txq);
	if (virtq_wait(&vc->txq, VIRTIO_CONSOLE_TIMEOUT_MS, NULL)) {
		vc->vp.error = "timeout";
		return -1;
	}
	if (virtq_get_used(&vc->txq, NULL) != head) {
		vc->vp.error = "device returned a chain we did not post";
		return -1;
	}
	return 0;
}

void virtio_console_emerg_write(struct virtio_console *vc, char c)
{
	mmio_write32(vc->vp.device_gpa + VCON_CFG_EMERG_WR, (uint8_t)c);
}

/* Appends the bytes of one used buffer to the line; true once the line ended. */
static bool virtio_console_take(const uint8_t *p, uint32_t n, char *buf, uint32_t size, uint32_t *len)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			if (*len)
				return true;
			continue;
		}
		if (*len < size - 1)
			buf[(*len)++] = (char)p[i];
	}
	return false;
}

int virtio_console_readline(struct virtio_console *vc, char *buf, uint32_t size, uint32_t timeout_ms)
{
	uint32_t len = 0, waited = 0, irqs, used_len;
	bool done = false;
	int head;

	while (!done) {
		if (!virtq_has_used(&vc->rxq)) {
			uint32_t step = timeout_ms - waited < VCON_WAIT_STEP_MS ?
					timeout_ms - waited : VCON_WAIT_STEP_MS;

			if (!step)
				break;
			if (virtq_wait(&vc->rxq, step, &irqs))
				waited += step;
			vc->irqs += irqs;
			continue;
		}
		head = virtq_get_used(&vc->rxq, &used_len);
		if (head < 0) {
			vc->vp.error = "device returned a chain we did not post";
			return -1;
		}
		if (used_len > VIRTIO_CONSOLE_RX_BUF_SIZE)
			used_len = VIRTIO_CONSOLE_RX_BUF_SIZE;
		done = virtio_console_take(vc->mem->rx_buf[vc->rx_slot[head]], used_len, buf, size, &len);
		virtio_console_post_rx(vc, vc->rx_slot[head]);
		virtq_kick(&vc->rxq);
	}
	buf[len] = '\0';
	if (!done) {
		vc->vp.error = "timeout";
		return -1;
	}
	return (int)len;
}

void virtio_console_close(struct virtio_console *vc)
{
	if (vc->vp.common_gpa)
		virtio_pci_reset(&vc->vp);
}
