/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2, 5.2): one request queue, or several with
 * VIRTIO_BLK_F_MQ, served asynchronously by the block backend (src/block),
 * zero copy into guest memory.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_BLK_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block/block_aio.h"
#include "core/event_loop.h"
#include "devices/virtio/virtio.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX       1
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_MQ             12
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN             0
#define VIRTIO_BLK_T_OUT            1
#define VIRTIO_BLK_T_FLUSH          4
#define VIRTIO_BLK_T_GET_ID         8
#define VIRTIO_BLK_T_DISCARD        11
#define VIRTIO_BLK_T_WRITE_ZEROES   13
#define VIRTIO_BLK_S_OK             0
#define VIRTIO_BLK_S_IOERR          1
#define VIRTIO_BLK_S_UNSUPP         2

#define VIRTIO_BLK_WRITE_ZEROES_F_UNMAP 1u

#define VIRTIO_BLK_ID_BYTES         20
#define VIRTIO_BLK_SECTOR_SIZE      512u
#define VIRTIO_BLK_HDR_SIZE         16u
#define VIRTIO_BLK_SEG_SIZE         16u      /* struct virtio_blk_discard_write_zeroes */

#define VIRTIO_BLK_QUEUE_SIZE       256
#define VIRTIO_BLK_MAX_QUEUES       16       /* request queues with VIRTIO_BLK_F_MQ */
#define VIRTIO_BLK_SEG_MAX          128      /* data buffers per request */
#define VIRTIO_BLK_SIZE_MAX         (1u << 20)
/*
 * The seg_max the config space gives: QEMU's (queue size 128 - 2), under
 * what the device accepts. SeaBIOS 1.16 splits a disk read into pieces of
 * (u16)(size_max * seg_max / 512) sectors: 1 MiB x 128 is 0x40000, which is
 * 0 in 16 bits, and it then sends empty requests forever; 1 MiB x 126 gives
 * 61440 sectors.
 */
#define VIRTIO_BLK_SEG_MAX_CONFIG   126
#define VIRTIO_BLK_MAX_DISCARD_SECTORS      (1u << 22)
#define VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS (1u << 16)
#define VIRTIO_BLK_DISCARD_ALIGNMENT        8u   /* sectors: 4 KiB */

/* Config space offsets (5.2.4) and the part of it we implement. */
#define VIRTIO_BLK_CFG_CAPACITY             0
#define VIRTIO_BLK_CFG_SIZE_MAX             8
#define VIRTIO_BLK_CFG_SEG_MAX              12
#define VIRTIO_BLK_CFG_BLK_SIZE             20
#define VIRTIO_BLK_CFG_WRITEBACK            32
#define VIRTIO_BLK_CFG_NUM_QUEUES           34
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS  36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG      40
#define VIRTIO_BLK_CFG_DISCARD_ALIGNMENT    44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS       48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG           52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP         56
#define VIRTIO_BLK_CONFIG_SIZE              60

struct virtio_blk_config {
	const char *path;
	bool readonly;
	bool direct;                /* cache=none: O_DIRECT */
	const char *serial;         /* GET_ID, at most 20 bytes; NULL: derived from the path */
	enum block_aio_kind aio;    /* I/O engine; AUTO by default */
	uint16_t queues;            /* request queues, 1..VIRTIO_BLK_MAX_QUEUES; 0 means 1 */
};

/*
 * Opens the disk and creates the device, its completions served on loop.
 * NULL with a one-line message in err ("disk FILE: ...").
 */
__attribute__((warn_unused_result))
struct virtio_dev *virtio_blk_create(const struct virtio_blk_config *cfg, struct event_loop *loop,
				     char *err, size_t errlen);

/* Which I/O engine the device uses ("io_uring" or "threads"), for logs and tests. */
const char *virtio_blk_aio_name(struct virtio_dev *vdev);

/* A parsed request (virtio_blk_req.c): what to do, or the status to answer at once. */
struct virtio_blk_req {
	uint32_t type;
	uint64_t sector;
	uint8_t *status;            /* the status byte, in guest memory */
	uint8_t result;             /* != VIRTIO_BLK_S_OK: complete now with this status */
	struct iovec *iov;          /* data buffers (IN: writable, OUT: readable) */
	int iovcnt;
	uint64_t data_len;
	uint64_t seg_sector;        /* DISCARD, WRITE_ZEROES: the one segment */
	uint32_t seg_sectors;
	uint32_t seg_flags;
};

/* What the device is: limits a request is checked against. */
struct virtio_blk_limits {
	uint64_t capacity;          /* sectors */
	bool readonly;
};

/*
 * Parses and validates the chain, pointing req->iov (room for iov_max
 * entries) at its data buffers. -EINVAL if there is no status byte to report
 * an error in (the device then needs a reset); otherwise 0, with req->result
 * saying whether the request is good.
 */
int virtio_blk_req_parse(const struct virtq_chain *chain, const struct virtio_blk_limits *lim,
			 struct iovec *iov, unsigned int iov_max, struct virtio_blk_req *req);

#endif
