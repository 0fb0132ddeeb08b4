/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "cli/console_client.h"
#include "test.h"

static int parse(const char *arg)
{
	int key = -2;

	if (console_client_parse_escape(arg, &key))
		return -100;
	return key;
}

static void test_escape_control_keys(void)
{
	CHECK_EQ(parse("^]"), 0x1d);
	CHECK_EQ(parse("^x"), 0x18);
	CHECK_EQ(parse("^X"), 0x18);
	CHECK_EQ(parse("ctrl-x"), 0x18);
	CHECK_EQ(parse("Ctrl-]"), 0x1d);
	CHECK_EQ(parse("^@"), 0);
	CHECK_EQ(parse("^_"), 0x1f);
	CHECK_EQ(parse("^?"), 0x7f);
	CHECK_EQ(parse("~"), '~');
	CHECK_EQ(parse("^"), '^');   /* one character stands for itself */
	CHECK_EQ(parse("none"), CONSOLE_CLIENT_NO_ESCAPE);
	CHECK_EQ(CONSOLE_CLIENT_DEFAULT_ESCAPE, parse("^]"));
}

static void test_escape_rejects(void)
{
	static const char *const bad[] = { "", "^ZZ", "^1", "^ ", "ctrl-", "ctrl-xx", "xy", "\t", "\x01" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int key = 1234;

		CHECK_EQ(console_client_parse_escape(bad[i], &key), -EINVAL);
		CHECK_EQ(key, 1234);
	}
}

static void test_escape_names_round_trip(void)
{
	char name[8];

	console_client_escape_name(0x1d, name, sizeof(name));
	CHECK(!strcmp(name, "^]"));
	console_client_escape_name(0x7f, name, sizeof(name));
	CHECK(!strcmp(name, "^?"));
	console_client_escape_name('q', name, sizeof(name));
	CHECK(!strcmp(name, "q"));
	console_client_escape_name(CONSOLE_CLIENT_NO_ESCAPE, name, sizeof(name));
	CHECK(!strcmp(name, "none"));
	for (int key = 0; key < 0x20; key++) {
		console_client_escape_name(key, name, sizeof(name));
		CHECK_EQ(parse(name), key);
	}
}

TEST_MAIN(test_escape_control_keys, test_escape_rejects, test_escape_names_round_trip)
