// SPDX-License-Identifier: MIT
/* The stack's glue: a TSC clock, NIC bring-up, the poll loop, checksums, address text. */
#include "apic.h"
#include "lib.h"
#include "net.h"
#include "sys.h"

#define NET_CAL_NS	10000000u	/* one LAPIC one-shot to measure the TSC against */

static uint64_t tsc_per_us;

/* The LAPIC timer counts at about 1 GHz (apic.c); time one shot of it with the TSC. */
void net_clock_init(void)
{
	uint32_t timer0;
	uint64_t t0, t1;

	if (tsc_per_us)
		return;
	timer0 = irq_counts[VEC_TIMER - VEC_COUNTED_BASE];
	t0 = rdtsc();
	lapic_timer_oneshot(VEC_TIMER, NET_CAL_NS);
	while (irq_counts[VEC_TIMER - VEC_COUNTED_BASE] == timer0)
		sys_wait();
	t1 = rdtsc();
	tsc_per_us = (t1 - t0) / (NET_CAL_NS / 1000);
	if (!tsc_per_us)
		tsc_per_us = 1;
}

uint64_t net_now_us(void)
{
	return rdtsc() / tsc_per_us;
}

int netif_open(struct netif *nif, const struct pci_fn *fn, struct virtio_net_mem *mem)
{
	memset(nif, 0, sizeof(*nif));
	net_clock_init();
	nif->ip_id = (uint16_t)rdtsc();
	return virtio_net_open(&nif->vn, fn, mem);
}

uint32_t net_poll(struct netif *nif, uint32_t wait_ms)
{
	uint32_t len, n = 0;

	for (;;) {
		len = virtio_net_recv(&nif->vn, nif->rx_frame, sizeof(nif->rx_frame));
		if (!len) {
			if (n || !wait_ms)
				break;
			virtio_net_wait(&nif->vn, wait_ms);
			wait_ms = 0;
			continue;
		}
		n++;
		if (!net_drop(nif))
			eth_input(nif, nif->rx_frame, len);
	}
	tcp_poll(nif);
	return n;
}

bool net_drop(struct netif *nif)
{
	if (!nif->loss_pct)
		return false;
	/* LCG (Numerical Recipes): good enough to scatter the losses. */
	nif->loss_state = nif->loss_state * 1664525u + 1013904223u;
	if ((nif->loss_state >> 8) % 100 >= nif->loss_pct)
		return false;
	nif->lost++;
	return true;
}

uint32_t inet_sum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (; len > 1; len -= 2, b += 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

int net_parse_u32(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint32_t)(*p - '0');
		if (n > 0xffffffffu)
			return -1;
	}
	*v = (uint32_t)n;
	*s = p;
	return 0;
}

int ip_parse(const char **s, uint32_t *ip)
{
	const char *p = *s;
	uint32_t v = 0, part, i;

	for (i = 0; i < 4; i++) {
		if (i && *p++ != '.')
			return -1;
		if (net_parse_u32(&p, &part) || part > 255)
			return -1;
		v = v << 8 | part;
	}
	*ip = v;
	*s = p;
	return 0;
}

const char *ip_str(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}
