/* SPDX-License-Identifier: MIT */
/* --disk option parsing: every key, and a clear message for each mistake. */
#include <string.h>

#include "cli/disk_option.h"
#include "test.h"

static int parse(const char *arg, struct virtio_blk_config *cfg, char *err)
{
	static char buf[512];

	strcpy(buf, arg);
	err[0] = '\0';
	return disk_option_parse(buf, cfg, err, 256);
}

static void expect_error(const char *arg, const char *msg)
{
	struct virtio_blk_config cfg;
	char err[256];

	CHECK_EQ(parse(arg, &cfg, err), -22);
	if (!strstr(err, msg)) {
		fprintf(stderr, "--disk %s: message '%s' lacks '%s'\n", arg, err, msg);
		CHECK(0);
	}
}

static void test_disk_defaults(void)
{
	struct virtio_blk_config cfg;
	char err[256];

	CHECK_EQ(parse("path=/tmp/a.img", &cfg, err), 0);
	CHECK_EQ(strcmp(cfg.path, "/tmp/a.img"), 0);
	CHECK(!cfg.readonly);
	CHECK(!cfg.direct);
	CHECK(cfg.serial == NULL);
	CHECK_EQ(cfg.aio, BLOCK_AIO_AUTO);
	CHECK_EQ(cfg.queues, 1);
}

static void test_disk_queues(void)
{
	struct virtio_blk_config cfg;
	char err[256];

	CHECK_EQ(parse("path=x,queues=1", &cfg, err), 0);
	CHECK_EQ(cfg.queues, 1);
	CHECK_EQ(parse("queues=4,path=x", &cfg, err), 0);
	CHECK_EQ(cfg.queues, 4);
	CHECK_EQ(parse("path=x,queues=16", &cfg, err), 0);
	CHECK_EQ(cfg.queues, VIRTIO_BLK_MAX_QUEUES);
	expect_error("path=x,queues=0", "queues='0': expected a number from 1 to 16");
	expect_error("path=x,queues=17", "queues='17': expected a number from 1 to 16");
	expect_error("path=x,queues=65537", "from 1 to 16");
	expect_error("path=x,queues=99999999999999999999999", "from 1 to 16");
	expect_error("path=x,queues=-1", "from 1 to 16");
	expect_error("path=x,queues=+2", "from 1 to 16");
	expect_error("path=x,queues= 2", "from 1 to 16");
	expect_error("path=x,queues=2x", "from 1 to 16");
	expect_error("path=x,queues=", "from 1 to 16");
	expect_error("path=x,queues=2,queues=2", "queues given twice");
}

static void test_disk_all_keys(void)
{
	struct virtio_blk_config cfg;
	char err[256];

	CHECK_EQ(parse("serial=ABC-123,readonly=on,cache=none,path=disk.raw,aio=threads", &cfg, err), 0);
	CHECK_EQ(strcmp(cfg.path, "disk.raw"), 0);
	CHECK(cfg.readonly);
	CHECK(cfg.direct);
	CHECK_EQ(strcmp(cfg.serial, "ABC-123"), 0);
	CHECK_EQ(cfg.aio, BLOCK_AIO_THREADS);

	CHECK_EQ(parse("path=x,readonly=off,cache=writeback,aio=io_uring", &cfg, err), 0);
	CHECK(!cfg.readonly);
	CHECK(!cfg.direct);
	CHECK_EQ(cfg.aio, BLOCK_AIO_IO_URING);
	CHECK_EQ(parse("path=x,aio=auto,serial=12345678901234567890", &cfg, err), 0);
	CHECK_EQ(cfg.aio, BLOCK_AIO_AUTO);
	CHECK_EQ(strlen(cfg.serial), 20);
	/* A value may hold '='. */
	CHECK_EQ(parse("path=a=b", &cfg, err), 0);
	CHECK_EQ(strcmp(cfg.path, "a=b"), 0);
}

static void test_disk_errors(void)
{
	expect_error("", "empty item");
	expect_error("readonly=on", "path=FILE is required");
	expect_error("path=", "path is empty");
	expect_error("path=a,,readonly=on", "empty item");
	expect_error("path=a,", "empty item");
	expect_error("disk.img", "expected key=value");
	expect_error("path=a,size=1G", "unknown key 'size'");
	expect_error("path=a,readonly=yes", "readonly='yes': expected 'on' or 'off'");
	expect_error("path=a,readonly=", "expected 'on' or 'off'");
	expect_error("path=a,cache=directsync", "cache='directsync': expected 'none' or 'writeback'");
	expect_error("path=a,aio=native", "aio='native'");
	expect_error("path=a,serial=123456789012345678901", "1 to 20 characters");
	expect_error("path=a,serial=", "1 to 20 characters");
	expect_error("path=a,serial=a b", "printable");
	expect_error("path=a,path=b", "path given twice");
}

TEST_MAIN(test_disk_defaults, test_disk_all_keys, test_disk_queues, test_disk_errors)
