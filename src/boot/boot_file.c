/* SPDX-License-Identifier: MIT */
/* Reading kernel and initrd files: every offset and length is checked. */
#include "boot/boot_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* pread() caps one call at about 2 GiB; stay well below. */
#define BOOT_READ_CHUNK (1ULL << 30)

int boot_file_open(struct boot_ctx *ctx, struct boot_file *f, const char *path, const char *what)
{
	struct stat st;
	int ret;

	f->fd = -1;
	f->size = 0;
	f->what = what;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return boot_fail(ctx, -errno, "%s: %s: %s", what, path, strerror(errno));
	if (fstat(f->fd, &st) < 0) {
		ret = boot_fail(ctx, -errno, "%s: %s: %s", what, path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = boot_fail(ctx, -EINVAL, "%s: %s: not a regular file", what, path);
		goto out_close;
	}
	f->size = (uint64_t)st.st_size;
	return 0;

out_close:
	boot_file_close(f);
	return ret;
}

void boot_file_close(struct boot_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int boot_file_read(struct boot_ctx *ctx, const struct boot_file *f, uint64_t off, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	if (off > f->size || len > f->size - off)
		return boot_fail(ctx, -EIO, "%s: truncated: %" PRIu64 " bytes, need %" PRIu64 " bytes at offset %" PRIu64,
				 f->what, f->size, len, off);
	while (len) {
		size_t chunk = len > BOOT_READ_CHUNK ? BOOT_READ_CHUNK : (size_t)len;
		ssize_t n = pread(f->fd, p, chunk, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return boot_fail(ctx, -errno, "%s: read failed at offset %" PRIu64 ": %s",
					 f->what, off, strerror(errno));
		}
		if (n == 0)
			return boot_fail(ctx, -EIO, "%s: file shrank while reading (at offset %" PRIu64 ")",
					 f->what, off);
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int boot_file_load(struct boot_ctx *ctx, const struct boot_file *f, uint64_t off, uint64_t len, uint64_t gpa)
{
	void *hva = guest_mem_ptr(ctx->mem, gpa, len);

	if (!hva)
		return boot_fail(ctx, -ENOMEM, "%s: %" PRIu64 " bytes at %#" PRIx64 " are not in guest RAM",
				 f->what, len, gpa);
	return boot_file_read(ctx, f, off, hva, len);
}
