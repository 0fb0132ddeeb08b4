/* SPDX-License-Identifier: MIT */
/*
 * vsock_uds's connections: the table keyed by (host port, guest port),
 * what each watches on its socket, the credit both ways, guest data to the
 * socket, the guest's packets for a connection, and the packets a
 * connection has for the guest. The listener, the CONNECT handshake and
 * the event loop side are vsock_uds.c's.
 *
 * A connection owes the guest control packets (bits in owed) and, while its
 * host socket is readable and the guest has credit, data; such connections
 * wait on the rx queue until the device has a receive buffer for them
 * (vsock_uds_rx_next()). The socket is watched only for what is wanted now
 * (vsock_conn_update_watch()): its handshake line, data when the previous
 * read found none, room when guest data is buffered. So a guest that stops
 * reading, or gives no credit, leaves the socket unwatched and costs
 * nothing.
 *
 * Guest data goes straight from guest memory to the socket; what the socket
 * does not take waits in a per-connection ring of VSOCK_UDS_BUF_ALLOC bytes
 * (allocated on first need), which is exactly the credit the guest gets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "devices/virtio/virtio_vsock_hdr.h"
#include "net/vsock_uds_priv.h"

/* ---- the table ---- */

static uint32_t conn_hash(uint32_t local_port, uint32_t peer_port)
{
	return ((local_port * 0x9e3779b1u) ^ peer_port) & (VSOCK_UDS_HASH_SIZE - 1);
}

struct vsock_conn *vsock_conn_find(struct vsock_uds *u, uint32_t local_port, uint32_t peer_port)
{
	struct vsock_conn *c;

	for (c = u->hash[conn_hash(local_port, peer_port)]; c; c = c->hash_next)
		if (c->local_port == local_port && c->peer_port == peer_port)
			return c;
	return NULL;
}

void vsock_conn_hash_add(struct vsock_uds *u, struct vsock_conn *c)
{
	uint32_t h = conn_hash(c->local_port, c->peer_port);

	c->hash_next = u->hash[h];
	u->hash[h] = c;
	c->hashed = true;
}

static void conn_hash_del(struct vsock_uds *u, struct vsock_conn *c)
{
	struct vsock_conn **p = &u->hash[conn_hash(c->local_port, c->peer_port)];

	if (!c->hashed)
		return;
	while (*p && *p != c)
		p = &(*p)->hash_next;
	if (*p)
		*p = c->hash_next;
	c->hashed = false;
}

struct vsock_conn *vsock_conn_alloc(struct vsock_uds *u, int fd)
{
	for (uint32_t i = 0; i < VSOCK_UDS_MAX_CONNS; i++) {
		struct vsock_conn *c = &u->conns[i];

		if (c->state == VSOCK_CONN_FREE) {
			*c = (struct vsock_conn){ .state = VSOCK_CONN_HANDSHAKE, .fd = fd };
			u->nr_conns++;
			return c;
		}
	}
	return NULL;
}

static uint64_t conn_tag(const struct vsock_uds *u, const struct vsock_conn *c)
{
	return (uint64_t)(c - u->conns);
}

/* Registers what the connection wants to hear about now. */
void vsock_conn_update_watch(struct vsock_uds *u, struct vsock_conn *c)
{
	struct epoll_event ev = { .data.u64 = conn_tag(u, c) };
	uint32_t want = 0;
	int op;

	if (c->fd < 0)
		return;
	if (c->state == VSOCK_CONN_HANDSHAKE ||
	    (c->state == VSOCK_CONN_OPEN && !c->readable && !c->host_eof && !c->guest_shut_rcv))
		want |= EPOLLIN;
	if (c->state == VSOCK_CONN_OPEN && c->rcv_cnt != c->fwd_cnt)
		want |= EPOLLOUT;
	if (want == c->watching)
		return;
	op = !c->watching ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	ev.events = want;
	if (epoll_ctl(u->epfd, op, c->fd, &ev) < 0) {
		log_warn("vsock: cannot watch a host socket: %s", strerror(errno));
		return;
	}
	c->watching = want;
}

static void conn_close_fd(struct vsock_uds *u, struct vsock_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->watching)
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->watching = 0;
}

void vsock_rx_queue_del(struct vsock_uds *u, struct vsock_conn *c)
{
	struct vsock_conn **p = &u->rx_head, *prev = NULL;

	if (!c->queued)
		return;
	while (*p && *p != c) {
		prev = *p;
		p = &(*p)->rx_next;
	}
	if (*p)
		*p = c->rx_next;
	if (u->rx_tail == c)
		u->rx_tail = prev;
	c->queued = false;
	c->rx_next = NULL;
}

void vsock_rx_queue_add(struct vsock_uds *u, struct vsock_conn *c)
{
	if (c->queued)
		return;
	c->rx_next = NULL;
	if (u->rx_tail)
		u->rx_tail->rx_next = c;
	else
		u->rx_head = c;
	u->rx_tail = c;
	c->queued = true;
}

/* Frees the slot: socket closed, out of the table and the rx queue, nothing owed. */
void vsock_conn_free(struct vsock_uds *u, struct vsock_conn *c)
{
	conn_close_fd(u, c);
	vsock_rx_queue_del(u, c);
	conn_hash_del(u, c);
	free(c->buf);
	*c = (struct vsock_conn){ .state = VSOCK_CONN_FREE, .fd = -1 };
	u->nr_conns--;
}

/* Ends a connection the guest knows of: socket closed, RST owed (the slot is freed once it is sent). */
void vsock_conn_reset(struct vsock_uds *u, struct vsock_conn *c)
{
	conn_close_fd(u, c);
	free(c->buf);
	c->buf = NULL;
	c->state = VSOCK_CONN_DEAD;
	c->owed = OWE_RST;
	c->deadline_ns = 0;
	vsock_rx_queue_add(u, c);
}

static void tick_start(struct vsock_uds *u)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = VSOCK_UDS_TICK_MS * 1000000L },
		.it_value = { .tv_nsec = VSOCK_UDS_TICK_MS * 1000000L },
	};

	if (u->ticking)
		return;
	if (timerfd_settime(u->timer_fd, 0, &its, NULL) == 0)
		u->ticking = true;
}

void vsock_conn_set_deadline(struct vsock_uds *u, struct vsock_conn *c, uint32_t ms)
{
	c->deadline_ns = clock_monotonic_ns() + (uint64_t)ms * 1000000;
	tick_start(u);
}

/* An RST for a connection that does not exist (or no longer does); dropped if too many wait. */
void vsock_rst_queue(struct vsock_uds *u, const struct virtio_vsock_hdr *to)
{
	struct vsock_rst *r;

	if (u->rst_len == VSOCK_UDS_PENDING_RST) {
		log_guest("vsock: the guest sends faster than it takes replies: RST to port %u dropped",
			  to->src_port);
		return;
	}
	r = &u->rst[(u->rst_head + u->rst_len++) % VSOCK_UDS_PENDING_RST];
	r->src_cid = to->dst_cid;
	r->src_port = to->dst_port;
	r->dst_port = to->src_port;
}

/* ---- credit ---- */

/* Bytes the guest can take now (5.10.6.3: buf_alloc - (tx_cnt - peer_fwd_cnt)). */
uint32_t vsock_conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->rx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

bool vsock_conn_can_read(const struct vsock_conn *c)
{
	return c->state == VSOCK_CONN_OPEN && c->readable && !c->host_eof && !c->guest_shut_rcv;
}

/* Whether the connection has a packet for the guest now. */
bool vsock_conn_wants_rx(const struct vsock_conn *c)
{
	return c->owed || (vsock_conn_can_read(c) && vsock_conn_peer_credit(c) > 0);
}

/* Tells the guest about freed buffer space once less than half of it seems free to the guest. */
static void conn_maybe_credit_update(struct vsock_uds *u, struct vsock_conn *c)
{
	if (c->fwd_cnt != c->fwd_cnt_told && c->rcv_cnt - c->fwd_cnt_told > VSOCK_UDS_BUF_ALLOC / 2) {
		c->owed |= OWE_CREDIT_UPDATE;
		vsock_rx_queue_add(u, c);
	}
}

/* ---- guest -> host data ---- */

static ssize_t sock_writev(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t n;

	do {
		n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Both directions are over: the guest said it sends no more (and all of it went out), the host likewise. */
static bool conn_finished(const struct vsock_conn *c)
{
	return c->guest_shut_send && c->rcv_cnt == c->fwd_cnt && (c->host_eof || c->guest_shut_rcv);
}

/* After the ring emptied or the guest shut down: half-close the host socket, or end the connection. */
static void conn_after_flush(struct vsock_uds *u, struct vsock_conn *c)
{
	if (c->rcv_cnt != c->fwd_cnt || !c->guest_shut_send)
		return;
	if (conn_finished(c)) {
		vsock_conn_reset(u, c);
		return;
	}
	c->deadline_ns = 0;
	if (shutdown(c->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		log_debug("vsock: shutdown of a host socket: %s", strerror(errno));
}

/* Writes what the ring holds; a broken socket resets the connection. */
void vsock_conn_flush(struct vsock_uds *u, struct vsock_conn *c)
{
	uint32_t len = c->rcv_cnt - c->fwd_cnt;
	uint32_t first = VSOCK_UDS_BUF_ALLOC - c->buf_start;
	struct iovec iov[2];
	int iovcnt = 1;
	ssize_t n;

	if (!len || c->fd < 0)
		return;
	if (first >= len) {
		iov[0] = (struct iovec){ c->buf + c->buf_start, len };
	} else {
		iov[0] = (struct iovec){ c->buf + c->buf_start, first };
		iov[1] = (struct iovec){ c->buf, len - first };
		iovcnt = 2;
	}
	n = sock_writev(c->fd, iov, iovcnt);
	if (n == -EAGAIN)
		return;
	if (n < 0) {
		log_debug("vsock: host socket of port %u: %s", c->local_port, strerror((int)-n));
		vsock_conn_reset(u, c);
		return;
	}
	c->fwd_cnt += (uint32_t)n;
	c->buf_start = (uint32_t)((c->buf_start + (uint32_t)n) % VSOCK_UDS_BUF_ALLOC);
	conn_maybe_credit_update(u, c);
	conn_after_flush(u, c);
	if (c->state == VSOCK_CONN_OPEN)
		vsock_conn_update_watch(u, c);
}

/* Appends bytes [skip, len) of the payload to the ring (room checked by the caller). */
static int conn_buffer(struct vsock_conn *c, const struct iovec *iov, int iovcnt, uint32_t skip)
{
	uint32_t end;

	if (!c->buf && !(c->buf = malloc(VSOCK_UDS_BUF_ALLOC)))
		return -ENOMEM;
	end = (uint32_t)((c->buf_start + (c->rcv_cnt - c->fwd_cnt)) % VSOCK_UDS_BUF_ALLOC);
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t n = iov[i].iov_len;

		if (skip >= n) {
			skip -= (uint32_t)n;
			continue;
		}
		p += skip;
		n -= skip;
		skip = 0;
		while (n) {
			size_t chunk = VSOCK_UDS_BUF_ALLOC - end < n ? VSOCK_UDS_BUF_ALLOC - end : n;

			memcpy(c->buf + end, p, chunk);
			end = (uint32_t)((end + chunk) % VSOCK_UDS_BUF_ALLOC);
			p += chunk;
			n -= chunk;
			c->rcv_cnt += (uint32_t)chunk;
		}
	}
	return 0;
}

/* An RW packet on an open connection. */
static void conn_guest_data(struct vsock_uds *u, struct vsock_conn *c, const struct virtio_vsock_hdr *pkt,
			    const struct iovec *iov, int iovcnt)
{
	uint32_t buffered = c->rcv_cnt - c->fwd_cnt;
	ssize_t n = 0;

	if (!pkt->len)
		return;
	if (c->guest_shut_send || pkt->len > VSOCK_UDS_BUF_ALLOC - buffered) {
		log_guest("vsock: guest port %u sent %u bytes %s: connection reset", c->peer_port, pkt->len,
			  c->guest_shut_send ? "after its shutdown" : "beyond the credit it was given");
		vsock_conn_reset(u, c);
		return;
	}
	if (!buffered) {
		/* The common case: straight from guest memory to the socket. */
		if (iovcnt > VSOCK_UDS_MAX_IOV)
			iovcnt = VSOCK_UDS_MAX_IOV;
		memcpy(u->iov, iov, (size_t)iovcnt * sizeof(*iov));
		n = sock_writev(c->fd, u->iov, iovcnt);
		if (n == -EAGAIN)
			n = 0;
		if (n < 0) {
			log_debug("vsock: host socket of port %u: %s", c->local_port, strerror((int)-n));
			vsock_conn_reset(u, c);
			return;
		}
		c->rcv_cnt += (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	if ((uint32_t)n < pkt->len) {
		if (conn_buffer(c, iov, iovcnt, (uint32_t)n)) {
			log_warn("vsock: out of memory for a connection's buffer: connection reset");
			vsock_conn_reset(u, c);
			return;
		}
		if (buffered)
			vsock_conn_flush(u, c);
	}
	if (c->state != VSOCK_CONN_OPEN)
		return;
	conn_maybe_credit_update(u, c);
	vsock_conn_update_watch(u, c);
}

/* A guest REQUEST to host port P: connect to "<uds>_<P>". */
void vsock_conn_guest_connect(struct vsock_uds *u, const struct virtio_vsock_hdr *pkt)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c;
	int fd, ret;

	if (u->nr_conns == VSOCK_UDS_MAX_CONNS) {
		log_guest("vsock: %u connections open: the guest's request to port %u refused",
			  VSOCK_UDS_MAX_CONNS, pkt->dst_port);
		vsock_rst_queue(u, pkt);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", u->path, pkt->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("vsock: socket: %s", strerror(errno));
		vsock_rst_queue(u, pkt);
		return;
	}
	do {
		ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		log_debug("vsock: guest connects to port %u: %s: %s", pkt->dst_port, sa.sun_path, strerror(errno));
		close(fd);
		vsock_rst_queue(u, pkt);
		return;
	}
	c = vsock_conn_alloc(u, fd);
	c->state = VSOCK_CONN_OPEN;
	c->local_port = pkt->dst_port;
	c->peer_port = pkt->src_port;
	c->peer_buf_alloc = pkt->buf_alloc;
	c->peer_fwd_cnt = pkt->fwd_cnt;
	vsock_conn_hash_add(u, c);
	c->owed = OWE_RESPONSE;
	vsock_rx_queue_add(u, c);
	vsock_conn_update_watch(u, c);
}

/* The guest answered our REQUEST: the host program gets "OK <port>\n". */
static void conn_established(struct vsock_uds *u, struct vsock_conn *c)
{
	char ok[32];
	int len = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);
	ssize_t n;

	c->state = VSOCK_CONN_OPEN;
	c->deadline_ns = 0;
	do {
		n = send(c->fd, ok, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != len) {
		/* A fresh socket has room for 16 bytes: the program went away. */
		vsock_conn_reset(u, c);
		return;
	}
	vsock_conn_update_watch(u, c);
}

static void conn_guest_shutdown(struct vsock_uds *u, struct vsock_conn *c, uint32_t flags)
{
	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV) {
		c->guest_shut_rcv = true;
		c->readable = false;
	}
	if ((flags & VIRTIO_VSOCK_SHUTDOWN_SEND) && !c->guest_shut_send) {
		c->guest_shut_send = true;
		if (c->rcv_cnt != c->fwd_cnt)
			vsock_conn_set_deadline(u, c, VSOCK_UDS_CLOSE_TIMEOUT_MS);
	}
	conn_after_flush(u, c);
	if (c->state == VSOCK_CONN_OPEN)
		vsock_conn_update_watch(u, c);
}

/* A packet for a connection in the table. */
void vsock_conn_guest_pkt(struct vsock_uds *u, struct vsock_conn *c, const struct virtio_vsock_hdr *pkt,
			  const struct iovec *iov, int iovcnt)
{
	if (pkt->op == VIRTIO_VSOCK_OP_RST) {
		vsock_conn_free(u, c);
		return;
	}
	if (c->state == VSOCK_CONN_DEAD) {
		/* Its RST is on the way; a new REQUEST on the same ports starts over. */
		if (pkt->op == VIRTIO_VSOCK_OP_REQUEST) {
			vsock_conn_free(u, c);
			vsock_conn_guest_connect(u, pkt);
		}
		return;
	}
	c->peer_buf_alloc = pkt->buf_alloc;
	c->peer_fwd_cnt = pkt->fwd_cnt;
	if (vsock_conn_peer_credit(c))
		c->credit_asked = false;

	switch (pkt->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state != VSOCK_CONN_REQUEST)
			goto out_reset;
		conn_established(u, c);
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != VSOCK_CONN_OPEN)
			goto out_reset;
		conn_guest_data(u, c, pkt, iov, iovcnt);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (c->state != VSOCK_CONN_OPEN)
			goto out_reset;
		conn_guest_shutdown(u, c, pkt->flags);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->owed |= OWE_CREDIT_UPDATE;
		vsock_rx_queue_add(u, c);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break;
	case VIRTIO_VSOCK_OP_REQUEST:
		log_guest("vsock: REQUEST from guest port %u to host port %u, which are connected: reset",
			  pkt->src_port, pkt->dst_port);
		goto out_reset;
	default:
		log_guest("vsock: unknown op %u from guest port %u: connection reset", pkt->op, pkt->src_port);
		goto out_reset;
	}
	if (c->state == VSOCK_CONN_OPEN && vsock_conn_wants_rx(c))
		vsock_rx_queue_add(u, c);
	return;

out_reset:
	vsock_conn_reset(u, c);
}

/* ---- packets to the guest ---- */

static void pkt_fill(const struct vsock_uds *u, struct vsock_conn *c, struct virtio_vsock_hdr *pkt, uint16_t op)
{
	*pkt = (struct virtio_vsock_hdr){
		.src_cid = VSOCK_CID_HOST, .dst_cid = u->guest_cid,
		.src_port = c->local_port, .dst_port = c->peer_port,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = VSOCK_UDS_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_told = c->fwd_cnt;
	c->owed &= ~OWE_CREDIT_UPDATE;
}

/* Reads up to the guest's credit and cap from the host socket into iov: 1 with an RW packet, or 0. */
static int conn_rx_data(struct vsock_uds *u, struct vsock_conn *c, struct virtio_vsock_hdr *pkt,
			const struct iovec *iov, int iovcnt, uint32_t cap)
{
	uint32_t want = vsock_conn_peer_credit(c), got = 0;
	int n_iov = 0;
	ssize_t n;

	if (!want) {
		if (!c->credit_asked) {
			c->credit_asked = true;
			c->owed |= OWE_CREDIT_REQUEST;
		}
		return 0;
	}
	if (want > cap)
		want = cap;
	for (int i = 0; i < iovcnt && n_iov < VSOCK_UDS_MAX_IOV && got < want; i++) {
		size_t len = iov[i].iov_len < want - got ? iov[i].iov_len : want - got;

		if (!len)
			continue;
		u->iov[n_iov++] = (struct iovec){ iov[i].iov_base, len };
		got += (uint32_t)len;
	}
	if (!got)
		return 0;
	do {
		n = readv(c->fd, u->iov, n_iov);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_RW);
		pkt->len = (uint32_t)n;
		c->rx_cnt += (uint32_t)n;
		return 1;
	}
	c->readable = false;
	if (n == 0) {
		/* The program closed or half-closed: the guest reads the end of the stream. */
		c->host_eof = true;
		c->owed |= OWE_SHUTDOWN;
		if (conn_finished(c))
			vsock_conn_reset(u, c);
	} else if (errno != EAGAIN) {
		log_debug("vsock: host socket of port %u: %s", c->local_port, strerror(errno));
		vsock_conn_reset(u, c);
	}
	if (c->state == VSOCK_CONN_OPEN)
		vsock_conn_update_watch(u, c);
	return 0;
}

/* One packet from connection c, if it has one: 1, or 0. */
int vsock_conn_rx(struct vsock_uds *u, struct vsock_conn *c, struct virtio_vsock_hdr *pkt,
		  const struct iovec *iov, int iovcnt, uint32_t cap)
{
	if (c->owed & OWE_RST) {
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_RST);
		vsock_conn_free(u, c);
		return 1;
	}
	if (c->owed & OWE_REQUEST) {
		c->owed &= ~OWE_REQUEST;
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_REQUEST);
		return 1;
	}
	if (c->owed & OWE_RESPONSE) {
		c->owed &= ~OWE_RESPONSE;
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_RESPONSE);
		return 1;
	}
	if (vsock_conn_can_read(c) && conn_rx_data(u, c, pkt, iov, iovcnt, cap))
		return 1;
	if (c->owed & OWE_RST)
		return vsock_conn_rx(u, c, pkt, iov, iovcnt, cap);
	if (c->owed & OWE_SHUTDOWN) {
		c->owed &= ~OWE_SHUTDOWN;
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_SHUTDOWN);
		pkt->flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
		return 1;
	}
	if (c->owed & OWE_CREDIT_REQUEST) {
		c->owed &= ~OWE_CREDIT_REQUEST;
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
		return 1;
	}
	if (c->owed & OWE_CREDIT_UPDATE) {
		pkt_fill(u, c, pkt, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
		return 1;
	}
	return 0;
}
