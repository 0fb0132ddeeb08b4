/* SPDX-License-Identifier: MIT */
#include "core/event_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int event_loop_init(struct event_loop *loop)
{
	*loop = (struct event_loop){ .idle_ms = -1, .epfd = -1 };
	for (int i = 0; i < EVENT_LOOP_MAX_HANDLERS; i++)
		loop->handlers[i].fd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

int event_loop_add(struct event_loop *loop, int fd, uint32_t events, event_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events };
	int slot;

	for (slot = 0; slot < EVENT_LOOP_MAX_HANDLERS; slot++)
		if (loop->handlers[slot].fd < 0)
			break;
	if (slot == EVENT_LOOP_MAX_HANDLERS)
		return -ENOSPC;
	ev.data.u32 = slot;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	loop->handlers[slot] = (struct event_handler){ .fd = fd, .fn = fn, .ctx = ctx };
	return 0;
}

void event_loop_del(struct event_loop *loop, int fd)
{
	for (int slot = 0; slot < EVENT_LOOP_MAX_HANDLERS; slot++) {
		if (loop->handlers[slot].fd == fd) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			loop->handlers[slot].fd = -1;
		}
	}
}

int event_loop_run(struct event_loop *loop)
{
	struct epoll_event events[16];

	while (!loop->stopping) {
		int timeout = loop->idle_fn ? loop->idle_ms : -1;
		int n = epoll_wait(loop->epfd, events, 16, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 && loop->idle_fn)
			loop->idle_fn(loop->idle_ctx);
		for (int i = 0; i < n && !loop->stopping; i++) {
			struct event_handler *h = &loop->handlers[events[i].data.u32];

			if (h->fd >= 0)
				h->fn(h->ctx, events[i].events);
		}
	}
	return 0;
}

void event_loop_stop(struct event_loop *loop)
{
	loop->stopping = true;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}
