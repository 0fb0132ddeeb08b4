/* SPDX-License-Identifier: MIT */
/* Firmware images: the --firmware name, the size checks, the shadow copy below 1 MiB. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/firmware.h"
#include "test.h"

static char tmpdir[] = "/tmp/vessel-test-firmware-XXXXXX";

/* A file of size bytes, byte i = i * 31 + 7 (mod 256). */
static const char *make_image(const char *name, size_t size)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	for (size_t i = 0; f && i < size; i++)
		fputc((int)((i * 31 + 7) & 0xff), f);
	if (f)
		fclose(f);
	return path;
}

static void test_path(void)
{
	CHECK(!strcmp(firmware_path("seabios"), FIRMWARE_SEABIOS_PATH));
	CHECK(!strcmp(firmware_path("/x/bios.bin"), "/x/bios.bin"));
	CHECK(!strcmp(firmware_path("seabios.bin"), "seabios.bin"));
}

static void test_sizes(void)
{
	static const struct { size_t size; int ok; } cases[] = {
		{ 0, 0 }, { 1000, 0 }, { (64 << 10) - 1, 0 }, { 64 << 10, 1 }, { 128 << 10, 1 },
		{ (128 << 10) + 512, 0 }, { 192 << 10, 1 }, { 256 << 10, 1 }, { 320 << 10, 0 },
	};
	struct firmware fw;
	char err[256], name[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path;
		int ret;

		snprintf(name, sizeof(name), "img%zu", i);
		path = make_image(name, cases[i].size);
		err[0] = '\0';
		ret = firmware_open(&fw, path, err, sizeof(err));
		CHECK_EQ(ret == 0, cases[i].ok);
		CHECK_EQ(firmware_check(path, err, sizeof(err)) == 0, cases[i].ok);
		if (!cases[i].ok) {
			CHECK_EQ(ret, -EINVAL);
			CHECK(strstr(err, path) != NULL);
			CHECK(strstr(err, "a firmware image is 64 to 256 KiB") != NULL);
			CHECK(fw.image == NULL);
			continue;
		}
		CHECK_EQ(fw.size, cases[i].size);
		CHECK_EQ((uintptr_t)fw.image % 4096, 0);
		CHECK_EQ(fw.image[fw.size - 1], (uint8_t)(((fw.size - 1) * 31 + 7) & 0xff));
		CHECK_EQ(firmware_gpa(&fw, 0x100000000ULL), 0x100000000ULL - cases[i].size);
		firmware_close(&fw);
		CHECK(fw.image == NULL);
		firmware_close(&fw);    /* twice is harmless */
	}
}

static void test_bad_files(void)
{
	struct firmware fw;
	char err[256], path[300];

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	CHECK_EQ(firmware_open(&fw, path, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(!strncmp(err, "firmware ", 9));
	CHECK_EQ(firmware_check(path, err, sizeof(err)), -ENOENT);
	CHECK_EQ(firmware_open(&fw, tmpdir, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);
	if (geteuid() != 0) {
		const char *p = make_image("unreadable", 128 << 10);

		chmod(p, 0);
		CHECK_EQ(firmware_open(&fw, p, err, sizeof(err)), -EACCES);
	}
}

/* The last 256 KiB at most land right below 1 MiB; RAM elsewhere is untouched. */
static void test_shadow(void)
{
	const size_t ram_size = 2 << 20;
	uint8_t *ram = calloc(1, ram_size);
	struct guest_mem mem = { 0 }, small = { 0 };
	struct firmware fw;
	char err[256];

	CHECK(ram != NULL);
	CHECK_EQ(guest_mem_add(&mem, 0, ram_size, ram), 0);

	CHECK_EQ(firmware_open(&fw, make_image("small", 128 << 10), err, sizeof(err)), 0);
	CHECK_EQ(firmware_copy_shadow(&fw, &mem, 0x100000), 0);
	CHECK(!memcmp(ram + 0xe0000, fw.image, 128 << 10));
	CHECK_EQ(ram[0xdffff], 0);
	CHECK_EQ(ram[0x100000], 0);
	firmware_close(&fw);

	memset(ram, 0, ram_size);
	CHECK_EQ(firmware_open(&fw, make_image("big", 256 << 10), err, sizeof(err)), 0);
	CHECK_EQ(firmware_copy_shadow(&fw, &mem, 0x100000), 0);
	CHECK(!memcmp(ram + 0xc0000, fw.image, 256 << 10));
	CHECK_EQ(ram[0xbffff], 0);
	/* No RAM there: refused, nothing copied. */
	CHECK_EQ(guest_mem_add(&small, 0, 0x80000, ram), 0);
	CHECK_EQ(firmware_copy_shadow(&fw, &small, 0x100000), -EFAULT);
	CHECK_EQ(firmware_copy_shadow(&fw, &mem, 0x1000), -EFAULT);
	firmware_close(&fw);
	free(ram);
}

static void test_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	CHECK_EQ(system(cmd), 0);
}

static void test_setup(void)
{
	CHECK(mkdtemp(tmpdir) != NULL);
}

TEST_MAIN(test_setup, test_path, test_sizes, test_bad_files, test_shadow, test_cleanup)
