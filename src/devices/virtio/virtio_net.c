/* SPDX-License-Identifier: MIT */
/*
 * virtio-net: the transmit queues' chains go to the backend with their
 * vnet header (checked against the negotiated offloads); frames from the
 * backend go into receive buffers, spread over several with MRG_RXBUF.
 *
 * Queue pairs: pair i is receive queue 2i and transmit queue 2i + 1 over
 * backend queue i; the per-frame code is shared and takes the pair. With
 * more than one pair the device offers MQ and a control queue (the last
 * one); only pair 0 is in use until the driver sends VQ_PAIRS_SET, and the
 * backend's queues of pairs not in use are disabled (a multiqueue TAP
 * detaches them, so the kernel steers no frames there). Reset goes back to
 * one pair.
 *
 * Receive flow control, per pair: a frame is read from the backend only
 * when the previous one was delivered. If the ring has no room, the frame
 * stays in the pair's rx_buf and the device stops watching that backend
 * queue until the driver adds buffers and notifies the receive queue;
 * nothing is dropped for lack of buffers. Watching is switched in an epoll
 * set of each pair's own (epoll_ctl is thread-safe), so activate/reset on a
 * vCPU thread can do it.
 *
 * Threads: every queue notification (each queue has its own ioeventfd and
 * MSI-X vector, from the transport) and every backend event runs on the
 * event loop thread; activate and reset come from a vCPU thread. All of it
 * under the transport lock, so the scratch chains and used arrays are shared
 * by the pairs.
 */
#include "devices/virtio/virtio_net.h"

#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"
#include "snapshot/snap_buf.h"

#define ETH_HDR_LEN     14

struct virtio_net;

/* One receive/transmit queue pair and its backend queue. */
struct virtio_net_pair {
	struct virtio_net *net;
	uint16_t index;
	int rx_epfd;                /* watches be->rx_fd[index], or nothing while paused */
	bool rx_paused;
	uint32_t rx_len;            /* bytes of the frame waiting in rx_buf; 0: none */
	uint8_t rx_buf[NET_VNET_HDR_LEN + NET_FRAME_MAX];
};

struct virtio_net {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;  /* per device: the offered features depend on the backend */
	struct net_backend *be;
	struct event_loop *loop;
	uint8_t mac[6];
	uint16_t max_pairs;         /* the backend's queues: config max_virtqueue_pairs */
	uint16_t curr_pairs;        /* pairs in use: 1 until the driver sets more */

	bool active;                /* DRIVER_OK and not reset since */
	bool broken;                /* NEEDS_RESET reported: ignore the queues until reset */

	uint16_t used_heads[VIRTIO_NET_QUEUE_SIZE];
	uint32_t used_lens[VIRTIO_NET_QUEUE_SIZE];
	struct virtq_chain first;   /* receive: the chain that gets the header */
	struct virtq_chain chain;   /* scratch for virtq_pop */
	struct iovec tx_iov[VIRTQ_CHAIN_MAX + 1];
	struct virtio_net_pair pairs[];     /* max_pairs */
};

static struct virtio_net *virtio_net_of(struct virtio_dev *vdev)
{
	return vdev->priv;
}

static void virtio_net_lock(struct virtio_net *net)
{
	net->vdev.transport->lock(&net->vdev);
}

static void virtio_net_unlock(struct virtio_net *net)
{
	net->vdev.transport->unlock(&net->vdev);
}

static void virtio_net_set_broken(struct virtio_net *net, const char *what, int err)
{
	log_guest("virtio-net: malformed %s (%d), device needs reset", what, err);
	net->broken = true;
	net->vdev.transport->needs_reset(&net->vdev);
}

/* ---- receive ---- */

static void virtio_net_rx_watch(struct virtio_net_pair *pair, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	if (pair->rx_paused == !on)
		return;
	if (epoll_ctl(pair->rx_epfd, EPOLL_CTL_MOD, pair->net->be->rx_fd[pair->index], &ev) < 0)
		log_warn("virtio-net: cannot %s backend queue %u: %d", on ? "watch" : "pause", pair->index, -errno);
	pair->rx_paused = !on;
}

/* Makes the backend's header say only what the driver accepts; false: drop the frame. */
static bool virtio_net_rx_fix_hdr(struct virtio_net *net, struct virtio_net_hdr_v1 *hdr)
{
	uint8_t gso = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (!virtio_has_feature(&net->vdev, VIRTIO_NET_F_GUEST_CSUM)) {
		if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		hdr->flags = 0;
	}
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && virtio_has_feature(&net->vdev, VIRTIO_NET_F_GUEST_TSO4))
		return true;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV6 && virtio_has_feature(&net->vdev, VIRTIO_NET_F_GUEST_TSO6))
		return true;
	return false;
}

/*
 * Delivers the frame in the pair's rx_buf: 1 delivered, 0 dropped, -ENOBUFS
 * if the ring has too few buffers now (nothing consumed), -EINVAL for a
 * malformed ring.
 */
static int virtio_net_rx_deliver(struct virtio_net *net, struct virtio_net_pair *pair, struct virtq *vq)
{
	bool mrg = virtio_has_feature(&net->vdev, VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_v1 *hdr = (struct virtio_net_hdr_v1 *)pair->rx_buf;
	uint32_t off = 0, nbufs = 0;
	uint16_t num_buffers;
	int ret;

	if (!virtio_net_rx_fix_hdr(net, hdr))
		return 0;
	while (off < pair->rx_len) {
		struct virtq_chain *c = nbufs ? &net->chain : &net->first;
		uint32_t n;

		ret = virtq_pop(vq, c);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			/* Give the buffers back: the frame waits for more. */
			virtq_unpop(vq, (uint16_t)nbufs);
			/* A ring too small for the frame even when full never will be. */
			return nbufs && nbufs >= vq->state.size ? 0 : -ENOBUFS;
		}
		if (c->nr_out || (nbufs == 0 && c->in_len < NET_VNET_HDR_LEN) ||
		    nbufs == VIRTIO_NET_QUEUE_SIZE)
			return -EINVAL;
		if (!mrg && c->in_len < pair->rx_len) {
			virtq_unpop(vq, 1);
			log_guest("virtio-net: %u-byte frame dropped: receive buffer has %u bytes",
				  pair->rx_len - NET_VNET_HDR_LEN, c->in_len);
			return 0;
		}
		n = pair->rx_len - off < c->in_len ? pair->rx_len - off : c->in_len;
		n = virtq_chain_write(c, 0, pair->rx_buf + off, n);
		net->used_heads[nbufs] = c->head;
		net->used_lens[nbufs] = n;
		nbufs++;
		off += n;
	}
	num_buffers = htole16((uint16_t)nbufs);
	virtq_chain_write(&net->first, offsetof(struct virtio_net_hdr_v1, num_buffers),
			  &num_buffers, sizeof(num_buffers));
	for (uint32_t i = 0; i < nbufs; i++)
		virtq_fill(vq, (uint16_t)i, net->used_heads[i], net->used_lens[i]);
	virtq_flush(vq, (uint16_t)nbufs);
	return 1;
}

/* Frames per call, so a busy backend cannot starve the rest of the event loop. */
#define VIRTIO_NET_RX_BUDGET 256

static void virtio_net_rx_run(struct virtio_net_pair *pair)
{
	struct virtio_net *net = pair->net;
	uint16_t q = (uint16_t)(2 * pair->index + VIRTIO_NET_RXQ);
	struct virtq *vq = &net->vdev.queues[q];
	bool armed = false;
	int ret;

	if (!net->active || net->broken || pair->index >= net->curr_pairs) {
		virtio_net_rx_watch(pair, false);
		return;
	}
	/* While frames flow we take buffers as they come: no kicks needed. */
	virtq_enable_notify(vq, false);
	for (int budget = VIRTIO_NET_RX_BUDGET; budget > 0; budget--) {
		if (!pair->rx_len) {
			ssize_t n = net->be->ops->recv(net->be, pair->index, pair->rx_buf, sizeof(pair->rx_buf));

			if (n == -EAGAIN)
				break;
			if (n < 0) {
				log_guest("virtio-net: backend receive failed: %zd", n);
				break;
			}
			if (n < NET_VNET_HDR_LEN + ETH_HDR_LEN)
				continue;
			pair->rx_len = (uint32_t)n;
		}
		ret = virtio_net_rx_deliver(net, pair, vq);
		if (ret == -ENOBUFS) {
			/*
			 * Out of buffers: ask for a kick when the driver adds one,
			 * then look once more: it may have added one before it
			 * could see our request.
			 */
			if (!armed) {
				virtq_enable_notify(vq, true);
				armed = true;
				budget++;
				continue;
			}
			virtio_net_rx_watch(pair, false);
			break;
		}
		if (ret < 0) {
			virtio_net_set_broken(net, "receive queue", ret);
			break;
		}
		pair->rx_len = 0;
		if (ret == 1)
			net->vdev.transport->signal_used(&net->vdev, q);
	}
}

void virtio_net_poll_rx(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);

	virtio_net_lock(net);
	for (uint16_t i = 0; i < net->curr_pairs; i++)
		virtio_net_rx_run(&net->pairs[i]);
	virtio_net_unlock(net);
}

bool virtio_net_rx_paused(struct virtio_dev *vdev, uint16_t pair)
{
	struct virtio_net *net = virtio_net_of(vdev);

	return pair >= net->max_pairs || net->pairs[pair].rx_paused;
}

uint16_t virtio_net_pairs_in_use(struct virtio_dev *vdev)
{
	return virtio_net_of(vdev)->curr_pairs;
}

/*
 * A pair's epoll set is readable while its backend queue is (level-triggered)
 * and watched. virtio_net_rx_run() reads until the backend is empty or the
 * guest has no buffers left, in which case it stops watching: either way the
 * set stops being readable, so the event loop does not spin.
 */
static void virtio_net_rx_event(void *ctx, uint32_t events)
{
	struct virtio_net_pair *pair = ctx;
	struct virtio_net *net = pair->net;

	virtio_net_lock(net);
	virtio_net_rx_run(pair);
	virtio_net_unlock(net);
}

/* ---- transmit ---- */

static bool virtio_net_tx_hdr_ok(struct virtio_net *net, const struct virtio_net_hdr_v1 *hdr)
{
	uint8_t gso = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !virtio_has_feature(&net->vdev, VIRTIO_NET_F_CSUM))
		return false;
	if ((hdr->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !virtio_has_feature(&net->vdev, VIRTIO_NET_F_HOST_ECN))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_has_feature(&net->vdev, VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return virtio_has_feature(&net->vdev, VIRTIO_NET_F_HOST_TSO6);
	default:
		return false;
	}
}

/* Sends one transmit chain: 0 (sent or dropped), -EINVAL if malformed. */
static int virtio_net_tx_one(struct virtio_net *net, struct virtio_net_pair *pair, const struct virtq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	uint32_t frame_len, skip = NET_VNET_HDR_LEN;
	int iovcnt = 1, ret;

	/* Transmit buffers are device-readable and start with the header (5.1.6.2). */
	if (c->nr_in || c->out_len < NET_VNET_HDR_LEN)
		return -EINVAL;
	virtq_chain_read(c, 0, &hdr, sizeof(hdr));
	frame_len = c->out_len - NET_VNET_HDR_LEN;
	if (frame_len < ETH_HDR_LEN || frame_len > NET_FRAME_MAX) {
		log_guest("virtio-net: %u-byte frame dropped: not a valid Ethernet frame length", frame_len);
		return 0;
	}
	if (!virtio_net_tx_hdr_ok(net, &hdr)) {
		log_guest("virtio-net: frame dropped: header asks for offloads not negotiated "
			  "(flags 0x%x gso 0x%x)", hdr.flags, hdr.gso_type);
		return 0;
	}
	if (pair->index >= net->curr_pairs) {
		/* Its backend queue is detached: as QEMU, the frame goes nowhere. */
		log_guest("virtio-net: frame on transmit queue %u of pair %u, which is not in use: dropped",
			  2 * pair->index + VIRTIO_NET_TXQ, pair->index);
		return 0;
	}
	hdr.num_buffers = 0;
	net->tx_iov[0] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
	for (uint32_t i = 0; i < c->nr_out; i++) {
		struct iovec v = c->iov[i];

		if (skip >= v.iov_len) {
			skip -= (uint32_t)v.iov_len;
			continue;
		}
		v.iov_base = (uint8_t *)v.iov_base + skip;
		v.iov_len -= skip;
		skip = 0;
		net->tx_iov[iovcnt++] = v;
	}
	ret = net->be->ops->send(net->be, pair->index, net->tx_iov, iovcnt);
	if (ret && ret != -EAGAIN)
		log_guest("virtio-net: backend send failed: %d", ret);
	return 0;
}

/* Sends every available transmit chain of a pair; 0 or -EINVAL (malformed). */
static int virtio_net_tx_drain(void *ctx, unsigned int *sent)
{
	struct virtio_net_pair *pair = ctx;
	struct virtio_net *net = pair->net;
	struct virtq *vq = &net->vdev.queues[2 * pair->index + VIRTIO_NET_TXQ];
	int ret;

	while ((ret = virtq_pop(vq, &net->chain)) == 1) {
		ret = virtio_net_tx_one(net, pair, &net->chain);
		if (ret < 0)
			return ret;
		virtq_push(vq, net->chain.head, 0);
		(*sent)++;
	}
	return ret;
}

static void virtio_net_tx_run(struct virtio_net_pair *pair)
{
	struct virtio_net *net = pair->net;
	uint16_t q = (uint16_t)(2 * pair->index + VIRTIO_NET_TXQ);
	unsigned int sent = 0;
	int ret;

	ret = virtq_serve(&net->vdev.queues[q], virtio_net_tx_drain, pair, &sent);
	if (sent)
		net->vdev.transport->signal_used(&net->vdev, q);
	if (ret < 0)
		virtio_net_set_broken(net, "transmit queue", ret);
}

/* ---- queue pairs and the control queue ---- */

/*
 * Uses pairs [0, n): the backend's queues of the others are disabled and
 * their waiting frames dropped (5.1.6.5.5: nothing goes to a receive queue
 * beyond n once the command is acknowledged); newly enabled pairs are
 * watched if the device runs. If a backend queue cannot be enabled nothing
 * changes: -errno.
 */
static int virtio_net_set_pairs(struct virtio_net *net, uint16_t n)
{
	int (*set_enabled)(struct net_backend *, uint16_t, bool) = net->be->ops->set_queue_enabled;
	uint16_t old = net->curr_pairs;
	int ret;

	for (uint16_t i = old; i < n && set_enabled; i++) {
		ret = set_enabled(net->be, i, true);
		if (ret) {
			while (i-- > old)
				set_enabled(net->be, i, false);
			return ret;
		}
	}
	for (uint16_t i = n; i < net->max_pairs; i++) {
		struct virtio_net_pair *pair = &net->pairs[i];

		virtio_net_rx_watch(pair, false);
		pair->rx_len = 0;
		/* A failure is logged; the pair's frames are not read either way. */
		if (set_enabled)
			set_enabled(net->be, i, false);
	}
	net->curr_pairs = n;
	for (uint16_t i = old; i < n && net->active && !net->broken; i++)
		virtio_net_rx_watch(&net->pairs[i], true);
	return 0;
}

/* The control queue's index, or -1 if the driver did not take one. */
static int virtio_net_ctrl_queue(const struct virtio_net *net)
{
	if (!virtio_has_feature(&net->vdev, VIRTIO_NET_F_CTRL_VQ))
		return -1;
	/* It follows the pairs the driver can address (5.1.2): N with MQ, else 1. */
	return virtio_has_feature(&net->vdev, VIRTIO_NET_F_MQ) ? 2 * net->max_pairs : 2;
}

static uint8_t virtio_net_ctrl_mq(struct virtio_net *net, const struct virtq_chain *c)
{
	uint16_t pairs;
	int ret;

	if (!virtio_has_feature(&net->vdev, VIRTIO_NET_F_MQ) ||
	    c->out_len < sizeof(struct virtio_net_ctrl_hdr) + sizeof(pairs)) {
		log_guest("virtio-net: VQ_PAIRS_SET refused: %s",
			  c->out_len < sizeof(struct virtio_net_ctrl_hdr) + sizeof(pairs) ? "no pair count" :
			  "MQ not negotiated");
		return VIRTIO_NET_ERR;
	}
	virtq_chain_read(c, sizeof(struct virtio_net_ctrl_hdr), &pairs, sizeof(pairs));
	pairs = le16toh(pairs);
	if (pairs < 1 || pairs > net->max_pairs) {
		log_guest("virtio-net: VQ_PAIRS_SET %u refused: the device has 1 to %u pairs", pairs,
			  net->max_pairs);
		return VIRTIO_NET_ERR;
	}
	for (uint16_t q = 0; q < 2 * pairs; q++) {
		if (!net->vdev.queues[q].state.ready) {
			log_guest("virtio-net: VQ_PAIRS_SET %u refused: queue %u is not enabled", pairs, q);
			return VIRTIO_NET_ERR;
		}
	}
	ret = virtio_net_set_pairs(net, pairs);
	if (ret) {
		log_guest("virtio-net: VQ_PAIRS_SET %u failed: the backend's queues: %d", pairs, ret);
		return VIRTIO_NET_ERR;
	}
	return VIRTIO_NET_OK;
}

/* Drains the control queue: each request is acknowledged; 0 or -EINVAL (malformed chain). */
static int virtio_net_ctrl_drain(void *ctx, unsigned int *served)
{
	struct virtio_net *net = ctx;
	struct virtq *vq = &net->vdev.queues[virtio_net_ctrl_queue(net)];
	struct virtq_chain *c = &net->chain;
	struct virtio_net_ctrl_hdr hdr;
	uint8_t ack;
	int ret;

	while ((ret = virtq_pop(vq, c)) == 1) {
		/* Class and command readable, the ack byte writable (5.1.6.5): anything less is malformed. */
		if (c->out_len < sizeof(hdr) || c->in_len < 1)
			return -EINVAL;
		virtq_chain_read(c, 0, &hdr, sizeof(hdr));
		if (hdr.class == VIRTIO_NET_CTRL_MQ && hdr.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
			ack = virtio_net_ctrl_mq(net, c);
		} else {
			log_guest("virtio-net: control class %u command %u not supported", hdr.class, hdr.cmd);
			ack = VIRTIO_NET_ERR;
		}
		/* The ack goes into the first writable byte, as QEMU does. */
		virtq_chain_write(c, 0, &ack, sizeof(ack));
		virtq_push(vq, c->head, sizeof(ack));
		(*served)++;
	}
	return ret;
}

static void virtio_net_ctrl_run(struct virtio_net *net, uint16_t q)
{
	unsigned int served = 0;
	int ret;

	ret = virtq_serve(&net->vdev.queues[q], virtio_net_ctrl_drain, net, &served);
	if (served)
		net->vdev.transport->signal_used(&net->vdev, q);
	if (ret < 0)
		virtio_net_set_broken(net, "control queue", ret);
}

/* ---- device ops ---- */

static void virtio_net_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_net *net = virtio_net_of(vdev);
	uint16_t pairs = virtio_has_feature(vdev, VIRTIO_NET_F_MQ) ? net->max_pairs : 1;
	struct virtio_net_pair *pair;

	if (net->broken || !net->active)
		return;
	if (q == virtio_net_ctrl_queue(net)) {
		virtio_net_ctrl_run(net, q);
		return;
	}
	if (q >= 2 * pairs) {
		log_guest("virtio-net: notify for queue %u, which does not exist", q);
		return;
	}
	pair = &net->pairs[q / 2];
	if (q % 2 == VIRTIO_NET_TXQ) {
		virtio_net_tx_run(pair);
	} else if (pair->index < net->curr_pairs) {
		/* New receive buffers: deliver the waiting frame, watch the backend again. */
		virtio_net_rx_watch(pair, true);
		virtio_net_rx_run(pair);
	}
}

static void virtio_net_config_read(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_net *net = virtio_net_of(vdev);
	struct virtio_net_config cfg = {
		.status = htole16(VIRTIO_NET_S_LINK_UP),
		.max_virtqueue_pairs = htole16(net->max_pairs),
	};

	memcpy(cfg.mac, net->mac, sizeof(cfg.mac));
	memset(data, 0, len);
	if (offset < sizeof(cfg) && len <= sizeof(cfg) - offset)
		memcpy(data, (uint8_t *)&cfg + offset, len);
}

static uint32_t virtio_net_offloads(const struct virtio_dev *vdev)
{
	uint32_t offloads = 0;

	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
		offloads |= NET_OFFLOAD_CSUM;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4))
		offloads |= NET_OFFLOAD_TSO4;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
		offloads |= NET_OFFLOAD_TSO6;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN))
		offloads |= NET_OFFLOAD_ECN;
	return offloads;
}

static int virtio_net_activate(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);
	int ret;

	ret = net->be->ops->set_offload(net->be, virtio_net_offloads(vdev));
	if (ret)
		return ret;
	net->broken = false;
	net->active = true;
	for (uint16_t i = 0; i < net->curr_pairs; i++) {
		net->pairs[i].rx_len = 0;
		virtio_net_rx_watch(&net->pairs[i], true);
	}
	return 0;
}

static void virtio_net_reset(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);

	net->active = false;
	net->broken = false;
	for (uint16_t i = 0; i < net->max_pairs; i++) {
		/* The frame waiting for buffers had nowhere to go: a reset link loses it. */
		net->pairs[i].rx_len = 0;
		virtio_net_rx_watch(&net->pairs[i], false);
	}
	if (virtio_net_set_pairs(net, 1))
		log_warn("virtio-net: cannot go back to one queue pair");
	if (net->be->ops->set_offload(net->be, 0))
		log_warn("virtio-net: cannot turn the backend's offloads off");
}

/* Snapshot: the pairs in use (the queues are the transport's). */
struct virtio_net_snap {
	uint16_t max_pairs;
	uint16_t curr_pairs;
};

static void virtio_net_save(struct virtio_dev *vdev, struct snap_writer *w)
{
	struct virtio_net *net = virtio_net_of(vdev);
	struct virtio_net_snap st = { .max_pairs = htole16(net->max_pairs), .curr_pairs = htole16(net->curr_pairs) };

	snap_put(w, &st, sizeof(st));
}

static int virtio_net_load(struct virtio_dev *vdev, struct snap_reader *r)
{
	struct virtio_net *net = virtio_net_of(vdev);
	struct virtio_net_snap st;
	uint16_t curr;

	if (snap_get_exact(r, &st, sizeof(st)))
		return -EINVAL;
	curr = le16toh(st.curr_pairs);
	if (le16toh(st.max_pairs) != net->max_pairs || curr < 1 || curr > net->max_pairs) {
		log_error("virtio-net: the snapshot's NIC has %u of %u queue pairs in use; this one has %u",
			  curr, le16toh(st.max_pairs), net->max_pairs);
		return -EINVAL;
	}
	/* Before activation: this attaches the TAP queues, activate watches them. */
	return virtio_net_set_pairs(net, curr) ? -EINVAL : 0;
}

static void virtio_net_destroy(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);

	for (uint16_t i = 0; i < net->max_pairs; i++) {
		event_loop_del(net->loop, net->pairs[i].rx_epfd);
		close(net->pairs[i].rx_epfd);
	}
	net->be->ops->destroy(net->be);
	free(net);
}

static const struct virtio_dev_ops virtio_net_ops_template = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max_size = VIRTIO_NET_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.config_read = virtio_net_config_read,
	.activate = virtio_net_activate,
	.reset = virtio_net_reset,
	.queue_notify = virtio_net_queue_notify,
	.destroy = virtio_net_destroy,
	.save = virtio_net_save,
	.load = virtio_net_load,
};

#define BIT(n) (1ull << (n))

void virtio_net_set_mac(struct virtio_dev *vdev, const uint8_t mac[6])
{
	struct virtio_net *net = virtio_net_of(vdev);

	virtio_net_lock(net);
	memcpy(net->mac, mac, sizeof(net->mac));
	if (net->active)
		vdev->transport->signal_config(vdev);
	virtio_net_unlock(net);
}

/* Pair i's epoll set, watching nothing yet, in the event loop. 0 or -errno. */
static int virtio_net_pair_init(struct virtio_net *net, uint16_t i)
{
	struct virtio_net_pair *pair = &net->pairs[i];
	struct epoll_event ev = { .events = 0 };
	int ret;

	pair->net = net;
	pair->index = i;
	/* Paused until the driver is ready: the backend's frames wait in its queue. */
	pair->rx_paused = true;
	pair->rx_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pair->rx_epfd < 0)
		return -errno;
	if (epoll_ctl(pair->rx_epfd, EPOLL_CTL_ADD, net->be->rx_fd[i], &ev) < 0) {
		ret = -errno;
		goto out_close;
	}
	ret = event_loop_add(net->loop, pair->rx_epfd, EPOLLIN, virtio_net_rx_event, pair);
	if (ret)
		goto out_close;
	return 0;

out_close:
	close(pair->rx_epfd);
	return ret;
}

struct virtio_dev *virtio_net_create(struct net_backend *be, const uint8_t mac[6], struct event_loop *loop)
{
	uint16_t nr_pairs = be->nr_queues ? be->nr_queues : 1;
	struct virtio_net *net;
	uint16_t i;

	if (nr_pairs > NET_MAX_QUEUES || (nr_pairs > 1 && !be->ops->set_queue_enabled))
		goto out_be;
	net = calloc(1, sizeof(*net) + nr_pairs * sizeof(net->pairs[0]));
	if (!net)
		goto out_be;
	net->be = be;
	net->loop = loop;
	net->max_pairs = nr_pairs;
	memcpy(net->mac, mac, sizeof(net->mac));
	net->ops = virtio_net_ops_template;
	net->ops.features = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (be->offloads)
		net->ops.features |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
			BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
			BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_HOST_TSO4) |
			BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN);
	if (nr_pairs > 1) {
		/* rx0, tx0, ..., rxN-1, txN-1, ctrl. */
		net->ops.features |= BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ);
		net->ops.num_queues = (uint16_t)(2 * nr_pairs + 1);
	}
	net->vdev.ops = &net->ops;
	net->vdev.priv = net;

	for (i = 0; i < nr_pairs; i++)
		if (virtio_net_pair_init(net, i))
			goto out_pairs;
	/* Only pair 0 until the driver asks for more. */
	net->curr_pairs = nr_pairs;
	if (virtio_net_set_pairs(net, 1))
		goto out_pairs;
	return &net->vdev;

out_pairs:
	while (i--) {
		event_loop_del(loop, net->pairs[i].rx_epfd);
		close(net->pairs[i].rx_epfd);
	}
	free(net);
out_be:
	be->ops->destroy(be);
	return NULL;
}
