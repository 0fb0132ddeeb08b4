/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, driver side (virtio 1.2 section 2.7): descriptor table,
 * available and used rings in guest RAM (identity mapped: addresses are
 * guest-physical), a free list of descriptors, and waiting for the device
 * with an interrupt and a LAPIC-timer timeout. Transport-independent: the
 * transport tells it where the queue's notify register is.
 */
#ifndef VESSEL_GUEST_VIRTQUEUE_H
#define VESSEL_GUEST_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_MAX		256	/* our largest queue; the device may offer more */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_USED_F_NO_NOTIFY	1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* The rings of one queue, laid out with the alignment the spec asks for. */
struct virtq_mem {
	struct virtq_desc desc[VIRTQ_MAX];
	struct {
		uint16_t flags;
		uint16_t idx;
		uint16_t ring[VIRTQ_MAX];
		uint16_t used_event;
	} avail __attribute__((aligned(16)));
	struct {
		uint16_t flags;
		uint16_t idx;
		struct virtq_used_elem ring[VIRTQ_MAX];
		uint16_t avail_event;
	} used __attribute__((aligned(16)));
} __attribute__((aligned(4096)));

/* One buffer of a chain. */
struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool device_writes;
};

struct virtq {
	struct virtq_mem *mem;
	uint16_t index;		/* queue number on the device */
	uint16_t size;		/* power of two <= VIRTQ_MAX */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;	/* our copy of avail.idx */
	uint16_t last_used;	/* next used.idx entry to consume */
	uint16_t chain_len[VIRTQ_MAX];	/* by head: descriptors to free */
	uint64_t notify_gpa;	/* set by the transport */
	uint16_t notify_data;
	const volatile uint32_t *irq_count;	/* counter of the queue's vector, or NULL */
	bool event_idx;		/* VIRTIO_F_RING_EVENT_IDX negotiated (set by the transport) */
	uint16_t kicked_idx;	/* avail_idx at the last virtq_kick() */
	uint32_t notifies;	/* notify writes actually sent */
};

/* Zero the rings and chain all descriptors into the free list. */
void virtq_init(struct virtq *vq, struct virtq_mem *mem, uint16_t index, uint16_t size);
/* Add a chain of n buffers and make it available. Head id, or -1 if full. */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, uint16_t n);
/*
 * Tell the device about everything added since the last kick: one MMIO
 * write, skipped when the device said it doesn't need one (avail_event with
 * EVENT_IDX, else used.flags NO_NOTIFY).
 */
void virtq_kick(struct virtq *vq);
/*
 * Ask for an interrupt at the next completion (used_event with EVENT_IDX;
 * without it the device interrupts anyway). Returns true if a used entry is
 * already there, so the caller must not sleep.
 */
bool virtq_arm_irq(struct virtq *vq);
bool virtq_has_used(const struct virtq *vq);
/* Take the next used chain, free its descriptors. Head id (len: bytes written), or -1. */
int virtq_get_used(struct virtq *vq, uint32_t *len);
/*
 * Sleep until the device used a chain (interrupt) or timeout_ms passed,
 * checking the used ring after every wake-up so a missing interrupt only
 * costs time. 0, or -1 on timeout. *irqs gets the queue interrupts seen.
 */
int virtq_wait(struct virtq *vq, uint32_t timeout_ms, uint32_t *irqs);

#endif
