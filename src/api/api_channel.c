// SPDX-License-Identifier: MIT
/* A mutex-protected queue of calls, an eventfd to wake the VMM, a condvar back. */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/api_channel.h"

int api_channel_init(struct api_channel *ch)
{
	*ch = (struct api_channel){ .event_fd = -1 };
	ch->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ch->event_fd < 0)
		return -errno;
	pthread_mutex_init(&ch->lock, NULL);
	pthread_cond_init(&ch->done_cond, NULL);
	return 0;
}

void api_channel_destroy(struct api_channel *ch)
{
	if (ch->event_fd < 0)
		return;
	close(ch->event_fd);
	ch->event_fd = -1;
	pthread_mutex_destroy(&ch->lock);
	pthread_cond_destroy(&ch->done_cond);
}

void api_channel_call(struct api_channel *ch, struct api_call *call)
{
	uint64_t one = 1;

	call->done = false;
	call->next = NULL;
	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		api_response_error(&call->resp, 503, "the VM has stopped");
		return;
	}
	if (ch->tail)
		ch->tail->next = call;
	else
		ch->head = call;
	ch->tail = call;
	/* A full counter (impossible in practice) still leaves the fd readable. */
	if (write(ch->event_fd, &one, sizeof(one)) < 0) {
	}
	while (!call->done)
		pthread_cond_wait(&ch->done_cond, &ch->lock);
	pthread_mutex_unlock(&ch->lock);
}

static struct api_call *api_channel_pop(struct api_channel *ch)
{
	struct api_call *call = ch->head;

	if (call) {
		ch->head = call->next;
		if (!ch->head)
			ch->tail = NULL;
	}
	return call;
}

void api_channel_serve(struct api_channel *ch, api_handler_fn fn, void *ctx)
{
	struct api_call *call;
	uint64_t n;

	if (read(ch->event_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another wakeup already drained it; the queue is what counts. */
	}
	pthread_mutex_lock(&ch->lock);
	while ((call = api_channel_pop(ch))) {
		/* The API thread waits for this call: the request is ours until done. */
		pthread_mutex_unlock(&ch->lock);
		fn(ctx, &call->req, &call->resp);
		pthread_mutex_lock(&ch->lock);
		call->done = true;
		pthread_cond_broadcast(&ch->done_cond);
	}
	pthread_mutex_unlock(&ch->lock);
}

void api_channel_close(struct api_channel *ch)
{
	struct api_call *call;

	pthread_mutex_lock(&ch->lock);
	ch->closed = true;
	while ((call = api_channel_pop(ch))) {
		api_response_error(&call->resp, 503, "the VM has stopped");
		call->done = true;
	}
	pthread_cond_broadcast(&ch->done_cond);
	pthread_mutex_unlock(&ch->lock);
}
