/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 requests over a Unix socket, for the manager: the CLI verbs to
 * the daemon and the daemon to each VM's API. libcurl is loaded with dlopen
 * on first use (like libmicrohttpd in src/api/mhd.c) so that `vessel run`,
 * whose start is benchmarked, never pays for linking it.
 */
#ifndef VESSEL_MANAGER_HTTP_CLIENT_H
#define VESSEL_MANAGER_HTTP_CLIENT_H

#include <stddef.h>

struct http_reply {
	long status;                /* HTTP status */
	char *body;                 /* NUL-terminated (malloc'd, may be empty) */
	size_t len;
};

/*
 * Sends method path (body: JSON or NULL) to the server on sock, waiting at
 * most timeout_ms. 0 with reply filled (free it with http_reply_clear), or
 * -errno with a one-line reason in err: -ENOENT / -ECONNREFUSED when nobody
 * listens on sock, -ETIMEDOUT, -ENOSYS if libcurl cannot be loaded.
 */
int http_unix_request(const char *sock, const char *method, const char *path, const char *body,
		      long timeout_ms, struct http_reply *reply, char *err, size_t errlen);

void http_reply_clear(struct http_reply *reply);

#endif
