/* SPDX-License-Identifier: MIT */
/* Firmware images: read, size-checked, mapped at the top and shadowed below 1 MiB. See firmware.h. */
#include "boot/firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *firmware_path(const char *arg)
{
	return strcmp(arg, FIRMWARE_SEABIOS_NAME) ? arg : FIRMWARE_SEABIOS_PATH;
}

static int firmware_fail(char *err, size_t errlen, int ret, const char *path, const char *why)
{
	snprintf(err, errlen, "firmware %s: %s", path, why);
	return ret;
}

/* Opens path and checks it is a file of a firmware image's size; returns the fd or -errno. */
static int firmware_open_file(const char *path, uint64_t *size, char *err, size_t errlen)
{
	char why[128];
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return firmware_fail(err, errlen, -errno, path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = firmware_fail(err, errlen, -errno, path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = firmware_fail(err, errlen, -EINVAL, path, "not a regular file");
		goto out_close;
	}
	if (st.st_size < FIRMWARE_MIN_SIZE || st.st_size > FIRMWARE_MAX_SIZE || st.st_size % FIRMWARE_SIZE_UNIT) {
		snprintf(why, sizeof(why), "%lld bytes: a firmware image is %u to %u KiB, in multiples of %u KiB",
			 (long long)st.st_size, FIRMWARE_MIN_SIZE >> 10, FIRMWARE_MAX_SIZE >> 10,
			 FIRMWARE_SIZE_UNIT >> 10);
		ret = firmware_fail(err, errlen, -EINVAL, path, why);
		goto out_close;
	}
	*size = (uint64_t)st.st_size;
	return fd;

out_close:
	close(fd);
	return ret;
}

int firmware_open(struct firmware *fw, const char *path, char *err, size_t errlen)
{
	uint64_t size = 0, done = 0;
	void *image;
	int fd, ret;

	*fw = (struct firmware){ 0 };
	fd = firmware_open_file(path, &size, err, errlen);
	if (fd < 0)
		return fd;
	/* Its own pages: KVM maps them, and the file may change under a running VM. */
	image = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (image == MAP_FAILED) {
		ret = firmware_fail(err, errlen, -errno, path, strerror(errno));
		goto out_close;
	}
	while (done < size) {
		ssize_t n = pread(fd, (uint8_t *)image + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = firmware_fail(err, errlen, n < 0 ? -errno : -EIO, path,
					    n < 0 ? strerror(errno) : "shorter than it was a moment ago");
			munmap(image, size);
			goto out_close;
		}
		done += (uint64_t)n;
	}
	fw->image = image;
	fw->size = size;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

void firmware_close(struct firmware *fw)
{
	if (fw->image)
		munmap(fw->image, fw->size);
	*fw = (struct firmware){ 0 };
}

int firmware_check(const char *path, char *err, size_t errlen)
{
	uint64_t size;
	int fd = firmware_open_file(path, &size, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

uint64_t firmware_gpa(const struct firmware *fw, uint64_t top)
{
	return top - fw->size;
}

int firmware_copy_shadow(const struct firmware *fw, const struct guest_mem *mem, uint64_t shadow_end)
{
	uint64_t len = fw->size < FIRMWARE_SHADOW_MAX ? fw->size : FIRMWARE_SHADOW_MAX;

	if (shadow_end < len)
		return -EFAULT;
	return guest_mem_write(mem, shadow_end - len, fw->image + fw->size - len, len);
}
