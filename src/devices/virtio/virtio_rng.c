/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng: every available chain gets its writable buffers filled from
 * getrandom() (at most VIRTIO_RNG_REQ_MAX bytes per request). The device is
 * stateless: nothing is in flight between notifications.
 */
#include "devices/virtio/virtio_rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "core/log.h"

struct virtio_rng {
	struct virtio_dev vdev;
	bool broken;                /* NEEDS_RESET reported: ignore the queue until reset */
	struct virtq_chain chain;   /* scratch for virtq_pop; too big for the stack */
};

/* Fills the chain's writable buffers; returns the bytes written. */
static uint32_t virtio_rng_fill(const struct virtq_chain *chain)
{
	uint32_t written = 0;

	for (uint32_t i = chain->nr_out; i < (uint32_t)chain->nr_out + chain->nr_in; i++) {
		uint8_t *buf = chain->iov[i].iov_base;
		size_t len = chain->iov[i].iov_len;
		size_t done = 0;

		if (len > VIRTIO_RNG_REQ_MAX - written)
			len = VIRTIO_RNG_REQ_MAX - written;
		while (done < len) {
			ssize_t n = getrandom(buf + done, len - done, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				log_guest("virtio-rng: getrandom failed: %d", -errno);
				return written + (uint32_t)done;
			}
			done += (size_t)n;
		}
		written += (uint32_t)done;
		if (written == VIRTIO_RNG_REQ_MAX)
			break;
	}
	return written;
}

/* Serves every available chain, counting them in *served; 0 or -EINVAL (bad ring/chain). */
static int virtio_rng_drain(void *ctx, unsigned int *served)
{
	struct virtio_rng *rng = ctx;
	struct virtq *vq = &rng->vdev.queues[0];
	int ret;

	while ((ret = virtq_pop(vq, &rng->chain)) == 1) {
		/* A request must give the device somewhere to write (5.4.6.1). */
		if (rng->chain.nr_in == 0)
			return -EINVAL;
		virtq_push(vq, rng->chain.head, virtio_rng_fill(&rng->chain));
		(*served)++;
	}
	return ret;
}

static void virtio_rng_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_rng *rng = vdev->priv;
	struct virtq *vq = &vdev->queues[0];
	unsigned int served = 0;
	int ret;

	if (q != 0) {
		log_guest("virtio-rng: notify for queue %u, which does not exist", q);
		return;
	}
	if (rng->broken)
		return;
	ret = virtq_serve(vq, virtio_rng_drain, rng, &served);
	if (served)
		vdev->transport->signal_used(vdev, 0);
	if (ret < 0) {
		log_guest("virtio-rng: malformed request on queue 0 (%d), device needs reset", ret);
		rng->broken = true;
		vdev->transport->needs_reset(vdev);
	}
}

static int virtio_rng_activate(struct virtio_dev *vdev)
{
	struct virtio_rng *rng = vdev->priv;

	rng->broken = false;
	return 0;
}

static void virtio_rng_reset(struct virtio_dev *vdev)
{
	struct virtio_rng *rng = vdev->priv;

	rng->broken = false;
}

static void virtio_rng_destroy(struct virtio_dev *vdev)
{
	free(vdev->priv);
}

static const struct virtio_dev_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
	.features = 0,
	.config_size = 0,
	.activate = virtio_rng_activate,
	.reset = virtio_rng_reset,
	.queue_notify = virtio_rng_queue_notify,
	.destroy = virtio_rng_destroy,
};

struct virtio_dev *virtio_rng_create(void)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return NULL;
	rng->vdev.ops = &virtio_rng_ops;
	rng->vdev.priv = rng;
	return &rng->vdev;
}
