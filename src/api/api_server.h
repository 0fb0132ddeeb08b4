/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side: libmicrohttpd on a Unix socket, one API thread. It reads a
 * request (64 KiB body limit, HTTP/1.1 only), routes and parses it
 * (api_routes.c), hands it to the VMM thread through the channel and sends
 * the answer. Every error answer is {"fault_message": "..."}.
 */
#ifndef VESSEL_API_API_SERVER_H
#define VESSEL_API_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api_channel.h"

struct api_server;

/*
 * Binds path (a stale socket file is replaced; a live server's or a
 * non-socket file is refused) and starts the API thread. NULL with the
 * reason in err.
 */
__attribute__((warn_unused_result))
struct api_server *api_server_create(const char *path, struct api_channel *ch, char *err, size_t errlen);

/* Answers one request; body is NUL-terminated, len bytes. resp gets the status and body. */
typedef void (*api_server_handler_fn)(void *ctx, const char *method, const char *url,
				      const char *body, size_t len, struct api_response *resp);

struct api_server_options {
	const char *what;                   /* names the socket in errors: "--api-sock" */
	bool thread_per_connection;         /* else one thread runs every request in turn */
	const char *log_prefix;             /* non-NULL: log the answers the handler never sees (413, 505) */
};

/*
 * The same HTTP server (limits, errors, socket handling) for another
 * handler: the manager daemon's API uses it.
 */
__attribute__((warn_unused_result))
struct api_server *api_server_create_handler(const char *path, const struct api_server_options *opts,
					     api_server_handler_fn handle, void *ctx,
					     char *err, size_t errlen);

/* Stops the thread(s) and removes the socket file. Close the channel first. */
void api_server_destroy(struct api_server *srv);

#endif
