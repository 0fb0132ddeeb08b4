/* SPDX-License-Identifier: MIT */
/*
 * The terminal console: stdin goes to the guest's console device, the guest's
 * output to stdout. A tty is put in raw mode (restored on every exit path,
 * including fatal signals). Ctrl-A is the escape key, as in QEMU:
 * Ctrl-A x ends the VM, Ctrl-A p presses the power button, Ctrl-A Ctrl-A sends
 * one Ctrl-A, Ctrl-A h prints help.
 */
#ifndef VESSEL_CORE_CONSOLE_H
#define VESSEL_CORE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE_CHAR 0x01   /* Ctrl-A */
#define CONSOLE_PENDING_MAX 4096

/* Delivers input to the guest device; returns how many bytes it took. */
typedef size_t (*console_input_fn)(void *ctx, const uint8_t *buf, size_t len);

struct console {
	int in_fd;
	int out_fd;
	bool in_open;              /* still reading input (not EOF/error) */
	bool escape;               /* the previous input byte was the escape key */
	uint8_t pending[CONSOLE_PENDING_MAX]; /* input the guest has not taken yet */
	size_t pending_len;
	console_input_fn input;
	void *input_ctx;
	void (*quit)(void *ctx);   /* Ctrl-A x */
	void *quit_ctx;
	void (*power_button)(void *ctx);   /* Ctrl-A p */
	void *power_button_ctx;
	/* Where the guest's output goes instead of out_fd (a console socket), or NULL. */
	void (*output)(void *ctx, const uint8_t *buf, size_t len);
	void *output_ctx;
};

/* Sets up the console on in_fd/out_fd; a tty in_fd goes raw. 0 or -errno. */
int console_init(struct console *con, int in_fd, int out_fd);
/* Puts the terminal back as it was. Idempotent and async-signal-safe. */
void console_restore_terminal(void);

/* Event loop handler for in_fd. */
void console_handle_input(void *ctx, uint32_t events);
/* Offers pending input to the guest again; true if some is still pending. */
bool console_flush_pending(struct console *con);

/* Sink for the guest's console output (serial_out_fn-compatible). */
void console_write_output(void *ctx, const uint8_t *buf, size_t len);

#endif
