/* SPDX-License-Identifier: MIT */
/*
 * The host side of virtio-vsock (vsock_uds.h): the listening Unix socket
 * and the CONNECT handshake of host programs, the guest's packets sorted to
 * their connection (or refused), the rx queue the device drains, deadlines,
 * the epoll set the event loop watches, and the lifetime. The connections
 * themselves are vsock_conn.c's.
 */
#include "net/vsock_uds.h"

#include <errno.h>
#include <fcntl.h>
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
#include "core/unix_socket.h"
#include "devices/virtio/virtio_vsock_hdr.h"
#include "net/vsock_config.h"
#include "net/vsock_uds_priv.h"

/* ---- packets from the guest ---- */

void vsock_uds_guest_pkt(struct vsock_uds *u, const struct virtio_vsock_hdr *pkt, const struct iovec *iov, int iovcnt)
{
	struct vsock_conn *c;

	if (pkt->dst_cid != VSOCK_CID_HOST || pkt->type != VIRTIO_VSOCK_TYPE_STREAM) {
		log_guest("vsock: guest packet %s %llu: refused with RST",
			  pkt->dst_cid != VSOCK_CID_HOST ? "to CID" : "of socket type",
			  (unsigned long long)(pkt->dst_cid != VSOCK_CID_HOST ? pkt->dst_cid : pkt->type));
		if (pkt->op != VIRTIO_VSOCK_OP_RST)
			vsock_rst_queue(u, pkt);
		return;
	}
	c = vsock_conn_find(u, pkt->dst_port, pkt->src_port);
	if (c) {
		vsock_conn_guest_pkt(u, c, pkt, iov, iovcnt);
		return;
	}
	switch (pkt->op) {
	case VIRTIO_VSOCK_OP_REQUEST:
		vsock_conn_guest_connect(u, pkt);
		break;
	case VIRTIO_VSOCK_OP_RST:
		break;
	default:
		/* No such connection (5.10.6.4): the sender learns so. */
		vsock_rst_queue(u, pkt);
		break;
	}
}

void vsock_uds_guest_refuse(struct vsock_uds *u, const struct virtio_vsock_hdr *pkt)
{
	struct vsock_conn *c = NULL;

	if (pkt->op == VIRTIO_VSOCK_OP_RST)
		return;
	if (pkt->dst_cid == VSOCK_CID_HOST)
		c = vsock_conn_find(u, pkt->dst_port, pkt->src_port);
	if (!c)
		vsock_rst_queue(u, pkt);
	else if (c->state == VSOCK_CONN_HANDSHAKE || c->state == VSOCK_CONN_DEAD)
		return;
	else
		vsock_conn_reset(u, c);
}

/* ---- packets to the guest ---- */

bool vsock_uds_rx_pending(const struct vsock_uds *u)
{
	return u->rst_len || u->rx_head;
}

int vsock_uds_rx_next(struct vsock_uds *u, struct virtio_vsock_hdr *pkt, const struct iovec *iov, int iovcnt,
		      uint32_t cap)
{
	struct vsock_conn *c;

	if (u->rst_len) {
		const struct vsock_rst *r = &u->rst[u->rst_head];

		*pkt = (struct virtio_vsock_hdr){
			.src_cid = r->src_cid, .dst_cid = u->guest_cid,
			.src_port = r->src_port, .dst_port = r->dst_port,
			.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RST,
		};
		u->rst_head = (u->rst_head + 1) % VSOCK_UDS_PENDING_RST;
		u->rst_len--;
		return 1;
	}
	while ((c = u->rx_head)) {
		int ret;

		vsock_rx_queue_del(u, c);
		ret = vsock_conn_rx(u, c, pkt, iov, iovcnt, cap);
		/* Round robin: a busy connection goes to the back. */
		if (c->state != VSOCK_CONN_FREE && vsock_conn_wants_rx(c))
			vsock_rx_queue_add(u, c);
		if (ret)
			return 1;
	}
	return 0;
}

/* ---- host events ---- */

/* A full "CONNECT <port>\n" line: the guest gets a REQUEST from a free host port. */
static void conn_handshake_line(struct vsock_uds *u, struct vsock_conn *c)
{
	char *end;
	unsigned long port;
	uint32_t local;

	c->line[c->line_len - 1] = '\0';
	if (c->line_len >= 2 && c->line[c->line_len - 2] == '\r')
		c->line[c->line_len - 2] = '\0';
	if (strncmp(c->line, "CONNECT ", 8) || c->line[8] < '0' || c->line[8] > '9')
		goto out_bad;
	errno = 0;
	port = strtoul(c->line + 8, &end, 10);
	if (*end || errno || port > UINT32_MAX)
		goto out_bad;
	for (local = u->next_local_port;; local++) {
		if (local < VSOCK_UDS_LOCAL_PORT_BASE)
			local = VSOCK_UDS_LOCAL_PORT_BASE;
		if (!vsock_conn_find(u, local, (uint32_t)port))
			break;
	}
	u->next_local_port = local + 1;
	c->local_port = local;
	c->peer_port = (uint32_t)port;
	vsock_conn_hash_add(u, c);
	c->state = VSOCK_CONN_REQUEST;
	c->owed = OWE_REQUEST;
	vsock_conn_set_deadline(u, c, VSOCK_UDS_CONNECT_TIMEOUT_MS);
	vsock_rx_queue_add(u, c);
	vsock_conn_update_watch(u, c);
	return;

out_bad:
	log_debug("vsock: a host program sent '%s', not CONNECT <port>: closed", c->line);
	vsock_conn_free(u, c);
}

/* Reads the CONNECT line, never past its '\n' (what follows is the stream's). */
static void conn_handshake_read(struct vsock_uds *u, struct vsock_conn *c)
{
	size_t room = sizeof(c->line) - c->line_len;
	char *nl;
	ssize_t n;

	n = recv(c->fd, c->line + c->line_len, room, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		vsock_conn_free(u, c);
		return;
	}
	nl = memchr(c->line + c->line_len, '\n', (size_t)n);
	if (nl)
		n = nl - (c->line + c->line_len) + 1;
	else if ((size_t)n == room)
		n = -1;
	if (n < 0 || recv(c->fd, c->line + c->line_len, (size_t)n, MSG_DONTWAIT) != n) {
		log_debug("vsock: a host program's CONNECT line is too long: closed");
		vsock_conn_free(u, c);
		return;
	}
	c->line_len = (uint8_t)(c->line_len + n);
	if (nl)
		conn_handshake_line(u, c);
}

/* A host-side warning a busy or hostile host program could repeat: rate limited like log_guest. */
#define log_host(...) do { \
		static struct log_ratelimit rl_; \
		if (log_ratelimit_allow(&rl_)) \
			log_warn(__VA_ARGS__); \
	} while (0)

static void uds_accept(struct vsock_uds *u)
{
	for (;;) {
		int fd = accept4(u->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_host("vsock: accept on %s: %s", u->path, strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		c = vsock_conn_alloc(u, fd);
		if (!c) {
			log_host("vsock: %u connections open: a host program's connection closed",
				 VSOCK_UDS_MAX_CONNS);
			close(fd);
			continue;
		}
		vsock_conn_set_deadline(u, c, VSOCK_UDS_CONNECT_TIMEOUT_MS);
		vsock_conn_update_watch(u, c);
	}
}

static void uds_tick(struct vsock_uds *u)
{
	uint64_t now = clock_monotonic_ns(), expirations;
	struct itimerspec off = { 0 };
	bool any = false;

	if (read(u->timer_fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	for (uint32_t i = 0; i < VSOCK_UDS_MAX_CONNS; i++) {
		struct vsock_conn *c = &u->conns[i];

		if (c->state == VSOCK_CONN_FREE || !c->deadline_ns)
			continue;
		if (c->deadline_ns > now) {
			any = true;
			continue;
		}
		c->deadline_ns = 0;
		if (c->state == VSOCK_CONN_HANDSHAKE) {
			log_debug("vsock: a host program sent no CONNECT line in time: closed");
			vsock_conn_free(u, c);
		} else {
			log_debug("vsock: guest port %u did not %s in time: reset", c->peer_port,
				  c->state == VSOCK_CONN_REQUEST ? "answer" : "let its data go");
			vsock_conn_reset(u, c);
		}
	}
	if (!any) {
		timerfd_settime(u->timer_fd, 0, &off, NULL);
		u->ticking = false;
	}
}

static void conn_event(struct vsock_uds *u, struct vsock_conn *c, uint32_t events)
{
	if (c->state == VSOCK_CONN_HANDSHAKE) {
		conn_handshake_read(u, c);
		return;
	}
	if (c->state != VSOCK_CONN_OPEN)
		return;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		vsock_conn_flush(u, c);
	if (c->state != VSOCK_CONN_OPEN)
		return;
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (c->watching & EPOLLIN)) {
		c->readable = true;
		vsock_conn_update_watch(u, c);
		if (vsock_conn_wants_rx(c))
			vsock_rx_queue_add(u, c);
		else if (vsock_conn_can_read(c) && !vsock_conn_peer_credit(c) && !c->credit_asked) {
			c->credit_asked = true;
			c->owed |= OWE_CREDIT_REQUEST;
			vsock_rx_queue_add(u, c);
		}
	}
}

void vsock_uds_poll(struct vsock_uds *u)
{
	struct epoll_event events[64];
	int n;

	n = epoll_wait(u->epfd, events, 64, 0);
	for (int i = 0; i < n; i++) {
		uint64_t tag = events[i].data.u64;

		if (tag == EP_LISTEN)
			uds_accept(u);
		else if (tag == EP_TIMER)
			uds_tick(u);
		else if (tag < VSOCK_UDS_MAX_CONNS && u->conns[tag].state != VSOCK_CONN_FREE)
			conn_event(u, &u->conns[tag], events[i].events);
	}
}

int vsock_uds_fd(const struct vsock_uds *u)
{
	return u->epfd;
}

uint32_t vsock_uds_nr_conns(const struct vsock_uds *u)
{
	return u->nr_conns;
}

/* ---- lifetime ---- */

void vsock_uds_reset(struct vsock_uds *u)
{
	for (uint32_t i = 0; i < VSOCK_UDS_MAX_CONNS; i++)
		if (u->conns[i].state != VSOCK_CONN_FREE)
			vsock_conn_free(u, &u->conns[i]);
	u->rx_head = u->rx_tail = NULL;
	u->rst_len = 0;
}

static int uds_listen(struct vsock_uds *u, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EP_LISTEN };
	int fd, ret;

	fd = unix_socket_listen(u->path, "vsock: uds_path", err, errlen);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, errlen, "vsock: uds_path %s: %s", u->path, strerror(-ret));
		close(fd);
		unlink(u->path);
		return ret;
	}
	u->listen_fd = fd;
	return 0;
}

void vsock_uds_release(struct vsock_uds *u)
{
	vsock_uds_reset(u);
	if (u->listen_fd < 0)
		return;
	epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->listen_fd, NULL);
	close(u->listen_fd);
	u->listen_fd = -1;
	unlink(u->path);
}

int vsock_uds_reclaim(struct vsock_uds *u)
{
	char err[256];
	int ret;

	if (u->listen_fd >= 0)
		return 0;
	ret = uds_listen(u, err, sizeof(err));
	if (ret)
		log_error("%s", err);
	return ret;
}

int vsock_uds_create(const char *path, uint32_t guest_cid, struct vsock_uds **out, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EP_TIMER };
	struct vsock_uds *u;
	int ret;

	if (!path || !*path || strlen(path) > VSOCK_UDS_PATH_MAX) {
		snprintf(err, errlen, "vsock: uds_path must be 1 to %d bytes", VSOCK_UDS_PATH_MAX);
		return -ENAMETOOLONG;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "vsock: out of memory");
		return -ENOMEM;
	}
	strcpy(u->path, path);
	u->guest_cid = guest_cid;
	u->next_local_port = VSOCK_UDS_LOCAL_PORT_BASE;
	u->listen_fd = -1;
	for (uint32_t i = 0; i < VSOCK_UDS_MAX_CONNS; i++)
		u->conns[i].fd = -1;
	u->epfd = epoll_create1(EPOLL_CLOEXEC);
	u->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (u->epfd < 0 || u->timer_fd < 0 || epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->timer_fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, errlen, "vsock: %s", strerror(-ret));
		goto out_free;
	}
	ret = uds_listen(u, err, errlen);
	if (ret)
		goto out_free;
	*out = u;
	return 0;

out_free:
	if (u->timer_fd >= 0)
		close(u->timer_fd);
	if (u->epfd >= 0)
		close(u->epfd);
	free(u);
	return ret;
}

void vsock_uds_destroy(struct vsock_uds *u)
{
	if (!u)
		return;
	vsock_uds_release(u);
	close(u->timer_fd);
	close(u->epfd);
	free(u);
}
