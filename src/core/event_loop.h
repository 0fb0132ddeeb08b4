/* SPDX-License-Identifier: MIT */
/*
 * The VM's event loop: an epoll set of file descriptors, each with a
 * callback, run on one thread until event_loop_stop().
 */
#ifndef VESSEL_CORE_EVENT_LOOP_H
#define VESSEL_CORE_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/* Enough for every device at its largest: 4 NICs of 8 queue pairs (25 fds each), 8 disks of 16 queues. */
#define EVENT_LOOP_MAX_HANDLERS 256

typedef void (*event_fn)(void *ctx, uint32_t events);

struct event_handler {
	int fd;
	event_fn fn;
	void *ctx;
};

struct event_loop {
	int epfd;
	bool stopping;
	struct event_handler handlers[EVENT_LOOP_MAX_HANDLERS];
	/* Called when no event came within idle_ms (if idle_fn set). */
	void (*idle_fn)(void *ctx);
	void *idle_ctx;
	int idle_ms;
};

__attribute__((warn_unused_result))
int event_loop_init(struct event_loop *loop);
/* Watches fd for events (EPOLLIN...); 0 or -errno (-EPERM for regular files). */
__attribute__((warn_unused_result))
int event_loop_add(struct event_loop *loop, int fd, uint32_t events, event_fn fn, void *ctx);
void event_loop_del(struct event_loop *loop, int fd);
/* Runs handlers until event_loop_stop() is called from a handler. */
int event_loop_run(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);

#endif
