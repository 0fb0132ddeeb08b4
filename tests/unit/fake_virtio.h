/* SPDX-License-Identifier: MIT */
/*
 * What the virtio device unit tests share: fake guest RAM at gpa 0 with
 * split queues hand-built in it, and a fake transport that counts its calls.
 *
 * Queue q's descriptor table is at ring_base + ring_stride * q, its avail
 * and used rings at avail_off and used_off past that. The transport lock is
 * a recursive mutex with a depth count (a test may hold it around a device
 * callback, as virtio-pci does, and the device may take it again).
 *
 * A test's fixture starts with a struct fake_virtio, so the transport's
 * transport_priv is the fixture too:
 *
 *	struct fixture { struct fake_virtio fv; ... };
 *	fake_virtio_init(&f->fv, &layout, NULL);
 *	fake_virtio_attach(&f->fv, vdev, features);
 */
#ifndef VESSEL_TESTS_UNIT_FAKE_VIRTIO_H
#define VESSEL_TESTS_UNIT_FAKE_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_mem.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtqueue.h"
#include "le_bytes.h"
#include "test.h"

#define FAKE_VIRTIO_MAX_VQS 17      /* virtio-net's 8 queue pairs and its control queue */

/* Descriptor flags (2.7.5). */
#define F_NEXT      1
#define F_WRITE     2
#define F_INDIRECT  4

struct fake_virtio_layout {
	uint64_t ram_size;
	uint16_t nr_vqs;            /* queues set up and ready */
	uint16_t qsize;
	uint64_t ring_base;         /* queue 0's descriptor table */
	uint64_t ring_stride;       /* from one queue's descriptor table to the next one's */
	uint64_t avail_off;         /* a queue's avail ring, past its descriptor table */
	uint64_t used_off;          /* its used ring */
	uint64_t data_gpa;          /* where fake_desc_new() hands out buffers */
};

struct fake_virtio {
	struct fake_virtio_layout l;
	struct guest_mem mem;
	uint8_t *ram;
	bool own_ram;
	struct virtq vq[FAKE_VIRTIO_MAX_VQS];
	struct virtio_dev *vdev;
	uint16_t avail_idx[FAKE_VIRTIO_MAX_VQS];    /* what the guest published */
	uint16_t next_desc[FAKE_VIRTIO_MAX_VQS];    /* fake_desc_new()'s next descriptor */
	uint64_t next_data;                         /* and its next buffer */
	/* The transport's calls. */
	int nr_signal_used[FAKE_VIRTIO_MAX_VQS];
	int nr_signal_config;
	int nr_needs_reset;
	int lock_depth;
	bool signal_needs_lock;     /* signal_used outside the lock fails the test */
	pthread_mutex_t lock;
};

static inline struct fake_virtio *fake_virtio_of(struct virtio_dev *vdev)
{
	return vdev->transport_priv;
}

static inline void fake_virtio_signal_used(struct virtio_dev *vdev, uint16_t q)
{
	struct fake_virtio *fv = fake_virtio_of(vdev);

	CHECK(q < vdev->ops->num_queues && q < FAKE_VIRTIO_MAX_VQS);
	if (fv->signal_needs_lock)
		CHECK(fv->lock_depth > 0);
	fv->nr_signal_used[q % FAKE_VIRTIO_MAX_VQS]++;
}

static inline void fake_virtio_signal_config(struct virtio_dev *vdev)
{
	fake_virtio_of(vdev)->nr_signal_config++;
}

static inline void fake_virtio_needs_reset(struct virtio_dev *vdev)
{
	fake_virtio_of(vdev)->nr_needs_reset++;
}

static inline void fake_virtio_lock(struct virtio_dev *vdev)
{
	struct fake_virtio *fv = fake_virtio_of(vdev);

	pthread_mutex_lock(&fv->lock);
	fv->lock_depth++;
}

static inline void fake_virtio_unlock(struct virtio_dev *vdev)
{
	struct fake_virtio *fv = fake_virtio_of(vdev);

	CHECK(fv->lock_depth > 0);
	fv->lock_depth--;
	pthread_mutex_unlock(&fv->lock);
}

static const struct virtio_transport_ops fake_virtio_transport = {
	.signal_used = fake_virtio_signal_used,
	.signal_config = fake_virtio_signal_config,
	.needs_reset = fake_virtio_needs_reset,
	.lock = fake_virtio_lock,
	.unlock = fake_virtio_unlock,
};

static inline uint64_t fake_desc_gpa(const struct fake_virtio *fv, uint16_t q)
{
	return fv->l.ring_base + fv->l.ring_stride * q;
}

static inline uint64_t fake_avail_gpa(const struct fake_virtio *fv, uint16_t q)
{
	return fake_desc_gpa(fv, q) + fv->l.avail_off;
}

static inline uint64_t fake_used_gpa(const struct fake_virtio *fv, uint16_t q)
{
	return fake_desc_gpa(fv, q) + fv->l.used_off;
}

/* Queue q ready at its rings, which are cleared, and nothing published on it yet. */
static inline void fake_virtio_queue_reset(struct fake_virtio *fv, uint16_t q)
{
	uint64_t end = fv->l.used_off + 6 + 8ull * fv->l.qsize;

	memset(fv->ram + fake_desc_gpa(fv, q), 0, end);
	fv->vq[q] = (struct virtq){ .mem = &fv->mem };
	fv->vq[q].state = (struct virtq_state){ .size = fv->l.qsize, .ready = 1, .desc_gpa = fake_desc_gpa(fv, q),
						.avail_gpa = fake_avail_gpa(fv, q), .used_gpa = fake_used_gpa(fv, q) };
	CHECK_EQ(virtq_validate(&fv->vq[q]), 0);
	fv->avail_idx[q] = 0;
	fv->next_desc[q] = 0;
}

/* RAM (ram, or zeroed memory of its own if NULL) registered at gpa 0, and every queue of l ready. */
static inline void fake_virtio_init(struct fake_virtio *fv, const struct fake_virtio_layout *l, uint8_t *ram)
{
	pthread_mutexattr_t attr;

	CHECK(l->nr_vqs <= FAKE_VIRTIO_MAX_VQS);
	fv->l = *l;
	fv->own_ram = !ram;
	fv->ram = ram ? ram : aligned_alloc(4096, l->ram_size);
	CHECK(fv->ram != NULL);
	if (fv->own_ram)
		memset(fv->ram, 0, l->ram_size);
	CHECK_EQ(guest_mem_add(&fv->mem, 0, l->ram_size, fv->ram), 0);
	for (uint16_t q = 0; q < l->nr_vqs; q++)
		fake_virtio_queue_reset(fv, q);
	fv->next_data = l->data_gpa;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&fv->lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

/* vdev on the fake transport, over fv's queues, with driver_features set (not activated yet). */
static inline void fake_virtio_attach(struct fake_virtio *fv, struct virtio_dev *vdev, uint64_t driver_features)
{
	CHECK(vdev != NULL);
	fv->vdev = vdev;
	vdev->queues = fv->vq;
	vdev->transport = &fake_virtio_transport;
	vdev->transport_priv = fv;
	vdev->driver_features = driver_features;
}

/* Device callbacks run under the transport lock, as virtio-pci calls them. */
static inline int fake_virtio_activate(struct fake_virtio *fv)
{
	int ret;

	fake_virtio_lock(fv->vdev);
	ret = fv->vdev->ops->activate(fv->vdev);
	fake_virtio_unlock(fv->vdev);
	return ret;
}

static inline void fake_notify(struct fake_virtio *fv, uint16_t q)
{
	fake_virtio_lock(fv->vdev);
	fv->vdev->ops->queue_notify(fv->vdev, q);
	fake_virtio_unlock(fv->vdev);
}

/* Undoes fake_virtio_init() (the device is the test's to destroy, first); the lock must be free. */
static inline void fake_virtio_fini(struct fake_virtio *fv)
{
	CHECK_EQ(fv->lock_depth, 0);
	pthread_mutex_destroy(&fv->lock);
	if (fv->own_ram)
		free(fv->ram);
}

/* Descriptor idx of the table at table_gpa (a queue's, or an indirect one). */
static inline void fake_desc_at(struct fake_virtio *fv, uint64_t table_gpa, uint16_t idx, uint64_t addr,
				uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = fv->ram + table_gpa + 16ull * idx;

	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

static inline void fake_desc(struct fake_virtio *fv, uint16_t q, uint16_t idx, uint64_t addr, uint32_t len,
			     uint16_t flags, uint16_t next)
{
	fake_desc_at(fv, fake_desc_gpa(fv, q), idx, addr, len, flags, next);
}

/*
 * The next descriptor of queue q (in ring order, next pointing at the one
 * after) for a fresh buffer of len bytes from data_gpa up; returns its index,
 * the buffer's gpa in *gpa. Buffers start over at data_gpa when RAM runs
 * out: the test is done with the old ones by then.
 */
static inline uint16_t fake_desc_new(struct fake_virtio *fv, uint16_t q, uint32_t len, uint16_t flags,
				     uint64_t *gpa)
{
	uint16_t idx = fv->next_desc[q]++ % fv->l.qsize;

	if (fv->next_data + len >= fv->l.ram_size)
		fv->next_data = fv->l.data_gpa;
	*gpa = fv->next_data;
	fv->next_data += (len + 15) & ~15u;
	fake_desc(fv, q, idx, *gpa, len, flags, (uint16_t)((idx + 1) % fv->l.qsize));
	return idx;
}

/* Publishes the chain at head on queue q's avail ring. */
static inline void fake_avail(struct fake_virtio *fv, uint16_t q, uint16_t head)
{
	uint8_t *avail = fv->ram + fake_avail_gpa(fv, q);

	put16(avail + 4 + 2 * (fv->avail_idx[q] % fv->l.qsize), head);
	fv->avail_idx[q]++;
	put16(avail + 2, fv->avail_idx[q]);
}

static inline uint16_t fake_used_idx(const struct fake_virtio *fv, uint16_t q)
{
	return get16(fv->ram + fake_used_gpa(fv, q) + 2);
}

/* The head and the length of used element i (counted from the start, wrapping). */
static inline uint32_t fake_used_id(const struct fake_virtio *fv, uint16_t q, uint16_t i)
{
	return get32(fv->ram + fake_used_gpa(fv, q) + 4 + 8 * (i % fv->l.qsize));
}

static inline uint32_t fake_used_len(const struct fake_virtio *fv, uint16_t q, uint16_t i)
{
	return get32(fv->ram + fake_used_gpa(fv, q) + 8 + 8 * (i % fv->l.qsize));
}

#endif
