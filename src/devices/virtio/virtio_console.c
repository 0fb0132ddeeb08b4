/* SPDX-License-Identifier: MIT */
/*
 * virtio-console, one port: transmit chains go straight from guest memory
 * to the output sink and return with len 0; host input fills the receive
 * buffers the driver posted, and whatever does not fit stays with the
 * caller (no buffering here, so nothing is dropped or reordered).
 */
#include "devices/virtio/virtio_console.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "snapshot/snap_buf.h"

struct virtio_console {
	struct virtio_dev vdev;
	struct virtio_console_config cfg;
	bool active;                /* DRIVER_OK and not reset since */
	bool broken;                /* NEEDS_RESET reported: ignore the queues until reset */
	struct virtq_chain chain;   /* scratch for virtq_pop; too big for the stack */
};

static struct virtio_console *virtio_console_of(struct virtio_dev *vdev)
{
	return vdev->priv;
}

static void virtio_console_set_broken(struct virtio_console *con, const char *what, int err)
{
	log_guest("virtio-console: malformed %s (%d), device needs reset", what, err);
	con->broken = true;
	con->vdev.transport->needs_reset(&con->vdev);
}

/* ---- transmit ---- */

/* Sends every available transmit chain to the sink; 0 or -EINVAL. */
static int virtio_console_tx_drain(void *ctx, unsigned int *served)
{
	struct virtio_console *con = ctx;
	struct virtq *vq = &con->vdev.queues[VIRTIO_CONSOLE_TXQ];
	struct virtq_chain *chain = &con->chain;
	int ret;

	while ((ret = virtq_pop(vq, chain)) == 1) {
		/* Output buffers are device-readable only (5.3.6.2). */
		if (chain->nr_in)
			return -EINVAL;
		for (uint16_t i = 0; i < chain->nr_out; i++)
			if (chain->iov[i].iov_len && con->cfg.out)
				con->cfg.out(con->cfg.out_ctx, chain->iov[i].iov_base, chain->iov[i].iov_len);
		virtq_push(vq, chain->head, 0);
		(*served)++;
	}
	return ret;
}

static void virtio_console_tx(struct virtio_console *con)
{
	struct virtq *vq = &con->vdev.queues[VIRTIO_CONSOLE_TXQ];
	unsigned int served = 0;
	int ret;

	if (!vq->state.ready)
		return;
	ret = virtq_serve(vq, virtio_console_tx_drain, con, &served);
	if (served)
		con->vdev.transport->signal_used(&con->vdev, VIRTIO_CONSOLE_TXQ);
	if (ret < 0)
		virtio_console_set_broken(con, "transmit chain", ret);
}

/* ---- receive ---- */

static bool virtio_console_rx_usable(struct virtio_console *con)
{
	return con->active && !con->broken && con->vdev.queues &&
	       con->vdev.queues[VIRTIO_CONSOLE_RXQ].state.ready;
}

size_t virtio_console_receive(struct virtio_dev *vdev, const uint8_t *buf, size_t len)
{
	struct virtio_console *con = virtio_console_of(vdev);
	struct virtq_chain *chain = &con->chain;
	struct virtq *vq;
	unsigned int pushed = 0;
	size_t done = 0;
	int ret = 0;

	vdev->transport->lock(vdev);
	if (!virtio_console_rx_usable(con))
		goto out_unlock;
	vq = &vdev->queues[VIRTIO_CONSOLE_RXQ];
	while (done < len) {
		uint32_t want = len - done > UINT32_MAX ? UINT32_MAX : (uint32_t)(len - done);
		uint32_t n;

		ret = virtq_pop(vq, chain);
		if (ret == 0 && vq->event_idx) {
			/* Out of buffers: ask to be notified of new ones, then look once more. */
			virtq_set_avail_event(vq);
			ret = virtq_pop(vq, chain);
		}
		if (ret <= 0)
			break;
		/* Input buffers are device-writable only (5.3.6.1). */
		if (chain->nr_out || !chain->nr_in) {
			ret = -EINVAL;
			break;
		}
		n = virtq_chain_write(chain, 0, buf + done, want);
		virtq_push(vq, chain->head, n);
		pushed++;
		done += n;
	}
	if (pushed)
		vdev->transport->signal_used(vdev, VIRTIO_CONSOLE_RXQ);
	if (ret < 0)
		virtio_console_set_broken(con, "receive chain", ret);
out_unlock:
	vdev->transport->unlock(vdev);
	return done;
}

bool virtio_console_rx_ready(struct virtio_dev *vdev)
{
	struct virtio_console *con = virtio_console_of(vdev);
	bool ready = false;
	uint16_t avail_idx;

	vdev->transport->lock(vdev);
	if (virtio_console_rx_usable(con)) {
		const struct virtq *vq = &vdev->queues[VIRTIO_CONSOLE_RXQ];

		if (!guest_mem_read(vq->mem, vq->state.avail_gpa + 2, &avail_idx, sizeof(avail_idx)))
			ready = le16toh(avail_idx) != vq->state.last_avail_idx;
	}
	vdev->transport->unlock(vdev);
	return ready;
}

/* ---- device ops ---- */

static void virtio_console_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_console *con = virtio_console_of(vdev);

	if (con->broken)
		return;
	switch (q) {
	case VIRTIO_CONSOLE_TXQ:
		virtio_console_tx(con);
		break;
	case VIRTIO_CONSOLE_RXQ:
		/* New receive buffers: the console pump offers pending input on its next pass. */
		break;
	default:
		log_guest("virtio-console: notify for queue %u, which does not exist", q);
		break;
	}
}

static void virtio_console_config_read(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_console *con = virtio_console_of(vdev);
	uint8_t cfg[VIRTIO_CONSOLE_CFG_SIZE] = { 0 };
	uint16_t v16;
	uint32_t v32;

	v16 = htole16(con->cfg.cols);
	memcpy(cfg + VIRTIO_CONSOLE_CFG_COLS, &v16, 2);
	v16 = htole16(con->cfg.rows);
	memcpy(cfg + VIRTIO_CONSOLE_CFG_ROWS, &v16, 2);
	v32 = htole32(1);
	memcpy(cfg + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, &v32, 4);
	/* emerg_wr reads as 0. Bytes beyond the config space read as 0 too. */
	memset(data, 0, len);
	if (offset < sizeof(cfg))
		memcpy(data, cfg + offset, len < sizeof(cfg) - offset ? len : sizeof(cfg) - offset);
}

static void virtio_console_config_write(struct virtio_dev *vdev, uint32_t offset, const void *data, uint32_t len)
{
	struct virtio_console *con = virtio_console_of(vdev);
	uint8_t c;

	/* Only emerg_wr is writable: its low byte is one character of output (5.3.6.3). */
	if (offset != VIRTIO_CONSOLE_CFG_EMERG_WR || len == 0) {
		log_guest("virtio-console: config write of %u bytes at %u ignored", len, offset);
		return;
	}
	memcpy(&c, data, 1);
	if (con->cfg.out)
		con->cfg.out(con->cfg.out_ctx, &c, 1);
}

static int virtio_console_activate(struct virtio_dev *vdev)
{
	struct virtio_console *con = virtio_console_of(vdev);

	con->broken = false;
	con->active = true;
	/* Output the driver queued before DRIVER_OK. */
	virtio_console_tx(con);
	return 0;
}

static void virtio_console_reset(struct virtio_dev *vdev)
{
	struct virtio_console *con = virtio_console_of(vdev);

	con->active = false;
	con->broken = false;
}

/* Snapshot: the console size the guest was told (the rest follows from the transport). */
struct virtio_console_snap {
	uint16_t cols;
	uint16_t rows;
};

static void virtio_console_save(struct virtio_dev *vdev, struct snap_writer *w)
{
	struct virtio_console *con = virtio_console_of(vdev);
	struct virtio_console_snap st = { .cols = con->cfg.cols, .rows = con->cfg.rows };

	snap_put(w, &st, sizeof(st));
}

static int virtio_console_load(struct virtio_dev *vdev, struct snap_reader *r)
{
	struct virtio_console *con = virtio_console_of(vdev);
	struct virtio_console_snap st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	con->cfg.cols = st.cols;
	con->cfg.rows = st.rows;
	return 0;
}

static void virtio_console_destroy(struct virtio_dev *vdev)
{
	free(vdev->priv);
}

static const struct virtio_dev_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max_size = VIRTIO_CONSOLE_QUEUE_SIZE,
	.features = 1ull << VIRTIO_CONSOLE_F_SIZE | 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE,
	.config_size = VIRTIO_CONSOLE_CFG_SIZE,
	.config_read = virtio_console_config_read,
	.config_write = virtio_console_config_write,
	.activate = virtio_console_activate,
	.reset = virtio_console_reset,
	.queue_notify = virtio_console_queue_notify,
	.destroy = virtio_console_destroy,
	.save = virtio_console_save,
	.load = virtio_console_load,
};

void virtio_console_set_size(struct virtio_dev *vdev, uint16_t cols, uint16_t rows)
{
	struct virtio_console *con = virtio_console_of(vdev);
	bool changed;

	vdev->transport->lock(vdev);
	changed = con->cfg.cols != cols || con->cfg.rows != rows;
	con->cfg.cols = cols;
	con->cfg.rows = rows;
	if (changed && con->active && virtio_has_feature(vdev, VIRTIO_CONSOLE_F_SIZE))
		vdev->transport->signal_config(vdev);
	vdev->transport->unlock(vdev);
}

struct virtio_dev *virtio_console_create(const struct virtio_console_config *cfg)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con)
		return NULL;
	con->cfg = *cfg;
	con->vdev.ops = &virtio_console_ops;
	con->vdev.priv = con;
	return &con->vdev;
}
