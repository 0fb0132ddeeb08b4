/* SPDX-License-Identifier: MIT */
/*
 * virtio 1.x modern PCI transport (virtio 1.2 section 4.1), driver side:
 * vendor capabilities (common, notify, ISR, device config), reset, feature
 * negotiation, queue setup with MSI-X vectors and notification. A device
 * driver (rng now; blk, net, console later) owns a struct virtio_pci and its
 * virtqueues and uses only these calls.
 */
#ifndef VESSEL_GUEST_VIRTIO_PCI_H
#define VESSEL_GUEST_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "pci.h"
#include "virtqueue.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE(type)	(0x1040 + (type))
#define VIRTIO_ID_RNG		4
#define VIRTIO_ID_BLK		2
#define VIRTIO_PCI_TRANSITIONAL_RNG	0x1005
#define VIRTIO_PCI_TRANSITIONAL_BLK	0x1001

#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

#define VIRTIO_F_INDIRECT_DESC	(1ULL << 28)
#define VIRTIO_F_RING_EVENT_IDX	(1ULL << 29)
#define VIRTIO_F_VERSION_1	(1ULL << 32)
#define VIRTIO_MSI_NO_VECTOR	0xffff

struct virtio_pci {
	const struct pci_fn *fn;
	uint64_t common_gpa;
	uint64_t notify_gpa;
	uint32_t notify_mult;
	uint32_t notify_len;
	uint64_t isr_gpa;
	uint64_t device_gpa;	/* device-specific config, 0 if none */
	uint32_t device_len;
	uint64_t features;	/* negotiated */
	bool msix;		/* queue interrupts via MSI-X table entry 0 */
	uint8_t vector;		/* its IDT vector */
	const char *error;	/* why the last call failed */
};

/* Find the capabilities, map them uncached, enable memory decoding and DMA. 0 or -1. */
int virtio_pci_init(struct virtio_pci *vp, const struct pci_fn *fn);
uint8_t virtio_pci_get_status(const struct virtio_pci *vp);
void virtio_pci_set_status(const struct virtio_pci *vp, uint8_t status);
/* Write 0 to device_status and wait until it reads 0. 0 or -1. */
int virtio_pci_reset(struct virtio_pci *vp);
/*
 * Reset, ACKNOWLEDGE, DRIVER, accept wanted & offered (VERSION_1 required),
 * FEATURES_OK and check it stuck. 0 or -1 (status FAILED set).
 */
int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted);
/*
 * Route queue interrupts to vector on this CPU through MSI-X entry 0;
 * config changes get no vector. 0 or -1 (then queues get NO_VECTOR).
 */
int virtio_pci_setup_msix(struct virtio_pci *vp, uint8_t vector);
/* Set up and enable queue index with up to max_size entries in mem. 0 or -1. */
int virtio_pci_setup_queue(struct virtio_pci *vp, struct virtq *vq, struct virtq_mem *mem,
			   uint16_t index, uint16_t max_size);
/* Point queue index at MSI-X table entry (set up by the caller). 0, or -1 if the device refused it. */
int virtio_pci_set_queue_vector(const struct virtio_pci *vp, uint16_t index, uint16_t entry);
void virtio_pci_driver_ok(const struct virtio_pci *vp);
/* Device-specific config space reads (off must lie inside it; else 0). */
uint8_t virtio_pci_config_read8(const struct virtio_pci *vp, uint32_t off);
uint16_t virtio_pci_config_read16(const struct virtio_pci *vp, uint32_t off);
uint32_t virtio_pci_config_read32(const struct virtio_pci *vp, uint32_t off);
/* Two 32-bit reads under the config generation counter (4.1.4.3.1). */
uint64_t virtio_pci_config_read64(const struct virtio_pci *vp, uint32_t off);

#endif
