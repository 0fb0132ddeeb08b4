/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for virtio-blk request parsing. The input is
 *
 *   byte 0        bit 0 read-only disk
 *   bytes 1-4     capacity in sectors (le32)
 *   the rest      guest RAM image (64 KiB at gpa 0): a 64-entry queue with
 *                 the descriptor table at 0, avail ring at 0x400, used at 0x600
 *
 * and the target pops every chain and parses it, checking that what the
 * parser accepted stays inside guest RAM, has the right size, and lies
 * within the disk.
 *
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/fuzz/fuzz_virtio_blk
 *   ./build-fuzz/tests/fuzz/fuzz_virtio_blk -max_len=65600 -max_total_time=60 CORPUS_DIR
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_blk.h"
#include "fuzz_virtio.h"

#define RAM_SIZE    FUZZ_RAM_SIZE
#define QSIZE       64

static struct virtq_chain chain;
static struct iovec iov[VIRTIO_BLK_SEG_MAX];

static bool in_ram(const void *p, size_t len, const uint8_t *ram)
{
	const uint8_t *b = p;

	return b >= ram && len <= RAM_SIZE && (size_t)(b - ram) <= RAM_SIZE - len;
}

static void check_req(const struct virtio_blk_req *req, const struct virtio_blk_limits *lim, const uint8_t *ram)
{
	uint64_t total = 0;

	if (!in_ram(req->status, 1, ram))
		__builtin_trap();
	*req->status = req->result;
	if (req->result != VIRTIO_BLK_S_OK)
		return;
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (req->iovcnt < 0 || req->iovcnt > VIRTIO_BLK_SEG_MAX)
			__builtin_trap();
		for (int i = 0; i < req->iovcnt; i++) {
			if (!in_ram(req->iov[i].iov_base, req->iov[i].iov_len, ram) || req->iov[i].iov_len == 0)
				__builtin_trap();
			/* The status byte is never data. */
			if ((uint8_t *)req->iov[i].iov_base <= req->status &&
			    req->status < (uint8_t *)req->iov[i].iov_base + req->iov[i].iov_len)
				__builtin_trap();
			((volatile uint8_t *)req->iov[i].iov_base)[0] ^= 1;
			((volatile uint8_t *)req->iov[i].iov_base)[req->iov[i].iov_len - 1] ^= 1;
			total += req->iov[i].iov_len;
		}
		if (total != req->data_len || req->data_len % 512)
			__builtin_trap();
		if (req->sector > lim->capacity || req->data_len / 512 > lim->capacity - req->sector)
			__builtin_trap();
		if (req->type == VIRTIO_BLK_T_OUT && lim->readonly)
			__builtin_trap();
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (lim->readonly || req->seg_sector > lim->capacity ||
		    req->seg_sectors > lim->capacity - req->seg_sector)
			__builtin_trap();
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
		break;
	default:
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem mem = { 0 };
	struct virtq vq = { 0 };
	struct virtio_blk_limits lim;
	struct virtio_blk_req req;
	uint8_t *ram;
	int n = 0;

	if (size < 5)
		return 0;
	lim.readonly = data[0] & 1;
	lim.capacity = (uint64_t)data[1] | (uint64_t)data[2] << 8 | (uint64_t)data[3] << 16 |
		       (uint64_t)data[4] << 24;
	data += 5;
	size -= 5;
	ram = fuzz_ram_load(&mem, data, size);
	if (!ram)
		return 0;
	vq.mem = &mem;
	vq.state = (struct virtq_state){ .size = QSIZE, .ready = 1, .desc_gpa = 0, .avail_gpa = 0x400,
					 .used_gpa = 0x600 };
	while (n++ < 2 * QSIZE && virtq_pop(&vq, &chain) == 1) {
		if (virtio_blk_req_parse(&chain, &lim, iov, VIRTIO_BLK_SEG_MAX, &req))
			break;
		check_req(&req, &lim, ram);
		virtq_push(&vq, chain.head, 1);
	}
	free(ram);
	return 0;
}
