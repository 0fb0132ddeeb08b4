/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the split virtqueue. The input is
 *
 *   byte 0        queue size = 1 << (b % 10)  (1 .. 512)
 *   byte 1        bit 0 event idx, bit 1 skip virtq_validate()
 *   bytes 2-3     last_avail_idx       bytes 4-5   used_idx (le16)
 *   bytes 6-7     desc_gpa / 16        bytes 8-9   avail_gpa / 2
 *   bytes 10-11   used_gpa / 4         bytes 12-15 offset for chain read/write
 *   the rest      guest RAM image: region 0 (64 KiB at gpa 0), then
 *                 region 1 (4 KiB at gpa 64 KiB, adjacent: spanning buffers)
 *
 * and the target pops and pushes chains until the ring is empty or refused,
 * touching every buffer it was given so that ASan sees a bad translation.
 *
 * Build and run (CI: bounded time; RAM images need -max_len above 64 KiB):
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/fuzz/fuzz_virtqueue
 *   ./build-fuzz/tests/fuzz/fuzz_virtqueue -max_len=70000 -max_total_time=60 CORPUS_DIR
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"

#define RAM0_SIZE   0x10000u
#define RAM1_SIZE   0x1000u
#define HDR_SIZE    16u

static struct virtq_chain chain;
static uint8_t scratch[256];

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static bool in_buf(const uint8_t *p, size_t len, const uint8_t *buf, size_t buf_len)
{
	return p >= buf && len <= buf_len && (size_t)(p - buf) <= buf_len - len;
}

static void check_chain(const uint8_t *ram0, const uint8_t *ram1, uint32_t offset)
{
	uint64_t out = 0, in = 0;

	if ((uint32_t)chain.nr_out + chain.nr_in > VIRTQ_CHAIN_MAX)
		__builtin_trap();
	for (uint32_t i = 0; i < (uint32_t)chain.nr_out + chain.nr_in; i++) {
		struct iovec *iov = &chain.iov[i];

		if (iov->iov_len == 0)
			__builtin_trap();
		if (!in_buf(iov->iov_base, iov->iov_len, ram0, RAM0_SIZE) &&
		    !in_buf(iov->iov_base, iov->iov_len, ram1, RAM1_SIZE))
			__builtin_trap();
		if (i < chain.nr_out) {
			out += iov->iov_len;
			/* Touch the first and last byte: ASan checks the translation. */
			scratch[0] ^= ((volatile uint8_t *)iov->iov_base)[0];
			scratch[1] ^= ((volatile uint8_t *)iov->iov_base)[iov->iov_len - 1];
		} else {
			in += iov->iov_len;
			((volatile uint8_t *)iov->iov_base)[0] = 0xa5;
			((volatile uint8_t *)iov->iov_base)[iov->iov_len - 1] = 0x5a;
		}
	}
	if (out != chain.out_len || in != chain.in_len || out + in > UINT32_MAX)
		__builtin_trap();
	virtq_chain_read(&chain, offset, scratch, sizeof(scratch));
	virtq_chain_write(&chain, offset, scratch, sizeof(scratch));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem mem = { 0 };
	struct virtq vq = { 0 };
	uint8_t *ram0, *ram1;
	size_t image;
	uint32_t offset;

	if (size < HDR_SIZE)
		return 0;
	ram0 = calloc(1, RAM0_SIZE);
	ram1 = calloc(1, RAM1_SIZE);
	if (!ram0 || !ram1)
		goto out_free;
	image = size - HDR_SIZE;
	memcpy(ram0, data + HDR_SIZE, image < RAM0_SIZE ? image : RAM0_SIZE);
	if (image > RAM0_SIZE)
		memcpy(ram1, data + HDR_SIZE + RAM0_SIZE, image - RAM0_SIZE < RAM1_SIZE ? image - RAM0_SIZE : RAM1_SIZE);
	if (guest_mem_add(&mem, 0, RAM0_SIZE, ram0) || guest_mem_add(&mem, RAM0_SIZE, RAM1_SIZE, ram1))
		goto out_free;

	vq.mem = &mem;
	vq.event_idx = data[1] & 1;
	vq.state.size = (uint16_t)(1u << (data[0] % 10));
	vq.state.ready = 1;
	vq.state.last_avail_idx = get16(data + 2);
	vq.state.used_idx = get16(data + 4);
	vq.state.desc_gpa = (uint64_t)get16(data + 6) * 16;
	vq.state.avail_gpa = (uint64_t)get16(data + 8) * 2;
	vq.state.used_gpa = (uint64_t)get16(data + 10) * 4;
	offset = (uint32_t)get16(data + 12) | (uint32_t)get16(data + 14) << 16;
	if (!(data[1] & 2) && virtq_validate(&vq))
		goto out_free;

	/*
	 * Bounded: rings and buffers may overlap, so our own pushes and
	 * buffer writes can make more chains available.
	 */
	for (uint32_t n = 0; n < 2u * vq.state.size + 1; n++) {
		if (virtq_pop(&vq, &chain) != 1)
			break;
		check_chain(ram0, ram1, offset);
		virtq_push(&vq, chain.head, chain.in_len);
		virtq_should_notify(&vq);
		virtq_set_avail_event(&vq);
	}

out_free:
	free(ram1);
	free(ram0);
	return 0;
}
