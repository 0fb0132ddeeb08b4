// SPDX-License-Identifier: MIT
/*
 * vsockbad: misbehaves at virtio-vsock and checks the device answers as
 * the spec says (RST for what it cannot take, NEEDS_RESET only for a
 * malformed chain) and keeps working: after each case a REQUEST to a host
 * port nobody listens on must still get its RST.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "virtio_vsock.h"
#include "vsock_cmd.h"

#define BAD_WAIT_MS		1000
#define BAD_HOST_PORT		1	/* nobody listens on <uds>_1 */
#define BAD_FLOOD		300
#define BAD_OVER_CREDIT		(4u << 20)	/* bytes sent with no regard for credit */
#define BAD_SRC_PORT		40000

static struct vsock_hdr bad_hdr(const struct vsock *vs, uint32_t src_port, uint16_t op)
{
	return (struct vsock_hdr){
		.src_cid = vs->cid, .dst_cid = VSOCK_CID_HOST, .src_port = src_port, .dst_port = BAD_HOST_PORT,
		.type = VSOCK_TYPE_STREAM, .op = op, .buf_alloc = VSOCK_RBUF,
	};
}

/* Waits until more than `before` stray RSTs came: true if they did. */
static bool bad_wait_rst(struct vsock *vs, uint32_t before, uint32_t ms)
{
	uint32_t waited = 0;

	vsock_kick(vs);
	while (vs->stray_rst <= before && waited < ms) {
		if (!vsock_poll(vs)) {
			vsock_wait(vs, 10);
			waited += 10;
		}
	}
	return vs->stray_rst > before;
}

/* The device still answers: a REQUEST to a port nobody listens on gets RST for that port. */
static bool bad_alive(struct vsock *vs, uint32_t src_port)
{
	struct vsock_hdr h = bad_hdr(vs, src_port, VSOCK_OP_REQUEST);
	uint32_t before = vs->stray_rst, waited = 0;

	if (vsock_send_raw(vs, &h, NULL, 0))
		return false;
	vsock_kick(vs);
	while (waited < BAD_WAIT_MS) {
		if (vs->stray_rst > before && vs->last_stray_rst.dst_port == src_port &&
		    vs->last_stray_rst.src_cid == VSOCK_CID_HOST)
			return true;
		if (!vsock_poll(vs)) {
			vsock_wait(vs, 10);
			waited += 10;
		}
	}
	return false;
}

/* One packet that must be refused with RST; h.dst_cid is where the RST must come from. */
static bool bad_expect_rst(struct vsock *vs, const struct vsock_hdr *h, const void *payload, uint32_t len,
			   uint32_t claimed)
{
	uint32_t before = vs->stray_rst;

	if (vsock_send_claiming(vs, h, payload, len, claimed) || !bad_wait_rst(vs, before, BAD_WAIT_MS))
		return false;
	return vs->last_stray_rst.dst_port == h->src_port && vs->last_stray_rst.src_cid == h->dst_cid &&
	       vs->last_stray_rst.src_port == h->dst_port;
}

/* Sends far more than the credit vessel gave to a host program that does not read: RST expected. */
static void bad_over_credit(struct vsock *vs, const char *name, uint32_t port)
{
	static uint8_t chunk[VSOCK_PAYLOAD];
	struct vsock_conn *c;
	uint32_t sent = 0;
	const char *why;

	c = vsock_connect(vs, port, &why);
	if (!c) {
		con_printf("vsockbad.%s.error=connect: %s\n", name, why);
		return;
	}
	while (sent < BAD_OVER_CREDIT && c->state == VSOCK_OPEN) {
		if (vsock_send(vs, c, VSOCK_OP_RW, 0, chunk, sizeof(chunk)))
			break;
		sent += sizeof(chunk);
		vsock_kick(vs);
		vsock_poll(vs);
	}
	for (uint32_t waited = 0; c->state == VSOCK_OPEN && waited < BAD_WAIT_MS; waited += 10) {
		if (!vsock_poll(vs))
			vsock_wait(vs, 10);
	}
	con_printf("vsockbad.%s.sent=%u\nvsockbad.%s.rst=%u\n", name, sent, name, c->reset ? 1 : 0);
	c->state = VSOCK_FREE;
}

/* A transmit chain with a device-writable buffer: malformed, NEEDS_RESET; then a fresh start must work. */
static void bad_chain(struct vsock *vs, const char *name)
{
	struct vsock_hdr *h = (struct vsock_hdr *)vs->mem->tx_buf[0];
	struct virtq_buf b[2] = {
		{ (uintptr_t)h, VSOCK_HDR_LEN, false },
		{ (uintptr_t)vs->mem->tx_buf[1], 64, true },
	};
	uint8_t status = 0;

	*h = bad_hdr(vs, BAD_SRC_PORT, VSOCK_OP_REQUEST);
	vs->nr_tx_free = 0;     /* the buffers are ours now */
	if (virtq_add(&vs->txq, b, 2) >= 0) {
		vsock_kick(vs);
		for (uint32_t waited = 0; waited < BAD_WAIT_MS; waited += 10) {
			status = virtio_pci_get_status(&vs->vp);
			if (status & VIRTIO_STATUS_NEEDS_RESET)
				break;
			vsock_wait(vs, 10);
		}
	}
	con_printf("vsockbad.%s.status=0x%x\n", name, status);
	vsock_close(vs);
	if (vsock_cmd_open("vsockbad"))
		return;
	con_printf("vsockbad.%s.recovered=%u\n", name, bad_alive(vs, BAD_SRC_PORT + 1) ? 1 : 0);
}

int cmd_vsockbad(const char *arg)
{
	static uint8_t payload[64];
	struct vsock *vs = &vsock_dev;
	char name[32];
	uint32_t port = 0, i;
	struct vsock_hdr h;
	const char *colon;
	int ret = -1;

	colon = arg;
	while (*colon && *colon != ':')
		colon++;
	if ((size_t)(colon - arg) >= sizeof(name)) {
		con_printf("vsockbad.error=unknown case\n");
		return -1;
	}
	memcpy(name, arg, (size_t)(colon - arg));
	name[colon - arg] = '\0';
	if (*colon) {
		uint64_t p;

		if (parse_size(colon + 1, &p) || !p || p > 0xffffffffu) {
			con_printf("vsockbad.error=bad port\n");
			return -1;
		}
		port = (uint32_t)p;
	}
	if (vsock_cmd_open("vsockbad"))
		return -1;
	h = bad_hdr(vs, BAD_SRC_PORT, VSOCK_OP_REQUEST);
	if (!strcmp(name, "wrong-cid")) {
		h.dst_cid = 77;
		con_printf("vsockbad.%s.rst=%u\n", name, bad_expect_rst(vs, &h, NULL, 0, 0));
	} else if (!strcmp(name, "bad-type")) {
		h.type = VSOCK_TYPE_SEQPACKET;
		con_printf("vsockbad.%s.rst=%u\n", name, bad_expect_rst(vs, &h, NULL, 0, 0));
	} else if (!strcmp(name, "bad-op")) {
		h.op = 99;
		con_printf("vsockbad.%s.rst=%u\n", name, bad_expect_rst(vs, &h, NULL, 0, 0));
	} else if (!strcmp(name, "no-conn")) {
		h.op = VSOCK_OP_RW;
		con_printf("vsockbad.%s.rst=%u\n", name, bad_expect_rst(vs, &h, payload, 16, 16));
	} else if (!strcmp(name, "bad-len")) {
		h.op = VSOCK_OP_RW;
		con_printf("vsockbad.%s.rst=%u\n", name, bad_expect_rst(vs, &h, payload, 10, 100));
	} else if (!strcmp(name, "flood")) {
		uint32_t before = vs->stray_rst, waited = 0;

		for (i = 0; i < BAD_FLOOD; i++) {
			h.src_port = BAD_SRC_PORT + 100 + i;
			if (vsock_send_raw(vs, &h, NULL, 0))
				break;
		}
		vsock_kick(vs);
		while (waited < BAD_WAIT_MS) {
			if (!vsock_poll(vs)) {
				vsock_wait(vs, 10);
				waited += 10;
			}
		}
		con_printf("vsockbad.%s.sent=%u\nvsockbad.%s.rsts=%u\n", name, i, name, vs->stray_rst - before);
	} else if (!strcmp(name, "over-credit") && port) {
		bad_over_credit(vs, name, port);
	} else if (!strcmp(name, "bad-chain")) {
		bad_chain(vs, name);
		vsock_close(vs);
		return 0;
	} else {
		con_printf("vsockbad.error=unknown case\n");
		vsock_close(vs);
		return -1;
	}
	con_printf("vsockbad.%s.status=0x%x\n", name, virtio_pci_get_status(&vs->vp));
	ret = bad_alive(vs, BAD_SRC_PORT + 1) ? 0 : -1;
	con_printf("vsockbad.%s.alive=%u\n", name, ret == 0);
	vsock_close(vs);
	return ret;
}
