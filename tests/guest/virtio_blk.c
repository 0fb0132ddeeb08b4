// SPDX-License-Identifier: MIT
/* virtio-blk driver: discovery, negotiation, config, request submission and completion. */
#include "guest.h"
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_blk.h"

/* struct virtio_blk_config offsets */
#define VBC_CAPACITY	0
#define VBC_SIZE_MAX	8
#define VBC_SEG_MAX	12
#define VBC_BLK_SIZE	20

#define VIRTIO_BLK_WANTED (VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_RO | \
			   VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_DISCARD | \
			   VIRTIO_BLK_F_WRITE_ZEROES | VIRTIO_F_RING_EVENT_IDX)

static bool virtio_blk_is_blk(const struct pci_fn *f)
{
	return f->vendor == VIRTIO_PCI_VENDOR &&
	       (f->device == VIRTIO_PCI_DEVICE(VIRTIO_ID_BLK) ||
		f->device == VIRTIO_PCI_TRANSITIONAL_BLK);
}

const struct pci_fn *virtio_blk_find(uint32_t index)
{
	uint32_t i;

	pci_scan();
	for (i = 0; i < pci.count; i++)
		if (virtio_blk_is_blk(&pci.fns[i]) && !index--)
			return &pci.fns[i];
	return NULL;
}

uint32_t virtio_blk_count(void)
{
	uint32_t i, n = 0;

	pci_scan();
	for (i = 0; i < pci.count; i++)
		n += virtio_blk_is_blk(&pci.fns[i]);
	return n;
}

static void virtio_blk_read_config(struct virtio_blk *blk)
{
	struct virtio_pci *vp = &blk->vp;

	blk->capacity = virtio_pci_config_read64(vp, VBC_CAPACITY);
	blk->ro = !!(vp->features & VIRTIO_BLK_F_RO);
	blk->blk_size = VIRTIO_BLK_SECTOR;
	if (vp->features & VIRTIO_BLK_F_BLK_SIZE)
		blk->blk_size = virtio_pci_config_read32(vp, VBC_BLK_SIZE);
	if (vp->features & VIRTIO_BLK_F_SEG_MAX)
		blk->seg_max = virtio_pci_config_read32(vp, VBC_SEG_MAX);
	if (vp->features & VIRTIO_BLK_F_SIZE_MAX)
		blk->size_max = virtio_pci_config_read32(vp, VBC_SIZE_MAX);
}

int virtio_blk_open(struct virtio_blk *blk, struct virtq_mem *mem, uint32_t index, bool driver_ok)
{
	const struct pci_fn *fn = virtio_blk_find(index);

	memset(blk, 0, sizeof(*blk));
	blk->mem = mem;
	blk->index = index;
	if (!fn) {
		blk->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&blk->vp, fn) || virtio_pci_negotiate(&blk->vp, VIRTIO_BLK_WANTED))
		return -1;
	virtio_blk_read_config(blk);
	/* Without MSI-X the queue still works: virtq_wait() polls on timer ticks. */
	virtio_pci_setup_msix(&blk->vp, VEC_VIRTIO_BLK);
	if (virtio_pci_setup_queue(&blk->vp, &blk->vq, mem, 0, VIRTQ_MAX))
		return -1;
	/* Our requests have at most 3 descriptors (one data buffer). */
	blk->max_inflight = blk->vq.size / 3;
	if (blk->max_inflight > VIRTIO_BLK_MAX_SLOTS)
		blk->max_inflight = VIRTIO_BLK_MAX_SLOTS;
	if (driver_ok)
		virtio_pci_driver_ok(&blk->vp);
	return 0;
}

void virtio_blk_close(struct virtio_blk *blk)
{
	if (blk->vp.common_gpa)
		virtio_pci_reset(&blk->vp);
}

int virtio_blk_peek_slot(struct virtio_blk *blk)
{
	uint32_t i;

	for (i = 0; i < VIRTIO_BLK_MAX_SLOTS; i++)
		if (!blk->slots[i].busy)
			return (int)i;
	return -1;
}

static int virtio_blk_post(struct virtio_blk *blk, int slot, const struct virtq_buf *bufs,
			   uint16_t n, uint64_t cookie)
{
	struct virtio_blk_slot *s = &blk->slots[slot];
	int head = virtq_add(&blk->vq, bufs, n);

	if (head < 0) {
		blk->vp.error = "queue full";
		return -1;
	}
	s->busy = true;
	s->cookie = cookie;
	blk->head_slot[head] = (uint16_t)slot;
	return slot;
}

int virtio_blk_submit(struct virtio_blk *blk, uint32_t type, uint64_t sector,
		      void *data, uint32_t len, uint64_t cookie)
{
	bool writes = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	int slot = virtio_blk_peek_slot(blk);
	struct virtio_blk_slot *s;
	struct virtq_buf bufs[3];
	uint16_t n = 0;

	if (slot < 0) {
		blk->vp.error = "no free request slot";
		return -1;
	}
	s = &blk->slots[slot];
	s->hdr = (struct virtio_blk_req_hdr){ type, 0, sector };
	s->status = VIRTIO_BLK_S_NONE;
	bufs[n++] = (struct virtq_buf){ (uintptr_t)&s->hdr, sizeof(s->hdr), false };
	if (len)
		bufs[n++] = (struct virtq_buf){ (uintptr_t)data, len, writes };
	bufs[n++] = (struct virtq_buf){ (uintptr_t)&s->status, 1, true };
	return virtio_blk_post(blk, slot, bufs, n, cookie);
}

int virtio_blk_submit_raw(struct virtio_blk *blk, const struct virtq_buf *bufs, uint16_t n,
			  uint64_t cookie)
{
	int slot = virtio_blk_peek_slot(blk);

	if (slot < 0) {
		blk->vp.error = "no free request slot";
		return -1;
	}
	blk->slots[slot].status = VIRTIO_BLK_S_NONE;
	return virtio_blk_post(blk, slot, bufs, n, cookie);
}

void virtio_blk_kick(struct virtio_blk *blk)
{
	virtq_kick(&blk->vq);
}

int virtio_blk_reap(struct virtio_blk *blk)
{
	int head;

	/* An id we never posted is skipped (virtq_get_used already ignored it). */
	while (virtq_has_used(&blk->vq)) {
		head = virtq_get_used(&blk->vq, NULL);
		if (head >= 0)
			return blk->head_slot[head];
	}
	return -1;
}

void virtio_blk_release(struct virtio_blk *blk, int slot)
{
	if (slot >= 0 && slot < VIRTIO_BLK_MAX_SLOTS)
		blk->slots[slot].busy = false;
}

int virtio_blk_wait(struct virtio_blk *blk, uint32_t timeout_ms)
{
	uint32_t irqs = 0;
	int ret;

	ret = virtq_wait(&blk->vq, timeout_ms, &irqs);
	blk->irqs += irqs;
	if (ret)
		blk->vp.error = "timeout";
	return ret;
}

/* Wait for one specific slot, reaping (and dropping) others that finish first. */
static int virtio_blk_complete(struct virtio_blk *blk, int slot)
{
	for (;;) {
		int done = virtio_blk_reap(blk);

		if (done == slot)
			break;
		if (done >= 0) {
			virtio_blk_release(blk, done);
			continue;
		}
		if (virtio_blk_wait(blk, VIRTIO_BLK_TIMEOUT_MS))
			return -1;
	}
	virtio_blk_release(blk, slot);
	return blk->slots[slot].status;
}

int virtio_blk_do(struct virtio_blk *blk, uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	int slot = virtio_blk_submit(blk, type, sector, data, len, 0);

	if (slot < 0)
		return -1;
	virtio_blk_kick(blk);
	return virtio_blk_complete(blk, slot);
}

int virtio_blk_do_range(struct virtio_blk *blk, uint32_t type, uint64_t sector, uint32_t count)
{
	int slot = virtio_blk_peek_slot(blk);
	struct virtio_blk_slot *s;
	struct virtq_buf bufs[3];

	if (slot < 0) {
		blk->vp.error = "no free request slot";
		return -1;
	}
	s = &blk->slots[slot];
	s->hdr = (struct virtio_blk_req_hdr){ type, 0, 0 };
	s->dwz = (struct virtio_blk_dwz){ sector, count, 0 };
	bufs[0] = (struct virtq_buf){ (uintptr_t)&s->hdr, sizeof(s->hdr), false };
	bufs[1] = (struct virtq_buf){ (uintptr_t)&s->dwz, sizeof(s->dwz), false };
	bufs[2] = (struct virtq_buf){ (uintptr_t)&s->status, 1, true };
	s->status = VIRTIO_BLK_S_NONE;
	if (virtio_blk_post(blk, slot, bufs, 3, 0) < 0)
		return -1;
	virtio_blk_kick(blk);
	return virtio_blk_complete(blk, slot);
}
