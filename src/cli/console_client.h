/* SPDX-License-Identifier: MIT */
/*
 * The client side of a console socket (`vessel console`): copies the
 * terminal to the socket and the socket to the terminal, which is in raw
 * mode while attached (restored on every exit path). The escape key
 * (Ctrl-] unless changed) detaches; the VM is not affected.
 */
#ifndef VESSEL_CLI_CONSOLE_CLIENT_H
#define VESSEL_CLI_CONSOLE_CLIENT_H

#include <stdbool.h>

#define CONSOLE_CLIENT_DEFAULT_ESCAPE 0x1d   /* Ctrl-] */
#define CONSOLE_CLIENT_NO_ESCAPE (-1)
#define CONSOLE_CLIENT_LINGER_MS 1000         /* output still shown after EOF on a non-tty stdin */

/*
 * Parses an escape key: "^]" or "^X" style (a control character: @, A-Z,
 * [, \, ], ^, _ or ?), "ctrl-X", one printable character, or "none".
 * 0 with *key set (CONSOLE_CLIENT_NO_ESCAPE for none), or -EINVAL.
 */
int console_client_parse_escape(const char *arg, int *key);

/* The key as a user types it: "^]", "x"; buf of 8 bytes at least. */
void console_client_escape_name(int key, char *buf, unsigned int len);

enum console_client_end {
	CONSOLE_CLIENT_DETACHED,    /* the escape key, or EOF on a non-tty stdin */
	CONSOLE_CLIENT_CLOSED,      /* the server closed the connection */
	CONSOLE_CLIENT_SIGNALLED,   /* SIGINT, SIGTERM or SIGHUP */
	CONSOLE_CLIENT_FAILED,      /* a read or write failed (errno kept) */
};

struct console_client_config {
	int sock_fd;                /* connected to the console socket */
	int in_fd, out_fd;          /* the user's side: stdin, stdout */
	int escape;                 /* a byte value or CONSOLE_CLIENT_NO_ESCAPE; only on a tty */
};

/*
 * Runs until detached, closed, signalled or failed. A tty in_fd is raw
 * meanwhile and restored before this returns. *signo gets the signal.
 */
enum console_client_end console_client_run(const struct console_client_config *cfg, int *signo);

#endif
