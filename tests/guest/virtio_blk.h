/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (device type 2, virtio 1.2 section 5.2) on the virtio-pci
 * transport: one request queue. A request is a chain of a device-readable
 * header (type, reserved, sector), optional data buffers and a
 * device-writable status byte. Submission and completion are split so
 * callers can keep many requests in flight with one notify per batch.
 */
#ifndef VESSEL_GUEST_VIRTIO_BLK_H
#define VESSEL_GUEST_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_BLK_F_SIZE_MAX		(1ULL << 1)
#define VIRTIO_BLK_F_SEG_MAX		(1ULL << 2)
#define VIRTIO_BLK_F_RO			(1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE		(1ULL << 6)
#define VIRTIO_BLK_F_FLUSH		(1ULL << 9)
#define VIRTIO_BLK_F_MQ			(1ULL << 12)
#define VIRTIO_BLK_F_DISCARD		(1ULL << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES	(1ULL << 14)

#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13

#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
/* Our marker in the status byte: the device never wrote it. */
#define VIRTIO_BLK_S_NONE		0xff

#define VIRTIO_BLK_SECTOR		512
#define VIRTIO_BLK_ID_BYTES		20
#define VIRTIO_BLK_TIMEOUT_MS		5000
#define VIRTIO_BLK_MAX_SLOTS		64	/* requests in flight at most */

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* Payload of DISCARD and WRITE_ZEROES. */
struct virtio_blk_dwz {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* One request's driver-owned bytes (the device reads hdr, writes status). */
struct virtio_blk_slot {
	struct virtio_blk_req_hdr hdr;
	struct virtio_blk_dwz dwz;
	uint8_t status;
	bool busy;
	uint64_t cookie;	/* the caller's */
};

struct virtio_blk {
	struct virtio_pci vp;
	struct virtq vq;
	struct virtq_mem *mem;
	uint32_t index;		/* disk number in PCI order */
	uint64_t capacity;	/* 512-byte sectors */
	uint32_t blk_size;
	uint32_t seg_max;	/* 0: no limit given */
	uint32_t size_max;	/* 0: no limit given */
	bool ro;
	uint32_t max_inflight;	/* requests of up to 3 descriptors that fit the queue */
	uint32_t irqs;		/* queue interrupts seen while waiting */
	uint16_t head_slot[VIRTQ_MAX];
	struct virtio_blk_slot slots[VIRTIO_BLK_MAX_SLOTS];
};

/* Number of virtio-blk functions (modern or transitional) in PCI order. */
uint32_t virtio_blk_count(void);
/* The index-th virtio-blk function in enumeration (PCI) order, or NULL. */
const struct pci_fn *virtio_blk_find(uint32_t index);
/*
 * Bring disk index up to DRIVER_OK (only to queue enabled if !driver_ok),
 * negotiating the features in 5.2.3 as offered plus EVENT_IDX, and read
 * its config. 0, or -1 with blk->vp.error set ("no device").
 */
int virtio_blk_open(struct virtio_blk *blk, struct virtq_mem *mem, uint32_t index, bool driver_ok);
/* Reset the device so it stops touching our memory. */
void virtio_blk_close(struct virtio_blk *blk);

/*
 * Queue one request without notifying: data (len bytes, may be NULL/0) is
 * device-writable for IN and GET_ID. Returns the slot number, or -1 if the
 * queue or the slots are full.
 */
int virtio_blk_submit(struct virtio_blk *blk, uint32_t type, uint64_t sector,
		      void *data, uint32_t len, uint64_t cookie);
/* The slot the next submit will take (the lowest free one), or -1. */
int virtio_blk_peek_slot(struct virtio_blk *blk);
/* Queue a raw chain (for misbehaviour tests); slot's status byte is not added. */
int virtio_blk_submit_raw(struct virtio_blk *blk, const struct virtq_buf *bufs, uint16_t n,
			  uint64_t cookie);
void virtio_blk_kick(struct virtio_blk *blk);
/* Take one completion: slot number (status and cookie in blk->slots), or -1 if none. */
int virtio_blk_reap(struct virtio_blk *blk);
void virtio_blk_release(struct virtio_blk *blk, int slot);
/* Sleep until a completion is there (interrupt or timer tick). 0 or -1 (timeout). */
int virtio_blk_wait(struct virtio_blk *blk, uint32_t timeout_ms);
/*
 * One request start to finish. Returns the status byte, or -1 (queue full
 * or timeout, blk->vp.error says which).
 */
int virtio_blk_do(struct virtio_blk *blk, uint32_t type, uint64_t sector, void *data, uint32_t len);
/* DISCARD or WRITE_ZEROES of one range: status or -1. */
int virtio_blk_do_range(struct virtio_blk *blk, uint32_t type, uint64_t sector, uint32_t count);

#endif
