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
#include "fake_virtio.h"
#include "test.h"

#define RAM_SIZE    0x80000ull
#define DATA_GPA    0x10000ull
#define QSIZE       256

/* The queue's rings: descriptors at 0x1000, avail 0x3000, used 0x4000. */
static const struct fake_virtio_layout layout = {
	.ram_size = RAM_SIZE, .nr_vqs = 1, .qsize = QSIZE,
	.ring_base = 0x1000, .avail_off = 0x2000, .used_off = 0x3000,
};

struct fixture {
	struct fake_virtio fv;
};

static struct fixture *fx_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fake_virtio_init(&f->fv, &layout, NULL);
	fake_virtio_attach(&f->fv, virtio_rng_create(), 0);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	return f;
}

static void fx_destroy(struct fixture *f)
{
	f->fv.vdev->ops->destroy(f->fv.vdev);
	fake_virtio_fini(&f->fv);
	free(f);
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
	const struct virtio_dev_ops *ops = f->fv.vdev->ops;

	CHECK_EQ(ops->device_id, VIRTIO_ID_RNG);
	CHECK_EQ(ops->num_queues, 1);
	CHECK_EQ(ops->queue_max_size, 256);
	CHECK_EQ(ops->features, 0);
	CHECK_EQ(ops->config_size, 0);
	CHECK(f->fv.vdev->priv != NULL);
	fx_destroy(f);
}

static void test_rng_three_buffers(void)
{
	struct fixture *f = fx_create();

	fake_desc(&f->fv, 0, 10, DATA_GPA, 32, F_WRITE | F_NEXT, 20);
	fake_desc(&f->fv, 0, 20, DATA_GPA + 0x1000, 100, F_WRITE | F_NEXT, 30);
	fake_desc(&f->fv, 0, 30, DATA_GPA + 0x2000, 1000, F_WRITE, 0);
	fake_avail(&f->fv, 0, 10);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(fake_used_id(&f->fv, 0, 0), 10);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 1132);
	CHECK(!all_zero(f->fv.ram + DATA_GPA, 32));
	CHECK(!all_zero(f->fv.ram + DATA_GPA + 0x1000 + 68, 32));
	CHECK(!all_zero(f->fv.ram + DATA_GPA + 0x2000 + 968, 32));
	/* Nothing beyond the buffers is touched. */
	CHECK(all_zero(f->fv.ram + DATA_GPA + 32, 0x1000 - 32));
	CHECK(all_zero(f->fv.ram + DATA_GPA + 0x2000 + 1000, 0x1000));
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);

	/* A notify with nothing available signals nothing. */
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	fx_destroy(f);
}

static void test_rng_batch(void)
{
	struct fixture *f = fx_create();

	/* A readable header before the writable buffer is allowed (and ignored). */
	fake_desc(&f->fv, 0, 0, DATA_GPA, 16, F_NEXT, 1);
	fake_desc(&f->fv, 0, 1, DATA_GPA + 0x100, 8, F_WRITE, 0);
	fake_desc(&f->fv, 0, 2, DATA_GPA + 0x200, 64, F_WRITE, 0);
	fake_desc(&f->fv, 0, 3, DATA_GPA + 0x300, 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_avail(&f->fv, 0, 2);
	fake_avail(&f->fv, 0, 3);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 3);
	CHECK_EQ(fake_used_id(&f->fv, 0, 0), 0);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 8);
	CHECK_EQ(fake_used_id(&f->fv, 0, 1), 2);
	CHECK_EQ(fake_used_len(&f->fv, 0, 1), 64);
	CHECK_EQ(fake_used_id(&f->fv, 0, 2), 3);
	CHECK_EQ(fake_used_len(&f->fv, 0, 2), 1);
	CHECK(all_zero(f->fv.ram + DATA_GPA, 16));        /* readable: untouched */
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_rng_bounded(void)
{
	struct fixture *f = fx_create();

	/* 64 KiB + 64 KiB of writable space: only the first 64 KiB is filled. */
	fake_desc(&f->fv, 0, 0, DATA_GPA, 0x10000, F_WRITE | F_NEXT, 1);
	fake_desc(&f->fv, 0, 1, DATA_GPA + 0x10000, 0x10000, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 0x10000);
	CHECK(!all_zero(f->fv.ram + DATA_GPA + 0xffe0, 32));
	CHECK(all_zero(f->fv.ram + DATA_GPA + 0x10000, 0x10000));
	fx_destroy(f);
}

static void test_rng_readable_only(void)
{
	struct fixture *f = fx_create();

	fake_desc(&f->fv, 0, 0, DATA_GPA, 16, F_NEXT, 1);
	fake_desc(&f->fv, 0, 1, DATA_GPA + 0x100, 16, 0, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	/* Until reset, further notifies are ignored. */
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);

	/* After a reset (the transport clears the queue) the device works again. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fake_virtio_queue_reset(&f->fv, 0);
	fake_desc(&f->fv, 0, 0, DATA_GPA, 16, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 16);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);
}

static void test_rng_good_then_bad(void)
{
	struct fixture *f = fx_create();

	fake_desc(&f->fv, 0, 0, DATA_GPA, 16, F_WRITE, 0);
	fake_desc(&f->fv, 0, 1, DATA_GPA + 0x100, 16, F_WRITE | F_NEXT, 1);      /* self loop */
	fake_desc(&f->fv, 0, 2, DATA_GPA + 0x200, 16, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_avail(&f->fv, 0, 1);
	fake_avail(&f->fv, 0, 2);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK(all_zero(f->fv.ram + DATA_GPA + 0x200, 16));

	/* A malformed ring (avail idx jumps) is refused the same way. */
	fx_destroy(f);
	f = fx_create();
	put16(f->fv.ram + fake_avail_gpa(&f->fv, 0) + 2, QSIZE + 1);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);
}

static void test_rng_event_idx(void)
{
	struct fixture *f = fx_create();

	f->fv.vq[0].event_idx = true;
	fake_desc(&f->fv, 0, 0, DATA_GPA, 16, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 2);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	/* avail_event (after the used ring) tells the driver to notify at index 2. */
	CHECK_EQ(get16(f->fv.ram + fake_used_gpa(&f->fv, 0) + 4 + 8 * QSIZE), 2);
	fx_destroy(f);
}

static void test_rng_bad_queue(void)
{
	struct fixture *f = fx_create();

	fake_desc(&f->fv, 0, 0, DATA_GPA, 16, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 1);
	fake_notify(&f->fv, 0xffff);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 0);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	fx_destroy(f);
}

TEST_MAIN(test_rng_ops, test_rng_three_buffers, test_rng_batch, test_rng_bounded, test_rng_readable_only,
	  test_rng_good_then_bad, test_rng_event_idx, test_rng_bad_queue)
