/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon: inflate and deflate requests are arrays of le32 PFNs in
 * device-readable buffers. An inflate request's PFNs are all checked
 * against guest RAM first (one outside it and the request is refused, the
 * device needs a reset), then sorted and coalesced into runs of contiguous
 * host memory, each released with one madvise(MADV_DONTNEED). Released
 * ranges are marked written for a live migration in progress, so it sends
 * them again (as zero pages). Deflate needs nothing: pages fault back in.
 *
 * Guest RAM on huge pages: a bitmap of the 4 KiB pages in the balloon, and
 * a huge page is released once every page of it is there (deflating one of
 * its pages clears its bit; the huge page comes back on the next touch).
 * The bitmap is host-side only: a reset or a restore starts it empty.
 *
 * Statistics: the driver posts one buffer of (le16 tag, le64 value)
 * entries; the device keeps it (its head is state that snapshots carry)
 * until the polling timer asks for fresh values by giving it back.
 */
#include "devices/virtio/virtio_balloon.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/log.h"
#include "snapshot/snap_buf.h"

#define BALLOON_PAGE (1ULL << VIRTIO_BALLOON_PFN_SHIFT)

enum balloon_queue { BALLOON_Q_NONE, BALLOON_Q_INFLATE, BALLOON_Q_DEFLATE, BALLOON_Q_STATS, BALLOON_Q_REPORT };

#define BALLOON_MAX_QUEUES 4

/* Guest-visible state: what snapshots and migration carry (little-endian there). */
struct virtio_balloon_state {
	uint32_t num_pages;         /* the target */
	uint32_t actual;            /* what the driver wrote */
	uint32_t stats_interval_s;
	uint32_t stats_valid;       /* bit t: stats[t] came from the driver */
	uint16_t stats_head;        /* the statistics buffer the device holds, */
	uint8_t stats_held;         /* if 1 */
	uint8_t pad[5];
	uint64_t stats[VIRTIO_BALLOON_NR_STATS];
};

_Static_assert(sizeof(struct virtio_balloon_state) == 104, "virtio-balloon snapshot state layout");

struct virtio_balloon {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;  /* per instance: features and queues follow the config */
	struct virtio_balloon_config cfg;
	struct virtio_balloon_state st;
	const struct guest_mem *mem;
	struct event_loop *loop;
	int timer_fd;               /* statistics polling; -1 without statistics */
	uint64_t ram_pages;         /* guest RAM in 4 KiB pages: targets are checked against it */
	uint64_t unit;              /* the host page size of guest RAM: what one release must cover */
	uint64_t *inflated;         /* unit > 4 KiB: one bit per guest page (gpa / 4 KiB) in the balloon */
	uint64_t inflated_pages;    /* bits in it */
	uint8_t roles[BALLOON_MAX_QUEUES];  /* enum balloon_queue of each queue, from the negotiated features */
	int stats_q;                /* the statistics queue's index, -1: none */
	bool active;                /* DRIVER_OK and not reset since */
	bool broken;                /* NEEDS_RESET reported: ignore the queues until reset */
	bool release_failed;        /* madvise refused once: said so, and stopped trying */
	uint64_t released_bytes;
	struct virtq_chain chain;   /* scratch for virtq_pop; too big for the stack */
	uint32_t pfns[VIRTIO_BALLOON_MAX_PFNS];
};

static const char *const stat_names[VIRTIO_BALLOON_NR_STATS] = {
	"swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
	"total_memory", "available_memory", "disk_caches", "hugetlb_allocations", "hugetlb_failures",
};

const char *virtio_balloon_stat_name(unsigned int t)
{
	return t < VIRTIO_BALLOON_NR_STATS ? stat_names[t] : NULL;
}

static struct virtio_balloon *balloon_of(struct virtio_dev *vdev)
{
	return vdev->priv;
}

static void balloon_lock(struct virtio_balloon *b)
{
	if (b->vdev.transport && b->vdev.transport->lock)
		b->vdev.transport->lock(&b->vdev);
}

static void balloon_unlock(struct virtio_balloon *b)
{
	if (b->vdev.transport && b->vdev.transport->unlock)
		b->vdev.transport->unlock(&b->vdev);
}

/* ---- giving memory back ---- */

/* madvise(MADV_DONTNEED) of whole host pages; after a refusal, warns once and does nothing. */
static void balloon_discard(struct virtio_balloon *b, uint8_t *hva, uint64_t len)
{
	if (b->release_failed || !len)
		return;
	if (madvise(hva, len, MADV_DONTNEED)) {
		log_warn("virtio-balloon: madvise(MADV_DONTNEED): %s; memory the guest gives up stays allocated",
			 strerror(errno));
		b->release_failed = true;
		return;
	}
	b->released_bytes += len;
}

/* Releases the host pages wholly inside [hva, hva + len). */
static void balloon_discard_inside(struct virtio_balloon *b, uint8_t *hva, uint64_t len)
{
	uintptr_t start = ((uintptr_t)hva + b->unit - 1) & ~(uintptr_t)(b->unit - 1);
	uintptr_t end = ((uintptr_t)hva + len) & ~(uintptr_t)(b->unit - 1);

	if (end > start)
		balloon_discard(b, (uint8_t *)start, end - start);
}

static bool balloon_bits_all_set(const uint64_t *bits, uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n;) {
		if (!(i % 64) && first + n - i >= 64) {
			if (bits[i / 64] != ~0ULL)
				return false;
			i += 64;
			continue;
		}
		if (!(bits[i / 64] & (1ULL << (i % 64))))
			return false;
		i++;
	}
	return true;
}

/* Huge pages: records the run's pages, releases every host page of the run now wholly inflated. */
static void balloon_inflate_tracked(struct virtio_balloon *b, uint64_t gpa, uint64_t len)
{
	uint64_t per = b->unit / BALLOON_PAGE, first = gpa / BALLOON_PAGE, n = len / BALLOON_PAGE;

	for (uint64_t i = first; i < first + n && i < b->inflated_pages; i++)
		b->inflated[i / 64] |= 1ULL << (i % 64);
	for (uint64_t block = first / per; block <= (first + n - 1) / per; block++) {
		uint64_t block_gpa = block * b->unit;
		uint8_t *hva;

		if ((block + 1) * per > b->inflated_pages || !balloon_bits_all_set(b->inflated, block * per, per))
			continue;
		hva = guest_mem_ptr(b->mem, block_gpa, b->unit);
		if (!hva || (uintptr_t)hva % b->unit)
			continue;
		balloon_discard(b, hva, b->unit);
		guest_mem_mark_written(b->mem, block_gpa, b->unit);
	}
}

/* A run of inflated guest pages, contiguous in guest and host memory. */
static void balloon_release_run(struct virtio_balloon *b, uint64_t gpa, uint8_t *hva, uint64_t len)
{
	if (b->inflated) {
		balloon_inflate_tracked(b, gpa, len);
		return;
	}
	balloon_discard_inside(b, hva, len);
	/* A migration in progress must send these pages again: they read as zeros now. */
	guest_mem_mark_written(b->mem, gpa, len);
}

static int balloon_cmp_pfn(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Reads the request's PFNs into b->pfns, checked against guest RAM and
 * sorted; their count, or -EINVAL with why.
 */
static int balloon_read_pfns(struct virtio_balloon *b, const struct virtq_chain *chain, const char **why)
{
	uint32_t n;

	if (chain->nr_in) {
		*why = "a PFN request with a device-writable buffer";
		return -EINVAL;
	}
	if (chain->out_len % sizeof(uint32_t)) {
		*why = "a PFN request whose length is not a multiple of 4";
		return -EINVAL;
	}
	n = chain->out_len / sizeof(uint32_t);
	if (n > VIRTIO_BALLOON_MAX_PFNS) {
		*why = "a PFN request of more than 4096 PFNs";
		return -EINVAL;
	}
	if (virtq_chain_read(chain, 0, b->pfns, n * sizeof(uint32_t)) != n * sizeof(uint32_t)) {
		*why = "a short PFN request";
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		b->pfns[i] = le32toh(b->pfns[i]);
		if (!guest_mem_ptr(b->mem, (uint64_t)b->pfns[i] << VIRTIO_BALLOON_PFN_SHIFT, BALLOON_PAGE)) {
			*why = "a PFN outside guest RAM";
			return -EINVAL;
		}
	}
	qsort(b->pfns, n, sizeof(b->pfns[0]), balloon_cmp_pfn);
	return (int)n;
}

/* Releases the n sorted PFNs in b->pfns, one madvise per run of contiguous memory. */
static void balloon_inflate(struct virtio_balloon *b, uint32_t n)
{
	uint32_t i = 0, j;

	while (i < n) {
		uint64_t start = b->pfns[i], end = start + 1;
		uint8_t *hva = guest_mem_ptr(b->mem, start << VIRTIO_BALLOON_PFN_SHIFT, BALLOON_PAGE);

		for (j = i + 1; j < n; j++) {
			if (b->pfns[j] == end - 1)
				continue;       /* given twice */
			if (b->pfns[j] != end ||
			    guest_mem_ptr(b->mem, end << VIRTIO_BALLOON_PFN_SHIFT, BALLOON_PAGE) !=
			    hva + ((end - start) << VIRTIO_BALLOON_PFN_SHIFT))
				break;
			end++;
		}
		balloon_release_run(b, start << VIRTIO_BALLOON_PFN_SHIFT, hva,
				    (end - start) << VIRTIO_BALLOON_PFN_SHIFT);
		i = j;
	}
}

/* Deflate: the pages are the guest's again (they fault back in); only the huge page bitmap forgets them. */
static void balloon_deflate(struct virtio_balloon *b, uint32_t n)
{
	for (uint32_t i = 0; b->inflated && i < n; i++)
		if (b->pfns[i] < b->inflated_pages)
			b->inflated[b->pfns[i] / 64] &= ~(1ULL << (b->pfns[i] % 64));
}

/* Free page reporting: device-writable buffers over free guest memory, released whole host pages at a time. */
static int balloon_report(struct virtio_balloon *b, const struct virtq_chain *chain, const char **why)
{
	if (chain->nr_out || !chain->nr_in) {
		*why = "a free page report with a device-readable buffer";
		return -EINVAL;
	}
	/* virtq_pop() checked the buffers against RAM and marked them written for a migration. */
	for (uint16_t i = 0; i < chain->nr_in; i++)
		balloon_discard_inside(b, chain->iov[i].iov_base, chain->iov[i].iov_len);
	return 0;
}

/* ---- statistics ---- */

/* Takes a statistics buffer; 1 if an older one went back to the driver, 0, or -EINVAL with why. */
static int balloon_take_stats(struct virtio_balloon *b, struct virtq *vq, const char **why)
{
	const struct virtq_chain *chain = &b->chain;
	uint32_t n;
	int pushed = 0;

	if (chain->nr_in) {
		*why = "a statistics buffer that is device-writable";
		return -EINVAL;
	}
	if (chain->out_len % VIRTIO_BALLOON_STAT_SIZE) {
		*why = "a statistics buffer whose length is not a multiple of 10";
		return -EINVAL;
	}
	n = chain->out_len / VIRTIO_BALLOON_STAT_SIZE;
	if (n > VIRTIO_BALLOON_MAX_STATS)
		n = VIRTIO_BALLOON_MAX_STATS;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t e[VIRTIO_BALLOON_STAT_SIZE];
		uint16_t tag;
		uint64_t val;

		virtq_chain_read(chain, i * VIRTIO_BALLOON_STAT_SIZE, e, sizeof(e));
		tag = (uint16_t)(e[0] | e[1] << 8);
		memcpy(&val, e + 2, sizeof(val));
		/* Tags this device does not know (newer drivers have more) are skipped. */
		if (tag < VIRTIO_BALLOON_NR_STATS) {
			b->st.stats[tag] = le64toh(val);
			b->st.stats_valid |= 1u << tag;
		}
	}
	/* One buffer at a time: a driver that posts another gets the old one back. */
	if (b->st.stats_held) {
		virtq_push(vq, b->st.stats_head, 0);
		pushed = 1;
	}
	b->st.stats_head = chain->head;
	b->st.stats_held = 1;
	return pushed;
}

static void balloon_request_stats_locked(struct virtio_balloon *b)
{
	if (!b->active || b->broken || b->stats_q < 0 || !b->st.stats_held)
		return;
	b->st.stats_held = 0;
	virtq_push(&b->vdev.queues[b->stats_q], b->st.stats_head, 0);
	b->vdev.transport->signal_used(&b->vdev, (uint16_t)b->stats_q);
}

void virtio_balloon_request_stats(struct virtio_dev *vdev)
{
	struct virtio_balloon *b = balloon_of(vdev);

	balloon_lock(b);
	balloon_request_stats_locked(b);
	balloon_unlock(b);
}

/* The polling timer (event loop thread). */
static void balloon_timer_event(void *ctx, uint32_t events)
{
	struct virtio_balloon *b = ctx;
	uint64_t expirations;

	if (read(b->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	virtio_balloon_request_stats(&b->vdev);
}

/* Runs the polling timer while the driver uses the statistics queue. */
static void balloon_arm_timer(struct virtio_balloon *b)
{
	struct itimerspec its = { 0 };

	if (b->timer_fd < 0)
		return;
	if (b->active && b->stats_q >= 0 && b->st.stats_interval_s) {
		its.it_value.tv_sec = b->st.stats_interval_s;
		its.it_interval.tv_sec = b->st.stats_interval_s;
	}
	if (timerfd_settime(b->timer_fd, 0, &its, NULL))
		log_warn("virtio-balloon: cannot set the statistics timer: %s", strerror(errno));
}

/* ---- queues ---- */

struct balloon_drain_ctx {
	struct virtio_balloon *b;
	struct virtq *vq;
	enum balloon_queue role;
	const char *why;
};

/* Serves every available chain of one queue; 0, or -EINVAL with ctx->why. */
static int balloon_drain(void *ctx, unsigned int *served)
{
	struct balloon_drain_ctx *d = ctx;
	struct virtio_balloon *b = d->b;
	int ret;

	while ((ret = virtq_pop(d->vq, &b->chain)) == 1) {
		switch (d->role) {
		case BALLOON_Q_INFLATE:
		case BALLOON_Q_DEFLATE:
			ret = balloon_read_pfns(b, &b->chain, &d->why);
			if (ret < 0)
				return ret;
			if (d->role == BALLOON_Q_INFLATE)
				balloon_inflate(b, (uint32_t)ret);
			else
				balloon_deflate(b, (uint32_t)ret);
			virtq_push(d->vq, b->chain.head, 0);
			(*served)++;
			break;
		case BALLOON_Q_REPORT:
			ret = balloon_report(b, &b->chain, &d->why);
			if (ret < 0)
				return ret;
			virtq_push(d->vq, b->chain.head, 0);
			(*served)++;
			break;
		case BALLOON_Q_STATS:
			ret = balloon_take_stats(b, d->vq, &d->why);
			if (ret < 0)
				return ret;
			*served += (unsigned int)ret;
			break;
		default:
			return -EINVAL;
		}
	}
	if (ret < 0)
		d->why = "a malformed descriptor chain";
	return ret;
}

static void virtio_balloon_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_balloon *b = balloon_of(vdev);
	struct balloon_drain_ctx d = { .b = b };
	unsigned int served = 0;
	int ret;

	if (q >= b->ops.num_queues || b->roles[q] == BALLOON_Q_NONE) {
		log_guest("virtio-balloon: notify for queue %u, which is not in use", q);
		return;
	}
	if (b->broken)
		return;
	d.vq = &vdev->queues[q];
	d.role = (enum balloon_queue)b->roles[q];
	ret = virtq_serve(d.vq, balloon_drain, &d, &served);
	if (served)
		vdev->transport->signal_used(vdev, q);
	if (ret < 0) {
		log_guest("virtio-balloon: %s on queue %u, device needs reset", d.why, q);
		b->broken = true;
		vdev->transport->needs_reset(vdev);
	}
}

/* ---- config space and lifecycle ---- */

static void balloon_config_bytes(const struct virtio_balloon *b, uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE])
{
	uint32_t num = htole32(b->st.num_pages), actual = htole32(b->st.actual);

	memcpy(cfg + VIRTIO_BALLOON_CFG_NUM_PAGES, &num, sizeof(num));
	memcpy(cfg + VIRTIO_BALLOON_CFG_ACTUAL, &actual, sizeof(actual));
}

static void virtio_balloon_config_read(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len)
{
	uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE];

	balloon_config_bytes(balloon_of(vdev), cfg);
	memset(data, 0, len);
	if (offset < sizeof(cfg) && len <= sizeof(cfg) - offset)
		memcpy(data, cfg + offset, len);
}

static void virtio_balloon_config_write(struct virtio_dev *vdev, uint32_t offset, const void *data, uint32_t len)
{
	struct virtio_balloon *b = balloon_of(vdev);
	uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE];
	uint32_t actual;

	/* Only actual is the driver's (5.5.4). */
	if (offset < VIRTIO_BALLOON_CFG_ACTUAL || offset >= sizeof(cfg) || len > sizeof(cfg) - offset) {
		log_guest("virtio-balloon: config write of %u bytes at %u ignored (only actual is writable)",
			  len, offset);
		return;
	}
	balloon_config_bytes(b, cfg);
	memcpy(cfg + offset, data, len);
	memcpy(&actual, cfg + VIRTIO_BALLOON_CFG_ACTUAL, sizeof(actual));
	b->st.actual = le32toh(actual);
}

static int virtio_balloon_activate(struct virtio_dev *vdev)
{
	struct virtio_balloon *b = balloon_of(vdev);
	uint16_t q = 0;

	/* Queue numbers follow what the driver accepted, as Linux skips the ones it does not use. */
	memset(b->roles, BALLOON_Q_NONE, sizeof(b->roles));
	b->roles[q++] = BALLOON_Q_INFLATE;
	b->roles[q++] = BALLOON_Q_DEFLATE;
	b->stats_q = -1;
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ)) {
		b->stats_q = q;
		b->roles[q++] = BALLOON_Q_STATS;
	}
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING))
		b->roles[q++] = BALLOON_Q_REPORT;
	b->broken = false;
	b->active = true;
	balloon_arm_timer(b);
	return 0;
}

static void virtio_balloon_reset(struct virtio_dev *vdev)
{
	struct virtio_balloon *b = balloon_of(vdev);

	b->active = false;
	b->broken = false;
	/* Every page is the guest's again. */
	b->st.actual = 0;
	b->st.stats_held = 0;
	if (b->inflated)
		memset(b->inflated, 0, (b->inflated_pages + 63) / 64 * sizeof(uint64_t));
	balloon_arm_timer(b);
}

/* The state between host byte order and the snapshot's little endian: the same swap both ways. */
static void balloon_state_swap_le(struct virtio_balloon_state *st)
{
	st->num_pages = htole32(st->num_pages);
	st->actual = htole32(st->actual);
	st->stats_interval_s = htole32(st->stats_interval_s);
	st->stats_valid = htole32(st->stats_valid);
	st->stats_head = htole16(st->stats_head);
	for (int i = 0; i < VIRTIO_BALLOON_NR_STATS; i++)
		st->stats[i] = htole64(st->stats[i]);
}

static void virtio_balloon_save(struct virtio_dev *vdev, struct snap_writer *w)
{
	struct virtio_balloon *b = balloon_of(vdev);
	struct virtio_balloon_state st = b->st;

	balloon_state_swap_le(&st);
	snap_put(w, &st, sizeof(st));
}

static int virtio_balloon_load(struct virtio_dev *vdev, struct snap_reader *r)
{
	struct virtio_balloon *b = balloon_of(vdev);
	struct virtio_balloon_state st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	balloon_state_swap_le(&st);
	if (st.num_pages > b->ram_pages || st.stats_held > 1 || st.stats_head >= VIRTIO_BALLOON_QUEUE_SIZE ||
	    st.stats_valid >= 1u << VIRTIO_BALLOON_NR_STATS ||
	    st.stats_interval_s > VIRTIO_BALLOON_STATS_INTERVAL_MAX ||
	    (st.stats_interval_s != 0) != (b->cfg.stats_interval_s != 0) ||
	    (st.stats_held && !b->cfg.stats_interval_s)) {
		log_error("virtio-balloon: the saved state does not fit this balloon");
		return -EINVAL;
	}
	b->st = st;
	return 0;
}

static void virtio_balloon_destroy(struct virtio_dev *vdev)
{
	struct virtio_balloon *b = balloon_of(vdev);

	if (b->timer_fd >= 0) {
		event_loop_del(b->loop, b->timer_fd);
		close(b->timer_fd);
	}
	free(b->inflated);
	free(b);
}

static const struct virtio_dev_ops virtio_balloon_ops_template = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.num_queues = 2,
	.queue_max_size = VIRTIO_BALLOON_QUEUE_SIZE,
	.config_size = VIRTIO_BALLOON_CONFIG_SIZE,
	.config_read = virtio_balloon_config_read,
	.config_write = virtio_balloon_config_write,
	.activate = virtio_balloon_activate,
	.reset = virtio_balloon_reset,
	.queue_notify = virtio_balloon_queue_notify,
	.destroy = virtio_balloon_destroy,
	.save = virtio_balloon_save,
	.load = virtio_balloon_load,
};

/* ---- the host's side ---- */

void virtio_balloon_get_info(struct virtio_dev *vdev, struct virtio_balloon_info *info)
{
	struct virtio_balloon *b = balloon_of(vdev);

	balloon_lock(b);
	*info = (struct virtio_balloon_info){
		.target_pages = b->st.num_pages,
		.actual_pages = b->st.actual,
		.deflate_on_oom = b->cfg.deflate_on_oom,
		.free_page_reporting = b->cfg.free_page_reporting,
		.stats_enabled = b->cfg.stats_interval_s != 0,
		.stats_interval_s = b->st.stats_interval_s,
		.stats_valid = b->st.stats_valid,
		.released_bytes = b->released_bytes,
	};
	memcpy(info->stats, b->st.stats, sizeof(info->stats));
	balloon_unlock(b);
}

int virtio_balloon_set_target(struct virtio_dev *vdev, uint32_t pages)
{
	struct virtio_balloon *b = balloon_of(vdev);

	if (pages > b->ram_pages)
		return -EINVAL;
	balloon_lock(b);
	b->st.num_pages = pages;
	if (b->active)
		vdev->transport->signal_config(vdev);
	balloon_unlock(b);
	return 0;
}

int virtio_balloon_set_stats_interval(struct virtio_dev *vdev, uint32_t seconds)
{
	struct virtio_balloon *b = balloon_of(vdev);

	if ((seconds != 0) != (b->cfg.stats_interval_s != 0) || seconds > VIRTIO_BALLOON_STATS_INTERVAL_MAX)
		return -EINVAL;
	balloon_lock(b);
	b->st.stats_interval_s = seconds;
	balloon_arm_timer(b);
	balloon_unlock(b);
	return 0;
}

struct virtio_dev *virtio_balloon_create(const struct virtio_balloon_config *cfg, const struct guest_mem *mem,
					 uint64_t hugepage_size, struct event_loop *loop,
					 char *err, size_t errlen)
{
	uint64_t ram_pages = mem->ram_size / BALLOON_PAGE;
	long host_page = sysconf(_SC_PAGESIZE);
	struct virtio_balloon *b;
	int ret;

	if ((uint64_t)cfg->target_mib * VIRTIO_BALLOON_PAGES_PER_MIB > ram_pages) {
		snprintf(err, errlen, "balloon: a target of %u MiB is more than the guest's %llu MiB of RAM",
			 cfg->target_mib, (unsigned long long)(mem->ram_size >> 20));
		return NULL;
	}
	if (cfg->stats_interval_s > VIRTIO_BALLOON_STATS_INTERVAL_MAX) {
		snprintf(err, errlen, "balloon: a statistics interval of %u s is more than %d", cfg->stats_interval_s,
			 VIRTIO_BALLOON_STATS_INTERVAL_MAX);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "balloon: out of memory");
		return NULL;
	}
	b->cfg = *cfg;
	b->mem = mem;
	b->loop = loop;
	b->timer_fd = -1;
	b->stats_q = -1;
	b->ram_pages = ram_pages;
	b->unit = host_page > (long)BALLOON_PAGE ? (uint64_t)host_page : BALLOON_PAGE;
	if (hugepage_size > b->unit)
		b->unit = hugepage_size;
	if (b->unit > BALLOON_PAGE) {
		b->inflated_pages = guest_mem_end(mem) / BALLOON_PAGE;
		b->inflated = calloc((b->inflated_pages + 63) / 64, sizeof(uint64_t));
		if (!b->inflated) {
			snprintf(err, errlen, "balloon: out of memory");
			goto out_free;
		}
	}
	b->st.num_pages = cfg->target_mib * VIRTIO_BALLOON_PAGES_PER_MIB;
	b->st.stats_interval_s = cfg->stats_interval_s;

	b->ops = virtio_balloon_ops_template;
	if (cfg->stats_interval_s) {
		b->ops.features |= 1ULL << VIRTIO_BALLOON_F_STATS_VQ;
		b->ops.num_queues++;
	}
	if (cfg->deflate_on_oom)
		b->ops.features |= 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (cfg->free_page_reporting) {
		b->ops.features |= 1ULL << VIRTIO_BALLOON_F_REPORTING;
		b->ops.num_queues++;
	}
	b->vdev.ops = &b->ops;
	b->vdev.priv = b;

	if (cfg->stats_interval_s && loop) {
		b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (b->timer_fd < 0) {
			snprintf(err, errlen, "balloon: timerfd_create: %s", strerror(errno));
			goto out_free;
		}
		ret = event_loop_add(loop, b->timer_fd, EPOLLIN, balloon_timer_event, b);
		if (ret) {
			snprintf(err, errlen, "balloon: cannot watch its statistics timer: %s", strerror(-ret));
			close(b->timer_fd);
			goto out_free;
		}
	}
	if (b->inflated)
		log_info("balloon: guest RAM is on %llu KiB host pages: one goes back to the host once the "
			 "guest gave all of it", (unsigned long long)(b->unit >> 10));
	log_info("balloon: target %u MiB%s%s, statistics %s", cfg->target_mib,
		 cfg->deflate_on_oom ? ", deflate on OOM" : "", cfg->free_page_reporting ? ", free page reporting" : "",
		 cfg->stats_interval_s ? "on" : "off");
	return &b->vdev;

out_free:
	free(b->inflated);
	free(b);
	return NULL;
}
