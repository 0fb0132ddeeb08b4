/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side: libmicrohttpd on a Unix socket, one API thread. It reads a
 * request (64 KiB body limit, HTTP/1.1 only), routes and parses it
 * (api_routes.c), hands it to the VMM thread through the channel and sends
 * the answer. Every error answer is {"fault_message": "..."}.
 */
#ifndef VESSEL_API_API_SERVER_H
#define VESSEL_API_API_SERVER_H

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

/* Stops the thread and removes the socket file. Close the channel first. */
void api_server_destroy(struct api_server *srv);

#endif
