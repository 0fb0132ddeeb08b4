/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk: queue_notify pops every available chain, answers what it can
 * at once (bad requests, GET_ID) and submits the rest to the asynchronous
 * block engine, kicking it once per batch. Completions come back on the
 * engine's eventfd in the event loop; under the transport lock they get
 * their status byte and used entry, and the driver one interrupt per batch.
 *
 * With VIRTIO_BLK_F_MQ (queues=N) every request queue has its own ioeventfd
 * and MSI-X vector (the transport's); the queues share the engine and a pool
 * of slots, and each slot remembers its queue, so a completion goes to the
 * queue the request came from and only the queues that got one are
 * interrupted.
 *
 * A request in flight owns a slot (its iovecs point into guest RAM). Reset
 * and destroy wait for every slot's I/O to finish before the queue goes
 * away, then drop them without touching the (reset) rings.
 */
#include "devices/virtio/virtio_blk.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>

#include "block/block_file.h"
#include "core/clock.h"
#include "core/log.h"

struct virtio_blk_slot {
	struct block_req breq;
	uint8_t *status;            /* in guest RAM */
	uint32_t used_len;          /* bytes written into the guest on success */
	uint16_t head;
	uint16_t queue;             /* the request queue it came from */
	uint16_t next_free;
	struct iovec iov[VIRTIO_BLK_SEG_MAX];
};

struct virtio_blk {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;  /* per instance: the features depend on readonly */
	struct block_file file;
	const char *path;           /* the config's, for messages; lives as long as the VM */
	struct block_aio *aio;
	struct event_loop *loop;
	struct virtio_blk_limits lim;
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	char id[VIRTIO_BLK_ID_BYTES + 1];  /* NUL terminated for logs; the guest gets 20 bytes */
	bool broken;                /* NEEDS_RESET reported: ignore the queue until reset */
	bool throttled;             /* stopped popping for want of a slot */
	uint16_t nr_queues;
	uint32_t signal_mask;       /* queues that got used entries in this batch of completions */
	struct virtio_blk_slot *slots;
	uint16_t nr_slots;          /* VIRTIO_BLK_QUEUE_SIZE per queue */
	uint16_t free_head;         /* nr_slots: none free */
	struct virtq_chain chain;   /* scratch for virtq_pop; too big for the stack */
};

static void virtio_blk_init_slots(struct virtio_blk *blk)
{
	for (uint16_t i = 0; i < blk->nr_slots; i++)
		blk->slots[i].next_free = i + 1;
	blk->free_head = 0;
}

static struct virtio_blk_slot *virtio_blk_get_slot(struct virtio_blk *blk)
{
	struct virtio_blk_slot *slot;

	if (blk->free_head >= blk->nr_slots)
		return NULL;
	slot = &blk->slots[blk->free_head];
	blk->free_head = slot->next_free;
	return slot;
}

static void virtio_blk_put_slot(struct virtio_blk *blk, struct virtio_blk_slot *slot)
{
	slot->next_free = blk->free_head;
	blk->free_head = (uint16_t)(slot - blk->slots);
}

/* Answers a request now: status byte, then the used entry. */
static void virtio_blk_finish(struct virtq *vq, uint16_t head, uint8_t *status, uint8_t result, uint32_t used)
{
	*status = result;
	virtq_push(vq, head, used);
}

/* Completion callback from the engine, under the transport lock. */
static void virtio_blk_complete(void *ctx, struct block_req *breq)
{
	struct virtio_blk *blk = ctx;
	struct virtio_blk_slot *slot = (struct virtio_blk_slot *)((uint8_t *)breq -
								   offsetof(struct virtio_blk_slot, breq));
	struct virtq *vq = &blk->vdev.queues[slot->queue];

	if (breq->result) {
		log_guest("virtio-blk %s: I/O error at byte %llu: %s", blk->id,
			  (unsigned long long)breq->offset, strerror(-breq->result));
		virtio_blk_finish(vq, slot->head, slot->status, VIRTIO_BLK_S_IOERR, 1);
	} else {
		virtio_blk_finish(vq, slot->head, slot->status, VIRTIO_BLK_S_OK, slot->used_len);
	}
	blk->signal_mask |= 1u << slot->queue;
	virtio_blk_put_slot(blk, slot);
}

/*
 * Fills slot->breq for a valid request; false if nothing needs doing
 * (zero-length transfers).
 */
static bool virtio_blk_prepare(struct virtio_blk_slot *slot, const struct virtio_blk_req *req)
{
	struct block_req *b = &slot->breq;

	*b = (struct block_req){ 0 };
	slot->used_len = 1;
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (req->data_len == 0)
			return false;
		b->op = req->type == VIRTIO_BLK_T_IN ? BLOCK_OP_READ : BLOCK_OP_WRITE;
		b->offset = req->sector * VIRTIO_BLK_SECTOR_SIZE;
		b->iov = slot->iov;
		b->iovcnt = req->iovcnt;
		if (req->type == VIRTIO_BLK_T_IN)
			slot->used_len = (uint32_t)req->data_len + 1;
		return true;
	case VIRTIO_BLK_T_FLUSH:
		b->op = BLOCK_OP_FLUSH;
		return true;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (req->seg_sectors == 0)
			return false;
		b->op = req->type == VIRTIO_BLK_T_DISCARD ? BLOCK_OP_DISCARD : BLOCK_OP_WRITE_ZEROES;
		b->offset = req->seg_sector * VIRTIO_BLK_SECTOR_SIZE;
		b->len = (uint64_t)req->seg_sectors * VIRTIO_BLK_SECTOR_SIZE;
		return true;
	}
	return false;
}

/*
 * Handles the popped chain in blk->chain with a free slot. 1 if it was
 * answered at once, 0 if submitted, -EINVAL if it cannot be answered at all.
 */
static int virtio_blk_handle_chain(struct virtio_blk *blk, struct virtq *vq, struct virtio_blk_slot *slot)
{
	const struct virtq_chain *chain = &blk->chain;
	struct virtio_blk_req req;
	uint32_t n;
	int ret;

	ret = virtio_blk_req_parse(chain, &blk->lim, slot->iov, VIRTIO_BLK_SEG_MAX, &req);
	if (ret)
		return ret;
	if (req.result != VIRTIO_BLK_S_OK) {
		log_guest("virtio-blk %s: request type %u sector %llu refused (status %u)", blk->id, req.type,
			  (unsigned long long)req.sector, req.result);
		virtio_blk_finish(vq, chain->head, req.status, req.result, 1);
		return 1;
	}
	if (req.type == VIRTIO_BLK_T_GET_ID) {
		n = req.data_len < VIRTIO_BLK_ID_BYTES ? (uint32_t)req.data_len : VIRTIO_BLK_ID_BYTES;
		n = virtq_chain_write(chain, 0, blk->id, n);
		virtio_blk_finish(vq, chain->head, req.status, VIRTIO_BLK_S_OK, n + 1);
		return 1;
	}
	if (!virtio_blk_prepare(slot, &req)) {
		virtio_blk_finish(vq, chain->head, req.status, VIRTIO_BLK_S_OK, 1);
		return 1;
	}
	slot->head = chain->head;
	slot->queue = (uint16_t)(vq - blk->vdev.queues);
	slot->status = req.status;
	ret = block_aio_submit(blk->aio, &slot->breq);
	if (ret) {
		log_guest("virtio-blk %s: cannot submit I/O: %s", blk->id, strerror(-ret));
		virtio_blk_finish(vq, chain->head, req.status, VIRTIO_BLK_S_IOERR, 1);
		return 1;
	}
	return 0;
}

/* Takes chains while slots last; counts answered and submitted ones. 0 or -EINVAL. */
static int virtio_blk_drain(struct virtio_blk *blk, struct virtq *vq, unsigned int *answered,
			    unsigned int *submitted)
{
	struct virtio_blk_slot *slot;
	int ret;

	for (;;) {
		slot = virtio_blk_get_slot(blk);
		if (!slot) {
			/* Only a driver reusing in-flight heads gets here; resume on completion. */
			blk->throttled = true;
			return 0;
		}
		ret = virtq_pop(vq, &blk->chain);
		if (ret == 1)
			ret = virtio_blk_handle_chain(blk, vq, slot);
		else if (ret == 0)
			ret = -ENOENT;
		if (ret != 0)
			virtio_blk_put_slot(blk, slot);
		if (ret == -ENOENT)
			return 0;
		if (ret < 0)
			return ret;
		if (ret == 1)
			(*answered)++;
		else
			(*submitted)++;
	}
}

/* Serves queue q: everything available now, submitted as one batch. */
static void virtio_blk_process(struct virtio_blk *blk, uint16_t q)
{
	struct virtio_dev *vdev = &blk->vdev;
	struct virtq *vq = &vdev->queues[q];
	unsigned int answered = 0, submitted = 0, before;
	bool armed = false;
	int ret;

	if (blk->broken || !vq->state.ready)
		return;
	/*
	 * With event idx, re-check after publishing avail_event: the driver
	 * may have added a chain before it could see the new value, and then
	 * it will not notify for it.
	 */
	for (;;) {
		before = answered + submitted;
		ret = virtio_blk_drain(blk, vq, &answered, &submitted);
		if (ret < 0 || blk->throttled)
			break;
		if (!vq->event_idx || (armed && answered + submitted == before))
			break;
		virtq_set_avail_event(vq);
		armed = true;
	}
	if (submitted)
		block_aio_kick(blk->aio);
	if (answered)
		vdev->transport->signal_used(vdev, q);
	if (ret < 0) {
		log_guest("virtio-blk %s: malformed request on queue %u (%d), device needs reset", blk->id, q, ret);
		blk->broken = true;
		vdev->transport->needs_reset(vdev);
	}
}

static void virtio_blk_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_blk *blk = vdev->priv;

	if (q >= blk->nr_queues) {
		log_guest("virtio-blk: notify for queue %u, which does not exist", q);
		return;
	}
	virtio_blk_process(blk, q);
}

/* The engine's eventfd: completions are waiting (event loop thread). */
static void virtio_blk_handle_completions(void *ctx, uint32_t events)
{
	struct virtio_blk *blk = ctx;
	struct virtio_dev *vdev = &blk->vdev;
	unsigned int n;

	vdev->transport->lock(vdev);
	blk->signal_mask = 0;
	n = block_aio_reap(blk->aio, virtio_blk_complete, blk);
	for (uint16_t q = 0; n && q < blk->nr_queues; q++)
		if (blk->signal_mask & (1u << q))
			vdev->transport->signal_used(vdev, q);
	if (blk->throttled) {
		/* Slots are back: serve every queue, one of them may have waited. */
		blk->throttled = false;
		for (uint16_t q = 0; q < blk->nr_queues && !blk->throttled; q++)
			virtio_blk_process(blk, q);
	}
	vdev->transport->unlock(vdev);
}

static void virtio_blk_config_read(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_blk *blk = vdev->priv;

	memset(data, 0, len);
	if (offset < sizeof(blk->config) && len <= sizeof(blk->config) - offset)
		memcpy(data, blk->config + offset, len);
}

static void virtio_blk_config_write(struct virtio_dev *vdev, uint32_t offset, const void *data, uint32_t len)
{
	/* Nothing is writable without CONFIG_WCE, which is not offered. */
	log_guest("virtio-blk: config write at %u ignored", offset);
}

static int virtio_blk_activate(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;

	blk->broken = false;
	return 0;
}

/* Waits for the I/O in flight (its buffers are guest RAM), then forgets it. */
static void virtio_blk_drop_in_flight(struct virtio_blk *blk)
{
	block_aio_cancel_all(blk->aio);
	virtio_blk_init_slots(blk);
	blk->throttled = false;
}

static void virtio_blk_reset(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;

	virtio_blk_drop_in_flight(blk);
	blk->broken = false;
}

#define VIRTIO_BLK_QUIESCE_NS (30ULL * 1000000000ULL)

/*
 * Snapshot, with the vCPUs paused: waits for every request in flight and
 * completes it (status byte, used entry, interrupt), also serving chains
 * that waited for a free slot, so the snapshot holds no half-done request.
 */
static int virtio_blk_quiesce(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;
	struct pollfd pfd = { .fd = blk->aio->event_fd, .events = POLLIN };
	uint64_t deadline = clock_monotonic_ns() + VIRTIO_BLK_QUIESCE_NS;

	while (blk->aio->in_flight || blk->throttled) {
		if (clock_monotonic_ns() > deadline) {
			log_error("virtio-blk %s: %u requests still in flight after 30 s", blk->id,
				  blk->aio->in_flight);
			return -ETIMEDOUT;
		}
		if (blk->aio->in_flight && poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return -errno;
		virtio_blk_handle_completions(blk, POLLIN);
	}
	return 0;
}

/*
 * Live migration on one host: the destination opens the image with its own
 * lock, so the source lets go of its lock in the final step (flushing first)
 * and takes it back only if the guest stays here. A read-only image's shared
 * lock does not stand in the destination's way.
 */
static int virtio_blk_handover(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;
	int ret;

	if (blk->lim.readonly)
		return 0;
	ret = block_file_unlock(&blk->file);
	if (ret)
		log_error("disk %s: cannot hand it over (flush and unlock): %s", blk->path, strerror(-ret));
	return ret;
}

#define VIRTIO_BLK_RELOCK_WAIT_NS (2ULL * 1000000000ULL)

static int virtio_blk_reclaim(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;
	uint64_t deadline = clock_monotonic_ns() + VIRTIO_BLK_RELOCK_WAIT_NS;
	int ret;

	/* A destination that failed may still be closing the image: give it a moment. */
	while ((ret = block_file_relock(&blk->file)) == -EBUSY && clock_monotonic_ns() < deadline)
		poll(NULL, 0, 20);
	if (ret == -EBUSY)
		log_error("disk %s: cannot lock it again: another process holds its lock now; "
			  "the guest keeps running here, but that process may write the disk too", blk->path);
	else if (ret)
		log_error("disk %s: cannot lock it again: %s; the guest keeps running here", blk->path,
			  strerror(-ret));
	return ret;
}

static void virtio_blk_destroy(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;

	virtio_blk_drop_in_flight(blk);
	event_loop_del(blk->loop, blk->aio->event_fd);
	block_aio_destroy(blk->aio);
	block_file_close(&blk->file);
	free(blk->slots);
	free(blk);
}

static const struct virtio_dev_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.config_read = virtio_blk_config_read,
	.config_write = virtio_blk_config_write,
	.activate = virtio_blk_activate,
	.reset = virtio_blk_reset,
	.queue_notify = virtio_blk_queue_notify,
	.destroy = virtio_blk_destroy,
	.quiesce = virtio_blk_quiesce,
	.handover = virtio_blk_handover,
	.reclaim = virtio_blk_reclaim,
};

static void put_le16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static void put_le32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void put_le64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

static void virtio_blk_fill_config(struct virtio_blk *blk)
{
	uint8_t *c = blk->config;

	put_le64(c + VIRTIO_BLK_CFG_CAPACITY, blk->lim.capacity);
	put_le32(c + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
	put_le32(c + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX_CONFIG);
	put_le32(c + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE);
	c[VIRTIO_BLK_CFG_WRITEBACK] = 1;
	put_le16(c + VIRTIO_BLK_CFG_NUM_QUEUES, blk->nr_queues);
	put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
	put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1);
	put_le32(c + VIRTIO_BLK_CFG_DISCARD_ALIGNMENT, VIRTIO_BLK_DISCARD_ALIGNMENT);
	put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS, VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS);
	put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, 1);
	c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 0;
}

/* The serial: given, or the file's name and a hash of its path (distinct, and recognisable). */
static void virtio_blk_set_id(struct virtio_blk *blk, const struct virtio_blk_config *cfg)
{
	char buf[VIRTIO_BLK_ID_BYTES + 1];
	const char *base = strrchr(cfg->path, '/');
	uint32_t hash = 2166136261u;

	memset(blk->id, 0, sizeof(blk->id));
	if (cfg->serial) {
		memcpy(blk->id, cfg->serial, strnlen(cfg->serial, sizeof(blk->id)));
		return;
	}
	for (const char *p = cfg->path; *p; p++)
		hash = (hash ^ (uint8_t)*p) * 16777619u;
	snprintf(buf, sizeof(buf), "%.11s-%08x", base ? base + 1 : cfg->path, hash);
	memcpy(blk->id, buf, strnlen(buf, sizeof(blk->id)));
}

const char *virtio_blk_aio_name(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;

	return block_aio_name(blk->aio);
}

struct virtio_dev *virtio_blk_create(const struct virtio_blk_config *cfg, struct event_loop *loop,
				     char *err, size_t errlen)
{
	struct virtio_blk *blk;
	uint16_t nr_queues = cfg->queues ? cfg->queues : 1;
	char why[256];
	int ret;

	if (nr_queues > VIRTIO_BLK_MAX_QUEUES) {
		snprintf(err, errlen, "disk %s: %u queues, at most %d", cfg->path, nr_queues, VIRTIO_BLK_MAX_QUEUES);
		return NULL;
	}
	blk = calloc(1, sizeof(*blk));
	if (!blk) {
		snprintf(err, errlen, "disk %s: out of memory", cfg->path);
		return NULL;
	}
	blk->nr_queues = nr_queues;
	blk->nr_slots = (uint16_t)(VIRTIO_BLK_QUEUE_SIZE * nr_queues);
	blk->slots = calloc(blk->nr_slots, sizeof(*blk->slots));
	if (!blk->slots) {
		snprintf(err, errlen, "disk %s: out of memory", cfg->path);
		goto out_free;
	}
	virtio_blk_init_slots(blk);
	if (block_file_open(&blk->file, cfg->path, cfg->readonly, cfg->direct, err, errlen))
		goto out_free;
	blk->aio = block_aio_create(blk->file.fd, blk->nr_slots, cfg->aio, why, sizeof(why));
	if (!blk->aio) {
		snprintf(err, errlen, "disk %s: %s", cfg->path, why);
		goto out_close;
	}
	ret = event_loop_add(loop, blk->aio->event_fd, EPOLLIN, virtio_blk_handle_completions, blk);
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot watch its completions: %s", cfg->path, strerror(-ret));
		goto out_aio;
	}
	blk->loop = loop;
	blk->path = cfg->path;
	blk->lim = (struct virtio_blk_limits){
		.capacity = blk->file.size / VIRTIO_BLK_SECTOR_SIZE,
		.readonly = cfg->readonly,
	};
	virtio_blk_fill_config(blk);
	virtio_blk_set_id(blk, cfg);

	blk->ops = virtio_blk_ops;
	blk->ops.num_queues = nr_queues;
	blk->ops.features = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
			    1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH;
	if (nr_queues > 1)
		blk->ops.features |= 1ull << VIRTIO_BLK_F_MQ;
	if (cfg->readonly)
		blk->ops.features |= 1ull << VIRTIO_BLK_F_RO;
	else
		blk->ops.features |= 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	blk->vdev.ops = &blk->ops;
	blk->vdev.priv = blk;
	log_info("disk %s: %llu sectors%s, %u queue%s, %s I/O", cfg->path, (unsigned long long)blk->lim.capacity,
		 cfg->readonly ? ", read-only" : "", nr_queues, nr_queues > 1 ? "s" : "", block_aio_name(blk->aio));
	return &blk->vdev;

out_aio:
	block_aio_destroy(blk->aio);
out_close:
	block_file_close(&blk->file);
out_free:
	free(blk->slots);
	free(blk);
	return NULL;
}
