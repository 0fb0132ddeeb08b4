/* SPDX-License-Identifier: MIT */
/*
 * The channel from the API thread to the VMM thread (Firecracker's design):
 * the API thread queues a parsed request and waits; an eventfd wakes the
 * VMM's event loop, which carries the request out and posts the response.
 * Only the VMM thread touches the VM.
 */
#ifndef VESSEL_API_API_CHANNEL_H
#define VESSEL_API_API_CHANNEL_H

#include <pthread.h>
#include <stdbool.h>

#include "api/api_request.h"

struct api_call {
	struct api_request req;
	struct api_response resp;
	bool done;
	struct api_call *next;
};

struct api_channel {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	struct api_call *head, *tail;
	bool closed;                /* the VMM serves no more calls */
	int event_fd;               /* readable while calls are queued */
};

typedef void (*api_handler_fn)(void *ctx, struct api_request *req, struct api_response *resp);

__attribute__((warn_unused_result))
int api_channel_init(struct api_channel *ch);
void api_channel_destroy(struct api_channel *ch);

/* API thread: queues call and waits for its response (503 if the channel is closed). */
void api_channel_call(struct api_channel *ch, struct api_call *call);

/* VMM thread: carries out every queued call with fn (on event_fd readable). */
void api_channel_serve(struct api_channel *ch, api_handler_fn fn, void *ctx);

/* Answers queued and later calls with 503: the VMM thread is gone. */
void api_channel_close(struct api_channel *ch);

#endif
