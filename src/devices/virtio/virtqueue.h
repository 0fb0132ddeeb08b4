/* SPDX-License-Identifier: MIT */
/*
 * A virtio 1.x split virtqueue, read and written in guest memory. Everything
 * in the rings is guest-controlled: every index, address, length and flag is
 * validated here, and a bad chain is refused (the caller then marks the
 * device NEEDS_RESET), never trusted.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTQUEUE_H
#define VESSEL_DEVICES_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"

#define VIRTQ_MAX_SIZE   32768
#define VIRTQ_CHAIN_MAX  1024      /* longest chain (incl. indirect) a device accepts */

/* Guest-visible queue state: what the transport programs and what migrates. */
struct virtq_state {
	uint16_t size;              /* power of two, <= the device maximum */
	uint16_t ready;
	uint16_t msix_vector;
	uint16_t last_avail_idx;    /* next avail entry the device will take */
	uint16_t used_idx;          /* next used entry the device will write */
	uint16_t signalled_used;    /* used_idx at the last interrupt (event idx) */
	uint16_t signalled_used_valid;
	uint16_t pad;
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
};

struct virtq {
	struct virtq_state state;
	const struct guest_mem *mem;
	bool event_idx;             /* VIRTIO_F_RING_EVENT_IDX negotiated */
};

/* One request: the buffers of a descriptor chain, device-readable ones first. */
struct virtq_chain {
	uint16_t head;
	uint16_t nr_out;            /* device-readable buffers: iov[0 .. nr_out) */
	uint16_t nr_in;             /* device-writable buffers: iov[nr_out .. nr_out + nr_in) */
	uint32_t out_len;           /* total bytes readable */
	uint32_t in_len;            /* total bytes writable */
	struct iovec iov[VIRTQ_CHAIN_MAX];
};

/*
 * Checks the ring addresses and size against guest memory (called when the
 * driver enables the queue). 0 or -EINVAL.
 */
int virtq_validate(const struct virtq *vq);

/*
 * Takes the next available chain: 1 with chain filled, 0 if the ring is
 * empty, -EINVAL if the ring or the chain is malformed (index beyond the
 * ring, buffer outside guest RAM, loop, chain too long, writable buffer
 * before a readable one, bad indirect table). Descriptors are read once, so
 * the guest cannot change them under the device. Handles indirect tables.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/* Returns a chain to the driver with written bytes in its writable buffers. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * Batched returns, published at once (a merged-buffer frame must appear
 * whole): virtq_fill() writes used element i of the batch, virtq_flush()
 * publishes the first n.
 */
void virtq_fill(struct virtq *vq, uint16_t i, uint16_t head, uint32_t written);
void virtq_flush(struct virtq *vq, uint16_t n);

/* Gives back the last n chains virtq_pop() took, to be popped again later. */
void virtq_unpop(struct virtq *vq, uint16_t n);

/*
 * After one or more pushes: whether the driver wants an interrupt now (event
 * idx: used_event; otherwise the avail ring's NO_INTERRUPT flag).
 */
bool virtq_should_notify(struct virtq *vq);

/* With event idx: tells the driver which avail index should notify us next. */
void virtq_set_avail_event(struct virtq *vq);

/*
 * With event idx: asks for a notification when the driver adds a buffer
 * beyond those already available, for a device that has given chains back
 * (virtq_unpop) and waits for more room.
 */
void virtq_notify_on_next_avail(struct virtq *vq);

/*
 * Asks the driver to notify on new buffers, or to stop notifying (used
 * ring flag NO_NOTIFY, or with event idx avail_event), with the fence that
 * orders it before the caller's next look at the avail ring.
 */
void virtq_enable_notify(struct virtq *vq, bool enable);

/*
 * Serves a queue until it is empty. drain(ctx, served) pops and answers
 * chains, counting them in *served; 0 or -errno to stop. Notifications are
 * off while it drains; they are turned back on and the queue drained again
 * (the driver may have added a chain before it saw them on), until a pass
 * finds nothing. 0, or drain's error.
 */
typedef int (*virtq_drain_fn)(void *ctx, unsigned int *served);
int virtq_serve(struct virtq *vq, virtq_drain_fn drain, void *ctx, unsigned int *served);

/* Copies up to len bytes from the chain's readable buffers, starting at offset. */
uint32_t virtq_chain_read(const struct virtq_chain *chain, uint32_t offset, void *dst, uint32_t len);
/* Copies up to len bytes into the chain's writable buffers, starting at offset. */
uint32_t virtq_chain_write(const struct virtq_chain *chain, uint32_t offset, const void *src, uint32_t len);

#endif
