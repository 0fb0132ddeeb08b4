/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a kernel image for boot_load(), with
 * a small fixed initrd so the placement paths run too. Everything in a
 * kernel file is untrusted; nothing may crash or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/boot.h"
#include "core/guest_mem.h"

#define FUZZ_RAM_SIZE (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_memfd(const char *name, const void *data, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	const uint8_t *p = data;

	if (fd < 0)
		abort();
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n <= 0)
			abort();
		p += n;
		size -= (size_t)n;
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem;
	static char initrd_path[64];
	char kernel_path[64];
	char err[256];
	struct boot_entry entry;
	struct boot_config cfg = {
		.kernel_path = kernel_path,
		.initrd_path = initrd_path,
		.cmdline = "console=ttyS0",
		.rsdp_gpa = 0xe0000,
	};
	int fd;

	if (!mem.nr_regions) {
		static const uint8_t initrd[8192] = { 0x30, 0x37, 0x30, 0x37 };
		void *ram = malloc(FUZZ_RAM_SIZE);

		if (!ram || guest_mem_add(&mem, 0, FUZZ_RAM_SIZE, ram) < 0)
			abort();
		snprintf(initrd_path, sizeof(initrd_path), "/proc/self/fd/%d",
			 fuzz_memfd("initrd", initrd, sizeof(initrd)));
	}

	fd = fuzz_memfd("kernel", data, size);
	snprintf(kernel_path, sizeof(kernel_path), "/proc/self/fd/%d", fd);
	if (boot_load(&mem, &cfg, &entry, err, sizeof(err)) < 0 && !err[0])
		abort(); /* every failure must say why */
	close(fd);
	return 0;
}
