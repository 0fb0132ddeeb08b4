/* SPDX-License-Identifier: MIT */
/* --memory option parsing: the size, each backing key, and a clear message for each mistake. */
#include <string.h>

#include "cli/memory_option.h"
#include "test.h"

#define LIMIT (64ULL << 30)

static int parse(const char *arg, uint64_t *size, struct mem_backing *mb, char *err)
{
	err[0] = '\0';
	return memory_option_parse(arg, LIMIT, size, mb, err, 256);
}

static void expect_error(const char *arg, const char *msg)
{
	struct mem_backing mb;
	uint64_t size;
	char err[256];

	CHECK_EQ(parse(arg, &size, &mb, err), -22);
	if (!strstr(err, msg)) {
		fprintf(stderr, "--memory %s: message '%s' lacks '%s'\n", arg, err, msg);
		CHECK(0);
	}
}

static void test_size_only(void)
{
	struct mem_backing mb;
	uint64_t size;
	char err[256];

	CHECK_EQ(parse("512M", &size, &mb, err), 0);
	CHECK_EQ(size, 512ULL << 20);
	CHECK_EQ(mb.hugepage_size, 0);
	CHECK(!mb.prefault);
	CHECK(!mb.mergeable);
	CHECK_EQ(parse("100", &size, &mb, err), 0);     /* a bare number is MiB */
	CHECK_EQ(size, 100ULL << 20);
	CHECK_EQ(parse("20000001K", &size, &mb, err), 0);  /* rounded up to 4 KiB */
	CHECK_EQ(size, (20000001ULL * 1024 + 4095) & ~4095ULL);
}

static void test_backing_keys(void)
{
	struct mem_backing mb;
	uint64_t size;
	char err[256];

	CHECK_EQ(parse("1G,hugepages=on", &size, &mb, err), 0);
	CHECK_EQ(mb.hugepage_size, MEM_HUGEPAGE_2M);
	CHECK_EQ(parse("2G,hugepages=on,hugepage_size=1G,prefault=on", &size, &mb, err), 0);
	CHECK_EQ(size, 2ULL << 30);
	CHECK_EQ(mb.hugepage_size, MEM_HUGEPAGE_1G);
	CHECK(mb.prefault);
	CHECK(!mb.mergeable);
	CHECK_EQ(parse("1G,mergeable=on", &size, &mb, err), 0);
	CHECK(mb.mergeable);
	CHECK_EQ(parse("256M,hugepages=off,prefault=off,mergeable=off", &size, &mb, err), 0);
	CHECK_EQ(mb.hugepage_size, 0);
	CHECK(!mb.prefault && !mb.mergeable);
}

static void test_errors(void)
{
	expect_error("lots", "not a size");
	expect_error("8M", "at least 16 MiB");
	expect_error("128G", "more than this host has");
	expect_error("99999999999999999999G", "too large");
	expect_error("128M,", "empty item");
	expect_error("128M,,prefault=on", "empty item");
	expect_error("128M,prefault", "expected key=value");
	expect_error("128M,swap=on", "unknown key 'swap'");
	expect_error("128M,prefault=yes", "prefault='yes': expected 'on' or 'off'");
	expect_error("128M,prefault=on,prefault=off", "prefault given twice");
	expect_error("128M,hugepage_size=2M", "hugepage_size needs hugepages=on");
	expect_error("128M,hugepages=on,hugepage_size=4K", "expected 2M or 1G");
	expect_error("129M,hugepages=on", "multiple of 2M");
	expect_error("128M,hugepages=on,mergeable=on", "cannot go with hugepages=on");
	expect_error("1536M,hugepages=on,hugepage_size=1G", "multiple of 1G");
}

TEST_MAIN(test_size_only, test_backing_keys, test_errors)
