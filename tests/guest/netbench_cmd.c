// SPDX-License-Identifier: MIT
/*
 * netbench:<ip>:<port>:<MiB>:<rx|tx>: bulk TCP to or from a host server,
 * for bench/net. rx reads until the server's FIN and discards the data;
 * tx sends MiB of a counter pattern, then FIN, and waits for the sink's.
 * It counts what costs on kvm_pvm: interrupts taken and notifies sent.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "net.h"

#define NB_CONNECT_MS	5000
#define NB_IDLE_MS	30000	/* no progress for this long: give up */
#define NB_CLOSE_MS	5000
#define NB_MAX_MIB	4096

struct netbench {
	uint64_t bytes, start_us, end_us;
	uint32_t irqs0, notifies0, frames0;
	const char *error;
};

static uint32_t netbench_notifies(const struct netif *nif)
{
	return nif->vn.rxq.notifies + nif->vn.txq.notifies;
}

static uint32_t netbench_frames(const struct netif *nif)
{
	return nif->vn.rx_frames + nif->vn.tx_frames;
}

static const char *netbench_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "connection refused";
	case -ECONNRESET:
		return "connection reset";
	default:
		return "not connected";
	}
}

/* Drain the connection until the peer's FIN, keeping only the byte count. */
static void netbench_rx(struct netif *nif, struct netbench *nb)
{
	static uint8_t sink[TCP_BUF_SIZE];
	uint64_t idle_end = net_now_ms() + NB_IDLE_MS;
	int n;

	while (!tcp_eof(nif)) {
		n = tcp_recv(nif, sink, sizeof(sink));
		if (n < 0) {
			nb->error = netbench_strerror(n);
			return;
		}
		if (n) {
			nb->bytes += (uint32_t)n;
			idle_end = net_now_ms() + NB_IDLE_MS;
			/* Handle what already came before sleeping in net_poll(). */
			net_poll(nif, 0);
			continue;
		}
		if (net_now_ms() >= idle_end) {
			nb->error = "timeout";
			return;
		}
		net_poll(nif, 10);
	}
	nb->end_us = net_now_us();
}

/* Send total bytes; done when all of it is acknowledged. */
static void netbench_tx(struct netif *nif, struct netbench *nb, uint64_t total)
{
	static uint8_t src[TCP_BUF_SIZE];
	uint64_t idle_end = net_now_ms() + NB_IDLE_MS;
	uint32_t i, want;
	int n;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)i;
	while (nb->bytes < total) {
		want = (uint32_t)(total - nb->bytes < sizeof(src) ? total - nb->bytes : sizeof(src));
		n = tcp_send(nif, src, want);
		if (n < 0) {
			nb->error = netbench_strerror(n);
			return;
		}
		if (n) {
			nb->bytes += (uint32_t)n;
			idle_end = net_now_ms() + NB_IDLE_MS;
			net_poll(nif, 0);
			continue;
		}
		if (net_now_ms() >= idle_end) {
			nb->error = "timeout";
			return;
		}
		/* Send buffer full: sleep until ACKs come (they raise the interrupt). */
		net_poll(nif, 10);
	}
	idle_end = net_now_ms() + NB_IDLE_MS;
	while (nif->tcp.snd_len && !nif->tcp.error && net_now_ms() < idle_end)
		net_poll(nif, 10);
	if (nif->tcp.error)
		nb->error = netbench_strerror(nif->tcp.error);
	else if (nif->tcp.snd_len)
		nb->error = "timeout";
	nb->end_us = net_now_us();
}

/* Our FIN, then wait for the peer's. */
static bool netbench_finish(struct netif *nif)
{
	uint64_t end = net_now_ms() + NB_CLOSE_MS;

	tcp_close(nif);
	while (!tcp_is_done(nif) && net_now_ms() < end)
		net_poll(nif, 10);
	return tcp_is_done(nif) && !nif->tcp.error;
}

static void netbench_report(const struct netif *nif, const struct netbench *nb)
{
	uint64_t us = nb->end_us > nb->start_us ? nb->end_us - nb->start_us : 1;
	/* MiB/s with two decimals, in integers (no FPU in the guest). */
	uint64_t centi = nb->bytes * 100 * 1000000 / us >> 20;

	con_printf("netbench.bytes=%lu\nnetbench.time_us=%lu\nnetbench.mib_s=%lu.%02lu\n",
		   nb->bytes, us, centi / 100, centi % 100);
	con_printf("netbench.frames=%u\nnetbench.irqs=%u\nnetbench.notifies=%u\n",
		   netbench_frames(nif) - nb->frames0, nif->vn.irqs - nb->irqs0,
		   netbench_notifies(nif) - nb->notifies0);
	con_printf("netbench.retransmits=%u\n", nif->tcp.retransmits);
}

/* "a.b.c.d:port:MiB:rx|tx" */
int cmd_netbench(const char *arg)
{
	struct netbench nb = { 0 };
	const char *p = arg, *error = NULL;
	uint32_t ip, port, mib;
	struct netif *nif;
	bool tx;
	int ret;

	if (ip_parse(&p, &ip) || *p++ != ':' || net_parse_u32(&p, &port) || !port ||
	    port > 65535 || *p++ != ':' || net_parse_u32(&p, &mib) || !mib || mib > NB_MAX_MIB ||
	    *p++ != ':' || (strcmp(p, "rx") && strcmp(p, "tx"))) {
		con_printf("netbench.ok=0\nnetbench.error=want a.b.c.d:port:MiB:rx|tx, got '%s'\n", arg);
		return -1;
	}
	tx = !strcmp(p, "tx");
	nif = net_stack(&error);
	if (nif && !nif->ip)
		error = "no address (run ip: or dhcp first)";
	if (error) {
		con_printf("netbench.ok=0\nnetbench.error=%s\n", error);
		return -1;
	}
	ret = tcp_connect_wait(nif, ip, (uint16_t)port, NB_CONNECT_MS);
	if (ret) {
		con_printf("netbench.ok=0\nnetbench.error=connect: %s\n", netbench_strerror(ret));
		return -1;
	}
	nb.irqs0 = nif->vn.irqs;
	nb.notifies0 = netbench_notifies(nif);
	nb.frames0 = netbench_frames(nif);
	nb.start_us = net_now_us();
	if (tx)
		netbench_tx(nif, &nb, (uint64_t)mib << 20);
	else
		netbench_rx(nif, &nb);
	if (!nb.end_us)
		nb.end_us = net_now_us();
	if (!nb.error && !netbench_finish(nif))
		nb.error = "close";
	if (nb.error)
		tcp_abort(nif);
	netbench_report(nif, &nb);
	if (!nb.error && nb.bytes != (uint64_t)mib << 20)
		nb.error = "short transfer";
	if (nb.error) {
		con_printf("netbench.ok=0\nnetbench.error=%s\n", nb.error);
		return -1;
	}
	con_printf("netbench.ok=1\n");
	return 0;
}
