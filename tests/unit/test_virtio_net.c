/* SPDX-License-Identifier: MIT */
/*
 * virtio-net driven through its ops, with a fake backend (frames in, frames
 * out), a fake transport that records its calls, and fake guest RAM holding
 * hand-built receive and transmit queues.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/virtio_net.h"
#include "fake_virtio.h"
#include "snapshot/snap_buf.h"
#include "test.h"

#define QSIZE       256

#define BIT(n)      (1ull << (n))

/* Queue q's rings: descriptors, avail and used (rx0 at 0x1000, tx0 at 0x6000, ...). */
static const struct fake_virtio_layout layout = {
	.ram_size = 0x100000, .nr_vqs = 2 * NET_MAX_QUEUES + 1, .qsize = QSIZE,
	.ring_base = 0x1000, .ring_stride = 0x5000, .avail_off = 0x2000, .used_off = 0x3000,
	.data_gpa = 0x40000,
};

/* ---- fake backend ---- */

#define FAKE_FRAMES 16

struct fake_backend {
	struct net_backend be;
	uint8_t in[FAKE_FRAMES][2048];  /* frames the "network" has for the guest */
	size_t in_len[FAKE_FRAMES];
	int in_head, in_tail;
	uint8_t out[FAKE_FRAMES][2048]; /* frames the guest sent (header first) */
	size_t out_len[FAKE_FRAMES];
	uint16_t out_queue[FAKE_FRAMES];    /* the backend queue each went out on */
	int nr_out;
	int nr_recv;
	uint32_t offloads;
	bool destroyed;
	/* Multiqueue: one waiting frame per queue above 0, and which queues are enabled. */
	uint8_t mq_in[NET_MAX_QUEUES][256];
	size_t mq_in_len[NET_MAX_QUEUES];
	bool enabled[NET_MAX_QUEUES];
	int nr_set_enabled;
};

static int fake_send(struct net_backend *be, uint16_t q, const struct iovec *iov, int iovcnt)
{
	struct fake_backend *fb = (struct fake_backend *)be;
	size_t len = 0;

	CHECK(fb->nr_out < FAKE_FRAMES);
	CHECK(q < fb->be.nr_queues);
	CHECK(fb->be.nr_queues == 1 || fb->enabled[q]);
	fb->out_queue[fb->nr_out] = q;
	for (int i = 0; i < iovcnt; i++) {
		CHECK(len + iov[i].iov_len <= sizeof(fb->out[0]));
		memcpy(fb->out[fb->nr_out] + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	fb->out_len[fb->nr_out++] = len;
	return 0;
}

static ssize_t fake_recv(struct net_backend *be, uint16_t q, void *buf, size_t len)
{
	struct fake_backend *fb = (struct fake_backend *)be;
	size_t n;

	CHECK(q < fb->be.nr_queues);
	fb->nr_recv++;
	if (q > 0) {
		n = fb->mq_in_len[q];
		if (!n)
			return -EAGAIN;
		CHECK(n <= len);
		memcpy(buf, fb->mq_in[q], n);
		fb->mq_in_len[q] = 0;
		return (ssize_t)n;
	}
	if (fb->in_head == fb->in_tail)
		return -EAGAIN;
	n = fb->in_len[fb->in_head % FAKE_FRAMES];
	CHECK(n <= len);
	memcpy(buf, fb->in[fb->in_head % FAKE_FRAMES], n);
	fb->in_head++;
	return (ssize_t)n;
}

static int fake_set_offload(struct net_backend *be, uint32_t offloads)
{
	((struct fake_backend *)be)->offloads = offloads;
	return 0;
}

static int fake_set_queue_enabled(struct net_backend *be, uint16_t q, bool enabled)
{
	struct fake_backend *fb = (struct fake_backend *)be;

	CHECK(q < fb->be.nr_queues);
	fb->enabled[q] = enabled;
	fb->nr_set_enabled++;
	return 0;
}

static void fake_destroy(struct net_backend *be)
{
	struct fake_backend *fb = (struct fake_backend *)be;

	for (uint16_t q = 0; q < fb->be.nr_queues; q++)
		close(fb->be.rx_fd[q]);
	fb->destroyed = true;
}

static const struct net_backend_ops fake_backend_ops = {
	.send = fake_send, .recv = fake_recv, .set_offload = fake_set_offload,
	.set_queue_enabled = fake_set_queue_enabled, .destroy = fake_destroy,
};

/* Queues a frame of len bytes (pattern seed) for the guest, behind a zero header. */
static void fake_inject(struct fake_backend *fb, size_t len, uint8_t seed)
{
	uint8_t *p = fb->in[fb->in_tail % FAKE_FRAMES];

	memset(p, 0, NET_VNET_HDR_LEN);
	for (size_t i = 0; i < len; i++)
		p[NET_VNET_HDR_LEN + i] = (uint8_t)(seed + i);
	fb->in_len[fb->in_tail % FAKE_FRAMES] = NET_VNET_HDR_LEN + len;
	fb->in_tail++;
}

/* ---- fixture: fake RAM, queues, transport ---- */

struct fixture {
	struct fake_virtio fv;
	struct event_loop loop;
	struct fake_backend *fb;
};

/* A device over a fake backend of nr_queues queues; every queue of the transport ready. */
static struct fixture *fx_create_mq(bool offloads, uint64_t features, uint16_t nr_queues)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_dev *vdev;

	fake_virtio_init(&f->fv, &layout, NULL);
	CHECK_EQ(event_loop_init(&f->loop), 0);
	f->fb = calloc(1, sizeof(*f->fb));
	f->fb->be.ops = &fake_backend_ops;
	f->fb->be.nr_queues = nr_queues;
	for (uint16_t q = 0; q < nr_queues; q++) {
		f->fb->be.rx_fd[q] = eventfd(0, EFD_NONBLOCK);
		f->fb->enabled[q] = true;
	}
	f->fb->be.offloads = offloads;
	vdev = virtio_net_create(&f->fb->be, mac, &f->loop);
	CHECK(vdev != NULL);
	fake_virtio_attach(&f->fv, vdev, (vdev->ops->features & features) | BIT(VIRTIO_F_VERSION_1));
	CHECK_EQ(vdev->ops->activate(vdev), 0);
	return f;
}

static struct fixture *fx_create(bool offloads, uint64_t features)
{
	return fx_create_mq(offloads, features, 1);
}

static void fx_destroy(struct fixture *f)
{
	f->fv.vdev->ops->destroy(f->fv.vdev);
	CHECK(f->fb->destroyed);
	event_loop_destroy(&f->loop);
	free(f->fb);
	fake_virtio_fini(&f->fv);
	free(f);
}

/* One receive buffer of len bytes; returns its gpa. */
static uint64_t fx_rx_buf(struct fixture *f, uint32_t len)
{
	uint64_t gpa;

	fake_avail(&f->fv, VIRTIO_NET_RXQ, fake_desc_new(&f->fv, VIRTIO_NET_RXQ, len, F_WRITE, &gpa));
	return gpa;
}

static bool frame_ok(const uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i))
			return false;
	return true;
}

/* ---- tests ---- */

static void test_net_features_config(void)
{
	struct fixture *f = fx_create(true, ~0ull);
	uint64_t feat = f->fv.vdev->ops->features;
	uint8_t cfg[10];

	CHECK_EQ(f->fv.vdev->ops->device_id, VIRTIO_ID_NET);
	CHECK_EQ(f->fv.vdev->ops->num_queues, 2);
	CHECK(feat & BIT(VIRTIO_NET_F_MAC));
	CHECK(feat & BIT(VIRTIO_NET_F_STATUS));
	CHECK(feat & BIT(VIRTIO_NET_F_MRG_RXBUF));
	CHECK(feat & BIT(VIRTIO_NET_F_CSUM));
	CHECK(feat & BIT(VIRTIO_NET_F_HOST_TSO4));
	CHECK(feat & BIT(VIRTIO_NET_F_GUEST_TSO6));
	CHECK_EQ(f->fv.vdev->ops->config_size, 10);
	f->fv.vdev->ops->config_read(f->fv.vdev, 0, cfg, sizeof(cfg));
	CHECK(!memcmp(cfg, "\x52\x54\x00\x12\x34\x56", 6));
	CHECK_EQ(get16(cfg + 6), VIRTIO_NET_S_LINK_UP);
	f->fv.vdev->ops->config_read(f->fv.vdev, 6, cfg, 2);
	CHECK_EQ(get16(cfg), VIRTIO_NET_S_LINK_UP);
	/* The guest's offloads reach the backend. */
	CHECK_EQ(f->fb->offloads, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6 | NET_OFFLOAD_ECN);
	f->fv.vdev->ops->reset(f->fv.vdev);
	CHECK_EQ(f->fb->offloads, 0);
	fx_destroy(f);

	/* A backend without vnet headers (libslirp): no checksum or TSO features. */
	f = fx_create(false, ~0ull);
	feat = f->fv.vdev->ops->features;
	CHECK(feat & BIT(VIRTIO_NET_F_MRG_RXBUF));
	CHECK(!(feat & (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
			BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6))));
	fx_destroy(f);
}

/* A transmit chain: header (flags, gso) in one buffer, the frame split over two. */
static uint16_t fx_tx(struct fixture *f, uint8_t flags, uint8_t gso, uint32_t len, uint8_t seed)
{
	uint64_t hgpa, agpa, bgpa;
	uint32_t a = len / 2;
	uint16_t head = fake_desc_new(&f->fv, VIRTIO_NET_TXQ, NET_VNET_HDR_LEN, F_NEXT, &hgpa);

	fake_desc_new(&f->fv, VIRTIO_NET_TXQ, a, F_NEXT, &agpa);
	fake_desc_new(&f->fv, VIRTIO_NET_TXQ, len - a, 0, &bgpa);
	memset(f->fv.ram + hgpa, 0, NET_VNET_HDR_LEN);
	f->fv.ram[hgpa] = flags;
	f->fv.ram[hgpa + 1] = gso;
	put16(f->fv.ram + hgpa + 10, 0x7777);     /* num_buffers: the device ignores it on transmit */
	for (uint32_t i = 0; i < len; i++)
		f->fv.ram[(i < a ? agpa + i : bgpa + i - a)] = (uint8_t)(seed + i);
	fake_avail(&f->fv, VIRTIO_NET_TXQ, head);
	return head;
}

static void test_net_tx(void)
{
	struct fixture *f = fx_create(true, ~0ull);
	struct fake_backend *fb = f->fb;

	fx_tx(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 7);
	fx_tx(f, 0, 0, 60, 9);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(fb->nr_out, 2);
	CHECK_EQ(fb->out_len[0], NET_VNET_HDR_LEN + 1000);
	CHECK_EQ(fb->out[0][0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(fb->out[0][1], VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(get16(fb->out[0] + 10), 0);
	CHECK(frame_ok(fb->out[0] + NET_VNET_HDR_LEN, 1000, 7));
	CHECK_EQ(fb->out_len[1], NET_VNET_HDR_LEN + 60);
	CHECK(frame_ok(fb->out[1] + NET_VNET_HDR_LEN, 60, 9));
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_TXQ), 2);
	CHECK_EQ(fake_used_len(&f->fv, VIRTIO_NET_TXQ, 0), 0);
	CHECK_EQ(f->fv.nr_signal_used[VIRTIO_NET_TXQ], 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_tx_offload_not_negotiated(void)
{
	/* The driver took no offloads: a frame asking for TSO is dropped, the chain returned. */
	struct fixture *f = fx_create(true, BIT(VIRTIO_NET_F_MAC));

	fx_tx(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 200, 1);
	fx_tx(f, 0, 0, 100, 2);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fb->nr_out, 1);
	CHECK(frame_ok(f->fb->out[0] + NET_VNET_HDR_LEN, 100, 2));
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_TXQ), 2);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_tx_malformed(void)
{
	struct fixture *f = fx_create(true, ~0ull);
	uint64_t gpa;
	uint16_t head;

	/* Shorter than the header. */
	fake_avail(&f->fv, VIRTIO_NET_TXQ, fake_desc_new(&f->fv, VIRTIO_NET_TXQ, 6, 0, &gpa));
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(f->fb->nr_out, 0);
	/* Broken until reset: further notifies do nothing. */
	fx_tx(f, 0, 0, 100, 0);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fb->nr_out, 0);
	fx_destroy(f);

	/* A device-writable buffer in a transmit chain. */
	f = fx_create(true, ~0ull);
	head = fake_desc_new(&f->fv, VIRTIO_NET_TXQ, 64, F_NEXT, &gpa);
	fake_desc_new(&f->fv, VIRTIO_NET_TXQ, 64, F_WRITE, &gpa);
	fake_avail(&f->fv, VIRTIO_NET_TXQ, head);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(f->fb->nr_out, 0);
	/* After a reset and activate, it works again. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fake_virtio_queue_reset(&f->fv, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	fx_tx(f, 0, 0, 80, 3);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fb->nr_out, 1);
	fx_destroy(f);
}

static void test_net_rx_single(void)
{
	/* No MRG_RXBUF: one buffer per frame, num_buffers 1. */
	struct fixture *f = fx_create(false, BIT(VIRTIO_NET_F_MAC));
	uint64_t gpa = fx_rx_buf(f, 1526), small;

	fake_inject(f->fb, 100, 5);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 1);
	CHECK_EQ(fake_used_len(&f->fv, VIRTIO_NET_RXQ, 0), NET_VNET_HDR_LEN + 100);
	CHECK_EQ(get16(f->fv.ram + gpa + 10), 1);
	CHECK(frame_ok(f->fv.ram + gpa + NET_VNET_HDR_LEN, 100, 5));
	CHECK_EQ(f->fv.nr_signal_used[VIRTIO_NET_RXQ], 1);

	/* A frame larger than the buffer is dropped; the buffer stays for the next frame. */
	small = fx_rx_buf(f, 64);
	fake_inject(f->fb, 200, 1);
	fake_inject(f->fb, 40, 2);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 2);
	CHECK_EQ(fake_used_len(&f->fv, VIRTIO_NET_RXQ, 1), NET_VNET_HDR_LEN + 40);
	CHECK(frame_ok(f->fv.ram + small + NET_VNET_HDR_LEN, 40, 2));
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_rx_mergeable(void)
{
	struct fixture *f = fx_create(false, ~0ull);
	uint64_t b[3];
	uint8_t frame[300];

	for (int i = 0; i < 3; i++)
		b[i] = fx_rx_buf(f, 100);
	fake_inject(f->fb, 250, 11);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 3);
	CHECK_EQ(fake_used_len(&f->fv, VIRTIO_NET_RXQ, 0), 100);
	CHECK_EQ(fake_used_len(&f->fv, VIRTIO_NET_RXQ, 1), 100);
	CHECK_EQ(fake_used_len(&f->fv, VIRTIO_NET_RXQ, 2), 62);
	CHECK_EQ(get16(f->fv.ram + b[0] + 10), 3);
	memcpy(frame, f->fv.ram + b[0] + NET_VNET_HDR_LEN, 88);
	memcpy(frame + 88, f->fv.ram + b[1], 100);
	memcpy(frame + 188, f->fv.ram + b[2], 62);
	CHECK(frame_ok(frame, 250, 11));
	CHECK_EQ(f->fv.nr_signal_used[VIRTIO_NET_RXQ], 1);
	fx_destroy(f);
}

static void test_net_rx_waits_for_buffers(void)
{
	struct fixture *f = fx_create(false, ~0ull);
	uint64_t gpa;

	/* Two frames arrive while the ring is empty: nothing is lost. */
	fake_inject(f->fb, 60, 1);
	fake_inject(f->fb, 70, 2);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 0);
	CHECK(virtio_net_rx_paused(f->fv.vdev, 0));
	/* Only the first frame was taken from the backend; the second still waits there. */
	CHECK_EQ(f->fb->in_head, 1);

	gpa = fx_rx_buf(f, 1526);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_RXQ);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 1);
	CHECK(frame_ok(f->fv.ram + gpa + NET_VNET_HDR_LEN, 60, 1));
	CHECK(virtio_net_rx_paused(f->fv.vdev, 0));
	CHECK_EQ(f->fb->in_head, 2);

	gpa = fx_rx_buf(f, 1526);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_RXQ);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 2);
	CHECK(frame_ok(f->fv.ram + gpa + NET_VNET_HDR_LEN, 70, 2));
	CHECK(!virtio_net_rx_paused(f->fv.vdev, 0));

	/* Merged: too few buffers for the frame -> they are given back, the frame waits. */
	gpa = fx_rx_buf(f, 100);
	fake_inject(f->fb, 250, 3);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 2);
	CHECK_EQ(f->fv.vq[0].state.last_avail_idx, 2);
	CHECK(virtio_net_rx_paused(f->fv.vdev, 0));
	fx_rx_buf(f, 100);
	fx_rx_buf(f, 100);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_NET_RXQ);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 5);
	CHECK_EQ(get16(f->fv.ram + gpa + 10), 3);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_rx_malformed(void)
{
	struct fixture *f = fx_create(false, ~0ull);
	uint64_t gpa;

	/* A device-readable receive buffer. */
	fake_avail(&f->fv, VIRTIO_NET_RXQ, fake_desc_new(&f->fv, VIRTIO_NET_RXQ, 1526, 0, &gpa));
	fake_inject(f->fb, 60, 1);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 0);
	fx_destroy(f);

	/* A first buffer too small for the header. */
	f = fx_create(false, ~0ull);
	fx_rx_buf(f, 8);
	fake_inject(f->fb, 60, 1);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);
}

static void test_net_rx_inactive(void)
{
	/* After a reset the device takes nothing from the backend until activated again. */
	struct fixture *f = fx_create(false, ~0ull);

	f->fv.vdev->ops->reset(f->fv.vdev);
	fx_rx_buf(f, 1526);
	fake_inject(f->fb, 60, 1);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(f->fb->in_head, 0);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 0);
	CHECK(virtio_net_rx_paused(f->fv.vdev, 0));
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	CHECK(!virtio_net_rx_paused(f->fv.vdev, 0));
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 1);
	fx_destroy(f);
}

/* ---- multiqueue ---- */

#define MQ_PAIRS    4
#define CTRLQ       (2 * MQ_PAIRS)
#define MQ_FEATURES (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MAC))

static void check_enabled(const struct fake_backend *fb, uint16_t pairs)
{
	for (uint16_t q = 0; q < fb->be.nr_queues; q++)
		CHECK_EQ(fb->enabled[q], q < pairs);
}

/*
 * A control request on queue q: header and data in two readable buffers
 * (data_len 0: none), then ack_len writable bytes preset to 0xee. Returns
 * the ack byte's gpa.
 */
static uint64_t fx_ctrl_on(struct fixture *f, uint16_t q, uint8_t class, uint8_t cmd, const void *data,
			   uint32_t data_len, uint32_t ack_len)
{
	uint64_t hgpa, dgpa, agpa = 0;
	uint16_t head = fake_desc_new(&f->fv, q, 2, F_NEXT, &hgpa);

	f->fv.ram[hgpa] = class;
	f->fv.ram[hgpa + 1] = cmd;
	if (data_len) {
		fake_desc_new(&f->fv, q, data_len, ack_len ? F_NEXT : 0, &dgpa);
		memcpy(f->fv.ram + dgpa, data, data_len);
	}
	if (ack_len) {
		fake_desc_new(&f->fv, q, ack_len, F_WRITE, &agpa);
		memset(f->fv.ram + agpa, 0xee, ack_len);
	} else {
		/* No writable byte: clear the last descriptor's NEXT flag. */
		put16(f->fv.ram + fake_desc_gpa(&f->fv, q) + 16ull * ((f->fv.next_desc[q] - 1) % QSIZE) + 12, 0);
	}
	fake_avail(&f->fv, q, head);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, q);
	return agpa;
}

/* VQ_PAIRS_SET n: the ack byte the device wrote. */
static uint8_t fx_set_pairs(struct fixture *f, uint16_t n)
{
	uint8_t le[2] = { (uint8_t)n, (uint8_t)(n >> 8) };
	uint64_t ack = fx_ctrl_on(f, CTRLQ, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, le, 2, 1);

	return f->fv.ram[ack];
}

static void test_net_mq_features_config(void)
{
	struct fixture *f = fx_create_mq(true, ~0ull, MQ_PAIRS);
	uint8_t cfg[10];

	CHECK_EQ(f->fv.vdev->ops->num_queues, 2 * MQ_PAIRS + 1);
	CHECK(f->fv.vdev->ops->features & BIT(VIRTIO_NET_F_MQ));
	CHECK(f->fv.vdev->ops->features & BIT(VIRTIO_NET_F_CTRL_VQ));
	f->fv.vdev->ops->config_read(f->fv.vdev, 0, cfg, sizeof(cfg));
	CHECK_EQ(get16(cfg + 8), MQ_PAIRS);
	/* Only pair 0 in use, the other backend queues detached, until the driver says more. */
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 1);
	check_enabled(f->fb, 1);
	CHECK(!virtio_net_rx_paused(f->fv.vdev, 0));
	CHECK(virtio_net_rx_paused(f->fv.vdev, 1));
	fx_destroy(f);

	/* One queue: no MQ, no control queue, max_virtqueue_pairs 1, as before. */
	f = fx_create(true, ~0ull);
	CHECK_EQ(f->fv.vdev->ops->num_queues, 2);
	CHECK(!(f->fv.vdev->ops->features & (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ))));
	f->fv.vdev->ops->config_read(f->fv.vdev, 0, cfg, sizeof(cfg));
	CHECK_EQ(get16(cfg + 8), 1);
	fx_destroy(f);
}

static void test_net_mq_pairs_set(void)
{
	struct fixture *f = fx_create_mq(false, MQ_FEATURES, MQ_PAIRS);
	uint8_t le[2] = { 2, 0 };
	uint64_t ack;

	CHECK_EQ(fx_set_pairs(f, 3), VIRTIO_NET_OK);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 3);
	check_enabled(f->fb, 3);
	CHECK(!virtio_net_rx_paused(f->fv.vdev, 2));
	CHECK(virtio_net_rx_paused(f->fv.vdev, 3));
	CHECK_EQ(fake_used_idx(&f->fv, CTRLQ), 1);
	CHECK_EQ(fake_used_len(&f->fv, CTRLQ, 0), 1);
	CHECK_EQ(f->fv.nr_signal_used[CTRLQ], 1);

	/* Out of range, unknown commands, no count: VIRTIO_NET_ERR, nothing changes. */
	CHECK_EQ(fx_set_pairs(f, 0), VIRTIO_NET_ERR);
	CHECK_EQ(fx_set_pairs(f, MQ_PAIRS + 1), VIRTIO_NET_ERR);
	CHECK_EQ(fx_set_pairs(f, 0x8000), VIRTIO_NET_ERR);
	ack = fx_ctrl_on(f, CTRLQ, VIRTIO_NET_CTRL_MQ, 1 /* RSS_CONFIG */, le, 2, 1);
	CHECK_EQ(f->fv.ram[ack], VIRTIO_NET_ERR);
	ack = fx_ctrl_on(f, CTRLQ, 0 /* RX */, 0, le, 1, 1);
	CHECK_EQ(f->fv.ram[ack], VIRTIO_NET_ERR);
	ack = fx_ctrl_on(f, CTRLQ, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, le, 1, 1);
	CHECK_EQ(f->fv.ram[ack], VIRTIO_NET_ERR);
	/* A longer ack area: the ack is its first byte, the rest untouched. */
	ack = fx_ctrl_on(f, CTRLQ, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, le, 2, 4);
	CHECK_EQ(f->fv.ram[ack], VIRTIO_NET_OK);
	CHECK_EQ(f->fv.ram[ack + 1], 0xee);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 2);
	check_enabled(f->fb, 2);
	CHECK_EQ(fake_used_idx(&f->fv, CTRLQ), 8);
	CHECK_EQ(f->fv.nr_needs_reset, 0);

	/* A pair whose queues the driver did not enable cannot be used. */
	f->fv.vq[2 * 3 + 1].state.ready = 0;
	CHECK_EQ(fx_set_pairs(f, 4), VIRTIO_NET_ERR);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 2);
	f->fv.vq[2 * 3 + 1].state.ready = 1;
	CHECK_EQ(fx_set_pairs(f, 4), VIRTIO_NET_OK);
	check_enabled(f->fb, 4);

	/* Reset: back to one pair. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 1);
	check_enabled(f->fb, 1);
	fx_destroy(f);

	/* MQ not negotiated: the control queue is queue 2 and VQ_PAIRS_SET is refused. */
	f = fx_create_mq(false, BIT(VIRTIO_NET_F_CTRL_VQ), MQ_PAIRS);
	le[0] = 2;
	ack = fx_ctrl_on(f, 2, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, le, 2, 1);
	CHECK_EQ(f->fv.ram[ack], VIRTIO_NET_ERR);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 1);
	fx_destroy(f);
}

static void test_net_mq_traffic(void)
{
	struct fixture *f = fx_create_mq(false, MQ_FEATURES, MQ_PAIRS);
	struct fake_backend *fb = f->fb;
	uint64_t gpa;

	CHECK_EQ(fx_set_pairs(f, 3), VIRTIO_NET_OK);
	/* Transmit queue 2i + 1 goes out on backend queue i. */
	for (uint16_t i = 0; i < 3; i++) {
		uint64_t hgpa;
		uint16_t head = fake_desc_new(&f->fv, 2 * i + 1, NET_VNET_HDR_LEN + 60, 0, &hgpa);

		memset(f->fv.ram + hgpa, 0, NET_VNET_HDR_LEN);
		memset(f->fv.ram + hgpa + NET_VNET_HDR_LEN, 0x40 + i, 60);
		fake_avail(&f->fv, 2 * i + 1, head);
		f->fv.vdev->ops->queue_notify(f->fv.vdev, 2 * i + 1);
		CHECK_EQ(fb->nr_out, i + 1);
		CHECK_EQ(fb->out_queue[i], i);
		CHECK_EQ(fb->out[i][NET_VNET_HDR_LEN], 0x40 + i);
		CHECK_EQ(fake_used_idx(&f->fv, 2 * i + 1), 1);
		CHECK_EQ(f->fv.nr_signal_used[2 * i + 1], 1);
	}
	/* A pair not in use: its chains are returned, nothing reaches the backend. */
	fx_tx(f, 0, 0, 60, 1);      /* queue 1: fills descriptors on tx0 */
	{
		uint64_t hgpa;
		uint16_t head = fake_desc_new(&f->fv, 7, NET_VNET_HDR_LEN + 60, 0, &hgpa);

		memset(f->fv.ram + hgpa, 0, NET_VNET_HDR_LEN);
		fake_avail(&f->fv, 7, head);
		f->fv.vdev->ops->queue_notify(f->fv.vdev, 7);
		CHECK_EQ(fake_used_idx(&f->fv, 7), 1);
		CHECK_EQ(fb->nr_out, 3);
	}
	/* Receive queue 2i reads backend queue i. */
	gpa = 0;
	fake_avail(&f->fv, 2, fake_desc_new(&f->fv, 2, 1526, F_WRITE, &gpa));
	memset(fb->mq_in[1], 0, NET_VNET_HDR_LEN);
	for (int i = 0; i < 60; i++)
		fb->mq_in[1][NET_VNET_HDR_LEN + i] = (uint8_t)(9 + i);
	fb->mq_in_len[1] = NET_VNET_HDR_LEN + 60;
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 1);
	CHECK_EQ(fake_used_len(&f->fv, 2, 0), NET_VNET_HDR_LEN + 60);
	CHECK(frame_ok(f->fv.ram + gpa + NET_VNET_HDR_LEN, 60, 9));
	CHECK_EQ(f->fv.nr_signal_used[2], 1);
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_NET_RXQ), 0);
	/* Pair 1 without buffers pauses alone; the others keep reading. */
	fb->mq_in_len[1] = NET_VNET_HDR_LEN + 60;
	virtio_net_poll_rx(f->fv.vdev);
	CHECK(virtio_net_rx_paused(f->fv.vdev, 1));
	CHECK(!virtio_net_rx_paused(f->fv.vdev, 0));
	CHECK(!virtio_net_rx_paused(f->fv.vdev, 2));
	/* Going down to one pair drops the frame pair 1 held; it is never delivered. */
	CHECK_EQ(fx_set_pairs(f, 1), VIRTIO_NET_OK);
	fake_avail(&f->fv, 2, fake_desc_new(&f->fv, 2, 1526, F_WRITE, &gpa));
	f->fv.vdev->ops->queue_notify(f->fv.vdev, 2);
	virtio_net_poll_rx(f->fv.vdev);
	CHECK_EQ(fake_used_idx(&f->fv, 2), 1);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_mq_ctrl_malformed(void)
{
	struct fixture *f = fx_create_mq(false, MQ_FEATURES, MQ_PAIRS);
	uint8_t le[2] = { 2, 0 };
	uint64_t gpa;

	/* No writable ack byte. */
	fx_ctrl_on(f, CTRLQ, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, le, 2, 0);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 1);
	CHECK_EQ(fake_used_idx(&f->fv, CTRLQ), 0);
	/* Broken until reset: a good request now is not served. */
	CHECK_EQ(fx_set_pairs(f, 2), 0xee);
	fx_destroy(f);

	/* A one-byte header. */
	f = fx_create_mq(false, MQ_FEATURES, MQ_PAIRS);
	{
		uint16_t head = fake_desc_new(&f->fv, CTRLQ, 1, F_NEXT, &gpa);

		f->fv.ram[gpa] = VIRTIO_NET_CTRL_MQ;
		fake_desc_new(&f->fv, CTRLQ, 1, F_WRITE, &gpa);
		fake_avail(&f->fv, CTRLQ, head);
		f->fv.vdev->ops->queue_notify(f->fv.vdev, CTRLQ);
	}
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	/* After a reset it works again. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	fake_virtio_queue_reset(&f->fv, CTRLQ);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	CHECK_EQ(fx_set_pairs(f, 2), VIRTIO_NET_OK);
	CHECK_EQ(virtio_net_pairs_in_use(f->fv.vdev), 2);
	fx_destroy(f);
}

static void test_net_mq_snapshot(void)
{
	struct fixture *f = fx_create_mq(false, MQ_FEATURES, MQ_PAIRS), *g;
	struct snap_writer w = { 0 }, w2 = { 0 };
	struct snap_reader r;
	uint8_t bad[4];

	CHECK_EQ(fx_set_pairs(f, 3), VIRTIO_NET_OK);
	f->fv.vdev->ops->save(f->fv.vdev, &w);
	CHECK_EQ(w.error, 0);
	CHECK_EQ(w.len, 4);

	/* A fresh device takes the pairs in use (the TAP queues attached) before it is activated. */
	g = fx_create_mq(false, MQ_FEATURES, MQ_PAIRS);
	g->fv.vdev->ops->reset(g->fv.vdev);
	r = snap_reader_init(w.buf, w.len);
	CHECK_EQ(g->fv.vdev->ops->load(g->fv.vdev, &r), 0);
	CHECK_EQ(virtio_net_pairs_in_use(g->fv.vdev), 3);
	check_enabled(g->fb, 3);
	CHECK_EQ(g->fv.vdev->ops->activate(g->fv.vdev), 0);
	CHECK(!virtio_net_rx_paused(g->fv.vdev, 2));
	g->fv.vdev->ops->save(g->fv.vdev, &w2);
	CHECK(w2.len == w.len && !memcmp(w.buf, w2.buf, w.len));
	fx_destroy(g);

	/* Another NIC shape, a count out of range, a short record: refused. */
	g = fx_create_mq(false, MQ_FEATURES, 2);
	r = snap_reader_init(w.buf, w.len);
	CHECK(g->fv.vdev->ops->load(g->fv.vdev, &r) != 0);
	CHECK_EQ(virtio_net_pairs_in_use(g->fv.vdev), 1);
	memcpy(bad, w.buf, 4);
	bad[2] = 0;
	r = snap_reader_init(bad, 4);
	CHECK(f->fv.vdev->ops->load(f->fv.vdev, &r) != 0);
	r = snap_reader_init(w.buf, 2);
	CHECK(g->fv.vdev->ops->load(g->fv.vdev, &r) != 0);
	fx_destroy(g);
	snap_writer_free(&w);
	snap_writer_free(&w2);
	fx_destroy(f);
}

TEST_MAIN(test_net_features_config, test_net_tx, test_net_tx_offload_not_negotiated, test_net_tx_malformed,
	  test_net_rx_single, test_net_rx_mergeable, test_net_rx_waits_for_buffers, test_net_rx_malformed,
	  test_net_rx_inactive, test_net_mq_features_config, test_net_mq_pairs_set, test_net_mq_traffic,
	  test_net_mq_ctrl_malformed, test_net_mq_snapshot)
