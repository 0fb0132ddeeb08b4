/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for virtio-vsock: guest packets (every header field,
 * chains split anywhere, lengths that lie) on the transmit queue, receive
 * and event buffers, over a real vsock_uds whose host side has a program
 * listening on <uds>_5 (so a guest REQUEST to port 5 connects, and that
 * program then writes to it) and, if asked, a program that connected to the
 * uds, asked for guest port 7 and sent data behind its line. The input is
 *
 *   byte 0        bit 0 event idx, bit 1 the host program connects first,
 *                 bit 2 a device reset between the two rounds, bit 3 a
 *                 snapshot load (TRANSPORT_RESET) before activation
 *   byte 1        receive buffers to post (low 4 bits) and their size
 *                 (high 4 bits: 16 + 256 * n bytes)
 *   the rest      packets, each [split: u8][len: le16][len bytes], the
 *                 bytes being what the guest put in its transmit buffers
 *                 (header and payload) and split the point where the chain
 *                 goes on in a second descriptor; up to 8 in a first round,
 *                 then the host side writes, then up to 8 more
 *
 * Guest RAM is 64 KiB at gpa 0: queues (size 16) at fixed addresses, the
 * packets' and receive buffers' bytes behind them.
 *
 * Build and run:
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/fuzz/fuzz_virtio_vsock
 *   ./build-fuzz/tests/fuzz/fuzz_virtio_vsock -max_len=20000 -max_total_time=60 CORPUS_DIR
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/virtio/virtio_vsock.h"
#include "fuzz_virtio.h"
#include "net/vsock_uds.h"
#include "snapshot/snap_buf.h"

#define HDR_SIZE    1u
#define QSIZE       16
#define NR_VQS      3
#define CID         3

static char uds_path[96];
static int listen_fd = -1;

/* Once per process: a directory for the uds and a host program listening on <uds>_5. */
static int fuzz_setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/vessel-fuzz-vsock-%d", (int)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	snprintf(uds_path, sizeof(uds_path), "%s/v.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_5", uds_path);
	unlink(sa.sun_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(listen_fd, 64))
		return -1;
	return 0;
}

/* The host program on the uds: "CONNECT 7\n" and some data. */
static int fuzz_host_connect(void)
{
	static const char msg[] = "CONNECT 7\nsome data for the guest";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds_path);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Guest RAM as the fuzz input lays it out. */
struct fuzz_guest {
	uint8_t *ram;
	uint32_t next_data;             /* where the next buffer goes */
	uint16_t next_desc[NR_VQS];
	uint16_t avail[NR_VQS];
};

static void fuzz_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void fuzz_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void fuzz_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A chain of one descriptor per part; false if RAM or the ring is full. */
static bool fuzz_chain(struct fuzz_guest *g, uint16_t q, const uint32_t *lens, int n, uint16_t flags,
		       uint32_t *gpa)
{
	uint32_t total = 0;
	uint16_t head = g->next_desc[q] % QSIZE;

	for (int i = 0; i < n; i++)
		total += lens[i];
	if (g->next_data + total > FUZZ_RAM_SIZE || g->avail[q] == QSIZE || g->next_desc[q] + n > QSIZE)
		return false;
	*gpa = g->next_data;
	for (int i = 0; i < n; i++) {
		uint16_t d = g->next_desc[q]++;
		uint8_t *p = g->ram + 0x400u * q + 16u * d;

		fuzz_put64(p, g->next_data);
		fuzz_put32(p + 8, lens[i]);
		fuzz_put16(p + 12, (uint16_t)(flags | (i + 1 < n ? 1 : 0)));
		fuzz_put16(p + 14, (uint16_t)(d + 1));
		g->next_data += lens[i];
	}
	fuzz_put16(g->ram + 0x400u * q + 0x100 + 4 + 2 * g->avail[q], head);
	g->avail[q]++;
	fuzz_put16(g->ram + 0x400u * q + 0x100 + 2, g->avail[q]);
	return true;
}

/* Up to 8 packets from the input onto the transmit queue; returns the bytes of input used. */
static size_t fuzz_packets(struct fuzz_guest *g, const uint8_t *in, size_t left)
{
	size_t used = 0;

	for (int i = 0; i < 8 && left - used >= 3; i++) {
		uint32_t len = in[used + 1] | (uint32_t)in[used + 2] << 8, split = in[used], lens[2], gpa;
		int n = 1;

		used += 3;
		if (len > left - used)
			len = (uint32_t)(left - used);
		lens[0] = len;
		if (split && split < len) {
			lens[0] = split;
			lens[1] = len - split;
			n = 2;
		}
		if (!fuzz_chain(g, VIRTIO_VSOCK_TXQ, lens, n, 0, &gpa))
			break;
		memcpy(g->ram + gpa, in + used, len);
		used += len;
	}
	return used;
}

/* The host programs write: each connection the guest made to port 5, and the one on the uds. */
static void fuzz_host_writes(int host_fd)
{
	static const char msg[] = "from the host";
	int fd;

	while ((fd = accept(listen_fd, NULL, NULL)) >= 0) {
		send(fd, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);              /* EOF behind the data */
	}
	if (host_fd >= 0)
		send(host_fd, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_guest g = { 0 };
	struct guest_mem mem = { 0 };
	struct virtq vq[NR_VQS];
	struct vsock_uds *uds;
	struct virtio_dev *vdev;
	char err[256];
	int host_fd = -1, fd;
	size_t off = 2;
	uint32_t ev_len = 4, gpa;

	if (size < 2)
		return 0;
	if (listen_fd < 0 && fuzz_setup())
		__builtin_trap();
	g.ram = fuzz_ram_load(&mem, data, 0);      /* zeroed: the input builds its own rings */
	if (!g.ram)
		return 0;
	g.next_data = 0x400u * NR_VQS;
	fuzz_queues_init(vq, NR_VQS, &mem, data[0] & 1, QSIZE);
	for (int i = 0; i < (data[1] & 15); i++) {
		uint32_t len = 16 + 256u * (data[1] >> 4);

		fuzz_chain(&g, VIRTIO_VSOCK_RXQ, &len, 1, 2, &gpa);
	}
	fuzz_chain(&g, VIRTIO_VSOCK_EVENTQ, &ev_len, 1, 2, &gpa);
	off += fuzz_packets(&g, data + off, size - off);
	if (vsock_uds_create(uds_path, CID, &uds, err, sizeof(err)))
		__builtin_trap();
	vdev = virtio_vsock_create(CID, uds, NULL);
	if (!vdev)
		goto out_ram;
	fuzz_attach(vdev, vq, 1ull << VIRTIO_F_VERSION_1 | (data[0] & 1 ? 1ull << VIRTIO_F_RING_EVENT_IDX : 0));
	if (data[0] & 8) {
		uint64_t cid = CID;
		struct snap_reader r = snap_reader_init((const uint8_t *)&cid, sizeof(cid));

		if (vdev->ops->load(vdev, &r))
			__builtin_trap();
	}
	if (data[0] & 2)
		host_fd = fuzz_host_connect();
	if (fuzz_activate(vdev) == 0) {
		virtio_vsock_poll(vdev);
		fuzz_notify(vdev, VIRTIO_VSOCK_TXQ);
		fuzz_notify(vdev, VIRTIO_VSOCK_EVENTQ);
		if (data[0] & 4) {
			fuzz_reset(vdev);
			fuzz_activate(vdev);
		}
		fuzz_host_writes(host_fd);
		virtio_vsock_poll(vdev);
		fuzz_packets(&g, data + off, size - off);
		fuzz_notify(vdev, VIRTIO_VSOCK_TXQ);
		fuzz_notify(vdev, VIRTIO_VSOCK_RXQ);
		fuzz_notify(vdev, 3);
		virtio_vsock_poll(vdev);
		if (virtio_vsock_connections(vdev) > VSOCK_UDS_MAX_CONNS)
			__builtin_trap();
		fuzz_reset(vdev);
		if (virtio_vsock_connections(vdev) != 0)
			__builtin_trap();
	}
	vdev->ops->destroy(vdev);
out_ram:
	if (host_fd >= 0)
		close(host_fd);
	while ((fd = accept(listen_fd, NULL, NULL)) >= 0)
		close(fd);
	free(g.ram);
	return 0;
}
