/* SPDX-License-Identifier: MIT */
/*
 * virtio-console driven through its ops and virtio_console_receive(), with
 * a fake guest RAM holding hand-built rx and tx queues, a fake transport
 * that records its calls, and an output sink that collects what the guest
 * wrote.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_console.h"
#include "fake_virtio.h"
#include "test.h"

#define RAM_SIZE    0x80000ull
#define QSIZE       16
#define DATA_GPA    0x10000ull

/* Queue q's rings: rx (0) at 0x1000.., tx (1) at 0x5000.. */
static const struct fake_virtio_layout layout = {
	.ram_size = RAM_SIZE, .nr_vqs = 2, .qsize = QSIZE,
	.ring_base = 0x1000, .ring_stride = 0x4000, .avail_off = 0x1000, .used_off = 0x2000,
};

struct fixture {
	struct fake_virtio fv;
	uint8_t out[4096];
	size_t out_len;
	int nr_out_calls;
};

static void fake_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct fixture *f = ctx;

	CHECK(f->out_len + len <= sizeof(f->out));
	if (f->out_len + len <= sizeof(f->out)) {
		memcpy(f->out + f->out_len, buf, len);
		f->out_len += len;
	}
	f->nr_out_calls++;
}

/* After a device reset: both queues' rings cleared, as a driver sets them up again. */
static void fx_queues_init(struct fixture *f)
{
	for (uint16_t q = 0; q < layout.nr_vqs; q++)
		fake_virtio_queue_reset(&f->fv, q);
}

static struct fixture *fx_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_console_config cfg = { .cols = 132, .rows = 43, .out = fake_out };

	fake_virtio_init(&f->fv, &layout, NULL);
	f->fv.signal_needs_lock = true;         /* receive must take the lock */
	cfg.out_ctx = f;
	fake_virtio_attach(&f->fv, virtio_console_create(&cfg), 0);
	return f;
}

static void fx_activate(struct fixture *f)
{
	f->fv.vdev->driver_features = f->fv.vdev->ops->features | 1ull << VIRTIO_F_VERSION_1;
	CHECK_EQ(fake_virtio_activate(&f->fv), 0);
}

static void fx_destroy(struct fixture *f)
{
	CHECK_EQ(f->fv.lock_depth, 0);
	f->fv.vdev->ops->destroy(f->fv.vdev);
	fake_virtio_fini(&f->fv);
	free(f);
}

/* Puts text in guest RAM at gpa and returns gpa. */
static uint64_t fx_text(struct fixture *f, uint64_t gpa, const char *text)
{
	memcpy(f->fv.ram + gpa, text, strlen(text));
	return gpa;
}

static void test_console_ops_and_config(void)
{
	struct fixture *f = fx_create();
	const struct virtio_dev_ops *ops = f->fv.vdev->ops;
	uint8_t cfg[16];
	uint16_t v16;

	CHECK_EQ(ops->device_id, VIRTIO_ID_CONSOLE);
	CHECK_EQ(ops->num_queues, 2);
	CHECK_EQ(ops->queue_max_size, 256);
	CHECK(ops->features & (1ull << VIRTIO_CONSOLE_F_SIZE));
	CHECK(ops->features & (1ull << VIRTIO_CONSOLE_F_EMERG_WRITE));
	CHECK(!(ops->features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT)));
	CHECK_EQ(ops->config_size, 12);

	memset(cfg, 0xaa, sizeof(cfg));
	ops->config_read(f->fv.vdev, 0, cfg, 12);
	CHECK_EQ(get16(cfg + 0), 132);
	CHECK_EQ(get16(cfg + 2), 43);
	CHECK_EQ(get32(cfg + 4), 1);
	CHECK_EQ(get32(cfg + 8), 0);
	/* Partial and out-of-range reads. */
	ops->config_read(f->fv.vdev, 2, &v16, 2);
	CHECK_EQ(le16toh(v16), 43);
	memset(cfg, 0xaa, sizeof(cfg));
	ops->config_read(f->fv.vdev, 10, cfg, 4);
	CHECK_EQ(get32(cfg), 0);
	ops->config_read(f->fv.vdev, 100, cfg, 4);
	CHECK_EQ(get32(cfg), 0);

	/* Writes to read-only fields change nothing. */
	put16(cfg, 7);
	ops->config_write(f->fv.vdev, 0, cfg, 2);
	ops->config_read(f->fv.vdev, 0, &v16, 2);
	CHECK_EQ(le16toh(v16), 132);
	CHECK_EQ(f->out_len, 0);

	/* Emergency write: one character per write, even before DRIVER_OK. */
	put32(cfg, 'H');
	ops->config_write(f->fv.vdev, 8, cfg, 4);
	put32(cfg, 'i');
	ops->config_write(f->fv.vdev, 8, cfg, 4);
	CHECK_EQ(f->out_len, 2);
	CHECK(!memcmp(f->out, "Hi", 2));

	/* A resize before DRIVER_OK changes config without an interrupt; after it, with one. */
	virtio_console_set_size(f->fv.vdev, 100, 30);
	CHECK_EQ(f->fv.nr_signal_config, 0);
	fx_activate(f);
	virtio_console_set_size(f->fv.vdev, 100, 30);
	CHECK_EQ(f->fv.nr_signal_config, 0);
	virtio_console_set_size(f->fv.vdev, 120, 40);
	CHECK_EQ(f->fv.nr_signal_config, 1);
	ops->config_read(f->fv.vdev, 0, cfg, 4);
	CHECK_EQ(get16(cfg), 120);
	CHECK_EQ(get16(cfg + 2), 40);
	fx_destroy(f);
}

static void test_console_tx(void)
{
	struct fixture *f = fx_create();

	fx_activate(f);
	/* Two chains: one buffer, then two buffers; output keeps their order. */
	fake_desc(&f->fv, 1, 3, fx_text(f, DATA_GPA, "hello "), 6, 0, 0);
	fake_desc(&f->fv, 1, 5, fx_text(f, DATA_GPA + 0x100, "wor"), 3, F_NEXT, 6);
	fake_desc(&f->fv, 1, 6, fx_text(f, DATA_GPA + 0x200, "ld\n"), 3, 0, 0);
	fake_avail(&f->fv, 1, 3);
	fake_avail(&f->fv, 1, 5);
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 12);
	CHECK(!memcmp(f->out, "hello world\n", 12));
	CHECK_EQ(fake_used_idx(&f->fv, 1), 2);
	CHECK_EQ(fake_used_id(&f->fv, 1, 0), 3);
	CHECK_EQ(fake_used_len(&f->fv, 1, 0), 0);
	CHECK_EQ(fake_used_id(&f->fv, 1, 1), 5);
	CHECK_EQ(fake_used_len(&f->fv, 1, 1), 0);
	CHECK_EQ(f->fv.nr_signal_used[1], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);

	/* Nothing new: no output, no interrupt. */
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->fv.nr_signal_used[1], 1);
	CHECK_EQ(f->out_len, 12);
	/* A notify on a queue that does not exist is ignored. */
	fake_notify(&f->fv, 7);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_console_tx_before_driver_ok(void)
{
	struct fixture *f = fx_create();

	/* Output queued before DRIVER_OK is written once the device is activated. */
	fake_desc(&f->fv, 1, 0, fx_text(f, DATA_GPA, "early"), 5, 0, 0);
	fake_avail(&f->fv, 1, 0);
	CHECK_EQ(f->out_len, 0);
	fx_activate(f);
	CHECK_EQ(f->out_len, 5);
	CHECK(!memcmp(f->out, "early", 5));
	CHECK_EQ(fake_used_idx(&f->fv, 1), 1);
	fx_destroy(f);
}

static void test_console_rx(void)
{
	struct fixture *f = fx_create();
	const uint8_t *in = (const uint8_t *)"0123456789abcdefghij";

	/* Not activated: nothing is taken. */
	fake_desc(&f->fv, 0, 0, DATA_GPA, 8, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, in, 5), 0);
	CHECK(!virtio_console_rx_ready(f->fv.vdev));
	fx_activate(f);
	CHECK(virtio_console_rx_ready(f->fv.vdev));

	/* Short input: one buffer, partly filled. */
	CHECK_EQ(virtio_console_receive(f->fv.vdev, in, 5), 5);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(fake_used_id(&f->fv, 0, 0), 0);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 5);
	CHECK(!memcmp(f->fv.ram + DATA_GPA, "01234", 5));
	CHECK_EQ(f->fv.nr_signal_used[0], 1);

	/* None posted: 0 taken, nothing signalled, the caller keeps its input. */
	CHECK(!virtio_console_rx_ready(f->fv.vdev));
	CHECK_EQ(virtio_console_receive(f->fv.vdev, in, 20), 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.lock_depth, 0);

	/* Input spread over several buffers (one of them a two-buffer chain); the rest waits. */
	fake_desc(&f->fv, 0, 1, DATA_GPA + 0x100, 4, F_WRITE, 0);
	fake_desc(&f->fv, 0, 2, DATA_GPA + 0x200, 3, F_WRITE | F_NEXT, 3);
	fake_desc(&f->fv, 0, 3, DATA_GPA + 0x300, 3, F_WRITE, 0);
	fake_avail(&f->fv, 0, 1);
	fake_avail(&f->fv, 0, 2);
	CHECK(virtio_console_rx_ready(f->fv.vdev));
	CHECK_EQ(virtio_console_receive(f->fv.vdev, in, 20), 10);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 3);
	CHECK_EQ(fake_used_len(&f->fv, 0, 1), 4);
	CHECK_EQ(fake_used_id(&f->fv, 0, 2), 2);
	CHECK_EQ(fake_used_len(&f->fv, 0, 2), 6);
	CHECK(!memcmp(f->fv.ram + DATA_GPA + 0x100, "0123", 4));
	CHECK(!memcmp(f->fv.ram + DATA_GPA + 0x200, "456", 3));
	CHECK(!memcmp(f->fv.ram + DATA_GPA + 0x300, "789", 3));
	CHECK_EQ(f->fv.nr_signal_used[0], 2);
	CHECK_EQ(f->fv.nr_needs_reset, 0);

	/* The remainder goes in when the driver posts another buffer. */
	fake_desc(&f->fv, 0, 4, DATA_GPA + 0x400, 64, F_WRITE, 0);
	fake_avail(&f->fv, 0, 4);
	fake_notify(&f->fv, VIRTIO_CONSOLE_RXQ);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, in + 10, 10), 10);
	CHECK(!memcmp(f->fv.ram + DATA_GPA + 0x400, "abcdefghij", 10));
	CHECK_EQ(fake_used_len(&f->fv, 0, 3), 10);

	/* After a reset the device takes nothing until DRIVER_OK again. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fake_desc(&f->fv, 0, 5, DATA_GPA + 0x500, 64, F_WRITE, 0);
	fake_avail(&f->fv, 0, 5);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, in, 4), 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 4);
	fx_destroy(f);
}

static void test_console_rx_queue_not_ready(void)
{
	struct fixture *f = fx_create();

	f->fv.vq[0].state.ready = 0;
	fx_activate(f);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, (const uint8_t *)"x", 1), 0);
	CHECK(!virtio_console_rx_ready(f->fv.vdev));
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_console_rx_event_idx(void)
{
	struct fixture *f = fx_create();

	f->fv.vq[0].event_idx = true;
	fx_activate(f);
	fake_desc(&f->fv, 0, 0, DATA_GPA, 4, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, (const uint8_t *)"abcdef", 6), 4);
	/* Out of buffers: avail_event asks the driver to notify at its next one. */
	CHECK_EQ(get16(f->fv.ram + fake_used_gpa(&f->fv, 0) + 4 + 8 * QSIZE), 1);
	fx_destroy(f);
}

static void test_console_malformed_tx(void)
{
	struct fixture *f = fx_create();

	fx_activate(f);
	/* A good chain, then one with a device-writable buffer, then a good one. */
	fake_desc(&f->fv, 1, 0, fx_text(f, DATA_GPA, "ok"), 2, 0, 0);
	fake_desc(&f->fv, 1, 1, DATA_GPA + 0x100, 4, F_NEXT, 2);
	fake_desc(&f->fv, 1, 2, DATA_GPA + 0x200, 4, F_WRITE, 0);
	fake_desc(&f->fv, 1, 3, fx_text(f, DATA_GPA + 0x300, "late"), 4, 0, 0);
	fake_avail(&f->fv, 1, 0);
	fake_avail(&f->fv, 1, 1);
	fake_avail(&f->fv, 1, 3);
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 2);
	CHECK_EQ(fake_used_idx(&f->fv, 1), 1);
	CHECK_EQ(f->fv.nr_signal_used[1], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	/* Broken until reset: no more output, no input taken. */
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 2);
	fake_desc(&f->fv, 0, 0, DATA_GPA + 0x400, 8, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, (const uint8_t *)"x", 1), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);

	/* Reset, set the queues up again: works. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fx_queues_init(f);
	fx_activate(f);
	fake_desc(&f->fv, 1, 0, fx_text(f, DATA_GPA, "again"), 5, 0, 0);
	fake_avail(&f->fv, 1, 0);
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 7);
	CHECK(!memcmp(f->out, "okagain", 7));

	/* Buffers outside guest RAM, loops and a wild avail index are refused too. */
	fake_desc(&f->fv, 1, 1, RAM_SIZE - 2, 4, 0, 0);
	fake_avail(&f->fv, 1, 1);
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 2);
	f->fv.vdev->ops->reset(f->fv.vdev);
	fx_queues_init(f);
	fx_activate(f);
	fake_desc(&f->fv, 1, 1, DATA_GPA, 4, F_NEXT, 1);
	fake_avail(&f->fv, 1, 1);
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 3);
	f->fv.vdev->ops->reset(f->fv.vdev);
	fx_queues_init(f);
	fx_activate(f);
	put16(f->fv.ram + fake_avail_gpa(&f->fv, 1) + 2, QSIZE + 3);
	fake_notify(&f->fv, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 4);
	CHECK_EQ(f->out_len, 7);
	fx_destroy(f);
}

static void test_console_malformed_rx(void)
{
	struct fixture *f = fx_create();

	fx_activate(f);
	/* A receive chain with a device-readable buffer. */
	fake_desc(&f->fv, 0, 0, DATA_GPA, 8, 0, 0);
	fake_avail(&f->fv, 0, 0);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, (const uint8_t *)"abc", 3), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK(!virtio_console_rx_ready(f->fv.vdev));

	/* A good buffer, then one outside RAM: the first is filled and returned. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fx_queues_init(f);
	fx_activate(f);
	fake_desc(&f->fv, 0, 0, DATA_GPA, 2, F_WRITE, 0);
	fake_desc(&f->fv, 0, 1, 0xfffffffff000ull, 8, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_avail(&f->fv, 0, 1);
	CHECK_EQ(virtio_console_receive(f->fv.vdev, (const uint8_t *)"abcdef", 6), 2);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 2);
	CHECK_EQ(f->fv.lock_depth, 0);
	fx_destroy(f);
}

TEST_MAIN(test_console_ops_and_config, test_console_tx, test_console_tx_before_driver_ok, test_console_rx,
	  test_console_rx_queue_not_ready, test_console_rx_event_idx, test_console_malformed_tx,
	  test_console_malformed_rx)
