/* SPDX-License-Identifier: MIT */
/*
 * A listening Unix stream socket at a path, for the servers vessel runs
 * (the control API, the console socket, the manager), and the client side's
 * connect. A socket file left
 * by a process that died is replaced; a live server's socket or a file that
 * is not a socket is refused.
 */
#ifndef VESSEL_CORE_UNIX_SOCKET_H
#define VESSEL_CORE_UNIX_SOCKET_H

#include <stddef.h>

#define UNIX_SOCKET_BACKLOG 16

/*
 * Binds and listens at path (close-on-exec, blocking). what names the
 * socket in error messages ("--api-sock"): err gets "<what> <path>: why".
 * The listening fd, or -errno (-EEXIST: not a socket, -EADDRINUSE: a live
 * server, -ENAMETOOLONG).
 */
__attribute__((warn_unused_result))
int unix_socket_listen(const char *path, const char *what, char *err, size_t errlen);

/* Connects to the server at path (close-on-exec, blocking): the fd, or -errno. */
__attribute__((warn_unused_result))
int unix_socket_connect(const char *path);

#endif
