/* SPDX-License-Identifier: MIT */
#include "cli/console_client.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/console.h"

#define CLIENT_IO_SIZE 65536
#define CLIENT_SEND_SIZE 4096

/* The control character ^c stands for ('?' is DEL), or -1. */
static int control_char(char c)
{
	if (c == '?')
		return 0x7f;
	c = (char)toupper((unsigned char)c);
	if (c >= '@' && c <= '_')
		return c - '@';
	return -1;
}

int console_client_parse_escape(const char *arg, int *key)
{
	int c = -1;

	if (!strcmp(arg, "none")) {
		*key = CONSOLE_CLIENT_NO_ESCAPE;
		return 0;
	}
	if (arg[0] == '^' && arg[1] && !arg[2])
		c = control_char(arg[1]);
	else if (!strncasecmp(arg, "ctrl-", 5) && arg[5] && !arg[6])
		c = control_char(arg[5]);
	else if (arg[0] && !arg[1] && isprint((unsigned char)arg[0]))
		c = (unsigned char)arg[0];
	if (c < 0)
		return -EINVAL;
	*key = c;
	return 0;
}

void console_client_escape_name(int key, char *buf, unsigned int len)
{
	if (key == CONSOLE_CLIENT_NO_ESCAPE)
		snprintf(buf, len, "none");
	else if (key == 0x7f)
		snprintf(buf, len, "^?");
	else if (key < 0x20)
		snprintf(buf, len, "^%c", key + '@');
	else
		snprintf(buf, len, "%c", key);
}

static volatile sig_atomic_t client_signal;

static void client_on_signal(int sig)
{
	client_signal = sig;
}

/* SIGINT/SIGTERM/SIGHUP end the client cleanly: blocked except inside ppoll(). */
static void client_catch_signals(sigset_t *old_mask, sigset_t *wait_mask)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = client_on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, old_mask);
	*wait_mask = *old_mask;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(wait_mask, sigs[i]);
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

struct client {
	const struct console_client_config *cfg;
	bool is_tty;
	bool in_open;               /* stdin not at EOF yet */
	bool sock_out_open;         /* the server still takes input */
	uint64_t linger_until_ns;   /* after EOF on stdin: when to detach */
	uint8_t out[CLIENT_SEND_SIZE];  /* typed input the socket has not taken yet */
	size_t out_len;
};

/* Sends held input; a socket that no longer takes it just stops getting any. */
static void client_send(struct client *cl)
{
	while (cl->out_len && cl->sock_out_open) {
		ssize_t n = send(cl->cfg->sock_fd, cl->out, cl->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cl->sock_out_open = false;   /* reading goes on until the server closes */
			return;
		}
		memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
		cl->out_len -= (size_t)n;
	}
	if (!cl->sock_out_open)
		cl->out_len = 0;
}

/* Reads the user's input; true if the escape key was typed. */
static bool client_read_input(struct client *cl)
{
	uint8_t *buf = cl->out + cl->out_len;
	ssize_t n = read(cl->cfg->in_fd, buf, sizeof(cl->out) - cl->out_len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		/* EOF: let the output of what was sent arrive, then detach. */
		cl->in_open = false;
		cl->linger_until_ns = clock_monotonic_ns() + CONSOLE_CLIENT_LINGER_MS * 1000000ULL;
		return false;
	}
	if (cl->is_tty && cl->cfg->escape != CONSOLE_CLIENT_NO_ESCAPE) {
		uint8_t *esc = memchr(buf, cl->cfg->escape, (size_t)n);

		if (esc) {
			cl->out_len += (size_t)(esc - buf);
			return true;
		}
	}
	cl->out_len += (size_t)n;
	return false;
}

static int client_poll_timeout(const struct client *cl)
{
	uint64_t now;

	if (cl->in_open)
		return -1;
	now = clock_monotonic_ns();
	return now >= cl->linger_until_ns ? 0 : (int)((cl->linger_until_ns - now) / 1000000) + 1;
}

static enum console_client_end client_loop(struct client *cl, const sigset_t *wait_mask, int *signo)
{
	static uint8_t buf[CLIENT_IO_SIZE];
	const struct console_client_config *cfg = cl->cfg;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = cfg->sock_fd, .events = POLLIN | (cl->out_len ? POLLOUT : 0) },
			/* Typed input waits in the terminal while the socket is full. */
			{ .fd = cl->in_open && cl->out_len < sizeof(cl->out) ? cfg->in_fd : -1,
			  .events = POLLIN },
		};
		int timeout = client_poll_timeout(cl);
		struct timespec ts = { timeout / 1000, (timeout % 1000) * 1000000L };
		int n;

		if (timeout == 0 && !cl->in_open)
			return CONSOLE_CLIENT_DETACHED;
		n = ppoll(fds, 2, timeout < 0 ? NULL : &ts, wait_mask);
		if (client_signal) {
			*signo = client_signal;
			return CONSOLE_CLIENT_SIGNALLED;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CONSOLE_CLIENT_FAILED;
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t got = recv(cfg->sock_fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (got == 0 || (got < 0 && errno == ECONNRESET))
				return CONSOLE_CLIENT_CLOSED;
			if (got < 0 && errno != EINTR && errno != EAGAIN)
				return CONSOLE_CLIENT_FAILED;
			if (got > 0 && write_all(cfg->out_fd, buf, (size_t)got))
				return CONSOLE_CLIENT_FAILED;
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (client_read_input(cl)) {
				client_send(cl);   /* what came before the escape key */
				return CONSOLE_CLIENT_DETACHED;
			}
			if (!cl->in_open)
				shutdown(cfg->sock_fd, SHUT_WR);
		}
		client_send(cl);
	}
}

/* The guest ends its lines with CR LF already: no second CR from the terminal's ONLCR. */
static void client_no_output_processing(int tty_fd)
{
	struct termios t;

	if (!tcgetattr(tty_fd, &t)) {
		t.c_oflag &= ~OPOST;
		tcsetattr(tty_fd, TCSANOW, &t);
	}
}

enum console_client_end console_client_run(const struct console_client_config *cfg, int *signo)
{
	struct client cl = { .cfg = cfg, .in_open = true, .sock_out_open = true };
	struct console term = { .in_fd = -1, .out_fd = -1 };
	enum console_client_end end;
	sigset_t wait_mask, old_mask;
	int saved_errno;

	client_catch_signals(&old_mask, &wait_mask);
	cl.is_tty = isatty(cfg->in_fd);
	/* Raw: every key, Ctrl-C included, goes to the guest, and its output is shown as it is. */
	if (cl.is_tty && console_init(&term, cfg->in_fd, cfg->out_fd))
		cl.is_tty = false;
	if (cl.is_tty)
		client_no_output_processing(cfg->in_fd);
	end = client_loop(&cl, &wait_mask, signo);
	saved_errno = errno;
	console_restore_terminal();
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	errno = saved_errno;
	return end;
}
