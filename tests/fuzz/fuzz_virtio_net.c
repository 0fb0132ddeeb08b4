/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for virtio-net's request parsing: the transmit queues
 * (header checks, chains split anywhere), the receive side (merging a frame
 * over guest buffers) and the control queue (VQ_PAIRS_SET and anything
 * else, then traffic on the pairs it enabled). The input is
 *
 *   byte 0        negotiated: bit 0 CSUM, 1 HOST_TSO4, 2 MRG_RXBUF,
 *                 3 GUEST_CSUM, 4 event idx, 5 a 4-queue backend with MQ
 *                 and CTRL_VQ (control queue 8), 6 with bit 5: CTRL_VQ
 *                 without MQ (control queue 2)
 *   bytes 1-2     length of the frame the backend delivers (le16, capped)
 *   the rest      guest RAM image (64 KiB at gpa 0): the queues (size 16)
 *                 at fixed addresses, buffers anywhere
 *
 * Build and run:
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/fuzz/fuzz_virtio_net
 *   ./build-fuzz/tests/fuzz/fuzz_virtio_net -max_len=66000 -max_total_time=60 CORPUS_DIR
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/virtio_net.h"
#include "fuzz_virtio.h"

#define HDR_SIZE    3u
#define QSIZE       16
#define MQ_QUEUES   4
#define MAX_VQS     (2 * MQ_QUEUES + 1)

struct fuzz_backend {
	struct net_backend be;
	size_t frame_len[MQ_QUEUES];        /* 0: nothing to deliver */
	bool enabled[MQ_QUEUES];
	uint8_t sink;
};

static int fuzz_send(struct net_backend *be, uint16_t q, const struct iovec *iov, int iovcnt)
{
	struct fuzz_backend *fb = (struct fuzz_backend *)be;

	if (q >= be->nr_queues || (be->nr_queues > 1 && !fb->enabled[q]))
		__builtin_trap();
	/* Touch every byte handed to the backend: ASan checks each translation. */
	for (int i = 0; i < iovcnt; i++)
		for (size_t j = 0; j < iov[i].iov_len; j++)
			fb->sink ^= ((const volatile uint8_t *)iov[i].iov_base)[j];
	return 0;
}

static ssize_t fuzz_recv(struct net_backend *be, uint16_t q, void *buf, size_t len)
{
	struct fuzz_backend *fb = (struct fuzz_backend *)be;
	size_t n;

	if (q >= be->nr_queues || (be->nr_queues > 1 && !fb->enabled[q]))
		__builtin_trap();
	n = fb->frame_len[q];
	if (!n)
		return -EAGAIN;
	fb->frame_len[q] = 0;
	if (n > len)
		__builtin_trap();
	memset(buf, 0xab, n);
	memset(buf, 0, NET_VNET_HDR_LEN);
	return (ssize_t)n;
}

static int fuzz_set_offload(struct net_backend *be, uint32_t offloads)
{
	return 0;
}

static int fuzz_set_queue_enabled(struct net_backend *be, uint16_t q, bool enabled)
{
	if (q >= be->nr_queues)
		__builtin_trap();
	((struct fuzz_backend *)be)->enabled[q] = enabled;
	return 0;
}

static void fuzz_destroy(struct net_backend *be)
{
	for (uint16_t q = 0; q < be->nr_queues; q++)
		close(be->rx_fd[q]);
}

static const struct net_backend_ops fuzz_backend_ops = {
	.send = fuzz_send, .recv = fuzz_recv, .set_offload = fuzz_set_offload,
	.set_queue_enabled = fuzz_set_queue_enabled, .destroy = fuzz_destroy,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	struct fuzz_backend fb = { 0 };
	struct guest_mem mem = { 0 };
	struct virtq vq[MAX_VQS];
	struct event_loop loop;
	struct virtio_dev *vdev;
	bool mq = data[0] & 32;
	size_t frame_len;
	uint8_t *ram;

	if (size < HDR_SIZE)
		return 0;
	ram = fuzz_ram_load(&mem, data + HDR_SIZE, size - HDR_SIZE);
	if (!ram)
		return 0;
	if (event_loop_init(&loop))
		goto out_ram;
	fuzz_queues_init(vq, MAX_VQS, &mem, data[0] & 16, QSIZE);
	fb.be.ops = &fuzz_backend_ops;
	fb.be.nr_queues = mq ? MQ_QUEUES : 1;
	frame_len = (size_t)(data[1] | data[2] << 8);
	if (frame_len > NET_VNET_HDR_LEN + NET_FRAME_MAX)
		frame_len = NET_VNET_HDR_LEN + NET_FRAME_MAX;
	for (uint16_t q = 0; q < fb.be.nr_queues; q++) {
		fb.be.rx_fd[q] = eventfd(0, EFD_NONBLOCK);
		fb.enabled[q] = true;
		fb.frame_len[q] = frame_len;
	}
	fb.be.offloads = true;
	vdev = virtio_net_create(&fb.be, mac, &loop);
	if (!vdev)
		goto out_loop;
	fuzz_attach(vdev, vq, 1ull << VIRTIO_F_VERSION_1 |
		(data[0] & 1 ? 1ull << VIRTIO_NET_F_CSUM : 0) |
		(data[0] & 2 ? 1ull << VIRTIO_NET_F_HOST_TSO4 : 0) |
		(data[0] & 4 ? 1ull << VIRTIO_NET_F_MRG_RXBUF : 0) |
		(data[0] & 8 ? 1ull << VIRTIO_NET_F_GUEST_CSUM : 0) |
		(mq ? 1ull << VIRTIO_NET_F_CTRL_VQ : 0) |
		(mq && !(data[0] & 64) ? 1ull << VIRTIO_NET_F_MQ : 0));
	if (fuzz_activate(vdev) == 0) {
		/* The control queue first (it may enable pairs), then every queue the device has. */
		if (mq)
			fuzz_notify(vdev, data[0] & 64 ? 2 : 2 * MQ_QUEUES);
		for (uint16_t q = 0; q < vdev->ops->num_queues; q++)
			if (q % 2 == VIRTIO_NET_TXQ)
				fuzz_notify(vdev, q);
		virtio_net_poll_rx(vdev);
		for (uint16_t q = 0; q < vdev->ops->num_queues; q++)
			if (q % 2 == VIRTIO_NET_RXQ)
				fuzz_notify(vdev, q);
		/* Pairs not in use must have their backend queues disabled. */
		for (uint16_t q = virtio_net_pairs_in_use(vdev); mq && q < MQ_QUEUES; q++)
			if (fb.enabled[q])
				__builtin_trap();
		fuzz_reset(vdev);
		if (virtio_net_pairs_in_use(vdev) != 1)
			__builtin_trap();
	}
	vdev->ops->destroy(vdev);
out_loop:
	event_loop_destroy(&loop);
out_ram:
	free(ram);
	return 0;
}
