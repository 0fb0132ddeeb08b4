/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <unistd.h>

#include "core/console.h"
#include "test.h"

struct fake_guest {
	uint8_t got[8192];
	size_t len;
	size_t room;      /* how much the guest takes per call */
	int quits;
	int presses;      /* power button */
};

static size_t fake_input(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake_guest *g = ctx;
	size_t n = len < g->room ? len : g->room;

	memcpy(g->got + g->len, buf, n);
	g->len += n;
	return n;
}

static void fake_quit(void *ctx)
{
	((struct fake_guest *)ctx)->quits++;
}

static void fake_power_button(void *ctx)
{
	((struct fake_guest *)ctx)->presses++;
}

static void setup(struct console *con, struct fake_guest *g, int fds[2])
{
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(console_init(con, fds[0], -1), 0);
	con->input = fake_input;
	con->input_ctx = g;
	con->quit = fake_quit;
	con->quit_ctx = g;
	con->power_button = fake_power_button;
	con->power_button_ctx = g;
}

static void feed(struct console *con, int fd, const char *s, size_t len)
{
	CHECK_EQ(write(fd, s, len), (ssize_t)len);
	console_handle_input(con, 0);
}

static void test_plain_input_passes_through(void)
{
	struct fake_guest g = { .room = SIZE_MAX };
	struct console con;
	int fds[2];

	setup(&con, &g, fds);
	feed(&con, fds[1], "ls -l\r", 6);
	CHECK_EQ(g.len, 6);
	CHECK(memcmp(g.got, "ls -l\r", 6) == 0);
	CHECK_EQ(g.quits, 0);
	close(fds[0]);
	close(fds[1]);
}

static void test_escape_keys(void)
{
	struct fake_guest g = { .room = SIZE_MAX };
	struct console con;
	int fds[2];

	setup(&con, &g, fds);
	feed(&con, fds[1], "a\x01\x01" "b", 4);     /* C-a C-a sends one C-a */
	CHECK_EQ(g.len, 3);
	CHECK(memcmp(g.got, "a\x01" "b", 3) == 0);
	feed(&con, fds[1], "\x01", 1);              /* escape split across reads */
	feed(&con, fds[1], "z", 1);                 /* unknown key: swallowed */
	CHECK_EQ(g.len, 3);
	feed(&con, fds[1], "c\x01xd", 4);           /* C-a x quits; the rest is dropped */
	CHECK_EQ(g.quits, 1);
	CHECK_EQ(g.len, 4);
	CHECK_EQ(g.got[3], 'c');
	close(fds[0]);
	close(fds[1]);
}

static void test_power_button_key(void)
{
	struct fake_guest g = { .room = SIZE_MAX };
	struct console con;
	int fds[2];

	setup(&con, &g, fds);
	feed(&con, fds[1], "a\x01pb", 4);           /* C-a p presses; typing goes on */
	CHECK_EQ(g.presses, 1);
	CHECK_EQ(g.quits, 0);
	CHECK_EQ(g.len, 2);
	CHECK(memcmp(g.got, "ab", 2) == 0);
	feed(&con, fds[1], "\x01", 1);              /* split across reads, upper case */
	feed(&con, fds[1], "P", 1);
	CHECK_EQ(g.presses, 2);
	feed(&con, fds[1], "p", 1);                  /* a plain p is just a p */
	CHECK_EQ(g.presses, 2);
	CHECK_EQ(g.len, 3);
	CHECK_EQ(g.got[2], 'p');
	con.power_button = NULL;                     /* no handler: swallowed, no crash */
	feed(&con, fds[1], "\x01p", 2);
	CHECK_EQ(g.len, 3);
	close(fds[0]);
	close(fds[1]);
}

static void test_input_waits_while_guest_is_full(void)
{
	struct fake_guest g = { .room = 0 };
	struct console con;
	char big[3000];
	int fds[2];

	memset(big, 'q', sizeof(big));
	setup(&con, &g, fds);
	feed(&con, fds[1], big, sizeof(big));
	CHECK_EQ(g.len, 0);
	CHECK_EQ(con.pending_len, sizeof(big));
	CHECK(console_flush_pending(&con));         /* still pending */
	g.room = 1000;
	CHECK(console_flush_pending(&con));
	CHECK_EQ(g.len, 1000);
	g.room = SIZE_MAX;
	CHECK(!console_flush_pending(&con));
	CHECK_EQ(g.len, sizeof(big));
	close(fds[0]);
	close(fds[1]);
}

static void test_eof_stops_reading(void)
{
	struct fake_guest g = { .room = SIZE_MAX };
	struct console con;
	int fds[2];

	setup(&con, &g, fds);
	close(fds[1]);
	console_handle_input(&con, 0);
	CHECK(!con.in_open);
	CHECK_EQ(g.quits, 0);                       /* EOF on stdin does not end the VM */
	close(fds[0]);
}

TEST_MAIN(test_plain_input_passes_through, test_escape_keys, test_power_button_key,
	  test_input_waits_while_guest_is_full,
	  test_eof_stops_reading)
