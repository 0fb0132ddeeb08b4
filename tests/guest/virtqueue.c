// SPDX-License-Identifier: MIT
/* Split virtqueue driver side: free list, available ring, used ring, waiting. */
#include "apic.h"
#include "guest.h"
#include "lib.h"
#include "sys.h"
#include "virtqueue.h"

/* One LAPIC timer slice of a wait; also how late a lost interrupt makes us. */
#define VIRTQ_WAIT_SLICE_NS	10000000u

void virtq_init(struct virtq *vq, struct virtq_mem *mem, uint16_t index, uint16_t size)
{
	uint16_t i;

	memset(mem, 0, sizeof(*mem));
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->index = index;
	vq->size = size;
	for (i = 0; i + 1 < size; i++)
		mem->desc[i].next = i + 1;
	vq->num_free = size;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, uint16_t n)
{
	uint16_t head = vq->free_head, id = head, i;
	struct virtq_desc *d = NULL;

	if (!n || n > vq->num_free)
		return -1;
	for (i = 0; i < n; i++) {
		d = &vq->mem->desc[id];
		d->addr = bufs[i].gpa;
		d->len = bufs[i].len;
		d->flags = (bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			   (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		id = d->next;
	}
	vq->free_head = id;
	vq->num_free -= n;
	vq->chain_len[head] = n;
	vq->mem->avail.ring[vq->avail_idx % vq->size] = head;
	/* Descriptors and ring entry before the index the device polls (x86: stores stay ordered). */
	barrier();
	vq->mem->avail.idx = ++vq->avail_idx;
	return head;
}

/* avail.used_event and used.avail_event sit right after rings of the negotiated size. */
static volatile uint16_t *virtq_used_event(struct virtq *vq)
{
	return (volatile uint16_t *)vq->mem->avail.ring + vq->size;
}

static volatile uint16_t *virtq_avail_event(struct virtq *vq)
{
	return (volatile uint16_t *)(vq->mem->used.ring + vq->size);
}

void virtq_kick(struct virtq *vq)
{
	uint16_t old = vq->kicked_idx, now = vq->avail_idx;

	/* The index store must be visible before we read the device's hint. */
	mb();
	vq->kicked_idx = now;
	if (vq->event_idx) {
		uint16_t ev = *virtq_avail_event(vq);

		/* vring_need_event(): did we pass avail_event since the last kick? */
		if ((uint16_t)(now - ev - 1) >= (uint16_t)(now - old))
			return;
	} else if (*(volatile uint16_t *)&vq->mem->used.flags & VIRTQ_USED_F_NO_NOTIFY) {
		return;
	}
	vq->notifies++;
	mmio_write16(vq->notify_gpa, vq->notify_data);
}

bool virtq_arm_irq(struct virtq *vq)
{
	if (vq->event_idx) {
		*virtq_used_event(vq) = vq->last_used;
		/* Publish before re-checking: a completion in between is seen here. */
		mb();
	}
	return virtq_has_used(vq);
}

bool virtq_has_used(const struct virtq *vq)
{
	return *(volatile uint16_t *)&vq->mem->used.idx != vq->last_used;
}

int virtq_get_used(struct virtq *vq, uint32_t *len)
{
	struct virtq_used_elem e;
	uint16_t id, n, count;

	if (!virtq_has_used(vq))
		return -1;
	barrier();
	e = vq->mem->used.ring[vq->last_used % vq->size];
	vq->last_used++;
	if (len)
		*len = e.len;
	/* The device may write anything here: free only what we handed out. */
	if (e.id >= vq->size || !vq->chain_len[e.id])
		return -1;
	id = (uint16_t)e.id;
	n = count = vq->chain_len[id];
	vq->chain_len[id] = 0;
	while (--n)
		id = vq->mem->desc[id].next;
	vq->mem->desc[id].next = vq->free_head;
	vq->free_head = (uint16_t)e.id;
	vq->num_free += count;
	return (int)e.id;
}

int virtq_wait(struct virtq *vq, uint32_t timeout_ms, uint32_t *irqs)
{
	uint32_t slices = (timeout_ms * 1000000ull + VIRTQ_WAIT_SLICE_NS - 1) / VIRTQ_WAIT_SLICE_NS;
	uint32_t irq0 = vq->irq_count ? *vq->irq_count : 0;
	uint32_t timer0 = irq_counts[VEC_TIMER - VEC_COUNTED_BASE];
	int ret = 0;

	/*
	 * With EVENT_IDX a completion that came before used_event was set sent
	 * no interrupt: sleeping would only cost a timer slice.
	 */
	if (vq->event_idx && virtq_arm_irq(vq))
		goto out;
	/*
	 * Wait first, then look: a completion's MSI is pending in the LAPIC
	 * (IF=0 in user mode) and sys_wait takes it at once, so it is counted.
	 */
	for (;;) {
		lapic_timer_oneshot(VEC_TIMER, VIRTQ_WAIT_SLICE_NS);
		sys_wait();
		if (virtq_has_used(vq))
			break;
		if (irq_counts[VEC_TIMER - VEC_COUNTED_BASE] - timer0 >= slices) {
			ret = -1;
			break;
		}
	}
	lapic_timer_oneshot(VEC_TIMER, 0);
out:
	if (irqs)
		*irqs = vq->irq_count ? *vq->irq_count - irq0 : 0;
	return ret;
}
