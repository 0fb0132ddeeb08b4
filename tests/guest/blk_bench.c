// SPDX-License-Identifier: MIT
/*
 * blkbench:<i>:<seq|rand>:<read|write>:<block bytes>:<queue depth>:<total MiB>
 * keeps <queue depth> requests in flight, refilling after every wake-up
 * with one notify per refill, and reports throughput from the TSC.
 */
#include "blk_cmd.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "tsc.h"
#include "virtio_blk.h"

#define BENCH_MAX_BLOCK		(1u << 20)

struct blk_bench {
	bool rand;
	bool write;
	uint32_t block;
	uint32_t qd;
	uint64_t total_reqs;
	uint64_t blocks;	/* block-sized slots on the disk */
	uint64_t next;		/* seq: next block; rand: PRNG state */
};

static uint64_t bench_next_block(struct blk_bench *b)
{
	uint64_t z;

	if (!b->rand)
		return b->next++ % b->blocks;
	/* splitmix64 stream: deterministic, seeded with 0 */
	z = (b->next += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % b->blocks;
}

static int bench_parse(const char *arg, struct blk_bench *b, struct virtio_blk *blk,
		       char f[][BLK_ARG_LEN])
{
	uint64_t block, qd, mib;

	if (parse_size(f[3], &block) || parse_size(f[4], &qd) || parse_size(f[5], &mib))
		return -1;
	if (strcmp(f[1], "seq") && strcmp(f[1], "rand"))
		return -1;
	if (strcmp(f[2], "read") && strcmp(f[2], "write"))
		return -1;
	b->rand = !strcmp(f[1], "rand");
	b->write = !strcmp(f[2], "write");
	if (!block || block % VIRTIO_BLK_SECTOR || block > BENCH_MAX_BLOCK ||
	    (blk->size_max && block > blk->size_max) || !qd || qd > blk->max_inflight ||
	    qd * block > BLK_BUF_BYTES || !mib || mib > (1u << 20))
		return -1;
	b->block = (uint32_t)block;
	b->qd = (uint32_t)qd;
	b->total_reqs = (mib << 20) / block;
	b->blocks = blk->capacity * VIRTIO_BLK_SECTOR / block;
	return b->blocks && b->total_reqs ? 0 : -1;
}

static void bench_report(const struct blk_bench *b, uint64_t cycles, uint32_t irqs,
			 uint32_t notifies, int status)
{
	uint64_t hz = tsc_hz(NULL);
	uint64_t us = cycles / (hz / 1000000 ? hz / 1000000 : 1);
	uint64_t bytes = b->total_reqs * b->block, centi;

	if (!us)
		us = 1;
	centi = bytes * 100 / us * 1000000 / (1 << 20);
	con_printf("blkbench.mib_s=%lu.%02lu\n", centi / 100, centi % 100);
	con_printf("blkbench.iops=%lu\n", b->total_reqs * 1000000 / us);
	con_printf("blkbench.us=%lu\n", us);
	con_printf("blkbench.requests=%lu\n", b->total_reqs);
	con_printf("blkbench.irqs=%u\n", irqs);
	con_printf("blkbench.notifies=%u\n", notifies);
	con_printf("blkbench.status=%d\n", status);
}

int cmd_blkbench(const char *arg)
{
	char f[BLK_ARGS_MAX][BLK_ARG_LEN];
	struct blk_bench b = { 0 };
	uint64_t issued = 0, done = 0, t0, t1;
	uint32_t inflight = 0, reaped, irq0, notify0, i;
	struct virtio_blk *blk;
	const char *src;
	int status = 0;

	if (blk_args_split(arg, f, BLK_ARGS_MAX) != 6) {
		con_printf("blkbench.error=bad arguments '%s'\n", arg);
		return -1;
	}
	con_printf("tsc.hz=%lu\n", tsc_hz(&src));
	con_printf("tsc.source=%s\n", src);
	blk = blk_cmd_open("blkbench", f[0]);
	if (!blk)
		return -1;
	if (bench_parse(arg, &b, blk, f)) {
		con_printf("blkbench.error=bad arguments '%s' (queue depth <= %u, block <= %u)\n",
			   arg, blk->max_inflight, BENCH_MAX_BLOCK);
		goto out_close;
	}
	/* Writes carry whatever pattern; slot i uses buffer i. */
	for (i = 0; i < b.qd * b.block / 8; i++)
		((uint64_t *)blk_buf)[i] = blk_pattern_word(0, 8 * i);
	irq0 = blk->vq.irq_count ? *blk->vq.irq_count : 0;
	notify0 = blk->vq.notifies;
	t0 = rdtsc();
	while (done < b.total_reqs) {
		int slot;

		for (; inflight < b.qd && issued < b.total_reqs; issued++, inflight++) {
			uint64_t sector = bench_next_block(&b) * (b.block / VIRTIO_BLK_SECTOR);
			/* Slots are taken lowest first and at most qd are busy: slot < qd. */
			uint8_t *buf = blk_buf + (uint64_t)virtio_blk_peek_slot(blk) * b.block;

			slot = virtio_blk_submit(blk, b.write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
						 sector, buf, b.block, 0);
			if (slot < 0)
				break;
		}
		virtio_blk_kick(blk);
		reaped = 0;
		while ((slot = virtio_blk_reap(blk)) >= 0) {
			if (blk->slots[slot].status && !status)
				status = blk->slots[slot].status;
			virtio_blk_release(blk, slot);
			inflight--;
			done++;
			reaped++;
		}
		/* Refill before sleeping; sleep only with nothing to collect. */
		if (reaped || done == b.total_reqs || virtq_arm_irq(&blk->vq))
			continue;
		if (virtio_blk_wait(blk, VIRTIO_BLK_TIMEOUT_MS)) {
			status = -1;
			break;
		}
	}
	t1 = rdtsc();
	bench_report(&b, t1 - t0, (blk->vq.irq_count ? *blk->vq.irq_count : 0) - irq0,
		     blk->vq.notifies - notify0, status);
out_close:
	virtio_blk_close(blk);
	return status ? -1 : 0;
}
