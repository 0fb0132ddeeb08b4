/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock driven through its ops with hand-built chains in fake guest
 * RAM and a fake transport, over a real vsock_uds on Unix sockets in a
 * temporary directory: the packet parser (every refusal), both connection
 * directions, credit both ways, reset, and the snapshot's TRANSPORT_RESET.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/virtio/virtio_vsock.h"
#include "fake_virtio.h"
#include "net/vsock_uds.h"
#include "snapshot/snap_buf.h"
#include "test.h"

#define QSIZE       256
#define NR_VQS      3
#define CID         42
#define HOST        2

static const struct fake_virtio_layout layout = {
	.ram_size = 0x400000, .nr_vqs = NR_VQS, .qsize = QSIZE,
	.ring_base = 0x1000, .ring_stride = 0x5000, .avail_off = 0x2000, .used_off = 0x3000,
	.data_gpa = 0x40000,
};

struct fixture {
	struct fake_virtio fv;
	char dir[64], uds[96];
	uint16_t seen_used[NR_VQS];
	uint64_t rx_gpa[QSIZE];           /* the receive buffers, by descriptor */
};

static struct fixture *fx_create(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vsock_uds *uds;
	char err[256];

	fake_virtio_init(&f->fv, &layout, NULL);
	strcpy(f->dir, "/tmp/vessel-test-vsock-XXXXXX");
	CHECK(mkdtemp(f->dir) != NULL);
	snprintf(f->uds, sizeof(f->uds), "%s/v.sock", f->dir);
	CHECK_EQ(vsock_uds_create(f->uds, CID, &uds, err, sizeof(err)), 0);
	fake_virtio_attach(&f->fv, virtio_vsock_create(CID, uds, NULL), 1ull << VIRTIO_F_VERSION_1);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	return f;
}

static void fx_destroy(struct fixture *f)
{
	f->fv.vdev->ops->destroy(f->fv.vdev);
	CHECK(access(f->uds, F_OK) != 0);       /* the socket file is gone */
	rmdir(f->dir);
	fake_virtio_fini(&f->fv);
	free(f);
}

static void hdr_put(uint8_t *p, uint64_t src_cid, uint64_t dst_cid, uint32_t src_port, uint32_t dst_port,
		    uint32_t len, uint16_t type, uint16_t op, uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	put64(p, src_cid);
	put64(p + 8, dst_cid);
	put32(p + 16, src_port);
	put32(p + 20, dst_port);
	put32(p + 24, len);
	put16(p + 28, type);
	put16(p + 30, op);
	put32(p + 32, flags);
	put32(p + 36, buf_alloc);
	put32(p + 40, fwd_cnt);
}

/* A packet from the guest: header (claimed len) then payload, in one readable buffer; notifies tx. */
static void guest_send_full(struct fixture *f, uint64_t src_cid, uint64_t dst_cid, uint32_t src_port,
			    uint32_t dst_port, uint16_t type, uint16_t op, uint32_t flags, const void *payload,
			    uint32_t len, uint32_t claimed, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	uint64_t gpa;
	uint16_t d = fake_desc_new(&f->fv, VIRTIO_VSOCK_TXQ, VIRTIO_VSOCK_HDR_LEN + len, 0, &gpa);

	hdr_put(f->fv.ram + gpa, src_cid, dst_cid, src_port, dst_port, claimed, type, op, flags, buf_alloc, fwd_cnt);
	if (len)
		memcpy(f->fv.ram + gpa + VIRTIO_VSOCK_HDR_LEN, payload, len);
	fake_avail(&f->fv, VIRTIO_VSOCK_TXQ, d);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_TXQ);
}

static void guest_send(struct fixture *f, uint32_t src_port, uint32_t dst_port, uint16_t op, uint32_t flags,
		       const void *payload, uint32_t len, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	guest_send_full(f, CID, HOST, src_port, dst_port, VIRTIO_VSOCK_TYPE_STREAM, op, flags, payload, len, len,
			buf_alloc, fwd_cnt);
}

/* Posts n receive buffers of len bytes each (header included) and notifies rx. */
static void guest_rx_bufs(struct fixture *f, int n, uint32_t len)
{
	for (int i = 0; i < n; i++) {
		uint64_t gpa;
		uint16_t d = fake_desc_new(&f->fv, VIRTIO_VSOCK_RXQ, len, F_WRITE, &gpa);

		f->rx_gpa[d] = gpa;
		fake_avail(&f->fv, VIRTIO_VSOCK_RXQ, d);
	}
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_RXQ);
}

struct pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
	uint32_t used_len;
	const uint8_t *payload;
};

/* The next packet the device put in a receive buffer: true and *p, or false if none. */
static bool guest_rx(struct fixture *f, struct pkt *p)
{
	uint16_t i = f->seen_used[VIRTIO_VSOCK_RXQ];
	const uint8_t *u, *h;
	uint32_t id;

	if (i == fake_used_idx(&f->fv, VIRTIO_VSOCK_RXQ))
		return false;
	u = f->fv.ram + fake_used_gpa(&f->fv, VIRTIO_VSOCK_RXQ) + 4 + 8 * (i % QSIZE);
	id = get32(u);
	h = f->fv.ram + f->rx_gpa[id];
	*p = (struct pkt){
		.src_cid = get64(h), .dst_cid = get64(h + 8), .src_port = get32(h + 16), .dst_port = get32(h + 20),
		.len = get32(h + 24), .type = get16(h + 28), .op = get16(h + 30), .flags = get32(h + 32),
		.buf_alloc = get32(h + 36), .fwd_cnt = get32(h + 40), .used_len = get32(u + 4),
		.payload = h + VIRTIO_VSOCK_HDR_LEN,
	};
	f->seen_used[VIRTIO_VSOCK_RXQ]++;
	CHECK_EQ(p->used_len, VIRTIO_VSOCK_HDR_LEN + p->len);
	return true;
}

/* Lets the device handle host events (accepts, reads) as the event loop would. */
static void host_poll(struct fixture *f)
{
	for (int i = 0; i < 5; i++) {
		usleep(2000);
		virtio_vsock_poll(f->fv.vdev);
	}
}

static int host_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(fd, 64), 0);
	return fd;
}

static int host_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Expect exactly one packet now, with this op, from/to these ports. */
static void expect_pkt(struct fixture *f, uint16_t op, uint64_t src_cid, uint32_t src_port, uint32_t dst_port,
		       struct pkt *out)
{
	struct pkt p = { 0 };

	CHECK(guest_rx(f, &p));
	CHECK_EQ(p.op, op);
	CHECK_EQ(p.src_cid, src_cid);
	CHECK_EQ(p.dst_cid, CID);
	CHECK_EQ(p.src_port, src_port);
	CHECK_EQ(p.dst_port, dst_port);
	CHECK_EQ(p.type, VIRTIO_VSOCK_TYPE_STREAM);
	if (out)
		*out = p;
}

static void expect_no_pkt(struct fixture *f)
{
	struct pkt p;

	CHECK(!guest_rx(f, &p));
}

/* ---- tests ---- */

static void test_vsock_config(void)
{
	struct fixture *f = fx_create();
	uint8_t cfg[8];
	uint32_t half;

	CHECK_EQ(f->fv.vdev->ops->device_id, VIRTIO_ID_VSOCK);
	CHECK_EQ(f->fv.vdev->ops->num_queues, 3);
	CHECK_EQ(f->fv.vdev->ops->features, 0);            /* no SEQPACKET */
	CHECK_EQ(f->fv.vdev->ops->config_size, 8);
	f->fv.vdev->ops->config_read(f->fv.vdev, 0, cfg, 8);
	CHECK_EQ(get64(cfg), CID);
	f->fv.vdev->ops->config_read(f->fv.vdev, 4, &half, 4);
	CHECK_EQ(half, 0);
	f->fv.vdev->ops->config_read(f->fv.vdev, 6, cfg, 4);  /* past the end: zeros */
	CHECK_EQ(get32(cfg), 0);
	fx_destroy(f);
}

/* Packets the device refuses with RST (or drops), the device staying usable. */
static void test_vsock_refusals(void)
{
	struct fixture *f = fx_create();
	uint8_t data[32] = { 1, 2, 3 };
	struct pkt p;

	guest_rx_bufs(f, 32, 4096);
	/* Another CID: RST from that CID. */
	guest_send_full(f, CID, 77, 1000, 5, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 0,
			4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, 77, 5, 1000, NULL);
	/* SEQPACKET, not offered: RST. */
	guest_send_full(f, CID, HOST, 1001, 5, VIRTIO_VSOCK_TYPE_SEQPACKET, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 0,
			4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1001, NULL);
	/* Unknown ops, data and shutdown for no connection: RST. */
	guest_send(f, 1002, 5, 99, 0, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1002, NULL);
	guest_send(f, 1003, 5, VIRTIO_VSOCK_OP_INVALID, 0, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1003, NULL);
	guest_send(f, 1004, 5, VIRTIO_VSOCK_OP_RW, 0, data, sizeof(data), 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1004, NULL);
	guest_send(f, 1005, 5, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1005, NULL);
	/* An RST is never answered. */
	guest_send(f, 1006, 5, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, 4096, 0);
	expect_no_pkt(f);
	/* A REQUEST to a port nobody listens on (no <uds>_5): RST. */
	guest_send(f, 1007, 5, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1007, NULL);
	/* A length that is not the chain's, either way: RST. */
	guest_send_full(f, CID, HOST, 1008, 5, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_RW, 0, data, 10, 100,
			4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1008, NULL);
	guest_send_full(f, CID, HOST, 1009, 5, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_RW, 0, data, 20, 4,
			4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 1009, NULL);
	/* A spoofed source CID: dropped, no answer. */
	guest_send_full(f, 99, HOST, 1010, 5, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 0,
			4096, 0);
	expect_no_pkt(f);
	CHECK_EQ(f->fv.nr_needs_reset, 0);
	/* Every transmit chain came back. */
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_VSOCK_TXQ), f->fv.avail_idx[VIRTIO_VSOCK_TXQ]);
	CHECK(!guest_rx(f, &p));
	fx_destroy(f);
}

/* More RSTs than receive buffers: the first ones wait, the rest are dropped, nothing grows. */
static void test_vsock_rst_flood(void)
{
	struct fixture *f = fx_create();
	struct pkt p;
	int n = 0;

	for (uint32_t i = 0; i < 200; i++)
		guest_send(f, 2000 + i, 5, VIRTIO_VSOCK_OP_RW, 0, NULL, 0, 4096, 0);
	guest_rx_bufs(f, 250, 4096);
	while (guest_rx(f, &p)) {
		CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
		n++;
	}
	CHECK_EQ(n, VSOCK_UDS_PENDING_RST);
	/* Still answering. */
	guest_send(f, 3000, 5, VIRTIO_VSOCK_OP_RW, 0, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5, 3000, NULL);
	fx_destroy(f);
}

/* Malformed chains: NEEDS_RESET, nothing more served until reset. */
static void test_vsock_malformed(void)
{
	struct fixture *f = fx_create();
	uint64_t gpa, gpa2;
	uint16_t d, d2;
	struct pkt p;

	/* A transmit chain with a device-writable buffer. */
	d = fake_desc_new(&f->fv, VIRTIO_VSOCK_TXQ, VIRTIO_VSOCK_HDR_LEN, F_NEXT, &gpa);
	d2 = fake_desc_new(&f->fv, VIRTIO_VSOCK_TXQ, 64, F_WRITE, &gpa2);
	CHECK_EQ(d2, d + 1);
	hdr_put(f->fv.ram + gpa, CID, HOST, 1, 5, 0, 1, VIRTIO_VSOCK_OP_REQUEST, 0, 4096, 0);
	fake_avail(&f->fv, VIRTIO_VSOCK_TXQ, d);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	guest_send(f, 1, 5, VIRTIO_VSOCK_OP_RW, 0, NULL, 0, 4096, 0);
	guest_rx_bufs(f, 4, 4096);
	CHECK(!guest_rx(f, &p));
	f->fv.vdev->ops->reset(f->fv.vdev);
	fx_destroy(f);

	/* A transmit chain shorter than the header. */
	f = fx_create();
	d = fake_desc_new(&f->fv, VIRTIO_VSOCK_TXQ, 20, 0, &gpa);
	fake_avail(&f->fv, VIRTIO_VSOCK_TXQ, d);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_TXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);

	/* A receive buffer without room for the header, when there is something to receive. */
	f = fx_create();
	guest_send(f, 1, 5, VIRTIO_VSOCK_OP_RW, 0, NULL, 0, 4096, 0);
	guest_rx_bufs(f, 1, 40);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);

	/* A receive buffer the device may only read. */
	f = fx_create();
	guest_send(f, 1, 5, VIRTIO_VSOCK_OP_RW, 0, NULL, 0, 4096, 0);
	d = fake_desc_new(&f->fv, VIRTIO_VSOCK_RXQ, 4096, 0, &gpa);
	fake_avail(&f->fv, VIRTIO_VSOCK_RXQ, d);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_RXQ);
	CHECK_EQ(f->fv.nr_needs_reset, 1);
	fx_destroy(f);
}

/* Guest-initiated: REQUEST to <uds>_P, data both ways, credit both ways, shutdown. */
static void test_vsock_guest_connect(void)
{
	struct fixture *f = fx_create();
	static uint8_t big[200 * 1024];
	char path[128];
	uint8_t buf[65536];
	uint32_t fwd = 0, got = 0;
	int lfd, cfd;
	struct pkt p;
	ssize_t n;

	snprintf(path, sizeof(path), "%s_5000", f->uds);
	lfd = host_listen(path);
	guest_rx_bufs(f, 64, VIRTIO_VSOCK_HDR_LEN + 4096);
	guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 8192, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, HOST, 5000, 700, &p);
	CHECK_EQ(p.buf_alloc, VSOCK_UDS_BUF_ALLOC);
	CHECK_EQ(p.fwd_cnt, 0);
	cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);
	set_nonblock(cfd);

	/* Guest -> host. */
	guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_RW, 0, "hello", 5, 8192, 0);
	n = read(cfd, buf, sizeof(buf));
	CHECK_EQ(n, 5);
	CHECK(!memcmp(buf, "hello", 5));
	expect_no_pkt(f);

	/* Host -> guest, no more than the guest's 8 KiB credit; then a CREDIT_REQUEST. */
	memset(big, 0xab, sizeof(big));
	CHECK_EQ(write(cfd, big, 20000), 20000);
	host_poll(f);
	while (guest_rx(f, &p)) {
		if (p.op == VIRTIO_VSOCK_OP_RW) {
			got += p.len;
			CHECK_EQ(p.fwd_cnt, 5);
		} else {
			CHECK_EQ(p.op, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
		}
	}
	CHECK_EQ(got, 8192);
	/* The guest read it all: credit again, the rest comes (8 KiB more, then 3616). */
	fwd = 8192;
	guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 8192, fwd);
	host_poll(f);
	while (guest_rx(f, &p))
		if (p.op == VIRTIO_VSOCK_OP_RW)
			got += p.len;
	CHECK_EQ(got, 16384);
	guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 8192, 16384);
	host_poll(f);
	while (guest_rx(f, &p))
		if (p.op == VIRTIO_VSOCK_OP_RW)
			got += p.len;
	CHECK_EQ(got, 20000);

	/* A CREDIT_REQUEST is answered. */
	guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0, 65536, 20000);
	expect_pkt(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, HOST, 5000, 700, &p);
	CHECK_EQ(p.fwd_cnt, 5);

	/* Guest -> host when the host does not read: vessel buffers up to its buf_alloc, then refuses. */
	for (uint32_t sent = 0; sent < 2u << 20;) {
		guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_RW, 0, big, 60000, 65536, 20000);
		sent += 60000;
		if (guest_rx(f, &p) && p.op == VIRTIO_VSOCK_OP_RST)
			break;
	}
	CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
	CHECK_EQ(p.dst_port, 700);
	/* The host socket is closed; the connection is gone: more data gets RST. */
	while (read(cfd, buf, sizeof(buf)) > 0)
		;
	CHECK_EQ(read(cfd, buf, sizeof(buf)), 0);
	while (guest_rx(f, &p))
		;
	guest_send(f, 700, 5000, VIRTIO_VSOCK_OP_RW, 0, "x", 1, 65536, 20000);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 5000, 700, NULL);
	close(cfd);
	close(lfd);
	unlink(path);
	fx_destroy(f);
}

/* Shutdown both ways: half-closes, then RST once both sides are done. */
static void test_vsock_shutdown(void)
{
	struct fixture *f = fx_create();
	char path[128];
	uint8_t buf[64];
	int lfd, cfd;
	struct pkt p;

	snprintf(path, sizeof(path), "%s_7", f->uds);
	lfd = host_listen(path);
	guest_rx_bufs(f, 16, 4096);
	guest_send(f, 800, 7, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, HOST, 7, 800, NULL);
	cfd = accept(lfd, NULL, NULL);
	set_nonblock(cfd);
	/* The guest sends no more: the host reads EOF, but may still write. */
	guest_send(f, 800, 7, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0, 4096, 0);
	CHECK_EQ(read(cfd, buf, sizeof(buf)), 0);
	CHECK_EQ(write(cfd, "bye", 3), 3);
	host_poll(f);
	expect_pkt(f, VIRTIO_VSOCK_OP_RW, HOST, 7, 800, &p);
	CHECK_EQ(p.len, 3);
	CHECK(!memcmp(p.payload, "bye", 3));
	/* The host closes: both directions are over, RST. */
	close(cfd);
	host_poll(f);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 7, 800, NULL);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), 0);

	/* The other order: the host closes first (SHUTDOWN(SEND) to the guest), then the guest: RST. */
	guest_send(f, 801, 7, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 4096, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, HOST, 7, 801, NULL);
	cfd = accept(lfd, NULL, NULL);
	CHECK_EQ(write(cfd, "last", 4), 4);
	close(cfd);
	host_poll(f);
	expect_pkt(f, VIRTIO_VSOCK_OP_RW, HOST, 7, 801, &p);
	CHECK_EQ(p.len, 4);
	expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, HOST, 7, 801, &p);
	CHECK_EQ(p.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), 1);
	guest_send(f, 801, 7, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND | VIRTIO_VSOCK_SHUTDOWN_RCV,
		   NULL, 0, 4096, 4);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, HOST, 7, 801, NULL);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), 0);
	close(lfd);
	unlink(path);
	fx_destroy(f);
}

/* Host-initiated: "CONNECT <port>\n", REQUEST to the guest, RESPONSE, "OK <port>\n", data. */
static void test_vsock_host_connect(void)
{
	struct fixture *f = fx_create();
	char line[64];
	int fd, fd2;
	struct pkt p;
	ssize_t n;

	guest_rx_bufs(f, 16, 4096);
	fd = host_connect(f->uds);
	/* Data right behind the line stays for the stream. */
	CHECK_EQ(write(fd, "CONNECT 52\nearly", 16), 16);
	host_poll(f);
	expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, HOST, VSOCK_UDS_LOCAL_PORT_BASE, 52, &p);
	CHECK_EQ(p.buf_alloc, VSOCK_UDS_BUF_ALLOC);
	guest_send(f, 52, VSOCK_UDS_LOCAL_PORT_BASE, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0, 4096, 0);
	n = read(fd, line, sizeof(line));
	CHECK_EQ(n, 14);
	CHECK(!memcmp(line, "OK 1073741824\n", 14));
	host_poll(f);
	expect_pkt(f, VIRTIO_VSOCK_OP_RW, HOST, VSOCK_UDS_LOCAL_PORT_BASE, 52, &p);
	CHECK_EQ(p.len, 5);
	CHECK(!memcmp(p.payload, "early", 5));
	guest_send(f, 52, VSOCK_UDS_LOCAL_PORT_BASE, VIRTIO_VSOCK_OP_RW, 0, "pong", 4, 4096, 5);
	CHECK_EQ(read(fd, line, sizeof(line)), 4);

	/* A second connection to the same guest port gets the next host port; the guest refuses it. */
	fd2 = host_connect(f->uds);
	CHECK_EQ(write(fd2, "CONNECT 52\r\n", 12), 12);
	host_poll(f);
	expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, HOST, VSOCK_UDS_LOCAL_PORT_BASE + 1, 52, NULL);
	guest_send(f, 52, VSOCK_UDS_LOCAL_PORT_BASE + 1, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, 0, 0);
	CHECK_EQ(read(fd2, line, sizeof(line)), 0);
	close(fd2);

	/* A bad line: closed. */
	fd2 = host_connect(f->uds);
	CHECK_EQ(write(fd2, "CONNECT x\n", 10), 10);
	host_poll(f);
	CHECK_EQ(read(fd2, line, sizeof(line)), 0);
	close(fd2);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), 1);

	/* A device reset drops the connection: the host program sees EOF. */
	f->fv.vdev->ops->reset(f->fv.vdev);
	CHECK_EQ(read(fd, line, sizeof(line)), 0);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), 0);
	close(fd);
	fx_destroy(f);
}

/* At most VSOCK_UDS_MAX_CONNS connections: the guest's next requests get RST; a reset frees them all. */
static void test_vsock_conn_limit(void)
{
	struct fixture *f = fx_create();
	int responses = 0, rsts = 0, fds = 0, fd;
	char path[128];
	struct pkt p;
	int lfd;

	snprintf(path, sizeof(path), "%s_9", f->uds);
	lfd = host_listen(path);
	set_nonblock(lfd);
	for (uint32_t i = 0; i < VSOCK_UDS_MAX_CONNS + 100; i++) {
		guest_send(f, 10000 + i, 9, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 4096, 0);
		guest_rx_bufs(f, 1, 64);
		while (guest_rx(f, &p)) {
			responses += p.op == VIRTIO_VSOCK_OP_RESPONSE;
			rsts += p.op == VIRTIO_VSOCK_OP_RST;
		}
		while ((fd = accept(lfd, NULL, NULL)) >= 0) {
			close(fd);
			fds++;
		}
	}
	CHECK_EQ(responses, VSOCK_UDS_MAX_CONNS);
	CHECK_EQ(rsts, 100);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), VSOCK_UDS_MAX_CONNS);
	CHECK_EQ(fds, VSOCK_UDS_MAX_CONNS);
	/* A host program cannot get in either: its connection is closed at once. */
	fd = host_connect(f->uds);
	set_nonblock(fd);
	{
		ssize_t n = -1;
		char c;

		/* The 1024 closed connections' events come first; a few rounds of the event loop. */
		for (int i = 0; i < 100 && n < 0; i++) {
			host_poll(f);
			n = read(fd, &c, 1);
		}
		CHECK_EQ(n, 0);
	}
	close(fd);
	f->fv.vdev->ops->reset(f->fv.vdev);
	CHECK_EQ(virtio_vsock_connections(f->fv.vdev), 0);
	close(lfd);
	unlink(path);
	fx_destroy(f);
}

/* Snapshot: only the CID; a load sends TRANSPORT_RESET once the event queue has a buffer. */
static void test_vsock_snapshot(void)
{
	struct fixture *f = fx_create();
	struct snap_writer w = { 0 };
	struct snap_reader r;
	uint64_t gpa, wrong = 7;
	uint16_t d;

	f->fv.vdev->ops->save(f->fv.vdev, &w);
	CHECK_EQ(w.len, 8);
	CHECK_EQ(get64(w.buf), CID);
	r = snap_reader_init((const uint8_t *)&wrong, sizeof(wrong));
	CHECK_EQ(f->fv.vdev->ops->load(f->fv.vdev, &r), -EINVAL);
	r = snap_reader_init(w.buf, 4);
	CHECK_EQ(f->fv.vdev->ops->load(f->fv.vdev, &r), -EINVAL);
	r = snap_reader_init(w.buf, w.len);
	CHECK_EQ(f->fv.vdev->ops->load(f->fv.vdev, &r), 0);
	CHECK_EQ(f->fv.vdev->ops->activate(f->fv.vdev), 0);
	CHECK_EQ(virtio_vsock_transport_resets(f->fv.vdev), 0);    /* no event buffer yet */
	d = fake_desc_new(&f->fv, VIRTIO_VSOCK_EVENTQ, 4, F_WRITE, &gpa);
	put32(f->fv.ram + gpa, 0xffffffff);
	fake_avail(&f->fv, VIRTIO_VSOCK_EVENTQ, d);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_EVENTQ);
	CHECK_EQ(virtio_vsock_transport_resets(f->fv.vdev), 1);
	CHECK_EQ(get32(f->fv.ram + gpa), 0);       /* VIRTIO_VSOCK_EVENT_TRANSPORT_RESET */
	CHECK_EQ(fake_used_idx(&f->fv, VIRTIO_VSOCK_EVENTQ), 1);
	CHECK_EQ(get32(f->fv.ram + fake_used_gpa(&f->fv, VIRTIO_VSOCK_EVENTQ) + 8), 4);
	/* Once only. */
	d = fake_desc_new(&f->fv, VIRTIO_VSOCK_EVENTQ, 4, F_WRITE, &gpa);
	fake_avail(&f->fv, VIRTIO_VSOCK_EVENTQ, d);
	f->fv.vdev->ops->queue_notify(f->fv.vdev, VIRTIO_VSOCK_EVENTQ);
	CHECK_EQ(virtio_vsock_transport_resets(f->fv.vdev), 1);
	snap_writer_free(&w);
	fx_destroy(f);
}

/* Migration's handover gives the socket path up; reclaim takes it back. */
static void test_vsock_handover(void)
{
	struct fixture *f = fx_create();

	CHECK_EQ(access(f->uds, F_OK), 0);
	CHECK_EQ(f->fv.vdev->ops->handover(f->fv.vdev), 0);
	CHECK(access(f->uds, F_OK) != 0);
	CHECK_EQ(f->fv.vdev->ops->reclaim(f->fv.vdev), 0);
	CHECK_EQ(access(f->uds, F_OK), 0);
	fx_destroy(f);
}

/* A live socket at the path is refused; a stale one is replaced. */
static void test_vsock_uds_path(void)
{
	struct fixture *f = fx_create();
	struct vsock_uds *u;
	char err[256] = "";

	CHECK_EQ(vsock_uds_create(f->uds, 3, &u, err, sizeof(err)), -EADDRINUSE);
	CHECK(strstr(err, f->uds) != NULL);
	CHECK_EQ(vsock_uds_create("", 3, &u, err, sizeof(err)), -ENAMETOOLONG);
	fx_destroy(f);
}

TEST_MAIN(test_vsock_config, test_vsock_refusals, test_vsock_rst_flood, test_vsock_malformed,
	  test_vsock_guest_connect, test_vsock_shutdown, test_vsock_host_connect, test_vsock_conn_limit,
	  test_vsock_snapshot,
	  test_vsock_handover, test_vsock_uds_path)
