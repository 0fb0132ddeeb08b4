/* SPDX-License-Identifier: MIT */
#include "core/console.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The process has one controlling terminal; this is its saved state. */
static struct termios saved_termios;
static volatile sig_atomic_t terminal_is_raw;
static int terminal_fd = -1;

void console_restore_terminal(void)
{
	if (terminal_is_raw) {
		tcsetattr(terminal_fd, TCSAFLUSH, &saved_termios);
		terminal_is_raw = 0;
	}
}

static void console_fatal_signal(int sig)
{
	console_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int console_make_raw(int fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT };
	struct termios raw;

	if (tcgetattr(fd, &saved_termios))
		return -errno;
	raw = saved_termios;
	cfmakeraw(&raw);
	/* Keep output processing so our own log lines ("\n") still start at column 0. */
	raw.c_oflag |= OPOST | ONLCR;
	terminal_fd = fd;
	if (tcsetattr(fd, TCSAFLUSH, &raw))
		return -errno;
	terminal_is_raw = 1;
	atexit(console_restore_terminal);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], console_fatal_signal);
	return 0;
}

int console_init(struct console *con, int in_fd, int out_fd)
{
	con->in_fd = in_fd;
	con->out_fd = out_fd;
	con->in_open = in_fd >= 0;
	con->escape = false;
	con->pending_len = 0;
	if (in_fd >= 0 && isatty(in_fd))
		return console_make_raw(in_fd);
	return 0;
}

static void console_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;   /* the reader went away: drop output, keep the VM running */
		}
		p += n;
		len -= n;
	}
}

void console_write_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct console *con = ctx;

	if (con->output)
		con->output(con->output_ctx, buf, len);
	else
		console_write_all(con->out_fd, buf, len);
}

bool console_flush_pending(struct console *con)
{
	size_t taken;

	if (!con->pending_len)
		return false;
	taken = con->input(con->input_ctx, con->pending, con->pending_len);
	memmove(con->pending, con->pending + taken, con->pending_len - taken);
	con->pending_len -= taken;
	return con->pending_len != 0;
}

static void console_print_help(struct console *con)
{
	static const char help[] =
		"\r\nvessel console escape keys:\r\n"
		"  C-a x    end the VM\r\n"
		"  C-a p    press the power button (the guest shuts down)\r\n"
		"  C-a C-a  send C-a to the guest\r\n"
		"  C-a h    this help\r\n";

	console_write_all(con->out_fd, help, sizeof(help) - 1);
}

/* Applies the escape key to buf in place; returns the bytes meant for the guest. */
static size_t console_filter_escapes(struct console *con, uint8_t *buf, size_t len)
{
	size_t out = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (!con->escape) {
			if (c == CONSOLE_ESCAPE_CHAR)
				con->escape = true;
			else
				buf[out++] = c;
			continue;
		}
		con->escape = false;
		switch (c) {
		case 'x':
		case 'X':
			if (con->quit)
				con->quit(con->quit_ctx);
			return out;
		case 'p':
		case 'P':
			if (con->power_button)
				con->power_button(con->power_button_ctx);
			break;
		case 'h':
		case 'H':
		case '?':
			console_print_help(con);
			break;
		case CONSOLE_ESCAPE_CHAR:
			buf[out++] = c;
			break;
		default:
			break;
		}
	}
	return out;
}

void console_handle_input(void *ctx, uint32_t events)
{
	struct console *con = ctx;
	size_t room = CONSOLE_PENDING_MAX - con->pending_len;
	ssize_t n;

	/* Leave the input in the kernel until the guest has taken what we hold. */
	if (!room || !con->in_open)
		return;
	n = read(con->in_fd, con->pending + con->pending_len, room);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		con->in_open = false;   /* EOF: the guest keeps running without input */
		return;
	}
	con->pending_len += console_filter_escapes(con, con->pending + con->pending_len, n);
	console_flush_pending(con);
}
