/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock: the transmit queue's packets go to the vsock_uds (header
 * checked here, payload handed over in place in guest memory); packets the
 * vsock_uds has for the guest are written into receive buffers, their
 * payload read from the host socket straight into the buffer. The event
 * queue carries one event, TRANSPORT_RESET, sent after a restore or an
 * incoming migration: the host connections did not come along, and the
 * guest must drop its own (as Firecracker does).
 *
 * Chains are checked as the other devices do (virtqueue.c checks every
 * descriptor): a transmit chain with device-writable buffers or shorter
 * than the header, or a receive chain without room for the header, is
 * malformed (NEEDS_RESET). A well-formed chain whose packet is wrong (a
 * length that is not the chain's, a payload over 64 KiB) is dropped with
 * a RST; a spoofed source CID is dropped. The vsock_uds refuses the rest
 * (other CIDs, other socket types, unknown connections and ops) with RST.
 *
 * Receive has no budget: each packet takes one of the guest's buffers, so
 * one pass is bounded by the ring; with none left, the device asks to be
 * notified and the vsock_uds keeps its packets (host sockets unread).
 *
 * Threads: notifications and host events run on the event loop thread,
 * activate and reset on a vCPU thread; all under the transport lock, which
 * also guards the vsock_uds.
 */
#include "devices/virtio/virtio_vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "core/log.h"
#include "net/vsock_uds.h"
#include "snapshot/snap_buf.h"

/* Receive packets between interrupts while a pass goes on, so the guest starts early. */
#define VIRTIO_VSOCK_SIGNAL_EVERY   32

struct virtio_vsock {
	struct virtio_dev vdev;
	struct vsock_uds *uds;
	struct event_loop *loop;
	uint32_t guest_cid;
	bool active;                /* DRIVER_OK and not reset since */
	bool broken;                /* NEEDS_RESET reported: ignore the queues until reset */
	bool reset_event_owed;      /* restored: TRANSPORT_RESET waits for an event buffer */
	uint32_t transport_resets;  /* events sent */
	struct virtq_chain chain;   /* scratch for virtq_pop */
	struct iovec payload[VIRTQ_CHAIN_MAX];
};

/* Device config space (5.10.4). */
struct virtio_vsock_config {
	uint64_t guest_cid;
} __attribute__((packed));

struct virtio_vsock_event {
	uint32_t id;
} __attribute__((packed));

static struct virtio_vsock *virtio_vsock_of(struct virtio_dev *vdev)
{
	return vdev->priv;
}

static void virtio_vsock_set_broken(struct virtio_vsock *vs, const char *what, int err)
{
	log_guest("virtio-vsock: malformed %s (%d), device needs reset", what, err);
	vs->broken = true;
	vs->vdev.transport->needs_reset(&vs->vdev);
}

static bool virtio_vsock_usable(const struct virtio_vsock *vs, uint16_t q)
{
	return vs->active && !vs->broken && vs->vdev.queues[q].state.ready;
}

/*
 * A header between the guest's little endian and host byte order (the
 * vsock_uds's): the same swap both ways.
 */
static void virtio_vsock_hdr_swap_le(const struct virtio_vsock_hdr *in, struct virtio_vsock_hdr *out)
{
	*out = (struct virtio_vsock_hdr){
		.src_cid = htole64(in->src_cid), .dst_cid = htole64(in->dst_cid),
		.src_port = htole32(in->src_port), .dst_port = htole32(in->dst_port),
		.len = htole32(in->len), .type = htole16(in->type), .op = htole16(in->op),
		.flags = htole32(in->flags), .buf_alloc = htole32(in->buf_alloc), .fwd_cnt = htole32(in->fwd_cnt),
	};
}

/*
 * The buffers of iov[0, n) past the first skip bytes, at most cap of them,
 * into vs->payload; returns how many entries.
 */
static int virtio_vsock_payload_iov(struct virtio_vsock *vs, const struct iovec *iov, uint32_t n,
				    uint32_t skip, uint32_t cap)
{
	int count = 0;

	for (uint32_t i = 0; i < n && cap; i++) {
		struct iovec v = iov[i];

		if (skip >= v.iov_len) {
			skip -= (uint32_t)v.iov_len;
			continue;
		}
		v.iov_base = (uint8_t *)v.iov_base + skip;
		v.iov_len -= skip;
		skip = 0;
		if (v.iov_len > cap)
			v.iov_len = cap;
		cap -= (uint32_t)v.iov_len;
		vs->payload[count++] = v;
	}
	return count;
}

/* ---- receive ---- */

static void virtio_vsock_rx_run(struct virtio_vsock *vs)
{
	struct virtq *vq = &vs->vdev.queues[VIRTIO_VSOCK_RXQ];
	struct virtq_chain *c = &vs->chain;
	unsigned int unsignalled = 0;
	bool armed = false;
	int ret;

	if (!virtio_vsock_usable(vs, VIRTIO_VSOCK_RXQ))
		return;
	virtq_enable_notify(vq, false);
	while (vsock_uds_rx_pending(vs->uds)) {
		struct virtio_vsock_hdr hdr_le, pkt;
		uint32_t cap;
		int n;

		ret = virtq_pop(vq, c);
		if (ret < 0) {
			virtio_vsock_set_broken(vs, "receive queue", ret);
			break;
		}
		if (ret == 0) {
			/* Out of buffers: ask for a kick, then look once more (one may have come meanwhile). */
			if (armed)
				break;
			virtq_enable_notify(vq, true);
			armed = true;
			continue;
		}
		/* Receive buffers are device-writable and hold at least the header (5.10.6.1). */
		if (c->nr_out || c->in_len < VIRTIO_VSOCK_HDR_LEN) {
			virtio_vsock_set_broken(vs, "receive buffer", -EINVAL);
			break;
		}
		cap = c->in_len - VIRTIO_VSOCK_HDR_LEN;
		if (cap > VIRTIO_VSOCK_MAX_PAYLOAD)
			cap = VIRTIO_VSOCK_MAX_PAYLOAD;
		n = virtio_vsock_payload_iov(vs, c->iov, c->nr_in, VIRTIO_VSOCK_HDR_LEN, cap);
		if (!vsock_uds_rx_next(vs->uds, &pkt, vs->payload, n, cap)) {
			virtq_unpop(vq, 1);
			break;
		}
		virtio_vsock_hdr_swap_le(&pkt, &hdr_le);
		virtq_chain_write(c, 0, &hdr_le, sizeof(hdr_le));
		virtq_push(vq, c->head, VIRTIO_VSOCK_HDR_LEN + pkt.len);
		if (++unsignalled == VIRTIO_VSOCK_SIGNAL_EVERY) {
			vs->vdev.transport->signal_used(&vs->vdev, VIRTIO_VSOCK_RXQ);
			unsignalled = 0;
		}
	}
	if (unsignalled)
		vs->vdev.transport->signal_used(&vs->vdev, VIRTIO_VSOCK_RXQ);
}

/* ---- transmit ---- */

/* Checks one transmit chain and hands its packet over: 0 (taken or dropped), -EINVAL if malformed. */
static int virtio_vsock_tx_one(struct virtio_vsock *vs, const struct virtq_chain *c)
{
	struct virtio_vsock_hdr hdr_le, pkt;
	int n;

	/* Transmit buffers are device-readable and start with the header (5.10.6.2). */
	if (c->nr_in || c->out_len < VIRTIO_VSOCK_HDR_LEN)
		return -EINVAL;
	virtq_chain_read(c, 0, &hdr_le, sizeof(hdr_le));
	virtio_vsock_hdr_swap_le(&hdr_le, &pkt);
	if (pkt.src_cid != vs->guest_cid) {
		log_guest("virtio-vsock: packet from CID %llu, not the guest's %u: dropped",
			  (unsigned long long)pkt.src_cid, vs->guest_cid);
		return 0;
	}
	if (pkt.len != c->out_len - VIRTIO_VSOCK_HDR_LEN || pkt.len > VIRTIO_VSOCK_MAX_PAYLOAD) {
		log_guest("virtio-vsock: packet says %u payload bytes, its chain has %u: refused with RST",
			  pkt.len, c->out_len - VIRTIO_VSOCK_HDR_LEN);
		vsock_uds_guest_refuse(vs->uds, &pkt);
		return 0;
	}
	n = virtio_vsock_payload_iov(vs, c->iov, c->nr_out, VIRTIO_VSOCK_HDR_LEN, pkt.len);
	vsock_uds_guest_pkt(vs->uds, &pkt, vs->payload, n);
	return 0;
}

static int virtio_vsock_tx_drain(void *ctx, unsigned int *served)
{
	struct virtio_vsock *vs = ctx;
	struct virtq *vq = &vs->vdev.queues[VIRTIO_VSOCK_TXQ];
	int ret;

	while ((ret = virtq_pop(vq, &vs->chain)) == 1) {
		ret = virtio_vsock_tx_one(vs, &vs->chain);
		if (ret < 0)
			return ret;
		virtq_push(vq, vs->chain.head, 0);
		(*served)++;
	}
	return ret;
}

static void virtio_vsock_tx_run(struct virtio_vsock *vs)
{
	unsigned int served = 0;
	int ret;

	if (!virtio_vsock_usable(vs, VIRTIO_VSOCK_TXQ))
		return;
	ret = virtq_serve(&vs->vdev.queues[VIRTIO_VSOCK_TXQ], virtio_vsock_tx_drain, vs, &served);
	if (served)
		vs->vdev.transport->signal_used(&vs->vdev, VIRTIO_VSOCK_TXQ);
	if (ret < 0)
		virtio_vsock_set_broken(vs, "transmit chain", ret);
}

/* ---- events ---- */

/* Sends the owed TRANSPORT_RESET if the driver gave an event buffer. */
static void virtio_vsock_event_run(struct virtio_vsock *vs)
{
	struct virtq *vq = &vs->vdev.queues[VIRTIO_VSOCK_EVENTQ];
	struct virtio_vsock_event ev = { .id = htole32(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET) };
	struct virtq_chain *c = &vs->chain;
	int ret;

	if (!vs->reset_event_owed || !virtio_vsock_usable(vs, VIRTIO_VSOCK_EVENTQ))
		return;
	ret = virtq_pop(vq, c);
	if (ret == 0) {
		virtq_enable_notify(vq, true);
		return;
	}
	if (ret < 0 || c->nr_out || c->in_len < sizeof(ev)) {
		virtio_vsock_set_broken(vs, "event buffer", ret < 0 ? ret : -EINVAL);
		return;
	}
	virtq_chain_write(c, 0, &ev, sizeof(ev));
	virtq_push(vq, c->head, sizeof(ev));
	vs->reset_event_owed = false;
	vs->transport_resets++;
	vs->vdev.transport->signal_used(&vs->vdev, VIRTIO_VSOCK_EVENTQ);
}

/* ---- device ops ---- */

static void virtio_vsock_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_vsock *vs = virtio_vsock_of(vdev);

	if (vs->broken || !vs->active)
		return;
	switch (q) {
	case VIRTIO_VSOCK_TXQ:
		virtio_vsock_tx_run(vs);
		/* Replies (RESPONSE, RST, credit) and data the new credit lets through. */
		virtio_vsock_rx_run(vs);
		break;
	case VIRTIO_VSOCK_RXQ:
		virtio_vsock_rx_run(vs);
		break;
	case VIRTIO_VSOCK_EVENTQ:
		virtio_vsock_event_run(vs);
		break;
	default:
		log_guest("virtio-vsock: notify for queue %u, which does not exist", q);
		break;
	}
}

void virtio_vsock_poll(struct virtio_dev *vdev)
{
	struct virtio_vsock *vs = virtio_vsock_of(vdev);

	vdev->transport->lock(vdev);
	vsock_uds_poll(vs->uds);
	virtio_vsock_rx_run(vs);
	vdev->transport->unlock(vdev);
}

static void virtio_vsock_host_event(void *ctx, uint32_t events)
{
	virtio_vsock_poll(ctx);
}

uint32_t virtio_vsock_transport_resets(struct virtio_dev *vdev)
{
	return virtio_vsock_of(vdev)->transport_resets;
}

uint32_t virtio_vsock_connections(struct virtio_dev *vdev)
{
	return vsock_uds_nr_conns(virtio_vsock_of(vdev)->uds);
}

static void virtio_vsock_config_read(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_vsock_config cfg = { .guest_cid = htole64(virtio_vsock_of(vdev)->guest_cid) };

	memset(data, 0, len);
	if (offset < sizeof(cfg) && len <= sizeof(cfg) - offset)
		memcpy(data, (uint8_t *)&cfg + offset, len);
}

static int virtio_vsock_activate(struct virtio_dev *vdev)
{
	struct virtio_vsock *vs = virtio_vsock_of(vdev);

	vs->broken = false;
	vs->active = true;
	virtio_vsock_event_run(vs);
	/* Host programs may have connected while the driver was not ready. */
	virtio_vsock_rx_run(vs);
	return 0;
}

static void virtio_vsock_reset(struct virtio_dev *vdev)
{
	struct virtio_vsock *vs = virtio_vsock_of(vdev);

	vs->active = false;
	vs->broken = false;
	vs->reset_event_owed = false;
	/* The driver forgot its connections: so does the host side. */
	vsock_uds_reset(vs->uds);
}

/* Snapshot: the CID, which the restoring VM's configuration must have too. */
struct virtio_vsock_snap {
	uint64_t guest_cid;
};

static void virtio_vsock_save(struct virtio_dev *vdev, struct snap_writer *w)
{
	struct virtio_vsock_snap st = { .guest_cid = htole64(virtio_vsock_of(vdev)->guest_cid) };

	snap_put(w, &st, sizeof(st));
}

static int virtio_vsock_load(struct virtio_dev *vdev, struct snap_reader *r)
{
	struct virtio_vsock *vs = virtio_vsock_of(vdev);
	struct virtio_vsock_snap st;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	if (le64toh(st.guest_cid) != vs->guest_cid) {
		log_error("virtio-vsock: the snapshot's device has CID %llu; this one has %u",
			  (unsigned long long)le64toh(st.guest_cid), vs->guest_cid);
		return -EINVAL;
	}
	/* The guest's connections were with another process: it must drop them. */
	vsock_uds_reset(vs->uds);
	vs->reset_event_owed = true;
	return 0;
}

static int virtio_vsock_handover(struct virtio_dev *vdev)
{
	vsock_uds_release(virtio_vsock_of(vdev)->uds);
	return 0;
}

static int virtio_vsock_reclaim(struct virtio_dev *vdev)
{
	return vsock_uds_reclaim(virtio_vsock_of(vdev)->uds);
}

static void virtio_vsock_destroy(struct virtio_dev *vdev)
{
	struct virtio_vsock *vs = virtio_vsock_of(vdev);

	if (vs->loop)
		event_loop_del(vs->loop, vsock_uds_fd(vs->uds));
	vsock_uds_destroy(vs->uds);
	free(vs);
}

static const struct virtio_dev_ops virtio_vsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = 3,
	.queue_max_size = VIRTIO_VSOCK_QUEUE_SIZE,
	.features = 0,      /* stream sockets only: no SEQPACKET */
	.config_size = sizeof(struct virtio_vsock_config),
	.config_read = virtio_vsock_config_read,
	.activate = virtio_vsock_activate,
	.reset = virtio_vsock_reset,
	.queue_notify = virtio_vsock_queue_notify,
	.destroy = virtio_vsock_destroy,
	.save = virtio_vsock_save,
	.load = virtio_vsock_load,
	.handover = virtio_vsock_handover,
	.reclaim = virtio_vsock_reclaim,
};

struct virtio_dev *virtio_vsock_create(uint32_t guest_cid, struct vsock_uds *uds, struct event_loop *loop)
{
	struct virtio_vsock *vs;

	if (!uds)
		return NULL;
	vs = calloc(1, sizeof(*vs));
	if (!vs)
		goto out_uds;
	vs->uds = uds;
	vs->loop = loop;
	vs->guest_cid = guest_cid;
	vs->vdev.ops = &virtio_vsock_ops;
	vs->vdev.priv = vs;
	if (loop && event_loop_add(loop, vsock_uds_fd(uds), EPOLLIN, virtio_vsock_host_event, &vs->vdev))
		goto out_free;
	return &vs->vdev;

out_free:
	free(vs);
out_uds:
	vsock_uds_destroy(uds);
	return NULL;
}
