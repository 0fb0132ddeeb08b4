/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for virtio-console: the transmit queue's chains (to the
 * output sink), the receive side (host input over the driver's buffers) and
 * config space accesses. The input is
 *
 *   byte 0        bit 0 event idx, bit 1 receive before transmit,
 *                 bit 2 the receive queue is not ready
 *   bytes 1-2     bytes of host input to offer (le16, at most 4096)
 *   byte 3        config access: offset (low 4 bits), length 1/2/4/8 (bits 4-5),
 *                 write instead of read (bit 6)
 *   the rest      guest RAM image (64 KiB at gpa 0): both queues (size 16)
 *                 at fixed addresses, buffers anywhere
 *
 * Build and run:
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/fuzz/fuzz_virtio_console
 *   ./build-fuzz/tests/fuzz/fuzz_virtio_console -max_len=70000 -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_console.h"
#include "fuzz_virtio.h"

#define HDR_SIZE    4u
#define QSIZE       16
#define INPUT_MAX   4096u

static uint8_t sink;

/* What config space writes write. */
static const uint8_t config_value[8] = { 'c' };

static void fuzz_out(void *ctx, const uint8_t *buf, size_t len)
{
	/* Touch every byte handed to the sink: ASan checks each translation. */
	for (size_t i = 0; i < len; i++)
		sink ^= ((const volatile uint8_t *)buf)[i];
}

static void fuzz_receive(struct virtio_dev *vdev, const uint8_t *input, size_t len)
{
	size_t taken;

	(void)virtio_console_rx_ready(vdev);
	taken = virtio_console_receive(vdev, input, len);
	if (taken > len || fuzz_lock_depth != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t input[INPUT_MAX];
	struct virtio_console_config cfg = { .cols = 80, .rows = 25, .out = fuzz_out };
	struct guest_mem mem = { 0 };
	struct virtq vq[2];
	struct virtio_dev *vdev;
	size_t input_len;
	uint8_t *ram;

	if (size < HDR_SIZE)
		return 0;
	ram = fuzz_ram_load(&mem, data + HDR_SIZE, size - HDR_SIZE);
	if (!ram)
		return 0;
	input_len = (size_t)(data[1] | data[2] << 8);
	if (input_len > INPUT_MAX)
		input_len = INPUT_MAX;
	for (size_t i = 0; i < input_len; i++)
		input[i] = (uint8_t)i;

	fuzz_queues_init(vq, 2, &mem, data[0] & 1, QSIZE);
	if (data[0] & 4)
		vq[VIRTIO_CONSOLE_RXQ].state.ready = 0;
	vdev = virtio_console_create(&cfg);
	if (!vdev)
		goto out_ram;
	fuzz_attach(vdev, vq, 1ull << VIRTIO_F_VERSION_1 | vdev->ops->features);
	fuzz_config(vdev, data[3], config_value);
	if (fuzz_activate(vdev) != 0)
		__builtin_trap();
	if (data[0] & 2)
		fuzz_receive(vdev, input, input_len);
	fuzz_notify(vdev, VIRTIO_CONSOLE_TXQ);
	fuzz_receive(vdev, input, input_len);
	fuzz_notify(vdev, VIRTIO_CONSOLE_RXQ);
	fuzz_receive(vdev, input, input_len);
	virtio_console_set_size(vdev, 132, 43);
	vdev->ops->destroy(vdev);
out_ram:
	free(ram);
	return 0;
}
