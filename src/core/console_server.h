/* SPDX-License-Identifier: MIT */
/*
 * The guest console on a Unix socket (`vessel run --console-sock PATH`),
 * instead of the terminal. The guest's output (COM1 and hvc0) goes into a
 * ring of the last CONSOLE_RING_SIZE bytes and to every connected client;
 * a new client first gets the ring (history), then live output. What any
 * client sends goes to the guest's console device byte for byte (no escape
 * keys). Up to CONSOLE_SERVER_MAX_CLIENTS at once; one more gets a one-line
 * refusal. Sends never block: a client that falls a whole ring behind is
 * disconnected, and the guest and the other clients go on.
 *
 * Accepting and reading clients happen on the VM's event loop; output may
 * come from any thread (COM1 writes from vCPU threads).
 */
#ifndef VESSEL_CORE_CONSOLE_SERVER_H
#define VESSEL_CORE_CONSOLE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_SERVER_MAX_CLIENTS 16
#define CONSOLE_SERVER_RETRY_MS 5   /* how soon input the guest could not take is offered again */

struct console;
struct console_server;
struct event_loop;

/*
 * Listens at path (a stale socket file is replaced; a live server's socket
 * or a non-socket is refused). 0 or -errno with a one-line reason in err.
 */
__attribute__((warn_unused_result))
int console_server_create(struct console_server **out, const char *path, char *err, size_t errlen);

/*
 * Takes over con: the guest output con receives goes to the ring and the
 * clients (not to con's out_fd), client input goes into con's pending input
 * and to con->input. Serves clients on loop from now on. 0 or -errno.
 */
__attribute__((warn_unused_result))
int console_server_attach(struct console_server *srv, struct console *con, struct event_loop *loop);

/* The guest's output (a console output hook); any thread. */
void console_server_write(void *ctx, const uint8_t *buf, size_t len);

/*
 * Disconnects every client, stops listening and removes the socket file;
 * con (if attached) no longer sends output here. Call when no vCPU runs.
 * NULL is fine.
 */
void console_server_destroy(struct console_server *srv);

#endif
