/* SPDX-License-Identifier: MIT */
#include "core/console_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/console.h"
#include "core/console_ring.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/unix_socket.h"

struct console_client {
	struct console_server *srv;
	int fd;                     /* -1: a free slot */
	unsigned int id;            /* for log lines: the n-th client since start */
	uint64_t pos;               /* the next ring position to send it */
	bool input_open;            /* it has not shut down its sending side */
	bool input_blocked;         /* it sent input the guest had no room for yet */
	bool hung_up;               /* it closed the connection */
	bool dropped;               /* it fell a ring behind or its socket failed */
};

struct console_server {
	char *path;
	int listen_fd;
	int retry_fd;               /* timerfd: offers held-back input to the guest again */
	bool retry_armed;
	unsigned int nr_accepted;
	struct event_loop *loop;    /* NULL until attached */
	struct console *con;
	/* The ring and each client's fd, pos and dropped: output comes from vCPU threads. */
	pthread_mutex_t lock;
	struct console_ring ring;
	struct console_client clients[CONSOLE_SERVER_MAX_CLIENTS];
};

int console_server_create(struct console_server **out, const char *path, char *err, size_t errlen)
{
	struct console_server *srv;
	int ret;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		goto out_nomem;
	srv->path = strdup(path);
	if (!srv->path)
		goto out_free;
	console_ring_init(&srv->ring);
	for (int i = 0; i < CONSOLE_SERVER_MAX_CLIENTS; i++)
		srv->clients[i] = (struct console_client){ .srv = srv, .fd = -1 };
	srv->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv->retry_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "--console-sock: timerfd: %s", strerror(-ret));
		goto out_free_path;
	}
	srv->listen_fd = unix_socket_listen(path, "--console-sock", err, errlen);
	if (srv->listen_fd < 0) {
		ret = srv->listen_fd;
		goto out_close_timer;
	}
	pthread_mutex_init(&srv->lock, NULL);
	*out = srv;
	return 0;

out_close_timer:
	close(srv->retry_fd);
out_free_path:
	free(srv->path);
	free(srv);
	return ret;
out_free:
	free(srv);
out_nomem:
	snprintf(err, errlen, "--console-sock: out of memory");
	return -ENOMEM;
}

/*
 * Marks c for closing; the event loop closes it (shutdown() wakes it up).
 * why (NULL for a client that just left) is logged once.
 */
static void console_client_drop_locked(struct console_client *c, const char *why)
{
	if (c->dropped)
		return;
	c->dropped = true;
	if (why)
		log_info("console client %u %s: disconnected it", c->id, why);
	shutdown(c->fd, SHUT_RDWR);
}

/* Sends c what it has not had yet, as much as its socket takes now. */
static void console_client_send_locked(struct console_client *c)
{
	struct console_ring *ring = &c->srv->ring;

	while (!c->dropped) {
		const uint8_t *data;
		size_t len;
		ssize_t n;

		if (!console_ring_holds(ring, c->pos)) {
			console_client_drop_locked(c, "stopped reading its output");
			return;
		}
		len = console_ring_peek(ring, c->pos, &data);
		if (!len)
			return;
		n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				console_client_drop_locked(c, NULL);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				console_client_drop_locked(c, "cannot be written to");
			return;   /* EAGAIN: the rest goes when it reads (EPOLLOUT) or with the next output */
		}
		c->pos += (size_t)n;
		if ((size_t)n < len)
			return;
	}
}

void console_server_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct console_server *srv = ctx;

	pthread_mutex_lock(&srv->lock);
	console_ring_write(&srv->ring, buf, len);
	for (int i = 0; i < CONSOLE_SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			console_client_send_locked(&srv->clients[i]);
	pthread_mutex_unlock(&srv->lock);
}

static void console_server_close_client(struct console_server *srv, struct console_client *c)
{
	int fd = c->fd;

	event_loop_del(srv->loop, fd);
	pthread_mutex_lock(&srv->lock);
	c->fd = -1;
	pthread_mutex_unlock(&srv->lock);
	close(fd);
	log_debug("console client %u left", c->id);
}

/* Arms the retry timer while input is held back (in con or in a client's socket). */
static void console_server_update_retry(struct console_server *srv)
{
	bool want = srv->con->pending_len != 0;
	struct itimerspec its = { 0 };

	for (int i = 0; i < CONSOLE_SERVER_MAX_CLIENTS && !want; i++)
		want = srv->clients[i].fd >= 0 && srv->clients[i].input_blocked;
	if (want == srv->retry_armed)
		return;
	if (want) {
		its.it_value.tv_nsec = CONSOLE_SERVER_RETRY_MS * 1000000L;
		its.it_interval = its.it_value;
	}
	if (!timerfd_settime(srv->retry_fd, 0, &its, NULL))
		srv->retry_armed = want;
}

/*
 * Moves c's input into the console's pending input and on to the guest, as
 * long as there is room. The socket is edge triggered: read until EAGAIN, or
 * remember that input is left (input_blocked) for the retry timer.
 */
static void console_client_read(struct console_server *srv, struct console_client *c)
{
	struct console *con = srv->con;

	c->input_blocked = false;
	while (c->input_open) {
		size_t room = CONSOLE_PENDING_MAX - con->pending_len;
		ssize_t n;

		if (!room) {
			console_flush_pending(con);
			room = CONSOLE_PENDING_MAX - con->pending_len;
			if (!room) {
				c->input_blocked = true;
				return;
			}
		}
		n = recv(c->fd, con->pending + con->pending_len, room, MSG_DONTWAIT);
		if (n > 0) {
			con->pending_len += (size_t)n;
			console_flush_pending(con);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EOF or an error: a viewer that shut down its side still gets output. */
		c->input_open = false;
	}
}

/* Closes c once it is gone and its input is delivered (or it was dropped). */
static void console_client_reap(struct console_server *srv, struct console_client *c)
{
	bool dropped;

	if (c->fd < 0)
		return;
	pthread_mutex_lock(&srv->lock);
	dropped = c->dropped;
	pthread_mutex_unlock(&srv->lock);
	if (dropped || (c->hung_up && !c->input_blocked))
		console_server_close_client(srv, c);
}

static void console_client_on_event(void *ctx, uint32_t events)
{
	struct console_client *c = ctx;
	struct console_server *srv = c->srv;

	if (events & (EPOLLHUP | EPOLLERR))
		c->hung_up = true;
	if (events & EPOLLOUT) {
		pthread_mutex_lock(&srv->lock);
		console_client_send_locked(c);
		pthread_mutex_unlock(&srv->lock);
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		console_client_read(srv, c);
	console_client_reap(srv, c);
	console_server_update_retry(srv);
}

static void console_server_on_retry(void *ctx, uint32_t events)
{
	struct console_server *srv = ctx;
	uint64_t ticks;

	if (read(srv->retry_fd, &ticks, sizeof(ticks)) < 0) {
		/* EAGAIN: nothing expired; the checks below are harmless */
	}
	console_flush_pending(srv->con);
	for (int i = 0; i < CONSOLE_SERVER_MAX_CLIENTS; i++) {
		struct console_client *c = &srv->clients[i];

		if (c->fd >= 0 && c->input_blocked) {
			console_client_read(srv, c);
			console_client_reap(srv, c);
		}
	}
	console_server_update_retry(srv);
}

static void console_server_refuse(int fd, const char *line)
{
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* It is going away anyway. */
	}
	close(fd);
}

static void console_server_on_accept(void *ctx, uint32_t events)
{
	struct console_server *srv = ctx;
	struct console_client *c = NULL;
	int fd, ret;

	fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;   /* EAGAIN, or the peer left already */
	for (int i = 0; i < CONSOLE_SERVER_MAX_CLIENTS && !c; i++)
		if (srv->clients[i].fd < 0)
			c = &srv->clients[i];
	if (!c) {
		log_info("console: refused a client: %d are connected already", CONSOLE_SERVER_MAX_CLIENTS);
		console_server_refuse(fd, "vessel: too many console clients (at most 16); try again later\r\n");
		return;
	}
	pthread_mutex_lock(&srv->lock);
	*c = (struct console_client){ .srv = srv, .fd = -1, .id = ++srv->nr_accepted, .input_open = true };
	pthread_mutex_unlock(&srv->lock);
	ret = event_loop_add(srv->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			     console_client_on_event, c);
	if (ret) {
		log_warn("console: refused a client: event loop: %s", strerror(-ret));
		console_server_refuse(fd, "vessel: cannot serve another console client now\r\n");
		return;
	}
	/* History first: the ring from its oldest byte, then live output. */
	pthread_mutex_lock(&srv->lock);
	c->fd = fd;
	c->pos = console_ring_oldest(&srv->ring);
	console_client_send_locked(c);
	pthread_mutex_unlock(&srv->lock);
	log_debug("console client %u connected", c->id);
}

int console_server_attach(struct console_server *srv, struct console *con, struct event_loop *loop)
{
	int ret;

	if (!con || srv->loop)
		return -EINVAL;
	srv->con = con;
	srv->loop = loop;
	ret = event_loop_add(loop, srv->retry_fd, EPOLLIN, console_server_on_retry, srv);
	if (ret)
		goto out_detach;
	ret = event_loop_add(loop, srv->listen_fd, EPOLLIN, console_server_on_accept, srv);
	if (ret)
		goto out_del_retry;
	con->output = console_server_write;
	con->output_ctx = srv;
	return 0;

out_del_retry:
	event_loop_del(loop, srv->retry_fd);
out_detach:
	srv->loop = NULL;
	srv->con = NULL;
	return ret;
}

void console_server_destroy(struct console_server *srv)
{
	if (!srv)
		return;
	if (srv->con && srv->con->output_ctx == srv) {
		srv->con->output = NULL;
		srv->con->output_ctx = NULL;
	}
	/* The file goes first: a client that sees its connection close can tell the VM stopped. */
	unlink(srv->path);
	for (int i = 0; i < CONSOLE_SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			console_server_close_client(srv, &srv->clients[i]);
	if (srv->loop) {
		event_loop_del(srv->loop, srv->listen_fd);
		event_loop_del(srv->loop, srv->retry_fd);
	}
	close(srv->listen_fd);
	close(srv->retry_fd);
	pthread_mutex_destroy(&srv->lock);
	free(srv->path);
	free(srv);
}
