// SPDX-License-Identifier: MIT
/*
 * blkmq:<i>:<sector>:<count>:<seed>: virtio-blk with VIRTIO_BLK_F_MQ. Sets up
 * every request queue the device offers (num_queues in its config), each on
 * its own MSI-X table entry, and
 *  - writes the pattern queue by queue (chunk j of 4 KiB on queue j % N),
 *    with only that queue's MSI-X entry pointing at the counted vector, so
 *    the interrupts counted in its phase came through its own entry;
 *  - sends a FLUSH on every queue;
 *  - reads everything back with all queues busy at once, each chunk on a
 *    different queue than wrote it (j + 1) % N, and checks the pattern.
 * The range must fit blk_buf (4 MiB).
 */
#include "apic.h"
#include "blk_cmd.h"
#include "cmd.h"
#include "con.h"
#include "guest.h"
#include "lib.h"
#include "pci.h"
#include "sys.h"
#include "virtio_blk.h"

#define BLK_MQ_MAX	16		/* queues we drive at most */
#define BLK_MQ_SLOTS	64		/* requests in flight per queue */
#define BLK_MQ_CHUNK	4096u		/* bytes per request */
#define BLK_MQ_CFG_NUM_QUEUES	34	/* struct virtio_blk_config.num_queues */
#define VEC_IGNORED	0x50		/* an uncounted vector: just EOI'd */

#define BLK_MQ_WANTED (VIRTIO_BLK_F_MQ | VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_RO | \
		       VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_F_RING_EVENT_IDX)

struct blk_mq_req {
	struct virtio_blk_req_hdr hdr;
	uint8_t status;
	bool busy;
};

struct blk_mq_queue {
	struct virtq vq;
	struct blk_mq_req req[BLK_MQ_SLOTS];
	uint16_t head_req[VIRTQ_MAX];
	uint32_t in_flight;
	uint32_t max_inflight;
	uint32_t next_chunk;		/* during a transfer */
	uint32_t writes, reads, irqs;
	int flush;
	bool own_vector;		/* the device took MSI-X entry q for it */
};

/* Rings and bookkeeping: not zeroed, not in the image; set up before use. */
static struct virtq_mem blk_mq_mem[BLK_MQ_MAX] __attribute__((section(".noinit"), aligned(4096)));
static struct blk_mq_queue blk_mq_q[BLK_MQ_MAX] __attribute__((section(".noinit")));

struct blk_mq {
	struct virtio_pci vp;
	uint16_t nq;
	uint64_t sector;
	uint64_t bytes;
	uint32_t nchunks;
	int status;			/* first non-zero status, -1 on timeout */
};

static uint32_t blk_mq_vec_count(void)
{
	return irq_counts[VEC_VIRTIO_BLK - VEC_COUNTED_BASE];
}

/* MSI-X entry e -> the counted vector if e == only (or only < 0), else an ignored one. */
static void blk_mq_route(struct blk_mq *m, int only)
{
	for (uint16_t e = 0; e < m->nq; e++)
		pci_msix_enable(m->vp.fn, e, only < 0 || e == only ? VEC_VIRTIO_BLK : VEC_IGNORED, lapic_id());
}

/* Take an interrupt that is already pending, so it is counted in the phase it belongs to. */
static void blk_mq_settle(void)
{
	lapic_timer_oneshot(VEC_TIMER, 2000000);
	sys_wait();
	lapic_timer_oneshot(VEC_TIMER, 0);
}

static int blk_mq_submit(struct blk_mq_queue *q, uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	struct virtq_buf bufs[3];
	struct blk_mq_req *r = NULL;
	uint16_t n = 0;
	int head;

	for (uint32_t i = 0; i < q->max_inflight; i++)
		if (!q->req[i].busy) {
			r = &q->req[i];
			break;
		}
	if (!r)
		return -1;
	r->hdr = (struct virtio_blk_req_hdr){ type, 0, sector };
	r->status = VIRTIO_BLK_S_NONE;
	bufs[n++] = (struct virtq_buf){ (uintptr_t)&r->hdr, sizeof(r->hdr), false };
	if (len)
		bufs[n++] = (struct virtq_buf){ (uintptr_t)data, len, type == VIRTIO_BLK_T_IN };
	bufs[n++] = (struct virtq_buf){ (uintptr_t)&r->status, 1, true };
	head = virtq_add(&q->vq, bufs, n);
	if (head < 0)
		return -1;
	r->busy = true;
	q->head_req[head] = (uint16_t)(r - q->req);
	q->in_flight++;
	return 0;
}

/* Reap what queue q has finished; the count. */
static uint32_t blk_mq_reap(struct blk_mq *m, struct blk_mq_queue *q)
{
	uint32_t n = 0;
	int head;

	while (virtq_has_used(&q->vq)) {
		head = virtq_get_used(&q->vq, NULL);
		if (head < 0 || !q->req[q->head_req[head]].busy)
			continue;
		struct blk_mq_req *r = &q->req[q->head_req[head]];

		r->busy = false;
		q->in_flight--;
		if (r->status != VIRTIO_BLK_S_OK && !m->status)
			m->status = r->status;
		n++;
	}
	return n;
}

/* Wait until queues [first, last] have nothing in flight. 0 or -1 (timeout). */
static int blk_mq_drain(struct blk_mq *m, uint16_t first, uint16_t last)
{
	for (;;) {
		struct blk_mq_queue *waiting = NULL;
		uint32_t reaped = 0, irqs = 0;

		for (uint16_t k = first; k <= last; k++) {
			reaped += blk_mq_reap(m, &blk_mq_q[k]);
			if (blk_mq_q[k].in_flight && !waiting)
				waiting = &blk_mq_q[k];
		}
		if (!waiting)
			return 0;
		if (!reaped && virtq_wait(&waiting->vq, VIRTIO_BLK_TIMEOUT_MS, &irqs)) {
			m->status = -1;
			return -1;
		}
	}
}

/*
 * Transfer every chunk j over queues [first, last], chunk j on queue
 * (j + shift) % nq: batches of up to max_inflight per queue, one notify per
 * queue and batch. 0 or -1.
 */
static int blk_mq_xfer(struct blk_mq *m, uint32_t type, uint32_t shift, uint16_t first, uint16_t last)
{
	for (uint16_t k = first; k <= last; k++)
		blk_mq_q[k].next_chunk = (k + m->nq - shift % m->nq) % m->nq;
	for (;;) {
		bool any = false;

		for (uint16_t k = first; k <= last; k++) {
			struct blk_mq_queue *q = &blk_mq_q[k];
			bool added = false;

			while (q->in_flight < q->max_inflight && q->next_chunk < m->nchunks) {
				uint64_t off = (uint64_t)q->next_chunk * BLK_MQ_CHUNK;
				uint32_t len = m->bytes - off < BLK_MQ_CHUNK ? (uint32_t)(m->bytes - off) : BLK_MQ_CHUNK;

				if (blk_mq_submit(q, type, m->sector + off / VIRTIO_BLK_SECTOR, blk_buf + off, len))
					break;
				if (type == VIRTIO_BLK_T_IN)
					q->reads++;
				else
					q->writes++;
				q->next_chunk += m->nq;
				added = true;
			}
			if (added)
				virtq_kick(&q->vq);
			any |= q->in_flight > 0;
		}
		if (!any)
			return 0;
		if (blk_mq_drain(m, first, last))
			return -1;
	}
}

/* Negotiate MQ, read num_queues, one MSI-X entry and ring per queue, DRIVER_OK. 0 or -1. */
static int blk_mq_open(struct blk_mq *m, uint32_t index)
{
	const struct pci_fn *fn = virtio_blk_find(index);
	uint16_t nq = 1;

	if (!fn) {
		m->vp.error = "no device";
		return -1;
	}
	if (virtio_pci_init(&m->vp, fn) || virtio_pci_negotiate(&m->vp, BLK_MQ_WANTED))
		return -1;
	if (m->vp.features & VIRTIO_BLK_F_MQ)
		nq = virtio_pci_config_read16(&m->vp, BLK_MQ_CFG_NUM_QUEUES);
	con_printf("blkmq.mq=%u\n", !!(m->vp.features & VIRTIO_BLK_F_MQ));
	con_printf("blkmq.num_queues=%u\n", nq);
	if (!nq || nq > BLK_MQ_MAX) {
		m->vp.error = "num_queues out of range";
		return -1;
	}
	m->nq = nq;
	if (virtio_pci_setup_msix(&m->vp, VEC_VIRTIO_BLK))
		return -1;
	for (uint16_t k = 0; k < nq; k++) {
		struct blk_mq_queue *q = &blk_mq_q[k];

		memset(q, 0, sizeof(*q));
		q->flush = -1;
		if (virtio_pci_setup_queue(&m->vp, &q->vq, &blk_mq_mem[k], k, VIRTQ_MAX))
			return -1;
		q->own_vector = !virtio_pci_set_queue_vector(&m->vp, k, k);
		q->vq.irq_count = q->own_vector ? &irq_counts[VEC_VIRTIO_BLK - VEC_COUNTED_BASE] : NULL;
		q->max_inflight = q->vq.size / 3 < BLK_MQ_SLOTS ? q->vq.size / 3 : BLK_MQ_SLOTS;
	}
	virtio_pci_driver_ok(&m->vp);
	return 0;
}

int cmd_blkmq(const char *arg)
{
	char f[BLK_ARGS_MAX][BLK_ARG_LEN];
	struct blk_mq m = { 0 };
	uint64_t disk, count, seed, bad = 0;
	bool bad_found = false, ok;

	if (blk_args_split(arg, f, BLK_ARGS_MAX) != 4 || parse_size(f[0], &disk) || disk > 255 ||
	    parse_size(f[1], &m.sector) || parse_size(f[2], &count) || !count ||
	    count > BLK_BUF_BYTES / VIRTIO_BLK_SECTOR || parse_size(f[3], &seed)) {
		con_printf("blkmq.error=bad arguments '%s' (count: 1 to %u sectors)\n", arg,
			   BLK_BUF_BYTES / VIRTIO_BLK_SECTOR);
		return -1;
	}
	if (blk_mq_open(&m, (uint32_t)disk)) {
		con_printf("blkmq.error=%s\n", m.vp.error);
		if (m.vp.common_gpa)
			virtio_pci_reset(&m.vp);
		return -1;
	}
	m.bytes = count * VIRTIO_BLK_SECTOR;
	m.nchunks = (uint32_t)((m.bytes + BLK_MQ_CHUNK - 1) / BLK_MQ_CHUNK);

	for (uint64_t w = 0; w < m.bytes / 8; w++)
		((uint64_t *)blk_buf)[w] = blk_pattern_word(seed, m.sector * VIRTIO_BLK_SECTOR + 8 * w);
	/* Writes, one queue at a time, its interrupts through its own MSI-X entry only. */
	for (uint16_t k = 0; k < m.nq && !m.status; k++) {
		uint32_t before;

		blk_mq_route(&m, k);
		before = blk_mq_vec_count();
		blk_mq_xfer(&m, VIRTIO_BLK_T_OUT, 0, k, k);
		blk_mq_settle();
		blk_mq_q[k].irqs = blk_mq_vec_count() - before;
	}
	/* A FLUSH on every queue. */
	blk_mq_route(&m, -1);
	for (uint16_t k = 0; k < m.nq && m.status >= 0; k++) {
		struct blk_mq_queue *q = &blk_mq_q[k];
		int saved = m.status;

		if (!(m.vp.features & VIRTIO_BLK_F_FLUSH) || blk_mq_submit(q, VIRTIO_BLK_T_FLUSH, 0, NULL, 0))
			break;
		virtq_kick(&q->vq);
		m.status = 0;
		if (!blk_mq_drain(&m, k, k))
			q->flush = m.status;
		m.status = saved ? saved : m.status;
	}
	/* Reads with every queue busy at once, each chunk on another queue than wrote it. */
	memset(blk_buf, 0, m.bytes);
	if (m.status >= 0)
		blk_mq_xfer(&m, VIRTIO_BLK_T_IN, m.nq > 1 ? 1 : 0, 0, m.nq - 1);
	for (uint64_t w = 0; w < m.bytes / 8 && !bad_found; w++) {
		if (((uint64_t *)blk_buf)[w] != blk_pattern_word(seed, m.sector * VIRTIO_BLK_SECTOR + 8 * w)) {
			bad_found = true;
			bad = m.sector + 8 * w / VIRTIO_BLK_SECTOR;
		}
	}
	virtio_pci_reset(&m.vp);
	pci_msix_disable(m.vp.fn);

	for (uint16_t k = 0; k < m.nq; k++) {
		const struct blk_mq_queue *q = &blk_mq_q[k];

		con_printf("blkmq.q%u.vector=%s\n", k, q->own_vector ? "own" : "refused");
		con_printf("blkmq.q%u.writes=%u\n", k, q->writes);
		con_printf("blkmq.q%u.reads=%u\n", k, q->reads);
		con_printf("blkmq.q%u.irqs=%u\n", k, q->irqs);
		if (q->flush < 0)
			con_printf("blkmq.q%u.flush=none\n", k);
		else
			con_printf("blkmq.q%u.flush=%d\n", k, q->flush);
	}
	if (m.status < 0)
		con_printf("blkmq.status=timeout\n");
	else
		con_printf("blkmq.status=%d\n", m.status);
	if (bad_found)
		con_printf("blkmq.bad=%lu\n", bad);
	ok = !m.status && !bad_found;
	con_printf("blkmq.ok=%u\n", ok);
	return ok ? 0 : -1;
}
