/* SPDX-License-Identifier: MIT */
/* --net option parsing: backends, MACs, hostfwd rules and the errors. */
#include <arpa/inet.h>
#include <string.h>

#include "cli/net_option.h"
#include "test.h"

static int parse(const char *arg, struct net_config *cfg)
{
	char err[256] = "";
	int ret = net_option_parse(arg, 0x12345, 1, cfg, err, sizeof(err));

	CHECK(ret == 0 || err[0]);
	return ret;
}

static void test_net_option_tap(void)
{
	struct net_config cfg;

	CHECK_EQ(parse("tap=tap0", &cfg), 0);
	CHECK_EQ(cfg.type, NET_TAP);
	CHECK(!strcmp(cfg.ifname, "tap0"));
	/* Default MAC: 52:54:00 + (pid << 2 | index). */
	CHECK(!memcmp(cfg.mac, "\x52\x54\x00\x04\x8d\x15", 6));
	CHECK_EQ(parse("tap=vessel-tap-123,mac=02:AB:cd:00:00:01", &cfg), 0);
	CHECK(!memcmp(cfg.mac, "\x02\xab\xcd\x00\x00\x01", 6));
	CHECK_EQ(parse("tap=abcdefghijklmno", &cfg), 0);   /* 15 characters */
	CHECK(parse("tap=abcdefghijklmnop", &cfg) != 0);   /* 16 */
	CHECK(parse("tap=a/b", &cfg) != 0);
	CHECK(parse("tap=", &cfg) != 0);
	CHECK(parse("tap=..", &cfg) != 0);
	CHECK(parse("tap=x,hostfwd=tcp::1-:2", &cfg) != 0);
}

static void test_net_option_user(void)
{
	struct net_config cfg;

	CHECK_EQ(parse("user", &cfg), 0);
	CHECK_EQ(cfg.type, NET_USER);
	CHECK_EQ(cfg.nr_hostfwd, 0);
	CHECK_EQ(parse("user,hostfwd=tcp::2222-:22,mac=52:54:00:aa:bb:cc,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53",
		       &cfg), 0);
	CHECK_EQ(cfg.nr_hostfwd, 2);
	CHECK(!cfg.hostfwd[0].udp);
	CHECK_EQ(cfg.hostfwd[0].host_port, 2222);
	CHECK_EQ(cfg.hostfwd[0].guest_port, 22);
	CHECK_EQ(cfg.hostfwd[0].host_addr, 0);
	CHECK(cfg.hostfwd[1].udp);
	CHECK_EQ(cfg.hostfwd[1].host_addr, htonl(0x7f000001));
	CHECK_EQ(cfg.hostfwd[1].guest_addr, htonl(0x0a00020f));
	CHECK_EQ(cfg.hostfwd[1].guest_port, 53);
	CHECK(!memcmp(cfg.mac, "\x52\x54\x00\xaa\xbb\xcc", 6));
	CHECK(parse("user,hostfwd=tcp::0-:22", &cfg) != 0);
	CHECK(parse("user,hostfwd=tcp::70000-:22", &cfg) != 0);
	CHECK(parse("user,hostfwd=sctp::1-:2", &cfg) != 0);
	CHECK(parse("user,hostfwd=tcp::22", &cfg) != 0);
	CHECK(parse("user,hostfwd=tcp:300.1.1.1:22-:22", &cfg) != 0);
	CHECK(parse("user,bogus=1", &cfg) != 0);
	CHECK(parse("user,mac", &cfg) != 0);
	CHECK(parse("bridge=br0", &cfg) != 0);
	CHECK(parse("", &cfg) != 0);
}

static void test_net_option_queues(void)
{
	struct net_config cfg;
	char err[256];

	CHECK_EQ(parse("tap=tap0", &cfg), 0);
	CHECK_EQ(cfg.queues, 1);
	CHECK_EQ(parse("tap=tap0,queues=4,mac=52:54:00:12:34:56", &cfg), 0);
	CHECK_EQ(cfg.queues, 4);
	CHECK_EQ(parse("tap=tap0,queues=1", &cfg), 0);
	CHECK_EQ(cfg.queues, 1);
	CHECK_EQ(parse("tap=tap0,queues=8", &cfg), 0);
	CHECK_EQ(cfg.queues, 8);
	CHECK(parse("tap=tap0,queues=0", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=9", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=x1", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=1x", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=-1", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=0004", &cfg) != 0);
	CHECK(parse("tap=tap0,queues=65537", &cfg) != 0);
	CHECK(net_option_parse("tap=t,queues=9", 1, 0, &cfg, err, sizeof(err)) != 0);
	CHECK(strstr(err, "queues '9': expected 1 to 8") != NULL);
	/* libslirp has one queue. */
	CHECK(net_option_parse("user,queues=2", 1, 0, &cfg, err, sizeof(err)) != 0);
	CHECK(strstr(err, "tap networking only") != NULL);
	CHECK(parse("user,queues=1", &cfg) != 0);
}

static void test_net_option_mac(void)
{
	uint8_t mac[6];

	CHECK_EQ(net_option_parse_mac("52:54:00:12:34:56", mac), 0);
	CHECK(net_option_parse_mac("52:54:00:12:34", mac) != 0);
	CHECK(net_option_parse_mac("52:54:00:12:34:5g", mac) != 0);
	CHECK(net_option_parse_mac("52-54-00-12-34-56", mac) != 0);
	CHECK(net_option_parse_mac("01:00:5e:00:00:01", mac) != 0);   /* multicast */
	CHECK(net_option_parse_mac("00:00:00:00:00:00", mac) != 0);
	CHECK(net_option_parse_mac("52:54:00:12:34:567", mac) != 0);
}

TEST_MAIN(test_net_option_tap, test_net_option_user, test_net_option_queues, test_net_option_mac)
