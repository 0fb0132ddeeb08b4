/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/default_guest.h"
#include "test.h"

static char cache[] = "/tmp/vessel-test-cache-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_linux_guest_from_fetch_cache(void)
{
	struct default_guest g;
	char dir[256], path[300], paths[1024];
	char err[256];

	snprintf(dir, sizeof(dir), "%s/linux", cache);
	CHECK_EQ(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/vmlinuz", dir);
	write_file(path, "k");
	snprintf(path, sizeof(path), "%s/initrd.img", dir);
	write_file(path, "i");
	snprintf(paths, sizeof(paths), "kernel=%s/vmlinuz\ninitrd=%s/initrd.img\nvmlinux=/x\n", dir, dir);
	snprintf(path, sizeof(path), "%s/paths", dir);
	write_file(path, paths);

	setenv("VESSEL_CACHE", cache, 1);
	CHECK_EQ(default_guest_find(&g, true, err, sizeof(err)), 0);
	CHECK(strstr(g.kernel, "/linux/vmlinuz") != NULL);
	CHECK(g.initrd && strstr(g.initrd, "/linux/initrd.img") != NULL);
	CHECK(strstr(g.cmdline, "console=ttyS0") != NULL);

	/* Where guest kernels are emulated, Linux is not the default. */
	if (default_guest_find(&g, false, err, sizeof(err)) == 0)
		CHECK(strstr(g.kernel, "vessel-guest.bin") != NULL && g.initrd == NULL);

	/* A cache whose files are gone is not used. */
	snprintf(path, sizeof(path), "%s/initrd.img", dir);
	unlink(path);
	if (default_guest_find(&g, true, err, sizeof(err)) == 0)
		CHECK(g.initrd == NULL);
	else
		CHECK(strstr(err, "--kernel") != NULL);
}

static void test_setup(void)
{
	CHECK(mkdtemp(cache) != NULL);
}

TEST_MAIN(test_setup, test_linux_guest_from_fetch_cache)
