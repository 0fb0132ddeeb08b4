/* SPDX-License-Identifier: MIT */
/* --vsock option parsing: both keys, the CID's range, and a clear message for each mistake. */
#include <string.h>

#include "cli/vsock_option.h"
#include "test.h"

static void expect_error(const char *arg, const char *msg)
{
	struct vsock_config cfg;
	char copy[256], err[256] = "";

	snprintf(copy, sizeof(copy), "%s", arg);
	CHECK_EQ(vsock_option_parse(copy, &cfg, err, sizeof(err)), -22);
	if (!strstr(err, msg)) {
		fprintf(stderr, "--vsock %s: message '%s' lacks '%s'\n", arg, err, msg);
		CHECK(0);
	}
}

static void test_vsock_option_ok(void)
{
	struct vsock_config cfg;
	char arg[] = "cid=3,uds=/run/vm.sock", arg2[] = "uds=/tmp/v,cid=4294967294";
	char err[256];

	CHECK_EQ(vsock_option_parse(arg, &cfg, err, sizeof(err)), 0);
	CHECK(cfg.enabled);
	CHECK_EQ(cfg.guest_cid, 3);
	CHECK(!strcmp(cfg.uds_path, "/run/vm.sock"));
	CHECK(cfg.id == NULL);
	CHECK_EQ(vsock_option_parse(arg2, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.guest_cid, 4294967294u);
	CHECK(!strcmp(cfg.uds_path, "/tmp/v"));
}

static void test_vsock_option_errors(void)
{
	char long_path[160] = "cid=3,uds=/";

	expect_error("cid=0,uds=/x", "cid='0'");
	expect_error("cid=2,uds=/x", "0-2 are reserved");
	expect_error("cid=4294967295,uds=/x", "cid='4294967295'");
	expect_error("cid=99999999999999999999,uds=/x", "cid='9999");
	expect_error("cid=-3,uds=/x", "cid='-3'");
	expect_error("cid= 3,uds=/x", "cid=' 3'");
	expect_error("cid=3x,uds=/x", "cid='3x'");
	expect_error("cid=,uds=/x", "cid=''");
	expect_error("uds=/x", "cid is required");
	expect_error("cid=3", "uds is required");
	expect_error("cid=3,uds=", "1 to 96 bytes");
	memset(long_path + strlen(long_path), 'a', 100);
	expect_error(long_path, "1 to 96 bytes");
	expect_error("cid=3,uds=/x,cid=4", "cid given twice");
	expect_error("cid=3,uds=/x,uds=/y", "uds given twice");
	expect_error("cid=3,uds=/x,mode=a", "unknown key 'mode'");
	expect_error("cid=3,uds=/x,", "empty item");
	expect_error("", "empty item");
	expect_error("cid", "expected key=value");
}

static void test_vsock_cid_parse(void)
{
	uint32_t cid;

	CHECK_EQ(vsock_cid_parse("3", &cid), 0);
	CHECK_EQ(cid, 3);
	CHECK_EQ(vsock_cid_parse("2", &cid), -22);
	CHECK_EQ(vsock_cid_parse("+5", &cid), -22);
	CHECK_EQ(vsock_cid_parse("0x10", &cid), -22);
}

TEST_MAIN(test_vsock_option_ok, test_vsock_option_errors, test_vsock_cid_parse)
