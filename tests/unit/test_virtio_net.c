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
#include "le_bytes.h"
#include "test.h"

#define RAM_SIZE    0x100000ull
#define QSIZE       256
#define DATA_GPA    0x20000ull

#define F_NEXT      1
#define F_WRITE     2

#define BIT(n)      (1ull << (n))

static const uint64_t ring_gpa[2][3] = {
	{ 0x1000, 0x3000, 0x4000 },     /* rx: desc, avail, used */
	{ 0x6000, 0x8000, 0x9000 },     /* tx */
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
	int nr_out;
	int nr_recv;
	uint32_t offloads;
	bool destroyed;
};

static int fake_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct fake_backend *fb = (struct fake_backend *)be;
	size_t len = 0;

	CHECK(fb->nr_out < FAKE_FRAMES);
	for (int i = 0; i < iovcnt; i++) {
		CHECK(len + iov[i].iov_len <= sizeof(fb->out[0]));
		memcpy(fb->out[fb->nr_out] + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	fb->out_len[fb->nr_out++] = len;
	return 0;
}

static ssize_t fake_recv(struct net_backend *be, void *buf, size_t len)
{
	struct fake_backend *fb = (struct fake_backend *)be;
	size_t n;

	fb->nr_recv++;
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

static void fake_destroy(struct net_backend *be)
{
	struct fake_backend *fb = (struct fake_backend *)be;

	close(fb->be.rx_fd);
	fb->destroyed = true;
}

static const struct net_backend_ops fake_backend_ops = {
	.send = fake_send, .recv = fake_recv, .set_offload = fake_set_offload, .destroy = fake_destroy,
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
	struct guest_mem mem;
	uint8_t *ram;
	struct virtq vq[2];
	struct event_loop loop;
	struct fake_backend *fb;
	struct virtio_dev *vdev;
	uint16_t avail_idx[2];
	uint16_t next_desc[2];
	uint64_t next_data;
	int nr_signal_used[2];
	int nr_needs_reset;
};

static struct fixture *fx_of(struct virtio_dev *vdev)
{
	return vdev->transport_priv;
}

static void fake_signal_used(struct virtio_dev *vdev, uint16_t q)
{
	CHECK(q < 2);
	fx_of(vdev)->nr_signal_used[q & 1]++;
}

static void fake_signal_config(struct virtio_dev *vdev)
{
}

static void fake_needs_reset(struct virtio_dev *vdev)
{
	fx_of(vdev)->nr_needs_reset++;
}

static void fake_lock(struct virtio_dev *vdev)
{
}

static const struct virtio_transport_ops fake_transport = {
	.signal_used = fake_signal_used,
	.signal_config = fake_signal_config,
	.needs_reset = fake_needs_reset,
	.lock = fake_lock,
	.unlock = fake_lock,
};


static struct fixture *fx_create(bool offloads, uint64_t features)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct fixture *f = calloc(1, sizeof(*f));

	f->ram = aligned_alloc(4096, RAM_SIZE);
	memset(f->ram, 0, RAM_SIZE);
	CHECK_EQ(guest_mem_add(&f->mem, 0, RAM_SIZE, f->ram), 0);
	for (int q = 0; q < 2; q++) {
		f->vq[q].mem = &f->mem;
		f->vq[q].state.size = QSIZE;
		f->vq[q].state.ready = 1;
		f->vq[q].state.desc_gpa = ring_gpa[q][0];
		f->vq[q].state.avail_gpa = ring_gpa[q][1];
		f->vq[q].state.used_gpa = ring_gpa[q][2];
		CHECK_EQ(virtq_validate(&f->vq[q]), 0);
	}
	f->next_data = DATA_GPA;
	CHECK_EQ(event_loop_init(&f->loop), 0);
	f->fb = calloc(1, sizeof(*f->fb));
	f->fb->be.ops = &fake_backend_ops;
	f->fb->be.rx_fd = eventfd(0, EFD_NONBLOCK);
	f->fb->be.offloads = offloads;
	f->vdev = virtio_net_create(&f->fb->be, mac, &f->loop);
	CHECK(f->vdev != NULL);
	f->vdev->queues = f->vq;
	f->vdev->transport = &fake_transport;
	f->vdev->transport_priv = f;
	f->vdev->driver_features = (f->vdev->ops->features & features) | BIT(VIRTIO_F_VERSION_1);
	CHECK_EQ(f->vdev->ops->activate(f->vdev), 0);
	return f;
}

static void fx_destroy(struct fixture *f)
{
	f->vdev->ops->destroy(f->vdev);
	CHECK(f->fb->destroyed);
	event_loop_destroy(&f->loop);
	free(f->fb);
	free(f->ram);
	free(f);
}

/* Adds a descriptor for a fresh data buffer of len bytes; returns its index. */
static uint16_t fx_desc(struct fixture *f, int q, uint32_t len, uint16_t flags, uint64_t *gpa)
{
	uint16_t idx = f->next_desc[q]++ % QSIZE;
	uint8_t *p = f->ram + ring_gpa[q][0] + 16ull * idx;

	*gpa = f->next_data;
	f->next_data += (len + 15) & ~15u;
	CHECK(f->next_data < RAM_SIZE);
	put64(p, *gpa);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, (uint16_t)((idx + 1) % QSIZE));
	return idx;
}

static void fx_avail(struct fixture *f, int q, uint16_t head)
{
	put16(f->ram + ring_gpa[q][1] + 4 + 2 * (f->avail_idx[q] % QSIZE), head);
	f->avail_idx[q]++;
	put16(f->ram + ring_gpa[q][1] + 2, f->avail_idx[q]);
}

/* One receive buffer of len bytes; returns its gpa. */
static uint64_t fx_rx_buf(struct fixture *f, uint32_t len)
{
	uint64_t gpa;

	fx_avail(f, VIRTIO_NET_RXQ, fx_desc(f, VIRTIO_NET_RXQ, len, F_WRITE, &gpa));
	return gpa;
}

static uint16_t used_idx(struct fixture *f, int q)
{
	return get16(f->ram + ring_gpa[q][2] + 2);
}

static uint32_t used_len(struct fixture *f, int q, uint16_t i)
{
	return get32(f->ram + ring_gpa[q][2] + 8 + 8 * (i % QSIZE));
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
	uint64_t feat = f->vdev->ops->features;
	uint8_t cfg[10];

	CHECK_EQ(f->vdev->ops->device_id, VIRTIO_ID_NET);
	CHECK_EQ(f->vdev->ops->num_queues, 2);
	CHECK(feat & BIT(VIRTIO_NET_F_MAC));
	CHECK(feat & BIT(VIRTIO_NET_F_STATUS));
	CHECK(feat & BIT(VIRTIO_NET_F_MRG_RXBUF));
	CHECK(feat & BIT(VIRTIO_NET_F_CSUM));
	CHECK(feat & BIT(VIRTIO_NET_F_HOST_TSO4));
	CHECK(feat & BIT(VIRTIO_NET_F_GUEST_TSO6));
	CHECK_EQ(f->vdev->ops->config_size, 10);
	f->vdev->ops->config_read(f->vdev, 0, cfg, sizeof(cfg));
	CHECK(!memcmp(cfg, "\x52\x54\x00\x12\x34\x56", 6));
	CHECK_EQ(get16(cfg + 6), VIRTIO_NET_S_LINK_UP);
	f->vdev->ops->config_read(f->vdev, 6, cfg, 2);
	CHECK_EQ(get16(cfg), VIRTIO_NET_S_LINK_UP);
	/* The guest's offloads reach the backend. */
	CHECK_EQ(f->fb->offloads, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6 | NET_OFFLOAD_ECN);
	f->vdev->ops->reset(f->vdev);
	CHECK_EQ(f->fb->offloads, 0);
	fx_destroy(f);

	/* A backend without vnet headers (libslirp): no checksum or TSO features. */
	f = fx_create(false, ~0ull);
	feat = f->vdev->ops->features;
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
	uint16_t head = fx_desc(f, VIRTIO_NET_TXQ, NET_VNET_HDR_LEN, F_NEXT, &hgpa);

	fx_desc(f, VIRTIO_NET_TXQ, a, F_NEXT, &agpa);
	fx_desc(f, VIRTIO_NET_TXQ, len - a, 0, &bgpa);
	memset(f->ram + hgpa, 0, NET_VNET_HDR_LEN);
	f->ram[hgpa] = flags;
	f->ram[hgpa + 1] = gso;
	put16(f->ram + hgpa + 10, 0x7777);     /* num_buffers: the device ignores it on transmit */
	for (uint32_t i = 0; i < len; i++)
		f->ram[(i < a ? agpa + i : bgpa + i - a)] = (uint8_t)(seed + i);
	fx_avail(f, VIRTIO_NET_TXQ, head);
	return head;
}

static void test_net_tx(void)
{
	struct fixture *f = fx_create(true, ~0ull);
	struct fake_backend *fb = f->fb;

	fx_tx(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 7);
	fx_tx(f, 0, 0, 60, 9);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(fb->nr_out, 2);
	CHECK_EQ(fb->out_len[0], NET_VNET_HDR_LEN + 1000);
	CHECK_EQ(fb->out[0][0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(fb->out[0][1], VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(get16(fb->out[0] + 10), 0);
	CHECK(frame_ok(fb->out[0] + NET_VNET_HDR_LEN, 1000, 7));
	CHECK_EQ(fb->out_len[1], NET_VNET_HDR_LEN + 60);
	CHECK(frame_ok(fb->out[1] + NET_VNET_HDR_LEN, 60, 9));
	CHECK_EQ(used_idx(f, VIRTIO_NET_TXQ), 2);
	CHECK_EQ(used_len(f, VIRTIO_NET_TXQ, 0), 0);
	CHECK_EQ(f->nr_signal_used[VIRTIO_NET_TXQ], 1);
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_tx_offload_not_negotiated(void)
{
	/* The driver took no offloads: a frame asking for TSO is dropped, the chain returned. */
	struct fixture *f = fx_create(true, BIT(VIRTIO_NET_F_MAC));

	fx_tx(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 200, 1);
	fx_tx(f, 0, 0, 100, 2);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fb->nr_out, 1);
	CHECK(frame_ok(f->fb->out[0] + NET_VNET_HDR_LEN, 100, 2));
	CHECK_EQ(used_idx(f, VIRTIO_NET_TXQ), 2);
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_tx_malformed(void)
{
	struct fixture *f = fx_create(true, ~0ull);
	uint64_t gpa;
	uint16_t head;

	/* Shorter than the header. */
	fx_avail(f, VIRTIO_NET_TXQ, fx_desc(f, VIRTIO_NET_TXQ, 6, 0, &gpa));
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->nr_needs_reset, 1);
	CHECK_EQ(f->fb->nr_out, 0);
	/* Broken until reset: further notifies do nothing. */
	fx_tx(f, 0, 0, 100, 0);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fb->nr_out, 0);
	fx_destroy(f);

	/* A device-writable buffer in a transmit chain. */
	f = fx_create(true, ~0ull);
	head = fx_desc(f, VIRTIO_NET_TXQ, 64, F_NEXT, &gpa);
	fx_desc(f, VIRTIO_NET_TXQ, 64, F_WRITE, &gpa);
	fx_avail(f, VIRTIO_NET_TXQ, head);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->nr_needs_reset, 1);
	CHECK_EQ(f->fb->nr_out, 0);
	/* After a reset and activate, it works again. */
	f->vdev->ops->reset(f->vdev);
	memset(f->ram + ring_gpa[1][1], 0, 0x2000);
	f->avail_idx[1] = 0;
	f->vq[1].state.last_avail_idx = f->vq[1].state.used_idx = 0;
	CHECK_EQ(f->vdev->ops->activate(f->vdev), 0);
	fx_tx(f, 0, 0, 80, 3);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_TXQ);
	CHECK_EQ(f->fb->nr_out, 1);
	fx_destroy(f);
}

static void test_net_rx_single(void)
{
	/* No MRG_RXBUF: one buffer per frame, num_buffers 1. */
	struct fixture *f = fx_create(false, BIT(VIRTIO_NET_F_MAC));
	uint64_t gpa = fx_rx_buf(f, 1526), small;

	fake_inject(f->fb, 100, 5);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 1);
	CHECK_EQ(used_len(f, VIRTIO_NET_RXQ, 0), NET_VNET_HDR_LEN + 100);
	CHECK_EQ(get16(f->ram + gpa + 10), 1);
	CHECK(frame_ok(f->ram + gpa + NET_VNET_HDR_LEN, 100, 5));
	CHECK_EQ(f->nr_signal_used[VIRTIO_NET_RXQ], 1);

	/* A frame larger than the buffer is dropped; the buffer stays for the next frame. */
	small = fx_rx_buf(f, 64);
	fake_inject(f->fb, 200, 1);
	fake_inject(f->fb, 40, 2);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 2);
	CHECK_EQ(used_len(f, VIRTIO_NET_RXQ, 1), NET_VNET_HDR_LEN + 40);
	CHECK(frame_ok(f->ram + small + NET_VNET_HDR_LEN, 40, 2));
	CHECK_EQ(f->nr_needs_reset, 0);
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
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 3);
	CHECK_EQ(used_len(f, VIRTIO_NET_RXQ, 0), 100);
	CHECK_EQ(used_len(f, VIRTIO_NET_RXQ, 1), 100);
	CHECK_EQ(used_len(f, VIRTIO_NET_RXQ, 2), 62);
	CHECK_EQ(get16(f->ram + b[0] + 10), 3);
	memcpy(frame, f->ram + b[0] + NET_VNET_HDR_LEN, 88);
	memcpy(frame + 88, f->ram + b[1], 100);
	memcpy(frame + 188, f->ram + b[2], 62);
	CHECK(frame_ok(frame, 250, 11));
	CHECK_EQ(f->nr_signal_used[VIRTIO_NET_RXQ], 1);
	fx_destroy(f);
}

static void test_net_rx_waits_for_buffers(void)
{
	struct fixture *f = fx_create(false, ~0ull);
	uint64_t gpa;

	/* Two frames arrive while the ring is empty: nothing is lost. */
	fake_inject(f->fb, 60, 1);
	fake_inject(f->fb, 70, 2);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 0);
	CHECK(virtio_net_rx_paused(f->vdev));
	/* Only the first frame was taken from the backend; the second still waits there. */
	CHECK_EQ(f->fb->in_head, 1);

	gpa = fx_rx_buf(f, 1526);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_RXQ);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 1);
	CHECK(frame_ok(f->ram + gpa + NET_VNET_HDR_LEN, 60, 1));
	CHECK(virtio_net_rx_paused(f->vdev));
	CHECK_EQ(f->fb->in_head, 2);

	gpa = fx_rx_buf(f, 1526);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_RXQ);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 2);
	CHECK(frame_ok(f->ram + gpa + NET_VNET_HDR_LEN, 70, 2));
	CHECK(!virtio_net_rx_paused(f->vdev));

	/* Merged: too few buffers for the frame -> they are given back, the frame waits. */
	gpa = fx_rx_buf(f, 100);
	fake_inject(f->fb, 250, 3);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 2);
	CHECK_EQ(f->vq[0].state.last_avail_idx, 2);
	CHECK(virtio_net_rx_paused(f->vdev));
	fx_rx_buf(f, 100);
	fx_rx_buf(f, 100);
	f->vdev->ops->queue_notify(f->vdev, VIRTIO_NET_RXQ);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 5);
	CHECK_EQ(get16(f->ram + gpa + 10), 3);
	CHECK_EQ(f->nr_needs_reset, 0);
	fx_destroy(f);
}

static void test_net_rx_malformed(void)
{
	struct fixture *f = fx_create(false, ~0ull);
	uint64_t gpa;

	/* A device-readable receive buffer. */
	fx_avail(f, VIRTIO_NET_RXQ, fx_desc(f, VIRTIO_NET_RXQ, 1526, 0, &gpa));
	fake_inject(f->fb, 60, 1);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(f->nr_needs_reset, 1);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 0);
	fx_destroy(f);

	/* A first buffer too small for the header. */
	f = fx_create(false, ~0ull);
	fx_rx_buf(f, 8);
	fake_inject(f->fb, 60, 1);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(f->nr_needs_reset, 1);
	fx_destroy(f);
}

static void test_net_rx_inactive(void)
{
	/* After a reset the device takes nothing from the backend until activated again. */
	struct fixture *f = fx_create(false, ~0ull);

	f->vdev->ops->reset(f->vdev);
	fx_rx_buf(f, 1526);
	fake_inject(f->fb, 60, 1);
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(f->fb->in_head, 0);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 0);
	CHECK(virtio_net_rx_paused(f->vdev));
	CHECK_EQ(f->vdev->ops->activate(f->vdev), 0);
	CHECK(!virtio_net_rx_paused(f->vdev));
	virtio_net_poll_rx(f->vdev);
	CHECK_EQ(used_idx(f, VIRTIO_NET_RXQ), 1);
	fx_destroy(f);
}

TEST_MAIN(test_net_features_config, test_net_tx, test_net_tx_offload_not_negotiated, test_net_tx_malformed,
	  test_net_rx_single, test_net_rx_mergeable, test_net_rx_waits_for_buffers, test_net_rx_malformed,
	  test_net_rx_inactive)
