/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for virtio-net's request parsing: the transmit queue
 * (header checks, chains split anywhere) and the receive side (merging a
 * frame over guest buffers). The input is
 *
 *   byte 0        negotiated: bit 0 CSUM, 1 HOST_TSO4, 2 MRG_RXBUF,
 *                 3 GUEST_CSUM, 4 event idx
 *   bytes 1-2     length of the frame the backend delivers (le16, capped)
 *   the rest      guest RAM image (64 KiB at gpa 0): both queues (size 16)
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

struct fuzz_backend {
	struct net_backend be;
	size_t frame_len;           /* 0: nothing to deliver */
	uint8_t sink;
};

static int fuzz_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct fuzz_backend *fb = (struct fuzz_backend *)be;

	/* Touch every byte handed to the backend: ASan checks each translation. */
	for (int i = 0; i < iovcnt; i++)
		for (size_t j = 0; j < iov[i].iov_len; j++)
			fb->sink ^= ((const volatile uint8_t *)iov[i].iov_base)[j];
	return 0;
}

static ssize_t fuzz_recv(struct net_backend *be, void *buf, size_t len)
{
	struct fuzz_backend *fb = (struct fuzz_backend *)be;
	size_t n = fb->frame_len;

	if (!n)
		return -EAGAIN;
	fb->frame_len = 0;
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

static void fuzz_destroy(struct net_backend *be)
{
	close(be->rx_fd);
}

static const struct net_backend_ops fuzz_backend_ops = {
	.send = fuzz_send, .recv = fuzz_recv, .set_offload = fuzz_set_offload, .destroy = fuzz_destroy,
};

static void fuzz_nop(struct virtio_dev *vdev)
{
}

static void fuzz_signal_used(struct virtio_dev *vdev, uint16_t q)
{
}

static const struct virtio_transport_ops fuzz_transport = {
	.signal_used = fuzz_signal_used,
	.signal_config = fuzz_nop,
	.needs_reset = fuzz_nop,
	.lock = fuzz_nop,
	.unlock = fuzz_nop,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	struct fuzz_backend fb = { 0 };
	struct guest_mem mem = { 0 };
	struct virtq vq[2];
	struct event_loop loop;
	struct virtio_dev *vdev;
	uint8_t *ram;

	if (size < HDR_SIZE)
		return 0;
	ram = fuzz_ram_load(&mem, data + HDR_SIZE, size - HDR_SIZE);
	if (!ram)
		return 0;
	if (event_loop_init(&loop))
		goto out_ram;
	fuzz_queues_init(vq, 2, &mem, data[0] & 16, QSIZE);
	fb.be.ops = &fuzz_backend_ops;
	fb.be.rx_fd = eventfd(0, EFD_NONBLOCK);
	fb.be.offloads = true;
	fb.frame_len = (size_t)(data[1] | data[2] << 8);
	if (fb.frame_len > NET_VNET_HDR_LEN + NET_FRAME_MAX)
		fb.frame_len = NET_VNET_HDR_LEN + NET_FRAME_MAX;
	vdev = virtio_net_create(&fb.be, mac, &loop);
	if (!vdev)
		goto out_loop;
	vdev->queues = vq;
	vdev->transport = &fuzz_transport;
	vdev->driver_features = 1ull << VIRTIO_F_VERSION_1 |
		(data[0] & 1 ? 1ull << VIRTIO_NET_F_CSUM : 0) |
		(data[0] & 2 ? 1ull << VIRTIO_NET_F_HOST_TSO4 : 0) |
		(data[0] & 4 ? 1ull << VIRTIO_NET_F_MRG_RXBUF : 0) |
		(data[0] & 8 ? 1ull << VIRTIO_NET_F_GUEST_CSUM : 0);
	if (vdev->ops->activate(vdev) == 0) {
		vdev->ops->queue_notify(vdev, VIRTIO_NET_TXQ);
		virtio_net_poll_rx(vdev);
		vdev->ops->queue_notify(vdev, VIRTIO_NET_RXQ);
	}
	vdev->ops->destroy(vdev);
out_loop:
	event_loop_destroy(&loop);
out_ram:
	free(ram);
	return 0;
}
