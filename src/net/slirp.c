/* SPDX-License-Identifier: MIT */
/*
 * User-mode NAT backend: libslirp on 10.0.2.0/24 (guest 10.0.2.15 by DHCP,
 * gateway 10.0.2.2, DNS 10.0.2.3), with host port forwards.
 *
 * libslirp wants a poll() loop; vessel has an epoll event loop. The bridge:
 * the sockets libslirp asks to watch live in an epoll set of our own (one fd
 * in the event loop), re-synced after every call into libslirp, and its
 * timers share one timerfd. Frames libslirp sends to the guest wait in a
 * bounded queue whose eventfd is the backend's rx_fd. Everything runs on the
 * event loop thread, so libslirp (not thread-safe) needs no lock.
 */
#include "net/net_backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/slirp_lib.h"

#define SLIRP_QUEUE_MAX     1024    /* frames waiting for the guest; then libslirp's drop */
#define SLIRP_MTU           1500

struct slirp_frame {
	struct slirp_frame *next;
	size_t len;                 /* header + frame */
	uint8_t data[];
};

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms;          /* -1: not armed */
};

struct slirp_watch {
	int fd;
	uint32_t events;            /* EPOLL* we asked for */
};

struct net_slirp {
	struct net_backend be;
	Slirp *slirp;
	struct event_loop *loop;
	int epfd;                   /* the sockets libslirp watches */
	int timer_fd;
	int queue_fd;               /* eventfd: non-zero while the queue is not empty */
	const struct slirp_fn *lib; /* libslirp, loaded on first use */

	struct slirp_frame *head, *tail;
	uint32_t queued;
	uint64_t dropped;

	struct slirp_timer *timers;

	/* pollfds of the last slirp_pollfds_fill(), and what epfd watches */
	struct pollfd *pfds;
	uint32_t nr_pfds, cap_pfds;
	struct slirp_watch *watches;
	uint32_t nr_watches, cap_watches;

	uint8_t tx_buf[NET_FRAME_MAX];
};

/* ---- libslirp callbacks ---- */

static ssize_t slirp_cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_frame *f;
	uint64_t one = 1;

	if (s->queued >= SLIRP_QUEUE_MAX || len > NET_FRAME_MAX) {
		/* The guest is not taking frames: TCP retransmits later. */
		s->dropped++;
		return (ssize_t)len;
	}
	f = malloc(sizeof(*f) + NET_VNET_HDR_LEN + len);
	if (!f)
		return -ENOMEM;
	f->next = NULL;
	f->len = NET_VNET_HDR_LEN + len;
	/* No offloads with libslirp: a zero header, num_buffers set by the device. */
	memset(f->data, 0, NET_VNET_HDR_LEN);
	memcpy(f->data + NET_VNET_HDR_LEN, buf, len);
	if (s->tail)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	if (s->queued++ == 0 && write(s->queue_fd, &one, sizeof(one)) < 0)
		log_warn("slirp: cannot signal the rx queue: %s", strerror(errno));
	return (ssize_t)len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
	log_guest("slirp: guest error: %s", msg);
}

static int64_t slirp_cb_clock_get_ns(void *opaque)
{
	return (int64_t)clock_monotonic_ns();
}

static void *slirp_cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void slirp_cb_register_poll_fd(int fd, void *opaque)
{
	/* Sockets are picked up from slirp_pollfds_fill() instead. */
}

static void slirp_cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void slirp_cb_notify(void *opaque)
{
	/* We re-sync the watched sockets after every call into libslirp. */
}

static const SlirpCb slirp_callbacks = {
	.send_packet = slirp_cb_send_packet,
	.guest_error = slirp_cb_guest_error,
	.clock_get_ns = slirp_cb_clock_get_ns,
	.timer_new = slirp_cb_timer_new,
	.timer_free = slirp_cb_timer_free,
	.timer_mod = slirp_cb_timer_mod,
	.register_poll_fd = slirp_cb_register_poll_fd,
	.unregister_poll_fd = slirp_cb_unregister_poll_fd,
	.notify = slirp_cb_notify,
};

/* ---- poll() <-> epoll bridge ---- */

static int slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	short pev = 0;

	if (s->nr_pfds == s->cap_pfds) {
		uint32_t cap = s->cap_pfds ? 2 * s->cap_pfds : 16;
		struct pollfd *p = realloc(s->pfds, cap * sizeof(*p));

		if (!p)
			return -1;      /* libslirp then skips this socket for one round */
		s->pfds = p;
		s->cap_pfds = cap;
	}
	if (events & SLIRP_POLL_IN)
		pev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		pev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		pev |= POLLPRI;
	s->pfds[s->nr_pfds] = (struct pollfd){ .fd = fd, .events = pev };
	return (int)s->nr_pfds++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short rev;
	int events = 0;

	if (idx < 0 || (uint32_t)idx >= s->nr_pfds)
		return 0;
	rev = s->pfds[idx].revents;
	if (rev & POLLIN)
		events |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		events |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		events |= SLIRP_POLL_PRI;
	if (rev & (POLLERR | POLLNVAL))
		events |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		events |= SLIRP_POLL_HUP;
	return events;
}

static uint32_t slirp_epoll_events(short pev)
{
	return (pev & POLLIN ? EPOLLIN : 0) | (pev & POLLOUT ? EPOLLOUT : 0) | (pev & POLLPRI ? EPOLLPRI : 0);
}

static bool slirp_pfds_has(const struct net_slirp *s, int fd)
{
	for (uint32_t i = 0; i < s->nr_pfds; i++)
		if (s->pfds[i].fd == fd)
			return true;
	return false;
}

/* Makes epfd watch exactly the sockets of the last fill, with their events. */
static void slirp_sync_watches(struct net_slirp *s)
{
	uint32_t i, j;

	/* Gone: closed fds already left the epoll set; the rest go now. */
	for (i = 0; i < s->nr_watches;) {
		if (!slirp_pfds_has(s, s->watches[i].fd)) {
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->watches[i].fd, NULL);
			s->watches[i] = s->watches[--s->nr_watches];
		} else {
			i++;
		}
	}
	for (i = 0; i < s->nr_pfds; i++) {
		struct epoll_event ev = { .events = slirp_epoll_events(s->pfds[i].events), .data.fd = s->pfds[i].fd };

		for (j = 0; j < s->nr_watches; j++)
			if (s->watches[j].fd == ev.data.fd)
				break;
		if (j < s->nr_watches) {
			if (s->watches[j].events == ev.events)
				continue;
			/* A reused fd number is no longer in the set: add it again. */
			if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, ev.data.fd, &ev) < 0 &&
			    epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
				log_warn("slirp: cannot watch fd %d: %s", ev.data.fd, strerror(errno));
			s->watches[j].events = ev.events;
			continue;
		}
		if (s->nr_watches == s->cap_watches) {
			uint32_t cap = s->cap_watches ? 2 * s->cap_watches : 16;
			struct slirp_watch *w = realloc(s->watches, cap * sizeof(*w));

			if (!w)
				return;
			s->watches = w;
			s->cap_watches = cap;
		}
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0 &&
		    (errno != EEXIST || epoll_ctl(s->epfd, EPOLL_CTL_MOD, ev.data.fd, &ev) < 0)) {
			log_warn("slirp: cannot watch fd %d: %s", ev.data.fd, strerror(errno));
			continue;
		}
		s->watches[s->nr_watches++] = (struct slirp_watch){ .fd = ev.data.fd, .events = ev.events };
	}
}

/* Runs expired libslirp timers; returns the next expiry in ms, or -1. */
static int64_t slirp_run_timers(struct net_slirp *s)
{
	int64_t now_ms = (int64_t)clock_monotonic_ns() / 1000000, next = -1;
	bool again = true;

	/* A callback may add, re-arm or free timers: restart the walk after one. */
	while (again) {
		again = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now_ms) {
				t->expire_ms = -1;
				t->cb(t->cb_opaque);
				again = true;
				break;
			}
		}
	}
	for (struct slirp_timer *t = s->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (next < 0 || t->expire_ms < next))
			next = t->expire_ms;
	return next;
}

/* After any call into libslirp: watch what it wants watched, wake at its next deadline. */
static void slirp_rearm(struct net_slirp *s)
{
	uint32_t timeout_ms = UINT32_MAX;
	int64_t next, now_ms = (int64_t)clock_monotonic_ns() / 1000000;
	struct itimerspec its = { 0 };

	s->nr_pfds = 0;
	s->lib->pollfds_fill(s->slirp, &timeout_ms, slirp_add_poll, s);
	slirp_sync_watches(s);

	next = slirp_run_timers(s);
	if (timeout_ms != UINT32_MAX && (next < 0 || now_ms + timeout_ms < next))
		next = now_ms + timeout_ms;
	if (next >= 0) {
		if (next <= now_ms)
			next = now_ms + 1;
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000;
	}
	/* it_value zero disarms. */
	timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* One poll round: what the sockets have for libslirp, then its timers. */
static void slirp_poll_once(struct net_slirp *s)
{
	uint32_t timeout_ms = 0;
	int n;

	s->nr_pfds = 0;
	s->lib->pollfds_fill(s->slirp, &timeout_ms, slirp_add_poll, s);
	n = poll(s->pfds, s->nr_pfds, 0);
	s->lib->pollfds_poll(s->slirp, n < 0, slirp_get_revents, s);
	slirp_rearm(s);
}

static void slirp_handle_sockets(void *ctx, uint32_t events)
{
	struct net_slirp *s = ctx;
	struct epoll_event evs[32];

	/* Harvest epfd's ready list; poll() in slirp_poll_once says what is ready. */
	while (epoll_wait(s->epfd, evs, 32, 0) == 32)
		;
	slirp_poll_once(s);
}

static void slirp_handle_timerfd(void *ctx, uint32_t events)
{
	struct net_slirp *s = ctx;
	uint64_t expirations;

	if (read(s->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("slirp: timerfd: %s", strerror(errno));
	slirp_poll_once(s);
}

/* ---- backend ops ---- */

static int net_slirp_send(struct net_backend *be, uint16_t q, const struct iovec *iov, int iovcnt)
{
	struct net_slirp *s = (struct net_slirp *)be;
	size_t skip = NET_VNET_HDR_LEN, len = 0;

	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t n = iov[i].iov_len;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		p += skip;
		n -= skip;
		skip = 0;
		if (n > sizeof(s->tx_buf) - len)
			return -EMSGSIZE;
		memcpy(s->tx_buf + len, p, n);
		len += n;
	}
	s->lib->input(s->slirp, s->tx_buf, (int)len);
	slirp_rearm(s);
	return 0;
}

static ssize_t net_slirp_recv(struct net_backend *be, uint16_t q, void *buf, size_t len)
{
	struct net_slirp *s = (struct net_slirp *)be;
	struct slirp_frame *f = s->head;
	uint64_t count;
	ssize_t n;

	if (!f)
		return -EAGAIN;
	s->head = f->next;
	if (!s->head)
		s->tail = NULL;
	if (--s->queued == 0 && read(s->queue_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("slirp: cannot clear the rx queue signal: %s", strerror(errno));
	n = f->len <= len ? (ssize_t)f->len : -EMSGSIZE;
	if (n > 0)
		memcpy(buf, f->data, f->len);
	free(f);
	return n;
}

static int net_slirp_set_offload(struct net_backend *be, uint32_t offloads)
{
	return 0;   /* frames from libslirp never carry offloads */
}

static void net_slirp_free(struct net_slirp *s)
{
	if (s->slirp)
		s->lib->cleanup(s->slirp);
	while (s->timers)
		slirp_cb_timer_free(s->timers, s);
	while (s->head) {
		struct slirp_frame *f = s->head;

		s->head = f->next;
		free(f);
	}
	if (s->epfd >= 0) {
		event_loop_del(s->loop, s->epfd);
		close(s->epfd);
	}
	if (s->timer_fd >= 0) {
		event_loop_del(s->loop, s->timer_fd);
		close(s->timer_fd);
	}
	if (s->queue_fd >= 0)
		close(s->queue_fd);
	free(s->pfds);
	free(s->watches);
	free(s);
}

static void net_slirp_destroy(struct net_backend *be)
{
	net_slirp_free((struct net_slirp *)be);
}

static const struct net_backend_ops net_slirp_ops = {
	.send = net_slirp_send,
	.recv = net_slirp_recv,
	.set_offload = net_slirp_set_offload,
	.destroy = net_slirp_destroy,
};

static int net_slirp_add_hostfwds(struct net_slirp *s, const struct net_config *cfg, struct in_addr guest,
				  char *err, size_t errlen)
{
	for (uint32_t i = 0; i < cfg->nr_hostfwd; i++) {
		const struct net_hostfwd *h = &cfg->hostfwd[i];
		struct in_addr host_addr = { .s_addr = h->host_addr };
		struct in_addr guest_addr = { .s_addr = h->guest_addr ? h->guest_addr : guest.s_addr };

		if (s->lib->add_hostfwd(s->slirp, h->udp, host_addr, h->host_port, guest_addr, h->guest_port) < 0) {
			snprintf(err, errlen, "--net user: hostfwd %s host port %u: cannot listen "
				 "(in use, or a privileged port?)", h->udp ? "udp" : "tcp", h->host_port);
			return -EADDRINUSE;
		}
	}
	return 0;
}

int net_slirp_create(const struct net_config *cfg, struct event_loop *loop,
		     struct net_backend **out, char *err, size_t errlen)
{
	SlirpConfig sc = {
		.version = 4,
		.in_enabled = true,
		.if_mtu = SLIRP_MTU,
		.if_mru = SLIRP_MTU,
		.vhostname = "vessel",
	};
	struct net_slirp *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "--net user: out of memory");
		return -ENOMEM;
	}
	s->loop = loop;
	s->epfd = s->timer_fd = s->queue_fd = -1;
	s->lib = slirp_lib_load(err, errlen);
	if (!s->lib) {
		free(s);
		return -ENOENT;
	}
	inet_pton(AF_INET, "10.0.2.0", &sc.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &sc.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &sc.vhost);
	inet_pton(AF_INET, "10.0.2.15", &sc.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &sc.vnameserver);

	ret = -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->queue_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epfd < 0 || s->timer_fd < 0 || s->queue_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "--net user: %s", strerror(-ret));
		goto out_free;
	}
	s->slirp = s->lib->new_(&sc, &slirp_callbacks, s);
	if (!s->slirp) {
		ret = -ENOMEM;
		snprintf(err, errlen, "--net user: libslirp failed to start");
		goto out_free;
	}
	ret = net_slirp_add_hostfwds(s, cfg, sc.vdhcp_start, err, errlen);
	if (ret)
		goto out_free;
	ret = event_loop_add(loop, s->epfd, EPOLLIN, slirp_handle_sockets, s);
	if (ret) {
		s->epfd = (close(s->epfd), -1);
		goto out_loop;
	}
	ret = event_loop_add(loop, s->timer_fd, EPOLLIN, slirp_handle_timerfd, s);
	if (ret) {
		s->timer_fd = (close(s->timer_fd), -1);
		goto out_loop;
	}
	slirp_rearm(s);

	s->be.ops = &net_slirp_ops;
	s->be.nr_queues = 1;
	s->be.rx_fd[0] = s->queue_fd;
	s->be.offloads = false;
	*out = &s->be;
	return 0;

out_loop:
	snprintf(err, errlen, "--net user: cannot register with the event loop: %s", strerror(-ret));
out_free:
	net_slirp_free(s);
	return ret;
}
