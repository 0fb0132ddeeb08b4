/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon (device type 5) driver side: inflateq (0), deflateq (1),
 * then statsq and reporting_vq if negotiated, numbered as Linux numbers
 * them (a queue the driver did not take takes no number). PFNs are 4 KiB
 * page numbers (guest-physical: RAM is identity mapped).
 */
#ifndef VESSEL_GUEST_VIRTIO_BALLOON_H
#define VESSEL_GUEST_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_ID_BALLOON			5
#define VIRTIO_PCI_TRANSITIONAL_BALLOON		0x1002
#define VIRTIO_BALLOON_F_STATS_VQ		(1ULL << 1)
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM		(1ULL << 2)
#define VIRTIO_BALLOON_F_REPORTING		(1ULL << 5)
#define VIRTIO_BALLOON_CFG_NUM_PAGES		0
#define VIRTIO_BALLOON_CFG_ACTUAL		4
#define VEC_VIRTIO_BALLOON			(VEC_COUNTED_BASE + 5)

#define VBALLOON_PFNS_PER_REQ			256	/* as Linux */
#define VBALLOON_IN_FLIGHT			32	/* requests posted before waiting */
#define VBALLOON_TIMEOUT_MS			2000

/* Statistics tags (virtio 1.2, 5.5.6.3); 10 is Linux 6.x's OOM kill count, unknown to older devices. */
#define VBALLOON_S_SWAP_IN			0
#define VBALLOON_S_SWAP_OUT			1
#define VBALLOON_S_MEMFREE			4
#define VBALLOON_S_MEMTOT			5
#define VBALLOON_S_AVAIL			6
#define VBALLOON_S_OOM_KILL			10
#define VBALLOON_NR_STATS			6

struct vballoon_stat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

struct virtio_balloon {
	struct virtio_pci vp;
	struct virtq inflateq, deflateq, statsq, reportq;
	bool stats;		/* statsq negotiated and set up */
	bool reporting;		/* reporting_vq negotiated and set up */
	uint32_t requests;	/* PFN requests completed */
};

/*
 * Find the first virtio-balloon function, negotiate wanted (of STATS_VQ,
 * DEFLATE_ON_OOM, REPORTING), set up the queues, DRIVER_OK (unless
 * !driver_ok). 0, or -1 with vb->vp.error.
 */
int virtio_balloon_open(struct virtio_balloon *vb, uint64_t wanted, bool driver_ok);
/* Reset: every page is ours again. */
void virtio_balloon_close(struct virtio_balloon *vb);

/* The target (num_pages) and our answer (actual), in config space. */
uint32_t virtio_balloon_target(const struct virtio_balloon *vb);
void virtio_balloon_set_actual(const struct virtio_balloon *vb, uint32_t pages);

/*
 * Gives (inflate) or takes back (deflate) the n pages from gpa: requests of
 * up to 256 PFNs, in descending order, up to 32 in flight. 0, or -1
 * with vb->vp.error (the device did not answer).
 */
int virtio_balloon_pages(struct virtio_balloon *vb, bool inflate, uint64_t gpa, uint32_t n);

/* Posts n statistics (device-readable) on statsq and notifies. 0 or -1. */
int virtio_balloon_stats_post(struct virtio_balloon *vb, const struct vballoon_stat *s, uint32_t n);
/* Has the device given the statistics buffer back (asking for fresh values)? Takes it. */
bool virtio_balloon_stats_asked(struct virtio_balloon *vb);

#endif
