/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng driven through its ops, with a fake guest RAM holding a
 * hand-built queue and a fake transport that records its calls.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_rng.h"
#include "le_bytes.h"
#include "test.h"

#define RAM_SIZE    0x80000ull
#define DESC_GPA    0x1000ull
#define AVAIL_GPA   0x3000ull
#define USED_GPA    0x4000ull
#define DATA_GPA    0x10000ull
#define QSIZE       256

#define F_NEXT      1
#define F_WRITE     2

struct fixture {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtq vq;
	struct virtio_dev *vdev;
	uint16_t avail_idx;
	int nr_signal_used;
	int nr_needs_reset;
	int nr_signal_config;
};

static struct fixture *fx_of(struct virtio_dev *vdev)
{
	return vdev->transport_priv;
}

static void fake_signal_used(struct virtio_dev *vdev, uint16_t q)
{
	CHECK_EQ(q, 0);
	fx_of(vdev)->nr_signal_used++;
}

static void fake_signal_config(struct virtio_dev *vdev)
{
	fx_of(vdev)->nr_signal_config++;
}

static void fake_needs_reset(struct virtio_dev *vdev)
{
	fx_of(vdev)->nr_needs_reset++;
}

static const struct virtio_transport_ops fake_transport = {
	.signal_used = fake_signal_used,
	.signal_config = fake_signal_config,
	.needs_reset = fake_needs_reset,
};

static struct fixture *fx_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->ram = aligned_alloc(4096, RAM_SIZE);
	memset(f->ram, 0, RAM_SIZE);
	CHECK_EQ(guest_mem_add(&f->mem, 0, RAM_SIZE, f->ram), 0);
	f->vq.mem = &f->mem;
	f->vq.state.size = QSIZE;
	f->vq.state.ready = 1;
	f->vq.state.desc_gpa = DESC_GPA;
	f->vq.state.avail_gpa = AVAIL_GPA;
	f->vq.state.used_gpa = USED_GPA;
	CHECK_EQ(virtq_validate(&f->vq), 0);
	f->vdev = virtio_rng_create();
	CHECK(f->vdev != NULL);
	f->vdev->queues = &f->vq;
	f->vdev->transport = &fake_transport;
	f->vdev->transport_priv = f;
	CHECK_EQ(f->vdev->ops->activate(f->vdev), 0);
	return f;
}

static void fx_destroy(struct fixture *f)
{
	f->vdev->ops->destroy(f->vdev);
	free(f->ram);
	free(f);
}


static void fx_desc(struct fixture *f, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = f->ram + DESC_GPA + 16ull * idx;

	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

static void fx_avail(struct fixture *f, uint16_t head)
{
	put16(f->ram + AVAIL_GPA + 4 + 2 * (f->avail_idx % QSIZE), head);
	f->avail_idx++;
	put16(f->ram + AVAIL_GPA + 2, f->avail_idx);
}

static void fx_notify(struct fixture *f, uint16_t q)
{
	f->vdev->ops->queue_notify(f->vdev, q);
}

static uint16_t used_idx(struct fixture *f)
{
	return get16(f->ram + USED_GPA + 2);
}

static uint32_t used_id(struct fixture *f, uint16_t i)
{
	return get32(f->ram + USED_GPA + 4 + 8 * (i % QSIZE));
}

static uint32_t used_len(struct fixture *f, uint16_t i)
{
	return get32(f->ram + USED_GPA + 8 + 8 * (i % QSIZE));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_rng_ops(void)
{
	struct fixture *f = fx_create();
	const struct virtio_dev_ops *ops = f->vdev->ops;

	CHECK_EQ(ops->device_id, VIRTIO_ID_RNG);
	CHECK_EQ(ops->num_queues, 1);
	CHECK_EQ(ops->queue_max_size, 256);
	CHECK_EQ(ops->features, 0);
	CHECK_EQ(ops->config_size, 0);
	CHECK(f->vdev->priv != NULL);
	fx_destroy(f);
}

static void test_rng_three_buffers(void)
{
	struct fixture *f = fx_create();

	fx_desc(f, 10, DATA_GPA, 32, F_WRITE | F_NEXT, 20);
	fx_desc(f, 20, DATA_GPA + 0x1000, 100, F_WRITE | F_NEXT, 30);
	fx_desc(f, 30, DATA_GPA + 0x2000, 1000, F_WRITE, 0);
	fx_avail(f, 10);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 1);
	CHECK_EQ(used_id(f, 0), 10);
	CHECK_EQ(used_len(f, 0), 1132);
	CHECK(!all_zero(f->ram + DATA_GPA, 32));
	CHECK(!all_zero(f->ram + DATA_GPA + 0x1000 + 68, 32));
	CHECK(!all_zero(f->ram + DATA_GPA + 0x2000 + 968, 32));
	/* Nothing beyond the buffers is touched. */
	CHECK(all_zero(f->ram + DATA_GPA + 32, 0x1000 - 32));
	CHECK(all_zero(f->ram + DATA_GPA + 0x2000 + 1000, 0x1000));
	CHECK_EQ(f->nr_signal_used, 1);
	CHECK_EQ(f->nr_needs_reset, 0);

	/* A notify with nothing available signals nothing. */
	fx_notify(f, 0);
	CHECK_EQ(f->nr_signal_used, 1);
	fx_destroy(f);
}

static void test_rng_batch(void)
{
	struct fixture *f = fx_create();

	/* A readable header before the writable buffer is allowed (and ignored). */
	fx_desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	fx_desc(f, 1, DATA_GPA + 0x100, 8, F_WRITE, 0);
	fx_desc(f, 2, DATA_GPA + 0x200, 64, F_WRITE, 0);
	fx_desc(f, 3, DATA_GPA + 0x300, 1, F_WRITE, 0);
	fx_avail(f, 0);
	fx_avail(f, 2);
	fx_avail(f, 3);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 3);
	CHECK_EQ(used_id(f, 0), 0);
	CHECK_EQ(used_len(f, 0), 8);
	CHECK_EQ(used_id(f, 1), 2);
	CHECK_EQ(used_len(f, 1), 64);
	CHECK_EQ(used_id(f, 2), 3);
	CHECK_EQ(used_len(f, 2), 1);
	CHECK(all_zero(f->ram + DATA_GPA, 16));        /* readable: untouched */
	CHECK_EQ(f->nr_signal_used, 1);
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_rng_bounded(void)
{
	struct fixture *f = fx_create();

	/* 64 KiB + 64 KiB of writable space: only the first 64 KiB is filled. */
	fx_desc(f, 0, DATA_GPA, 0x10000, F_WRITE | F_NEXT, 1);
	fx_desc(f, 1, DATA_GPA + 0x10000, 0x10000, F_WRITE, 0);
	fx_avail(f, 0);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 1);
	CHECK_EQ(used_len(f, 0), 0x10000);
	CHECK(!all_zero(f->ram + DATA_GPA + 0xffe0, 32));
	CHECK(all_zero(f->ram + DATA_GPA + 0x10000, 0x10000));
	fx_destroy(f);
}

static void test_rng_readable_only(void)
{
	struct fixture *f = fx_create();

	fx_desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	fx_desc(f, 1, DATA_GPA + 0x100, 16, 0, 0);
	fx_avail(f, 0);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 0);
	CHECK_EQ(f->nr_signal_used, 0);
	CHECK_EQ(f->nr_needs_reset, 1);
	/* Until reset, further notifies are ignored. */
	fx_notify(f, 0);
	CHECK_EQ(f->nr_needs_reset, 1);

	/* After a reset (the transport clears the queue) the device works again. */
	f->vdev->ops->reset(f->vdev);
	memset(&f->vq.state, 0, sizeof(f->vq.state));
	memset(f->ram + AVAIL_GPA, 0, 0x1000);
	f->avail_idx = 0;
	f->vq.state = (struct virtq_state){ .size = QSIZE, .ready = 1, .desc_gpa = DESC_GPA,
					    .avail_gpa = AVAIL_GPA, .used_gpa = USED_GPA };
	fx_desc(f, 0, DATA_GPA, 16, F_WRITE, 0);
	fx_avail(f, 0);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 1);
	CHECK_EQ(used_len(f, 0), 16);
	CHECK_EQ(f->nr_signal_used, 1);
	CHECK_EQ(f->nr_needs_reset, 1);
	fx_destroy(f);
}

static void test_rng_good_then_bad(void)
{
	struct fixture *f = fx_create();

	fx_desc(f, 0, DATA_GPA, 16, F_WRITE, 0);
	fx_desc(f, 1, DATA_GPA + 0x100, 16, F_WRITE | F_NEXT, 1);      /* self loop */
	fx_desc(f, 2, DATA_GPA + 0x200, 16, F_WRITE, 0);
	fx_avail(f, 0);
	fx_avail(f, 1);
	fx_avail(f, 2);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 1);
	CHECK_EQ(f->nr_signal_used, 1);
	CHECK_EQ(f->nr_needs_reset, 1);
	CHECK(all_zero(f->ram + DATA_GPA + 0x200, 16));

	/* A malformed ring (avail idx jumps) is refused the same way. */
	fx_destroy(f);
	f = fx_create();
	put16(f->ram + AVAIL_GPA + 2, QSIZE + 1);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 0);
	CHECK_EQ(f->nr_signal_used, 0);
	CHECK_EQ(f->nr_needs_reset, 1);
	fx_destroy(f);
}

static void test_rng_event_idx(void)
{
	struct fixture *f = fx_create();

	f->vq.event_idx = true;
	fx_desc(f, 0, DATA_GPA, 16, F_WRITE, 0);
	fx_avail(f, 0);
	fx_avail(f, 0);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 2);
	CHECK_EQ(f->nr_signal_used, 1);
	/* avail_event (after the used ring) tells the driver to notify at index 2. */
	CHECK_EQ(get16(f->ram + USED_GPA + 4 + 8 * QSIZE), 2);
	fx_destroy(f);
}

static void test_rng_bad_queue(void)
{
	struct fixture *f = fx_create();

	fx_desc(f, 0, DATA_GPA, 16, F_WRITE, 0);
	fx_avail(f, 0);
	fx_notify(f, 1);
	fx_notify(f, 0xffff);
	CHECK_EQ(used_idx(f), 0);
	CHECK_EQ(f->nr_signal_used, 0);
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_notify(f, 0);
	CHECK_EQ(used_idx(f), 1);
	fx_destroy(f);
}

TEST_MAIN(test_rng_ops, test_rng_three_buffers, test_rng_batch, test_rng_bounded, test_rng_readable_only,
	  test_rng_good_then_bad, test_rng_event_idx, test_rng_bad_queue)
