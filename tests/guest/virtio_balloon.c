// SPDX-License-Identifier: MIT
/* virtio-balloon driver: queues, config space, PFN requests, statistics. */
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_balloon.h"

static struct virtq_mem vballoon_rings[4];
static uint32_t vballoon_pfns[VBALLOON_IN_FLIGHT][VBALLOON_PFNS_PER_REQ];
static struct vballoon_stat vballoon_stats[VBALLOON_NR_STATS];

int virtio_balloon_open(struct virtio_balloon *vb, uint64_t wanted, bool driver_ok)
{
	const struct pci_fn *fn = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_BALLOON), 0);
	uint16_t q = 2;

	if (!fn)
		fn = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_TRANSITIONAL_BALLOON, 0);
	memset(vb, 0, sizeof(*vb));
	if (!fn) {
		vb->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&vb->vp, fn) || virtio_pci_negotiate(&vb->vp, wanted))
		return -1;
	/* Without MSI-X, virtq_wait() polls on its timer slices. */
	virtio_pci_setup_msix(&vb->vp, VEC_VIRTIO_BALLOON);
	if (virtio_pci_setup_queue(&vb->vp, &vb->inflateq, &vballoon_rings[0], 0, VIRTQ_MAX) ||
	    virtio_pci_setup_queue(&vb->vp, &vb->deflateq, &vballoon_rings[1], 1, VIRTQ_MAX))
		return -1;
	if (vb->vp.features & VIRTIO_BALLOON_F_STATS_VQ) {
		if (virtio_pci_setup_queue(&vb->vp, &vb->statsq, &vballoon_rings[2], q++, VIRTQ_MAX))
			return -1;
		vb->stats = true;
	}
	if (vb->vp.features & VIRTIO_BALLOON_F_REPORTING) {
		if (virtio_pci_setup_queue(&vb->vp, &vb->reportq, &vballoon_rings[3], q++, VIRTQ_MAX))
			return -1;
		vb->reporting = true;
	}
	if (driver_ok)
		virtio_pci_driver_ok(&vb->vp);
	return 0;
}

void virtio_balloon_close(struct virtio_balloon *vb)
{
	if (vb->vp.common_gpa)
		virtio_pci_reset(&vb->vp);
}

uint32_t virtio_balloon_target(const struct virtio_balloon *vb)
{
	return virtio_pci_config_read32(&vb->vp, VIRTIO_BALLOON_CFG_NUM_PAGES);
}

void virtio_balloon_set_actual(const struct virtio_balloon *vb, uint32_t pages)
{
	if (vb->vp.device_gpa && vb->vp.device_len >= VIRTIO_BALLOON_CFG_ACTUAL + 4)
		mmio_write32(vb->vp.device_gpa + VIRTIO_BALLOON_CFG_ACTUAL, pages);
}

/* Waits until every chain posted on vq came back. 0 or -1. */
static int virtio_balloon_wait_all(struct virtio_balloon *vb, struct virtq *vq, uint32_t posted)
{
	uint32_t done = 0, len;

	while (done < posted) {
		if (!virtq_has_used(vq) && virtq_wait(vq, VBALLOON_TIMEOUT_MS, NULL)) {
			vb->vp.error = "timeout";
			return -1;
		}
		while (virtq_get_used(vq, &len) >= 0)
			done++;
	}
	vb->requests += posted;
	return 0;
}

int virtio_balloon_pages(struct virtio_balloon *vb, bool inflate, uint64_t gpa, uint32_t n)
{
	struct virtq *vq = inflate ? &vb->inflateq : &vb->deflateq;
	uint64_t last = (gpa >> 12) + n;     /* one past the highest PFN still to send */

	while (n) {
		uint32_t posted = 0;

		while (n && posted < VBALLOON_IN_FLIGHT) {
			uint32_t k = n < VBALLOON_PFNS_PER_REQ ? n : VBALLOON_PFNS_PER_REQ;
			struct virtq_buf b = { (uintptr_t)vballoon_pfns[posted], k * 4, false };

			/* Descending, as Linux's allocator tends to hand pages out. */
			for (uint32_t i = 0; i < k; i++)
				vballoon_pfns[posted][i] = (uint32_t)(last - 1 - i);
			if (virtq_add(vq, &b, 1) < 0) {
				vb->vp.error = "queue full";
				return -1;
			}
			posted++;
			last -= k;
			n -= k;
		}
		virtq_kick(vq);
		if (virtio_balloon_wait_all(vb, vq, posted))
			return -1;
	}
	return 0;
}

int virtio_balloon_stats_post(struct virtio_balloon *vb, const struct vballoon_stat *s, uint32_t n)
{
	struct virtq_buf b = { (uintptr_t)vballoon_stats, n * sizeof(*s), false };

	if (!vb->stats || n > VBALLOON_NR_STATS)
		return -1;
	memcpy(vballoon_stats, s, n * sizeof(*s));
	if (virtq_add(&vb->statsq, &b, 1) < 0)
		return -1;
	virtq_kick(&vb->statsq);
	return 0;
}

bool virtio_balloon_stats_asked(struct virtio_balloon *vb)
{
	uint32_t len;

	return vb->stats && virtq_get_used(&vb->statsq, &len) >= 0;
}
