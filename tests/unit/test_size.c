/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "cli/size.h"
#include "test.h"

static void test_sizes(void)
{
	uint64_t b = 0;

	CHECK_EQ(size_parse("512M", &b), 0);
	CHECK_EQ(b, 512ULL << 20);
	CHECK_EQ(size_parse("1024", &b), 0);     /* bare number: MiB */
	CHECK_EQ(b, 1024ULL << 20);
	CHECK_EQ(size_parse("4GiB", &b), 0);
	CHECK_EQ(b, 4ULL << 30);
	CHECK_EQ(size_parse("1.5g", &b), 0);
	CHECK_EQ(b, 3ULL << 29);
	CHECK_EQ(size_parse("65536K", &b), 0);
	CHECK_EQ(b, 64ULL << 20);
	CHECK_EQ(size_parse("1T", &b), 0);
	CHECK_EQ(b, 1ULL << 40);
	CHECK_EQ(size_parse("4096b", &b), 0);
	CHECK_EQ(b, 4096);
}

static void test_bad_sizes(void)
{
	uint64_t b = 0;

	CHECK_EQ(size_parse("", &b), -EINVAL);
	CHECK_EQ(size_parse("lots", &b), -EINVAL);
	CHECK_EQ(size_parse("-1G", &b), -EINVAL);
	CHECK_EQ(size_parse("12Q", &b), -EINVAL);
	CHECK_EQ(size_parse("1.G", &b), -EINVAL);
	CHECK_EQ(size_parse("99999999999999999999", &b), -ERANGE);
	CHECK_EQ(size_parse("99999999T", &b), -ERANGE);
}

static void test_counts(void)
{
	uint64_t v = 0;

	CHECK_EQ(count_parse("16", 255, &v), 0);
	CHECK_EQ(v, 16);
	CHECK_EQ(count_parse("256", 255, &v), -ERANGE);
	CHECK_EQ(count_parse("99999999999999999999999", 255, &v), -ERANGE);
	CHECK_EQ(count_parse("", 255, &v), -EINVAL);
	CHECK_EQ(count_parse("4x", 255, &v), -EINVAL);
	CHECK_EQ(count_parse("-1", 255, &v), -EINVAL);
}

TEST_MAIN(test_sizes, test_bad_sizes, test_counts)
