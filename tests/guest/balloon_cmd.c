// SPDX-License-Identifier: MIT
/*
 * balloon:<MiB>:<ms>:<count>: a balloon driver over a pool of MiB of RAM
 * above the image (the guest has no allocator: the pool is what it can
 * give). The pool is filled with a pattern; every ms the target is read
 * and the balloon inflated with the pool's top pages or deflated (those
 * pages are written again), actual is updated, statistics are refreshed
 * when the device asks. At the end every page outside the balloon is
 * checked against the pattern.
 *
 * balloonreport:<MiB>:<ms>: free page reporting: fills MiB of the pool,
 * waits ms, reports it as free (2 MiB ranges, device-writable), waits ms,
 * writes and checks it again, waits ms (so the host can look in between).
 */
#include "bootinfo.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "timer.h"
#include "virtio_balloon.h"

#define BALLOON_MAX_MIB		2048u
#define BALLOON_PAGE		4096ull
#define BALLOON_SEED		0xba11005eedULL
#define REPORT_CHUNK		(2ull << 20)
#define REPORT_PER_CHAIN	16

extern char __image_end[];

static uint64_t balloon_word(uint64_t page, uint64_t i)
{
	uint64_t z = (page * 512 + i + 1) * 0x9e3779b97f4a7c15ULL ^ BALLOON_SEED;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void balloon_fill(uint64_t start, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n; p++) {
		volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)(start + p * BALLOON_PAGE);

		for (uint64_t i = 0; i < BALLOON_PAGE / 8; i++)
			w[i] = balloon_word(p, i);
	}
}

/* The first page of [first, first + n) that lost its pattern (all words, or only the first if quick), or -1. */
static int64_t balloon_check(uint64_t start, uint64_t first, uint64_t n, bool quick)
{
	for (uint64_t p = first; p < first + n; p++) {
		const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)(start + p * BALLOON_PAGE);

		for (uint64_t i = 0; i < (quick ? 1 : BALLOON_PAGE / 8); i++)
			if (w[i] != balloon_word(p, i))
				return (int64_t)p;
	}
	return -1;
}

/*
 * What the guest knows: all RAM (less the balloon) in total, free what
 * neither the image nor the pool's live pages hold; no swap. Tag 10 (a
 * newer Linux statistic) tests that a device skips tags it does not know.
 */
static uint32_t balloon_stats_fill(struct vballoon_stat *s, uint64_t pool_live, uint64_t inflated)
{
	uint64_t image = (uintptr_t)__image_end - 0x100000;
	uint64_t total = bootinfo.ram_total - inflated * BALLOON_PAGE;
	uint64_t used = image + pool_live * BALLOON_PAGE;
	uint64_t free_bytes = total > used ? total - used : 0;

	s[0] = (struct vballoon_stat){ VBALLOON_S_SWAP_IN, 0 };
	s[1] = (struct vballoon_stat){ VBALLOON_S_SWAP_OUT, 0 };
	s[2] = (struct vballoon_stat){ VBALLOON_S_MEMFREE, free_bytes };
	s[3] = (struct vballoon_stat){ VBALLOON_S_MEMTOT, total };
	s[4] = (struct vballoon_stat){ VBALLOON_S_AVAIL, free_bytes };
	s[5] = (struct vballoon_stat){ VBALLOON_S_OOM_KILL, 0 };
	return VBALLOON_NR_STATS;
}

int cmd_balloon(const char *arg)
{
	static struct virtio_balloon vb;
	struct vballoon_stat stats[VBALLOON_NR_STATS];
	uint64_t v[3], start, pages, inflated = 0, target = 0;
	uint32_t stats_requests = 0;
	const char *error = NULL;
	int64_t bad;

	if (parse_sizes(arg, v, 3) || !v[0] || v[0] > BALLOON_MAX_MIB || !v[1] || v[1] > 3600000 ||
	    v[2] > 0xffffffffu) {
		con_printf("balloon.error=usage balloon:<MiB>:<ms>:<count>\n");
		return -1;
	}
	pages = (v[0] << 20) / BALLOON_PAGE;
	if (!bootinfo_scratch_ram(v[0] << 20, &start) || start + (v[0] << 20) > (4ULL << 30)) {
		con_printf("balloon.error=%lu MiB at 0x%lx is not RAM below 4 GiB\n", v[0], start);
		return -1;
	}
	if (virtio_balloon_open(&vb, VIRTIO_BALLOON_F_STATS_VQ | VIRTIO_BALLOON_F_DEFLATE_ON_OOM, true)) {
		con_printf("balloon.ok=0\nballoon.error=%s\n", vb.vp.error);
		virtio_balloon_close(&vb);
		return -1;
	}
	con_printf("balloon.features=0x%lx\n", vb.vp.features);
	balloon_fill(start, 0, pages);
	con_printf("balloon.pool_mib=%lu\n", v[0]);
	if (vb.stats) {
		balloon_stats_fill(stats, pages, 0);
		con_printf("balloon.stats_total=%lu\nballoon.stats_free=%lu\n", stats[3].val, stats[2].val);
		if (virtio_balloon_stats_post(&vb, stats, VBALLOON_NR_STATS))
			error = "cannot post statistics";
	}
	for (uint64_t n = 1; n <= v[2] && !error; n++) {
		uint64_t want, old = inflated, old_target = target;

		timer_wait(NULL, 0, (uint32_t)v[1]);
		target = virtio_balloon_target(&vb);
		want = target < pages ? target : pages;
		if (want > inflated) {
			/* The pool's top pages go first: [pages - want, pages - inflated). */
			if (virtio_balloon_pages(&vb, true, start + (pages - want) * BALLOON_PAGE,
						 (uint32_t)(want - inflated)))
				error = vb.vp.error;
			inflated = want;
		} else if (want < inflated) {
			if (virtio_balloon_pages(&vb, false, start + (pages - inflated) * BALLOON_PAGE,
						 (uint32_t)(inflated - want)))
				error = vb.vp.error;
			/* Ours again: use them. */
			balloon_fill(start, pages - inflated, inflated - want);
			inflated = want;
		}
		if (inflated != old)
			virtio_balloon_set_actual(&vb, (uint32_t)inflated);
		if (inflated != old || target != old_target)
			con_printf("balloon=%lu target_pages=%lu actual=%lu\n", n, target, inflated);
		if (vb.stats && virtio_balloon_stats_asked(&vb)) {
			stats_requests++;
			balloon_stats_fill(stats, pages - inflated, inflated);
			if (virtio_balloon_stats_post(&vb, stats, VBALLOON_NR_STATS))
				error = "cannot post statistics";
		}
		bad = balloon_check(start, 0, pages - inflated, true);
		if (bad >= 0) {
			con_printf("balloon.mismatch=%lu page=%ld\n", n, bad);
			error = "a page outside the balloon changed";
		}
	}
	bad = balloon_check(start, 0, pages - inflated, false);
	con_printf("balloon.target_pages=%lu\nballoon.actual=%lu\n", target, inflated);
	con_printf("balloon.requests=%u\nballoon.stats_requests=%u\n", vb.requests, stats_requests);
	con_printf("balloon.verify=%s\n", bad < 0 ? "ok" : "bad");
	virtio_balloon_close(&vb);
	if (bad >= 0 && !error)
		error = "pattern check failed";
	if (error) {
		con_printf("balloon.ok=0\nballoon.error=%s\n", error);
		return -1;
	}
	con_printf("balloon.ok=1\n");
	return 0;
}

static void balloon_sleep(uint64_t ms)
{
	if (ms)
		timer_wait(NULL, 0, (uint32_t)ms);
}

/* Reports [start, start + bytes) as free, REPORT_PER_CHAIN 2 MiB ranges per chain; chunks reported, or -1. */
static int64_t balloon_report(struct virtio_balloon *vb, uint64_t start, uint64_t bytes)
{
	struct virtq_buf b[REPORT_PER_CHAIN];
	uint64_t off = 0, chunks = 0;
	uint32_t len;

	while (off < bytes) {
		uint16_t k = 0;

		while (off < bytes && k < REPORT_PER_CHAIN) {
			uint64_t n = bytes - off < REPORT_CHUNK ? bytes - off : REPORT_CHUNK;

			b[k++] = (struct virtq_buf){ start + off, (uint32_t)n, true };
			off += n;
		}
		if (virtq_add(&vb->reportq, b, k) < 0)
			return -1;
		virtq_kick(&vb->reportq);
		if (!virtq_has_used(&vb->reportq) && virtq_wait(&vb->reportq, VBALLOON_TIMEOUT_MS, NULL))
			return -1;
		if (virtq_get_used(&vb->reportq, &len) < 0)
			return -1;
		chunks += k;
	}
	return (int64_t)chunks;
}

int cmd_balloonreport(const char *arg)
{
	static struct virtio_balloon vb;
	uint64_t v[2], start, pages, zero = 0;
	const char *error = NULL;
	int64_t chunks, bad;

	if (parse_sizes(arg, v, 2) || !v[0] || v[0] > BALLOON_MAX_MIB || v[1] > 3600000) {
		con_printf("balloonreport.error=usage balloonreport:<MiB>:<ms>\n");
		return -1;
	}
	pages = (v[0] << 20) / BALLOON_PAGE;
	if (!bootinfo_scratch_ram(v[0] << 20, &start) || start + (v[0] << 20) > (4ULL << 30)) {
		con_printf("balloonreport.error=%lu MiB at 0x%lx is not RAM below 4 GiB\n", v[0], start);
		return -1;
	}
	if (virtio_balloon_open(&vb, VIRTIO_BALLOON_F_REPORTING, true)) {
		error = vb.vp.error;
		goto out;
	}
	if (!vb.reporting) {
		error = "free page reporting not offered";
		goto out;
	}
	balloon_fill(start, 0, pages);
	con_printf("balloonreport.filled_mib=%lu\n", v[0]);
	balloon_sleep(v[1]);
	chunks = balloon_report(&vb, start, v[0] << 20);
	if (chunks < 0) {
		error = "the device did not take the report";
		goto out;
	}
	con_printf("balloonreport.chunks=%ld\nballoonreport.reported_mib=%lu\n", chunks, v[0]);
	balloon_sleep(v[1]);
	/* What the host made of them (zeros when it dropped them), then ours to use again. */
	for (uint64_t p = 0; p < pages; p++)
		zero += *(const volatile uint64_t *)(uintptr_t)(start + p * BALLOON_PAGE) == 0;
	con_printf("balloonreport.zero_pages=%lu\n", zero);
	balloon_fill(start, 0, pages);
	bad = balloon_check(start, 0, pages, false);
	con_printf("balloonreport.verify=%s\n", bad < 0 ? "ok" : "bad");
	if (bad >= 0)
		error = "pattern check failed";
	balloon_sleep(v[1]);
out:
	virtio_balloon_close(&vb);
	if (error) {
		con_printf("balloonreport.ok=0\nballoonreport.error=%s\n", error);
		return -1;
	}
	con_printf("balloonreport.ok=1\n");
	return 0;
}
