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
#include "le_bytes.h"
#include "test.h"

#define RAM_SIZE    0x80000ull
#define QSIZE       16
#define DATA_GPA    0x10000ull

#define F_NEXT      1
#define F_WRITE     2

/* Queue q's rings: rx (0) at 0x1000.., tx (1) at 0x5000.. */
#define DESC_GPA(q)     (0x1000ull + 0x4000ull * (q))
#define AVAIL_GPA(q)    (DESC_GPA(q) + 0x1000)
#define USED_GPA(q)     (DESC_GPA(q) + 0x2000)

struct fixture {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtq vq[2];
	struct virtio_dev *vdev;
	uint16_t avail_idx[2];
	int nr_signal_used[2];
	int nr_needs_reset;
	int nr_signal_config;
	int locked;                 /* lock depth: receive must take the lock */
	uint8_t out[4096];
	size_t out_len;
	int nr_out_calls;
};

static struct fixture *fx_of(struct virtio_dev *vdev)
{
	return vdev->transport_priv;
}

static void fake_signal_used(struct virtio_dev *vdev, uint16_t q)
{
	CHECK(q < 2);
	CHECK(fx_of(vdev)->locked > 0);
	fx_of(vdev)->nr_signal_used[q & 1]++;
}

static void fake_signal_config(struct virtio_dev *vdev)
{
	fx_of(vdev)->nr_signal_config++;
}

static void fake_needs_reset(struct virtio_dev *vdev)
{
	fx_of(vdev)->nr_needs_reset++;
}

static void fake_lock(struct virtio_dev *vdev)
{
	fx_of(vdev)->locked++;
}

static void fake_unlock(struct virtio_dev *vdev)
{
	CHECK(fx_of(vdev)->locked > 0);
	fx_of(vdev)->locked--;
}

static const struct virtio_transport_ops fake_transport = {
	.signal_used = fake_signal_used,
	.signal_config = fake_signal_config,
	.needs_reset = fake_needs_reset,
	.lock = fake_lock,
	.unlock = fake_unlock,
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

static void fx_queues_init(struct fixture *f)
{
	for (int q = 0; q < 2; q++) {
		f->vq[q] = (struct virtq){ .mem = &f->mem };
		f->vq[q].state = (struct virtq_state){ .size = QSIZE, .ready = 1, .desc_gpa = DESC_GPA(q),
						       .avail_gpa = AVAIL_GPA(q), .used_gpa = USED_GPA(q) };
		CHECK_EQ(virtq_validate(&f->vq[q]), 0);
		memset(f->ram + DESC_GPA(q), 0, 0x3000);
		f->avail_idx[q] = 0;
	}
}

static struct fixture *fx_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_console_config cfg = { .cols = 132, .rows = 43, .out = fake_out };

	f->ram = aligned_alloc(4096, RAM_SIZE);
	memset(f->ram, 0, RAM_SIZE);
	CHECK_EQ(guest_mem_add(&f->mem, 0, RAM_SIZE, f->ram), 0);
	fx_queues_init(f);
	cfg.out_ctx = f;
	f->vdev = virtio_console_create(&cfg);
	CHECK(f->vdev != NULL);
	f->vdev->queues = f->vq;
	f->vdev->transport = &fake_transport;
	f->vdev->transport_priv = f;
	return f;
}

/* Device callbacks run under the transport lock, as virtio-pci calls them. */
static void fx_activate(struct fixture *f)
{
	f->vdev->driver_features = f->vdev->ops->features | 1ull << VIRTIO_F_VERSION_1;
	fake_lock(f->vdev);
	CHECK_EQ(f->vdev->ops->activate(f->vdev), 0);
	fake_unlock(f->vdev);
}

static void fx_notify(struct fixture *f, uint16_t q)
{
	fake_lock(f->vdev);
	f->vdev->ops->queue_notify(f->vdev, q);
	fake_unlock(f->vdev);
}

static void fx_destroy(struct fixture *f)
{
	CHECK_EQ(f->locked, 0);
	f->vdev->ops->destroy(f->vdev);
	free(f->ram);
	free(f);
}


static void fx_desc(struct fixture *f, int q, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	uint8_t *p = f->ram + DESC_GPA(q) + 16ull * idx;

	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

static void fx_avail(struct fixture *f, int q, uint16_t head)
{
	put16(f->ram + AVAIL_GPA(q) + 4 + 2 * (f->avail_idx[q] % QSIZE), head);
	f->avail_idx[q]++;
	put16(f->ram + AVAIL_GPA(q) + 2, f->avail_idx[q]);
}

static uint16_t used_idx(struct fixture *f, int q)
{
	return get16(f->ram + USED_GPA(q) + 2);
}

static uint32_t used_id(struct fixture *f, int q, uint16_t i)
{
	return get32(f->ram + USED_GPA(q) + 4 + 8 * (i % QSIZE));
}

static uint32_t used_len(struct fixture *f, int q, uint16_t i)
{
	return get32(f->ram + USED_GPA(q) + 8 + 8 * (i % QSIZE));
}

/* Puts text in guest RAM at gpa and returns gpa. */
static uint64_t fx_text(struct fixture *f, uint64_t gpa, const char *text)
{
	memcpy(f->ram + gpa, text, strlen(text));
	return gpa;
}

static void test_console_ops_and_config(void)
{
	struct fixture *f = fx_create();
	const struct virtio_dev_ops *ops = f->vdev->ops;
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
	ops->config_read(f->vdev, 0, cfg, 12);
	CHECK_EQ(get16(cfg + 0), 132);
	CHECK_EQ(get16(cfg + 2), 43);
	CHECK_EQ(get32(cfg + 4), 1);
	CHECK_EQ(get32(cfg + 8), 0);
	/* Partial and out-of-range reads. */
	ops->config_read(f->vdev, 2, &v16, 2);
	CHECK_EQ(le16toh(v16), 43);
	memset(cfg, 0xaa, sizeof(cfg));
	ops->config_read(f->vdev, 10, cfg, 4);
	CHECK_EQ(get32(cfg), 0);
	ops->config_read(f->vdev, 100, cfg, 4);
	CHECK_EQ(get32(cfg), 0);

	/* Writes to read-only fields change nothing. */
	put16(cfg, 7);
	ops->config_write(f->vdev, 0, cfg, 2);
	ops->config_read(f->vdev, 0, &v16, 2);
	CHECK_EQ(le16toh(v16), 132);
	CHECK_EQ(f->out_len, 0);

	/* Emergency write: one character per write, even before DRIVER_OK. */
	put32(cfg, 'H');
	ops->config_write(f->vdev, 8, cfg, 4);
	put32(cfg, 'i');
	ops->config_write(f->vdev, 8, cfg, 4);
	CHECK_EQ(f->out_len, 2);
	CHECK(!memcmp(f->out, "Hi", 2));

	/* A resize before DRIVER_OK changes config without an interrupt; after it, with one. */
	virtio_console_set_size(f->vdev, 100, 30);
	CHECK_EQ(f->nr_signal_config, 0);
	fx_activate(f);
	virtio_console_set_size(f->vdev, 100, 30);
	CHECK_EQ(f->nr_signal_config, 0);
	virtio_console_set_size(f->vdev, 120, 40);
	CHECK_EQ(f->nr_signal_config, 1);
	ops->config_read(f->vdev, 0, cfg, 4);
	CHECK_EQ(get16(cfg), 120);
	CHECK_EQ(get16(cfg + 2), 40);
	fx_destroy(f);
}

static void test_console_tx(void)
{
	struct fixture *f = fx_create();

	fx_activate(f);
	/* Two chains: one buffer, then two buffers; output keeps their order. */
	fx_desc(f, 1, 3, fx_text(f, DATA_GPA, "hello "), 6, 0, 0);
	fx_desc(f, 1, 5, fx_text(f, DATA_GPA + 0x100, "wor"), 3, F_NEXT, 6);
	fx_desc(f, 1, 6, fx_text(f, DATA_GPA + 0x200, "ld\n"), 3, 0, 0);
	fx_avail(f, 1, 3);
	fx_avail(f, 1, 5);
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 12);
	CHECK(!memcmp(f->out, "hello world\n", 12));
	CHECK_EQ(used_idx(f, 1), 2);
	CHECK_EQ(used_id(f, 1, 0), 3);
	CHECK_EQ(used_len(f, 1, 0), 0);
	CHECK_EQ(used_id(f, 1, 1), 5);
	CHECK_EQ(used_len(f, 1, 1), 0);
	CHECK_EQ(f->nr_signal_used[1], 1);
	CHECK_EQ(f->nr_needs_reset, 0);

	/* Nothing new: no output, no interrupt. */
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->nr_signal_used[1], 1);
	CHECK_EQ(f->out_len, 12);
	/* A notify on a queue that does not exist is ignored. */
	fx_notify(f, 7);
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_console_tx_before_driver_ok(void)
{
	struct fixture *f = fx_create();

	/* Output queued before DRIVER_OK is written once the device is activated. */
	fx_desc(f, 1, 0, fx_text(f, DATA_GPA, "early"), 5, 0, 0);
	fx_avail(f, 1, 0);
	CHECK_EQ(f->out_len, 0);
	fx_activate(f);
	CHECK_EQ(f->out_len, 5);
	CHECK(!memcmp(f->out, "early", 5));
	CHECK_EQ(used_idx(f, 1), 1);
	fx_destroy(f);
}

static void test_console_rx(void)
{
	struct fixture *f = fx_create();
	const uint8_t *in = (const uint8_t *)"0123456789abcdefghij";

	/* Not activated: nothing is taken. */
	fx_desc(f, 0, 0, DATA_GPA, 8, F_WRITE, 0);
	fx_avail(f, 0, 0);
	CHECK_EQ(virtio_console_receive(f->vdev, in, 5), 0);
	CHECK(!virtio_console_rx_ready(f->vdev));
	fx_activate(f);
	CHECK(virtio_console_rx_ready(f->vdev));

	/* Short input: one buffer, partly filled. */
	CHECK_EQ(virtio_console_receive(f->vdev, in, 5), 5);
	CHECK_EQ(used_idx(f, 0), 1);
	CHECK_EQ(used_id(f, 0, 0), 0);
	CHECK_EQ(used_len(f, 0, 0), 5);
	CHECK(!memcmp(f->ram + DATA_GPA, "01234", 5));
	CHECK_EQ(f->nr_signal_used[0], 1);

	/* None posted: 0 taken, nothing signalled, the caller keeps its input. */
	CHECK(!virtio_console_rx_ready(f->vdev));
	CHECK_EQ(virtio_console_receive(f->vdev, in, 20), 0);
	CHECK_EQ(f->nr_signal_used[0], 1);
	CHECK_EQ(f->locked, 0);

	/* Input spread over several buffers (one of them a two-buffer chain); the rest waits. */
	fx_desc(f, 0, 1, DATA_GPA + 0x100, 4, F_WRITE, 0);
	fx_desc(f, 0, 2, DATA_GPA + 0x200, 3, F_WRITE | F_NEXT, 3);
	fx_desc(f, 0, 3, DATA_GPA + 0x300, 3, F_WRITE, 0);
	fx_avail(f, 0, 1);
	fx_avail(f, 0, 2);
	CHECK(virtio_console_rx_ready(f->vdev));
	CHECK_EQ(virtio_console_receive(f->vdev, in, 20), 10);
	CHECK_EQ(used_idx(f, 0), 3);
	CHECK_EQ(used_len(f, 0, 1), 4);
	CHECK_EQ(used_id(f, 0, 2), 2);
	CHECK_EQ(used_len(f, 0, 2), 6);
	CHECK(!memcmp(f->ram + DATA_GPA + 0x100, "0123", 4));
	CHECK(!memcmp(f->ram + DATA_GPA + 0x200, "456", 3));
	CHECK(!memcmp(f->ram + DATA_GPA + 0x300, "789", 3));
	CHECK_EQ(f->nr_signal_used[0], 2);
	CHECK_EQ(f->nr_needs_reset, 0);

	/* The remainder goes in when the driver posts another buffer. */
	fx_desc(f, 0, 4, DATA_GPA + 0x400, 64, F_WRITE, 0);
	fx_avail(f, 0, 4);
	fx_notify(f, VIRTIO_CONSOLE_RXQ);
	CHECK_EQ(virtio_console_receive(f->vdev, in + 10, 10), 10);
	CHECK(!memcmp(f->ram + DATA_GPA + 0x400, "abcdefghij", 10));
	CHECK_EQ(used_len(f, 0, 3), 10);

	/* After a reset the device takes nothing until DRIVER_OK again. */
	f->vdev->ops->reset(f->vdev);
	fx_desc(f, 0, 5, DATA_GPA + 0x500, 64, F_WRITE, 0);
	fx_avail(f, 0, 5);
	CHECK_EQ(virtio_console_receive(f->vdev, in, 4), 0);
	CHECK_EQ(used_idx(f, 0), 4);
	fx_destroy(f);
}

static void test_console_rx_queue_not_ready(void)
{
	struct fixture *f = fx_create();

	f->vq[0].state.ready = 0;
	fx_activate(f);
	CHECK_EQ(virtio_console_receive(f->vdev, (const uint8_t *)"x", 1), 0);
	CHECK(!virtio_console_rx_ready(f->vdev));
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_console_rx_event_idx(void)
{
	struct fixture *f = fx_create();

	f->vq[0].event_idx = true;
	fx_activate(f);
	fx_desc(f, 0, 0, DATA_GPA, 4, F_WRITE, 0);
	fx_avail(f, 0, 0);
	CHECK_EQ(virtio_console_receive(f->vdev, (const uint8_t *)"abcdef", 6), 4);
	/* Out of buffers: avail_event asks the driver to notify at its next one. */
	CHECK_EQ(get16(f->ram + USED_GPA(0) + 4 + 8 * QSIZE), 1);
	fx_destroy(f);
}

static void test_console_malformed_tx(void)
{
	struct fixture *f = fx_create();

	fx_activate(f);
	/* A good chain, then one with a device-writable buffer, then a good one. */
	fx_desc(f, 1, 0, fx_text(f, DATA_GPA, "ok"), 2, 0, 0);
	fx_desc(f, 1, 1, DATA_GPA + 0x100, 4, F_NEXT, 2);
	fx_desc(f, 1, 2, DATA_GPA + 0x200, 4, F_WRITE, 0);
	fx_desc(f, 1, 3, fx_text(f, DATA_GPA + 0x300, "late"), 4, 0, 0);
	fx_avail(f, 1, 0);
	fx_avail(f, 1, 1);
	fx_avail(f, 1, 3);
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 2);
	CHECK_EQ(used_idx(f, 1), 1);
	CHECK_EQ(f->nr_signal_used[1], 1);
	CHECK_EQ(f->nr_needs_reset, 1);
	/* Broken until reset: no more output, no input taken. */
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 2);
	fx_desc(f, 0, 0, DATA_GPA + 0x400, 8, F_WRITE, 0);
	fx_avail(f, 0, 0);
	CHECK_EQ(virtio_console_receive(f->vdev, (const uint8_t *)"x", 1), 0);
	CHECK_EQ(f->nr_needs_reset, 1);

	/* Reset, set the queues up again: works. */
	f->vdev->ops->reset(f->vdev);
	fx_queues_init(f);
	fx_activate(f);
	fx_desc(f, 1, 0, fx_text(f, DATA_GPA, "again"), 5, 0, 0);
	fx_avail(f, 1, 0);
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->out_len, 7);
	CHECK(!memcmp(f->out, "okagain", 7));

	/* Buffers outside guest RAM, loops and a wild avail index are refused too. */
	fx_desc(f, 1, 1, RAM_SIZE - 2, 4, 0, 0);
	fx_avail(f, 1, 1);
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->nr_needs_reset, 2);
	f->vdev->ops->reset(f->vdev);
	fx_queues_init(f);
	fx_activate(f);
	fx_desc(f, 1, 1, DATA_GPA, 4, F_NEXT, 1);
	fx_avail(f, 1, 1);
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->nr_needs_reset, 3);
	f->vdev->ops->reset(f->vdev);
	fx_queues_init(f);
	fx_activate(f);
	put16(f->ram + AVAIL_GPA(1) + 2, QSIZE + 3);
	fx_notify(f, VIRTIO_CONSOLE_TXQ);
	CHECK_EQ(f->nr_needs_reset, 4);
	CHECK_EQ(f->out_len, 7);
	fx_destroy(f);
}

static void test_console_malformed_rx(void)
{
	struct fixture *f = fx_create();

	fx_activate(f);
	/* A receive chain with a device-readable buffer. */
	fx_desc(f, 0, 0, DATA_GPA, 8, 0, 0);
	fx_avail(f, 0, 0);
	CHECK_EQ(virtio_console_receive(f->vdev, (const uint8_t *)"abc", 3), 0);
	CHECK_EQ(f->nr_needs_reset, 1);
	CHECK_EQ(used_idx(f, 0), 0);
	CHECK(!virtio_console_rx_ready(f->vdev));

	/* A good buffer, then one outside RAM: the first is filled and returned. */
	f->vdev->ops->reset(f->vdev);
	fx_queues_init(f);
	fx_activate(f);
	fx_desc(f, 0, 0, DATA_GPA, 2, F_WRITE, 0);
	fx_desc(f, 0, 1, 0xfffffffff000ull, 8, F_WRITE, 0);
	fx_avail(f, 0, 0);
	fx_avail(f, 0, 1);
	CHECK_EQ(virtio_console_receive(f->vdev, (const uint8_t *)"abcdef", 6), 2);
	CHECK_EQ(used_idx(f, 0), 1);
	CHECK_EQ(f->nr_signal_used[0], 1);
	CHECK_EQ(f->nr_needs_reset, 2);
	CHECK_EQ(f->locked, 0);
	fx_destroy(f);
}

TEST_MAIN(test_console_ops_and_config, test_console_tx, test_console_tx_before_driver_ok, test_console_rx,
	  test_console_rx_queue_not_ready, test_console_rx_event_idx, test_console_malformed_tx,
	  test_console_malformed_rx)
