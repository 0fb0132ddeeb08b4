// SPDX-License-Identifier: MIT
/*
 * One TCP connection (RFC 793, much simplified): active or passive open,
 * in-order data only (anything else is dropped and re-ACKed), go-back-N
 * retransmission from snd_una on a doubling timeout, FIN both ways. No
 * congestion control beyond the peer's window, no options but MSS.
 */
#include "lib.h"
#include "net.h"
#include "sys.h"

#define TCP_HLEN	20
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_OPT_MSS	2
#define TCP_MSS		(ETH_MTU - IP_HLEN - TCP_HLEN)
#define TCP_MSS_DEFAULT	536
#define TCP_RTO_INIT_MS	300
#define TCP_RTO_MAX_MS	3000
#define TCP_MAX_RETRIES	10

#define SEQ_LT(a, b)	((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((a) - (b)) <= 0)
#define MIN(a, b)	((a) < (b) ? (a) : (b))

struct tcp_hdr {
	uint16_t src, dst;
	uint32_t seq, ack;
	uint8_t off;		/* data offset << 4 */
	uint8_t flags;
	uint16_t wnd, csum, urg;
} __attribute__((packed));

static uint16_t tcp_window(const struct tcp_conn *c)
{
	return (uint16_t)MIN(TCP_BUF_SIZE - c->rcv_len, 65535u);
}

static int tcp_xmit_raw(struct netif *nif, uint32_t dst, uint16_t sport, uint16_t dport,
			uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			const uint8_t *data, uint32_t len)
{
	uint8_t seg[ETH_MTU - IP_HLEN];
	struct tcp_hdr *h = (void *)seg;
	uint32_t hlen = TCP_HLEN;

	if (flags & TCP_SYN) {
		/* Our MSS: one Ethernet frame per segment. */
		seg[TCP_HLEN] = TCP_OPT_MSS;
		seg[TCP_HLEN + 1] = 4;
		seg[TCP_HLEN + 2] = TCP_MSS >> 8;
		seg[TCP_HLEN + 3] = TCP_MSS & 0xff;
		hlen += 4;
	}
	if (hlen + len > sizeof(seg))
		return -EINVAL;
	*h = (struct tcp_hdr){
		.src = htons(sport), .dst = htons(dport), .seq = htonl(seq), .ack = htonl(ack),
		.off = (uint8_t)(hlen / 4) << 4, .flags = flags, .wnd = htons(wnd),
	};
	memcpy(seg + hlen, data, len);
	h->csum = inet_fold(inet_sum(seg, hlen + len,
				     inet_pseudo_sum(nif->ip, dst, IP_PROTO_TCP, (uint16_t)(hlen + len))));
	return ip_send(nif, dst, IP_PROTO_TCP, seg, hlen + len);
}

static void tcp_xmit(struct netif *nif, struct tcp_conn *c, uint8_t flags, uint32_t seq,
		     const uint8_t *data, uint32_t len)
{
	if (flags & TCP_ACK) {
		c->ack_needed = false;
		c->rcv_wnd_sent = tcp_window(c);
		c->rcv_acked = c->rcv_nxt;
	}
	tcp_xmit_raw(nif, c->remote_ip, c->local_port, c->remote_port, seq, c->rcv_nxt,
		     flags, tcp_window(c), data, len);
}

/* Answer a segment nobody wants (RFC 793 "reset generation"). */
static void tcp_send_rst(struct netif *nif, uint32_t src, const struct tcp_hdr *h, uint32_t seg_len)
{
	if (h->flags & TCP_ACK)
		tcp_xmit_raw(nif, src, ntohs(h->dst), ntohs(h->src), ntohl(h->ack), 0,
			     TCP_RST, 0, NULL, 0);
	else
		tcp_xmit_raw(nif, src, ntohs(h->dst), ntohs(h->src), 0, ntohl(h->seq) + seg_len,
			     TCP_RST | TCP_ACK, 0, NULL, 0);
}

static void tcp_arm_timer(struct tcp_conn *c)
{
	if (!c->rto_at_ms)
		c->rto_at_ms = net_now_ms() + c->rto_ms;
}

static void tcp_set_snd_nxt(struct tcp_conn *c, uint32_t seq)
{
	c->snd_nxt = seq;
	if (SEQ_LT(c->snd_max, seq))
		c->snd_max = seq;
}

/* Send what the state, the buffer and the peer's window allow; probe a zero window if asked. */
static void tcp_output(struct netif *nif, struct tcp_conn *c, bool probe)
{
	uint32_t off, wnd, n;

	switch (c->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RCVD:
		if (c->snd_nxt == c->iss) {
			tcp_xmit(nif, c, c->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK,
				 c->iss, NULL, 0);
			tcp_set_snd_nxt(c, c->iss + 1);
			tcp_arm_timer(c);
		}
		return;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	default:
		if (c->ack_needed && c->state != TCP_CLOSED && c->state != TCP_LISTEN)
			tcp_xmit(nif, c, TCP_ACK, c->snd_nxt, NULL, 0);
		return;
	}
	off = c->snd_nxt - c->snd_una;
	while (off < c->snd_len) {
		wnd = SEQ_LT(c->snd_nxt, c->snd_una + c->snd_wnd) ?
		      c->snd_una + c->snd_wnd - c->snd_nxt : 0;
		if (!wnd && probe && off == 0)
			wnd = 1;
		n = MIN(MIN(c->snd_len - off, (uint32_t)c->mss), wnd);
		if (!n)
			break;
		tcp_xmit(nif, c, TCP_ACK | TCP_PSH, c->snd_nxt, c->snd_buf + off, n);
		tcp_set_snd_nxt(c, c->snd_nxt + n);
		off += n;
		tcp_arm_timer(c);
	}
	if (c->snd_len && off < c->snd_len)
		tcp_arm_timer(c);	/* a zero window: the timer probes it */
	if (c->closing && !c->fin_sent && !c->fin_acked && off == c->snd_len) {
		tcp_xmit(nif, c, TCP_FIN | TCP_ACK, c->snd_nxt, NULL, 0);
		tcp_set_snd_nxt(c, c->snd_nxt + 1);
		c->fin_sent = true;
		if (c->state == TCP_ESTABLISHED)
			c->state = TCP_FIN_WAIT_1;
		else if (c->state == TCP_CLOSE_WAIT)
			c->state = TCP_LAST_ACK;
		tcp_arm_timer(c);
	}
	if (c->ack_needed)
		tcp_xmit(nif, c, TCP_ACK, c->snd_nxt, NULL, 0);
}

static void tcp_fail(struct tcp_conn *c, int error)
{
	c->error = error;
	c->state = TCP_CLOSED;
	c->rto_at_ms = 0;
}

static void tcp_parse_mss(struct tcp_conn *c, const uint8_t *opt, uint32_t len)
{
	uint32_t i = 0;

	c->mss = TCP_MSS_DEFAULT;
	while (i < len && opt[i] != 0) {
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break;
		if (opt[i] == TCP_OPT_MSS && opt[i + 1] == 4)
			c->mss = MIN((uint16_t)(opt[i + 2] << 8 | opt[i + 3]), TCP_MSS);
		i += opt[i + 1];
	}
	if (!c->mss)
		c->mss = TCP_MSS_DEFAULT;
}

/* The ACK field of an acceptable segment: free acknowledged data, note an acknowledged FIN. */
static void tcp_process_ack(struct tcp_conn *c, uint32_t ack, uint16_t wnd)
{
	uint32_t acked, n;

	if (!SEQ_LT(c->snd_una, ack) || SEQ_LT(c->snd_max, ack)) {
		if (ack == c->snd_una)
			c->snd_wnd = wnd;
		return;
	}
	acked = ack - c->snd_una;
	n = MIN(acked, c->snd_len);
	memmove(c->snd_buf, c->snd_buf + n, c->snd_len - n);
	c->snd_len -= n;
	if (acked > n && c->closing)
		c->fin_acked = true;
	c->snd_una = ack;
	if (SEQ_LT(c->snd_nxt, ack))
		c->snd_nxt = ack;	/* acks for what we sent before going back */
	c->snd_wnd = wnd;
	c->retries = 0;
	c->rto_ms = TCP_RTO_INIT_MS;
	c->rto_at_ms = c->snd_una == c->snd_max ? 0 : net_now_ms() + c->rto_ms;
	if (c->fin_acked) {
		if (c->state == TCP_FIN_WAIT_1)
			c->state = TCP_FIN_WAIT_2;
		else if (c->state == TCP_CLOSING)
			c->state = TCP_TIME_WAIT;
		else if (c->state == TCP_LAST_ACK)
			c->state = TCP_CLOSED;
	}
}

static void tcp_take_data(struct tcp_conn *c, const uint8_t *data, uint32_t len)
{
	uint32_t n = MIN(len, TCP_BUF_SIZE - c->rcv_len), i, pos;

	for (i = 0; i < n; i++) {
		pos = (c->rcv_head + c->rcv_len + i) % TCP_BUF_SIZE;
		c->rcv_buf[pos] = data[i];
	}
	c->rcv_len += n;
	c->rcv_nxt += n;
}

static void tcp_take_fin(struct tcp_conn *c)
{
	c->rcv_nxt++;
	c->fin_rcvd = true;
	if (c->state == TCP_ESTABLISHED)
		c->state = TCP_CLOSE_WAIT;
	else if (c->state == TCP_FIN_WAIT_1)
		c->state = c->fin_acked ? TCP_TIME_WAIT : TCP_CLOSING;
	else if (c->state == TCP_FIN_WAIT_2)
		c->state = TCP_TIME_WAIT;
}

static bool tcp_matches(const struct tcp_conn *c, uint32_t src, uint16_t sport, uint16_t dport)
{
	if (c->state == TCP_CLOSED || dport != c->local_port)
		return false;
	return c->state == TCP_LISTEN || (src == c->remote_ip && sport == c->remote_port);
}

/* SYN to our listener: remember the peer, answer SYN|ACK. */
static void tcp_accept(struct netif *nif, struct tcp_conn *c, uint32_t src, const struct tcp_hdr *h,
		       const uint8_t *opt, uint32_t optlen)
{
	c->remote_ip = src;
	c->remote_port = ntohs(h->src);
	c->rcv_nxt = ntohl(h->seq) + 1;
	c->iss = (uint32_t)rdtsc();
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_wnd = ntohs(h->wnd);
	tcp_parse_mss(c, opt, optlen);
	c->state = TCP_SYN_RCVD;
	tcp_output(nif, c, false);
}

void tcp_input(struct netif *nif, uint32_t src, const uint8_t *seg, uint32_t len)
{
	const struct tcp_hdr *h = (const void *)seg;
	struct tcp_conn *c = &nif->tcp;
	uint32_t hlen, seq, ack, dlen, skip;
	const uint8_t *data;
	uint8_t flags;

	if (len < TCP_HLEN)
		return;
	hlen = (h->off >> 4) * 4u;
	if (hlen < TCP_HLEN || hlen > len)
		return;
	if (inet_fold(inet_sum(seg, len, inet_pseudo_sum(src, nif->ip, IP_PROTO_TCP, (uint16_t)len))))
		return;
	flags = h->flags;
	seq = ntohl(h->seq);
	ack = ntohl(h->ack);
	data = seg + hlen;
	dlen = len - hlen;
	if (!tcp_matches(c, src, ntohs(h->src), ntohs(h->dst))) {
		if (!(flags & TCP_RST))
			tcp_send_rst(nif, src, h, dlen + !!(flags & TCP_SYN) + !!(flags & TCP_FIN));
		return;
	}
	if (flags & TCP_RST) {
		if (c->state == TCP_SYN_SENT) {
			if ((flags & TCP_ACK) && ack == c->iss + 1)
				tcp_fail(c, -ECONNREFUSED);
		} else if (c->state != TCP_LISTEN &&
			   SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LEQ(seq, c->rcv_nxt + tcp_window(c))) {
			tcp_fail(c, -ECONNRESET);
		}
		return;
	}
	switch (c->state) {
	case TCP_LISTEN:
		if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			tcp_accept(nif, c, src, h, seg + TCP_HLEN, hlen - TCP_HLEN);
		else
			tcp_send_rst(nif, src, h, dlen);
		return;
	case TCP_SYN_SENT:
		if ((flags & TCP_ACK) && ack != c->iss + 1) {
			tcp_send_rst(nif, src, h, dlen);
			return;
		}
		if ((flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
			return;
		c->rcv_nxt = seq + 1;
		c->snd_una = c->snd_nxt = c->snd_max = c->iss + 1;
		c->snd_wnd = ntohs(h->wnd);
		tcp_parse_mss(c, seg + TCP_HLEN, hlen - TCP_HLEN);
		c->state = TCP_ESTABLISHED;
		c->rto_at_ms = 0;
		c->retries = 0;
		c->rto_ms = TCP_RTO_INIT_MS;
		c->ack_needed = true;
		return;
	default:
		break;
	}
	if (flags & TCP_SYN) {
		/* Our SYN|ACK or ACK was lost and the peer repeats its SYN. */
		if (c->state == TCP_SYN_RCVD && seq + 1 == c->rcv_nxt)
			tcp_set_snd_nxt(c, c->iss);
		else
			c->ack_needed = true;
		return;
	}
	if (!(flags & TCP_ACK))
		return;
	if (c->state == TCP_SYN_RCVD) {
		if (ack != c->iss + 1) {
			tcp_send_rst(nif, src, h, dlen);
			return;
		}
		/* The SYN is acknowledged; data starts after it. */
		c->snd_una = c->iss + 1;
		c->rto_at_ms = 0;
		c->retries = 0;
		c->state = TCP_ESTABLISHED;
	}
	tcp_process_ack(c, ack, ntohs(h->wnd));
	if (c->state == TCP_CLOSED)
		return;
	/* Trim what we already have; keep only in-order data. */
	if (SEQ_LT(seq, c->rcv_nxt)) {
		skip = c->rcv_nxt - seq;
		/*
		 * All old: a repeat (our ACK was lost), a keep-alive or a
		 * zero-window probe. Each wants our ACK and current window.
		 */
		if (skip > dlen || (skip == dlen && !(flags & TCP_FIN))) {
			c->ack_needed = true;
			return;
		}
		data += skip;
		dlen -= skip;
		seq += skip;
	}
	if (seq != c->rcv_nxt) {
		/* A gap: one duplicate ACK per segment now, so the peer can fast-retransmit. */
		if (dlen || (flags & TCP_FIN))
			tcp_xmit(nif, c, TCP_ACK, c->snd_nxt, NULL, 0);
		return;
	}
	if (dlen && !c->fin_rcvd) {
		tcp_take_data(c, data, dlen);
		c->ack_needed = true;
		/* At least every second full segment (RFC 1122), not only once per batch. */
		if (c->rcv_nxt - c->rcv_acked >= 2 * TCP_MSS)
			tcp_xmit(nif, c, TCP_ACK, c->snd_nxt, NULL, 0);
	}
	if ((flags & TCP_FIN) && !c->fin_rcvd && seq + dlen == c->rcv_nxt) {
		tcp_take_fin(c);
		c->ack_needed = true;
	}
}

void tcp_poll(struct netif *nif)
{
	struct tcp_conn *c = &nif->tcp;
	bool probe = false;

	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN)
		return;
	if (c->rto_at_ms && net_now_ms() >= c->rto_at_ms) {
		if (++c->retries > TCP_MAX_RETRIES) {
			tcp_fail(c, -ETIMEDOUT);
			return;
		}
		c->retransmits++;
		/* Go back to the oldest unacknowledged byte (or the SYN). */
		c->snd_nxt = (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD) ? c->iss : c->snd_una;
		if (!c->fin_acked)
			c->fin_sent = false;
		c->rto_ms = MIN(c->rto_ms * 2, TCP_RTO_MAX_MS);
		c->rto_at_ms = 0;
		probe = true;
	}
	tcp_output(nif, c, probe);
}

static void tcp_reset_conn(struct netif *nif, uint16_t local_port)
{
	struct tcp_conn *c = &nif->tcp;

	/* Not the buffers: 32 KiB of byte stores for nothing. */
	memset(c, 0, offsetof(struct tcp_conn, snd_buf));
	c->local_port = local_port;
	c->rto_ms = TCP_RTO_INIT_MS;
	c->mss = TCP_MSS_DEFAULT;
}

int tcp_connect(struct netif *nif, uint32_t ip, uint16_t port)
{
	struct tcp_conn *c = &nif->tcp;

	if (!nif->ip)
		return -ENOTCONN;
	tcp_reset_conn(nif, (uint16_t)(49152 + rdtsc() % 16384));
	c->remote_ip = ip;
	c->remote_port = port;
	c->iss = (uint32_t)rdtsc();
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->state = TCP_SYN_SENT;
	tcp_output(nif, c, false);
	return 0;
}

int tcp_listen(struct netif *nif, uint16_t port)
{
	if (!nif->ip)
		return -ENOTCONN;
	tcp_reset_conn(nif, port);
	nif->tcp.state = TCP_LISTEN;
	return 0;
}

int tcp_send(struct netif *nif, const void *data, uint32_t len)
{
	struct tcp_conn *c = &nif->tcp;
	uint32_t n;

	if (c->error)
		return c->error;
	if (c->closing || (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT &&
			   c->state != TCP_SYN_SENT && c->state != TCP_SYN_RCVD))
		return -ENOTCONN;
	n = MIN(len, TCP_BUF_SIZE - c->snd_len);
	memcpy(c->snd_buf + c->snd_len, data, n);
	c->snd_len += n;
	tcp_output(nif, c, false);
	return (int)n;
}

int tcp_recv(struct netif *nif, void *buf, uint32_t size)
{
	struct tcp_conn *c = &nif->tcp;
	uint8_t *out = buf;
	uint32_t n = MIN(size, c->rcv_len), i;

	if (!n)
		return c->error;
	for (i = 0; i < n; i++)
		out[i] = c->rcv_buf[(c->rcv_head + i) % TCP_BUF_SIZE];
	c->rcv_head = (c->rcv_head + n) % TCP_BUF_SIZE;
	c->rcv_len -= n;
	/* The peer may be stalled on a small window: tell it there is room. */
	if (c->rcv_wnd_sent < TCP_BUF_SIZE / 2 && tcp_window(c) >= TCP_BUF_SIZE / 2)
		c->ack_needed = true;
	return (int)n;
}

void tcp_close(struct netif *nif)
{
	struct tcp_conn *c = &nif->tcp;

	if (c->state == TCP_LISTEN || c->state == TCP_SYN_SENT) {
		c->state = TCP_CLOSED;
		return;
	}
	c->closing = true;
	tcp_output(nif, c, false);
}

bool tcp_is_done(const struct netif *nif)
{
	return nif->tcp.state == TCP_CLOSED || nif->tcp.state == TCP_TIME_WAIT;
}

bool tcp_eof(const struct netif *nif)
{
	return nif->tcp.fin_rcvd && !nif->tcp.rcv_len;
}

bool tcp_is_established(const struct netif *nif)
{
	return nif->tcp.state >= TCP_ESTABLISHED;
}

void tcp_abort(struct netif *nif)
{
	nif->tcp.state = TCP_CLOSED;
	nif->tcp.rto_at_ms = 0;
}

/* Resolves, opens and polls until the handshake finished or failed. 0 or -errno. */
int tcp_connect_wait(struct netif *nif, uint32_t ip, uint16_t port, uint32_t timeout_ms)
{
	uint64_t end = net_now_ms() + timeout_ms;
	int ret;

	if (arp_resolve(nif, ip_next_hop(nif, ip), timeout_ms))
		return -ETIMEDOUT;
	ret = tcp_connect(nif, ip, port);
	if (ret)
		return ret;
	while (!tcp_is_established(nif) && !nif->tcp.error && net_now_ms() < end)
		net_poll(nif, 10);
	if (nif->tcp.error)
		return nif->tcp.error;
	if (!tcp_is_established(nif)) {
		tcp_abort(nif);
		return -ETIMEDOUT;
	}
	return 0;
}
