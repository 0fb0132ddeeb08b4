/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon driven through its ops: hand-built inflate, deflate,
 * statistics and free page report chains over guest RAM that is a real
 * anonymous mapping, so what the device gives back to the host shows in
 * mincore() and reads as zeros.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/virtio/virtio_balloon.h"
#include "fake_virtio.h"
#include "snapshot/snap_buf.h"
#include "test.h"

#define RAM_SIZE    (4ull << 20)
#define DATA_GPA    0x20000ull      /* request buffers */
#define POOL_GPA    0x100000ull     /* pages the tests give to the balloon */
#define PAGE        4096ull

/* Queue q's rings at 0x1000 * (q + 1): descriptors, avail +0x400, used +0x800. */
static const struct fake_virtio_layout layout = {
	.ram_size = RAM_SIZE, .nr_vqs = 4, .qsize = 16,
	.ring_base = 0x1000, .ring_stride = 0x1000, .avail_off = 0x400, .used_off = 0x800,
};

struct fixture {
	struct fake_virtio fv;
	uint8_t *map;
	size_t map_len;
};

/* RAM aligned to align (a huge page size for the tracked case), guest queues ready. */
static struct fixture *fx_create_mapped(const struct virtio_balloon_config *cfg, uint64_t features,
					uint64_t hugepage_size)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint64_t align = hugepage_size ? hugepage_size : PAGE;
	uint8_t *map = mmap(NULL, RAM_SIZE + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char err[256] = "";

	CHECK(map != MAP_FAILED);
	f->map = map;
	f->map_len = RAM_SIZE + align;
	fake_virtio_init(&f->fv, &layout, (uint8_t *)(((uintptr_t)map + align - 1) & ~(uintptr_t)(align - 1)));
	fake_virtio_attach(&f->fv, virtio_balloon_create(cfg, &f->fv.mem, hugepage_size, NULL, err, sizeof(err)),
			   features | 1ull << VIRTIO_F_VERSION_1);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	return f;
}

static struct fixture *fx_create(const struct virtio_balloon_config *cfg, uint64_t features)
{
	return fx_create_mapped(cfg, features, 0);
}

static void fx_destroy(struct fixture *f)
{
	f->fv.vdev->ops->destroy(f->fv.vdev);
	fake_virtio_fini(&f->fv);
	munmap(f->map, f->map_len);
	free(f);
}

/* One request on queue q: n le32 PFNs in one device-readable buffer at DATA_GPA + 0x1000 * q. */
static void fx_pfns(struct fixture *f, uint16_t q, uint16_t head, const uint32_t *pfns, uint32_t n)
{
	uint64_t gpa = DATA_GPA + 0x1000ull * q;

	for (uint32_t i = 0; i < n; i++)
		put32(f->fv.ram + gpa + 4 * i, pfns[i]);
	fake_desc(&f->fv, q, head, gpa, 4 * n, 0, 0);
	fake_avail(&f->fv, q, head);
	fake_notify(&f->fv, q);
}

static uint32_t pool_pfn(uint32_t i)
{
	return (uint32_t)(POOL_GPA / PAGE) + i;
}

/* Writes a pattern to n pool pages from page first (they become resident). */
static void fx_touch(struct fixture *f, uint32_t first, uint32_t n)
{
	for (uint32_t i = first; i < first + n; i++)
		memset(f->fv.ram + POOL_GPA + i * PAGE, 0xa0 + (i & 15), PAGE);
}

static bool page_resident(struct fixture *f, uint64_t gpa)
{
	unsigned char vec = 0;

	CHECK_EQ(mincore(f->fv.ram + gpa, PAGE, &vec), 0);
	return vec & 1;
}

static bool page_zero(struct fixture *f, uint64_t gpa)
{
	for (uint64_t i = 0; i < PAGE; i++)
		if (f->fv.ram[gpa + i])
			return false;
	return true;
}

static const struct virtio_balloon_config plain = { .enabled = true };

static uint32_t cfg_read32(struct fixture *f, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	f->fv.vdev->ops->config_read(f->fv.vdev, off, &v, 4);
	return le32toh(v);
}

static void test_balloon_ops(void)
{
	struct virtio_balloon_config all = { .enabled = true, .target_mib = 2, .deflate_on_oom = true,
					     .free_page_reporting = true, .stats_interval_s = 5 };
	struct fixture *f = fx_create(&plain, 0);
	const struct virtio_dev_ops *ops = f->fv.vdev->ops;

	CHECK_EQ(ops->device_id, VIRTIO_ID_BALLOON);
	CHECK_EQ(ops->device_id, 5);
	CHECK_EQ(ops->num_queues, 2);
	CHECK_EQ(ops->features, 0);
	CHECK_EQ(ops->config_size, 8);
	fx_destroy(f);

	f = fx_create(&all, 0);
	ops = f->fv.vdev->ops;
	CHECK_EQ(ops->num_queues, 4);
	CHECK_EQ(ops->features, 1ull << VIRTIO_BALLOON_F_STATS_VQ | 1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM |
		 1ull << VIRTIO_BALLOON_F_REPORTING);
	CHECK_EQ(cfg_read32(f, 0), 512);
	fx_destroy(f);
}

static void test_balloon_create_errors(void)
{
	struct virtio_balloon_config big = { .enabled = true, .target_mib = 5 };
	struct guest_mem mem = { 0 };
	uint8_t *ram = aligned_alloc(4096, RAM_SIZE);
	char err[256] = "";

	CHECK_EQ(guest_mem_add(&mem, 0, RAM_SIZE, ram), 0);
	CHECK(virtio_balloon_create(&big, &mem, 0, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "5 MiB") && strstr(err, "4 MiB"));
	big.target_mib = 4;
	big.stats_interval_s = 70000;
	CHECK(virtio_balloon_create(&big, &mem, 0, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "interval") != NULL);
	free(ram);
}

static void test_balloon_config(void)
{
	struct virtio_balloon_config cfg = { .enabled = true, .target_mib = 1 };
	struct fixture *f = fx_create(&cfg, 0);
	struct virtio_balloon_info info;
	uint32_t v;
	uint8_t b;

	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_NUM_PAGES), 256);
	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_ACTUAL), 0);
	/* The driver writes actual; num_pages is the device's. */
	v = htole32(77);
	f->fv.vdev->ops->config_write(f->fv.vdev, VIRTIO_BALLOON_CFG_ACTUAL, &v, 4);
	f->fv.vdev->ops->config_write(f->fv.vdev, VIRTIO_BALLOON_CFG_NUM_PAGES, &v, 4);
	b = 1;
	f->fv.vdev->ops->config_write(f->fv.vdev, VIRTIO_BALLOON_CFG_ACTUAL + 1, &b, 1);
	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_ACTUAL), 77 + 256);
	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_NUM_PAGES), 256);
	/* Out of range: zeros, no crash. */
	CHECK_EQ(cfg_read32(f, 8), 0);
	CHECK_EQ(cfg_read32(f, 6), 0);
	f->fv.vdev->ops->config_write(f->fv.vdev, 6, &v, 4);
	f->fv.vdev->ops->config_write(f->fv.vdev, 0xffffffffu, &v, 4);

	CHECK_EQ(virtio_balloon_set_target(f->fv.vdev, 1000), 0);
	CHECK_EQ(f->fv.nr_signal_config, 1);
	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_NUM_PAGES), 1000);
	CHECK_EQ(virtio_balloon_set_target(f->fv.vdev, 1024), 0);
	CHECK_EQ(virtio_balloon_set_target(f->fv.vdev, 1025), -EINVAL);
	CHECK_EQ(f->fv.nr_signal_config, 2);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.target_pages, 1024);
	CHECK_EQ(info.actual_pages, 333);
	CHECK(!info.stats_enabled);

	/* A reset gives every page back: actual is 0; the target stays; no interrupt while inactive. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_ACTUAL), 0);
	CHECK_EQ(virtio_balloon_set_target(f->fv.vdev, 10), 0);
	CHECK_EQ(f->fv.nr_signal_config, 2);
	CHECK_EQ(cfg_read32(f, VIRTIO_BALLOON_CFG_NUM_PAGES), 10);
	CHECK_EQ(f->fv.lock_depth, 0);
	fx_destroy(f);
}

static void test_balloon_inflate_releases(void)
{
	struct fixture *f = fx_create(&plain, 0);
	struct virtio_balloon_info info;
	/* Out of order, a duplicate, two runs (pages 10-17 and 20-21), page 19 left out. */
	uint32_t pfns[] = { pool_pfn(13), pool_pfn(10), pool_pfn(12), pool_pfn(11), pool_pfn(14), pool_pfn(15),
			    pool_pfn(16), pool_pfn(17), pool_pfn(12), pool_pfn(21), pool_pfn(20) };

	fx_touch(f, 0, 32);
	for (uint32_t i = 0; i < 32; i++)
		CHECK(page_resident(f, POOL_GPA + i * PAGE));
	fx_pfns(f, 0, 3, pfns, sizeof(pfns) / sizeof(pfns[0]));
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK_EQ(fake_used_id(&f->fv, 0, 0), 3);
	CHECK_EQ(f->fv.nr_signal_used[0], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	for (uint32_t i = 0; i < 32; i++) {
		bool in = (i >= 10 && i <= 17) || i == 20 || i == 21;

		CHECK_EQ(page_resident(f, POOL_GPA + i * PAGE), !in);
		if (!in)
			CHECK_EQ(f->fv.ram[POOL_GPA + i * PAGE + 100], 0xa0 + (i & 15));
	}
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.released_bytes, 10 * PAGE);
	/* Given back, they read as zeros. */
	CHECK(page_zero(f, POOL_GPA + 10 * PAGE));
	CHECK(page_zero(f, POOL_GPA + 21 * PAGE));

	/* Deflate: used, nothing else happens; the guest writes them again. */
	fx_pfns(f, 1, 0, pfns, 4);
	CHECK_EQ(fake_used_idx(&f->fv, 1), 1);
	CHECK_EQ(f->fv.nr_signal_used[1], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_touch(f, 10, 4);
	CHECK(page_resident(f, POOL_GPA + 10 * PAGE));
	CHECK_EQ(f->fv.ram[POOL_GPA + 10 * PAGE], 0xa0 + 10);

	/* An empty request is fine. */
	fx_pfns(f, 0, 1, pfns, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 2);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_balloon_migration_marks(void)
{
	struct fixture *f = fx_create(&plain, 0);
	uint64_t written[RAM_SIZE / PAGE / 64] = { 0 };
	uint32_t pfns[] = { pool_pfn(3), pool_pfn(4), pool_pfn(70) };
	uint32_t p3 = pool_pfn(3);

	/* While a migration tracks device writes, released pages are marked: it sends them again. */
	f->fv.mem.regions[0].written = written;
	f->fv.mem.track_writes = true;
	fx_touch(f, 0, 80);
	fx_pfns(f, 0, 0, pfns, 3);
	CHECK(written[p3 / 64] & (1ull << (p3 % 64)));
	CHECK(written[(p3 + 1) / 64] & (1ull << ((p3 + 1) % 64)));
	CHECK(written[(p3 + 67) / 64] & (1ull << ((p3 + 67) % 64)));
	CHECK(!(written[(p3 + 2) / 64] & (1ull << ((p3 + 2) % 64))));
	f->fv.mem.track_writes = false;
	f->fv.mem.regions[0].written = NULL;
	fx_destroy(f);
}

/* Resets the device and the fake rings (what the transport does), then activates again. */
static void fx_reset(struct fixture *f)
{
	f->fv.vdev->ops->reset(f->fv.vdev);
	for (uint16_t q = 0; q < layout.nr_vqs; q++)
		fake_virtio_queue_reset(&f->fv, q);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
}

static void test_balloon_malformed(void)
{
	struct fixture *f = fx_create(&plain, 0);
	uint32_t good[] = { pool_pfn(0) };
	/* One PFN outside RAM: the whole request is refused, page 1 stays. */
	uint32_t outside[] = { pool_pfn(1), (uint32_t)(RAM_SIZE / PAGE) };
	uint32_t huge[] = { pool_pfn(2), 0xffffffffu };

	fx_touch(f, 0, 4);
	fx_pfns(f, 0, 0, outside, 2);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK(page_resident(f, POOL_GPA + PAGE));
	/* Until reset, the queues are ignored. */
	fx_pfns(f, 0, 1, good, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK(page_resident(f, POOL_GPA));

	fx_reset(f);
	fx_pfns(f, 0, 1, huge, 2);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 2);
	CHECK(page_resident(f, POOL_GPA + 2 * PAGE));

	/* A device-writable PFN buffer (wrong direction). */
	fx_reset(f);
	put32(f->fv.ram + DATA_GPA, pool_pfn(0));
	fake_desc(&f->fv, 0, 0, DATA_GPA, 4, F_WRITE, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 3);
	CHECK(page_resident(f, POOL_GPA));

	/* A length that is not a whole number of PFNs, on the deflate queue. */
	fx_reset(f);
	fake_desc(&f->fv, 1, 0, DATA_GPA, 6, 0, 0);
	fake_avail(&f->fv, 1, 0);
	fake_notify(&f->fv, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 1), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 4);

	/* Too many PFNs. */
	fx_reset(f);
	fake_desc(&f->fv, 0, 0, DATA_GPA, 4 * (VIRTIO_BALLOON_MAX_PFNS + 1), 0, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 5);

	/* A buffer outside RAM, a descriptor loop. */
	fx_reset(f);
	fake_desc(&f->fv, 0, 0, RAM_SIZE - 2, 4, 0, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 6);
	fx_reset(f);
	fake_desc(&f->fv, 0, 0, DATA_GPA, 4, F_NEXT, 0);
	fake_avail(&f->fv, 0, 0);
	fake_notify(&f->fv, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 7);

	/* Queues that do not exist or are not in use: ignored, no reset. */
	fx_reset(f);
	fake_notify(&f->fv, 2);
	fake_notify(&f->fv, 0xffff);
	CHECK_EQ(f->fv.nr_needs_reset, 7);

	/* After all that, a good request works. */
	fx_pfns(f, 0, 0, good, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 0), 1);
	CHECK(!page_resident(f, POOL_GPA));
	fx_destroy(f);
}

/* A statistics buffer of n (tag, value) entries at gpa, posted on queue q. */
static void fx_stats(struct fixture *f, uint16_t q, uint16_t head, uint64_t gpa, const uint16_t *tags,
		     const uint64_t *vals, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		put16(f->fv.ram + gpa + 10 * i, tags[i]);
		put64(f->fv.ram + gpa + 10 * i + 2, vals[i]);
	}
	fake_desc(&f->fv, q, head, gpa, 10 * n, 0, 0);
	fake_avail(&f->fv, q, head);
	fake_notify(&f->fv, q);
}

static void test_balloon_stats(void)
{
	struct virtio_balloon_config cfg = { .enabled = true, .stats_interval_s = 1 };
	struct fixture *f = fx_create(&cfg, 1ull << VIRTIO_BALLOON_F_STATS_VQ);
	struct virtio_balloon_info info;
	uint16_t tags[] = { VIRTIO_BALLOON_S_MEMFREE, VIRTIO_BALLOON_S_MEMTOT, 42, VIRTIO_BALLOON_S_MINFLT };
	uint64_t vals[] = { 123, 456, 789, 7 };

	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK(info.stats_enabled);
	CHECK_EQ(info.stats_valid, 0);
	/* The first buffer: read and kept (nothing used yet). */
	fx_stats(f, 2, 5, DATA_GPA, tags, vals, 3);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 0);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.stats_valid, 1u << VIRTIO_BALLOON_S_MEMFREE | 1u << VIRTIO_BALLOON_S_MEMTOT);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 123);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMTOT], 456);
	CHECK(strcmp(virtio_balloon_stat_name(VIRTIO_BALLOON_S_MEMFREE), "free_memory") == 0);
	CHECK(strcmp(virtio_balloon_stat_name(VIRTIO_BALLOON_S_HTLB_PGFAIL), "hugetlb_failures") == 0);
	CHECK(virtio_balloon_stat_name(10) == NULL);

	/* The timer's request gives the buffer back, once. */
	virtio_balloon_request_stats(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 1);
	CHECK_EQ(fake_used_id(&f->fv, 2, 0), 5);
	CHECK_EQ(f->fv.nr_signal_used[2], 1);
	virtio_balloon_request_stats(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 1);

	/* The driver refills it: new values, the old ones stay. */
	vals[0] = 1000;
	fx_stats(f, 2, 6, DATA_GPA, tags, vals, 1);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 1000);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMTOT], 456);
	/* A second buffer while the device holds one: the old one goes back. */
	fx_stats(f, 2, 7, DATA_GPA + 0x100, tags + 3, vals + 3, 1);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 2);
	CHECK_EQ(fake_used_id(&f->fv, 2, 1), 6);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MINFLT], 7);

	/* The interval: changed, but statistics cannot be turned off. */
	CHECK_EQ(virtio_balloon_set_stats_interval(f->fv.vdev, 0), -EINVAL);
	CHECK_EQ(virtio_balloon_set_stats_interval(f->fv.vdev, 70000), -EINVAL);
	CHECK_EQ(virtio_balloon_set_stats_interval(f->fv.vdev, 9), 0);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.stats_interval_s, 9);

	/* A length that is not whole entries. */
	fake_desc(&f->fv, 2, 8, DATA_GPA, 15, 0, 0);
	fake_avail(&f->fv, 2, 8);
	fake_notify(&f->fv, 2);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);

	/* Without statistics, the interval cannot be set (0 is no change), and a third queue is not in use. */
	f = fx_create(&plain, 0);
	CHECK_EQ(virtio_balloon_set_stats_interval(f->fv.vdev, 5), -EINVAL);
	CHECK_EQ(virtio_balloon_set_stats_interval(f->fv.vdev, 0), 0);
	fx_stats(f, 2, 0, DATA_GPA, tags, vals, 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_balloon_reporting(void)
{
	struct virtio_balloon_config cfg = { .enabled = true, .free_page_reporting = true, .stats_interval_s = 3 };
	/* The driver takes reporting but not statistics: reporting is queue 2 (Linux numbering). */
	struct fixture *f = fx_create(&cfg, 1ull << VIRTIO_BALLOON_F_REPORTING);
	struct virtio_balloon_info info;

	fx_touch(f, 0, 64);
	/* Two device-writable ranges: 16 whole pages, and one starting mid-page (its whole pages only). */
	fake_desc(&f->fv, 2, 0, POOL_GPA, 16 * PAGE, F_WRITE | F_NEXT, 1);
	fake_desc(&f->fv, 2, 1, POOL_GPA + 32 * PAGE + 100, 3 * PAGE, F_WRITE, 0);
	fake_avail(&f->fv, 2, 0);
	fake_notify(&f->fv, 2);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 1);
	CHECK_EQ(f->fv.nr_signal_used[2], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	for (uint32_t i = 0; i < 16; i++)
		CHECK(!page_resident(f, POOL_GPA + i * PAGE));
	CHECK(page_resident(f, POOL_GPA + 16 * PAGE));
	CHECK(page_resident(f, POOL_GPA + 32 * PAGE));
	CHECK(!page_resident(f, POOL_GPA + 33 * PAGE));
	CHECK(!page_resident(f, POOL_GPA + 34 * PAGE));
	CHECK(page_resident(f, POOL_GPA + 35 * PAGE));
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.released_bytes, 18 * PAGE);
	/* Queue 3 is not in use with this negotiation. */
	fake_notify(&f->fv, 3);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	/* A device-readable report is the wrong direction. */
	fake_desc(&f->fv, 2, 2, POOL_GPA + 40 * PAGE, PAGE, 0, 0);
	fake_avail(&f->fv, 2, 2);
	fake_notify(&f->fv, 2);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 1);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK(page_resident(f, POOL_GPA + 40 * PAGE));
	fx_destroy(f);

	/* Both negotiated: statistics are queue 2, reporting queue 3. */
	f = fx_create(&cfg, 1ull << VIRTIO_BALLOON_F_REPORTING | 1ull << VIRTIO_BALLOON_F_STATS_VQ);
	fx_touch(f, 0, 4);
	fake_desc(&f->fv, 3, 0, POOL_GPA, 4 * PAGE, F_WRITE, 0);
	fake_avail(&f->fv, 3, 0);
	fake_notify(&f->fv, 3);
	CHECK_EQ(fake_used_idx(&f->fv, 3), 1);
	CHECK(!page_resident(f, POOL_GPA));
	fx_destroy(f);
}

static void test_balloon_huge_pages(void)
{
	const uint64_t huge = 2ull << 20, per = huge / PAGE;
	struct fixture *f = fx_create_mapped(&plain, 0, huge);
	struct virtio_balloon_info info;
	uint32_t pfns[VIRTIO_BALLOON_MAX_PFNS];
	uint32_t first = (uint32_t)(huge / PAGE);   /* the second 2 MiB of RAM */
	uint32_t n = 0;

	memset(f->fv.ram + huge, 0x5a, huge);
	/* All but the last 4 KiB page of the huge page: nothing goes back yet. */
	for (uint32_t i = 0; i < per - 1; i++)
		pfns[n++] = first + i;
	fx_pfns(f, 0, 0, pfns, n);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.released_bytes, 0);
	CHECK(page_resident(f, huge));
	CHECK_EQ(f->fv.ram[huge + 100], 0x5a);
	/* The last one: the whole huge page is released. */
	pfns[0] = first + (uint32_t)per - 1;
	fx_pfns(f, 0, 1, pfns, 1);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.released_bytes, huge);
	CHECK(!page_resident(f, huge));
	CHECK(!page_resident(f, 2 * huge - PAGE));
	CHECK(page_zero(f, huge));
	/* Deflating one page and inflating it again releases it again (harmless). */
	fx_pfns(f, 1, 0, pfns, 1);
	memset(f->fv.ram + huge, 0x11, huge);
	fx_pfns(f, 0, 2, pfns, 1);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.released_bytes, 2 * huge);
	/* After a reset the device forgets what was inflated. */
	fx_reset(f);
	memset(f->fv.ram + huge, 0x22, huge);
	fx_pfns(f, 0, 0, pfns, 1);
	virtio_balloon_get_info(f->fv.vdev, &info);
	CHECK_EQ(info.released_bytes, 2 * huge);
	CHECK(page_resident(f, huge));
	fx_destroy(f);
}

static void save(struct virtio_dev *vdev, struct snap_writer *w)
{
	vdev->ops->save(vdev, w);
	CHECK_EQ(w->error, 0);
}

static void test_balloon_snapshot(void)
{
	struct virtio_balloon_config cfg = { .enabled = true, .target_mib = 1, .stats_interval_s = 2 };
	struct fixture *f = fx_create(&cfg, 1ull << VIRTIO_BALLOON_F_STATS_VQ), *g;
	struct snap_writer w1 = { 0 }, w2 = { 0 }, bad = { 0 };
	struct virtio_balloon_info info;
	uint16_t tags[] = { VIRTIO_BALLOON_S_AVAIL };
	uint64_t vals[] = { 31337 };
	struct snap_reader r;
	uint32_t actual = htole32(200);

	CHECK_EQ(virtio_balloon_set_target(f->fv.vdev, 700), 0);
	f->fv.vdev->ops->config_write(f->fv.vdev, VIRTIO_BALLOON_CFG_ACTUAL, &actual, 4);
	fx_stats(f, 2, 9, DATA_GPA, tags, vals, 1);
	CHECK_EQ(virtio_balloon_set_stats_interval(f->fv.vdev, 4), 0);
	save(f->fv.vdev, &w1);

	/* Load into a fresh device (before activation, as virtio-pci does), save again: the same bytes. */
	g = fx_create(&cfg, 0);
	g->fv.vdev->ops->reset(g->fv.vdev);
	r = snap_reader_init(w1.buf, w1.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), 0);
	g->fv.vdev->driver_features = 1ull << VIRTIO_BALLOON_F_STATS_VQ | 1ull << VIRTIO_F_VERSION_1;
	CHECK_EQ(g->fv.vdev->ops->activate(g->fv.vdev), 0);
	save(g->fv.vdev, &w2);
	CHECK_EQ(w1.len, w2.len);
	CHECK(w1.len == w2.len && !memcmp(w1.buf, w2.buf, w1.len));
	virtio_balloon_get_info(g->fv.vdev, &info);
	CHECK_EQ(info.target_pages, 700);
	CHECK_EQ(info.actual_pages, 200);
	CHECK_EQ(info.stats_interval_s, 4);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_AVAIL], 31337);
	/* The held statistics buffer came along: the next request gives it back. */
	virtio_balloon_request_stats(g->fv.vdev);
	CHECK_EQ(fake_used_idx(&g->fv, 2), 1);
	CHECK_EQ(fake_used_id(&g->fv, 2, 0), 9);

	/* Bad states are refused, nothing applied. */
	snap_put(&bad, w1.buf, w1.len - 1);
	r = snap_reader_init(bad.buf, bad.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), -EINVAL);
	memcpy(bad.buf, w1.buf, w1.len - 1);
	snap_put(&bad, w1.buf + w1.len - 1, 1);
	put32(bad.buf, 1025);                       /* num_pages beyond RAM */
	r = snap_reader_init(bad.buf, bad.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), -EINVAL);
	memcpy(bad.buf, w1.buf, w1.len);
	bad.buf[18] = 2;                            /* stats_held */
	r = snap_reader_init(bad.buf, bad.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), -EINVAL);
	memcpy(bad.buf, w1.buf, w1.len);
	put32(bad.buf + 8, 0);                      /* statistics off on a device that has them */
	r = snap_reader_init(bad.buf, bad.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), -EINVAL);
	virtio_balloon_get_info(g->fv.vdev, &info);
	CHECK_EQ(info.target_pages, 700);
	fx_destroy(g);

	/* A balloon without statistics refuses a state that has them. */
	g = fx_create(&plain, 0);
	r = snap_reader_init(w1.buf, w1.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), -EINVAL);
	fx_destroy(g);
	snap_writer_free(&w1);
	snap_writer_free(&w2);
	snap_writer_free(&bad);
	fx_destroy(f);
}

TEST_MAIN(test_balloon_ops, test_balloon_create_errors, test_balloon_config, test_balloon_inflate_releases,
	  test_balloon_migration_marks, test_balloon_malformed, test_balloon_stats, test_balloon_reporting,
	  test_balloon_huge_pages, test_balloon_snapshot)
