/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (device type 3, virtio 1.2 section 5.3) on the virtio-pci
 * transport, one port (no MULTIPORT): receiveq0 (0) kept full of small
 * buffers, transmitq0 (1) with one buffer in flight at a time, the console
 * size (F_SIZE) and the emergency write register (F_EMERG_WRITE).
 */
#ifndef VESSEL_GUEST_VIRTIO_CONSOLE_H
#define VESSEL_GUEST_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "guest.h"
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_PCI_TRANSITIONAL_CONSOLE	0x1003

#define VIRTIO_CONSOLE_F_SIZE		(1ULL << 0)
#define VIRTIO_CONSOLE_F_MULTIPORT	(1ULL << 1)
#define VIRTIO_CONSOLE_F_EMERG_WRITE	(1ULL << 2)

/* Small receive buffers, so a long line spans several of them. */
#define VIRTIO_CONSOLE_RX_BUFS		16
#define VIRTIO_CONSOLE_RX_BUF_SIZE	64
#define VIRTIO_CONSOLE_TX_BUF_SIZE	1024
#define VIRTIO_CONSOLE_TIMEOUT_MS	2000
/* Separate from rng (+1), blk (+2) and net (+3). */
#define VEC_VIRTIO_CONSOLE		(VEC_COUNTED_BASE + 4)

struct virtio_console_mem {
	struct virtq_mem rx, tx;
	uint8_t rx_buf[VIRTIO_CONSOLE_RX_BUFS][VIRTIO_CONSOLE_RX_BUF_SIZE];
	uint8_t tx_buf[VIRTIO_CONSOLE_TX_BUF_SIZE];
} __attribute__((aligned(4096)));

struct virtio_console {
	struct virtio_pci vp;
	struct virtq rxq, txq;
	struct virtio_console_mem *mem;
	uint16_t cols, rows;		/* 0 without F_SIZE */
	uint16_t rx_slot[VIRTQ_MAX];	/* buffer of each posted descriptor head */
	uint32_t irqs;			/* receive interrupts seen while waiting */
};

/* The n-th virtio-console function (modern ids first, then transitional), or NULL. */
const struct pci_fn *virtio_console_find(uint32_t n);
/*
 * Bring the device to DRIVER_OK, with the receive ring full if rx (else
 * empty: input then waits in the host instead of landing in buffers
 * nobody reads). 0, or -1 with vp.error.
 */
int virtio_console_open(struct virtio_console *vc, const struct pci_fn *fn, struct virtio_console_mem *mem,
			bool rx);
/* Send len bytes (at most VIRTIO_CONSOLE_TX_BUF_SIZE) and wait until the device took them. 0 or -1. */
int virtio_console_write(struct virtio_console *vc, const void *buf, uint32_t len);
/* One character through the emergency write register (needs F_EMERG_WRITE). */
void virtio_console_emerg_write(struct virtio_console *vc, char c);
/*
 * Read one line (without its end, CR or LF; leading line ends are skipped)
 * into buf, NUL-terminated and cut at size - 1. Its length, or -1 if no
 * line ended within timeout_ms.
 */
int virtio_console_readline(struct virtio_console *vc, char *buf, uint32_t size, uint32_t timeout_ms);
/* Reset the device so it stops touching our memory. */
void virtio_console_close(struct virtio_console *vc);

#endif
