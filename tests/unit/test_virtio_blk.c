/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk driven through its ops with a fake transport, fake guest RAM
 * holding a hand-built queue, and a temp file as the disk. Completions come
 * through a real event loop. Every test runs on both I/O engines.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices/virtio/virtio_blk.h"
#include "fake_virtio.h"
#include "test.h"

#define RAM_SIZE    0x800000ull
#define IND_GPA     0x8000ull       /* indirect tables */
#define HDR_GPA     0x10000ull      /* 16 bytes per request slot */
#define STATUS_GPA  0x18000ull      /* 1 byte per request slot */
#define DATA_GPA    0x100000ull
#define QSIZE       256
#define DISK_SECTORS 2048ull        /* 1 MiB */

/* Queue 0's rings at 0x1000 (avail 0x3000, used 0x4000); queue 1's (queues=2) at 0x20000. */
static const struct fake_virtio_layout layout = {
	.ram_size = RAM_SIZE, .nr_vqs = 2, .qsize = QSIZE,
	.ring_base = 0x1000, .ring_stride = 0x1f000, .avail_off = 0x2000, .used_off = 0x3000,
};

struct fixture {
	struct fake_virtio fv;
	struct event_loop loop;
	char path[128];
	int fd;                     /* the disk, for checking its contents */
};

static enum block_aio_kind kind;
static uint16_t fx_queues;          /* the next fixture's queues= (0: the default) */
static char tmpdir[] = "/tmp/vessel-test-vblk-XXXXXX";
static int file_seq;

static struct fixture *fx_create_cfg(bool readonly, const char *serial)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_blk_config cfg = { .readonly = readonly, .serial = serial, .aio = kind, .queues = fx_queues };
	struct virtio_dev *vdev;
	char err[256];
	uint8_t sector[512];

	fake_virtio_init(&f->fv, &layout, NULL);
	CHECK_EQ(event_loop_init(&f->loop), 0);

	/* Sector n holds the byte n & 0xff. */
	snprintf(f->path, sizeof(f->path), "%s/disk%d.img", tmpdir, file_seq++);
	f->fd = open(f->path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	CHECK(f->fd >= 0);
	for (uint64_t s = 0; s < DISK_SECTORS; s++) {
		memset(sector, (int)(s & 0xff), sizeof(sector));
		CHECK_EQ(pwrite(f->fd, sector, sizeof(sector), (off_t)(s * 512)), 512);
	}
	cfg.path = f->path;
	vdev = virtio_blk_create(&cfg, &f->loop, err, sizeof(err));
	if (!vdev)
		fprintf(stderr, "virtio_blk_create: %s\n", err);
	fake_virtio_attach(&f->fv, vdev, 0);
	CHECK_EQ(strcmp(virtio_blk_aio_name(f->fv.vdev), kind == BLOCK_AIO_THREADS ? "threads" : "io_uring"), 0);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	return f;
}

static struct fixture *fx_create(void)
{
	return fx_create_cfg(false, NULL);
}

static void fx_destroy(struct fixture *f)
{
	f->fv.vdev->ops->destroy(f->fv.vdev);
	event_loop_destroy(&f->loop);
	close(f->fd);
	unlink(f->path);
	fake_virtio_fini(&f->fv);
	free(f);
}

static uint8_t status(struct fixture *f, unsigned int slot)
{
	return f->fv.ram[STATUS_GPA + slot];
}

/* Header for request slot s; returns its gpa. */
static uint64_t fx_hdr(struct fixture *f, unsigned int s, uint32_t type, uint64_t sector)
{
	uint8_t *p = f->fv.ram + HDR_GPA + 16ull * s;

	put32(p, type);
	put32(p + 4, 0);
	put64(p + 8, sector);
	f->fv.ram[STATUS_GPA + s] = 0xff;
	return HDR_GPA + 16ull * s;
}

/*
 * The usual three-descriptor request in slot s (descriptors 3s..3s+2): header,
 * data (len bytes at data_gpa, writable for reads), status.
 */
static void fx_req(struct fixture *f, unsigned int s, uint32_t type, uint64_t sector, uint64_t data_gpa,
		   uint32_t len)
{
	uint16_t d = (uint16_t)(3 * s);
	uint16_t dir = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID ? F_WRITE : 0;

	fake_desc(&f->fv, 0, d, fx_hdr(f, s, type, sector), 16, F_NEXT, d + 1);
	if (len) {
		fake_desc(&f->fv, 0, d + 1, data_gpa, len, dir | F_NEXT, d + 2);
		fake_desc(&f->fv, 0, d + 2, STATUS_GPA + s, 1, F_WRITE, 0);
	} else {
		fake_desc(&f->fv, 0, d + 1, STATUS_GPA + s, 1, F_WRITE, 0);
	}
	fake_avail(&f->fv, 0, d);
}

/* Runs the event loop's handlers until used idx reaches want (5 s at most). */
static void fx_wait(struct fixture *f, uint16_t want)
{
	struct epoll_event ev[8];

	for (int i = 0; i < 500 && fake_used_idx(&f->fv, 0) != want; i++) {
		int n = epoll_wait(f->loop.epfd, ev, 8, 10);

		for (int j = 0; j < n; j++) {
			struct event_handler *h = &f->loop.handlers[ev[j].data.u32];

			h->fn(h->ctx, ev[j].events);
		}
	}
	CHECK_EQ(fake_used_idx(&f->fv, 0), want);
}

/* Sector contents as the fixture wrote them: byte (sector & 0xff). */
static bool sector_is(const uint8_t *p, uint64_t sector)
{
	for (int i = 0; i < 512; i++)
		if (p[i] != (uint8_t)(sector & 0xff))
			return false;
	return true;
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void t_config(void)
{
	struct fixture *f = fx_create();
	const struct virtio_dev_ops *ops = f->fv.vdev->ops;
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE];
	uint64_t want = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
			1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |
			1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	uint32_t v32;

	CHECK_EQ(ops->device_id, VIRTIO_ID_BLOCK);
	CHECK_EQ(ops->num_queues, 1);
	CHECK_EQ(ops->queue_max_size, 256);
	CHECK_EQ(ops->features, want);
	CHECK_EQ(ops->config_size, VIRTIO_BLK_CONFIG_SIZE);
	ops->config_read(f->fv.vdev, 0, cfg, sizeof(cfg));
	CHECK_EQ(get64(cfg + 0), DISK_SECTORS);
	CHECK_EQ(get32(cfg + 8), VIRTIO_BLK_SIZE_MAX);
	CHECK_EQ(get32(cfg + 12), VIRTIO_BLK_SEG_MAX_CONFIG);
	/* SeaBIOS's (u16)(size_max * seg_max / 512) must not be 0 (see virtio_blk.h). */
	CHECK((uint16_t)((uint64_t)VIRTIO_BLK_SIZE_MAX * VIRTIO_BLK_SEG_MAX_CONFIG / 512) != 0);
	CHECK(VIRTIO_BLK_SEG_MAX_CONFIG <= VIRTIO_BLK_SEG_MAX);
	CHECK_EQ(get32(cfg + 20), 512);
	CHECK_EQ(get32(cfg + 36), VIRTIO_BLK_MAX_DISCARD_SECTORS);
	CHECK_EQ(get32(cfg + 40), 1);
	CHECK_EQ(get32(cfg + 44), 8);
	CHECK_EQ(get32(cfg + 48), VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS);
	CHECK_EQ(get32(cfg + 52), 1);
	/* Partial and out-of-range reads. */
	ops->config_read(f->fv.vdev, 4, &v32, 4);
	CHECK_EQ(v32, 0);
	ops->config_read(f->fv.vdev, 20, &v32, 4);
	CHECK_EQ(le32toh(v32), 512);
	v32 = 0xffffffff;
	ops->config_read(f->fv.vdev, VIRTIO_BLK_CONFIG_SIZE - 2, &v32, 4);
	CHECK_EQ(v32, 0);
	ops->config_write(f->fv.vdev, 32, &v32, 1);
	fx_destroy(f);

	f = fx_create_cfg(true, NULL);
	CHECK_EQ(f->fv.vdev->ops->features, (want | 1ull << VIRTIO_BLK_F_RO) &
		 ~(1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	fx_destroy(f);
}

/* queues=2: MQ offered, num_queues in config, each queue's requests answered on it. */
static void t_multiqueue(void)
{
	struct fixture *f;
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE], buf[512];
	struct epoll_event ev[8];

	fx_queues = 2;
	f = fx_create();
	fx_queues = 0;
	CHECK_EQ(f->fv.vdev->ops->num_queues, 2);
	CHECK(f->fv.vdev->ops->features & 1ull << VIRTIO_BLK_F_MQ);
	f->fv.vdev->ops->config_read(f->fv.vdev, 0, cfg, sizeof(cfg));
	CHECK_EQ(get16(cfg + VIRTIO_BLK_CFG_NUM_QUEUES), 2);

	/* Queue 1: read sector 7. Queue 0: write sector 9. */
	fake_desc(&f->fv, 1, 0, fx_hdr(f, 0, VIRTIO_BLK_T_IN, 7), 16, F_NEXT, 1);
	fake_desc(&f->fv, 1, 1, DATA_GPA, 512, F_WRITE | F_NEXT, 2);
	fake_desc(&f->fv, 1, 2, STATUS_GPA + 0, 1, F_WRITE, 0);
	fake_avail(&f->fv, 1, 0);
	memset(f->fv.ram + DATA_GPA + 0x1000, 0x5c, 512);
	fx_req(f, 1, VIRTIO_BLK_T_OUT, 9, DATA_GPA + 0x1000, 512);
	fake_virtio_lock(f->fv.vdev);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, 1);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, 0);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, 2);    /* no such queue: ignored */
	fake_virtio_unlock(f->fv.vdev);
	for (int i = 0; i < 500 && (fake_used_idx(&f->fv, 0) != 1 || fake_used_idx(&f->fv, 1) != 1); i++) {
		int n = epoll_wait(f->loop.epfd, ev, 8, 10);

		for (int j = 0; j < n; j++) {
			struct event_handler *h = &f->loop.handlers[ev[j].data.u32];

			h->fn(h->ctx, ev[j].events);
		}
	}
	/* Each completion on its own queue's used ring, each queue interrupted. */
	CHECK_EQ(fake_used_idx(&f->fv, 1), 1);
	CHECK_EQ(fake_used_id(&f->fv, 1, 0), 0);
	CHECK_EQ(fake_used_len(&f->fv, 1, 0), 513);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(fake_used_id(&f->fv, 0, 0), 3);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(status(f, 1), VIRTIO_BLK_S_OK);
	CHECK(sector_is(f->fv.ram + DATA_GPA, 7));
	CHECK_EQ(pread(f->fd, buf, 512, 9 * 512), 512);
	CHECK(all_bytes(buf, 512, 0x5c));
	CHECK(f->fv.nr_signal_used[0] >= 1);
	CHECK(f->fv.nr_signal_used[1] >= 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void t_read_write(void)
{
	struct fixture *f = fx_create();
	uint8_t buf[8192];

	/* Read sectors 10..17 into one buffer. */
	fx_req(f, 0, VIRTIO_BLK_T_IN, 10, DATA_GPA, 4096);
	fake_notify(&f->fv, 0);
	fx_wait(f, 1);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(fake_used_id(&f->fv, 0, 0), 0);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 4097);
	for (int s = 0; s < 8; s++)
		CHECK(sector_is(f->fv.ram + DATA_GPA + 512 * s, 10 + s));
	CHECK_EQ(f->fv.nr_signal_used[0], 1);

	/* Write two sectors split over two buffers, with header and data in one descriptor. */
	memset(f->fv.ram + DATA_GPA + 0x10000, 0xa1, 512);
	memset(f->fv.ram + DATA_GPA + 0x20000, 0xb2, 512);
	fx_hdr(f, 1, VIRTIO_BLK_T_OUT, 100);
	memcpy(f->fv.ram + DATA_GPA + 0x10000 - 16, f->fv.ram + HDR_GPA + 16, 16);
	fake_desc(&f->fv, 0, 10, DATA_GPA + 0x10000 - 16, 16 + 512, F_NEXT, 11);
	fake_desc(&f->fv, 0, 11, DATA_GPA + 0x20000, 512, F_NEXT, 12);
	fake_desc(&f->fv, 0, 12, STATUS_GPA + 1, 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 10);
	/* And a flush in the same batch. */
	fx_req(f, 5, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	fake_notify(&f->fv, 0);
	fx_wait(f, 3);
	CHECK_EQ(status(f, 1), VIRTIO_BLK_S_OK);
	CHECK_EQ(status(f, 5), VIRTIO_BLK_S_OK);
	CHECK_EQ(fake_used_len(&f->fv, 0, 1), 1);
	CHECK_EQ(fake_used_len(&f->fv, 0, 2), 1);
	CHECK_EQ(pread(f->fd, buf, 1536, 99 * 512), 1536);
	CHECK(sector_is(buf, 99));
	CHECK(all_bytes(buf + 512, 512, 0xa1));
	CHECK(all_bytes(buf + 1024, 512, 0xb2));

	/* Read them back with the status byte sharing the data's last buffer. */
	memset(f->fv.ram + DATA_GPA + 0x30000, 0, 0x1000);
	fake_desc(&f->fv, 0, 20, fx_hdr(f, 2, VIRTIO_BLK_T_IN, 100), 16, F_NEXT, 21);
	fake_desc(&f->fv, 0, 21, DATA_GPA + 0x30000, 512 + 100, F_WRITE | F_NEXT, 22);
	fake_desc(&f->fv, 0, 22, DATA_GPA + 0x31000, 412 + 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 20);
	fake_notify(&f->fv, 0);
	fx_wait(f, 4);
	CHECK_EQ(fake_used_len(&f->fv, 0, 3), 1025);
	CHECK(all_bytes(f->fv.ram + DATA_GPA + 0x30000, 512, 0xa1));
	CHECK(all_bytes(f->fv.ram + DATA_GPA + 0x30000 + 512, 100, 0xb2));
	CHECK(all_bytes(f->fv.ram + DATA_GPA + 0x31000, 412, 0xb2));
	CHECK_EQ(f->fv.ram[DATA_GPA + 0x31000 + 412], VIRTIO_BLK_S_OK);

	/* The last sector is readable; zero-length requests just succeed. */
	fx_req(f, 3, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA_GPA, 512);
	fx_req(f, 4, VIRTIO_BLK_T_OUT, DISK_SECTORS, 0, 0);
	fake_notify(&f->fv, 0);
	fx_wait(f, 6);
	CHECK_EQ(status(f, 3), VIRTIO_BLK_S_OK);
	CHECK_EQ(status(f, 4), VIRTIO_BLK_S_OK);
	CHECK(sector_is(f->fv.ram + DATA_GPA, DISK_SECTORS - 1));
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void t_many_in_flight(void)
{
	struct fixture *f = fx_create();

	/* 64 reads of 8 sectors each, one notify: all complete, in any order. */
	for (unsigned int s = 0; s < 64; s++)
		fx_req(f, s, VIRTIO_BLK_T_IN, 8ull * s, DATA_GPA + 4096ull * s, 4096);
	fake_notify(&f->fv, 0);
	fx_wait(f, 64);
	for (unsigned int s = 0; s < 64; s++) {
		CHECK_EQ(status(f, s), VIRTIO_BLK_S_OK);
		CHECK(sector_is(f->fv.ram + DATA_GPA + 4096ull * s, 8ull * s));
		CHECK(sector_is(f->fv.ram + DATA_GPA + 4096ull * s + 3584, 8ull * s + 7));
	}
	CHECK(f->fv.nr_signal_used[0] >= 1 && f->fv.nr_signal_used[0] <= 64);
	fx_destroy(f);
}

static void t_get_id(void)
{
	struct fixture *f = fx_create_cfg(false, "SERIAL-0123456789abc");

	fx_req(f, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 20);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);       /* answered at once */
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(fake_used_len(&f->fv, 0, 0), 21);
	CHECK(memcmp(f->fv.ram + DATA_GPA, "SERIAL-0123456789abc", 20) == 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	fx_destroy(f);

	/* Default: the file name and a hash of the path, NUL padded. */
	f = fx_create();
	memset(f->fv.ram + DATA_GPA, 0xff, 64);
	fx_req(f, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 64);
	fake_notify(&f->fv, 0);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK(memcmp(f->fv.ram + DATA_GPA, "disk", 4) == 0);
	CHECK(strchr((char *)f->fv.ram + DATA_GPA, '-') != NULL);
	CHECK_EQ(f->fv.ram[DATA_GPA + 20], 0xff);
	fx_destroy(f);
}

static void fx_seg_req(struct fixture *f, unsigned int s, uint32_t type, uint64_t sector, uint32_t nr,
		       uint32_t flags)
{
	uint8_t *seg = f->fv.ram + DATA_GPA + 64ull * s;

	put64(seg, sector);
	put32(seg + 8, nr);
	put32(seg + 12, flags);
	fx_req(f, s, type, 0, DATA_GPA + 64ull * s, 16);
}

static void t_discard_write_zeroes(void)
{
	struct fixture *f = fx_create();
	static uint8_t buf[DISK_SECTORS * 512];

	fx_seg_req(f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 16, 24, 0);
	fx_seg_req(f, 1, VIRTIO_BLK_T_WRITE_ZEROES, 100, 8, VIRTIO_BLK_WRITE_ZEROES_F_UNMAP);
	fx_seg_req(f, 2, VIRTIO_BLK_T_DISCARD, 512, 64, 0);
	fx_seg_req(f, 3, VIRTIO_BLK_T_DISCARD, 0, 0, 0);
	fake_notify(&f->fv, 0);
	fx_wait(f, 4);
	for (unsigned int s = 0; s < 4; s++)
		CHECK_EQ(status(f, s), VIRTIO_BLK_S_OK);
	CHECK_EQ(pread(f->fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	CHECK(sector_is(buf + 15 * 512, 15));
	CHECK(all_bytes(buf + 16 * 512, 24 * 512, 0));
	CHECK(sector_is(buf + 40 * 512, 40));
	CHECK(all_bytes(buf + 100 * 512, 8 * 512, 0));
	CHECK(sector_is(buf + 108 * 512, 108));
	CHECK(sector_is(buf + 511 * 512, 511));
	CHECK(sector_is(buf + 576 * 512, 576));

	/* Unknown flags: UNSUPP; beyond the disk or too long: IOERR. */
	fx_seg_req(f, 4, VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WRITE_ZEROES_F_UNMAP);
	fx_seg_req(f, 5, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x80);
	fx_seg_req(f, 6, VIRTIO_BLK_T_WRITE_ZEROES, DISK_SECTORS - 4, 8, 0);
	fx_seg_req(f, 7, VIRTIO_BLK_T_DISCARD, UINT64_MAX - 2, 8, 0);
	fx_seg_req(f, 8, VIRTIO_BLK_T_WRITE_ZEROES, 0, VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS + 1, 0);
	/* Two segments (max_discard_seg is 1). */
	fake_desc(&f->fv, 0, 40, fx_hdr(f, 9, VIRTIO_BLK_T_DISCARD, 0), 16, F_NEXT, 41);
	fake_desc(&f->fv, 0, 41, DATA_GPA, 32, F_NEXT, 42);
	fake_desc(&f->fv, 0, 42, STATUS_GPA + 9, 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 40);
	fake_notify(&f->fv, 0);
	fx_wait(f, 10);
	CHECK_EQ(status(f, 4), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(status(f, 5), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(status(f, 6), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 7), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 8), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 9), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void t_readonly(void)
{
	struct fixture *f = fx_create_cfg(true, NULL);
	uint8_t buf[512];

	memset(f->fv.ram + DATA_GPA, 0x77, 512);
	fx_req(f, 0, VIRTIO_BLK_T_OUT, 5, DATA_GPA, 512);
	fx_seg_req(f, 1, VIRTIO_BLK_T_DISCARD, 0, 8, 0);
	fx_seg_req(f, 2, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0);
	fx_req(f, 3, VIRTIO_BLK_T_IN, 6, DATA_GPA + 0x1000, 512);
	fx_req(f, 4, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	fake_notify(&f->fv, 0);
	fx_wait(f, 5);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 1), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 2), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 3), VIRTIO_BLK_S_OK);
	CHECK_EQ(status(f, 4), VIRTIO_BLK_S_OK);
	CHECK(sector_is(f->fv.ram + DATA_GPA + 0x1000, 6));
	CHECK_EQ(pread(f->fd, buf, 512, 5 * 512), 512);
	CHECK(sector_is(buf, 5));
	fx_destroy(f);
}

static void t_bad_requests(void)
{
	struct fixture *f = fx_create();
	unsigned int s = 0;

	/* Short header (8 bytes), with a status byte: IOERR. */
	fake_desc(&f->fv, 0, 0, fx_hdr(f, s, VIRTIO_BLK_T_IN, 0), 8, F_NEXT, 1);
	fake_desc(&f->fv, 0, 1, DATA_GPA, 512, F_WRITE | F_NEXT, 2);
	fake_desc(&f->fv, 0, 2, STATUS_GPA + s, 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	s++;
	/* Wrong direction: a read whose data is readable, a write whose data is writable. */
	fake_desc(&f->fv, 0, 3, fx_hdr(f, s, VIRTIO_BLK_T_IN, 0), 16, F_NEXT, 4);
	fake_desc(&f->fv, 0, 4, DATA_GPA, 512, F_NEXT, 5);
	fake_desc(&f->fv, 0, 5, STATUS_GPA + s, 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 3);
	s++;
	fake_desc(&f->fv, 0, 6, fx_hdr(f, s, VIRTIO_BLK_T_OUT, 0), 16, F_NEXT, 7);
	fake_desc(&f->fv, 0, 7, DATA_GPA, 512, F_WRITE | F_NEXT, 8);
	fake_desc(&f->fv, 0, 8, STATUS_GPA + s, 1, F_WRITE, 0);
	fake_avail(&f->fv, 0, 6);
	s++;
	/* Beyond capacity, straddling the end, overflowing sector * 512 and sector + n. */
	fx_req(f, 3, VIRTIO_BLK_T_IN, DISK_SECTORS, DATA_GPA, 512);
	fx_req(f, 4, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, DATA_GPA, 1024);
	fx_req(f, 5, VIRTIO_BLK_T_IN, 1ull << 55, DATA_GPA, 512);
	fx_req(f, 6, VIRTIO_BLK_T_IN, UINT64_MAX, DATA_GPA, 512);
	/* Length not a multiple of 512. */
	fx_req(f, 7, VIRTIO_BLK_T_IN, 0, DATA_GPA, 511);
	fx_req(f, 8, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 1000);
	/* Unknown and unimplemented types. */
	fx_req(f, 9, 0x1234, 0, DATA_GPA, 512);
	fx_req(f, 10, 10 /* GET_LIFETIME */, 0, DATA_GPA, 512);
	/* GET_ID with nowhere to put the id. */
	fx_req(f, 11, VIRTIO_BLK_T_GET_ID, 0, 0, 0);
	fake_notify(&f->fv, 0);
	fx_wait(f, 12);
	for (unsigned int i = 0; i < 9; i++)
		CHECK_EQ(status(f, i), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 9), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(status(f, 10), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(status(f, 11), VIRTIO_BLK_S_IOERR);
	for (unsigned int i = 0; i < 12; i++)
		CHECK_EQ(fake_used_len(&f->fv, 0, i), 1);
	/* Nothing was read into guest memory or written to the file. */
	CHECK(all_bytes(f->fv.ram + DATA_GPA, 512, 0));
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void t_huge_chain(void)
{
	struct fixture *f = fx_create();
	uint16_t n = 200;

	/* An indirect table with 200 data buffers of 512 bytes: more than seg_max. */
	fake_desc_at(&f->fv, IND_GPA, 0, fx_hdr(f, 0, VIRTIO_BLK_T_IN, 0), 16, F_NEXT, 1);
	for (uint16_t i = 1; i <= n; i++)
		fake_desc_at(&f->fv, IND_GPA, i, DATA_GPA + 512ull * i, 512, F_WRITE | F_NEXT, i + 1);
	fake_desc_at(&f->fv, IND_GPA, n + 1, STATUS_GPA, 1, F_WRITE, 0);
	fake_desc(&f->fv, 0, 0, IND_GPA, 16u * (n + 2), F_INDIRECT, 0);
	fake_avail(&f->fv, 0, 0);
	/* Exactly seg_max buffers is fine. */
	fake_desc_at(&f->fv, IND_GPA + 0x4000, 0, fx_hdr(f, 1, VIRTIO_BLK_T_IN, 0), 16, F_NEXT, 1);
	for (uint16_t i = 1; i <= VIRTIO_BLK_SEG_MAX; i++)
		fake_desc_at(&f->fv, IND_GPA + 0x4000, i, DATA_GPA + 512ull * i, 512, F_WRITE | F_NEXT, i + 1);
	fake_desc_at(&f->fv, IND_GPA + 0x4000, VIRTIO_BLK_SEG_MAX + 1, STATUS_GPA + 1, 1, F_WRITE, 0);
	fake_desc(&f->fv, 0, 1, IND_GPA + 0x4000, 16u * (VIRTIO_BLK_SEG_MAX + 2), F_INDIRECT, 0);
	fake_avail(&f->fv, 0, 1);
	fake_notify(&f->fv, 0);
	fx_wait(f, 2);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status(f, 1), VIRTIO_BLK_S_OK);
	CHECK(sector_is(f->fv.ram + DATA_GPA + 512 * VIRTIO_BLK_SEG_MAX, VIRTIO_BLK_SEG_MAX - 1));
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void t_malformed(void)
{
	struct fixture *f = fx_create();

	/* A good request, then one with no status byte (readable only): needs reset. */
	fx_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512);
	fake_desc(&f->fv, 0, 10, fx_hdr(f, 1, VIRTIO_BLK_T_OUT, 0), 16, F_NEXT, 11);
	fake_desc(&f->fv, 0, 11, DATA_GPA, 512, 0, 0);
	fake_avail(&f->fv, 0, 10);
	fx_req(f, 2, VIRTIO_BLK_T_IN, 0, DATA_GPA + 0x1000, 512);
	fake_notify(&f->fv, 0);
	fx_wait(f, 1);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(status(f, 1), 0xff);
	CHECK_EQ(status(f, 2), 0xff);
	/* Ignored until reset. */
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	fx_destroy(f);

	/* A loop in the descriptors (virtq_pop -EINVAL). */
	f = fx_create();
	fake_desc(&f->fv, 0, 0, fx_hdr(f, 0, VIRTIO_BLK_T_IN, 0), 16, F_NEXT, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	/* After reset and re-activation it works again. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fake_virtio_queue_reset(&f->fv, 0);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	fx_req(f, 0, VIRTIO_BLK_T_IN, 3, DATA_GPA, 512);
	fake_notify(&f->fv, 0);
	fx_wait(f, 1);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK(sector_is(f->fv.ram + DATA_GPA, 3));
	fx_destroy(f);
}

static void t_reset_in_flight(void)
{
	struct fixture *f = fx_create();
	struct epoll_event ev;
	int ret;

	for (unsigned int s = 0; s < 80; s++)
		fx_req(f, s, s % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, 16ull * s, DATA_GPA + 8192ull * s, 8192);
	fake_notify(&f->fv, 0);
	/* The driver resets before any completion was delivered. */
	fake_virtio_lock(f->fv.vdev);
	f->fv.vdev->ops->reset(f->fv.vdev);
	fake_virtio_unlock(f->fv.vdev);
	memset(f->fv.ram + fake_used_gpa(&f->fv, 0), 0, 8);
	/* The reset queue is untouched, and no completion is delivered later. */
	/* io_uring task work may interrupt the wait (EINTR), as in the event loop. */
	do
		ret = epoll_wait(f->loop.epfd, &ev, 1, 50);
	while (ret < 0 && errno == EINTR);
	CHECK_EQ(ret, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_signal_used[0], 0);

	/* The device works after re-activation. */
	fake_virtio_queue_reset(&f->fv, 0);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	fx_req(f, 0, VIRTIO_BLK_T_IN, 7, DATA_GPA, 512);
	fake_notify(&f->fv, 0);
	fx_wait(f, 1);
	CHECK_EQ(status(f, 0), VIRTIO_BLK_S_OK);
	CHECK(sector_is(f->fv.ram + DATA_GPA, 7));

	/* Destroy with requests in flight waits for them too (ASan would see a use after free). */
	for (unsigned int s = 0; s < 64; s++)
		fx_req(f, s, VIRTIO_BLK_T_IN, 16ull * s, DATA_GPA + 8192ull * s, 8192);
	fake_notify(&f->fv, 0);
	fx_destroy(f);
}

static void t_event_idx(void)
{
	struct fixture *f = fx_create();

	f->fv.vq[0].event_idx = true;
	fx_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512);
	fx_req(f, 1, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	fake_notify(&f->fv, 0);
	/* avail_event (after the used ring) asks for a notification at index 2. */
	CHECK_EQ(get16(f->fv.ram + fake_used_gpa(&f->fv, 0) + 4 + 8 * QSIZE), 2);
	fx_wait(f, 2);
	fx_destroy(f);
}

static void t_reused_heads(void)
{
	struct fixture *f = fx_create();

	/* A driver offering one head 300 times (more than the slots): every one is served. */
	fx_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512);
	for (int i = 1; i < 300; i++) {
		fake_avail(&f->fv, 0, 0);
		if (i % 200 == 0)
			fake_notify(&f->fv, 0);
	}
	fake_notify(&f->fv, 0);
	fx_wait(f, 300 % 65536);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static bool uring_ok;

#define BOTH(name) \
	static void test_##name(void) \
	{ \
		kind = BLOCK_AIO_THREADS; \
		t_##name(); \
		if (uring_ok) { \
			kind = BLOCK_AIO_IO_URING; \
			t_##name(); \
		} \
	}

BOTH(config)
BOTH(multiqueue)
BOTH(read_write)
BOTH(many_in_flight)
BOTH(get_id)
BOTH(discard_write_zeroes)
BOTH(readonly)
BOTH(bad_requests)
BOTH(huge_chain)
BOTH(malformed)
BOTH(reset_in_flight)
BOTH(event_idx)
BOTH(reused_heads)

static void test_setup(void)
{
	char err[256];
	struct block_aio *aio = block_aio_create(0, 4, BLOCK_AIO_IO_URING, err, sizeof(err));

	CHECK(mkdtemp(tmpdir) != NULL);
	uring_ok = aio != NULL;
	if (aio)
		block_aio_destroy(aio);
	else
		printf("note: io_uring unavailable (%s): thread pool only\n", err);
}

static void test_cleanup(void)
{
	CHECK_EQ(rmdir(tmpdir), 0);
}

TEST_MAIN(test_setup, test_config, test_multiqueue, test_read_write, test_many_in_flight, test_get_id,
	  test_discard_write_zeroes, test_readonly, test_bad_requests, test_huge_chain, test_malformed,
	  test_reset_in_flight, test_event_idx, test_reused_heads, test_cleanup)
