/* SPDX-License-Identifier: MIT */
/*
 * virtio-net: the transmit queue's chains go to the backend with their
 * vnet header (checked against the negotiated offloads); frames from the
 * backend go into receive buffers, spread over several with MRG_RXBUF.
 *
 * Receive flow control: a frame is read from the backend only when the
 * previous one was delivered. If the ring has no room, the frame stays in
 * rx_buf and the device stops watching the backend's fd until the driver
 * adds buffers and notifies the receive queue; nothing is dropped for lack
 * of buffers. Watching is switched in an epoll set of the device's own
 * (epoll_ctl is thread-safe), so activate/reset on a vCPU thread can do it.
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

#define ETH_HDR_LEN     14

struct virtio_net {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;  /* per device: the offered features depend on the backend */
	struct net_backend *be;
	struct event_loop *loop;
	int rx_epfd;                /* watches be->rx_fd, or nothing while paused */
	uint8_t mac[6];

	bool active;                /* DRIVER_OK and not reset since */
	bool broken;                /* NEEDS_RESET reported: ignore the queues until reset */
	bool rx_paused;
	uint32_t rx_len;            /* bytes of the frame waiting in rx_buf; 0: none */

	uint16_t used_heads[VIRTIO_NET_QUEUE_SIZE];
	uint32_t used_lens[VIRTIO_NET_QUEUE_SIZE];
	struct virtq_chain first;   /* receive: the chain that gets the header */
	struct virtq_chain chain;   /* scratch for virtq_pop */
	struct iovec tx_iov[VIRTQ_CHAIN_MAX + 1];
	uint8_t rx_buf[NET_VNET_HDR_LEN + NET_FRAME_MAX];
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

static void virtio_net_rx_watch(struct virtio_net *net, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	if (net->rx_paused == !on)
		return;
	if (epoll_ctl(net->rx_epfd, EPOLL_CTL_MOD, net->be->rx_fd, &ev) < 0)
		log_warn("virtio-net: cannot %s the backend: %d", on ? "watch" : "pause", -errno);
	net->rx_paused = !on;
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
 * Delivers the frame in rx_buf: 1 delivered, 0 dropped, -ENOBUFS if the ring
 * has too few buffers now (nothing consumed), -EINVAL for a malformed ring.
 */
static int virtio_net_rx_deliver(struct virtio_net *net, struct virtq *vq)
{
	bool mrg = virtio_has_feature(&net->vdev, VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_v1 *hdr = (struct virtio_net_hdr_v1 *)net->rx_buf;
	uint32_t off = 0, nbufs = 0;
	uint16_t num_buffers;
	int ret;

	if (!virtio_net_rx_fix_hdr(net, hdr))
		return 0;
	while (off < net->rx_len) {
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
		if (!mrg && c->in_len < net->rx_len) {
			virtq_unpop(vq, 1);
			log_guest("virtio-net: %u-byte frame dropped: receive buffer has %u bytes",
				  net->rx_len - NET_VNET_HDR_LEN, c->in_len);
			return 0;
		}
		n = net->rx_len - off < c->in_len ? net->rx_len - off : c->in_len;
		n = virtq_chain_write(c, 0, net->rx_buf + off, n);
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

static void virtio_net_rx_run(struct virtio_net *net)
{
	struct virtq *vq = &net->vdev.queues[VIRTIO_NET_RXQ];
	bool armed = false;
	int ret;

	if (!net->active || net->broken) {
		virtio_net_rx_watch(net, false);
		return;
	}
	/* While frames flow we take buffers as they come: no kicks needed. */
	virtq_enable_notify(vq, false);
	for (int budget = VIRTIO_NET_RX_BUDGET; budget > 0; budget--) {
		if (!net->rx_len) {
			ssize_t n = net->be->ops->recv(net->be, net->rx_buf, sizeof(net->rx_buf));

			if (n == -EAGAIN)
				break;
			if (n < 0) {
				log_guest("virtio-net: backend receive failed: %zd", n);
				break;
			}
			if (n < NET_VNET_HDR_LEN + ETH_HDR_LEN)
				continue;
			net->rx_len = (uint32_t)n;
		}
		ret = virtio_net_rx_deliver(net, vq);
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
			virtio_net_rx_watch(net, false);
			break;
		}
		if (ret < 0) {
			virtio_net_set_broken(net, "receive queue", ret);
			break;
		}
		net->rx_len = 0;
		if (ret == 1)
			net->vdev.transport->signal_used(&net->vdev, VIRTIO_NET_RXQ);
	}
}

void virtio_net_poll_rx(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);

	virtio_net_lock(net);
	virtio_net_rx_run(net);
	virtio_net_unlock(net);
}

bool virtio_net_rx_paused(struct virtio_dev *vdev)
{
	return virtio_net_of(vdev)->rx_paused;
}

/*
 * Our epoll set is readable while the backend fd is (level-triggered) and
 * watched. virtio_net_poll_rx() reads until the backend is empty or the
 * guest has no buffers left, in which case it stops watching: either way the
 * set stops being readable, so the event loop does not spin.
 */
static void virtio_net_rx_event(void *ctx, uint32_t events)
{
	struct virtio_net *net = ctx;

	virtio_net_poll_rx(&net->vdev);
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
static int virtio_net_tx_one(struct virtio_net *net, const struct virtq_chain *c)
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
	ret = net->be->ops->send(net->be, net->tx_iov, iovcnt);
	if (ret && ret != -EAGAIN)
		log_guest("virtio-net: backend send failed: %d", ret);
	return 0;
}

/* Sends every available transmit chain; 0 or -EINVAL (malformed). */
static int virtio_net_tx_drain(void *ctx, unsigned int *sent)
{
	struct virtio_net *net = ctx;
	struct virtq *vq = &net->vdev.queues[VIRTIO_NET_TXQ];
	int ret;

	while ((ret = virtq_pop(vq, &net->chain)) == 1) {
		ret = virtio_net_tx_one(net, &net->chain);
		if (ret < 0)
			return ret;
		virtq_push(vq, net->chain.head, 0);
		(*sent)++;
	}
	return ret;
}

static void virtio_net_tx_run(struct virtio_net *net)
{
	struct virtq *vq = &net->vdev.queues[VIRTIO_NET_TXQ];
	unsigned int sent = 0;
	int ret;

	ret = virtq_serve(vq, virtio_net_tx_drain, net, &sent);
	if (sent)
		net->vdev.transport->signal_used(&net->vdev, VIRTIO_NET_TXQ);
	if (ret < 0)
		virtio_net_set_broken(net, "transmit queue", ret);
}

/* ---- device ops ---- */

static void virtio_net_queue_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtio_net *net = virtio_net_of(vdev);

	if (net->broken || !net->active)
		return;
	switch (q) {
	case VIRTIO_NET_RXQ:
		/* New receive buffers: deliver the waiting frame, watch the backend again. */
		virtio_net_rx_watch(net, true);
		virtio_net_rx_run(net);
		break;
	case VIRTIO_NET_TXQ:
		virtio_net_tx_run(net);
		break;
	default:
		log_guest("virtio-net: notify for queue %u, which does not exist", q);
	}
}

static void virtio_net_config_read(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_net *net = virtio_net_of(vdev);
	struct virtio_net_config cfg = {
		.status = htole16(VIRTIO_NET_S_LINK_UP),
		.max_virtqueue_pairs = htole16(1),
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
	net->rx_len = 0;
	virtio_net_rx_watch(net, true);
	return 0;
}

static void virtio_net_reset(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);

	net->active = false;
	net->broken = false;
	/* The frame waiting for buffers had nowhere to go: a reset link loses it. */
	net->rx_len = 0;
	if (net->be->ops->set_offload(net->be, 0))
		log_warn("virtio-net: cannot turn the backend's offloads off");
	virtio_net_rx_watch(net, false);
}

static void virtio_net_destroy(struct virtio_dev *vdev)
{
	struct virtio_net *net = virtio_net_of(vdev);

	event_loop_del(net->loop, net->rx_epfd);
	close(net->rx_epfd);
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

struct virtio_dev *virtio_net_create(struct net_backend *be, const uint8_t mac[6], struct event_loop *loop)
{
	struct epoll_event ev = { .events = 0 };
	struct virtio_net *net;

	net = calloc(1, sizeof(*net));
	if (!net)
		goto out_be;
	net->be = be;
	net->loop = loop;
	memcpy(net->mac, mac, sizeof(net->mac));
	net->ops = virtio_net_ops_template;
	net->ops.features = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (be->offloads)
		net->ops.features |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
			BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
			BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_HOST_TSO4) |
			BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN);
	net->vdev.ops = &net->ops;
	net->vdev.priv = net;

	/* Paused until the driver is ready: the backend's frames wait in its queue. */
	net->rx_paused = true;
	net->rx_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (net->rx_epfd < 0)
		goto out_free;
	if (epoll_ctl(net->rx_epfd, EPOLL_CTL_ADD, be->rx_fd, &ev) < 0)
		goto out_close;
	if (event_loop_add(loop, net->rx_epfd, EPOLLIN, virtio_net_rx_event, net))
		goto out_close;
	return &net->vdev;

out_close:
	close(net->rx_epfd);
out_free:
	free(net);
out_be:
	be->ops->destroy(be);
	return NULL;
}
