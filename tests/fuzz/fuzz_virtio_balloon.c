/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for virtio-balloon: inflate, deflate, statistics and
 * free page report chains, config space accesses and a save/load round
 * trip. The input is
 *
 *   byte 0        bit 0 event idx, bit 1 offer and negotiate statistics,
 *                 bit 2 offer and negotiate free page reporting, bit 3 offer
 *                 statistics but do not negotiate them, bit 4 guest RAM on
 *                 16 KiB "huge" pages (the tracked release path)
 *   bytes 1-4     queues to notify, in order (low 3 bits each)
 *   byte 5        config access: offset (low 4 bits), length 1/2/4/8 (bits 4-5),
 *                 write instead of read (bit 6)
 *   the rest      guest RAM image (64 KiB at gpa 0): queues (size 16) at
 *                 fixed addresses, buffers anywhere
 *
 * Guest RAM is an anonymous mapping, so what the device releases really is
 * released (and reads as zeros).
 *
 * Build and run:
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/fuzz/fuzz_virtio_balloon
 *   ./build-fuzz/tests/fuzz/fuzz_virtio_balloon -max_len=70000 -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/virtio/virtio_balloon.h"
#include "fuzz_virtio.h"
#include "snapshot/snap_buf.h"

#define HDR_SIZE    6u
#define QSIZE       16
#define NR_QUEUES   4

/* What config space writes write. */
static const uint8_t config_value[8] = { 0x55, 0x55, 0x55, 0x55 };

/* Save, then load what was saved: a device must take its own state back. */
static void fuzz_round_trip(struct virtio_dev *vdev)
{
	struct snap_writer w = { 0 };
	struct snap_reader r;

	fuzz_lock(vdev);
	vdev->ops->save(vdev, &w);
	r = snap_reader_init(w.buf, w.len);
	if (!w.error && vdev->ops->load(vdev, &r))
		__builtin_trap();
	fuzz_unlock(vdev);
	snap_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_balloon_config cfg = { .enabled = true };
	struct guest_mem mem = { 0 };
	struct virtq vq[NR_QUEUES];
	struct virtio_balloon_info info;
	struct virtio_dev *vdev;
	uint8_t *ram;
	char err[256];

	if (size < HDR_SIZE)
		return 0;
	ram = mmap(NULL, FUZZ_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return 0;
	memcpy(ram, data + HDR_SIZE, size - HDR_SIZE < FUZZ_RAM_SIZE ? size - HDR_SIZE : FUZZ_RAM_SIZE);
	if (guest_mem_add(&mem, 0, FUZZ_RAM_SIZE, ram))
		goto out_ram;
	fuzz_queues_init(vq, NR_QUEUES, &mem, data[0] & 1, QSIZE);
	cfg.stats_interval_s = data[0] & 10 ? 1 : 0;
	cfg.free_page_reporting = data[0] & 4;
	cfg.target_mib = 0;
	vdev = virtio_balloon_create(&cfg, &mem, data[0] & 16 ? 16384 : 0, NULL, err, sizeof(err));
	if (!vdev)
		__builtin_trap();
	fuzz_attach(vdev, vq, 1ull << VIRTIO_F_VERSION_1 | vdev->ops->features);
	if (data[0] & 8)
		vdev->driver_features &= ~(1ull << VIRTIO_BALLOON_F_STATS_VQ);
	fuzz_config(vdev, data[5], config_value);
	if (fuzz_activate(vdev) != 0)
		__builtin_trap();
	for (int i = 1; i <= 4; i++)
		fuzz_notify(vdev, data[i] & 7);
	virtio_balloon_request_stats(vdev);
	if (virtio_balloon_set_target(vdev, 8) || !virtio_balloon_set_target(vdev, 17))
		__builtin_trap();      /* 64 KiB of RAM: 16 pages */
	virtio_balloon_get_info(vdev, &info);
	if (info.target_pages != 8 || info.stats_enabled != (cfg.stats_interval_s != 0))
		__builtin_trap();
	fuzz_round_trip(vdev);
	fuzz_notify(vdev, data[1] & 7);
	fuzz_reset(vdev);
	if (fuzz_lock_depth != 0)
		__builtin_trap();
	vdev->ops->destroy(vdev);
out_ram:
	munmap(ram, FUZZ_RAM_SIZE);
	return 0;
}
