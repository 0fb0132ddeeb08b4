/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon (virtio 1.2, 5.5): the host sets a target (num_pages in
 * config space), the driver inflates the balloon with pages it gives up
 * (their 4 KiB PFNs on the inflate queue) and reports how many it holds
 * (actual). Inflated pages are released to the host with
 * madvise(MADV_DONTNEED) and read as zeros when the guest takes them back
 * through the deflate queue. Optional: a statistics queue polled every few
 * seconds (VIRTIO_BALLOON_F_STATS_VQ), DEFLATE_ON_OOM, and free page
 * reporting (VIRTIO_BALLOON_F_REPORTING), whose reported ranges are
 * released the same way.
 *
 * Queues, in this order, only those the device offers and the driver
 * accepts (as Linux numbers them): inflateq, deflateq, statsq, reporting_vq.
 *
 * With guest RAM on huge pages (or host pages larger than 4 KiB), only whole
 * host pages can go back: the device tracks which 4 KiB pages are in the
 * balloon and releases a huge page once all of it is; reported ranges
 * release the huge pages they cover entirely.
 */
#ifndef VESSEL_DEVICES_VIRTIO_VIRTIO_BALLOON_H
#define VESSEL_DEVICES_VIRTIO_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event_loop.h"
#include "core/guest_mem.h"
#include "devices/virtio/virtio.h"

/* Feature bits (5.5.3). */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST     0
#define VIRTIO_BALLOON_F_STATS_VQ           1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM     2
#define VIRTIO_BALLOON_F_REPORTING          5

/* Config space (5.5.4): le32 num_pages (device), le32 actual (driver). */
#define VIRTIO_BALLOON_CFG_NUM_PAGES        0
#define VIRTIO_BALLOON_CFG_ACTUAL           4
#define VIRTIO_BALLOON_CONFIG_SIZE          8

#define VIRTIO_BALLOON_PFN_SHIFT            12
#define VIRTIO_BALLOON_PAGES_PER_MIB        256u
#define VIRTIO_BALLOON_QUEUE_SIZE           256
#define VIRTIO_BALLOON_MAX_PFNS             4096    /* PFNs in one inflate/deflate request (Linux: 256) */
#define VIRTIO_BALLOON_STAT_SIZE            10      /* le16 tag, le64 value, packed */
#define VIRTIO_BALLOON_MAX_STATS            64      /* entries read from one statistics buffer */
#define VIRTIO_BALLOON_STATS_INTERVAL_MAX   65535   /* seconds, as Firecracker's u16 */

/* Statistics tags (5.5.6.3); the names are Firecracker's (virtio_balloon_stat_name()). */
enum virtio_balloon_stat {
	VIRTIO_BALLOON_S_SWAP_IN = 0,
	VIRTIO_BALLOON_S_SWAP_OUT,
	VIRTIO_BALLOON_S_MAJFLT,
	VIRTIO_BALLOON_S_MINFLT,
	VIRTIO_BALLOON_S_MEMFREE,
	VIRTIO_BALLOON_S_MEMTOT,
	VIRTIO_BALLOON_S_AVAIL,
	VIRTIO_BALLOON_S_CACHES,
	VIRTIO_BALLOON_S_HTLB_PGALLOC,
	VIRTIO_BALLOON_S_HTLB_PGFAIL,
	VIRTIO_BALLOON_NR_STATS,
};

/* What --balloon, PUT /balloon and a config file's "balloon" ask for. */
struct virtio_balloon_config {
	bool enabled;               /* a balloon device at all */
	uint32_t target_mib;        /* the target at boot */
	bool deflate_on_oom;        /* offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM */
	bool free_page_reporting;   /* offer VIRTIO_BALLOON_F_REPORTING */
	uint32_t stats_interval_s;  /* 0: no statistics queue; else poll every that many seconds */
};

/*
 * The balloon for guest RAM mem (which must outlive it), whose host pages
 * are hugepage_size bytes (0: normal pages); the statistics timer runs on
 * loop. NULL with a one-line reason in err (a target larger than RAM).
 */
__attribute__((warn_unused_result))
struct virtio_dev *virtio_balloon_create(const struct virtio_balloon_config *cfg, const struct guest_mem *mem,
					 uint64_t hugepage_size, struct event_loop *loop,
					 char *err, size_t errlen);

/* What the API reports; read under the transport lock. */
struct virtio_balloon_info {
	uint32_t target_pages;      /* num_pages: what the host asks for */
	uint32_t actual_pages;      /* actual: what the driver says it holds */
	bool deflate_on_oom;
	bool free_page_reporting;
	bool stats_enabled;         /* the statistics queue is offered */
	uint32_t stats_interval_s;
	uint32_t stats_valid;       /* bit t: the driver reported statistic t */
	uint64_t stats[VIRTIO_BALLOON_NR_STATS];
	uint64_t released_bytes;    /* given back to the host so far (inflated and reported) */
};

void virtio_balloon_get_info(struct virtio_dev *vdev, struct virtio_balloon_info *info);

/*
 * A new target in 4 KiB pages; the driver is told with a config-change
 * interrupt. 0, or -EINVAL if it is more than guest RAM.
 */
int virtio_balloon_set_target(struct virtio_dev *vdev, uint32_t pages);

/*
 * A new statistics polling interval. 0, or -EINVAL when it would turn
 * statistics on or off (they are chosen at creation, as in Firecracker).
 */
int virtio_balloon_set_stats_interval(struct virtio_dev *vdev, uint32_t seconds);

/* Asks the driver for fresh statistics now (what the polling timer does). */
void virtio_balloon_request_stats(struct virtio_dev *vdev);

/* Firecracker's JSON name of statistic tag t ("free_memory"...). */
const char *virtio_balloon_stat_name(unsigned int t);

#endif
