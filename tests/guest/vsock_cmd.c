// SPDX-License-Identifier: MIT
/*
 * The vsock commands: vsock (the device and its CID), vsockecho (an echo
 * server for host-initiated connections) and vsocksend (a guest-initiated
 * connection that sends a pattern and checks it comes back). Each opens the
 * device and resets it at its end.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "tsc.h"
#include "virtio_vsock.h"
#include "vsock_cmd.h"

#define VSOCK_IDLE_MS		60000	/* no progress for this long: give up */
#define VSOCK_CLOSE_MS		2000

struct vsock_mem vsock_mem __attribute__((section(".noinit")));
struct vsock vsock_dev;

int vsock_cmd_open(const char *cmd)
{
	if (vsock_open(&vsock_dev, &vsock_mem) == 0)
		return 0;
	con_printf("%s.ok=0\n%s.error=%s\n", cmd, cmd, vsock_dev.vp.error);
	vsock_close(&vsock_dev);
	return -1;
}

/* Byte i of the pattern: 32-bit little-endian counters 0, 1, 2, ... */
static uint8_t vsock_pattern(uint64_t i)
{
	return (uint8_t)((i / 4) >> (8 * (i % 4)));
}

int cmd_vsock(const char *arg)
{
	if (vsock_cmd_open("vsock"))
		return -1;
	con_printf("vsock.cid=%lu\nvsock.features=0x%lx\nvsock.queue_size=%u\n", vsock_dev.cid,
		   vsock_dev.vp.features, vsock_dev.rxq.size);
	vsock_close(&vsock_dev);
	con_printf("vsock.ok=1\n");
	return 0;
}

/* Echoes what c has, as far as the peer's credit and our tx buffers go. True if it did anything. */
static bool vsock_echo_step(struct vsock *vs, struct vsock_conn *c)
{
	bool progress = false;

	while (c->r_len && vsock_credit(c) && vs->nr_tx_free) {
		uint32_t n = c->r_len, contiguous = VSOCK_RBUF - c->r_start;
		const uint8_t *p = c->rbuf + c->r_start;

		if (n > contiguous)
			n = contiguous;
		if (n > vsock_credit(c))
			n = vsock_credit(c);
		if (n > VSOCK_PAYLOAD)
			n = VSOCK_PAYLOAD;
		/* Taken out first, so the packet carries the credit it frees. */
		vsock_consume(vs, c, n);
		if (vsock_send(vs, c, VSOCK_OP_RW, 0, p, n))
			break;
		progress = true;
	}
	if (c->peer_shut_send && !c->r_len && !c->shut_sent) {
		/* The peer is done and has everything back: we are done too; its RST ends it. */
		vsock_send(vs, c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND, NULL, 0);
		c->shut_sent = true;
		progress = true;
	}
	vsock_maybe_credit_update(vs, c);
	return progress;
}

int cmd_vsockecho(const char *arg)
{
	struct vsock *vs = &vsock_dev;
	uint64_t v[2], bytes = 0;
	uint32_t closed = 0, resets = 0, idle = 0;

	if (parse_sizes(arg, v, 2) || !v[0] || v[0] > 0xffffffffu || !v[1] || v[1] > VSOCK_MAX_CONNS * 1000) {
		con_printf("vsock.ok=0\nvsock.error=usage vsockecho:<port>:<count>\n");
		return -1;
	}
	if (vsock_cmd_open("vsock"))
		return -1;
	vs->listen_port = (uint32_t)v[0];
	con_printf("vsock.cid=%lu\nvsock.listening=%u\n", vs->cid, vs->listen_port);
	while (closed < v[1]) {
		bool progress = vsock_poll(vs);

		for (int i = 0; i < VSOCK_MAX_CONNS; i++) {
			struct vsock_conn *c = &vs->conns[i];

			if (c->state == VSOCK_OPEN)
				progress |= vsock_echo_step(vs, c);
			if (c->state == VSOCK_CLOSED) {
				bytes += c->tx_bytes;
				resets += !c->shut_sent;
				closed++;
				c->state = VSOCK_FREE;
				progress = true;
			}
		}
		vsock_kick(vs);
		if (progress) {
			idle = 0;
			continue;
		}
		if (idle >= VSOCK_IDLE_MS)
			break;
		vsock_wait(vs, 10);
		idle += 10;
	}
	vs->listen_port = 0;
	con_printf("vsock.accepted=%u\nvsock.closed=%u\nvsock.reset=%u\nvsock.bytes=%lu\n",
		   vs->accepted, closed, resets, bytes);
	con_printf("vsock.credit_violations=%u\nvsock.transport_resets=%u\n", vs->credit_violations,
		   vs->transport_resets);
	vsock_close(vs);
	if (closed < v[1]) {
		con_printf("vsock.ok=0\nvsock.error=timeout\n");
		return -1;
	}
	con_printf("vsock.ok=%u\n", vs->credit_violations ? 0 : 1);
	return 0;
}

/* Checks received bytes against the pattern from offset off: the first bad offset, or -1. */
static int64_t vsock_check(const uint8_t *p, uint32_t n, uint64_t off)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != vsock_pattern(off + i))
			return (int64_t)(off + i);
	return -1;
}

struct vsock_xfer {
	uint64_t total, sent, got;
	int64_t bad;
	bool half_shut;
	const char *error;
};

/* One round: take and check what came back, send what credit allows. True if anything moved. */
static bool vsock_send_step(struct vsock *vs, struct vsock_conn *c, struct vsock_xfer *x)
{
	static uint8_t chunk[VSOCK_PAYLOAD];
	bool progress = false;

	while (c->r_len) {
		uint32_t n = c->r_len, contiguous = VSOCK_RBUF - c->r_start;
		int64_t bad;

		if (n > contiguous)
			n = contiguous;
		bad = vsock_check(c->rbuf + c->r_start, n, x->got);
		if (bad >= 0 && x->bad < 0)
			x->bad = bad;
		vsock_consume(vs, c, n);
		x->got += n;
		progress = true;
	}
	while (x->sent < x->total && vsock_credit(c) && vs->nr_tx_free) {
		uint64_t n = x->total - x->sent;

		if (n > vsock_credit(c))
			n = vsock_credit(c);
		if (n > VSOCK_PAYLOAD)
			n = VSOCK_PAYLOAD;
		for (uint32_t i = 0; i < n; i++)
			chunk[i] = vsock_pattern(x->sent + i);
		if (vsock_send(vs, c, VSOCK_OP_RW, 0, chunk, (uint32_t)n))
			break;
		x->sent += n;
		progress = true;
	}
	if (x->sent == x->total && !x->half_shut) {
		vsock_send(vs, c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, NULL, 0);
		x->half_shut = true;
	}
	vsock_maybe_credit_update(vs, c);
	return progress;
}

int cmd_vsocksend(const char *arg)
{
	struct vsock *vs = &vsock_dev;
	struct vsock_xfer x = { .bad = -1 };
	struct vsock_conn *c;
	uint64_t v[2], t0, t1, us, centi, hz;
	uint32_t idle = 0;
	const char *why;

	if (parse_sizes(arg, v, 2) || !v[0] || v[0] > 0xffffffffu || v[1] > 4u << 20) {
		con_printf("vsock.ok=0\nvsock.error=usage vsocksend:<port>:<KiB>\n");
		return -1;
	}
	x.total = v[1] * 1024;
	hz = tsc_hz(NULL);
	if (vsock_cmd_open("vsock"))
		return -1;
	c = vsock_connect(vs, (uint32_t)v[0], &why);
	if (!c) {
		con_printf("vsock.ok=0\nvsock.error=connect: %s\n", why);
		vsock_close(vs);
		return -1;
	}
	con_printf("vsock.connected=%u\n", c->local_port);
	t0 = rdtsc();
	while (x.got < x.total) {
		bool progress = vsock_poll(vs) | vsock_send_step(vs, c, &x);

		vsock_kick(vs);
		/* The end of the stream may come with the peer's RST, after the last data. */
		if (c->state != VSOCK_OPEN && x.got < x.total) {
			x.error = "connection reset";
			break;
		}
		if (c->peer_shut_send && !c->r_len && x.got < x.total) {
			x.error = "short transfer";
			break;
		}
		if (progress) {
			idle = 0;
			continue;
		}
		if (idle >= VSOCK_IDLE_MS) {
			x.error = "timeout";
			break;
		}
		vsock_wait(vs, 10);
		idle += 10;
	}
	t1 = rdtsc();
	vsock_close_conn(vs, c, VSOCK_CLOSE_MS);
	vsock_close(vs);
	us = hz ? (t1 - t0) * 1000000 / hz : 1;
	if (!us)
		us = 1;
	centi = x.got * 100 * 1000000 / us >> 20;
	con_printf("vsock.sent=%lu\nvsock.bytes=%lu\nvsock.time_us=%lu\nvsock.mib_s=%lu.%02lu\n", x.sent, x.got,
		   us, centi / 100, centi % 100);
	con_printf("vsock.credit_violations=%u\n", vs->credit_violations);
	if (x.bad >= 0)
		con_printf("vsock.bad=%ld\n", x.bad);
	if (x.error)
		con_printf("vsock.error=%s\n", x.error);
	con_printf("vsock.ok=%u\n", !x.error && x.bad < 0 && x.got == x.total && !vs->credit_violations);
	return 0;
}
