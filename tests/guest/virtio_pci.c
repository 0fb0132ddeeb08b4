// SPDX-License-Identifier: MIT
/* virtio-pci modern transport: capabilities, status, features, queues. */
#include "apic.h"
#include "cpu.h"
#include "guest.h"
#include "lib.h"
#include "sys.h"
#include "virtio_pci.h"

/* struct virtio_pci_cap: cfg_type, bar, id, offset, length (+ notify multiplier). */
#define VIRTIO_CAP_CFG_TYPE	3
#define VIRTIO_CAP_BAR		4
#define VIRTIO_CAP_OFFSET	8
#define VIRTIO_CAP_LENGTH	12
#define VIRTIO_CAP_NOTIFY_MULT	16
#define VIRTIO_PCI_CAP_COMMON	1
#define VIRTIO_PCI_CAP_NOTIFY	2
#define VIRTIO_PCI_CAP_ISR	3
#define VIRTIO_PCI_CAP_DEVICE	4

/* struct virtio_pci_common_cfg */
#define VCC_DEVICE_FEATURE_SELECT	0x00
#define VCC_DEVICE_FEATURE		0x04
#define VCC_DRIVER_FEATURE_SELECT	0x08
#define VCC_DRIVER_FEATURE		0x0c
#define VCC_MSIX_CONFIG			0x10
#define VCC_NUM_QUEUES			0x12
#define VCC_DEVICE_STATUS		0x14
#define VCC_CONFIG_GENERATION		0x15
#define VCC_QUEUE_SELECT		0x16
#define VCC_QUEUE_SIZE			0x18
#define VCC_QUEUE_MSIX_VECTOR		0x1a
#define VCC_QUEUE_ENABLE		0x1c
#define VCC_QUEUE_NOTIFY_OFF		0x1e
#define VCC_QUEUE_DESC			0x20
#define VCC_QUEUE_DRIVER		0x28
#define VCC_QUEUE_DEVICE		0x30
#define VCC_SIZE			0x38

/* Each status read is an exit: ~20 us here, so this is a few seconds at most. */
#define VIRTIO_RESET_POLLS	100000

/* Address of a capability's window, mapped uncached; 0 if it isn't usable. */
static uint64_t virtio_pci_cap_window(const struct pci_fn *fn, uint8_t cap, uint32_t *len)
{
	uint8_t bar = pci_cfg_read8(fn, cap + VIRTIO_CAP_BAR);
	uint32_t off = pci_cfg_read32(fn, cap + VIRTIO_CAP_OFFSET);
	const struct pci_bar *b;

	*len = pci_cfg_read32(fn, cap + VIRTIO_CAP_LENGTH);
	if (bar >= PCI_NUM_BARS)
		return 0;
	b = &fn->bars[bar];
	if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) || !b->addr ||
	    !*len || off > b->size || *len > b->size - off)
		return 0;
	if (paging_map_mmio(b->addr + off, *len))
		return 0;
	return b->addr + off;
}

int virtio_pci_init(struct virtio_pci *vp, const struct pci_fn *fn)
{
	uint8_t cap = 0;
	uint32_t len;

	memset(vp, 0, sizeof(*vp));
	vp->fn = fn;
	/* The first capability of each type is the preferred one (4.1.4). */
	while ((cap = pci_find_cap(fn, PCI_CAP_ID_VNDR, cap))) {
		uint8_t type = pci_cfg_read8(fn, cap + VIRTIO_CAP_CFG_TYPE);
		uint64_t gpa;

		if (type < VIRTIO_PCI_CAP_COMMON || type > VIRTIO_PCI_CAP_DEVICE)
			continue;
		if ((type == VIRTIO_PCI_CAP_COMMON && vp->common_gpa) ||
		    (type == VIRTIO_PCI_CAP_NOTIFY && vp->notify_gpa) ||
		    (type == VIRTIO_PCI_CAP_ISR && vp->isr_gpa) ||
		    (type == VIRTIO_PCI_CAP_DEVICE && vp->device_gpa))
			continue;
		gpa = virtio_pci_cap_window(fn, cap, &len);
		if (!gpa)
			continue;
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON:
			if (len >= VCC_SIZE)
				vp->common_gpa = gpa;
			break;
		case VIRTIO_PCI_CAP_NOTIFY:
			vp->notify_gpa = gpa;
			vp->notify_len = len;
			vp->notify_mult = pci_cfg_read32(fn, cap + VIRTIO_CAP_NOTIFY_MULT);
			break;
		case VIRTIO_PCI_CAP_ISR:
			vp->isr_gpa = gpa;
			break;
		case VIRTIO_PCI_CAP_DEVICE:
			vp->device_gpa = gpa;
			vp->device_len = len;
			break;
		}
	}
	if (!vp->common_gpa || !vp->notify_gpa) {
		vp->error = "no common or notify capability";
		return -1;
	}
	pci_enable(fn, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	return 0;
}

uint8_t virtio_pci_get_status(const struct virtio_pci *vp)
{
	return mmio_read8(vp->common_gpa + VCC_DEVICE_STATUS);
}

void virtio_pci_set_status(const struct virtio_pci *vp, uint8_t status)
{
	mmio_write8(vp->common_gpa + VCC_DEVICE_STATUS, status);
}

int virtio_pci_reset(struct virtio_pci *vp)
{
	uint32_t i;

	virtio_pci_set_status(vp, 0);
	for (i = 0; i < VIRTIO_RESET_POLLS; i++) {
		if (!virtio_pci_get_status(vp))
			return 0;
		cpu_relax();
	}
	vp->error = "reset did not complete";
	return -1;
}

static uint64_t virtio_pci_device_features(const struct virtio_pci *vp)
{
	uint64_t lo, hi;

	mmio_write32(vp->common_gpa + VCC_DEVICE_FEATURE_SELECT, 0);
	lo = mmio_read32(vp->common_gpa + VCC_DEVICE_FEATURE);
	mmio_write32(vp->common_gpa + VCC_DEVICE_FEATURE_SELECT, 1);
	hi = mmio_read32(vp->common_gpa + VCC_DEVICE_FEATURE);
	return hi << 32 | lo;
}

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted)
{
	uint8_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	uint64_t offered;

	if (virtio_pci_reset(vp))
		return -1;
	virtio_pci_set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_pci_set_status(vp, status);
	offered = virtio_pci_device_features(vp);
	if (!(offered & VIRTIO_F_VERSION_1)) {
		vp->error = "device lacks VIRTIO_F_VERSION_1";
		goto out_failed;
	}
	vp->features = (wanted | VIRTIO_F_VERSION_1) & offered;
	mmio_write32(vp->common_gpa + VCC_DRIVER_FEATURE_SELECT, 0);
	mmio_write32(vp->common_gpa + VCC_DRIVER_FEATURE, (uint32_t)vp->features);
	mmio_write32(vp->common_gpa + VCC_DRIVER_FEATURE_SELECT, 1);
	mmio_write32(vp->common_gpa + VCC_DRIVER_FEATURE, (uint32_t)(vp->features >> 32));
	status |= VIRTIO_STATUS_FEATURES_OK;
	virtio_pci_set_status(vp, status);
	if (!(virtio_pci_get_status(vp) & VIRTIO_STATUS_FEATURES_OK)) {
		vp->error = "device did not accept FEATURES_OK";
		goto out_failed;
	}
	return 0;

out_failed:
	virtio_pci_set_status(vp, status | VIRTIO_STATUS_FAILED);
	return -1;
}

int virtio_pci_setup_msix(struct virtio_pci *vp, uint8_t vector)
{
	vp->msix = false;
	if (pci_msix_enable(vp->fn, 0, vector, lapic_id())) {
		vp->error = "no usable MSI-X capability";
		return -1;
	}
	mmio_write16(vp->common_gpa + VCC_MSIX_CONFIG, VIRTIO_MSI_NO_VECTOR);
	vp->msix = true;
	vp->vector = vector;
	return 0;
}

static void virtio_pci_write64(uint64_t gpa, uint64_t v)
{
	mmio_write32(gpa, (uint32_t)v);
	mmio_write32(gpa + 4, (uint32_t)(v >> 32));
}

int virtio_pci_setup_queue(struct virtio_pci *vp, struct virtq *vq, struct virtq_mem *mem,
			   uint16_t index, uint16_t max_size)
{
	uint64_t c = vp->common_gpa;
	uint16_t dev_size, size, notify_off;

	if (index >= mmio_read16(c + VCC_NUM_QUEUES)) {
		vp->error = "no such queue";
		return -1;
	}
	mmio_write16(c + VCC_QUEUE_SELECT, index);
	dev_size = mmio_read16(c + VCC_QUEUE_SIZE);
	if (!dev_size) {
		vp->error = "queue not available";
		return -1;
	}
	if (max_size > VIRTQ_MAX)
		max_size = VIRTQ_MAX;
	/* Split queues need a power of two. */
	for (size = 1; size * 2 <= dev_size && size * 2 <= max_size; size *= 2)
		;
	virtq_init(vq, mem, index, size);
	vq->event_idx = !!(vp->features & VIRTIO_F_RING_EVENT_IDX);
	if (size != dev_size)
		mmio_write16(c + VCC_QUEUE_SIZE, size);
	virtio_pci_write64(c + VCC_QUEUE_DESC, (uintptr_t)mem->desc);
	virtio_pci_write64(c + VCC_QUEUE_DRIVER, (uintptr_t)&mem->avail);
	virtio_pci_write64(c + VCC_QUEUE_DEVICE, (uintptr_t)&mem->used);
	if (vp->msix) {
		mmio_write16(c + VCC_QUEUE_MSIX_VECTOR, 0);
		/* Reads back NO_VECTOR if the device could not take it. */
		if (mmio_read16(c + VCC_QUEUE_MSIX_VECTOR) == 0)
			vq->irq_count = &irq_counts[vp->vector - VEC_COUNTED_BASE];
	}
	notify_off = mmio_read16(c + VCC_QUEUE_NOTIFY_OFF);
	if ((uint64_t)notify_off * vp->notify_mult + 2 > vp->notify_len) {
		vp->error = "queue notify address outside the notify window";
		return -1;
	}
	vq->notify_gpa = vp->notify_gpa + (uint64_t)notify_off * vp->notify_mult;
	vq->notify_data = index;
	mmio_write16(c + VCC_QUEUE_ENABLE, 1);
	return 0;
}

int virtio_pci_set_queue_vector(const struct virtio_pci *vp, uint16_t index, uint16_t entry)
{
	uint64_t c = vp->common_gpa;

	mmio_write16(c + VCC_QUEUE_SELECT, index);
	mmio_write16(c + VCC_QUEUE_MSIX_VECTOR, entry);
	return mmio_read16(c + VCC_QUEUE_MSIX_VECTOR) == entry ? 0 : -1;
}

void virtio_pci_driver_ok(const struct virtio_pci *vp)
{
	virtio_pci_set_status(vp, virtio_pci_get_status(vp) | VIRTIO_STATUS_DRIVER_OK);
}

static bool virtio_pci_config_in(const struct virtio_pci *vp, uint32_t off, uint32_t len)
{
	return vp->device_gpa && off <= vp->device_len && len <= vp->device_len - off;
}

uint8_t virtio_pci_config_read8(const struct virtio_pci *vp, uint32_t off)
{
	return virtio_pci_config_in(vp, off, 1) ? mmio_read8(vp->device_gpa + off) : 0;
}

uint16_t virtio_pci_config_read16(const struct virtio_pci *vp, uint32_t off)
{
	return virtio_pci_config_in(vp, off, 2) ? mmio_read16(vp->device_gpa + off) : 0;
}

uint32_t virtio_pci_config_read32(const struct virtio_pci *vp, uint32_t off)
{
	return virtio_pci_config_in(vp, off, 4) ? mmio_read32(vp->device_gpa + off) : 0;
}

uint64_t virtio_pci_config_read64(const struct virtio_pci *vp, uint32_t off)
{
	uint64_t lo, hi;
	uint8_t gen;
	int tries = 0;

	if (!virtio_pci_config_in(vp, off, 8))
		return 0;
	do {
		gen = mmio_read8(vp->common_gpa + VCC_CONFIG_GENERATION);
		lo = mmio_read32(vp->device_gpa + off);
		hi = mmio_read32(vp->device_gpa + off + 4);
	} while (gen != mmio_read8(vp->common_gpa + VCC_CONFIG_GENERATION) && ++tries < 8);
	return hi << 32 | lo;
}
