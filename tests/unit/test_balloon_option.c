/* SPDX-License-Identifier: MIT */
/* --balloon option parsing: every key, defaults, and a clear message for each mistake. */
#include <string.h>

#include "cli/balloon_option.h"
#include "test.h"

static void expect_error(const char *arg, const char *msg)
{
	struct virtio_balloon_config cfg;
	char err[256] = "";

	CHECK_EQ(balloon_option_parse(arg, &cfg, err, sizeof(err)), -22);
	if (!strstr(err, msg)) {
		fprintf(stderr, "--balloon %s: message '%s' lacks '%s'\n", arg, err, msg);
		CHECK(0);
	}
}

static void test_balloon_option_defaults(void)
{
	struct virtio_balloon_config cfg;
	char err[256];

	CHECK_EQ(balloon_option_parse(NULL, &cfg, err, sizeof(err)), 0);
	CHECK(cfg.enabled);
	CHECK_EQ(cfg.target_mib, 0);
	CHECK(!cfg.deflate_on_oom);
	CHECK(!cfg.free_page_reporting);
	CHECK_EQ(cfg.stats_interval_s, 0);
	CHECK_EQ(balloon_option_parse("", &cfg, err, sizeof(err)), 0);
	CHECK(cfg.enabled);
}

static void test_balloon_option_keys(void)
{
	struct virtio_balloon_config cfg;
	char err[256];

	CHECK_EQ(balloon_option_parse("size=64,deflate_on_oom=on,stats=5,free_page_reporting=on", &cfg, err,
				      sizeof(err)), 0);
	CHECK(cfg.enabled);
	CHECK_EQ(cfg.target_mib, 64);
	CHECK(cfg.deflate_on_oom);
	CHECK(cfg.free_page_reporting);
	CHECK_EQ(cfg.stats_interval_s, 5);
	CHECK_EQ(balloon_option_parse("size=1G", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.target_mib, 1024);
	CHECK_EQ(balloon_option_parse("size=512M,deflate_on_oom=off,stats=0", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.target_mib, 512);
	CHECK(!cfg.deflate_on_oom);
	CHECK_EQ(balloon_option_parse("stats=65535", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.stats_interval_s, 65535);
	CHECK_EQ(balloon_option_parse("size=0", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.target_mib, 0);
}

static void test_balloon_option_errors(void)
{
	expect_error("size=abc", "size='abc'");
	expect_error("size=-5", "whole number of MiB");
	expect_error("size=1536K", "whole number of MiB");
	expect_error("size=99999999T", "size=");
	expect_error("stats=65536", "0 (off) to 65535");
	expect_error("stats=-1", "stats='-1'");
	expect_error("deflate_on_oom=yes", "expected 'on' or 'off'");
	expect_error("free_page_reporting=1", "free_page_reporting='1'");
	expect_error("size=64,size=32", "size given twice");
	expect_error("color=red", "unknown key 'color'");
	expect_error("size", "expected key=value");
	expect_error("size=64,", "empty item");
	expect_error(",size=64", "empty item");
	expect_error("size=64,,stats=1", "empty item");
	expect_error("size=0000000000000000000000000000000000000000000000000000000000000000000064", "too long");
}

TEST_MAIN(test_balloon_option_defaults, test_balloon_option_keys, test_balloon_option_errors)
